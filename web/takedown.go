package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/undox/undox"
	"github.com/undox/undox/secret"
)

// noticeView is a notice as the staff API lists it.
type noticeView struct {
	*undox.Notice
}

func noticeViews(ns []*undox.Notice) []noticeView {
	out := make([]noticeView, 0, len(ns))
	for _, n := range ns {
		out = append(out, noticeView{n})
	}
	return out
}

// confirmItem confirms an item and prepares its notice.
func (s *Server) confirmItem(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := itemID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reason, err := readAction(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	it, n, err := s.Store.ConfirmItem(r.Context(), a, id, reason)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var nv *noticeView
	if n != nil {
		nv = &noticeView{n}
	}
	writeJSON(w, http.StatusOK, map[string]any{"item": it, "notice": nv})
}

func noticeID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, undox.Errorf(undox.ENOTFOUND, "notice not found")
	}
	return id, nil
}

// approveNotice approves a prepared notice: it is sent.
func (s *Server) approveNotice(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := noticeID(r)
	var n *undox.Notice
	if err == nil {
		n, err = s.Store.ApproveNotice(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, noticeView{n})
}

// itemNotices lists an item's notices with their answers.
func (s *Server) itemNotices(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := itemID(r)
	var ns []*undox.Notice
	if err == nil {
		ns, err = s.Store.Notices(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": noticeViews(ns)})
}

// The response page: the private link in a notice opens it. Mail scanners
// follow links, so GET only shows the notice and a form; only the form's
// POST records an answer, with an anti-forgery token bound to the link and
// a same-origin check.

func responseToken(r *http.Request) (string, bool) {
	t := r.PathValue("token")
	return t, len(t) >= 20 && len(t) <= 100
}

// formToken binds the form to its response link.
func (s *Server) formToken(token string) string {
	m := hmac.New(sha256.New, s.Store.ResponseFormKey())
	m.Write([]byte("respond:" + token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sameOrigin refuses a POST that a browser sent from another site: its
// Origin (or, without one, its Referer) must name this host.
func sameOrigin(r *http.Request) bool {
	v := r.Header.Get("Origin")
	if v == "" {
		v = r.Header.Get("Referer")
		if v == "" {
			return true // not a browser's cross-site form: the form token decides
		}
	}
	u, err := url.Parse(v)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

type respondPage struct {
	Notice    *undox.Notice
	Token     string
	FormToken string
	Done      string
	Error     string
	Kind      string
	Until     string
	Detail    string
	Other     string
	Gone      bool
}

func (s *Server) renderRespond(w http.ResponseWriter, code int, p respondPage) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	// The form posts to its own page: let the browser send Origin.
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := s.pages.ExecuteTemplate(w, "respond.html", p); err != nil {
		s.log.Error("rendering the response page", "err", err)
	}
}

func (s *Server) respondGet(w http.ResponseWriter, r *http.Request) {
	token, ok := responseToken(r)
	var n *undox.Notice
	err := undox.Error{Code: undox.ENOTFOUND}
	var ferr error = &err
	if ok {
		n, ferr = s.Store.NoticeByToken(r.Context(), secret.Hash(token))
	}
	switch {
	case ferr == nil:
		s.renderRespond(w, http.StatusOK, respondPage{Notice: n, Token: token, FormToken: s.formToken(token)})
	case undox.ErrorCode(ferr) == undox.ENOTFOUND:
		s.renderRespond(w, http.StatusNotFound, respondPage{Gone: true})
	default:
		s.log.Error("response page", "err", ferr)
		s.renderRespond(w, http.StatusInternalServerError, respondPage{Gone: true})
	}
}

func (s *Server) respondPost(w http.ResponseWriter, r *http.Request) {
	token, ok := responseToken(r)
	if !ok {
		s.renderRespond(w, http.StatusNotFound, respondPage{Gone: true})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.renderRespond(w, http.StatusBadRequest, respondPage{Gone: true, Error: "The form could not be read."})
		return
	}
	n, err := s.Store.NoticeByToken(r.Context(), secret.Hash(token))
	if err != nil {
		code := http.StatusNotFound
		if undox.ErrorCode(err) != undox.ENOTFOUND {
			s.log.Error("response page", "err", err)
			code = http.StatusInternalServerError
		}
		s.renderRespond(w, code, respondPage{Gone: true})
		return
	}
	page := respondPage{Notice: n, Token: token, FormToken: s.formToken(token),
		Kind: r.PostForm.Get("kind"), Until: r.PostForm.Get("until"), Detail: r.PostForm.Get("detail"), Other: r.PostForm.Get("other_party")}
	if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(page.FormToken)) || !sameOrigin(r) {
		page.Error = "This answer was not sent from this page. Please use the form below."
		s.renderRespond(w, http.StatusForbidden, page)
		return
	}
	resp := undox.NoticeResponse{Kind: page.Kind, Until: page.Until, Detail: page.Detail, OtherParty: page.Other}
	n, err = s.Store.ResponseByToken(r.Context(), secret.Hash(token), resp)
	switch {
	case err == nil:
		page.Notice, page.Done = n, page.Kind
		s.renderRespond(w, http.StatusOK, page)
	case undox.ErrorCode(err) == undox.EINVALID:
		page.Error = undox.ErrorMessage(err)
		s.renderRespond(w, http.StatusBadRequest, page)
	case undox.ErrorCode(err) == undox.ENOTFOUND:
		s.renderRespond(w, http.StatusNotFound, respondPage{Gone: true})
	case undox.ErrorCode(err) == undox.ETRANSITION:
		page.Error = "This notice cannot be answered now. Please try again later or reply by e-mail."
		s.renderRespond(w, http.StatusConflict, page)
	default:
		s.log.Error("recording a response", "err", err)
		page.Error = "Your answer could not be recorded. Please try again later."
		s.renderRespond(w, http.StatusInternalServerError, page)
	}
}
