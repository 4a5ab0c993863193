package staff

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/secret"
)

// Defaults of a Service.
const (
	DefaultIdleTimeout = time.Hour
	DefaultMaxAge      = 12 * time.Hour
	DefaultWindow      = 15 * time.Minute
	// DefaultPerAccountClient failures of an account from one client
	// address lock the account for that address only.
	DefaultPerAccountClient = 5
	// DefaultPerAccount failures of an account from all addresses together
	// lock it for every address: a guess spread over many addresses.
	DefaultPerAccount = 100
	DefaultPerClient  = 20
)

// Limits throttle failed logins within Window: once an account has
// PerAccountClient failures from one client address, further logins to it
// from that address are refused (others still log in to it); once it has
// PerAccount from all addresses together, or a client address has
// PerClient for all accounts together, every further login to the account,
// or from the address, is. The refusals last until the failures age out of
// the window.
type Limits struct {
	Window           time.Duration
	PerAccountClient int
	PerAccount       int
	PerClient        int
}

// Service logs staff in and out and finds their sessions.
type Service struct {
	Store undox.UserStore
	// IdleTimeout ends a session left without requests; MaxAge ends
	// every session, however busy. Zero: the defaults.
	IdleTimeout time.Duration
	MaxAge      time.Duration
	Limits      Limits

	// verify checks a password against its hash: VerifyPassword, unless a
	// test counts the checks.
	verify func(hash, password string) (bool, error)
}

func (s *Service) verifyPassword(hash, password string) (bool, error) {
	if s.verify != nil {
		return s.verify(hash, password)
	}
	return VerifyPassword(hash, password)
}

func (s *Service) idle() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return DefaultIdleTimeout
}

func (s *Service) maxAge() time.Duration {
	if s.MaxAge > 0 {
		return s.MaxAge
	}
	return DefaultMaxAge
}

func (s *Service) limits() Limits {
	l := s.Limits
	if l.Window <= 0 {
		l.Window = DefaultWindow
	}
	if l.PerAccountClient <= 0 {
		l.PerAccountClient = DefaultPerAccountClient
	}
	if l.PerAccount <= 0 {
		l.PerAccount = DefaultPerAccount
	}
	if l.PerClient <= 0 {
		l.PerClient = DefaultPerClient
	}
	return l
}

// ErrLogin is the one answer to a failed login, whatever failed: it does
// not tell whether the account exists.
var ErrLogin = undox.Errorf(undox.EUNAUTHORIZED, "the e-mail address, the password or the code is wrong")

// Throttled is the answer to a login refused for too many failures.
type Throttled struct {
	RetryAfter time.Duration
}

func (t *Throttled) Error() string {
	return fmt.Sprintf("too many failed logins: try again in %d minutes", int(t.RetryAfter.Round(time.Minute)/time.Minute))
}

// Login is a successful login: the session and the token for the
// browser's cookie (shown nowhere else; only its hash is stored).
type Login struct {
	Token   string
	Session *undox.Session
	User    *undox.User
}

