package lint

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
	"howett.net/plist"

	"github.com/mailadvisor/mailadvisor/internal/integration"
	"github.com/mailadvisor/mailadvisor/internal/testmem"
)

// sharedArrays is a binary plist of n arrays, each holding the one before
// it twice: a few hundred bytes that decode to 2^n objects.
func sharedArrays(n int) []byte {
	var b bytes.Buffer
	b.WriteString("bplist00")
	offsets := []int{b.Len()}
	b.Write([]byte{0x51, 'x'}) // object 0: the string "x"
	for i := 1; i <= n; i++ {
		offsets = append(offsets, b.Len())
		b.Write([]byte{0xA2, byte(i - 1), byte(i - 1)})
	}
	table := b.Len()
	for _, o := range offsets {
		_ = binary.Write(&b, binary.BigEndian, uint16(o))
	}
	trailer := make([]byte, 32)
	trailer[6], trailer[7] = 2, 1
	binary.BigEndian.PutUint64(trailer[8:], uint64(len(offsets)))
	binary.BigEndian.PutUint64(trailer[16:], uint64(n))
	binary.BigEndian.PutUint64(trailer[24:], uint64(table))
	b.Write(trailer)
	return b.Bytes()
}

// hostileInputs are the files, each a few bytes to a few MB that
// asked a decoder for gigabytes or minutes.
func hostileInputs() map[string][]byte {
	deepDefinite := []byte{0x04, 0x00}
	for range 5000 {
		l := len(deepDefinite)
		head := []byte{0x30, 0x82, byte(l >> 8), byte(l)}
		deepDefinite = append(head, deepDefinite...)
	}
	flat := strings.Builder{}
	flat.WriteString(`<?xml version="1.0"?><clientConfig version="1.1"><emailProvider id="example.com">`)
	for flat.Len() < 2_500_000 {
		flat.WriteString("<domain>example.com</domain>&amp;\n")
	}
	flat.WriteString(`</emailProvider></clientConfig>`)
	return map[string][]byte{
		"shared plist references (161 bytes)": sharedArrays(30),
		"nested indefinite BER (4 MB)":        bytes.Repeat([]byte{0x30, 0x80}, 2<<20),
		"flat indefinite BER (4 MB)":          append(append([]byte{0x30, 0x80}, bytes.Repeat([]byte{0x04, 0x00}, 2<<20-2)...), 0, 0),
		"nested definite DER":                 deepDefinite,
		"flat autoconfig (2.5 MB)":            []byte(flat.String()),
	}
}

// Each hostile input is refused or read within a budget: memory asserted
// from the process's own counters, time by a CPU-time limit on a child
// process (before this change the flat file took over 120 s and the plist
// 3.8 GB).
func TestLintBoundsHostileInputs(t *testing.T) {
	if name := os.Getenv("MAILADVISOR_LINT_CHILD"); name != "" {
		// The child: a CPU-time limit of 20 s, then lint the input once.
		if err := syscall.Setrlimit(syscall.RLIMIT_CPU, &syscall.Rlimit{Cur: 20, Max: 20}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Lint(name, hostileInputs()[name]); err != nil {
			t.Fatal(err)
		}
		return
	}
	for name, data := range hostileInputs() {
		t.Run(name, func(t *testing.T) {
			var findings []Finding
			n := testmem.Allocated(func() {
				var err error
				if _, findings, err = Lint("hostile", data); err != nil {
					t.Fatal(err)
				}
			})
			// Linear in the file: encoding/xml's tokens and the tree cost
			// about 60 bytes a byte of a file made of short elements
			// (the quadratic reading this replaced took 5.4 GB).
			if limit := uint64(64<<20) + 100*uint64(len(data)); n > limit && !raceEnabled {
				t.Errorf("allocated %d MiB for %d bytes: want at most %d MiB", n>>20, len(data), limit>>20)
			}
			if !strings.HasPrefix(name, "flat") && !hasRule(findings, "apple-malformed") {
				t.Errorf("findings %+v: want apple-malformed", findings)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestLintBoundsHostileInputs$")
			cmd.Env = append(os.Environ(), "MAILADVISOR_LINT_CHILD="+name)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("with 20 s of CPU: %v\n%s", err, out)
			}
		})
	}
}

func hasRule(findings []Finding, id string) bool {
	for _, f := range findings {
		if f.Rule == id {
			return true
		}
	}
	return false
}

// The budgets refuse nothing a real profile has: the example profile as a
// binary plist, and signed (DER, and the BER with indefinite lengths that
// openssl writes when it streams), gives the findings of its XML form.
func TestLintBoundsKeepRealProfiles(t *testing.T) {
	xmlProfile, err := os.ReadFile(filepath.Join("testdata", "corpus", "old-iphone.mobileconfig"))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if _, err := plist.Unmarshal(xmlProfile, &v); err != nil {
		t.Fatal(err)
	}
	binaryProfile, err := plist.Marshal(v, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkBinaryPlist(binaryProfile); err != nil {
		t.Errorf("the example profile as a binary plist: %v", err)
	}
	rules := func(data []byte) string {
		_, fs, err := Lint("p.mobileconfig", data)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, f := range fs {
			if f.Rule != "apple-unsigned" && f.Rule != "apple-signed" {
				ids = append(ids, f.Rule)
			}
		}
		slices.Sort(ids) // a binary plist has no line numbers to order by
		return strings.Join(ids, " ")
	}
	want := rules(xmlProfile)
	if got := rules(binaryProfile); got != want {
		t.Errorf("binary plist: %q, want the XML's %q", got, want)
	}
	cert, key := throwawayCert(t)
	sd, err := pkcs7.NewSignedData(xmlProfile)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.AddSigner(cert, key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	signed, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkDER(signed); err != nil {
		t.Errorf("a signed profile: %v", err)
	}
	if got := rules(signed); got != want {
		t.Errorf("signed: %q, want %q", got, want)
	}
}

// openssl's CMS signing with -stream writes BER with indefinite lengths;
// the signature walker reads it as pkcs7 does.
func TestLintReadsOpenSSLStreamedSignature(t *testing.T) {
	openssl := integration.RequireProgram(t, "openssl")
	xmlProfile, err := os.ReadFile(filepath.Join("testdata", "corpus", "old-iphone.mobileconfig"))
	if err != nil {
		t.Fatal(err)
	}
	cert, key := throwawayCert(t)
	dir := t.TempDir()
	certPEM, keyPEM := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for path, block := range map[string]*pem.Block{certPEM: {Type: "CERTIFICATE", Bytes: cert.Raw}, keyPEM: {Type: "PRIVATE KEY", Bytes: der}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	in, out := filepath.Join(dir, "p.mobileconfig"), filepath.Join(dir, "signed")
	if err := os.WriteFile(in, xmlProfile, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(openssl, "cms", "-sign", "-stream", "-nodetach", "-binary", "-outform", "DER",
		"-signer", certPEM, "-inkey", keyPEM, "-in", in, "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl cms -sign: %v\n%s", err, msg)
	}
	streamed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(streamed, []byte{0x30, 0x80}) {
		t.Errorf("openssl wrote % x: want the indefinite lengths this test is for", streamed[:4])
	}
	if err := checkDER(streamed); err != nil {
		t.Errorf("openssl's streamed signature: %v", err)
	}
	_, fs, err := Lint("p.mobileconfig", streamed)
	if err != nil {
		t.Fatal(err)
	}
	if hasRule(fs, "apple-malformed") || hasRule(fs, "apple-unsigned") {
		t.Errorf("findings %+v: want it read as a signed profile", fs)
	}
}

func throwawayCert(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "profiles.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}
