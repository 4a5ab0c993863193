package web

// The case page of the console: the case and, for each of its items, the
// evidence (pictures from a session-protected route, the extracted text
// with the personal data found in it highlighted), the trace chain and the
// recipients chosen, notices and their answers, re-checks and the item's
// history; the case's timeline, and its audit trail for the roles that
// may read it. Reading the case is audited by the store ("case.read", and
// each evidence file that is shown).
//
// Captured markup is never rendered: the text is the extracted text,
// always escaped by html/template, and the page itself is a download.
// Pictures of a minor's case are blurred unless an analyst reveals one
// with a form post; the reveal is a short-lived grant for that analyst and
// that picture, and serving it unblurred is audited ("capture.reveal").

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
)

// consoleMaxText bounds the extracted text shown on the case page; the rest
// is in the evidence bundle.
const consoleMaxText = 256 << 10

// consoleMaxPictures bounds the pictures shown per capture.
const consoleMaxPictures = 12

// consoleRevealTTL is how long a reveal grant lasts.
const consoleRevealTTL = 15 * time.Minute

// consoleInlineImages are the picture types served for an <img>: raster formats
// only (an SVG can carry script).
var consoleInlineImages = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

type textSegment struct {
	Text, Kind string
	Mark       bool
}

type evidencePicture struct {
	Src, Alt, SHA string
	CaptureID     int64
	Blurred       bool
	// Revealable: blurred, and the reader may reveal it.
	Revealable bool
}

type pdKindCount struct {
	Name string
	N    int
}

type consoleEvidence struct {
	CaptureID          int64
	Fetched            string
	HTTPStatus         int
	ErrorCode          string
	Pictures           []evidencePicture
	Download, Headers  string
	Text               []textSegment
	TextNote           string
	Kinds              []pdKindCount
	Level              string
	Reasons            []string
	Minor, NoPersonals bool
}

type consoleRecipient struct {
	Role, Organisation, Channel, Address, Source, Confidence string
	Notify, Chosen                                           bool
}

type consoleAddress struct {
	IP, Network, Org, Country, AS string
	CDN                           bool
}

type consoleTrace struct {
	ID                        int64
	When, Domain, Registrable string
	CNAME                     []string
	Addresses                 []consoleAddress
	CDN, Registrar, Registry  string
	Recipients                []consoleRecipient
	Errors                    []string
}

type consoleResponseRow struct {
	Kind, Detail, Until, Other, When, Source string
}

type consoleNoticeRow struct {
	*undox.Notice
	StatusText, RoleText, Created, Sent, Deadline string
	Overdue, CanApprove, CanEdit, FourEyes        bool
	// CanSubmit: a manual notice (a web form or an API) whose text staff
	// submit there themselves, then record here.
	CanSubmit bool
	Responses []consoleResponseRow
	// Shown is the notice's text as it is or was sent: the stored text
	// once rendered; before that (prepared, approved) a preview rendered
	// as sending would, with Preview set. ShownNote says why there is no
	// text to show.
	Shown     *consoleNoticeText
	Preview   bool
	ShownNote string
}

// consoleNoticeText is a notice's text: always shown as text, never as
// HTML.
type consoleNoticeText struct {
	To, Subject, Body string
}

type consoleCheckRow struct {
	When, Outcome, Reason, Detail string
	HTTPStatus                    int
}

type itemHistoryRow struct {
	When, Event, From, To, Actor, Reason string
}

type consoleAction struct {
	Value, Label string
	FourEyes     bool
}

type consoleItem struct {
	*undox.Item
	StatusText, Category, Created, Waiting string
	Actions                                []consoleAction
	CanRecheck                             bool
	Evidence                               *consoleEvidence
	Trace                                  *consoleTrace
	Notices                                []consoleNoticeRow
	Checks                                 []consoleCheckRow
	History                                []itemHistoryRow
}

type consoleTimelineRow struct {
	When, Text string
}

type consoleAuditRow struct {
	When, Actor, Action, Object, Detail string
}

// caseContactForm is what was typed into the contact form and what is wrong
// with it.
type caseContactForm struct {
	Item                                                             int64
	Scope, Key, Role, Name, Email, WebForm, Language, Country, Notes string
	Platform                                                         bool
	Errors                                                           map[string]string
}

type casePageData struct {
	*consolePage
	Case                                         *undox.Case
	Category, Handling, Status, Created, Updated string
	// Source is where the report came from, in words.
	Source           string
	Items            []*consoleItem
	Timeline         []consoleTimelineRow
	Audit            []consoleAuditRow
	Pending, Decided []consolePending
	// Links are the pending suggestions of pages for this case (the
	// watch's, and copies of its confirmed pages).
	Links                                     []consoleLink
	CanAct, CanActCase, CanContacts, CanAudit bool
	CaseOpen, CloseFourEyes                   bool
	// Erased: the case's personal data is destroyed; the page says so
	// instead of what it was (whether the reporter wanted e-mail).
	Erased bool
	// AuditReads: the audit trail shows the entries that only record a
	// reading too (?audit=all); by default it shows changes.
	AuditReads    bool
	Scopes, Roles []choice
	Contact       caseContactForm
}

// consoleLink is a pending link suggestion as the case page shows it.
type consoleLink struct {
	ID  int64
	URL string
	// Why: the copy of a confirmed page, or the kinds of identifiers of a
	// protected person the page shows.
	Why     string
	Created string
}

func consoleLinks(lang string, t map[string]string, ls []*undox.LinkSuggestion) []consoleLink {
	var out []consoleLink
	for _, l := range ls {
		if l.Status != "pending" {
			continue
		}
		cl := consoleLink{ID: l.ID, URL: l.URL, Created: formatDate(lang, l.CreatedAt)}
		var why []string
		for _, k := range l.Kinds {
			switch {
			case k == undox.LinkKindMirror:
				why = append(why, t["console_link_mirror"])
			case t["console_pd_"+k] != "":
				why = append(why, t["console_link_matched"]+" "+t["console_pd_"+k])
			case k != "":
				why = append(why, t["console_link_matched"]+" "+k)
			}
		}
		cl.Why = strings.Join(why, "; ")
		out = append(out, cl)
	}
	return out
}

