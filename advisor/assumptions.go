package advisor

// Where a scenario field's value came from.
const (
	SourceDefault = "default"         // the built-in default scenario
	SourcePreset  = "preset"          // the preset named
	SourceFile    = "file"            // the scenario file (or a batch row)
	SourceEnv     = "env"             // a MAILADVISOR_* environment variable
	SourceFlag    = "flag"            // the command line
	SourceDerived = "derived-default" // not given: fitted to the scenario's size (see FitDefaults)
)

// Provenance maps a field name to where its value came from; a field it
// does not name has the built-in default.
type Provenance map[string]string

// Given reports whether someone gave the field (a preset, a file, the
// environment or a flag), as opposed to a default.
func (p Provenance) Given(field string) bool {
	src := p[field]
	return src != "" && src != SourceDefault && src != SourceDerived
}

// Assumption is one input of the advice: its value, where it came from,
// and for a derived default, why.
type Assumption struct {
	Field  string `json:"field" yaml:"field"`
	Value  string `json:"value" yaml:"value"` // "" when an optional input is unset
	Source string `json:"source" yaml:"source"`
	Reason string `json:"reason,omitempty" yaml:"reason,omitempty"`
}

// smallTeam is the largest number of people for which team defaults
// (shared mailboxes, a central backup) are not assumed.
const smallTeam = 3

// FitDefaults fits the fields nobody gave to the scenario's size, since the
// built-in defaults describe the article's 50-person company: 1 to 3
// people do not share team mailboxes or run a central backup, and one
// person reads a provider's mailbox rather than running a server. It
// changes s, records the changes in p, and returns every field with its
// value and source (the advice's assumptions[]).
func FitDefaults(s *Scenario, p Provenance) []Assumption {
	reasons := map[string]string{}
	fitToSize(s, p.Given, func(field, reason string) { p[field], reasons[field] = SourceDerived, reason })
	out := make([]Assumption, 0, len(fields))
	for _, f := range fields {
		src := p[f.Name]
		if src == "" {
			src = SourceDefault
		}
		out = append(out, Assumption{Field: f.Name, Value: f.Value(s), Source: src, Reason: reasons[f.Name]})
	}
	return out
}

// sizeFitted are the fields FitDefaults may derive from the size.
var sizeFitted = []string{"shared_mailboxes", "central_backup", "hosting"}

// refitter returns, for a run whose defaults were fitted (assumptions
// from FitDefaults), what a run with another number of users would do
// to them: each size-fitted field nobody gave goes back to the built-in
// default, then is fitted again. nil when nothing was fitted.
func refitter(assumed []Assumption) func(*Scenario) {
	if len(assumed) == 0 {
		return nil
	}
	given := map[string]bool{}
	for _, a := range assumed {
		given[a.Field] = a.Source != SourceDefault && a.Source != SourceDerived && a.Source != ""
	}
	base := DefaultScenario()
	return func(s *Scenario) {
		for _, name := range sizeFitted {
			if !given[name] {
				f, _ := FieldByName(name)
				_ = f.Set(s, f.Value(&base))
			}
		}
		fitToSize(s, func(field string) bool { return given[field] }, func(string, string) {})
	}
}

// fitToSize derives the fields given says nobody gave from s's size,
// telling derived about each one it changes.
func fitToSize(s *Scenario, given func(field string) bool, derived func(field, reason string)) {
	derive := func(field, value, reason string) {
		if given(field) {
			return
		}
		f, _ := FieldByName(field)
		if f.Value(s) == value {
			return
		}
		_ = f.Set(s, value)
		derived(field, reason)
	}
	if s.Users <= smallTeam {
		shared, backup := "1 to 3 people rarely share team mailboxes", "1 to 3 people rarely run a central mail backup"
		if s.Users == 1 {
			shared, backup = "one person has no team mailbox to share", "one person runs no central mail backup"
		}
		const why = " (the built-in default describes a 50-person company)"
		derive("shared_mailboxes", "false", shared+why)
		derive("central_backup", "false", backup+why)
	}
	if s.Users == 1 {
		derive("hosting", HostingHosted, "one person reads a provider's mailbox rather than running a mail server")
	}
}
