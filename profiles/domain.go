package profiles

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/idna"

	"github.com/mailadvisor/mailadvisor/internal/limits"
	"github.com/mailadvisor/mailadvisor/internal/mailports"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/internal/yamlparams"
)

// Protocols a domain can offer.
const (
	IMAP = "imap"
	POP3 = "pop3"
	SMTP = "smtp"
)

// Username forms.
const (
	UsernameAddress   = "address"   // the whole address logs in
	UsernameLocalPart = "localpart" // the part before the @
)

// Authentication methods.
const (
	AuthPassword          = "password"           // a password sent inside TLS (SASL PLAIN/LOGIN)
	AuthPasswordEncrypted = "password-encrypted" // a challenge-response method (CRAM-MD5, SCRAM)
	AuthOAuth2            = "oauth2"             // OAuth 2.0 bearer tokens, with a password fallback
)

// Domain describes a mail domain and how its users connect: the domain
// file of `mailadvisor profile --domain-file`.
type Domain struct {
	Domains []string `yaml:"domains" json:"domains"`
	// MXDomains are the domains of the MX servers, when they are not the
	// mail domain's own (a hoster's: mx1.hoster.example is at
	// hoster.example): autoconfig 1.2 lists them as <domain purpose="mx">,
	// for the clients that find the file through the MX.
	MXDomains        []string `yaml:"mx_domains,omitempty" json:"mx_domains,omitempty"`
	DisplayName      string   `yaml:"display_name" json:"display_name"`
	ShortName        string   `yaml:"short_name" json:"short_name"`
	Hosts            Hosts    `yaml:"hosts" json:"hosts"`
	Ports            Ports    `yaml:"ports,omitempty" json:"ports,omitempty"`
	Services         []string `yaml:"services" json:"services"`
	Username         string   `yaml:"username" json:"username"`
	Authentication   string   `yaml:"authentication" json:"authentication"`
	OAuth2           *OAuth2  `yaml:"oauth2,omitempty" json:"oauth2,omitempty"`
	DocumentationURL string   `yaml:"documentation_url,omitempty" json:"documentation_url,omitempty"`
	// CalDAVURL and CardDAVURL are the calendar and address book servers
	// (https URLs, RFC 4791 and RFC 6352), written into Apple profiles,
	// autoconfig 1.2 and PACC; "" offers none.
	CalDAVURL  string `yaml:"caldav_url,omitempty" json:"caldav_url,omitempty"`
	CardDAVURL string `yaml:"carddav_url,omitempty" json:"carddav_url,omitempty"`
	// LeaveOnServerDays is how long a POP3 server keeps mail after
	// download; nil lets the caller decide (the advice, or 14 days).
	LeaveOnServerDays *int `yaml:"leave_on_server_days,omitempty" json:"leave_on_server_days,omitempty"`
	// Published, when a discovery set it, are the endpoints as the
	// provider lists them, in its order: a plan takes those (its own list
	// puts implicit TLS first and may name a port the provider does not
	// offer). Not part of the domain file.
	Published []Endpoint `yaml:"-" json:"-"`
}

// Hosts are the servers of each service; empty means mail.<first domain>.
type Hosts struct {
	IMAP string `yaml:"imap" json:"imap"`
	POP3 string `yaml:"pop3" json:"pop3"`
	SMTP string `yaml:"smtp" json:"smtp"`
}

// Ports override the standard ports (behind NAT, or for tests); 0 means
// the standard one.
type Ports struct {
	IMAPS       int `yaml:"imaps,omitempty" json:"imaps,omitempty"`             // 993
	IMAP        int `yaml:"imap,omitempty" json:"imap,omitempty"`               // 143, STARTTLS
	POP3S       int `yaml:"pop3s,omitempty" json:"pop3s,omitempty"`             // 995
	POP3        int `yaml:"pop3,omitempty" json:"pop3,omitempty"`               // 110, STARTTLS
	Submissions int `yaml:"submissions,omitempty" json:"submissions,omitempty"` // 465
	Submission  int `yaml:"submission,omitempty" json:"submission,omitempty"`   // 587, STARTTLS
}

// OAuth2 is the authorisation server for OAuth2 logins.
type OAuth2 struct {
	Issuer   string `yaml:"issuer" json:"issuer"`
	Scope    string `yaml:"scope" json:"scope"`
	AuthURL  string `yaml:"auth_url" json:"auth_url"`
	TokenURL string `yaml:"token_url" json:"token_url"`
}

// DecodeDomain reads a domain file strictly (an unknown key is an error
// naming the key and the line), fills in the defaults and validates it.
func DecodeDomain(r io.Reader, source string) (*Domain, error) {
	var d Domain
	if err := yamlparams.Strict(r, &d); errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty domain file: want at least 'domains:'", source)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if err := d.Normalize(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return &d, nil
}

