package main

// The browser tests' tools: one headless Chromium for all of them, a tab
// (with a browser context of its own: its own cookies) per person, and
// the checks that every page gets. A recorder script, added to every
// document through the DevTools protocol (which the pages' Content
// Security Policy does not govern), notes the policy violations the page
// reports and the DOM mutations after it was parsed; the tab notes every
// JavaScript dialog and the console's policy errors and exceptions.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/screenshot"
)

// axeSHA256 is the hash of the vendored axe.min.js (testdata/axe/SOURCE).
const axeSHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

// browserSuite is the one Chromium of the browser tests.
type browserSuite struct {
	ctx   context.Context // the browser's first tab, which keeps it running
	shots string          // where screenshots go
	axeJS string
	shot  atomic.Int32 // screenshots taken, for their file names' order
}

// startBrowser starts headless Chromium. Without one the tests skip,
// unless UNDOX_TEST_CHROMIUM_REQUIRED=1 (CI), when they fail.
func startBrowser(t *testing.T) *browserSuite {
	t.Helper()
	path, ok := screenshot.Available(screenshot.Config{})
	if !ok {
		if os.Getenv("UNDOX_TEST_CHROMIUM_REQUIRED") == "1" {
			t.Fatal("no Chromium installed, and UNDOX_TEST_CHROMIUM_REQUIRED=1")
		}
		t.Skip("no Chromium installed (apt-get install chromium; UNDOX_TEST_CHROMIUM_REQUIRED=1 fails instead)")
	}
	axe, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	require.NoError(t, err)
	sum := sha256.Sum256(axe)
	require.Equal(t, axeSHA256, hex.EncodeToString(sum[:]), "testdata/axe/axe.min.js is the vendored axe-core (see SOURCE)")

	shots := os.Getenv("UNDOX_TEST_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else {
		require.NoError(t, os.MkdirAll(shots, 0o755))
	}
	t.Logf("screenshots in %s", shots)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in a container, where the sandbox cannot start
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-proxy-server", true), // loopback only, whatever the environment says
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(io.Discard),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	require.NoError(t, chromedp.Do(ctx), "starting Chromium")
	return &browserSuite{ctx: ctx, shots: shots, axeJS: string(axe)}
}

// recorderJS runs first in every document of a tab.
const recorderJS = `(() => {
  const rec = {csp: [], mutations: [], loaded: false, scripts: 0};
  Object.defineProperty(window, '__undoxTest', {value: rec});
  document.addEventListener('securitypolicyviolation', e => {
    rec.csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '?') + ' at ' + e.sourceFile + ':' + e.lineNumber);
  }, true);
  const describe = m => {
    if (m.type === 'attributes') return 'attribute ' + m.attributeName + ' of <' + m.target.nodeName.toLowerCase() + '>';
    if (m.type === 'characterData') return 'text of ' + m.target.parentNode?.nodeName;
    return 'children of <' + m.target.nodeName.toLowerCase() + '>: +' +
      [...m.addedNodes].map(n => n.nodeName.toLowerCase()).join(',') + ' -' + [...m.removedNodes].map(n => n.nodeName.toLowerCase()).join(',');
  };
  const obs = new MutationObserver(list => {
    if (!rec.loaded) return;
    for (const m of list) rec.mutations.push(describe(m));
  });
  obs.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  document.addEventListener('DOMContentLoaded', () => {
    obs.takeRecords(); // the parser's
    rec.scripts = document.scripts.length;
    rec.loaded = true;
  });
})();`

// tab is one person's tab, in a browser context of its own.
type tab struct {
	s   *browserSuite
	who string
	ctx context.Context

	mu       sync.Mutex
	dialogs  []string
	problems []string // console: policy errors, exceptions
}

// newTab opens a tab for who with a viewport of w×h CSS pixels; mobile
// emulates a phone (touch, mobile viewport).
func (s *browserSuite) newTab(t *testing.T, who string, w, h int64, mobile bool) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(s.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{s: s, who: who, ctx: ctx}
	var vp []chromedp.EmulateViewportOption
	if mobile {
		vp = append(vp, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	require.NoError(t, chromedp.Do(ctx,
		chromedp.EmulateViewport(w, h, vp...),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recorderJS})
			return err
		}),
	))
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, fmt.Sprintf("%s %q on %s", ev.Type, ev.Message, ev.URL))
			tb.mu.Unlock()
			// Dismiss it, or the page stalls.
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			text := m.String()
			if m.IsException() || strings.Contains(text, "Content Security Policy") || strings.Contains(text, "Content-Security-Policy") {
				tb.mu.Lock()
				tb.problems = append(tb.problems, fmt.Sprintf("%s %s (%s:%d)", m.Type, text, m.URL, m.Line+1))
				tb.mu.Unlock()
			}
		}
	}()
	return tb
}

// noted returns the dialogs and console problems noted since the last call.
func (tb *tab) noted() (dialogs, problems []string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	dialogs, problems = tb.dialogs, tb.problems
	tb.dialogs, tb.problems = nil, nil
	return dialogs, problems
}

// open navigates to url and returns the response.
func (tb *tab) open(t *testing.T, url string) *network.Response {
	t.Helper()
	resp, err := chromedp.Run(tb.ctx, chromedp.NavigateResponse(url))
	require.NoError(t, err, "opening %s", url)
	require.NotNil(t, resp, url)
	return resp
}

// submit clicks sel (a form's button) and returns the response of the page
// the form leads to.
func (tb *tab) submit(t *testing.T, sel string) *network.Response {
	t.Helper()
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	require.NoError(t, err, "submitting with %s", sel)
	require.NotNil(t, resp, sel)
	return resp
}

// do runs steps in the tab.
func (tb *tab) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(tb.ctx, steps...))
}

