package profiles

import (
	"fmt"
	"io"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/mdtext"
)

// Sheet is what a person types into a mail app by hand: for each server,
// the host, port, security, username and authentication.
type Sheet struct {
	Account  string     `json:"account" yaml:"account"`
	Incoming []SheetRow `json:"incoming" yaml:"incoming"`
	Outgoing []SheetRow `json:"outgoing" yaml:"outgoing"`
	// LeaveOnServerDays is set when POP3 is offered: how long to keep mail
	// on the server after download (0: delete it).
	LeaveOnServerDays *int `json:"leave_on_server_days,omitempty" yaml:"leave_on_server_days,omitempty"`
}

// SheetRow is one server's settings.
type SheetRow struct {
	Protocol       string `json:"protocol" yaml:"protocol"` // imap, pop3 or smtp
	Server         string `json:"server" yaml:"server"`
	Port           int    `json:"port" yaml:"port"`
	Security       string `json:"security" yaml:"security"` // tls, starttls or none
	SecurityLabel  string `json:"security_label" yaml:"security_label"`
	Username       string `json:"username" yaml:"username"`
	Authentication string `json:"authentication" yaml:"authentication"` // password, password-encrypted or oauth2
	AuthLabel      string `json:"authentication_label" yaml:"authentication_label"`
}

// The words mail apps use in their settings screens.
var (
	sheetSecurity = map[string]string{SecurityTLS: "SSL/TLS", SecuritySTARTTLS: "STARTTLS", SecurityNone: "None (cleartext)"}
	sheetAuth     = map[string]string{AuthPassword: "Normal password", AuthPasswordEncrypted: "Encrypted password", AuthOAuth2: "OAuth2"}
)

// NewSheet lists the plan's servers in order of preference.
func NewSheet(p *Plan) *Sheet {
	s := &Sheet{Account: p.AccountName(), Incoming: []SheetRow{}, Outgoing: []SheetRow{}}
	for _, e := range p.Incoming {
		s.Incoming = append(s.Incoming, sheetRow(e, p.LoginOf(e)))
		if e.Protocol == POP3 && s.LeaveOnServerDays == nil {
			days := p.LeaveOnServerDays
			s.LeaveOnServerDays = &days
		}
	}
	for _, e := range p.Outgoing {
		s.Outgoing = append(s.Outgoing, sheetRow(e, p.LoginOf(e)))
	}
	return s
}

func sheetRow(e Endpoint, user string) SheetRow {
	return SheetRow{
		Protocol: e.Protocol, Server: e.Host, Port: e.Port,
		Security: e.Security, SecurityLabel: sheetSecurity[e.Security],
		Username: user, Authentication: e.Auth[0], AuthLabel: sheetAuth[e.Auth[0]],
	}
}

// WriteSheetMarkdown writes the sheet as a Markdown page (settings.md).
func WriteSheetMarkdown(w io.Writer, s *Sheet) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Mail settings for %s\n\n", mdtext.Text(s.Account))
	section := func(title string, rows []SheetRow) {
		fmt.Fprintf(&b, "## %s\n\n| Protocol | Server | Port | Security | Username | Authentication |\n|---|---|---|---|---|---|\n", title)
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s |\n", strings.ToUpper(r.Protocol), r.Server, r.Port,
				r.SecurityLabel, mdtext.Text(r.Username), r.AuthLabel)
		}
		b.WriteString("\n")
	}
	section("Incoming mail (first choice first)", s.Incoming)
	if s.LeaveOnServerDays != nil {
		fmt.Fprintf(&b, "POP3: leave messages on the server for %d days.\n\n", *s.LeaveOnServerDays)
	}
	section("Outgoing mail (SMTP submission)", s.Outgoing)
	_, err := io.WriteString(w, b.String())
	return err
}
