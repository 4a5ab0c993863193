package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/secret"
)

// IdempotencyTTL is how long an Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

var _ undox.CaseStore = (*Store)(nil)

// fieldContext binds a sealed field to its case (by its immutable
// reference) and its place, so that it cannot be moved to another.
func fieldContext(ref, field string) string {
	return "case/" + ref + "/" + field
}

func (s *Store) sealField(key []byte, ref, field, value string) ([]byte, error) {
	if value == "" {
		return nil, nil
	}
	return secret.Seal(key, []byte(value), fieldContext(ref, field))
}

func (s *Store) openField(key []byte, ref, field string, sealed []byte) (string, error) {
	if len(sealed) == 0 || key == nil {
		return "", nil
	}
	b, err := secret.Open(key, sealed, fieldContext(ref, field))
	return string(b), err
}

// caseKey returns the case's data key, nil once the case is erased.
func (s *Store) caseKey(ctx context.Context, q querier, caseID int64) ([]byte, error) {
	var wrapped []byte
	err := q.QueryRowContext(ctx, `SELECT data_key FROM cases WHERE id = $1`, caseID).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && wrapped == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.keys.Unwrap(wrapped)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

const caseColumns = `c.id, c.ref, c.category, c.handling, c.is_minor, c.language, c.status, c.consent, c.source,
    COALESCE(c.external_ref, ''), c.legal_hold, c.priority, c.created_at, c.updated_at, c.erased_at,
    c.reporter_email_enc, c.description_enc`

func (s *Store) scanCase(sc interface{ Scan(...any) error }) (*undox.Case, []byte, []byte, error) {
	var (
		c                 undox.Case
		created, upd      int64
		erased            sql.NullInt64
		email, desc, hold []byte
	)
	err := sc.Scan(&c.ID, &c.Ref, &c.Category, &c.Handling, &c.IsMinor, &c.Language, &c.Status, &c.Consent, &c.Source,
		&c.ExternalRef, &hold, &c.Priority, &created, &upd, &erased, &email, &desc)
	if err != nil {
		return nil, nil, nil, err
	}
	if c.LegalHold, err = s.openNote(hold, "case/"+c.Ref+"/legal_hold"); err != nil {
		return nil, nil, nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(upd)
	if erased.Valid {
		t := fromMicros(erased.Int64)
		c.ErasedAt = &t
	}
	return &c, email, desc, nil
}

// Case implements undox.CaseStore. Reading a case decrypts its personal
// fields, so every read is in the audit log.
func (s *Store) Case(ctx context.Context, actor undox.Actor, ref string) (*undox.Case, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var c *undox.Case
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = s.loadCase(ctx, tx, `c.ref = $1`, ref)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "case.read", "case", c.Ref, "")
	})
	return c, err
}

// CaseByStatusToken implements undox.CaseStore: the reporter's own view.
func (s *Store) CaseByStatusToken(ctx context.Context, tokenHash []byte) (*undox.Case, error) {
	return s.loadCase(ctx, s.db.SQL, `c.status_token_hash = $1 AND c.status <> 'erased'`, tokenHash)
}

