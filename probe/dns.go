package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-msgauth/dmarc"
	"github.com/miekg/dns"

	"github.com/mailadvisor/mailadvisor/profiles"
)

// resolver asks one DNS server, over UDP then TCP when truncated.
type resolver struct {
	server string
	client *dns.Client
}

func (r *resolver) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	in, err := r.exchange(ctx, name, qtype, false)
	if err != nil {
		return nil, err
	}
	switch in.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
		return in.Answer, nil
	}
	return nil, fmt.Errorf("%s %s: %s", name, dns.TypeToString[qtype], dns.RcodeToString[in.Rcode])
}

// addresses returns the A and AAAA records of name.
func (r *resolver) addresses(ctx context.Context, name string) ([]string, error) {
	var out []string
	var first error
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		rrs, err := r.query(ctx, name, qtype)
		if err != nil && first == nil {
			first = err
		}
		for _, rr := range rrs {
			switch a := rr.(type) {
			case *dns.A:
				out = append(out, a.A.String())
			case *dns.AAAA:
				out = append(out, a.AAAA.String())
			}
		}
	}
	if len(out) == 0 && first != nil {
		return nil, first
	}
	return out, nil
}

// resolvingDial dials a host name at the addresses r gives it, in turn,
// through dial; an address is dialled as it is.
func resolvingDial(r *resolver, dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || net.ParseIP(host) != nil {
			return dial(ctx, network, addr)
		}
		ips, err := r.addresses(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", host, err)
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("%s: no A or AAAA record (asked %s)", host, r.server)
		}
		var last error
		for _, ip := range ips {
			c, err := dial(ctx, network, net.JoinHostPort(ip, port))
			if err == nil {
				return c, nil
			}
			last = err
		}
		return nil, last
	}
}

// exchange asks for name and qtype (with the DNSSEC OK bit when do), over
// UDP and again over TCP when the answer is truncated.
func (r *resolver) exchange(ctx context.Context, name string, qtype uint16, do bool) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetEdns0(1232, do)
	in, _, err := r.client.ExchangeContext(ctx, m, r.server)
	if err == nil && in.Truncated {
		tcp := *r.client
		tcp.Net = "tcp"
		in, _, err = tcp.ExchangeContext(ctx, m, r.server)
	}
	return in, err
}

// txt returns the TXT records of name, each joined.
func (r *resolver) txt(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.query(ctx, name, dns.TypeTXT)
	var out []string
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, err
}

// withPrefix keeps the records that start with prefix (case-insensitive).
func withPrefix(records []string, prefix string) []string {
	var out []string
	for _, r := range records {
		if strings.HasPrefix(strings.ToLower(r), strings.ToLower(prefix)) {
			out = append(out, r)
		}
	}
	return out
}

// probeDNS checks the domain's mail records.
func probeDNS(ctx context.Context, cfg *Config) []Check {
	if cfg.DNSServer == "" {
		return []Check{{Group: "dns", Name: "resolver", Status: Warn, Detail: "no DNS server to ask: DNS checks skipped"}}
	}
	r := &resolver{server: cfg.DNSServer, client: &dns.Client{Net: "udp"}}
	d := cfg.Domain
	// The MX records are asked once: three checks read them.
	mx := lookupMX(ctx, r, d)
	checks := make([]Check, 9)
	var wg sync.WaitGroup
	run := func(i int, f func() Check) { wg.Go(func() { checks[i] = f() }) }
	run(0, func() Check { return mxCheck(mx, d) })
	run(1, func() Check { return spfCheck(ctx, r, d) })
	run(2, func() Check { return dmarcCheck(ctx, r, d) })
	run(3, func() Check { return dkimCheck(ctx, r, d, cfg.DKIMSelector) })
	run(4, func() Check { return mtaSTSCheck(ctx, r, cfg, mx) })
	run(5, func() Check { return tlsRPTCheck(ctx, r, d) })
	run(6, func() Check { return srvCheck(ctx, r, d) })
	run(7, func() Check { return ptrCheck(ctx, r, mx) })
	run(8, func() Check { return paccCheck(ctx, r, cfg) })
	wg.Wait()
	return checks
}

