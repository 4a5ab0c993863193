package personal

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Letters after which a four-digit number is more likely prose than a
// postcode ("2020 IS", "1990 TO"): such a postcode needs a house number or
// a place name after it.
var postcodeStop = map[string]bool{
	"IN": true, "IS": true, "OF": true, "TO": true, "ON": true, "AT": true, "AN": true, "AS": true,
	"BY": true, "IT": true, "OR": true, "BE": true, "NO": true, "SO": true, "UP": true, "US": true,
	"WE": true, "HE": true, "ME": true, "MY": true, "DO": true, "GO": true, "IF": true, "EN": true,
	"DE": true, "OP": true, "TE": true, "IK": true, "JE": true, "ZE": true, "ER": true, "AM": true,
	"PM": true, "KM": true, "CM": true, "MM": true, "KG": true, "GB": true, "MB": true, "KB": true,
	"TB": true, "HZ": true, "BC": true, "AD": true, "UUR": true,
}

// ValidPostcode reports whether s is a Dutch postcode, "1234AB", optionally
// followed by a space and a house number ("1234AB 12a").
func ValidPostcode(s string) bool {
	pc, hn, _ := strings.Cut(s, " ")
	if len(pc) != 6 || pc[0] == '0' || !allDigits(pc[:4]) || !isUpper(pc[4]) || !isUpper(pc[5]) {
		return false
	}
	switch pc[4:] {
	case "SA", "SD", "SS":
		return false
	}
	if hn != "" {
		v, e, ok := houseNumber(hn, 0)
		return ok && e == len(hn) && v == hn
	}
	return true
}

// postcode at the digit i: "1234 AB" or "1234AB" (also "1234ab"), with the
// house number when one follows ("1234 AB 12a", "1234AB, nr. 12").
func postcode(s string, i int) *Finding {
	if s[i] == '0' || len(s)-i < 6 || digitsEnd(s, i) != i+4 || !numStartOK(s, i) {
		return nil
	}
	j := i + 4
	w := hspace(s, j)
	if at(s, j) == '\t' {
		return nil
	}
	j += w
	l1, l2 := at(s, j), at(s, j+1)
	if !isAlpha(l1) || !isAlpha(l2) || wordAt(s, j+2) {
		return nil
	}
	upper := isUpper(l1) && isUpper(l2)
	if !upper && !(isLower(l1) && isLower(l2) && w == 0) {
		return nil
	}
	var buf [6]byte
	copy(buf[:4], s[i:i+4])
	buf[4], buf[5] = toUpper(l1), toUpper(l2)
	v := string(buf[:])
	if !ValidPostcode(v) {
		return nil
	}
	end := j + 2
	hn, he, ok := houseNumberAfter(s, end)
	if ok {
		v += " " + hn
		end = he
	} else if postcodeStop[v[4:]] {
		// Prose unless a place name follows: "1234 AB Amsterdam".
		k := end + hspace(s, end)
		if k == end || !isUpper(at(s, k)) || !(isLower(at(s, k+1)) || isUpper(at(s, k+1)) && isUpper(at(s, k+2))) {
			return nil
		}
	}
	return &Finding{Type: TypePostcode, Start: i, End: end, Value: v, Valid: true}
}

// houseNumberAfter reads a house number right after a postcode: a space or
// ", ", optionally "nr", "nr.", "no.", "huisnummer", then the number.
func houseNumberAfter(s string, p int) (string, int, bool) {
	j := p
	if at(s, j) == ',' {
		j++
	}
	w := hspace(s, j)
	if w == 0 || at(s, j) == '\t' {
		return "", 0, false
	}
	j += w
	for _, word := range [...]string{"huisnummer", "huisnr.", "huisnr", "nr.", "nr", "no.", "no"} {
		if hasPrefixFold(s, j, word) {
			k := j + len(word)
			if at(s, k) == ':' {
				k++
			}
			if v := hspace(s, k); v > 0 {
				j = k + v
			} else if word[len(word)-1] == '.' {
				j = k
			}
			break
		}
	}
	if !isDigit(at(s, j)) {
		return "", 0, false
	}
	return houseNumber(s, j)
}

