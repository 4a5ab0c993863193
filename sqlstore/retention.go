package sqlstore

import (
	"context"
	"time"

	"github.com/undox/undox"
)

// ExpireIdempotencyKeys deletes keys older than IdempotencyTTL.
func (s *Store) ExpireIdempotencyKeys(ctx context.Context) (int64, error) {
	res, err := s.db.SQL.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, micros(s.now().Add(-IdempotencyTTL)))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// RetentionCandidate is a case that a retention policy may erase.
type RetentionCandidate struct {
	Ref      string
	Category string
	// Handling is the category the case is handled under; retention
	// rules apply to it (a minor's intimate images are kept as CSAM is).
	Handling string
	Status   undox.CaseStatus
	// StatusAt is when the case reached its status; retention counts from it.
	StatusAt time.Time
}

// RetentionCandidates returns closed and withdrawn cases without a legal
// hold, oldest status change first.
func (s *Store) RetentionCandidates(ctx context.Context, limit int) ([]RetentionCandidate, error) {
	return s.RetentionCandidatesAfter(ctx, nil, limit)
}

// RetentionCandidatesAfter returns the page of candidates that follows
// after (the last candidate of the previous page; nil for the first), in
// (status_at, ref) order.
func (s *Store) RetentionCandidatesAfter(ctx context.Context, after *RetentionCandidate, limit int) ([]RetentionCandidate, error) {
	at, ref := int64(-1<<62), ""
	if after != nil {
		at, ref = micros(after.StatusAt), after.Ref
	}
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT ref, category, handling, status, status_at FROM cases
        WHERE status IN ('closed', 'withdrawn') AND legal_hold IS NULL
          AND (status_at > $1 OR (status_at = $1 AND ref > $2))
        ORDER BY status_at, ref LIMIT $3`, at, ref, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RetentionCandidate
	for rows.Next() {
		var (
			c  RetentionCandidate
			at int64
		)
		if err := rows.Scan(&c.Ref, &c.Category, &c.Handling, &c.Status, &at); err != nil {
			return nil, err
		}
		c.StatusAt = fromMicros(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
