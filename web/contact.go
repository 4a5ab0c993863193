package web

import (
	"net/http"
	"strconv"

	"github.com/undox/undox"
)

// contactInput is what staff send for a contact-book entry.
type contactInput struct {
	Scope    undox.ContactScope `json:"scope"`
	Key      string             `json:"key"`
	Role     string             `json:"role"`
	Name     string             `json:"name"`
	Email    string             `json:"email"`
	WebForm  string             `json:"web_form"`
	API      string             `json:"api"`
	Language string             `json:"language"`
	Country  string             `json:"country"`
	Platform bool               `json:"platform"`
	Notes    string             `json:"notes"`
}

func readContact(w http.ResponseWriter, r *http.Request) (undox.Contact, error) {
	if _, err := requireContentType(r, "application/json"); err != nil {
		return undox.Contact{}, err
	}
	b, err := readBody(w, r, 64<<10)
	if err != nil {
		return undox.Contact{}, err
	}
	var in contactInput
	if err := decodeJSON(b, &in); err != nil {
		return undox.Contact{}, err
	}
	return undox.Contact{Scope: in.Scope, Key: in.Key, Role: in.Role, Name: in.Name, Email: in.Email, WebForm: in.WebForm,
		API: in.API, Language: in.Language, Country: in.Country, Platform: in.Platform, Notes: in.Notes}, nil
}

func contactID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, undox.Errorf(undox.ENOTFOUND, "contact not found")
	}
	return id, nil
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	cs, err := s.Store.Contacts(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": cs})
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	c, err := readContact(w, r)
	var out *undox.Contact
	if err == nil {
		out, err = s.Store.PutContact(r.Context(), a, c)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := contactID(r)
	var c undox.Contact
	if err == nil {
		c, err = readContact(w, r)
	}
	var out *undox.Contact
	if err == nil {
		c.ID = id
		out, err = s.Store.PutContact(r.Context(), a, c)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) removeContact(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := contactID(r)
	if err == nil {
		err = s.Store.RemoveContact(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) contactHistory(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := contactID(r)
	var vs []undox.ContactVersion
	if err == nil {
		vs, err = s.Store.ContactHistory(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
}
