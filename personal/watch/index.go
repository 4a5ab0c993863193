package watch

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
)

// Identifier is a protected person's identifier, in plain text, as the
// caller decrypts it to build the index. Person is an opaque reference (a
// case and person id, never an identifier).
type Identifier struct {
	Person string
	Kind   string
	Value  string
}

// MaxTokens is the most tokens an identifier may have.
const MaxTokens = 16

// Index is the watch index: keyed hashes of the protected persons'
// identifiers, and a filter that lets the matcher pass over most of a text
// without looking anything up. It holds no identifier in plain text or in a
// form that can be checked without the key, which it holds only in memory.
//
// An Index is safe for concurrent use; Rebuild replaces its contents
// atomically.
type Index struct {
	st atomic.Pointer[state]
}

// state is an index's immutable contents.
type state struct {
	h     hasher
	check [16]byte // identifies the key: HMAC(key, label), see keys

	// Entries, sorted by hash: hash, person, kind<<8 | tokens.
	hs []uint64
	ps []uint32
	kn []uint16
	// dir[b] is the first entry whose hash has b as its top dirBits bits.
	dir     []uint32
	dirBits uint

	// Blocked Bloom filter (see bloomMasks) of sequence hashes: the full
	// hash of every entry, and the hash of every proper prefix (the first
	// k tokens) of a multi-token entry.
	bloom     []uint64
	bloomBits uint

	maxTok  int
	persons []string
}

type entry struct {
	h  uint64
	p  uint32
	kn uint16
}

// bloomMasks returns the bits of x's filter word that say "an entry ends
// here" (full) and "an entry goes on after here" (prefix). Both are in
// the same 64-bit word, chosen by x's top bits, so that one memory read
// answers both; the word's bits come from x's low bits.
func bloomMasks(x uint64) (full, prefix uint64) {
	full = 1<<(x&63) | 1<<(x>>6&63) | 1<<(x>>12&63)
	prefix = 1<<(x>>18&63) | 1<<(x>>24&63) | 1<<(x>>30&63)
	return
}

func (st *state) word(x uint64) uint64 {
	return st.bloom[x>>(64-st.bloomBits)&(uint64(len(st.bloom))-1)]
}

// Builder builds an index from identifiers added one at a time.
type Builder struct {
	h        hasher
	check    [16]byte
	ents     []entry
	prefixes []uint64
	persons  []string
	pindex   map[string]uint32
	maxTok   int
	lx, lx2  lexer
	seq      []uint64
	join     []byte
}

// NewBuilder starts an index under key (at least MinKeyLen bytes; keep it
// out of the database and the index file).
func NewBuilder(key []byte) (*Builder, error) {
	h, check, err := keys(key)
	if err != nil {
		return nil, err
	}
	return &Builder{h: h, check: check, pindex: map[string]uint32{}}, nil
}

// Grow makes room for about n more identifiers.
func (b *Builder) Grow(n int) {
	if n <= 0 {
		return
	}
	if cap(b.ents)-len(b.ents) < 2*n {
		e := make([]entry, len(b.ents), len(b.ents)+2*n)
		copy(e, b.ents)
		b.ents = e
	}
	if cap(b.prefixes)-len(b.prefixes) < 2*n {
		p := make([]uint64, len(b.prefixes), len(b.prefixes)+2*n)
		copy(p, b.prefixes)
		b.prefixes = p
	}
}

// ErrEmpty reports an identifier with nothing to match once normalized.
var ErrEmpty = errors.New("watch: identifier has nothing to match")

