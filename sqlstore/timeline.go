package sqlstore

// The victim's timeline: on each milestone of a case's items (notified,
// escalated, removed, closed) and of the case itself (closed), a
// plain-language entry in the case's language, which the status page
// reads; and an e-mail for it when the reporter asked for updates.
//
// Milestones are read from the items' history (item_events rows not yet
// told, whoever made the step: the send job, the ladder, re-checks or
// staff) and from the cases' status, so that no part of undox has to
// remember to tell the victim.

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/undox/undox"
)

// milestoneOf maps an item's step to a milestone ("" for none).
func milestoneOf(ev, from, to string) string {
	switch {
	case to == string(undox.ItemNotified) && from != string(undox.ItemNotified) && from != string(undox.ItemEscalated):
		return undox.MilestoneNotified
	case to == string(undox.ItemEscalated) && from != string(undox.ItemEscalated):
		return undox.MilestoneEscalated
	case to == string(undox.ItemRemoved) && from != string(undox.ItemRemoved):
		return undox.MilestoneRemoved
	case to == string(undox.ItemClosed) && from != string(undox.ItemClosed):
		return undox.MilestoneClosed
	}
	return ""
}

// UpdateTimelines adds the entries of the milestones not yet told, and
// returns how many it added. Entries are unique per cause: running it
// twice, or in two processes at once, adds each once.
func (s *Store) UpdateTimelines(ctx context.Context) (int, error) {
	added := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added = 0
		type event struct {
			id, item     int64
			ev, from, to string
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, item_id, event, from_status, to_status FROM item_events
            WHERE timeline = 0 ORDER BY id LIMIT 500`)
		if err != nil {
			return err
		}
		var evs []event
		for rows.Next() {
			var e event
			if err := rows.Scan(&e.id, &e.item, &e.ev, &e.from, &e.to); err != nil {
				rows.Close()
				return err
			}
			evs = append(evs, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range evs {
			if m := milestoneOf(e.ev, e.from, e.to); m != "" {
				n, err := s.addItemMilestone(ctx, tx, e.item, m, "item_event/"+strconv.FormatInt(e.id, 10))
				if err != nil {
					return err
				}
				added += n
			}
			if _, err := tx.ExecContext(ctx, `UPDATE item_events SET timeline = 1 WHERE id = $1`, e.id); err != nil {
				return err
			}
		}
		// Closed cases whose closing is not told yet (a case closed,
		// reopened and closed again is told each time).
		crow, err := tx.QueryContext(ctx, `SELECT c.id, c.status_at FROM cases c WHERE c.status = 'closed'
            AND NOT EXISTS (SELECT 1 FROM case_timeline t WHERE t.case_id = c.id AND t.source = 'case/closed/' || c.status_at)
            ORDER BY c.id LIMIT 500`)
		if err != nil {
			return err
		}
		type closed struct{ id, at int64 }
		var cs []closed
		for crow.Next() {
			var c closed
			if err := crow.Scan(&c.id, &c.at); err != nil {
				crow.Close()
				return err
			}
			cs = append(cs, c)
		}
		crow.Close()
		if err := crow.Err(); err != nil {
			return err
		}
		for _, c := range cs {
			n, err := s.addMilestone(ctx, tx, c.id, 0, undox.MilestoneClosed, "case_closed", "case/closed/"+strconv.FormatInt(c.at, 10))
			if err != nil {
				return err
			}
			added += n
		}
		return nil
	})
	return added, err
}

func (s *Store) addItemMilestone(ctx context.Context, tx *sql.Tx, itemID int64, milestone, source string) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.id FROM case_items ci JOIN cases c ON c.id = ci.case_id
        WHERE ci.item_id = $1 AND c.data_key IS NOT NULL ORDER BY c.id`, itemID)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	added := 0
	for _, id := range ids {
		n, err := s.addMilestone(ctx, tx, id, itemID, milestone, milestone, source)
		if err != nil {
			return 0, err
		}
		added += n
	}
	return added, nil
}

