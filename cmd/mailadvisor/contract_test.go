package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/internal/fakedns"
)

// The contract test walks the command tree and runs every command as a
// person or a script would: --help, no arguments, one argument too many,
// every output format it declares and one it does not, every yes/no flag
// with each format, every checked setting given a bad value by flag,
// environment variable and config file, every output flag aimed at a new
// file, a directory, a link, an existing file and an input of the run,
// and standard output on a full disk. It names no command: what it runs
// comes from the tree and from each command's try annotation (see
// tryAnnotation), which a new command must have.
//
// Every run is a child process (the test binary as mailadvisor, see
// contractExecEnv), so that exit codes, panics and standard output are the
// real ones. Every run must: end (no hang), never panic, exit with a
// documented code, and on exit 2 print nothing on stdout and an error on
// stderr.

// contractExecEnv makes the test binary run as mailadvisor (TestMain).
const contractExecEnv = "MAILADVISOR_CONTRACT_EXEC"

// contractRuns counts the command lines the contract tests ran.
var contractRuns atomic.Int64

// standIns are the loopback stand-ins for the network a discovery uses.
type standIns struct{ dns, ispdb, ca string }

// discoveryZone and discoveryISPDB are the stand-ins' data: mailbox.example
// has its MX at Google, whose ISP database entry gives the servers.
const discoveryZone = "mailbox.example. 300 IN MX 10 aspmx.l.google.com.\n"

const discoveryISPDB = `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="google.com">
<domain>gmail.com</domain>
<incomingServer type="imap"><hostname>imap.gmail.example</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.gmail.example</hostname><port>465</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>
`

// startFakeInternet serves zone over DNS and the ISP database files that
// file returns over HTTPS, both on 127.0.0.1, and writes the HTTPS CA to
// caFile.
func startFakeInternet(zone string, file func(name string) ([]byte, error), caFile string) (standIns, func(), error) {
	dnsAddr, stopDNS, err := fakedns.Start(zone)
	if err != nil {
		return standIns{}, nil, err
	}
	web := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/ispdb/")
		data, err := file(filepath.Base(name))
		if err != nil || name == r.URL.Path {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
	}))
	stop := func() {
		web.Close()
		stopDNS()
	}
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: web.Certificate().Raw}), 0o644); err != nil {
		stop()
		return standIns{}, nil, err
	}
	return standIns{dns: dnsAddr, ispdb: web.URL + "/ispdb/", ca: caFile}, stop, nil
}

// contract runs command lines for one test.
type contract struct {
	t    *testing.T
	dir  string // a directory of the test's own
	net  standIns
	home string
}

func newContract(t *testing.T) *contract {
	dir := t.TempDir()
	net, stop, err := startFakeInternet(discoveryZone, func(name string) ([]byte, error) {
		if name == "google.com" {
			return []byte(discoveryISPDB), nil
		}
		return nil, os.ErrNotExist
	}, filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	return &contract{t: t, dir: dir, net: net, home: home}
}

// cmdLine is one run.
type cmdLine struct {
	args   []string
	env    []string // KEY=VALUE on top of the clean environment
	stdin  string
	full   bool // standard output is /dev/full
	daemon bool // runs until stopped: SIGTERM once it serves
}

type outcome struct {
	code           int
	stdout, stderr string
}

func (o outcome) String() string {
	return fmt.Sprintf("exit %d\nstdout: %.400q\nstderr: %.800q", o.code, o.stdout, o.stderr)
}

// expand replaces the stand-ins' names in an argument.
func (c *contract) expand(arg string) string {
	return strings.NewReplacer("$DNS", c.net.dns, "$ISPDB", c.net.ispdb, "$CA", c.net.ca).Replace(arg)
}

// exec runs l as a child process in a clean environment and checks what
// every run must do.
func (c *contract) exec(l cmdLine) outcome {
	c.t.Helper()
	contractRuns.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], l.args...)
	cmd.Dir = c.dir
	cmd.Env = append([]string{contractExecEnv + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + c.home,
		"XDG_CONFIG_HOME=" + filepath.Join(c.home, ".config"), "LANG=C", "TMPDIR=" + os.TempDir()}, l.env...)
	cmd.Stdin = strings.NewReader(l.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if l.full {
		full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			c.t.Skipf("no /dev/full: %v", err)
		}
		defer full.Close()
		cmd.Stdout = full
	}
	var err error
	if l.daemon {
		err = c.daemon(cmd, &stderr)
	} else {
		err = cmd.Run()
	}
	o := outcome{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		c.t.Errorf("mailadvisor %s: did not end within 60 s\n%s", strings.Join(l.args, " "), o)
	case err != nil && !errors.As(err, &exitErr):
		c.t.Fatalf("mailadvisor %s: %v", strings.Join(l.args, " "), err)
	}
	c.invariants(l, o)
	return o
}

