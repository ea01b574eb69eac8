package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// WriteText writes findings one per line, as compilers do
// (FILE:LINE: severity rule: message), each with its fix indented below.
// Text from the file is quoted by the messages; control characters are
// escaped so that a file cannot drive the terminal.
func WriteText(w io.Writer, findings []Finding) error {
	for _, f := range findings {
		where := f.File
		if f.Line > 0 {
			where += ":" + strconv.Itoa(f.Line)
		}
		var err error
		switch f.Change {
		case "fixed":
			_, err = fmt.Fprintf(w, "%s: fixed %s %s: %s\n", textcheck.Visible(where), f.Severity, f.Rule, textcheck.Visible(f.Message))
		case "new":
			_, err = fmt.Fprintf(w, "%s: %s %s (new): %s\n    fix: %s\n", textcheck.Visible(where), f.Severity, f.Rule, textcheck.Visible(f.Message), f.Fix)
		default:
			_, err = fmt.Fprintf(w, "%s: %s %s: %s\n    fix: %s\n", textcheck.Visible(where), f.Severity, f.Rule, textcheck.Visible(f.Message), f.Fix)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes findings as a JSON array (never null).
func WriteJSON(w io.Writer, findings []Finding) error {
	if findings == nil {
		findings = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(findings)
}

// WriteRules lists the rules for people: id, kind, severity, summary, why
// and fix.
func WriteRules(w io.Writer) error {
	for _, r := range Rules() {
		if _, err := fmt.Fprintf(w, "%s (%s, %s)\n    %s.\n    why: %s\n    fix: %s\n", r.ID, r.Kind, r.Severity, r.Summary, r.Why, r.Fix); err != nil {
			return err
		}
	}
	return nil
}