func dnsCheck(name string, st Status, format string, args ...any) Check {
	return Check{Group: "dns", Name: name, Status: st, Detail: fmt.Sprintf(format, args...)}
}

// mxAnswer is the domain's MX lookup, made once for the checks that read
// it.
type mxAnswer struct {
	rrs []dns.RR
	err error
}

func lookupMX(ctx context.Context, r *resolver, d string) mxAnswer {
	rrs, err := r.query(ctx, d, dns.TypeMX)
	return mxAnswer{rrs, err}
}

// hosts are the MX host names, lower case (a null MX left out).
func (a mxAnswer) hosts() ([]string, error) {
	if a.err != nil {
		return nil, a.err
	}
	var out []string
	for _, rr := range a.rrs {
		if mx, ok := rr.(*dns.MX); ok && mx.Mx != "." {
			out = append(out, strings.ToLower(strings.TrimSuffix(mx.Mx, ".")))
		}
	}
	return out, nil
}

func mxCheck(a mxAnswer, d string) Check {
	if a.err != nil {
		return dnsCheck("mx", Fail, "%v", a.err)
	}
	var hosts []string
	for _, rr := range a.rrs {
		if mx, ok := rr.(*dns.MX); ok {
			hosts = append(hosts, fmt.Sprintf("%d %s", mx.Preference, mx.Mx))
		}
	}
	if len(hosts) == 0 {
		return dnsCheck("mx", Fail, "no MX record: mail for %s has nowhere to go", d)
	}
	return dnsCheck("mx", Pass, "%s", strings.Join(hosts, ", "))
}

// spfCheck finds the SPF record and counts the DNS lookups it needs,
// following include and redirect (RFC 7208 caps them at 10).
func spfCheck(ctx context.Context, r *resolver, d string) Check {
	recs, err := r.txt(ctx, d)
	if err != nil {
		return dnsCheck("spf", Fail, "%v", err)
	}
	spf := withPrefix(recs, "v=spf1")
	switch len(spf) {
	case 0:
		return dnsCheck("spf", Fail, "no SPF record: anyone can send as %s", d)
	case 1:
	default:
		return dnsCheck("spf", Fail, "%d SPF records: a permerror (RFC 7208)", len(spf))
	}
	lookups, err := spfLookups(ctx, r, spf[0], 0)
	if err != nil {
		return dnsCheck("spf", Fail, "%q: %v", spf[0], err)
	}
	all := ""
	for _, t := range strings.Fields(strings.ToLower(spf[0])) {
		if strings.HasSuffix(t, "all") && len(t) <= 4 {
			all = t
		}
	}
	switch {
	case lookups > 10:
		return dnsCheck("spf", Fail, "%q needs %d DNS lookups, over the limit of 10", spf[0], lookups)
	case all == "+all" || all == "all" || all == "?all":
		return dnsCheck("spf", Fail, "%q: %s lets any server send as %s", spf[0], all, d)
	case all == "" && !strings.Contains(strings.ToLower(spf[0]), "redirect="):
		return dnsCheck("spf", Warn, "%q has no all: servers it does not list are not refused", spf[0])
	}
	return dnsCheck("spf", Pass, "%q, %d of the 10 DNS lookups allowed", spf[0], lookups)
}

// spfLookups counts the lookups of record and of the records it includes.
func spfLookups(ctx context.Context, r *resolver, record string, depth int) (int, error) {
	if depth > 10 {
		return 0, fmt.Errorf("includes nested too deep")
	}
	n := 0
	for _, term := range strings.Fields(record)[1:] {
		t := strings.TrimLeft(strings.ToLower(term), "+-~?")
		name, arg, _ := strings.Cut(t, ":")
		if strings.HasPrefix(t, "redirect=") {
			name, arg = "include", strings.TrimPrefix(t, "redirect=")
		}
		switch name {
		case "a", "mx", "ptr", "exists":
			n++
		case "include":
			n++
			recs, err := r.txt(ctx, arg)
			if err != nil {
				return n, err
			}
			inc := withPrefix(recs, "v=spf1")
			if len(inc) != 1 {
				return n, fmt.Errorf("include:%s has %d SPF records", arg, len(inc))
			}
			m, err := spfLookups(ctx, r, inc[0], depth+1)
			if err != nil {
				return n, err
			}
			n += m
		}
	}
	return n, nil
}

