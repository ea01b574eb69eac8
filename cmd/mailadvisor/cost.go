package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/costmodel"
)

type estimateOptions struct {
	io            streams
	scenario      scenarioInput
	models        modelOptions
	output        string
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
				_, err := opts.io.out.Write(costmodel.DefaultsYAML())
				return err
			}
			return runEstimate(cmd.Context(), opts, func(m advisor.Models, s advisor.Scenario) (report, error) {
				e, err := m.Cost.Estimate(m.CostInput(&s))
				if err != nil {
					return report{}, err
				}
				return report{data: e, sections: func() []section { return costSections(e) }}, nil
			})
		},
	}
	addEstimateFlags(cmd, opts)
	return cmd
}

// addEstimateFlags adds the flags that cost and carbon share.
func addEstimateFlags(cmd *cobra.Command, opts *estimateOptions) {
	addOutputFlag(cmd, &opts.output, "")
	cmd.Flags().BoolVar(&opts.printDefaults, "print-defaults", false, "print the default parameters, with their sources, as a YAML file to edit")
	opts.scenario.addFlags(cmd)
	opts.models.addFlags(cmd)
	cmd.Flags().StringVar(&opts.params, "params", "", "parameters file (YAML), on top of the defaults (same as --"+opts.paramsKey+")")
	cmd.MarkFlagsMutuallyExclusive("params", opts.paramsKey)
}

// runEstimate loads the scenario and the models, and prints the report
// that build makes of them.
func runEstimate(_ context.Context, opts *estimateOptions, build func(advisor.Models, advisor.Scenario) (report, error)) error {
	if opts.params != "" {
		if opts.paramsKey == "cost-params" {
			opts.models.costParams = opts.params
		} else {
			opts.models.carbonParams = opts.params
		}
	}
	p, err := newPrinter(opts.output)
	if err != nil {
		return err
	}
	s, _, err := opts.scenario.loadFitted(opts.io.in)
	if err != nil {
		return err
	}
	m, err := opts.models.load()
	if err != nil {
		return err
	}
	r, err := build(m, s)
	if err != nil {
		return err
	}
	return p.print(opts.io.out, r)
}

func costSummarySection(e *costmodel.Estimate) section {
	s := section{Title: fmt.Sprintf("Cost (%s, total over %d years)", e.Currency, e.Years),
		Header: []string{"Option", "Per year", "One-off", fmt.Sprintf("TCO %dy", e.Years), "Per user/month"}}
	for _, o := range e.Options {
		s.Rows = append(s.Rows, []string{o.Option, grouped(o.Yearly), grouped(o.OneOff), grouped(o.TCO), num(o.PerUserMonth)})
	}
	pop, _ := e.Option(costmodel.POP3Hosted)
	imap, _ := e.Option(costmodel.IMAPHosted)
	if pop.Yearly == imap.Yearly {
		s.Lines = []string{fmt.Sprintf("With a provider, POP3 and IMAP cost the same mailbox: %s %s a year; the self-hosted rows are the cost of running a server.",
			grouped(pop.Yearly), e.Currency)}
	}
	return s
}

func costSections(e *costmodel.Estimate) []section {
	out := []section{costSummarySection(e)}
	for _, o := range e.Options {
		s := section{Title: o.Label + " (" + o.Option + ")", Header: []string{"Item", "Kind", "Formula", "Inputs", e.Currency, "Source"},
			CodeColumns: []int{2}}
		for _, l := range o.Breakdown {
			s.Rows = append(s.Rows, []string{l.Item, l.Kind, l.Formula, l.Inputs, grouped(l.Amount), l.Source})
		}
		out = append(out, s)
	}
	return out
}

// grouped prints an amount with thousands separators and no needless cents.
func grouped(v float64) string {
	return strings.TrimSuffix(groupPrinter.Sprintf("%.2f", v), ".00")
}

var groupPrinter = message.NewPrinter(language.English)
