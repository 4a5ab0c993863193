package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/secret"
)

// MaxReportBytes bounds the body of one public report.
const MaxReportBytes = 1 << 20

// requireContentType checks the request's media type against the allowed.
func requireContentType(r *http.Request, allowed ...string) (string, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil {
		for _, a := range allowed {
			if mt == a {
				return mt, nil
			}
		}
	}
	return "", undox.Errorf(undox.EUNSUPPORTED, "send %s (Content-Type was %q)", strings.Join(allowed, " or "), r.Header.Get("Content-Type"))
}

// unwrapWriter returns the server's own ResponseWriter beneath wrappers
// such as the recorder: http.MaxBytesReader tells only that one to close the
// connection after a body that was too large.
func unwrapWriter(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// limitedBody remembers that a body hit its limit, since importers report
// read errors as where the input stopped instead of returning them.
type limitedBody struct {
	r        io.Reader
	tooLarge bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		b.tooLarge = true
	}
	return n, err
}

// readBody reads at most max bytes of the body, within 30 seconds: a client
// that drips its body cannot hold a connection.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(30 * time.Second))
	b, err := io.ReadAll(http.MaxBytesReader(unwrapWriter(w), r.Body, max))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, undox.Errorf(undox.ETOOLARGE, "the request body is larger than %d bytes", max)
	}
	if err != nil {
		return nil, undox.Invalid("body", "the request body could not be read")
	}
	return b, nil
}

// decodeJSON decodes exactly one JSON object, refusing unknown fields, so
// that a typo is an error and not a silently dropped field.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field == "":
			return undox.Invalid("body", "the body must be a JSON object")
		case errors.As(err, &te):
			return undox.Invalid(te.Field, "%s must be %s", te.Field, jsonType(te.Type.Kind()))
		case errors.As(err, &se):
			return undox.Invalid("body", "malformed JSON at byte %d", se.Offset)
		case errors.Is(err, io.EOF):
			return undox.Invalid("body", "the request body is empty")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return undox.Invalid(f, "unknown field %q", f)
		}
		return undox.Invalid("body", "malformed JSON: %v", err)
	}
	if dec.More() {
		return undox.Invalid("body", "the body holds more than one JSON value")
	}
	return nil
}

// jsonType names a Go kind as JSON calls it.
func jsonType(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a number"
}

// overLimit tells whether the client's address sent too many public
// requests lately; the answer then says when to try again.
func (s *Server) overLimit(w http.ResponseWriter, r *http.Request) bool {
	if s.limiter == nil || s.limiter.allow(clientKey(r, s.TrustedProxies)) {
		return false
	}
	w.Header().Set("Retry-After", "60")
	return true
}

// publicJSON reads a JSON request of the public (no account) into v,
// within the rate limit of the client's address (what names the requests
// when it refuses) and MaxReportBytes. It answers a problem itself and
// returns false; else it returns the body.
func (s *Server) publicJSON(w http.ResponseWriter, r *http.Request, what string, v any) ([]byte, bool) {
	if s.overLimit(w, r) {
		s.fail(w, r, undox.Errorf(undox.ERATELIMIT, "too many %s from this address; try again in a minute", what))
		return nil, false
	}
	_, err := requireContentType(r, "application/json")
	var body []byte
	if err == nil {
		body, err = readBody(w, r, MaxReportBytes)
	}
	if err == nil {
		err = decodeJSON(body, v)
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return body, true
}

// createReport is the public intake: one report, one case.
func (s *Server) createReport(w http.ResponseWriter, r *http.Request) {
	// A public report has every field of undox.Report but external_ref,
	// which only imports carry.
	var in struct {
		URLs          []string `json:"urls"`
		Category      string   `json:"category"`
		Description   string   `json:"description"`
		IsMinor       bool     `json:"is_minor"`
		ReporterEmail string   `json:"reporter_email"`
		Language      string   `json:"language"`
		Consent       bool     `json:"consent"`
	}
	body, ok := s.publicJSON(w, r, "reports", &in)
	if !ok {
		return
	}
	rep := undox.Report{URLs: in.URLs, Category: in.Category, Description: in.Description, IsMinor: in.IsMinor,
		ReporterEmail: in.ReporterEmail, Language: in.Language, Consent: in.Consent}
	var idem *undox.Idempotency
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if len(key) > 255 || strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			s.fail(w, r, undox.Invalid("Idempotency-Key", "the Idempotency-Key must be 1 to 255 printable ASCII characters"))
			return
		}
		sum := sha256.Sum256(body)
		idem = &undox.Idempotency{Key: key, RequestHash: sum[:]}
	}
	rcpt, err := s.Intake.Submit(r.Context(), undox.Public, intake.Submission{Report: rep, Idempotency: idem})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rcpt.Duplicate {
		w.Header().Set("Idempotent-Replayed", "true")
	} else if s.Intake.Receipts != nil && !s.Intake.MailReceipt(r.Context(), rep, rcpt) && rep.ReporterEmail != "" && rep.Consent {
		// As from the form: the link is mailed once to a reporter who
		// gave an address and consent; the answer holds it anyway.
		s.log.Warn("a receipt could not be e-mailed", "case", rcpt.CaseRef)
	}
	writeJSON(w, http.StatusCreated, rcpt)
}

