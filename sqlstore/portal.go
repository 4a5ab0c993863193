package sqlstore

// The victim portal's storage: URLs a reporter adds to their own case, and
// their requests that the case's data be erased (GDPR art. 17).

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
)

var _ undox.ErasureStore = (*Store)(nil)

// AddItems links more URLs (normalized) to an open case, as a report
// does: new URLs become items, items that other cases reported count this
// case too, and every item the case gains waits for the capture dispatch
// (dispatched = 0); a referral-only case is queued for triage. URLs the
// case already has are skipped. It returns how many items the case
// gained. The reporter adds through the status link (undox.Public); staff
// need PermActCases.
func (s *Store) AddItems(ctx context.Context, actor undox.Actor, ref string, urls []string) (int, error) {
	if actor.Kind != "public" {
		if err := actor.Require(undox.PermActCases); err != nil {
			return 0, err
		}
	}
	var distinct []string
	seen := map[string]bool{}
	for _, u := range urls {
		if !seen[u] {
			seen[u] = true
			distinct = append(distinct, u)
		}
	}
	if len(distinct) == 0 {
		return 0, undox.Invalid("urls", "give at least one URL")
	}
	added := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added = 0
		var (
			id, priority     int64
			status, handling string
			minor            bool
		)
		err := tx.QueryRowContext(ctx, `SELECT id, status, handling, is_minor, priority FROM cases WHERE ref = $1`, ref).
			Scan(&id, &status, &handling, &minor, &priority)
		if errors.Is(err, sql.ErrNoRows) || status == string(undox.CaseErased) {
			return notFound("case")
		}
		if err != nil {
			return err
		}
		if status != string(undox.CaseOpen) {
			return undox.Errorf(undox.ETRANSITION, "links can be added only to an open case (this one is %s); make a new report", status)
		}
		now := micros(s.now())
		// Holds the case open until this transaction commits.
		res, err := tx.ExecContext(ctx, `UPDATE cases SET updated_at = $1 WHERE id = $2 AND status = 'open'`, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return undox.Errorf(undox.ECONFLICT, "the case changed meanwhile; try again")
		}
		have := map[string]bool{}
		err = run(ctx, tx, `SELECT i.url FROM case_items ci JOIN items i ON i.id = ci.item_id WHERE ci.case_id = $1`, []any{id},
			func(rows *sql.Rows) error {
				var u string
				if err := rows.Scan(&u); err != nil {
					return err
				}
				have[u] = true
				return nil
			})
		if err != nil {
			return err
		}
		cat, _ := undox.LookupCategory(handling)
		rank := undox.Priority(cat, false)
		var rows [][]any
		for _, u := range distinct {
			if have[u] {
				continue
			}
			host := ""
			if pu, err := url.Parse(u); err == nil {
				host = pu.Hostname()
			}
			rows = append(rows, []any{u, host, "new", 1, handling, rank, minor, priority, now, now})
		}
		if len(rows) == 0 {
			return nil
		}
		var ids []int64
		err = s.insertRows(ctx, tx, upsertItems, rows, func(r *sql.Rows) error {
			var (
				itemID int64
				u      string
			)
			if err := r.Scan(&itemID, &u); err != nil {
				return err
			}
			ids = append(ids, itemID)
			return nil
		})
		if err != nil {
			return err
		}
		links := make([][]any, len(ids))
		var sb strings.Builder
		sb.WriteString("items=")
		for i, itemID := range ids {
			links[i] = []any{id, itemID, now}
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatInt(itemID, 10))
		}
		if err := s.insertRows(ctx, tx, insertCaseItems, links, nil); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "case.items.add", "case", ref, sb.String()); err != nil {
			return err
		}
		added = len(ids)
		// As at intake: referral-only content is routed by triage (which
		// skips items already referred); the other items wait on their
		// rows for the capture dispatch.
		if cat.ReferralOnly {
			return s.enqueue(ctx, tx, undox.TriageJob{CaseIDs: []int64{id}})
		}
		return nil
	})
	if err == nil && added > 0 {
		s.capturesWaiting()
	}
	return added, err
}

// RecordReceiptMail records in the audit log whether the reporter's
// receipt (their status link) went out by e-mail: "sent" or "failed". The
// address is never logged.
func (s *Store) RecordReceiptMail(ctx context.Context, ref, state string) error {
	return s.Audit(ctx, undox.System, "case.receipt.email", "case", ref, "email="+state)
}

const erasureColumns = `r.id, c.ref, c.status, r.status, r.requested_at, r.deadline, r.done_at`

func (s *Store) scanErasure(sc interface{ Scan(...any) error }) (*undox.ErasureRequest, error) {
	var (
		r                   undox.ErasureRequest
		requested, deadline int64
		done                sql.NullInt64
	)
	if err := sc.Scan(&r.ID, &r.CaseRef, &r.CaseStatus, &r.Status, &requested, &deadline, &done); err != nil {
		return nil, err
	}
	r.RequestedAt, r.Deadline = fromMicros(requested), fromMicros(deadline)
	if done.Valid {
		t := fromMicros(done.Int64)
		r.DoneAt = &t
	}
	r.Overdue = r.Status == undox.ErasurePending && s.now().After(r.Deadline)
	return &r, nil
}

