package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/undox/undox"
	"github.com/undox/undox/mirror"
	"github.com/undox/undox/secret"
)

func captureFactsContext(ref string, id int64) string {
	return "case/" + ref + "/capture/" + strconv.FormatInt(id, 10) + "/facts"
}

// CaptureTarget returns an item with the live cases that report it and
// their data keys, for the capture job.
func (s *Store) CaptureTarget(ctx context.Context, itemID int64) (*undox.CaptureTarget, error) {
	it, err := s.item(ctx, s.db.SQL, itemID)
	if err != nil {
		return nil, err
	}
	t := &undox.CaptureTarget{Item: it}
	if cat, ok := undox.LookupCategory(it.Category); ok && cat.ReferralOnly {
		t.ReferralOnly = true
	}
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT c.id, c.ref, c.is_minor, c.handling, c.data_key FROM case_items ci
        JOIN cases c ON c.id = ci.case_id WHERE ci.item_id = $1 ORDER BY c.id`, itemID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			cc       undox.CaptureCase
			handling string
			wrapped  []byte
		)
		if err := rows.Scan(&cc.ID, &cc.Ref, &cc.IsMinor, &handling, &wrapped); err != nil {
			return nil, err
		}
		if cat, ok := undox.LookupCategory(handling); ok && cat.ReferralOnly {
			t.ReferralOnly = true
		}
		if wrapped == nil {
			continue // erased
		}
		if cc.Key, err = s.keys.Unwrap(wrapped); err != nil {
			return nil, err
		}
		t.Cases = append(t.Cases, cc)
	}
	return t, rows.Err()
}

// SaveCapture stores an attempt's captures, enters their hashes into the
// audit log, records the outcome on the item and moves it on, in one
// transaction: either all of it is kept or none.
func (s *Store) SaveCapture(ctx context.Context, r undox.CaptureAttempt) (*undox.Item, error) {
	keys := map[string][]byte{}
	var it *undox.Item
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := micros(s.now())
		severity, scanned := 0, false
		var printed *mirror.Print // the page's print, if it has one
		for i := range r.Captures {
			c := &r.Captures[i]
			var caseID int64
			var wrapped []byte
			// On PostgreSQL the case row is locked for sharing: an erasure
			// waits for this capture (and then deletes its print too), or
			// this capture sees the key gone.
			lock := ""
			if s.db.Dialect == Postgres {
				lock = " FOR SHARE"
			}
			err := tx.QueryRowContext(ctx, `SELECT id, data_key FROM cases WHERE ref = $1`+lock, c.CaseRef).Scan(&caseID, &wrapped)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("case")
			}
			if err != nil {
				return err
			}
			if wrapped == nil {
				continue // erased while the page was fetched: keep nothing for it
			}
			key := keys[c.CaseRef]
			if key == nil {
				if key, err = s.keys.Unwrap(wrapped); err != nil {
					return err
				}
				keys[c.CaseRef] = key
			}
			err = tx.QueryRowContext(ctx, `INSERT INTO captures (item_id, case_id, fetched_at, requested_by, http_status, error_code,
                body_sha256, text_sha256, screenshot_sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
				r.ItemID, caseID, micros(c.FetchedAt), c.RequestedBy, c.HTTPStatus, c.ErrorCode,
				c.BodySHA256, c.TextSHA256, c.ScreenshotSHA256, now).Scan(&c.ID)
			if err != nil {
				return err
			}
			if len(c.Facts) > 0 {
				sealed, err := secret.Seal(key, c.Facts, captureFactsContext(c.CaseRef, c.ID))
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE captures SET facts_enc = $1 WHERE id = $2`, sealed, c.ID); err != nil {
					return err
				}
			}
			for seq, f := range c.Files {
				if _, err := tx.ExecContext(ctx, `INSERT INTO capture_files (capture_id, seq, kind, sha256, size, media_type, phash)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, seq, f.Kind, f.SHA256, f.Size, f.MediaType, f.PHash); err != nil {
					return err
				}
			}
			if err := s.audit(ctx, tx, undox.System, "capture", "item", strconv.FormatInt(r.ItemID, 10), CaptureAuditDetail(c)); err != nil {
				return err
			}
			if c.Scan != nil {
				if err := s.saveScan(ctx, tx, r.ItemID, c, key, now); err != nil {
					return err
				}
				severity = max(severity, c.Scan.Severity)
				scanned = true
			}
			if len(c.TextPrint) > 0 {
				p, _, err := s.savePrint(ctx, tx, c.ID, caseID, r.ItemID, c.TextPrint)
				if err != nil {
					return err
				}
				printed = &p
			}
		}
		// The page is the same for every case: compared once.
		if printed != nil {
			if err := s.suggestMirrorsOf(ctx, tx, r.ItemID, *printed, now); err != nil {
				return err
			}
		}
		if scanned {
			// The latest scan says how dangerous the page is now.
			if _, err := tx.ExecContext(ctx, `UPDATE items SET severity = $1 WHERE id = $2`, severity, r.ItemID); err != nil {
				return err
			}
		}
		var errText any
		if r.Error != "" {
			errText = r.Error
		}
		q := `UPDATE items SET capture_attempts = capture_attempts + 1, capture_error = $1 WHERE id = $2`
		if r.Error == "" {
			q = `UPDATE items SET capture_attempts = capture_attempts + 1, capture_error = $1, captured_at = $3 WHERE id = $2`
		}
		args := []any{errText, r.ItemID}
		if r.Error == "" {
			args = append(args, now)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		// The first attempt, whatever its outcome, has the item traced:
		// a page that no longer resolves still has a registrar.
		var traced sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT traced_at FROM items WHERE id = $1`, r.ItemID).Scan(&traced); err != nil {
			return err
		}
		if !traced.Valid {
			if err := s.enqueue(ctx, tx, undox.TraceJob{ItemID: r.ItemID, Headers: r.Headers}); err != nil {
				return err
			}
		}
		if r.Observe != "" {
			var from string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM items WHERE id = $1`, r.ItemID).Scan(&from); err != nil {
				return err
			}
			if _, err := undox.ItemStep(undox.ItemStatus(from), r.Observe, true); err == nil {
				if err := s.stepItemTx(ctx, tx, undox.System, r.ItemID, r.Observe, r.Error, true); err != nil {
					return err
				}
			}
		}
		var err error
		it, err = s.item(ctx, tx, r.ItemID)
		return err
	})
	return it, err
}

