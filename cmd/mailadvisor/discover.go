package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/discover"
	"github.com/mailadvisor/mailadvisor/profiles"
)

// discoverOptions choose where a discovery looks.
type discoverOptions struct {
	dns       string        // ask this DNS server (host:port) instead of the system's
	ispdb     string        // base URL of the ISP database
	ca        string        // more CA certificates to trust (PEM)
	timeout   time.Duration // for the whole discovery
	allowHTTP bool
	// allowPrivate lets discovery connect to loopback, private and
	// link-local addresses (a lab); refused by default.
	allowPrivate bool
}

func (o *discoverOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	addDurationFlag(cmd, &o.timeout, "timeout", 10*time.Second, time.Millisecond, 10*time.Minute, "discovery: how long to look in all")
	f.StringVar(&o.dns, "dns", "", "discovery: ask this DNS server (host:port) instead of the system's")
	f.StringVar(&o.ispdb, "ispdb", discover.DefaultISPDB, "discovery: base URL of the ISP database (Thunderbird's)")
	f.StringVar(&o.ca, "ca", "", "discovery: more CA certificates to trust (PEM), such as a company's own")
	f.BoolVar(&o.allowHTTP, "allow-http", false, "discovery: also fetch autoconfig files over plain HTTP, and follow redirects to it (not recommended)")
	f.BoolVar(&o.allowPrivate, "allow-private", false, "discovery: also connect to loopback, private and link-local addresses (a lab; refused by default, as a name that resolves there makes the tool fetch what it should not)")
}

