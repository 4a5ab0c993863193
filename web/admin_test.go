package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/notice"
	"github.com/undox/undox/policy"
	"github.com/undox/undox/staff"
	"github.com/undox/undox/web"
)

// Synthetic data only: accounts at hotline.example, reserved domains and
// documentation addresses and AS numbers.

// loggedIn is a browser logged in as a.
func (s *staffSite) loggedIn(a *staffAccount) *browser {
	s.t.Helper()
	b := s.browser()
	r := b.login(a, s.code(a), "lang", "en")
	require.Equal(s.t, http.StatusSeeOther, r.status, r.body)
	s.clock.Advance(staff.Period) // the next login takes the next code
	return b
}

// post sends a form of this site, in English.
func (b *browser) post(path string, kv ...string) answer {
	b.s.t.Helper()
	form := url.Values{"lang": {"en"}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Add(kv[i], kv[i+1])
	}
	return b.do("POST", path, form)
}

// requireDone requires the redirect that a form's success answers with.
func requireDone(t *testing.T, a answer, path, done string) {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, a.status, a.body)
	require.Equal(t, path+"?done="+done, a.header.Get("Location"))
}

// The admin pages are for admins (the erasure queue for every role that may
// erase cases): every other role gets a plain 403, for reading and for
// posting, and changes nothing.
func TestAdminPagesForbidden(t *testing.T) {
	s := newStaffSite(t, nil)
	root := s.account("root@hotline.example", "Root", undox.RoleAdmin)
	pages := []string{"/admin", "/admin/users", "/admin/policy", "/admin/categories", "/admin/contacts", "/admin/contacts/1",
		"/admin/erasure", "/admin/templates", "/admin/templates/en/host"}
	posts := []string{"/admin/users", "/admin/users/1/role", "/admin/users/1/disable", "/admin/users/1/reset", "/admin/users/1/enable", "/admin/contacts", "/admin/contacts/1",
		"/admin/contacts/1/delete", "/admin/erasure/1/erase", "/admin/templates/en/host", "/admin/templates/en/host/activate",
		"/admin/templates/en/host/default"}
	for _, role := range []undox.Role{undox.RoleAnalyst, undox.RoleSupervisor, undox.RoleAuditor} {
		b := s.loggedIn(s.account(string(role)+"@hotline.example", string(role), role))
		for _, p := range pages {
			want := http.StatusForbidden
			if p == "/admin/erasure" && role == undox.RoleSupervisor {
				want = http.StatusOK
			}
			r := b.do("GET", p+"?lang=en", nil)
			require.Equal(t, want, r.status, "%s %s", role, p)
			if want == http.StatusForbidden {
				require.Contains(t, r.body, "No access", "%s %s", role, p)
			}
		}
		for _, p := range posts {
			if p == "/admin/erasure/1/erase" && role == undox.RoleSupervisor {
				continue
			}
			r := b.post(p, "role", "admin", "confirm", "yes", "email", "x@hotline.example", "name", "X")
			require.Equal(t, http.StatusForbidden, r.status, "%s POST %s", role, p)
		}
	}
	users, err := s.e.store.Users(s.e.ctx, cli)
	require.NoError(t, err)
	require.Len(t, users, 4, "no account was added")
	require.Equal(t, undox.RoleAdmin, users[0].Role)
	require.False(t, users[0].Disabled())
	_, cred, err := s.e.store.UserCredentials(s.e.ctx, root.Email)
	require.NoError(t, err)
	require.Equal(t, root.Secret, cred.TOTPSecret, "root's credentials were not reset")

	// A supervisor sees only the erasure queue in the admin nav.
	sup := s.browser()
	supAcc := s.account("sup2@hotline.example", "Sup", undox.RoleSupervisor)
	require.Equal(t, http.StatusSeeOther, sup.login(supAcc, s.code(supAcc)).status)
	er := sup.do("GET", "/admin/erasure?lang=en", nil)
	require.Contains(t, er.body, `<a href="/admin/erasure" aria-current="page">Erasure requests</a>`)
	require.NotContains(t, er.body, `href="/admin/users"`)
	// and finds it from every staff page.
	q := sup.do("GET", "/queue?lang=en", nil)
	require.Contains(t, q.body, `<li><a href="/admin/erasure">Erasure requests</a></li>`)
	require.NotContains(t, q.body, `<a href="/admin">`)

	// Without a session: to the login; from another site: refused.
	requireLoginPage(t, s.browser().do("GET", "/admin/policy", nil), "/admin/policy")
	b := s.loggedIn(root)
	r := b.do("POST", "/admin/users", url.Values{"email": {"evil@hotline.example"}, "name": {"Evil"}, "role": {"admin"}},
		"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, r.status)
	users, err = s.e.store.Users(s.e.ctx, cli)
	require.NoError(t, err)
	require.Len(t, users, 5)
}

var (
	secretCode = regexp.MustCompile(`<code class="secret">([^<]*)</code>`)
	otpauthURI = regexp.MustCompile(`otpauth://totp/[^<"\s]+`)
)

// An admin adds an account and sees its password and enrolment once; the
// new user logs in with them. Roles change and take effect at once;
// accounts are disabled; an admin can neither disable nor demote
// themself, so the last admin stays. Every change is audited by name.
func TestAdminUsers(t *testing.T) {
	s := newStaffSite(t, nil)
	root := s.account("root@hotline.example", "Root", undox.RoleAdmin)
	b := s.loggedIn(root)

	page := b.do("GET", "/admin/users?lang=en", nil)
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, "<h1>Staff</h1>")
	require.Contains(t, page.body, `<a href="/admin/users" aria-current="page">Staff</a>`)
	require.Contains(t, page.body, "<td>Root</td><td>root@hotline.example</td><td>admin</td><td>Active</td>")
	require.Contains(t, page.body, "This is you")
	require.Contains(t, b.do("GET", "/admin?lang=en", nil).body, `<a href="/admin/users" aria-current="page">Staff</a>`, "/admin is the staff page")

	// Add an account.
	r := b.post("/admin/users", "email", "nina@hotline.example", "name", "Nina <b>", "role", "analyst")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, "Account created for Nina &lt;b&gt;")
	require.Contains(t, r.body, "You see this password and this secret only now.")
	secrets := secretCode.FindAllStringSubmatch(r.body, -1)
	require.Len(t, secrets, 3, "password, enrolment URI, secret")
	password := secrets[0][1]
	uri := html.UnescapeString(secrets[1][1])
	require.Regexp(t, `^otpauth://totp/undox:nina@hotline\.example\?secret=[A-Z2-7]+&issuer=undox`, uri)
	u, err := url.Parse(uri)
	require.NoError(t, err)
	secret := u.Query().Get("secret")
	require.Equal(t, secret, secrets[2][1])
	require.Contains(t, r.body, `<svg class="qr"`, "the QR code, inline")
	require.Contains(t, r.body, `aria-label="QR code with the enrolment for the authenticator app"`)
	require.NoError(t, staff.CheckPassword(password))
	require.Contains(t, r.body, "<td>Nina &lt;b&gt;</td><td>nina@hotline.example</td><td>analyst</td><td>Active</td>")
	// Shown once: the page does not show it again.
	again := b.do("GET", "/admin/users?lang=en", nil)
	require.NotContains(t, again.body, password)
	require.NotContains(t, again.body, secret)
	require.Empty(t, otpauthURI.FindString(again.body))

	// The new user logs in with the password and the app's code.
	nina := &staffAccount{Email: "nina@hotline.example", Password: password, Secret: secret}
	nb := s.loggedIn(nina)
	q := nb.do("GET", "/queue?lang=en", nil)
	require.Equal(t, http.StatusOK, q.status)
	require.Contains(t, q.body, "Nina &lt;b&gt;")
	require.Equal(t, http.StatusForbidden, nb.do("GET", "/admin", nil).status)

	// Mistakes are shown beside the fields, with what was typed.
	r = b.post("/admin/users", "email", "Nina@Hotline.example", "name", "Nina Two", "role", "auditor")
	require.Equal(t, http.StatusConflict, r.status)
	require.Contains(t, r.body, `<p class="error" id="email-err">An account with this e-mail address exists.</p>`)
	require.Contains(t, r.body, `value="Nina@Hotline.example"`)
	require.Contains(t, r.body, `value="Nina Two"`)
	require.Contains(t, r.body, `<option value="auditor" selected>auditor</option>`)
	r = b.post("/admin/users", "email", "not an address", "name", "Kept", "role", "partner")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Enter a valid e-mail address.")
	require.Contains(t, r.body, "Choose a role: analyst, supervisor, admin or auditor.")
	require.Contains(t, r.body, `value="Kept"`)
	require.NotContains(t, r.body, "otpauth://")
	users, err := s.e.store.Users(s.e.ctx, cli)
	require.NoError(t, err)
	require.Len(t, users, 2)
	ninaID := strconv.FormatInt(users[1].ID, 10)
	rootID := strconv.FormatInt(root.User.ID, 10)

	// A role change takes effect at Nina's next page.
	requireDone(t, b.post("/admin/users/"+ninaID+"/role", "role", "admin"), "/admin/users", "role")
	require.Contains(t, b.do("GET", "/admin/users?lang=en&done=role", nil).body, "The role was changed.")
	require.Equal(t, http.StatusOK, nb.do("GET", "/admin", nil).status, "Nina is an admin now")
	requireDone(t, b.post("/admin/users/"+ninaID+"/role", "role", "auditor"), "/admin/users", "role")
	require.Equal(t, http.StatusForbidden, nb.do("GET", "/admin", nil).status)
	r = b.post("/admin/users/"+ninaID+"/role", "role", "partner")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Equal(t, http.StatusNotFound, b.post("/admin/users/999/role", "role", "analyst").status)

	// Root is the last admin: it can neither disable nor demote itself.
	r = b.post("/admin/users/"+rootID+"/disable", "confirm", "yes")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "You cannot disable your own account; ask another admin.")
	r = b.post("/admin/users/"+rootID+"/role", "role", "analyst")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "You cannot change your own role; ask another admin.")
	require.NotContains(t, r.body, `action="/admin/users/`+rootID+`/disable"`, "no forms for oneself")
	users, err = s.e.store.Users(s.e.ctx, cli)
	require.NoError(t, err)
	require.Equal(t, undox.RoleAdmin, users[0].Role)
	require.False(t, users[0].Disabled())
	require.Equal(t, http.StatusOK, b.do("GET", "/admin", nil).status)

	// Disabling asks for a confirmation and ends Nina's sessions.
	r = b.post("/admin/users/" + ninaID + "/disable")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Tick the box to confirm.")
	require.Equal(t, http.StatusOK, nb.do("GET", "/queue", nil).status)
	requireDone(t, b.post("/admin/users/"+ninaID+"/disable", "confirm", "yes"), "/admin/users", "disabled")
	requireLoginPage(t, nb.do("GET", "/queue", nil), "/queue")
	r = b.do("GET", "/admin/users?lang=en", nil)
	require.Contains(t, r.body, "<td>Nina &lt;b&gt;</td><td>nina@hotline.example</td><td>auditor</td><td>Disabled</td>")
	require.NotContains(t, r.body, `action="/admin/users/`+ninaID+`/role"`, "nothing more to do for a disabled account")

	// The audit log names who did what.
	entries, err := s.e.store.AuditEntries(s.e.ctx, "user", ninaID)
	require.NoError(t, err)
	var actions []string
	for _, e := range entries {
		if e.Action == "user.create" || e.Action == "user.role" || e.Action == "user.disable" {
			require.Equal(t, "user:"+rootID+":Root", e.Actor, e.Action)
			actions = append(actions, e.Action+" "+e.Detail)
		}
	}
	require.Equal(t, []string{"user.create role=analyst totp=true", "user.role from=analyst to=admin",
		"user.role from=admin to=auditor", "user.disable sessions_revoked=1"}, actions)

	// In Dutch.
	nl := b.do("GET", "/admin/users?lang=nl", nil)
	require.Contains(t, nl.body, "<h1>Medewerkers</h1>")
	require.Contains(t, nl.body, "<td>beheerder</td><td>Actief</td>")
}

