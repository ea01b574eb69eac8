// Package atomicfile writes files so that their final name only ever
// holds complete content: the data goes to a hidden temporary file in the
// same directory, which is renamed into place once written. An interrupted
// or failed write leaves no truncated file under the final name.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// File is an output file under construction.
type File struct {
	*os.File
	path string
}

// seq makes the temporary names of one process unique.
var seq atomic.Uint64

// Create opens a temporary file next to path, mode 0644 (less the umask).
// Unless replace is set, a file that already exists at path is an error.
func Create(path string, replace bool) (*File, error) {
	if !replace {
		if _, err := os.Lstat(path); err == nil {
			return nil, fmt.Errorf("%s exists (pass --force to replace it)", path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+
		strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(seq.Add(1), 10))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Commit closes the file and renames it into place.
func (f *File) Commit() error {
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// Abort closes and removes the temporary file.
func (f *File) Abort() {
	f.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to path atomically, replacing what is there.
func WriteFile(path string, data []byte) error {
	f, err := Create(path, true)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
