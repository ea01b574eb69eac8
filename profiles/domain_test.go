package profiles

import (
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	good := map[string]Address{
		"alice@example.com":      {"alice@example.com", "alice", "example.com"},
		"o'neil+tag@example.com": {"o'neil+tag@example.com", "o'neil+tag", "example.com"},
		"jo@Bücher.example":      {"jo@xn--bcher-kva.example", "jo", "xn--bcher-kva.example"},
	}
	for in, want := range good {
		got, err := ParseAddress("email", in)
		if err != nil || got != want {
			t.Errorf("ParseAddress(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "alice", "@example.com", "alice@", "Alice <alice@example.com>", "a b@example.com",
		"alice@example.com\r\nBcc: x@y.z", "alice\x01@example.com", `"a"@example.com`, "alice@localhost", strings.Repeat("a", 65) + "@example.com"} {
		if _, err := ParseAddress("email", bad); err == nil {
			t.Errorf("ParseAddress(%q) accepted", bad)
		}
	}
}

func TestDecodeDomain(t *testing.T) {
	d, err := DecodeDomain(strings.NewReader("domains: [Bücher.example]\n"), "d.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d.Domains[0] != "xn--bcher-kva.example" || d.Hosts.IMAP != "mail.xn--bcher-kva.example" || d.Hosts.SMTP != "mail.xn--bcher-kva.example" ||
		d.Username != UsernameAddress || d.Authentication != AuthPassword || len(d.Services) != 3 || d.ShortName != "bücher" || d.DisplayName != "bücher.example" {
		t.Errorf("defaults: %+v", d)
	}
	tests := []struct{ doc, want string }{
		{"", "empty domain file"},
		{"domains: []\n", "domains: invalid value"},
		{"domains: [example.com]\nhostz: {}\n", `d.yaml: line 2: unknown key "hostz"`},
		{"domains: [example.com]\nhosts: {imap: 'bad host'}\n", `hosts.imap: invalid value "bad host"`},
		{"domains: [example.com]\nservices: [imap, smtp, nntp]\n", `services: invalid value "nntp"`},
		{"domains: [example.com]\nservices: [imap]\n", "services: invalid value"},
		{"domains: [example.com]\nusername: uid\n", `username: invalid value "uid": want one of address, localpart`},
		{"domains: [example.com]\nauthentication: kerberos\n", `authentication: invalid value "kerberos"`},
		{"domains: [example.com]\nauthentication: oauth2\n", "oauth2: invalid value"},
		{"domains: [example.com]\nauthentication: oauth2\noauth2: {issuer: auth.example.com, scope: mail, auth_url: 'http://x.example/a', token_url: 'https://x.example/t'}\n", "oauth2.auth_url"},
		{"domains: [example.com]\ndisplay_name: \"A\\nB\"\n", "display_name: invalid value"},
		{"domains: [example.com]\nshort_name: " + strings.Repeat("x", 21) + "\n", "short_name: invalid value"},
		{"domains: [example.com]\ndocumentation_url: ftp://example.com\n", "documentation_url: invalid value"},
		{"domains: [example.com]\nleave_on_server_days: -1\n", "leave_on_server_days: invalid value"},
	}
	for _, tc := range tests {
		_, err := DecodeDomain(strings.NewReader(tc.doc), "d.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.doc, err, tc.want)
		}
	}
}

func TestSecureByDefault(t *testing.T) {
	p := examplePlan(t, "alice@example.com", Options{})
	for _, e := range append(p.Incoming, p.Outgoing...) {
		if e.Security == SecurityNone || e.Port == 143 || e.Port == 110 || e.Port == 25 {
			t.Errorf("default plan lists %+v", e)
		}
	}
	if p.Incoming[0].Port != 993 || p.Outgoing[0].Port != 465 || p.Outgoing[1].Port != 587 {
		t.Errorf("order: %+v %+v", p.Incoming, p.Outgoing)
	}
	insecure := examplePlan(t, "alice@example.com", Options{AllowInsecure: true})
	if !insecure.Insecure() {
		t.Fatal("AllowInsecure lists no cleartext endpoint")
	}
	for _, e := range append(insecure.Incoming, insecure.Outgoing...) {
		if e.Security == SecurityNone {
			for _, a := range e.Auth {
				if a != AuthPasswordEncrypted {
					t.Errorf("cleartext endpoint %+v with %s", e, a)
				}
			}
		}
	}
}

func TestOAuth2ComesWithAPasswordFallback(t *testing.T) {
	d, err := DecodeDomain(strings.NewReader(`domains: [example.com]
authentication: oauth2
oauth2: {issuer: auth.example.com, scope: "mail offline", auth_url: "https://auth.example.com/a", token_url: "https://auth.example.com/t"}
`), "d.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(d, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteAutoconfig(&b, p); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "<authentication>OAuth2</authentication>\n      <authentication>password-cleartext</authentication>") ||
		!strings.Contains(out, "<oAuth2>") || !strings.Contains(out, "<tokenURL>https://auth.example.com/t</tokenURL>") {
		t.Errorf("autoconfig:\n%s", out)
	}
}

func TestPlanRejectsAProtocolNotOffered(t *testing.T) {
	d := exampleDomain(t)
	d.Services = []string{IMAP, SMTP}
	if _, err := NewPlan(d, nil, Options{Preferred: POP3}); err == nil || !strings.Contains(err.Error(), "protocol") {
		t.Errorf("error = %v", err)
	}
}

func TestPortOverrides(t *testing.T) {
	d, err := DecodeDomain(strings.NewReader("domains: [example.test]\nports: {imaps: 10993, submissions: 10465, submission: 10587}\n"), "d.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewPlan(d, nil, Options{})
	if p.Incoming[0].Port != 10993 || p.Outgoing[0].Port != 10465 || p.Outgoing[1].Port != 10587 {
		t.Errorf("ports: %+v %+v", p.Incoming, p.Outgoing)
	}
	for _, r := range SRVRecords(p) {
		if r.Owner == "_imaps._tcp.example.test." && r.Port != 10993 {
			t.Errorf("SRV %+v", r)
		}
	}
	if _, err := DecodeDomain(strings.NewReader("domains: [example.test]\nports: {imaps: 70000}\n"), "d.yaml"); err == nil || !strings.Contains(err.Error(), "ports.imaps") {
		t.Errorf("error = %v", err)
	}
}

// A long domain works in every format: the names derived from it are cut
// to the lengths the formats allow, instead of failing on fields nobody set.
func TestLongDomainWorks(t *testing.T) {
	long := strings.Repeat("a", 40) + "." + strings.Repeat("b", 30) + ".example"
	d := &Domain{Domains: []string{long}}
	if err := d.Normalize(); err != nil {
		t.Fatalf("a %d-character domain: %v", len(long), err)
	}
	if n := len([]rune(d.ShortName)); n > 20 || len([]rune(d.DisplayName)) > 60 {
		t.Errorf("short name %q, display name %q", d.ShortName, d.DisplayName)
	}
	addr, _ := ParseAddress("email", "x@"+long)
	p, err := NewPlan(d, &addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkAllParse(t, p)
}
