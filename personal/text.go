package personal

import (
	"unicode"
	"unicode/utf8"
)

// Byte classes of ASCII characters.
const (
	cDigit = 1 << iota
	cUpper
	cLower
	cHex   // 0-9 a-f A-F
	cLocal // may be in the local part of an e-mail address (besides letters and digits)
	cHost  // may be in a host name (besides letters and digits): - .
	cURL   // may be in a URL
)

var class = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] |= cDigit | cHex
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= cUpper
		t[c+'a'-'A'] |= cLower
	}
	for _, c := range "abcdefABCDEF" {
		t[c] |= cHex
	}
	for _, c := range "._%+-" {
		t[c] |= cLocal
	}
	t['-'] |= cHost
	t['.'] |= cHost
	for c := 0x21; c < 0x7f; c++ {
		switch c {
		case '"', '\'', '<', '>', '`', '{', '}', '|', '\\', '^':
		default:
			t[c] |= cURL
		}
	}
	return t
}()

func isDigit(c byte) bool { return c-'0' < 10 }
func isUpper(c byte) bool { return c-'A' < 26 }
func isLower(c byte) bool { return c-'a' < 26 }
func isAlpha(c byte) bool { return class[c]&(cUpper|cLower) != 0 }
func isAlnum(c byte) bool { return class[c]&(cUpper|cLower|cDigit) != 0 }
func isHex(c byte) bool   { return class[c]&cHex != 0 }

func toLower(c byte) byte {
	if isUpper(c) {
		return c + 'a' - 'A'
	}
	return c
}

func toUpper(c byte) byte {
	if isLower(c) {
		return c - ('a' - 'A')
	}
	return c
}

// at returns s[i], or 0 when i is out of range.
func at(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}

// wordBefore reports whether the character that ends at byte i is a letter,
// a digit or '_' (Unicode aware).
func wordBefore(s string, i int) bool {
	if i <= 0 {
		return false
	}
	c := s[i-1]
	if c < utf8.RuneSelf {
		return isAlnum(c) || c == '_'
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// wordAt reports whether the character that starts at byte i is a letter,
// a digit or '_' (Unicode aware).
func wordAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	c := s[i]
	if c < utf8.RuneSelf {
		return isAlnum(c) || c == '_'
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// letterAt reports whether a letter (Unicode aware) starts at byte i.
func letterAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	c := s[i]
	if c < utf8.RuneSelf {
		return isAlpha(c)
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}

// numStartOK reports whether a number may start at i: it is not glued to a
// word or to another number ("1.123", "12-3").
func numStartOK(s string, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i-1]
	switch {
	case isAlnum(c) || c == '_':
		return false
	case c == '.' || c == ',' || c == '-' || c == '/' || c == ':':
		return i < 2 || !isDigit(s[i-2])
	case c >= utf8.RuneSelf:
		return !wordBefore(s, i)
	}
	return true
}

// numEndOK reports whether a number may end at e: what follows is not a
// word character, '@', or a separator followed by a digit.
func numEndOK(s string, e int) bool {
	if e >= len(s) {
		return true
	}
	c := s[e]
	switch {
	case isAlnum(c) || c == '_' || c == '@':
		return false
	case c == '.' || c == ',' || c == '-' || c == '/' || c == ':':
		return !isDigit(at(s, e+1))
	case c >= utf8.RuneSelf:
		return !wordAt(s, e)
	}
	return true
}

// hspace returns the width of a horizontal space at i (' ', '\t' or a
// no-break space), or 0.
func hspace(s string, i int) int {
	switch at(s, i) {
	case ' ', '\t':
		return 1
	case 0xc2:
		if at(s, i+1) == 0xa0 {
			return 2
		}
	}
	return 0
}

// hspaceBefore returns the width of a horizontal space that ends at i, or 0.
func hspaceBefore(s string, i int) int {
	switch at(s, i-1) {
	case ' ', '\t':
		return 1
	case 0xa0:
		if at(s, i-2) == 0xc2 {
			return 2
		}
	}
	return 0
}

// digitsEnd returns the end of the run of ASCII digits that starts at i.
func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// alnumStart returns the start of the run of ASCII letters and digits that
// ends at i.
func alnumStart(s string, i int) int {
	for i > 0 && isAlnum(s[i-1]) {
		i--
	}
	return i
}

// alnumEnd returns the end of the run of ASCII letters and digits that
// starts at i.
func alnumEnd(s string, i int) int {
	for i < len(s) && isAlnum(s[i]) {
		i++
	}
	return i
}

// hasPrefixFold reports whether s[i:] starts with the lower-case ASCII
// prefix p, ignoring the case of s.
func hasPrefixFold(s string, i int, p string) bool {
	if i < 0 || len(s)-i < len(p) {
		return false
	}
	for k := 0; k < len(p); k++ {
		if toLower(s[i+k]) != p[k] {
			return false
		}
	}
	return true
}

// hasSuffixFold reports whether s[:i] ends with the lower-case ASCII
// suffix p, ignoring the case of s.
func hasSuffixFold(s string, i int, p string) bool {
	return i-len(p) >= 0 && i <= len(s) && hasPrefixFold(s, i-len(p), p)
}

// lineWindowBefore returns the start of a window of at most n bytes before
// i that does not cross a line break.
func lineWindowBefore(s string, i, n int) int {
	j := max(0, i-n)
	for k := i - 1; k >= j; k-- {
		if s[k] == '\n' || s[k] == '\r' {
			return k + 1
		}
	}
	return j
}

// wordFoldBefore reports whether one of the lower-case words ws occurs as
// a whole word in the same line within n bytes before i.
func wordFoldBefore(s string, i, n int, ws ...string) bool {
	from := lineWindowBefore(s, i, n)
	for k := from; k < i; k++ {
		if wordBefore(s, k) && k > from {
			continue
		}
		for _, w := range ws {
			if toLower(s[k]) == w[0] && k+len(w) <= i && hasPrefixFold(s, k, w) && !(isAlpha(w[len(w)-1]) && wordAt(s, k+len(w)) && !compoundOK(w)) {
				return true
			}
		}
	}
	return false
}

// compoundOK reports whether keyword w may be the start of a compound word
// ("rijbewijsnummer", "geboortedatum:", "bsn-nummer").
func compoundOK(w string) bool {
	switch w {
	case "rijbewijs", "bsn", "burgerservicenummer", "sofinummer", "geboortedatum", "paspoort", "telefoon":
		return true
	}
	return false
}
