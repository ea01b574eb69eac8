package templates

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/lazyregexp"
	"github.com/mailadvisor/mailadvisor/internal/limits"
	"github.com/mailadvisor/mailadvisor/internal/mailports"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// Protocols a server can offer to mail clients.
const (
	IMAP = "imap"
	POP3 = "pop3"
)

// TLS profiles (Mozilla server-side TLS guidelines 6.0).
const (
	Intermediate = "intermediate" // TLS 1.2 and 1.3, six ECDHE AEAD ciphers
	Modern       = "modern"       // TLS 1.3 only
)

// DMARC policies.
var dmarcPolicies = []string{"none", "quarantine", "reject"}

// Defaults of the settings that a zero Config leaves to Normalize.
const (
	DefaultDovecotVersion = "2.3" // Debian 12; 2.4 is Debian 13's
	DefaultPostfixVersion = "3.7" // Debian 12
	// DefaultMaxMessageMB is the largest message accepted: 50 MB, between
	// the common providers' 25 MB and Mail-in-a-Box's 128 MB.
	DefaultMaxMessageMB   = 50
	DefaultOpenSSLVersion = "3.0" // Debian 12
	// DefaultDMARCPolicy is quarantine when a DKIM key signs the mail
	// (forwarded mail keeps its signature), as Mail-in-a-Box publishes;
	// without a key it is none (monitor): a stricter policy on SPF alone
	// quarantines forwarded mail.
	DefaultDMARCPolicy       = "quarantine"
	DefaultDMARCPolicyNoDKIM = "none"
	DefaultDKIMSelector      = "mail"
)

// Config describes the server to configure. Zero values take the defaults
// that [Config.Normalize] fills in.
type Config struct {
	Domain     string
	Hostname   string   // default mail.<domain>
	Protocols  []string // imap, pop3; default mailports.DefaultProtocols
	TLSProfile string   // intermediate (default) or modern
	CertFile   string   // default /etc/letsencrypt/live/<hostname>/fullchain.pem
	KeyFile    string   // default /etc/letsencrypt/live/<hostname>/privkey.pem
	Listen     string   // IP address to listen on; default all
	Ports      Ports
	// AllowSTARTTLS opens IMAP 143 and POP3 110 (STARTTLS); by default
	// they are closed (RFC 8314: implicit TLS).
	AllowSTARTTLS bool
	MailLocation  string // default maildir:~/Maildir
	MailHome      string // default /var/mail/vhosts/%d/%n
	MailUser      string // system user owning the mail; default vmail
	MailGroup     string // default vmail
	UsersFile     string // passwd-file of the mail users; default /etc/dovecot/users
	// RecipientsFile is the users file's addresses as a Postfix table,
	// kept by mail-adduser and mail-deluser; default
	// /etc/postfix/mailadvisor-recipients.
	RecipientsFile string
	// SenderAliasesFile lists the addresses logins may send as besides
	// their own; default /etc/mailadvisor/sender-aliases.
	SenderAliasesFile string
	QuotaGB           float64 // per user; 0 = no quota
	// MaxMessageMB is the largest message accepted, in MB, the same for
	// Postfix and Dovecot; 0 means DefaultMaxMessageMB.
	MaxMessageMB int
	// LeaveOnServerDays is the POP3 policy: mail older than this is
	// expunged by the daily job the Dovecot file shows (0: none given).
	LeaveOnServerDays int
	DovecotVersion    string // 2.3 (default) or 2.4
	PostfixVersion    string // default 3.7
	OpenSSLVersion    string // default 3.0
	// DMARCPolicy is none, quarantine or reject; "" leaves it to
	// [Config.DMARCInEffect]: quarantine when DKIMKey signs, else none.
	DMARCPolicy  string
	DMARCReports string // address for aggregate reports (optional)
	DKIMSelector string // default mail
	// DKIMKey is the PEM private key rspamd signs the domain's mail with;
	// the zone publishes its public part. Empty: no key, no signing, and
	// the zone says how to make one.
	DKIMKey       []byte
	dkimRecord    string // DKIMKey's DNS record, from the last Normalize
	MTASTS        string // "", testing or enforce
	TLSRPTReports string // address for TLS reports (optional)
	// PACCDigest is the TXT text (v=UAAC1; a=sha256; d=...) of the PACC
	// document 'mailadvisor serve' answers for the domain's servers, as
	// the profiles package computes it (the command sets it); "" publishes
	// no PACC name.
	PACCDigest string
	// Postmaster is the mailbox that receives postmaster@ and abuse@ of the
	// domain (RFC 5321 §4.5.1, RFC 2142); "" means admin@<domain>.
	Postmaster string
	IPv4, IPv6 string // addresses of the mail host, for its A/AAAA records (optional)
	// DevicesPerUser and PeoplePerAddress size the per-address limits:
	// the devices each person syncs, and how many people share one public
	// address (an office behind NAT). 0 leaves Dovecot's and Postfix's
	// defaults.
	DevicesPerUser   float64
	PeoplePerAddress int
	// Fail2banIgnore are address ranges fail2ban never bans (an office's
	// NAT, a monitoring host), besides this host.
	Fail2banIgnore []netip.Prefix

	// Runtime locations, for a non-standard install or a test; empty
	// means the distribution's default.
	DovecotBaseDir  string
	DovecotStateDir string
	DovecotLog      string
	PostfixQueueDir string // default /var/spool/postfix
	PostfixDataDir  string
	PostfixMaillog  string
}

