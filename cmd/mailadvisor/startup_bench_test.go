package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStartup runs whole processes: a hello-world Go binary, a binary
// that only imports mailadvisor's libraries, and `mailadvisor advise -o
// json`, interleaved in the same run so that they see the same machine.
// It reports each one's wall time per run and the ratio to hello-world.
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
		name string
		args []string
	}{
		{"hello", nil},
		{"libfloor", nil},
		{"mailadvisor", []string{"advise", "-o", "json", "--no-config"}},
	}
	total := make([]time.Duration, len(runs))
	b.ResetTimer()
	for b.Loop() {
		for i, r := range runs {
			start := time.Now()
			cmd := exec.Command(bins[r.name], r.args...)
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
