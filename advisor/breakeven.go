package advisor

import (
	"cmp"
	"math"
	"slices"
	"strconv"
)

// samplesPerSide is how many values the break-even search tries on each
// side of the current value before it gives up; a flip narrower than the
// gap between two samples can be missed.
const samplesPerSide = 24

// breakEven searches, for every numeric input, the nearest value at which
// the recommendation stops being current, everything else held. Inputs
// are searched in parallel, each with its own evaluator.
func (a *Advisor) breakEven(s Scenario, current string, refit func(*Scenario)) ([]BreakEven, error) {
	var numeric []Field
	for _, f := range fields {
		if f.Numeric() {
			if f.Name == "users" && refit != nil {
				// Another size fits the defaults nobody gave again, as a
				// run with that many users would.
				set := f.set
				f.set = func(s *Scenario, v float64) { set(s, v); refit(s) }
			}
			numeric = append(numeric, f)
		}
	}
	per := make([][]BreakEven, len(numeric))
	err := forEach(len(numeric), func(i int) error {
		ev := a.pool.Get().(*evaluator)
		defer a.pool.Put(ev)
		var err error
		per[i], err = a.breakEvenFor(ev, s, numeric[i], current)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]BreakEven, 0, len(numeric))
	for _, entries := range per {
		out = append(out, entries...)
	}
	return out, nil
}

type flip struct {
	at       float64
	distance float64 // share of the allowed range between current and at
	up       bool
	to       string
}

func (a *Advisor) breakEvenFor(ev *evaluator, s Scenario, f Field, current string) ([]BreakEven, error) {
	cur, set := f.get(&s)
	be := BreakEven{Input: f.Name}
	if set {
		be.Current = &cur
	} else {
		// An unset optional input acts as "no constraint": search from the
		// top of its range downwards.
		cur = f.Max
	}
	// Both directions: the nearer first. A budget just under the price
	// of the answer the scores prefer flips upwards as well as downwards,
	// and raising it is the change the client most needs to hear.
	var firsts []*flip
	for _, up := range []bool{true, false} {
		fl, err := a.scan(ev, s, f, cur, up, current)
		if err != nil {
			return nil, err
		}
		if fl != nil {
			firsts = append(firsts, fl)
		}
	}
	if len(firsts) == 0 {
		be.Note = "does not flip between " + formatNumber(f.Min) + " and " + formatNumber(f.Max)
		if !set {
			be.Note = "not set; " + be.Note
		}
		return []BreakEven{be}, nil
	}
	if len(firsts) == 2 && firsts[1].distance < firsts[0].distance {
		firsts[0], firsts[1] = firsts[1], firsts[0]
	}
	var out []BreakEven
	for _, best := range firsts {
		entries, err := a.chain(ev, s, f, be, cur, best, current)
		if err != nil {
			return nil, err
		}
		out = append(out, entries...)
	}
	return out, nil
}

// chain lists the entries of one direction from the first flip, best: the
// answer may change again further on (a budget low enough for POP3
// alone, lower still for nothing): each interval is an entry, with until
// its last value.
func (a *Advisor) chain(ev *evaluator, s Scenario, f Field, be BreakEven, cur float64, best *flip, current string) ([]BreakEven, error) {
	// The answer may change again further on (a budget low enough for
	// POP3 alone, lower still for nothing): each interval is an entry,
	// with until where the next one starts. The samples that found the
	// flips are coarse, so each interval (and the stretch from the current
	// value to the first flip) is checked again at finer points, and a
	// flip found there splits it.
	flips := []*flip{best}
	for len(flips) <= maxIntervals {
		last := flips[len(flips)-1]
		next, err := a.scan(ev, s, f, last.at, last.up, last.to)
		if err != nil {
			return nil, err
		}
		if next == nil {
			break
		}
		flips = append(flips, next)
	}
	for i, checks := -1, 0; i < len(flips) && checks < 8*maxIntervals; i, checks = i+1, checks+1 {
		if len(flips) > maxIntervals {
			// Past the intervals listed, only the one after the last
			// matters: it gives that last interval its end.
			flips = flips[:maxIntervals+1]
			if i >= maxIntervals {
				break
			}
		}
		from, answer := cur, current
		if i >= 0 {
			from, answer = flips[i].at, flips[i].to
		}
		to := f.Min
		if best.up {
			to = f.Max
		}
		if i+1 < len(flips) {
			to = flips[i+1].at
		}
		missed, err := a.firstChange(ev, s, f, from, to, best.up, answer)
		if err != nil {
			return nil, err
		}
		if missed != nil {
			flips = slices.Insert(flips, i+1, missed)
			// A later flip to the same answer is no flip any more: the
			// interval checks below look at the stretch it ended.
			for i+2 < len(flips) && flips[i+2].to == missed.to {
				flips = slices.Delete(flips, i+2, i+3)
			}
			i-- // check the shortened interval again
		}
	}
	var out []BreakEven
	for i, fl := range flips[:min(len(flips), maxIntervals)] {
		e := be
		at := fl.at
		e.At, e.FlipsTo = &at, fl.to
		e.Direction = "at_or_below"
		if fl.up {
			e.Direction = "at_or_above"
		}
		if i+1 < len(flips) {
			// The last value that still gives this answer: one step of
			// the grid before the next entry's at.
			until := flips[i+1].at
			if f.Step > 0 && onStep(f, until) {
				if fl.up {
					until = gridValue(f, math.Round(until/f.Step)-1)
				} else {
					until = gridValue(f, math.Round(until/f.Step)+1)
				}
			}
			e.Until = &until
		}
		out = append(out, e)
	}
	return out, nil
}

