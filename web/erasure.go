package web

// Reporters' erasure requests (GDPR art. 17) as admins work them: the
// queue with each request's one-month deadline, and "done", which erases
// the case.

import (
	"net/http"
	"strconv"

	"github.com/undox/undox"
)

// listErasures lists erasure requests, newest first; ?status=pending
// gives the queue.
func (s *Server) listErasures(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	q := r.URL.Query()
	f := undox.ErasureFilter{Status: undox.ErasureStatus(q.Get("status"))}
	var err error
	switch f.Status {
	case "", undox.ErasurePending, undox.ErasureDone:
	default:
		err = undox.Invalid("status", "status is pending or done")
	}
	if err == nil {
		f.After, f.Limit, err = parsePage(q)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.Store.ErasureRequests(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writePage(w, "erasure_requests", list, f.Limit, func(e *undox.ErasureRequest) int64 { return e.ID })
}

// completeErasure erases the request's case and marks the request done.
func (s *Server) completeErasure(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.fail(w, r, undox.Errorf(undox.ENOTFOUND, "erasure request not found"))
		return
	}
	req, err := s.Store.CompleteErasure(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, req)
}
