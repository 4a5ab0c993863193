package personal

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
)

// Identifier kinds of protected people, as the watch index registers them
// and reports them in a Match.
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

// Kinds lists every identifier kind.
var Kinds = undox.IdentifierKinds()

// A Match is an identifier of a protected person found in a text by the
// watch matcher.
type Match struct {
	Person string `json:"person"` // opaque id of the protected person, e.g. "case:UDX-…/person:1"
	Kind   string `json:"kind"`   // one of Kinds
	Start  int    `json:"start"`  // byte offsets into the text, like a Finding's
	End    int    `json:"end"`
}

// AssessOptions configure Assess. The zero value is the default.
type AssessOptions struct {
	// MinKinds is how many distinct identifier kinds of one person must
	// co-occur for the page to dox that person; 0 means 2.
	MinKinds int
	// DoxKinds are the kinds that count towards MinKinds; empty means all.
	DoxKinds []string
	// Require, when not empty, makes a dox need one of these kinds among
	// the co-occurring ones (e.g. {"name"}: a name with an address,
	// phone, school or ID number).
	Require []string
	// Window, when > 0, makes the identifiers co-occur only when they
	// start within Window bytes of each other; 0 means anywhere on the
	// page.
	Window int
	// Minor says a person on the page is known to be a minor (from the
	// case).
	Minor bool
	// Images is the number of images (photos) on the page.
	Images int
	// Now, when set, lets birth dates on the page show a minor.
	Now time.Time
}

// An Assessment says whom a page doxes and how severe it is.
type Assessment struct {
	Doxes    []string       `json:"doxes"`    // the protected people the page doxes, sorted
	Severity int            `json:"severity"` // 0–100
	Level    string         `json:"level"`    // none, low, medium, high or critical
	Reasons  []string       `json:"reasons"`  // why, one line per factor
	Kinds    map[string]int `json:"kinds"`    // findings by type
	Minor    bool           `json:"minor"`    // a minor is on the page
}

// Severity levels.
const (
	LevelNone     = "none"
	LevelLow      = "low"
	LevelMedium   = "medium"
	LevelHigh     = "high"
	LevelCritical = "critical"
)

// Weights of the factors of severity; their sum is capped at 100.
const (
	weightDox         = 40 // the page doxes a protected person
	weightMoreDoxed   = 5  // each further person doxed, at most 3
	weightProtected   = 15 // a protected person is on the page, not doxed
	weightMinor       = 20
	weightHomeAddress = 25
	weightIDNumber    = 25
	weightPayment     = 15
	weightPhotos      = 10
	weightPhone       = 10
	weightBirthDate   = 10
	weightSchool      = 10
	weightContact     = 5 // e-mail, social media
	weightOther       = 5 // licence plate, IP address
)

// LevelOf returns the level of a severity: 0 none, 1–29 low, 30–54
// medium, 55–79 high, 80–100 critical.
func LevelOf(severity int) string {
	switch {
	case severity <= 0:
		return LevelNone
	case severity < 30:
		return LevelLow
	case severity < 55:
		return LevelMedium
	case severity < 80:
		return LevelHigh
	}
	return LevelCritical
}

