package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/sqlstore"
)

// The dashboard shows the numbers of a small synthetic history, written as
// each language writes them, and its charts from session-protected routes.
func TestDashboard(t *testing.T) {
	s := newStaffSite(t, nil)
	aud := s.account("aud@hotline.example", "Audrey", undox.RoleAuditor)

	// Three reports today: one page is notified and removed 90 minutes
	// later, one is notified and ignored past its deadline, one is new.
	for _, u := range []string{"https://dash.example/a", "https://dash.example/b", "https://dash.example/c"} {
		s.e.api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{u}, "category": "doxing"}).ok(t, 201, nil)
	}
	items, err := s.e.store.Items(s.e.ctx, undox.System, undox.ItemFilter{Host: "dash.example"})
	require.NoError(t, err)
	require.Len(t, items, 3)
	byURL := map[string]int64{}
	for _, it := range items {
		byURL[it.URL] = it.ID
	}
	notify := func(id int64, deadline time.Duration) {
		t.Helper()
		_, err := s.e.store.ObserveItem(s.e.ctx, id, undox.ObserveCaptured, "", nil)
		require.NoError(t, err)
		_, err = s.e.store.SaveTrace(s.e.ctx, id, "net:TEST", statsTrace("Slow <Hosting>"))
		require.NoError(t, err)
		_, n, err := s.e.store.ConfirmItem(s.e.ctx, undox.System, id, "")
		require.NoError(t, err)
		_, err = s.e.store.ApproveNotice(s.e.ctx, undox.System, n.ID)
		require.NoError(t, err)
		require.NoError(t, s.e.store.MarkNoticeSending(s.e.ctx, n.ID))
		require.NoError(t, s.e.store.MarkNoticeSent(s.e.ctx, n.ID, s.clock.Now().Add(deadline)))
	}
	notify(byURL["https://dash.example/a"], 48*time.Hour)
	notify(byURL["https://dash.example/b"], time.Hour)
	s.clock.Advance(90 * time.Minute)
	_, err = s.e.store.SaveCheck(s.e.ctx, sqlstore.CheckResult{Job: undox.RecheckJob{ItemID: byURL["https://dash.example/a"], Reason: undox.RecheckStaff},
		Outcome: undox.CheckGone, Absent: true, Observe: undox.ObserveGone})
	require.NoError(t, err)

	// A watched site, crawled once: a page found.
	w, err := s.e.store.AddWatchedSite(s.e.ctx, undox.System, "https://dash-doxsite.example/", 0, 0)
	require.NoError(t, err)
	_, _, err = s.e.store.ClaimCrawl(s.e.ctx, w.ID)
	require.NoError(t, err)
	require.NoError(t, s.e.store.SaveCrawl(s.e.ctx, undox.Crawl{SiteID: w.ID, Pages: []undox.SitePage{{URL: "https://dash-doxsite.example/1", Key: "k1", TextSHA256: "t1"}},
		Found: []string{"https://dash-doxsite.example/1"}}))

	b := s.loggedIn(aud)
	en := b.do("GET", "/dashboard?lang=en", nil)
	require.Equal(t, http.StatusOK, en.status, en.body)
	require.Contains(t, en.body, "<h1>Dashboard</h1>")
	require.Contains(t, en.body, `<a href="/dashboard" aria-current="page">Dashboard</a>`)
	require.Contains(t, en.body, "<div><dt>Open links</dt><dd>2</dd></div>")
	require.Contains(t, en.body, "<div><dt>Notices awaiting a response</dt><dd>1</dd></div>")
	require.Contains(t, en.body, `<div><dt>Sites watched</dt><dd><a href="/sites">1</a></dd></div>`)
	require.Contains(t, en.body, "<div><dt>Crawls (last 30 days)</dt><dd>1</dd></div>")
	require.Contains(t, en.body, "<div><dt>Pages found (last 30 days)</dt><dd>1</dd></div>")
	require.Contains(t, en.body, "<div><dt>Links past their deadline</dt><dd>1</dd></div>")
	require.Contains(t, en.body, "<div><dt>Median time to removal (last 30 days)</dt><dd>1.5 hours</dd></div>")
	require.Contains(t, en.body, "<div><dt>Removed after a notice (last 30 days)</dt><dd>1</dd></div>")
	require.Contains(t, en.body, `<tr><th scope="row">new</th><td class="num">1</td></tr>`)
	require.Contains(t, en.body, `<tr><th scope="row">notified</th><td class="num">1</td></tr>`)
	require.Contains(t, en.body, `<tr><th scope="row">captured</th><td class="num">0</td></tr>`)
	require.Contains(t, en.body, "<summary>The numbers: 3 reports in 30 days</summary>")
	today := s.clock.Now().In(amsterdamZone(t)).Format("2 January 2006")
	require.Contains(t, en.body, `<tr><th scope="row">`+today+`</th><td class="num">3</td></tr>`)
	require.Contains(t, en.body, `<th scope="row">Slow &lt;Hosting&gt;</th><td class="num">2</td><td class="num">1</td><td class="num">50%</td><td class="num">1.5 hours</td><td class="num">1</td><td class="num">0</td>`)

	// The charts, as images from the session's routes, with alt text.
	for _, c := range []string{"open-items.svg", "reports-per-day.svg", "providers.svg"} {
		require.Contains(t, en.body, `src="/dashboard/charts/`+c+`?`)
	}
	require.Contains(t, en.body, `src="/dashboard/charts/open-items.svg?days=30&amp;lang=en&amp;window=30"`)
	require.Contains(t, en.body, `alt="A bar chart of the reported links that still need work, by state. The numbers are in the table with the chart."`)
	chart := b.do("GET", "/dashboard/charts/open-items.svg?days=30&lang=en&window=30", nil)
	require.Equal(t, http.StatusOK, chart.status, chart.body)
	require.Equal(t, "image/svg+xml", chart.header.Get("Content-Type"))
	require.Equal(t, "nosniff", chart.header.Get("X-Content-Type-Options"))
	require.Contains(t, chart.body, "<svg")
	require.Contains(t, chart.body, "Open links by state")
	require.NotContains(t, strings.ToLower(chart.body), "<script")
	nlChart := b.do("GET", "/dashboard/charts/providers.svg?lang=nl", nil)
	require.Equal(t, http.StatusOK, nlChart.status)
	require.Contains(t, nlChart.body, "Mediane tijd tot verwijdering per partij (uren)")
	require.Equal(t, http.StatusOK, b.do("GET", "/dashboard/charts/reports-per-day.svg", nil).status)
	require.Equal(t, http.StatusNotFound, b.do("GET", "/dashboard/charts/pie.svg", nil).status)
	require.Equal(t, http.StatusBadRequest, b.do("GET", "/dashboard/charts/open-items.svg?days=0", nil).status)
	// Without a session: to the login, no chart.
	requireLoginPage(t, s.browser().do("GET", "/dashboard/charts/open-items.svg", nil), "/dashboard/charts/open-items.svg")
	requireLoginPage(t, s.browser().do("GET", "/dashboard", nil), "/dashboard")

	// In Dutch: a decimal comma, Dutch words and days.
	nl := b.do("GET", "/dashboard?lang=nl", nil)
	require.Contains(t, nl.body, "<h1>Overzicht</h1>")
	require.Contains(t, nl.body, "<dd>1,5 uur</dd>")
	require.Contains(t, nl.body, `<tr><th scope="row">verzoek verstuurd</th><td class="num">1</td></tr>`)
	require.Contains(t, nl.body, "<div><dt>Verzoeken tot verwijdering die op antwoord wachten</dt><dd>1</dd></div>", "a notice is not a report (melding)")
	require.Contains(t, nl.body, "<div><dt>Links over de termijn</dt><dd>1</dd></div>")
	require.Contains(t, nl.body, "<div><dt>Open links</dt><dd>2</dd></div>")
	require.Contains(t, nl.body, `src="/dashboard/charts/open-items.svg?days=30&amp;lang=nl&amp;window=30"`)

	// Another period.
	week := b.do("GET", "/dashboard?lang=en&days=7", nil)
	require.Contains(t, week.body, `<option value="7" selected>the last 7 days</option>`)
	require.Contains(t, week.body, "<summary>The numbers: 3 reports in 7 days</summary>")
	require.Contains(t, week.body, `src="/dashboard/charts/reports-per-day.svg?days=7&amp;lang=en&amp;window=7"`)
	require.Contains(t, b.do("GET", "/dashboard?lang=en&days=12", nil).body, `<option value="30" selected>`, "an unknown period is the default")

	// Reading the dashboard is audited, by name.
	entries, err := s.e.store.AuditEntries(s.e.ctx, "stats", "dashboard")
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	require.Equal(t, "user:"+strconv.FormatInt(aud.User.ID, 10)+":Audrey", entries[0].Actor)
}

func amsterdamZone(t *testing.T) *time.Location {
	t.Helper()
	l, err := time.LoadLocation("Europe/Amsterdam")
	require.NoError(t, err)
	return l
}
