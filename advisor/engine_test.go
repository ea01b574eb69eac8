package advisor

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func mustRules(t testing.TB, doc string) *Advisor {
	t.Helper()
	rs, err := ParseRules(strings.NewReader(doc), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return New(rs, defaultModels(t))
}

func TestConfidenceFromMargin(t *testing.T) {
	tests := []struct {
		imap, pop3 float64
		vetoes     []Veto
		protocol   string
		confidence string
	}{
		{50, 10, nil, IMAP, ConfidenceStrong},
		{40, 10, nil, IMAP, ConfidenceStrong},
		{10, 39.99, nil, POP3, ConfidenceModerate},
		{20, 10, nil, IMAP, ConfidenceModerate},
		{10, 19, nil, POP3, ConfidenceClose},
		{10, 10, nil, IMAP, ConfidenceClose}, // a tie goes to IMAP
		{90, 0, []Veto{{Protocol: IMAP}}, POP3, ConfidenceStrong},
		{0, 90, []Veto{{Protocol: POP3}}, IMAP, ConfidenceStrong},
		// No option left: the least bad by the scores, and confidence none.
		{20, 10, []Veto{{Protocol: IMAP}, {Protocol: POP3}}, IMAP, ConfidenceNone},
	}
	for _, tc := range tests {
		rec := recommend(Scores{IMAP: tc.imap, POP3: tc.pop3}, tc.vetoes)
		if rec.Protocol != tc.protocol || rec.Confidence != tc.confidence {
			t.Errorf("scores %v/%v vetoes %v: got %s %s, want %s %s", tc.imap, tc.pop3, tc.vetoes,
				rec.Protocol, rec.Confidence, tc.protocol, tc.confidence)
		}
	}
}

func TestBothVetoedWarns(t *testing.T) {
	a := mustRules(t, `rules:
  - {id: no-imap, kind: veto, vetoes: imap, title: T, when: "true", reason: a}
  - {id: no-pop3, kind: veto, vetoes: pop3, title: T, when: "true", reason: b}
`)
	res, err := a.Advise(DefaultScenario(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Vetoes) != 2 || len(res.Warnings) != 1 || res.Warnings[0].Rule != "both-vetoed" {
		t.Errorf("vetoes %v warnings %v, want two vetoes and a both-vetoed warning", res.Vetoes, res.Warnings)
	}
}

func TestScoresAreTheSumOfContributions(t *testing.T) {
	a := builtinAdvisor(t)
	presets, _ := Presets()
	for _, p := range presets {
		res, err := a.Advise(p.Scenario, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var sum Scores
		for _, c := range res.Contributions {
			sum.add(c.Favours, c.Points)
			if c.Points < 0 || c.Reason == "" {
				t.Errorf("%s: contribution %+v", p.Name, c)
			}
		}
		if math.Abs(sum.IMAP-res.Scores.IMAP) > 1e-9 || math.Abs(sum.POP3-res.Scores.POP3) > 1e-9 {
			t.Errorf("%s: scores %+v, contributions sum to %+v", p.Name, res.Scores, sum)
		}
	}
}

func TestLeaveOnServer(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Scenario)
		days   int
		reason string
	}{
		{"policy forbids server copies", func(s *Scenario) { s.LocalStorageOnly = true }, 0, "policy"},
		{"one backed-up device", func(s *Scenario) { s.DevicesPerUser, s.EndpointBackups = 1, true }, 7, "a week"},
		{"several devices", func(s *Scenario) { s.DevicesPerUser, s.EndpointBackups = 2, true }, 14, "two weeks"},
		{"no endpoint backups", func(s *Scenario) { s.EndpointBackups = false }, 30, "safety net"},
		{"quota caps the days", func(s *Scenario) { s.EndpointBackups, s.ServerQuotaGB, s.MailboxGrowthGBPerYear = false, 0.05, 1 },
			18, "only holds 18 days"},
		{"quota holds more than the days", func(s *Scenario) { s.EndpointBackups, s.ServerQuotaGB, s.MailboxGrowthGBPerYear = false, 5, 1 },
			30, "safety net"},
		{"no mail growth", func(s *Scenario) { s.EndpointBackups, s.MailboxGrowthGBPerYear = true, 0 }, 14, "two weeks"},
	}
	for _, tc := range tests {
		s := DefaultScenario()
		tc.change(&s)
		days, why := LeaveOnServer(&s)
		if days != tc.days || !strings.Contains(why, tc.reason) {
			t.Errorf("%s: %d days (%s), want %d days mentioning %q", tc.name, days, why, tc.days, tc.reason)
		}
		if fast := daysOnServer(&s); fast != days {
			t.Errorf("%s: daysOnServer %d, LeaveOnServer %d", tc.name, fast, days)
		}
	}
}

func TestLeaveOnServerOnlyForPOP3(t *testing.T) {
	a := builtinAdvisor(t)
	imap, _ := a.Advise(DefaultScenario(), Options{})
	if imap.Recommendation.LeaveOnServerDays != nil {
		t.Errorf("IMAP recommendation has leave_on_server_days %d", *imap.Recommendation.LeaveOnServerDays)
	}
	pop, _ := a.Advise(mustPreset("single-device-home"), Options{})
	if pop.Recommendation.LeaveOnServerDays == nil {
		t.Error("POP3 recommendation lacks leave_on_server_days")
	}
}

func TestEndpointsAreNeverCleartext(t *testing.T) {
	for _, p := range []string{IMAP, POP3} {
		eps := Endpoints(p)
		if eps[0].Service != p || eps[0].Security != SecurityTLS {
			t.Errorf("%s: first endpoint %+v, want %s with implicit TLS", p, eps[0], p)
		}
		for _, e := range eps {
			switch e.Port {
			case 25, 110, 143:
				t.Errorf("%s: cleartext port %d offered", p, e.Port)
			}
			if e.Security != SecurityTLS && e.Security != SecuritySTARTTLS {
				t.Errorf("%s: endpoint %+v is not encrypted", p, e)
			}
		}
		if eps[1].Port != 465 || eps[2].Port != 587 || eps[2].Security != SecuritySTARTTLS {
			t.Errorf("%s: submission endpoints %+v, want 465 TLS then 587 STARTTLS", p, eps[1:])
		}
	}
	if got := Endpoints(POP3)[0].Port; got != 995 {
		t.Errorf("POP3 port %d, want 995", got)
	}
	if got := Endpoints(IMAP)[0].Port; got != 993 {
		t.Errorf("IMAP port %d, want 993", got)
	}
}

func TestAdviseRejectsInvalidScenario(t *testing.T) {
	s := DefaultScenario()
	s.Users = 0
	_, err := builtinAdvisor(t).Advise(s, Options{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a ValidationError", err)
	}
}

func TestResultSlicesAreNeverNil(t *testing.T) {
	res, err := builtinAdvisor(t).Advise(DefaultScenario(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Contributions == nil || res.Vetoes == nil || res.Warnings == nil || res.Endpoints == nil ||
		res.BreakEven == nil || res.WhatIf == nil {
		t.Errorf("a result slice is nil: %+v", res)
	}
}

func TestConcurrentAdvise(t *testing.T) {
	a := builtinAdvisor(t)
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func(users int) {
			s := DefaultScenario()
			s.Users = users
			_, err := a.Advise(s, Options{BreakEven: true})
			done <- err
		}(i + 1)
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// The budget decided when raising it to the other protocol's price gives
// that protocol, whatever the veto rules are called; a policy veto that
// would still hold leaves the confidence to the veto (strong), with no
// budget gap.
func TestDecidedByTheBudgetWhateverTheRuleIsCalled(t *testing.T) {
	rs, err := ParseRules(strings.NewReader(`rules:
  - {id: teams, title: T, when: "users > 1", favours: imap, points: "50", reason: x}
  - {id: cost-ceiling, title: T, kind: veto, vetoes: imap, when: "has_budget && imap_cost_eur > budget_eur_per_year", reason: x}
  - {id: no-remote, title: T, kind: veto, vetoes: imap, when: local_storage_only, reason: x}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := New(rs, defaultModels(t))
	s := DefaultScenario()
	s.Hosting = HostingHosted
	s.BudgetEURPerYear = ptr(2600) // hosted IMAP: 2,640 for 50 users
	res, err := a.Advise(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Recommendation
	if rec.Protocol != POP3 || rec.BudgetGapEUR == nil || *rec.BudgetGapEUR != 40 || rec.Confidence != ConfidenceClose ||
		len(rec.DecidedBy) != 1 || rec.DecidedBy[0] != "cost-ceiling" {
		t.Errorf("40 EUR over the budget: %+v", rec)
	}
	s.LocalStorageOnly = true
	if res, err = a.Advise(s, Options{}); err != nil {
		t.Fatal(err)
	}
	if rec := res.Recommendation; rec.BudgetGapEUR != nil || rec.Confidence != ConfidenceStrong || len(rec.DecidedBy) != 2 {
		t.Errorf("a policy veto as well: %+v", rec)
	}
}
