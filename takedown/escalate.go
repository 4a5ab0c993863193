package takedown

// The escalation ladder: when nobody acts in time, undox climbs the
// policy's ladder (policy.Rules.Ladder) step by step.
//
// A periodic job (see AddPeriodicJobs) looks at every item that was
// notified and is not removed. The store's clock decides what is due, so
// that tests move the clock instead of waiting. For an item, step 0 of
// the ladder is its first notice; each later step is due its delay after
// the last step taken (policy.Rules.StepAt, which honours the pause
// days). When a step is due:
//
//   - the item observes "overdue" (notified → escalated), once;
//   - a reminder goes to the first notice's recipient, threaded to it
//     (In-Reply-To, "reminder n", the first notice's date);
//   - a notice goes to the trace's recipient of the step's role (upstream,
//     registrar, registry): skipped when there is none, when it is an
//     organisation or address already notified, or an address that bounced;
//   - a dossier for the regulator (ACM or the competent DSC) or the police
//     (art. 125p Sv or mutual legal assistance) is generated with the
//     case's evidence bundle; a delisting request for search engines is
//     prepared as an analyst task.
//
// Steps that the policy makes automatic are approved and sent at once,
// marked automatic (the notice says so; the audit log names the actor
// "automatic"); the others are prepared for an analyst, and the ladder
// waits for their notice to go out. Every step is audited.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/riverqueue/river"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/evidence"
	"github.com/undox/undox/job"
	"github.com/undox/undox/mail"
	"github.com/undox/undox/notice"
	"github.com/undox/undox/policy"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
)

// extras are what the ladder, the mailbox and the victims' e-mail need
// beyond Config, attached to a Service by its setters.
type extras struct {
	mu          sync.Mutex
	mailbox     *mail.Mailbox
	log         *audit.Log
	blobs       blob.Store
	verifierKey string
}

var serviceExtras sync.Map // *Service → *extras

func (s *Service) extras() *extras {
	x, _ := serviceExtras.LoadOrStore(s, &extras{})
	return x.(*extras)
}

// SetEvidence gives the service what dossiers need for their evidence
// bundle: the audit log, the evidence store and the log's public key as
// text. Without it, dossiers are generated without a bundle.
func (s *Service) SetEvidence(log *audit.Log, blobs blob.Store, verifierKey string) {
	x := s.extras()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.log, x.blobs, x.verifierKey = log, blobs, verifierKey
}

// Periodic jobs of the takedown procedure.
type (
	// EscalateJob walks the escalation ladder of every notified item, and
	// notifies re-uploads where the policy allows.
	EscalateJob struct{}
	// MailboxJob reads the replies mailbox.
	MailboxJob struct{}
	// TimelineJob adds the victims' timeline entries and sends their
	// e-mails.
	TimelineJob struct{}
)

// Kind names the job.
func (EscalateJob) Kind() string { return "takedown_escalate" }

// Kind names the job.
func (MailboxJob) Kind() string { return "takedown_mailbox" }

// Kind names the job.
func (TimelineJob) Kind() string { return "takedown_timeline" }

// AddPeriodicJobs schedules the takedown's periodic jobs on the queue,
// every every (a minute when zero): the ladder, the mailbox (when one is
// set) and the timeline. What is due is decided by the store's clock, not
// by when the jobs run.
func AddPeriodicJobs(q *job.Queue, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	for _, j := range []river.JobArgs{EscalateJob{}, MailboxJob{}, TimelineJob{}} {
		q.AddPeriodic(j, every)
	}
}

// registerLadder adds the workers of the ladder, the mailbox and the
// timeline (Register calls it).
func registerLadder(w *river.Workers, s *Service) {
	river.AddWorker(w, &escalateWorker{s: s})
	river.AddWorker(w, &mailboxWorker{s: s})
	river.AddWorker(w, &timelineWorker{s: s})
}

type escalateWorker struct {
	river.WorkerDefaults[EscalateJob]
	s *Service
}

func (w *escalateWorker) Work(ctx context.Context, _ *river.Job[EscalateJob]) error {
	if w.s == nil {
		return nil
	}
	_, rerr := w.s.NotifyReuploads(ctx)
	_, err := w.s.Escalate(ctx)
	return errors.Join(rerr, err)
}

// ladderSendWorker works send_notice jobs: a reminder made by the ladder
// is rendered as a reminder first, then Send sends what is stored.
type ladderSendWorker struct {
	river.WorkerDefaults[undox.SendNoticeJob]
	s *Service
}

