package profiles

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/idna"
	"howett.net/plist"

	"github.com/mailadvisor/mailadvisor/internal/jxon"
)

// What a client makes of one server in a file, as its parser reads it.
type readServer struct {
	protocol, host string
	port           int
	security       string // tls or starttls
	username       string
}

func (r readServer) String() string {
	return fmt.Sprintf("%s %s:%d %s %q", r.protocol, r.host, r.port, r.security, r.username)
}

// typed is the address as a person types it into the app: the domain in
// Unicode. Clients fill the placeholders with it.
func typed(a Address) string {
	u, err := idna.ToUnicode(a.Domain)
	if err != nil {
		return a.Full
	}
	return a.LocalPart + "@" + u
}

// thunderbirdAutoconfig and androidAutoconfig read an autoconfig file as
// the clients' parser code does (reference §11): Thunderbird desktop
// through JXON (text that looks like a number or a boolean becomes one)
// then the placeholders; Android takes the text as written, reads IMAP
// and SMTP only, then the placeholders. Both fill them with the address
// as typed.
func readAutoconfig(t *testing.T, data []byte, a Address, desktop bool) []readServer {
	t.Helper()
	var cc clientConfig
	if err := xml.Unmarshal(data, &cc); err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("%EMAILADDRESS%", typed(a), "%EMAILLOCALPART%", a.LocalPart, "%EMAILDOMAIN%", strings.SplitN(typed(a), "@", 2)[1]).Replace
	var out []readServer
	for _, s := range append(append([]autoconfServer{}, cc.Provider.Incoming...), cc.Provider.Outgoing...) {
		if !desktop && s.Type == POP3 {
			continue // Android skips POP3
		}
		user := s.Username
		if desktop {
			user, _ = jxon.Text(user)
		}
		sec := map[string]string{"SSL": SecurityTLS, "STARTTLS": SecuritySTARTTLS}[s.SocketType]
		out = append(out, readServer{s.Type, s.Hostname, s.Port, sec, fill(user)})
	}
	return out
}

// readAutodiscover is Thunderbird desktop's reading of a POX response
// (JXON on LoginName; it guesses SSL or STARTTLS from the port).
func readAutodiscover(t *testing.T, data []byte) []readServer {
	t.Helper()
	var ad autodiscoverXML
	if err := xml.Unmarshal(data, &ad); err != nil {
		t.Fatal(err)
	}
	var out []readServer
	for _, p := range ad.Response.Account.Protocols {
		user, _ := jxon.Text(p.LoginName)
		sec := SecuritySTARTTLS
		if p.Port == 993 || p.Port == 995 || p.Port == 465 {
			sec = SecurityTLS
		}
		out = append(out, readServer{strings.ToLower(map[string]string{"POP3": "pop3"}[p.Type] + map[string]string{"IMAP": "imap", "SMTP": "smtp"}[p.Type]), p.Server, p.Port, sec, user})
	}
	return out
}

// readMobileconfig is Apple's reading: one incoming and one outgoing
// server, UseSSL a boolean, the usernames as written.
func readMobileconfig(t *testing.T, data []byte) []readServer {
	t.Helper()
	var prof profileRead
	if _, err := plist.Unmarshal(data, &prof); err != nil {
		t.Fatal(err)
	}
	mp := prof.PayloadContent[0]
	in := map[string]string{"EmailTypeIMAP": IMAP, "EmailTypePOP": POP3}[mp.EmailAccountType]
	sec := func(ssl bool, port int) string {
		if ssl && port != 587 {
			return SecurityTLS
		}
		return SecuritySTARTTLS
	}
	return []readServer{
		{in, mp.IncomingMailServerHostName, mp.IncomingMailServerPortNumber, sec(mp.IncomingMailServerUseSSL, mp.IncomingMailServerPortNumber), mp.IncomingMailServerUsername},
		{SMTP, mp.OutgoingMailServerHostName, mp.OutgoingMailServerPortNumber, sec(mp.OutgoingMailServerUseSSL, mp.OutgoingMailServerPortNumber), mp.OutgoingMailServerUsername},
	}
}