func (s *Store) loadCase(ctx context.Context, q querier, where string, arg any) (*undox.Case, error) {
	c, email, desc, err := s.scanCase(q.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases c WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("case")
	}
	if err != nil {
		return nil, err
	}
	key, err := s.caseKey(ctx, q, c.ID)
	if err != nil {
		return nil, err
	}
	if c.ReporterEmail, err = s.openField(key, c.Ref, "reporter_email", email); err != nil {
		return nil, err
	}
	if c.Description, err = s.openField(key, c.Ref, "description", desc); err != nil {
		return nil, err
	}
	c.Items, err = s.queryItems(ctx, q, `JOIN case_items ci ON ci.item_id = i.id WHERE ci.case_id = $1 ORDER BY i.id`, c.ID)
	if err != nil || len(c.Items) == 0 {
		return c, err
	}
	byID := map[int64]*undox.Item{}
	ids := make([]any, len(c.Items))
	for i, it := range c.Items {
		byID[it.ID], ids[i] = it, it.ID
		it.Notices = []undox.NoticeSummary{}
	}
	err = s.selectIn(ctx, q, `SELECT item_id, id, role, organisation, status, sent_at, deadline FROM notices WHERE item_id IN `, ids,
		func(rows *sql.Rows) error {
			var (
				n              undox.NoticeSummary
				item           int64
				sent, deadline sql.NullInt64
			)
			if err := rows.Scan(&item, &n.ID, &n.Role, &n.Recipient, &n.Status, &sent, &deadline); err != nil {
				return err
			}
			if sent.Valid {
				t := fromMicros(sent.Int64)
				n.SentAt = &t
			}
			if deadline.Valid {
				t := fromMicros(deadline.Int64)
				n.Deadline = &t
			}
			byID[item].Notices = append(byID[item].Notices, n)
			return nil
		})
	for _, it := range c.Items {
		slices.SortFunc(it.Notices, func(a, b undox.NoticeSummary) int { return cmp.Compare(a.ID, b.ID) })
	}
	return c, err
}

// Cases implements undox.CaseStore. Listing shows no personal field.
func (s *Store) Cases(ctx context.Context, actor undox.Actor, f undox.CaseFilter) ([]*undox.Case, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var w conds
	if f.Status != "" {
		w.add("c.status = ?", f.Status)
	}
	if f.Category != "" {
		w.add("(c.category = ? OR c.handling = ?)", f.Category, f.Category)
	}
	if f.Minor != nil {
		w.add("c.is_minor = ?", *f.Minor)
	}
	if f.Query != "" {
		p := containing(f.Query)
		w.add(`(LOWER(c.ref) LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM case_items ci JOIN items i ON i.id = ci.item_id
            WHERE ci.case_id = c.id AND LOWER(i.url) LIKE ? ESCAPE '\'))`, p, p)
	}
	if f.After > 0 {
		w.add("c.id < ?", f.After)
	}
	q := `SELECT ` + caseColumns + ` FROM cases c` + w.String() + " ORDER BY c.id DESC LIMIT " + w.arg(limit(f.Limit))
	var out []*undox.Case
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, w.args...)
		if err != nil {
			return err
		}
		out, err = collect(rows, func(rows *sql.Rows) (*undox.Case, error) {
			c, _, _, err := s.scanCase(rows)
			return c, err
		})
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "case.list", "case", "*", fmt.Sprintf("count=%d", len(out)))
	})
	return out, err
}

// collect reads every row with scan and closes rows, so that the
// transaction they came from can go on.
func collect[T any](rows *sql.Rows, scan func(*sql.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close()
}

func limit(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, 500)
}

const itemColumns = `i.id, i.url, i.host, i.status, i.report_count, i.category, i.is_minor, i.priority, i.created_at, i.updated_at,
    i.capture_attempts, i.capture_error, i.captured_at, i.traced_at, i.host_moved, i.severity`

func (s *Store) queryItems(ctx context.Context, q querier, rest string, args ...any) ([]*undox.Item, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+itemColumns+` FROM items i `+rest, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*undox.Item
	for rows.Next() {
		var (
			it           undox.Item
			created, upd int64
			capErr       sql.NullString
			capAt, trAt  sql.NullInt64
		)
		if err := rows.Scan(&it.ID, &it.URL, &it.Host, &it.Status, &it.ReportCount, &it.Category, &it.IsMinor,
			&it.Priority, &created, &upd, &it.CaptureAttempts, &capErr, &capAt, &trAt, &it.HostMoved, &it.Severity); err != nil {
			return nil, err
		}
		it.CreatedAt, it.UpdatedAt = fromMicros(created), fromMicros(upd)
		it.CaptureError = capErr.String
		if capAt.Valid {
			t := fromMicros(capAt.Int64)
			it.CapturedAt = &t
		}
		if trAt.Valid {
			t := fromMicros(trAt.Int64)
			it.TracedAt = &t
		}
		out = append(out, &it)
	}
	return out, rows.Err()
}