// houseNumber at i: 1–5 digits (not starting with 0) and a suffix: a
// letter ("12a", "5-B"), a number ("12-2"), "hs" or "bis". The value is
// normalized: "12a", "5b", "12-2", "12hs".
func houseNumber(s string, i int) (string, int, bool) {
	e := digitsEnd(s, i)
	if e == i || e-i > 5 || s[i] == '0' {
		return "", 0, false
	}
	j := e
	suffix := ""
	switch c := at(s, j); {
	case isAlpha(c) && !wordAt(s, j+1):
		suffix, j = string(toLower(c)), j+1
	case (c == '-' || c == ' ') && isAlpha(at(s, j+1)) && !wordAt(s, j+2) && (c == '-' || isUpper(at(s, j+1))) && at(s, j+1) != 'I':
		suffix, j = string(toLower(at(s, j+1))), j+2
	case c == '-' && isDigit(at(s, j+1)):
		if d := digitsEnd(s, j+1); d-j-1 <= 3 && !(at(s, d) == '-' || at(s, d) == '.' || at(s, d) == '/') {
			suffix, j = s[j:d], d
		}
	case c == 'h' || c == 'H' || c == 'b' || c == 'B' || c == '-' || c == ' ':
		for _, w := range [...]string{"hs", "bis", "-hs", " hs", " bis"} {
			if hasPrefixFold(s, j, w) && !wordAt(s, j+len(w)) {
				suffix, j = strings.TrimLeft(strings.ToLower(w), " -"), j+len(w)
				break
			}
		}
	}
	if !numEndOK(s, j) || (at(s, j) == '-' && isAlpha(at(s, j+1))) || (at(s, j) == ',' && isDigit(at(s, j+1))) {
		return "", 0, false
	}
	return s[i:e] + suffix, j, true
}

// Endings of Dutch, Belgian and German street names.
var streetSuffixes = []string{
	"straat", "laan", "weg", "plein", "gracht", "kade", "singel", "dijk", "hof", "pad", "steeg", "dreef",
	"markt", "park", "plantsoen", "dam", "burgwal", "wal", "haven", "baan", "ring", "erf", "boulevard",
	"allee", "straße", "strasse", "str.", "gasse", "platz", "damm", "ufer", "steenweg", "lei", "vest",
	"hoven", "dwarsstraat", "kanaal", "veld", "weide", "donk", "akker", "oord", "zijde", "boogerd", "gaarde",
}

// Street words that begin a name: "Laan van Meerdervoort".
var streetHeads = set("laan", "plein", "weg", "dreef", "kade", "singel", "gracht", "straat", "hof", "dijk", "markt", "park", "pad", "steeg", "wal", "burgwal", "boulevard")

// Words inside street names.
var streetConnectors = set("van", "de", "der", "den", "het", "'t", "ter", "ten", "'s", "la", "le", "du", "des", "von", "zu", "am", "v.d.", "vd", "in't", "van't")

// Capitalized words that start multi-word street names.
var streetPrefixes = set("nieuwe", "oude", "korte", "lange", "grote", "kleine", "hoge", "lage", "eerste", "tweede", "derde",
	"vierde", "burgemeester", "burg.", "prins", "prinses", "koning", "koningin", "sint", "st.", "dokter", "dr.", "professor",
	"prof.", "generaal", "admiraal", "pastoor", "kapelaan", "graaf", "gravin", "hertog", "jonkheer", "mr.", "meester", "zuid",
	"noord", "oost", "west", "binnen", "buiten", "achter", "voor", "boven", "beneden", "president")

// English street types, after a house number: "10 Downing Street".
var englishStreetTypes = set("street", "st", "st.", "road", "rd", "rd.", "avenue", "ave", "ave.", "lane", "ln", "drive", "dr",
	"dr.", "boulevard", "blvd", "blvd.", "way", "place", "pl", "court", "ct", "terrace", "close", "crescent", "square", "sq",
	"parkway", "highway", "hwy", "row", "gardens", "grove", "hill", "walk", "mews")

// French street types, after a house number: "12 rue de la Paix".
var frenchStreetTypes = set("rue", "avenue", "boulevard", "place", "quai", "allée", "chemin", "impasse", "cours", "route")

var frenchConnectors = set("de", "la", "du", "des", "le", "les", "l'", "d'", "et", "sur", "en")

type span struct{ s, e int }

// isStreetByte reports whether c may be in a word of a street name.
func isStreetByte(c byte) bool {
	return isAlpha(c) || c >= utf8.RuneSelf || c == '\'' || c == '-' || c == '.'
}

// nbspBefore/nbspAt report a no-break space.
func wordSepBefore(s string, i int) int {
	if at(s, i-1) == ' ' {
		return 1
	}
	if at(s, i-1) == 0xa0 && at(s, i-2) == 0xc2 {
		return 2
	}
	return 0
}

func wordSepAt(s string, i int) int {
	if at(s, i) == ' ' {
		return 1
	}
	if at(s, i) == 0xc2 && at(s, i+1) == 0xa0 {
		return 2
	}
	return 0
}