// checkPoints is how many points firstChange tries inside an interval.
const checkPoints = 12

// firstChange looks inside (from, to) for a value whose answer is not
// answer: at checkPoints points spread evenly, then geometrically for a
// log-scale input, and the midpoint; the first one found is narrowed by
// bisection.
func (a *Advisor) firstChange(ev *evaluator, s Scenario, f Field, from, to float64, up bool, answer string) (*flip, error) {
	points := make([]float64, 0, 2*checkPoints+1)
	for k := 1; k < checkPoints; k++ {
		t := float64(k) / checkPoints
		points = append(points, from+(to-from)*t)
		if f.LogScale && from > 0 && to > 0 {
			points = append(points, from*math.Pow(to/from, t))
		}
	}
	points = append(points, (from+to)/2)
	for i, x := range points {
		if f.Kind == KindInt {
			points[i] = math.Round(x)
		}
	}
	// Nearest first, so that the first change found is the first one met.
	slices.SortFunc(points, func(x, y float64) int {
		return cmp.Compare(math.Abs(x-from), math.Abs(y-from))
	})
	same := from
	for _, x := range points {
		if x == from || x == to || (x-from)*(to-x) <= 0 {
			continue
		}
		got, err := a.decideWith(ev, s, f, x)
		if err != nil {
			return nil, err
		}
		if got == answer {
			same = x
			continue
		}
		return a.flipBetween(ev, s, f, from, same, x, up, answer)
	}
	return nil, nil
}

// maxIntervals bounds the intervals listed along one input.
const maxIntervals = 6

// scan walks from cur towards one end of the range and, at the first
// sample where the answer differs, narrows the flip by bisection; the
// flip's answer is the one at the value it reports.
func (a *Advisor) scan(ev *evaluator, s Scenario, f Field, cur float64, up bool, current string) (*flip, error) {
	same := cur
	for k := 1; k <= samplesPerSide; k++ {
		x := sample(f, cur, up, k)
		if x == same {
			continue
		}
		got, err := a.decideWith(ev, s, f, x)
		if err != nil {
			return nil, err
		}
		if got == current {
			same = x
			continue
		}
		return a.flipBetween(ev, s, f, cur, same, x, up, current)
	}
	return nil, nil
}

// flipBetween pins the flip between same (whose answer is current) and
// flipped by bisection; the flip's answer is the one at the value found,
// and its distance is counted from cur.
func (a *Advisor) flipBetween(ev *evaluator, s Scenario, f Field, cur, same, flipped float64, up bool, current string) (*flip, error) {
	same, flipped, err := a.bisect(ev, s, f, same, flipped, current)
	if err != nil {
		return nil, err
	}
	at, err := a.onGrid(ev, s, f, same, flipped, up, current)
	if err != nil {
		return nil, err
	}
	to, err := a.decideWith(ev, s, f, at)
	if err != nil {
		return nil, err
	}
	return &flip{at: at, distance: math.Abs(at-cur) / (f.Max - f.Min), up: up, to: to}, nil
}

// onGrid moves the flip between same and flipped (pinned by bisection,
// off the grid) to the
// first value on the input's grid (Field.Step) past which the answer is
// no longer current: the grid value just before it still gives current,
// it does not. When the answer changes and changes back between two grid
// values, at is kept as found.
func (a *Advisor) onGrid(ev *evaluator, s Scenario, f Field, same, flipped float64, up bool, current string) (float64, error) {
	if f.Step <= 0 || f.Kind == KindInt {
		return a.niceValue(ev, s, f, same, flipped, current)
	}
	at := flipped
	dir := 1.0
	if !up {
		dir = -1
	}
	// The grid value at or just before at, coming from the current side.
	k := math.Floor(at/f.Step + 1e-9)
	if !up {
		k = math.Ceil(at/f.Step - 1e-9)
	}
	for i := -1.0; i <= 2; i++ {
		c := gridValue(f, k+dir*i)
		if c < f.Min || c > f.Max {
			continue
		}
		got, err := a.decideWith(ev, s, f, c)
		if err != nil {
			return 0, err
		}
		if got == current {
			continue
		}
		before := gridValue(f, k+dir*(i-1))
		if before >= f.Min && before <= f.Max {
			prev, err := a.decideWith(ev, s, f, before)
			if err != nil {
				return 0, err
			}
			if prev != current {
				continue // not the first: the flip is further back
			}
		}
		return c, nil
	}
	return a.niceValue(ev, s, f, same, flipped, current)
}

