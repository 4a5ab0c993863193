package undox

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestErasureDeadlineIsOneCalendarMonth(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	for _, c := range []struct{ in, want string }{
		{"2025-03-14T09:30:00Z", "2025-04-14T09:30:00Z"},
		{"2025-01-31T23:00:00Z", "2025-02-28T23:00:00Z"}, // no 31 February: its last day
		{"2024-01-31T08:00:00Z", "2024-02-29T08:00:00Z"}, // a leap year
		{"2025-08-31T12:00:00Z", "2025-09-30T12:00:00Z"},
		{"2025-12-15T00:00:00Z", "2026-01-15T00:00:00Z"}, // into the next year
		{"2025-12-31T10:00:00Z", "2026-01-31T10:00:00Z"},
	} {
		require.Equal(t, at(c.want), ErasureDeadline(at(c.in)), c.in)
	}
}
