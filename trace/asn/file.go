package asn

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"time"
)

// FileName is the name undox gives a saved table in its data folder.
const FileName = "ip2asn.bin"

// The saved form, all integers little-endian:
//
//	"UNDOXASN" version:u16
//	imported:i64 (Unix seconds) source:str
//	report: lines ranges notRouted bad duplicates overlaps (uvarint each)
//	        examples:uvarint × (source:str line:uvarint reason:str text:str)
//	systems:uvarint × (asn:uvarint country:str description:str)
//	ranges4:uvarint × (start:u32 end:u32 system:u32)
//	ranges6:uvarint × (start:16 bytes end:16 bytes system:u32)
//	crc32 (IEEE) of everything before it:u32
//
// where str is a uvarint length and that many bytes.
const (
	fileMagic   = "UNDOXASN"
	fileVersion = 1
)

// maxFile bounds what Load reads (a full iptoasn import saves to about 10 MB).
const maxFile = 1 << 30

// Save writes t in undox's compact binary form.
func (t *Table) Save(w io.Writer) error {
	if t == nil {
		return errors.New("asn: nil table")
	}
	b := make([]byte, 0, 64+len(t.v4)*12+len(t.v6)*36+len(t.meta)*24)
	b = append(b, fileMagic...)
	b = binary.LittleEndian.AppendUint16(b, fileVersion)
	b = binary.LittleEndian.AppendUint64(b, uint64(t.info.Imported.Unix()))
	b = appendStr(b, t.info.Source)
	r := t.report
	for _, n := range []int{r.Lines, r.Ranges, r.NotRouted, r.Bad, r.Duplicates, r.Overlaps} {
		b = binary.AppendUvarint(b, uint64(n))
	}
	b = binary.AppendUvarint(b, uint64(len(r.Examples)))
	for _, e := range r.Examples {
		b = appendStr(b, e.Source)
		b = binary.AppendUvarint(b, uint64(e.Line))
		b = appendStr(b, e.Reason)
		b = appendStr(b, e.Text)
	}
	b = binary.AppendUvarint(b, uint64(len(t.meta)))
	for _, m := range t.meta {
		b = binary.AppendUvarint(b, uint64(m.asn))
		b = appendStr(b, m.country)
		b = appendStr(b, m.desc)
	}
	b = binary.AppendUvarint(b, uint64(len(t.v4)))
	for _, x := range t.v4 {
		b = binary.LittleEndian.AppendUint32(b, x.start)
		b = binary.LittleEndian.AppendUint32(b, x.end)
		b = binary.LittleEndian.AppendUint32(b, x.meta)
	}
	b = binary.AppendUvarint(b, uint64(len(t.v6)))
	for _, x := range t.v6 {
		b = binary.BigEndian.AppendUint64(b, x.start.hi)
		b = binary.BigEndian.AppendUint64(b, x.start.lo)
		b = binary.BigEndian.AppendUint64(b, x.end.hi)
		b = binary.BigEndian.AppendUint64(b, x.end.lo)
		b = binary.LittleEndian.AppendUint32(b, x.meta)
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	_, err := w.Write(b)
	return err
}

// SaveFile writes t to path, through a temporary file in the same folder that
// replaces path only when complete.
func (t *Table) SaveFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("asn: %w", err)
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriter(tmp)
	if err := t.Save(bw); err != nil {
		tmp.Close()
		return fmt.Errorf("asn: writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("asn: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("asn: writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("asn: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("asn: %w", err)
	}
	return nil
}

// LoadFile reads a table saved by SaveFile.
func LoadFile(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("asn: %w", err)
	}
	defer f.Close()
	t, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return t, nil
}

// ErrFormat is returned by Load for input that is not a table saved by Save,
// or is damaged.
var ErrFormat = errors.New("asn: not a saved table, or damaged")

// Load reads a table written by Save. It checks the checksum and that the
// ranges are sorted and do not overlap.
func Load(r io.Reader) (*Table, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("asn: %w", err)
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrFormat, maxFile)
	}
	if len(b) < len(fileMagic)+2+4 || string(b[:len(fileMagic)]) != fileMagic {
		return nil, ErrFormat
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrFormat)
	}
	d := decoder{b: body[len(fileMagic):]}
	if v := d.u16(); v != fileVersion {
		return nil, fmt.Errorf("%w: version %d, this undox reads %d", ErrFormat, v, fileVersion)
	}
	t := &Table{}
	t.info.Imported = time.Unix(int64(d.u64()), 0).UTC()
	t.info.Source = d.str()
	rep := &t.report
	for _, p := range []*int{&rep.Lines, &rep.Ranges, &rep.NotRouted, &rep.Bad, &rep.Duplicates, &rep.Overlaps} {
		*p = int(d.uvarint())
	}
	n := d.count(4)
	for range n {
		e := BadLine{Source: d.str(), Line: int(d.uvarint()), Reason: d.str(), Text: d.str()}
		rep.Examples = append(rep.Examples, e)
	}
	n = d.count(3)
	t.meta = make([]asInfo, 0, n)
	for range n {
		asn := d.uvarint()
		if asn > 1<<32-1 {
			d.fail()
		}
		t.meta = append(t.meta, asInfo{asn: uint32(asn), country: d.str(), desc: d.str()})
	}
	n = d.count(12)
	t.v4 = make([]range4, 0, n)
	for range n {
		x := range4{start: d.u32(), end: d.u32(), meta: d.u32()}
		if d.err == nil && (x.end < x.start || int(x.meta) >= len(t.meta) ||
			(len(t.v4) > 0 && x.start <= t.v4[len(t.v4)-1].end)) {
			return nil, fmt.Errorf("%w: IPv4 range %d out of order", ErrFormat, len(t.v4))
		}
		t.v4 = append(t.v4, x)
	}
	n = d.count(36)
	t.v6 = make([]range6, 0, n)
	for range n {
		x := range6{start: u128{d.be64(), d.be64()}, end: u128{d.be64(), d.be64()}, meta: d.u32()}
		if d.err == nil && (x.end.less(x.start) || int(x.meta) >= len(t.meta) ||
			(len(t.v6) > 0 && !t.v6[len(t.v6)-1].end.less(x.start))) {
			return nil, fmt.Errorf("%w: IPv6 range %d out of order", ErrFormat, len(t.v6))
		}
		t.v6 = append(t.v6, x)
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes left over", ErrFormat, len(d.b))
	}
	t.info.Ranges4, t.info.Ranges6, t.info.Systems = len(t.v4), len(t.v6), len(t.meta)
	t.index()
	return t, nil
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads the saved form; after the first error it returns zeros.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or malformed", ErrFormat)
	}
	d.b = nil
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.fail()
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u16() uint16 {
	if p := d.take(2); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) be64() uint64 {
	if p := d.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return x
}

// count reads an element count, each element taking at least size bytes, and
// fails if the rest of the input cannot hold that many.
func (d *decoder) count(size int) int {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)/size) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	return string(d.take(int(n)))
}
