package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	neturl "net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/internal/dirwatch"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/pgsource"
	"github.com/mailadvisor/mailadvisor/profiles"
	"github.com/mailadvisor/mailadvisor/serve"
)

type serveOptions struct {
	io              streams
	listen          string
	domainDir       string
	domainFiles     []string
	domains         []string
	domainSource    string
	domainQuery     string
	domainNotify    string
	domainRefresh   time.Duration
	source          *pgsource.Source
	cert, key       string
	acme            bool
	acmeDirectory   string
	acmeEmail       string
	acmeCache       string
	acmeCA          string
	signCert        string
	signKey         string
	signChain       string
	starttls        bool
	acVersion       string // --autoconfig-version
	publicURL       string
	mtaSTS          string
	rate            float64
	burst           int
	logFormat       string
	accessLog       bool
	watch           bool
	rateMemoryMB    int
	metricsListen   string
	metricsDomains  bool
	trustedProxies  []netip.Prefix
	shutdownTimeout time.Duration
	// ready is told the address once the server listens (tests).
	ready func(addr string)
}

func newServeCmd(io streams) *cobra.Command {
	opts := &serveOptions{io: io}
	cmd := &cobra.Command{
		Use:   "serve [--domain-dir DIR | --domain-file FILE ... | --domain NAME ... | --domain-source postgres://...]",
		Short: "Answer mail apps' auto-configuration requests over HTTP, with a page for people",
		Long: `Serve the profiles over HTTP for every domain described, the way mail apps
ask for them:

  Thunderbird   GET /mail/config-v1.1.xml?emailaddress=ADDRESS
                (and /.well-known/autoconfig/mail/config-v1.1.xml)
  Outlook       POST /autodiscover/autodiscover.xml (the POX request)
                GET /autodiscover/autodiscover.json/v1.0/ADDRESS?Protocol=AutodiscoverV1
  Apple         GET /mobileconfig?emailaddress=ADDRESS&name=NAME (signed with --sign-cert)
  MTA-STS       GET /.well-known/mta-sts.txt (on the host mta-sts.DOMAIN)
  people        GET / : a page (English, French) that gives the advice, the
                settings, the downloads and a QR code for a phone
  operations    /healthz, /readyz, /metrics (Prometheus; on --metrics-listen
                instead, off the public listener, as the manifests do)

The answers are byte for byte what 'mailadvisor profile' writes with the
same domain file. The server keeps no user list: every address at a served
domain gets an answer (no enumeration); a domain not served gets 404.
When they change on disk (an edit, certbot's renewal, the kubelet's swap of
a mounted ConfigMap or Secret), the domain files, the TLS certificate and
the signing key are loaded again within a second, checked whole, and
swapped in; a bad set keeps the last good one (/metrics:
mailadvisor_domains_generation, mailadvisor_domains_last_reload_success).
For a large fleet, --domain-source reads the domains from PostgreSQL (the
table or --domain-query README documents), again on each NOTIFY on
--domain-notify's channel and every --domain-refresh; while the database
is away the last set read is served (mailadvisor_domains_loaded_timestamp_seconds
says since when).
SIGHUP does the same at once;
SIGTERM or Ctrl-C stops taking requests and finishes those in flight.
Put it behind the names autoconfig.DOMAIN, autodiscover.DOMAIN and
mta-sts.DOMAIN ('mailadvisor server dns' writes them), over HTTPS
(--cert/--key; --acme, which obtains a certificate for each served name
and renews it; or a TLS proxy in front).`,
		Example: `  mailadvisor serve --domain-file example.com.yaml --listen :8080
  mailadvisor serve --domain-dir /etc/mailadvisor/domains --cert fullchain.pem --key privkey.pem --listen :443
  mailadvisor serve --domain example.com --public-url https://autoconfig.example.com
  mailadvisor serve --domain-dir /etc/mailadvisor/domains --acme --acme-cache /var/cache/mailadvisor/acme --acme-email ops@example.com --listen :443
  PGPASSWORD=... mailadvisor serve --domain-source postgres://mailadvisor@db.internal/panel --listen :8080`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.listen, "listen", ":8080", "address to listen on (host:port)")
	f.StringVar(&opts.metricsListen, "metrics-listen", "", "serve /metrics on this address instead (host:port, such as 127.0.0.1:9090 or the pod's :9090), off the public listener")
	f.BoolVar(&opts.metricsDomains, "metrics-per-domain", false, `count requests by domain in /metrics (else all served domains are domain="*"): a series per domain, endpoint and status`)
	f.StringVar(&opts.domainDir, "domain-dir", "", "serve every domain file (*.yaml, *.yml) in this directory")
	f.StringSliceVar(&opts.domainFiles, "domain-file", nil, "serve this domain file (the format of 'profile --domain-file'); repeatable")
	f.StringSliceVar(&opts.domains, "domain", nil, "serve this domain with guessed servers (mail.DOMAIN); repeatable")
	f.Var(&checkedString{target: &opts.domainSource, typ: "url", check: pgsource.CheckURL}, "domain-source",
		"read the domains from PostgreSQL: postgres://USER@HOST/DATABASE (the password from PGPASSWORD or ~/.pgpass)")
	f.StringVar(&opts.domainQuery, "domain-query", pgsource.DefaultQuery, "with --domain-source: the query that returns the domains, one row each, its columns named "+strings.Join(pgsource.Columns(), ", "))
	f.StringVar(&opts.domainNotify, "domain-notify", pgsource.DefaultChannel, `with --domain-source: reload on each NOTIFY on this channel ("" not to listen)`)
	addDurationFlag(cmd, &opts.domainRefresh, "domain-refresh", 5*time.Minute, 0, 24*time.Hour, "with --domain-source: also reload this often (0: on notifications only)")
	f.StringVar(&opts.cert, "cert", "", "TLS certificate chain (PEM): serve HTTPS")
	f.StringVar(&opts.key, "key", "", "TLS private key (PEM)")
	f.BoolVar(&opts.acme, "acme", false, "obtain and renew the HTTPS certificates of every served name through ACME (tls-alpn-01 on --listen, which the names must reach on port 443); accepts the CA's terms")
	f.StringVar(&opts.acmeDirectory, "acme-directory", serve.DefaultACMEDirectory, "with --acme: the ACME server's directory URL")
	f.StringVar(&opts.acmeEmail, "acme-email", "", "with --acme: the account's contact address, for the CA's notices")
	f.StringVar(&opts.acmeCache, "acme-cache", "", "with --acme: the directory that keeps the account key and certificates between runs (required; a volume in a container)")
	f.StringVar(&opts.acmeCA, "acme-ca", "", "with --acme: trust these CA certificates (PEM) for the ACME server's own HTTPS (a private ACME server)")
	f.StringVar(&opts.signCert, "sign-cert", "", "sign Apple profiles with this certificate (PEM)")
	f.StringVar(&opts.signKey, "sign-key", "", "the signing certificate's private key (PEM)")
	f.StringVar(&opts.signChain, "sign-chain", "", "intermediate certificates to include in signatures (PEM)")
	f.BoolVar(&opts.starttls, "allow-starttls", false, "also list IMAP on 143 and POP3 on 110 with STARTTLS, after the implicit-TLS ports")
	addChoiceFlag(cmd, &opts.acVersion, "autoconfig-version", "", "version", profiles.Autoconfig12, fixed(profiles.AutoconfigVersions...),
		"autoconfig clientConfig version served: 1.2 (with CalDAV and CardDAV) or 1.1, exactly as old deployments serve it")
	f.StringVar(&opts.publicURL, "public-url", "", "scheme and host the server is reached at, for links and QR codes (default: each request's)")
	addChoiceFlag(cmd, &opts.mtaSTS, "mta-sts", "", "mode", serve.MTASTSNone, fixed(serve.MTASTSEnforce, serve.MTASTSTesting, serve.MTASTSNone),
		"MTA-STS policy mode served: enforce, testing or none (match 'server dns --mta-sts')")
	f.Float64Var(&opts.rate, "rate", serve.DefaultRate, "requests a second allowed per client address (0: no limit)")
	f.IntVar(&opts.burst, "burst", serve.DefaultBurst, "requests at once allowed per client address")
	addIntRangeFlag(cmd, &opts.rateMemoryMB, "rate-memory-mb", serve.DefaultRateMemory>>20, 1, 1024, "",
		"memory for the rate limit's clients, in MiB (8: about 75,000 clients at once; past that the least recently seen is forgotten)")
	addChoiceFlag(cmd, &opts.logFormat, "log-format", "", "format", "text", fixed("text", "json"), "log on stderr: text or json")
	f.BoolVar(&opts.accessLog, "access-log", true, "log every request (method, path without the query, status, time); --access-log=false when a proxy in front logs them")
	f.Var(&prefixList{target: &opts.trustedProxies}, "trusted-proxy", "a proxy in front (address or CIDR, repeatable): only from it, the client's address comes from Forwarded or X-Forwarded-For and the scheme from X-Forwarded-Proto")
	f.BoolVar(&opts.watch, "watch", true, "reload when --domain-dir, --cert, --key or the signing files change (as SIGHUP does); --watch=false for SIGHUP only")
	addDurationFlag(cmd, &opts.shutdownTimeout, "shutdown-timeout", 10*time.Second, 0, time.Hour, "on SIGTERM, how long requests in flight may take")
	cmd.MarkFlagsRequiredTogether("cert", "key")
	cmd.MarkFlagsMutuallyExclusive("acme", "cert")
	cmd.MarkFlagsRequiredTogether("sign-cert", "sign-key")
	return cmd
}

