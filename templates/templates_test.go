package templates

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func exampleSRV() []SRV {
	return []SRV{
		{Owner: "_imaps._tcp.example.com.", Priority: 0, Weight: 1, Port: 993, Target: "mail.example.com."},
		{Owner: "_imap._tcp.example.com.", Target: "."},
		{Owner: "_pop3s._tcp.example.com.", Target: "."},
		{Owner: "_pop3._tcp.example.com.", Target: "."},
		{Owner: "_submissions._tcp.example.com.", Priority: 0, Weight: 1, Port: 465, Target: "mail.example.com."},
		{Owner: "_submission._tcp.example.com.", Priority: 5, Weight: 1, Port: 587, Target: "mail.example.com."},
	}
}

var goldenConfigs = map[string]func() *Config{
	"intermediate-both": func() *Config {
		return &Config{Domain: "example.com", Protocols: []string{IMAP, POP3}, QuotaGB: 10, LeaveOnServerDays: 14,
			MTASTS: "enforce", TLSRPTReports: "tls@example.com", DMARCReports: "dmarc@example.com", IPv4: "192.0.2.1", IPv6: "2001:db8::1"}
	},
	"dovecot24-dkim": func() *Config {
		key, err := os.ReadFile(filepath.Join("testdata", "dkim.key"))
		if err != nil {
			panic(err)
		}
		return &Config{Domain: "example.com", Protocols: []string{IMAP, POP3}, DovecotVersion: "2.4", QuotaGB: 5, DKIMKey: key, IPv4: "192.0.2.1"}
	},
	"modern-imap-starttls": func() *Config {
		return &Config{Domain: "example.com", Protocols: []string{IMAP}, TLSProfile: Modern, AllowSTARTTLS: true, DMARCPolicy: "reject",
			PostfixVersion: "3.8", OpenSSLVersion: "3.5"}
	},
}

