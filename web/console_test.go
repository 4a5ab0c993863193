package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/notice"
	"github.com/undox/undox/sqlstore"
	"github.com/undox/undox/takedown"
	"github.com/undox/undox/web"
)

// console is undox with its staff: two analysts, a supervisor and an
// auditor, each logged in with a browser of their own.
type consoleSite struct {
	*staffSite
	ana, bob, sue, aud     *staffAccount
	anaB, bobB, sueB, audB *browser
}

func newConsole(t *testing.T, configure func(*web.Config)) *consoleSite {
	s := newStaffSite(t, configure)
	c := &consoleSite{staffSite: s}
	c.ana = s.account("ana@hotline.example", "Ana", undox.RoleAnalyst)
	c.bob = s.account("bob@hotline.example", "Bob", undox.RoleAnalyst)
	c.sue = s.account("sue@hotline.example", "Sue", undox.RoleSupervisor)
	c.aud = s.account("aud@hotline.example", "Audrey", undox.RoleAuditor)
	c.login(t)
	return c
}

// login logs every staff member in, in a new browser each.
func (c *consoleSite) login(t *testing.T) {
	t.Helper()
	for _, l := range []struct {
		acc *staffAccount
		b   **browser
	}{{c.ana, &c.anaB}, {c.bob, &c.bobB}, {c.sue, &c.sueB}, {c.aud, &c.audB}} {
		*l.b = c.staffSite.browser()
		require.Equal(t, http.StatusSeeOther, (*l.b).login(l.acc, c.code(l.acc), "lang", "en").status)
	}
}

// runBulk works the bulk job at jobPath as its queued job would (the
// console's jobs are not started).
func (c *consoleSite) runBulk(t *testing.T, jobPath string) {
	t.Helper()
	id, err := strconv.ParseInt(strings.TrimPrefix(jobPath, "/queue/bulk/"), 10, 64)
	require.NoError(t, err, jobPath)
	require.NoError(t, c.e.store.RunBulkJob(c.e.ctx, id, nil))
}

// report makes a case as a victim would.
func (c *consoleSite) report(t *testing.T, rep undox.Report) (string, []*undox.Item) {
	t.Helper()
	in := &intake.Service{Store: c.e.store, PublicURL: c.e.srv.URL}
	rcpt, err := in.Submit(c.e.ctx, undox.Public, intake.Submission{Report: rep})
	require.NoError(t, err)
	cs, err := c.e.store.Case(c.e.ctx, cli, rcpt.CaseRef)
	require.NoError(t, err)
	return rcpt.CaseRef, cs.Items
}

// capture stores what a capture job would for the item: the page, its
// text with a scan's findings, and for a minor's case a screenshot.
func (c *consoleSite) capture(t *testing.T, itemID int64, body, text string, findings []map[string]any, shot []byte) *undox.Capture {
	t.Helper()
	return storeCapture(t, c.e, c.clock.Now(), itemID, body, text, findings, shot)
}

// fileSHA is the SHA-256 of the capture's file of a kind.
func fileSHA(cp *undox.Capture, kind string) string {
	for _, f := range cp.Files {
		if f.Kind == kind {
			return f.SHA256
		}
	}
	return ""
}

func storeCapture(t *testing.T, e *env, at time.Time, itemID int64, body, text string, findings []map[string]any, shot []byte) *undox.Capture {
	t.Helper()
	target, err := e.store.CaptureTarget(e.ctx, itemID)
	require.NoError(t, err)
	cc := target.Cases[0]
	put := func(kind, media string, data []byte) undox.CaptureFile {
		ref, err := e.blobs.Put(e.ctx, bytes.NewReader(data), cc.Key, cc.Ref)
		require.NoError(t, err)
		return undox.CaptureFile{Kind: kind, SHA256: ref.SHA256, Size: ref.Size, MediaType: media}
	}
	files := []undox.CaptureFile{put(undox.FileBody, "text/html", []byte(body)), put(undox.FileText, "text/plain", []byte(text))}
	if shot != nil {
		files = append(files, put(undox.FileScreenshot, "image/png", shot))
	}
	kinds := map[string]int{}
	for _, f := range findings {
		kinds[f["type"].(string)]++
	}
	fj, err := consoleJSON(findings)
	require.NoError(t, err)
	sum, err := consoleJSON(map[string]any{"kinds": kinds, "matches": []any{}, "assessment": map[string]any{"level": "high", "reasons": []string{"a home address"}}})
	require.NoError(t, err)
	_, err = e.store.SaveCapture(e.ctx, undox.CaptureAttempt{ItemID: itemID, Observe: undox.ObserveCaptured, Captures: []undox.Capture{{
		CaseRef: cc.Ref, FetchedAt: at, RequestedBy: "system", HTTPStatus: 200, Files: files,
		BodySHA256: files[0].SHA256, TextSHA256: files[1].SHA256,
		Scan: &undox.ScanResult{Findings: fj, Summary: sum, Severity: 70}}}})
	require.NoError(t, err)
	caps, err := e.store.ItemCaptures(e.ctx, cli, itemID)
	require.NoError(t, err)
	return caps[len(caps)-1]
}

// captured moves an item to captured and traces it to a host with an
// abuse address, as the jobs would.
func (c *consoleSite) captured(t *testing.T, itemID int64) {
	t.Helper()
	_, err := c.e.store.ObserveItem(c.e.ctx, itemID, undox.ObserveCaptured, "", nil)
	require.NoError(t, err)
	c.traced(t, itemID)
}

func (c *consoleSite) traced(t *testing.T, itemID int64) {
	t.Helper()
	_, err := c.e.store.SaveTrace(c.e.ctx, itemID, "net:HOST", []byte(`{"domain":"dox.example","addresses":[{"ip":"192.0.2.7","org":"Example Hosting","asn":64500}],
	 "recipients":[{"role":"site","organisation":"Dox Site","email":"admin@dox.example","notify":false,"source":"security.txt"},
	 {"role":"host","organisation":"Example Hosting","email":"abuse@hosting.example","notify":true,"source":"rdap","confidence":"high"}]}`))
	require.NoError(t, err)
}

func (c *consoleSite) item(t *testing.T, id int64) *undox.Item {
	t.Helper()
	it, err := c.e.store.Item(c.e.ctx, cli, id)
	require.NoError(t, err)
	return it
}

func (c *consoleSite) caseOf(t *testing.T, ref string) *undox.Case {
	t.Helper()
	cs, err := c.e.store.Case(c.e.ctx, cli, ref)
	require.NoError(t, err)
	return cs
}

func consoleJSON(v any) ([]byte, error) { return json.Marshal(v) }

// send posts a console form; the answer is a redirect with a message.
func (b *browser) send(path string, form url.Values, hdr ...string) answer {
	b.s.t.Helper()
	return b.do("POST", path, form, hdr...)
}

// followConsole follows a redirect after an action and returns the page.
func (b *browser) followConsole(t *testing.T, a answer) answer {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, a.status, a.body)
	loc := a.header.Get("Location")
	require.True(t, strings.HasPrefix(loc, "/"), loc)
	return b.do("GET", loc, nil)
}

func consoleAudit(t *testing.T, c *consoleSite, objType, objID string) []string {
	t.Helper()
	entries, err := c.e.store.AuditEntries(c.e.ctx, objType, objID)
	require.NoError(t, err)
	var out []string
	for _, en := range entries {
		out = append(out, en.Action+" "+en.Actor)
	}
	return out
}

func userLabel(a *staffAccount) string {
	return "user:" + strconv.FormatInt(a.User.ID, 10) + ":" + a.User.Name
}

var consoleRowURL = regexp.MustCompile(`<tr id="item-\d+">.*?<code class="url">([^<]*)</code>`)

