package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"howett.net/plist"

	"github.com/mailadvisor/mailadvisor/internal/corpus"
	"github.com/mailadvisor/mailadvisor/internal/jxon"
)

// tbServer is one server as Thunderbird desktop's account set-up reads
// it from an autoconfig file (readFromXML.sys.mjs, reference §11).
type tbServer struct {
	Protocol string
	Host     string
	Port     int
	Socket   string // plain, SSL, STARTTLS
	Username string // placeholders filled; "" when the file gives none
	// Auth are the authentication values it tries, in order (it takes
	// the first it supports; OAuth2 only for a host it knows).
	Auth []string
}

func (s tbServer) String() string {
	return fmt.Sprintf("%s %s:%d %s %q %v", s.Protocol, s.Host, s.Port, s.Socket, s.Username, s.Auth)
}

type tbConfig struct {
	Provider struct {
		Domains  []string   `xml:"domain"`
		Incoming []tbXMLSrv `xml:"incomingServer"`
		Outgoing []tbXMLSrv `xml:"outgoingServer"`
	} `xml:"emailProvider"`
}

type tbXMLSrv struct {
	Type     string   `xml:"type,attr"`
	Hostname *string  `xml:"hostname"`
	Port     string   `xml:"port"`
	Sockets  []string `xml:"socketType"`
	Username *string  `xml:"username"`
	Auth     []string `xml:"authentication"`
}

// Thunderbird's method tables: incoming, and outgoing's extra methods.
var (
	tbIncomingAuth = []string{"password-cleartext", "plain", "password-encrypted", "secure", "GSSAPI", "NTLM", "OAuth2"}
	tbOutgoingAuth = append([]string{"none", "client-IP-address", "smtp-after-pop"}, tbIncomingAuth...)
)