func renderAll(t *testing.T, c *Config) map[string][]byte {
	t.Helper()
	out := map[string]*bytes.Buffer{}
	err := WriteAll(c, exampleSRV(), func(name string) (io.Writer, error) {
		out[name] = &bytes.Buffer{}
		return out[name], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for k, v := range out {
		files[k] = v.Bytes()
	}
	return files
}

func TestGolden(t *testing.T) {
	for name, config := range goldenConfigs {
		first, second := renderAll(t, config()), renderAll(t, config())
		for file, data := range first {
			if !bytes.Equal(data, second[file]) {
				t.Errorf("%s/%s: same input, different output", name, file)
			}
			path := filepath.Join("testdata", "golden", name, file)
			if *update {
				_ = os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(data, want) {
				t.Errorf("%s differs from the golden file:\n%s", path, data)
			}
		}
	}
}

// Postfix joins an indented main.cf line to the previous one, silently.
func TestMainCfIsNeverIndented(t *testing.T) {
	for name, config := range goldenConfigs {
		for i, line := range strings.Split(string(renderAll(t, config())[MainCfFile]), "\n") {
			if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
				t.Errorf("%s: main.cf line %d is indented: %q", name, i+1, line)
			}
		}
	}
}

func TestSecureSettings(t *testing.T) {
	files := renderAll(t, goldenConfigs["intermediate-both"]())
	dovecot, main, master := string(files[DovecotFile]), string(files[MainCfFile]), string(files[MasterCfFile])
	for _, want := range []string{"ssl = required", "ssl_min_protocol = TLSv1.2", "ssl_prefer_server_ciphers = no",
		"ssl_curve_list = X25519:prime256v1:secp384r1\n", "disable_plaintext_auth = yes", "auth_mechanisms = plain login",
		"inet_listener imap {\n    port = 0", "inet_listener pop3 {\n    port = 0", "port = 993\n    ssl = yes", "port = 995\n    ssl = yes",
		"quota_rule = *:storage=10240M", "private/dovecot-lmtp", "private/auth", "protocols = imap pop3 lmtp"} {
		if !strings.Contains(dovecot, want) {
			t.Errorf("dovecot.conf lacks %q", want)
		}
	}
	for _, want := range []string{"smtpd_tls_security_level = may\n", "smtpd_tls_auth_only = yes", "smtpd_tls_mandatory_protocols = >=TLSv1.2",
		"tls_preempt_cipherlist = no", "smtpd_forbid_bare_newline = normalize", "smtpd_sasl_auth_enable = no", "smtpd_tls_mandatory_ciphers = high"} {
		if !strings.Contains(main, want) {
			t.Errorf("main.cf lacks %q", want)
		}
	}
	for _, bad := range []string{"tls_ffdhe_auto_groups", "X25519MLKEM768", "tls_medium_cipherlist"} {
		setting := regexp.MustCompile(`(?m)^[^#\n]*` + bad)
		if setting.MatchString(main) || setting.MatchString(dovecot) {
			t.Errorf("Postfix 3.7 / OpenSSL 3.0 files set %q", bad)
		}
	}
	for _, want := range []string{"587 inet n - n - - smtpd\n  -o syslog_name=postfix/submission\n  -o smtpd_tls_security_level=encrypt\n  -o smtpd_sasl_auth_enable=yes",
		"465 inet n - n - - smtpd\n  -o syslog_name=postfix/submissions\n  -o smtpd_tls_wrappermode=yes"} {
		if !strings.Contains(master, want) {
			t.Errorf("master.cf lacks %q", want)
		}
	}
	if strings.Contains(strings.SplitN(master, "587 inet", 2)[0], "sasl") {
		t.Error("SASL is enabled on port 25")
	}
	modern := renderAll(t, goldenConfigs["modern-imap-starttls"]())
	md, mm := string(modern[DovecotFile]), string(modern[MainCfFile])
	for _, want := range []string{"ssl_min_protocol = TLSv1.3", "X25519MLKEM768:X25519", "inet_listener imap {\n    port = 143", "protocols = imap lmtp"} {
		if !strings.Contains(md, want) {
			t.Errorf("modern dovecot.conf lacks %q", want)
		}
	}
	if strings.Contains(md, "pop3") || strings.Contains(md, "ssl_cipher_list") {
		t.Error("modern IMAP-only dovecot.conf mentions pop3 or a cipher list")
	}
	for _, want := range []string{"smtpd_tls_mandatory_protocols = >=TLSv1.3", "tls_ffdhe_auto_groups =\n", "X25519MLKEM768 X25519"} {
		if !strings.Contains(mm, want) {
			t.Errorf("modern Postfix 3.8 main.cf lacks %q", want)
		}
	}
}

func TestOldPostfixProtocolSyntax(t *testing.T) {
	var b bytes.Buffer
	if err := WritePostfixMain(&b, &Config{Domain: "example.com", PostfixVersion: "3.5"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "smtpd_tls_mandatory_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1\n") || strings.Contains(b.String(), "forbid_bare_newline") {
		t.Errorf("Postfix 3.5 main.cf:\n%s", b.String())
	}
}

func TestNormalizeRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		field  string
	}{
		{"bad domain", func(c *Config) { c.Domain = "example com" }, "domain"},
		{"newline in hostname", func(c *Config) { c.Hostname = "mail.example.com\nssl = no" }, "hostname"},
		{"bad protocol", func(c *Config) { c.Protocols = []string{"smtp"} }, "protocols"},
		{"bad profile", func(c *Config) { c.TLSProfile = "old" }, "tls-profile"},
		{"relative cert", func(c *Config) { c.CertFile = "cert.pem" }, "cert"},
		{"cert with a brace", func(c *Config) { c.CertFile = "/etc/ssl/x}\nssl = no" }, "cert"},
		{"key with a space", func(c *Config) { c.KeyFile = "/etc/ssl/my key.pem" }, "key"},
		{"dot-dot", func(c *Config) { c.UsersFile = "/etc/../root/x" }, "users-file"},
		{"port", func(c *Config) { c.Ports.IMAPS = 70000 }, "imaps-port"},
		{"listen", func(c *Config) { c.Listen = "localhost" }, "listen"},
		{"dovecot 2.5", func(c *Config) { c.DovecotVersion = "2.5" }, "dovecot-version"},
		{"2.4 location options", func(c *Config) { c.DovecotVersion = "2.4"; c.MailLocation = "maildir:~/Maildir:LAYOUT=fs" }, "mail-location"},
		{"2.4 old variable", func(c *Config) { c.DovecotVersion = "2.4"; c.MailHome = "/var/mail/%Ld/%n" }, "mail-home"},
		{"no mail root", func(c *Config) { c.MailHome = "/%d" }, "mail-home"},
		{"not a key", func(c *Config) { c.DKIMKey = []byte("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n") }, "dkim-key"},
		{"old postfix", func(c *Config) { c.PostfixVersion = "3.3" }, "postfix-version"},
		{"bad version", func(c *Config) { c.OpenSSLVersion = "three" }, "openssl-version"},
		{"dmarc", func(c *Config) { c.DMARCPolicy = "maybe" }, "dmarc-policy"},
		{"dkim selector", func(c *Config) { c.DKIMSelector = "a b" }, "dkim-selector"},
		{"negative size", func(c *Config) { c.MaxMessageMB = -1 }, "max-message-mb"},
		{"huge size", func(c *Config) { c.MaxMessageMB = 5000 }, "max-message-mb"},
		{"postmaster", func(c *Config) { c.Postmaster = "admin, evil@example.com=x" }, "postmaster"},
		{"mta-sts", func(c *Config) { c.MTASTS = "on" }, "mta-sts"},
		{"report address", func(c *Config) { c.DMARCReports = "x\"; p=none" }, "dmarc-reports"},
		{"ipv4", func(c *Config) { c.IPv4 = "2001:db8::1" }, "ipv4"},
		{"quota", func(c *Config) { c.QuotaGB = -1 }, "quota"},
		{"mail user", func(c *Config) { c.MailUser = "root;x" }, "mail-user"},
		{"mail location", func(c *Config) { c.MailLocation = "maildir:~/Mail dir" }, "mail-location"},
	}
	for _, tc := range tests {
		c := &Config{Domain: "example.com"}
		tc.change(c)
		err := c.Normalize()
		if err == nil || !strings.HasPrefix(err.Error(), tc.field+": invalid value") {
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.field)
		}
	}
}

