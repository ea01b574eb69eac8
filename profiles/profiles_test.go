package profiles

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"howett.net/plist"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func exampleDomain(t testing.TB) *Domain {
	t.Helper()
	f, err := os.Open("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := DecodeDomain(f, "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func examplePlan(t testing.TB, email string, opts Options) *Plan {
	t.Helper()
	d := exampleDomain(t)
	var addr *Address
	if email != "" {
		a, err := ParseAddress("email", email)
		if err != nil {
			t.Fatal(err)
		}
		addr = &a
	}
	p, err := NewPlan(d, addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type generator struct {
	name  string
	write func(*bytes.Buffer, *Plan) error
}

var generators = []generator{
	{"autoconfig.xml", func(b *bytes.Buffer, p *Plan) error { return WriteAutoconfig(b, p) }},
	{"mobileconfig", func(b *bytes.Buffer, p *Plan) error { return WriteMobileconfig(b, p) }},
	{"autodiscover.xml", func(b *bytes.Buffer, p *Plan) error { return WriteAutodiscover(b, p) }},
	{"srv.zone", func(b *bytes.Buffer, p *Plan) error { return WriteSRV(b, p) }},
	{"sheet.json", func(b *bytes.Buffer, p *Plan) error {
		data, err := json.MarshalIndent(NewSheet(p), "", "  ")
		b.Write(append(data, '\n'))
		return err
	}},
}

var goldenCases = []struct {
	name  string
	email string
	opts  Options
}{
	{"imap", "o'neil+tag@example.com", Options{Preferred: IMAP}},
	{"pop3-starttls", "alice@example.org", Options{Preferred: POP3, AllowSTARTTLS: true, LeaveOnServerDays: intp(30)}},
}

func intp(v int) *int { return &v }

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		for _, g := range generators {
			t.Run(tc.name+"/"+g.name, func(t *testing.T) {
				var first, second bytes.Buffer
				if err := g.write(&first, examplePlan(t, tc.email, tc.opts)); err != nil {
					t.Fatal(err)
				}
				if err := g.write(&second, examplePlan(t, tc.email, tc.opts)); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(first.Bytes(), second.Bytes()) {
					t.Fatal("same input, different output")
				}
				path := filepath.Join("testdata", "golden", tc.name+"."+g.name)
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, first.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(first.Bytes(), want) {
					t.Errorf("output differs from %s:\n%s", path, first.String())
				}
			})
		}
	}
}

func TestAutoconfigParsesBack(t *testing.T) {
	p := examplePlan(t, "", Options{Preferred: POP3, AllowSTARTTLS: true, LeaveOnServerDays: intp(7)})
	var b bytes.Buffer
	if err := WriteAutoconfig(&b, p); err != nil {
		t.Fatal(err)
	}
	raw := b.String()
	if !strings.HasPrefix(raw, `<?xml version="1.0" encoding="UTF-8"?>`) || strings.Contains(raw, "<password") {
		t.Errorf("bad header or a password element:\n%s", raw)
	}
	var cc clientConfig
	if err := xml.Unmarshal(b.Bytes(), &cc); err != nil {
		t.Fatal(err)
	}
	pr := cc.Provider
	if cc.Version != Autoconfig12 || pr.ID != "example.com" || !reflect.DeepEqual(pr.Domains, []domainXML{{Name: "example.com"}, {Name: "example.org"}}) ||
		pr.DisplayName != `Müller & Söhne <IT> "Büro"` || pr.DisplayShortName != "M&S" {
		t.Errorf("provider = %+v", pr)
	}
	if pr.Documentation == nil || pr.Documentation.URL != "https://example.com/help?a=1&b=2" {
		t.Errorf("documentation = %+v", pr.Documentation)
	}
	wantIn := []string{"pop3 pop.example.com 995 SSL", "pop3 pop.example.com 110 STARTTLS", "imap imap.example.com 993 SSL", "imap imap.example.com 143 STARTTLS"}
	for i, s := range pr.Incoming {
		if got := s.Type + " " + s.Hostname + " " + strconv.Itoa(s.Port) + " " + s.SocketType; i >= len(wantIn) || got != wantIn[i] {
			t.Errorf("incoming %d = %s", i, got)
		}
		if s.Username != PlaceholderAddress || !reflect.DeepEqual(s.Authentication, []string{"password-cleartext"}) {
			t.Errorf("incoming %d username %q auth %v", i, s.Username, s.Authentication)
		}
		if (s.Type == POP3) != (s.POP3 != nil) || s.POP3 != nil && (!s.POP3.LeaveMessagesOnServer || *s.POP3.DaysToLeaveMessagesOnServer != 7) {
			t.Errorf("incoming %d pop3 block %+v", i, s.POP3)
		}
	}
	if len(pr.Outgoing) != 2 || pr.Outgoing[0].Port != 465 || pr.Outgoing[0].SocketType != "SSL" ||
		pr.Outgoing[1].Port != 587 || pr.Outgoing[1].SocketType != "STARTTLS" {
		t.Errorf("outgoing = %+v", pr.Outgoing)
	}
	for _, bad := range []string{"<hostname> ", " </hostname>", "&M", "<IT>"} {
		if strings.Contains(raw, bad) {
			t.Errorf("output contains %q:\n%s", bad, raw)
		}
	}
}

func TestPOP3DeleteAtOnce(t *testing.T) {
	p := examplePlan(t, "a@example.com", Options{Preferred: POP3, LeaveOnServerDays: intp(0)})
	var b bytes.Buffer
	if err := WriteAutoconfig(&b, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "<leaveMessagesOnServer>false</leaveMessagesOnServer>") || strings.Contains(b.String(), "daysToLeave") {
		t.Errorf("POP3 with 0 days:\n%s", b.String())
	}
}

func TestMobileconfigParsesBack(t *testing.T) {
	p := examplePlan(t, "o'neil+tag@example.com", Options{Preferred: IMAP})
	data, err := MobileconfigBytes(p)
	if err != nil {
		t.Fatal(err)
	}
	var prof profileRead
	if _, err := plist.Unmarshal(data, &prof); err != nil {
		t.Fatal(err)
	}
	mp := prof.PayloadContent[0]
	if prof.PayloadType != "Configuration" || prof.PayloadVersion != 1 || len(prof.PayloadContent) != 1 ||
		mp.PayloadType != "com.apple.mail.managed" || mp.EmailAccountType != "EmailTypeIMAP" ||
		mp.EmailAddress != "o'neil+tag@example.com" || mp.IncomingMailServerUsername != "o'neil+tag@example.com" ||
		mp.IncomingMailServerHostName != "imap.example.com" || mp.IncomingMailServerPortNumber != 993 || !mp.IncomingMailServerUseSSL ||
		mp.OutgoingMailServerHostName != "smtp.example.com" || mp.OutgoingMailServerPortNumber != 465 || !mp.OutgoingMailServerUseSSL ||
		mp.IncomingMailServerAuthentication != "EmailAuthPassword" || mp.EmailAccountDescription != `Müller & Söhne <IT> "Büro"` {
		t.Errorf("profile = %+v", prof)
	}
	if prof.PayloadUUID == mp.PayloadUUID || prof.PayloadIdentifier == mp.PayloadIdentifier ||
		!strings.HasPrefix(prof.PayloadIdentifier, "com.example.mailadvisor.") {
		t.Errorf("identifiers: %s %s / %s %s", prof.PayloadIdentifier, prof.PayloadUUID, mp.PayloadIdentifier, mp.PayloadUUID)
	}
	for _, re := range []string{`<key>IncomingMailServerPortNumber</key>\s*<integer>993</integer>`, `<key>PayloadVersion</key>\s*<integer>1</integer>`} {
		if !regexp.MustCompile(re).Match(data) {
			t.Errorf("profile does not match %s", re)
		}
	}
	if regexp.MustCompile(`Password</key>\s*<string`).Match(data) {
		t.Error("profile embeds a password")
	}
	other, _ := MobileconfigBytes(examplePlan(t, "bob@example.com", Options{}))
	var otherProf profileRead
	_, _ = plist.Unmarshal(other, &otherProf)
	if otherProf.PayloadUUID == prof.PayloadUUID {
		t.Error("two accounts share a PayloadUUID")
	}
}

func TestAutodiscoverParsesBack(t *testing.T) {
	p := examplePlan(t, "o'neil+tag@example.com", Options{Preferred: IMAP, AllowSTARTTLS: true})
	p.UserName = `Müller & Söhne <IT> "Büro"`
	var b bytes.Buffer
	if err := WriteAutodiscover(&b, p); err != nil {
		t.Fatal(err)
	}
	var ad autodiscoverXML
	if err := xml.Unmarshal(b.Bytes(), &ad); err != nil {
		t.Fatal(err)
	}
	if ad.XMLName.Space != autodiscoverNS || ad.Response.User.DisplayName != `Müller & Söhne <IT> "Büro"` ||
		ad.Response.Account.AccountType != "email" || ad.Response.Account.Action != "settings" {
		t.Errorf("response = %+v", ad)
	}
	if !strings.Contains(b.String(), `<Response xmlns="`+outlookNS+`">`) {
		t.Errorf("Response lacks the outlook namespace:\n%s", b.String())
	}
	var got []string
	for _, pr := range ad.Response.Account.Protocols {
		got = append(got, pr.Type+" "+strconv.Itoa(pr.Port)+" "+pr.Encryption)
		if pr.LoginName != "o'neil+tag@example.com" || pr.SPA != "off" || pr.SSL != "on" || pr.AuthRequired != "on" || pr.DomainRequired != "off" {
			t.Errorf("protocol %+v", pr)
		}
	}
	// One Protocol per type, the preferred endpoint of each: Outlook
	// takes one server of a type.
	want := []string{"IMAP 993 SSL", "POP3 995 SSL", "SMTP 465 SSL"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("protocols %v, want %v", got, want)
	}
	if err := WriteAutodiscover(&b, examplePlan(t, "", Options{})); err == nil {
		t.Error("autodiscover without an address accepted")
	}
}

func TestSRV(t *testing.T) {
	d := exampleDomain(t)
	d.Services = []string{IMAP, SMTP}
	p, err := NewPlan(d, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteSRV(&b, p); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if strings.HasPrefix(sc.Text(), ";") {
			continue
		}
		if len(f) != 8 || f[1] != "3600" || f[2] != "IN" || f[3] != "SRV" {
			t.Fatalf("bad line %q", sc.Text())
		}
		got[f[0]] = strings.Join(f[4:], " ")
	}
	want := map[string]string{
		"_imaps._tcp.example.com.":       "0 1 993 imap.example.com.",
		"_imap._tcp.example.com.":        "0 0 0 .",
		"_pop3s._tcp.example.com.":       "0 0 0 .",
		"_pop3._tcp.example.com.":        "0 0 0 .",
		"_submissions._tcp.example.com.": "0 1 465 smtp.example.com.",
		"_submission._tcp.example.com.":  "5 1 587 smtp.example.com.",
	}
	for owner, rec := range want {
		if got[owner] != rec {
			t.Errorf("%s = %q, want %q", owner, got[owner], rec)
		}
	}
	if len(got) != 12 {
		t.Errorf("%d records, want 6 for each of 2 domains", len(got))
	}
	// POP3 preferred, STARTTLS allowed: POP3 before IMAP, TLS before STARTTLS.
	p = examplePlan(t, "", Options{Preferred: POP3, AllowSTARTTLS: true})
	prio := map[string]int{}
	for _, r := range SRVRecords(p) {
		prio[strings.SplitN(r.Owner, ".", 2)[0]] = r.Priority
	}
	if !(prio["_pop3s"] < prio["_pop3"] && prio["_pop3"] < prio["_imaps"] && prio["_imaps"] < prio["_imap"] && prio["_submissions"] < prio["_submission"]) {
		t.Errorf("priorities %v", prio)
	}
}

// For one account, every format names the same first hosts, ports and
// security.
func TestFormatsAgree(t *testing.T) {
	for _, preferred := range []string{IMAP, POP3} {
		p := examplePlan(t, "alice@example.com", Options{Preferred: preferred})
		in, _ := p.First(preferred)
		out, _ := p.First(SMTP)

		var ac bytes.Buffer
		_ = WriteAutoconfig(&ac, p)
		var cc clientConfig
		_ = xml.Unmarshal(ac.Bytes(), &cc)
		first := cc.Provider.Incoming[0]

		data, _ := MobileconfigBytes(p)
		var prof profileRead
		_, _ = plist.Unmarshal(data, &prof)
		mp := prof.PayloadContent[0]

		var adb bytes.Buffer
		_ = WriteAutodiscover(&adb, p)
		var ad autodiscoverXML
		_ = xml.Unmarshal(adb.Bytes(), &ad)
		adIn, adOut := ad.Response.Account.Protocols[0], ad.Response.Account.Protocols[len(ad.Response.Account.Protocols)-1]

		sheet := NewSheet(p)
		var srvIn SRVRecord
		for _, r := range SRVRecords(p) {
			if r.Priority == 0 && r.Port == in.Port {
				srvIn = r
			}
		}
		checks := map[string][2]any{
			"autoconfig in":   {first.Hostname + ":" + strconv.Itoa(first.Port) + "/" + first.SocketType, in.Host + ":" + strconv.Itoa(in.Port) + "/SSL"},
			"autoconfig out":  {cc.Provider.Outgoing[0].Port, out.Port},
			"mobileconfig in": {mp.IncomingMailServerHostName + ":" + strconv.Itoa(mp.IncomingMailServerPortNumber), in.Host + ":" + strconv.Itoa(in.Port)},
			"mobileconfig out": {mp.OutgoingMailServerHostName + ":" + strconv.Itoa(mp.OutgoingMailServerPortNumber),
				out.Host + ":" + strconv.Itoa(out.Port)},
			"autodiscover in":  {adIn.Server + ":" + strconv.Itoa(adIn.Port) + "/" + adIn.Encryption, in.Host + ":" + strconv.Itoa(in.Port) + "/SSL"},
			"autodiscover out": {adOut.Server + ":" + strconv.Itoa(adOut.Port) + "/" + adOut.Encryption, out.Host + ":" + strconv.Itoa(out.Port) + "/SSL"},
			"sheet in":         {sheet.Incoming[0].Server + ":" + strconv.Itoa(sheet.Incoming[0].Port) + "/" + sheet.Incoming[0].Security, in.Host + ":" + strconv.Itoa(in.Port) + "/tls"},
			"sheet out":        {sheet.Outgoing[0].Port, out.Port},
			"srv in":           {srvIn.Target, in.Host + "."},
		}
		for name, c := range checks {
			if c[0] != c[1] {
				t.Errorf("%s preferred, %s: %v, want %v", preferred, name, c[0], c[1])
			}
		}
	}
}

// ProfileUUID is uuid.NewSHA1 of the lower-case account and the payload
// type, in upper case, for any account (it is computed by hand).
func TestProfileUUIDIsUUIDv5(t *testing.T) {
	for _, account := range []string{"alice@example.com", "Ünïcödé@bücher.example", "", strings.Repeat("x", 300) + "@example.com"} {
		for _, typ := range []string{"Configuration", "com.apple.mail.managed"} {
			want := strings.ToUpper(uuid.NewSHA1(uuidNamespace, []byte(strings.ToLower(account)+"\n"+typ)).String())
			if got := ProfileUUID(account, typ); got != want {
				t.Errorf("%q %q: %s, want %s", account, typ, got, want)
			}
		}
	}
}

// profileRead is a profile as the tests read it back: the mail payload
// first, the CalDAV and CardDAV ones after it (their mail fields empty).
type profileRead struct {
	PayloadType        string        `plist:"PayloadType"`
	PayloadVersion     int           `plist:"PayloadVersion"`
	PayloadIdentifier  string        `plist:"PayloadIdentifier"`
	PayloadUUID        string        `plist:"PayloadUUID"`
	PayloadDisplayName string        `plist:"PayloadDisplayName"`
	PayloadDescription string        `plist:"PayloadDescription"`
	PayloadContent     []mailPayload `plist:"PayloadContent"`
}
