package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
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
	anchors   string
	timeout   time.Duration
	openRelay bool
	tryBan    int
	banWait   time.Duration
	output    string
	// --domains: many domains, JSON Lines out.
	domains     string
	baseline    string
	concurrency int
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
  certificate (chain, name, expiry), the key exchange, the banner, and the
  login methods before and after TLS (a login offered before TLS fails);
  with --domain: MX, SPF (with its DNS lookups counted), DMARC, DKIM for
  --dkim-selector, MTA-STS (record, policy over HTTPS, its mx lines against
  the MX), TLS-RPT, DANE (TLSA of port 25, DNSSEC-validated from
  --dnssec-anchor or by the resolver), the MX's reverse names and the
  banner, the RFC 6186/8314 SRV records, whether autoconfig and autodiscover
  answer, and the certificates of those names.

--dns is the one resolver for every name. --domains FILE probes many
domains, one JSON line each; --baseline says what changed since a run.

Every check is pass, warn, fail or info, and the whole gets a grade: A (no
failure, no warning), B (a few warnings), C (more), D (one or two
failures), F (three or more, or any of: a login before TLS, a certificate
that fails, an open relay). Everything runs at once under --timeout.

--open-relay also tries to relay through port 25 (MAIL FROM and RCPT TO
for a domain the server does not serve; no message is sent): only on a
server you run or may test.

--try-ban N fails to log in N times (IMAPS, else 465), each on a new
connection with a login nobody has, then checks for --ban-wait that this
address is refused: that fail2ban (or another ban) really blocks password
guessing. It bans the machine you probe from, for the server's ban time
(an hour with mailadvisor server's jails): run it from one you can spare,
on a server you run. Five is fail2ban's default maxretry.

Exit status: 0 when no check fails, 1 when one does, 2 for bad usage.`,
		Example: `  mailadvisor probe mail.example.com --domain example.com --dkim-selector mail
  mailadvisor probe mail.example.com -o json | jq '.checks[] | select(.status == "fail")'

  # A hoster's domains, each at its best MX, against last week's run
  mailadvisor probe --domains domains.txt --baseline last-week.jsonl > this-week.jsonl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("domains") {
				if len(args) > 0 {
					return withHint(usagef("--domains probes the hosts of the domains it lists: no HOST as well (got %s)", strings.Join(args, " ")),
						"put a host after a domain on its line to name it")
				}
				return nil
			}
			return oneArg("HOST", "mailadvisor probe mail.example.com --domain example.com")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("domains") {
				for _, f := range []string{"try-ban", "ban-wait"} {
					if cmd.Flags().Changed(f) {
						return usagef("--%s: only for one host, not with --domains (it bans the machine that probes)", f)
					}
				}
				if !cmd.Flags().Changed("output") {
					opts.output = formatJSON
				}
				return runProbeMany(cmd.Context(), opts)
			}
			for _, f := range []string{"baseline", "concurrency"} {
				if cmd.Flags().Changed(f) {
					return usagef("--%s: only with --domains", f)
				}
			}
			return runProbe(cmd.Context(), opts, args[0])
		},
	}
	addOutputFlagOf(cmd, &opts.output, probeFormats, formatTable, "")
	cmd.Flags().StringVar(&opts.domain, "domain", "", "the mail domain, for the DNS and HTTP checks")
	cmd.Flags().StringVar(&opts.selector, "dkim-selector", "", "DKIM selector to look up (SELECTOR._domainkey.DOMAIN)")
	cmd.Flags().StringVar(&opts.dnsServer, "dns", "", "DNS server to ask, host:port (default: the first of /etc/resolv.conf)")
	cmd.Flags().StringVar(&opts.caFile, "ca", "", "also trust the CA certificates in this PEM file (a company's own CA)")
	cmd.Flags().StringVar(&opts.anchors, "dnssec-anchor", "", "DNSSEC trust anchors (DS or DNSKEY records, zone-file lines, such as the root's) from which probe validates the TLSA records itself; without them it takes the resolver's word (its AD bit)")
	addDurationFlag(cmd, &opts.timeout, "timeout", 30*time.Second, time.Millisecond, 10*time.Minute, "deadline of the whole probe")
	cmd.Flags().BoolVar(&opts.openRelay, "open-relay", false, "also test whether port 25 relays for anyone (no message is sent)")
	addIntRangeFlag(cmd, &opts.tryBan, "try-ban", 0, 0, 100, "", "fail to log in this many times, then check that this address is banned (0: never; it bans this machine)")
	addDurationFlag(cmd, &opts.banWait, "ban-wait", 30*time.Second, time.Second, 10*time.Minute, "with --try-ban: how long the ban may take to come")
	cmd.Flags().StringVar(&opts.domains, "domains", "", "probe every domain of this file (one a line, optionally followed by its mail host; '-' for stdin) at its best MX, writing one JSON line per domain as it finishes")
	cmd.Flags().StringVar(&opts.baseline, "baseline", "", "with --domains: an earlier run's JSON Lines; each line says what got worse and better, exit 1 when something got worse")
	addIntRangeFlag(cmd, &opts.concurrency, "concurrency", 8, 1, 256, "", "with --domains: domains probed at once")
	return cmd
}