func dmarcCheck(ctx context.Context, r *resolver, d string) Check {
	recs, err := r.txt(ctx, "_dmarc."+d)
	if err != nil {
		return dnsCheck("dmarc", Fail, "%v", err)
	}
	recs = withPrefix(recs, "v=DMARC1")
	if len(recs) != 1 {
		return dnsCheck("dmarc", Fail, "%d DMARC records at _dmarc.%s: want one (\"v=DMARC1; p=quarantine\")", len(recs), d)
	}
	rec, err := dmarc.Parse(recs[0])
	if err != nil {
		return dnsCheck("dmarc", Fail, "%q: %v", recs[0], err)
	}
	if rec.Policy == dmarc.PolicyNone {
		return dnsCheck("dmarc", Warn, "%q: p=none only monitors", recs[0])
	}
	return dnsCheck("dmarc", Pass, "%q", recs[0])
}

func dkimCheck(ctx context.Context, r *resolver, d, selector string) Check {
	if selector == "" {
		return dnsCheck("dkim", Info, "no --dkim-selector: the DKIM key was not looked up")
	}
	name := selector + "._domainkey." + d
	recs, err := r.txt(ctx, name)
	if err != nil {
		return dnsCheck("dkim", Fail, "%v", err)
	}
	for _, rec := range recs {
		for _, part := range strings.Split(rec, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			if k != "p" {
				continue
			}
			key := strings.Join(strings.Fields(v), "")
			if key == "" {
				return dnsCheck("dkim", Fail, "%s: the key is revoked (empty p=)", name)
			}
			if _, err := base64.StdEncoding.DecodeString(key); err != nil {
				return dnsCheck("dkim", Fail, "%s: p= is not base64", name)
			}
			return dnsCheck("dkim", Pass, "%s publishes a key (%d bytes)", name, base64.StdEncoding.DecodedLen(len(key)))
		}
	}
	return dnsCheck("dkim", Fail, "no DKIM key at %s", name)
}

// mtaSTSCheck reads the _mta-sts record and fetches the policy over HTTPS.
func mtaSTSCheck(ctx context.Context, r *resolver, cfg *Config, mx mxAnswer) Check {
	d := cfg.Domain
	recs, err := r.txt(ctx, "_mta-sts."+d)
	if err != nil {
		return dnsCheck("mta-sts", Warn, "%v", err)
	}
	recs = withPrefix(recs, "v=STSv1")
	if len(recs) == 0 {
		return dnsCheck("mta-sts", Warn, "no MTA-STS record: senders may deliver here without TLS")
	}
	url := "https://mta-sts." + d + "/.well-known/mta-sts.txt"
	body, err := fetch(ctx, cfg.HTTPClient, http.MethodGet, url)
	if err != nil {
		return dnsCheck("mta-sts", Fail, "%q published, but the policy %s: %v", recs[0], url, err)
	}
	p := parseSTSPolicy(body)
	switch {
	case p.version != "STSv1":
		return dnsCheck("mta-sts", Fail, "the policy at %s has version %q: want STSv1 (RFC 8461)", url, p.version)
	case p.mode != "enforce" && p.mode != "testing" && p.mode != "none":
		return dnsCheck("mta-sts", Fail, "the policy at %s has mode %q: want enforce or testing", url, p.mode)
	case p.maxAge < 0:
		return dnsCheck("mta-sts", Fail, "the policy at %s has no valid max_age", url)
	}
	if p.mode != "none" {
		// Every MX must match an mx: line, or senders that enforce the
		// policy refuse to deliver to it.
		mxs, err := mx.hosts()
		if err != nil {
			return dnsCheck("mta-sts", Warn, "the policy's mx lines cannot be checked: %v", err)
		}
		var uncovered []string
		for _, mx := range mxs {
			if !slices.ContainsFunc(p.mx, func(pat string) bool { return stsMatch(pat, mx) }) {
				uncovered = append(uncovered, mx)
			}
		}
		if len(uncovered) > 0 {
			return dnsCheck("mta-sts", Fail, "the policy's mx lines (%s) do not cover the MX %s: senders that enforce it refuse to deliver there",
				strings.Join(p.mx, ", "), strings.Join(uncovered, ", "))
		}
	}
	switch p.mode {
	case "enforce":
		return dnsCheck("mta-sts", Pass, "policy mode enforce, covering every MX (%s)", url)
	case "testing":
		return dnsCheck("mta-sts", Warn, "policy mode testing: failures are reported, not refused")
	}
	return dnsCheck("mta-sts", Warn, "policy mode none: the policy is being withdrawn")
}

