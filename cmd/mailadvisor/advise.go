package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/advisor"
)

type adviseOptions struct {
	io        streams
	scenario  scenarioInput
	batch     string
	batchFmt  string
	breakEven bool
	output    string
	rules     rulesOptions
	models    modelOptions
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
			if opts.batch != "" {
				if !cmd.Flags().Changed("output") {
					opts.output = formatJSON
				}
				// Break-even for every row only when asked for.
				opts.breakEven = opts.breakEven && cmd.Flags().Changed("break-even")
				return runAdviseBatch(cmd.Context(), opts)
			}
			return runAdvise(cmd.Context(), opts)
		},
	}
	addOutputFlag(cmd, &opts.output, "with --batch: json (JSON Lines, the default) or csv")
	opts.rules.addFlags(cmd)
	cmd.Flags().StringVar(&opts.batch, "batch", "", "score every row of a CSV or JSON Lines file ('-' for stdin)")
	cmd.Flags().StringVar(&opts.batchFmt, "batch-format", "", "batch input format: csv or jsonl (default: from the file extension)")
	cmd.Flags().BoolVar(&opts.breakEven, "break-even", true, "compute break-even values and what-if flips (with --batch: only when given)")
	opts.scenario.addFlags(cmd)
	opts.models.addFlags(cmd)
	return cmd
}

func runAdvise(_ context.Context, opts *adviseOptions) error {
	p, err := newPrinter(opts.output)
	if err != nil {
		return err
	}
	s, assumed, err := opts.scenario.loadFitted(opts.io.in)
	if err != nil {
		return err
	}
	adv, err := loadAdvisor(&opts.rules, &opts.models)
	if err != nil {
		return err
	}
	res, err := adv.Advise(s, advisor.Options{BreakEven: opts.breakEven, Estimates: true, Assumptions: assumed})
	if err != nil {
		return err
	}
	return p.print(opts.io.out, adviseReport(res))
}

// loadAdvisor compiles the rules in force (the built-in ones or
// rulesFile, then extraFile on top) and loads the cost and CO2 models.
func loadAdvisor(r *rulesOptions, m *modelOptions) (*advisor.Advisor, error) {
	rules, err := r.load()
	if err != nil {
		return nil, err
	}
	models, err := m.load()
	if err != nil {
		return nil, err
	}
	return advisor.New(rules, models), nil
}

// load compiles the rules in force.
func (o *rulesOptions) load() (*advisor.RuleSet, error) {
	rulesFile, extraFile := o.file, o.extra
	var rs *advisor.RuleSet
	var err error
	if rulesFile == "" {
		rs, err = advisor.BuiltinRules()
	} else {
		rs, err = parseRulesFile(rulesFile)
	}
	if err != nil {
		return nil, err
	}
	if extraFile != "" {
		extra, err := parseRulesFile(extraFile)
		if err != nil {
			return nil, err
		}
		rs = rs.With(extra)
	}
	return rs, nil
}

func parseRulesFile(path string) (*advisor.RuleSet, error) {
	data, err := readInput("rules file", path, nil)
	if err != nil {
		return nil, err
	}
	rs, err := advisor.ParseRules(bytes.NewReader(data), path)
	if err != nil {
		return nil, withHint(err, "see 'mailadvisor rules' for the built-in rules and their syntax")
	}
	return rs, nil
}

