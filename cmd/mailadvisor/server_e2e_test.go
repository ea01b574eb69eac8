package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"

	"github.com/mailadvisor/mailadvisor/internal/integration"
	"github.com/mailadvisor/mailadvisor/internal/mailports"
	"github.com/mailadvisor/mailadvisor/profiles"
	"github.com/mailadvisor/mailadvisor/templates"
)

// The end-to-end test, as an admin on a fresh Debian VPS does it: the mail
// user created with adduser --system, the files `mailadvisor server all
// --out DIR` writes, DIR/setup.sh run, a user added with mail-adduser, and
// the daemons (Dovecot, Postfix, rspamd) started by setup.sh the way
// Debian starts them, on the standard ports. It runs in private mount,
// network and PID namespaces: /etc, /var and /run are copies, nothing
// leaves the namespace's loopback (rspamd's DNS goes to a server the test
// runs there, serving the zone the files publish), and every daemon ends
// with the test. Then: mail sent through 587 and 465 and received on port
// 25, read back over IMAPS and POP3S with curl, driven by the settings
// `mailadvisor profile sheet -o json` gives for that user.

const (
	e2eDomain   = "example.test"
	e2eHost     = "mail.example.test"
	e2eUser     = "alice@example.test"
	e2ePassword = "S3cret-pass"
	// e2eOutside is an address of the namespace that is neither loopback
	// nor private: rspamd and Postfix treat mail from it as from outside.
	e2eOutside = "198.51.100.7"
)

type e2ePorts struct{ imaps, imap, pop3s, pop3, smtp, submission, submissions int }

type e2eServer struct {
	t       *testing.T
	dir     string
	conf    string
	cert    string
	ports   e2ePorts
	logs    []string
	zone    string
	stopped []func()
}

const e2eInside = "MAILADVISOR_E2E_INSIDE"

func TestServerEndToEnd(t *testing.T) {
	if os.Getenv(e2eInside) != "1" {
		runInNamespaces(t)
		return
	}
	s := startServers(t)
	sheet := s.sheet()
	// Ten failed logins on IMAP and on submission, while the rest runs
	// (Dovecot delays failures by seconds): their log lines must trip the
	// filters of the fail2ban jails server all writes.
	checkJails := s.failedLogins(sheet)

	// Send one message through each submission endpoint of the sheet, and
	// one from another server on port 25.
	for _, row := range sheet.Outgoing {
		s.mustCurl(s.smtpArgs(row, "via "+strconv.Itoa(row.Port), true)...)
	}
	// From another server, at once (each new address is verified against
	// Dovecot first, which takes a second): to the user, and to postmaster@
	// and abuse@, which reach the --postmaster mailbox (RFC 5321 §4.5.1,
	// RFC 2142); and one from outside whose From claims the domain.
	var wg sync.WaitGroup
	for _, m := range [][3]string{{"via 25", e2eUser, "bob@example.org"}, {"to postmaster", "postmaster@" + e2eDomain, "bob@example.org"},
		{"to abuse", "abuse@" + e2eDomain, "bob@example.org"}, {"forged from", e2eUser, "ceo@" + e2eDomain}} {
		wg.Go(func() {
			if out, err := s.curl(s.mxArgs(m[0], m[1], m[2])...); err != nil {
				t.Errorf("mail to %s: %v\n%s", m[1], err, out)
			}
		})
	}
	wg.Wait()
	want := 4 + len(sheet.Outgoing)
	s.waitForMessages(sheet.Incoming[0], want)

	// Read them back over every incoming endpoint of the sheet.
	for _, row := range sheet.Incoming {
		s.checkMailbox(row, want)
		if row.Protocol == "imap" {
			s.checkFolders(row)
		}
	}
	s.scanLogs(failedLoginLines) // those of the failed logins under way

	// What must be refused: a cleartext login (from 127.0.0.2: Dovecot
	// trusts 127.0.0.1 to itself), submission without TLS, and TLS 1.1.
	s.refused("IMAP login without TLS", "--interface", "127.0.0.2", "-u", e2eUser+":"+e2ePassword,
		fmt.Sprintf("imap://%s:%d/", e2eHost, s.ports.imap))
	s.refused("POP3 login without TLS", "--interface", "127.0.0.2", "-u", e2eUser+":"+e2ePassword,
		fmt.Sprintf("pop3://%s:%d/", e2eHost, s.ports.pop3))
	s.refused("submission without TLS", append(s.smtpArgs(profiles.SheetRow{Protocol: "smtp", Port: s.ports.submission, Security: "none"}, "no tls", false),
		"--interface", "127.0.0.2")...)
	for _, port := range []int{s.ports.imaps, s.ports.pop3s, s.ports.submissions} {
		s.tls11Refused(port)
	}
	// Port 25 takes broad ciphers (senders must not fall back to
	// cleartext) but never anonymous or null ones (issue 11).
	s.anonymousCiphersRefused(s.ports.smtp)
	// An unknown local address is refused at RCPT, not accepted and then
	// bounced to a sender that may be forged (backscatter).
	s.unknownRecipientRefused()
	// So is a message the mailbox has no room for (a 2 MB quota here).
	s.overQuotaRefused()
	// The size limit is the one the files say (50 MB by default), not
	// Postfix's own 10 MB.
	s.sizeLimit(s.ports.smtp, templates.DefaultMaxMessageMB<<20)
	// A logged-in user sends only as themselves, on 587 and 465.
	for _, row := range sheet.Outgoing {
		args := s.smtpArgs(row, "forged sender", true)
		for i, a := range args {
			if a == "--mail-from" {
				args[i+1] = "ceo@" + e2eDomain
			}
		}
		s.refused(fmt.Sprintf("a forged sender on %d", row.Port), args...)
	}
	// Nor may a server outside use the domain as its envelope sender.
	s.refused("the domain as sender from outside", append(s.mxArgs("forged envelope", e2eUser, "ceo@"+e2eDomain), "--mail-from", "ceo@"+e2eDomain)...)
	if log, _ := os.ReadFile("/var/log/mail.log"); !strings.Contains(string(log), "<ceo@"+e2eDomain+">: Sender address rejected: log in to send as "+e2eDomain) {
		t.Errorf("the domain as sender from outside was not refused by the sender check:\n%s", log)
	}
	checkJails()
	s.scanLogs(regexp.MustCompile(`auth failed|SASL (PLAIN|LOGIN) authentication failed|Password mismatch|unsupported protocol|wrong version number|no protocols available|version too low|Disconnected.*(no auth attempts|Aborted login)|lost connection after|SSL_accept\(\) failed|SSL_accept error from|TLS library problem|improper command pipelining|Sender address rejected`))
	// Last, since it tries what must fail (old TLS, weak suites, a relay):
	// mailadvisor probe grades the whole A.
	s.probeGradesClean()
}

