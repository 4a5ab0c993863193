package watch

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Character folding: every character of a text or an identifier is mapped to
// its matching form, one character at a time. ASCII goes through tables;
// any other character through foldRune, cached for the Basic Multilingual
// Plane.
//
// The matching form of a letter is a skeleton, not a spelling: lower case,
// no diacritics (NFKD, combining marks dropped), compatibility forms unified
// (NFKC's K: fullwidth, mathematical, circled, superscript letters and
// digits become plain ones), Cyrillic and Greek look-alikes become the Latin
// letter they look like, and the letters l and i, which leetspeak and
// look-alikes make indistinguishable (1, |, !, I, l, ı), are both i.

// Classes of an ASCII byte.
const (
	cSep    = iota // separator
	cLetter        // a-z, A-Z
	cDigit         // 0-9
	cAt            // @: in-word a, else a separator (e-mail, handle)
	cDollar        // $: in-word s
	cBang          // !: between letters i
	cPipe          // |: before a letter i
	cHigh          // not ASCII
)

var (
	asciiClass [256]uint8
	asciiFold  [256]byte
)

// leet maps a digit inside a word with letters to the letter it stands for.
var leet = [10]byte{'o', 'i', 'z', 'e', 'a', 's', 'g', 't', 'b', 'g'}

func init() {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 0x80:
			asciiClass[c] = cHigh
		case c >= 'a' && c <= 'z':
			asciiClass[c] = cLetter
			asciiFold[c] = byte(c)
		case c >= 'A' && c <= 'Z':
			asciiClass[c] = cLetter
			asciiFold[c] = byte(c) + 'a' - 'A'
		case c >= '0' && c <= '9':
			asciiClass[c] = cDigit
			asciiFold[c] = byte(c)
		case c == '@':
			asciiClass[c] = cAt
			asciiFold[c] = 'a'
		case c == '$':
			asciiClass[c] = cDollar
			asciiFold[c] = 's'
		case c == '!':
			asciiClass[c] = cBang
			asciiFold[c] = 'i'
		case c == '|':
			asciiClass[c] = cPipe
			asciiFold[c] = 'i'
		}
	}
	asciiFold['l'] = 'i'
	asciiFold['L'] = 'i'
}

// Classes of a folded non-ASCII character.
const (
	rSep  = iota // separator (punctuation, symbols, spaces)
	rWord        // letters or digits: its folded form is appended
	rDrop        // invisible: format characters (zero-width spaces, soft hyphen) and combining marks
)

type runeFold struct {
	class uint8
	s     string // folded form, for rWord
}

// homoglyphs maps Cyrillic, Greek and other Latin-looking letters to the
// Latin letter they are mistaken for. Upper-case forms are listed where
// they look different from their lower case (Greek Η is H, η is n).
var homoglyphs = map[rune]string{
	// Cyrillic
	'а': "a", 'А': "a", 'в': "b", 'В': "b", 'ь': "b", 'Ь': "b", 'е': "e", 'Е': "e", 'ё': "e", 'Ё': "e",
	'г': "r", 'һ': "h", 'Һ': "h", 'н': "h", 'Н': "h", 'і': "i", 'І': "i", 'ї': "i", 'Ї': "i",
	'ј': "j", 'Ј': "j", 'к': "k", 'К': "k", 'ӏ': "i", 'Ӏ': "i", 'м': "m", 'М': "m", 'о': "o", 'О': "o",
	'п': "n", 'р': "p", 'Р': "p", 'с': "c", 'С': "c", 'т': "t", 'Т': "t", 'у': "y", 'У': "y", 'ү': "y", 'Ү': "y",
	'х': "x", 'Х': "x", 'ѕ': "s", 'Ѕ': "s", 'ԁ': "d", 'ԛ': "q", 'Ԛ': "q", 'ԝ': "w", 'Ԝ': "w", 'ԍ': "g",
	'Ꭵ': "i", 'ɩ': "i",
	// Greek
	'α': "a", 'Α': "a", 'β': "b", 'Β': "b", 'ε': "e", 'Ε': "e", 'ζ': "z", 'Ζ': "z", 'η': "n", 'Η': "h",
	'ι': "i", 'Ι': "i", 'κ': "k", 'Κ': "k", 'μ': "u", 'Μ': "m", 'ν': "v", 'Ν': "n", 'ο': "o", 'Ο': "o",
	'ρ': "p", 'Ρ': "p", 'τ': "t", 'Τ': "t", 'υ': "u", 'Υ': "y", 'χ': "x", 'Χ': "x", 'ς': "s", 'σ': "o",
	'ω': "w", 'γ': "y", 'λ': "a",
	// Latin letters that NFKD does not decompose
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ø': "o", 'Ø': "o", 'đ': "d", 'Đ': "d",
	'ð': "d", 'Ð': "d", 'ł': "i", 'Ł': "i", 'ı': "i", 'ħ': "h", 'Ħ': "h", 'ŧ': "t", 'Ŧ': "t", 'þ': "th",
	'Þ': "th", 'ŋ': "n", 'Ŋ': "n", 'ĸ': "k", 'ɑ': "a", 'ɡ': "g", 'ʏ': "y", 'ǀ': "i", 'ĳ': "ij", 'Ĳ': "ij",
	// digits and signs used as letters
	'€': "e", '£': "i", '¡': "i",
}

