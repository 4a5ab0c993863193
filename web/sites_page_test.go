package web_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
)

// walkSites walks the console's page of watched sites, for TestOpenAPIWalk:
// an analyst adds a site (mistakes are shown beside the fields), crawls it
// now, stops and resumes it; an auditor sees the page without its forms and
// may not post them.
func walkSites(t *testing.T, e *env) {
	c, form := newWalker(t, e), walkForm
	same := header("Origin", e.srv.URL)
	ana := newAccount(t, e, "walk-sites@hotline.example", "Sita", undox.RoleAnalyst)

	c.do(t, "GET", "/sites", nil).ok(t, 303, nil)
	c.do(t, "POST", "/login", walkLogin(t, e, ana, ana.Password), same).ok(t, 303, nil)
	r := c.do(t, "GET", "/sites?lang=en", nil)
	r.ok(t, 200, nil)
	page := string(r.body)
	assert.Contains(t, page, `aria-current="page">Sites</a>`)
	assert.Contains(t, page, "Watch a site")

	r = c.do(t, "POST", "/sites", form("url", "ftp://nope", "hours", "0.01", "max_pages", "9000"), same)
	r.ok(t, 400, nil)
	page = string(r.body)
	assert.Contains(t, page, "Give the address of a page (http:// or https://).")
	assert.Contains(t, page, "No more often than every 5 minutes")
	assert.Contains(t, page, "Between 1 and 5000 pages.")
	assert.Contains(t, page, `value="ftp://nope"`, "what was typed is kept")

	r = c.do(t, "POST", "/sites", form("url", "https://walk-doxsite.example/board/", "hours", "12", "max_pages", "40"), same)
	r.ok(t, 303, nil)
	assert.Equal(t, "/sites?done=console_sites_added&lang=en", r.header.Get("Location"))
	c.do(t, "POST", "/sites", form("url", "https://walk-doxsite.example/board/", "hours", "12", "max_pages", "40"), same).ok(t, 400, nil)
	r = c.do(t, "GET", "/sites?done=console_sites_added&lang=en", nil)
	r.ok(t, 200, nil)
	page = string(r.body)
	assert.Contains(t, page, "The site is watched; its first crawl starts within a minute.")
	assert.Contains(t, page, "<code>https://walk-doxsite.example/board/</code>")
	assert.Contains(t, page, "every 12 h, up to 40 pages")
	assert.Contains(t, page, "nothing found yet")
	assert.NotContains(t, page, `<a href="https://walk-doxsite.example`, "a doxing site is shown as text, never as a link")

	sites, err := e.store.WatchedSites(e.ctx, cli)
	require.NoError(t, err)
	var id string
	for _, s := range sites {
		if s.URL == "https://walk-doxsite.example/board/" {
			id = strconv.FormatInt(s.ID, 10)
		}
	}
	require.NotEmpty(t, id)
	// What crawls found: the site's monitoring cases, the minors' marked.
	var adult, minor undox.Receipt
	c.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://walk-doxsite.example/board/1"}}).ok(t, 201, &adult)
	c.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://walk-doxsite.example/board/2"}, "is_minor": true}).ok(t, 201, &minor)
	siteNum, _ := strconv.ParseInt(id, 10, 64)
	require.NoError(t, e.store.SetSiteCase(e.ctx, siteNum, adult.CaseRef, false))
	require.NoError(t, e.store.SetSiteCase(e.ctx, siteNum, minor.CaseRef, true))
	r = c.do(t, "GET", "/sites?lang=en", nil)
	r.ok(t, 200, nil)
	assert.Contains(t, string(r.body), `<a href="/cases/`+adult.CaseRef+`">`+adult.CaseRef+`</a><br><a href="/cases/`+minor.CaseRef+`">`+minor.CaseRef+`</a> <span class="tag">minor</span>`)

	c.do(t, "POST", "/sites/"+id+"/crawl", form(), same).ok(t, 303, nil)
	c.do(t, "POST", "/sites/"+id+"/stop", form(), same).ok(t, 303, nil)
	r = c.do(t, "POST", "/sites/"+id+"/crawl", form(), same)
	r.ok(t, 303, nil)
	assert.Equal(t, "/sites?lang=en&problem=console_sites_err_stopped", r.header.Get("Location"))
	r = c.do(t, "GET", "/sites?lang=en", nil)
	assert.Contains(t, string(r.body), "Watch again")
	c.do(t, "POST", "/sites/"+id+"/resume", form(), same).ok(t, 303, nil)
	c.do(t, "POST", "/sites/999999/stop", form(), same).ok(t, 404, nil)
	c.do(t, "POST", "/sites/"+id+"/delete", form(), same, nonconforming()).ok(t, 404, nil)
	c.do(t, "POST", "/sites/"+id+"/stop", form(), header("Origin", "https://evil.example")).ok(t, 403, nil)

	aud := newAccount(t, e, "walk-sites-aud@hotline.example", "Audi", undox.RoleAuditor)
	c = newWalker(t, e)
	c.do(t, "POST", "/login", walkLogin(t, e, aud, aud.Password), same).ok(t, 303, nil)
	r = c.do(t, "GET", "/sites?lang=en", nil)
	r.ok(t, 200, nil)
	assert.Contains(t, string(r.body), "walk-doxsite.example")
	assert.NotContains(t, string(r.body), "<form method=\"post\" action=\"/sites")
	c.do(t, "POST", "/sites", form("url", "https://other.example/", "hours", "6", "max_pages", "10"), same).ok(t, 403, nil)
	c.do(t, "POST", "/sites/"+id+"/stop", form(), same).ok(t, 403, nil)
}
