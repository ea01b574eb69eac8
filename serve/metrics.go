package serve

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus series: requests by endpoint, domain and
// status, and latency by endpoint. The domain label is "*" for any served
// domain, or the domain itself with perDomain (--metrics-per-domain: a
// series per domain, endpoint and status, which with thousands of domains
// costs megabytes), and "-" for a domain not served: its values are
// bounded by the configuration, never by requests.
type metrics struct {
	perDomain bool
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	// The domain set: which one a replica serves (each load that
	// succeeds is the next generation), and whether the last load did.
	generation    prometheus.Gauge
	reloadOK      prometheus.Gauge
	reloadTime    prometheus.Gauge
	loadedTime    prometheus.Gauge
	domainsServed prometheus.Gauge
	rejected      prometheus.Gauge
	gen           atomic.Int64
	handler       http.Handler
	// The series already made, so that a request does not hash its labels:
	// bounded as the labels are.
	counters   sync.Map // counterKey -> prometheus.Counter
	histograms sync.Map // endpoint -> prometheus.Observer
}

type counterKey struct {
	endpoint, domain string
	status           int
}

// newMetrics registers the series in a registry of the server's own,
// with the Go runtime's and the process's.
func newMetrics(perDomain bool) (*metrics, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m := &metrics{
		perDomain: perDomain,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailadvisor_serve_requests_total", Help: "Requests answered, by endpoint, served domain and HTTP status.",
		}, []string{"endpoint", "domain", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mailadvisor_serve_request_duration_seconds", Help: "Time to answer a request, by endpoint.",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5},
		}, []string{"endpoint"}),
	}
	m.generation = prometheus.NewGauge(prometheus.GaugeOpts{Name: "mailadvisor_domains_generation",
		Help: "How many times the domain set was loaded: the same number on every replica that serves the same set."})
	m.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{Name: "mailadvisor_domains_last_reload_success",
		Help: "1 when the last load of the domain set succeeded, 0 when it failed (the previous set is still served)."})
	m.reloadTime = prometheus.NewGauge(prometheus.GaugeOpts{Name: "mailadvisor_domains_last_reload_timestamp_seconds",
		Help: "When the domain set was last loaded or tried, in Unix seconds."})
	m.loadedTime = prometheus.NewGauge(prometheus.GaugeOpts{Name: "mailadvisor_domains_loaded_timestamp_seconds",
		Help: "When the domain set served was loaded, in Unix seconds: time() minus this is how stale it is (a database away, a file that does not parse)."})
	m.domainsServed = prometheus.NewGauge(prometheus.GaugeOpts{Name: "mailadvisor_domains_served",
		Help: "Domain names served."})
	m.rejected = prometheus.NewGauge(prometheus.GaugeOpts{Name: "mailadvisor_domains_rejected",
		Help: "Rows of the domain source left out of the set served, for errors of their own (the log says which)."})
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.generation, m.reloadOK, m.reloadTime, m.loadedTime, m.domainsServed, m.rejected} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m, nil
}

func (m *metrics) observe(endpoint, domain string, status int, d time.Duration) {
	switch {
	case domain == "":
		domain = "-"
	case !m.perDomain:
		domain = "*"
	}
	key := counterKey{endpoint, domain, status}
	c, ok := m.counters.Load(key)
	if !ok {
		c, _ = m.counters.LoadOrStore(key, m.requests.WithLabelValues(endpoint, domain, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
	h, ok := m.histograms.Load(endpoint)
	if !ok {
		h, _ = m.histograms.LoadOrStore(endpoint, m.latency.WithLabelValues(endpoint))
	}
	h.(prometheus.Observer).Observe(d.Seconds())
}

func (m *metrics) serve(w *recorder, r *http.Request) { m.handler.ServeHTTP(w, r) }

// loaded records a load of the domain set: ok, with n names, or failed.
func (m *metrics) loaded(ok bool, n int) {
	m.reloadTime.SetToCurrentTime()
	if !ok {
		m.reloadOK.Set(0)
		return
	}
	m.generation.Set(float64(m.gen.Add(1)))
	m.loadedTime.SetToCurrentTime()
	m.reloadOK.Set(1)
	m.domainsServed.Set(float64(n))
}