// config builds the discovery's DNS and HTTPS clients: every name, the
// web servers' too, is resolved through --dns when it is given.
func (o *discoverOptions) config(inputs *inputSet) (discover.Config, error) {
	resolver := net.DefaultResolver
	if o.dns != "" {
		if _, _, err := net.SplitHostPort(o.dns); err != nil {
			return discover.Config{}, usagef("--dns: invalid value %q: want host:port, such as 127.0.0.1:53", o.dns)
		}
		addr := o.dns
		resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.ca != "" {
		pem, err := inputs.read("--ca", o.ca, nil)
		if err != nil {
			return discover.Config{}, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return discover.Config{}, usagef("--ca: %s holds no PEM certificate", o.ca)
		}
		tlsConfig.RootCAs = pool
	}
	dialer := &net.Dialer{Resolver: resolver, Timeout: o.timeout}
	if !o.allowPrivate {
		dialer.Control = discover.PublicOnly
	}
	client := &http.Client{Timeout: o.timeout, Transport: &http.Transport{DialContext: dialer.DialContext, TLSClientConfig: tlsConfig,
		ResponseHeaderTimeout: o.timeout}}
	name := o.dns
	if name == "" {
		name = "the system's resolver (/etc/resolv.conf)"
	}
	return discover.Config{Resolver: resolver, Client: client, ISPDB: o.ispdb, AllowHTTP: o.allowHTTP, AllowPrivate: o.allowPrivate,
		ResolverName: name, Timeout: o.timeout}, nil
}

// run discovers the settings of email.
func (o *discoverOptions) run(ctx context.Context, inputs *inputSet, email string) (*discover.Result, error) {
	cfg, err := o.config(inputs)
	if err != nil {
		return nil, err
	}
	addr, err := profiles.ParseAddress("email", email)
	if err != nil {
		return nil, err
	}
	res, err := discover.Discover(ctx, cfg, addr.Full)
	var offline *discover.OfflineError
	switch {
	case errors.As(err, &offline):
		return res, withHint(fmt.Errorf("%w; nothing could be looked up for %s", err, addr.Domain),
			"check the connection; with --dns, check that server answers")
	case errors.Is(err, discover.ErrNotFound):
		return res, withHint(fmt.Errorf("no settings found for %s (%s)", addr.Domain, triedWords(res)),
			"ask whoever runs the mail for the servers, and give them with --imap-host and --smtp-host")
	}
	return res, err
}

func triedWords(res *discover.Result) string {
	var parts []string
	for _, a := range res.Tried {
		parts = append(parts, a.Source+": "+a.Result)
	}
	return strings.Join(parts, "; ")
}

func newDiscoverCmd(io streams) *cobra.Command {
	var (
		opts   discoverOptions
		email  string
		output string
	)
	cmd := &cobra.Command{
		Use:   "discover --email ADDRESS",
		Short: "Find the mail settings a domain really publishes, and where they come from",
		Long: `Find the servers a mail app should use for an address, the way Thunderbird
does: the domain's own autoconfig file (autoconfig.<domain>, then its
.well-known URL), Thunderbird's ISP database, the RFC 6186/8314 SRV records,
and last the domain's mail provider from its MX records, as Thunderbird
does (the MX host less its first label, then its registrable domain; each
at the provider's own autoconfig host, then in the ISP database). Lookups
run in parallel within --timeout; files are fetched over HTTPS only, and
redirects followed to HTTPS only. Only public addresses are connected to
(--allow-private for a lab). Cleartext servers are left out. 'mailadvisor
profile FORMAT --email ADDRESS --discover' writes a profile with what it
finds, as the provider published it.`,
		Example: `  mailadvisor discover --email alice@example.com
  mailadvisor discover --email me@gmail.com -o json
  mailadvisor profile mobileconfig --email me@example.com --discover --out me.mobileconfig`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if email == "" {
				return withHint(usagef("which address? give --email"), "mailadvisor discover --email alice@example.com")
			}
			p, err := newPrinter(output, tableWidth(io))
			if err != nil {
				return err
			}
			res, err := opts.run(cmd.Context(), io.inputs, email)
			if err != nil {
				if res != nil && output == formatJSON {
					// Scripts get what was tried, and the error on stderr.
					if perr := p.print(io.out, discoverReport(res)); perr != nil {
						return perr
					}
				}
				return err
			}
			return p.print(io.out, discoverReport(res))
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "the address whose settings to find")
	addOutputFlag(cmd, &output, "")
	opts.addFlags(cmd)
	return cmd
}

func discoverReport(res *discover.Result) report {
	return report{data: res, sections: func() []section {
		servers := section{Title: "Settings for " + res.Email + ", from " + res.Source,
			Header: []string{"Protocol", "Server", "Port", "Security", "Username"}}
		for _, s := range res.Servers {
			servers.Rows = append(servers.Rows, []string{strings.ToUpper(s.Protocol), s.Host, fmt.Sprint(s.Port), s.Security, s.Username})
		}
		tried := section{Title: "Where it looked", Header: []string{"Source", "Result"}}
		for _, a := range res.Tried {
			tried.Rows = append(tried.Rows, []string{a.Source, a.Result})
		}
		if len(res.MX) > 0 {
			tried.Lines = []string{"MX: " + strings.Join(res.MX, ", ")}
		}
		return []section{servers, tried}
	}}
}

// applyDiscovered sets the domain's servers from a discovery, as the
// provider publishes them: every server of each protocol in its order,
// each with the login form and the methods listed for it; the hosts of
// the first of each for the sheet and the SRV records. What a profile
// cannot carry is said on w.
func applyDiscovered(d *profiles.Domain, res *discover.Result, w io.Writer) {
	local, _, _ := strings.Cut(res.Email, "@")
	// The domain's login form: the first incoming server's (the local
	// part when the provider writes %EMAILLOCALPART%), else the address.
	for _, s := range res.Servers {
		if s.Protocol != profiles.SMTP && s.Username != "" {
			if s.Username == local {
				d.Username = profiles.UsernameLocalPart
			}
			break
		}
	}
	var services, dropped []string
	oauth := false
	for _, proto := range []string{profiles.IMAP, profiles.POP3, profiles.SMTP} {
		for _, s := range res.Servers {
			if s.Protocol != proto {
				continue
			}
			if !slices.Contains(services, proto) {
				services = append(services, proto)
			}
			security := profiles.SecurityTLS
			if s.Security == "starttls" {
				security = profiles.SecuritySTARTTLS
			}
			e := profiles.Endpoint{Protocol: proto, Host: s.Host, Port: s.Port, Security: security}
			for _, a := range s.Auth {
				m, ok := discoveredAuth[a]
				switch {
				case !ok:
					dropped = append(dropped, fmt.Sprintf("%s on %s", a, s.Host))
				case !slices.Contains(e.Auth, m):
					e.Auth = append(e.Auth, m)
					oauth = oauth || m == profiles.AuthOAuth2
				}
			}
			switch {
			case s.Username == "":
			case s.Username == res.Email:
				e.Username = profiles.UsernameAddress
			case s.Username == local:
				e.Username = profiles.UsernameLocalPart
			case strings.Contains(s.UsernameTemplate, "%EMAIL"):
				e.Username = s.UsernameTemplate // %EMAILLOCALPART%.%EMAILDOMAIN%, kept as written
			default:
				which := "address"
				if d.Username == profiles.UsernameLocalPart {
					which = "local part"
				}
				fmt.Fprintf(w, "mailadvisor: note: %s %s publishes the login %q, the same for every user: the profile uses the %s\n",
					proto, s.Host, s.Username, which)
			}
			d.Published = append(d.Published, e)
			switch {
			case proto == profiles.IMAP && d.Hosts.IMAP == "":
				d.Hosts.IMAP = s.Host
			case proto == profiles.POP3 && d.Hosts.POP3 == "":
				d.Hosts.POP3 = s.Host
			case proto == profiles.SMTP && d.Hosts.SMTP == "":
				d.Hosts.SMTP = s.Host
			}
		}
	}
	d.Services = services
	if len(dropped) > 0 {
		fmt.Fprintf(w, "mailadvisor: note: left out methods a profile cannot name: %s (the others listed are kept)\n", strings.Join(dropped, ", "))
	}
	// OAuth2 as published: with the provider's oAuth2 section when its
	// file has one, else listed alone, as in its own file (Thunderbird
	// knows the large providers' OAuth2 set-up; other clients take the
	// password method listed after it).
	switch o := res.OAuth2; {
	case oauth && o != nil && o.Issuer != "" && o.Scope != "" && o.AuthURL != "" && o.TokenURL != "":
		d.Authentication = profiles.AuthOAuth2
		d.OAuth2 = &profiles.OAuth2{Issuer: o.Issuer, Scope: o.Scope, AuthURL: o.AuthURL, TokenURL: o.TokenURL}
		fmt.Fprintln(w, "mailadvisor: note: the provider logs in with OAuth2: the autoconfig file says so, with its oAuth2 section (an Apple profile cannot carry OAuth2: the device asks for a password)")
	case oauth:
		fmt.Fprintln(w, "mailadvisor: warning: the provider lists OAuth2, but its file gives no oAuth2 section: the autoconfig file lists the methods as published (Thunderbird has the large providers' OAuth2 set-up built in); an Apple profile and other clients use a password, which the provider may refuse")
	}
}

// discoveredAuth maps a provider's authentication values (Thunderbird's
// names, its deprecated plain and secure among them) to a profile's.
var discoveredAuth = map[string]string{
	"password-cleartext": profiles.AuthPassword, "plain": profiles.AuthPassword,
	"password-encrypted": profiles.AuthPasswordEncrypted, "secure": profiles.AuthPasswordEncrypted,
	"OAuth2": profiles.AuthOAuth2,
}
