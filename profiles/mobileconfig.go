package profiles

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/smallstep/pkcs7"
	"howett.net/plist"

	"github.com/mailadvisor/mailadvisor/internal/mailports"
)

// Apple configuration profile with one com.apple.mail.managed payload.
// The profile cannot say STARTTLS, only UseSSL, so it takes the first
// implicit-TLS endpoint of each direction (for submission, 587 with
// STARTTLS when a provider offers nothing else). UUIDs are version-5 UUIDs of
// the account, so that a regenerated profile replaces the installed one.
// No password is ever embedded.

type profileXML struct {
	PayloadType        string `plist:"PayloadType"`
	PayloadVersion     int    `plist:"PayloadVersion"`
	PayloadIdentifier  string `plist:"PayloadIdentifier"`
	PayloadUUID        string `plist:"PayloadUUID"`
	PayloadDisplayName string `plist:"PayloadDisplayName"`
	PayloadDescription string `plist:"PayloadDescription"`
	PayloadContent     []any  `plist:"PayloadContent"` // mailPayload, then calDAVPayload, cardDAVPayload
}

// calDAVPayload and cardDAVPayload are Apple's com.apple.caldav.account
// and com.apple.carddav.account (apple/device-management): the host, its
// port, SSL, the URL as principal URL, the login; never a password.
type calDAVPayload struct {
	PayloadType        string `plist:"PayloadType"`
	PayloadVersion     int    `plist:"PayloadVersion"`
	PayloadIdentifier  string `plist:"PayloadIdentifier"`
	PayloadUUID        string `plist:"PayloadUUID"`
	PayloadDisplayName string `plist:"PayloadDisplayName"`
	Description        string `plist:"CalDAVAccountDescription"`
	HostName           string `plist:"CalDAVHostName"`
	Port               int    `plist:"CalDAVPort"`
	PrincipalURL       string `plist:"CalDAVPrincipalURL"`
	UseSSL             bool   `plist:"CalDAVUseSSL"`
	Username           string `plist:"CalDAVUsername,omitempty"`
}

type cardDAVPayload struct {
	PayloadType        string `plist:"PayloadType"`
	PayloadVersion     int    `plist:"PayloadVersion"`
	PayloadIdentifier  string `plist:"PayloadIdentifier"`
	PayloadUUID        string `plist:"PayloadUUID"`
	PayloadDisplayName string `plist:"PayloadDisplayName"`
	Description        string `plist:"CardDAVAccountDescription"`
	HostName           string `plist:"CardDAVHostName"`
	Port               int    `plist:"CardDAVPort"`
	PrincipalURL       string `plist:"CardDAVPrincipalURL"`
	UseSSL             bool   `plist:"CardDAVUseSSL"`
	Username           string `plist:"CardDAVUsername,omitempty"`
}

// Apple payload types of the calendar and address book accounts.
const (
	calDAVPayloadType  = "com.apple.caldav.account"
	cardDAVPayloadType = "com.apple.carddav.account"
)

type mailPayload struct {
	PayloadType                      string `plist:"PayloadType"`
	PayloadVersion                   int    `plist:"PayloadVersion"`
	PayloadIdentifier                string `plist:"PayloadIdentifier"`
	PayloadUUID                      string `plist:"PayloadUUID"`
	PayloadDisplayName               string `plist:"PayloadDisplayName"`
	EmailAccountDescription          string `plist:"EmailAccountDescription"`
	EmailAccountName                 string `plist:"EmailAccountName,omitempty"`
	EmailAccountType                 string `plist:"EmailAccountType"`
	EmailAddress                     string `plist:"EmailAddress,omitempty"`
	IncomingMailServerAuthentication string `plist:"IncomingMailServerAuthentication"`
	IncomingMailServerHostName       string `plist:"IncomingMailServerHostName"`
	IncomingMailServerPortNumber     int    `plist:"IncomingMailServerPortNumber"`
	IncomingMailServerUseSSL         bool   `plist:"IncomingMailServerUseSSL"`
	IncomingMailServerUsername       string `plist:"IncomingMailServerUsername,omitempty"`
	OutgoingMailServerAuthentication string `plist:"OutgoingMailServerAuthentication"`
	OutgoingMailServerHostName       string `plist:"OutgoingMailServerHostName"`
	OutgoingMailServerPortNumber     int    `plist:"OutgoingMailServerPortNumber"`
	OutgoingMailServerUseSSL         bool   `plist:"OutgoingMailServerUseSSL"`
	OutgoingMailServerUsername       string `plist:"OutgoingMailServerUsername,omitempty"`
	OutgoingPasswordSameAsIncoming   bool   `plist:"OutgoingPasswordSameAsIncomingPassword"`
}

// Apple's names for the protocols and authentication methods. There is no
// OAuth2 key in the mail payload: OAuth2 domains fall back to a password.
var (
	appleAccountType = map[string]string{IMAP: "EmailTypeIMAP", POP3: "EmailTypePOP"}
	appleAuth        = map[string]string{AuthPassword: "EmailAuthPassword", AuthPasswordEncrypted: "EmailAuthCRAMMD5", AuthOAuth2: "EmailAuthPassword"}
)

