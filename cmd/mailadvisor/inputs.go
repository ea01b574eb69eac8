package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/mailadvisor/mailadvisor/internal/atomicfile"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// inputSet records every file a run reads, by the function that reads it,
// so that no output of the same run can replace one: a list of input
// flags kept beside each command forgets some (the report once wrote over
// its --cost-params file). The zero value records nothing; a nil set
// reads without recording (tests that build streams by hand).
type inputSet struct {
	mu    sync.Mutex
	files []recordedInput
}

type recordedInput struct {
	path string // as given
	abs  string // cleaned absolute path
	info os.FileInfo
}

// record notes path, opened as f, as an input.
func (s *inputSet) record(path string, f *os.File) {
	if s == nil || path == "" || path == "-" {
		return
	}
	in := recordedInput{path: path}
	in.abs, _ = filepath.Abs(path)
	if f != nil {
		in.info, _ = f.Stat()
	} else {
		in.info, _ = os.Stat(path)
	}
	s.mu.Lock()
	s.files = append(s.files, in)
	s.mu.Unlock()
}

// input returns the recorded input that out would replace ("" for none):
// the same file (through any link or other name), or the same path.
func (s *inputSet) input(out string) string {
	if s == nil || out == "" || out == "-" {
		return ""
	}
	oi, oerr := os.Stat(out)
	oa, _ := filepath.Abs(out)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.files {
		if (oerr == nil && in.info != nil && os.SameFile(oi, in.info)) || in.abs == oa {
			return in.path
		}
	}
	return ""
}

// refuse is the usage error for an output flag whose path is an input of
// the run, or nil.
func (s *inputSet) refuse(flag, out string) error {
	in := s.input(out)
	if in == "" {
		return nil
	}
	what := "one of the inputs"
	if in != out {
		what = "the input " + textcheck.Visible(in)
	}
	return withHint(usagef("--%s: %s is %s: writing it would destroy it", flag, textcheck.Visible(out), what),
		"write the output to another file")
}

// read reads a whole input file ('-' is stdin, when stdin is given) of at
// most maxInputBytes, and records it.
func (s *inputSet) read(what, path string, stdin io.Reader) ([]byte, error) {
	r, closeIn, err := s.open(what, path, stdin)
	if err != nil {
		return nil, err
	}
	defer closeIn()
	data, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return nil, usagef("%s %s: %v", what, textcheck.Visible(path), err)
	}
	if len(data) > maxInputBytes {
		return nil, usagef("%s %s: larger than %d MiB: want a %s of a few kilobytes", what, textcheck.Visible(path), maxInputBytes>>20, what)
	}
	return data, nil
}

// open opens an input read as a stream ('-' is stdin), and records it.
func (s *inputSet) open(what, path string, stdin io.Reader) (io.Reader, func(), error) {
	if path == "-" && stdin != nil {
		return stdin, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, usagef("%s: %s", what, pathErrorWords(err))
	}
	s.record(path, f)
	return f, func() { f.Close() }, nil
}

// create opens path for an atomic write (see internal/atomicfile) after
// checking it is no input of the run, turning refusals into usage errors
// that name the flag.
func (s *inputSet) create(flag, path string, force bool) (*atomicfile.File, error) {
	if err := s.refuse(flag, path); err != nil {
		return nil, err
	}
	f, err := atomicfile.Create(path, force)
	return f, outputError(flag, err)
}

// pathErrorWords is an *os.PathError as "open NAME: reason", the name
// escaped for the terminal.
func pathErrorWords(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + " " + textcheck.Visible(pe.Path) + ": " + pe.Err.Error()
	}
	return textcheck.Visible(err.Error())
}