// addMilestone adds one entry to a case's timeline, in the case's
// language, with an e-mail pending when the reporter asked for updates.
func (s *Store) addMilestone(ctx context.Context, tx *sql.Tx, caseID, itemID int64, milestone, textKey, source string) (int, error) {
	var (
		ref, lang, status string
		consent           bool
		email             []byte
	)
	err := tx.QueryRowContext(ctx, `SELECT ref, language, status, consent, reporter_email_enc FROM cases WHERE id = $1`, caseID).
		Scan(&ref, &lang, &status, &consent, &email)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if status == string(undox.CaseErased) || status == string(undox.CaseWithdrawn) {
		return 0, nil
	}
	lang = undox.TimelineLanguage(lang)
	mail := "none"
	if consent && len(email) > 0 {
		mail = "pending"
	}
	var item any
	if itemID != 0 {
		item = itemID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO case_timeline (case_id, item_id, milestone, language, text, source, email, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (case_id, source) DO NOTHING`,
		caseID, item, milestone, lang, undox.TimelineText(lang, textKey), source, mail, micros(s.now()))
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, nil
	}
	return 1, s.audit(ctx, tx, undox.System, "timeline.add", "case", ref, "milestone="+milestone+" source="+source+" email="+mail)
}

// Timeline returns a case's timeline, oldest first: what the victim's
// status page shows. It holds no personal data.
func (s *Store) Timeline(ctx context.Context, caseRef string) ([]undox.TimelineEntry, error) {
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT t.id, t.milestone, t.language, t.text, t.created_at
        FROM case_timeline t JOIN cases c ON c.id = t.case_id WHERE c.ref = $1 ORDER BY t.id`, caseRef)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []undox.TimelineEntry{}
	for rows.Next() {
		var (
			e  undox.TimelineEntry
			at int64
		)
		if err := rows.Scan(&e.ID, &e.Milestone, &e.Language, &e.Text, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// VictimMail is a timeline entry to tell the reporter by e-mail.
type VictimMail struct {
	EntryID   int64
	CaseID    int64
	To        string
	Language  string
	Milestone string
	Text      string
}

// PendingVictimMails returns the timeline entries whose e-mail has not
// gone out yet, with the reporter's address opened with the case's key.
// Entries of cases erased or withdrawn meanwhile are dropped.
func (s *Store) PendingVictimMails(ctx context.Context, limit int) ([]VictimMail, error) {
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT t.id, t.language, t.milestone, t.text, c.id, c.ref, c.status, c.consent, c.reporter_email_enc
        FROM case_timeline t JOIN cases c ON c.id = t.case_id WHERE t.email = 'pending' ORDER BY t.id LIMIT $1`, limitOr(limit, 100))
	if err != nil {
		return nil, err
	}
	type row struct {
		m       VictimMail
		caseID  int64
		ref     string
		status  string
		consent bool
		enc     []byte
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.m.EntryID, &r.m.Language, &r.m.Milestone, &r.m.Text, &r.caseID, &r.ref, &r.status, &r.consent, &r.enc); err != nil {
			rows.Close()
			return nil, err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []VictimMail
	for _, r := range rs {
		r.m.CaseID = r.caseID
		key, err := s.caseKey(ctx, s.db.SQL, r.caseID)
		if err != nil {
			return nil, err
		}
		if key == nil || !r.consent || r.status == string(undox.CaseWithdrawn) || r.status == string(undox.CaseErased) {
			if err := s.MarkVictimMail(ctx, r.m.EntryID, "none"); err != nil {
				return nil, err
			}
			continue
		}
		if r.m.To, err = s.openField(key, r.ref, "reporter_email", r.enc); err != nil {
			return nil, err
		}
		if r.m.To == "" {
			if err := s.MarkVictimMail(ctx, r.m.EntryID, "none"); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, r.m)
	}
	return out, nil
}

// MarkVictimMail records what became of a timeline entry's e-mail: "sent",
// "failed" (given up), "none"; "pending" counts a failed attempt.
func (s *Store) MarkVictimMail(ctx context.Context, entryID int64, state string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE case_timeline SET email = $1, email_attempts = email_attempts + $2 WHERE id = $3`,
			state, boolInt(state != "none"), entryID); err != nil {
			return err
		}
		if state == "none" {
			return nil
		}
		var ref string
		if err := tx.QueryRowContext(ctx, `SELECT c.ref FROM case_timeline t JOIN cases c ON c.id = t.case_id WHERE t.id = $1`, entryID).
			Scan(&ref); err != nil {
			return err
		}
		// The error is not logged: it may name the address.
		detail := "entry=" + strconv.FormatInt(entryID, 10) + " email=" + state
		return s.audit(ctx, tx, undox.System, "timeline.email", "case", ref, detail)
	})
}

// VictimMailAttempts returns how often an entry's e-mail was tried.
func (s *Store) VictimMailAttempts(ctx context.Context, entryID int64) (int, error) {
	var n int
	err := s.db.SQL.QueryRowContext(ctx, `SELECT email_attempts FROM case_timeline WHERE id = $1`, entryID).Scan(&n)
	return n, err
}
