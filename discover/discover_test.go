package discover

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailadvisor/mailadvisor/internal/fakedns"
)

// dnsServer serves the zone (records, one a line) on 127.0.0.1 and
// returns a resolver that asks only it: the tests send nothing anywhere
// else.
func dnsServer(t *testing.T, zone ...string) *net.Resolver {
	t.Helper()
	addr, stop, err := fakedns.Start(strings.Join(zone, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

const exampleConfig = `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="%s">
<domain>%s</domain>
<incomingServer type="imap"><hostname>imap.%s</hostname><port>993</port><socketType>SSL</socketType><username>%%EMAILADDRESS%%</username><authentication>password-cleartext</authentication></incomingServer>
<incomingServer type="pop3"><hostname>pop.%s</hostname><port>110</port><socketType>plain</socketType><username>%%EMAILLOCALPART%%</username><authentication>password-cleartext</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.%s</hostname><port>465</port><socketType>SSL</socketType><username>%%EMAILADDRESS%%</username><authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>`

func configFor(domain string) string {
	return strings.NewReplacer("%s", domain, "%%", "%").Replace(exampleConfig)
}

// web is a loopback HTTPS server answering paths with bodies (or a
// status, or a delay).
func web(t *testing.T, routes map[string]func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := routes[r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func body(s string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(s)) }
}

func config(srv *httptest.Server, resolver *net.Resolver, own bool) Config {
	return Config{Resolver: resolver, Client: srv.Client(), ISPDB: srv.URL + "/ispdb/", Timeout: 2 * time.Second,
		AutoconfigURL: func(domain, email string) []string {
			if !own {
				return nil
			}
			return []string{srv.URL + "/own/" + domain + "/mail/config-v1.1.xml", srv.URL + "/wellknown/" + domain}
		},
		PACCURL: func(domain string) string { return srv.URL + "/pacc/" + domain }}
}

// The domain's own file comes first; its placeholders are filled, its
// cleartext entry dropped; the ISPDB entry is found too but not used.
func TestOwnAutoconfigFirst(t *testing.T) {
	srv := web(t, map[string]func(http.ResponseWriter, *http.Request){
		"/own/example.com/mail/config-v1.1.xml": body(configFor("example.com")),
		"/ispdb/example.com":                    body(configFor("isp.example")),
	})
	res, err := Discover(context.Background(), config(srv, dnsServer(t), true), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(res.Source, "/own/example.com/mail/config-v1.1.xml") || len(res.Servers) != 2 ||
		!reflect.DeepEqual(res.Servers[0], Server{Protocol: "imap", Host: "imap.example.com", Port: 993, Security: "tls", Username: "alice@example.com", UsernameTemplate: "%EMAILADDRESS%",
			Auth: []string{"password-cleartext"}}) {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(attempts(res), "found (not used: an earlier source answered)") {
		t.Errorf("the ISPDB answer is not reported: %s", attempts(res))
	}
}

func attempts(r *Result) string {
	var b strings.Builder
	for _, a := range r.Tried {
		b.WriteString(a.Source + " => " + a.Result + "\n")
	}
	return b.String()
}

// A gmail-like domain: no file of its own, no SRV; its MX is at
// google.com, whose ISPDB entry gives the settings.
func TestMXDelegation(t *testing.T) {
	srv := web(t, map[string]func(http.ResponseWriter, *http.Request){
		"/ispdb/google.com": body(configFor("gmail.example")),
	})
	resolver := dnsServer(t, "mailbox.example. 300 IN MX 10 aspmx.l.google.com.", "mailbox.example. 300 IN MX 20 alt1.aspmx.l.google.com.")
	res, err := Discover(context.Background(), config(srv, resolver, false), "me@mailbox.example")
	if err != nil {
		t.Fatalf("%v\n%s", err, attempts(res))
	}
	if !strings.Contains(res.Source, "/ispdb/google.com (the MX aspmx.l.google.com is at google.com)") ||
		res.Servers[0].Host != "imap.gmail.example" || res.MX[0] != "aspmx.l.google.com" {
		t.Errorf("result %+v", res)
	}
}

// SRV records (RFC 6186, RFC 8314) when no file answers; a "not offered"
// record (target ".") is skipped.
func TestSRV(t *testing.T) {
	srv := web(t, nil)
	resolver := dnsServer(t, "_imaps._tcp.srv.example. 300 IN SRV 0 1 993 mail.srv.example.",
		"_pop3s._tcp.srv.example. 300 IN SRV 0 0 0 .", "_submissions._tcp.srv.example. 300 IN SRV 0 1 465 mail.srv.example.")
	res, err := Discover(context.Background(), config(srv, resolver, true), "bob@srv.example")
	if err != nil {
		t.Fatalf("%v\n%s", err, attempts(res))
	}
	want := []Server{{Protocol: "imap", Host: "mail.srv.example", Port: 993, Security: "tls"}, {Protocol: "smtp", Host: "mail.srv.example", Port: 465, Security: "tls"}}
	if res.Source != "SRV records of srv.example" || !reflect.DeepEqual(res.Servers, want) {
		t.Errorf("result %+v", res)
	}
}

// A slow responder does not hold the discovery past its deadline, a broken
// one is named with what it did, and nothing found is ErrNotFound.
func TestSlowAndBrokenResponders(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := web(t, map[string]func(http.ResponseWriter, *http.Request){
		"/own/slow.example/mail/config-v1.1.xml": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		},
		"/wellknown/slow.example": body("<html>not xml"),
		"/ispdb/slow.example":     func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) },
	})
	cfg := config(srv, dnsServer(t), true)
	cfg.Timeout = 300 * time.Millisecond
	start := time.Now()
	res, err := Discover(context.Background(), cfg, "x@slow.example")
	elapsed := time.Since(start)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err %v", err)
	}
	if elapsed > 3*time.Second {
		t.Errorf("took %v with a 300 ms deadline", elapsed)
	}
	tried := attempts(res)
	for _, want := range []string{"no answer before the deadline", "not an autoconfig file", "HTTP 500"} {
		if !strings.Contains(tried, want) {
			t.Errorf("attempts lack %q:\n%s", want, tried)
		}
	}
}

// HTTPS only, unless asked.
func TestHTTPSOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(configFor("plain.example"))) }))
	t.Cleanup(srv.Close)
	cfg := Config{Resolver: dnsServer(t), Client: srv.Client(), ISPDB: srv.URL + "/ispdb/", Timeout: time.Second,
		AutoconfigURL: func(string, string) []string { return []string{srv.URL + "/own"} },
		PACCURL:       func(string) string { return srv.URL + "/pacc" }}
	res, err := Discover(context.Background(), cfg, "a@plain.example")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(attempts(res), "is not HTTPS") {
		t.Fatalf("%v\n%s", err, attempts(res))
	}
	cfg.AllowHTTP = true
	if _, err := Discover(context.Background(), cfg, "a@plain.example"); err != nil {
		t.Errorf("with AllowHTTP: %v", err)
	}
}