// wordsBefore collects up to len(ws) words separated by single spaces that
// end at p, the nearest first.
func wordsBefore(s string, p int, ws []span) int {
	n := 0
	for n < len(ws) {
		q := p
		for q > 0 && p-q < 40 && isStreetByte(s[q-1]) && !(s[q-1] == 0xa0 && at(s, q-2) == 0xc2) {
			q--
		}
		for q < p && (s[q] == '.' || s[q] == '-' || (s[q] >= 0x80 && !letterAt(s, q) && s[q] >= 0xc0)) {
			// a word does not start with punctuation
			_, size := utf8.DecodeRuneInString(s[q:])
			q += size
		}
		if q == p || (q > 0 && isStreetByte(s[q-1]) && p-q >= 40) {
			break
		}
		ws[n] = span{q, p}
		n++
		sw := wordSepBefore(s, q)
		if sw == 0 {
			break
		}
		p = q - sw
	}
	return n
}

// wordsAfter collects up to len(ws) words separated by single spaces that
// start at p.
func wordsAfter(s string, p int, ws []span) int {
	n := 0
	for n < len(ws) {
		q := p
		for q < len(s) && q-p < 40 && isStreetByte(s[q]) && !(s[q] == 0xc2 && at(s, q+1) == 0xa0) {
			q++
		}
		for q > p && (s[q-1] == '-' || s[q-1] == '\'' || s[q-1] == '.') {
			q--
		}
		if q == p {
			break
		}
		ws[n] = span{p, q}
		n++
		sw := wordSepAt(s, q)
		if sw == 0 {
			break
		}
		p = q + sw
	}
	return n
}