// daemon starts cmd, waits until it says it serves (or ends), then stops
// it as an operator would, with SIGTERM.
func (c *contract) daemon(cmd *exec.Cmd, stderr *bytes.Buffer) error {
	var buf lockedBuffer
	cmd.Stderr = &buf
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(10 * time.Second)
	stopped := false
	stop := func() { // once, as an operator would: a second SIGTERM may find the handler gone
		if !stopped {
			stopped = true
			_ = cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for {
		select {
		case err := <-done:
			stderr.WriteString(buf.String())
			return err
		case <-deadline:
			stop()
		case <-time.After(20 * time.Millisecond):
			if strings.Contains(buf.String(), "serving") {
				stop()
			}
		}
	}
}

// invariants are what every run must do, whatever it was asked.
func (c *contract) invariants(l cmdLine, o outcome) {
	c.t.Helper()
	line := "mailadvisor " + strings.Join(l.args, " ")
	for _, bad := range []string{"panic:", "goroutine ", "internal error", "runtime error"} {
		if strings.Contains(o.stderr, bad) {
			c.t.Errorf("%s: %q on stderr\n%s", line, bad, o)
		}
	}
	if !slices.Contains([]int{exitOK, exitFailure, exitUsage, exitRejected, exitInterrupt}, o.code) {
		c.t.Errorf("%s: exit %d is not a documented exit code\n%s", line, o.code, o)
	}
	if o.code == exitUsage && (o.stdout != "" || !strings.Contains(o.stderr, "mailadvisor: error: ")) {
		c.t.Errorf("%s: exit 2 wants nothing on stdout and the error on stderr\n%s", line, o)
	}
	if strings.ContainsRune(o.stdout+o.stderr, '\x1b') {
		c.t.Errorf("%s: an escape character reached the terminal\n%s", line, o)
	}
}

// lockedBuffer is a buffer a child's stderr writes to while the test
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runnable lists every command of the tree that runs, depth first.
func runnable(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	if c.Runnable() && c.HasParent() {
		out = append(out, c)
	}
	for _, sub := range c.Commands() {
		out = append(out, runnable(sub)...)
	}
	return out
}

// subject is one command under the contract, with what its annotations say.
type subject struct {
	cmd    *cobra.Command
	path   []string // the words after mailadvisor
	try    []string
	stdin  string
	exits  []int
	daemon bool
}

func newSubject(t *testing.T, c *contract, cmd *cobra.Command) subject {
	s := subject{cmd: cmd, path: strings.Fields(strings.TrimPrefix(cmd.CommandPath(), "mailadvisor")),
		stdin: strings.ReplaceAll(cmd.Annotations[tryStdinAnnotation], `\n`, "\n"), exits: []int{0},
		daemon: cmd.Annotations[daemonAnnotation] == "true"}
	args, ok := cmd.Annotations[tryAnnotation]
	if !ok {
		t.Fatalf("%s has no try annotation: say how the contract test runs it (see tryAnnotation)", cmd.CommandPath())
	}
	for _, a := range strings.Fields(args) {
		s.try = append(s.try, c.expand(a))
	}
	if e := cmd.Annotations[tryExitAnnotation]; e != "" {
		s.exits = nil
		for _, f := range strings.Fields(e) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s: try exit %q: %v", cmd.CommandPath(), e, err)
			}
			s.exits = append(s.exits, n)
		}
	}
	return s
}

