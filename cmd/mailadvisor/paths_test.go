package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// panicWriter panics on the first write: a bug in a command's output.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("boom") }

// A panic is an internal error: one line saying so, the stack, exit 1
// (Go's own exit for a panic, 2, reads as bad input).
func TestPanicIsAnInternalError(t *testing.T) {
	var stderr strings.Builder
	code := run([]string{"version"}, streams{in: strings.NewReader(""), out: panicWriter{}, err: &stderr})
	first, _, _ := strings.Cut(stderr.String(), "\n")
	if code != exitFailure || first != "mailadvisor: internal error: boom (a bug: please report it with the command)" ||
		!strings.Contains(stderr.String(), "goroutine ") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// File names reach the terminal escaped: an ESC in a name cannot change
// the terminal's title or colours.
func TestFileNamesAreEscaped(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	name := "nope\x1b]0;pwned\a.cf"
	for _, args := range [][]string{
		{"lint", name},
		{"batch", "-i", name, "--input-format", "csv", "--domain", "example.com", "--tar", "-"},
		{"batch", "-i", name, "--domain", "example.com", "--tar", "-"},
		{"advise", "-f", name},
	} {
		var stdout, stderr strings.Builder
		code := run(args, streams{in: strings.NewReader(""), out: &stdout, err: &stderr})
		if code != exitUsage || strings.ContainsAny(stderr.String(), "\x1b\a") || !strings.Contains(stderr.String(), `nope\x1b]0;pwned\a.cf`) {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// A batch whose archive cannot be written says so: exit 1, and no row
// counted as written.
func TestBatchToAFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	for _, rows := range []int{2, 3000} {
		var in strings.Builder
		in.WriteString("email\n")
		for i := range rows {
			in.WriteString("u" + strconv.Itoa(i) + "@example.com\n")
		}
		cmd := exec.Command(os.Args[0], "batch", "-i", "-", "--input-format", "csv", "--domain", "example.com", "--tar", "-")
		cmd.Env = []string{contractExecEnv + "=1", "HOME=" + t.TempDir()}
		cmd.Stdin = strings.NewReader(in.String())
		full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Skip(err)
		}
		cmd.Stdout = full
		var stderr strings.Builder
		cmd.Stderr = &stderr
		_ = cmd.Run()
		full.Close()
		if code := cmd.ProcessState.ExitCode(); code != exitFailure || !strings.Contains(stderr.String(), "batch failed: ") ||
			!strings.Contains(stderr.String(), " 0 written") || !strings.Contains(stderr.String(), "no space left on device") {
			t.Errorf("%d rows: exit %d, stderr %q", rows, code, stderr.String())
		}
	}
}

// An I/O error names the file the user gave, not its temporary name.
func TestWriteErrorsNameTheTarget(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "report.html")
	f, err := (&inputSet{}).create("out", target, false)
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Close() // the next write fails
	_, werr := f.Write([]byte("x"))
	f.Abort()
	if werr == nil || !strings.Contains(werr.Error(), target) || strings.Contains(werr.Error(), ".tmp") {
		t.Errorf("write error %v, want it to name %s", werr, target)
	}
}
