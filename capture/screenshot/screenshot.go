package screenshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/undox/undox/capture/fetch"
)

// Config configures a Shooter. Only Fetcher is required.
type Config struct {
	// Browser is the path (or a name in PATH) of Chromium or Chrome; ""
	// looks up chromium, chromium-browser, google-chrome,
	// google-chrome-stable and chrome in PATH (see Available).
	Browser string
	// Fetcher resolves, checks and makes every connection of the browser
	// (required). Only its resolver, address policy, dial timeout and proxy
	// apply (see the package comment).
	Fetcher *fetch.Fetcher
	// Proxy is the upstream proxy that every connection of the browser goes
	// through, as fetch.WithProxy takes it (socks5://, socks5h:// or
	// http:// for CONNECT): Tor's SOCKS port, or a proxy that hides the
	// hotline's network. "" is the Fetcher's own Config.Proxy, so that
	// screenshots go where the fetches go (there is no way to shoot
	// directly with a Fetcher that fetches through a proxy).
	Proxy string
	// Timeout bounds each shot from the moment it gets a tab (default 30 s);
	// the caller's context deadline applies too.
	Timeout time.Duration
	// Width is the width of the window and of the image, in CSS pixels
	// (default 1280).
	Width int
	// MaxHeight caps the height of the image (default 16384); a taller page
	// is cut (Result.Truncated).
	MaxHeight int
	// MaxBytes caps the size of the PNG (default 20 MiB); a larger image is
	// cut shorter until it fits (Result.Truncated).
	MaxBytes int64
	// UserAgent, if set, replaces the browser's own User-Agent.
	UserAgent string
	// MaxTabs is how many shots run at once (default 2); more wait.
	MaxTabs int
	// Sandbox is SandboxAuto (""), SandboxOn or SandboxOff: whether the
	// browser runs in Chromium's sandbox, where its renderers, which run
	// the pages' code, are in user and PID namespaces of their own under a
	// seccomp filter, so that a page that exploits the browser is confined
	// there. The sandbox needs unprivileged user namespaces.
	Sandbox string
	// User is the user the browser runs as when undox runs as root
	// (default DefaultUser, "nobody"): Chromium's sandbox does not run as
	// root, and a browser should not run as root anyway.
	User string
}

// Defaults.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultWidth     = 1280
	DefaultMaxHeight = 16384
	DefaultMaxBytes  = 20 << 20
	DefaultMaxTabs   = 2
)

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Width <= 0 {
		c.Width = DefaultWidth
	}
	if c.MaxHeight <= 0 {
		c.MaxHeight = DefaultMaxHeight
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxTabs <= 0 {
		c.MaxTabs = DefaultMaxTabs
	}
	if c.Sandbox == "" {
		c.Sandbox = SandboxAuto
	}
	return c
}

// ErrNoBrowser is returned (wrapped) by New when no browser is installed at
// Config.Browser or in PATH. Test it with errors.Is.
var ErrNoBrowser = errors.New("screenshot: no Chromium or Chrome browser found")

// BrowserFailure is the error code of a browser that failed (did not start,
// crashed, or answered with an error). The other codes of Shot's errors are
// fetch's: BadURL, BlockedAddress (the page itself was refused), Timeout,
// Canceled, ConnectionFailed (the page did not load), BadResponse (the URL is
// a download), TooLarge (even a short image is larger than MaxBytes).
const BrowserFailure fetch.Code = "browser_failure"

// Blocked is a request of the page that the proxy refused.
type Blocked struct {
	// Method is the request's method; CONNECT for a tunnel (https://,
	// wss://), whose URL the proxy never sees.
	Method string `json:"method"`
	// URL is the full URL of a plain http:// request (password removed,
	// cut at 2048 bytes); "" for a tunnel.
	URL string `json:"url,omitempty"`
	// Host is the host:port the request was for.
	Host string `json:"host"`
	// Code is fetch.BlockedAddress (the address or port is not allowed) or
	// fetch.BadURL (a scheme that is not proxied).
	Code   fetch.Code `json:"code"`
	Reason string     `json:"reason"`
	// Count is how many such requests were refused; At is the first.
	Count int       `json:"count"`
	At    time.Time `json:"at"`
	// URLs are, for a tunnel, the URLs that the browser reported failed
	// because of it (at most 20). The proxy never sees them; they come from
	// the page's network events, which do not cover cross-site iframes,
	// workers or WebSockets, so the list can be empty or incomplete.
	URLs []string `json:"urls,omitempty"`
}

