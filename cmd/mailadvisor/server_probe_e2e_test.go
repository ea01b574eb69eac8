package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mailadvisor/mailadvisor/probe"
)

// probeGradesClean runs `mailadvisor probe`'s checks against the server
// the generated files set up, as another server and a mail app on the
// Internet see it: the mail ports, the zone, and the settings the
// server's own `mailadvisor serve` (the unit setup.sh installed) publishes
// for the domain on HTTPS (autoconfig, autodiscover, the MTA-STS policy).
// Every check must pass, grade A.
func (s *e2eServer) probeGradesClean() {
	t := s.t
	roots := x509.NewCertPool()
	data, err := os.ReadFile(s.cert)
	if err != nil {
		t.Fatal(err)
	}
	roots.AppendCertsFromPEM(data)
	// Every name of the domain is the server's address there (the test's
	// own /etc/hosts points the mail host at loopback, for local clients).
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, err := net.SplitHostPort(addr); err == nil && strings.HasSuffix(strings.ToLower(host), "."+e2eDomain) {
			addr = net.JoinHostPort(e2eServerAddr, port)
		}
		return s.dialOutside(ctx, e2eOutside, network, addr)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots}, DialContext: dial,
	}}
	start := time.Now()
	res, err := probe.Run(context.Background(), probe.Config{Host: e2eHost, Domain: e2eDomain, DKIMSelector: "mail",
		DNSServer: "127.0.0.1:53", HTTPClient: client, Roots: roots, Dial: dial, OpenRelay: true,
		Timeout: 90 * time.Second,
		// Last of all, as --try-ban 5: fail2ban bans the address probe
		// comes from, which nothing tries afterwards.
		Ban: probe.Ban{Attempts: 5, Wait: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("probe: %d checks in %v, grade %s", len(res.Checks), time.Since(start).Round(time.Millisecond), res.Grade)
	for _, c := range res.Checks {
		t.Logf("probe: %-16s %-16s %-4s %s", c.Group, c.Name, c.Status, c.Detail)
		if c.Status == probe.Fail || c.Status == probe.Warn {
			t.Errorf("probe: %s %s: %s: %s", c.Group, c.Name, c.Status, c.Detail)
		}
	}
	if res.Grade != "A" {
		t.Errorf("probe: grade %s, want A", res.Grade)
	}
	// What must pass, not merely not fail: the ban, PACC against its
	// record, and the certificate of each name the zone publishes.
	for _, name := range []string{"ban", "pacc", "certificate-names"} {
		if !slices.ContainsFunc(res.Checks, func(c probe.Check) bool { return c.Name == name && c.Status == probe.Pass }) {
			t.Errorf("probe: no %s check passed", name)
		}
	}
}
