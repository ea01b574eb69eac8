package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// noArgs refuses positional arguments, and explains the usual cause: a
// yes/no flag given its value after a space (--central-backup false), which
// the flag parser reads as --central-backup (true) and an argument "false".
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var bools []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Value.Type() == "bool" {
			bools = append(bools, "--"+f.Name)
		}
	})
	switch v := strings.ToLower(args[0]); {
	case (v == "true" || v == "false" || v == "yes" || v == "no") && len(bools) > 0:
		return withHint(usagef("unexpected argument %q: a yes/no flag takes its value after '=': %s=%s",
			args[0], bools[len(bools)-1], v), "a yes/no flag alone means true: --flag, --flag=true or --flag=false")
	default:
		return withHint(usagef("unexpected argument %q: %s takes no arguments", args[0], cmd.CommandPath()),
			"see '"+cmd.CommandPath()+" --help'")
	}
}

// oneArgOf wants exactly one argument, one of choices (what the command
// writes), and says which exist when it is missing or wrong.
func oneArgOf(what string, choices []string, example string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		list := strings.Join(choices, ", ")
		switch {
		case len(args) == 0:
			return withHint(usagef("which %s? want one of %s", what, list), "for example: "+example)
		case len(args) > 1:
			return withHint(usagef("one %s at a time, got %d: %s", what, len(args), strings.Join(args, " ")),
				fmt.Sprintf("flags start with --; run %s once per %s", cmd.CommandPath(), what))
		case !slices.Contains(choices, args[0]):
			return usagef("%s: invalid value %q: want one of %s", what, args[0], list)
		}
		return nil
	}
}

// oneArg wants exactly one argument, named what in the errors.
func oneArg(what, example string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) == 0:
			return withHint(usagef("no %s given", what), "for example: "+example)
		case len(args) > 1:
			return withHint(usagef("one %s at a time, got %d: %s", what, len(args), strings.Join(args, " ")),
				"flags start with --")
		}
		return nil
	}
}
