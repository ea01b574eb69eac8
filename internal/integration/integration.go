// Package integration lets tests that need an outside program (openssl,
// doveconf, postconf...) skip with a clear message when it is missing, and
// fail instead when MAILADVISOR_INTEGRATION=1, as CI sets it.
package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
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
	Uses(t, path)
	return path
}

// Uses records that the test drives an outside program (or needs root),
// for the summary of `make test`.
func Uses(t testing.TB, what string) {
	t.Helper()
	t.Logf("integration: uses %s", what)
}

// Missing skips the test with why, or fails it when Enabled.
func Missing(t testing.TB, why string) {
	t.Helper()
	if Enabled() {
		t.Fatalf("%s and MAILADVISOR_INTEGRATION=1: install it (see .ci/run)", why)
	}
	t.Skipf("%s: skipping (set MAILADVISOR_INTEGRATION=1 to make this a failure)", why)
}

// ArtifactDir is where tests keep files for people to look at
// (screenshots, PDFs): $MAILADVISOR_ARTIFACTS (CI sets it), else a
// directory under the system's temporary one; the caller logs the paths.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("MAILADVISOR_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "mailadvisor-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// SelfSignedCert writes a throwaway ECDSA P-256 certificate for hosts
// (names or IP addresses) and its key into dir, readable by the mail
// daemons, and returns their paths.
func SelfSignedCert(t testing.TB, dir string, hosts ...string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(path, typ string, der []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(certFile, "CERTIFICATE", der)
	write(keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile
}