// victimItem is what a reporter sees of an item: its URL and progress.
type victimItem struct {
	URL    string `json:"url"`
	Status string `json:"status"`
	Stage  string `json:"stage"`
	// Deadline is when undox asked for the page to be gone by, while it
	// waits for that.
	Deadline *time.Time `json:"deadline,omitempty"`
}

type victimView struct {
	Case      string       `json:"case"`
	Status    string       `json:"status"`
	CreatedAt time.Time    `json:"created_at"`
	Items     []victimItem `json:"items"`
	// Timeline is what undox did, as the status page tells it.
	Timeline []undox.TimelineEntry `json:"timeline,omitempty"`
}

func (s *Server) victimCase(r *http.Request) (*undox.Case, error) {
	token := r.PathValue("token")
	if len(token) < 20 || len(token) > 100 {
		return nil, undox.Errorf(undox.ENOTFOUND, "this status link is not valid")
	}
	c, err := s.Store.CaseByStatusToken(r.Context(), secret.Hash(token))
	if undox.ErrorCode(err) == undox.ENOTFOUND {
		return nil, undox.Errorf(undox.ENOTFOUND, "this status link is not valid (any more)")
	}
	return c, err
}

func toVictimView(c *undox.Case) victimView {
	v := victimView{Case: c.Ref, Status: string(c.Status), CreatedAt: c.CreatedAt.UTC()}
	for _, it := range c.Items {
		v.Items = append(v.Items, victimItem{URL: it.URL, Status: string(it.Status), Stage: plainStatus(string(it.Status)), Deadline: itemDeadline(it)})
	}
	return v
}

// status is the reporter's own view of the case, by private link.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	c, err := s.victimCase(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := toVictimView(c)
	if v.Timeline, err = s.Store.Timeline(r.Context(), c.Ref); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// withdraw lets the reporter withdraw the case; retention erases it.
func (s *Server) withdraw(w http.ResponseWriter, r *http.Request) {
	c, err := s.victimCase(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err = s.Store.CaseEvent(r.Context(), undox.Public, c.Ref, undox.ActionWithdraw, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toVictimView(c))
}

// plainStatus says in plain words what an item's state means for the
// person who reported it.
func plainStatus(st string) string {
	switch undox.ItemStatus(st) {
	case undox.ItemNew:
		return "We received this link and will look at it soon."
	case undox.ItemCaptured:
		return "We are checking this link."
	case undox.ItemUnreachable:
		return "We could not open this page. It may be offline already, or only visible after logging in. We try again and a member of staff will look at it."
	case undox.ItemConfirmed:
		return "We checked it. We will ask the company that hosts it to take it down."
	case undox.ItemNotified:
		return "We asked the company that hosts it to take it down. We are waiting for them."
	case undox.ItemEscalated:
		return "The company did not act in time. We have asked others who can take it down."
	case undox.ItemRemoved:
		return "It is offline. We keep checking that it stays offline."
	case undox.ItemReappeared:
		return "It came back online. We have asked again for it to be taken down."
	case undox.ItemReferred:
		return "We passed this on to the authority that handles this kind of content."
	case undox.ItemRejected:
		return "We looked at it and could not act on it."
	case undox.ItemClosed:
		return "We have finished with this link."
	}
	return st
}

// Staff endpoints.

// withRef checks the case reference in the path before h sees it: a
// malformed one names no case.
func (s *Server) withRef(h func(http.ResponseWriter, *http.Request, undox.Actor, string)) func(http.ResponseWriter, *http.Request, undox.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a undox.Actor) {
		ref := r.PathValue("ref")
		if err := undox.CheckRef(ref); err != nil {
			s.fail(w, r, err)
			return
		}
		h(w, r, a, ref)
	}
}