// stsPolicy is an MTA-STS policy file (RFC 8461 section 3.2).
type stsPolicy struct {
	version, mode string
	mx            []string
	maxAge        int // -1 when absent or not a number
}

func parseSTSPolicy(body string) stsPolicy {
	p := stsPolicy{maxAge: -1}
	for _, line := range strings.Split(body, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "version":
			p.version = v
		case "mode":
			p.mode = v
		case "mx":
			p.mx = append(p.mx, strings.ToLower(strings.TrimSuffix(v, ".")))
		case "max_age":
			if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 31557600 {
				p.maxAge = n
			}
		}
	}
	return p
}

// stsMatch matches an MX host against an mx: pattern; a wildcard stands
// for exactly the leftmost label (RFC 8461 section 4.1).
func stsMatch(pattern, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		_, parent, found := strings.Cut(host, ".")
		return found && parent == rest
	}
	return pattern == host
}

func tlsRPTCheck(ctx context.Context, r *resolver, d string) Check {
	recs, err := r.txt(ctx, "_smtp._tls."+d)
	if err != nil {
		return dnsCheck("tls-rpt", Warn, "%v", err)
	}
	recs = withPrefix(recs, "v=TLSRPTv1")
	if len(recs) == 0 {
		return dnsCheck("tls-rpt", Warn, "no TLS-RPT record: TLS failures of senders go unreported")
	}
	if len(recs) > 1 {
		return dnsCheck("tls-rpt", Fail, "%d TLS-RPT records: senders ignore them all (RFC 8460 section 3)", len(recs))
	}
	if err := tlsRPTSyntax(recs[0]); err != nil {
		return dnsCheck("tls-rpt", Fail, "%q: %v", recs[0], err)
	}
	return dnsCheck("tls-rpt", Pass, "%q", recs[0])
}

// tlsRPTSyntax checks a TLS-RPT record (RFC 8460 section 3): v=TLSRPTv1
// first, then rua= with one or more mailto: or https: addresses.
func tlsRPTSyntax(rec string) error {
	fields := strings.Split(rec, ";")
	if strings.TrimSpace(fields[0]) != "v=TLSRPTv1" {
		return fmt.Errorf("want v=TLSRPTv1 first")
	}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok || strings.TrimSpace(k) != "rua" {
			continue
		}
		for _, uri := range strings.Split(v, ",") {
			uri = strings.TrimSpace(uri)
			addr, isMail := strings.CutPrefix(uri, "mailto:")
			switch {
			case isMail && strings.Count(addr, "@") == 1 && !strings.HasPrefix(addr, "@") && !strings.HasSuffix(addr, "@"):
			case strings.HasPrefix(uri, "https://") && len(uri) > len("https://"):
			default:
				return fmt.Errorf("rua %q: want mailto:ADDRESS or https://URL", uri)
			}
		}
		return nil
	}
	return fmt.Errorf("no rua= field: reports have nowhere to go")
}

