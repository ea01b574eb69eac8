package advisor

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/yamlparams"
)

// uncertaintyScenarios are the presets and the 35-person office
// at budgets on both sides of the hosted price.
func uncertaintyScenarios(t testing.TB) map[string]Scenario {
	t.Helper()
	presets, err := Presets()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Scenario{}
	for _, p := range presets {
		out[p.Name] = p.Scenario
	}
	for _, budget := range []float64{1800, 1848, 2500} {
		s := DefaultScenario()
		s.Users, s.DevicesPerUser = 35, 2.5
		s.BudgetEURPerYear = &budget
		out["office-35-budget-"+formatNumber(budget)] = s
	}
	return out
}

func TestUncertaintyHolds(t *testing.T) {
	a := builtinAdvisor(t)
	for name, s := range uncertaintyScenarios(t) {
		t.Run(name, func(t *testing.T) {
			res, err := a.Advise(s, Options{Uncertainty: &UncertaintyOptions{Draws: 2000, Seed: 3}})
			if err != nil {
				t.Fatal(err)
			}
			u := res.Uncertainty
			if u == nil || u.Draws != 2000 || u.Seed != 3 {
				t.Fatalf("uncertainty = %+v", u)
			}
			if u.Answer != answerOption(res) {
				t.Errorf("central answer %q, advise says %q", u.Answer, answerOption(res))
			}
			sum, answerShare := 0.0, -1.0
			for _, o := range u.Outcomes {
				sum += o.Share
				if o.Answer == u.Answer {
					answerShare = o.Share
				}
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Errorf("shares sum to %v, want 1: %+v", sum, u.Outcomes)
			}
			if answerShare != u.AnswerShare {
				t.Errorf("answer share %v, outcomes say %v", u.AnswerShare, answerShare)
			}
			if len(u.Options) != 4 {
				t.Fatalf("%d options", len(u.Options))
			}
			for _, o := range u.Options {
				for what, b := range map[string]Band{"cost": o.CostEUR, "CO2": o.CO2Kg} {
					if !(b.P10 <= b.P50 && b.P50 <= b.P90) || b.Central < b.P10 || b.Central > b.P90 {
						t.Errorf("%s %s: band %+v does not hold its central estimate in order", o.Option, what, b)
					}
				}
			}
			for i, sw := range u.Tornado {
				if i > 0 && math.Abs(sw.GapAtHigh-sw.GapAtLow) > math.Abs(u.Tornado[i-1].GapAtHigh-u.Tornado[i-1].GapAtLow) {
					t.Errorf("tornado not sorted at %d: %+v", i, u.Tornado)
				}
				if !(sw.Low <= sw.Central && sw.Central <= sw.High) || sw.Source == "" {
					t.Errorf("swing %+v", sw)
				}
			}
			if c := u.LosesWhen; c != nil && (c.Recall < 0.5 || c.Precision < 0.5) {
				t.Errorf("condition kept below a half: %+v", c)
			}
			again, err := a.Uncertainty(s, UncertaintyOptions{Draws: 2000, Seed: 3})
			if err != nil || !reflect.DeepEqual(again, u) {
				t.Errorf("the same seed gave other figures: %v", err)
			}
		})
	}
}

// answerOption is what Uncertainty's answer is for res: none, or the
// recommended option.
func answerOption(res *Result) string {
	if res.Recommendation.Confidence == ConfidenceNone {
		return AnswerNone
	}
	return res.Recommendation.Option
}

