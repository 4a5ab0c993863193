package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/notice"
	"github.com/undox/undox/policy"
)

// The admin pages and the dashboard build some keys from what they show (a
// category's code, a ladder step's target, …): every one that can occur
// has its Dutch and English text. TestMessagesHaveDutchAndEnglish checks
// the keys written out whole.
func TestAdminMessagesCoverTheDomain(t *testing.T) {
	var keys []string
	add := func(prefix string, names ...string) {
		for _, n := range names {
			keys = append(keys, prefix+n)
		}
	}
	for _, c := range undox.Categories() {
		add("admin_cat_", c.Code)
		if c.Authority != "" {
			add("admin_authority_", c.Authority)
		}
	}
	add("admin_pause_", policy.PauseWeekend, policy.PauseHoliday)
	add("admin_day_", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
	add("admin_action_", policy.ActionNotice, policy.ActionReminder, policy.ActionDossier, policy.ActionDelisting)
	add("admin_target_", policy.TargetHost, undox.RolePlatform, undox.RoleCDN, undox.RoleUpstream, undox.RoleRegistrar,
		undox.RoleRegistry, policy.TargetRegulator, policy.TargetPolice, policy.TargetSearchEngines)
	add("admin_scope_", string(undox.ScopeDomain), string(undox.ScopeNetwork), string(undox.ScopeASN), string(undox.ScopeOrg))
	add("admin_recipient_", undox.RecipientRoles()...)
	add("admin_contact_lang_", "any", "nl", "en")
	add("admin_contact_err_", contactFields...)
	add("admin_change_", "created", "updated", "removed")
	add("admin_case_", string(undox.CaseOpen), string(undox.CaseClosed), string(undox.CaseWithdrawn), string(undox.CaseErased))
	add("admin_nt_name_", notice.TemplateNames()...)
	add("admin_nt_lang_", notice.Languages()...)
	for _, sec := range adminSections {
		add("admin_nav_", sec.key)
	}
	for _, r := range staffRoles {
		add("login_role_", string(r))
	}
	for _, st := range undox.OpenStates() {
		add("stats_state_", string(st))
	}
	// What a form did: seeOther(w, r, path, "done").
	done := regexp.MustCompile(`seeOther\(w, r, [^\n]*, "([a-z_]+)"\)`)
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, m := range done.FindAllStringSubmatch(string(b), -1) {
			add("admin_done_", m[1])
			found++
		}
	}
	require.GreaterOrEqual(t, found, 9, "the scan finds the forms' redirects")

	// Every ladder target the default policy uses is among those above.
	pol := policy.Default()
	for _, c := range append([]string{"*"}, keys...) {
		code, ok := strings.CutPrefix(c, "admin_cat_")
		if c != "*" && !ok {
			continue
		}
		if c == "*" {
			code = "*"
		}
		for _, minor := range []bool{false, true} {
			for _, st := range pol.For(code, minor).Ladder() {
				require.Contains(t, keys, "admin_target_"+st.Target, "%s: ladder step %s", code, st.Name)
				require.Contains(t, keys, "admin_action_"+st.Action, "%s: ladder step %s", code, st.Name)
			}
		}
	}
	for _, k := range keys {
		v, ok := messages[k]
		require.True(t, ok, "%s is missing from the catalog", k)
		require.NotEmpty(t, v[0], k)
		require.NotEmpty(t, v[1], k)
	}
}
