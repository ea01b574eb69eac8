package advisor

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func builtinAdvisor(t testing.TB) *Advisor {
	t.Helper()
	rs, err := BuiltinRules()
	if err != nil {
		t.Fatalf("built-in rules: %v", err)
	}
	return New(rs, defaultModels(t))
}

func defaultModels(t testing.TB) Models {
	t.Helper()
	m, err := DefaultModels()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func ptr(v float64) *float64 { return &v }

// ruleCases gives, for every built-in rule, a scenario where it fires and
// one where it does not. TestEveryRuleHasCases makes sure none is missing.
var ruleCases = map[string]struct {
	fires, quiet func(*Scenario)
}{
	"multi-device": {
		fires: func(s *Scenario) { s.DevicesPerUser = 3 },
		quiet: func(s *Scenario) { s.DevicesPerUser = 1 },
	},
	"mobile-users": {
		fires: func(s *Scenario) { s.MobileShare = 0.5 },
		quiet: func(s *Scenario) { s.MobileShare = 0.05 },
	},
	"single-device": {
		fires: func(s *Scenario) { s.DevicesPerUser = 1 },
		quiet: func(s *Scenario) { s.DevicesPerUser = 1.5 },
	},
	"slow-connection": {
		fires: func(s *Scenario) { s.Connectivity = ConnectivitySlow },
		quiet: func(s *Scenario) { s.Connectivity = ConnectivityIntermittent },
	},
	"intermittent-connection": {
		fires: func(s *Scenario) { s.Connectivity = ConnectivityIntermittent },
		quiet: func(s *Scenario) { s.Connectivity = ConnectivitySlow },
	},
	"low-bandwidth": {
		fires: func(s *Scenario) { s.BandwidthMbps = ptr(10) }, // 10 Mbit/s for 50 users
		quiet: func(s *Scenario) { s.BandwidthMbps = ptr(100) },
	},
	"offline-access": {
		fires: func(s *Scenario) { s.OfflineAccess = true },
		quiet: func(s *Scenario) { s.OfflineAccess = false },
	},
	"heavy-attachments-poor-link": {
		fires: func(s *Scenario) { s.AttachmentShare, s.Connectivity = 0.4, ConnectivitySlow },
		quiet: func(s *Scenario) { s.AttachmentShare, s.Connectivity = 0.4, ConnectivityGood },
	},
	"shared-mailboxes": {
		fires: func(s *Scenario) { s.SharedMailboxes = true },
		quiet: func(s *Scenario) { s.SharedMailboxes = false },
	},
	"central-backup": {
		fires: func(s *Scenario) { s.CentralBackup = true },
		quiet: func(s *Scenario) { s.CentralBackup, s.LocalStorageOnly = true, true },
	},
	"single-copy-risk": {
		fires: func(s *Scenario) { s.EndpointBackups = false },
		quiet: func(s *Scenario) { s.EndpointBackups = true },
	},
	"endpoint-backups": {
		fires: func(s *Scenario) { s.EndpointBackups = true },
		quiet: func(s *Scenario) { s.EndpointBackups = false },
	},
	"archiving": {
		fires: func(s *Scenario) { s.RetentionYears = 3 },
		quiet: func(s *Scenario) { s.RetentionYears = 2 },
	},
	"quota-exceeded": {
		fires: func(s *Scenario) { s.MailboxGrowthGBPerYear, s.RetentionYears, s.ServerQuotaGB = 4, 5, 10 },
		quiet: func(s *Scenario) { s.MailboxGrowthGBPerYear, s.RetentionYears, s.ServerQuotaGB = 2, 5, 10 },
	},
	"team-administration": {
		fires: func(s *Scenario) { s.Users = 10 },
		quiet: func(s *Scenario) { s.Users = 9 },
	},
	"very-small-setup": {
		fires: func(s *Scenario) { s.Users, s.SharedMailboxes = 3, false },
		quiet: func(s *Scenario) { s.Users, s.SharedMailboxes = 3, true },
	},
	// The article's 50 users cost 2,000 EUR (POP3) and 8,000 EUR (IMAP) a year.
	"budget-imap-over": { // the article's company, self-hosting: IMAP costs 8,000 EUR
		fires: func(s *Scenario) { s.Hosting, s.BudgetEURPerYear = HostingSelf, ptr(7999) },
		quiet: func(s *Scenario) { s.Hosting, s.BudgetEURPerYear = HostingSelf, ptr(8000) },
	},
	"budget-pop3-over": {
		fires: func(s *Scenario) { s.BudgetEURPerYear = ptr(1800) },
		quiet: func(s *Scenario) { s.BudgetEURPerYear = ptr(2500) },
	},
	"environment": {
		fires: func(s *Scenario) { s.EnvironmentPriority = 0.5 },
		quiet: func(s *Scenario) { s.EnvironmentPriority = 0 },
	},
	"environment-imap": { // one device, nothing kept: IMAP is the lighter one
		fires: func(s *Scenario) { s.EnvironmentPriority, s.DevicesPerUser, s.RetentionYears = 0.5, 1, 0 },
		quiet: func(s *Scenario) { s.EnvironmentPriority = 0.5 },
	},
	"local-storage-only": {
		fires: func(s *Scenario) { s.LocalStorageOnly = true },
		quiet: func(s *Scenario) { s.LocalStorageOnly = false },
	},
	"pop3-scatters-mail": {
		fires: func(s *Scenario) { s.LocalStorageOnly, s.DevicesPerUser = true, 2 },
		quiet: func(s *Scenario) { s.LocalStorageOnly, s.DevicesPerUser = true, 1 },
	},
	"pop3-single-copy": {
		fires: func(s *Scenario) { *s = mustPreset("low-bandwidth-site"); s.EndpointBackups = false },
		quiet: func(s *Scenario) { *s = mustPreset("low-bandwidth-site"); s.EndpointBackups = true },
	},
	"pop3-local-only-backups": {
		fires: func(s *Scenario) { s.LocalStorageOnly, s.EndpointBackups = true, false },
		quiet: func(s *Scenario) { s.LocalStorageOnly, s.EndpointBackups = true, true },
	},
	"cloud-synced-client": {
		fires: func(s *Scenario) { s.LocalStorageOnly = true },
		quiet: func(s *Scenario) { s.LocalStorageOnly = false },
	},
	"cloud-synced-client-privacy": {
		fires: func(s *Scenario) { s.PrivacyPolicy = true },
		quiet: func(s *Scenario) { s.PrivacyPolicy, s.LocalStorageOnly = true, true }, // the other rule says it
	},
	"hosted-processor": {
		fires: func(s *Scenario) { s.PrivacyPolicy, s.Hosting = true, HostingHosted },
		quiet: func(s *Scenario) { s.PrivacyPolicy, s.Hosting = true, HostingSelf },
	},
	"imap-outgrows-quota": {
		fires: func(s *Scenario) { s.ServerQuotaGB = 5 },
		quiet: func(s *Scenario) { s.ServerQuotaGB = 50 },
	},
	"imap-needs-connection": {
		fires: func(s *Scenario) { s.Connectivity = ConnectivitySlow },
		quiet: func(s *Scenario) { s.Connectivity = ConnectivityGood },
	},
}

func mustPreset(name string) Scenario {
	s, err := PresetScenario(name)
	if err != nil {
		panic(err)
	}
	return s
}

// fired reports whether rule id contributed, vetoed or warned in res.
func fired(res *Result, id string) bool {
	for _, c := range res.Contributions {
		if c.Rule == id {
			return true
		}
	}
	for _, v := range res.Vetoes {
		if v.Rule == id {
			return true
		}
	}
	for _, w := range res.Warnings {
		if w.Rule == id {
			return true
		}
	}
	return false
}

func TestEveryRuleHasCases(t *testing.T) {
	rs, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Rules() {
		if _, ok := ruleCases[r.ID]; !ok {
			t.Errorf("rule %s has no fire/quiet test case in ruleCases", r.ID)
		}
	}
	if len(ruleCases) != len(rs.Rules()) {
		t.Errorf("ruleCases has %d entries for %d rules: remove cases of deleted rules", len(ruleCases), len(rs.Rules()))
	}
}

func TestEachRuleFiresAndStaysQuiet(t *testing.T) {
	a := builtinAdvisor(t)
	for id, c := range ruleCases {
		t.Run(id, func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				change func(*Scenario)
				want   bool
			}{{"fires", c.fires, true}, {"quiet", c.quiet, false}} {
				s := DefaultScenario()
				tc.change(&s)
				res, err := a.Advise(s, Options{})
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if got := fired(res, id); got != tc.want {
					t.Errorf("%s: fired = %v, want %v (result: %+v)", tc.name, got, tc.want, res.Recommendation)
				}
			}
		})
	}
}

