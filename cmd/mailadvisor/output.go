package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/mailadvisor/mailadvisor/internal/atomicfile"
	"github.com/mailadvisor/mailadvisor/internal/mdtext"
)

// Output formats.
const (
	formatTable    = "table"
	formatJSON     = "json"
	formatYAML     = "yaml"
	formatMarkdown = "markdown"
)

var outputFormats = []string{formatTable, formatJSON, formatYAML, formatMarkdown}

// addOutputFlag declares --output (-o), with the same help on every
// command; note adds what is particular to this one.
func addOutputFlag(cmd *cobra.Command, target *string, note string) {
	help := "output format: " + strings.Join(outputFormats, ", ")
	if note != "" {
		help += "; " + note
	}
	cmd.Flags().StringVarP(target, "output", "o", formatTable, help+" (env MAILADVISOR_OUTPUT)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
}

// section is one titled part of a report for people: some lines of text
// and an optional table.
type section struct {
	Title string
	Lines []string
	// Formula is shown after the lines, as code in Markdown.
	Formula string
	Header  []string
	Rows    [][]string
	// CodeColumns are the columns shown as code in Markdown (formulas):
	// a renderer would take their * and _ for emphasis.
	CodeColumns []int
}

// report is what a command prints: data for scripts (JSON, YAML) and the
// same content as sections for people (table, Markdown).
type report struct {
	data     any
	sections func() []section
	// yamlData, when set, is what -o yaml prints instead of data: a form
	// the tool reads back (a rules file).
	yamlData any
}

// printer writes a report in one output format.
type printer interface {
	print(w io.Writer, r report) error
}

func newPrinter(format string) (printer, error) {
	switch format {
	case formatTable:
		return textPrinter{markdown: false}, nil
	case formatMarkdown:
		return textPrinter{markdown: true}, nil
	case formatJSON:
		return jsonPrinter{}, nil
	case formatYAML:
		return yamlPrinter{}, nil
	default:
		return nil, withHint(usagef("output: invalid value %q: want one of %s", format, strings.Join(outputFormats, ", ")),
			"use -o table for people, -o json for scripts")
	}
}

type jsonPrinter struct{}

func (jsonPrinter) print(w io.Writer, r report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r.data)
}

type yamlPrinter struct{}

func (yamlPrinter) print(w io.Writer, r report) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	data := r.data
	if r.yamlData != nil {
		data = r.yamlData
	}
	if err := enc.Encode(data); err != nil {
		return err
	}
	return enc.Close()
}

// textPrinter renders sections as terminal tables or as Markdown.
type textPrinter struct{ markdown bool }

func (p textPrinter) print(w io.Writer, r report) error {
	for i, s := range r.sections() {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := p.section(w, s); err != nil {
			return err
		}
	}
	return nil
}

func (p textPrinter) section(w io.Writer, s section) error {
	s = visibleSection(s)
	if s.Title != "" {
		if p.markdown {
			fmt.Fprintf(w, "## %s\n\n", mdtext.Text(s.Title))
		} else {
			fmt.Fprintf(w, "%s\n", s.Title)
		}
	}
	for _, line := range s.Lines {
		if p.markdown {
			line = "- " + mdtext.Text(line)
		}
		fmt.Fprintln(w, line)
	}
	if s.Formula != "" {
		if p.markdown {
			fmt.Fprintln(w, "- Formula: "+mdtext.Code(s.Formula))
		} else {
			fmt.Fprintln(w, "Formula: "+s.Formula)
		}
	}
	if len(s.Header) == 0 {
		return nil
	}
	if p.markdown && (len(s.Lines) > 0 || s.Formula != "") {
		fmt.Fprintln(w)
	}
	return p.table(w, s)
}

func (p textPrinter) table(w io.Writer, s section) error {
	opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off)}
	if p.markdown {
		// Markdown cells cannot span lines: never wrap them.
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()), tablewriter.WithRowAutoWrap(tw.WrapNone))
	} else {
		opts = append(opts, tablewriter.WithRowAutoWrap(tw.WrapNormal), tablewriter.WithRowMaxWidth(64))
	}
	t := tablewriter.NewTable(w, opts...)
	header := s.Header
	if p.markdown {
		header = markdownRow(header, nil)
	}
	t.Header(toAny(header)...)
	for _, row := range s.Rows {
		if p.markdown {
			row = markdownRow(row, s.CodeColumns)
		}
		if err := t.Append(toAny(row)...); err != nil {
			return err
		}
	}
	return t.Render()
}

func toAny(cells []string) []any {
	out := make([]any, len(cells))
	for i, c := range cells {
		out[i] = c
	}
	return out
}

// markdownRow makes each cell show as written in a GFM table: code for
// the code columns, escaped text for the others.
func markdownRow(row []string, code []int) []string {
	out := make([]string, len(row))
	for i, c := range row {
		if slices.Contains(code, i) && c != "" {
			out[i] = mdtext.CodeCell(c)
		} else {
			out[i] = mdtext.Text(c)
		}
	}
	return out
}

// addForceFlag declares --force, with the same help on every command.
func addForceFlag(cmd *cobra.Command, target *bool, what string) {
	cmd.Flags().BoolVar(target, "force", false, "replace "+what+" if it exists (a regular file only: never a link or a device)")
}

// createOutput opens path for an atomic write (see internal/atomicfile),
// turning its refusals into usage errors that name the flag.
func createOutput(flag, path string, force bool) (*atomicfile.File, error) {
	f, err := atomicfile.Create(path, force)
	return f, outputError(flag, err)
}

// outputError names the flag of a refused or failed output: a file that
// exists (exit 2, with a hint), a target that is never written (exit 2),
// or an I/O error (exit 1).
func outputError(flag string, err error) error {
	var (
		exists *atomicfile.ExistsError
		target *atomicfile.TargetError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exists):
		return withHint(usagef("--%s: %v", flag, err), "pass --force to replace it")
	case errors.As(err, &target):
		return usagef("--%s: %v", flag, err)
	default:
		return fmt.Errorf("--%s: %w", flag, err)
	}
}

// visibleSection escapes what a terminal would act on or hide instead of
// showing: control characters (escape sequences, carriage returns) and
// format characters (bidi overrides, zero-width spaces), which a rules or
// scenario file could otherwise send to the user's terminal.
func visibleSection(s section) section {
	s.Title = visible(s.Title)
	s.Lines = visibleAll(s.Lines)
	s.Formula = visible(s.Formula)
	s.Header = visibleAll(s.Header)
	rows := make([][]string, len(s.Rows))
	for i, r := range s.Rows {
		rows[i] = visibleAll(r)
	}
	s.Rows = rows
	return s
}

func visibleAll(in []string) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = visible(v)
	}
	return out
}

// visible returns s with control and format characters, and invalid
// UTF-8, written as Go escapes (\x1b, \u202e); other text is unchanged.
func visible(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
