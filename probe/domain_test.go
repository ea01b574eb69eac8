package probe

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailadvisor/mailadvisor/internal/fakedns"
)

// With --dns, every name is asked of that resolver: the mail host and the
// HTTPS names of autoconfig, autodiscover and MTA-STS, never the system's
// (which knows nothing of example.test). The dialled addresses are the
// ones the stand-in zone gives.
func TestProbeAsksOneResolverForEveryName(t *testing.T) {
	zone := goodZone + `mail.example.test. 300 IN A 127.0.0.8
autoconfig.example.test. 300 IN A 127.0.0.7
autodiscover.example.test. 300 IN A 127.0.0.6
mta-sts.example.test. 300 IN A 127.0.0.5
`
	dnsAddr, stop, err := fakedns.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var mu sync.Mutex
	dialled := map[string]bool{}
	refuse := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialled[addr] = true
		mu.Unlock()
		return nil, &net.OpError{Op: "dial", Net: network, Err: errRefusedForTest}
	}
	_, _ = Run(context.Background(), Config{Host: mailHost, Domain: "example.test", DNSServer: dnsAddr, Dial: refuse, Timeout: 10 * time.Second})
	for _, want := range []string{"127.0.0.8:993", "127.0.0.8:25", "127.0.0.7:443", "127.0.0.6:443", "127.0.0.5:443"} {
		if !dialled[want] {
			t.Errorf("%s was not dialled: %v", want, dialled)
		}
	}
}

var errRefusedForTest = &net.AddrError{Err: "refused by the test", Addr: "stand-in"}

// policyStandin serves one MTA-STS policy over HTTPS for any name.
func policyStandin(t *testing.T, policy string) *http.Client {
	t.Helper()
	cert, roots := testCert(t, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), false)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, policy) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: mailHost},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}}
}

// The MTA-STS policy must cover every MX (a wildcard for exactly one
// label); the TLS-RPT record must parse.
func TestMTASTSCoverageAndTLSRPTSyntax(t *testing.T) {
	for _, c := range []struct {
		name, zone, policy string
		check              string
		want               Status
		detail             string
	}{
		{"covered", goodZone, "version: STSv1\nmode: enforce\nmx: mail.example.test\nmax_age: 604800\n", "mta-sts", Pass, "covering every MX"},
		{"wildcard", goodZone, "version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 604800\n", "mta-sts", Pass, "covering every MX"},
		{"a second MX left out", goodZone + "example.test. 300 IN MX 20 backup.other.test.\n",
			"version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 604800\n", "mta-sts", Fail, "do not cover the MX backup.other.test"},
		{"a wildcard is one label", goodZone, "version: STSv1\nmode: enforce\nmx: *.test\nmax_age: 604800\n", "mta-sts", Fail, "do not cover the MX mail.example.test"},
		{"no max_age", goodZone, "version: STSv1\nmode: enforce\nmx: mail.example.test\n", "mta-sts", Fail, "no valid max_age"},
		{"tls-rpt good", goodZone, "", "tls-rpt", Pass, "v=TLSRPTv1"},
		{"tls-rpt without rua", strings.Replace(goodZone, "v=TLSRPTv1; rua=mailto:tlsrpt@example.test", "v=TLSRPTv1; ruf=x", 1), "", "tls-rpt", Fail, "no rua= field"},
		{"tls-rpt bad address", strings.Replace(goodZone, "rua=mailto:tlsrpt@example.test", "rua=tlsrpt@example.test", 1), "", "tls-rpt", Fail, "want mailto:ADDRESS or https://URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dnsAddr, stop, err := fakedns.Start(c.zone)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			cfg := &Config{Host: mailHost, Domain: "example.test", DNSServer: dnsAddr, HTTPClient: policyStandin(t, c.policy)}
			cfg.defaults()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var got Check
			for _, ch := range probeDNS(ctx, cfg) {
				if ch.Name == c.check {
					got = ch
				}
			}
			if got.Status != c.want || !strings.Contains(got.Detail, c.detail) {
				t.Errorf("%s: %s %q, want %s with %q", c.check, got.Status, got.Detail, c.want, c.detail)
			}
		})
	}
}

