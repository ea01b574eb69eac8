package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// signedAnswer is an answer with the signatures that came with it.
type signedAnswer struct {
	rrs  []dns.RR
	sigs []*dns.RRSIG
	ad   bool // the resolver says it validated the answer
}

// querySigned asks for name and qtype with the DNSSEC OK bit, and keeps
// the RRSIGs covering the answer.
func (r *resolver) querySigned(ctx context.Context, name string, qtype uint16) (signedAnswer, error) {
	in, err := r.exchange(ctx, name, qtype, true)
	if err != nil {
		return signedAnswer{}, err
	}
	if in.Rcode != dns.RcodeSuccess && in.Rcode != dns.RcodeNameError {
		return signedAnswer{}, fmt.Errorf("%s %s: %s", name, dns.TypeToString[qtype], dns.RcodeToString[in.Rcode])
	}
	a := signedAnswer{ad: in.AuthenticatedData}
	for _, rr := range in.Answer {
		switch x := rr.(type) {
		case *dns.RRSIG:
			if x.TypeCovered == qtype {
				a.sigs = append(a.sigs, x)
			}
		default:
			if rr.Header().Rrtype == qtype {
				a.rrs = append(a.rrs, rr)
			}
		}
	}
	return a, nil
}

// validator checks DNSSEC signatures itself, from trust anchors (DS or
// DNSKEY records) down the chain of delegations to the zone that signed
// an answer.
type validator struct {
	r       *resolver
	anchors []dns.RR
	now     time.Time
	keys    map[string][]*dns.DNSKEY // zones already validated
}

// maxChain bounds the delegations followed from an anchor.
const maxChain = 12

// validate checks that one of sigs is a valid signature of rrset by a key
// of its signer zone, whose keys chain to an anchor.
func (v *validator) validate(ctx context.Context, rrset []dns.RR, sigs []*dns.RRSIG, depth int) error {
	if len(sigs) == 0 {
		return errors.New("no signature (RRSIG) came with it: the zone is not signed")
	}
	var last error
	for _, sig := range sigs {
		if !sig.ValidityPeriod(v.now) {
			last = fmt.Errorf("its signature by %s is outside its validity period", sig.SignerName)
			continue
		}
		keys, err := v.zoneKeys(ctx, sig.SignerName, depth)
		if err != nil {
			last = err
			continue
		}
		for _, k := range keys {
			if k.KeyTag() == sig.KeyTag && k.Algorithm == sig.Algorithm && sig.Verify(k, rrset) == nil {
				return nil
			}
		}
		last = fmt.Errorf("its signature does not verify with the keys of %s", sig.SignerName)
	}
	return last
}

// zoneKeys returns the zone's DNSKEY set once it has validated it: signed
// by a key an anchor names, or by a key the parent's validated DS names.
func (v *validator) zoneKeys(ctx context.Context, zone string, depth int) ([]*dns.DNSKEY, error) {
	zone = dns.CanonicalName(zone)
	if k, ok := v.keys[zone]; ok {
		return k, nil
	}
	if depth > maxChain {
		return nil, fmt.Errorf("over %d delegations from a trust anchor", maxChain)
	}
	a, err := v.r.querySigned(ctx, zone, dns.TypeDNSKEY)
	if err != nil {
		return nil, err
	}
	var keys []*dns.DNSKEY
	for _, rr := range a.rrs {
		if k, ok := rr.(*dns.DNSKEY); ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s has no DNSKEY", zone)
	}
	var trusted []dns.RR // DS or DNSKEY records that name the zone's secure entry
	for _, anchor := range v.anchors {
		if dns.CanonicalName(anchor.Header().Name) == zone {
			trusted = append(trusted, anchor)
		}
	}
	if len(trusted) == 0 {
		if zone == "." {
			return nil, errors.New("no trust anchor for the root or above the zone")
		}
		_, parent, _ := strings.Cut(zone, ".")
		if parent == "" {
			parent = "."
		}
		ds, err := v.r.querySigned(ctx, zone, dns.TypeDS)
		if err != nil {
			return nil, err
		}
		if len(ds.rrs) == 0 {
			return nil, fmt.Errorf("%s is not delegated securely: no DS for it in %s", zone, parent)
		}
		if err := v.validate(ctx, ds.rrs, ds.sigs, depth+1); err != nil {
			return nil, fmt.Errorf("the DS of %s: %w", zone, err)
		}
		trusted = ds.rrs
	}
	var entries []*dns.DNSKEY
	for _, k := range keys {
		for _, t := range trusted {
			switch x := t.(type) {
			case *dns.DS:
				if d := k.ToDS(x.DigestType); d != nil && strings.EqualFold(d.Digest, x.Digest) && d.KeyTag == x.KeyTag {
					entries = append(entries, k)
				}
			case *dns.DNSKEY:
				if k.PublicKey == x.PublicKey && k.Algorithm == x.Algorithm {
					entries = append(entries, k)
				}
			}
		}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("no DNSKEY of %s matches its trust anchor or DS", zone)
	}
	rrset := make([]dns.RR, len(keys))
	for i, k := range keys {
		rrset[i] = k
	}
	for _, sig := range a.sigs {
		for _, k := range entries {
			if sig.ValidityPeriod(v.now) && k.KeyTag() == sig.KeyTag && sig.Verify(k, rrset) == nil {
				if v.keys == nil {
					v.keys = map[string][]*dns.DNSKEY{}
				}
				v.keys[zone] = keys
				return keys, nil
			}
		}
	}
	return nil, fmt.Errorf("the DNSKEY set of %s is not signed by its trusted key", zone)
}

