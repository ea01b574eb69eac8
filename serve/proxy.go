package serve

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// origin is who a request comes from and how it reached the server: the
// client's address (the rate limit's key) and whether it came over HTTPS
// (for the links the server writes).
type origin struct {
	addr  netip.Addr // invalid when the peer's address does not parse
	https bool
}

// originOf tells where r comes from. The TCP peer is the client, unless it
// is a trusted proxy (Config.TrustedProxies): then the client is the
// rightmost address of Forwarded (RFC 7239) or, without it,
// X-Forwarded-For that is not itself a trusted proxy, and the scheme is
// the proxy's (proto= or X-Forwarded-Proto). A peer that is not trusted
// cannot choose its address or scheme by sending these headers.
func (s *Server) originOf(r *http.Request) origin {
	peer := peerAddr(r)
	o := origin{addr: peer, https: r.TLS != nil}
	if !peer.IsValid() || !s.trusted(peer) {
		return o
	}
	var proto string
	if r.Header["Forwarded"] != nil {
		var hops []string
		hops, proto = forwarded(r.Header)
		for i := len(hops) - 1; i >= 0; i-- {
			a, ok := parseHop(hops[i])
			if !ok {
				break // a hop we cannot read: what is left of it is the client's word
			}
			if !s.trusted(a) {
				o.addr = a
				break
			}
		}
	} else {
		// X-Forwarded-For, read from the right without making a list:
		// the common case behind an ingress, on every request.
		if a, ok := s.rightmostUntrusted(r.Header["X-Forwarded-For"]); ok {
			o.addr = a
		}
		if protos := r.Header["X-Forwarded-Proto"]; len(protos) > 0 {
			last := protos[len(protos)-1]
			proto = strings.TrimSpace(last[strings.LastIndexByte(last, ',')+1:])
		}
	}
	switch {
	case strings.EqualFold(proto, "https"):
		o.https = true
	case strings.EqualFold(proto, "http"):
		o.https = false
	}
	return o
}

// rightmostUntrusted is the last hop of X-Forwarded-For (several lines
// are one list) that is not a trusted proxy; false when a hop before it
// cannot be read or every hop is trusted.
func (s *Server) rightmostUntrusted(lines []string) (netip.Addr, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		for {
			cut := strings.LastIndexByte(line, ',')
			a, ok := parseHop(line[cut+1:])
			if !ok {
				return netip.Addr{}, false
			}
			if !s.trusted(a) {
				return a, true
			}
			if cut < 0 {
				break
			}
			line = line[:cut]
		}
	}
	return netip.Addr{}, false
}

// trusted tells whether a is one of the trusted proxies.
func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr is the TCP peer's address.
func peerAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// forwarded reads the hops of the Forwarded header (RFC 7239), nearest
// last, and the scheme the nearest proxy gave. Several header lines are
// one list.
func forwarded(h http.Header) (hops []string, proto string) {
	for _, line := range h.Values("Forwarded") {
		for _, elem := range strings.Split(line, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok {
					continue
				}
				v = strings.Trim(strings.TrimSpace(v), `"`)
				switch strings.ToLower(k) {
				case "for":
					hops = append(hops, v)
				case "proto":
					proto = v // the last proxy's, which is ours
				}
			}
		}
	}
	return hops, proto
}

// parseHop reads one hop's address: 192.0.2.1, 192.0.2.1:4711,
// 2001:db8::1, [2001:db8::1]:4711 (Forwarded's quoted form included).
func parseHop(hop string) (netip.Addr, bool) {
	hop = strings.TrimSpace(hop)
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(hop, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// ParseTrustedProxy reads a --trusted-proxy value: a CIDR prefix, or one
// address.
func ParseTrustedProxy(v string) (netip.Prefix, error) {
	return textcheck.Prefix("trusted-proxy", v)
}

// servedHost tells whether host (from a request's Host) is a name this
// server answers for: a served domain, or its autoconfig., autodiscover.,
// mta-sts. or ua-auto-config. name. Links are written only with such a
// host (or Config.PublicURL): another Host is the client's word, and a
// link made of it could send people elsewhere.
func (st *site) servedHost(host string) bool {
	if _, ok := st.domains[host]; ok {
		return true
	}
	for _, prefix := range []string{"autoconfig.", "autodiscover.", "mta-sts.", "ua-auto-config."} {
		if name, ok := strings.CutPrefix(host, prefix); ok {
			if _, ok := st.domains[name]; ok {
				return true
			}
		}
	}
	return false
}
