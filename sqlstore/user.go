package sqlstore

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/secret"
)

// Staff accounts, sessions and failed logins (migrations 009 and 016).

var _ undox.UserStore = (*Store)(nil)

// loginFailureMaxAge is how long failed logins are kept; throttling looks
// back less far than this.
const loginFailureMaxAge = 24 * time.Hour

// sessionKeepAfterExpiry is how long a session that ended stays in the
// table (for the audit trail's sake) before it is pruned.
const sessionKeepAfterExpiry = 30 * 24 * time.Hour

// totpKey seals TOTP secrets; it is derived from the master key and never
// stored.
func (s *Store) totpKey() []byte { return s.keys.Derive("staff-totp") }

func totpContext(userID int64) string { return "user/" + strconv.FormatInt(userID, 10) + "/totp" }

// throttleKey is the keyed hash under which a login's e-mail or client
// address is counted: the table holds neither address.
func (s *Store) throttleKey(kind, value string) []byte {
	m := hmac.New(sha256.New, s.keys.Derive("login-throttle"))
	m.Write([]byte(kind + "\x00" + value))
	return m.Sum(nil)
}

const userColumns = `id, email, name, role, created_at, disabled_at, totp_secret IS NOT NULL`

func scanUser(row interface{ Scan(...any) error }) (*undox.User, error) {
	var (
		u        undox.User
		at       int64
		disabled sql.NullInt64
	)
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &at, &disabled, &u.TOTP); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMicros(at)
	if disabled.Valid {
		t := fromMicros(disabled.Int64)
		u.DisabledAt = &t
	}
	return &u, nil
}

// CreateUser implements undox.UserStore.
func (s *Store) CreateUser(ctx context.Context, actor undox.Actor, nu undox.NewUser) (*undox.User, error) {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return nil, err
	}
	key, err := undox.NormalizeEmail("email", nu.Email)
	if err != nil {
		return nil, err
	}
	name, err := undox.CheckUserName(nu.Name)
	if err != nil {
		return nil, err
	}
	role, err := undox.ParseRole(string(nu.Role))
	if err != nil {
		return nil, err
	}
	if role == undox.RolePartner {
		return nil, undox.Invalid("role", "partners are systems: give them an API token, not an account")
	}
	if nu.PasswordHash == "" {
		return nil, undox.Invalid("password", "a password is required")
	}
	u := &undox.User{Email: strings.TrimSpace(nu.Email), Name: name, Role: role, CreatedAt: s.now().UTC(), TOTP: nu.TOTPSecret != ""}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO users (email, email_key, name, role, password_hash, created_at)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, u.Email, key, u.Name, string(u.Role), nu.PasswordHash, micros(u.CreatedAt)).Scan(&u.ID)
		if isUnique(err) {
			return undox.Errorf(undox.ECONFLICT, "an account with this e-mail address exists")
		}
		if err != nil {
			return err
		}
		if nu.TOTPSecret != "" {
			if err := s.setTOTP(ctx, tx, u.ID, nu.TOTPSecret); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, "user.create", "user", strconv.FormatInt(u.ID, 10),
			fmt.Sprintf("role=%s totp=%t", u.Role, u.TOTP))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Store) setTOTP(ctx context.Context, tx *sql.Tx, userID int64, totpSecret string) error {
	sealed, err := secret.Seal(s.totpKey(), []byte(totpSecret), totpContext(userID))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE users SET totp_secret = $1, totp_last_step = 0 WHERE id = $2`, sealed, userID)
	return err
}

// SetTOTPSecret implements undox.UserStore.
func (s *Store) SetTOTPSecret(ctx context.Context, actor undox.Actor, userID int64, totpSecret string) error {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return err
	}
	if totpSecret == "" {
		return undox.Invalid("totp_secret", "a TOTP secret is required")
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = $1`, userID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("user")
		}
		if err := s.setTOTP(ctx, tx, userID, totpSecret); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user.totp_enrol", "user", strconv.FormatInt(userID, 10), "")
	})
}

// Users implements undox.UserStore.
func (s *Store) Users(ctx context.Context, actor undox.Actor) ([]*undox.User, error) {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return nil, err
	}
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*undox.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UserByEmail implements undox.UserStore.
func (s *Store) UserByEmail(ctx context.Context, actor undox.Actor, email string) (*undox.User, error) {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return nil, err
	}
	return s.userByEmail(ctx, s.db.SQL, email)
}