// loadDomains reads every domain the flags name. Rows of --domain-source
// that are wrong are left out and returned in rejected; the others are
// served.
func (opts *serveOptions) loadDomains(ctx context.Context) (out []*profiles.Domain, rejected []*pgsource.RowError, err error) {
	files := slices.Clone(opts.domainFiles)
	if opts.domainDir != "" {
		entries, err := os.ReadDir(opts.domainDir)
		if err != nil {
			return nil, nil, usagef("--domain-dir: %v", err)
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") {
				continue
			}
			if path, ok := domainDirEntry(opts.domainDir, e); ok {
				files = append(files, path)
			}
		}
	}
	// Where each name is described: a name described twice is refused,
	// naming both places.
	from := map[string]string{}
	described := func(d *profiles.Domain, where string) error {
		for _, name := range d.Domains {
			if first, dup := from[name]; dup {
				return withHint(usagef("%s is described twice, in %s and in %s: want each domain described once", name, first, where),
					"keep one description of it")
			}
			from[name] = where
		}
		return nil
	}
	for _, file := range files {
		d, err := readDomainFile(opts.io.inputs, file)
		if err != nil {
			return nil, nil, err
		}
		if err := described(d, "the domain file "+textcheck.Visible(file)); err != nil {
			return nil, nil, err
		}
		out = append(out, d)
	}
	for _, name := range opts.domains {
		d := &profiles.Domain{Domains: []string{name}}
		if err := d.Normalize(); err != nil {
			return nil, nil, &usageError{err: fmt.Errorf("--domain: %w", err)}
		}
		if profiles.PublicProvider(d.Domains[0]) {
			return nil, nil, usagef("--domain: %s is a public mail provider's domain: its servers are the provider's", name)
		}
		if err := described(d, "--domain"); err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(opts.io.err, "mailadvisor: note: the servers of %s are a guess (mail.%s): confirm them, or give a --domain-file\n", d.Domains[0], d.Domains[0])
		out = append(out, d)
	}
	if opts.source != nil {
		lctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		rows, bad, err := opts.source.Load(lctx)
		var field *profiles.FieldError
		if errors.As(err, &field) {
			return nil, nil, usagef("--%s: invalid value %q: want %s", field.Field, field.Value, field.Allowed)
		} else if err != nil {
			return nil, bad, fmt.Errorf("--domain-source %w", err)
		}
		where := "--domain-source " + opts.source.Redacted
		for _, d := range rows {
			if first, dup := from[d.Domains[0]]; dup {
				bad = append(bad, &pgsource.RowError{Domain: d.Domains[0], Err: fmt.Errorf("also described in %s: left out", first)})
				continue
			}
			from[d.Domains[0]] = where
			out = append(out, d)
		}
		rejected = bad
	}
	if len(out) == 0 {
		return nil, rejected, withHint(usagef("no domain to serve: give --domain-file, --domain-dir, --domain or --domain-source"), "mailadvisor serve --domain example.com")
	}
	return out, rejected, nil
}

