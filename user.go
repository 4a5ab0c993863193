package undox

import (
	"context"
	"net/mail"
	"strings"
	"time"
)

// User is a staff member's account for the pages: an e-mail address to log
// in with, a display name (the only part of it that the audit log shows),
// a role, a password and a mandatory second factor (TOTP). Only the
// password's argon2id hash is stored, and the TOTP secret sealed.
type User struct {
	ID         int64      `json:"id"`
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	// TOTP tells whether a TOTP secret is enrolled: without one the user
	// cannot log in.
	TOTP bool `json:"totp"`
}

// Disabled tells whether the account was disabled.
func (u *User) Disabled() bool { return u.DisabledAt != nil }

// UserActor is the actor of a staff member logged in to the pages.
func UserActor(u *User) Actor {
	return Actor{Kind: "user", UserID: u.ID, Name: u.Name, Role: u.Role}
}

// NewUser is an account to create. PasswordHash is the encoded argon2id
// hash; TOTPSecret the base32 secret (empty: not enrolled yet).
type NewUser struct {
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	TOTPSecret   string
}

// Credentials are what a login is checked against.
type Credentials struct {
	PasswordHash string
	// TOTPSecret is the base32 secret, "" when none is enrolled.
	TOTPSecret string
	// TOTPLastStep is the time step of the last code accepted (0: none):
	// a code of that step or an earlier one is a replay.
	TOTPLastStep int64
}

