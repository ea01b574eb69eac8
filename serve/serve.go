// Package serve answers mail apps' auto-configuration requests over HTTP
// (Thunderbird's autoconfig, Outlook's autodiscover in XML and JSON,
// Apple's configuration profiles, the MTA-STS policy) for the domains it
// is given, and serves a page where a person types an address and gets the
// advice, the settings, a download and a QR code.
//
// The answers are the profiles package's: byte for byte what
// `mailadvisor profile` writes for the same address and domain file. The
// server keeps no user list, so an address that does not exist gets the
// same answer as one that does (no enumeration). Its state is the domain
// set, swapped atomically on Reload: replicas are stateless.
package serve

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/profiles"
)

// MTA-STS modes (RFC 8461 §3.2).
const (
	MTASTSEnforce = "enforce"
	MTASTSTesting = "testing"
	MTASTSNone    = "none"
)

// Defaults of Config.
const (
	DefaultRate         = 10       // requests a second per client address
	DefaultBurst        = 40       // requests at once per client address
	DefaultMaxBodyBytes = 16 << 10 // an autodiscover request is under 1 KiB
	DefaultMTASTSMaxAge = 604800   // one week, RFC 8461's example
)

// Config is what a Server answers with. Domains are normalised domain
// descriptions (profiles.Domain.Normalize): each of their names is served.
type Config struct {
	Domains []*profiles.Domain
	// Options are the profiles' choices (STARTTLS endpoints listed or not).
	// Cleartext endpoints are never served.
	Options profiles.Options
	// Signer signs Apple profiles when set.
	Signer *profiles.Signer
	// Advisor scores the page's questions; nil: the built-in rules and
	// models.
	Advisor *advisor.Advisor
	// PublicURL is the scheme and host the server is reached at
	// (https://autoconfig.example.com), for the links and the QR code; ""
	// takes them from each request.
	PublicURL string
	// MTASTSMode is the policy served at /.well-known/mta-sts.txt
	// (enforce, testing or none); "" serves none.
	MTASTSMode   string
	MTASTSMaxAge int
	// Rate and Burst limit each client address (token bucket); Rate 0
	// turns the limit off (a load test, or a proxy that limits).
	Rate  float64
	Burst int
	// RateMemory is the limit's memory budget in bytes, which fixes how
	// many clients have a bucket at once (DefaultRateMemory if 0).
	RateMemory int64
	// MaxBodyBytes bounds request bodies (413 past it).
	MaxBodyBytes int64
	// AccessLog receives one line per request; nil: none.
	AccessLog *AccessLog
	// Logger receives the errors a request meets (a page it could not
	// render); nil: none.
	Logger *slog.Logger
	// MetricsElsewhere takes /metrics off the public handler: it is served
	// by MetricsHandler on a listener of its own (--metrics-listen).
	MetricsElsewhere bool
	// MetricsPerDomain labels the request counts with each served domain
	// (else "*"): a series per domain, endpoint and status.
	MetricsPerDomain bool
	// TrustedProxies are the peers (a load balancer, an ingress) whose
	// Forwarded or X-Forwarded-For and X-Forwarded-Proto headers say who
	// the client is and how it came; from any other peer they are ignored.
	TrustedProxies []netip.Prefix
}

// Server is an http.Handler.
type Server struct {
	cfg     Config
	site    atomic.Pointer[site]
	ready   atomic.Bool
	limiter *ipLimiter
	metrics *metrics
	routes  map[string]*route // by lower-case path
	json    *route            // /autodiscover/autodiscover.json/...
	other   *route            // any other path: 404
}

// site is what Reload swaps: the domains by name, and the signer.
type site struct {
	domains map[string]*profiles.Domain
	signer  *profiles.Signer
	forms   *profiles.Forms // prerendered profiles, made on first use
}

