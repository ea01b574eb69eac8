// Command mailadvisor helps choose and set up mail protocols: it scores
// IMAP against POP3 for a scenario and explains every point of the score.
//
// This package holds only the command line: cobra commands, flags, viper
// settings, output formats and exit codes. The work is done by the domain
// packages it calls.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func main() {
	io := streams{in: os.Stdin, out: os.Stdout, err: os.Stderr}
	if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
		io.width = w
	}
	os.Exit(run(os.Args[1:], io))
}

// streams are the standard streams a command reads and writes.
type streams struct {
	in  io.Reader
	out io.Writer
	err io.Writer
	// width is the terminal's width in columns when out is a terminal
	// (0 otherwise): tables narrow to it.
	width int
	// inputs are the files the run has read (see inputSet).
	inputs *inputSet
}

// run executes the command line args and returns the process exit code.
// A panic is a bug, not the input's fault: it is reported as an internal
// error with its stack, exit 1 (Go's own exit for a panic, 2, would read
// as bad input).
func run(args []string, io streams) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(io.err, "mailadvisor: internal error: %v (a bug: please report it with the command)\n%s", p, debug.Stack())
			code = exitFailure
		}
	}()
	out := &stickyWriter{w: io.out}
	io.out = out
	if io.inputs == nil {
		io.inputs = &inputSet{}
	}
	root := newRootCmd(io)
	root.SetArgs(args)
	started := markStart(root)
	err := root.Execute()
	if err != nil && !*started {
		// Cobra failed before any command ran: an unknown command, a bad
		// flag or wrong arguments.
		err = markUsage(err)
	}
	if err == nil && out.err != nil {
		// A command that printed without checking each write: the
		// output is incomplete, whatever the command thought.
		err = &writeError{err: out.err}
	}
	if err != nil {
		printError(io.err, err)
	}
	return exitCode(err)
}

// stickyWriter remembers the first error of the writer it wraps (a full
// disk, a closed pipe) and writes nothing after it, so that no command can
// exit 0 having lost its output.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}

// markStart wraps the RunE of cmd and its subcommands so that the flag it
// returns tells whether a command's own code ran: any error before that
// (unknown command or flag, wrong arguments, conflicting flags) is cobra's
// verdict on how the tool was called. A root PersistentPreRun would not
// do: cobra checks required and mutually exclusive flags after it.
func markStart(cmd *cobra.Command) *bool {
	started := new(bool)
	var wrap func(c *cobra.Command)
	wrap = func(c *cobra.Command) {
		if run := c.RunE; run != nil {
			c.RunE = func(c *cobra.Command, args []string) error {
				*started = true
				return run(c, args)
			}
		}
		for _, sub := range c.Commands() {
			wrap(sub)
		}
	}
	wrap(cmd)
	return started
}