// Item implements undox.CaseStore.
func (s *Store) Item(ctx context.Context, actor undox.Actor, id int64) (*undox.Item, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var it *undox.Item
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if it, err = s.item(ctx, tx, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "item.read", "item", strconv.FormatInt(id, 10), "")
	})
	return it, err
}

func (s *Store) item(ctx context.Context, q querier, id int64) (*undox.Item, error) {
	items, err := s.queryItems(ctx, q, `WHERE i.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, notFound("item")
	}
	if err := s.addCaseRefs(ctx, q, items); err != nil {
		return nil, err
	}
	return items[0], nil
}

// Items implements undox.CaseStore. Each list is audited (item.list, with
// the count), for the console's queue and the API alike.
func (s *Store) Items(ctx context.Context, actor undox.Actor, f undox.ItemFilter) ([]*undox.Item, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var w conds
	if f.Status != "" {
		w.add("i.status = ?", f.Status)
	}
	if len(f.Statuses) > 0 {
		in := make([]any, len(f.Statuses))
		for i, st := range f.Statuses {
			in[i] = string(st)
		}
		q := "i.status IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(in)), ", ") + ")"
		if f.Answered {
			q = "(" + q + ` OR i.status = 'notified' AND EXISTS (SELECT 1 FROM notices n
                JOIN notice_responses r ON r.notice_id = n.id
                WHERE n.item_id = i.id AND n.status = 'answered' AND r.kind IN ('disputed', 'not_our_customer', 'reply')))`
		}
		w.add(q, in...)
	}
	if f.Host != "" {
		w.add("i.host = ?", strings.ToLower(f.Host))
	}
	if f.Category != "" {
		w.add("i.category = ?", f.Category)
	}
	if f.Minor != nil {
		w.add("i.is_minor = ?", *f.Minor)
	}
	if f.Query != "" {
		p := containing(f.Query)
		w.add(`(LOWER(i.url) LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM case_items ci JOIN cases c ON c.id = ci.case_id
            WHERE ci.item_id = i.id AND LOWER(c.ref) LIKE ? ESCAPE '\'))`, p, p)
	}
	if f.After > 0 && !f.Queue {
		w.add("i.id < ?", f.After)
	}
	if p := f.AfterQueue; f.Queue && p != nil {
		w.add("(i.priority < ? OR i.priority = ? AND i.severity < ? OR i.priority = ? AND i.severity = ? AND i.id > ?)",
			p.Priority, p.Priority, p.Severity, p.Priority, p.Severity, p.ID)
	}
	order := " ORDER BY i.id DESC"
	if f.Queue {
		order = " ORDER BY i.priority DESC, i.severity DESC, i.id ASC"
	}
	// A list of items shows their URLs, which often name the victim: each
	// list read is audited, as a list of cases is (the count, never the
	// filter, which may hold a name).
	var out []*undox.Item
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = s.queryItems(ctx, tx, w.String()+order+" LIMIT "+w.arg(limit(f.Limit)), w.args...); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "item.list", "item", "*", fmt.Sprintf("count=%d", len(out)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// addCaseRefs sets the references of the items' cases, in the order of
// the cases.
func (s *Store) addCaseRefs(ctx context.Context, q querier, items []*undox.Item) error {
	byID := map[int64]*undox.Item{}
	ids := make([]any, len(items))
	for i, it := range items {
		byID[it.ID], ids[i] = it, it.ID
	}
	type link struct {
		item, caseID int64
		ref          string
	}
	var links []link
	err := s.selectIn(ctx, q, `SELECT ci.item_id, c.id, c.ref FROM case_items ci JOIN cases c ON c.id = ci.case_id WHERE ci.item_id IN `, ids,
		func(rows *sql.Rows) error {
			var l link
			if err := rows.Scan(&l.item, &l.caseID, &l.ref); err != nil {
				return err
			}
			links = append(links, l)
			return nil
		})
	if err != nil {
		return err
	}
	slices.SortFunc(links, func(a, b link) int { return cmp.Compare(a.caseID, b.caseID) })
	for _, l := range links {
		byID[l.item].Cases = append(byID[l.item].Cases, l.ref)
	}
	return nil
}

// ItemEvent implements undox.CaseStore for actions requested by people.
func (s *Store) ItemEvent(ctx context.Context, actor undox.Actor, id int64, ev undox.Event, reason string) (*undox.Item, error) {
	if err := actor.Require(undox.PermActItems); err != nil {
		return nil, err
	}
	return s.itemStep(ctx, actor, id, ev, reason, false, nil)
}

// ObserveItem moves an item on what undox itself observed; only jobs call
// it, and it is the only way into states such as removed.
func (s *Store) ObserveItem(ctx context.Context, id int64, ev undox.Event, detail string, then func(tx *sql.Tx) error) (*undox.Item, error) {
	return s.itemStep(ctx, undox.System, id, ev, detail, true, then)
}

func (s *Store) itemStep(ctx context.Context, actor undox.Actor, id int64, ev undox.Event, reason string, observed bool, then func(tx *sql.Tx) error) (*undox.Item, error) {
	var it *undox.Item
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.stepItemTx(ctx, tx, actor, id, ev, reason, observed); err != nil {
			return err
		}
		if then != nil {
			if err := then(tx); err != nil {
				return err
			}
		}
		var err error
		it, err = s.item(ctx, tx, id)
		return err
	})
	return it, err
}

