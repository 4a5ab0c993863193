package web

// Notice templates: admins replace the shipped ones with their own text,
// checked by package notice before it is saved; every version is kept.

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/undox/undox"
	"github.com/undox/undox/notice"
)

// templateView is one notice template as it applies now.
type templateView struct {
	Language string `json:"language"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Digest   string `json:"digest"`
	// Default: the template shipped with undox applies.
	Default bool `json:"default"`
	// ID is the active saved version's, 0 for the default.
	ID     int64  `json:"id,omitempty"`
	Source string `json:"source"`
}

// noticeTemplateList returns every template as it applies now, by
// language and name.
func (s *Server) noticeTemplateList(ctx context.Context) ([]templateView, error) {
	defaults, err := notice.DefaultTemplates()
	if err != nil {
		return nil, err
	}
	active, err := s.Store.ActiveNoticeTemplates(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*undox.NoticeTemplateVersion{}
	for _, v := range active {
		byID[v.Language+"/"+v.Name] = v
	}
	var out []templateView
	for _, t := range defaults.List() {
		v := templateView{Language: t.Language, Name: t.Name, Version: t.Version, Digest: t.Digest, Default: true, Source: t.Source}
		if a := byID[t.ID()]; a != nil {
			v = templateView{Language: a.Language, Name: a.Name, Version: a.Version, Digest: a.Digest, ID: a.ID, Source: a.Source}
		}
		out = append(out, v)
	}
	return out, nil
}

// saveNoticeTemplate checks an admin's template and saves it as the
// active version. A template that notice refuses is not saved: problems
// lists why, one sentence each.
func (s *Server) saveNoticeTemplate(ctx context.Context, a undox.Actor, lang, name, src string) (v *undox.NoticeTemplateVersion, problems []string, err error) {
	if err := a.Require(undox.PermAdmin); err != nil {
		return nil, nil, err
	}
	if len(src) > 64<<10 {
		return nil, []string{"the template is longer than 64 KiB"}, undox.Invalid("source", "the template is longer than 64 KiB")
	}
	t, err := notice.ParseTemplate(lang, name, []byte(src))
	var te *notice.TemplateError
	if errors.As(err, &te) {
		return nil, te.Problems, undox.Invalid("source", "%s", strings.Join(te.Problems, " "))
	}
	if err != nil {
		return nil, nil, err
	}
	v, err = s.Store.SaveNoticeTemplate(ctx, a, undox.NoticeTemplateVersion{Language: t.Language, Name: t.Name,
		Version: t.Version, Digest: t.Digest, Source: t.Source})
	return v, nil, err
}

// templatePath returns a known language and template name from the path.
func templatePath(r *http.Request) (lang, name string, err error) {
	lang, name = r.PathValue("lang"), r.PathValue("name")
	if _, err := notice.DefaultSource(lang, name); err != nil {
		return "", "", err
	}
	return lang, name, nil
}

func (s *Server) listNoticeTemplates(w http.ResponseWriter, r *http.Request, _ undox.Actor) {
	l, err := s.noticeTemplateList(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": l})
}

func (s *Server) getNoticeTemplate(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	lang, name, err := templatePath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.noticeTemplateList(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	versions, err := s.Store.NoticeTemplateVersions(r.Context(), a, lang, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, v := range l {
		if v.Language == lang && v.Name == name {
			writeJSON(w, http.StatusOK, map[string]any{"template": v, "versions": versions})
			return
		}
	}
	s.fail(w, r, undox.Errorf(undox.ENOTFOUND, "no template %s/%s", lang, name))
}

func (s *Server) putNoticeTemplate(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	lang, name, err := templatePath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Source string `json:"source"`
	}
	b, err := readBody(w, r, 128<<10)
	if err == nil {
		err = decodeJSON(b, &body)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, _, err := s.saveNoticeTemplate(r.Context(), a, lang, name, body.Source)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) revertNoticeTemplate(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	lang, name, err := templatePath(r)
	if err == nil {
		err = s.Store.RevertNoticeTemplate(r.Context(), a, lang, name)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.getNoticeTemplate(w, r, a)
}

func (s *Server) activateNoticeTemplate(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, undox.Invalid("id", "not a template version"))
		return
	}
	v, err := s.Store.ActivateNoticeTemplate(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
