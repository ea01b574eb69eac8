// Package batch writes client profiles for many users in one run: rows
// stream from a CSV, JSON Lines or YAML input through a pool of workers
// (one per core) to a directory tree, a tar or a zip, in input order and in
// constant memory. A bad row is reported with its line and never stops the
// good ones; files are written atomically, so an interrupted run leaves no
// half-written profile; the same input gives the same bytes.
package batch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/profiles"
)

// Formats a batch can write, and the file name each one gets.
var formatFiles = map[string]func(address string) string{
	"autoconfig":   func(string) string { return "config-v1.1.xml" },
	"mobileconfig": func(a string) string { return FileName(a) + ".mobileconfig" },
	"autodiscover": func(string) string { return "autodiscover.xml" },
	"sheet":        func(string) string { return "settings.md" },
}

// Formats lists the per-user formats, in a stable order.
var Formats = []string{"autoconfig", "mobileconfig", "autodiscover", "sheet"}

// Config is what every row shares.
type Config struct {
	// Domain describes the one mail domain of every row; a row of another
	// domain is rejected. When it is nil, each row's domain is its own,
	// described by DomainFor (called once per domain).
	Domain    *profiles.Domain
	DomainFor func(name string) (*profiles.Domain, error)
	Options   profiles.Options // preferred protocol, POP3 days, STARTTLS...
	Formats   []string
	Signer    *profiles.Signer // signs mobileconfig profiles when set
	Workers   int              // 0: GOMAXPROCS
	// Explain words a row's error for the report; nil: err.Error(). The
	// caller says there what its user can do (which flag to pass).
	Explain func(err error) string
}

// Validate checks the formats.
func (c *Config) Validate() error {
	if c.Domain == nil && c.DomainFor == nil {
		return errors.New("domain: none given, and no way to describe each row's")
	}
	if len(c.Formats) == 0 {
		return errors.New("formats: none given: want some of " + strings.Join(Formats, ", "))
	}
	for _, f := range c.Formats {
		if _, ok := formatFiles[f]; !ok {
			hint := ""
			if f == "srv" {
				hint = " (srv records are per domain: use 'mailadvisor profile srv')"
			}
			return fmt.Errorf("formats: invalid value %s: want some of %s%s", textcheck.Quote(f), strings.Join(Formats, ", "), hint)
		}
	}
	return nil
}

// File is one generated file of a user.
type File struct {
	Name string
	Data []byte
	buf  *bytes.Buffer // where Data lives, returned to the pool once written

	// deflated is Data as a raw deflate stream, made with it from the
	// prerendered form when the sink asks for one (a zip).
	deflated *bytes.Buffer

	// Set by a zip sink's Prepare: Data is then deflated.
	compressed bool
	crc        uint32
	size       uint64 // before compression
}

// buffers recycles the files' buffers: a batch would otherwise allocate
// (and zero) a few kilobytes per user.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// release returns the files' buffers to the pool; their Data must not be
// used afterwards.
func release(files []File) {
	for i := range files {
		if b := files[i].buf; b != nil {
			// Forget it too: a second release (a worker wrote the row,
			// then the collector drains it after an output error) must not
			// hand one buffer to two goroutines.
			files[i].buf, files[i].Data = nil, nil
			buffers.Put(b)
		}
		if z := files[i].deflated; z != nil { // never prepared
			files[i].deflated = nil
			buffers.Put(z)
		}
	}
}

// Sink receives each good row's files.
type Sink interface {
	// Write stores the files of one user; an error rejects the row (for
	// example a file that exists) without stopping the run, unless it is
	// an [*OutputError].
	Write(address string, files []File) error
	// Close finishes the output (an archive's trailer); it is called
	// once, also after an interruption.
	Close() error
}

// Preparer is a Sink with per-user work that the workers can do in
// parallel before Write (a zip's compression); Prepare may replace the
// files' data.
type Preparer interface {
	Sink
	Prepare(files []File) error
}

