package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
	baseline  string
	pacc      []string
}

func newLintCmd(io streams) *cobra.Command {
	opts := &lintOptions{io: io}
	cmd := &cobra.Command{
		Use:   "lint FILE|DIR...",
		Short: "Check existing mail files: client profiles, Dovecot, Postfix, DNS zones",
		Long: `Check mail files someone already has, recognised by their content: a
Thunderbird autoconfig file, an Apple .mobileconfig (signed or not), an
Outlook autodiscover response, dovecot.conf, Postfix main.cf or master.cf,
a DNS zone file, a fail2ban jail file, or a PACC document
(user-agent-configuration.json). Each finding gives the file and line, the rule, its
severity (error, warning, info), what is wrong and the fix.

The rules read the files as the clients' own parsers do (Thunderbird and
Thunderbird for Android do not trim values; Android rejects a whole file
for one cleartext entry) and check the servers against what 'mailadvisor
server' writes: no cleartext logins, TLS 1.2 or later, no open relay,
senders bound to their login, recipients checked, DKIM signing, valid SPF
and DMARC. 'mailadvisor lint --list-rules' lists them.

A directory is walked (hidden entries and symbolic links left out) and each
file lint recognises is checked; the others are counted, not refused.
--baseline LAST.json (an earlier 'lint -o json' of the same files) marks
the findings that are new and lists those that are gone, and only new ones
count for --fail-on.

--pacc-record "v=UAAC1; a=sha256; d=..." (the TXT record of
_ua-auto-config.DOMAIN, repeatable) is what a PACC document's SHA-256 is
checked against, as clients check it: one changed byte and they ignore it.

Exit status: 0 when no finding reaches --fail-on (error by default), 1 when
one does, 2 when a file cannot be read or recognised (the other files are
still checked).`,
		Example: `  mailadvisor lint config-v1.1.xml
  mailadvisor lint /etc/dovecot/dovecot.conf /etc/postfix/main.cf /etc/postfix/master.cf
  mailadvisor lint --fail-on warning -o json example.com.zone | jq '.[].rule'
  mailadvisor lint --list-rules
  mailadvisor lint --pacc-record "$(dig +short TXT _ua-auto-config.example.com)" user-agent-configuration.json

  # A hoster's tree of files, against last week's findings
  mailadvisor lint -o json /srv/mail-config > this-week.json
  mailadvisor lint --baseline this-week.json /srv/mail-config`,
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
	cmd.Flags().StringArrayVar(&opts.pacc, "pacc-record", nil, "a TXT record of _ua-auto-config.DOMAIN (v=UAAC1; a=sha256; d=...) that PACC documents are checked against; repeatable")
	cmd.Flags().StringVar(&opts.baseline, "baseline", "", "an earlier 'lint -o json' of the same files: mark new findings, list the fixed ones; only new ones count for --fail-on")
	return cmd
}

func runLint(opts *lintOptions, args []string) error {
	if opts.output != formatTable && opts.output != formatJSON {
		return usagef("output: invalid value %q: want one of table, json", opts.output)
	}
	failOn, err := lint.ParseSeverity(opts.failOn)
	if err != nil {
		return usagef("--fail-on: %v", err)
	}
	var baseline []lint.Finding
	if opts.baseline != "" {
		data, err := opts.io.inputs.read("baseline", opts.baseline, nil)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &baseline); err != nil {
			return usagef("--baseline %s: not the output of 'lint -o json' (%v)", textcheck.Visible(opts.baseline), err)
		}
	}
	files, others, err := lintFiles(args)
	if err != nil {
		return err
	}
	var all []lint.Finding
	var unreadable []string
	for _, f := range files {
		name := f.path
		data, err := opts.io.inputs.read("file", name, opts.io.in)
		if err != nil {
			fmt.Fprintf(opts.io.err, "mailadvisor: %v\n", err)
			unreadable = append(unreadable, textcheck.Visible(name))
			continue
		}
		lopts, closeDir := includeDir(name)
		lopts.PACCRecords = opts.pacc
		_, findings, err := lint.LintWith(name, data, lopts)
		closeDir()
		if errors.Is(err, lint.ErrUnknownKind) && f.walked {
			others++ // a file in a tree that is no mail file
			continue
		}
		if err != nil {
			fmt.Fprintf(opts.io.err, "mailadvisor: %s: %v\n", textcheck.Visible(name), err)
			unreadable = append(unreadable, textcheck.Visible(name))
			continue
		}
		all = append(all, findings...)
	}
	counted := all
	var fixed []lint.Finding
	if opts.baseline != "" {
		all, fixed = lint.Diff(baseline, all)
		counted = nil
		for _, f := range all {
			if f.Change == "new" {
				counted = append(counted, f)
			}
		}
	}
	if opts.output == formatJSON {
		err = lint.WriteJSON(opts.io.out, append(all, fixed...))
	} else {
		err = lint.WriteText(opts.io.out, append(all, fixed...))
	}
	if err != nil {
		return err
	}
	if opts.output == formatTable {
		checked := len(files) - len(unreadable) - others
		fmt.Fprintf(opts.io.err, "%d error(s), %d warning(s), %d info in %d file(s)",
			lint.Count(all, lint.Error), lint.Count(all, lint.Warning)-lint.Count(all, lint.Error),
			lint.Count(all, lint.Info)-lint.Count(all, lint.Warning), checked)
		if others > 0 {
			fmt.Fprintf(opts.io.err, "; %d other file(s) in the directories are no mail file", others)
		}
		if opts.baseline != "" {
			fmt.Fprintf(opts.io.err, "; against %s: %d new, %d fixed", textcheck.Visible(opts.baseline), len(counted), len(fixed))
		}
		fmt.Fprintln(opts.io.err)
	}
	if len(unreadable) > 0 {
		return usagef("could not check %s", strings.Join(unreadable, ", "))
	}
	if n := lint.Count(counted, failOn); n > 0 {
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

// lintFile is a file to check, and whether it was found walking a
// directory (where a file of another kind is skipped, not refused).
type lintFile struct {
	path   string
	walked bool
}

// maxWalked bounds the files a walk collects.
const maxWalked = 100_000

// lintFiles expands the directories among args into the files under them,
// in order, leaving out hidden entries and symbolic links.
func lintFiles(args []string) ([]lintFile, int, error) {
	var out []lintFile
	for _, a := range args {
		fi, err := os.Stat(a)
		if a == "-" || err != nil || !fi.IsDir() {
			out = append(out, lintFile{path: a})
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case p != a && strings.HasPrefix(d.Name(), "."):
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			case d.Type().IsRegular():
				if len(out) >= maxWalked {
					return fmt.Errorf("over %d files", maxWalked)
				}
				out = append(out, lintFile{path: p, walked: true})
			}
			return nil
		})
		if err != nil {
			return nil, 0, usagef("%s: %v", textcheck.Visible(a), err)
		}
	}
	return out, 0, nil
}