// Normalize fills in the defaults (hosts mail.<domain>, every service,
// username address, password authentication), converts names to
// lower-case punycode and validates every field. It returns a
// [*FieldError] naming the first bad field.
func (d *Domain) Normalize() error {
	if len(d.Domains) == 0 {
		return &FieldError{Field: "domains", Value: "", Allowed: "at least one domain name"}
	}
	for i, name := range d.Domains {
		ascii, err := textcheck.Hostname("domains", name)
		if err != nil {
			return err
		}
		d.Domains[i] = ascii
	}
	for i, name := range d.MXDomains {
		ascii, err := textcheck.Hostname("mx_domains", name)
		if err != nil {
			return err
		}
		d.MXDomains[i] = ascii
	}
	if err := d.normalizeHosts(); err != nil {
		return err
	}
	if err := d.Ports.check(); err != nil {
		return err
	}
	if err := d.normalizeServices(); err != nil {
		return err
	}
	if d.Username == "" {
		d.Username = UsernameAddress
	}
	if d.Username != UsernameAddress && d.Username != UsernameLocalPart {
		return &FieldError{Field: "username", Value: d.Username, Allowed: "one of address, localpart"}
	}
	if err := d.normalizeAuth(); err != nil {
		return err
	}
	return d.checkTexts()
}

func (d *Domain) normalizeHosts() error {
	for _, h := range []struct {
		field string
		host  *string
	}{{"hosts.imap", &d.Hosts.IMAP}, {"hosts.pop3", &d.Hosts.POP3}, {"hosts.smtp", &d.Hosts.SMTP}} {
		if *h.host == "" {
			*h.host = "mail." + d.Domains[0]
		}
		ascii, err := textcheck.Hostname(h.field, *h.host)
		if err != nil {
			return err
		}
		*h.host = ascii
	}
	return nil
}

func (d *Domain) normalizeServices() error {
	if len(d.Services) == 0 {
		d.Services = append(mailports.DefaultProtocols(), SMTP)
	}
	seen := map[string]bool{}
	for i, s := range d.Services {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != IMAP && s != POP3 && s != SMTP {
			return &FieldError{Field: "services", Value: s, Allowed: "imap, pop3, smtp"}
		}
		d.Services[i], seen[s] = s, true
	}
	if !seen[SMTP] {
		return &FieldError{Field: "services", Value: strings.Join(d.Services, ","), Allowed: "a list with smtp (submission) and imap or pop3"}
	}
	if !seen[IMAP] && !seen[POP3] {
		return &FieldError{Field: "services", Value: strings.Join(d.Services, ","), Allowed: "a list with imap or pop3, and smtp"}
	}
	return nil
}

func (d *Domain) normalizeAuth() error {
	if d.Authentication == "" {
		d.Authentication = AuthPassword
	}
	switch d.Authentication {
	case AuthPassword, AuthPasswordEncrypted:
		if d.OAuth2 != nil {
			return &FieldError{Field: "oauth2", Value: "set", Allowed: "only with authentication: oauth2"}
		}
	case AuthOAuth2:
		if d.OAuth2 == nil {
			return &FieldError{Field: "oauth2", Value: "", Allowed: "issuer, scope, auth_url and token_url with authentication: oauth2"}
		}
		if _, err := textcheck.Hostname("oauth2.issuer", d.OAuth2.Issuer); err != nil {
			return err
		}
		for field, u := range map[string]string{"oauth2.auth_url": d.OAuth2.AuthURL, "oauth2.token_url": d.OAuth2.TokenURL} {
			if err := checkHTTPSURL(field, u); err != nil {
				return err
			}
		}
		if err := textcheck.Text("oauth2.scope", d.OAuth2.Scope, 1000); err != nil || d.OAuth2.Scope == "" {
			return &FieldError{Field: "oauth2.scope", Value: d.OAuth2.Scope, Allowed: "one or more scopes, no control characters"}
		}
	default:
		return &FieldError{Field: "authentication", Value: d.Authentication, Allowed: "one of password, password-encrypted, oauth2"}
	}
	return nil
}

// unicodeName is a domain as people write it.
func unicodeName(ascii string) string {
	if !IsIDN(ascii) {
		return ascii // no A-label: the name is already as people read it
	}
	if u, err := idna.Display.ToUnicode(ascii); err == nil {
		return u
	}
	return ascii
}

// cutRunes keeps at most n characters of s.
func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

