package watch

import (
	"unicode/utf8"
)

// Tokenization, in two steps over a text:
//
//  1. lex: words are maximal runs of word characters (letters, digits, and
//     @ $ ! | where they stand for a letter), folded one character at a time
//     (fold.go) into lx.buf, with lx.off holding for every normalized byte
//     the offset in the original text of the character it came from.
//     Invisible characters (zero-width spaces, soft hyphens, combining
//     marks) are skipped without ending the word. Separators are not
//     written, so consecutive words are consecutive ranges of lx.buf.
//  2. tokens: runs of one-character words with a single space (or . - _ *
//     / ·) between them are letter-spaced words and joined ("j a n" is
//     "jan"). A word with letters and digits is split where it starts or
//     ends with two or more digits ("1234AB" is "1234" "ab", "jansen99" is
//     "jansen" "99"), and the digits left inside letters are leetspeak and
//     become letters ("j4ns3n" is "jansen"). Digits alone stay digits. The
//     words "at" and "dot" are dropped ("jan [at] voorbeeld [dot] nl" is
//     "jan" "voorbeeld" "nl", as is "jan@voorbeeld.nl").
//
// Identifiers go through the same steps, so that an identifier and its
// occurrence in a text give the same tokens however either is written.

// word flags
const (
	fLetter = 1 << iota // has a letter (the class code cLetter too)
	fDigit              // has a digit (the class code cDigit too)
	fMapped             // normalized bytes are not the original bytes one to one: lx.off holds their offsets
)

type word struct {
	start, end int32 // original byte span
	nb, ne     int32 // normalized bytes: lx.buf[nb:ne]
	flags      uint8
}

type token struct {
	start, end int32 // original byte span
	nb, ne     int32 // normalized bytes: lx.buf[nb:ne]
	w          int32 // the word of lx.buf[nb]
	digits     bool  // digits only
	h          uint64
}

type lexer struct {
	buf   []byte  // normalized bytes of the words, back to back, with 8 bytes of slack
	off   []int32 // for the bytes of mapped words: the offset of the character each came from
	words []word
	toks  []token
	cache *hashCache
}

// MaxText is the longest text Match and NormalizeText take in one call
// (offsets are kept in 32 bits); longer texts are cut.
const MaxText = 1<<31 - 64

// room makes sure buf can take n more bytes and 8 of slack.
func (lx *lexer) room(n int) {
	if cap(lx.buf)-len(lx.buf) < n+8 {
		b := make([]byte, len(lx.buf), 2*cap(lx.buf)+n+64)
		copy(b, lx.buf)
		lx.buf = b
	}
}

func (lx *lexer) reset(n int) {
	lx.buf = lx.buf[:0]
	lx.room(n)
	lx.words = lx.words[:0]
	lx.toks = lx.toks[:0]
}

// asciiTab is asciiFold | asciiClass<<8, read once per byte.
var asciiTab [256]uint16

func init() {
	for c := range asciiTab {
		asciiTab[c] = uint16(asciiFold[c]) | uint16(asciiClass[c])<<8
	}
}

// lex splits s into folded words.
func (lx *lexer) lex(s string) {
	if len(s) > MaxText {
		s = s[:MaxText]
	}
	n := len(s)
	lx.reset(n)
	buf := lx.buf[:cap(lx.buf)]
	words := lx.words
	j := 0
	i := 0
	for i < n {
		e := asciiTab[s[i]]
		cl := uint8(e >> 8)
		if cl == cSep {
			i++
			continue
		}
		ws, nb := i, j
		var flags uint8
		if cl == cLetter || cl == cDigit {
			// The common case: a run of ASCII letters and digits.
			for {
				buf[j] = byte(e)
				j++
				flags |= cl
				i++
				if i >= n {
					break
				}
				e = asciiTab[s[i]]
				cl = uint8(e >> 8)
				if cl != cLetter && cl != cDigit {
					break
				}
			}
			if i >= n || cl == cSep {
				words = append(words, word{start: int32(ws), end: int32(i), nb: int32(nb), ne: int32(j), flags: flags})
				i++
				continue
			}
		}
		// A word with other characters, or a character that may start
		// one: character by character.
		lx.buf = buf[:j]
		w := word{start: int32(ws), nb: int32(nb), flags: flags}
		var ok bool
		i, ok = lx.slow(s, i, &w)
		if ok {
			words = append(words, w)
		}
		lx.room(n - i)
		buf, j = lx.buf[:cap(lx.buf)], len(lx.buf)
	}
	lx.buf = buf[:j]
	lx.words = words
}

