package serve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"howett.net/plist"

	"github.com/mailadvisor/mailadvisor/profiles"
)

func testDomain(t testing.TB, names ...string) *profiles.Domain {
	t.Helper()
	d := &profiles.Domain{Domains: names, DisplayName: "Example Mail",
		Hosts: profiles.Hosts{IMAP: "imap.example.com", POP3: "pop.example.com", SMTP: "smtp.example.com"}}
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	return d
}

func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Domains == nil {
		cfg.Domains = []*profiles.Domain{testDomain(t, "example.com", "example.org")}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(t testing.TB, h http.Handler, method, target, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		if strings.EqualFold(header[i], "Host") {
			r.Host = header[i+1]
			continue
		}
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func poxRequest(addr string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>` + addr + `</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`
}

// Every endpoint, its status codes and headers.
func TestEndpoints(t *testing.T) {
	s := newTestServer(t, Config{Rate: 0})
	big := poxRequest(strings.Repeat("a", DefaultMaxBodyBytes) + "@example.com")
	for _, c := range []struct {
		name, method, target, body string
		header                     []string
		status                     int
		contentType                string
		contains                   []string
	}{
		{"autoconfig", "GET", "/mail/config-v1.1.xml?emailaddress=alice@example.com", "", nil, 200, typeXML,
			[]string{"<hostname>imap.example.com</hostname>", "<socketType>SSL</socketType>"}},
		{"autoconfig well-known", "GET", "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice@example.org", "", nil, 200, typeXML,
			[]string{"<clientConfig version=\"1.2\">"}},
		{"autoconfig by host name", "GET", "/mail/config-v1.1.xml", "", []string{"Host", "autoconfig.example.com"}, 200, typeXML,
			[]string{"%EMAILADDRESS%"}},
		{"autoconfig unknown domain", "GET", "/mail/config-v1.1.xml?emailaddress=alice@example.net", "", nil, 404, "text/plain; charset=utf-8",
			[]string{"no mail settings for this domain here"}},
		{"autoconfig bad address", "GET", "/mail/config-v1.1.xml?emailaddress=alice", "", nil, 400, "text/plain; charset=utf-8",
			[]string{"emailaddress"}},
		{"autoconfig POST", "POST", "/mail/config-v1.1.xml", "", nil, 405, "text/plain; charset=utf-8", nil},
		{"autodiscover", "POST", "/autodiscover/autodiscover.xml", poxRequest("bob@example.com"), nil, 200, typeXML,
			[]string{"<LoginName>bob@example.com</LoginName>", "<Type>SMTP</Type>"}},
		{"autodiscover Outlook's case", "POST", "/Autodiscover/Autodiscover.xml", poxRequest("bob@example.com"), nil, 200, typeXML, nil},
		// Errors as the autodiscover schema defines them, which Outlook
		// reads (200, Response/Error), never the request echoed back.
		{"autodiscover malformed", "POST", "/autodiscover/autodiscover.xml", "<Autodiscover><Request>", nil, 200, typeXML,
			[]string{"<ErrorCode>600</ErrorCode>", "<Message>Invalid Request</Message>", "the request is not Outlook"}},
		{"autodiscover no address", "POST", "/autodiscover/autodiscover.xml", poxRequest(""), nil, 200, typeXML,
			[]string{"<ErrorCode>600</ErrorCode>", "EMailAddress: want an e-mail address"}},
		{"autodiscover ActiveSync", "POST", "/autodiscover/autodiscover.xml",
			strings.Replace(poxRequest("bob@example.com"), "outlook/responseschema/2006a", "mobilesync/responseschema/2006", 1), nil, 200,
			typeXML, []string{"<ErrorCode>601</ErrorCode>", "<Message>Requested schema not available</Message>", "no Exchange ActiveSync here"}},
		// The peers' routes and forms: a trailing slash, a form's POST;
		// a parameter given twice is refused.
		{"mobileconfig slash", "GET", "/mobileconfig/?emailaddress=bob@example.com", "", nil, 200, typeMobileconfig, nil},
		{"mobileconfig form", "POST", "/mobileconfig", "emailaddress=bob%40example.com&name=Bob", []string{"Content-Type", "application/x-www-form-urlencoded"},
			200, typeMobileconfig, []string{"bob@example.com"}},
		{"mobileconfig twice", "GET", "/mobileconfig?emailaddress=bob@example.com&emailaddress=eve@example.com", "", nil, 400,
			"text/plain; charset=utf-8", []string{"emailaddress", "given 2 times"}},
		{"autoconfig twice", "GET", "/mail/config-v1.1.xml?emailaddress=bob@example.com&emailaddress=eve@example.com", "", nil, 400,
			"text/plain; charset=utf-8", []string{"given 2 times"}},
		{"autodiscover too big", "POST", "/autodiscover/autodiscover.xml", big, nil, 413, "text/plain; charset=utf-8", nil},
		{"autodiscover unknown domain", "POST", "/autodiscover/autodiscover.xml", poxRequest("bob@example.net"), nil, 404, "text/plain; charset=utf-8", nil},
		{"autodiscover GET", "GET", "/autodiscover/autodiscover.xml", "", nil, 405, "text/plain; charset=utf-8", nil},
		{"autodiscover json", "GET", "/autodiscover/autodiscover.json/v1.0/bob@example.com?Protocol=AutodiscoverV1", "", []string{"Host", "autodiscover.example.com"},
			200, typeJSON, []string{`{"Protocol":"AutodiscoverV1","Url":"https://autodiscover.example.com/autodiscover/autodiscover.xml"}`}},
		{"autodiscover json query form", "GET", "/autodiscover/autodiscover.json?Email=bob@example.com&Protocol=autodiscoverv1", "", nil,
			200, typeJSON, []string{`"Protocol":"AutodiscoverV1"`}},
		{"autodiscover json ActiveSync", "GET", "/autodiscover/autodiscover.json/v1.0/bob@example.com?Protocol=ActiveSync", "", nil,
			400, typeJSON, []string{`"ErrorCode":"InvalidProtocol"`}},
		{"autodiscover json unknown domain", "GET", "/autodiscover/autodiscover.json/v1.0/bob@example.net?Protocol=AutodiscoverV1", "", nil,
			404, typeJSON, nil},
		{"mobileconfig", "GET", "/mobileconfig?emailaddress=carol@example.com&name=Carol%20Smith", "", nil, 200, typeMobileconfig,
			[]string{"<string>carol@example.com</string>", "<string>Carol Smith</string>"}},
		{"mobileconfig no address", "GET", "/mobileconfig", "", nil, 400, "text/plain; charset=utf-8", []string{"emailaddress"}},
		{"mobileconfig bad name", "GET", "/mobileconfig?emailaddress=carol@example.com&name=a%0Ab", "", nil, 400, "text/plain; charset=utf-8", []string{"name"}},
		{"mobileconfig bad protocol", "GET", "/mobileconfig?emailaddress=carol@example.com&protocol=smtp", "", nil, 400, "text/plain; charset=utf-8", []string{"protocol"}},
		{"mta-sts", "GET", "/.well-known/mta-sts.txt", "", []string{"Host", "mta-sts.example.com"}, 200, "text/plain; charset=utf-8",
			[]string{"version: STSv1\r\nmode: none\r\nmax_age: 604800\r\n"}},
		{"mta-sts unknown host", "GET", "/.well-known/mta-sts.txt", "", []string{"Host", "mta-sts.example.net"}, 404, "text/plain; charset=utf-8", nil},
		{"healthz", "GET", "/healthz", "", nil, 200, "text/plain; charset=utf-8", []string{"ok"}},
		{"readyz", "GET", "/readyz", "", nil, 200, "text/plain; charset=utf-8", []string{"ready"}},
		{"metrics", "GET", "/metrics", "", nil, 200, "", []string{"mailadvisor_serve_requests_total"}},
		{"page", "GET", "/", "", nil, 200, "text/html; charset=utf-8", []string{`<label for="email">`}},
		{"elsewhere", "GET", "/wp-login.php", "", nil, 404, "text/plain; charset=utf-8", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := do(t, s, c.method, c.target, c.body, c.header...)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d\n%s", w.Code, c.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); c.contentType != "" && ct != c.contentType {
				t.Errorf("Content-Type %q, want %q", ct, c.contentType)
			}
			if w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
			if c.status == 405 && w.Header().Get("Allow") == "" {
				t.Error("405 without Allow")
			}
			for _, want := range c.contains {
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("body lacks %q:\n%s", want, w.Body)
				}
			}
		})
	}
}

// An address that exists and one that does not get the same answer: the
// server has no user list to leak.
func TestNoEnumeration(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, tmpl := range []string{
		"/mail/config-v1.1.xml?emailaddress=%s", "/mobileconfig?emailaddress=%s",
		"/autodiscover/autodiscover.json/v1.0/%s?Protocol=AutodiscoverV1",
	} {
		a := do(t, s, "GET", strings.Replace(tmpl, "%s", "postmaster@example.com", 1), "")
		b := do(t, s, "GET", strings.Replace(tmpl, "%s", "nobody-xyz@example.com", 1), "")
		if a.Code != 200 || b.Code != a.Code {
			t.Errorf("%s: %d and %d", tmpl, a.Code, b.Code)
		}
		ab := strings.ReplaceAll(a.Body.String(), "postmaster", "X")
		bb := strings.ReplaceAll(b.Body.String(), "nobody-xyz", "X")
		if strings.Contains(tmpl, "mobileconfig") {
			// The UUIDs derive from the address (a regenerated profile
			// replaces the installed one): compare the keys only.
			ab, bb = plistKeys(t, a.Body.Bytes()), plistKeys(t, b.Body.Bytes())
		}
		if ab != bb {
			t.Errorf("%s: the answers differ beyond the address:\n%s\n%s", tmpl, ab, bb)
		}
	}
	a := do(t, s, "POST", "/autodiscover/autodiscover.xml", poxRequest("postmaster@example.com"))
	b := do(t, s, "POST", "/autodiscover/autodiscover.xml", poxRequest("nobody-xyz@example.com"))
	if a.Code != 200 || strings.ReplaceAll(a.Body.String(), "postmaster", "X") != strings.ReplaceAll(b.Body.String(), "nobody-xyz", "X") {
		t.Errorf("autodiscover: %d / %d, or bodies differ", a.Code, b.Code)
	}
}

func plistKeys(t *testing.T, data []byte) string {
	t.Helper()
	var v map[string]any
	if _, err := plist.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, v := range x {
				keys = append(keys, k)
				walk(v)
			}
		case []any:
			for _, v := range x {
				walk(v)
			}
		}
	}
	walk(v)
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// A profile never carries a password, and the same request gives the same
// profile (deterministic UUIDs: installing it again replaces it).
func TestMobileconfigHasNoPasswordAndIsStable(t *testing.T) {
	s := newTestServer(t, Config{})
	a := do(t, s, "GET", "/mobileconfig?emailaddress=dave@example.com", "")
	b := do(t, s, "GET", "/mobileconfig?emailaddress=dave@example.com", "")
	if !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) {
		t.Error("two requests gave two profiles")
	}
	if body := a.Body.String(); strings.Contains(body, "<key>IncomingPassword</key>") || strings.Contains(body, "<key>OutgoingPassword</key>") {
		t.Errorf("a password key in the profile:\n%s", a.Body)
	}
	if cd := a.Header().Get("Content-Disposition"); cd != `attachment; filename="example.com.mobileconfig"` {
		t.Errorf("Content-Disposition %q", cd)
	}
}

func TestRateLimit(t *testing.T) {
	s := newTestServer(t, Config{Rate: 1, Burst: 3})
	codes := map[int]int{}
	for range 6 {
		codes[do(t, s, "GET", "/mail/config-v1.1.xml?emailaddress=a@example.com", "").Code]++
	}
	if codes[200] != 3 || codes[429] != 3 {
		t.Errorf("codes %v, want 3 x 200 then 3 x 429", codes)
	}
	w := do(t, s, "GET", "/mail/config-v1.1.xml?emailaddress=a@example.com", "")
	if w.Header().Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Probes are never limited.
	if w := do(t, s, "GET", "/healthz", ""); w.Code != 200 {
		t.Errorf("healthz limited: %d", w.Code)
	}
}

// A million distinct addresses (a flood of new IPv6 /64s) keep the
// limiter within its budget: the table never grows past its capacity,
// and the heap it holds stays under the budget.
func TestLimiterMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("long: a million addresses (go test -short)")
	}
	const budget = 8 << 20
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	l := newIPLimiter(1, 1, budget)
	now := time.Now()
	var ip [16]byte
	ip[0], ip[1] = 0x20, 0x01
	for i := range 1_000_000 {
		binary.BigEndian.PutUint32(ip[4:8], uint32(i))
		l.allow(netip.AddrFrom16(ip).String(), now.Add(time.Duration(i)*time.Microsecond))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if n := l.len(); n != budget/bucketBytes {
		t.Errorf("%d clients kept, want the capacity %d", n, budget/bucketBytes)
	}
	if held > budget {
		t.Errorf("the limiter holds %d bytes after a million addresses, over its budget of %d", held, budget)
	}
	t.Logf("a million addresses: %d clients kept in %.1f MiB (budget %d MiB)", l.len(), float64(held)/(1<<20), budget>>20)
	runtime.KeepAlive(l)
}

// One IPv6 /64 is one client: a host that changes its address within
// its network keeps its bucket.
func TestLimiterIPv6Prefix(t *testing.T) {
	l := newIPLimiter(0.001, 2, DefaultRateMemory)
	now := time.Now()
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::7"} {
		if !l.allow(ip, now) {
			t.Fatalf("request %d refused", i)
		}
	}
	if l.allow("2001:db8:1:2:abcd::9", now) {
		t.Error("a third address of the same /64 got past a burst of 2")
	}
	if !l.allow("2001:db8:1:3::1", now) || !l.allow("192.0.2.1", now) || !l.allow("::ffff:192.0.2.2", now) {
		t.Error("another /64 or an IPv4 client was refused")
	}
	if clientKey(netip.MustParseAddr("::ffff:192.0.2.2")) != clientKey(netip.MustParseAddr("192.0.2.2")) || clientKey(netip.MustParseAddr("2001:db8::1")) == clientKey(netip.MustParseAddr("2001:db8:0:1::1")) {
		t.Error("IPv4-mapped addresses or /64s keyed apart")
	}
}

// A flood of new addresses takes the least recently used buckets, one at
// a time: a client slowed down that keeps asking stays slowed down, and
// no sweep of the table ever drops the clients in use.
func TestLimiterFloodKeepsActiveClients(t *testing.T) {
	l := newIPLimiter(0.001, 1, 1000*bucketBytes)
	now := time.Now()
	if !l.allow("192.0.2.99", now) || l.allow("192.0.2.99", now) {
		t.Fatal("the heavy client's bucket: want one request, then a refusal")
	}
	for i := range 100_000 {
		l.allow("2001:db8:"+strconv.FormatInt(int64(i), 16)+"::1", now)
		if i%100 == 0 && l.allow("192.0.2.99", now) {
			t.Fatalf("after %d new addresses the heavy client's bucket was reset", i)
		}
	}
	if n := l.len(); n != 1000 {
		t.Errorf("%d clients, want the capacity 1000", n)
	}
	// Idle long enough, a client is forgotten and starts afresh.
	l2 := newIPLimiter(0.001, 1, 16*bucketBytes)
	l2.allow("192.0.2.1", now)
	for i := range 16 {
		l2.allow("198.51.100."+strconv.Itoa(i), now)
	}
	if !l2.allow("192.0.2.1", now) {
		t.Error("a client evicted by newer ones did not start afresh")
	}
}

func TestReloadAndReadiness(t *testing.T) {
	s := newTestServer(t, Config{})
	if w := do(t, s, "GET", "/mail/config-v1.1.xml?emailaddress=a@example.net", ""); w.Code != 404 {
		t.Fatalf("before reload: %d", w.Code)
	}
	if err := s.Reload([]*profiles.Domain{testDomain(t, "example.net")}, nil); err != nil {
		t.Fatal(err)
	}
	if w := do(t, s, "GET", "/mail/config-v1.1.xml?emailaddress=a@example.net", ""); w.Code != 200 {
		t.Errorf("after reload: %d", w.Code)
	}
	if w := do(t, s, "GET", "/mail/config-v1.1.xml?emailaddress=a@example.com", ""); w.Code != 404 {
		t.Errorf("a domain dropped by the reload: %d", w.Code)
	}
	if err := s.Reload([]*profiles.Domain{testDomain(t, "example.net"), testDomain(t, "example.net")}, nil); err == nil {
		t.Error("one domain described twice was accepted")
	}
	s.SetReady(false)
	if w := do(t, s, "GET", "/readyz", ""); w.Code != 503 {
		t.Errorf("readyz while shutting down: %d", w.Code)
	}
	if w := do(t, s, "GET", "/healthz", ""); w.Code != 200 {
		t.Errorf("healthz while shutting down: %d", w.Code)
	}
}

func TestMetricsCountByEndpointDomainStatus(t *testing.T) {
	for _, perDomain := range []bool{false, true} {
		s := newTestServer(t, Config{MetricsPerDomain: perDomain})
		do(t, s, "GET", "/mail/config-v1.1.xml?emailaddress=a@example.com", "")
		do(t, s, "GET", "/mail/config-v1.1.xml?emailaddress=a@example.net", "")
		body := do(t, s, "GET", "/metrics", "").Body.String()
		served, other := `domain="*"`, `domain="example.com"`
		if perDomain {
			served, other = other, served
		}
		for _, want := range []string{
			`mailadvisor_serve_requests_total{` + served + `,endpoint="autoconfig",status="200"} 1`,
			`mailadvisor_serve_requests_total{domain="-",endpoint="autoconfig",status="404"} 1`,
			`mailadvisor_serve_request_duration_seconds_bucket{endpoint="autoconfig",le="0.005"}`,
			`go_goroutines`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("per domain %v: metrics lack %s", perDomain, want)
			}
		}
		if strings.Contains(body, other) {
			t.Errorf("per domain %v: metrics have %s", perDomain, other)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{MTASTSMode: "strict"}, "mta-sts"},
		{Config{PublicURL: "ftp://x"}, "public-url"},
		{Config{PublicURL: "https://x/path"}, "public-url"},
		{Config{Rate: 5}, "rate"},
		{Config{Options: profiles.Options{AllowInsecure: true}}, "cleartext"},
	} {
		c.cfg.Domains = []*profiles.Domain{testDomain(t, "example.com")}
		if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error about %s", c.cfg, err, c.want)
		}
	}
}

func TestMTASTSPolicy(t *testing.T) {
	s := newTestServer(t, Config{MTASTSMode: MTASTSEnforce})
	w := do(t, s, "GET", "/.well-known/mta-sts.txt", "", "Host", "mta-sts.example.org:443")
	want := "version: STSv1\r\nmode: enforce\r\nmx: smtp.example.com\r\nmax_age: 604800\r\n"
	if w.Code != 200 || w.Body.String() != want {
		t.Errorf("%d %q, want %q", w.Code, w.Body, want)
	}
}

// The JSON answer names the public URL when one is configured.
func TestAutodiscoverJSONPublicURL(t *testing.T) {
	s := newTestServer(t, Config{PublicURL: "https://autoconfig.example.com/"})
	w := do(t, s, "GET", "/autodiscover/autodiscover.json/v1.0/bob@example.com?Protocol=AutodiscoverV1", "")
	var got struct{ Protocol, Url string }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Url != "https://autoconfig.example.com/autodiscover/autodiscover.xml" {
		t.Errorf("%v %+v", err, got)
	}
}

// The page: the form, labelled; the answer in both languages.
func TestPage(t *testing.T) {
	s := newTestServer(t, Config{})
	form := do(t, s, "GET", "/", "", "Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5")
	for _, want := range []string{`<html lang="fr">`, `<label for="email">Votre adresse e-mail</label>`, `<label for="devices">`, `<label for="connectivity">`, `<legend>`} {
		if !strings.Contains(form.Body.String(), want) {
			t.Errorf("form lacks %s", want)
		}
	}
	if csp := form.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	post := func(values url.Values) *httptest.ResponseRecorder {
		return do(t, s, "POST", "/", values.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	}
	en := post(url.Values{"email": {"erin@example.com"}, "devices": {"3"}, "connectivity": {"good"}, "lang": {"en"}})
	for _, want := range []string{"Use IMAP.", "3 devices", "imap.<wbr>example.<wbr>com", `data-label="Server"`, "993", `href="/mobileconfig?emailaddress=erin%40example.com&amp;protocol=imap"`, `<svg class="qr"`} {
		if !strings.Contains(en.Body.String(), want) {
			t.Errorf("English answer lacks %s", want)
		}
	}
	fr := post(url.Values{"email": {"erin@example.com"}, "devices": {"1"}, "offline": {"on"}, "connectivity": {"intermittent"}, "lang": {"fr"}})
	for _, want := range []string{"Utilisez POP3.", "hors connexion", "pop.<wbr>example.<wbr>com", "erin<wbr>@example.<wbr>com", "995", "jours après le téléchargement", "protocol=pop3"} {
		if !strings.Contains(fr.Body.String(), want) {
			t.Errorf("French answer lacks %s", want)
		}
	}
	for _, c := range []struct {
		values url.Values
		status int
		want   string
	}{
		{url.Values{"email": {"not an address"}}, 400, "not a complete mail address"},
		{url.Values{"email": {"erin@example.net"}}, 404, "no settings for example.net"},
		{url.Values{"email": {"erin@example.com"}, "devices": {"99"}}, 400, "1 to 6"},
		{url.Values{"email": {"erin@example.com"}, "connectivity": {"<script>"}}, 400, "connection types"},
		// An address the browser accepts, in the page's language, not the
		// command line's English.
		{url.Values{"email": {"jean@martin"}, "lang": {"fr"}}, 400, "jean@martin n&#39;est pas une adresse de messagerie complète"},
		{url.Values{"email": {"<b>x</b>"}, "lang": {"fr"}}, 400, "&lt;b&gt;x&lt;/b&gt; n&#39;est pas"},
	} {
		w := post(c.values)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.want) || !strings.Contains(w.Body.String(), `role="alert"`) ||
			strings.Contains(w.Body.String(), "<script>") || strings.Contains(w.Body.String(), "invalid value") {
			t.Errorf("%v: %d, want %d with %q", c.values, w.Code, c.status, c.want)
		}
	}
	if w := do(t, s, "POST", "/", "email="+strings.Repeat("a", DefaultMaxBodyBytes), "Content-Type", "application/x-www-form-urlencoded"); w.Code != 413 {
		t.Errorf("big form: %d", w.Code)
	}
}

// Every reason the page can show is in plain words in both languages.
func TestPageReasonsAreTranslated(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, devices := range deviceChoices {
		for _, offline := range []bool{false, true} {
			for _, conn := range connChoices {
				res, err := s.advise(&pageData{Devices: devices, Offline: offline, Connectivity: conn})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range res.Contributions {
					for _, lang := range []string{"en", "fr"} {
						if _, ok := reasonWords(lang, c.Rule, devices); !ok {
							t.Errorf("rule %s (devices %d, offline %v, %s) has no %s words", c.Rule, devices, offline, conn, lang)
						}
					}
				}
			}
		}
	}
}

// The server's timeouts hold against a client that sends its headers a
// byte at a time (slowloris).
func TestHTTPServerTimeouts(t *testing.T) {
	hs := HTTPServer(newTestServer(t, Config{}), nil)
	if hs.ReadHeaderTimeout == 0 || hs.ReadTimeout == 0 || hs.WriteTimeout == 0 || hs.IdleTimeout == 0 || hs.MaxHeaderBytes == 0 {
		t.Errorf("a timeout or limit is off: %+v", hs)
	}
	hs.ReadHeaderTimeout = 200 * time.Millisecond // the test's own, shorter
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	for time.Since(start) < 5*time.Second {
		if _, err := io.WriteString(c, "X"); err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
		_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
		var b [512]byte
		if n, err := c.Read(b[:]); n > 0 || errors.Is(err, io.EOF) {
			break // closed, or answered 408
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a slow client held the connection for %v", d)
	}
}

// The request as Outlook writes it takes the canonical reader; anything
// else goes to encoding/xml, which gives the same answers.
func TestCanonicalPOX(t *testing.T) {
	outlook := poxRequest("bob@example.com")
	if email, schema, ok := canonicalPOX([]byte(outlook)); !ok || email != "bob@example.com" || schema != outlookRequestSchema {
		t.Errorf("Outlook's request: %q %q %v", email, schema, ok)
	}
	for _, other := range []string{
		strings.Replace(outlook, "bob@example.com", "b&amp;b@example.com", 1),
		strings.Replace(outlook, "bob@example.com", "<![CDATA[bob@example.com]]>", 1),
		strings.Replace(outlook, "bob@example.com", "bob@example.com\r", 1),
		strings.Replace(outlook, `encoding="utf-8"`, `encoding="iso-8859-1"`, 1),
		strings.ReplaceAll(strings.ReplaceAll(outlook, "<Request>", "<a:Request>"), "</Request>", "</a:Request>"),
		strings.Replace(outlook, "</Autodiscover>", "</Autodiscover><!-- -->", 1),
	} {
		if _, _, ok := canonicalPOX([]byte(other)); ok {
			t.Errorf("canonical reader took %q", other)
		}
	}
	s := newTestServer(t, Config{})
	for _, body := range []string{outlook, strings.Replace(outlook, "<EMailAddress>bob@example.com</EMailAddress>", "<EMailAddress><![CDATA[bob@example.com]]></EMailAddress>", 1)} {
		if w := do(t, s, "POST", "/autodiscover/autodiscover.xml", body); w.Code != 200 || !strings.Contains(w.Body.String(), "<LoginName>bob@example.com</LoginName>") {
			t.Errorf("%d for %q", w.Code, body)
		}
	}
}

// Reloads while requests run: each answer is one description's, and once
// the last reload is done, only the last description is served (a form
// made from the old description must not outlive it).
func TestReloadUnderLoad(t *testing.T) {
	desc := func(host string) []*profiles.Domain {
		d := &profiles.Domain{Domains: []string{"example.com"}, Hosts: profiles.Hosts{IMAP: host, POP3: host, SMTP: host}}
		if err := d.Normalize(); err != nil {
			t.Fatal(err)
		}
		return []*profiles.Domain{d}
	}
	hosts := []string{"mail-a.example.com", "mail-b.example.com"}
	s := newTestServer(t, Config{Domains: desc(hosts[0])})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Reload(desc(hosts[i%2]), nil); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range 2000 {
		target := []string{"/mail/config-v1.1.xml?emailaddress=a@example.com", "/mobileconfig?emailaddress=a@example.com"}[i%2]
		body := do(t, s, "GET", target, "").Body.String()
		if strings.Contains(body, hosts[0]) == strings.Contains(body, hosts[1]) {
			t.Fatalf("an answer from both descriptions, or neither:\n%s", body)
		}
	}
	close(stop)
	<-done
	if err := s.Reload(desc("mail-c.example.com"), nil); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/mail/config-v1.1.xml?emailaddress=a@example.com", "/mobileconfig?emailaddress=a@example.com"} {
		if body := do(t, s, "GET", target, "").Body.String(); !strings.Contains(body, "mail-c.example.com") {
			t.Errorf("after the last reload, %s still answers:\n%s", target, body)
		}
	}
}

// GET / is the form rendered once per language: for each of the page's
// languages, GET and HEAD give what the template renders for an empty
// form, and a second request the same bytes.
func TestFormPageRenderedOnce(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, tag := range pageLanguages {
		lang := tag.String()
		var want bytes.Buffer
		if err := pageTemplates()[lang].Execute(&want, emptyPage(lang)); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			w := do(t, s, "GET", "/", "", "Accept-Language", lang)
			if w.Code != http.StatusOK || w.Header().Get("Content-Language") != lang || w.Body.String() != want.String() {
				t.Errorf("GET / in %s: %d, %q, body differs from the template's: %v", lang, w.Code, w.Header().Get("Content-Language"), w.Body.String() != want.String())
			}
			head := do(t, s, "HEAD", "/", "", "Accept-Language", lang)
			if head.Code != http.StatusOK || head.Header().Get("Content-Length") != strconv.Itoa(want.Len()) {
				t.Errorf("HEAD / in %s: %d, Content-Length %s, want %d", lang, head.Code, head.Header().Get("Content-Length"), want.Len())
			}
		}
	}
}

// The one login rule of profiles.LoginError on the server: for a domain
// whose login is the local part, 0042@ gets autoconfig's placeholder, and
// autodiscover, which has none and whose LoginName Thunderbird would read
// as 42, the schema's error (600) instead of a file that logs in as
// someone else; the Apple profile, which Thunderbird does not read, is
// served.
func TestServeLoginRule(t *testing.T) {
	d := &profiles.Domain{Domains: []string{"example.com"}, Username: profiles.UsernameLocalPart,
		Hosts: profiles.Hosts{IMAP: "imap.example.com", POP3: "pop.example.com", SMTP: "smtp.example.com"}}
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Config{Domains: []*profiles.Domain{d}})
	if w := do(t, s, "GET", "/mail/config-v1.1.xml?emailaddress=0042%40example.com", ""); w.Code != 200 || !strings.Contains(w.Body.String(), "<username>%EMAILLOCALPART%</username>") {
		t.Errorf("autoconfig: %d\n%s", w.Code, w.Body)
	}
	w := do(t, s, "POST", "/autodiscover/autodiscover.xml", poxRequest("0042@example.com"))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<ErrorCode>600</ErrorCode>") || strings.Contains(w.Body.String(), "<LoginName>") {
		t.Errorf("autodiscover: %d\n%s", w.Code, w.Body)
	}
	if w := do(t, s, "GET", "/mobileconfig?emailaddress=0042%40example.com", ""); w.Code != 200 {
		t.Errorf("mobileconfig: %d\n%s", w.Code, w.Body)
	}
}
