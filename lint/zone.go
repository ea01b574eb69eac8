package lint

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"slices"
	"strings"

	"github.com/emersion/go-msgauth/dmarc"
	"github.com/miekg/dns"

	"github.com/mailadvisor/mailadvisor/internal/lazyregexp"
)

// zoneTXT is a TXT record of a zone file: its owner, its text (the
// strings joined, as receivers read them) and its line.
type zoneTXT struct {
	owner, text string
	line        int
}

// placeholderOrigin stands for the zone's name when the file has neither
// $ORIGIN nor an absolute SOA: only the names' shapes matter here.
const placeholderOrigin = "zone.invalid."

var originRE = lazyregexp.New(`(?m)^\$ORIGIN\s+(\S+)`)

func checkZone(r *report, data []byte) {
	origin := placeholderOrigin
	if m := originRE().FindSubmatch(data); m != nil {
		origin = dns.Fqdn(string(m[1]))
	}
	zp := dns.NewZoneParser(bytes.NewReader(data), origin, "")
	zp.SetIncludeAllowed(false)
	var txts []zoneTXT
	apex := ""
	var mxOwners []string
	used := map[int]bool{}
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		h := rr.Header()
		switch v := rr.(type) {
		case *dns.SOA:
			if apex == "" {
				apex = h.Name
			}
		case *dns.MX:
			mxOwners = append(mxOwners, h.Name)
		case *dns.TXT:
			text := strings.Join(v.Txt, "")
			txts = append(txts, zoneTXT{owner: h.Name, text: text, line: findLine(data, v.Txt, used)})
		}
	}
	if err := zp.Err(); err != nil {
		r.add("dns-malformed", 0, "the zone file cannot be read past an error: %v", err)
	}
	if apex == "" {
		apex = origin
	}
	hasMX := slices.Contains(mxOwners, apex)
	spfAt := map[string][]zoneTXT{}
	var dmarcSeen, dkimSeen bool
	for _, t := range txts {
		lower := strings.ToLower(t.text)
		switch {
		case strings.HasPrefix(lower, "v=spf1") && (len(lower) == 6 || lower[6] == ' '):
			spfAt[t.owner] = append(spfAt[t.owner], t)
			checkSPF(r, t)
		case strings.HasPrefix(t.owner, "_dmarc."):
			dmarcSeen = true
			checkDMARC(r, t)
		case strings.Contains(t.owner, "._domainkey."):
			dkimSeen = true
			checkDKIM(r, t)
		}
	}
	for _, list := range spfAt {
		if len(list) > 1 {
			r.add("dns-spf-multiple", list[1].line, "%d SPF records for %s (first on line %d)", len(list), list[0].owner, list[0].line)
		}
	}
	if hasMX {
		if len(spfAt[apex]) == 0 {
			r.add("dns-missing-record", 0, "the zone has MX records but no SPF record at its apex")
		}
		if !dmarcSeen {
			r.add("dns-missing-record", 0, "the zone has MX records but no _dmarc record")
		}
		if !dkimSeen {
			r.add("dns-missing-record", 0, "the zone has MX records but no DKIM key (selector._domainkey)")
		}
	}
}

// findLine is the first line not yet taken that holds the record's first
// string.
func findLine(data []byte, txt []string, used map[int]bool) int {
	if len(txt) == 0 {
		return 0
	}
	needle := txt[0]
	if len(needle) > 30 {
		needle = needle[:30]
	}
	for i, line := range bytes.Split(data, []byte("\n")) {
		if !used[i+1] && bytes.Contains(line, []byte(needle)) {
			used[i+1] = true
			return i + 1
		}
	}
	return 0
}

// checkSPF reads an SPF record's terms (RFC 7208 §4.6).
func checkSPF(r *report, t zoneTXT) {
	terms := strings.Fields(t.text)[1:]
	lookups, all := 0, ""
	for _, term := range terms {
		lower := strings.ToLower(term)
		if name, _, ok := strings.Cut(lower, "="); ok && !strings.ContainsAny(name, ":/") {
			if name == "redirect" {
				lookups++
				all = "redirect"
			}
			continue
		}
		q := lower[0]
		if q == '+' || q == '-' || q == '~' || q == '?' {
			lower = lower[1:]
		} else {
			q = '+'
		}
		mech, arg, hasArg := strings.Cut(lower, ":")
		if !hasArg {
			mech, _, _ = strings.Cut(lower, "/") // a/24, mx/24: no domain
		}
		switch mech {
		case "all":
			all = string(q)
		case "include", "exists":
			lookups++
			if arg == "" {
				r.add("dns-spf-syntax", t.line, "%s: %s needs a domain", t.owner, term)
			}
		case "a", "mx", "ptr":
			lookups++
		case "ip4", "ip6":
			if !validIPArg(mech, arg) {
				r.add("dns-spf-syntax", t.line, "%s: %q is not an %s address or range", t.owner, term, mech)
			}
		default:
			r.add("dns-spf-syntax", t.line, "%s: unknown mechanism %q", t.owner, term)
		}
	}
	switch all {
	case "-", "~", "redirect":
	case "":
		r.add("dns-spf-all", t.line, "%s: the SPF record has no all: servers it does not list are not refused", t.owner)
	default:
		r.add("dns-spf-all", t.line, "%s: %sall lets any server send as the domain", t.owner, all)
	}
	if lookups > 10 {
		r.add("dns-spf-lookups", t.line, "%s: %d mechanisms that need DNS lookups, over the limit of 10 (nested includes add theirs)", t.owner, lookups)
	}
}

func validIPArg(mech, arg string) bool {
	if arg == "" {
		return false
	}
	if strings.Contains(arg, "/") {
		p, err := netip.ParsePrefix(arg)
		return err == nil && (p.Addr().Is4() == (mech == "ip4"))
	}
	a, err := netip.ParseAddr(arg)
	return err == nil && (a.Is4() == (mech == "ip4"))
}

func checkDMARC(r *report, t zoneTXT) {
	first, _, _ := strings.Cut(t.text, ";")
	if k, v, _ := strings.Cut(first, "="); strings.TrimSpace(k) != "v" || strings.TrimSpace(v) != "DMARC1" {
		r.add("dns-dmarc-syntax", t.line, "%s: the record must start with v=DMARC1 (RFC 7489), not %q", t.owner, strings.TrimSpace(first))
		return
	}
	rec, err := dmarc.Parse(t.text)
	if err != nil {
		r.add("dns-dmarc-syntax", t.line, "%s: %v", t.owner, err)
		return
	}
	if rec.Policy == dmarc.PolicyNone {
		r.add("dns-dmarc-none", t.line, "%s: p=none only monitors", t.owner)
	}
}

func checkDKIM(r *report, t zoneTXT) {
	tags := map[string]string{}
	for _, part := range strings.Split(t.text, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok {
			tags[strings.TrimSpace(k)] = strings.Join(strings.Fields(v), "")
		}
	}
	p, ok := tags["p"]
	switch {
	case !ok:
		r.add("dns-dkim-syntax", t.line, "%s: no p= (public key)", t.owner)
	case p != "":
		if _, err := base64.StdEncoding.DecodeString(p); err != nil {
			r.add("dns-dkim-syntax", t.line, "%s: p= is not base64: %v", t.owner, err)
		}
	}
	if k, ok := tags["k"]; ok && k != "rsa" && k != "ed25519" {
		r.add("dns-dkim-syntax", t.line, "%s: k=%s: want rsa or ed25519", t.owner, k)
	}
}