// onStep reports whether v is on f's grid.
func onStep(f Field, v float64) bool {
	return gridValue(f, math.Round(v/f.Step)) == v
}

// gridValue is the k-th value of f's grid, without float noise (0.3, not
// 0.30000000000000004).
func gridValue(f Field, k float64) float64 {
	v := k * f.Step
	digits := max(0, int(math.Ceil(-math.Log10(f.Step)-1e-9)))
	scale := math.Pow10(digits)
	return math.Round(v*scale) / scale
}

// sample returns the k-th value from cur towards the max (up) or the min,
// geometric for log-scale inputs, and rounded for whole numbers.
func sample(f Field, cur float64, up bool, k int) float64 {
	t := float64(k) / samplesPerSide
	end := f.Min
	if up {
		end = f.Max
	}
	var x float64
	switch {
	case f.LogScale && cur > 0 && end > 0:
		x = cur * math.Pow(end/cur, t)
	case f.LogScale && cur > 0 && k < samplesPerSide:
		// Down to zero: go geometric to cur/1000, then jump to the end.
		x = cur * math.Pow(1e-3, t*samplesPerSide/(samplesPerSide-1))
	default:
		x = cur + (end-cur)*t
	}
	if f.Kind == KindInt {
		x = math.Round(x)
	}
	return math.Max(f.Min, math.Min(f.Max, x))
}

// bisect narrows [same, flipped] until the flip is pinned: to the whole
// number for integers, to 10 ppm of the value for the others.
func (a *Advisor) bisect(ev *evaluator, s Scenario, f Field, same, flipped float64, current string) (float64, float64, error) {
	for i := 0; i < 60 && !pinned(f, same, flipped); i++ {
		mid := (same + flipped) / 2
		if f.Kind == KindInt {
			mid = math.Round(mid)
			if mid == same || mid == flipped {
				break
			}
		}
		got, err := a.decideWith(ev, s, f, mid)
		if err != nil {
			return 0, 0, err
		}
		if got == current {
			same = mid
		} else {
			flipped = mid
		}
	}
	return same, flipped, nil
}

func pinned(f Field, same, flipped float64) bool {
	gap := math.Abs(flipped - same)
	if f.Kind == KindInt {
		return gap <= 1
	}
	if f.Step > 0 {
		return gap <= f.Step/4 // within one cell of the grid: onGrid ends it
	}
	return gap <= math.Max(1e-5*math.Abs(flipped), 1e-9*(f.Max-f.Min))
}

// niceValue rounds the flip point to as few significant digits as keep it
// within 0.1% of the exact point, away from the unflipped side, when the
// rounded value still flips.
func (a *Advisor) niceValue(ev *evaluator, s Scenario, f Field, same, flipped float64, current string) (float64, error) {
	if f.Kind == KindInt {
		return flipped, nil
	}
	for digits := 2; digits <= 6; digits++ {
		x := roundAway(flipped, digits, flipped > same)
		if x < f.Min || x > f.Max || math.Abs(x-flipped) > 1e-3*math.Abs(flipped) {
			continue
		}
		got, err := a.decideWith(ev, s, f, x)
		if err != nil {
			return 0, err
		}
		if got != current {
			return x, nil
		}
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(flipped, 'g', 8, 64), 64)
	if got, err := a.decideWith(ev, s, f, v); err != nil || got == current {
		return flipped, err // the short form fell on the unflipped side
	}
	return v, nil
}

// roundAway rounds v to the given significant digits, up or down.
func roundAway(v float64, digits int, up bool) float64 {
	if v == 0 {
		return 0
	}
	scale := math.Pow(10, float64(digits)-math.Ceil(math.Log10(math.Abs(v))))
	if up {
		return math.Ceil(v*scale) / scale
	}
	return math.Floor(v*scale) / scale
}

func (a *Advisor) decideWith(ev *evaluator, s Scenario, f Field, x float64) (string, error) {
	f.set(&s, x)
	return a.decide(ev, &s)
}

// whatIf tries every other value of each yes/no and named input and lists
// the ones that flip the recommendation.
func (a *Advisor) whatIf(ev *evaluator, s Scenario, current string) ([]WhatIf, error) {
	out := []WhatIf{}
	for _, f := range fields {
		var alternatives []string
		switch f.Kind {
		case KindBool:
			alternatives = []string{strconv.FormatBool(!f.getB(&s))}
		case KindEnum:
			for _, v := range f.Values {
				if v != f.getStr(&s) {
					alternatives = append(alternatives, v)
				}
			}
		}
		for _, v := range alternatives {
			changed := s
			if err := f.Set(&changed, v); err != nil {
				return nil, err
			}
			got, err := a.decide(ev, &changed)
			if err != nil {
				return nil, err
			}
			if got != current {
				out = append(out, WhatIf{Input: f.Name, Value: v, FlipsTo: got})
			}
		}
	}
	return out, nil
}
