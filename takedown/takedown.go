// Package takedown runs the notice part of the takedown procedure: it
// renders a confirmed item's notice for its recipient (package notice),
// sends it by e-mail (package mail) exactly once — or, when a failure falls
// in the SMTP DATA window, a second time with the same Message-ID — and
// moves the notice through its lifecycle (undox.NoticeStep) in the store.
//
// The send protocol, with the store's records (see package mail):
//
//   - The send job renders the notice, gives it its Message-ID and a
//     response link, and commits all of it with the MIME message before
//     any SMTP transaction; a retry sends the stored bytes.
//   - Just before DATA it records "sending"; once the server accepted the
//     message it records "sent" (and the item is notified), with the
//     removal deadline of the policy.
//   - A job that runs again for a notice that is sent (a crash after the
//     commit) sends nothing; for a notice still approved (a crash before
//     DATA) it sends; for one that is sending (a crash in the DATA window)
//     it sends again, with the same Message-ID.
//
// A permanent refusal of the address at RCPT marks the notice bounced and
// prepares the notice to the next recipient of the trace. Temporary
// failures are retried by the job queue with backoff.
package takedown

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/capture"
	"github.com/undox/undox/mail"
	"github.com/undox/undox/notice"
	"github.com/undox/undox/policy"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
)

// Config is what the procedure needs.
type Config struct {
	Store *sqlstore.Store
	// Sender sends notices; nil: approved notices wait (the send job
	// fails and is retried) and manual ones are still rendered.
	Sender *mail.Sender
	// From is the address notices come from; its domain is the
	// Message-IDs'. Replies go to it, tagged with the notice.
	From string
	// Notifier is the hotline as notices name it; its Email defaults to
	// From.
	Notifier       notice.Notifier
	TrustedFlagger notice.TrustedFlagger
	// PublicURL is undox's base URL as recipients reach it: response
	// links are PublicURL/respond/TOKEN.
	PublicURL string
	// Policy gives the removal deadlines; policy.Default() when nil.
	Policy *policy.Policy
	// Templates are the notices' templates; the defaults when nil.
	Templates *notice.Templates
	Logger    *slog.Logger
	// Capture fetches the pages that re-checks look at and keeps the
	// checks that are evidence (recheck.go); nil: re-checks are not run
	// by this process.
	Capture *capture.Service
}

// Service renders and sends notices.
type Service struct {
	cfg Config
	// hook, when set (tests), is called at "data" (before recording
	// sending) and "accepted" (before recording sent); an error stands
	// for a crash there.
	hook func(stage string) error
	tmpl *templateCache
}

// New checks cfg and returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("takedown: no store")
	}
	if cfg.Policy == nil {
		cfg.Policy = policy.Default()
	}
	// The store queues the re-checks on the policy's schedules.
	cfg.Store.SetPolicy(cfg.Policy)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Notifier.Email == "" {
		cfg.Notifier.Email = cfg.From
	}
	if cfg.Notifier.Organisation == "" {
		cfg.Notifier.Organisation = cfg.Notifier.Name
	}
	if cfg.Notifier.Name == "" {
		cfg.Notifier.Name = cfg.Notifier.Organisation
	}
	if cfg.From != "" && domainOf(cfg.From) == "" {
		return nil, fmt.Errorf("takedown: the sender %q is not an e-mail address", cfg.From)
	}
	if u, err := url.Parse(cfg.PublicURL); cfg.PublicURL != "" && (err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "") {
		return nil, fmt.Errorf("takedown: the public URL %q is not an http(s) URL", cfg.PublicURL)
	}
	return &Service{cfg: cfg, tmpl: &templateCache{}}, nil
}

func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 1 || at == len(addr)-1 {
		return ""
	}
	return addr[at+1:]
}

// Register returns what job.Config.Register takes: it adds the send_notice
// and recheck workers (which cancel their jobs when s is nil).
func Register(s *Service) func(*river.Workers) {
	return func(w *river.Workers) {
		// The send worker renders the ladder's reminders as reminders
		// first (see SendLadder); the ladder, the mailbox and the
		// timeline have their workers too (see AddPeriodicJobs).
		river.AddWorker(w, &ladderSendWorker{s: s})
		river.AddWorker(w, &recheckWorker{s: s})
		river.AddWorker(w, &reuploadWorker{s: s})
		registerLadder(w, s)
	}
}