func TestReasonsShowTriggeringValues(t *testing.T) {
	a := builtinAdvisor(t)
	s := DefaultScenario()
	s.DevicesPerUser, s.MobileShare = 3, 0.45
	res, err := a.Advise(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"multi-device": "3 devices", "mobile-users": "45% of users"}
	for _, c := range res.Contributions {
		if w, ok := want[c.Rule]; ok && !strings.Contains(c.Reason, w) {
			t.Errorf("%s reason %q does not mention %q", c.Rule, c.Reason, w)
		}
		delete(want, c.Rule)
	}
	if len(want) > 0 {
		t.Errorf("rules did not fire: %v", want)
	}
	for _, c := range res.Contributions {
		if strings.Contains(c.Reason, "{") {
			t.Errorf("%s reason has an unrendered placeholder: %q", c.Rule, c.Reason)
		}
	}
}

func TestMultiDevicePointsGrowWithDevices(t *testing.T) {
	a := builtinAdvisor(t)
	prev := -1.0
	for _, d := range []float64{2, 3, 4} {
		s := DefaultScenario()
		s.DevicesPerUser = d
		res, err := a.Advise(s, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Scores.IMAP <= prev {
			t.Errorf("devices %v: IMAP score %v did not grow from %v", d, res.Scores.IMAP, prev)
		}
		prev = res.Scores.IMAP
	}
}

func TestParseRulesErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"typo in condition", `rules: [{id: r1, title: T, when: "devices_per_usr > 1", favours: imap, points: "1", reason: x}]`,
			`rule r1: when "devices_per_usr > 1": unknown name devices_per_usr`},
		{"condition not boolean", `rules: [{id: r1, title: T, when: "users + 1", favours: imap, points: "1", reason: x}]`,
			`rule r1: when "users + 1"`},
		{"points not a number", `rules: [{id: r2, title: T, when: "true", favours: imap, points: "connectivity", reason: x}]`,
			`rule r2: points "connectivity"`},
		{"bad placeholder", `rules: [{id: r3, title: T, when: "true", favours: imap, points: "1", reason: "{nope}"}]`,
			`rule r3: reason "{nope}": placeholder {nope}`},
		{"unclosed placeholder", `rules: [{id: r3, title: T, when: "true", favours: imap, points: "1", reason: "{users"}]`,
			`rule r3: reason "{users": '{' without '}'`},
		{"bad favours", `rules: [{id: r4, title: T, when: "true", favours: smtp, points: "1", reason: x}]`,
			`rule r4: favours "smtp": want imap or pop3`},
		{"bad kind", `rules: [{id: r5, kind: bonus, title: T, when: "true", reason: x}]`,
			`rule r5: kind "bonus"`},
		{"veto with points", `rules: [{id: r6, kind: veto, vetoes: imap, points: "3", title: T, when: "true", reason: x}]`,
			`rule r6: a veto has 'vetoes'`},
		{"missing id", `rules: [{title: T, when: "true", favours: imap, points: "1", reason: x}]`,
			`rule #1: missing id`},
		{"missing reason", `rules: [{id: r7, title: T, when: "true", favours: imap, points: "1"}]`,
			`rule r7: missing reason`},
		{"duplicate id", `rules: [{id: r8, title: T, when: "true", favours: imap, points: "1", reason: x}, {id: r8, title: T, when: "true", favours: imap, points: "1", reason: x}]`,
			`rule r8: duplicate rule id`},
		{"unknown key", "rules:\n  - id: r9\n    titel: T\n", `line 3: unknown key "titel"`},
		{"rests on what it does not read", `rules: [{id: r10, title: T, when: "users > 3", rests_on: [retention_years], favours: imap, points: "1", reason: x}]`,
			`rule r10: rests_on: "retention_years" is not an input its condition or points read (users)`},
		{"empty", "", "empty rules file"},
		{"no rules", "rules: []", "no rules"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRules(strings.NewReader(tc.doc), "test.yaml")
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "test.yaml: ") {
				t.Errorf("error %q, want it to start with the source and contain %q", err, tc.want)
			}
		})
	}
}

