package templates_test

import (
	"fmt"

	"github.com/mailadvisor/mailadvisor/templates"
)

// Normalize fills in the defaults and refuses any value that could add a
// line to a file.
func ExampleConfig_Normalize() {
	c := &templates.Config{Domain: "example.com"}
	if err := c.Normalize(); err != nil {
		panic(err)
	}
	fmt.Println(c.Hostname, c.Protocols, c.DovecotVersion, c.Ports.IMAPS)

	bad := &templates.Config{Domain: "example.com", PostfixVersion: "3.7\nalways_bcc = spy@evil.example"}
	fmt.Println(bad.Normalize())
	// Output:
	// mail.example.com [imap pop3] 2.3 993
	// postfix-version: invalid value "3.7\nalways_bcc = spy@evil.example": want a version of digits and dots such as 3.7 or 3.7.11
}
