package personal

import "testing"

var fuzzSeeds = []string{
	"",
	"Mijn BSN is 123.456.782 en IBAN NL91 ABNA 0417 1643 00.",
	"Bel 06 12 34 56 78 of +31 (0)6-12345678 of (020) 123 4567, 0031 6 12345678",
	"jan [at] voorbeeld [dot] nl, jan at voorbeeld dot nl, jan(at)voorbeeld.nl, jan @ x.nl",
	"Voorbeeldstraat 12, 1234 AB Amsterdam; Laan van Meerdervoort 5-B; 10 Downing Street; 12 rue de la Paix",
	"kenteken 12-BDF-3, AB-123-C, geboren 12-03-2009, born March 12, 2009, DOB: 2009-03-12",
	"Jan (15), 15 jaar oud, age 15, SPECI2014, rijbewijs 5012345678, 4111 1111 1111 1111",
	"192.0.2.1 2001:db8::1 ::ffff:192.0.2.1 [::1]:80 @jansen u/jansen @a@b.nl",
	"https://www.instagram.com/jan/ tiktok.com/@jan https://wa.me/31612345678 http://[2001:db8::1]/",
	"Naam:\tJan\nTel:\t06-12345678\r\nZoë “06 12345678” — 😀192.0.2.1😀 «123456782»",
	"1.2.3.4.5 ::: :::: @@ [at] (at) .@. 0000 00 00 +0 +31 ( ) -- //// :// a:/ u/ /u/",
	"\xff\xfe06 12345678\xc2\xa0\xc2 1234\xc2\xa0AB \xe2\x80",
}

// FuzzDetect: Detect never panics, its findings are in bounds, sorted and
// not overlapping, and valid findings re-validate.
func FuzzDetect(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		fs := Detect(text)
		checkInvariants(t, text, fs)
	})
}

// FuzzDetectTypes: a detector restricted to some types reports only those,
// within bounds.
func FuzzDetectTypes(f *testing.F) {
	for k, s := range fuzzSeeds {
		f.Add(s, uint16(1<<(k%numTypes)|1<<((k*5)%numTypes)))
	}
	f.Fuzz(func(t *testing.T, text string, mask uint16) {
		var types []string
		for k, typ := range Types {
			if mask&(1<<k) != 0 {
				types = append(types, typ)
			}
		}
		fs := NewDetector(Options{Types: types}).Detect(text)
		checkInvariants(t, text, fs)
		for _, f := range fs {
			if len(types) > 0 && !contains(types, f.Type) {
				t.Fatalf("type %s not asked for (%v)", f.Type, types)
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