func (d *Domain) checkTexts() error {
	// Names derived from the domain are for people: Unicode (bücher.de,
	// not xn--bcher-kva.de), cut to the lengths the format allows, so that
	// a long domain works rather than failing on a field nobody set.
	if d.DisplayName == "" {
		d.DisplayName = cutRunes(unicodeName(d.Domains[0]), 60)
	}
	if d.ShortName == "" {
		d.ShortName = cutRunes(strings.SplitN(unicodeName(d.Domains[0]), ".", 2)[0], 20)
	}
	// Autoconfig draft: displayName MUST be at most 60 characters,
	// displayShortName at most 20.
	if err := textcheck.Text("display_name", d.DisplayName, 60); err != nil {
		return err
	}
	if err := textcheck.Text("short_name", d.ShortName, 20); err != nil {
		return err
	}
	for field, u := range map[string]string{"documentation_url": d.DocumentationURL, "caldav_url": d.CalDAVURL, "carddav_url": d.CardDAVURL} {
		if u == "" {
			continue
		}
		if err := checkHTTPSURL(field, u); err != nil {
			return err
		}
	}
	if d.LeaveOnServerDays != nil {
		if err := limits.LeaveOnServerDays("leave_on_server_days", *d.LeaveOnServerDays); err != nil {
			return err
		}
	}
	return nil
}

// Offers reports whether the domain offers a service.
func (d *Domain) Offers(service string) bool {
	for _, s := range d.Services {
		if s == service {
			return true
		}
	}
	return false
}

// FieldError says that an input field holds a value it does not accept.
type FieldError = textcheck.FieldError

// Address is a validated e-mail address.
type Address struct {
	Full      string // local@domain, the domain in lower-case ASCII
	LocalPart string
	Domain    string
}

// ParseAddress validates an e-mail address (a bare addr-spec, no display
// name) and converts its domain to punycode.
func ParseAddress(field, addr string) (Address, error) {
	bad := &FieldError{Field: field, Value: addr, Allowed: "an e-mail address such as alice@example.com"}
	if err := textcheck.Text(field, addr, 254); err != nil {
		return Address{}, err
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at > 64 {
		return Address{}, bad
	}
	local, domain := addr[:at], addr[at+1:]
	ascii, err := textcheck.Hostname(field, domain)
	if err != nil {
		return Address{}, bad
	}
	parsed, err := mail.ParseAddress(local + "@" + ascii)
	if err != nil || parsed.Name != "" || parsed.Address != local+"@"+ascii || strings.ContainsAny(local, "\" ") {
		return Address{}, bad
	}
	return Address{Full: local + "@" + ascii, LocalPart: local, Domain: ascii}, nil
}

func checkHTTPSURL(field, s string) error {
	if err := textcheck.Text(field, s, 2000); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return &FieldError{Field: field, Value: s, Allowed: "an absolute https:// URL"}
	}
	if _, err := textcheck.Hostname(field, u.Hostname()); err != nil {
		return &FieldError{Field: field, Value: s, Allowed: "an https:// URL whose host is a host name"}
	}
	return nil
}

// davServer is a CalDAV or CardDAV URL as the formats split it: host,
// port (443 unless the URL names one) and the URL itself.
type davServer struct {
	Host string
	Port int
	URL  string
}

func davOf(raw string) (davServer, bool) {
	if raw == "" {
		return davServer{}, false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return davServer{}, false
	}
	port := 443
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	return davServer{Host: u.Hostname(), Port: port, URL: raw}, true
}

func (p Ports) check() error {
	for field, port := range map[string]int{"ports.imaps": p.IMAPS, "ports.imap": p.IMAP, "ports.pop3s": p.POP3S,
		"ports.pop3": p.POP3, "ports.submissions": p.Submissions, "ports.submission": p.Submission} {
		if port == 0 {
			continue // the standard one
		}
		if err := limits.Port(field, port); err != nil {
			return err
		}
	}
	return nil
}

// port returns the domain's port for a protocol and security: the
// override, or the standard one.
func (p Ports) port(protocol, security string) int {
	override := 0
	switch {
	case protocol == IMAP && security == SecurityTLS:
		override = p.IMAPS
	case protocol == IMAP:
		override = p.IMAP
	case protocol == POP3 && security == SecurityTLS:
		override = p.POP3S
	case protocol == POP3:
		override = p.POP3
	case security == SecurityTLS:
		override = p.Submissions
	default:
		override = p.Submission
	}
	if override != 0 {
		return override
	}
	return Port(protocol, security)
}

// providersTXT are the mail domains whose mailboxes a public provider
// runs (their servers are the provider's, never mail.<domain>): every
// domain of Thunderbird's ISP database and a few it lacks, written by
// scripts/providers.
//
//go:embed providers.txt
var providersTXT string

var publicProviders = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for line := range strings.Lines(providersTXT) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out[line] = true
		}
	}
	return out
})

// PublicProvider reports whether a (punycode, lower-case) domain's
// mailboxes are run by a public mail provider.
func PublicProvider(domain string) bool { return publicProviders()[domain] }
