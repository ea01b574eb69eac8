package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// A flag typed the way people slip, for every flag of every command (the
// command tree, not a list): one letter short, the field's own spelling
// with underscores, or one letter wrong; the error hints the flag meant
// and exits 2.
func TestMistypedFlagsSuggest(t *testing.T) {
	var walk func(*cobra.Command)
	tried := 0
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		if cmd.Hidden || !cmd.Runnable() || cmd.Name() == "help" || cmd.Name() == "completion" || cmd.HasParent() && cmd.Parent().Name() == "completion" {
			return
		}
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || len(f.Name) < 5 || f.Name == "help" {
				return
			}
			for _, typo := range []string{f.Name[:len(f.Name)-1], strings.ReplaceAll(f.Name, "-", "_"), f.Name[:2] + "x" + f.Name[3:]} {
				if typo == f.Name || cmd.Flags().Lookup(typo) != nil {
					continue
				}
				args := append(strings.Fields(strings.TrimPrefix(cmd.CommandPath(), "mailadvisor")), "--"+typo+"=1")
				_, stderr, code := runCLI(t, args...)
				tried++
				if code != exitUsage || !strings.Contains(stderr, "did you mean") || !strings.Contains(stderr, "--"+f.Name) {
					t.Errorf("mailadvisor %s: exit %d, want 2 and a hint naming --%s\n%s", strings.Join(args, " "), code, f.Name, stderr)
				}
			}
		})
	}
	walk(newRootCmd(streams{}))
	if tried < 100 {
		t.Errorf("only %d typos tried: the walk missed the command tree", tried)
	}
	t.Logf("%d typos tried", tried)
}
