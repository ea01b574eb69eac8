package lint

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Budgets a file must fit before a library decodes it: the decoders
// expand what the bytes only reference, so that a few hundred bytes can
// ask for gigabytes (a binary plist whose arrays share elements) or for
// minutes (DER nested thousands deep).
const (
	// maxPlistObjects and maxPlistBytes bound a binary plist as decoded:
	// every reference counted each time it is followed. A mail profile
	// has a few hundred objects.
	maxPlistObjects = 200_000
	maxPlistBytes   = 16 << 20
	maxPlistDepth   = 64
	// maxDERDepth and maxDERItems bound a signature's structure; a CMS
	// signed profile nests about a dozen deep, with a few thousand items
	// for a certificate chain.
	maxDERDepth = 24
	maxDERItems = 50_000
)

var errPlistBudget = fmt.Errorf("a binary property list that expands past %d objects or %d MiB when decoded (its objects share references)", maxPlistObjects, maxPlistBytes>>20)

// checkBinaryPlist walks a binary property list's object graph without
// decoding it: the number of objects and bytes the decoder would make,
// each shared reference counted every time it is followed, within the
// budget; references in range, no cycle.
func checkBinaryPlist(data []byte) error {
	if len(data) < 8+32 {
		return errors.New("a binary property list too short for its trailer")
	}
	tr := data[len(data)-32:]
	offSize, refSize := int(tr[6]), int(tr[7])
	numObjects, top, tableOff := binary.BigEndian.Uint64(tr[8:]), binary.BigEndian.Uint64(tr[16:]), binary.BigEndian.Uint64(tr[24:])
	if offSize < 1 || offSize > 8 || refSize < 1 || refSize > 8 || numObjects == 0 || numObjects > uint64(len(data)) ||
		top >= numObjects || tableOff >= uint64(len(data)) || tableOff+numObjects*uint64(offSize) > uint64(len(data)-32) {
		return errors.New("a binary property list whose trailer does not fit the file")
	}
	n := int(numObjects)
	offsets := make([]int, n)
	for i := range offsets {
		o := readUint(data[int(tableOff)+i*offSize:], offSize)
		if o < 8 || o >= tableOff {
			return fmt.Errorf("a binary property list whose object %d lies outside the objects", i)
		}
		offsets[i] = int(o)
	}
	w := &plistWalk{data: data[:tableOff], offsets: offsets, refSize: refSize,
		size: make([]uint64, n), state: make([]uint8, n)}
	objs, bytes, err := w.visit(int(top), 0)
	if err != nil {
		return err
	}
	if objs > maxPlistObjects || bytes > maxPlistBytes {
		return errPlistBudget
	}
	return nil
}

type plistWalk struct {
	data    []byte
	offsets []int
	refSize int
	// size packs, per object once visited, its expanded objects (high
	// 32 bits) and bytes (low 32 bits), saturated at the budget.
	size  []uint64
	state []uint8 // 0 unseen, 1 on the path (a cycle if met), 2 done
}

func readUint(b []byte, size int) uint64 {
	var v uint64
	for i := range size {
		if i >= len(b) {
			return 1 << 63
		}
		v = v<<8 | uint64(b[i])
	}
	return v
}

