package takedown

// Victims informed: the timeline job adds the cases' timeline entries for
// the milestones of their items (Store.UpdateTimelines) and sends the
// reporter an e-mail when they asked for updates: one per case and run,
// for the steps that came together (escalated, removed and closed at once
// are one e-mail). The e-mail has
// a neutral subject and says nothing personal: no name, no page, no case
// reference, no intermediary; it points to the status page, whose link
// the reporter received when reporting.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/undox/undox/mail"
	"github.com/undox/undox/sqlstore"
)

// victimMailAttempts bounds the tries of one e-mail to a reporter.
const victimMailAttempts = 5

type timelineWorker struct {
	river.WorkerDefaults[TimelineJob]
	s *Service
}

func (w *timelineWorker) Work(ctx context.Context, _ *river.Job[TimelineJob]) error {
	if w.s == nil {
		return nil
	}
	_, err := w.s.UpdateTimelines(ctx)
	return err
}

// UpdateTimelines adds the timeline entries of new milestones and sends
// the pending e-mails to reporters; it returns how many entries it added.
func (s *Service) UpdateTimelines(ctx context.Context) (int, error) {
	st := s.cfg.Store
	added, err := st.UpdateTimelines(ctx)
	if err != nil {
		return added, err
	}
	if s.cfg.Sender == nil || s.cfg.From == "" {
		return added, nil // e-mails wait until a server is configured
	}
	mails, err := st.PendingVictimMails(ctx, 100)
	if err != nil {
		return added, err
	}
	// One e-mail per case and run, however many steps it tells of: the
	// mail says only that there is news, the status page says what.
	var (
		errs   []error
		order  []int64
		byCase = map[int64][]sqlstore.VictimMail{}
	)
	for _, m := range mails {
		if _, ok := byCase[m.CaseID]; !ok {
			order = append(order, m.CaseID)
		}
		byCase[m.CaseID] = append(byCase[m.CaseID], m)
	}
	for _, c := range order {
		group := byCase[c]
		m := group[len(group)-1] // the latest step's language
		msg, id, err := VictimMessage(s.cfg.From, m.To, m.Language, st.Now())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		err = s.cfg.Sender.Send(ctx, mailEnvelope(s.cfg.From, m.To, id), msg)
		for _, e := range group {
			state := "sent"
			if err != nil {
				state = "pending"
				if n, aerr := st.VictimMailAttempts(ctx, e.EntryID); aerr == nil && n+1 >= victimMailAttempts {
					state = "failed"
				}
				s.cfg.Logger.Warn("an update to a reporter could not be sent", "entry", e.EntryID, "state", state)
			}
			if merr := st.MarkVictimMail(ctx, e.EntryID, state); merr != nil {
				errs = append(errs, merr)
			}
		}
	}
	return added, errors.Join(errs...)
}

// victimTexts are the reporter's e-mail: a neutral subject, and a body
// that names nothing.
var victimTexts = map[string][2]string{
	"nl": {"Nieuws over uw melding", "Hallo,\n\nEr is een nieuwe stap gezet in de afhandeling van uw melding.\n\n" +
		"U kunt lezen wat er is gebeurd op uw statuspagina, via de persoonlijke link die u kreeg toen u de melding deed.\n\n" +
		"U krijgt dit bericht omdat u om updates hebt gevraagd. Antwoorden op dit bericht worden niet gelezen.\n"},
	"en": {"An update on your report", "Hello,\n\nThere is a new step in the handling of your report.\n\n" +
		"You can read what happened on your status page, through the personal link you received when you reported.\n\n" +
		"You receive this message because you asked for updates. Replies to this message are not read.\n"},
}

// VictimMessage returns the e-mail that tells a reporter of a new
// timeline entry, in lang ("nl" or "en"), and its Message-ID.
func VictimMessage(from, to, lang string, at time.Time) ([]byte, string, error) {
	t, ok := victimTexts[lang]
	if !ok {
		t = victimTexts["en"]
	}
	if domainOf(from) == "" || domainOf(to) == "" {
		return nil, "", fmt.Errorf("takedown: a reporter's update needs e-mail addresses")
	}
	return mail.AutoMessage("update", from, to, t[0], t[1], at)
}

func mailEnvelope(from, to, messageID string) mail.Envelope {
	return mail.Envelope{From: from, To: []string{to}, MessageID: messageID}
}
