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
