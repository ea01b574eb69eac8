package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/mailadvisor/mailadvisor/internal/atomicfile"
	"github.com/mailadvisor/mailadvisor/internal/mdtext"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// Output formats.
const (
	formatTable    = "table"
	formatJSON     = "json"
	formatYAML     = "yaml"
	formatMarkdown = "markdown"
	formatCSV      = "csv"
	formatHTML     = "html"
)

var outputFormats = []string{formatTable, formatJSON, formatYAML, formatMarkdown}

// csvFormats adds CSV, for the commands whose report has a table for
// spreadsheets.
var csvFormats = []string{formatTable, formatJSON, formatYAML, formatMarkdown, formatCSV}

// addOutputFlag declares --output (-o), with the same help on every
// command; note adds what is particular to this one.
func addOutputFlag(cmd *cobra.Command, target *string, note string) {
	addOutputFlagOf(cmd, target, outputFormats, formatTable, note)
}

// addOutputFlagOf declares --output (-o) with its own formats.
func addOutputFlagOf(cmd *cobra.Command, target *string, formats []string, def, note string) {
	help := "output format: " + strings.Join(formats, ", ")
	if note != "" {
		help += "; " + note
	}
	addChoiceFlag(cmd, target, "output", "o", "format", def, fixed(formats...), help+" (env MAILADVISOR_OUTPUT)")
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
	// csv, when set, is what -o csv prints: a header and rows, numbers
	// written as Go writes them (a point, no grouping) whatever the
	// language, for spreadsheets and scripts.
	csv func() (header []string, rows [][]string)
}

// printer writes a report in one output format.
type printer interface {
	print(w io.Writer, r report) error
}

// newPrinter returns the printer of format; width is what terminal
// tables narrow to (see tableWidth).
func newPrinter(format string, width int) (printer, error) {
	switch format {
	case formatTable:
		return textPrinter{markdown: false, width: width}, nil
	case formatMarkdown:
		return textPrinter{markdown: true}, nil
	case formatJSON:
		return jsonPrinter{}, nil
	case formatYAML:
		return yamlPrinter{}, nil
	case formatCSV:
		return csvPrinter{}, nil
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

type csvPrinter struct{}

func (csvPrinter) print(w io.Writer, r report) error {
	if r.csv == nil {
		return withHint(usagef("output: csv is not available here: want one of %s", strings.Join(outputFormats, ", ")),
			"cost, carbon and advise (one scenario) write CSV")
	}
	header, rows := r.csv()
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// csvNumber is a number in CSV: as Go writes it, every digit kept.
func csvNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// textPrinter renders sections as terminal tables or as Markdown.
type textPrinter struct {
	markdown bool
	// width is the most columns a terminal table takes (0: no limit).
	width int
}

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
			fmt.Fprintf(w, "%s\n", wrapText(s.Title, p.width))
		}
	}
	for _, line := range s.Lines {
		if p.markdown {
			line = "- " + mdtext.Text(line)
		} else {
			line = wrapText(line, p.width)
		}
		fmt.Fprintln(w, line)
	}
	if s.Formula != "" {
		if p.markdown {
			fmt.Fprintln(w, "- Formula: "+mdtext.Code(s.Formula))
		} else {
			fmt.Fprintln(w, wrapText("Formula: "+s.Formula, p.width))
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
		opts = append(opts, tablewriter.WithRowAutoWrap(tw.WrapNormal), tablewriter.WithHeaderAutoWrap(tw.WrapNormal))
		if p.width <= 0 {
			opts = append(opts, tablewriter.WithRowMaxWidth(64))
		} else if widths := fitColumns(s.Header, s.Rows, p.width); widths != nil {
			opts = append(opts, tablewriter.WithColumnWidths(widths))
		}
	}
	// tablewriter wraps at, and collapses, every Unicode space: the
	// no-break spaces of French numbers (2 000 €) go through it as a
	// private-use stand-in of the same width.
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf, opts...)
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
	if err := t.Render(); err != nil {
		return err
	}
	_, err := w.Write(bytes.ReplaceAll(buf.Bytes(), []byte(nbspStandIn), []byte("\u00a0")))
	return err
}

// nbspStandIn stands for a no-break space inside tablewriter.
const nbspStandIn = "\ue000"

// fitColumns gives the columns' widths when the table would be wider than
// width on a terminal: the narrow columns keep their width and the widest
// share what is left, none narrower than its longest word (a table that
// cannot fit then overflows rather than cut words). Nil: no need (or no
// width).
func fitColumns(header []string, rows [][]string, width int) tw.Mapper[int, int] {
	if width <= 0 {
		return nil
	}
	natural := make([]int, len(header)) // the widest line
	word := make([]int, len(header))    // the longest word
	measure := func(i int, cell string) {
		for line := range strings.SplitSeq(cell, "\n") {
			natural[i] = max(natural[i], twwidth.Width(line))
			for _, w := range strings.FieldsFunc(line, isBreak) {
				word[i] = max(word[i], twwidth.Width(w))
			}
		}
	}
	for i, h := range header {
		measure(i, h)
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(natural) {
				measure(i, c)
			}
		}
	}
	avail := width - 3*len(header) - 1 // borders, and a space each side
	sum := func(c int) int {
		total := 0
		for i, n := range natural {
			total += max(word[i], min(n, c))
		}
		return total
	}
	if sum(avail) <= avail {
		return nil
	}
	// The largest cap c at which the columns, cut to c but not below
	// their longest word, fit in avail.
	lo, hi := 1, avail
	for lo < hi {
		c := (lo + hi + 1) / 2
		if sum(c) <= avail {
			lo = c
		} else {
			hi = c - 1
		}
	}
	widths := tw.NewMapper[int, int]()
	for i, n := range natural {
		widths.Set(i, max(word[i], min(n, lo))+2) // tablewriter's widths count the padding
	}
	return widths
}

func toAny(cells []string) []any {
	out := make([]any, len(cells))
	for i, c := range cells {
		out[i] = strings.ReplaceAll(c, "\u00a0", nbspStandIn)
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
	cmd.Flags().BoolVar(target, "force", false, "replace "+what+" (a regular file only: never a link or a device, nor an input of the run)")
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
	s.Title = textcheck.Visible(s.Title)
	s.Lines = visibleAll(s.Lines)
	s.Formula = textcheck.Visible(s.Formula)
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
		out[i] = textcheck.Visible(v)
	}
	return out
}

// wrapText breaks text into lines of at most width columns, between
// words (a word longer than width keeps its own line).
func wrapText(text string, width int) string {
	if width <= 0 || twwidth.Width(text) <= width {
		return text
	}
	var b strings.Builder
	col := 0
	for i, word := range strings.FieldsFunc(text, isBreak) {
		ww := twwidth.Width(word)
		switch {
		case i == 0:
		case col+1+ww > width:
			b.WriteByte('\n')
			col = 0
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += ww
	}
	return b.String()
}

// isBreak tells where text may wrap: at a space, never at a no-break
// space (2 000 €).
func isBreak(r rune) bool { return r == ' ' || r == '\t' }