// Target is whom a notice goes to, and what it is about.
type Target struct {
	Role, Organisation, Email, Language, Country string
	Automatic                                    bool
	Item                                         *undox.Item
}

// Render renders the notice for t, dated at, with the response link's
// token and the Message-ID.
func (s *Service) Render(ctx context.Context, t Target, token, messageID string, at time.Time) (*notice.Notice, error) {
	in, err := s.input(ctx, t, token, messageID, at)
	if err != nil {
		return nil, err
	}
	ts, err := s.templates(ctx)
	if err != nil {
		return nil, err
	}
	return notice.Render(in, ts)
}

// latestCheckpoint is the audit log's latest signed checkpoint, which a
// notice carries. On a fresh instance, before the periodic job has signed
// the first, it signs one now with the audit log SetEvidence gave (the
// log holds at least the notice's approval), so that the first notices
// are not held back until then.
func (s *Service) latestCheckpoint(ctx context.Context) (*audit.Checkpoint, error) {
	cp, err := s.cfg.Store.LatestCheckpoint(ctx)
	if err != nil || cp != nil {
		return cp, err
	}
	x := s.extras()
	x.mu.Lock()
	log := x.log
	x.mu.Unlock()
	if log != nil {
		if cp, err = log.Integrate(ctx, 0); err != nil || cp != nil {
			return cp, err
		}
	}
	return nil, undox.Errorf(undox.EUNAVAILABLE, "no signed audit checkpoint yet: a notice carries the latest one")
}

// input builds a notice's input: the recipient, the URL, the notifier, the
// latest signed checkpoint, the deadline from the policy and the hashes of
// the latest capture that has the page (never its payload).
func (s *Service) input(ctx context.Context, t Target, token, messageID string, at time.Time) (notice.Input, error) {
	cp, err := s.latestCheckpoint(ctx)
	if err != nil {
		return notice.Input{}, err
	}
	in := notice.Input{
		Role:      t.Role,
		Recipient: notice.Recipient{Organisation: t.Organisation, Email: t.Email, Language: t.Language, Country: t.Country},
		URLs:      []string{t.Item.URL},
		Category:  t.Item.Category,
		Minor:     t.Item.IsMinor,
		Notifier:  s.cfg.Notifier, TrustedFlagger: s.cfg.TrustedFlagger,
		OnlinePlatform: t.Role == undox.RolePlatform,
		ResponseURL:    strings.TrimSuffix(s.cfg.PublicURL, "/") + "/respond/" + token,
		Replies:        s.mailbox() != nil, // replies by e-mail are read only from a mailbox
		Checkpoint:     cp.Note,
		Automatic:      t.Automatic,
		MessageID:      messageID,
		SentAt:         at,
		Forward:        t.Role == undox.RoleCDN,
	}
	if rules := s.cfg.Policy.For(t.Item.Category, t.Item.IsMinor); !rules.ReferralOnly && rules.DeadlineHours > 0 {
		in.Deadline = rules.Deadline(at)
	}
	caps, err := s.cfg.Store.ItemCaptures(ctx, undox.System, t.Item.ID)
	if err != nil {
		return notice.Input{}, err
	}
	// The latest capture that has the page.
	for i := len(caps) - 1; i >= 0; i-- {
		c := caps[i]
		if c.BodySHA256 != "" || c.ScreenshotSHA256 != "" {
			in.Evidence = []notice.EvidenceRef{{URL: t.Item.URL, CapturedAt: c.FetchedAt, PageSHA256: c.BodySHA256, ScreenshotSHA256: c.ScreenshotSHA256}}
			break
		}
	}
	return in, nil
}

