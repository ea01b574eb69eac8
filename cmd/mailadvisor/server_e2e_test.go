package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"
	"golang.org/x/sys/unix"

	"github.com/mailadvisor/mailadvisor/internal/integration"
	"github.com/mailadvisor/mailadvisor/internal/mailports"
	"github.com/mailadvisor/mailadvisor/profiles"
	"github.com/mailadvisor/mailadvisor/templates"
)

// The end-to-end test, as an admin on a fresh Debian 12 or 13 VPS does it,
// on both: a Debian tree (debootstrap, with the packages README's step 3
// installs; .ci/run makes and keeps them) booted with systemd by
// systemd-nspawn, journald its only log and nftables its only firewall,
// as a minimal VPS image is. The mail user created with adduser --system,
// the files `mailadvisor server all --out DIR` writes, DIR/setup.sh run,
// users added with mail-adduser, the daemons started by systemd on the
// standard ports. The container shares the test's own network namespace
// (made for it by unshare): nothing leaves it, rspamd's DNS goes to a
// server the test runs there with the zone the files publish, and one
// address of it stands for the Internet. Then: mail sent through 587 and
// 465 and received on port 25, read back over IMAPS and POP3S with curl,
// driven by the settings `mailadvisor profile sheet -o json` gives; what
// must be refused refused; bans that block; a renewed certificate served
// without a manual reload; users added and removed taking effect at once;
// and `mailadvisor probe` grading the whole A.

const (
	e2eDomain   = "example.test"
	e2eHost     = "mail.example.test"
	e2eUser     = "alice@example.test"
	e2ePassword = "S3cret-pass"
	// e2eServerAddr is the server's address, as its A record says, on the
	// link to the network namespace that stands for the Internet.
	e2eServerAddr = "192.0.2.25"
	// e2eOutside is an address on the Internet's side, neither loopback
	// nor private: rspamd and Postfix treat mail from it as from outside.
	e2eOutside = "198.51.100.7"
	// e2eAttackers are two more addresses there, which fail to log in
	// until fail2ban bans them: one on IMAP, one on submission.
	e2eIMAPAttacker, e2eSMTPAttacker = "198.51.100.8", "198.51.100.9"
	e2eLive                          = "/etc/letsencrypt/live/" + e2eHost
)

// e2eInternet are the addresses of the Internet's namespace.
var e2eInternet = []string{e2eOutside, e2eIMAPAttacker, e2eSMTPAttacker}

// e2eRelease is a Debian release the test boots, with the flags README
// gives for it.
type e2eRelease struct {
	name, codename, env string
	flags               []string
}

var e2eReleases = []e2eRelease{
	{name: "debian12", codename: "bookworm", env: "MAILADVISOR_DEBIAN12_ROOT"},
	{name: "debian13", codename: "trixie", env: "MAILADVISOR_DEBIAN13_ROOT",
		flags: []string{"--dovecot-version", "2.4", "--postfix-version", "3.10", "--openssl-version", "3.5"}},
}

// root is the release's tree: the variable's value, or where .ci/run keeps it.
func (r e2eRelease) root() string {
	if v := os.Getenv(r.env); v != "" {
		return v
	}
	return "/var/cache/mailadvisor/" + r.codename + "-boot"
}

type e2ePorts struct{ imaps, imap, pop3s, pop3, smtp, submission, submissions int }

type e2eServer struct {
	t       *testing.T
	release e2eRelease
	dir     string
	conf    string
	cert    string // the certificate served now, on the test's side
	ports   e2ePorts
	zone    string
	nspawn  *exec.Cmd
	inet    *exec.Cmd // holds the Internet's network namespace
	leader  int       // the container's PID 1, as this namespace sees it
	stopped []func()
}

const e2eInside = "MAILADVISOR_E2E_INSIDE"

func TestServerEndToEnd(t *testing.T) {
	if name := os.Getenv(e2eInside); name != "" {
		i := slices.IndexFunc(e2eReleases, func(r e2eRelease) bool { return r.name == name })
		if i < 0 {
			t.Fatalf("%s=%s: no such release", e2eInside, name)
		}
		endToEnd(t, e2eReleases[i])
		return
	}
	for _, r := range e2eReleases {
		t.Run(r.name, func(t *testing.T) { runInNamespaces(t, r) })
	}
}

func endToEnd(t *testing.T, r e2eRelease) {
	s := startServers(t, r)
	sheet := s.sheet()
	// Failed logins from two outside addresses, while the rest runs
	// (Dovecot delays failures by seconds): fail2ban must ban both.
	bans := s.failedLogins(sheet)

	// Send one message through each submission endpoint of the sheet, and
	// one from another server on port 25.
	for _, row := range sheet.Outgoing {
		s.mustCurl(s.smtpArgs(row, "via "+strconv.Itoa(row.Port), true)...)
	}
	// From another server, at once: to the user, and to postmaster@ and
	// abuse@, which reach the --postmaster mailbox (RFC 5321 §4.5.1,
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
	s.waitForMessages(sheet.Incoming[0], e2eUser, e2ePassword, want)

	// Read them back over every incoming endpoint of the sheet.
	for _, row := range sheet.Incoming {
		s.checkMailbox(row, want)
		if row.Protocol == "imap" {
			s.checkFolders(row)
		}
	}

	// The scenario's 3 devices a person, all in one office: 15 IMAP
	// connections of one user from one address, the 16th refused.
	s.userIPConnections(15)

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
	// So is a message the mailbox has no room for (a 2 MB quota here),
	// declared with SIZE= or not.
	s.overQuotaRefused()
	s.overQuotaWithoutSizeRefused()
	// Mail for localhost is the server's own: refused from the Internet,
	// while the server's own mail to root reaches the postmaster mailbox.
	s.localhostRefused()
	// A bounce the server sends is DKIM-signed for the domain.
	s.bounceSigned()
	// The size limit is the one the files say (50 MB by default), not
	// Postfix's own 10 MB.
	s.sizeLimit(s.ports.smtp, templates.DefaultMaxMessageMB<<20)
	// A logged-in user sends only as themselves, on 587 and 465: in the
	// envelope and in the From: header, which the server would sign.
	s.forgedSendersRefused(sheet)
	// Nor may a server outside use the domain as its envelope sender.
	s.refused("the domain as sender from outside", append(s.mxArgs("forged envelope", e2eUser, "ceo@"+e2eDomain), "--mail-from", "ceo@"+e2eDomain)...)
	if log := s.journal(); !strings.Contains(log, "<ceo@"+e2eDomain+">: Sender address rejected: log in to send as "+e2eDomain) {
		t.Errorf("the domain as sender from outside was not refused by the sender check:\n%s", log)
	}
	// Users added and removed take effect at RCPT at once; mail-adduser
	// refuses an argument that would add a line to the users file.
	s.usersChangeAtOnce()
	bans()
	s.scanLogs(regexp.MustCompile(`auth failed|auth_failed|SASL (PLAIN|LOGIN) authentication failed|Password mismatch|unsupported protocol|wrong version number|no protocols available|version too low|Disconnected.*(no auth attempts|Aborted login)|Login aborted|lost connection after|SSL_accept\(\) failed|SSL_accept error from|TLS library problem|improper command pipelining|Sender address rejected|Recipient address rejected|MAILADVISOR_FROM_NOT_LOGIN|is not your address|Maximum number of connections from user\+IP exceeded|Warning: Killed with signal 15 \(by pid=\d+ uid=0`))
	// The certificate renewed as certbot does it: 993 and 465 serve the
	// new one at once, with no reload by hand.
	s.renewCertificate()
	// Last, since it tries what must fail (old TLS, weak suites, a relay):
	// mailadvisor probe grades the whole A.
	s.probeGradesClean()
}

