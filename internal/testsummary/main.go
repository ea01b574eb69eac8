// Command testsummary reads `go test -json` on stdin and prints what `go
// test` prints (a line per package, the output of failed tests), then what
// it does not: which integration tests ran and which were skipped, and
// why. It ends with the line "N passed, N failed, N skipped" and exits 1
// when a test or a build failed. `make test` pipes the suite through it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

// integrationMark starts the log line that internal/integration writes
// when a test uses an outside program; skipMark is in its skip message.
const (
	integrationMark = "integration: uses "
	skipMark        = "MAILADVISOR_INTEGRATION=1"
)

func main() {
	os.Exit(summarize(os.Stdin, os.Stdout))
}

type testKey struct{ pkg, test string }

func summarize(in io.Reader, out io.Writer) int {
	var (
		output      = map[testKey][]string{}
		passed      int
		failed      int
		skipped     int
		integration = map[testKey]bool{}
		skips       = map[testKey]string{}
		failedBuild bool
	)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintln(out, string(line)) // build errors and other plain text
			continue
		}
		key := testKey{e.Package, e.Test}
		switch e.Action {
		case "output", "build-output":
			output[key] = append(output[key], e.Output)
			if strings.Contains(e.Output, integrationMark) {
				integration[key] = true
			}
			if strings.Contains(e.Output, skipMark) && strings.Contains(e.Output, "skipping") {
				skips[key] = strings.TrimSpace(e.Output)
			}
		case "build-fail":
			failedBuild = true
			fmt.Fprint(out, strings.Join(output[key], ""))
		case "pass", "fail", "skip":
			if e.Test == "" { // the package
				if e.Action == "fail" {
					fmt.Fprint(out, strings.Join(output[key], ""))
					fmt.Fprintf(out, "FAIL\t%s\n", e.Package)
				} else {
					fmt.Fprintf(out, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
				}
				continue
			}
			if strings.Contains(e.Test, "/") {
				// Subtests count with their parent, but a failed one
				// shows its own output: the parent's says only that it failed.
				if e.Action == "fail" {
					fmt.Fprintf(out, "--- FAIL: %s (%s)\n%s", e.Test, e.Package, strings.Join(output[key], ""))
				}
				continue
			}
			switch e.Action {
			case "pass":
				passed++
			case "fail":
				failed++
				fmt.Fprintf(out, "--- FAIL: %s (%s)\n%s", e.Test, e.Package, strings.Join(output[key], ""))
			case "skip":
				skipped++
			}
		}
	}
	ran := names(integration, func(k testKey) bool { _, skip := skips[k]; return !skip })
	fmt.Fprintf(out, "\nintegration tests: %d ran, %d skipped\n", len(ran), len(skips))
	for _, k := range sortedKeys(skips) {
		fmt.Fprintf(out, "  skipped %s (%s): %s\n", k.test, k.pkg, skips[k])
	}
	if len(skips) > 0 {
		fmt.Fprintln(out, "  (install what they need, see .ci/run, and set MAILADVISOR_INTEGRATION=1 to make these failures)")
	}
	fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || failedBuild {
		return 1
	}
	return 0
}

func names(set map[testKey]bool, keep func(testKey) bool) []testKey {
	var out []testKey
	for k := range set {
		if keep(k) {
			out = append(out, k)
		}
	}
	return out
}

func sortedKeys(m map[testKey]string) []testKey {
	keys := make([]testKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].pkg != keys[j].pkg {
			return keys[i].pkg < keys[j].pkg
		}
		return keys[i].test < keys[j].test
	})
	return keys
}
