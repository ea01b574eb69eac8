package probe

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailadvisor/mailadvisor/internal/fakedns"
)

// zoneKey is a DNSSEC key of a zone made by the test.
type zoneKey struct {
	key  *dns.DNSKEY
	priv crypto.Signer
}

func newZoneKey(t *testing.T, zone string) zoneKey {
	t.Helper()
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 300},
		Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	priv, err := k.Generate(256)
	if err != nil {
		t.Fatal(err)
	}
	return zoneKey{key: k, priv: priv.(crypto.Signer)}
}

// sign returns the RRSIG of rrset by k, valid for a day around now.
func (k zoneKey) sign(t *testing.T, rrset ...dns.RR) string {
	t.Helper()
	h := rrset[0].Header()
	sig := &dns.RRSIG{Hdr: dns.RR_Header{Name: h.Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: h.Ttl},
		KeyTag: k.key.KeyTag(), SignerName: k.key.Hdr.Name, Algorithm: k.key.Algorithm,
		Inception: uint32(time.Now().Add(-time.Hour).Unix()), Expiration: uint32(time.Now().Add(24 * time.Hour).Unix())}
	if err := sig.Sign(k.priv, rrset); err != nil {
		t.Fatal(err)
	}
	return sig.String()
}

// DANE on port 25: TLSA records validated by DNSSEC, from trust anchors
// the test gives (a zone it signs, and a parent zone above it) or from the
// resolver's AD bit, each way of failing said; the records compared with
// the certificate the stand-in presents.
func TestDANE(t *testing.T) {
	cert, roots := testCert(t, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour), false)
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	s := &standin{tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, closeCleartext: true}
	addrs := s.start(t)

	child, parent, stranger := newZoneKey(t, "example.test."), newZoneKey(t, "test."), newZoneKey(t, "example.test.")
	tlsa := func(hash string) *dns.TLSA {
		r := &dns.TLSA{Hdr: dns.RR_Header{Name: "_25._tcp.mail.example.test.", Rrtype: dns.TypeTLSA, Class: dns.ClassINET, Ttl: 300},
			Usage: 3, Selector: 1, MatchingType: 1}
		if err := r.Sign(3, 1, 1, leaf); err != nil {
			t.Fatal(err)
		}
		if hash != "" {
			r.Certificate = hash
		}
		return r
	}
	good, wrong := tlsa(""), tlsa(strings.Repeat("ab", 32))
	ds := child.key.ToDS(dns.SHA256)
	signed := func(r *dns.TLSA) string {
		return strings.Join([]string{"example.test. 300 IN MX 10 mail.example.test.",
			child.key.String(), child.sign(t, child.key), r.String(), child.sign(t, r),
			parent.key.String(), parent.sign(t, parent.key), ds.String(), parent.sign(t, ds)}, "\n")
	}
	tampered := strings.Replace(signed(good), good.String(), tlsa(strings.Repeat("cd", 32)).String(), 1)
	for _, c := range []struct {
		name    string
		zone    string
		ad      bool
		anchors []string
		want    Status
		detail  string
	}{
		{"anchored at the zone", signed(good), false, []string{child.key.String()}, Pass, "TLSA 3 1 1 matches the certificate on port 25 (DNSSEC validated by probe"},
		{"anchored by DS", signed(good), false, []string{ds.String()}, Pass, "validated by probe"},
		{"anchored above, through the parent's DS", signed(good), false, []string{parent.key.String()}, Pass, "validated by probe"},
		{"changed after signing", tampered, false, []string{child.key.String()}, Fail, "do not validate: its signature does not verify"},
		{"signed, but for another certificate", signed(wrong), false, []string{child.key.String()}, Fail, "no TLSA record at _25._tcp.mail.example.test (3 1 1) matches"},
		{"another key as anchor", signed(good), false, []string{stranger.key.String()}, Fail, "no DNSKEY of example.test. matches its trust anchor"},
		{"the resolver vouches", "example.test. 300 IN MX 10 mail.example.test.\n" + good.String(), true, nil, Pass, "validated by the resolver"},
		{"nobody vouches", "example.test. 300 IN MX 10 mail.example.test.\n" + good.String(), false, nil, Warn, "no AD bit"},
		{"no TLSA", "example.test. 300 IN MX 10 mail.example.test.\n", false, nil, Info, "no TLSA record"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dnsAddr, stop, err := fakedns.StartWith(c.zone, fakedns.Options{AuthenticData: c.ad})
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			res, err := Run(context.Background(), Config{Host: mailHost, Domain: "example.test", Addrs: addrs, DNSServer: dnsAddr,
				Roots: roots, TrustAnchors: c.anchors, Timeout: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			got := find(res, "dns", "dane")
			if got.Status != c.want || !strings.Contains(got.Detail, c.detail) {
				t.Errorf("dane: %s %q, want %s with %q", got.Status, got.Detail, c.want, c.detail)
			}
		})
	}
}
