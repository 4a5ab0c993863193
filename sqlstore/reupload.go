package sqlstore

// Automation with care: a re-upload of content already confirmed for a
// case (the same protected person, on the same site) may be notified
// without an analyst's decision where the policy allows it.

import (
	"context"
	"database/sql"
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
	sum, err := latestSummary(ctx, q, itemID)
	if err != nil {
		return nil, err
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
	return s.findReupload(ctx, s.db.SQL, itemID, `SELECT case_id FROM case_items WHERE item_id = $1`)
}

// findReupload is FindReupload over the cases that caseIDs (a query of
// the item's id as $1) selects.
func (s *Store) findReupload(ctx context.Context, q querier, itemID int64, caseIDs string) (*Reupload, error) {
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
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT c.ref, o.id, o.host FROM cases c
        JOIN case_items co ON co.case_id = c.id AND co.item_id <> $1
        JOIN items o ON o.id = co.item_id
        WHERE c.id IN (`+caseIDs+`) AND c.status = 'open' AND c.data_key IS NOT NULL
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

// LinkReupload links an item to a case that the watch suggested it for
// (a pending link suggestion) when the item is a re-upload of content
// already confirmed for that case: the same protected person on the same
// site, as FindReupload decides for linked items. The link is confirmed
// by undox itself, audited as automatic. Anyone's report of a re-upload,
// or the monitoring of a known doxing site, so reaches the victim's case
// without waiting for an analyst. It returns nil when the item is no such
// re-upload.
func (s *Store) LinkReupload(ctx context.Context, itemID int64) (*Reupload, error) {
	var out *Reupload
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := s.findReupload(ctx, tx, itemID, `SELECT case_id FROM link_suggestions WHERE item_id = $1 AND status = 'pending'`)
		if err != nil || r == nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT l.id FROM link_suggestions l JOIN cases c ON c.id = l.case_id
            WHERE l.item_id = $1 AND c.ref = $2 AND l.status = 'pending'`, itemID, r.CaseRef).Scan(&id); err != nil {
			return err
		}
		note := fmt.Sprintf(" automatic=true re-upload of item %d (same protected person, same site %s)", r.ConfirmedItemID, r.Domain)
		if _, err := s.decideLinkTx(ctx, tx, AutomaticActor, id, true, note); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
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
		if n, err = s.approveAutomaticallyTx(ctx, tx, n, "re-upload"); err != nil {
			return err
		}
		it, err = s.item(ctx, tx, r.ItemID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return it, n, nil
}

// approveAutomaticallyTx approves a notice just prepared (n, nil when
// nobody is to be notified) without a human decision and queues its send:
// the notice is flagged Automatic (it says so, and its e-mail carries
// Auto-Submitted), and the audit log names AutomaticActor with
// automatic=true and why. A manual notice (web form or API) and one to an
// address that bounced before are left to an analyst. It returns the
// notice as it now is.
func (s *Store) approveAutomaticallyTx(ctx context.Context, tx *sql.Tx, n *undox.Notice, why string) (*undox.Notice, error) {
	if n == nil || n.Status != undox.NoticePrepared {
		return n, nil
	}
	if bad, err := s.addressInvalid(ctx, tx, n.Address); err != nil || bad {
		return n, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE notices SET automatic = 1 WHERE id = $1`, n.ID); err != nil {
		return nil, err
	}
	if _, err := s.stepNoticeTx(ctx, tx, AutomaticActor, n.ID, undox.NoticeApprove, "automatic=true "+why, false,
		`approved_by = $3, approved_at = $4`, AutomaticActor.Label(), micros(s.now())); err != nil {
		return nil, err
	}
	if err := s.enqueue(ctx, tx, undox.SendNoticeJob{NoticeID: n.ID}); err != nil {
		return nil, err
	}
	return s.notice(ctx, tx, n.ID)
}

// reuploadCandidates is the FROM and WHERE of items that FindReupload may
// find to be re-uploads: captured items of open cases that have an item
// confirmed before, scanned and traced.
const reuploadCandidates = ` FROM items i
        JOIN case_items ci ON ci.item_id = i.id
        JOIN cases c ON c.id = ci.case_id AND c.status = 'open'
        JOIN case_items co ON co.case_id = ci.case_id AND co.item_id <> i.id` + readyCandidate

// suggestedCandidates is the FROM and WHERE of items that LinkReupload
// may link: captured, scanned and traced items that the watch suggested
// for an open case that has an item confirmed before.
const suggestedCandidates = ` FROM items i
        JOIN link_suggestions l ON l.item_id = i.id AND l.status = 'pending'
        JOIN cases c ON c.id = l.case_id AND c.status = 'open'
        JOIN case_items co ON co.case_id = c.id AND co.item_id <> i.id` + readyCandidate

// readyCandidate is the WHERE of both: the item i is captured, scanned
// and traced, and the other item co of the case was confirmed.
const readyCandidate = `
        WHERE i.status = 'captured'
          AND EXISTS (SELECT 1 FROM scans sc WHERE sc.item_id = i.id)
          AND EXISTS (SELECT 1 FROM traces t WHERE t.item_id = i.id)
          AND EXISTS (SELECT 1 FROM item_events e WHERE e.item_id = co.item_id AND e.event = 'confirm')`

// ReuploadCandidates returns the items that FindReupload or LinkReupload
// may find to be re-uploads, ready to be notified.
func (s *Store) ReuploadCandidates(ctx context.Context, limit int) ([]int64, error) {
	return queryIDs(ctx, s.db.SQL, `SELECT id FROM (SELECT i.id`+reuploadCandidates+` UNION SELECT i.id`+suggestedCandidates+
		`) candidates ORDER BY id LIMIT $1`, limitOr(limit, 200))
}

// reuploadCandidate tells whether an item is one of ReuploadCandidates.
func reuploadCandidate(ctx context.Context, q querier, itemID int64) (bool, error) {
	// EXISTS stops at the first confirmed item: a case with a thousand
	// re-uploads linked is not counted through for each new one.
	var n int
	err := q.QueryRowContext(ctx, `SELECT CASE WHEN EXISTS (SELECT 1`+reuploadCandidates+` AND i.id = $1)
        OR EXISTS (SELECT 1`+suggestedCandidates+` AND i.id = $1) THEN 1 ELSE 0 END`, itemID).Scan(&n)
	return n > 0, err
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
