package watch

import (
	"cmp"
	"slices"
)

// Match is a protected person's identifier found in a text: which person,
// which kind of identifier, and where, as byte offsets [Start, End) into the
// original text.
//
// A match is a candidate: its span hashes to the same keyed hash as one of
// the person's identifiers. The caller confirms it against the person's
// encrypted identifiers (Verify, Equivalent) before anyone sees it.
type Match struct {
	Person string
	Kind   string
	Start  int
	End    int
}

// Match returns every protected person's identifier in text, in the order
// of their start, then end. Besides the identifiers as written, it finds
// them folded and obfuscated as Normalize describes: in another case, with
// accents or look-alike letters, in leetspeak, letter-spaced, e-mail
// addresses with "at" and "dot", phone numbers with any separators and
// prefixes (06…, +31 6…, +31 (0)6…, 0031 6…), numbers with separators.
//
// How: the text's tokens (tokenize.go) are hashed under the index key; a
// token that starts no identifier costs one read of the filter. Where the
// filter says a sequence may go on, the next token is chained in and the
// filter read again; where it says a sequence may end, the entries are
// looked up. Runs of number tokens are also tried joined, and as phone
// numbers in E.164.
func (ix *Index) Match(text string) []Match {
	st := ix.st.Load()
	sc := scratchPool.Get().(*scratch)
	ms := st.match(sc, text)
	var out []Match
	if len(ms) > 0 {
		out = slices.Clone(ms)
	}
	scratchPool.Put(sc)
	return out
}

// MatchVerified returns the matches that confirm accepts. confirm gets the
// person, the kind and the matched text; it is meant to decrypt the
// person's identifiers of that kind and compare them with Equivalent.
func (ix *Index) MatchVerified(text string, confirm func(person, kind, span string) bool) []Match {
	return Verify(text, ix.Match(text), confirm)
}

// Verify keeps the matches of text that confirm accepts (see MatchVerified).
func Verify(text string, ms []Match, confirm func(person, kind, span string) bool) []Match {
	out := ms[:0:0]
	for _, m := range ms {
		if m.Start < 0 || m.End > len(text) || m.Start > m.End {
			continue
		}
		if confirm(m.Person, m.Kind, text[m.Start:m.End]) {
			out = append(out, m)
		}
	}
	return out
}

// Equivalent tells whether span, a matched text, is a spelling of
// identifier, an identifier of the given kind: whether both normalize to
// the same form or one of the identifier's variants (see Builder.Add).
func Equivalent(kind, identifier, span string) bool {
	b, err := NewBuilder(equivKey[:])
	if err != nil {
		return false
	}
	if err := b.Add(Identifier{Person: "p", Kind: kind, Value: identifier}); err != nil {
		return false
	}
	ms := b.Index().Match(span)
	for _, m := range ms {
		if m.Start == 0 && m.End == len(span) || trimmed(span, m) {
			return true
		}
	}
	return false
}

// equivKey is the key of Equivalent's one-identifier indexes, which live
// only for the call.
var equivKey = [32]byte{'u', 'n', 'd', 'o', 'x', ' ', 'w', 'a', 't', 'c', 'h', ' ', 'e', 'q', 'u', 'i', 'v'}

// trimmed tells whether m covers span but for separators at its ends.
func trimmed(span string, m Match) bool {
	for _, r := range span[:m.Start] + span[m.End:] {
		if r < 0x80 && asciiClass[r] != cSep && asciiClass[r] != cAt || r >= 0x80 && foldChar(r).class == rWord {
			return false
		}
	}
	return true
}

// match finds the matches of text in sc.ms.
func (st *state) match(sc *scratch, text string) []Match {
	if len(text) > MaxText {
		text = text[:MaxText]
	}
	sc.ms = sc.ms[:0]
	sc.cache.use(&st.h)
	sc.lx.cache = &sc.cache
	toks := sc.lx.tokenize(text, &st.h)
	bloom := st.bloom
	bshift := 64 - st.bloomBits
	bmask := uint64(len(bloom)) - 1
	for i := range toks {
		x := toks[i].h
		w := bloom[x>>bshift&bmask]
		f, p := bloomMasks(x)
		if w&f != f && w&p != p {
			continue
		}
		st.extend(sc, toks, i)
	}
	st.digitRuns(sc, text, toks)
	sc.ms = dropContained(sc.ms)
	return sc.ms
}