// casePage shows a case to staff.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	s.showCase(w, r, a, http.StatusOK, nil)
}

// showCase renders the case page; contact, when given, is the contact
// form as it was sent (with its errors).
func (s *Server) showCase(w http.ResponseWriter, r *http.Request, a undox.Actor, code int, contact *caseContactForm) {
	ref := r.PathValue("ref")
	cs, err := s.console()
	if err == nil {
		err = undox.CheckRef(ref)
	}
	var c *undox.Case
	if err == nil {
		c, err = s.Store.Case(r.Context(), a, ref) // audited: case.read
	}
	if err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	ctx := r.Context()
	p := &casePageData{consolePage: s.newConsolePage(w, r, a, "queue"), Case: c,
		CanAct: a.Require(undox.PermActItems) == nil, CanActCase: a.Require(undox.PermActCases) == nil,
		CanContacts: a.Require(undox.PermContacts) == nil, CanAudit: a.Require(undox.PermReadAudit) == nil,
		CaseOpen: c.Status == undox.CaseOpen, CloseFourEyes: s.fourEyes(undox.FourEyesClose),
		Erased: c.Status == undox.CaseErased || c.ErasedAt != nil}
	t, lang := p.T, p.Lang
	p.Category, p.Handling = consoleCategory(t, c.Category), consoleCategory(t, c.Handling)
	p.Status = t["console_case_"+string(c.Status)]
	p.Source = c.Source
	if c.Source == "public" {
		p.Source = t["console_source_public"]
	} else if name, ok := strings.CutPrefix(c.Source, "import:"); ok {
		p.Source = fmt.Sprintf(t["console_source_import"], name)
	}
	p.Created, p.Updated = formatDate(lang, c.CreatedAt), formatDate(lang, c.UpdatedAt)
	grant := s.revealGrant(r, a)
	now := s.consoleNow()
	for _, it := range c.Items {
		ci := &consoleItem{Item: it, StatusText: consoleItemStatus(t, it.Status), Category: consoleCategory(t, it.Category),
			Created: formatDate(lang, it.CreatedAt), Waiting: consoleWaiting(t, now.Sub(it.CreatedAt))}
		for _, act := range []string{undox.FourEyesConfirm, undox.FourEyesReject, undox.FourEyesEscalate, undox.FourEyesClose} {
			if _, err := undox.ItemStep(it.Status, undox.Event(act), false); err == nil {
				ci.Actions = append(ci.Actions, consoleAction{Value: act, Label: t["console_action_"+act], FourEyes: s.fourEyes(act)})
			}
		}
		switch it.Status {
		case undox.ItemNotified, undox.ItemEscalated, undox.ItemRemoved, undox.ItemReappeared:
			ci.CanRecheck = true
		}
		if err := s.itemEvidence(r, a, c, ci, grant, lang, t); err != nil {
			s.consoleError(w, r, a, err)
			return
		}
		if err := s.itemProcedure(r, a, cs, ci, lang, t, now); err != nil {
			s.consoleError(w, r, a, err)
			return
		}
		p.Items = append(p.Items, ci)
	}
	p.Timeline = append(p.Timeline, consoleTimelineRow{When: formatDate(lang, c.CreatedAt), Text: t["console_timeline_reported"]})
	entries, err := s.Store.Timeline(ctx, c.Ref)
	if err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	for _, e := range entries {
		text := e.Text
		if tt := undox.TimelineText(lang, e.Milestone); tt != "" && e.Language != lang && e.Milestone != undox.MilestoneClosed {
			text = tt
		}
		p.Timeline = append(p.Timeline, consoleTimelineRow{When: formatDate(lang, e.CreatedAt), Text: text})
	}
	// The case's requests in one read (reading them is audited): those
	// that wait, and what was decided, the latest first: who approved,
	// declined or withdrew, and why a request was declined.
	all, err := cs.PendingActions(ctx, a, undox.PendingFilter{CaseRef: c.Ref, Limit: 500})
	if err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	var pending, decided []*undox.PendingAction
	for i := len(all) - 1; i >= 0; i-- {
		switch {
		case all[i].Status == undox.PendingOpen:
			pending = append(pending, all[i])
		case len(decided) < 20:
			decided = append(decided, all[i])
		}
	}
	slices.Reverse(pending) // oldest first, as in the queue
	p.Pending = consolePendings(lang, t, pending)
	p.Decided = consolePendings(lang, t, decided)
	if !p.Erased {
		links, err := s.Store.LinkSuggestions(ctx, a, c.Ref) // audited: link.list
		if err != nil {
			s.consoleError(w, r, a, err)
			return
		}
		p.Links = consoleLinks(lang, t, links)
	}
	if p.CanAudit {
		p.AuditReads = r.URL.Query().Get("audit") == "all"
		if p.Audit, err = s.auditTrail(r, c, p.AuditReads, lang, t); err != nil {
			s.consoleError(w, r, a, err)
			return
		}
	}
	if contact != nil {
		p.Contact = *contact
	} else if len(c.Items) > 0 {
		p.Contact = caseContactForm{Item: c.Items[0].ID, Scope: string(undox.ScopeDomain), Key: c.Items[0].Host, Role: undox.RoleHost}
	}
	for _, sc := range []undox.ContactScope{undox.ScopeDomain, undox.ScopeNetwork, undox.ScopeASN, undox.ScopeOrg} {
		p.Scopes = append(p.Scopes, choice{string(sc), t["console_scope_"+string(sc)], p.Contact.Scope == string(sc)})
	}
	for _, role := range undox.RecipientRoles() {
		p.Roles = append(p.Roles, choice{role, t["console_role_"+role], p.Contact.Role == role})
	}
	s.renderConsole(w, code, "staff_case.html", p)
}

