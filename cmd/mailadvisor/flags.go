package main

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// choiceFlag is a flag whose value is one of a list, checked when it is
// set: on the command line, by applySettings from a MAILADVISOR_*
// variable or the config file (which then names that origin), or by a
// test. The list is a function, so that a list read from data (presets)
// costs nothing to a run that does not set the flag.
type choiceFlag struct {
	target  *string
	choices func() []string
	typ     string
}

func (c *choiceFlag) String() string { return *c.target }
func (c *choiceFlag) Type() string   { return c.typ }

func (c *choiceFlag) Set(v string) error {
	choices := c.choices()
	if !slices.Contains(choices, v) {
		return fmt.Errorf("want one of %s", strings.Join(choices, ", "))
	}
	*c.target = v
	return nil
}

// Choices lists the values the flag accepts.
func (c *choiceFlag) Choices() []string { return c.choices() }

// addChoiceFlag declares --name (with shorthand, may be "") taking one of
// choices, with def as its default ("" for none, which is then allowed
// only as the default).
func addChoiceFlag(cmd *cobra.Command, target *string, name, shorthand, typ, def string, choices func() []string, help string) *pflag.Flag {
	*target = def
	f := cmd.Flags().VarPF(&choiceFlag{target: target, choices: choices, typ: typ}, name, shorthand, help)
	_ = cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return choices(), cobra.ShellCompDirectiveNoFileComp
	})
	return f
}

// fixed is a choice list known when the flag is declared.
func fixed(values ...string) func() []string { return func() []string { return values } }

// originAnnotation marks a flag that applySettings set from an environment
// variable or the config file, with the words that name that origin.
const originAnnotation = "mailadvisor_origin"

// outputAnnotation marks a flag that names something the command writes:
// "file" or "dir" (the contract test writes through each one).
const outputAnnotation = "mailadvisor_output"

// markOutput marks flag name of cmd as an output of kind ("file", "dir").
func markOutput(cmd *cobra.Command, name, kind string) {
	_ = cmd.Flags().SetAnnotation(name, outputAnnotation, []string{kind})
}

// setOrigin records where the value of f came from.
func setOrigin(f *pflag.Flag, from string) {
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[originAnnotation] = []string{from}
}

// onCommandLine tells whether the flag name was given on the command line
// (not by applySettings).
func onCommandLine(cmd *cobra.Command, name string) bool {
	f := cmd.Flags().Lookup(name)
	return f != nil && f.Changed && len(f.Annotations[originAnnotation]) == 0
}

// origin words where the value of the flag name came from, for an error
// found after the flag was set: "--name", "environment variable
// MAILADVISOR_NAME" or "config file PATH".
func origin(cmd *cobra.Command, name string) string {
	f := cmd.Flags().Lookup(name)
	if f != nil {
		if o := f.Annotations[originAnnotation]; len(o) > 0 {
			return o[0]
		}
	}
	return "--" + name
}

// intRange is an int flag checked when it is set.
type intRange struct {
	target   *int
	min, max int
	words    string // what the values mean, after the range
}

func (r *intRange) String() string { return strconv.Itoa(*r.target) }
func (r *intRange) Type() string   { return "int" }

func (r *intRange) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < r.min || n > r.max {
		return fmt.Errorf("want a whole number from %d to %d%s", r.min, r.max, r.words)
	}
	*r.target = n
	return nil
}

// addIntRangeFlag declares --name, an int from min to max; words say what
// a value means (" (0: one per core)").
func addIntRangeFlag(cmd *cobra.Command, target *int, name string, def, lo, hi int, words, help string) {
	*target = def
	cmd.Flags().Var(&intRange{target: target, min: lo, max: hi, words: words}, name, help)
}

// durationRange is a duration flag checked when it is set.
type durationRange struct {
	target   *time.Duration
	min, max time.Duration
}

func (r *durationRange) String() string { return r.target.String() }
func (r *durationRange) Type() string   { return "duration" }

func (r *durationRange) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d < r.min || d > r.max {
		return fmt.Errorf("want a duration from %s to %s, such as 10s", r.min, r.max)
	}
	*r.target = d
	return nil
}