// domainDirEntry tells whether an entry of --domain-dir is a domain file:
// a regular file, or a link that resolves to a regular file inside the
// directory. Kubernetes mounts each ConfigMap key as such a link
// (example.com.yaml -> ..data/example.com.yaml, ..data -> a dated
// directory, swapped atomically on change); a link out of the directory
// is not followed.
func domainDirEntry(dir string, e os.DirEntry) (string, bool) {
	path := filepath.Join(dir, e.Name())
	if e.Type().IsRegular() {
		return path, true
	}
	if e.Type()&os.ModeSymlink == 0 {
		return "", false
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", false
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", false
	}
	if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	fi, err := os.Stat(target)
	return path, err == nil && fi.Mode().IsRegular()
}

// acmeConfig checks the --acme-* flags.
func (opts *serveOptions) acmeConfig() (serve.ACMEConfig, error) {
	if opts.acmeCache == "" {
		return serve.ACMEConfig{}, withHint(usagef("--acme needs --acme-cache DIR: where the account key and certificates are kept between runs"),
			"mailadvisor serve --acme --acme-cache /var/cache/mailadvisor/acme ...")
	}
	if u, err := neturl.Parse(opts.acmeDirectory); err != nil || u.Scheme != "https" || u.Host == "" {
		return serve.ACMEConfig{}, usagef("--acme-directory: invalid value %q: want the https:// URL of an ACME directory", textcheck.Visible(opts.acmeDirectory))
	}
	cfg := serve.ACMEConfig{Directory: opts.acmeDirectory, Email: opts.acmeEmail, CacheDir: opts.acmeCache}
	if opts.acmeCA != "" {
		data, err := opts.io.inputs.read("--acme-ca", opts.acmeCA, nil)
		if err != nil {
			return cfg, err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(data) {
			return cfg, usagef("--acme-ca: %s holds no PEM certificate", textcheck.Visible(opts.acmeCA))
		}
	}
	return cfg, nil
}

// loadCert reads the TLS key pair.
func (opts *serveOptions) loadCert() (*tls.Certificate, error) {
	if opts.cert == "" {
		return nil, nil
	}
	certPEM, err := opts.io.inputs.read("--cert", opts.cert, nil)
	if err != nil {
		return nil, err
	}
	keyPEM, err := opts.io.inputs.read("--key", opts.key, nil)
	if err != nil {
		return nil, err
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, usagef("--cert/--key: %v", err)
	}
	opts.warnCert(&c, time.Now())
	return &c, nil
}

// warnCert says what will break a client: a key others can read, a
// certificate not yet valid, expired, or close to it (renewal failed).
func (opts *serveOptions) warnCert(c *tls.Certificate, now time.Time) {
	if fi, err := os.Stat(opts.key); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(opts.io.err, "mailadvisor: warning: --key %s is readable by others (mode %04o): chmod 600 it\n",
			textcheck.Visible(opts.key), fi.Mode().Perm())
	}
	leaf := c.Leaf
	if leaf == nil {
		return
	}
	switch left := leaf.NotAfter.Sub(now); {
	case now.Before(leaf.NotBefore):
		fmt.Fprintf(opts.io.err, "mailadvisor: warning: --cert is not valid before %s: clients refuse it until then\n", leaf.NotBefore.UTC().Format(time.RFC3339))
	case left <= 0:
		fmt.Fprintf(opts.io.err, "mailadvisor: warning: --cert expired on %s: clients refuse it; renew it (serve loads the new one as it is written)\n", leaf.NotAfter.UTC().Format(time.DateOnly))
	case left < 14*24*time.Hour:
		fmt.Fprintf(opts.io.err, "mailadvisor: warning: --cert expires in %d days (%s): check its renewal\n", int(left.Hours()/24), leaf.NotAfter.UTC().Format(time.DateOnly))
	}
}

