package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mailadvisor/mailadvisor/internal/atomicfile"
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
	workers     int
}

func newBatchCmd(io streams, global *globalOptions) *cobra.Command {
	opts := &batchOptions{profile: profileOptions{io: io, global: global}}
	cmd := &cobra.Command{
		Use:   "batch -i USERS --domain-file FILE (--out DIR | --tar FILE | --zip FILE)",
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
leave_on_server_days. A bad row (invalid address, unknown value, duplicate
address) is reported with its line, field and value, and every good row is
still written; --report FILE.jsonl gets one line per input row. Files are
written atomically and an existing file is only replaced with --force. The
same input gives the same output, byte for byte. Ctrl-C stops cleanly.

Exit codes: 0 all rows written, 3 some rows rejected (the others written),
2 the input or options cannot be used, 130 interrupted.`,
		Example: `  mailadvisor batch -i users.csv --domain-file example.yaml --formats autoconfig,mobileconfig,sheet --out profiles/
  mailadvisor batch -i users.jsonl --domain-file example.yaml --tar - | tar -t
  mailadvisor batch -i users.csv --domain-file example.yaml --zip profiles.zip --report report.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBatch(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.input, "input", "i", "", "users file: CSV, JSON Lines or YAML ('-' for stdin)")
	f.StringVar(&opts.inputFormat, "input-format", "", "csv, jsonl or yaml (default: from the file extension)")
	f.StringSliceVar(&opts.formats, "formats", []string{"autoconfig", "mobileconfig", "sheet"}, "formats to write: "+strings.Join(batch.Formats, ", "))
	f.StringVar(&opts.outDir, "out", "", "write a directory tree DIR/<address>/...")
	f.StringVar(&opts.tarFile, "tar", "", "write a tar archive ('-' for stdout)")
	f.StringVar(&opts.zipFile, "zip", "", "write a zip archive")
	f.StringVar(&opts.report, "report", "", "write one JSON line per input row: line, address, status, files or error")
	f.BoolVar(&opts.force, "force", false, "replace files that exist")
	f.IntVar(&opts.workers, "workers", 0, "generator goroutines (default: one per core)")
	opts.profile.addDomainFlags(f)
	opts.profile.addChoiceFlags(f)
	_ = cmd.MarkFlagRequired("input")
	cmd.MarkFlagsOneRequired("out", "tar", "zip")
	cmd.MarkFlagsMutuallyExclusive("out", "tar", "zip")
	cmd.MarkFlagsMutuallyExclusive("scenario", "protocol")
	cmd.MarkFlagsMutuallyExclusive("preset", "protocol")
	cmd.MarkFlagsRequiredTogether("sign-cert", "sign-key")
	_ = cmd.RegisterFlagCompletionFunc("preset", completePresets)
	return cmd
}

func runBatch(cmd *cobra.Command, opts *batchOptions) error {
	std := opts.profile.io
	cfg, err := opts.config()
	if err != nil {
		return err
	}
	in, closeIn, err := opts.reader()
	if err != nil {
		return err
	}
	defer closeIn()
	sink, commit, err := opts.sink()
	if err != nil {
		return err
	}
	report, closeReport, err := opts.reportWriter()
	if err != nil {
		commit(false)
		return err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// Memory must not grow with the rows: let the collector work harder
		// rather than let the heap double past what is live (a soft limit).
		debug.SetMemoryLimit(batchMemoryLimit)
	}
	progress := newProgress(std.err)
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
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
	if err := closeReport(); runErr == nil {
		runErr = err
	}
	if err := commit(runErr == nil); runErr == nil {
		runErr = err
	}
	printSummary(std.err, sum)
	switch {
	case runErr != nil:
		var outErr *batch.OutputError
		if errors.As(runErr, &outErr) {
			return runErr
		}
		return &usageError{err: runErr}
	case sum.Interrupted:
		return &interruptedError{rows: sum.Read}
	case sum.Rejected > 0:
		return &rejectedError{rejected: sum.Rejected, total: sum.Read}
	}
	return nil
}

// config builds what every row shares, as 'profile' does for one user.
func (opts *batchOptions) config() (*batch.Config, error) {
	p := &opts.profile
	d, err := p.domainDescription()
	if err != nil {
		return nil, err
	}
	cfg := &batch.Config{Domain: d, Formats: opts.formats, Workers: opts.workers,
		Options: profiles.Options{Preferred: p.protocol, AllowSTARTTLS: p.starttls}}
	if p.scenario != "" || p.preset != "" {
		if cfg.Options.Preferred, cfg.Options.LeaveOnServerDays, err = p.advice(); err != nil {
			return nil, err
		}
	}
	if p.signCert != "" {
		s, err := loadSigner(p.signCert, p.signKey, p.signChain)
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
	r, closeIn, err := openInput(opts.input, opts.profile.io.in)
	if err != nil {
		return nil, nil, err
	}
	br, err := batch.NewReader(r, format)
	if err != nil {
		closeIn()
		return nil, nil, usagef("input %s: %v", opts.input, err)
	}
	return br, closeIn, nil
}

// sink opens the output; commit(true) makes an archive file visible,
// commit(false) removes it.
func (opts *batchOptions) sink() (batch.Sink, func(bool) error, error) {
	std := opts.profile.io
	switch {
	case opts.outDir != "":
		if err := os.MkdirAll(opts.outDir, 0o755); err != nil {
			return nil, nil, usagef("--out: %v", err)
		}
		return &batch.DirSink{Dir: opts.outDir, Force: opts.force}, func(bool) error { return nil }, nil
	case opts.tarFile == "-":
		out := bufio.NewWriterSize(std.out, 256<<10)
		return batch.NewTarSink(out), func(bool) error { return out.Flush() }, nil
	}
	path, newSink := opts.tarFile, func(w io.Writer) batch.Sink { return batch.NewTarSink(w) }
	if opts.zipFile != "" {
		path, newSink = opts.zipFile, func(w io.Writer) batch.Sink { return batch.NewZipSink(w) }
	}
	f, err := atomicfile.Create(path, opts.force)
	if err != nil {
		return nil, nil, usagef("%v", err)
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

func (opts *batchOptions) reportWriter() (func(batch.Result) error, func() error, error) {
	if opts.report == "" {
		return func(batch.Result) error { return nil }, func() error { return nil }, nil
	}
	f, err := os.Create(opts.report)
	if err != nil {
		return nil, nil, usagef("--report: %v", err)
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	return func(r batch.Result) error { return enc.Encode(r) }, f.Close, nil
}

// newProgress shows a progress bar on stderr when it is a terminal.
func newProgress(w io.Writer) *progressbar.ProgressBar {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return progressbar.NewOptions(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("profiles"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("users"), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	return progressbar.DefaultSilent(-1)
}

func printSummary(w io.Writer, s batch.Summary) {
	state := "done"
	if s.Interrupted {
		state = "interrupted"
	}
	fmt.Fprintf(w, "mailadvisor: batch %s: %d rows read, %d written, %d rejected in %.2fs (%.0f rows/s)\n",
		state, s.Read, s.Written, s.Rejected, s.Elapsed.Seconds(), s.Rate())
}

// maxShownRejections is how many rejected rows are printed on stderr.
const maxShownRejections = 10

// batchMemoryLimit is the soft heap limit of a batch run.
const batchMemoryLimit = 64 << 20

// interruptedError reports a batch stopped by Ctrl-C or SIGTERM.
type interruptedError struct{ rows int }

func (e *interruptedError) Error() string {
	return fmt.Sprintf("interrupted after %d rows; every file written is complete", e.rows)
}
