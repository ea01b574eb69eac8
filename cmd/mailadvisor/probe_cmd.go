package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/probe"
)

type probeOptions struct {
	io        streams
	domain    string
	selector  string
	dnsServer string
	caFile    string
	timeout   time.Duration
	openRelay bool
	output    string
}

var probeFormats = []string{formatTable, formatJSON, formatMarkdown}

func newProbeCmd(io streams) *cobra.Command {
	opts := &probeOptions{io: io}
	cmd := &cobra.Command{
		Use:   "probe HOST",
		Short: "Connect to a live mail server as clients do and grade what it offers",
		Long: `Connect to a mail server the way mail apps and other servers do, and report
what it really offers against the advice:

  for 25, 465, 587, 993, 995, 143 and 110: open or not, implicit TLS or
  STARTTLS, the TLS versions and weak cipher suites it accepts, the
  certificate (chain, name, expiry), the banner, and the login methods
  before and after TLS (a login offered before TLS fails);
  with --domain: MX, SPF (with its DNS lookups counted), DMARC, DKIM for
  --dkim-selector, MTA-STS (record and policy over HTTPS), TLS-RPT, the RFC
  6186/8314 SRV records, and whether autoconfig and autodiscover answer.

Every check is pass, warn, fail or info, and the whole gets a grade: A (no
failure, no warning), B (a few warnings), C (more), D (one or two
failures), F (three or more, or any of: a login before TLS, a certificate
that fails, an open relay). Everything runs at once under --timeout.

--open-relay also tries to relay through port 25 (MAIL FROM and RCPT TO
for a domain the server does not serve; no message is sent): only on a
server you run or may test.

Exit status: 0 when no check fails, 1 when one does, 2 for bad usage.`,
		Example: `  mailadvisor probe mail.example.com --domain example.com --dkim-selector mail
  mailadvisor probe mail.example.com -o json | jq '.checks[] | select(.status == "fail")'`,
		Args: oneArg("HOST", "mailadvisor probe mail.example.com --domain example.com"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProbe(cmd.Context(), opts, args[0])
		},
	}
	addOutputFlagOf(cmd, &opts.output, probeFormats, formatTable, "")
	cmd.Flags().StringVar(&opts.domain, "domain", "", "the mail domain, for the DNS and HTTP checks")
	cmd.Flags().StringVar(&opts.selector, "dkim-selector", "", "DKIM selector to look up (SELECTOR._domainkey.DOMAIN)")
	cmd.Flags().StringVar(&opts.dnsServer, "dns", "", "DNS server to ask, host:port (default: the first of /etc/resolv.conf)")
	cmd.Flags().StringVar(&opts.caFile, "ca", "", "also trust the CA certificates in this PEM file (a company's own CA)")
	addDurationFlag(cmd, &opts.timeout, "timeout", 30*time.Second, time.Millisecond, 10*time.Minute, "deadline of the whole probe")
	cmd.Flags().BoolVar(&opts.openRelay, "open-relay", false, "also test whether port 25 relays for anyone (no message is sent)")
	return cmd
}

func runProbe(ctx context.Context, opts *probeOptions, host string) error {
	if !probeHost(host) {
		return withHint(usagef("HOST: invalid value %s: want a host name or an IP address", textcheck.Quote(host)),
			"for example: mailadvisor probe mail.example.com")
	}
	if opts.timeout <= 0 || opts.timeout > 10*time.Minute {
		return usagef("--timeout: invalid value %s: want more than 0 and at most 10m", opts.timeout)
	}
	if !slices.Contains(probeFormats, opts.output) {
		return usagef("output: invalid value %q: want one of %s", opts.output, strings.Join(probeFormats, ", "))
	}
	p, err := newPrinter(opts.output, tableWidth(opts.io))
	if err != nil {
		return err
	}
	cfg := probe.Config{Host: host, Domain: opts.domain, DKIMSelector: opts.selector, DNSServer: opts.dnsServer,
		OpenRelay: opts.openRelay, Timeout: opts.timeout}
	if cfg.Domain != "" && cfg.DNSServer == "" {
		conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil || len(conf.Servers) == 0 {
			return withHint(usagef("--dns: no DNS server in /etc/resolv.conf (%v)", err), "give one with --dns host:port")
		}
		cfg.DNSServer = net.JoinHostPort(conf.Servers[0], conf.Port)
	}
	if opts.dnsServer != "" {
		if _, _, err := net.SplitHostPort(opts.dnsServer); err != nil {
			return usagef("--dns: invalid value %q: want host:port", opts.dnsServer)
		}
	}
	if opts.caFile != "" {
		data, err := opts.io.inputs.read("CA file", opts.caFile, nil)
		if err != nil {
			return err
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(data) {
			return usagef("--ca: %s holds no PEM certificate", opts.caFile)
		}
		cfg.Roots = roots
	}
	res, err := probe.Run(ctx, cfg)
	var unreachable *probe.UnreachableError
	if errors.As(err, &unreachable) {
		return withHint(fmt.Errorf("%s", textcheck.Visible(err.Error())), "check the name and that the server runs; a firewall may drop the ports")
	} else if err != nil {
		return usagef("%v", err)
	}
	if err := p.print(opts.io.out, report{data: res, sections: func() []section { return probeSections(res) }}); err != nil {
		return err
	}
	if res.Counts.Fail > 0 {
		return &findingsError{n: res.Counts.Fail}
	}
	return nil
}

// probeHost tells whether host is an IP address or a host name (one
// label, such as localhost, or several).
func probeHost(host string) bool {
	if net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")) != nil {
		return true
	}
	if !strings.Contains(strings.TrimSuffix(host, "."), ".") {
		return textcheck.ValidLabel(host)
	}
	_, err := textcheck.Hostname("HOST", host)
	return err == nil
}

func probeSections(res *probe.Result) []section {
	target := res.Host
	if res.Domain != "" {
		target += " (" + res.Domain + ")"
	}
	head := section{Title: fmt.Sprintf("Grade %s: %s", res.Grade, target),
		Lines: []string{fmt.Sprintf("%d passed, %d warnings, %d failed.", res.Counts.Pass, res.Counts.Warn, res.Counts.Fail)}}
	t := section{Header: []string{"Where", "Check", "Status", "Detail"}}
	for _, c := range res.Checks {
		st := string(c.Status)
		if c.Critical {
			st += " (critical)"
		}
		t.Rows = append(t.Rows, []string{c.Group, c.Name, st, c.Detail})
	}
	return []section{head, t}
}
