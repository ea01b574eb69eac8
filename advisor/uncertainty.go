package advisor

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/mailadvisor/mailadvisor/costmodel"
	"github.com/mailadvisor/mailadvisor/internal/yamlparams"
)

// Defaults and limits of [Advisor.Uncertainty].
const (
	DefaultDraws = 10_000
	DefaultSeed  = 1
	MaxDraws     = 1_000_000
	// TornadoSize is how many parameters the tornado lists.
	TornadoSize = 8
)

// Parameter models: which parameter file a parameter comes from.
const (
	ModelCost   = "cost"
	ModelCarbon = "co2"
)

// UncertaintyOptions choose how many parameter sets to draw, and from
// which seed: the same seed gives the same figures.
type UncertaintyOptions struct {
	Draws int // DefaultDraws when 0
	Seed  uint64
}

// Uncertainty is how the advice holds when every cost and CO2 parameter
// is drawn within its range (a triangular distribution from its low to
// its high end, peaking at its value), Draws times from Seed.
type Uncertainty struct {
	Draws        int    `json:"draws" yaml:"draws"`
	Seed         uint64 `json:"seed" yaml:"seed"`
	Distribution string `json:"distribution" yaml:"distribution"`
	// Answer is the answer with every parameter at its value: the
	// recommended option, or none when no option meets every constraint.
	Answer string `json:"answer" yaml:"answer"`
	// AnswerShare is the share of the draws that give Answer.
	AnswerShare float64 `json:"answer_share" yaml:"answer_share"`
	// Outcomes are the answers the draws gave, most frequent first; their
	// shares sum to 1.
	Outcomes []Outcome `json:"outcomes" yaml:"outcomes"`
	// Options are the yearly cost and CO2 of each option over the draws.
	Options []Spread `json:"options" yaml:"options"`
	// Gap is what the tornado measures: the yearly cost of the IMAP option
	// the advice weighs minus that of the POP3 option, in EUR.
	Gap Band `json:"gap_eur" yaml:"gap_eur"`
	// Tornado lists the parameters that move Gap most, each taken alone
	// from its low to its high end (with the parameters drawn with it).
	Tornado []Swing `json:"tornado" yaml:"tornado"`
	// LosesWhen is the one condition on one parameter that best tells the
	// draws where Answer loses from the others, when one explains at
	// least half of them (nil otherwise, or when it never loses).
	LosesWhen *Condition `json:"loses_when,omitempty" yaml:"loses_when,omitempty"`
}

// Outcome is one answer and the share of draws that gave it.
type Outcome struct {
	Answer string  `json:"answer" yaml:"answer"` // an option, or none
	Share  float64 `json:"share" yaml:"share"`
}

// Band is a figure's central estimate and its 10th, 50th and 90th
// percentiles over the draws.
type Band struct {
	Central float64 `json:"central" yaml:"central"`
	P10     float64 `json:"p10" yaml:"p10"`
	P50     float64 `json:"p50" yaml:"p50"`
	P90     float64 `json:"p90" yaml:"p90"`
}

// Spread is one option's yearly cost (EUR) and CO2 (kg, in the CO2 model
// the advice uses) over the draws.
type Spread struct {
	Option  string `json:"option" yaml:"option"`
	CostEUR Band   `json:"yearly_cost_eur" yaml:"yearly_cost_eur"`
	CO2Kg   Band   `json:"yearly_co2_kg" yaml:"yearly_co2_kg"`
}

// ParameterRef names a parameter: its file (cost or co2) and dotted key.
type ParameterRef struct {
	Model string `json:"model" yaml:"model"`
	Key   string `json:"key" yaml:"key"`
}

// Swing is one parameter of the tornado: Gap with it at its low and at its
// high end, every other parameter at its value.
type Swing struct {
	ParameterRef `yaml:",inline"`
	Central      float64  `json:"central" yaml:"central"`
	Low          float64  `json:"low" yaml:"low"`
	High         float64  `json:"high" yaml:"high"`
	GapAtLow     float64  `json:"gap_at_low_eur" yaml:"gap_at_low_eur"`
	GapAtHigh    float64  `json:"gap_at_high_eur" yaml:"gap_at_high_eur"`
	With         []string `json:"with,omitempty" yaml:"with,omitempty"` // parameters drawn with it
	Source       string   `json:"source" yaml:"source"`
	Date         string   `json:"date,omitempty" yaml:"date,omitempty"`
}

