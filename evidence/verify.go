package evidence

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/undox/undox/audit"
)

// Default limits of Verify.
const (
	DefaultMaxTotalBytes    = 16 << 30 // all files together
	DefaultMaxManifestBytes = 64 << 20
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// TrustedKey is the hotline's verifier key as published (note
	// verifier key text), obtained apart from the bundle. With it, Verify
	// checks that the bundle's checkpoint is signed with it; without it,
	// the signature is checked with the key the bundle carries, which
	// only shows that the bundle is consistent (a warning says so).
	TrustedKey string
	// MaxTotalBytes caps the bytes read from the bundle's files, and
	// MaxManifestBytes the manifest's size; 0 means the default. Each
	// file is read no further than one byte past its declared size.
	MaxTotalBytes    int64
	MaxManifestBytes int64
}

// Problem is one thing that does not match. Path is the file in the zip
// (quoted, as Go quotes strings, when the name is unsafe), or a place in
// the manifest as manifest.json#/json/pointer. Text taken from the bundle
// is quoted in Message, so that printing it is safe.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Report is the outcome of Verify.
type Report struct {
	// OK is true when there is no problem: every file is there and
	// unchanged, nothing was added, every audit entry is proven by a
	// checkpoint whose signature verifies, and every captured file's
	// hash is in the audit log.
	OK       bool      `json:"ok"`
	Problems []Problem `json:"problems"`
	// Warnings do not make a bundle fail: chiefly that the signing key
	// was only the bundle's own (no TrustedKey).
	Warnings []Problem `json:"warnings"`

	Case string `json:"case"`
	// Signer is the name of the checkpoint's key; KeyTrusted tells
	// whether it is VerifyOptions.TrustedKey and signed the checkpoint.
	Signer     string `json:"signer"`
	KeyTrusted bool   `json:"key_trusted"`
	// CheckpointSigned: the checkpoint's signature verifies with the
	// bundled key.
	CheckpointSigned bool  `json:"checkpoint_signed"`
	TreeSize         int64 `json:"tree_size"`

	// Counts of what was checked, and of what passed.
	Files               int   `json:"files"`
	FilesOK             int   `json:"files_ok"`
	Bytes               int64 `json:"bytes"`
	AuditEntries        int   `json:"audit_entries"`
	AuditEntriesOK      int   `json:"audit_entries_ok"`
	CaptureFiles        int   `json:"capture_files"`
	CaptureFilesCovered int   `json:"capture_files_covered"`

	// Manifest is the bundle's manifest as read, nil if unreadable.
	Manifest *Manifest `json:"-"`
}

func (r *Report) problem(path, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Path: printable(path), Message: printable(fmt.Sprintf(format, args...))})
}

// printable escapes what a terminal would interpret (control characters,
// bidirectional overrides): messages quote text from the bundle, and
// errors of the libraries may not.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) < 0 {
		return s
	}
	var sb strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) || r == ' ' {
			sb.WriteRune(r)
		} else {
			fmt.Fprintf(&sb, "\\u%04x", r)
		}
	}
	return sb.String()
}

// keepLimit is the size up to which checkpoint.txt and SHA256SUMS are
// kept in memory to compare them with the manifest.
const keepLimit = 16 << 20

