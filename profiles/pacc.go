package profiles

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/mailports"
)

// PACC (draft-ietf-mailmaint-pacc-03): one JSON document per domain,
// served at https://ua-auto-config.<domain>/.well-known/user-agent-configuration.json
// and pinned by a TXT record at _ua-auto-config.<domain> that carries the
// SHA-256 of its exact bytes (v=UAAC1; a=sha256; d=<base64>). It names no
// port and no username: implicit TLS on each protocol's own port (993,
// 995, 465) and the whole address as login are implied. The document is
// written compact, its keys in order, so that the same domain always gives
// the same bytes and the same digest (as croessner/automx 3.0 does).

// PACCPath is where the document is served on the ua-auto-config. name.
const PACCPath = "/.well-known/user-agent-configuration.json"

// PACCHostPrefix is the label before the domain that serves the document.
const PACCHostPrefix = "ua-auto-config."

// ErrPACCEmpty is returned when the plan has nothing PACC can carry.
var ErrPACCEmpty = errors.New("nothing PACC can carry: it names only IMAP on 993, POP3 on 995 and submission on 465, with implicit TLS")

type paccDocument struct {
	Authentication paccAuth      `json:"authentication"`
	Info           paccInfo      `json:"info"`
	Protocols      paccProtocols `json:"protocols"`
}

type paccAuth struct {
	OAuthPublic *paccIssuer `json:"oauth-public,omitempty"`
	Password    bool        `json:"password"`
}

type paccIssuer struct {
	Issuer string `json:"issuer"`
}

type paccInfo struct {
	Help     *paccHelp    `json:"help,omitempty"`
	Provider paccProvider `json:"provider"`
}

type paccHelp struct {
	Documentation string `json:"documentation"`
}

type paccProvider struct {
	Name      string `json:"name"`
	ShortName string `json:"shortName,omitempty"`
}

type paccProtocols struct {
	CalDAV  *paccURL  `json:"caldav,omitempty"`
	CardDAV *paccURL  `json:"carddav,omitempty"`
	IMAP    *paccHost `json:"imap,omitempty"`
	POP3    *paccHost `json:"pop3,omitempty"`
	Submit  *paccHost `json:"submit,omitempty"`
}

type paccHost struct {
	Host string `json:"host"`
}

type paccURL struct {
	URL string `json:"url"`
}