// Login checks the password and the TOTP code of the account with the
// e-mail address and starts a session. client is the client's address,
// for throttling. A failure is ErrLogin, or *Throttled; every failure and
// success is audited (never with the password or the code).
func (s *Service) Login(ctx context.Context, email, password, code, client string) (*Login, error) {
	lim := s.limits()
	now := s.Store.Now()
	// The attempt is recorded, and counts as a failure, before anything is
	// checked: attempts sent at once, to this process or another on the
	// same database, each count the ones before them.
	attempt, err := s.Store.BeginLogin(ctx, email, client, now.Add(-lim.Window),
		undox.LoginLimits{PerAccountClient: lim.PerAccountClient, PerAccount: lim.PerAccount, PerClient: lim.PerClient})
	if undox.ErrorCode(err) == undox.ERATELIMIT {
		u, _, err := s.Store.UserCredentials(ctx, email)
		var uid int64
		if err == nil {
			uid = u.ID
		}
		if err := s.Store.RecordLoginFailure(ctx, undox.LoginAttempt{Email: email, Client: client, UserID: uid, Reason: undox.LoginThrottled}); err != nil {
			return nil, fmt.Errorf("record a throttled login: %w", err)
		}
		return nil, &Throttled{RetryAfter: lim.Window}
	}
	if err != nil {
		return nil, fmt.Errorf("record a login attempt: %w", err)
	}
	fail := func(uid int64, reason string) (*Login, error) {
		if err := s.Store.RecordLoginFailure(ctx, undox.LoginAttempt{ID: attempt, Email: email, Client: client, UserID: uid, Reason: reason}); err != nil {
			return nil, fmt.Errorf("record a failed login: %w", err)
		}
		return nil, ErrLogin
	}
	u, cred, err := s.Store.UserCredentials(ctx, email)
	if undox.ErrorCode(err) == undox.ENOTFOUND {
		s.verifyPassword(dummyHash(), password) // as long as a wrong password takes
		return fail(0, undox.LoginUnknown)
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.verifyPassword(cred.PasswordHash, password)
	if err != nil {
		return nil, fmt.Errorf("the password hash of user %d: %w", u.ID, err)
	}
	switch {
	case !ok:
		return fail(u.ID, undox.LoginPassword)
	case u.Disabled():
		return fail(u.ID, undox.LoginDisabled)
	case cred.TOTPSecret == "":
		return fail(u.ID, undox.LoginNoTOTP)
	}
	step, err := VerifyCode(cred.TOTPSecret, code, now, cred.TOTPLastStep)
	switch {
	case errors.Is(err, ErrReplay):
		return fail(u.ID, undox.LoginReplay)
	case errors.Is(err, ErrBadCode):
		return fail(u.ID, undox.LoginCode)
	case err != nil:
		return nil, err
	}
	// Two logins racing with one code: only one records its step.
	if err := s.Store.UseTOTPStep(ctx, u.ID, step); undox.ErrorCode(err) == undox.ECONFLICT {
		return fail(u.ID, undox.LoginReplay)
	} else if err != nil {
		return nil, err
	}
	token, err := secret.Token(32)
	if err != nil {
		return nil, err
	}
	ses, err := s.Store.CreateSession(ctx, u, attempt, secret.Hash(token), s.maxAge())
	if err != nil {
		return nil, err
	}
	return &Login{Token: token, Session: ses, User: u}, nil
}

// Session returns the live session of a browser's token and its user;
// EUNAUTHORIZED when there is none (expired, idle, logged out, disabled).
func (s *Service) Session(ctx context.Context, token string) (*undox.Session, *undox.User, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, undox.Errorf(undox.EUNAUTHORIZED, "no session")
	}
	return s.Store.SessionByHash(ctx, secret.Hash(token), s.idle())
}

// Logout ends the session of a browser's token.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" || len(token) > 100 {
		return nil
	}
	return s.Store.RevokeSession(ctx, secret.Hash(token))
}

// Account is a new account's record for the store, and the secrets to hand
// its owner once.
type Account struct {
	NewUser    undox.NewUser
	TOTPSecret string
	// URI is the TOTP enrolment URI for an authenticator app.
	URI string
}

// NewAccount hashes the password (which must pass CheckPassword) and makes
// a TOTP secret for an account to be created.
func NewAccount(email, name string, role undox.Role, password string) (*Account, error) {
	c, err := NewCredentials(email, password)
	if err != nil {
		return nil, err
	}
	return &Account{
		NewUser:    undox.NewUser{Email: email, Name: name, Role: role, PasswordHash: c.PasswordHash, TOTPSecret: c.TOTPSecret},
		TOTPSecret: c.TOTPSecret,
		URI:        c.URI,
	}, nil
}

// Credentials are what an account logs in with, made new: for the store
// the password's hash and the TOTP secret, and for its owner (once) the
// secret's enrolment URI.
type Credentials struct {
	PasswordHash string
	TOTPSecret   string
	// URI is the TOTP enrolment URI for an authenticator app.
	URI string
}

// NewCredentials hashes the password (which must pass CheckPassword) and
// makes a TOTP secret for the account with the e-mail address: for a new
// account (NewAccount) or one whose credentials are reset.
func NewCredentials(email, password string) (*Credentials, error) {
	if err := CheckPassword(password); err != nil {
		return nil, err
	}
	key, err := undox.NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, fmt.Errorf("hash the password: %w", err)
	}
	totp, err := NewTOTPSecret()
	if err != nil {
		return nil, fmt.Errorf("make a TOTP secret: %w", err)
	}
	return &Credentials{PasswordHash: hash, TOTPSecret: totp, URI: EnrolmentURI(key, totp)}, nil
}
