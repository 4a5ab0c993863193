package web

// The admin pages, under /admin: staff accounts and their roles, the
// takedown policy and the categories (read-only), the contact book, the
// reporters' erasure requests and the notice templates. Admins only,
// except the erasure queue, which every role that may erase cases works.
// The store checks every permission again and audits every change.
//
// Forms post to the page's own paths (the page middleware refuses posts
// from other sites) and answer with a redirect to the page, which says
// what was done (?done=…); a form with errors is shown again with what was
// typed and the problems beside the fields. Nothing needs JavaScript.

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/skip2/go-qrcode"

	"github.com/undox/undox"
	"github.com/undox/undox/staff"
)

// maxAdminFormBytes bounds an admin form (a notice template is the
// largest).
const maxAdminFormBytes = 512 << 10

// adminPage is what the admin pages show: the layout's parts, the admin
// nav, and each page's own data.
type adminPage struct {
	*staffPage
	// Sub is the admin nav's entry of the page; Nav the entries this
	// role may open.
	Sub string
	Nav []adminNavEntry
	// Done says what the last form did; Errors are the problems of the
	// form shown, by field ("form" for the form as a whole).
	Done   string
	Errors map[string]string

	// /admin/users
	UserRows []userRow
	// TokenRows are the API tokens, listed on the users' page.
	TokenRows []tokenRow
	Roles     []option
	NewUser   userForm
	// Credentials are those of an account just made or reset, shown
	// once.
	Credentials *shownCredentials

	// /admin/policy
	Policy *policyView

	// /admin/categories
	Categories []categoryRow

	// /admin/contacts
	Query    string
	Contacts []contactRow
	Contact  contactForm
	Scopes   []option
	CRoles   []option
	Langs    []option
	History  []contactVersionRow

	// /admin/erasure
	Pending     []erasureRow
	Finished    []erasureRow
	OverdueNote string

	// /admin/templates
	NoticeTemplates []ntRow
	NoticeTemplate  *ntPage
}

type adminNavEntry struct {
	Key, Href, Label string
}

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// adminSections are the admin nav's entries, in order, with the
// permission each needs.
var adminSections = []struct {
	key, href string
	perm      undox.Permission
}{
	{"users", "/admin/users", undox.PermAdmin},
	{"policy", "/admin/policy", undox.PermAdmin},
	{"categories", "/admin/categories", undox.PermAdmin},
	{"contacts", "/admin/contacts", undox.PermAdmin},
	{"erasure", "/admin/erasure", undox.PermEraseCases},
	{"templates", "/admin/templates", undox.PermAdmin},
}

// newAdminPage is an admin page of the actor, its nav at entry sub.
func (s *Server) newAdminPage(w http.ResponseWriter, r *http.Request, a undox.Actor, sub string) *adminPage {
	p := &adminPage{staffPage: s.newStaffPage(w, r, pageUser(a)), Sub: sub, Errors: map[string]string{}}
	p.Section = "admin"
	for _, sec := range adminSections {
		if a.Role.Can(sec.perm) {
			p.Nav = append(p.Nav, adminNavEntry{Key: sec.key, Href: sec.href, Label: p.T["admin_nav_"+sec.key]})
		}
	}
	if r.Method != http.MethodGet {
		// The answer to a form: the switch leads to the section's page.
		href := "/admin"
		for _, e := range p.Nav {
			if e.Key == sub {
				href = e.Href
			}
		}
		p.SwitchURL = href + "?" + url.Values{"lang": {p.Other}}.Encode()
	}
	if d := r.URL.Query().Get("done"); d != "" && r.Method == http.MethodGet {
		p.Done = p.T["admin_done_"+d] // unknown keys say nothing
	}
	return p
}

// seeOther sends the browser to an admin page after a form did its work;
// done names what it did (a key admin_done_…).
func seeOther(w http.ResponseWriter, r *http.Request, path, done string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, path+"?"+url.Values{"done": {done}}.Encode(), http.StatusSeeOther)
}

// adminError shows what went wrong with a request that is not a form's
// mistake: something not found, a conflict, or a fault of undox (logged).
func (s *Server) adminError(w http.ResponseWriter, r *http.Request, a undox.Actor, err error) {
	code := undox.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	p := s.newAdminPage(w, r, a, "")
	switch {
	case status == http.StatusInternalServerError:
		s.log.ErrorContext(r.Context(), "admin page", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Problem = p.T["login_err_internal"]
	case status == http.StatusNotFound:
		p.Problem = p.T["admin_err_not_found"]
	case status == http.StatusForbidden:
		p.Problem = p.T["login_err_forbidden"]
	case status == http.StatusRequestEntityTooLarge:
		p.Problem = p.T["admin_err_too_large"]
	case status == http.StatusBadRequest:
		p.Problem = p.T["admin_err_invalid"]
	default:
		p.Problem = p.T["admin_err_conflict"]
	}
	s.renderPage(w, status, "staff_admin_error.html", p)
}

// parseAdminForm reads a posted form, bounded.
func parseAdminForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(unwrapWriter(w), r.Body, maxAdminFormBytes)
	if err := r.ParseForm(); err != nil {
		return undox.Errorf(undox.ETOOLARGE, "the form is too large or malformed")
	}
	return nil
}

