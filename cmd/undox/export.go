package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/capture"
	"github.com/undox/undox/evidence"
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
	if err := c.finish(env); err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	a, err := open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer a.close()
	blobs, err := blob.NewDir(filepath.Join(c.data, "blobs"))
	if err != nil {
		return err
	}
	b, err := a.bundle(ctx, blobs, ref)
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

// bundle gathers a case's evidence: its captures and their files, and the
// audit entries that recorded them with their proofs against a checkpoint
// signed now.
func (a *app) bundle(ctx context.Context, blobs blob.Store, ref string) (*evidence.Bundle, error) {
	c, err := a.store.Case(ctx, cliActor, ref)
	if err != nil {
		return nil, err
	}
	caps, key, err := a.store.CaseCaptures(ctx, cliActor, ref)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, undox.Errorf(undox.EERASED, "case %s was erased, and its evidence with it", ref)
	}
	// Every capture's entry must be in a signed checkpoint.
	cp, err := a.audit.Integrate(ctx, 0)
	if err != nil {
		return nil, err
	}
	if cp == nil {
		return nil, errors.New("the audit log is empty")
	}
	b := &evidence.Bundle{
		Case:       evidence.CaseInfo{Ref: c.Ref, Category: c.Category, Status: string(c.Status), IsMinor: c.IsMinor, CreatedAt: c.CreatedAt},
		Checkpoint: cp.Note, VerifierKey: a.verifierKey, GeneratedAt: time.Now().UTC(), GeneratedBy: cliActor.Label(),
	}
	if c.Handling != c.Category {
		b.Case.Handling = c.Handling
	}
	urls := map[int64]string{}
	for _, it := range c.Items {
		urls[it.ID] = it.URL
		b.Items = append(b.Items, evidence.Item{ID: it.ID, URL: it.URL, Status: string(it.Status), Category: it.Category, FirstReported: it.CreatedAt})
	}
	entries := map[string]undox.AuditEntry{} // by "item/capture"
	for id := range urls {
		all, err := a.store.AuditEntries(ctx, "item", strconv.FormatInt(id, 10))
		if err != nil {
			return nil, err
		}
		for _, e := range all {
			if e.Action != evidence.ActionCapture || !strings.Contains(" "+e.Detail+" ", " case="+ref+" ") {
				continue
			}
			for _, tok := range strings.Fields(e.Detail) {
				if v, ok := strings.CutPrefix(tok, "capture="); ok {
					entries[v] = e
				}
			}
		}
	}
	var audited []undox.AuditEntry
	for _, pc := range caps {
		e, ok := entries[strconv.FormatInt(pc.ID, 10)]
		if !ok {
			return nil, fmt.Errorf("capture %d has no audit entry", pc.ID)
		}
		audited = append(audited, e)
		b.Captures = append(b.Captures, bundleCapture(pc, urls[pc.ItemID], blobs, key))
	}
	if b.Audit, err = evidence.Prove(ctx, a.audit, cp.TreeSize, audited); err != nil {
		return nil, err
	}
	return b, nil
}

// bundleCapture turns a stored capture into the bundle's: its facts, and
// its files read from the evidence store under the case's key.
func bundleCapture(pc *undox.Capture, itemURL string, blobs blob.Store, key []byte) evidence.Capture {
	ec := evidence.Capture{ID: pc.ID, ItemURL: itemURL, FetchedAt: pc.FetchedAt, RequestedBy: pc.RequestedBy, Status: pc.HTTPStatus,
		Redirects: []evidence.Redirect{}, IPs: []string{}}
	var f capture.Facts
	if len(pc.Facts) > 0 && json.Unmarshal(pc.Facts, &f) == nil {
		ec.Title, ec.Vantage = f.Title, f.Vantage
		if f.Error != nil {
			ec.Error = f.Error.Code + ": " + f.Error.Message
		}
		if r := f.Result; r != nil {
			ec.FinalURL, ec.Resolver = r.FinalURL, r.Resolver
			if r.Proxy != "" {
				ec.Vantage += " (proxy " + r.Proxy + ")"
			}
			for _, h := range r.Redirects {
				rd := evidence.Redirect{URL: h.URL, Status: h.Status}
				if h.Remote.IsValid() {
					rd.IP = h.Remote.String()
				}
				ec.Redirects = append(ec.Redirects, rd)
			}
			for _, ip := range r.IPs {
				ec.IPs = append(ec.IPs, ip.String())
			}
			for _, l := range r.DNS {
				d := evidence.DNSAnswer{Name: l.Name, Records: l.Records, Server: l.Server, Error: l.Error, Addrs: []string{}}
				for _, ad := range l.Addrs {
					d.Addrs = append(d.Addrs, ad.String())
				}
				ec.DNS = append(ec.DNS, d)
			}
			if t := r.TLS; t != nil {
				ec.TLS = &evidence.TLSSummary{Version: t.Version, CipherSuite: t.CipherSuite, ServerName: t.ServerName,
					Verified: t.Verified, VerifyError: t.VerifyError}
				for _, ci := range t.Chain {
					ec.TLS.Chain = append(ec.TLS.Chain, evidence.Certificate{Subject: ci.Subject, Issuer: ci.Issuer,
						Serial: ci.SerialNumber, DNSNames: ci.DNSNames, NotBefore: ci.NotBefore, NotAfter: ci.NotAfter, SHA256: ci.SHA256})
				}
			}
		}
	} else if pc.ErrorCode != "" {
		ec.Error = pc.ErrorCode
	}
	dir := "captures/" + strconv.FormatInt(pc.ID, 10) + "/"
	seen := map[string]int{}
	for _, file := range pc.Files {
		seen[file.Kind]++
		name := dir + file.Kind
		if seen[file.Kind] > 1 || file.Kind == undox.FileImage {
			name += "-" + strconv.Itoa(seen[file.Kind])
		}
		ref := blob.Ref{Owner: pc.CaseRef, SHA256: file.SHA256, Size: file.Size}
		ec.Files = append(ec.Files, evidence.File{Name: name + extension(file), Kind: file.Kind, SHA256: file.SHA256, Size: file.Size,
			MediaType: file.MediaType, Open: func() (io.ReadCloser, error) { return blobs.Get(context.Background(), ref, key) }})
	}
	if len(pc.Facts) > 0 {
		facts := pc.Facts
		sum := sha256.Sum256(facts)
		ec.Files = append(ec.Files, evidence.File{Name: dir + "facts.json", Kind: evidence.KindFacts, SHA256: hex.EncodeToString(sum[:]),
			Size: int64(len(facts)), MediaType: "application/json",
			Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(facts))), nil }})
	}
	return ec
}

// extension names a file in the bundle by what it is. The captured page
// gets .html.txt: opening it shows its source, never the doxer's page.
func extension(f undox.CaptureFile) string {
	switch {
	case f.Kind == undox.FileBody && strings.Contains(f.MediaType, "html"):
		return ".html.txt"
	case f.Kind == undox.FileHeaders:
		return ".http.txt"
	case f.Kind == undox.FileText:
		return ".txt"
	case strings.HasPrefix(f.MediaType, "image/"):
		return "." + strings.TrimPrefix(strings.TrimPrefix(f.MediaType, "image/"), "x-")
	}
	return ".bin"
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
