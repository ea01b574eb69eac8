package lint

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"
	"howett.net/plist"

	"github.com/mailadvisor/mailadvisor/internal/jxon"

	"github.com/mailadvisor/mailadvisor/internal/mailports"
)

// The mail payload's type (Apple's com.apple.mail.managed.yaml).
const mailPayloadType = "com.apple.mail.managed"

// appleKeyTypes are the types Apple's schema gives the keys lint checks.
var appleKeyTypes = map[string]string{
	"PayloadVersion":                          "integer",
	"PayloadIdentifier":                       "string",
	"PayloadUUID":                             "string",
	"PayloadType":                             "string",
	"PayloadDisplayName":                      "string",
	"EmailAccountType":                        "string",
	"IncomingMailServerHostName":              "string",
	"IncomingMailServerPortNumber":            "integer",
	"IncomingMailServerUseSSL":                "boolean",
	"IncomingMailServerAuthentication":        "string",
	"OutgoingMailServerHostName":              "string",
	"OutgoingMailServerPortNumber":            "integer",
	"OutgoingMailServerUseSSL":                "boolean",
	"OutgoingMailServerAuthentication":        "string",
	"OutgoingPasswordSameAsIncomingPassword":  "boolean",
	"PreventMove":                             "boolean",
	"PreventAppSheet":                         "boolean",
	"SMIMEEnabled":                            "boolean",
	"disableMailRecentsSyncing":               "boolean",
	"allowMailDrop":                           "boolean",
	"IncomingMailServerUsername":              "string",
	"OutgoingMailServerUsername":              "string",
	"EmailAddress":                            "string",
	"EmailAccountName":                        "string",
	"EmailAccountDescription":                 "string",
	"PayloadRemovalDisallowed":                "boolean",
	"PayloadDescription":                      "string",
	"PayloadOrganization":                     "string",
	"PayloadContent":                          "array",
	"IncomingMailServerIMAPPathPrefix":        "string",
	"OutgoingMailServerUseSSLCertificateOnly": "boolean",
}

var (
	payloadKeys = []string{"PayloadIdentifier", "PayloadUUID", "PayloadType", "PayloadVersion"}
	mailKeys    = []string{"EmailAccountType", "IncomingMailServerHostName", "IncomingMailServerAuthentication",
		"OutgoingMailServerHostName", "OutgoingMailServerAuthentication"}
)

