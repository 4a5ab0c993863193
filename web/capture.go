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
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("X-Undox-SHA256", file.SHA256)
	name := "capture-" + strconv.FormatInt(c.ID, 10) + "-" + file.Kind + "-" + file.SHA256[:12]
	switch {
	case file.Visual() && c.IsMinor && !reveal:
		data, err := io.ReadAll(io.LimitReader(rc, maxServedFile))
		if err == nil {
			data, err = extract.Blur(data)
		}
		if err != nil {
			s.fail(w, r, undox.Errorf(undox.EINTERNAL, "the picture could not be blurred, so it is not shown"))
			return
		}
		h.Set("Content-Type", "image/png")
		h.Set("X-Undox-Blurred", "true")
		h.Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		io.Copy(w, bytes.NewReader(data))
		return
	case file.Visual():
		h.Set("Content-Type", file.MediaType)
	case file.Kind == undox.FileText:
		h.Set("Content-Type", "text/plain; charset=utf-8")
	default:
		// The raw page and its headers: a download, never a page.
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", `attachment; filename="`+name+`.bin"`)
	}
	h.Set("Content-Length", strconv.FormatInt(file.Size, 10))
	w.WriteHeader(http.StatusOK)
	io.Copy(w, rc)
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
