package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/undox/undox"
	"github.com/undox/undox/secret"
)

func identifierContext(ref string, id int64) string {
	return "case/" + ref + "/identifier/" + strconv.FormatInt(id, 10)
}

// AddIdentifier registers an identifier of a person the case protects. The
// value is sealed under the case's key; the audit log records the kind
// and the person, never the value.
func (s *Store) AddIdentifier(ctx context.Context, actor undox.Actor, ref string, person int, kind, value string) (*undox.Identifier, error) {
	if err := actor.Require(undox.PermActCases); err != nil {
		return nil, err
	}
	if !undox.ValidIdentifierKind(kind) {
		return nil, undox.Invalid("kind", "kind must be one of %v", undox.IdentifierKinds())
	}
	if person < 1 || person > 100 {
		return nil, undox.Invalid("person", "person is a number from 1 to 100")
	}
	value, err := undox.CheckText("value", value, 500)
	if err != nil {
		return nil, err
	}
	if value == "" {
		return nil, undox.Invalid("value", "value is required")
	}
	var out *undox.Identifier
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var caseID int64
		var status string
		err := tx.QueryRowContext(ctx, `SELECT id, status FROM cases WHERE ref = $1`, ref).Scan(&caseID, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("case")
		}
		if err != nil {
			return err
		}
		key, err := s.caseKey(ctx, tx, caseID)
		if err != nil {
			return err
		}
		if key == nil {
			return undox.Errorf(undox.EERASED, "the case was erased")
		}
		now := s.now().UTC()
		out = &undox.Identifier{CaseRef: ref, Person: person, Kind: kind, Value: value, CreatedBy: actor.Label(), CreatedAt: now}
		if err := tx.QueryRowContext(ctx, `INSERT INTO identifiers (case_id, person, kind, created_by, created_at)
            VALUES ($1, $2, $3, $4, $5) RETURNING id`, caseID, person, kind, out.CreatedBy, micros(now)).Scan(&out.ID); err != nil {
			return err
		}
		sealed, err := secret.Seal(key, []byte(value), identifierContext(ref, out.ID))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE identifiers SET value_enc = $1 WHERE id = $2`, sealed, out.ID); err != nil {
			return err
		}
		if err := s.bumpWatch(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "identifier.add", "case", ref, "person="+strconv.Itoa(person)+" kind="+kind)
	})
	return out, err
}

func (s *Store) bumpWatch(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE watch_state SET generation = generation + 1 WHERE id = 1`)
	return err
}

// Identifiers returns a case's identifiers with their values, for staff;
// the read is audited.
func (s *Store) Identifiers(ctx context.Context, actor undox.Actor, ref string) ([]*undox.Identifier, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var out []*undox.Identifier
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var caseID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM cases WHERE ref = $1`, ref).Scan(&caseID)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("case")
		}
		if err != nil {
			return err
		}
		key, err := s.caseKey(ctx, tx, caseID)
		if err != nil {
			return err
		}
		if out, err = s.identifiers(ctx, tx, `WHERE i.case_id = $1 AND i.removed_at IS NULL ORDER BY i.person, i.id`, map[string][]byte{ref: key}, caseID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "identifier.list", "case", ref, "count="+strconv.Itoa(len(out)))
	})
	return out, err
}

// identifiers loads identifiers, opening each value with its case's key
// (keys by case reference; a case without a key yields no value).
func (s *Store) identifiers(ctx context.Context, q querier, where string, keys map[string][]byte, args ...any) ([]*undox.Identifier, error) {
	rows, err := q.QueryContext(ctx, `SELECT i.id, c.ref, i.person, i.kind, i.value_enc, i.created_by, i.created_at
        FROM identifiers i JOIN cases c ON c.id = i.case_id `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*undox.Identifier{}
	for rows.Next() {
		var (
			it     undox.Identifier
			sealed []byte
			at     int64
		)
		if err := rows.Scan(&it.ID, &it.CaseRef, &it.Person, &it.Kind, &sealed, &it.CreatedBy, &at); err != nil {
			return nil, err
		}
		it.CreatedAt = fromMicros(at)
		if key := keys[it.CaseRef]; key != nil && sealed != nil {
			v, err := secret.Open(key, sealed, identifierContext(it.CaseRef, it.ID))
			if err != nil {
				return nil, err
			}
			it.Value = string(v)
		}
		out = append(out, &it)
	}
	return out, rows.Err()
}

// RemoveIdentifier removes an identifier from the case and the watch.
func (s *Store) RemoveIdentifier(ctx context.Context, actor undox.Actor, ref string, id int64) error {
	if err := actor.Require(undox.PermActCases); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE identifiers SET value_enc = NULL, removed_at = $1
            WHERE id = $2 AND removed_at IS NULL AND case_id = (SELECT id FROM cases WHERE ref = $3)`, micros(s.now()), id, ref)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("identifier")
		}
		if err := s.bumpWatch(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "identifier.remove", "case", ref, "identifier="+strconv.FormatInt(id, 10))
	})
}

// WatchGeneration tells whether the identifiers changed since an index was
// built: it moves on every change.
func (s *Store) WatchGeneration(ctx context.Context) (int64, error) {
	var g int64
	err := s.db.SQL.QueryRowContext(ctx, `SELECT generation FROM watch_state WHERE id = 1`).Scan(&g)
	return g, err
}