// CaptureAuditDetail is the audit entry's detail for a capture: the case,
// the capture, the status, every stored file's SHA-256 by kind and that of
// the facts as stored (facts=), so that the log proves what was seen
// without holding it. Evidence bundles check
// their files against these entries.
func CaptureAuditDetail(c *undox.Capture) string {
	var sb strings.Builder
	sb.WriteString("case=" + c.CaseRef + " capture=" + strconv.FormatInt(c.ID, 10) + " http_status=" + strconv.Itoa(c.HTTPStatus))
	if c.ErrorCode != "" {
		sb.WriteString(" error=" + c.ErrorCode)
	}
	for _, f := range c.Files {
		sb.WriteString(" " + f.Kind + "=" + f.SHA256)
	}
	if len(c.Facts) > 0 {
		sum := sha256.Sum256(c.Facts)
		sb.WriteString(" facts=" + hex.EncodeToString(sum[:]))
	}
	return sb.String()
}

// fetchableTx fails unless the item exists and may be fetched: referral-only
// content never is, whoever asks.
func (s *Store) fetchableTx(ctx context.Context, tx *sql.Tx, itemID int64) error {
	var category, status string
	err := tx.QueryRowContext(ctx, `SELECT category, status FROM items WHERE id = $1`, itemID).Scan(&category, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("item")
	}
	if err != nil {
		return err
	}
	if cat, _ := undox.LookupCategory(category); cat.ReferralOnly || status == string(undox.ItemReferred) {
		return undox.Errorf(undox.EFORBIDDEN, "referral-only content is never fetched")
	}
	return nil
}

