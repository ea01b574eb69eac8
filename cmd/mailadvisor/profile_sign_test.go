package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/integration"
)

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, streams{in: strings.NewReader(""), out: &out, err: &errOut})
	return out.String(), errOut.String(), code
}

// `profile mobileconfig --sign-cert --sign-key` writes a DER CMS
// SignedData from which openssl recovers the unsigned profile byte for byte.
func TestSignedMobileconfigVerifiesWithOpenSSL(t *testing.T) {
	openssl := integration.RequireProgram(t, "openssl")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	gen := exec.Command(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", key, "-out", cert, "-subj", "/CN=profiles.example.com", "-days", "1")
	if msg, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, msg)
	}
	signed, unsigned := filepath.Join(dir, "signed.mobileconfig"), filepath.Join(dir, "unsigned.mobileconfig")
	if _, stderr, code := runCLI(t, "profile", "mobileconfig", "--email", "o'neil+tag@example.com", "--out", unsigned); code != 0 {
		t.Fatalf("unsigned: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runCLI(t, "profile", "mobileconfig", "--email", "o'neil+tag@example.com",
		"--sign-cert", cert, "--sign-key", key, "--out", signed); code != 0 {
		t.Fatalf("signed: exit %d: %s", code, stderr)
	}
	recovered := filepath.Join(dir, "recovered")
	verify := exec.Command(openssl, "smime", "-verify", "-noverify", "-inform", "DER", "-in", signed, "-out", recovered)
	if msg, err := verify.CombinedOutput(); err != nil {
		t.Fatalf("openssl smime -verify: %v\n%s", err, msg)
	}
	want, _ := os.ReadFile(unsigned)
	got, _ := os.ReadFile(recovered)
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Errorf("recovered profile differs from the unsigned one (%d vs %d bytes)", len(got), len(want))
	}

	_, stderr, code := runCLI(t, "profile", "mobileconfig", "--email", "a@example.com", "--sign-cert", cert, "--sign-key", cert)
	if code != 2 || !strings.Contains(stderr, "--sign-cert/--sign-key") {
		t.Errorf("a bad key: exit %d, %q", code, stderr)
	}
}
