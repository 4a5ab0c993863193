package web_test

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/mail"
	"github.com/undox/undox/mail/mailtest"
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
	return e, newBrowser(t, e)
}

// newBrowser is another browser on e's portal, with cookies of its own.
func newBrowser(t *testing.T, e *env) *portal {
	c := *e.srv.Client() // the server's client is shared: a copy, with a jar of its own
	hc := &c
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc.Jar = jar
	return &portal{t: t, base: e.srv.URL, hc: hc}
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
	csp := resp.Header.Get("Content-Security-Policy")
	require.Contains(p.t, csp, "default-src 'none'", path)
	require.NotContains(p.t, csp, "script-src", path)
	// No inline style either: the style sheet comes from this site.
	require.NotContains(p.t, csp, "unsafe-inline", path)
	require.Contains(p.t, csp, "style-src 'self';", path)
	require.NotContains(p.t, strings.ToLower(pg.body), "<style", path)
	require.NotRegexp(p.t, `(?i)\sstyle=`, pg.body, path)
	require.NotRegexp(p.t, `(?i)\son[a-z]+=`, pg.body, path)
	require.Contains(p.t, pg.body, `<link rel="stylesheet" href="/assets/victim.css">`, path)
	require.Equal(p.t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
	require.Equal(p.t, "DENY", resp.Header.Get("X-Frame-Options"), path)
	require.Equal(p.t, "no-store", resp.Header.Get("Cache-Control"), path)
	require.Equal(p.t, "noindex, nofollow", resp.Header.Get("X-Robots-Tag"), path)
	require.Equal(p.t, "same-origin", resp.Header.Get("Referrer-Policy"), path)
	require.Equal(p.t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"), path)
	return pg
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// submissionOf is the report form's one-time submission key.
func submissionOf(t *testing.T, pg page) string {
	t.Helper()
	m := regexp.MustCompile(`name="submission" value="([^"]+)"`).FindStringSubmatch(pg.body)
	require.NotNil(t, m, "no submission key in the form")
	return m[1]
}

func csrfOf(t *testing.T, pg page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(pg.body)
	require.NotNil(t, m, "no anti-forgery token in the page")
	return m[1]
}

func TestPortalReportFormLanguages(t *testing.T) {
	_, p := newPortal(t, nil)

	nl := p.do("GET", "/", nil)
	require.Equal(t, 200, nl.status)
	require.Contains(t, nl.body, `<html lang="nl">`)
	require.Contains(t, nl.body, "Meld een pagina")
	require.Contains(t, nl.body, "Snel weg")
	require.Contains(t, nl.body, `href="/?lang=en"`)
	require.Contains(t, nl.body, `<form method="post" action="/" novalidate>`)
	require.Contains(t, nl.body, `<textarea id="urls" name="urls"`)
	require.Contains(t, nl.body, `name="category" value="doxing"`)
	require.Contains(t, nl.body, `name="minor" value="yes"`)
	require.Contains(t, nl.body, `type="email" id="email" name="email"`)
	require.Contains(t, nl.body, `name="consent" value="yes"`)
	csrfOf(t, nl)

	en := p.do("GET", "/?lang=en", nil)
	require.Contains(t, en.body, `<html lang="en">`)
	require.Contains(t, en.body, "Report a page")
	require.Contains(t, en.body, "Quick exit")
	require.Contains(t, en.body, `href="/?lang=nl"`)

	// The browser's language, when the link names none.
	byHeader := p.do("GET", "/", nil, "Accept-Language", "en-GB,en;q=0.9,nl;q=0.5")
	require.Contains(t, byHeader.body, `<html lang="en">`)
	byHeader = p.do("GET", "/", nil, "Accept-Language", "de-DE,nl;q=0.8,en;q=0.7")
	require.Contains(t, byHeader.body, `<html lang="nl">`)
	byHeader = p.do("GET", "/", nil, "Accept-Language", "fr")
	require.Contains(t, byHeader.body, `<html lang="nl">`)
}

func TestPortalHelpLinksAndQuickExitConfigured(t *testing.T) {
	e := newEnv(t, func(c *web.Config) {
		c.QuickExitURL = "https://neutral.example/"
		c.HelpLinks = web.HelpLinks{VictimSupport: "https://support.example/", PoliceReport: "https://police.example/report"}
	})
	resp, err := e.srv.Client().Get(e.srv.URL + "/?lang=en")
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

	r := p.do("POST", "/", good)
	require.Equal(t, http.StatusForbidden, r.status)
	require.Contains(t, r.body, "https://forged.example/p/1", "what was typed is kept")

	bad := url.Values{"csrf": {"AAAA.BBBB"}}
	for k, v := range good {
		bad[k] = v
	}
	require.Equal(t, http.StatusForbidden, p.do("POST", "/", bad).status)

	form := p.do("GET", "/", nil)
	withToken := url.Values{"csrf": {csrfOf(t, form)}}
	for k, v := range good {
		withToken[k] = v
	}
	require.Equal(t, http.StatusForbidden, p.do("POST", "/", withToken, "Origin", "https://evil.example").status)

	cases, err := e.store.Cases(e.ctx, undox.System, undox.CaseFilter{Query: "forged.example", Limit: 10})
	require.NoError(t, err)
	require.Empty(t, cases, "a refused post creates no case")
}

func TestPortalBadInputKeepsTheForm(t *testing.T) {
	_, p := newPortal(t, nil)
	csrf := csrfOf(t, p.do("GET", "/?lang=en", nil))
	r := p.do("POST", "/", url.Values{"csrf": {csrf}, "lang": {"en"},
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
	csrf = csrfOf(t, p.do("GET", "/", nil))
	r = p.do("POST", "/", url.Values{"csrf": {csrf}, "urls": {"  \n "}, "email": {"iemand@example.nl"}})
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Vul minstens één link in.")
	require.Contains(t, r.body, "Vink het vakje aan als u berichten wilt")
	require.Contains(t, r.body, `value="iemand@example.nl"`)
}

func TestPortalReportCreatesCase(t *testing.T) {
	e, p := newPortal(t, nil)
	form := p.do("GET", "/?lang=en", nil)
	r := p.do("POST", "/", url.Values{"csrf": {csrfOf(t, form)}, "submission": {submissionOf(t, form)}, "lang": {"en"},
		"urls":     {"https://social.example/u/victim/status/1\n\nhttps://paste.example/abc"},
		"category": {"doxing"}, "minor": {"yes"}, "email": {"victim@example.com"}, "consent": {"yes"}})
	require.Equal(t, http.StatusOK, r.status, r.body)

	ref := regexp.MustCompile(`<strong>(UDX-[0-9A-Z-]+)</strong>`).FindStringSubmatch(r.body)
	require.NotNil(t, ref, r.body)
	link := regexp.MustCompile(`href="(` + regexp.QuoteMeta(e.srv.URL) + `/status/[A-Za-z0-9_-]+)"`).FindStringSubmatch(r.body)
	require.NotNil(t, link, r.body)
	require.Contains(t, r.body, "Save this link now")
	require.Contains(t, r.body, "We do not send this link by e-mail.", "no mail server is configured: the page must not say it was sent")
	require.Equal(t, 1, strings.Count(r.body, "<form"), "the receipt page's one form is its language switch")
	require.Contains(t, r.body, `<form method="post" action="/" class="switch">`)
	require.NotContains(t, r.body, `href="/?lang=`, "no link to an empty form: the status link would be lost")

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
		form := p.do("GET", "/", nil)
		return p.do("POST", "/", url.Values{"csrf": {csrfOf(t, form)}, "submission": {submissionOf(t, form)}, "urls": {"https://limit.example/p"}})
	}
	first := send()
	require.Equal(t, http.StatusOK, first.status)
	r := send()
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Contains(t, r.body, "https://limit.example/p</textarea>")
	// The receipt's language switch is the same report, from the same
	// browser: it does not count.
	sw := p.do("POST", "/", switchForm(t, first))
	require.Equal(t, http.StatusOK, sw.status, sw.body)
	require.Contains(t, sw.body, `<html lang="en">`)
	require.Contains(t, sw.body, "/status/", "with its link")
}

func TestPortalStatusPage(t *testing.T) {
	e, p := newPortal(t, nil)
	csrf := csrfOf(t, p.do("GET", "/", nil))
	r := p.do("POST", "/", url.Values{"csrf": {csrf}, "urls": {"https://social.example/u/x/status/9"}})
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

// reportOn files a report through the form and returns its case reference
// and the path of its status page.
func reportOn(t *testing.T, e *env, p *portal, form url.Values) (string, string) {
	t.Helper()
	f := url.Values{"csrf": {csrfOf(t, p.do("GET", "/", nil))}}
	for k, v := range form {
		f[k] = v
	}
	r := p.do("POST", "/", f)
	require.Equal(t, http.StatusOK, r.status, r.body)
	ref := regexp.MustCompile(`<strong>(UDX-[0-9A-Z-]+)</strong>`).FindStringSubmatch(r.body)
	require.NotNil(t, ref, r.body)
	link := regexp.MustCompile(`href="(` + regexp.QuoteMeta(e.srv.URL) + `/status/[A-Za-z0-9_-]+)"`).FindStringSubmatch(r.body)
	require.NotNil(t, link, r.body)
	return ref[1], strings.TrimPrefix(link[1], e.srv.URL)
}

func TestPortalReportFormAtRoot(t *testing.T) {
	e, p := newPortal(t, nil)
	hc := p.hc

	// The old address sends browsers to /, keeping the language.
	resp, err := hc.Get(e.srv.URL + "/report?lang=en")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusPermanentRedirect, resp.StatusCode)
	require.Equal(t, "/?lang=en", resp.Header.Get("Location"))
	// A form loaded from the old address still posts there.
	csrf := csrfOf(t, p.do("GET", "/", nil))
	r := p.do("POST", "/report", url.Values{"csrf": {csrf}, "urls": {"https://old.example/form"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, "Uw melding is ontvangen")

	// Only the exact root is the form: other paths are not found.
	resp, err = hc.Get(e.srv.URL + "/no-such-page")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))

	// The style sheet, not cached like the pages.
	resp, err = hc.Get(e.srv.URL + "/assets/victim.css")
	require.NoError(t, err)
	css, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/css; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	require.Contains(t, string(css), ".exit{")
}

func TestPortalReceiptIsMailed(t *testing.T) {
	be := &mailtest.Mailbox{Rcpt: func(to string) error {
		if to == "refused@example.com" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}}
	addr := be.Start(t)
	sender, err := mail.NewSender(mail.Config{URL: "smtp://" + addr, From: "meldpunt@hotline.example"})
	require.NoError(t, err)
	var logged bytes.Buffer
	e, p := newPortal(t, func(c *web.Config) {
		c.Intake.Receipts = &intake.ReceiptMail{Sender: sender, From: "meldpunt@hotline.example",
			Log: slog.New(slog.NewTextHandler(&logged, nil))}
	})

	csrf := csrfOf(t, p.do("GET", "/?lang=en", nil))
	r := p.do("POST", "/", url.Values{"csrf": {csrf}, "lang": {"en"}, "urls": {"https://social.example/u/victim/9"},
		"email": {"victim@example.com"}, "consent": {"yes"}, "description": {"Jan Jansen, Dorpsstraat 1"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, "We also sent this link to your e-mail address.")
	ref := regexp.MustCompile(`<strong>(UDX-[0-9A-Z-]+)</strong>`).FindStringSubmatch(r.body)[1]
	link := regexp.MustCompile(`href="(` + regexp.QuoteMeta(e.srv.URL) + `/status/[A-Za-z0-9_-]+)"`).FindStringSubmatch(r.body)[1]

	msgs := be.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, []string{"victim@example.com"}, msgs[0].To)
	m := string(msgs[0].Data)
	require.Contains(t, m, "Subject: Your personal link\r\n", "a neutral subject")
	require.Contains(t, m, "\r\n"+link+"\r\n", "the private link")
	for _, personal := range []string{ref, "social.example", "Jansen", "Dorpsstraat"} {
		require.NotContains(t, m, personal, "the e-mail names nothing but the link")
	}
	entries, err := e.store.AuditEntries(e.ctx, "case", ref)
	require.NoError(t, err)
	var details []string
	for _, en := range entries {
		if en.Action == "case.receipt.email" {
			details = append(details, en.Detail)
		}
	}
	require.Equal(t, []string{"email=sent"}, details)

	// A refused address: the page says so, and the link is still shown.
	csrf = csrfOf(t, p.do("GET", "/", nil))
	r = p.do("POST", "/", url.Values{"csrf": {csrf}, "urls": {"https://social.example/u/victim/10"},
		"email": {"refused@example.com"}, "consent": {"yes"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, "Het lukte niet om deze link te e-mailen.")
	require.Contains(t, r.body, "/status/")
	require.Len(t, be.Messages(), 1)
	// The log says why, for the operator, without the address.
	require.Contains(t, logged.String(), `msg="a receipt could not be e-mailed"`)
	require.Contains(t, logged.String(), "stage=rcpt")
	require.Contains(t, logged.String(), "smtp_code=550 enhanced_code=5.1.1")
	require.NotContains(t, logged.String(), "refused@")

	// No address, no e-mail.
	ref, _ = reportOn(t, e, p, url.Values{"urls": {"https://social.example/u/victim/11"}})
	require.Len(t, be.Messages(), 1)
	require.NotContains(t, dbtest.AuditActions(t, e.store, "case", ref), "case.receipt.email")

	// A report over the API is mailed the same way, once: the retry of a
	// lost answer (the same Idempotency-Key) sends nothing more.
	body := `{"urls":["https://social.example/u/victim/12"],"reporter_email":"app@example.com","consent":true,"language":"nl"}`
	for i := 0; i < 2; i++ {
		req, err := http.NewRequest("POST", e.srv.URL+"/api/v1/reports", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "app-report-12")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode)
	}
	msgs = be.Messages()
	require.Len(t, msgs, 2)
	require.Equal(t, []string{"app@example.com"}, msgs[1].To)
	require.Contains(t, string(msgs[1].Data), "Subject: Uw persoonlijke link\r\n")

	// The form sent again (the browser's "resend") mails nothing more.
	form := p.do("GET", "/?lang=en", nil)
	twice := url.Values{"csrf": {csrfOf(t, form)}, "submission": {submissionOf(t, form)}, "lang": {"en"},
		"urls": {"https://social.example/u/victim/13"}, "email": {"twice@example.com"}, "consent": {"yes"}}
	require.Contains(t, p.do("POST", "/", twice).body, "We also sent this link to your e-mail address.")
	r = p.do("POST", "/", twice)
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, r.body, "Then we sent this link once at the time; we do not send it again.")
	require.Len(t, be.Messages(), 3)
}

func TestPortalAddURLs(t *testing.T) {
	e, p := newPortal(t, nil)
	ref, path := reportOn(t, e, p, url.Values{"urls": {"https://add.example/first"}, "lang": {"en"}})
	st := p.do("GET", path, nil)
	require.Contains(t, st.body, `<form method="post" action="`+path+`/urls?lang=en" novalidate>`)
	csrf := csrfOf(t, st)
	items := func(ref string) []string {
		c, err := e.store.Case(e.ctx, undox.System, ref)
		require.NoError(t, err)
		var out []string
		for _, it := range c.Items {
			out = append(out, it.URL)
		}
		return out
	}

	// Errors beside the field, everything typed kept, nothing added.
	typed := "https://add.example/second\nnot a url at all"
	r := p.do("POST", path+"/urls?lang=en", url.Values{"csrf": {csrf}, "urls": {typed}})
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, `<p class="error" id="urls-error">Line 2: this is not a working web address`)
	require.Contains(t, r.body, typed+"</textarea>")
	require.Contains(t, r.body, `aria-invalid="true"`)
	r = p.do("POST", path+"/urls?lang=en", url.Values{"csrf": {csrf}, "urls": {"https://add.example/x\nhttp://192.168.1.1/router"}})
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Line 2: this address is not on the public internet.")
	r = p.do("POST", path+"/urls", url.Values{"csrf": {csrf}, "urls": {" \n "}})
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Give at least one link.", "in the case's language without ?lang")
	require.Equal(t, []string{"https://add.example/first"}, items(ref))

	// Forged posts are refused, with what was typed kept.
	r = p.do("POST", path+"/urls?lang=en", url.Values{"urls": {"https://add.example/forged"}})
	require.Equal(t, http.StatusForbidden, r.status)
	require.Contains(t, r.body, "https://add.example/forged</textarea>")
	r = p.do("POST", path+"/urls?lang=en", url.Values{"csrf": {csrf}, "urls": {"https://add.example/forged"}}, "Origin", "https://evil.example")
	require.Equal(t, http.StatusForbidden, r.status)
	require.Equal(t, []string{"https://add.example/first"}, items(ref))

	// Added, normalized, and waiting for capture as a report's items do.
	r = p.do("POST", path+"/urls?lang=en", url.Values{"csrf": {csrf}, "urls": {"https://add.example/second\n\nHTTPS://Add.Example/third#top"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, "We added the links to your report.")
	require.Contains(t, r.body, `<span class="url">https://add.example/third</span>`)
	require.NotContains(t, r.body, "https://add.example/second\n", "the form is empty again")
	require.Equal(t, []string{"https://add.example/first", "https://add.example/second", "https://add.example/third"}, items(ref))
	var waiting int
	require.NoError(t, e.store.DB().SQL.QueryRowContext(e.ctx,
		`SELECT count(*) FROM items WHERE dispatched = 0 AND url IN ('https://add.example/second', 'https://add.example/third')`).Scan(&waiting))
	require.Equal(t, 2, waiting)
	require.Contains(t, dbtest.AuditActions(t, e.store, "case", ref), "case.items.add")
	r = p.do("POST", path+"/urls?lang=en", url.Values{"csrf": {csrf}, "urls": {"https://add.example/third"}})
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, r.body, "These links were already in your report.")

	// Another case's link adds only to that case, and only with its own
	// form token.
	other, otherPath := reportOn(t, e, p, url.Values{"urls": {"https://add.example/other"}})
	r = p.do("POST", otherPath+"/urls", url.Values{"csrf": {csrf}, "urls": {"https://add.example/sneaky"}})
	require.Equal(t, http.StatusForbidden, r.status, "the form token of one link does not work for another")
	r = p.do("POST", otherPath+"/urls", url.Values{"csrf": {csrfOf(t, p.do("GET", otherPath, nil))}, "urls": {"https://add.example/theirs"}})
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, []string{"https://add.example/other", "https://add.example/theirs"}, items(other))
	require.Len(t, items(ref), 3)
	r = p.do("POST", "/status/"+strings.Repeat("A", 43)+"/urls", url.Values{"csrf": {csrf}, "urls": {"https://add.example/x"}})
	require.Equal(t, http.StatusNotFound, r.status)

	// The JSON equivalent.
	tok := strings.TrimPrefix(path, "/status/")
	var v statusView
	e.api.do(t, "POST", "/api/v1/status/"+tok+"/urls", map[string]any{"urls": []string{"https://add.example/api"}}).ok(t, 200, &v)
	require.Equal(t, ref, v.Case)
	require.Len(t, v.Items, 4)
	pr := e.api.do(t, "POST", "/api/v1/status/"+tok+"/urls", map[string]any{"urls": []string{"nope"}}).problem(t, 400, undox.EINVALID)
	require.Contains(t, pr.Errors, "urls[0]")

	// A closed case takes no more links: a new report is the way.
	_, err := e.store.CaseEvent(e.ctx, undox.System, ref, undox.ActionClose, "handled")
	require.NoError(t, err)
	st = p.do("GET", path+"?lang=en", nil)
	require.NotContains(t, st.body, "/urls?")
	require.Contains(t, st.body, "This report is closed.")
	r = p.do("POST", path+"/urls?lang=en", url.Values{"csrf": {csrf}, "urls": {"https://add.example/late"}})
	require.Equal(t, http.StatusConflict, r.status)
	require.Contains(t, r.body, "Links cannot be added to this report now.")
	e.api.do(t, "POST", "/api/v1/status/"+tok+"/urls", map[string]any{"urls": []string{"https://add.example/late"}}).
		problem(t, 409, undox.ETRANSITION)
	require.Len(t, items(ref), 4)
}

func TestPortalErasureRequest(t *testing.T) {
	e, p := newPortal(t, nil)
	supervisor := e.token(t, "sue", undox.RoleSupervisor)
	analyst := e.token(t, "ana", undox.RoleAnalyst)
	ref, path := reportOn(t, e, p, url.Values{"urls": {"https://erase.example/1"}, "email": {"me@example.com"}, "consent": {"yes"}})
	st := p.do("GET", path+"?lang=en", nil)
	require.Contains(t, st.body, `action="`+path+`/erasure?lang=en"`)
	csrf := csrfOf(t, st)

	r := p.do("POST", path+"/erasure?lang=en", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Tick the box to ask for the data to be erased.")
	require.Equal(t, http.StatusForbidden, p.do("POST", path+"/erasure", url.Values{"confirm": {"yes"}}).status)
	_, err := e.store.ErasureRequestOf(e.ctx, ref)
	require.Equal(t, undox.ENOTFOUND, undox.ErrorCode(err))

	r = p.do("POST", path+"/erasure?lang=en", url.Values{"csrf": {csrf}, "confirm": {"yes"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, "We received your request.")
	req, err := e.store.ErasureRequestOf(e.ctx, ref)
	require.NoError(t, err)
	require.Equal(t, undox.ErasureDeadline(req.RequestedAt), req.Deadline)
	ams, err := time.LoadLocation("Europe/Amsterdam")
	require.NoError(t, err)
	day := func(t time.Time) string { return t.In(ams).Format("2 January 2006") }
	require.Contains(t, r.body, `<p class="note">On `+day(req.RequestedAt)+` you asked us to erase the data of this report. We will do so by `+
		day(req.Deadline)+` at the latest.</p>`)
	require.NotContains(t, r.body, "/erasure?", "no second request is offered")
	nl := p.do("GET", path, nil)
	require.Contains(t, nl.body, "gevraagd de gegevens van deze melding te wissen")

	// Asking again shows the first request.
	r = p.do("POST", path+"/erasure?lang=en", url.Values{"csrf": {csrf}, "confirm": {"yes"}})
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, r.body, "You had asked for this already")
	again, err := e.store.ErasureRequestOf(e.ctx, ref)
	require.NoError(t, err)
	require.Equal(t, req, again)
	entries, err := e.store.AuditEntries(e.ctx, "case", ref)
	require.NoError(t, err)
	n := 0
	for _, en := range entries {
		if en.Action == "case.erasure.request" {
			n++
			require.Equal(t, "public", en.Actor)
		}
	}
	require.Equal(t, 1, n)

	// Admins see it in the queue and erase the case.
	var list struct {
		Requests []undox.ErasureRequest `json:"erasure_requests"`
		Next     *string                `json:"next"`
	}
	e.api.do(t, "GET", "/api/v1/erasure-requests?status=pending", nil, bearer(supervisor)).ok(t, 200, &list)
	require.Len(t, list.Requests, 1)
	require.Equal(t, ref, list.Requests[0].CaseRef)
	require.False(t, list.Requests[0].Overdue)
	require.Nil(t, list.Next)
	e.api.do(t, "GET", "/api/v1/erasure-requests", nil, bearer(analyst)).problem(t, 403, undox.EFORBIDDEN)
	e.api.do(t, "GET", "/api/v1/erasure-requests?status=later", nil, bearer(supervisor), nonconforming()).problem(t, 400, undox.EINVALID)
	var done undox.ErasureRequest
	e.api.do(t, "POST", fmt.Sprintf("/api/v1/erasure-requests/%d/done", req.ID), nil, bearer(supervisor)).ok(t, 200, &done)
	require.Equal(t, undox.ErasureDone, done.Status)
	require.Equal(t, undox.CaseErased, done.CaseStatus)
	c, err := e.store.Case(e.ctx, undox.System, ref)
	require.NoError(t, err)
	require.Equal(t, undox.CaseErased, c.Status)
	require.Empty(t, c.ReporterEmail)
	e.api.do(t, "GET", "/api/v1/erasure-requests?status=pending", nil, bearer(supervisor)).ok(t, 200, &list)
	require.Empty(t, list.Requests)
	gone := p.do("GET", path, nil)
	require.Equal(t, http.StatusNotFound, gone.status)
}

// portalWalk sends the victim portal's requests (and the erasure queue's)
// through the validating client, so that the walk of the API covers them.
func portalWalk(t *testing.T, e *env, supervisor string) {
	api := e.api
	form := func(v url.Values) raw { return raw{"application/x-www-form-urlencoded", []byte(v.Encode())} }
	csrfRE := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	r := api.do(t, "GET", "/", nil)
	r.ok(t, 200, nil)
	r = api.do(t, "POST", "/", form(url.Values{"csrf": {csrfRE.FindStringSubmatch(string(r.body))[1]}, "urls": {"https://walk.example/p/1"}}))
	r.ok(t, 200, nil)
	link := regexp.MustCompile(`href="(` + regexp.QuoteMeta(e.srv.URL) + `/status/[^"]+)"`).FindStringSubmatch(string(r.body))
	require.NotNil(t, link)
	tok := tokenOf(t, e.srv.URL, link[1])
	api.do(t, "GET", "/assets/victim.css", nil).ok(t, 200, nil)

	r = api.do(t, "GET", "/status/"+tok, nil)
	r.ok(t, 200, nil)
	csrf := csrfRE.FindStringSubmatch(string(r.body))[1]
	api.do(t, "POST", "/status/"+tok+"/urls?lang=en", form(url.Values{"csrf": {csrf}, "urls": {"not a url"}})).ok(t, 400, nil)
	api.do(t, "POST", "/status/"+tok+"/urls?lang=en", form(url.Values{"csrf": {csrf}, "urls": {"https://walk.example/p/2"}})).ok(t, 200, nil)
	var v statusView
	api.do(t, "POST", "/api/v1/status/"+tok+"/urls", map[string]any{"urls": []string{"https://walk.example/p/3"}}).ok(t, 200, &v)
	assert.Len(t, v.Items, 3)
	api.do(t, "POST", "/api/v1/status/"+tok+"/urls", map[string]any{"urls": []string{}}, nonconforming()).problem(t, 400, undox.EINVALID)
	api.do(t, "POST", "/api/v1/status/"+strings.Repeat("A", 43)+"/urls", map[string]any{"urls": []string{"https://walk.example/p/4"}}).
		problem(t, 404, undox.ENOTFOUND)
	api.do(t, "POST", "/status/"+tok+"/erasure", form(url.Values{"csrf": {csrf}})).ok(t, 400, nil)
	api.do(t, "POST", "/status/"+tok+"/erasure", form(url.Values{"csrf": {csrf}, "confirm": {"yes"}})).ok(t, 200, nil)

	var list struct {
		Requests []undox.ErasureRequest `json:"erasure_requests"`
	}
	api.do(t, "GET", "/api/v1/erasure-requests?status=pending&limit=500", nil, bearer(supervisor)).ok(t, 200, &list)
	var id int64
	for _, er := range list.Requests {
		if er.Status == undox.ErasurePending && er.CaseRef == v.Case {
			id = er.ID
		}
	}
	require.NotZero(t, id, "the request is in the queue")
	var done undox.ErasureRequest
	api.do(t, "POST", fmt.Sprintf("/api/v1/erasure-requests/%d/done", id), nil, bearer(supervisor)).ok(t, 200, &done)
	assert.Equal(t, undox.ErasureDone, done.Status)
	api.do(t, "POST", "/api/v1/erasure-requests/999999/done", nil, bearer(supervisor)).problem(t, 404, undox.ENOTFOUND)
	api.do(t, "GET", "/status/"+tok, nil).ok(t, 404, nil)
}

func TestPortalWalkConformsToOpenAPI(t *testing.T) {
	e := newEnv(t, nil)
	portalWalk(t, e, e.token(t, "sue", undox.RoleSupervisor))
}

// A reporter's links are stored as given: two links on one line are two
// items, and a path's "//" (an archived copy's, say) is kept.
func TestPortalLinksAsGiven(t *testing.T) {
	e, p := newPortal(t, nil)
	ref, path := reportOn(t, e, p, url.Values{"lang": {"en"}, "urls": {
		"https://dox.example/page https://b.example/c\n\thttps://web.archive.org/web/2024/https://dox.example/x\u00a0https://example.com/a//b"}})
	c, err := e.store.Case(e.ctx, undox.System, ref)
	require.NoError(t, err)
	var got []string
	for _, it := range c.Items {
		got = append(got, it.URL)
	}
	require.Equal(t, []string{"https://dox.example/page", "https://b.example/c",
		"https://web.archive.org/web/2024/https://dox.example/x", "https://example.com/a//b"}, got)
	st := p.do("GET", path, nil)
	require.Contains(t, st.body, `<span class="url">https://web.archive.org/web/2024/https://dox.example/x</span>`)

	// The status page's form splits the same way.
	r := p.do("POST", path+"/urls", url.Values{"csrf": {csrfOf(t, st)}, "urls": {"https://more.example/1 https://more.example/2"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, `<span class="url">https://more.example/1</span>`)
	require.Contains(t, r.body, `<span class="url">https://more.example/2</span>`)
}

// Each wrong link gets the reason it is refused, in the page's language.
func TestPortalURLErrorsSayWhy(t *testing.T) {
	_, p := newPortal(t, nil)
	long := "https://long.example/" + strings.Repeat("a", 10000)
	lines := strings.Join([]string{long, "http://localhost:22/", "ftp:", "javascript:alert(1)", "ftp://files.example/x",
		"not a url at all"}, "\n")
	send := func(lang string) page {
		r := p.do("POST", "/", url.Values{"csrf": {csrfOf(t, p.do("GET", "/", nil))}, "lang": {lang}, "urls": {lines},
			"description": {strings.Repeat("x", intake.MaxDescription+1)}})
		require.Equal(t, http.StatusBadRequest, r.status)
		return r
	}
	en := send("en")
	for _, want := range []string{
		"Line 1: this link is too long (at most 4096 characters).",
		"Line 2: this address is not on the public internet.",
		"Line 3: only web addresses that start with http:// or https:// can be reported.",
		"Line 4: only web addresses that start with http:// or https:// can be reported.",
		"Line 5: only web addresses that start with http:// or https:// can be reported.",
		"Line 6: this is not a working web address (start with https://).",
		"This text is too long (at most 10000 characters).",
	} {
		require.Contains(t, en.body, want)
	}
	require.Equal(t, 1, strings.Count(en.body, "Line 6:"), "one message for the line")
	// Addresses of private networks are refused once the links are valid.
	r := p.do("POST", "/", url.Values{"csrf": {csrfOf(t, p.do("GET", "/", nil))}, "lang": {"en"},
		"urls": {"https://ok.example/\nhttp://192.168.1.1/router"}})
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Line 2: this address is not on the public internet.")
	nl := send("nl")
	for _, want := range []string{
		"Regel 1: deze link is te lang (hoogstens 4096 tekens).",
		"Regel 2: dit adres is niet op het openbare internet.",
		"Regel 3: alleen webadressen die met http:// of https:// beginnen kunnen worden gemeld.",
		"Regel 6: dit is geen werkend webadres (begin met https://).",
		"Deze tekst is te lang (hoogstens 10000 tekens).",
	} {
		require.Contains(t, nl.body, want)
	}
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

// switchForm is what the receipt's language switch posts.
func switchForm(t *testing.T, pg page) url.Values {
	t.Helper()
	start := strings.Index(pg.body, `<form method="post" action="/" class="switch">`)
	require.GreaterOrEqual(t, start, 0, "no language switch on the receipt")
	form := pg.body[start : start+strings.Index(pg.body[start:], "</form>")]
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(form, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// Sending the same form again (the browser's "resend") is the same report:
// one case, and the same receipt with the same link. The receipt's
// language switch shows it in the other language.
func TestPortalResendShowsTheSameReceipt(t *testing.T) {
	e, p := newPortal(t, nil)
	form := p.do("GET", "/?lang=en", nil)
	key := submissionOf(t, form)
	require.Regexp(t, `^[A-Za-z0-9_-]{22}$`, key)
	require.NotEqual(t, key, submissionOf(t, p.do("GET", "/", nil)), "each form has its own")
	sent := url.Values{"csrf": {csrfOf(t, form)}, "submission": {key}, "lang": {"en"},
		"urls": {"https://resend.example/a\nhttps://resend.example/b"}, "category": {"doxing"}, "minor": {"yes"},
		"description": {"Jan Jansen, Dorpsstraat 1"}}
	statusLink := regexp.MustCompile(`<a class="link" href="([^"]+)">`)

	first := p.do("POST", "/", sent)
	require.Equal(t, http.StatusOK, first.status, first.body)
	link := statusLink.FindStringSubmatch(first.body)
	require.NotNil(t, link)
	require.NotContains(t, first.body, "This form had been sent already")

	again := p.do("POST", "/", sent)
	require.Equal(t, http.StatusOK, again.status, again.body)
	require.Contains(t, again.body, "This form had been sent already. No second report was made")
	require.Equal(t, link, statusLink.FindStringSubmatch(again.body), "the same link")
	// From another browser (or this one, 15 minutes on) the report is
	// confirmed without the link: whoever presses Back on a shared
	// device may not be the reporter.
	other := newBrowser(t, e).do("POST", "/", sent)
	require.Equal(t, http.StatusOK, other.status, other.body)
	require.Contains(t, other.body, "We have this report already. We do not show your personal link here again")
	require.Nil(t, statusLink.FindStringSubmatch(other.body))
	require.NotContains(t, other.body, "/status/")
	cases, err := e.store.Cases(e.ctx, undox.System, undox.CaseFilter{Query: "resend.example", Limit: 10})
	require.NoError(t, err)
	require.Len(t, cases, 1, "one report, one case")

	// The language switch keeps the link: the same receipt, in Dutch. It
	// posts neither the description nor an address.
	sw := switchForm(t, first)
	require.Equal(t, "nl", sw.Get("lang"))
	require.Empty(t, sw.Get("description"))
	require.NotContains(t, first.body, "Jansen")
	nl := p.do("POST", "/", sw)
	require.Equal(t, http.StatusOK, nl.status, nl.body)
	require.Contains(t, nl.body, `<html lang="nl">`)
	require.Contains(t, nl.body, "Uw melding is ontvangen")
	require.NotContains(t, nl.body, "Dit formulier was al verstuurd")
	require.Equal(t, link, statusLink.FindStringSubmatch(nl.body))
	require.Equal(t, "en", switchForm(t, nl).Get("lang"), "and back")
	cases, err = e.store.Cases(e.ctx, undox.System, undox.CaseFilter{Query: "resend.example", Limit: 10})
	require.NoError(t, err)
	require.Len(t, cases, 1)
	c, err := e.store.Case(e.ctx, undox.System, cases[0].Ref)
	require.NoError(t, err)
	require.Equal(t, "en", c.Language, "the case keeps the language it was reported in")

	// The same key with other links is refused; the form gets a new key.
	changed := url.Values{}
	for k, v := range sent {
		changed[k] = v
	}
	changed.Set("urls", "https://resend.example/c")
	r := p.do("POST", "/", changed)
	require.Equal(t, http.StatusConflict, r.status)
	require.Contains(t, r.body, "This form had been sent already, with other links.")
	require.Contains(t, r.body, "https://resend.example/c</textarea>")
	require.NotContains(t, r.body, `value="`+key+`"`)
}

// A browser that opens a path undox does not have gets a page that says
// so, in the public pages' language; the API answers problems still.
func TestPortalNotFoundPageForBrowsers(t *testing.T) {
	_, p := newPortal(t, nil)
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, path := range []string{"/favicon.ico", "/login/", "/queue/", "/status/", "/STATUS/x", "/no-such-page"} {
		r := p.do("GET", path, nil, "Accept", browser)
		require.Equal(t, http.StatusNotFound, r.status, path)
		require.Contains(t, r.body, `<html lang="nl">`, path)
		require.Contains(t, r.body, "<h1>Deze pagina bestaat niet</h1>", path)
		require.Contains(t, r.body, `<a href="/?lang=nl">Nieuwe melding</a>`, path)
		require.Contains(t, r.body, `href="?lang=en"`, path)
	}
	r := p.do("GET", "/queue/", nil, "Accept", browser, "Accept-Language", "en-GB,en;q=0.9")
	require.Contains(t, r.body, "<h1>This page does not exist</h1>")
	r = p.do("GET", "/queue/?lang=en", nil, "Accept", browser)
	require.Contains(t, r.body, "<h1>This page does not exist</h1>")
	// A form's address, opened or reloaded, is there but not for GET.
	r = p.do("GET", "/status/x/withdraw", nil, "Accept", browser)
	require.Equal(t, http.StatusMethodNotAllowed, r.status)
	require.Contains(t, r.body, "<h1>Deze pagina opent u zo niet</h1>")
	require.NotContains(t, r.body, "bestaat niet")
	r = p.do("GET", "/status/x/withdraw?lang=en", nil, "Accept", browser)
	require.Contains(t, r.body, "<h1>This page does not open this way</h1>")
	require.Contains(t, r.body, "open the link in your receipt")

	problem := func(path, accept string) {
		t.Helper()
		req, err := http.NewRequest("GET", p.base+path, nil)
		require.NoError(t, err)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := p.hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), path)
	}
	problem("/api/v1/no-such-endpoint", browser)
	problem("/favicon.ico", "")
	problem("/favicon.ico", "*/*")
	problem("/queue/", "application/json")
	problem("/queue/", "application/json, text/html;q=0.5")
}

// The status page says what happens next as the policy has it for the
// case, and tells of a link undox could not open.
func TestPortalStatusSaysWhatHappensNext(t *testing.T) {
	e, p := newPortal(t, nil)
	ref, path := reportOn(t, e, p, url.Values{"lang": {"en"}, "urls": {"https://next.example/adult"}, "category": {"doxing"}, "minor": {"no"}})
	st := p.do("GET", path, nil)
	require.Contains(t, st.body, "They get 24 hours (weekends and public holidays do not count) for that;")
	require.NotContains(t, st.body, "a few days")

	c, err := e.store.Case(e.ctx, undox.System, ref)
	require.NoError(t, err)
	_, err = e.store.ObserveItem(e.ctx, c.Items[0].ID, undox.ObserveUnreachable, "dns: no such host", nil)
	require.NoError(t, err)
	st = p.do("GET", path, nil)
	require.Contains(t, st.body, "We could not open this page. It may be offline already, or only visible after logging in.")
	require.NotContains(t, st.body, "We are checking this link.")
	st = p.do("GET", path+"?lang=nl", nil)
	require.Contains(t, st.body, "We konden deze pagina niet openen.")
	require.Contains(t, st.body, "Die krijgt daar 24 uur (weekenden en feestdagen tellen niet mee) voor;")
	var v statusView
	e.api.do(t, "GET", "/api/v1/status/"+strings.TrimPrefix(path, "/status/"), nil).ok(t, 200, &v)
	require.Contains(t, v.Items[0].Stage, "We could not open this page.")

	// A minor: 12 hours, weekends or not.
	_, path = reportOn(t, e, p, url.Values{"lang": {"en"}, "urls": {"https://next.example/minor"}, "category": {"doxing"}, "minor": {"yes"}})
	st = p.do("GET", path, nil)
	require.Contains(t, st.body, "Because it is about someone under 18, we look at every link first.")
	require.Contains(t, st.body, "They get 12 hours for that;")
	require.NotContains(t, st.body, "do not count")

	// Content that goes to an authority is not notified at all.
	_, path = reportOn(t, e, p, url.Values{"lang": {"en"}, "urls": {"https://next.example/referred"}, "category": {"intimate_images"}, "minor": {"yes"}})
	st = p.do("GET", path, nil)
	require.Contains(t, st.body, "we pass it on to the authority that handles it")
	require.NotContains(t, st.body, "They get")
}