// Send works one send_notice job: see the package documentation. last
// says that the queue will not retry a failure: the notice then fails
// for an analyst to take over.
func (s *Service) Send(ctx context.Context, id int64, last bool) error {
	st := s.cfg.Store
	o, err := st.OutboundNotice(ctx, id)
	if err != nil {
		if undox.ErrorCode(err) == undox.ENOTFOUND {
			return river.JobCancel(err)
		}
		return err
	}
	n := o.Notice
	switch n.Status {
	case undox.NoticeManual:
		if n.Text != "" {
			return nil
		}
		_, err := s.render(ctx, o, false)
		return err
	case undox.NoticeApproved, undox.NoticeSending:
	default:
		// Sent, answered, bounced, failed or canceled: never (re)sent.
		s.cfg.Logger.Info("notice not sent again", "notice", id, "status", n.Status)
		return nil
	}
	if s.cfg.Sender == nil || s.cfg.From == "" {
		return errors.New("takedown: no SMTP server configured (--smtp, --mail-from)")
	}
	if o.Message == nil {
		if o, err = s.render(ctx, o, true); err != nil {
			var ue *undox.Error
			if errors.As(err, &ue) && ue.Code == undox.EINVALID {
				// The notice cannot be rendered as it is (a
				// referral-only category, a bad recipient): an
				// analyst takes over.
				if ferr := st.FailNotice(ctx, id, "cannot render: "+undox.ErrorMessage(err)+fmt.Sprint(" ", ue.Fields)); ferr != nil {
					return ferr
				}
				return nil
			}
			return err
		}
	}
	n = o.Notice
	rules := s.cfg.Policy.For(o.Item.Category, o.Item.IsMinor)
	env := mail.Envelope{
		From:      mail.TaggedAddress(s.cfg.From, id),
		To:        []string{n.Address},
		MessageID: n.MessageID,
		OnData: func() error {
			if err := s.at("data"); err != nil {
				return err
			}
			return st.MarkNoticeSending(ctx, id)
		},
		OnAccepted: func() error {
			if err := s.at("accepted"); err != nil {
				return err
			}
			return st.MarkNoticeSent(ctx, id, deadline(rules, st.Now()))
		},
	}
	err = s.cfg.Sender.Send(ctx, env, o.Message)
	if err == nil {
		return nil
	}
	var me *mail.Error
	if !errors.As(err, &me) {
		return err
	}
	switch {
	case me.Accepted:
		// The server has the message: record it as sent as soon as the
		// store answers. Should it not, the job runs again and, the
		// notice being "sending", resends with the same Message-ID.
		for i := 0; i < 5; i++ {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(time.Duration(i*i) * 200 * time.Millisecond):
			}
			if rerr := st.MarkNoticeSent(ctx, id, deadline(rules, st.Now())); rerr == nil {
				return nil
			}
		}
		return err
	case me.BadAddress():
		next, berr := st.BounceNotice(ctx, id, me.Error(), "smtp")
		if berr != nil {
			return berr
		}
		if next != nil {
			s.cfg.Logger.Info("notice bounced; next recipient prepared", "notice", id, "next", next.ID, "role", next.Role)
		}
		return nil
	case me.Code == mail.CodeAborted:
		return err // nothing was sent: try again
	case !me.Temporary && me.Code == mail.CodeMessageRejected:
		if ferr := st.FailNotice(ctx, id, me.Error()); ferr != nil {
			return ferr
		}
		return nil
	}
	// Temporary failures, and undox's own configuration (TLS, the
	// password, the sender): retried with backoff, visible among the
	// failed jobs meanwhile.
	if last {
		if ferr := st.FailNotice(ctx, id, me.Error()); ferr != nil {
			return errors.Join(err, ferr)
		}
		return err
	}
	_ = st.NoticeAttemptFailed(ctx, id, me.Error())
	return err
}

func deadline(r policy.Rules, at time.Time) time.Time {
	if r.ReferralOnly || r.DeadlineHours <= 0 {
		return time.Time{}
	}
	return r.Deadline(at)
}

func (s *Service) at(stage string) error {
	if s.hook != nil {
		return s.hook(stage)
	}
	return nil
}

