package sqlstore

// The escalation ladder's records (ladder_steps, dossiers), the addresses
// that bounced for good, and the small cursors of the takedown jobs. The
// ladder's decisions are the takedown package's: the store records them,
// each in one transaction with its audit entry.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/secret"
)

// Ladder step outcomes.
const (
	StepSkipped   = "skipped"   // the step did not apply (no such recipient, or one already notified)
	StepWaiting   = "waiting"   // its notice waits for an analyst, or to go out
	StepTaken     = "taken"     // done: the notice went out, the dossier was generated
	StepAbandoned = "abandoned" // its notice was bounced, failed or canceled: the ladder goes on
)

// AutomaticActor is who approves what undox does without a human decision:
// the audit log names it, so that every automatic action is marked.
var AutomaticActor = undox.Actor{Kind: "automatic", Name: "undox"}

// LadderStep is one step of an item's escalation ladder as recorded.
type LadderStep struct {
	ID               int64      `json:"id"`
	ItemID           int64      `json:"item_id"`
	Index            int        `json:"index"`
	Name             string     `json:"name"`
	Action           string     `json:"action"`
	Target           string     `json:"target"`
	Outcome          string     `json:"outcome"`
	Detail           string     `json:"detail,omitempty"`
	NoticeID         int64      `json:"notice_id,omitempty"`
	DossierID        int64      `json:"dossier_id,omitempty"`
	Automatic        bool       `json:"automatic"`
	Reminder         int        `json:"reminder,omitempty"`
	OriginalNoticeID int64      `json:"original_notice_id,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	TakenAt          *time.Time `json:"taken_at,omitempty"`
}

// Ladder is what the escalation job needs of an item: the item, its
// notices (oldest first), the recorded ladder steps (by index), the
// recipients of its latest trace, and which addresses are invalid.
type Ladder struct {
	Item       *undox.Item
	Notices    []*undox.Notice
	Steps      []LadderStep
	TraceID    int64
	Recipients []Recipient
	Invalid    map[string]bool
	// CaseID and CaseRef name the first case the item belongs to (0 and
	// "" when none).
	CaseID  int64
	CaseRef string
}

// EscalationCandidates returns the items that the ladder may move:
// notified or escalated, with a notice that went out.
func (s *Store) EscalationCandidates(ctx context.Context, limit int) ([]int64, error) {
	return queryIDs(ctx, s.db.SQL, `SELECT i.id FROM items i
        WHERE i.status IN ('notified', 'escalated')
          AND EXISTS (SELECT 1 FROM notices n WHERE n.item_id = i.id AND n.sent_at IS NOT NULL)
        ORDER BY i.id LIMIT $1`, limitOr(limit, 1000))
}

// LoadLadder returns an item's ladder (undox itself; not audited as a read).
func (s *Store) LoadLadder(ctx context.Context, itemID int64) (*Ladder, error) {
	q := s.db.SQL
	it, err := s.item(ctx, q, itemID)
	if err != nil {
		return nil, err
	}
	l := &Ladder{Item: it, Invalid: map[string]bool{}}
	rows, err := q.QueryContext(ctx, `SELECT `+noticeColumns+` FROM notices WHERE item_id = $1 ORDER BY id`, itemID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		l.Notices = append(l.Notices, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if l.Steps, err = s.ladderSteps(ctx, q, itemID); err != nil {
		return nil, err
	}
	var answer string
	err = q.QueryRowContext(ctx, `SELECT id, answer FROM traces WHERE item_id = $1 ORDER BY id DESC LIMIT 1`, itemID).Scan(&l.TraceID, &answer)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err == nil {
		if l.Recipients, err = NotifiableRecipients([]byte(answer)); err != nil {
			return nil, fmt.Errorf("sqlstore: trace %d: %w", l.TraceID, err)
		}
		for _, r := range l.Recipients {
			if bad, err := s.addressInvalid(ctx, q, r.Address); err != nil {
				return nil, err
			} else if bad {
				l.Invalid[strings.ToLower(r.Address)] = true
			}
		}
	}
	err = q.QueryRowContext(ctx, `SELECT c.id, c.ref FROM case_items ci JOIN cases c ON c.id = ci.case_id
        WHERE ci.item_id = $1 ORDER BY c.id LIMIT 1`, itemID).Scan(&l.CaseID, &l.CaseRef)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return l, nil
}

const ladderColumns = `id, item_id, step_index, step_name, action, target, outcome, detail, COALESCE(notice_id, 0),
    COALESCE(dossier_id, 0), automatic, reminder, COALESCE(original_notice_id, 0), created_at, taken_at`

func (s *Store) ladderSteps(ctx context.Context, q querier, itemID int64) ([]LadderStep, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ladderColumns+` FROM ladder_steps WHERE item_id = $1 ORDER BY step_index`, itemID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LadderStep{}
	for rows.Next() {
		var (
			st        LadderStep
			auto      int64
			created   int64
			taken     sql.NullInt64
			rem, indx int64
		)
		if err := rows.Scan(&st.ID, &st.ItemID, &indx, &st.Name, &st.Action, &st.Target, &st.Outcome, &st.Detail, &st.NoticeID,
			&st.DossierID, &auto, &rem, &st.OriginalNoticeID, &created, &taken); err != nil {
			return nil, err
		}
		st.Index, st.Reminder, st.Automatic = int(indx), int(rem), auto != 0
		st.CreatedAt = fromMicros(created)
		if taken.Valid {
			t := fromMicros(taken.Int64)
			st.TakenAt = &t
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// LadderSteps returns an item's recorded ladder steps, by index.
func (s *Store) LadderSteps(ctx context.Context, actor undox.Actor, itemID int64) ([]LadderStep, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	return s.ladderSteps(ctx, s.db.SQL, itemID)
}

// StepInput is a ladder step to record.
type StepInput struct {
	ItemID         int64
	Index          int
	Name           string
	Action, Target string
	// Outcome is StepSkipped, StepTaken (a dossier or delisting request)
	// or, for a notice, StepWaiting: the notice in Notice is prepared and,
	// when Automatic, approved and queued at once.
	Outcome   string
	Detail    string
	Automatic bool
	// Notice: the recipient of a notice or reminder.
	Notice *Recipient
	// TraceID is the trace the recipient comes from.
	TraceID int64
	// Reminder and OriginalNoticeID make the notice the n-th reminder of
	// that notice.
	Reminder         int
	OriginalNoticeID int64
	// Dossier: the generated document of a dossier or delisting step.
	Dossier *DossierInput
}

// DossierInput is a generated dossier.
type DossierInput struct {
	CaseID    int64
	CaseRef   string
	Kind      string // regulator, police, delisting
	Recipient string
	Country   string
	FourEyes  bool
	Text      string
	HTML      string
	// Bundle is the evidence bundle (a zip), sealed under the case's key
	// when stored; BundleSHA256 its hash.
	Bundle       []byte
	BundleSHA256 string
}

// RecordStep records a ladder step with what it does, in one transaction,
// audited ("ladder.step", marked automatic=true for automatic steps). It
// returns the step as recorded and the notice it prepared, if any. A step
// already recorded for the item's index (another job was first) is
// ECONFLICT.
func (s *Store) RecordStep(ctx context.Context, in StepInput) (*LadderStep, *undox.Notice, error) {
	var (
		st *LadderStep
		n  *undox.Notice
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		var noticeID, dossierID, orig any
		if in.OriginalNoticeID != 0 {
			orig = in.OriginalNoticeID
		}
		var taken any
		if in.Outcome == StepTaken {
			taken = micros(now)
		}
		if in.Notice != nil {
			r := in.Notice
			actor := undox.System
			nn := &undox.Notice{ItemID: in.ItemID, Role: r.Role, Recipient: r.Organisation, Language: r.Language, Country: r.Country,
				TraceID: in.TraceID, RecipientIndex: r.Index, Channel: r.Channel, Address: r.Address, Status: undox.NoticePrepared,
				CreatedBy: actor.Label()}
			if r.Channel != undox.ChannelEmail {
				nn.Status = undox.NoticeManual
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO notices (item_id, trace_id, recipient_index, role, organisation, channel,
                    address, language, country, status, automatic, created_by, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
				in.ItemID, in.TraceID, r.Index, nn.Role, nn.Recipient, nn.Channel, nn.Address, nn.Language, nn.Country,
				string(nn.Status), boolInt(in.Automatic && nn.Status == undox.NoticePrepared), nn.CreatedBy, micros(now)).Scan(&nn.ID); err != nil {
				return err
			}
			id := strconv.FormatInt(nn.ID, 10)
			if err := s.audit(ctx, tx, actor, "notice.prepare", "notice", id, fmt.Sprintf("item=%d role=%s channel=%s status=%s ladder=%s reminder=%d",
				in.ItemID, nn.Role, nn.Channel, nn.Status, in.Name, in.Reminder)); err != nil {
				return err
			}
			switch {
			case nn.Status == undox.NoticeManual:
				// An analyst submits it; the send job renders its text.
				if err := s.enqueue(ctx, tx, undox.SendNoticeJob{NoticeID: nn.ID}); err != nil {
					return err
				}
			case in.Automatic:
				if _, err := s.stepNoticeTx(ctx, tx, AutomaticActor, nn.ID, undox.NoticeApprove, "automatic=true ladder="+in.Name, false,
					`approved_by = $3, approved_at = $4`, AutomaticActor.Label(), micros(now)); err != nil {
					return err
				}
				if err := s.enqueue(ctx, tx, undox.SendNoticeJob{NoticeID: nn.ID}); err != nil {
					return err
				}
			}
			noticeID = nn.ID
			var err error
			if n, err = s.notice(ctx, tx, nn.ID); err != nil {
				return err
			}
		}
		if d := in.Dossier; d != nil {
			id, err := s.insertDossier(ctx, tx, in, d, now)
			if err != nil {
				return err
			}
			dossierID = id
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO ladder_steps (item_id, step_index, step_name, action, target, outcome, detail,
                notice_id, dossier_id, automatic, reminder, original_notice_id, created_at, taken_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			in.ItemID, in.Index, in.Name, in.Action, in.Target, in.Outcome, clipText(in.Detail, 1000), noticeID, dossierID,
			boolInt(in.Automatic), in.Reminder, orig, micros(now), taken).Scan(&id)
		if isUnique(err) {
			return undox.Errorf(undox.ECONFLICT, "ladder step %d of item %d is recorded already", in.Index, in.ItemID)
		}
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("step=%d name=%s action=%s target=%s outcome=%s automatic=%t", in.Index, in.Name, in.Action, in.Target,
			in.Outcome, in.Automatic)
		if noticeID != nil {
			detail += fmt.Sprintf(" notice=%d", noticeID)
		}
		if dossierID != nil {
			detail += fmt.Sprintf(" dossier=%d", dossierID)
		}
		if in.Detail != "" {
			detail += " " + clipText(in.Detail, 300)
		}
		actor := undox.System
		if in.Automatic {
			actor = AutomaticActor
		}
		if err := s.audit(ctx, tx, actor, "ladder.step", "item", strconv.FormatInt(in.ItemID, 10), detail); err != nil {
			return err
		}
		steps, err := s.ladderSteps(ctx, tx, in.ItemID)
		if err != nil {
			return err
		}
		for i := range steps {
			if steps[i].ID == id {
				st = &steps[i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return st, n, nil
}

func (s *Store) insertDossier(ctx context.Context, tx *sql.Tx, in StepInput, d *DossierInput, now time.Time) (int64, error) {
	status := undox.DossierAwaiting
	if in.Automatic {
		status = undox.DossierReady
	}
	var caseID, sealed any
	if d.CaseID != 0 {
		caseID = d.CaseID
	}
	if len(d.Bundle) > 0 {
		key, err := s.caseKey(ctx, tx, d.CaseID)
		if err != nil {
			return 0, err
		}
		if key == nil {
			return 0, undox.Errorf(undox.EERASED, "the case was erased: no evidence bundle")
		}
		if sealed, err = secret.Seal(key, d.Bundle, dossierContext(d.CaseRef, in.ItemID, in.Index)); err != nil {
			return 0, err
		}
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO dossiers (item_id, case_id, step_name, kind, recipient, country, status, automatic,
            four_eyes, text, html, bundle_enc, bundle_sha256, bundle_size, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
		in.ItemID, caseID, in.Name, d.Kind, d.Recipient, d.Country, status, boolInt(in.Automatic), boolInt(d.FourEyes), d.Text, d.HTML,
		sealed, d.BundleSHA256, len(d.Bundle), micros(now)).Scan(&id); err != nil {
		return 0, err
	}
	actor := undox.System
	if in.Automatic {
		actor = AutomaticActor
	}
	return id, s.audit(ctx, tx, actor, "dossier.generate", "dossier", strconv.FormatInt(id, 10),
		fmt.Sprintf("item=%d kind=%s recipient=%s status=%s automatic=%t four_eyes=%t bundle_sha256=%s", in.ItemID, d.Kind, d.Recipient,
			status, in.Automatic, d.FourEyes, d.BundleSHA256))
}

func dossierContext(ref string, itemID int64, index int) string {
	return "case/" + ref + "/dossier/" + strconv.FormatInt(itemID, 10) + "/" + strconv.Itoa(index)
}

// ResolveStep records what became of a waiting step: StepTaken (its
// notice went out at at) or StepAbandoned.
func (s *Store) ResolveStep(ctx context.Context, stepID int64, outcome string, at time.Time, detail string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var itemID int64
		var from, name string
		if err := tx.QueryRowContext(ctx, `SELECT item_id, outcome, step_name FROM ladder_steps WHERE id = $1`, stepID).
			Scan(&itemID, &from, &name); err != nil {
			return err
		}
		if from != StepWaiting {
			return nil
		}
		var taken any
		if outcome == StepTaken {
			taken = micros(at)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ladder_steps SET outcome = $1, taken_at = $2 WHERE id = $3 AND outcome = 'waiting'`,
			outcome, taken, stepID); err != nil {
			return err
		}
		return s.audit(ctx, tx, undox.System, "ladder.resolve", "item", strconv.FormatInt(itemID, 10),
			fmt.Sprintf("step=%s %s->%s %s", name, from, outcome, detail))
	})
}