var (
	bmpOnce sync.Once
	bmp     []runeFold // index rune-0x80, for runes below 0x10000
)

// foldChar returns the fold of a non-ASCII rune.
func foldChar(r rune) runeFold {
	if r < 0x10000 {
		bmpOnce.Do(buildBMP)
		return bmp[r-0x80]
	}
	return computeFold(r)
}

func buildBMP() {
	t := make([]runeFold, 0x10000-0x80)
	// Most folds are one ASCII letter: share their strings.
	for r := rune(0x80); r < 0x10000; r++ {
		t[r-0x80] = computeFold(r)
	}
	bmp = t
}

// computeFold folds one rune: look-alike table, then NFKD with the marks
// dropped, lower case, look-alike table again, ASCII skeleton.
func computeFold(r rune) runeFold {
	if !utf8.ValidRune(r) || r == utf8.RuneError {
		return runeFold{class: rSep}
	}
	if s, ok := homoglyphs[r]; ok {
		return runeFold{class: rWord, s: skeleton(s)}
	}
	if unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me) {
		return runeFold{class: rDrop}
	}
	d := norm.NFKD.String(string(r))
	var b strings.Builder
	word, other := false, false
	for _, x := range d {
		switch {
		case unicode.In(x, unicode.Mn, unicode.Me, unicode.Cf):
			continue
		case x < 0x80:
			switch asciiClass[x] {
			case cLetter, cDigit:
				b.WriteByte(asciiFold[x])
				word = true
			default:
				other = true
			}
		default:
			l := unicode.ToLower(x)
			if s, ok := homoglyphs[l]; ok {
				b.WriteString(skeleton(s))
				word = true
			} else if s, ok := homoglyphs[x]; ok {
				b.WriteString(skeleton(s))
				word = true
			} else if unicode.IsLetter(l) || unicode.IsDigit(l) || unicode.Is(unicode.Mc, l) {
				if v := digitValue(l); v >= 0 {
					b.WriteByte(byte('0' + v))
				} else {
					b.WriteRune(l)
				}
				word = true
			} else {
				other = true
			}
		}
	}
	switch {
	case word && !other:
		return runeFold{class: rWord, s: b.String()}
	case !word && !other:
		return runeFold{class: rDrop}
	default:
		return runeFold{class: rSep}
	}
}

// digitValue is the value of a decimal digit of any script, or -1.
// Decimal digits come in contiguous blocks of runs of ten, each starting at
// zero.
func digitValue(r rune) int {
	if !unicode.Is(unicode.Nd, r) {
		return -1
	}
	start := r
	for start > 0 && unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10
}

func skeleton(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x80 && asciiFold[c] != 0 {
			b[i] = asciiFold[c]
		}
	}
	return string(b)
}