// Add adds one identifier, with the variants it is matched in:
//   - name, address, school, handle: also its tokens written together
//     ("jandevries" for "jan de vries"), the form of letter-spaced
//     writing, handles and e-mail addresses;
//   - phone: its E.164 number;
//   - id_number: its digits, whatever their separators;
//   - birth_date: day-month-year with and without leading zeros,
//     year-month-day, and with the month in words (Dutch, English).
//
// Name variants and nicknames are separate identifiers.
func (b *Builder) Add(id Identifier) error {
	kc, ok := kindCode(id.Kind)
	if !ok {
		return fmt.Errorf("watch: unknown identifier kind %q", id.Kind)
	}
	p, ok := b.pindex[id.Person]
	if !ok {
		p = uint32(len(b.persons))
		b.persons = append(b.persons, id.Person)
		b.pindex[id.Person] = p
	}
	switch id.Kind {
	case KindPhone:
		e, ok := phoneE164(id.Value)
		if !ok {
			return fmt.Errorf("watch: not a phone number: %w", ErrEmpty)
		}
		return b.addSeq(p, kc, []uint64{b.h.sum([]byte(e))})
	case KindIDNumber:
		if d, ok := onlyDigits(id.Value); ok {
			return b.addSeq(p, kc, []uint64{b.h.sum([]byte(d))})
		}
		return b.addText(p, kc, id.Value, true)
	case KindBirthDate:
		if y, m, d, ok := parseDate(id.Value); ok {
			for _, v := range dateVariants(y, m, d) {
				if err := b.addText(p, kc, v, false); err != nil {
					return err
				}
			}
			return nil
		}
		return b.addText(p, kc, id.Value, false)
	case KindName, KindAddress, KindSchool, KindHandle:
		return b.addText(p, kc, id.Value, true)
	default:
		return b.addText(p, kc, id.Value, false)
	}
}

// addText adds the tokens of s and, with joined, the tokens of their
// concatenation when those differ.
func (b *Builder) addText(p uint32, kc uint8, s string, joined bool) error {
	toks := b.lx.tokenize(s, &b.h)
	b.seq = b.seq[:0]
	for _, t := range toks {
		b.seq = append(b.seq, t.h)
	}
	if err := b.addSeq(p, kc, b.seq); err != nil {
		return err
	}
	if !joined || len(toks) < 2 {
		return nil
	}
	b.join = b.join[:0]
	for _, t := range toks {
		b.join = append(b.join, b.lx.text(t)...)
	}
	jt := b.lx2.tokenize(string(b.join), &b.h)
	same := len(jt) == len(toks)
	for i := 0; same && i < len(jt); i++ {
		same = bytes.Equal(b.lx2.text(jt[i]), b.lx.text(toks[i]))
	}
	if same {
		return nil
	}
	b.seq = b.seq[:0]
	for _, t := range jt {
		b.seq = append(b.seq, t.h)
	}
	return b.addSeq(p, kc, b.seq)
}

// addSeq adds the entry of one token sequence, given its tokens' hashes.
func (b *Builder) addSeq(p uint32, kc uint8, ts []uint64) error {
	if len(ts) == 0 {
		return ErrEmpty
	}
	if len(ts) > MaxTokens {
		return fmt.Errorf("watch: identifier has %d tokens, at most %d are matched", len(ts), MaxTokens)
	}
	x := ts[0]
	for _, t := range ts[1:] {
		b.prefixes = append(b.prefixes, x)
		x = mix(x, t)
	}
	b.ents = append(b.ents, entry{h: x, p: p, kn: uint16(kc)<<8 | uint16(len(ts))})
	if len(ts) > b.maxTok {
		b.maxTok = len(ts)
	}
	return nil
}

// Index finishes the index. The builder must not be used afterwards.
func (b *Builder) Index() *Index {
	ix := &Index{}
	ix.st.Store(b.state())
	return ix
}

func (b *Builder) state() *state {
	st := &state{h: b.h, check: b.check, maxTok: b.maxTok, persons: b.persons}
	st.setEntries(b.ents)
	b.ents = nil
	st.bloomBits = bloomSize(len(st.hs) + len(b.prefixes))
	st.bloom = make([]uint64, 1<<st.bloomBits)
	for _, x := range st.hs {
		f, _ := bloomMasks(x)
		st.bloom[x>>(64-st.bloomBits)&(uint64(len(st.bloom))-1)] |= f
	}
	for _, x := range b.prefixes {
		_, pm := bloomMasks(x)
		st.bloom[x>>(64-st.bloomBits)&(uint64(len(st.bloom))-1)] |= pm
	}
	b.prefixes = nil
	return st
}