const dossierColumns = `id, item_id, step_name, kind, recipient, country, status, automatic, four_eyes, text, html, bundle_sha256,
    bundle_size, COALESCE(first_approved_by, ''), COALESCE(approved_by, ''), COALESCE(sent_by, ''), sent_at, sent_reference, created_at`

func scanDossier(sc interface{ Scan(...any) error }) (*undox.Dossier, error) {
	var (
		d          undox.Dossier
		auto, four int64
		created    int64
		sent       sql.NullInt64
	)
	if err := sc.Scan(&d.ID, &d.ItemID, &d.Step, &d.Kind, &d.Recipient, &d.Country, &d.Status, &auto, &four, &d.Text, &d.HTML,
		&d.BundleSHA256, &d.BundleSize, &d.FirstApprovedBy, &d.ApprovedBy, &d.SentBy, &sent, &d.SentReference, &created); err != nil {
		return nil, err
	}
	d.Automatic, d.FourEyes, d.CreatedAt = auto != 0, four != 0, fromMicros(created)
	if sent.Valid {
		t := fromMicros(sent.Int64)
		d.SentAt = &t
	}
	return &d, nil
}

// dossier reads one dossier or delisting request.
func dossier(ctx context.Context, q querier, id int64) (*undox.Dossier, error) {
	d, err := scanDossier(q.QueryRowContext(ctx, `SELECT `+dossierColumns+` FROM dossiers WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("dossier")
	}
	return d, err
}

// Dossiers returns an item's dossiers and delisting requests, oldest first.
func (s *Store) Dossiers(ctx context.Context, actor undox.Actor, itemID int64) ([]*undox.Dossier, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT `+dossierColumns+` FROM dossiers WHERE item_id = $1 ORDER BY id`, itemID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*undox.Dossier{}
	for rows.Next() {
		d, err := scanDossier(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DossierBundle returns a dossier's evidence bundle (a zip), opened with
// its case's key; reading it is audited. ENOTFOUND when it has none,
// EERASED once its case was erased.
func (s *Store) DossierBundle(ctx context.Context, actor undox.Actor, id int64) ([]byte, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	// The bundle holds every item's raw captures, unblurred (a minor's
	// pictures too): only for those who may reveal them.
	if err := actor.Require(undox.PermReveal); err != nil {
		return nil, err
	}
	var out []byte
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var (
			itemID, index int64
			caseID        sql.NullInt64
			sealed        []byte
			step          string
		)
		err := tx.QueryRowContext(ctx, `SELECT d.item_id, d.case_id, d.bundle_enc, d.step_name,
                COALESCE((SELECT l.step_index FROM ladder_steps l WHERE l.dossier_id = d.id), -1)
            FROM dossiers d WHERE d.id = $1`, id).Scan(&itemID, &caseID, &sealed, &step, &index)
		if errors.Is(err, sql.ErrNoRows) || err == nil && len(sealed) == 0 {
			return notFound("dossier bundle")
		}
		if err != nil {
			return err
		}
		var ref string
		if err := tx.QueryRowContext(ctx, `SELECT ref FROM cases WHERE id = $1`, caseID.Int64).Scan(&ref); err != nil {
			return err
		}
		key, err := s.caseKey(ctx, tx, caseID.Int64)
		if err != nil {
			return err
		}
		if key == nil {
			return undox.Errorf(undox.EERASED, "the case was erased, and its evidence with it")
		}
		if out, err = secret.Open(key, sealed, dossierContext(ref, itemID, int(index))); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "dossier.bundle.read", "dossier", strconv.FormatInt(id, 10), "case="+ref)
	})
	return out, err
}

// ApproveDossier approves a dossier or delisting request for sending. A
// four-eyes one needs two different staff members: the first approval is
// recorded, the second by another makes it ready.
func (s *Store) ApproveDossier(ctx context.Context, actor undox.Actor, id int64) (*undox.Dossier, error) {
	if err := actor.Require(undox.PermActItems); err != nil {
		return nil, err
	}
	var d *undox.Dossier
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := dossier(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.Status != undox.DossierAwaiting {
			return undox.Errorf(undox.ETRANSITION, "the dossier is %s, not awaiting approval", cur.Status)
		}
		now := micros(s.now())
		me := actor.Label()
		// A first approval recorded before migration 018 has only its label.
		firstKey := undox.LabelKey(cur.FirstApprovedBy)
		if cur.FourEyes {
			if err := actor.RequirePerson(); err != nil {
				return err
			}
			var key sql.NullString
			if err := tx.QueryRowContext(ctx, `SELECT first_approved_key FROM dossiers WHERE id = $1`, id).Scan(&key); err != nil {
				return err
			}
			if key.Valid {
				firstKey = key.String
			}
		}
		var detail string
		switch {
		case cur.FourEyes && cur.FirstApprovedBy == "":
			_, err = tx.ExecContext(ctx, `UPDATE dossiers SET first_approved_by = $1, first_approved_key = $2, updated_at = $3 WHERE id = $4`,
				me, actor.Key(), now, id)
			detail = "first approval (four eyes)"
		case cur.FourEyes && actor.IsRequester(firstKey, cur.FirstApprovedBy):
			return undox.Errorf(undox.EFORBIDDEN, "a four-eyes step needs a second, different staff member")
		default:
			_, err = tx.ExecContext(ctx, `UPDATE dossiers SET approved_by = $1, status = $2, updated_at = $3 WHERE id = $4`,
				me, undox.DossierReady, now, id)
			detail = "awaiting_approval->ready"
		}
		if err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "dossier.approve", "dossier", strconv.FormatInt(id, 10), detail); err != nil {
			return err
		}
		d, err = dossier(ctx, tx, id)
		return err
	})
	return d, err
}

