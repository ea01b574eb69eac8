package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mailadvisor/mailadvisor/internal/integration"
)

// BenchmarkServeDomainSource measures `serve --domain-source` on a real
// PostgreSQL with 1, 10,000 and 100,000 domains, as a whole process (the
// static binary): the time from exec to the first answer, the resident
// memory at start and after answering for up to 20,000 of the domains in each of the
// three formats, and how long an INSERT takes to be served (NOTIFY, then
// a reload of the whole set). Run it with -benchtime=1x:
//
//	go test ./cmd/mailadvisor -run '^$' -bench ServeDomainSource -benchtime=1x
func BenchmarkServeDomainSource(b *testing.B) {
	pg := integration.StartPostgres(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.URL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	schema, err := os.ReadFile("../../deploy/postgres/schema.sql")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, string(schema)); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "mailadvisor")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	for _, n := range []int{1, 10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			if _, err := conn.Exec(ctx, "TRUNCATE mailadvisor_domains"); err != nil {
				b.Fatal(err)
			}
			rows := make([][]any, n)
			for i := range rows {
				d := fmt.Sprintf("d%d.example", i)
				rows[i] = []any{d, "imap." + d, nil, "smtp." + d, "Domain " + strconv.Itoa(i)}
			}
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{"mailadvisor_domains"},
				[]string{"domain", "imap_host", "pop3_host", "smtp_host", "display_name"}, pgx.CopyFromRows(rows)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				serveFromPostgresOnce(b, bin, pg.URL, n)
			}
		})
	}
}

var servingLine = regexp.MustCompile(`serving (\d+) domain names on http://(\S+)`)

func serveFromPostgresOnce(b *testing.B, bin, url string, n int) {
	start := time.Now()
	cmd := exec.Command(bin, "serve", "--no-config", "--domain-source", url, "--listen", "127.0.0.1:0",
		"--access-log=false", "--rate", "0", "--domain-refresh", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stderr)
	var addr string
	for addr == "" && lines.Scan() {
		if m := servingLine.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[2]
		}
	}
	if addr == "" {
		b.Fatal("serve did not start")
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(path string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		if _, domain, ok := strings.Cut(path, "@"); ok {
			// The Host a client sends: Outlook's redirect is made of it.
			req.Host = "autodiscover." + strings.SplitN(domain, "?", 2)[0]
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/mail/config-v1.1.xml?emailaddress=a@d0.example") != 200 {
		b.Fatal("no answer for d0.example")
	}
	ready := time.Since(start)
	rssStart := procStatusKB(b, cmd.Process.Pid, "VmRSS")
	step := max(1, n/20_000)
	for i := 0; i < n; i += step {
		d := fmt.Sprintf("a@d%d.example", i)
		for _, p := range []string{"/mail/config-v1.1.xml?emailaddress=" + d, "/mobileconfig?emailaddress=" + d, "/autodiscover/autodiscover.json/v1.0/" + d + "?Protocol=AutodiscoverV1"} {
			if code := get(p); code != 200 && code != 302 {
				b.Fatalf("%s: %d", p, code)
			}
		}
	}
	rss := procStatusKB(b, cmd.Process.Pid, "VmRSS")
	hwm := procStatusKB(b, cmd.Process.Pid, "VmHWM")
	// A change: one INSERT, served after NOTIFY and a reload of the set.
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	name := fmt.Sprintf("new%d.example", time.Now().UnixNano())
	changed := time.Now()
	if _, err := conn.Exec(context.Background(), "INSERT INTO mailadvisor_domains (domain) VALUES ($1)", name); err != nil {
		b.Fatal(err)
	}
	for get("/mail/config-v1.1.xml?emailaddress=a@"+name) != 200 {
		if time.Since(changed) > 30*time.Second {
			b.Fatal("the inserted domain is not served after 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.ReportMetric(float64(ready.Milliseconds()), "ms-to-first-answer")
	b.ReportMetric(float64(rssStart)/1024, "MiB-RSS-at-start")
	b.ReportMetric(float64(rss)/1024, "MiB-RSS")
	b.ReportMetric(float64(hwm)/1024, "MiB-peak")
	b.ReportMetric(float64(time.Since(changed).Milliseconds()), "ms-insert-to-served")
}

func procStatusKB(b *testing.B, pid int, key string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, key+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	b.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}
