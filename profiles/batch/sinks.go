package batch

import (
	"archive/tar"
	"archive/zip"
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
// file in its directory and renamed into place, so no profile is ever
// half-written; a file that exists is only replaced with Force.
type DirSink struct {
	Dir   string
	Force bool
}

// Write stores one user's files.
func (d *DirSink) Write(address string, files []File) error {
	dir := filepath.Join(d.Dir, PathSafe(address))
	// A directory made just now holds no file to protect.
	err := os.Mkdir(dir, 0o755)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		if !d.Force {
			for _, f := range files {
				if _, err := os.Lstat(filepath.Join(dir, f.Name)); err == nil {
					return fmt.Errorf("%s exists (pass --force to replace it)", filepath.Join(dir, f.Name))
				}
			}
		}
	default:
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return &OutputError{Err: err}
		}
	}
	for _, f := range files {
		if err := atomicfile.WriteFile(filepath.Join(dir, f.Name), f.Data); err != nil {
			return &OutputError{Err: err}
		}
	}
	return nil
}

// Close has nothing to finish: every file is already in place.
func (d *DirSink) Close() error { return nil }

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
	dir := PathSafe(address)
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

// ZipSink writes a zip archive with <address>/<file> entries in input
// order and fixed times.
type ZipSink struct {
	zw *zip.Writer
}

// NewZipSink writes a zip archive to w.
func NewZipSink(w io.Writer) *ZipSink { return &ZipSink{zw: zip.NewWriter(w)} }

// Write adds one user's files.
func (z *ZipSink) Write(address string, files []File) error {
	dir := PathSafe(address)
	for _, f := range files {
		w, err := z.zw.CreateHeader(&zip.FileHeader{Name: path.Join(dir, f.Name), Method: zip.Deflate, Modified: ArchiveTime})
		if err != nil {
			return &OutputError{Err: err}
		}
		if _, err := w.Write(f.Data); err != nil {
			return &OutputError{Err: err}
		}
	}
	return nil
}

// Close writes the zip's central directory.
func (z *ZipSink) Close() error { return z.zw.Close() }