func (w *ladderSendWorker) Work(ctx context.Context, j *river.Job[undox.SendNoticeJob]) error {
	if w.s == nil {
		return river.JobCancel(errors.New("notices are not sent by this process"))
	}
	return w.s.SendLadder(ctx, j.Args.NoticeID, j.Attempt >= j.MaxAttempts)
}

// SendLadder sends a notice as Send does, rendering a reminder of the
// ladder as a reminder (threaded to the notice it repeats) first.
func (s *Service) SendLadder(ctx context.Context, id int64, last bool) error {
	if err := s.renderReminder(ctx, id); err != nil {
		return err
	}
	return s.Send(ctx, id, last)
}

// renderReminder renders and stores a reminder not yet rendered.
func (s *Service) renderReminder(ctx context.Context, id int64) error {
	st := s.cfg.Store
	nth, origID, err := st.ReminderOf(ctx, id)
	if err != nil || nth == 0 {
		return err
	}
	o, err := st.OutboundNotice(ctx, id)
	if err != nil {
		return err
	}
	n := o.Notice
	if o.Message != nil || n.Status != undox.NoticeApproved || n.Channel != undox.ChannelEmail {
		return nil
	}
	orig, err := st.OutboundNotice(ctx, origID)
	if err != nil {
		return err
	}
	if s.cfg.PublicURL == "" || s.cfg.From == "" {
		return errors.New("takedown: no public URL or sender configured: a reminder cannot be rendered")
	}
	token, err := secret.Token(32)
	if err != nil {
		return err
	}
	messageID := mail.MessageID(n.ID, domainOf(s.cfg.From))
	at := st.Now().UTC()
	in, err := s.input(ctx, Target{Role: n.Role, Organisation: n.Recipient, Email: n.Address, Language: n.Language,
		Country: n.Country, Automatic: n.Automatic, Item: o.Item}, token, messageID, at)
	if err != nil {
		return err
	}
	in.Reminder = nth
	if orig.Notice.SentAt != nil {
		in.FirstSentAt = *orig.Notice.SentAt
	} else {
		in.FirstSentAt = orig.Notice.CreatedAt
	}
	in.OriginalMessageID = orig.Notice.MessageID
	ts, err := s.templates(ctx)
	if err != nil {
		return err
	}
	rn, err := notice.Render(in, ts)
	if err != nil {
		var ue *undox.Error
		if errors.As(err, &ue) && ue.Code == undox.EINVALID {
			return st.FailNotice(ctx, id, "cannot render the reminder: "+undox.ErrorMessage(err))
		}
		return err
	}
	r := sqlstore.Rendered{MessageID: messageID, Subject: rn.Subject, Text: rn.Text, XARF: rn.XARF, Template: rn.Template,
		TemplateVersion: rn.TemplateVersion, TemplateDigest: rn.TemplateDigest, TokenHash: secret.Hash(token)}
	if r.Message, err = notice.Message(rn, s.cfg.From, n.Address, messageID, at); err != nil {
		return err
	}
	_, err = st.SaveRendered(ctx, id, r)
	return err
}

// Escalate walks the ladder of every item notified and not removed, and
// returns how many steps it recorded. An item's failure does not stop the
// others'; the errors are returned together.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	ids, err := s.cfg.Store.EscalationCandidates(ctx, 0)
	if err != nil {
		return 0, err
	}
	total := 0
	var errs []error
	for _, id := range ids {
		n, err := s.EscalateItem(ctx, id)
		total += n
		if err != nil {
			s.cfg.Logger.Warn("escalation failed", "item", id, "err", err)
			errs = append(errs, fmt.Errorf("item %d: %w", id, err))
		}
	}
	return total, errors.Join(errs...)
}