// pathID is the path's {id}, ENOTFOUND when it is not one.
func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, undox.Errorf(undox.ENOTFOUND, "%s not found", what)
	}
	return id, nil
}

// yesNo is "yes" or "no" in the page's language.
func yesNo(t map[string]string, v bool) string {
	if v {
		return t["yes"]
	}
	return t["no"]
}

// Staff accounts.

// staffRoles are the roles of staff accounts, in the order offered.
var staffRoles = []undox.Role{undox.RoleAnalyst, undox.RoleSupervisor, undox.RoleAdmin, undox.RoleAuditor}

// tokenRow is an API token as the users' page lists it (never a secret:
// undox keeps none).
type tokenRow struct {
	ID                         int64
	Name, Role, Account, State string
	Created                    string
}

type userRow struct {
	ID                int64
	Name, Email, Role string
	State             string
	Self, Disabled    bool
	Roles             []option
	Created           string
}

// userForm is what was typed into the form that adds an account.
type userForm struct {
	Email, Name, Role string
}

// shownCredentials are the password and TOTP enrolment of an account just
// made or reset, shown once: Title and Text say which, Notes warn of what
// else the admin must know.
type shownCredentials struct {
	Title, Text string
	Notes       []string
	Password    string
	URI, Secret string
	QR          template.HTML
}

// newShownCredentials draws the enrolment's QR code for the page.
func newShownCredentials(t map[string]string, title, text, password, uri, secret string) (*shownCredentials, error) {
	qr, err := qrSVG(uri, t["admin_user_qr"])
	if err != nil {
		return nil, fmt.Errorf("draw the enrolment QR code: %w", err)
	}
	return &shownCredentials{Title: title, Text: text, Password: password, URI: uri, Secret: secret, QR: qr}, nil
}

func roleOptions(t map[string]string, selected string) []option {
	var out []option
	for _, r := range staffRoles {
		out = append(out, option{Value: string(r), Label: roleName(t, r), Selected: string(r) == selected})
	}
	return out
}

func roleName(t map[string]string, r undox.Role) string {
	if n := t["login_role_"+string(r)]; n != "" {
		return n
	}
	return string(r)
}

// adminUsers is GET /admin and /admin/users: the staff accounts, with the
// forms that add one, change a role, reset a password and TOTP, and
// disable or enable an account.
func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	s.showUsers(w, r, a, s.usersPage(w, r, a), http.StatusOK)
}

// usersPage is the page of the staff accounts, its form for a new one
// set to the analyst role.
func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, a undox.Actor) *adminPage {
	p := s.newAdminPage(w, r, a, "users")
	p.NewUser.Role = string(undox.RoleAnalyst)
	return p
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, a undox.Actor, p *adminPage, code int) {
	users, err := s.Store.Users(r.Context(), a)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	for _, u := range users {
		row := userRow{ID: u.ID, Name: u.Name, Email: u.Email, Role: roleName(p.T, u.Role), Self: u.ID == a.UserID,
			Disabled: u.Disabled(), Roles: roleOptions(p.T, string(u.Role)), Created: formatDay(p.Lang, u.CreatedAt)}
		switch {
		case u.Disabled():
			row.State = p.T["login_admin_disabled"]
		case !u.TOTP:
			row.State = p.T["login_admin_no_totp"]
		default:
			row.State = p.T["login_admin_active"]
		}
		p.UserRows = append(p.UserRows, row)
	}
	tokens, err := s.Store.Tokens(r.Context(), a)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	emails := map[int64]string{}
	for _, u := range users {
		emails[u.ID] = u.Email
	}
	for _, tk := range tokens {
		row := tokenRow{ID: tk.ID, Name: tk.Name, Role: roleName(p.T, tk.Role), Account: emails[tk.UserID],
			State: p.T["admin_tokens_active"], Created: formatDay(p.Lang, tk.CreatedAt)}
		switch {
		case tk.RevokedAt != nil:
			row.State = fmt.Sprintf(p.T["admin_tokens_revoked"], formatDay(p.Lang, *tk.RevokedAt))
		case tk.AccountDisabled:
			row.State = p.T["admin_tokens_account_disabled"]
		}
		p.TokenRows = append(p.TokenRows, row)
	}
	p.Roles = roleOptions(p.T, p.NewUser.Role)
	s.renderPage(w, code, "staff_admin.html", p)
}