// stepItemTx moves an item one step within tx, records the step in the
// item's history and audits it.
func (s *Store) stepItemTx(ctx context.Context, tx *sql.Tx, actor undox.Actor, id int64, ev undox.Event, reason string, observed bool) error {
	var from, category string
	err := tx.QueryRowContext(ctx, `SELECT status, category FROM items WHERE id = $1`, id).Scan(&from, &category)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("item")
	}
	if err != nil {
		return err
	}
	to, err := undox.ItemStep(undox.ItemStatus(from), ev, observed)
	if err != nil {
		return err
	}
	if cat, _ := undox.LookupCategory(category); cat.ReferralOnly && to == undox.ItemNew {
		// A new item is one that capture fetches: referral-only
		// content never is.
		return undox.Errorf(undox.ETRANSITION, "referral-only content cannot be reopened for capture; undox never fetches it")
	}
	now := micros(s.now())
	res, err := tx.ExecContext(ctx, `UPDATE items SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`, string(to), now, id, from)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return undox.Errorf(undox.ECONFLICT, "the item changed meanwhile; try again")
	}
	var evID int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO item_events (item_id, event, from_status, to_status, actor, created_at)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, id, string(ev), from, string(to), actor.Label(), now).Scan(&evID); err != nil {
		return err
	}
	sealed, err := s.sealNote(reason, itemEventContext(evID))
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE item_events SET reason = $1 WHERE id = $2`, sealed, evID); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, actor, "item."+string(ev), "item", strconv.FormatInt(id, 10), from+"->"+string(to)); err != nil {
		return err
	}
	if ev == undox.ActionConfirm {
		// The pages already captured that copy it are suggested for its cases.
		if err := s.suggestCopiesOf(ctx, tx, id, now); err != nil {
			return err
		}
	}
	switch {
	case (to == undox.ItemRemoved || to == undox.ItemClosed) && !undox.ItemStatus(from).Terminal():
		return s.settleCasesTx(ctx, tx, id, true)
	case !to.Terminal() && undox.ItemStatus(from).Terminal():
		return s.settleCasesTx(ctx, tx, id, false)
	}
	return nil
}

// settleCasesTx follows an item's removal or closing, or its coming
// back, on its cases: an open case whose every item is now handled
// (removed, closed, rejected or referred) closes; a closed case whose
// item needs work again (content that came back) reopens. Rejecting or
// referring the last item leaves the case to an analyst. undox does both itself,
// audited as the system's.
func (s *Store) settleCasesTx(ctx context.Context, tx *sql.Tx, itemID int64, handled bool) error {
	from, ev, q := undox.CaseOpen, undox.ActionClose, `SELECT c.id, c.ref FROM case_items ci JOIN cases c ON c.id = ci.case_id
        WHERE ci.item_id = $1 AND c.status = 'open'
          AND NOT EXISTS (SELECT 1 FROM case_items co JOIN items o ON o.id = co.item_id
              WHERE co.case_id = c.id AND o.status NOT IN ('removed', 'closed', 'rejected', 'referred'))`
	if !handled {
		from, ev, q = undox.CaseClosed, undox.ActionReopen, `SELECT c.id, c.ref FROM case_items ci JOIN cases c ON c.id = ci.case_id
        WHERE ci.item_id = $1 AND c.status = 'closed'`
	}
	to, err := undox.CaseStep(from, ev)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, q, itemID)
	if err != nil {
		return err
	}
	type caseRow struct {
		id  int64
		ref string
	}
	var cases []caseRow
	for rows.Next() {
		var c caseRow
		if err := rows.Scan(&c.id, &c.ref); err != nil {
			rows.Close()
			return err
		}
		cases = append(cases, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := micros(s.now())
	for _, c := range cases {
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = $1, updated_at = $2, status_at = $2 WHERE id = $3 AND status = $4`,
			string(to), now, c.id, string(from)); err != nil {
			return err
		}
		detail := string(from) + "->" + string(to) + " item=" + strconv.FormatInt(itemID, 10) + " automatic"
		if err := s.audit(ctx, tx, undox.System, "case."+string(ev), "case", c.ref, detail); err != nil {
			return err
		}
	}
	return nil
}

