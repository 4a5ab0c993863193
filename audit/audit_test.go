package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/sqlstore"
)

// env is one fresh, migrated database with a store and an audit log over it.
type env struct {
	ctx      context.Context
	dataDir  string
	db       *sqlstore.DB
	store    *sqlstore.Store
	log      *audit.Log
	signer   note.Signer
	verifier note.Verifier
}

func setup(t *testing.T, b dbtest.Backend) *env {
	t.Helper()
	s := dbtest.NewStack(t, b)
	signer, verifier, err := audit.LoadOrCreateKeys(s.Dir, "undox-test")
	require.NoError(t, err)
	return &env{ctx: context.Background(), dataDir: s.Dir, db: s.DB, store: s.Store,
		log: s.Log, signer: signer, verifier: verifier}
}

// add appends n entries, each in a transaction of its own.
func (e *env) add(t *testing.T, n int, tag string) {
	t.Helper()
	for i := 0; i < n; i++ {
		require.NoError(t, e.store.Audit(e.ctx, undox.System, "test.action", "case", fmt.Sprintf("%s-%d", tag, i),
			fmt.Sprintf("detail %s %d", tag, i)))
	}
}

// integrated returns every integrated entry, in leaf order.
func (e *env) integrated(t *testing.T) []undox.AuditEntry {
	t.Helper()
	es, err := e.store.EntriesByLeaf(e.ctx, 0, 1<<62)
	require.NoError(t, err)
	return es
}

func (e *env) pending(t *testing.T) int64 {
	t.Helper()
	n, err := e.store.PendingCount(e.ctx)
	require.NoError(t, err)
	return n
}

func (e *env) checkpoints(t *testing.T) []*audit.Checkpoint {
	t.Helper()
	cps, err := e.store.Checkpoints(e.ctx)
	require.NoError(t, err)
	return cps
}

func (e *env) verify(t *testing.T) *audit.Report {
	t.Helper()
	rep, err := e.log.Verify(e.ctx)
	require.NoError(t, err)
	return rep
}

func (e *env) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	res, err := e.db.SQL.ExecContext(e.ctx, q, args...)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.NotZero(t, n, "statement changed nothing: %s", q)
}

// hashReader reads the tree's stored hashes straight from the store.
func (e *env) hashReader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return e.store.ReadHashes(e.ctx, idx) })
}

// rootOf computes, independently of the store, the RFC 6962 root of the
// given entries taken as leaves 0..n-1.
func rootOf(t *testing.T, entries []undox.AuditEntry) tlog.Hash {
	t.Helper()
	var hs memHashes
	for i, e := range entries {
		more, err := tlog.StoredHashes(int64(i), audit.LeafData(e), hs)
		require.NoError(t, err)
		hs = append(hs, more...)
	}
	root, err := tlog.TreeHash(int64(len(entries)), hs)
	require.NoError(t, err)
	return root
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, ix := range idx {
		if ix >= int64(len(m)) {
			return nil, fmt.Errorf("hash %d not computed", ix)
		}
		out[i] = m[ix]
	}
	return out, nil
}

// requireContiguous checks that entries hold leaves 0..len-1 in order.
func requireContiguous(t *testing.T, entries []undox.AuditEntry) {
	t.Helper()
	for i, e := range entries {
		require.NotNil(t, e.LeafIndex, "entry %d", e.ID)
		require.Equal(t, int64(i), *e.LeafIndex, "entry %d", e.ID)
	}
}

