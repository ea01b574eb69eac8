// Package mailports holds the well-known mail ports, so that the advice,
// the client profiles and the server files agree on them. RFC 8314
// prefers the implicit-TLS ports (993, 995, 465) to STARTTLS on the
// others; port 25 is for servers, not clients.
package mailports

// The ports.
const (
	SMTP        = 25  // server to server (MX), RFC 5321
	Submission  = 587 // message submission with STARTTLS, RFC 6409
	Submissions = 465 // message submission over implicit TLS, RFC 8314
	IMAP        = 143 // IMAP, cleartext or STARTTLS
	IMAPS       = 993 // IMAP over implicit TLS
	POP3        = 110 // POP3, cleartext or STARTTLS
	POP3S       = 995 // POP3 over implicit TLS
)

// DefaultProtocols are the protocols a domain offers its mail apps when
// nothing (no flag, no advice) says otherwise: IMAP first, and POP3 for
// the apps set up for it, both over implicit TLS. One list, so that the
// profiles, the SRV records and the server files of the same domain agree.
func DefaultProtocols() []string { return []string{"imap", "pop3"} }