// adminAddUser is POST /admin/users: a new account with a generated
// password and TOTP secret, which the answer shows once (as undox user add
// prints them).
func (s *Server) adminAddUser(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	if err := parseAdminForm(w, r); err != nil {
		s.adminError(w, r, a, err)
		return
	}
	p := s.newAdminPage(w, r, a, "users")
	f := userForm{Email: strings.TrimSpace(r.PostForm.Get("email")), Name: strings.TrimSpace(r.PostForm.Get("name")),
		Role: r.PostForm.Get("role")}
	p.NewUser = f
	if _, err := undox.NormalizeEmail("email", f.Email); err != nil {
		p.Errors["email"] = p.T["admin_err_email"]
	}
	if f.Name == "" {
		f.Name, _, _ = strings.Cut(f.Email, "@")
	}
	if _, err := undox.CheckUserName(f.Name); err != nil {
		p.Errors["name"] = p.T["admin_err_user_name"]
	}
	role, err := undox.ParseRole(f.Role)
	if err != nil || !slices.Contains(staffRoles, role) {
		p.Errors["role"] = p.T["admin_err_role"]
	}
	if len(p.Errors) > 0 {
		s.showUsers(w, r, a, p, http.StatusBadRequest)
		return
	}
	password, err := staff.GeneratePassword()
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	acc, err := staff.NewAccount(f.Email, f.Name, role, password)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	u, err := s.Store.CreateUser(r.Context(), a, acc.NewUser)
	switch code := undox.ErrorCode(err); {
	case err == nil:
	case code == undox.ECONFLICT:
		p.Errors["email"] = p.T["admin_err_email_taken"]
		s.showUsers(w, r, a, p, http.StatusConflict)
		return
	case code == undox.EINVALID:
		for field := range undox.ErrorFields(err) {
			switch field {
			case "email":
				p.Errors["email"] = p.T["admin_err_email"]
			case "name":
				p.Errors["name"] = p.T["admin_err_user_name"]
			case "role":
				p.Errors["role"] = p.T["admin_err_role"]
			default:
				p.Errors["form"] = p.T["admin_err_invalid"]
			}
		}
		if len(p.Errors) == 0 {
			p.Errors["form"] = p.T["admin_err_invalid"]
		}
		s.showUsers(w, r, a, p, http.StatusBadRequest)
		return
	default:
		s.adminError(w, r, a, err)
		return
	}
	p.Credentials, err = newShownCredentials(p.T, fmt.Sprintf(p.T["admin_user_created"], u.Name),
		fmt.Sprintf(p.T["admin_user_created_text"], u.Email, roleName(p.T, u.Role)), password, acc.URI, acc.TOTPSecret)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	p.NewUser = userForm{Role: string(undox.RoleAnalyst)}
	s.showUsers(w, r, a, p, http.StatusOK)
}

