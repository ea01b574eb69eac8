package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/discover"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/profiles"
)

// Profile formats.
var profileFormats = []string{"autoconfig", "mobileconfig", "autodiscover", "srv", "sheet", "pacc"}

// profileFileFormats say how each profile other than the sheet is written.
var profileFileFormats = map[string]string{"autoconfig": "XML", "mobileconfig": "an Apple property list",
	"autodiscover": "XML", "srv": "zone-file lines", "pacc": "JSON"}

type profileOptions struct {
	io         streams
	domainFile string
	email      string
	userName   string // the person's name, with --email
	domain     string
	hosts      profiles.Hosts
	display    string
	short      string
	username   string
	auth       string
	services   []string
	protocol   string
	scenario   string
	preset     string
	starttls   bool
	acVersion  string // --autoconfig-version
	insecure   bool
	signCert   string
	signKey    string
	signChain  string
	format     string // the argument: which file to write
	discover   bool   // the servers from a discovery, not flags or a guess
	discovery  discoverOptions
	out        string
	force      bool
	output     string
}

func newProfileCmd(io streams) *cobra.Command {
	opts := &profileOptions{io: io}
	cmd := &cobra.Command{
		Use:   "profile autoconfig|mobileconfig|autodiscover|srv|sheet|pacc",
		Short: "Write the file a mail app needs to set up an account",
		Long: `Write what a mail app needs to set up an account, for one address (--email)
or for a whole domain (placeholders the client fills in):

  autoconfig    Thunderbird / Mozilla config-v1.1.xml
  mobileconfig  Apple configuration profile (.mobileconfig), optionally signed
  autodiscover  Outlook autodiscover.xml response (needs --email)
  srv           DNS SRV records (RFC 6186, RFC 8314) as zone-file lines
  sheet         the settings to type into a mail app by hand
  pacc          PACC (draft-ietf-mailmaint-pacc), the JSON document served at
                https://ua-auto-config.DOMAIN/.well-known/user-agent-configuration.json;
                its TXT record (the digest) is printed on stderr

Only encrypted endpoints are written: IMAP on 993 and POP3 on 995 (implicit
TLS), submission on 465 then 587 (STARTTLS). --allow-starttls adds IMAP 143
and POP3 110 with STARTTLS; --allow-insecure adds cleartext endpoints to the
sheet and the SRV records (with a warning, and never with a cleartext
password); autoconfig, autodiscover and mobileconfig never carry them, since
clients read those without a person looking. The preferred protocol comes
first: --protocol, or the advice for --scenario/--preset, else IMAP.`,
		Example: `  mailadvisor profile autoconfig --email alice@example.com > config-v1.1.xml
  mailadvisor profile autoconfig --domain-file example.yaml --out config-v1.1.xml
  mailadvisor profile mobileconfig --email alice@example.com --sign-cert cert.pem --sign-key key.pem --out alice.mobileconfig
  mailadvisor profile srv --domain-file example.yaml --preset road-warriors
  mailadvisor profile sheet --email alice@example.com --preset single-device-home -o markdown`,
		Args:      oneArgOf("format", profileFormats, "mailadvisor profile sheet --email you@example.com"),
		ValidArgs: profileFormats,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.format = args[0]
			// -o chooses how the sheet is shown; the other files have one
			// format each. Given on the command line for one of them, it
			// is a mistake; from MAILADVISOR_OUTPUT or the config file, a
			// default for the commands that have a choice.
			if opts.format != "sheet" && onCommandLine(cmd, "output") {
				return withHint(usagef("--output: %s is written in its own format (%s): -o %s applies to the sheet only",
					opts.format, profileFileFormats[opts.format], opts.output), "leave out -o, or write the sheet: mailadvisor profile sheet -o "+opts.output)
			}
			return runProfile(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.email, "email", "", "the address to write the profile for (without it: a per-domain profile)")
	f.StringVar(&opts.userName, "name", "", "the person's name, shown as the sender (Apple's account name, Outlook's display name)")
	opts.addDomainFlags(f, "the domain of --email")
	opts.addChoiceFlags(cmd)
	opts.discovery.addFlags(cmd)
	cmd.MarkFlagsMutuallyExclusive("discover", "domain-file")
	f.BoolVar(&opts.insecure, "allow-insecure", false, "also list cleartext endpoints in the sheet and SRV records, never in autoconfig, autodiscover or mobileconfig (not recommended; prints a warning)")
	f.StringVar(&opts.out, "out", "-", "file to write ('-' for stdout)")
	markOutput(cmd, "out", "file")
	addForceFlag(cmd, &opts.force, "the --out file if it exists")
	addOutputFlag(cmd, &opts.output, "sheet only")
	cmd.MarkFlagsMutuallyExclusive("scenario", "protocol")
	cmd.MarkFlagsMutuallyExclusive("preset", "protocol")
	cmd.MarkFlagsRequiredTogether("sign-cert", "sign-key")
	return cmd
}

// addDomainFlags registers the flags that describe the mail domain, with
// or without a domain file.
// defaultDomain says where the domain comes from without --domain.
func (opts *profileOptions) addDomainFlags(f *pflag.FlagSet, defaultDomain string) {
	f.StringVar(&opts.domainFile, "domain-file", "", "mail domain description (YAML): domains, hosts, ports, services, username form, authentication")
	f.StringVar(&opts.domain, "domain", "", "mail domain, when there is no domain file (default: "+defaultDomain+")")
	f.StringVar(&opts.hosts.IMAP, "imap-host", "", "IMAP server (default mail.<domain>)")
	f.StringVar(&opts.hosts.POP3, "pop3-host", "", "POP3 server (default mail.<domain>)")
	f.StringVar(&opts.hosts.SMTP, "smtp-host", "", "submission server (default mail.<domain>)")
	f.StringVar(&opts.display, "display-name", "", "provider name shown by the mail app")
	f.StringVar(&opts.short, "short-name", "", "short provider name (at most 20 characters)")
	f.StringVar(&opts.username, "username-form", "", "login: address or localpart (default address)")
	f.StringVar(&opts.auth, "auth", "", "authentication: password, password-encrypted or oauth2 (oauth2 needs a domain file)")
	f.BoolVar(&opts.discover, "discover", false, "take the servers from what the domain publishes (see 'mailadvisor discover')")
	f.StringSliceVar(&opts.services, "services", nil, "services offered: imap, pop3, smtp (default all)")
}

// addChoiceFlags registers the flags that choose the protocol order, the
// STARTTLS ports and the signing of Apple profiles.
func (opts *profileOptions) addChoiceFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	addChoiceFlag(cmd, &opts.protocol, "protocol", "", "protocol", "", fixed(profiles.IMAP, profiles.POP3), "preferred protocol: imap or pop3 (default: the advice, else imap)")
	f.StringVar(&opts.scenario, "scenario", "", "scenario file: the advisor's recommendation decides the protocol and POP3 days")
	addPresetFlag(cmd, &opts.preset, "named scenario whose advice decides the protocol")
	f.BoolVar(&opts.starttls, "allow-starttls", false, "also list IMAP 143 and POP3 110 with STARTTLS, after implicit TLS")
	addChoiceFlag(cmd, &opts.acVersion, "autoconfig-version", "", "version", profiles.Autoconfig12, fixed(profiles.AutoconfigVersions...),
		"autoconfig clientConfig version: 1.2 (draft-ietf-mailmaint-autoconfig-06, with CalDAV and CardDAV) or 1.1, exactly as old deployments serve it")
	f.StringVar(&opts.signCert, "sign-cert", "", "mobileconfig: sign with this certificate (PEM)")
	f.StringVar(&opts.signKey, "sign-key", "", "mobileconfig: private key of --sign-cert (PEM)")
	f.StringVar(&opts.signChain, "sign-chain", "", "mobileconfig: intermediate certificates to include (PEM)")
}

