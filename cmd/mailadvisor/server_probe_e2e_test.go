package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/mailadvisor/mailadvisor/internal/integration"
	"github.com/mailadvisor/mailadvisor/probe"
	"github.com/mailadvisor/mailadvisor/profiles"
	"github.com/mailadvisor/mailadvisor/serve"
)

// probeGradesClean runs `mailadvisor probe`'s checks against the server
// the generated files set up, as another server and a mail app on the
// outside address see it, with the settings `mailadvisor serve` publishes
// for the domain (autoconfig, autodiscover, the MTA-STS policy) on HTTPS:
// every check must pass, grade A.
func (s *e2eServer) probeGradesClean() {
	t := s.t
	domainFile := filepath.Join(s.dir, "domain.yaml")
	f, err := os.Open(domainFile)
	if err != nil {
		t.Fatal(err)
	}
	d, err := profiles.DecodeDomain(f, domainFile)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	handler, err := serve.New(serve.Config{Domains: []*profiles.Domain{d}, MTASTSMode: serve.MTASTSEnforce,
		Options: profiles.Options{AllowSTARTTLS: true}})
	if err != nil {
		t.Fatal(err)
	}
	webDir := t.TempDir()
	certFile, keyFile := integration.SelfSignedCert(t, webDir, "mta-sts."+e2eDomain, "autoconfig."+e2eDomain, "autodiscover."+e2eDomain)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewUnstartedServer(handler)
	web.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	web.StartTLS()
	defer web.Close()

	roots := x509.NewCertPool()
	for _, pemFile := range []string{s.cert, certFile} {
		data, err := os.ReadFile(pemFile)
		if err != nil {
			t.Fatal(err)
		}
		roots.AppendCertsFromPEM(data)
	}
	outside := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(e2eOutside)}, Timeout: 10 * time.Second}
	webAddr := web.Listener.Addr().String()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return outside.DialContext(ctx, network, webAddr) // every web name is the serve stand-in
		},
	}}
	start := time.Now()
	res, err := probe.Run(context.Background(), probe.Config{Host: e2eHost, Domain: e2eDomain, DKIMSelector: "mail",
		DNSServer: "127.0.0.1:53", HTTPClient: client, Roots: roots, Dial: outside.DialContext, OpenRelay: true,
		Timeout: 90 * time.Second})
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
}