// itemEvidence fills the item's evidence: the case's latest capture of
// it, its pictures and its text with the findings highlighted.
func (s *Server) itemEvidence(r *http.Request, a undox.Actor, c *undox.Case, ci *consoleItem, grant *consoleReveal, lang string, t map[string]string) error {
	caps, err := s.Store.ItemCaptures(r.Context(), a, ci.ID) // audited: capture.list
	if err != nil {
		return err
	}
	var latest *undox.Capture
	for _, cp := range caps {
		if cp.CaseRef == c.Ref {
			latest = cp
		}
	}
	if latest == nil {
		return nil
	}
	ev := &consoleEvidence{CaptureID: latest.ID, Fetched: formatDate(lang, latest.FetchedAt), HTTPStatus: latest.HTTPStatus,
		ErrorCode: latest.ErrorCode, Minor: latest.IsMinor}
	ci.Evidence = ev
	fileURL := func(f undox.CaptureFile) string {
		return "/cases/" + c.Ref + "/files/" + strconv.FormatInt(latest.ID, 10) + "/" + f.SHA256
	}
	if c.Status == undox.CaseErased || c.ErasedAt != nil {
		ev.TextNote = t["console_text_erased"]
		return nil
	}
	canReveal := a.Require(undox.PermReveal) == nil
	var textFile *undox.CaptureFile
	for _, f := range latest.Files {
		switch {
		case f.Visual() && len(ev.Pictures) < consoleMaxPictures:
			pic := evidencePicture{Src: fileURL(f), SHA: f.SHA256, CaptureID: latest.ID, Alt: t["console_alt_"+f.Kind]}
			if latest.IsMinor {
				pic.Blurred = true
				if grant.allows(latest.ID, f.SHA256) {
					pic.Blurred = false
					pic.Src += "?reveal=" + grant.raw
				}
				pic.Revealable = pic.Blurred && canReveal
			}
			ev.Pictures = append(ev.Pictures, pic)
		case f.Kind == undox.FileBody:
			ev.Download = fileURL(f)
		case f.Kind == undox.FileHeaders:
			ev.Headers = fileURL(f)
		case f.Kind == undox.FileText:
			textFile = &f
		}
	}
	if textFile == nil {
		ev.TextNote = t["console_text_none"]
		return nil
	}
	text, truncated, err := s.readText(r, a, latest.ID, textFile.SHA256)
	switch {
	case undox.ErrorCode(err) == undox.EERASED:
		ev.TextNote = t["console_text_erased"]
		return nil
	case undox.ErrorCode(err) == undox.EUNAVAILABLE:
		ev.TextNote = t["console_text_unavailable"]
		return nil
	case err != nil:
		return err
	}
	if truncated {
		ev.TextNote = t["console_text_truncated"]
	}
	var spans []pdSpan
	if latest.Scan != nil {
		spans = consoleFindingSpans(text, latest.Scan.Findings, latest.Scan.Summary)
		ev.Kinds, ev.Level, ev.Reasons = consoleScanSummary(t, latest.Scan)
		ev.NoPersonals = len(ev.Kinds) == 0
	}
	ev.Text = highlightText(t, text, spans)
	return nil
}

// readText reads a capture's extracted text (audited as a file read), at
// most consoleMaxText bytes of it, cut at a character boundary.
func (s *Server) readText(r *http.Request, a undox.Actor, captureID int64, sha string) (string, bool, error) {
	if s.Blobs == nil {
		return "", false, undox.Errorf(undox.EUNAVAILABLE, "this instance has no evidence store")
	}
	c, file, key, err := s.Store.CaptureFile(r.Context(), a, captureID, sha, false)
	if err != nil {
		return "", false, err
	}
	rc, err := s.Blobs.Get(r.Context(), blob.Ref{Owner: c.CaseRef, SHA256: file.SHA256, Size: file.Size}, key)
	if err != nil {
		return "", false, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, consoleMaxText+1))
	if err != nil {
		return "", false, err
	}
	truncated := len(b) > consoleMaxText
	if truncated {
		b = b[:consoleMaxText]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), truncated, nil
}

// pdSpan is a stretch of the text to highlight: text[Start:End], found as
// Kind.
type pdSpan struct {
	Start, End int
	Kind       string
}

// consoleFindingSpans are the spans of a scan's findings and of the protected
// persons it matched, by their byte offsets. A finding whose offsets do not
// fit the text (an older scan, another text) is looked for by its value
// instead.
func consoleFindingSpans(text string, findings, summary json.RawMessage) []pdSpan {
	var fs []struct {
		Type  string `json:"type"`
		Start int    `json:"start"`
		End   int    `json:"end"`
		Value string `json:"value"`
	}
	_ = json.Unmarshal(findings, &fs)
	var sum struct {
		Matches []struct {
			Kind  string `json:"kind"`
			Start int    `json:"start"`
			End   int    `json:"end"`
		} `json:"matches"`
	}
	_ = json.Unmarshal(summary, &sum)
	fits := func(start, end int) bool {
		return start >= 0 && start < end && end <= len(text) && utf8.RuneStart(text[start]) &&
			(end == len(text) || utf8.RuneStart(text[end]))
	}
	var out []pdSpan
	for _, f := range fs {
		if fits(f.Start, f.End) {
			out = append(out, pdSpan{f.Start, f.End, f.Type})
			continue
		}
		if f.Value == "" {
			continue
		}
		for from := 0; from < len(text); {
			i := strings.Index(text[from:], f.Value)
			if i < 0 {
				break
			}
			out = append(out, pdSpan{from + i, from + i + len(f.Value), f.Type})
			from += i + len(f.Value)
		}
	}
	for _, m := range sum.Matches {
		if fits(m.Start, m.End) {
			out = append(out, pdSpan{m.Start, m.End, "person_" + m.Kind})
		}
	}
	// The earliest first, the longest of those that start together; a
	// span that overlaps one before it is left out.
	slices.SortFunc(out, func(a, b pdSpan) int {
		if c := cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		return cmp.Compare(b.End, a.End)
	})
	var kept []pdSpan
	for _, sp := range out {
		if len(kept) > 0 && sp.Start < kept[len(kept)-1].End {
			continue
		}
		kept = append(kept, sp)
	}
	return kept
}

