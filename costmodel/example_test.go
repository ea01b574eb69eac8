package costmodel_test

import (
	"fmt"

	"github.com/mailadvisor/mailadvisor/costmodel"
)

// The defaults reproduce the source article: 50 users cost about 2,000 EUR
// a year with POP3 and 8,000 EUR with IMAP, both self-hosted (the article's
// company: two devices per user, 10 GB quota, 2 GB a year kept 5 years).
func Example() {
	p, err := costmodel.DefaultParams()
	if err != nil {
		panic(err)
	}
	e, err := p.Estimate(costmodel.Input{Users: 50, DevicesPerUser: 2, ServerQuotaGB: 10,
		MailboxGrowthGBPerYear: 2, RetentionYears: 5, Years: 3})
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"pop3-self", "imap-self"} {
		o, _ := e.Option(name)
		fmt.Printf("%s: %.0f EUR a year\n", name, o.Yearly)
	}
	// Output:
	// pop3-self: 2000 EUR a year
	// imap-self: 8000 EUR a year
}