// Every format × option × tricky address, through the clients' parser
// rules: each client reads exactly the host, port, socket type and login
// meant (the plan's, the login in the server's ASCII form), or the file
// is refused with a FieldError naming the login, and only where a client
// would have changed it. Nothing in between.
func TestEveryFormatReadsAsMeant(t *testing.T) {
	addresses := []string{"alice@example.com", "0042@example.com", "1e3@example.com", "TRUE@example.com", "0x10@example.com",
		"NaN@example.com", "-0@example.com", "o'neil+tag@example.com", "zoë@example.com", "🙂@example.com", "alice@bücher.example", "0042@bücher.example"}
	type variant struct {
		name     string
		username string
		opts     Options
	}
	variants := []variant{
		{"address", UsernameAddress, Options{}},
		{"localpart", UsernameLocalPart, Options{}},
		{"pop3 first, starttls", UsernameAddress, Options{Preferred: POP3, AllowSTARTTLS: true}},
		{"localpart, autoconfig 1.1", UsernameLocalPart, Options{AutoconfigVersion: Autoconfig11}},
	}
	checked, refused := 0, 0
	for _, v := range variants {
		d := &Domain{Domains: []string{"example.com", "bücher.example"}, Username: v.username, DisplayName: "Example",
			Hosts: Hosts{IMAP: "imap.example.com", POP3: "pop.example.com", SMTP: "smtp.example.com"}}
		if err := d.Normalize(); err != nil {
			t.Fatal(err)
		}
		for _, raw := range addresses {
			a, err := ParseAddress("email", raw)
			if err != nil {
				t.Logf("%s: refused as an address: %v", raw, err)
				continue
			}
			p, err := NewPlan(d, &a, v.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, format := range []string{formatAutoconfig, formatAutodiscover, formatMobileconfig} {
				var b bytes.Buffer
				err := writeFormat(&b, format, p)
				var fe *FieldError
				if errors.As(err, &fe) {
					// Refused: only for a login a Thunderbird-read file would change.
					login := p.Username
					if format == formatAutoconfig {
						login = AutoconfigLogin(p)
					}
					if _, changed := jxon.Text(login); !changed || fe.Field != "username" || format == formatMobileconfig {
						t.Errorf("%s, %s, %s: refused without cause: %v", v.name, raw, format, err)
					}
					refused++
					continue
				}
				if err != nil {
					t.Fatalf("%s, %s, %s: %v", v.name, raw, format, err)
				}
				readers := map[string][]readServer{}
				switch format {
				case formatAutoconfig:
					readers["Thunderbird"] = readAutoconfig(t, b.Bytes(), a, true)
					readers["Thunderbird for Android"] = readAutoconfig(t, b.Bytes(), a, false)
				case formatAutodiscover:
					readers["Thunderbird"] = readAutodiscover(t, b.Bytes())
				case formatMobileconfig:
					readers["Apple"] = readMobileconfig(t, b.Bytes())
				}
				for client, got := range readers {
					checked++
					want := meant(p, format, client)
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%s, %s, %s: %s reads\n  %v\nwant\n  %v\n%s", v.name, raw, format, client, got, want, b.String())
					}
				}
			}
		}
	}
	t.Logf("%d readings as meant, %d files refused", checked, refused)
	if refused == 0 {
		t.Error("no file refused: the numeric logins were not tried")
	}
}

