package discover

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/profiles"
)

// A PACC document whose record matches comes first, its servers on
// PACC's implied ports with the whole address as login; one whose bytes
// the record does not match, or that has no record, is not used, and the
// attempt says why; the autoconfig file is used then.
func TestPACC(t *testing.T) {
	doc := `{"authentication":{"oauth-public":{"issuer":"https://login.pacc.example/"},"password":true},"info":{"provider":{"name":"Pacc"}},"protocols":{"imap":{"host":"imap.pacc.example"},"submit":{"host":"smtp.pacc.example"}}}` + "\n"
	record := `_ua-auto-config.%s. 300 IN TXT "` + profiles.PACCDigest([]byte(doc)) + `"`
	changed := strings.Replace(doc, "imap.pacc", "evil.pacc", 1)
	srv := web(t, map[string]func(w http.ResponseWriter, r *http.Request){
		"/pacc/good.example":                        body(doc),
		"/pacc/changed.example":                     body(changed),
		"/pacc/bare.example":                        body(doc),
		"/own/changed.example/mail/config-v1.1.xml": body(configFor("changed.example")),
		"/own/bare.example/mail/config-v1.1.xml":    body(configFor("bare.example")),
	})
	zone := []string{}
	for _, d := range []string{"good.example", "changed.example"} {
		zone = append(zone, strings.ReplaceAll(record, "%s", d))
	}
	cfg := config(srv, dnsServer(t, zone...), true)

	res, err := Discover(context.Background(), cfg, "alice@good.example")
	if err != nil {
		t.Fatalf("%v\n%s", err, attempts(res))
	}
	if !strings.HasPrefix(res.Source, "PACC ") {
		t.Errorf("source %q, want PACC first\n%s", res.Source, attempts(res))
	}
	want := []Server{
		{Protocol: "imap", Host: "imap.pacc.example", Port: 993, Security: "tls", Username: "alice@good.example", Auth: []string{"OAuth2", "password-cleartext"}},
		{Protocol: "smtp", Host: "smtp.pacc.example", Port: 465, Security: "tls", Username: "alice@good.example", Auth: []string{"OAuth2", "password-cleartext"}},
	}
	if len(res.Servers) != len(want) || res.Servers[0].Host != want[0].Host || res.Servers[1].Port != 465 || res.Servers[0].Username != want[0].Username ||
		strings.Join(res.Servers[0].Auth, ",") != "OAuth2,password-cleartext" {
		t.Errorf("servers %+v, want %+v", res.Servers, want)
	}
	if res.OAuth2 == nil || res.OAuth2.Issuer != "login.pacc.example" {
		t.Errorf("oauth2 %+v", res.OAuth2)
	}

	for domain, why := range map[string]string{
		"changed.example": "not used: the document's digest is d=",
		"bare.example":    "has no TXT record",
	} {
		res, err := Discover(context.Background(), cfg, "alice@"+domain)
		if err != nil {
			t.Fatalf("%s: %v\n%s", domain, err, attempts(res))
		}
		if strings.HasPrefix(res.Source, "PACC ") || !strings.Contains(res.Tried[0].Result, why) {
			t.Errorf("%s: source %q, first attempt %+v, want PACC refused with %q", domain, res.Source, res.Tried[0], why)
		}
		if res.Servers[0].Host != "imap."+domain {
			t.Errorf("%s: servers %+v, want the autoconfig file's", domain, res.Servers)
		}
	}
}