func completePresets(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	presets, err := advisor.Presets()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name + "\t" + p.Description
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// adviseReport renders a result for people; scripts get the Result as is.
func adviseReport(res *advisor.Result) report {
	return report{data: res, sections: func() []section { return adviseSections(res) }}
}

func adviseSections(res *advisor.Result) []section {
	rec := res.Recommendation
	title := "Recommendation: " + strings.ToUpper(rec.Protocol) + ", " + rec.Option + " (" + rec.Confidence + ")"
	if rec.Confidence == advisor.ConfidenceNone {
		title = "Recommendation: no option meets every constraint; least bad: " + strings.ToUpper(rec.Protocol) + ", " + rec.Option
	}
	head := section{Title: title, Lines: []string{rec.Summary}}
	if rec.LeaveOnServerDays != nil {
		head.Lines = append(head.Lines, fmt.Sprintf("Leave on server: %d days (%s)", *rec.LeaveOnServerDays, rec.LeaveOnServerReason))
	}
	out := []section{head, inputsSection(res), contributionsSection(res), optionsSection(res)}
	if len(res.Vetoes) > 0 {
		v := section{Title: "Vetoes", Header: []string{"Rule", "Rules out", "Reason"}}
		for _, veto := range res.Vetoes {
			v.Rows = append(v.Rows, []string{veto.Rule, strings.ToUpper(veto.Protocol), veto.Reason})
		}
		out = append(out, v)
	}
	if len(res.Warnings) > 0 {
		w := section{Title: "Warnings"}
		for _, warning := range res.Warnings {
			w.Lines = append(w.Lines, fmt.Sprintf("%s: %s", warning.Rule, warning.Message))
		}
		out = append(out, w)
	}
	out = append(out, endpointsSection(res.Endpoints))
	if res.Cost != nil && res.Carbon != nil {
		out = append(out, costSummarySection(res.Cost), carbonSummarySection(res.Carbon))
	}
	if len(res.BreakEven) > 0 {
		out = append(out, breakEvenSection(res))
	}
	return out
}

// inputsSection lists the inputs someone gave and those fitted to the
// scenario's size, and names the ones left at the built-in default.
func inputsSection(res *advisor.Result) section {
	s := section{Title: "Inputs", Header: []string{"Input", "Value", "Source"}}
	var defaults []string
	for _, a := range res.Assumptions {
		if a.Source == advisor.SourceDefault {
			defaults = append(defaults, a.Field)
			continue
		}
		src := a.Source
		if a.Reason != "" {
			src += ": " + a.Reason
		}
		value := a.Value
		if value == "" {
			value = "unset"
		}
		s.Rows = append(s.Rows, []string{a.Field, value, src})
	}
	if len(defaults) > 0 {
		s.Lines = []string{"Built-in defaults (the source article's 50-person company): " + strings.Join(defaults, ", ") + "."}
	}
	if len(s.Rows) == 0 {
		s.Header = nil
	}
	return s
}

// optionsSection lists the four ways to run mail, whether each meets the
// hard constraints, and what rules it out.
func optionsSection(res *advisor.Result) section {
	s := section{Title: "Options (protocol and who runs it)", Header: []string{"Option", "EUR/year", "Meets the constraints", "Ruled out by"}}
	for _, o := range res.Options {
		ok := "yes"
		if !o.Feasible {
			ok = "no"
		}
		s.Rows = append(s.Rows, []string{o.Option, grouped(o.YearlyEUR), ok, strings.Join(o.RuledOutBy, "; ")})
	}
	return s
}

func contributionsSection(res *advisor.Result) section {
	s := section{Title: fmt.Sprintf("Score: IMAP %s, POP3 %s", num(res.Scores.IMAP), num(res.Scores.POP3)),
		Header: []string{"Rule", "Favours", "Points", "Reason"}}
	for _, c := range res.Contributions {
		s.Rows = append(s.Rows, []string{c.Rule, strings.ToUpper(c.Favours), num(c.Points), c.Reason})
	}
	if len(s.Rows) == 0 {
		s.Lines = []string{"No rule gave points."}
		s.Header = nil
	}
	return s
}

func endpointsSection(endpoints []advisor.Endpoint) section {
	s := section{Title: "Secure endpoints", Header: []string{"Service", "Port", "Security", "Note"}}
	for _, e := range endpoints {
		s.Rows = append(s.Rows, []string{e.Service, fmt.Sprint(e.Port), e.Security, e.Note})
	}
	return s
}

// answerWords is a flip's answer for people: the protocol, or that no
// option would meet every constraint.
func answerWords(a string) string {
	if a == advisor.AnswerNone {
		return "no option fits"
	}
	return strings.ToUpper(a)
}

// breakEvenSection lists the changes that flip the answer; the inputs
// that cannot flip it within their allowed range are named on one line.
func breakEvenSection(res *advisor.Result) section {
	s := section{Title: "What would change the answer", Header: []string{"Input", "Now", "Change", "Flips to"}}
	var steady []string
	for _, b := range res.BreakEven {
		if b.At == nil {
			steady = append(steady, b.Input)
			continue
		}
		now := "unset"
		if b.Current != nil {
			now = num(*b.Current)
		}
		change := ">= " + num(*b.At)
		if b.Direction == "at_or_below" {
			change = "<= " + num(*b.At)
		}
		if b.Until != nil {
			change += ", until " + num(*b.Until)
		}
		s.Rows = append(s.Rows, []string{b.Input, now, change, answerWords(b.FlipsTo)})
	}
	for _, w := range res.WhatIf {
		s.Rows = append(s.Rows, []string{w.Input, "", "set to " + w.Value, answerWords(w.FlipsTo)})
	}
	if len(s.Rows) == 0 {
		s.Header = nil
		s.Lines = append(s.Lines, "No single change of an input flips the answer.")
	}
	if len(steady) > 0 {
		s.Lines = append(s.Lines, "No flip within the allowed range: "+strings.Join(steady, ", ")+".")
	}
	return s
}

// exact prints a parameter as it was given, every digit kept.
func exact(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func num(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}
