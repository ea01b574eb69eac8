package serve

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"time"
)

// ipLimiter gives each client a token bucket: an IPv4 address, or an IPv6
// /64 (one subscriber's network: a host picks any of its 2^64 addresses
// at will). Its memory is fixed by a budget (Config.RateMemory): a table
// of that many buckets, in the order they were last used. A new client
// past the last bucket takes the least recently used one, in constant
// time (no sweep of the table under the lock), so a flood of new
// addresses can neither grow the memory nor wipe the buckets of the
// clients it is meant to slow down: those stay in use, at the front.
//
// A bucket is 32 bytes with its key and place in the order (rate.Limiter
// alone, with a mutex of its own and two times, is three times that, and
// the table already holds one lock).
type ipLimiter struct {
	mu      sync.Mutex
	index   map[bucketKey]int32
	buckets []bucket // a ring of the table's slots, in use order (see head)
	head    int32    // the most recently used, or -1
	epoch   time.Time
	rate    float64 // tokens a second
	burst   float64
}

// bucketKey is an IPv6 /64 (its 64 bits), or an IPv4 address as the /64
// of its IPv4-mapped form would be (0:ffff:a.b.c.d, a prefix in the
// reserved ::/8, which no client on the Internet has): no string per
// client.
type bucketKey uint64

type bucket struct {
	key        bucketKey
	tokens     float32
	last       int64 // nanoseconds since epoch
	prev, next int32 // use order: prev more recent, next less
}

// bucketBytes is what one client costs: its bucket and its index entry,
// with the map's overhead (measured in TestLimiterMemoryIsBounded).
const bucketBytes = 112

// DefaultRateMemory is the limiter's default budget: 74,898 clients.
const DefaultRateMemory = 8 << 20

func newIPLimiter(perSecond float64, burst int, budget int64) *ipLimiter {
	capacity := max(budget/bucketBytes, 16)
	return &ipLimiter{index: make(map[bucketKey]int32, capacity), buckets: make([]bucket, 0, capacity),
		head: -1, epoch: time.Now(), rate: perSecond, burst: float64(burst)}
}

// allow takes a token from ip's bucket at now.
func (l *ipLimiter) allow(ip string, now time.Time) bool {
	a, _ := netip.ParseAddr(ip)
	return l.allowAddr(a, now)
}

// allowAddr is allow for an address already parsed (invalid: one bucket
// for every such client).
func (l *ipLimiter) allowAddr(a netip.Addr, now time.Time) bool {
	key := clientKey(a)
	t := now.Sub(l.epoch).Nanoseconds()
	l.mu.Lock()
	defer l.mu.Unlock()
	i, ok := l.index[key]
	switch {
	case ok:
		b := &l.buckets[i]
		elapsed := float64(t-b.last) / 1e9
		if elapsed > 0 {
			b.tokens = float32(min(l.burst, float64(b.tokens)+elapsed*l.rate))
			b.last = t
		}
		l.touch(i)
	case len(l.buckets) < cap(l.buckets):
		i = int32(len(l.buckets))
		l.buckets = append(l.buckets, bucket{key: key, tokens: float32(l.burst), last: t, prev: -1, next: -1})
		l.index[key] = i
		l.push(i)
	default:
		// The least recently used bucket is the head's prev in the ring.
		i = l.buckets[l.head].prev
		delete(l.index, l.buckets[i].key)
		l.buckets[i].key, l.buckets[i].tokens, l.buckets[i].last = key, float32(l.burst), t
		l.index[key] = i
		l.touch(i)
	}
	b := &l.buckets[i]
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// push puts the new slot i at the front of the ring.
func (l *ipLimiter) push(i int32) {
	b := &l.buckets[i]
	if l.head < 0 {
		b.prev, b.next, l.head = i, i, i
		return
	}
	h := &l.buckets[l.head]
	tail := h.prev
	b.next, b.prev = l.head, tail
	l.buckets[tail].next = i
	h.prev = i
	l.head = i
}

// touch moves slot i to the front of the ring.
func (l *ipLimiter) touch(i int32) {
	if i == l.head {
		return
	}
	b := &l.buckets[i]
	if b.next == l.head && l.buckets[l.head].prev == i {
		l.head = i // the tail: the ring turns by one
		return
	}
	l.buckets[b.prev].next = b.next
	l.buckets[b.next].prev = b.prev
	h := &l.buckets[l.head]
	tail := h.prev
	b.next, b.prev = l.head, tail
	l.buckets[tail].next = i
	h.prev = i
	l.head = i
}

// len is the number of clients with a bucket.
func (l *ipLimiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.index)
}

// clientKey is the bucket an address counts against: itself for IPv4 (an
// IPv4-mapped IPv6 address too), its /64 for IPv6. Anything else (no
// address: a Unix socket's peer) shares one bucket.
func clientKey(a netip.Addr) bucketKey {
	if !a.IsValid() {
		return 0
	}
	if a = a.Unmap(); a.Is4() {
		v4 := a.As4()
		return bucketKey(0xffff<<32 | uint64(binary.BigEndian.Uint32(v4[:])))
	}
	v6 := a.As16()
	return bucketKey(binary.BigEndian.Uint64(v6[:8]))
}
