package web

// Reporters' erasure requests (GDPR art. 17) as a page: the pending ones
// by deadline, overdue ones marked, each with "erase now", which does
// what POST /api/v1/erasure-requests/{id}/done does; and the latest done.

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/undox/undox"
)

type erasureRow struct {
	ID                        int64
	Case, CaseStatus          string
	Requested, Deadline, Done string
	Overdue                   bool
}

// maxErasureRows bounds each list of the page.
const maxErasureRows = 500

// adminErasure is GET /admin/erasure.
func (s *Server) adminErasure(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	p := s.newAdminPage(w, r, a, "erasure")
	s.showErasure(w, r, a, p, http.StatusOK)
}

func (s *Server) showErasure(w http.ResponseWriter, r *http.Request, a undox.Actor, p *adminPage, code int) {
	pending, err := s.Store.ErasureRequests(r.Context(), a, undox.ErasureFilter{Status: undox.ErasurePending, Limit: maxErasureRows})
	var done []*undox.ErasureRequest
	if err == nil {
		done, err = s.Store.ErasureRequests(r.Context(), a, undox.ErasureFilter{Status: undox.ErasureDone, Limit: 50})
	}
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	// The queue is worked by deadline, the nearest first.
	slices.SortStableFunc(pending, func(x, y *undox.ErasureRequest) int { return x.Deadline.Compare(y.Deadline) })
	row := func(e *undox.ErasureRequest) erasureRow {
		out := erasureRow{ID: e.ID, Case: e.CaseRef, CaseStatus: nonEmpty(p.T["admin_case_"+string(e.CaseStatus)], string(e.CaseStatus)),
			Requested: formatDate(p.Lang, e.RequestedAt), Deadline: formatDate(p.Lang, e.Deadline), Overdue: e.Overdue}
		if e.DoneAt != nil {
			out.Done = formatDate(p.Lang, *e.DoneAt)
		}
		return out
	}
	overdue := 0
	for _, e := range pending {
		p.Pending = append(p.Pending, row(e))
		if e.Overdue {
			overdue++
		}
	}
	if overdue > 0 {
		p.OverdueNote = fmt.Sprintf(p.T["admin_erasure_overdue_note"], overdue)
	}
	for _, e := range done {
		p.Finished = append(p.Finished, row(e))
	}
	s.renderPage(w, code, "staff_admin_erasure.html", p)
}

// adminErase is POST /admin/erasure/{id}/erase: the case is erased now and
// the request is done.
func (s *Server) adminErase(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	if err := parseAdminForm(w, r); err != nil {
		s.adminError(w, r, a, err)
		return
	}
	id, err := pathID(r, "erasure request")
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		p := s.newAdminPage(w, r, a, "erasure")
		p.Errors["form"] = p.T["admin_err_confirm"]
		s.showErasure(w, r, a, p, http.StatusBadRequest)
		return
	}
	if _, err := s.Store.CompleteErasure(r.Context(), a, id); err != nil {
		if undox.ErrorCode(err) == undox.ELEGALHOLD {
			p := s.newAdminPage(w, r, a, "erasure")
			p.Errors["form"] = p.T["admin_erasure_hold"]
			s.showErasure(w, r, a, p, http.StatusConflict)
			return
		}
		s.adminError(w, r, a, err)
		return
	}
	seeOther(w, r, "/admin/erasure", "erased")
}
