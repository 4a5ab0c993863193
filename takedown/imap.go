package takedown

// Replies by e-mail: a periodic job reads the replies mailbox over IMAP
// (mail.Mailbox, which never changes the mailbox) from the last UID it
// handled, kept in the database, and matches each message to its notice
// (headers, a tagged address, or the original returned in a bounce):
//
//   - a permanent bounce marks the notice bounced (Store.BounceNotice),
//     which prepares the notice to the next recipient of its trace; the
//     address is recorded invalid, so that no notice is prepared for it
//     again (a next notice to an address that bounced before is canceled
//     and the one after it prepared);
//   - a delay or temporary failure is recorded as a bounce response, and
//     nothing moves;
//   - an automatic reply is recorded as auto_reply, and ignored;
//   - any other reply is recorded as "reply" for an analyst (the notice
//     is answered).
//
// A message that matches no notice is skipped (logged). The position
// moves past each message once it is handled; a crash in between handles
// that one message again, which records its response twice at worst.

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/undox/undox"
	"github.com/undox/undox/mail"
)

// Cursor names of the mailbox's position.
const (
	cursorIMAPUID      = "imap_uid"
	cursorIMAPValidity = "imap_uidvalidity"
)

// SetMailbox sets the mailbox that replies to notices arrive in; nil: no
// mailbox is read.
func (s *Service) SetMailbox(m *mail.Mailbox) {
	x := s.extras()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.mailbox = m
}

func (s *Service) mailbox() *mail.Mailbox {
	x := s.extras()
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.mailbox
}

type mailboxWorker struct {
	river.WorkerDefaults[MailboxJob]
	s *Service
}

func (w *mailboxWorker) Work(ctx context.Context, _ *river.Job[MailboxJob]) error {
	if w.s == nil || w.s.mailbox() == nil {
		return nil
	}
	_, err := w.s.PollMailbox(ctx)
	return err
}

// PollResult counts what one poll of the mailbox did.
type PollResult struct {
	Read, Bounces, AutoReplies, Replies, Unmatched int
}

// PollMailbox reads the messages that arrived since the last poll and
// acts on each (see the top of this file).
func (s *Service) PollMailbox(ctx context.Context) (PollResult, error) {
	var res PollResult
	mb := s.mailbox()
	if mb == nil {
		return res, errors.New("takedown: no replies mailbox configured (--imap)")
	}
	st := s.cfg.Store
	since, err := st.Cursor(ctx, cursorIMAPUID)
	if err != nil {
		return res, err
	}
	validity, err := st.Cursor(ctx, cursorIMAPValidity)
	if err != nil {
		return res, err
	}
	for {
		replies, err := mb.Fetch(ctx, uint32(since))
		if err != nil {
			return res, err
		}
		if len(replies) == 0 {
			return res, nil
		}
		if v := int64(replies[0].UIDValidity); validity != 0 && v != validity {
			// The mailbox was rebuilt: its UIDs start again.
			s.cfg.Logger.Warn("the replies mailbox changed its UIDVALIDITY; reading it again from the start", "was", validity, "now", v)
			since, validity = 0, v
			if err := st.SetCursor(ctx, cursorIMAPValidity, v); err != nil {
				return res, err
			}
			if err := st.SetCursor(ctx, cursorIMAPUID, 0); err != nil {
				return res, err
			}
			continue
		} else if validity == 0 {
			validity = v
			if err := st.SetCursor(ctx, cursorIMAPValidity, v); err != nil {
				return res, err
			}
		}
		for _, r := range replies {
			if err := s.handleReply(ctx, r, &res); err != nil {
				return res, fmt.Errorf("takedown: reply UID %d: %w", r.UID, err)
			}
			res.Read++
			since = int64(r.UID)
			if err := st.SetCursor(ctx, cursorIMAPUID, since); err != nil {
				return res, err
			}
		}
	}
}

// handleReply acts on one message of the mailbox.
func (s *Service) handleReply(ctx context.Context, r mail.Reply, res *PollResult) error {
	st := s.cfg.Store
	log := s.cfg.Logger
	if r.NoticeID == 0 {
		res.Unmatched++
		log.Info("a message in the replies mailbox matches no notice", "uid", r.UID)
		return nil
	}
	o, err := st.OutboundNotice(ctx, r.NoticeID)
	if undox.ErrorCode(err) == undox.ENOTFOUND {
		res.Unmatched++
		log.Info("a message in the replies mailbox names an unknown notice", "uid", r.UID, "notice", r.NoticeID)
		return nil
	}
	if err != nil {
		return err
	}
	n := o.Notice
	record := func(kind, detail string) error {
		_, err := st.RecordResponse(ctx, n.ID, undox.NoticeResponse{Kind: kind, Detail: clip(detail, 4000), Source: "email"})
		if c := undox.ErrorCode(err); err != nil && (c == undox.ETRANSITION || c == undox.EINVALID) {
			// A reply to a notice that cannot take it (canceled, not
			// sent): kept in the log only.
			log.Warn("a reply could not be recorded", "notice", n.ID, "uid", r.UID, "err", err)
			return nil
		}
		return err
	}
	switch {
	case r.Bounce != nil && r.Bounce.Permanent:
		res.Bounces++
		detail := "bounce by e-mail"
		if r.Bounce.Status != "" {
			detail += " " + r.Bounce.Status
		}
		if r.Bounce.Diagnostic != "" {
			detail += ": " + r.Bounce.Diagnostic
		}
		next, err := st.BounceNotice(ctx, n.ID, clip(detail, 1000), "email")
		if err != nil {
			if undox.ErrorCode(err) == undox.ETRANSITION {
				// Bounced already (at RCPT), answered, or never sent:
				// the report is kept with the notice.
				return record(undox.ResponseBounce, detail)
			}
			return err
		}
		if err := st.MarkAddressInvalid(ctx, n.Address, clip(detail, 500), n.ID); err != nil {
			return err
		}
		if next, err = st.SkipInvalid(ctx, next); err != nil {
			return err
		}
		if next != nil {
			log.Info("notice bounced by e-mail; next recipient prepared", "notice", n.ID, "next", next.ID, "role", next.Role)
		}
		return nil
	case r.Bounce != nil:
		res.Bounces++
		return record(undox.ResponseBounce, "delivery delayed or failed for now: "+r.Bounce.Action+" "+r.Bounce.Status)
	case r.AutoReply:
		res.AutoReplies++
		return record(undox.ResponseAutoReply, r.Subject)
	}
	res.Replies++
	text := r.Text
	if r.Subject != "" {
		text = "Subject: " + r.Subject + "\n\n" + text
	}
	return record(undox.ResponseReply, text)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}
