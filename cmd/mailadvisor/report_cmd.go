package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/internal/atomicfile"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	clientreport "github.com/mailadvisor/mailadvisor/report"
)

type reportOptions struct {
	io       streams
	scenario scenarioInput
	rules    rulesOptions
	models   modelOptions
	lang     langOption
	output   string
	out      string
	force    bool
	client   string
	date     string
	draws    int    // --draws, for the section on uncertainty
	seed     uint64 // --seed
	// outputFrom names where --output came from; "" when it was not
	// given, and the format follows --out's extension.
	outputFrom string
}

// reportExtensions are the names --out may end with, and their format.
var reportExtensions = map[string]string{".html": formatHTML, ".htm": formatHTML, ".md": formatMarkdown, ".markdown": formatMarkdown}

// outFormat picks the format from --out's extension when -o was not
// given, and refuses a name the format does not fit.
func (opts *reportOptions) outFormat() error {
	if opts.out == "" {
		return nil
	}
	// An input read so far (the config file) first: that is the mistake.
	if err := opts.io.inputs.refuse("out", opts.out); err != nil {
		return err
	}
	ext := strings.ToLower(filepath.Ext(opts.out))
	format, known := reportExtensions[ext]
	name := textcheck.Visible(opts.out)
	switch {
	case ext == ".pdf":
		return withHint(usagef("--out: %s: the report is written as HTML or Markdown, not PDF", name),
			"write --out report.html, then print it to PDF from a browser (chromium --headless --print-to-pdf=report.pdf report.html)")
	case known && opts.outputFrom == "":
		opts.output = format
	case known && format != opts.output:
		return usagef("--out: %s is a %s file name, but %s asks for %s: give one of them", name, format, opts.outputFrom, opts.output)
	case !known && ext != "" && opts.outputFrom == "":
		return withHint(usagef("--out: %s: cannot tell the format from %q: want .html or .md", name, ext),
			"name the file .html or .md, or give -o html or -o markdown")
	}
	return nil
}

var reportFormats = []string{formatHTML, formatMarkdown}

func newReportCmd(io streams) *cobra.Command {
	opts := &reportOptions{io: io}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the advice, cost and CO2 as a report for a client (HTML or Markdown)",
		Long: `Write a report a consultant can hand to a client: title, client and date; an
executive summary in plain words; the scenario with every input and whether
it was given or assumed; the recommendation with its reasons and a chart of
the scores; the cost of each option per year and over --years, with the
breakdown, the hidden costs and a chart; CO2 under each model with the
method and its caveats; how sure the answer is when every cost and CO2
parameter is drawn within its range (--draws sets, from --seed), with a
tornado chart; what would change the answer; the secure endpoints
and the DNS and TLS checklist; next steps; sources.

HTML (the default) is one self-contained file: inline CSS and SVG charts,
no script and nothing fetched; print it to PDF from a browser. Markdown has
the same content; with --out its charts are SVG files beside it
(NAME-scores.svg, NAME-cost.svg, NAME-co2.svg, NAME-tornado.svg).

The scenario comes from the same flags, files and presets as 'advise'; the
client's name from --client or the scenario file's "client:" line. The
language from --lang, else LC_ALL, LC_MESSAGES or LANG.`,
		Example: `  # Write the client's scenario, then the report
  cat > dupont.yaml <<'EOF'
  client: Dupont & Fils
  users: 35
  devices_per_user: 2.5
  budget_eur_per_year: 4000
  EOF
  mailadvisor report -f dupont.yaml --lang fr --out dupont.html

  # Markdown with its charts as SVG files beside it
  mailadvisor report -f dupont.yaml -o markdown --out dupont.md`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("output") {
				opts.outputFrom = origin(cmd, "output")
			}
			return runReport(cmd.Context(), opts)
		},
	}
	addOutputFlagOf(cmd, &opts.output, reportFormats, formatHTML, "")
	opts.lang.addFlag(cmd)
	cmd.Flags().StringVar(&opts.out, "out", "", "write the report to this file (default: standard output); its extension, .html or .md, gives the format when -o is not given; Markdown charts go beside it")
	markOutput(cmd, "out", "file")
	addForceFlag(cmd, &opts.force, "the report and its chart files if they exist")
	cmd.Flags().StringVar(&opts.client, "client", "", "the client's name, for the title (default: the scenario file's client:)")
	cmd.Flags().StringVar(&opts.date, "date", "", "the report's date, YYYY-MM-DD (default: today)")
	addIntRangeFlag(cmd, &opts.draws, "draws", advisor.DefaultDraws, 1, advisor.MaxDraws, "",
		"parameter sets drawn for the section on uncertainty")
	cmd.Flags().Uint64Var(&opts.seed, "seed", advisor.DefaultSeed, "seed of the draws: the same seed gives the same report")
	opts.rules.addFlags(cmd)
	opts.scenario.addFlags(cmd)
	opts.models.addFlags(cmd, bothModels)
	return cmd
}

