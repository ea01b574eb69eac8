// Package discover finds the mail settings a domain really publishes, the
// way Thunderbird's account set-up does, and says where each came from:
// the domain's own autoconfig file (autoconfig.<domain>, then its
// .well-known URL), Thunderbird's ISPDB, RFC 6186/8314 SRV records, and
// last the ISPDB entry of the domain's MX provider (MX at google.com:
// Google's settings). Every lookup runs in parallel under one deadline; HTTPS
// only unless asked. It sends nothing but DNS queries and HTTP GETs.
package discover

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Resolver is the DNS a discovery asks; *net.Resolver is one.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Config says how to look: where, with what, for how long.
type Config struct {
	Resolver Resolver
	Client   *http.Client
	// ISPDB is the base URL of Thunderbird's ISP database.
	ISPDB string
	// AutoconfigURL gives the domain's own autoconfig URLs, in order;
	// nil: https://autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=
	// and https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml.
	AutoconfigURL func(domain, email string) []string
	// PACCURL gives the domain's PACC document URL; nil:
	// https://ua-auto-config.<domain>/.well-known/user-agent-configuration.json.
	PACCURL func(domain string) string
	// AllowHTTP accepts http:// URLs (never the default: a file fetched in
	// the clear can be changed on the way), and redirects to them.
	AllowHTTP bool
	// AllowPrivate lets the default client connect to loopback, private,
	// link-local and other non-public addresses (a lab); a Client given
	// brings its own dialer (see PublicOnly).
	AllowPrivate bool
	// ResolverName names the resolver in messages ("127.0.0.1:5353").
	ResolverName string
	// Timeout bounds the whole discovery.
	Timeout time.Duration
}

// DefaultISPDB is Thunderbird's ISP database.
const DefaultISPDB = "https://autoconfig.thunderbird.net/v1.1/"

// Server is one server a mail app should use.
type Server struct {
	Protocol string `json:"protocol"` // imap, pop3, smtp
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"` // tls, starttls (cleartext entries are dropped)
	Username string `json:"username,omitempty"`
	// UsernameTemplate is the username as the provider's file writes it,
	// its placeholders not filled (%EMAILLOCALPART%.%EMAILDOMAIN%).
	UsernameTemplate string `json:"username_template,omitempty"`
	// Auth are the login methods the provider lists, in its order
	// (password-cleartext, password-encrypted, OAuth2...).
	Auth []string `json:"auth,omitempty"`
}

// OAuth2 is the provider's OAuth 2.0 set-up, from its file's oAuth2
// element.
type OAuth2 struct {
	Issuer   string `json:"issuer" xml:"issuer"`
	Scope    string `json:"scope" xml:"scope"`
	AuthURL  string `json:"auth_url" xml:"authURL"`
	TokenURL string `json:"token_url" xml:"tokenURL"`
}

// Attempt is one place looked at, and what it gave.
type Attempt struct {
	Source string `json:"source"`
	Result string `json:"result"` // "found", or why not
}

// Result is what a discovery found.
type Result struct {
	Email   string    `json:"email"`
	Domain  string    `json:"domain"`
	Source  string    `json:"source"` // where the servers came from; "" when nothing was found
	Servers []Server  `json:"servers"`
	OAuth2  *OAuth2   `json:"oauth2,omitempty"` // the source's oAuth2 element, when it has one
	MX      []string  `json:"mx"`
	Tried   []Attempt `json:"tried"`
}

// ErrNotFound says that no source gave settings for the domain.
var ErrNotFound = errors.New("no settings found")

