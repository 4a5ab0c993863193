package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

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
	if s.fourEyes(undox.FourEyesConfirm) {
		s.requestAction(w, r, a, undox.PendingAction{Action: undox.FourEyesConfirm, Object: "item", ObjectID: strconv.FormatInt(id, 10), Reason: reason})
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
	if err == nil && s.fourEyes(undox.FourEyesApprove) {
		s.requestAction(w, r, a, undox.PendingAction{Action: undox.FourEyesApprove, Object: "notice", ObjectID: strconv.FormatInt(id, 10)})
		return
	}
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

// submittedNotice records that staff submitted a manual notice through
// the recipient's web form or API: it counts as sent, with the policy's
// deadline from now.
func (s *Server) submittedNotice(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := noticeID(r)
	var n *undox.Notice
	if err == nil {
		n, err = s.Store.SubmitNotice(r.Context(), a, id, time.Time{})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, noticeView{n})
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
//
// The page says what the notice is about — the URL, the category and its
// legal basis, the kinds of personal data the page exposes, whether a
// minor is concerned — and never the data itself, the victim or the case.
// It is in Dutch and English (Accept-Language, else the notice's
// language, else English; ?lang switches), and it has the victim pages'
// strict Content-Security-Policy: no script, its style from
// /assets/respond.css.

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

//go:embed static/respond.css
var respondCSS []byte

// respondStyle serves the response page's style sheet.
func (s *Server) respondStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(respondCSS)
}

// respondLanguage is the response page's language: ?lang, the posted
// form's lang, Accept-Language when it names Dutch or English, else the
// notice's language, else English (abuse desks abroad read English).
func respondLanguage(r *http.Request, noticeLang string) string {
	if l := r.URL.Query().Get("lang"); l == "nl" || l == "en" {
		return l
	}
	if r.Method == http.MethodPost && r.PostForm != nil {
		if l := r.PostForm.Get("lang"); l == "nl" || l == "en" {
			return l
		}
	}
	if l := preferredLanguage(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	if noticeLang == "nl" {
		return "nl"
	}
	return "en"
}

// respondForm is the answer as typed, kept through a re-render.
type respondForm struct {
	Kind, Until, Detail, OtherParty string
}

// respondAbout is what the notice is about, as the page shows it.
type respondAbout struct {
	Recipient            string
	URLs                 []string
	Category, LegalBasis string
	// Exposed names the kinds of personal data the page shows; never a
	// value.
	Exposed        []string
	Minor          bool
	Sent, Deadline string
}

// respondAnswer is an answer to the notice, as the page lists it.
type respondAnswer struct {
	Kind, When, Source, Until, OtherParty, Detail string
}

type respondPage struct {
	// Here is the page's path, which the language switch links to.
	Here        string
	Lang, Other string
	T           map[string]string
	// Gone: the link opens no notice (unknown, expired, unreadable).
	Gone             bool
	Token, FormToken string
	Notice           *undox.Notice
	About            respondAbout
	Answers          []respondAnswer
	// Done is the answer just recorded, DoneNext what happens now.
	Done     *respondAnswer
	DoneNext string
	Problem  string
	Errors   map[string]string
	Form     respondForm
}

func (s *Server) newRespondPage(r *http.Request, n *undox.Notice, token string) *respondPage {
	noticeLang := ""
	if n != nil {
		noticeLang = n.Language
	}
	lang := respondLanguage(r, noticeLang)
	p := &respondPage{Here: r.URL.Path, Lang: lang, Other: otherLanguage(lang), T: tr(lang), Errors: map[string]string{}}
	if n == nil {
		p.Gone = true
		return p
	}
	p.Notice, p.Token, p.FormToken = n, token, s.formToken(token)
	return p
}

// respondPDGroups name the finding types of package personal (the scan
// summary's kinds) as the response page groups them.
var respondPDGroups = map[string]string{
	"address": "address", "postcode": "address",
	"phone": "phone", "email": "email",
	"bsn": "id_number", "id_document": "id_number", "id_number": "id_number",
	"iban": "financial", "payment_card": "financial",
	"birth_date": "birth_date", "age": "birth_date",
	"licence_plate": "licence_plate", "ip": "ip",
	"social_handle": "social", "social_url": "social", "handle": "social",
}

// respondPDOrder is the order the groups are listed in.
var respondPDOrder = []string{"address", "phone", "email", "id_number", "financial", "birth_date", "licence_plate",
	"social", "ip", "other", "images"}

// exposedKinds names the kinds of personal data of a scan summary (kinds
// by count) and a category, in the page's language.
func exposedKinds(t map[string]string, kinds map[string]int, category string) []string {
	has := map[string]bool{}
	for k, n := range kinds {
		if n <= 0 {
			continue
		}
		g, ok := respondPDGroups[k]
		if !ok {
			g = "other"
		}
		has[g] = true
	}
	if category == undox.CategoryIntimateImages || category == undox.CategorySextortion || category == undox.CategoryCSAM {
		has["images"] = true
	}
	var out []string
	for _, g := range respondPDOrder {
		if has[g] {
			out = append(out, t["respond_pd_"+g])
		}
	}
	return out
}

// respondAbout reads what the notice is about. The recipient is no staff
// member: the page reads the item as undox itself (the read enters the
// audit log) and of its scan only the kinds of data found.
func (s *Server) respondAbout(ctx context.Context, n *undox.Notice, lang string, t map[string]string) (respondAbout, error) {
	a := respondAbout{Recipient: n.Recipient}
	if n.SentAt != nil {
		a.Sent = respondTime(lang, *n.SentAt)
	}
	if n.Deadline != nil {
		a.Deadline = respondTime(lang, *n.Deadline)
	}
	it, err := s.Store.Item(ctx, undox.System, n.ItemID)
	if err != nil {
		return a, err
	}
	a.URLs = []string{it.URL}
	cat := undox.EffectiveCategory(it.Category, it.IsMinor)
	a.Category, a.LegalBasis, a.Minor = t["respond_cat_"+cat.Code], cat.LegalBasis, it.IsMinor
	if a.Category == "" {
		a.Category = cat.Name
	}
	// The kinds of the latest scan; its findings (the values) stay unread.
	kinds, err := s.Store.ScanKinds(ctx, n.ItemID)
	if err != nil {
		return a, err
	}
	a.Exposed = exposedKinds(t, kinds, cat.Code)
	return a, nil
}

// respondTime writes a time with its zone: recipients abroad read the page.
func respondTime(lang string, t time.Time) string {
	return formatDate(lang, t) + " " + t.In(amsterdam).Format("MST")
}

// respondAnswerOf is an answer as the page lists it: what the recipient
// typed on this page is shown (as text); an e-mail reply only by its kind.
func respondAnswerOf(lang string, t map[string]string, r undox.NoticeResponse) respondAnswer {
	a := respondAnswer{Kind: t["respond_kind_"+r.Kind], When: respondTime(lang, r.CreatedAt), Source: t["respond_answer_email"]}
	if a.Kind == "" {
		a.Kind = r.Kind
	}
	if r.Until != "" {
		day := r.Until
		if d, err := time.ParseInLocation("2006-01-02", r.Until, amsterdam); err == nil {
			day = formatDay(lang, d)
		}
		a.Until = fmt.Sprintf(t["respond_answer_until"], day)
	}
	if r.Source == "web" {
		a.Source = t["respond_answer_web"]
		if r.OtherParty != "" {
			a.OtherParty = fmt.Sprintf(t["respond_answer_other"], r.OtherParty)
		}
		a.Detail = r.Detail
	}
	return a
}

// showRespond writes the response page with the victim pages' headers
// (their strict Content-Security-Policy among them).
func (s *Server) showRespond(w http.ResponseWriter, r *http.Request, code int, p *respondPage) {
	if !p.Gone {
		about, err := s.respondAbout(r.Context(), p.Notice, p.Lang, p.T)
		if err != nil {
			s.log.Error("response page", "notice", p.Notice.ID, "err", err)
			code, p.Gone, p.Problem = http.StatusInternalServerError, true, p.T["respond_err_internal"]
		}
		p.About = about
		for _, a := range p.Notice.Responses {
			p.Answers = append(p.Answers, respondAnswerOf(p.Lang, p.T, a))
		}
	}
	victimHeaders(w)
	w.WriteHeader(code)
	if err := s.pages.ExecuteTemplate(w, "respond.html", p); err != nil {
		s.log.Error("rendering the response page", "err", err)
	}
}

// respondNotice finds the notice of the link, or shows why not.
func (s *Server) respondNotice(w http.ResponseWriter, r *http.Request) (*undox.Notice, string, bool) {
	token, ok := responseToken(r)
	if !ok {
		s.showRespond(w, r, http.StatusNotFound, s.newRespondPage(r, nil, ""))
		return nil, "", false
	}
	n, err := s.Store.NoticeByToken(r.Context(), secret.Hash(token))
	if err != nil {
		code := http.StatusNotFound
		if undox.ErrorCode(err) != undox.ENOTFOUND {
			s.log.Error("response page", "err", err)
			code = http.StatusInternalServerError
		}
		s.showRespond(w, r, code, s.newRespondPage(r, nil, ""))
		return nil, "", false
	}
	return n, token, true
}

func (s *Server) respondGet(w http.ResponseWriter, r *http.Request) {
	if n, token, ok := s.respondNotice(w, r); ok {
		s.showRespond(w, r, http.StatusOK, s.newRespondPage(r, n, token))
	}
}

// respondFields are the keys of the messages for the fields of an answer.
var respondFields = map[string]string{
	"kind": "respond_err_kind", "until": "respond_err_until", "detail": "respond_err_detail", "other_party": "respond_err_other",
}

func (s *Server) respondPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p := s.newRespondPage(r, nil, "")
		p.Problem = p.T["respond_err_form"]
		s.showRespond(w, r, http.StatusBadRequest, p)
		return
	}
	n, token, ok := s.respondNotice(w, r)
	if !ok {
		return
	}
	p := s.newRespondPage(r, n, token)
	p.Form = respondForm{Kind: r.PostForm.Get("kind"), Until: r.PostForm.Get("until"), Detail: r.PostForm.Get("detail"),
		OtherParty: r.PostForm.Get("other_party")}
	if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(p.FormToken)) || !sameOrigin(r) {
		p.Problem = p.T["respond_err_csrf"]
		s.showRespond(w, r, http.StatusForbidden, p)
		return
	}
	resp := undox.NoticeResponse{Kind: p.Form.Kind, Until: p.Form.Until, Detail: p.Form.Detail, OtherParty: p.Form.OtherParty}
	n, err := s.Store.ResponseByToken(r.Context(), secret.Hash(token), resp)
	switch {
	case err == nil:
		p.Notice = n
		if k := len(n.Responses); k > 0 {
			done := respondAnswerOf(p.Lang, p.T, n.Responses[k-1])
			p.Done = &done
		}
		p.DoneNext = p.T["respond_done_other"]
		if resp.Kind == undox.ResponseRemoved {
			p.DoneNext = p.T["respond_done_removed"]
		}
		p.Form = respondForm{}
		s.showRespond(w, r, http.StatusOK, p)
	case undox.ErrorCode(err) == undox.EINVALID:
		p.Problem = p.T["respond_err_invalid"]
		for field := range undox.ErrorFields(err) {
			key, ok := respondFields[field]
			if !ok {
				key = "respond_err_kind"
				field = "kind"
			}
			p.Errors[field] = p.T[key]
		}
		s.showRespond(w, r, http.StatusBadRequest, p)
	case undox.ErrorCode(err) == undox.ENOTFOUND:
		s.showRespond(w, r, http.StatusNotFound, s.newRespondPage(r, nil, ""))
	case undox.ErrorCode(err) == undox.ETRANSITION:
		p.Problem = p.T["respond_err_now"]
		s.showRespond(w, r, http.StatusConflict, p)
	case undox.ErrorCode(err) == undox.ERATELIMIT:
		p.Problem = p.T["respond_err_many"]
		w.Header().Set("Retry-After", "3600")
		s.showRespond(w, r, http.StatusTooManyRequests, p)
	default:
		s.log.Error("recording a response", "err", err)
		p.Problem = p.T["respond_err_internal"]
		s.showRespond(w, r, http.StatusInternalServerError, p)
	}
}
