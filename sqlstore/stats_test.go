package sqlstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/sqlstore"
)

// Synthetic data only: reserved names (.example), documentation addresses
// and AS numbers, made-up organisations.

// statsTrace is a trace answer: the page on an address of asn (a CDN's
// when cdn), the host to notify first and a registrar after it.
func statsTrace(host, email string, asn int, asName string, cdn bool) []byte {
	return []byte(fmt.Sprintf(`{"url":"https://dox.example/","addresses":[
 {"ip":"192.0.2.10","org":%q,"asn":%d,"as":{"number":%d,"name":%q},"cdn":%t,"parents":[]}],
 "recipients":[
 {"role":"site","organisation":"Dox Site","email":"admin@dox.example","notify":false,"source":"security.txt"},
 {"role":%q,"organisation":%q,"email":%q,"notify":true,"source":"rdap"},
 {"role":"registrar","organisation":"Example Registrar","email":"abuse@registrar.example","notify":true,"source":"rdap"}]}`,
		host, asn, asn, asName, cdn, map[bool]string{false: "host", true: "cdn"}[cdn], host, email))
}

var (
	traceA   = statsTrace("Example Hosting B.V.", "abuse@hosting.example", 64500, "EXAMPLE-AS", false)
	traceB   = statsTrace("Slow Host Ltd", "abuse@slowhost.example", 64501, "SLOW-AS", false)
	traceCDN = statsTrace("Example CDN", "abuse@cdn.example", 64510, "CDN-AS", true)
)

// at sets the store's clock.
func (e *env) at(t time.Time) {
	e.clock.Set(t.UTC())
}

// reportNew makes a case with one new item, reported now.
func (e *env) reportNew(t *testing.T, u string) *undox.Item {
	t.Helper()
	r, _ := e.create(t, report{urls: []string{u}, category: undox.CategoryDoxing})
	return e.get(t, r.CaseRef).Items[0]
}

// tracedItem makes a case with one captured item traced with answer.
func (e *env) tracedItem(t *testing.T, u string, answer []byte) (*undox.Item, *undox.Trace) {
	t.Helper()
	it := e.reportNew(t, u)
	_, err := e.store.ObserveItem(e.ctx, it.ID, undox.ObserveCaptured, "", nil)
	require.NoError(t, err)
	tr, err := e.store.SaveTrace(e.ctx, it.ID, "net:TEST", answer)
	require.NoError(t, err)
	return it, tr
}

// send approves a prepared notice and records it sent now, with a
// deadline 48 hours on.
func (e *env) send(t *testing.T, n *undox.Notice) {
	t.Helper()
	_, err := e.store.ApproveNotice(e.ctx, analyst, n.ID)
	require.NoError(t, err)
	require.NoError(t, e.store.MarkNoticeSending(e.ctx, n.ID))
	require.NoError(t, e.store.MarkNoticeSent(e.ctx, n.ID, e.clock.Now().Add(48*time.Hour)))
}

// notify confirms an item and sends its first notice now.
func (e *env) notify(t *testing.T, itemID int64) *undox.Notice {
	t.Helper()
	_, n, err := e.store.ConfirmItem(e.ctx, analyst, itemID, "")
	require.NoError(t, err)
	require.NotNil(t, n)
	e.send(t, n)
	return n
}

// observe records a re-check that sees the content gone or back.
func (e *env) observe(t *testing.T, itemID int64, ev undox.Event) {
	t.Helper()
	outcome := undox.CheckGone
	if ev == undox.ObserveBack {
		outcome = undox.CheckUp
	}
	c, err := e.store.SaveCheck(e.ctx, sqlstore.CheckResult{Job: undox.RecheckJob{ItemID: itemID, Reason: undox.RecheckStaff},
		Outcome: outcome, Absent: ev == undox.ObserveGone, Observe: ev})
	require.NoError(t, err)
	require.Equal(t, string(ev), c.Observed)
}