// thunderbirdReads is readFromXML for IMAP, POP3 and SMTP: a server whose
// type, hostname, port, socket type or authentication it cannot read is
// skipped; JXON turns numeric text into numbers; the placeholders are
// filled after, with the address as typed.
func thunderbirdReads(data []byte, email string) ([]tbServer, error) {
	var cc tbConfig
	if err := xml.Unmarshal(data, &cc); err != nil {
		return nil, err
	}
	local, domain, _ := strings.Cut(email, "@")
	fill := strings.NewReplacer("%EMAILADDRESS%", email, "%EMAILLOCALPART%", local, "%EMAILDOMAIN%", domain).Replace
	read := func(x tbXMLSrv, outgoing bool) (tbServer, bool) {
		s := tbServer{Protocol: x.Type}
		switch {
		case outgoing && x.Type != "smtp", !outgoing && x.Type != "imap" && x.Type != "pop3":
			return s, false // (nntp and exchange are Thunderbird's, not a mail profile's)
		case x.Hostname == nil || *x.Hostname == "":
			return s, false
		}
		s.Host = strings.ToLower(fill(*x.Hostname))
		port, _ := jxon.Text(x.Port)
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return s, false
		}
		s.Port = n
		for _, st := range x.Sockets {
			if st == "plain" || st == "SSL" || st == "STARTTLS" {
				s.Socket = st
				break
			}
		}
		methods := tbIncomingAuth
		if outgoing {
			methods = tbOutgoingAuth
		}
		for _, a := range x.Auth {
			if slices.Contains(methods, a) {
				s.Auth = append(s.Auth, a)
			}
		}
		if s.Socket == "" || len(s.Auth) == 0 {
			return s, false
		}
		if x.Username != nil {
			u, _ := jxon.Text(*x.Username)
			s.Username = fill(u)
		}
		return s, true
	}
	var out []tbServer
	for _, x := range cc.Provider.Incoming {
		if s, ok := read(x, false); ok {
			out = append(out, s)
		}
	}
	for _, x := range cc.Provider.Outgoing {
		if s, ok := read(x, true); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// A profile keeps a provider's servers as Thunderbird reads them, less
// what mailadvisor never writes: cleartext connections, and STARTTLS for
// IMAP or POP3 where the provider offers implicit TLS too (RFC 8314).
func securePublished(all []tbServer) []tbServer {
	var out []tbServer
	for _, s := range all {
		if s.Socket == "plain" {
			continue
		}
		if s.Socket == "STARTTLS" && s.Protocol != "smtp" && slices.ContainsFunc(all, func(o tbServer) bool {
			return o.Protocol == s.Protocol && o.Socket == "SSL"
		}) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// tbChoice is the method Thunderbird takes from a list: the first it
// supports, OAuth2 only when it knows the host's OAuth2 set-up (its
// deprecated plain and secure are password-cleartext and -encrypted).
func tbChoice(auth []string, knowsOAuth2 bool) string {
	for _, a := range auth {
		switch {
		case a == "OAuth2" && !knowsOAuth2:
			continue
		case a == "plain":
			return "password-cleartext"
		case a == "secure":
			return "password-encrypted"
		}
		return a
	}
	return ""
}

// Every provider file of Thunderbird's ISP database, served over loopback
// HTTPS by domain as autoconfig.thunderbird.net serves it: discover finds
// exactly the servers Thunderbird reads from it (less cleartext), with
// their usernames and methods, and the autoconfig and Apple profiles
// `profile --discover` writes are read by Thunderbird and by Apple as the
// provider's own file is, server for server.
func TestDiscoverReproducesTheISPDatabase(t *testing.T) {
	dir := corpus.ISPDB(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(files) < 100 {
		t.Fatalf("%d files: %v", len(files), err)
	}
	type provider struct {
		file, domain string
		data         []byte
	}
	var providers []provider
	byDomain := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cc tbConfig
		if err := xml.Unmarshal(data, &cc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		first := ""
		for _, d := range cc.Provider.Domains {
			d = strings.ToLower(strings.TrimSpace(d))
			if _, taken := byDomain[d]; taken || d == "" {
				continue
			}
			byDomain[d] = data
			if first == "" {
				first = d
			}
		}
		if first != "" {
			providers = append(providers, provider{filepath.Base(f), first, data})
		}
	}
	work := t.TempDir()
	// Two companies' own domains, their mail at Office 365 and at Google:
	// found as Thunderbird finds them, from the MX.
	zone := "contoso.example. 300 IN MX 10 contoso-example.mail.protection.outlook.com.\n" +
		"firma.example. 300 IN MX 1 aspmx.l.google.com.\nfirma.example. 300 IN MX 5 alt1.aspmx.l.google.com.\n"
	net, stop, err := startFakeInternet(zone, func(name string) ([]byte, error) {
		if data, ok := byDomain[name]; ok {
			return data, nil
		}
		return nil, os.ErrNotExist
	}, filepath.Join(work, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	flags := []string{"--dns", net.dns, "--ispdb", net.ispdb, "--ca", net.ca, "--allow-private", "--timeout", "10s"}

	var mu sync.Mutex
	found, kept, refused := 0, 0, 0
	ran := false
	t.Run("providers", func(t *testing.T) {
		ran = true
		for _, p := range providers {
			t.Run(p.file, func(t *testing.T) {
				t.Parallel()
				email := "alice@" + p.domain
				tb, err := thunderbirdReads(p.data, email)
				if err != nil {
					t.Fatal(err)
				}
				want := securePublished(tb)
				hasIncoming := slices.ContainsFunc(want, func(s tbServer) bool { return s.Protocol != "smtp" })

				stdout, stderr, code := runCLI(t, append([]string{"discover", "--email", email, "-o", "json"}, flags...)...)
				var res struct {
					Source  string
					Servers []struct {
						Protocol, Host, Security, Username string
						Port                               int
						Auth                               []string
					}
				}
				if err := json.Unmarshal([]byte(stdout), &res); err != nil {
					t.Fatalf("discover -o json: exit %d: %v\n%s\n%s", code, err, stdout, stderr)
				}
				var got []tbServer
				for _, s := range res.Servers {
					got = append(got, tbServer{s.Protocol, s.Host, s.Port, map[string]string{"tls": "SSL", "starttls": "STARTTLS"}[s.Security], s.Username, s.Auth})
				}
				var wantAll []tbServer // discover lists STARTTLS too: only cleartext is left out
				for _, s := range tb {
					if s.Socket != "plain" {
						wantAll = append(wantAll, s)
					}
				}
				switch {
				case len(wantAll) == 0 && code == 0:
					t.Errorf("discover found %v where Thunderbird reads no encrypted server", got)
				case len(wantAll) > 0 && (code != 0 || !strings.Contains(res.Source, "/ispdb/"+p.domain)):
					t.Errorf("discover: exit %d, source %q: %s", code, res.Source, stderr)
				case fmt.Sprint(got) != fmt.Sprint(wantAll):
					t.Errorf("discover reads\n  %v\nThunderbird reads\n  %v", got, wantAll)
				}

				stdout, stderr, code = runCLI(t, append([]string{"profile", "autoconfig", "--discover", "--email", email}, flags...)...)
				if !hasIncoming {
					if code == 0 {
						t.Errorf("profile --discover wrote a file where Thunderbird reads no encrypted incoming server:\n%s", stdout)
					}
					mu.Lock()
					refused++
					mu.Unlock()
					return
				}
				if code != 0 {
					t.Fatalf("profile autoconfig --discover: exit %d: %s", code, stderr)
				}
				profile, err := thunderbirdReads([]byte(stdout), email)
				if err != nil {
					t.Fatal(err)
				}
				// Per protocol, the same servers in the provider's order
				// (the advice may put POP3 or IMAP first), each with the
				// login the provider publishes and the method Thunderbird
				// would take from the provider's own file.
				for _, proto := range []string{"imap", "pop3", "smtp"} {
					of := func(s tbServer) bool { return s.Protocol != proto }
					ws, gs := slices.DeleteFunc(slices.Clone(want), of), slices.DeleteFunc(slices.Clone(profile), of)
					var w, g []string
					for i, s := range ws {
						w = append(w, tbLine(s, s.Username == ""))
						if i < len(gs) {
							g = append(g, tbLine(gs[i], s.Username == ""))
						}
					}
					for _, s := range gs[min(len(ws), len(gs)):] {
						g = append(g, tbLine(s, false))
					}
					if fmt.Sprint(g) != fmt.Sprint(w) {
						t.Errorf("%s: Thunderbird reads the profile as\n  %v\nand the provider's file as\n  %v\n%s", proto, g, w, stderr)
					}
				}

				// Apple: one incoming and one outgoing server, implicit TLS
				// only; each is one the provider publishes, with its login.
				stdout, stderr, code = runCLI(t, append([]string{"profile", "mobileconfig", "--discover", "--email", email}, flags...)...)
				// (Apple's one UseSSL is implicit TLS, but STARTTLS on 587.)
				appleTLS := func(s tbServer) bool { return s.Socket == "SSL" || s.Protocol == "smtp" && s.Port == 587 }
				tls := slices.ContainsFunc(want, func(s tbServer) bool { return s.Protocol != "smtp" && s.Socket == "SSL" }) &&
					slices.ContainsFunc(want, func(s tbServer) bool { return s.Protocol == "smtp" && appleTLS(s) })
				if !tls {
					if code == 0 {
						t.Errorf("mobileconfig written where the provider has no implicit-TLS pair for Apple:\n%s", stderr)
					}
				} else {
					if code != 0 {
						t.Fatalf("profile mobileconfig --discover: exit %d: %s", code, stderr)
					}
					var prof struct {
						PayloadContent []struct {
							EmailAccountType                                                   string
							IncomingMailServerHostName, IncomingMailServerUsername             string
							IncomingMailServerPortNumber                                       int
							OutgoingMailServerHostName, OutgoingMailServerUsername             string
							OutgoingMailServerPortNumber                                       int
							IncomingMailServerUseSSL, OutgoingMailServerUseSSL                 bool
							IncomingMailServerAuthentication, OutgoingMailServerAuthentication string
						}
					}
					if _, err := plist.Unmarshal([]byte(stdout), &prof); err != nil {
						t.Fatal(err)
					}
					mp := prof.PayloadContent[0]
					in := map[string]string{"EmailTypeIMAP": "imap", "EmailTypePOP": "pop3"}[mp.EmailAccountType]
					match := func(proto, host string, port int, user string) bool {
						return slices.ContainsFunc(want, func(s tbServer) bool {
							return s.Protocol == proto && s.Host == host && s.Port == port && appleTLS(s) && (s.Username == user || s.Username == "")
						})
					}
					if !mp.IncomingMailServerUseSSL || !mp.OutgoingMailServerUseSSL ||
						!match(in, mp.IncomingMailServerHostName, mp.IncomingMailServerPortNumber, mp.IncomingMailServerUsername) ||
						!match("smtp", mp.OutgoingMailServerHostName, mp.OutgoingMailServerPortNumber, mp.OutgoingMailServerUsername) {
						t.Errorf("Apple reads %+v; the provider publishes %v", mp, want)
					}
				}
				mu.Lock()
				found++
				kept += len(want)
				mu.Unlock()
			})
		}
	})
	t.Run("mx", func(t *testing.T) {
		for email, file := range map[string]string{"alice@contoso.example": "office365.com.xml", "bob@firma.example": "googlemail.com.xml"} {
			data, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			tb, err := thunderbirdReads(data, email)
			if err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := runCLI(t, append([]string{"discover", "--email", email, "-o", "json"}, flags...)...)
			var res struct {
				Source  string
				Servers []struct{ Protocol, Host string }
			}
			if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != 0 {
				t.Fatalf("%s: exit %d: %v\n%s", email, code, err, stderr)
			}
			var got, want []string
			for _, s := range res.Servers {
				got = append(got, s.Protocol+" "+s.Host)
			}
			for _, s := range tb {
				if s.Socket != "plain" {
					want = append(want, s.Protocol+" "+s.Host)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: from %s: %v, Thunderbird reads %s as %v", email, res.Source, got, file, want)
			}
			t.Logf("%s: from %s", email, res.Source)
		}
	})
	t.Logf("%d provider files (of %d), %d profiles written with %d servers as Thunderbird reads them, %d refused for want of an encrypted incoming server",
		len(providers), len(files), found, kept, refused)
	if ran && found < 100 {
		t.Errorf("only %d providers reproduced", found)
	}
}

// tbLine is what a server comes to for the comparison: where, how, the
// login (left out, as "", where the provider's file gives none: teol.net's
// SMTP entry), and the method Thunderbird takes with and without OAuth2
// set-up for the host.
func tbLine(s tbServer, noLogin bool) string {
	user := strconv.Quote(s.Username)
	if noLogin {
		user = `""`
	}
	return fmt.Sprintf("%s:%d %s %s|%s %s", s.Host, s.Port, s.Socket, tbChoice(s.Auth, false), tbChoice(s.Auth, true), user)
}