func (opts *serveOptions) loadSigner() (*profiles.Signer, error) {
	if opts.signCert == "" {
		return nil, nil
	}
	s, err := loadSigner(opts.io, opts.signCert, opts.signKey, opts.signChain)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

func runServe(ctx context.Context, opts *serveOptions) error {
	// The log is written in batches, at most a tenth of a second late (one
	// write per request was a sixth of a request's cost), and whole at exit.
	logOut := newBatchedWriter(opts.io.err, 100*time.Millisecond)
	defer logOut.Close()
	var handler slog.Handler
	switch opts.logFormat {
	case "text":
		handler = slog.NewTextHandler(logOut, nil)
	case "json":
		handler = slog.NewJSONHandler(logOut, nil)
	default:
		return usagef("--log-format: invalid value %q: want text or json", opts.logFormat)
	}
	logger := slog.New(handler)
	if opts.domainSource != "" {
		src, err := pgsource.New(pgsource.Config{URL: opts.domainSource, Query: opts.domainQuery, Channel: opts.domainNotify})
		var field *profiles.FieldError
		if errors.As(err, &field) {
			return usagef("--%s: invalid value %q: want %s", field.Field, field.Value, field.Allowed)
		} else if err != nil {
			return err
		}
		opts.source = src
	}
	domains, rejected, err := opts.loadDomains(ctx)
	if err != nil {
		return err
	}
	opts.warnRejected(rejected, func(msg string) { fmt.Fprintf(opts.io.err, "mailadvisor: warning: %s\n", msg) })
	cert, err := opts.loadCert()
	if err != nil {
		return err
	}
	signer, err := opts.loadSigner()
	if err != nil {
		return err
	}
	var accessLog *serve.AccessLog
	if opts.accessLog {
		if accessLog, err = serve.NewAccessLog(logOut, opts.logFormat); err != nil {
			return err
		}
	}
	srv, err := serve.New(serve.Config{
		MetricsElsewhere: opts.metricsListen != "", MetricsPerDomain: opts.metricsDomains,
		Domains: domains, Options: profiles.Options{AllowSTARTTLS: opts.starttls, AutoconfigVersion: opts.acVersion}, Signer: signer,
		PublicURL: opts.publicURL, MTASTSMode: opts.mtaSTS, Rate: opts.rate, Burst: opts.burst, Logger: logger, AccessLog: accessLog,
		TrustedProxies: opts.trustedProxies, RateMemory: int64(opts.rateMemoryMB) << 20,
	})
	var field *profiles.FieldError
	if errors.As(err, &field) {
		return usagef("--%s: invalid value %q: want %s", field.Field, field.Value, field.Allowed)
	} else if err != nil {
		return err
	}
	srv.SetRejected(len(rejected))
	var current atomic.Pointer[tls.Certificate]
	current.Store(cert)
	hs := serve.HTTPServer(srv, slog.NewLogLogger(handler, slog.LevelWarn))
	useTLS := cert != nil || opts.acme
	if cert != nil {
		hs.TLSConfig = serve.TLSConfig(func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return current.Load(), nil })
	}
	if opts.acme {
		cfg, err := opts.acmeConfig()
		if err != nil {
			return err
		}
		m, err := srv.ACME(cfg)
		if err != nil {
			return err
		}
		hs.TLSConfig = serve.ACMETLSConfig(m)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return usagef("--listen: %v", err)
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	if opts.metricsListen != "" {
		mln, err := net.Listen("tcp", opts.metricsListen)
		if err != nil {
			ln.Close()
			return usagef("--metrics-listen: %v", err)
		}
		ms := serve.HTTPServer(srv.MetricsHandler(), slog.NewLogLogger(handler, slog.LevelWarn))
		go func() { _ = ms.Serve(mln) }()
		defer ms.Close()
		fmt.Fprintf(opts.io.err, "mailadvisor: metrics on http://%s/metrics\n", mln.Addr())
	}
	fmt.Fprintf(opts.io.err, "mailadvisor: serving %d domain names on %s://%s\n", srv.Domains(), scheme, ln.Addr())
	if opts.ready != nil {
		opts.ready(ln.Addr().String())
	}

	changed := make(chan struct{}, 1)
	if dirs := opts.watched(); opts.watch && len(dirs) > 0 {
		err := dirwatch.Watch(ctx, dirs, watchSettle, func() {
			select {
			case changed <- struct{}{}:
			default: // a reload is already due
			}
		}, func(err error) { logger.Warn("watching the domain files", "error", err.Error()) })
		if err != nil {
			return err
		}
	}
	if opts.source != nil {
		due := func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		}
		if opts.domainNotify != "" {
			go opts.source.Listen(ctx, due, func(err error) { logger.Warn("listening for domain changes", "error", err.Error()) })
		}
		if opts.domainRefresh > 0 {
			go func() {
				t := time.NewTicker(opts.domainRefresh)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						due()
					}
				}
			}()
		}
	}
	done := make(chan error, 1)
	go func() {
		if useTLS {
			done <- hs.ServeTLS(ln, "", "") // the certificate comes from TLSConfig; HTTP/2 offered
			return
		}
		done <- hs.Serve(ln)
	}()
	for {
		select {
		case err := <-done:
			return err
		case <-hup:
			opts.reload(ctx, srv, &current, logger, "SIGHUP")
		case <-changed:
			opts.reload(ctx, srv, &current, logger, "changed")
		case <-ctx.Done():
			srv.SetReady(false)
			logger.Info("shutting down: finishing the requests in flight")
			sctx, cancel := context.WithTimeout(context.Background(), opts.shutdownTimeout)
			err := hs.Shutdown(sctx)
			cancel()
			if err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			return nil
		}
	}
}

