package advisor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/tabular"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// Batch input formats accepted by [ReadScenarios].
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// Row is one scenario read from a batch: its line in the input, and either
// the scenario (base with the row's fields applied, validated) or why the
// row was rejected.
type Row struct {
	Line        int
	Scenario    Scenario
	Assumptions []Assumption // every field with its source (FitDefaults)
	Err         error
}

// ReadScenarios streams the rows of a CSV (header = field names) or JSON
// Lines input, each applied on top of base, to yield. A bad row is passed
// to yield with Err set and reading goes on; only an unreadable input (a
// bad header, an I/O error) or an error from yield stops it. Empty CSV
// cells and blank lines leave base's value. baseGiven says where base's
// fields came from; a row's own are SourceFile, and the fields nobody gave
// are fitted to the row's size (FitDefaults).
func ReadScenarios(r io.Reader, format string, base Scenario, baseGiven Provenance, yield func(Row) error) error {
	fit := func(row Row, given []string) error {
		if row.Err == nil {
			p := Provenance{}
			for k, v := range baseGiven {
				p[k] = v
			}
			for _, f := range given {
				p[f] = SourceFile
			}
			row.Assumptions = FitDefaults(&row.Scenario, p)
			if err := row.Scenario.Validate(); err != nil {
				row.Err = fmt.Errorf("line %d: %w", row.Line, err)
			}
		}
		return yield(row)
	}
	switch format {
	case FormatCSV:
		return readCSV(r, base, fit)
	case FormatJSONL:
		return readJSONL(r, base, fit)
	default:
		return &FieldError{Field: "batch format", Value: format, Allowed: "one of csv, jsonl"}
	}
}

func readCSV(r io.Reader, base Scenario, yield func(Row, []string) error) error {
	cr, header, err := tabular.CSV(r)
	if errors.Is(err, tabular.ErrNoHeader) {
		return errors.New("csv: empty input: want a header line of field names")
	}
	if err != nil {
		return err
	}
	columns := make([]Field, len(header))
	client := -1 // the client column: a label, as in a scenario file
	for i, name := range header {
		if name == ClientField && client < 0 {
			client = i
			continue
		}
		f, ok := FieldByName(name)
		if !ok {
			return fmt.Errorf("csv header: unknown column %s (known fields: %s, and %s)", textcheck.Quote(name), strings.Join(FieldNames(), ", "), ClientField)
		}
		columns[i] = f
	}
	for {
		record, line, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		row := Row{Line: line, Scenario: base}
		var rowErr *tabular.RowError
		var given []string
		switch {
		case errors.As(err, &rowErr):
			row.Err = rowErr
		case err != nil:
			return err
		case len(record) != len(columns):
			row.Err = fmt.Errorf("line %d: %d values for %d columns", row.Line, len(record), len(columns))
		case allBlank(record):
			row.Err = fmt.Errorf("line %d: empty row: every value is blank", row.Line)
		default:
			if cr.Comma() != ',' {
				decimalPoints(columns, record, client)
			}
			row.Err = applyRecord(&row.Scenario, columns, record, row.Line, client)
			for i, cell := range record {
				if i != client && strings.TrimSpace(cell) != "" {
					given = append(given, columns[i].Name)
				}
			}
		}
		if err := yield(row, given); err != nil {
			return err
		}
	}
}

// decimalPoints reads a decimal comma as a point in the numeric columns
// of a file whose delimiter is not the comma: French spreadsheets write
// 2,5 and separate columns with ';' because their decimal separator is
// the comma (their thousands separator is a space), so there 1,848 is
// one and a bit.
func decimalPoints(columns []Field, record []string, client int) {
	for i, cell := range record {
		if i == client || !columns[i].Numeric() {
			continue
		}
		v := strings.TrimSpace(cell)
		whole, frac, ok := strings.Cut(v, ",")
		if !ok || strings.Contains(frac, ",") || frac == "" || whole == "" {
			continue
		}
		if _, err := strconv.ParseFloat(whole+"."+frac, 64); err == nil {
			record[i] = whole + "." + frac
		}
	}
}

func allBlank(record []string) bool {
	for _, cell := range record {
		if strings.TrimSpace(cell) != "" {
			return false
		}
	}
	return true
}

func applyRecord(s *Scenario, columns []Field, record []string, line, client int) error {
	for i, cell := range record {
		if i == client {
			if err := textcheck.Text(ClientField, cell, maxClientLen); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			s.Client = strings.TrimSpace(cell)
			continue
		}
		if strings.TrimSpace(cell) == "" {
			continue
		}
		if err := columns[i].Set(s, cell); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("line %d: %w", line, err)
	}
	return nil
}

func readJSONL(r io.Reader, base Scenario, yield func(Row, []string) error) error {
	lines := tabular.NewLines(r)
	for {
		text, line, err := lines.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		row := Row{Line: line, Scenario: base}
		var given []string
		var rowErr *tabular.RowError
		if errors.As(err, &rowErr) {
			row.Err = rowErr
		} else if err != nil {
			return err
		} else if text = bytes.TrimSpace(text); len(text) == 0 {
			continue
		} else if text[0] != '{' {
			row.Err = fmt.Errorf("line %d: want a JSON object", line)
		} else if given, err = DecodeScenarioFields(bytes.NewReader(text), "", &row.Scenario); err != nil {
			row.Err = fmt.Errorf("line %d: %s", line, strings.TrimPrefix(errors.Unwrap(err).Error(), "line 1: "))
		} else if err := row.Scenario.Validate(); err != nil {
			row.Err = fmt.Errorf("line %d: %w", line, err)
		}
		if err := yield(row, given); err != nil {
			return err
		}
	}
}