func runProfile(_ context.Context, opts *profileOptions) error {
	format := opts.format
	if opts.signCert != "" && format != "mobileconfig" {
		return usagef("--sign-cert: only mobileconfig profiles can be signed")
	}
	plan, err := opts.plan()
	if err != nil {
		return err
	}
	if plan.Insecure() {
		fmt.Fprintln(opts.io.err, "mailadvisor: warning: --allow-insecure lists cleartext endpoints: passwords and mail can be read on the network (RFC 8314 calls cleartext obsolete)")
		if format == "autoconfig" || format == "autodiscover" || format == "mobileconfig" {
			fmt.Fprintf(opts.io.err, "mailadvisor: note: %s never carries cleartext endpoints (Thunderbird for Android rejects a whole autoconfig file with one; autodiscover would send the password in the clear); they are in the sheet and the SRV records\n", format)
		}
	}
	var signer *profiles.Signer
	if opts.signCert != "" {
		s, err := loadSigner(opts.io, opts.signCert, opts.signKey, opts.signChain)
		if err != nil {
			return err
		}
		signer = &s
	}
	warnClients(opts.io.err, plan, format)
	w, finish, err := openOutput(opts.io, opts.out, opts.force)
	if err != nil {
		return err
	}
	if err := writeProfile(w, plan, format, opts, signer); err != nil {
		_ = finish(false)
		return err
	}
	return finish(true)
}

