package web

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
)

// TestRespondLanguage: the provider's page speaks the language the
// browser asks for, else the notice's, else English; ?lang and the
// posted form's lang switch it.
func TestRespondLanguage(t *testing.T) {
	for _, c := range []struct {
		query, accept, notice, want string
	}{
		{"", "", "", "en"},
		{"", "", "nl", "nl"},
		{"", "de-DE,de;q=0.9", "nl", "nl"},
		{"", "de-DE,de;q=0.9", "", "en"},
		{"", "nl-BE,nl;q=0.9,en;q=0.5", "en", "nl"},
		{"", "fr;q=1, en;q=0.3, nl;q=0.7", "", "nl"},
		{"", "en-GB", "nl", "en"},
		{"", "nl;q=0", "en", "en"},
		{"lang=nl", "en", "en", "nl"},
		{"lang=xx", "", "nl", "nl"},
	} {
		r := httptest.NewRequest("GET", "/respond/x?"+c.query, nil)
		r.Header.Set("Accept-Language", c.accept)
		require.Equal(t, c.want, respondLanguage(r, c.notice), "%+v", c)
	}
	r := httptest.NewRequest("POST", "/respond/x", strings.NewReader(url.Values{"lang": {"nl"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept-Language", "en")
	require.NoError(t, r.ParseForm())
	require.Equal(t, "nl", respondLanguage(r, "en"), "the form's language wins over the browser's")
}

// TestRespondNames: every category, kind of answer and kind of personal
// data the page names has its Dutch and English text (the page builds
// these keys, so the catalog test cannot find them in the templates).
func TestRespondNames(t *testing.T) {
	has := func(key string) {
		t.Helper()
		v, ok := messages[key]
		require.True(t, ok, "%s is missing from messages", key)
		require.NotEmpty(t, strings.TrimSpace(v[0]), "%s has no Dutch text", key)
		require.NotEmpty(t, strings.TrimSpace(v[1]), "%s has no English text", key)
	}
	for _, c := range undox.Categories() {
		has("respond_cat_" + c.Code)
	}
	has("respond_cat_" + undox.CategoryUnassessed)
	for _, k := range []string{undox.ResponseRemoved, undox.ResponseWillRemove, undox.ResponseDisputed, undox.ResponseNotOurCustomer,
		undox.ResponseReply, undox.ResponseBounce, undox.ResponseAutoReply} {
		has("respond_kind_" + k)
	}
	inOrder := map[string]bool{}
	for _, g := range respondPDOrder {
		has("respond_pd_" + g)
		inOrder[g] = true
	}
	for k, g := range respondPDGroups {
		require.True(t, inOrder[g], "the group %s of %s is listed", g, k)
	}
	for _, key := range respondFields {
		has(key)
	}

	// Kinds of a scan, named once per group in the page's order; values
	// never (the summary has counts only).
	en, nl := tr("en"), tr("nl")
	require.Equal(t, []string{"home address", "phone number", "ID number (citizen service number or ID document)", "other personal data"},
		exposedKinds(en, map[string]int{"phone": 2, "postcode": 1, "address": 1, "bsn": 1, "new_kind": 1, "iban": 0}, undox.CategoryDoxing))
	require.Equal(t, []string{"intiem beeldmateriaal"}, exposedKinds(nl, nil, undox.CategoryIntimateImages))
	require.Empty(t, exposedKinds(en, map[string]int{}, undox.CategoryThreat))
}
