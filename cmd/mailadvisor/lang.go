package main

import (
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// langOption is --lang: the language of the text for people. It checks
// the value when set, so that a bad MAILADVISOR_LANG or config file value
// is named as such.
type langOption struct{ lang l10n.Lang }

func (o *langOption) String() string { return string(o.lang) }
func (o *langOption) Type() string   { return "lang" }
func (o *langOption) Set(v string) error {
	if v == "" {
		o.lang = ""
		return nil
	}
	l, err := l10n.Parse(v)
	if err != nil {
		return err
	}
	o.lang = l
	return nil
}

func (o *langOption) addFlag(cmd *cobra.Command) {
	cmd.Flags().Var(o, "lang", "language of the text for people: "+l10n.LangNames()+
		" (default: from LC_ALL, LC_MESSAGES or LANG; env MAILADVISOR_LANG); JSON, YAML and CSV stay English")
	_ = cmd.RegisterFlagCompletionFunc("lang", cobra.FixedCompletions([]string{"en", "fr"}, cobra.ShellCompDirectiveNoFileComp))
}

// printer is the language asked for (checked when the flag was set), or
// the locale's.
func (o *langOption) printer() *l10n.Printer {
	if o.lang == "" {
		return l10n.New(l10n.FromEnv(os.Getenv))
	}
	return l10n.New(o.lang)
}

// tableWidth is the width tables and text narrow to: the terminal's,
// else $COLUMNS; 0 (no limit, cells wrap at 64 columns) for a file or a
// pipe, which some other program reads.
func tableWidth(io streams) int {
	if io.width > 0 {
		return io.width
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n >= 20 {
		return n
	}
	return 0
}
