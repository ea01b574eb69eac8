// Package probe connects to a live mail server the way mail clients do and
// reports what it really offers, against the advice: for each mail port,
// whether it is open, implicit TLS or STARTTLS, the TLS versions and weak
// cipher suites it accepts, its certificate, banner and the capabilities
// and AUTH mechanisms before and after TLS; and for the domain, its MX,
// SPF, DMARC, DKIM, MTA-STS, TLS-RPT and SRV records and whether clients
// can fetch autoconfig and autodiscover. Every check is pass, warn or
// fail (or info), and the whole gets a grade.
//
// Everything runs concurrently under one deadline. The package never
// prints; the dialer, the DNS server, the HTTP client and the trusted
// roots are given, so that tests run against loopback stand-ins.
package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mailadvisor/mailadvisor/internal/mailports"
)

// Status of a check.
type Status string

// The statuses, from the best.
const (
	Pass Status = "pass"
	Info Status = "info" // a fact, neither good nor bad
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check is one thing probed.
type Check struct {
	Group  string `json:"group"` // the port ("imaps 993") or "dns", "http"
	Name   string `json:"name"`  // what was checked: tls-versions, certificate...
	Status Status `json:"status"`
	Detail string `json:"detail"`
	// Critical marks a failure that alone gives the grade F: cleartext
	// logins, an expired or untrusted certificate, an open relay.
	Critical bool `json:"critical,omitempty"`

	names []string            // ptr: the forward-confirmed reverse names found
	certs []*x509.Certificate // certificate: the chain the port presented
}

// Result is every check, in a stable order, and the grade.
type Result struct {
	Host   string  `json:"host"`
	Domain string  `json:"domain,omitempty"`
	Grade  string  `json:"grade"` // A to F
	Checks []Check `json:"checks"`
	Counts struct {
		Pass int `json:"pass"`
		Warn int `json:"warn"`
		Fail int `json:"fail"`
	} `json:"counts"`
}

// Service is a mail port as clients use it.
type Service struct {
	Name     string // smtp, submission, submissions, imap, imaps, pop3, pop3s
	Port     int
	Protocol string // smtp, imap or pop3
	Implicit bool   // TLS from the first byte
}

// Services are the seven mail ports, in the order of the report.
var Services = []Service{
	{"smtp", mailports.SMTP, "smtp", false},
	{"submissions", mailports.Submissions, "smtp", true},
	{"submission", mailports.Submission, "smtp", false},
	{"imaps", mailports.IMAPS, "imap", true},
	{"pop3s", mailports.POP3S, "pop3", true},
	{"imap", mailports.IMAP, "imap", false},
	{"pop3", mailports.POP3, "pop3", false},
}

// Config says what to probe and how.
type Config struct {
	Host   string // the mail server: a name (checked against its certificate) or an address
	Domain string // the mail domain, for the DNS and HTTP checks ("" skips them)
	// DKIMSelector, when set, is looked up at SELECTOR._domainkey.DOMAIN.
	DKIMSelector string
	// Addrs overrides where a service is reached (service name →
	// host:port), for tests; a service absent from it is Host:Port.
	Addrs map[string]string
	// ServerName is the name the certificate must carry (default Host).
	ServerName string
	// DNSServer is the resolver asked (host:port); required for the DNS
	// checks.
	DNSServer string
	// TrustAnchors are DNSSEC trust anchors (DS or DNSKEY records, zone
	// file lines) from which probe validates the TLSA records itself;
	// without them it relies on the resolver's AD bit, and says so.
	TrustAnchors []string
	// HTTPClient fetches MTA-STS policies and autoconfig (default: one
	// with a 10-second timeout).
	HTTPClient *http.Client
	// Roots are the trusted CAs (nil: the system's).
	Roots *x509.CertPool
	// Dial connects (default: a net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// OpenRelay tries to relay a message (never sent: the dialogue stops
	// at RCPT) through port 25; only when asked.
	OpenRelay bool
	// Ban, with Attempts > 0, fails to log in that many times and checks
	// that the address is then banned; only when asked, and last, since
	// it bans this machine.
	Ban Ban
	// Timeout is the deadline of the whole probe (default 30 s).
	Timeout time.Duration
	// Now is the time certificates are checked against (default
	// time.Now).
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.ServerName == "" {
		c.ServerName = c.Host
	}
	if c.Dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second}
		c.Dial = d.DialContext
	}
	if c.DNSServer != "" {
		// One resolver for every lookup: the mail host and the HTTPS names
		// too, not the system's for some of them.
		c.Dial = resolvingDial(&resolver{server: c.DNSServer, client: &dns.Client{Net: "udp"}}, c.Dial)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			DialContext: c.Dial, TLSClientConfig: &tls.Config{RootCAs: c.Roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: 10 * time.Second, ForceAttemptHTTP2: true,
		}}
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func (c *Config) addr(s Service) string {
	if a, ok := c.Addrs[s.Name]; ok {
		return a
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(s.Port))
}

