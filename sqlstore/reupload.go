package sqlstore

// Automation with care: a re-upload of content already confirmed for a
// case (the same protected person, on the same site) may be notified
// without an analyst's decision where the policy allows it.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/undox/undox"
)

// Reupload says why an item is a re-upload of content already confirmed
// for a case: the confirmed item it repeats, their case, the protected
// person both pages match and their registrable domain.
type Reupload struct {
	ItemID, ConfirmedItemID int64
	CaseRef                 string
	Person                  string
	Domain                  string
}

// registrable returns the registrable domain of a host (example.co.uk for
// www.example.co.uk); the host itself when it has none (an IP address).
func registrable(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// latestPersons returns the protected persons that the latest scan of an
// item matched.
func latestPersons(ctx context.Context, q querier, itemID int64) (map[string]bool, error) {
	var summary string
	err := q.QueryRowContext(ctx, `SELECT summary FROM scans WHERE item_id = $1 ORDER BY id DESC LIMIT 1`, itemID).Scan(&summary)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var sum struct {
		Matches []struct {
			Person string `json:"person"`
		} `json:"matches"`
	}
	if err := json.Unmarshal([]byte(summary), &sum); err != nil {
		return nil, nil // an unreadable summary matches nobody
	}
	out := map[string]bool{}
	for _, m := range sum.Matches {
		if m.Person != "" {
			out[m.Person] = true
		}
	}
	return out, nil
}

// FindReupload tells whether a captured item is a re-upload: its latest
// scan matched a protected person that the latest scan of another item of
// one of its cases matched too, that other item was confirmed by an
// analyst (it went through "confirm"), and both are on the same
// registrable domain. It returns nil when the item is none.
func (s *Store) FindReupload(ctx context.Context, itemID int64) (*Reupload, error) {
	q := s.db.SQL
	it, err := s.item(ctx, q, itemID)
	if err != nil {
		return nil, err
	}
	if it.Status != undox.ItemCaptured {
		return nil, nil
	}
	persons, err := latestPersons(ctx, q, itemID)
	if err != nil || len(persons) == 0 {
		return nil, err
	}
	domain := registrable(it.Host)
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT c.ref, o.id, o.host FROM case_items ci
        JOIN cases c ON c.id = ci.case_id AND c.status = 'open' AND c.data_key IS NOT NULL
        JOIN case_items co ON co.case_id = ci.case_id AND co.item_id <> ci.item_id
        JOIN items o ON o.id = co.item_id
        WHERE ci.item_id = $1
          AND EXISTS (SELECT 1 FROM item_events e WHERE e.item_id = o.id AND e.event = 'confirm')
        ORDER BY o.id`, itemID)
	if err != nil {
		return nil, err
	}
	type other struct {
		ref  string
		id   int64
		host string
	}
	var others []other
	for rows.Next() {
		var o other
		if err := rows.Scan(&o.ref, &o.id, &o.host); err != nil {
			rows.Close()
			return nil, err
		}
		others = append(others, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, o := range others {
		if registrable(o.host) != domain {
			continue
		}
		theirs, err := latestPersons(ctx, q, o.id)
		if err != nil {
			return nil, err
		}
		for p := range persons {
			if theirs[p] {
				return &Reupload{ItemID: itemID, ConfirmedItemID: o.id, CaseRef: o.ref, Person: p, Domain: domain}, nil
			}
		}
	}
	return nil, nil
}

// ConfirmReupload confirms a re-upload without a human decision and
// prepares its notice approved at once, in one transaction: the audit log
// marks both as automatic (the actor "automatic", automatic=true), the
// notice is flagged Automatic (it says so, and its e-mail carries
// Auto-Submitted) and its send job is queued. It returns nil for the
// notice when the item's trace names nobody to notify.
func (s *Store) ConfirmReupload(ctx context.Context, r *Reupload) (*undox.Item, *undox.Notice, error) {
	var (
		it *undox.Item
		n  *undox.Notice
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		reason := fmt.Sprintf("automatic: re-upload of item %d (same protected person, same site %s)", r.ConfirmedItemID, r.Domain)
		if err := s.stepItemTx(ctx, tx, AutomaticActor, r.ItemID, undox.ActionConfirm, reason, false); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, AutomaticActor, "automation.reupload", "item", strconv.FormatInt(r.ItemID, 10),
			fmt.Sprintf("automatic=true case=%s confirmed_item=%d domain=%s", r.CaseRef, r.ConfirmedItemID, r.Domain)); err != nil {
			return err
		}
		var err error
		if n, err = s.prepareNoticeTx(ctx, tx, AutomaticActor, r.ItemID, 0, -1); err != nil {
			return err
		}
		if n != nil && n.Status == undox.NoticePrepared {
			if bad, err := s.addressInvalid(ctx, tx, n.Address); err != nil {
				return err
			} else if bad {
				// An address that bounced before: an analyst decides.
				n, err = s.notice(ctx, tx, n.ID)
				it, _ = s.item(ctx, tx, r.ItemID)
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE notices SET automatic = 1 WHERE id = $1`, n.ID); err != nil {
				return err
			}
			if _, err := s.stepNoticeTx(ctx, tx, AutomaticActor, n.ID, undox.NoticeApprove, "automatic=true re-upload", false,
				`approved_by = $3, approved_at = $4`, AutomaticActor.Label(), micros(s.now())); err != nil {
				return err
			}
			if err := s.enqueue(ctx, tx, undox.SendNoticeJob{NoticeID: n.ID}); err != nil {
				return err
			}
			if n, err = s.notice(ctx, tx, n.ID); err != nil {
				return err
			}
		}
		it, err = s.item(ctx, tx, r.ItemID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return it, n, nil
}

// reuploadCandidates is the FROM and WHERE of items that FindReupload may
// find to be re-uploads: captured items of open cases that have an item
// confirmed before, scanned and traced.
const reuploadCandidates = ` FROM items i
        JOIN case_items ci ON ci.item_id = i.id
        JOIN cases c ON c.id = ci.case_id AND c.status = 'open'
        JOIN case_items co ON co.case_id = ci.case_id AND co.item_id <> i.id
        WHERE i.status = 'captured'
          AND EXISTS (SELECT 1 FROM scans sc WHERE sc.item_id = i.id)
          AND EXISTS (SELECT 1 FROM traces t WHERE t.item_id = i.id)
          AND EXISTS (SELECT 1 FROM item_events e WHERE e.item_id = co.item_id AND e.event = 'confirm')`

// ReuploadCandidates returns the items that FindReupload may find to be
// re-uploads, ready to be notified.
func (s *Store) ReuploadCandidates(ctx context.Context, limit int) ([]int64, error) {
	return queryIDs(ctx, s.db.SQL, `SELECT DISTINCT i.id`+reuploadCandidates+` ORDER BY i.id LIMIT $1`, limitOr(limit, 200))
}

// queryIDs runs a query of one int64 column.
func queryIDs(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
