package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/undox/undox/audit"
)

// Write writes the bundle b as a zip to w.
//
// It checks first what it can without reading the files: the checkpoint's
// signature with the bundled key, every audit entry's proof against it,
// the files' paths, and that every captured file's SHA-256 is covered by
// a capture audit entry (see ActionCapture). Then it streams each file,
// hashing it as it goes: content that does not match its declared SHA-256
// or size fails Write. Write never produces a bundle that Verify would
// find lying; on any error the output is incomplete (the zip has no
// central directory yet) and must be discarded: write to a temporary file
// and rename it once Write returned nil.
func Write(w io.Writer, b *Bundle) error {
	m, err := b.manifest()
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	var sums bytes.Buffer
	add := func(f ManifestFile) {
		m.Files = append(m.Files, f)
		fmt.Fprintf(&sums, "%s  %s\n", f.SHA256, f.Path)
	}
	for _, c := range b.Captures {
		for _, f := range c.Files {
			if err := writeFile(zw, m.GeneratedAt, f); err != nil {
				return fmt.Errorf("evidence: %s: %w", f.Name, err)
			}
			add(ManifestFile{Path: f.Name, Kind: f.Kind, MediaType: f.MediaType, Size: f.Size, SHA256: f.SHA256})
		}
	}

	// The bundle's own files: each is listed in the manifest (and in
	// SHA256SUMS, but for itself); only manifest.json is not.
	f, err := writeBytes(zw, m.GeneratedAt, CheckpointName, []byte(b.Checkpoint))
	if err != nil {
		return err
	}
	f.MediaType = "text/plain; charset=utf-8"
	add(f)

	report, err := renderReport(m, b)
	if err != nil {
		return fmt.Errorf("evidence: report: %w", err)
	}
	if f, err = writeBytes(zw, m.GeneratedAt, ReportName, report); err != nil {
		return err
	}
	f.MediaType = "text/html; charset=utf-8"
	add(f)

	sumsFile, err := writeBytes(zw, m.GeneratedAt, SumsName, sums.Bytes())
	if err != nil {
		return err
	}
	sumsFile.MediaType = "text/plain; charset=utf-8"
	m.Files = append(m.Files, sumsFile)

	mb, err := marshalManifest(m)
	if err != nil {
		return err
	}
	if _, err := writeBytes(zw, m.GeneratedAt, ManifestName, mb); err != nil {
		return err
	}
	return zw.Close()
}

func marshalManifest(m *Manifest) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("evidence: manifest: %w", err)
	}
	return buf.Bytes(), nil
}

