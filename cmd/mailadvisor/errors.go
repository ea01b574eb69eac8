package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/profiles"
)

// Exit codes, documented in --help and README.
const (
	exitOK        = 0   // success
	exitFailure   = 1   // something went wrong that is not the input's fault
	exitUsage     = 2   // bad usage or invalid input
	exitRejected  = 3   // batch done, but some rows were rejected (good rows written)
	exitInterrupt = 130 // stopped by Ctrl-C or SIGTERM
)

const exitCodesHelp = `Exit codes:
    0  success
    1  failure (I/O error, internal error); for lint and probe: a finding or a failed check
    2  bad usage or invalid input (unknown flag, out-of-range value, bad file)
    3  batch finished but some rows were rejected (the good rows were written)
  130  interrupted (Ctrl-C); every file written is complete`

// usageError marks an error caused by how the tool was called or by the
// input it was given (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// markUsage marks err as a usage error unless it already says what it is.
func markUsage(err error) error {
	if exitCode(err) != exitFailure {
		return err
	}
	return &usageError{err: err}
}

// writeError is a failure to write the output (exit 1), never blamed on
// the input.
type writeError struct{ err error }

func (e *writeError) Error() string { return "writing the output: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// hintError adds something the user can do about an error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, hint string) error { return &hintError{err: err, hint: hint} }

// findingsError reports that lint found problems at or above --fail-on
// (exit 1). The findings are the output: nothing more is printed.
type findingsError struct{ n int }

func (e *findingsError) Error() string {
	return fmt.Sprintf("%d finding(s) at or above --fail-on", e.n)
}

// rejectedError reports that a batch rejected some rows (exit code 3).
type rejectedError struct{ rejected, total int }

func (e *rejectedError) Error() string {
	if e.rejected == e.total {
		return fmt.Sprintf("all %d rows rejected; nothing was written", e.total)
	}
	return fmt.Sprintf("%d of %d rows rejected; the other rows were written", e.rejected, e.total)
}

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var (
		usage     *usageError
		rejected  *rejectedError
		invalid   *advisor.ValidationError
		field     *advisor.FieldError
		decode    *advisor.DecodeError
		ruleError *advisor.RuleError
		profField *profiles.FieldError
	)
	var (
		interrupted *interruptedError
		write       *writeError
	)
	switch {
	case errors.As(err, &interrupted):
		return exitInterrupt
	case errors.As(err, &write):
		return exitFailure
	case errors.As(err, &rejected):
		return exitRejected
	case errors.As(err, &usage), errors.As(err, &invalid), errors.As(err, &field),
		errors.As(err, &decode), errors.As(err, &ruleError), errors.As(err, &profField):
		return exitUsage
	default:
		return exitFailure
	}
}

// printError writes "mailadvisor: error: ..." and, when there is one, a
// hint line. Multi-problem validation errors get one line each.
func printError(w io.Writer, err error) {
	var findings *findingsError
	if errors.As(err, &findings) {
		return
	}
	var invalid *advisor.ValidationError
	if errors.As(err, &invalid) && len(invalid.Problems) > 1 {
		fmt.Fprintf(w, "mailadvisor: error: invalid scenario:\n")
		for _, p := range invalid.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	} else {
		fmt.Fprintf(w, "mailadvisor: error: %s\n", strings.TrimSuffix(err.Error(), "."))
	}
	var hint *hintError
	if errors.As(err, &hint) {
		fmt.Fprintf(w, "mailadvisor: hint: %s\n", hint.hint)
	}
}