// Run probes the server and the domain within cfg.Timeout. It returns an
// error only for a configuration it cannot use; what the server does
// wrong is in the checks.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("probe: no host")
	}
	cfg.defaults()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	type part struct {
		order  int
		checks []Check
	}
	var mu sync.Mutex
	var parts []part
	var wg sync.WaitGroup
	add := func(order int, f func() []Check) {
		wg.Go(func() {
			checks := f()
			mu.Lock()
			parts = append(parts, part{order, checks})
			mu.Unlock()
		})
	}
	for i, s := range Services {
		add(i, func() []Check { return probeService(ctx, &cfg, s) })
	}
	if cfg.Domain != "" {
		add(len(Services), func() []Check { return probeDNS(ctx, &cfg) })
		add(len(Services)+1, func() []Check { return probeHTTP(ctx, &cfg) })
	}
	wg.Wait()
	slices.SortFunc(parts, func(a, b part) int { return a.order - b.order })
	res := &Result{Host: cfg.Host, Domain: cfg.Domain, Checks: []Check{}}
	for _, p := range parts {
		res.Checks = append(res.Checks, p.checks...)
	}
	if c, ok := bannerCheck(res.Checks); ok {
		res.Checks = append(res.Checks, c)
	}
	if cfg.Domain != "" && cfg.DNSServer != "" {
		var certs []*x509.Certificate
		for _, c := range res.Checks {
			if c.Group == "smtp 25" && c.Name == "certificate" {
				certs = c.certs
			}
		}
		res.Checks = append(res.Checks, daneCheck(ctx, &cfg, certs))
	}
	if cfg.Ban.Attempts > 0 {
		if s, ok := banService(res.Checks); ok {
			// Its own deadline, not the probe's: Dovecot delays each failure
			// by seconds.
			res.Checks = append(res.Checks, banCheck(parent, &cfg, s))
		} else {
			res.Checks = append(res.Checks, Check{Group: "imaps 993", Name: "ban", Status: Warn,
				Detail: "no login was tried: neither IMAPS nor submissions (465) answered"})
		}
	}
	open := false
	for _, c := range res.Checks {
		open = open || c.Name == "open" && c.Status == Info && strings.HasPrefix(c.Detail, "open")
	}
	if !open {
		// Nothing to grade: a grade would rate the network, not the server.
		u := &UnreachableError{Host: cfg.Host}
		for _, c := range res.Checks {
			if c.Name == "open" {
				u.Ports = append(u.Ports, c.Group+": "+strings.SplitN(c.Detail, ":", 2)[0])
			}
		}
		return res, u
	}
	res.grade()
	return res, nil
}

// bannerCheck compares the name port 25 greets with (the first word of
// its banner) with the MX's forward-confirmed reverse names: receivers
// compare them, and a mismatch is a common spam signal.
func bannerCheck(checks []Check) (Check, bool) {
	var banner string
	var names []string
	found := false
	for _, c := range checks {
		switch {
		case c.Group == "smtp 25" && c.Name == "banner":
			if f := strings.Fields(c.Detail); len(f) > 0 {
				banner = strings.ToLower(strings.TrimSuffix(f[0], "."))
			}
		case c.Group == "dns" && c.Name == "ptr":
			names, found = c.names, true
		}
	}
	if banner == "" || !found || len(names) == 0 {
		return Check{}, false
	}
	c := Check{Group: "dns", Name: "banner-name", Status: Pass, Detail: "port 25 greets as " + banner + ", the MX's reverse name"}
	if !slices.Contains(names, banner) {
		c.Status, c.Detail = Warn, fmt.Sprintf("port 25 greets as %s, the MX's reverse names are %s: receivers compare them", banner, strings.Join(slices.Compact(slices.Sorted(slices.Values(names))), ", "))
	}
	return c, true
}

// UnreachableError says that no mail port of the host answered: the
// result has the checks made, and no grade.
type UnreachableError struct {
	Host  string
	Ports []string // each port and why it did not answer
}

func (e *UnreachableError) Error() string {
	return e.Host + ": unreachable: no mail port answers (" + strings.Join(e.Ports, "; ") + ")"
}

// grade: A with no failure and no warning; B with warnings only, at most
// three; C with more warnings; D with one or two failures; F with three or
// more, or any critical one.
func (r *Result) grade() {
	critical := false
	for _, c := range r.Checks {
		switch c.Status {
		case Pass:
			r.Counts.Pass++
		case Warn:
			r.Counts.Warn++
		case Fail:
			r.Counts.Fail++
			critical = critical || c.Critical
		}
	}
	switch {
	case critical || r.Counts.Fail >= 3:
		r.Grade = "F"
	case r.Counts.Fail > 0:
		r.Grade = "D"
	case r.Counts.Warn > 3:
		r.Grade = "C"
	case r.Counts.Warn > 0:
		r.Grade = "B"
	default:
		r.Grade = "A"
	}
}