// consoleQueueURLs are the URLs of the queue's rows, in order.
func consoleQueueURLs(body string) []string {
	var out []string
	for _, m := range consoleRowURL.FindAllStringSubmatch(strings.ReplaceAll(body, "\n", " "), -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// The queue: the most urgent first, filtered and searched, each URL as
// text (never a link to the doxing page), with its cases, status in plain
// words, minor badge, severity, waiting time and report count.
func TestConsoleQueue(t *testing.T) {
	c := newConsole(t, nil)
	adultRef, adult := c.report(t, undox.Report{URLs: []string{"https://dox.example/adult"}, Category: undox.CategoryDoxing})
	minorRef, minor := c.report(t, undox.Report{URLs: []string{"https://dox.example/minor"}, Category: undox.CategoryDoxing, IsMinor: true})
	harassRef, _ := c.report(t, undox.Report{URLs: []string{"https://forum.example/t/1?a=1&b=2"}, Category: undox.CategoryHarassment})
	againRef, _ := c.report(t, undox.Report{URLs: []string{"https://dox.example/adult"}, Category: undox.CategoryDoxing})
	c.captured(t, adult[0].ID)
	c.clock.Advance(50 * time.Hour)
	c.login(t) // the sessions expired meanwhile

	work := c.anaB.do("GET", "/queue?lang=en", nil)
	require.Equal(t, http.StatusOK, work.status, work.body)
	require.Equal(t, []string{"https://dox.example/adult"}, consoleQueueURLs(work.body), "by default what waits for an analyst: not the new items being captured")
	q := c.anaB.do("GET", "/queue?lang=en&status=all", nil)
	require.Equal(t, http.StatusOK, q.status, q.body)
	require.Equal(t, []string{"https://dox.example/minor", "https://dox.example/adult", "https://forum.example/t/1?a=1&b=2"}, consoleQueueURLs(q.body))
	require.NotContains(t, q.body, `href="https://dox.example`, "never a live link to the page")
	require.NotContains(t, q.body, `href="https://forum.example`)
	require.Contains(t, q.body, `<a href="/cases/`+adultRef+`">`+adultRef+`</a> <a href="/cases/`+againRef+`">`+againRef+`</a>`)
	require.Contains(t, q.body, `<span class="badge minor">minor</span>`)
	require.Contains(t, q.body, "captured, waiting for review")
	require.Contains(t, q.body, "new, being captured")
	require.Contains(t, q.body, "2 days")
	require.Contains(t, q.body, `<td class="num">2</td>`, "the adult page was reported twice")
	require.Contains(t, q.body, `<script src="/assets/htmx.min.js" defer></script>`)
	require.Contains(t, q.body, `"includeIndicatorStyles":false`)
	require.Contains(t, q.body, `hx-get="/queue"`)
	require.Contains(t, q.header.Get("Content-Security-Policy"), "script-src 'self';")
	require.Contains(t, q.body, `name="item" value="`+strconv.FormatInt(minor[0].ID, 10)+`"`, "checkboxes for bulk actions")
	nl := c.anaB.do("GET", "/queue?lang=nl&status=all", nil)
	require.Contains(t, nl.body, "vastgelegd, wacht op beoordeling")
	require.Contains(t, nl.body, "2 dagen")

	for _, f := range []struct {
		query string
		want  []string
	}{
		{"minor=yes", []string{"https://dox.example/minor"}},
		{"minor=no", []string{"https://dox.example/adult", "https://forum.example/t/1?a=1&b=2"}},
		{"status=captured", []string{"https://dox.example/adult"}},
		{"host=forum.example", []string{"https://forum.example/t/1?a=1&b=2"}},
		{"category=harassment", []string{"https://forum.example/t/1?a=1&b=2"}},
		{"q=" + url.QueryEscape(harassRef), []string{"https://forum.example/t/1?a=1&b=2"}},
		{"q=" + url.QueryEscape(strings.ToLower(minorRef)), []string{"https://dox.example/minor"}},
		{"q=adult", []string{"https://dox.example/adult"}},
		{"q=nothing-like-this", nil},
	} {
		query := f.query
		if !strings.HasPrefix(query, "status=") {
			query = "status=all&" + query
		}
		r := c.anaB.do("GET", "/queue?lang=en&"+query, nil)
		require.Equal(t, http.StatusOK, r.status, f.query)
		require.Equal(t, f.want, consoleQueueURLs(r.body), f.query)
	}
	sel := c.anaB.do("GET", "/queue?lang=en&status=captured&minor=no", nil)
	require.Contains(t, sel.body, `<option value="captured" selected>`)
	require.Contains(t, sel.body, `<option value="no" selected>`)
	bad := c.anaB.do("GET", "/queue?lang=en&status=bogus", nil)
	require.Equal(t, http.StatusBadRequest, bad.status)
	require.Contains(t, bad.body, "This filter is not valid.")

	// The auditor reads the queue, without the bulk form.
	aud := c.audB.do("GET", "/queue?lang=en&status=all", nil)
	require.Equal(t, http.StatusOK, aud.status)
	require.Len(t, consoleQueueURLs(aud.body), 3)
	require.NotContains(t, aud.body, `name="item"`)

	js := c.anaB.do("GET", "/assets/htmx.min.js", nil)
	require.Equal(t, http.StatusOK, js.status)
	require.Equal(t, "text/javascript; charset=utf-8", js.header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(js.body, "var htmx="), "the vendored htmx")
	require.Equal(t, http.StatusNotModified, c.anaB.do("GET", "/assets/htmx.min.js", nil, "If-None-Match", js.header.Get("ETag")).status)
}

// The case page: the case, each item's evidence with the personal data
// highlighted and every captured markup escaped, the trace and recipients,
// the audit trail for those who may read it; every view is audited.
func TestConsoleCasePage(t *testing.T) {
	c := newConsole(t, nil)
	ref, items := c.report(t, undox.Report{URLs: []string{"https://dox.example/minor"}, Category: undox.CategoryDoxing, IsMinor: true,
		Description: `She is 15. <script>alert("description")</script>`})
	it := items[0]
	text := "Syntha Testperson woont op Voorbeeldstraat 12.\nBel 06 12 34 56 78 of mail syntha@example.org\n<script>alert(\"page\")</script> <img src=x onerror=alert(2)>"
	phone := strings.Index(text, "06 12")
	street := strings.Index(text, "Voorbeeldstraat")
	shot := testPNG(t)
	cp := c.capture(t, it.ID, `<html><body><script>alert("body")</script></body></html>`, text, []map[string]any{
		{"type": "phone", "start": phone, "end": phone + len("06 12 34 56 78"), "value": "+31612345678", "valid": true},
		{"type": "address", "start": street, "end": street + len("Voorbeeldstraat 12"), "value": "Voorbeeldstraat 12", "valid": true},
		// Offsets that do not fit the text: found by its value.
		{"type": "email", "start": 9000, "end": 9018, "value": "syntha@example.org", "valid": true},
	}, shot)
	c.traced(t, it.ID)

	p := c.anaB.do("GET", "/cases/"+ref+"?lang=en", nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, "<h1>Case "+ref+"</h1>")
	require.Contains(t, p.body, `<mark class="pd" title="phone number">06 12 34 56 78</mark>`)
	require.Contains(t, p.body, `<mark class="pd" title="address">Voorbeeldstraat 12</mark>`)
	require.Contains(t, p.body, `<mark class="pd" title="e-mail address">syntha@example.org</mark>`)
	require.Contains(t, p.body, `&lt;script&gt;alert(&#34;page&#34;)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;`, "the page's markup is text")
	require.Contains(t, p.body, `She is 15. &lt;script&gt;alert(&#34;description&#34;)&lt;/script&gt;`, "so is the description")
	require.NotContains(t, p.body, "<script>alert")
	require.NotContains(t, p.body, "<img src=x")
	require.NotContains(t, p.body, `href="https://dox.example`)
	require.Contains(t, p.body, `<code class="url">https://dox.example/minor</code>`)
	require.Contains(t, p.body, "Example Hosting")
	require.Contains(t, p.body, "abuse@hosting.example")
	require.Contains(t, p.body, "the site itself (not notified)")
	require.Contains(t, p.body, "Assessment: <strong>high</strong>")
	require.NotContains(t, p.body, "Audit trail", "an analyst may not read the audit trail")

	// The captured page is a download; the screenshot of a minor's case
	// is blurred.
	files := "/cases/" + ref + "/files/" + strconv.FormatInt(cp.ID, 10) + "/"
	bodySHA, shotSHA := fileSHA(cp, undox.FileBody), fileSHA(cp, undox.FileScreenshot)
	require.Contains(t, p.body, `<a href="`+files+bodySHA+`" download>`)
	require.Contains(t, p.body, `<img src="`+files+shotSHA+`" alt="Screenshot of the page"`)
	dl := c.anaB.do("GET", files+bodySHA, nil)
	require.Equal(t, http.StatusOK, dl.status)
	require.Equal(t, "application/octet-stream", dl.header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(dl.header.Get("Content-Disposition"), "attachment;"))
	require.Contains(t, dl.header.Get("Content-Security-Policy"), "sandbox")
	require.Equal(t, "nosniff", dl.header.Get("X-Content-Type-Options"))
	img := c.anaB.do("GET", files+shotSHA, nil)
	require.Equal(t, http.StatusOK, img.status)
	require.Equal(t, "image/png", img.header.Get("Content-Type"))
	require.Equal(t, "true", img.header.Get("X-Undox-Blurred"))
	require.True(t, strings.HasPrefix(img.header.Get("Content-Disposition"), "inline;"))
	require.Contains(t, img.header.Get("Content-Security-Policy"), "sandbox")
	require.NotEqual(t, string(shot), img.body)
	_, _, err := image.Decode(strings.NewReader(img.body))
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, c.anaB.do("GET", "/cases/UDX-AAAAAAAAAA/files/"+strconv.FormatInt(cp.ID, 10)+"/"+shotSHA, nil).status,
		"a file only under its own case")
	require.Equal(t, http.StatusSeeOther, c.staffSite.browser().do("GET", files+shotSHA, nil).status, "no session, no file")

	// Revealing takes a form post; the grant is the analyst's own, and
	// the picture served unblurred is audited.
	require.Contains(t, p.body, `name="action" value="reveal"`)
	rv := c.anaB.send("/cases/"+ref, url.Values{"action": {"reveal"}, "capture": {strconv.FormatInt(cp.ID, 10)}, "file": {shotSHA}})
	require.Equal(t, http.StatusSeeOther, rv.status, rv.body)
	shown := c.anaB.followConsole(t, rv)
	m := regexp.MustCompile(`<img src="(` + regexp.QuoteMeta(files+shotSHA) + `\?reveal=[^"]+)"`).FindStringSubmatch(shown.body)
	require.NotNil(t, m, shown.body)
	src := html.UnescapeString(m[1])
	clear := c.anaB.do("GET", src, nil)
	require.Equal(t, http.StatusOK, clear.status)
	require.Equal(t, string(shot), clear.body)
	require.Empty(t, clear.header.Get("X-Undox-Blurred"))
	require.Equal(t, "true", c.bobB.do("GET", src, nil).header.Get("X-Undox-Blurred"), "another analyst's grant reveals nothing")
	require.Equal(t, http.StatusForbidden, c.audB.send("/cases/"+ref, url.Values{"action": {"reveal"}, "capture": {strconv.FormatInt(cp.ID, 10)}, "file": {shotSHA}}).status)
	require.Contains(t, consoleAudit(t, c, "capture", strconv.FormatInt(cp.ID, 10)), "capture.reveal "+userLabel(c.ana))
	c.clock.Advance(16 * time.Minute) // a grant lasts a quarter of an hour
	c.login(t)
	require.Equal(t, "true", c.anaB.do("GET", src, nil).header.Get("X-Undox-Blurred"), "a grant expires")

	// Every view of the case is in the audit log, by the user's label.
	require.Contains(t, consoleAudit(t, c, "case", ref), "case.read "+userLabel(c.ana))
	sue := c.sueB.do("GET", "/cases/"+ref+"?lang=en", nil)
	require.Equal(t, http.StatusOK, sue.status)
	require.Contains(t, sue.body, "Audit trail")
	require.NotContains(t, sue.body, "<td>case.read</td>", "changes first: readings behind a link")
	require.Contains(t, sue.body, "<td>"+userLabel(c.ana)+"</td><td>capture.reveal</td>", "a picture revealed is on the trail")
	require.Contains(t, sue.body, `<a href="/cases/`+ref+`?lang=en&amp;audit=all#audit">Show who read what too</a>`)
	sue = c.sueB.do("GET", "/cases/"+ref+"?lang=en&audit=all", nil)
	require.Contains(t, sue.body, "<td>"+userLabel(c.ana)+"</td><td>case.read</td>")
	require.Contains(t, sue.body, `<details open><summary>Show the audit trail of the case, its links and their notices</summary>`)
	require.Contains(t, consoleAudit(t, c, "case", ref), "case.read "+userLabel(c.sue))
	aud := c.audB.do("GET", "/cases/"+ref+"?lang=nl", nil)
	require.Equal(t, http.StatusOK, aud.status)
	require.Contains(t, aud.body, "<h1>Zaak "+ref+"</h1>")
	require.Contains(t, aud.body, `<h2 id="item-h-`+strconv.FormatInt(it.ID, 10)+`">Link #`+strconv.FormatInt(it.ID, 10)+`</h2>`, "an item is a link, not a melding")
	require.Contains(t, aud.body, "<h3>Verzoeken tot verwijdering</h3>")
	require.Contains(t, aud.body, "<dt>Bron</dt><dd>het meldformulier</dd>")
	require.Contains(t, aud.body, "<td>rdap (hoog)</td>", "the recipient's confidence in Dutch")
	require.Contains(t, aud.body, `<span class="muted">(vastgelegd, system)</span>`, "the history in Dutch")
	require.NotContains(t, aud.body, "Melding #")
	require.Contains(t, aud.body, `<mark class="pd" title="telefoonnummer">06 12 34 56 78</mark>`)
	require.NotContains(t, aud.body, `value="reveal"`, "an auditor may not reveal")
	require.NotContains(t, aud.body, `value="confirm"`, "nor act")

	missing := c.anaB.do("GET", "/cases/UDX-AAAAAAAAAA?lang=en", nil)
	require.Equal(t, http.StatusNotFound, missing.status)
	require.Contains(t, missing.body, "This does not exist (any more).")
}

// The case page's forms: confirm, reject with a reason, the notice's
// recipient and approval, escalate, close, close the case, a contact-book
// entry; each answers with a redirect and a message in the user's language.
// An auditor cannot act, and a form from another site is refused.
func TestConsoleActions(t *testing.T) {
	c := newConsole(t, nil)
	ref, items := c.report(t, undox.Report{URLs: []string{"https://dox.example/a", "https://dox.example/b", "https://dox.example/c"}, Category: undox.CategoryDoxing})
	a, b, x := items[0], items[1], items[2]
	for _, it := range items {
		c.captured(t, it.ID)
	}
	casePath := "/cases/" + ref
	act := func(br *browser, action string, kv ...string) answer {
		t.Helper()
		f := url.Values{"action": {action}, "lang": {"en"}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return br.send(casePath, f)
	}
	id := func(it *undox.Item) string { return strconv.FormatInt(it.ID, 10) }

	// Refused: an auditor, and a form from another site.
	r := act(c.audB, "confirm", "item", id(a))
	require.Equal(t, http.StatusForbidden, r.status)
	require.Contains(t, r.body, "Your role does not give access to this page.")
	r = c.anaB.send(casePath, url.Values{"action": {"confirm"}, "item": {id(a)}}, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, r.status)
	r = c.anaB.send(casePath, url.Values{"action": {"confirm"}, "item": {id(a)}}, "Sec-Fetch-Site", "", "Origin", "https://evil.example")
	require.Equal(t, http.StatusForbidden, r.status)
	require.Equal(t, undox.ItemCaptured, c.item(t, a.ID).Status, "nothing changed")

	// Confirm: the notice is prepared.
	r = act(c.anaB, "confirm", "item", id(a), "reason", "doxes a home address")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	require.Equal(t, casePath+"?done=console_done_confirm&lang=en#item-"+id(a), r.header.Get("Location"))
	page := c.anaB.followConsole(t, r)
	require.Contains(t, page.body, `<p class="flash ok" role="status">The link was confirmed; its notice is prepared.</p>`)
	require.Equal(t, undox.ItemConfirmed, c.item(t, a.ID).Status)
	require.Contains(t, page.body, "prepared, waiting for approval")
	require.Contains(t, page.body, `<strong>chosen</strong>`)
	hist, err := c.e.store.ItemHistory(c.e.ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, "doxes a home address", hist[len(hist)-1].Reason)
	require.Equal(t, userLabel(c.ana), hist[len(hist)-1].Actor)
	nl := c.anaB.do("GET", casePath+"?done=console_done_confirm&lang=nl", nil)
	require.Contains(t, nl.body, "De link is bevestigd; het verzoek tot verwijdering staat klaar.")
	require.NotContains(t, c.anaB.do("GET", casePath+"?done=login_err_failed", nil).body, "Login failed", "only the console's messages")

	// The prepared notice: its recipient changed, then approved.
	ns, err := c.e.store.Notices(c.e.ctx, cli, a.ID)
	require.NoError(t, err)
	nid := strconv.FormatInt(ns[0].ID, 10)
	page = c.anaB.followConsole(t, act(c.anaB, "edit_notice", "notice", nid, "organisation", "Other Hosting", "address", "abuse@other.example"))
	require.Contains(t, page.body, "The notice&#39;s recipient was changed.")
	require.Contains(t, page.body, "<code>abuse@other.example</code>")
	page = c.anaB.followConsole(t, act(c.anaB, "edit_notice", "notice", nid, "organisation", "Other Hosting", "address", "not an address"))
	require.Contains(t, page.body, `<p class="flash problem" role="alert">What you entered is not valid.`)
	page = c.anaB.followConsole(t, act(c.anaB, "approve_notice", "notice", nid))
	require.Contains(t, page.body, "The notice was approved and will be sent.")
	ns, err = c.e.store.Notices(c.e.ctx, cli, a.ID)
	require.NoError(t, err)
	require.Equal(t, undox.NoticeApproved, ns[0].Status)
	require.Equal(t, "abuse@other.example", ns[0].Address)
	require.Equal(t, userLabel(c.ana), ns[0].ApprovedBy)
	page = c.anaB.followConsole(t, act(c.anaB, "approve_notice", "notice", nid))
	require.Contains(t, page.body, "This is not possible in the current state.")

	// Reject needs a reason.
	page = c.anaB.followConsole(t, act(c.anaB, "reject", "item", id(b)))
	require.Contains(t, page.body, "A rejection needs a reason.")
	require.Equal(t, undox.ItemCaptured, c.item(t, b.ID).Status)
	page = c.anaB.followConsole(t, act(c.anaB, "reject", "item", id(b), "reason", "not personal data"))
	require.Contains(t, page.body, "The link was rejected.")
	require.Equal(t, undox.ItemRejected, c.item(t, b.ID).Status)
	// Escalate is offered only where the lifecycle allows it.
	page = c.anaB.followConsole(t, act(c.anaB, "escalate", "item", id(x)))
	require.Contains(t, page.body, "This is not possible in the current state.")
	page = c.anaB.followConsole(t, act(c.anaB, "close", "item", id(b), "reason", "done"))
	require.Contains(t, page.body, "The link was closed.")
	require.Equal(t, undox.ItemClosed, c.item(t, b.ID).Status)
	page = c.anaB.followConsole(t, act(c.anaB, "bogus", "item", id(b)))
	require.Contains(t, page.body, "What you entered is not valid.")

	// A contact-book entry, the form prefilled with the item's host.
	require.Contains(t, page.body, `id="c-key" name="key" value="dox.example"`)
	r = act(c.anaB, "add_contact", "scope", "domain", "key", "dox.example", "role", "host", "name", "", "email", "nope")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "The contact was not saved.")
	require.Contains(t, r.body, "The organisation&#39;s name is required")
	require.Contains(t, r.body, `name="email" value="nope"`, "the form keeps what was typed")
	page = c.anaB.followConsole(t, act(c.anaB, "add_contact", "item", id(a), "scope", "domain", "key", "dox.example", "role", "platform", "name", "Dox Site Abuse",
		"email", "abuse@dox.example", "language", "en", "platform", "yes"))
	require.Contains(t, page.body, "The contact was added to the contact book; the link is traced again with it.")
	entries, err := c.e.store.AuditEntries(c.e.ctx, "item", id(a))
	require.NoError(t, err)
	var traced int
	for _, en := range entries {
		if en.Action == "item.trace.request" {
			traced++
		}
	}
	require.Equal(t, 1, traced, "the item the contact was added for is traced again")
	contacts, err := c.e.store.Contacts(c.e.ctx, cli)
	require.NoError(t, err)
	require.Len(t, contacts, 1)
	require.Equal(t, "dox.example", contacts[0].Key)
	require.True(t, contacts[0].Platform)
	require.Equal(t, userLabel(c.ana), contacts[0].UpdatedBy)
	require.Equal(t, http.StatusForbidden, act(c.audB, "add_contact", "scope", "domain", "key", "x.example", "role", "host", "name", "X", "email", "a@x.example").status)

	// Closing the case.
	require.Equal(t, http.StatusForbidden, act(c.audB, "close_case").status)
	page = c.anaB.followConsole(t, act(c.anaB, "close_case", "reason", "handled"))
	require.Contains(t, page.body, "The case was closed.")
	require.Equal(t, undox.CaseClosed, c.caseOf(t, ref).Status)
	require.NotContains(t, page.body, `value="close_case"`, "a closed case offers no closing")
	require.Contains(t, consoleAudit(t, c, "case", ref), "case.close "+userLabel(c.ana))
}

// Bulk actions: the chosen items are confirmed in the background, and the
// job's page shows its progress until m of m are done.
func TestConsoleBulk(t *testing.T) {
	c := newConsole(t, nil)
	var ids []string
	for i := range 3 {
		_, items := c.report(t, undox.Report{URLs: []string{fmt.Sprintf("https://dox.example/bulk/%d", i)}, Category: undox.CategoryDoxing})
		c.captured(t, items[0].ID)
		ids = append(ids, strconv.FormatInt(items[0].ID, 10))
	}
	_, rejected := c.report(t, undox.Report{URLs: []string{"https://dox.example/bulk/new"}})

	r := c.anaB.send("/queue/bulk", url.Values{"action": {"reject"}, "item": ids, "lang": {"en"}})
	require.Equal(t, "/queue?lang=en&problem=console_err_reason", r.header.Get("Location"))
	r = c.anaB.send("/queue/bulk", url.Values{"action": {"confirm"}, "lang": {"en"}})
	require.Contains(t, c.anaB.followConsole(t, r).body, "Select one or more links first.")
	require.Equal(t, http.StatusForbidden, c.audB.send("/queue/bulk", url.Values{"action": {"confirm"}, "item": ids}).status)
	require.Equal(t, http.StatusForbidden, c.anaB.send("/queue/bulk", url.Values{"action": {"confirm"}, "item": ids}, "Sec-Fetch-Site", "cross-site").status)

	all := append(append([]string{}, ids...), strconv.FormatInt(rejected[0].ID, 10))
	r = c.anaB.send("/queue/bulk", url.Values{"action": {"confirm"}, "item": all, "reason": {"doxing, checked"}, "lang": {"en"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	jobPath := r.header.Get("Location")
	require.Regexp(t, `^/queue/bulk/\d+$`, jobPath)
	// Queued, not yet run (this site's jobs are not started): the page
	// refreshes itself, with or without JavaScript.
	page := c.anaB.do("GET", jobPath+"?lang=en", nil)
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, "0 of 4 done")
	require.NotContains(t, page.body, "Finished.")
	require.Contains(t, page.body, `hx-trigger="every 1s"`)
	require.Contains(t, page.body, `<noscript><meta http-equiv="refresh" content="2"></noscript>`)
	c.runBulk(t, jobPath)
	page = c.anaB.do("GET", jobPath+"?lang=en", nil)
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, "Finished.")
	require.Contains(t, page.body, `<progress max="4" value="4"`)
	require.Contains(t, page.body, "4 of 4 done")
	require.Contains(t, page.body, "(1 failed)")
	require.Contains(t, page.body, "not possible in the current state", "the new item cannot be confirmed")
	require.NotContains(t, page.body, "http-equiv", "a finished job stops refreshing")
	require.NotContains(t, page.body, "hx-trigger")
	require.Contains(t, c.anaB.do("GET", jobPath+"?lang=nl", nil).body, "4 van 4 klaar")
	for _, s := range ids {
		n, _ := strconv.ParseInt(s, 10, 64)
		require.Equal(t, undox.ItemConfirmed, c.item(t, n).Status)
		require.Contains(t, consoleAudit(t, c, "item", s), "item.confirm "+userLabel(c.ana))
	}
	require.Equal(t, undox.ItemNew, c.item(t, rejected[0].ID).Status)
	// Anyone who reads cases can follow a job; an unknown one is not found.
	require.Equal(t, http.StatusOK, c.audB.do("GET", jobPath, nil).status)
	require.Equal(t, http.StatusNotFound, c.anaB.do("GET", "/queue/bulk/999999", nil).status)
}

// Referring ends an item as rejecting and closing do: when either is
// four-eyes, so is refer (and refer can be four-eyes on its own). Over the
// API the referral is a request (202) that the console shows and a second
// analyst approves there.
func TestFourEyesRefer(t *testing.T) {
	for _, fourEyes := range [][]string{{undox.FourEyesReject}, {undox.FourEyesClose}, {undox.FourEyesRefer}} {
		t.Run(strings.Join(fourEyes, ","), func(t *testing.T) {
			c := newConsole(t, func(cfg *web.Config) { cfg.FourEyes = fourEyes })
			ref, items := c.report(t, undox.Report{URLs: []string{"https://dox.example/refer"}, Category: undox.CategoryDoxing})
			it := items[0]
			c.captured(t, it.ID)
			id := strconv.FormatInt(it.ID, 10)
			tok := c.e.tokenOfUser(t, "api-ana", undox.RoleAnalyst, c.ana.User.ID)
			var pa undox.PendingAction
			c.e.api.do(t, "POST", "/api/v1/items/"+id+"/actions/refer", map[string]string{"reason": "for the police"}, bearer(tok)).ok(t, 202, &pa)
			require.Equal(t, undox.FourEyesRefer, pa.Action)
			require.Equal(t, undox.PendingOpen, pa.Status)
			require.Equal(t, undox.ItemCaptured, c.item(t, it.ID).Status, "nothing happens before the second analyst")

			casePath := "/cases/" + ref
			page := c.bobB.do("GET", casePath+"?lang=en", nil)
			require.Contains(t, page.body, "Refer: link #"+id)
			require.Contains(t, c.bobB.do("GET", casePath+"?lang=nl", nil).body, "Doorsturen: link #"+id)
			pending := regexp.MustCompile(`name="request" value="(\d+)"`).FindStringSubmatch(page.body)
			require.NotNil(t, pending)
			page = c.bobB.followConsole(t, c.bobB.send(casePath, url.Values{"action": {"approve_request"}, "request": {pending[1]}, "lang": {"en"}}))
			require.Contains(t, page.body, "Approved and done.")
			require.Equal(t, undox.ItemReferred, c.item(t, it.ID).Status)
		})
	}
	// Without reject, close or refer four-eyes, referring is done at once.
	c := newConsole(t, func(cfg *web.Config) { cfg.FourEyes = []string{undox.FourEyesConfirm} })
	_, items := c.report(t, undox.Report{URLs: []string{"https://dox.example/refer/now"}, Category: undox.CategoryDoxing})
	c.captured(t, items[0].ID)
	tok := c.e.tokenOfUser(t, "api-ana", undox.RoleAnalyst, c.ana.User.ID)
	var referred undox.Item
	c.e.api.do(t, "POST", "/api/v1/items/"+strconv.FormatInt(items[0].ID, 10)+"/actions/refer", nil, bearer(tok)).ok(t, 200, &referred)
	require.Equal(t, undox.ItemReferred, referred.Status)
	require.NoError(t, web.CheckFourEyes([]string{"refer"}), "--four-eyes refer")
}

// An auditor's look at the queue, and at the API's list of items, is in
// the audit log: item lists show every reported URL, which often names the
// victim.
func TestItemListsAreAudited(t *testing.T) {
	c := newConsole(t, nil)
	c.report(t, undox.Report{URLs: []string{"https://dox.example/one", "https://dox.example/two"}, Category: undox.CategoryDoxing})
	require.Equal(t, http.StatusOK, c.audB.do("GET", "/queue?lang=en", nil).status)
	require.Equal(t, []string{"item.list " + userLabel(c.aud)}, consoleAudit(t, c, "item", "*"))

	tok := c.e.tokenOfUser(t, "audrey's script", undox.RoleAuditor, c.aud.User.ID)
	c.e.api.do(t, "GET", "/api/v1/items?limit=500", nil, bearer(tok)).ok(t, 200, nil)
	entries, err := c.e.store.AuditEntries(c.e.ctx, "item", "*")
	require.NoError(t, err)
	require.Len(t, entries, 2)
	require.Equal(t, "item.list", entries[1].Action)
	require.Equal(t, "token:"+tokenIDOf(t, c.e, tok)+":audrey's script", entries[1].Actor)
	require.Equal(t, "count=2", entries[1].Detail)
}

// Four-eyes: an action the configuration marks waits for a second,
// different analyst; the first cannot approve their own request.
func TestConsoleFourEyes(t *testing.T) {
	c := newConsole(t, func(cfg *web.Config) { cfg.FourEyes = []string{undox.FourEyesConfirm, undox.FourEyesClose} })
	ref, items := c.report(t, undox.Report{URLs: []string{"https://dox.example/4eyes", "https://dox.example/4eyes/bulk"}, Category: undox.CategoryDoxing})
	it, other := items[0], items[1]
	c.captured(t, it.ID)
	c.captured(t, other.ID)
	casePath := "/cases/" + ref
	id := strconv.FormatInt(it.ID, 10)

	p := c.anaB.do("GET", casePath+"?lang=en", nil)
	require.Contains(t, p.body, "Confirm (four-eyes)")
	page := c.anaB.followConsole(t, c.anaB.send(casePath, url.Values{"action": {"confirm"}, "item": {id}, "reason": {"home address"}, "lang": {"en"}}))
	require.Contains(t, page.body, "Recorded: a second analyst must approve this.")
	require.Equal(t, undox.ItemCaptured, c.item(t, it.ID).Status, "nothing happens before the second analyst")
	require.Contains(t, page.body, "Confirm: link #"+id+" – "+userLabel(c.ana))
	require.Contains(t, page.body, `value="decline_request">Withdraw</button>`, "the requester may only withdraw")
	require.NotContains(t, page.body, `value="approve_request"`)
	q := c.bobB.do("GET", "/queue?lang=en", nil)
	require.Contains(t, q.body, "Waiting for a second analyst")
	require.Contains(t, q.body, `<a href="/cases/`+ref+`#pending">`)

	pending := regexp.MustCompile(`name="request" value="(\d+)"`).FindStringSubmatch(page.body)
	require.NotNil(t, pending)
	approve := url.Values{"action": {"approve_request"}, "request": {pending[1]}, "lang": {"en"}}
	page = c.anaB.followConsole(t, c.anaB.send(casePath, approve))
	require.Contains(t, page.body, "Four-eyes: another analyst must approve this, not the one who asked.")
	require.Equal(t, undox.ItemCaptured, c.item(t, it.ID).Status)
	require.Equal(t, http.StatusForbidden, c.audB.send(casePath, approve).status)

	bobPage := c.bobB.do("GET", casePath+"?lang=en", nil)
	require.Contains(t, bobPage.body, `value="approve_request">Approve</button>`)
	page = c.bobB.followConsole(t, c.bobB.send(casePath, approve))
	require.Contains(t, page.body, "Approved and done.")
	require.Equal(t, undox.ItemConfirmed, c.item(t, it.ID).Status)
	acts := consoleAudit(t, c, "item", id)
	require.Contains(t, acts, "action.request "+userLabel(c.ana))
	require.Contains(t, acts, "action.approve "+userLabel(c.bob))
	require.Contains(t, acts, "item.confirm "+userLabel(c.bob))
	page = c.bobB.followConsole(t, c.bobB.send(casePath, approve))
	require.Contains(t, page.body, "This is not possible in the current state.", "approved once")

	// A bulk confirmation makes requests too.
	r := c.anaB.send("/queue/bulk", url.Values{"action": {"confirm"}, "item": {strconv.FormatInt(other.ID, 10)}, "lang": {"en"}})
	jobPath := r.header.Get("Location")
	c.runBulk(t, jobPath)
	require.Contains(t, c.anaB.do("GET", jobPath+"?lang=en", nil).body, "1 of 1 done")
	require.Contains(t, c.anaB.do("GET", jobPath+"?lang=en", nil).body, "waiting for a second analyst")
	require.Equal(t, undox.ItemCaptured, c.item(t, other.ID).Status)

	// Closing the case: declined by the second analyst, nothing closes.
	page = c.sueB.followConsole(t, c.sueB.send(casePath, url.Values{"action": {"close_case"}, "lang": {"en"}}))
	require.Contains(t, page.body, "Recorded: a second analyst must approve this.")
	reqs := regexp.MustCompile(`name="request" value="(\d+)"`).FindAllStringSubmatch(c.bobB.do("GET", casePath, nil).body, -1)
	require.Len(t, reqs, 2, "the bulk request and the closing")
	page = c.bobB.followConsole(t, c.bobB.send(casePath, url.Values{"action": {"decline_request"}, "request": {reqs[1][1]}, "lang": {"en"}}))
	require.Contains(t, page.body, "The request was declined.")
	require.Equal(t, undox.CaseOpen, c.caseOf(t, ref).Status)

	// The JSON API is no way around it: the same actions are recorded as
	// requests there too (pending_test.go has the API's own walk), which
	// the console shows and decides; others are done at once.
	tok := c.e.tokenOfUser(t, "api-ana", undox.RoleAnalyst, c.ana.User.ID)
	oid := strconv.FormatInt(other.ID, 10)
	c.e.api.do(t, "POST", "/api/v1/items/"+oid+"/confirm", map[string]string{"reason": "home address"}, bearer(tok)).
		problem(t, 409, undox.ECONFLICT) // the bulk job's request waits already
	require.Equal(t, undox.ItemCaptured, c.item(t, other.ID).Status)
	var rejected undox.Item
	c.e.api.do(t, "POST", "/api/v1/items/"+oid+"/actions/reject", map[string]string{"reason": "not doxing"}, bearer(tok)).ok(t, 200, &rejected)
	require.Equal(t, undox.ItemRejected, rejected.Status)
	var pa undox.PendingAction
	c.e.api.do(t, "POST", "/api/v1/cases/"+ref+"/actions/close", map[string]string{"reason": "done"}, bearer(tok)).ok(t, 202, &pa)
	require.Equal(t, undox.PendingOpen, pa.Status)
	require.Equal(t, undox.CaseOpen, c.caseOf(t, ref).Status)
	page = c.bobB.do("GET", casePath+"?lang=en", nil)
	require.Contains(t, page.body, `name="request" value="`+strconv.FormatInt(pa.ID, 10)+`"`, "the console shows the API's request")
	page = c.bobB.followConsole(t, c.bobB.send(casePath, url.Values{"action": {"approve_request"}, "request": {strconv.FormatInt(pa.ID, 10)}, "lang": {"en"}}))
	require.Contains(t, page.body, "Approved and done.")
	require.Equal(t, undox.CaseClosed, c.caseOf(t, ref).Status)
}

// walkConsole walks the console through the OpenAPI validator, for
// TestOpenAPIWalk: every operation, each answer checked against the
// document.
func walkConsole(t *testing.T, e *env) {
	c, form := newWalker(t, e), walkForm
	same := header("Origin", e.srv.URL)
	me := newAccount(t, e, "walk-console@hotline.example", "Console", undox.RoleAnalyst)

	in := &intake.Service{Store: e.store, PublicURL: e.srv.URL}
	rcpt, err := in.Submit(e.ctx, undox.Public, intake.Submission{Report: undox.Report{URLs: []string{"https://dox.example/walk-console"},
		Category: undox.CategoryDoxing, IsMinor: true}})
	require.NoError(t, err)
	cs, err := e.store.Case(e.ctx, cli, rcpt.CaseRef)
	require.NoError(t, err)
	id := strconv.FormatInt(cs.Items[0].ID, 10)
	cp := storeCapture(t, e, time.Now(), cs.Items[0].ID, "<html></html>", "Bel 06 12 34 56 78", nil, testPNG(t))
	files := "/cases/" + rcpt.CaseRef + "/files/" + strconv.FormatInt(cp.ID, 10) + "/"
	shot, body := fileSHA(cp, undox.FileScreenshot), fileSHA(cp, undox.FileBody)
	casePath := "/cases/" + rcpt.CaseRef

	c.do(t, "GET", "/assets/htmx.min.js", nil).ok(t, 200, nil)
	js := c.do(t, "GET", "/assets/htmx.min.js", nil)
	c.do(t, "GET", "/assets/htmx.min.js", nil, header("If-None-Match", js.header.Get("ETag"))).ok(t, 304, nil)
	c.do(t, "GET", casePath, nil).ok(t, 303, nil)
	c.do(t, "GET", files+shot, nil).ok(t, 303, nil)
	c.do(t, "GET", "/queue/bulk/1", nil).ok(t, 303, nil)
	c.do(t, "POST", "/queue/bulk", form("action", "close", "item", id), same).ok(t, 303, nil)
	c.do(t, "POST", casePath, form("action", "close", "item", id), same).ok(t, 303, nil)
	c.do(t, "POST", "/login", walkLogin(t, e, me, me.Password), same).ok(t, 303, nil)

	c.do(t, "GET", "/queue?lang=en&q=walk&status=captured&category=doxing&minor=yes&host=dox.example", nil).ok(t, 200, nil)
	c.do(t, "GET", "/queue?status=all", nil).ok(t, 200, nil)
	c.do(t, "GET", "/queue?status=bogus", nil, nonconforming()).ok(t, 400, nil)
	c.do(t, "GET", casePath+"?lang=en&done=console_done_confirm", nil).ok(t, 200, nil)
	c.do(t, "GET", "/cases/UDX-AAAA-AAAA-AAAA", nil).ok(t, 404, nil)
	c.do(t, "GET", files+shot, nil).ok(t, 200, nil)
	c.do(t, "GET", files+body, nil).ok(t, 200, nil)
	c.do(t, "GET", files+strings.Repeat("0", 64), nil).ok(t, 404, nil)
	r := c.do(t, "POST", casePath, form("action", "reveal", "capture", strconv.FormatInt(cp.ID, 10), "file", shot), same)
	r.ok(t, 303, nil)
	loc, err := url.Parse(r.header.Get("Location"))
	require.NoError(t, err)
	c.do(t, "GET", loc.RequestURI(), nil).ok(t, 200, nil)
	c.do(t, "GET", files+shot+"?reveal="+url.QueryEscape(loc.Query().Get("reveal")), nil).ok(t, 200, nil)
	c.do(t, "POST", casePath, form("action", "add_contact", "scope", "domain", "key", "dox.example", "role", "host", "name", ""), same).ok(t, 400, nil)
	c.do(t, "POST", casePath, form("action", "close_case"), header("Origin", "https://evil.example")).ok(t, 403, nil)
	c.do(t, "POST", casePath, form("action", "confirm", "item", id, "reason", "walk"), same).ok(t, 303, nil)
	r = c.do(t, "POST", "/queue/bulk", form("action", "close", "item", id, "reason", "walk"), same)
	r.ok(t, 303, nil)
	job := r.header.Get("Location")
	eventually(t, "the bulk job", func() bool {
		r := c.do(t, "GET", job+"?lang=en", nil)
		r.ok(t, 200, nil)
		return strings.Contains(string(r.body), "1 of 1 done")
	})
	c.do(t, "GET", "/queue/bulk/999999", nil).ok(t, 404, nil)
}

func init() {
	openapi3filter.RegisterBodyDecoder("text/javascript", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("image/png", openapi3filter.FileBodyDecoder)
}

// A host that takes notices only through its web form: the case page
// offers to record that the analyst submitted it there, after which the
// notice counts as sent with the policy's deadline.
func TestConsoleManualNotice(t *testing.T) {
	c := newConsole(t, nil)
	ref, items := c.report(t, undox.Report{URLs: []string{"https://formhost.example/p/1"}, Category: undox.CategoryDoxing})
	it := items[0]
	_, err := c.e.store.ObserveItem(c.e.ctx, it.ID, undox.ObserveCaptured, "", nil)
	require.NoError(t, err)
	_, err = c.e.store.SaveTrace(c.e.ctx, it.ID, "net:FORM", []byte(`{"domain":"formhost.example",
	 "recipients":[{"role":"host","organisation":"Form Hosting","web_form":"https://formhost.example/abuse","notify":true,"source":"rdap"}]}`))
	require.NoError(t, err)
	casePath := "/cases/" + ref
	send := func(br *browser, action string, kv ...string) answer {
		f := url.Values{"action": {action}, "lang": {"en"}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return br.send(casePath, f)
	}
	page := c.anaB.followConsole(t, send(c.anaB, "confirm", "item", strconv.FormatInt(it.ID, 10), "reason", "doxes a home address"))
	ns, err := c.e.store.Notices(c.e.ctx, cli, it.ID)
	require.NoError(t, err)
	require.Len(t, ns, 1)
	require.Equal(t, undox.NoticeManual, ns[0].Status)
	nid := strconv.FormatInt(ns[0].ID, 10)
	require.Contains(t, page.body, `value="submitted_notice">Submitted: record it</button>`)

	require.Equal(t, http.StatusForbidden, send(c.audB, "submitted_notice", "notice", nid).status)
	page = c.anaB.followConsole(t, send(c.anaB, "submitted_notice", "notice", nid))
	require.Contains(t, page.body, "Recorded: the notice was submitted. Its deadline runs from now.")
	require.NotContains(t, page.body, `value="submitted_notice"`, "recorded once")
	ns, err = c.e.store.Notices(c.e.ctx, cli, it.ID)
	require.NoError(t, err)
	require.Equal(t, undox.NoticeSent, ns[0].Status)
	require.NotNil(t, ns[0].Deadline)
	require.Equal(t, undox.ItemNotified, c.item(t, it.ID).Status)
}

// A form posted on one case's page acts on that case's items and notices
// only: another case's item is not found there, and nothing changes.
func TestConsoleActsOnItsCaseOnly(t *testing.T) {
	c := newConsole(t, nil)
	refA, _ := c.report(t, undox.Report{URLs: []string{"https://dox.example/case-a"}, Category: undox.CategoryDoxing})
	_, itemsB := c.report(t, undox.Report{URLs: []string{"https://dox.example/case-b"}, Category: undox.CategoryDoxing})
	c.captured(t, itemsB[0].ID)
	r := c.anaB.send("/cases/"+refA, url.Values{"action": {"confirm"}, "item": {strconv.FormatInt(itemsB[0].ID, 10)},
		"reason": {"home address"}, "lang": {"en"}})
	require.Equal(t, http.StatusSeeOther, r.status)
	require.Contains(t, r.header.Get("Location"), "problem=")
	require.Equal(t, undox.ItemCaptured, c.item(t, itemsB[0].ID).Status)
}

// A request is approved on its own case's page only: another case's
// request posted there is not found, and stays pending.
func TestConsoleApprovesItsCaseRequestsOnly(t *testing.T) {
	c := newConsole(t, func(cfg *web.Config) { cfg.FourEyes = []string{undox.FourEyesConfirm} })
	refA, _ := c.report(t, undox.Report{URLs: []string{"https://dox.example/req-a"}, Category: undox.CategoryDoxing})
	refB, itemsB := c.report(t, undox.Report{URLs: []string{"https://dox.example/req-b"}, Category: undox.CategoryDoxing})
	c.captured(t, itemsB[0].ID)
	page := c.anaB.followConsole(t, c.anaB.send("/cases/"+refB, url.Values{"action": {"confirm"},
		"item": {strconv.FormatInt(itemsB[0].ID, 10)}, "reason": {"home address"}, "lang": {"en"}}))
	pending := regexp.MustCompile(`name="request" value="(\d+)"`).FindStringSubmatch(page.body)
	require.NotNil(t, pending)

	r := c.bobB.send("/cases/"+refA, url.Values{"action": {"approve_request"}, "request": {pending[1]}, "lang": {"en"}})
	require.Equal(t, http.StatusSeeOther, r.status)
	require.Contains(t, r.header.Get("Location"), "problem=")
	require.Equal(t, undox.ItemCaptured, c.item(t, itemsB[0].ID).Status)

	// On its own case's page it is approved, and the page says by whom.
	page = c.bobB.followConsole(t, c.bobB.send("/cases/"+refB, url.Values{"action": {"approve_request"}, "request": {pending[1]}, "lang": {"en"}}))
	require.Contains(t, page.body, "Approved and done.")
	require.Equal(t, undox.ItemConfirmed, c.item(t, itemsB[0].ID).Status)
	require.Contains(t, page.body, "Decided requests")
	require.Contains(t, page.body, "Approved and done by "+userLabel(c.bob))

	// A declined request shows why.
	refC, itemsC := c.report(t, undox.Report{URLs: []string{"https://dox.example/req-c"}, Category: undox.CategoryDoxing})
	c.captured(t, itemsC[0].ID)
	page = c.anaB.followConsole(t, c.anaB.send("/cases/"+refC, url.Values{"action": {"confirm"},
		"item": {strconv.FormatInt(itemsC[0].ID, 10)}, "reason": {"home address"}, "lang": {"en"}}))
	pending = regexp.MustCompile(`name="request" value="(\d+)"`).FindStringSubmatch(page.body)
	require.NotNil(t, pending)
	page = c.bobB.followConsole(t, c.bobB.send("/cases/"+refC, url.Values{"action": {"decline_request"}, "request": {pending[1]},
		"reason": {"the page shows no personal data"}, "lang": {"en"}}))
	require.Contains(t, page.body, "Declined by "+userLabel(c.bob))
	require.Contains(t, page.body, "<q>the page shows no personal data</q>")
	require.Equal(t, undox.ItemCaptured, c.item(t, itemsC[0].ID).Status)
}

// A notice's text is on the case page before anyone approves it: the
// prepared notice as sending it would render now (the renderer of `undox
// notice preview`), to its own recipient; once sent, the text as stored.
// Both are text, never markup.
func TestConsoleNoticeText(t *testing.T) {
	var svc *takedown.Service
	c := newConsole(t, func(cfg *web.Config) {
		var err error
		svc, err = takedown.New(takedown.Config{Store: cfg.Store.(*sqlstore.Store), From: "notices@hotline.example",
			PublicURL: "https://undox.example", Notifier: notice.Notifier{Name: "Meldpunt Voorbeeld"}})
		require.NoError(t, err)
		cfg.Notices = svc
	})
	_, err := c.e.log.Integrate(c.e.ctx, 0) // a notice carries the latest checkpoint
	require.NoError(t, err)
	ref, items := c.report(t, undox.Report{URLs: []string{"https://dox.example/notice-text"}, Category: undox.CategoryDoxing})
	it := items[0]
	c.captured(t, it.ID)
	casePath := "/cases/" + ref
	page := c.anaB.followConsole(t, c.anaB.send(casePath, url.Values{"action": {"confirm"}, "item": {strconv.FormatInt(it.ID, 10)},
		"reason": {"home address"}, "lang": {"en"}}))
	ns, err := c.e.store.Notices(c.e.ctx, cli, it.ID)
	require.NoError(t, err)
	require.Len(t, ns, 1)
	nid := strconv.FormatInt(ns[0].ID, 10)
	page = c.anaB.followConsole(t, c.anaB.send(casePath, url.Values{"action": {"edit_notice"}, "notice": {nid},
		"organisation": {"Other <b>Hosting</b>"}, "address": {"abuse@other.example"}, "lang": {"en"}}))
	ns, err = c.e.store.Notices(c.e.ctx, cli, it.ID)
	require.NoError(t, err)
	want, err := svc.PreviewNotice(c.e.ctx, c.item(t, it.ID), ns[0])
	require.NoError(t, err)
	require.Contains(t, want.Text, "https://dox.example/notice-text")

	// Prepared: the text is open above the approve button.
	require.Contains(t, page.body, `<details class="notice-text" open><summary>The text that will be sent</summary>`)
	require.Contains(t, page.body, "Sending fills in the date, the deadline and the response link.")
	require.Contains(t, page.body, "<dt>To</dt><dd>Other &lt;b&gt;Hosting&lt;/b&gt; &lt;abuse@other.example&gt;</dd>")
	require.Contains(t, page.body, "<dt>Subject</dt><dd>"+html.EscapeString(want.Subject)+"</dd>")
	require.Equal(t, []string{want.Text}, noticeTexts(page.body), "exactly the rendered text")
	require.NotContains(t, page.body, "<b>Hosting</b>")
	require.Less(t, strings.Index(page.body, `class="notice-text"`), strings.Index(page.body, `value="approve_notice"`), "read before approving")
	nl := c.anaB.do("GET", casePath+"?lang=nl", nil)
	require.Contains(t, nl.body, "<summary>Tekst die verstuurd wordt</summary>")
	require.Contains(t, nl.body, "<dt>Onderwerp</dt>")

	// Approved, not yet sent: still the text that will go out.
	page = c.anaB.followConsole(t, c.anaB.send(casePath, url.Values{"action": {"approve_notice"}, "notice": {nid}, "lang": {"en"}}))
	require.Contains(t, page.body, `<details class="notice-text"><summary>The text that will be sent</summary>`)

	// Sent: the text as it was sent, not rendered again.
	_, err = c.e.store.SaveRendered(c.e.ctx, ns[0].ID, sqlstore.Rendered{MessageID: "<n1@hotline.example>", Subject: "Notice <1>",
		Text: "Dear abuse desk,\n<script>alert(1)</script>\nplease remove https://dox.example/notice-text", Message: []byte("x"), TokenHash: []byte("hash")})
	require.NoError(t, err)
	require.NoError(t, c.e.store.MarkNoticeSending(c.e.ctx, ns[0].ID))
	require.NoError(t, c.e.store.MarkNoticeSent(c.e.ctx, ns[0].ID, c.clock.Now().Add(48*time.Hour)))
	page = c.anaB.do("GET", casePath+"?lang=en", nil)
	require.Contains(t, page.body, `<details class="notice-text"><summary>The text as sent</summary>`)
	require.Contains(t, page.body, "<dt>Subject</dt><dd>Notice &lt;1&gt;</dd>")
	require.Contains(t, page.body, "<pre class=\"notice-text\">Dear abuse desk,\n&lt;script&gt;alert(1)&lt;/script&gt;\nplease remove https://dox.example/notice-text</pre>")
	require.Equal(t, []string{"Dear abuse desk,\n<script>alert(1)</script>\nplease remove https://dox.example/notice-text"}, noticeTexts(page.body))
	require.NotContains(t, page.body, "The text that will be sent")
	require.NotContains(t, page.body, "<script>alert(1)")
	require.Contains(t, c.audB.do("GET", casePath+"?lang=nl", nil).body, "<summary>Tekst zoals verstuurd</summary>", "the auditor reads it too")
}

// Without a renderer (a server started without the takedown procedure)
// the page says when the text will be there.
func TestConsoleNoticeTextLater(t *testing.T) {
	c := newConsole(t, nil)
	ref, items := c.report(t, undox.Report{URLs: []string{"https://dox.example/notice-later"}, Category: undox.CategoryDoxing})
	c.captured(t, items[0].ID)
	page := c.anaB.followConsole(t, c.anaB.send("/cases/"+ref, url.Values{"action": {"confirm"}, "item": {strconv.FormatInt(items[0].ID, 10)},
		"reason": {"home address"}, "lang": {"en"}}))
	require.Contains(t, page.body, "The text is made when the notice is sent, and shown here afterwards.")
}

var noticeTextRE = regexp.MustCompile(`(?s)<pre class="notice-text">(.*?)</pre>`)

// noticeTexts are the notice texts on a case page, as a reader sees them.
func noticeTexts(body string) []string {
	var out []string
	for _, m := range noticeTextRE.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// The case's audit trail, in the console and over the API, holds what was
// done to the case, to its items and to their notices: the notice
// prepared, the four-eyes request and its approval, the approval, the
// sending and the provider's answer; readings behind a link. An item that
// another case reports too does not give that case's reference away.
func TestConsoleAuditTrail(t *testing.T) {
	c := newConsole(t, func(cfg *web.Config) { cfg.FourEyes = []string{undox.FourEyesApprove} })
	ref, items := c.report(t, undox.Report{URLs: []string{"https://dox.example/trail", "https://dox.example/trail-untraced"}, Category: undox.CategoryDoxing})
	other, _ := c.report(t, undox.Report{URLs: []string{"https://dox.example/trail"}, Category: undox.CategoryDoxing})
	x, y := items[0], items[1]
	_, err := c.e.store.SaveCapture(c.e.ctx, undox.CaptureAttempt{ItemID: x.ID, Observe: undox.ObserveCaptured, Captures: []undox.Capture{
		{CaseRef: ref, FetchedAt: c.clock.Now(), RequestedBy: "system", HTTPStatus: 200},
		{CaseRef: other, FetchedAt: c.clock.Now(), RequestedBy: "system", HTTPStatus: 200}}})
	require.NoError(t, err)
	c.traced(t, x.ID)
	_, err = c.e.store.ObserveItem(c.e.ctx, y.ID, undox.ObserveCaptured, "", nil)
	require.NoError(t, err)
	casePath := "/cases/" + ref
	send := func(br *browser, kv ...string) answer {
		t.Helper()
		f := url.Values{"lang": {"en"}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return br.followConsole(t, br.send(casePath, f))
	}
	send(c.anaB, "action", "confirm", "item", strconv.FormatInt(x.ID, 10), "reason", "home address")
	send(c.anaB, "action", "confirm", "item", strconv.FormatInt(y.ID, 10), "reason", "home address") // no trace: no notice
	ns, err := c.e.store.Notices(c.e.ctx, cli, x.ID)
	require.NoError(t, err)
	nid := ns[0].ID
	page := send(c.anaB, "action", "approve_notice", "notice", strconv.FormatInt(nid, 10))
	req := regexp.MustCompile(`name="request" value="(\d+)"`).FindStringSubmatch(c.bobB.do("GET", casePath, nil).body)
	require.NotNil(t, req, page.body)
	send(c.bobB, "action", "approve_request", "request", req[1])
	_, err = c.e.store.SaveRendered(c.e.ctx, nid, sqlstore.Rendered{MessageID: "<n@hotline.example>", Subject: "s", Text: "t", Message: []byte("m"), TokenHash: []byte("h")})
	require.NoError(t, err)
	require.NoError(t, c.e.store.MarkNoticeSending(c.e.ctx, nid))
	require.NoError(t, c.e.store.MarkNoticeSent(c.e.ctx, nid, c.clock.Now().Add(48*time.Hour)))
	_, err = c.e.store.RecordResponse(c.e.ctx, nid, undox.NoticeResponse{Kind: undox.ResponseWillRemove, Until: "2027-02-01", Source: "web"})
	require.NoError(t, err)

	// Each view adds readings; the trail shows changes unless asked.
	for range 3 {
		c.anaB.do("GET", casePath, nil)
	}
	aud := c.audB.do("GET", casePath+"?lang=en", nil)
	require.Equal(t, http.StatusOK, aud.status)
	row := func(actor *staffAccount, action string) string {
		who := "system"
		if actor != nil {
			who = userLabel(actor)
		}
		return "<td>" + who + "</td><td>" + action + "</td>"
	}
	nobj := "<td>notice " + strconv.FormatInt(nid, 10) + "</td>"
	for _, want := range []string{row(c.ana, "item.confirm") + "<td>link " + strconv.FormatInt(x.ID, 10) + "</td>",
		row(c.ana, "notice.prepare") + nobj, row(c.ana, "notice.none") + "<td>link " + strconv.FormatInt(y.ID, 10) + "</td>",
		row(c.ana, "action.request") + nobj, row(c.bob, "action.approve") + nobj, row(c.bob, "notice.approve") + nobj,
		row(nil, "notice.render") + nobj, row(nil, "notice.accepted") + nobj, row(nil, "notice.answer") + nobj} {
		require.Contains(t, aud.body, want)
	}
	require.NotContains(t, aud.body, "<td>case.read</td>")
	require.NotContains(t, aud.body, "<td>notice.list</td>")
	require.NotContains(t, aud.body, other, "another case's reference is not shown")
	require.Contains(t, aud.body, "case=(another case) capture=")
	require.Contains(t, aud.body, "case="+ref+" capture=", "this case's own is")
	all := c.audB.do("GET", casePath+"?lang=nl&audit=all", nil)
	require.Equal(t, 6, strings.Count(all.body, row(c.ana, "case.read")), "three views and the pages after her three actions")
	require.Contains(t, all.body, "case=(een andere zaak) capture=")
	require.Contains(t, all.body, ">Alleen wijzigingen tonen</a>")
	require.Contains(t, all.body, "<td>verzoek "+strconv.FormatInt(nid, 10)+"</td>")

	// The API gives the same trail, readings included unless left out.
	tok := c.e.token(t, "api-audit", undox.RoleAuditor)
	var trail struct{ Entries []undox.AuditEntry }
	c.e.api.do(t, "GET", "/api/v1/cases/"+ref+"/audit?reads=false", nil, bearer(tok)).ok(t, 200, &trail)
	var got []string
	for _, en := range trail.Entries {
		got = append(got, en.Action+" "+en.ObjectType)
	}
	for _, want := range []string{"item.confirm item", "notice.none item", "notice.prepare notice", "notice.approve notice", "notice.accepted notice", "notice.answer notice"} {
		require.Contains(t, got, want)
	}
	require.NotContains(t, got, "case.read case")
	c.e.api.do(t, "GET", "/api/v1/cases/"+ref+"/audit", nil, bearer(tok)).ok(t, 200, &trail)
	got = nil
	for _, en := range trail.Entries {
		got = append(got, en.Action+" "+en.ObjectType)
	}
	require.Contains(t, got, "case.read case")
}

// The work queue shows by default what waits for an analyst; finished
// links and those that wait for undox or the recipient are under "All".
func TestConsoleQueueWork(t *testing.T) {
	c := newConsole(t, nil)
	urls := []string{"https://dox.example/w/captured", "https://dox.example/w/confirmed", "https://dox.example/w/notified",
		"https://dox.example/w/removed", "https://dox.example/w/rejected", "https://dox.example/w/new"}
	_, items := c.report(t, undox.Report{URLs: urls, Category: undox.CategoryDoxing})
	for _, it := range items[:5] {
		c.captured(t, it.ID)
	}
	for _, it := range items[1:4] {
		_, _, err := c.e.store.ConfirmItem(c.e.ctx, cli, it.ID, "")
		require.NoError(t, err)
	}
	for _, it := range items[2:4] {
		_, err := c.e.store.ObserveItem(c.e.ctx, it.ID, undox.ObserveNotified, "", nil)
		require.NoError(t, err)
	}
	_, err := c.e.store.ObserveItem(c.e.ctx, items[3].ID, undox.ObserveGone, "", nil)
	require.NoError(t, err)
	_, err = c.e.store.ItemEvent(c.e.ctx, cli, items[4].ID, undox.ActionReject, "not doxing")
	require.NoError(t, err)

	nl := c.anaB.do("GET", "/queue?lang=nl", nil)
	require.Equal(t, http.StatusOK, nl.status, nl.body)
	require.ElementsMatch(t, []string{"https://dox.example/w/captured", "https://dox.example/w/confirmed"}, consoleQueueURLs(nl.body))
	require.NotContains(t, nl.body, "<td>verwijderd, wordt in de gaten gehouden</td>")
	require.Contains(t, nl.body, `<option value="">Wacht op een analist</option>`)
	require.Contains(t, nl.body, `Links die op een analist wachten`)
	require.Contains(t, nl.body, `<a href="/queue?status=all">Alle links tonen</a>`)

	all := c.anaB.do("GET", "/queue?lang=nl&status=all", nil)
	require.ElementsMatch(t, urls, consoleQueueURLs(all.body))
	require.Contains(t, all.body, `<option value="all" selected>Alle</option>`)
	require.Contains(t, all.body, "<td>verwijderd, wordt in de gaten gehouden</td>")
	require.Contains(t, all.body, "Links die aan het filter voldoen")
	removed := c.anaB.do("GET", "/queue?lang=en&status=removed", nil)
	require.Equal(t, []string{"https://dox.example/w/removed"}, consoleQueueURLs(removed.body))
}
