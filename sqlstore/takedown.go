package sqlstore

// The takedown procedure's records: notices to intermediaries, their
// lifecycle (undox.NoticeStep, with history and audit) and their answers.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
)

var _ undox.NoticeStore = (*Store)(nil)

// ResponseTTL is how long a notice's response link works.
const ResponseTTL = 60 * 24 * time.Hour

// Recipient is a recipient as a trace's answer lists it, with how a
// notice reaches it.
type Recipient struct {
	Role         string `json:"role"`
	Organisation string `json:"organisation"`
	Country      string `json:"country"`
	Email        string `json:"email"`
	WebForm      string `json:"web_form"`
	API          string `json:"api"`
	Language     string `json:"language"`
	Notify       bool   `json:"notify"`
	// Index is the recipient's position in the trace's list; Channel
	// and Address say how a notice reaches it: by e-mail first, else by
	// web form, else by API.
	Index            int    `json:"-"`
	Channel, Address string `json:"-"`
}

// NotifiableRecipients returns, in escalation order, the recipients of a
// trace's answer that notices go to: those to notify, in a role that
// notices address, with a channel.
func NotifiableRecipients(answer []byte) ([]Recipient, error) {
	var ans struct {
		Recipients []Recipient `json:"recipients"`
	}
	if err := json.Unmarshal(answer, &ans); err != nil {
		return nil, err
	}
	var out []Recipient
	for i, r := range ans.Recipients {
		if !r.Notify || !noticeRoles[r.Role] {
			continue
		}
		r.Index = i
		switch {
		case r.Email != "":
			r.Channel, r.Address = undox.ChannelEmail, r.Email
		case r.WebForm != "":
			r.Channel, r.Address = undox.ChannelWebForm, r.WebForm
		case r.API != "":
			r.Channel, r.Address = undox.ChannelAPI, r.API
		default:
			continue
		}
		if r.Organisation == "" {
			r.Organisation = r.Address
		}
		out = append(out, r)
	}
	return out, nil
}

// noticeRoles are the roles a notice can go to.
var noticeRoles = map[string]bool{undox.RolePlatform: true, undox.RoleHost: true, undox.RoleCDN: true,
	undox.RoleUpstream: true, undox.RoleRegistrar: true, undox.RoleRegistry: true}

// ConfirmItem implements undox.NoticeStore: the item is confirmed and its
// notice prepared, in one transaction. An item whose latest trace names
// nobody to notify (or that has no trace yet) is confirmed without a
// notice; the audit log says so.
func (s *Store) ConfirmItem(ctx context.Context, actor undox.Actor, itemID int64, reason string) (*undox.Item, *undox.Notice, error) {
	if err := actor.Require(undox.PermActItems); err != nil {
		return nil, nil, err
	}
	var (
		it *undox.Item
		n  *undox.Notice
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.stepItemTx(ctx, tx, actor, itemID, undox.ActionConfirm, reason, false); err != nil {
			return err
		}
		var err error
		if n, err = s.prepareNoticeTx(ctx, tx, actor, itemID, 0, -1); err != nil {
			return err
		}
		it, err = s.item(ctx, tx, itemID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return it, n, nil
}

// PrepareNotice prepares a notice for an item from its latest trace (the
// first recipient to notify), for an item confirmed before it was traced.
// It returns nil when the trace names nobody to notify.
func (s *Store) PrepareNotice(ctx context.Context, actor undox.Actor, itemID int64) (*undox.Notice, error) {
	if err := actor.Require(undox.PermActItems); err != nil {
		return nil, err
	}
	var n *undox.Notice
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		it, err := s.item(ctx, tx, itemID)
		if err != nil {
			return err
		}
		if it.Status != undox.ItemConfirmed {
			return undox.Errorf(undox.ETRANSITION, "a notice is prepared for a confirmed item; this one is %s", it.Status)
		}
		n, err = s.prepareNoticeTx(ctx, tx, actor, itemID, 0, -1)
		return err
	})
	return n, err
}

// liveNotices are the notice states in which a notice is under way or
// was delivered.
const liveNotices = `('prepared', 'manual', 'approved', 'sending', 'sent', 'answered')`

