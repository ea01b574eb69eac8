// Package tabular opens the one-row-per-line inputs that batch commands
// read: CSV with a header line, and JSON Lines.
package tabular

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxLineBytes is the longest line a JSON Lines input may have.
const MaxLineBytes = 1 << 20

// ErrNoHeader is CSV's error for an empty input.
var ErrNoHeader = errors.New("csv: empty input: want a header line")

// CSV returns a reader of r's records after the header line, and the
// header's names with surrounding spaces and a byte-order mark trimmed.
// Records may have any number of fields (the caller reports a wrong
// count with the line) and reuse one slice.
func CSV(r io.Reader) (*csv.Reader, []string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, ErrNoHeader
	}
	if err != nil {
		return nil, nil, fmt.Errorf("csv header: %w", err)
	}
	names := make([]string, len(header))
	for i, name := range header {
		names[i] = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
	}
	return cr, names, nil
}

// Lines returns a scanner of r's lines, each up to MaxLineBytes.
func Lines(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), MaxLineBytes)
	return sc
}
