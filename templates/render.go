package templates

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"sync"
	"text/template"
)

//go:embed files/*.tmpl
var files embed.FS

// parsed parses the embedded templates on first use, not at start-up:
// most commands never write a server file.
var parsed = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Option("missingkey=error").ParseFS(files, "files/*.tmpl"))
})

// Mozilla server-side TLS 6.0 "intermediate" ciphers for TLS 1.2 (TLS 1.3
// suites are always on).
const intermediateCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" +
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

// SRV is one DNS SRV record to publish (RFC 6186/8314), as the caller
// computed it.
type SRV struct {
	Owner    string // _service._tcp.domain.
	Priority int
	Weight   int
	Port     int
	Target   string // host. or "." when not offered
}

// view is what the templates see: the normalised Config and the values
// derived from its versions and TLS profile.
// rspamdMilterPort is where Debian's rspamd runs its milter (the proxy
// worker's default bind_socket).
const rspamdMilterPort = 11332

type view struct {
	*Config
	SRV                    []SRV
	DovecotProtocols       string
	DovecotListen          string
	DovecotMinProtocol     string
	DovecotCurves          string
	CipherList             string
	PostQuantum            bool
	IMAPPortOrZero         int
	POP3PortOrZero         int
	OffersIMAP, OffersPOP3 bool
	QuotaRule              string
	QuotaGrace             string // Dovecot 2.4's storage_grace: 10% of the quota, as 2.3's default
	QuotaStatusRspamd      string // quota-status's socket for rspamd's check at the end of DATA
	MaxMessageBytes        int64
	Fail2banMaxRetry       int
	// Per-address limits, from the devices and people per address, with
	// the arithmetic the files show.
	MaxUserIPConnections            int
	UserIPArithmetic                string
	SMTPClientCount, SMTPClientRate int
	SMTPAuthRate                    int
	SMTPLimitArithmetic             string
	LimitExceptions                 string // never braked: local networks, --fail2ban-ignore
	PostfixInterfaces               string
	PostfixProtocolsFamily          string
	PostfixNetworks                 string
	PostfixMaillogDir               string
	PostfixMinProtocol              string
	PostfixMandatoryProtocols       string
	PostfixCurves                   string
	PostfixFFDHE                    bool
	ForbidBareNewline               bool
	InlineRegexp                    bool // regexp:{...} tables, Postfix 3.7+
	SMTPService                     string
	SubmissionService               string
	SubmissionsService              string
	HostInZone                      bool
	HostLabel                       string
	DMARCRecord                     string
	MTASTSID                        string
	MTASTSMaxAge                    int
	Dovecot24                       bool
	DovecotMailHome                 string // mail_home in the version's variables
	MailDriver, MailPath            string // Dovecot 2.4's split of MailLocation
	MailRoot                        string // the directory above every mailbox, made by setup.sh
	DKIMRecord                      []string
	DKIMKeyName                     string // the key's file beside the others
	DKIMKeyPath                     string // where setup.sh installs it for rspamd
	RspamdFiles                     []rspamdFile
	RspamdMilterPort                int      // rspamd's proxy worker, Postfix's milter
	CertNames                       []string // the names the certificate must cover

	mtaSTSPolicy []byte // the policy file, rendered once: its hash is MTASTSID
}