// meant is what a client should end up with for the plan: the endpoints
// the format carries, in its order, with the plan's login.
func meant(p *Plan, format, client string) []readServer {
	var out []readServer
	add := func(e Endpoint) {
		out = append(out, readServer{e.Protocol, e.Host, e.Port, e.Security, p.Username})
	}
	switch format {
	case formatMobileconfig:
		in, _ := firstSecure(p.Incoming, p.Preferred)
		o, _ := firstSecure(p.Outgoing, SMTP)
		add(in)
		add(o)
	case formatAutodiscover:
		seen := map[string]bool{}
		for _, e := range encrypted(append(append([]Endpoint{}, p.Incoming...), p.Outgoing...)) {
			if !seen[e.Protocol] {
				seen[e.Protocol] = true
				add(e)
			}
		}
	default:
		for _, e := range encrypted(append(append([]Endpoint{}, p.Incoming...), p.Outgoing...)) {
			if client == "Thunderbird for Android" && e.Protocol == POP3 {
				continue
			}
			add(e)
		}
	}
	return out
}

// A provider that publishes a different login per server (iCloud: the
// local part for IMAP, the address for SMTP; IIJ: a template) is read
// so, server for server, in every format; and the one login rule looks
// at every server's login, not only the plan's.
func TestLoginPerServer(t *testing.T) {
	d := &Domain{Domains: []string{"example.com"}, Username: UsernameLocalPart, DisplayName: "Example",
		Hosts: Hosts{IMAP: "imap.example.com", SMTP: "smtp.example.com"}, Services: []string{IMAP, SMTP},
		Published: []Endpoint{
			{Protocol: IMAP, Host: "imap.example.com", Port: 993, Security: SecurityTLS, Username: UsernameLocalPart},
			{Protocol: SMTP, Host: "smtp.example.com", Port: 465, Security: SecurityTLS, Username: UsernameAddress},
			{Protocol: SMTP, Host: "smtp2.example.com", Port: 465, Security: SecurityTLS, Username: "%EMAILLOCALPART%.%EMAILDOMAIN%"},
		}}
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	a, err := ParseAddress("email", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(d, &a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		formatAutoconfig:   `[imap imap.example.com:993 tls "alice" smtp smtp.example.com:465 tls "alice@example.com" smtp smtp2.example.com:465 tls "alice.example.com"]`,
		formatAutodiscover: `[imap imap.example.com:993 tls "alice" smtp smtp.example.com:465 tls "alice@example.com"]`,
		formatMobileconfig: `[imap imap.example.com:993 tls "alice" smtp smtp.example.com:465 tls "alice@example.com"]`,
	}
	for format, w := range want {
		var b bytes.Buffer
		if err := writeFormat(&b, format, p); err != nil {
			t.Fatal(err)
		}
		var got []readServer
		switch format {
		case formatAutoconfig:
			got = readAutoconfig(t, b.Bytes(), a, true)
			if !strings.Contains(b.String(), "<username>%EMAILLOCALPART%.%EMAILDOMAIN%</username>") {
				t.Errorf("the template is not written as published:\n%s", b.String())
			}
		case formatAutodiscover:
			got = readAutodiscover(t, b.Bytes())
		case formatMobileconfig:
			got = readMobileconfig(t, b.Bytes())
		}
		if fmt.Sprint(got) != w {
			t.Errorf("%s reads\n  %v\nwant\n  %s", format, got, w)
		}
	}
	if rows := NewSheet(p).Outgoing; len(rows) != 2 || rows[0].Username != "alice@example.com" || rows[1].Username != "alice.example.com" {
		t.Errorf("sheet: %+v", rows)
	}
	// 0042's IMAP login is its local part, which autoconfig writes as a
	// placeholder, but autodiscover literally: refused there only.
	a, _ = ParseAddress("email", "0042@example.com")
	if p, err = NewPlan(d, &a, Options{}); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteAutoconfig(&b, p); err != nil {
		t.Errorf("autoconfig: %v", err)
	}
	var fe *FieldError
	if err := WriteAutodiscover(&b, p); !errors.As(err, &fe) || fe.Value != "0042" {
		t.Errorf("autodiscover with the login 0042: %v", err)
	}
}