// text is the page's visible text.
func (tb *tab) text(t *testing.T) string {
	t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	require.NoError(t, err)
	return s
}

// textOf is the text content of the first element sel selects.
func (tb *tab) textOf(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	require.NoError(t, err, sel)
	return s
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

type recorderState struct {
	CSP       []string `json:"csp"`
	Mutations []string `json:"mutations"`
	Loaded    bool     `json:"loaded"`
	Scripts   int      `json:"scripts"`
}

// suspicious are the mutations that a payload would cause on a page whose
// own scripts (htmx) may change it: new elements that run or load
// something, and event handler or address attributes.
var suspicious = regexp.MustCompile(`\+[a-z,#]*\b(script|img|iframe|object|embed|svg|link|style|meta|base)\b|attribute (on[a-z]+|src|href|action|formaction|srcdoc) `)

// liveMarkupJS lists what in a page could run script: inline scripts,
// event handler attributes, javascript: addresses, frames and objects.
const liveMarkupJS = `(() => {
  const out = [];
  for (const s of document.querySelectorAll('script')) if (!s.src) out.push('inline script: ' + s.textContent.slice(0, 80));
  for (const e of document.querySelectorAll('*')) for (const a of e.attributes) {
    if (a.name.startsWith('on')) out.push('<' + e.localName + ' ' + a.name + '>');
    if (/^\s*javascript:/i.test(a.value)) out.push('<' + e.localName + ' ' + a.name + '=javascript:>');
  }
  for (const e of document.querySelectorAll('iframe, object, embed, base')) out.push('<' + e.localName + '>');
  return out;
})()`

// pageCheck says what a page is checked for besides what every page is.
type pageCheck struct {
	axe bool // run axe-core: no serious or critical violation
}

// check checks the page as it is now: no JavaScript dialog, no Content
// Security Policy violation, no console exception, no DOM mutation after
// parsing (on a page with scripts of its own, none that a payload would
// cause), no inline script and no event handler attribute, every UI string
// there; then takes its screenshot and, with axe set, runs axe-core.
func (tb *tab) check(t *testing.T, name string, c pageCheck) {
	t.Helper()
	st, err := chromedp.Run(tb.ctx, chromedp.Evaluate[*recorderState](`window.__undoxTest || null`))
	require.NoError(t, err)
	require.NotNil(t, st, "%s: the recorder runs in every document", name)
	require.True(t, st.Loaded, "%s: the page was parsed", name)
	dialogs, problems := tb.noted()
	require.Empty(t, dialogs, "%s: JavaScript dialogs opened", name)
	require.Empty(t, st.CSP, "%s: Content Security Policy violations", name)
	require.Empty(t, problems, "%s: the console reports policy errors or exceptions", name)
	if st.Scripts == 0 {
		require.Empty(t, st.Mutations, "%s: the DOM changed after parsing, on a page without scripts", name)
	} else {
		for _, m := range st.Mutations {
			require.NotRegexp(t, suspicious, m, "%s: a DOM change that a payload would make", name)
		}
	}
	require.Empty(t, eval[[]string](t, tb, liveMarkupJS), "%s: live markup in the page", name)
	require.NotContains(t, tb.text(t), "<no value>", "%s: a UI string is missing", name)

	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	file := filepath.Join(tb.s.shots, fmt.Sprintf("%02d-%s-%s.png", tb.s.shot.Add(1), tb.who, name))
	require.NoError(t, os.WriteFile(file, png, 0o644))

	if c.axe {
		tb.axe(t, name)
	}
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe runs axe-core in the page; it fails on a serious or critical
// violation and logs the others. The script comes in through the DevTools
// protocol, which the page's Content Security Policy does not govern.
func (tb *tab) axe(t *testing.T, name string) {
	t.Helper()
	if !eval[bool](t, tb, `typeof window.axe === 'object'`) {
		_, err := chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](tb.s.axeJS))
		require.NoError(t, err, "injecting axe-core")
	}
	vs, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ['violations']}).then(r =>
	  r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
	    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' '))})))`,
		chromedp.EvalAwaitPromise))
	require.NoError(t, err, "running axe-core")
	var bad []string
	for _, v := range vs {
		line := fmt.Sprintf("%s (%s): %s\n    %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n    "))
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, line)
		} else {
			t.Logf("axe, %s: %s", name, line)
		}
	}
	require.Empty(t, bad, "%s: serious or critical accessibility violations:\n%s", name, strings.Join(bad, "\n"))
	// axe's own work is no mutation of the page's.
	_, err = chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](`window.__undoxTest && (window.__undoxTest.mutations.length = 0)`))
	require.NoError(t, err)
}

// header is a response header, by any case of its name.
func header(r *network.Response, name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// requireStrictCSP checks that a page came with a policy that lets no
// script run (victim and provider pages) or none but undox's own files
// (staff pages).
func requireStrictCSP(t *testing.T, r *network.Response, scripts bool) {
	t.Helper()
	csp := header(r, "Content-Security-Policy")
	require.Contains(t, csp, "default-src 'none'", r.URL)
	require.NotContains(t, csp, "unsafe-inline", r.URL)
	require.NotContains(t, csp, "unsafe-eval", r.URL)
	if !scripts {
		require.NotContains(t, csp, "script-src", r.URL)
	}
}

// mailText is the text/plain part of an e-mail, decoded.
func mailText(t *testing.T, raw string) string {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	require.NoError(t, err)
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	require.NoError(t, err)
	if !strings.HasPrefix(mt, "multipart/") {
		b, err := io.ReadAll(m.Body)
		require.NoError(t, err)
		return string(b)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // undoes quoted-printable
		require.NoError(t, err, "a text/plain part")
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			b, err := io.ReadAll(p)
			require.NoError(t, err)
			return string(b)
		}
	}
}