// Result is what a shot saw. Shot always returns one, with as much as was
// seen before any error (the refused requests in particular).
type Result struct {
	URL      string `json:"url"`       // as requested
	FinalURL string `json:"final_url"` // of the page shot, after redirects
	Title    string `json:"title"`

	PNG        []byte `json:"-"`
	Width      int    `json:"width"`       // of the image, in pixels
	Height     int    `json:"height"`      // of the image, in pixels
	PageHeight int    `json:"page_height"` // of the page as laid out, before MaxHeight
	Truncated  bool   `json:"truncated"`   // the image is shorter than the page (MaxHeight or MaxBytes)
	Loaded     bool   `json:"loaded"`      // the page's load event fired before the shot (false: shot after the timeout, still loading)

	Proxy string `json:"proxy,omitempty"` // the upstream proxy every connection went through, password removed

	Blocked        []Blocked `json:"blocked"`                   // requests refused by the address policy, in order
	BlockedDropped int       `json:"blocked_dropped,omitempty"` // refusals beyond the first 500 distinct ones, only counted

	Browser string `json:"browser"` // product and version, e.g. HeadlessChrome/156.0.8078.108
	// Sandboxed says that the browser ran in Chromium's sandbox.
	Sandboxed bool          `json:"sandboxed"`
	TakenAt   time.Time     `json:"taken_at"`
	Duration  time.Duration `json:"duration"`
}

// Shooter takes screenshots with one shared browser process. It is safe for
// concurrent use; Close it when done.
type Shooter struct {
	cfg           Config // Proxy resolved: the Fetcher's if it was ""
	proxyRedacted string // cfg.Proxy without its password, for the results
	path          string
	sem           chan struct{}
	// isos are the ways the browser may run (see isolations), safest
	// first; iso is the one the browser runs in (see startBrowser).
	isos []isolation
	iso  *isolation
	// sandboxErr is why the sandbox was not used, under SandboxAuto.
	sandboxErr error

	mu     sync.Mutex
	cur    *browser
	closed bool
	wg     sync.WaitGroup // shots in flight

	selfMu    sync.Mutex
	selfPorts map[uint16]int
}

// New starts the browser for cfg. It returns an error wrapping ErrNoBrowser
// if there is none, and an error if it does not start or Config.Proxy is
// not a proxy URL.
func New(cfg Config) (*Shooter, error) {
	if cfg.Fetcher == nil {
		return nil, errors.New("screenshot: Config.Fetcher is required")
	}
	cfg = cfg.withDefaults()
	if err := checkSandbox(cfg.Sandbox); err != nil {
		return nil, err
	}
	isos, err := isolations(cfg)
	if err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	if cfg.Proxy == "" {
		cfg.Proxy = cfg.Fetcher.ProxyURL()
	}
	// Checked now: a bad proxy URL would otherwise only show as every
	// shot failing.
	redacted, err := fetch.RedactProxy(cfg.Proxy)
	if err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	path, ok := Available(cfg)
	if !ok {
		if cfg.Browser != "" {
			return nil, fmt.Errorf("%w: %q is not an executable", ErrNoBrowser, cfg.Browser)
		}
		return nil, fmt.Errorf("%w: none of %s is in PATH", ErrNoBrowser, strings.Join(browserNames, ", "))
	}
	s := &Shooter{
		cfg:           cfg,
		proxyRedacted: redacted,
		path:          path,
		sem:           make(chan struct{}, cfg.MaxTabs),
		selfPorts:     make(map[uint16]int),
		isos:          isos,
	}
	b, err := s.startBrowser()
	if err != nil {
		return nil, err
	}
	s.cur = b
	return s, nil
}

// Browser is the path of the browser executable in use.
func (s *Shooter) Browser() string { return s.path }

// Sandboxed says whether the browser runs in Chromium's sandbox; when it
// runs less isolated than it could (without the sandbox under SandboxAuto,
// or as root), the error says why.
func (s *Shooter) Sandboxed() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.iso != nil && s.iso.sandbox, s.sandboxErr
}

// Isolation says how the browser runs, for logs: sandboxed or not, and as
// which user.
func (s *Shooter) Isolation() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.iso == nil {
		return "not started"
	}
	return s.iso.String()
}

// Close stops the browser, ending any shot in flight, and removes its
// temporary profile. It is safe to call more than once.
func (s *Shooter) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	b := s.cur
	s.cur = nil
	s.mu.Unlock()
	if b != nil {
		b.cancel() // ends every shot's tab
	}
	s.wg.Wait()
	if b != nil {
		b.close(s)
	}
	return nil
}