// writePACCRecords adds, below the SRV records, the TXT record that pins
// the plan's PACC document ('mailadvisor profile pacc', what serve answers),
// when the plan has something PACC carries.
func writePACCRecords(w io.Writer, plan *profiles.Plan) error {
	body, _, err := profiles.PACC(plan)
	if err != nil {
		return nil
	}
	first := plan.Domain.Domains[0]
	fmt.Fprintf(w, "; PACC (draft-ietf-mailmaint-pacc): the SHA-256 of the document served at\n; https://%s%s%s (ua-auto-config.%s must reach that server)\n",
		profiles.PACCHostPrefix, first, profiles.PACCPath, first)
	for _, domain := range plan.Domain.Domains {
		if _, err := fmt.Fprintln(w, profiles.PACCRecord(domain, body)); err != nil {
			return err
		}
	}
	return nil
}

func writeProfile(w io.Writer, plan *profiles.Plan, format string, opts *profileOptions, signer *profiles.Signer) error {
	switch format {
	case "autoconfig":
		return profiles.WriteAutoconfig(w, plan)
	case "autodiscover":
		if err := profiles.WriteAutodiscover(w, plan); errors.Is(err, profiles.ErrNoAddress) {
			return withHint(&usageError{err: err}, "pass --email you@example.com")
		} else if err != nil {
			return &usageError{err: err}
		}
		return nil
	case "srv":
		if err := profiles.WriteSRV(w, plan); err != nil {
			return err
		}
		return writePACCRecords(w, plan)
	case "pacc":
		body, notes, err := profiles.PACC(plan)
		for _, n := range notes {
			fmt.Fprintf(opts.io.err, "mailadvisor: note: PACC: %s\n", n)
		}
		if err != nil {
			return withHint(&usageError{err: err}, "PACC needs IMAPS 993, POP3S 995 or submissions 465 in the domain's services and ports")
		}
		if _, err := w.Write(body); err != nil {
			return err
		}
		for _, domain := range plan.Domain.Domains {
			fmt.Fprintf(opts.io.err, "mailadvisor: publish its digest: %s\n", profiles.PACCRecord(domain, body))
		}
		return nil
	case "sheet":
		sheet := profiles.NewSheet(plan)
		if opts.output == formatMarkdown {
			// The same page as batch's settings.md: one renderer.
			return profiles.WriteSheetMarkdown(w, sheet)
		}
		p, err := newPrinter(opts.output, tableWidth(opts.io))
		if err != nil {
			return err
		}
		return p.print(w, report{data: sheet, sections: func() []section { return sheetSections(sheet) }})
	default:
		return writeMobileconfig(w, plan, signer)
	}
}

func writeMobileconfig(w io.Writer, plan *profiles.Plan, signer *profiles.Signer) error {
	data, err := profiles.MobileconfigBytes(plan)
	if err != nil {
		return err
	}
	if signer != nil {
		if data, err = signer.Sign(data); err != nil {
			return err
		}
	}
	_, err = w.Write(data)
	return err
}

