package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo is what `mailadvisor version -o json` prints.
type versionInfo struct {
	Version  string `json:"version" yaml:"version"`
	Revision string `json:"revision,omitempty" yaml:"revision,omitempty"`
	Go       string `json:"go" yaml:"go"`
}

// buildVersion reads the module version and VCS revision from build info.
func buildVersion() versionInfo {
	v := versionInfo{Version: "(devel)", Go: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if info.Main.Version != "" {
		v.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			v.Revision = s.Value
		}
	}
	return v
}

func versionString() string {
	v := buildVersion()
	s := "mailadvisor " + v.Version
	if v.Revision != "" {
		s += " (" + v.Revision + ")"
	}
	return s + " " + v.Go
}

func newVersionCmd(io streams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, from the build information",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == formatTable {
				_, err := fmt.Fprintln(io.out, versionString())
				return err
			}
			p, err := newPrinter(output, tableWidth(io))
			if err != nil {
				return err
			}
			return p.print(io.out, report{data: buildVersion(), sections: func() []section {
				return []section{{Title: "mailadvisor", Lines: []string{versionString()}}}
			}})
		},
	}
	addOutputFlag(cmd, &output, "table is one line")
	return cmd
}