// runInNamespaces runs this test again in new mount, network and PID
// namespaces, where it boots the release's tree and sets a server up in
// it without touching the machine's own files or network.
func runInNamespaces(t *testing.T, r e2eRelease) {
	t.Parallel() // alongside the scripts and the other release
	for _, p := range []string{"unshare", "ip", "systemd-nspawn", "nsenter", "curl", "openssl"} {
		integration.RequireProgram(t, p)
	}
	if os.Geteuid() != 0 {
		integration.Missing(t, "booting a Debian tree with systemd-nspawn needs root")
	}
	if _, err := os.Stat(filepath.Join(r.root(), "lib/systemd/systemd")); err != nil {
		integration.Missing(t, fmt.Sprintf("no booting %s tree at %s (.ci/run makes one with debootstrap; or set %s)", r.name, r.root(), r.env))
	}
	integration.Uses(t, r.name+" booted by systemd-nspawn from "+r.root())
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A machine with other network namespaces: this one, named, is in
	// /run/netns while the test runs.
	other := fmt.Sprintf("mailadvisor-e2e-other-%s-%d", r.name, os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", other).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v\n%s", other, err, out)
	}
	defer func() { _ = exec.Command("ip", "netns", "delete", other).Run() }()
	start := time.Now()
	cmd := exec.Command("unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc", "--propagation", "private",
		self, "-test.run=^TestServerEndToEnd$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), e2eInside+"="+r.name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the end-to-end test of %s in its namespaces: %v\n%s", r.name, err, out)
	}
	t.Logf("%s in its namespaces, %v:\n%s", r.name, time.Since(start).Round(time.Second), out)
}

func startServers(t *testing.T, r e2eRelease) *e2eServer {
	dir := t.TempDir()
	_ = os.Chmod(dir, 0o755)
	s := &e2eServer{t: t, release: r, dir: dir, conf: filepath.Join(dir, "mail-config"),
		ports: e2ePorts{mailports.IMAPS, mailports.IMAP, mailports.POP3S, mailports.POP3, mailports.SMTP, mailports.Submission, mailports.Submissions}}
	t.Cleanup(s.stop)
	s.network()
	s.generate(s.conf, e2eDomain)
	s.serveDNS()
	s.boot()
	// The admin's steps: the mail user the usual Debian way, and the
	// certificate where certbot puts it (README's step 3).
	s.installCertificate(1)
	s.installMailadvisor()
	// A mail user made without --group (primary group nogroup) is refused
	// at once, before any change, not on the second run.
	s.run("adduser", "--system", "--no-create-home", "vmail")
	if out, err := s.output("sh", filepath.Join(s.conf, "setup.sh")); err == nil || !strings.Contains(out, "there is no group vmail") ||
		strings.Contains(out, "installed") {
		t.Errorf("setup.sh with vmail in nogroup: %v\n%s", err, out)
	}
	s.run("deluser", "--system", "vmail")
	s.run("adduser", "--system", "--group", "--no-create-home", "vmail")
	first := s.run("sh", filepath.Join(s.conf, "setup.sh"))
	t.Logf("setup.sh: ==> first run\n%s", first)
	if !strings.Contains(first, "rspamd listens on 11332") {
		t.Errorf("setup.sh said done before rspamd's milter listened (Postfix answers 451 until then)")
	}
	s.setupAgain()
	s.addUser()
	s.waitForPort(s.ports.smtp, "postfix")
	s.waitForPort(s.ports.imaps, "dovecot")
	s.waitForPort(11332, "rspamd")
	s.waitForPort(443, "mailadvisor serve")
	return s
}