// PACC returns the plan's PACC document, and notes on what it leaves out
// (an endpoint on another port, STARTTLS, a local-part login), which the
// caller says to the user.
func PACC(p *Plan) (body []byte, notes []string, err error) {
	d := p.Domain
	doc := paccDocument{Info: paccInfo{Provider: paccProvider{Name: d.DisplayName, ShortName: d.ShortName}}}
	if d.DocumentationURL != "" {
		doc.Info.Help = &paccHelp{Documentation: d.DocumentationURL}
	}
	standard := map[string]int{IMAP: mailports.IMAPS, POP3: mailports.POP3S, SMTP: mailports.Submissions}
	leftOut := map[string][]string{} // said only for a protocol the document then lacks
	for _, e := range append(append([]Endpoint{}, p.Incoming...), p.Outgoing...) {
		switch {
		case e.Security != SecurityTLS:
			leftOut[e.Protocol] = append(leftOut[e.Protocol], fmt.Sprintf("%s on port %d (%s) is left out: PACC carries implicit TLS only", e.Protocol, e.Port, e.Security))
			continue
		case e.Port != standard[e.Protocol]:
			leftOut[e.Protocol] = append(leftOut[e.Protocol], fmt.Sprintf("%s on port %d is left out: PACC names no port, so clients would use %d", e.Protocol, e.Port, standard[e.Protocol]))
			continue
		}
		h := &paccHost{Host: e.Host}
		switch e.Protocol {
		case IMAP:
			if doc.Protocols.IMAP == nil {
				doc.Protocols.IMAP = h
			}
		case POP3:
			if doc.Protocols.POP3 == nil {
				doc.Protocols.POP3 = h
			}
		case SMTP:
			if doc.Protocols.Submit == nil {
				doc.Protocols.Submit = h
			}
		}
		doc.Authentication.Password = doc.Authentication.Password || slices.ContainsFunc(e.Auth, func(a string) bool {
			return a == AuthPassword || a == AuthPasswordEncrypted
		})
	}
	for protocol, present := range map[string]bool{IMAP: doc.Protocols.IMAP != nil, POP3: doc.Protocols.POP3 != nil, SMTP: doc.Protocols.Submit != nil} {
		if !present {
			notes = append(notes, leftOut[protocol]...)
		}
	}
	slices.Sort(notes)
	if doc.Protocols.IMAP == nil && doc.Protocols.POP3 == nil && doc.Protocols.Submit == nil {
		return nil, notes, ErrPACCEmpty
	}
	if doc.Protocols.Submit == nil {
		notes = append(notes, "no submission on 465: PACC clients will not be able to send")
	}
	// CalDAV and CardDAV by URL, which must name a WebDAV context path
	// (as croessner/automx checks it) and no port: PACC implies 443.
	for _, dav := range []struct {
		field, raw string
		to         **paccURL
	}{{"caldav_url", d.CalDAVURL, &doc.Protocols.CalDAV}, {"carddav_url", d.CardDAVURL, &doc.Protocols.CardDAV}} {
		if dav.raw == "" {
			continue
		}
		u, err := url.Parse(dav.raw)
		switch {
		case err != nil:
			continue
		case u.Port() != "":
			notes = append(notes, fmt.Sprintf("%s %s is left out: PACC URLs name no port", dav.field, dav.raw))
		case u.Path == "" || u.Path == "/":
			notes = append(notes, fmt.Sprintf("%s %s is left out: PACC needs the WebDAV context path, not the server's root", dav.field, dav.raw))
		default:
			*dav.to = &paccURL{URL: dav.raw}
		}
	}
	if d.OAuth2 != nil {
		issuer := d.OAuth2.Issuer
		if !strings.Contains(issuer, "://") {
			issuer = "https://" + issuer
		}
		doc.Authentication.OAuthPublic = &paccIssuer{Issuer: issuer}
	}
	if d.Username == UsernameLocalPart {
		notes = append(notes, "the login is the local part here, but PACC clients log in with the whole address")
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, notes, err
	}
	return out.Bytes(), notes, nil
}

// PACCDigest is the TXT record's text for a PACC document's exact bytes.
func PACCDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "v=UAAC1; a=sha256; d=" + base64.StdEncoding.EncodeToString(sum[:])
}

// PACCRecord is the zone-file line of the digest for domain.
func PACCRecord(domain string, body []byte) string {
	return fmt.Sprintf("_ua-auto-config.%s. %d IN TXT %q", domain, SRVTTL, PACCDigest(body))
}

// VerifyPACC checks a PACC document's bytes against the TXT records of
// _ua-auto-config.<domain> (each the concatenation of its strings): nil
// when one of them carries the document's digest.
func VerifyPACC(body []byte, records []string) error {
	want := sha256.Sum256(body)
	var seen []string
	for _, r := range records {
		// As dig prints it: quoted, maybe in several strings.
		r = strings.Trim(strings.ReplaceAll(r, `" "`, ""), `" `)
		tags := map[string]string{}
		for _, part := range strings.Split(r, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			tags[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		if tags["v"] != "UAAC1" {
			continue
		}
		if tags["a"] != "sha256" {
			seen = append(seen, fmt.Sprintf("a=%s (only sha256 is defined)", tags["a"]))
			continue
		}
		got, err := base64.StdEncoding.DecodeString(tags["d"])
		if err != nil || len(got) != sha256.Size {
			seen = append(seen, fmt.Sprintf("d=%s (not a base64 SHA-256)", tags["d"]))
			continue
		}
		if bytes.Equal(got, want[:]) {
			return nil
		}
		seen = append(seen, "d="+tags["d"])
	}
	if len(seen) == 0 {
		return errors.New("no v=UAAC1 record")
	}
	return fmt.Errorf("the document's digest is d=%s; the records say %s", base64.StdEncoding.EncodeToString(want[:]), strings.Join(seen, ", "))
}
