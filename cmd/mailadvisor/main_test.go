package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/rogpeppe/go-internal/testscript"
	"howett.net/plist"

	"github.com/mailadvisor/mailadvisor/internal/integration"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/*.txtar")

func TestMain(m *testing.M) {
	if os.Getenv(contractExecEnv) == "1" {
		main() // the contract test's child: the test binary as mailadvisor
	}
	// The scripts and the daemons' run spend much of their time waiting
	// (on processes they start, on postconf, which waits two seconds on a
	// main.cf just written, on daemons starting and stopping): more of them
	// at once than there are cores keeps the cores busy. -parallel on the
	// command line still decides. (The same binary also runs as the
	// mailadvisor command of the scripts, whose arguments are not touched.)
	if asTest, parallelSet := testArgs(os.Args[1:]); asTest && !parallelSet {
		os.Args = append(os.Args, "-test.parallel="+strconv.Itoa(4*runtime.GOMAXPROCS(0)))
	}
	testscript.Main(m, map[string]func(){
		"mailadvisor": func() {
			os.Exit(run(os.Args[1:], streams{in: os.Stdin, out: os.Stdout, err: os.Stderr}))
		},
	})
}

// testArgs reports whether args are a test run's (go test passes -test.*
// flags) and whether they set -test.parallel.
func testArgs(args []string) (asTest, parallelSet bool) {
	for _, a := range args {
		if strings.HasPrefix(a, "-test.") {
			asTest = true
			parallelSet = parallelSet || strings.HasPrefix(a, "-test.parallel")
		}
	}
	return asTest, parallelSet
}

// TestScripts runs the end-to-end CLI tests in testdata/*.txtar.
func TestScripts(t *testing.T) {
	t.Parallel() // alongside the end-to-end run of the daemons
	testscript.Run(t, testscript.Params{
		Dir:           "testdata",
		WorkdirRoot:   memoryDir(t),
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			// No user config file or settings may leak into the tests.
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/.config")
			return nil
		},
		// [integration]: MAILADVISOR_INTEGRATION=1, where a missing program
		// is a failure rather than a skip.
		Condition: func(cond string) (bool, error) {
			if cond == "integration" {
				return integration.Enabled(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":        cmdStatus,
			"gen-users":     cmdGenUsers,
			"check-tree":    cmdCheckTree,
			"no-temp":       cmdNoTemp,
			"check-zip":     cmdCheckZip,
			"same-tree":     cmdSameTree,
			"readme-sh":     cmdReadmeSh,
			"readme-text":   cmdReadmeText,
			"utf16":         cmdUTF16,
			"fake-internet": cmdFakeInternet,
			"wait-for":      cmdWaitFor,
			"free-port":     cmdFreePort,
			"http":          cmdHTTP,
			"mode":          cmdMode,
			"max-width":     cmdMaxWidth,
		},
	})
}

// memoryDir is a directory on a memory file system (tmpfs) when the
// machine has one: the batch scripts write a hundred thousand files, which
// a virtual disk takes 25 s to do and tmpfs 2 s; the system calls and the
// file-system rules (links, renames, permissions) are the same.
func memoryDir(t *testing.T) string {
	if fi, err := os.Stat("/dev/shm"); err != nil || !fi.IsDir() {
		return "" // the default, os.TempDir
	}
	dir, err := os.MkdirTemp("/dev/shm", "mailadvisor-test-")
	if err != nil {
		return ""
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// cmdStatus runs a program and checks its exit code:
// status CODE program [args...]. Its output is kept for stdout/stderr.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: bad exit code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		got = exitErr.ExitCode()
	} else if err != nil {
		ts.Fatalf("status: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdGenUsers writes a CSV of N users: gen-users N FILE.
func cmdGenUsers(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gen-users N FILE")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("gen-users: %v", err)
	}
	var b strings.Builder
	b.WriteString("email,display_name\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "user%d@example.com,User %d\n", i, i)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o644))
}

// cmdCheckTree checks a batch output directory: check-tree [-allow-temp] DIR.
// Every profile must parse (none is half-written) and, unless allowed, no
// temporary file or directory may be left.
func cmdCheckTree(ts *testscript.TestScript, neg bool, args []string) {
	allowTemp := len(args) == 2 && args[0] == "-allow-temp"
	if neg || len(args) != 1 && !allowTemp {
		ts.Fatalf("usage: check-tree [-allow-temp] DIR")
	}
	dir := ts.MkAbs(args[len(args)-1])
	files := 0
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(info.Name(), ".tmp-") {
			// A temporary file, or a user's temporary directory (made
			// whole, then renamed once): the run's unfinished work,
			// hidden, never taken for a user's files.
			if !allowTemp {
				ts.Fatalf("temporary file left: %s", path)
			}
			if info.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if info.IsDir() {
			return nil
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(path, ".mobileconfig"):
			var v map[string]any
			if _, err := plist.Unmarshal(data, &v); err != nil {
				ts.Fatalf("%s does not parse: %v", path, err)
			}
		case strings.HasSuffix(path, ".xml"):
			if err := xml.Unmarshal(data, new(struct{})); err != nil {
				ts.Fatalf("%s does not parse: %v", path, err)
			}
		}
		return nil
	})
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%d files\n", files)
}

// cmdNoTemp fails when a temporary file is left anywhere under a
// directory: no-temp DIR.
func cmdNoTemp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: no-temp DIR")
	}
	ts.Check(filepath.Walk(ts.MkAbs(args[0]), func(path string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(info.Name(), ".tmp-") {
			ts.Fatalf("temporary file left: %s", path)
		}
		return err
	}))
}

// cmdWaitFor waits until a glob matches at least N names, each of at
// least MINBYTES bytes when given: wait-for GLOB N [MINBYTES]. The
// interrupt scripts use it to stop a batch once it has written something,
// rather than after a guessed sleep that is too short on a slow machine and
// wastes time on a fast one. It gives up after a minute.
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: wait-for GLOB N [MINBYTES]")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("wait-for: bad count %q", args[1])
	}
	minSize := int64(0)
	if len(args) == 3 {
		if minSize, err = strconv.ParseInt(args[2], 10, 64); err != nil {
			ts.Fatalf("wait-for: bad size %q", args[2])
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		matches, err := filepath.Glob(ts.MkAbs(args[0]))
		ts.Check(err)
		found := 0
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.Size() >= minSize {
				found++
			}
		}
		if found >= n {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("wait-for: %d names match %s after a minute, want %d", found, args[0], n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// cmdFreePort sets an environment variable to a free TCP port on
// 127.0.0.1: free-port VAR.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: free-port VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	ts.Check(l.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}

// cmdHTTP makes a request to a loopback URL, retrying the connection for
// up to ten seconds while a server starts: http METHOD URL [BODY]. It
// prints the status line and the body to stdout; ! http expects a
// connection error.
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: http METHOD URL [BODY] (with $HTTP_HOST as the Host header, if set)")
	}
	if u, err := neturl.Parse(args[1]); err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1") {
		ts.Fatalf("http: loopback URLs only: %s", args[1])
	}
	body := ""
	if len(args) == 3 {
		body = args[2]
	}
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, err := http.NewRequest(args[0], args[1], strings.NewReader(body))
		ts.Check(err)
		if host := ts.Getenv("HTTP_HOST"); host != "" {
			req.Host = host // the name a client asks for; the connection stays on loopback
		}
		resp, err := client.Do(req)
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if neg {
				ts.Fatalf("http: %s answered %s", args[1], resp.Status)
			}
			fmt.Fprintf(ts.Stdout(), "%s\n%s", resp.Status, data)
			return
		}
		if neg {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("http: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmdCheckZip opens a zip archive and reads every entry: check-zip FILE.
// It prints the number of entries.
func cmdCheckZip(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: check-zip FILE")
	}
	zr, err := zip.OpenReader(ts.MkAbs(args[0]))
	ts.Check(err)
	defer zr.Close()
	for _, f := range zr.File {
		r, err := f.Open()
		ts.Check(err)
		_, err = io.Copy(io.Discard, r)
		r.Close()
		ts.Check(err)
	}
	fmt.Fprintf(ts.Stdout(), "%d entries\n", len(zr.File))
}

// cmdSameTree checks that a directory tree holds the same files, hidden
// ones included, with the same bytes, as another tree or as a tar archive
// (a name ending in .tar): same-tree DIR|TAR DIR.
func cmdSameTree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: same-tree DIR|TAR DIR")
	}
	list := func(dir string) map[string][]byte {
		files := map[string][]byte{}
		if strings.HasSuffix(dir, ".tar") {
			f, err := os.Open(dir)
			ts.Check(err)
			defer f.Close()
			tr := tar.NewReader(f)
			for {
				hdr, err := tr.Next()
				if errors.Is(err, io.EOF) {
					return files
				}
				ts.Check(err)
				data, err := io.ReadAll(tr)
				ts.Check(err)
				files[filepath.FromSlash(hdr.Name)] = data
			}
		}
		ts.Check(filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			data, err := os.ReadFile(path)
			files[rel] = data
			return err
		}))
		return files
	}
	a, b := list(ts.MkAbs(args[0])), list(ts.MkAbs(args[1]))
	for name, data := range a {
		other, ok := b[name]
		if !ok {
			ts.Fatalf("%s is in %s only", name, args[0])
		}
		if !bytes.Equal(data, other) {
			ts.Fatalf("%s differs", name)
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			ts.Fatalf("%s is in %s only", name, args[1])
		}
	}
	fmt.Fprintf(ts.Stdout(), "%d files alike\n", len(a))
}

// fullWriter fails every write, as stdout does on a full disk (/dev/full)
// or a closed pipe.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// A command whose output cannot be written exits 1 and says so, never 0,
// and never blames its input (exit 2).
func TestOutputWriteErrorsExitOne(t *testing.T) {
	dir := t.TempDir()
	batchIn := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(batchIn, []byte("users\n10\n20\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", dir)
	for _, args := range [][]string{
		{"advise"}, {"advise", "-o", "json"}, {"advise", "-o", "markdown"}, {"cost"}, {"carbon"}, {"rules"}, {"presets"},
		{"version"}, {"version", "-o", "json"}, {"profile", "sheet", "--email", "a@example.com"},
		{"profile", "autoconfig", "--email", "a@example.com"}, {"server", "dns", "--domain", "example.com"},
		{"advise", "--batch", batchIn}, {"advise", "--batch", batchIn, "-o", "csv"}, {"cost", "--print-defaults"},
	} {
		var stderr strings.Builder
		code := run(args, streams{in: strings.NewReader(""), out: fullWriter{}, err: &stderr})
		if code != exitFailure || !strings.Contains(stderr.String(), "no space left on device") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and the write error", args, code, stderr.String())
		}
	}
}

// Every command prints in every output format it lists, without a panic.
func TestEveryOutputFormat(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for _, cmd := range [][]string{{"advise"}, {"cost"}, {"carbon"}, {"rules"}, {"presets"}, {"version"},
		{"profile", "sheet", "--email", "a@example.com"}} {
		for _, format := range outputFormats {
			var stdout, stderr strings.Builder
			args := append(append([]string{}, cmd...), "-o", format)
			if code := run(args, streams{in: strings.NewReader(""), out: &stdout, err: &stderr}); code != 0 || stdout.Len() == 0 {
				t.Errorf("%v: exit %d, %d bytes out, stderr %q", args, code, stdout.Len(), stderr.String())
			}
		}
	}
}

// A version flag cannot carry a directive into a file: these passed
// doveconf -n and postconf before versions were checked whole.
func TestVersionsCannotInject(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for _, args := range [][]string{
		{"server", "all", "--domain", "example.com", "--dovecot-version", "2.3.0\npassdb {\n  driver = static\n  args = nopassword=y\n}\n#"},
		{"server", "postfix", "--domain", "example.com", "--openssl-version", "3.0.0\nalways_bcc = spy@evil.example\n#"},
		{"server", "postfix", "--domain", "example.com", "--postfix-version", "3.7\nalways_bcc = spy@evil.example"},
		{"server", "postfix", "--domain", "example.com", "--postfix-version", "3.7 "},
	} {
		var stdout, stderr strings.Builder
		code := run(args, streams{in: strings.NewReader(""), out: &stdout, err: &stderr})
		if code != exitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), "want a version of digits and dots") {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q", args, code, stdout.Len(), stderr.String())
		}
	}
}

// Whole-file inputs are bounded: /dev/zero is an error naming the input,
// exit 2, not gigabytes of memory.
func TestWholeFileInputsAreBounded(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	cert, key := integration.SelfSignedCert(t, t.TempDir(), "profiles.example.com")
	for _, c := range []struct {
		args []string
		say  string
	}{
		{[]string{"advise", "--config", "/dev/zero"}, "config file /dev/zero: larger than 4 MiB"},
		{[]string{"advise", "-f", "/dev/zero"}, "scenario file /dev/zero: larger than 4 MiB"},
		{[]string{"advise", "--rules", "/dev/zero"}, "rules file /dev/zero: larger than 4 MiB"},
		{[]string{"cost", "--params", "/dev/zero"}, "parameters file /dev/zero: larger than 4 MiB"},
		{[]string{"profile", "autoconfig", "--domain-file", "/dev/zero"}, "domain file /dev/zero: larger than 4 MiB"},
		{[]string{"profile", "mobileconfig", "--email", "a@example.com", "--sign-cert", "/dev/zero", "--sign-key", key}, "--sign-cert /dev/zero: larger than 4 MiB"},
		{[]string{"profile", "mobileconfig", "--email", "a@example.com", "--sign-cert", cert, "--sign-key", "/dev/zero"}, "--sign-key /dev/zero: larger than 4 MiB"},
	} {
		var stdout, stderr strings.Builder
		code := run(c.args, streams{in: strings.NewReader(""), out: &stdout, err: &stderr})
		if code != exitUsage || !strings.Contains(stderr.String(), c.say) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr.String(), c.say)
		}
	}
}

// An unusable signing key fails once, before the batch writes anything,
// not on every row.
func TestBatchChecksTheSignerFirst(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	cert, _ := integration.SelfSignedCert(t, dir, "profiles.example.com")
	users := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(users, []byte("email\na@example.com\nb@example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	code := run([]string{"batch", "-i", users, "--domain", "example.com", "--formats", "mobileconfig",
		"--sign-cert", cert, "--sign-key", cert, "--out", filepath.Join(dir, "out")},
		streams{in: strings.NewReader(""), out: &stdout, err: &stderr})
	if code != exitUsage || strings.Count(stderr.String(), "error") != 1 || !strings.Contains(stderr.String(), "--sign-cert/--sign-key") {
		t.Errorf("exit %d, stderr %q; want one error naming the flags, exit 2", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("the batch wrote an output directory")
	}
}

// cmdReadmeSh writes the README's sh block that contains a text to a
// file: readme-sh TEXT FILE.
func cmdReadmeSh(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: readme-sh TEXT FILE")
	}
	readme, err := os.ReadFile("../../README.md")
	ts.Check(err)
	for _, block := range strings.Split(string(readme), "```sh\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		if strings.Contains(block, args[0]) {
			ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte("set -euo pipefail\n"+block), 0o644))
			return
		}
	}
	ts.Fatalf("README.md has no sh block with %q", args[0])
}

// cmdReadmeText writes the README's text block (the output it shows)
// that contains a text to a file: readme-text TEXT FILE.
func cmdReadmeText(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: readme-text TEXT FILE")
	}
	readme, err := os.ReadFile("../../README.md")
	ts.Check(err)
	for _, block := range strings.Split(string(readme), "```text\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		if strings.Contains(block, args[0]) {
			ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(block), 0o644))
			return
		}
	}
	ts.Fatalf("README.md has no text block with %q", args[0])
}

// cmdUTF16 writes a text file as UTF-16 (little-endian, with a byte-order
// mark), as spreadsheet programs save "Unicode text": utf16 IN OUT.
func cmdUTF16(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: utf16 IN OUT")
	}
	text := ts.ReadFile(args[0])
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(text)) {
		out = append(out, byte(u), byte(u>>8))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o644))
}

// cmdFakeInternet starts, for the rest of the script, a DNS server and an
// HTTPS server on 127.0.0.1 that stand in for the Internet, and sets DNS
// (host:port), ISPDB (base URL) and CA (the HTTPS server's certificate,
// PEM) for the commands after it: fake-internet ZONEFILE ISPDIR. The zone
// file holds one record a line; each file NAME in ISPDIR is the ISP
// database's entry for the domain NAME. Nothing is sent anywhere else.
func cmdFakeInternet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fake-internet ZONEFILE ISPDIR")
	}
	ispdir := ts.MkAbs(args[1])
	net, stop, err := startFakeInternet(ts.ReadFile(args[0]), func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(ispdir, name))
	}, ts.MkAbs("fake-ca.pem"))
	ts.Check(err)
	ts.Defer(stop)
	ts.Setenv("DNS", net.dns)
	ts.Setenv("ISPDB", net.ispdb)
	ts.Setenv("CA", net.ca)
}

// cmdMode: mode FILE OCTAL checks a file's permission bits.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode FILE OCTAL")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	if got := fi.Mode().Perm(); (got == os.FileMode(want)) == neg {
		ts.Fatalf("%s: mode %04o, want %s%s", args[0], got, map[bool]string{true: "not "}[neg], args[1])
	}
}

// cmdMaxWidth checks that no line of the last command's stdout is wider
// than N terminal columns: max-width N.
func cmdMaxWidth(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: max-width N")
	}
	limit, err := strconv.Atoi(args[0])
	ts.Check(err)
	widest, line := 0, ""
	for l := range strings.SplitSeq(ts.ReadFile("stdout"), "\n") {
		if w := twwidth.Width(l); w > widest {
			widest, line = w, l
		}
	}
	if over := widest > limit; over != neg {
		ts.Fatalf("widest line: %d columns (limit %d): %q", widest, limit, line)
	}
}