// noticeAfterTraceTx prepares the notice that a new trace (traceID, whose
// answer is given) of the item in status makes possible, as the system,
// for:
//   - a confirmed item without a notice under way: confirmed before its
//     trace named anyone to notify (no trace yet, or none found); it waits
//     for an analyst's approval like any first notice;
//   - content that came back (reappeared) and was not notified since:
//     the re-check that found it back queued this trace. Where the policy
//     notifies re-uploads of confirmed content automatically, it is
//     approved and sent at once, marked as automatic; else it waits for
//     an analyst.
func (s *Store) noticeAfterTraceTx(ctx context.Context, tx *sql.Tx, itemID int64, status string, traceID int64, answer []byte) error {
	var since int64 // notices created before since do not count
	switch undox.ItemStatus(status) {
	case undox.ItemConfirmed:
	case undox.ItemReappeared:
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(created_at), 0) FROM item_events WHERE item_id = $1 AND event = $2`,
			itemID, string(undox.ObserveBack)).Scan(&since); err != nil {
			return err
		}
	default:
		return nil
	}
	var live int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM notices WHERE item_id = $1 AND created_at >= $2 AND status IN `+liveNotices,
		itemID, since).Scan(&live); err != nil {
		return err
	}
	if live > 0 {
		return nil
	}
	if rs, err := NotifiableRecipients(answer); err != nil || len(rs) == 0 {
		return err // nobody to notify: the trace's own audit entry says enough
	}
	n, err := s.prepareNoticeTx(ctx, tx, undox.System, itemID, traceID, -1)
	if err != nil || undox.ItemStatus(status) != undox.ItemReappeared {
		return err
	}
	if !s.Policy().AutoNotifyReuploads() {
		return nil
	}
	_, err = s.approveAutomaticallyTx(ctx, tx, n, "content back online")
	return err
}

// prepareNoticeTx prepares the notice to the first recipient of the
// item's trace (traceID, or the latest when 0) that comes after index
// after, is to be notified and can be reached: by e-mail (a prepared
// notice, which an analyst approves) or else by web form or API (a manual
// notice, whose text a job renders for the analyst).
func (s *Store) prepareNoticeTx(ctx context.Context, tx *sql.Tx, actor undox.Actor, itemID, traceID int64, after int) (*undox.Notice, error) {
	q, arg := `SELECT id, answer FROM traces WHERE item_id = $1 ORDER BY id DESC LIMIT 1`, itemID
	if traceID != 0 {
		q, arg = `SELECT id, answer FROM traces WHERE id = $1`, traceID
	}
	var answer string
	err := tx.QueryRowContext(ctx, q, arg).Scan(&traceID, &answer)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.audit(ctx, tx, actor, "notice.none", "item", strconv.FormatInt(itemID, 10), "no trace")
	}
	if err != nil {
		return nil, err
	}
	rs, err := NotifiableRecipients([]byte(answer))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: trace %d: %w", traceID, err)
	}
	for _, r := range rs {
		if r.Index <= after {
			continue
		}
		n := &undox.Notice{ItemID: itemID, Role: r.Role, Recipient: r.Organisation, Language: r.Language,
			Country: r.Country, TraceID: traceID, RecipientIndex: r.Index, CreatedBy: actor.Label(), CreatedAt: s.now().UTC(),
			Channel: r.Channel, Address: r.Address, Status: undox.NoticePrepared}
		if r.Channel != undox.ChannelEmail {
			n.Status = undox.NoticeManual
		}
		now := micros(n.CreatedAt)
		if err := tx.QueryRowContext(ctx, `INSERT INTO notices (item_id, trace_id, recipient_index, role, organisation, channel,
                address, language, country, status, created_by, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`,
			itemID, traceID, r.Index, n.Role, n.Recipient, n.Channel, n.Address, n.Language, n.Country, string(n.Status),
			n.CreatedBy, now).Scan(&n.ID); err != nil {
			return nil, err
		}
		n.Responses = []undox.NoticeResponse{}
		id := strconv.FormatInt(n.ID, 10)
		if err := s.audit(ctx, tx, actor, "notice.prepare", "notice", id,
			fmt.Sprintf("item=%d role=%s channel=%s status=%s", itemID, n.Role, n.Channel, n.Status)); err != nil {
			return nil, err
		}
		if n.Status == undox.NoticeManual {
			// The text is rendered by the send job, which has the
			// notifier's configuration; it sends nothing for a manual
			// notice.
			if err := s.enqueue(ctx, tx, undox.SendNoticeJob{NoticeID: n.ID}); err != nil {
				return nil, err
			}
		}
		return n, nil
	}
	return nil, s.audit(ctx, tx, actor, "notice.none", "item", strconv.FormatInt(itemID, 10),
		fmt.Sprintf("trace=%d names no further recipient to notify", traceID))
}