// ptrCheck looks up the reverse name (PTR) of every address of every MX
// and whether that name leads back to the address (forward-confirmed
// reverse DNS): receivers refuse or mark mail from an address without
// one, and the MX usually sends too. The names found are kept for the
// banner's comparison (Run).
func ptrCheck(ctx context.Context, r *resolver, mx mxAnswer) Check {
	mxs, err := mx.hosts()
	if err != nil {
		return dnsCheck("ptr", Warn, "%v", err)
	}
	var good, bad []string
	c := dnsCheck("ptr", Pass, "")
	for _, mx := range mxs {
		ips, err := r.addresses(ctx, mx)
		if err != nil || len(ips) == 0 {
			bad = append(bad, mx+": no address")
			continue
		}
		for _, ip := range ips {
			rev, err := dns.ReverseAddr(ip)
			if err != nil {
				continue
			}
			rrs, err := r.query(ctx, rev, dns.TypePTR)
			var names []string
			for _, rr := range rrs {
				if p, ok := rr.(*dns.PTR); ok {
					names = append(names, strings.ToLower(strings.TrimSuffix(p.Ptr, ".")))
				}
			}
			if err != nil || len(names) == 0 {
				bad = append(bad, ip+" ("+mx+"): no PTR record")
				continue
			}
			confirmed := ""
			for _, n := range names {
				back, _ := r.addresses(ctx, n)
				if slices.Contains(back, ip) {
					confirmed = n
					break
				}
			}
			if confirmed == "" {
				bad = append(bad, fmt.Sprintf("%s (%s): PTR %s does not lead back to it", ip, mx, strings.Join(names, ", ")))
				continue
			}
			c.names = append(c.names, confirmed)
			good = append(good, ip+" → "+confirmed)
		}
	}
	switch {
	case len(bad) > 0:
		c.Status, c.Detail = Warn, strings.Join(bad, "; ")+": receivers refuse or mark mail from an address without a forward-confirmed reverse name"
	case len(good) == 0:
		c.Status, c.Detail = Warn, "no MX address to look up"
	default:
		c.Detail = strings.Join(good, ", ")
	}
	return c
}

// srvCheck looks up the RFC 6186/8314 records clients use to find the
// servers.
func srvCheck(ctx context.Context, r *resolver, d string) Check {
	var found []string
	for _, svc := range []string{"_submissions._tcp", "_submission._tcp", "_imaps._tcp", "_imap._tcp", "_pop3s._tcp", "_pop3._tcp"} {
		rrs, err := r.query(ctx, svc+"."+d, dns.TypeSRV)
		if err != nil {
			return dnsCheck("srv", Warn, "%v", err)
		}
		for _, rr := range rrs {
			if s, isSRV := rr.(*dns.SRV); isSRV {
				target := s.Target
				if target == "." {
					target = ". (not offered)"
				}
				found = append(found, fmt.Sprintf("%s %s:%d", svc, target, s.Port))
			}
		}
	}
	if len(found) == 0 {
		return dnsCheck("srv", Warn, "no RFC 6186 SRV record: mail apps must guess the servers")
	}
	return dnsCheck("srv", Pass, "%s", strings.Join(found, "; "))
}

// fetch gets url (or posts body to it), at most 64 KiB, and fails on a
// status other than 200.
func fetch(ctx context.Context, c *http.Client, method, url string, body ...string) (string, error) {
	var rd io.Reader
	if len(body) > 0 {
		rd = strings.NewReader(body[0])
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return "", err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "text/xml")
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %s", resp.Status)
	}
	return string(data), nil
}

// paccCheck fetches the domain's PACC document (draft-ietf-mailmaint-pacc)
// and checks it against the TXT record that pins it, as a client does:
// a document without its record, or whose bytes the record does not
// match, is ignored.
func paccCheck(ctx context.Context, r *resolver, cfg *Config) Check {
	d := cfg.Domain
	records, _ := r.txt(ctx, "_ua-auto-config."+d)
	records = withPrefix(records, "v=UAAC1")
	u := "https://" + profiles.PACCHostPrefix + d + profiles.PACCPath
	body, err := fetch(ctx, cfg.HTTPClient, http.MethodGet, u)
	switch {
	case err != nil && len(records) == 0:
		return dnsCheck("pacc", Info, "no PACC document (draft-ietf-mailmaint-pacc) is published: clients use autoconfig, autodiscover or SRV")
	case err != nil:
		return dnsCheck("pacc", Fail, "_ua-auto-config.%s pins a document that %s does not serve: %v", d, u, err)
	case len(records) == 0:
		return dnsCheck("pacc", Warn, "%s is served, but _ua-auto-config.%s has no v=UAAC1 record: clients ignore the document", u, d)
	}
	if err := profiles.VerifyPACC([]byte(body), records); err != nil {
		return dnsCheck("pacc", Fail, "%s: %v: clients ignore the document", u, err)
	}
	return dnsCheck("pacc", Pass, "%s matches its record at _ua-auto-config.%s", u, d)
}

