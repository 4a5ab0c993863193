package watch

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/bits"
)

// Keyed hashing.
//
// Every token is hashed with SipHash-2-4 under a 128-bit key derived from
// the index key; a sequence of tokens t1 … tn hashes to
//
//	h1 = SipHash(t1),  hk = mix(h(k-1), SipHash(tk))
//
// where mix is a 64×64→128-bit multiply folded to 64 bits. Without the
// key, SipHash's outputs are indistinguishable from random (it is a PRF,
// designed for short inputs), so neither a stored hash nor a filter bit
// tells anything about the token it came from, and trying every phone
// number does not help: each guess needs the key. mix adds no secrecy and
// needs none; it only chains keyed values.
//
// Why not HMAC-SHA256: the matcher hashes every token of every page it
// scans, tens of millions per second of crawling. SipHash-2-4 costs about
// 10–15 ns for a word, HMAC-SHA256 about 20 times more. 64 bits are
// enough: two of a few million stored hashes collide with probability
// about 2^-25, a text's window hits a stored hash by chance with
// probability n/2^64, and every hit is a candidate that the caller confirms
// against the encrypted identifier anyway.

// MinKeyLen is the shortest index key accepted. Use 32 random bytes.
const MinKeyLen = 16

// ErrKey reports a key too short to be used.
var ErrKey = errors.New("watch: index key must be at least 16 bytes")

type hasher struct {
	k0, k1 uint64
}

// keys derives the SipHash key and the key check from the index key.
func keys(key []byte) (hasher, [16]byte, error) {
	var check [16]byte
	if len(key) < MinKeyLen {
		return hasher{}, check, ErrKey
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("undox watch v1 token hash"))
	d := m.Sum(nil)
	h := hasher{k0: binary.LittleEndian.Uint64(d[0:8]), k1: binary.LittleEndian.Uint64(d[8:16])}
	m.Reset()
	m.Write([]byte("undox watch v1 key check"))
	copy(check[:], m.Sum(nil))
	return h, check, nil
}

// sum is SipHash-2-4 of p.
func (h *hasher) sum(p []byte) uint64 {
	k0, k1 := h.k0, h.k1
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	n := len(p)
	for len(p) >= 8 {
		m := binary.LittleEndian.Uint64(p)
		v3 ^= m
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m
		p = p[8:]
	}
	m := uint64(n) << 56
	switch len(p) {
	case 7:
		m |= uint64(p[6]) << 48
		fallthrough
	case 6:
		m |= uint64(p[5]) << 40
		fallthrough
	case 5:
		m |= uint64(p[4]) << 32
		fallthrough
	case 4:
		m |= uint64(p[3]) << 24
		fallthrough
	case 3:
		m |= uint64(p[2]) << 16
		fallthrough
	case 2:
		m |= uint64(p[1]) << 8
		fallthrough
	case 1:
		m |= uint64(p[0])
	}
	v3 ^= m
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= m
	v2 ^= 0xff
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	return v0 ^ v1 ^ v2 ^ v3
}

// sumShort is SipHash-2-4 of the n ≤ 8 bytes packed little-endian in p.
func (h *hasher) sumShort(p uint64, n int32) uint64 {
	k0, k1 := h.k0, h.k1
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	if n == 8 {
		v3 ^= p
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= p
		p = 0
	}
	m := p | uint64(n)<<56
	v3 ^= m
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= m
	v2 ^= 0xff
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	return v0 ^ v1 ^ v2 ^ v3
}

// hashCache remembers the hashes of recent short tokens (up to 8 bytes,
// the key being the token itself): common words are hashed once. It lives
// in a matcher's scratch memory, never in the index.
type hashCache struct {
	k0, k1 uint64 // the hasher the entries were made with
	e      [1 << cacheBits]struct{ k, h uint64 }
}

const cacheBits = 12

// sum hashes buf[nb:ne], n = ne-nb ≤ 8; buf has 8 readable bytes from nb.
func (c *hashCache) sum(h *hasher, buf []byte, nb, ne int32) uint64 {
	n := ne - nb
	p := binary.LittleEndian.Uint64(buf[nb : nb+8])
	if n < 8 {
		p &= 1<<(8*uint(n)) - 1
	}
	e := &c.e[(p*0x9e3779b97f4a7c15)>>(64-cacheBits)]
	if e.k == p {
		return e.h
	}
	v := h.sumShort(p, n)
	e.k, e.h = p, v
	return v
}

// use empties the cache if it was filled under another key.
func (c *hashCache) use(h *hasher) {
	if c.k0 != h.k0 || c.k1 != h.k1 {
		*c = hashCache{k0: h.k0, k1: h.k1}
	}
}

func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}

// mix chains the hash of a token sequence with the next token's hash.
func mix(h, t uint64) uint64 {
	hi, lo := bits.Mul64(h^0xa0761d6478bd642f, t^0xe7037ed1a0b428db)
	return hi ^ lo
}