// acquire returns the running browser, restarting it if it died, and
// counts a shot in flight (release with s.wg.Done).
func (s *Shooter) acquire() (*browser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, newError(BrowserFailure, ErrClosed, "the Shooter is closed")
	}
	if s.cur == nil || !s.cur.alive() {
		if s.cur != nil {
			s.cur.close(s)
			s.cur = nil
		}
		b, err := s.startBrowser()
		if err != nil {
			return nil, newError(BrowserFailure, err, "%v", err)
		}
		s.cur = b
	}
	s.wg.Add(1)
	return s.cur, nil
}

func newError(code fetch.Code, err error, format string, args ...any) *fetch.Error {
	return &fetch.Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Shot loads rawURL (http or https) in a fresh browser context and takes a
// full-page PNG screenshot of it. The result is never nil: on error it holds
// what was seen (the refused requests in particular), and the error is a
// *fetch.Error (use fetch.CodeOf; BrowserFailure is this package's own code).
func (s *Shooter) Shot(ctx context.Context, rawURL string) (*Result, error) {
	start := time.Now()
	res := &Result{URL: rawURL, Proxy: s.proxyRedacted, Blocked: []Blocked{}, TakenAt: start.UTC()}
	defer func() { res.Duration = time.Since(start) }()

	u, err := checkURL(rawURL)
	if err != nil {
		err.URL = rawURL
		return res, err
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return res, callerError(ctx, rawURL)
	}
	defer func() { <-s.sem }()
	b, err2 := s.acquire()
	if err2 != nil {
		var fe *fetch.Error
		if !errors.As(err2, &fe) {
			fe = newError(BrowserFailure, err2, "%v", err2)
		}
		fe.URL = rawURL
		return res, fe
	}
	defer s.wg.Done()
	res.Browser, res.Sandboxed = b.version, b.iso.sandbox

	px, err2 := startProxy(s.cfg.Fetcher, s.cfg.Proxy, s.isSelf, "")
	if err2 != nil {
		return res, newError(BrowserFailure, err2, "%v", err2)
	}
	s.addSelf(px.addr())
	defer func() {
		px.close()
		s.removeSelf(px.addr())
	}()

	nl := newNetLog()
	ferr := s.shoot(ctx, b, px, nl, u, res)
	// The tab is closed: no more requests can reach the proxy.
	res.Blocked, res.BlockedDropped = px.refusals()
	for i := range res.Blocked {
		if res.Blocked[i].Method == http.MethodConnect {
			res.Blocked[i].URLs = nl.tunnelURLs(res.Blocked[i].Host)
		}
	}
	if ferr != nil {
		if ferr.URL == "" {
			ferr.URL = rawURL
		}
		return res, ferr
	}
	return res, nil
}

// checkURL accepts http and https URLs with a host.
func checkURL(raw string) (*url.URL, *fetch.Error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, newError(fetch.BadURL, err, "not a URL: %v", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		u.Scheme = strings.ToLower(u.Scheme)
	default:
		return nil, newError(fetch.BadURL, nil, "%q is not an http or https URL", u.Redacted())
	}
	if u.Hostname() == "" {
		return nil, newError(fetch.BadURL, nil, "%q has no host", u.Redacted())
	}
	return u, nil
}

// callerError is the error of a shot whose caller's context ended.
func callerError(ctx context.Context, rawURL string) *fetch.Error {
	var e *fetch.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		e = newError(fetch.Timeout, ctx.Err(), "the caller's deadline passed")
	} else {
		e = newError(fetch.Canceled, ctx.Err(), "canceled")
	}
	e.URL = rawURL
	return e
}

// Time budget of a shot: the page gets the time up to the load deadline to
// load; what is left is for the screenshot itself.
func shootReserve(budget time.Duration) time.Duration {
	r := min(max(budget/4, time.Second), 10*time.Second)
	return min(r, budget/2)
}

// settle is how long a loaded page gets to finish painting (web fonts,
// scripts run at load) before the shot.
const settle = 300 * time.Millisecond

