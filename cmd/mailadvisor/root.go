package main

import (
	"github.com/spf13/cobra"
)

const rootLong = `mailadvisor helps choose and set up mail protocols.

It scores IMAP against POP3 for a scenario (users, devices, connectivity,
storage, policies...) and explains every point of the score, the secure
ports to use and which input would change the answer (advise); estimates the
cost and CO2 of each option (cost, carbon) and writes it all as a report for
a client, in English or French (report); writes the files mail apps need
(profile, and batch for many users) and the server's Dovecot, Postfix and DNS
configuration (server); checks the files and servers that already exist
(lint, probe). Encrypted ports only, unless explicitly asked.

Settings come from, in this order: flags, MAILADVISOR_* environment
variables, a config file (--config, or $XDG_CONFIG_HOME/mailadvisor/config.yaml
when it exists), then built-in defaults.

` + exitCodesHelp

// globalOptions are the flags every command shares.
type globalOptions struct {
	configFile string
	noConfig   bool
}

func newRootCmd(io streams) *cobra.Command {
	var global globalOptions
	root := &cobra.Command{
		Use:           "mailadvisor",
		Short:         "Choose between IMAP and POP3 and set them up securely",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       versionString(),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return applySettings(cmd, &global, io.inputs)
		},
	}
	root.SetIn(io.in)
	root.SetOut(io.out)
	root.SetErr(io.err)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return withHint(&usageError{err: err}, "see '"+cmd.CommandPath()+" --help'")
	})
	root.PersistentFlags().StringVar(&global.configFile, "config", "",
		"config file (YAML) with default settings (env MAILADVISOR_CONFIG)")
	root.PersistentFlags().BoolVar(&global.noConfig, "no-config", false, "ignore any config file")
	root.MarkFlagsMutuallyExclusive("config", "no-config")

	root.AddCommand(
		newAdviseCmd(io),
		newCostCmd(io),
		newCarbonCmd(io),
		newReportCmd(io),
		newProfileCmd(io),
		newServerCmd(io),
		newBatchCmd(io),
		newDiscoverCmd(io),
		newLintCmd(io),
		newProbeCmd(io),
		newServeCmd(io),
		newPresetsCmd(io),
		newRulesCmd(io),
		newVersionCmd(io),
	)
	return root
}
