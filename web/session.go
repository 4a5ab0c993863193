package web

// Staff sessions: the cookie that names a server-side session, the page
// middleware that admits staff by role, and what every staff page shares
// (language, layout, headers). Logging in and out is in login.go.

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/staff"
)

// Cookie names. Over TLS the session cookie carries the __Host- prefix, so
// that browsers keep it to this host, path / and HTTPS only.
const (
	sessionCookie       = "undox_session"
	sessionCookieSecure = "__Host-undox_session"
	langCookie          = "undox_lang"
)

// staffCSP is the Content-Security-Policy of the staff pages: nothing
// inline, styles from undox only.
const staffCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// staffCSS is the path of the staff pages' style sheet.
const staffCSS = "/assets/staff.css"

//go:embed static/staff.css
var staffCSSFile []byte

var staffCSSTag = func() string {
	h := sha256.Sum256(staffCSSFile)
	return `"` + hex.EncodeToString(h[:8]) + `"`
}()

// staffStyle serves the staff pages' style sheet, embedded in the binary.
func (s *Server) staffStyle(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Cache-Control", "no-cache") // revalidated by its ETag
	h.Set("ETag", staffCSSTag)
	http.ServeContent(w, r, "staff.css", time.Time{}, bytes.NewReader(staffCSSFile))
}

// crossOrigin refuses state-changing requests that a browser sent from
// another site (Sec-Fetch-Site, else Origin against Host).
var crossOrigin = http.NewCrossOriginProtection()

// staffService logs staff in and finds their sessions, by the store's
// clock.
func (s *Server) staffService() *staff.Service { return &staff.Service{Store: s.Store} }

// overTLS tells whether the browser reached undox over HTTPS: directly, or
// through a trusted reverse proxy that says so.
func (s *Server) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return false
	}
	peer, ok := clientAddr(r, nil) // the peer itself
	return ok && inAny(peer, s.TrustedProxies)
}

func (s *Server) sessionCookieName(r *http.Request) string {
	if s.overTLS(r) {
		return sessionCookieSecure
	}
	return sessionCookie
}

// sessionToken is the browser's session token, "" without one.
func (s *Server) sessionToken(r *http.Request) string {
	c, err := r.Cookie(s.sessionCookieName(r))
	if err != nil {
		return ""
	}
	return c.Value
}

// setSessionCookie gives the browser its token; maxAge < 0 removes it.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string, maxAge int) {
	secure := s.overTLS(r)
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(r), Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// staffLanguage is the page's language: ?lang (remembered in a cookie),
// the posted form's lang, the remembered choice, else Accept-Language.
func staffLanguage(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "nl" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return l
	}
	if r.Method == http.MethodPost {
		if l := r.PostFormValue("lang"); l == "nl" || l == "en" {
			return l
		}
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "nl" || c.Value == "en") {
		return c.Value
	}
	return acceptLanguage(r.Header.Get("Accept-Language"))
}

// switchURL is this page in the other language, its other parameters
// kept.
func switchURL(r *http.Request, other string) string {
	q := url.Values{}
	if r.Method == http.MethodGet {
		q = r.URL.Query()
	}
	q.Set("lang", other)
	return r.URL.Path + "?" + q.Encode()
}

// staffPage is what every staff page shows: the layout's parts, and the
// page's own data in the other fields.
type staffPage struct {
	Lang, Other string
	T           map[string]string
	CSS         string
	SwitchURL   string
	// The logged-in user; empty on the login page.
	UserName, RoleName string
	Admin              bool
	// Erasure: the erasure requests are open to this role without the
	// rest of the admin pages (a supervisor).
	Erasure bool
	// Section is the nav entry of the page.
	Section string
	Problem string

	// The login form.
	Email, Next string
	// The admin page.
	Users []*undox.User
}

func (s *Server) newStaffPage(w http.ResponseWriter, r *http.Request, u *undox.User) *staffPage {
	lang := staffLanguage(w, r)
	p := &staffPage{Lang: lang, Other: otherLanguage(lang), T: tr(lang), CSS: staffCSS}
	p.SwitchURL = switchURL(r, p.Other)
	if u != nil {
		p.UserName, p.RoleName, p.Admin = u.Name, p.T["login_role_"+string(u.Role)], u.Role.Can(undox.PermAdmin)
		p.Erasure = !p.Admin && u.Role.Can(undox.PermEraseCases)
		if p.RoleName == "" {
			p.RoleName = string(u.Role)
		}
	}
	return p
}

// renderPage writes a staff page, whose data is or embeds a staffPage,
// with the staff pages' headers.
func (s *Server) renderPage(w http.ResponseWriter, code int, name string, data any) {
	s.renderStaffPage(w, code, staffCSP, name, data)
}

// renderStaffPage writes a page of the staff's site under the content
// security policy csp (see pageHeaders).
func (s *Server) renderStaffPage(w http.ResponseWriter, code int, csp, name string, data any) {
	pageHeaders(w, csp)
	w.WriteHeader(code)
	if err := s.pages.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("rendering a staff page", "page", name, "err", err)
	}
}

// forbidden answers 403 with a plain page.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, u *undox.User, msgKey string) {
	p := s.newStaffPage(w, r, u)
	p.Problem = p.T[msgKey]
	s.renderPage(w, http.StatusForbidden, "staff_forbidden.html", p)
}

// errCrossSite is a state-changing request from another site.
var errCrossSite = errors.New("cross-site request refused")

// checkSameSite refuses a state-changing request that a browser sent from
// another site.
func checkSameSite(r *http.Request) error {
	if crossOrigin.Check(r) != nil {
		return errCrossSite
	}
	return nil
}

// page admits a staff member with a live session whose role holds p: a
// browser without one is sent to the login (and back here after it), a
// role without p gets a plain 403 page, and a state-changing request from
// another site is refused.
func (s *Server) page(p undox.Permission, h func(http.ResponseWriter, *http.Request, undox.Actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if checkSameSite(r) != nil {
			s.forbidden(w, r, nil, "login_err_cross_site")
			return
		}
		_, u, err := s.staffService().Session(r.Context(), s.sessionToken(r))
		if err != nil {
			if undox.ErrorCode(err) != undox.EUNAUTHORIZED {
				s.log.Error("finding a session", "err", err)
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, "/login?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
			return
		}
		a := undox.UserActor(u)
		if a.Require(p) != nil {
			s.forbidden(w, r, u, "login_err_forbidden")
			return
		}
		h(w, r, a)
	})
}

// pageUser is the user of a page's actor, for the layout.
func pageUser(a undox.Actor) *undox.User {
	return &undox.User{ID: a.UserID, Name: a.Name, Role: a.Role}
}

// safeNext is where to go after logging in: a path of this site only,
// else the queue.
func safeNext(next string) string {
	const home = "/queue"
	if next == "" || len(next) > 2000 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return home
	}
	if u.Path == "/login" || u.Path == "/logout" {
		return home
	}
	return u.RequestURI()
}