// RequestCapture queues a new capture of an item at a staff member's
// request.
func (s *Store) RequestCapture(ctx context.Context, actor undox.Actor, itemID int64) error {
	if err := actor.Require(undox.PermActItems); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.fetchableTx(ctx, tx, itemID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "item.capture.request", "item", strconv.FormatInt(itemID, 10), ""); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, undox.CaptureJob{ItemID: itemID, RequestedBy: actor.Label()})
	})
}

// EnqueueTraces queues a trace of each item; noFetch traces by DNS and
// RDAP/WHOIS only (referral-only content).
func (s *Store) EnqueueTraces(ctx context.Context, itemIDs []int64, noFetch bool) error {
	if len(itemIDs) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		jobs := make([]interface{ Kind() string }, len(itemIDs))
		for i, id := range itemIDs {
			jobs[i] = undox.TraceJob{ItemID: id, NoFetch: noFetch}
		}
		return s.enqueue(ctx, tx, jobs...)
	})
}

// DispatchCaptures queues the capture of up to n items that wait for one
// (new items, and items that a new case linked), oldest first, and marks
// them dispatched, in one transaction. Referral-only content is marked
// and never queued. It returns how many items it took.
func (s *Store) DispatchCaptures(ctx context.Context, n int) (int, error) {
	var taken int
	// On PostgreSQL two dispatches at once (the periodic one, a wake-up,
	// another process's) take different items; SQLite has one writer.
	lock := ""
	if s.db.Dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, category, status FROM items WHERE dispatched = 0 ORDER BY id LIMIT $1`+lock, n)
		if err != nil {
			return err
		}
		var ids []any
		var jobs []interface{ Kind() string }
		for rows.Next() {
			var (
				id               int64
				category, status string
			)
			if err := rows.Scan(&id, &category, &status); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			cat, _ := undox.LookupCategory(category)
			if !cat.ReferralOnly && status != string(undox.ItemReferred) {
				jobs = append(jobs, undox.CaptureJob{ItemID: id})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		taken = len(ids)
		if taken == 0 {
			return nil
		}
		if err := s.selectIn(ctx, tx, `UPDATE items SET dispatched = 1 WHERE id IN `, ids, nil); err != nil {
			return err
		}
		if len(jobs) == 0 {
			return nil
		}
		return s.enqueue(ctx, tx, jobs...)
	})
	return taken, err
}

const captureColumns = `p.id, p.item_id, c.ref, c.is_minor, c.data_key, p.fetched_at, p.requested_by, p.http_status, p.error_code,
    p.body_sha256, p.text_sha256, p.screenshot_sha256, p.facts_enc, p.created_at`

// captures loads captures with their files and opened facts, and the data
// keys of their cases by reference (nil once erased).
func (s *Store) captures(ctx context.Context, q querier, where string, args ...any) ([]*undox.Capture, map[string][]byte, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+captureColumns+` FROM captures p JOIN cases c ON c.id = p.case_id `+where+` ORDER BY p.id`, args...)
	if err != nil {
		return nil, nil, err
	}
	var out []*undox.Capture
	keys := map[string][]byte{}
	byID := map[int64]*undox.Capture{}
	for rows.Next() {
		var (
			c                undox.Capture
			wrapped, facts   []byte
			fetched, created int64
		)
		if err := rows.Scan(&c.ID, &c.ItemID, &c.CaseRef, &c.IsMinor, &wrapped, &fetched, &c.RequestedBy, &c.HTTPStatus, &c.ErrorCode,
			&c.BodySHA256, &c.TextSHA256, &c.ScreenshotSHA256, &facts, &created); err != nil {
			rows.Close()
			return nil, nil, err
		}
		c.FetchedAt, c.CreatedAt = fromMicros(fetched), fromMicros(created)
		key, seen := keys[c.CaseRef]
		if !seen && wrapped != nil {
			if key, err = s.keys.Unwrap(wrapped); err != nil {
				rows.Close()
				return nil, nil, err
			}
		}
		keys[c.CaseRef] = key
		if key != nil && len(facts) > 0 {
			plain, err := secret.Open(key, facts, captureFactsContext(c.CaseRef, c.ID))
			if err != nil {
				rows.Close()
				return nil, nil, err
			}
			c.Facts = plain
		}
		c.Files = []undox.CaptureFile{}
		out = append(out, &c)
		byID[c.ID] = &c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(out) == 0 {
		return out, keys, nil
	}
	ids := make([]any, 0, len(out))
	for _, c := range out {
		ids = append(ids, c.ID)
	}
	err = s.selectIn(ctx, q, `SELECT capture_id, kind, sha256, size, media_type, phash FROM capture_files WHERE capture_id IN `, ids,
		func(rows *sql.Rows) error {
			var (
				id int64
				f  undox.CaptureFile
			)
			if err := rows.Scan(&id, &f.Kind, &f.SHA256, &f.Size, &f.MediaType, &f.PHash); err != nil {
				return err
			}
			byID[id].Files = append(byID[id].Files, f)
			return nil
		})
	if err != nil {
		return nil, nil, err
	}
	err = s.selectIn(ctx, q, `SELECT capture_id, id, summary, severity, findings_enc FROM scans WHERE capture_id IN `, ids,
		func(rows *sql.Rows) error {
			var (
				id      int64
				sc      undox.ScanResult
				summary string
				sealed  []byte
			)
			if err := rows.Scan(&id, &sc.ID, &summary, &sc.Severity, &sealed); err != nil {
				return err
			}
			c := byID[id]
			sc.Summary = []byte(summary)
			if key := keys[c.CaseRef]; key != nil && sealed != nil {
				plain, err := secret.Open(key, sealed, scanContext(c.CaseRef, sc.ID))
				if err != nil {
					return err
				}
				sc.Findings = plain
			}
			c.Scan = &sc
			return nil
		})
	if err != nil {
		return nil, nil, err
	}
	return out, keys, nil
}

// ItemCaptures lists an item's captures, for every case that reports it,
// oldest first. The read is audited.
func (s *Store) ItemCaptures(ctx context.Context, actor undox.Actor, itemID int64) ([]*undox.Capture, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var out []*undox.Capture
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.item(ctx, tx, itemID); err != nil {
			return err
		}
		var err error
		if out, _, err = s.captures(ctx, tx, `WHERE p.item_id = $1`, itemID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "capture.list", "item", strconv.FormatInt(itemID, 10), "count="+strconv.Itoa(len(out)))
	})
	return out, err
}

// CaseCaptures lists a case's captures, oldest first, with the case's data
// key (nil once erased) to read their files; for evidence export.
func (s *Store) CaseCaptures(ctx context.Context, actor undox.Actor, ref string) ([]*undox.Capture, []byte, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, nil, err
	}
	var (
		out []*undox.Capture
		key []byte
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var caseID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM cases WHERE ref = $1`, ref).Scan(&caseID)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("case")
		}
		if err != nil {
			return err
		}
		var keys map[string][]byte
		if out, keys, err = s.captures(ctx, tx, `WHERE p.case_id = $1`, caseID); err != nil {
			return err
		}
		if key = keys[ref]; key == nil {
			if key, err = s.caseKey(ctx, tx, caseID); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, "capture.list", "case", ref, "count="+strconv.Itoa(len(out)))
	})
	return out, key, err
}

