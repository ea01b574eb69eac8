package profiles

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"howett.net/plist"
)

func davDomain(t *testing.T) *Domain {
	t.Helper()
	d := &Domain{Domains: []string{"example.com", "example.org"}, DisplayName: "Example Mail",
		CalDAVURL: "https://dav.example.com/cal/", CardDAVURL: "https://dav.example.com:8443/card/"}
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	return d
}

// CalDAV and CardDAV, from the domain file: autoconfig 1.2's sections at
// clientConfig level (none in 1.1, which stays as it was), Apple's
// com.apple.caldav.account and com.apple.carddav.account payloads with
// their own deterministic UUIDs, and PACC's URL entries (a URL with a port
// left out, said); the prerendered forms write the same bytes.
func TestDAV(t *testing.T) {
	d := davDomain(t)
	addr, _ := ParseAddress("email", "alice@example.org")
	p, err := NewPlan(d, &addr, Options{})
	if err != nil {
		t.Fatal(err)
	}

	var b bytes.Buffer
	if err := WriteAutoconfig(&b, p); err != nil {
		t.Fatal(err)
	}
	var cc clientConfig
	if err := xml.Unmarshal(b.Bytes(), &cc); err != nil {
		t.Fatal(err)
	}
	if cc.Version != "1.2" || cc.Calendar == nil || cc.Calendar.Type != "caldav" || cc.Calendar.URL != "https://dav.example.com/cal/" ||
		cc.AddressBook == nil || cc.AddressBook.URL != "https://dav.example.com:8443/card/" || cc.AddressBook.Username != "%EMAILADDRESS%" ||
		strings.Join(cc.AddressBook.Authentication, ",") != "basic" {
		t.Errorf("autoconfig 1.2: %+v %+v %+v\n%s", cc.Version, cc.Calendar, cc.AddressBook, b.String())
	}
	p11, _ := NewPlan(d, &addr, Options{AutoconfigVersion: Autoconfig11})
	b.Reset()
	if err := WriteAutoconfig(&b, p11); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<clientConfig version="1.1">`) || strings.Contains(b.String(), "calendar") || strings.Contains(b.String(), "addressbook") {
		t.Errorf("autoconfig 1.1 carries 1.2's sections:\n%s", b.String())
	}
	if _, err := NewPlan(d, &addr, Options{AutoconfigVersion: "1.3"}); err == nil || !strings.Contains(err.Error(), "autoconfig-version") {
		t.Errorf("version 1.3: %v", err)
	}

	data, err := MobileconfigBytes(p)
	if err != nil {
		t.Fatal(err)
	}
	var prof struct {
		PayloadContent []map[string]any `plist:"PayloadContent"`
	}
	if _, err := plist.Unmarshal(data, &prof); err != nil {
		t.Fatal(err)
	}
	if len(prof.PayloadContent) != 3 {
		t.Fatalf("%d payloads, want mail, CalDAV, CardDAV:\n%s", len(prof.PayloadContent), data)
	}
	cal, card := prof.PayloadContent[1], prof.PayloadContent[2]
	if cal["PayloadType"] != "com.apple.caldav.account" || cal["CalDAVHostName"] != "dav.example.com" || cal["CalDAVPort"] != uint64(443) ||
		cal["CalDAVUseSSL"] != true || cal["CalDAVUsername"] != "alice@example.org" || cal["CalDAVPrincipalURL"] != "https://dav.example.com/cal/" {
		t.Errorf("CalDAV payload %v", cal)
	}
	if card["PayloadType"] != "com.apple.carddav.account" || card["CardDAVPort"] != uint64(8443) || card["CardDAVHostName"] != "dav.example.com" {
		t.Errorf("CardDAV payload %v", card)
	}
	uuids := map[any]bool{prof.PayloadContent[0]["PayloadUUID"]: true, cal["PayloadUUID"]: true, card["PayloadUUID"]: true}
	if len(uuids) != 3 || cal["PayloadUUID"] != ProfileUUID("alice@example.org", "com.apple.caldav.account") {
		t.Errorf("payload UUIDs %v", uuids)
	}

	body, notes, err := PACC(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"caldav":{"url":"https://dav.example.com/cal/"}`) || strings.Contains(string(body), "carddav") ||
		!strings.Contains(strings.Join(notes, "\n"), "carddav_url https://dav.example.com:8443/card/ is left out: PACC URLs name no port") {
		t.Errorf("PACC %s, notes %q", body, notes)
	}

	for _, opts := range []Options{{}, {AutoconfigVersion: Autoconfig11}, {Preferred: POP3, AllowSTARTTLS: true}} {
		for _, email := range []string{"alice@example.com", "o'neil+tag@example.org"} {
			checkPrerendered(t, d, opts, email, "", "Alice & Bob")
			checkPrerendered(t, d, opts, email, "alice.login", "")
		}
	}
}

// A DAV URL must be https with a host name; the field says which.
func TestDAVURLsChecked(t *testing.T) {
	for _, bad := range []string{"http://dav.example.com/", "https:///cal", "https://user:pw@dav.example.com/", "https://dav_example/x"} {
		d := &Domain{Domains: []string{"example.com"}, CalDAVURL: bad}
		if err := d.Normalize(); err == nil || !strings.Contains(err.Error(), "caldav_url") {
			t.Errorf("caldav_url %q: %v", bad, err)
		}
	}
}
