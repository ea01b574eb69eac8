package main

import (
	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/advisor"
)

func newPresetsCmd(io streams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "presets",
		Short: "List the named scenarios that --preset accepts",
		Example: `  mailadvisor presets
  mailadvisor presets -o yaml   # full scenarios, to copy into a file for -f`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := newPrinter(output, tableWidth(io))
			if err != nil {
				return err
			}
			presets, err := advisor.Presets()
			if err != nil {
				return err
			}
			return p.print(io.out, presetsReport(presets))
		},
	}
	addOutputFlag(cmd, &output, "")
	return cmd
}

func presetsReport(presets []advisor.Preset) report {
	return report{data: presets, sections: func() []section {
		s := section{Header: []string{"Name", "Users", "Devices/user", "Connectivity", "Description"}}
		for _, p := range presets {
			name := p.Name
			if name == advisor.DefaultPreset {
				name += " (default)"
			}
			s.Rows = append(s.Rows, []string{name, num(float64(p.Scenario.Users)), num(p.Scenario.DevicesPerUser),
				p.Scenario.Connectivity, p.Description})
		}
		return []section{s}
	}}
}
