package profiles

import (
	"bytes"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// A stamp gives exactly what the direct writer gives.
func TestStampMatchesTheWriters(t *testing.T) {
	d := exampleDomain(t)
	for _, opts := range []Options{{}, {Preferred: POP3, AllowSTARTTLS: true, LeaveOnServerDays: intp(3)}} {
		for _, email := range []string{"alice@example.com", "o'neil+tag@example.com", "a&b@example.org", "x.y-z_w@example.com"} {
			for _, user := range []string{"", "Müller & <Söhne>"} {
				for _, name := range []string{"", `Müller & Söhne <IT> "Büro"`} {
					checkStamp(t, d, opts, email, user, name)
				}
			}
		}
	}
}

func checkStamp(t *testing.T, d *Domain, opts Options, email, user, name string) {
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
	for _, format := range []string{StampAutoconfig, StampMobileconfig, StampAutodiscover} {
		s, err := NewStamp(format, d, opts, name != "")
		if err != nil {
			t.Fatal(err)
		}
		var got, want bytes.Buffer
		if err := s.Render(&got, p, name); err != nil {
			t.Fatal(err)
		}
		switch format {
		case StampAutoconfig:
			err = WriteAutoconfig(&want, p)
		case StampMobileconfig:
			err = WriteMobileconfig(&want, p)
		default:
			err = WriteAutodiscover(&want, p, name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s for %s (user %q, name %q): stamp differs:\n%s\nwant:\n%s", format, email, user, name, got.String(), want.String())
		}
	}
}

func FuzzStamp(f *testing.F) {
	f.Add("o'neil+tag@example.com", "user", "Name & <x>", true)
	f.Fuzz(func(t *testing.T, email, user, name string, pop bool) {
		if _, err := ParseAddress("email", email); err != nil || textcheck.Text("u", user, 254) != nil || textcheck.Text("n", name, 200) != nil {
			return
		}
		opts := Options{}
		if pop {
			opts.Preferred = POP3
		}
		d := exampleDomain(t)
		checkStamp(t, d, opts, email, user, name)
	})
}
