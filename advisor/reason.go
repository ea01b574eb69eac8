package advisor

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// reasonTemplate is a rule's reason text with {expression} placeholders
// compiled once; rendering fills in the values that triggered the rule.
type reasonTemplate struct {
	literals []string   // len(literals) == len(values)+1
	values   []*program // one per placeholder
}

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
			return t, nil
		}
		closing := strings.IndexByte(rest[open:], '}')
		if closing < 0 {
			return t, errors.New("'{' without '}'")
		}
		code := rest[open+1 : open+closing]
		p, err := compileExpr(code, anyResult)
		if err != nil {
			return t, fmt.Errorf("placeholder {%s}: %w", code, err)
		}
		t.literals = append(t.literals, rest[:open])
		t.values = append(t.values, p)
		rest = rest[open+closing+1:]
	}
}

func (t reasonTemplate) render(ev *evaluator) (string, error) {
	if len(t.values) == 0 {
		return t.literals[0], nil
	}
	var b strings.Builder
	for i, p := range t.values {
		b.WriteString(t.literals[i])
		out, err := ev.run(p)
		if err != nil {
			return "", err
		}
		b.WriteString(formatValue(out))
	}
	b.WriteString(t.literals[len(t.literals)-1])
	return b.String(), nil
}

// formatValue prints numbers without float noise (at most 2 decimals).
func formatValue(v any) string {
	switch n := v.(type) {
	case float64:
		return strconv.FormatFloat(math.Round(n*100)/100, 'f', -1, 64)
	case int:
		return strconv.Itoa(n)
	default:
		return fmt.Sprint(v)
	}
}