// EscalateItem takes the steps of an item's ladder that are due, and
// returns how many it recorded.
func (s *Service) EscalateItem(ctx context.Context, itemID int64) (int, error) {
	st := s.cfg.Store
	l, err := st.LoadLadder(ctx, itemID)
	if err != nil {
		return 0, err
	}
	it := l.Item
	if it.Status != undox.ItemNotified && it.Status != undox.ItemEscalated {
		return 0, nil
	}
	rules := s.cfg.Policy.For(it.Category, it.IsMinor)
	if rules.ReferralOnly {
		return 0, nil
	}
	ladder := rules.Ladder()
	byID := map[int64]*undox.Notice{}
	ofLadder := map[int64]bool{}
	for _, n := range l.Notices {
		byID[n.ID] = n
	}
	for _, ls := range l.Steps {
		if ls.NoticeID != 0 {
			ofLadder[ls.NoticeID] = true
		}
	}
	// Step 0 is the first notice that went out.
	var first *undox.Notice
	for _, n := range l.Notices {
		if n.SentAt != nil && !ofLadder[n.ID] {
			first = n
			break
		}
	}
	if first == nil {
		return 0, nil
	}
	last := *first.SentAt
	next := 1
	reminders := map[int64]int{}
	for _, ls := range l.Steps {
		if ls.Outcome == sqlstore.StepWaiting {
			n := byID[ls.NoticeID]
			switch {
			case n != nil && n.SentAt != nil:
				if err := st.ResolveStep(ctx, ls.ID, sqlstore.StepTaken, *n.SentAt, fmt.Sprintf("notice %d sent", n.ID)); err != nil {
					return 0, err
				}
				ls.Outcome, ls.TakenAt = sqlstore.StepTaken, n.SentAt
			case n == nil || n.Status == undox.NoticeBounced || n.Status == undox.NoticeFailed || n.Status == undox.NoticeCanceled:
				detail := "no notice"
				if n != nil {
					detail = fmt.Sprintf("notice %d %s", n.ID, n.Status)
				}
				if err := st.ResolveStep(ctx, ls.ID, sqlstore.StepAbandoned, time.Time{}, detail); err != nil {
					return 0, err
				}
				ls.Outcome = sqlstore.StepAbandoned
			default:
				return 0, nil // its notice waits for an analyst, or to go out
			}
		}
		if ls.Outcome == sqlstore.StepTaken && ls.TakenAt != nil && ls.TakenAt.After(last) {
			last = *ls.TakenAt
		}
		if ls.Reminder > 0 {
			reminders[ls.OriginalNoticeID]++
		}
		next = max(next, ls.Index+1)
	}
	recorded := 0
	for i := next; i < len(ladder); i++ {
		step := ladder[i]
		now := st.Now()
		if !rules.StepDue(i, last, now) {
			return recorded, nil
		}
		if it.Status == undox.ItemNotified {
			if it, err = st.ObserveItem(ctx, itemID, undox.ObserveOverdue, "ladder step "+step.Name+" is due", nil); err != nil {
				return recorded, err
			}
		}
		in := sqlstore.StepInput{ItemID: itemID, Index: i, Name: step.Name, Action: step.Action, Target: step.Target,
			Automatic: step.Automatic, TraceID: l.TraceID}
		switch step.Action {
		case policy.ActionReminder:
			switch {
			case first.Status == undox.NoticeBounced || first.Status == undox.NoticeFailed:
				in.Outcome, in.Detail = sqlstore.StepSkipped, fmt.Sprintf("the first notice %d is %s", first.ID, first.Status)
			case l.Invalid[strings.ToLower(first.Address)]:
				in.Outcome, in.Detail = sqlstore.StepSkipped, "the first notice's address bounced"
			default:
				in.Outcome = sqlstore.StepWaiting
				in.Notice = &sqlstore.Recipient{Role: first.Role, Organisation: first.Recipient, Country: first.Country,
					Language: first.Language, Index: first.RecipientIndex, Channel: first.Channel, Address: first.Address}
				in.TraceID = first.TraceID
				in.Reminder = reminders[first.ID] + 1
				in.OriginalNoticeID = first.ID
			}
		case policy.ActionNotice:
			r, why := pickRecipient(l, step.Target)
			if r == nil {
				in.Outcome, in.Detail = sqlstore.StepSkipped, why
			} else {
				in.Outcome, in.Notice = sqlstore.StepWaiting, r
			}
		case policy.ActionDossier, policy.ActionDelisting:
			d, err := s.dossier(ctx, l, first, step)
			if err != nil {
				return recorded, err
			}
			in.Outcome, in.Dossier = sqlstore.StepTaken, d
		default:
			in.Outcome, in.Detail = sqlstore.StepSkipped, "unknown action "+step.Action
		}
		if in.Outcome == sqlstore.StepSkipped {
			in.Automatic = false
		}
		ls, _, err := st.RecordStep(ctx, in)
		if undox.ErrorCode(err) == undox.ECONFLICT {
			return recorded, nil // another job recorded it first
		}
		if err != nil {
			return recorded, err
		}
		recorded++
		switch ls.Outcome {
		case sqlstore.StepWaiting:
			return recorded, nil
		case sqlstore.StepTaken:
			last = now
		}
	}
	return recorded, nil
}

