package profiles

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// NewSigner refuses, before anything is signed, every pair that would
// fail or mislead later, each with the part and the reason.
func TestNewSignerChecksOnce(t *testing.T) {
	now := time.Now()
	certPEM := func(pub, priv any, notBefore, notAfter time.Time) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "profiles.example.com"},
			NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	keyPEM := func(priv any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	valid := certPEM(&ec.PublicKey, ec, now.Add(-time.Hour), now.Add(time.Hour))
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	for name, c := range map[string]struct {
		cert, key []byte
		part, say string
	}{
		"expired":       {certPEM(&ec.PublicKey, ec, now.Add(-48*time.Hour), now.Add(-time.Hour)), keyPEM(ec), "certificate", "expired on"},
		"not yet valid": {certPEM(&ec.PublicKey, ec, now.Add(time.Hour), now.Add(48*time.Hour)), keyPEM(ec), "certificate", "not valid before"},
		"mismatch":      {valid, keyPEM(other), "pair", "cannot be used with the certificate"},
		"ed25519":       {certPEM(edPub, edPriv, now.Add(-time.Hour), now.Add(time.Hour)), keyPEM(edPriv), "key", "want RSA (2048 bits or more) or ECDSA"},
		"rsa-1024":      {certPEM(&weak.PublicKey, weak, now.Add(-time.Hour), now.Add(time.Hour)), keyPEM(weak), "key", "RSA of 1024 bits is too weak"},
		"encrypted":     {valid, encrypted, "key", "encrypted with a passphrase"},
		"not a key":     {valid, valid, "pair", "cannot be used"},
	} {
		_, err := NewSigner(c.cert, c.key, nil, now)
		var se *SignerError
		if !errors.As(err, &se) || se.Part != c.part || !strings.Contains(se.Problem, c.say) {
			t.Errorf("%s: %v, want a %s error saying %q", name, err, c.part, c.say)
		}
	}
	if _, err := NewSigner(valid, keyPEM(ec), nil, now); err != nil {
		t.Errorf("a good pair: %v", err)
	}
}

// FuzzNewSigner: any PEM input is refused with a SignerError, never a
// panic.
func FuzzNewSigner(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, cert, key []byte) {
		if _, err := NewSigner(cert, key, cert, time.Now()); err != nil {
			var se *SignerError
			if !errors.As(err, &se) {
				t.Fatalf("error of type %T: %v", err, err)
			}
		}
	})
}