// runInNamespaces runs this test again in new mount, network and PID
// namespaces, where it may set up a server as root without touching the
// machine's own files or network.
func runInNamespaces(t *testing.T) {
	t.Parallel() // alongside the scripts
	for _, p := range []string{"unshare", "ip", "adduser", "service", "dovecot", "doveadm", "postfix", "rspamd", "curl", "openssl"} {
		integration.RequireProgram(t, p)
	}
	if os.Geteuid() != 0 {
		integration.Missing(t, "setting up Dovecot, Postfix and rspamd needs root")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A machine with other network namespaces: this one, named, is in
	// /run/netns while the test runs (its copy of /run must cope).
	other := fmt.Sprintf("mailadvisor-e2e-other-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", other).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v\n%s", other, err, out)
	}
	defer func() { _ = exec.Command("ip", "netns", "delete", other).Run() }()
	cmd := exec.Command("unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc", "--propagation", "private",
		self, "-test.run=^TestServerEndToEnd$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), e2eInside+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the end-to-end test in its namespaces: %v\n%s", err, out)
	}
	t.Logf("in its namespaces:\n%s", out)
}

func startServers(t *testing.T) *e2eServer {
	dir := t.TempDir()
	_ = os.Chmod(dir, 0o755)
	s := &e2eServer{t: t, dir: dir, conf: filepath.Join(dir, "mail-config"),
		ports: e2ePorts{mailports.IMAPS, mailports.IMAP, mailports.POP3S, mailports.POP3, mailports.SMTP, mailports.Submission, mailports.Submissions},
		logs:  []string{"/var/log/dovecot.log", "/var/log/mail.log"}}
	t.Cleanup(s.stop)
	s.privateSystem()
	s.network()
	// The admin's steps: the mail user the usual Debian way, and the
	// certificate where certbot puts it.
	s.run("adduser", "--system", "--group", "--no-create-home", "vmail")
	live := "/etc/letsencrypt/live/" + e2eHost
	s.run("mkdir", "-p", live)
	cert, key := integration.SelfSignedCert(t, live, e2eHost)
	s.cert = live + "/fullchain.pem"
	s.run("mv", cert, s.cert)
	s.run("mv", key, live+"/privkey.pem")
	s.generate(s.conf, e2eDomain)
	s.serveDNS()
	t.Logf("setup.sh: ==> first run\n%s", s.run("sh", filepath.Join(s.conf, "setup.sh")))
	s.setupAgain()
	s.addUser()
	s.waitForPort(s.ports.smtp, "postfix")
	s.waitForPort(s.ports.imaps, "dovecot")
	s.waitForPort(11332, "rspamd")
	return s
}