// pickRecipient returns the trace's recipient for a ladder target, or nil
// and why the step does not apply.
func pickRecipient(l *sqlstore.Ladder, target string) (*sqlstore.Recipient, string) {
	roles := map[string]bool{target: true}
	if target == policy.TargetHost {
		roles = map[string]bool{undox.RoleHost: true, undox.RolePlatform: true, undox.RoleCDN: true}
	}
	orgs, addrs := map[string]bool{}, map[string]bool{}
	for _, n := range l.Notices {
		if n.Status == undox.NoticeCanceled {
			continue
		}
		orgs[strings.ToLower(n.Recipient)], addrs[strings.ToLower(n.Address)] = true, true
	}
	why := "the trace names no " + target + " to notify"
	for i := range l.Recipients {
		r := l.Recipients[i]
		if !roles[r.Role] {
			continue
		}
		switch {
		case orgs[strings.ToLower(r.Organisation)] || addrs[strings.ToLower(r.Address)]:
			why = fmt.Sprintf("the %s %s was notified already", target, r.Organisation)
		case l.Invalid[strings.ToLower(r.Address)]:
			why = fmt.Sprintf("the %s's address bounced before", target)
		default:
			return &r, ""
		}
	}
	return nil, why
}

// dossierView is what a dossier's text says.
type dossierView struct {
	Dutch       bool
	Kind        string
	Recipient   string
	Request     string
	URL         string
	Category    string
	LegalBasis  string
	Minor       bool
	Country     string
	Host        string
	Notices     []dossierNotice
	Automatic   bool
	Generated   string
	Bundle      string
	BundleBytes int
}

type dossierNotice struct {
	Role, Organisation, Status, SentAt, Deadline string
	Responses                                    []string
}

// dossier generates a dossier (regulator, police) or a delisting request.
func (s *Service) dossier(ctx context.Context, l *sqlstore.Ladder, first *undox.Notice, step policy.Step) (*sqlstore.DossierInput, error) {
	it := l.Item
	country := strings.ToUpper(first.Country)
	d := &sqlstore.DossierInput{CaseID: l.CaseID, CaseRef: l.CaseRef, Kind: step.Target, Country: country, FourEyes: step.FourEyes}
	v := dossierView{Kind: step.Target, URL: it.URL, Minor: it.IsMinor, Country: country, Host: first.Recipient, Automatic: step.Automatic,
		Generated: s.cfg.Store.Now().UTC().Format("2006-01-02 15:04 MST")}
	if cat, ok := undox.LookupCategory(it.Category); ok {
		v.Category, v.LegalBasis = cat.Name, cat.LegalBasis
	}
	switch step.Target {
	case policy.TargetRegulator:
		d.Recipient = policy.Regulator(country)
		v.Dutch = d.Recipient == "ACM"
	case policy.TargetPolice:
		d.Recipient = policy.PoliceRequest(country)
		v.Dutch = true // the Dutch police and prosecutor, for a request under art. 125p Sv or for MLA
	default:
		d.Kind, d.Recipient = "delisting", "search engines"
	}
	v.Recipient = d.Recipient
	for _, n := range l.Notices {
		dn := dossierNotice{Role: n.Role, Organisation: n.Recipient, Status: string(n.Status)}
		if n.SentAt != nil {
			dn.SentAt = n.SentAt.UTC().Format("2006-01-02 15:04 MST")
		}
		if n.Deadline != nil {
			dn.Deadline = n.Deadline.UTC().Format("2006-01-02 15:04 MST")
		}
		resp, err := s.cfg.Store.OutboundNotice(ctx, n.ID)
		if err == nil {
			for _, r := range resp.Notice.Responses {
				dn.Responses = append(dn.Responses, r.Kind+" ("+r.CreatedAt.UTC().Format("2006-01-02")+")")
			}
		}
		v.Notices = append(v.Notices, dn)
	}
	if d.Kind != "delisting" && l.CaseRef != "" {
		x := s.extras()
		x.mu.Lock()
		log, blobs, key := x.log, x.blobs, x.verifierKey
		x.mu.Unlock()
		if log != nil && blobs != nil {
			b, err := CaseBundle(ctx, s.cfg.Store, log, blobs, key, undox.System, l.CaseRef)
			if err != nil {
				return nil, fmt.Errorf("takedown: the dossier's evidence bundle: %w", err)
			}
			var buf bytes.Buffer
			if err := evidence.Write(&buf, b); err != nil {
				return nil, fmt.Errorf("takedown: the dossier's evidence bundle: %w", err)
			}
			sum := sha256.Sum256(buf.Bytes())
			d.Bundle, d.BundleSHA256 = buf.Bytes(), hex.EncodeToString(sum[:])
			v.Bundle, v.BundleBytes = d.BundleSHA256, buf.Len()
		}
	}
	var text, html bytes.Buffer
	if err := dossierText.Execute(&text, v); err != nil {
		return nil, err
	}
	if err := dossierHTML.Execute(&html, v); err != nil {
		return nil, err
	}
	d.Text, d.HTML = text.String(), html.String()
	return d, nil
}

