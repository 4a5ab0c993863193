// Package audit keeps undox's audit log tamper-evident.
//
// Entries are appended by the store inside the transaction of what they
// record. The integrator gives each pending entry the next leaf index of a
// Merkle tree (RFC 6962 hashing, as Certificate Transparency does, via
// golang.org/x/mod/sumdb/tlog), stores the tree's hashes, and signs a
// checkpoint — tree size and root hash — as an Ed25519 signed note
// (golang.org/x/mod/sumdb/note). Notices and export bundles carry the
// checkpoint, so outsiders hold copies: an entry edited, deleted or
// reordered before a checkpoint changes the root and is found by Verify.
package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/undox/undox"
)

// Checkpoint is a signed statement of the tree's size and root hash.
type Checkpoint struct {
	ID        int64     `json:"id"`
	TreeSize  int64     `json:"tree_size"`
	RootHash  tlog.Hash `json:"-"`
	Root      string    `json:"root_hash"` // base64
	Note      string    `json:"note"`      // the signed note, as outsiders keep it
	CreatedAt time.Time `json:"created_at"`
}

// Tx is the storage the integrator works on, inside one transaction that
// no other integrator runs beside.
type Tx interface {
	// TreeSize is the number of entries integrated so far.
	TreeSize() (int64, error)
	// Pending returns up to n entries not yet integrated, oldest first.
	Pending(n int) ([]undox.AuditEntry, error)
	ReadHashes(indexes []int64) ([]tlog.Hash, error)
	WriteHashes(indexes []int64, hashes []tlog.Hash) error
	// Assign gives the entries their leaf indexes: firstLeaf, firstLeaf+1, …
	// in the order given.
	Assign(entryIDs []int64, firstLeaf int64) error
	LatestCheckpoint() (*Checkpoint, error)
	SaveCheckpoint(c *Checkpoint) error
}

// Storage is what the log needs from the database.
type Storage interface {
	// IntegrateTx runs fn in a transaction that excludes other integrators.
	IntegrateTx(ctx context.Context, fn func(Tx) error) error
	// EntriesByLeaf returns integrated entries with leaf index in [from, to),
	// in leaf order (gaps show as missing indexes).
	EntriesByLeaf(ctx context.Context, from, to int64) ([]undox.AuditEntry, error)
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	Checkpoints(ctx context.Context) ([]*Checkpoint, error)
	PendingCount(ctx context.Context) (int64, error)
}

// Log integrates and signs the audit log.
type Log struct {
	store    Storage
	signer   note.Signer
	verifier note.Verifier
	origin   string
	now      func() time.Time
}

// Keys are the files that hold the checkpoint signing key (private, 0600)
// and its verifier key (public, to hand to outsiders).
func keyPaths(dataDir string) (signer, verifier string) {
	return filepath.Join(dataDir, "audit-signing.key"), filepath.Join(dataDir, "audit-verifier.pub")
}