// privateSystem gives the namespace its own copies of the directories the
// set-up writes, so that the machine's stay as they are.
func (s *e2eServer) privateSystem() {
	copies := filepath.Join(s.dir, "system")
	for _, d := range []string{"/etc", "/run", "/var/log", "/var/mail", "/var/spool/postfix", "/var/lib/postfix", "/var/lib/dovecot", "/var/lib/rspamd", "/usr/local/sbin"} {
		if _, err := os.Stat(d); err != nil {
			continue
		}
		c := filepath.Join(copies, d)
		s.run("mkdir", "-p", filepath.Dir(c))
		s.copyTree(d, c)
		s.run("mount", "--bind", c, d)
	}
	// Nothing from the machine's own mail set-up: a fresh install.
	for _, f := range []string{"/etc/mailadvisor", "/var/mail/vhosts", "/etc/dovecot/users", "/etc/dovecot/vmail-uid.conf"} {
		_ = os.RemoveAll(f)
	}
	if _, err := user.Lookup("vmail"); err == nil {
		s.run("deluser", "--system", "vmail")
	}
	_ = exec.Command("delgroup", "--system", "vmail").Run()
	s.run("sh", "-c", "rm -f /var/log/dovecot.log /var/log/mail.log /run/*.pid /run/dovecot/master.pid /run/rspamd/*.pid")
}

// copyTree copies the directory d to c, less what cannot be copied: the
// namespace files other tools mount under /run (ip netns add puts each
// named network namespace at /run/netns/NAME), which read as errors.
func (s *e2eServer) copyTree(d, c string) {
	skip := nsfsMounts(s.t)
	if !slices.ContainsFunc(skip, func(m string) bool { return strings.HasPrefix(m, d+"/") }) {
		s.run("cp", "-a", d, c)
		return
	}
	s.run("mkdir", "-p", c)
	s.run("chmod", "--reference="+d, c)
	entries, err := os.ReadDir(d)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, e := range entries {
		path := filepath.Join(d, e.Name())
		if slices.ContainsFunc(skip, func(m string) bool { return m == path || strings.HasPrefix(m, path+"/") }) {
			if e.IsDir() {
				s.run("mkdir", "-p", filepath.Join(c, e.Name())) // the directory, empty
			}
			continue
		}
		s.run("cp", "-a", path, c+"/")
	}
}

// nsfsMounts lists the mount points of namespace files (nsfs).
func nsfsMounts(t *testing.T) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if i := slices.Index(fields, "-"); i > 4 && i+1 < len(fields) && fields[i+1] == "nsfs" {
			out = append(out, fields[4])
		}
	}
	return out
}