// TestUncertaintyFigures fixes a seed and checks the figures, for the
// 35-person office with a 2,500 EUR budget: hosted IMAP wins but for a
// hosted price of about 5.93 EUR a month and more.
func TestUncertaintyFigures(t *testing.T) {
	s := uncertaintyScenarios(t)["office-35-budget-2500"]
	u, err := builtinAdvisor(t).Uncertainty(s, UncertaintyOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []Outcome{{"imap-hosted", 0.9258}, {"pop3-self", 0.062}, {"none", 0.0122}}
	if u.Draws != DefaultDraws || !reflect.DeepEqual(u.Outcomes, want) {
		t.Errorf("outcomes = %+v, want %+v", u.Outcomes, want)
	}
	c := u.LosesWhen
	if c == nil || c.Key != "imap_hosted.price_per_user_month" || !c.Above || c.Threshold != 5.929 || c.Recall != 1 || c.Precision != 0.9562 {
		t.Errorf("loses when %+v", c)
	}
	if len(u.Tornado) == 0 || u.Tornado[0].Key != "imap_hosted.price_per_user_month" || u.Tornado[0].GapAtHigh != 1180 ||
		!reflect.DeepEqual(u.Tornado[0].With, []string{"pop3_hosted.price_per_user_month"}) {
		t.Errorf("tornado head %+v", u.Tornado)
	}
	if o := u.Options[3]; o.Option != "imap-hosted" || o.CostEUR.Central != 1848 {
		t.Errorf("imap-hosted = %+v", o)
	}
}

// TestDrawsScoreAsAdvise holds the fast path the draws take to the whole
// advice: for each draw, the advice of an advisor built on the drawn
// parameters gives the same answer.
func TestDrawsScoreAsAdvise(t *testing.T) {
	a := builtinAdvisor(t)
	for name, s := range uncertaintyScenarios(t) {
		d, err := a.newDrawer(11)
		if err != nil {
			t.Fatal(err)
		}
		ev := newEvaluator()
		for i := range 300 {
			d.next()
			o, err := d.a.decideOption(ev, &s)
			if err != nil {
				t.Fatal(err)
			}
			whole, err := New(a.rules, d.a.models).Advise(s, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := answerOption(whole); got != o.answer {
				t.Fatalf("%s draw %d: the draws say %q, the advice %q", name, i, o.answer, got)
			}
		}
	}
}

// TestEveryParameterIsDrawn derives from the parameter files' own
// tables: every parameter with a spread is drawn, by a setter that
// reaches it, and every one has a range.
func TestEveryParameterIsDrawn(t *testing.T) {
	a := builtinAdvisor(t)
	d, err := a.newDrawer(1)
	if err != nil {
		t.Fatal(err)
	}
	drawn := map[ParameterRef]bool{}
	for _, g := range d.groups {
		for _, m := range g.members {
			drawn[m.ref] = true
		}
	}
	m := a.models
	for model, ranges := range map[string]map[string]yamlparams.Range{ModelCost: m.Cost.Ranges, ModelCarbon: m.Carbon.Ranges} {
		for k, r := range ranges {
			if r.Low < r.High && !drawn[ParameterRef{model, k}] {
				t.Errorf("%s %s has a range but is not drawn", model, k)
			}
		}
	}
	// Drawing moves the figures and central puts them back.
	def := DefaultScenario()
	before := a.models.Cost.YearlyCosts(a.models.CostInput(&def))
	d.next()
	if d.a.models.Cost.YearlyCosts(a.models.CostInput(&def)) == before {
		t.Error("a draw changed no cost")
	}
	d.central()
	if got := d.a.models.Cost.YearlyCosts(a.models.CostInput(&def)); got != before {
		t.Errorf("back at the values: %+v, want %+v", got, before)
	}
	if a.models.Carbon.GridGPerKWh["FR"] != 46.1 {
		t.Error("the draws changed the advisor's own grid intensities")
	}
}

func TestUncertaintyRefusesBadDraws(t *testing.T) {
	a := builtinAdvisor(t)
	for _, n := range []int{-1, MaxDraws + 1} {
		_, err := a.Uncertainty(DefaultScenario(), UncertaintyOptions{Draws: n})
		if err == nil || !strings.Contains(err.Error(), "draws: invalid value") {
			t.Errorf("%d draws: %v", n, err)
		}
	}
}

func TestTriangular(t *testing.T) {
	for _, c := range []struct{ u, low, mode, high, want float64 }{
		{0, 1, 2, 4, 1}, {1, 1, 2, 4, 4}, {1.0 / 3, 1, 2, 4, 2}, {0.5, 3, 3, 3, 3}, {0.5, 0, 0, 1, 1 - math.Sqrt(0.5)},
	} {
		if got := triangular(c.u, c.low, c.mode, c.high); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("triangular(%v, %v, %v, %v) = %v, want %v", c.u, c.low, c.mode, c.high, got, c.want)
		}
	}
}

// BenchmarkUncertainty draws the default 10,000 parameter sets for one
// scenario, on one core (-cpu 1): the target is under a second.
func BenchmarkUncertainty(b *testing.B) {
	a := builtinAdvisor(b)
	s := uncertaintyScenarios(b)["office-35-budget-2500"]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Uncertainty(s, UncertaintyOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*DefaultDraws)/b.Elapsed().Seconds(), "draws/s")
}

// BenchmarkUncertaintyFloor is the floor BenchmarkUncertainty is measured
// against: the same 10,000 scorings through the fast path, with no
// parameter drawn and nothing counted.
func BenchmarkUncertaintyFloor(b *testing.B) {
	a := builtinAdvisor(b)
	s := uncertaintyScenarios(b)["office-35-budget-2500"]
	ev := newEvaluator()
	for b.Loop() {
		for range DefaultDraws {
			if _, err := a.decideOption(ev, &s); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*DefaultDraws)/b.Elapsed().Seconds(), "draws/s")
}
