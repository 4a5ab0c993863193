package takedown

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/notice"
)

// Notices are rendered from the template an admin made active, and from
// the shipped one again after going back to it; each notice records the
// version it came from.
func TestEditedTemplate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		blobs, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)
		it := f.captured(t, blobs, undox.Report{URLs: []string{"https://dox.example/p/template"}}, ladderAnswer)
		_, n, err := f.store.ConfirmItem(f.ctx, analyst, it.id, "doxes a home address")
		require.NoError(t, err)
		require.NotNil(t, n)
		lang := n.Language
		_, err = f.stack.Log.Integrate(f.ctx, 0)
		require.NoError(t, err)

		rendered, _, err := f.svc.Preview(f.ctx, it.id)
		require.NoError(t, err)
		require.Equal(t, "default-1", rendered.TemplateVersion)

		src, err := notice.DefaultSource(lang, "host")
		require.NoError(t, err)
		greeting := map[string]string{"en": "Dear abuse team", "nl": "Geacht abuseteam"}[lang]
		require.Contains(t, string(src), greeting)
		edited := strings.Replace(strings.Replace(string(src), "Version: default-1", "Version: hotline-2", 1), greeting, "Hello colleagues", 1)
		tpl, err := notice.ParseTemplate(lang, "host", []byte(edited))
		require.NoError(t, err)
		admin := undox.Actor{Kind: "token", TokenID: 9, Name: "adm", Role: undox.RoleAdmin}
		_, err = f.store.SaveNoticeTemplate(f.ctx, analyst, undox.NoticeTemplateVersion{Language: lang, Name: "host", Version: tpl.Version, Digest: tpl.Digest, Source: tpl.Source})
		require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err), "only admins edit templates")
		_, err = f.store.SaveNoticeTemplate(f.ctx, admin, undox.NoticeTemplateVersion{Language: lang, Name: "host", Version: tpl.Version, Digest: tpl.Digest, Source: tpl.Source})
		require.NoError(t, err)

		rendered, _, err = f.svc.Preview(f.ctx, it.id)
		require.NoError(t, err)
		require.Equal(t, "hotline-2", rendered.TemplateVersion)
		require.Equal(t, tpl.Digest, rendered.TemplateDigest)
		require.Contains(t, rendered.Text, "Hello colleagues")

		require.NoError(t, f.store.RevertNoticeTemplate(f.ctx, admin, lang, "host"))
		rendered, _, err = f.svc.Preview(f.ctx, it.id)
		require.NoError(t, err)
		require.Equal(t, "default-1", rendered.TemplateVersion)
		require.Contains(t, rendered.Text, greeting)

		entries, err := f.store.AuditEntries(f.ctx, "notice_template", lang+"/host")
		require.NoError(t, err)
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		require.Equal(t, []string{"notice_template.save", "notice_template.revert"}, actions)
	})
}