func TestInternationalDomain(t *testing.T) {
	c := &Config{Domain: "Bücher.example"}
	if err := c.Normalize(); err != nil {
		t.Fatal(err)
	}
	if c.Domain != "xn--bcher-kva.example" || c.Hostname != "mail.xn--bcher-kva.example" {
		t.Errorf("domain %q host %q", c.Domain, c.Hostname)
	}
}

// The zone's MTA-STS comment says what each mode does: in testing,
// senders only report (RFC 8461 §5); in enforce, they require TLS.
func TestMTASTSComment(t *testing.T) {
	for mode, want := range map[string]string{"testing": "senders report TLS failures (TLS-RPT) but still deliver", "enforce": "deliver only over TLS"} {
		c := goldenConfigs["intermediate-both"]()
		c.MTASTS = mode
		zone := string(renderAll(t, c)[ZoneFile(c.Domain)])
		if !strings.Contains(zone, want) {
			t.Errorf("%s: the zone lacks %q:\n%s", mode, want, zone)
		}
		if mode == "testing" && strings.Contains(zone, "require") {
			t.Errorf("testing mode says senders require TLS:\n%s", zone)
		}
	}
}

// What the zone publishes is what Postfix uses: an address family without
// an address record (hence no PTR, no SPF match) is not used to send.
func TestAddressFamiliesFollowTheZone(t *testing.T) {
	for _, c := range []struct{ v4, v6, want string }{
		{"192.0.2.1", "", "inet_protocols = ipv4"}, {"", "2001:db8::1", "inet_protocols = ipv6"},
		{"192.0.2.1", "2001:db8::1", "inet_protocols = all"}, {"", "", "inet_protocols = all"},
	} {
		cfg := goldenConfigs["intermediate-both"]()
		cfg.IPv4, cfg.IPv6 = c.v4, c.v6
		files := renderAll(t, cfg)
		if main := string(files[MainCfFile]); !strings.Contains(main, c.want+"\n") {
			t.Errorf("--ipv4 %q --ipv6 %q: main.cf lacks %s", c.v4, c.v6, c.want)
		}
		zone := string(files[ZoneFile(cfg.Domain)])
		if !strings.Contains(zone, "reverse DNS (PTR)") || (c.v4 != "" && !strings.Contains(zone, "PTR) of\n; "+c.v4)) {
			t.Errorf("--ipv4 %q: no PTR guidance for it:\n%s", c.v4, zone)
		}
		if MissingAddress(cfg) != (c.v4 == "" && c.v6 == "") {
			t.Errorf("--ipv4 %q --ipv6 %q: MissingAddress %v", c.v4, c.v6, MissingAddress(cfg))
		}
	}
}

