package profiles

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"

	"howett.net/plist"
)

// The rules the clients' own parsers apply (shared/reference, section 11:
// Thunderbird desktop's readFromXML.sys.mjs and JXON.sys.mjs, Thunderbird
// for Android's RealAutoconfigParser.kt, Apple's com.apple.mail.managed.yaml,
// Microsoft's autodiscover POX schema), over every option combination.
func TestClientParserRules(t *testing.T) {
	for _, email := range []string{"", "alice@example.com"} {
		for _, opts := range []Options{{}, {AllowSTARTTLS: true}, {AllowInsecure: true}, {AllowInsecure: true, AllowSTARTTLS: true},
			{Preferred: POP3}, {Preferred: POP3, AllowInsecure: true}} {
			name := fmt.Sprintf("%q/%+v", email, opts)
			p := examplePlan(t, email, opts)
			t.Run(name+"/autoconfig", func(t *testing.T) { k9Rules(t, p) })
			if email != "" {
				t.Run(name+"/autodiscover", func(t *testing.T) { autodiscoverRules(t, p) })
			}
			t.Run(name+"/mobileconfig", func(t *testing.T) { appleRules(t, p) })
		}
	}
}

// k9Rules: RealAutoconfigParser.kt aborts the whole file on a socketType
// other than SSL or STARTTLS; values are not trimmed; it maps only the
// OAuth2, password-cleartext and password-encrypted methods; it needs an
// IMAP incoming server (POP3 ones are skipped) unless the file is POP3-only.
func k9Rules(t *testing.T, p *Plan) {
	cc := parseBack[clientConfig](t, WriteAutoconfig, p)
	servers := append(append([]autoconfServer{}, cc.Provider.Incoming...), cc.Provider.Outgoing...)
	for _, s := range servers {
		if s.SocketType != "SSL" && s.SocketType != "STARTTLS" {
			t.Errorf("socketType %q: Thunderbird for Android rejects the whole file", s.SocketType)
		}
		for _, a := range s.Authentication {
			if a != "OAuth2" && a != "password-cleartext" && a != "password-encrypted" {
				t.Errorf("authentication %q is not one Thunderbird for Android maps", a)
			}
		}
		if strings.TrimSpace(s.Hostname) != s.Hostname || strings.TrimSpace(s.Username) != s.Username {
			t.Errorf("untrimmed value in %+v", s)
		}
	}
	if len(cc.Provider.Outgoing) == 0 {
		t.Error("no outgoing server")
	}
}

// autodiscoverRules: Encryption is SSL (implicit TLS) or TLS (STARTTLS),
// never None with a login; SPA is always off (absent means on).
func autodiscoverRules(t *testing.T, p *Plan) {
	ad := parseBack[autodiscoverXML](t, WriteAutodiscover, p)
	for _, pr := range ad.Response.Account.Protocols {
		if pr.Encryption != "SSL" && pr.Encryption != "TLS" || pr.SSL != "on" {
			t.Errorf("%s on %d: Encryption %q SSL %q pairs a password with a cleartext port", pr.Type, pr.Port, pr.Encryption, pr.SSL)
		}
		if pr.SPA != "off" {
			t.Errorf("%s: SPA %q", pr.Type, pr.SPA)
		}
	}
}

// appleRules: the required keys are there with their types, the ports are
// integers, and a profile uses SSL (it cannot express STARTTLS).
func appleRules(t *testing.T, p *Plan) {
	data, err := MobileconfigBytes(p)
	if err != nil {
		t.Fatal(err)
	}
	var prof map[string]any
	if _, err := plist.Unmarshal(data, &prof); err != nil {
		t.Fatal(err)
	}
	content := prof["PayloadContent"].([]any)[0].(map[string]any)
	for _, key := range []string{"EmailAccountType", "IncomingMailServerHostName", "IncomingMailServerAuthentication",
		"OutgoingMailServerHostName", "OutgoingMailServerAuthentication", "PayloadIdentifier", "PayloadUUID", "PayloadType"} {
		if _, ok := content[key].(string); !ok {
			t.Errorf("%s: missing or not a string", key)
		}
	}
	for _, key := range []string{"IncomingMailServerPortNumber", "OutgoingMailServerPortNumber", "PayloadVersion"} {
		if _, ok := content[key].(uint64); !ok {
			t.Errorf("%s: %T, want an integer", key, content[key])
		}
	}
	if content["IncomingMailServerUseSSL"] != true || content["OutgoingMailServerUseSSL"] != true {
		t.Error("a profile must use SSL: it cannot express STARTTLS or cleartext")
	}
}

// Apple UUIDs come from the case-folded address: Alice@ and alice@ are
// one mailbox, and a regenerated profile replaces the installed one.
func TestProfileUUIDIgnoresCase(t *testing.T) {
	if ProfileUUID("Alice@Example.com", "Configuration") != ProfileUUID("alice@example.com", "Configuration") {
		t.Error("UUIDs differ by case")
	}
}

// parseBack writes a plan with write and reads the XML back into a T,
// as a client's parser would; it fails the test on either error.
func parseBack[T any](t testing.TB, write func(io.Writer, *Plan) error, p *Plan) T {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b, p); err != nil {
		t.Fatal(err)
	}
	var v T
	if err := xml.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	return v
}
