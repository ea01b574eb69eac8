package main

import (
	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/advisor"
)

func newRulesCmd(io streams) *cobra.Command {
	var (
		output string
		rules  rulesOptions
	)
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rules in force, with their ids, titles and rationale",
		Long: `List the rules in force: the built-in rules, or those of --rules, with
--extra-rules on top. -o yaml prints them in full (condition, points,
reason) as a rules file that --rules and --extra-rules read back; -o json
prints the same rules as a list, each with its source.`,
		Example: `  mailadvisor rules
  mailadvisor rules -o yaml > ours.yaml      # a starting point for your own rules
  mailadvisor rules --extra-rules ours.yaml   # check a rules file loads`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := newPrinter(output, tableWidth(io))
			if err != nil {
				return err
			}
			rs, err := rules.load(io.inputs)
			if err != nil {
				return err
			}
			return p.print(io.out, rulesReport(rs.Rules()))
		},
	}
	addOutputFlag(cmd, &output, "yaml is a rules file")
	rules.addFlags(cmd)
	return cmd
}

func rulesReport(rules []advisor.Rule) report {
	return report{data: rules, yamlData: advisor.RulesFile{Rules: rules}, sections: func() []section {
		s := section{Header: []string{"ID", "Kind", "Effect", "Title", "Rationale"}}
		for _, r := range rules {
			effect := ""
			switch r.Kind {
			case advisor.KindPoints:
				effect = "+" + r.Favours
			case advisor.KindVeto:
				effect = "vetoes " + r.Vetoes
			}
			s.Rows = append(s.Rows, []string{r.ID, r.Kind, effect, r.Title, r.Rationale})
		}
		return []section{s}
	}}
}
