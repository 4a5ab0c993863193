package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/undox/undox"
)

// TraceURL returns what a trace job needs of an item: its URL and whether
// it is referral-only content (traced without fetching anything).
func (s *Store) TraceURL(ctx context.Context, itemID int64) (url string, referralOnly bool, err error) {
	var category, status string
	err = s.db.SQL.QueryRowContext(ctx, `SELECT url, category, status FROM items WHERE id = $1`, itemID).Scan(&url, &category, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, notFound("item")
	}
	cat, _ := undox.LookupCategory(category)
	return url, cat.ReferralOnly || status == string(undox.ItemReferred), err
}

// SaveTrace keeps a trace of an item. When the host differs from the
// previous trace's, the item is marked (host_moved) and the audit log
// says so: the analyst is told, and new recipients follow.
func (s *Store) SaveTrace(ctx context.Context, itemID int64, hostKey string, answer []byte) (*undox.Trace, error) {
	var t *undox.Trace
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var prev sql.NullString
		var status string
		err := tx.QueryRowContext(ctx, `SELECT host_key, status FROM items WHERE id = $1`, itemID).Scan(&prev, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("item")
		}
		if err != nil {
			return err
		}
		now := s.now().UTC()
		moved := prev.Valid && prev.String != "" && hostKey != "" && prev.String != hostKey
		t = &undox.Trace{ItemID: itemID, TracedAt: now, HostKey: hostKey, Moved: moved, Answer: answer}
		if err := tx.QueryRowContext(ctx, `INSERT INTO traces (item_id, traced_at, host_key, moved, answer) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			itemID, micros(now), hostKey, boolInt(moved), string(answer)).Scan(&t.ID); err != nil {
			return err
		}
		q := `UPDATE items SET traced_at = $1, host_key = $2 WHERE id = $3`
		if moved {
			q = `UPDATE items SET traced_at = $1, host_key = $2, host_moved = 1 WHERE id = $3`
		}
		if hostKey == "" && prev.Valid {
			hostKey = prev.String // a degraded trace does not forget the host
		}
		if _, err := tx.ExecContext(ctx, q, micros(now), hostKey, itemID); err != nil {
			return err
		}
		if err := s.noticeAfterTraceTx(ctx, tx, itemID, status, t.ID, answer); err != nil {
			return err
		}
		// A captured and scanned item of an open case that has another,
		// confirmed item may be a re-upload: decide now, not at the
		// next sweep.
		// (The trace inserted above counts as the item's trace.)
		candidate, err := reuploadCandidate(ctx, tx, itemID)
		if err != nil {
			return err
		}
		if candidate {
			if err := s.enqueue(ctx, tx, undox.ReuploadJob{ItemID: itemID}); err != nil {
				return err
			}
		}
		detail := "trace=" + strconv.FormatInt(t.ID, 10)
		action := "item.traced"
		if moved {
			action, detail = "item.host_moved", detail+" from="+prev.String+" to="+hostKey
		}
		return s.audit(ctx, tx, undox.System, action, "item", strconv.FormatInt(itemID, 10), detail)
	})
	return t, err
}

// ItemTraces lists an item's traces, newest first; the read is audited.
func (s *Store) ItemTraces(ctx context.Context, actor undox.Actor, itemID int64, limit int) ([]*undox.Trace, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var out []*undox.Trace
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.item(ctx, tx, itemID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, traced_at, host_key, moved, answer FROM traces WHERE item_id = $1 ORDER BY id DESC LIMIT $2`,
			itemID, limitOr(limit, 20))
		if err != nil {
			return err
		}
		defer rows.Close()
		out = []*undox.Trace{}
		for rows.Next() {
			var (
				t      = &undox.Trace{ItemID: itemID}
				at     int64
				moved  bool
				answer string
			)
			if err := rows.Scan(&t.ID, &at, &t.HostKey, &moved, &answer); err != nil {
				return err
			}
			t.TracedAt, t.Moved, t.Answer = fromMicros(at), moved, []byte(answer)
			out = append(out, t)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "trace.list", "item", strconv.FormatInt(itemID, 10), "")
	})
	return out, err
}

// RequestTrace queues a new trace of an item at a staff member's request
// (re-checks call it too: a move to another host yields new recipients).
func (s *Store) RequestTrace(ctx context.Context, actor undox.Actor, itemID int64) error {
	if err := actor.Require(undox.PermActItems); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.item(ctx, tx, itemID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "item.trace.request", "item", strconv.FormatInt(itemID, 10), ""); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, undox.TraceJob{ItemID: itemID, RequestedBy: actor.Label()})
	})
}

// AcknowledgeMove clears an item's host_moved mark once an analyst has
// seen the new host.
func (s *Store) AcknowledgeMove(ctx context.Context, actor undox.Actor, itemID int64) error {
	if err := actor.Require(undox.PermActItems); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE items SET host_moved = 0 WHERE id = $1`, itemID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("item")
		}
		return s.audit(ctx, tx, actor, "item.host_moved.ack", "item", strconv.FormatInt(itemID, 10), "")
	})
}

func limitOr(n, def int) int {
	if n <= 0 || n > 500 {
		return def
	}
	return n
}