// network brings the namespace's loopback up, links it to a second
// network namespace that stands for the Internet (a veth pair: the
// server's address here, the outside addresses there), and gives the
// test's side the container's names (over the machine's files, in this
// mount namespace only).
func (s *e2eServer) network() {
	s.host("ip", "link", "set", "lo", "up")
	s.inet = exec.Command("unshare", "--net", "sleep", "infinity")
	if err := s.inet.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.stopped = append(s.stopped, func() { _ = s.inet.Process.Kill(); _ = s.inet.Wait() })
	inet := s.inetNS()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		// unshare has made the namespace once sleep runs in it.
		if self, _ := os.Readlink("/proc/self/ns/net"); self != "" {
			if there, _ := os.Readlink(inet); there != "" && there != self {
				break
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatal("unshare --net made no network namespace")
		}
	}
	s.host("ip", "link", "add", "srv0", "type", "veth", "peer", "name", "inet0", "netns", strconv.Itoa(s.inet.Process.Pid))
	s.host("ip", "addr", "add", e2eServerAddr+"/24", "dev", "srv0")
	s.host("ip", "link", "set", "srv0", "up")
	s.host("ip", "route", "add", "198.51.100.0/24", "dev", "srv0")
	for _, a := range e2eInternet {
		s.host("nsenter", "--net="+inet, "ip", "addr", "add", a+"/24", "dev", "inet0")
	}
	s.host("nsenter", "--net="+inet, "ip", "link", "set", "inet0", "up")
	s.host("nsenter", "--net="+inet, "ip", "link", "set", "lo", "up")
	s.host("nsenter", "--net="+inet, "ip", "route", "add", "192.0.2.0/24", "dev", "inet0")
	for name, data := range map[string]string{
		"/etc/resolv.conf": "nameserver 127.0.0.1\n",
		"/etc/hosts":       "127.0.0.1 localhost\n::1 localhost\n127.0.0.1 " + e2eHost + "\n",
	} {
		local := filepath.Join(s.dir, filepath.Base(name))
		if err := os.WriteFile(local, []byte(data), 0o644); err != nil {
			s.t.Fatal(err)
		}
		s.host("mount", "--bind", local, name)
	}
}

// boot starts the tree's systemd in a container sharing this network
// namespace, over a throwaway overlay (the tree stays as it is), and
// waits until its boot is done. Its root may change the namespace's
// firewall (CAP_NET_ADMIN, which systemd-nspawn drops by default), as a
// VPS's root may.
func (s *e2eServer) boot() {
	out, err := os.Create(filepath.Join(s.dir, "nspawn.log"))
	if err != nil {
		s.t.Fatal(err)
	}
	// The container's own files, there before its services start: its
	// name, its resolver (the test's DNS server) and its hosts.
	args := []string{"--bind=" + s.dir}
	for name, data := range map[string]string{
		"/etc/hostname":    e2eHost + "\n",
		"/etc/mailname":    e2eHost + "\n",
		"/etc/resolv.conf": "nameserver 127.0.0.1\n",
		"/etc/hosts":       "127.0.0.1 localhost\n::1 localhost\n" + e2eServerAddr + " " + e2eHost + "\n",
	} {
		local := filepath.Join(s.dir, "container-"+filepath.Base(name))
		if err := os.WriteFile(local, []byte(data), 0o644); err != nil {
			s.t.Fatal(err)
		}
		args = append(args, "--bind-ro="+local+":"+name)
	}
	// A cgroup of its own (with --keep-unit, systemd-nspawn would put the
	// container in the test's, and two containers' systemd would prune
	// each other's units there: both have a postfix.service).
	cgroup := fmt.Sprintf("mailadvisor-e2e-%s-%d", s.release.name, os.Getpid())
	s.stopped = append(s.stopped, func() { removeCgroups(cgroup) })
	s.nspawn = exec.Command("sh", "-c", `for h in unified systemd; do
	[ -d "/sys/fs/cgroup/$h" ] || continue
	mkdir -p "/sys/fs/cgroup/$h/$1" && echo $$ >"/sys/fs/cgroup/$h/$1/cgroup.procs" || exit 1
done
if [ ! -d /sys/fs/cgroup/unified ]; then mkdir -p "/sys/fs/cgroup/$1" && echo $$ >"/sys/fs/cgroup/$1/cgroup.procs" || exit 1; fi
shift
exec "$@"`, "sh", cgroup, "systemd-nspawn", "--quiet", "--directory", s.release.root(), "--volatile=overlay", "--boot",
		"--register=no", "--keep-unit", "--capability=CAP_NET_ADMIN", "--machine", "mail-"+s.release.name, "--hostname", e2eHost,
		"--network-namespace-path=/proc/self/ns/net", "--resolv-conf=off", "--timezone=off")
	s.nspawn.Args = append(s.nspawn.Args, args...)
	// cgroup v2 only, as Debian 12 and 13 boot on a VPS (this machine's
	// hybrid hierarchy would give the container v1 controllers, under
	// which Debian 12's systemd loses the cgroup of postfix.service).
	s.nspawn.Env = append(os.Environ(), "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1")
	s.nspawn.Stdout, s.nspawn.Stderr = out, out
	s.nspawn.Stdin = nil
	if err := s.nspawn.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.stopped = append(s.stopped, func() { out.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for s.leader == 0 && time.Now().Before(deadline) {
		s.leader = childOf(s.nspawn.Process.Pid)
		time.Sleep(50 * time.Millisecond)
	}
	if s.leader == 0 {
		log, _ := os.ReadFile(out.Name())
		s.t.Fatalf("systemd-nspawn started no container:\n%s", log)
	}
	// systemctl answers once systemd's own socket is there.
	var state string
	for time.Now().Before(deadline) {
		state, _ = s.output("systemctl", "is-system-running", "--wait")
		// "Failed to connect to bus" (252), "... to system scope bus" (257).
		if state = strings.TrimSpace(state); !strings.Contains(state, "Failed to connect to") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Logf("%s booted: %s", s.release.name, state)
	if state != "running" && state != "degraded" {
		s.t.Fatalf("%s did not boot: %s\n%s", s.release.name, state, s.mustOutput("systemctl", "--failed", "--no-pager"))
	}
}

// removeCgroups removes the container's cgroups, deepest first, once it
// has stopped.
func removeCgroups(name string) {
	for _, top := range []string{"/sys/fs/cgroup/unified/" + name, "/sys/fs/cgroup/systemd/" + name, "/sys/fs/cgroup/" + name} {
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = os.Remove(dirs[i])
		}
	}
}

// childOf finds the process whose parent is pid and that runs systemd:
// the container's init (systemd-nspawn's other children come and go
// before it).
func childOf(pid int) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so after ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		comm := string(stat[bytes.IndexByte(stat, '(')+1 : bytes.LastIndexByte(stat, ')')])
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) && comm == "systemd" {
			return child
		}
	}
	return 0
}

// inetNS is the Internet's network namespace.
func (s *e2eServer) inetNS() string {
	return filepath.Join("/proc", strconv.Itoa(s.inet.Process.Pid), "ns", "net")
}