// shoot does one shot in a new browser context whose traffic goes through px.
func (s *Shooter) shoot(ctx context.Context, b *browser, px *proxy, nl *netLog, u *url.URL, res *Result) *fetch.Error {
	budget := s.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl))
	}
	if ctx.Err() != nil || budget <= 0 {
		return callerError(ctx, u.String())
	}
	deadline := time.Now().Add(budget)
	shotCtx, cancel := context.WithDeadline(b.ctx, deadline)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()

	// fail turns an error of the browser into the shot's error.
	fail := func(err error, what string) *fetch.Error {
		switch {
		case ctx.Err() != nil:
			return callerError(ctx, u.String())
		case !b.alive():
			return newError(BrowserFailure, err, "the browser stopped while %s: %v", what, err)
		case shotCtx.Err() != nil:
			return newError(fetch.Timeout, err, "timed out after %s while %s", budget.Round(time.Millisecond), what)
		default:
			return newError(BrowserFailure, err, "%s: %v", what, err)
		}
	}

	tabCtx, tabCancel := chromedp.NewContext(shotCtx, chromedp.WithNewBrowserContext(func(p *target.CreateBrowserContextParams) {
		p.ProxyServer = px.url()
		p.ProxyBypassList = "<-loopback>"
	}))
	defer tabCancel() // closes the tab and disposes of the browser context
	if err := chromedp.Do(tabCtx); err != nil {
		return fail(err, "opening a tab")
	}
	if err := chromedp.Listen(tabCtx, nl.event); err != nil {
		return fail(err, "listening to the page's requests")
	}
	bctx := chromedp.FromContext(tabCtx).BrowserContextID
	if _, err := chromedp.CallBrowser(tabCtx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorDeny, BrowserContextID: bctx,
	}); err != nil {
		return fail(err, "denying downloads")
	}
	if _, err := chromedp.Call(tabCtx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: int64(s.cfg.Width), Height: viewportHeight, DeviceScaleFactor: 1,
	}); err != nil {
		return fail(err, "setting the viewport")
	}
	if _, err := chromedp.Call(tabCtx, network.SetBypassServiceWorker, network.SetBypassServiceWorkerParams{Bypass: true}); err != nil {
		return fail(err, "bypassing service workers")
	}
	// Dismiss alert/confirm/prompt/beforeunload dialogs, which would block
	// the page (and the screenshot).
	dialogs := chromedp.Events(tabCtx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(tabCtx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false}) //nolint:errcheck // best effort
		}
	}()

	// Load, up to the load deadline.
	loadBudget := budget - shootReserve(budget)
	loadDeadline := deadline.Add(-shootReserve(budget))
	loadCtx, loadCancel := context.WithDeadline(tabCtx, loadDeadline)
	defer loadCancel()
	loads := chromedp.Events(loadCtx, page.LoadEventFired)
	nav, err := chromedp.Call(loadCtx, page.Navigate, page.NavigateParams{URL: u.String()})
	switch {
	case err != nil && loadCtx.Err() != nil && shotCtx.Err() == nil:
		return newError(fetch.Timeout, err, "the page did not start loading within %s", loadBudget.Round(time.Millisecond))
	case err != nil:
		return fail(err, "loading the page")
	case nav.IsDownload:
		return newError(fetch.BadResponse, nil, "the URL is a download, not a page (downloads are refused)")
	case nav.ErrorText != "":
		return s.navError(px, u, nav.ErrorText)
	}
	for _, err := range loads {
		res.Loaded = err == nil
		break
	}
	if res.Loaded {
		t := time.NewTimer(max(0, min(settle, time.Until(loadDeadline))))
		select {
		case <-t.C:
		case <-shotCtx.Done():
			t.Stop()
		}
	} else if shotCtx.Err() == nil {
		// Freeze the page as it is; its pending requests are dropped.
		stopCtx, stopCancel := context.WithTimeout(tabCtx, time.Second)
		chromedp.Call(stopCtx, page.StopLoading, cdp.Empty{}) //nolint:errcheck // best effort
		stopCancel()
	}

	// What page is this?
	hist, err := chromedp.Call(tabCtx, page.GetNavigationHistory, cdp.Empty{})
	if err != nil {
		return fail(err, "reading the page's address")
	}
	if i := hist.CurrentIndex; i >= 0 && int(i) < len(hist.Entries) {
		res.FinalURL = hist.Entries[i].URL
		res.Title = hist.Entries[i].Title
	}
	if fe := s.proxiedError(px, res.FinalURL); fe != nil {
		return fe
	}

	// The whole page, up to MaxHeight and MaxBytes.
	metrics, err := chromedp.Call(tabCtx, page.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		return fail(err, "measuring the page")
	}
	height := viewportHeight
	if cs := metrics.CSSContentSize; cs != nil && cs.Height > 0 && !math.IsInf(cs.Height, 0) {
		height = int(math.Min(math.Ceil(cs.Height), float64(math.MaxInt32)))
	}
	res.PageHeight = height
	if height > s.cfg.MaxHeight {
		height = s.cfg.MaxHeight
		res.Truncated = true
	}
	for {
		shot, err := chromedp.Call(tabCtx, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			Clip:                  &page.Viewport{Width: float64(s.cfg.Width), Height: float64(height), Scale: 1},
			CaptureBeyondViewport: new(true),
			FromSurface:           new(true),
		})
		if err != nil {
			return fail(err, "taking the screenshot")
		}
		if int64(len(shot.Data)) > s.cfg.MaxBytes {
			if height <= 1 {
				return newError(fetch.TooLarge, nil, "even a 1-pixel-high screenshot is larger than %d bytes", s.cfg.MaxBytes)
			}
			// Cut the image roughly to what would fit, and try again.
			ratio := float64(s.cfg.MaxBytes) / float64(len(shot.Data))
			height = max(1, min(height-1, int(float64(height)*ratio*0.9)))
			res.Truncated = true
			continue
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(shot.Data))
		if err != nil {
			return newError(BrowserFailure, err, "the browser's screenshot is not a PNG: %v", err)
		}
		res.PNG = shot.Data
		res.Width, res.Height = cfg.Width, cfg.Height
		return nil
	}
}