// runProbeMany probes every domain of --domains, concurrency at a time,
// one JSON line each as it finishes; against --baseline, what changed.
func runProbeMany(ctx context.Context, opts *probeOptions) error {
	if opts.output != formatJSON {
		return usagef("output: invalid value %q with --domains: want json (JSON Lines, one line a domain as each finishes)", opts.output)
	}
	cfg, err := opts.config("")
	if err != nil {
		return err
	}
	if cfg.DNSServer == "" {
		if cfg.DNSServer, err = systemResolver(); err != nil {
			return err
		}
	}
	data, err := opts.io.inputs.read("domains file", opts.domains, opts.io.in)
	if err != nil {
		return err
	}
	targets, bad := domainTargets(data)
	var baseline map[string]probe.DomainResult
	if opts.baseline != "" {
		if baseline, err = readBaseline(opts.io, opts.baseline); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(opts.io.out)
	enc.SetEscapeHTML(false)
	for _, b := range bad { // refused lines first: they need no network
		if err := enc.Encode(b); err != nil {
			return &writeError{err: err}
		}
		fmt.Fprintf(opts.io.err, "mailadvisor: rejected: line %d: %s\n", b.Line, b.Error)
	}
	start := time.Now()
	var worse, better, failed, unreachable int
	err = probe.RunMany(ctx, targets, probe.Many{Base: cfg, Concurrency: opts.concurrency, Baseline: baseline}, func(r probe.DomainResult) error {
		switch {
		case r.Error != "":
			unreachable++
		case r.Counts != nil && r.Counts.Fail > 0:
			failed++
		}
		if len(r.Worse) > 0 {
			worse++
		}
		if len(r.Better) > 0 {
			better++
		}
		if err := enc.Encode(r); err != nil {
			return &writeError{err: err}
		}
		return nil
	})
	if err != nil {
		return err
	}
	summary := fmt.Sprintf("mailadvisor: probe: %d domains in %.1fs: %d with a failing check, %d not probed", len(targets), time.Since(start).Seconds(), failed, unreachable)
	if baseline != nil {
		summary += fmt.Sprintf("; against %s, %d got worse and %d better", textcheck.Visible(opts.baseline), worse, better)
	}
	fmt.Fprintln(opts.io.err, summary)
	switch {
	case baseline != nil && worse > 0:
		return &findingsError{n: worse}
	case len(bad) > 0:
		return &rejectedError{rejected: len(bad), total: len(bad) + len(targets)}
	case baseline == nil && failed > 0:
		return &findingsError{n: failed}
	}
	return nil
}

// domainTargets reads the domains file: a domain a line, optionally its
// mail host after it; # comments and blank lines skipped. A line that is
// not a domain is a result with its error.
func domainTargets(data []byte) ([]probe.Target, []probe.DomainResult) {
	var targets []probe.Target
	var bad []probe.DomainResult
	for n, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		t := probe.Target{Line: n + 1, Domain: strings.ToLower(strings.TrimSuffix(f[0], "."))}
		switch {
		case len(f) > 2:
			bad = append(bad, probe.DomainResult{Line: t.Line, Domain: textcheck.Visible(f[0]), Error: "want a domain, optionally followed by its mail host"})
		case !probeHost(t.Domain) || !strings.Contains(t.Domain, "."):
			bad = append(bad, probe.DomainResult{Line: t.Line, Domain: textcheck.Visible(f[0]), Error: "domain: invalid value " + textcheck.Quote(f[0]) + ": want a domain name"})
		case len(f) == 2 && !probeHost(f[1]):
			bad = append(bad, probe.DomainResult{Line: t.Line, Domain: t.Domain, Error: "host: invalid value " + textcheck.Quote(f[1]) + ": want a host name or an IP address"})
		default:
			if len(f) == 2 {
				t.Host = f[1]
			}
			targets = append(targets, t)
		}
	}
	return targets, bad
}