func TestIntegrateAssignsLeavesAndSignsCheckpoint(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		e.add(t, 10, "a")
		require.Equal(t, int64(10), e.pending(t))

		cp, err := e.log.Integrate(e.ctx, 0)
		require.NoError(t, err)
		require.NotNil(t, cp)
		require.Equal(t, int64(10), cp.TreeSize)
		require.NotZero(t, cp.ID)
		require.Zero(t, e.pending(t))

		// Leaves are contiguous and follow the order of appending.
		entries := e.integrated(t)
		require.Len(t, entries, 10)
		requireContiguous(t, entries)
		for i := 1; i < len(entries); i++ {
			require.Greater(t, entries[i].ID, entries[i-1].ID)
		}
		require.Equal(t, "system", entries[0].Actor)
		require.Equal(t, "a-0", entries[0].ObjectID)

		// The signed note verifies and states the size and the root of the
		// entries, recomputed here without the store's hashes.
		size, root, err := audit.ParseCheckpoint([]byte(cp.Note), e.verifier)
		require.NoError(t, err)
		require.Equal(t, int64(10), size)
		require.Equal(t, cp.RootHash, root)
		require.Equal(t, rootOf(t, entries), root)
		require.True(t, strings.HasPrefix(cp.Note, "undox-test\n10\n"), cp.Note)

		// The stored hashes are the tree: record proofs check against the root.
		for _, en := range entries {
			p, err := tlog.ProveRecord(10, *en.LeafIndex, e.hashReader())
			require.NoError(t, err)
			require.NoError(t, tlog.CheckRecord(p, 10, root, *en.LeafIndex, tlog.RecordHash(audit.LeafData(en))))
		}

		latest, err := e.store.LatestCheckpoint(e.ctx)
		require.NoError(t, err)
		require.Equal(t, cp.ID, latest.ID)
		require.Equal(t, cp.Note, latest.Note)
		require.Equal(t, cp.RootHash, latest.RootHash)
		require.Equal(t, cp.Root, latest.Root)

		// A note signed by another key does not verify.
		_, otherV, err := audit.LoadOrCreateKeys(t.TempDir(), "undox-test")
		require.NoError(t, err)
		_, _, err = audit.ParseCheckpoint([]byte(cp.Note), otherV)
		require.Error(t, err)
	})
}

func TestKeysArePrivateAndReloaded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		st, err := os.Stat(filepath.Join(e.dataDir, "audit-signing.key"))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		pub, err := os.ReadFile(filepath.Join(e.dataDir, "audit-verifier.pub"))
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(string(pub), "undox-test+"), string(pub))
		require.NotContains(t, string(pub), "PRIVATE")

		e.add(t, 3, "a")
		cp, err := e.log.Integrate(e.ctx, 0)
		require.NoError(t, err)

		// Loading again returns the same key pair: old checkpoints verify
		// with the new verifier, new ones with the old.
		s2, v2, err := audit.LoadOrCreateKeys(e.dataDir, "undox-test")
		require.NoError(t, err)
		require.Equal(t, e.signer.KeyHash(), s2.KeyHash())
		require.Equal(t, e.verifier.KeyHash(), v2.KeyHash())
		_, _, err = audit.ParseCheckpoint([]byte(cp.Note), v2)
		require.NoError(t, err)

		log2 := audit.New(e.store, s2, v2)
		e.add(t, 2, "b")
		cp2, err := log2.Integrate(e.ctx, 0)
		require.NoError(t, err)
		require.Equal(t, int64(5), cp2.TreeSize)
		_, _, err = audit.ParseCheckpoint([]byte(cp2.Note), e.verifier)
		require.NoError(t, err)
		require.True(t, e.verify(t).OK)
		require.Equal(t, v2.KeyHash(), log2.VerifierKey().KeyHash())
	})
}

// Several processes (or goroutines) starting at once on a new data folder
// must all end up with the one key pair that was written.
func TestLoadOrCreateKeysConcurrently(t *testing.T) {
	for round := 0; round < 100; round++ {
		dir := filepath.Join(t.TempDir(), "data")
		const n = 8
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			errs      []error
			keyHashes = map[uint32]bool{}
			start     = make(chan struct{})
		)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				s, v, err := audit.LoadOrCreateKeys(dir, "undox-test")
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				if s.KeyHash() != v.KeyHash() {
					errs = append(errs, fmt.Errorf("signer %08x and verifier %08x differ", s.KeyHash(), v.KeyHash()))
				}
				keyHashes[s.KeyHash()] = true
			}()
		}
		close(start)
		wg.Wait()
		require.Empty(t, errs, "round %d", round)
		require.Len(t, keyHashes, 1, "round %d", round)
	}
}

