package web

// The contact book as admins keep it: the entries with a search, the form
// that adds one, and each entry's page to change or remove it, with its
// history. Every change is a new version in the store, audited.

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/undox/undox"
)

type contactRow struct {
	ID                     int64
	Scope, Key, Role, Name string
	Email, WebForm, API    string
	Language, Country      string
	Platform               bool
	Version                int
	Updated, UpdatedBy     string
}

// contactForm is what was typed into a contact form.
type contactForm struct {
	ID                       int64
	Scope, Key, Role, Name   string
	Email, WebForm, API      string
	Language, Country, Notes string
	Platform                 bool
	Version                  int
}

type contactVersionRow struct {
	Version       int
	Change, Actor string
	At            string
	Summary       string
}

// contactFields are the form's fields that the store's errors name.
var contactFields = []string{"scope", "key", "role", "name", "email", "web_form", "api", "language", "country", "notes"}

func readContactForm(r *http.Request) contactForm {
	f := r.PostForm
	return contactForm{Scope: f.Get("scope"), Key: strings.TrimSpace(f.Get("key")), Role: f.Get("role"),
		Name: strings.TrimSpace(f.Get("name")), Email: strings.TrimSpace(f.Get("email")), WebForm: strings.TrimSpace(f.Get("web_form")),
		API: strings.TrimSpace(f.Get("api")), Language: f.Get("language"), Country: strings.TrimSpace(f.Get("country")),
		Notes: f.Get("notes"), Platform: f.Get("platform") == "yes"}
}

func (f contactForm) contact() undox.Contact {
	return undox.Contact{ID: f.ID, Scope: undox.ContactScope(f.Scope), Key: f.Key, Role: f.Role, Name: f.Name, Email: f.Email,
		WebForm: f.WebForm, API: f.API, Language: f.Language, Country: f.Country, Platform: f.Platform, Notes: f.Notes}
}

func formOf(c *undox.Contact) contactForm {
	return contactForm{ID: c.ID, Scope: string(c.Scope), Key: c.Key, Role: c.Role, Name: c.Name, Email: c.Email, WebForm: c.WebForm,
		API: c.API, Language: c.Language, Country: c.Country, Notes: c.Notes, Platform: c.Platform, Version: c.Version}
}

// contactChoices fills the selects of the contact form.
func (p *adminPage) contactChoices() {
	t := p.T
	for _, sc := range []undox.ContactScope{undox.ScopeDomain, undox.ScopeNetwork, undox.ScopeASN, undox.ScopeOrg} {
		p.Scopes = append(p.Scopes, option{Value: string(sc), Label: t["admin_scope_"+string(sc)], Selected: string(sc) == p.Contact.Scope})
	}
	for _, r := range undox.RecipientRoles() {
		p.CRoles = append(p.CRoles, option{Value: r, Label: t["admin_recipient_"+r], Selected: r == p.Contact.Role})
	}
	for _, l := range []string{"", "nl", "en"} {
		p.Langs = append(p.Langs, option{Value: l, Label: t["admin_contact_lang_"+nonEmpty(l, "any")], Selected: l == p.Contact.Language})
	}
}

// contactErrors puts the store's complaints about an entry beside the
// form's fields, in the page's language.
func (p *adminPage) contactErrors(err error) {
	switch undox.ErrorCode(err) {
	case undox.EINVALID:
		fields := undox.ErrorFields(err)
		for _, k := range contactFields {
			if _, bad := fields[k]; bad {
				p.Errors[k] = p.T["admin_contact_err_"+k]
			}
		}
		if k := fields["email"]; strings.Contains(k, "required") {
			p.Errors["email"] = p.T["admin_contact_err_channel"]
		}
		if len(p.Errors) == 0 {
			p.Errors["form"] = p.T["admin_err_invalid"]
		}
	case undox.ECONFLICT:
		p.Errors["key"] = p.T["admin_contact_err_duplicate"]
	case undox.ETRANSITION:
		p.Errors["form"] = p.T["admin_contact_err_removed"]
	}
}

// adminContacts is GET /admin/contacts: the entries (?q searches them)
// and the form that adds one.
func (s *Server) adminContacts(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	p := s.newAdminPage(w, r, a, "contacts")
	p.Contact = contactForm{Scope: string(undox.ScopeDomain), Role: undox.RoleHost}
	s.showContacts(w, r, a, p, http.StatusOK)
}

