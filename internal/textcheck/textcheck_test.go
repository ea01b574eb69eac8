package textcheck

import (
	"strings"
	"testing"

	"golang.org/x/net/idna"
)

// The ASCII fast path gives what IDNA gives.
func TestHostnameMatchesIDNA(t *testing.T) {
	for _, name := range []string{"Mail.Example.COM", "a-b.example", "xn--bcher-kva.example", "mail.bücher.example", "EXAMPLE.ORG."} {
		got, err := Hostname("h", name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, _ := idna.Lookup.ToASCII(strings.TrimSuffix(name, "."))
		if got != strings.ToLower(want) {
			t.Errorf("Hostname(%q) = %q, IDNA says %q", name, got, want)
		}
	}
	for _, bad := range []string{"", "localhost", "1.2.3.4", "example.123", "-a.example", "a-.example.com", "a_b.example",
		"mail example.com", "a..b", "x\n.example", "mail.example.com/x", "1.2.3.4:5", strings.Repeat("a", 64) + ".example"} {
		if _, err := Hostname("h", bad); err == nil {
			t.Errorf("Hostname(%q) accepted", bad)
		} else if !strings.HasPrefix(err.Error(), "h: invalid value") {
			t.Errorf("Hostname(%q) error %q does not name the field", bad, err)
		}
	}
}

func TestText(t *testing.T) {
	if err := Text("f", "Müller & Söhne <IT>", 60); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"a\nb", "a\rb", "a\x00b", "a\u2028b", "\xff", strings.Repeat("x", 61)} {
		if err := Text("f", bad, 60); err == nil {
			t.Errorf("Text(%q) accepted", bad)
		}
	}
}

func TestVisible(t *testing.T) {
	for in, want := range map[string]string{
		"plain 2\u00a0000\u00a0€": "plain 2\u00a0000\u00a0€",
		"a\x1b[31mb":              `a\x1b[31mb`,
		"evil\u202etxt":           `evil\u202etxt`,
		"bad\xffbyte":             `bad\xffbyte`,
	} {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrefix(t *testing.T) {
	for in, want := range map[string]string{"10.1.2.3/8": "10.0.0.0/8", "192.0.2.7": "192.0.2.7/32", "::ffff:192.0.2.7": "192.0.2.7/32",
		"2001:db8::1": "2001:db8::1/128", "fe80::1%eth0": "fe80::1/128"} {
		if p, err := Prefix("f", in); err != nil || p.String() != want {
			t.Errorf("Prefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "example.com", "10.0.0"} {
		if _, err := Prefix("fail2ban-ignore", bad); err == nil || !strings.Contains(err.Error(), "fail2ban-ignore") {
			t.Errorf("Prefix(%q): %v, want an error naming the field", bad, err)
		}
	}
}
