package main

// The web in a real browser: the real program (undox serve, in this
// process, on port 0) and one headless Chromium for every subtest, driven
// with chromedp. A victim reports on a phone; an analyst logs in with
// password and TOTP, confirms and approves; the notices reach a loopback
// SMTP server; the provider answers on its page; the site removes the
// page, re-checks agree, and the victim's status page says so. Every page
// is checked for script that runs (dialogs, DOM mutations, live markup),
// Content Security Policy violations and missing UI strings, screenshot to
// UNDOX_TEST_SCREENSHOTS (else a temporary folder), and the main pages
// run axe-core. The boundaries follow: a victim's or provider's link opens
// nothing else, an analyst no admin page, and forms posted from another
// origin are refused. Without Chromium the test skips (see startBrowser).

import (
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"
)

// The payloads: none may run, and each is shown as text where it is shown.
const (
	descriptionPayload = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	capturedPayload    = `<script>alert('captured-text')</script><img src=x onerror=alert('captured-text')>`
	disputePayload     = `<script>alert('dispute')</script><img src=x onerror=alert('dispute')> not ours to judge`
)

// browserDoxPage is a synthetic doxing page with script, event handlers and, as
// text, markup.
const browserDoxPage = `<!doctype html><html><head><title>Exposed</title><script>alert('captured-script')</script></head>
<body onload="alert('captured-onload')">
<p>Synthetic Person lives at Testlaan 9, 9999 ZZ Nergensdorp, phone 06 12 34 56 78.</p>
<p>` + "&lt;script&gt;alert('captured-text')&lt;/script&gt;&lt;img src=x onerror=alert('captured-text')&gt;" + `</p>
<img src="/x" onerror="alert('captured-img')">
</body></html>`

// crossSiteForm is a page of another origin with a form that posts to
// undox: Target, and the fields as hidden inputs.
var crossSiteForm = template.Must(template.New("").Parse(`<!doctype html><html lang="en"><head><title>Win a prize</title></head>
<body><form method="post" action="{{.Target}}">{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<button type="submit" id="go">Claim</button></form></body></html>`))

// probePage breaks every rule the checks look for: the probe shows that
// they notice.
const probePage = `<!doctype html><html lang="en"><head><title>Probe</title></head><body>
<img src="/blocked.png" alt="">
<script>alert('probe'); addEventListener('load', () => setTimeout(() => document.body.append(document.createElement('img')), 0))</script>
<p onclick="void 0">probe</p></body></html>`

