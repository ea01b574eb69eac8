// Package jxon says what Thunderbird desktop makes of an XML element's
// text. Its account set-up reads autoconfig and autodiscover files through
// JXON (mail/components/accountcreation/modules/JXON.sys.mjs), which turns
// text that looks like a boolean or a number into one:
//
//	if (/^\s*$/.test(v)) return null;
//	if (/^(?:true|false)$/i.test(v)) return v.toLowerCase() === "true";
//	if (isFinite(v)) return parseFloat(v);
//	return v;
//
// and the Sanitizer then makes a string of it again (String(value)). So a
// literal login 0042 becomes "42", 1e3 "1000", 0x10 "0" and TRUE "true",
// while NaN and Infinity stay as they are. The JavaScript number rules
// (ToNumber, parseFloat, Number::toString) are implemented here exactly;
// a test holds them to Node.js.
package jxon

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Text returns what Thunderbird desktop reads for an element whose text
// is s, and whether that differs from s. Blank text reads as null.
func Text(s string) (string, bool) {
	if strings.TrimFunc(s, isJSSpace) == "" { // /^\s*$/: \s is the set Number() trims
		return "null", s != "null"
	}
	if strings.EqualFold(s, "true") || strings.EqualFold(s, "false") {
		l := strings.ToLower(s)
		return l, l != s
	}
	if n := toNumber(s); !math.IsInf(n, 0) && !math.IsNaN(n) {
		out := numberToString(parseFloat(s))
		return out, out != s
	}
	return s, false
}

// isJSSpace is JavaScript's WhiteSpace and LineTerminator, which Number()
// trims.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// toNumber is JavaScript's ToNumber applied to a string (Number(s)).
func toNumber(s string) float64 {
	t := strings.TrimFunc(s, isJSSpace)
	if t == "" {
		return 0
	}
	switch t {
	case "Infinity", "+Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	if len(t) > 2 && t[0] == '0' {
		base := 0
		switch t[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			v := 0.0
			for _, c := range t[2:] {
				d := digitValue(c)
				if d < 0 || d >= base {
					return math.NaN()
				}
				v = v*float64(base) + float64(d)
			}
			return v
		}
	}
	if n := decimalPrefix(t); n == len(t) && n > 0 {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil && !isRange(err) {
			return math.NaN()
		}
		return v
	}
	return math.NaN()
}

func isRange(err error) bool { return errors.Is(err, strconv.ErrRange) }

func digitValue(c rune) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// decimalPrefix is the length of the longest prefix of t that is a
// StrDecimalLiteral without Infinity: [+-] (digits [. digits] | . digits)
// [e [+-] digits]; 0 when there is none.
func decimalPrefix(t string) int {
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	digits := func() int {
		j := i
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
		}
		return i - j
	}
	whole := digits()
	frac := 0
	if i < len(t) && t[i] == '.' {
		i++
		frac = digits()
		if whole == 0 && frac == 0 {
			return 0
		}
	} else if whole == 0 {
		return 0
	}
	end := i
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		if digits() > 0 {
			end = i
		}
	}
	return end
}

// parseFloat is JavaScript's parseFloat: the longest decimal prefix after
// leading white space (or Infinity), NaN when there is none.
func parseFloat(s string) float64 {
	t := strings.TrimLeftFunc(s, isJSSpace)
	for _, inf := range []struct {
		p string
		v float64
	}{{"Infinity", math.Inf(1)}, {"+Infinity", math.Inf(1)}, {"-Infinity", math.Inf(-1)}} {
		if strings.HasPrefix(t, inf.p) {
			return inf.v
		}
	}
	n := decimalPrefix(t)
	if n == 0 {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(t[:n], 64)
	if err != nil && !isRange(err) {
		return math.NaN()
	}
	return v
}

// numberToString is JavaScript's Number::toString(10): the shortest
// digits that read back as v, in decimal notation from 1e-7 to 1e21 and
// exponent notation outside.
func numberToString(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		return "0" // -0 too
	}
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	e := strconv.FormatFloat(v, 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k, n := len(digits), x+1
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits
	}
	out := digits[:1]
	if k > 1 {
		out += "." + digits[1:]
	}
	if n-1 >= 0 {
		return sign + out + "e+" + strconv.Itoa(n-1)
	}
	return sign + out + "e-" + strconv.Itoa(1-n)
}
