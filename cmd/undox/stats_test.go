package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/report"
	"github.com/undox/undox/sqlstore"
)

// Synthetic data only: reserved names (.example), documentation addresses
// and AS numbers, made-up organisations.

// runStats runs `undox stats ARGS…` through main's dispatch.
func runStats(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runCmd(t, nil, append([]string{"stats"}, args...)...)
}

func TestStatsProviders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := openData(t, dir)
	clock := dbtest.NewClock(time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC))
	a.store.SetClock(clock.Now)

	// Two pages, each on its own host: one takes it down in two hours,
	// the other never answers.
	notify := func(u, host string, asn int) int64 {
		_, id := tracedItem(t, a, u, fmt.Sprintf(`{"addresses":[{"ip":"192.0.2.30","org":%q,"asn":%d,"cdn":false}],
		 "recipients":[{"role":"host","organisation":%q,"email":"abuse@host.example","notify":true}]}`, host, asn, host))
		_, n, err := a.store.ConfirmItem(ctx, undox.System, id, "")
		require.NoError(t, err)
		_, err = a.store.ApproveNotice(ctx, undox.System, n.ID)
		require.NoError(t, err)
		require.NoError(t, a.store.MarkNoticeSending(ctx, n.ID))
		require.NoError(t, a.store.MarkNoticeSent(ctx, n.ID, clock.Now().Add(48*time.Hour)))
		return id
	}
	fast := notify("https://dox.example/fast", "Example Hosting B.V.", 64500)
	notify("https://dox.example/ignored", "Ignoring Host Ltd", 64501)
	clock.Advance(2 * time.Hour)
	_, err := a.store.SaveCheck(ctx, sqlstore.CheckResult{Job: undox.RecheckJob{ItemID: fast, Reason: undox.RecheckStaff},
		Outcome: undox.CheckGone, Absent: true, Observe: undox.ObserveGone})
	require.NoError(t, err)
	a.close()

	out, err := runStats(t, "providers", "--year", "2025", "--data", dir)
	require.NoError(t, err)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, [][]string{report.CSVHeader,
		{"organisation", "1", "ignoring host ltd", "Ignoring Host Ltd", "", "host", "1", "1", "0", "0", "", "", "1", "0", "2025-01-01", "2025-12-31"},
		{"organisation", "2", "example hosting bv", "Example Hosting B.V.", "", "host", "1", "1", "1", "1", "120", "120", "0", "0", "2025-01-01", "2025-12-31"},
		{"network", "1", "AS64501", "Ignoring Host Ltd", "64501", "", "1", "1", "0", "0", "", "", "1", "0", "2025-01-01", "2025-12-31"},
		{"network", "2", "AS64500", "Example Hosting B.V.", "64500", "", "1", "1", "1", "1", "120", "120", "0", "0", "2025-01-01", "2025-12-31"},
	}, rows)

	file := filepath.Join(t.TempDir(), "bad-hosting-2025.json")
	out, err = runStats(t, "providers", "--year", "2025", "--format", "json", "-o", file, "--data", dir)
	require.NoError(t, err)
	require.Empty(t, out)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var r undox.ProviderReport
	require.NoError(t, json.Unmarshal(b, &r))
	require.Equal(t, "2025-01-01", r.From)
	require.Len(t, r.Providers, 2)
	require.Equal(t, "Ignoring Host Ltd", r.Providers[0].Name)
	require.Equal(t, 1, r.Providers[0].Ignored)

	// A day in the middle of the year, and a year with nothing.
	out, err = runStats(t, "providers", "--from", "2025-06-02", "--to", "2025-06-02", "--data", dir)
	require.NoError(t, err)
	require.Equal(t, 5, strings.Count(out, "\n"))
	out, err = runStats(t, "providers", "--year", "2024", "--data", dir)
	require.NoError(t, err)
	require.Equal(t, strings.Join(report.CSVHeader, ",")+"\n", out)

	_, err = runStats(t, "providers", "--year", "2025", "--format", "xml", "--data", dir)
	require.Error(t, err)
	require.Equal(t, 2, exitCode(err), "a usage error")
	_, err = runStats(t)
	require.Equal(t, 2, exitCode(err))
	_, err = runStats(t, "providers", "--from", "2025-06-03", "--to", "2025-06-02", "--data", dir)
	require.Equal(t, undox.EINVALID, undox.ErrorCode(err))

	// The reads are in the audit log, as the command line's.
	a = openData(t, dir)
	defer a.close()
	entries, err := a.store.AuditEntries(ctx, "stats", "providers")
	require.NoError(t, err)
	require.Len(t, entries, 4)
	require.Equal(t, "cli", entries[0].Actor)
	require.Equal(t, "from=2025-01-01 to=2025-12-31", entries[0].Detail)
}
