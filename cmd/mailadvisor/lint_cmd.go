package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/lint"
)

type lintOptions struct {
	io        streams
	output    string
	failOn    string
	listRules bool
}

func newLintCmd(io streams) *cobra.Command {
	opts := &lintOptions{io: io}
	cmd := &cobra.Command{
		Use:   "lint FILE...",
		Short: "Check existing mail files: client profiles, Dovecot, Postfix, DNS zones",
		Long: `Check mail files someone already has, recognised by their content: a
Thunderbird autoconfig file, an Apple .mobileconfig (signed or not), an
Outlook autodiscover response, dovecot.conf, Postfix main.cf or master.cf,
or a DNS zone file. Each finding gives the file and line, the rule, its
severity (error, warning, info), what is wrong and the fix.

The rules read the files as the clients' own parsers do (Thunderbird and
Thunderbird for Android do not trim values; Android rejects a whole file
for one cleartext entry) and check the servers against what 'mailadvisor
server' writes: no cleartext logins, TLS 1.2 or later, no open relay,
senders bound to their login, recipients checked, DKIM signing, valid SPF
and DMARC. 'mailadvisor lint --list-rules' lists them.

Exit status: 0 when no finding reaches --fail-on (error by default), 1 when
one does, 2 when a file cannot be read or recognised (the other files are
still checked).`,
		Example: `  mailadvisor lint config-v1.1.xml
  mailadvisor lint /etc/dovecot/dovecot.conf /etc/postfix/main.cf /etc/postfix/master.cf
  mailadvisor lint --fail-on warning -o json example.com.zone | jq '.[].rule'
  mailadvisor lint --list-rules`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.listRules {
				if len(args) > 0 {
					return usagef("--list-rules takes no file")
				}
				if opts.output == formatJSON {
					return jsonPrinter{}.print(opts.io.out, report{data: lint.Rules()})
				}
				return lint.WriteRules(opts.io.out)
			}
			if len(args) == 0 {
				return withHint(usagef("lint: no file given"), "mailadvisor lint FILE..., or --list-rules")
			}
			return runLint(opts, args)
		},
	}
	addOutputFlagOf(cmd, &opts.output, []string{formatTable, formatJSON}, formatTable, "table: one finding a line, with its fix")
	addChoiceFlag(cmd, &opts.failOn, "fail-on", "", "severity", "error", fixed("error", "warning", "info"),
		"exit 1 when a finding is at least this severe: error, warning or info")
	cmd.Flags().BoolVar(&opts.listRules, "list-rules", false, "list the rules with their severity, why they matter and the fix")
	return cmd
}

func runLint(opts *lintOptions, files []string) error {
	if opts.output != formatTable && opts.output != formatJSON {
		return usagef("output: invalid value %q: want one of table, json", opts.output)
	}
	failOn, err := lint.ParseSeverity(opts.failOn)
	if err != nil {
		return usagef("--fail-on: %v", err)
	}
	var all []lint.Finding
	var unreadable []string
	for _, name := range files {
		data, err := opts.io.inputs.read("file", name, opts.io.in)
		if err != nil {
			fmt.Fprintf(opts.io.err, "mailadvisor: %v\n", err)
			unreadable = append(unreadable, textcheck.Visible(name))
			continue
		}
		lopts, closeDir := includeDir(name)
		_, findings, err := lint.LintWith(name, data, lopts)
		closeDir()
		if err != nil {
			fmt.Fprintf(opts.io.err, "mailadvisor: %s: %v\n", textcheck.Visible(name), err)
			unreadable = append(unreadable, textcheck.Visible(name))
			continue
		}
		all = append(all, findings...)
	}
	if opts.output == formatJSON {
		err = lint.WriteJSON(opts.io.out, all)
	} else {
		err = lint.WriteText(opts.io.out, all)
	}
	if err != nil {
		return err
	}
	if opts.output == formatTable {
		fmt.Fprintf(opts.io.err, "%d error(s), %d warning(s), %d info in %d file(s)\n",
			lint.Count(all, lint.Error), lint.Count(all, lint.Warning)-lint.Count(all, lint.Error),
			lint.Count(all, lint.Info)-lint.Count(all, lint.Warning), len(files)-len(unreadable))
	}
	if len(unreadable) > 0 {
		return usagef("could not check %s", strings.Join(unreadable, ", "))
	}
	if n := lint.Count(all, failOn); n > 0 {
		return &findingsError{n: n}
	}
	return nil
}

// includeDir is what lint may read beside the file name: its directory,
// opened as a root that no path or symbolic link leaves, for the files it
// includes (nothing for standard input).
func includeDir(name string) (lint.Options, func()) {
	if name == "-" {
		return lint.Options{}, func() {}
	}
	dir, err := filepath.Abs(filepath.Dir(name))
	if err != nil {
		return lint.Options{}, func() {}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return lint.Options{}, func() {}
	}
	return lint.Options{Dir: root.FS(), DirPath: filepath.ToSlash(dir)}, func() { _ = root.Close() }
}
