package yamlparams

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

func TestSourcesReadLineComments(t *testing.T) {
	doc := []byte("a: 1 # from A\nb:\n  c: 2 # from C\n  d: 3\n")
	var v struct {
		A float64 `yaml:"a"`
		B struct {
			C, D float64
		} `yaml:"b"`
	}
	got, err := Defaults(doc, "doc", &v)
	if err != nil || v.A != 1 {
		t.Fatal(err, v)
	}
	if got["a"] != "from A" || got["b.c"] != "from C" || got["b.d"] != "" {
		t.Errorf("sources = %v", got)
	}
}

func TestDecodeIsStrict(t *testing.T) {
	var v struct {
		A float64 `yaml:"a"`
	}
	v.A = 7
	if err := Decode(strings.NewReader(""), "empty", &v); err != nil || v.A != 7 {
		t.Errorf("empty document: %v, a=%v", err, v.A)
	}
	err := Decode(strings.NewReader("a: 1\nb: 2\n"), "f.yaml", &v)
	if err == nil || err.Error() != `f.yaml: line 2: unknown key "b"` {
		t.Errorf("error = %v", err)
	}
}

func TestValidateAndOverridden(t *testing.T) {
	if err := Validate([]Bound{AtLeast("x", 0, 0), Between("y", 1, 0, 1)}); err != nil {
		t.Error(err)
	}
	for b, want := range map[Bound]string{
		AtLeast("x", -1, 0):         "x: invalid value -1: want a number >= 0",
		Between("y", 2, 0, 1):       "y: invalid value 2: want a number from 0 to 1",
		AtLeast("z", math.NaN(), 0): "z: invalid value NaN",
	} {
		if err := Validate([]Bound{b}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want %q", b, err, want)
		}
	}
	got := Overridden(map[string]string{"x": "src", "y": "src"},
		[]Bound{AtLeast("x", 1, 0), AtLeast("y", 2, 0)}, []Bound{AtLeast("x", 1, 0), AtLeast("y", 3, 0), AtLeast("w", 1, 0)}, "mine")
	if got["x"] != "src" || got["y"] != "set in mine" || got["w"] != "set in mine" {
		t.Errorf("overridden = %v", got)
	}
}

func TestStrictTellsEmptyInputApart(t *testing.T) {
	var v struct {
		A float64 `yaml:"a"`
	}
	if err := Strict(strings.NewReader(""), &v); !errors.Is(err, io.EOF) {
		t.Errorf("empty input: %v, want io.EOF", err)
	}
	err := Strict(strings.NewReader("a: 1\nb: 2\n"), &v)
	if err == nil || err.Error() != `line 2: unknown key "b"` {
		t.Errorf("unknown key: %v, want a cleaned error naming the key and line", err)
	}
	if err := Strict(strings.NewReader("a: 1\n"), &v); err != nil || v.A != 1 {
		t.Errorf("a: 1 gives %v, %v", v.A, err)
	}
}
