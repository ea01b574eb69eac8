package profiles_test

import (
	"fmt"

	"github.com/mailadvisor/mailadvisor/profiles"
)

// Plan the encrypted endpoints of one address and print the settings a
// person would type into a mail app.
func ExampleNewPlan() {
	d := &profiles.Domain{Domains: []string{"example.com"}}
	if err := d.Normalize(); err != nil {
		panic(err)
	}
	addr, err := profiles.ParseAddress("email", "alice@example.com")
	if err != nil {
		panic(err)
	}
	plan, err := profiles.NewPlan(d, &addr, profiles.Options{})
	if err != nil {
		panic(err)
	}
	sheet := profiles.NewSheet(plan)
	for _, r := range append(sheet.Incoming, sheet.Outgoing...) {
		fmt.Println(r.Protocol, r.Server, r.Port, r.SecurityLabel)
	}
	// Output:
	// imap mail.example.com 993 SSL/TLS
	// pop3 mail.example.com 995 SSL/TLS
	// smtp mail.example.com 465 SSL/TLS
	// smtp mail.example.com 587 STARTTLS
}
