package personal

import (
	"bytes"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

var phoneKeywords = []string{"tel", "tel.", "telefoon", "telefoonnummer", "phone", "mobiel", "mobile", "gsm", "bel", "call", "whatsapp", "nummer", "number", "nr"}

// phone at the digit i: '+' and a country code, "00" and a country code,
// or a national number starting with 0, with spaces, dashes, dots,
// slashes and parentheses between the digits ("+31 (0)6-12345678",
// "(020) 123 45 67"). It is parsed and validated with libphonenumber
// (nyaruka/phonenumbers), numbers without a country code in the
// detector's region. Only valid numbers are reported, and possible but
// not valid ones after a word such as "tel" or "phone".
func (sc *scanner) phone(i int) *Finding {
	s := sc.s
	start, plus := i, false
	switch {
	case at(s, i-1) == '+':
		if s[i] == '0' {
			return nil
		}
		start, plus = i-1, true
	case s[i] == '0':
		if at(s, i-1) == '(' {
			start = i - 1
		}
	default:
		return nil
	}
	if start < i {
		if wordBefore(s, start) {
			return nil
		}
	} else if !numStartOK(s, i) {
		return nil
	}
	// The ends of the groups of digits, the candidates' ends.
	var ends [16]int
	var counts [16]int
	n, digits, sepRun := 0, 0, 0
	j := i
scan:
	for j < len(s) {
		c := s[j]
		if isDigit(c) {
			digits++
			j++
			sepRun = 0
			if !isDigit(at(s, j)) && n < len(ends) {
				ends[n], counts[n] = j, digits
				n++
			}
			if digits > 17 {
				break
			}
			continue
		}
		w := 1
		switch c {
		case '.', '/':
			if !isDigit(at(s, j+1)) {
				break scan // "06-12345678. 1971": the end of a sentence
			}
		case ' ', '-', '(', ')':
		case 0xc2:
			if at(s, j+1) != 0xa0 {
				break scan
			}
			w = 2
		default:
			break scan
		}
		sepRun++
		if sepRun > 3 {
			break
		}
		j += w
	}
	international := plus || (s[i] == '0' && at(s, i+1) == '0')
	minDigits, maxDigits := 9, 12
	switch {
	case plus:
		minDigits, maxDigits = 8, 15
	case international:
		minDigits, maxDigits = 10, 17
	}
	tries := 0
	for k := n - 1; k >= 0 && tries < 3; k-- {
		end, cnt := ends[k], counts[k]
		if cnt < minDigits {
			break
		}
		if cnt > maxDigits || !numEndOK(s, end) {
			continue
		}
		// Shorter candidates only where a space separates the rest.
		if k < n-1 && hspace(s, end) == 0 {
			continue
		}
		tries++
		if sc.phoneChecks++; sc.phoneChecks > 64+len(s)/128 {
			return nil // a page of nothing but phone-like numbers
		}
		v, valid, possible := parsePhone(s[start:end], sc.d.region)
		if valid || (possible && wordFoldBefore(s, start, 30, phoneKeywords...)) {
			return &Finding{Type: TypePhone, Start: start, End: end, Value: v, Valid: valid}
		}
	}
	return nil
}

// parsePhone parses a phone number as written (digits, '+', separators and
// a "(0)" after the country code) with the default region, and returns it
// in E.164.
func parsePhone(raw, region string) (e164 string, valid, possible bool) {
	var buf [24]byte
	b := buf[:0]
	intl := false
	for k := 0; k < len(raw) && len(b) < len(buf); k++ {
		c := raw[k]
		switch {
		case c == '+' && len(b) == 0:
			b = append(b, '+')
			intl = true
		case isDigit(c):
			b = append(b, c)
			if len(b) == 2 && b[0] == '0' && b[1] == '0' {
				intl = true
			}
		case c == '(' && intl && len(b) > 1 && k+2 < len(raw) && raw[k+1] == '0' && raw[k+2] == ')':
			k += 2 // "+31 (0)6…": the trunk prefix, not dialled from abroad
		}
	}
	if v, handled, valid, possible := fastPhone(b, region); handled {
		return v, valid, possible
	}
	return slowPhone(string(b), region)
}

// slowPhone is libphonenumber's Parse, IsValidNumber and Format.
func slowPhone(number, region string) (e164 string, valid, possible bool) {
	num, err := phonenumbers.Parse(number, region)
	if err != nil {
		return "", false, false
	}
	return phonenumbers.Format(num, phonenumbers.E164), phonenumbers.IsValidNumber(num), phonenumbers.IsPossibleNumber(num)
}

// phoneRegion is what the fast path needs of a region's metadata.
type phoneRegion struct {
	cc     int
	ndd    string // national prefix, e.g. "0"
	idd00  bool   // "00" is the international prefix
	simple bool   // the national prefix is stripped as is, without rules
}

var phoneRegions = sync.OnceValue(func() map[string]phoneRegion {
	m := map[string]phoneRegion{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return m
	}
	for _, md := range coll.GetMetadata() {
		ndd := md.GetNationalPrefix()
		npfp := md.GetNationalPrefixForParsing()
		m[md.GetId()] = phoneRegion{
			cc:     int(md.GetCountryCode()),
			ndd:    ndd,
			idd00:  md.GetInternationalPrefix() == "00",
			simple: md.GetNationalPrefixTransformRule() == "" && (npfp == ndd || (npfp == "" && ndd == "")) && allDigits(ndd+"0"),
		}
	}
	return m
})

// fastPhone parses the digits b ('+' first for an international number)
// without libphonenumber's parser, which spends most of its time in
// regular expressions, for the common cases: '+' or "00" and a country
// code, or a national number with a plain national prefix (NL's "0"), and
// validates the number with IsValidNumber. When it handles a number, it
// gives what Parse would (TestFastPhone compares them); every other case
// goes to the full parser.
func fastPhone(b []byte, region string) (e164 string, handled, valid, possible bool) {
	if len(b) < 4 {
		return
	}
	regions := phoneRegions()
	var d []byte
	cc := 0
	switch {
	case b[0] == '+':
		d = b[1:]
	case b[0] == '0' && b[1] == '0' && regions[region].idd00:
		d = b[2:]
		if d[0] == '0' {
			return
		}
	default:
		r, ok := regions[region]
		if !ok || !r.simple || r.ndd == "" || !bytes.HasPrefix(b, []byte(r.ndd)) {
			return
		}
		cc, d = r.cc, b[len(r.ndd):]
	}
	if cc == 0 {
		if d[0] == '0' {
			return
		}
		for l := 1; l <= 3 && l < len(d); l++ {
			c := atoi(string(d[:l]))
			reg := phonenumbers.GetRegionCodeForCountryCode(c)
			if reg == phonenumbers.UNKNOWN_REGION {
				continue
			}
			r, ok := regions[reg]
			if !ok || !r.simple || (r.ndd != "" && bytes.HasPrefix(d[l:], []byte(r.ndd))) {
				return
			}
			cc, d = c, d[l:]
			break
		}
		if cc == 0 {
			return
		}
	}
	if len(d) < 2 || len(d) > 17 || d[0] == '0' {
		return
	}
	var nsn uint64
	for _, c := range d {
		if !isDigit(c) {
			return
		}
		nsn = nsn*10 + uint64(c-'0')
	}
	cc32 := int32(cc)
	num := &phonenumbers.PhoneNumber{CountryCode: &cc32, NationalNumber: &nsn}
	e164 = "+" + strconv.Itoa(cc) + string(d)
	if phonenumbers.IsValidNumber(num) {
		return e164, true, true, true
	}
	return e164, true, false, phonenumbers.IsPossibleNumber(num)
}

// ValidPhone reports whether s is a valid phone number in E.164 ("+" and
// digits).
func ValidPhone(s string) bool {
	if len(s) < 4 || s[0] != '+' {
		return false
	}
	for k := 1; k < len(s); k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	v, valid, _ := parsePhone(s, "ZZ")
	return valid && v == s
}

// NormalizePhone returns a phone number as written ("06 12 34 56 78",
// "+31 (0)6-12345678", "0031612345678") in E.164, numbers without a
// country code in region ("" is "NL"), and whether it is a valid number.
func NormalizePhone(raw, region string) (string, bool) {
	if region == "" {
		region = "NL"
	}
	v, valid, _ := parsePhone(raw, region)
	return v, valid
}