// Discover looks for the settings of an address (user@domain, the domain
// in ASCII).
func Discover(ctx context.Context, cfg Config, email string) (*Result, error) {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return nil, fmt.Errorf("email: invalid value %q: want an address such as alice@example.com", email)
	}
	local, domain := email[:at], strings.ToLower(email[at+1:])
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.ISPDB == "" {
		cfg.ISPDB = DefaultISPDB
	}
	if cfg.Client == nil {
		cfg.Client = DefaultClient(nil, cfg.AllowPrivate)
	}
	cfg.Client = cfg.client()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	res := &Result{Email: email, Domain: domain, Servers: []Server{}, MX: []string{}, Tried: []Attempt{}}

	type found struct {
		rank    int
		source  string
		servers []Server
		oauth   *OAuth2
		err     error
	}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		finds []found
	)
	add := func(f found) {
		mu.Lock()
		finds = append(finds, f)
		mu.Unlock()
	}
	// fetch reads one autoconfig URL; note says why it was asked.
	fetch := func(rank int, u, note string) {
		f, err := cfg.fetchAutoconfig(ctx, u, local, domain, email)
		add(found{rank: rank, source: sourceOf(u, f.final) + note, servers: f.servers, oauth: f.oauth, err: err})
	}
	// PACC first: the one source a DNS record authenticates.
	wg.Go(func() {
		f, err := cfg.fetchPACC(ctx, domain, email)
		add(found{rank: -1, source: "PACC " + sourceOf(cfg.paccURL(domain), f.final), servers: f.servers, oauth: f.oauth, err: err})
	})
	urls := cfg.autoconfigURLs(domain, email)
	urls = append(urls, cfg.ISPDB+url.PathEscape(domain))
	for i, u := range urls {
		wg.Go(func() { fetch(i, u, "") })
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		servers, err := lookupSRV(ctx, cfg.Resolver, domain)
		add(found{rank: len(urls), source: "SRV records of " + domain, servers: servers, err: err})
	}()
	go func() {
		defer wg.Done()
		mxs, err := cfg.Resolver.LookupMX(ctx, domain)
		if err != nil || len(mxs) == 0 {
			add(found{rank: len(urls) + 1, source: "MX of " + domain, err: orNotFound(err)})
			return
		}
		sort.Slice(mxs, func(i, j int) bool { return mxs[i].Pref < mxs[j].Pref })
		mu.Lock()
		for _, m := range mxs {
			res.MX = append(res.MX, strings.TrimSuffix(m.Host, "."))
		}
		mxHost := res.MX[0]
		mu.Unlock()
		base, err := publicsuffix.EffectiveTLDPlusOne(mxHost)
		if err != nil || base == domain {
			add(found{rank: len(urls) + 1, source: "MX of " + domain, err: fmt.Errorf("%w: the MX %s is the domain's own", ErrNotFound, mxHost)})
			return
		}
		// As Thunderbird (FetchConfig.sys.mjs, fetchConfigForMX): the MX
		// host less its first label first (x.mail.protection.outlook.com:
		// mail.protection.outlook.com, Office 365, not Outlook.com), then
		// its registrable domain; for each, the provider's own
		// autoconfig over HTTPS, then the ISP database.
		lookups := []string{base}
		if _, next, ok := strings.Cut(mxHost, "."); ok && next != base && strings.HasSuffix(next, "."+base) {
			lookups = []string{next, base}
		}
		var mw sync.WaitGroup
		for i, d := range lookups {
			sources := []string{"", cfg.ISPDB + url.PathEscape(d)}
			if own := cfg.autoconfigURLs(d, email); len(own) > 0 {
				sources[0] = own[0]
			}
			for j, u := range sources {
				if u == "" {
					continue
				}
				mw.Go(func() { fetch(len(urls)+1+2*i+j, u, " (the MX "+mxHost+" is at "+d+")") })
			}
		}
		mw.Wait()
	}()
	wg.Wait()

	sort.Slice(finds, func(i, j int) bool { return finds[i].rank < finds[j].rank })
	offline := len(finds) > 0
	for _, f := range finds {
		offline = offline && f.err != nil && unreachable(f.err)
	}
	for _, f := range finds {
		a := Attempt{Source: f.source, Result: "found"}
		switch {
		case f.err != nil:
			a.Result = cfg.words(f.err)
		case len(f.servers) == 0:
			a.Result = "no encrypted server listed"
		case res.Source != "":
			a.Result = "found (not used: an earlier source answered)"
		default:
			res.Source, res.Servers = f.source, f.servers
			res.OAuth2 = f.oauth
		}
		res.Tried = append(res.Tried, a)
	}
	if offline {
		name := cfg.ResolverName
		if name == "" {
			name = "(the system's)"
		}
		return res, &OfflineError{Resolver: name}
	}
	if res.Source == "" {
		return res, ErrNotFound
	}
	return res, nil
}

// sourceOf names where settings came from: the URL asked, and where it
// was redirected to when it was.
func sourceOf(asked, final string) string {
	if final == "" || final == asked {
		return asked
	}
	return asked + " (redirected to " + final + ")"
}

func orNotFound(err error) error {
	if err == nil {
		return ErrNotFound
	}
	return err
}

func (cfg Config) autoconfigURLs(domain, email string) []string {
	if cfg.AutoconfigURL != nil {
		return cfg.AutoconfigURL(domain, email)
	}
	q := url.QueryEscape(email)
	return []string{
		"https://autoconfig." + domain + "/mail/config-v1.1.xml?emailaddress=" + q,
		"https://" + domain + "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=" + q,
	}
}

// maxConfigBytes bounds an autoconfig file: real ones are a few kB.
const maxConfigBytes = 256 << 10

// fetched is what one autoconfig URL gave: its servers, its oAuth2
// element, and the URL it came from after redirects.
type fetched struct {
	servers []Server
	oauth   *OAuth2
	final   string
}

// fetchAutoconfig fetches and reads an autoconfig file.
func (cfg Config) fetchAutoconfig(ctx context.Context, u, local, domain, email string) (fetched, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return fetched{}, err
	}
	if parsed.Scheme != "https" && !(cfg.AllowHTTP && parsed.Scheme == "http") {
		return fetched{}, fmt.Errorf("not fetched: %s is not HTTPS", u)
	}
	data, final, err := cfg.get(ctx, u, "an autoconfig file")
	f := fetched{final: final}
	if err != nil {
		return f, err
	}
	f.servers, f.oauth, err = parseAutoconfig(data, local, domain, email)
	return f, err
}

