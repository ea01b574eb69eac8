package advisor

import (
	"math"
	"testing"
)

func breakEvenOf(t *testing.T, res *Result, input string) BreakEven {
	t.Helper()
	for _, b := range res.BreakEven {
		if b.Input == input {
			return b
		}
	}
	t.Fatalf("no break-even for %s", input)
	return BreakEven{}
}

func TestBreakEvenFindsKnownFlips(t *testing.T) {
	// IMAP gets users points, POP3 100: POP3 below 100 users, IMAP from
	// 100 (a tie goes to IMAP). IMAP also gets devices*10 when the team
	// is small, against POP3's 25 from the second rule set.
	a := mustRules(t, `rules:
  - {id: team, title: T, when: "true", favours: imap, points: "users", reason: r}
  - {id: base, title: T, when: "true", favours: pop3, points: "100", reason: r}
  - {id: dev, title: T, when: "true", favours: imap, points: "devices_per_user * 10", reason: r}
`)
	s := DefaultScenario()
	s.Users, s.DevicesPerUser = 50, 1 // IMAP 60, POP3 100
	res, err := a.Advise(s, Options{BreakEven: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Recommendation.Protocol != POP3 {
		t.Fatalf("recommendation %s, want pop3", res.Recommendation.Protocol)
	}
	users := breakEvenOf(t, res, "users")
	if users.At == nil || *users.At != 90 || users.FlipsTo != IMAP || users.Direction != "at_or_above" {
		t.Errorf("users break-even = %+v, want IMAP at or above 90", users)
	}
	dev := breakEvenOf(t, res, "devices_per_user")
	if dev.At == nil || math.Abs(*dev.At-5) > 1e-6 || dev.FlipsTo != IMAP {
		t.Errorf("devices break-even = %+v, want IMAP at 5", dev)
	}
	if mobile := breakEvenOf(t, res, "mobile_share"); mobile.At != nil || mobile.Note == "" {
		t.Errorf("mobile_share break-even = %+v, want no flip with a note", mobile)
	}
}

func TestBreakEvenDownwards(t *testing.T) {
	a := mustRules(t, `rules:
  - {id: q, title: T, when: "server_quota_gb < 4.2", favours: pop3, points: "10", reason: r}
`)
	res, err := a.Advise(DefaultScenario(), Options{BreakEven: true})
	if err != nil {
		t.Fatal(err)
	}
	q := breakEvenOf(t, res, "server_quota_gb")
	if q.At == nil || q.Direction != "at_or_below" || q.FlipsTo != POP3 || *q.At >= 4.2 || *q.At < 4.19 {
		t.Errorf("quota break-even = %+v (at %v), want POP3 at or below just under 4.2", q, deref(q.At))
	}
}

func TestBreakEvenOfUnsetOptionalInput(t *testing.T) {
	a := mustRules(t, `rules:
  - {id: b, title: T, when: "has_bandwidth && bandwidth_mbps < 5", favours: pop3, points: "10", reason: r}
`)
	res, err := a.Advise(DefaultScenario(), Options{BreakEven: true})
	if err != nil {
		t.Fatal(err)
	}
	b := breakEvenOf(t, res, "bandwidth_mbps")
	if b.Current != nil || b.At == nil || *b.At >= 5 || *b.At < 4.9 || b.FlipsTo != POP3 {
		t.Errorf("bandwidth break-even = %+v, want unset with POP3 just under 5", b)
	}
}

// Every flip that the built-in rules report must really flip.
func TestBuiltinBreakEvensFlip(t *testing.T) {
	a := builtinAdvisor(t)
	presets, _ := Presets()
	for _, p := range presets {
		res, err := a.Advise(p.Scenario, Options{BreakEven: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range res.BreakEven {
			if b.At == nil {
				continue
			}
			f, _ := FieldByName(b.Input)
			s := p.Scenario
			f.SetNumber(&s, *b.At)
			got, err := a.Advise(s, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if answer(got.Recommendation) != b.FlipsTo {
				t.Errorf("%s: %s at %v gives %s, break-even says %s", p.Name, b.Input, *b.At, answer(got.Recommendation), b.FlipsTo)
			}
		}
		for _, w := range res.WhatIf {
			f, _ := FieldByName(w.Input)
			s := p.Scenario
			if err := f.Set(&s, w.Value); err != nil {
				t.Fatal(err)
			}
			got, _ := a.Advise(s, Options{})
			if answer(got.Recommendation) != w.FlipsTo {
				t.Errorf("%s: what-if %s=%s gives %s, want %s", p.Name, w.Input, w.Value, answer(got.Recommendation), w.FlipsTo)
			}
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// With a budget, self-hosted IMAP's 8,000 EUR a year for the article's 50
// users is vetoed once it is over the budget: below 8,000 EUR.
func TestBudgetBreakEven(t *testing.T) {
	s := DefaultScenario()
	s.Hosting = HostingSelf
	s.BudgetEURPerYear = ptr(9000)
	res, err := builtinAdvisor(t).Advise(s, Options{BreakEven: true})
	if err != nil {
		t.Fatal(err)
	}
	b := breakEvenOf(t, res, "budget_eur_per_year")
	if b.At == nil || b.FlipsTo != POP3 || b.Direction != "at_or_below" || math.Abs(*b.At-8000) > 8000*1e-3 || *b.At >= 8000 {
		t.Errorf("budget break-even = %+v (at %v), want POP3 below 8000 (within 0.1%%)", b, deref(b.At))
	}
}
