package web

// The analysts' console: the work queue (this file), the case page with
// its actions (case_page.go) and bulk actions with their progress
// (bulk.go). The pages are rendered on the server and work without
// JavaScript; htmx, vendored and served from the binary, only makes the
// queue's filters and a bulk job's progress update in place. Every action
// is a plain form post that the page middleware admits by role and refuses
// from other sites, and that answers with a redirect and a message in the
// user's language.

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
)

// consoleCSP is the console pages' Content-Security-Policy: the staff
// pages' policy, with scripts from undox itself (htmx) and its requests
// to undox only. Nothing inline.
const consoleCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// htmxPath is where the vendored htmx is served (web/static/htmx.txt
// names its version and licence).
const htmxPath = "/assets/htmx.min.js"

//go:embed static/htmx.min.js
var htmxFile []byte

var htmxTag = func() string {
	h := sha256.Sum256(htmxFile)
	return `"` + hex.EncodeToString(h[:8]) + `"`
}()

// htmxScript serves htmx, embedded in the binary.
func (s *Server) htmxScript(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache") // revalidated by its ETag
	h.Set("ETag", htmxTag)
	http.ServeContent(w, r, "htmx.min.js", time.Time{}, bytes.NewReader(htmxFile))
}

// consoleStore is what the console needs beyond Store (the SQL store has
// it).
type consoleStore interface {
	undox.ConsoleStore
	recheckStore
}

func (s *Server) console() (consoleStore, error) {
	cs, ok := s.Store.(consoleStore)
	if !ok {
		return nil, undox.Errorf(undox.EUNAVAILABLE, "the console is not available on this instance")
	}
	return cs, nil
}

// consoleNow is the store's clock when it has one (waiting times agree with
// what the store records), else the wall clock.
func (s *Server) consoleNow() time.Time {
	if c, ok := s.Store.(interface{ Now() time.Time }); ok {
		return c.Now()
	}
	return time.Now()
}

// fourEyes tells whether the configuration makes action four-eyes.
func (s *Server) fourEyes(action string) bool {
	return undox.IsFourEyes(s.FourEyes, action)
}

// CheckFourEyes checks the actions that a configuration marks as
// four-eyes.
func CheckFourEyes(actions []string) error {
	for _, a := range actions {
		if !slices.Contains(undox.FourEyesActions(), a) {
			return fmt.Errorf("%q is not an action that can be four-eyes (%s)", a, strings.Join(undox.FourEyesActions(), ", "))
		}
	}
	return nil
}

// consolePage is what every console page shows: the staff layout's parts
// and a message after an action.
type consolePage struct {
	*staffPage
	// Done is the message of an action that succeeded.
	Done string
	// Here is the page's own path with its query, for forms that come
	// back to it.
	Here string
}

func (s *Server) newConsolePage(w http.ResponseWriter, r *http.Request, a undox.Actor, section string) *consolePage {
	here := r.URL.Query()
	for _, k := range []string{"done", "problem", "lang", "reveal"} {
		here.Del(k)
	}
	p := &consolePage{staffPage: s.newStaffPage(w, r, pageUser(a)), Here: r.URL.Path}
	if len(here) > 0 {
		p.Here += "?" + here.Encode()
	}
	p.Section = section
	q := r.URL.Query()
	// Messages come back by their key only: nothing from the address is
	// shown as it is.
	if k := q.Get("done"); strings.HasPrefix(k, "console_") {
		p.Done = p.T[k]
	}
	if k := q.Get("problem"); strings.HasPrefix(k, "console_") {
		p.Problem = p.T[k]
	}
	return p
}

// renderConsole writes a console page with the staff pages' headers and
// the console's policy.
func (s *Server) renderConsole(w http.ResponseWriter, code int, name string, data any) {
	w.Header().Set("Vary", "HX-Request")
	s.renderStaffPage(w, code, consoleCSP, name, data)
}

// consoleError answers a page that could not be made: a plain page with
// the problem in the user's language.
func (s *Server) consoleError(w http.ResponseWriter, r *http.Request, a undox.Actor, err error) {
	code := statusOf[undox.ErrorCode(err)]
	if code == 0 || code >= 500 {
		s.log.Error("console page", "path", r.Pattern, "err", err)
		code = http.StatusInternalServerError
	}
	p := s.newConsolePage(w, r, a, "queue")
	p.Done, p.Problem = "", p.T[consoleErrorKey(err)]
	s.renderConsole(w, code, "console_error.html", p)
}

