package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/mailadvisor/mailadvisor/advisor"
)

// batchLine is one line of `advise --batch -o json` output: the input line
// and either the full result or the error that rejected the row.
type batchLine struct {
	Line  int    `json:"line"`
	Error string `json:"error,omitempty"`
	*advisor.Result
}

// batchField is a key of a JSON row that --fields may ask for: a field
// of advisor.Result, by its JSON name.
type batchField struct {
	name      string
	index     int  // in advisor.Result
	omitEmpty bool // left out when nil, as encoding/json does
}

// batchFields are advisor.Result's JSON fields, in the rows' order: read
// from the struct, so a field added there can be asked for at once.
var batchFields = sync.OnceValue(func() []batchField {
	var out []batchField
	t := reflect.TypeFor[advisor.Result]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		out = append(out, batchField{name: name, index: i, omitEmpty: strings.Contains(opts, "omitempty")})
	}
	return out
})

func batchFieldNames() []string {
	var names []string
	for _, f := range batchFields() {
		names = append(names, f.name)
	}
	return names
}

// batchCSVHeader is the header of `advise --batch -o csv` output.
var batchCSVHeader = []string{"line", "protocol", "confidence", "imap", "pop3", "margin",
	"leave_on_server_days", "vetoes", "warnings", "error", "option", "client"}

// batchCSVUncertainty are the columns --uncertainty adds at the end: the
// share of draws that give the row's answer, and the condition under
// which it mainly loses.
var batchCSVUncertainty = []string{"answer_share", "loses_when"}

func runAdviseBatch(ctx context.Context, opts *adviseOptions) error {
	if opts.output != formatJSON && opts.output != "csv" {
		return usagef("%s: invalid value %q with --batch: want json (JSON Lines) or csv", opts.outputFrom, opts.output)
	}
	format, err := batchFormat(opts.batch, opts.batchFmt)
	if err != nil {
		return err
	}
	if opts.scenario.file == "-" && opts.batch == "-" {
		return usagef("-f - and --batch - cannot both read stdin")
	}
	base, prov, err := opts.scenario.load(opts.io)
	if err != nil {
		return err
	}
	adv, err := loadAdvisor(opts.io.inputs, &opts.rules, &opts.models)
	if err != nil {
		return err
	}
	in, closeIn, err := opts.io.inputs.open("batch input", opts.batch, opts.io.in)
	if err != nil {
		return err
	}
	defer closeIn()
	// Ctrl-C or SIGTERM: stop after the row at hand, with the rows before
	// it written, and say how far the run got. A read blocked on a pipe is
	// released by closing the input.
	var interrupted atomic.Bool
	sigs, done := make(chan os.Signal, 1), make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer func() { signal.Stop(sigs); close(done) }()
	go func() {
		select {
		case <-sigs:
			interrupted.Store(true)
			if f, ok := in.(*os.File); ok {
				_ = f.Close()
			}
		case <-ctx.Done():
		case <-done:
		}
	}()

	if len(opts.fields) > 0 && opts.output != formatJSON {
		return usagef("--fields: only with --batch -o json (the CSV has its own columns)")
	}
	out := bufio.NewWriter(opts.io.out)
	if len(opts.fields) > 0 && !slices.Contains(opts.fields, "uncertainty") {
		opts.uncOpts = nil // drawn for nothing
	}
	w := newBatchWriter(out, opts.output, opts.fields, opts.uncOpts != nil)
	// The CSV columns hold no cost or CO2: only JSON rows get the
	// estimates, unless --fields leaves them out.
	advOpts := advisor.Options{BreakEven: opts.breakEven, Estimates: opts.output == formatJSON, Uncertainty: opts.uncOpts}
	if len(opts.fields) > 0 {
		advOpts.Estimates = slices.Contains(opts.fields, "cost") || slices.Contains(opts.fields, "carbon")
	}
	total, rejected := 0, 0
	err = advisor.ReadScenarios(in, format, base, prov, func(row advisor.Row) error {
		if interrupted.Load() {
			return errStopped
		}
		total++
		line := batchLine{Line: row.Line}
		if row.Err == nil {
			rowOpts := advOpts
			rowOpts.Assumptions = row.Assumptions
			line.Result, row.Err = adv.Advise(row.Scenario, rowOpts)
		}
		if row.Err != nil {
			rejected++
			line.Error = row.Err.Error()
			fmt.Fprintf(opts.io.err, "mailadvisor: rejected: %s\n", line.Error)
		}
		if err := w.write(line); err != nil {
			return &writeError{err: err}
		}
		return nil
	})
	if ferr := w.flush(); err == nil && ferr != nil {
		err = &writeError{err: ferr}
	}
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = &writeError{err: ferr}
	}
	var werr *writeError
	if errors.As(err, &werr) {
		return werr
	}
	if interrupted.Load() {
		return &interruptedError{rows: total, written: "the results of those rows were written"}
	}
	if err != nil {
		return usagef("batch input %s: %v", opts.batch, err)
	}
	if rejected > 0 {
		return &rejectedError{rejected: rejected, total: total}
	}
	return nil
}