// capitalized reports whether w starts with an upper-case letter.
func capitalized(w string) bool {
	if w == "" {
		return false
	}
	if w[0] < utf8.RuneSelf {
		return isUpper(w[0])
	}
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

func lowerASCII(w string) string {
	for k := 0; k < len(w); k++ {
		if isUpper(w[k]) {
			return strings.ToLower(w)
		}
	}
	return w
}

// address at the digit i: a Dutch, Belgian or German street name before
// the house number ("Voorbeeldstraat 12", "Laan van Meerdervoort 5-B",
// "Berliner Str. 12"), or an English or French street after it ("10
// Downing Street", "12 rue de la Paix"). The value is the street's words
// and the normalized house number.
func address(s string, i int) *Finding {
	if !numStartOK(s, i) {
		return nil
	}
	if sw := wordSepBefore(s, i); sw > 0 && (isUpper(at(s, i-sw-1)) || isLower(at(s, i-sw-1)) || at(s, i-sw-1) >= utf8.RuneSelf || at(s, i-sw-1) == '.') {
		if st, ok := streetBefore(s, i-sw); ok {
			if hn, he, ok := houseNumber(s, i); ok {
				return &Finding{Type: TypeAddress, Start: st, End: he, Value: joinWords(s, st, i-sw) + " " + hn, Valid: true}
			}
		}
	}
	// A capitalized word or a French street type after the number and a
	// space (a letter may come first: "221B Baker Street").
	j := digitsEnd(s, i)
	if isAlpha(at(s, j)) {
		j++
	}
	if at(s, j) == ',' {
		j++
	}
	j += wordSepAt(s, j)
	if c := at(s, j); !isUpper(c) && !(strings.IndexByte("rabpqci", c) >= 0 && frenchTypeAt(s, j)) {
		return nil
	}
	return streetAfter(s, i)
}

// streetBefore finds a street name that ends at p and returns its start.
func streetBefore(s string, p int) (int, bool) {
	var ws [6]span
	// Every street name here ends in a capitalized word: most numbers in
	// prose are done after one word.
	if !capitalizedBefore(s, p) {
		return 0, false
	}
	n := wordsBefore(s, p, ws[:])
	word := func(k int) string { return s[ws[k].s:ws[k].e] }
	w0 := word(0)
	lw0 := lowerASCII(w0)
	suffix := ""
	for _, sfx := range streetSuffixes {
		if strings.HasSuffix(lw0, sfx) {
			suffix = sfx
			break
		}
	}
	if suffix != "" && capitalized(w0) {
		k := 0
		if len(lw0) == len(suffix) {
			// "Oude Gracht", "Berliner Str.": the word before is part of
			// the name; after a connector it is a surname ("van Dijk").
			if n < 2 || streetConnectors[lowerASCII(word(1))] || !capitalized(word(1)) {
				return 0, false
			}
			k = 1
		}
		pending := 0
		for m := k + 1; m < n; m++ {
			w := word(m)
			lw := lowerASCII(w)
			if streetConnectors[lw] {
				pending++
				continue
			}
			if capitalized(w) && (pending > 0 || streetPrefixes[lw]) {
				k, pending = m, 0
				continue
			}
			break
		}
		return ws[k].s, true
	}
	// "Laan van Meerdervoort": a street word, a connector, then names.
	if !capitalized(w0) {
		return 0, false
	}
	for m := 1; m < n; m++ {
		w := word(m)
		lw := lowerASCII(w)
		if streetHeads[lw] && capitalized(w) && streetConnectors[lowerASCII(word(m-1))] {
			return ws[m].s, true
		}
		if !streetConnectors[lw] && !capitalized(w) {
			break
		}
	}
	return 0, false
}

// capitalizedBefore reports whether the word that ends at p (as
// wordsBefore reads it) is capitalized; ASCII words are checked without
// wordsBefore.
func capitalizedBefore(s string, p int) bool {
	q := p
	for q > 0 && p-q < 40 {
		c := s[q-1]
		if isAlpha(c) || c == '\'' || c == '-' || c == '.' {
			q--
			continue
		}
		if c >= utf8.RuneSelf {
			var ws [1]span
			return wordsBefore(s, p, ws[:]) == 1 && capitalized(s[ws[0].s:ws[0].e])
		}
		break
	}
	for q < p && (s[q] == '.' || s[q] == '-') {
		q++
	}
	return q < p && isUpper(s[q]) && !(q > 0 && isStreetByte(s[q-1]) && p-q >= 40)
}

// frenchTypeAt reports whether a French street type starts at j.
func frenchTypeAt(s string, j int) bool {
	e := j
	for e < len(s) && e-j < 10 && (isLower(s[e]) || s[e] >= utf8.RuneSelf) {
		e++
	}
	return frenchStreetTypes[s[j:e]]
}

// joinWords returns the words of s[st:e] separated by single spaces.
func joinWords(s string, st, e int) string {
	w := s[st:e]
	if strings.Contains(w, "\u00a0") {
		w = strings.ReplaceAll(w, "\u00a0", " ")
	}
	return w
}

// streetAfter: an English ("221B Baker Street") or French ("12 rue de la
// Paix") address starting at the house number at i.
func streetAfter(s string, i int) *Finding {
	e := digitsEnd(s, i)
	if e-i > 5 || s[i] == '0' {
		return nil
	}
	j := e
	if isAlpha(at(s, j)) && !wordAt(s, j+1) {
		j++ // "221B"
	}
	num := s[i:j]
	if wordAt(s, j) {
		return nil
	}
	k := j
	if at(s, k) == ',' {
		k++
	}
	sw := wordSepAt(s, k)
	if sw == 0 {
		return nil
	}
	// A capitalized word or a French street type follows.
	if c := at(s, k+sw); !isUpper(c) && strings.IndexByte("rabpqci", c) < 0 {
		return nil
	}
	var ws [6]span
	n := wordsAfter(s, k+sw, ws[:])
	if n < 2 {
		return nil
	}
	word := func(k int) string { return s[ws[k].s:ws[k].e] }
	w0 := word(0)
	switch lowerASCII(w0) {
	case "the", "a", "an", "de", "het", "een", "in", "on", "at", "of":
		return nil
	}
	if capitalized(w0) {
		for m := 1; m < n && m < 4; m++ {
			w := word(m)
			if !capitalized(w) {
				break
			}
			if englishStreetTypes[lowerASCII(w)] {
				end := ws[m].e
				if w[len(w)-1] != '.' && at(s, end) == '.' && (lowerASCII(w) == "st" || lowerASCII(w) == "rd" || lowerASCII(w) == "ave" || lowerASCII(w) == "dr") && !isAlpha(at(s, end+1)) {
					end++
				}
				return &Finding{Type: TypeAddress, Start: i, End: end, Value: num + " " + joinWords(s, ws[0].s, end), Valid: true}
			}
		}
	}
	if lw0 := lowerASCII(w0); frenchStreetTypes[lw0] && w0[1:] == lw0[1:] {
		// "place", "avenue", "route" and "cours" are English words too:
		// they need a French word after them ("12 avenue de la Gare").
		french := lw0 != "place" && lw0 != "avenue" && lw0 != "route" && lw0 != "cours"
		last := -1
		for m := 1; m < n; m++ {
			w := word(m)
			lw := lowerASCII(w)
			if capitalized(w) {
				if french {
					last = m
				}
				continue
			}
			if frenchConnectors[lw] || strings.HasPrefix(lw, "l'") || strings.HasPrefix(lw, "d'") {
				french = true
				if len(lw) > 2 && capitalized(w[2:]) {
					last = m
				}
				continue
			}
			break
		}
		if last > 0 {
			end := ws[last].e
			return &Finding{Type: TypeAddress, Start: i, End: end, Value: num + " " + joinWords(s, ws[0].s, end), Valid: true}
		}
	}
	return nil
}
