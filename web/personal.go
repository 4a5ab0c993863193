package web

import (
	"net/http"
	"strconv"

	"github.com/undox/undox"
)

type identifierInput struct {
	Person int    `json:"person"`
	Kind   string `json:"kind"`
	Value  string `json:"value"`
}

func (s *Server) addIdentifier(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	if _, err := requireContentType(r, "application/json"); err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := readBody(w, r, 16<<10)
	var in identifierInput
	if err == nil {
		err = decodeJSON(b, &in)
	}
	var id *undox.Identifier
	if err == nil {
		if in.Person == 0 {
			in.Person = 1
		}
		id, err = s.Store.AddIdentifier(r.Context(), a, ref, in.Person, in.Kind, in.Value)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, id)
}

func (s *Server) listIdentifiers(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	ids, err := s.Store.Identifiers(r.Context(), a, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"identifiers": ids})
}

func (s *Server) removeIdentifier(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		err = undox.Errorf(undox.ENOTFOUND, "identifier not found")
	} else {
		err = s.Store.RemoveIdentifier(r.Context(), a, ref, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listLinks(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	ls, err := s.Store.LinkSuggestions(r.Context(), a, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"links": ls})
}

func (s *Server) decideLink(confirm bool) func(http.ResponseWriter, *http.Request, undox.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a undox.Actor) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		var l *undox.LinkSuggestion
		if err != nil || id < 1 {
			err = undox.Errorf(undox.ENOTFOUND, "link suggestion not found")
		} else {
			l, err = s.Store.DecideLink(r.Context(), a, id, confirm)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, l)
	}
}
