package profiles

import (
	"bytes"
	"slices"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// A prerendered form gives exactly what the profiles package writes.
func TestPrerenderedMatchesTheWriters(t *testing.T) {
	d := exampleDomain(t)
	for _, opts := range []Options{{}, {Preferred: POP3, AllowSTARTTLS: true, LeaveOnServerDays: intp(3)}} {
		for _, email := range []string{"alice@example.com", "o'neil+tag@example.com", "a&b@example.org", "x.y-z_w@example.com"} {
			for _, user := range []string{"", "Müller & <Söhne>"} {
				for _, name := range []string{"", `Müller & Söhne <IT> "Büro"`} {
					checkPrerendered(t, d, opts, email, user, name)
				}
			}
		}
	}
}

// An international domain: the files show the account's Unicode name,
// the servers keep the A-label, and the prerendered forms do the same.
func TestPrerenderedInternationalDomain(t *testing.T) {
	d := &Domain{Domains: []string{"bücher.example"}}
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"anna@bücher.example", "o'neil@xn--bcher-kva.example"} {
		checkPrerendered(t, d, Options{}, email, "", "Anna")
	}
	addr, _ := ParseAddress("email", "anna@bücher.example")
	p, err := NewPlan(d, &addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := MobileconfigBytes(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("Mail: anna@bücher.example")) || !bytes.Contains(data, []byte("mail.xn--bcher-kva.example")) {
		t.Errorf("names and hosts:\n%s", data)
	}
}

func checkPrerendered(t *testing.T, d *Domain, opts Options, email, user, name string) {
	t.Helper()
	addr, err := ParseAddress("email", email)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(d, &addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		p.Username = user
	}
	p.UserName = name
	for _, format := range []string{formatAutoconfig, formatMobileconfig, formatAutodiscover} {
		s, err := newPrerendered(format, d, opts, name != "")
		if err != nil {
			t.Fatal(err)
		}
		var got, want bytes.Buffer
		if err := s.render(&got, p); err != nil {
			t.Fatal(err)
		}
		switch format {
		case formatAutoconfig:
			err = WriteAutoconfig(&want, p)
		case formatMobileconfig:
			err = WriteMobileconfig(&want, p)
		default:
			err = WriteAutodiscover(&want, p)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s for %s (user %q, name %q): prerendered form differs:\n%s\nwant:\n%s", format, email, user, name, got.String(), want.String())
		}
	}
}

func FuzzPrerendered(f *testing.F) {
	f.Add("o'neil+tag@example.com", "user", "Name & <x>", true)
	f.Fuzz(func(t *testing.T, email, user, name string, pop bool) {
		addr, err := ParseAddress("email", email)
		if err != nil || textcheck.Text("u", user, 254) != nil || textcheck.Text("n", name, 200) != nil {
			return
		}
		opts := Options{}
		if pop {
			opts.Preferred = POP3
		}
		d := exampleDomain(t)
		if !slices.Contains(d.Domains, addr.Domain) {
			// The address's own domain, described like the example's.
			d.Domains = []string{addr.Domain}
		}
		checkPrerendered(t, d, opts, email, user, name)
	})
}
