// Package textcheck validates the values that reach generated files (host
// names, domains, free text) so that none can add a line, an element or a
// directive, and converts international domain names to punycode.
package textcheck

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/mailadvisor/mailadvisor/internal/lazyregexp"
)

// FieldError says that an input field holds a value it does not accept.
type FieldError struct {
	Field   string
	Value   string
	Allowed string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: invalid value %s: want %s", e.Field, Quote(e.Value), e.Allowed)
}

// MaxQuoted is how many characters of a value a message shows.
const MaxQuoted = 80

// Quote returns s as a Go-quoted string for a message: control, format
// (bidi, zero-width) and invalid bytes escaped, and a value longer than
// MaxQuoted characters cut, with its full length said.
// QuoteKey quotes an unknown key for an error message: up to the first
// character no key has (a line such as PASSWORD=secret: 1 read as a key
// must not be echoed whole), and at most 40 characters.
func QuoteKey(s string) string {
	cut := len(s)
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') || i >= 40 {
			cut = i
			break
		}
	}
	if cut < len(s) {
		return strconv.Quote(s[:cut]) + "... (a key of " + strconv.Itoa(len(s)) + " bytes, cut)"
	}
	return strconv.Quote(s)
}

func Quote(s string) string {
	if n := utf8.RuneCountInString(s); n > MaxQuoted {
		cut := s
		for i := range s {
			if utf8.RuneCountInString(s[:i]) == MaxQuoted {
				cut = s[:i]
				break
			}
		}
		return strconv.QuoteToASCII(cut) + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return quoteVisible(s)
}

// quoteVisible quotes s, escaping what a terminal would not show as
// written: control and format characters, invalid UTF-8.
func quoteVisible(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || unicode.Is(unicode.Cf, r) {
			return strconv.QuoteToASCII(s)
		}
	}
	return strconv.Quote(s)
}

// Hostname validates a host or domain name (RFC 1123, with at least two
// labels and a top-level label that is not all digits; internationalised
// names allowed) and returns it in lower-case
// ASCII (punycode), without a trailing dot.
func Hostname(field, name string) (string, error) {
	bad := &FieldError{Field: field, Value: name, Allowed: "a host name such as mail.example.com (letters, digits, hyphens; international names allowed)"}
	if err := Text(field, name, 253); err != nil {
		return "", err
	}
	name = strings.TrimSuffix(name, ".")
	ascii := strings.ToLower(name)
	if !isASCII(ascii) || strings.Contains(ascii, "xn--") { // only international names need IDNA
		var err error
		if ascii, err = idna.Lookup.ToASCII(name); err != nil {
			return "", bad
		}
	}
	if ascii == "" || len(ascii) > 253 || !strings.Contains(ascii, ".") {
		return "", bad
	}
	labels := strings.Split(ascii, ".")
	for _, label := range labels {
		if !ValidLabel(label) {
			return "", bad
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", bad // an all-numeric top-level label: an IP address, not a name
	}
	return strings.ToLower(ascii), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// ValidLabel checks one DNS label: 1 to 63 ASCII letters, digits or
// hyphens, not starting or ending with a hyphen (RFC 1123).
func ValidLabel(label string) bool {
	if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
		return false
	}
	for _, c := range label {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Text rejects invalid UTF-8, control characters and line breaks (which
// XML cannot carry and which could add a line to a text format) and text
// longer than maxLen characters.
func Text(field, s string, maxLen int) error {
	if !utf8.ValidString(s) {
		return &FieldError{Field: field, Value: s, Allowed: "valid UTF-8 text"}
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF || r == '\u2028' || r == '\u2029' {
			return &FieldError{Field: field, Value: s, Allowed: "text without control characters or line breaks"}
		}
		if unicode.Is(unicode.Cf, r) {
			return &FieldError{Field: field, Value: s,
				Allowed: "text without invisible format characters (bidi overrides, zero-width spaces), which can disguise it"}
		}
	}
	if utf8.RuneCountInString(s) > maxLen {
		return &FieldError{Field: field, Value: s, Allowed: fmt.Sprintf("at most %d characters", maxLen)}
	}
	return nil
}

// decimal is the one number syntax every input accepts: optional sign,
// digits with an optional fraction, an optional exponent. Go's extras
// (0x1p3, 1_000, Inf, NaN) are refused, so that every input reads numbers
// alike.
var decimal = lazyregexp.New(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// ParseNumber parses a decimal number; -0 becomes 0. It reports false for
// anything else, including values too large for a float64.
func ParseNumber(s string) (float64, bool) {
	if !decimal().MatchString(s) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, false
	}
	if v == 0 {
		v = 0 // no negative zero
	}
	return v, true
}

// Visible returns s with control and format characters, and invalid
// UTF-8, written as Go escapes (\x1b, \u202e); other text is unchanged.
// Text from files and flags goes through it before it reaches a
// terminal, which would act on an escape sequence or hide a bidi
// override instead of showing it.
func Visible(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Prefix reads an address or a CIDR prefix (a flag such as --trusted-proxy
// or --fail2ban-ignore): a prefix comes back masked, an address as its own
// one-address prefix, IPv4-mapped IPv6 as IPv4.
func Prefix(field, v string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, &FieldError{Field: field, Value: v, Allowed: "an address or a CIDR prefix, such as 10.0.0.0/8 or fd00::/8"}
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