// daneCheck compares the TLSA records of the probed host's port 25 with
// the certificate it presented there (RFC 7672: DANE-EE and DANE-TA),
// once DNSSEC says the records are genuine: validated here from the
// trust anchors given, or, without any, as the resolver's AD bit says
// (and the check says which).
func daneCheck(ctx context.Context, cfg *Config, certs []*x509.Certificate) Check {
	c := Check{Group: "dns", Name: "dane"}
	r := &resolver{server: cfg.DNSServer, client: &dns.Client{Net: "udp"}}
	owner := "_25._tcp." + strings.TrimSuffix(cfg.Host, ".")
	a, err := r.querySigned(ctx, owner, dns.TypeTLSA)
	if err != nil {
		c.Status, c.Detail = Warn, fmt.Sprintf("%s TLSA: %v", owner, err)
		return c
	}
	if len(a.rrs) == 0 {
		c.Status, c.Detail = Info, "no TLSA record at "+owner+": senders that use DANE fall back to MTA-STS or opportunistic TLS"
		return c
	}
	var how string
	anchors, err := ParseAnchors(cfg.TrustAnchors)
	switch {
	case err != nil:
		c.Status, c.Detail = Warn, "trust anchors: "+err.Error()
		return c
	case len(anchors) > 0:
		v := &validator{r: r, anchors: anchors, now: cfg.Now()}
		if err := v.validate(ctx, a.rrs, a.sigs, 0); err != nil {
			c.Status, c.Detail, c.Critical = Fail, fmt.Sprintf("the TLSA records at %s do not validate: %v: senders that use DANE refuse to deliver", owner, err), true
			return c
		}
		how = "DNSSEC validated by probe from the trust anchors given"
	case a.ad:
		how = "DNSSEC validated by the resolver " + cfg.DNSServer + " (its AD bit; probe did not check the signatures itself)"
	default:
		c.Status, c.Detail = Warn, fmt.Sprintf("TLSA records at %s, but the resolver %s does not say they are DNSSEC-validated (no AD bit) and no trust anchor was given: DANE cannot be confirmed", owner, cfg.DNSServer)
		return c
	}
	if len(certs) == 0 {
		c.Status, c.Detail = Warn, "TLSA records at "+owner+" ("+how+"), but port 25 presented no certificate to compare"
		return c
	}
	var usable, matched []string
	for _, rr := range a.rrs {
		t, ok := rr.(*dns.TLSA)
		if !ok {
			continue
		}
		rec := fmt.Sprintf("%d %d %d", t.Usage, t.Selector, t.MatchingType)
		switch t.Usage {
		case 3: // DANE-EE: the server's own certificate or key
			usable = append(usable, rec)
			if t.Verify(certs[0]) == nil {
				matched = append(matched, rec)
			}
		case 2: // DANE-TA: a CA certificate in the chain it sent
			usable = append(usable, rec)
			for _, ca := range certs[1:] {
				if t.Verify(ca) == nil {
					matched = append(matched, rec)
					break
				}
			}
		}
	}
	switch {
	case len(usable) == 0:
		c.Status, c.Detail = Fail, "the TLSA records at "+owner+" have only PKIX usages (0, 1), which SMTP does not use (RFC 7672): senders treat them as unusable"
	case len(matched) == 0:
		c.Status, c.Detail, c.Critical = Fail, fmt.Sprintf("no TLSA record at %s (%s) matches the certificate on port 25 (%s): senders that use DANE refuse to deliver", owner, strings.Join(usable, ", "), how), true
	default:
		c.Status, c.Detail = Pass, fmt.Sprintf("TLSA %s matches the certificate on port 25 (%s)", strings.Join(matched, ", "), how)
	}
	return c
}

// ParseAnchors reads trust anchors: DS or DNSKEY records, zone-file
// lines (blank lines and ; comments skipped). An error names the line.
func ParseAnchors(lines []string) ([]dns.RR, error) {
	var out []dns.RR
	for n, line := range lines {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, ";") {
			continue
		}
		rr, err := dns.NewRR(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: want a DS or DNSKEY record (%w)", n+1, err)
		}
		switch rr.(type) {
		case *dns.DS, *dns.DNSKEY:
			out = append(out, rr)
		default:
			return nil, fmt.Errorf("line %d: want a DS or DNSKEY record, not %s", n+1, dns.TypeToString[rr.Header().Rrtype])
		}
	}
	return out, nil
}
