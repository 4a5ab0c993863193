package web

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/capture/extract"
)

// maxServedFile bounds a file read into memory to blur it; larger pictures
// are refused blurred (they are never shown unblurred by default).
const maxServedFile = 64 << 20

func (s *Server) itemCaptures(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := itemID(r)
	var caps []*undox.Capture
	if err == nil {
		caps, err = s.Store.ItemCaptures(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if caps == nil {
		caps = []*undox.Capture{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"captures": caps})
}

func (s *Server) requestCapture(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := itemID(r)
	if err == nil {
		err = s.Store.RequestCapture(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"item_id": id, "queued": true})
}

// captureFile answers one stored file of a capture. Captured pages are the
// doxer's markup: they are only ever sent as attachments, never as pages
// that a browser renders. Pictures of a minor's case are blurred unless
// the request says reveal=1, which needs its own permission and is
// audited.
func (s *Server) captureFile(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.fail(w, r, undox.Errorf(undox.ENOTFOUND, "capture not found"))
		return
	}
	reveal := r.URL.Query().Get("reveal") == "1"
	c, file, key, err := s.Store.CaptureFile(r.Context(), a, id, r.PathValue("sha256"), reveal)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.Blobs == nil {
		s.fail(w, r, undox.Errorf(undox.EUNAVAILABLE, "this instance has no evidence store"))
		return
	}
	rc, err := s.Blobs.Get(r.Context(), blob.Ref{Owner: c.CaseRef, SHA256: file.SHA256, Size: file.Size}, key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	if err := serveCaptureFile(w, rc, c, file, reveal, apiDisposition); err != nil {
		s.fail(w, r, undox.Errorf(undox.EINTERNAL, "the picture could not be blurred, so it is not shown"))
	}
}

// captureDisposition picks the Content-Type and the Content-Disposition
// ("" for none) of a capture file sent as name (no extension); blurred
// says it is a picture blurred into a PNG.
type captureDisposition func(file undox.CaptureFile, name string, blurred bool) (contentType, disposition string)

// apiDisposition sends pictures and the text as themselves; the raw page
// and its headers are a download, never a page.
func apiDisposition(file undox.CaptureFile, name string, blurred bool) (string, string) {
	switch {
	case blurred:
		return "image/png", ""
	case file.Visual():
		return file.MediaType, ""
	case file.Kind == undox.FileText:
		return "text/plain; charset=utf-8", ""
	}
	return "application/octet-stream", `attachment; filename="` + name + `.bin"`
}

// serveCaptureFile sends a capture file of c read from rc, never as a page
// that a browser renders (a sandbox policy), a picture of a minor's case
// blurred unless reveal; how picks its type and disposition. When a
// picture cannot be blurred it sends nothing and returns the error.
func serveCaptureFile(w http.ResponseWriter, rc io.Reader, c *undox.Capture, file undox.CaptureFile, reveal bool, how captureDisposition) error {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("X-Undox-SHA256", file.SHA256)
	name := "capture-" + strconv.FormatInt(c.ID, 10) + "-" + file.Kind + "-" + file.SHA256[:12]
	size := file.Size
	blurred := file.Visual() && c.IsMinor && !reveal
	if blurred {
		data, err := io.ReadAll(io.LimitReader(rc, maxServedFile))
		if err == nil {
			data, err = extract.Blur(data)
		}
		if err != nil {
			return err
		}
		rc, size = bytes.NewReader(data), int64(len(data))
		h.Set("X-Undox-Blurred", "true")
	}
	contentType, disposition := how(file, name, blurred)
	h.Set("Content-Type", contentType)
	if disposition != "" {
		h.Set("Content-Disposition", disposition)
	}
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	io.Copy(w, rc)
	return nil
}

func (s *Server) itemTraces(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := itemID(r)
	var limit int
	if err == nil {
		limit, err = parseLimit(r.URL.Query().Get("limit"))
	}
	var ts []*undox.Trace
	if err == nil {
		ts, err = s.Store.ItemTraces(r.Context(), a, id, limit)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"traces": ts})
}

func (s *Server) requestTrace(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := itemID(r)
	if err == nil {
		err = s.Store.RequestTrace(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"item_id": id, "queued": true})
}

func (s *Server) acknowledgeMove(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := itemID(r)
	var it *undox.Item
	if err == nil {
		err = s.Store.AcknowledgeMove(r.Context(), a, id)
	}
	if err == nil {
		it, err = s.Store.Item(r.Context(), a, id)
	}
	s.writeItem(w, r, it, err)
}
