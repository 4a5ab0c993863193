package personal

import (
	"strconv"
	"strings"
)

// Month names and abbreviations, Dutch and English.
var months = map[string]int{
	"januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2, "maart": 3, "march": 3,
	"mrt": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6, "june": 6, "jun": 6,
	"juli": 7, "july": 7, "jul": 7, "augustus": 8, "august": 8, "aug": 8, "september": 9, "sep": 9,
	"sept": 9, "oktober": 10, "october": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11,
	"december": 12, "dec": 12,
}

// month returns the month named by the letters of s[i:j], or 0.
func month(s string, i, j int) int {
	if j-i < 3 || j-i > 9 {
		return 0
	}
	switch toLower(s[i]) {
	case 'j', 'f', 'm', 'a', 's', 'o', 'n', 'd':
	default:
		return 0
	}
	var buf [9]byte
	for k := i; k < j; k++ {
		buf[k-i] = toLower(s[k])
	}
	return months[string(buf[:j-i])]
}

// atoi of a short run of ASCII digits.
func atoi(w string) int {
	n := 0
	for k := 0; k < len(w); k++ {
		n = n*10 + int(w[k]-'0')
	}
	return n
}

func validDate(y, m, d int) bool {
	if y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

func isoDate(y, m, d int) string {
	b := make([]byte, 0, 10)
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	return string(b)
}

// ValidBirthDate reports whether s is a date yyyy-mm-dd between 1900 and
// 2100 that exists.
func ValidBirthDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !allDigits(s[:4]) || !allDigits(s[5:7]) || !allDigits(s[8:]) {
		return false
	}
	return validDate(atoi(s[:4]), atoi(s[5:7]), atoi(s[8:]))
}

// yearAfter reads ". 2009", ", 2009" or " 2009" at k: the year of a date
// whose month or day ends at k.
func yearAfter(s string, k int) (y, end int, ok bool) {
	if at(s, k) == '.' {
		k++
	}
	if at(s, k) == ',' {
		k++
	}
	v := hspace(s, k)
	if v == 0 {
		return 0, 0, false
	}
	ye := digitsEnd(s, k+v)
	if ye-k-v != 4 || !numEndOK(s, ye) {
		return 0, 0, false
	}
	return atoi(s[k+v : ye]), ye, true
}

// ordinalEnd skips an ordinal suffix ("st", "nd", "rd", "th", "e", "ste",
// "de") right after a day number at j.
func ordinalEnd(s string, j int) int {
	for _, o := range [...]string{"st", "nd", "rd", "th", "ste", "de", "e"} {
		if hasPrefixFold(s, j, o) && !isAlpha(at(s, j+len(o))) {
			return j + len(o)
		}
	}
	return j
}

// dateAt reads a date whose first digit is at i: d-m-yyyy (with '-', '/'
// or '.'), yyyy-mm-dd, "12 maart 2009", "12th March 2009", or, with the
// month before, "March 12, 2009".
func dateAt(s string, i int) (start, end, y, m, d int, ok bool) {
	if !numStartOK(s, i) {
		return
	}
	e := digitsEnd(s, i)
	n := e - i
	switch {
	case n == 4 && (at(s, e) == '-' || at(s, e) == '/' || at(s, e) == '.'):
		sep := s[e]
		e2 := digitsEnd(s, e+1)
		if e2-e-1 < 1 || e2-e-1 > 2 || at(s, e2) != sep {
			return
		}
		e3 := digitsEnd(s, e2+1)
		if e3-e2-1 < 1 || e3-e2-1 > 2 || !numEndOK(s, e3) {
			return
		}
		return i, e3, atoi(s[i:e]), atoi(s[e+1 : e2]), atoi(s[e2+1 : e3]), true
	case n < 1 || n > 2:
		return
	}
	day := atoi(s[i:e])
	if c := at(s, e); c == '-' || c == '/' || c == '.' {
		e2 := digitsEnd(s, e+1)
		if e2-e-1 >= 1 && e2-e-1 <= 2 && at(s, e2) == c {
			e3 := digitsEnd(s, e2+1)
			if e3-e2-1 == 4 && numEndOK(s, e3) {
				return i, e3, atoi(s[e2+1 : e3]), atoi(s[e+1 : e2]), day, true
			}
			return
		}
	}
	// "12 maart 2009", "12th March, 2009", "12 mrt. 2009": the year is
	// looked for before the month's name.
	j := e
	if isAlpha(at(s, j)) {
		j = ordinalEnd(s, e)
	}
	if at(s, j) == '.' {
		j++
	}
	if w := hspace(s, j); w > 0 {
		ms := j + w
		me := ms
		for me < len(s) && me-ms <= 9 && isAlpha(s[me]) {
			me++
		}
		if y, ye, ok := yearAfter(s, me); ok && !wordAt(s, me) {
			if mo := month(s, ms, me); mo > 0 {
				return i, ye, y, mo, day, true
			}
		}
	}
	// "March 12, 2009": the month before the day.
	k := e
	if isAlpha(at(s, k)) {
		k = ordinalEnd(s, e)
	}
	if y, ye, ok := yearAfter(s, k); ok {
		if w := hspaceBefore(s, i); w > 0 {
			me := i - w
			if at(s, me-1) == '.' {
				me--
			}
			ms := me
			for ms > 0 && me-ms <= 9 && isAlpha(s[ms-1]) {
				ms--
			}
			if mo := month(s, ms, me); mo > 0 && !wordBefore(s, ms) {
				return ms, ye, y, mo, day, true
			}
		}
	}
	return
}