// consoleErrorKey is the message of an action's error.
func consoleErrorKey(err error) string {
	switch undox.ErrorCode(err) {
	case undox.EINVALID:
		return "console_err_invalid"
	case undox.ENOTFOUND:
		return "console_err_not_found"
	case undox.EFORBIDDEN:
		return "console_err_forbidden"
	case undox.ECONFLICT:
		return "console_err_conflict"
	case undox.ETRANSITION:
		return "console_err_transition"
	case undox.EERASED:
		return "console_err_erased"
	case undox.ELEGALHOLD:
		return "console_err_legal_hold"
	}
	return "console_err_internal"
}

// consoleRedirect sends the browser back to path with a message (a key of
// the catalog) after an action: done, or a problem.
func consoleRedirect(w http.ResponseWriter, r *http.Request, path, key string, problem bool) {
	q := url.Values{}
	if l := r.PostFormValue("lang"); l == "nl" || l == "en" {
		q.Set("lang", l) // the page comes back in the form's language
	}
	if problem {
		q.Set("problem", key)
	} else {
		q.Set("done", key)
	}
	target, frag, _ := strings.Cut(path, "#")
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	target += sep + q.Encode()
	if frag != "" {
		target += "#" + frag
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// consoleNumber writes a whole number with the language's thousands
// separator.
func consoleNumber(lang string, n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := "."
	if lang == "en" {
		sep = ","
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// consoleWaiting writes how long something has waited, in the language.
func consoleWaiting(t map[string]string, d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf(t["console_wait_minutes"], max(0, int(d.Minutes())))
	case d < 48*time.Hour:
		return fmt.Sprintf(t["console_wait_hours"], int(d.Hours()))
	}
	return fmt.Sprintf(t["console_wait_days"], int(d.Hours()/24))
}

// consoleItemStatus is an item's state in plain words for staff.
func consoleItemStatus(t map[string]string, st undox.ItemStatus) string {
	if v := t["console_item_"+string(st)]; v != "" {
		return v
	}
	return string(st)
}

// consoleCategory is a category's name for staff.
func consoleCategory(t map[string]string, code string) string {
	if v := t["console_cat_"+code]; v != "" {
		return v
	}
	return code
}

// The queue.

// consoleQueueRow is one item of the queue as a row shows it.
type consoleQueueRow struct {
	*undox.Item
	StatusText, Waiting, Reports string
}

type queuePage struct {
	*consolePage
	Filter undox.ItemFilter
	Minor  string
	// Status is the status filter as chosen: "" for the items that wait
	// for an analyst, "all", or one state.
	Status     string
	Statuses   []choice
	Categories []choice
	MinorOpts  []choice
	Items      []consoleQueueRow
	// Next is the next page's address; First the first page's, when this
	// is a later one.
	Next, First string
	// Pending are four-eyes requests waiting for a second analyst.
	Pending  []consolePending
	CanAct   bool
	FourEyes map[string]bool
	Error    string
}

// queueCursor is the position after the last item of a page of the work
// queue (see parseQueueCursor).
func queueCursor(it *undox.Item) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("q:%d:%d:%d", it.Priority, it.Severity, it.ID)))
}

// consoleQueueStatuses are the states the queue filters on, in the order of the
// work.
var consoleQueueStatuses = []undox.ItemStatus{undox.ItemNew, undox.ItemCaptured, undox.ItemUnreachable, undox.ItemConfirmed,
	undox.ItemNotified, undox.ItemEscalated, undox.ItemReappeared, undox.ItemRemoved, undox.ItemReferred,
	undox.ItemRejected, undox.ItemClosed}

// consoleWorkStatuses are the states in which an item waits for an
// analyst, which the queue shows unless another filter is chosen
// (status=all shows every item). From the item lifecycle (lifecycle.go):
//
//   - captured: the evidence is in, someone decides (confirm, reject,
//     refer);
//   - unreachable: capture failed; someone decides whether to wait,
//     reject, refer or close;
//   - confirmed: its notice is prepared and waits for an analyst's
//     approval (or, for a web form, to be submitted by hand), or nobody
//     to notify was found;
//   - escalated: the recipient did not act in time; the ladder's steps
//     that are not automatic wait for an analyst;
//   - reappeared: removed content is back online.
//
// and notified items whose notice was answered with what an analyst
// decides on (disputed, not our customer, a reply by e-mail).
//
// The others wait for undox's jobs (new: being captured; notified:
// waiting for the recipient, re-checks and the ladder follow it; removed:
// re-checks watch it) or are finished (rejected, referred, closed).
var consoleWorkStatuses = []undox.ItemStatus{undox.ItemCaptured, undox.ItemUnreachable, undox.ItemConfirmed,
	undox.ItemEscalated, undox.ItemReappeared}