// stepNoticeTx moves a notice one step within tx, records the step and
// audits it. It returns the state it came from.
func (s *Store) stepNoticeTx(ctx context.Context, tx *sql.Tx, actor undox.Actor, id int64, ev undox.Event, detail string, observed bool, set string, args ...any) (undox.NoticeStatus, error) {
	var from string
	err := tx.QueryRowContext(ctx, `SELECT status FROM notices WHERE id = $1`, id).Scan(&from)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("notice")
	}
	if err != nil {
		return "", err
	}
	to, err := undox.NoticeStep(undox.NoticeStatus(from), ev, observed)
	if err != nil {
		return "", err
	}
	now := micros(s.now())
	q := `UPDATE notices SET status = $1, updated_at = $2`
	all := []any{string(to), now}
	for _, a := range args {
		all = append(all, a)
	}
	if set != "" {
		q += ", " + set
	}
	all = append(all, id, from)
	q += " WHERE id = $" + strconv.Itoa(len(all)-1) + " AND status = $" + strconv.Itoa(len(all))
	res, err := tx.ExecContext(ctx, q, all...)
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", undox.Errorf(undox.ECONFLICT, "the notice changed meanwhile; try again")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO notice_events (notice_id, event, from_status, to_status, actor, detail, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, string(ev), from, string(to), actor.Label(), detail, now); err != nil {
		return "", err
	}
	d := from + "->" + string(to)
	if detail != "" {
		d += " " + detail
	}
	return undox.NoticeStatus(from), s.audit(ctx, tx, actor, "notice."+string(ev), "notice", strconv.FormatInt(id, 10), d)
}

// ApproveNotice implements undox.NoticeStore: a prepared notice is
// approved and its send job queued, in one transaction.
func (s *Store) ApproveNotice(ctx context.Context, actor undox.Actor, id int64) (*undox.Notice, error) {
	if err := actor.Require(undox.PermActItems); err != nil {
		return nil, err
	}
	var n *undox.Notice
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := micros(s.now())
		if _, err := s.stepNoticeTx(ctx, tx, actor, id, undox.NoticeApprove, "", false,
			`approved_by = $3, approved_at = $4`, actor.Label(), now); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, undox.SendNoticeJob{NoticeID: id}); err != nil {
			return err
		}
		var err error
		n, err = s.notice(ctx, tx, id)
		return err
	})
	return n, err
}

// SubmitNotice records that an analyst submitted a manual notice by its
// web form or API: it counts as sent, and the item as notified. A zero
// deadline is the policy's for the item, from now.
func (s *Store) SubmitNotice(ctx context.Context, actor undox.Actor, id int64, deadline time.Time) (*undox.Notice, error) {
	if err := actor.Require(undox.PermActItems); err != nil {
		return nil, err
	}
	var n *undox.Notice
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if deadline.IsZero() {
			var (
				category string
				minor    bool
			)
			err := tx.QueryRowContext(ctx, `SELECT i.category, i.is_minor FROM notices n JOIN items i ON i.id = n.item_id WHERE n.id = $1`, id).
				Scan(&category, &minor)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("notice")
			}
			if err != nil {
				return err
			}
			if r := s.rules(category, minor); !r.ReferralOnly && r.DeadlineHours > 0 {
				deadline = r.Deadline(s.now())
			}
		}
		if err := s.markSentTx(ctx, tx, actor, id, undox.NoticeSubmit, deadline, false); err != nil {
			return err
		}
		var err error
		n, err = s.notice(ctx, tx, id)
		return err
	})
	return n, err
}