// slow goes on with word w (empty when it has not started) at s[i], one
// character at a time, until the word ends. It returns where it stopped and
// whether w is a word.
func (lx *lexer) slow(s string, i int, w *word) (int, bool) {
	n := len(s)
	in := int(w.nb) < len(lx.buf)
	last := uint8(0)
	if in {
		if isDigit(lx.buf[len(lx.buf)-1]) {
			last = fDigit
		} else {
			last = fLetter
		}
	}
	start := func() {
		if !in {
			in = true
			w.start = int32(i)
			w.nb = int32(len(lx.buf))
		}
	}
	appendByte := func(b byte, cl uint8) {
		lx.buf = append(lx.buf, b)
		if w.flags&fMapped != 0 {
			lx.setOff(len(lx.buf)-1, int32(i))
		}
		w.flags |= cl
		last = cl
	}
	for i < n {
		c := s[i]
		if c < 0x80 {
			e := asciiTab[c]
			cl := uint8(e >> 8)
			switch cl {
			case cLetter, cDigit:
				start()
				appendByte(byte(e), cl)
				i++
				continue
			case cSep:
				return i + 1, w.finish(i, lx, in)
			}
			// @ $ ! |: a letter inside a word, else a separator.
			// The next character that is not one of them ("e1@@n").
			nextLetter, nextWord := false, false
			for k := i + 1; k < n; k++ {
				nc := asciiClass[s[k]]
				if nc >= cAt && nc <= cPipe {
					continue
				}
				nextLetter = nc == cLetter || nc == cHigh
				nextWord = nextLetter || nc == cDigit
				break
			}
			letter := false
			switch cl {
			case cAt:
				letter = in && nextWord && !emailDomain(s, i+1)
			case cDollar:
				letter = in && w.flags&fLetter != 0 || nextLetter
			case cBang:
				letter = in && nextWord
			case cPipe:
				letter = nextLetter && (!in || last == fLetter)
			}
			if !letter {
				return i + 1, w.finish(i, lx, in)
			}
			start()
			appendByte(byte(e), cLetter)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		f := foldChar(r)
		switch f.class {
		case rWord:
			start()
			lx.mapWord(w)
			lx.room(len(f.s))
			for k := 0; k < len(f.s); k++ {
				b := f.s[k]
				if isDigit(b) {
					appendByte(b, cDigit)
				} else {
					appendByte(b, cLetter)
				}
			}
		case rDrop:
			if in {
				lx.mapWord(w)
			}
		default:
			return i + size, w.finish(i, lx, in)
		}
		i += size
	}
	return n, w.finish(n, lx, in)
}

// finish ends w at i, if it was started.
func (w *word) finish(i int, lx *lexer, in bool) bool {
	if !in {
		return false
	}
	w.end, w.ne = int32(i), int32(len(lx.buf))
	return true
}

// mapWord marks w as mapped, recording the offsets of its bytes so far.
func (lx *lexer) mapWord(w *word) {
	if w.flags&fMapped != 0 {
		return
	}
	w.flags |= fMapped
	for k := int(w.nb); k < len(lx.buf); k++ {
		lx.setOff(k, w.start+int32(k)-w.nb)
	}
}

func (lx *lexer) setOff(k int, o int32) {
	if k >= len(lx.off) {
		lx.off = append(lx.off, make([]int32, k+1-len(lx.off)+cap(lx.buf))...)
	}
	lx.off[k] = o
}

// orig is the offset in the original text of the character that
// normalized byte k of token t's word w (or of a letter-spaced run
// starting at w) came from.
func (lx *lexer) orig(wi int32, k int32) int32 {
	w := &lx.words[wi]
	if k >= w.ne { // letter-spaced run: one byte a word
		return lx.words[wi+k-w.nb].start
	}
	if w.flags&fMapped != 0 {
		return lx.off[k]
	}
	return w.start + k - w.nb
}

// charEnd is the end in the original text of the character that normalized
// byte k-1 came from.
func (lx *lexer) charEnd(s string, wi int32, k int32) int32 {
	w := &lx.words[wi]
	if k-1 >= w.ne {
		return lx.words[wi+k-1-w.nb].end
	}
	o := lx.orig(wi, k-1)
	if s[o] < 0x80 {
		return o + 1
	}
	_, size := utf8.DecodeRuneInString(s[o:])
	return o + int32(size)
}

// emailDomain tells whether s[i:] starts like the domain of an e-mail
// address: letters, digits or hyphens, then a dot and a letter.
func emailDomain(s string, i int) bool {
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case asciiClass[c] == cLetter || asciiClass[c] == cDigit || c == '-' || c == '_':
		case c == '.':
			return i+1 < len(s) && asciiClass[s[i+1]] == cLetter
		default:
			return false
		}
	}
	return false
}

