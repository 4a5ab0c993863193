package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/staff"
	"github.com/undox/undox/web"
)

// staffSite is undox with staff accounts, and a browser-like client per
// staff member (a cookie jar, redirects not followed).
type staffSite struct {
	t     *testing.T
	e     *env
	clock *dbtest.Clock
}

type staffAccount struct {
	Email, Password, Secret string
	User                    *undox.User
}

var cli = undox.Actor{Kind: "cli", Name: "operator", Role: undox.RoleAdmin}

func newStaffSite(t *testing.T, configure func(*web.Config)) *staffSite {
	e := newEnv(t, configure)
	clk := dbtest.NewClock(time.Unix(1_800_000_000, 0).UTC()) // sessions expire and TOTP codes change only when the test moves it
	e.store.SetClock(clk.Now)
	return &staffSite{t: t, e: e, clock: clk}
}

func (s *staffSite) account(email, name string, role undox.Role) *staffAccount {
	s.t.Helper()
	return newAccount(s.t, s.e, email, name, role)
}

// newAccount adds a staff account, with a generated password, to e's
// store.
func newAccount(t *testing.T, e *env, email, name string, role undox.Role) *staffAccount {
	t.Helper()
	pw, err := staff.GeneratePassword()
	require.NoError(t, err)
	acc, err := staff.NewAccount(email, name, role, pw)
	require.NoError(t, err)
	u, err := e.store.CreateUser(e.ctx, cli, acc.NewUser)
	require.NoError(t, err)
	return &staffAccount{Email: email, Password: pw, Secret: acc.TOTPSecret, User: u}
}

// code is the account's TOTP code now, as its authenticator app shows it.
func (s *staffSite) code(a *staffAccount) string {
	s.t.Helper()
	c, err := staff.CodeAt(a.Secret, s.clock.Now())
	require.NoError(s.t, err)
	return c
}

// browser is a client with cookies that does not follow redirects.
type browser struct {
	s  *staffSite
	hc *http.Client
}

func (s *staffSite) browser() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(s.t, err)
	hc := &http.Client{Jar: jar, Transport: s.e.srv.Client().Transport, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{s: s, hc: hc}
}

type answer struct {
	status int
	header http.Header
	body   string
}

// do sends a request as a browser on this site would (a form post carries
// Sec-Fetch-Site: same-origin and its Origin); hdr adds or replaces headers.
func (b *browser) do(method, path string, form url.Values, hdr ...string) answer {
	t := b.s.t
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.e.srv.URL+path, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.s.e.srv.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := b.hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && resp.StatusCode/100 != 3 {
		// Every staff page: no script, no inline style, a strict policy.
		lower := strings.ToLower(a.body)
		// No script but undox's own htmx, from its file (the console).
		require.NotContains(t, strings.ReplaceAll(lower, `<script src="/assets/htmx.min.js" defer></script>`, ""), "<script", path)
		require.NotContains(t, lower, "<style", path)
		require.NotContains(t, lower, " style=", path)
		csp := resp.Header.Get("Content-Security-Policy")
		require.Contains(t, csp, "default-src 'none'", path)
		require.NotContains(t, csp, "unsafe-inline", path)
		if strings.Contains(csp, "script-src") {
			require.Contains(t, csp, "script-src 'self';", path)
		}
		require.Equal(t, "no-store", resp.Header.Get("Cache-Control"), path)
		require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"), path)
	}
	return a
}

func (b *browser) login(a *staffAccount, code string, extra ...string) answer {
	b.s.t.Helper()
	form := url.Values{"email": {a.Email}, "password": {a.Password}, "code": {code}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return b.do("POST", "/login", form)
}

func requireLoginPage(t *testing.T, a answer, next string) {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, a.status, a.body)
	require.Equal(t, "/login?next="+url.QueryEscape(next), a.header.Get("Location"))
}

