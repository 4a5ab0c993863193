package undox

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	v := func(n int64) *int64 { return &n }
	require.Nil(t, Percentile(nil, 50))
	require.Equal(t, v(7), Percentile([]int64{7}, 90))
	require.Equal(t, v(2), Percentile([]int64{4, 1, 3, 2}, 50), "the lower middle: a time that was observed")
	require.Equal(t, v(4), Percentile([]int64{4, 1, 3, 2}, 90))
	require.Equal(t, v(9), Percentile([]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90))
	require.Equal(t, int64(89), Minutes(89*time.Minute+59*time.Second), "whole minutes")
}

func TestRankProviders(t *testing.T) {
	v := func(n int64) *int64 { return &n }
	ps := []ProviderScore{
		{Key: "fast", Notified: 9, MedianMinutes: v(10)},
		{Key: "slow", Notified: 2, MedianMinutes: v(900)},
		{Key: "ignores", Notified: 1, Ignored: 1, MedianMinutes: v(5)},
		{Key: "removed nothing", Notified: 1},
		{Key: "fast too", Notified: 3, MedianMinutes: v(10)},
		{Key: "a fast one", Notified: 3, MedianMinutes: v(10)},
	}
	RankProviders(ps)
	var keys []string
	for i, p := range ps {
		require.Equal(t, i+1, p.Rank)
		keys = append(keys, p.Key)
	}
	require.Equal(t, []string{"ignores", "removed nothing", "slow", "fast", "a fast one", "fast too"}, keys)
}

func TestProviderQueryRange(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	require.NoError(t, err)
	now := time.Date(2026, 3, 29, 12, 0, 0, 0, ams) // the day summer time begins: 23 hours
	from, to, first, last, err := ProviderQuery{From: "2026-03-29", To: "2026-03-29"}.Range(ams, now)
	require.NoError(t, err)
	require.Equal(t, "2026-03-29", first)
	require.Equal(t, "2026-03-29", last)
	require.Equal(t, 23*time.Hour, to.Sub(from))
	require.Equal(t, time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), from.UTC(), "midnight in Amsterdam")

	_, _, first, last, err = ProviderQuery{}.Range(ams, now)
	require.NoError(t, err)
	require.Equal(t, "2025-12-30", first, "90 days up to today")
	require.Equal(t, "2026-03-29", last)
	_, _, first, last, err = ProviderQuery{Year: 2024}.Range(ams, now)
	require.NoError(t, err)
	require.Equal(t, []string{"2024-01-01", "2024-12-31"}, []string{first, last})

	for q, field := range map[ProviderQuery]string{
		{From: "2026-03-30"}:                   "from", // after today
		{From: "2026-02-30"}:                   "from",
		{To: "soon"}:                           "to",
		{Year: 2026, To: "2026-12-31"}:         "year",
		{Year: 1999}:                           "year",
		{From: "2024-03-28", To: "2026-03-29"}: "to", // 732 days
	} {
		_, _, _, _, err := q.Range(ams, now)
		require.Equal(t, EINVALID, ErrorCode(err), "%+v", q)
		require.Contains(t, ErrorFields(err), field, "%+v", q)
	}
	q := DashboardQuery{}
	require.NoError(t, q.Check())
	require.Equal(t, DashboardQuery{Days: DefaultStatsDays, WindowDays: DefaultStatsDays}, q)
	q = DashboardQuery{WindowDays: 400}
	require.Contains(t, ErrorFields(q.Check()), "window")
}