// shownCredentials reads the password and TOTP secret that an admin page
// shows once, and checks that the enrolment URI and the QR code come with
// them.
func shownCredentials(t *testing.T, body, email string) (password, secret string) {
	t.Helper()
	require.Contains(t, body, "You see this password and this secret only now.")
	secrets := secretCode.FindAllStringSubmatch(body, -1)
	require.Len(t, secrets, 3, "password, enrolment URI, secret")
	uri := html.UnescapeString(secrets[1][1])
	require.Regexp(t, `^otpauth://totp/undox:`+regexp.QuoteMeta(email)+`\?secret=[A-Z2-7]+&issuer=undox`, uri)
	u, err := url.Parse(uri)
	require.NoError(t, err)
	require.Equal(t, u.Query().Get("secret"), secrets[2][1])
	require.Contains(t, body, `<svg class="qr"`, "the QR code, inline")
	require.NoError(t, staff.CheckPassword(secrets[0][1]))
	return secrets[0][1], secrets[2][1]
}

// Nina forgot her password and lost her phone: an admin resets both, sees
// the new ones once and hands them over; the old ones stop working at
// once, her session ends, and the failed logins that locked her out do not
// keep her out. An admin may reset their own account, after ticking a box
// that says it logs them out. A disabled account is enabled again and logs
// in as before.
// The staff page lists the API tokens: name, role, the account each was
// made for, since when, and whether it was revoked; never a secret.
func TestAdminTokens(t *testing.T) {
	s := newStaffSite(t, nil)
	root := s.account("root@hotline.example", "Root", undox.RoleAdmin)
	b := s.loggedIn(root)
	require.Contains(t, b.do("GET", "/admin/users?lang=en", nil).body, "There are no API tokens yet.")

	laptop := s.e.tokenOfUser(t, "root's laptop", undox.RoleAdmin, root.User.ID)
	partner := s.e.token(t, "partner <a>", undox.RolePartner)
	id, err := strconv.ParseInt(tokenIDOf(t, s.e, partner), 10, 64)
	require.NoError(t, err)
	_, err = s.e.store.RevokeToken(s.e.ctx, undox.System, id)
	require.NoError(t, err)

	page := b.do("GET", "/admin/users?lang=en", nil)
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, "<h2 id=\"tokens-h\">API tokens</h2>")
	require.Regexp(t, `<td>\d+</td><td>root&#39;s laptop</td><td>admin</td><td>root@hotline.example</td><td>[^<]+</td><td>active</td>`, page.body)
	require.Regexp(t, `<td>\d+</td><td>partner &lt;a&gt;</td><td>partner</td><td></td><td>[^<]+</td><td>revoked on [^<]+</td>`, page.body)
	require.Contains(t, page.body, "undox token revoke ID")
	require.NotContains(t, page.body, laptop)
	require.NotContains(t, page.body, partner)
	nl := b.do("GET", "/admin/users?lang=nl", nil).body
	require.Contains(t, nl, "API-sleutels")
	require.Contains(t, nl, "ingetrokken op")
}

