package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/internal/atomicfile"
	"github.com/mailadvisor/mailadvisor/internal/limits"
	"github.com/mailadvisor/mailadvisor/internal/mailports"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/profiles"
	"github.com/mailadvisor/mailadvisor/templates"
)

var serverFormats = []string{"dovecot", "postfix", "dns", "all"}

type serverOptions struct {
	io       streams
	format   string // the argument: dovecot, postfix, dns or all
	config   templates.Config
	scenario string
	preset   string
	out      string
	force    bool
	dkimKey  string // --dkim-key: a PEM private key file
	// --devices-per-user and --people-per-address were set, so the
	// scenario's do not replace them.
	devicesGiven, peopleGiven bool
}

func newServerCmd(io streams) *cobra.Command {
	opts := &serverOptions{io: io}
	cmd := &cobra.Command{
		Use:   "server dovecot|postfix|dns|all",
		Short: "Write the server side: Dovecot, Postfix and DNS, secure and coherent",
		Long: `Write the server side of the recommended set-up for a small company's own
mail server: Dovecot 2.3 or 2.4 (IMAP/POP3 over implicit TLS, LMTP and SASL
for Postfix), Postfix main.cf and master.cf (MX on 25 with opportunistic TLS,
submission on 587 with STARTTLS and 465 with implicit TLS, passwords only
inside TLS, recipients checked at RCPT, senders bound to their login),
rspamd (DKIM signing, SPF, DKIM and DMARC checks, spam scoring), fail2ban
jails, and the DNS records (MX, SPF, DKIM, DMARC, RFC 6186 and 8314 SRV,
autoconfig and autodiscover names, optionally MTA-STS and TLS-RPT). TLS
follows Mozilla's guidelines 6.0 (--tls-profile), gated on the target
versions.

"server all --out DIR" also writes setup.sh, which sets the server up on a
fresh Debian 12 or 13 (mail user, mail root, users file, the files, the
restarts), and mail-adduser, which adds a mail user. With --out and no
--dkim-key, a DKIM key is made in DIR (DOMAIN.SELECTOR.key), or the one
already there is kept, and the zone publishes its public part.

With --scenario or --preset the advisor decides the protocols, the POP3
leave-on-server policy and the per-user quota, and the scenario's devices
and people size the per-address connection limits.`,
		Example: `  mailadvisor server all --domain example.com --out /tmp/mail-config
  mailadvisor server dovecot --domain example.com --preset road-warriors
  mailadvisor server postfix --domain example.com --tls-profile modern --postfix-version 3.8
  mailadvisor server dns --domain example.com --ipv4 192.0.2.10 --dmarc-policy reject --mta-sts enforce`,
		Args:      oneArgOf("format", serverFormats, "mailadvisor server all --domain example.com --out ./mail-config"),
		ValidArgs: serverFormats,
		RunE: func(cmd *cobra.Command, args []string) error {
			// The configuration reads a port of 0 as the standard one; typed
			// on the command line, it is a mistake.
			for _, name := range []string{"imaps-port", "imap-port", "pop3s-port", "pop3-port", "smtp-port", "submission-port", "submissions-port"} {
				if port, _ := cmd.Flags().GetInt(name); port == 0 && cmd.Flags().Changed(name) {
					return &usageError{err: limits.Port(name, port)}
				}
			}
			// Likewise a message size of 0, which the configuration reads
			// as the default.
			if cmd.Flags().Changed("max-message-mb") && opts.config.MaxMessageMB == 0 {
				return &usageError{err: &templates.FieldError{Field: "--max-message-mb", Value: "0", Allowed: "a size in MB from 1 to 2000"}}
			}
			opts.format = args[0]
			opts.devicesGiven, opts.peopleGiven = cmd.Flags().Changed("devices-per-user"), cmd.Flags().Changed("people-per-address")
			return runServer(cmd.Context(), opts)
		},
	}
	c := &opts.config
	f := cmd.Flags()
	f.StringVar(&c.Domain, "domain", "", "mail domain (required)")
	f.StringVar(&c.Hostname, "hostname", "", "mail server's name (default mail.<domain>)")
	f.StringSliceVar(&c.Protocols, "protocols", nil, "protocols for the clients: imap, pop3 (default both, as profile; or the advice)")
	f.StringVar(&opts.scenario, "scenario", "", "scenario file: the advice decides protocols, POP3 policy and quota")
	addPresetFlag(cmd, &opts.preset, "named scenario whose advice decides protocols, POP3 policy and quota")
	addChoiceFlag(cmd, &c.TLSProfile, "tls-profile", "", "profile", templates.Intermediate, fixed(templates.Intermediate, templates.Modern), "Mozilla TLS profile: intermediate or modern")
	f.StringVar(&c.CertFile, "cert", "", "certificate chain (default /etc/letsencrypt/live/<hostname>/fullchain.pem)")
	f.StringVar(&c.KeyFile, "key", "", "private key (default /etc/letsencrypt/live/<hostname>/privkey.pem)")
	f.StringVar(&c.Listen, "listen", "", "IP address to listen on (default all)")
	f.BoolVar(&c.AllowSTARTTLS, "allow-starttls", false, "open IMAP 143 and POP3 110 for STARTTLS (default closed, RFC 8314)")
	f.IntVar(&c.Ports.IMAPS, "imaps-port", mailports.IMAPS, "IMAP over implicit TLS")
	f.IntVar(&c.Ports.IMAP, "imap-port", mailports.IMAP, "IMAP with STARTTLS (with --allow-starttls)")
	f.IntVar(&c.Ports.POP3S, "pop3s-port", mailports.POP3S, "POP3 over implicit TLS")
	f.IntVar(&c.Ports.POP3, "pop3-port", mailports.POP3, "POP3 with STARTTLS (with --allow-starttls)")
	f.IntVar(&c.Ports.SMTP, "smtp-port", mailports.SMTP, "SMTP from other servers (MX)")
	f.IntVar(&c.Ports.Submission, "submission-port", mailports.Submission, "submission with STARTTLS")
	f.IntVar(&c.Ports.Submissions, "submissions-port", mailports.Submissions, "submission over implicit TLS")
	f.StringVar(&c.MailLocation, "mail-location", "", "Dovecot mail location (default maildir:~/Maildir)")
	f.StringVar(&c.MailHome, "mail-home", "", "mail users' home (default /var/mail/vhosts/%d/%n)")
	f.StringVar(&c.MailUser, "mail-user", "", "system user owning the mail (default vmail)")
	f.StringVar(&c.MailGroup, "mail-group", "", "system group owning the mail (default vmail)")
	f.StringVar(&c.UsersFile, "users-file", "", "Dovecot passwd-file of the mail users (default /etc/dovecot/users)")
	f.Float64Var(&c.QuotaGB, "quota-gb", 0, "per-user quota in GB (default none, or the scenario's server_quota_gb)")
	f.IntVar(&c.MaxMessageMB, "max-message-mb", templates.DefaultMaxMessageMB, "largest message accepted, in MB (Postfix and Dovecot alike)")
	f.StringVar(&c.DovecotVersion, "dovecot-version", templates.DefaultDovecotVersion, "target Dovecot version: 2.3 (Debian 12) or 2.4 (Debian 13)")
	f.StringVar(&c.PostfixVersion, "postfix-version", templates.DefaultPostfixVersion, "target Postfix version")
	f.StringVar(&c.OpenSSLVersion, "openssl-version", templates.DefaultOpenSSLVersion, "target OpenSSL version (3.5+ adds X25519MLKEM768)")
	addChoiceFlag(cmd, &c.DMARCPolicy, "dmarc-policy", "", "policy", "", fixed("none", "quarantine", "reject"), "DMARC policy: none, quarantine or reject (default quarantine when DKIM signs, else none)")
	f.StringVar(&c.DMARCReports, "dmarc-reports", "", "address for DMARC aggregate reports")
	f.StringVar(&c.DKIMSelector, "dkim-selector", templates.DefaultDKIMSelector, "DKIM selector")
	f.StringVar(&opts.dkimKey, "dkim-key", "", "DKIM private key (PEM, RSA 2048+ or Ed25519) to sign with (default: made in --out DIR)")
	addChoiceFlag(cmd, &c.MTASTS, "mta-sts", "", "mode", "", fixed("testing", "enforce"), "MTA-STS mode: testing or enforce (default none)")
	f.StringVar(&c.TLSRPTReports, "tls-rpt-reports", "", "address for TLS-RPT reports")
	f.StringVar(&c.Postmaster, "postmaster", "", "mailbox that receives postmaster@ and abuse@ of the domain (default admin@DOMAIN: create it)")
	f.StringVar(&c.IPv4, "ipv4", "", "mail server's IPv4 address, for its A record")
	f.StringVar(&c.IPv6, "ipv6", "", "mail server's IPv6 address, for its AAAA record")
	f.Float64Var(&c.DevicesPerUser, "devices-per-user", 0, "devices each person syncs, for Dovecot's connections per user and address (default Dovecot's 10, or the scenario's)")
	addIntRangeFlag(cmd, &c.PeoplePerAddress, "people-per-address", 0, 0, 1_000_000, " (0: Postfix's usual limits, or the scenario's users)",
		"people who share one public address (an office behind NAT), for Postfix's per-address limits")
	f.Var(&prefixList{target: &c.Fail2banIgnore}, "fail2ban-ignore", "an address or CIDR range fail2ban never bans (repeatable): an office's NAT, a monitoring host")
	f.StringVar(&c.DovecotBaseDir, "dovecot-base-dir", "", "Dovecot runtime directory (default the distribution's)")
	f.StringVar(&c.DovecotStateDir, "dovecot-state-dir", "", "Dovecot state directory")
	f.StringVar(&c.DovecotLog, "dovecot-log", "", "Dovecot log file (default syslog)")
	f.StringVar(&c.PostfixQueueDir, "postfix-queue-dir", "", "Postfix queue directory (default /var/spool/postfix)")
	f.StringVar(&c.PostfixDataDir, "postfix-data-dir", "", "Postfix data directory")
	f.StringVar(&c.PostfixMaillog, "postfix-maillog", "", "Postfix log file (default syslog)")
	f.StringVar(&opts.out, "out", "", "directory to write the files into (default stdout)")
	markOutput(cmd, "out", "dir")
	addForceFlag(cmd, &opts.force, "files that already exist in --out")
	_ = cmd.MarkFlagRequired("domain")
	cmd.MarkFlagsMutuallyExclusive("scenario", "protocols")
	cmd.MarkFlagsMutuallyExclusive("preset", "protocols")
	return cmd
}

