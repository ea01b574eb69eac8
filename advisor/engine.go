package advisor

import (
	"fmt"
	"math"
	"strconv"
	"sync"

	"github.com/mailadvisor/mailadvisor/costmodel"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
	"github.com/mailadvisor/mailadvisor/internal/mailports"
)

// Advisor scores scenarios with a rule set. It is safe for concurrent use.
type Advisor struct {
	rules  *RuleSet
	models Models
	pool   sync.Pool // of *evaluator
}

// New returns an Advisor that scores with rs, the budget and environment
// rules using models.
func New(rs *RuleSet, models Models) *Advisor {
	return &Advisor{rules: rs, models: models, pool: sync.Pool{New: func() any { return newEvaluator() }}}
}

// Builtin returns an Advisor with the built-in rules and the default cost
// and CO2 models.
func Builtin() (*Advisor, error) {
	rs, err := BuiltinRules()
	if err != nil {
		return nil, err
	}
	models, err := DefaultModels()
	if err != nil {
		return nil, err
	}
	return New(rs, models), nil
}

// Rules lists the rules in force, in evaluation order.
func (a *Advisor) Rules() []Rule { return a.rules.Rules() }

// load sets the evaluator's facts for s.
func (a *Advisor) load(ev *evaluator, s *Scenario) error {
	ev.facts.fill(s)
	mf, err := a.models.modelFacts(s)
	if err != nil {
		return err
	}
	ev.facts.setModels(mf)
	ev.costs, ev.mf = mf.costs, mf
	return nil
}

// Options choose the optional, costlier parts of a [Result].
type Options struct {
	// Assumptions are the scenario's inputs with their sources, as
	// FitDefaults returns them: the result lists them.
	Assumptions []Assumption
	// BreakEven adds break-even values and what-if flips (a few hundred
	// extra evaluations of the rules).
	BreakEven bool
	// Estimates adds the cost of every option and the CO2 of every model,
	// each with its breakdown (Result.Cost and Result.Carbon).
	Estimates bool
	// Lang is the language of the Text fields (English when empty); the
	// fields JSON shows stay English.
	Lang l10n.Lang
	// Uncertainty, when set, adds how the answer holds when the cost and
	// CO2 parameters are drawn within their ranges (Result.Uncertainty).
	Uncertainty *UncertaintyOptions
}