func TestAdminResetAndEnable(t *testing.T) {
	s := newStaffSite(t, nil)
	root := s.account("root@hotline.example", "Root", undox.RoleAdmin)
	nina := s.account("nina@hotline.example", "Nina", undox.RoleAnalyst)
	b := s.loggedIn(root)
	nb := s.loggedIn(nina)
	ninaID := strconv.FormatInt(nina.User.ID, 10)
	rootID := strconv.FormatInt(root.User.ID, 10)

	page := b.do("GET", "/admin/users?lang=en", nil)
	require.Contains(t, page.body, `action="/admin/users/`+ninaID+`/reset"`)
	require.Contains(t, page.body, "Yes, Nina gets a new password and a new second factor")
	require.Contains(t, page.body, "Yes, I get a new password and a new second factor myself, and am logged out", "one's own, named as such")
	require.NotContains(t, page.body, `action="/admin/users/`+ninaID+`/enable"`, "Nina is enabled")

	// Nina forgot her password: her guesses lock her out.
	for i := range staff.DefaultPerAccountClient {
		r := s.browser().login(&staffAccount{Email: nina.Email, Password: "guess number " + strconv.Itoa(i)}, "123456")
		require.Equal(t, http.StatusUnauthorized, r.status)
	}
	require.Equal(t, http.StatusTooManyRequests, s.browser().login(nina, s.code(nina)).status)

	// Not without the box ticked, nor from another site.
	r := b.post("/admin/users/" + ninaID + "/reset")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Tick the box to confirm.")
	require.Empty(t, otpauthURI.FindString(r.body))
	r = b.do("POST", "/admin/users/"+ninaID+"/reset", url.Values{"confirm": {"yes"}, "lang": {"en"}},
		"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, r.status)
	require.Equal(t, http.StatusOK, nb.do("GET", "/queue", nil).status, "Nina's session lives on")
	_, cred, err := s.e.store.UserCredentials(s.e.ctx, nina.Email)
	require.NoError(t, err)
	require.Equal(t, nina.Secret, cred.TOTPSecret, "nothing was reset")

	r = b.post("/admin/users/"+ninaID+"/reset", "confirm", "yes")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, "New password and second factor for Nina")
	require.Contains(t, r.body, "Logs in with nina@hotline.example. The old password and the old codes no longer work")
	password, secret := shownCredentials(t, r.body, "nina@hotline.example")
	require.NotEqual(t, nina.Password, password)
	require.NotEqual(t, nina.Secret, secret)
	require.NotContains(t, r.body, "you are logged out", "not root's own account")
	again := b.do("GET", "/admin/users?lang=en", nil)
	require.NotContains(t, again.body, password, "shown once")
	require.NotContains(t, again.body, secret)
	require.Equal(t, http.StatusOK, again.status, "root's session lives on")

	// Her session has ended; the old password does not log in, nor the
	// new one with the old phone's code; the new ones do, at once.
	requireLoginPage(t, nb.do("GET", "/queue", nil), "/queue")
	require.Equal(t, http.StatusUnauthorized, s.browser().login(nina, s.code(nina)).status)
	require.Equal(t, http.StatusUnauthorized, s.browser().login(&staffAccount{Email: nina.Email, Password: password}, s.code(nina)).status)
	renewed := &staffAccount{Email: nina.Email, Password: password, Secret: secret}
	nb = s.loggedIn(renewed)
	require.Equal(t, http.StatusOK, nb.do("GET", "/queue", nil).status)

	// An analyst resets nobody, herself included.
	for _, id := range []string{rootID, ninaID} {
		require.Equal(t, http.StatusForbidden, nb.post("/admin/users/"+id+"/reset", "confirm", "yes").status)
	}
	_, cred, err = s.e.store.UserCredentials(s.e.ctx, nina.Email)
	require.NoError(t, err)
	require.Equal(t, secret, cred.TOTPSecret)
	require.Equal(t, http.StatusNotFound, b.post("/admin/users/999/reset", "confirm", "yes").status)

	// Disabled, Nina cannot log in; the row offers to enable her.
	requireDone(t, b.post("/admin/users/"+ninaID+"/disable", "confirm", "yes"), "/admin/users", "disabled")
	require.Equal(t, http.StatusUnauthorized, s.browser().login(renewed, s.code(renewed)).status)
	page = b.do("GET", "/admin/users?lang=en", nil)
	require.Contains(t, page.body, `action="/admin/users/`+ninaID+`/enable"`)
	require.Contains(t, page.body, ">Enable</button>")
	require.NotContains(t, page.body, `action="/admin/users/`+ninaID+`/role"`)
	require.Contains(t, b.do("GET", "/admin/users?lang=nl", nil).body, ">Inschakelen</button>")

	// Enabled (not from another site), she logs in as before.
	r = b.do("POST", "/admin/users/"+ninaID+"/enable", url.Values{"lang": {"en"}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, r.status)
	require.Equal(t, http.StatusUnauthorized, s.browser().login(renewed, s.code(renewed)).status, "still disabled")
	requireDone(t, b.post("/admin/users/"+ninaID+"/enable"), "/admin/users", "enabled")
	page = b.do("GET", "/admin/users?lang=en&done=enabled", nil)
	require.Contains(t, page.body, "The account was enabled again.")
	require.Contains(t, page.body, "<td>Nina</td><td>nina@hotline.example</td><td>analyst</td><td>Active</td>")
	require.Contains(t, page.body, `action="/admin/users/`+ninaID+`/role"`)
	nb = s.loggedIn(renewed)
	require.Equal(t, http.StatusOK, nb.do("GET", "/queue", nil).status)
	require.Equal(t, http.StatusNotFound, b.post("/admin/users/999/enable").status)

	// A disabled account may be reset before it is enabled: the page says
	// it stays disabled.
	requireDone(t, b.post("/admin/users/"+ninaID+"/disable", "confirm", "yes"), "/admin/users", "disabled")
	r = b.post("/admin/users/"+ninaID+"/reset", "confirm", "yes")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, "The account stays disabled until you enable it.")
	password2, secret2 := shownCredentials(t, r.body, "nina@hotline.example")
	require.Equal(t, http.StatusUnauthorized, s.browser().login(&staffAccount{Email: nina.Email, Password: password2, Secret: secret2}, s.code(&staffAccount{Secret: secret2})).status)

	// Root resets their own account: logged out here too, in with the new
	// ones.
	r = b.post("/admin/users/"+rootID+"/reset", "confirm", "yes")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, "This is your own account: you are logged out.")
	rootPassword, rootSecret := shownCredentials(t, r.body, "root@hotline.example")
	requireLoginPage(t, b.do("GET", "/admin/users", nil), "/admin/users")
	require.Equal(t, http.StatusUnauthorized, s.browser().login(root, s.code(root)).status)
	b = s.loggedIn(&staffAccount{Email: root.Email, Password: rootPassword, Secret: rootSecret})
	require.Equal(t, http.StatusOK, b.do("GET", "/admin/users", nil).status)

	// The audit log says who reset and enabled whom, and holds no
	// password or secret.
	entries, err := s.e.store.AuditEntries(s.e.ctx, "user", ninaID)
	require.NoError(t, err)
	var actions []string
	for _, e := range entries {
		if e.Action == "user.reset" || e.Action == "user.enable" {
			require.Equal(t, "user:"+rootID+":Root", e.Actor, e.Action)
			actions = append(actions, strings.TrimSpace(e.Action+" "+e.Detail))
		}
	}
	require.Equal(t, []string{"user.reset sessions_revoked=1", "user.enable", "user.reset sessions_revoked=0"}, actions)
	entries, err = s.e.store.AuditEntries(s.e.ctx, "user", rootID)
	require.NoError(t, err)
	actions = nil
	for _, e := range entries {
		if e.Action == "user.reset" {
			actions = append(actions, e.Actor+" "+e.Detail)
		}
	}
	require.Equal(t, []string{"user:" + rootID + ":Root sessions_revoked=1"}, actions)
	for _, id := range []string{ninaID, rootID} {
		entries, err := s.e.store.AuditEntries(s.e.ctx, "user", id)
		require.NoError(t, err)
		for _, e := range entries {
			for _, secretText := range []string{password, secret, password2, secret2, rootPassword, rootSecret} {
				require.NotContains(t, e.Detail, secretText)
			}
		}
	}
}

