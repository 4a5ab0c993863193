package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/web"
)

// page is one answer of the portal, read whole.
type page struct {
	status int
	header http.Header
	body   string
}

// portal sends plain browser-like requests, outside the OpenAPI validator.
type portal struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newPortal(t *testing.T, configure func(*web.Config)) (*env, *portal) {
	e := newEnv(t, configure)
	hc := e.srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return e, &portal{t: t, base: e.srv.URL, hc: hc}
}

func (p *portal) do(method, path string, form url.Values, hdr ...string) page {
	p.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, p.base+path, body)
	require.NoError(p.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", p.base)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := p.hc.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(p.t, err)
	pg := page{status: resp.StatusCode, header: resp.Header, body: string(b)}
	// Every victim page: no script, the quick exit, the security headers.
	require.NotContains(p.t, strings.ToLower(pg.body), "<script", path)
	require.Contains(p.t, pg.body, `class="exit" href="`+web.DefaultQuickExitURL+`" rel="noreferrer"`, path)
	require.Contains(p.t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'", path)
	require.NotContains(p.t, resp.Header.Get("Content-Security-Policy"), "script-src", path)
	require.Equal(p.t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
	require.Equal(p.t, "DENY", resp.Header.Get("X-Frame-Options"), path)
	require.Equal(p.t, "no-store", resp.Header.Get("Cache-Control"), path)
	require.Equal(p.t, "noindex, nofollow", resp.Header.Get("X-Robots-Tag"), path)
	require.Equal(p.t, "same-origin", resp.Header.Get("Referrer-Policy"), path)
	require.Equal(p.t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"), path)
	return pg
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, pg page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(pg.body)
	require.NotNil(t, m, "no anti-forgery token in the page")
	return m[1]
}

func TestPortalReportFormLanguages(t *testing.T) {
	_, p := newPortal(t, nil)

	nl := p.do("GET", "/report", nil)
	require.Equal(t, 200, nl.status)
	require.Contains(t, nl.body, `<html lang="nl">`)
	require.Contains(t, nl.body, "Meld een pagina")
	require.Contains(t, nl.body, "Snel weg")
	require.Contains(t, nl.body, `href="?lang=en"`)
	require.Contains(t, nl.body, `<textarea id="urls" name="urls"`)
	require.Contains(t, nl.body, `name="category" value="doxing"`)
	require.Contains(t, nl.body, `name="minor" value="yes"`)
	require.Contains(t, nl.body, `type="email" id="email" name="email"`)
	require.Contains(t, nl.body, `name="consent" value="yes"`)
	csrfOf(t, nl)

	en := p.do("GET", "/report?lang=en", nil)
	require.Contains(t, en.body, `<html lang="en">`)
	require.Contains(t, en.body, "Report a page")
	require.Contains(t, en.body, "Quick exit")
	require.Contains(t, en.body, `href="?lang=nl"`)

	// The browser's language, when the link names none.
	byHeader := p.do("GET", "/report", nil, "Accept-Language", "en-GB,en;q=0.9,nl;q=0.5")
	require.Contains(t, byHeader.body, `<html lang="en">`)
	byHeader = p.do("GET", "/report", nil, "Accept-Language", "de-DE,nl;q=0.8,en;q=0.7")
	require.Contains(t, byHeader.body, `<html lang="nl">`)
	byHeader = p.do("GET", "/report", nil, "Accept-Language", "fr")
	require.Contains(t, byHeader.body, `<html lang="nl">`)
}

func TestPortalHelpLinksAndQuickExitConfigured(t *testing.T) {
	e := newEnv(t, func(c *web.Config) {
		c.QuickExitURL = "https://neutral.example/"
		c.HelpLinks = web.HelpLinks{VictimSupport: "https://support.example/", PoliceReport: "https://police.example/report"}
	})
	resp, err := e.srv.Client().Get(e.srv.URL + "/report?lang=en")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(b), `class="exit" href="https://neutral.example/" rel="noreferrer"`)
	require.Contains(t, string(b), `<a href="https://support.example/" rel="noreferrer">Victim support</a>`)
	require.Contains(t, string(b), `<a href="https://police.example/report" rel="noreferrer">Report to the police</a>`)
}

func TestPortalRefusesForgedPosts(t *testing.T) {
	e, p := newPortal(t, nil)
	good := url.Values{"urls": {"https://forged.example/p/1"}, "minor": {"no"}, "lang": {"en"}}

	r := p.do("POST", "/report", good)
	require.Equal(t, http.StatusForbidden, r.status)
	require.Contains(t, r.body, "https://forged.example/p/1", "what was typed is kept")

	bad := url.Values{"csrf": {"AAAA.BBBB"}}
	for k, v := range good {
		bad[k] = v
	}
	require.Equal(t, http.StatusForbidden, p.do("POST", "/report", bad).status)

	form := p.do("GET", "/report", nil)
	withToken := url.Values{"csrf": {csrfOf(t, form)}}
	for k, v := range good {
		withToken[k] = v
	}
	require.Equal(t, http.StatusForbidden, p.do("POST", "/report", withToken, "Origin", "https://evil.example").status)

	cases, err := e.store.Cases(e.ctx, undox.System, undox.CaseFilter{Query: "forged.example", Limit: 10})
	require.NoError(t, err)
	require.Empty(t, cases, "a refused post creates no case")
}

func TestPortalBadInputKeepsTheForm(t *testing.T) {
	_, p := newPortal(t, nil)
	csrf := csrfOf(t, p.do("GET", "/report?lang=en", nil))
	r := p.do("POST", "/report", url.Values{"csrf": {csrf}, "lang": {"en"},
		"urls":     {"https://kept.example/a\nnot a url at all"},
		"category": {"harassment"}, "minor": {"yes"}, "description": {"<b>kept</b> text"},
		"email": {"victim@example.com"}, "consent": {"yes"}})
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, `<p class="error" id="urls-error">Line 2: this is not a working web address`)
	require.Contains(t, r.body, "https://kept.example/a\nnot a url at all</textarea>")
	require.Contains(t, r.body, `name="category" value="harassment" checked`)
	require.Contains(t, r.body, `name="minor" value="yes" checked`)
	require.Contains(t, r.body, "&lt;b&gt;kept&lt;/b&gt; text</textarea>")
	require.Contains(t, r.body, `value="victim@example.com"`)
	require.Contains(t, r.body, `name="consent" value="yes" checked`)
	require.NotContains(t, r.body, "/status/", "no case was made")

	// Dutch, with no URL and an e-mail without consent.
	csrf = csrfOf(t, p.do("GET", "/report", nil))
	r = p.do("POST", "/report", url.Values{"csrf": {csrf}, "urls": {"  \n "}, "email": {"iemand@example.nl"}})
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Vul minstens één link in.")
	require.Contains(t, r.body, "Vink het vakje aan als u berichten wilt")
	require.Contains(t, r.body, `value="iemand@example.nl"`)
}

func TestPortalReportCreatesCase(t *testing.T) {
	e, p := newPortal(t, nil)
	csrf := csrfOf(t, p.do("GET", "/report?lang=en", nil))
	r := p.do("POST", "/report", url.Values{"csrf": {csrf}, "lang": {"en"},
		"urls":     {"https://social.example/u/victim/status/1\n\nhttps://paste.example/abc"},
		"category": {"doxing"}, "minor": {"yes"}, "email": {"victim@example.com"}, "consent": {"yes"}})
	require.Equal(t, http.StatusOK, r.status, r.body)

	ref := regexp.MustCompile(`<strong>(UDX-[0-9A-Z-]+)</strong>`).FindStringSubmatch(r.body)
	require.NotNil(t, ref, r.body)
	link := regexp.MustCompile(`href="(` + regexp.QuoteMeta(e.srv.URL) + `/status/[A-Za-z0-9_-]+)"`).FindStringSubmatch(r.body)
	require.NotNil(t, link, r.body)
	require.Contains(t, r.body, "Save this link now")
	require.Contains(t, r.body, "We do not send this link by e-mail.", "undox does not mail the link yet: it must not say so")
	require.NotContains(t, r.body, `name="csrf"`, "the receipt page has no form")

	c, err := e.store.Case(e.ctx, undox.System, ref[1])
	require.NoError(t, err)
	require.Equal(t, "en", c.Language)
	require.Equal(t, undox.CategoryDoxing, c.Category)
	require.True(t, c.IsMinor)
	require.True(t, c.Consent)
	require.Equal(t, "victim@example.com", c.ReporterEmail)
	require.Len(t, c.Items, 2)

	// The link opens the case's status page, in the case's language.
	st := p.do("GET", strings.TrimPrefix(link[1], e.srv.URL), nil)
	require.Equal(t, http.StatusOK, st.status)
	require.Contains(t, st.body, `<html lang="en">`)
	require.Contains(t, st.body, ref[1])
	require.Contains(t, st.body, "https://paste.example/abc")
}

func TestPortalRateLimit(t *testing.T) {
	_, p := newPortal(t, func(c *web.Config) { c.ReportsPerMinute, c.ReportBurst = 1, 1 })
	send := func() page {
		csrf := csrfOf(t, p.do("GET", "/report", nil))
		return p.do("POST", "/report", url.Values{"csrf": {csrf}, "urls": {"https://limit.example/p"}})
	}
	require.Equal(t, http.StatusOK, send().status)
	r := send()
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Contains(t, r.body, "https://limit.example/p</textarea>")
}

func TestPortalStatusPage(t *testing.T) {
	e, p := newPortal(t, nil)
	csrf := csrfOf(t, p.do("GET", "/report", nil))
	r := p.do("POST", "/report", url.Values{"csrf": {csrf}, "urls": {"https://social.example/u/x/status/9"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	ref := regexp.MustCompile(`<strong>(UDX-[0-9A-Z-]+)</strong>`).FindStringSubmatch(r.body)[1]
	path := strings.TrimPrefix(regexp.MustCompile(`href="(` + regexp.QuoteMeta(e.srv.URL) + `/status/[A-Za-z0-9_-]+)"`).FindStringSubmatch(r.body)[1], e.srv.URL)

	// A closed case gets a timeline entry, in the case's language (Dutch).
	_, err := e.store.CaseEvent(e.ctx, undox.System, ref, "close", "handled")
	require.NoError(t, err)
	n, err := e.store.UpdateTimelines(e.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	st := p.do("GET", path, nil)
	require.Equal(t, http.StatusOK, st.status)
	require.Contains(t, st.body, `<html lang="nl">`)
	require.Contains(t, st.body, "We hebben uw melding ontvangen.")
	require.Contains(t, st.body, "Uw melding is afgehandeld. Dank u voor uw melding.")
	require.Regexp(t, `<span class="when">\d{1,2} [a-z]+ \d{4}, \d\d:\d\d</span>Uw melding is afgehandeld`, st.body)
	require.Contains(t, st.body, "Wat er nu gebeurt")
	require.Contains(t, st.body, `action="`+path+`/withdraw?lang=nl"`)

	// Withdrawing: refused without the token or the confirmation.
	token := csrfOf(t, st)
	require.Equal(t, http.StatusForbidden, p.do("POST", path+"/withdraw", url.Values{"confirm": {"yes"}}).status)
	require.Equal(t, http.StatusForbidden, p.do("POST", path+"/withdraw", url.Values{"confirm": {"yes"}, "csrf": {token}},
		"Origin", "https://evil.example").status)
	require.Equal(t, http.StatusBadRequest, p.do("POST", path+"/withdraw", url.Values{"csrf": {token}}).status)
	c, err := e.store.Case(e.ctx, undox.System, ref)
	require.NoError(t, err)
	require.Equal(t, undox.CaseClosed, c.Status)

	w := p.do("POST", path+"/withdraw?lang=en", url.Values{"confirm": {"yes"}, "csrf": {token}})
	require.Equal(t, http.StatusOK, w.status)
	require.Contains(t, w.body, "Your report was withdrawn.")
	require.Contains(t, w.body, "We are erasing your data")
	require.NotContains(t, w.body, "/withdraw?", "a withdrawn case offers no withdraw form")
	c, err = e.store.Case(e.ctx, undox.System, ref)
	require.NoError(t, err)
	require.Equal(t, undox.CaseWithdrawn, c.Status)

	// Another link, or none: no case.
	gone := p.do("GET", "/status/"+strings.Repeat("A", 43), nil)
	require.Equal(t, http.StatusNotFound, gone.status)
	require.Contains(t, gone.body, "Deze link werkt niet")
	require.Equal(t, http.StatusNotFound, p.do("POST", "/status/"+strings.Repeat("A", 43)+"/withdraw",
		url.Values{"confirm": {"yes"}, "csrf": {token}}).status)
}