// readBaseline reads an earlier run's JSON Lines, by domain; a line that
// is not a result is an error naming the file and the line.
func readBaseline(std streams, path string) (map[string]probe.DomainResult, error) {
	r, closeIn, err := std.inputs.open("baseline", path, nil)
	if err != nil {
		return nil, err
	}
	defer closeIn()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	out := map[string]probe.DomainResult{}
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var d probe.DomainResult
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil || d.Domain == "" {
			return nil, usagef("--baseline %s: line %d: not a line of probe --domains (%v)", textcheck.Visible(path), n, err)
		}
		out[d.Domain] = d
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("--baseline %s: %v", textcheck.Visible(path), err)
	}
	return out, nil
}

func runProbe(ctx context.Context, opts *probeOptions, host string) error {
	if !probeHost(host) {
		return withHint(usagef("HOST: invalid value %s: want a host name or an IP address", textcheck.Quote(host)),
			"for example: mailadvisor probe mail.example.com")
	}
	if !slices.Contains(probeFormats, opts.output) {
		return usagef("output: invalid value %q: want one of %s", opts.output, strings.Join(probeFormats, ", "))
	}
	p, err := newPrinter(opts.output, tableWidth(opts.io))
	if err != nil {
		return err
	}
	cfg, err := opts.config(host)
	if err != nil {
		return err
	}
	if cfg.Domain != "" && cfg.DNSServer == "" {
		if cfg.DNSServer, err = systemResolver(); err != nil {
			return err
		}
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

// config is the probe's configuration from the flags.
func (opts *probeOptions) config(host string) (probe.Config, error) {
	if opts.timeout <= 0 || opts.timeout > 10*time.Minute {
		return probe.Config{}, usagef("--timeout: invalid value %s: want more than 0 and at most 10m", opts.timeout)
	}
	cfg := probe.Config{Host: host, Domain: opts.domain, DKIMSelector: opts.selector, DNSServer: opts.dnsServer,
		OpenRelay: opts.openRelay, Timeout: opts.timeout, Ban: probe.Ban{Attempts: opts.tryBan, Wait: opts.banWait}}
	if opts.banWait != 30*time.Second && opts.tryBan == 0 {
		return cfg, usagef("--ban-wait: only with --try-ban N")
	}
	if opts.dnsServer != "" {
		if _, _, err := net.SplitHostPort(opts.dnsServer); err != nil {
			return cfg, usagef("--dns: invalid value %q: want host:port", opts.dnsServer)
		}
	}
	if opts.anchors != "" {
		data, err := opts.io.inputs.read("trust anchor file", opts.anchors, nil)
		if err != nil {
			return cfg, err
		}
		lines := strings.Split(string(data), "\n")
		anchors, err := probe.ParseAnchors(lines)
		if err != nil {
			return cfg, usagef("--dnssec-anchor %s: %v", textcheck.Visible(opts.anchors), err)
		}
		cfg.TrustAnchors = lines
		if len(anchors) == 0 {
			return cfg, usagef("--dnssec-anchor %s: no DS or DNSKEY record", textcheck.Visible(opts.anchors))
		}
	}
	if opts.caFile != "" {
		data, err := opts.io.inputs.read("CA file", opts.caFile, nil)
		if err != nil {
			return cfg, err
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(data) {
			return cfg, usagef("--ca: %s holds no PEM certificate", opts.caFile)
		}
		cfg.Roots = roots
	}
	return cfg, nil
}

// systemResolver is the first DNS server of /etc/resolv.conf.
func systemResolver() (string, error) {
	conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(conf.Servers) == 0 {
		return "", withHint(usagef("--dns: no DNS server in /etc/resolv.conf (%v)", err), "give one with --dns host:port")
	}
	return net.JoinHostPort(conf.Servers[0], conf.Port), nil
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