// spacedGap tells whether s[a:b], the gap between two one-character words,
// is the single space of a letter-spaced word.
func spacedGap(s string, a, b int32) bool {
	switch b - a {
	case 1:
		switch s[a] {
		case ' ', '.', '-', '_', '*', '/', '~', '\t':
			return true
		}
	case 2:
		return s[a:b] == "\u00a0" || s[a:b] == "\u00b7"
	case 3:
		return s[a:b] == "\u2022" || s[a:b] == "\u2009" || s[a:b] == "\u202f"
	}
	return false
}

// tokens turns the words into tokens. h, when not nil, hashes each token.
func (lx *lexer) tokens(s string, h *hasher) {
	ws := lx.words
	for k := 0; k < len(ws); k++ {
		w := &ws[k]
		if w.ne-w.nb > 1 {
			if w.flags&(fLetter|fDigit) == fLetter|fDigit {
				lx.emit(s, h, int32(k), w.start, w.end, w.nb, w.ne, w.flags)
			} else {
				lx.push(h, int32(k), w.start, w.end, w.nb, w.ne, w.flags&fLetter == 0)
			}
			continue
		}
		if k+1 < len(ws) && ws[k+1].ne-ws[k+1].nb == 1 && spacedGap(s, w.end, ws[k+1].start) {
			j := k + 1
			flags := w.flags | ws[j].flags
			for j+1 < len(ws) && ws[j+1].ne-ws[j+1].nb == 1 && spacedGap(s, ws[j].end, ws[j+1].start) {
				j++
				flags |= ws[j].flags
			}
			lx.emit(s, h, int32(k), w.start, ws[j].end, w.nb, ws[j].ne, flags)
			k = j
			continue
		}
		lx.push(h, int32(k), w.start, w.end, w.nb, w.ne, w.flags&fLetter == 0)
	}
}

// emit adds the tokens of a word with letters and digits (or of a
// letter-spaced run starting at word wi): split off leading and trailing
// digit runs, fold leetspeak.
func (lx *lexer) emit(s string, h *hasher, wi, start, end, nb, ne int32, flags uint8) {
	if flags&(fLetter|fDigit) != fLetter|fDigit {
		lx.push(h, wi, start, end, nb, ne, flags&fLetter == 0)
		return
	}
	b := lx.buf
	wi0, nb0 := wi, nb
	run := ne > lx.words[wi].ne // a letter-spaced run: one byte a word
	wordOf := func(k int32) int32 {
		if run {
			return wi0 + k - nb0
		}
		return wi0
	}
	lead := nb
	for lead < ne && isDigit(b[lead]) {
		lead++
	}
	trail := ne
	for trail > lead && isDigit(b[trail-1]) {
		trail--
	}
	if lead-nb >= 2 {
		lx.push(h, wi, start, lx.charEnd(s, wi, lead), nb, lead, true)
		start = lx.orig(wi, lead)
		wi, nb = wordOf(lead), lead
	}
	tail := ne-trail >= 2
	if !tail {
		trail = ne
	}
	for i := nb; i < trail; i++ {
		if isDigit(b[i]) {
			b[i] = leet[b[i]-'0']
		}
	}
	if tail {
		mid := lx.orig(wi, trail)
		lx.push(h, wi, start, lx.charEnd(s, wi, trail), nb, trail, false)
		lx.push(h, wordOf(trail), mid, end, trail, ne, true)
		return
	}
	lx.push(h, wi, start, end, nb, ne, false)
}

func (lx *lexer) push(h *hasher, wi, start, end, nb, ne int32, digits bool) {
	if nb >= ne {
		return
	}
	if !digits && ne-nb <= 3 {
		t := lx.buf[nb:ne]
		if len(t) == 2 && t[0] == 'a' && t[1] == 't' || len(t) == 3 && t[0] == 'd' && t[1] == 'o' && t[2] == 't' {
			return
		}
	}
	tk := token{start: start, end: end, nb: nb, ne: ne, w: wi, digits: digits}
	if h != nil {
		if lx.cache != nil && ne-nb <= 8 {
			tk.h = lx.cache.sum(h, lx.buf[:cap(lx.buf)], nb, ne)
		} else {
			tk.h = h.sum(lx.buf[nb:ne])
		}
	}
	lx.toks = append(lx.toks, tk)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// tokenize runs both steps.
func (lx *lexer) tokenize(s string, h *hasher) []token {
	lx.lex(s)
	lx.toks = lx.toks[:0]
	lx.tokens(s, h)
	return lx.toks
}

// text returns a token's normalized bytes.
func (lx *lexer) text(t token) []byte { return lx.buf[t.nb:t.ne] }
