package batch

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/mailadvisor/mailadvisor/internal/atomicfile"
)

// ArchiveTime is the modification time of every archive entry, fixed so
// that the same input gives the same archive byte for byte.
var ArchiveTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// DirSink writes DIR/<address>/<file>. Each file is written to a temporary
// file in its directory and moved into place, so no profile is ever
// half-written; a user whose files cannot all be written leaves none. A
// file that exists is only replaced with Force; a symbolic link or
// anything but a regular file or directory is never written through or
// replaced, and rejects the row. While the run is unfinished, DIR holds a
// marker naming the run, so that a killed run can be completed with
// Resume (which keeps the users whose files are all there, and writes the
// others) and is not mistaken for a finished one.
type DirSink struct {
	path   string
	dir    *atomicfile.Dir
	force  bool
	resume bool
}

// MarkerFile is the hidden file that marks DIR as holding an unfinished
// batch; it holds the run's fingerprint.
const MarkerFile = ".mailadvisor-batch"

// ErrUnfinished says that DIR holds the output of a batch that did not
// finish (it was killed, or the machine stopped).
var ErrUnfinished = errors.New("holds a batch that did not finish")

// ErrNothingToResume says that a resumed run found no unfinished batch.
var ErrNothingToResume = errors.New("holds no unfinished batch to resume")

// ErrOtherRun says that a resumed run's input or options differ from
// those of the unfinished batch.
var ErrOtherRun = errors.New("holds an unfinished batch of another input or other options")

// OpenDirSink prepares DIR for a run whose input and options fingerprint
// identifies. Without force or resume, an unfinished batch in DIR is
// [ErrUnfinished]; with resume, DIR must hold an unfinished batch of the
// same fingerprint.
func OpenDirSink(path, fingerprint string, force, resume bool) (*DirSink, error) {
	dir, err := atomicfile.OpenDir(path)
	if err != nil {
		return nil, err
	}
	d := &DirSink{path: path, dir: dir, force: force, resume: resume}
	if err := d.begin(fingerprint); err != nil {
		dir.Close()
		return nil, fmt.Errorf("%s %w", path, err)
	}
	return d, nil
}

func (d *DirSink) begin(fingerprint string) error {
	d.dir.CleanStaleAll() // the marker's and the users' of a killed run
	old, err := os.ReadFile(filepath.Join(d.dir.Path(), MarkerFile))
	switch {
	case err == nil && d.resume && string(old) != fingerprint:
		return ErrOtherRun
	case err == nil && d.resume:
		return nil
	case err == nil && !d.force:
		return ErrUnfinished
	case errors.Is(err, fs.ErrNotExist) && d.resume:
		return ErrNothingToResume
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return d.dir.WriteFile(MarkerFile, []byte(fingerprint), true)
}

// Finish marks the run as complete: the marker goes.
func (d *DirSink) Finish() error {
	err := os.Remove(filepath.Join(d.path, MarkerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Write stores one user's files. A user new to DIR gets them in a
// temporary directory renamed into place once (atomicfile.WriteNewDir):
// all of them or none, for one rename. A user whose directory exists
// (--force, --resume) has each file replaced by a rename of its own.
func (d *DirSink) Write(address string, files []File) error {
	name := FileName(address)
	named := make([]atomicfile.Named, len(files))
	for i, f := range files {
		named[i] = atomicfile.Named{Name: f.Name, Data: f.Data}
	}
	err := d.dir.WriteNewDir(name, named)
	var exists *atomicfile.ExistsError
	if err == nil || !errors.As(err, &exists) {
		if err != nil {
			return &OutputError{Err: err}
		}
		return nil
	}
	sub, created, err := d.dir.Sub(name)
	var target *atomicfile.TargetError
	if errors.As(err, &target) {
		return err // this row only
	}
	if err != nil {
		return &OutputError{Err: err}
	}
	defer sub.Close()
	replace := d.force || d.resume
	if !created {
		complete := true
		for _, f := range files {
			sub.CleanStale(f.Name)
			if err := sub.Check(f.Name, replace); err != nil {
				return err
			}
			complete = complete && sub.Exists(f.Name)
		}
		if complete && d.resume {
			return nil // written by the run being resumed
		}
	}
	// A directory made just now holds nothing to protect: a plain rename
	// is enough there (a link and an unlink cost more on most disks).
	replace = replace || created
	for i, f := range files {
		if err := sub.WriteFile(f.Name, f.Data, replace); err != nil {
			for _, done := range files[:i] {
				_ = sub.Remove(done.Name)
			}
			if created {
				sub.RemoveSelf(d.dir, name)
			}
			var exists *atomicfile.ExistsError
			if errors.As(err, &target) || errors.As(err, &exists) {
				return err
			}
			return &OutputError{Err: err}
		}
	}
	return nil
}

// Close releases the directory; the files are already in place.
func (d *DirSink) Close() error { return d.dir.Close() }

// Concurrent marks the directory tree as safe to write from several
// goroutines: each user has a directory of its own.
func (d *DirSink) Concurrent() {}

// TarSink writes a tar stream with <address>/<file> entries in input
// order, fixed times and owners (USTAR, or PAX for names too long for it).
type TarSink struct {
	tw *tar.Writer
}

// NewTarSink writes a tar stream to w.
func NewTarSink(w io.Writer) *TarSink { return &TarSink{tw: tar.NewWriter(w)} }

// Write adds one user's files (extraction creates the directories).
func (t *TarSink) Write(address string, files []File) error {
	dir := FileName(address)
	for _, f := range files {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: path.Join(dir, f.Name), Mode: 0o644, Size: int64(len(f.Data)),
			ModTime: ArchiveTime}
		if err := t.tw.WriteHeader(hdr); err != nil {
			return &OutputError{Err: err}
		}
		if _, err := t.tw.Write(f.Data); err != nil {
			return &OutputError{Err: err}
		}
	}
	return nil
}

// Close writes the tar trailer.
func (t *TarSink) Close() error { return t.tw.Close() }

func (*DirSink) recyclesBuffers() {}
func (*TarSink) recyclesBuffers() {}