func TestLoginPage(t *testing.T) {
	s := newStaffSite(t, nil)
	b := s.browser()

	nl := b.do("GET", "/login", nil)
	require.Equal(t, http.StatusOK, nl.status)
	require.Contains(t, nl.body, `<html lang="nl">`)
	require.Contains(t, nl.body, "<h1>Inloggen</h1>")
	require.Contains(t, nl.body, `type="email" id="email" name="email"`)
	require.Contains(t, nl.body, `type="password" id="password" name="password"`)
	require.Contains(t, nl.body, `id="code" name="code" inputmode="numeric"`)
	require.Contains(t, nl.body, `name="next" value="/queue"`)
	require.Contains(t, nl.body, `<link rel="stylesheet" href="/assets/staff.css">`)
	require.Contains(t, nl.body, `href="/login?lang=en"`)

	en := b.do("GET", "/login?lang=en&next=%2Fadmin", nil)
	require.Contains(t, en.body, `<html lang="en">`)
	require.Contains(t, en.body, "<h1>Log in</h1>")
	require.Contains(t, en.body, `name="next" value="/admin"`)
	require.Contains(t, en.body, `href="/login?lang=nl&amp;next=%2Fadmin"`, "the switch keeps the page's parameters")
	// The choice is remembered; a new browser follows its Accept-Language.
	require.Contains(t, b.do("GET", "/login", nil).body, `<html lang="en">`)
	require.Contains(t, s.browser().do("GET", "/login", nil, "Accept-Language", "en-GB,en;q=0.9").body, `<html lang="en">`)
	require.Contains(t, s.browser().do("GET", "/login", nil, "Accept-Language", "de,nl;q=0.5").body, `<html lang="nl">`)

	// Every string of the staff pages has its Dutch and its English.
	for _, lang := range []string{"nl", "en"} {
		page := s.browser().do("GET", "/login?lang="+lang, nil)
		require.NotContains(t, page.body, "{{")
		require.NotContains(t, page.body, "<no value>")
	}

	css := b.do("GET", "/assets/staff.css", nil)
	require.Equal(t, http.StatusOK, css.status)
	require.Equal(t, "text/css; charset=utf-8", css.header.Get("Content-Type"))
	require.Contains(t, css.body, ".top{")
	etag := css.header.Get("ETag")
	require.NotEmpty(t, etag)
	require.Equal(t, http.StatusNotModified, b.do("GET", "/assets/staff.css", nil, "If-None-Match", etag).status)
}

func TestLoginAndSession(t *testing.T) {
	s := newStaffSite(t, nil)
	ana := s.account("ana@hotline.example", "Ana", undox.RoleAnalyst)
	b := s.browser()

	// No session: to the login, and back after it.
	requireLoginPage(t, b.do("GET", "/queue", nil), "/queue")
	requireLoginPage(t, b.do("GET", "/admin?tab=users", nil), "/admin?tab=users")

	r := b.login(ana, s.code(ana), "next", "/queue?lang=en")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	require.Equal(t, "/queue?lang=en", r.header.Get("Location"))
	setCookie := r.header.Get("Set-Cookie")
	require.True(t, strings.HasPrefix(setCookie, "undox_session="), setCookie)
	require.Contains(t, setCookie, "HttpOnly")
	require.Contains(t, setCookie, "SameSite=Lax")
	require.Contains(t, setCookie, "Path=/")
	require.NotContains(t, setCookie, "Secure", "plain HTTP: the browser would drop a Secure cookie")

	q := b.do("GET", "/queue?lang=en", nil)
	require.Equal(t, http.StatusOK, q.status, q.body)
	require.Contains(t, q.body, "<h1>Work queue</h1>")
	require.Contains(t, q.body, "Ana")
	require.Contains(t, q.body, `<form method="post" action="/logout"><button type="submit">Log out</button></form>`)
	require.Contains(t, q.body, `href="/queue" aria-current="page"`)
	require.Contains(t, q.body, `href="/dashboard"`)
	require.NotContains(t, q.body, `href="/admin"`, "the admin pages are not offered to an analyst")
	require.Contains(t, q.body, `href="/queue?lang=nl"`)
	require.Contains(t, b.do("GET", "/queue?lang=nl", nil).body, "<h1>Werkvoorraad</h1>")

	// An analyst may not open the admin pages: a plain 403.
	adm := b.do("GET", "/admin?lang=en", nil)
	require.Equal(t, http.StatusForbidden, adm.status)
	require.Contains(t, adm.body, "No access")
	require.NotContains(t, adm.body, "ana@hotline.example")

	// Idle longer than the idle timeout: the session is over.
	s.clock.Advance(staff.DefaultIdleTimeout + time.Minute)
	requireLoginPage(t, b.do("GET", "/queue", nil), "/queue")

	// Busy, but past the absolute timeout: over too.
	s.clock.Advance(staff.Period)
	require.Equal(t, http.StatusSeeOther, b.login(ana, s.code(ana)).status)
	for elapsed := time.Duration(0); elapsed < staff.DefaultMaxAge-time.Hour; elapsed += 30 * time.Minute {
		s.clock.Advance(30 * time.Minute)
		require.Equal(t, http.StatusOK, b.do("GET", "/queue", nil).status, "after %s", elapsed)
	}
	s.clock.Advance(time.Hour)
	requireLoginPage(t, b.do("GET", "/queue", nil), "/queue")

	// Logging in again while logged in: the login page goes on.
	s.clock.Advance(staff.Period)
	require.Equal(t, http.StatusSeeOther, b.login(ana, s.code(ana)).status)
	on := b.do("GET", "/login?next=%2Fqueue%3Fx%3D1", nil)
	require.Equal(t, http.StatusSeeOther, on.status)
	require.Equal(t, "/queue?x=1", on.header.Get("Location"))

	// Logout ends the session on the server, not only in the browser.
	cookie := sessionCookieOf(t, b)
	out := b.do("POST", "/logout", url.Values{})
	require.Equal(t, http.StatusSeeOther, out.status)
	require.Equal(t, "/login", out.header.Get("Location"))
	require.Contains(t, out.header.Get("Set-Cookie"), "Max-Age=0")
	requireLoginPage(t, b.do("GET", "/queue", nil), "/queue")
	replayed := s.browser()
	replayed.hc.Jar.SetCookies(mustURL(t, s.e.srv.URL), []*http.Cookie{cookie})
	requireLoginPage(t, replayed.do("GET", "/queue", nil), "/queue")

	// The audit log: logins and the logout, by label, never by address.
	entries, err := s.e.store.AuditEntries(s.e.ctx, "user", strconv.FormatInt(ana.User.ID, 10))
	require.NoError(t, err)
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
		require.NotContains(t, en.Actor+en.Detail, "hotline.example")
	}
	require.Equal(t, []string{"user.create", "user.login", "user.login", "user.login", "user.logout"}, actions)
	require.Equal(t, "user:"+strconv.FormatInt(ana.User.ID, 10)+":Ana", entries[4].Actor)
}