// plan builds the domain from the file and flags, the address, and the
// preferred protocol from the flags or the advice.
func (opts *profileOptions) plan() (*profiles.Plan, error) {
	d, err := opts.domainDescription()
	if err != nil {
		return nil, err
	}
	var addr *profiles.Address
	if opts.email != "" {
		a, err := profiles.ParseAddress("email", opts.email)
		if err != nil {
			return nil, err
		}
		addr = &a
	}
	popts := profiles.Options{Preferred: opts.protocol, AllowSTARTTLS: opts.starttls, AllowInsecure: opts.insecure, AutoconfigVersion: opts.acVersion}
	if opts.scenario != "" || opts.preset != "" {
		if popts.Preferred, popts.LeaveOnServerDays, err = opts.advice(); err != nil {
			return nil, err
		}
		// No domain file or --services says what the server offers: it is
		// the one `server all` sets up with the same advice, which opens
		// only the recommended protocol.
		if opts.domainFile == "" && len(opts.services) == 0 && !opts.discover {
			d.Services = []string{popts.Preferred, profiles.SMTP}
			if err := d.Normalize(); err != nil {
				return nil, err
			}
		}
	}
	plan, err := profiles.NewPlan(d, addr, popts)
	if err != nil {
		return nil, err
	}
	if opts.userName != "" {
		if err := textcheck.Text("name", opts.userName, 200); err != nil {
			return nil, &usageError{err: err}
		}
		plan.UserName = opts.userName
	}
	return plan, nil
}

// domainDescription reads --domain-file, or builds the domain from
// --domain or --email, then applies the flags on top.
func (opts *profileOptions) domainDescription() (*profiles.Domain, error) {
	d := &profiles.Domain{}
	if opts.domainFile != "" {
		var err error
		if d, err = readDomainFile(opts.io.inputs, opts.domainFile); err != nil {
			return nil, err
		}
	}
	switch {
	case opts.domain != "":
		d.Domains = []string{opts.domain}
	case len(d.Domains) == 0 && opts.email != "":
		a, err := profiles.ParseAddress("email", opts.email)
		if err != nil {
			return nil, err
		}
		d.Domains = []string{a.Domain}
	case len(d.Domains) == 0:
		return nil, withHint(usagef("no mail domain: give --email, --domain or --domain-file"), "mailadvisor profile autoconfig --email alice@example.com")
	}
	if opts.discover {
		email := opts.email
		if email == "" {
			email = "postmaster@" + d.Domains[0]
		}
		res, err := opts.discovery.run(context.Background(), opts.io.inputs, email)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(res.Servers, func(s discover.Server) bool { return s.Protocol != profiles.SMTP }) {
			return nil, withHint(usagef("discovery found only a submission server for %s (from %s): no IMAP or POP3 server to read mail with", d.Domains[0], res.Source),
				"give the incoming server with --imap-host or --pop3-host")
		}
		applyDiscovered(d, res, opts.io.err)
		fmt.Fprintf(opts.io.err, "mailadvisor: note: servers from %s\n", res.Source)
		return opts.describe(d, true, opts.io.err)
	}
	return opts.describe(d, opts.domainFile != "", opts.io.err)
}

// readDomainFile reads a domain file (through the input cap) and decodes
// it strictly: what profile, batch and serve take with --domain-file.
func readDomainFile(inputs *inputSet, path string) (*profiles.Domain, error) {
	data, err := inputs.read("domain file", path, nil)
	if err != nil {
		return nil, err
	}
	d, err := profiles.DecodeDomain(bytes.NewReader(data), path)
	if err != nil {
		return nil, withHint(&usageError{err: err}, "see 'mailadvisor profile --help' for the domain file's keys")
	}
	return d, nil
}

