package evidence

import (
	"bytes"
	_ "embed"
	"html/template"
	"strconv"
	"strings"
	"time"
)

// The report is for people: a police officer, a prosecutor, a judge. It
// shows facts and escaped text only: no script, no external resource, and
// never the captured page as a page (it is the doxer's).
//
//go:embed report.html.tmpl
var reportText string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"when":  formatTime,
	"bytes": formatBytes,
	"join":  strings.Join,
	"add1":  func(i int) int { return i + 1 },
}).Parse(reportText))

type reportView struct {
	M        *Manifest
	Signer   string
	Captures []captureView
	Files    int
	Bytes    int64
	Sums     string
	Check    string
}

type captureView struct {
	C     ManifestCapture
	Files []fileView
}

type fileView struct {
	ManifestFile
	// Leaf is the audit entry that records the file's hash, -1 if none.
	Leaf int64
	// Picture: shown as an image; Source: the page's source code, never
	// to be opened in a browser.
	Picture bool
	Source  bool
}

// pictureTypes are the image formats shown in the report: raster images,
// which a browser shows without running or fetching anything.
var pictureTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/avif": true, "image/bmp": true}

func renderReport(m *Manifest, b *Bundle) ([]byte, error) {
	leafOf := map[FileHash]int64{}
	for _, e := range m.Audit.Entries {
		if e.Action != ActionCapture {
			continue
		}
		for _, fh := range CaptureHashes(e.Detail) {
			if _, ok := leafOf[fh]; !ok {
				leafOf[fh] = e.LeafIndex
			}
		}
	}
	signer, _, _ := strings.Cut(m.Audit.VerifierKey, "+")
	v := &reportView{M: m, Signer: signer, Sums: SumsName, Check: "undox verify FILE.zip"}
	for i, c := range b.Captures {
		cv := captureView{C: m.Captures[i]}
		for _, f := range c.Files {
			leaf, ok := leafOf[FileHash{f.Kind, f.SHA256}]
			if !ok {
				leaf = -1
			}
			mt, _, _ := strings.Cut(f.MediaType, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			cv.Files = append(cv.Files, fileView{
				ManifestFile: ManifestFile{Path: f.Name, Kind: f.Kind, MediaType: f.MediaType, Size: f.Size, SHA256: f.SHA256},
				Leaf:         leaf,
				Picture:      (f.Kind == KindScreenshot || f.Kind == KindImage) && pictureTypes[mt],
				Source:       f.Kind == KindBody || strings.Contains(mt, "html") || strings.Contains(mt, "xml") || strings.Contains(mt, "svg"),
			})
			v.Files++
			v.Bytes += f.Size
		}
		v.Captures = append(v.Captures, cv)
	}
	var buf bytes.Buffer
	if err := reportTmpl.Execute(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// formatBytes writes a size with thousands separators: 1,234,567 bytes.
func formatBytes(n int64) string {
	s := strconv.FormatInt(n, 10)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if n == 1 {
		return "1 byte"
	}
	return string(out) + " bytes"
}