const noticeColumns = `id, item_id, trace_id, recipient_index, role, organisation, channel, address, language, country, status,
    COALESCE(message_id, ''), COALESCE(subject, ''), COALESCE(body, ''), COALESCE(template, ''), COALESCE(template_version, ''),
    automatic, attempts, COALESCE(last_error, ''), created_by, created_at, COALESCE(approved_by, ''), approved_at, sent_at, deadline`

func scanNotice(sc interface{ Scan(...any) error }) (*undox.Notice, error) {
	var (
		n                       undox.Notice
		created                 int64
		approved, sent, dueTime sql.NullInt64
	)
	if err := sc.Scan(&n.ID, &n.ItemID, &n.TraceID, &n.RecipientIndex, &n.Role, &n.Recipient, &n.Channel, &n.Address,
		&n.Language, &n.Country, &n.Status, &n.MessageID, &n.Subject, &n.Text, &n.Template, &n.TemplateVersion,
		&n.Automatic, &n.Attempts, &n.LastError, &n.CreatedBy, &created, &n.ApprovedBy, &approved, &sent, &dueTime); err != nil {
		return nil, err
	}
	n.CreatedAt = fromMicros(created)
	for _, p := range []struct {
		v   sql.NullInt64
		dst **time.Time
	}{{approved, &n.ApprovedAt}, {sent, &n.SentAt}, {dueTime, &n.Deadline}} {
		if p.v.Valid {
			t := fromMicros(p.v.Int64)
			*p.dst = &t
		}
	}
	n.Responses = []undox.NoticeResponse{}
	return &n, nil
}