// The contact book: add (mistakes shown beside the fields, what was typed
// kept), search, change (a new version in its history), remove.
func TestAdminContacts(t *testing.T) {
	s := newStaffSite(t, nil)
	root := s.account("root@hotline.example", "Root", undox.RoleAdmin)
	b := s.loggedIn(root)

	empty := b.do("GET", "/admin/contacts?lang=en", nil)
	require.Equal(t, http.StatusOK, empty.status)
	require.Contains(t, empty.body, "The contact book is empty.")

	r := b.post("/admin/contacts", "scope", "asn", "key", "not-an-as", "role", "host", "name", "Hosting <B.V.>",
		"web_form", "ftp://hosting.example/abuse", "notes", "call first")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, `<p class="error" id="key-err">This key does not fit the choice above`)
	require.Contains(t, r.body, `<p class="error" id="web-err">Enter a web address starting with https:// or http://.</p>`)
	require.Contains(t, r.body, `value="not-an-as"`)
	require.Contains(t, r.body, `value="Hosting &lt;B.V.&gt;"`)
	require.Contains(t, r.body, `<option value="asn" selected>`)
	require.Contains(t, r.body, ">call first</textarea>")
	r = b.post("/admin/contacts", "scope", "asn", "key", "AS64500", "role", "host", "name", "Hosting B.V.")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Enter an e-mail address, a web form or an API.")

	r = b.post("/admin/contacts", "scope", "asn", "key", "AS64500", "role", "host", "name", "Hosting <B.V.>",
		"email", "abuse@hosting.example", "language", "nl", "country", "nl")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	loc := r.header.Get("Location")
	require.Regexp(t, `^/admin/contacts/\d+\?done=contact_added$`, loc)
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/admin/contacts/"), "?done=contact_added")
	r = b.post("/admin/contacts", "scope", "domain", "key", "Paste.Example", "role", "platform", "name", "Paste Example",
		"web_form", "https://paste.example/report", "platform", "yes")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	r = b.post("/admin/contacts", "scope", "asn", "key", "64500", "role", "host", "name", "Other", "email", "x@hosting.example")
	require.Equal(t, http.StatusConflict, r.status)
	require.Contains(t, r.body, "already has a contact with this key and role")

	list := b.do("GET", "/admin/contacts?lang=en", nil)
	require.Contains(t, list.body, `<a href="/admin/contacts/`+id+`">Hosting &lt;B.V.&gt;</a>`)
	require.Contains(t, list.body, "<code>64500</code>")
	require.Contains(t, list.body, "<code>paste.example</code>")
	found := b.do("GET", "/admin/contacts?lang=en&q=PASTE", nil)
	require.Contains(t, found.body, "Paste Example")
	require.NotContains(t, found.body, "Hosting &lt;B.V.&gt;")
	require.Contains(t, b.do("GET", "/admin/contacts?lang=en&q=nothing-like-this", nil).body, "No contacts found.")

	one := b.do("GET", "/admin/contacts/"+id+"?lang=en&done=contact_added", nil)
	require.Equal(t, http.StatusOK, one.status)
	require.Contains(t, one.body, "The contact was added.")
	require.Contains(t, one.body, `value="abuse@hosting.example"`)
	require.Contains(t, one.body, `<option value="nl" selected>Dutch</option>`)
	require.Contains(t, one.body, `value="NL"`)

	// Change it: a new version, its history kept.
	requireDone(t, b.post("/admin/contacts/"+id, "scope", "asn", "key", "AS64500", "role", "host", "name", "Hosting B.V.",
		"email", "desk@hosting.example"), "/admin/contacts/"+id, "contact_saved")
	r = b.post("/admin/contacts/"+id, "scope", "asn", "key", "AS64500", "role", "host", "name", "", "email", "desk@hosting.example")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Enter the organisation&#39;s name")
	one = b.do("GET", "/admin/contacts/"+id+"?lang=en", nil)
	require.Contains(t, one.body, "<h1>Hosting B.V.</h1>")
	require.Contains(t, one.body, "Change (now version 2)")
	require.Contains(t, one.body, `<td>2</td><td>changed</td><td>user:`+strconv.FormatInt(root.User.ID, 10)+`:Root</td>`)
	require.Contains(t, one.body, `<td>1</td><td>created</td>`)
	cs, err := s.e.store.Contacts(s.e.ctx, cli)
	require.NoError(t, err)
	require.Len(t, cs, 2)

	// Remove it, confirmed.
	r = b.post("/admin/contacts/" + id + "/delete")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Tick the box to confirm.")
	requireDone(t, b.post("/admin/contacts/"+id+"/delete", "confirm", "yes"), "/admin/contacts", "contact_removed")
	list = b.do("GET", "/admin/contacts?lang=en&done=contact_removed", nil)
	require.Contains(t, list.body, "The contact was removed.")
	require.NotContains(t, list.body, "Hosting B.V.")
	require.Equal(t, http.StatusNotFound, b.do("GET", "/admin/contacts/"+id, nil).status)
	require.Equal(t, http.StatusNotFound, b.do("GET", "/admin/contacts/x", nil).status)
	cs, err = s.e.store.Contacts(s.e.ctx, cli)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	hist, err := s.e.store.ContactHistory(s.e.ctx, cli, cs[0].ID)
	require.NoError(t, err)
	require.Equal(t, "user:"+strconv.FormatInt(root.User.ID, 10)+":Root", hist[0].Actor)
}