// CaptureFile returns one file of a capture with the data key to read it,
// and audits the access: "capture.file.read", or "capture.reveal" when a
// picture of a minor's case is shown unblurred.
func (s *Store) CaptureFile(ctx context.Context, actor undox.Actor, captureID int64, sha256 string, reveal bool) (*undox.Capture, undox.CaptureFile, []byte, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, undox.CaptureFile{}, nil, err
	}
	var (
		c    *undox.Capture
		file undox.CaptureFile
		key  []byte
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		caps, keys, err := s.captures(ctx, tx, `WHERE p.id = $1`, captureID)
		if err != nil {
			return err
		}
		if len(caps) == 0 {
			return notFound("capture")
		}
		c, key = caps[0], keys[caps[0].CaseRef]
		found := false
		for _, f := range c.Files {
			if f.SHA256 == sha256 {
				file, found = f, true
				break
			}
		}
		if !found {
			return notFound("file")
		}
		if key == nil {
			return undox.Errorf(undox.EERASED, "the case was erased, and its evidence with it")
		}
		action := "capture.file.read"
		if reveal && c.IsMinor && file.Visual() {
			if err := actor.Require(undox.PermReveal); err != nil {
				return err
			}
			action = "capture.reveal"
		}
		return s.audit(ctx, tx, actor, action, "capture", strconv.FormatInt(captureID, 10), "case="+c.CaseRef+" "+file.Kind+"="+file.SHA256)
	})
	if err != nil {
		return nil, undox.CaptureFile{}, nil, err
	}
	return c, file, key, nil
}

