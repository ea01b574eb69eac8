package profiles

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/jxon"
)

// Thunderbird/Mozilla autoconfig (config-v1.1.xml), clientConfig version
// 1.2 (draft-ietf-mailmaint-autoconfig-06: "1.1 is a compatible previous
// version", and no client rejects a file for its version) with its
// CalDAV and CardDAV sections, or 1.1 exactly as before; as Thunderbird
// desktop and Android parse it: exact socketType and authentication
// words, no whitespace around values, no <password> element ever. Both
// read emailProvider only, so the 1.2 sections change nothing for them.

type clientConfig struct {
	XMLName     xml.Name      `xml:"clientConfig"`
	Version     string        `xml:"version,attr"`
	Provider    emailProvider `xml:"emailProvider"`
	AddressBook *davXML       `xml:"addressbook,omitempty"` // 1.2
	Calendar    *davXML       `xml:"calendar,omitempty"`    // 1.2
	OAuth2      *oauth2XML    `xml:"oAuth2,omitempty"`
}

// davXML is a URL-based server section of autoconfig 1.2
// (draft-ietf-mailmaint-autoconfig-06), at clientConfig level.
type davXML struct {
	Type           string   `xml:"type,attr"`
	URL            string   `xml:"url"`
	Authentication []string `xml:"authentication"`
	Username       string   `xml:"username"`
}

type emailProvider struct {
	ID               string           `xml:"id,attr"`
	Domains          []domainXML      `xml:"domain"`
	DisplayName      string           `xml:"displayName"`
	DisplayShortName string           `xml:"displayShortName"`
	Incoming         []autoconfServer `xml:"incomingServer"`
	Outgoing         []autoconfServer `xml:"outgoingServer"`
	Documentation    *documentation   `xml:"documentation,omitempty"`
}

// domainXML is a <domain>, with autoconfig 1.2's purpose="mx" for the
// MX servers' domains.
type domainXML struct {
	Purpose string `xml:"purpose,attr,omitempty"`
	Name    string `xml:",chardata"`
}

type autoconfServer struct {
	Type           string   `xml:"type,attr"`
	Hostname       string   `xml:"hostname"`
	Port           int      `xml:"port"`
	SocketType     string   `xml:"socketType"`
	Username       string   `xml:"username"`
	Authentication []string `xml:"authentication"`
	POP3           *pop3XML `xml:"pop3,omitempty"`
}

type pop3XML struct {
	LeaveMessagesOnServer       bool `xml:"leaveMessagesOnServer"`
	DaysToLeaveMessagesOnServer *int `xml:"daysToLeaveMessagesOnServer,omitempty"`
}

type documentation struct {
	URL   string `xml:"url,attr"`
	Descr descr  `xml:"descr"`
}

type descr struct {
	Lang string `xml:"lang,attr"`
	Text string `xml:",chardata"`
}

type oauth2XML struct {
	Issuer   string `xml:"issuer"`
	Scope    string `xml:"scope"`
	AuthURL  string `xml:"authURL"`
	TokenURL string `xml:"tokenURL"`
}

// Autoconfig socketType and authentication words (case-sensitive). There
// is no word for cleartext: Thunderbird for Android aborts the whole file
// on any socketType but SSL and STARTTLS (RealAutoconfigParser.kt), losing
// the encrypted entries too, so cleartext endpoints are never written.
var (
	autoconfSocket = map[string]string{SecurityTLS: "SSL", SecuritySTARTTLS: "STARTTLS"}
	autoconfAuth   = map[string]string{AuthPassword: "password-cleartext", AuthPasswordEncrypted: "password-encrypted", AuthOAuth2: "OAuth2"}
)