// manifest checks b and returns its manifest without the files' list.
func (b *Bundle) manifest() (*Manifest, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("evidence: "+format, args...)
	}
	if b.Case.Ref == "" {
		return nil, bad("the case has no reference")
	}
	at := b.GeneratedAt
	if at.IsZero() {
		at = time.Now()
	}
	m := &Manifest{Format: Format, Version: Version, GeneratedAt: at.UTC().Truncate(time.Second), GeneratedBy: b.GeneratedBy,
		Case: b.Case, Items: b.Items}
	if m.Items == nil {
		m.Items = []Item{}
	}

	// The checkpoint and the audit entries' proofs.
	vkey := strings.TrimSpace(b.VerifierKey)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, bad("verifier key: %v", err)
	}
	size, root, err := audit.ParseCheckpoint([]byte(b.Checkpoint), v)
	if err != nil {
		return nil, bad("checkpoint: %v", err)
	}
	origin, _, _ := strings.Cut(b.Checkpoint, "\n")
	m.Audit = ManifestAudit{LeafHash: leafHashText, CaptureDetail: captureDetailText, VerifierKey: vkey,
		Checkpoint: ManifestCheckpoint{Origin: origin, TreeSize: size, RootHash: encodeHash(root), Note: b.Checkpoint},
		Entries:    []ManifestEntry{}}
	covered := map[FileHash]bool{}
	leaves := map[int64]bool{}
	for _, r := range b.Audit {
		if r.Entry.LeafIndex == nil {
			return nil, bad("audit entry %d is not integrated into the log", r.Entry.ID)
		}
	}
	records := append([]AuditRecord(nil), b.Audit...)
	sort.SliceStable(records, func(i, j int) bool { return *records[i].Entry.LeafIndex < *records[j].Entry.LeafIndex })
	for _, r := range records {
		e := r.Entry
		leaf := *e.LeafIndex
		if leaves[leaf] {
			return nil, bad("audit leaf %d is in the bundle twice", leaf)
		}
		leaves[leaf] = true
		if err := audit.VerifyInclusion(e, leaf, r.Proof, size, root); err != nil {
			return nil, bad("audit entry %d: %w", e.ID, err)
		}
		me := ManifestEntry{ID: e.ID, LeafIndex: leaf, Time: e.Time.UTC(), Actor: e.Actor, Action: e.Action,
			ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: e.Detail, Proof: make([]string, len(r.Proof))}
		for i, h := range r.Proof {
			me.Proof[i] = encodeHash(h)
		}
		m.Audit.Entries = append(m.Audit.Entries, me)
		if e.Action == ActionCapture {
			for _, fh := range CaptureHashes(e.Detail) {
				covered[fh] = true
			}
		}
	}

	// The captures and their files.
	names := map[string]bool{}
	m.Captures = []ManifestCapture{}
	for _, c := range b.Captures {
		mc := ManifestCapture{Capture: c, Files: []string{}}
		mc.FetchedAt = c.FetchedAt.UTC()
		if mc.Redirects == nil {
			mc.Redirects = []Redirect{}
		}
		if mc.IPs == nil {
			mc.IPs = []string{}
		}
		for _, f := range c.Files {
			if err := checkWriteName(f.Name); err != nil {
				return nil, bad("capture %d: %v", c.ID, err)
			}
			if names[f.Name] {
				return nil, bad("path %s is used twice", f.Name)
			}
			names[f.Name] = true
			switch {
			case !validKind(f.Kind):
				return nil, bad("%s: invalid kind %q", f.Name, f.Kind)
			case !isHexSHA256(f.SHA256):
				return nil, bad("%s: %q is not a lower-case hex SHA-256", f.Name, f.SHA256)
			case f.Size < 0:
				return nil, bad("%s: negative size", f.Name)
			case f.Open == nil:
				return nil, bad("%s: no content (Open is nil)", f.Name)
			case !covered[FileHash{f.Kind, f.SHA256}]:
				return nil, bad("%s: no %q audit entry of the bundle records %s=%s (was the log integrated before the export?)",
					f.Name, ActionCapture, f.Kind, f.SHA256)
			}
			mc.Files = append(mc.Files, f.Name)
		}
		m.Captures = append(m.Captures, mc)
	}
	// A path that is also another's folder would not extract.
	for name := range names {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if names[dir] {
				return nil, bad("path %s is also the folder of %s", dir, name)
			}
		}
	}
	return m, nil
}

// storedTypes are media types already compressed: stored as they are.
func stored(mediaType string) bool {
	mt, _, _ := strings.Cut(mediaType, ";")
	switch strings.TrimSpace(strings.ToLower(mt)) {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "application/zip", "application/gzip":
		return true
	}
	return false
}

func header(name string, at time.Time, method uint16) *zip.FileHeader {
	h := &zip.FileHeader{Name: name, Method: method, Modified: at}
	h.SetMode(0o644)
	return h
}

// writeFile streams one captured file into the zip, checking it.
func writeFile(zw *zip.Writer, at time.Time, f File) error {
	method := zip.Deflate
	if stored(f.MediaType) {
		method = zip.Store
	}
	zf, err := zw.CreateHeader(header(f.Name, at, method))
	if err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	// One byte past the declared size is enough to know it is longer.
	n, err := io.Copy(io.MultiWriter(zf, h), io.LimitReader(rc, f.Size+1))
	if err != nil {
		return err
	}
	if n != f.Size {
		if n > f.Size {
			return fmt.Errorf("%w: content is longer than its declared %d bytes", ErrMismatch, f.Size)
		}
		return fmt.Errorf("%w: content is %d bytes, declared %d", ErrMismatch, n, f.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("%w: content has SHA-256 %s, declared %s", ErrMismatch, got, f.SHA256)
	}
	return nil
}

// ErrMismatch is returned (wrapped) by Write for a file whose content
// does not match its declared SHA-256 or size.
var ErrMismatch = errors.New("evidence: content does not match its declaration")

func writeBytes(zw *zip.Writer, at time.Time, name string, data []byte) (ManifestFile, error) {
	zf, err := zw.CreateHeader(header(name, at, zip.Deflate))
	if err != nil {
		return ManifestFile{}, err
	}
	if _, err := zf.Write(data); err != nil {
		return ManifestFile{}, err
	}
	sum := sha256.Sum256(data)
	return ManifestFile{Path: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, nil
}