func runServer(_ context.Context, opts *serverOptions) error {
	format := opts.format
	c := &opts.config
	if opts.scenario != "" || opts.preset != "" {
		if err := opts.applyAdvice(); err != nil {
			return err
		}
	}
	if err := c.Normalize(); err != nil {
		return err
	}
	if err := opts.loadDKIMKey(format); err != nil {
		return err
	}
	if templates.MissingAddress(c) && (format == "dns" || format == "all") {
		fmt.Fprintf(opts.io.err, "mailadvisor: warning: no --ipv4 or --ipv6: the zone has no address for %s, so no mail can reach the MX; give the server's addresses (Postfix then uses only those families)\n", c.Hostname)
	}
	srv, err := discoveryRecords(c)
	if err != nil {
		return err
	}
	files := map[string]*bytes.Buffer{}
	var order []string
	err = templates.WriteAll(c, srv, func(name string) (io.Writer, error) {
		files[name], order = &bytes.Buffer{}, append(order, name)
		return files[name], nil
	})
	if err != nil {
		return err
	}
	wanted := map[string][]string{
		"dovecot": {templates.DovecotFile}, "postfix": {templates.MainCfFile, templates.MasterCfFile},
		"dns": {templates.ZoneFile(c.Domain), templates.MTASTSFile, templates.DKIMKeyFile(c)}, "all": order,
	}[format]
	var names []string
	for _, name := range order {
		if slices.Contains(wanted, name) {
			names = append(names, name)
		}
	}
	if opts.out == "" {
		if format == "dns" && len(names) > 1 {
			// stdout must stay a zone a DNS server loads: the MTA-STS
			// policy is a web file, written only with --out.
			names = names[:1]
			fmt.Fprintf(opts.io.err, "mailadvisor: note: the MTA-STS policy (%s) is served over HTTPS, not DNS: pass --out DIR to write it\n", templates.MTASTSFile)
		}
		return printFiles(opts.io.out, names, files)
	}
	return writeFiles(opts.io.inputs, opts.out, names, files, opts.force)
}

