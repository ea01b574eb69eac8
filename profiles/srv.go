package profiles

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// DNS SRV records for mail discovery (RFC 6186, with RFC 8314's
// _submissions), as zone-file lines. Implicit TLS gets the lower (more
// preferred) priority, the preferred protocol is preferred over the
// other, and a service not offered is published as "0 0 0 ." (RFC 2782:
// decidedly not available).

// SRVTTL is the TTL of the records, in seconds.
const SRVTTL = 3600

// SRVRecord is one SRV record.
type SRVRecord struct {
	Owner    string `json:"owner"` // _service._tcp.domain. (with the trailing dot)
	Priority int    `json:"priority"`
	Weight   int    `json:"weight"`
	Port     int    `json:"port"`
	Target   string `json:"target"` // FQDN with the trailing dot, or "." when not offered
}

// SRVRecords returns the six mail SRV records of every domain of the plan.
func SRVRecords(p *Plan) []SRVRecord {
	var out []SRVRecord
	for _, domain := range p.Domain.Domains {
		for _, svc := range []struct {
			label    string
			protocol string
			security string
		}{
			{"_imaps", IMAP, SecurityTLS}, {"_imap", IMAP, SecuritySTARTTLS},
			{"_pop3s", POP3, SecurityTLS}, {"_pop3", POP3, SecuritySTARTTLS},
			{"_submissions", SMTP, SecurityTLS}, {"_submission", SMTP, SecuritySTARTTLS},
		} {
			r := SRVRecord{Owner: svc.label + "._tcp." + domain + ".", Target: "."}
			if e, ok := p.endpoint(svc.protocol, svc.security); ok {
				r.Priority, r.Weight, r.Port, r.Target = p.srvPriority(e), 1, e.Port, e.Host+"."
			}
			out = append(out, r)
		}
	}
	return out
}

// endpoint returns the plan's endpoint of protocol with security; the
// STARTTLS port also stands for cleartext, which uses the same port.
func (p *Plan) endpoint(protocol, security string) (Endpoint, bool) {
	for _, e := range append(append([]Endpoint{}, p.Incoming...), p.Outgoing...) {
		if e.Protocol == protocol && (e.Security == security || security == SecuritySTARTTLS && e.Security == SecurityNone) {
			return e, true
		}
	}
	return Endpoint{}, false
}

// srvPriority: 0 for implicit TLS, 5 for STARTTLS, plus 10 for the
// protocol that is not preferred.
func (p *Plan) srvPriority(e Endpoint) int {
	prio := 0
	if e.Security != SecurityTLS {
		prio = 5
	}
	if e.Protocol != SMTP && e.Protocol != p.Preferred {
		prio += 10
	}
	return prio
}

// WriteSRV writes the SRV records as aligned zone-file lines.
func WriteSRV(w io.Writer, p *Plan) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "; mail service discovery for %s (RFC 6186, RFC 8314); \"0 0 0 .\" = not offered\n", p.Domain.Domains[0])
	for _, r := range SRVRecords(p) {
		fmt.Fprintf(tw, "%s\t%d\tIN\tSRV\t%d %d %d %s\n", r.Owner, SRVTTL, r.Priority, r.Weight, r.Port, r.Target)
	}
	return tw.Flush()
}
