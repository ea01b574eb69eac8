package profiles

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailadvisor/mailadvisor/internal/integration"
)

// throwawaySigner makes a CA and a leaf certificate signed by it.
func throwawaySigner(t *testing.T) Signer {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "profiles.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return Signer{Cert: cert, Key: key, Chain: []*x509.Certificate{ca}}
}

// openssl recovers the unsigned profile byte for byte from the signed one.
func TestSignedProfileVerifiesWithOpenSSL(t *testing.T) {
	openssl := integration.RequireProgram(t, "openssl")
	unsigned, err := MobileconfigBytes(examplePlan(t, "o'neil+tag@example.com", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := throwawaySigner(t).Sign(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "signed.mobileconfig"), filepath.Join(dir, "content")
	if err := os.WriteFile(in, signed, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(openssl, "smime", "-verify", "-noverify", "-inform", "DER", "-in", in, "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl smime -verify: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, unsigned) {
		t.Errorf("recovered content differs from the unsigned profile (%d vs %d bytes)", len(got), len(unsigned))
	}
}
