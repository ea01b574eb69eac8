// Package tabular reads the one-row-per-line inputs that batch commands
// take: CSV with a header line, and JSON Lines. Both are bounded (no row
// may exceed MaxRowBytes, whatever the input) and both report a row that
// cannot be read as a [*RowError] with its line, then go on with the next
// rows: one bad row never loses the good ones.
package tabular

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// MaxRowBytes is the most one row (a JSON line, a CSV record with its
// quoted line breaks) may take. Longer rows are rejected, never buffered.
const MaxRowBytes = 1 << 20

// ErrNoHeader is CSV's error for an empty input.
var ErrNoHeader = errors.New("csv: empty input: want a header line")

// RowError is a row that cannot be read; the rows after it still can.
type RowError struct {
	Line int
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// errRowTooLong is what the recorder returns when a row passes MaxRowBytes.
var errRowTooLong = fmt.Errorf("row longer than %d bytes", MaxRowBytes)

// Decode returns r as UTF-8 text: a UTF-16 input with its byte-order mark
// (what spreadsheet programs export as "Unicode text") is converted, and a
// UTF-8 byte-order mark is dropped. Other bytes pass unchanged, so that
// invalid UTF-8 is seen and rejected rather than replaced.
func Decode(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	bom, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(bom, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(bom, []byte{0xFF, 0xFE}), bytes.HasPrefix(bom, []byte{0xFE, 0xFF}):
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	}
	return br
}

// CSVReader reads the records of a CSV input after its header line.
type CSVReader struct {
	src     io.Reader // the rest of the input, after what rec holds
	rec     *recorder
	cr      *csv.Reader
	comma   rune
	lines   int // lines of the input before cr's first line
	columns int
}

// CSV reads r's header line and returns a reader of the records after it,
// and the header's names with surrounding spaces trimmed. The input may be
// UTF-8 or UTF-16 with a byte-order mark; the delimiter is the first of
// comma, semicolon (what spreadsheets export in French and other locales)
// or tab that the header line holds.
func CSV(r io.Reader) (*CSVReader, []string, error) {
	br := bufio.NewReader(Decode(r))
	first, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, err
	}
	c := &CSVReader{src: br, comma: delimiter(first)}
	c.restart(0, nil)
	header, err := c.cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, ErrNoHeader
	}
	if err != nil {
		return nil, nil, fmt.Errorf("csv header: %w", err)
	}
	names := make([]string, len(header))
	for i, name := range header {
		names[i] = strings.TrimSpace(name)
		if !utf8.ValidString(names[i]) {
			return nil, nil, fmt.Errorf("csv header: column %d is not valid UTF-8: save the file as UTF-8 (or UTF-16 with a byte-order mark)", i+1)
		}
	}
	c.columns = len(names)
	return c, names, nil
}

// Comma is the delimiter the header line chose: ',' ';' or '\t'.
func (c *CSVReader) Comma() rune { return c.comma }

// delimiter picks the header line's delimiter.
func delimiter(start []byte) rune {
	line, _, _ := bytes.Cut(start, []byte("\n"))
	for _, d := range []byte{',', ';', '\t'} {
		if bytes.IndexByte(line, d) >= 0 {
			return rune(d)
		}
	}
	return ','
}

// restart reads the input again from the line after lines, replaying
// pending (bytes already taken from src) first.
func (c *CSVReader) restart(lines int, pending []byte) {
	src := c.src
	if len(pending) > 0 {
		src = io.MultiReader(bytes.NewReader(pending), c.src)
	}
	c.src = src
	c.rec = &recorder{r: src}
	c.rec.keepFrom(0)
	c.cr = csv.NewReader(c.rec)
	c.cr.Comma = c.comma
	c.cr.FieldsPerRecord = -1
	c.cr.ReuseRecord = true
	c.lines = lines
}

// Read returns the next record and its line. A record that cannot be read
// (a quote never closed, a row over MaxRowBytes, text that is not UTF-8)
// comes as a [*RowError]; reading then goes on from the line after the one
// where that record started, so the lines it swallowed are read as rows.
// io.EOF ends the input; any other error means it cannot be read.
func (c *CSVReader) Read() ([]string, int, error) {
	start := c.cr.InputOffset()
	c.rec.keepFrom(start)
	record, err := c.cr.Read()
	if err == nil {
		line, _ := c.cr.FieldPos(0)
		line += c.lines
		for i, f := range record {
			if !utf8.ValidString(f) {
				return nil, line, &RowError{Line: line, Err: fmt.Errorf("column %d is not valid UTF-8", i+1)}
			}
		}
		return record, line, nil
	}
	if errors.Is(err, io.EOF) {
		return nil, 0, io.EOF
	}
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		startLine := pe.StartLine + c.lines
		rerr := &RowError{Line: startLine, Err: pe.Err}
		if pe.Line > pe.StartLine {
			rerr.Err = fmt.Errorf("a quote opened on this line is not closed where it should be: lines %d to %d were read into it; they are read again as rows",
				startLine+1, pe.Line+c.lines)
		}
		return nil, startLine, c.resync(start, startLine, rerr)
	case errors.Is(err, errRowTooLong):
		startLine := c.lineAt(start)
		return nil, startLine, c.resync(start, startLine, &RowError{Line: startLine,
			Err: fmt.Errorf("%w (a quote opened on this line may not be closed); the next lines are read again as rows", errRowTooLong)})
	default:
		return nil, 0, err
	}
}