// render renders o's notice with a new response token and records it;
// withMessage builds the e-mail too. It returns the notice as stored
// (which, should another job have rendered it first, is that one's).
func (s *Service) render(ctx context.Context, o *sqlstore.Outbound, withMessage bool) (*sqlstore.Outbound, error) {
	st := s.cfg.Store
	n := o.Notice
	token, err := secret.Token(32)
	if err != nil {
		return nil, err
	}
	var messageID string
	if withMessage {
		messageID = mail.MessageID(n.ID, domainOf(s.cfg.From))
	}
	at := st.Now().UTC()
	t := Target{Role: n.Role, Organisation: n.Recipient, Language: n.Language, Country: n.Country, Automatic: n.Automatic, Item: o.Item}
	if n.Channel == undox.ChannelEmail {
		t.Email = n.Address
	}
	if s.cfg.PublicURL == "" {
		return nil, errors.New("takedown: no public URL configured (--public-url): notices carry a response link")
	}
	rn, err := s.Render(ctx, t, token, messageID, at)
	if err != nil {
		return nil, err
	}
	r := sqlstore.Rendered{MessageID: messageID, Subject: rn.Subject, Text: rn.Text, XARF: rn.XARF, Template: rn.Template,
		TemplateVersion: rn.TemplateVersion, TemplateDigest: rn.TemplateDigest, TokenHash: secret.Hash(token)}
	if withMessage {
		if r.Message, err = notice.Message(rn, s.cfg.From, n.Address, messageID, at); err != nil {
			return nil, err
		}
	}
	if _, err := st.SaveRendered(ctx, n.ID, r); err != nil {
		return nil, err
	}
	return st.OutboundNotice(ctx, n.ID)
}

// Preview renders the notice that confirming the item would send to the
// first recipient of its latest trace, without storing or sending
// anything. The response link and Message-ID are placeholders.
func (s *Service) Preview(ctx context.Context, itemID int64) (*notice.Notice, *Target, error) {
	st := s.cfg.Store
	it, err := st.Item(ctx, undox.System, itemID)
	if err != nil {
		return nil, nil, err
	}
	traces, err := st.ItemTraces(ctx, undox.System, itemID, 1)
	if err != nil {
		return nil, nil, err
	}
	if len(traces) == 0 {
		return nil, nil, undox.Errorf(undox.ENOTFOUND, "item %d has not been traced yet: nobody to notify", itemID)
	}
	rs, err := sqlstore.NotifiableRecipients(traces[0].Answer)
	if err != nil {
		return nil, nil, err
	}
	if len(rs) == 0 {
		return nil, nil, undox.Errorf(undox.ENOTFOUND, "the latest trace of item %d names nobody to notify", itemID)
	}
	r := rs[0]
	t := &Target{Role: r.Role, Organisation: r.Organisation, Email: r.Email, Language: r.Language, Country: r.Country, Item: it}
	n, err := s.preview(ctx, *t)
	return n, t, err
}

// PreviewNotice renders n, a notice of the item it that is not rendered
// yet (prepared, or approved and waiting for its send job), for its own
// recipient as Preview does: nothing is stored or sent, the response link
// and Message-ID are placeholders and the date is now.
func (s *Service) PreviewNotice(ctx context.Context, it *undox.Item, n *undox.Notice) (*notice.Notice, error) {
	if it == nil || it.ID != n.ItemID {
		return nil, undox.Errorf(undox.EINVALID, "notice %d is not about this item", n.ID)
	}
	t := Target{Role: n.Role, Organisation: n.Recipient, Language: n.Language, Country: n.Country, Automatic: n.Automatic, Item: it}
	if n.Channel == undox.ChannelEmail {
		t.Email = n.Address
	}
	return s.preview(ctx, t)
}

// preview renders the notice for t as s renders (with its replies
// mailbox, if any), with placeholders for what only sending gives it: a
// response link that leads nowhere, a Message-ID, the date of now.
func (s *Service) preview(ctx context.Context, t Target) (*notice.Notice, error) {
	st := s.cfg.Store
	from := s.cfg.From
	if from == "" {
		from = "notices@undox.invalid"
	}
	const token = "PREVIEW-not-a-valid-link"
	in, err := s.input(ctx, t, token, mail.MessageID(0, domainOf(from)), st.Now().UTC())
	if err != nil {
		return nil, err
	}
	if s.cfg.PublicURL == "" {
		in.ResponseURL = "https://undox.invalid/respond/" + token
	}
	ts, err := s.templates(ctx)
	if err != nil {
		return nil, err
	}
	return notice.Render(in, ts)
}