// describe applies the flags to d and checks it. Without a domain file or
// host flags the servers are a guess (mail.<domain>): said on w, and
// refused for a public provider's domain, whose servers are its own.
func (opts *profileOptions) describe(d *profiles.Domain, fromFile bool, w io.Writer) (*profiles.Domain, error) {
	opts.applyFlags(d)
	if err := d.Normalize(); err != nil {
		return nil, err
	}
	if fromFile {
		return d, nil
	}
	name := d.Domains[0]
	if opts.hosts != (profiles.Hosts{}) {
		// Some servers named: the others are still the guess.
		var guessed []string
		for _, svc := range d.Services {
			switch {
			case svc == profiles.IMAP && opts.hosts.IMAP == "":
				guessed = append(guessed, "--imap-host")
			case svc == profiles.POP3 && opts.hosts.POP3 == "":
				guessed = append(guessed, "--pop3-host")
			case svc == "smtp" && opts.hosts.SMTP == "":
				guessed = append(guessed, "--smtp-host")
			}
		}
		switch {
		case len(guessed) == 0:
		case profiles.PublicProvider(name):
			return nil, withHint(usagef("%s: a public mail provider's domain: give %s too (its servers are the provider's, not mail.%s)", name, strings.Join(guessed, " and "), name),
				"or leave out the services it does not offer with --services")
		case w != nil:
			fmt.Fprintf(w, "mailadvisor: note: without %s, that server is a guess (mail.%s): give it too, or leave the service out with --services\n", strings.Join(guessed, " and "), name)
		}
		return d, nil
	}
	if profiles.PublicProvider(name) {
		return nil, withHint(usagef("%s: a public mail provider's domain: its servers are the provider's, not mail.%s", name, name),
			"use the provider's own set-up page, or give its servers with --imap-host, --pop3-host and --smtp-host")
	}
	if w != nil {
		fmt.Fprintf(w, "mailadvisor: note: the servers mail.%s are a guess: confirm them with whoever runs the mail, or give --imap-host/--smtp-host or a --domain-file\n", name)
	}
	return d, nil
}

func (opts *profileOptions) applyFlags(d *profiles.Domain) {
	for _, s := range []struct{ flag, into *string }{
		{&opts.hosts.IMAP, &d.Hosts.IMAP}, {&opts.hosts.POP3, &d.Hosts.POP3}, {&opts.hosts.SMTP, &d.Hosts.SMTP},
		{&opts.display, &d.DisplayName}, {&opts.short, &d.ShortName}, {&opts.username, &d.Username}, {&opts.auth, &d.Authentication},
	} {
		if *s.flag != "" {
			*s.into = *s.flag
		}
	}
	if len(opts.services) > 0 {
		d.Services = opts.services
	}
}

// advice runs the advisor on --preset/--scenario and returns the
// recommended protocol and, for POP3, the days to leave mail on the server.
func (opts *profileOptions) advice() (string, *int, error) {
	res, err := adviseOn(opts.preset, opts.scenario, opts.io)
	if err != nil {
		return "", nil, err
	}
	days, _ := advisor.LeaveOnServer(&res.Scenario)
	return res.Recommendation.Protocol, &days, nil
}

// adviseOn scores a scenario from a preset and/or a scenario file with the
// built-in rules and models: what 'profile', 'batch' and 'server' do with
// --preset and --scenario.
func adviseOn(preset, file string, std streams) (*advisor.Result, error) {
	s, prov, err := baseScenario(preset, file, std)
	if err != nil {
		return nil, err
	}
	advisor.FitDefaults(&s, prov)
	a, err := advisor.Builtin()
	if err != nil {
		return nil, err
	}
	return a.Advise(s, advisor.Options{})
}

