// Package mirror recognises copies of doxing pages: a page whose text is
// nearly the same as that of a page an analyst confirmed, on the same site
// or on another (a mirror), even when the watch knows nobody on it (a case
// without identifiers, a person the watch does not protect).
//
// A page's text is kept here only as a Print: a MinHash signature of the
// text's five-word shingles under a key, which tells how much two texts
// share to whoever holds both prints and says nothing of the text to
// anyone without the key. Prints are split into bands (locality-sensitive
// hashing) so that a store finds the prints that may be copies without
// comparing every pair.
package mirror

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"math"
	"unicode"
	"unicode/utf8"
)

const (
	// Size is how many minimum hashes a Print holds.
	Size = 64
	// Bands are the groups of rows a Print's bands are made of: two
	// prints share a band when all RowsPerBand of its minimums are equal.
	// With 16 bands of 4 rows, texts that share 80 % of their shingles
	// share a band with a probability of 99.9 %, texts that share 30 %
	// with one of 12 %.
	Bands       = 16
	RowsPerBand = Size / Bands
	// Threshold is the similarity (the share of equal minimums, which
	// estimates, within about ±0.05, the share of shingles the texts have
	// in common) from which a page is taken for a copy of a page of
	// another site.
	Threshold = 0.8
	// SameSiteThreshold is the similarity from which a page is taken for
	// a copy of another page of the same site: the site's frame
	// (navigation, sidebars, footer) is shared by all its pages and makes
	// two different posts in it look alike (a 40-word post in a 400-word
	// frame: 0.82), so only a page that differs in a few words of its post
	// counts.
	SameSiteThreshold = 0.95
	// MinWords: a text of fewer words gets no print; too short to tell a
	// copy from a page that only looks alike.
	MinWords = 30

	shingleWords = 5
	// maxWords bounds the work on a huge text: the first words are the
	// print's.
	maxWords = 200_000
)

// Errors of this package.
var (
	ErrShortKey = errors.New("mirror: the key is too short")
	ErrPrint    = errors.New("mirror: not a print (a print is 256 bytes)")
)

// Print is a text's keyed MinHash signature.
type Print [Size]uint32

// Printer makes prints under one key.
type Printer struct {
	key []byte
}

// NewPrinter returns a Printer whose key is derived from key, which must
// be kept outside the store that keeps the prints.
func NewPrinter(key []byte) (*Printer, error) {
	if len(key) < 16 {
		return nil, ErrShortKey
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("undox mirror prints v1"))
	return &Printer{key: m.Sum(nil)}, nil
}

// Print returns the print of text, or false when text has fewer than
// MinWords words.
func (p *Printer) Print(text string) (Print, bool) {
	var out Print
	words := p.words(text)
	if len(words) < MinWords {
		return out, false
	}
	for i := range out {
		out[i] = math.MaxUint32
	}
	for i := 0; i+shingleWords <= len(words); i++ {
		// A shingle's hash mixes its words' keyed hashes, in order.
		h := uint64(0x9e3779b97f4a7c15)
		for _, w := range words[i : i+shingleWords] {
			h = mix(h ^ w)
		}
		// The j-th minimum is over a multiply-shift hash of the shingle's
		// (already well mixed) hash.
		for j := range out {
			if v := uint32((h*perm[j].a + perm[j].b) >> 32); v < out[j] {
				out[j] = v
			}
		}
	}
	return out, true
}

// perm are the multipliers (odd) and addends of the Size hash functions.
var perm = func() (out [Size]struct{ a, b uint64 }) {
	for j := range out {
		out[j].a = mix(uint64(2*j+1)) | 1
		out[j].b = mix(uint64(2*j + 2))
	}
	return out
}()

// words returns the keyed hash of each word of text, in order: a word is
// a run of letters and digits, compared without case.
func (p *Printer) words(text string) []uint64 {
	var (
		out  []uint64
		seen = map[string]uint64{} // a page repeats its words: hash each once
		m    hash.Hash
		buf  []byte
		sum  []byte
	)
	for i := 0; i < len(text) && len(out) < maxWords; {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			i += n
			continue
		}
		buf = buf[:0]
		for i < len(text) {
			r, n = utf8.DecodeRuneInString(text[i:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
			i += n
		}
		h, ok := seen[string(buf)]
		if !ok {
			if m == nil {
				m = hmac.New(sha256.New, p.key)
			}
			m.Reset()
			m.Write(buf)
			sum = m.Sum(sum[:0])
			h = binary.LittleEndian.Uint64(sum)
			seen[string(buf)] = h
		}
		out = append(out, h)
	}
	return out
}

// mix is splitmix64's finaliser: a bijection that spreads every input bit
// over the output.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// Similarity estimates the share of shingles two texts have in common:
// the share of their prints' minimums that are equal.
func Similarity(a, b Print) float64 {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return float64(n) / Size
}

// Bands returns the print's band keys: two prints that share one may be
// copies (and are compared); band i's key is different from band j's for
// the same rows.
func (p Print) Bands() [Bands]int64 {
	var out [Bands]int64
	for b := range out {
		h := mix(uint64(b) + 1)
		for _, v := range p[b*RowsPerBand : (b+1)*RowsPerBand] {
			h = mix(h ^ uint64(v))
		}
		out[b] = int64(h)
	}
	return out
}

// MarshalBinary returns the print as 4·Size bytes, as stores keep it.
func (p Print) MarshalBinary() ([]byte, error) {
	out := make([]byte, 0, 4*Size)
	for _, v := range p {
		out = binary.BigEndian.AppendUint32(out, v)
	}
	return out, nil
}

// UnmarshalBinary reads what MarshalBinary wrote.
func (p *Print) UnmarshalBinary(b []byte) error {
	if len(b) != 4*Size {
		return ErrPrint
	}
	for i := range p {
		p[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return nil
}