func (s *Store) userByEmail(ctx context.Context, q querier, email string) (*undox.User, error) {
	key, err := undox.NormalizeEmail("email", email)
	if err != nil {
		return nil, notFound("user")
	}
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email_key = $1`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user")
	}
	return u, err
}

// DisableUser implements undox.UserStore.
func (s *Store) DisableUser(ctx context.Context, actor undox.Actor, email string) (*undox.User, error) {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return nil, err
	}
	var u *undox.User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Staff keep one enabled admin: the operator at the command line
		// (the way back in) and undox itself may disable the last one.
		admins := 0
		if actor.Kind == "user" || actor.Kind == "token" {
			var err error
			if admins, err = s.enabledAdmins(ctx, tx); err != nil {
				return err
			}
		}
		var err error
		if u, err = s.userByEmail(ctx, tx, email); err != nil {
			return err
		}
		now := s.now().UTC()
		if (actor.Kind == "user" || actor.Kind == "token") && u.Role == undox.RoleAdmin && !u.Disabled() && admins <= 1 {
			return undox.Errorf(undox.ECONFLICT, "this is the last enabled admin: make another admin first")
		}
		if u.DisabledAt == nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = $1 WHERE id = $2`, micros(now), u.ID); err != nil {
				return err
			}
			u.DisabledAt = &now
		}
		n, err := s.revokeSessions(ctx, tx, u.ID, now)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user.disable", "user", strconv.FormatInt(u.ID, 10), fmt.Sprintf("sessions_revoked=%d", n))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// revokeSessions ends the live sessions of a user and counts them (for
