package batch

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"sync"

	"github.com/klauspost/compress/flate"
)

// ZipSink writes a zip archive with <address>/<file> entries in input
// order and fixed times, in memory that does not grow with the number of
// users: the entries are compressed by the workers (see [Preparer]), and
// the central directory, which a zip keeps at its end, is spilled to a
// temporary file (already unlinked, so nothing is left behind) instead of
// being held in memory as archive/zip does. ZIP64 records are written when
// the archive needs them (more than 65,535 entries, or past 4 GiB), as
// archive/zip, Info-ZIP and 7-Zip read them.
type ZipSink struct {
	w      *countingWriter
	dir    *os.File      // the central directory so far
	dirBuf *bufio.Writer // buffers writes to dir
	dirLen int64
	count  uint64
	err    error
}

// NewZipSink writes a zip archive to w.
func NewZipSink(w io.Writer) *ZipSink {
	z := &ZipSink{w: &countingWriter{w: w}}
	z.dir, z.err = os.CreateTemp("", "mailadvisor-zipdir-*")
	if z.err == nil {
		_ = os.Remove(z.dir.Name()) // the open file lives on; no name to leave behind
		z.dirBuf = bufio.NewWriterSize(z.dir, 64<<10)
	}
	return z
}

// flateWriters recycles compressors. The files are a few kilobytes each:
// there, compress/flate's default level spends a quarter of its time
// clearing its 600 KB of tables at each Reset and most of the rest
// building Huffman codes; klauspost/compress's fastest level does neither
// as slowly, for files 4% larger (BenchmarkZipAgainstTar).
var flateWriters = sync.Pool{New: func() any {
	fw, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	return fw
}}

// takesDeflated asks the batch for the prerendered formats' deflate
// streams (profiles.Forms.RenderDeflated): compressing each file of a few
// kilobytes again is most of a zip's cost.
func (z *ZipSink) takesDeflated() {}

// Prepare compresses a user's files, in a worker: Write then only copies.
func (z *ZipSink) Prepare(files []File) error {
	fw := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(fw)
	for i := range files {
		f := &files[i]
		if d := f.deflated; d != nil { // deflated with the form already
			f.crc, f.size = crc32.ChecksumIEEE(f.Data), uint64(len(f.Data))
			if f.buf != nil {
				buffers.Put(f.buf)
			}
			f.Data, f.buf, f.deflated, f.compressed = d.Bytes(), d, nil, true
			continue
		}
		b := buffers.Get().(*bytes.Buffer)
		b.Reset()
		fw.Reset(b)
		if _, err := fw.Write(f.Data); err != nil {
			return err
		}
		if err := fw.Close(); err != nil {
			return err
		}
		f.crc, f.size = crc32.ChecksumIEEE(f.Data), uint64(len(f.Data))
		if f.buf != nil {
			buffers.Put(f.buf)
		}
		f.Data, f.buf, f.compressed = b.Bytes(), b, true
	}
	return nil
}

// DOS date and time of ArchiveTime (2000-01-01 00:00:00).
const (
	zipDate = (2000-1980)<<9 | 1<<5 | 1
	zipTime = 0
)

// Write adds one user's files.
func (z *ZipSink) Write(address string, files []File) error {
	if z.err != nil {
		return &OutputError{Err: z.err}
	}
	dir := FileName(address)
	for i := range files {
		f := &files[i]
		if !f.compressed {
			if err := z.Prepare(files[i : i+1]); err != nil {
				return &OutputError{Err: err}
			}
		}
		name := dir + "/" + f.Name
		if err := z.entry(name, f); err != nil {
			z.err = err
			return &OutputError{Err: err}
		}
	}
	return nil
}

