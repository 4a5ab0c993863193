package web_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/report"
	"github.com/undox/undox/sqlstore"
)

// Synthetic data only: reserved names (.example), documentation addresses
// and AS numbers, made-up organisations.

func init() {
	openapi3filter.RegisterBodyDecoder("image/svg+xml", openapi3filter.PlainBodyDecoder)
}

// walkStats is the statistics' part of TestOpenAPIWalk: every operation
// once, as its users call it, checked against the document.
func walkStats(t *testing.T, e *env, analyst, auditor, partner string) {
	api := e.api
	var d undox.Dashboard
	api.do(t, "GET", "/api/v1/stats/dashboard", nil, bearer(analyst)).ok(t, 200, &d)
	assert.Len(t, d.ReportsPerDay, undox.DefaultStatsDays)
	assert.Len(t, d.OpenItems, len(undox.OpenStates()))
	api.do(t, "GET", "/api/v1/stats/dashboard?days=7&window=1", nil, bearer(auditor)).ok(t, 200, &d)
	assert.Len(t, d.ReportsPerDay, 7)
	api.do(t, "GET", "/api/v1/stats/dashboard?days=367", nil, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
	api.do(t, "GET", "/api/v1/stats/dashboard", nil, bearer(partner)).problem(t, 403, undox.EFORBIDDEN)

	var rep undox.ProviderReport
	api.do(t, "GET", "/api/v1/stats/providers", nil, bearer(analyst)).ok(t, 200, &rep)
	assert.NotEmpty(t, rep.Providers, "the walk sent notices")
	r := api.do(t, "GET", "/api/v1/stats/providers?format=csv&year="+time.Now().Format("2006"), nil, bearer(auditor))
	r.ok(t, 200, nil)
	assert.Equal(t, "text/csv; charset=utf-8", r.header.Get("Content-Type"))
	api.do(t, "GET", "/api/v1/stats/providers?from=2026-03-05&to=2026-03-04", nil, bearer(analyst)).problem(t, 400, undox.EINVALID)

	for _, chart := range []string{"open-items.svg", "reports-per-day.svg", "providers.svg"} {
		r := api.do(t, "GET", "/api/v1/stats/charts/"+chart+"?lang=en", nil, bearer(analyst))
		r.ok(t, 200, nil)
		assert.Equal(t, "image/svg+xml", r.header.Get("Content-Type"))
	}
	api.do(t, "GET", "/api/v1/stats/charts/pie.svg", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
}

// statsTrace is a trace answer: the page on an address in AS64500, the
// host's abuse desk to notify.
func statsTrace(host string) []byte {
	return []byte(fmt.Sprintf(`{"url":"https://stats.example/a","addresses":[
 {"ip":"192.0.2.20","org":%q,"asn":64500,"as":{"number":64500,"name":"EXAMPLE-AS"},"cdn":false,"parents":[]}],
 "recipients":[{"role":"host","organisation":%q,"email":"abuse@hosting.example","notify":true,"source":"rdap"}]}`, host, host))
}

// TestStatsAPI checks the numbers, the CSV download and the charts that a
// small history gives, in both languages.
func TestStatsAPI(t *testing.T) {
	e := newEnv(t, nil)
	analyst := e.token(t, "ana", undox.RoleAnalyst)
	partner := e.token(t, "partner-a", undox.RolePartner)
	for _, u := range []string{"https://stats.example/a", "https://stats.example/b"} {
		e.api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{u}, "category": "doxing"}).ok(t, 201, nil)
	}
	items, err := e.store.Items(e.ctx, undox.System, undox.ItemFilter{Host: "stats.example"})
	require.NoError(t, err)
	require.Len(t, items, 2)
	// One page is notified to a host whose name starts like a formula,
	// and taken down.
	id := items[0].ID
	_, err = e.store.ObserveItem(e.ctx, id, undox.ObserveCaptured, "", nil)
	require.NoError(t, err)
	_, err = e.store.SaveTrace(e.ctx, id, "net:TEST", statsTrace("=Evil Hosting <b>"))
	require.NoError(t, err)
	_, n, err := e.store.ConfirmItem(e.ctx, undox.System, id, "")
	require.NoError(t, err)
	_, err = e.store.ApproveNotice(e.ctx, undox.System, n.ID)
	require.NoError(t, err)
	require.NoError(t, e.store.MarkNoticeSending(e.ctx, n.ID))
	require.NoError(t, e.store.MarkNoticeSent(e.ctx, n.ID, time.Now().Add(48*time.Hour)))
	_, err = e.store.SaveCheck(e.ctx, sqlstore.CheckResult{Job: undox.RecheckJob{ItemID: id, Reason: undox.RecheckStaff},
		Outcome: undox.CheckGone, Absent: true, Observe: undox.ObserveGone})
	require.NoError(t, err)

	t.Run("dashboard", func(t *testing.T) {
		var d undox.Dashboard
		e.api.do(t, "GET", "/api/v1/stats/dashboard", nil, bearer(analyst)).ok(t, 200, &d)
		assert.Equal(t, "Europe/Amsterdam", d.Zone)
		assert.Equal(t, 1, d.OpenTotal)
		assert.Equal(t, undox.StateCount{State: undox.ItemNew, Count: 1}, d.OpenItems[0])
		assert.Equal(t, 1, d.Removal.Removed)
		require.NotNil(t, d.Removal.MedianMinutes)
		assert.Equal(t, int64(0), *d.Removal.MedianMinutes, "within the minute")
		assert.Equal(t, 2, d.ReportsPerDay[len(d.ReportsPerDay)-1].Count, "today's reports")

		for _, q := range []string{"days=0", "window=367", "days=x"} {
			p := e.api.do(t, "GET", "/api/v1/stats/dashboard?"+q, nil, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
			assert.Len(t, p.Errors, 1, q)
		}
		e.api.do(t, "GET", "/api/v1/stats/dashboard", nil, nonconforming()).problem(t, 401, undox.EUNAUTHORIZED)
		e.api.do(t, "GET", "/api/v1/stats/dashboard", nil, bearer(partner)).problem(t, 403, undox.EFORBIDDEN)
		entries, err := e.store.AuditEntries(e.ctx, "stats", "dashboard")
		require.NoError(t, err)
		require.Len(t, entries, 1, "the read is audited, the refused ones are not reads")
		assert.Regexp(t, `^token:\d+:ana$`, entries[0].Actor)
	})

	t.Run("providers", func(t *testing.T) {
		var rep undox.ProviderReport
		e.api.do(t, "GET", "/api/v1/stats/providers", nil, bearer(analyst)).ok(t, 200, &rep)
		require.Len(t, rep.Providers, 1)
		p := rep.Providers[0]
		assert.Equal(t, "=Evil Hosting <b>", p.Name)
		assert.Equal(t, []string{"host"}, p.Roles)
		assert.Equal(t, 1, p.Notified)
		assert.Equal(t, 1, p.Removed)
		assert.Equal(t, 1.0, p.RemovalRate)
		require.Len(t, rep.Networks, 1)
		assert.Equal(t, "AS64500", rep.Networks[0].Key)
		assert.Equal(t, uint32(64500), rep.Networks[0].ASN)

		year := time.Now().In(time.UTC).Format("2006")
		r := e.api.do(t, "GET", "/api/v1/stats/providers?format=csv&year="+year, nil, bearer(analyst))
		r.ok(t, 200, nil)
		assert.Equal(t, "text/csv; charset=utf-8", r.header.Get("Content-Type"))
		assert.Equal(t, `attachment; filename="undox-providers-`+year+`-01-01-`+year+`-12-31.csv"`, r.header.Get("Content-Disposition"))
		rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 3)
		assert.Equal(t, report.CSVHeader, rows[0])
		assert.Equal(t, []string{"organisation", "1", "'=evil hosting <b>", "'=Evil Hosting <b>", "", "host", "1", "1", "1", "1", "0", "0",
			"0", "0", year + "-01-01", year + "-12-31"}, rows[1], "a name is never a formula")
		assert.Equal(t, "network", rows[2][0])

		for q, field := range map[string]string{"year=2026&from=2026-01-01": "year", "from=yesterday": "from",
			"from=2020-01-01&to=2026-01-01": "to"} {
			p := e.api.do(t, "GET", "/api/v1/stats/providers?"+q, nil, bearer(analyst), maybeNonconforming(q)).problem(t, 400, undox.EINVALID)
			assert.Contains(t, p.Errors, field, q)
		}
		e.api.do(t, "GET", "/api/v1/stats/providers?format=xml", nil, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
		e.api.do(t, "GET", "/api/v1/stats/providers", nil, bearer(partner)).problem(t, 403, undox.EFORBIDDEN)
	})

	t.Run("charts", func(t *testing.T) {
		get := func(path string, opts ...reqOpt) *reply {
			r := e.api.do(t, "GET", path, nil, append([]reqOpt{bearer(analyst)}, opts...)...)
			r.ok(t, 200, nil)
			assert.Equal(t, "image/svg+xml", r.header.Get("Content-Type"))
			assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
			assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
			body := string(r.body)
			assert.True(t, strings.HasPrefix(body, `<svg xmlns="http://www.w3.org/2000/svg"`), body)
			for _, bad := range []string{"<script", "style=", "href", "url("} {
				assert.NotContains(t, body, bad, "%s: nothing that a strict page refuses", path)
			}
			assert.NotRegexp(t, `\son[a-z]+=`, body, "no event handler")
			return r
		}
		r := get("/api/v1/stats/charts/open-items.svg?lang=nl")
		assert.Equal(t, "nl", r.header.Get("Content-Language"))
		assert.Contains(t, string(r.body), "<title id=\"chart-title\">Open links per status</title>")
		assert.Contains(t, string(r.body), ">nieuw</text>")
		r = get("/api/v1/stats/charts/open-items.svg", header("Accept-Language", "en-GB,en;q=0.9,nl;q=0.5"))
		assert.Equal(t, "en", r.header.Get("Content-Language"))
		assert.Contains(t, string(r.body), ">Open links by state</text>")
		assert.Contains(t, string(r.body), ">new</text>")

		r = get("/api/v1/stats/charts/reports-per-day.svg?days=7&lang=nl")
		today := time.Now().In(amsterdam(t))
		assert.Contains(t, string(r.body), ">"+report.Day("nl", today.Format("2006-01-02"))+"</text>")
		r = get("/api/v1/stats/charts/providers.svg?lang=en&from=" + url.QueryEscape(today.AddDate(0, 0, -1).Format("2006-01-02")))
		assert.Contains(t, string(r.body), ">=Evil Hosting &lt;b&gt;</text>", "a name is text")
		assert.Contains(t, string(r.body), ">0.0</text>", "hours, one decimal")
		r = get("/api/v1/stats/charts/providers.svg?lang=nl&year=2001")
		assert.Contains(t, string(r.body), ">In deze periode is niets verwijderd na een verzoek tot verwijdering.</text>")

		e.api.do(t, "GET", "/api/v1/stats/charts/pie.svg", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
		e.api.do(t, "GET", "/api/v1/stats/charts/open-items.svg?days=0", nil, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
		e.api.do(t, "GET", "/api/v1/stats/charts/open-items.svg", nil, bearer(partner)).problem(t, 403, undox.EFORBIDDEN)
		e.api.do(t, "GET", "/api/v1/stats/charts/open-items.svg", nil, nonconforming()).problem(t, 401, undox.EUNAUTHORIZED)
	})
}

// maybeNonconforming marks the queries that the document itself refuses.
func maybeNonconforming(q string) reqOpt {
	if strings.Contains(q, "yesterday") {
		return nonconforming()
	}
	return func(*http.Request) {}
}

func amsterdam(t *testing.T) *time.Location {
	l, err := time.LoadLocation("Europe/Amsterdam")
	require.NoError(t, err)
	return l
}