func checkMobileconfig(r *report, data []byte) {
	signed := false
	if head := bytes.TrimLeft(data, " \t\r\n"); len(head) > 2 && head[0] == 0x30 {
		if err := checkDER(head); err != nil {
			r.add("apple-malformed", 0, "a signed profile (DER) that cannot be read: %v", err)
			return
		}
		p7, err := pkcs7.Parse(head)
		if err != nil {
			r.add("apple-malformed", 0, "a signed profile (DER) that cannot be read: %v", err)
			return
		}
		signed, data = true, p7.Content
		checkSignature(r, p7, time.Now())
	}
	if bytes.HasPrefix(data, []byte("bplist00")) {
		if err := checkBinaryPlist(data); err != nil {
			r.add("apple-malformed", 0, "not a property list a device can read: %v", err)
			return
		}
	}
	var top map[string]any
	if _, err := plist.Unmarshal(data, &top); err != nil {
		r.add("apple-malformed", 0, "not a property list: %v", err)
		return
	}
	lines := plistLines(data)
	if !signed {
		r.add("apple-unsigned", 0, "the profile is not signed: devices show it as Unverified")
	}
	checkPayloadKeys(r, top, "the profile", lines)
	if t, _ := top["PayloadType"].(string); t != "" && t != "Configuration" {
		r.add("apple-malformed", lines["PayloadType"], "top-level PayloadType %q: want Configuration", t)
	}
	content, ok := top["PayloadContent"].([]any)
	if !ok {
		r.add("apple-malformed", lines["PayloadContent"], "no PayloadContent array")
		return
	}
	mail := 0
	for i, c := range content {
		p, ok := c.(map[string]any)
		if !ok {
			r.add("apple-wrong-type", lines["PayloadContent"], "PayloadContent item %d is not a dictionary", i+1)
			continue
		}
		if t, _ := p["PayloadType"].(string); t != mailPayloadType {
			continue
		}
		mail++
		what := fmt.Sprintf("mail payload %d", i+1)
		checkPayloadKeys(r, p, what, lines)
		for _, k := range mailKeys {
			if _, ok := p[k]; !ok {
				r.add("apple-missing-key", 0, "%s has no %s", what, k)
			}
		}
		for _, side := range []string{"Incoming", "Outgoing"} {
			if _, ok := p[side+"Password"]; ok {
				r.add("apple-password", lines[side+"Password"], "%s holds %sPassword", what, side)
			}
			ssl, isBool := p[side+"MailServerUseSSL"].(bool)
			if isBool && !ssl || !isBool && p[side+"MailServerUseSSL"] == nil {
				r.add("apple-no-ssl", lines[side+"MailServerUseSSL"], "%s: %sMailServerUseSSL is not true: the %s server is reached in clear", what, side, strings.ToLower(side))
			}
			if port, ok := asInt(p[side+"MailServerPortNumber"]); ok && ssl &&
				slices.Contains([]int{mailports.IMAP, mailports.POP3, mailports.Submission, mailports.SMTP}, port) {
				r.add("apple-starttls-port", lines[side+"MailServerPortNumber"], "%s: %sMailServerUseSSL true on port %d, a STARTTLS port", what, side, port)
			}
		}
	}
	if mail == 0 {
		r.add("apple-malformed", lines["PayloadContent"], "no %s payload: the profile sets up no mail account", mailPayloadType)
	}
}

// checkPayloadKeys checks the keys every payload has, and the types of
// every key lint knows.
func checkPayloadKeys(r *report, p map[string]any, what string, lines map[string]int) {
	for _, k := range payloadKeys {
		if _, ok := p[k]; !ok {
			r.add("apple-missing-key", 0, "%s has no %s", what, k)
		}
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		want, known := appleKeyTypes[k]
		if !known {
			continue
		}
		if got := plistType(p[k]); got != want {
			r.add("apple-wrong-type", lines[k], "%s: %s is %s, want %s", what, k, got, want)
		}
	}
	if v, ok := asInt(p["PayloadVersion"]); ok && v != 1 {
		r.add("apple-wrong-type", lines["PayloadVersion"], "%s: PayloadVersion %d, want 1", what, v)
	}
}

// plistType names a decoded value's property-list type.
func plistType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "integer"
	case float32, float64:
		return "real"
	case []any:
		return "array"
	case map[string]any:
		return "dictionary"
	case []byte:
		return "data"
	}
	return fmt.Sprintf("%T", v)
}

func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int64:
		return int(n), true
	case uint64:
		return int(n), true
	case int:
		return n, true
	}
	return 0, false
}

// plistLines maps each key of an XML property list to the line of its
// first <key> (0 for a binary one).
func plistLines(data []byte) map[string]int {
	out := map[string]int{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		rest := line
		for {
			j := bytes.Index(rest, []byte("<key>"))
			if j < 0 {
				break
			}
			rest = rest[j+5:]
			k := bytes.Index(rest, []byte("</key>"))
			if k < 0 {
				break
			}
			if _, seen := out[string(rest[:k])]; !seen {
				out[string(rest[:k])] = i + 1
			}
		}
	}
	return out
}

