package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mailadvisor/mailadvisor/internal/integration"
	"github.com/mailadvisor/mailadvisor/serve"
)

// serve on a real PostgreSQL, set up as README says (its schema file):
// the domains of the table served, a bad row left out and said, a change
// served at once through NOTIFY, the last set kept while the database is
// away (and /readyz still ready), and changes followed again once it is
// back.
func TestServeFromPostgres(t *testing.T) {
	pg := integration.StartPostgres(t)
	schema, err := os.ReadFile("../../deploy/postgres/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	sql := func(q string) {
		t.Helper()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, pg.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	sql(string(schema))
	sql(`INSERT INTO mailadvisor_domains VALUES ('example.com', 'imap.example.com', NULL, NULL, 'Example'), ('not a domain', NULL, NULL, NULL, NULL)`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrCh := make(chan string, 1)
	logs := &syncWriter{w: &bytes.Buffer{}}
	opts := &serveOptions{io: streams{err: logs}, listen: "127.0.0.1:0", domainSource: pg.URL, domainNotify: "mailadvisor_domains",
		domainQuery:   "SELECT domain, imap_host, pop3_host, smtp_host, display_name FROM mailadvisor_domains",
		domainRefresh: 300 * time.Millisecond, mtaSTS: serve.MTASTSNone, logFormat: "json", shutdownTimeout: time.Second,
		ready: func(a string) { addrCh <- a }}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, opts) }()
	var addr string
	select {
	case addr = <-addrCh:
	case err := <-done:
		t.Fatalf("serve stopped: %v\n%s", err, logs)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	waitFor := func(what string, within time.Duration, ok func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !ok() {
			if time.Since(start) > within {
				t.Fatalf("%s: not within %v\n%s", what, within, logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return time.Since(start)
	}
	served := func(domain string) func() bool {
		return func() bool {
			code, _ := get("/mail/config-v1.1.xml?emailaddress=a@" + domain)
			return code == 200
		}
	}
	if code, body := get("/mail/config-v1.1.xml?emailaddress=a@example.com"); code != 200 || !strings.Contains(body, "<hostname>imap.example.com</hostname>") {
		t.Fatalf("example.com from the table: %d\n%s", code, body)
	}
	if !strings.Contains(logs.String(), `warning: --domain-source: row 2 (domain "not a domain")`) {
		t.Errorf("the bad row was not said:\n%s", logs)
	}
	if _, m := get("/metrics"); !strings.Contains(m, "mailadvisor_domains_rejected 1") {
		t.Errorf("metrics: %s", grepLines(m, "mailadvisor_domains"))
	}

	// Through NOTIFY, the new domain served at once.
	sql(`INSERT INTO mailadvisor_domains (domain) VALUES ('example.net')`)
	took := waitFor("the inserted domain", 2*time.Second, served("example.net"))
	t.Logf("an inserted domain served after %v", took.Round(time.Millisecond))

	// The database away: the last set is served, /readyz stays ready,
	// and the metrics say the reloads fail.
	pg.Stop()
	waitFor("the failure metric", 5*time.Second, func() bool {
		_, m := get("/metrics")
		return strings.Contains(m, "mailadvisor_domains_last_reload_success 0")
	})
	if !served("example.net")() || !served("example.com")() {
		t.Error("the last set is not served while the database is away")
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz with the database away: %d, want 200 (stale but valid)", code)
	}
	_, m := get("/metrics")
	if !strings.Contains(m, "mailadvisor_domains_loaded_timestamp_seconds") {
		t.Errorf("no staleness metric: %s", grepLines(m, "mailadvisor_domains"))
	}

	// Back: changes flow again.
	pg.Start()
	sql(`INSERT INTO mailadvisor_domains (domain) VALUES ('example.org')`)
	waitFor("a domain inserted after the database came back", 10*time.Second, served("example.org"))
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
	if strings.Contains(logs.String(), "password") {
		t.Errorf("a password in the log:\n%s", logs)
	}
}