// ladderNotice sends a notice of the escalation ladder to the item's host
// now: a reminder of original, or (original 0) a new notice.
func (e *env) ladderNotice(t *testing.T, itemID, traceID int64, index int, original int64) {
	t.Helper()
	in := sqlstore.StepInput{ItemID: itemID, Index: index, Name: "host again", Action: "notice", Target: "host",
		Outcome: sqlstore.StepWaiting, TraceID: traceID, Notice: &sqlstore.Recipient{Role: undox.RoleHost,
			Organisation: "Example Hosting B.V.", Email: "abuse@hosting.example", Index: 1, Channel: undox.ChannelEmail,
			Address: "abuse@hosting.example"}}
	if original != 0 {
		in.Action, in.Reminder, in.OriginalNoticeID = "reminder", 1, original
	}
	_, n, err := e.store.RecordStep(e.ctx, in)
	require.NoError(t, err)
	require.NotNil(t, n)
	e.send(t, n)
}

func minutes(v int64) *int64 { return &v }

// TestStats builds a short takedown history over a week and checks the
// numbers an analyst and a regulator would read off it.
func TestStats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		ams, err := time.LoadLocation("Europe/Amsterdam") // the default policy's timezone
		require.NoError(t, err)
		day := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, ams) }

		// Monday 2 March: a page of the host is taken down in 10 minutes,
		// before the period the scorecards look at.
		e.at(day(2, 9, 0))
		old, _ := e.tracedItem(t, "https://dox.example/old", traceA)
		e.notify(t, old.ID)
		e.at(day(2, 9, 10))
		e.observe(t, old.ID, undox.ObserveGone)

		// Wednesday 4 March.
		e.at(day(4, 9, 0))
		a1, a1Trace := e.tracedItem(t, "https://dox.example/a1", traceA)
		c1, _ := e.tracedItem(t, "https://dox.example/c1", traceCDN)
		x, _ := e.tracedItem(t, "https://dox.example/x", traceA)
		e.notify(t, a1.ID)
		e.notify(t, c1.ID)
		nx := e.notify(t, x.ID)
		// The host's address bounces: the registrar is told instead.
		e.at(day(4, 9, 5))
		next, err := e.store.BounceNotice(e.ctx, nx.ID, "550 5.1.1 no such user", "email")
		require.NoError(t, err)
		require.Equal(t, "Example Registrar", next.Recipient)
		e.send(t, next)
		e.at(day(4, 10, 0))
		e.observe(t, c1.ID, undox.ObserveGone) // 60 minutes
		e.at(day(4, 10, 30))
		e.observe(t, a1.ID, undox.ObserveGone) // 90 minutes
		a2, _ := e.tracedItem(t, "https://dox.example/a2", traceA)
		e.notify(t, a2.ID)
		e.at(day(4, 15, 30))
		e.observe(t, a2.ID, undox.ObserveGone) // 300 minutes
		a3, a3Trace := e.tracedItem(t, "https://dox.example/a3", traceA)
		na3 := e.notify(t, a3.ID)
		b1, _ := e.tracedItem(t, "https://dox.example/b1", traceB)
		nb1 := e.notify(t, b1.ID)
		b2, _ := e.tracedItem(t, "https://dox.example/b2", traceB)
		e.notify(t, b2.ID)
		e.at(day(4, 16, 0))
		_, err = e.store.RecordResponse(e.ctx, nb1.ID, undox.NoticeResponse{Kind: undox.ResponseDisputed,
			Detail: "not a customer of ours any more", Source: "email"})
		require.NoError(t, err)

		// Thursday: a1 is back; the host is told again and removes it in
		// 30 minutes (a second episode).
		e.at(day(5, 9, 0))
		e.observe(t, a1.ID, undox.ObserveBack)
		e.ladderNotice(t, a1.ID, a1Trace.ID, 1, 0)
		e.at(day(5, 9, 30))
		e.observe(t, a1.ID, undox.ObserveGone)

		// Friday, after a3's deadline: a reminder, which does not count
		// as another item notified.
		e.at(day(6, 16, 0))
		e.ladderNotice(t, a3.ID, a3Trace.ID, 1, na3.ID)
		// Saturday: b2 goes, three days after its notice, past its
		// deadline and unanswered.
		e.at(day(7, 15, 30))
		e.observe(t, b2.ID, undox.ObserveGone) // 4320 minutes

		// New reports: Monday noon, and Tuesday half past midnight (still
		// Monday in UTC) and eleven.
		e.at(day(9, 12, 0))
		e.reportNew(t, "https://dox.example/n1")
		e.at(day(10, 0, 30))
		e.reportNew(t, "https://dox.example/n2")
		e.at(day(10, 11, 0))
		e.reportNew(t, "https://dox.example/n3")
		e.at(day(10, 12, 0))

		t.Run("dashboard", func(t *testing.T) {
			d, err := e.store.Dashboard(e.ctx, auditor, undox.DashboardQuery{Days: 9})
			require.NoError(t, err)
			require.Equal(t, "Europe/Amsterdam", d.Zone)
			require.Equal(t, day(10, 12, 0).UTC(), d.GeneratedAt)
			require.Equal(t, []undox.StateCount{{State: undox.ItemNew, Count: 3}, {State: undox.ItemCaptured}, {State: undox.ItemUnreachable},
				{State: undox.ItemConfirmed}, {State: undox.ItemNotified, Count: 3}, {State: undox.ItemEscalated}, {State: undox.ItemReappeared}},
				d.OpenItems)
			require.Equal(t, 6, d.OpenTotal)
			// a3's notice and its reminder, and x's notice to the
			// registrar; b1's was answered, x's first bounced.
			require.Equal(t, 3, d.NoticesAwaitingResponse)
			require.Equal(t, 3, d.ItemsPastDeadline, "a3, b1 and x")
			// Removals in the last 30 days: 10, 30, 60, 90, 300 and 4320 minutes.
			require.Equal(t, 6, d.Removal.Removed)
			require.Equal(t, minutes(60), d.Removal.MedianMinutes)
			require.Equal(t, minutes(4320), d.Removal.P90Minutes)
			require.Equal(t, day(10, 12, 0).UTC().Add(-30*24*time.Hour), d.Removal.From)
			require.Equal(t, []undox.DayCount{{Day: "2026-03-02", Count: 1}, {Day: "2026-03-03"}, {Day: "2026-03-04", Count: 7},
				{Day: "2026-03-05"}, {Day: "2026-03-06"}, {Day: "2026-03-07"}, {Day: "2026-03-08"},
				{Day: "2026-03-09", Count: 1}, {Day: "2026-03-10", Count: 2}}, d.ReportsPerDay)

			// A week's window leaves out Monday's removal.
			d, err = e.store.Dashboard(e.ctx, analyst, undox.DashboardQuery{WindowDays: 7})
			require.NoError(t, err)
			require.Equal(t, 5, d.Removal.Removed)
			require.Equal(t, minutes(90), d.Removal.MedianMinutes)
			require.Equal(t, minutes(4320), d.Removal.P90Minutes)
			require.Len(t, d.ReportsPerDay, undox.DefaultStatsDays)
			require.Equal(t, "2026-03-10", d.ReportsPerDay[len(d.ReportsPerDay)-1].Day)

			_, err = e.store.Dashboard(e.ctx, partnerA, undox.DashboardQuery{})
			requireCode(t, undox.EFORBIDDEN, err, "partners only import")
			_, err = e.store.Dashboard(e.ctx, analyst, undox.DashboardQuery{Days: 367})
			requireCode(t, undox.EINVALID, err, "more than a year of days")
			require.Equal(t, []string{"stats.dashboard", "stats.dashboard"}, e.actions(t, "stats", "dashboard"))
		})

		t.Run("providers", func(t *testing.T) {
			r, err := e.store.ProviderScores(e.ctx, auditor, undox.ProviderQuery{From: "2026-03-04", To: "2026-03-10"})
			require.NoError(t, err)
			require.Equal(t, "2026-03-04", r.From)
			require.Equal(t, "2026-03-10", r.To)
			require.Equal(t, "Europe/Amsterdam", r.Zone)
			// Worst first: each ignored one notice; the registrar removed
			// nothing, the slow host took three days, the host 90 minutes.
			require.Equal(t, []undox.ProviderScore{
				{Rank: 1, Key: "example registrar", Name: "Example Registrar", Roles: []string{"registrar"},
					Notices: 1, Notified: 1, Ignored: 1},
				{Rank: 2, Key: "slow host ltd", Name: "Slow Host Ltd", Roles: []string{"host"},
					Notices: 2, Notified: 2, Removed: 1, RemovalRate: 0.5, MedianMinutes: minutes(4320), P90Minutes: minutes(4320), Ignored: 1, Disputed: 1},
				// a1 twice (two episodes: 90 and 30 minutes), a2 (300),
				// a3 (ignored; its reminder is one more notice, not one
				// more item); x's notice bounced, the old one is before
				// the period.
				{Rank: 3, Key: "example hosting bv", Name: "Example Hosting B.V.", Roles: []string{"host"},
					Notices: 5, Notified: 4, Removed: 3, RemovalRate: 0.75, MedianMinutes: minutes(90), P90Minutes: minutes(300), Ignored: 1},
				{Rank: 4, Key: "example cdn", Name: "Example CDN", Roles: []string{"cdn"},
					Notices: 1, Notified: 1, Removed: 1, RemovalRate: 1, MedianMinutes: minutes(60), P90Minutes: minutes(60)},
			}, r.Providers)
			// The hosting networks: the CDN's addresses are not a host's.
			require.Equal(t, []undox.ProviderScore{
				{Rank: 1, Key: "AS64500", Name: "EXAMPLE-AS", ASN: 64500,
					Notices: 6, Notified: 5, Removed: 3, RemovalRate: 0.6, MedianMinutes: minutes(90), P90Minutes: minutes(300), Ignored: 2},
				{Rank: 2, Key: "AS64501", Name: "SLOW-AS", ASN: 64501,
					Notices: 2, Notified: 2, Removed: 1, RemovalRate: 0.5, MedianMinutes: minutes(4320), P90Minutes: minutes(4320), Ignored: 1, Disputed: 1},
			}, r.Networks)

			// The year holds the old notice too.
			r, err = e.store.ProviderScores(e.ctx, analyst, undox.ProviderQuery{Year: 2026})
			require.NoError(t, err)
			require.Equal(t, "2026-01-01", r.From)
			require.Equal(t, "2026-12-31", r.To)
			require.Equal(t, "example hosting bv", r.Providers[2].Key)
			require.Equal(t, 5, r.Providers[2].Notified)
			require.Equal(t, 6, r.Providers[2].Notices)
			require.Equal(t, minutes(30), r.Providers[2].MedianMinutes, "10, 30, 90, 300: the second")
			// Thursday alone.
			r, err = e.store.ProviderScores(e.ctx, analyst, undox.ProviderQuery{From: "2026-03-05", To: "2026-03-05"})
			require.NoError(t, err)
			require.Len(t, r.Providers, 1)
			require.Equal(t, 1, r.Providers[0].Notified, "a1's second episode")
			r, err = e.store.ProviderScores(e.ctx, analyst, undox.ProviderQuery{Year: 2025})
			require.NoError(t, err)
			require.Empty(t, r.Providers)
			require.Empty(t, r.Networks)

			// The default: the last 90 days up to today.
			r, err = e.store.ProviderScores(e.ctx, analyst, undox.ProviderQuery{})
			require.NoError(t, err)
			require.Equal(t, "2025-12-11", r.From)
			require.Equal(t, "2026-03-10", r.To)
			require.Len(t, r.Providers, 4)

			// Two years at most: 731 days.
			r, err = e.store.ProviderScores(e.ctx, analyst, undox.ProviderQuery{From: "2024-03-04", To: "2026-03-04"})
			require.NoError(t, err)
			require.Len(t, r.Providers, 4)
			for _, q := range []undox.ProviderQuery{{From: "2024-03-03", To: "2026-03-04"}, {From: "2026-03-05", To: "2026-03-04"}, {Year: 2026, From: "2026-01-01"},
				{From: "2024-01-01", To: "2026-03-01"}, {From: "4 March"}, {Year: 26}} {
				_, err = e.store.ProviderScores(e.ctx, analyst, q)
				requireCode(t, undox.EINVALID, err, fmt.Sprintf("%+v", q))
			}
			_, err = e.store.ProviderScores(e.ctx, partnerA, undox.ProviderQuery{})
			requireCode(t, undox.EFORBIDDEN, err, "partners only import")
			entries, err := e.store.AuditEntries(e.ctx, "stats", "providers")
			require.NoError(t, err)
			require.Len(t, entries, 6, "every read is audited")
			require.Equal(t, "from=2026-03-04 to=2026-03-10", entries[0].Detail)
			require.Equal(t, "token:1:a", entries[0].Actor)
		})
	})
}
