package blob

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// A pack is a sequence of records, each a fixed header followed by what
// secret.Seal returns (nonce, ciphertext, tag):
//
//	magic and version "UDXP\x01"        5 bytes
//	SHA-256 of the plain content         32
//	plain size                           8, big-endian
//	sealed length                        8, big-endian
//	key check                            8
//	CRC-32C of the 61 bytes above        4
//
// The header is not secret (the SHA-256 is what the old layout put in the
// file name) and not authenticated by the seal; its CRC tells a damaged
// header from a record, so that one flipped bit costs one record, not every
// record after it (see scanPack).
//
// Delete does not rewrite a pack: it turns a record into a tombstone in
// place, of the same length, so that every offset in the pack stays valid
// for every process that indexed it (a pack replaced by another file could
// not be told from it where the file system reuses inode numbers at once,
// as ext4 does). A tombstone is a header with deadMagic, then zeros where
// the sealed bytes were. While Delete zeroes the body, the tombstone keeps
// the SHA-256 (so that a Delete a crash interrupted is finished by the next
// Delete of the same blob); once the zeros are durable, its SHA-256, plain
// size and key check are zeroed too, and only its length is left.
const (
	packMagic    = "UDXP\x01"
	deadMagic    = "UDXD\x01"
	packPrefix   = "pack-"
	recHeaderLen = len(packMagic) + sha256.Size + 8 + 8 + keyCheckLen + 4

	// maxRecordField bounds the sizes a header may declare, far above any
	// MaxSize, so that offsets never overflow.
	maxRecordField = 1 << 50
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recHeader is a record's header.
type recHeader struct {
	sum      [sha256.Size]byte
	size     int64 // of the plain content
	sealed   int64 // of what follows the header
	keyCheck [keyCheckLen]byte
}

// tombstone is the header of the deleted record h: with erased, nothing of
// it but its length.
func (h *recHeader) tombstone(erased bool) []byte {
	if erased {
		return (&recHeader{sealed: h.sealed}).encodeAs(deadMagic)
	}
	return h.encodeAs(deadMagic)
}

func (h *recHeader) encodeAs(magic string) []byte {
	return h.encodeAsTo(make([]byte, 0, recHeaderLen), magic)
}

// encodeTo appends the header to b.
func (h *recHeader) encodeTo(b []byte) []byte { return h.encodeAsTo(b, packMagic) }

func (h *recHeader) encodeAsTo(b []byte, magic string) []byte {
	at := len(b)
	b = append(b, magic...)
	b = append(b, h.sum[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(h.size))
	b = binary.BigEndian.AppendUint64(b, uint64(h.sealed))
	b = append(b, h.keyCheck[:]...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[at:], castagnoli))
}

// parseHeader parses the header of a record that is not deleted; ok is
// false when b is not one.
func parseHeader(b []byte) (h recHeader, ok bool) {
	h, dead, ok := parseAnyHeader(b)
	return h, ok && !dead
}

// parseAnyHeader parses a record's header, or a tombstone's (dead); ok is
// false when b is neither (another magic, a CRC that does not match, sizes
// no Put writes).
func parseAnyHeader(b []byte) (h recHeader, dead, ok bool) {
	if len(b) < recHeaderLen {
		return h, false, false
	}
	switch string(b[:len(packMagic)]) {
	case packMagic:
	case deadMagic:
		dead = true
	default:
		return h, false, false
	}
	crcAt := recHeaderLen - 4
	if crc32.Checksum(b[:crcAt], castagnoli) != binary.BigEndian.Uint32(b[crcAt:recHeaderLen]) {
		return h, false, false
	}
	p := b[len(packMagic):]
	copy(h.sum[:], p)
	p = p[sha256.Size:]
	size, sealed := binary.BigEndian.Uint64(p), binary.BigEndian.Uint64(p[8:])
	if size > maxRecordField || sealed > maxRecordField {
		return h, false, false
	}
	h.size, h.sealed = int64(size), int64(sealed)
	copy(h.keyCheck[:], p[16:])
	return h, dead, true
}

// packName is the file name of pack number n.
func packName(n int) string { return fmt.Sprintf("%s%06d", packPrefix, n) }

// packPath is pack n in the owner's folder dir.
func packPath(dir string, n int) string { return filepath.Join(dir, packName(n)) }

// parsePackName returns the number of a pack's file name.
func parsePackName(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, packPrefix)
	if !ok || len(digits) < 6 {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || packName(n) != name {
		return 0, false
	}
	return n, true
}

// tailKind says what follows the last record of a pack that a scan found.
type tailKind int8

const (
	// tailNone: the records end where the file ends.
	tailNone tailKind = iota
	// tailZeros: zeros, which some file systems leave after a crash where
	// an append was in progress. Readers take it as not there; an
	// appender, holding the pack's lock, cuts it off before it appends.
	tailZeros
	// tailTorn: the start of a record (part of its header, or a header
	// whose record runs past the end of the file): an append in progress,
	// one that a crash interrupted, or a record cut short since it was
	// written (a damaged or altered pack). Readers take it as not there
	// (yet); an appender, holding the pack's lock, knows that no append is
	// in progress and leaves it as it is: it may be evidence of tampering,
	// and a Get of its content says so (Dir.cutShort). Appends go to the
	// next pack.
	tailTorn
	// tailDamaged: bytes that are no record and no torn one. They are left
	// as they are (they may be a damaged record, evidence of tampering),
	// and nothing is appended after them: appends go to the next pack.
	tailDamaged
)

// scannedRec is a record a scan found: its header at off.
type scannedRec struct {
	off int64
	h   recHeader
}

func (r scannedRec) end() int64 { return r.off + int64(recHeaderLen) + r.h.sealed }

// scanned is what scanPack found.
type scanned struct {
	recs []scannedRec
	// dead are the tombstones, skipped like records but not indexed.
	dead []scannedRec
	// end is where the next record is expected: every record before it
	// is in recs, and damaged bytes between records were skipped.
	end int64
	// tail is what lies between end and the end of the file.
	tail tailKind
	// torn is the record whose header is whole at end but which runs
	// past the end of the file, if that is the tail.
	torn *scannedRec
	// damaged counts the runs of bytes between records that are no record
	// (a damaged header: its record cannot be found), tail excluded.
	damaged int
}

// scanPack reads the headers of the records in r from offset from (where a
// record starts) up to size, seeking past their bodies.
//
// Where a header does not parse, the scan looks for the next one further on
// (its magic and a CRC that matches): if there is one, the bytes between are
// a damaged region and the scan goes on from there; if not, they are the
// pack's tail.
func scanPack(r io.ReaderAt, from, size int64) (scanned, error) {
	var s scanned
	buf := make([]byte, recHeaderLen)
	off := from
	for off < size {
		if size-off < int64(recHeaderLen) {
			rest := buf[:size-off]
			if _, err := r.ReadAt(rest, off); err != nil {
				return s, fmt.Errorf("read pack at %d: %w", off, err)
			}
			switch {
			case allZero(rest):
				s.tail = tailZeros
			case isMagicPrefix(rest):
				s.tail = tailTorn
			default:
				s.tail = tailDamaged
			}
			break
		}
		if _, err := r.ReadAt(buf, off); err != nil {
			return s, fmt.Errorf("read pack at %d: %w", off, err)
		}
		if h, dead, ok := parseAnyHeader(buf); ok {
			rec := scannedRec{off: off, h: h}
			if rec.end() > size {
				s.tail = tailTorn
				if !dead {
					s.torn = &rec
				}
				break
			}
			if dead {
				s.dead = append(s.dead, rec)
			} else {
				s.recs = append(s.recs, rec)
			}
			off = rec.end()
			continue
		}
		next, found, zero, err := resync(r, off, size)
		if err != nil {
			return s, err
		}
		if !found {
			if zero {
				s.tail = tailZeros
			} else {
				s.tail = tailDamaged
			}
			break
		}
		s.damaged++
		off = next
	}
	s.end = off
	return s, nil
}

// resync looks for the next header after off (a damaged or torn one) up to
// size; zero says whether every byte from off on is zero (when none is
// found).
func resync(r io.ReaderAt, off, size int64) (next int64, found, zero bool, err error) {
	const chunk = 1 << 20
	// Each read overlaps the next by a header, so that a header that
	// starts in one chunk is read whole.
	buf := make([]byte, chunk+recHeaderLen)
	zero = true
	for pos := off; pos < size; pos += chunk {
		b := buf[:min(int64(len(buf)), size-pos)]
		if _, err := r.ReadAt(b, pos); err != nil {
			return 0, false, false, fmt.Errorf("read pack at %d: %w", pos, err)
		}
		own := b[:min(len(b), chunk)] // the bytes this chunk starts headers in
		zero = zero && allZero(own)
		i := 0
		if pos == off {
			i = 1 // off itself is not a header
		}
		for i < len(own) {
			// Both magics start so: a record's, or a tombstone's.
			j := bytes.Index(b[i:], []byte(packMagic[:3]))
			if j < 0 || i+j >= len(own) {
				break
			}
			at := i + j
			if _, _, ok := parseAnyHeader(b[at:]); ok {
				return pos + int64(at), true, false, nil
			}
			i = at + 1
		}
	}
	return 0, false, zero, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// isMagicPrefix says whether b, shorter than a header, can be the start of
// one.
func isMagicPrefix(b []byte) bool {
	n := min(len(b), len(packMagic))
	return n > 0 && string(b[:n]) == packMagic[:n]
}

// errShortRecord: a record in the index is no longer whole in its file.
var errShortRecord = errors.New("record runs past the end of the pack")
