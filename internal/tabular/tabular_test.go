package tabular

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// row is what a CSVReader yields for one call, for comparisons.
type row struct {
	line   int
	record string // fields joined by |
	err    string // "" for a record
}

func readAll(t *testing.T, cr *CSVReader) []row {
	t.Helper()
	var rows []row
	for {
		record, line, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows
		}
		var re *RowError
		switch {
		case errors.As(err, &re):
			rows = append(rows, row{line: line, err: re.Error()})
		case err != nil:
			t.Fatal(err)
		default:
			rows = append(rows, row{line: line, record: strings.Join(record, "|")})
		}
		if len(rows) > 1000 {
			t.Fatal("no end")
		}
	}
}

func TestCSVHeader(t *testing.T) {
	cr, names, err := CSV(strings.NewReader("\ufeffemail , Display_Name\na@example.com,A\nb@example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"email", "Display_Name"}; !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	got := readAll(t, cr)
	want := []row{{line: 2, record: "a@example.com|A"}, {line: 3, record: "b@example.com"}} // rows of any width
	if !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
}

func TestCSVErrors(t *testing.T) {
	if _, _, err := CSV(strings.NewReader("")); !errors.Is(err, ErrNoHeader) {
		t.Errorf("empty input: %v, want ErrNoHeader", err)
	}
	if _, _, err := CSV(strings.NewReader("\"unclosed\n")); err == nil || !strings.HasPrefix(err.Error(), "csv header: ") {
		t.Errorf("bad header: %v, want a csv header error", err)
	}
}

// An unclosed quote on line 3 is reported at line 3, naming the lines it
// swallowed, and those lines are read as rows after all.
func TestCSVUnclosedQuoteLosesNoRow(t *testing.T) {
	in := "email,name\na@x.fr,A\n\"b@x.fr,B\nc@x.fr,C\nd@x.fr,D\ne@x.fr,E\n"
	cr, _, err := CSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, cr)
	if len(got) != 5 || got[1].line != 3 || !strings.Contains(got[1].err, "line 3: a quote opened on this line") ||
		!strings.Contains(got[1].err, "lines 4 to 6") {
		t.Fatalf("rows %v: want the quote error at line 3 naming lines 4 to 6", got)
	}
	want := []row{{line: 4, record: "c@x.fr|C"}, {line: 5, record: "d@x.fr|D"}, {line: 6, record: "e@x.fr|E"}}
	if !slices.Equal(got[2:], want) {
		t.Errorf("rows after the bad one %v, want %v", got[2:], want)
	}
}

// A bare quote inside a field and a quote closed early each reject one
// row; the rows around them are read with their own line numbers.
func TestCSVQuoteErrorsInTheMiddle(t *testing.T) {
	in := "email\na@x.fr\nb\"@x.fr\nc@x.fr\n\"d@x.fr\"x\ne@x.fr\n"
	cr, _, _ := CSV(strings.NewReader(in))
	got := readAll(t, cr)
	var lines []int
	for _, r := range got {
		if r.err == "" {
			lines = append(lines, r.line)
		}
	}
	if !slices.Equal(lines, []int{2, 4, 6}) || len(got) != 5 {
		t.Errorf("rows %v: want records on lines 2, 4, 6 and two errors", got)
	}
}

// A row over MaxRowBytes is rejected without being held in memory, and
// reading goes on at the next line.
func TestCSVRowTooLong(t *testing.T) {
	in := io.MultiReader(strings.NewReader("email,name\na@x.fr,A\nb@x.fr,"), &repeat{b: 'x', n: 50 << 20},
		strings.NewReader("\nc@x.fr,C\n"))
	cr, _, err := CSV(in)
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, cr)
	if len(got) != 3 || got[1].line != 3 || !strings.Contains(got[1].err, "row longer than") || got[2] != (row{line: 4, record: "c@x.fr|C"}) {
		t.Errorf("rows %v: want a, the long row 3 rejected, c on line 4", got)
	}
}

// repeat yields n copies of one byte.
type repeat struct {
	b byte
	n int
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.n)
	for i := range p[:n] {
		p[i] = r.b
	}
	r.n -= n
	return n, nil
}

// What spreadsheets export: semicolons (French locale), tabs, UTF-16.
func TestCSVDelimitersAndEncodings(t *testing.T) {
	utf16le := func(s string) string {
		var b strings.Builder
		b.WriteString("\xff\xfe")
		for _, u := range utf16.Encode([]rune(s)) {
			b.WriteByte(byte(u))
			b.WriteByte(byte(u >> 8))
		}
		return b.String()
	}
	for name, in := range map[string]string{
		"semicolon": "email;display_name\nzoé@x.fr;Zoé, D.\n",
		"tab":       "email\tdisplay_name\nzoé@x.fr\tZoé, D.\n",
		"utf-16":    utf16le("email;display_name\r\nzoé@x.fr;Zoé, D.\r\n"),
	} {
		cr, names, err := CSV(strings.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := readAll(t, cr)
		if !slices.Equal(names, []string{"email", "display_name"}) || len(got) != 1 || got[0].record != "zoé@x.fr|Zoé, D." {
			t.Errorf("%s: header %q rows %v", name, names, got)
		}
	}
}

func TestCSVInvalidUTF8(t *testing.T) {
	cr, _, _ := CSV(strings.NewReader("email\na\xff@x.fr\nb@x.fr\n"))
	got := readAll(t, cr)
	if len(got) != 2 || !strings.Contains(got[0].err, "UTF-8") || got[1].record != "b@x.fr" {
		t.Errorf("rows %v: want row 2 rejected as not UTF-8, row 3 read", got)
	}
}

func TestLines(t *testing.T) {
	long := strings.Repeat("x", MaxRowBytes)
	in := io.MultiReader(strings.NewReader(long+"\nnext\r\n"), &repeat{b: 'y', n: 20 << 20},
		strings.NewReader("\nbad\xff\nlast"))
	l := NewLines(in)
	var got []string
	for {
		text, line, err := l.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *RowError
		switch {
		case errors.As(err, &re):
			got = append(got, fmt.Sprintf("%d:error", line))
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, fmt.Sprintf("%d:%d", line, len(text)))
		}
	}
	want := []string{fmt.Sprintf("1:%d", MaxRowBytes), "2:4", "3:error", "4:error", "5:4"}
	if !slices.Equal(got, want) {
		t.Errorf("lines %v, want %v", got, want)
	}
}

// The readers never hold more than about one row: 60 MB of one line costs
// no more than a short input.
func TestBoundedMemory(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cr, _, _ := CSV(io.MultiReader(strings.NewReader("email\n\""), &repeat{b: 'x', n: 60 << 20}))
	for {
		if _, _, err := cr.Read(); errors.Is(err, io.EOF) {
			break
		}
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("reading one 60 MB row allocated %d MB, want a bounded amount", grew>>20)
	}
}