// addDurationFlag declares --name, a duration from min to max.
func addDurationFlag(cmd *cobra.Command, target *time.Duration, name string, def, lo, hi time.Duration, help string) {
	*target = def
	cmd.Flags().Var(&durationRange{target: target, min: lo, max: hi}, name, help)
}

// How the contract test (contract_test.go) runs each command once as it
// should succeed, read from the command itself so that a new command is
// covered the day it is added, and fails the test until it says how.
const (
	// tryAnnotation holds the arguments after the command's path, space
	// separated; $DNS, $ISPDB and $CA stand for the test's loopback
	// stand-ins for DNS, the ISP database and its CA.
	tryAnnotation = "mailadvisor_try"
	// tryStdinAnnotation is what the run reads on standard input.
	tryStdinAnnotation = "mailadvisor_try_stdin"
	// tryExitAnnotation lists the exit codes the run may end with
	// (default "0"), for a command whose answer depends on the machine.
	tryExitAnnotation = "mailadvisor_try_exit"
	// daemonAnnotation marks a command that runs until it is stopped.
	daemonAnnotation = "mailadvisor_daemon"
)

// try sets how the contract test runs cmd (see tryAnnotation); more are
// pairs of other annotations and their values.
func try(cmd *cobra.Command, args string, more ...string) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[tryAnnotation] = args
	for i := 0; i+1 < len(more); i += 2 {
		cmd.Annotations[more[i]] = more[i+1]
	}
	return cmd
}

// checkedValue is a flag value that refuses a bad value when it is set:
// the contract test gives each one a bad value from every origin.
type checkedValue interface {
	pflag.Value
	checksWhenSet()
}

func (*choiceFlag) checksWhenSet()    {}
func (*intRange) checksWhenSet()      {}
func (*durationRange) checksWhenSet() {}
func (*prefixList) checksWhenSet()    {}
func (*checkedString) checksWhenSet() {}
func (*choiceList) checksWhenSet()    {}

// choiceList is a list flag (comma-separated, repeatable) whose every
// value is one of choices.
type choiceList struct {
	target  *[]string
	choices func() []string
	typ     string
}

func (c *choiceList) String() string { return strings.Join(*c.target, ",") }
func (c *choiceList) Type() string   { return c.typ }

func (c *choiceList) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if !slices.Contains(c.choices(), item) {
			return fmt.Errorf("%s is not one of %s", textcheck.Quote(item), strings.Join(c.choices(), ", "))
		}
		if !slices.Contains(*c.target, item) {
			*c.target = append(*c.target, item)
		}
	}
	return nil
}

// Choices lists the values the flag accepts.
func (c *choiceList) Choices() []string { return c.choices() }

// addChoiceList declares --name, a list of some of choices.
func addChoiceList(cmd *cobra.Command, target *[]string, name, typ string, choices func() []string, help string) {
	cmd.Flags().Var(&choiceList{target: target, choices: choices, typ: typ}, name, help)
	_ = cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return choices(), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
}

// checkedString is a string flag whose check runs when it is set (the
// string check returns, such as a URL without its password, is not used
// here).
type checkedString struct {
	target *string
	typ    string
	check  func(string) (string, error)
}

func (c *checkedString) String() string { return *c.target }
func (c *checkedString) Type() string   { return c.typ }

func (c *checkedString) Set(v string) error {
	if _, err := c.check(v); err != nil {
		return err
	}
	*c.target = v
	return nil
}

// prefixList is a repeatable flag of addresses or CIDR prefixes, each
// checked when it is set.
type prefixList struct {
	target *[]netip.Prefix
}

func (p *prefixList) String() string {
	parts := make([]string, len(*p.target))
	for i, v := range *p.target {
		parts[i] = v.String()
	}
	return strings.Join(parts, ",")
}

func (p *prefixList) Type() string { return "cidr" }

func (p *prefixList) Set(v string) error {
	prefix, err := textcheck.Prefix("", v)
	if err != nil {
		return errors.New("want an address or a CIDR prefix, such as 10.0.0.0/8 or fd00::/8")
	}
	*p.target = append(*p.target, prefix)
	return nil
}
