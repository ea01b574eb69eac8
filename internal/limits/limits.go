// Package limits holds the ranges that several packages check (the POP3
// leave-on-server days, ports), so that each is written once and every
// input says the same thing about it.
package limits

import (
	"strconv"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// MaxLeaveOnServerDays is the longest a POP3 server may be asked to keep
// mail after download: ten years.
const MaxLeaveOnServerDays = 3650

// LeaveOnServerDays checks a number of days (0: delete at once).
func LeaveOnServerDays(field string, days int) error {
	if days < 0 || days > MaxLeaveOnServerDays {
		return &textcheck.FieldError{Field: field, Value: strconv.Itoa(days),
			Allowed: "a whole number of days from 0 to " + strconv.Itoa(MaxLeaveOnServerDays)}
	}
	return nil
}

// Port checks a TCP port number.
func Port(field string, port int) error {
	if port < 1 || port > 65535 {
		return &textcheck.FieldError{Field: field, Value: strconv.Itoa(port), Allowed: "a port from 1 to 65535"}
	}
	return nil
}