// MarkDossierSent records that staff sent a ready dossier through its
// recipient's own channel, with what they noted (the recipient's case
// number, a portal's receipt); audited.
func (s *Store) MarkDossierSent(ctx context.Context, actor undox.Actor, id int64, reference string) (*undox.Dossier, error) {
	if err := actor.Require(undox.PermActItems); err != nil {
		return nil, err
	}
	reference, err := undox.CheckText("reference", reference, 500)
	if err != nil {
		return nil, err
	}
	var d *undox.Dossier
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		now := micros(s.now())
		res, err := tx.ExecContext(ctx, `UPDATE dossiers SET status = $1, sent_by = $2, sent_at = $3, sent_reference = $4, updated_at = $3
            WHERE id = $5 AND status = $6`, undox.DossierSent, actor.Label(), now, reference, id, undox.DossierReady)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			cur, err := dossier(ctx, tx, id)
			if err != nil {
				return err
			}
			return undox.Errorf(undox.ETRANSITION, "the dossier is %s: only a ready (approved) dossier can be sent", cur.Status)
		}
		if err := s.audit(ctx, tx, actor, "dossier.sent", "dossier", strconv.FormatInt(id, 10), "ready->sent"); err != nil {
			return err
		}
		d, err = dossier(ctx, tx, id)
		return err
	})
	return d, err
}