// probeHTTP checks that mail apps can fetch their settings.
func probeHTTP(ctx context.Context, cfg *Config) []Check {
	d := cfg.Domain
	ac := "https://autoconfig." + d + "/mail/config-v1.1.xml?emailaddress=probe%40" + d
	ad := "https://autodiscover." + d + "/autodiscover/autodiscover.xml"
	var out []Check
	if body, err := fetch(ctx, cfg.HTTPClient, http.MethodGet, ac); err != nil {
		out = append(out, Check{Group: "http", Name: "autoconfig", Status: Warn, Detail: fmt.Sprintf("%s: %v: Thunderbird falls back to guessing", ac, err)})
	} else if !strings.Contains(body, "<clientConfig") {
		out = append(out, Check{Group: "http", Name: "autoconfig", Status: Fail, Detail: ac + " answers, but not with a clientConfig document"})
	} else {
		out = append(out, Check{Group: "http", Name: "autoconfig", Status: Pass, Detail: ac})
	}
	// Outlook's request (POX), for an address of the domain.
	pox := `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>probe@` +
		d + `</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`
	if _, err := fetch(ctx, cfg.HTTPClient, http.MethodPost, ad, pox); err != nil {
		out = append(out, Check{Group: "http", Name: "autodiscover", Status: Warn, Detail: fmt.Sprintf("%s: %v: Outlook asks the user", ad, err)})
	} else {
		out = append(out, Check{Group: "http", Name: "autodiscover", Status: Pass, Detail: ad})
	}
	return append(out, certNamesCheck(ctx, cfg))
}

// certNamesCheck connects to each name clients fetch settings from over
// HTTPS (autoconfig., autodiscover., mta-sts. and ua-auto-config. of the
// domain) and checks that the certificate it presents is valid for that
// name: a certificate requested for mail. only fails there. Names that
// do not answer are left to the fetches above.
func certNamesCheck(ctx context.Context, cfg *Config) Check {
	c := Check{Group: "http", Name: "certificate-names"}
	var covered, missing []string
	for _, prefix := range []string{"autoconfig.", "autodiscover.", "mta-sts.", "ua-auto-config."} {
		name := prefix + cfg.Domain
		nc, err := cfg.Dial(ctx, "tcp", net.JoinHostPort(name, "443"))
		if err != nil {
			continue
		}
		tc := tls.Client(nc, &tls.Config{ServerName: name, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec // verified below, to say why
		if dl, ok := ctx.Deadline(); ok {
			_ = nc.SetDeadline(dl)
		}
		err = tc.HandshakeContext(ctx)
		var certs []*x509.Certificate
		if err == nil {
			certs = tc.ConnectionState().PeerCertificates
		}
		nc.Close()
		if len(certs) == 0 {
			continue
		}
		inter := x509.NewCertPool()
		for _, ic := range certs[1:] {
			inter.AddCert(ic)
		}
		if _, err := certs[0].Verify(x509.VerifyOptions{DNSName: name, Roots: cfg.Roots, Intermediates: inter, CurrentTime: cfg.Now()}); err != nil {
			missing = append(missing, name+" ("+shortCertError(err)+")")
			continue
		}
		covered = append(covered, name)
	}
	switch {
	case len(missing) > 0:
		c.Status, c.Detail = Warn, "no valid certificate for "+strings.Join(missing, ", ")+": clients fetching settings or the MTA-STS policy there fail; request the certificate for these names too"
	case len(covered) == 0:
		c.Status, c.Detail = Info, "none of autoconfig., autodiscover., mta-sts. answers over HTTPS"
	default:
		c.Status, c.Detail = Pass, "valid certificates for "+strings.Join(covered, ", ")
	}
	return c
}

// shortCertError says in a few words why a certificate does not verify.
func shortCertError(err error) string {
	var host x509.HostnameError
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &host):
		return "issued for " + strings.Join(host.Certificate.DNSNames, ", ")
	case errors.As(err, &unknown):
		return "not from a trusted CA"
	case errors.As(err, &invalid):
		return invalid.Error()
	}
	return err.Error()
}