// dialOutside connects from the Internet's side, from the address given:
// the socket is made on a thread that joined that namespace (and ends
// with the goroutine, never to serve another).
func (s *e2eServer) dialOutside(ctx context.Context, from, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is dropped
		f, err := os.Open(s.inetNS())
		if err != nil {
			done <- result{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- result{err: err}
			return
		}
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
		c, err := d.DialContext(ctx, network, addr)
		done <- result{c, err}
	}()
	r := <-done
	return r.c, r.err
}

// outside turns curl's arguments into a client's on the Internet: the
// server at its public address, from the address given (s.curl runs it
// in that namespace).
func outside(from string, args []string) []string {
	out := make([]string, 0, len(args)+2)
	for i := 0; i < len(args); i++ {
		if args[i] == "--resolve" && i+1 < len(args) && strings.HasSuffix(args[i+1], ":127.0.0.1") {
			out = append(out, "--resolve", strings.TrimSuffix(args[i+1], "127.0.0.1")+e2eServerAddr)
			i++
			continue
		}
		out = append(out, args[i])
	}
	return append(out, "--interface", from)
}

// path is where a file of the container is, seen from the test.
func (s *e2eServer) path(name string) string {
	return filepath.Join("/proc", strconv.Itoa(s.leader), "root", name)
}

func (s *e2eServer) readFile(name string) string {
	data, err := os.ReadFile(s.path(name))
	if err != nil {
		s.t.Fatal(err)
	}
	return string(data)
}

func (s *e2eServer) writeFile(name, data string, mode os.FileMode) {
	if err := os.WriteFile(s.path(name), []byte(data), mode); err != nil {
		s.t.Fatal(err)
	}
}