// highlightText cuts the text into plain and marked segments.
func highlightText(t map[string]string, text string, spans []pdSpan) []textSegment {
	var out []textSegment
	at := 0
	for _, sp := range spans {
		if sp.Start > at {
			out = append(out, textSegment{Text: text[at:sp.Start]})
		}
		out = append(out, textSegment{Text: text[sp.Start:sp.End], Kind: personalKind(t, sp.Kind), Mark: true})
		at = sp.End
	}
	if at < len(text) {
		out = append(out, textSegment{Text: text[at:]})
	}
	return out
}

// personalKind names a kind of personal data.
func personalKind(t map[string]string, kind string) string {
	if strings.HasPrefix(kind, "person_") {
		k := strings.TrimPrefix(kind, "person_")
		name := t["console_pd_"+k]
		if name == "" {
			name = k
		}
		return fmt.Sprintf(t["console_pd_person"], name)
	}
	if v := t["console_pd_"+kind]; v != "" {
		return v
	}
	return kind
}

// consoleScanSummary is what the scan found, by kind, and its assessment.
func consoleScanSummary(t map[string]string, sc *undox.ScanResult) ([]pdKindCount, string, []string) {
	var sum struct {
		Kinds      map[string]int `json:"kinds"`
		Assessment struct {
			Level   string   `json:"level"`
			Reasons []string `json:"reasons"`
		} `json:"assessment"`
	}
	_ = json.Unmarshal(sc.Summary, &sum)
	var kinds []pdKindCount
	for k, n := range sum.Kinds {
		if n > 0 {
			kinds = append(kinds, pdKindCount{personalKind(t, k), n})
		}
	}
	slices.SortFunc(kinds, func(a, b pdKindCount) int { return cmp.Compare(a.Name, b.Name) })
	level := t["console_level_"+sum.Assessment.Level]
	var reasons []string
	for _, r := range sum.Assessment.Reasons {
		reasons = append(reasons, consoleReason(t, r))
	}
	return kinds, level, reasons
}

// consoleReasonFactors are the factors of a scan's assessment as package
// personal writes them ("home address: 1 address, 1 postcode"), by their
// key in the catalog.
var consoleReasonFactors = map[string]string{"home address": "home_address", "ID number": "id_number", "payment data": "payment",
	"phone number": "phone", "birth date": "birth_date", "school": "school", "contact": "contact", "other identifiers": "other",
	"photos": "photos", "minor": "minor", "protected person on the page": "protected",
	"protected person on the page, not doxed": "protected_not_doxed"}

// consoleReason writes one reason of a scan's assessment in the page's
// language; one it does not know is shown as it was stored.
func consoleReason(t map[string]string, r string) string {
	kinds := func(list string) string {
		parts := strings.Split(list, ", ")
		for i, p := range parts {
			if n, kind, ok := strings.Cut(p, " "); ok {
				if _, err := strconv.Atoi(n); err == nil {
					parts[i] = personalKind(t, kind) + " × " + n
					continue
				}
			}
			parts[i] = personalKind(t, p)
		}
		return strings.Join(parts, ", ")
	}
	if rest, ok := strings.CutPrefix(r, "doxes "); ok && strings.HasSuffix(rest, ")") {
		if who, list, ok := strings.Cut(strings.TrimSuffix(rest, ")"), " ("); ok {
			return fmt.Sprintf(t["console_reason_doxes"], who, kinds(list))
		}
	}
	label, rest, ok := strings.Cut(r, ": ")
	key := consoleReasonFactors[label]
	if !ok || key == "" {
		return r
	}
	switch key {
	case "minor":
		switch {
		case rest == "known minor":
			rest = t["console_reason_minor_known"]
		case strings.HasPrefix(rest, "age "):
			rest = fmt.Sprintf(t["console_reason_minor_age"], strings.TrimPrefix(rest, "age "))
		case strings.HasPrefix(rest, "born "):
			rest = fmt.Sprintf(t["console_reason_minor_born"], strings.TrimPrefix(rest, "born "))
		}
	case "protected", "protected_not_doxed", "photos":
	default:
		rest = kinds(rest)
	}
	return t["console_reason_"+key] + ": " + rest
}

// consoleCheckDetail writes what a re-check saw in the page's language,
// from the sentences package takedown stores (recheck.go); one it does
// not know (an error of the fetch) is shown as it was stored.
func consoleCheckDetail(t map[string]string, d string) string {
	const answers, notThere, redirects = "the page answers ", ", but the personal data of the original capture is no longer on it", "the page redirects to "
	switch {
	case d == "the content is still online":
		return t["console_check_detail_up"]
	case d == "the name no longer resolves (NXDOMAIN)":
		return t["console_check_detail_nxdomain"]
	case strings.HasPrefix(d, redirects):
		return fmt.Sprintf(t["console_check_detail_redirects"], strings.TrimPrefix(d, redirects))
	case strings.HasPrefix(d, answers) && strings.Contains(d, notThere):
		status, after, _ := strings.Cut(strings.TrimPrefix(d, answers), notThere)
		out := fmt.Sprintf(t["console_check_detail_changed"], status)
		if to, ok := strings.CutPrefix(after, " (after a redirect to "); ok {
			out += " " + fmt.Sprintf(t["console_check_detail_after_redirect"], strings.TrimSuffix(to, ")"))
		}
		return out
	case strings.HasPrefix(d, answers):
		status, _, _ := strings.Cut(strings.TrimPrefix(d, answers), " ")
		return fmt.Sprintf(t["console_check_detail_answers"], status)
	}
	return d
}

