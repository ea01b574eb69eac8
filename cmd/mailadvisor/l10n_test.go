package main

import (
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// frenchScenarios make every path of the human output run: team and
// one-person defaults, POP3 with each leave-on-server reason, vetoes, the
// budget and hosting constraints, no feasible option.
func frenchScenarios() map[string]func(*advisor.Scenario) {
	budget := func(v float64) *float64 { return &v }
	return map[string]func(*advisor.Scenario){
		"default": func(*advisor.Scenario) {},
		"one person": func(s *advisor.Scenario) {
			s.Users, s.DevicesPerUser, s.MobileShare = 1, 1, 0
		},
		"three people": func(s *advisor.Scenario) { s.Users = 3 },
		"pop3 offline local": func(s *advisor.Scenario) {
			s.DevicesPerUser, s.OfflineAccess, s.LocalStorageOnly, s.Connectivity = 1, true, true, advisor.ConnectivityIntermittent
		},
		"pop3 not backed up": func(s *advisor.Scenario) {
			s.DevicesPerUser, s.OfflineAccess, s.Connectivity, s.EndpointBackups = 1, true, advisor.ConnectivitySlow, false
		},
		"pop3 backed up, quota": func(s *advisor.Scenario) {
			s.DevicesPerUser, s.OfflineAccess, s.EndpointBackups, s.ServerQuotaGB = 1, true, true, 0.01
			s.SharedMailboxes, s.CentralBackup, s.MobileShare = false, false, 0
		},
		"pop3 backed up": func(s *advisor.Scenario) {
			s.DevicesPerUser, s.OfflineAccess, s.EndpointBackups = 1, true, true
			s.SharedMailboxes, s.CentralBackup, s.MobileShare = false, false, 0
		},
		"pop3 two devices": func(s *advisor.Scenario) {
			s.DevicesPerUser, s.OfflineAccess, s.EndpointBackups, s.Connectivity = 2, true, true, advisor.ConnectivityIntermittent
			s.SharedMailboxes, s.CentralBackup, s.MobileShare = false, false, 0
		},
		"tight budget": func(s *advisor.Scenario) { s.BudgetEURPerYear = budget(100) },
		"self-hosted, budget": func(s *advisor.Scenario) {
			s.Hosting, s.BudgetEURPerYear = advisor.HostingSelf, budget(2500)
		},
		"nothing fits": func(s *advisor.Scenario) {
			s.LocalStorageOnly, s.BudgetEURPerYear = true, budget(10)
		},
		"privacy policy, hosted": func(s *advisor.Scenario) { s.PrivacyPolicy = true },
		"heavy": func(s *advisor.Scenario) {
			bw := 5.0
			s.BandwidthMbps, s.AttachmentShare, s.Connectivity, s.EnvironmentPriority = &bw, 0.5, advisor.ConnectivitySlow, 1
			s.MailboxGrowthGBPerYear, s.RetentionYears = 20, 10
		},
	}
}

// Every text the human output of advise, cost and carbon shows has its
// French (the catalogue in internal/l10n, the rules' translations).
func TestFrenchOutputIsComplete(t *testing.T) {
	adv, err := advisor.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	lp := l10n.New(l10n.French)
	leave := map[string]bool{}
	for name, change := range frenchScenarios() {
		s := advisor.DefaultScenario()
		change(&s)
		prov := advisor.Provenance{}
		assumed := advisor.FitDefaults(&s, prov)
		assumed = append(assumed, advisor.Assumption{Field: "users", Value: "1", Source: advisor.SourceFlag})
		for _, src := range []string{advisor.SourcePreset, advisor.SourceFile, advisor.SourceEnv} {
			assumed = append(assumed, advisor.Assumption{Field: "x", Source: src})
		}
		res, err := adv.Advise(s, advisor.Options{BreakEven: true, Estimates: true, Assumptions: assumed, Lang: l10n.French,
			Uncertainty: &advisor.UncertaintyOptions{Draws: 300, Seed: 1}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var b strings.Builder
		for _, r := range []report{adviseReport(res, lp), {sections: func() []section { return costSections(res.Cost, lp) }},
			{sections: func() []section { return carbonSections(res.Carbon, lp) }}} {
			if err := (textPrinter{width: 80}).print(&b, r); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range res.Contributions {
			if c.Text == c.Reason {
				t.Errorf("%s: rule %s has no French: %q", name, c.Rule, c.Reason)
			}
		}
		for _, o := range res.Options {
			for i, r := range o.RuledOutBy {
				if o.RuledOutText[i] == r {
					t.Errorf("%s: %s ruled out in English: %q", name, o.Option, r)
				}
			}
		}
		if r := res.Recommendation; r.LeaveOnServerDays != nil {
			leave[r.LeaveOnServerText] = true
			if r.LeaveOnServerText == r.LeaveOnServerReason {
				t.Errorf("%s: leave-on-server reason in English: %q", name, r.LeaveOnServerReason)
			}
		}
		for _, w := range res.Warnings {
			if w.Text == w.Message {
				t.Errorf("%s: warning %s has no French: %q", name, w.Rule, w.Message)
			}
		}
	}
	if len(leave) < 5 {
		t.Errorf("the scenarios reach %d of the 5 leave-on-server reasons: %v", len(leave), leave)
	}
	for _, p := range []string{advisor.IMAP, advisor.POP3} {
		for _, e := range advisor.Endpoints(p) {
			lp.T(e.Note)
		}
	}
	for _, key := range lp.Missing() {
		t.Errorf("no French for %q", key)
	}
}
