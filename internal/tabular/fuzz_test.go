package tabular

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzCSV: any input ends, never panics, and yields rows whose lines only
// go forward; a row error never stops the rows after it.
func FuzzCSV(f *testing.F) {
	f.Add("email,name\na@x.fr,A\n\"b@x.fr,B\nc@x.fr,C\n")
	f.Add("email;name\r\na;\"b\"\"c\"\r\n\"\n")
	f.Add("\xff\xfee\x00m\x00\n\x00a\x00")
	f.Add("e\n\"\"x\n\"a\nb\"c\nd\n")
	f.Fuzz(func(t *testing.T, in string) {
		cr, _, err := CSV(strings.NewReader(in))
		if err != nil {
			return
		}
		last := 1
		for i := 0; ; i++ {
			if i > len(in)+2 {
				t.Fatalf("more rows than the input has bytes: %q", in)
			}
			_, line, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *RowError
			if err != nil && !errors.As(err, &re) {
				t.Fatalf("input error %v on %q", err, in)
			}
			if line <= last && line != 0 {
				t.Fatalf("line %d after line %d in %q", line, last, in)
			}
			last = max(last, line)
		}
	})
}

// FuzzLines: every line is counted once, in order.
func FuzzLines(f *testing.F) {
	f.Add("a\nb\r\n\xff\n\nlast")
	f.Fuzz(func(t *testing.T, in string) {
		l := NewLines(strings.NewReader(in))
		want := 1
		for {
			_, line, err := l.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *RowError
			if err != nil && !errors.As(err, &re) {
				t.Fatal(err)
			}
			if line != want {
				t.Fatalf("line %d, want %d in %q", line, want, in)
			}
			want++
		}
	})
}
