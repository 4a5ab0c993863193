package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/evidence"
	"github.com/undox/undox/takedown"
)

// cliActor is who a command run on the server acts as: the operator, with
// every permission, named "cli" in the audit log.
var cliActor = undox.Actor{Kind: "cli", Name: "operator", Role: undox.RoleAdmin}

// exportCase is `undox export case REF -o FILE.zip`: the case's evidence
// bundle, which `undox verify` checks offline.
func exportCase(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	var out, ref string
	c := &config{}
	fs := newFlags("export case", c, stderr)
	fs.StringVar(&out, "o", "", "the bundle file to write (.zip)")
	var err error
	if ref, err = parseOne(fs, args, env); err != nil {
		return err
	}
	if ref == "" || out == "" {
		return usageError("usage: undox export case REF -o FILE.zip")
	}
	if err := undox.CheckRef(ref); err != nil {
		return usageError(undox.ErrorMessage(err))
	}
	a, err := c.open(ctx, env, stderr, false)
	if err != nil {
		return err
	}
	defer a.close()
	blobs, err := blob.NewDir(c.blobDir())
	if err != nil {
		return err
	}
	b, err := takedown.CaseBundle(ctx, a.store, a.audit, blobs, a.verifierKey, cliActor, ref)
	if err != nil {
		return err
	}
	sum, size, err := writeBundle(out, b)
	if err != nil {
		return err
	}
	if err := a.store.Audit(ctx, cliActor, "case.export", "case", ref, "bundle="+sum); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: case %s, %d captures, %d files, %d audit entries, %d bytes\nsha256 %s\nverify it with: undox verify %s\n",
		out, ref, len(b.Captures), countFiles(b), len(b.Audit), size, sum, out)
	return nil
}

func countFiles(b *evidence.Bundle) int {
	n := 0
	for _, c := range b.Captures {
		n += len(c.Files)
	}
	return n
}

// writeBundle writes the bundle to a temporary file beside path and moves
// it into place only when it is complete; it returns its SHA-256 and size.
func writeBundle(path string, b *evidence.Bundle) (string, int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".undox-export-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	if err := evidence.Write(cw, b); err != nil {
		tmp.Close()
		return "", 0, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// verifyBundle is `undox verify FILE.zip [--key KEY]`: checks a bundle
// offline, without undox's database or keys.
func verifyBundle(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	var key string
	var asJSON bool
	fs := flag.NewFlagSet("undox verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&key, "key", "", "the hotline's published verifier key (name+hash+key): without it, the bundle's own key is used, which shows only that the bundle is consistent")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	path, err := parseOne(fs, args, nil)
	if err != nil {
		return err
	}
	if path == "" {
		return usageError("usage: undox verify FILE.zip [--key VERIFIER-KEY] [--json]")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rep, err := evidence.Verify(f, st.Size(), evidence.VerifyOptions{TrustedKey: key})
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printVerify(stdout, path, rep)
	}
	if !rep.OK {
		return fmt.Errorf("%s does not verify: %d problems", path, len(rep.Problems))
	}
	return nil
}

func printVerify(w io.Writer, path string, r *evidence.Report) {
	verdict := "OK"
	if !r.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "%s: %s\n", path, verdict)
	fmt.Fprintf(w, "case:       %s\n", r.Case)
	fmt.Fprintf(w, "files:      %d of %d unchanged (%d bytes)\n", r.FilesOK, r.Files, r.Bytes)
	fmt.Fprintf(w, "audit:      %d of %d entries proven in a tree of %d entries\n", r.AuditEntriesOK, r.AuditEntries, r.TreeSize)
	fmt.Fprintf(w, "captures:   %d of %d files recorded in the audit log\n", r.CaptureFilesCovered, r.CaptureFiles)
	signed := "signature does NOT verify"
	if r.CheckpointSigned {
		signed = "signature verifies"
	}
	trust := "key only as the bundle states it (give --key to check it against the published one)"
	if r.KeyTrusted {
		trust = "the published key given with --key"
	}
	fmt.Fprintf(w, "checkpoint: signed by %s, %s, with %s\n", r.Signer, signed, trust)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "PROBLEM  %s\n", p)
	}
	for _, p := range r.Warnings {
		fmt.Fprintf(w, "warning  %s\n", p)
	}
}
