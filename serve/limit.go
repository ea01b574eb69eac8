package serve

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiter gives each client a token bucket: an IPv4 address, or an IPv6
// /64 (one subscriber's network: a host picks any of its 2^64 addresses
// at will). Memory is bounded: past maxClients, those idle for a minute
// are dropped, and if none is, the least recently seen half goes, so that
// a flood of new addresses can neither grow the map without end nor wipe
// the buckets of the clients it is meant to slow down.
type ipLimiter struct {
	mu      sync.Mutex
	clients map[string]*client
	rate    rate.Limit
	burst   int
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

const (
	maxClients = 100_000
	idleClient = time.Minute
)

func newIPLimiter(perSecond float64, burst int) *ipLimiter {
	return &ipLimiter{clients: map[string]*client{}, rate: rate.Limit(perSecond), burst: burst}
}

func (l *ipLimiter) allow(ip string, now time.Time) bool {
	ip = clientKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.clients[ip]
	if !ok {
		if len(l.clients) >= maxClients {
			l.sweep(now)
		}
		c = &client{lim: rate.NewLimiter(l.rate, l.burst)}
		l.clients[ip] = c
	}
	c.seen = now
	return c.lim.AllowN(now, 1)
}

// sweep drops idle clients, or the least recently seen half when none is
// idle.
func (l *ipLimiter) sweep(now time.Time) {
	for ip, c := range l.clients {
		if now.Sub(c.seen) > idleClient {
			delete(l.clients, ip)
		}
	}
	if len(l.clients) < maxClients {
		return
	}
	type entry struct {
		ip   string
		seen time.Time
	}
	all := make([]entry, 0, len(l.clients))
	for ip, c := range l.clients {
		all = append(all, entry{ip, c.seen})
	}
	slices.SortFunc(all, func(a, b entry) int { return a.seen.Compare(b.seen) })
	for _, e := range all[:len(all)/2] {
		delete(l.clients, e.ip)
	}
}

// clientKey is the bucket an address counts against: itself for IPv4
// (an IPv4-mapped IPv6 address too), its /64 for IPv6; anything else as
// given.
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
