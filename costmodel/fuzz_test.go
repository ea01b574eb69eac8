package costmodel

import (
	"strings"
	"testing"
)

// FuzzLoadParams: any parameters file is refused, or loads parameters
// that estimate every option without an error for a valid input.
func FuzzLoadParams(f *testing.F) {
	f.Add(string(DefaultsYAML()))
	f.Add("hosted:\n  price_eur_per_user_month: -1\n")
	f.Add("pop3_self: {admin_hours_per_year: 1e308}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := LoadParams(strings.NewReader(doc), "fuzz.yaml")
		if err != nil {
			return
		}
		if _, err := p.Estimate(Input{Users: 50, DevicesPerUser: 2, ServerQuotaGB: 10, MailboxGrowthGBPerYear: 2, RetentionYears: 5, Years: 3}); err != nil {
			t.Fatalf("loaded parameters cannot estimate: %v\n%s", err, doc)
		}
	})
}