// errStopped stops reading rows after an interruption.
var errStopped = errors.New("stopped")

func batchFormat(path, explicit string) (string, error) {
	if explicit != "" {
		if explicit != advisor.FormatCSV && explicit != advisor.FormatJSONL {
			return "", usagef("batch-format: invalid value %q: want csv or jsonl", explicit)
		}
		return explicit, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return advisor.FormatCSV, nil
	case ".jsonl", ".ndjson":
		return advisor.FormatJSONL, nil
	}
	return "", withHint(usagef("batch: cannot tell the format of %q from its extension", path),
		"name the file .csv or .jsonl, or pass --batch-format csv|jsonl")
}

// batchWriter writes one output record per input row.
type batchWriter struct {
	json   *json.Encoder
	csv    *csv.Writer
	w      io.Writer
	fields []batchField // --fields: only these, in the rows' order
	buf    bytes.Buffer
	unc    bool // the CSV has the uncertainty columns
}

func newBatchWriter(w io.Writer, format string, fields []string, uncertainty bool) *batchWriter {
	if format == "csv" {
		cw := csv.NewWriter(w)
		header := batchCSVHeader
		if uncertainty {
			header = append(slices.Clone(header), batchCSVUncertainty...)
		}
		_ = cw.Write(header)
		return &batchWriter{csv: cw, unc: uncertainty}
	}
	b := &batchWriter{w: w}
	for _, f := range batchFields() {
		if slices.Contains(fields, f.name) {
			b.fields = append(b.fields, f)
		}
	}
	// Whole rows go straight to w; with --fields each value is encoded
	// into buf, where the row is put together.
	b.json = json.NewEncoder(w)
	if b.fields != nil {
		b.json = json.NewEncoder(&b.buf)
	}
	b.json.SetEscapeHTML(false)
	return b
}

func (b *batchWriter) write(l batchLine) error {
	if b.json != nil && b.fields == nil {
		return b.json.Encode(l)
	}
	if b.json != nil {
		return b.writeFields(l)
	}
	// option and client come last: scripts reading columns by position
	// before they existed still find theirs.
	record := []string{strconv.Itoa(l.Line), "", "", "", "", "", "", "", "", l.Error, "", ""}
	if r := l.Result; r != nil {
		record[10], record[11] = r.Recommendation.Option, r.Scenario.Client
		rec := r.Recommendation
		record[1], record[2] = rec.Protocol, rec.Confidence
		record[3], record[4], record[5] = num(r.Scores.IMAP), num(r.Scores.POP3), num(rec.Margin)
		if rec.LeaveOnServerDays != nil {
			record[6] = strconv.Itoa(*rec.LeaveOnServerDays)
		}
		record[7], record[8] = joinRules(r.Vetoes, func(v advisor.Veto) string { return v.Rule }),
			joinRules(r.Warnings, func(w advisor.Warning) string { return w.Rule })
	}
	if b.unc {
		record = append(record, "", "")
		if r := l.Result; r != nil && r.Uncertainty != nil {
			record[12], record[13] = num(r.Uncertainty.AnswerShare), losesWhen(r.Uncertainty.LosesWhen)
		}
	}
	return b.csv.Write(record)
}

// writeFields writes line, error and the fields asked for, each as
// encoding/json writes it in a whole row.
func (b *batchWriter) writeFields(l batchLine) error {
	b.buf.Reset()
	b.buf.WriteString(`{"line":`)
	b.buf.WriteString(strconv.Itoa(l.Line))
	if l.Error != "" {
		b.buf.WriteString(`,"error":`)
		if err := b.value(l.Error); err != nil {
			return err
		}
	}
	if l.Result != nil {
		r := reflect.ValueOf(l.Result).Elem()
		for _, f := range b.fields {
			v := r.Field(f.index)
			if f.omitEmpty && v.IsZero() {
				continue
			}
			b.buf.WriteString(`,"` + f.name + `":`)
			if err := b.value(v.Interface()); err != nil {
				return err
			}
		}
	}
	b.buf.WriteString("}\n")
	_, err := b.w.Write(b.buf.Bytes())
	return err
}

// value appends v's JSON, without the encoder's newline.
func (b *batchWriter) value(v any) error {
	if err := b.json.Encode(v); err != nil {
		return err
	}
	b.buf.Truncate(b.buf.Len() - 1)
	return nil
}

func (b *batchWriter) flush() error {
	if b.csv != nil {
		b.csv.Flush()
		return b.csv.Error()
	}
	return nil
}

func joinRules[T any](items []T, id func(T) string) string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = id(it)
	}
	return strings.Join(ids, ";")
}

// losesWhen writes a condition for scripts: "cost:imap_hosted.price_per_user_month>5.929".
func losesWhen(c *advisor.Condition) string {
	if c == nil {
		return ""
	}
	op := "<"
	if c.Above {
		op = ">"
	}
	return c.Model + ":" + c.Key + op + exact(c.Threshold)
}