var birthKeywords = []string{"geboren", "geb.", "geb:", "geb ", "born", "dob", "d.o.b", "date of birth", "birth date", "birthdate",
	"birthday", "geboortedatum", "geboortedag", "geburtsdatum", "geboren am", "né le", "née le"}

// birthDate: a date (see dateAt) shortly after a word such as "geboren",
// "geb.", "born", "DOB" or "geboortedatum" on the same line. The value is
// yyyy-mm-dd; not valid when the date does not exist.
func birthDate(s string, i int) *Finding {
	start, end, y, m, d, ok := dateAt(s, i)
	if !ok || y < 1000 || m > 12 || d > 31 || !wordFoldBefore(s, start, 48, birthKeywords...) {
		return nil
	}
	return &Finding{Type: TypeBirthDate, Start: start, End: end, Value: isoDate(y, m, d), Valid: validDate(y, m, d)}
}

// Age statements after the number, longest first.
var ageAfter = []string{
	" jaar oud", " jaar jong", "-jarige", " jarige", "-jarig", " jarig", " years old", " year old", "-year-old",
	"-years-old", " yrs old", " yr old", " jr.", " jr", "jr", " yo", "yo", " y/o", "y/o", " jaar", " ans", " jahre alt",
}

// Words before "N jaar" that make it an age: "ze is 15 jaar".
var ageVerbs = set("is", "ben", "was", "werd", "wordt", "word", "zijn", "pas", "slechts", "amper", "net", "bijna", "nu", "toen")

// Words before the number: "age 15", "leeftijd: 15".
var ageBefore = set("age", "aged", "leeftijd", "alter", "âge")

// ValidAge reports whether s is an age in years, 0–119.
func ValidAge(s string) bool {
	return len(s) >= 1 && len(s) <= 3 && allDigits(s) && (len(s) == 1 || s[0] != '0') && atoi(s) < 120
}

// age at the digit i: "15 jaar oud", "15-jarige", "15 jr", "15 years
// old", "15-year-old", "age 15", "leeftijd: 15", "ze is 15 jaar" and a
// name with the age in parentheses, "Jan (15)". The value is the number.
func age(s string, i int) *Finding {
	e := digitsEnd(s, i)
	if e-i > 3 || (i > 0 && (isDigit(s[i-1]) || wordBefore(s, i))) {
		return nil
	}
	v := strconv.Itoa(atoi(s[i:e]))
	mk := func(st, en int) *Finding {
		return &Finding{Type: TypeAge, Start: st, End: en, Value: v, Valid: ValidAge(v)}
	}
	// "Jan (15)"
	if at(s, i-1) == '(' && at(s, e) == ')' {
		if w := wordSepBefore(s, i-1); w > 0 {
			var ws [1]span
			if wordsBefore(s, i-1-w, ws[:]) == 1 && capitalized(s[ws[0].s:ws[0].e]) && !wordAt(s, e+1) {
				return mk(i-1, e+1)
			}
		}
		return nil
	}
	// The first bytes of the statements after the number.
	switch c := at(s, e); c {
	case ' ', '-':
		switch toLower(at(s, e+1)) {
		case 'j', 'y', 'a':
		default:
			goto before
		}
	case 'j', 'J', 'y', 'Y':
	default:
		goto before
	}
	for _, a := range ageAfter {
		if !hasPrefixFold(s, e, a) || wordAt(s, e+len(a)) {
			continue
		}
		if a == " jaar" || a == " ans" {
			var ws [1]span
			w := wordSepBefore(s, i)
			if w == 0 || wordsBefore(s, i-w, ws[:]) == 0 || !ageVerbs[lowerASCII(s[ws[0].s:ws[0].e])] {
				continue
			}
		}
		if !numStartOK(s, i) {
			return nil
		}
		return mk(i, e+len(a))
	}
	// "age 15", "leeftijd: 15"
before:
	if !numEndOK(s, e) {
		return nil
	}
	k := i - wordSepBefore(s, i)
	if k == i {
		return nil
	}
	if at(s, k-1) == ':' {
		k--
	}
	// The last letter of "age", "aged", "leeftijd", "alter", "âge".
	if c := toLower(at(s, k-1)); c != 'e' && c != 'd' && c != 'r' {
		return nil
	}
	var ws [1]span
	if wordsBefore(s, k, ws[:]) == 1 {
		if w := s[ws[0].s:ws[0].e]; len(w) >= 3 && len(w) <= 8 && strings.IndexByte("aAlL\xc3", w[0]) >= 0 && ageBefore[strings.ToLower(w)] {
			return mk(ws[0].s, e)
		}
	}
	return nil
}