func cursor(id int64) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
	return &s
}

func parseCursor(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err == nil {
		if id, err := strconv.ParseInt(string(b), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, undox.Invalid("after", "not a cursor given by a previous page")
}

func parseLimit(v string) (int, error) {
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 500 {
		return 0, undox.Invalid("limit", "limit must be a number from 1 to 500")
	}
	return n, nil
}

// parsePage reads a list's page: the cursor after which it starts and
// how many it holds.
func parsePage(q url.Values) (after int64, limit int, err error) {
	if after, err = parseCursor(q.Get("after")); err != nil {
		return 0, 0, err
	}
	limit, err = parseLimit(q.Get("limit"))
	return after, limit, err
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	q := r.URL.Query()
	f := undox.CaseFilter{Status: q.Get("status"), Category: q.Get("category")}
	var err error
	if f.Query, err = undox.CheckText("q", q.Get("q"), 200); err == nil {
		f.After, f.Limit, err = parsePage(q)
	}
	if err == nil && f.Status != "" && !knownState(undox.CaseTransitions(), f.Status) {
		err = undox.Invalid("status", "unknown case status %q", f.Status)
	}
	if _, ok := undox.LookupCategory(f.Category); err == nil && f.Category != "" && !ok {
		err = undox.Invalid("category", "unknown category %q", f.Category)
	}
	if v := q.Get("minor"); err == nil && v != "" {
		b, perr := strconv.ParseBool(v)
		if perr != nil {
			err = undox.Invalid("minor", "minor must be true or false")
		}
		f.Minor = &b
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cases, err := s.Store.Cases(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writePage(w, "cases", cases, f.Limit, func(c *undox.Case) int64 { return c.ID })
}

// writePage answers one page of a list, {"<key>": [...], "next": cursor}:
// next is null when the page is not full (there is nothing after it).
func writePage[T any](w http.ResponseWriter, key string, list []T, limit int, id func(T) int64) {
	if list == nil {
		list = []T{}
	}
	var next *string
	if len(list) == limit {
		next = cursor(id(list[len(list)-1]))
	}
	writeJSON(w, http.StatusOK, map[string]any{key: list, "next": next})
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	c, err := s.Store.Case(r.Context(), a, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) caseAudit(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	if _, err := s.Store.Case(r.Context(), a, ref); err != nil {
		s.fail(w, r, err)
		return
	}
	// The case's trail: its entries, its items' and their notices'
	// (and its captures'); ?reads=false leaves out the readings.
	reads := true
	switch r.URL.Query().Get("reads") {
	case "", "true":
	case "false":
		reads = false
	default:
		s.fail(w, r, undox.Invalid("reads", "reads is true or false"))
		return
	}
	entries, err := s.Store.CaseAuditEntries(r.Context(), ref, reads)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}

type actionBody struct {
	Reason string `json:"reason"`
}

// readAction reads the optional {"reason": "…"} of an action.
func readAction(w http.ResponseWriter, r *http.Request) (string, error) {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return "", nil
	}
	if _, err := requireContentType(r, "application/json"); err != nil {
		return "", err
	}
	b, err := readBody(w, r, 64<<10)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return "", err
	}
	var body actionBody
	if err := decodeJSON(b, &body); err != nil {
		return "", err
	}
	return undox.CheckText("reason", body.Reason, 2000)
}

func (s *Server) caseAction(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	reason, err := readAction(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev := undox.Event(r.PathValue("action"))
	if ev == undox.ActionWithdraw {
		s.fail(w, r, undox.Errorf(undox.EFORBIDDEN, "only the reporter can withdraw a case, through the status link"))
		return
	}
	if s.fourEyes(string(ev)) {
		s.requestAction(w, r, a, undox.PendingAction{Action: string(ev), Object: "case", ObjectID: ref, CaseRef: ref, Reason: reason})
		return
	}
	c, err := s.Store.CaseEvent(r.Context(), a, ref, ev, reason)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) setHold(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	reason, err := readAction(w, r)
	if err == nil && reason == "" {
		err = undox.Invalid("reason", "say why the case is held (such as the police report it was exported for)")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Store.SetLegalHold(r.Context(), a, ref, reason)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) liftHold(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	c, err := s.Store.SetLegalHold(r.Context(), a, ref, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// rotateToken gives the case a new private status link; the old one stops
// working (for a link that leaked to the person who doxed the victim). It
// needs cases:erase: whoever holds the new link can withdraw, and so erase,
// the case.
func (s *Server) rotateToken(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	token, err := secret.Token(32)
	if err == nil {
		err = s.Store.RotateStatusToken(r.Context(), a, ref, secret.Hash(token))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"case": ref,
		"status_url": strings.TrimRight(s.Intake.PublicURL, "/") + intake.StatusPath(token)})
}

func (s *Server) listItems(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	q := r.URL.Query()
	f := undox.ItemFilter{Status: q.Get("status")}
	var err error
	switch q.Get("order") {
	case "", "newest":
	case "queue":
		f.Queue = true
	default:
		err = undox.Invalid("order", "order is newest or queue")
	}
	if err == nil {
		f.Host, err = undox.CheckText("host", q.Get("host"), 253)
	}
	if err == nil && f.Queue {
		f.AfterQueue, err = parseQueueCursor(q.Get("after"))
	} else if err == nil {
		f.After, err = parseCursor(q.Get("after"))
	}
	if err == nil {
		f.Limit, err = parseLimit(q.Get("limit"))
	}
	if err == nil && f.Status != "" && !knownState(undox.ItemTransitions(), f.Status) {
		err = undox.Invalid("status", "unknown item status %q", f.Status)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.Store.Items(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if f.Queue {
		var next *string
		if len(items) == f.Limit {
			c := queueCursor(items[len(items)-1])
			next = &c
		}
		if items == nil {
			items = []*undox.Item{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": next})
		return
	}
	writePage(w, "items", items, f.Limit, func(it *undox.Item) int64 { return it.ID })
}

// parseQueueCursor reads the cursor of a page of the work queue.
func parseQueueCursor(v string) (*undox.QueuePosition, error) {
	if v == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	var p undox.QueuePosition
	if err == nil {
		if n, _ := fmt.Sscanf(string(b), "q:%d:%d:%d", &p.Priority, &p.Severity, &p.ID); n == 3 && p.ID > 0 {
			return &p, nil
		}
	}
	return nil, undox.Invalid("after", "not a cursor given by a previous page")
}

func itemID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, undox.Errorf(undox.ENOTFOUND, "item not found")
	}
	return id, nil
}

type itemDetail struct {
	*undox.Item
	History   []undox.ItemStepRecord `json:"history"`
	Referrals []string               `json:"referrals"`
}

func (s *Server) itemDetail(r *http.Request, it *undox.Item) (itemDetail, error) {
	d := itemDetail{Item: it, History: []undox.ItemStepRecord{}, Referrals: []string{}}
	h, err := s.Store.ItemHistory(r.Context(), it.ID)
	if err != nil {
		return d, err
	}
	refs, err := s.Store.Referrals(r.Context(), it.ID)
	if err != nil {
		return d, err
	}
	if h != nil {
		d.History = h
	}
	if refs != nil {
		d.Referrals = refs
	}
	return d, nil
}

func (s *Server) getItem(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := itemID(r)
	var it *undox.Item
	if err == nil {
		it, err = s.Store.Item(r.Context(), a, id)
	}
	s.writeItem(w, r, it, err)
}

// writeItem answers an item with its history and referrals, or err.
func (s *Server) writeItem(w http.ResponseWriter, r *http.Request, it *undox.Item, err error) {
	var d itemDetail
	if err == nil {
		d, err = s.itemDetail(r, it)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) itemAction(w http.ResponseWriter, r *http.Request, a undox.Actor) {
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
	ev := undox.Event(r.PathValue("action"))
	if ev == undox.ActionReject && reason == "" {
		s.fail(w, r, undox.Invalid("reason", "a rejection needs a reason"))
		return
	}
	if s.fourEyes(string(ev)) {
		s.requestAction(w, r, a, undox.PendingAction{Action: string(ev), Object: "item", ObjectID: strconv.FormatInt(id, 10), Reason: reason})
		return
	}
	it, err := s.Store.ItemEvent(r.Context(), a, id, ev, reason)
	s.writeItem(w, r, it, err)
}

func (s *Server) failedJobs(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	limit, err := parseLimit(r.URL.Query().Get("limit"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	jobs, err := s.Jobs.FailedJobs(r.Context(), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if jobs == nil {
		writeJSON(w, http.StatusOK, map[string]any{"jobs": []any{}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": jobs})
}

func (s *Server) categories(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"categories": undox.Categories()})
}

func (s *Server) lifecycle(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"item": undox.ItemTransitions(), "case": undox.CaseTransitions()})
}

// checkpoint hands out the latest signed checkpoint of the audit log and
// the key that verifies it, so that outsiders can keep copies.
func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := s.Store.LatestCheckpoint(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if cp == nil {
		s.fail(w, r, undox.Errorf(undox.ENOTFOUND, "no checkpoint has been signed yet"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tree_size": cp.TreeSize, "root_hash": cp.Root,
		"note": cp.Note, "verifier_key": s.VerifierKey, "created_at": cp.CreatedAt})
}

// createImport streams a partner's bulk import: rows are read, stored and
// answered one by one, so thousands of URLs go in one request.
func (s *Server) createImport(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	mt, err := requireContentType(r, "text/csv", "application/json", "application/x-ndjson")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	format := "json"
	if mt == "text/csv" {
		format = "csv"
	}
	// A bulk import may take a while, but not for ever.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(30 * time.Minute))
	body := &limitedBody{r: http.MaxBytesReader(unwrapWriter(w), r.Body, s.MaxImportBytes)}
	partner := a.Name
	enc := json.NewEncoder(w)
	started := false
	start := func() {
		if !started {
			started = true
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `{"results":[`)
		}
	}
	n := 0
	flusher, _ := w.(http.Flusher)
	rc.EnableFullDuplex()
	sum, err := s.Intake.Import(r.Context(), a, partner, format, body, func(res intake.RowResult) error {
		start()
		if n > 0 {
			io.WriteString(w, ",")
		}
		n++
		if err := enc.Encode(res); err != nil {
			return err
		}
		if flusher != nil && n%100 == 0 {
			flusher.Flush()
		}
		return nil
	})
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || body.tooLarge {
		if !started {
			s.fail(w, r, undox.Errorf(undox.ETOOLARGE, "the import is larger than %d bytes", s.MaxImportBytes))
			return
		}
		sum.Stopped = fmt.Sprintf("the import is larger than %d bytes; the rest was not read", s.MaxImportBytes)
		err = nil
	}
	if err != nil && !started {
		s.fail(w, r, err)
		return
	}
	start()
	if err != nil {
		s.log.Error("import broke off", "err", err, "rows", sum.Rows)
		sum.Stopped = "an internal error stopped the import; rows above were processed"
	}
	io.WriteString(w, `],"summary":`)
	enc.Encode(sum)
	io.WriteString(w, "}\n")
}

// knownState tells whether s is a state of the lifecycle table.
func knownState(table []undox.Transition, s string) bool {
	for _, t := range table {
		if t.From == s || t.To == s {
			return true
		}
	}
	return false
}
