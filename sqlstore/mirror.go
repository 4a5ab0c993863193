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
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/mirror"
)

// savePrint keeps a capture's print and its bands; kept is false when the
// capture had a print already (another process printed it meanwhile).
func (s *Store) savePrint(ctx context.Context, tx *sql.Tx, captureID, caseID, itemID int64, raw []byte) (p mirror.Print, kept bool, err error) {
	if err := p.UnmarshalBinary(raw); err != nil {
		return p, false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO capture_prints (capture_id, case_id, item_id, print) VALUES ($1, $2, $3, $4)
        ON CONFLICT (capture_id) DO NOTHING`, captureID, caseID, itemID, raw)
	if err != nil {
		return p, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return p, false, nil
	}
	for _, b := range p.Bands() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO capture_bands (band, capture_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			b, captureID); err != nil {
			return p, false, err
		}
	}
	return p, true, nil
}

// UnprintedCaptures returns up to limit captures after the capture id
// after, oldest first, that have no print of their text: pages that
// answered 2xx, whose text is kept, of cases not erased. Captures made
// before prints were are printed from them (capture.BackfillPrints).
func (s *Store) UnprintedCaptures(ctx context.Context, after int64, limit int) ([]undox.UnprintedCapture, error) {
	var out []undox.UnprintedCapture
	keys := map[string][]byte{}
	err := run(ctx, s.db.SQL, `SELECT cp.id, c.ref, c.data_key, f.sha256, f.size, f.media_type FROM captures cp
        JOIN cases c ON c.id = cp.case_id JOIN capture_files f ON f.capture_id = cp.id AND f.kind = 'text'
        WHERE cp.id > $1 AND cp.http_status BETWEEN 200 AND 299 AND c.data_key IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM capture_prints p WHERE p.capture_id = cp.id)
        ORDER BY cp.id LIMIT $2`, []any{after, limit}, func(rows *sql.Rows) error {
		var (
			u       undox.UnprintedCapture
			wrapped []byte
		)
		if err := rows.Scan(&u.ID, &u.CaseRef, &wrapped, &u.Text.SHA256, &u.Text.Size, &u.Text.MediaType); err != nil {
			return err
		}
		u.Text.Kind = undox.FileText
		if keys[u.CaseRef] == nil {
			k, err := s.keys.Unwrap(wrapped)
			if err != nil {
				return err
			}
			keys[u.CaseRef] = k
		}
		u.Key = keys[u.CaseRef]
		out = append(out, u)
		return nil
	})
	return out, err
}

// SavePrint keeps the print of a capture kept before prints were (see
// UnprintedCaptures), and suggests as SaveCapture and a confirmation
// would have: the page for the cases of the confirmed pages it copies,
// and, when it is a confirmed page as it was confirmed, the pages that
// copy it for its cases. A capture printed meanwhile, or of a case erased
// meanwhile, is left as it is.
func (s *Store) SavePrint(ctx context.Context, captureID int64, raw []byte) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var caseID, itemID, at int64
		err := tx.QueryRowContext(ctx, `SELECT cp.case_id, cp.item_id, cp.created_at FROM captures cp JOIN cases c ON c.id = cp.case_id
            WHERE cp.id = $1 AND c.data_key IS NOT NULL`, captureID).Scan(&caseID, &itemID, &at)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		p, kept, err := s.savePrint(ctx, tx, captureID, caseID, itemID, raw)
		if err != nil || !kept {
			return err
		}
		now := micros(s.now())
		if err := s.suggestMirrorsOf(ctx, tx, itemID, p, now); err != nil {
			return err
		}
		var confirmed int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM item_events WHERE item_id = $1 AND event = 'confirm' AND created_at >= $2`,
			itemID, at).Scan(&confirmed); err != nil {
			return err
		}
		if confirmed > 0 {
			return s.suggestCopiesOf(ctx, tx, itemID, now)
		}
		return nil
	})
}

// similarPrint is a kept print that shares a band with the one looked for.
type similarPrint struct {
	itemID, caseID int64
	similarity     float64
}

// maxCandidates bounds the kept prints compared with one print: a page
// that many pages share (a login wall, a cookie wall) must not make one
// capture or one confirmation compare and suggest without end. The newest
// are compared.
const maxCandidates = 500

