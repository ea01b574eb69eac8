package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// heavyInits are the packages whose initialisation allocates more than
// heavyInitBytes when any command starts, and the command that needs
// each: Go runs the init of every package linked, whichever command
// runs, so each is paid by all (BENCHMARKS.md, start-up). A package new
// to this list is a cost every command pays: make its work lazy, or
// record here why it is worth it.
var heavyInits = map[string]string{
	"github.com/olekukonko/tablewriter/pkg/twwidth":  "table output (advise, cost, carbon...): the brief's tablewriter, East Asian width detection",
	"github.com/olekukonko/errors":                   "table output: tablewriter's errors",
	"gonum.org/v1/plot":                              "report's charts: the brief's plotting library, its default fonts",
	"codeberg.org/go-latex/latex/mtex/symbols":       "report's charts: gonum/plot's text",
	"codeberg.org/go-latex/latex/font/ttf":           "report's charts: gonum/plot's fonts",
	"encoding/gob":                                   "report's charts: gonum/plot's PDF back end (go-pdf/fpdf), linked by plot.Save",
	"github.com/prometheus/procfs":                   "serve's /metrics: the brief's prometheus/client_golang, its process collector",
	"github.com/prometheus/client_golang/prometheus": "serve's /metrics: the default registry",
	"github.com/subosito/gotenv":                     "settings: viper's .env reader",
	"go.yaml.in/yaml/v3":                             "scenario, rules and domain files",
	"github.com/klauspost/compress/flate":            "batch --zip",
	"github.com/miekg/dns":                           "discover and probe: DANE and DNSSEC records",
	"encoding/xml":                                   "profiles and lint",
	"html/template":                                  "the serve page and the HTML report",
	"github.com/schollz/progressbar/v3":              "batch progress",
}

// heavyInitBytes is what a package may allocate at start-up without a
// line in heavyInits.
const heavyInitBytes = 16 << 10

// ownInitBytes bounds what each of mailadvisor's own packages allocates
// at start-up: the rules, models, templates, fonts and catalogues are
// parsed on first use, not when a command that never uses them starts.
const ownInitBytes = 20 << 10

// initCost runs the binary with GODEBUG=inittrace=1 and returns the bytes
// each package's initialisation allocated (deterministic, unlike times).
func initCost(t *testing.T, bin string, args ...string) map[string]int {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr.String())
	}
	out := map[string]int{}
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init PKG @0.5 ms, 0.01 ms clock, 1234 bytes, 5 allocs
		f := strings.Fields(sc.Text())
		if len(f) < 9 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		n, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("inittrace line %q: %v", sc.Text(), err)
		}
		out[f[1]] += n
	}
	if len(out) == 0 {
		t.Fatalf("%v: no inittrace lines:\n%s", args, stderr.String())
	}
	return out
}

// Start-up pays for no package it does not record: GODEBUG=inittrace=1
// for the release binary running `advise -o json` (the main job) lists
// what each package's init allocates. A library whose init is heavy and
// not in heavyInits, or a package of ours that does work at start-up
// (a rules file parsed, a template compiled), fails.
func TestStartupInitCost(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mailadvisor")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cost := initCost(t, bin, "advise", "-o", "json", "--no-config")
	var pkgs []string
	for p := range cost {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	total, own := 0, 0
	for _, p := range pkgs {
		n := cost[p]
		total += n
		switch {
		case strings.HasPrefix(p, "github.com/mailadvisor/mailadvisor"):
			own += n
			if n > ownInitBytes {
				t.Errorf("%s allocates %d bytes at start-up (at most %d): make its work lazy (sync.OnceValue)", p, n, ownInitBytes)
			}
		case n > heavyInitBytes:
			if _, ok := heavyInits[p]; !ok {
				t.Errorf("%s allocates %d bytes at start-up, paid by every command: make it lazy, or record it in heavyInits", p, n)
			}
		}
	}
	for p := range heavyInits {
		if cost[p] <= heavyInitBytes {
			t.Errorf("heavyInits records %s, which allocates %d bytes at start-up now: take it off", p, cost[p])
		}
	}
	t.Logf("%d packages initialised, %d bytes; mailadvisor's own %d bytes", len(pkgs), total, own)
}
