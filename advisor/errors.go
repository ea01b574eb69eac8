package advisor

import (
	"fmt"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// FieldError says that one input field holds a value it does not accept.
type FieldError struct {
	Field   string // snake_case field name
	Value   string // the value as given
	Allowed string // what the field accepts, in words
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: invalid value %s: want %s", e.Field, textcheck.Quote(e.Value), e.Allowed)
}

// ValidationError lists every invalid field of a scenario.
type ValidationError struct {
	Problems []*FieldError
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return "invalid scenario: " + strings.Join(msgs, "; ")
}

// DecodeError says that a scenario or rules document could not be read: bad
// syntax, an unknown key or a value of the wrong type. It names the source
// and, when known, the line.
type DecodeError struct {
	Source string
	Err    error
}

func (e *DecodeError) Error() string { return fmt.Sprintf("%s: %v", e.Source, e.Err) }

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// RuleError says that a rule could not be loaded: a missing field, a bad
// value or an expression that does not compile.
type RuleError struct {
	Source string // file name or "built-in rules"
	RuleID string // rule id, or "#N" when the rule has no id
	Err    error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("%s: rule %s: %v", e.Source, e.RuleID, e.Err)
}

// Unwrap returns the underlying error.
func (e *RuleError) Unwrap() error { return e.Err }