// ItemHistory returns the steps an item went through, oldest first.
func (s *Store) ItemHistory(ctx context.Context, id int64) ([]undox.ItemStepRecord, error) {
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT id, event, from_status, to_status, actor, reason, created_at
        FROM item_events WHERE item_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []undox.ItemStepRecord
	for rows.Next() {
		var (
			r      undox.ItemStepRecord
			at, id int64
			reason []byte
		)
		if err := rows.Scan(&id, &r.Event, &r.From, &r.To, &r.Actor, &reason, &at); err != nil {
			return nil, err
		}
		if r.Reason, err = s.openNote(reason, itemEventContext(id)); err != nil {
			return nil, err
		}
		r.At = fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// CaseEvent implements undox.CaseStore.
func (s *Store) CaseEvent(ctx context.Context, actor undox.Actor, ref string, ev undox.Event, reason string) (*undox.Case, error) {
	perm := undox.PermActCases
	if ev == undox.ActionErase {
		perm = undox.PermEraseCases
	}
	if actor.Kind == "public" {
		// The reporter may withdraw, through the status link; nothing else.
		if ev != undox.ActionWithdraw {
			return nil, undox.Errorf(undox.EFORBIDDEN, "a reporter can only withdraw a case")
		}
	} else if err := actor.Require(perm); err != nil {
		return nil, err
	}
	var c *undox.Case
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var (
			id         int64
			from, hold string
		)
		var held []byte
		err := tx.QueryRowContext(ctx, `SELECT id, status, legal_hold FROM cases WHERE ref = $1`, ref).Scan(&id, &from, &held)
		hold = string(held)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("case")
		}
		if err != nil {
			return err
		}
		to, err := undox.CaseStep(undox.CaseStatus(from), ev)
		if err != nil {
			return err
		}
		if to == undox.CaseErased && hold != "" {
			return undox.Errorf(undox.ELEGALHOLD, "the case is under a legal hold and cannot be erased")
		}
		now := micros(s.now())
		// The step holds only if nobody changed the status or put a hold
		// on the case meanwhile.
		res, err := tx.ExecContext(ctx, `UPDATE cases SET status = $1, updated_at = $2, status_at = $2
            WHERE id = $3 AND status = $4 AND ($5 = 0 OR legal_hold IS NULL)`, string(to), now, id, from, boolInt(to == undox.CaseErased))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return undox.Errorf(undox.ECONFLICT, "the case changed meanwhile; try again")
		}
		if to == undox.CaseErased {
			if err := s.erase(ctx, tx, id, now); err != nil {
				return err
			}
			// The key is gone, so the evidence is unreadable; a job
			// deletes its blobs too.
			if err := s.enqueue(ctx, tx, undox.EraseBlobsJob{CaseRef: ref}); err != nil {
				return err
			}
		}
		detail := from + "->" + string(to)
		if ev == undox.ActionErase && reason != "" {
			detail += " reason=" + reasonCode(reason)
		}
		if err := s.audit(ctx, tx, actor, "case."+string(ev), "case", ref, detail); err != nil {
			return err
		}
		c, err = s.loadCase(ctx, tx, `c.id = $1`, id)
		return err
	})
	return c, err
}

