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
// that only imports the libraries the brief chose (libfloor), `mailadvisor
// version` (the binary's own start-up) and `mailadvisor advise -o json`,
// interleaved in the same run so that they see the same machine. It
// reports each one's wall time per run and the ratio to hello-world.
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	bins := map[string]string{}
	for name, pkg := range map[string]string{
		"hello":       "./testdata/startup/hello",
		"libfloor":    "./testdata/startup/libfloor",
		"mailadvisor": ".",
	} {
		bins[name] = filepath.Join(dir, name)
		build := exec.Command("go", "build", "-o", bins[name], pkg)
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
		{"libfloor", "libfloor", nil},
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
// 1,000,000 users (autoconfig + mobileconfig into a tar stream) and
// reports its peak resident memory and rate. Run it alone:
// go test -run XXX -bench BatchMillionUsers -benchtime 1x ./cmd/mailadvisor
func BenchmarkBatchMillionUsers(b *testing.B) {
	const users = 1_000_000
	dir := b.TempDir()
	bin := filepath.Join(dir, "mailadvisor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	input := filepath.Join(dir, "users.csv")
	f, err := os.Create(input)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("email\n")
	for i := 0; i < users; i++ {
		fmt.Fprintf(w, "user%d@example.com\n", i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	var maxRSS int64
	var elapsed time.Duration
	for b.Loop() {
		cmd := exec.Command(bin, "batch", "-i", input, "--domain", "example.com", "--formats", "autoconfig,mobileconfig", "--tar", "-")
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
	}
	b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MB")
	b.ReportMetric(float64(users*b.N)/elapsed.Seconds(), "users/s")
}
