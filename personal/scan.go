package personal

import "strings"

// Triggers: the bytes at which the scanner stops to look closer. Every
// other byte costs one table lookup.
const (
	trDigit = 1 + iota
	trAt
	trSlash
	trColon
	trDot
	trBracket
)

var trigger = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = trDigit
	}
	t['@'] = trAt
	t['/'] = trSlash
	t[':'] = trColon
	t['.'] = trDot
	t['('] = trBracket
	t['['] = trBracket
	t['{'] = trBracket
	return t
}()

const (
	ones = 0x0101010101010101
	lo7  = 0x7f7f7f7f7f7f7f7f
	high = 0x8080808080808080
)

// load64 reads eight bytes of s from i, little-endian (the compiler makes
// it one load).
func load64(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// hasByte reports whether a byte of x is c (exactly: the borrow of the
// subtraction only spreads above a byte that is c).
func hasByte(x uint64, c byte) bool {
	y := x ^ (ones * uint64(c))
	return (y-ones)&^y&high != 0
}

// mayTrigger reports whether one of the eight bytes in x is a trigger: one
// of ". / 0-9 :" (0x2e-0x3a, tested at once for ASCII bytes: Hacker's
// Delight's "has a byte between"), '@', '(', '[' or '{'. The loop after it
// finds which.
func mayTrigger(x uint64) bool {
	a := x & lo7
	between := (ones*(127+0x3b) - a) &^ x & (a + ones*(127-0x2d)) & high
	return between != 0 || hasByte(x, '@') || hasByte(x, '(') || hasByte(x, '[') || hasByte(x, '{')
}

// scanner is the state of one Detect call.
type scanner struct {
	d   *Detector
	s   string
	out []Finding
	// phoneChecks counts the validations of phone numbers, which cost
	// microseconds each: a text made of phone-like numbers gets at most
	// 64 + 1 per 128 bytes.
	phoneChecks int
}

func (sc *scanner) add(f Finding) { sc.out = append(sc.out, f) }

func (sc *scanner) run() {
	s := sc.s
	n := len(s)
	i := 0
	for i < n {
		// The hot loop: skip eight bytes at a time while none triggers.
		for i+8 <= n && !mayTrigger(load64(s, i)) {
			i += 8
		}
		for i < n && trigger[s[i]] == 0 {
			i++
		}
		if i >= n {
			break
		}
		var next int
		switch trigger[s[i]] {
		case trDigit:
			next = sc.digit(i)
		case trAt:
			next = sc.at(i)
		case trSlash:
			next = sc.slash(i)
		case trColon:
			next = sc.colon(i)
		case trDot:
			next = sc.dot(i)
		case trBracket:
			next = sc.bracket(i)
		}
		i = max(next, i+1)
	}
	sc.wordMarkers()
}

// digit looks at the token with a digit at i: every detector that may
// apply, judged by the length of the run of digits and the byte after it,
// proposes a finding, and the longest is kept.
func (sc *scanner) digit(i int) int {
	s := sc.s
	ts := alnumStart(s, i)
	te := alnumEnd(s, i)
	var best *Finding
	consider := func(f *Finding) {
		if f != nil && (best == nil || better(*f, *best)) {
			best = f
		}
	}
	prev := at(s, i-1)
	if ts < i {
		// Letters before the digits: an IBAN, a document number, a plate.
		if te-ts == 4 || te-ts >= 15 { // "NL91 ABNA …" or "NL91ABNA…"
			consider(iban(s, ts))
		}
		if te-ts == 9 {
			consider(idDocument(s, ts, te))
		}
		if prev == '-' || at(s, te) == '-' {
			consider(plate(s, ts))
		}
	} else {
		run := digitsEnd(s, i) - i
		next := at(s, i+run)
		sep := next == ' ' || next == '.' || next == '-' || next == 0xc2
		// A BSN first: nine digits that pass the 11-proof and could also
		// be a Dutch 0900 number ("090681344") are a BSN (better keeps
		// the first of equal candidates).
		if run == 9 || (run == 3 || run == 4) && sep {
			consider(bsn(s, i))
		}
		if s[i] == '0' || prev == '+' {
			consider(sc.phone(i))
		}
		if (run >= 13 || run == 4 && (next == ' ' || next == '-' || next == 0xc2)) && s[i] >= '2' && s[i] <= '6' {
			consider(paymentCard(s, i))
		}
		if run <= 3 && next == '.' {
			consider(ipv4(s, i))
		}
		if run == 4 {
			consider(postcode(s, i))
		}
		if run == 10 {
			consider(drivingLicence(s, i))
		}
		if run <= 2 || run == 4 {
			consider(birthDate(s, i))
		}
		if run <= 3 {
			consider(age(s, i))
		}
		if run <= 5 {
			consider(address(s, i))
		}
		if run <= 3 && (next == '-' || prev == '-') {
			consider(plate(s, i))
		}
	}
	if best != nil {
		sc.add(*best)
		return max(best.End, te)
	}
	return te
}

// at handles '@': an e-mail address around it, or a handle after it.
func (sc *scanner) at(i int) int {
	s := sc.s
	if f, ok := email(s, i, i+1); ok {
		sc.add(f)
		return f.End
	}
	// "jan @ voorbeeld.nl"
	if hspaceBefore(s, i) > 0 && hspace(s, i+1) > 0 {
		if f, ok := email(s, i-hspaceBefore(s, i), i+1+hspace(s, i+1)); ok {
			sc.add(f)
			return f.End
		}
	}
	if f, ok := handle(s, i); ok {
		sc.add(f)
		return f.End
	}
	return i + 1
}

// bracket handles '(', '[' and '{': "[at]" of an obfuscated e-mail address.
func (sc *scanner) bracket(i int) int {
	s := sc.s
	if w := bracketWord(s, i, "at"); w > 0 || bracketWord(s, i, "@") > 0 {
		if w == 0 {
			w = bracketWord(s, i, "@")
		}
		from, to := i, i+w
		from -= hspaceBefore(s, from)
		to += hspace(s, to)
		if f, ok := email(s, from, to); ok {
			sc.add(f)
			return f.End
		}
	}
	return i + 1
}

// dot handles a '.' between a letter or digit and a letter: the domain of
// "jan at voorbeeld.nl".
func (sc *scanner) dot(i int) int {
	s := sc.s
	if i == 0 || !isAlnum(s[i-1]) || !isAlpha(at(s, i+1)) {
		return i + 1
	}
	ls := i
	for ls > 0 && (isAlnum(s[ls-1]) || s[ls-1] == '-') {
		ls--
	}
	if from, to, ok := plainAtBefore(s, ls); ok {
		if f, ok := email(s, from, to); ok {
			sc.add(f)
			return f.End
		}
	}
	// Skip the rest of the dotted word.
	j := i + 1
	for j < len(s) && (isAlnum(s[j]) || s[j] == '-') {
		j++
	}
	return j
}

// wordMarkers finds e-mail addresses spelled out with words only, "jan at
// voorbeeld dot nl", which have no byte that triggers the scanner: it
// looks for the rare words " dot " and " punt " (in lower case) with
// strings.Index, which is much faster than the scan.
func (sc *scanner) wordMarkers() {
	s := sc.s
	for _, m := range [...]string{" dot ", " punt "} {
		for off := 0; ; {
			k := strings.Index(s[off:], m)
			if k < 0 {
				break
			}
			k += off
			off = k + len(m)
			ls := k
			for ls > 0 && (isAlnum(s[ls-1]) || s[ls-1] == '-') {
				ls--
			}
			if ls == k {
				continue
			}
			if from, to, ok := plainAtBefore(s, ls); ok {
				if f, ok := email(s, from, to); ok {
					sc.add(f)
					off = max(off, f.End)
				}
			}
		}
	}
}

// plainAtBefore finds the word "at" (" at ", " AT ") that ends right before
// the domain starting at ls.
func plainAtBefore(s string, ls int) (from, to int, ok bool) {
	w := hspaceBefore(s, ls)
	if w == 0 || ls-w < 2 || !hasSuffixFold(s, ls-w, "at") {
		return 0, 0, false
	}
	from = ls - w - 2
	v := hspaceBefore(s, from)
	if v == 0 {
		return 0, 0, false
	}
	return from - v, ls, true
}

// bracketWord returns the length of "(w)", "[w]" or "{w}" at i (w matched
// case-insensitively), or 0.
func bracketWord(s string, i int, w string) int {
	var close byte
	switch at(s, i) {
	case '(':
		close = ')'
	case '[':
		close = ']'
	case '{':
		close = '}'
	default:
		return 0
	}
	if hasPrefixFold(s, i+1, w) && at(s, i+1+len(w)) == close {
		return len(w) + 2
	}
	return 0
}

// colon handles ':': an IPv6 address around it.
func (sc *scanner) colon(i int) int {
	s := sc.s
	c := at(s, i+1)
	if !(isHex(c) || c == ':') {
		return i + 1
	}
	if f, end, ok := ipv6(s, i); ok {
		sc.add(f)
		return end
	}
	return i + 1
}

// slash handles '/': a URL around it (a profile URL, a wa.me link, an IP
// address as host) or a reddit "u/name". Nothing else is reported inside a
// URL.
func (sc *scanner) slash(i int) int {
	s := sc.s
	fs, end := urlAt(s, i, sc.d.region)
	for _, f := range fs {
		sc.add(f)
	}
	return max(end, i+1)
}
