package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mailadvisor/mailadvisor/internal/atomicfile"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/profiles"
	"github.com/mailadvisor/mailadvisor/profiles/batch"
)

type batchOptions struct {
	profile     profileOptions
	input       string
	inputFormat string
	formats     []string
	outDir      string
	tarFile     string
	zipFile     string
	report      string
	force       bool
	resume      bool
	workers     int
	guessed     nameSet // domains whose servers were guessed
}

// nameSet is a set of names that several goroutines add to.
type nameSet struct {
	mu    sync.Mutex
	names []string
}

func (s *nameSet) add(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.names, name) && len(s.names) < 1000 {
		s.names = append(s.names, name)
	}
}

func newBatchCmd(io streams) *cobra.Command {
	opts := &batchOptions{profile: profileOptions{io: io}}
	cmd := &cobra.Command{
		Use:   "batch -i USERS [--domain D | --domain-file FILE] (--out DIR | --tar FILE | --zip FILE)",
		Short: "Write client profiles for many users in one run",
		Long: `Write client profiles for every user of a list, on all cores, in input order:

  DIR/<address>/config-v1.1.xml      (autoconfig)
  DIR/<address>/<address>.mobileconfig (mobileconfig)
  DIR/<address>/autodiscover.xml     (autodiscover)
  DIR/<address>/settings.md          (sheet)

or the same tree as a tar (--tar, '-' for stdout) or zip (--zip) archive.

The input is CSV with a header, JSON Lines or a YAML list ('-i -' for stdin;
the format comes from the extension or --input-format), with the columns
email (required), display_name, username, protocol (imap or pop3) and
leave_on_server_days. With --domain or --domain-file every row must be of
that domain (another is a bad row); without them each row's domain is its
own, with servers mail.<domain> that the summary names as guesses (a public
provider's domain, such as gmail.com, is a bad row). A bad row (invalid
address, unknown value, duplicate address, another domain) is reported with its line, field and value, and every good row is
still written; --report FILE.jsonl gets one line per input row. Files are
written atomically and an existing file is only replaced with --force. The
same input gives the same output, byte for byte. Ctrl-C stops cleanly.

Exit codes: 0 all rows written, 3 some rows rejected (the others written),
2 the input or options cannot be used, 130 interrupted.`,
		Example: `  mailadvisor batch -i users.csv --domain-file example.yaml --formats autoconfig,mobileconfig,sheet --out profiles/
  mailadvisor batch -i users.jsonl --domain-file example.yaml --tar - | tar -t
  mailadvisor batch -i users.csv --domain-file example.yaml --zip profiles.zip --report report.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBatch(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.input, "input", "i", "", "users file: CSV, JSON Lines or YAML ('-' for stdin)")
	addChoiceFlag(cmd, &opts.inputFormat, "input-format", "", "format", "", fixed(batch.CSV, batch.JSONL, batch.YAML), "csv, jsonl or yaml (default: from the file extension)")
	f.StringSliceVar(&opts.formats, "formats", []string{"autoconfig", "mobileconfig", "sheet"}, "formats to write: "+strings.Join(batch.Formats, ", "))
	f.StringVar(&opts.outDir, "out", "", "write a directory tree DIR/<address>/...")
	f.StringVar(&opts.tarFile, "tar", "", "write a tar archive ('-' for stdout)")
	f.StringVar(&opts.zipFile, "zip", "", "write a zip archive")
	f.StringVar(&opts.report, "report", "", "write one JSON line per input row: line, address, status, files or error ('-' for stdout)")
	markOutput(cmd, "out", "dir")
	markOutput(cmd, "tar", "file")
	markOutput(cmd, "zip", "file")
	markOutput(cmd, "report", "file")
	addForceFlag(cmd, &opts.force, "files that already exist")
	f.BoolVar(&opts.resume, "resume", false, "complete an --out run that was killed: keep its finished users, write the rest")
	addIntRangeFlag(cmd, &opts.workers, "workers", 0, 0, maxWorkers, " (0: one per core)", "generator goroutines (default: one per core)")
	opts.profile.addDomainFlags(f, "each row's own domain")
	opts.profile.addChoiceFlags(cmd)
	opts.profile.discovery.addFlags(cmd)
	cmd.MarkFlagsMutuallyExclusive("discover", "domain-file")
	cmd.MarkFlagsMutuallyExclusive("discover", "domain")
	_ = cmd.MarkFlagRequired("input")
	cmd.MarkFlagsOneRequired("out", "tar", "zip")
	cmd.MarkFlagsMutuallyExclusive("out", "tar", "zip")
	cmd.MarkFlagsMutuallyExclusive("resume", "force")
	cmd.MarkFlagsMutuallyExclusive("resume", "tar")
	cmd.MarkFlagsMutuallyExclusive("resume", "zip")
	cmd.MarkFlagsMutuallyExclusive("scenario", "protocol")
	cmd.MarkFlagsMutuallyExclusive("preset", "protocol")
	cmd.MarkFlagsRequiredTogether("sign-cert", "sign-key")
	return cmd
}

func runBatch(ctx context.Context, opts *batchOptions) error {
	std := opts.profile.io
	cfg, err := opts.config(ctx)
	if err != nil {
		return err
	}
	if err := opts.checkOutputs(); err != nil {
		return err
	}
	in, closeIn, err := opts.reader()
	if err != nil {
		return err
	}
	defer closeIn()
	report, closeReport, err := opts.reportWriter()
	if err != nil {
		return err
	}
	sink, commit, err := opts.sink(cfg)
	if err != nil {
		_ = closeReport(false)
		return err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// Memory must not grow with the rows: let the collector work harder
		// rather than let the heap double past what is live (a soft limit).
		debug.SetMemoryLimit(batchMemoryLimit)
	}
	progress := newProgress(std.err)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	shown := 0
	sum, runErr := batch.Run(ctx, *cfg, in, sink, func(r batch.Result) error {
		_ = progress.Add(1)
		if r.Status == batch.StatusRejected && shown < maxShownRejections {
			shown++
			_ = progress.Clear()
			fmt.Fprintf(std.err, "mailadvisor: rejected: line %d: %s\n", r.Line, r.Error)
		}
		return report(r)
	})
	_ = progress.Finish()
	if more := sum.Rejected - shown; more > 0 {
		fmt.Fprintf(std.err, "mailadvisor: ... and %d more rejected rows (--report FILE lists every row)\n", more)
	}
	complete := runErr == nil && !sum.Interrupted
	if err := closeReport(complete); runErr == nil && err != nil {
		runErr = &writeError{err: fmt.Errorf("--report: %w", err)}
	}
	if err := commit(complete && runErr == nil); runErr == nil && err != nil {
		runErr = &writeError{err: err}
	}
	var outErr *batch.OutputError
	var werr *writeError
	failed := errors.As(runErr, &outErr) || errors.As(runErr, &werr)
	archive := opts.outDir == ""
	if archive && (failed || sum.Interrupted) {
		// The archive is removed (a file) or cut short (stdout): no row's
		// files can be used.
		sum.Written = 0
	}
	printSummary(std.err, sum, failed)
	if g := slices.Sorted(slices.Values(opts.guessed.names)); len(g) > 0 { // workers add in any order
		shown := g[:min(len(g), 5)]
		more := ""
		if len(g) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(g)-len(shown))
		}
		fmt.Fprintf(std.err, "mailadvisor: note: the servers of %d domains are a guess (mail.<domain>): %s%s; confirm them, or give --domain-file\n",
			len(g), strings.Join(shown, ", "), more)
	}
	switch {
	case failed:
		return runErr
	case runErr != nil:
		return &usageError{err: runErr}
	case sum.Interrupted:
		return &interruptedError{rows: sum.Read, written: opts.interruptedWords()}
	case sum.Rejected > 0:
		return &rejectedError{rejected: sum.Rejected, total: sum.Read}
	}
	return nil
}

// interruptedWords say what an interrupted run leaves behind.
func (opts *batchOptions) interruptedWords() string {
	switch {
	case opts.outDir != "":
		return "every file written is complete; --resume writes the rest"
	case opts.tarFile == "-":
		return "the archive on standard output is cut short: do not use it"
	default:
		return "no archive was written"
	}
}

// config builds what every row shares, as 'profile' does for one user.
func (opts *batchOptions) config(ctx context.Context) (*batch.Config, error) {
	p := &opts.profile
	cfg := &batch.Config{Formats: opts.formats, Workers: opts.workers, Explain: explainRow,
		Options: profiles.Options{Preferred: p.protocol, AllowSTARTTLS: p.starttls, AutoconfigVersion: p.acVersion}}
	var err error
	if p.domain != "" || p.domainFile != "" {
		if cfg.Domain, err = p.domainDescription(); err != nil {
			return nil, err
		}
	} else {
		// Each row's domain is its own; the guesses are said once, in
		// the summary.
		cfg.DomainFor = func(name string) (*profiles.Domain, error) {
			if p.discover {
				res, err := p.discovery.run(ctx, p.io.inputs, "postmaster@"+name)
				if err != nil {
					return nil, err
				}
				d := &profiles.Domain{Domains: []string{name}}
				applyDiscovered(d, res, io.Discard)
				return p.describe(d, true, nil)
			}
			d, err := p.describe(&profiles.Domain{Domains: []string{name}}, false, nil)
			if err == nil && p.hosts == (profiles.Hosts{}) {
				opts.guessed.add(name)
			}
			return d, err
		}
	}
	if p.scenario != "" || p.preset != "" {
		if cfg.Options.Preferred, cfg.Options.LeaveOnServerDays, err = p.advice(); err != nil {
			return nil, err
		}
	}
	if p.signCert != "" {
		s, err := loadSigner(p.io, p.signCert, p.signKey, p.signChain)
		if err != nil {
			return nil, err
		}
		cfg.Signer = &s
	}
	if err := cfg.Validate(); err != nil {
		return nil, &usageError{err: err}
	}
	return cfg, nil
}

func (opts *batchOptions) reader() (batch.Reader, func(), error) {
	format := opts.inputFormat
	if format == "" {
		switch strings.ToLower(filepath.Ext(opts.input)) {
		case ".csv":
			format = batch.CSV
		case ".jsonl", ".ndjson":
			format = batch.JSONL
		case ".yaml", ".yml":
			format = batch.YAML
		default:
			return nil, nil, withHint(usagef("input: cannot tell the format of %q from its extension", opts.input),
				"name it .csv, .jsonl or .yaml, or pass --input-format")
		}
	}
	r, closeIn, err := opts.profile.io.inputs.open("input", opts.input, opts.profile.io.in)
	if err != nil {
		return nil, nil, err
	}
	br, err := batch.NewReader(r, format)
	if err != nil {
		closeIn()
		return nil, nil, usagef("input %s: %v", textcheck.Visible(opts.input), err)
	}
	return br, closeIn, nil
}

// explainRow words a rejected row's error, saying which flag would let it
// be written.
func explainRow(err error) string {
	var exists *atomicfile.ExistsError
	if errors.As(err, &exists) {
		return err.Error() + " (pass --force to replace it)"
	}
	return err.Error()
}

// checkOutputs refuses outputs that would destroy an input or each other.
func (opts *batchOptions) checkOutputs() error {
	// Each output is checked against the inputs read so far when it is
	// created (inputSet.create); the input itself is opened before them.
	for _, out := range []struct{ flag, path string }{{"report", opts.report}, {"tar", opts.tarFile}, {"zip", opts.zipFile}} {
		if err := opts.profile.io.inputs.refuse(out.flag, out.path); err != nil {
			return err
		}
	}
	if opts.report != "" && (opts.report == opts.tarFile || opts.report == opts.zipFile) {
		return usagef("--report: %q is also the archive", opts.report)
	}
	if opts.report == "-" && opts.tarFile == "-" {
		return usagef("--report - and --tar - cannot both write to stdout")
	}
	return nil
}

// fingerprint identifies a run's input and options, so that --resume
// completes only the same run.
func (opts *batchOptions) fingerprint(cfg *batch.Config) string {
	h := sha256.New()
	fmt.Fprintf(h, "formats=%q\noptions=%+v\nsigned=%t\n", cfg.Formats, cfg.Options, cfg.Signer != nil)
	if cfg.Domain != nil {
		fmt.Fprintf(h, "domain=%+v\n", *cfg.Domain)
	} else {
		// Each row's own domain, from these flags (and a discovery).
		p := &opts.profile
		fmt.Fprintf(h, "domain=per-row discover=%t hosts=%+v display=%q short=%q username=%q auth=%q services=%q\n",
			p.discover, p.hosts, p.display, p.short, p.username, p.auth, p.services)
	}
	if cfg.Options.LeaveOnServerDays != nil {
		fmt.Fprintf(h, "days=%d\n", *cfg.Options.LeaveOnServerDays)
	}
	if fi, err := os.Stat(opts.input); err == nil && opts.input != "-" {
		abs, _ := filepath.Abs(opts.input)
		fmt.Fprintf(h, "input=%s size=%d mtime=%d\n", abs, fi.Size(), fi.ModTime().UnixNano())
	}
	return "mailadvisor batch run " + hex.EncodeToString(h.Sum(nil)) + "\n"
}

// sink opens the output; commit(true) makes an archive file visible (or
// marks a directory run finished), commit(false) removes the archive.
func (opts *batchOptions) sink(cfg *batch.Config) (batch.Sink, func(bool) error, error) {
	std := opts.profile.io
	switch {
	case opts.outDir != "":
		d, err := batch.OpenDirSink(opts.outDir, opts.fingerprint(cfg), opts.force, opts.resume)
		switch {
		case errors.Is(err, batch.ErrUnfinished):
			return nil, nil, withHint(usagef("--out: %v", err), "pass --resume to complete it with the same input and options, or --force to write over it")
		case errors.Is(err, batch.ErrNothingToResume), errors.Is(err, batch.ErrOtherRun):
			return nil, nil, withHint(usagef("--out: %v", err), "--resume completes a killed run with the same input and options")
		case err != nil:
			return nil, nil, usagef("--out: %v", err)
		}
		return d, func(ok bool) error {
			if ok {
				return d.Finish()
			}
			return nil
		}, nil
	case opts.tarFile == "-":
		out := bufio.NewWriterSize(std.out, 256<<10)
		return batch.NewTarSink(out), func(bool) error { return out.Flush() }, nil
	}
	flag, path, newSink := "tar", opts.tarFile, func(w io.Writer) batch.Sink { return batch.NewTarSink(w) }
	if opts.zipFile != "" {
		flag, path, newSink = "zip", opts.zipFile, func(w io.Writer) batch.Sink { return batch.NewZipSink(w) }
	}
	f, err := std.inputs.create(flag, path, opts.force)
	if err != nil {
		return nil, nil, err
	}
	out := bufio.NewWriterSize(f, 256<<10)
	return newSink(out), func(ok bool) error {
		if ok {
			ok = out.Flush() == nil
		}
		if !ok {
			f.Abort()
			return nil
		}
		return f.Commit()
	}, nil
}

// reportWriter opens --report: stdout for '-', else a file that appears
// (atomically) only when the run is complete.
func (opts *batchOptions) reportWriter() (func(batch.Result) error, func(complete bool) error, error) {
	switch opts.report {
	case "":
		return func(batch.Result) error { return nil }, func(bool) error { return nil }, nil
	case "-":
		enc := json.NewEncoder(opts.profile.io.out)
		enc.SetEscapeHTML(false)
		return func(r batch.Result) error { return enc.Encode(r) }, func(bool) error { return nil }, nil
	}
	f, err := opts.profile.io.inputs.create("report", opts.report, opts.force || opts.resume)
	if err != nil {
		return nil, nil, err
	}
	out := bufio.NewWriter(f)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	return func(r batch.Result) error { return enc.Encode(r) }, func(complete bool) error {
		if !complete {
			f.Abort()
			return nil
		}
		if err := out.Flush(); err != nil {
			f.Abort()
			return err
		}
		return f.Commit()
	}, nil
}

// newProgress shows a progress bar on stderr when it is a terminal.
// The bar's own spinner goroutine reads the bar's state while Add writes it
// (a data race in progressbar v3.19.1, found by -race): it is turned off,
// and when stderr is no terminal there is no bar at all.
func newProgress(w io.Writer) progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return progressbar.NewOptions(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("profiles"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("users"), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(), progressbar.OptionSetSpinnerChangeInterval(0))
	}
	return noProgress{}
}

// progress is what a batch run tells the progress bar.
type progress interface {
	Add(int) error
	Clear() error
	Finish() error
}

type noProgress struct{}

func (noProgress) Add(int) error { return nil }
func (noProgress) Clear() error  { return nil }
func (noProgress) Finish() error { return nil }

func printSummary(w io.Writer, s batch.Summary, failed bool) {
	state := "done"
	switch {
	case failed:
		state = "failed"
	case s.Interrupted:
		state = "interrupted"
	}
	fmt.Fprintf(w, "mailadvisor: batch %s: %d rows read, %d written, %d rejected in %.2fs (%.0f rows/s)\n",
		state, s.Read, s.Written, s.Rejected, s.Elapsed.Seconds(), s.Rate())
}

// maxWorkers bounds --workers: past the cores, more goroutines only help
// a --discover run waiting on the network, and each one costs memory.
const maxWorkers = 256

// maxShownRejections is how many rejected rows are printed on stderr.
const maxShownRejections = 10

// batchMemoryLimit is the soft heap limit of a batch run.
const batchMemoryLimit = 64 << 20

// interruptedError reports a batch stopped by Ctrl-C or SIGTERM, and what
// it leaves behind.
type interruptedError struct {
	rows    int
	written string
}

func (e *interruptedError) Error() string {
	return fmt.Sprintf("interrupted after %d rows; %s", e.rows, e.written)
}