// Advise validates s and returns the explained recommendation. Errors are
// a [*ValidationError] for a bad scenario or a [*RuleError] when a rule
// fails at run time.
func (a *Advisor) Advise(s Scenario, opts Options) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	ev := a.pool.Get().(*evaluator)
	defer a.pool.Put(ev)

	res := &Result{
		Scenario:    s,
		Warnings:    []Warning{},
		BreakEven:   []BreakEven{},
		WhatIf:      []WhatIf{},
		Assumptions: opts.Assumptions,
	}
	if res.Assumptions == nil {
		res.Assumptions = []Assumption{}
	}
	if err := a.load(ev, &s); err != nil {
		return nil, err
	}
	tr := newTranslator(opts.Lang)
	if err := a.score(ev, res, tr); err != nil {
		return nil, err
	}
	markAssumed(a.rules.rules, res.Contributions, opts.Assumptions)
	res.Recommendation = recommend(res.Scores, res.Vetoes)
	res.Options = checkOptions(&res.options, &s, ev.costs, res.Vetoes, tr)
	if err := a.decidedBy(&res.Recommendation, res.Scores, res.Vetoes, res.Options, &s); err != nil {
		return nil, err
	}
	res.Recommendation.Option = optionFor(res.Options, res.Recommendation.Protocol, ev.facts.text)
	ev.facts.setRecommended(res.Recommendation.Protocol, res.Recommendation.Option)
	if err := a.warn(ev, res, tr); err != nil {
		return nil, err
	}
	if res.Recommendation.Protocol == POP3 {
		days, why := LeaveOnServer(&s)
		res.Recommendation.LeaveOnServerDays, res.Recommendation.LeaveOnServerReason = &days, why
		res.Recommendation.LeaveOnServerText = tr.leaveOnServer(&s, why)
	}
	res.Recommendation.Summary = summary(res)
	res.Endpoints = Endpoints(res.Recommendation.Protocol)
	if opts.Estimates {
		if err := a.estimate(&s, res); err != nil {
			return nil, err
		}
	}
	if opts.Uncertainty != nil {
		var err error
		if res.Uncertainty, err = a.Uncertainty(s, *opts.Uncertainty); err != nil {
			return nil, err
		}
	}
	if opts.BreakEven {
		var err error
		current := answer(res.Recommendation)
		if res.BreakEven, err = a.breakEven(s, current, refitter(opts.Assumptions)); err != nil {
			return nil, err
		}
		if res.WhatIf, err = a.whatIf(ev, s, current); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// fire evaluates a points or veto rule: whether it fired and, for a
// points rule, its points. Errors name the rule.
func (ev *evaluator) fire(r *compiledRule) (fired bool, pts float64, err error) {
	fired, err = ev.evalBool(r.when)
	if err == nil && fired && r.Kind == KindPoints {
		pts, err = ev.points(r)
	}
	if err != nil {
		return false, 0, &RuleError{Source: r.Source, RuleID: r.ID, Err: err}
	}
	return fired, pts, nil
}

// score evaluates every points and veto rule, with reasons. The rules
// that fired are recorded first, then the contributions and vetoes made
// at their exact size; in English (the Text is the Reason) the reasons
// are rendered into one buffer and made one string: one allocation for
// all, not one each.
func (a *Advisor) score(ev *evaluator, res *Result, tr *translator) error {
	together := tr.p == nil
	ev.reasons, ev.firings, ev.texts = ev.reasons[:0], ev.firings[:0], ev.texts[:0]
	defer func() { clear(ev.texts) }() // the pooled evaluator keeps no strings
	vetoes := 0
	for i, r := range a.rules.rules {
		if r.Kind == KindWarning {
			continue
		}
		fired, pts, err := ev.fire(r)
		if err != nil {
			return err
		}
		if !fired {
			continue
		}
		f := firing{rule: i, pts: pts, start: len(ev.reasons)}
		if together {
			if ev.reasons, err = r.reason.appendTo(ev.reasons, ev, false); err != nil {
				return &RuleError{Source: r.Source, RuleID: r.ID, Err: err}
			}
		} else {
			reason, err := r.reason.render(ev)
			if err != nil {
				return &RuleError{Source: r.Source, RuleID: r.ID, Err: err}
			}
			text, err := tr.reason(r, ev, reason)
			if err != nil {
				return &RuleError{Source: r.Source, RuleID: r.ID, Err: err}
			}
			ev.texts = append(ev.texts, reason, text)
		}
		f.end = len(ev.reasons)
		ev.firings = append(ev.firings, f)
		if r.Kind == KindVeto {
			vetoes++
		}
	}
	var all string
	if together {
		all = string(ev.reasons)
	}
	res.Contributions = make([]Contribution, 0, len(ev.firings)-vetoes)
	res.Vetoes = make([]Veto, 0, vetoes)
	for k, f := range ev.firings {
		r := a.rules.rules[f.rule]
		reason, text := all[f.start:f.end], all[f.start:f.end]
		if !together {
			reason, text = ev.texts[2*k], ev.texts[2*k+1]
		}
		if r.Kind == KindVeto {
			res.Vetoes = append(res.Vetoes, Veto{Rule: r.ID, Protocol: r.Vetoes, Reason: reason, Text: text})
			continue
		}
		res.Contributions = append(res.Contributions, Contribution{Rule: r.ID, Favours: r.Favours, Points: f.pts, Reason: reason, Text: text})
		res.Scores.add(r.Favours, f.pts)
	}
	res.Scores.IMAP, res.Scores.POP3 = round2(res.Scores.IMAP), round2(res.Scores.POP3)
	return nil
}

// warn evaluates the warning rules once the recommendation is known.
func (a *Advisor) warn(ev *evaluator, res *Result, tr *translator) error {
	for _, r := range a.rules.rules {
		if r.Kind != KindWarning {
			continue
		}
		fired, err := ev.evalBool(r.when)
		if err == nil && fired {
			var msg string
			if msg, err = r.reason.render(ev); err == nil {
				var text string
				if text, err = tr.reason(r, ev, msg); err == nil {
					res.Warnings = append(res.Warnings, Warning{Rule: r.ID, Message: msg, Text: text})
				}
			}
		}
		if err != nil {
			return &RuleError{Source: r.Source, RuleID: r.ID, Err: err}
		}
	}
	if vetoed(res.Vetoes, IMAP) && vetoed(res.Vetoes, POP3) {
		const msg = "no option meets every constraint: the recommendation is the least bad by the scores, and breaks what its vetoes say"
		res.Warnings = append(res.Warnings, Warning{Rule: "both-vetoed", Message: msg, Text: tr.t(msg)})
	}
	res.Warnings = append(res.Warnings, otherHostingFits(res, tr)...)
	return nil
}

// otherHostingFits warns, when the scenario asks for one hosting and has a
// budget, of each protocol whose option of the other hosting fits the
// budget while the one asked for does not.
func otherHostingFits(res *Result, tr *translator) []Warning {
	s := &res.Scenario
	if s.Hosting == HostingAny || s.BudgetEURPerYear == nil {
		return nil
	}
	budget := *s.BudgetEURPerYear
	var out []Warning
	for _, p := range []string{IMAP, POP3} {
		var asked, other *OptionCheck
		for i := range res.Options {
			if o := &res.Options[i]; o.Protocol == p && o.Hosting == s.Hosting {
				asked = o
			} else if o.Protocol == p {
				other = o
			}
		}
		if asked != nil && other != nil && asked.YearlyEUR > budget && other.YearlyEUR <= budget {
			const format = "%s %s at about %s a year fits the %s budget; the scenario asks for hosting: %s (%s costs about %s)"
			w := Warning{Rule: "other-hosting-fits", Message: fmt.Sprintf(format,
				upper(p), hostingWord(other.Hosting), grouped(other.YearlyEUR)+" EUR", grouped(budget)+" EUR", s.Hosting, asked.Option, grouped(asked.YearlyEUR)+" EUR")}
			w.Text = w.Message
			if tr.p != nil {
				w.Text = tr.p.T(format, upper(p), tr.p.T(hostingWord(other.Hosting)), tr.eur(other.YearlyEUR), tr.eur(budget),
					s.Hosting, asked.Option, tr.eur(asked.YearlyEUR))
			}
			out = append(out, w)
		}
	}
	return out
}

func hostingWord(h string) string {
	if h == HostingHosted {
		return "hosted by a provider"
	}
	return "self-hosted"
}

// grouped writes a whole amount with thousands separators: 2,640.
func grouped(v float64) string {
	var stack [32]byte
	return string(appendGrouped(stack[:0], v))
}

// money is an amount as the budget rules compare it: whole euros
// grouped, and the cents when there are any (1,848; 1,848.40).
func money(v float64) string {
	cents := math.Round(math.Abs(v) * 100)
	s := grouped(math.Floor(cents / 100))
	if v < 0 && cents > 0 {
		s = "-" + s
	}
	if c := int(math.Mod(cents, 100)); c != 0 {
		s += "." + strconv.Itoa(c/10) + strconv.Itoa(c%10)
	}
	return s
}

// appendGrouped appends v rounded, its thousands separated by commas.
func appendGrouped(b []byte, v float64) []byte {
	var stack [32]byte
	s := strconv.AppendFloat(stack[:0], math.Round(v), 'f', 0, 64)
	if len(s) > 0 && s[0] == '-' {
		b, s = append(b, '-'), s[1:]
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && c >= '0' && c <= '9' {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	return b
}

// checkOptions says which of the four options meet the hard constraints:
// the hosting asked for, the protocol's vetoes, and the budget; y are the
// options' yearly costs, as the facts were loaded with.
func checkOptions(into *[4]OptionCheck, s *Scenario, y costmodel.YearlyByOption, vetoes []Veto, tr *translator) []OptionCheck {
	*into = [4]OptionCheck{
		{Option: costmodel.POP3Self, Protocol: POP3, Hosting: HostingSelf, YearlyEUR: y.POP3Self},
		{Option: costmodel.IMAPSelf, Protocol: IMAP, Hosting: HostingSelf, YearlyEUR: y.IMAPSelf},
		{Option: costmodel.POP3Hosted, Protocol: POP3, Hosting: HostingHosted, YearlyEUR: y.POP3Hosted},
		{Option: costmodel.IMAPHosted, Protocol: IMAP, Hosting: HostingHosted, YearlyEUR: y.IMAPHosted},
	}
	all := into[:]
	for i := range all {
		o := &all[i]
		o.YearlyEUR = round2(o.YearlyEUR)
		o.RuledOutBy = []string{}
		var local []string // RuledOutText, when not English (arguments are only made then)
		if s.Hosting != HostingAny && o.Hosting != s.Hosting {
			o.RuledOutBy = append(o.RuledOutBy, "hosting: the scenario asks for "+s.Hosting)
			if tr.p != nil {
				local = append(local, tr.p.T("hosting: the scenario asks for %s", s.Hosting))
			}
		}
		protocolVetoed := false
		for _, v := range vetoes {
			if v.Protocol == o.Protocol {
				protocolVetoed = true
				o.RuledOutBy = append(o.RuledOutBy, v.Rule+": "+v.Reason)
				if tr.p != nil {
					local = append(local, tr.p.T("%s: %s", v.Rule, v.Text))
				}
			}
		}
		// The budget is a hard constraint, as the built-in budget rules,
		// which veto a protocol whose cheapest option is over it.
		if b := s.BudgetEURPerYear; b != nil && !protocolVetoed && o.YearlyEUR > *b {
			o.RuledOutBy = append(o.RuledOutBy, fmt.Sprintf("budget: %s EUR a year, over the %s EUR budget",
				money(o.YearlyEUR), money(*b)))
			if tr.p != nil {
				local = append(local, tr.p.T("budget: %s a year, over the %s budget", tr.money(o.YearlyEUR), tr.money(*b)))
			}
		}
		o.Feasible = len(o.RuledOutBy) == 0
		o.RuledOutText = o.RuledOutBy
		if tr.p != nil {
			o.RuledOutText = local
		}
	}
	return all
}

// optionFor is how to run protocol: its cheapest feasible option, else
// (no option is) the option the cost facts chose for it.
func optionFor(options []OptionCheck, protocol string, text [textFactCount]string) string {
	best := -1
	for i, o := range options {
		if o.Protocol == protocol && o.Feasible && (best < 0 || o.YearlyEUR < options[best].YearlyEUR) {
			best = i
		}
	}
	if best >= 0 {
		return options[best].Option
	}
	if protocol == POP3 {
		return text[factPOP3Option]
	}
	return text[factIMAPOption]
}

// decide returns only the recommended protocol, without reasons: the fast
// path that the break-even search calls hundreds of times.
func (a *Advisor) decide(ev *evaluator, s *Scenario) (string, error) {
	if err := a.load(ev, s); err != nil {
		return "", err
	}
	var scores Scores
	var imapVetoed, pop3Vetoed bool
	for _, r := range a.rules.rules {
		if r.Kind == KindWarning {
			continue
		}
		fired, pts, err := ev.fire(r)
		switch {
		case err != nil:
			return "", err
		case !fired:
		case r.Kind == KindVeto:
			imapVetoed = imapVetoed || r.Vetoes == IMAP
			pop3Vetoed = pop3Vetoed || r.Vetoes == POP3
		default:
			scores.add(r.Favours, pts)
		}
	}
	if imapVetoed && pop3Vetoed {
		return AnswerNone, nil
	}
	return choose(round2(scores.IMAP), round2(scores.POP3), imapVetoed, pop3Vetoed), nil
}

// answer is what break-even and what-if compare: the protocol, or none
// when no option meets every hard constraint.
func answer(r Recommendation) string {
	if r.Confidence == ConfidenceNone {
		return AnswerNone
	}
	return r.Protocol
}

func (s *Scores) add(protocol string, pts float64) {
	if protocol == IMAP {
		s.IMAP += pts
	} else {
		s.POP3 += pts
	}
}

// choose picks the protocol: a veto rules one out; otherwise the higher
// score wins, and a tie goes to IMAP (nothing is lost from the server).
func choose(imap, pop3 float64, imapVetoed, pop3Vetoed bool) string {
	switch {
	case imapVetoed && !pop3Vetoed:
		return POP3
	case pop3Vetoed && !imapVetoed:
		return IMAP
	case pop3 > imap:
		return POP3
	default:
		return IMAP
	}
}

func recommend(sc Scores, vetoes []Veto) Recommendation {
	imapVetoed, pop3Vetoed := vetoed(vetoes, IMAP), vetoed(vetoes, POP3)
	rec := Recommendation{
		Protocol: choose(sc.IMAP, sc.POP3, imapVetoed, pop3Vetoed),
		Margin:   round2(math.Abs(sc.IMAP - sc.POP3)),
	}
	switch {
	case imapVetoed && pop3Vetoed:
		rec.Confidence = ConfidenceNone
	case imapVetoed != pop3Vetoed:
		rec.Confidence = ConfidenceStrong
	case rec.Margin >= StrongMargin:
		rec.Confidence = ConfidenceStrong
	case rec.Margin >= ModerateMargin:
		rec.Confidence = ConfidenceModerate
	default:
		rec.Confidence = ConfidenceClose
	}
	return rec
}

// markAssumed lists, on each contribution, the inputs its rule read that
// nobody gave.
func markAssumed(rules []*compiledRule, cs []Contribution, assumed []Assumption) {
	if len(assumed) == 0 || len(cs) == 0 {
		return
	}
	notGiven := map[string]bool{}
	for _, a := range assumed {
		notGiven[a.Field] = a.Source == SourceDefault || a.Source == SourceDerived || a.Source == ""
	}
	j := 0
	for i := range cs {
		for j < len(rules) && rules[j].ID != cs[i].Rule {
			j++ // contributions come in the rules' order
		}
		if j == len(rules) {
			return
		}
		for _, in := range rules[j].inputs {
			if notGiven[in] {
				cs[i].Assumed = append(cs[i].Assumed, in)
			}
		}
	}
}

// How close a budget that decides against the scores must be for the
// answer to be called moderate or close: the other protocol's cheapest
// option over the budget by at most this share of it.
const (
	BudgetCloseShare  = 0.05
	BudgetStrongShare = 0.20
)

// decidedBy records, when the protocol that scored less is recommended
// because the other is vetoed, which vetoes decided; when the budget
// decided (the same scenario with the budget raised to the other
// protocol's cheapest option gives that protocol: whichever rules veto
// over a budget), the confidence is how far over it the other protocol
// is (5% over is close: a small raise flips the answer), not the margin
// of the scores the constraint overruled.
func (a *Advisor) decidedBy(rec *Recommendation, sc Scores, vetoes []Veto, options []OptionCheck, s *Scenario) error {
	if rec.Confidence == ConfidenceNone {
		return nil
	}
	other, otherScore, ownScore := IMAP, sc.IMAP, sc.POP3
	if rec.Protocol == IMAP {
		other, otherScore, ownScore = POP3, sc.POP3, sc.IMAP
	}
	if otherScore <= ownScore || !vetoed(vetoes, other) {
		return nil
	}
	for _, v := range vetoes {
		if v.Protocol == other {
			rec.DecidedBy = append(rec.DecidedBy, v.Rule)
		}
	}
	if s.BudgetEURPerYear == nil || *s.BudgetEURPerYear <= 0 {
		return nil // a policy: as strong as it is
	}
	cheapest := math.Inf(1)
	for _, o := range options {
		if o.Protocol == other && (s.Hosting == HostingAny || o.Hosting == s.Hosting) {
			cheapest = math.Min(cheapest, o.YearlyEUR)
		}
	}
	gap := round2(cheapest - *s.BudgetEURPerYear)
	if math.IsInf(cheapest, 0) || gap <= 0 {
		return nil
	}
	raised := *s
	raised.BudgetEURPerYear = &cheapest
	ev := a.pool.Get().(*evaluator) // the caller's still holds s
	defer a.pool.Put(ev)
	if got, err := a.decide(ev, &raised); err != nil || got != other {
		return err // a policy vetoes it too: the budget did not decide alone
	}
	rec.BudgetGapEUR = &gap
	switch share := gap / *s.BudgetEURPerYear; {
	case share <= BudgetCloseShare:
		rec.Confidence = ConfidenceClose
	case share <= BudgetStrongShare:
		rec.Confidence = ConfidenceModerate
	}
	return nil
}

func vetoed(vetoes []Veto, protocol string) bool {
	for _, v := range vetoes {
		if v.Protocol == protocol {
			return true
		}
	}
	return false
}

// LeaveOnServer is the article's middle way for POP3: keep a copy on the
// server for a few days after download. It returns the days and why.
func LeaveOnServer(s *Scenario) (int, string) {
	days, why := wantedDaysOnServer(s)
	if fit, limited := quotaDays(s); limited && fit < days {
		return fit, fmt.Sprintf("%s, but the %s GB quota only holds %d days of mail at %s GB a year",
			why, formatNumber(s.ServerQuotaGB), fit, formatNumber(s.MailboxGrowthGBPerYear))
	}
	return days, why
}

// daysOnServer is LeaveOnServer's days without the reason, for the CO2
// model that scoring runs on every scenario.
func daysOnServer(s *Scenario) int {
	days, _ := wantedDaysOnServer(s)
	if fit, limited := quotaDays(s); limited {
		return min(days, fit)
	}
	return days
}

// wantedDaysOnServer is how long a copy should stay, before the quota.
func wantedDaysOnServer(s *Scenario) (int, string) {
	switch {
	case s.LocalStorageOnly:
		return 0, "policy: no mail may stay on remote servers, so messages are deleted from the server once downloaded"
	case !s.EndpointBackups:
		return 30, "endpoints are not backed up, so a month on the server is the safety net for a lost device"
	case s.DevicesPerUser > 1:
		return 14, "two weeks on the server let the other devices still fetch recent mail"
	default:
		return 7, "a week on the server lets a lost download be fetched again"
	}
}

// quotaDays is how many days of mail the server quota holds, when mail
// grows at all.
func quotaDays(s *Scenario) (days int, limited bool) {
	if s.MailboxGrowthGBPerYear <= 0 {
		return 0, false
	}
	return int(s.ServerQuotaGB / (s.MailboxGrowthGBPerYear / 365)), true
}

// Endpoints returns the encrypted ports a client should use for protocol
// (imap or pop3): implicit TLS first (RFC 8314), then submission on 465
// (implicit TLS) with 587 (STARTTLS) as the fallback. Never a cleartext port.
func Endpoints(protocol string) []Endpoint {
	in := Endpoint{Service: IMAP, Port: mailports.IMAPS, Security: SecurityTLS, Note: "IMAPS, implicit TLS (RFC 8314)"}
	if protocol == POP3 {
		in = Endpoint{Service: POP3, Port: mailports.POP3S, Security: SecurityTLS, Note: "POP3S, implicit TLS (RFC 8314)"}
	}
	return []Endpoint{
		in,
		{Service: "submission", Port: mailports.Submissions, Security: SecurityTLS, Note: "submission, implicit TLS (RFC 8314), preferred"},
		{Service: "submission", Port: mailports.Submission, Security: SecuritySTARTTLS, Note: "submission with STARTTLS, fallback where 465 is blocked"},
	}
}

func summary(res *Result) string {
	r := res.Recommendation
	var stack [256]byte // one allocation: the string
	b := stack[:0]
	if r.Confidence == ConfidenceNone {
		b = append(b, "no option meets every constraint; least bad by the scores: "...)
	}
	b = append(b, upper(r.Protocol)...)
	b = append(b, " ("...)
	b = append(b, r.Confidence...)
	if len(r.DecidedBy) > 0 {
		// The constraint first: it decided, the scores did not.
		other := IMAP
		if r.Protocol == IMAP {
			other = POP3
		}
		b = append(b, ": "...)
		b = append(b, upper(other)...)
		b = append(b, " would score more but is ruled out by "...)
		for i, id := range r.DecidedBy {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, id...)
		}
		if r.BudgetGapEUR != nil {
			b = append(b, ", "...)
			b = append(b, money(*r.BudgetGapEUR)...)
			b = append(b, " EUR a year over the budget"...)
		}
		b = append(b, "; scores"...)
	}
	b = append(b, ": IMAP "...)
	b = appendNumber(b, res.Scores.IMAP, 2)
	b = append(b, ", POP3 "...)
	b = appendNumber(b, res.Scores.POP3, 2)
	b = append(b, " points)"...)
	for _, o := range res.Options {
		if o.Option == r.Option {
			b = append(b, ", as "...)
			b = append(b, o.Option...)
			b = append(b, " at about "...)
			b = appendGrouped(b, o.YearlyEUR)
			b = append(b, " EUR a year"...)
		}
	}
	ruledOut := func(v Veto) {
		b = append(b, "; "...)
		b = append(b, upper(v.Protocol)...)
		b = append(b, " ruled out by "...)
		b = append(b, v.Rule...)
	}
	if r.Confidence == ConfidenceNone {
		b = append(b, ", which breaks: "...)
		first := true
		for _, v := range res.Vetoes {
			if v.Protocol == r.Protocol {
				if !first {
					b = append(b, "; "...)
				}
				b = append(b, v.Rule...)
				b = append(b, " ("...)
				b = append(b, v.Reason...)
				b = append(b, ')')
				first = false
			}
		}
		for _, v := range res.Vetoes {
			if v.Protocol != r.Protocol {
				ruledOut(v)
			}
		}
	} else {
		for _, v := range res.Vetoes {
			if len(r.DecidedBy) > 0 && v.Protocol != r.Protocol {
				continue // said first
			}
			ruledOut(v)
		}
	}
	switch {
	case r.LeaveOnServerDays == nil:
	case *r.LeaveOnServerDays == 0:
		b = append(b, "; delete mail from the server once downloaded"...)
	default:
		b = append(b, "; leave a copy on the server for "...)
		b = strconv.AppendInt(b, int64(*r.LeaveOnServerDays), 10)
		b = append(b, " days"...)
	}
	return string(b)
}

func upper(protocol string) string {
	if protocol == POP3 {
		return "POP3"
	}
	return "IMAP"
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// estimate adds the cost of every option and the CO2 of every model.
func (a *Advisor) estimate(s *Scenario, res *Result) error {
	var err error
	if res.Cost, err = a.models.Cost.Estimate(a.models.CostInput(s)); err != nil {
		return fmt.Errorf("cost model: %w", err)
	}
	if res.Carbon, err = a.models.Carbon.Estimate(a.models.CarbonInput(s), a.models.CarbonModel); err != nil {
		return fmt.Errorf("CO2 model: %w", err)
	}
	return nil
}
