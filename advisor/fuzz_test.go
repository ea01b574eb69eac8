package advisor

import (
	"strings"
	"testing"
)

// FuzzDecodeScenario: any document is either refused with a decode error
// or gives a scenario that validates.
func FuzzDecodeScenario(f *testing.F) {
	f.Add("users: 35\ndevices_per_user: 2\nconnectivity: slow\n")
	f.Add("{\"users\": 0x10, \"budget_eur_per_year\": null}")
	f.Add("users: [1, 2]\nusers: 3\n")
	f.Add("mobile_share: -0\nretention_years: 1e2\n")
	f.Fuzz(func(t *testing.T, doc string) {
		s := DefaultScenario()
		if err := DecodeScenario(strings.NewReader(doc), "fuzz", &s); err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("decoded %q into an invalid scenario: %v", doc, err)
		}
	})
}

// FuzzParseRules: any rules file is loaded or refused, never a panic, and
// a loaded one scores the default scenario.
func FuzzParseRules(f *testing.F) {
	f.Add("rules:\n  - id: a\n    when: users > 1\n    favours: imap\n    points: 2\n    reason: \"{users}\"\n")
	f.Add("rules:\n  - id: v\n    kind: veto\n    when: local_storage_only\n    vetoes: imap\n    reason: x\n")
	f.Add("rules: []\n")
	f.Fuzz(func(t *testing.T, doc string) {
		rs, err := ParseRules(strings.NewReader(doc), "fuzz")
		if err != nil {
			return
		}
		models, err := DefaultModels()
		if err != nil {
			t.Fatal(err)
		}
		_, _ = New(rs, models).Advise(DefaultScenario(), Options{})
	})
}
