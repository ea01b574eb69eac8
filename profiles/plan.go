package profiles

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/mailports"
)

// Socket security of an endpoint.
const (
	SecurityTLS      = "tls"      // implicit TLS from the first byte (RFC 8314)
	SecuritySTARTTLS = "starttls" // upgrade of a cleartext connection
	SecurityNone     = "none"     // cleartext: only with Options.AllowInsecure
)

// Placeholders a client replaces in a per-domain autoconfig file.
const (
	PlaceholderAddress   = "%EMAILADDRESS%"
	PlaceholderLocalPart = "%EMAILLOCALPART%"
)

// DefaultLeaveOnServerDays is how long POP3 clients keep mail on the server
// when neither the domain file nor the advice says (Thunderbird's default).
const DefaultLeaveOnServerDays = 14

// Options are the choices a profile is made with.
type Options struct {
	// Preferred is the protocol listed first (imap or pop3); "" means IMAP
	// when offered.
	Preferred string
	// LeaveOnServerDays is used for POP3 when the domain file does not set
	// it; nil means DefaultLeaveOnServerDays.
	LeaveOnServerDays *int
	// AllowSTARTTLS also lists IMAP on 143 and POP3 on 110 with STARTTLS,
	// after their implicit-TLS ports. Submission on 587 is always listed.
	AllowSTARTTLS bool
	// AllowInsecure also lists cleartext endpoints, last, with an
	// encrypted-password method only. Callers must warn the user.
	AllowInsecure bool
	// AutoconfigVersion is the clientConfig version written: "1.2"
	// (draft-ietf-mailmaint-autoconfig-06, the default: "" means it),
	// with its CalDAV and CardDAV sections, or "1.1" exactly as before.
	AutoconfigVersion string
}

// Autoconfig versions.
const (
	Autoconfig11 = "1.1"
	Autoconfig12 = "1.2"
)

// AutoconfigVersions are the versions WriteAutoconfig writes.
var AutoconfigVersions = []string{Autoconfig12, Autoconfig11}

// Endpoint is one server a client may use, in order of preference.
type Endpoint struct {
	Protocol string // imap, pop3 or smtp
	Host     string
	Port     int
	Security string   // tls, starttls or none
	Auth     []string // authentication methods, in order of preference
	// Username is the login a provider publishes for this server, when
	// a discovery found one: UsernameAddress, UsernameLocalPart, or a
	// template with autoconfig's placeholders (%EMAILLOCALPART%.%EMAILDOMAIN%);
	// iCloud has the local part for IMAP, the address for SMTP. "" is
	// the domain's. See Plan.LoginOf.
	Username string
}

// Plan is everything a profile says about one account, or about a whole
// domain when Address is nil (then usernames are placeholders).
type Plan struct {
	Domain   *Domain
	Address  *Address
	Username string // the login, or a placeholder for a per-domain plan
	// UserName is the person's name (optional): Apple's EmailAccountName,
	// autodiscover's User/DisplayName. Not the provider's name.
	UserName string
	// Incoming lists the IMAP and POP3 endpoints, the preferred protocol
	// first and within it implicit TLS first; Outgoing the submission ones.
	Incoming []Endpoint
	Outgoing []Endpoint
	// LeaveOnServerDays is how long a POP3 server keeps mail (0: delete).
	LeaveOnServerDays int
	Preferred         string
	AutoconfigVersion string // "1.2" or "1.1"
}

// NewPlan orders the endpoints of d for addr (nil for a per-domain plan).
func NewPlan(d *Domain, addr *Address, opts Options) (*Plan, error) {
	if addr != nil && !slices.Contains(d.Domains, addr.Domain) {
		return nil, &FieldError{Field: "email", Value: addr.Full, Allowed: "an address at " + strings.Join(d.Domains, " or ") +
			" (the domain described: its servers are not another domain's)"}
	}
	p := &Plan{Domain: d, Address: addr, Preferred: opts.Preferred, AutoconfigVersion: opts.AutoconfigVersion}
	switch p.AutoconfigVersion {
	case "":
		p.AutoconfigVersion = Autoconfig12
	case Autoconfig11, Autoconfig12:
	default:
		return nil, &FieldError{Field: "autoconfig-version", Value: opts.AutoconfigVersion, Allowed: strings.Join(AutoconfigVersions, " or ")}
	}
	if p.Preferred == "" {
		p.Preferred = IMAP
		if !d.Offers(IMAP) {
			p.Preferred = POP3
		}
	}
	if p.Preferred != IMAP && p.Preferred != POP3 {
		return nil, &FieldError{Field: "protocol", Value: p.Preferred, Allowed: "imap or pop3"}
	}
	if !d.Offers(p.Preferred) {
		return nil, &FieldError{Field: "protocol", Value: p.Preferred,
			Allowed: "a protocol the domain offers (" + strings.Join(d.Services, ", ") + ")"}
	}
	p.Username = username(d, addr)
	p.LeaveOnServerDays = DefaultLeaveOnServerDays
	switch {
	case d.LeaveOnServerDays != nil:
		p.LeaveOnServerDays = *d.LeaveOnServerDays
	case opts.LeaveOnServerDays != nil:
		p.LeaveOnServerDays = *opts.LeaveOnServerDays
	}
	other := POP3
	if p.Preferred == POP3 {
		other = IMAP
	}
	for _, proto := range []string{p.Preferred, other} {
		if d.Offers(proto) {
			p.Incoming = append(p.Incoming, endpoints(d, proto, opts)...)
		}
	}
	p.Outgoing = endpoints(d, SMTP, opts)
	return p, nil
}