// WatchIdentifiers returns every live identifier of every live case with
// its value, to build the watch index from, and the generation it is of.
// Only undox itself reads them all.
func (s *Store) WatchIdentifiers(ctx context.Context) ([]*undox.Identifier, int64, error) {
	var (
		out []*undox.Identifier
		gen int64
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT generation FROM watch_state WHERE id = 1`).Scan(&gen); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT c.ref, c.data_key FROM identifiers i JOIN cases c ON c.id = i.case_id
            WHERE i.removed_at IS NULL AND c.data_key IS NOT NULL`)
		if err != nil {
			return err
		}
		keys := map[string][]byte{}
		for rows.Next() {
			var (
				ref     string
				wrapped []byte
			)
			if err := rows.Scan(&ref, &wrapped); err != nil {
				rows.Close()
				return err
			}
			if keys[ref], err = s.keys.Unwrap(wrapped); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		all, err := s.identifiers(ctx, tx, `WHERE i.removed_at IS NULL AND c.data_key IS NOT NULL ORDER BY i.id`, keys)
		if err != nil {
			return err
		}
		for _, it := range all {
			if it.Value != "" {
				out = append(out, it)
			}
		}
		return nil
	})
	return out, gen, err
}

const linkColumns = `l.id, c.ref, l.item_id, i.url, l.kinds, l.status, COALESCE(l.decided_by, ''), l.created_at, l.decided_at`

func (s *Store) links(ctx context.Context, q querier, where string, args ...any) ([]*undox.LinkSuggestion, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+linkColumns+` FROM link_suggestions l JOIN cases c ON c.id = l.case_id
        JOIN items i ON i.id = l.item_id `+where+` ORDER BY l.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*undox.LinkSuggestion{}
	for rows.Next() {
		var (
			l       undox.LinkSuggestion
			kinds   string
			at      int64
			decided sql.NullInt64
		)
		if err := rows.Scan(&l.ID, &l.CaseRef, &l.ItemID, &l.URL, &kinds, &l.Status, &l.DecidedBy, &at, &decided); err != nil {
			return nil, err
		}
		l.Kinds = strings.Split(kinds, ",")
		l.CreatedAt = fromMicros(at)
		if decided.Valid {
			t := fromMicros(decided.Int64)
			l.DecidedAt = &t
		}
		out = append(out, &l)
	}
	return out, rows.Err()
}

// LinkSuggestions lists the pages on which scans found a person the case
// protects, that are not the case's items.
func (s *Store) LinkSuggestions(ctx context.Context, actor undox.Actor, ref string) ([]*undox.LinkSuggestion, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var out []*undox.LinkSuggestion
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.loadCase(ctx, tx, `c.ref = $1`, ref); err != nil {
			return err
		}
		var err error
		if out, err = s.links(ctx, tx, `WHERE c.ref = $1`, ref); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "link.list", "case", ref, "count="+strconv.Itoa(len(out)))
	})
	return out, err
}

// DecideLink confirms a suggestion (the item joins the case, as if the case
// had reported it) or rejects it.
func (s *Store) DecideLink(ctx context.Context, actor undox.Actor, id int64, confirm bool) (*undox.LinkSuggestion, error) {
	if err := actor.Require(undox.PermActCases); err != nil {
		return nil, err
	}
	var out *undox.LinkSuggestion
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.decideLinkTx(ctx, tx, actor, id, confirm, "")
		return err
	})
	return out, err
}

// decideLinkTx confirms or rejects a link suggestion within tx; note is
// added to the audit entry's detail.
func (s *Store) decideLinkTx(ctx context.Context, tx *sql.Tx, actor undox.Actor, id int64, confirm bool, note string) (*undox.LinkSuggestion, error) {
	var out *undox.LinkSuggestion
	err := func() error {
		ls, err := s.links(ctx, tx, `WHERE l.id = $1`, id)
		if err != nil {
			return err
		}
		if len(ls) == 0 {
			return notFound("link suggestion")
		}
		l := ls[0]
		if l.Status != "pending" {
			return undox.Errorf(undox.ETRANSITION, "the suggestion was %s already", l.Status)
		}
		status, now := "rejected", micros(s.now())
		if confirm {
			status = "confirmed"
			if _, err := tx.ExecContext(ctx, `INSERT INTO case_items (case_id, item_id, created_at)
                SELECT id, $2, $3 FROM cases WHERE ref = $1 ON CONFLICT DO NOTHING`, l.CaseRef, l.ItemID, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE items SET report_count = report_count + 1, updated_at = $2 WHERE id = $1`, l.ItemID, now); err != nil {
				return err
			}
			// The case gets its own evidence of the page.
			if err := s.enqueue(ctx, tx, undox.CaptureJob{ItemID: l.ItemID, RequestedBy: actor.Label()}); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE link_suggestions SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4`,
			status, actor.Label(), now, id); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "link."+status, "case", l.CaseRef, "item="+strconv.FormatInt(l.ItemID, 10)+note); err != nil {
			return err
		}
		ls, err = s.links(ctx, tx, `WHERE l.id = $1`, id)
		if err == nil {
			out = ls[0]
		}
		return err
	}()
	return out, err
}

// PersonIdentifiers returns the values of one protected person's
// identifiers of one kind (person as undox.PersonID makes it), to confirm
// a watch match; only undox itself reads them.
func (s *Store) PersonIdentifiers(ctx context.Context, person, kind string) ([]string, error) {
	ref, num, ok := strings.Cut(person, "/")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return nil, nil
	}
	var out []string
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var caseID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM cases WHERE ref = $1`, ref).Scan(&caseID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		key, err := s.caseKey(ctx, tx, caseID)
		if err != nil || key == nil {
			return err
		}
		ids, err := s.identifiers(ctx, tx, `WHERE i.case_id = $1 AND i.person = $2 AND i.kind = $3 AND i.removed_at IS NULL`,
			map[string][]byte{ref: key}, caseID, n, kind)
		for _, it := range ids {
			if it.Value != "" {
				out = append(out, it.Value)
			}
		}
		return err
	})
	return out, err
}
