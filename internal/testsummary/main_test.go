package main

import (
	"strings"
	"testing"
)

// The summary counts top-level tests, names the skipped integration tests
// with their reason, and fails on a failed test or build.
func TestSummarize(t *testing.T) {
	in := `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:1: integration: uses /usr/bin/openssl\n"}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.1}
{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:9: doveconf is missing: skipping (set MAILADVISOR_INTEGRATION=1 to make this a failure)\n"}
{"Action":"skip","Package":"p","Test":"TestB"}
{"Action":"pass","Package":"p","Test":"TestC/sub"}
{"Action":"pass","Package":"p","Test":"TestC"}
{"Action":"pass","Package":"p","Elapsed":0.5}
`
	var out strings.Builder
	if code := summarize(strings.NewReader(in), &out); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	for _, want := range []string{"ok  \tp\t0.500s", "integration tests: 1 ran, 1 skipped",
		"skipped TestB (p): b_test.go:9: doveconf is missing", "2 passed, 0 failed, 1 skipped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}

	failing := `{"Action":"output","Package":"p","Test":"TestD","Output":"boom\n"}
{"Action":"fail","Package":"p","Test":"TestD"}
{"Action":"fail","Package":"p"}
`
	out.Reset()
	if code := summarize(strings.NewReader(failing), &out); code != 1 || !strings.Contains(out.String(), "--- FAIL: TestD (p)\nboom") {
		t.Errorf("a failed test: exit %d:\n%s", code, out.String())
	}
	// A failed subtest shows its own output, and counts once, with its parent.
	sub := `{"Action":"output","Package":"p","Test":"TestE/debian12","Output":"    e_test.go:3: jail dovecot did not ban\n"}
{"Action":"fail","Package":"p","Test":"TestE/debian12"}
{"Action":"output","Package":"p","Test":"TestE","Output":"--- FAIL: TestE (0.00s)\n"}
{"Action":"fail","Package":"p","Test":"TestE"}
{"Action":"fail","Package":"p"}
`
	out.Reset()
	if code := summarize(strings.NewReader(sub), &out); code != 1 || !strings.Contains(out.String(), "--- FAIL: TestE/debian12 (p)\n    e_test.go:3: jail dovecot did not ban") ||
		!strings.Contains(out.String(), "0 passed, 1 failed") {
		t.Errorf("a failed subtest: exit %d:\n%s", code, out.String())
	}
	out.Reset()
	if code := summarize(strings.NewReader("# p\nx.go:1: undefined: y\n{\"Action\":\"build-fail\",\"ImportPath\":\"p\"}\n"), &out); code != 1 {
		t.Errorf("a failed build: exit %d", code)
	}
}