// Verify checks the bundle in r (size bytes), offline. It returns an
// error only when r is not a zip file or TrustedKey is malformed; every
// mismatch is a Problem of the Report.
func Verify(r io.ReaderAt, size int64, opts VerifyOptions) (*Report, error) {
	if opts.MaxTotalBytes <= 0 {
		opts.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if opts.MaxManifestBytes <= 0 {
		opts.MaxManifestBytes = DefaultMaxManifestBytes
	}
	var trusted note.Verifier
	tkey := strings.TrimSpace(opts.TrustedKey)
	if tkey != "" {
		v, err := note.NewVerifier(tkey)
		if err != nil {
			return nil, fmt.Errorf("evidence: trusted key: %w", err)
		}
		trusted = v
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // unsafe names are reported below
		return nil, fmt.Errorf("evidence: not a readable zip file: %w", err)
	}
	rep := &Report{Problems: []Problem{}, Warnings: []Problem{}}
	defer func() { rep.OK = len(rep.Problems) == 0 }()

	// The zip's entries: safe names, each once.
	byName := map[string]*zip.File{}
	var order []string
	for _, f := range zr.File {
		name := f.Name
		if err := checkZipName(strings.TrimSuffix(name, "/")); err != nil {
			rep.problem(fmt.Sprintf("%q", name), "unsafe file name in the zip, not read: %v", err)
			continue
		}
		if strings.HasSuffix(name, "/") { // a folder entry: no content
			continue
		}
		if _, dup := byName[name]; dup {
			rep.problem(name, "is in the zip more than once: an extractor may keep either copy")
			continue
		}
		byName[name] = f
		order = append(order, name)
	}

	m := readManifest(rep, byName[ManifestName], opts.MaxManifestBytes)
	if m == nil {
		return rep, nil
	}
	rep.Manifest, rep.Case = m, m.Case.Ref

	// Every listed file: present, of its size and SHA-256.
	listed := map[string]ManifestFile{}
	kept := map[string][]byte{}
	var budget = opts.MaxTotalBytes
	for i, mf := range m.Files {
		at := fmt.Sprintf("%s#/files/%d", ManifestName, i)
		if err := checkZipName(mf.Path); err != nil {
			rep.problem(at, "%v", err)
			continue
		}
		if mf.Path == ManifestName {
			rep.problem(at, "the manifest lists itself")
			continue
		}
		if _, dup := listed[mf.Path]; dup {
			rep.problem(mf.Path, "is listed twice in the manifest")
			continue
		}
		listed[mf.Path] = mf
		rep.Files++
		if !isHexSHA256(mf.SHA256) || mf.Size < 0 {
			rep.problem(mf.Path, "the manifest's SHA-256 %q or size %d is malformed", mf.SHA256, mf.Size)
			continue
		}
		zf := byName[mf.Path]
		if zf == nil {
			rep.problem(mf.Path, "is listed in the manifest but missing from the bundle")
			continue
		}
		if zf.UncompressedSize64 != uint64(mf.Size) {
			rep.problem(mf.Path, "is %d bytes, the manifest says %d: the file was changed", zf.UncompressedSize64, mf.Size)
			continue
		}
		if mf.Size > budget {
			rep.problem(mf.Path, "not checked: the bundle's files pass the limit of %d bytes", opts.MaxTotalBytes)
			continue
		}
		budget -= mf.Size
		keep := (mf.Path == CheckpointName || mf.Path == SumsName) && mf.Size <= keepLimit
		sum, n, content, err := readFile(zf, mf.Size, keep)
		switch {
		case err != nil:
			rep.problem(mf.Path, "cannot be read (damaged or changed): %v", err)
		case n != mf.Size:
			rep.problem(mf.Path, "is not %d bytes long, as the manifest says: the file was changed", mf.Size)
		case sum != mf.SHA256:
			rep.problem(mf.Path, "has SHA-256 %s, the manifest says %s: the file was changed", sum, mf.SHA256)
		default:
			rep.FilesOK++
			rep.Bytes += n
			if keep {
				kept[mf.Path] = content
			}
		}
	}
	for _, name := range order {
		if _, ok := listed[name]; !ok && name != ManifestName {
			rep.problem(name, "is in the bundle but not listed in the manifest: it was added")
		}
	}
	if _, ok := listed[CheckpointName]; !ok {
		rep.problem(CheckpointName, "is not listed in the manifest")
	}
	if sums, ok := kept[SumsName]; ok {
		checkSums(rep, sums, m.Files)
	}

	root, size, rootOK := checkCheckpoint(rep, m, kept, trusted, tkey)

	// Audit entries: each proven by the checkpoint.
	covered := map[FileHash]bool{}
	leaves := map[int64]bool{}
	for i, e := range m.Audit.Entries {
		at := fmt.Sprintf("%s#/audit/entries/%d", ManifestName, i)
		rep.AuditEntries++
		if leaves[e.LeafIndex] {
			rep.problem(at, "leaf %d is in the manifest twice", e.LeafIndex)
			continue
		}
		leaves[e.LeafIndex] = true
		p, err := e.proof()
		if err != nil {
			rep.problem(at, "audit entry %d (leaf %d): %v", e.ID, e.LeafIndex, err)
			continue
		}
		if !rootOK {
			continue // the checkpoint's problem is reported
		}
		if err := audit.VerifyInclusion(e.AuditEntry(), e.LeafIndex, p, size, root); err != nil {
			rep.problem(at, "audit entry %d (leaf %d, %q on %q %q) is not proven by the checkpoint: the entry or its proof was changed (%v)",
				e.ID, e.LeafIndex, e.Action, e.ObjectType, e.ObjectID, err)
			continue
		}
		rep.AuditEntriesOK++
		if e.Action == ActionCapture {
			for _, fh := range CaptureHashes(e.Detail) {
				covered[fh] = true
			}
		}
	}

	// Every captured file is recorded in a proven capture entry, and
	// every file is either a capture's or the bundle's own.
	ofCapture := map[string]bool{}
	for i, c := range m.Captures {
		for j, p := range c.Files {
			rep.CaptureFiles++
			mf, ok := listed[p]
			if !ok {
				rep.problem(fmt.Sprintf("%s#/captures/%d/files/%d", ManifestName, i, j), "capture %d names %q, which the manifest's files do not list", c.ID, p)
				continue
			}
			ofCapture[p] = true
			if !covered[FileHash{mf.Kind, mf.SHA256}] {
				rep.problem(p, "its SHA-256 (%q) is in no %q audit entry that the checkpoint proves: nothing vouches that it was captured",
					mf.Kind+"="+mf.SHA256, ActionCapture)
				continue
			}
			rep.CaptureFilesCovered++
		}
	}
	for _, mf := range m.Files {
		if _, ok := listed[mf.Path]; ok && !ofCapture[mf.Path] && !reserved[mf.Path] {
			rep.problem(mf.Path, "is listed in the manifest but belongs to no capture: nothing in the audit log vouches for it")
		}
	}
	return rep, nil
}

func readManifest(rep *Report, zf *zip.File, max int64) *Manifest {
	if zf == nil {
		rep.problem(ManifestName, "is missing: this is not an undox evidence bundle, or it was damaged")
		return nil
	}
	if zf.UncompressedSize64 > uint64(max) {
		rep.problem(ManifestName, "is larger than the limit of %d bytes", max)
		return nil
	}
	rc, err := zf.Open()
	if err != nil {
		rep.problem(ManifestName, "cannot be read: %v", err)
		return nil
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		rep.problem(ManifestName, "cannot be read (damaged): %v", err)
		return nil
	}
	if int64(len(b)) > max {
		rep.problem(ManifestName, "is larger than the limit of %d bytes", max)
		return nil
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		rep.problem(ManifestName, "is not a valid manifest: %v", err)
		return nil
	}
	if m.Format != Format || m.Version < 1 {
		rep.problem(ManifestName, "is not an undox evidence manifest (format %q, version %d)", m.Format, m.Version)
		return nil
	}
	if m.Version > Version {
		rep.problem(ManifestName, "is of format version %d; this program reads up to version %d: use a newer undox", m.Version, Version)
		return nil
	}
	return &m
}

// readFile reads a zip entry, no further than one byte past want.
func readFile(zf *zip.File, want int64, keep bool) (sum string, n int64, content []byte, err error) {
	rc, err := zf.Open()
	if err != nil {
		return "", 0, nil, err
	}
	defer rc.Close()
	h := sha256.New()
	var w io.Writer = h
	var buf bytes.Buffer
	if keep {
		w = io.MultiWriter(h, &buf)
	}
	n, err = io.Copy(w, io.LimitReader(rc, want+1))
	if err != nil {
		return "", n, nil, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, buf.Bytes(), nil
}

// checkSums compares SHA256SUMS with the manifest's files.
func checkSums(rep *Report, sums []byte, files []ManifestFile) {
	inSums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(sums))
	sc.Buffer(make([]byte, 4096), keepLimit)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		sum, path, ok := strings.Cut(line, " ")
		path = strings.TrimPrefix(strings.TrimPrefix(path, " "), "*")
		if !ok || !isHexSHA256(sum) || path == "" {
			rep.problem(SumsName, "has a malformed line %q", line)
			return
		}
		inSums[path] = sum
	}
	for _, f := range files {
		if f.Path == SumsName {
			continue
		}
		if s, ok := inSums[f.Path]; !ok {
			rep.problem(SumsName, "does not list %q", f.Path)
		} else if s != f.SHA256 {
			rep.problem(SumsName, "gives %q the SHA-256 %s, the manifest %q", f.Path, s, f.SHA256)
		}
		delete(inSums, f.Path)
	}
	for p := range inSums {
		rep.problem(SumsName, "lists %q, which the manifest does not", p)
	}
}