// Assess combines a page's findings (from Detect) and the matches of
// protected people (from the watch matcher) into an Assessment.
//
// A page doxes a protected person when identifiers of at least
// opts.MinKinds (2) distinct kinds of that person co-occur on it. Severity
// adds up factors: a dox (more for several people), a protected person on
// the page, a minor (an age under 18, a birth date under 18 years before
// opts.Now, or opts.Minor), a home address (address or postcode), an ID
// number (BSN, identity document, or a matched id_number), payment data
// (IBAN, payment card), photos (opts.Images), a phone number, a birth
// date, a school, contact details and other identifiers. Only valid
// findings count as factors; Kinds counts them all.
func Assess(findings []Finding, matches []Match, opts AssessOptions) Assessment {
	a := Assessment{Kinds: map[string]int{}, Doxes: []string{}, Reasons: []string{}}
	valid := map[string]int{}
	for _, f := range findings {
		a.Kinds[f.Type]++
		if f.Valid {
			valid[f.Type]++
		}
	}
	matched := map[string]int{} // matches by kind
	byPerson := map[string][]Match{}
	for _, m := range matches {
		matched[m.Kind]++
		byPerson[m.Person] = append(byPerson[m.Person], m)
	}
	persons := make([]string, 0, len(byPerson))
	for p := range byPerson {
		persons = append(persons, p)
	}
	sort.Strings(persons)

	score := 0
	add := func(w int, reason string) {
		score += w
		a.Reasons = append(a.Reasons, reason)
	}

	// Doxing of protected people.
	var onPage []string
	for _, p := range persons {
		if kinds, ok := doxes(byPerson[p], opts); ok {
			a.Doxes = append(a.Doxes, p)
			add(0, fmt.Sprintf("doxes %s (%s)", p, strings.Join(kinds, ", ")))
		} else {
			onPage = append(onPage, p)
		}
	}
	if n := len(a.Doxes); n > 0 {
		score += weightDox + weightMoreDoxed*min(n-1, 3)
	} else if len(onPage) > 0 {
		add(weightProtected, "protected person on the page: "+strings.Join(onPage, ", "))
	}
	if len(a.Doxes) > 0 && len(onPage) > 0 {
		a.Reasons = append(a.Reasons, "protected person on the page, not doxed: "+strings.Join(onPage, ", "))
	}

	// A minor.
	minorWhy := ""
	if opts.Minor {
		minorWhy = "known minor"
	}
	for _, f := range findings {
		if minorWhy != "" {
			break
		}
		switch {
		case f.Type == TypeAge && f.Valid:
			if n, err := strconv.Atoi(f.Value); err == nil && n < 18 {
				minorWhy = "age " + f.Value
			}
		case f.Type == TypeBirthDate && f.Valid && !opts.Now.IsZero():
			if born, err := time.Parse(time.DateOnly, f.Value); err == nil {
				if y := yearsBetween(born, opts.Now); y >= 0 && y < 18 {
					minorWhy = "born " + f.Value
				}
			}
		}
	}
	if minorWhy != "" {
		a.Minor = true
		add(weightMinor, "minor: "+minorWhy)
	}

	counted := func(types ...string) []string {
		var out []string
		for _, t := range types {
			if n := valid[t] + matched[t]; n > 0 {
				out = append(out, fmt.Sprintf("%d %s", n, t))
			}
		}
		return out
	}
	factor := func(w int, what string, types ...string) {
		if c := counted(types...); len(c) > 0 {
			add(w, what+": "+strings.Join(c, ", "))
		}
	}
	// Finding types and match kinds share names where they mean the same
	// (address, postcode, phone, email, birth_date); the others are mapped.
	matched[TypeIDDocument] += matched[KindIDNumber]
	delete(matched, KindIDNumber)
	matched[TypeSocialHandle] += matched[KindHandle]
	delete(matched, KindHandle)

	factor(weightHomeAddress, "home address", TypeAddress, TypePostcode)
	factor(weightIDNumber, "ID number", TypeBSN, TypeIDDocument)
	factor(weightPayment, "payment data", TypeIBAN, TypePaymentCard)
	if opts.Images > 0 {
		add(weightPhotos, fmt.Sprintf("photos: %d", opts.Images))
	}
	factor(weightPhone, "phone number", TypePhone)
	factor(weightBirthDate, "birth date", TypeBirthDate)
	factor(weightSchool, "school", KindSchool)
	factor(weightContact, "contact", TypeEmail, TypeSocialHandle, TypeSocialURL)
	factor(weightOther, "other identifiers", TypeLicencePlate, TypeIP)

	a.Severity = min(score, 100)
	a.Level = LevelOf(a.Severity)
	return a
}

// doxes reports whether one person's matches make a dox under opts, and
// the kinds that co-occur.
func doxes(ms []Match, opts AssessOptions) ([]string, bool) {
	minKinds := opts.MinKinds
	if minKinds <= 0 {
		minKinds = 2
	}
	ms = slices.DeleteFunc(slices.Clone(ms), func(m Match) bool {
		return len(opts.DoxKinds) > 0 && !slices.Contains(opts.DoxKinds, m.Kind)
	})
	slices.SortFunc(ms, func(a, b Match) int { return a.Start - b.Start })
	ok := func(kinds map[string]bool) bool {
		if len(kinds) < minKinds {
			return false
		}
		if len(opts.Require) == 0 {
			return true
		}
		for _, r := range opts.Require {
			if kinds[r] {
				return true
			}
		}
		return false
	}
	list := func(kinds map[string]bool) []string {
		out := make([]string, 0, len(kinds))
		for _, k := range Kinds { // in a fixed order
			if kinds[k] {
				out = append(out, k)
			}
		}
		for k := range kinds {
			if !slices.Contains(Kinds, k) {
				out = append(out, k)
			}
		}
		slices.Sort(out[len(out)-countUnknown(kinds):])
		return out
	}
	if opts.Window <= 0 {
		kinds := map[string]bool{}
		for _, m := range ms {
			kinds[m.Kind] = true
		}
		return list(kinds), ok(kinds)
	}
	for i := range ms {
		kinds := map[string]bool{}
		for j := i; j < len(ms) && ms[j].Start-ms[i].Start <= opts.Window; j++ {
			kinds[ms[j].Kind] = true
		}
		if ok(kinds) {
			return list(kinds), true
		}
	}
	return nil, false
}

func countUnknown(kinds map[string]bool) int {
	n := 0
	for k := range kinds {
		if !slices.Contains(Kinds, k) {
			n++
		}
	}
	return n
}

// yearsBetween returns the whole years from born to now.
func yearsBetween(born, now time.Time) int {
	y := now.Year() - born.Year()
	if now.Month() < born.Month() || now.Month() == born.Month() && now.Day() < born.Day() {
		y--
	}
	return y
}
