package yamlparams

import (
	"strings"
	"testing"
)

type rangedParams struct {
	A      float64             `yaml:"a"`
	Zero   float64             `yaml:"zero"`
	Sub    struct{ B float64 } `yaml:"sub"`
	Grid   map[string]float64  `yaml:"grid"`
	Ranges map[string]Range    `yaml:"ranges"`
}

func (p *rangedParams) bounds() []Bound {
	out := []Bound{AtLeast("a", p.A, 0), Between("zero", p.Zero, 0, 1), AtLeast("sub.b", p.Sub.B, 0)}
	for k, v := range p.Grid {
		out = append(out, AtLeast("grid."+k, v, 0))
	}
	return out
}

func (p *rangedParams) ranges() *map[string]Range { return &p.Ranges }

const rangedDefaults = `a: 10 # source A
zero: 0 # source Z
sub:
  b: 2 # source B
grid:
  FR: 50 # grid
ranges:
  a: {low: 5, high: 20, source: "A's range", date: "2024"}
  zero: {low: 0, high: 0.5, source: "Z's range"}
  sub.b: {low: 1, high: 4, source: "B's range", with: a}
  grid.FR: {low: 30, high: 60, source: "grid range"}
`

func loadRanged(t *testing.T, user string) (rangedParams, error) {
	t.Helper()
	var r *strings.Reader
	if user != "" {
		r = strings.NewReader(user)
	}
	if r == nil {
		p, _, err := Load([]byte(rangedDefaults), "built-in", nil, "", (*rangedParams).bounds, (*rangedParams).ranges)
		return p, err
	}
	p, _, err := Load([]byte(rangedDefaults), "built-in", r, "mine.yaml", (*rangedParams).bounds, (*rangedParams).ranges)
	return p, err
}

func TestRangesFollowTheValues(t *testing.T) {
	p, err := loadRanged(t, "")
	if err != nil || p.Ranges["a"].Low != 5 || p.Ranges["a"].Date != "2024" || p.Ranges["sub.b"].With != "a" {
		t.Fatalf("defaults: %v %+v", err, p.Ranges)
	}
	// A value changed without its range keeps the range's proportions; a
	// zero value widens its range to include the new one; a range given
	// with the value is kept as given; the other ranges stay.
	p, err = loadRanged(t, "a: 20\nzero: 0.8\nsub:\n  b: 3\nranges:\n  sub.b: {low: 2.5, high: 3.5, source: mine}\n")
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Ranges["a"]; r.Low != 10 || r.High != 40 || !strings.Contains(r.Source, "mine.yaml") {
		t.Errorf("a's range = %+v, want 10..40 scaled with the value set in mine.yaml", r)
	}
	if r := p.Ranges["zero"]; r.Low != 0 || r.High != 0.8 {
		t.Errorf("zero's range = %+v, want 0..0.8", r)
	}
	if r := p.Ranges["sub.b"]; r.Low != 2.5 || r.High != 3.5 || r.Source != "mine" {
		t.Errorf("sub.b's range = %+v, want the user's", r)
	}
	if r := p.Ranges["grid.FR"]; r.Low != 30 || r.High != 60 {
		t.Errorf("grid.FR's range = %+v, want the default kept", r)
	}
	// A new map entry without a range is a fixed figure, not an error.
	if _, err := loadRanged(t, "grid:\n  DE: 350\n"); err != nil {
		t.Errorf("a new region: %v", err)
	}
}

func TestRangesRefuseWhatDoesNotFit(t *testing.T) {
	for user, want := range map[string]string{
		"ranges:\n  a: {low: 1}\n":                        "line 2: a range needs both low and high",
		"ranges:\n  a: {low: 11, high: 12, source: x}\n":  "mine.yaml: ranges.a: the value 10 is outside its range 11 to 12: want low <= value <= high",
		"ranges:\n  b: {low: 1, high: 2, source: x}\n":    `mine.yaml: ranges: "b" is not a parameter`,
		"ranges:\n  zero: {low: 0, high: 2, source: x}\n": "mine.yaml: ranges.zero.high: invalid value 2: want a number from 0 to 1",
		"ranges:\n  a: {low: 1, high: 20, with: nope}\n":  `mine.yaml: ranges.a.with: "nope" is not another parameter with a range`,
		"ranges:\n  a: {low: 1, high: 20, with: a}\n":     `mine.yaml: ranges.a.with: "a" is not another parameter with a range`,
		"ranges:\n  a: {low: 1, high: 20, colour: red}\n": `unknown key "colour"`,
		"ranges:\n  a: {low: one, high: 20, source: x}\n": "cannot unmarshal",
	} {
		_, err := loadRanged(t, user)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", user, err, want)
		}
	}
	// The defaults must give every parameter they list a range.
	_, _, err := Load([]byte("a: 10 # source\nzero: 0 # z\nsub:\n  b: 1 # b\nranges:\n  a: {low: 1, high: 20}\n  zero: {low: 0, high: 0}\n"),
		"built-in", nil, "", (*rangedParams).bounds, (*rangedParams).ranges)
	if err == nil || !strings.Contains(err.Error(), `built-in: ranges: parameter "sub.b" has no range`) {
		t.Errorf("incomplete defaults: %v", err)
	}
}

func TestSettersReachEveryNumber(t *testing.T) {
	p, err := loadRanged(t, "")
	if err != nil {
		t.Fatal(err)
	}
	set := Setters(&p)
	for _, b := range p.bounds() {
		f, ok := set[b.Key]
		if !ok {
			t.Errorf("no setter for %s", b.Key)
			continue
		}
		f(b.Value + 1)
	}
	if p.A != 11 || p.Zero != 1 || p.Sub.B != 3 || p.Grid["FR"] != 51 {
		t.Errorf("after setting: %+v", p)
	}
	if len(set) != len(p.bounds()) {
		t.Errorf("%d setters for %d parameters", len(set), len(p.bounds()))
	}
}