// Condition is "the answer loses when the parameter is above (or below)
// the threshold": Recall is the share of losing draws it covers,
// Precision the share of the draws it covers that lose.
type Condition struct {
	ParameterRef `yaml:",inline"`
	Above        bool    `json:"above" yaml:"above"`
	Threshold    float64 `json:"threshold" yaml:"threshold"`
	Recall       float64 `json:"recall" yaml:"recall"`
	Precision    float64 `json:"precision" yaml:"precision"`
}

// member is one parameter of a draw group, with its range.
type member struct {
	ref             ParameterRef
	set             func(float64)
	low, mode, high float64
	source, date    string
	followers       []string
	fixed           bool
}

// group is parameters drawn at one quantile: a parameter and those drawn
// with it.
type group struct{ members []member }

// drawer draws parameter sets into a private copy of the advisor's
// models, which its own advisor scores with the same compiled rules.
type drawer struct {
	a      *Advisor
	groups []group // the groups with a spread; fixed parameters stay put
	u      []float64
	rng    *rand.Rand
}

func (a *Advisor) newDrawer(seed uint64) (*drawer, error) {
	d := &drawer{a: &Advisor{rules: a.rules, models: a.models}}
	d.a.pool.New = func() any { return newEvaluator() }
	m := &d.a.models
	m.Carbon.GridGPerKWh = maps.Clone(m.Carbon.GridGPerKWh)
	byModel := []struct {
		model  string
		set    map[string]func(float64)
		ranges map[string]yamlparams.Range
	}{
		{ModelCost, yamlparams.Setters(&m.Cost), m.Cost.Ranges},
		{ModelCarbon, yamlparams.Setters(&m.Carbon), m.Carbon.Ranges},
	}
	values := map[ParameterRef]float64{}
	for _, b := range m.Cost.Bounds() {
		values[ParameterRef{ModelCost, b.Key}] = b.Value
	}
	for _, b := range m.Carbon.Bounds() {
		values[ParameterRef{ModelCarbon, b.Key}] = b.Value
	}
	for _, bm := range byModel {
		keys := slices.Sorted(maps.Keys(bm.ranges))
		index := map[string]int{} // root key -> group
		var pending []string
		for _, k := range keys {
			r := bm.ranges[k]
			set, ok := bm.set[k]
			if !ok {
				return nil, fmt.Errorf("%s parameters: range %q has no parameter", bm.model, k)
			}
			ref := ParameterRef{bm.model, k}
			mem := member{ref: ref, set: set, low: r.Low, mode: values[ref], high: r.High, source: r.Source, date: r.Date,
				fixed: r.Low == r.High}
			if r.With != "" {
				pending = append(pending, k)
				continue
			}
			index[k] = len(d.groups)
			d.groups = append(d.groups, group{members: []member{mem}})
		}
		for _, k := range pending {
			r := bm.ranges[k]
			root := r.With
			for bm.ranges[root].With != "" && root != k { // a chain: draw with its root
				root = bm.ranges[root].With
			}
			gi, ok := index[root]
			if !ok {
				return nil, fmt.Errorf("%s parameters: ranges.%s.with: %q has no range of its own", bm.model, k, r.With)
			}
			ref := ParameterRef{bm.model, k}
			g := &d.groups[gi]
			g.members = append(g.members, member{ref: ref, set: bm.set[k], low: r.Low, mode: values[ref], high: r.High, fixed: r.Low == r.High})
			g.members[0].followers = append(g.members[0].followers, k)
		}
	}
	// Groups whose every member is fixed are left out of the draws.
	d.groups = slices.DeleteFunc(d.groups, func(g group) bool {
		return !slices.ContainsFunc(g.members, func(m member) bool { return !m.fixed })
	})
	d.u = make([]float64, len(d.groups))
	d.rng = rand.New(rand.NewPCG(seed, 0x6d61696c61647669)) // "mailadvi"
	return d, nil
}

// next draws a parameter set: one quantile per group.
func (d *drawer) next() {
	for i := range d.groups {
		u := d.rng.Float64()
		d.u[i] = u
		for _, m := range d.groups[i].members {
			m.set(triangular(u, m.low, m.mode, m.high))
		}
	}
}

// central puts every parameter back at its value.
func (d *drawer) central() {
	for _, g := range d.groups {
		for _, m := range g.members {
			m.set(m.mode)
		}
	}
}

// setGroup puts group i at quantile u, every member at its own value for
// it.
func (d *drawer) setGroup(i int, u float64) {
	for _, m := range d.groups[i].members {
		m.set(triangular(u, m.low, m.mode, m.high))
	}
}

