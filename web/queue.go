package web

// The analysts' work queue. A placeholder until the console's queue
// replaces this file: the page, behind login, in the staff layout.

import (
	"net/http"

	"github.com/undox/undox"
)

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	p := s.newStaffPage(w, r, pageUser(a))
	p.Section = "queue"
	s.renderStaff(w, http.StatusOK, "staff_queue.html", p)
}