func newView(c *Config, srv []SRV) (*view, error) {
	if err := c.Normalize(); err != nil {
		return nil, err
	}
	pv, _ := parseVersion("postfix-version", c.PostfixVersion)
	ov, _ := parseVersion("openssl-version", c.OpenSSLVersion)
	v := &view{Config: c, SRV: srv, OffersIMAP: c.Offers(IMAP), OffersPOP3: c.Offers(POP3)}
	v.DovecotProtocols = strings.Join(append(append([]string{}, c.Protocols...), "lmtp"), " ")
	v.DovecotListen, v.PostfixInterfaces, v.PostfixProtocolsFamily = "*, ::", "all", addressFamilies(c)
	v.PostfixNetworks = "127.0.0.0/8 [::1]/128"
	if c.Listen != "" {
		v.DovecotListen, v.PostfixInterfaces = c.Listen, c.Listen
		v.PostfixProtocolsFamily = "ipv4"
		if netip.MustParseAddr(c.Listen).Is6() {
			v.PostfixProtocolsFamily = "ipv6"
		}
	}
	v.tls(pv, ov)
	if c.AllowSTARTTLS {
		v.IMAPPortOrZero, v.POP3PortOrZero = c.Ports.IMAP, c.Ports.POP3
	}
	v.MaxMessageBytes = int64(c.MaxMessageMB) << 20
	v.Fail2banMaxRetry = 5 // fail2ban's own default
	v.limits()
	if c.QuotaGB > 0 {
		v.QuotaRule = fmt.Sprintf("%dM", int(c.QuotaGB*1024+0.5))
		v.QuotaGrace = fmt.Sprintf("%dk", int(c.QuotaGB*1024*1024/10+0.5))
		base := c.DovecotBaseDir
		if base == "" {
			base = "/run/dovecot" // Debian's base_dir
		}
		v.QuotaStatusRspamd = path.Join(base, "quota-status-rspamd")
	}
	if c.PostfixMaillog != "" {
		v.PostfixMaillogDir = path.Dir(c.PostfixMaillog)
	}
	if err := v.dovecotPaths(); err != nil {
		return nil, err
	}
	if c.dkimRecord != "" {
		v.DKIMRecord = txtStrings(c.dkimRecord)
		v.DKIMKeyName = DKIMKeyFile(c)
		v.DKIMKeyPath = "/var/lib/rspamd/dkim/" + v.DKIMKeyName
	}
	v.RspamdMilterPort = rspamdMilterPort
	v.RspamdFiles = []rspamdFile{"rspamd-dmarc.conf", "rspamd-milter_headers.conf"}
	if v.DKIMKeyName != "" {
		v.RspamdFiles = append([]rspamdFile{"rspamd-dkim_signing.conf"}, v.RspamdFiles...)
	}
	v.CertNames = []string{c.Hostname, "autoconfig." + c.Domain, "autodiscover." + c.Domain}
	if c.MTASTS != "" {
		v.CertNames = append(v.CertNames, "mta-sts."+c.Domain)
	}
	if c.PACCDigest != "" {
		v.CertNames = append(v.CertNames, "ua-auto-config."+c.Domain)
	}
	v.SMTPService, v.SubmissionService, v.SubmissionsService = v.service(c.Ports.SMTP), v.service(c.Ports.Submission), v.service(c.Ports.Submissions)
	if err := v.dns(); err != nil {
		return nil, err
	}
	return v, nil
}

// Thunderbird keeps up to 5 IMAP connections per account
// (mail.server.default.max_cached_connections), the most of the common
// mail apps; every device of a person in one office comes from one address.
const connectionsPerDevice = 5

// limits sizes the per-address limits from the scenario: Dovecot's
// connections per user and address, Postfix's anvil per address.
func (v *view) limits() {
	v.MaxUserIPConnections, v.SMTPClientCount, v.SMTPClientRate, v.SMTPAuthRate = 10, 20, 60, 30
	v.UserIPArithmetic = "Dovecot's default (no --devices-per-user or scenario)"
	v.SMTPLimitArithmetic = "the usual brakes (no --people-per-address or scenario)"
	devices := int(math.Ceil(v.DevicesPerUser))
	if devices > 0 {
		n := devices * connectionsPerDevice
		v.MaxUserIPConnections = max(n, 10)
		v.UserIPArithmetic = fmt.Sprintf("%d devices a person (%.3g, rounded up) x %d connections a device (Thunderbird's most) = %d (at least Dovecot's 10)",
			devices, v.DevicesPerUser, connectionsPerDevice, n)
	}
	if v.PeoplePerAddress > 0 {
		d := max(devices, 1)
		n := v.PeoplePerAddress * d
		v.SMTPClientCount, v.SMTPClientRate, v.SMTPAuthRate = max(n, 20), max(2*n, 60), max(2*n, 30)
		v.SMTPLimitArithmetic = fmt.Sprintf("%d people behind one address x %d devices = %d senders at once (at least 20), twice that a minute (at least 60; 30 for AUTH)",
			v.PeoplePerAddress, d, n)
	}
	ex := []string{"127.0.0.0/8", "[::1]/128"}
	for _, p := range v.Fail2banIgnore {
		if p.Addr().Is6() {
			ex = append(ex, "["+p.Addr().String()+"]/"+strconv.Itoa(p.Bits()))
		} else {
			ex = append(ex, p.String())
		}
	}
	v.LimitExceptions = strings.Join(ex, " ")
}

// dovecotPaths derives the mail paths in the target version's syntax and
// the mail root setup.sh creates.
func (v *view) dovecotPaths() error {
	dv, _ := parseVersion("dovecot-version", v.DovecotVersion)
	v.Dovecot24 = dv.atLeast(2, 4)
	v.DovecotMailHome = v.MailHome
	driver, path, _ := strings.Cut(v.MailLocation, ":")
	v.MailDriver, v.MailPath = driver, path
	if v.Dovecot24 {
		// Dovecot 2.4 dropped the one-letter variables.
		v.DovecotMailHome = strings.NewReplacer("%d", "%{user | domain}", "%n", "%{user | username}", "%u", "%{user}", "%%", "%%").Replace(v.MailHome)
		if strings.Contains(v.DovecotMailHome, "%") && strings.Count(v.DovecotMailHome, "%{") != strings.Count(v.DovecotMailHome, "%") {
			return &FieldError{Field: "mail-home", Value: v.MailHome, Allowed: "a path with the variables %d, %n and %u only (Dovecot 2.4)"}
		}
		if strings.ContainsAny(path, "%:") {
			return &FieldError{Field: "mail-location", Value: v.MailLocation, Allowed: "driver:path without options or variables for Dovecot 2.4, such as maildir:~/Maildir"}
		}
	}
	root, _, _ := strings.Cut(v.MailHome, "%")
	v.MailRoot = strings.TrimSuffix(root, "/")
	if i := strings.LastIndex(root, "/"); !strings.HasSuffix(root, "/") && i > 0 {
		v.MailRoot = root[:i]
	}
	if v.MailRoot == "" {
		return &FieldError{Field: "mail-home", Value: v.MailHome, Allowed: "a path with a fixed directory above the users' homes, such as /var/mail/vhosts/%d/%n"}
	}
	return nil
}