// host runs a command in the test's namespaces and fails the test on an
// error.
func (s *e2eServer) host(name string, args ...string) {
	s.t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		s.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// run runs a command in the container, as root there, and fails the test
// on an error; it returns the output.
func (s *e2eServer) run(name string, args ...string) string {
	s.t.Helper()
	out, err := s.output(name, args...)
	if err != nil {
		s.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func (s *e2eServer) mustOutput(name string, args ...string) string {
	out, _ := s.output(name, args...)
	return out
}

// output runs a command in the container and returns its output.
func (s *e2eServer) output(name string, args ...string) (string, error) {
	return s.input("", name, args...)
}

// input runs a command in the container with stdin, through a file: the
// daemons a command starts may keep a pipe open after it ends.
func (s *e2eServer) input(stdin, name string, args ...string) (string, error) {
	f, err := os.CreateTemp(s.dir, "output-")
	if err != nil {
		s.t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd := exec.Command("nsenter", append([]string{"--target", strconv.Itoa(s.leader), "--mount", "--pid", "--uts", "--ipc", "--",
		"env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=/root", name}, args...)...)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = f, f, strings.NewReader(stdin)
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	return string(out), err
}

// journal is what the mail daemons logged (journald: Debian's only log),
// their own lines, as fail2ban reads them (not systemd's about their units).
func (s *e2eServer) journal() string {
	return s.mustOutput("journalctl", "--no-pager", "--boot", "--output", "short",
		"_SYSTEMD_UNIT=dovecot.service", "_SYSTEMD_UNIT=postfix@-.service", "_SYSTEMD_UNIT=postfix.service")
}

// installCertificate puts the n-th certificate of the host where certbot
// does: archive/NAMEn.pem, and live/ links to them.
func (s *e2eServer) installCertificate(n int) {
	local := filepath.Join(s.dir, "cert"+strconv.Itoa(n))
	if err := os.MkdirAll(local, 0o755); err != nil {
		s.t.Fatal(err)
	}
	// For every name the set publishes, as README's certbot line asks.
	cert, key := integration.SelfSignedCert(s.t, local, e2eHost, "autoconfig."+e2eDomain, "autodiscover."+e2eDomain, "mta-sts."+e2eDomain, "ua-auto-config."+e2eDomain)
	archive := "/etc/letsencrypt/archive/" + e2eHost
	s.run("mkdir", "-p", archive, e2eLive)
	s.run("install", "-m", "0644", cert, fmt.Sprintf("%s/fullchain%d.pem", archive, n))
	s.run("install", "-m", "0600", key, fmt.Sprintf("%s/privkey%d.pem", archive, n))
	for _, name := range []string{"fullchain", "privkey"} {
		// certbot replaces each link with a rename, so that a reader never
		// sees it missing.
		s.run("ln", "-s", fmt.Sprintf("../../archive/%s/%s%d.pem", e2eHost, name, n), e2eLive+"/"+name+".pem.new")
		s.run("mv", "-T", e2eLive+"/"+name+".pem.new", e2eLive+"/"+name+".pem")
	}
	s.cert = cert
}

// installMailadvisor puts this test binary in the container as
// /usr/local/bin/mailadvisor (it runs as the command when
// MAILADVISOR_CONTRACT_EXEC=1), for setup.sh's mailadvisor-serve unit.
func (s *e2eServer) installMailadvisor() {
	self, err := os.Executable()
	if err != nil {
		s.t.Fatal(err)
	}
	s.host("cp", self, filepath.Join(s.dir, "mailadvisor.test")) // s.dir is bound in the container
	s.run("install", "-D", "-m", "0755", filepath.Join(s.dir, "mailadvisor.test"), "/usr/local/lib/mailadvisor-test/mailadvisor.test")
	s.writeFile("/usr/local/bin/mailadvisor", "#!/bin/sh\n"+contractExecEnv+"=1 exec /usr/local/lib/mailadvisor-test/mailadvisor.test \"$@\"\n", 0o755)
}

// setupAgain: setup.sh run a second time changes nothing, and a set for
// another domain is refused before it changes anything.
func (s *e2eServer) setupAgain() {
	again := s.run("sh", filepath.Join(s.conf, "setup.sh"))
	for _, f := range []string{"/etc/dovecot/dovecot.conf", "/etc/postfix/main.cf", "/etc/rspamd/local.d/dkim_signing.conf", "/var/lib/rspamd/dkim/example.test.mail.key",
		"/etc/fail2ban/jail.d/mailadvisor.local", "/etc/letsencrypt/renewal-hooks/deploy/mailadvisor", "/etc/systemd/system/mailadvisor-serve.service"} {
		if !strings.Contains(again, "unchanged: "+f) {
			s.t.Errorf("setup.sh, second run: %s was not left as it was:\n%s", f, again)
		}
	}
	if !strings.Contains(again, "fail2ban bans through nftables") {
		s.t.Errorf("setup.sh did not check fail2ban's bans:\n%s", again)
	}
	before := s.readFile("/etc/dovecot/dovecot.conf")
	other := filepath.Join(s.dir, "other-config")
	s.generate(other, "example.net")
	out, err := s.output("sh", filepath.Join(other, "setup.sh"))
	after := s.readFile("/etc/dovecot/dovecot.conf")
	if err == nil || !strings.Contains(out, "this server was set up for example.test") || before != after {
		s.t.Errorf("setup.sh for another domain: %v, changed: %v\n%s", err, before != after, out)
	}
	// A set whose dovecot.conf Dovecot refuses replaces nothing.
	broken := filepath.Join(s.dir, "broken-config")
	s.host("cp", "-a", s.conf, broken)
	f, err := os.OpenFile(filepath.Join(broken, "dovecot.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	_, _ = f.WriteString("no_such_setting = yes\n")
	f.Close()
	out, err = s.output("sh", filepath.Join(broken, "setup.sh"))
	after = s.readFile("/etc/dovecot/dovecot.conf")
	if err == nil || !strings.Contains(out, "Dovecot refuses") || before != after {
		s.t.Errorf("setup.sh with a dovecot.conf Dovecot refuses: %v, changed: %v\n%s", err, before != after, out)
	}
}

// addUser adds the user with mail-adduser, the password on stdin; adding
// it twice is refused.
func (s *e2eServer) addUser() {
	for i, want := range []string{"added " + e2eUser, "already exists"} {
		out, err := s.input(e2ePassword+"\n", "mail-adduser", e2eUser)
		if (err == nil) != (i == 0) || !strings.Contains(out, want) {
			s.t.Fatalf("mail-adduser, time %d: %v\n%s", i+1, err, out)
		}
	}
	if mode := strings.TrimSpace(s.run("stat", "-c", "%a %U:%G", "/etc/dovecot/users")); mode != "640 root:dovecot" {
		s.t.Errorf("users file: %s, want 640 root:dovecot", mode)
	}
}

// generate writes the configuration with the CLI, as an admin would
// (README's step 4, with the release's flags).
func (s *e2eServer) generate(out, domain string) {
	args := []string{"server", "all", "--domain", domain, "--protocols", "imap,pop3", "--allow-starttls", "--ipv4", "192.0.2.25",
		"--postmaster", e2eUser, "--quota-gb", "0.002", "--devices-per-user", "3", "--people-per-address", "20", "--mta-sts", "enforce", "--tls-rpt-reports", "tlsrpt@" + domain, "--out", out}
	args = append(args, s.release.flags...)
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

// stop powers the container off (systemd-nspawn turns SIGTERM into a
// clean shutdown), after saving its logs when the test failed.
func (s *e2eServer) stop() {
	if s.t.Failed() && s.leader != 0 {
		// The ends only: the failures above must stay on CI's screen.
		s.t.Logf("==> journal, last 150 lines <==\n%s", s.mustOutput("journalctl", "--no-pager", "--boot", "--lines", "150"))
		s.t.Logf("==> /var/log/fail2ban.log, last 40 lines <==\n%s", s.mustOutput("tail", "-n", "40", "/var/log/fail2ban.log"))
	}
	if s.nspawn != nil && s.nspawn.Process != nil {
		_ = s.nspawn.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- s.nspawn.Wait() }()
		select {
		case err := <-done:
			s.t.Logf("systemd-nspawn: %v", err)
		case <-time.After(30 * time.Second):
			_ = s.nspawn.Process.Kill()
			s.t.Logf("systemd-nspawn, killed after 30 s: %v", <-done)
		}
	}
	for i := len(s.stopped) - 1; i >= 0; i-- {
		s.stopped[i]()
	}
}

func (s *e2eServer) waitForPort(port int, name string) {
	deadline := time.Now().Add(30 * time.Second)
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
	return []string{"-sS", "--max-time", "20", "--cacert", s.cert, "--resolve", fmt.Sprintf("%s:%d:%s", e2eHost, s.ports.smtp, e2eServerAddr),
		"--interface", e2eOutside, "--ssl-reqd", "--mail-from", "bob@example.org", "--mail-rcpt", rcpt, "-T", msg,
		fmt.Sprintf("smtp://%s:%d/", e2eHost, s.ports.smtp)}
}

// curl runs curl here, or on the Internet's side when its --interface is
// an address there.
func (s *e2eServer) curl(args ...string) (string, error) {
	cmd := exec.Command("curl", args...)
	if i := slices.Index(args, "--interface"); i >= 0 && i+1 < len(args) && slices.Contains(e2eInternet, args[i+1]) {
		cmd = exec.Command("nsenter", append([]string{"--net=" + s.inetNS(), "curl"}, args...)...)
	}
	out, err := cmd.CombinedOutput()
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
		// every recipient, but keeps a Received line of what this server
		// did (by, with, id, date); mail received from another server
		// keeps the Received line that says how it came (TLS included).
		switch {
		case strings.HasPrefix(subject, "via ") && subject != "via 25" && strings.Contains(msg, "[127.0.0.1]"):
			s.t.Errorf("%s: the submitting client is in the headers:\n%s", subject, msg)
		case strings.HasPrefix(subject, "via ") && subject != "via 25" && !strings.Contains(msg, "Received: by "+e2eHost+" (Postfix) with ESMTPSA"):
			s.t.Errorf("%s: no Received line of the submission (one without the client's address):\n%s", subject, msg)
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

// overQuotaWithoutSizeRefused sends from outside, as a sender that does
// not declare SIZE= at MAIL FROM, a message larger than the mailbox: the
// quota check at RCPT cannot know its size, so it must be refused at the
// end of DATA, not accepted and then bounced to a sender that may be
// forged.
var quotaWords = regexp.MustCompile(`Mailbox is full|larger than the mailbox`)

func (s *e2eServer) overQuotaWithoutSizeRefused() {
	c, err := s.smtpFromOutside()
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("bob@example.org"); err != nil {
		s.t.Fatal(err)
	}
	if err := c.Rcpt(e2eUser); err != nil {
		s.t.Fatalf("RCPT without SIZE=: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		s.t.Fatal(err)
	}
	fmt.Fprintf(w, "From: bob@example.org\r\nTo: %s\r\nSubject: big, no size\r\n\r\n%s", e2eUser,
		strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 50_000))
	// rspamd refuses it through the milter, whose code is its own (554
	// 5.7.1), with Dovecot's words: Dovecot 2.3 says the message is larger
	// than the mailbox, 2.4 that the mailbox is full.
	if err := w.Close(); err == nil || !strings.HasPrefix(err.Error(), "5") || !quotaWords.MatchString(err.Error()) {
		s.t.Errorf("a 3 MB message to a 2 MB mailbox, without SIZE=: %v, want refused at the end of DATA for the quota", err)
	}
	s.queueEmpty()
}

// bounceSigned has the server bounce a message (a script's mail, through
// sendmail, to an address that does not exist) and checks that the bounce
// reaching the sender is DKIM-signed for the domain: a bounce to another
// server is judged by DMARC like any mail.
func (s *e2eServer) bounceSigned() {
	if out, err := s.input("From: "+e2eUser+"\nTo: nobody@"+e2eDomain+"\nSubject: to nobody\n\nhello\n",
		"sendmail", "-f", e2eUser, "nobody@"+e2eDomain); err != nil {
		s.t.Fatalf("sendmail: %v\n%s", err, out)
	}
	base := append(s.curlBase(s.ports.imaps), "-u", e2eUser+":"+e2ePassword)
	mailbox := fmt.Sprintf("imaps://%s:%d/INBOX", e2eHost, s.ports.imaps)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := s.curl(append(base, mailbox+"?SUBJECT%20%22Undelivered%20Mail%22")...)
		if n := strings.Fields(strings.TrimPrefix(strings.TrimSpace(out), "* SEARCH")); err == nil && len(n) > 0 {
			s.verifyDKIM("the bounce", s.mustCurl(append(base, mailbox+";MAILINDEX="+n[len(n)-1])...))
			break
		}
		if time.Now().After(deadline) {
			s.t.Errorf("no bounce reached %s: %v\n%s\n%s", e2eUser, err, out, s.mustOutput("postqueue", "-p"))
			break
		}
		time.Sleep(300 * time.Millisecond)
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
	// The reverse name is set at the server's provider, not in the
	// zone (its comment and setup.sh say so): the test does it as the
	// admin would.
	rev, err := dns.ReverseAddr(e2eServerAddr)
	if err != nil {
		s.t.Fatal(err)
	}
	ptr, err := dns.NewRR(rev + " 3600 IN PTR " + e2eHost + ".")
	if err != nil {
		s.t.Fatal(err)
	}
	records = append(records, ptr)
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		// As the recursive resolver a client asks: a name's CNAME, then the
		// records of its target (autoconfig., autodiscover., mta-sts. and
		// ua-auto-config. are CNAMEs of the mail host in the zone).
		for _, q := range r.Question {
			name := q.Name
			for range 8 {
				var cname string
				found := false
				for _, rr := range records {
					if !strings.EqualFold(rr.Header().Name, name) {
						continue
					}
					switch {
					case rr.Header().Rrtype == q.Qtype || q.Qtype == dns.TypeANY:
						m.Answer, found = append(m.Answer, rr), true
					case rr.Header().Rrtype == dns.TypeCNAME:
						m.Answer, cname = append(m.Answer, rr), rr.(*dns.CNAME).Target
					}
				}
				if found || cname == "" {
					break
				}
				name = cname
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

// waitForMessages waits until the user's INBOX holds n messages, read over
// the row's endpoint.
func (s *e2eServer) waitForMessages(row profiles.SheetRow, user, password string, n int) {
	row.Username = user
	deadline := time.Now().Add(30 * time.Second)
	got := 0
	for time.Now().Before(deadline) {
		args := append(s.curlBase(row.Port), "-u", user+":"+password)
		if row.Security == "starttls" {
			args = append(args, "--ssl-reqd")
		}
		out, err := s.curl(append(args, url(row, "INBOX?ALL"))...)
		if got = len(strings.Fields(strings.TrimPrefix(strings.TrimSpace(out), "* SEARCH"))); err == nil && got >= n {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("%s: %d messages arrived, want %d", user, got, n)
}

// failedLogins starts wrong passwords from two outside addresses, one on
// IMAPS and one on submission (465), more than the jails allow, and
// returns the function that checks that fail2ban banned each: listed by
// its jail, and refused by nftables on IMAP and on SMTP.
func (s *e2eServer) failedLogins(sheet *profiles.Sheet) func() {
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
	var wg sync.WaitGroup
	// Dovecot delays each failure of one address more than the last (its
	// own brake), so the attempts run side by side.
	for range 6 {
		wg.Go(func() {
			_, _ = s.curl(outside(e2eIMAPAttacker, append(s.curlBase(imap.Port), "-u", e2eUser+":wrong-password", url(imap, "")))...)
		})
		wg.Go(func() {
			args := outside(e2eSMTPAttacker, s.smtpArgs(submission, "wrong password", true))
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
		for jail, addr := range map[string]string{"dovecot": e2eIMAPAttacker, "postfix-sasl": e2eSMTPAttacker} {
			deadline := time.Now().Add(30 * time.Second)
			status := ""
			for time.Now().Before(deadline) {
				if status = s.mustOutput("fail2ban-client", "status", jail); strings.Contains(status, addr) {
					break
				}
				time.Sleep(500 * time.Millisecond)
			}
			if !strings.Contains(status, addr) {
				s.t.Errorf("jail %s did not ban %s:\n%s\n%s", jail, addr, status, s.journal())
				continue
			}
			// Banned: the address reaches neither IMAP nor SMTP, while
			// the others still do.
			for _, port := range []int{s.ports.imaps, s.ports.submissions, s.ports.submission, s.ports.smtp} {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				c, err := s.dialOutside(ctx, addr, "tcp", net.JoinHostPort(e2eServerAddr, strconv.Itoa(port)))
				cancel()
				if err == nil {
					c.Close()
					s.t.Errorf("%s, banned by jail %s, still reaches port %d:\n%s", addr, jail, port, s.mustOutput("nft", "list", "ruleset"))
				}
			}
		}
		c, err := s.dialOutside(context.Background(), e2eOutside, "tcp", net.JoinHostPort(e2eServerAddr, strconv.Itoa(s.ports.imaps)))
		if err != nil {
			s.t.Errorf("an address that was not banned is refused: %v", err)
		} else {
			c.Close()
		}
	}
}

// smtpFromOutside connects to port 25 from the Internet, with STARTTLS.
func (s *e2eServer) smtpFromOutside() (*smtp.Client, error) {
	conn, err := s.dialOutside(context.Background(), e2eOutside, "tcp", net.JoinHostPort(e2eServerAddr, strconv.Itoa(s.ports.smtp)))
	if err != nil {
		return nil, err
	}
	c, err := smtp.NewClient(conn, e2eHost)
	if err != nil {
		return nil, err
	}
	if err := c.Hello("mx.example.org"); err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	data, _ := os.ReadFile(s.cert)
	roots.AppendCertsFromPEM(data)
	return c, c.StartTLS(&tls.Config{ServerName: e2eHost, RootCAs: roots})
}

// localhostRefused: root@localhost from the Internet is refused at RCPT;
// the server's own mail to root (as cron sends it) reaches the postmaster.
func (s *e2eServer) localhostRefused() {
	c, err := s.smtpFromOutside()
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("bob@example.org"); err != nil {
		s.t.Fatal(err)
	}
	if err := c.Rcpt("root@localhost"); err == nil || !strings.HasPrefix(err.Error(), "5") {
		s.t.Errorf("root@localhost from the Internet: %v, want refused", err)
	}
	if out, err := s.input("Subject: to root\n\nfrom cron\n", "sendmail", "root"); err != nil {
		s.t.Fatalf("sendmail root: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := s.curl(append(s.curlBase(s.ports.imaps), "-u", e2eUser+":"+e2ePassword,
			fmt.Sprintf("imaps://%s:%d/INBOX?SUBJECT%%20%%22to%%20root%%22", e2eHost, s.ports.imaps))...)
		if err == nil && len(strings.Fields(strings.TrimPrefix(strings.TrimSpace(out), "* SEARCH"))) > 0 {
			break
		}
		if time.Now().After(deadline) {
			s.t.Errorf("the server's mail to root did not reach %s: %v\n%s\n%s", e2eUser, err, out, s.mustOutput("postqueue", "-p"))
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	s.queueEmpty()
}

// userIPConnections logs the user in n times at once over IMAPS from one
// address, and checks that one more is refused.
func (s *e2eServer) userIPConnections(n int) {
	roots := x509.NewCertPool()
	data, err := os.ReadFile(s.cert)
	if err != nil {
		s.t.Fatal(err)
	}
	roots.AppendCertsFromPEM(data)
	login := func() (net.Conn, string) {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}, Timeout: 10 * time.Second}
		c, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.ports.imaps)), &tls.Config{ServerName: e2eHost, RootCAs: roots})
		if err != nil {
			return nil, err.Error()
		}
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		r := bufio.NewReader(c)
		_, _ = r.ReadString('\n') // the greeting
		fmt.Fprintf(c, "a LOGIN %s %s\r\n", e2eUser, e2ePassword)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return c, err.Error()
			}
			if strings.HasPrefix(line, "a ") {
				return c, strings.TrimSpace(line)
			}
		}
	}
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range n + 1 {
		c, reply := login()
		if c != nil {
			open = append(open, c)
		}
		switch {
		case i < n && !strings.HasPrefix(reply, "a OK"):
			s.t.Errorf("IMAP login %d of %d from one address: %s", i+1, n, reply)
		case i == n && strings.HasPrefix(reply, "a OK"):
			s.t.Errorf("IMAP login %d from one address accepted, past mail_max_userip_connections", n+1)
		}
	}
}

// sendAs submits a message on the row's endpoint, logged in as the user,
// with the envelope sender and the From: header given.
func (s *e2eServer) sendAs(row profiles.SheetRow, subject, envelope, from string) (string, error) {
	args := s.smtpArgs(row, subject, true)
	msg := filepath.Join(s.dir, strings.ReplaceAll(subject, " ", "-")+".eml")
	body := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nsent %s\r\n", from, e2eUser, subject, subject)
	if err := os.WriteFile(msg, []byte(body), 0o644); err != nil {
		s.t.Fatal(err)
	}
	for i, a := range args {
		if a == "--mail-from" {
			args[i+1] = envelope
		}
	}
	return s.curl(args...)
}

// forgedSendersRefused: a logged-in user may not send as a colleague, in
// the envelope or in the From: header (also with an empty envelope
// sender), but may send as an address the admin lets it use.
func (s *e2eServer) forgedSendersRefused(sheet *profiles.Sheet) {
	for _, row := range sheet.Outgoing {
		for _, c := range [][2]string{{"ceo@" + e2eDomain, e2eUser}, {e2eUser, "ceo@" + e2eDomain}, {"", "ceo@" + e2eDomain},
			{e2eUser, "Alice <" + e2eUser + ">, CEO <ceo@" + e2eDomain + ">"}} {
			what := fmt.Sprintf("on %d, envelope <%s>, From: %s", row.Port, c[0], c[1])
			if out, err := s.sendAs(row, "forged "+strconv.Itoa(row.Port), c[0], c[1]); err == nil {
				s.t.Errorf("a forged sender %s was not refused:\n%s", what, out)
			}
		}
	}
	// Refused for the reason meant: the envelope by Postfix, the header
	// by rspamd (curl shows neither reply).
	log := s.journal()
	if n := strings.Count(log, "is not your address ("+e2eUser+")"); n != 3*len(sheet.Outgoing) {
		s.t.Errorf("rspamd refused %d forged From: headers, want %d:\n%s", n, 3*len(sheet.Outgoing), log)
	}
	if n := strings.Count(log, "Sender address rejected: not owned by user "+e2eUser); n != len(sheet.Outgoing) {
		s.t.Errorf("Postfix refused %d forged envelope senders, want %d", n, len(sheet.Outgoing))
	}
	// An address the admin lets alice use: the file both Postfix and
	// rspamd read, then postfix reload (rspamd watches its maps).
	s.writeFile("/etc/mailadvisor/sender-aliases", "sales@"+e2eDomain+" "+e2eUser+"\n", 0o644)
	s.run("postfix", "reload")
	row := sheet.Outgoing[0]
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := s.sendAs(row, "as sales", "sales@"+e2eDomain, "Sales <sales@"+e2eDomain+">")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			s.t.Errorf("alice as sales@, an alias the admin gave her: %v\n%s", err, out)
			break
		}
		time.Sleep(time.Second) // rspamd reads a changed map within seconds
	}
	s.queueEmpty()
}

// usersChangeAtOnce: an address tried before it existed is accepted at
// once when mail-adduser adds it (no cache of the earlier refusal), and
// refused at once when mail-deluser removes it; the newline injection
// into mail-adduser changes nothing.
func (s *e2eServer) usersChangeAtOnce() {
	const bob, bobPassword = "bob@" + e2eDomain, "Bob-pass-9"
	rcpt := func(subject string) (string, error) { return s.curl(s.mxArgs(subject, bob, "carol@example.org")...) }
	if out, err := rcpt("before bob"); err == nil || !strings.Contains(out, "550") {
		s.t.Errorf("mail to bob before he exists: %v, want 550\n%s", err, out)
	}
	users := s.readFile("/etc/dovecot/users")
	injection := "bob\nevil@" + e2eDomain + ":{PLAIN}attacker::::/var/mail/vhosts/" + e2eDomain + "/alice::\nx@" + e2eDomain
	if out, err := s.input("x\n", "mail-adduser", injection); err == nil || s.readFile("/etc/dovecot/users") != users {
		s.t.Errorf("mail-adduser with a newline in its argument: %v, users file changed: %v\n%s", err, s.readFile("/etc/dovecot/users") != users, out)
	}
	if out, err := s.input(bobPassword+"\n", "mail-adduser", bob); err != nil {
		s.t.Fatalf("mail-adduser %s: %v\n%s", bob, err, out)
	}
	if out, err := rcpt("to bob"); err != nil {
		s.t.Errorf("mail to bob just after mail-adduser: %v\n%s", err, out)
	}
	imaps := profiles.SheetRow{Protocol: "imap", Security: "tls", Port: s.ports.imaps}
	s.waitForMessages(imaps, bob, bobPassword, 1)
	if out, err := s.output("mail-deluser", bob); err != nil {
		s.t.Fatalf("mail-deluser %s: %v\n%s", bob, err, out)
	}
	if out, err := rcpt("after bob"); err == nil || !strings.Contains(out, "550") {
		s.t.Errorf("mail to bob just after mail-deluser: %v, want 550\n%s", err, out)
	}
	if out, err := s.curl(append(s.curlBase(imaps.Port), "-u", bob+":"+bobPassword, url(imaps, ""))...); err == nil {
		s.t.Errorf("bob logs in after mail-deluser:\n%s", out)
	}
	s.queueEmpty()
}

// renewCertificate swaps the certificate as certbot renews it (new files
// in archive/, the live/ links moved, then the deploy hooks run with
// RENEWED_LINEAGE), and checks that 993 and 465 serve the new one within
// seconds, with no reload by hand.
func (s *e2eServer) renewCertificate() {
	s.installCertificate(2)
	hooks := s.run("sh", "-c", `for h in /etc/letsencrypt/renewal-hooks/deploy/*; do [ -x "$h" ] && RENEWED_LINEAGE=$1 RENEWED_DOMAINS=$2 "$h"; done`,
		"sh", e2eLive, e2eHost)
	s.t.Logf("certbot's deploy hooks:\n%s", hooks)
	data, err := os.ReadFile(s.cert)
	if err != nil {
		s.t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	want := sha256.Sum256(block.Bytes)
	for _, port := range []int{s.ports.imaps, s.ports.submissions, s.ports.submission, s.ports.smtp, 443} {
		deadline := time.Now().Add(20 * time.Second)
		var got [32]byte
		for time.Now().Before(deadline) {
			if got = s.servedCertificate(port); got == want {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if got != want {
			s.t.Errorf("port %d still serves the old certificate after the renewal", port)
		}
	}
}

// servedCertificate is the SHA-256 of the leaf certificate a port serves.
func (s *e2eServer) servedCertificate(port int) [32]byte {
	args := []string{"s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), "-servername", e2eHost}
	if port == 443 {
		args[len(args)-1] = "autoconfig." + e2eDomain
	}
	switch port {
	case s.ports.submission, s.ports.smtp:
		args = append(args, "-starttls", "smtp")
	}
	c := exec.Command("openssl", args...)
	c.Stdin = strings.NewReader("")
	out, _ := c.Output()
	block, _ := pem.Decode(out)
	if block == nil {
		return [32]byte{}
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return [32]byte{}
	}
	return sha256.Sum256(block.Bytes)
}

// queueEmpty fails when Postfix holds a message (a bounce, say).
func (s *e2eServer) queueEmpty() {
	var q string
	for range 50 {
		if q = s.mustOutput("postqueue", "-p"); strings.Contains(q, "Mail queue is empty") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Errorf("something was queued (a bounce?):\n%s", q)
}

// scanLogs fails on any error, fatal or warning line of the mail daemons'
// journal, except those that allowed matches (the refusals the test
// provokes on purpose).
func (s *e2eServer) scanLogs(allowed *regexp.Regexp) {
	bad := regexp.MustCompile(`(?i)\b(error|fatal|warning|panic)\b`)
	for _, line := range strings.Split(s.journal(), "\n") {
		if bad.MatchString(line) && (allowed == nil || !allowed.MatchString(line)) {
			s.t.Errorf("journal: %s", line)
		}
	}
}
