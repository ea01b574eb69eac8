package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
	"github.com/mailadvisor/mailadvisor/internal/wording"
)

type adviseOptions struct {
	io       streams
	scenario scenarioInput
	batch    string
	batchFmt string
	// outputFrom names where --output came from, for an error found late.
	outputFrom string
	breakEven  bool
	fields     []string // --fields: the JSON rows' keys, with --batch
	output     string
	lang       langOption
	rules      rulesOptions
	models     modelOptions
	unc        uncertaintyOptions
	uncOpts    *advisor.UncertaintyOptions // from unc, once the flags are read
}

// rulesOptions choose the rules in force.
type rulesOptions struct {
	file  string // instead of the built-in rules
	extra string // on top
}

func (o *rulesOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.file, "rules", "", "rules file to use instead of the built-in rules (env MAILADVISOR_RULES)")
	cmd.Flags().StringVar(&o.extra, "extra-rules", "", "rules file applied on top of the rules in force; a rule with an existing id replaces it (env MAILADVISOR_EXTRA_RULES)")
}

func newAdviseCmd(io streams) *cobra.Command {
	opts := &adviseOptions{io: io}
	cmd := &cobra.Command{
		Use:   "advise",
		Short: "Recommend IMAP or POP3 for a scenario, and explain why",
		Long: `Recommend IMAP or POP3 for a scenario and explain every point of the score,
the vetoes and warnings, the secure ports to use, and the value of each input
at which the recommendation would flip.

The scenario starts from the built-in default (the sme-office preset: the
source article's 50-user company), then a --preset, a scenario file (-f), the
MAILADVISOR_* environment variables and the flags, each overriding the one
before. With --batch, every row of a CSV or JSON Lines file is one scenario
(on top of that same base) and one result is written per row.

` + exitCodesHelp,
		Example: `  # The article's 50-user company, as a table
  mailadvisor advise

  # A consultant's client: 120 users, 3 devices each, results for a script
  mailadvisor advise --users 120 --devices-per-user 3 -o json

  # A person setting up one laptop on a flaky connection
  mailadvisor advise --preset single-device-home --connectivity intermittent

  # From a scenario file, or from stdin
  mailadvisor advise -f client.yaml -o markdown
  cat client.json | mailadvisor advise -f -

  # Many scenarios at once, one JSON line (or CSV row) per input row
  mailadvisor advise --batch clients.csv > results.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.uncOpts = opts.unc.options(cmd)
			if opts.batch != "" {
				if !cmd.Flags().Changed("output") {
					opts.output = formatJSON
				}
				opts.outputFrom = origin(cmd, "output")
				// Break-even for every row only when asked for.
				opts.breakEven = opts.breakEven && cmd.Flags().Changed("break-even")
				return runAdviseBatch(cmd.Context(), opts)
			}
			return runAdvise(cmd.Context(), opts)
		},
	}
	addOutputFlagOf(cmd, &opts.output, csvFormats, formatTable, "with --batch: json (JSON Lines, the default) or csv")
	opts.lang.addFlag(cmd)
	opts.rules.addFlags(cmd)
	cmd.Flags().StringVar(&opts.batch, "batch", "", "score every row of a CSV or JSON Lines file ('-' for stdin)")
	addChoiceFlag(cmd, &opts.batchFmt, "batch-format", "", "format", "", fixed(advisor.FormatCSV, advisor.FormatJSONL), "batch input format: csv or jsonl (default: from the file extension)")
	addChoiceList(cmd, &opts.fields, "fields", "keys", batchFieldNames,
		"with --batch -o json: only these keys of each row, with line and error (default all); the fewer, the faster")
	cmd.Flags().BoolVar(&opts.breakEven, "break-even", true, "compute break-even values and what-if flips (with --batch: only when given)")
	opts.unc.addFlags(cmd, "draw the cost and CO2 parameters within their ranges (see 'cost --print-defaults'): how often each option wins, P10–P90 of its cost and CO2, and what moves the cost gap most")
	opts.scenario.addFlags(cmd)
	opts.models.addFlags(cmd, bothModels)
	return cmd
}

func runAdvise(_ context.Context, opts *adviseOptions) error {
	if len(opts.fields) > 0 {
		return usagef("--fields: only with --batch (it chooses the keys of each JSON row)")
	}
	p, err := newPrinter(opts.output, tableWidth(opts.io))
	if err != nil {
		return err
	}
	lp := opts.lang.printer()
	_, res, err := adviseScenario(&opts.scenario, opts.io, &opts.rules, &opts.models,
		advisor.Options{BreakEven: opts.breakEven, Estimates: true, Lang: lp.Lang(), Uncertainty: opts.uncOpts})
	if err != nil {
		return err
	}
	return p.print(opts.io.out, adviseReport(res, lp))
}

// adviseScenario loads the scenario (fitted to its size) and the advisor,
// and advises with opts, the assumptions added: what advise and report
// share.
func adviseScenario(in *scenarioInput, std streams, r *rulesOptions, m *modelOptions, opts advisor.Options) (*advisor.Advisor, *advisor.Result, error) {
	s, assumed, err := in.loadFitted(std)
	if err != nil {
		return nil, nil, err
	}
	adv, err := loadAdvisor(std.inputs, r, m)
	if err != nil {
		return nil, nil, err
	}
	opts.Assumptions = assumed
	res, err := adv.Advise(s, opts)
	return adv, res, err
}

// loadAdvisor compiles the rules in force (the built-in ones or
// rulesFile, then extraFile on top) and loads the cost and CO2 models.
func loadAdvisor(inputs *inputSet, r *rulesOptions, m *modelOptions) (*advisor.Advisor, error) {
	rules, err := r.load(inputs)
	if err != nil {
		return nil, err
	}
	models, err := m.load(inputs)
	if err != nil {
		return nil, err
	}
	return advisor.New(rules, models), nil
}

// load compiles the rules in force.
func (o *rulesOptions) load(inputs *inputSet) (*advisor.RuleSet, error) {
	rulesFile, extraFile := o.file, o.extra
	var rs *advisor.RuleSet
	var err error
	if rulesFile == "" {
		rs, err = advisor.BuiltinRules()
	} else {
		rs, err = parseRulesFile(inputs, rulesFile)
	}
	if err != nil {
		return nil, err
	}
	if extraFile != "" {
		extra, err := parseRulesFile(inputs, extraFile)
		if err != nil {
			return nil, err
		}
		rs = rs.With(extra)
	}
	return rs, nil
}

func parseRulesFile(inputs *inputSet, path string) (*advisor.RuleSet, error) {
	data, err := inputs.read("rules file", path, nil)
	if err != nil {
		return nil, err
	}
	rs, err := advisor.ParseRules(bytes.NewReader(data), path)
	if err != nil {
		return nil, withHint(err, "see 'mailadvisor rules' for the built-in rules and their syntax")
	}
	return rs, nil
}

// presetNames are the names --preset accepts.
func presetNames() []string {
	presets, err := advisor.Presets()
	if err != nil {
		return nil
	}
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name
	}
	return names
}

// adviseReport renders a result for people in lp's language; scripts get
// the Result as is.
func adviseReport(res *advisor.Result, lp *l10n.Printer) report {
	return report{data: res, sections: func() []section { return adviseSections(res, lp) },
		csv: func() ([]string, [][]string) { return adviseCSV(res) }}
}

// yearlyOf is the yearly cost of option in the result.
func yearlyOf(res *advisor.Result, option string) float64 {
	for _, o := range res.Options {
		if o.Option == option {
			return o.YearlyEUR
		}
	}
	return 0
}

func adviseSections(res *advisor.Result, lp *l10n.Printer) []section {
	rec := res.Recommendation
	proto := strings.ToUpper(rec.Protocol)
	cost := lp.Amount(yearlyOf(res, rec.Option), "EUR")
	head := section{Title: lp.T("Recommendation: %s", proto)}
	if rec.Confidence == advisor.ConfidenceNone {
		head.Title = lp.T("Recommendation: no option meets every constraint")
		var broken []string
		for _, v := range res.Vetoes {
			if v.Protocol == rec.Protocol {
				broken = append(broken, v.Rule+" ("+v.Text+")")
			}
		}
		head.Lines = []string{lp.T("Least bad by the scores: %s, as %s (%s), at about %s a year; it breaks: %s.",
			proto, wording.Option(lp, rec.Option), rec.Option, cost, strings.Join(broken, "; "))}
	} else {
		head.Lines = []string{
			lp.T("Run it as %s (%s), at about %s a year.", wording.Option(lp, rec.Option), rec.Option, cost),
			lp.T("Confidence: %s (a margin of %s points).", wording.Confidence(lp, rec.Confidence), wording.Points(lp, rec.Margin)),
		}
		if d := wording.Decided(lp, res); d != "" {
			head.Lines[1] = lp.T("Confidence: %s.", wording.Confidence(lp, rec.Confidence))
			head.Lines = append(head.Lines, d)
		}
	}
	if rec.LeaveOnServerDays != nil {
		head.Lines = append(head.Lines, lp.T("Leave mail on the server for %s days after download: %s.",
			strconv.Itoa(*rec.LeaveOnServerDays), rec.LeaveOnServerText))
	}
	out := []section{head, inputsSection(res, lp), contributionsSection(res, lp), optionsSection(res, lp)}
	if len(res.Vetoes) > 0 {
		v := section{Title: lp.T("Vetoes"), Header: []string{lp.T("Rule"), lp.T("Rules out"), lp.T("Reason")}}
		for _, veto := range res.Vetoes {
			v.Rows = append(v.Rows, []string{veto.Rule, strings.ToUpper(veto.Protocol), veto.Text})
		}
		out = append(out, v)
	}
	if len(res.Warnings) > 0 {
		w := section{Title: lp.T("Warnings")}
		for _, warning := range res.Warnings {
			w.Lines = append(w.Lines, fmt.Sprintf("%s: %s", warning.Rule, warning.Text))
		}
		out = append(out, w)
	}
	out = append(out, endpointsSection(res.Endpoints, lp))
	if res.Cost != nil && res.Carbon != nil {
		out = append(out, costSummarySection(res.Cost, lp), carbonSummarySection(res.Carbon, lp))
	}
	if res.Uncertainty != nil {
		out = append(out, uncertaintySections(res.Uncertainty, lp)...)
	}
	if len(res.BreakEven) > 0 {
		out = append(out, breakEvenSection(res, lp))
	}
	return out
}

// sourceWords says where an input came from.
func sourceWords(lp *l10n.Printer, src string) string {
	switch src {
	case advisor.SourceDefault:
		return lp.T("built-in default")
	case advisor.SourcePreset:
		return lp.T("preset")
	case advisor.SourceFile:
		return lp.T("scenario file")
	case advisor.SourceEnv:
		return lp.T("environment")
	case advisor.SourceFlag:
		return lp.T("command line")
	case advisor.SourceDerived:
		return lp.T("assumed for this size")
	}
	return src
}

// inputsSection lists the inputs someone gave and those fitted to the
// scenario's size, and names the ones left at the built-in default.
func inputsSection(res *advisor.Result, lp *l10n.Printer) section {
	s := section{Title: lp.T("Inputs"), Header: []string{lp.T("Input"), lp.T("Value"), lp.T("Source")}}
	var defaults []string
	for _, a := range res.Assumptions {
		if a.Source == advisor.SourceDefault {
			defaults = append(defaults, a.Field)
			continue
		}
		src := sourceWords(lp, a.Source)
		if a.Reason != "" {
			src += ": " + lp.T(a.Reason)
		}
		value := a.Value
		if value == "" {
			value = lp.T("unset")
		}
		s.Rows = append(s.Rows, []string{a.Field, value, src})
	}
	if len(defaults) > 0 {
		s.Lines = []string{lp.T("Built-in defaults (the source article's 50-person company): %s.", strings.Join(defaults, ", "))}
	}
	if len(s.Rows) == 0 {
		s.Header = nil
	}
	return s
}

func yesNo(lp *l10n.Printer, b bool) string {
	if b {
		return lp.T("yes")
	}
	return lp.T("no")
}

// optionsSection lists the four ways to run mail, whether each meets the
// hard constraints, and what rules it out.
func optionsSection(res *advisor.Result, lp *l10n.Printer) section {
	s := section{Title: lp.T("Options (protocol and who runs it)"),
		Header: []string{lp.T("Option"), lp.T("Per year"), lp.T("Meets the constraints"), lp.T("Ruled out by")}}
	for _, o := range res.Options {
		s.Rows = append(s.Rows, []string{o.Option, lp.Amount(o.YearlyEUR, "EUR"), yesNo(lp, o.Feasible), strings.Join(o.RuledOutText, "; ")})
	}
	return s
}

func contributionsSection(res *advisor.Result, lp *l10n.Printer) section {
	s := section{Title: lp.T("Score: IMAP %s, POP3 %s", wording.Points(lp, res.Scores.IMAP), wording.Points(lp, res.Scores.POP3)),
		Header: []string{lp.T("Rule"), lp.T("Favours"), lp.T("Points"), lp.T("Reason")}}
	for _, c := range res.Contributions {
		reason := c.Text
		if len(c.Assumed) > 0 {
			reason += " " + lp.T("(assumed: %s)", strings.Join(c.Assumed, ", "))
		}
		s.Rows = append(s.Rows, []string{c.Rule, strings.ToUpper(c.Favours), wording.Points(lp, c.Points), reason})
	}
	if len(s.Rows) == 0 {
		s.Lines = []string{lp.T("No rule gave points.")}
		s.Header = nil
	}
	return s
}

func endpointsSection(endpoints []advisor.Endpoint, lp *l10n.Printer) section {
	s := section{Title: lp.T("Secure endpoints"), Header: []string{lp.T("Service"), lp.T("Port"), lp.T("Security"), lp.T("Note")}}
	for _, e := range endpoints {
		s.Rows = append(s.Rows, []string{e.Service, strconv.Itoa(e.Port), wording.Security(e.Security), lp.T(e.Note)})
	}
	return s
}

// breakEvenSection lists the changes that flip the answer; the inputs
// that cannot flip it within their allowed range are named on one line.
func breakEvenSection(res *advisor.Result, lp *l10n.Printer) section {
	s := section{Title: lp.T("What would change the answer"), Header: []string{lp.T("Input"), lp.T("Now"), lp.T("Change"), lp.T("Flips to")}}
	for _, c := range flips(res, lp) {
		s.Rows = append(s.Rows, []string{c.input, c.now, c.change, c.to})
	}
	var steady []string
	for _, b := range res.BreakEven {
		if b.At == nil {
			steady = append(steady, b.Input)
		}
	}
	if len(s.Rows) == 0 {
		s.Header = nil
		s.Lines = append(s.Lines, lp.T("No single change of an input flips the answer."))
	}
	if len(steady) > 0 {
		s.Lines = append(s.Lines, lp.T("No flip within the allowed range: %s.", strings.Join(steady, ", ")))
	}
	return s
}

// flip is one change of an input that changes the answer, in words.
type flip struct{ input, now, change, to string }

// flips lists the break-even and what-if changes, in words.
func flips(res *advisor.Result, lp *l10n.Printer) []flip {
	var out []flip
	for _, b := range res.BreakEven {
		if b.At == nil {
			continue
		}
		now := lp.T("unset")
		if b.Current != nil {
			now = wording.Points(lp, *b.Current)
		}
		change := "≥ " + wording.Points(lp, *b.At)
		if b.Direction == "at_or_below" {
			change = "≤ " + wording.Points(lp, *b.At)
		}
		if b.Until != nil {
			change += lp.T(", until %s", wording.Points(lp, *b.Until))
		}
		out = append(out, flip{b.Input, now, change, wording.Answer(lp, b.FlipsTo)})
	}
	for _, w := range res.WhatIf {
		now := ""
		if f, ok := advisor.FieldByName(w.Input); ok {
			now = f.Value(&res.Scenario)
		}
		out = append(out, flip{w.Input, now, lp.T("set to %s", w.Value), wording.Answer(lp, w.FlipsTo)})
	}
	return out
}

// adviseCSV is one row per contribution, veto and warning, with the
// recommendation on every row, for a spreadsheet.
func adviseCSV(res *advisor.Result) ([]string, [][]string) {
	rec := res.Recommendation
	header := []string{"protocol", "option", "confidence", "imap_score", "pop3_score", "kind", "rule", "favours", "points", "reason"}
	base := []string{rec.Protocol, rec.Option, rec.Confidence, csvNumber(res.Scores.IMAP), csvNumber(res.Scores.POP3)}
	var rows [][]string
	row := func(cells ...string) { rows = append(rows, append(slices.Clone(base), cells...)) }
	for _, c := range res.Contributions {
		row("points", c.Rule, c.Favours, csvNumber(c.Points), c.Reason)
	}
	for _, v := range res.Vetoes {
		row("veto", v.Rule, v.Protocol, "", v.Reason)
	}
	for _, w := range res.Warnings {
		row("warning", w.Rule, "", "", w.Message)
	}
	if u := res.Uncertainty; u != nil {
		// Each answer the draws gave and its share; the central one
		// carries the sentence.
		for _, o := range u.Outcomes {
			reason := ""
			if o.Answer == u.Answer {
				reason = wording.Uncertainty(l10n.New(l10n.English), u)
			}
			row("uncertainty", o.Answer, "", csvNumber(o.Share), reason)
		}
	}
	return header, rows
}

// exact prints a parameter as it was given, every digit kept.
func exact(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// num writes a number for a script-facing table: at most two decimals,
// no grouping.
func num(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}