func checkAutodiscover(r *report, data []byte) {
	root, err := parseXML(data)
	if err != nil {
		r.add("autodiscover-malformed", xmlLine(err), "not well-formed XML: %v", err)
		return
	}
	resp := root.child("Response")
	var account *node
	if resp != nil {
		account = resp.child("Account")
	}
	if account == nil {
		r.add("autodiscover-malformed", root.line, "no Response/Account element")
		return
	}
	protocols := account.all("Protocol")
	if len(protocols) == 0 {
		r.add("autodiscover-malformed", account.line, "no <Protocol> element")
	}
	for _, p := range protocols {
		typ := strings.TrimSpace(text(p, "Type"))
		server := strings.TrimSpace(text(p, "Server"))
		portText := strings.TrimSpace(text(p, "Port"))
		if typ == "" || server == "" || portText == "" {
			r.add("autodiscover-malformed", p.line, "a <Protocol> without Type, Server or Port")
			continue
		}
		var port int
		if _, err := fmt.Sscan(portText, &port); err != nil {
			r.add("autodiscover-malformed", p.line, "Port %q is not a number", portText)
			continue
		}
		enc := strings.TrimSpace(text(p, "Encryption"))
		ssl := strings.TrimSpace(text(p, "SSL"))
		line := p.line
		if e := p.child("Encryption"); e != nil {
			line = e.line
		} else if s := p.child("SSL"); s != nil {
			line = s.line
		}
		switch {
		case strings.EqualFold(enc, "None") || enc == "" && strings.EqualFold(ssl, "off"):
			r.add("autodiscover-no-encryption", line, "%s on %s:%d without encryption", typ, server, port)
		case strings.EqualFold(enc, "SSL") && slices.Contains([]int{mailports.IMAP, mailports.POP3, mailports.Submission, mailports.SMTP}, port):
			r.add("autodiscover-port-encryption", line, "%s: Encryption SSL (implicit TLS) on port %d, a STARTTLS port", typ, port)
		case strings.EqualFold(enc, "TLS") && slices.Contains([]int{mailports.IMAPS, mailports.POP3S, mailports.Submissions}, port):
			r.add("autodiscover-port-encryption", line, "%s: Encryption TLS (STARTTLS) on port %d, an implicit-TLS port", typ, port)
		}
		if login := p.child("LoginName"); login != nil {
			switch reads, changed := jxon.Text(login.text); {
			case reads == "0" || reads == "false" || reads == "null":
				r.add("autodiscover-login-dropped", login.line, "%s: Thunderbird reads LoginName %q as %s and skips this server", typ, login.text, reads)
			case changed:
				r.add("autodiscover-numeric-login", login.line, "%s: Thunderbird reads LoginName %q as %q", typ, login.text, reads)
			}
		}
		if spa := p.child("SPA"); spa != nil && strings.EqualFold(strings.TrimSpace(spa.text), "on") {
			r.add("autodiscover-spa", spa.line, "%s: SPA on", typ)
		}
	}
}

// text is the trimmed text of n's first child named name.
func text(n *node, name string) string {
	if c := n.child(name); c != nil {
		return c.text
	}
	return ""
}

// checkSignature verifies a signed profile's signature over its content
// (the certificates it carries, not a chain to a root: the device checks
// that against its own), and says who signed it, until when.
func checkSignature(r *report, p7 *pkcs7.PKCS7, now time.Time) {
	if err := p7.Verify(); err != nil {
		var mismatch *pkcs7.MessageDigestMismatchError
		if errors.As(err, &mismatch) {
			r.add("apple-bad-signature", 0, "the signature does not verify: the content was changed after signing (its digest is not the one signed)")
		} else {
			r.add("apple-bad-signature", 0, "the signature does not verify: %s", strings.Join(strings.Fields(err.Error()), " "))
		}
		return
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		r.add("apple-signed", 0, "signed, by %d signers", len(p7.Signers))
		return
	}
	until := "valid until " + signer.NotAfter.UTC().Format(time.DateOnly)
	if now.After(signer.NotAfter) {
		until = "expired on " + signer.NotAfter.UTC().Format(time.DateOnly) + ": devices show it as not verified"
	}
	r.add("apple-signed", 0, "signed by %q (issued by %q), %s; %d certificates included", signer.Subject.String(),
		signer.Issuer.String(), until, len(p7.Certificates))
}
