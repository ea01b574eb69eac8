package advisor

import (
	"github.com/mailadvisor/mailadvisor/carbon"
	"github.com/mailadvisor/mailadvisor/costmodel"
)

// Confidence levels, from the margin between the two scores.
const (
	ConfidenceStrong   = "strong"   // margin >= StrongMargin, or the other protocol is vetoed (for a budget: by over BudgetStrongShare)
	ConfidenceModerate = "moderate" // margin >= ModerateMargin
	ConfidenceClose    = "close"    // anything less
	// ConfidenceNone: no option meets every hard constraint (both
	// protocols vetoed); the recommendation is the least bad, by the
	// scores, and the summary names what it breaks.
	ConfidenceNone = "none"
)

// AnswerNone is what break-even and what-if entries flip to when no
// option meets every hard constraint.
const AnswerNone = "none"

// Margins (in points) that separate the confidence levels.
const (
	StrongMargin   = 30
	ModerateMargin = 10
)

// Result is the explained answer for one scenario. Its JSON form is the
// documented contract of `mailadvisor advise -o json`: slices are never nil
// so that they print as [] when empty.
type Result struct {
	Scenario       Scenario       `json:"scenario" yaml:"scenario"`
	Recommendation Recommendation `json:"recommendation" yaml:"recommendation"`
	Scores         Scores         `json:"scores" yaml:"scores"`
	Contributions  []Contribution `json:"contributions" yaml:"contributions"`
	Vetoes         []Veto         `json:"vetoes" yaml:"vetoes"`
	Warnings       []Warning      `json:"warnings" yaml:"warnings"`
	Endpoints      []Endpoint     `json:"endpoints" yaml:"endpoints"`
	Options        []OptionCheck  `json:"options" yaml:"options"`
	// Assumptions lists every input with its value and where it came
	// from (with Options.Assumptions; [] otherwise).
	Assumptions []Assumption        `json:"assumptions" yaml:"assumptions"`
	BreakEven   []BreakEven         `json:"break_even" yaml:"break_even"`
	WhatIf      []WhatIf            `json:"what_if" yaml:"what_if"`
	Cost        *costmodel.Estimate `json:"cost,omitempty" yaml:"cost,omitempty"`     // with Options.Estimates
	Carbon      *carbon.Estimate    `json:"carbon,omitempty" yaml:"carbon,omitempty"` // with Options.Estimates
	// Uncertainty is how the answer holds over plausible parameters (with
	// Options.Uncertainty).
	Uncertainty *Uncertainty `json:"uncertainty,omitempty" yaml:"uncertainty,omitempty"`

	options [4]OptionCheck // Options' array, allocated with the result
}

// Recommendation is the protocol to use and how sure the advice is.
type Recommendation struct {
	Protocol   string  `json:"protocol" yaml:"protocol"`
	Confidence string  `json:"confidence" yaml:"confidence"`
	Margin     float64 `json:"margin" yaml:"margin"`
	// Option is how to run it: the protocol's cheapest option that meets
	// the hard constraints (the cheapest allowed, with confidence none).
	Option string `json:"option" yaml:"option"`
	// LeaveOnServerDays is set for POP3 only: how long the server keeps a
	// copy after download (0: delete at once).
	LeaveOnServerDays *int `json:"leave_on_server_days,omitempty" yaml:"leave_on_server_days,omitempty"`
	// LeaveOnServerReason explains LeaveOnServerDays.
	LeaveOnServerReason string `json:"leave_on_server_reason,omitempty" yaml:"leave_on_server_reason,omitempty"`
	// DecidedBy names the vetoes that decided against the scores: the
	// other protocol scored more but is ruled out (its rules' ids). The
	// confidence then says how close that constraint is (BudgetGapEUR).
	DecidedBy []string `json:"decided_by,omitempty" yaml:"decided_by,omitempty"`
	// BudgetGapEUR, when the budget decided, is how much more a year the
	// other protocol's cheapest option costs than the budget.
	BudgetGapEUR *float64 `json:"budget_gap_eur,omitempty" yaml:"budget_gap_eur,omitempty"`
	// Summary is one sentence for people.
	Summary string `json:"summary" yaml:"summary"`
	// LeaveOnServerText is LeaveOnServerReason in the language asked for
	// (Options.Lang); not in JSON, which stays English.
	LeaveOnServerText string `json:"-" yaml:"-"`
}