// The erasure queue: requests by deadline, overdue ones marked, and "erase
// now" erases the case as the API's done does.
func TestAdminErasure(t *testing.T) {
	s := newStaffSite(t, nil)
	root := s.account("root@hotline.example", "Root", undox.RoleAdmin)
	var refs []string
	for _, u := range []string{"https://dox.example/one", "https://dox.example/two"} {
		var rc struct {
			Case string `json:"case"`
		}
		s.e.api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{u}, "category": "doxing"}).ok(t, 201, &rc)
		_, created, err := s.e.store.RequestErasure(s.e.ctx, undox.Actor{Kind: "public", Name: "reporter"}, rc.Case)
		require.NoError(t, err)
		require.True(t, created)
		refs = append(refs, rc.Case)
		s.clock.Advance(24 * time.Hour)
	}
	b := s.loggedIn(root)
	page := b.do("GET", "/admin/erasure?lang=en", nil)
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, `<a href="/cases/`+refs[0]+`"><code>`+refs[0]+`</code></a>`, "a link to the case")
	require.Less(t, strings.Index(page.body, refs[0]), strings.Index(page.body, refs[1]), "the nearest deadline first")
	require.NotContains(t, page.body, "overdue")

	// A month later the first is overdue, the second not yet.
	s.clock.Advance(29*24*time.Hour + 12*time.Hour)
	b = s.loggedIn(root)
	page = b.do("GET", "/admin/erasure?lang=en", nil)
	require.Contains(t, page.body, "Requests past their deadline: 1.")
	require.Equal(t, 1, strings.Count(page.body, `<span class="tag alert">overdue</span>`))

	list, err := s.e.store.ErasureRequests(s.e.ctx, cli, undox.ErasureFilter{Status: undox.ErasurePending})
	require.NoError(t, err)
	require.Len(t, list, 2)
	var first int64
	for _, e := range list {
		if e.CaseRef == refs[0] {
			first = e.ID
		}
	}
	path := "/admin/erasure/" + strconv.FormatInt(first, 10) + "/erase"
	r := b.post(path)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "Tick the box to confirm.")
	requireDone(t, b.post(path, "confirm", "yes"), "/admin/erasure", "erased")
	c, err := s.e.store.Case(s.e.ctx, undox.System, refs[0])
	require.NoError(t, err)
	require.Equal(t, undox.CaseErased, c.Status)
	c, err = s.e.store.Case(s.e.ctx, undox.System, refs[1])
	require.NoError(t, err)
	require.Equal(t, undox.CaseOpen, c.Status, "only that one")

	page = b.do("GET", "/admin/erasure?lang=en&done=erased", nil)
	require.Contains(t, page.body, "The case was erased and the request is done.")
	require.NotContains(t, page.body, "Requests past their deadline")
	done := page.body[strings.Index(page.body, `id="done-h"`):]
	require.Contains(t, done, `<a href="/cases/`+refs[0]+`"><code>`+refs[0]+`</code></a>`)
	require.Contains(t, b.do("GET", "/admin/erasure?lang=nl", nil).body, `<th scope="col">Zaak</th>`, "a case, not a melding")
	erased := b.do("GET", "/cases/"+refs[0]+"?lang=nl", nil)
	require.Equal(t, http.StatusOK, erased.status, erased.body)
	require.Contains(t, erased.body, "<dt>Wil berichten per e-mail</dt><dd>gewist met de zaak</dd>")
	open := b.do("GET", "/cases/"+refs[1]+"?lang=nl", nil)
	require.Contains(t, open.body, "<dt>Wil berichten per e-mail</dt><dd>nee</dd>", "the case not erased says what the reporter chose")
	entries, err := s.e.store.AuditEntries(s.e.ctx, "case", refs[0])
	require.NoError(t, err)
	var by []string
	for _, e := range entries {
		if e.Action == "case.erasure.done" {
			by = append(by, e.Actor)
		}
	}
	require.Equal(t, []string{"user:" + strconv.FormatInt(root.User.ID, 10) + ":Root"}, by)
	// Erasing again is no error: it is done.
	requireDone(t, b.post(path, "confirm", "yes"), "/admin/erasure", "erased")
	require.Equal(t, http.StatusNotFound, b.post("/admin/erasure/999999/erase", "confirm", "yes").status)
}