// visit returns the objects and bytes object i expands to.
func (w *plistWalk) visit(i, depth int) (objs, bytes uint64, err error) {
	switch w.state[i] {
	case 1:
		return 0, 0, fmt.Errorf("a binary property list whose object %d contains itself", i)
	case 2:
		return w.size[i] >> 32, w.size[i] & 0xffffffff, nil
	}
	if depth > maxPlistDepth {
		return 0, 0, fmt.Errorf("a binary property list nested over %d deep", maxPlistDepth)
	}
	w.state[i] = 1
	off := w.offsets[i]
	marker := w.data[off]
	count, body, err := w.count(off)
	if err != nil {
		return 0, 0, err
	}
	objs = 1
	switch marker >> 4 {
	case 0x4, 0x5: // data, ASCII string
		bytes = count
	case 0x6: // UTF-16 string: each unit may become up to 3 bytes of UTF-8
		bytes = count * 3
	case 0xA, 0xC, 0xD: // array, set, dictionary (keys and values)
		refs := count
		if marker>>4 == 0xD {
			refs *= 2
		}
		if refs > uint64(len(w.data)) || body+int(refs)*w.refSize > len(w.data) {
			return 0, 0, fmt.Errorf("a binary property list whose object %d has more references than the file holds", i)
		}
		for r := range int(refs) {
			ref := readUint(w.data[body+r*w.refSize:], w.refSize)
			if ref >= uint64(len(w.offsets)) {
				return 0, 0, fmt.Errorf("a binary property list whose object %d refers to object %d, which is not there", i, ref)
			}
			o, b, err := w.visit(int(ref), depth+1)
			if err != nil {
				return 0, 0, err
			}
			objs, bytes = objs+o, bytes+b
			if objs > maxPlistObjects || bytes > maxPlistBytes {
				return 0, 0, errPlistBudget
			}
		}
	}
	w.state[i] = 2
	w.size[i] = min(objs, maxPlistObjects+1)<<32 | min(bytes, maxPlistBytes+1)
	return objs, bytes, nil
}

// count reads the element count of the object at off (its marker's low
// nibble, or the integer that follows when that is 0xF) and where its
// contents start.
func (w *plistWalk) count(off int) (uint64, int, error) {
	marker := w.data[off]
	count, body := uint64(marker&0xF), off+1
	if marker>>4 < 0x4 || marker>>4 == 0x8 || count != 0xF {
		return count, body, nil
	}
	if body >= len(w.data) || w.data[body]>>4 != 0x1 {
		return 0, 0, errors.New("a binary property list with a malformed count")
	}
	size := 1 << (w.data[body] & 0xF)
	if size > 8 || body+1+size > len(w.data) {
		return 0, 0, errors.New("a binary property list with a malformed count")
	}
	return readUint(w.data[body+1:], size), body + 1 + size, nil
}

// checkDER walks a signature's BER/DER structure without decoding it:
// at most maxDERDepth deep and maxDERItems items, every length within
// the file. Definite and indefinite lengths are both read, as signing
// tools write either.
func checkDER(data []byte) error {
	items := 0
	_, err := derWalk(data, 0, &items)
	return err
}

// derWalk walks one item at the start of b and returns its length.
func derWalk(b []byte, depth int, items *int) (int, error) {
	*items++
	if *items > maxDERItems {
		return 0, fmt.Errorf("a signature of over %d items", maxDERItems)
	}
	if depth > maxDERDepth {
		return 0, fmt.Errorf("a signature nested over %d deep", maxDERDepth)
	}
	if len(b) < 2 {
		return 0, errors.New("a signature cut short")
	}
	constructed := b[0]&0x20 != 0
	i := 1
	if b[0]&0x1F == 0x1F { // a high tag number, base 128
		for i < len(b) && b[i]&0x80 != 0 {
			i++
		}
		i++
		if i >= len(b) || i > 6 {
			return 0, errors.New("a signature with a malformed tag")
		}
	}
	l := int(b[i])
	i++
	switch {
	case l == 0x80: // indefinite: items until an end-of-contents
		if !constructed {
			return 0, errors.New("a signature with an indefinite length on a primitive item")
		}
		for {
			if i+2 <= len(b) && b[i] == 0 && b[i+1] == 0 {
				return i + 2, nil
			}
			n, err := derWalk(b[i:], depth+1, items)
			if err != nil {
				return 0, err
			}
			i += n
		}
	case l&0x80 != 0:
		k := l & 0x7F
		if k > 4 || i+k > len(b) {
			return 0, errors.New("a signature with a malformed length")
		}
		l = int(readUint(b[i:], k))
		i += k
	}
	if l < 0 || i+l > len(b) {
		return 0, errors.New("a signature whose lengths run past its end")
	}
	if constructed {
		for j := i; j < i+l; {
			n, err := derWalk(b[j:i+l], depth+1, items)
			if err != nil {
				return 0, err
			}
			j += n
		}
	}
	return i + l, nil
}