// triangular is the u-quantile of the triangular distribution from low to
// high peaking at mode.
func triangular(u, low, mode, high float64) float64 {
	if high <= low {
		return mode
	}
	w := high - low
	if u < (mode-low)/w {
		return low + math.Sqrt(u*w*(mode-low))
	}
	return high - math.Sqrt((1-u)*w*(high-mode))
}

// outcome is what one parameter set gives: the answer, every option's
// yearly cost and each protocol's yearly CO2.
type outcome struct {
	answer           string
	costs            costmodel.YearlyByOption
	pop3CO2, imapCO2 float64
	gap              float64 // IMAP option's yearly cost minus POP3's
}

// decideOption is decide with the option: the answer ("none", or the
// recommended protocol's cheapest option that meets the hard
// constraints, as Advise chooses it).
func (a *Advisor) decideOption(ev *evaluator, s *Scenario) (outcome, error) {
	protocol, err := a.decide(ev, s)
	if err != nil {
		return outcome{}, err
	}
	mf := ev.mf
	o := outcome{answer: AnswerNone, costs: mf.costs, pop3CO2: mf.pop3CO2Kg, imapCO2: mf.imapCO2Kg,
		gap: mf.imapCostEUR - mf.pop3CostEUR}
	if protocol == AnswerNone {
		return o, nil
	}
	self, hosted := costmodel.IMAPSelf, costmodel.IMAPHosted
	selfCost, hostedCost := mf.costs.IMAPSelf, mf.costs.IMAPHosted
	if protocol == POP3 {
		self, hosted = costmodel.POP3Self, costmodel.POP3Hosted
		selfCost, hostedCost = mf.costs.POP3Self, mf.costs.POP3Hosted
	}
	fits := func(hosting string, cost float64) bool {
		return (s.Hosting == HostingAny || s.Hosting == hosting) &&
			(s.BudgetEURPerYear == nil || cost <= *s.BudgetEURPerYear)
	}
	switch selfFits, hostedFits := fits(HostingSelf, selfCost), fits(HostingHosted, hostedCost); {
	case selfFits && (!hostedFits || selfCost <= hostedCost):
		o.answer = self
	case hostedFits:
		o.answer = hosted
	case protocol == POP3:
		o.answer = mf.pop3Option
	default:
		o.answer = mf.imapOption
	}
	return o, nil
}

// Uncertainty draws the cost and CO2 parameters opts.Draws times and
// scores s with each set through the same compiled rules: how often each
// answer comes out, the spread of each option's cost and CO2, the
// parameters that move the cost gap most, and the condition under which
// the central answer loses.
func (a *Advisor) Uncertainty(s Scenario, opts UncertaintyOptions) (*Uncertainty, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	n := opts.Draws
	if n == 0 {
		n = DefaultDraws
	}
	if n < 1 || n > MaxDraws {
		return nil, fmt.Errorf("draws: invalid value %d: want a number from 1 to %d", n, MaxDraws)
	}
	d, err := a.newDrawer(opts.Seed)
	if err != nil {
		return nil, err
	}
	ev := newEvaluator()
	central, err := d.a.decideOption(ev, &s)
	if err != nil {
		return nil, err
	}
	u := &Uncertainty{Draws: n, Seed: opts.Seed, Distribution: "triangular", Answer: central.answer}

	var costs [4][]float64
	for i := range costs {
		costs[i] = make([]float64, n)
	}
	pop3CO2, imapCO2, gaps := make([]float64, n), make([]float64, n), make([]float64, n)
	lose := make([]bool, n)
	// Each group's quantile, binned, with the losing draws per bin: what
	// the condition is read from, without keeping every draw's values.
	const bins = 100
	total := make([][bins]int32, len(d.groups))
	losing := make([][bins]int32, len(d.groups))
	counts := map[string]int{}
	for i := range n {
		d.next()
		o, err := d.a.decideOption(ev, &s)
		if err != nil {
			return nil, err
		}
		counts[o.answer]++
		costs[0][i], costs[1][i], costs[2][i], costs[3][i] = o.costs.POP3Self, o.costs.IMAPSelf, o.costs.POP3Hosted, o.costs.IMAPHosted
		pop3CO2[i], imapCO2[i], gaps[i] = o.pop3CO2, o.imapCO2, o.gap
		lose[i] = o.answer != central.answer
		for g, q := range d.u {
			b := min(int(q*bins), bins-1)
			total[g][b]++
			if lose[i] {
				losing[g][b]++
			}
		}
	}
	d.central()

	for answer, c := range counts {
		u.Outcomes = append(u.Outcomes, Outcome{Answer: answer, Share: float64(c) / float64(n)})
	}
	sort.Slice(u.Outcomes, func(i, j int) bool {
		if u.Outcomes[i].Share != u.Outcomes[j].Share {
			return u.Outcomes[i].Share > u.Outcomes[j].Share
		}
		return u.Outcomes[i].Answer < u.Outcomes[j].Answer
	})
	u.AnswerShare = float64(counts[central.answer]) / float64(n)

	cc := central.costs
	centralCost := [4]float64{cc.POP3Self, cc.IMAPSelf, cc.POP3Hosted, cc.IMAPHosted}
	for i, name := range costmodel.Options {
		co2, centralCO2 := pop3CO2, central.pop3CO2
		if i == 1 || i == 3 {
			co2, centralCO2 = imapCO2, central.imapCO2
		}
		u.Options = append(u.Options, Spread{Option: name, CostEUR: band(centralCost[i], costs[i]), CO2Kg: band(round2(centralCO2), co2)})
	}
	u.Gap = band(round2(central.gap), gaps)
	if u.Tornado, err = d.tornado(ev, &s); err != nil {
		return nil, err
	}
	losses := n - counts[central.answer]
	if losses > 0 {
		u.LosesWhen = d.condition(total, losing, n, losses)
	}
	return u, nil
}