// line is a run of the subject: its path, args, and the stand-ins for any
// discovery flag it has and args do not give (no run leaves the machine).
func (s subject) line(c *contract, args ...string) cmdLine {
	all := append(slices.Clone(s.path), args...)
	for _, f := range []struct{ name, value string }{{"dns", c.net.dns}, {"ispdb", c.net.ispdb}, {"ca", c.net.ca}} {
		if s.cmd.Flags().Lookup(f.name) != nil && !slices.Contains(all, "--"+f.name) {
			all = append(all, "--"+f.name, f.value)
		}
	}
	// The stand-ins are on loopback, which discovery refuses unless told.
	if s.cmd.Flags().Lookup("allow-private") != nil && !slices.Contains(all, "--allow-private") {
		all = append(all, "--allow-private")
	}
	return cmdLine{args: all, stdin: s.stdin, daemon: s.daemon}
}

func (s subject) name() string { return strings.Join(s.path, " ") }

// TestContract runs the contract over every command of the tree.
func TestContract(t *testing.T) {
	if testing.Short() {
		t.Skip("long: some 700 child processes (go test -short); make test runs it")
	}
	t.Parallel()
	started := time.Now()
	before := contractRuns.Load()
	root := newRootCmd(streams{})
	c := newContract(t)
	t.Run("commands", func(t *testing.T) {
		for _, cmd := range runnable(root) {
			t.Run(strings.ReplaceAll(strings.TrimPrefix(cmd.CommandPath(), "mailadvisor "), " ", "_"), func(t *testing.T) {
				t.Parallel()
				cc := *c
				cc.t = t
				cc.dir = t.TempDir()
				contractCommand(t, &cc, newSubject(t, &cc, cmd))
			})
		}
	})
	t.Logf("contract: %d command lines in %.1fs", contractRuns.Load()-before, time.Since(started).Seconds())
}

func contractCommand(t *testing.T, c *contract, s subject) {
	// --help: the usage on stdout, exit 0.
	if o := c.exec(cmdLine{args: append(slices.Clone(s.path), "--help")}); o.code != 0 || !strings.Contains(o.stdout, "Usage:") || o.stderr != "" {
		t.Errorf("%s --help: want the usage on stdout, exit 0\n%s", s.name(), o)
	}
	// No arguments: it runs, or says what is missing (exit 2).
	if o := c.exec(cmdLine{args: s.path, daemon: s.daemon}); o.code != 0 && o.code != exitUsage {
		t.Errorf("%s with no arguments: want exit 0 or 2\n%s", s.name(), o)
	}
	// The try run, then one argument too many.
	base := c.exec(s.line(c, s.try...))
	if !slices.Contains(s.exits, base.code) {
		t.Fatalf("%s %s: want exit %v\n%s", s.name(), strings.Join(s.try, " "), s.exits, base)
	}
	if o := c.exec(s.line(c, append(slices.Clone(s.try), "extra-arg")...)); o.code != exitUsage || !strings.Contains(o.stderr, "extra-arg") {
		t.Errorf("%s with an extra argument: want exit 2 naming it\n%s", s.name(), o)
	}
	contractFormats(t, c, s, base)
	contractEffects(t, c, s, base)
	contractBadValues(t, c, s)
	contractOutputs(t, c, s)
	// Standard output on a full disk: exit 1, the error said.
	if base.code == 0 && base.stdout != "" && !s.daemon {
		l := s.line(c, s.try...)
		l.full = true
		if o := c.exec(l); o.code != exitFailure || !strings.Contains(o.stderr, "no space left on device") {
			t.Errorf("%s > /dev/full: want exit 1 and the write error\n%s", s.name(), o)
		}
	}
}

// outputFormats are the formats the command's --output declares.
func declaredFormats(cmd *cobra.Command) []string {
	f := cmd.Flags().Lookup("output")
	if f == nil {
		return nil
	}
	if ch, ok := f.Value.(*choiceFlag); ok {
		return ch.Choices()
	}
	return nil
}

