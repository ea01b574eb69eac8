package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
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
		hint := "see '" + cmd.CommandPath() + " --help'"
		if name, ok := strings.CutPrefix(err.Error(), "unknown flag: --"); ok {
			if near := nearFlags(cmd, name); len(near) > 0 {
				hint = "did you mean --" + strings.Join(near, " or --") + "? " + hint
			}
		}
		return withHint(&usageError{err: err}, hint)
	})
	root.PersistentFlags().StringVar(&global.configFile, "config", "",
		"config file (YAML) with default settings (env MAILADVISOR_CONFIG)")
	root.PersistentFlags().BoolVar(&global.noConfig, "no-config", false, "ignore any config file")
	root.MarkFlagsMutuallyExclusive("config", "no-config")

	root.AddCommand(
		try(newAdviseCmd(io), ""),
		try(newCostCmd(io), ""),
		try(newCarbonCmd(io), ""),
		try(newReportCmd(io), ""),
		try(newProfileCmd(io), "sheet --email me@mailbox.example"),
		try(newServerCmd(io), "all --domain example.com"),
		try(newBatchCmd(io), "-i - --input-format csv --domain example.com --tar -",
			tryStdinAnnotation, "email\nalice@example.com\nbob@example.com\n"),
		try(newDiscoverCmd(io), "--email me@mailbox.example --dns $DNS --ispdb $ISPDB --ca $CA --timeout 5s"),
		try(newLintCmd(io), "-", tryStdinAnnotation, "example.com. 300 IN MX 10 mail.example.com.\n"),
		// Whatever listens on this machine's loopback answers (or nothing
		// does: unreachable, exit 1).
		try(newProbeCmd(io), "127.0.0.1 --timeout 3s", tryExitAnnotation, "0 1"),
		try(newServeCmd(io), "--domain example.com --listen 127.0.0.1:0", daemonAnnotation, "true"),
		try(newPresetsCmd(io), ""),
		try(newRulesCmd(io), ""),
		try(newVersionCmd(io), ""),
	)
	root.SetHelpCommand(try(newHelpCmd(root), "advise"))
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			for _, shell := range c.Commands() {
				try(shell, "")
			}
		}
	}
	return root
}

// newHelpCmd is 'mailadvisor help [COMMAND]': cobra's, but an unknown
// topic is an error (exit 2) rather than the usage on stdout and exit 0.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help about any command: mailadvisor help COMMAND is mailadvisor COMMAND --help.",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, sub := range root.Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 || target == nil || (len(args) > 0 && target == root) {
				return withHint(usagef("unknown help topic %s", textcheck.Quote(strings.Join(args, " "))),
					"run 'mailadvisor help' for the list of commands")
			}
			target.SetOut(c.OutOrStdout())
			return target.Help()
		},
	}
}

// nearFlags are cmd's flags a mistyped --name may have meant: those it
// begins (--budget: --budget-eur-per-year), the field's own spelling
// (--devices_per_user), or within two edits (--user: --users); at most 3.
func nearFlags(cmd *cobra.Command, name string) []string {
	name = strings.ReplaceAll(strings.ToLower(name), "_", "-")
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	var exact, prefix, close []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		switch {
		case f.Name == name:
			exact = append(exact, f.Name)
		case len(name) >= 3 && strings.HasPrefix(f.Name, name):
			prefix = append(prefix, f.Name)
		case editDistance(f.Name, name) <= 2:
			close = append(close, f.Name)
		}
	})
	out := append(append(exact, close...), prefix...)
	return out[:min(len(out), 3)]
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
