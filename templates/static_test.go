package templates

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
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
	if os.Geteuid() != 0 {
		integration.Missing(t, "postfix check needs root")
	}
	dir := t.TempDir()
	cert, key := integration.SelfSignedCert(t, dir, "mail.example.com")
	for _, profile := range []string{Intermediate, Modern} {
		for _, protocols := range [][]string{{IMAP}, {POP3}, {IMAP, POP3}} {
			for _, starttls := range []bool{false, true} {
				name := fmt.Sprintf("%s-%s-starttls-%v", profile, strings.Join(protocols, "+"), starttls)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					out := filepath.Join(dir, name)
					c := &Config{Domain: "example.com", Protocols: protocols, TLSProfile: profile, AllowSTARTTLS: starttls,
						CertFile: cert, KeyFile: key, QuotaGB: 2, LeaveOnServerDays: 7, MTASTS: "enforce", TLSRPTReports: "tls@example.com",
						IPv4: "192.0.2.1", IPv6: "2001:db8::1", PostfixQueueDir: filepath.Join(out, "spool"), PostfixDataDir: filepath.Join(out, "data")}
					writeFiles(t, out, c)
					// A file with the same bytes as one already checked (the
					// Postfix files do not change with the protocols, the
					// zone not with the TLS profile) is not checked again.
					if checked.first(t, out, DovecotFile) {
						mustBeQuiet(t, exec.Command(doveconf, "-x", "-n", "-c", filepath.Join(out, DovecotFile)))
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
				})
			}
		}
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