// reload reads the domain files, the certificate and the signing key
// again; on any error the server keeps what it had and says why.
func (opts *serveOptions) reload(ctx context.Context, srv *serve.Server, current *atomic.Pointer[tls.Certificate], logger *slog.Logger, why string) {
	domains, rejected, err := opts.loadDomains(ctx)
	var cert *tls.Certificate
	if err == nil {
		cert, err = opts.loadCert()
	}
	var signer *profiles.Signer
	if err == nil {
		signer, err = opts.loadSigner()
	}
	if err == nil {
		err = srv.Reload(domains, signer)
	}
	if err != nil {
		srv.ReloadFailed()
		logger.Error("reload failed: still serving the previous configuration", "why", why, "error", err.Error())
		return
	}
	if cert != nil {
		current.Store(cert)
	}
	srv.SetRejected(len(rejected))
	opts.warnRejected(rejected, func(msg string) { logger.Warn(msg) })
	logger.Info("reloaded", "why", why, "domains", srv.Domains(), "generation", srv.Generation())
}

// warnRejected says which rows of --domain-source were left out: the
// first ten, then how many more.
func (opts *serveOptions) warnRejected(rejected []*pgsource.RowError, warn func(string)) {
	for i, r := range rejected {
		if i == 10 {
			warn(fmt.Sprintf("--domain-source: %d more rows left out", len(rejected)-10))
			return
		}
		warn("--domain-source: " + textcheck.Visible(r.Error()) + ": left out, the other rows are served")
	}
}

// watchSettle is how long the files must stay still before a reload: the
// kubelet's swap and certbot's renewal are several events each.
const watchSettle = 300 * time.Millisecond

// watched are the directories whose changes reload the server: the
// domain directory, and those of the domain, certificate and signing
// files (watching a directory sees a file replaced by a rename).
func (opts *serveOptions) watched() []string {
	var dirs []string
	add := func(dir string) {
		if dir != "" && !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	add(opts.domainDir)
	for _, f := range append(slices.Clone(opts.domainFiles), opts.cert, opts.key, opts.signCert, opts.signKey, opts.signChain) {
		if f != "" {
			add(filepath.Dir(f))
		}
	}
	return dirs
}

// batchedWriter buffers writes and flushes them every interval, when the
// buffer fills, and on Close.
type batchedWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newBatchedWriter(w io.Writer, every time.Duration) *batchedWriter {
	b := &batchedWriter{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

func (b *batchedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

func (b *batchedWriter) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.w.Flush()
}

// Close stops the ticker and flushes what is left.
func (b *batchedWriter) Close() {
	close(b.stop)
	<-b.done
	b.flush()
}