func TestIntegrateSignsOnlyWhenTreeGrows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)

		// Nothing to sign in an empty log.
		cp, err := e.log.Integrate(e.ctx, 0)
		require.NoError(t, err)
		require.Nil(t, cp)
		require.Empty(t, e.checkpoints(t))

		e.add(t, 5, "a")
		cp1, err := e.log.Integrate(e.ctx, 0)
		require.NoError(t, err)
		require.Equal(t, int64(5), cp1.TreeSize)

		again, err := e.log.Integrate(e.ctx, 0)
		require.NoError(t, err)
		require.Equal(t, cp1.ID, again.ID)
		require.Equal(t, cp1.Note, again.Note)
		require.Len(t, e.checkpoints(t), 1)

		e.add(t, 3, "b")
		cp2, err := e.log.Integrate(e.ctx, 0)
		require.NoError(t, err)
		require.NotEqual(t, cp1.ID, cp2.ID)
		require.Equal(t, int64(8), cp2.TreeSize)
		require.NotEqual(t, cp1.RootHash, cp2.RootHash)
		require.Len(t, e.checkpoints(t), 2)

		// The new tree extends the old one: a consistency proof from the
		// stored hashes links the two signed roots.
		p, err := tlog.ProveTree(8, 5, e.hashReader())
		require.NoError(t, err)
		require.NoError(t, tlog.CheckTree(p, 8, cp2.RootHash, 5, cp1.RootHash))

		// A batch limit integrates only that many, oldest first, and signs
		// the size reached.
		e.add(t, 7, "c")
		cp3, err := e.log.Integrate(e.ctx, 4)
		require.NoError(t, err)
		require.Equal(t, int64(12), cp3.TreeSize)
		require.Equal(t, int64(3), e.pending(t))
		entries := e.integrated(t)
		require.Len(t, entries, 12)
		requireContiguous(t, entries)
		require.Equal(t, "c-3", entries[11].ObjectID)
		cp4, err := e.log.Integrate(e.ctx, 0)
		require.NoError(t, err)
		require.Equal(t, int64(15), cp4.TreeSize)
		require.Len(t, e.checkpoints(t), 4)

		rep := e.verify(t)
		require.True(t, rep.OK, rep.Problem)
		require.Equal(t, 4, rep.Checkpoints)
		require.Equal(t, int64(15), rep.Checked)
	})
}

func TestVerifyUntouchedLog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)

		// Pending entries and no checkpoint yet: nothing to check, all uncovered.
		e.add(t, 3, "p")
		rep := e.verify(t)
		require.True(t, rep.OK)
		require.Equal(t, 0, rep.Checkpoints)
		require.Equal(t, int64(0), rep.Checked)
		require.Equal(t, int64(3), rep.Uncovered)

		e.add(t, 150, "a")
		_, err := e.log.Integrate(e.ctx, 120) // 120
		require.NoError(t, err)
		_, err = e.log.Integrate(e.ctx, 0) // 153
		require.NoError(t, err)
		e.add(t, 150, "b")
		for i := 0; i < 3; i++ { // 253, 303, 303 (no new checkpoint)
			_, err = e.log.Integrate(e.ctx, 100)
			require.NoError(t, err)
		}
		e.add(t, 4, "c") // uncovered

		rep = e.verify(t)
		require.True(t, rep.OK, rep.Problem)
		require.Equal(t, int64(303), rep.Checked)
		require.Equal(t, 4, rep.Checkpoints)
		require.Equal(t, int64(4), rep.Uncovered)
		require.Equal(t, int64(-1), rep.BadLeaf)
		require.Empty(t, rep.Problem)

		entries := e.integrated(t)
		require.Len(t, entries, 303)
		requireContiguous(t, entries)
		require.Equal(t, rootOf(t, entries), e.checkpoints(t)[3].RootHash)
	})
}

// bulkAdd inserts n entries with one statement per 500, as a busy system
// would have accumulated them.
func (e *env) bulkAdd(t *testing.T, n int) {
	t.Helper()
	tx, err := e.db.SQL.BeginTx(e.ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback()
	for i := 0; i < n; i += 500 {
		var (
			sb   strings.Builder
			args []any
		)
		for j := i; j < min(i+500, n); j++ {
			if j > i {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "($%d, 'system', 'test.bulk', 'case', $%d, $%d)", len(args)+1, len(args)+2, len(args)+3)
			args = append(args, int64(1_700_000_000_000_000+j), fmt.Sprintf("bulk-%d", j), fmt.Sprintf("bulk detail %d", j))
		}
		_, err := tx.ExecContext(e.ctx, `INSERT INTO audit_entries (created_at, actor, action, object_type, object_id, detail) VALUES `+sb.String(), args...)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit())
}

// Verify reads the log in pages of 5000: a log longer than a page verifies,
// and an edit in the second page is found.
func TestVerifyAcrossPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		e.bulkAdd(t, 4998)
		_, err := e.log.Integrate(e.ctx, 0) // 4998: ends just before a page boundary
		require.NoError(t, err)
		e.bulkAdd(t, 2)
		_, err = e.log.Integrate(e.ctx, 0) // 5000: exactly one page
		require.NoError(t, err)
		e.bulkAdd(t, 7)
		_, err = e.log.Integrate(e.ctx, 0) // 5007
		require.NoError(t, err)

		rep := e.verify(t)
		require.True(t, rep.OK, rep.Problem)
		require.Equal(t, int64(5007), rep.Checked)
		require.Equal(t, 3, rep.Checkpoints)

		var id int64
		require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, `SELECT id FROM audit_entries WHERE leaf_index = 5003`).Scan(&id))
		e.exec(t, `UPDATE audit_entries SET detail = 'forged' WHERE id = $1`, id)
		rep = e.verify(t)
		require.False(t, rep.OK)
		require.Equal(t, int64(5003), rep.BadLeaf)
		require.Equal(t, id, rep.BadID)
	})
}

