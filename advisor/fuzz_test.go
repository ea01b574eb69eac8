package advisor

import (
	"math"
	"strconv"
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

// appendNumber's fast path writes what strconv's shortest form of the
// rounded value writes, for every value and number of decimals.
func FuzzAppendNumber(f *testing.F) {
	for _, v := range []float64{0, math.Copysign(0, -1), -0.001, 0.05, 1234.5678, -2640.5, 9.99e14, 1e15, 1e20, math.NaN(), math.Inf(-1), 0.1 + 0.2} {
		f.Add(v, uint8(2))
	}
	f.Fuzz(func(t *testing.T, v float64, decimals uint8) {
		d := int(decimals % 9)
		scale := math.Pow10(d)
		want := strconv.FormatFloat(math.Round(v*scale)/scale, 'f', -1, 64)
		if got := string(appendNumber(nil, v, d)); got != want {
			t.Errorf("appendNumber(%v, %d) = %q, want %q", v, d, got, want)
		}
	})
}

// appendGrouped groups the digits of the rounded value by three, as the
// English reports write costs (2,640; -1,000,000).
func FuzzAppendGrouped(f *testing.F) {
	for _, v := range []float64{0, 999.5, 1000, -1234567.4, 1e21} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		plain := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
		got := string(appendGrouped(nil, v))
		if strings.ReplaceAll(got, ",", "") != plain {
			t.Fatalf("appendGrouped(%v) = %q: not the digits of %s", v, got, plain)
		}
		digits := strings.TrimPrefix(got, "-")
		for i, group := range strings.Split(digits, ",") {
			if len(group) > 3 || i > 0 && len(group) != 3 || group == "" {
				t.Fatalf("appendGrouped(%v) = %q: groups of three from the right", v, got)
			}
		}
	})
}
