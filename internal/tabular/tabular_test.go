package tabular

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCSVHeader(t *testing.T) {
	cr, names, err := CSV(strings.NewReader("\ufeffemail , Display_Name\na@example.com,A\nb@example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"email", "Display_Name"}; !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	for _, want := range []int{2, 1} { // rows of any width
		record, err := cr.Read()
		if err != nil || len(record) != want {
			t.Errorf("record %q (%v), want %d fields", record, err, want)
		}
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

func TestLinesTakesLongLines(t *testing.T) {
	long := strings.Repeat("x", MaxLineBytes-1)
	sc := Lines(strings.NewReader(long + "\nnext\n"))
	if !sc.Scan() || len(sc.Text()) != len(long) || !sc.Scan() || sc.Text() != "next" {
		t.Errorf("lines up to MaxLineBytes are not read whole: %v", sc.Err())
	}
	sc = Lines(strings.NewReader(long + "xx\n"))
	if sc.Scan() || sc.Err() == nil {
		t.Error("a line over MaxLineBytes is read, want an error")
	}
}