// tls derives the TLS settings from the profile and the target versions.
func (v *view) tls(postfix, openssl version) {
	v.PostQuantum = openssl.atLeast(3, 5)
	curves := []string{"X25519", "prime256v1", "secp384r1"}
	if v.PostQuantum {
		curves = append([]string{"X25519MLKEM768"}, curves...)
	}
	v.DovecotCurves, v.PostfixCurves = strings.Join(curves, ":"), strings.Join(curves, " ")
	v.DovecotMinProtocol = "TLSv1.2"
	v.PostfixMinProtocol, v.PostfixMandatoryProtocols = ">=TLSv1.2", ">=TLSv1.2"
	if !postfix.atLeast(3, 6) { // the >= syntax is Postfix 3.6
		v.PostfixMinProtocol, v.PostfixMandatoryProtocols = "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1"
	}
	if v.TLSProfile == Modern {
		v.DovecotMinProtocol, v.PostfixMandatoryProtocols = "TLSv1.3", ">=TLSv1.3"
		if !postfix.atLeast(3, 6) {
			v.PostfixMandatoryProtocols = "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.2"
		}
	} else {
		v.CipherList = intermediateCiphers
	}
	v.PostfixFFDHE = postfix.atLeast(3, 8)      // unknown parameter before 3.8
	v.ForbidBareNewline = postfix.atLeast(3, 7) // backported to 3.7.9
	v.InlineRegexp = postfix.atLeast(3, 7)
}

// service is a master.cf service name: the port, with the listen address.
func (v *view) service(port int) string {
	switch {
	case v.Listen == "":
		return fmt.Sprint(port)
	case strings.Contains(v.Listen, ":"):
		return fmt.Sprintf("[%s]:%d", v.Listen, port)
	default:
		return fmt.Sprintf("%s:%d", v.Listen, port)
	}
}

func (v *view) dns() error {
	v.HostInZone = hostInZone(v.Config)
	v.HostLabel = strings.TrimSuffix(v.Hostname, "."+v.Domain)
	v.DMARCRecord = "v=DMARC1; p=" + v.DMARCInEffect()
	if v.DMARCReports != "" {
		v.DMARCRecord += "; rua=mailto:" + v.DMARCReports
	}
	v.MTASTSMaxAge = 604800
	if v.MTASTS == "testing" {
		v.MTASTSMaxAge = 86400
	}
	if v.MTASTS == "" {
		return nil
	}
	var policy bytes.Buffer
	if err := parsed().ExecuteTemplate(&policy, "mta-sts.txt.tmpl", v); err != nil {
		return err
	}
	v.mtaSTSPolicy = policy.Bytes()
	sum := sha256.Sum256(v.mtaSTSPolicy)
	v.MTASTSID = hex.EncodeToString(sum[:])[:20]
	return nil
}

// File names written by [WriteAll].
const (
	DovecotFile  = "dovecot.conf"
	MainCfFile   = "main.cf"
	MasterCfFile = "master.cf"
	MTASTSFile   = "mta-sts.txt"
	Fail2banFile = "fail2ban.local"
	SetupFile    = "setup.sh"
	AddUserFile  = "mail-adduser"
	DelUserFile  = "mail-deluser"
	// Fail2banFilterFile is the Dovecot 2.3 and 2.4 filter of the jail.
	Fail2banFilterFile = "fail2ban-dovecot.conf"
	// DeployHookFile reloads Dovecot and Postfix after certbot renews.
	DeployHookFile = "certbot-deploy-hook"
	// RspamdLuaFile binds the From: header of submitted mail to the login.
	RspamdLuaFile = "rspamd.local.lua"
	// ServeDomainFile and ServeUnitFile run `mailadvisor serve` on the
	// server for the autoconfig, autodiscover and MTA-STS names.
	ServeDomainFile = "serve-domain.yaml"
	ServeUnitFile   = "mailadvisor-serve.service"
	zoneExtension   = ".zone"
)

