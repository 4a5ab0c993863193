package web

// The analysts' dashboard: open items by state, notices awaiting a
// response, items past their deadline, the time to removal, reports per
// day and the providers' ranking, as tables (numbers and days written as
// the page's language writes them) and as charts rendered on the server.
// The charts are SVG images from /dashboard/charts/…, the same handler as
// the API's chart endpoints behind the page's session; an <img> runs no
// script.

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/undox/undox"
	"github.com/undox/undox/report"
)

// dashboardPeriods are the periods the dashboard offers, in days; the
// first is the default.
var dashboardPeriods = []int{30, 7, 90, 365}

type dashboardPage struct {
	*staffPage
	Days      int
	Periods   []option
	Generated string
	Zone      string

	OpenTotal    string
	Open         []dashRow
	Awaiting     string
	PastDeadline string
	Removed      string
	Median, P90  string
	ReportsTotal string
	PerDay       []dashRow
	// The monitoring of known doxing sites: sites watched, crawls and
	// finds in the period.
	SitesWatched, Crawls, Found string

	ProviderFrom, ProviderTo string
	Providers                []providerRow
	MoreProviders            string

	OpenChart, DaysChart, ProvidersChart string
	OpenAlt, DaysAlt, ProvidersAlt       string
}

type dashRow struct {
	Label, Value string
}

type providerRow struct {
	Rank                      string
	Name                      string
	Notified, Removed, Rate   string
	Median, Ignored, Disputed string
}

// maxDashboardProviders is how many providers the ranking lists.
const maxDashboardProviders = 20

// number writes a whole number as the language does (nl: 1.234).
func number(lang string, n int) string { return report.Number(lang, float64(n), 0) }

// removalTime writes a time to removal in minutes as people read it: in
// minutes up to an hour, in hours up to two days, else in days; "–"
// without one.
func removalTime(t map[string]string, lang string, minutes *int64) string {
	if minutes == nil {
		return t["dash_none"]
	}
	m := float64(*minutes)
	switch {
	case m < 60:
		return fmt.Sprintf(t["dash_minutes"], report.Number(lang, m, 0))
	case m < 48*60:
		return fmt.Sprintf(t["dash_hours"], report.Number(lang, m/60, 1))
	default:
		return fmt.Sprintf(t["dash_days"], report.Number(lang, m/(24*60), 1))
	}
}

// dashboard is GET /dashboard.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	sp := s.newStaffPage(w, r, pageUser(a))
	sp.Section = "dashboard"
	p := &dashboardPage{staffPage: sp, Days: dashboardPeriods[0]}
	t, lang := p.T, p.Lang
	if n, err := strconv.Atoi(r.URL.Query().Get("days")); err == nil && slices.Contains(dashboardPeriods, n) {
		p.Days = n
	}
	for _, n := range dashboardPeriods {
		p.Periods = append(p.Periods, option{Value: strconv.Itoa(n), Label: fmt.Sprintf(t["dash_period_days"], n), Selected: n == p.Days})
	}
	d, err := s.Store.Dashboard(r.Context(), a, undox.DashboardQuery{Days: p.Days, WindowDays: p.Days})
	var rep *undox.ProviderReport
	if err == nil {
		rep, err = s.Store.ProviderScores(r.Context(), a, undox.ProviderQuery{})
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "dashboard", "err", err)
		sp.Problem = t["login_err_internal"]
		s.renderPage(w, http.StatusInternalServerError, "staff_dashboard.html", p)
		return
	}
	p.Generated = formatDate(lang, d.GeneratedAt)
	p.Zone = d.Zone
	p.OpenTotal = number(lang, d.OpenTotal)
	for _, sc := range d.OpenItems {
		p.Open = append(p.Open, dashRow{Label: nonEmpty(t["stats_state_"+string(sc.State)], string(sc.State)), Value: number(lang, sc.Count)})
	}
	p.Awaiting = number(lang, d.NoticesAwaitingResponse)
	p.PastDeadline = number(lang, d.ItemsPastDeadline)
	p.SitesWatched, p.Crawls, p.Found = number(lang, d.Monitoring.SitesWatched), number(lang, d.Monitoring.Crawls), number(lang, d.Monitoring.Found)
	p.Removed = number(lang, d.Removal.Removed)
	p.Median = removalTime(t, lang, d.Removal.MedianMinutes)
	p.P90 = removalTime(t, lang, d.Removal.P90Minutes)
	total := 0
	for i := len(d.ReportsPerDay) - 1; i >= 0; i-- { // the latest first
		dc := d.ReportsPerDay[i]
		total += dc.Count
		p.PerDay = append(p.PerDay, dashRow{Label: formatDayString(lang, dc.Day), Value: number(lang, dc.Count)})
	}
	p.ReportsTotal = number(lang, total)

	p.ProviderFrom, p.ProviderTo = formatDayString(lang, rep.From), formatDayString(lang, rep.To)
	for i, ps := range rep.Providers {
		if i == maxDashboardProviders {
			p.MoreProviders = fmt.Sprintf(t["dash_providers_more"], number(lang, len(rep.Providers)-i))
			break
		}
		p.Providers = append(p.Providers, providerRow{Rank: number(lang, ps.Rank), Name: ps.Name, Notified: number(lang, ps.Notified),
			Removed: number(lang, ps.Removed), Rate: report.Number(lang, ps.RemovalRate*100, 0) + "%",
			Median: removalTime(t, lang, ps.MedianMinutes), Ignored: number(lang, ps.Ignored), Disputed: number(lang, ps.Disputed)})
	}

	q := url.Values{"lang": {lang}, "days": {strconv.Itoa(p.Days)}, "window": {strconv.Itoa(p.Days)}}.Encode()
	p.OpenChart = "/dashboard/charts/open-items.svg?" + q
	p.DaysChart = "/dashboard/charts/reports-per-day.svg?" + q
	p.ProvidersChart = "/dashboard/charts/providers.svg?" + url.Values{"lang": {lang}}.Encode()
	p.OpenAlt = t["stats_open_desc"] + " " + t["dash_alt_table"]
	p.DaysAlt = t["stats_days_desc"] + " " + t["dash_alt_table"]
	p.ProvidersAlt = t["stats_providers_desc"] + " " + t["dash_alt_table"]
	s.renderPage(w, http.StatusOK, "staff_dashboard.html", p)
}