// scanSummary is the plain summary of a scan: counts per kind of
// personal data and the protected persons matched; never a value.
type scanSummary struct {
	Kinds   map[string]int `json:"kinds"`
	Matches []struct {
		Person string `json:"person"`
	} `json:"matches"`
}

// latestSummary reads the summary of an item's latest scan; an empty one
// when the item was never scanned or the summary cannot be read (it then
// matches nobody and counts nothing).
func latestSummary(ctx context.Context, q querier, itemID int64) (scanSummary, error) {
	var (
		raw string
		sum scanSummary
	)
	err := q.QueryRowContext(ctx, `SELECT summary FROM scans WHERE item_id = $1 ORDER BY id DESC LIMIT 1`, itemID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return sum, nil
	}
	if err != nil {
		return sum, err
	}
	_ = json.Unmarshal([]byte(raw), &sum)
	return sum, nil
}

// ScanKinds returns, per kind of personal data, how many the latest scan
// of an item found: the plain summary only, never a value (the findings
// stay sealed and unread).
func (s *Store) ScanKinds(ctx context.Context, itemID int64) (map[string]int, error) {
	sum, err := latestSummary(ctx, s.db.SQL, itemID)
	if sum.Kinds == nil {
		sum.Kinds = map[string]int{}
	}
	return sum.Kinds, err
}

func scanContext(ref string, id int64) string {
	return "case/" + ref + "/scan/" + strconv.FormatInt(id, 10) + "/findings"
}

// saveScan keeps a capture's scan: the findings sealed under the case's
// key, the summary (no values) in plain; and, for each protected person of
// another case found on the page, a link for an analyst to confirm.
func (s *Store) saveScan(ctx context.Context, tx *sql.Tx, itemID int64, c *undox.Capture, key []byte, now int64) error {
	sc := c.Scan
	if err := tx.QueryRowContext(ctx, `INSERT INTO scans (capture_id, item_id, summary, severity, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		c.ID, itemID, string(sc.Summary), sc.Severity, now).Scan(&sc.ID); err != nil {
		return err
	}
	sealed, err := secret.Seal(key, sc.Findings, scanContext(c.CaseRef, sc.ID))
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE scans SET findings_enc = $1 WHERE id = $2`, sealed, sc.ID); err != nil {
		return err
	}
	for _, person := range sc.Persons {
		ref, _, ok := strings.Cut(person, "/")
		if !ok {
			continue
		}
		var caseID int64
		var linked int
		err := tx.QueryRowContext(ctx, `SELECT c.id, (SELECT count(*) FROM case_items ci WHERE ci.case_id = c.id AND ci.item_id = $2)
            FROM cases c WHERE c.ref = $1 AND c.data_key IS NOT NULL`, ref, itemID).Scan(&caseID, &linked)
		if errors.Is(err, sql.ErrNoRows) || err == nil && linked > 0 {
			continue // an erased case, or the item is that case's already
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO link_suggestions (case_id, item_id, scan_id, kinds, status, created_at)
            VALUES ($1, $2, $3, $4, 'pending', $5) ON CONFLICT (case_id, item_id) DO NOTHING`,
			caseID, itemID, sc.ID, strings.Join(sc.PersonKinds[person], ","), now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			if err := s.audit(ctx, tx, undox.System, "item.link.suggest", "case", ref,
				"item="+strconv.FormatInt(itemID, 10)+" kinds="+strings.Join(sc.PersonKinds[person], ",")); err != nil {
				return err
			}
		}
	}
	return nil
}
