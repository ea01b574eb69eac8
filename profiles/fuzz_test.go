package profiles

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"howett.net/plist"
)

func FuzzDecodeDomain(f *testing.F) {
	f.Add("domains: [example.com]\n")
	f.Add("domains: [Bücher.example]\ndisplay_name: \"A & B\"\nservices: [pop3, smtp]\n")
	f.Add("domains: [example.com]\nauthentication: oauth2\noauth2: {issuer: a.example, scope: s, auth_url: 'https://a.example/x', token_url: 'https://a.example/y'}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		d, err := DecodeDomain(strings.NewReader(doc), "fuzz.yaml")
		if err != nil {
			return
		}
		p, err := NewPlan(d, nil, Options{})
		if err != nil {
			t.Fatalf("valid domain %+v gives no plan: %v", d, err)
		}
		checkAllParse(t, p)
	})
}

// FuzzGenerators feeds arbitrary names, addresses and hosts to every
// generator: each input is either rejected or gives files that parse back
// to the same values.
func FuzzGenerators(f *testing.F) {
	f.Add(`Müller & Söhne <IT> "Büro"`, "M&S", "o'neil+tag@example.com", "mail.example.com", true)
	f.Add("]]><x>", "<!--", "a@b.example", "mail.xn--bcher-kva.example", false)
	f.Fuzz(func(t *testing.T, display, short, email, host string, preferPOP bool) {
		addr, err := ParseAddress("email", email)
		if err != nil {
			return
		}
		d := &Domain{Domains: []string{addr.Domain}, DisplayName: display, ShortName: short, Hosts: Hosts{IMAP: host, POP3: host, SMTP: host}}
		if d.Normalize() != nil {
			return
		}
		opts := Options{}
		if preferPOP {
			opts.Preferred = POP3
		}
		p, err := NewPlan(d, &addr, opts)
		if err != nil {
			t.Fatal(err)
		}
		p.UserName = display // the person's name, any text a user gives
		checkAllParse(t, p)
	})
}

func checkAllParse(t *testing.T, p *Plan) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteAutoconfig(&b, p); err != nil {
		t.Fatal(err)
	}
	var cc clientConfig
	if err := xml.Unmarshal(b.Bytes(), &cc); err != nil {
		t.Fatalf("autoconfig does not parse: %v\n%s", err, b.String())
	}
	if cc.Provider.DisplayName != p.Domain.DisplayName || cc.Provider.DisplayShortName != p.Domain.ShortName ||
		cc.Provider.Incoming[0].Username != AutoconfigLogin(p) {
		t.Fatalf("autoconfig round trip: %+v", cc.Provider)
	}
	data, err := MobileconfigBytes(p)
	if err != nil {
		t.Fatal(err)
	}
	var prof profileRead
	if _, err := plist.Unmarshal(data, &prof); err != nil || prof.PayloadContent[0].EmailAccountDescription != p.Domain.DisplayName {
		t.Fatalf("mobileconfig round trip: %v %+v", err, prof)
	}
	if p.Address != nil {
		b.Reset()
		if err := WriteAutodiscover(&b, p); err != nil {
			t.Fatal(err)
		}
		var ad autodiscoverXML
		if err := xml.Unmarshal(b.Bytes(), &ad); err != nil || (p.UserName != "") != (ad.Response.User != nil) ||
			ad.Response.User != nil && ad.Response.User.DisplayName != p.UserName || ad.Response.Account.Protocols[0].LoginName != p.Username {
			t.Fatalf("autodiscover round trip: %v %+v", err, ad)
		}
		if prof.PayloadContent[0].EmailAccountName != p.UserName {
			t.Fatalf("mobileconfig EmailAccountName %q, want the person's name %q", prof.PayloadContent[0].EmailAccountName, p.UserName)
		}
	}
	b.Reset()
	if err := WriteSRV(&b, p); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(b.String(), "\n"); lines != 1+6*len(p.Domain.Domains) {
		t.Fatalf("SRV has %d lines:\n%s", lines, b.String())
	}
	if _, err := json.Marshal(NewSheet(p)); err != nil {
		t.Fatal(err)
	}
}