// New checks cfg and returns a Server, ready to answer.
func New(cfg Config) (*Server, error) {
	if cfg.MTASTSMode == "" {
		cfg.MTASTSMode = MTASTSNone
	}
	switch cfg.MTASTSMode {
	case MTASTSEnforce, MTASTSTesting, MTASTSNone:
	default:
		return nil, &profiles.FieldError{Field: "mta-sts", Value: cfg.MTASTSMode, Allowed: "enforce, testing or none"}
	}
	if cfg.MTASTSMaxAge <= 0 {
		cfg.MTASTSMaxAge = DefaultMTASTSMaxAge
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Rate < 0 || (cfg.Rate > 0 && cfg.Burst < 1) {
		return nil, &profiles.FieldError{Field: "rate", Value: fmt.Sprint(cfg.Rate, "/", cfg.Burst),
			Allowed: "a rate of 0 (no limit) or more, with a burst of at least 1"}
	}
	if cfg.PublicURL != "" {
		if err := checkPublicURL(cfg.PublicURL); err != nil {
			return nil, err
		}
		cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	}
	if cfg.Options.AllowInsecure {
		return nil, errors.New("serve: cleartext endpoints are never served")
	}
	if cfg.Advisor == nil {
		a, err := advisor.Builtin()
		if err != nil {
			return nil, err
		}
		cfg.Advisor = a
	}
	s := &Server{cfg: cfg}
	if cfg.Rate > 0 {
		if cfg.RateMemory <= 0 {
			cfg.RateMemory = DefaultRateMemory
		}
		s.limiter = newIPLimiter(cfg.Rate, cfg.Burst, cfg.RateMemory)
	}
	var err error
	if s.metrics, err = newMetrics(cfg.MetricsPerDomain); err != nil {
		return nil, err
	}
	s.makeRoutes()
	if err := s.Reload(cfg.Domains, cfg.Signer); err != nil {
		return nil, err
	}
	s.ready.Store(true)
	return s, nil
}

// Reload replaces the domains and the signer; requests in flight finish
// with the old ones. Two descriptions of one domain name are an error.
func (s *Server) Reload(domains []*profiles.Domain, signer *profiles.Signer) error {
	st := &site{domains: map[string]*profiles.Domain{}, signer: signer, forms: &profiles.Forms{}}
	for _, d := range domains {
		for _, name := range d.Domains {
			if _, dup := st.domains[name]; dup {
				s.metrics.loaded(false, 0)
				return &profiles.FieldError{Field: "domains", Value: name, Allowed: "each domain described once"}
			}
			st.domains[name] = d
		}
	}
	st.forms.Limit = profiles.FormLimitFor(len(st.domains))
	s.site.Store(st)
	s.metrics.loaded(true, len(st.domains))
	return nil
}

// ReloadFailed records a load of the domain set that failed before it
// reached Reload (a file that does not parse): the previous set is still
// served, and /metrics says so.
func (s *Server) ReloadFailed() { s.metrics.loaded(false, 0) }

// SetRejected records how many entries of the domain source were left
// out of the set served (rows of their own that are wrong).
func (s *Server) SetRejected(n int) { s.metrics.rejected.Set(float64(n)) }

// MetricsHandler serves /metrics alone, for a listener of its own.
func (s *Server) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		s.metrics.handler.ServeHTTP(w, r)
	})
}

// TLSConfig is the HTTPS configuration of Mozilla's intermediate profile
// (guidelines 5.7): TLS 1.2 with the six ECDHE AEAD suites only (no CBC,
// no SHA-1, no RSA key exchange), TLS 1.3 with all of its own (all AEAD);
// getCert gives the certificate for each handshake.
func TLSConfig(getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: getCert,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		}}
}

// Generation is how many times the domain set was loaded.
func (s *Server) Generation() int64 { return s.metrics.gen.Load() }

// Timeouts of HTTPServer, against slow clients: a request's headers must
// arrive within 5 s and the whole request within 10 s; an idle kept-alive
// connection is closed after a minute.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 10 * time.Second
	WriteTimeout      = 15 * time.Second
	IdleTimeout       = 60 * time.Second
	MaxHeaderBytes    = 16 << 10
)

// HTTPServer is an http.Server for h with the timeouts and limits above.
func HTTPServer(h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          errorLog,
	}
}

// SetReady says whether /readyz answers 200: false while shutting down,
// so a load balancer stops sending new requests.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Domains returns the number of domain names served.
func (s *Server) Domains() int { return len(s.site.Load().domains) }

func checkPublicURL(u string) error {
	bad := &profiles.FieldError{Field: "public-url", Value: u, Allowed: "https://host or http://host[:port], with no path"}
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || (scheme != "https" && scheme != "http") {
		return bad
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" || strings.ContainsAny(rest, "/?#@ \t\"<>\\") {
		return bad
	}
	return nil
}