func (s *Server) showContacts(w http.ResponseWriter, r *http.Request, a undox.Actor, p *adminPage, code int) {
	cs, err := s.Store.Contacts(r.Context(), a)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	p.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	q := strings.ToLower(p.Query)
	for _, c := range cs {
		if q != "" && !strings.Contains(strings.ToLower(strings.Join([]string{c.Key, c.Name, c.Email, c.WebForm, c.API, c.Notes,
			string(c.Scope), c.Role, c.Country}, "\x00")), q) {
			continue
		}
		p.Contacts = append(p.Contacts, contactRow{ID: c.ID, Scope: nonEmpty(p.T["admin_scope_"+string(c.Scope)], string(c.Scope)),
			Key: c.Key, Role: nonEmpty(p.T["admin_recipient_"+c.Role], c.Role), Name: c.Name, Email: c.Email, WebForm: c.WebForm,
			API: c.API, Language: c.Language, Country: c.Country, Platform: c.Platform, Version: c.Version,
			Updated: formatDate(p.Lang, c.UpdatedAt), UpdatedBy: c.UpdatedBy})
	}
	p.contactChoices()
	s.renderPage(w, code, "staff_admin_contacts.html", p)
}

// adminAddContact is POST /admin/contacts.
func (s *Server) adminAddContact(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	if err := parseAdminForm(w, r); err != nil {
		s.adminError(w, r, a, err)
		return
	}
	p := s.newAdminPage(w, r, a, "contacts")
	p.Contact = readContactForm(r)
	c, err := s.Store.PutContact(r.Context(), a, p.Contact.contact())
	if err == nil {
		seeOther(w, r, "/admin/contacts/"+strconv.FormatInt(c.ID, 10), "contact_added")
		return
	}
	if p.contactErrors(err); len(p.Errors) == 0 {
		s.adminError(w, r, a, err)
		return
	}
	s.showContacts(w, r, a, p, statusOf[undox.ErrorCode(err)])
}

// contactOf finds the live entry of the path's {id}.
func (s *Server) contactOf(r *http.Request, a undox.Actor) (*undox.Contact, error) {
	id, err := pathID(r, "contact")
	if err != nil {
		return nil, err
	}
	cs, err := s.Store.Contacts(r.Context(), a)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.ID == id {
			return c, nil
		}
	}
	return nil, undox.Errorf(undox.ENOTFOUND, "contact not found")
}

// adminContact is GET /admin/contacts/{id}: the entry's form and history.
func (s *Server) adminContact(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	c, err := s.contactOf(r, a)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	p := s.newAdminPage(w, r, a, "contacts")
	p.Contact = formOf(c)
	s.showContact(w, r, a, p, http.StatusOK)
}

func (s *Server) showContact(w http.ResponseWriter, r *http.Request, a undox.Actor, p *adminPage, code int) {
	vs, err := s.Store.ContactHistory(r.Context(), a, p.Contact.ID)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	for i := len(vs) - 1; i >= 0; i-- { // newest first
		v := vs[i]
		c := v.Contact
		p.History = append(p.History, contactVersionRow{Version: v.Version, Change: nonEmpty(p.T["admin_change_"+v.Change], v.Change),
			Actor: v.Actor, At: formatDate(p.Lang, v.At),
			Summary: strings.Join(nonEmpties(string(c.Scope)+" "+c.Key, c.Role, c.Name, c.Email, c.WebForm, c.API), " · ")})
	}
	p.contactChoices()
	s.renderPage(w, code, "staff_admin_contact.html", p)
}

func nonEmpties(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// adminSaveContact is POST /admin/contacts/{id}: the entry as the form
// has it, a new version.
func (s *Server) adminSaveContact(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	if err := parseAdminForm(w, r); err != nil {
		s.adminError(w, r, a, err)
		return
	}
	old, err := s.contactOf(r, a)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	p := s.newAdminPage(w, r, a, "contacts")
	p.Contact = readContactForm(r)
	p.Contact.ID, p.Contact.Version = old.ID, old.Version
	if _, err = s.Store.PutContact(r.Context(), a, p.Contact.contact()); err == nil {
		seeOther(w, r, "/admin/contacts/"+strconv.FormatInt(old.ID, 10), "contact_saved")
		return
	}
	if p.contactErrors(err); len(p.Errors) == 0 {
		s.adminError(w, r, a, err)
		return
	}
	s.showContact(w, r, a, p, statusOf[undox.ErrorCode(err)])
}

// adminRemoveContact is POST /admin/contacts/{id}/delete: the entry no
// longer applies (its history stays).
func (s *Server) adminRemoveContact(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	if err := parseAdminForm(w, r); err != nil {
		s.adminError(w, r, a, err)
		return
	}
	c, err := s.contactOf(r, a)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		p := s.newAdminPage(w, r, a, "contacts")
		p.Contact = formOf(c)
		p.Errors["delete"] = p.T["admin_err_confirm"]
		s.showContact(w, r, a, p, http.StatusBadRequest)
		return
	}
	if err := s.Store.RemoveContact(r.Context(), a, c.ID); err != nil {
		s.adminError(w, r, a, err)
		return
	}
	seeOther(w, r, "/admin/contacts", "contact_removed")
}