func (s *Store) erasureRequest(ctx context.Context, q querier, where string, arg any) (*undox.ErasureRequest, error) {
	r, err := s.scanErasure(q.QueryRowContext(ctx, `SELECT `+erasureColumns+`
        FROM erasure_requests r JOIN cases c ON c.id = r.case_id WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("erasure request")
	}
	return r, err
}

// RequestErasure implements undox.ErasureStore. The reporter asks through
// the status link (undox.Public); staff who take a request by other means
// need PermActCases.
func (s *Store) RequestErasure(ctx context.Context, actor undox.Actor, ref string) (*undox.ErasureRequest, bool, error) {
	if actor.Kind != "public" {
		if err := actor.Require(undox.PermActCases); err != nil {
			return nil, false, err
		}
	}
	var (
		r       *undox.ErasureRequest
		created bool
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		created = false
		var (
			id     int64
			status string
		)
		err := tx.QueryRowContext(ctx, `SELECT id, status FROM cases WHERE ref = $1`, ref).Scan(&id, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("case")
		}
		if err != nil {
			return err
		}
		if status == string(undox.CaseErased) {
			return undox.Errorf(undox.EERASED, "the case's data has been erased already")
		}
		now := s.now()
		deadline := undox.ErasureDeadline(now)
		res, err := tx.ExecContext(ctx, `INSERT INTO erasure_requests (case_id, status, requested_at, deadline)
            VALUES ($1, 'pending', $2, $3) ON CONFLICT (case_id) DO NOTHING`, id, micros(now), micros(deadline))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			created = true
			if err := s.audit(ctx, tx, actor, "case.erasure.request", "case", ref,
				"deadline="+deadline.UTC().Format(time.RFC3339)); err != nil {
				return err
			}
		}
		r, err = s.erasureRequest(ctx, tx, `r.case_id = $1`, id)
		return err
	})
	return r, created, err
}

// ErasureRequestOf implements undox.ErasureStore: what the reporter's
// status page shows.
func (s *Store) ErasureRequestOf(ctx context.Context, ref string) (*undox.ErasureRequest, error) {
	return s.erasureRequest(ctx, s.db.SQL, `c.ref = $1`, ref)
}

// ErasureRequests implements undox.ErasureStore, newest first.
func (s *Store) ErasureRequests(ctx context.Context, actor undox.Actor, f undox.ErasureFilter) ([]*undox.ErasureRequest, error) {
	if err := actor.Require(undox.PermEraseCases); err != nil {
		return nil, err
	}
	var w conds
	if f.Status != "" {
		w.add("r.status = ?", string(f.Status))
	}
	if f.After > 0 {
		w.add("r.id < ?", f.After)
	}
	q := `SELECT ` + erasureColumns + ` FROM erasure_requests r JOIN cases c ON c.id = r.case_id` + w.String() +
		" ORDER BY r.id DESC LIMIT " + w.arg(limit(f.Limit))
	var out []*undox.ErasureRequest
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = nil
		err := run(ctx, tx, q, w.args, func(rows *sql.Rows) error {
			r, err := s.scanErasure(rows)
			if err == nil {
				out = append(out, r)
			}
			return err
		})
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "erasure.list", "erasure_request", "*", "count="+strconv.Itoa(len(out)))
	})
	return out, err
}

// CompleteErasure implements undox.ErasureStore. The case is erased by its
// lifecycle's erase action (audited as such, refused under a legal hold);
// then the request is marked done. A retry after a failure between the two
// finds the case erased and only marks the request.
func (s *Store) CompleteErasure(ctx context.Context, actor undox.Actor, id int64) (*undox.ErasureRequest, error) {
	if err := actor.Require(undox.PermEraseCases); err != nil {
		return nil, err
	}
	r, err := s.erasureRequest(ctx, s.db.SQL, `r.id = $1`, id)
	if err != nil || r.Status == undox.ErasureDone {
		return r, err
	}
	if r.CaseStatus != undox.CaseErased {
		if _, err := s.CaseEvent(ctx, actor, r.CaseRef, undox.ActionErase, "erasure_request"); err != nil {
			return nil, err
		}
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE erasure_requests SET status = 'done', done_at = $1 WHERE id = $2 AND status = 'pending'`,
			micros(s.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			if err := s.audit(ctx, tx, actor, "case.erasure.done", "case", r.CaseRef, "request="+strconv.FormatInt(id, 10)); err != nil {
				return err
			}
		}
		r, err = s.erasureRequest(ctx, tx, `r.id = $1`, id)
		return err
	})
	return r, err
}
