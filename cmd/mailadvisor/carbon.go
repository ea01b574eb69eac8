package main

import (
	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/carbon"
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
				_, err := opts.io.out.Write(carbon.DefaultsYAML())
				return err
			}
			return runEstimate(cmd.Context(), opts, func(m advisor.Models, s advisor.Scenario) (report, error) {
				e, err := m.Carbon.Estimate(m.CarbonInput(&s), m.CarbonModel)
				if err != nil {
					return report{}, usagef("%v", err)
				}
				return report{data: e, sections: func() []section { return carbonSections(e) }}, nil
			})
		},
	}
	addEstimateFlags(cmd, opts)
	return cmd
}

func carbonSummarySection(e *carbon.Estimate) section {
	s := section{Title: "CO2 per year (kg CO2e)", Lines: []string{"Note: " + e.Note + "."},
		Header: []string{"Model", "POP3 org", "IMAP org", "POP3/user", "IMAP/user", "Used"}}
	for _, m := range e.Models {
		used := ""
		if m.Default {
			used = "yes"
		}
		s.Rows = append(s.Rows, []string{m.Model, grouped(m.POP3KgPerYear), grouped(m.IMAPKgPerYear),
			num(m.POP3KgPerUserYear), num(m.IMAPKgPerUserYear), used})
		if m.Warning != "" {
			s.Lines = append(s.Lines, m.Model+": "+m.Warning+".")
		}
	}
	return s
}

func carbonSections(e *carbon.Estimate) []section {
	out := []section{carbonSummarySection(e)}
	for _, m := range e.Models {
		s := section{Title: m.Model + ": " + m.Description, Formula: m.Formula,
			Header: []string{"Parameter", "Value", "Unit", "Source"}}
		for _, p := range m.Parameters {
			s.Rows = append(s.Rows, []string{p.Name, exact(p.Value), p.Unit, p.Source})
		}
		out = append(out, s)
	}
	return out
}