// The policy in force and the categories, read-only, in both languages.
func TestAdminPolicyAndCategories(t *testing.T) {
	s := newStaffSite(t, nil)
	root := s.account("root@hotline.example", "Root", undox.RoleAdmin)
	b := s.loggedIn(root)

	p := b.do("GET", "/admin/policy?lang=en", nil)
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, "<h1>Takedown policy</h1>")
	require.Contains(t, p.body, "undox&#39;s default policy")
	require.Contains(t, p.body, policy.Default().Digest())
	require.Contains(t, p.body, "<dd>Europe/Amsterdam</dd>")
	require.Contains(t, p.body, "<dd>Saturday, Sunday</dd>")
	require.Contains(t, p.body, `<tr><th scope="row">Any other category</th><td>No</td><td>24 hours</td><td>weekend days, holidays</td><td>every 1 hour for 1 day; then every 6 hours</td><td>every 1 day for 30 days</td>`)
	require.Contains(t, p.body, "<li><strong>notice</strong>: notice to the host (or the platform itself), at once</li>")
	require.Contains(t, p.body, "<li><strong>reminder</strong>: reminder to the host (or the platform itself), when the deadline has passed <span class=\"tag\">automatic</span></li>")
	require.Contains(t, p.body, "<li><strong>police</strong>: dossier to the police and prosecutor, after 1 day (pausing on weekend days, holidays) <span class=\"tag\">four eyes</span></li>")
	require.Contains(t, p.body, "Referral only (handled as Child sexual abuse material)")
	require.Contains(t, p.body, "undox policy check policy.toml")
	require.Contains(t, p.body, "UNDOX_POLICY")
	nl := b.do("GET", "/admin/policy?lang=nl", nil)
	require.Contains(t, nl.body, "<h1>Verwijderbeleid</h1>")
	require.Contains(t, nl.body, "<td>24 uur</td>")
	require.Contains(t, nl.body, "elke 1 uur, gedurende 1 dag; daarna elke 6 uur")

	c := b.do("GET", "/admin/categories?lang=en", nil)
	require.Equal(t, http.StatusOK, c.status)
	require.Contains(t, c.body, `<tr><th scope="row">Doxing</th><td><code>doxing</code></td><td>art. 285d Wetboek van Strafrecht (doxing)</td><td>No</td></tr>`)
	require.Contains(t, c.body, `<tr><th scope="row">Child sexual abuse material</th><td><code>csam</code></td><td>art. 240b Wetboek van Strafrecht (kinderpornografie)</td><td>Yes, to the child abuse hotline; undox fetches nothing</td></tr>`)
	require.Contains(t, b.do("GET", "/admin/categories?lang=nl", nil).body, `<th scope="row">Kindermisbruikmateriaal</th>`)

	// A policy of one's own is shown as such.
	text := strings.Replace(string(policy.DefaultFile()), "deadline_hours = 24", "deadline_hours = 36", 1)
	own, err := policy.Parse([]byte(text))
	require.NoError(t, err)
	s2 := newStaffSite(t, func(c *web.Config) { c.Policy = own })
	root2 := s2.account("root@hotline.example", "Root", undox.RoleAdmin)
	p = s2.loggedIn(root2).do("GET", "/admin/policy?lang=en", nil)
	require.Contains(t, p.body, "A policy file of your own (--policy)")
	require.Contains(t, p.body, own.Digest())
	require.Contains(t, p.body, `<td>No</td><td>36 hours</td>`)
}