// band is central with the 10th, 50th and 90th percentiles of xs (which
// it sorts).
func band(central float64, xs []float64) Band {
	slices.Sort(xs)
	return Band{Central: central, P10: percentile(xs, 0.1), P50: percentile(xs, 0.5), P90: percentile(xs, 0.9)}
}

// percentile interpolates linearly between the order statistics of the
// sorted xs.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 1 {
		return xs[0]
	}
	h := p * float64(len(xs)-1)
	lo := int(h)
	if lo+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return round2(xs[lo] + (h-float64(lo))*(xs[lo+1]-xs[lo]))
}

// tornado swings each group from its low to its high end, the others at
// their values, and lists the TornadoSize that move the gap most.
func (d *drawer) tornado(ev *evaluator, s *Scenario) ([]Swing, error) {
	var out []Swing
	for i, g := range d.groups {
		var gap [2]float64
		for j, q := range []float64{0, 1} {
			d.setGroup(i, q)
			o, err := d.a.decideOption(ev, s)
			if err != nil {
				return nil, err
			}
			gap[j] = round2(o.gap)
		}
		for _, m := range g.members { // back at its value
			m.set(m.mode)
		}
		if gap[0] == gap[1] {
			continue
		}
		m := g.members[0]
		out = append(out, Swing{ParameterRef: m.ref, Central: m.mode, Low: m.low, High: m.high,
			GapAtLow: gap[0], GapAtHigh: gap[1], With: m.followers, Source: m.source, Date: m.date})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return math.Abs(out[i].GapAtHigh-out[i].GapAtLow) > math.Abs(out[j].GapAtHigh-out[j].GapAtLow)
	})
	if len(out) > TornadoSize {
		out = out[:TornadoSize]
	}
	if out == nil {
		out = []Swing{}
	}
	return out, nil
}

// condition finds the one-parameter threshold that best separates the
// losing draws (the highest F1 score over the groups and the bin edges
// of their quantiles), kept when it covers at least half of them and at
// least half of what it covers loses.
func (d *drawer) condition(total, losing [][100]int32, draws, losses int) *Condition {
	const bins = 100
	var best *Condition
	bestF1 := 0.0
	for g := range d.groups {
		var tAbove, lAbove int32 // counts in the bins from the edge up
		for edge := bins - 1; edge >= 1; edge-- {
			tAbove += total[g][edge]
			lAbove += losing[g][edge]
			tBelow, lBelow := int32(draws)-tAbove, int32(losses)-lAbove
			for _, side := range []struct {
				above bool
				t, l  int32
			}{{true, tAbove, lAbove}, {false, tBelow, lBelow}} {
				if side.t == 0 || side.l == 0 {
					continue
				}
				recall, precision := float64(side.l)/float64(losses), float64(side.l)/float64(side.t)
				f1 := 2 * recall * precision / (recall + precision)
				if f1 > bestF1 {
					m := d.groups[g].members[0]
					bestF1 = f1
					best = &Condition{ParameterRef: m.ref, Above: side.above,
						Threshold: significant(triangular(float64(edge)/bins, m.low, m.mode, m.high), 4),
						Recall:    round4(recall), Precision: round4(precision)}
				}
			}
		}
	}
	if best == nil || best.Recall < 0.5 || best.Precision < 0.5 {
		return nil
	}
	return best
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// significant rounds v to digits significant digits.
func significant(v float64, digits int) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	scale := math.Pow(10, float64(digits)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*scale) / scale
}