// contractFormats runs every declared format, one it does not declare,
// and every yes/no flag with each format: a run that succeeds writes the
// format it was asked for.
func contractFormats(t *testing.T, c *contract, s subject, base outcome) {
	formats := declaredFormats(s.cmd)
	if f := s.cmd.Flags().Lookup("output"); f != nil && formats == nil {
		t.Errorf("%s: --output is not a choice flag: its formats cannot be checked when set", s.name())
	}
	if formats != nil {
		o := c.exec(s.line(c, append(slices.Clone(s.try), "--output", "bogus-format")...))
		if o.code != exitUsage || !strings.Contains(o.stderr, "--output") || !strings.Contains(o.stderr, strings.Join(formats, ", ")) {
			t.Errorf("%s -o bogus-format: want exit 2 naming --output and every format (%s)\n%s", s.name(), strings.Join(formats, ", "), o)
		}
	}
	var bools []string
	s.cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Value.Type() == "bool" && f.Name != "help" {
			bools = append(bools, f.Name)
		}
	})
	variants := [][]string{nil}
	for _, b := range bools {
		variants = append(variants, []string{"--" + b})
	}
	for _, v := range variants {
		for _, format := range append([]string{""}, formats...) {
			if v == nil && format == "" {
				continue // the try run itself
			}
			args := append(slices.Clone(s.try), v...)
			if format != "" {
				args = append(args, "--output", format)
			}
			o := c.exec(s.line(c, args...))
			what := fmt.Sprintf("%s %s", s.name(), strings.Join(args, " "))
			switch {
			case o.code == 0 && format != "":
				if err := validFormat(format, o.stdout); err != nil {
					t.Errorf("%s: %v\n%s", what, err, o)
				}
				if v == nil && base.code == 0 && base.stdout != "" && o.stdout == "" {
					t.Errorf("%s: nothing written\n%s", what, o)
				}
			case o.code == 0, o.code == exitUsage, slices.Contains(s.exits, o.code):
			default:
				t.Errorf("%s: want exit %v, or 2 for a combination it refuses\n%s", what, s.exits, o)
			}
		}
	}
}

// contractEffects checks that the settings a command registers (those a
// config file may hold for every command) change what it does: a setting
// registered where nothing reads it is accepted and ignored. Each gets its
// other valid values; one of them at least must change the output.
func contractEffects(t *testing.T, c *contract, s subject, base outcome) {
	if s.daemon || base.code != 0 {
		return
	}
	for _, key := range configKeys {
		f := s.cmd.Flags().Lookup(key)
		if f == nil {
			continue
		}
		// Its other values: from its choices, its range, or what the
		// shell completion offers; for a plain number, one more.
		var values []string
		switch v := f.Value.(type) {
		case *choiceFlag:
			values = v.Choices()
		case *intRange:
			values = []string{fmt.Sprint(v.min), fmt.Sprint(v.max)}
		default:
			if complete, ok := s.cmd.GetFlagCompletionFunc(key); ok {
				offered, _ := complete(s.cmd, nil, "")
				for _, o := range offered {
					value, _, _ := strings.Cut(o, "\t")
					values = append(values, value)
				}
			} else if n, err := strconv.Atoi(f.DefValue); err == nil && f.Value.Type() == "int" {
				values = []string{strconv.Itoa(n + 1)}
			}
		}
		if key == "output" || len(values) == 0 {
			continue // the formats are checked apart; files need content
		}
		changed := false
		for _, v := range values {
			if v == f.DefValue {
				continue
			}
			o := c.exec(s.line(c, append(slices.Clone(s.try), "--"+key, v)...))
			changed = changed || o.code != base.code || o.stdout != base.stdout
		}
		if !changed {
			t.Errorf("%s: --%s is registered but changes nothing (tried %s): a command registers only the settings it uses",
				s.name(), key, strings.Join(values, ", "))
		}
	}
}

// validFormat checks that out is in format.
func validFormat(format, out string) error {
	trimmed := strings.TrimSpace(out)
	markup := strings.HasPrefix(trimmed, "<")
	switch format {
	case formatJSON:
		dec := json.NewDecoder(strings.NewReader(out)) // a document, or JSON Lines
		for n := 0; ; n++ {
			var v any
			err := dec.Decode(&v)
			if errors.Is(err, io.EOF) && n > 0 {
				return nil
			}
			if err != nil {
				return fmt.Errorf("-o json wrote no JSON: %w", err)
			}
		}
	case formatYAML:
		var v any
		if err := yaml.Unmarshal([]byte(out), &v); err != nil || trimmed == "" || markup || strings.HasPrefix(trimmed, "{") {
			return fmt.Errorf("-o yaml wrote no YAML (%w)", err)
		}
	case formatCSV:
		records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(records) < 1 || len(records[0]) < 2 {
			return fmt.Errorf("-o csv wrote no CSV table (%w)", err)
		}
	case formatHTML:
		if !strings.HasPrefix(strings.ToLower(trimmed), "<!doctype html") {
			return errors.New("-o html wrote no HTML document")
		}
	case formatTable, formatMarkdown:
		if json.Valid([]byte(trimmed)) && trimmed != "" || markup {
			return fmt.Errorf("-o %s wrote JSON or markup", format)
		}
	}
	return nil
}