func sessionCookieOf(t *testing.T, b *browser) *http.Cookie {
	t.Helper()
	for _, c := range b.hc.Jar.Cookies(mustURL(t, b.s.e.srv.URL)) {
		if c.Name == "undox_session" {
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// Only the password and a fresh code let in; every failure reads alike.
func TestLoginRefusals(t *testing.T) {
	s := newStaffSite(t, nil)
	ana := s.account("ana@hotline.example", "Ana", undox.RoleAnalyst)
	b := s.browser()
	const failed = "Login failed. Check your e-mail address, password and code and try again."

	wrongPassword := b.do("POST", "/login", url.Values{"email": {ana.Email}, "password": {ana.Password + "x"}, "code": {s.code(ana)}, "lang": {"en"}})
	wrongCode := b.do("POST", "/login", url.Values{"email": {ana.Email}, "password": {ana.Password}, "code": {"000000"}, "lang": {"en"}})
	unknown := b.do("POST", "/login", url.Values{"email": {"nobody@hotline.example"}, "password": {ana.Password}, "code": {s.code(ana)}, "lang": {"en"}})
	for _, r := range []answer{wrongPassword, wrongCode, unknown} {
		require.Equal(t, http.StatusUnauthorized, r.status)
		require.Contains(t, r.body, `<p class="error" role="alert" id="login-error">`+failed+`</p>`)
		require.Empty(t, r.header.Get("Set-Cookie"))
	}
	require.Equal(t, strings.ReplaceAll(wrongPassword.body, ana.Email, ""), strings.ReplaceAll(unknown.body, "nobody@hotline.example", ""),
		"an unknown address reads like a wrong password")
	require.Contains(t, wrongCode.body, `value="ana@hotline.example"`, "the address is kept")
	require.NotContains(t, wrongCode.body, ana.Password, "the password is not")

	// A code works once.
	code := s.code(ana)
	require.Equal(t, http.StatusSeeOther, b.login(ana, code).status)
	other := s.browser()
	r := other.login(ana, code, "lang", "en")
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Contains(t, r.body, failed)

	// A user without TOTP cannot log in at all.
	acc, err := staff.NewAccount("new@hotline.example", "New", undox.RoleAdmin, "a long enough password")
	require.NoError(t, err)
	acc.NewUser.TOTPSecret = ""
	_, err = s.e.store.CreateUser(s.e.ctx, cli, acc.NewUser)
	require.NoError(t, err)
	c, err := staff.CodeAt(acc.TOTPSecret, s.clock.Now())
	require.NoError(t, err)
	r = other.login(&staffAccount{Email: "new@hotline.example", Password: "a long enough password"}, c)
	require.Equal(t, http.StatusUnauthorized, r.status)

	// A next elsewhere is not followed.
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/logout"} {
		s.clock.Advance(staff.Period)
		r := s.browser().login(ana, s.code(ana), "next", next)
		require.Equal(t, http.StatusSeeOther, r.status, next)
		require.Equal(t, "/queue", r.header.Get("Location"), next)
	}

	// Neither the password nor the code enters the audit log.
	for _, obj := range []string{strconv.FormatInt(ana.User.ID, 10), "unknown"} {
		entries, err := s.e.store.AuditEntries(s.e.ctx, "user", obj)
		require.NoError(t, err)
		for _, en := range entries {
			require.NotContains(t, en.Detail, ana.Password)
			require.NotContains(t, en.Detail, code)
		}
	}
	entries, err := s.e.store.AuditEntries(s.e.ctx, "user", strconv.FormatInt(ana.User.ID, 10))
	require.NoError(t, err)
	var failures []string
	for _, en := range entries {
		if en.Action == "user.login_failed" {
			failures = append(failures, en.Detail)
		}
	}
	require.Equal(t, []string{"reason=bad_password", "reason=bad_code", "reason=replayed_code"}, failures)
}

// Five failures in a quarter of an hour lock the account for the address
// they came from, even for the right password and code, until they age out.
func TestLoginThrottled(t *testing.T) {
	s := newStaffSite(t, nil)
	sue := s.account("sue@hotline.example", "Sue", undox.RoleSupervisor)
	b := s.browser()
	for i := 0; i < staff.DefaultPerAccountClient; i++ {
		r := b.do("POST", "/login", url.Values{"email": {sue.Email}, "password": {"guess number " + strconv.Itoa(i)}, "code": {"123456"}})
		require.Equal(t, http.StatusUnauthorized, r.status)
	}
	r := b.login(sue, s.code(sue), "lang", "en")
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Contains(t, r.body, "Too many failed login attempts. Please try again in 15 minutes.")
	require.Equal(t, "900", r.header.Get("Retry-After"))
	require.Empty(t, r.header.Get("Set-Cookie"))
	nl := b.login(sue, s.code(sue), "lang", "nl")
	require.Contains(t, nl.body, "Probeer het over 15 minuten opnieuw.")

	s.clock.Advance(staff.DefaultWindow + time.Second)
	r = b.login(sue, s.code(sue))
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	require.Equal(t, http.StatusOK, b.do("GET", "/queue", nil).status)
}

// Behind the proxy, failures count per account and client address:
// a stranger's guesses lock the account for the stranger only, and its
// owner logs in from their own address with the right password and code;
// the stranger still waits.
func TestLoginThrottledPerAddress(t *testing.T) {
	s := newStaffSite(t, func(c *web.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	sue := s.account("sue@hotline.example", "Sue", undox.RoleSupervisor)
	stranger, owner := s.browser(), s.browser()
	guess := func(i int) answer {
		return stranger.do("POST", "/login", url.Values{"email": {sue.Email}, "password": {"guess number " + strconv.Itoa(i)},
			"code": {"123456"}, "lang": {"en"}}, "X-Forwarded-For", "198.51.100.23")
	}
	for i := 0; i < staff.DefaultPerAccountClient; i++ {
		require.Equal(t, http.StatusUnauthorized, guess(i).status)
	}
	r := guess(99)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Contains(t, r.body, "Please try again in 15 minutes.")

	r = owner.do("POST", "/login", url.Values{"email": {sue.Email}, "password": {sue.Password}, "code": {s.code(sue)}},
		"X-Forwarded-For", "192.0.2.44")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	require.Equal(t, http.StatusOK, owner.do("GET", "/queue", nil, "X-Forwarded-For", "192.0.2.44").status)

	require.Equal(t, http.StatusTooManyRequests, guess(100).status, "the owner's login does not let the stranger guess again")
}

// A form posted from another site is refused: the login (login CSRF) and
// the logout alike; so is every state-changing staff request.
func TestStaffCrossSitePosts(t *testing.T) {
	s := newStaffSite(t, nil)
	ana := s.account("ana@hotline.example", "Ana", undox.RoleAnalyst)
	b := s.browser()
	form := func() url.Values {
		return url.Values{"email": {ana.Email}, "password": {ana.Password}, "code": {s.code(ana)}, "lang": {"en"}}
	}

	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		r := b.do("POST", "/login", form(), hdr...)
		require.Equal(t, http.StatusForbidden, r.status, hdr)
		require.Contains(t, r.body, "This request did not come from this website and was refused.")
		require.Empty(t, r.header.Get("Set-Cookie"))
	}
	require.Equal(t, http.StatusSeeOther, b.do("POST", "/login", form()).status, "the same form from this site")
	require.Equal(t, http.StatusOK, b.do("GET", "/queue", nil).status)

	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		r := b.do("POST", "/logout", url.Values{}, hdr...)
		require.Equal(t, http.StatusForbidden, r.status, hdr)
		require.Equal(t, http.StatusOK, b.do("GET", "/queue", nil).status, "still logged in")
	}
	require.Equal(t, http.StatusSeeOther, b.do("POST", "/logout", url.Values{}).status)
	requireLoginPage(t, b.do("GET", "/queue", nil), "/queue")
}

// The admin pages are for admins; the nav offers them to admins only.
func TestAdminPage(t *testing.T) {
	s := newStaffSite(t, nil)
	adm := s.account("root@hotline.example", "Root", undox.RoleAdmin)
	s.account("aud@hotline.example", "Audrey", undox.RoleAuditor)
	b := s.browser()
	require.Equal(t, http.StatusSeeOther, b.login(adm, s.code(adm)).status)
	q := b.do("GET", "/queue?lang=en", nil)
	require.Contains(t, q.body, `<a href="/admin">Admin</a>`)
	r := b.do("GET", "/admin?lang=en", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, r.body, `<a href="/admin" aria-current="page">Admin</a>`)
	require.Contains(t, r.body, "<td>Audrey</td><td>aud@hotline.example</td><td>auditor</td><td>Active</td>")

	for _, role := range []undox.Role{undox.RoleAnalyst, undox.RoleSupervisor, undox.RoleAuditor} {
		a := s.account(string(role)+"@hotline.example", string(role), role)
		bb := s.browser()
		require.Equal(t, http.StatusSeeOther, bb.login(a, s.code(a)).status)
		require.Equal(t, http.StatusOK, bb.do("GET", "/queue", nil).status, role)
		require.Equal(t, http.StatusForbidden, bb.do("GET", "/admin", nil).status, role)
	}
}

// Behind a TLS-terminating proxy the session cookie is Secure and carries
// the __Host- prefix; a header from anyone else changes nothing.
func TestSessionCookieOverTLS(t *testing.T) {
	s := newStaffSite(t, func(c *web.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	ana := s.account("ana@hotline.example", "Ana", undox.RoleAnalyst)
	r := s.browser().login(ana, s.code(ana), "lang", "en")
	require.Equal(t, http.StatusSeeOther, r.status)
	require.True(t, strings.HasPrefix(r.header.Get("Set-Cookie"), "undox_session="))

	s.clock.Advance(staff.Period)
	b := s.browser()
	r = b.do("POST", "/login", url.Values{"email": {ana.Email}, "password": {ana.Password}, "code": {s.code(ana)}},
		"X-Forwarded-Proto", "https")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	sc := r.header.Get("Set-Cookie")
	require.True(t, strings.HasPrefix(sc, "__Host-undox_session="), sc)
	require.Contains(t, sc, "Secure")
	require.Contains(t, sc, "Path=/")
	require.NotContains(t, sc, "Domain=")
	token := strings.TrimPrefix(strings.SplitN(sc, ";", 2)[0], "__Host-undox_session=")
	q := b.do("GET", "/queue", nil, "X-Forwarded-Proto", "https", "Cookie", "__Host-undox_session="+token)
	require.Equal(t, http.StatusOK, q.status)

	// Without the proxy's word the request is plain HTTP: no __Host- cookie.
	s2 := newStaffSite(t, nil)
	ana2 := s2.account("ana@hotline.example", "Ana", undox.RoleAnalyst)
	r = s2.browser().do("POST", "/login", url.Values{"email": {ana2.Email}, "password": {ana2.Password}, "code": {s2.code(ana2)}},
		"X-Forwarded-Proto", "https")
	require.True(t, strings.HasPrefix(r.header.Get("Set-Cookie"), "undox_session="))
}

func init() {
	openapi3filter.RegisterBodyDecoder("text/css", openapi3filter.PlainBodyDecoder)
}

// newWalker is a browser-like client for TestOpenAPIWalk: a cookie jar
// of its own, redirects not followed, every answer checked against the
// document.
func newWalker(t *testing.T, e *env) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{base: e.srv.URL, hc: &http.Client{Transport: e.v, Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// walkForm is a form of names and values in pairs, in English.
func walkForm(kv ...string) raw {
	v := url.Values{"lang": {"en"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return raw{"application/x-www-form-urlencoded", []byte(v.Encode())}
}

// walkLogin is the login form of the account with password and its TOTP
// code now, and more names and values in pairs.
func walkLogin(t *testing.T, e *env, a *staffAccount, password string, kv ...string) raw {
	t.Helper()
	code, err := staff.CodeAt(a.Secret, e.store.Now())
	require.NoError(t, err)
	return walkForm(append([]string{"email", a.Email, "password", password, "code", code}, kv...)...)
}

// walkStaff walks the staff pages through the OpenAPI validator, for
// TestOpenAPIWalk: every status a browser meets, each answer checked
// against the document.
func walkStaff(t *testing.T, e *env) {
	c := newWalker(t, e)
	same := header("Origin", e.srv.URL)
	loginForm := func(a *staffAccount, password string) raw { return walkLogin(t, e, a, password, "next", "/queue") }
	ana := newAccount(t, e, "walk-ana@hotline.example", "walk-ana", undox.RoleAnalyst)
	root := newAccount(t, e, "walk-root@hotline.example", "walk-root", undox.RoleAdmin)

	c.do(t, "GET", "/login?lang=en&next=%2Fqueue", nil).ok(t, 200, nil)
	css := c.do(t, "GET", "/assets/staff.css", nil)
	css.ok(t, 200, nil)
	c.do(t, "GET", "/assets/staff.css", nil, header("If-None-Match", css.header.Get("ETag"))).ok(t, 304, nil)
	c.do(t, "GET", "/queue", nil).ok(t, 303, nil)
	c.do(t, "GET", "/admin", nil).ok(t, 303, nil)

	c.do(t, "POST", "/login", loginForm(ana, ana.Password+"x"), same).ok(t, 401, nil)
	c.do(t, "POST", "/login", loginForm(ana, ana.Password), header("Origin", "https://evil.example")).ok(t, 403, nil)
	r := c.do(t, "POST", "/login", loginForm(ana, ana.Password), same)
	r.ok(t, 303, nil)
	require.Equal(t, "/queue", r.header.Get("Location"))
	c.do(t, "GET", "/queue?lang=en", nil).ok(t, 200, nil)
	c.do(t, "GET", "/admin", nil).ok(t, 403, nil)
	c.do(t, "GET", "/login", nil).ok(t, 303, nil)
	c.do(t, "POST", "/logout", nil, header("Origin", "https://evil.example")).ok(t, 403, nil)
	c.do(t, "POST", "/logout", nil, same).ok(t, 303, nil)
	c.do(t, "GET", "/queue", nil).ok(t, 303, nil)

	c.do(t, "POST", "/login", loginForm(root, root.Password), same).ok(t, 303, nil)
	c.do(t, "GET", "/admin?lang=nl", nil).ok(t, 200, nil)

	for i := 0; i < staff.DefaultPerAccountClient; i++ {
		c.do(t, "POST", "/login", loginForm(ana, "wrong "+strconv.Itoa(i)), same).ok(t, 401, nil)
	}
	r = c.do(t, "POST", "/login", loginForm(ana, ana.Password), same)
	r.ok(t, 429, nil)
	require.NotEmpty(t, r.header.Get("Retry-After"))
}
