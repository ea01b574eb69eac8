package batch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mailadvisor/mailadvisor/profiles"
)

// usersCSV makes n rows of users on one domain.
func usersCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("email,display_name\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "user%d@example.com,User %d\n", i, i)
	}
	return b.Bytes()
}

func benchConfig(b testing.TB, formats ...string) Config {
	d := &profiles.Domain{Domains: []string{"example.com"}, DisplayName: "Example"}
	if err := d.Normalize(); err != nil {
		b.Fatal(err)
	}
	return Config{Domain: d, Formats: formats}
}

func runOnce(b testing.TB, cfg Config, input []byte, sink Sink) Summary {
	in, err := NewReader(bytes.NewReader(input), CSV)
	if err != nil {
		b.Fatal(err)
	}
	sum, err := Run(context.Background(), cfg, in, sink, func(Result) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	if sum.Rejected > 0 {
		b.Fatalf("%d rows rejected", sum.Rejected)
	}
	return sum
}

// BenchmarkTar: autoconfig + mobileconfig for 20,000 users into a tar
// stream, on every core. It reports users per second of wall time, that
// divided by the cores, and users per CPU-second (user + system time of
// the process), which a noisy shared machine disturbs less.
func BenchmarkTar(b *testing.B) {
	const users = 20000
	input := usersCSV(users)
	cfg := benchConfig(b, "autoconfig", "mobileconfig")
	cpuStart := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		runOnce(b, cfg, input, NewTarSink(io.Discard))
	}
	cpu := cpuSeconds() - cpuStart
	perSecond := float64(users*b.N) / b.Elapsed().Seconds()
	b.ReportMetric(perSecond, "users/s")
	b.ReportMetric(perSecond/float64(runtime.GOMAXPROCS(0)), "users/s/core")
	b.ReportMetric(float64(users*b.N)/cpu, "users/cpu-s")
}

// cpuSeconds is the process's user and system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// generatedCSV streams n rows without holding them in memory.
type generatedCSV struct {
	n, i int
	buf  []byte
}

func (g *generatedCSV) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i <= g.n {
		if g.i == 0 {
			g.buf = append(g.buf, "email\n"...)
		} else {
			g.buf = append(g.buf, "user"+strconv.Itoa(g.i)+"@example.com\n"...)
		}
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

// BenchmarkDirectory compares writing a directory tree with the batch
// against a bare loop of os.WriteFile of the same files (the file
// system's limit), in the same run, alternating; reports the ratio.
// BATCH_BENCH_DIR puts the trees there (/dev/shm: tmpfs, the kernel's
// cost alone).
//
//	BATCH_BENCH_DIR=/dev/shm go test ./profiles/batch -run XXX -bench Directory -benchtime 10x
func BenchmarkDirectory(b *testing.B) {
	const users = 5000
	input := usersCSV(users)
	cfg := benchConfig(b, Formats...)
	// The same files, generated beforehand for the bare loop.
	var files [][]File
	var addrs []string
	collectSink := sinkFunc(func(a string, f []File) error { addrs, files = append(addrs, a), append(files, f); return nil })
	runOnce(b, cfg, input, collectSink)
	var batchTotal, loopTotal float64
	batch := func(dir string) {
		start := nowSeconds()
		runOnce(b, cfg, input, mustDirSink(b, filepath.Join(dir, "batch"), false))
		batchTotal += nowSeconds() - start
	}
	loop := func(dir string) {
		start := nowSeconds()
		for j, a := range addrs {
			d := filepath.Join(dir, "loop", PathSafe(a))
			if err := os.MkdirAll(d, 0o755); err != nil {
				b.Fatal(err)
			}
			for _, f := range files[j] {
				if err := os.WriteFile(filepath.Join(d, f.Name), f.Data, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
		loopTotal += nowSeconds() - start
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dir := b.TempDir()
		if base := os.Getenv("BATCH_BENCH_DIR"); base != "" { // tmpfs: /dev/shm
			var err error
			if dir, err = os.MkdirTemp(base, "bench-"); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { os.RemoveAll(dir) })
		}
		if i%2 == 0 { // alternate, so that neither always runs on a warmer disk
			batch(dir)
			loop(dir)
		} else {
			loop(dir)
			batch(dir)
		}
	}
	b.ReportMetric(batchTotal/float64(b.N)*1000, "batch-ms")
	b.ReportMetric(loopTotal/float64(b.N)*1000, "writefile-loop-ms")
	b.ReportMetric(batchTotal/loopTotal, "batch/loop")
}

type sinkFunc func(string, []File) error

func (f sinkFunc) Write(a string, files []File) error { return f(a, files) }
func (f sinkFunc) Close() error                       { return nil }

// BenchmarkZipAgainstTar: every format for 100,000 users (BATCH_USERS to
// change it) into a zip and into a tar, alternating in each round;
// reports users per second of each and zip's share of tar's speed.
//
//	go test ./profiles/batch -run XXX -bench ZipAgainstTar -benchtime 3x
func BenchmarkZipAgainstTar(b *testing.B) {
	users := 100000
	if v, err := strconv.Atoi(os.Getenv("BATCH_USERS")); err == nil && v > 0 {
		users = v
	}
	cfg := benchConfig(b, Formats...)
	var zipTotal, tarTotal float64
	var zipBytes, tarBytes countWriter
	timed := func(total *float64, sink func() Sink) {
		start := nowSeconds()
		s := sink()
		in, err := NewReader(&generatedCSV{n: users}, CSV)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Run(context.Background(), cfg, in, s, func(Result) error { return nil }); err != nil {
			b.Fatal(err) // Run closes the sink
		}
		*total += nowSeconds() - start
	}
	zipRun := func() { timed(&zipTotal, func() Sink { return NewZipSink(&zipBytes) }) }
	tarRun := func() { timed(&tarTotal, func() Sink { return NewTarSink(&tarBytes) }) }
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			zipRun()
			tarRun()
		} else {
			tarRun()
			zipRun()
		}
	}
	n := float64(users * b.N)
	b.ReportMetric(n/zipTotal, "zip-users/s")
	b.ReportMetric(n/tarTotal, "tar-users/s")
	b.ReportMetric(tarTotal/zipTotal, "zip/tar-speed")
	b.ReportMetric(float64(zipBytes)/float64(tarBytes), "zip/tar-size")
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
