package web

import (
	"net/http"
	"strings"

	"github.com/undox/undox"
	"github.com/undox/undox/secret"
)

// authorize admits requests with a Bearer token whose role holds p.
func (s *Server) authorize(p undox.Permission, h func(http.ResponseWriter, *http.Request, undox.Actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="undox"`)
			s.fail(w, r, undox.Errorf(undox.EUNAUTHORIZED, "this endpoint needs an API token (Authorization: Bearer …)"))
			return
		}
		t, err := s.Store.TokenByHash(r.Context(), secret.Hash(strings.TrimSpace(token)))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="undox", error="invalid_token"`)
			s.fail(w, r, err)
			return
		}
		a := undox.Actor{Kind: "token", TokenID: t.ID, Name: t.Name, Role: t.Role, Owner: t.UserID}
		if err := a.Require(p); err != nil {
			s.fail(w, r, err)
			return
		}
		h(w, r, a)
	})
}
