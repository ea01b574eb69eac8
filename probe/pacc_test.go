package probe

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailadvisor/mailadvisor/internal/fakedns"
	"github.com/mailadvisor/mailadvisor/profiles"
)

// The PACC check fetches the document on ua-auto-config. and checks it
// against its TXT record as a client does: pass when the digest matches,
// fail for a changed byte or a record whose document is not served, warn
// for a document without a record, info when neither is published.
func TestPACCCheck(t *testing.T) {
	cert, roots := testCert(t, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), false, "ua-auto-config.example.test")
	doc := `{"authentication":{"password":true},"info":{"provider":{"name":"Example"}},"protocols":{"imap":{"host":"mail.example.test"}}}` + "\n"
	record := func(body string) string {
		return `_ua-auto-config.example.test. 300 IN TXT "` + profiles.PACCDigest([]byte(body)) + `"` + "\n"
	}
	for _, c := range []struct {
		zone, served string
		want         Status
		detail       string
	}{
		{record(doc), doc, Pass, "matches its record at _ua-auto-config.example.test"},
		{record(doc), strings.Replace(doc, "Example", "Exampl3", 1), Fail, "the records say d="},
		{record(doc), "", Fail, "pins a document that https://ua-auto-config.example.test/.well-known/user-agent-configuration.json does not serve"},
		{"", doc, Warn, "has no v=UAAC1 record"},
		{"", "", Info, "no PACC document"},
	} {
		mux := http.NewServeMux()
		if c.served != "" {
			mux.HandleFunc(profiles.PACCPath, func(w http.ResponseWriter, r *http.Request) {
				if r.Host != "ua-auto-config.example.test" {
					http.NotFound(w, r)
					return
				}
				_, _ = w.Write([]byte(c.served))
			})
		}
		srv := httptest.NewUnstartedServer(mux)
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.StartTLS()
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, srv.Listener.Addr().String()) // every name is the stand-in
		}
		dnsAddr, stop, err := fakedns.Start(c.zone + "example.test. 300 IN MX 10 mail.example.test.\nua-auto-config.example.test. 300 IN A 127.0.0.1\n")
		if err != nil {
			t.Fatal(err)
		}
		cfg := &Config{Host: mailHost, Domain: "example.test", DNSServer: dnsAddr, Dial: dial, Roots: roots}
		cfg.defaults()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		got := paccCheck(ctx, &resolver{server: dnsAddr, client: &dns.Client{Net: "udp"}}, cfg)
		cancel()
		stop()
		srv.Close()
		if got.Status != c.want || !strings.Contains(got.Detail, c.detail) {
			t.Errorf("%s %q, want %s %q", got.Status, got.Detail, c.want, c.detail)
		}
	}
}