// Redirects are followed to HTTPS only, and the source names where the
// file came from; a redirect (or a name) to a non-public address is
// refused before any connection.
func TestRedirectsAndPrivateAddresses(t *testing.T) {
	var srv *httptest.Server
	srv = web(t, map[string]func(http.ResponseWriter, *http.Request){
		"/own/a.example/mail/config-v1.1.xml": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, srv.URL+"/moved/a.example", http.StatusFound)
		},
		"/moved/a.example": body(configFor("a.example")),
		"/own/b.example/mail/config-v1.1.xml": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+strings.TrimPrefix(srv.URL, "https://")+"/moved/a.example", http.StatusFound)
		},
		"/own/c.example/mail/config-v1.1.xml": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://10.0.0.9/latest/meta-data/", http.StatusFound)
		},
	})
	// The test's own server is on loopback: let it through, and guard
	// every other address as discovery does by default.
	base := srv.Client().Transport.(*http.Transport).Clone()
	guarded := &net.Dialer{Control: PublicOnly}
	base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == srv.Listener.Addr().String() {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
	cfg := config(srv, dnsServer(t), true)
	cfg.Client = &http.Client{Transport: base}
	for domain, want := range map[string]string{
		"a.example": "/own/a.example/mail/config-v1.1.xml (redirected to " + srv.URL + "/moved/a.example)",
		"b.example": "which is not HTTPS: not followed (--allow-http to follow it)",
		"c.example": "refused to connect to 10.0.0.9, a private address",
	} {
		res, _ := Discover(context.Background(), cfg, "alice@"+domain)
		if res == nil || len(res.Tried) == 0 {
			t.Fatalf("%s: %+v", domain, res)
		}
		first := res.Tried[1] // after PACC
		if !strings.Contains(first.Source+" "+first.Result, want) {
			t.Errorf("%s: %+v, want %q", domain, first, want)
		}
	}
}

func TestNonPublic(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1": "loopback", "::1": "loopback", "10.1.2.3": "private", "172.16.0.1": "private", "192.168.1.1": "private",
		"169.254.169.254": "link-local", "fe80::1": "link-local", "fd00::1": "unique local (ULA)", "0.0.0.0": "unspecified",
		"::": "unspecified", "100.64.0.1": "private", "::ffff:127.0.0.1": "loopback", "239.1.1.1": "multicast",
		"93.184.216.34": "", "2606:4700::1111": "",
	} {
		if got := nonPublic(mustAddr(t, addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// As Thunderbird: the MX host less its first label is looked up before
// its registrable domain, so an Office 365 tenant (MX under
// mail.protection.outlook.com) gets Office 365's settings, not
// Outlook.com's; and the provider's own autoconfig host, from the MX,
// comes before the ISP database.
func TestMXLookupsAsThunderbird(t *testing.T) {
	srv := web(t, map[string]func(http.ResponseWriter, *http.Request){
		"/ispdb/mail.protection.outlook.com":       body(configFor("office365.example")),
		"/ispdb/outlook.com":                       body(configFor("outlook.example")),
		"/own/hoster.example/mail/config-v1.1.xml": body(configFor("hoster.example")),
		"/ispdb/hoster.example":                    body(configFor("isp-copy.example")),
	})
	resolver := dnsServer(t, "contoso.example. 300 IN MX 10 contoso-example.mail.protection.outlook.com.",
		"client.example. 300 IN MX 10 mx1.hoster.example.")
	cfg := config(srv, resolver, true)
	for email, want := range map[string]string{
		"alice@contoso.example": "/ispdb/mail.protection.outlook.com (the MX contoso-example.mail.protection.outlook.com is at mail.protection.outlook.com)",
		"bob@client.example":    "/own/hoster.example/mail/config-v1.1.xml (the MX mx1.hoster.example is at hoster.example)",
	} {
		res, err := Discover(context.Background(), cfg, email)
		if err != nil {
			t.Fatalf("%s: %v", email, err)
		}
		if !strings.HasSuffix(res.Source, want) {
			t.Errorf("%s: from %q, want %q", email, res.Source, want)
		}
	}
}
