package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
)

var _ audit.Storage = (*Store)(nil)

// audit appends an entry to the audit log inside tx.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, actor undox.Actor, action, objType, objID, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_entries (created_at, actor, action, object_type, object_id, detail)
        VALUES ($1, $2, $3, $4, $5, $6)`, micros(s.now()), actor.Label(), action, objType, objID, detail)
	return err
}

type auditEntry struct {
	actor, action, objType, objID, detail string
}

// auditMany appends several entries in one statement.
func (s *Store) auditMany(ctx context.Context, tx *sql.Tx, entries []auditEntry) error {
	now := micros(s.now())
	rows := make([][]any, len(entries))
	for i, e := range entries {
		rows[i] = []any{now, e.actor, e.action, e.objType, e.objID, e.detail}
	}
	return s.insertRows(ctx, tx, insertAudit, rows, nil)
}

// Audit appends an entry in a transaction of its own, for events that
// change nothing else (such as a command-line action).
func (s *Store) Audit(ctx context.Context, actor undox.Actor, action, objType, objID, detail string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.audit(ctx, tx, actor, action, objType, objID, detail) })
}

// AuditEntries returns entries about one object, oldest first.
func (s *Store) AuditEntries(ctx context.Context, objType, objID string) ([]undox.AuditEntry, error) {
	return s.scanEntries(ctx, s.db.SQL, `WHERE object_type = $1 AND object_id = $2 ORDER BY id`, objType, objID)
}

// CaseAuditEntries returns a case's audit trail, oldest first: the
// entries about the case, about each of its items, about each notice of
// those items and about the case's own captures (a picture revealed). reads false leaves out the entries that only record a
// reading (actions ending in .read or .list; they are recorded all the
// same).
func (s *Store) CaseAuditEntries(ctx context.Context, ref string, reads bool) ([]undox.AuditEntry, error) {
	q := `WHERE ((object_type = 'case' AND object_id = $1)
        OR (object_type = 'item' AND object_id IN (SELECT CAST(ci.item_id AS TEXT) FROM case_items ci
            JOIN cases c ON c.id = ci.case_id WHERE c.ref = $1))
        OR (object_type = 'notice' AND object_id IN (SELECT CAST(n.id AS TEXT) FROM notices n
            JOIN case_items ci ON ci.item_id = n.item_id JOIN cases c ON c.id = ci.case_id WHERE c.ref = $1))
        OR (object_type = 'capture' AND object_id IN (SELECT CAST(p.id AS TEXT) FROM captures p
            JOIN cases c ON c.id = p.case_id WHERE c.ref = $1)))`
	if !reads {
		q += ` AND action NOT LIKE '%.read' AND action NOT LIKE '%.list'`
	}
	return s.scanEntries(ctx, s.db.SQL, q+` ORDER BY id`, ref)
}

func (s *Store) scanEntries(ctx context.Context, q querier, rest string, args ...any) ([]undox.AuditEntry, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, leaf_index, created_at, actor, action, object_type, object_id, detail
        FROM audit_entries `+rest, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []undox.AuditEntry
	for rows.Next() {
		var (
			e    undox.AuditEntry
			leaf sql.NullInt64
			at   int64
		)
		if err := rows.Scan(&e.ID, &leaf, &at, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &e.Detail); err != nil {
			return nil, err
		}
		if leaf.Valid {
			v := leaf.Int64
			e.LeafIndex = &v
		}
		e.Time = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// IntegrateTx implements audit.Storage.
func (s *Store) IntegrateTx(ctx context.Context, fn func(audit.Tx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.db.Dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7262034)`); err != nil {
				return err
			}
		}
		return fn(&auditTx{s: s, ctx: ctx, tx: tx})
	})
}

// EntriesByLeaf implements audit.Storage.
func (s *Store) EntriesByLeaf(ctx context.Context, from, to int64) ([]undox.AuditEntry, error) {
	return s.scanEntries(ctx, s.db.SQL, `WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index`, from, to)
}

// ReadHashes implements audit.Storage; a missing hash reads as zero, which
// verification reports as a mismatch.
func (s *Store) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	return readHashes(ctx, s.db.SQL, indexes, false)
}

func readHashes(ctx context.Context, q querier, indexes []int64, strict bool) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	pos := make(map[int64][]int, len(indexes))
	for i := 0; i < len(indexes); i += 500 {
		chunk := indexes[i:min(i+500, len(indexes))]
		ph := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for j, ix := range chunk {
			ph[j] = "$" + strconv.Itoa(j+1)
			args[j] = ix
			pos[ix] = append(pos[ix], i+j)
		}
		rows, err := q.QueryContext(ctx, `SELECT hash_index, hash FROM audit_hashes WHERE hash_index IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var (
				ix int64
				h  []byte
			)
			if err := rows.Scan(&ix, &h); err != nil {
				rows.Close()
				return nil, err
			}
			for _, p := range pos[ix] {
				copy(out[p][:], h)
			}
			delete(pos, ix)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if strict && len(pos) > 0 {
		return nil, fmt.Errorf("sqlstore: %d audit hashes missing", len(pos))
	}
	return out, nil
}

// Checkpoints implements audit.Storage.
func (s *Store) Checkpoints(ctx context.Context) ([]*audit.Checkpoint, error) {
	return scanCheckpoints(ctx, s.db.SQL, `ORDER BY id`)
}

// LatestCheckpoint returns the newest signed checkpoint, nil when none.
func (s *Store) LatestCheckpoint(ctx context.Context) (*audit.Checkpoint, error) {
	cps, err := scanCheckpoints(ctx, s.db.SQL, `ORDER BY id DESC LIMIT 1`)
	if err != nil || len(cps) == 0 {
		return nil, err
	}
	return cps[0], nil
}

func scanCheckpoints(ctx context.Context, q querier, rest string) ([]*audit.Checkpoint, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, tree_size, root_hash, note, created_at FROM audit_checkpoints `+rest)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*audit.Checkpoint
	for rows.Next() {
		var (
			c    audit.Checkpoint
			root []byte
			at   int64
		)
		if err := rows.Scan(&c.ID, &c.TreeSize, &root, &c.Note, &at); err != nil {
			return nil, err
		}
		copy(c.RootHash[:], root)
		c.Root = c.RootHash.String()
		c.CreatedAt = fromMicros(at)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// PendingCount implements audit.Storage.
func (s *Store) PendingCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM audit_entries WHERE leaf_index IS NULL`).Scan(&n)
	return n, err
}