func TestBrowser(t *testing.T) {
	b := startBrowser(t)

	// The doxing site, on loopback under a name that only undox's DNS knows.
	var (
		mu   sync.Mutex
		gone = map[string]bool{}
	)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		g := gone[r.URL.Path]
		mu.Unlock()
		if g || !strings.HasPrefix(r.URL.Path, "/t/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, browserDoxPage)
	}))
	defer site.Close()
	_, port, _ := net.SplitHostPort(site.Listener.Addr().String())
	testDNS().Set("browser-dox.test", netip.MustParseAddr("127.0.0.1"))
	testDNS().Set("other-dox.test", netip.MustParseAddr("127.0.0.1"))
	pageURLs := []string{"http://browser-dox.test:" + port + "/t/1", "http://browser-dox.test:" + port + "/t/2"}

	// Another origin: a second server on loopback, whose pages post forms
	// to undox.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/probe":
			w.Header().Set("Content-Security-Policy", "img-src 'none'")
			fmt.Fprint(w, probePage)
		case "/form":
			q := r.URL.Query()
			fields := map[string]string{}
			for k := range q {
				if k != "target" {
					fields[k] = q.Get(k)
				}
			}
			crossSiteForm.Execute(w, map[string]any{"Target": q.Get("target"), "Fields": fields})
		default:
			http.NotFound(w, r)
		}
	}))
	defer other.Close()
	formAt := func(target string, fields url.Values) string {
		fields.Set("target", target)
		return other.URL + "/form?" + fields.Encode()
	}

	mb, smtpAddr := startMailbox(t)
	in := startServe(t, t.TempDir(), "", "--allow-networks", "127.0.0.1/32", "--allow-any-port",
		"--smtp", "smtp://"+smtpAddr, "--mail-from", "meldingen@meldpunt.example",
		"--notifier-name", "Meldpunt Voorbeeld", "--trusted-flagger", "ACM/UIT/000001")
	api := newToken(t, in, "analyst")
	code, body := call(t, "POST", in.URL+"/api/v1/contacts", api, map[string]any{"scope": "domain", "key": "browser-dox.test",
		"role": "host", "name": "Voorbeeld Hosting", "email": "abuse@hosting.example", "language": "en"})
	require.Equal(t, 201, code, body)

	t.Run("the checks notice what they look for", func(t *testing.T) {
		probe := b.newTab(t, "probe", 800, 600, false)
		probe.open(t, other.URL+"/probe")
		_, err := chromedp.Run(probe.ctx, chromedp.Poll[bool](`window.__undoxTest.mutations.length > 0`))
		require.NoError(t, err, "the recorder sees a mutation after parsing")
		st := eval[*recorderState](t, probe, `window.__undoxTest`)
		require.NotEmpty(t, st.CSP, "the recorder sees the policy violation")
		require.NotEmpty(t, st.Mutations)
		require.Regexp(t, suspicious, st.Mutations[0])
		require.Eventually(t, func() bool {
			probe.mu.Lock()
			defer probe.mu.Unlock()
			return len(probe.problems) > 0
		}, 10*time.Second, 20*time.Millisecond, "the console reports the violation")
		dialogs, problems := probe.noted()
		require.Len(t, dialogs, 1, "the tab sees the dialog")
		require.Contains(t, dialogs[0], "probe")
		require.Contains(t, problems[0], "Content Security Policy")
		require.NotEmpty(t, eval[[]string](t, probe, liveMarkupJS), "the live markup check sees the script and the handler")
	})

	var (
		ref, statusURL string
		itemIDs        = map[string]int64{} // by URL
		victim         = b.newTab(t, "victim", 390, 844, true)
	)
	if !t.Run("a victim reports on a phone", func(t *testing.T) {
		resp := victim.open(t, in.URL+"/")
		require.EqualValues(t, 200, resp.Status)
		requireStrictCSP(t, resp, false)
		require.Equal(t, "en", eval[string](t, victim, `document.documentElement.lang`), "the browser's language")
		victim.check(t, "report-form", pageCheck{axe: true})

		// Dutch, and back.
		victim.submit(t, `a[hreflang="nl"]`)
		require.Equal(t, "nl", eval[string](t, victim, `document.documentElement.lang`))
		require.Equal(t, "Meld een pagina", victim.textOf(t, "h1"))
		victim.check(t, "report-form-nl", pageCheck{axe: true})
		victim.submit(t, `a[hreflang="en"]`)
		require.Equal(t, "Report a page", victim.textOf(t, "h1"))

		victim.do(t,
			chromedp.SendKeys(chromedp.ID("urls"), pageURLs[0]+"\n"+pageURLs[1]),
			chromedp.Click(chromedp.CSS(`input[name="category"][value="doxing"]`)),
			chromedp.Click(chromedp.CSS(`input[name="minor"][value="no"]`)),
			chromedp.SendKeys(chromedp.ID("description"), descriptionPayload),
		)
		victim.check(t, "report-form-filled", pageCheck{})
		resp = victim.submit(t, `form button[type="submit"]`)
		require.Less(t, resp.Status, int64(300), "the report is accepted")
		require.Equal(t, "Your report was received", victim.textOf(t, "h1"))
		ref = regexp.MustCompile(`UDX-[A-Z0-9-]+`).FindString(victim.textOf(t, "main"))
		require.NotEmpty(t, ref)
		statusURL = victim.textOf(t, "a.link")
		require.True(t, strings.HasPrefix(statusURL, in.URL+"/status/"), statusURL)
		victim.check(t, "report-received", pageCheck{axe: true})

		resp = victim.open(t, statusURL)
		require.EqualValues(t, 200, resp.Status)
		requireStrictCSP(t, resp, false)
		text := victim.text(t)
		require.Contains(t, text, ref)
		require.Contains(t, text, pageURLs[0])
		require.Contains(t, text, pageURLs[1])
		victim.check(t, "status", pageCheck{axe: true})

		_, c := call(t, "GET", in.URL+"/api/v1/cases/"+ref, api, nil)
		require.Equal(t, descriptionPayload, c["description"], "the description is kept as typed")
		for _, it := range c["items"].([]any) {
			it := it.(map[string]any)
			itemIDs[it["url"].(string)] = int64(it["id"].(float64))
		}
		require.Len(t, itemIDs, 2)
	}) {
		return
	}
	item := func(u string) string { return in.URL + "/api/v1/items/" + strconv.FormatInt(itemIDs[u], 10) }
	for _, u := range pageURLs {
		waitCapturedAndTraced(t, item(u), api)
	}

	// The analyst's account, as an admin would make it.
	out, err := runCmd(t, nil, "user", "add", "--data", in.Data, "--email", "ana@hotline.example", "--role", "analyst", "--no-qr")
	require.NoError(t, err, out)
	password := passwordRE.FindStringSubmatch(out)
	require.NotNil(t, password, out)
	enrol := otpauthRE.FindStringSubmatch(out)
	require.NotNil(t, enrol, out)
	otpURL, err := url.Parse(enrol[1])
	require.NoError(t, err)
	analyst := b.newTab(t, "analyst", 1280, 900, false)
	casePage := in.URL + "/cases/" + ref

	if !t.Run("an analyst logs in, confirms and approves", func(t *testing.T) {
		resp := analyst.open(t, in.URL+"/queue")
		require.EqualValues(t, 200, resp.Status)
		require.True(t, strings.HasPrefix(resp.URL, in.URL+"/login"), "the queue needs a login: %s", resp.URL)
		requireStrictCSP(t, resp, false)
		analyst.check(t, "login", pageCheck{axe: true})

		code, err := totp.GenerateCode(otpURL.Query().Get("secret"), time.Now())
		require.NoError(t, err)
		analyst.do(t,
			chromedp.SendKeys(chromedp.ID("email"), "ana@hotline.example"),
			chromedp.SendKeys(chromedp.ID("password"), password[1]),
			chromedp.SendKeys(chromedp.ID("code"), code),
		)
		resp = analyst.submit(t, `form[action="/login"] button[type="submit"]`)
		require.EqualValues(t, 200, resp.Status)
		require.Equal(t, in.URL+"/queue", resp.URL)
		requireStrictCSP(t, resp, true)
		require.Contains(t, analyst.text(t), pageURLs[0])
		analyst.check(t, "queue", pageCheck{axe: true})

		resp = analyst.submit(t, `a[href="/cases/`+ref+`"]`)
		require.EqualValues(t, 200, resp.Status)
		requireStrictCSP(t, resp, true)
		require.Equal(t, descriptionPayload, analyst.textOf(t, "p.description"), "the victim's description, as text")
		require.Contains(t, analyst.text(t), capturedPayload, "the captured page's text, as text")
		analyst.check(t, "case", pageCheck{axe: true})

		for _, u := range pageURLs {
			id := strconv.FormatInt(itemIDs[u], 10)
			analyst.do(t, chromedp.SendKeys(chromedp.ID("reason-"+id), "doxes a home address"))
			resp = analyst.submit(t, `#item-`+id+` form.actions button[value="confirm"]`)
			require.EqualValues(t, 200, resp.Status)
			_, it := call(t, "GET", item(u), api, nil)
			require.Equal(t, "confirmed", it["status"], u)
		}
		analyst.check(t, "case-confirmed", pageCheck{})
		for _, u := range pageURLs {
			_, l := call(t, "GET", item(u)+"/notices", api, nil)
			ns := l["notices"].([]any)
			require.Len(t, ns, 1, u)
			nid := strconv.FormatInt(int64(ns[0].(map[string]any)["id"].(float64)), 10)
			resp = analyst.submit(t, `#notice-`+nid+` button[value="approve_notice"]`)
			require.EqualValues(t, 200, resp.Status)
		}
		analyst.check(t, "case-approved", pageCheck{})
	}) {
		return
	}

	// The notices arrive, one per page, each with its private link.
	links := map[string]string{} // response link by page URL
	require.Eventually(t, func() bool { msgs, _ := mb.received(); return len(msgs) == 2 }, 60*time.Second, 100*time.Millisecond, "the notices are sent")
	msgs, to := mb.received()
	require.Equal(t, []string{"abuse@hosting.example", "abuse@hosting.example"}, to)
	// The link's path, on this instance: without --public-url the notices
	// name --addr as given (127.0.0.1:0 here), not the port it got.
	respondRE := regexp.MustCompile(`http://\S+(/respond/[A-Za-z0-9_-]+)`)
	for _, m := range msgs {
		text := mailText(t, m)
		require.NotContains(t, text, ref, "a notice never names the case")
		found := respondRE.FindStringSubmatch(text)
		require.NotNil(t, found, text)
		link := in.URL + found[1]
		for _, u := range pageURLs {
			if strings.Contains(text, u) {
				links[u] = link
			}
		}
	}
	require.Len(t, links, 2)

	provider := b.newTab(t, "provider", 1280, 900, false)
	if !t.Run("the provider answers on its page", func(t *testing.T) {
		resp := provider.open(t, links[pageURLs[0]])
		require.EqualValues(t, 200, resp.Status)
		requireStrictCSP(t, resp, false)
		require.Equal(t, "en", eval[string](t, provider, `document.documentElement.lang`))
		text := provider.text(t)
		require.Contains(t, text, pageURLs[0], "the URL at issue")
		require.Contains(t, text, "Doxing", "the category")
		require.Contains(t, text, "art. 285d", "the legal basis")
		require.Contains(t, text, "home address", "the kind of data exposed")
		require.Contains(t, text, "phone number")
		for _, secret := range []string{ref, "Synthetic Person", "Testlaan", "06 12 34 56 78", descriptionPayload} {
			require.NotContains(t, text, secret, "the provider's page shows no victim data")
		}
		require.Empty(t, eval[[]string](t, provider, `[...document.querySelectorAll('main a[href]')].map(a => a.href).filter(h => !h.includes('/respond/'))`),
			"the page links to nothing else (no case, and the URL at issue only as text)")
		provider.check(t, "provider", pageCheck{axe: true})

		provider.submit(t, `a[hreflang="nl"]`)
		require.Equal(t, "Reageren op een verwijderverzoek", provider.textOf(t, "h1"))
		require.Contains(t, provider.text(t), "woonadres")
		provider.check(t, "provider-nl", pageCheck{axe: true})
		provider.submit(t, `a[hreflang="en"]`)

		provider.do(t, chromedp.Click(chromedp.CSS(`input[name="kind"][value="removed"]`)))
		resp = provider.submit(t, `form button[type="submit"]`)
		require.EqualValues(t, 200, resp.Status)
		require.Contains(t, provider.textOf(t, "#done"), "Your answer was recorded")
		provider.check(t, "provider-removed", pageCheck{axe: true})

		// The other notice: disputed, first without the reason it needs.
		provider.open(t, links[pageURLs[1]])
		provider.do(t, chromedp.Click(chromedp.CSS(`input[name="kind"][value="disputed"]`)))
		resp = provider.submit(t, `form button[type="submit"]`)
		require.EqualValues(t, 400, resp.Status)
		require.Equal(t, "true", eval[string](t, provider, `document.getElementById('detail').getAttribute('aria-invalid')`))
		provider.check(t, "provider-needs-reason", pageCheck{axe: true})
		provider.do(t, chromedp.SendKeys(chromedp.ID("detail"), disputePayload))
		resp = provider.submit(t, `form button[type="submit"]`)
		require.EqualValues(t, 200, resp.Status)
		require.Equal(t, disputePayload, provider.textOf(t, "#done .text"), "the reason, as text")
		require.Equal(t, disputePayload, provider.textOf(t, ".answers .text"))
		provider.check(t, "provider-disputed", pageCheck{})
	}) {
		return
	}

	if !t.Run("the site removes the page and the victim sees it", func(t *testing.T) {
		mu.Lock()
		gone["/t/1"] = true
		mu.Unlock()
		recheckUntilRemoved(t, item(pageURLs[0]), api)

		resp := analyst.open(t, casePage)
		require.EqualValues(t, 200, resp.Status)
		require.Contains(t, analyst.text(t), disputePayload, "the provider's reason, as text")
		analyst.check(t, "case-answered", pageCheck{})

		resp = victim.open(t, statusURL)
		require.EqualValues(t, 200, resp.Status)
		require.Contains(t, victim.text(t), "It is offline.")
		victim.check(t, "status-removed", pageCheck{axe: true})
	}) {
		return
	}

	t.Run("links open their own case only", func(t *testing.T) {
		code, other := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{
			"urls": []string{"http://other-dox.test:" + port + "/t/9"}, "category": "threat", "description": "another victim"})
		require.Equal(t, 201, code, other)
		resp := victim.open(t, statusURL+"?ref="+url.QueryEscape(other["case"].(string)))
		require.EqualValues(t, 200, resp.Status)
		text := victim.text(t)
		require.Contains(t, text, ref)
		require.NotContains(t, text, other["case"].(string))
		require.NotContains(t, text, "other-dox.test")

		// A link one character off opens nothing.
		token := strings.TrimPrefix(statusURL, in.URL+"/status/")
		flipped := token[:len(token)-1] + map[bool]string{true: "A", false: "B"}[token[len(token)-1] != 'A']
		resp = victim.open(t, in.URL+"/status/"+flipped)
		require.EqualValues(t, 404, resp.Status)
		require.NotContains(t, victim.text(t), ref)
		victim.check(t, "status-wrong-link", pageCheck{})

		link := links[pageURLs[0]]
		resp = provider.open(t, link[:len(link)-1]+map[bool]string{true: "A", false: "B"}[link[len(link)-1] != 'A'])
		require.EqualValues(t, 404, resp.Status)
		require.Equal(t, "This link does not work", provider.textOf(t, "h1"))
		provider.check(t, "provider-wrong-link", pageCheck{axe: true})
		// The provider's link is no way into the case's pages.
		resp = provider.open(t, casePage)
		require.True(t, strings.HasPrefix(resp.URL, in.URL+"/login"), resp.URL)
	})

	t.Run("an analyst cannot reach the admin pages", func(t *testing.T) {
		for _, p := range []string{"/admin", "/admin/users", "/admin/policy"} {
			resp := analyst.open(t, in.URL+p)
			require.EqualValues(t, 403, resp.Status, p)
			require.Contains(t, analyst.text(t), "Your role does not give access to this page.", p)
		}
		analyst.check(t, "admin-forbidden", pageCheck{axe: true})
	})

	t.Run("an analyst watches a known doxing site", func(t *testing.T) {
		resp := analyst.open(t, in.URL+"/sites")
		require.EqualValues(t, 200, resp.Status)
		requireStrictCSP(t, resp, true)
		analyst.check(t, "sites", pageCheck{axe: true})
		analyst.do(t, chromedp.SendKeys(chromedp.ID("s-url"), "https://watched-doxsite.example/board/"))
		resp = analyst.submit(t, `form[action="/sites"] button[type="submit"]`)
		require.EqualValues(t, 200, resp.Status)
		require.Contains(t, analyst.text(t), "https://watched-doxsite.example/board/")
		analyst.check(t, "sites-added", pageCheck{axe: true})
	})

	t.Run("forms posted from another origin are refused", func(t *testing.T) {
		// A login with the analyst's own (correct) password, from a
		// browser without a session.
		stranger := b.newTab(t, "stranger", 1280, 900, false)
		stranger.open(t, formAt(in.URL+"/login", url.Values{"email": {"ana@hotline.example"}, "password": {password[1]}, "code": {"123456"}}))
		resp := stranger.submit(t, "#go")
		require.EqualValues(t, 403, resp.Status)
		require.Contains(t, stranger.text(t), "This request did not come from this website and was refused.")
		stranger.check(t, "cross-site-login", pageCheck{})

		// An action, in the analyst's browser, which has a session.
		analyst.open(t, formAt(casePage, url.Values{"action": {"close_case"}, "reason": {"forged"}, "lang": {"en"}}))
		resp = analyst.submit(t, "#go")
		require.EqualValues(t, 403, resp.Status)
		require.Contains(t, analyst.text(t), "This request did not come from this website and was refused.")
		analyst.check(t, "cross-site-action", pageCheck{})
		_, c := call(t, "GET", in.URL+"/api/v1/cases/"+ref, api, nil)
		require.NotEqual(t, "closed", c["status"], "the forged close did nothing")

		// An answer on a provider's page, with a valid-looking form.
		notices := func() int {
			_, l := call(t, "GET", item(pageURLs[1])+"/notices", api, nil)
			return len(l["notices"].([]any)[0].(map[string]any)["responses"].([]any))
		}
		before := notices()
		provider.open(t, formAt(links[pageURLs[1]], url.Values{"kind": {"removed"}, "csrf": {"forged"}}))
		resp = provider.submit(t, "#go")
		require.EqualValues(t, 403, resp.Status)
		require.Contains(t, provider.text(t), "This answer was not sent from this page.")
		provider.check(t, "cross-site-answer", pageCheck{})
		require.Equal(t, before, notices(), "no answer was recorded")
	})
}
