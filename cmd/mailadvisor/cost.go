package main

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/costmodel"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
	"github.com/mailadvisor/mailadvisor/internal/wording"
)

type estimateOptions struct {
	io            streams
	scenario      scenarioInput
	models        modelOptions
	output        string
	lang          langOption
	printDefaults bool
	params        string
	paramsKey     string // the setting that --params stands for
}

func newCostCmd(io streams) *cobra.Command {
	opts := &estimateOptions{io: io, paramsKey: "cost-params"}
	cmd := &cobra.Command{
		Use:   "cost",
		Short: "Estimate the yearly cost and total cost of ownership of each mail option",
		Long: `Estimate what self-hosted POP3, self-hosted IMAP and hosted IMAP cost per year
and over a horizon (--years), with the one-off hidden costs the source article
lists: training, migration, backup set-up and a contingency for changing needs.
Every line shows its formula, its inputs and where its default comes from.

The defaults reproduce the article: 50 users cost 2,000 EUR a year with POP3
and 8,000 EUR with IMAP. Change any parameter with a file:
  mailadvisor cost --print-defaults > costs.yaml   # edit, keep what you change
  mailadvisor cost --params costs.yaml

The scenario comes from the same flags, files and presets as 'advise'.`,
		Example: `  mailadvisor cost
  mailadvisor cost --users 120 --devices-per-user 3 --years 5 -o json
  mailadvisor cost --params costs.yaml -o markdown`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.printDefaults {
				return printDefaults(cmd, opts, costmodel.DefaultsYAML())
			}
			return runEstimate(cmd.Context(), opts, func(m advisor.Models, s advisor.Scenario, lp *l10n.Printer) (report, error) {
				e, err := m.Cost.Estimate(m.CostInput(&s))
				if err != nil {
					return report{}, err
				}
				return report{data: e, sections: func() []section { return costSections(e, lp) },
					csv: func() ([]string, [][]string) { return costCSV(e) }}, nil
			})
		},
	}
	addEstimateFlags(cmd, opts)
	return cmd
}

// printDefaults writes the default parameters: the commented YAML file
// to edit (-o yaml, or no -o), or the same values as JSON (-o json),
// which --params reads back too. The other formats are for reports: on
// the command line they are refused, as a default from MAILADVISOR_OUTPUT
// or the config file they give the YAML file.
func printDefaults(cmd *cobra.Command, opts *estimateOptions, defaults []byte) error {
	switch {
	case opts.output == formatJSON:
		var v any
		if err := yaml.Unmarshal(defaults, &v); err != nil {
			return err
		}
		return jsonPrinter{}.print(opts.io.out, report{data: v})
	case opts.output == formatYAML || !onCommandLine(cmd, "output"):
		_, err := opts.io.out.Write(defaults)
		return err
	}
	return withHint(usagef("--output: --print-defaults writes a parameters file, as yaml or json, not %s", opts.output),
		"leave out -o for the YAML file to edit, or give -o json")
}

// addEstimateFlags adds the flags that cost and carbon share.
func addEstimateFlags(cmd *cobra.Command, opts *estimateOptions) {
	addOutputFlagOf(cmd, &opts.output, csvFormats, formatTable, "")
	opts.lang.addFlag(cmd)
	cmd.Flags().BoolVar(&opts.printDefaults, "print-defaults", false, "print the default parameters, with their sources, as a YAML file to edit")
	opts.scenario.addFlags(cmd)
	which := costModel
	if opts.paramsKey == "carbon-params" {
		which = carbonModels
	}
	opts.models.addFlags(cmd, which)
	cmd.Flags().StringVar(&opts.params, "params", "", "parameters file (YAML), on top of the defaults (same as --"+opts.paramsKey+")")
	cmd.MarkFlagsMutuallyExclusive("params", opts.paramsKey)
}

// runEstimate loads the scenario and the models, and prints the report
// that build makes of them.
func runEstimate(_ context.Context, opts *estimateOptions, build func(advisor.Models, advisor.Scenario, *l10n.Printer) (report, error)) error {
	if opts.params != "" {
		if opts.paramsKey == "cost-params" {
			opts.models.costParams = opts.params
		} else {
			opts.models.carbonParams = opts.params
		}
	}
	p, err := newPrinter(opts.output, tableWidth(opts.io))
	if err != nil {
		return err
	}
	lp := opts.lang.printer()
	s, _, err := opts.scenario.loadFitted(opts.io)
	if err != nil {
		return err
	}
	m, err := opts.models.load(opts.io.inputs)
	if err != nil {
		return err
	}
	r, err := build(m, s, lp)
	if err != nil {
		return err
	}
	return p.print(opts.io.out, r)
}

func costSummarySection(e *costmodel.Estimate, lp *l10n.Printer) section {
	s := section{Title: lp.T("Cost (%s, total over %s years)", e.Currency, strconv.Itoa(e.Years)),
		Header: []string{lp.T("Option"), lp.T("Per year"), lp.T("One-off"), lp.T("Total, %s years", strconv.Itoa(e.Years)), lp.T("Per user and month")}}
	for _, o := range e.Options {
		s.Rows = append(s.Rows, []string{o.Option, lp.Amount(o.Yearly, e.Currency), lp.Amount(o.OneOff, e.Currency),
			lp.Amount(o.TCO, e.Currency), lp.AmountDecimals(o.PerUserMonth, e.Currency, 2)})
	}
	pop, _ := e.Option(costmodel.POP3Hosted)
	imap, _ := e.Option(costmodel.IMAPHosted)
	if pop.Yearly == imap.Yearly {
		s.Lines = []string{lp.T("With a provider, POP3 and IMAP cost the same mailbox: %s a year; the self-hosted rows are the cost of running a server.",
			lp.Amount(pop.Yearly, e.Currency))}
	}
	return s
}

// kindWords says whether a cost line comes every year or once.
func kindWords(lp *l10n.Printer, kind string) string {
	if kind == costmodel.OneOff {
		return lp.T("one-off")
	}
	return lp.T("yearly")
}

func costSections(e *costmodel.Estimate, lp *l10n.Printer) []section {
	out := []section{costSummarySection(e, lp)}
	for _, o := range e.Options {
		s := section{Title: wording.Option(lp, o.Option) + " (" + o.Option + ")",
			Header:      []string{lp.T("Item"), lp.T("Kind"), lp.T("Formula"), lp.T("Inputs"), e.Currency, lp.T("Source")},
			CodeColumns: []int{2}}
		for _, l := range o.Breakdown {
			s.Rows = append(s.Rows, []string{lp.T(l.Item), kindWords(lp, l.Kind), l.Formula, l.Inputs, lp.Amount(l.Amount, e.Currency), l.Source})
		}
		out = append(out, s)
	}
	return out
}

// costCSV is one row per breakdown line of every option.
func costCSV(e *costmodel.Estimate) ([]string, [][]string) {
	header := []string{"option", "item", "kind", "formula", "inputs", "amount", "currency", "yearly", "one_off", "tco", "years", "source"}
	var rows [][]string
	for _, o := range e.Options {
		for _, l := range o.Breakdown {
			rows = append(rows, []string{o.Option, l.Item, l.Kind, l.Formula, l.Inputs, csvNumber(l.Amount), e.Currency,
				csvNumber(o.Yearly), csvNumber(o.OneOff), csvNumber(o.TCO), strconv.Itoa(e.Years), l.Source})
		}
	}
	return header, rows
}
