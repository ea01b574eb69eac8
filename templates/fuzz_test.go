package templates

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// FuzzConfig: any values either fail validation or give files in which
// no value added a line or a directive.
func FuzzConfig(f *testing.F) {
	f.Add("example.com", "mail.example.com", "/etc/ssl/cert.pem", "127.0.0.1", "reports@example.com", "mail")
	f.Add("example.com", "mail.example.com\nssl = no", "/x}", "::1", "a\"b@c.de", "s 1")
	f.Fuzz(func(t *testing.T, domain, host, cert, listen, reports, selector string) {
		c := &Config{Domain: domain, Hostname: host, CertFile: cert, Listen: listen, DMARCReports: reports, DKIMSelector: selector,
			Protocols: []string{IMAP, POP3}}
		if c.Normalize() != nil {
			return
		}
		for _, v := range []string{c.Domain, c.Hostname, c.CertFile, c.Listen, c.DMARCReports, c.DKIMSelector} {
			if strings.ContainsAny(v, "\n\r{}\"#; \t") {
				t.Fatalf("value %q passed validation", v)
			}
		}
		base := &Config{Domain: "example.com", Hostname: "mail.example.com", CertFile: "/etc/ssl/cert.pem", Protocols: []string{IMAP, POP3}}
		for name, write := range map[string]func(*bytes.Buffer, *Config) error{
			"dovecot": func(b *bytes.Buffer, c *Config) error { return WriteDovecot(b, c) },
			"main":    func(b *bytes.Buffer, c *Config) error { return WritePostfixMain(b, c) },
			"master":  func(b *bytes.Buffer, c *Config) error { return WritePostfixMaster(b, c) },
			"dns":     func(b *bytes.Buffer, c *Config) error { return WriteDNS(b, c, nil) },
		} {
			var got, want bytes.Buffer
			if err := write(&got, c); err != nil {
				t.Fatal(err)
			}
			b := *base
			b.Listen, b.DMARCReports = c.Listen, c.DMARCReports
			if err := write(&want, &b); err != nil {
				t.Fatal(err)
			}
			if name == "dns" {
				checkZoneLines(t, got.String())
				continue
			}
			if strings.Count(got.String(), "\n") != strings.Count(want.String(), "\n") {
				t.Fatalf("%s: values changed the number of lines:\n%s", name, got.String())
			}
			if name == "dovecot" && strings.Count(got.String(), "{") != strings.Count(got.String(), "}") {
				t.Fatalf("unbalanced braces:\n%s", got.String())
			}
		}
	})
}

// record is a zone line mailadvisor writes: owner, TTL, class, type, data.
var record = regexp.MustCompile(`^[A-Za-z0-9._@-]+ 3600 IN (MX|A|AAAA|TXT|SRV|CNAME) [^"]*("[^"]*")?$`)

func checkZoneLines(t *testing.T, zone string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSuffix(zone, "\n"), "\n") {
		if strings.HasPrefix(line, ";") || strings.HasPrefix(line, "$ORIGIN ") {
			continue
		}
		if !record.MatchString(line) {
			t.Fatalf("unexpected zone line %q in:\n%s", line, zone)
		}
	}
}

// configFields sets each string field of a Config by index, so that a
// fuzz target reaches every value that can reach a file.
var configFields = []func(c *Config, v string){
	func(c *Config, v string) { c.Domain = v }, func(c *Config, v string) { c.Hostname = v },
	func(c *Config, v string) { c.Protocols = strings.Split(v, ",") }, func(c *Config, v string) { c.TLSProfile = v },
	func(c *Config, v string) { c.CertFile = v }, func(c *Config, v string) { c.KeyFile = v },
	func(c *Config, v string) { c.Listen = v }, func(c *Config, v string) { c.MailLocation = v },
	func(c *Config, v string) { c.MailHome = v }, func(c *Config, v string) { c.MailUser = v },
	func(c *Config, v string) { c.MailGroup = v }, func(c *Config, v string) { c.UsersFile = v },
	func(c *Config, v string) { c.DovecotVersion = v }, func(c *Config, v string) { c.PostfixVersion = v },
	func(c *Config, v string) { c.OpenSSLVersion = v }, func(c *Config, v string) { c.DMARCPolicy = v },
	func(c *Config, v string) { c.DMARCReports = v }, func(c *Config, v string) { c.DKIMSelector = v },
	func(c *Config, v string) { c.MTASTS = v }, func(c *Config, v string) { c.TLSRPTReports = v },
	func(c *Config, v string) { c.IPv4 = v }, func(c *Config, v string) { c.IPv6 = v },
	func(c *Config, v string) { c.DovecotBaseDir = v }, func(c *Config, v string) { c.DovecotStateDir = v },
	func(c *Config, v string) { c.DovecotLog = v }, func(c *Config, v string) { c.PostfixQueueDir = v },
	func(c *Config, v string) { c.PostfixDataDir = v }, func(c *Config, v string) { c.PostfixMaillog = v },
}