// seeded is a log of 40 integrated entries under two checkpoints (25 and
// 40) and 3 pending entries; it verifies before it is tampered with.
func seeded(t *testing.T, b dbtest.Backend) *env {
	t.Helper()
	e := setup(t, b)
	e.add(t, 25, "a")
	cp, err := e.log.Integrate(e.ctx, 0)
	require.NoError(t, err)
	require.Equal(t, int64(25), cp.TreeSize)
	e.add(t, 15, "b")
	cp, err = e.log.Integrate(e.ctx, 0)
	require.NoError(t, err)
	require.Equal(t, int64(40), cp.TreeSize)
	e.add(t, 3, "c")
	rep := e.verify(t)
	require.True(t, rep.OK, rep.Problem)
	require.Equal(t, int64(40), rep.Checked)
	require.Equal(t, int64(3), rep.Uncovered)
	require.Equal(t, 2, rep.Checkpoints)
	return e
}

func (e *env) atLeaf(t *testing.T, leaf int64) undox.AuditEntry {
	t.Helper()
	es, err := e.store.EntriesByLeaf(e.ctx, leaf, leaf+1)
	require.NoError(t, err)
	require.Len(t, es, 1)
	return es[0]
}

func TestVerifyDetectsTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		t.Run("edit detail", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			victim := e.atLeaf(t, 7)
			e.exec(t, `UPDATE audit_entries SET detail = 'nothing to see' WHERE id = $1`, victim.ID)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Equal(t, victim.ID, rep.BadID)
			require.Equal(t, int64(7), rep.BadLeaf)
			require.Contains(t, rep.Problem, "altered")
			require.Zero(t, rep.Checked)
		})

		t.Run("edit actor of the last covered entry", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			victim := e.atLeaf(t, 39)
			e.exec(t, `UPDATE audit_entries SET actor = 'token:1:someone-else' WHERE id = $1`, victim.ID)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Equal(t, victim.ID, rep.BadID)
			require.Equal(t, int64(39), rep.BadLeaf)
		})

		t.Run("edit time", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			victim := e.atLeaf(t, 30)
			e.exec(t, `UPDATE audit_entries SET created_at = created_at - 3600000000 WHERE id = $1`, victim.ID)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Equal(t, victim.ID, rep.BadID)
			require.Equal(t, int64(30), rep.BadLeaf)
		})

		t.Run("delete entry", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			victim := e.atLeaf(t, 12)
			e.exec(t, `DELETE FROM audit_entries WHERE id = $1`, victim.ID)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Equal(t, int64(12), rep.BadLeaf)
			require.Contains(t, rep.Problem, "leaf 12")
			require.Contains(t, rep.Problem, "missing")
		})

		t.Run("delete the last covered entry", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			victim := e.atLeaf(t, 39)
			e.exec(t, `DELETE FROM audit_entries WHERE id = $1`, victim.ID)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Equal(t, int64(39), rep.BadLeaf)
			require.Contains(t, rep.Problem, "missing")
		})

		t.Run("un-integrate entry", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			victim := e.atLeaf(t, 20)
			e.exec(t, `UPDATE audit_entries SET leaf_index = NULL WHERE id = $1`, victim.ID)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Equal(t, int64(20), rep.BadLeaf)
		})

		t.Run("swap contents", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			x, y := e.atLeaf(t, 3), e.atLeaf(t, 4)
			tx, err := e.db.SQL.BeginTx(e.ctx, nil)
			require.NoError(t, err)
			for _, p := range [][2]undox.AuditEntry{{x, y}, {y, x}} {
				_, err := tx.ExecContext(e.ctx, `UPDATE audit_entries SET actor = $1, action = $2, object_id = $3, detail = $4, created_at = $5 WHERE id = $6`,
					p[1].Actor, p[1].Action, p[1].ObjectID, p[1].Detail, p[1].Time.UnixMicro(), p[0].ID)
				require.NoError(t, err)
			}
			require.NoError(t, tx.Commit())
			require.Equal(t, y.ObjectID, e.atLeaf(t, 3).ObjectID)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Equal(t, int64(3), rep.BadLeaf)
			require.Equal(t, x.ID, rep.BadID)
		})

		t.Run("swap leaf indexes", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			x, y := e.atLeaf(t, 3), e.atLeaf(t, 4)
			e.exec(t, `UPDATE audit_entries SET leaf_index = -1 WHERE id = $1`, x.ID)
			e.exec(t, `UPDATE audit_entries SET leaf_index = 3 WHERE id = $1`, y.ID)
			e.exec(t, `UPDATE audit_entries SET leaf_index = 4 WHERE id = $1`, x.ID)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Equal(t, int64(3), rep.BadLeaf)
			require.Equal(t, y.ID, rep.BadID)
		})

		// An attacker who also recomputes the edited entry's leaf hash is
		// still caught: the recomputed tree no longer has the signed root.
		for _, c := range []struct {
			leaf, firstCheckpointSize int64
		}{{7, 25}, {33, 40}} {
			t.Run(fmt.Sprintf("edit and rehash leaf %d", c.leaf), func(t *testing.T) {
				t.Parallel()
				e := seeded(t, b)
				victim := e.atLeaf(t, c.leaf)
				forged := victim
				forged.Detail = "forged"
				e.exec(t, `UPDATE audit_entries SET detail = $1 WHERE id = $2`, forged.Detail, victim.ID)
				h := tlog.RecordHash(audit.LeafData(forged))
				e.exec(t, `UPDATE audit_hashes SET hash = $1 WHERE hash_index = $2`, h[:], tlog.StoredHashIndex(0, c.leaf))
				got, err := e.store.ReadHashes(e.ctx, []int64{tlog.StoredHashIndex(0, c.leaf)})
				require.NoError(t, err)
				require.Equal(t, h, got[0])

				rep := e.verify(t)
				require.False(t, rep.OK)
				require.Contains(t, rep.Problem, "checkpoint")
				require.Equal(t, c.firstCheckpointSize-1, rep.BadLeaf)
				require.GreaterOrEqual(t, rep.BadLeaf, c.leaf)
			})
		}

		t.Run("alter checkpoint note", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			cps := e.checkpoints(t)
			forged := strings.Replace(cps[0].Note, "\n25\n", "\n24\n", 1)
			require.NotEqual(t, cps[0].Note, forged)
			e.exec(t, `UPDATE audit_checkpoints SET note = $1 WHERE id = $2`, forged, cps[0].ID)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Contains(t, rep.Problem, fmt.Sprintf("checkpoint %d", cps[0].ID))
		})

		t.Run("checkpoint signed by another key", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			cps := e.checkpoints(t)
			s, _, err := audit.LoadOrCreateKeys(t.TempDir(), "undox-test")
			require.NoError(t, err)
			n, err := note.Open([]byte(cps[1].Note), note.VerifierList(e.verifier))
			require.NoError(t, err)
			msg, err := note.Sign(&note.Note{Text: n.Text}, s)
			require.NoError(t, err)
			e.exec(t, `UPDATE audit_checkpoints SET note = $1 WHERE id = $2`, string(msg), cps[1].ID)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Contains(t, rep.Problem, fmt.Sprintf("checkpoint %d", cps[1].ID))
		})

		t.Run("alter checkpoint root column", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			cps := e.checkpoints(t)
			bad := cps[1].RootHash
			bad[0] ^= 0xff
			e.exec(t, `UPDATE audit_checkpoints SET root_hash = $1 WHERE id = $2`, bad[:], cps[1].ID)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Contains(t, rep.Problem, "does not match its signed note")
		})

		t.Run("swap checkpoint notes", func(t *testing.T) {
			t.Parallel()
			e := seeded(t, b)
			cps := e.checkpoints(t)
			e.exec(t, `UPDATE audit_checkpoints SET note = $1 WHERE id = $2`, cps[1].Note, cps[0].ID)
			e.exec(t, `UPDATE audit_checkpoints SET note = $1 WHERE id = $2`, cps[0].Note, cps[1].ID)
			rep := e.verify(t)
			require.False(t, rep.OK)
		})
	})
}

