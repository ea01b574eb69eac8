package advisor

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
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
var placeholderFormat = regexp.MustCompile(`[^\s:]:([0-6]|%)$`)

func parseReason(text string) (reasonTemplate, error) {
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
		ph, err := parsePlaceholder(code)
		if err != nil {
			return t, fmt.Errorf("placeholder {%s}: %w", code, err)
		}
		t.literals = append(t.literals, rest[:open])
		t.values = append(t.values, ph)
		rest = rest[open+closing+1:]
	}
}

func parsePlaceholder(code string) (placeholder, error) {
	ph := placeholder{decimals: 2}
	if m := placeholderFormat.FindStringSubmatch(code); m != nil {
		code = code[:len(code)-len(m[1])-1]
		if m[1] == "%" {
			ph.percent, ph.decimals = true, 0
		} else {
			ph.decimals = int(m[1][0] - '0')
		}
	}
	var err error
	ph.value, err = compileExpr(code, anyResult)
	return ph, err
}

func (t reasonTemplate) render(ev *evaluator) (string, error) {
	if len(t.values) == 0 {
		return t.literals[0], nil
	}
	var b strings.Builder
	b.Grow(t.size + 16*len(t.values))
	for i, ph := range t.values {
		b.WriteString(t.literals[i])
		out, err := ev.run(ph.value)
		if err != nil {
			return "", err
		}
		if f, ok := out.(float64); ok {
			if ph.percent {
				f *= 100
			}
			var digits [32]byte
			b.Write(appendNumber(digits[:0], f, ph.decimals))
		} else if text, ok := out.(string); ok {
			b.WriteString(text)
		} else {
			b.WriteString(formatValue(out))
		}
	}
	b.WriteString(t.literals[len(t.literals)-1])
	return b.String(), nil
}

// appendNumber appends f with at most the given decimals, without
// trailing zeros.
func appendNumber(dst []byte, f float64, decimals int) []byte {
	scale := math.Pow10(decimals)
	return strconv.AppendFloat(dst, math.Round(f*scale)/scale, 'f', -1, 64)
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
