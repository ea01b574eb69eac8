package templates

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailadvisor/mailadvisor/internal/integration"
)

// TestRealToolsAcceptTheFiles checks every TLS profile and protocol choice
// with the real tools: doveconf -x -n, postconf -n/-M/-P (any stderr is a
// failure: postconf only warns about unknown keys), postfix check and
// named-checkzone.
func TestRealToolsAcceptTheFiles(t *testing.T) {
	doveconf := integration.RequireProgram(t, "doveconf")
	postconf := integration.RequireProgram(t, "postconf")
	postfix := integration.RequireProgram(t, "postfix")
	checkzone := integration.RequireProgram(t, "named-checkzone")
	shellcheck := integration.RequireProgram(t, "shellcheck")
	rspamadm := integration.RequireProgram(t, "rspamadm")
	unshare := integration.RequireProgram(t, "unshare")
	if os.Geteuid() != 0 {
		integration.Missing(t, "postfix check needs root")
	}
	trixie := dovecot24Root(t)
	dir := t.TempDir()
	cert, key := integration.SelfSignedCert(t, dir, "mail.example.com")
	copyInto(t, trixie, cert, key)
	dkim, err := NewDKIMKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, dovecot := range []string{"2.3", "2.4"} {
		for _, profile := range []string{Intermediate, Modern} {
			for _, protocols := range [][]string{{IMAP}, {POP3}, {IMAP, POP3}} {
				for _, starttls := range []bool{false, true} {
					name := fmt.Sprintf("dovecot%s-%s-%s-starttls-%v", dovecot, profile, strings.Join(protocols, "+"), starttls)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						out := filepath.Join(dir, name)
						c := &Config{Domain: "example.com", Protocols: protocols, TLSProfile: profile, AllowSTARTTLS: starttls, DovecotVersion: dovecot,
							CertFile: cert, KeyFile: key, QuotaGB: 2, LeaveOnServerDays: 7, MTASTS: "enforce", TLSRPTReports: "tls@example.com",
							IPv4: "192.0.2.1", IPv6: "2001:db8::1", PostfixQueueDir: filepath.Join(out, "spool"), PostfixDataDir: filepath.Join(out, "data"),
							DKIMKey: dkim, DevicesPerUser: 2.5, PeoplePerAddress: 40, Fail2banIgnore: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8:1::/48")}}
						writeFiles(t, out, c)
						// A file with the same bytes as one already checked (the
						// Postfix files do not change with the protocols, the
						// zone not with the TLS profile) is not checked again.
						if checked.first(t, out, DovecotFile) {
							if dovecot == "2.3" {
								mustBeQuiet(t, exec.Command(doveconf, "-x", "-n", "-c", filepath.Join(out, DovecotFile)))
							} else {
								doveconf24(t, trixie, filepath.Join(out, DovecotFile))
							}
						}
						if checked.first(t, out, "main.cf", "master.cf") {
							for _, flag := range []string{"-n", "-M", "-P"} {
								mustBeQuiet(t, exec.Command(postconf, "-c", out, flag))
							}
							chownPostfix(t, c.PostfixDataDir)
							if msg, err := exec.Command(postfix, "-c", out, "check").CombinedOutput(); err != nil || len(msg) > 0 {
								t.Errorf("postfix check: %v\n%s", err, msg)
							}
						}
						if checked.first(t, out, ZoneFile(c.Domain)) {
							zone := withSOA(t, filepath.Join(out, ZoneFile(c.Domain)))
							if msg, err := exec.Command(checkzone, c.Domain, zone).CombinedOutput(); err != nil {
								t.Errorf("named-checkzone: %v\n%s", err, msg)
							}
						}
						scripts := []string{SetupFile, AddUserFile, DelUserFile, DeployHookFile}
						if checked.first(t, out, scripts...) {
							for _, name := range scripts {
								mustBeQuiet(t, exec.Command(shellcheck, filepath.Join(out, name)))
							}
						}
						if checked.first(t, out, "rspamd-dkim_signing.conf", "rspamd-dmarc.conf", "rspamd-milter_headers.conf", RspamdLuaFile) {
							rspamdConfigtest(t, unshare, rspamadm, out)
						}
					})
				}
			}
		}
	}
}