func TestConcurrentAppendAndIntegrate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		const writers, each = 8, 30
		var (
			wg      sync.WaitGroup
			done    = make(chan struct{})
			errs    = make(chan error, writers+2)
			integWG sync.WaitGroup
		)
		for w := 0; w < 2; w++ { // two integrators, as two processes would run
			integWG.Add(1)
			go func() {
				defer integWG.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					if _, err := e.log.Integrate(e.ctx, 7); err != nil {
						errs <- fmt.Errorf("integrate: %w", err)
						return
					}
				}
			}()
		}
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					if err := e.store.Audit(e.ctx, undox.System, "test.concurrent", "case", fmt.Sprintf("w%d", w), fmt.Sprint(i)); err != nil {
						errs <- fmt.Errorf("append: %w", err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(done)
		integWG.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		cp, err := e.log.Integrate(e.ctx, 0)
		require.NoError(t, err)
		require.Equal(t, int64(writers*each), cp.TreeSize)
		require.Zero(t, e.pending(t))

		// Every entry has exactly one leaf, and the leaves are 0..n-1.
		rows, err := e.db.SQL.QueryContext(e.ctx, `SELECT id, leaf_index FROM audit_entries`)
		require.NoError(t, err)
		var leaves []int64
		ids := map[int64]bool{}
		for rows.Next() {
			var id, leaf int64
			require.NoError(t, rows.Scan(&id, &leaf))
			require.False(t, ids[id])
			ids[id] = true
			leaves = append(leaves, leaf)
		}
		require.NoError(t, rows.Err())
		rows.Close()
		require.Len(t, leaves, writers*each)
		sort.Slice(leaves, func(i, j int) bool { return leaves[i] < leaves[j] })
		for i, l := range leaves {
			require.Equal(t, int64(i), l)
		}

		// Per writer, the entries kept their order.
		last := map[string]int{}
		for _, en := range e.integrated(t) {
			var i int
			_, err := fmt.Sscan(en.Detail, &i)
			require.NoError(t, err)
			if prev, ok := last[en.ObjectID]; ok {
				require.Greater(t, i, prev, "writer %s", en.ObjectID)
			}
			last[en.ObjectID] = i
		}
		require.Len(t, last, writers)

		// Checkpoints only grow, and the whole log verifies.
		cps := e.checkpoints(t)
		t.Logf("%d checkpoints signed while %d entries were appended", len(cps), writers*each)
		for i := 1; i < len(cps); i++ {
			require.Greater(t, cps[i].TreeSize, cps[i-1].TreeSize)
		}
		rep := e.verify(t)
		require.True(t, rep.OK, rep.Problem)
		require.Equal(t, int64(writers*each), rep.Checked)
		require.Equal(t, len(cps), rep.Checkpoints)
	})
}

// Deleting checkpoints (all, or the newest ones with an edit behind them)
// is itself tampering: every integration signs one.
func TestVerifyDetectsDeletedCheckpoints(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		t.Run("all", func(t *testing.T) {
			e := seeded(t, b)
			_, err := e.db.SQL.ExecContext(e.ctx, `DELETE FROM audit_checkpoints`)
			require.NoError(t, err)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Equal(t, int64(0), rep.BadLeaf)
			require.Contains(t, rep.Problem, "checkpoints were deleted")
		})
		t.Run("newest, then an edit", func(t *testing.T) {
			e := seeded(t, b)
			_, err := e.db.SQL.ExecContext(e.ctx, `DELETE FROM audit_checkpoints WHERE tree_size = 40`)
			require.NoError(t, err)
			_, err = e.db.SQL.ExecContext(e.ctx, `UPDATE audit_entries SET detail = 'edited' WHERE leaf_index = 30`)
			require.NoError(t, err)
			rep := e.verify(t)
			require.False(t, rep.OK)
			require.Equal(t, int64(25), rep.BadLeaf)
		})
	})
}