// checkCheckpoint checks the checkpoint's signature and returns the root
// and size the entries are checked against: the signed ones, or, when the
// signature fails, the manifest's (so that problems in entries are still
// found; the bundle fails anyway).
func checkCheckpoint(rep *Report, m *Manifest, kept map[string][]byte, trusted note.Verifier, tkey string) (tlog.Hash, int64, bool) {
	cp := m.Audit.Checkpoint
	keyAt := ManifestName + "#/audit/verifier_key"
	cpAt := ManifestName + "#/audit/checkpoint"
	vkey := strings.TrimSpace(m.Audit.VerifierKey)

	if txt, ok := kept[CheckpointName]; ok && string(txt) != cp.Note {
		rep.problem(CheckpointName, "differs from the checkpoint note in the manifest")
	}
	var (
		root   tlog.Hash
		size   int64
		signed bool
	)
	if v, err := note.NewVerifier(vkey); err != nil {
		rep.problem(keyAt, "the bundled verifier key is malformed: %v", err)
	} else {
		rep.Signer = v.Name()
		if s, r, err := audit.ParseCheckpoint([]byte(cp.Note), v); err != nil {
			rep.problem(CheckpointName, "the checkpoint's signature does not verify with the bundled verifier key %q: %v", vkey, err)
		} else {
			root, size, signed = r, s, true
			rep.CheckpointSigned = true
		}
	}
	if signed {
		if cp.TreeSize != size || cp.RootHash != encodeHash(root) {
			rep.problem(cpAt, "tree size %d and root %q differ from the signed note's %d and %s", cp.TreeSize, cp.RootHash, size, encodeHash(root))
		}
	} else {
		r, err := decodeHash(cp.RootHash)
		if err != nil {
			rep.problem(cpAt, "root hash: %v", err)
			return root, 0, false
		}
		root, size = r, cp.TreeSize
	}
	rep.TreeSize = size

	if trusted != nil {
		trustedOK := true
		if vkey != tkey {
			rep.problem(keyAt, "the bundled verifier key %q is not the trusted key %q", vkey, tkey)
			trustedOK = false
		}
		if _, _, err := audit.ParseCheckpoint([]byte(cp.Note), trusted); err != nil {
			rep.problem(CheckpointName, "the checkpoint is not signed by the trusted key %q: %v", tkey, err)
			trustedOK = false
		}
		rep.KeyTrusted = trustedOK
	} else if signed {
		rep.Warnings = append(rep.Warnings, Problem{Path: keyAt, Message: printable(fmt.Sprintf(
			"the checkpoint is signed with the key that comes with the bundle (%q), which is only self-asserted: "+
				"compare it with the hotline's published verifier key, or verify with that key", vkey))})
	}
	return root, size, true
}
