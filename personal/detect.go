// Package personal recognises personal data on a page and assesses how
// dangerous a page is for the people whose data it shows.
//
// Detect finds personal data in extracted page text: Dutch citizen numbers
// (BSN), IBANs, phone numbers, e-mail addresses (also obfuscated), Dutch
// postcodes and street addresses, Dutch licence plates, dates of birth, age
// statements, identity document numbers, payment card numbers, IP addresses,
// social media handles and profile URLs. Each Finding has its type, its span
// in the text (byte offsets), its normalized value and whether a validator
// (a checksum, a format rule) passed.
//
// Assess combines the findings with the matches of protected people (from
// the watch index) into an Assessment: which protected people the page
// doxes, and how severe it is.
//
// Detection is one pass over the bytes: most bytes are skipped by a table
// lookup, and only at a trigger (a digit, '@', '/', ':', a bracket, a dot
// inside a word) do small hand-written scanners look at the text around it
// and validate what they find. Regular expressions are not used.
package personal

import (
	"slices"
	"strings"
)

// Finding types.
const (
	TypeBSN          = "bsn"           // Dutch citizen service number, 11-proof
	TypeIBAN         = "iban"          // IBAN, any country: its length and mod-97
	TypePhone        = "phone"         // phone number, value in E.164
	TypeEmail        = "email"         // e-mail address, also "jan [at] voorbeeld [dot] nl"
	TypePostcode     = "postcode"      // Dutch postcode, with the house number when present: "1234AB 12a"
	TypeAddress      = "address"       // street and house number: "Voorbeeldstraat 12"
	TypeLicencePlate = "licence_plate" // Dutch licence plate (side codes 1–14)
	TypeBirthDate    = "birth_date"    // a date near "geboren", "born", "DOB"…; value yyyy-mm-dd
	TypeAge          = "age"           // an age statement ("15 jaar oud", "age 15", "Jan (15)"); value the number
	TypeIDDocument   = "id_document"   // Dutch passport or ID card number, or a driving licence number
	TypePaymentCard  = "payment_card"  // payment card number (Luhn, known IIN)
	TypeIP           = "ip"            // IPv4 or IPv6 address, value canonical
	TypeSocialHandle = "social_handle" // @handle (Platform set when the context names one)
	TypeSocialURL    = "social_url"    // profile URL, value https://platform/handle
)

// Types lists every finding type.
var Types = []string{
	TypeBSN, TypeIBAN, TypePhone, TypeEmail, TypePostcode, TypeAddress, TypeLicencePlate,
	TypeBirthDate, TypeAge, TypeIDDocument, TypePaymentCard, TypeIP, TypeSocialHandle, TypeSocialURL,
}

// A Finding is one piece of personal data in a text.
type Finding struct {
	Type  string `json:"type"`
	Start int    `json:"start"` // byte offset into the text: text[Start:End] is what was found
	End   int    `json:"end"`
	Value string `json:"value"` // normalized
	Valid bool   `json:"valid"` // a validator (checksum, format rule) passed
	// Platform is the platform a social_handle belongs to when the text
	// around it names one ("instagram", "tiktok"…), and of a social_url.
	Platform string `json:"platform,omitempty"`
}

// Options configure a Detector.
type Options struct {
	// Types restricts detection to these finding types; empty means all.
	Types []string
	// Region is the region (ISO 3166 code) of phone numbers written
	// without a country code; empty means "NL".
	Region string
}

// A Detector finds personal data in texts. It is safe for concurrent use.
type Detector struct {
	region  string
	enabled [numTypes]bool
}

// type indexes, for Options.Types and for tie-breaking.
const (
	tBSN = iota
	tIBAN
	tPhone
	tEmail
	tPostcode
	tAddress
	tPlate
	tBirthDate
	tAge
	tIDDocument
	tCard
	tIP
	tHandle
	tURL
	numTypes
)

func typeIndex(t string) int { return slices.Index(Types, t) }

// NewDetector returns a Detector with the given options. Unknown types in
// opts.Types are ignored.
func NewDetector(opts Options) *Detector {
	d := &Detector{region: strings.ToUpper(opts.Region)}
	if d.region == "" {
		d.region = "NL"
	}
	for i := range d.enabled {
		d.enabled[i] = len(opts.Types) == 0
	}
	for _, t := range opts.Types {
		if k := typeIndex(t); k >= 0 {
			d.enabled[k] = true
		}
	}
	return d
}

var defaultDetector = NewDetector(Options{})

// Detect finds personal data in text with the default options (all types,
// phone numbers in the Netherlands by default). The findings are sorted by
// Start and do not overlap.
func Detect(text string) []Finding { return defaultDetector.Detect(text) }

// Detect finds personal data in text. The findings are sorted by Start and
// do not overlap: where candidates overlap, the longer one is kept (an IBAN
// rather than the BSN-like digits in it, a profile URL rather than a phone
// number in its path).
func (d *Detector) Detect(text string) []Finding {
	return d.AppendDetect(nil, text)
}

// AppendDetect is Detect appending to dst, for callers that reuse a slice.
func (d *Detector) AppendDetect(dst []Finding, text string) []Finding {
	// The candidates go into dst's spare capacity; resolve works in place.
	sc := scanner{d: d, s: text, out: dst[len(dst):]}
	sc.run()
	found := resolve(text, sc.out)
	if !d.all() {
		// Overlaps are resolved first: the digits of an IBAN are not a
		// BSN even when only BSNs are asked for.
		found = slices.DeleteFunc(found, func(f Finding) bool { return !d.enabled[typeIndex(f.Type)] })
	}
	return append(dst, found...)
}

func (d *Detector) all() bool {
	for _, e := range d.enabled {
		if !e {
			return false
		}
	}
	return true
}

// resolve sorts the candidates by Start and removes overlaps: of two
// overlapping findings the longer one stays, at equal length the valid one,
// then the one found first. A postcode right after an address gets the
// address's house number when it has none of its own.
func resolve(text string, fs []Finding) []Finding {
	if len(fs) == 0 {
		return fs
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
	out := fs[:1]
	for _, f := range fs[1:] {
		last := &out[len(out)-1]
		if f.Start >= last.End {
			out = append(out, f)
			continue
		}
		if better(f, *last) {
			*last = f
			// The replacement may now overlap the one before it.
			for len(out) >= 2 && out[len(out)-2].End > out[len(out)-1].Start {
				if better(out[len(out)-1], out[len(out)-2]) {
					out[len(out)-2] = out[len(out)-1]
				}
				out = out[:len(out)-1]
			}
		}
	}
	for i := 1; i < len(out); i++ {
		p, f := &out[i-1], &out[i]
		if f.Type == TypePostcode && p.Type == TypeAddress && !strings.Contains(f.Value, " ") && onlyGlue(text, f, p) {
			if n := strings.LastIndexByte(p.Value, ' '); n >= 0 {
				f.Value += p.Value[n:]
			}
		}
	}
	return out
}

// onlyGlue reports whether only a comma and white space separate p from f.
func onlyGlue(text string, f, p *Finding) bool {
	return f.Start-p.End <= 6 && p.End <= f.Start && strings.Trim(text[p.End:f.Start], ", \t\n\r\u00a0") == ""
}

// better reports whether a should replace b when they overlap.
func better(a, b Finding) bool {
	la, lb := a.End-a.Start, b.End-b.Start
	if la != lb {
		return la > lb
	}
	if a.Valid != b.Valid {
		return a.Valid
	}
	return false
}