func runReport(_ context.Context, opts *reportOptions) error {
	if err := opts.outFormat(); err != nil {
		return err
	}
	date := time.Now()
	if opts.date != "" {
		d, err := time.Parse(time.DateOnly, opts.date)
		if err != nil {
			return usagef("--date: invalid value %q: want a day as YYYY-MM-DD", opts.date)
		}
		date = d
	}
	if err := textcheck.Text("--client", opts.client, 200); err != nil {
		return usagef("%v", err)
	}
	lp := opts.lang.printer()
	adv, res, err := adviseScenario(&opts.scenario, opts.io, &opts.rules, &opts.models,
		advisor.Options{BreakEven: true, Estimates: true, Lang: lp.Lang(),
			Uncertainty: &advisor.UncertaintyOptions{Draws: opts.draws, Seed: opts.seed}})
	if err != nil {
		return err
	}
	client := opts.client
	if client == "" {
		client = res.Scenario.Client
	}
	doc, err := clientreport.New(clientreport.Input{Result: res, Rules: adv.Rules(), Client: client, Date: date,
		Version: buildVersion().Version, Lang: lp.Lang()})
	if err != nil {
		return err
	}
	if opts.out == "" {
		if opts.output == formatHTML {
			return doc.WriteHTML(opts.io.out)
		}
		fmt.Fprintln(opts.io.err, "mailadvisor: note: the charts are left out on standard output: give --out FILE.md to write them beside the Markdown")
		return doc.WriteMarkdown(opts.io.out, nil)
	}
	return writeReportFiles(doc, opts)
}

// writeReportFiles writes the report, and for Markdown its charts beside
// it, as one set: nothing is written if any target is refused.
func writeReportFiles(doc *clientreport.Document, opts *reportOptions) error {
	dirPath, name := filepath.Split(opts.out)
	if name == "" {
		return usagef("--out: %q names a directory: want a file", opts.out)
	}
	if dirPath == "" {
		dirPath = "."
	}
	dir, err := atomicfile.OpenDir(dirPath)
	if err != nil {
		return outputError("out", err)
	}
	defer dir.Close()
	var buf bytes.Buffer
	var files []atomicfile.Named
	if opts.output == formatHTML {
		if err := doc.WriteHTML(&buf); err != nil {
			return err
		}
	} else {
		stem := strings.TrimSuffix(name, filepath.Ext(name))
		links := map[string]string{}
		for _, c := range doc.Charts {
			file := stem + "-" + c.Name + ".svg"
			links[c.Name] = file
			svg := append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"), c.SVG...)
			files = append(files, atomicfile.Named{Name: file, Data: svg})
		}
		if err := doc.WriteMarkdown(&buf, links); err != nil {
			return err
		}
	}
	files = append(files, atomicfile.Named{Name: name, Data: buf.Bytes()})
	for _, f := range files {
		if err := opts.io.inputs.refuse("out", filepath.Join(dirPath, f.Name)); err != nil {
			return err
		}
	}
	if err := dir.WriteSet(files, opts.force); err != nil {
		return outputError("out", err)
	}
	for _, f := range files {
		fmt.Fprintln(opts.io.err, "wrote", filepath.Join(dirPath, f.Name))
	}
	return nil
}