func (s *Store) notice(ctx context.Context, q querier, id int64) (*undox.Notice, error) {
	n, err := scanNotice(q.QueryRowContext(ctx, `SELECT `+noticeColumns+` FROM notices WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("notice")
	}
	if err != nil {
		return nil, err
	}
	n.Responses, err = s.responses(ctx, q, id)
	return n, err
}

func (s *Store) responses(ctx context.Context, q querier, noticeID int64) ([]undox.NoticeResponse, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, detail, COALESCE(until_date, ''), other_party, source, created_at
        FROM notice_responses WHERE notice_id = $1 ORDER BY id`, noticeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []undox.NoticeResponse{}
	for rows.Next() {
		var (
			r  undox.NoticeResponse
			at int64
		)
		if err := rows.Scan(&r.ID, &r.Kind, &r.Detail, &r.Until, &r.OtherParty, &r.Source, &at); err != nil {
			return nil, err
		}
		r.CreatedAt = fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Notices implements undox.NoticeStore: an item's notices, oldest first,
// with their answers; reading is audited.
func (s *Store) Notices(ctx context.Context, actor undox.Actor, itemID int64) ([]*undox.Notice, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var out []*undox.Notice
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.item(ctx, tx, itemID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+noticeColumns+` FROM notices WHERE item_id = $1 ORDER BY id`, itemID)
		if err != nil {
			return err
		}
		out = []*undox.Notice{}
		for rows.Next() {
			n, err := scanNotice(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, n := range out {
			if n.Responses, err = s.responses(ctx, tx, n.ID); err != nil {
				return err
			}
			if actor.Require(undox.PermActItems) != nil {
				// The response link answers as the recipient: only staff
				// who act on items (and submit manual notices with it)
				// see it; a read-only reader sees where it was.
				n.Text = responseLink.ReplaceAllString(n.Text, "/respond/[…]")
			}
		}
		return s.audit(ctx, tx, actor, "notice.list", "item", strconv.FormatInt(itemID, 10), "")
	})
	return out, err
}

// Outbound is what the send job needs of a notice.
type Outbound struct {
	Notice *undox.Notice
	// Item is the notice's item (URL, category, minor).
	Item *undox.Item
	// Message is the MIME message as rendered; nil until rendered.
	Message []byte
}

// OutboundNotice returns a notice with its item and rendered message, for
// the send job (undox itself; not audited as a read).
func (s *Store) OutboundNotice(ctx context.Context, id int64) (*Outbound, error) {
	n, err := s.notice(ctx, s.db.SQL, id)
	if err != nil {
		return nil, err
	}
	it, err := s.item(ctx, s.db.SQL, n.ItemID)
	if err != nil {
		return nil, err
	}
	var msg sql.NullString
	if err := s.db.SQL.QueryRowContext(ctx, `SELECT message FROM notices WHERE id = $1`, id).Scan(&msg); err != nil {
		return nil, err
	}
	o := &Outbound{Notice: n, Item: it}
	if msg.Valid && msg.String != "" {
		o.Message = []byte(msg.String)
	}
	return o, nil
}

// Rendered is a notice as the send job rendered it.
type Rendered struct {
	MessageID       string
	Subject, Text   string
	XARF            []json.RawMessage
	Template        string
	TemplateVersion string
	TemplateDigest  string
	// Message is the MIME message (nil for a manual notice).
	Message []byte
	// TokenHash is the hash of the response link's token.
	TokenHash []byte
}

// SaveRendered records a notice's rendered text, its Message-ID, its
// message and the hash of its response token, committed before any SMTP
// transaction (the "queued" record of package mail). A notice already
// rendered keeps what it has: it returns false, and the caller uses the
// stored message.
func (s *Store) SaveRendered(ctx context.Context, id int64, r Rendered) (bool, error) {
	xarf, err := json.Marshal(r.XARF)
	if err != nil {
		return false, err
	}
	saved := false
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		var msg any
		if r.Message != nil {
			msg = string(r.Message)
		}
		var msgID any
		if r.MessageID != "" {
			msgID = r.MessageID
		}
		res, err := tx.ExecContext(ctx, `UPDATE notices SET message_id = $1, subject = $2, body = $3, xarf = $4, template = $5,
                template_version = $6, template_digest = $7, message = $8, response_token_hash = $9, response_expires_at = $10,
                rendered_at = $11, updated_at = $11
            WHERE id = $12 AND rendered_at IS NULL AND status IN ('approved', 'manual')`,
			msgID, r.Subject, r.Text, string(xarf), r.Template, r.TemplateVersion, r.TemplateDigest, msg, r.TokenHash,
			micros(now.Add(ResponseTTL)), micros(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		saved = true
		return s.audit(ctx, tx, undox.System, "notice.render", "notice", strconv.FormatInt(id, 10),
			"template="+r.Template+" version="+r.TemplateVersion+" message_id="+r.MessageID)
	})
	return saved, err
}

// MarkNoticeSending records that the SMTP DATA command is about to be
// sent (Envelope.OnData): from now on a resend carries the same
// Message-ID.
func (s *Store) MarkNoticeSending(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.stepNoticeTx(ctx, tx, undox.System, id, undox.NoticeData, "", true,
			`sending_at = $3, attempts = attempts + 1`, micros(s.now()))
		return err
	})
}

// MarkNoticeSent records that the SMTP server accepted the notice
// (Envelope.OnAccepted), with the removal deadline that starts now; the
// item observes that it was notified, in the same transaction.
func (s *Store) MarkNoticeSent(ctx context.Context, id int64, deadline time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return s.markSentTx(ctx, tx, undox.System, id, undox.NoticeAccepted, deadline, true)
	})
}

func (s *Store) markSentTx(ctx context.Context, tx *sql.Tx, actor undox.Actor, id int64, ev undox.Event, deadline time.Time, observed bool) error {
	var due any
	if !deadline.IsZero() {
		due = micros(deadline)
	}
	if _, err := s.stepNoticeTx(ctx, tx, actor, id, ev, "", observed, `sent_at = $3, deadline = $4, last_error = NULL`,
		micros(s.now()), due); err != nil {
		return err
	}
	var itemID int64
	var status string
	if err := tx.QueryRowContext(ctx, `SELECT i.id, i.status FROM notices n JOIN items i ON i.id = n.item_id WHERE n.id = $1`, id).
		Scan(&itemID, &status); err != nil {
		return err
	}
	if _, err := undox.ItemStep(undox.ItemStatus(status), undox.ObserveNotified, true); err != nil {
		// An item closed or referred meanwhile stays so; the notice
		// still counts as sent.
		return s.audit(ctx, tx, undox.System, "notice.item_unchanged", "item", strconv.FormatInt(itemID, 10), "status="+status)
	}
	if err := s.stepItemTx(ctx, tx, undox.System, itemID, undox.ObserveNotified, "notice "+strconv.FormatInt(id, 10), true); err != nil {
		return err
	}
	// The re-checks follow the policy's schedule from the first notice.
	return s.startAfterNoticeTx(ctx, tx, itemID)
}

