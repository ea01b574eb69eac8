// Package atomicfile is the one way mailadvisor writes an output file. The
// data goes to a hidden temporary file in the target's directory, renamed
// into place once complete, so the final name only ever holds complete
// content. It never writes through a symbolic link, never replaces
// anything but a regular file, and replaces a regular file only when asked;
// without that, the final step is a hard link that fails if the name was
// taken in the meantime. Temporary files left by a process that died
// (SIGKILL, power loss) are removed the next time their target is written.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExistsError says that the target is a regular file and replacing it was
// not allowed.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string { return e.Path + " exists" }

// TargetError says that the target is something that is never replaced: a
// symbolic link, a directory, a device, a FIFO or a socket.
type TargetError struct{ Path, Problem string }

func (e *TargetError) Error() string { return e.Path + ": " + e.Problem }

// Dir is a directory that output files are written into. Names are
// resolved inside it: none can climb out, by .. or by a symbolic link.
type Dir struct {
	root *os.Root
	path string
}

// OpenDir opens the directory at path, creating it (and its parents) if
// it does not exist.
func OpenDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	return &Dir{root: root, path: path}, nil
}

// Path is the directory's path, as opened.
func (d *Dir) Path() string { return d.path }

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// Sub opens (or creates) the subdirectory name. created tells whether it
// was made just now, so that it holds nothing to check. A name that is a
// symbolic link or not a directory is refused with a [*TargetError].
func (d *Dir) Sub(name string) (sub *Dir, created bool, err error) {
	err = d.root.Mkdir(name, 0o755)
	switch {
	case err == nil:
		created = true
	case errors.Is(err, fs.ErrExist):
		fi, lerr := d.root.Lstat(name)
		if lerr != nil {
			return nil, false, lerr
		}
		if problem := badTarget(fi, true); problem != "" {
			return nil, false, &TargetError{Path: d.join(name), Problem: problem}
		}
	default:
		return nil, false, err
	}
	root, err := d.root.OpenRoot(name)
	if err != nil {
		return nil, false, err
	}
	return &Dir{root: root, path: d.join(name)}, created, nil
}

func (d *Dir) join(name string) string { return filepath.Join(d.path, name) }

// badTarget says why fi may not be written over, or "".
func badTarget(fi fs.FileInfo, wantDir bool) string {
	switch m := fi.Mode(); {
	case m&fs.ModeSymlink != 0:
		return "is a symbolic link; mailadvisor never writes through one"
	case wantDir && !m.IsDir():
		return "exists and is not a directory"
	case !wantDir && m.IsDir():
		return "is a directory"
	case !wantDir && !m.IsRegular():
		return "is not a regular file (a device, FIFO or socket is never replaced)"
	}
	return ""
}

// Check reports whether name may be written: it does not exist, or it is
// a regular file and replace is set.
func (d *Dir) Check(name string, replace bool) error {
	fi, err := d.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if problem := badTarget(fi, false); problem != "" {
		return &TargetError{Path: d.join(name), Problem: problem}
	}
	if !replace {
		return &ExistsError{Path: d.join(name)}
	}
	return nil
}

// Exists reports whether name is a regular file.
func (d *Dir) Exists(name string) bool {
	fi, err := d.root.Lstat(name)
	return err == nil && fi.Mode().IsRegular()
}

