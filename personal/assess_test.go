package personal

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	p1 = "case:UDX-TEST1/person:1"
	p2 = "case:UDX-TEST2/person:1"
)

func m(person, kind string, start int) Match {
	return Match{Person: person, Kind: kind, Start: start, End: start + 5}
}

func hasReason(a Assessment, prefix string) bool {
	for _, r := range a.Reasons {
		if strings.HasPrefix(r, prefix) {
			return true
		}
	}
	return false
}

func TestAssessNothing(t *testing.T) {
	a := Assess(nil, nil, AssessOptions{})
	require.Equal(t, 0, a.Severity)
	require.Equal(t, LevelNone, a.Level)
	require.Empty(t, a.Doxes)
	require.NotNil(t, a.Doxes)
	require.Empty(t, a.Reasons)
	require.Empty(t, a.Kinds)
	require.False(t, a.Minor)
}

func TestAssessDox(t *testing.T) {
	// A name with an address of the same person: a dox.
	a := Assess(nil, []Match{m(p1, KindName, 0), m(p1, KindAddress, 40), m(p2, KindName, 90)}, AssessOptions{})
	require.Equal(t, []string{p1}, a.Doxes)
	require.Contains(t, a.Reasons, "doxes "+p1+" (name, address)")
	require.True(t, hasReason(a, "protected person on the page, not doxed: "+p2))
	require.True(t, hasReason(a, "home address"))
	require.Equal(t, weightDox+weightHomeAddress, a.Severity)
	require.Equal(t, LevelHigh, a.Level)

	// One kind only, even many times: not a dox.
	a = Assess(nil, []Match{m(p1, KindName, 0), m(p1, KindName, 50)}, AssessOptions{})
	require.Empty(t, a.Doxes)
	require.Equal(t, weightProtected, a.Severity)
	require.Equal(t, LevelLow, a.Level)
	require.True(t, hasReason(a, "protected person on the page: "+p1))

	// Kinds of two different people do not add up.
	a = Assess(nil, []Match{m(p1, KindName, 0), m(p2, KindPhone, 10)}, AssessOptions{})
	require.Empty(t, a.Doxes)

	// Several people doxed, sorted.
	a = Assess(nil, []Match{m(p2, KindName, 0), m(p2, KindSchool, 10), m(p1, KindEmail, 20), m(p1, KindHandle, 30)}, AssessOptions{})
	require.Equal(t, []string{p1, p2}, a.Doxes)
	require.True(t, hasReason(a, "school"))
	require.True(t, hasReason(a, "contact"))
}

func TestAssessOptions(t *testing.T) {
	ms := []Match{m(p1, KindName, 0), m(p1, KindPhone, 500), m(p1, KindEmail, 2000)}
	// MinKinds.
	require.Equal(t, []string{p1}, Assess(nil, ms, AssessOptions{MinKinds: 3}).Doxes)
	require.Empty(t, Assess(nil, ms, AssessOptions{MinKinds: 4}).Doxes)
	// DoxKinds: only these count.
	require.Empty(t, Assess(nil, ms, AssessOptions{DoxKinds: []string{KindName, KindAddress}}).Doxes)
	require.Equal(t, []string{p1}, Assess(nil, ms, AssessOptions{DoxKinds: []string{KindName, KindPhone}}).Doxes)
	// Require: a name must be among them.
	noName := []Match{m(p1, KindPhone, 0), m(p1, KindEmail, 10)}
	require.Empty(t, Assess(nil, noName, AssessOptions{Require: []string{KindName}}).Doxes)
	require.Equal(t, []string{p1}, Assess(nil, noName, AssessOptions{}).Doxes)
	// Window: name and phone 500 bytes apart.
	require.Empty(t, Assess(nil, ms, AssessOptions{Window: 100}).Doxes)
	a := Assess(nil, ms, AssessOptions{Window: 600})
	require.Equal(t, []string{p1}, a.Doxes)
	require.Contains(t, a.Reasons, "doxes "+p1+" (name, phone)")
	// Unknown kinds count too, after the known ones.
	a = Assess(nil, []Match{m(p1, "username", 0), m(p1, KindName, 3)}, AssessOptions{})
	require.Contains(t, a.Reasons, "doxes "+p1+" (name, username)")
}