// LoadOrCreateKeys reads the signing key from the data folder, creating an
// Ed25519 key pair on first use. name names the log (and the key).
func LoadOrCreateKeys(dataDir, name string) (note.Signer, note.Verifier, error) {
	sp, vp := keyPaths(dataDir)
	skey, err := os.ReadFile(sp)
	if errors.Is(err, os.ErrNotExist) {
		s, _, gerr := note.GenerateKey(nil, name)
		if gerr != nil {
			return nil, nil, gerr
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, nil, err
		}
		// Write the key in full under a temporary name (mode 0600), then
		// link it in place: the link is atomic and fails if another
		// process won the race, so no one ever reads a half-written key.
		f, err := os.CreateTemp(dataDir, ".audit-signing.key.*")
		if err != nil {
			return nil, nil, err
		}
		defer os.Remove(f.Name())
		if _, err := f.WriteString(s + "\n"); err != nil {
			f.Close()
			return nil, nil, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, err
		}
		if err := f.Close(); err != nil {
			return nil, nil, err
		}
		if err := os.Link(f.Name(), sp); errors.Is(err, os.ErrExist) {
			return LoadOrCreateKeys(dataDir, name)
		} else if err != nil {
			return nil, nil, err
		}
		skey = []byte(s)
	} else if err != nil {
		return nil, nil, err
	}
	signer, verifier, vkey, err := ParseSigningKey(string(skey))
	if err != nil {
		return nil, nil, fmt.Errorf("audit: signing key %s: %w", sp, err)
	}
	// The public file is derived from the signing key: (re)write it,
	// atomically, when it is missing or does not match.
	if b, err := os.ReadFile(vp); err != nil || strings.TrimSpace(string(b)) != vkey {
		f, err := os.CreateTemp(dataDir, ".audit-verifier.pub.*")
		if err != nil {
			return nil, nil, err
		}
		defer os.Remove(f.Name())
		if _, err := f.WriteString(vkey + "\n"); err != nil {
			f.Close()
			return nil, nil, err
		}
		if err := f.Chmod(0o644); err != nil {
			f.Close()
			return nil, nil, err
		}
		if err := f.Close(); err != nil {
			return nil, nil, err
		}
		if err := os.Rename(f.Name(), vp); err != nil {
			return nil, nil, err
		}
	}
	return signer, verifier, nil
}

// ParseSigningKey reads a signing key given as text (the content of
// audit-signing.key, or UNDOX_AUDIT_SIGNING_KEY for a worker on another
// machine) and returns its signer, verifier and verifier key text.
func ParseSigningKey(text string) (note.Signer, note.Verifier, string, error) {
	sk := strings.TrimSpace(text)
	signer, err := note.NewSigner(sk)
	if err != nil {
		return nil, nil, "", err
	}
	vkey, err := verifierKeyOf(sk)
	if err != nil {
		return nil, nil, "", err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, "", err
	}
	return signer, verifier, vkey, nil
}

// CheckKey tells whether verifier verifies the newest checkpoint in the
// store: an instance with another key (a worker given a data folder of its
// own) must not sign checkpoints that nobody can verify.
func CheckKey(ctx context.Context, latest *Checkpoint, verifier note.Verifier) error {
	if latest == nil {
		return nil
	}
	if _, _, err := ParseCheckpoint([]byte(latest.Note), verifier); err != nil {
		return fmt.Errorf("audit: the signing key (%s) does not verify the database's checkpoints; "+
			"give every undox process the same key (copy audit-signing.key, or set UNDOX_AUDIT_SIGNING_KEY)", verifier.Name())
	}
	return nil
}

