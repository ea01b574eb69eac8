package advisor

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// A property that holds for every scenario: the advice moves the right way
// when one input changes and nothing else does.
type metamorphic struct {
	name   string
	change func(s *Scenario) bool // false: the change does not apply here
	holds  func(before, after *Result) bool
}

// margin is IMAP's lead in points, from every points rule: the needs, and
// the environment, whose CO2 gap is the protocols' for the same use (one
// device each), so that what more devices add with IMAP, the price of
// syncing them, does not count twice. (A budget is a hard constraint: a
// veto, not points.)
func margin(r *Result) float64 { return r.Scores.IMAP - r.Scores.POP3 }

func towardsIMAP(before, after *Result) bool {
	return margin(after) >= margin(before)-1e-9
}

func noFlipToPOP3(before, after *Result) bool {
	return !(answer(before.Recommendation) == IMAP && answer(after.Recommendation) == POP3)
}

var metamorphics = []metamorphic{
	{"more devices per user never move the score towards POP3", func(s *Scenario) bool {
		if s.DevicesPerUser >= 20 {
			return false
		}
		s.DevicesPerUser = min(20, s.DevicesPerUser+1)
		return true
	}, towardsIMAP},
	{"more mobile users never move the score towards POP3", func(s *Scenario) bool {
		if s.MobileShare >= 1 {
			return false
		}
		s.MobileShare = min(1, s.MobileShare+0.2)
		return true
	}, towardsIMAP},
	{"shared mailboxes never move the score towards POP3", func(s *Scenario) bool {
		if s.SharedMailboxes {
			return false
		}
		s.SharedMailboxes = true
		return true
	}, towardsIMAP},
	{"a bigger budget never turns an IMAP answer into POP3", func(s *Scenario) bool {
		if s.BudgetEURPerYear == nil {
			return false
		}
		b := min(*s.BudgetEURPerYear*2, 1e9)
		s.BudgetEURPerYear = &b
		return true
	}, noFlipToPOP3},
	{"a local-storage-only policy always gives POP3 or no option", func(s *Scenario) bool {
		s.LocalStorageOnly = true
		return true
	}, func(_, after *Result) bool { return answer(after.Recommendation) != IMAP }},
}

// TestMetamorphic checks each property on generated scenarios.
func TestMetamorphic(t *testing.T) {
	a := builtinAdvisor(t)
	r := rand.New(rand.NewPCG(3, 4))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		s := randomScenario(r)
		before, err := a.Advise(s, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkMetamorphic(t, a, s, before)
	}
}

// The answer does not depend on the order of the rules in the rules file.
func TestRuleOrderDoesNotMatter(t *testing.T) {
	a := builtinAdvisor(t)
	rs, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	reversed := &RuleSet{rules: slices.Clone(rs.rules)}
	slices.Reverse(reversed.rules)
	b := New(reversed, a.models)
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 500; i++ {
		s := randomScenario(r)
		x, err1 := a.Advise(s, Options{})
		y, err2 := b.Advise(s, Options{})
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		rx, ry := x.Recommendation, y.Recommendation
		if rx.Protocol != ry.Protocol || rx.Confidence != ry.Confidence || rx.Margin != ry.Margin || rx.Option != ry.Option || x.Scores != y.Scores {
			t.Fatalf("order changed the answer for %+v:\n%+v\n%+v", s, x.Recommendation, y.Recommendation)
		}
	}
}

// FuzzDecision: for any scenario the fuzzer reaches through the field
// table, the advice is a protocol and an option of it, confidence none
// exactly when both protocols are vetoed, and the metamorphic properties
// hold.
func FuzzDecision(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(12345), uint64(6974))
	a := builtinAdvisor(f)
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		s := randomScenario(rand.New(rand.NewPCG(s1, s2)))
		res, err := a.Advise(s, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rec := res.Recommendation
		if (rec.Protocol != IMAP && rec.Protocol != POP3) || !strings.HasPrefix(rec.Option, rec.Protocol+"-") {
			t.Fatalf("answer %+v", rec)
		}
		if both := vetoed(res.Vetoes, IMAP) && vetoed(res.Vetoes, POP3); both != (rec.Confidence == ConfidenceNone) {
			t.Fatalf("confidence %s with vetoes %+v", rec.Confidence, res.Vetoes)
		}
		checkMetamorphic(t, a, s, res)
	})
}

// checkMetamorphic applies each property's change to s and checks it
// against the advice before.
func checkMetamorphic(t *testing.T, a *Advisor, s Scenario, before *Result) {
	t.Helper()
	for _, m := range metamorphics {
		s2 := s
		if !m.change(&s2) {
			continue
		}
		after, err := a.Advise(s2, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !m.holds(before, after) {
			t.Fatalf("%s: fails for %+v\nbefore %s\nafter  %s", m.name, s, before.Recommendation.Summary, after.Recommendation.Summary)
		}
	}
}
