package probe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// Target is one domain to probe, with its mail host when the list names
// one (else its best MX).
type Target struct {
	Line   int
	Domain string
	Host   string
}

// DomainResult is one domain's probe, as `probe --domains` writes it (a
// JSON line): the grade and checks, or why it could not be probed, and,
// against a baseline, what got worse and what got better.
type DomainResult struct {
	Line   int     `json:"line"`
	Domain string  `json:"domain"`
	Host   string  `json:"host,omitempty"`
	Grade  string  `json:"grade,omitempty"`
	Counts *Counts `json:"counts,omitempty"`
	Checks []Check `json:"checks,omitempty"`
	Error  string  `json:"error,omitempty"`
	// Worse and Better are the checks whose status changed since the
	// baseline (the grade is one of them); nil without a baseline.
	Worse  []Change `json:"worse,omitempty"`
	Better []Change `json:"better,omitempty"`
}

// Counts are a result's checks by status.
type Counts struct {
	Pass int `json:"pass"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
}

// Change is one check whose status moved: "smtp 25/tls-versions" from
// pass to fail, with what it says now.
type Change struct {
	Check  string `json:"check"`
	From   string `json:"from"`
	To     string `json:"to"`
	Detail string `json:"detail,omitempty"`
}

// Many are the settings of RunMany: each domain is probed with Base (its
// Host and Domain set per target), Concurrency at a time.
type Many struct {
	Base        Config
	Concurrency int
	// Baseline, keyed by domain, is an earlier run to compare with.
	Baseline map[string]DomainResult
}

// RunMany probes every target, Concurrency at a time, and gives each
// result to yield as it finishes (yield is never called concurrently);
// a yield error stops the run. A domain that cannot be probed (no MX, no
// answer) is a result with Error, never a stop.
func RunMany(ctx context.Context, targets []Target, m Many, yield func(DomainResult) error) error {
	n := max(m.Concurrency, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan Target)
	results := make(chan DomainResult)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for t := range jobs {
				r := probeOne(ctx, t, m)
				select {
				case results <- r:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, t := range targets {
			select {
			case jobs <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var err error
	for r := range results {
		if err == nil {
			if err = yield(r); err != nil {
				cancel()
			}
		}
	}
	return err
}

// probeOne probes one domain at its host (its best MX when not given).
func probeOne(ctx context.Context, t Target, m Many) DomainResult {
	out := DomainResult{Line: t.Line, Domain: t.Domain, Host: t.Host}
	cfg := m.Base
	cfg.Domain = t.Domain
	if out.Host == "" {
		host, err := bestMX(ctx, cfg.DNSServer, t.Domain)
		if err != nil {
			out.Error = err.Error()
			return out
		}
		out.Host = host
	}
	cfg.Host = out.Host
	res, err := Run(ctx, cfg)
	var unreachable *UnreachableError
	switch {
	case errors.As(err, &unreachable):
		out.Error = err.Error()
	case err != nil:
		out.Error = err.Error()
		return out
	}
	if res != nil {
		out.Grade, out.Checks = res.Grade, res.Checks
		if res.Grade != "" { // graded: not when nothing answered
			out.Counts = &Counts{Pass: res.Counts.Pass, Warn: res.Counts.Warn, Fail: res.Counts.Fail}
		}
	}
	if old, ok := m.Baseline[t.Domain]; ok {
		out.Worse, out.Better = Compare(old, out)
	}
	return out
}

// bestMX is the MX of domain with the lowest preference (the domain
// itself when it has none: RFC 5321's implicit MX).
func bestMX(ctx context.Context, server, domain string) (string, error) {
	if server == "" {
		return "", fmt.Errorf("%s: no DNS server to find its MX (give the host on the line, or --dns)", domain)
	}
	r := &resolver{server: server, client: &dns.Client{Net: "udp"}}
	rrs, err := r.query(ctx, domain, dns.TypeMX)
	if err != nil {
		return "", fmt.Errorf("%s: MX: %w", domain, err)
	}
	best, pref := "", uint16(0)
	for _, rr := range rrs {
		if mx, ok := rr.(*dns.MX); ok && (best == "" || mx.Preference < pref) {
			best, pref = mx.Mx, mx.Preference
		}
	}
	switch best {
	case "":
		return domain, nil
	case ".":
		return "", fmt.Errorf("%s: a null MX: it takes no mail (RFC 7505)", domain)
	}
	return strings.TrimSuffix(best, "."), nil
}

// rank orders statuses from good to bad; info does not count.
func rank(s string) int {
	switch Status(s) {
	case Pass:
		return 0
	case Warn:
		return 1
	case Fail:
		return 2
	}
	return -1
}

// Compare lists the checks whose status got worse and better from old to
// now, and the grade as one of them; a check only one side has is no
// change (probe added or dropped it, or the port closed, which its open
// check says).
func Compare(old, now DomainResult) (worse, better []Change) {
	before := map[string]Status{}
	for _, c := range old.Checks {
		if _, dup := before[c.Group+"/"+c.Name]; !dup {
			before[c.Group+"/"+c.Name] = c.Status
		}
	}
	add := func(key, from, to, detail string) {
		ch := Change{Check: key, From: from, To: to, Detail: detail}
		switch rf, rt := rank(from), rank(to); {
		case rf < 0 || rt < 0:
		case rt > rf:
			worse = append(worse, ch)
		case rt < rf:
			better = append(better, ch)
		}
	}
	if old.Grade != "" && now.Grade != "" && old.Grade != now.Grade {
		ch := Change{Check: "grade", From: old.Grade, To: now.Grade}
		if now.Grade > old.Grade {
			worse = append(worse, ch)
		} else {
			better = append(better, ch)
		}
	}
	if old.Error == "" && now.Error != "" {
		worse = append(worse, Change{Check: "reachable", From: "yes", To: "no", Detail: now.Error})
	}
	seen := map[string]bool{}
	for _, c := range now.Checks {
		key := c.Group + "/" + c.Name
		if seen[key] {
			continue // the first of a name counts, as in the baseline
		}
		seen[key] = true
		if from, ok := before[key]; ok && from != c.Status {
			add(key, string(from), string(c.Status), c.Detail)
		}
	}
	byKey := func(a, b Change) int { return strings.Compare(a.Check, b.Check) }
	slices.SortStableFunc(worse, byKey)
	slices.SortStableFunc(better, byKey)
	return worse, better
}