func (z *ZipSink) entry(name string, f *File) error {
	offset := uint64(z.w.n)
	var h [30]byte
	le := binary.LittleEndian
	le.PutUint32(h[0:], 0x04034b50)
	le.PutUint16(h[4:], 20) // version needed: deflate
	le.PutUint16(h[6:], 0)  // flags
	le.PutUint16(h[8:], 8)  // deflate
	le.PutUint16(h[10:], zipTime)
	le.PutUint16(h[12:], zipDate)
	le.PutUint32(h[14:], f.crc)
	le.PutUint32(h[18:], uint32(len(f.Data)))
	le.PutUint32(h[22:], uint32(f.size))
	le.PutUint16(h[26:], uint16(len(name)))
	le.PutUint16(h[28:], 0)
	if _, err := z.w.Write(h[:]); err != nil {
		return err
	}
	if _, err := io.WriteString(z.w, name); err != nil {
		return err
	}
	if _, err := z.w.Write(f.Data); err != nil {
		return err
	}
	// Its central directory record, spilled.
	var c [46]byte
	le.PutUint32(c[0:], 0x02014b50)
	le.PutUint16(c[4:], 3<<8|45) // made by: Unix, ZIP 4.5
	needed, extra := uint16(20), []byte(nil)
	if offset >= 0xFFFFFFFF {
		needed = 45
		extra = binary.LittleEndian.AppendUint16(extra, 0x0001) // ZIP64 extended information
		extra = binary.LittleEndian.AppendUint16(extra, 8)
		extra = binary.LittleEndian.AppendUint64(extra, offset)
		offset = 0xFFFFFFFF
	}
	le.PutUint16(c[6:], needed)
	le.PutUint16(c[8:], 0)
	le.PutUint16(c[10:], 8)
	le.PutUint16(c[12:], zipTime)
	le.PutUint16(c[14:], zipDate)
	le.PutUint32(c[16:], f.crc)
	le.PutUint32(c[20:], uint32(len(f.Data)))
	le.PutUint32(c[24:], uint32(f.size))
	le.PutUint16(c[28:], uint16(len(name)))
	le.PutUint16(c[30:], uint16(len(extra)))
	le.PutUint16(c[32:], 0)              // comment
	le.PutUint16(c[34:], 0)              // disk
	le.PutUint16(c[36:], 0)              // internal attributes
	le.PutUint32(c[38:], 0o100644<<16)   // external: a regular file, rw-r--r--
	le.PutUint32(c[42:], uint32(offset)) // local header
	for _, part := range [][]byte{c[:], []byte(name), extra} {
		n, err := z.dirBuf.Write(part)
		z.dirLen += int64(n)
		if err != nil {
			return err
		}
	}
	z.count++
	return nil
}

// Close writes the central directory and the end records.
func (z *ZipSink) Close() error {
	if z.dir != nil {
		defer z.dir.Close()
	}
	if z.err != nil {
		return z.err
	}
	if err := z.dirBuf.Flush(); err != nil {
		return err
	}
	if _, err := z.dir.Seek(0, io.SeekStart); err != nil {
		return err
	}
	start := uint64(z.w.n)
	if _, err := io.Copy(z.w, z.dir); err != nil {
		return err
	}
	size, end := uint64(z.dirLen), uint64(z.w.n)
	le := binary.LittleEndian
	count16, size32, start32 := uint16(min(z.count, 0xFFFF)), uint32(min(size, 0xFFFFFFFF)), uint32(min(start, 0xFFFFFFFF))
	if z.count >= 0xFFFF || size >= 0xFFFFFFFF || start >= 0xFFFFFFFF {
		var r [56 + 20]byte
		le.PutUint32(r[0:], 0x06064b50) // ZIP64 end of central directory
		le.PutUint64(r[4:], 44)
		le.PutUint16(r[12:], 3<<8|45)
		le.PutUint16(r[14:], 45)
		le.PutUint32(r[16:], 0)
		le.PutUint32(r[20:], 0)
		le.PutUint64(r[24:], z.count)
		le.PutUint64(r[32:], z.count)
		le.PutUint64(r[40:], size)
		le.PutUint64(r[48:], start)
		le.PutUint32(r[56:], 0x07064b50) // its locator
		le.PutUint32(r[60:], 0)
		le.PutUint64(r[64:], end)
		le.PutUint32(r[72:], 1)
		if _, err := z.w.Write(r[:]); err != nil {
			return err
		}
		count16, size32, start32 = 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF
	}
	var e [22]byte
	le.PutUint32(e[0:], 0x06054b50)
	le.PutUint16(e[8:], count16)
	le.PutUint16(e[10:], count16)
	le.PutUint32(e[12:], size32)
	le.PutUint32(e[16:], start32)
	_, err := z.w.Write(e[:])
	return err
}

// countingWriter counts the bytes written, for the offsets.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (*ZipSink) recyclesBuffers() {}
