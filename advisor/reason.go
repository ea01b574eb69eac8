package advisor

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/lazyregexp"
)

// reasonTemplate is a rule's reason text with {expression} placeholders
// compiled once; rendering fills in the values that triggered the rule.
// A placeholder may end in a format: {x:0} prints x with no decimals
// ({x:2}, two at most, is the default), {x:%} prints x as a percentage.
type reasonTemplate struct {
	literals []string      // len(literals) == len(values)+1
	values   []placeholder // one per {...}
	size     int           // bytes of literal text, to size the result
}

type placeholder struct {
	value    *program
	decimals int  // at most this many decimals
	percent  bool // print value*100
}

// placeholderFormat matches the format suffix of a placeholder.
var placeholderFormat = lazyregexp.New(`[^\s:]:([0-6]|%)$`)

// parseReason compiles text's placeholders; compiled, when not nil,
// holds programs already compiled for the same rule, by expression (a
// translation mostly repeats the English reason's placeholders).
func parseReason(text string, compiled map[string]*program) (reasonTemplate, error) {
	var t reasonTemplate
	rest := text
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			if strings.IndexByte(rest, '}') >= 0 {
				return t, errors.New("'}' without '{'")
			}
			t.literals = append(t.literals, rest)
			for _, l := range t.literals {
				t.size += len(l)
			}
			return t, nil
		}
		closing := strings.IndexByte(rest[open:], '}')
		if closing < 0 {
			return t, errors.New("'{' without '}'")
		}
		code := rest[open+1 : open+closing]
		ph, err := parsePlaceholder(code, compiled)
		if err != nil {
			return t, fmt.Errorf("placeholder {%s}: %w", code, err)
		}
		t.literals = append(t.literals, rest[:open])
		t.values = append(t.values, ph)
		rest = rest[open+closing+1:]
	}
}

func parsePlaceholder(code string, compiled map[string]*program) (placeholder, error) {
	ph := placeholder{decimals: 2}
	if m := placeholderFormat().FindStringSubmatch(code); m != nil {
		code = code[:len(code)-len(m[1])-1]
		if m[1] == "%" {
			ph.percent, ph.decimals = true, 0
		} else {
			ph.decimals = int(m[1][0] - '0')
		}
	}
	if p, ok := compiled[code]; ok {
		ph.value = p
		return ph, nil
	}
	var err error
	ph.value, err = compileExpr(code, anyResult)
	if err == nil && compiled != nil {
		compiled[code] = ph.value
	}
	return ph, err
}

func (t reasonTemplate) render(ev *evaluator) (string, error) {
	return t.renderComma(ev, false)
}

// renderComma renders the reason, with a decimal comma when comma is set
// (French writes 4,4).
func (t reasonTemplate) renderComma(ev *evaluator, comma bool) (string, error) {
	if len(t.values) == 0 {
		return t.literals[0], nil
	}
	// On the stack when it fits (nearly every reason): the string is then
	// the only allocation.
	var stack [512]byte
	b := stack[:0]
	if need := t.size + 16*len(t.values); need > len(stack) {
		b = make([]byte, 0, need)
	}
	b, err := t.appendTo(b, ev, comma)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// appendTo appends the reason to b.
func (t reasonTemplate) appendTo(b []byte, ev *evaluator, comma bool) ([]byte, error) {
	for i, ph := range t.values {
		b = append(b, t.literals[i]...)
		var err error
		if b, err = ph.appendTo(b, ev, comma); err != nil {
			return b, err
		}
	}
	return append(b, t.literals[len(t.literals)-1]...), nil
}

// appendTo appends the placeholder's value in the scenario ev holds.
func (ph placeholder) appendTo(b []byte, ev *evaluator, comma bool) ([]byte, error) {
	p := ph.value
	switch {
	case p.number != nil:
		return ph.appendNumber(b, p.number(&ev.facts), comma), nil
	case p.text != nil:
		return append(b, p.text(&ev.facts)...), nil
	case p.flag != nil:
		return strconv.AppendBool(b, p.flag(&ev.facts)), nil
	}
	out, err := ev.runVM(p)
	if err != nil {
		return b, err
	}
	if f, ok := out.(float64); ok {
		return ph.appendNumber(b, f, comma), nil
	}
	return append(b, formatValue(out)...), nil
}

func (ph placeholder) appendNumber(b []byte, f float64, comma bool) []byte {
	if ph.percent {
		f *= 100
	}
	var stack [32]byte
	n := appendNumber(stack[:0], f, ph.decimals)
	if !comma {
		return appendGroupedNumber(b, n, ",", '.')
	}
	return appendFrench(b, n)
}

// appendGroupedNumber appends the number n (as appendNumber writes it)
// with its thousands grouped by sep and its decimal point written as
// point: 5,260 in English, as the tables write it.
func appendGroupedNumber(b, n []byte, sep string, point byte) []byte {
	if len(n) > 0 && n[0] == '-' {
		b, n = append(b, '-'), n[1:]
	}
	whole, frac := n, []byte(nil)
	if i := bytes.IndexByte(n, '.'); i >= 0 {
		whole, frac = n[:i], n[i+1:]
	}
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b = append(b, sep...)
		}
		b = append(b, d)
	}
	if frac != nil {
		b = append(append(b, point), frac...)
	}
	return b
}

// appendFrench appends the number n (as appendNumber writes it) the
// French way: a decimal comma, and thousands grouped by no-break spaces
// (2 640,5).
func appendFrench(b, n []byte) []byte { return appendGroupedNumber(b, n, "\u00a0", ',') }

// appendNumber appends f with at most the given decimals, without
// trailing zeros.
func appendNumber(dst []byte, f float64, decimals int) []byte {
	scale := math.Pow10(decimals)
	r := math.Round(f * scale)
	// Fast path: a value of at most 15 significant digits prints as its
	// digits (no shorter decimal maps to the same float64), so the
	// integer r with a point put back is what AppendFloat would write,
	// without its general algorithm (a fifth of scoring's time).
	if decimals < 0 || decimals > 6 || !(math.Abs(r) < 1e15) {
		return strconv.AppendFloat(dst, r/scale, 'f', -1, 64)
	}
	n := int64(r)
	if n < 0 || n == 0 && math.Signbit(r) {
		dst, n = append(dst, '-'), -n
	}
	var buf [24]byte
	digits := strconv.AppendInt(buf[:0], n, 10)
	for len(digits) <= decimals { // 5 at 2 decimals: 0.05
		digits = append(digits[:1], digits...)
		digits[0] = '0'
	}
	whole, frac := digits[:len(digits)-decimals], bytes.TrimRight(digits[len(digits)-decimals:], "0")
	dst = append(dst, whole...)
	if len(frac) > 0 {
		dst = append(append(dst, '.'), frac...)
	}
	return dst
}

// formatValue prints numbers without float noise (at most 2 decimals).
func formatValue(v any) string {
	switch n := v.(type) {
	case string:
		return n
	case float64:
		return string(appendNumber(nil, n, 2))
	case int:
		return strconv.Itoa(n)
	default:
		return fmt.Sprint(v)
	}
}
