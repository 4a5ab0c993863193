package personal

import (
	"net/netip"
	"strings"
)

// groups are runs of digits separated by one kind of separator.
type groups struct {
	n    int
	lens [8]int // digits in each group
	ends [8]int // end of each group
	sep  byte   // the separator, 0 if one group; ' ' also for a no-break space
}

// readGroups reads up to len(groups.lens) groups of digits from i, separated
// by one separator from seps, the same throughout (' ' in seps allows a
// no-break space too), at most maxDigits digits in all.
func readGroups(s string, i int, seps string, maxDigits int) (g groups) {
	j, total := i, 0
	for g.n < len(g.lens) {
		e := digitsEnd(s, j)
		if e == j {
			break
		}
		g.lens[g.n], g.ends[g.n] = e-j, e
		g.n++
		total += e - j
		if total > maxDigits {
			break
		}
		c, w := at(s, e), 1
		if c == 0xc2 && at(s, e+1) == 0xa0 {
			c, w = ' ', 2
		}
		if c == 0 || strings.IndexByte(seps, c) < 0 || (g.sep != 0 && c != g.sep) || !isDigit(at(s, e+w)) {
			break
		}
		g.sep = c
		j = e + w
	}
	return g
}

// digitsIn appends the digits of s[i:end] to dst.
func digitsIn(dst []byte, s string, i, end int) []byte {
	for k := i; k < end; k++ {
		if isDigit(s[k]) {
			dst = append(dst, s[k])
		}
	}
	return dst
}

