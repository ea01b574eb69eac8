package templates

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// DKIMKeyBits is the size of the RSA keys NewDKIMKey makes: 2048 bits, what
// RFC 8301 recommends and every receiver verifies (Ed25519, RFC 8463, is
// still not verified by all).
const DKIMKeyBits = 2048

// NewDKIMKey makes a DKIM signing key: RSA, PKCS #8 PEM, as rspamd reads it.
func NewDKIMKey() ([]byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, DKIMKeyBits)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// DKIMRecord is the DNS TXT value that publishes the public part of a
// DKIM private key in PEM (PKCS #1 or #8; RSA of 2048 bits or more, or
// Ed25519).
func DKIMRecord(privatePEM []byte) (string, error) {
	block, _ := pem.Decode(privatePEM)
	if block == nil {
		return "", errors.New("not a PEM private key")
	}
	var key crypto.PrivateKey
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return "", fmt.Errorf("a PEM %q block, not a private key", block.Type)
	}
	if err != nil {
		return "", err
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < DKIMKeyBits {
			return "", fmt.Errorf("an RSA key of %d bits: receivers distrust keys under %d bits (RFC 8301)", k.N.BitLen(), DKIMKeyBits)
		}
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			return "", err
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PrivateKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey)), nil
	default:
		return "", fmt.Errorf("a %T key: DKIM signs with RSA or Ed25519", key)
	}
}

// txtStrings splits a TXT value into the quoted strings of at most 255
// bytes that a zone file needs (RFC 1035 §3.3.14); a verifier joins them.
func txtStrings(value string) []string {
	var out []string
	for len(value) > 255 {
		out = append(out, value[:255])
		value = value[255:]
	}
	return append(out, value)
}
