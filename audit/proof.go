package audit

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/undox/undox"
)

// Proof returns the inclusion proof of the entry at leafIndex in the tree
// of treeSize leaves (the size of a signed checkpoint, typically): the
// hashes that, with the entry's own leaf hash, recompute that tree's root.
// Outsiders check it with VerifyInclusion, offline.
//
// The proof is read from the stored hashes; a hash that is not stored (a
// tree size beyond what was integrated) is an error, not a proof.
func (l *Log) Proof(ctx context.Context, leafIndex, treeSize int64) (tlog.RecordProof, error) {
	if leafIndex < 0 || leafIndex >= treeSize {
		return nil, fmt.Errorf("audit: leaf %d is not in a tree of size %d", leafIndex, treeSize)
	}
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs, err := l.store.ReadHashes(ctx, idx)
		if err != nil {
			return nil, err
		}
		if len(hs) != len(idx) {
			return nil, fmt.Errorf("audit: read %d hashes, want %d", len(hs), len(idx))
		}
		// The store reads a hash it does not have as zero; no real
		// SHA-256 is zero.
		for i, h := range hs {
			if h == (tlog.Hash{}) {
				return nil, fmt.Errorf("audit: hash %d is not stored: the tree has fewer than %d leaves", idx[i], treeSize)
			}
		}
		return hs, nil
	})
	p, err := tlog.ProveRecord(treeSize, leafIndex, hr)
	if err != nil {
		return nil, fmt.Errorf("audit: proof of leaf %d in tree %d: %w", leafIndex, treeSize, err)
	}
	return p, nil
}

// LatestCheckpoint returns the newest signed checkpoint, nil when none was
// signed yet (an empty log).
func (l *Log) LatestCheckpoint(ctx context.Context) (*Checkpoint, error) {
	// The SQL store reads just the newest one; other storages list all.
	if s, ok := l.store.(interface {
		LatestCheckpoint(context.Context) (*Checkpoint, error)
	}); ok {
		return s.LatestCheckpoint(ctx)
	}
	cps, err := l.store.Checkpoints(ctx)
	if err != nil || len(cps) == 0 {
		return nil, err
	}
	return cps[len(cps)-1], nil
}

// ErrNotIncluded is returned (wrapped) by VerifyInclusion when the proof
// does not link the entry to the root.
var ErrNotIncluded = errors.New("audit: entry is not included in the tree")

// VerifyInclusion checks, offline, that entry is the leaf at leafIndex of
// the tree of treeSize leaves with the given root: the root of a signed
// checkpoint (see ParseCheckpoint). It fails when the entry was altered in
// any field that LeafData covers, when it sits at another index, or when
// the proof or root are not the tree's.
func VerifyInclusion(entry undox.AuditEntry, leafIndex int64, proof tlog.RecordProof, treeSize int64, root tlog.Hash) error {
	if leafIndex < 0 || leafIndex >= treeSize {
		return fmt.Errorf("%w: leaf %d is outside a tree of size %d", ErrNotIncluded, leafIndex, treeSize)
	}
	if entry.LeafIndex != nil && *entry.LeafIndex != leafIndex {
		return fmt.Errorf("%w: the entry says leaf %d, the proof is for leaf %d", ErrNotIncluded, *entry.LeafIndex, leafIndex)
	}
	if err := tlog.CheckRecord(proof, treeSize, root, leafIndex, tlog.RecordHash(LeafData(entry))); err != nil {
		return fmt.Errorf("%w: leaf %d, tree size %d, root %s: %v", ErrNotIncluded, leafIndex, treeSize, root, err)
	}
	return nil
}
