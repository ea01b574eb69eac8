package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStartup runs whole processes: a hello-world Go binary, a binary
// that only imports the libraries mailadvisor depends on (librariesonly), `mailadvisor
// version` (the binary's own start-up) and `mailadvisor advise -o json`,
// interleaved in the same run so that they see the same machine. It
// reports each one's wall time per run and the ratio to hello-world.
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	bins := map[string]string{}
	for name, pkg := range map[string]string{
		"hello":         "./testdata/startup/hello",
		"librariesonly": "./testdata/startup/librariesonly",
		"mailadvisor":   ".",
	} {
		bins[name] = filepath.Join(dir, name)
		// Static, as release binaries are built (make build): a cgo binary
		// pays the dynamic loader at every start, which hello-world does not.
		build := exec.Command("go", "build", "-o", bins[name], pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			b.Fatalf("build %s: %v", pkg, err)
		}
	}
	runs := []struct {
		name, bin string
		args      []string
	}{
		{"hello", "hello", nil},
		{"librariesonly", "librariesonly", nil},
		{"version", "mailadvisor", []string{"version"}},
		{"advise", "mailadvisor", []string{"advise", "-o", "json", "--no-config"}},
	}
	total := make([]time.Duration, len(runs))
	b.ResetTimer()
	for b.Loop() {
		for i, r := range runs {
			start := time.Now()
			cmd := exec.Command(bins[r.bin], r.args...)
			if err := cmd.Run(); err != nil {
				b.Fatalf("%s: %v", r.name, err)
			}
			total[i] += time.Since(start)
		}
	}
	for i, r := range runs {
		b.ReportMetric(float64(total[i].Microseconds())/float64(b.N), r.name+"-µs/run")
		if i > 0 {
			b.ReportMetric(float64(total[i])/float64(total[0]), r.name+"/hello")
		}
	}
}

// BenchmarkBatchMillionUsers runs `mailadvisor batch` as a process on
// 1,000,000 users (autoconfig + mobileconfig) for each output (tar stream,
// zip file, directory tree) from CSV, and for each input (CSV, JSON Lines,
// YAML) into a tar stream, and reports peak resident memory and rate. Run
// it alone (the directory case writes two million files):
// go test -run XXX -bench BatchMillionUsers -benchtime 1x ./cmd/mailadvisor
func BenchmarkBatchMillionUsers(b *testing.B) {
	const users = 1_000_000
	dir := b.TempDir()
	bin := filepath.Join(dir, "mailadvisor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	inputs := map[string]func(w *bufio.Writer, i int){
		"csv": func(w *bufio.Writer, i int) { fmt.Fprintf(w, "user%d@example.com,User %d\n", i, i) },
		"jsonl": func(w *bufio.Writer, i int) {
			fmt.Fprintf(w, `{"email":"user%d@example.com","display_name":"User %d"}`+"\n", i, i)
		},
		"yaml": func(w *bufio.Writer, i int) {
			fmt.Fprintf(w, "- email: user%d@example.com\n  display_name: User %d\n", i, i)
		},
	}
	for format, row := range inputs {
		f, err := os.Create(filepath.Join(dir, "users."+format))
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		if format == "csv" {
			_, _ = w.WriteString("email,display_name\n") // Flush reports any error
		}
		for i := 0; i < users; i++ {
			row(w, i)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	for _, c := range []struct{ input, output string }{
		{"csv", "tar"}, {"csv", "zip"}, {"csv", "dir"}, {"jsonl", "tar"}, {"yaml", "tar"},
	} {
		b.Run(c.input+"-to-"+c.output, func(b *testing.B) {
			var maxRSS int64
			var elapsed time.Duration
			for i := 0; b.Loop(); i++ {
				out := filepath.Join(dir, fmt.Sprintf("out-%s-%s-%d", c.input, c.output, i))
				args := []string{"batch", "-i", filepath.Join(dir, "users."+c.input), "--domain", "example.com",
					"--formats", "autoconfig,mobileconfig"}
				switch c.output {
				case "tar":
					args = append(args, "--tar", "-")
				case "zip":
					args = append(args, "--zip", out+".zip")
				case "dir":
					args = append(args, "--out", out)
				}
				cmd := exec.Command(bin, args...)
				var stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = io.Discard, &stderr
				start := time.Now()
				if err := cmd.Run(); err != nil {
					b.Fatalf("batch: %v\n%s", err, stderr.String())
				}
				elapsed += time.Since(start)
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > maxRSS {
					maxRSS = ru.Maxrss
				}
				_ = os.RemoveAll(out)
				_ = os.Remove(out + ".zip")
			}
			b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MB")
			b.ReportMetric(float64(users*b.N)/elapsed.Seconds(), "users/s")
		})
	}
}