// dovecot24Root is a Debian 13 tree with Dovecot 2.4 (.ci/run makes one
// with debootstrap), whose doveconf checks the 2.4 files.
func dovecot24Root(t *testing.T) string {
	t.Helper()
	root := os.Getenv("MAILADVISOR_DOVECOT24_ROOT")
	if root == "" {
		root = "/var/cache/mailadvisor/trixie"
	}
	if _, err := os.Stat(filepath.Join(root, "usr/bin/doveconf")); err != nil {
		integration.Missing(t, "no Dovecot 2.4 tree at "+root+" (.ci/run makes one with debootstrap; or set MAILADVISOR_DOVECOT24_ROOT)")
	}
	integration.Uses(t, "Dovecot 2.4's doveconf in "+root)
	return root
}

// copyInto copies files into the tree at the same paths, for the test.
func copyInto(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), data, 0o600); err != nil {
			t.Fatal(err)
		}
		// The whole tree made for it, down from the first directory
		// below / or /tmp: the tree is kept between runs.
		parts := strings.SplitN(strings.TrimPrefix(f, "/"), "/", 3)
		top := parts[0]
		if top == "tmp" && len(parts) > 2 {
			top = filepath.Join(parts[0], parts[1])
		}
		t.Cleanup(func() { os.RemoveAll(filepath.Join(root, top)) })
	}
}

