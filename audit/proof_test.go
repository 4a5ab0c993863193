package audit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/undox/undox/audit"
	"github.com/undox/undox/dbtest"
)

func TestProofsVerifyAgainstSignedCheckpoints(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)

		latest, err := e.log.LatestCheckpoint(e.ctx)
		require.NoError(t, err)
		require.Nil(t, latest, "an empty log has no checkpoint")

		type signed struct {
			size int64
			root tlog.Hash
		}
		var cps []signed
		// Tree sizes of every shape: one leaf, powers of two, one past,
		// odd sizes.
		for i, grow := range []int{1, 1, 1, 4, 1, 5, 4, 16} {
			e.add(t, grow, string(rune('a'+i)))
			cp, err := e.log.Integrate(e.ctx, 0)
			require.NoError(t, err)
			size, root, err := audit.ParseCheckpoint([]byte(cp.Note), e.verifier)
			require.NoError(t, err)
			cps = append(cps, signed{size, root})

			latest, err := e.log.LatestCheckpoint(e.ctx)
			require.NoError(t, err)
			require.Equal(t, cp.ID, latest.ID)
			require.Equal(t, cp.Note, latest.Note)
		}
		require.Equal(t, int64(33), cps[len(cps)-1].size)

		entries := e.integrated(t)
		require.Len(t, entries, 33)
		// Proofs for every leaf of every signed tree, the older trees
		// proven from the grown store.
		for _, cp := range cps {
			for _, en := range entries[:cp.size] {
				leaf := *en.LeafIndex
				p, err := e.log.Proof(e.ctx, leaf, cp.size)
				require.NoError(t, err, "leaf %d of %d", leaf, cp.size)
				require.NoError(t, audit.VerifyInclusion(en, leaf, p, cp.size, cp.root), "leaf %d of %d", leaf, cp.size)
			}
		}
	})
}

func TestVerifyInclusionRejectsWhatIsNotInTheTree(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		e.add(t, 6, "a")
		cp1, err := e.log.Integrate(e.ctx, 0)
		require.NoError(t, err)
		e.add(t, 7, "b")
		cp2, err := e.log.Integrate(e.ctx, 0)
		require.NoError(t, err)
		size, root, err := audit.ParseCheckpoint([]byte(cp2.Note), e.verifier)
		require.NoError(t, err)
		require.Equal(t, int64(13), size)
		entries := e.integrated(t)

		for _, leaf := range []int64{0, 5, 6, 12} {
			en := entries[leaf]
			p, err := e.log.Proof(e.ctx, leaf, size)
			require.NoError(t, err)
			require.NoError(t, audit.VerifyInclusion(en, leaf, p, size, root))

			notIn := func(name string, err error) {
				t.Helper()
				require.Error(t, err, "leaf %d: %s", leaf, name)
				require.True(t, errors.Is(err, audit.ErrNotIncluded), "leaf %d: %s: %v", leaf, name, err)
			}

			altered := en
			altered.Detail += "!"
			notIn("altered detail", audit.VerifyInclusion(altered, leaf, p, size, root))
			altered = en
			altered.Actor = "token:9:someone-else"
			notIn("altered actor", audit.VerifyInclusion(altered, leaf, p, size, root))
			altered = en
			altered.Time = en.Time.Add(time.Microsecond)
			notIn("altered time", audit.VerifyInclusion(altered, leaf, p, size, root))
			altered = en
			altered.Action = "other.action"
			notIn("altered action", audit.VerifyInclusion(altered, leaf, p, size, root))

			// Another entry with this entry's proof.
			other := entries[(leaf+1)%size]
			other.LeafIndex = nil
			notIn("other entry", audit.VerifyInclusion(other, leaf, p, size, root))

			// The right entry claimed at another index.
			moved := en
			moved.LeafIndex = nil
			notIn("wrong index", audit.VerifyInclusion(moved, (leaf+1)%size, p, size, root))
			notIn("index disagrees with the entry", audit.VerifyInclusion(en, (leaf+1)%size, p, size, root))
			notIn("index out of the tree", audit.VerifyInclusion(moved, size, p, size, root))
			notIn("negative index", audit.VerifyInclusion(moved, -1, p, size, root))

			// Another root, or another size.
			notIn("root of the older checkpoint", audit.VerifyInclusion(en, leaf, p, size, cp1.RootHash))
			bad := root
			bad[3] ^= 1
			notIn("flipped root", audit.VerifyInclusion(en, leaf, p, size, bad))
			// The size is the signed note's: a proof does not always
			// tell it (leaf 0's path is the same in trees of 13 and 14),
			// but where the path differs, the proof fails.
			if leaf == 12 {
				notIn("wrong size", audit.VerifyInclusion(en, leaf, p, size+1, root))
			}

			// A corrupt or shortened proof.
			corrupt := append(tlog.RecordProof(nil), p...)
			corrupt[len(corrupt)-1][0] ^= 0x80
			notIn("corrupt proof", audit.VerifyInclusion(en, leaf, corrupt, size, root))
			notIn("short proof", audit.VerifyInclusion(en, leaf, p[:len(p)-1], size, root))
			notIn("no proof", audit.VerifyInclusion(en, leaf, nil, size, root))
		}

		// No proofs for leaves outside the tree, nor for a tree larger
		// than what was integrated.
		_, err = e.log.Proof(e.ctx, 13, 13)
		require.Error(t, err)
		_, err = e.log.Proof(e.ctx, -1, 13)
		require.Error(t, err)
		_, err = e.log.Proof(e.ctx, 3, 20)
		require.Error(t, err)
		require.Contains(t, err.Error(), "not stored")
	})
}