const dossierSource = `{{if eq .Kind "search_engines"}}{{if .Dutch}}Verzoek tot verwijdering uit zoekresultaten{{else}}Request to delist a URL from search results{{end}}
{{else if .Dutch}}{{if eq .Recipient "ACM"}}Dossier voor de Autoriteit Consument & Markt (Digitale-dienstencoördinator){{else if eq .Recipient "125p"}}Dossier voor politie en openbaar ministerie: verzoek om een bevel ex art. 125p Sv{{else}}Dossier voor politie en openbaar ministerie: verzoek om rechtshulp (MLA){{end}}
{{else}}{{if eq .Recipient "DSC"}}Dossier for the competent Digital Services Coordinator{{else}}Dossier for the police and prosecutor: request for mutual legal assistance{{end}}
{{end}}
{{if .Dutch}}Opgesteld: {{.Generated}}{{else}}Generated: {{.Generated}}{{end}}
{{if .Automatic}}{{if .Dutch}}Dit dossier is automatisch opgesteld, zonder menselijke beslissing.{{else}}This dossier was generated automatically, without a human decision.{{end}}
{{end}}
{{if .Dutch}}Inhoud: {{.URL}}
Categorie: {{.Category}}{{if .LegalBasis}} ({{.LegalBasis}}){{end}}{{if .Minor}}
Betreft een minderjarige.{{end}}
Hostingpartij: {{.Host}}{{if .Country}} (gevestigd in {{.Country}}){{end}}
{{else}}Content: {{.URL}}
Category: {{.Category}}{{if .LegalBasis}} ({{.LegalBasis}}){{end}}{{if .Minor}}
A minor is concerned.{{end}}
Host: {{.Host}}{{if .Country}} (established in {{.Country}}){{end}}
{{end}}
{{if .Dutch}}Verloop van de meldingen:{{else}}Notices sent:{{end}}
{{range .Notices}}- {{.Role}} {{.Organisation}}: {{.Status}}{{if .SentAt}}, {{.SentAt}}{{end}}{{if .Deadline}}, deadline {{.Deadline}}{{end}}{{range .Responses}}; {{.}}{{end}}
{{end}}
{{if eq .Kind "search_engines"}}{{if .Dutch}}Verzoek: verwijder de URL uit de zoekresultaten (AVG art. 17; het beleid van de zoekmachine voor doxing).{{else}}Request: delist the URL from search results (GDPR art. 17; the search engine's policy on doxing).{{end}}
{{else if eq .Recipient "ACM"}}Verzoek: toezicht op de naleving van DSA art. 6 en 16 door de hostingpartij, die na een melding niet heeft gehandeld.
{{else if eq .Recipient "125p"}}Verzoek: een bevel van de officier van justitie, met machtiging van de rechter-commissaris, om de gegevens ontoegankelijk te maken (art. 125p Sv).
{{else if eq .Recipient "mla"}}Verzoek: een rechtshulpverzoek aan de staat waar de hostingpartij gevestigd is, om de gegevens ontoegankelijk te maken.
{{else}}Request: supervision of the host's compliance with DSA art. 6 and 16, which did not act on a notice.
{{end}}{{if .Bundle}}
{{if .Dutch}}Bewijspakket (zip, te controleren met undox verify){{else}}Evidence bundle (zip, to be checked with undox verify){{end}}: sha256 {{.Bundle}}, {{.BundleBytes}} bytes
{{end}}`

var (
	dossierText = template.Must(template.New("dossier").Parse(dossierSource))
	dossierHTML = htmltemplate.Must(htmltemplate.New("dossier").Parse(
		`<!doctype html><html><head><meta charset="utf-8"><title>Dossier</title></head><body><pre>` +
			strings.ReplaceAll(dossierSource, " & ", " &amp; ") + `</pre></body></html>`))
)

// Timeout bounds one run of the periodic jobs (see job.PeriodicTimeout).
func (*escalateWorker) Timeout(*river.Job[EscalateJob]) time.Duration { return job.PeriodicTimeout }

// Timeout bounds one run (see job.PeriodicTimeout).
func (*mailboxWorker) Timeout(*river.Job[MailboxJob]) time.Duration { return job.PeriodicTimeout }

// Timeout bounds one run (see job.PeriodicTimeout).
func (*timelineWorker) Timeout(*river.Job[TimelineJob]) time.Duration { return job.PeriodicTimeout }
