package serve

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailadvisor/mailadvisor/profiles"
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

// BenchmarkManyDomains: requests spread over every domain served and all
// three formats, for 1 domain and for 10,000 (each with its own servers,
// mail.<domain>, and its name in the display name), alternating with
// repeated runs. Reported: ns/op, the 99th percentile, and the heap in
// use with the domains loaded and at the end. The cache is warmed first (one request per domain and format:
// what a minute of real traffic does), so this is the steady state.
//
//	for i in 1 2 3; do go test ./serve -run XXX -bench ManyDomains; done
func BenchmarkManyDomains(b *testing.B) {
	for _, n := range []int{1, 10000} {
		b.Run("domains="+strconv.Itoa(n), func(b *testing.B) {
			domains := make([]*profiles.Domain, n)
			names := make([]string, n)
			for i := range domains {
				names[i] = "customer" + strconv.Itoa(i) + ".example"
				domains[i] = &profiles.Domain{Domains: []string{names[i]}, DisplayName: "Mail of " + names[i]}
				if err := domains[i].Normalize(); err != nil {
					b.Fatal(err)
				}
			}
			s := newTestServer(b, Config{Domains: domains})
			var loaded runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&loaded)
			request := func(i int) *http.Request {
				addr := "user" + strconv.Itoa(i%977) + "@" + names[(i/3)%n]
				switch i % 3 {
				case 0:
					return httptest.NewRequest("GET", "/mail/config-v1.1.xml?emailaddress="+addr, nil)
				case 1:
					return httptest.NewRequest("POST", "/autodiscover/autodiscover.xml", strings.NewReader(poxRequest(addr)))
				default:
					return httptest.NewRequest("GET", "/mobileconfig?emailaddress="+addr, nil)
				}
			}
			for i := range 3 * n {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, request(i))
				if w.Code != http.StatusOK {
					b.Fatalf("%d: %s", w.Code, w.Body)
				}
			}
			var next atomic.Int64
			var mu sync.Mutex
			var latencies []time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					r := request(int(next.Add(1)))
					w := httptest.NewRecorder()
					start := time.Now()
					s.ServeHTTP(w, r)
					mine = append(mine, time.Since(start))
					if w.Code != http.StatusOK {
						b.Errorf("%d: %s", w.Code, w.Body)
						return
					}
				}
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			slices.Sort(latencies)
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Nanoseconds()), "ns-p99")
			var m runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m)
			b.ReportMetric(float64(m.HeapInuse)/(1<<20), "MiB-heap")
			b.ReportMetric(float64(loaded.HeapInuse)/(1<<20), "MiB-heap-loaded")
			runtime.KeepAlive(s)
		})
	}
}

// BenchmarkPage: GET / (the form, in the client's language) against a
// do-nothing handler that answers a fixed page of the same size with the
// same headers set: the floor of a response through this handler chain.
//
//	go test ./serve -run XXX -bench 'Page$' -count 5
func BenchmarkPage(b *testing.B) {
	s := newTestServer(b, Config{Rate: 0})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	body := w.Body.Bytes()
	floor := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"floor", floor}, {"page", s}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("GET", "/", nil)
					r.Header.Set("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.8")
					w := httptest.NewRecorder()
					c.h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("%d", w.Code)
					}
				}
			})
		})
	}
}

// BenchmarkAccessLog: the profile endpoints with the access log off and
// on (JSON, into a discarding writer), alternating with -count.
//
//	go test ./serve -run XXX -bench AccessLog -count 5
func BenchmarkAccessLog(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		cfg := Config{}
		if on {
			name = "on"
			l, err := NewAccessLog(discard{}, LogJSON)
			if err != nil {
				b.Fatal(err)
			}
			cfg.AccessLog = l
		}
		s := newTestServer(b, cfg)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					var r *http.Request
					switch next.Add(1) % 3 {
					case 0:
						r = httptest.NewRequest("GET", "/mail/config-v1.1.xml?emailaddress=alice@example.com", nil)
					case 1:
						r = httptest.NewRequest("POST", "/autodiscover/autodiscover.xml", strings.NewReader(poxRequest("bob@example.com")))
					default:
						r = httptest.NewRequest("GET", "/mobileconfig?emailaddress=carol@example.com", nil)
					}
					r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Thunderbird/128.0")
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