type auditTx struct {
	s   *Store
	ctx context.Context
	tx  *sql.Tx
}

func (a *auditTx) TreeSize() (int64, error) {
	var n sql.NullInt64
	err := a.tx.QueryRowContext(a.ctx, `SELECT MAX(leaf_index) FROM audit_entries`).Scan(&n)
	if err != nil || !n.Valid {
		return 0, err
	}
	return n.Int64 + 1, nil
}

func (a *auditTx) Pending(n int) ([]undox.AuditEntry, error) {
	return a.s.scanEntries(a.ctx, a.tx, `WHERE leaf_index IS NULL ORDER BY id LIMIT $1`, n)
}

func (a *auditTx) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return readHashes(a.ctx, a.tx, indexes, true)
}

func (a *auditTx) WriteHashes(indexes []int64, hashes []tlog.Hash) error {
	for i := 0; i < len(indexes); i += 200 {
		end := min(i+200, len(indexes))
		var sb strings.Builder
		args := make([]any, 0, 2*(end-i))
		for j := i; j < end; j++ {
			if j > i {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "($%d, $%d)", len(args)+1, len(args)+2)
			args = append(args, indexes[j], hashes[j][:])
		}
		if _, err := a.tx.ExecContext(a.ctx, `INSERT INTO audit_hashes (hash_index, hash) VALUES `+sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// Assign gives the entries consecutive leaf indexes, 200 to a statement.
func (a *auditTx) Assign(entryIDs []int64, firstLeaf int64) error {
	for i := 0; i < len(entryIDs); i += 200 {
		end := min(i+200, len(entryIDs))
		var sb strings.Builder
		args := make([]any, 0, 2*(end-i))
		for j := i; j < end; j++ {
			if j > i {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "(CAST($%d AS BIGINT), CAST($%d AS BIGINT))", len(args)+1, len(args)+2)
			args = append(args, entryIDs[j], firstLeaf+int64(j))
		}
		// (column1, column2) name a VALUES list's columns in both
		// SQLite and PostgreSQL.
		q := `UPDATE audit_entries SET leaf_index = v.column2 FROM (VALUES ` + sb.String() + `) AS v
            WHERE audit_entries.id = v.column1 AND audit_entries.leaf_index IS NULL`
		res, err := a.tx.ExecContext(a.ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != int64(end-i) {
			return fmt.Errorf("audit: %d of %d entries took their leaf index", n, end-i)
		}
	}
	return nil
}

func (a *auditTx) LatestCheckpoint() (*audit.Checkpoint, error) {
	cps, err := scanCheckpoints(a.ctx, a.tx, `ORDER BY id DESC LIMIT 1`)
	if err != nil || len(cps) == 0 {
		return nil, err
	}
	return cps[0], nil
}

func (a *auditTx) SaveCheckpoint(c *audit.Checkpoint) error {
	return a.tx.QueryRowContext(a.ctx, `INSERT INTO audit_checkpoints (tree_size, root_hash, note, created_at)
        VALUES ($1, $2, $3, $4) RETURNING id`, c.TreeSize, c.RootHash[:], c.Note, micros(c.CreatedAt)).Scan(&c.ID)
}
