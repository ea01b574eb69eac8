// Package integration lets tests that need an outside program (openssl,
// doveconf, postconf...) skip with a clear message when it is missing, and
// fail instead when MAILADVISOR_INTEGRATION=1, as CI sets it.
package integration

import (
	"os"
	"os/exec"
	"testing"
)

// Enabled reports whether MAILADVISOR_INTEGRATION=1 asks for every
// integration test to run.
func Enabled() bool { return os.Getenv("MAILADVISOR_INTEGRATION") == "1" }

// RequireProgram returns the path of a program, or skips the test when it
// is missing (fails it when Enabled).
func RequireProgram(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is missing")
	}
	return path
}

// Missing skips the test with why, or fails it when Enabled.
func Missing(t testing.TB, why string) {
	t.Helper()
	if Enabled() {
		t.Fatalf("%s and MAILADVISOR_INTEGRATION=1: install it (see .ci/run)", why)
	}
	t.Skipf("%s: skipping (set MAILADVISOR_INTEGRATION=1 to make this a failure)", why)
}