// loadDKIMKey reads --dkim-key, or with --out keeps the key already in the
// directory or makes one, for the files that sign or publish it.
func (opts *serverOptions) loadDKIMKey(format string) error {
	c := &opts.config
	if format != "all" && format != "dns" {
		return nil
	}
	path := opts.dkimKey
	var err error
	switch {
	case path != "":
		if c.DKIMKey, err = opts.io.inputs.read("--dkim-key", path, nil); err != nil {
			return err
		}
	case opts.out != "":
		// The directory first: a key is made only where it can be kept.
		if fi, err := os.Stat(opts.out); err == nil && !fi.IsDir() {
			return usagef("--out: %s is not a directory: want a directory to write the files into", textcheck.Visible(opts.out))
		}
		path = filepath.Join(opts.out, templates.DKIMKeyFile(c))
		if c.DKIMKey, err = os.ReadFile(path); err == nil {
			fmt.Fprintf(opts.io.err, "mailadvisor: note: signing with the DKIM key already in %s\n", path)
			break
		}
		if c.DKIMKey, err = templates.NewDKIMKey(); err != nil {
			return err
		}
		fmt.Fprintf(opts.io.err, "mailadvisor: note: made a DKIM key, %s: keep it secret; the zone publishes its public part\n", path)
	default:
		return nil
	}
	// Checked here to name the file; Normalize checks it again for the
	// package's own callers.
	if _, err := templates.DKIMRecord(c.DKIMKey); err != nil {
		return usagef("--dkim-key: %s: %v", path, err)
	}
	return nil
}

