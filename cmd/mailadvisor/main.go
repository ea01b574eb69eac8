// Command mailadvisor helps choose and set up mail protocols: it scores
// IMAP against POP3 for a scenario and explains every point of the score.
//
// This package holds only the command line: cobra commands, flags, viper
// settings, output formats and exit codes. The work is done by the domain
// packages it calls.
package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:], streams{in: os.Stdin, out: os.Stdout, err: os.Stderr}))
}

// streams are the standard streams a command reads and writes.
type streams struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// run executes the command line args and returns the process exit code.
func run(args []string, io streams) int {
	root := newRootCmd(io)
	root.SetArgs(args)
	started := false
	root.PersistentPreRun = func(*cobra.Command, []string) { started = true }
	err := root.Execute()
	if err != nil && !started {
		// Cobra failed before any command ran: an unknown command, a bad
		// flag or wrong arguments.
		err = markUsage(err)
	}
	if err != nil {
		printError(io.err, err)
	}
	return exitCode(err)
}