// qrSVG draws text as a QR code in an inline SVG element: no image
// request, no data: URI (the pages' policy allows neither), no style.
func qrSVG(text, title string) (template.HTML, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", err
	}
	bm := q.Bitmap() // with its quiet zone
	var path strings.Builder
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&path, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	n := len(bm)
	return template.HTML(fmt.Sprintf(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path d="%s" fill="#000"/></svg>`,
		n, n, template.HTMLEscapeString(title), n, n, path.String())), nil
}

// postedUser reads a form posted about the account of the path's {id}, and
// returns the account and the page of accounts. It answers a problem
// itself, and returns false.
func (s *Server) postedUser(w http.ResponseWriter, r *http.Request, a undox.Actor) (*undox.User, *adminPage, bool) {
	err := parseAdminForm(w, r)
	var id int64
	if err == nil {
		id, err = pathID(r, "user")
	}
	var users []*undox.User
	if err == nil {
		users, err = s.Store.Users(r.Context(), a)
	}
	if err != nil {
		s.adminError(w, r, a, err)
		return nil, nil, false
	}
	for _, u := range users {
		if u.ID == id {
			return u, s.usersPage(w, r, a), true
		}
	}
	s.adminError(w, r, a, undox.Errorf(undox.ENOTFOUND, "user not found"))
	return nil, nil, false
}

// adminSetRole is POST /admin/users/{id}/role. An admin does not change
// their own role (another admin does), and the store keeps the last
// enabled admin.
func (s *Server) adminSetRole(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	u, p, ok := s.postedUser(w, r, a)
	if !ok {
		return
	}
	role, err := undox.ParseRole(r.PostForm.Get("role"))
	switch {
	case err != nil || !slices.Contains(staffRoles, role):
		p.Errors["form"] = p.T["admin_err_role"]
	case u.ID == a.UserID:
		p.Errors["form"] = p.T["admin_err_self_role"]
	}
	if len(p.Errors) > 0 {
		s.showUsers(w, r, a, p, http.StatusBadRequest)
		return
	}
	_, err = s.Store.SetUserRole(r.Context(), a, u.ID, role)
	switch {
	case err == nil:
		seeOther(w, r, "/admin/users", "role")
	case undox.ErrorCode(err) == undox.ECONFLICT:
		p.Errors["form"] = p.T["admin_err_last_admin"]
		s.showUsers(w, r, a, p, http.StatusConflict)
	default:
		s.adminError(w, r, a, err)
	}
}

// adminDisableUser is POST /admin/users/{id}/disable: the account can no
// longer log in and its sessions end. An admin does not disable their own
// account, so an enabled admin always remains.
func (s *Server) adminDisableUser(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	u, p, ok := s.postedUser(w, r, a)
	if !ok {
		return
	}
	switch {
	case u.ID == a.UserID:
		p.Errors["form"] = p.T["admin_err_self_disable"]
	case r.PostForm.Get("confirm") != "yes":
		p.Errors["form"] = p.T["admin_err_confirm"]
	}
	if len(p.Errors) > 0 {
		s.showUsers(w, r, a, p, http.StatusBadRequest)
		return
	}
	if _, err := s.Store.DisableUser(r.Context(), a, u.Email); err != nil {
		s.adminError(w, r, a, err)
		return
	}
	seeOther(w, r, "/admin/users", "disabled")
}

// adminResetUser is POST /admin/users/{id}/reset: for someone who forgot
// their password or lost their phone, a new generated password and TOTP
// secret, which the answer shows once (as undox user reset prints them).
// The old ones stop working, the account's sessions end and its failed
// logins are forgiven; a disabled account stays disabled. An admin may
// reset their own account (a lost phone while still logged in
// elsewhere): the box they tick says that it logs them out, this session
// too.
func (s *Server) adminResetUser(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	u, p, ok := s.postedUser(w, r, a)
	if !ok {
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		p.Errors["form"] = p.T["admin_err_confirm"]
		s.showUsers(w, r, a, p, http.StatusBadRequest)
		return
	}
	password, err := staff.GeneratePassword()
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	c, err := staff.NewCredentials(u.Email, password)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	if u, err = s.Store.ResetCredentials(r.Context(), a, u.ID, c.PasswordHash, c.TOTPSecret); err != nil {
		s.adminError(w, r, a, err)
		return
	}
	p.Credentials, err = newShownCredentials(p.T, fmt.Sprintf(p.T["admin_user_reset"], u.Name),
		fmt.Sprintf(p.T["admin_user_reset_text"], u.Email), password, c.URI, c.TOTPSecret)
	if err != nil {
		s.adminError(w, r, a, err)
		return
	}
	if u.ID == a.UserID {
		p.Credentials.Notes = append(p.Credentials.Notes, p.T["admin_user_reset_self"])
	}
	if u.Disabled() {
		p.Credentials.Notes = append(p.Credentials.Notes, p.T["admin_user_reset_disabled"])
	}
	s.showUsers(w, r, a, p, http.StatusOK)
}

// adminEnableUser is POST /admin/users/{id}/enable: a disabled account
// may log in again, with the password and TOTP it had (reset them first
// if they may be in other hands).
func (s *Server) adminEnableUser(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	u, _, ok := s.postedUser(w, r, a)
	if !ok {
		return
	}
	if _, err := s.Store.EnableUser(r.Context(), a, u.Email); err != nil {
		s.adminError(w, r, a, err)
		return
	}
	seeOther(w, r, "/admin/users", "enabled")
}

// The categories.

type categoryRow struct {
	Code, Name, LegalBasis string
	ReferralOnly           bool
	Authority              string
}

// adminCategories is GET /admin/categories: the categories of content,
// their legal basis and which are referral-only (read-only: they are
// part of undox).
func (s *Server) adminCategories(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	p := s.newAdminPage(w, r, a, "categories")
	for _, c := range undox.Categories() {
		row := categoryRow{Code: c.Code, Name: cmp.Or(p.T["admin_cat_"+c.Code], c.Name), LegalBasis: c.LegalBasis,
			ReferralOnly: c.ReferralOnly}
		if c.Authority != "" {
			row.Authority = cmp.Or(p.T["admin_authority_"+c.Authority], c.Authority)
		}
		p.Categories = append(p.Categories, row)
	}
	s.renderPage(w, http.StatusOK, "staff_admin_categories.html", p)
}