// directives are the setting names a file uses: the first word of every
// line that is not a comment, a blank or a continuation.
func directives(file string) map[string]bool {
	set := map[string]bool{}
	for _, line := range strings.Split(file, "\n") {
		if line == "" || line[0] == '#' || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		word := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '=' })[0]
		if i := strings.LastIndexByte(word, ':'); i >= 0 {
			word = word[i+1:] // master.cf: the service, without the listening address
		}
		set[word] = true
	}
	return set
}

// FuzzConfigField: whatever value any field gets, either Normalize refuses
// it or the files use only directives that valid configurations use, with
// balanced braces: no value can add a setting (passdb, always_bcc...).
func FuzzConfigField(f *testing.F) {
	for i := range configFields {
		f.Add(uint8(i), "x\nalways_bcc = spy@evil.example")
	}
	f.Add(uint8(12), "2.3.0\npassdb {\n  driver = static\n}\n#")
	f.Add(uint8(14), "3.5")
	full := func() *Config {
		return &Config{Domain: "example.com", Protocols: []string{IMAP, POP3}, AllowSTARTTLS: true, QuotaGB: 2,
			LeaveOnServerDays: 7, MTASTS: "enforce", TLSRPTReports: "tls@example.com", DMARCReports: "d@example.com",
			IPv4: "192.0.2.1", IPv6: "2001:db8::1", Listen: "127.0.0.1", OpenSSLVersion: "3.5", PostfixVersion: "3.9",
			DovecotLog: "/var/log/dovecot.log", PostfixMaillog: "/var/log/postfix.log", DovecotBaseDir: "/run/d",
			DovecotStateDir: "/var/lib/d", PostfixDataDir: "/var/lib/p", PostfixQueueDir: "/var/spool/pf"}
	}
	known := map[string]map[string]bool{}
	maxLines := map[string]int{} // a full configuration's: a value may drop a line, never add one
	for _, c := range []*Config{{Domain: "example.com"}, full()} {
		if err := c.Normalize(); err != nil {
			f.Fatal(err)
		}
		for name, data := range renderFiles(f, c) {
			if known[name] == nil {
				known[name] = map[string]bool{}
			}
			for d := range directives(data) {
				known[name][d] = true
			}
			maxLines[name] = max(maxLines[name], strings.Count(data, "\n"))
		}
	}
	f.Fuzz(func(t *testing.T, field uint8, value string) {
		c := full()
		configFields[int(field)%len(configFields)](c, value)
		if c.Normalize() != nil {
			return
		}
		for name, data := range renderFiles(t, c) {
			if name == "zone" {
				checkZoneLines(t, data)
				continue
			}
			for d := range directives(data) {
				if !known[name][d] {
					t.Fatalf("%s: value %q of field %d added the directive %q:\n%s", name, value, field, d, data)
				}
			}
			if n := strings.Count(data, "\n"); n > maxLines[name] {
				t.Fatalf("%s: value %q of field %d added lines (%d, at most %d):\n%s", name, value, field, n, maxLines[name], data)
			}
			if name == "dovecot" && strings.Count(data, "{") != strings.Count(data, "}") {
				t.Fatalf("unbalanced braces:\n%s", data)
			}
		}
	})
}

func renderFiles(t testing.TB, c *Config) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, write := range map[string]func(*bytes.Buffer, *Config) error{
		"dovecot": func(b *bytes.Buffer, c *Config) error { return WriteDovecot(b, c) },
		"main":    func(b *bytes.Buffer, c *Config) error { return WritePostfixMain(b, c) },
		"master":  func(b *bytes.Buffer, c *Config) error { return WritePostfixMaster(b, c) },
		"zone":    func(b *bytes.Buffer, c *Config) error { return WriteDNS(b, c, nil) },
	} {
		var b bytes.Buffer
		if err := write(&b, c); err != nil {
			t.Fatal(err)
		}
		out[name] = b.String()
	}
	return out
}
