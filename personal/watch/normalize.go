package watch

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"

	"github.com/undox/undox"
)

// Identifier kinds: the domain's (undox.Kind…).
const (
	KindName      = undox.KindName
	KindAddress   = undox.KindAddress
	KindPostcode  = undox.KindPostcode
	KindPhone     = undox.KindPhone
	KindEmail     = undox.KindEmail
	KindHandle    = undox.KindHandle
	KindSchool    = undox.KindSchool
	KindIDNumber  = undox.KindIDNumber
	KindBirthDate = undox.KindBirthDate
)

// Kinds lists the identifier kinds, in the order of their codes in an index.
var Kinds = undox.IdentifierKinds()

func kindCode(kind string) (uint8, bool) {
	for i, k := range Kinds {
		if k == kind {
			return uint8(i), true
		}
	}
	return 0, false
}

// DefaultRegion is the region of phone numbers written without a country
// code.
const DefaultRegion = "NL"

const defaultCC = "31" // DefaultRegion's country calling code

var lexPool = sync.Pool{New: func() any { return new(lexer) }}

// Normalize returns the matching form of an identifier of the given kind:
// the form that every spelling of it shares, and that the index hashes. It
// is "" when s holds nothing to match (or, for a phone number, is not one).
//
//   - phone: E.164, "+31612345678" for "06 12 34 56 78", "06-12345678",
//     "+31 (0)6 1234 5678" and "0031612345678" alike (default region NL).
//     Only digits count: a digit stays a digit.
//   - id_number: the digits alone when it has no letters ("123.456.789" is
//     "123456789"), else its tokens.
//   - birth_date: "YYYY-MM-DD" when it is a date in a known format.
//   - every other kind: its tokens separated by single spaces. A token is
//     folded to a skeleton: NFKC, lower case, no diacritics, look-alike
//     letters (Cyrillic, Greek, fullwidth) as the Latin letter, leetspeak
//     digits and signs inside words as letters (4→a, 3→e, 1→i, 0→o, 5→s,
//     7→t, @→a, $→s), l and i both as i; letter-spaced words joined; "at"
//     and "dot" dropped, as are the @ and dots of an e-mail address
//     ("jan [at] voorbeeld [dot] nl" is "jan voorbeeid ni", as is
//     "Jan@Voorbeeld.nl").
//
// The form is a key for matching, not for display.
func Normalize(kind, s string) string {
	switch kind {
	case KindPhone:
		e, ok := phoneE164(s)
		if !ok {
			return ""
		}
		return "+" + e
	case KindIDNumber:
		if d, ok := onlyDigits(s); ok {
			return d
		}
	case KindBirthDate:
		if y, m, d, ok := parseDate(s); ok {
			return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
		}
	}
	lx := lexPool.Get().(*lexer)
	defer lexPool.Put(lx)
	toks := lx.tokenize(s, nil)
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.Write(lx.text(t))
	}
	return b.String()
}

// NormalizeText returns the normalized text of s — its tokens, folded as by
// Normalize, separated by single spaces — and, for each byte of it, the
// byte offset in s of the character it came from; offsets has one more
// element, len(s), so that a normalized span [i, j) is the original span
// [offsets[i], offsets[j]) at most (a separator maps to the end of the token
// before it).
func NormalizeText(s string) (norm string, offsets []int) {
	if len(s) > MaxText {
		s = s[:MaxText]
	}
	lx := lexPool.Get().(*lexer)
	defer lexPool.Put(lx)
	toks := lx.tokenize(s, nil)
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
			offsets = append(offsets, int(toks[i-1].end))
		}
		b.Write(lx.text(t))
		for k := t.nb; k < t.ne; k++ {
			offsets = append(offsets, int(max(lx.orig(t.w, k), t.start)))
		}
	}
	offsets = append(offsets, len(s))
	return b.String(), offsets
}

// onlyDigits returns the digits of s when s has digits and no letters.
func onlyDigits(s string) (string, bool) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 0x80:
			// Non-ASCII digits (fullwidth) fold to ASCII; letters do not.
			lx := lexPool.Get().(*lexer)
			toks := lx.tokenize(s, nil)
			b = b[:0]
			ok := true
			for _, t := range toks {
				if !t.digits {
					ok = false
					break
				}
				b = append(b, lx.text(t)...)
			}
			lexPool.Put(lx)
			return string(b), ok && len(b) > 0
		case asciiClass[c] == cLetter:
			return "", false
		}
	}
	return string(b), len(b) > 0
}

