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
