package web

// The notice templates as admins edit them: every template with the
// version that applies, each one's source in a form, its saved versions
// with "activate this version", and "back to the default". Package notice
// checks a template before it is saved (see saveNoticeTemplate); a
// refused one is shown again as typed, with the problems beside it.

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/undox/undox"
)

type ntRow struct {
	Href, Language, Name, Version string
	Default                       bool
}

// ntPage is one template's page.
type ntPage struct {
	Lang, Name      string // the template's language and name
	Title           string
	Href            string
	Version, Digest string
	Default         bool
	Source          string // the text of the form
	Problems        []string
	Versions        []ntVersionRow
	Viewing         *ntVersionRow // an older version shown (?version=)
	HasSaved        bool
}

type ntVersionRow struct {
	ID              int64
	Version, Digest string
	By, At          string
	Active          bool
	Source          string
}

// ntTitle names a template in the page's language: "Host (English)".
func ntTitle(t map[string]string, lang, name string) string {
	return nonEmpty(t["admin_nt_name_"+name], name) + " (" + nonEmpty(t["admin_nt_lang_"+lang], lang) + ")"
}

func ntHref(lang, name string) string {
	return "/admin/templates/" + url.PathEscape(lang) + "/" + url.PathEscape(name)
}

// adminTemplates is GET /admin/templates.
func (s *Server) adminTemplates(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	p := s.newAdminPage(w, r, a, "templates")
	l, err := s.noticeTemplateList(r.Context())
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	for _, v := range l {
		p.NoticeTemplates = append(p.NoticeTemplates, ntRow{Href: ntHref(v.Language, v.Name), Language: nonEmpty(p.T["admin_nt_lang_"+v.Language], v.Language),
			Name: nonEmpty(p.T["admin_nt_name_"+v.Name], v.Name), Version: v.Version, Default: v.Default})
	}
	s.renderPage(w, http.StatusOK, "staff_admin_templates.html", p)
}

// adminTemplate is GET /admin/templates/{lang}/{name}: the template that
// applies in a form, and its saved versions; ?version=ID shows one of
// them.
func (s *Server) adminTemplate(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	p := s.newAdminPage(w, r, a, "templates")
	nt, err := s.ntPage(r, a, p)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	if v := r.URL.Query().Get("version"); v != "" {
		for i := range nt.Versions {
			if strconv.FormatInt(nt.Versions[i].ID, 10) == v {
				nt.Viewing = &nt.Versions[i]
			}
		}
		if nt.Viewing == nil {
			s.adminError(w, r, a, undox.Errorf(undox.ENOTFOUND, "no such version"))
			return
		}
	}
	s.renderPage(w, http.StatusOK, "staff_admin_template.html", p)
}

// ntPage fills the page of the path's template.
func (s *Server) ntPage(r *http.Request, a undox.Actor, p *adminPage) (*ntPage, error) {
	lang, name, err := templatePath(r)
	if err != nil {
		return nil, err
	}
	l, err := s.noticeTemplateList(r.Context())
	if err != nil {
		return nil, err
	}
	nt := &ntPage{Lang: lang, Name: name, Title: ntTitle(p.T, lang, name), Href: ntHref(lang, name)}
	for _, v := range l {
		if v.Language == lang && v.Name == name {
			nt.Version, nt.Digest, nt.Default, nt.Source = v.Version, v.Digest, v.Default, v.Source
		}
	}
	versions, err := s.Store.NoticeTemplateVersions(r.Context(), a, lang, name)
	if err != nil {
		return nil, err
	}
	for _, v := range versions {
		nt.Versions = append(nt.Versions, ntVersionRow{ID: v.ID, Version: v.Version, Digest: v.Digest, By: v.CreatedBy,
			At: formatDate(p.Lang, v.CreatedAt), Active: v.Active, Source: v.Source})
	}
	nt.HasSaved = len(nt.Versions) > 0
	p.NoticeTemplate = nt
	return nt, nil
}

// postedTemplate reads a form posted about the template of the path, and
// returns its page. It answers a problem itself, and returns false.
func (s *Server) postedTemplate(w http.ResponseWriter, r *http.Request, a undox.Actor) (*adminPage, *ntPage, bool) {
	if err := parseAdminForm(w, r); err != nil {
		s.adminError(w, r, a, err)
		return nil, nil, false
	}
	p := s.newAdminPage(w, r, a, "templates")
	nt, err := s.ntPage(r, a, p)
	if err != nil {
		s.adminError(w, r, a, err)
		return nil, nil, false
	}
	return p, nt, true
}

// adminSaveTemplate is POST /admin/templates/{lang}/{name}: the form's
// text, checked, becomes the active version.
func (s *Server) adminSaveTemplate(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	p, nt, ok := s.postedTemplate(w, r, a)
	if !ok {
		return
	}
	src := r.PostForm.Get("source")
	_, problems, err := s.saveNoticeTemplate(r.Context(), a, nt.Lang, nt.Name, src)
	switch {
	case err == nil:
		seeOther(w, r, nt.Href, "template_saved")
	case undox.ErrorCode(err) == undox.EINVALID:
		nt.Source = src // as typed
		nt.Problems = problems
		if len(problems) == 0 {
			nt.Problems = []string{undox.ErrorMessage(err)}
		}
		p.Errors["form"] = p.T["admin_nt_refused"]
		s.renderPage(w, http.StatusBadRequest, "staff_admin_template.html", p)
	default:
		s.adminError(w, r, a, err)
	}
}

// adminActivateTemplate is POST /admin/templates/{lang}/{name}/activate:
// a saved version of this template (the form's version) applies again.
func (s *Server) adminActivateTemplate(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	_, nt, ok := s.postedTemplate(w, r, a)
	if !ok {
		return
	}
	id := strings.TrimSpace(r.PostForm.Get("version"))
	for _, v := range nt.Versions {
		if strconv.FormatInt(v.ID, 10) == id {
			if _, err := s.Store.ActivateNoticeTemplate(r.Context(), a, v.ID); err != nil {
				s.adminError(w, r, a, err)
				return
			}
			seeOther(w, r, nt.Href, "template_activated")
			return
		}
	}
	s.adminError(w, r, a, undox.Errorf(undox.ENOTFOUND, "no such version of this template"))
}

// adminDefaultTemplate is POST /admin/templates/{lang}/{name}/default:
// the template shipped with undox applies again (the saved versions stay).
func (s *Server) adminDefaultTemplate(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	if err := parseAdminForm(w, r); err != nil {
		s.adminError(w, r, a, err)
		return
	}
	lang, name, err := templatePath(r)
	if err == nil {
		err = s.Store.RevertNoticeTemplate(r.Context(), a, lang, name)
	}
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	seeOther(w, r, ntHref(lang, name), "template_default")
}