// Notice templates: an invalid edit is refused with its problems shown and
// the text kept; a valid one becomes the active version; an older version
// is activated again; and back to the default.
func TestAdminTemplates(t *testing.T) {
	s := newStaffSite(t, nil)
	root := s.account("root@hotline.example", "Root", undox.RoleAdmin)
	b := s.loggedIn(root)
	const path = "/admin/templates/en/host"

	list := b.do("GET", "/admin/templates?lang=en", nil)
	require.Equal(t, http.StatusOK, list.status)
	require.Contains(t, list.body, `<tr><th scope="row"><a href="/admin/templates/en/host">Host or platform</a></th><td>English</td><td><code>default-1</code></td><td>undox&#39;s default</td></tr>`)
	require.Contains(t, list.body, `<a href="/admin/templates/nl/registrar">Registrar</a></th><td>Dutch</td>`)

	def, err := notice.DefaultSource("en", "host")
	require.NoError(t, err)
	page := b.do("GET", path+"?lang=en", nil)
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, "<h1>Host or platform (English)</h1>")
	require.Contains(t, page.body, ">\n"+html.EscapeString(string(def))+"</textarea>", "the source, exactly")
	require.Contains(t, page.body, "No versions of your own yet")
	require.NotContains(t, page.body, `action="/admin/templates/en/host/default"`, "the default applies already")

	// Refused: the problems beside the text box, the text as typed.
	bad := strings.Replace(string(def), "Subject:", "Subjekt:", 1) + "\nTYPED <b>HERE</b>\n"
	r := b.post(path, "source", bad)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.body, "The template was not saved.")
	require.Contains(t, r.body, `<div class="problems" id="source-err">`)
	require.Contains(t, r.body, `unknown header &#34;Subjekt&#34;`)
	require.Contains(t, r.body, `aria-invalid="true"`)
	require.Contains(t, r.body, ">\n"+html.EscapeString(bad)+"</textarea>")
	versions, err := s.e.store.NoticeTemplateVersions(s.e.ctx, cli, "en", "host")
	require.NoError(t, err)
	require.Empty(t, versions)

	// Two valid edits: the latest applies.
	v2 := strings.Replace(string(def), "Version: default-1", "Version: hotline-2", 1)
	v3 := strings.Replace(string(def), "Version: default-1", "Version: hotline-3", 1)
	requireDone(t, b.post(path, "source", v2), path, "template_saved")
	requireDone(t, b.post(path, "source", v3), path, "template_saved")
	page = b.do("GET", path+"?lang=en&done=template_saved", nil)
	require.Contains(t, page.body, "The template was saved and applies to new notices now.")
	require.Contains(t, page.body, "<dd>edited</dd>")
	require.Contains(t, page.body, "<dd><code>hotline-3</code></dd>")
	require.Contains(t, b.do("GET", "/admin/templates?lang=en", nil).body, `<td><code>hotline-3</code></td><td><span class="tag">edited</span></td>`)
	versions, err = s.e.store.NoticeTemplateVersions(s.e.ctx, cli, "en", "host")
	require.NoError(t, err)
	require.Len(t, versions, 2)
	require.Equal(t, "hotline-3", versions[0].Version)
	require.True(t, versions[0].Active)
	old := strconv.FormatInt(versions[1].ID, 10)

	// An older version: shown, and activated again.
	view := b.do("GET", path+"?lang=en&version="+old, nil)
	require.Contains(t, view.body, "Version hotline-2 of ")
	require.Contains(t, view.body, `<pre class="source">`+"\n"+html.EscapeString(v2)+"</pre>")
	require.Equal(t, http.StatusNotFound, b.do("GET", path+"?version=999999", nil).status)
	requireDone(t, b.post(path+"/activate", "version", old), path, "template_activated")
	active, err := s.e.store.ActiveNoticeTemplates(s.e.ctx)
	require.NoError(t, err)
	require.Len(t, active, 1)
	require.Equal(t, "hotline-2", active[0].Version)
	require.Contains(t, b.do("GET", path+"?lang=en", nil).body, "<dd><code>hotline-2</code></dd>")
	// A version of another template is not this one's.
	requireDone(t, b.post("/admin/templates/nl/cdn", "source", mustDefault(t, "nl", "cdn")), "/admin/templates/nl/cdn", "template_saved")
	other, err := s.e.store.NoticeTemplateVersions(s.e.ctx, cli, "nl", "cdn")
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, b.post(path+"/activate", "version", strconv.FormatInt(other[0].ID, 10)).status)

	// Back to the default.
	requireDone(t, b.post(path+"/default"), path, "template_default")
	page = b.do("GET", path+"?lang=en", nil)
	require.Contains(t, page.body, "<dd>undox&#39;s default</dd>")
	require.Contains(t, page.body, "<dd><code>default-1</code></dd>")
	require.Contains(t, page.body, ">\n"+html.EscapeString(string(def))+"</textarea>")
	active, err = s.e.store.ActiveNoticeTemplates(s.e.ctx)
	require.NoError(t, err)
	require.Len(t, active, 1, "only nl/cdn")

	require.Equal(t, http.StatusNotFound, b.do("GET", "/admin/templates/de/host", nil).status)
	require.Equal(t, http.StatusNotFound, b.post("/admin/templates/en/landlord", "source", v2).status)
	entries, err := s.e.store.AuditEntries(s.e.ctx, "notice_template", "en/host")
	require.NoError(t, err)
	var actions []string
	for _, e := range entries {
		require.Equal(t, "user:"+strconv.FormatInt(root.User.ID, 10)+":Root", e.Actor)
		actions = append(actions, e.Action)
	}
	require.Equal(t, []string{"notice_template.save", "notice_template.save", "notice_template.activate", "notice_template.revert"}, actions)
	require.Contains(t, b.do("GET", path+"?lang=nl", nil).body, "<h1>Hoster of platform (Engels)</h1>")
}

func mustDefault(t *testing.T, lang, name string) string {
	t.Helper()
	b, err := notice.DefaultSource(lang, name)
	require.NoError(t, err)
	return string(b)
}