// OptionCheck says whether one way to run mail (a protocol and who runs
// it) meets the scenario's hard constraints, and if not, why.
type OptionCheck struct {
	Option     string   `json:"option" yaml:"option"` // pop3-self, imap-self, pop3-hosted, imap-hosted
	Protocol   string   `json:"protocol" yaml:"protocol"`
	Hosting    string   `json:"hosting" yaml:"hosting"` // self or hosted
	YearlyEUR  float64  `json:"yearly_eur" yaml:"yearly_eur"`
	Feasible   bool     `json:"feasible" yaml:"feasible"`
	RuledOutBy []string `json:"ruled_out_by" yaml:"ruled_out_by"` // reasons, in words; [] when feasible
	// RuledOutText is RuledOutBy in the language asked for.
	RuledOutText []string `json:"-" yaml:"-"`
}

// Scores are the points each protocol collected.
type Scores struct {
	IMAP float64 `json:"imap" yaml:"imap"`
	POP3 float64 `json:"pop3" yaml:"pop3"`
}

// Contribution is the points one rule gave, with the reason in plain words.
type Contribution struct {
	Rule    string  `json:"rule" yaml:"rule"`
	Favours string  `json:"favours" yaml:"favours"`
	Points  float64 `json:"points" yaml:"points"`
	Reason  string  `json:"reason" yaml:"reason"`
	// Assumed are the inputs the rule read that nobody gave (a built-in
	// default, or one fitted to the size): the reason rests on them.
	// Set when the advice knows where its inputs came from
	// (Options.Assumptions).
	Assumed []string `json:"assumed,omitempty" yaml:"assumed,omitempty"`
	// Text is Reason in the language asked for (Options.Lang).
	Text string `json:"-" yaml:"-"`
}

// Veto says that a rule ruled a protocol out, and why.
type Veto struct {
	Rule     string `json:"rule" yaml:"rule"`
	Protocol string `json:"protocol" yaml:"protocol"`
	Reason   string `json:"reason" yaml:"reason"`
	// Text is Reason in the language asked for (Options.Lang).
	Text string `json:"-" yaml:"-"`
}

// Warning is something to watch in the recommended set-up.
type Warning struct {
	Rule    string `json:"rule" yaml:"rule"`
	Message string `json:"message" yaml:"message"`
	// Text is Message in the language asked for (Options.Lang).
	Text string `json:"-" yaml:"-"`
}

// Security values for [Endpoint].
const (
	SecurityTLS      = "tls"      // implicit TLS from the first byte (RFC 8314)
	SecuritySTARTTLS = "starttls" // upgrade of a cleartext connection
)

// Endpoint is a port a client should use, always encrypted.
type Endpoint struct {
	Service  string `json:"service" yaml:"service"` // imap, pop3 or submission
	Port     int    `json:"port" yaml:"port"`
	Security string `json:"security" yaml:"security"`
	Note     string `json:"note" yaml:"note"`
}

// BreakEven is the value of one numeric input at which the recommendation
// flips, everything else held. At is nil when it does not flip anywhere in
// the input's allowed range; Note then says so.
type BreakEven struct {
	Input     string   `json:"input" yaml:"input"`
	Current   *float64 `json:"current" yaml:"current"`
	FlipsTo   string   `json:"flips_to,omitempty" yaml:"flips_to,omitempty"`
	At        *float64 `json:"at" yaml:"at"`
	Direction string   `json:"direction,omitempty" yaml:"direction,omitempty"` // at_or_above or at_or_below
	// At is the first value, on the input's grid (Field.Step), that gives
	// FlipsTo; Until, when set, the last one: the answer changes again
	// one step past it, where the next entry for the same input starts.
	Until *float64 `json:"until,omitempty" yaml:"until,omitempty"`
	Note  string   `json:"note,omitempty" yaml:"note,omitempty"`
}

// WhatIf is a change of one yes/no or named input that flips the
// recommendation.
type WhatIf struct {
	Input   string `json:"input" yaml:"input"`
	Value   string `json:"value" yaml:"value"`
	FlipsTo string `json:"flips_to" yaml:"flips_to"`
}
