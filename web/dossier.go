package web

// The escalation ladder's dossiers (for the regulator, the police, the
// search engines) and a case's timeline, for staff.

import (
	"net/http"
	"strconv"

	"github.com/undox/undox"
)

func dossierID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, undox.Errorf(undox.ENOTFOUND, "dossier not found")
	}
	return id, nil
}

func (s *Server) itemDossiers(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := itemID(r)
	var ds []*undox.Dossier
	if err == nil {
		_, err = s.Store.Item(r.Context(), a, id)
	}
	if err == nil {
		ds, err = s.Store.Dossiers(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dossiers": ds})
}

// dossierBundle sends a dossier's evidence bundle as a download; it holds
// the raw captures, unblurred, so its route needs evidence:reveal (and the
// store cases:read too).
func (s *Server) dossierBundle(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := dossierID(r)
	var zip []byte
	if err == nil {
		zip, err = s.Store.DossierBundle(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="undox-dossier-`+strconv.FormatInt(id, 10)+`.zip"`)
	h.Set("Content-Length", strconv.Itoa(len(zip)))
	w.WriteHeader(http.StatusOK)
	w.Write(zip)
}

func (s *Server) approveDossier(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := dossierID(r)
	var d *undox.Dossier
	if err == nil {
		d, err = s.Store.ApproveDossier(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) dossierSent(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := dossierID(r)
	var body struct {
		Reference string `json:"reference"`
	}
	if err == nil {
		var b []byte
		if b, err = readBody(w, r, 8<<10); err == nil {
			err = decodeJSON(b, &body)
		}
	}
	var d *undox.Dossier
	if err == nil {
		d, err = s.Store.MarkDossierSent(r.Context(), a, id, body.Reference)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// caseTimeline is the case's timeline as its victim reads it.
func (s *Server) caseTimeline(w http.ResponseWriter, r *http.Request, a undox.Actor, ref string) {
	if _, err := s.Store.Case(r.Context(), a, ref); err != nil {
		s.fail(w, r, err)
		return
	}
	tl, err := s.Store.Timeline(r.Context(), ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if tl == nil {
		tl = []undox.TimelineEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"timeline": tl})
}
