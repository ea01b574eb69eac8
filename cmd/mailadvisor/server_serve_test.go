package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/profiles"
	"github.com/mailadvisor/mailadvisor/templates"
)

// The domain file server all writes for the server's own `mailadvisor
// serve` publishes what the server files open: the same host, ports and
// protocols, read by serve's own decoder; and the unit runs serve on it.
func TestServerServeDomainFile(t *testing.T) {
	for _, c := range []struct {
		args     []string
		services []string
	}{
		{[]string{"--protocols", "imap"}, []string{"imap", "smtp"}},
		{[]string{"--protocols", "imap,pop3", "--allow-starttls", "--imaps-port", "10993", "--submissions-port", "10465"}, []string{"imap", "pop3", "smtp"}},
		{[]string{"--protocols", "pop3"}, []string{"pop3", "smtp"}},
	} {
		dir := t.TempDir()
		args := append([]string{"server", "all", "--domain", "example.com", "--hostname", "mx1.example.com", "--mta-sts", "enforce", "--out", dir}, c.args...)
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
		name := filepath.Join(dir, templates.ServeDomainFile)
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		d, err := profiles.DecodeDomain(f, name)
		f.Close()
		if err != nil {
			t.Fatalf("%v: serve's decoder refuses %s: %v", c.args, templates.ServeDomainFile, err)
		}
		if strings.Join(d.Services, ",") != strings.Join(c.services, ",") || d.Hosts.IMAP != "mx1.example.com" || d.Hosts.SMTP != "mx1.example.com" {
			t.Errorf("%v: %s: services %v, hosts %+v", c.args, templates.ServeDomainFile, d.Services, d.Hosts)
		}
		// profile with the options the unit gives serve.
		starttls := slices.Contains(c.args, "--allow-starttls")
		sheetArgs := []string{"profile", "sheet", "--domain-file", name, "--email", "a@example.com", "-o", "json"}
		if starttls {
			sheetArgs = append(sheetArgs, "--allow-starttls")
		}
		stdout, stderr, code := runCLI(t, sheetArgs...)
		if code != 0 {
			t.Fatalf("profile sheet: %s", stderr)
		}
		var sheet profiles.Sheet
		if err := json.Unmarshal([]byte(stdout), &sheet); err != nil {
			t.Fatal(err)
		}
		for _, row := range append(sheet.Incoming, sheet.Outgoing...) {
			port := map[string]string{"imap/tls": "--imaps-port", "smtp/tls": "--submissions-port"}[row.Protocol+"/"+row.Security]
			if i := slices.Index(c.args, port); port != "" && i >= 0 && c.args[i+1] != strconv.Itoa(row.Port) {
				t.Errorf("%v: %s on %d, the server listens on %s", c.args, row.Protocol, row.Port, c.args[i+1])
			}
			if row.Security == "starttls" && row.Protocol != "smtp" && !starttls {
				t.Errorf("%v: %s with STARTTLS published, the server keeps it closed", c.args, row.Protocol)
			}
		}
		unit, err := os.ReadFile(filepath.Join(dir, templates.ServeUnitFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"--domain-file /etc/mailadvisor/serve/example.com.yaml", "--mta-sts enforce", "LoadCredential=cert:/etc/letsencrypt/live/mx1.example.com/fullchain.pem", "DynamicUser=yes"} {
			if !strings.Contains(string(unit), want) {
				t.Errorf("%v: the unit has no %q:\n%s", c.args, want, unit)
			}
		}
		if strings.Contains(string(unit), "--allow-starttls") != starttls {
			t.Errorf("%v: the unit's --allow-starttls does not follow the server's", c.args)
		}
	}
}

// With the same preset, profile and server publish the same SRV records:
// the protocols the server opens, and no other (every preset, from the
// advisor's own table).
func TestProfileAndServerAgreeOnPresets(t *testing.T) {
	presets, err := advisor.Presets()
	if err != nil {
		t.Fatal(err)
	}
	srv := func(text string) []string {
		var out []string
		for _, line := range strings.Split(text, "\n") {
			if f := strings.Fields(line); len(f) == 8 && f[3] == "SRV" && strings.HasPrefix(f[0], "_") && !strings.HasPrefix(f[0], "_autodiscover") {
				out = append(out, strings.TrimSuffix(f[0], ".example.com.")+" "+f[6])
			}
		}
		slices.Sort(out)
		return out
	}
	for _, p := range presets {
		profile, stderr, code := runCLI(t, "profile", "srv", "--domain", "example.com", "--preset", p.Name)
		if code != 0 {
			t.Fatalf("profile srv --preset %s: %s", p.Name, stderr)
		}
		server, stderr, code := runCLI(t, "server", "dns", "--domain", "example.com", "--preset", p.Name, "--ipv4", "192.0.2.1")
		if code != 0 {
			t.Fatalf("server dns --preset %s: %s", p.Name, stderr)
		}
		if a, b := srv(profile), srv(server); len(a) == 0 || !slices.Equal(a, b) {
			t.Errorf("--preset %s: profile srv publishes %v, server dns %v", p.Name, a, b)
		}
	}
}