// itemProcedure fills the item's trace, notices, re-checks and history.
func (s *Server) itemProcedure(r *http.Request, a undox.Actor, cs consoleStore, ci *consoleItem, lang string, t map[string]string, now time.Time) error {
	ctx := r.Context()
	traces, err := s.Store.ItemTraces(ctx, a, ci.ID, 1)
	if err != nil {
		return err
	}
	notices, err := s.Store.Notices(ctx, a, ci.ID) // audited: notice.list
	if err != nil {
		return err
	}
	if len(traces) > 0 {
		ci.Trace = consoleTraceOf(lang, t, traces[0], notices)
	}
	canAct := a.Require(undox.PermActItems) == nil
	for _, n := range notices {
		row := consoleNoticeRow{Notice: n, StatusText: t["console_notice_"+string(n.Status)], RoleText: t["console_role_"+n.Role],
			Created: formatDate(lang, n.CreatedAt), FourEyes: s.fourEyes(undox.FourEyesApprove)}
		if row.StatusText == "" {
			row.StatusText = string(n.Status)
		}
		if n.SentAt != nil {
			row.Sent = formatDate(lang, *n.SentAt)
		}
		if n.Deadline != nil {
			row.Deadline = formatDate(lang, *n.Deadline)
			row.Overdue = now.After(*n.Deadline) && n.Status != undox.NoticeAnswered
		}
		row.CanApprove = canAct && n.Status == undox.NoticePrepared
		row.CanEdit = row.CanApprove && n.Channel == undox.ChannelEmail
		row.CanSubmit = canAct && n.Status == undox.NoticeManual
		s.noticeText(r, ci.Item, n, &row, t)
		for _, resp := range n.Responses {
			kind := t["console_resp_"+resp.Kind]
			if kind == "" {
				kind = resp.Kind
			}
			row.Responses = append(row.Responses, consoleResponseRow{Kind: kind, Detail: resp.Detail, Until: resp.Until,
				Other: resp.OtherParty, When: formatDate(lang, resp.CreatedAt), Source: resp.Source})
		}
		ci.Notices = append(ci.Notices, row)
	}
	checks, err := cs.Checks(ctx, a, ci.ID, 20) // audited: item.recheck.list
	if err != nil {
		return err
	}
	for _, ch := range checks {
		out := t["console_check_"+ch.Outcome]
		if out == "" {
			out = ch.Outcome
		}
		ci.Checks = append(ci.Checks, consoleCheckRow{When: formatDate(lang, ch.CheckedAt), Outcome: out,
			Reason: t["console_check_reason_"+ch.Reason], Detail: consoleCheckDetail(t, ch.Detail), HTTPStatus: ch.HTTPStatus})
	}
	hist, err := s.Store.ItemHistory(ctx, ci.ID)
	if err != nil {
		return err
	}
	for _, h := range hist {
		event := t["console_event_"+h.Event]
		if event == "" {
			event = h.Event
		}
		ci.History = append(ci.History, itemHistoryRow{When: formatDate(lang, h.At), Event: event,
			From: consoleItemStatus(t, undox.ItemStatus(h.From)), To: consoleItemStatus(t, undox.ItemStatus(h.To)), Actor: h.Actor, Reason: h.Reason})
	}
	return nil
}

// noticeText fills the text of a notice: what was sent (or, for a
// manual notice, is to be submitted) as stored; for one that is not
// rendered yet, what sending it would render now, by the same renderer as
// `undox notice preview`.
func (s *Server) noticeText(r *http.Request, it *undox.Item, n *undox.Notice, row *consoleNoticeRow, t map[string]string) {
	to := n.Recipient
	switch {
	case n.Address != "" && n.Channel == undox.ChannelEmail:
		to += " <" + n.Address + ">"
	case n.Address != "":
		to += " (" + n.Address + ")" // a web form or an API, not a mailbox
	}
	if n.Text != "" {
		row.Shown = &consoleNoticeText{To: to, Subject: n.Subject, Body: n.Text}
		return
	}
	switch n.Status {
	case undox.NoticePrepared, undox.NoticeApproved, undox.NoticeSending, undox.NoticeManual:
	default:
		return // canceled before it was rendered: there is no text
	}
	if s.Notices == nil {
		row.ShownNote = t["console_notice_text_later"]
		return
	}
	rn, err := s.Notices.PreviewNotice(r.Context(), it, n)
	if err != nil {
		s.log.Warn("a notice's preview", "notice", n.ID, "err", err)
		row.ShownNote = t["console_notice_text_unavailable"]
		return
	}
	row.Shown = &consoleNoticeText{To: to, Subject: rn.Subject, Body: rn.Text}
	row.Preview = true
}