// phoneE164 returns the E.164 digits (without "+") of a phone number.
// Numbers written only with digits, separators and a leading "+", "00" or
// "0" are converted directly (the same rules the text matcher applies);
// any other form is parsed by libphonenumber with the default region.
func phoneE164(s string) (string, bool) {
	digits := make([]byte, 0, 16)
	plus, simple := false, true
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == '+' && len(digits) == 0 && !plus:
			plus = true
		case c == '(' && i+2 < len(s) && s[i+1] == '0' && s[i+2] == ')' && plus && len(digits) > 0:
			i += 2 // "+31 (0)6": the trunk prefix after a country code
		case c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')':
		default:
			simple = false
		}
	}
	if simple {
		if e, ok := e164(digits, plus); ok {
			return e, true
		}
	}
	n, err := phonenumbers.Parse(s, DefaultRegion)
	if err != nil {
		return "", false
	}
	e := strings.TrimPrefix(phonenumbers.Format(n, phonenumbers.E164), "+")
	if len(e) < 8 || len(e) > 15 {
		return "", false
	}
	return e, true
}

// e164 converts a number's digits to E.164 (without "+") when its form says
// which country it is in: after "+" or "00" the country code, after a single
// "0" the default region's national number.
func e164(digits []byte, plus bool) (string, bool) {
	var e string
	switch {
	case plus:
		e = string(digits)
	case len(digits) > 2 && digits[0] == '0' && digits[1] == '0':
		e = string(digits[2:])
	case len(digits) > 1 && digits[0] == '0':
		e = defaultCC + string(digits[1:])
	default:
		return "", false
	}
	if len(e) < 8 || len(e) > 15 || e[0] == '0' {
		return "", false
	}
	return e, true
}

// Dates.

var months = map[string]int{}

func init() {
	names := [][]string{
		{"januari", "january", "jan"}, {"februari", "february", "feb"}, {"maart", "march", "mrt", "mar"},
		{"april", "apr"}, {"mei", "may"}, {"juni", "june", "jun"}, {"juli", "july", "jul"},
		{"augustus", "august", "aug"}, {"september", "sep", "sept"}, {"oktober", "october", "okt", "oct"},
		{"november", "nov"}, {"december", "dec"},
	}
	for i, ns := range names {
		for _, n := range ns {
			months[skeleton(n)] = i + 1
		}
	}
}

var monthNames = [13][]string{
	{}, {"januari", "january"}, {"februari", "february"}, {"maart", "march"}, {"april"}, {"mei", "may"},
	{"juni", "june"}, {"juli", "july"}, {"augustus", "august"}, {"september"}, {"oktober", "october"},
	{"november"}, {"december"},
}

// parseDate reads a date as day-month-year (digits or month name), or
// year-month-day when the first number has four digits.
func parseDate(s string) (y, m, d int, ok bool) {
	lx := lexPool.Get().(*lexer)
	defer lexPool.Put(lx)
	toks := lx.tokenize(s, nil)
	var parts []string
	for _, t := range toks {
		parts = append(parts, string(lx.text(t)))
	}
	if len(parts) == 1 && len(parts[0]) == 8 && toks[0].digits { // 20080312 or 12032008
		p := parts[0]
		if a, _ := strconv.Atoi(p[:4]); a > 1900 {
			parts = []string{p[:4], p[4:6], p[6:]}
		} else {
			parts = []string{p[:2], p[2:4], p[4:]}
		}
	}
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	num := func(p string) int {
		n, err := strconv.Atoi(p)
		if err != nil {
			return -1
		}
		return n
	}
	if len(parts[0]) == 4 {
		y, m, d = num(parts[0]), num(parts[1]), num(parts[2])
	} else {
		d, y = num(parts[0]), num(parts[2])
		m = num(parts[1])
		if m < 0 {
			m = months[parts[1]]
		}
	}
	if y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// dateVariants are the spellings of a date that the index registers: day
// month year with and without leading zeros, year-month-day, and the month
// written out in Dutch and English.
func dateVariants(y, m, d int) []string {
	vs := []string{
		fmt.Sprintf("%02d-%02d-%04d", d, m, y),
		fmt.Sprintf("%d-%d-%04d", d, m, y),
		fmt.Sprintf("%04d-%02d-%02d", y, m, d),
	}
	for _, name := range monthNames[m] {
		vs = append(vs, fmt.Sprintf("%d %s %04d", d, name, y))
	}
	return vs
}
