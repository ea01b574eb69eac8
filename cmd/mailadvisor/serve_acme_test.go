package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"

	"github.com/mailadvisor/mailadvisor/internal/fakedns"
	"github.com/mailadvisor/mailadvisor/serve"
)

// serve --acme against a real ACME server: Pebble (Let's Encrypt's test
// CA), run by the test on loopback, validating each name with
// tls-alpn-01 on serve's own listener, the names resolved by a DNS
// stand-in to 127.0.0.1. Every served name gets a certificate chained to
// Pebble's root at its first handshake; a name not served gets none (the
// CA is not asked); a domain added to --domain-dir gets its certificates
// without a restart or an operator; and a certificate is renewed before
// it expires.
func TestServeACMEWithPebble(t *testing.T) {
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")      // no random wait before validating
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0") // no random badNonce (autocert retries them, slowly)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var zone strings.Builder
	for _, d := range []string{"example.com", "example.net"} {
		for _, p := range []string{"", "autoconfig.", "autodiscover.", "mta-sts.", "ua-auto-config."} {
			zone.WriteString(p + d + ". 60 IN A 127.0.0.1\n")
		}
	}
	zone.WriteString("evil.example. 60 IN A 127.0.0.1\n")
	dnsAddr, stopDNS, err := fakedns.Start(zone.String())
	if err != nil {
		t.Fatal(err)
	}
	defer stopDNS()

	pebbleLog := &syncWriter{w: &bytes.Buffer{}}
	logger := log.New(pebbleLog, "pebble ", 0)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default", ValidityPeriod: 9}})
	validator := va.New(logger, 0, port, false, dnsAddr, store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	acmeSrv := httptest.NewTLSServer(front.Handler())
	defer acmeSrv.Close()
	dir := t.TempDir()
	acmeCA := filepath.Join(dir, "pebble-https.pem")
	if err := os.WriteFile(acmeCA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: acmeSrv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(authority.GetRootCert(0).Cert)

	domains := filepath.Join(dir, "domains")
	if err := os.Mkdir(domains, 0o755); err != nil {
		t.Fatal(err)
	}
	writeDomainFile(t, domains, "example.com.yaml", "domains: [example.com]\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrCh := make(chan string, 1)
	logs := &syncWriter{w: &bytes.Buffer{}}
	cache := filepath.Join(dir, "acme-cache")
	opts := &serveOptions{io: streams{err: logs, inputs: &inputSet{}}, listen: "127.0.0.1:" + strconv.Itoa(port), domainDir: domains, watch: true,
		acme: true, acmeDirectory: acmeSrv.URL + "/dir", acmeCache: cache, acmeCA: acmeCA, acmeEmail: "ops@example.com",
		mtaSTS: serve.MTASTSNone, logFormat: "text", shutdownTimeout: time.Second, ready: func(a string) { addrCh <- a }}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, opts) }()
	select {
	case <-addrCh:
	case err := <-done:
		t.Fatalf("serve stopped: %v\n%s", err, logs)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	// get is a client that trusts Pebble's root only, asking for name.
	get := func(name, path string) (*http.Response, error) {
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: name},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		}}
		return client.Get("https://" + name + path)
	}
	serial := func(name string) string {
		t.Helper()
		resp, err := get(name, "/healthz")
		if err != nil {
			t.Fatalf("https://%s: %v", name, err)
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.String()
	}
	check := func(name string) {
		t.Helper()
		start := time.Now()
		resp, err := get(name, "/mail/config-v1.1.xml?emailaddress=a@"+strings.TrimPrefix(strings.TrimPrefix(name, "autoconfig."), "autodiscover."))
		if err != nil {
			time.Sleep(300 * time.Millisecond)
			for _, m := range regexp.MustCompile(`completed challenge (\S+)`).FindAllStringSubmatch(pebbleLog.String(), -1) {
				if c := store.GetChallengeByID(m[1]); c != nil {
					t.Logf("challenge %s: %+v", m[1], c.Error)
				}
			}
			t.Fatalf("https://%s: %v\nserve:\n%s\npebble:\n%s", name, err, logs, pebbleLog)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		leaf := resp.TLS.PeerCertificates[0]
		if leaf.VerifyHostname(name) != nil || resp.StatusCode != 200 {
			t.Errorf("https://%s: %d, certificate for %v", name, resp.StatusCode, leaf.DNSNames)
		}
		t.Logf("https://%s: a certificate from Pebble in %v", name, time.Since(start).Round(time.Millisecond))
	}
	check("autoconfig.example.com")
	check("autodiscover.example.com")
	// The second time, from the cache: no new order.
	check("autoconfig.example.com")
	if entries, _ := os.ReadDir(cache); len(entries) < 3 { // the account key and two certificates
		t.Errorf("the cache holds %d entries", len(entries))
	}
	// A name not served: no certificate, and Pebble was not asked.
	if _, err := get("evil.example", "/"); err == nil {
		t.Error("a certificate was made for a name not served")
	}
	if strings.Contains(pebbleLog.String(), "evil.example") {
		t.Errorf("Pebble was asked for a name not served:\n%s", pebbleLog)
	}
	// A domain added to the set: its names get certificates at once.
	writeDomainFile(t, domains, "example.net.yaml", "domains: [example.net]\n")
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := get("autoconfig.example.net", "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("autoconfig.example.net after the reload: %v\n%s", err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	check("autodiscover.example.net")
	// Renewal: Pebble's certificates last 9 s here, and autocert renews a
	// third of the lifetime before the end (30 days for 90-day ones), so
	// within a few seconds the same name is served a new certificate.
	first := serial("autoconfig.example.com")
	deadline = time.Now().Add(15 * time.Second)
	for serial("autoconfig.example.com") == first {
		if time.Now().After(deadline) {
			t.Fatalf("the certificate was not renewed within 15 s\n%s", logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