// consoleStatusAll is the status filter's value for every item.
const consoleStatusAll = "all"

// queuePage is the work queue: the most urgent first, filtered and
// searched, a page at a time, with a form for bulk actions.
func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	cs, err := s.console()
	if err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	p := &queuePage{consolePage: s.newConsolePage(w, r, a, "queue"), CanAct: a.Require(undox.PermActItems) == nil,
		FourEyes: map[string]bool{}}
	for _, act := range []string{undox.BulkConfirm, undox.BulkReject, undox.BulkClose} {
		p.FourEyes[act] = s.fourEyes(act)
	}
	q := r.URL.Query()
	f := undox.ItemFilter{Status: q.Get("status"), Category: q.Get("category"), Limit: 50}
	f.Query, err = undox.CheckText("q", strings.TrimSpace(q.Get("q")), 200)
	if err == nil {
		f.Host, err = undox.CheckText("host", strings.TrimSpace(q.Get("host")), 253)
	}
	if err == nil {
		f.AfterQueue, err = parseQueueCursor(q.Get("after"))
	}
	p.Status = f.Status
	switch {
	case f.Status == "":
		f.Statuses, f.Answered = consoleWorkStatuses, true
	case f.Status == consoleStatusAll:
		f.Status = ""
	case err == nil && !knownState(undox.ItemTransitions(), f.Status):
		err = undox.Invalid("status", "unknown item status %q", f.Status)
	}
	if _, ok := undox.LookupCategory(f.Category); err == nil && f.Category != "" && !ok {
		err = undox.Invalid("category", "unknown category %q", f.Category)
	}
	switch p.Minor = q.Get("minor"); p.Minor {
	case "yes", "no":
		b := p.Minor == "yes"
		f.Minor = &b
	default:
		p.Minor = ""
	}
	p.Filter = f
	t := p.T
	p.Statuses = append(p.Statuses, choice{consoleStatusAll, t["console_all"], p.Status == consoleStatusAll})
	for _, st := range consoleQueueStatuses {
		p.Statuses = append(p.Statuses, choice{string(st), consoleItemStatus(t, st), f.Status == string(st)})
	}
	for _, c := range undox.Categories() {
		p.Categories = append(p.Categories, choice{c.Code, consoleCategory(t, c.Code), f.Category == c.Code})
	}
	p.MinorOpts = []choice{{"yes", t["console_minor_only"], p.Minor == "yes"}, {"no", t["console_minor_none"], p.Minor == "no"}}
	code := http.StatusOK
	if err != nil {
		p.Error, code = t["console_err_filter"], http.StatusBadRequest
		s.renderConsole(w, code, "staff_queue.html", p)
		return
	}
	items, err := cs.QueueItems(r.Context(), a, f)
	if err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	now := s.consoleNow()
	for _, it := range items {
		p.Items = append(p.Items, consoleQueueRow{Item: it, StatusText: consoleItemStatus(t, it.Status),
			Waiting: consoleWaiting(t, now.Sub(it.CreatedAt)), Reports: consoleNumber(p.Lang, it.ReportCount)})
	}
	keep := url.Values{}
	for _, k := range []string{"q", "status", "host", "category", "minor"} {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	if len(items) == f.Limit {
		next := url.Values{}
		for k, v := range keep {
			next[k] = v
		}
		next.Set("after", queueCursor(items[len(items)-1]))
		p.Next = "/queue?" + next.Encode()
	}
	if f.AfterQueue != nil {
		p.First = "/queue"
		if len(keep) > 0 {
			p.First += "?" + keep.Encode()
		}
	}
	pending, err := cs.PendingActions(r.Context(), a, undox.PendingFilter{Status: undox.PendingOpen, Limit: 100})
	if err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	p.Pending = consolePendings(p.Lang, t, pending)
	s.renderConsole(w, code, "staff_queue.html", p)
}

// consolePending is a four-eyes request as the pages list it.
type consolePending struct {
	*undox.PendingAction
	What, When string
	Decided    string // when it was decided; empty while it waits
}

func consolePendings(lang string, t map[string]string, ps []*undox.PendingAction) []consolePending {
	var out []consolePending
	for _, pa := range ps {
		what := t["console_action_"+pa.Action]
		if what == "" {
			what = pa.Action
		}
		what = fmt.Sprintf(t["console_pending_"+pa.Object], what, pa.ObjectID)
		cp := consolePending{PendingAction: pa, What: what, When: formatDate(lang, pa.CreatedAt)}
		if pa.DecidedAt != nil {
			cp.Decided = formatDate(lang, *pa.DecidedAt)
		}
		out = append(out, cp)
	}
	return out
}
