package watch

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The index file holds, little-endian:
//
//	magic "UNDOXWI1"
//	key check     16 bytes: HMAC-SHA256(key, label), to refuse a wrong key
//	dirBits, bloomBits, maxTok   one byte each, then 5 zero bytes
//	entries       uint64 count, then the hashes (uint64), persons (uint32),
//	              kind<<8|tokens (uint16), sorted by hash
//	bloom         1<<bloomBits uint64 words
//	persons       uint32 count, then each as uint32 length and bytes
//	checksum      SHA-256 of everything before it
//
// Hashes, filter bits and the opaque person references: no identifier, in
// any encoding. The key is not in it.

var magic = [8]byte{'U', 'N', 'D', 'O', 'X', 'W', 'I', '1'}

// ErrWrongKey reports an index file built under another key.
var ErrWrongKey = errors.New("watch: the index was built with another key")

// ErrCorrupt reports an index file that is not one, or is damaged.
var ErrCorrupt = errors.New("watch: index file is corrupt")

// Save writes the index to w.
func (ix *Index) Save(w io.Writer) error {
	st := ix.st.Load()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 1<<16)
	var b [8]byte
	put := func(p []byte) { bw.Write(p) }
	u64 := func(v uint64) { binary.LittleEndian.PutUint64(b[:], v); put(b[:8]) }
	u32 := func(v uint32) { binary.LittleEndian.PutUint32(b[:], v); put(b[:4]) }
	put(magic[:])
	put(st.check[:])
	put([]byte{byte(st.dirBits), byte(st.bloomBits), byte(st.maxTok), 0, 0, 0, 0, 0})
	u64(uint64(len(st.hs)))
	for _, v := range st.hs {
		u64(v)
	}
	for _, v := range st.ps {
		u32(v)
	}
	for _, v := range st.kn {
		binary.LittleEndian.PutUint16(b[:], v)
		put(b[:2])
	}
	for _, v := range st.bloom {
		u64(v)
	}
	u32(uint32(len(st.persons)))
	for _, p := range st.persons {
		u32(uint32(len(p)))
		bw.WriteString(p)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(h.Sum(nil))
	return err
}

// Load reads an index written by Save. key must be the key it was built
// with (ErrWrongKey otherwise): the file does not hold it.
func Load(r io.Reader, key []byte) (*Index, error) {
	hs, check, err := keys(key)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	br := bufio.NewReaderSize(r, 1<<16)
	tr := io.TeeReader(br, h)
	var b [16]byte
	read := func(n int) error {
		_, err := io.ReadFull(tr, b[:n])
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return nil
	}
	if err := read(8); err != nil {
		return nil, err
	}
	if [8]byte(b[:8]) != magic {
		return nil, fmt.Errorf("%w: not a watch index", ErrCorrupt)
	}
	if err := read(16); err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(b[:16], check[:]) != 1 {
		return nil, ErrWrongKey
	}
	st := &state{h: hs, check: check}
	if err := read(8); err != nil {
		return nil, err
	}
	st.dirBits, st.bloomBits, st.maxTok = uint(b[0]), uint(b[1]), int(b[2])
	if st.dirBits < 1 || st.dirBits > 30 || st.bloomBits > max(st.dirBits+2, 10) || st.maxTok > MaxTokens {
		return nil, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	if err := read(8); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n >= 1<<32 || n > 2<<st.dirBits {
		return nil, fmt.Errorf("%w: bad entry count", ErrCorrupt)
	}
	var err2 error
	st.hs, err2 = readU64s(tr, int(n))
	if err2 != nil {
		return nil, err2
	}
	for i := 1; i < len(st.hs); i++ {
		if st.hs[i] < st.hs[i-1] {
			return nil, fmt.Errorf("%w: entries not sorted", ErrCorrupt)
		}
	}
	buf := make([]byte, 6*n)
	if _, err := io.ReadFull(tr, buf); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	st.ps = make([]uint32, n)
	st.kn = make([]uint16, n)
	for i := range st.ps {
		st.ps[i] = binary.LittleEndian.Uint32(buf[4*i:])
	}
	for i := range st.kn {
		st.kn[i] = binary.LittleEndian.Uint16(buf[4*int(n)+2*i:])
	}
	buf = nil
	if st.bloom, err2 = readU64s(tr, 1<<st.bloomBits); err2 != nil {
		return nil, err2
	}
	if err := read(4); err != nil {
		return nil, err
	}
	np := binary.LittleEndian.Uint32(b[:4])
	st.persons = make([]string, 0, min(np, 1<<20))
	for range np {
		if err := read(4); err != nil {
			return nil, err
		}
		l := binary.LittleEndian.Uint32(b[:4])
		if l > 1<<16 {
			return nil, fmt.Errorf("%w: bad person reference", ErrCorrupt)
		}
		p := make([]byte, l)
		if _, err := io.ReadFull(tr, p); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		st.persons = append(st.persons, string(p))
	}
	sum := h.Sum(nil)
	var want [sha256.Size]byte
	if _, err := io.ReadFull(br, want[:]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if subtle.ConstantTimeCompare(sum, want[:]) != 1 {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	for i := range st.ps {
		if int(st.ps[i]) >= len(st.persons) || int(st.kn[i]>>8) >= len(Kinds) || st.kn[i]&0xff == 0 {
			return nil, fmt.Errorf("%w: bad entry", ErrCorrupt)
		}
	}
	st.buildDir()
	ix := &Index{}
	ix.st.Store(st)
	return ix, nil
}

func readU64s(r io.Reader, n int) ([]uint64, error) {
	out := make([]uint64, 0, min(n, 1<<24))
	buf := make([]byte, 1<<16)
	for len(out) < n {
		k := min(n-len(out), len(buf)/8)
		if _, err := io.ReadFull(r, buf[:8*k]); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		for i := 0; i < k; i++ {
			out = append(out, binary.LittleEndian.Uint64(buf[8*i:]))
		}
	}
	return out, nil
}

// SaveFile writes the index to path, through a temporary file renamed into
// place, readable by the owner only.
func (ix *Index) SaveFile(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".watch-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := ix.Save(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// LoadFile reads an index file written by SaveFile.
func LoadFile(path string, key []byte) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Load(f, key)
}