// Session is a staff member's login, kept on the server: the browser holds
// a random token whose hash names the session. A session ends at
// ExpiresAt (the absolute timeout), after an idle time without requests,
// on logout, and when the user is disabled.
type Session struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	CreatedAt  time.Time  `json:"created_at"`
	LastSeenAt time.Time  `json:"last_seen_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// LoginAttempt is one try to log in, kept (as keyed hashes of the e-mail
// address and the client address) to throttle guessing. Reason says why a
// failure failed, for the audit log (never the password or the code).
type LoginAttempt struct {
	// ID is the attempt as BeginLogin recorded it; 0 for one that was
	// not (a refused attempt).
	ID     int64
	Email  string
	Client string
	UserID int64 // 0 when no account has the e-mail address
	OK     bool
	Reason string
}

// Login failure reasons, as the audit log records them.
const (
	LoginUnknown   = "unknown_account"
	LoginPassword  = "bad_password"
	LoginCode      = "bad_code"
	LoginReplay    = "replayed_code"
	LoginDisabled  = "disabled"
	LoginNoTOTP    = "totp_not_enrolled"
	LoginThrottled = "throttled"
)

// LoginLimits are how many failed logins BeginLogin lets through in its
// window. An account is locked for one client address at PerAccountClient
// failures from it, so that a stranger who guesses cannot lock its owner
// out from elsewhere; for every client at PerAccount failures from all
// addresses together, a much higher ceiling that still slows a guess
// spread over many addresses. A client address is locked for every account
// at PerClient failures.
type LoginLimits struct {
	PerAccountClient int
	PerAccount       int
	PerClient        int
}

// UserStore keeps staff accounts, their sessions and login attempts.
type UserStore interface {
	// CreateUser adds an account; an e-mail address already taken (in
	// any case) is ECONFLICT.
	CreateUser(ctx context.Context, actor Actor, u NewUser) (*User, error)
	// Users lists every account, oldest first.
	Users(ctx context.Context, actor Actor) ([]*User, error)
	// UserByEmail finds an account by its address, in any case.
	UserByEmail(ctx context.Context, actor Actor, email string) (*User, error)
	// DisableUser disables an account and ends its sessions.
	DisableUser(ctx context.Context, actor Actor, email string) (*User, error)
	// SetUserRole gives an account another role; its sessions carry the
	// new role from their next request. A change that would leave no
	// enabled admin is ECONFLICT.
	SetUserRole(ctx context.Context, actor Actor, userID int64, role Role) (*User, error)
	// SetTOTPSecret enrols (replaces) an account's TOTP secret.
	SetTOTPSecret(ctx context.Context, actor Actor, userID int64, secret string) error
	// ResetCredentials gives an account a new password (its encoded
	// argon2id hash) and a new TOTP secret, for someone who forgot the
	// one or lost the other: the old ones no longer work, the account's
	// sessions end, and its failed logins no longer throttle it. A
	// disabled account stays disabled.
	ResetCredentials(ctx context.Context, actor Actor, userID int64, passwordHash, totpSecret string) (*User, error)
	// EnableUser lets a disabled account log in again (with the
	// credentials it had).
	EnableUser(ctx context.Context, actor Actor, email string) (*User, error)

	// UserCredentials returns the account with the e-mail address and
	// what a login is checked against; ENOTFOUND when there is none.
	UserCredentials(ctx context.Context, email string) (*User, *Credentials, error)
	// UseTOTPStep records that a code of step was accepted; ECONFLICT
	// when a code of that step or a later one was accepted before (a
	// replay).
	UseTOTPStep(ctx context.Context, userID, step int64) error
	// BeginLogin records an attempt to log in before its credentials are
	// checked, and returns its id: until it is known to have succeeded it
	// counts as a failure (also when its process dies meanwhile). When
	// attempts since a time that failed or are under way reach one of
	// lim's limits (an account's counted since its last successful
	// login), the attempt is refused: ERATELIMIT, and nothing is
	// recorded. Attempts are counted and recorded one at a time per
	// address and per client, across every process on the database, so
	// that attempts made at once cannot all pass the count before any of
	// them is recorded.
	BeginLogin(ctx context.Context, email, client string, since time.Time, lim LoginLimits) (int64, error)
	// LoginFailures counts the attempts since a time that failed or are
	// under way: for the e-mail address (since its last successful
	// login) and for the client address.
	LoginFailures(ctx context.Context, email, client string, since time.Time) (byEmail, byClient int, err error)
	// RecordLoginFailure keeps a failed attempt (a.ID, as BeginLogin
	// recorded it; a new one when a.ID is 0, unless it was refused for
	// throttling) and audits it.
	RecordLoginFailure(ctx context.Context, a LoginAttempt) error
	// CreateSession starts a session of a user whose login succeeded:
	// attempt is the login as BeginLogin recorded it (0: none), which no
	// longer counts as a failure; tokenHash is the hash of the browser's
	// token. The success is recorded and audited with it.
	CreateSession(ctx context.Context, u *User, attempt int64, tokenHash []byte, maxAge time.Duration) (*Session, error)
	// SessionByHash returns the live session with the token hash and its
	// user, and marks it seen; EUNAUTHORIZED when there is none, or it
	// expired, was idle longer than idle, was revoked, or its user is
	// disabled.
	SessionByHash(ctx context.Context, tokenHash []byte, idle time.Duration) (*Session, *User, error)
	// RevokeSession ends the session with the token hash (a logout) and
	// audits it; a session that is already over is no error.
	RevokeSession(ctx context.Context, tokenHash []byte) error
	// Now is the store's clock, by which sessions expire and attempts age.
	Now() time.Time
}

// NormalizeEmail checks an e-mail address of an account and returns it in
// the form that compares equal in any case.
func NormalizeEmail(field, email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", Invalid(field, "an e-mail address is required")
	}
	if len(email) > 254 {
		return "", Invalid(field, "the e-mail address is too long")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || !strings.Contains(email, "@") {
		return "", Invalid(field, "%q is not an e-mail address", email)
	}
	return strings.ToLower(email), nil
}

// CheckUserName checks a display name: the name the audit log and the
// pages show for the user.
func CheckUserName(name string) (string, error) {
	name, err := CheckText("name", name, 100)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", Invalid("name", "a name is required")
	}
	if strings.ContainsAny(name, "\n\t") {
		return "", Invalid("name", "a name is one line")
	}
	return name, nil
}