// walkAdmin walks the dashboard and the admin pages through the OpenAPI
// validator, for TestOpenAPIWalk: every operation, each answer checked
// against the document.
func walkAdmin(t *testing.T, e *env) {
	c, form := newWalker(t, e), walkForm
	same := header("Origin", e.srv.URL)
	me := newAccount(t, e, "walk-admin@hotline.example", "Walker", undox.RoleAdmin)

	c.do(t, "GET", "/dashboard", nil).ok(t, 303, nil)
	c.do(t, "GET", "/dashboard/charts/open-items.svg", nil).ok(t, 303, nil)
	c.do(t, "GET", "/admin/users", nil).ok(t, 303, nil)
	c.do(t, "POST", "/login", walkLogin(t, e, me, me.Password), same).ok(t, 303, nil)

	c.do(t, "GET", "/dashboard?lang=en&days=7", nil).ok(t, 200, nil)
	c.do(t, "GET", "/dashboard/charts/open-items.svg?lang=nl&days=7&window=7", nil).ok(t, 200, nil)
	c.do(t, "GET", "/dashboard/charts/providers.svg", nil).ok(t, 200, nil)
	c.do(t, "GET", "/dashboard/charts/pie.svg", nil).ok(t, 404, nil)
	c.do(t, "GET", "/dashboard/charts/open-items.svg?days=0", nil, nonconforming()).ok(t, 400, nil)

	// Staff.
	c.do(t, "GET", "/admin/users?lang=en", nil).ok(t, 200, nil)
	c.do(t, "POST", "/admin/users", form("email", "walk-new@hotline.example", "name", "New", "role", "analyst"), same).ok(t, 200, nil)
	c.do(t, "POST", "/admin/users", form("email", "walk-new@hotline.example", "role", "auditor"), same).ok(t, 409, nil)
	c.do(t, "POST", "/admin/users", form("email", "no address", "role", "auditor"), same).ok(t, 400, nil)
	c.do(t, "POST", "/admin/users", form("email", "walk-x@hotline.example"), header("Origin", "https://evil.example")).ok(t, 403, nil)
	u, err := e.store.UserByEmail(e.ctx, cli, "walk-new@hotline.example")
	require.NoError(t, err)
	uid := strconv.FormatInt(u.ID, 10)
	c.do(t, "POST", "/admin/users/"+uid+"/role", form("role", "supervisor"), same).ok(t, 303, nil)
	c.do(t, "POST", "/admin/users/"+strconv.FormatInt(me.User.ID, 10)+"/role", form("role", "analyst"), same).ok(t, 400, nil)
	c.do(t, "POST", "/admin/users/999999/role", form("role", "analyst"), same).ok(t, 404, nil)
	c.do(t, "POST", "/admin/users/"+uid+"/disable", form(), same).ok(t, 400, nil)
	c.do(t, "POST", "/admin/users/"+uid+"/disable", form("confirm", "yes"), same).ok(t, 303, nil)
	c.do(t, "POST", "/admin/users/999999/disable", form("confirm", "yes"), same).ok(t, 404, nil)
	c.do(t, "POST", "/admin/users/"+uid+"/reset", form(), same).ok(t, 400, nil)
	c.do(t, "POST", "/admin/users/"+uid+"/reset", form("confirm", "yes"), same).ok(t, 200, nil)
	c.do(t, "POST", "/admin/users/999999/reset", form("confirm", "yes"), same).ok(t, 404, nil)
	c.do(t, "POST", "/admin/users/"+uid+"/enable", form(), same).ok(t, 303, nil)
	c.do(t, "POST", "/admin/users/999999/enable", form(), same).ok(t, 404, nil)

	c.do(t, "GET", "/admin/policy?lang=nl", nil).ok(t, 200, nil)
	c.do(t, "GET", "/admin/categories", nil).ok(t, 200, nil)

	// The contact book.
	c.do(t, "GET", "/admin/contacts?q=walk", nil).ok(t, 200, nil)
	c.do(t, "POST", "/admin/contacts", form("scope", "domain", "key", "walk.example", "role", "host", "name", "Walk"), same).ok(t, 400, nil)
	r := c.do(t, "POST", "/admin/contacts", form("scope", "domain", "key", "walk.example", "role", "host", "name", "Walk",
		"email", "abuse@walk.example"), same)
	r.ok(t, 303, nil)
	c.do(t, "POST", "/admin/contacts", form("scope", "domain", "key", "walk.example", "role", "host", "name", "Walk",
		"email", "abuse@walk.example"), same).ok(t, 409, nil)
	cpath := strings.TrimSuffix(r.header.Get("Location"), "?done=contact_added")
	c.do(t, "GET", cpath+"?done=contact_added", nil).ok(t, 200, nil)
	c.do(t, "POST", cpath, form("scope", "domain", "key", "walk.example", "role", "host", "name", "Walk B.V.", "email", "abuse@walk.example"), same).ok(t, 303, nil)
	c.do(t, "POST", cpath, form("scope", "domain", "key", "walk.example", "role", "host", "name", ""), same).ok(t, 400, nil)
	c.do(t, "POST", cpath+"/delete", form(), same).ok(t, 400, nil)
	c.do(t, "POST", cpath+"/delete", form("confirm", "yes"), same).ok(t, 303, nil)
	c.do(t, "GET", cpath, nil).ok(t, 404, nil)
	c.do(t, "POST", cpath, form("scope", "domain", "key", "walk.example", "role", "host", "name", "Walk", "email", "abuse@walk.example"), same).ok(t, 404, nil)
	c.do(t, "POST", cpath+"/delete", form("confirm", "yes"), same).ok(t, 404, nil)

	// Erasure requests.
	c.do(t, "GET", "/admin/erasure", nil).ok(t, 200, nil)
	c.do(t, "POST", "/admin/erasure/999999/erase", form(), same).ok(t, 400, nil)
	c.do(t, "POST", "/admin/erasure/999999/erase", form("confirm", "yes"), same).ok(t, 404, nil)

	// Notice templates.
	c.do(t, "GET", "/admin/templates", nil).ok(t, 200, nil)
	c.do(t, "GET", "/admin/templates/nl/upstream?lang=en", nil).ok(t, 200, nil)
	c.do(t, "GET", "/admin/templates/de/upstream", nil).ok(t, 404, nil)
	src, err := notice.DefaultSource("nl", "upstream")
	require.NoError(t, err)
	c.do(t, "POST", "/admin/templates/nl/upstream", form("source", "Version: walk-1\n\nno subject"), same).ok(t, 400, nil)
	c.do(t, "POST", "/admin/templates/nl/upstream", form("source", strings.Replace(string(src), "Version: default-1", "Version: walk-1", 1)), same).ok(t, 303, nil)
	c.do(t, "POST", "/admin/templates/nl/upstream", form("source", strings.Replace(string(src), "Version: default-1", "Version: walk-2", 1)), same).ok(t, 303, nil)
	vs, err := e.store.NoticeTemplateVersions(e.ctx, cli, "nl", "upstream")
	require.NoError(t, err)
	require.Len(t, vs, 2)
	c.do(t, "GET", "/admin/templates/nl/upstream?version="+strconv.FormatInt(vs[1].ID, 10), nil).ok(t, 200, nil)
	c.do(t, "POST", "/admin/templates/nl/upstream/activate", form("version", strconv.FormatInt(vs[1].ID, 10)), same).ok(t, 303, nil)
	c.do(t, "POST", "/admin/templates/nl/upstream/activate", form("version", "999999"), same).ok(t, 404, nil)
	c.do(t, "POST", "/admin/templates/nl/upstream/default", form(), same).ok(t, 303, nil)
	c.do(t, "POST", "/admin/templates/xx/upstream/default", form(), same).ok(t, 404, nil)
}