// similarPrints returns the kept prints of items other than itemID that
// share a band with p (the print of a page on host) and are copies of it,
// the best of each item and case: mirror.Threshold across sites,
// mirror.SameSiteThreshold on the same registrable domain, where the
// site's frame makes different pages alike. confirmed keeps only those of
// items an analyst confirmed, captured before the confirmation, in cases
// that are not erased or withdrawn (a closed case's pages were removed:
// their copies are what it must hear of).
func similarPrints(ctx context.Context, q querier, p mirror.Print, itemID int64, host string, confirmed bool) ([]similarPrint, error) {
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
		where = ` AND c.status IN ('open', 'closed') AND c.data_key IS NOT NULL
          AND EXISTS (SELECT 1 FROM item_events e WHERE e.item_id = p.item_id AND e.event = 'confirm' AND e.created_at >= cp.created_at)`
	}
	rows, err := q.QueryContext(ctx, `SELECT p.item_id, p.case_id, p.print, i.host FROM capture_prints p JOIN cases c ON c.id = p.case_id
        JOIN captures cp ON cp.id = p.capture_id JOIN items i ON i.id = p.item_id
        WHERE p.item_id <> $1 AND p.capture_id IN (SELECT capture_id FROM capture_bands WHERE band IN (`+in+`))`+where+`
        ORDER BY p.capture_id DESC LIMIT `+strconv.Itoa(maxCandidates), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	site := registrable(host)
	best := map[[2]int64]int{}
	var out []similarPrint
	for rows.Next() {
		var (
			sp    similarPrint
			raw   []byte
			kp    mirror.Print
			their string
		)
		if err := rows.Scan(&sp.itemID, &sp.caseID, &raw, &their); err != nil {
			return nil, err
		}
		if kp.UnmarshalBinary(raw) != nil {
			continue // not a print this version wrote: it copies nothing
		}
		bar := mirror.Threshold
		if registrable(their) == site {
			bar = mirror.SameSiteThreshold
		}
		if sp.similarity = mirror.Similarity(p, kp); sp.similarity < bar {
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
	if errors.Is(err, sql.ErrNoRows) || err == nil && (linked > 0 || !scanID.Valid) {
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
	it, err := s.item(ctx, tx, itemID)
	if err != nil {
		return err
	}
	similar, err := similarPrints(ctx, tx, p, itemID, it.Host, true)
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
	it, err := s.item(ctx, tx, confirmedID)
	if err != nil {
		return err
	}
	// Its captures up to a confirmation: the page as confirmed.
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT p.print, ci.case_id FROM capture_prints p
        JOIN captures cp ON cp.id = p.capture_id
        JOIN case_items ci ON ci.item_id = p.item_id JOIN cases c ON c.id = ci.case_id
        WHERE p.item_id = $1 AND c.status IN ('open', 'closed') AND c.data_key IS NOT NULL
          AND EXISTS (SELECT 1 FROM item_events e WHERE e.item_id = p.item_id AND e.event = 'confirm' AND e.created_at >= cp.created_at)`, confirmedID)
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
		similar, err := similarPrints(ctx, tx, m.p, confirmedID, it.Host, false)
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

// ConfirmedCopy tells whether a text on host (its print p) copies a page
// an analyst confirmed for a case (as similarPrints decides), and whether
// one of those cases protects a minor. The monitoring of known sites files
// such a page even when the watch knows nobody on it.
func (s *Store) ConfirmedCopy(ctx context.Context, p mirror.Print, host string) (found, minor bool, err error) {
	similar, err := similarPrints(ctx, s.db.SQL, p, 0, host, true)
	if err != nil || len(similar) == 0 {
		return false, false, err
	}
	ids := make([]any, len(similar))
	for i, sp := range similar {
		ids[i] = sp.caseID
	}
	err = s.selectIn(ctx, s.db.SQL, `SELECT is_minor FROM cases WHERE id IN `, ids, func(rows *sql.Rows) error {
		var m bool
		err := rows.Scan(&m)
		minor = minor || m
		return err
	})
	return true, minor, err
}

// SweepMirrors makes the mirror suggestions that a capture and a
// confirmation committing at the same moment left unmade (on PostgreSQL
// neither transaction sees the other's rows): it compares again the prints
// of the captures kept in the last window, and the pages confirmed in it.
// Suggestions made already, decided or not, stay as they are.
func (s *Store) SweepMirrors(ctx context.Context, window time.Duration) error {
	since, now := micros(s.now().Add(-window)), micros(s.now())
	return s.inTx(ctx, func(tx *sql.Tx) error {
		type kept struct {
			itemID int64
			p      mirror.Print
		}
		var prints []kept
		var confirmed []int64
		err := run(ctx, tx, `SELECT p.item_id, p.print FROM capture_prints p JOIN captures cp ON cp.id = p.capture_id
            WHERE cp.created_at >= $1 ORDER BY p.capture_id`, []any{since}, func(rows *sql.Rows) error {
			var (
				k   kept
				raw []byte
			)
			if err := rows.Scan(&k.itemID, &raw); err != nil {
				return err
			}
			if k.p.UnmarshalBinary(raw) == nil {
				prints = append(prints, k)
			}
			return nil
		})
		if err == nil {
			err = run(ctx, tx, `SELECT DISTINCT item_id FROM item_events WHERE event = 'confirm' AND created_at >= $1`, []any{since},
				func(rows *sql.Rows) error {
					var id int64
					err := rows.Scan(&id)
					confirmed = append(confirmed, id)
					return err
				})
		}
		if err != nil {
			return err
		}
		for _, k := range prints {
			if err := s.suggestMirrorsOf(ctx, tx, k.itemID, k.p, now); err != nil {
				return err
			}
		}
		for _, id := range confirmed {
			if err := s.suggestCopiesOf(ctx, tx, id, now); err != nil {
				return err
			}
		}
		return nil
	})
}
