package serve

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzAutodiscoverBody: any body gives an address at most, or an error;
// never a panic, and a request with it never a 5xx.
func FuzzAutodiscoverBody(f *testing.F) {
	f.Add(poxRequest("bob@example.com"))
	f.Add(poxRequest(""))
	f.Add(`<?xml version="1.0" encoding="iso-8859-1"?><Autodiscover><Request><EMailAddress>b@example.com</EMailAddress></Request></Autodiscover>`)
	f.Add(`<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Autodiscover><Request><EMailAddress>&b;@example.com</EMailAddress></Request></Autodiscover>`)
	f.Add("\xff\xfe<\x00A\x00")
	f.Add(`<Autodiscover><Request><EMailAddress>a@example.com</EMailAddress><EMailAddress>b<x>c</x>@example.com</EMailAddress></Request></Autodiscover>trailing`)
	f.Add(`<a:Autodiscover xmlns:a="urn:x"><a:Request><a:EMailAddress><![CDATA[c@example.com]]></a:EMailAddress></a:Request></a:Autodiscover>`)
	s := newTestServer(f, Config{})
	f.Fuzz(func(t *testing.T, body string) {
		addr, err := parseAutodiscover(strings.NewReader(body))
		if (addr == nil) == (err == nil) {
			t.Fatalf("address %v and error %v", addr, err)
		}
		// What the canonical reader accepts, encoding/xml reads the same.
		if email, schema, ok := canonicalPOX([]byte(body)); ok {
			var req autodiscoverRequest
			if err := xml.Unmarshal([]byte(body), &req); err != nil || req.Request.EMailAddress != email || req.Request.AcceptableResponseSchema != schema {
				t.Fatalf("canonical %q %q; encoding/xml %+v %v", email, schema, req.Request, err)
			}
		}
		w := do(t, s, "POST", "/autodiscover/autodiscover.xml", body)
		if w.Code >= 500 {
			t.Fatalf("%d for %q: %s", w.Code, body, w.Body)
		}
	})
}

// FuzzQuery: any query string on any endpoint is answered, never with a
// 5xx, and an error names what was wrong in one short text.
func FuzzQuery(f *testing.F) {
	f.Add("/mail/config-v1.1.xml", "emailaddress=alice@example.com")
	f.Add("/mobileconfig", "emailaddress=alice@EXAMPLE.com&name=%C3%89lise&protocol=pop3")
	f.Add("/autodiscover/autodiscover.json/v1.0/a@example.com", "Protocol=AutodiscoverV1")
	f.Add("/mobileconfig", "emailaddress=%22a%20b%22@example.com&name=%00")
	f.Add("/", "lang=fr&email=x")
	s := newTestServer(f, Config{})
	f.Fuzz(func(t *testing.T, path, query string) {
		u := &url.URL{Path: "/" + strings.TrimPrefix(path, "/"), RawQuery: query}
		r := (&http.Request{Method: "GET", URL: u, Host: "example.com", Header: http.Header{},
			Body: http.NoBody, RemoteAddr: "192.0.2.1:1234", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}).WithContext(context.Background())
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%d for %s: %s", w.Code, u, w.Body)
		}
	})
}