// doveconf24 runs Dovecot 2.4's doveconf -x -n in its tree over a copy of
// the file (the certificate and key are already there: copyInto).
func doveconf24(t *testing.T, root, conf string) {
	t.Helper()
	inside, err := os.MkdirTemp(filepath.Join(root, "tmp"), "mailadvisor-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(inside) })
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inside, DovecotFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	mustBeQuiet(t, exec.Command("chroot", root, "doveconf", "-x", "-n", "-c", strings.TrimPrefix(filepath.Join(inside, DovecotFile), root)))
}

// rspamdConfigtest runs rspamadm configtest with the rspamd files in a
// copy of /etc/rspamd (local.d and rspamd.local.lua), in private mount and network namespaces: rspamd's
// own configuration looks its fuzzy servers up in DNS, which must not
// leave the machine from a test (so those two lines are the only stderr
// allowed).
func rspamdConfigtest(t *testing.T, unshare, rspamadm, out string) {
	t.Helper()
	etc := filepath.Join(out, "etc-rspamd")
	if msg, err := exec.Command("cp", "-a", "/etc/rspamd", etc).CombinedOutput(); err != nil {
		t.Fatalf("cp -a /etc/rspamd: %v\n%s", err, msg)
	}
	for _, name := range []string{"rspamd-dkim_signing.conf", "rspamd-dmarc.conf", "rspamd-milter_headers.conf", RspamdLuaFile} {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(etc, "local.d", strings.TrimPrefix(name, "rspamd-"))
		if name == RspamdLuaFile {
			target = filepath.Join(etc, name)
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	resolv := filepath.Join(out, "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 127.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(unshare, "--mount", "--net", "--propagation", "private", "sh", "-c",
		`ip link set lo up && mount --bind "$1" /etc/rspamd && mount --bind "$2" /etc/resolv.conf && exec "$3" configtest`, "sh", etc, resolv, rspamadm)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	noNetwork := regexp.MustCompile(`(?m)^(address resolution for \S+ failed: .*|cannot read servers definition)\n`)
	if rest := noNetwork.ReplaceAllString(stderr.String(), ""); err != nil || rest != "" || strings.TrimSpace(stdout.String()) != "syntax OK" {
		t.Errorf("rspamadm configtest: %v\n%s%s", err, stdout.String(), stderr.String())
	}
}

// checkedFiles remembers the contents already given to a tool.
type checkedFiles struct {
	mu   sync.Mutex
	seen map[[sha256.Size]byte]string
}

var checked = checkedFiles{seen: map[[sha256.Size]byte]string{}}

// first reports whether the named files in dir, with dir itself written
// as DIR (the Postfix files name their own queue directory), have not been
// checked before.
func (c *checkedFiles) first(t *testing.T, dir string, names ...string) bool {
	t.Helper()
	h := sha256.New()
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.ReplaceAll(data, []byte(dir), []byte("DIR"))
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	c.mu.Lock()
	defer c.mu.Unlock()
	if where, ok := c.seen[sum]; ok {
		t.Logf("%s: the same bytes as in %s, checked there", strings.Join(names, ", "), where)
		return false
	}
	c.seen[sum] = t.Name()
	return true
}

func writeFiles(t *testing.T, dir string, c *Config) {
	t.Helper()
	for _, sub := range []string{dir, c.PostfixQueueDir, c.PostfixDataDir} {
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	err := WriteAll(c, exampleSRV(), func(name string) (io.Writer, error) {
		f, err := os.Create(filepath.Join(dir, name))
		t.Cleanup(func() { f.Close() })
		names = append(names, name)
		return f, err
	})
	if err != nil {
		t.Fatal(err)
	}
	// postconf waits about two seconds on a main.cf modified within the
	// last second or two (a file still being edited); the tests' files are
	// complete, so they are dated an hour back.
	past := time.Now().Add(-time.Hour)
	for _, name := range names {
		if err := os.Chtimes(filepath.Join(dir, name), past, past); err != nil {
			t.Fatal(err)
		}
	}
}

// mustBeQuiet runs cmd and fails on a non-zero exit or any stderr.
func mustBeQuiet(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, io.Discard
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("%s: %v\n%s", cmd, err, stderr.String())
	}
}

func chownPostfix(t *testing.T, dir string) {
	t.Helper()
	u, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("no postfix user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
}

// withSOA writes a copy of a zone snippet with the SOA and NS records a
// whole zone needs, for named-checkzone.
func withSOA(t *testing.T, snippet string) string {
	t.Helper()
	data, err := os.ReadFile(snippet)
	if err != nil {
		t.Fatal(err)
	}
	head := "$TTL 3600\n$ORIGIN example.com.\n@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 3600\n@ IN NS ns1.example.com.\nns1 IN A 192.0.2.53\n"
	path := snippet + ".full"
	if err := os.WriteFile(path, append([]byte(head), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// mail-adduser and mail-deluser check the whole argument before they touch
// a file: a newline, a ':' or a second @ would add a line or a field to the
// users file (another user logging in with someone else's mailbox as
// home). A good change reaches Postfix's table of recipients at once, and
// Postfix is told to read it again.
func TestAddUserRefusesInjection(t *testing.T) {
	sh := integration.RequireProgram(t, "sh")
	integration.RequireProgram(t, "openssl")
	integration.RequireProgram(t, "flock")
	if os.Geteuid() != 0 {
		integration.Missing(t, "mail-adduser runs as root")
	}
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	recipients := filepath.Join(dir, "recipients")
	c := &Config{Domain: "example.com", UsersFile: users, RecipientsFile: recipients,
		PostfixQueueDir: filepath.Join(dir, "spool"), PostfixDataDir: filepath.Join(dir, "data")}
	writeFiles(t, dir, c)
	// Stand-ins for the machine's postfix and doveadm, which record what
	// the scripts ask of them (the machine's own Postfix is not reloaded).
	bin := filepath.Join(dir, "bin")
	calls := filepath.Join(dir, "calls")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"postfix", "doveadm"} {
		stub := fmt.Sprintf("#!/bin/sh\necho %s \"$@\" >>%s\n", name, calls)
		if err := os.WriteFile(filepath.Join(bin, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	before := "alice@example.com:{SHA512-CRYPT}$6$x$y::::::\n"
	if err := os.WriteFile(users, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(script, addr, stdin string) (string, error) {
		cmd := exec.Command(sh, filepath.Join(dir, script), addr)
		cmd.Stdin, cmd.Env = strings.NewReader(stdin), env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, script := range []string{AddUserFile, DelUserFile} {
		for _, addr := range []string{
			"bob\nevil@example.com:{PLAIN}attacker::::/var/mail/vhosts/example.com/alice::\nx@example.com",
			"alice@example.com\n",
			"bob@example.com\n",
			"evil:x@example.com",
			"bob@evil.example@example.com",
			"-bob@example.com",
			"bob @example.com",
			"",
		} {
			out, err := run(script, addr, "attacker\n")
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Errorf("%s %q: %v, want exit 2\n%s", script, addr, err, out)
			}
			if data, _ := os.ReadFile(users); string(data) != before {
				t.Fatalf("%s %q changed the users file:\n%s", script, addr, data)
			}
		}
	}
	if _, err := os.Stat(calls); err == nil {
		t.Errorf("a refused change called postfix or doveadm")
	}
	if out, err := run(AddUserFile, "Carol.Smith+mail@example.com", "a good password\n"); err != nil {
		t.Fatalf("a good address: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(users)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "carol.smith+mail@example.com:{SHA512-CRYPT}$6$") {
		t.Errorf("users file after a good address:\n%s", data)
	}
	checkRecipients := func(want string) {
		t.Helper()
		if got, _ := os.ReadFile(recipients); string(got) != want {
			t.Errorf("recipients table:\n%s\nwant:\n%s", got, want)
		}
	}
	checkRecipients("alice@example.com OK\ncarol.smith+mail@example.com OK\n")
	if out, err := run(DelUserFile, "alice@example.com", ""); err != nil {
		t.Fatalf("mail-deluser: %v\n%s", err, out)
	}
	if data, _ := os.ReadFile(users); !strings.HasPrefix(string(data), "carol.smith+mail@example.com:") || strings.Count(string(data), "\n") != 1 {
		t.Errorf("users file after mail-deluser alice:\n%s", data)
	}
	if fi, err := os.Stat(users); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("users file after mail-deluser: %v, mode %v, want 0600 as before", err, fi.Mode())
	}
	checkRecipients("carol.smith+mail@example.com OK\n")
	if out, err := run(DelUserFile, "alice@example.com", ""); err == nil || !strings.Contains(out, "not a user") {
		t.Errorf("mail-deluser of a user that is not: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(calls)
	if want := "postfix status\npostfix reload\npostfix status\npostfix reload\ndoveadm kick alice@example.com\n"; string(got) != want {
		t.Errorf("the scripts called:\n%s\nwant:\n%s", got, want)
	}
}

// The jail's Dovecot filter, run by fail2ban's own fail2ban-regex, matches
// one line per failed login of Dovecot 2.3 (Debian 12) and 2.4 (Debian 13),
// and none of the lines of a login that worked or never tried.
func TestFail2banDovecotFilter(t *testing.T) {
	f2b := integration.RequireProgram(t, "fail2ban-regex")
	if _, err := os.Stat("/etc/fail2ban/filter.d/common.conf"); err != nil {
		integration.Missing(t, "fail2ban's filters are not in /etc/fail2ban (Debian package fail2ban)")
	}
	dir := t.TempDir()
	c := &Config{Domain: "example.com", PostfixQueueDir: filepath.Join(dir, "spool"), PostfixDataDir: filepath.Join(dir, "data")}
	writeFiles(t, dir, c)
	conf := filepath.Join(dir, "fail2ban")
	if msg, err := exec.Command("cp", "-a", "/etc/fail2ban", conf).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(filepath.Join(dir, Fail2banFilterFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(conf, "filter.d", "mailadvisor-dovecot.conf"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	const prefix = "Dec  7 08:00:00 mail dovecot[812]: "
	for line, want := range map[string]bool{
		// Dovecot 2.3 (Debian 12).
		"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<alice@example.com>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, TLS, session=<Xk3>": true,
		"pop3-login: Aborted login (auth failed, 3 attempts in 16 secs): user=<root>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, TLS, session=<Xk3>":            true,
		"submission-login: Disconnected: Inactivity (auth failed, 1 attempts in 180 secs): user=<bob>, method=LOGIN, rip=192.0.2.7, lip=192.0.2.1, TLS":          true,
		// Dovecot 2.4 (Debian 13).
		"imap-login: Login aborted: Connection closed (auth failed, 1 attempts in 2 secs) (auth_failed): user=<alice@example.com>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, TLS, session=<Xk3>": true,
		"imap-login: Info: Login aborted: Connection closed (auth failed, 3 attempts in 16 secs) (auth_failed): user=<info@example.com>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, TLS":          true,
		"pop3-login: Login aborted: Logged out (auth_failed): user=<x>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, TLS, session=<Xk3>":                                                            true,
		// Not failures.
		"imap-login: Login: user=<alice@example.com>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, mpid=9, TLS, session=<Xk3>":                 false,
		"imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=192.0.2.7, lip=192.0.2.1, TLS handshaking, session=<Xk3>":        false,
		"imap-login: Login aborted: Connection closed (no auth attempts in 0 secs) (no_auth_attempts): user=<>, rip=192.0.2.7, lip=192.0.2.1": false,
	} {
		out, err := exec.Command(f2b, "-c", conf, prefix+line, "mailadvisor-dovecot").CombinedOutput()
		m := regexp.MustCompile(`Failregex: (\d+) total`).FindStringSubmatch(string(out))
		if err != nil || m == nil {
			t.Fatalf("fail2ban-regex: %v\n%s", err, out)
		}
		if got := m[1] == "1"; got != want {
			t.Errorf("%q: matched %v, want %v\n%s", line, got, want, out)
		}
		if !want {
			continue
		}
		// The address fail2ban would ban is the client's (rip), not the
		// server's (lip).
		if ip, err := exec.Command(f2b, "-c", conf, "-o", "ip", prefix+line, "mailadvisor-dovecot").Output(); err != nil || strings.TrimSpace(string(ip)) != "192.0.2.7" {
			t.Errorf("%q: fail2ban would ban %q (%v), want 192.0.2.7", line, ip, err)
		}
	}
}

// setup.sh waits, after restarting rspamd, until its milter listens on the
// port main.cf hands messages to (else Postfix answers 451 to everyone for
// as long as rspamd loads): its listening function, run by sh, tells a
// port something listens on from one nothing does, for IPv4 and IPv6.
func TestSetupWaitsForTheMilter(t *testing.T) {
	sh := integration.RequireProgram(t, "sh")
	c := &Config{Domain: "example.com"}
	files := map[string]*bytes.Buffer{}
	err := WriteAll(c, exampleSRV(), func(name string) (io.Writer, error) {
		files[name] = &bytes.Buffer{}
		return files[name], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	setup, mainCf := files[SetupFile], files["main.cf"]
	m := regexp.MustCompile(`(?m)^smtpd_milters = inet:localhost:(\d+)$`).FindStringSubmatch(mainCf.String())
	if m == nil {
		t.Fatalf("main.cf names no rspamd milter:\n%s", mainCf.String())
	}
	if !strings.Contains(setup.String(), "until listening "+m[1]+";") {
		t.Errorf("setup.sh does not wait for port %s, main.cf's milter", m[1])
	}
	fn := regexp.MustCompile(`(?ms)^listening\(\) \{\n.*?^\}\n`).FindString(setup.String())
	if fn == "" {
		t.Fatal("setup.sh has no listening function")
	}
	listening := func(port int) bool {
		err := exec.Command(sh, "-c", fn+"listening "+strconv.Itoa(port)).Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return err == nil
	}
	for _, network := range []string{"tcp4", "tcp6"} {
		loopback := map[string]string{"tcp4": "127.0.0.1:0", "tcp6": "[::1]:0"}[network]
		l, err := net.Listen(network, loopback)
		if err != nil {
			t.Logf("%s: %v (no such loopback here)", network, err)
			continue
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !listening(port) {
			t.Errorf("%s: port %d listens, listening says no", network, port)
		}
		l.Close()
		if listening(port) {
			t.Errorf("%s: port %d is closed, listening says yes", network, port)
		}
	}
}