// NoticeAttemptFailed records a failed attempt that will be retried.
func (s *Store) NoticeAttemptFailed(ctx context.Context, id int64, msg string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notices SET last_error = $1, updated_at = $2 WHERE id = $3`,
			clipText(msg, 1000), micros(s.now()), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, undox.System, "notice.attempt_failed", "notice", strconv.FormatInt(id, 10), clipText(msg, 300))
	})
}

// FailNotice records that a notice cannot be sent (the server refused
// the message, or the retries are used up); an analyst takes over.
func (s *Store) FailNotice(ctx context.Context, id int64, msg string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.stepNoticeTx(ctx, tx, undox.System, id, undox.NoticeFail, clipText(msg, 300), true,
			`last_error = $3`, clipText(msg, 1000))
		return err
	})
}

// BounceNotice records that a notice's address was refused for good (at
// RCPT, or by a bounce read from the mailbox) and prepares the notice to
// the next recipient of the same trace, which it returns (nil when there
// is none). source is "smtp" or "email".
func (s *Store) BounceNotice(ctx context.Context, id int64, detail, source string) (*undox.Notice, error) {
	var next *undox.Notice
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.stepNoticeTx(ctx, tx, undox.System, id, undox.NoticeBounce, clipText(detail, 300), true,
			`last_error = $3`, clipText(detail, 1000)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notice_responses (notice_id, kind, detail, source, created_at)
            VALUES ($1, $2, $3, $4, $5)`, id, undox.ResponseBounce, clipText(detail, 4000), source, micros(s.now())); err != nil {
			return err
		}
		var itemID, traceID int64
		var index int
		if err := tx.QueryRowContext(ctx, `SELECT item_id, trace_id, recipient_index FROM notices WHERE id = $1`, id).
			Scan(&itemID, &traceID, &index); err != nil {
			return err
		}
		var err error
		next, err = s.prepareNoticeTx(ctx, tx, undox.System, itemID, traceID, index)
		return err
	})
	return next, err
}

// NoticeByToken returns the notice that a response link's token opens,
// with its text; an unknown or expired token is ENOTFOUND.
func (s *Store) NoticeByToken(ctx context.Context, tokenHash []byte) (*undox.Notice, error) {
	var id int64
	var expires sql.NullInt64
	err := s.db.SQL.QueryRowContext(ctx, `SELECT id, response_expires_at FROM notices WHERE response_token_hash = $1`, tokenHash).
		Scan(&id, &expires)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (!expires.Valid || s.now().After(fromMicros(expires.Int64))) {
		return nil, undox.Errorf(undox.ENOTFOUND, "this response link is not valid (any more)")
	}
	if err != nil {
		return nil, err
	}
	return s.notice(ctx, s.db.SQL, id)
}