// the audit entry); sessions that expired already are left as they are.
func (s *Store) revokeSessions(ctx context.Context, tx *sql.Tx, userID int64, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE user_sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND expires_at > $1`, micros(now), userID)
	if err != nil {
		return 0, fmt.Errorf("end the sessions of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("count the ended sessions of user %d: %w", userID, err)
	}
	return n, nil
}

// forgiveLoginFailures stops the failed logins of an account's address
// from counting against it (they are kept, and still count against their
// clients): across all clients, and per client for the client with the
// key pairClient, or for every client when allClients. Attempts still
// under way are not forgiven: they may be guesses, and count once they
// fail.
func (s *Store) forgiveLoginFailures(ctx context.Context, tx *sql.Tx, email string, pairClient []byte, allClients bool) error {
	emailKey := s.throttleKey("email", normalEmail(email))
	if _, err := tx.ExecContext(ctx, `UPDATE login_failures SET email_forgiven = 1 WHERE email_key = $1 AND email_forgiven = 0 AND pending = 0`,
		emailKey); err != nil {
		return fmt.Errorf("forgive failed logins: %w", err)
	}
	var err error
	switch {
	case allClients:
		_, err = tx.ExecContext(ctx, `UPDATE login_failures SET pair_forgiven = 1 WHERE email_key = $1 AND pair_forgiven = 0 AND pending = 0`,
			emailKey)
	case pairClient != nil:
		_, err = tx.ExecContext(ctx, `UPDATE login_failures SET pair_forgiven = 1
            WHERE email_key = $1 AND client_key = $2 AND pair_forgiven = 0 AND pending = 0`, emailKey, pairClient)
	}
	if err != nil {
		return fmt.Errorf("forgive failed logins from a client: %w", err)
	}
	return nil
}

func (s *Store) userByID(ctx context.Context, q querier, id int64) (*undox.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user")
	}
	return u, err
}

// ResetCredentials implements undox.UserStore.
func (s *Store) ResetCredentials(ctx context.Context, actor undox.Actor, userID int64, passwordHash, totpSecret string) (*undox.User, error) {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return nil, err
	}
	if passwordHash == "" {
		return nil, undox.Invalid("password", "a password is required")
	}
	if totpSecret == "" {
		return nil, undox.Invalid("totp_secret", "a TOTP secret is required")
	}
	var u *undox.User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = s.userByID(ctx, tx, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, passwordHash, u.ID); err != nil {
			return fmt.Errorf("set the password of user %d: %w", u.ID, err)
		}
		// setTOTP also starts the replay guard over: the new secret's
		// codes belong to steps that the old one may have used.
		if err := s.setTOTP(ctx, tx, u.ID, totpSecret); err != nil {
			return fmt.Errorf("set the TOTP secret of user %d: %w", u.ID, err)
		}
		u.TOTP = true
		// Whoever held the old credentials is logged out, and the owner of
		// the new ones is not kept out by the guesses (or their own
		// attempts) that may have led to the reset.
		n, err := s.revokeSessions(ctx, tx, u.ID, s.now().UTC())
		if err != nil {
			return err
		}
		// A login whose password is being checked right now passed the
		// old credentials: it ends as failed (forgiven for the account,
		// as below), and CreateSession refuses it.
		if _, err := tx.ExecContext(ctx, `UPDATE login_failures SET pending = 0 WHERE email_key = $1 AND pending = 1`,
			s.throttleKey("email", normalEmail(u.Email))); err != nil {
			return fmt.Errorf("end the logins in progress of user %d: %w", u.ID, err)
		}
		if err := s.forgiveLoginFailures(ctx, tx, u.Email, nil, true); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user.reset", "user", strconv.FormatInt(u.ID, 10), fmt.Sprintf("sessions_revoked=%d", n))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// EnableUser implements undox.UserStore. An account that is enabled
// already is left as it is, and nothing is audited.
func (s *Store) EnableUser(ctx context.Context, actor undox.Actor, email string) (*undox.User, error) {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return nil, err
	}
	var u *undox.User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = s.userByEmail(ctx, tx, email); err != nil {
			return err
		}
		if !u.Disabled() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = NULL WHERE id = $1`, u.ID); err != nil {
			return fmt.Errorf("enable user %d: %w", u.ID, err)
		}
		u.DisabledAt = nil
		// Logins tried while the account was disabled failed (and were
		// audited as such): they do not lock out its first login now.
		if err := s.forgiveLoginFailures(ctx, tx, u.Email, nil, true); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user.enable", "user", strconv.FormatInt(u.ID, 10), "")
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UserCredentials implements undox.UserStore.
func (s *Store) UserCredentials(ctx context.Context, email string) (*undox.User, *undox.Credentials, error) {
	key, err := undox.NormalizeEmail("email", email)
	if err != nil {
		return nil, nil, notFound("user")
	}
	var (
		c      undox.Credentials
		sealed []byte
	)
	row := s.db.SQL.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash, totp_secret, totp_last_step FROM users WHERE email_key = $1`, key)
	u, err := scanUser(scanFunc(func(dest ...any) error {
		return row.Scan(append(dest, &c.PasswordHash, &sealed, &c.TOTPLastStep)...)
	}))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("user")
	}
	if err != nil {
		return nil, nil, err
	}
	if sealed != nil {
		plain, err := secret.Open(s.totpKey(), sealed, totpContext(u.ID))
		if err != nil {
			return nil, nil, fmt.Errorf("the TOTP secret of user %d: %w", u.ID, err)
		}
		c.TOTPSecret = string(plain)
	}
	return u, &c, nil
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// UseTOTPStep implements undox.UserStore.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) error {
	res, err := s.db.SQL.ExecContext(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return undox.Errorf(undox.ECONFLICT, "this code was used already")
	}
	return nil
}

// LoginFailures implements undox.UserStore.
func (s *Store) LoginFailures(ctx context.Context, email, client string, since time.Time) (byEmail, byClient int, err error) {
	return countLoginFailures(ctx, s.db.SQL, s.throttleKey("email", normalEmail(email)), s.throttleKey("client", client), since)
}

// countLoginFailures counts the rows of login_failures since a time (failures
// and attempts under way) by their keyed e-mail and client address.
func countLoginFailures(ctx context.Context, q querier, emailKey, clientKey []byte, since time.Time) (byEmail, byClient int, err error) {
	err = q.QueryRowContext(ctx, `SELECT
            (SELECT count(*) FROM login_failures WHERE email_key = $1 AND email_forgiven = 0 AND created_at >= $3),
            (SELECT count(*) FROM login_failures WHERE client_key = $2 AND created_at >= $3)`,
		emailKey, clientKey, micros(since)).Scan(&byEmail, &byClient)
	if err != nil {
		return 0, 0, fmt.Errorf("count failed logins: %w", err)
	}
	return byEmail, byClient, nil
}

// loginLockClass names, on PostgreSQL, the advisory locks that make login
// attempts for one address or from one client count and record themselves
// one at a time. They are of the two-key form, whose keys never meet the
// one-key locks of the migrations and the audit log.
const loginLockClass = 7262035

// BeginLogin implements undox.UserStore.
//
// The count and the insert of one attempt must not interleave with
// another's for the same address or client, or both could count the
// failures before either is recorded. On SQLite the transaction holds
// the database's write lock, for every process, from its start
// (_txlock=immediate); on PostgreSQL it takes a lock per keyed address and
// per keyed client, in every process alike. Either is held for a count
// and an insert, never across the password check, which comes after the
// commit.
func (s *Store) BeginLogin(ctx context.Context, email, client string, since time.Time, lim undox.LoginLimits) (int64, error) {
	emailKey := s.throttleKey("email", normalEmail(email))
	clientKey := s.throttleKey("client", client)
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.db.Dialect == Postgres {
			if err := lockLoginKeys(ctx, tx, emailKey, clientKey); err != nil {
				return err
			}
		}
		// Counted after the locks are held: READ COMMITTED reads what
		// the attempts that held them before committed (the lock of the
		// address covers the pair of address and client).
		byEmail, byClient, err := countLoginFailures(ctx, tx, emailKey, clientKey, since)
		if err != nil {
			return err
		}
		var byPair int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM login_failures
            WHERE email_key = $1 AND client_key = $2 AND pair_forgiven = 0 AND created_at >= $3`,
			emailKey, clientKey, micros(since)).Scan(&byPair); err != nil {
			return fmt.Errorf("count failed logins: %w", err)
		}
		if byPair >= lim.PerAccountClient || byEmail >= lim.PerAccount || byClient >= lim.PerClient {
			return undox.Errorf(undox.ERATELIMIT, "too many failed logins")
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO login_failures (email_key, client_key, created_at, pending)
            VALUES ($1, $2, $3, 1) RETURNING id`, emailKey, clientKey, micros(s.now())).Scan(&id); err != nil {
			return fmt.Errorf("record a login attempt: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// lockLoginKeys takes, until the transaction ends, PostgreSQL's advisory
// locks of a keyed e-mail address and a keyed client (by 32 bits of each:
// two keys that share them only wait for each other), in the same order
// in every transaction, so that two never wait for each other crosswise.
func lockLoginKeys(ctx context.Context, tx *sql.Tx, emailKey, clientKey []byte) error {
	a, b := int32(binary.BigEndian.Uint32(emailKey)), int32(binary.BigEndian.Uint32(clientKey))
	if a > b {
		a, b = b, a
	}
	for _, k := range []int32{a, b} {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, loginLockClass, k); err != nil {
			return fmt.Errorf("lock the login attempts of an address: %w", err)
		}
		if a == b {
			break
		}
	}
	return nil
}

// normalEmail is the form of an address that throttling counts by, also
// for text that is no address.
func normalEmail(email string) string {
	if key, err := undox.NormalizeEmail("email", email); err == nil {
		return key
	}
	return email
}

// RecordLoginFailure implements undox.UserStore.
func (s *Store) RecordLoginFailure(ctx context.Context, a undox.LoginAttempt) error {
	if a.OK {
		return errors.New("sqlstore: RecordLoginFailure of a success")
	}
	now := s.now()
	objID := "unknown"
	if a.UserID != 0 {
		objID = strconv.FormatInt(a.UserID, 10)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		switch {
		case a.ID != 0:
			// Recorded when it began, and counted since: now as a
			// failure that a later success forgives.
			if _, err := tx.ExecContext(ctx, `UPDATE login_failures SET pending = 0 WHERE id = $1`, a.ID); err != nil {
				return fmt.Errorf("record the failure of login attempt %d: %w", a.ID, err)
			}
		case a.Reason != undox.LoginThrottled:
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (email_key, client_key, created_at) VALUES ($1, $2, $3)`,
				s.throttleKey("email", normalEmail(a.Email)), s.throttleKey("client", a.Client), micros(now)); err != nil {
				return fmt.Errorf("record a failed login: %w", err)
			}
		}
		// A refused attempt does not count (BeginLogin recorded none): a
		// locked-out account frees itself once the failures that locked
		// it age out.
		if a.Reason != undox.LoginThrottled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE created_at < $1`, micros(now.Add(-loginFailureMaxAge))); err != nil {
				return fmt.Errorf("prune old failed logins: %w", err)
			}
		}
		return s.audit(ctx, tx, undox.Public, "user.login_failed", "user", objID, "reason="+a.Reason)
	})
}

// CreateSession implements undox.UserStore.
func (s *Store) CreateSession(ctx context.Context, u *undox.User, attempt int64, tokenHash []byte, maxAge time.Duration) (*undox.Session, error) {
	now := s.now().UTC()
	ses := &undox.Session{UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(maxAge)}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var disabled sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT disabled_at FROM users WHERE id = $1`, u.ID).Scan(&disabled); errors.Is(err, sql.ErrNoRows) {
			return notFound("user")
		} else if err != nil {
			return err
		}
		if disabled.Valid {
			return undox.Errorf(undox.EUNAUTHORIZED, "the account is disabled")
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO user_sessions (user_id, token_hash, created_at, last_seen_at, expires_at)
            VALUES ($1, $2, $3, $3, $4) RETURNING id`, u.ID, tokenHash, micros(now), micros(ses.ExpiresAt)).Scan(&ses.ID); err != nil {
			return err
		}
		// The attempt succeeded: it no longer counts against the client
		// either. The account's failures are forgiven; the client's stay,
		// so that one's own account does not reset guessing at others.
		// The account's failures from the attempt's client are forgiven
		// too (the owner's own typos), not those from other clients.
		var pairClient []byte
		if attempt != 0 {
			err := tx.QueryRowContext(ctx, `SELECT client_key FROM login_failures WHERE id = $1`, attempt).Scan(&pairClient)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("the client of login attempt %d: %w", attempt, err)
			}
			// The attempt is still pending unless the account's
			// credentials were reset while its password was checked
			// (ResetCredentials ends the pending attempts): then the
			// credentials it passed are no longer the account's.
			res, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE id = $1 AND pending = 1`, attempt)
			if err != nil {
				return fmt.Errorf("record the success of login attempt %d: %w", attempt, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return undox.Errorf(undox.EUNAUTHORIZED, "the account's credentials changed during the login")
			}
		}
		if err := s.forgiveLoginFailures(ctx, tx, u.Email, pairClient, false); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_sessions WHERE expires_at < $1`, micros(now.Add(-sessionKeepAfterExpiry))); err != nil {
			return err
		}
		return s.audit(ctx, tx, undox.UserActor(u), "user.login", "user", strconv.FormatInt(u.ID, 10),
			"session="+strconv.FormatInt(ses.ID, 10))
	})
	if err != nil {
		return nil, err
	}
	return ses, nil
}

// sessionTouchEvery is how stale last_seen_at may get before a request
// writes it again: a page and its parts need not each write.
const sessionTouchEvery = time.Minute

// SessionByHash implements undox.UserStore.
func (s *Store) SessionByHash(ctx context.Context, tokenHash []byte, idle time.Duration) (*undox.Session, *undox.User, error) {
	var (
		ses                   undox.Session
		created, seen, expire int64
	)
	row := s.db.SQL.QueryRowContext(ctx, `SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at,
            u.id, u.email, u.name, u.role, u.created_at, u.disabled_at, u.totp_secret IS NOT NULL
        FROM user_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL`, tokenHash)
	u, err := scanUser(scanFunc(func(dest ...any) error {
		return row.Scan(append([]any{&ses.ID, &ses.UserID, &created, &seen, &expire}, dest...)...)
	}))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, undox.Errorf(undox.EUNAUTHORIZED, "no such session")
	}
	if err != nil {
		return nil, nil, err
	}
	ses.CreatedAt, ses.LastSeenAt, ses.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expire)
	now := s.now().UTC()
	switch {
	case u.Disabled():
		return nil, nil, undox.Errorf(undox.EUNAUTHORIZED, "the account is disabled")
	case !now.Before(ses.ExpiresAt):
		return nil, nil, undox.Errorf(undox.EUNAUTHORIZED, "the session expired")
	case idle > 0 && now.Sub(ses.LastSeenAt) > idle:
		return nil, nil, undox.Errorf(undox.EUNAUTHORIZED, "the session was idle too long")
	}
	if now.Sub(ses.LastSeenAt) >= sessionTouchEvery {
		if _, err := s.db.SQL.ExecContext(ctx, `UPDATE user_sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1`,
			micros(now), ses.ID); err != nil {
			return nil, nil, err
		}
		ses.LastSeenAt = now
	}
	return &ses, u, nil
}

// RevokeSession implements undox.UserStore.
func (s *Store) RevokeSession(ctx context.Context, tokenHash []byte) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `SELECT s.id, u.id, u.email, u.name, u.role, u.created_at, u.disabled_at, u.totp_secret IS NOT NULL
            FROM user_sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = $1 AND s.revoked_at IS NULL`, tokenHash)
		var sid int64
		u, err := scanUser(scanFunc(func(dest ...any) error { return row.Scan(append([]any{&sid}, dest...)...) }))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE user_sessions SET revoked_at = $1 WHERE id = $2`, micros(s.now()), sid); err != nil {
			return err
		}
		return s.audit(ctx, tx, undox.UserActor(u), "user.logout", "user", strconv.FormatInt(u.ID, 10), "session="+strconv.FormatInt(sid, 10))
	})
}