// ServeHTTP routes a request. Paths are matched without regard to case
// (Outlook writes /Autodiscover/Autodiscover.xml, others lower case).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	h := s.route(strings.ToLower(r.URL.Path))
	rec.Header().Set("X-Content-Type-Options", "nosniff")
	o := s.originOf(r)
	rec.https = o.https
	if h.limited && s.limiter != nil && !s.limiter.allowAddr(o.addr, start) {
		rec.Header().Set("Retry-After", "1")
		plain(rec, http.StatusTooManyRequests, "too many requests: slow down")
	} else {
		h.fn(rec, r)
	}
	elapsed := time.Since(start)
	s.metrics.observe(h.name, rec.domain, rec.status, elapsed)
	if s.cfg.AccessLog != nil {
		// The path, never the query, and no client address: both say who
		// asked (a mail address, an IP address).
		s.cfg.AccessLog.log(start.Add(elapsed), &entry{method: r.Method, path: logPath(r.URL.Path), endpoint: h.name,
			domain: rec.domain, status: rec.status, bytes: rec.bytes, duration: elapsed, userAgent: r.UserAgent()})
	}
}

// logPath is the path as logged: an address in it (the JSON autodiscover
// puts one there) is replaced by {address}.
func logPath(p string) string {
	if i := strings.Index(strings.ToLower(p), "/autodiscover.json/"); i >= 0 {
		rest := p[i+len("/autodiscover.json/"):]
		if version, _, ok := strings.Cut(rest, "/"); ok {
			return p[:i+len("/autodiscover.json/")] + version + "/{address}"
		}
	}
	if !strings.ContainsAny(p, "@%") {
		return p
	}
	// Any other path (a 404 too): a segment that holds an address.
	segments := strings.Split(p, "/")
	for i, seg := range segments {
		if strings.Contains(seg, "@") || strings.Contains(strings.ToLower(seg), "%40") {
			segments[i] = "{address}"
		}
	}
	return strings.Join(segments, "/")
}

type route struct {
	name    string // the metrics' endpoint label
	limited bool   // counted against the client's rate
	fn      func(*recorder, *http.Request)
}

// makeRoutes builds the table route reads: once, not per request.
func (s *Server) makeRoutes() {
	s.routes = map[string]*route{}
	add := func(r *route, paths ...string) {
		for _, p := range paths {
			s.routes[p] = r
		}
	}
	add(&route{"autoconfig", true, s.autoconfig}, "/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml")
	add(&route{"autodiscover", true, s.autodiscoverXML}, "/autodiscover/autodiscover.xml")
	s.json = &route{"autodiscover-json", true, s.autodiscoverJSON}
	add(s.json, "/autodiscover/autodiscover.json")
	add(&route{"mobileconfig", true, s.mobileconfig}, "/mobileconfig", "/mobileconfig/", "/email.mobileconfig")
	add(&route{"mta-sts", true, s.mtaSTS}, "/.well-known/mta-sts.txt")
	add(&route{"pacc", true, s.pacc}, profiles.PACCPath)
	add(&route{"healthz", false, s.healthz}, "/healthz")
	add(&route{"readyz", false, s.readyz}, "/readyz")
	if !s.cfg.MetricsElsewhere {
		// On the public listener /metrics is limited like the profiles: it
		// costs some forty profiles a call.
		add(&route{"metrics", true, s.metrics.serve}, "/metrics")
	}
	add(&route{"page", true, s.page}, "/")
	s.other = &route{"other", true, func(w *recorder, _ *http.Request) { plain(w, http.StatusNotFound, "not found") }}
}

// route finds the endpoint of a lower-case path.
func (s *Server) route(p string) *route {
	if r, ok := s.routes[p]; ok {
		return r
	}
	if strings.HasPrefix(p, "/autodiscover/autodiscover.json/") {
		return s.json
	}
	return s.other
}

// recorder keeps the status, size and domain of a response for the log
// and the metrics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	domain string // a served domain, or "" (the label is then "-")
	site   *site  // the site the request's domain was looked up in
	wrote  bool
	https  bool // the request came over HTTPS (directly or through a trusted proxy)
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// plain answers a short text body.
func plain(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

func (s *Server) healthz(w *recorder, _ *http.Request) { plain(w, http.StatusOK, "ok") }

func (s *Server) readyz(w *recorder, _ *http.Request) {
	switch {
	case !s.ready.Load():
		plain(w, http.StatusServiceUnavailable, "shutting down")
	case s.Domains() == 0:
		plain(w, http.StatusServiceUnavailable, "no domain to serve")
	default:
		plain(w, http.StatusOK, "ready")
	}
}