// WriteAutoconfig writes the plan as a Thunderbird autoconfig file. A
// per-domain plan uses the %EMAILADDRESS% / %EMAILLOCALPART% placeholders.
func WriteAutoconfig(w io.Writer, p *Plan) error {
	if err := LoginError(p, formatAutoconfig); err != nil {
		return err
	}
	d := p.Domain
	version := p.AutoconfigVersion
	if version == "" {
		version = Autoconfig12
	}
	cc := clientConfig{Version: version, Provider: emailProvider{
		ID: d.Domains[0], DisplayName: d.DisplayName, DisplayShortName: d.ShortName,
	}}
	for _, name := range d.Domains {
		cc.Provider.Domains = append(cc.Provider.Domains, domainXML{Name: name})
	}
	if version == Autoconfig12 { // 1.1 has no purpose: such a file would claim the hoster's own addresses
		for _, name := range d.MXDomains {
			if !slices.Contains(d.Domains, name) {
				cc.Provider.Domains = append(cc.Provider.Domains, domainXML{Purpose: "mx", Name: name})
			}
		}
	}
	login := AutoconfigLogin(p)
	for _, e := range encrypted(p.Incoming) {
		s := autoconfServerOf(e, autoconfigServerLogin(p, e))
		if e.Protocol == POP3 {
			s.POP3 = &pop3XML{LeaveMessagesOnServer: p.LeaveOnServerDays > 0}
			if p.LeaveOnServerDays > 0 {
				days := p.LeaveOnServerDays
				s.POP3.DaysToLeaveMessagesOnServer = &days
			}
		}
		cc.Provider.Incoming = append(cc.Provider.Incoming, s)
	}
	for _, e := range encrypted(p.Outgoing) {
		cc.Provider.Outgoing = append(cc.Provider.Outgoing, autoconfServerOf(e, autoconfigServerLogin(p, e)))
	}
	if d.DocumentationURL != "" {
		cc.Provider.Documentation = &documentation{URL: d.DocumentationURL, Descr: descr{Lang: "en", Text: "Mail set-up instructions"}}
	}
	if version == Autoconfig12 {
		auth := []string{"basic"}
		if d.Authentication == AuthOAuth2 {
			auth = []string{"OAuth2", "basic"} // a password fallback, as for mail
		}
		if dav, ok := davOf(d.CardDAVURL); ok {
			cc.AddressBook = &davXML{Type: "carddav", URL: dav.URL, Authentication: auth, Username: login}
		}
		if dav, ok := davOf(d.CalDAVURL); ok {
			cc.Calendar = &davXML{Type: "caldav", URL: dav.URL, Authentication: auth, Username: login}
		}
	}
	if d.OAuth2 != nil {
		cc.OAuth2 = &oauth2XML{Issuer: d.OAuth2.Issuer, Scope: d.OAuth2.Scope, AuthURL: d.OAuth2.AuthURL, TokenURL: d.OAuth2.TokenURL}
	}
	return writeXML(w, cc)
}

func autoconfServerOf(e Endpoint, user string) autoconfServer {
	s := autoconfServer{Type: e.Protocol, Hostname: e.Host, Port: e.Port, SocketType: autoconfSocket[e.Security], Username: user}
	for _, a := range e.Auth {
		s.Authentication = append(s.Authentication, autoconfAuth[a])
	}
	return s
}

// AutoconfigLogin is the <username> of the plan's autoconfig: a login
// that is the address or its local part is written as the placeholder
// Thunderbird fills in (%EMAILADDRESS%, %EMAILLOCALPART%), because its
// JXON reader turns element text that looks like a number into a number
// (a literal 0123 becomes 123), while placeholders are replaced after.
//
// For an international domain the address is written as itself, in
// ASCII: clients fill %EMAILADDRESS% with the address as the user typed
// it, the Unicode form (Thunderbird for Android logs in as
// alice@bücher.de), while the server, the sheet, the Apple profile and
// autodiscover all say alice@xn--bcher-kva.de; an address has an @, so
// Thunderbird keeps it as written.
func AutoconfigLogin(p *Plan) string { return autoconfigLogin(p, p.Username) }

// autoconfigServerLogin is the <username> of one server: a provider's
// template (%EMAILLOCALPART%.%EMAILDOMAIN%) as published, which the
// client fills (but for an international domain, whose ASCII form the
// client would not use), else autoconfigLogin of its login.
func autoconfigServerLogin(p *Plan, e Endpoint) string {
	if strings.Contains(e.Username, "%") && (p.Address == nil || !IsIDN(p.Address.Domain)) {
		return e.Username
	}
	return autoconfigLogin(p, p.LoginOf(e))
}