// erase destroys the case's data key and personal fields. The audit log
// keeps its entries: they hold no personal data.
func (s *Store) erase(ctx context.Context, tx *sql.Tx, id int64, now int64) error {
	dead, err := secret.Token(32)
	if err != nil {
		return err
	}
	stmts := []struct {
		q    string
		args []any
	}{
		// The key stays until it expires, so that a retry of the erased
		// report answers "erased" instead of creating the case again.
		{`UPDATE idempotency_keys SET receipt_enc = NULL WHERE case_id = $1`, []any{id}},
		{`UPDATE identifiers SET value_enc = NULL WHERE case_id = $1`, []any{id}},
		// The prints of its pages' texts (keyed hashes, but of its pages).
		{`DELETE FROM capture_bands WHERE capture_id IN (SELECT capture_id FROM capture_prints WHERE case_id = $1)`, []any{id}},
		{`DELETE FROM capture_prints WHERE case_id = $1`, []any{id}},
		{`UPDATE watch_state SET generation = generation + 1 WHERE id = 1`, nil},
		{`UPDATE cases SET data_key = NULL, reporter_email_enc = NULL, description_enc = NULL, external_ref = NULL,
            status_token_hash = $2, erased_at = $3 WHERE id = $1`, []any{id, secret.Hash(dead), now}},
		// Staff notes are sealed under the staff-notes key, not the
		// case's, so they are deleted: the reasons of the steps of items
		// that no other case reports (an item other cases share keeps its
		// history for them), and the reasons of the case's four-eyes
		// requests. A request still waiting is withdrawn: there is
		// nothing left to decide. (SQLite overwrites what is deleted:
		// secure_delete.)
		{`UPDATE item_events SET reason = NULL WHERE reason IS NOT NULL AND item_id IN (
            SELECT ci.item_id FROM case_items ci WHERE ci.case_id = $1
              AND NOT EXISTS (SELECT 1 FROM case_items o WHERE o.item_id = ci.item_id AND o.case_id <> $1))`, []any{id}},
		{`UPDATE pending_actions SET status = $2, decided_by = $3, decided_at = $4
            WHERE status = $5 AND case_ref = (SELECT ref FROM cases WHERE id = $1)`,
			[]any{id, undox.PendingCanceled, undox.System.Label(), now, undox.PendingOpen}},
		{`UPDATE pending_actions SET reason_enc = NULL, decision_reason_enc = NULL
            WHERE case_ref = (SELECT ref FROM cases WHERE id = $1)`, []any{id}},
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return err
		}
	}
	return nil
}

// SetLegalHold implements undox.CaseStore; an empty reason lifts the hold.
func (s *Store) SetLegalHold(ctx context.Context, actor undox.Actor, ref, reason string) (*undox.Case, error) {
	if err := actor.Require(undox.PermLegalHold); err != nil {
		return nil, err
	}
	var c *undox.Case
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var hold any
		action := "case.hold.lift"
		if reason != "" {
			sealed, err := s.sealNote(reason, "case/"+ref+"/legal_hold")
			if err != nil {
				return err
			}
			hold, action = sealed, "case.hold.set"
		}
		res, err := tx.ExecContext(ctx, `UPDATE cases SET legal_hold = $1, updated_at = $2 WHERE ref = $3 AND status <> 'erased'`,
			hold, micros(s.now()), ref)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("case")
		}
		if err := s.audit(ctx, tx, actor, action, "case", ref, ""); err != nil {
			return err
		}
		c, err = s.loadCase(ctx, tx, `c.ref = $1`, ref)
		return err
	})
	return c, err
}

