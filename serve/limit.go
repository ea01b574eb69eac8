package serve

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiter gives each client address a token bucket. Memory is bounded:
// past maxClients addresses, those idle for a minute are dropped, and if
// none is, the oldest half goes (a flood of new addresses cannot grow the
// map without end).
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

// sweep drops idle clients, or the older half when none is idle.
func (l *ipLimiter) sweep(now time.Time) {
	for ip, c := range l.clients {
		if now.Sub(c.seen) > idleClient {
			delete(l.clients, ip)
		}
	}
	if len(l.clients) < maxClients {
		return
	}
	var total time.Duration
	for _, c := range l.clients {
		total += now.Sub(c.seen)
	}
	mean := total / time.Duration(len(l.clients))
	for ip, c := range l.clients {
		if now.Sub(c.seen) >= mean {
			delete(l.clients, ip)
		}
	}
}