// Remove removes name, if it is there.
func (d *Dir) Remove(name string) error {
	if err := d.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// RemoveSelf removes the directory d from parent, if it is empty.
func (d *Dir) RemoveSelf(parent *Dir, name string) {
	_ = d.root.Close()
	_ = parent.root.Remove(name)
}

// seq makes the temporary names of one process unique.
var seq atomic.Uint64

const tmpMark = ".tmp-"

// tmpName is the hidden temporary name for name: .NAME.tmp-PID-N.
func tmpName(name string) string {
	return "." + name + tmpMark + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(seq.Add(1), 10)
}

// CleanStale removes the temporary files that processes which no longer
// run left for name in d (a process killed while it wrote).
func (d *Dir) CleanStale(name string) {
	f, err := d.root.Open(".")
	if err != nil {
		return
	}
	names, _ := f.Readdirnames(-1)
	f.Close()
	prefix := "." + name + tmpMark
	for _, n := range names {
		if !strings.HasPrefix(n, prefix) {
			continue
		}
		pid, _, ok := strings.Cut(strings.TrimPrefix(n, prefix), "-")
		if id, err := strconv.Atoi(pid); ok && err == nil && !running(id) {
			_ = d.root.Remove(n)
		}
	}
}

// running reports whether a process with this id exists.
func running(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// File is an output file under construction.
type File struct {
	*os.File
	dir     *Dir
	ownDir  bool // dir was opened for this file alone
	name    string
	replace bool
}

// Create opens a temporary file for name in d, mode 0644 (less the umask),
// after checking that name may be written (see [Dir.Check]).
func (d *Dir) Create(name string, replace bool) (*File, error) {
	return d.CreateMode(name, replace, 0o644)
}

// CreateMode is Create with a file mode, such as 0600 for a private key.
func (d *Dir) CreateMode(name string, replace bool, mode fs.FileMode) (*File, error) {
	if err := d.Check(name, replace); err != nil {
		return nil, err
	}
	f, err := d.root.OpenFile(tmpName(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return nil, err
	}
	return &File{File: f, dir: d, name: name, replace: replace}, nil
}

// Create opens a temporary file for path: [Dir.Create] in its directory,
// after removing what dead processes left there for it.
func Create(path string, replace bool) (*File, error) {
	d, err := OpenDir(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	name := filepath.Base(path)
	d.CleanStale(name)
	f, err := d.Create(name, replace)
	if err != nil {
		d.Close()
		return nil, err
	}
	f.ownDir = true
	return f, nil
}

// Path is the file's final path.
func (f *File) Path() string { return f.dir.join(f.name) }

// Write writes to the temporary file; an error names the final path, the
// one the user gave (the temporary name means nothing to them).
func (f *File) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	return n, f.named(err)
}

// Sync flushes the temporary file to the disk; an error names the final path.
func (f *File) Sync() error { return f.named(f.File.Sync()) }

// named rewrites an error about the temporary file to name the target.
func (f *File) named(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: f.Path(), Err: pe.Err}
	}
	return err
}

// Commit closes the file and moves it into place: a rename when replacing
// is allowed, a hard link that fails on an existing name otherwise.
func (f *File) Commit() error {
	defer f.release()
	tmp := filepath.Base(f.Name())
	if err := f.Close(); err != nil {
		_ = f.dir.root.Remove(tmp)
		return f.named(err)
	}
	err := f.place(tmp)
	if err != nil {
		_ = f.dir.root.Remove(tmp)
	}
	return err
}

func (f *File) place(tmp string) error {
	if !f.replace {
		err := f.dir.root.Link(tmp, f.name)
		if err == nil {
			return f.dir.root.Remove(tmp)
		}
		if errors.Is(err, fs.ErrExist) {
			return f.dir.Check(f.name, false)
		}
		// A file system without hard links: check, then rename.
	}
	if err := f.dir.Check(f.name, f.replace); err != nil {
		return err
	}
	return f.dir.root.Rename(tmp, f.name)
}

// Abort closes and removes the temporary file.
func (f *File) Abort() {
	defer f.release()
	f.Close()
	_ = f.dir.root.Remove(filepath.Base(f.Name()))
}

func (f *File) release() {
	if f.ownDir {
		f.dir.Close()
	}
}

// WriteFile writes data to name in d atomically.
func (d *Dir) WriteFile(name string, data []byte, replace bool) error {
	f, err := d.Create(name, replace)
	return fill(f, err, data)
}

// fill writes data to a file just created (unless that failed) and
// commits it, or removes it on an error.
func fill(f *File, err error, data []byte) error {
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// Named is one file of a set.
type Named struct {
	Name string
	Data []byte
	Mode fs.FileMode // 0 means 0644
}

// WriteSet writes files into d as a whole: every target is checked before
// any is written, and every temporary file is complete before the first
// is moved into place. An error leaves the directory as it was, unless a
// rename itself fails.
func (d *Dir) WriteSet(files []Named, replace bool) error {
	var errs []error
	for _, f := range files {
		d.CleanStale(f.Name)
		errs = append(errs, d.Check(f.Name, replace))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var open []*File
	abort := func() {
		for _, f := range open {
			f.Abort()
		}
	}
	for _, nf := range files {
		mode := nf.Mode
		if mode == 0 {
			mode = 0o644
		}
		f, err := d.CreateMode(nf.Name, replace, mode)
		if err != nil {
			abort()
			return err
		}
		open = append(open, f)
		if _, err := f.Write(nf.Data); err != nil {
			abort()
			return err
		}
		if err := f.Sync(); err != nil {
			abort()
			return err
		}
	}
	for i, f := range open {
		if err := f.Commit(); err != nil {
			for _, rest := range open[i+1:] {
				rest.Abort()
			}
			return fmt.Errorf("%w (the files before it were written)", err)
		}
	}
	return nil
}

// WriteNewDir makes the directory name in d holding files, all or none:
// the files are written into a hidden temporary directory, which is then
// renamed to name once (one rename for the set, not one per file). name
// must not exist: then, or if it appears meanwhile, the error is an
// [*ExistsError] and nothing is left behind.
func (d *Dir) WriteNewDir(name string, files []Named) error {
	if _, err := d.root.Lstat(name); err == nil {
		return &ExistsError{Path: d.join(name)}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp := tmpName(name)
	if err := d.root.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	err := d.fillDir(tmp, files)
	if err == nil {
		err = d.renameNoReplace(tmp, name)
	}
	if err != nil {
		_ = d.root.RemoveAll(tmp)
		if errors.Is(err, fs.ErrExist) {
			return &ExistsError{Path: d.join(name)}
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			// The temporary name means nothing to the user.
			return &fs.PathError{Op: pe.Op, Path: d.join(name), Err: pe.Err}
		}
		return err
	}
	return nil
}

func (d *Dir) fillDir(tmp string, files []Named) error {
	sub, err := d.root.OpenRoot(tmp)
	if err != nil {
		return err
	}
	defer sub.Close()
	for _, nf := range files {
		mode := nf.Mode
		if mode == 0 {
			mode = 0o644
		}
		f, err := sub.OpenFile(nf.Name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		_, err = f.Write(nf.Data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// renameNoReplace renames old to name in d, failing with fs.ErrExist when
// name exists (renameat2's RENAME_NOREPLACE: a directory renamed onto an
// empty one, or onto a symbolic link made meanwhile, would replace it).
// Where the file system cannot, it checks, then renames.
func (d *Dir) renameNoReplace(old, name string) error {
	self, err := d.root.Open(".")
	if err != nil {
		return err
	}
	defer self.Close()
	fd := int(self.Fd())
	err = unix.Renameat2(fd, old, fd, name, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return fs.ErrExist
	case errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS):
		if _, lerr := d.root.Lstat(name); lerr == nil {
			return fs.ErrExist
		}
		return d.root.Rename(old, name)
	}
	return &fs.PathError{Op: "rename", Path: d.join(name), Err: err}
}

// CleanStaleAll removes, in one pass over d, every temporary file or
// directory that a process no longer running left there (a run killed
// while it wrote): what CleanStale does for one name, for all of them.
func (d *Dir) CleanStaleAll() {
	f, err := d.root.Open(".")
	if err != nil {
		return
	}
	defer f.Close()
	for {
		names, err := f.Readdirnames(4096)
		for _, n := range names {
			i := strings.LastIndex(n, tmpMark)
			if !strings.HasPrefix(n, ".") || i < 0 {
				continue
			}
			pid, _, ok := strings.Cut(n[i+len(tmpMark):], "-")
			if id, err := strconv.Atoi(pid); ok && err == nil && !running(id) {
				_ = d.root.RemoveAll(n)
			}
		}
		if err != nil {
			return
		}
	}
}