// consoleTraceOf reads the part of a trace's answer that the page shows.
func consoleTraceOf(lang string, t map[string]string, tr *undox.Trace, notices []*undox.Notice) *consoleTrace {
	var ans struct {
		Domain            string   `json:"domain"`
		RegistrableDomain string   `json:"registrable_domain"`
		CNAMEChain        []string `json:"cname_chain"`
		Addresses         []struct {
			IP      string `json:"ip"`
			Org     string `json:"org"`
			Country string `json:"country"`
			ASN     *int64 `json:"asn"`
			AS      *struct {
				Name string `json:"name"`
			} `json:"as"`
			Network *struct {
				Name   string `json:"name"`
				Handle string `json:"handle"`
			} `json:"network"`
			CDN bool `json:"cdn"`
		} `json:"addresses"`
		CDN       *string `json:"cdn"`
		Registrar *struct {
			Name string `json:"name"`
		} `json:"registrar"`
		Registry *struct {
			Name string `json:"name"`
			TLD  string `json:"tld"`
		} `json:"registry"`
		Recipients []struct {
			Role, Organisation, Email, Source, Confidence string
			WebForm                                       string `json:"web_form"`
			API                                           string `json:"api"`
			Notify                                        bool
		} `json:"recipients"`
		Errors []struct {
			Lookup string `json:"lookup"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(tr.Answer, &ans)
	v := &consoleTrace{ID: tr.ID, When: formatDate(lang, tr.TracedAt), Domain: ans.Domain, Registrable: ans.RegistrableDomain, CNAME: ans.CNAMEChain}
	for _, ad := range ans.Addresses {
		av := consoleAddress{IP: ad.IP, Org: ad.Org, Country: ad.Country, CDN: ad.CDN}
		if ad.Network != nil {
			av.Network = strings.TrimSpace(ad.Network.Name + " " + ad.Network.Handle)
		}
		if ad.ASN != nil {
			av.AS = "AS" + strconv.FormatInt(*ad.ASN, 10)
			if ad.AS != nil && ad.AS.Name != "" {
				av.AS += " " + ad.AS.Name
			}
		}
		v.Addresses = append(v.Addresses, av)
	}
	if ans.CDN != nil {
		v.CDN = *ans.CDN
	}
	if ans.Registrar != nil {
		v.Registrar = ans.Registrar.Name
	}
	if ans.Registry != nil {
		v.Registry = strings.TrimSpace(ans.Registry.Name + " (." + ans.Registry.TLD + ")")
	}
	chosen := map[int]bool{}
	for _, n := range notices {
		if n.TraceID == tr.ID {
			chosen[n.RecipientIndex] = true
		}
	}
	for i, rc := range ans.Recipients {
		rv := consoleRecipient{Role: t["console_role_"+rc.Role], Organisation: rc.Organisation, Source: rc.Source,
			Confidence: rc.Confidence, Notify: rc.Notify, Chosen: chosen[i]}
		if rv.Role == "" {
			rv.Role = rc.Role
		}
		if c := t["console_level_"+rc.Confidence]; c != "" {
			rv.Confidence = c // high, medium, low
		}
		switch {
		case rc.Email != "":
			rv.Channel, rv.Address = t["console_channel_email"], rc.Email
		case rc.WebForm != "":
			rv.Channel, rv.Address = t["console_channel_web_form"], rc.WebForm
		case rc.API != "":
			rv.Channel, rv.Address = t["console_channel_api"], rc.API
		}
		v.Recipients = append(v.Recipients, rv)
	}
	for _, e := range ans.Errors {
		v.Errors = append(v.Errors, e.Lookup)
	}
	return v
}

// auditTrail is the case's audit trail: the entries of the case, of its
// items and of their notices, oldest first; those that only record a
// reading when reads is set. An entry of an item that another case
// reports too may name that case (its capture's copy): that reference is
// not shown here, for the analyst of one victim need not learn that
// another victim exists.
func (s *Server) auditTrail(r *http.Request, c *undox.Case, reads bool, lang string, t map[string]string) ([]consoleAuditRow, error) {
	entries, err := s.Store.CaseAuditEntries(r.Context(), c.Ref, reads)
	if err != nil {
		return nil, err
	}
	var out []consoleAuditRow
	for _, e := range entries {
		obj := t["console_object_"+e.ObjectType]
		if obj == "" {
			obj = e.ObjectType
		}
		out = append(out, consoleAuditRow{When: formatDate(lang, e.Time), Actor: e.Actor, Action: e.Action,
			Object: obj + " " + e.ObjectID, Detail: otherCaseRefs(e.Detail, c.Ref, t["console_audit_other_case"])})
	}
	return out, nil
}

// caseRefRE is a case reference wherever an audit detail gives it
// (case=UDX-…, case:UDX-…/person:1).
var caseRefRE = regexp.MustCompile(`UDX(-[0-9A-Z]{4})+`)

// otherCaseRefs replaces every case reference in an audit entry's detail
// that is not ref by other.
func otherCaseRefs(detail, ref, other string) string {
	return caseRefRE.ReplaceAllStringFunc(detail, func(m string) string {
		if m == ref {
			return m
		}
		return "(" + other + ")"
	})
}

// Reveal grants.

// consoleReveal lets one analyst see one picture of a minor's case
// unblurred for a while: user:capture:sha256:expiry, with its HMAC.
type consoleReveal struct {
	raw       string
	user      int64
	captureID int64
	sha       string
	expires   int64
}

func (s *Server) revealKey() []byte {
	m := hmac.New(sha256.New, s.Store.ResponseFormKey())
	m.Write([]byte("console-reveal"))
	return m.Sum(nil)
}

func (s *Server) newRevealToken(a undox.Actor, captureID int64, sha string) string {
	payload := fmt.Sprintf("%d:%d:%s:%d", a.UserID, captureID, sha, s.consoleNow().Add(consoleRevealTTL).Unix())
	m := hmac.New(sha256.New, s.revealKey())
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parseReveal checks a reveal token for the actor; nil when it is not
// good (forged, another analyst's, expired).
func (s *Server) parseReveal(a undox.Actor, raw string) *consoleReveal {
	payload, mac, ok := strings.Cut(raw, ".")
	if !ok || len(raw) > 400 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil
	}
	m := hmac.New(sha256.New, s.revealKey())
	m.Write(b)
	if !hmac.Equal([]byte(mac), []byte(base64.RawURLEncoding.EncodeToString(m.Sum(nil)))) {
		return nil
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 4 {
		return nil
	}
	tok := &consoleReveal{raw: raw, sha: parts[2]}
	tok.user, _ = strconv.ParseInt(parts[0], 10, 64)
	tok.captureID, _ = strconv.ParseInt(parts[1], 10, 64)
	tok.expires, _ = strconv.ParseInt(parts[3], 10, 64)
	if tok.user != a.UserID || a.Kind != "user" || s.consoleNow().Unix() > tok.expires {
		return nil
	}
	return tok
}

// revealGrant is the page's reveal grant, if it carries a good one.
func (s *Server) revealGrant(r *http.Request, a undox.Actor) *consoleReveal {
	if raw := r.URL.Query().Get("reveal"); raw != "" && a.Require(undox.PermReveal) == nil {
		return s.parseReveal(a, raw)
	}
	return nil
}

func (g *consoleReveal) allows(captureID int64, sha string) bool {
	return g != nil && g.captureID == captureID && g.sha == sha
}

// caseFile serves one evidence file of the case's captures to a staff
// member with a session. Pictures in raster formats are shown inline
// (blurred in a minor's case, unless a reveal grant of this analyst names
// the picture); everything else is a download, never a page.
func (s *Server) caseFile(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := strconv.ParseInt(r.PathValue("capture"), 10, 64)
	if err != nil || id < 1 {
		http.NotFound(w, r)
		return
	}
	sha := r.PathValue("sha256")
	grant := s.revealGrant(r, a)
	reveal := grant.allows(id, sha)
	c, file, key, err := s.Store.CaptureFile(r.Context(), a, id, sha, reveal) // audited: capture.file.read, capture.reveal
	if err == nil && c.CaseRef != r.PathValue("ref") {
		err = undox.Errorf(undox.ENOTFOUND, "capture not found")
	}
	if err == nil && s.Blobs == nil {
		err = undox.Errorf(undox.EUNAVAILABLE, "this instance has no evidence store")
	}
	var rc io.ReadCloser
	if err == nil {
		rc, err = s.Blobs.Get(r.Context(), blob.Ref{Owner: c.CaseRef, SHA256: file.SHA256, Size: file.Size}, key)
	}
	if err != nil {
		code := statusOf[undox.ErrorCode(err)]
		if code == 0 || code >= 500 {
			s.log.Error("an evidence file", "err", err)
			code = http.StatusInternalServerError
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, http.StatusText(code), code)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if err := serveCaptureFile(w, rc, c, file, reveal, consoleDisposition); err != nil {
		http.Error(w, "the picture could not be blurred, so it is not shown", http.StatusInternalServerError)
	}
}

// consoleDisposition shows pictures in raster formats inline (for an
// <img>); everything else is a download, never something the browser
// renders: the raw page, its headers, a picture in another format.
func consoleDisposition(file undox.CaptureFile, name string, blurred bool) (string, string) {
	switch {
	case blurred:
		return "image/png", `inline; filename="` + name + `-blurred.png"`
	case file.Visual() && consoleInlineImages[file.MediaType]:
		return file.MediaType, `inline; filename="` + name + `"`
	case file.Kind == undox.FileText:
		return "text/plain; charset=utf-8", `attachment; filename="` + name + `.txt"`
	}
	return "application/octet-stream", `attachment; filename="` + name + `.bin"`
}

// Actions.

// casePost takes the case page's forms: the action is the form's
// "action" field. Each action needs its own permission; a four-eyes
// action becomes a request for a second analyst. The answer is a redirect
// back to the case with a message.
func (s *Server) casePost(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	ref := r.PathValue("ref")
	if err := undox.CheckRef(ref); err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	r.Body = http.MaxBytesReader(unwrapWriter(w), r.Body, maxConsoleFormBytes)
	if err := r.ParseForm(); err != nil {
		consoleRedirect(w, r, "/cases/"+ref, "console_err_invalid", true)
		return
	}
	cs, err := s.console()
	if err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	ctx := r.Context()
	f := r.PostForm
	action := f.Get("action")
	back := "/cases/" + ref
	// An item, a notice or a request of this case only: a stale or
	// altered form must not act on another case's under this one's name.
	formID := func(name string) int64 {
		id, err := strconv.ParseInt(f.Get(name), 10, 64)
		if err != nil || id < 1 {
			return 0
		}
		switch name {
		case "item", "notice":
			if ok, err := cs.InCase(ctx, ref, name, id); err != nil || !ok {
				return 0
			}
		case "request":
			if pa, err := cs.PendingAction(ctx, a, id); err != nil || pa.CaseRef != ref {
				return 0
			}
		}
		return id
	}
	reason, rerr := undox.CheckText("reason", f.Get("reason"), 2000)
	done := func(key, anchor string, err error) {
		if anchor != "" {
			back += "#" + anchor
		}
		if err != nil {
			k := consoleErrorKey(err)
			if action == "approve_request" && undox.ErrorCode(err) == undox.EFORBIDDEN {
				k = "console_err_four_eyes"
			}
			consoleRedirect(w, r, back, k, true)
			return
		}
		consoleRedirect(w, r, back, key, false)
	}
	need := func(p undox.Permission) bool {
		if a.Require(p) != nil {
			s.forbidden(w, r, pageUser(a), "login_err_forbidden")
			return false
		}
		return true
	}
	switch action {
	case undox.FourEyesConfirm, undox.FourEyesReject, undox.FourEyesEscalate, undox.FourEyesClose:
		if !need(undox.PermActItems) {
			return
		}
		id := formID("item")
		anchor := "item-" + strconv.FormatInt(id, 10)
		switch {
		case rerr != nil:
			done("", anchor, rerr)
			return
		case id == 0:
			done("", "", undox.Errorf(undox.ENOTFOUND, "item not found"))
			return
		case action == undox.FourEyesReject && reason == "":
			consoleRedirect(w, r, back+"#"+anchor, "console_err_reason", true)
			return
		}
		if s.fourEyes(action) {
			_, err := cs.RequestAction(ctx, a, undox.PendingAction{Action: action, Object: "item",
				ObjectID: strconv.FormatInt(id, 10), CaseRef: ref, Reason: reason})
			done("console_done_requested", anchor, err)
			return
		}
		key := "console_done_" + action
		if action == undox.FourEyesConfirm {
			var n *undox.Notice
			if _, n, err = s.Store.ConfirmItem(ctx, a, id, reason); err == nil && n == nil {
				// Nobody to notify yet: a contact added here, or a
				// trace that finds one, prepares the notice.
				key = "console_done_confirm_no_recipient"
			}
		} else {
			_, err = s.Store.ItemEvent(ctx, a, id, undox.Event(action), reason)
		}
		done(key, anchor, err)
	case "recheck":
		if !need(undox.PermActItems) {
			return
		}
		id := formID("item")
		done("console_done_recheck", "item-"+strconv.FormatInt(id, 10), cs.RequestRecheck(ctx, a, id))
	case "approve_notice":
		if !need(undox.PermActItems) {
			return
		}
		id := formID("notice")
		anchor := "notice-" + strconv.FormatInt(id, 10)
		if s.fourEyes(undox.FourEyesApprove) {
			_, err := cs.RequestAction(ctx, a, undox.PendingAction{Action: undox.FourEyesApprove, Object: "notice",
				ObjectID: strconv.FormatInt(id, 10), CaseRef: ref})
			done("console_done_requested", anchor, err)
			return
		}
		_, err := s.Store.ApproveNotice(ctx, a, id)
		done("console_done_approve_notice", anchor, err)
	case "submitted_notice":
		if !need(undox.PermActItems) {
			return
		}
		id := formID("notice")
		_, err := s.Store.SubmitNotice(ctx, a, id, time.Time{})
		done("console_done_submitted_notice", "notice-"+strconv.FormatInt(id, 10), err)
	case "edit_notice":
		if !need(undox.PermActItems) {
			return
		}
		id := formID("notice")
		_, err := cs.EditNotice(ctx, a, id, f.Get("organisation"), f.Get("address"))
		done("console_done_edit_notice", "notice-"+strconv.FormatInt(id, 10), err)
	case "close_case":
		if !need(undox.PermActCases) {
			return
		}
		if rerr != nil {
			done("", "", rerr)
			return
		}
		if s.fourEyes(undox.FourEyesClose) {
			_, err := cs.RequestAction(ctx, a, undox.PendingAction{Action: undox.FourEyesClose, Object: "case",
				ObjectID: ref, CaseRef: ref, Reason: reason})
			done("console_done_requested", "", err)
			return
		}
		_, err := s.Store.CaseEvent(ctx, a, ref, undox.ActionClose, reason)
		done("console_done_close_case", "", err)
	case "approve_request", "decline_request":
		if !need(undox.PermActItems) {
			return
		}
		id := formID("request")
		var pa *undox.PendingAction
		switch {
		case action == "approve_request":
			pa, err = cs.ApproveAction(ctx, a, id)
		case rerr != nil:
			err = rerr
		default:
			pa, err = cs.DeclineAction(ctx, a, id, reason)
		}
		key := "console_done_request_approved"
		if pa != nil && pa.Status != undox.PendingApproved {
			key = "console_done_request_" + pa.Status
		}
		done(key, "pending", err)
	case "link_confirm", "link_reject":
		if !need(undox.PermActCases) {
			return
		}
		// A suggestion for this case only.
		id, _ := strconv.ParseInt(f.Get("link"), 10, 64)
		links, err := s.Store.LinkSuggestions(ctx, a, ref)
		if err == nil && !slices.ContainsFunc(links, func(l *undox.LinkSuggestion) bool { return l.ID == id }) {
			err = undox.Errorf(undox.ENOTFOUND, "link suggestion not found")
		}
		if err == nil {
			_, err = s.Store.DecideLink(ctx, a, id, action == "link_confirm")
		}
		done("console_done_"+action, "links", err)
	case "add_contact":
		if !need(undox.PermContacts) {
			return
		}
		s.addContact(w, r, a, ref)
	case "reveal":
		if !need(undox.PermReveal) {
			return
		}
		id, sha := formID("capture"), f.Get("file")
		if id == 0 || len(sha) != 64 || a.Kind != "user" {
			done("", "", undox.Errorf(undox.ENOTFOUND, "picture not found"))
			return
		}
		target := "/cases/" + ref + "?reveal=" + s.newRevealToken(a, id, sha) + "#capture-" + strconv.FormatInt(id, 10)
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, target, http.StatusSeeOther)
	default:
		done("", "", undox.Invalid("action", "unknown action"))
	}
}

// addContact adds a contact-book entry from the case page; on errors the
// page comes back with the form as it was typed.
func (s *Server) addContact(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	f := r.PostForm
	form := caseContactForm{Scope: f.Get("scope"), Key: f.Get("key"), Role: f.Get("role"), Name: f.Get("name"), Email: strings.TrimSpace(f.Get("email")),
		WebForm: strings.TrimSpace(f.Get("web_form")), Language: f.Get("language"), Country: strings.TrimSpace(f.Get("country")),
		Notes: f.Get("notes"), Platform: f.Get("platform") == "yes"}
	form.Item, _ = strconv.ParseInt(f.Get("item"), 10, 64)
	c := undox.Contact{Scope: undox.ContactScope(form.Scope), Key: form.Key, Role: form.Role, Name: form.Name, Email: form.Email,
		WebForm: form.WebForm, Language: form.Language, Country: form.Country, Platform: form.Platform, Notes: form.Notes}
	_, err := s.Store.PutContact(r.Context(), a, c)
	if err == nil && form.Item > 0 {
		// The item the contact was added for is traced again: a
		// confirmed item that had nobody to notify gets its notice.
		err = s.Store.RequestTrace(r.Context(), a, form.Item)
	}
	switch {
	case err == nil:
		consoleRedirect(w, r, "/cases/"+ref+"#contact", "console_done_contact", false)
	case undox.ErrorCode(err) == undox.EINVALID:
		form.Errors = map[string]string{}
		p := s.newStaffPage(w, r, pageUser(a))
		for k := range undox.ErrorFields(err) {
			msg := p.T["console_contact_err_"+k]
			if msg == "" {
				msg = p.T["console_err_invalid"]
			}
			form.Errors[k] = msg
		}
		s.showCase(w, r, a, http.StatusBadRequest, &form)
	default:
		consoleRedirect(w, r, "/cases/"+ref+"#contact", consoleErrorKey(err), true)
	}
}
