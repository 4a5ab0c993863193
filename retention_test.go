package undox

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseRetention(t *testing.T) {
	r, err := ParseRetention(" */closed=8760h , doxing/closed=17520h,, */withdrawn=0s, csam/*=1h30m ")
	require.NoError(t, err)
	for _, c := range []struct {
		cat    string
		status CaseStatus
		want   time.Duration
		ok     bool
	}{
		{CategoryDoxing, CaseClosed, 17520 * time.Hour, true}, // category/status beats */status
		{CategoryThreat, CaseClosed, 8760 * time.Hour, true},
		{CategoryThreat, CaseWithdrawn, 0, true},
		{CategoryCSAM, CaseWithdrawn, 90 * time.Minute, true}, // category/* beats */status
		{CategoryCSAM, CaseClosed, 90 * time.Minute, true},
		{CategoryThreat, CaseOpen, 0, false}, // no rule: kept
	} {
		d, ok := r.Period(c.cat, c.status)
		require.Equal(t, c.ok, ok, "%s/%s", c.cat, c.status)
		require.Equal(t, c.want, d, "%s/%s", c.cat, c.status)
	}

	all, err := ParseRetention("*/*=5h,doxing/*=6h")
	require.NoError(t, err)
	d, ok := all.Period(CategoryThreat, CaseOpen)
	require.True(t, ok)
	require.Equal(t, 5*time.Hour, d)
	d, _ = all.Period(CategoryDoxing, CaseWithdrawn)
	require.Equal(t, 6*time.Hour, d)

	// The most specific rule wins whatever the order rules are given in.
	rev, err := ParseRetention("doxing/closed=17520h,*/closed=8760h")
	require.NoError(t, err)
	d, _ = rev.Period(CategoryDoxing, CaseClosed)
	require.Equal(t, 17520*time.Hour, d)

	empty, err := ParseRetention("")
	require.NoError(t, err)
	_, ok = empty.Period(CategoryDoxing, CaseWithdrawn)
	require.False(t, ok)
	require.False(t, empty.Due(CategoryDoxing, CaseWithdrawn, time.Unix(0, 0), time.Now()))
	require.Empty(t, empty.String())
}

func TestParseRetentionRejects(t *testing.T) {
	for _, s := range []string{
		"closed=1h",          // no category
		"*/closed",           // no duration
		"*/closed=",          // empty duration
		"*/closed=soon",      // not a duration
		"*/closed=-1h",       // negative
		"*/closed=1",         // no unit
		"nonsense/closed=1h", // unknown category
		"Doxing/closed=1h",   // codes are lower case
		"*/open=1h",          // open cases are never erased by retention
		"*/erased=1h",
		"*/closed=1h,*/bogus=2h", // one bad rule spoils the lot
	} {
		_, err := ParseRetention(s)
		require.Error(t, err, s)
	}
}

func TestDefaultRetention(t *testing.T) {
	r, err := ParseRetention(DefaultRetention)
	require.NoError(t, err)
	d, ok := r.Period(CategoryDoxing, CaseClosed)
	require.True(t, ok)
	require.Equal(t, 8760*time.Hour, d)
	d, ok = r.Period(CategorySextortion, CaseWithdrawn)
	require.True(t, ok)
	require.Zero(t, d)
	_, ok = r.Period(CategoryDoxing, CaseOpen)
	require.False(t, ok)
}

func TestRetentionDue(t *testing.T) {
	r, err := ParseRetention("*/closed=720h,*/withdrawn=0s")
	require.NoError(t, err)
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	require.False(t, r.Due(CategoryDoxing, CaseClosed, at, at.Add(720*time.Hour-time.Microsecond)))
	require.True(t, r.Due(CategoryDoxing, CaseClosed, at, at.Add(720*time.Hour)))
	require.True(t, r.Due(CategoryDoxing, CaseClosed, at, at.Add(1000*time.Hour)))
	require.True(t, r.Due(CategoryDoxing, CaseWithdrawn, at, at))
	require.False(t, r.Due(CategoryDoxing, CaseOpen, at, at.Add(100000*time.Hour)))
	require.False(t, r.Due(CategoryDoxing, CaseErased, at, at.Add(100000*time.Hour)))
}

func TestRetentionStringRoundTrips(t *testing.T) {
	r, err := ParseRetention("doxing/closed=17520h,*/withdrawn=0s,*/closed=8760h")
	require.NoError(t, err)
	require.Equal(t, "*/closed=8760h0m0s,*/withdrawn=0s,doxing/closed=17520h0m0s", r.String())
	again, err := ParseRetention(r.String())
	require.NoError(t, err)
	require.Equal(t, r.String(), again.String())
	require.Equal(t, r, again)
}