// bloomSize is log2 of the filter's words for n insertions: 8 to 16 bits
// per insertion (prefixes shared by many entries count once per entry).
func bloomSize(n int) uint {
	w := (n*8 + 63) / 64
	if w < 1024 {
		w = 1024
	}
	return uint(bits.Len(uint(w - 1)))
}

// setEntries sorts the entries by hash (a counting sort on the top bits,
// then insertion sort inside each bucket), drops duplicates and builds the
// directory.
func (st *state) setEntries(ents []entry) {
	n := len(ents)
	db := uint(bits.Len(uint(n)))
	if db < 1 {
		db = 1
	}
	if db > 30 {
		db = 30
	}
	st.dirBits = db
	shift := 64 - db
	dir := make([]uint32, (1<<db)+1)
	for _, e := range ents {
		dir[e.h>>shift+1]++
	}
	for i := 1; i < len(dir); i++ {
		dir[i] += dir[i-1]
	}
	sorted := make([]entry, n)
	pos := make([]uint32, 1<<db)
	copy(pos, dir[:1<<db])
	for _, e := range ents {
		b := e.h >> shift
		sorted[pos[b]] = e
		pos[b]++
	}
	pos = nil
	less := func(a, b entry) bool {
		if a.h != b.h {
			return a.h < b.h
		}
		if a.p != b.p {
			return a.p < b.p
		}
		return a.kn < b.kn
	}
	for b := 0; b < 1<<db; b++ {
		lo, hi := int(dir[b]), int(dir[b+1])
		for i := lo + 1; i < hi; i++ {
			for j := i; j > lo && less(sorted[j], sorted[j-1]); j-- {
				sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
			}
		}
	}
	// Drop duplicates and split into columns.
	st.hs = make([]uint64, 0, n)
	st.ps = make([]uint32, 0, n)
	st.kn = make([]uint16, 0, n)
	for i, e := range sorted {
		if i > 0 && e == sorted[i-1] {
			continue
		}
		st.hs = append(st.hs, e.h)
		st.ps = append(st.ps, e.p)
		st.kn = append(st.kn, e.kn)
	}
	st.buildDir()
}

// buildDir builds the directory of the sorted hashes.
func (st *state) buildDir() {
	shift := 64 - st.dirBits
	dir := make([]uint32, (1<<st.dirBits)+1)
	for _, h := range st.hs {
		dir[h>>shift+1]++
	}
	for i := 1; i < len(dir); i++ {
		dir[i] += dir[i-1]
	}
	st.dir = dir
}

// Build builds an index of ids under key.
func Build(key []byte, ids []Identifier) (*Index, error) {
	b, err := NewBuilder(key)
	if err != nil {
		return nil, err
	}
	b.Grow(len(ids))
	for i, id := range ids {
		if err := b.Add(id); err != nil {
			return nil, fmt.Errorf("identifier %d (%s of %s): %w", i, id.Kind, id.Person, err)
		}
	}
	return b.Index(), nil
}

// Rebuild replaces the index's contents with ids hashed under newKey: key
// rotation re-reads the (encrypted) identifiers and rebuilds. Matches in
// progress finish on the old contents.
func (ix *Index) Rebuild(newKey []byte, ids []Identifier) error {
	n, err := Build(newKey, ids)
	if err != nil {
		return err
	}
	ix.st.Store(n.st.Load())
	return nil
}

// Len is the number of entries (identifiers and their variants).
func (ix *Index) Len() int { return len(ix.st.Load().hs) }

// Persons is the number of persons.
func (ix *Index) Persons() int { return len(ix.st.Load().persons) }

// HasKey tells whether key is the index's key.
func (ix *Index) HasKey(key []byte) bool {
	_, check, err := keys(key)
	if err != nil {
		return false
	}
	st := ix.st.Load()
	return subtle.ConstantTimeCompare(check[:], st.check[:]) == 1
}

// scratch is a matcher's reusable memory.
type scratch struct {
	lx     lexer
	cache  hashCache
	digits []byte
	ms     []Match
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}
