package advisor

import (
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// randomScenario draws every field across its allowed range: geometric for
// wide ranges, every named value, optional inputs set half the time.
func randomScenario(r *rand.Rand) Scenario {
	s := DefaultScenario()
	for _, f := range Fields() {
		switch f.Kind {
		case KindBool:
			_ = f.Set(&s, strconv.FormatBool(r.IntN(2) == 0))
		case KindEnum:
			_ = f.Set(&s, f.Values[r.IntN(len(f.Values))])
		default:
			if f.Optional && r.IntN(2) == 0 {
				f.unset(&s)
				continue
			}
			var v float64
			if f.LogScale && f.Min > 0 {
				v = f.Min * math.Pow(f.Max/f.Min, r.Float64())
			} else if f.LogScale {
				v = math.Pow(10, -2+r.Float64()*(math.Log10(f.Max)+2))
			} else {
				v = f.Min + (f.Max-f.Min)*r.Float64()
			}
			if f.Kind == KindInt {
				v = math.Round(v)
			}
			f.SetNumber(&s, math.Max(f.Min, math.Min(f.Max, v)))
		}
	}
	return s
}

// Every what-if is true, for thousands of generated scenarios: each
// break-even entry holds exactly on its input's grid (Field.Step): at
// gives the answer it names and the grid value before it (towards the
// current value) does not; until, the last value it holds for, gives it
// and the grid value after it does not; a value halfway between gives it
// too. Every what-if flip gives the answer it names.
func TestEveryWhatIfIsTrue(t *testing.T) {
	a := builtinAdvisor(t)
	r := rand.New(rand.NewPCG(1, 2))
	if seed := os.Getenv("MAILADVISOR_PROPERTY_SEED"); seed != "" {
		v, _ := strconv.ParseUint(seed, 10, 64)
		r = rand.New(rand.NewPCG(v, v))
	}
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("MAILADVISOR_PROPERTY_N")); err == nil {
		n = v
	}
	if testing.Short() {
		n = 200
	}
	ev := a.pool.Get().(*evaluator)
	defer a.pool.Put(ev)
	decideAt := func(s Scenario, f Field, x float64) string {
		got, err := a.decideWith(ev, s, f, x)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for i := 0; i < n; i++ {
		s := randomScenario(r)
		res, err := a.Advise(s, Options{BreakEven: true})
		if err != nil {
			t.Fatalf("scenario %d: %v", i, err)
		}
		for _, b := range res.BreakEven {
			if b.At == nil {
				continue
			}
			f, _ := FieldByName(b.Input)
			if got := decideAt(s, f, *b.At); got != b.FlipsTo {
				t.Fatalf("scenario %d %+v: %s at %v gives %s, the entry says %s", i, s, b.Input, *b.At, got, b.FlipsTo)
			}
			dir := -1.0
			end := f.Min
			if b.Direction == "at_or_above" {
				dir, end = 1, f.Max
			}
			if before := gridValue(f, math.Round(*b.At/f.Step)-dir); before >= f.Min && before <= f.Max && onStep(f, *b.At) {
				if got := decideAt(s, f, before); got == b.FlipsTo {
					t.Fatalf("scenario %d %+v: %s at %v already gives %s, the entry says from %v", i, s, b.Input, before, got, *b.At)
				}
			}
			if b.Until != nil {
				if got := decideAt(s, f, *b.Until); got != b.FlipsTo {
					t.Fatalf("scenario %d %+v: %s until %v gives %s, the entry says %s up to there", i, s, b.Input, *b.Until, got, b.FlipsTo)
				}
				if after := gridValue(f, math.Round(*b.Until/f.Step)+dir); onStep(f, *b.Until) {
					if got := decideAt(s, f, after); got == b.FlipsTo {
						t.Fatalf("scenario %d %+v: %s at %v, past until %v, still gives %s", i, s, b.Input, after, *b.Until, got)
					}
				}
				end = *b.Until
			}
			mid := (*b.At + end) / 2
			if f.Kind == KindInt {
				mid = math.Round(mid)
			}
			if mid != end {
				if got := decideAt(s, f, mid); got != b.FlipsTo {
					t.Fatalf("scenario %d %+v: %s at %v (between %v and %v) gives %s, the entry says %s from %v",
						i, s, b.Input, mid, *b.At, end, got, b.FlipsTo, *b.At)
				}
			}
		}
		for _, w := range res.WhatIf {
			f, _ := FieldByName(w.Input)
			s2 := s
			if err := f.Set(&s2, w.Value); err != nil {
				t.Fatal(err)
			}
			got, _ := a.Advise(s2, Options{})
			if answer(got.Recommendation) != w.FlipsTo {
				t.Fatalf("scenario %d: what-if %s=%s gives %s, want %s", i, w.Input, w.Value, answer(got.Recommendation), w.FlipsTo)
			}
		}
	}
}