// LoginOf is the login for one of the plan's endpoints: the plan's, or
// the form the provider publishes for that server.
func (p *Plan) LoginOf(e Endpoint) string {
	switch {
	case e.Username == "" || e.Username == p.Domain.Username:
		return p.Username
	case strings.Contains(e.Username, "%"):
		if p.Address == nil {
			return e.Username // the client fills it in
		}
		return strings.NewReplacer(PlaceholderAddress, p.Address.Full, PlaceholderLocalPart, p.Address.LocalPart,
			"%EMAILDOMAIN%", p.Address.Domain).Replace(e.Username)
	}
	return username(&Domain{Username: e.Username}, p.Address)
}

func username(d *Domain, addr *Address) string {
	switch {
	case addr == nil && d.Username == UsernameLocalPart:
		return PlaceholderLocalPart
	case addr == nil:
		return PlaceholderAddress
	case d.Username == UsernameLocalPart:
		return addr.LocalPart
	default:
		return addr.Full
	}
}

// Well-known ports (RFC 8314, RFC 6186).
var ports = map[string]map[string]int{
	IMAP: {SecurityTLS: mailports.IMAPS, SecuritySTARTTLS: mailports.IMAP, SecurityNone: mailports.IMAP},
	POP3: {SecurityTLS: mailports.POP3S, SecuritySTARTTLS: mailports.POP3, SecurityNone: mailports.POP3},
	SMTP: {SecurityTLS: mailports.Submissions, SecuritySTARTTLS: mailports.Submission, SecurityNone: mailports.Submission},
}

// Port returns the standard port of a protocol with a security.
func Port(protocol, security string) int { return ports[protocol][security] }

// endpoints lists a protocol's endpoints: implicit TLS, then STARTTLS
// (always for submission, when allowed for IMAP and POP3), then cleartext
// when explicitly allowed.
func endpoints(d *Domain, proto string, opts Options) []Endpoint {
	host := map[string]string{IMAP: d.Hosts.IMAP, POP3: d.Hosts.POP3, SMTP: d.Hosts.SMTP}[proto]
	auth := authMethods(d.Authentication)
	if pub := published(d, proto, opts, auth); len(pub) > 0 {
		return pub
	}
	port := func(security string) int { return d.Ports.port(proto, security) }
	out := []Endpoint{{Protocol: proto, Host: host, Port: port(SecurityTLS), Security: SecurityTLS, Auth: auth}}
	if proto == SMTP || opts.AllowSTARTTLS {
		out = append(out, Endpoint{Protocol: proto, Host: host, Port: port(SecuritySTARTTLS), Security: SecuritySTARTTLS, Auth: auth})
	}
	if opts.AllowInsecure {
		// Never a cleartext password over a cleartext connection.
		out = append(out, Endpoint{Protocol: proto, Host: host, Port: port(SecurityNone), Security: SecurityNone, Auth: []string{AuthPasswordEncrypted}})
	}
	return out
}

// published are the endpoints of proto the provider lists, in its order,
// with the methods it lists for each (else the domain's): cleartext only
// when allowed, and STARTTLS for IMAP and POP3 when allowed or when the
// provider offers nothing else for the protocol.
func published(d *Domain, proto string, opts Options, auth []string) []Endpoint {
	var all, out []Endpoint
	for _, e := range d.Published {
		if e.Protocol == proto && (e.Security != SecurityNone || opts.AllowInsecure) {
			if len(e.Auth) == 0 {
				e.Auth = auth
			}
			all = append(all, e)
		}
	}
	implicit := slices.ContainsFunc(all, func(e Endpoint) bool { return e.Security == SecurityTLS })
	for _, e := range all {
		if e.Security == SecuritySTARTTLS && proto != SMTP && implicit && !opts.AllowSTARTTLS {
			continue // RFC 8314: implicit TLS is offered; STARTTLS only when asked
		}
		out = append(out, e)
	}
	return out
}

// authMethods lists the methods to offer, in order: OAuth2 comes with a
// password method after it for clients that lack its configuration.
func authMethods(method string) []string {
	if method == AuthOAuth2 {
		return []string{AuthOAuth2, AuthPassword}
	}
	return []string{method}
}

// First returns the first endpoint of a protocol, and whether there is one.
func (p *Plan) First(protocol string) (Endpoint, bool) {
	for _, e := range append(append([]Endpoint{}, p.Incoming...), p.Outgoing...) {
		if e.Protocol == protocol {
			return e, true
		}
	}
	return Endpoint{}, false
}

// Insecure reports whether the plan lists a cleartext endpoint.
func (p *Plan) Insecure() bool {
	for _, e := range append(append([]Endpoint{}, p.Incoming...), p.Outgoing...) {
		if e.Security == SecurityNone {
			return true
		}
	}
	return false
}

// Account returns the address or, for a per-domain plan, the domain.
// AccountName is the account as people read it: the domain in Unicode
// (anna@bücher.example), where Account keeps the A-label servers use.
func (p *Plan) AccountName() string {
	if p.Address != nil {
		return p.Address.LocalPart + "@" + unicodeName(p.Address.Domain)
	}
	return unicodeName(p.Domain.Domains[0])
}

func (p *Plan) Account() string {
	if p.Address != nil {
		return p.Address.Full
	}
	return p.Domain.Domains[0]
}

// ErrNoAddress says that a format describes one account and the plan has
// no address.
var ErrNoAddress = errors.New("needs an e-mail address: it describes one account")

// requireAddress is for the formats that cannot describe a whole domain.
func (p *Plan) requireAddress(format string) error {
	if p.Address == nil {
		return fmt.Errorf("%s %w", format, ErrNoAddress)
	}
	return nil
}
