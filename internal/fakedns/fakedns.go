// Package fakedns is a DNS server on 127.0.0.1 for tests (github.com/miekg/dns):
// it answers the records it is given, over UDP and TCP, and NXDOMAIN for every other name, so
// that a test's DNS traffic never leaves the machine.
package fakedns

import (
	"net"
	"strings"

	"github.com/miekg/dns"
)

// Start serves the records (zone-file lines, one a line) over UDP on
// 127.0.0.1 and returns its address (host:port) and how to stop it. The
// signatures (RRSIG) covering the type asked come with the answer, as a
// DNSSEC-aware server gives them.
func Start(zone string) (addr string, stop func(), err error) {
	return StartWith(zone, Options{})
}

// Options change how the server answers.
type Options struct {
	// AuthenticData sets the AD bit on every answer: a validating
	// resolver vouching for them.
	AuthenticData bool
}

// StartWith is Start with opts.
func StartWith(zone string, opts Options) (addr string, stop func(), err error) {
	records := map[string][]dns.RR{}
	for _, line := range strings.Split(zone, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		rr, err := dns.NewRR(line)
		if err != nil {
			return "", nil, err
		}
		records[rr.Header().Name] = append(records[rr.Header().Name], rr)
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, rr := range records[q.Question[0].Name] {
			if rr.Header().Rrtype == q.Question[0].Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		for _, rr := range records[q.Question[0].Name] {
			if sig, ok := rr.(*dns.RRSIG); ok && sig.TypeCovered == q.Question[0].Qtype && len(m.Answer) > 0 {
				m.Answer = append(m.Answer, rr)
			}
		}
		if len(m.Answer) == 0 {
			m.Rcode = dns.RcodeNameError
		}
		m.AuthenticatedData = opts.AuthenticData
		_ = w.WriteMsg(m)
	})
	// UDP and TCP on one port, as a real server (some resolvers, Pebble's
	// among them, ask over TCP).
	var pc net.PacketConn
	var tl net.Listener
	for range 20 {
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return "", nil, err
		}
		if tl, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		return "", nil, err
	}
	udp := &dns.Server{PacketConn: pc, Handler: handler}
	tcp := &dns.Server{Listener: tl, Handler: handler}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	return pc.LocalAddr().String(), func() { _ = udp.Shutdown(); _ = tcp.Shutdown() }, nil
}
