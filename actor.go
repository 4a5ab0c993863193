package undox

import "fmt"

// Role is what a staff member or partner system may do.
type Role string

// Roles.
const (
	RoleAnalyst    Role = "analyst"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
	RolePartner    Role = "partner" // bulk intake only
	RoleAuditor    Role = "auditor" // read-only
)

// Permissions.
type Permission string

const (
	PermReadCases  Permission = "cases:read"
	PermActItems   Permission = "items:act"
	PermActCases   Permission = "cases:act"
	PermEraseCases Permission = "cases:erase"
	PermLegalHold  Permission = "cases:hold"
	PermImport     Permission = "imports:create"
	PermReadJobs   Permission = "jobs:read"
	PermReadAudit  Permission = "audit:read"
	// PermReveal lets staff see, unblurred, an image or screenshot of a
	// minor's case (each reveal is audited).
	PermReveal Permission = "evidence:reveal"
	// PermContacts lets staff curate the contact book.
	PermContacts Permission = "contacts:write"
	// PermAdmin opens the admin pages: users and roles, policies,
	// templates, categories. Admins only.
	PermAdmin Permission = "admin:manage"
)

var rolePerms = map[Role][]Permission{
	RoleAnalyst:    {PermReadCases, PermActItems, PermActCases, PermReadJobs, PermReveal, PermContacts},
	RoleSupervisor: {PermReadCases, PermActItems, PermActCases, PermEraseCases, PermLegalHold, PermReadJobs, PermReadAudit, PermReveal, PermContacts},
	RoleAdmin:      {PermReadCases, PermActItems, PermActCases, PermEraseCases, PermLegalHold, PermImport, PermReadJobs, PermReadAudit, PermReveal, PermContacts, PermAdmin},
	RolePartner:    {PermImport},
	RoleAuditor:    {PermReadCases, PermReadJobs, PermReadAudit},
}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	if _, ok := rolePerms[Role(s)]; !ok {
		return "", Invalid("role", "unknown role %q (analyst, supervisor, admin, partner, auditor)", s)
	}
	return Role(s), nil
}

// Can tells whether the role holds the permission.
func (r Role) Can(p Permission) bool {
	for _, q := range rolePerms[r] {
		if q == p {
			return true
		}
	}
	return false
}

// Within says whether every permission of r is one of other's too: a
// token made for a staff account has at most the account's rights.
func (r Role) Within(other Role) bool {
	for _, p := range rolePerms[r] {
		if !other.Can(p) {
			return false
		}
	}
	return true
}

// Actor is who does something: a token (staff or partner), a staff member
// logged in to the pages (a user), the public (a reporter, identified by
// nothing), or undox itself. The audit log records actors by this label
// only, never by personal data such as an e-mail address.
type Actor struct {
	Kind    string // "token", "user", "public", "system"
	TokenID int64
	UserID  int64 // of a "user"
	// Owner is the staff account a "token" was made for (0: none).
	Owner int64
	Name  string
	Role  Role
}

// System is undox's own jobs.
var System = Actor{Kind: "system", Name: "undox"}

// Public is an anonymous reporter.
var Public = Actor{Kind: "public", Name: "reporter"}

// Label is how the audit log names the actor.
func (a Actor) Label() string {
	switch a.Kind {
	case "token":
		return fmt.Sprintf("token:%d:%s", a.TokenID, a.Name)
	case "user":
		return fmt.Sprintf("user:%d:%s", a.UserID, a.Name)
	}
	return a.Kind
}

// Require returns EFORBIDDEN unless the actor's role holds p. System is
// allowed everything.
func (a Actor) Require(p Permission) error {
	if a.Kind == "system" || a.Role.Can(p) {
		return nil
	}
	return Errorf(EFORBIDDEN, "role %q may not %s", a.Role, p)
}
