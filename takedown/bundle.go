package takedown

// The evidence bundle of a case, as `undox export case` writes it and as
// dossiers carry it.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/capture"
	"github.com/undox/undox/evidence"
	"github.com/undox/undox/sqlstore"
)

// CaseBundle gathers a case's evidence: its captures and their files, and
// the audit entries that recorded them with their proofs against a
// checkpoint signed now (log integrates what is pending). actor reads the
// case (audited) and is named as the bundle's author; verifierKey is the
// audit log's public key as text.
func CaseBundle(ctx context.Context, st *sqlstore.Store, log *audit.Log, blobs blob.Store, verifierKey string, actor undox.Actor, ref string) (*evidence.Bundle, error) {
	c, err := st.Case(ctx, actor, ref)
	if err != nil {
		return nil, err
	}
	caps, key, err := st.CaseCaptures(ctx, actor, ref)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, undox.Errorf(undox.EERASED, "case %s was erased, and its evidence with it", ref)
	}
	// Every capture's entry must be in a signed checkpoint.
	cp, err := log.Integrate(ctx, 0)
	if err != nil {
		return nil, err
	}
	if cp == nil {
		return nil, errors.New("the audit log is empty")
	}
	b := &evidence.Bundle{
		Case:       evidence.CaseInfo{Ref: c.Ref, Category: c.Category, Status: string(c.Status), IsMinor: c.IsMinor, CreatedAt: c.CreatedAt},
		Checkpoint: cp.Note, VerifierKey: verifierKey, GeneratedAt: st.Now().UTC(), GeneratedBy: actor.Label(),
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
		all, err := st.AuditEntries(ctx, "item", strconv.FormatInt(id, 10))
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
	if b.Audit, err = evidence.Prove(ctx, log, cp.TreeSize, audited); err != nil {
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
