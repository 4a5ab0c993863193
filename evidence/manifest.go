package evidence

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
)

// Manifest is manifest.json: everything Verify checks, in one document.
//
//	{
//	  "format": "undox-evidence", "version": 1,
//	  "generated_at": "...", "generated_by": "token:3:export",
//	  "case": {"ref": "UDX-...", "category": "doxing", "status": "...", "is_minor": false, "created_at": "..."},
//	  "items": [{"id": 1, "url": "https://...", "status": "...", "first_reported": "..."}],
//	  "captures": [{"id": 1, "item_url": "...", "fetched_at": "...", "http_status": 200, "redirects": [...],
//	                "ips": [...], "dns": [...], "tls": {...}, ..., "files": ["captures/1/body.html", ...]}],
//	  "files": [{"path": "captures/1/body.html", "kind": "body", "media_type": "text/html",
//	             "size": 1234, "sha256": "<64 hex>"}, ..., {"path": "checkpoint.txt", ...},
//	            {"path": "report.html", ...}, {"path": "SHA256SUMS", ...}],
//	  "audit": {
//	    "leaf_hash": "<how a leaf hash is computed>", "capture_detail": "<the ActionCapture convention>",
//	    "verifier_key": "<note verifier key>",
//	    "checkpoint": {"origin": "...", "tree_size": 40, "root_hash": "<base64>", "note": "<signed note>"},
//	    "entries": [{"id": 7, "leaf_index": 6, "time": "...", "actor": "system", "action": "capture",
//	                 "object_type": "capture", "object_id": "1", "detail": "body=<sha256> ...",
//	                 "proof": ["<base64 hash>", ...]}]
//	  }
//	}
//
// "files" lists every file of the zip but manifest.json itself; a
// capture's "files" are paths into it.
type Manifest struct {
	Format      string            `json:"format"`
	Version     int               `json:"version"`
	GeneratedAt time.Time         `json:"generated_at"`
	GeneratedBy string            `json:"generated_by"`
	Case        CaseInfo          `json:"case"`
	Items       []Item            `json:"items"`
	Captures    []ManifestCapture `json:"captures"`
	Files       []ManifestFile    `json:"files"`
	Audit       ManifestAudit     `json:"audit"`
}

// ManifestCapture is a capture's facts and the paths of its files.
type ManifestCapture struct {
	Capture
	Files []string `json:"files"`
}

// ManifestFile is one file of the bundle.
type ManifestFile struct {
	Path      string `json:"path"`
	Kind      string `json:"kind,omitempty"`
	MediaType string `json:"media_type,omitempty"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
}

// ManifestAudit is the audit log's part of the bundle.
type ManifestAudit struct {
	// LeafHash and CaptureDetail describe, for whoever checks the bundle
	// without undox, how leaf hashes are computed and how capture entries
	// name files.
	LeafHash      string             `json:"leaf_hash"`
	CaptureDetail string             `json:"capture_detail"`
	VerifierKey   string             `json:"verifier_key"`
	Checkpoint    ManifestCheckpoint `json:"checkpoint"`
	Entries       []ManifestEntry    `json:"entries"`
}

// ManifestCheckpoint is the signed checkpoint: Note is the authority,
// the other fields repeat what it says.
type ManifestCheckpoint struct {
	Origin   string `json:"origin"`
	TreeSize int64  `json:"tree_size"`
	RootHash string `json:"root_hash"` // base64
	Note     string `json:"note"`
}

// ManifestEntry is an audit entry with its inclusion proof.
type ManifestEntry struct {
	ID         int64     `json:"id"`
	LeafIndex  int64     `json:"leaf_index"`
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	Detail     string    `json:"detail,omitempty"`
	Proof      []string  `json:"proof"` // base64 hashes, as tlog.ProveRecord orders them
}

// AuditEntry returns the entry as the audit log holds it.
func (e ManifestEntry) AuditEntry() undox.AuditEntry {
	leaf := e.LeafIndex
	return undox.AuditEntry{ID: e.ID, LeafIndex: &leaf, Time: e.Time, Actor: e.Actor, Action: e.Action,
		ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: e.Detail}
}

// proof decodes the entry's proof hashes.
func (e ManifestEntry) proof() (tlog.RecordProof, error) {
	p := make(tlog.RecordProof, len(e.Proof))
	for i, s := range e.Proof {
		h, err := decodeHash(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d: %w", i, err)
		}
		p[i] = h
	}
	return p, nil
}

func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return h, fmt.Errorf("%q is not a base64 SHA-256 hash", s)
	}
	copy(h[:], b)
	return h, nil
}

func encodeHash(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

// leafHashText documents audit.LeafData for outside verifiers.
const leafHashText = `RFC 6962 Merkle tree, as golang.org/x/mod/sumdb/tlog builds it. ` +
	`Leaf hash = SHA-256(0x00 || leaf data); interior hash = SHA-256(0x01 || left || right). ` +
	`Leaf data = the JSON object {"t": the entry's time in microseconds since 1970-01-01 UTC, "actor", "action", ` +
	`"type": object_type, "id": object_id, "detail": detail (left out when empty)}, keys in that order, ` +
	`no spaces, encoded by Go's encoding/json (<, > and & written as \u003c, \u003e, \u0026). ` +
	`Each entry's proof (base64 hashes, in tlog.ProveRecord's order) leads from its leaf hash to the root ` +
	`of the checkpoint, a signed note (golang.org/x/mod/sumdb/note, Ed25519) whose text is: origin, tree size, base64 root hash.`

const captureDetailText = `An audit entry with action "capture" records a capture's files: its detail holds one token ` +
	`KIND=SHA256 per file (e.g. "body=<64 hex> text=<64 hex> screenshot=<64 hex> image=<64 hex>"), ` +
	`separated by spaces; SHA256 is the lower-case hex SHA-256 of the file's content. ` +
	`Every captured file of the bundle is covered by such a token, in an entry proven by the checkpoint.`

// Prove returns the audit records of entries with their inclusion proofs
// in the tree of treeSize leaves: the size of the checkpoint the bundle
// carries. Every entry must be integrated at a leaf below it (integrate
// the log and take its latest checkpoint before exporting).
func Prove(ctx context.Context, log *audit.Log, treeSize int64, entries []undox.AuditEntry) ([]AuditRecord, error) {
	out := make([]AuditRecord, 0, len(entries))
	for _, e := range entries {
		if e.LeafIndex == nil {
			return nil, fmt.Errorf("evidence: audit entry %d is not integrated into the log yet", e.ID)
		}
		p, err := log.Proof(ctx, *e.LeafIndex, treeSize)
		if err != nil {
			return nil, fmt.Errorf("evidence: audit entry %d: %w", e.ID, err)
		}
		out = append(out, AuditRecord{Entry: e, Proof: p})
	}
	return out, nil
}
