package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailadvisor/mailadvisor/internal/fakedns"
)

// manyZone is n domains whose MX is mail.dN.test on 127.0.0.1, with an
// SPF record for the domains spf names and no MX for those gone names.
func manyZone(n int, spf, gone []int) string {
	var b strings.Builder
	for i := range n {
		if !slices.Contains(gone, i) {
			fmt.Fprintf(&b, "d%d.test. 300 IN MX 10 mail.d%d.test.\n", i, i)
		}
		fmt.Fprintf(&b, "mail.d%d.test. 300 IN A 127.0.0.1\n", i)
		if slices.Contains(spf, i) {
			fmt.Fprintf(&b, "d%d.test. 300 IN TXT \"v=spf1 mx -all\"\n", i)
		}
	}
	return b.String()
}

// A hoster's thousand domains, each with its MX on a loopback stand-in:
// every domain gets one result, and the second run against the first
// names what got worse (a domain whose MX went away) and better (one that
// published SPF).
func TestProbeManyDomainsAgainstABaseline(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 60
	}
	cert, roots := testCert(t, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour), false)
	s := &standin{tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, closeCleartext: true}
	addrs := s.start(t)
	byPort := map[string]string{}
	for _, svc := range Services {
		byPort[strconv.Itoa(svc.Port)] = addrs[svc.Name]
	}
	// Every mail host is 127.0.0.1 in the zone; its ports are the
	// stand-in's.
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, _ := net.SplitHostPort(addr)
		if host == "127.0.0.1" && byPort[port] != "" {
			addr = byPort[port]
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	run := func(zone string, n int, baseline map[string]DomainResult) (map[string]DomainResult, time.Duration, uint64) {
		dnsAddr, stop, err := fakedns.Start(zone)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		targets := make([]Target, n)
		for i := range targets {
			targets[i] = Target{Line: i + 1, Domain: fmt.Sprintf("d%d.test", i)}
		}
		out := map[string]DomainResult{}
		start := time.Now()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err = RunMany(context.Background(), targets, Many{Base: Config{DNSServer: dnsAddr, Dial: dial, Roots: roots,
			Timeout: 30 * time.Second}, Concurrency: 16, Baseline: baseline}, func(r DomainResult) error {
			if _, dup := out[r.Domain]; dup {
				t.Errorf("%s twice", r.Domain)
			}
			out[r.Domain] = r
			return nil
		})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		return out, time.Since(start), after.TotalAlloc - before.TotalAlloc
	}
	first, d1, m1 := run(manyZone(n, nil, nil), n, nil)
	if len(first) != n {
		t.Fatalf("%d results for %d domains", len(first), n)
	}
	for _, r := range first {
		if r.Error != "" || r.Grade == "" || r.Host != "mail."+r.Domain || r.Worse != nil {
			t.Fatalf("%+v", r)
		}
	}
	// Again for the first 50 against the whole first run.
	second, d2, m2 := run(manyZone(n, []int{3}, []int{7}), 50, first)
	t.Logf("%d domains, 16 at a time: %v, %d MiB allocated in all (%d KiB a domain); 50 again against the baseline: %v, %d MiB",
		n, d1.Round(time.Millisecond), m1>>20, m1/uint64(n)>>10, d2.Round(time.Millisecond), m2>>20)
	changed := 0
	for _, r := range second {
		if len(r.Worse)+len(r.Better) > 0 {
			changed++
		}
	}
	if changed != 2 {
		t.Errorf("%d domains changed, want 2", changed)
	}
	if w := second["d7.test"].Worse; len(w) == 0 || !slices.ContainsFunc(w, func(c Change) bool { return c.Check == "reachable" || c.Check == "dns/mx" }) {
		t.Errorf("d7 (its MX gone): worse %+v", w)
	}
	if b := second["d3.test"].Better; !slices.ContainsFunc(b, func(c Change) bool { return c.Check == "dns/spf" && c.To == "pass" }) {
		t.Errorf("d3 (SPF published): better %+v", b)
	}
}

func TestCompare(t *testing.T) {
	old := DomainResult{Grade: "B", Checks: []Check{{Group: "imaps 993", Name: "tls-versions", Status: Pass}, {Group: "dns", Name: "spf", Status: Warn},
		{Group: "dns", Name: "dmarc", Status: Info}}}
	now := DomainResult{Grade: "D", Checks: []Check{{Group: "imaps 993", Name: "tls-versions", Status: Fail, Detail: "accepts TLS 1.0"},
		{Group: "dns", Name: "spf", Status: Pass}, {Group: "dns", Name: "dmarc", Status: Warn}, {Group: "dns", Name: "new", Status: Fail}}}
	worse, better := Compare(old, now)
	if len(worse) != 2 || worse[0].Check != "grade" || worse[1].Check != "imaps 993/tls-versions" || worse[1].Detail != "accepts TLS 1.0" {
		t.Errorf("worse %+v", worse)
	}
	if len(better) != 1 || better[0].Check != "dns/spf" {
		t.Errorf("better %+v", better)
	}
}