// applyAdvice lets the advisor choose the protocol, the POP3 policy and
// the quota for the scenario.
func (opts *serverOptions) applyAdvice() error {
	res, err := adviseOn(opts.preset, opts.scenario, opts.io)
	if err != nil {
		return err
	}
	c := &opts.config
	c.Protocols = []string{res.Recommendation.Protocol}
	if res.Recommendation.LeaveOnServerDays != nil {
		c.LeaveOnServerDays = *res.Recommendation.LeaveOnServerDays
	}
	if c.QuotaGB == 0 {
		c.QuotaGB = res.Scenario.ServerQuotaGB
	}
	// The scenario's devices and people (one office, all behind one
	// address, unless --people-per-address says otherwise) size the
	// per-address limits.
	if !opts.devicesGiven {
		c.DevicesPerUser = res.Scenario.DevicesPerUser
	}
	if !opts.peopleGiven {
		c.PeoplePerAddress = res.Scenario.Users
	}
	return nil
}

// discoveryRecords are the client-discovery records of the configuration, as
// the profiles package computes them for the same endpoints: the SRV
// records, returned, and the PACC digest, set in c.
func discoveryRecords(c *templates.Config) ([]templates.SRV, error) {
	d := &profiles.Domain{
		Domains:  []string{c.Domain},
		Hosts:    profiles.Hosts{IMAP: c.Hostname, POP3: c.Hostname, SMTP: c.Hostname},
		Services: append(append([]string{}, c.Protocols...), profiles.SMTP),
		Ports: profiles.Ports{IMAPS: c.Ports.IMAPS, IMAP: c.Ports.IMAP, POP3S: c.Ports.POP3S, POP3: c.Ports.POP3,
			Submissions: c.Ports.Submissions, Submission: c.Ports.Submission},
	}
	if err := d.Normalize(); err != nil {
		return nil, err
	}
	plan, err := profiles.NewPlan(d, nil, profiles.Options{Preferred: c.Protocols[0], AllowSTARTTLS: c.AllowSTARTTLS})
	if err != nil {
		return nil, err
	}
	var out []templates.SRV
	for _, r := range profiles.SRVRecords(plan) {
		out = append(out, templates.SRV{Owner: r.Owner, Priority: r.Priority, Weight: r.Weight, Port: r.Port, Target: r.Target})
	}
	// The PACC document serve answers from serve-domain.yaml, which names
	// these same domains, hosts, ports and services: its digest.
	if body, _, err := profiles.PACC(plan); err == nil {
		c.PACCDigest = profiles.PACCDigest(body)
	}
	return out, nil
}

// printFiles writes the files to stdout, each after a "==> name <==" line
// (a comment in the file's own syntax) when there are several.
func printFiles(w io.Writer, names []string, files map[string]*bytes.Buffer) error {
	for i, name := range names {
		if len(names) > 1 {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s ==> %s <==\n", templates.CommentPrefix(name), name)
		}
		if _, err := w.Write(files[name].Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// writeFiles writes the files into dir as one set: every target is checked
// before any is written (see atomicfile.Dir.WriteSet), so a refused file
// leaves the old set whole.
func writeFiles(inputs *inputSet, dir string, names []string, files map[string]*bytes.Buffer, force bool) error {
	for _, name := range names {
		if err := inputs.refuse("out", filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	d, err := atomicfile.OpenDir(dir)
	if err != nil {
		return usagef("--out: %v", err)
	}
	defer d.Close()
	set := make([]atomicfile.Named, len(names))
	for i, name := range names {
		set[i] = atomicfile.Named{Name: name, Data: files[name].Bytes(), Mode: templates.FileMode(name)}
	}
	return outputError("out", d.WriteSet(set, force))
}
