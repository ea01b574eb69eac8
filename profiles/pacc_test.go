package profiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// The PACC document of a plan: the implicit-TLS endpoints on their own
// ports, the provider, the OAuth2 issuer as a URL; what PACC cannot carry
// said in notes; nothing it can carry, an error. The record's digest
// verifies the same bytes, as dig prints it too, and no other.
func TestPACC(t *testing.T) {
	d := &Domain{Domains: []string{"example.com", "example.net"}, DisplayName: "Example Mail", ShortName: "Example",
		Hosts: Hosts{IMAP: "imap.example.com", POP3: "pop.example.com", SMTP: "smtp.example.com"},
		Ports: Ports{Submissions: 4650}, Authentication: AuthOAuth2,
		OAuth2: &OAuth2{Issuer: "login.example.com", Scope: "mail", AuthURL: "https://login.example.com/auth", TokenURL: "https://login.example.com/token"}}
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(d, nil, Options{Preferred: IMAP})
	if err != nil {
		t.Fatal(err)
	}
	body, notes, err := PACC(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	want := `{"authentication":{"oauth-public":{"issuer":"https://login.example.com"},"password":true},"info":{"provider":{"name":"Example Mail","shortName":"Example"}},"protocols":{"imap":{"host":"imap.example.com"},"pop3":{"host":"pop.example.com"}}}` + "\n"
	if string(body) != want {
		t.Errorf("PACC:\n%s\nwant\n%s", body, want)
	}
	joined := strings.Join(notes, "\n")
	for _, n := range []string{"smtp on port 4650 is left out", "smtp on port 587 (starttls) is left out", "no submission on 465"} {
		if !strings.Contains(joined, n) {
			t.Errorf("notes lack %q:\n%s", n, joined)
		}
	}
	record := PACCDigest(body)
	for _, r := range [][]string{{record}, {"v=spf1 -all", record}, {`"` + record + `"`}, {`"` + record[:20] + `" "` + record[20:] + `"`}} {
		if err := VerifyPACC(body, r); err != nil {
			t.Errorf("VerifyPACC(%q): %v", r, err)
		}
	}
	changed := bytes.Replace(body, []byte("imap.example.com"), []byte("imap.example.con"), 1)
	if err := VerifyPACC(changed, []string{record}); err == nil || !strings.Contains(err.Error(), "the records say d=") {
		t.Errorf("a changed byte verified: %v", err)
	}
	if err := VerifyPACC(body, []string{"v=spf1 -all"}); err == nil || !strings.Contains(err.Error(), "no v=UAAC1 record") {
		t.Errorf("no record: %v", err)
	}
	if got := PACCRecord("example.com", body); !strings.HasPrefix(got, `_ua-auto-config.example.com. 3600 IN TXT "v=UAAC1; a=sha256; d=`) {
		t.Errorf("record %s", got)
	}

	// STARTTLS only: nothing PACC carries.
	d2 := &Domain{Domains: []string{"example.com"}, Ports: Ports{IMAPS: 10993, POP3S: 10995, Submissions: 10465}}
	if err := d2.Normalize(); err != nil {
		t.Fatal(err)
	}
	p2, _ := NewPlan(d2, nil, Options{Preferred: IMAP, AllowSTARTTLS: true})
	if _, _, err := PACC(p2); !errors.Is(err, ErrPACCEmpty) {
		t.Errorf("no standard implicit-TLS port: %v, want ErrPACCEmpty", err)
	}
}