// dropContained sorts the matches by start, then end, and drops those
// inside a match of the same person and kind: "+31 (0)6 1234 5678" is one
// phone number, not also "(0)6 1234 5678".
func dropContained(ms []Match) []Match {
	if len(ms) < 2 {
		return ms
	}
	slices.SortFunc(ms, func(a, b Match) int {
		if c := cmp.Compare(a.Person, b.Person); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
	out := ms[:1]
	maxEnd := ms[0].End
	for _, m := range ms[1:] {
		last := out[len(out)-1]
		if m.Person == last.Person && m.Kind == last.Kind && m.End <= maxEnd {
			continue
		}
		if m.Person != last.Person || m.Kind != last.Kind || m.End > maxEnd {
			maxEnd = m.End
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		if a.End != b.End {
			return a.End - b.End
		}
		if c := cmp.Compare(a.Person, b.Person); c != 0 {
			return c
		}
		return cmp.Compare(a.Kind, b.Kind)
	})
	return out
}

// extend follows the sequences that start at token i.
func (st *state) extend(sc *scratch, toks []token, i int) {
	x := toks[i].h
	for k := 1; ; k++ {
		w := st.word(x)
		f, p := bloomMasks(x)
		if w&f == f {
			st.lookup(sc, x, k, int(toks[i].start), int(toks[i+k-1].end))
		}
		if w&p != p || i+k >= len(toks) || k >= st.maxTok {
			return
		}
		x = mix(x, toks[i+k].h)
	}
}

// lookup adds the entries of hash x with k tokens as matches of [start, end).
func (st *state) lookup(sc *scratch, x uint64, k, start, end int) {
	b := x >> (64 - st.dirBits)
	for j := st.dir[b]; j < st.dir[b+1]; j++ {
		h := st.hs[j]
		if h > x {
			return
		}
		if h == x && int(st.kn[j]&0xff) == k {
			sc.ms = append(sc.ms, Match{Person: st.persons[st.ps[j]], Kind: Kinds[st.kn[j]>>8], Start: start, End: end})
		}
	}
}

// Runs of number tokens: "06 12 34 56 78", "+31 (0)6-1234 5678",
// "123.456.789". Each sub-run of up to maxRunDigits digits is tried as one
// number (the digits joined) and, when it starts like a phone number, as
// its E.164 form.
const (
	maxRunTokens = 8
	maxRunDigits = 20
)

// numberGap tells whether s[a:b], between two number tokens, is a
// separator inside a written number: at most four bytes of spaces,
// hyphens, dots, slashes and parentheses.
func numberGap(s string, a, b int32) bool {
	if b-a > 4 {
		return false
	}
	for i := a; i < b; i++ {
		switch s[i] {
		case ' ', '-', '.', '/', '(', ')', '\t':
		case 0xc2: // U+00A0 no-break space
			if i+1 >= b || s[i+1] != 0xa0 {
				return false
			}
			i++
		default:
			return false
		}
	}
	return true
}

func (st *state) digitRuns(sc *scratch, text string, toks []token) {
	for i := 0; i < len(toks); i++ {
		if !toks[i].digits {
			continue
		}
		j := i + 1
		for j < len(toks) && toks[j].digits && numberGap(text, toks[j-1].end, toks[j].start) {
			j++
		}
		for a := i; a < j; a++ {
			st.numbers(sc, text, toks[a:min(j, a+maxRunTokens)])
		}
		i = j - 1
	}
}

// numbers tries the runs that start at run[0].
func (st *state) numbers(sc *scratch, text string, run []token) {
	lx := &sc.lx
	start := int(run[0].start)
	plus := start > 0 && text[start-1] == '+'
	d := sc.digits[:0]
	var phone []byte
	for b := range run {
		t := run[b]
		raw := lx.text(t)
		if len(d)+len(raw) > maxRunDigits {
			break
		}
		// "+31 (0)6": a trunk zero in parentheses after the country code
		trunk := b > 0 && plus && len(raw) == 1 && raw[0] == '0' && t.start > 0 && text[t.start-1] == '(' && int(t.end) < len(text) && text[t.end] == ')'
		if !trunk {
			d = append(d, raw...)
		}
		if b > 0 {
			st.single(sc, d, start, int(t.end))
		}
		// the phone number, if the run is written as one
		if e, ok := e164(d, plus); ok {
			phone = append(phone[:0], e...)
			s := start
			if plus {
				s--
			}
			st.single(sc, phone, s, int(t.end))
		}
	}
	sc.digits = d
}

// single looks up the one-token sequence of the digits d.
func (st *state) single(sc *scratch, d []byte, start, end int) {
	x := st.h.sum(d)
	f, _ := bloomMasks(x)
	if st.word(x)&f == f {
		st.lookup(sc, x, 1, start, end)
	}
}