// ConcurrentSink is a Sink whose Write may be called from several
// goroutines for different addresses (a directory tree); the workers then
// write in parallel. Other sinks are written in input order by one
// goroutine.
type ConcurrentSink interface {
	Sink
	Concurrent()
}

// Status of a row in the report.
const (
	StatusWritten  = "written"
	StatusRejected = "rejected"
)

// Result is one line of the report.
type Result struct {
	Line    int      `json:"line"`
	Address string   `json:"address,omitempty"`
	Status  string   `json:"status"`
	Files   []string `json:"files,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Summary says how the run went.
type Summary struct {
	Read, Written, Rejected int
	Elapsed                 time.Duration
	Interrupted             bool
}

// Rate is the rows processed per second.
func (s Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Read) / s.Elapsed.Seconds()
}

// job is one row on its way through the pipeline.
type job struct {
	row     Row
	addr    profiles.Address // parsed and not seen before, when err is nil
	err     error
	files   []File
	written bool // a concurrent sink already has the files
	done    chan struct{}
}

// Run reads every row, generates its files on all workers and hands them
// to sink (in input order unless it is a [ConcurrentSink]); each row's
// result goes to report, in input order. It stops reading when ctx is
// done: rows already read are finished, and the summary says it was
// interrupted. The error is for an input that cannot be read or an output
// that cannot be written.
func Run(parent context.Context, cfg Config, in Reader, sink Sink, report func(Result) error) (Summary, error) {
	start := time.Now()
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	var formats []string // each format once, in the order given
	for _, f := range cfg.Formats {
		if !slices.Contains(formats, f) {
			formats = append(formats, f)
		}
	}
	cfg.Formats = formats
	ctx, stop := context.WithCancel(parent) // also stops reading after an output error
	defer stop()
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	_, concurrent := sink.(ConcurrentSink)
	preparer, _ := sink.(Preparer)
	// This package's sinks are done with the data when Write returns, so
	// its buffers are recycled; any other sink owns what it is handed.
	_, recycled := sink.(interface{ recyclesBuffers() })
	jobs := make(chan *job, 64*workers)
	order := make(chan *job, 256*workers) // bounded: memory stays flat
	readErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		defer close(order)
		readErr <- dispatch(ctx, in, jobs, order)
	}()
	forms, domains := &profiles.Forms{}, &domainCache{}
	_, deflate := sink.(interface{ takesDeflated() })
	for w := 0; w < workers; w++ {
		go func() {
			for j := range jobs {
				generate(cfg, forms, domains, j, deflate)
				if !recycled {
					for i := range j.files {
						j.files[i].buf = nil // never returned to the pool
					}
				}
				if preparer != nil && j.err == nil {
					if err := preparer.Prepare(j.files); err != nil {
						j.err = &OutputError{Err: err}
					}
				}
				if concurrent && j.err == nil {
					j.err, j.written = sink.Write(j.addr.Full, j.files), true
					release(j.files)
				}
				close(j.done)
			}
		}()
	}
	explain := cfg.Explain
	if explain == nil {
		explain = func(err error) string { return err.Error() }
	}
	sum, err := collect(order, sink, concurrent, explain, report, stop)
	if rerr := <-readErr; err == nil {
		err = rerr
	}
	if cerr := sink.Close(); err == nil {
		err = cerr
	}
	sum.Elapsed, sum.Interrupted = time.Since(start), parent.Err() != nil
	return sum, err
}

// dispatch reads the rows in input order, parses each address and rejects
// the ones seen before (so that a duplicate never overwrites the first),
// and hands the rows out to the workers.
func dispatch(ctx context.Context, in Reader, jobs, order chan<- *job) error {
	seen := map[[16]byte]int32{}
	for ctx.Err() == nil {
		row, err := in.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		j := &job{row: row, err: row.Err, done: make(chan struct{})}
		if j.err == nil {
			j.addr, j.err = firstUse(seen, row)
		}
		order <- j
		jobs <- j
	}
	return nil
}

// firstUse parses the row's address and rejects one seen on an earlier
// line, case-insensitively. It keeps a 128-bit hash of each address, not
// the address, so memory stays small.
func firstUse(seen map[[16]byte]int32, row Row) (profiles.Address, error) {
	addr, err := profiles.ParseAddress("email", row.Email)
	if err != nil {
		return addr, err
	}
	sum := sha256.Sum256([]byte(strings.ToLower(addr.Full)))
	var key [16]byte
	copy(key[:], sum[:16])
	if first, dup := seen[key]; dup {
		return addr, fmt.Errorf("email: duplicate address %q (first on line %d)", addr.Full, first)
	}
	seen[key] = int32(row.Line)
	return addr, nil
}

// collect reports the rows in input order, writing them first unless the
// workers did. After an output error it calls stop and drains what is in
// flight.
func collect(order <-chan *job, sink Sink, concurrent bool, explain func(error) string, report func(Result) error, stop func()) (Summary, error) {
	var sum Summary
	var failed error
	for j := range order {
		<-j.done
		sum.Read++
		if failed != nil {
			release(j.files)
			continue
		}
		if j.err == nil && !j.written {
			j.err = sink.Write(j.addr.Full, j.files)
		}
		if !j.written {
			release(j.files)
		}
		var fatal *OutputError
		if errors.As(j.err, &fatal) {
			failed = j.err
			stop()
			continue
		}
		res := Result{Line: j.row.Line, Address: j.addr.Full, Status: StatusWritten}
		if j.err != nil {
			res.Status, res.Error = StatusRejected, explain(j.err)
			sum.Rejected++
		} else {
			for _, f := range j.files {
				res.Files = append(res.Files, f.Name)
			}
			sum.Written++
		}
		if err := report(res); err != nil {
			failed = &OutputError{Err: fmt.Errorf("report: %w", err)}
			stop()
		}
	}
	return sum, failed
}

// OutputError is an error of the output itself (a full disk, a closed
// pipe): it stops the run, unlike a row's error.
type OutputError struct{ Err error }

func (e *OutputError) Error() string { return "output: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *OutputError) Unwrap() error { return e.Err }

// generate makes one row's files.
// With deflate, the prerendered formats come with their deflate stream
// too (File.deflated).
func generate(cfg Config, forms *profiles.Forms, domains *domainCache, j *job, deflate bool) {
	if j.err != nil {
		return
	}
	addr := j.addr
	opts, err := optionsFor(cfg, j.row)
	if err != nil {
		j.err = err
		return
	}
	if cfg.Domain == nil {
		if cfg.Domain, err = domains.get(cfg.DomainFor, addr.Domain); err != nil {
			j.err = err
			return
		}
	}
	plan, err := planFor(cfg, opts, j.row, &addr)
	if err != nil {
		j.err = err
		return
	}
	// A login Thunderbird would change is refused by the autoconfig and
	// autodiscover writers (profiles.LoginError), row by row.
	for _, format := range cfg.Formats {
		f, err := render(cfg, forms, opts, format, plan, deflate)
		if err != nil {
			j.err = err
			return
		}
		f.Name = formatFiles[format](addr.Full)
		j.files = append(j.files, f)
	}
}

// optionsFor applies the row's overrides to the shared options.
func optionsFor(cfg Config, row Row) (profiles.Options, error) {
	opts := cfg.Options
	if row.Protocol != "" {
		if row.Protocol != profiles.IMAP && row.Protocol != profiles.POP3 {
			return opts, &profiles.FieldError{Field: "protocol", Value: row.Protocol, Allowed: "imap or pop3"}
		}
		opts.Preferred = row.Protocol
	}
	if row.LeaveOnServerDays != nil {
		opts.LeaveOnServerDays = row.LeaveOnServerDays
	}
	return opts, nil
}

// planFor plans the row's account.
func planFor(cfg Config, opts profiles.Options, row Row, addr *profiles.Address) (*profiles.Plan, error) {
	if row.DisplayName != "" {
		if err := textcheck.Text("display_name", row.DisplayName, 200); err != nil {
			return nil, err
		}
	}
	plan, err := profiles.NewPlan(cfg.Domain, addr, opts)
	if err != nil {
		return nil, err
	}
	plan.UserName = row.DisplayName
	if row.Username != "" {
		if err := textcheck.Text("username", row.Username, 254); err != nil {
			return nil, &profiles.FieldError{Field: "username", Value: row.Username, Allowed: "a login without control characters"}
		}
		plan.Username = row.Username
	}
	return plan, nil
}

// render writes one format for the row: the sheet directly, the others
// through the prerendered form for the row's options (and, with deflate,
// their deflate stream with them, unless signed).
func render(cfg Config, forms *profiles.Forms, opts profiles.Options, format string, plan *profiles.Plan, deflate bool) (File, error) {
	b := buffers.Get().(*bytes.Buffer)
	b.Reset()
	if format == "sheet" {
		err := profiles.WriteSheetMarkdown(b, profiles.NewSheet(plan))
		return File{Data: b.Bytes(), buf: b}, err
	}
	signed := format == "mobileconfig" && cfg.Signer != nil
	if deflate && !signed {
		z := buffers.Get().(*bytes.Buffer)
		z.Reset()
		ok, err := forms.RenderDeflated(b, z, format, plan, opts)
		if err != nil {
			buffers.Put(b)
			buffers.Put(z)
			return File{}, err
		}
		f := File{Data: b.Bytes(), buf: b, deflated: z}
		if !ok { // too many domains: Prepare compresses it
			f.deflated = nil
			buffers.Put(z)
		}
		return f, nil
	}
	if err := forms.Render(b, format, plan, opts); err != nil {
		buffers.Put(b)
		return File{}, err
	}
	if signed {
		signed, err := cfg.Signer.Sign(b.Bytes())
		buffers.Put(b)
		return File{Data: signed}, err
	}
	return File{Data: b.Bytes(), buf: b}, nil
}

// maxDomains bounds the domains described and kept (a batch of many).
const maxDomains = 4096

// domainCache describes each row's domain once, for a batch without one
// domain; a bounded number of them is kept.
type domainCache struct {
	mu      sync.Mutex
	domains map[string]domainResult
}

type domainResult struct {
	d   *profiles.Domain
	err error
}

func (c *domainCache) get(describe func(string) (*profiles.Domain, error), name string) (*profiles.Domain, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.domains[name]; ok {
		return r.d, r.err
	}
	if c.domains == nil || len(c.domains) >= maxDomains {
		c.domains = map[string]domainResult{}
	}
	d, err := describe(name)
	c.domains[name] = domainResult{d, err}
	return d, err
}

// PathSafe turns an address into a file or directory name: bytes other
// than ASCII letters, digits and . _ + @ - are percent-encoded, and so is
// a leading dot, so that no address can climb out of the output directory.
func PathSafe(address string) string {
	var b strings.Builder
	for i := 0; i < len(address); i++ {
		c := address[i]
		safe := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._+@-", c) >= 0
		if !safe || c == '.' && i == 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// maxNameBytes keeps <address>.mobileconfig within the 255 bytes that
// common file systems (ext4, XFS, APFS, NTFS) allow in one name.
const maxNameBytes = 240

// FileName is the directory (and mobileconfig) name of an address:
// [PathSafe], or for an address whose encoded form passes 240 bytes, its
// first 200 bytes, a tilde and 16 hex digits of the SHA-256 of the
// lower-cased address, so that every valid address has a name every file
// system and archive tool takes.
func FileName(address string) string {
	name := PathSafe(address)
	if len(name) <= maxNameBytes {
		return name
	}
	cut := 200
	if i := strings.LastIndexByte(name[cut-2:cut], '%'); i >= 0 {
		cut = cut - 2 + i // never split a %XX escape
	}
	sum := sha256.Sum256([]byte(strings.ToLower(address)))
	return name[:cut] + "~" + hex.EncodeToString(sum[:8])
}
