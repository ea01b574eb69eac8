package serve

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// request is a GET from peer with the given headers (pairs).
func request(target, peer string, header ...string) *http.Request {
	r := httptest.NewRequest("GET", target, nil)
	r.RemoteAddr = peer
	for i := 0; i+1 < len(header); i += 2 {
		if strings.EqualFold(header[i], "Host") {
			r.Host = header[i+1]
			continue
		}
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// The client's address and scheme come from the forwarding headers only
// when the peer is a trusted proxy, and then from the rightmost hop that
// is not one.
func TestOriginBehindTrustedProxies(t *testing.T) {
	s := newTestServer(t, Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}})
	for _, c := range []struct {
		peer   string
		header []string
		addr   string
		https  bool
	}{
		// Not a proxy: the headers are the client's word.
		{"192.0.2.7:4000", []string{"X-Forwarded-For", "198.51.100.1", "X-Forwarded-Proto", "https"}, "192.0.2.7", false},
		// The ingress: the client is the hop before it.
		{"10.1.2.3:4000", []string{"X-Forwarded-For", "198.51.100.1", "X-Forwarded-Proto", "https"}, "198.51.100.1", true},
		// A client that forges a hop: the rightmost hop not trusted wins.
		{"10.1.2.3:4000", []string{"X-Forwarded-For", "203.0.113.66, 198.51.100.1"}, "198.51.100.1", false},
		// Two proxies of ours.
		{"10.1.2.3:4000", []string{"X-Forwarded-For", "198.51.100.1, 10.9.9.9"}, "198.51.100.1", false},
		// Several header lines are one list.
		{"10.1.2.3:4000", []string{"X-Forwarded-For", "203.0.113.66", "X-Forwarded-For", "198.51.100.2"}, "198.51.100.2", false},
		// Forwarded (RFC 7239), IPv6 with a port, quoted; it wins over X-Forwarded-For.
		{"[fd00::1]:4000", []string{"Forwarded", `for="[2001:db8::5]:4711";proto=https`, "X-Forwarded-For", "203.0.113.66"}, "2001:db8::5", true},
		{"10.1.2.3:4000", []string{"Forwarded", "for=192.0.2.60;proto=http, for=10.0.0.9"}, "192.0.2.60", false},
		// A hop it cannot read: the peer stays the client's key.
		{"10.1.2.3:4000", []string{"X-Forwarded-For", "unknown"}, "10.1.2.3", false},
		// Only proxies: the nearest is the key.
		{"10.1.2.3:4000", []string{"X-Forwarded-For", "10.2.2.2"}, "10.1.2.3", false},
	} {
		o := s.originOf(request("/", c.peer, c.header...))
		if o.addr.String() != c.addr || o.https != c.https {
			t.Errorf("peer %s %q: %+v, want %s https=%t", c.peer, c.header, o, c.addr, c.https)
		}
	}
}

// Behind a trusted proxy, each client has its own bucket: one abuser no
// longer starves everyone who comes through the same ingress.
func TestRateLimitBehindAProxy(t *testing.T) {
	s := newTestServer(t, Config{Rate: 1, Burst: 2, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	get := func(client string) int {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, request("/mail/config-v1.1.xml?emailaddress=a@example.com", "10.0.0.1:1000", "X-Forwarded-For", client))
		return w.Code
	}
	for range 20 {
		get("198.51.100.66") // the abuser
	}
	if code := get("198.51.100.66"); code != http.StatusTooManyRequests {
		t.Errorf("the abuser: %d, want 429", code)
	}
	for i := range 5 {
		if code := get("192.0.2." + string(rune('1'+i))); code != http.StatusOK {
			t.Errorf("legitimate client %d: %d, want 200", i, code)
		}
	}
}

// Links are made only of hosts the server answers for; a request with
// another Host gets no link: an error for Outlook's redirect, no QR code
// on the page. Behind a TLS proxy the link is https.
func TestLinksOnlyForServedHosts(t *testing.T) {
	s := newTestServer(t, Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	json := "/autodiscover/autodiscover.json/v1.0/a@example.com?Protocol=AutodiscoverV1"
	for _, host := range []string{"evil.example", "example.com.evil.example", "127.0.0.1:8080"} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, request(json, "192.0.2.1:1", "Host", host))
		if w.Code != http.StatusMisdirectedRequest || strings.Contains(w.Body.String(), "evil") {
			t.Errorf("Host %s: %d %s, want 421 and no link", host, w.Code, w.Body)
		}
	}
	for _, host := range []string{"autodiscover.example.com", "example.org", "autoconfig.example.org:8443"} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, request(json, "10.0.0.1:1", "Host", host))
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"https://`+host+`/autodiscover/autodiscover.xml"`) {
			t.Errorf("Host %s: %d %s", host, w.Code, w.Body)
		}
	}
	page := func(host string, header ...string) string {
		r := httptest.NewRequest("POST", "/", strings.NewReader("email=a%40example.com"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Host, r.RemoteAddr = host, "10.0.0.1:1"
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("page for %s: %d", host, w.Code)
		}
		return w.Body.String()
	}
	if body := page("evil.example"); strings.Contains(body, "<svg") || strings.Contains(body, "evil.example") {
		t.Error("the page made a QR code of a Host it does not serve")
	} else if strings.Contains(body, "Scan this code") {
		t.Error("the page asks to scan a QR code it does not show")
	}
	if body := page("autoconfig.example.com", "X-Forwarded-Proto", "https"); !strings.Contains(body, "<svg") {
		t.Error("no QR code for a served host")
	}
}

// No log line holds a client's IP address or a mail address, whatever
// the path.
func TestAccessLogHoldsNoAddress(t *testing.T) {
	var logs bytes.Buffer
	accessLog, err := NewAccessLog(&logs, LogJSON)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Config{AccessLog: accessLog})
	for _, path := range []string{
		"/autodiscover/autodiscover.json/v1.0/alice@example.com?Protocol=AutodiscoverV1",
		"/autodiscover/autodiscover.json/v2.0/alice@example.com?Protocol=AutodiscoverV1",
		"/nothing/here/alice@example.com",
		"/users/alice%40example.com/x",
		"/mail/config-v1.1.xml?emailaddress=alice@example.com",
	} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, request(path, "198.51.100.23:47113"))
	}
	// The port as it would be logged (":47113" or a field of its own):
	// bare digits also occur in the times and durations of any line.
	for _, secret := range []string{"alice", "198.51.100.23", ":47113", `"47113"`, "=47113"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs.String())
		}
	}
}
