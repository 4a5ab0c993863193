package web_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/notice"
)

// templateAnswer is GET /api/v1/notice-templates/{lang}/{name}.
type templateAnswer struct {
	Template struct {
		Language, Name, Version, Digest, Source string
		Default                                 bool
		ID                                      int64
	} `json:"template"`
	Versions []undox.NoticeTemplateVersion `json:"versions"`
}

// walkNoticeTemplates is the notice templates' part of TestOpenAPIWalk:
// an admin edits the English host notice, a broken edit is refused with
// what it lacks, an older version comes back, and the default after it.
func walkNoticeTemplates(t *testing.T, e *env, admin, analyst string) {
	api := e.api
	var list struct {
		Templates []struct {
			Language, Name string
			Default        bool
		} `json:"templates"`
	}
	api.do(t, "GET", "/api/v1/notice-templates", nil, bearer(analyst)).ok(t, 200, &list)
	require.Len(t, list.Templates, len(notice.Languages())*len(notice.TemplateNames()))
	for _, x := range list.Templates {
		assert.True(t, x.Default, "%s/%s", x.Language, x.Name)
	}

	src, err := notice.DefaultSource("en", "host")
	require.NoError(t, err)
	edited := strings.Replace(string(src), "Version: default-1", "Version: hotline-2", 1)
	edited = strings.Replace(edited, "Dear abuse team", "Dear colleagues", 1)
	// An analyst may not; a template without the statement of good
	// faith is refused, with what it lacks.
	api.do(t, "PUT", "/api/v1/notice-templates/en/host", map[string]any{"source": edited}, bearer(analyst)).problem(t, 403, undox.EFORBIDDEN)
	broken := strings.Replace(edited, "good faith", "good spirits", -1)
	p := api.do(t, "PUT", "/api/v1/notice-templates/en/host", map[string]any{"source": broken}, bearer(admin)).problem(t, 400, undox.EINVALID)
	assert.Contains(t, p.Errors["source"], "good faith")
	api.do(t, "PUT", "/api/v1/notice-templates/xx/host", map[string]any{"source": edited}, bearer(admin)).problem(t, 404, undox.ENOTFOUND)

	var v1, v2 undox.NoticeTemplateVersion
	api.do(t, "PUT", "/api/v1/notice-templates/en/host", map[string]any{"source": edited}, bearer(admin)).ok(t, 200, &v1)
	assert.Equal(t, "hotline-2", v1.Version)
	assert.True(t, v1.Active)
	assert.True(t, strings.HasPrefix(v1.CreatedBy, "token:"))
	again := strings.Replace(edited, "Version: hotline-2", "Version: hotline-3", 1)
	api.do(t, "PUT", "/api/v1/notice-templates/en/host", map[string]any{"source": again}, bearer(admin)).ok(t, 200, &v2)

	var got templateAnswer
	api.do(t, "GET", "/api/v1/notice-templates/en/host", nil, bearer(analyst)).ok(t, 200, &got)
	assert.False(t, got.Template.Default)
	assert.Equal(t, "hotline-3", got.Template.Version)
	require.Len(t, got.Versions, 2)
	assert.Equal(t, v2.ID, got.Versions[0].ID, "newest first")
	assert.False(t, got.Versions[1].Active)

	var back undox.NoticeTemplateVersion
	api.do(t, "POST", "/api/v1/notice-template-versions/"+strconv.FormatInt(v1.ID, 10)+"/activate", nil, bearer(admin)).ok(t, 200, &back)
	assert.True(t, back.Active)
	api.do(t, "GET", "/api/v1/notice-templates/en/host", nil, bearer(analyst)).ok(t, 200, &got)
	assert.Equal(t, "hotline-2", got.Template.Version)
	api.do(t, "POST", "/api/v1/notice-template-versions/999999/activate", nil, bearer(admin)).problem(t, 404, undox.ENOTFOUND)

	api.do(t, "DELETE", "/api/v1/notice-templates/en/host", nil, bearer(admin)).ok(t, 200, &got)
	assert.True(t, got.Template.Default)
	assert.Equal(t, "default-1", got.Template.Version)
	assert.Len(t, got.Versions, 2, "the versions stay")
}

// walkDossiers is the dossiers' and the staff timeline's part of
// TestOpenAPIWalk (the ladder that generates dossiers is tested in
// package takedown): an item without dossiers, unknown dossiers, a case's
// timeline.
func walkDossiers(t *testing.T, e *env, analyst, auditor string, itemID int64, ref string) {
	api := e.api
	var ds struct {
		Dossiers []undox.Dossier `json:"dossiers"`
	}
	api.do(t, "GET", "/api/v1/items/"+strconv.FormatInt(itemID, 10)+"/dossiers", nil, bearer(auditor)).ok(t, 200, &ds)
	assert.Empty(t, ds.Dossiers)
	api.do(t, "GET", "/api/v1/items/99999999/dossiers", nil, bearer(auditor)).problem(t, 404, undox.ENOTFOUND)
	api.do(t, "GET", "/api/v1/dossiers/99999999/bundle", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
	// The bundle holds the unblurred captures: not for an auditor, who may
	// not reveal them.
	p := api.do(t, "GET", "/api/v1/dossiers/99999999/bundle", nil, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
	assert.Contains(t, p.Detail, "evidence:reveal")
	api.do(t, "POST", "/api/v1/dossiers/99999999/approve", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
	api.do(t, "POST", "/api/v1/dossiers/99999999/sent", map[string]any{"reference": "ACM-1"}, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
	api.do(t, "POST", "/api/v1/dossiers/99999999/sent", map[string]any{"reference": "ACM-1"}, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
	var tl struct {
		Timeline []undox.TimelineEntry `json:"timeline"`
	}
	api.do(t, "GET", "/api/v1/cases/"+ref+"/timeline", nil, bearer(auditor)).ok(t, 200, &tl)
	api.do(t, "GET", "/api/v1/cases/UDX-0000-0000-0000/timeline", nil, bearer(auditor)).problem(t, 404, undox.ENOTFOUND)
}