// network brings the namespace's loopback up, with an address that stands
// for the outside, and points the resolver at the test's DNS server.
func (s *e2eServer) network() {
	s.run("ip", "link", "set", "lo", "up")
	s.run("ip", "addr", "add", e2eOutside+"/32", "dev", "lo")
	if err := os.WriteFile("/etc/resolv.conf", []byte("nameserver 127.0.0.1\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
	hosts := "127.0.0.1 localhost\n::1 localhost\n127.0.0.1 " + e2eHost + "\n"
	if err := os.WriteFile("/etc/hosts", []byte(hosts), 0o644); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile("/etc/mailname", []byte(e2eHost+"\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// run runs a command and fails the test on an error; it returns the output.
func (s *e2eServer) run(name string, args ...string) string {
	s.t.Helper()
	out, err := s.output(name, args...)
	if err != nil {
		s.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// output runs a command and returns its output, through a file: the
// daemons a command starts keep a pipe open after it ends.
func (s *e2eServer) output(name string, args ...string) (string, error) {
	f, err := os.CreateTemp(s.dir, "output-")
	if err != nil {
		s.t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	return string(out), err
}

// setupAgain: setup.sh run a second time changes nothing, and a set for
// another domain is refused before it changes anything.
func (s *e2eServer) setupAgain() {
	again := s.run("sh", filepath.Join(s.conf, "setup.sh"))
	for _, f := range []string{"/etc/dovecot/dovecot.conf", "/etc/postfix/main.cf", "/etc/rspamd/local.d/dkim_signing.conf", "/var/lib/rspamd/dkim/example.test.mail.key"} {
		if !strings.Contains(again, "unchanged: "+f) {
			s.t.Errorf("setup.sh, second run: %s was not left as it was:\n%s", f, again)
		}
	}
	before, _ := os.ReadFile("/etc/dovecot/dovecot.conf")
	other := filepath.Join(s.dir, "other-config")
	s.generate(other, "example.net")
	out, err := s.output("sh", filepath.Join(other, "setup.sh"))
	after, _ := os.ReadFile("/etc/dovecot/dovecot.conf")
	if err == nil || !strings.Contains(out, "this server was set up for example.test") || !bytes.Equal(before, after) {
		s.t.Errorf("setup.sh for another domain: %v, changed: %v\n%s", err, !bytes.Equal(before, after), out)
	}
	// A set whose dovecot.conf Dovecot refuses replaces nothing.
	broken := filepath.Join(s.dir, "broken-config")
	s.run("cp", "-a", s.conf, broken)
	f, err := os.OpenFile(filepath.Join(broken, "dovecot.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	_, _ = f.WriteString("no_such_setting = yes\n")
	f.Close()
	out, err = s.output("sh", filepath.Join(broken, "setup.sh"))
	after, _ = os.ReadFile("/etc/dovecot/dovecot.conf")
	if err == nil || !strings.Contains(out, "Dovecot refuses") || !bytes.Equal(before, after) {
		s.t.Errorf("setup.sh with a dovecot.conf Dovecot refuses: %v, changed: %v\n%s", err, !bytes.Equal(before, after), out)
	}
}

// addUser adds the user with mail-adduser, the password on stdin; adding
// it twice is refused.
func (s *e2eServer) addUser() {
	for i, want := range []string{"added " + e2eUser, "already exists"} {
		cmd := exec.Command("mail-adduser", e2eUser)
		cmd.Stdin = strings.NewReader(e2ePassword + "\n")
		out, err := cmd.CombinedOutput()
		if (err == nil) != (i == 0) || !strings.Contains(string(out), want) {
			s.t.Fatalf("mail-adduser, time %d: %v\n%s", i+1, err, out)
		}
	}
	fi, err := os.Stat("/etc/dovecot/users")
	if err != nil || fi.Mode().Perm() != 0o640 {
		s.t.Errorf("users file: %v, mode %v, want 0640", err, fi.Mode())
	}
}

// generate writes the configuration with the CLI, as an admin would.
func (s *e2eServer) generate(out, domain string) {
	args := []string{"server", "all", "--domain", domain, "--protocols", "imap,pop3", "--allow-starttls",
		"--dovecot-log", "/var/log/dovecot.log", "--postfix-maillog", "/var/log/mail.log", "--ipv4", "192.0.2.25",
		"--postmaster", e2eUser, "--quota-gb", "0.002", "--mta-sts", "enforce", "--tls-rpt-reports", "tlsrpt@" + domain, "--out", out}
	if domain == e2eDomain {
		args = append(args, "--hostname", e2eHost)
		s.zone = filepath.Join(out, templates.ZoneFile(domain))
	}
	if _, stderr, code := runCLI(s.t, args...); code != 0 {
		s.t.Fatalf("mailadvisor server all: exit %d\n%s", code, stderr)
	}
	// Postfix waits about two seconds on a main.cf written within the last
	// second or two; these files are complete.
	past := time.Now().Add(-time.Hour)
	for _, name := range []string{"main.cf", "master.cf", "dovecot.conf"} {
		if err := os.Chtimes(filepath.Join(out, name), past, past); err != nil {
			s.t.Fatal(err)
		}
	}
}

func (s *e2eServer) stop() {
	for i := len(s.stopped) - 1; i >= 0; i-- {
		s.stopped[i]()
	}
	if s.t.Failed() {
		for _, log := range append(s.logs, "/var/log/rspamd/rspamd.log") {
			data, _ := os.ReadFile(log)
			s.t.Logf("==> %s <==\n%s", log, data)
		}
	}
}

func (s *e2eServer) waitForPort(port int, name string) {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("%s does not listen on %d", name, port)
}

// sheet is what `mailadvisor profile sheet -o json` says for the user.
func (s *e2eServer) sheet() *profiles.Sheet {
	domain := filepath.Join(s.dir, "domain.yaml")
	p := s.ports
	doc := fmt.Sprintf("domains: [%s]\nhosts: {imap: %s, pop3: %s, smtp: %s}\nports: {imaps: %d, imap: %d, pop3s: %d, pop3: %d, submissions: %d, submission: %d}\n",
		e2eDomain, e2eHost, e2eHost, e2eHost, p.imaps, p.imap, p.pop3s, p.pop3, p.submissions, p.submission)
	if err := os.WriteFile(domain, []byte(doc), 0o644); err != nil {
		s.t.Fatal(err)
	}
	stdout, stderr, code := runCLI(s.t, "profile", "sheet", "--domain-file", domain, "--email", e2eUser, "--allow-starttls", "-o", "json")
	if code != 0 {
		s.t.Fatalf("profile sheet: exit %d: %s", code, stderr)
	}
	var sheet profiles.Sheet
	if err := json.Unmarshal([]byte(stdout), &sheet); err != nil {
		s.t.Fatal(err)
	}
	if len(sheet.Incoming) != 4 || len(sheet.Outgoing) != 2 {
		s.t.Fatalf("sheet: %+v", sheet)
	}
	return &sheet
}

// curlBase connects to the sheet's host name on loopback and checks the
// server's certificate against the throwaway CA.
func (s *e2eServer) curlBase(port int) []string {
	return []string{"-sS", "--max-time", "20", "--cacert", s.cert, "--resolve", fmt.Sprintf("%s:%d:127.0.0.1", e2eHost, port)}
}

// url is the curl URL for a row of the sheet.
func url(row profiles.SheetRow, path string) string {
	scheme := row.Protocol
	if row.Security == "tls" {
		scheme += "s"
	}
	return fmt.Sprintf("%s://%s:%d/%s", scheme, e2eHost, row.Port, path)
}

func (s *e2eServer) smtpArgs(row profiles.SheetRow, subject string, withTLS bool) []string {
	row.Protocol = "smtp"
	msg := filepath.Join(s.dir, strings.ReplaceAll(subject, " ", "-")+".eml")
	body := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nsent %s\r\n", e2eUser, e2eUser, subject, subject)
	if err := os.WriteFile(msg, []byte(body), 0o644); err != nil {
		s.t.Fatal(err)
	}
	args := append(s.curlBase(row.Port), "-u", e2eUser+":"+e2ePassword, "--mail-from", e2eUser, "--mail-rcpt", e2eUser, "-T", msg)
	if withTLS && row.Security == "starttls" {
		args = append(args, "--ssl-reqd")
	}
	return append(args, url(row, ""))
}

// mxArgs sends as another server would, from an address outside: no
// password, TLS if offered, envelope sender bob@example.org.
func (s *e2eServer) mxArgs(subject, rcpt, from string) []string {
	msg := filepath.Join(s.dir, strings.ReplaceAll(subject, " ", "-")+".eml")
	body := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%d@example.org>\r\n\r\nfrom another server\r\n",
		from, rcpt, subject, time.Now().Format(time.RFC1123Z), time.Now().UnixNano())
	if err := os.WriteFile(msg, []byte(body), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return []string{"-sS", "--max-time", "20", "--cacert", s.cert, "--resolve", fmt.Sprintf("%s:%d:%s", e2eHost, s.ports.smtp, e2eOutside),
		"--interface", e2eOutside, "--ssl-reqd", "--mail-from", "bob@example.org", "--mail-rcpt", rcpt, "-T", msg,
		fmt.Sprintf("smtp://%s:%d/", e2eHost, s.ports.smtp)}
}

func (s *e2eServer) curl(args ...string) (string, error) {
	out, err := exec.Command("curl", args...).CombinedOutput()
	return string(out), err
}

func (s *e2eServer) mustCurl(args ...string) string {
	out, err := s.curl(args...)
	if err != nil {
		s.t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (s *e2eServer) incomingArgs(row profiles.SheetRow, path string) []string {
	args := append(s.curlBase(row.Port), "-u", row.Username+":"+e2ePassword)
	if row.Security == "starttls" {
		args = append(args, "--ssl-reqd")
	}
	return append(args, url(row, path))
}

func (s *e2eServer) waitForMessages(row profiles.SheetRow, n int) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out, err := s.curl(s.incomingArgs(row, "INBOX?ALL")...)
		if err == nil && len(strings.Fields(strings.TrimPrefix(strings.TrimSpace(out), "* SEARCH"))) >= n {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("the %d messages did not arrive", n)
}

// checkFolders lists the mailboxes: the special-use folders (RFC 6154)
// exist, subscribed, from the first login.
func (s *e2eServer) checkFolders(row profiles.SheetRow) {
	list := s.mustCurl(s.incomingArgs(row, "")...)
	for _, f := range []string{`\Drafts) "." Drafts`, `\Sent) "." Sent`, `\Trash) "." Trash`, `\Junk) "." Junk`, `\Archive) "." Archive`} {
		if !strings.Contains(list, f) {
			s.t.Errorf("IMAP on %d: no %s in the folder list:\n%s", row.Port, f, list)
		}
	}
}

// checkMailbox lists and reads every message over one incoming endpoint.
func (s *e2eServer) checkMailbox(row profiles.SheetRow, n int) {
	var subjects []string
	for i := 1; i <= n; i++ {
		path := strconv.Itoa(i)
		if row.Protocol == "imap" {
			path = "INBOX;MAILINDEX=" + path
		}
		msg := s.mustCurl(s.incomingArgs(row, path)...)
		sc := bufio.NewScanner(strings.NewReader(msg))
		subject := ""
		for sc.Scan() {
			if sub, ok := strings.CutPrefix(sc.Text(), "Subject: "); ok {
				subject = strings.TrimSpace(sub)
				subjects = append(subjects, subject)
			}
		}
		// Submitted mail does not carry the sender's address and host to
		// every recipient; mail received from another server keeps the
		// Received line that says how it came (TLS included).
		switch {
		case strings.HasPrefix(subject, "via ") && subject != "via 25" && (strings.Contains(msg, "ESMTPSA") || strings.Contains(msg, "[127.0.0.1]")):
			s.t.Errorf("%s: the submitting client is in the headers:\n%s", subject, msg)
		case subject == "via 25" && !strings.Contains(msg, "with ESMTPS"):
			s.t.Errorf("%s: the Received line of the receipt is gone:\n%s", subject, msg)
		case subject == "forged from" && !strings.Contains(msg, "X-Spam: Yes"):
			s.t.Errorf("mail from outside in the domain's name is not marked as spam:\n%s", msg)
		case strings.HasPrefix(subject, "via ") && subject != "via 25":
			s.verifyDKIM(subject, msg)
		}
	}
	// Postfix's queue does not promise to deliver in the order sent.
	want := []string{fmt.Sprintf("via %d", s.ports.submissions), fmt.Sprintf("via %d", s.ports.submission), "via 25", "to postmaster", "to abuse", "forged from"}
	slices.Sort(want)
	slices.Sort(subjects)
	if !slices.Equal(subjects, want) {
		s.t.Errorf("%s on %d: subjects %q, want %q in any order", row.Protocol, row.Port, subjects, want)
	}
}

func (s *e2eServer) refused(what string, args ...string) {
	base := []string{"-sS", "--max-time", "20", "--resolve", fmt.Sprintf("%s:%d:127.0.0.1", e2eHost, portOf(args[len(args)-1]))}
	if out, err := s.curl(append(base, args...)...); err == nil {
		s.t.Errorf("%s was accepted:\n%s", what, out)
	}
}

func portOf(u string) int {
	m := regexp.MustCompile(`:(\d+)/`).FindStringSubmatch(u)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// tls11Refused: OpenSSL 3's client refuses TLS 1.1 itself unless told
// @SECLEVEL=0, so that the refusal proven is the server's.
func (s *e2eServer) tls11Refused(port int) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ok := exec.Command("openssl", "s_client", "-connect", addr, "-tls1_2", "-servername", e2eHost)
	ok.Stdin = strings.NewReader("")
	if out, err := ok.CombinedOutput(); err != nil {
		s.t.Errorf("TLS 1.2 to %d refused: %v\n%s", port, err, out)
	}
	old := exec.Command("openssl", "s_client", "-connect", addr, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
	old.Stdin = strings.NewReader("")
	if out, err := old.CombinedOutput(); err == nil {
		s.t.Errorf("TLS 1.1 to %d accepted:\n%s", port, out)
	}
}

// failedLogins starts ten failed logins on IMAP and ten on submission,
// and returns the function that waits for them and checks the jails.
func (s *e2eServer) failedLogins(sheet *profiles.Sheet) func() {
	f2b, err := exec.LookPath("fail2ban-regex")
	if err != nil {
		integration.Missing(s.t, "fail2ban-regex is missing (Debian package fail2ban)")
		return func() {}
	}
	integration.Uses(s.t, f2b)
	var imap, submission profiles.SheetRow
	for _, r := range sheet.Incoming {
		if r.Protocol == "imap" && r.Security == "tls" {
			imap = r
		}
	}
	for _, r := range sheet.Outgoing {
		if r.Security == "tls" {
			submission = r
		}
	}
	// From ten addresses at once: Dovecot delays each failure of one
	// address more than the last (its own brute-force brake), which would
	// make the test wait, not test more.
	var wg sync.WaitGroup
	for i := range 10 {
		from := fmt.Sprintf("127.0.0.%d", 11+i)
		wg.Go(func() {
			_, _ = s.curl(append(s.curlBase(imap.Port), "--interface", from, "-u", e2eUser+":wrong-password", url(imap, ""))...)
		})
		wg.Go(func() {
			args := append(s.smtpArgs(submission, "wrong password", true), "--interface", from)
			for i, a := range args {
				if a == e2eUser+":"+e2ePassword {
					args[i] = e2eUser + ":wrong-password"
				}
			}
			_, _ = s.curl(args...)
		})
	}
	return func() {
		wg.Wait()
		s.checkJails(f2b)
	}
}

// failedLoginLines are the log lines the failed logins write.
var failedLoginLines = regexp.MustCompile(`auth failed|SASL (PLAIN|LOGIN) authentication failed|Password mismatch|Aborted login|Disconnected`)

// checkJails runs fail2ban-regex with the jails' filters over the logs of
// the failed logins.
func (s *e2eServer) checkJails(f2b string) {
	// The jails' own filter specifications, from the file server all wrote.
	jail, err := os.ReadFile(filepath.Join(s.conf, templates.Fail2banFile))
	if err != nil {
		s.t.Fatal(err)
	}
	filters := map[string]string{"dovecot": "dovecot", "postfix-sasl": "postfix[mode=auth]"}
	if !strings.Contains(string(jail), "filter = postfix[mode=auth]") || !strings.Contains(string(jail), "[dovecot]\nenabled = true") {
		s.t.Fatalf("the jails are not the ones tested:\n%s", jail)
	}
	for jailName, log := range map[string]string{"dovecot": "/var/log/dovecot.log", "postfix-sasl": "/var/log/mail.log"} {
		time.Sleep(100 * time.Millisecond) // the daemons' last lines
		out, err := exec.Command(f2b, log, filters[jailName]).CombinedOutput()
		m := regexp.MustCompile(`Failregex: (\d+) total`).FindStringSubmatch(string(out))
		if err != nil || m == nil {
			s.t.Errorf("fail2ban-regex %s: %v\n%s", jailName, err, out)
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n < 10 {
			s.t.Errorf("jail %s: %d of 10 failed logins matched, want all (maxretry %d trips it):\n%s", jailName, n, 5, out)
		}
	}
}

func (s *e2eServer) overQuotaRefused() {
	msg := filepath.Join(s.dir, "big.eml")
	body := "From: bob@example.org\r\nTo: " + e2eUser + "\r\nSubject: big\r\n\r\n" + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 50_000)
	if err := os.WriteFile(msg, []byte(body), 0o644); err != nil {
		s.t.Fatal(err)
	}
	out, err := s.curl(append(s.curlBase(s.ports.smtp), "--ssl-reqd", "--mail-from", "bob@example.org", "--mail-rcpt", e2eUser,
		"-T", msg, fmt.Sprintf("smtp://%s:%d/", e2eHost, s.ports.smtp))...)
	if err == nil || !strings.Contains(out, "552") {
		s.t.Errorf("a 3 MB message to a 2 MB mailbox: %v\n%s", err, out)
	}
	s.queueEmpty()
}

func (s *e2eServer) sizeLimit(port, want int) {
	c, err := smtp.Dial(fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("mx.example.org"); err != nil {
		s.t.Fatal(err)
	}
	if ok, size := c.Extension("SIZE"); !ok || size != strconv.Itoa(want) {
		s.t.Errorf("port %d advertises SIZE %q, want %d", port, size, want)
	}
	_ = c.Quit()
}

func (s *e2eServer) anonymousCiphersRefused(port int) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for _, cipher := range []string{"aNULL:@SECLEVEL=0", "eNULL:@SECLEVEL=0"} {
		c := exec.Command("openssl", "s_client", "-connect", addr, "-starttls", "smtp", "-tls1_2", "-cipher", cipher)
		c.Stdin = strings.NewReader("")
		if out, err := c.CombinedOutput(); err == nil {
			s.t.Errorf("port 25 accepted %s:\n%s", cipher, out)
		}
	}
}

func (s *e2eServer) unknownRecipientRefused() {
	msg := filepath.Join(s.dir, "unknown.eml")
	if err := os.WriteFile(msg, []byte("From: bob@example.org\r\nTo: nobody@"+e2eDomain+"\r\nSubject: x\r\n\r\nx\r\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
	out, err := s.curl(append(s.curlBase(s.ports.smtp), "--ssl-reqd", "--mail-from", "bob@example.org", "--mail-rcpt", "nobody@"+e2eDomain,
		"-T", msg, fmt.Sprintf("smtp://%s:%d/", e2eHost, s.ports.smtp))...)
	if err == nil || !strings.Contains(out, "550") {
		s.t.Errorf("mail to an unknown address at RCPT: %v\n%s", err, out)
	}
	s.queueEmpty()
}

// queueEmpty fails when Postfix holds a message (a bounce, say).
func (s *e2eServer) queueEmpty() {
	var q []byte
	for i := 0; i < 50; i++ { // a verification probe leaves the queue as it ends
		if q, _ = exec.Command("postqueue", "-p").CombinedOutput(); strings.Contains(string(q), "Mail queue is empty") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Errorf("something was queued (a bounce?):\n%s", q)
}

// scanLogs fails on any error, fatal or warning line, except those that
// allowed matches (the refusals the test provokes on purpose).
func (s *e2eServer) scanLogs(allowed *regexp.Regexp) {
	bad := regexp.MustCompile(`(?i)\b(error|fatal|warning|panic)\b`)
	for _, log := range s.logs {
		data, err := os.ReadFile(log)
		if err != nil {
			s.t.Errorf("log %s: %v", log, err)
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if bad.MatchString(line) && (allowed == nil || !allowed.MatchString(line)) {
				s.t.Errorf("%s: %s", filepath.Base(log), line)
			}
		}
	}
}

// verifyDKIM checks a message's DKIM signature against the key the
// generated zone publishes (go-msgauth, a verifier apart from rspamd).
func (s *e2eServer) verifyDKIM(subject, msg string) {
	records := s.zoneRecords()
	verifications, err := dkim.VerifyWithOptions(strings.NewReader(strings.ReplaceAll(msg, "\r\n", "\n")), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			var txt []string
			for _, rr := range records {
				if t, ok := rr.(*dns.TXT); ok && strings.EqualFold(t.Hdr.Name, dns.Fqdn(name)) {
					txt = append(txt, strings.Join(t.Txt, ""))
				}
			}
			if txt == nil {
				return nil, fmt.Errorf("%s: no TXT record in the zone", name)
			}
			return txt, nil
		},
	})
	if err != nil || len(verifications) != 1 || verifications[0].Err != nil || verifications[0].Domain != e2eDomain {
		s.t.Errorf("%s: DKIM: %v %+v\n%s", subject, err, verifications, msg)
	}
}

// zoneRecords are the records of the zone the files publish.
func (s *e2eServer) zoneRecords() []dns.RR {
	data, err := os.ReadFile(s.zone)
	if err != nil {
		s.t.Fatal(err)
	}
	zp := dns.NewZoneParser(bytes.NewReader(data), e2eDomain+".", s.zone)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		s.t.Fatal(err)
	}
	return rrs
}

// serveDNS answers on the namespace's 127.0.0.1:53 with the zone the
// files publish, and NXDOMAIN for every other name (blocklists included),
// for rspamd's SPF, DKIM and DMARC checks.
func (s *e2eServer) serveDNS() {
	records := s.zoneRecords()
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		for _, q := range r.Question {
			for _, rr := range records {
				if strings.EqualFold(rr.Header().Name, q.Name) && (rr.Header().Rrtype == q.Qtype || q.Qtype == dns.TypeANY) {
					m.Answer = append(m.Answer, rr)
				}
			}
		}
		if len(m.Answer) == 0 {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})
	for _, network := range []string{"udp", "tcp"} {
		srv := &dns.Server{Addr: "127.0.0.1:53", Net: network, Handler: handler}
		started := make(chan error, 1)
		srv.NotifyStartedFunc = func() { started <- nil }
		go func() { started <- srv.ListenAndServe() }()
		if err := <-started; err != nil {
			s.t.Fatalf("DNS server: %v", err)
		}
		s.stopped = append(s.stopped, func() { _ = srv.Shutdown() })
	}
}