// No DKIM record is published with a placeholder key (it would fail every
// verification), and DMARC stays at none by default while nothing signs.
func TestNoPlaceholderDKIMAndDMARCNone(t *testing.T) {
	c := &Config{Domain: "example.com"}
	if err := c.Normalize(); err != nil {
		t.Fatal(err)
	}
	zone := string(renderAll(t, c)[ZoneFile(c.Domain)])
	for _, line := range strings.Split(zone, "\n") {
		if strings.Contains(line, "_domainkey") && !strings.HasPrefix(line, ";") {
			t.Errorf("a DKIM record is published: %q", line)
		}
	}
	if !strings.Contains(zone, `_dmarc 3600 IN TXT "v=DMARC1; p=none"`) || !strings.Contains(zone, "raise it to quarantine once DKIM signs") {
		t.Errorf("the default DMARC policy is not none, said why:\n%s", zone)
	}
}

// Postfix's anvil limits one client address's connections and AUTH attempts.
func TestAnvilLimits(t *testing.T) {
	main := string(renderAll(t, goldenConfigs["intermediate-both"]())[MainCfFile])
	for _, want := range []string{"smtpd_client_connection_count_limit = 20\n", "smtpd_client_connection_rate_limit = 60\n", "smtpd_client_auth_rate_limit = 30\n"} {
		if !strings.Contains(main, want) {
			t.Errorf("main.cf lacks %q", want)
		}
	}
}

// The zone says how to publish DANE TLSA, as a comment: it needs DNSSEC.
func TestTLSAGuidance(t *testing.T) {
	c := goldenConfigs["intermediate-both"]()
	zone := string(renderAll(t, c)[ZoneFile(c.Domain)])
	if !strings.Contains(zone, "; _25._tcp."+c.Hostname+". 3600 IN TLSA 3 1 1 <that hash>") || !strings.Contains(zone, "only if this zone is signed with DNSSEC") {
		t.Errorf("no TLSA guidance:\n%s", zone)
	}
}

// The per-address limits follow the scenario, with the arithmetic in the
// files: 3 devices a person in one office are 15 IMAP connections of one
// user from one address (Dovecot's default 10 would refuse the last five),
// and 50 people behind one NAT are not braked by Postfix's anvil.
func TestLimitsFromScenario(t *testing.T) {
	for _, c := range []struct {
		devices         float64
		people          int
		userIP          string
		count, rate, au string
	}{
		{0, 0, "mail_max_userip_connections = 10\n", "20", "60", "30"},
		{3, 0, "mail_max_userip_connections = 15\n", "20", "60", "30"},
		{2.5, 50, "mail_max_userip_connections = 15\n", "150", "300", "300"},
		{1, 4, "mail_max_userip_connections = 10\n", "20", "60", "30"},
	} {
		for _, dovecot := range []string{"2.3", "2.4"} {
			cfg := &Config{Domain: "example.com", DovecotVersion: dovecot, DevicesPerUser: c.devices, PeoplePerAddress: c.people}
			var dc, mc strings.Builder
			if err := WriteDovecot(&dc, cfg); err != nil {
				t.Fatal(err)
			}
			if err := WritePostfixMain(&mc, cfg); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(dc.String(), c.userIP) {
				t.Errorf("devices %v, Dovecot %s: want %q in:\n%s", c.devices, dovecot, c.userIP, dc.String())
			}
			for _, line := range []string{"smtpd_client_connection_count_limit = " + c.count,
				"smtpd_client_connection_rate_limit = " + c.rate, "smtpd_client_auth_rate_limit = " + c.au} {
				if !strings.Contains(mc.String(), line+"\n") {
					t.Errorf("devices %v, people %d: want %q", c.devices, c.people, line)
				}
			}
		}
	}
	for _, bad := range []*Config{{Domain: "example.com", DevicesPerUser: -1}, {Domain: "example.com", DevicesPerUser: 21}, {Domain: "example.com", PeoplePerAddress: -3}} {
		if err := bad.Normalize(); err == nil {
			t.Errorf("%+v: accepted", bad)
		}
	}
}