func TestRuleRuntimeErrorNamesRule(t *testing.T) {
	rs, err := ParseRules(strings.NewReader(`rules: [{id: neg, title: T, when: "true", favours: imap, points: "0 - users", reason: x}]`), "neg.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(rs, defaultModels(t)).Advise(DefaultScenario(), Options{})
	var re *RuleError
	if !errors.As(err, &re) || re.RuleID != "neg" || !strings.Contains(err.Error(), "want a finite number >= 0") {
		t.Fatalf("error = %v, want a RuleError for rule neg", err)
	}
}

func TestWithReplacesAndAppends(t *testing.T) {
	base, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	extra, err := ParseRules(strings.NewReader(`rules:
  - {id: multi-device, title: Heavier, when: "devices_per_user > 1", favours: imap, points: "100", reason: heavy}
  - {id: new-rule, title: New, when: "true", favours: pop3, points: "1", reason: new}
`), "extra.yaml")
	if err != nil {
		t.Fatal(err)
	}
	merged := base.With(extra)
	rules := merged.Rules()
	if len(rules) != len(base.Rules())+1 {
		t.Fatalf("got %d rules, want %d", len(rules), len(base.Rules())+1)
	}
	if rules[0].ID != "multi-device" || rules[0].Source != "extra.yaml" {
		t.Errorf("first rule = %s from %s, want multi-device replaced in place from extra.yaml", rules[0].ID, rules[0].Source)
	}
	if last := rules[len(rules)-1]; last.ID != "new-rule" {
		t.Errorf("last rule = %s, want new-rule appended", last.ID)
	}
	res, err := New(merged, defaultModels(t)).Advise(DefaultScenario(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Contributions[0].Points != 100 {
		t.Errorf("replaced rule gave %v points, want 100", res.Contributions[0].Points)
	}
}

// A reason resting on an input nobody gave is marked assumed: the inputs
// its condition and points read, or those it says it rests on.
func TestAssumedReasons(t *testing.T) {
	a := builtinAdvisor(t)
	s := DefaultScenario()
	assumed := FitDefaults(&s, Provenance{"central_backup": SourceFlag, "users": SourceFlag})
	res, err := a.Advise(s, Options{Assumptions: assumed})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, c := range res.Contributions {
		got[c.Rule] = c.Assumed
	}
	for rule, want := range map[string][]string{
		"central-backup":   nil,                  // given; its guard local_storage_only does not count
		"shared-mailboxes": {"shared_mailboxes"}, // the built-in default
		"archiving":        {"retention_years"},
		"multi-device":     {"devices_per_user"},
	} {
		if !slices.Equal(got[rule], want) {
			t.Errorf("%s: assumed %v, want %v", rule, got[rule], want)
		}
	}
	// Without provenance nothing is said to be assumed.
	res, err = a.Advise(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Contributions {
		if len(c.Assumed) > 0 {
			t.Errorf("%s: assumed %v without provenance", c.Rule, c.Assumed)
		}
	}
}