// uuidNamespace is the namespace of mailadvisor's version-5 UUIDs.
var uuidNamespace = uuid.NewSHA1(uuid.NameSpaceDNS, []byte("mailadvisor.profiles"))

// ProfileUUID returns the deterministic UUID of a payload type for an
// account (an address, or a domain for a per-domain profile).
// The account is case-folded: Alice@ and alice@ are one mailbox, and a
// regenerated profile must replace the installed one.
func ProfileUUID(account, payloadType string) string {
	// uuid.NewSHA1(uuidNamespace, lower(account)+"\n"+payloadType), upper
	// case, computed on the stack: a server makes two per profile.
	var buf [320]byte
	b := append(buf[:0], uuidNamespace[:]...)
	b = append(b, strings.ToLower(account)...)
	b = append(b, '\n')
	b = append(b, payloadType...)
	sum := sha1.Sum(b)
	sum[6] = sum[6]&0x0f | 0x50 // version 5
	sum[8] = sum[8]&0x3f | 0x80 // RFC 4122 variant
	const hexdigits = "0123456789ABCDEF"
	var out [36]byte
	j := 0
	for i, c := range sum[:16] {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexdigits[c>>4], hexdigits[c&0x0f]
		j += 2
	}
	return string(out[:])
}

// WriteMobileconfig writes the plan as an unsigned Apple configuration
// profile (XML plist). A per-domain profile leaves the address and
// username out, and the device asks for them.
func WriteMobileconfig(w io.Writer, p *Plan) error {
	data, err := MobileconfigBytes(p)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// MobileconfigBytes returns the unsigned profile.
func MobileconfigBytes(p *Plan) ([]byte, error) {
	in, ok := firstSecure(p.Incoming, p.Preferred)
	out, ok2 := firstSecure(p.Outgoing, SMTP)
	if !ok || !ok2 {
		return nil, fmt.Errorf("mobileconfig: no encrypted endpoint to describe")
	}
	account, name := p.Account(), p.AccountName()
	topUUID := ProfileUUID(account, "Configuration")
	base := reverseDNS(p.Domain.Domains[0]) + ".mailadvisor." + topUUID
	mp := mailPayload{
		PayloadType: "com.apple.mail.managed", PayloadVersion: 1,
		PayloadIdentifier: base + ".mail", PayloadUUID: ProfileUUID(account, "com.apple.mail.managed"),
		PayloadDisplayName:               "Mail: " + name,
		EmailAccountDescription:          p.Domain.DisplayName,
		EmailAccountType:                 appleAccountType[in.Protocol],
		IncomingMailServerAuthentication: appleAuth[in.Auth[0]],
		IncomingMailServerHostName:       in.Host, IncomingMailServerPortNumber: in.Port, IncomingMailServerUseSSL: in.Security != SecurityNone,
		OutgoingMailServerAuthentication: appleAuth[out.Auth[0]],
		OutgoingMailServerHostName:       out.Host, OutgoingMailServerPortNumber: out.Port, OutgoingMailServerUseSSL: out.Security != SecurityNone,
		OutgoingPasswordSameAsIncoming: true,
	}
	if p.Address != nil {
		mp.EmailAddress = p.Address.Full
		mp.EmailAccountName = p.UserName // the person's name, Apple's sense
		mp.IncomingMailServerUsername, mp.OutgoingMailServerUsername = p.LoginOf(in), p.LoginOf(out)
	}
	prof := profileXML{
		PayloadType: "Configuration", PayloadVersion: 1,
		PayloadIdentifier: base, PayloadUUID: topUUID,
		PayloadDisplayName: p.Domain.DisplayName + " mail",
		PayloadDescription: "Sets up the mail account " + name + " with encrypted connections.",
		PayloadContent:     []any{mp},
	}
	username := ""
	if p.Address != nil {
		username = p.Username
	}
	if dav, ok := davOf(p.Domain.CalDAVURL); ok {
		prof.PayloadContent = append(prof.PayloadContent, calDAVPayload{
			PayloadType: calDAVPayloadType, PayloadVersion: 1, PayloadIdentifier: base + ".caldav",
			PayloadUUID: ProfileUUID(account, calDAVPayloadType), PayloadDisplayName: "Calendar: " + name,
			Description: p.Domain.DisplayName + " calendar", HostName: dav.Host, Port: dav.Port, PrincipalURL: dav.URL, UseSSL: true, Username: username})
	}
	if dav, ok := davOf(p.Domain.CardDAVURL); ok {
		prof.PayloadContent = append(prof.PayloadContent, cardDAVPayload{
			PayloadType: cardDAVPayloadType, PayloadVersion: 1, PayloadIdentifier: base + ".carddav",
			PayloadUUID: ProfileUUID(account, cardDAVPayloadType), PayloadDisplayName: "Contacts: " + name,
			Description: p.Domain.DisplayName + " contacts", HostName: dav.Host, Port: dav.Port, PrincipalURL: dav.URL, UseSSL: true, Username: username})
	}
	switch cal, card := p.Domain.CalDAVURL != "", p.Domain.CardDAVURL != ""; {
	case cal && card:
		prof.PayloadDescription = "Sets up the mail account " + name + ", its calendar and contacts with encrypted connections."
	case cal:
		prof.PayloadDescription = "Sets up the mail account " + name + " and its calendar with encrypted connections."
	case card:
		prof.PayloadDescription = "Sets up the mail account " + name + " and its contacts with encrypted connections."
	}
	data, err := plist.MarshalIndent(prof, plist.XMLFormat, "\t")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// firstSecure returns the first implicit-TLS endpoint of protocol: a
// profile cannot ask for STARTTLS. For submission, when a provider offers
// only STARTTLS on 587, that one: UseSSL on 587, as Mail-in-a-Box and
// automx2 write it (the device negotiates STARTTLS there).
func firstSecure(eps []Endpoint, protocol string) (Endpoint, bool) {
	for _, e := range eps {
		if e.Protocol == protocol && e.Security == SecurityTLS {
			return e, true
		}
	}
	for _, e := range eps {
		if protocol == SMTP && e.Protocol == SMTP && e.Security == SecuritySTARTTLS && e.Port == mailports.Submission {
			return e, true
		}
	}
	return Endpoint{}, false
}

// reverseDNS turns mail.example.com into com.example.mail.
func reverseDNS(domain string) string {
	labels := strings.Split(domain, ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".")
}

// Signer signs profiles: a certificate, its private key and the
// intermediate certificates to include.
type Signer struct {
	Cert  *x509.Certificate
	Key   crypto.PrivateKey
	Chain []*x509.Certificate
}

// Sign wraps a profile in a CMS SignedData structure (DER), SHA-256, with
// the certificate chain included, as Apple devices verify it.
func (s Signer) Sign(profile []byte) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(bytes.Clone(profile))
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(s.Cert, s.Key, s.Chain, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("sign profile: %w", err)
	}
	return sd.Finish()
}

// SignerError says why a certificate and key cannot sign profiles.
type SignerError struct {
	Part    string // "certificate", "key", "pair" (the two together) or "chain"
	Problem string
}

func (e *SignerError) Error() string { return "signing " + e.Part + ": " + e.Problem }

// NewSigner checks a signing certificate, its key and intermediate
// certificates (PEM) once, before anything is signed: the key is a usable
// algorithm and size (RSA of 2048 bits or more, ECDSA P-256, P-384 or
// P-521: what Apple devices verify), it is not encrypted, it matches the
// certificate, and the certificate is valid at now. A test signature
// proves the pair works.
func NewSigner(certPEM, keyPEM, chainPEM []byte, now time.Time) (Signer, error) {
	if block, _ := pem.Decode(keyPEM); block != nil && (x509.IsEncryptedPEMBlock(block) || block.Type == "ENCRYPTED PRIVATE KEY") { //nolint:staticcheck // detecting, not decrypting
		return Signer{}, &SignerError{Part: "key", Problem: "is encrypted with a passphrase: decrypt it to a file only you can read (openssl pkey -in KEY -out PLAIN)"}
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return Signer{}, &SignerError{Part: "pair", Problem: fmt.Sprintf("the key cannot be used with the certificate: %v", err)}
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return Signer{}, &SignerError{Part: "certificate", Problem: err.Error()}
	}
	switch k := pair.PrivateKey.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < 2048 {
			return Signer{}, &SignerError{Part: "key", Problem: fmt.Sprintf("RSA of %d bits is too weak: want 2048 bits or more", bits)}
		}
	case *ecdsa.PrivateKey:
		if name := k.Curve.Params().Name; name != "P-256" && name != "P-384" && name != "P-521" {
			return Signer{}, &SignerError{Part: "key", Problem: "ECDSA on curve " + name + ": want P-256, P-384 or P-521"}
		}
	default:
		return Signer{}, &SignerError{Part: "key", Problem: fmt.Sprintf("%T keys cannot sign profiles that Apple devices verify: want RSA (2048 bits or more) or ECDSA P-256", k)}
	}
	switch {
	case now.Before(cert.NotBefore):
		return Signer{}, &SignerError{Part: "certificate", Problem: "is not valid before " + cert.NotBefore.UTC().Format(time.RFC3339)}
	case now.After(cert.NotAfter):
		return Signer{}, &SignerError{Part: "certificate", Problem: "expired on " + cert.NotAfter.UTC().Format(time.RFC3339)}
	}
	s := Signer{Cert: cert, Key: pair.PrivateKey}
	for _, der := range pair.Certificate[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			s.Chain = append(s.Chain, c)
		}
	}
	for block, rest := pem.Decode(chainPEM); block != nil; block, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return Signer{}, &SignerError{Part: "chain", Problem: err.Error()}
		}
		s.Chain = append(s.Chain, c)
	}
	if _, err := s.Sign([]byte("<plist/>")); err != nil {
		return Signer{}, &SignerError{Part: "key", Problem: "a test signature failed: " + err.Error()}
	}
	return s, nil
}
