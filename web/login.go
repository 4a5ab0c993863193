package web

// Staff login and logout: e-mail, password and a TOTP code, every time.
// A failed login says the same whatever failed; too many failures lock the
// address out for a while. Sessions live in the database (session.go).

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/undox/undox/staff"
)

// maxLoginFormBytes bounds the login form.
const maxLoginFormBytes = 16 << 10

// loginGet shows the login form; a browser with a live session goes on.
func (s *Server) loginGet(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if tok := s.sessionToken(r); tok != "" {
		if _, _, err := s.staffService().Session(r.Context(), tok); err == nil {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
	}
	p := s.newStaffPage(w, r, nil)
	p.Next = next
	s.renderPage(w, http.StatusOK, "login.html", p)
}

// loginPost checks the e-mail address, the password and the code, and
// starts a session.
func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(unwrapWriter(w), r.Body, maxLoginFormBytes)
	parseErr := r.ParseForm()
	p := s.newStaffPage(w, r, nil)
	p.Next = safeNext(r.PostForm.Get("next"))
	p.Email = r.PostForm.Get("email")
	if checkSameSite(r) != nil {
		p.Problem = p.T["login_err_cross_site"]
		s.renderPage(w, http.StatusForbidden, "login.html", p)
		return
	}
	if parseErr != nil {
		p.Problem = p.T["login_err_failed"]
		s.renderPage(w, http.StatusBadRequest, "login.html", p)
		return
	}
	login, err := s.staffService().Login(r.Context(), p.Email, r.PostForm.Get("password"), r.PostForm.Get("code"),
		clientKey(r, s.TrustedProxies))
	var th *staff.Throttled
	switch {
	case err == nil:
		s.setSessionCookie(w, r, login.Token, 0)
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, p.Next, http.StatusSeeOther)
	case errors.Is(err, staff.ErrLogin):
		p.Problem = p.T["login_err_failed"]
		s.renderPage(w, http.StatusUnauthorized, "login.html", p)
	case errors.As(err, &th):
		w.Header().Set("Retry-After", strconv.Itoa(int(th.RetryAfter.Seconds())))
		p.Problem = fmt.Sprintf(p.T["login_err_throttled"], int(th.RetryAfter.Minutes()))
		s.renderPage(w, http.StatusTooManyRequests, "login.html", p)
	default:
		s.log.Error("login", "err", err)
		p.Problem = p.T["login_err_internal"]
		s.renderPage(w, http.StatusInternalServerError, "login.html", p)
	}
}

// logoutPost ends the session and goes to the login form.
func (s *Server) logoutPost(w http.ResponseWriter, r *http.Request) {
	if checkSameSite(r) != nil {
		s.forbidden(w, r, nil, "login_err_cross_site")
		return
	}
	if tok := s.sessionToken(r); tok != "" {
		if err := s.staffService().Logout(r.Context(), tok); err != nil {
			s.log.Error("logout", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
	}
	s.setSessionCookie(w, r, "", -1)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