// RotateStatusToken implements undox.CaseStore: the old link stops working.
// The victim rotates through their status link (the public actor); staff
// need cases:erase, for whoever holds the new link can withdraw the case,
// which erases it.
func (s *Store) RotateStatusToken(ctx context.Context, actor undox.Actor, ref string, newHash []byte) error {
	if actor.Kind != "public" {
		if err := actor.Require(undox.PermEraseCases); err != nil {
			return err
		}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cases SET status_token_hash = $1, updated_at = $2 WHERE ref = $3 AND status <> 'erased'`,
			newHash, micros(s.now()), ref)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("case")
		}
		return s.audit(ctx, tx, actor, "case.token.rotate", "case", ref, "")
	})
}

// AddReferral records that an item was routed to a competent authority,
// moving it to referred; only the triage job calls it.
func (s *Store) AddReferral(ctx context.Context, itemID int64, authority string) error {
	_, err := s.ObserveItem(ctx, itemID, undox.ObserveRouted, "authority="+authority, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO referrals (item_id, authority, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			itemID, authority, micros(s.now()))
		return err
	})
	return err
}

// Referrals returns the authorities an item was referred to.
func (s *Store) Referrals(ctx context.Context, itemID int64) ([]string, error) {
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT authority FROM referrals WHERE item_id = $1 ORDER BY id`, itemID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// TriageCase is a new case as triage sees it: its handling category and
// its items (ID and status).
type TriageCase struct {
	ID       int64
	Category undox.Category
	Items    []TriageItem
}

// TriageItem is one item of a case being triaged.
type TriageItem struct {
	ID     int64
	Status undox.ItemStatus
}

// TriageBatch returns the cases of a triage job with their items, in one
// query: a job holds the cases of one intake transaction.
func (s *Store) TriageBatch(ctx context.Context, caseIDs []int64) ([]TriageCase, error) {
	byID := map[int64]*TriageCase{}
	var order []int64
	ids := make([]any, len(caseIDs))
	for i, id := range caseIDs {
		ids[i] = id
	}
	err := s.selectIn(ctx, s.db.SQL, `SELECT c.id, c.handling, i.id, i.status FROM cases c JOIN case_items ci ON ci.case_id = c.id
        JOIN items i ON i.id = ci.item_id WHERE c.id IN `, ids, func(rows *sql.Rows) error {
		var (
			cid, iid int64
			handling string
			status   string
		)
		if err := rows.Scan(&cid, &handling, &iid, &status); err != nil {
			return err
		}
		tc := byID[cid]
		if tc == nil {
			cat, _ := undox.LookupCategory(handling)
			tc = &TriageCase{ID: cid, Category: cat}
			byID[cid] = tc
			order = append(order, cid)
		}
		tc.Items = append(tc.Items, TriageItem{ID: iid, Status: undox.ItemStatus(status)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]TriageCase, 0, len(order))
	for _, id := range caseIDs {
		if tc := byID[id]; tc != nil {
			out = append(out, *tc)
			delete(byID, id)
		}
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Staff notes (reasons for steps, legal holds, four-eyes requests) are free
// text that may name people: they are sealed under a key derived from the
// master key, since an item may belong to several cases. Erasing a case
// deletes the notes that belong to it alone (see erase); victims' own data
// is sealed under the case's key.

func itemEventContext(id int64) string { return "item_event/" + strconv.FormatInt(id, 10) + "/reason" }

func (s *Store) sealNote(text, context string) ([]byte, error) {
	if text == "" {
		return nil, nil
	}
	return secret.Seal(s.notesKey, []byte(text), context)
}

func (s *Store) openNote(sealed []byte, context string) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	b, err := secret.Open(s.notesKey, sealed, context)
	return string(b), err
}

// reasonCode keeps a reason in the audit log only when it is a short code
// (such as "retention" or "victim_request"): free text could hold
// personal data, which the audit log never does.
func reasonCode(r string) string {
	if len(r) > 40 || strings.IndexFunc(r, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-')
	}) >= 0 {
		return "free_text"
	}
	return r
}