// get fetches u (what says what it should be, for the size error) and
// returns its body and the URL it came from after redirects.
func (cfg Config) get(ctx context.Context, u, what string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := cfg.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", context.DeadlineExceeded
		}
		return nil, "", err
	}
	defer resp.Body.Close()
	final := resp.Request.URL.String()
	if resp.StatusCode != http.StatusOK {
		return nil, final, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxConfigBytes+1))
	if err != nil {
		return nil, final, err
	}
	if len(data) > maxConfigBytes {
		return nil, final, fmt.Errorf("larger than %d kB: not %s", maxConfigBytes>>10, what)
	}
	return data, final, nil
}

type clientConfig struct {
	Provider struct {
		Domains  []string `xml:"domain"`
		Incoming []server `xml:"incomingServer"`
		Outgoing []server `xml:"outgoingServer"`
	} `xml:"emailProvider"`
	OAuth2 *OAuth2 `xml:"oAuth2"`
}

type server struct {
	Type       string   `xml:"type,attr"`
	Hostname   string   `xml:"hostname"`
	Port       int      `xml:"port"`
	SocketType string   `xml:"socketType"`
	Username   string   `xml:"username"`
	Auth       []string `xml:"authentication"`
}

var securityOf = map[string]string{"SSL": "tls", "STARTTLS": "starttls"}

// parseAutoconfig reads a clientConfig file, fills in its
// placeholders, and keeps the encrypted servers, in the order the file
// lists them, and its oAuth2 element.
func parseAutoconfig(data []byte, local, domain, email string) ([]Server, *OAuth2, error) {
	var cc clientConfig
	if err := xml.Unmarshal(data, &cc); err != nil {
		return nil, nil, fmt.Errorf("not an autoconfig file: %w", err)
	}
	fill := strings.NewReplacer("%EMAILADDRESS%", email, "%EMAILLOCALPART%", local, "%EMAILDOMAIN%", domain).Replace
	var out []Server
	for i, s := range append(append([]server{}, cc.Provider.Incoming...), cc.Provider.Outgoing...) {
		// Mail servers only, where Thunderbird reads them: IMAP or POP3
		// incoming, SMTP outgoing (not exchange, ews, owa or graph).
		typ := strings.ToLower(strings.TrimSpace(s.Type))
		if incoming := i < len(cc.Provider.Incoming); incoming && typ != "imap" && typ != "pop3" || !incoming && typ != "smtp" {
			continue
		}
		sec, ok := securityOf[strings.TrimSpace(s.SocketType)]
		host := strings.TrimSpace(s.Hostname)
		if !ok || host == "" || s.Port < 1 || s.Port > 65535 {
			continue // cleartext, or unusable
		}
		var auth []string
		for _, a := range s.Auth {
			if a = strings.TrimSpace(a); a != "" {
				auth = append(auth, a)
			}
		}
		out = append(out, Server{Protocol: typ, Host: fill(host), Port: s.Port, Security: sec,
			Username: fill(strings.TrimSpace(s.Username)), UsernameTemplate: strings.TrimSpace(s.Username), Auth: auth})
	}
	if o := cc.OAuth2; o != nil {
		o.Issuer, o.Scope, o.AuthURL, o.TokenURL = strings.TrimSpace(o.Issuer), strings.TrimSpace(o.Scope), strings.TrimSpace(o.AuthURL), strings.TrimSpace(o.TokenURL)
	}
	return out, cc.OAuth2, nil
}

// lookupSRV reads the RFC 6186 and RFC 8314 records (all at once, kept
// in this order, best first) and skips the "not offered" ones (target ".").
func lookupSRV(ctx context.Context, r Resolver, domain string) ([]Server, error) {
	queries := []struct{ service, protocol, security string }{
		{"imaps", "imap", "tls"}, {"imap", "imap", "starttls"}, {"pop3s", "pop3", "tls"}, {"pop3", "pop3", "starttls"},
		{"submissions", "smtp", "tls"}, {"submission", "smtp", "starttls"},
	}
	answers := make([][]*net.SRV, len(queries))
	errs := make([]error, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, answers[i], errs[i] = r.LookupSRV(ctx, q.service, "tcp", domain) // no record: the others may exist
		}()
	}
	wg.Wait()
	// When no query got through (the resolver does not answer), that is
	// the error, not "no record".
	down := errs[0]
	for _, err := range errs {
		if err == nil || !unreachable(err) {
			down = nil
			break
		}
	}
	var out []Server
	for i, q := range queries {
		for _, a := range answers[i] {
			if a.Target == "." || a.Port == 0 {
				continue
			}
			out = append(out, Server{Protocol: q.protocol, Host: strings.TrimSuffix(a.Target, "."), Port: int(a.Port), Security: q.security})
		}
	}
	if len(out) == 0 {
		switch {
		case down != nil:
			return nil, down
		case ctx.Err() != nil:
			return nil, context.DeadlineExceeded
		}
		return nil, fmt.Errorf("%w: no SRV record offers a service", ErrNotFound)
	}
	return out, nil
}