// navError is the error of a navigation that failed with errorText: the
// proxy's own error if it refused or failed the page, else the browser's.
func (s *Shooter) navError(px *proxy, u *url.URL, errorText string) *fetch.Error {
	if fe := px.failure("CONNECT", urlHostPort(u), ""); fe != nil && u.Scheme == "https" {
		c := *fe
		c.Message = "the page itself: " + c.Message
		return &c
	}
	if fe := px.failure("GET", "", pageKey(u)); fe != nil {
		c := *fe
		c.Message = "the page itself: " + c.Message
		return &c
	}
	code := fetch.ConnectionFailed
	if strings.Contains(errorText, "TIMED_OUT") {
		code = fetch.Timeout
	}
	return newError(code, nil, "the page did not load: %s", errorText)
}

// proxiedError is the proxy's error if the page the browser shows, at
// finalURL, is the proxy's own answer (a refused or failed http:// page).
func (s *Shooter) proxiedError(px *proxy, finalURL string) *fetch.Error {
	u, err := url.Parse(finalURL)
	if err != nil || u.Scheme != "http" {
		return nil
	}
	if fe := px.failure("GET", "", pageKey(u)); fe != nil {
		c := *fe
		c.Message = "the page itself: " + c.Message
		return &c
	}
	return nil
}

// pageKey is how the proxy saw a request for u: without fragment or
// password.
func pageKey(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	return c.Redacted()
}

// urlHostPort is u's host:port, with the scheme's default port.
func urlHostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// Limits of the netLog.
const (
	maxNetLogRequests = 10000
	maxTunnelURLs     = 20
)

// netLog keeps, from the page's network events, the URLs of the requests
// that failed because the proxy refused their tunnel. It runs in chromedp's
// event loop, so it does little.
type netLog struct {
	mu     sync.Mutex
	urls   map[network.RequestID]string
	failed map[string][]string // host:port -> URLs
}

func newNetLog() *netLog {
	return &netLog{urls: make(map[network.RequestID]string), failed: make(map[string][]string)}
}

func (l *netLog) event(ev any) {
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request == nil {
			return
		}
		l.mu.Lock()
		if len(l.urls) < maxNetLogRequests {
			l.urls[ev.RequestID] = ev.Request.URL
		}
		l.mu.Unlock()
	case *network.EventLoadingFailed:
		if !strings.Contains(ev.ErrorText, "TUNNEL_CONNECTION_FAILED") {
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		raw, ok := l.urls[ev.RequestID]
		if !ok {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return
		}
		scheme := u.Scheme
		if scheme == "wss" {
			scheme = "https"
		}
		hp := urlHostPort(&url.URL{Scheme: scheme, Host: u.Host})
		if list := l.failed[hp]; len(list) < maxTunnelURLs && !slices.Contains(list, pageKey(u)) {
			l.failed[hp] = append(list, truncate(pageKey(u), maxBlockedURLLen))
		}
	}
}

// tunnelURLs are the URLs that failed for a refused CONNECT to hostport.
func (l *netLog) tunnelURLs(hostport string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for hp, list := range l.failed {
		if strings.EqualFold(hp, hostport) {
			return slices.Clone(list)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