// autoconfigLogin is the <username> for a login of the plan.
func autoconfigLogin(p *Plan, login string) string {
	switch {
	case p.Address == nil:
		return login
	case login == p.Address.Full && IsIDN(p.Address.Domain):
		return login
	case login == p.Address.Full:
		return "%EMAILADDRESS%"
	case login == p.Address.LocalPart:
		return "%EMAILLOCALPART%"
	}
	return login
}

// LoginError is the one login rule of the files Thunderbird desktop reads
// (autoconfig and autodiscover), in profile, batch and serve alike: a
// login that is the address or its local part is written as autoconfig's
// placeholder, which Thunderbird keeps; a literal login it would change
// (its JXON turns text that looks like a number or a boolean into one:
// 0042 reads 42, TRUE true, 0x10 0) is refused, since the account would
// log in as someone else or not at all. An address is never changed (it
// has an @). nil for other formats and for a per-domain plan.
func LoginError(p *Plan, format string) error {
	if p.Address == nil {
		return nil
	}
	if format != formatAutoconfig && format != formatAutodiscover {
		return nil
	}
	login, reads, dropped, changed := changedLogin(p, format)
	if !changed {
		return nil
	}
	what := fmt.Sprintf("Thunderbird reads %q as %s in %s", login, reads, format)
	if dropped && format == formatAutodiscover {
		what += " and drops every server of the file"
	}
	alt := "the address or its local part, which autoconfig writes as a placeholder Thunderbird keeps"
	if format == formatAutodiscover {
		alt = "the address (autodiscover has no placeholder), or leave autodiscover out"
	}
	return &FieldError{Field: "username", Value: login,
		Allowed: "a login Thunderbird keeps as written (" + what + ", turning text that looks like a number or a boolean into one): " + alt}
}

// changedLogin finds the first login of the plan's file that Thunderbird
// would change: the plan's, then every server's (a provider may publish
// another for SMTP). It allocates nothing: serve runs it per request.
func changedLogin(p *Plan, format string) (login, reads string, dropped, changed bool) {
	written := func(e Endpoint) string {
		if format == formatAutoconfig {
			return autoconfigServerLogin(p, e)
		}
		return p.LoginOf(e)
	}
	login = p.Username
	if format == formatAutoconfig {
		login = AutoconfigLogin(p)
	}
	if reads, changed, dropped = ThunderbirdLogin(login); changed {
		return login, reads, dropped, true
	}
	for _, endpoints := range [2][]Endpoint{p.Incoming, p.Outgoing} {
		for _, e := range endpoints {
			if l := written(e); l != login {
				if reads, changed, dropped = ThunderbirdLogin(l); changed {
					return l, reads, dropped, true
				}
			}
		}
	}
	return "", "", false, false
}

// IsIDN reports whether an ASCII domain has an A-label (an international
// name in its xn-- form).
func IsIDN(domain string) bool {
	return strings.HasPrefix(domain, "xn--") || strings.Contains(domain, ".xn--")
}

// ThunderbirdLogin is what Thunderbird desktop reads for a literal login
// in an autoconfig or autodiscover file (its JXON turns text that looks
// like a number or a boolean into one: 0042 reads 42, 0x10 reads 0, TRUE
// reads true), whether that differs, and whether autodiscover's LoginName
// is then refused, with the server it belongs to (a value JavaScript
// holds false: 0, false).
func ThunderbirdLogin(login string) (reads string, changed, dropped bool) {
	reads, changed = jxon.Text(login)
	return reads, changed, reads == "0" || reads == "false" || reads == "null"
}

// encrypted leaves out the cleartext endpoints (--allow-insecure): the
// client files that clients read without a person looking never carry
// them (see autoconfSocket, and autodiscover, where a cleartext port
// would be paired with a password).
func encrypted(eps []Endpoint) []Endpoint {
	out := make([]Endpoint, 0, len(eps))
	for _, e := range eps {
		if e.Security != SecurityNone {
			out = append(out, e)
		}
	}
	return out
}

// writeXML writes the UTF-8 XML declaration (no BOM), v indented, and a
// final newline.
func writeXML(w io.Writer, v any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