// warnClients warns of what a client would misread in the file: a POP3-only
// autoconfig Thunderbird for Android rejects, and a challenge-response
// method autodiscover cannot express (a login Thunderbird would change is
// refused by the writers: profiles.LoginError).
func warnClients(w io.Writer, plan *profiles.Plan, format string) {
	if format == "autoconfig" && plan.Address == nil && plan.Domain.Username != profiles.UsernameLocalPart &&
		slices.ContainsFunc(plan.Domain.Domains, profiles.IsIDN) {
		_, _ = io.WriteString(w, "mailadvisor: note: clients fill %EMAILADDRESS% with the address as it is typed, which for an international domain may be its Unicode form, not the ASCII one the server knows: a file per address (--email) writes the ASCII login\n")
	}
	if format == "autoconfig" && !slices.ContainsFunc(plan.Incoming, func(e profiles.Endpoint) bool { return e.Protocol == profiles.IMAP }) {
		fmt.Fprintln(w, "mailadvisor: warning: no IMAP server in the autoconfig file: Thunderbird for Android reads IMAP only and rejects the whole file (desktop Thunderbird reads the POP3 entries); add imap to --services for it")
	}
	if format == "autodiscover" && plan.Domain.Authentication == profiles.AuthPasswordEncrypted {
		fmt.Fprintln(w, "mailadvisor: warning: autodiscover cannot ask for a challenge-response login (CRAM-MD5): Outlook will send the password inside TLS")
	} else if plan.Domain.Authentication == profiles.AuthPasswordEncrypted {
		fmt.Fprintln(w, "mailadvisor: warning: --auth password-encrypted asks for CRAM-MD5, which a server written by `mailadvisor server` refuses (it stores hashed passwords and takes PLAIN or LOGIN inside TLS): use --auth password for it")
	}
}

// loadSigner reads the signing certificate, key and chain (PEM) and checks
// them once, before any output; a key file others can read gets a warning.
func loadSigner(std streams, certFile, keyFile, chainFile string) (profiles.Signer, error) {
	stderr := std.err
	certPEM, err := std.inputs.read("--sign-cert", certFile, nil)
	if err != nil {
		return profiles.Signer{}, err
	}
	keyPEM, err := std.inputs.read("--sign-key", keyFile, nil)
	if err != nil {
		return profiles.Signer{}, err
	}
	var chainPEM []byte
	if chainFile != "" {
		if chainPEM, err = std.inputs.read("--sign-chain", chainFile, nil); err != nil {
			return profiles.Signer{}, err
		}
	}
	s, err := profiles.NewSigner(certPEM, keyPEM, chainPEM, time.Now())
	var bad *profiles.SignerError
	if errors.As(err, &bad) {
		flag := map[string]string{"certificate": "--sign-cert", "key": "--sign-key", "pair": "--sign-cert/--sign-key", "chain": "--sign-chain"}[bad.Part]
		return s, usagef("%s: %s", flag, bad.Problem)
	}
	if err != nil {
		return s, err
	}
	if fi, err := os.Stat(keyFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(stderr, "mailadvisor: warning: %s is readable by others (mode %04o): anyone who can read it can sign profiles as you; chmod 600 it\n",
			keyFile, fi.Mode().Perm())
	}
	return s, nil
}

// openOutput opens path for writing ('-' is stdout). A file is written
// atomically: finish(true) renames it into place, finish(false) drops it,
// so a failed run never leaves a half-written profile.
func openOutput(std streams, path string, force bool) (io.Writer, func(ok bool) error, error) {
	if path == "-" || path == "" {
		return std.out, func(bool) error { return nil }, nil
	}
	f, err := std.inputs.create("out", path, force)
	if err != nil {
		return nil, nil, err
	}
	return f, func(ok bool) error {
		if !ok {
			f.Abort()
			return nil
		}
		return f.Commit()
	}, nil
}

func sheetSections(s *profiles.Sheet) []section {
	head := []string{"Protocol", "Server", "Port", "Security", "Username", "Authentication"}
	rows := func(rs []profiles.SheetRow) [][]string {
		var out [][]string
		for _, r := range rs {
			out = append(out, []string{strings.ToUpper(r.Protocol), r.Server, fmt.Sprint(r.Port), r.SecurityLabel, r.Username, r.AuthLabel})
		}
		return out
	}
	out := []section{{Title: "Incoming mail for " + s.Account + " (first choice first)", Header: head, Rows: rows(s.Incoming)}}
	if s.LeaveOnServerDays != nil {
		// Below the table it belongs to: above it, it read as if POP3
		// came first.
		out = append(out, section{Lines: []string{fmt.Sprintf("POP3: leave messages on the server for %d days.", *s.LeaveOnServerDays)}})
	}
	return append(out, section{Title: "Outgoing mail (SMTP submission)", Header: head, Rows: rows(s.Outgoing)})
}