// The key exchange the handshake used is reported: a post-quantum hybrid
// passes, X25519 alone is noted.
func TestKeyExchangeGroup(t *testing.T) {
	cert, _ := testCert(t, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), false)
	for _, c := range []struct {
		prefs []tls.CurveID
		want  Status
		name  string
	}{{nil, Pass, "X25519MLKEM768"}, {[]tls.CurveID{tls.X25519}, Info, "X25519: not post-quantum"}} {
		addr := hostile(t, &tls.Config{Certificates: []tls.Certificate{cert}, CurvePreferences: c.prefs},
			func(conn net.Conn) { _ = conn.(*tls.Conn).Handshake() }) // then closes: the TLS layer is still reported
		s := Services[3]
		cfg := &Config{Host: mailHost, Addrs: map[string]string{s.Name: addr}}
		cfg.defaults()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var got Check
		for _, ch := range probeService(ctx, cfg, s) {
			if ch.Name == "key-exchange" {
				got = ch
			}
		}
		cancel()
		if got.Status != c.want || !strings.HasPrefix(got.Detail, c.name) {
			t.Errorf("curves %v: %s %q, want %s %q", c.prefs, got.Status, got.Detail, c.want, c.name)
		}
	}
}

// Each MX address has a reverse name that leads back to it, and port 25
// greets with that name; each way of getting it wrong is said.
func TestReverseNamesAndBanner(t *testing.T) {
	base := "example.test. 300 IN MX 10 mail.example.test.\nmail.example.test. 300 IN A 127.0.0.9\n"
	for _, c := range []struct {
		name, zone, banner string
		ptr, bannerName    Status
		detail             string
	}{
		{"confirmed", base + "9.0.0.127.in-addr.arpa. 300 IN PTR mail.example.test.\n", "mail.example.test ESMTP", Pass, Pass, "127.0.0.9 → mail.example.test"},
		{"no PTR", base, "mail.example.test ESMTP", Warn, "", "127.0.0.9 (mail.example.test): no PTR record"},
		{"PTR elsewhere", base + "9.0.0.127.in-addr.arpa. 300 IN PTR host9.isp.test.\n", "mail.example.test ESMTP", Warn, "", "PTR host9.isp.test does not lead back to it"},
		{"banner mismatch", base + "9.0.0.127.in-addr.arpa. 300 IN PTR mail.example.test.\n", "localhost ESMTP Postfix", Pass, Warn, "port 25 greets as localhost, the MX's reverse names are mail.example.test"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dnsAddr, stop, err := fakedns.Start(c.zone)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			cfg := &Config{Host: mailHost, Domain: "example.test", DNSServer: dnsAddr}
			cfg.defaults()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			checks := []Check{{Group: "smtp 25", Name: "banner", Detail: c.banner}}
			for _, ch := range probeDNS(ctx, cfg) {
				if ch.Name == "ptr" {
					checks = append(checks, ch)
					if ch.Status != c.ptr || (c.bannerName == "" && !strings.Contains(ch.Detail, c.detail)) {
						t.Errorf("ptr: %s %q, want %s", ch.Status, ch.Detail, c.ptr)
					}
				}
			}
			b, ok := bannerCheck(checks)
			switch {
			case c.bannerName == "" && ok:
				t.Errorf("banner compared with no confirmed name: %+v", b)
			case c.bannerName != "" && (!ok || b.Status != c.bannerName):
				t.Errorf("banner-name: %+v, want %s", b, c.bannerName)
			case c.bannerName == Warn && !strings.Contains(b.Detail, c.detail):
				t.Errorf("banner-name: %q, want %q", b.Detail, c.detail)
			}
		})
	}
}

// The HTTPS names clients fetch settings from must each have a valid
// certificate: one requested for the mail host and three of them leaves
// the fourth failing, named with what its certificate was issued for.
func TestCertificateNames(t *testing.T) {
	cert, roots := testCert(t, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), false)
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasSuffix(addr, ":443") {
			addr = srv.Listener.Addr().String()
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	names := "autoconfig.example.test. 300 IN A 127.0.0.1\nautodiscover.example.test. 300 IN A 127.0.0.1\nmta-sts.example.test. 300 IN A 127.0.0.1\n"
	for _, c := range []struct {
		zone   string
		want   Status
		detail string
	}{
		{names, Pass, "valid certificates for autoconfig.example.test, autodiscover.example.test, mta-sts.example.test"},
		{names + "ua-auto-config.example.test. 300 IN A 127.0.0.1\n", Warn, "no valid certificate for ua-auto-config.example.test (issued for mail.example.test, mta-sts.example.test"},
		{"", Info, "none of"},
	} {
		dnsAddr, stop, err := fakedns.Start(c.zone + "example.test. 300 IN MX 10 mail.example.test.\n")
		if err != nil {
			t.Fatal(err)
		}
		cfg := &Config{Host: mailHost, Domain: "example.test", DNSServer: dnsAddr, Dial: dial, Roots: roots}
		cfg.defaults()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		got := certNamesCheck(ctx, cfg)
		cancel()
		stop()
		if got.Status != c.want || !strings.Contains(got.Detail, c.detail) {
			t.Errorf("%s %q, want %s %q", got.Status, got.Detail, c.want, c.detail)
		}
	}
}