// ResponseByToken records an answer given on the response page that the
// token opens. A "removed" answer counts only once re-checks agree: it is
// recorded here and queues a check now (RecordResponse); "disputed" and
// "not our customer" are for an analyst.
func (s *Store) ResponseByToken(ctx context.Context, tokenHash []byte, r undox.NoticeResponse) (*undox.Notice, error) {
	n, err := s.NoticeByToken(ctx, tokenHash)
	if err != nil {
		return nil, err
	}
	// The link is a capability anyone who sees the notice holds (hosts
	// forward notices to their customers): its answers are bounded, so
	// that nobody floods a notice's record, or the re-checks a removal
	// answer triggers.
	var recent int
	if err := s.db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM notice_responses WHERE notice_id = $1 AND source = 'web' AND created_at > $2`,
		n.ID, micros(s.now().Add(-time.Hour))).Scan(&recent); err != nil {
		return nil, err
	}
	if recent >= maxWebAnswersPerHour {
		return nil, undox.Errorf(undox.ERATELIMIT, "this notice was answered %d times in the last hour; try again later", recent)
	}
	r.Source = "web"
	return s.RecordResponse(ctx, n.ID, r)
}

// responseLink is the token of a notice's response link in its text.
var responseLink = regexp.MustCompile(`/respond/[A-Za-z0-9_-]{16,}`)

// maxWebAnswersPerHour bounds the answers to one notice through its
// response page.
const maxWebAnswersPerHour = 5

// RecordResponse records an answer to a notice (from the response page
// or a reply by e-mail) and moves the notice to answered. Automatic
// replies and bounces are recorded without moving it (a permanent bounce
// goes through BounceNotice).
func (s *Store) RecordResponse(ctx context.Context, noticeID int64, r undox.NoticeResponse) (*undox.Notice, error) {
	if err := checkResponse(&r, s.now()); err != nil {
		return nil, err
	}
	var n *undox.Notice
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var until any
		if r.Until != "" {
			until = r.Until
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO notice_responses (notice_id, kind, detail, until_date, other_party, source, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, noticeID, r.Kind, r.Detail, until, r.OtherParty, r.Source,
			micros(s.now())).Scan(&r.ID); err != nil {
			return err
		}
		detail := "kind=" + r.Kind + " source=" + r.Source
		if r.Kind == undox.ResponseAutoReply || r.Kind == undox.ResponseBounce {
			if err := s.audit(ctx, tx, undox.System, "notice.response", "notice", strconv.FormatInt(noticeID, 10), detail); err != nil {
				return err
			}
		} else if _, err := s.stepNoticeTx(ctx, tx, undox.System, noticeID, undox.NoticeAnswer, detail, true, ""); err != nil {
			return err
		}
		if r.Kind == undox.ResponseRemoved {
			// It counts only once the checks agree: one checks now.
			if err := s.recheckOnResponseTx(ctx, tx, noticeID); err != nil {
				return err
			}
		}
		var err error
		n, err = s.notice(ctx, tx, noticeID)
		return err
	})
	return n, err
}

// checkResponse checks an answer: each kind has what it needs.
func checkResponse(r *undox.NoticeResponse, now time.Time) error {
	var err error
	if r.Detail, err = undox.CheckText("detail", r.Detail, 4000); err != nil {
		return err
	}
	if r.OtherParty, err = undox.CheckText("other_party", r.OtherParty, 500); err != nil {
		return err
	}
	r.Until = strings.TrimSpace(r.Until)
	switch r.Kind {
	case undox.ResponseRemoved, undox.ResponseReply, undox.ResponseAutoReply, undox.ResponseBounce:
	case undox.ResponseWillRemove:
		d, err := time.Parse("2006-01-02", r.Until)
		if err != nil {
			return undox.Invalid("until", "the date by which the content will be removed is required (YYYY-MM-DD)")
		}
		if d.Before(now.UTC().Truncate(24*time.Hour)) || d.After(now.AddDate(1, 0, 0)) {
			return undox.Invalid("until", "the date must be from today to a year from now")
		}
	case undox.ResponseDisputed:
		if r.Detail == "" {
			return undox.Invalid("detail", "a dispute needs a reason")
		}
	case undox.ResponseNotOurCustomer:
		if r.OtherParty == "" {
			return undox.Invalid("other_party", "say who hosts the content, if you know")
		}
	default:
		return undox.Invalid("kind", "unknown kind of response %q", r.Kind)
	}
	if r.Kind != undox.ResponseWillRemove {
		r.Until = ""
	}
	switch r.Source {
	case "web", "email":
	default:
		return undox.Invalid("source", "a response comes from the web page or by e-mail")
	}
	return nil
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xc0 != 0x80 }

// ResponseFormKey is the key that binds a response form's anti-forgery
// token to its response link; derived from the master key, so that every
// process of undox agrees on it.
func (s *Store) ResponseFormKey() []byte { return s.keys.Derive("notice-response-form") }

// MirrorKey is the key of the prints of captured texts (package mirror),
// derived from the master key: kept outside the database, as the prints'
// secret must be.
func (s *Store) MirrorKey() []byte { return s.keys.Derive("mirror-prints") }
