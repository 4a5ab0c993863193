package sqlstore

// Mirrors (S12): a captured page whose text is nearly that of a page an
// analyst confirmed for a case (package mirror) is suggested for that case,
// whether or not the watch knows anybody on it; the analyst decides, as
// for the watch's suggestions. Captures keep their text's print (keyed
// hashes only) and its bands; the comparison runs both ways: a new capture
// against the confirmed pages, and a page when it is confirmed against the
// captures already kept.

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/undox/undox"
	"github.com/undox/undox/mirror"
)

// savePrint keeps a capture's print and its bands.
func (s *Store) savePrint(ctx context.Context, tx *sql.Tx, c *undox.Capture, caseID, itemID int64) (mirror.Print, error) {
	var p mirror.Print
	if err := p.UnmarshalBinary(c.TextPrint); err != nil {
		return p, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO capture_prints (capture_id, case_id, item_id, print) VALUES ($1, $2, $3, $4)`,
		c.ID, caseID, itemID, c.TextPrint); err != nil {
		return p, err
	}
	for _, b := range p.Bands() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO capture_bands (band, capture_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			b, c.ID); err != nil {
			return p, err
		}
	}
	return p, nil
}

// similarPrint is a kept print that shares a band with the one looked for.
type similarPrint struct {
	itemID, caseID int64
	similarity     float64
}

// similarPrints returns the kept prints of items other than itemID that
// share a band with p and are copies of it (mirror.Threshold), the best
// of each item and case. confirmed keeps only those of items an analyst
// confirmed, captured before the confirmation, in cases that are open and
// not erased.
func similarPrints(ctx context.Context, q querier, p mirror.Print, itemID int64, confirmed bool) ([]similarPrint, error) {
	bands := p.Bands()
	args := []any{itemID}
	in := ""
	for i, b := range bands {
		if i > 0 {
			in += ", "
		}
		args = append(args, b)
		in += "$" + strconv.Itoa(len(args))
	}
	where := ""
	if confirmed {
		// The page as the analyst confirmed it: a later capture (a
		// re-check that found it changed, say) is not what was confirmed.
		where = ` AND c.status = 'open' AND c.data_key IS NOT NULL
          AND EXISTS (SELECT 1 FROM item_events e WHERE e.item_id = p.item_id AND e.event = 'confirm' AND e.created_at >= cp.created_at)`
	}
	rows, err := q.QueryContext(ctx, `SELECT p.item_id, p.case_id, p.print FROM capture_prints p JOIN cases c ON c.id = p.case_id
        JOIN captures cp ON cp.id = p.capture_id
        WHERE p.item_id <> $1 AND p.capture_id IN (SELECT capture_id FROM capture_bands WHERE band IN (`+in+`))`+where+`
        ORDER BY p.capture_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	best := map[[2]int64]int{}
	var out []similarPrint
	for rows.Next() {
		var (
			sp  similarPrint
			raw []byte
			kp  mirror.Print
		)
		if err := rows.Scan(&sp.itemID, &sp.caseID, &raw); err != nil {
			return nil, err
		}
		if kp.UnmarshalBinary(raw) != nil {
			continue
		}
		if sp.similarity = mirror.Similarity(p, kp); sp.similarity < mirror.Threshold {
			continue
		}
		k := [2]int64{sp.itemID, sp.caseID}
		if i, ok := best[k]; ok {
			out[i].similarity = max(out[i].similarity, sp.similarity)
			continue
		}
		best[k] = len(out)
		out = append(out, sp)
	}
	return out, rows.Err()
}

// suggestMirror suggests item for the case: it is a copy of the case's
// confirmed item of (similarity as mirror.Similarity). Nothing is
// suggested for an item the case has already, or that has no scan (a
// suggestion is tied to the scan of the page it suggests).
func (s *Store) suggestMirror(ctx context.Context, tx *sql.Tx, caseID, itemID, of int64, similarity float64, now int64) error {
	var (
		ref    string
		linked int
		scanID sql.NullInt64
	)
	err := tx.QueryRowContext(ctx, `SELECT c.ref, (SELECT count(*) FROM case_items ci WHERE ci.case_id = c.id AND ci.item_id = $2),
        (SELECT max(id) FROM scans WHERE item_id = $2)
        FROM cases c WHERE c.id = $1 AND c.data_key IS NOT NULL`, caseID, itemID).Scan(&ref, &linked, &scanID)
	if err == sql.ErrNoRows || err == nil && (linked > 0 || !scanID.Valid) {
		return nil
	}
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO link_suggestions (case_id, item_id, scan_id, kinds, status, created_at)
        VALUES ($1, $2, $3, $4, 'pending', $5) ON CONFLICT (case_id, item_id) DO NOTHING`,
		caseID, itemID, scanID.Int64, undox.LinkKindMirror, now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return s.audit(ctx, tx, undox.System, "item.link.suggest", "case", ref,
		fmt.Sprintf("item=%d kinds=%s of=%d similarity=%.2f", itemID, undox.LinkKindMirror, of, similarity))
}

// suggestMirrorsOf suggests a newly captured item (its print p) for the
// cases of the confirmed pages it copies.
func (s *Store) suggestMirrorsOf(ctx context.Context, tx *sql.Tx, itemID int64, p mirror.Print, now int64) error {
	similar, err := similarPrints(ctx, tx, p, itemID, true)
	if err != nil {
		return err
	}
	for _, sp := range similar {
		if err := s.suggestMirror(ctx, tx, sp.caseID, itemID, sp.itemID, sp.similarity, now); err != nil {
			return err
		}
	}
	return nil
}

// suggestCopiesOf suggests, for the open cases of an item an analyst just
// confirmed, the pages already captured that copy it.
func (s *Store) suggestCopiesOf(ctx context.Context, tx *sql.Tx, confirmedID int64, now int64) error {
	// Every capture of it so far is of the page as confirmed.
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT p.print, ci.case_id FROM capture_prints p
        JOIN case_items ci ON ci.item_id = p.item_id JOIN cases c ON c.id = ci.case_id
        WHERE p.item_id = $1 AND c.status = 'open' AND c.data_key IS NOT NULL`, confirmedID)
	if err != nil {
		return err
	}
	type mine struct {
		p      mirror.Print
		caseID int64
	}
	var prints []mine
	for rows.Next() {
		var (
			raw []byte
			m   mine
		)
		if err := rows.Scan(&raw, &m.caseID); err != nil {
			rows.Close()
			return err
		}
		if m.p.UnmarshalBinary(raw) == nil {
			prints = append(prints, m)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, m := range prints {
		similar, err := similarPrints(ctx, tx, m.p, confirmedID, false)
		if err != nil {
			return err
		}
		for _, sp := range similar {
			if err := s.suggestMirror(ctx, tx, m.caseID, sp.itemID, confirmedID, sp.similarity, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// ConfirmedCopy tells whether a text (its print p) copies a page an
// analyst confirmed for an open case (mirror.Threshold), and whether one of
// those cases protects a minor. The monitoring of known sites files such
// a page even when the watch knows nobody on it.
func (s *Store) ConfirmedCopy(ctx context.Context, p mirror.Print) (found, minor bool, err error) {
	similar, err := similarPrints(ctx, s.db.SQL, p, 0, true)
	if err != nil {
		return false, false, err
	}
	for _, sp := range similar {
		var m bool
		if err := s.db.SQL.QueryRowContext(ctx, `SELECT is_minor FROM cases WHERE id = $1`, sp.caseID).Scan(&m); err != nil {
			return false, false, err
		}
		minor = minor || m
	}
	return len(similar) > 0, minor, nil
}
