package extract

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// spanSet finds what a map[string]int finds, through its growth.
func TestSpanSetMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var s spanSet
	for _, hint := range []int{0, 3, 100} {
		s.reset(hint)
		var buf []byte
		want := map[string]int{}
		for range 5000 {
			key := fmt.Sprintf("/p/%d", rng.IntN(3000))
			if rng.IntN(50) == 0 {
				key = ""
			}
			slot, h := s.find(buf, []byte(key))
			got := s.slots[slot].val - 1
			if v, ok := want[key]; ok != (got >= 0) || ok && v != got {
				t.Fatalf("hint %d, %q: got %d, want %d (%v)", hint, key, got, v, ok)
			}
			if got < 0 {
				start := len(buf)
				buf = append(buf, key...)
				s.add(slot, h, start, len(buf), len(want))
				want[key] = len(want)
			}
		}
	}
}

// relTypes finds the link types as strings' functions do.
func TestRelTypesMatchesStrings(t *testing.T) {
	parts := []string{"canonical", "CANONICAL", "Canonical", "image_src", "IMAGE_SRC", "icon", "canonicalx", "image_sr",
		" ", "  ", "\t", "\n", "\v", "\f", "\r", "\u00a0", "\u0085", "\u2003", "\u212aanonical", "\u0130mage_src", "\xff", "\x00"}
	rng := rand.New(rand.NewPCG(23, 24))
	for range 20000 {
		rel := randomJoin(rng, parts, rng.IntN(6))
		s := " " + strings.ToLower(strings.Join(strings.Fields(rel), " ")) + " "
		wantCanon, wantImage := strings.Contains(s, " canonical "), strings.Contains(s, " image_src ")
		if c, i := relTypes([]byte(rel)); c != wantCanon || i != wantImage {
			t.Fatalf("%q: got %v %v, want %v %v", rel, c, i, wantCanon, wantImage)
		}
	}
}

// hasPrefixFold is strings.EqualFold on the prefix's length.
func TestHasPrefixFoldMatchesEqualFold(t *testing.T) {
	parts := []string{"h", "H", "t", "T", "p", "P", "s", "S", ":", "/", "\u017f", "\u212a", "\x0f", "\x1a", "é", "x"}
	rng := rand.New(rand.NewPCG(25, 26))
	for range 50000 {
		s := randomJoin(rng, parts, rng.IntN(10))
		for _, prefix := range []string{"http://", "https://"} {
			want := len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
			if got := hasPrefixFold(s, prefix); got != want {
				t.Fatalf("%q, %q: got %v, want %v", s, prefix, got, want)
			}
		}
	}
	for _, s := range []string{"httpſ://x", "HTTPS://x", "hTtP://x"} {
		for _, prefix := range []string{"http://", "https://"} {
			want := len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
			if got := hasPrefixFold(s, prefix); got != want {
				t.Fatalf("%q, %q: got %v, want %v", s, prefix, got, want)
			}
		}
	}
}

// printableRun's runs are the reference's, a character at a time, at every
// offset of texts that mix what ends a run with what does not.
func TestPrintableRunMatchesReference(t *testing.T) {
	parts := []string{"abcdefgh", "word", " ", "  ", "\t", "\n", "é", "Zürich", "·", "\u00a0", "\u00ad", "\u0085", "\u00a1",
		"“", "”", "–", "\u200b", "\u2028", "\u202f", "東京", "\xc3", "\xc2", "\xc0\xaf", "\xe2\x80", "\xed\xa0\x80", "\xf0\x9f\x98\x80",
		"\x00", "\x7f", "!", " !", "ab\xc3", "\xdf\xbf", "\xc3\xc3\xa9"}
	rng := rand.New(rand.NewPCG(27, 28))
	for range 20000 {
		var b []byte
		for range rng.IntN(12) {
			b = append(b, parts[rng.IntN(len(parts))]...)
		}
		for i := range b {
			for _, pre := range []bool{false, true} {
				if got, want := printableRun(b[i:], pre), refPrintableRun(b[i:], pre); got != want {
					t.Fatalf("%q (pre %v): got %d, want %d", b[i:], pre, got, want)
				}
			}
		}
	}
}

// randomJoin joins n parts picked at random.
func randomJoin(rng *rand.Rand, parts []string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(parts[rng.IntN(len(parts))])
	}
	return b.String()
}
