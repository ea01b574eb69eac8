package lint

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mailadvisor/mailadvisor/internal/integration"
)

// Debian's split dovecot.conf: the settings are in the files it includes,
// relative to the including file; what is outside the directory, or
// missing, is said, never read.
func TestDovecotIncludes(t *testing.T) {
	fsys := fstest.MapFS{
		"dovecot.conf": {Data: []byte("protocols = imap\n!include_try /usr/share/dovecot/protocols.d/*.protocol\n" +
			"!include conf.d/*.conf\n!include_try local.conf\n!include ../secret.conf\n!include /etc/dovecot/conf.d/99-abs.ext\n!include loop.conf\n")},
		"conf.d/10-auth.conf":         {Data: []byte("auth_mechanisms = plain\n!include auth-system.conf.ext\n")},
		"conf.d/auth-system.conf.ext": {Data: []byte("passdb {\n  driver = pam\n}\ndisable_plaintext_auth = no\n")},
		"conf.d/10-ssl.conf":          {Data: []byte("# SSL\n\nssl = no\n")},
		"conf.d/99-abs.ext":           {Data: []byte("ssl_min_protocol = TLSv1\n")},
		"loop.conf":                   {Data: []byte("!include loop.conf\n!include dovecot.conf\n")},
	}
	kind, findings, err := LintWith("/etc/dovecot/dovecot.conf", fsys["dovecot.conf"].Data, Options{Dir: fsys, DirPath: "/etc/dovecot"})
	if err != nil || kind != KindDovecot {
		t.Fatalf("%s, %v", kind, err)
	}
	var got []string
	for _, f := range findings {
		got = append(got, f.File+":"+strconv.Itoa(f.Line)+" "+f.Rule)
	}
	want := []string{
		"/etc/dovecot/dovecot.conf:2 dovecot-include", // outside the directory
		"/etc/dovecot/dovecot.conf:5 dovecot-include", // ../ is outside too
		"/etc/dovecot/conf.d/10-ssl.conf:3 dovecot-ssl-off",
		"/etc/dovecot/conf.d/99-abs.ext:1 dovecot-tls-version", // absolute, inside the directory
		"/etc/dovecot/conf.d/auth-system.conf.ext:4 dovecot-cleartext-auth",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Without a directory, each include is said not read.
	_, findings, _ = Lint("dovecot.conf", fsys["dovecot.conf"].Data)
	if n := len(findings); n != 6 || findings[0].Rule != "dovecot-include" {
		t.Errorf("without a directory: %v", findings)
	}
}

// The real thing: Debian's stock /etc/dovecot, where dovecot is installed
// (.ci/run installs it), reads as dovecot.conf with every include inside
// /etc/dovecot followed.
func TestDebianStockDovecot(t *testing.T) {
	integration.RequireProgram(t, "dovecot")
	dir := "/etc/dovecot"
	data, err := os.ReadFile(filepath.Join(dir, "dovecot.conf"))
	if err != nil {
		t.Skipf("no %s/dovecot.conf: %v", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	kind, findings, err := LintWith(filepath.Join(dir, "dovecot.conf"), data, Options{Dir: root.FS(), DirPath: dir})
	if err != nil || kind != KindDovecot {
		t.Fatalf("Debian's dovecot.conf read as %q: %v", kind, err)
	}
	for _, f := range findings {
		if f.Rule == "dovecot-include" && !strings.Contains(f.Message, "/usr/share/") {
			t.Errorf("%s:%d: %s", f.File, f.Line, f.Message)
		}
	}
	t.Logf("%d findings: %v", len(findings), findings)
}

// Diff: a finding moved by lines added above is the same one; a second
// finding of the same kind is new; one gone is fixed.
func TestDiff(t *testing.T) {
	f := func(file string, line int, rule, msg string) Finding {
		return Finding{File: file, Line: line, Rule: rule, Message: msg}
	}
	base := []Finding{f("a", 3, "r1", "m"), f("a", 9, "r2", "x"), f("b", 1, "r1", "m")}
	now := []Finding{f("a", 5, "r1", "m"), f("a", 6, "r1", "m"), f("b", 1, "r1", "m")}
	marked, fixed := Diff(base, now)
	var got []string
	for _, m := range marked {
		got = append(got, m.File+strconv.Itoa(m.Line)+m.Change)
	}
	if strings.Join(got, " ") != "a5 a6new b1" {
		t.Errorf("marked %v", got)
	}
	if len(fixed) != 1 || fixed[0].Rule != "r2" || fixed[0].Change != "fixed" {
		t.Errorf("fixed %+v", fixed)
	}
}