// ReminderOf tells whether a notice is a reminder made by the ladder: the
// n-th, of the original notice.
func (s *Store) ReminderOf(ctx context.Context, noticeID int64) (n int, original int64, err error) {
	err = s.db.SQL.QueryRowContext(ctx, `SELECT reminder, COALESCE(original_notice_id, 0) FROM ladder_steps WHERE notice_id = $1`,
		noticeID).Scan(&n, &original)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return n, original, err
}

// MarkAddressInvalid records that an address bounced for good: the
// ladder prepares no further notice for it, and a notice prepared for it
// after a bounce is canceled (see SkipInvalid).
func (s *Store) MarkAddressInvalid(ctx context.Context, address, reason string, noticeID int64) error {
	address = strings.ToLower(strings.TrimSpace(address))
	if address == "" {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO invalid_addresses (address, reason, notice_id, created_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (address) DO NOTHING`, address, clipText(reason, 500), noticeID, micros(s.now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.audit(ctx, tx, undox.System, "contact.invalid", "notice", strconv.FormatInt(noticeID, 10), "address="+address)
	})
}

// AddressInvalid tells whether an address bounced for good.
func (s *Store) AddressInvalid(ctx context.Context, address string) (bool, error) {
	return s.addressInvalid(ctx, s.db.SQL, address)
}

func (s *Store) addressInvalid(ctx context.Context, q querier, address string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM invalid_addresses WHERE address = $1`, strings.ToLower(strings.TrimSpace(address))).Scan(&n)
	return n > 0, err
}

// SkipInvalid cancels a notice not yet approved whose address bounced for
// good before, and prepares the one to the next recipient of the same
// trace, until one is found with a valid address. It returns the notice
// that stands (nil when none).
func (s *Store) SkipInvalid(ctx context.Context, n *undox.Notice) (*undox.Notice, error) {
	for n != nil {
		bad, err := s.AddressInvalid(ctx, n.Address)
		if err != nil || !bad {
			return n, err
		}
		var next *undox.Notice
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := s.stepNoticeTx(ctx, tx, undox.System, n.ID, undox.NoticeCancel, "the address bounced before", false, ""); err != nil {
				return err
			}
			var err error
			next, err = s.prepareNoticeTx(ctx, tx, undox.System, n.ItemID, n.TraceID, n.RecipientIndex)
			return err
		})
		if err != nil {
			return nil, err
		}
		n = next
	}
	return nil, nil
}

// Cursor returns a job's stored position (0 when none).
func (s *Store) Cursor(ctx context.Context, name string) (int64, error) {
	var v int64
	err := s.db.SQL.QueryRowContext(ctx, `SELECT value FROM takedown_cursors WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// SetCursor stores a job's position.
func (s *Store) SetCursor(ctx context.Context, name string, v int64) error {
	_, err := s.db.SQL.ExecContext(ctx, `INSERT INTO takedown_cursors (name, value, updated_at) VALUES ($1, $2, $3)
        ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, name, v, micros(s.now()))
	return err
}
