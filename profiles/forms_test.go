package profiles

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
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

// writeFormat is what the profiles package's writer of format writes.
func writeFormat(w *bytes.Buffer, format string, p *Plan) error {
	switch format {
	case formatAutoconfig:
		return WriteAutoconfig(w, p)
	case formatMobileconfig:
		return WriteMobileconfig(w, p)
	}
	return WriteAutodiscover(w, p)
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
		if LoginError(p, format) != nil {
			// Refused by the login rule: by the writer too (Forms.Render
			// checks the rule before the form).
			if err := writeFormat(&want, format, p); err == nil {
				t.Errorf("%s for %s (user %q): the login rule refuses it, the writer does not", format, email, user)
			}
			continue
		}
		s.cutNames(domainNames(d))
		if err := s.render(&got, p, nil); err != nil {
			t.Fatal(err)
		}
		if err := writeFormat(&want, format, p); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s for %s (user %q, name %q): prerendered form differs:\n%s\nwant:\n%s", format, email, user, name, got.String(), want.String())
		}
		// The deflate stream a zip entry holds inflates to the same bytes,
		// read by compress/flate as unzip reads it.
		var values []int
		var again, z bytes.Buffer
		again.WriteString("before") // render starts where the buffer ends
		if err := s.render(&again, p, &values); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.deflate(&z, again.Bytes()[len("before"):], values, d); err != nil || !ok {
			t.Fatal(ok, err)
		}
		inflated, err := io.ReadAll(flate.NewReader(bytes.NewReader(z.Bytes())))
		if err != nil || !bytes.Equal(inflated, want.Bytes()) {
			t.Errorf("%s for %s (user %q, name %q): deflated form inflates to %q (%v), want %q", format, email, user, name, inflated, err, want.String())
		}
		// Again, from the pieces kept for the domain.
		var z2 bytes.Buffer
		if ok, err := s.deflate(&z2, again.Bytes()[len("before"):], values, d); err != nil || !ok || !bytes.Equal(z2.Bytes(), z.Bytes()) {
			t.Errorf("%s for %s: deflated again from the kept pieces: %v %v, %d bytes against %d", format, email, ok, err, z2.Len(), z.Len())
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

// fleetDomain is a hoster's customer domain: the hoster's servers or the
// domain's own, its name in the display name.
func fleetDomain(t testing.TB, name string, ownHosts bool) *Domain {
	t.Helper()
	short, _, _ := strings.Cut(name, ".")
	d := &Domain{Domains: []string{name}, DisplayName: "Mail of " + name, ShortName: short,
		Hosts: Hosts{IMAP: "imap.hoster.example", POP3: "pop.hoster.example", SMTP: "smtp.hoster.example"}}
	if ownHosts {
		d.Hosts = Hosts{}
	}
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	return d
}

// Domains alike but for their names share one shape per format and
// options, and each still gets exactly what the writers write, also for
// names that occur in the files' fixed text (apple.com reversed is in
// com.apple.mail.managed; mail.com is in mail.mail.com).
func TestFormsShareShapes(t *testing.T) {
	formats := []string{formatAutoconfig, formatMobileconfig, formatAutodiscover}
	names := []string{"apple.com", "mail.com", "com.com", "example.net", "xn--bcher-kva.example"}
	for i := range 2000 {
		names = append(names, "customer"+strconv.Itoa(i)+".example")
	}
	// A Forms serves one description of each name: one for the hoster's
	// servers, one for the domains' own.
	c, own := Forms{Limit: FormLimitFor(len(names))}, Forms{Limit: FormLimitFor(len(names))}
	for _, c := range []*Forms{&c, &own} {
		for i, name := range names {
			d := fleetDomain(t, name, c == &own)
			addr, err := ParseAddress("email", "o'neil@"+name)
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewPlan(d, &addr, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, format := range formats {
				var got, want bytes.Buffer
				if err := c.Render(&got, format, p, Options{}); err != nil {
					t.Fatal(err)
				}
				if i > 10 && i%97 != 0 {
					continue // every one of the odd names, a sample of the others
				}
				if err := writeFormat(&want, format, p); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("%s for %s (own hosts %v) differs:\n%s\nwant:\n%s", format, name, c == &own, got.String(), want.String())
				}
			}
		}
	}
	for _, c := range []*Forms{&c, &own} {
		if n := len(c.forms); n != len(names)*len(formats) {
			t.Errorf("%d entries, want %d", n, len(names)*len(formats))
		}
		// The customer domains: one shape per format; the odd names a few
		// more.
		t.Logf("%d domains, %d entries, %d shapes", len(names), len(c.forms), len(c.shapes))
		if n := len(c.shapes); n > len(formats)+5*len(formats) {
			t.Errorf("%d shapes for %d domains: forms are not shared", n, len(names))
		}
	}
}

// Past its limit the cache drops one entry for each new one, never the
// whole cache: the entries just made are still there.
func TestFormsDropOneAtATime(t *testing.T) {
	c := Forms{Limit: 8}
	var keys []formKey
	for i := range 40 {
		d := fleetDomain(t, "d"+strconv.Itoa(i)+".example", i%2 == 0)
		addr, err := ParseAddress("email", "a@"+d.Domains[0])
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlan(d, &addr, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := c.Render(&b, formatAutoconfig, p, Options{}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, formKey{domain: d.Domains[0], format: formatAutoconfig, days: -1, autoconfig: Autoconfig12})
		if want := min(i+1, c.Limit); len(c.forms) != want {
			t.Fatalf("after %d domains: %d entries, want %d", i+1, len(c.forms), want)
		}
		if _, ok := c.forms[keys[i]]; !ok {
			t.Fatalf("the entry just made for %s is gone", d.Domains[0])
		}
		if len(c.shapes) > c.Limit {
			t.Fatalf("%d shapes, over the limit %d", len(c.shapes), c.Limit)
		}
	}
}

// Past maxDeflatedDomains, a form keeps no more pieces: RenderDeflated
// says so and leaves z alone, and the caller compresses the file.
func TestDeflatedPiecesBounded(t *testing.T) {
	var c Forms
	for i := range maxDeflatedDomains + 1 {
		d := fleetDomain(t, fmt.Sprintf("customer%d.example", i), false)
		addr, err := ParseAddress("email", "alice@"+d.Domains[0])
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlan(d, &addr, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var w, z bytes.Buffer
		ok, err := c.RenderDeflated(&w, &z, formatAutoconfig, p, Options{})
		if err != nil || ok != (i < maxDeflatedDomains) || (!ok && z.Len() != 0) {
			t.Fatalf("domain %d: %v %v, %d bytes deflated", i, ok, err, z.Len())
		}
		if ok {
			inflated, err := io.ReadAll(flate.NewReader(&z))
			if err != nil || !bytes.Equal(inflated, w.Bytes()) {
				t.Fatalf("domain %d: inflates to %q (%v), want %q", i, inflated, err, w.String())
			}
		}
	}
}