func TestAssessSeverity(t *testing.T) {
	text := "Jan (15), Voorbeeldstraat 12, 1234 AB Amsterdam, BSN 123456782, 06-12345678, IBAN NL91ABNA0417164300"
	fs := Detect(text)
	require.Len(t, fs, 6)
	a := Assess(fs, nil, AssessOptions{})
	require.True(t, a.Minor)
	require.Equal(t, map[string]int{TypeAge: 1, TypeAddress: 1, TypePostcode: 1, TypeBSN: 1, TypePhone: 1, TypeIBAN: 1}, a.Kinds)
	for _, r := range []string{"minor: age 15", "home address: 1 address, 1 postcode", "ID number: 1 bsn", "payment data: 1 iban", "phone number: 1 phone"} {
		require.Contains(t, a.Reasons, r)
	}
	require.Equal(t, weightMinor+weightHomeAddress+weightIDNumber+weightPayment+weightPhone, a.Severity)
	require.Equal(t, LevelCritical, a.Level)

	// A dox of a minor with a home address and photos: capped at 100.
	ms := []Match{m(p1, KindName, 0), m(p1, KindAddress, 10)}
	a = Assess(fs, ms, AssessOptions{Images: 3})
	require.Equal(t, 100, a.Severity)
	require.Contains(t, a.Reasons, "photos: 3")
	require.Contains(t, a.Reasons, "home address: 2 address, 1 postcode")

	// Severity rises with each factor.
	base := Assess(nil, ms, AssessOptions{})
	for _, o := range []AssessOptions{{Minor: true}, {Images: 1}} {
		require.Greater(t, Assess(nil, ms, o).Severity, base.Severity, "%+v", o)
	}
	for _, extra := range []string{"BSN 123456782", "paspoort SPECI2014", "kaart 4111 1111 1111 1111", "jan@voorbeeld.nl", "kenteken 12-BDF-3", "geboren 12-03-2009"} {
		require.Greater(t, Assess(Detect(extra), ms, AssessOptions{}).Severity, base.Severity, extra)
	}
	require.Equal(t, base.Severity, Assess(Detect("ze is 30 jaar oud"), ms, AssessOptions{}).Severity, "an adult's age")
}

func TestAssessInvalidFindings(t *testing.T) {
	// Invalid findings are counted, not scored.
	fs := Detect("IBAN NL91ABNA0417164301, BSN 123456789")
	require.Len(t, fs, 2)
	a := Assess(fs, nil, AssessOptions{})
	require.Equal(t, map[string]int{TypeIBAN: 1, TypeBSN: 1}, a.Kinds)
	require.Equal(t, 0, a.Severity)
	require.Equal(t, LevelNone, a.Level)
}

func TestAssessMinorByBirthDate(t *testing.T) {
	fs := Detect("geboren 12-03-2009")
	now := time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)
	require.False(t, Assess(fs, nil, AssessOptions{}).Minor, "no reference time")
	a := Assess(fs, nil, AssessOptions{Now: now})
	require.True(t, a.Minor)
	require.Contains(t, a.Reasons, "minor: born 2009-03-12")
	require.False(t, Assess(fs, nil, AssessOptions{Now: now.AddDate(1, 0, 1)}).Minor, "18 by then")
	require.True(t, Assess(fs, nil, AssessOptions{Now: time.Date(2027, 3, 11, 0, 0, 0, 0, time.UTC)}).Minor, "a day before 18")
	require.False(t, Assess(fs, nil, AssessOptions{Now: time.Date(2027, 3, 12, 0, 0, 0, 0, time.UTC)}).Minor, "18 that day")
}

func TestLevelOf(t *testing.T) {
	for s, l := range map[int]string{0: LevelNone, 1: LevelLow, 29: LevelLow, 30: LevelMedium, 54: LevelMedium, 55: LevelHigh, 79: LevelHigh, 80: LevelCritical, 100: LevelCritical} {
		require.Equal(t, l, LevelOf(s), s)
	}
}
