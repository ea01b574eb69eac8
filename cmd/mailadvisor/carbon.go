package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/carbon"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
	"github.com/mailadvisor/mailadvisor/internal/wording"
)

func newCarbonCmd(io streams) *cobra.Command {
	opts := &estimateOptions{io: io, paramsKey: "carbon-params"}
	cmd := &cobra.Command{
		Use:   "carbon",
		Short: "Estimate the yearly CO2 of POP3 and IMAP with three models side by side",
		Long: `Estimate the yearly CO2 of reading mail over POP3 and over IMAP, per user and
for the organisation, with three published methods side by side, because they
disagree by two to three orders of magnitude:

  per-message   the article's 4 g per email and 50 g with a large attachment,
                IMAP scaled by synchronised devices and years on the server
                (the default, used by 'advise')
  seed-literal  the article's rule taken literally: IMAP = POP3 x devices x
                retention years; no measurement supports it
  bytes         energy per GB transferred and stored (Sustainable Web Design
                model v4) on the region's grid

Every parameter shows its source. Change any of them with a file:
  mailadvisor carbon --print-defaults > co2.yaml   # edit, keep what you change
  mailadvisor carbon --params co2.yaml`,
		Example: `  mailadvisor carbon
  mailadvisor carbon --region WORLD --devices-per-user 3 -o json
  mailadvisor advise --carbon-model bytes   # let the bytes model weigh in the advice`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.printDefaults {
				return printDefaults(cmd, opts, carbon.DefaultsYAML())
			}
			return runEstimate(cmd.Context(), opts, func(m advisor.Models, s advisor.Scenario, lp *l10n.Printer) (report, error) {
				e, err := m.Carbon.Estimate(m.CarbonInput(&s), m.CarbonModel)
				if err != nil {
					return report{}, usagef("%v", err)
				}
				return report{data: e, sections: func() []section { return carbonSections(e, lp) },
					csv: func() ([]string, [][]string) { return carbonCSV(e) }}, nil
			})
		},
	}
	addEstimateFlags(cmd, opts)
	return cmd
}

func carbonSummarySection(e *carbon.Estimate, lp *l10n.Printer) section {
	s := section{Title: lp.T("CO2 per year (kg CO2e)"), Lines: []string{lp.T("Note: %s.", lp.T(e.Note))},
		Header: []string{lp.T("Model"), lp.T("POP3, organisation"), lp.T("IMAP, organisation"), lp.T("POP3 per user"), lp.T("IMAP per user"), lp.T("Used")}}
	for _, m := range e.Models {
		used := ""
		if m.Default {
			used = lp.T("yes")
		}
		s.Rows = append(s.Rows, []string{m.Model, lp.Number(m.POP3KgPerYear, 1), lp.Number(m.IMAPKgPerYear, 1),
			lp.Number(m.POP3KgPerUserYear, 2), lp.Number(m.IMAPKgPerUserYear, 2), used})
		if m.Warning != "" {
			s.Lines = append(s.Lines, m.Model+": "+lp.T(m.Warning)+".")
		}
	}
	return s
}

func carbonSections(e *carbon.Estimate, lp *l10n.Printer) []section {
	out := []section{carbonSummarySection(e, lp)}
	for _, m := range e.Models {
		s := section{Title: m.Model + ": " + wording.ModelDescription(lp, m.Description), Formula: m.Formula,
			Header: []string{lp.T("Parameter"), lp.T("Value"), lp.T("Unit"), lp.T("Source")}}
		for _, p := range m.Parameters {
			s.Rows = append(s.Rows, []string{p.Name, exact(p.Value), p.Unit, p.Source})
		}
		out = append(out, s)
	}
	return out
}

// carbonCSV is one row per model.
func carbonCSV(e *carbon.Estimate) ([]string, [][]string) {
	header := []string{"model", "used", "pop3_kg_per_year", "imap_kg_per_year", "pop3_kg_per_user_year", "imap_kg_per_user_year", "formula"}
	var rows [][]string
	for _, m := range e.Models {
		rows = append(rows, []string{m.Model, strconv.FormatBool(m.Default), csvNumber(m.POP3KgPerYear), csvNumber(m.IMAPKgPerYear),
			csvNumber(m.POP3KgPerUserYear), csvNumber(m.IMAPKgPerUserYear), m.Formula})
	}
	return header, rows
}