// rspamdFile is one of rspamd's local.d files, named rspamd-NAME beside
// the others and NAME in /etc/rspamd/local.d.
type rspamdFile string

func (f rspamdFile) Name() string   { return string(f) }
func (f rspamdFile) Target() string { return strings.TrimPrefix(string(f), "rspamd-") }

// DKIMKeyFile is the name of the DKIM private key beside the other files,
// and in rspamd's key directory: DOMAIN.SELECTOR.key, as rspamd names them.
func DKIMKeyFile(c *Config) string { return c.Domain + "." + c.DKIMSelector + ".key" }

// FileMode is the mode a file of the set needs: the DKIM key is secret,
// the scripts run.
func FileMode(name string) fs.FileMode {
	switch {
	case strings.HasSuffix(name, ".key"):
		return 0o600
	case name == SetupFile || name == AddUserFile || name == DelUserFile || name == DeployHookFile:
		return 0o755
	}
	return 0o644
}

// CommentPrefix starts a comment line in the named file of the set: ';'
// in a zone, "--" in Lua, '#' in the others.
func CommentPrefix(name string) string {
	switch {
	case strings.HasSuffix(name, zoneExtension):
		return ";"
	case strings.HasSuffix(name, ".lua"):
		return "--"
	}
	return "#"
}

// WriteDovecot writes dovecot.conf.
func WriteDovecot(w io.Writer, c *Config) error {
	v, err := newView(c, nil)
	if err != nil {
		return err
	}
	return parsed().ExecuteTemplate(w, v.dovecotTemplate(), v)
}

func (v *view) dovecotTemplate() string {
	if v.Dovecot24 {
		return "dovecot24.conf.tmpl"
	}
	return "dovecot.conf.tmpl"
}

// WritePostfixMain writes Postfix's main.cf.
func WritePostfixMain(w io.Writer, c *Config) error { return render(w, c, nil, "main.cf.tmpl") }

// WritePostfixMaster writes Postfix's master.cf.
func WritePostfixMaster(w io.Writer, c *Config) error { return render(w, c, nil, "master.cf.tmpl") }

// WriteDNS writes the zone lines for the domain, with the SRV records the
// caller computed.
func WriteDNS(w io.Writer, c *Config, srv []SRV) error { return render(w, c, srv, "zone.tmpl") }

// ZoneFile is the name [WriteAll] gives the DNS records of a domain.
func ZoneFile(domain string) string { return domain + zoneExtension }

// WriteAll calls create for each file of the whole set and writes it:
// Dovecot, Postfix, rspamd, DNS, fail2ban, setup.sh, mail-adduser and
// mail-deluser, the certificate's deploy hook, the
// MTA-STS policy when enabled, and the DKIM key when the Config has one.
func WriteAll(c *Config, srv []SRV, create func(name string) (io.Writer, error)) error {
	v, err := newView(c, srv)
	if err != nil {
		return err
	}
	type output struct{ name, tmpl string }
	outputs := []output{
		{DovecotFile, v.dovecotTemplate()}, {MainCfFile, "main.cf.tmpl"}, {MasterCfFile, "master.cf.tmpl"},
		{ZoneFile(c.Domain), "zone.tmpl"}, {Fail2banFile, "fail2ban.local.tmpl"}, {Fail2banFilterFile, "fail2ban-dovecot.conf.tmpl"},
		{RspamdLuaFile, "rspamd.local.lua.tmpl"},
	}
	for _, f := range v.RspamdFiles {
		outputs = append(outputs, output{f.Name(), f.Name() + ".tmpl"})
	}
	outputs = append(outputs, output{SetupFile, "setup.sh.tmpl"}, output{AddUserFile, "mail-adduser.tmpl"},
		output{DelUserFile, "mail-deluser.tmpl"}, output{DeployHookFile, "certbot-deploy-hook.tmpl"},
		output{ServeDomainFile, "serve-domain.yaml.tmpl"}, output{ServeUnitFile, "mailadvisor-serve.service.tmpl"})
	for _, o := range outputs {
		w, err := create(o.name)
		if err != nil {
			return err
		}
		if err := parsed().ExecuteTemplate(w, o.tmpl, v); err != nil {
			return err
		}
	}
	extra := []struct {
		name string
		data []byte
	}{{MTASTSFile, v.mtaSTSPolicy}, {v.DKIMKeyName, c.DKIMKey}}
	for _, e := range extra {
		if e.data == nil || e.name == "" {
			continue
		}
		w, err := create(e.name)
		if err != nil {
			return err
		}
		if _, err := w.Write(e.data); err != nil {
			return err
		}
	}
	return nil
}

func render(w io.Writer, c *Config, srv []SRV, name string) error {
	v, err := newView(c, srv)
	if err != nil {
		return err
	}
	return parsed().ExecuteTemplate(w, name, v)
}
