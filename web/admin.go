package web

// The admin pages, for admins only. For now the list of staff accounts;
// accounts are made with `undox user add`.

import (
	"net/http"

	"github.com/undox/undox"
)

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	users, err := s.Store.Users(r.Context(), a)
	if err != nil {
		s.log.Error("admin page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p := s.newStaffPage(w, r, pageUser(a))
	p.Section = "admin"
	p.Users = users
	s.renderStaff(w, http.StatusOK, "staff_admin.html", p)
}