// Ports are the listening ports; 0 means the standard one.
type Ports struct {
	IMAPS, IMAP, POP3S, POP3, SMTP, Submission, Submissions int
}

// FieldError says that a setting holds a value it does not accept.
type FieldError = textcheck.FieldError

// Normalize fills in the defaults and validates every value that reaches
// a file; it returns a [*FieldError] naming the first bad one.
func (c *Config) Normalize() error {
	var err error
	if c.Domain, err = textcheck.Hostname("domain", c.Domain); err != nil {
		return err
	}
	if c.Hostname == "" {
		c.Hostname = "mail." + c.Domain
	}
	if c.Hostname, err = textcheck.Hostname("hostname", c.Hostname); err != nil {
		return err
	}
	for _, step := range []func() error{c.normalizeProtocols, c.normalizeTLS, c.normalizePorts, c.normalizePaths, c.normalizeVersions, c.normalizeDNS, c.normalizeDerived} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) normalizeProtocols() error {
	if len(c.Protocols) == 0 {
		c.Protocols = mailports.DefaultProtocols()
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range c.Protocols {
		p = strings.ToLower(strings.TrimSpace(p))
		if p != IMAP && p != POP3 {
			return &FieldError{Field: "protocols", Value: p, Allowed: "imap, pop3"}
		}
		if !seen[p] {
			out = append(out, p)
		}
		seen[p] = true
	}
	c.Protocols = out
	if c.MaxMessageMB == 0 {
		c.MaxMessageMB = DefaultMaxMessageMB
	}
	if c.MaxMessageMB < 1 || c.MaxMessageMB > 2000 {
		return &FieldError{Field: "max-message-mb", Value: fmt.Sprint(c.MaxMessageMB), Allowed: "a size in MB from 1 to 2000"}
	}
	if c.QuotaGB < 0 || c.QuotaGB > 1e6 || math.IsNaN(c.QuotaGB) {
		return &FieldError{Field: "quota", Value: fmt.Sprint(c.QuotaGB), Allowed: "a size in GB from 0 (no quota) to 1000000"}
	}
	if c.DevicesPerUser < 0 || c.DevicesPerUser > 20 || math.IsNaN(c.DevicesPerUser) {
		return &FieldError{Field: "devices-per-user", Value: fmt.Sprint(c.DevicesPerUser), Allowed: "a number of devices from 0 (Dovecot's default limit) to 20"}
	}
	if c.PeoplePerAddress < 0 || c.PeoplePerAddress > 1_000_000 {
		return &FieldError{Field: "people-per-address", Value: fmt.Sprint(c.PeoplePerAddress), Allowed: "a number of people from 0 (Postfix's default limits) to 1000000"}
	}
	if err := limits.LeaveOnServerDays("leave-on-server-days", c.LeaveOnServerDays); err != nil {
		return err
	}
	return nil
}

func (c *Config) normalizeTLS() error {
	if c.TLSProfile == "" {
		c.TLSProfile = Intermediate
	}
	if c.TLSProfile != Intermediate && c.TLSProfile != Modern {
		return &FieldError{Field: "tls-profile", Value: c.TLSProfile, Allowed: "intermediate or modern"}
	}
	if c.CertFile == "" {
		c.CertFile = "/etc/letsencrypt/live/" + c.Hostname + "/fullchain.pem"
	}
	if c.KeyFile == "" {
		c.KeyFile = "/etc/letsencrypt/live/" + c.Hostname + "/privkey.pem"
	}
	return nil
}

func (c *Config) normalizePorts() error {
	if c.Listen != "" {
		addr, err := netip.ParseAddr(c.Listen)
		if err != nil || addr.Zone() != "" {
			return &FieldError{Field: "listen", Value: c.Listen, Allowed: "an IP address such as 127.0.0.1 or ::1"}
		}
		c.Listen = addr.String()
	}
	p := &c.Ports
	used := map[int]string{} // each service needs its own port
	for _, port := range []struct {
		field    string
		value    *int
		standard int
	}{
		{"imaps-port", &p.IMAPS, mailports.IMAPS}, {"imap-port", &p.IMAP, mailports.IMAP},
		{"pop3s-port", &p.POP3S, mailports.POP3S}, {"pop3-port", &p.POP3, mailports.POP3},
		{"smtp-port", &p.SMTP, mailports.SMTP}, {"submission-port", &p.Submission, mailports.Submission},
		{"submissions-port", &p.Submissions, mailports.Submissions},
	} {
		if *port.value == 0 {
			*port.value = port.standard
		}
		if err := limits.Port(port.field, *port.value); err != nil {
			return err
		}
		if other, taken := used[*port.value]; taken {
			return &FieldError{Field: port.field, Value: strconv.Itoa(*port.value),
				Allowed: "a port of its own (" + other + " is also " + strconv.Itoa(*port.value) + ")"}
		}
		used[*port.value] = port.field
	}
	return nil
}

// safePath allows absolute paths made of letters, digits and . _ - + / @
// and the %d %n %u variables Dovecot expands: nothing that could end a
// value or start a directive.
var safePath = lazyregexp.New(`^/[A-Za-z0-9._+@/%-]*$`)

// mailLocation is a Dovecot mail location such as maildir:~/Maildir.
var mailLocation = lazyregexp.New(`^(maildir|mdbox|sdbox|mbox):[A-Za-z0-9._+@/%~:=-]+$`)

// dnsLabel is one DNS label, for the DKIM selector.
var dnsLabel = lazyregexp.New(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// safeWord is a user or group name.
var safeWord = lazyregexp.New(`^[a-z_][a-z0-9_-]{0,31}$`)

func (c *Config) normalizePaths() error {
	defaults := []struct {
		field string
		value *string
		def   string
	}{
		{"cert", &c.CertFile, ""}, {"key", &c.KeyFile, ""},
		{"mail-home", &c.MailHome, "/var/mail/vhosts/%d/%n"}, {"users-file", &c.UsersFile, "/etc/dovecot/users"},
		{"recipients-file", &c.RecipientsFile, "/etc/postfix/mailadvisor-recipients"},
		{"sender-aliases-file", &c.SenderAliasesFile, "/etc/mailadvisor/sender-aliases"},
		{"postfix-queue-dir", &c.PostfixQueueDir, "/var/spool/postfix"},
		{"dovecot-base-dir", &c.DovecotBaseDir, ""}, {"dovecot-state-dir", &c.DovecotStateDir, ""}, {"dovecot-log", &c.DovecotLog, ""},
		{"postfix-data-dir", &c.PostfixDataDir, ""}, {"postfix-maillog", &c.PostfixMaillog, ""},
	}
	for _, d := range defaults {
		if *d.value == "" {
			*d.value = d.def
		}
		if *d.value != "" && (!safePath().MatchString(*d.value) || strings.Contains(*d.value, "..")) {
			return &FieldError{Field: d.field, Value: *d.value, Allowed: "an absolute path of letters, digits and . _ - + @ / (no spaces, quotes or ..)"}
		}
	}
	if c.MailLocation == "" {
		c.MailLocation = "maildir:~/Maildir"
	}
	if !mailLocation().MatchString(c.MailLocation) {
		return &FieldError{Field: "mail-location", Value: c.MailLocation, Allowed: "a Dovecot mail location such as maildir:~/Maildir"}
	}
	for _, w := range []struct {
		field string
		value *string
	}{{"mail-user", &c.MailUser}, {"mail-group", &c.MailGroup}} {
		if *w.value == "" {
			*w.value = "vmail"
		}
		if !safeWord().MatchString(*w.value) {
			return &FieldError{Field: w.field, Value: *w.value, Allowed: "a system user or group name"}
		}
	}
	return nil
}

// version is a target version: major.minor, optionally .patch.
type version struct{ major, minor int }

// versionSyntax is the only version text accepted: digits and dots, two or
// three parts, so that no value can carry anything else into a file.
var versionSyntax = lazyregexp.New(`^[0-9]{1,4}(\.[0-9]{1,4}){1,2}$`)

func parseVersion(field, s string) (version, error) {
	var v version
	if !versionSyntax().MatchString(s) {
		return v, &FieldError{Field: field, Value: s, Allowed: "a version of digits and dots such as 3.7 or 3.7.11"}
	}
	parts := strings.Split(s, ".")
	v.major, _ = strconv.Atoi(parts[0])
	v.minor, _ = strconv.Atoi(parts[1])
	return v, nil
}

// addressFamilies is what Postfix sends and receives over: the families
// the zone publishes an address for (a family without one has no PTR
// and no SPF match, and receivers refuse mail from it), all when none is
// given (MissingAddress then warns).
func addressFamilies(c *Config) string {
	switch {
	case c.IPv4 != "" && c.IPv6 == "":
		return "ipv4"
	case c.IPv6 != "" && c.IPv4 == "":
		return "ipv6"
	}
	return "all"
}

// MissingAddress reports whether the zone leaves the MX host without an
// address: it is in the domain and neither IPv4 nor IPv6 is given, so
// the zone has no A or AAAA record for it and no mail can arrive.
func MissingAddress(c *Config) bool {
	return c.IPv4 == "" && c.IPv6 == "" && hostInZone(c)
}

// hostInZone reports whether the mail host is a name in the domain, whose
// address records the zone then holds.
func hostInZone(c *Config) bool { return strings.HasSuffix(c.Hostname, "."+c.Domain) }

func (v version) atLeast(major, minor int) bool {
	return v.major > major || v.major == major && v.minor >= minor
}

func (c *Config) normalizeVersions() error {
	defaults := map[*string]string{&c.DovecotVersion: DefaultDovecotVersion, &c.PostfixVersion: DefaultPostfixVersion,
		&c.OpenSSLVersion: DefaultOpenSSLVersion}
	for p, d := range defaults {
		if *p == "" {
			*p = d
		}
	}
	dv, err := parseVersion("dovecot-version", c.DovecotVersion)
	if err != nil {
		return err
	}
	if dv.major != 2 || (dv.minor != 3 && dv.minor != 4) {
		return &FieldError{Field: "dovecot-version", Value: c.DovecotVersion, Allowed: "2.3 (Debian 12) or 2.4 (Debian 13)"}
	}
	pv, err := parseVersion("postfix-version", c.PostfixVersion)
	if err != nil {
		return err
	}
	if !pv.atLeast(3, 4) {
		return &FieldError{Field: "postfix-version", Value: c.PostfixVersion, Allowed: "3.4 or newer (smtpd_tls_chain_files)"}
	}
	ov, err := parseVersion("openssl-version", c.OpenSSLVersion)
	if err != nil {
		return err
	}
	if !ov.atLeast(1, 1) {
		return &FieldError{Field: "openssl-version", Value: c.OpenSSLVersion, Allowed: "1.1 or newer (TLS 1.3)"}
	}
	return nil
}

// mailbox accepts a simple address for DMARC and TLS-RPT reports.
var mailbox = lazyregexp.New(`^[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$`)

func (c *Config) normalizeDNS() error {
	if c.DMARCPolicy != "" && !slices.Contains(dmarcPolicies, c.DMARCPolicy) {
		return &FieldError{Field: "dmarc-policy", Value: c.DMARCPolicy, Allowed: "one of none, quarantine, reject"}
	}
	if c.DKIMSelector == "" {
		c.DKIMSelector = DefaultDKIMSelector
	}
	if !dnsLabel().MatchString(c.DKIMSelector) {
		return &FieldError{Field: "dkim-selector", Value: c.DKIMSelector, Allowed: "a DNS label such as mail or s2026"}
	}
	if c.MTASTS != "" && c.MTASTS != "testing" && c.MTASTS != "enforce" {
		return &FieldError{Field: "mta-sts", Value: c.MTASTS, Allowed: "testing or enforce (or empty for none)"}
	}
	if c.Postmaster == "" {
		c.Postmaster = "admin@" + c.Domain
	}
	for field, addr := range map[string]string{"dmarc-reports": c.DMARCReports, "tls-rpt-reports": c.TLSRPTReports, "postmaster": c.Postmaster} {
		if addr != "" && !mailbox().MatchString(addr) {
			return &FieldError{Field: field, Value: addr, Allowed: "an e-mail address such as reports@example.com"}
		}
	}
	for field, ip := range map[string]*string{"ipv4": &c.IPv4, "ipv6": &c.IPv6} {
		if *ip == "" {
			continue
		}
		addr, err := netip.ParseAddr(*ip)
		if err != nil || (field == "ipv4") != addr.Is4() || addr.Zone() != "" {
			return &FieldError{Field: field, Value: *ip, Allowed: "an " + strings.ToUpper(field[:2]) + field[2:] + " address"}
		}
		*ip = addr.String()
	}
	return nil
}

// normalizeDerived checks what the files derive from several settings:
// the mail paths in the Dovecot version's syntax, and the DKIM key.
func (c *Config) normalizeDerived() error {
	if err := (&view{Config: c}).dovecotPaths(); err != nil {
		return err
	}
	c.dkimRecord = ""
	if len(c.DKIMKey) > 0 {
		record, err := DKIMRecord(c.DKIMKey)
		if err != nil {
			return dkimKeyError(err)
		}
		c.dkimRecord = record
	}
	return nil
}

func dkimKeyError(err error) error {
	return &FieldError{Field: "dkim-key", Value: "the key given", Allowed: "a PEM private key, RSA of 2048 bits or more or Ed25519 (" + err.Error() + ")"}
}

// DMARCInEffect is the DMARC policy the zone publishes: the one set, or
// by default quarantine when a DKIM key signs and none when nothing does.
func (c *Config) DMARCInEffect() string {
	switch {
	case c.DMARCPolicy != "":
		return c.DMARCPolicy
	case len(c.DKIMKey) > 0:
		return DefaultDMARCPolicy
	}
	return DefaultDMARCPolicyNoDKIM
}

// Offers reports whether the configuration serves a protocol.
func (c *Config) Offers(protocol string) bool { return slices.Contains(c.Protocols, protocol) }