// matchGroups returns how many of g's groups form one of the patterns, 0
// if none. Groups after the pattern are allowed only when the separator is
// a space (the pattern is a number followed by another).
func matchGroups(g groups, patterns ...[]int) int {
	for _, p := range patterns {
		if len(p) > g.n || (len(p) < g.n && g.sep != ' ') {
			continue
		}
		if slicesEqual(g.lens[:len(p)], p) {
			return len(p)
		}
	}
	return 0
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ValidBSN reports whether s is nine digits that pass the 11-proof.
func ValidBSN(s string) bool {
	if len(s) != 9 {
		return false
	}
	sum, zero := 0, true
	for k := 0; k < 9; k++ {
		c := s[k]
		if !isDigit(c) {
			return false
		}
		if c != '0' {
			zero = false
		}
		w := 9 - k
		if k == 8 {
			w = -1
		}
		sum += w * int(c-'0')
	}
	return !zero && sum%11 == 0
}

var bsnKeywords = []string{"bsn", "burgerservicenummer", "sofinummer", "sofi-nummer", "citizen service number"}

// bsn: nine digits, plain or as 123.456.782, 123 456 782, 1234.56.782.
// A number that fails the 11-proof is reported (not valid) only after a
// word such as "BSN".
func bsn(s string, i int) *Finding {
	if !numStartOK(s, i) {
		return nil
	}
	g := readGroups(s, i, " .-", 12)
	k := matchGroups(g, []int{9}, []int{3, 3, 3}, []int{4, 2, 3})
	if k == 0 || !numEndOK(s, g.ends[k-1]) {
		return nil
	}
	end := g.ends[k-1]
	var buf [16]byte
	v := string(digitsIn(buf[:0], s, i, end))
	valid := ValidBSN(v)
	if !valid && !wordFoldBefore(s, i, 40, bsnKeywords...) {
		return nil
	}
	return &Finding{Type: TypeBSN, Start: i, End: end, Value: v, Valid: valid}
}

// ibanLengths is the length of the IBANs of each country (the SWIFT
// registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
	"LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
	"NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
	"RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// ibanMod97 returns the IBAN (upper case, no spaces) modulo 97 after moving
// its first four characters to the end; a valid IBAN gives 1.
func ibanMod97(v string) int {
	m := 0
	for k := 0; k < len(v); k++ {
		c := v[(k+4)%len(v)]
		switch {
		case isDigit(c):
			m = (m*10 + int(c-'0')) % 97
		case isUpper(c):
			m = (m*100 + int(c-'A') + 10) % 97
		default:
			return -1
		}
	}
	return m
}

// ValidIBAN reports whether s (upper case, no spaces) has its country's
// length and passes mod-97.
func ValidIBAN(s string) bool {
	if len(s) < 4 || !isUpper(s[0]) || !isUpper(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	return ibanLengths[s[:2]] == len(s) && ibanMod97(s) == 1
}

// iban at ts, the start of a token: a known country code, two check
// digits, then the country's length in letters and digits, with spaces
// allowed between groups of four. One with a wrong checksum is reported
// (not valid) when written in capitals.
func iban(s string, ts int) *Finding {
	if len(s)-ts < 15 || !isAlpha(s[ts]) || !isAlpha(s[ts+1]) || !isDigit(s[ts+2]) || !isDigit(s[ts+3]) || wordBefore(s, ts) {
		return nil
	}
	var cc [2]byte
	cc[0], cc[1] = toUpper(s[ts]), toUpper(s[ts+1])
	n := ibanLengths[string(cc[:])]
	if n == 0 {
		return nil
	}
	var buf [34]byte
	k, j, upper := 0, ts, true
	for j < len(s) && k < n {
		c := s[j]
		if isAlnum(c) {
			if isLower(c) {
				upper = false
			}
			buf[k] = toUpper(c)
			k++
			j++
			continue
		}
		if w := hspace(s, j); w > 0 && s[j] != '\t' && k%4 == 0 && isAlnum(at(s, j+w)) {
			j += w
			continue
		}
		break
	}
	if k != n || isAlnum(at(s, j)) || wordAt(s, j) {
		return nil
	}
	v := string(buf[:k])
	valid := ibanMod97(v) == 1
	if !valid && !upper {
		return nil
	}
	return &Finding{Type: TypeIBAN, Start: ts, End: j, Value: v, Valid: valid}
}

// cardLengths returns the lengths allowed for a payment card number with
// the digits d (its IIN), or 0, 0 for an unknown IIN.
func cardLengths(d string) (lo, hi int) {
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p4 := p2*100 + int(d[2]-'0')*10 + int(d[3]-'0')
	p3 := p4 / 10
	p6 := p4*100 + int(d[4]-'0')*10 + int(d[5]-'0')
	switch {
	case d[0] == '4': // Visa
		return 13, 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return 16, 16
	case p2 == 34 || p2 == 37: // American Express
		return 15, 15
	case p4 >= 2200 && p4 <= 2204: // Mir
		return 16, 19
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65, p6 >= 622126 && p6 <= 622925: // Discover
		return 16, 19
	case p2 == 62: // UnionPay
		return 16, 19
	case p4 >= 3528 && p4 <= 3589: // JCB
		return 16, 19
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return 14, 19
	case p2 == 50, p2 >= 56 && p2 <= 58, d[0] == '6': // Maestro
		return 13, 19
	}
	return 0, 0
}

func luhn(d string) bool {
	sum := 0
	double := false
	for k := len(d) - 1; k >= 0; k-- {
		v := int(d[k] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// ValidPaymentCard reports whether s is 13–19 digits with a known IIN, a
// length that fits it, and a valid Luhn check digit.
func ValidPaymentCard(s string) bool {
	if len(s) < 13 || len(s) > 19 {
		return false
	}
	for k := 0; k < len(s); k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	lo, hi := cardLengths(s)
	return lo > 0 && len(s) >= lo && len(s) <= hi && luhn(s)
}

// paymentCard: 13–19 digits, plain or in groups (4-4-4-4, 4-6-5, …) with
// spaces or dashes. Valid when the IIN is known and the Luhn check passes;
// a number grouped like a card (4-4-4-4) with a known IIN that fails it is
// reported as not valid.
func paymentCard(s string, i int) *Finding {
	if s[i] == '0' || s[i] == '1' || !numStartOK(s, i) {
		return nil
	}
	g := readGroups(s, i, " -", 19)
	if g.n == 0 || (g.n == 1 && g.lens[0] < 13) {
		return nil
	}
	// The longest grouping that looks like a card number.
	k, total := 0, 0
	if g.n == 1 {
		k, total = 1, g.lens[0]
	} else if p := matchGroups(g, []int{4, 6, 5}, []int{4, 6, 4}); p > 0 {
		k, total = p, g.lens[0]+g.lens[1]+g.lens[2]
	} else {
		t := 0
		for j := 0; j < g.n; j++ {
			if j > 0 && g.lens[j-1] != 4 {
				break
			}
			t += g.lens[j]
			if t >= 13 && t <= 19 && (j == g.n-1 || g.sep == ' ') && numEndOK(s, g.ends[j]) {
				k, total = j+1, t
			}
		}
	}
	if k == 0 || total < 13 || total > 19 || !numEndOK(s, g.ends[k-1]) {
		return nil
	}
	end := g.ends[k-1]
	var buf [24]byte
	v := string(digitsIn(buf[:0], s, i, end))
	if lo, _ := cardLengths(v); lo == 0 {
		return nil
	}
	valid := ValidPaymentCard(v)
	if !valid && !(k == 4 && total == 16) {
		return nil
	}
	return &Finding{Type: TypePaymentCard, Start: i, End: end, Value: v, Valid: valid}
}

// ipv4 at i: four decimal octets.
func ipv4(s string, i int) *Finding {
	if !numStartOK(s, i) {
		return nil
	}
	j := i
	for part := 0; part < 4; part++ {
		e := digitsEnd(s, j)
		if e == j || e-j > 3 {
			return nil
		}
		j = e
		if part < 3 {
			if at(s, j) != '.' {
				return nil
			}
			j++
		}
	}
	if !numEndOK(s, j) && !(at(s, j) == ':' && isDigit(at(s, j+1))) { // a port
		return nil
	}
	a, err := netip.ParseAddr(s[i:j])
	if err != nil {
		return nil
	}
	return &Finding{Type: TypeIP, Start: i, End: j, Value: a.String(), Valid: true}
}

// ipv6 around the ':' at i. It returns where scanning may go on.
func ipv6(s string, i int) (f Finding, end int, ok bool) {
	st := i
	for st > 0 && i-st < 40 && (isHex(s[st-1]) || s[st-1] == ':') {
		st--
	}
	e := i
	for e < len(s) && e-st < 46 && (isHex(s[e]) || s[e] == ':' || s[e] == '.') {
		e++
	}
	for e > i+1 && s[e-1] == '.' {
		e--
	}
	if e-st > 2 && s[e-1] == ':' && s[e-2] != ':' {
		e--
	}
	if (st > 0 && (wordBefore(s, st) || s[st-1] == '.' || s[st-1] == '-')) || wordAt(s, e) || strings.Count(s[st:e], ":") < 2 {
		return Finding{}, e, false
	}
	a, err := netip.ParseAddr(s[st:e])
	if err != nil || !a.Is6() || a.IsUnspecified() {
		return Finding{}, e, false
	}
	return Finding{Type: TypeIP, Start: st, End: e, Value: a.String(), Valid: true}, e, true
}

// ValidIDDocument reports whether s is a Dutch passport or identity card
// number (two letters, six letters or digits, one digit, no letter O) or a
// Dutch driving licence number (ten digits).
func ValidIDDocument(s string) bool {
	if len(s) == 10 {
		for k := 0; k < 10; k++ {
			if !isDigit(s[k]) {
				return false
			}
		}
		return true
	}
	if len(s) != 9 || !isDigit(s[8]) {
		return false
	}
	for k := 0; k < 8; k++ {
		c := s[k]
		if c == 'O' || !(isUpper(c) || (k >= 2 && isDigit(c))) {
			return false
		}
	}
	return true
}

// idDocument: the token [ts, te) is a Dutch passport or identity card
// number: two letters, six letters or digits, one digit, no letter O
// (RvIG's document number since 2014), in capitals.
func idDocument(s string, ts, te int) *Finding {
	if te-ts != 9 || !ValidIDDocument(s[ts:te]) || wordBefore(s, ts) || wordAt(s, te) {
		return nil
	}
	if c := at(s, ts-1); c == '-' || c == '/' || c == '.' {
		return nil
	}
	if c := at(s, te); c == '-' || c == '/' || (c == '.' && isAlnum(at(s, te+1))) {
		return nil
	}
	return &Finding{Type: TypeIDDocument, Start: ts, End: te, Value: s[ts:te], Valid: true}
}

var licenceKeywords = []string{"rijbewijs", "driving licence", "driving license", "driver's license", "drivers license", "driver license", "führerschein"}

// drivingLicence: ten digits shortly after "rijbewijs" (or "driving
// licence"…): a Dutch driving licence number.
func drivingLicence(s string, i int) *Finding {
	e := digitsEnd(s, i)
	if e-i != 10 || !numStartOK(s, i) || !numEndOK(s, e) || !wordFoldBefore(s, i, 40, licenceKeywords...) {
		return nil
	}
	return &Finding{Type: TypeIDDocument, Start: i, End: e, Value: s[i:e], Valid: true}
}

// Side codes of Dutch licence plates: L a letter, D a digit.
var sideCodes = map[string]int{
	"LL-DD-DD": 1, "DD-DD-LL": 2, "DD-LL-DD": 3, "LL-DD-LL": 4, "LL-LL-DD": 5, "DD-LL-LL": 6,
	"DD-LLL-D": 7, "D-LLL-DD": 8, "LL-DDD-L": 9, "L-DDD-LL": 10, "LLL-DD-L": 11, "L-DD-LLL": 12,
	"D-LL-DDD": 13, "DDD-LL-D": 14,
}

// Letters of plates since side code 4 (no vowels, no C, M, Q, W, Y), and
// letter groups that are not issued.
const plateLetters = "BDFGHJKLNPRSTVXZ"

var plateBanned = map[string]bool{
	"GVD": true, "KKK": true, "KVT": true, "LPF": true, "NSB": true, "PKK": true, "PSV": true,
	"PVV": true, "SGP": true, "SS": true, "SD": true, "SA": true, "TBS": true, "VVD": true, "FVD": true,
}

// plateShape returns the side-code pattern of v ("12-ABC-3" gives
// "DD-LLL-D"), "" when a group mixes letters and digits.
func plateShape(v string) string {
	var b [10]byte
	n := 0
	for k := 0; k < len(v) && n < len(b); k++ {
		switch c := v[k]; {
		case isDigit(c):
			b[n] = 'D'
		case isUpper(c):
			b[n] = 'L'
		case c == '-':
			b[n] = '-'
		default:
			return ""
		}
		n++
	}
	return string(b[:n])
}

// ValidLicencePlate reports whether v (upper case, with dashes) fits a
// Dutch side code and uses only letters that plates of that side code use.
func ValidLicencePlate(v string) bool {
	code := sideCodes[plateShape(v)]
	if code == 0 {
		return false
	}
	for _, g := range strings.Split(v, "-") {
		if !isUpper(g[0]) {
			continue
		}
		if code >= 4 {
			for k := 0; k < len(g); k++ {
				if strings.IndexByte(plateLetters, g[k]) < 0 {
					return false
				}
			}
		}
		if plateBanned[g] {
			return false
		}
	}
	return true
}

// plate: a Dutch licence plate in the token at p, which may be the second
// or third group of the plate.
func plate(s string, p int) *Finding {
	starts := [3]int{p, -1, -1}
	if at(s, p-1) == '-' {
		q := alnumStart(s, p-1)
		if q < p-1 {
			starts[1] = q
			if at(s, q-1) == '-' {
				if r := alnumStart(s, q-1); r < q-1 {
					starts[2] = r
				}
			}
		}
	}
	for k := 2; k >= 0; k-- {
		if starts[k] >= 0 {
			if f := plateAt(s, starts[k]); f != nil {
				return f
			}
		}
	}
	return nil
}

func plateAt(s string, p int) *Finding {
	if wordBefore(s, p) || at(s, p-1) == '-' {
		return nil
	}
	var ends [3]int
	j := p
	for g := 0; g < 3; g++ {
		e := alnumEnd(s, j)
		if e == j || e-j > 3 {
			return nil
		}
		ends[g] = e
		if g < 2 {
			if at(s, e) != '-' {
				return nil
			}
			j = e + 1
		}
	}
	end := ends[2]
	if end-p != 8 || wordAt(s, end) || (at(s, end) == '-' && isAlnum(at(s, end+1))) {
		return nil
	}
	var buf [8]byte
	lower, upper := false, false
	for k := 0; k < 8; k++ {
		c := s[p+k]
		if isLower(c) {
			lower = true
		} else if isUpper(c) {
			upper = true
		}
		buf[k] = toUpper(c)
	}
	if lower && upper {
		return nil
	}
	v := string(buf[:])
	if sideCodes[plateShape(v)] == 0 {
		return nil
	}
	return &Finding{Type: TypeLicencePlate, Start: p, End: end, Value: v, Valid: ValidLicencePlate(v)}
}
