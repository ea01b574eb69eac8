package serve

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The handler's own cost per request, without the network: what the load
// test's throughput is made of (scripts/loadtest.sh measures it whole).
func BenchmarkHandler(b *testing.B) {
	s := newTestServer(b, Config{})
	for _, c := range []struct{ name, method, target, body string }{
		{"autoconfig", "GET", "/mail/config-v1.1.xml?emailaddress=alice@example.com", ""},
		{"autodiscover", "POST", "/autodiscover/autodiscover.xml", poxRequest("bob@example.com")},
		{"autodiscover-json", "GET", "/autodiscover/autodiscover.json/v1.0/bob@example.com?Protocol=AutodiscoverV1", ""},
		{"mobileconfig", "GET", "/mobileconfig?emailaddress=alice@example.com", ""},
		{"page-post", "POST", "/", "email=erin%40example.com&devices=3&connectivity=good"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
					if c.name == "page-post" {
						r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					}
					w := httptest.NewRecorder()
					s.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("%d: %s", w.Code, w.Body)
					}
				}
			})
		})
	}
}

// BenchmarkLoopbackLoad is the 60-second load test: a real server on
// loopback, 64 kept-alive connections cycling through autoconfig,
// autodiscover and mobileconfig, for MAILADVISOR_LOAD_SECONDS (60 by
// default). It fails on any error or non-200 answer, or when the heap in
// use at the end is more than 8 MiB above what it was after the first
// five seconds (memory must stay flat). It is not part of `go test ./...`:
//
//	go test ./serve -run XXX -bench LoopbackLoad -benchtime 1x
//
// scripts/loadtest.sh measures throughput and latency with wrk instead.
func BenchmarkLoopbackLoad(b *testing.B) {
	secs := 60
	if v, err := strconv.Atoi(os.Getenv("MAILADVISOR_LOAD_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	srv := HTTPServer(newTestServer(b, Config{}), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	type req struct{ method, url, body string }
	reqs := []req{
		{"GET", base + "/mail/config-v1.1.xml?emailaddress=alice@example.com", ""},
		{"POST", base + "/autodiscover/autodiscover.xml", poxRequest("bob@example.com")},
		{"GET", base + "/mobileconfig?emailaddress=carol@example.com", ""},
	}
	var total, failed atomic.Int64
	var heapWarm, heapEnd runtime.MemStats
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	warm := time.AfterFunc(5*time.Second, func() { runtime.GC(); runtime.ReadMemStats(&heapWarm) })
	defer warm.Stop()
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; time.Now().Before(deadline); i++ {
				q := reqs[i%len(reqs)]
				r, _ := http.NewRequest(q.method, q.url, strings.NewReader(q.body))
				resp, err := client.Do(r)
				total.Add(1)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&heapEnd)
	b.ReportMetric(float64(total.Load())/float64(secs), "req/s")
	b.ReportMetric(float64(heapWarm.HeapInuse)/(1<<20), "MiB-heap-at-5s")
	b.ReportMetric(float64(heapEnd.HeapInuse)/(1<<20), "MiB-heap-at-end")
	if failed.Load() > 0 {
		b.Errorf("%d of %d requests failed", failed.Load(), total.Load())
	}
	if secs > 5 && heapEnd.HeapInuse > heapWarm.HeapInuse+8<<20 {
		b.Errorf("heap in use grew from %d to %d MiB", heapWarm.HeapInuse>>20, heapEnd.HeapInuse>>20)
	}
}

// BenchmarkLimiterNewAddresses: each request from an address never seen,
// once the table is full (a flood of new IPv6 /64s): the cost of taking
// the least recently used bucket, against the cost of a known client.
func BenchmarkLimiterNewAddresses(b *testing.B) {
	for _, c := range []struct {
		name string
		addr func(i int) string
	}{
		{"known", func(int) string { return "192.0.2.1" }},
		{"new", func(i int) string {
			return "2001:db8:" + strconv.FormatInt(int64(i&0xffff), 16) + ":" + strconv.FormatInt(int64(i>>16), 16) + "::1"
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			l := newIPLimiter(1000, 10, DefaultRateMemory)
			addrs := make([]string, 1<<20)
			for i := range addrs {
				addrs[i] = c.addr(i)
			}
			for i := range addrs[:200_000] {
				l.allow(addrs[i], time.Now()) // the table full
			}
			now := time.Now()
			b.ResetTimer()
			for i := range b.N {
				l.allow(addrs[i&(len(addrs)-1)], now)
			}
		})
	}
}

// BenchmarkTrustedProxy: the same autoconfig request from 1,000 clients,
// straight (the peer is the client) and behind a trusted proxy (the peer
// is the proxy, the client in X-Forwarded-For and the scheme in
// X-Forwarded-Proto), both rate-limited per client, in alternating
// chunks of 1,000 requests so that the machine's noise hits both alike.
// It reports the time per request of each and proxy/direct.
func BenchmarkTrustedProxy(b *testing.B) {
	proxy, err := ParseTrustedProxy("10.0.0.0/8")
	if err != nil {
		b.Fatal(err)
	}
	direct := newTestServer(b, Config{Rate: 1e9, Burst: 1 << 30})
	behind := newTestServer(b, Config{Rate: 1e9, Burst: 1 << 30, TrustedProxies: []netip.Prefix{proxy}})
	const chunk = 1000
	clients := make([]string, chunk)
	for i := range clients {
		clients[i] = "198.51." + strconv.Itoa(100+i/256) + "." + strconv.Itoa(i%256)
	}
	// The requests are made once: what is timed is the server's work.
	requests := func(viaProxy bool) []*http.Request {
		out := make([]*http.Request, chunk)
		for i := range out {
			r := httptest.NewRequest("GET", "/mail/config-v1.1.xml?emailaddress=alice@example.com", nil)
			if viaProxy {
				r.RemoteAddr = "10.0.0.7:41000"
				r.Header.Set("X-Forwarded-For", clients[i]+", 10.0.0.3")
				r.Header.Set("X-Forwarded-Proto", "https")
			} else {
				r.RemoteAddr = clients[i] + ":41000"
			}
			out[i] = r
		}
		return out
	}
	straight, forwarded := requests(false), requests(true)
	run := func(s *Server, reqs []*http.Request) time.Duration {
		start := time.Now()
		for _, r := range reqs {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("%d: %s", w.Code, w.Body)
			}
		}
		return time.Since(start)
	}
	var tDirect, tBehind time.Duration
	n := 0
	for b.Loop() {
		tDirect += run(direct, straight)
		tBehind += run(behind, forwarded)
		n += chunk
	}
	b.ReportMetric(float64(tDirect.Nanoseconds())/float64(n), "ns/direct")
	b.ReportMetric(float64(tBehind.Nanoseconds())/float64(n), "ns/proxied")
	b.ReportMetric(float64(tBehind)/float64(tDirect), "proxied/direct")
}
