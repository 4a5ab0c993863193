package audit

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Report is the outcome of Verify.
type Report struct {
	OK bool `json:"ok"`
	// Checked is how many entries the latest checkpoint covers.
	Checked     int64 `json:"checked"`
	Checkpoints int   `json:"checkpoints"`
	// Uncovered entries wait to be integrated into the tree and signed.
	Uncovered int64 `json:"uncovered"`
	// Problem names the first bad entry, when !OK.
	Problem string `json:"problem,omitempty"`
	BadLeaf int64  `json:"bad_leaf"`
	BadID   int64  `json:"bad_entry_id"`
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, ix := range indexes {
		if ix >= int64(len(m)) {
			return nil, fmt.Errorf("audit: hash %d not computed", ix)
		}
		out[i] = m[ix]
	}
	return out, nil
}

// Verify recomputes the whole tree from the entries themselves and checks
// it against every signed checkpoint. It names the first entry that was
// edited, deleted or moved before the latest checkpoint.
func (l *Log) Verify(ctx context.Context) (*Report, error) {
	cps, err := l.store.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	pending, err := l.store.PendingCount(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{OK: true, Checkpoints: len(cps), BadLeaf: -1}
	// Every integration signs a checkpoint in the same transaction, so an
	// integrated entry that no checkpoint covers means checkpoints were
	// deleted.
	var covered int64
	if len(cps) > 0 {
		covered = cps[len(cps)-1].TreeSize
	}
	tail, err := l.store.EntriesByLeaf(ctx, covered, 1<<62)
	if err != nil {
		return nil, err
	}
	if len(tail) > 0 {
		return fail(rep, covered, tail[0].ID, fmt.Sprintf(
			"entries from leaf %d on are in the tree but no signed checkpoint covers them: checkpoints were deleted", covered)), nil
	}
	rep.Uncovered = pending
	if len(cps) == 0 {
		return rep, nil
	}
	// Check every checkpoint's signature and that sizes only grow.
	var prev int64
	for _, cp := range cps {
		size, root, err := ParseCheckpoint([]byte(cp.Note), l.verifier)
		if err != nil {
			return fail(rep, -1, 0, fmt.Sprintf("checkpoint %d: %v", cp.ID, err)), nil
		}
		if size != cp.TreeSize || root != cp.RootHash || size < prev {
			return fail(rep, -1, 0, fmt.Sprintf("checkpoint %d does not match its signed note", cp.ID)), nil
		}
		prev = size
	}
	latest := cps[len(cps)-1]
	var computed memHashes
	next := 0 // next checkpoint to check
	const page = 5000
	for from := int64(0); from < latest.TreeSize; from += page {
		to := min(from+page, latest.TreeSize)
		entries, err := l.store.EntriesByLeaf(ctx, from, to)
		if err != nil {
			return nil, err
		}
		idx := make([]int64, 0, len(entries))
		for _, e := range entries {
			idx = append(idx, tlog.StoredHashIndex(0, *e.LeafIndex))
		}
		stored, err := l.store.ReadHashes(ctx, idx)
		if err != nil {
			return nil, err
		}
		want := from
		for i, e := range entries {
			if *e.LeafIndex != want {
				return fail(rep, want, 0, fmt.Sprintf("entry at leaf %d is missing (deleted)", want)), nil
			}
			data := LeafData(e)
			hashes, err := tlog.StoredHashes(want, data, computed)
			if err != nil {
				return nil, err
			}
			computed = append(computed, hashes...)
			if stored[i] != tlog.RecordHash(data) {
				return fail(rep, want, e.ID, fmt.Sprintf("entry %d (leaf %d) was altered after it was logged", e.ID, want)), nil
			}
			want++
			for next < len(cps) && cps[next].TreeSize == want {
				root, err := tlog.TreeHash(want, computed)
				if err != nil {
					return nil, err
				}
				if root != cps[next].RootHash {
					return fail(rep, want-1, e.ID, fmt.Sprintf(
						"the log up to leaf %d does not match signed checkpoint %d: an entry at or before it was altered, deleted or reordered",
						want-1, cps[next].ID)), nil
				}
				next++
			}
		}
		if want != to {
			return fail(rep, want, 0, fmt.Sprintf("entry at leaf %d is missing (deleted)", want)), nil
		}
	}
	rep.Checked = latest.TreeSize
	return rep, nil
}

func fail(r *Report, leaf, id int64, msg string) *Report {
	r.OK, r.BadLeaf, r.BadID, r.Problem = false, leaf, id, msg
	return r
}