// lineAt is the line of the record that starts at offset (where the
// recorder's buffer starts), after any blank lines csv skips.
func (c *CSVReader) lineAt(offset int64) int {
	raw := c.rec.from(offset)
	blank := len(raw) - len(bytes.TrimLeft(raw, "\r\n"))
	return c.lines + 1 + c.rec.lines + bytes.Count(raw[:blank], []byte("\n"))
}

// resync restarts reading after the first line of the record that started
// at offset, and returns rowErr (or the error that prevents the restart).
func (c *CSVReader) resync(offset int64, startLine int, rowErr *RowError) error {
	raw := c.rec.from(offset)
	var pending []byte
	if nl := bytes.IndexByte(raw, '\n'); nl >= 0 {
		pending = bytes.Clone(raw[nl+1:])
	} else {
		rest, err := skipLine(c.src)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		pending = rest
	}
	c.restart(startLine, pending)
	return rowErr
}

// skipLine discards r up to and including the next line break, in bounded
// memory, and returns what it read past the break.
func skipLine(r io.Reader) ([]byte, error) {
	var b [32 << 10]byte
	for {
		n, err := r.Read(b[:])
		if i := bytes.IndexByte(b[:n], '\n'); i >= 0 {
			return bytes.Clone(b[i+1 : n]), nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// recorder keeps the bytes read from r since the start of the current
// record, up to MaxRowBytes past it, so that a bad record can be read again
// from its second line.
type recorder struct {
	r       io.Reader
	buf     []byte
	bufFrom int64 // input offset of buf[0]
	lines   int   // line breaks before buf[0]
	limit   int64 // offset past which Read refuses: record start + MaxRowBytes + read-ahead
}

func (r *recorder) keepFrom(offset int64) {
	if drop := offset - r.bufFrom; drop > 0 {
		r.lines += bytes.Count(r.buf[:drop], []byte("\n"))
		n := copy(r.buf, r.buf[drop:])
		r.buf = r.buf[:n]
		r.bufFrom = offset
	}
	r.limit = offset + MaxRowBytes + 64<<10 // csv's bufio reads ahead
}

func (r *recorder) Read(p []byte) (int, error) {
	end := r.bufFrom + int64(len(r.buf))
	room := r.limit - end
	if room <= 0 {
		return 0, errRowTooLong
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := r.r.Read(p)
	r.buf = append(r.buf, p[:n]...)
	return n, err
}

func (r *recorder) from(offset int64) []byte {
	if offset < r.bufFrom {
		return nil
	}
	return r.buf[offset-r.bufFrom:]
}

// Lines reads an input line by line, each up to MaxRowBytes.
type Lines struct {
	br   *bufio.Reader
	line int
}

// NewLines reads r (UTF-8, or UTF-16 with a byte-order mark) line by line.
func NewLines(r io.Reader) *Lines {
	return &Lines{br: bufio.NewReaderSize(Decode(r), 64<<10)}
}

// Next returns the next line without its line break, and its number. A
// line over MaxRowBytes or not valid UTF-8 comes as a [*RowError], and
// reading goes on with the next line. io.EOF ends the input; any other
// error means it cannot be read. The slice is valid until the next call.
func (l *Lines) Next() ([]byte, int, error) {
	var long []byte
	tooLong := false
	for {
		chunk, err := l.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !tooLong && len(long)+len(chunk) <= MaxRowBytes {
				long = append(long, chunk...)
			} else {
				tooLong, long = true, nil
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, err
		}
		if len(chunk) == 0 && len(long) == 0 && !tooLong && err != nil {
			return nil, 0, io.EOF
		}
		l.line++
		text := chunk
		if long != nil {
			text = append(long, chunk...)
		}
		if tooLong || len(text) > MaxRowBytes+1 {
			return nil, l.line, &RowError{Line: l.line, Err: errRowTooLong}
		}
		text = bytes.TrimSuffix(bytes.TrimSuffix(text, []byte("\n")), []byte("\r"))
		if !utf8.Valid(text) {
			return nil, l.line, &RowError{Line: l.line, Err: errors.New("not valid UTF-8 text")}
		}
		return text, l.line, nil
	}
}