// verifierKeyOf derives the verifier key of a note signer key
// (PRIVATE+KEY+name+hash+base64(0x01 || Ed25519 seed)).
func verifierKeyOf(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("malformed signing key")
	}
	k, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(k) != 1+ed25519.SeedSize || k[0] != 1 {
		return "", errors.New("malformed signing key")
	}
	pub := ed25519.NewKeyFromSeed(k[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// New returns a log over store, signing with signer.
func New(store Storage, signer note.Signer, verifier note.Verifier) *Log {
	return &Log{store: store, signer: signer, verifier: verifier, origin: signer.Name(), now: time.Now}
}

// VerifierKey is the public key that checks the log's checkpoints.
func (l *Log) VerifierKey() note.Verifier { return l.verifier }

// LeafData is the exact bytes of an entry that its leaf hash covers.
func LeafData(e undox.AuditEntry) []byte {
	b, _ := json.Marshal(struct {
		T      int64  `json:"t"`
		Actor  string `json:"actor"`
		Action string `json:"action"`
		Type   string `json:"type"`
		ID     string `json:"id"`
		Detail string `json:"detail,omitempty"`
	}{e.Time.UnixMicro(), e.Actor, e.Action, e.ObjectType, e.ObjectID, e.Detail})
	return b
}

// overlay reads hashes written in this batch before the database's.
type overlay struct {
	tx  Tx
	new map[int64]tlog.Hash
}

func (o *overlay) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for _, ix := range indexes {
		if _, ok := o.new[ix]; !ok {
			missing = append(missing, ix)
		}
	}
	var got []tlog.Hash
	if len(missing) > 0 {
		var err error
		if got, err = o.tx.ReadHashes(missing); err != nil {
			return nil, err
		}
	}
	j := 0
	for i, ix := range indexes {
		if h, ok := o.new[ix]; ok {
			out[i] = h
		} else {
			out[i] = got[j]
			j++
		}
	}
	return out, nil
}

// Integrate gives pending entries leaf indexes (up to batch of them, all
// when batch <= 0) and, when the tree grew or force is set and no
// checkpoint covers it yet, signs a checkpoint. It returns the latest
// checkpoint.
func (l *Log) Integrate(ctx context.Context, batch int) (*Checkpoint, error) {
	if batch <= 0 {
		batch = 1 << 30
	}
	var cp *Checkpoint
	err := l.store.IntegrateTx(ctx, func(tx Tx) error {
		size, err := tx.TreeSize()
		if err != nil {
			return err
		}
		for done := 0; done < batch; {
			n := batch - done
			if n > 1000 {
				n = 1000
			}
			pending, err := tx.Pending(n)
			if err != nil {
				return err
			}
			if len(pending) == 0 {
				break
			}
			ov := &overlay{tx: tx, new: map[int64]tlog.Hash{}}
			var idx []int64
			var hs []tlog.Hash
			first := size
			ids := make([]int64, 0, len(pending))
			for _, e := range pending {
				hashes, err := tlog.StoredHashes(size, LeafData(e), ov)
				if err != nil {
					return err
				}
				base := tlog.StoredHashIndex(0, size)
				for i, h := range hashes {
					ov.new[base+int64(i)] = h
					idx = append(idx, base+int64(i))
					hs = append(hs, h)
				}
				ids = append(ids, e.ID)
				size++
			}
			if err := tx.Assign(ids, first); err != nil {
				return err
			}
			if err := tx.WriteHashes(idx, hs); err != nil {
				return err
			}
			done += len(pending)
		}
		latest, err := tx.LatestCheckpoint()
		if err != nil {
			return err
		}
		if latest != nil && latest.TreeSize == size {
			cp = latest
			return nil
		}
		if size == 0 {
			return nil
		}
		root, err := tlog.TreeHash(size, &overlay{tx: tx, new: map[int64]tlog.Hash{}})
		if err != nil {
			return err
		}
		cp, err = l.sign(size, root)
		if err != nil {
			return err
		}
		return tx.SaveCheckpoint(cp)
	})
	return cp, err
}

// checkpointText is the body of a checkpoint note (the C2SP checkpoint
// layout: origin, size, base64 root hash).
func checkpointText(origin string, size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

func (l *Log) sign(size int64, root tlog.Hash) (*Checkpoint, error) {
	msg, err := note.Sign(&note.Note{Text: checkpointText(l.origin, size, root)}, l.signer)
	if err != nil {
		return nil, err
	}
	return &Checkpoint{TreeSize: size, RootHash: root, Root: base64.StdEncoding.EncodeToString(root[:]),
		Note: string(msg), CreatedAt: l.now().UTC()}, nil
}

// ParseCheckpoint verifies a signed checkpoint note and returns its size
// and root hash.
func ParseCheckpoint(msg []byte, v note.Verifier) (int64, tlog.Hash, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("audit: checkpoint signature: %w", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 3 {
		return 0, tlog.Hash{}, errors.New("audit: malformed checkpoint")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return 0, tlog.Hash{}, errors.New("audit: malformed checkpoint size")
	}
	rb, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rb) != tlog.HashSize {
		return 0, tlog.Hash{}, errors.New("audit: malformed checkpoint root")
	}
	var root tlog.Hash
	copy(root[:], rb)
	return size, root, nil
}

// VerifierKeyText returns the verifier key as text (name+hash+key), the
// form that outsiders use with note.NewVerifier to check checkpoints.
func VerifierKeyText(dataDir string) (string, error) {
	_, vp := keyPaths(dataDir)
	b, err := os.ReadFile(vp)
	return strings.TrimSpace(string(b)), err
}