// checkedFlag is a flag whose value is checked when it is set, with a
// value it refuses.
func badValue(f *pflag.Flag) (string, bool) {
	switch v := f.Value.(type) {
	case *fieldFlag:
		var scratch advisor.Scenario
		if v.field.Set(&scratch, "bogus") == nil {
			return "", false // free text
		}
		return "bogus", true
	case checkedValue, *langOption:
		return "bogus", true
	}
	switch f.Value.Type() {
	case "int", "float64", "bool", "duration", "uint", "int64":
		return "bogus", true
	}
	return "", false
}

// envOf is the environment variable that sets f, if any.
func envOf(f *pflag.Flag) string {
	if ff, ok := f.Value.(*fieldFlag); ok {
		return ff.field.EnvName()
	}
	if slices.Contains(configKeys, f.Name) {
		return "MAILADVISOR_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
	}
	return ""
}

// contractBadValues gives every checked setting a value it refuses, by
// each origin it has: the error names the origin and the value, exit 2.
func contractBadValues(t *testing.T, c *contract, s subject) {
	cfg := filepath.Join(c.dir, "bad-config.yaml")
	s.cmd.Flags().VisitAll(func(f *pflag.Flag) {
		bad, ok := badValue(f)
		if !ok {
			return
		}
		o := c.exec(s.line(c, append(slices.Clone(s.try), "--"+f.Name+"="+bad)...))
		if o.code != exitUsage || !strings.Contains(o.stderr, "--"+f.Name) || !strings.Contains(o.stderr, bad) {
			t.Errorf("%s --%s=%s: want exit 2 naming the flag and the value\n%s", s.name(), f.Name, bad, o)
		}
		if env := envOf(f); env != "" {
			l := s.line(c, s.try...)
			l.env = []string{env + "=" + bad}
			if o := c.exec(l); o.code != exitUsage || !strings.Contains(o.stderr, "environment variable "+env) || !strings.Contains(o.stderr, bad) {
				t.Errorf("%s with %s=%s: want exit 2 naming the variable and the value\n%s", s.name(), env, bad, o)
			}
		}
		if slices.Contains(configKeys, f.Name) {
			if err := os.WriteFile(cfg, []byte(f.Name+": "+bad+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			o := c.exec(s.line(c, append([]string{"--config", cfg}, s.try...)...))
			if o.code != exitUsage || !strings.Contains(o.stderr, "config file "+cfg) || !strings.Contains(o.stderr, bad) {
				t.Errorf("%s with %s: %s in the config file: want exit 2 naming the file and the value\n%s", s.name(), f.Name, bad, o)
			}
		}
	})
}

// withoutSinks removes from args the flags (and values) of the group of
// outputs name belongs to, so that name is the one output under test.
func withoutSinks(cmd *cobra.Command, name string, args []string) []string {
	group := []string{name}
	if f := cmd.Flags().Lookup(name); f != nil {
		for _, g := range f.Annotations["cobra_annotation_one_required"] {
			group = append(group, strings.Fields(g)...)
		}
	}
	var out []string
	for i := 0; i < len(args); i++ {
		if slices.Contains(group, strings.TrimPrefix(args[i], "--")) && strings.HasPrefix(args[i], "--") {
			i++ // its value
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// contractOutputs aims every output flag at what a person might: a new
// file or directory, a directory where a file is wanted (and a file where
// a directory is), a link, a file that exists (without and with --force),
// and the config file the run reads.
func contractOutputs(t *testing.T, c *contract, s subject) {
	cfg := filepath.Join(c.dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("lang: en\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hasForce := s.cmd.Flags().Lookup("force") != nil
	s.cmd.Flags().VisitAll(func(f *pflag.Flag) {
		kind := f.Annotations[outputAnnotation]
		if len(kind) == 0 {
			return
		}
		base := withoutSinks(s.cmd, f.Name, s.try)
		dir := filepath.Join(c.dir, "out-"+f.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		run := func(target string, extra ...string) outcome {
			args := append(append(slices.Clone(base), "--"+f.Name, target), extra...)
			return c.exec(s.line(c, args...))
		}
		what := s.name() + " --" + f.Name
		existing := filepath.Join(dir, "existing")
		if err := os.WriteFile(existing, []byte("keep\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		switch kind[0] {
		case "file":
			target := filepath.Join(dir, "new")
			if o := run(target); !slices.Contains(s.exits, o.code) {
				t.Errorf("%s NEW-FILE: want exit %v\n%s", what, s.exits, o)
			} else if fi, err := os.Stat(target); o.code == 0 && (err != nil || !fi.Mode().IsRegular() || fi.Size() == 0) {
				t.Errorf("%s NEW-FILE: exit 0 but %v\n%s", what, err, o)
			}
			if o := run(dir); o.code != exitUsage || !strings.Contains(o.stderr, "--"+f.Name) {
				t.Errorf("%s DIRECTORY: want exit 2 naming the flag\n%s", what, o)
			}
			link := filepath.Join(dir, "link")
			_ = os.Symlink(existing, link)
			args := []string{}
			if hasForce {
				args = append(args, "--force")
			}
			if o := run(link, args...); o.code != exitUsage {
				t.Errorf("%s LINK: want exit 2: nothing is written through a link\n%s", what, o)
			}
			if o := run(existing); o.code != exitUsage || !strings.Contains(o.stderr, "--force") && hasForce {
				t.Errorf("%s EXISTING: want exit 2 and the --force hint\n%s", what, o)
			}
			if hasForce {
				if o := run(existing, "--force"); !slices.Contains(s.exits, o.code) {
					t.Errorf("%s EXISTING --force: want exit %v\n%s", what, s.exits, o)
				}
			}
			if data, _ := os.ReadFile(existing); !hasForce && string(data) != "keep\n" {
				t.Errorf("%s: an existing file was replaced without --force", what)
			}
			// The config file the run reads is an input: never written.
			o := c.exec(s.line(c, append(append([]string{"--config", cfg}, base...), append([]string{"--" + f.Name, cfg}, args...)...)...))
			if data, _ := os.ReadFile(cfg); o.code != exitUsage || !strings.Contains(o.stderr, "input") || string(data) != "lang: en\n" {
				t.Errorf("%s CONFIG-FILE: want exit 2, the input named and kept\n%s", what, o)
			}
		case "dir":
			target := filepath.Join(dir, "tree")
			if o := run(target); !slices.Contains(s.exits, o.code) {
				t.Errorf("%s NEW-DIR: want exit %v\n%s", what, s.exits, o)
			} else if entries, err := os.ReadDir(target); o.code == 0 && (err != nil || len(entries) == 0) {
				t.Errorf("%s NEW-DIR: exit 0 but nothing written (%v)\n%s", what, err, o)
			}
			if o := run(existing); o.code != exitUsage || !strings.Contains(o.stderr, "--"+f.Name) {
				t.Errorf("%s FILE: want exit 2 naming the flag\n%s", what, o)
			}
		default:
			t.Errorf("%s: unknown output kind %q", what, kind[0])
		}
	})
}

// TestBatchDomainSourcesAndSinks crosses every way batch learns the domain
// (--domain, --domain-file, each row's own, --discover against the
// loopback stand-ins) with every sink (the flags of its one-required
// output group, and '-' for the archives that can stream), each with
// --report: every combination writes both users.
func TestBatchDomainSourcesAndSinks(t *testing.T) {
	t.Parallel()
	c := newContract(t)
	root := newRootCmd(streams{})
	cmd, _, err := root.Find([]string{"batch"})
	if err != nil {
		t.Fatal(err)
	}
	var sinks []string
	for _, g := range cmd.Flags().Lookup("out").Annotations["cobra_annotation_one_required"] {
		sinks = append(sinks, strings.Fields(g)...)
	}
	domainFile := filepath.Join(c.dir, "domain.yaml")
	if err := os.WriteFile(domainFile, []byte("domains: [mailbox.example]\ndisplay_name: Mailbox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	users := "email\nme1@mailbox.example\nme2@mailbox.example\n"
	sources := map[string][]string{
		"domain":      {"--domain", "mailbox.example"},
		"domain-file": {"--domain-file", domainFile},
		"own":         nil,
		"discover":    {"--discover", "--dns", c.net.dns, "--ispdb", c.net.ispdb, "--ca", c.net.ca, "--allow-private"},
	}
	for name, src := range sources {
		for _, sink := range sinks {
			targets := []string{filepath.Join(c.dir, name+"-"+sink)}
			if f := cmd.Flags().Lookup(sink); f != nil && strings.Contains(f.Usage, "'-' for stdout") {
				targets = append(targets, "-")
			}
			for _, target := range targets {
				report := filepath.Join(c.dir, name+"-"+sink+"-report.jsonl")
				_ = os.Remove(report)
				args := append([]string{"batch", "-i", "-", "--input-format", "csv", "--formats", strings.Join([]string{"autoconfig", "sheet"}, ","),
					"--" + sink, target, "--report", report}, src...)
				o := c.exec(cmdLine{args: args, stdin: users})
				what := "batch " + strings.Join(args, " ")
				if o.code != 0 {
					t.Errorf("%s: want exit 0\n%s", what, o)
					continue
				}
				files := batchOutputNames(t, sink, target, o.stdout)
				for _, u := range []string{"me1@mailbox.example", "me2@mailbox.example"} {
					if !slices.Contains(files, u+"/config-v1.1.xml") || !slices.Contains(files, u+"/settings.md") {
						t.Errorf("%s: %s's files missing from %v", what, u, files)
					}
				}
				if data, err := os.ReadFile(report); err != nil || strings.Count(string(data), "\n") != 2 {
					t.Errorf("%s: report %q (%v), want 2 lines", what, data, err)
				}
			}
		}
	}
}

// batchOutputNames lists the files a batch sink wrote, as DIR-relative
// names.
func batchOutputNames(t *testing.T, sink, target, stdout string) []string {
	t.Helper()
	var names []string
	switch sink {
	case "out":
		_ = filepath.WalkDir(target, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
				rel, _ := filepath.Rel(target, path)
				names = append(names, rel)
			}
			return nil
		})
	case "zip":
		r, err := zip.OpenReader(target)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for _, f := range r.File {
			names = append(names, f.Name)
		}
	default:
		var in io.Reader = strings.NewReader(stdout)
		if target != "-" {
			f, err := os.Open(target)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			in = f
		}
		tr := tar.NewReader(in)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			names = append(names, h.Name)
		}
	}
	return names
}

// TestAdviseBatchInterrupt: Ctrl-C during advise --batch stops after the
// row at hand, exit 130, and says how many rows were written; what was
// written is whole rows.
func TestAdviseBatchInterrupt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var in strings.Builder
	in.WriteString("users,devices_per_user\n")
	for i := range 200_000 {
		fmt.Fprintf(&in, "%d,2\n", 1+i%400)
	}
	input := filepath.Join(dir, "clients.csv")
	if err := os.WriteFile(input, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "advise", "--batch", input, "-o", "csv")
	cmd.Env = []string{contractExecEnv + "=1", "HOME=" + dir, "LANG=C"}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once rows come out, Ctrl-C.
	first := make([]byte, 4096)
	if _, err := io.ReadFull(out, first); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(os.Interrupt)
	rest, _ := io.ReadAll(out)
	_ = cmd.Wait()
	written := strings.Count(string(first)+string(rest), "\n") - 1 // less the header
	var rows int
	_, said, _ := strings.Cut(stderr.String(), "error: ")
	if _, err := fmt.Sscanf(said, "interrupted after %d rows", &rows); err != nil {
		t.Fatalf("exit %d, stderr %q: want how far it got", cmd.ProcessState.ExitCode(), stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupt || rows != written || rows >= 200_000 || !strings.HasSuffix(string(rest), "\n") {
		t.Errorf("exit %d, %d rows said, %d written: want 130 and the rows said written whole", code, rows, written)
	}
}
