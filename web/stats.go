package web

// Statistics for staff: the dashboard's numbers, the providers'
// scorecards (JSON, or CSV for the yearly report on bad hosting) and the
// dashboard's charts as SVG documents, which pages show as
// <img src="/api/v1/stats/charts/…">: an image runs no script, and what it
// holds is not subject to the page's Content-Security-Policy (package
// report builds the SVG without script, style attributes or links all the
// same).

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/undox/undox"
	"github.com/undox/undox/report"
)

// statsMessages are the dashboard's strings; init adds them to the
// catalog (messages).
var statsMessages = map[string][2]string{
	"stats_open_title":        {"Open links per status", "Open links by state"},
	"stats_open_desc":         {"Een staafdiagram van het aantal gemelde links dat nog werk vraagt, per status.", "A bar chart of the reported links that still need work, by state."},
	"stats_open_empty":        {"Er zijn geen open links.", "There are no open links."},
	"stats_days_title":        {"Meldingen per dag", "Reports per day"},
	"stats_days_desc":         {"Een lijndiagram van het aantal meldingen per dag.", "A line chart of the number of reports per day."},
	"stats_days_empty":        {"Nog geen meldingen.", "No reports yet."},
	"stats_providers_title":   {"Mediane tijd tot verwijdering per partij (uren)", "Median time to removal by provider (hours)"},
	"stats_providers_desc":    {"Een liggend staafdiagram van de partijen met de langste mediane tijd van verzoek tot verwijdering tot bevestigde verwijdering, in uren, de traagste bovenaan.", "A horizontal bar chart of the providers with the longest median time from notice to confirmed removal, in hours, the slowest on top."},
	"stats_providers_empty":   {"In deze periode is niets verwijderd na een verzoek tot verwijdering.", "Nothing was removed after a notice in this period."},
	"stats_state_new":         {"nieuw", "new"},
	"stats_state_captured":    {"vastgelegd", "captured"},
	"stats_state_unreachable": {"onbereikbaar", "unreachable"},
	"stats_state_confirmed":   {"bevestigd", "confirmed"},
	"stats_state_notified":    {"verzoek verstuurd", "notified"},
	"stats_state_escalated":   {"geëscaleerd", "escalated"},
	"stats_state_reappeared":  {"teruggekomen", "reappeared"},
}

func init() {
	for k, v := range statsMessages {
		if _, dup := messages[k]; dup {
			panic("web: message " + k + " is defined twice")
		}
		messages[k] = v
	}
}

// chartText is what a chart says in lang, from the catalog.
func chartText(lang, name string) report.Text {
	t := tr(lang)
	states := map[undox.ItemStatus]string{}
	for _, st := range undox.OpenStates() {
		states[st] = t["stats_state_"+string(st)]
	}
	return report.Text{Lang: lang, Title: t["stats_"+name+"_title"], Desc: t["stats_"+name+"_desc"],
		Empty: t["stats_"+name+"_empty"], States: states}
}

// queryInt reads an optional whole-number query parameter (0 when absent).
func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, undox.Invalid(name, "%s must be a whole number from 1", name)
	}
	return n, nil
}

func dashboardQuery(r *http.Request) (undox.DashboardQuery, error) {
	var q undox.DashboardQuery
	var err error
	if q.Days, err = queryInt(r, "days"); err != nil {
		return q, err
	}
	q.WindowDays, err = queryInt(r, "window")
	return q, err
}

func providerQuery(r *http.Request) (undox.ProviderQuery, error) {
	q := undox.ProviderQuery{From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to")}
	var err error
	q.Year, err = queryInt(r, "year")
	return q, err
}

// statsDashboard is GET /api/v1/stats/dashboard.
func (s *Server) statsDashboard(w http.ResponseWriter, r *http.Request, actor undox.Actor) {
	q, err := dashboardQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.Store.Dashboard(r.Context(), actor, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// statsProviders is GET /api/v1/stats/providers: the scorecards as JSON,
// or with format=csv as a CSV download.
func (s *Server) statsProviders(w http.ResponseWriter, r *http.Request, actor undox.Actor) {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		s.fail(w, r, undox.Invalid("format", "format is json or csv"))
		return
	}
	q, err := providerQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.Store.ProviderScores(r.Context(), actor, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format != "csv" {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	var b bytes.Buffer
	if err := report.ProvidersCSV(&b, rep); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="undox-providers-%s-%s.csv"`, rep.From, rep.To))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

// charts are the dashboard's charts by file name.
var statsCharts = map[string]bool{"open-items.svg": true, "reports-per-day.svg": true, "providers.svg": true}

// statsChart is GET /api/v1/stats/charts/{chart}: one chart as an SVG
// document, in the language of ?lang or the browser.
func (s *Server) statsChart(w http.ResponseWriter, r *http.Request, actor undox.Actor) {
	name := r.PathValue("chart")
	if !statsCharts[name] {
		s.fail(w, r, undox.Errorf(undox.ENOTFOUND, "no such chart (open-items.svg, reports-per-day.svg, providers.svg)"))
		return
	}
	lang := pageLanguage(r, "")
	var (
		svg []byte
		err error
	)
	if name == "providers.svg" {
		var q undox.ProviderQuery
		var rep *undox.ProviderReport
		if q, err = providerQuery(r); err == nil {
			if rep, err = s.Store.ProviderScores(r.Context(), actor, q); err == nil {
				svg, err = report.Providers(rep, chartText(lang, "providers"))
			}
		}
	} else {
		var q undox.DashboardQuery
		var d *undox.Dashboard
		if q, err = dashboardQuery(r); err == nil {
			if d, err = s.Store.Dashboard(r.Context(), actor, q); err == nil {
				if name == "open-items.svg" {
					svg, err = report.OpenItems(d, chartText(lang, "open"))
				} else {
					svg, err = report.ReportsPerDay(d, chartText(lang, "days"))
				}
			}
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Language", lang)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(svg)
}
