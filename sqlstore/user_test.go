package sqlstore_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/secret"
)

var admin = undox.Actor{Kind: "token", TokenID: 4, Name: "adm", Role: undox.RoleAdmin}

// fakeHash stands for an argon2id hash: the store keeps what it is given.
const fakeHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"

// Staff accounts: unique e-mail addresses in any case, only admins manage
// them, the TOTP secret sealed at rest, each change audited by label.
func TestUsers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		u, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: " Alice@Hotline.example ", Name: "Alice A.",
			Role: undox.RoleAnalyst, PasswordHash: fakeHash, TOTPSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"})
		require.NoError(t, err)
		require.NotZero(t, u.ID)
		require.Equal(t, "Alice@Hotline.example", u.Email)
		require.True(t, u.TOTP)
		require.False(t, u.Disabled())
		require.Equal(t, "user:"+strconv.FormatInt(u.ID, 10)+":Alice A.", undox.UserActor(u).Label())

		// One account per address, in any case.
		_, err = e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "alice@HOTLINE.example", Name: "Other",
			Role: undox.RoleAdmin, PasswordHash: fakeHash})
		require.Equal(t, undox.ECONFLICT, undox.ErrorCode(err))
		// Bad input names its fields.
		for _, nu := range []undox.NewUser{
			{Email: "not an address", Name: "x", Role: undox.RoleAnalyst, PasswordHash: fakeHash},
			{Email: "b@hotline.example", Name: "", Role: undox.RoleAnalyst, PasswordHash: fakeHash},
			{Email: "b@hotline.example", Name: "b", Role: "boss", PasswordHash: fakeHash},
			{Email: "b@hotline.example", Name: "b", Role: undox.RolePartner, PasswordHash: fakeHash},
			{Email: "b@hotline.example", Name: "b", Role: undox.RoleAnalyst},
		} {
			_, err = e.store.CreateUser(e.ctx, admin, nu)
			require.Equal(t, undox.EINVALID, undox.ErrorCode(err), "%+v", nu)
		}
		// Only admins manage accounts.
		for _, a := range []undox.Actor{analyst, supervisor, auditor} {
			_, err = e.store.CreateUser(e.ctx, a, undox.NewUser{Email: "c@hotline.example", Name: "c", Role: undox.RoleAdmin, PasswordHash: fakeHash})
			require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err), a.Label())
			_, err = e.store.Users(e.ctx, a)
			require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err), a.Label())
			_, err = e.store.DisableUser(e.ctx, a, "alice@hotline.example")
			require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err), a.Label())
		}

		bob, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "bob@hotline.example", Name: "Bob",
			Role: undox.RoleAdmin, PasswordHash: fakeHash})
		require.NoError(t, err)
		require.False(t, bob.TOTP, "no secret: not enrolled")

		users, err := e.store.Users(e.ctx, admin)
		require.NoError(t, err)
		require.Len(t, users, 2)
		require.Equal(t, u.ID, users[0].ID)
		require.Equal(t, "Bob", users[1].Name)
		require.False(t, users[1].TOTP)
		found, err := e.store.UserByEmail(e.ctx, admin, "ALICE@hotline.example")
		require.NoError(t, err)
		require.Equal(t, u.ID, found.ID)
		_, err = e.store.UserByEmail(e.ctx, admin, "nobody@hotline.example")
		require.Equal(t, undox.ENOTFOUND, undox.ErrorCode(err))

		// Credentials: the hash as given, the secret opened again; in the
		// database the secret is sealed.
		got, cred, err := e.store.UserCredentials(e.ctx, "alice@hotline.EXAMPLE")
		require.NoError(t, err)
		require.Equal(t, u.ID, got.ID)
		require.Equal(t, fakeHash, cred.PasswordHash)
		require.Equal(t, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", cred.TOTPSecret)
		require.Zero(t, cred.TOTPLastStep)
		var sealed []byte
		require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, `SELECT totp_secret FROM users WHERE id = $1`, u.ID).Scan(&sealed))
		require.NotEmpty(t, sealed)
		require.False(t, bytes.Contains(sealed, []byte("JBSWY3DP")), "the TOTP secret is sealed")
		_, _, err = e.store.UserCredentials(e.ctx, "nobody@hotline.example")
		require.Equal(t, undox.ENOTFOUND, undox.ErrorCode(err))

		// Enrolling bob.
		require.NoError(t, e.store.SetTOTPSecret(e.ctx, admin, bob.ID, "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"))
		require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(e.store.SetTOTPSecret(e.ctx, analyst, bob.ID, "KRSXG5CT")))
		require.Equal(t, undox.ENOTFOUND, undox.ErrorCode(e.store.SetTOTPSecret(e.ctx, admin, 999999, "KRSXG5CT")))
		_, cred, err = e.store.UserCredentials(e.ctx, "bob@hotline.example")
		require.NoError(t, err)
		require.Equal(t, "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU", cred.TOTPSecret)

		// The audit log names accounts by id, never by address.
		entries, err := e.store.AuditEntries(e.ctx, "user", strconv.FormatInt(bob.ID, 10))
		require.NoError(t, err)
		require.Len(t, entries, 2)
		require.Equal(t, "user.create", entries[0].Action)
		require.Equal(t, "token:4:adm", entries[0].Actor)
		require.Equal(t, "role=admin totp=false", entries[0].Detail)
		require.Equal(t, "user.totp_enrol", entries[1].Action)
		requireNoAddressInAudit(t, e)
	})
}

// requireNoAddressInAudit checks that no audit entry holds an e-mail
// address.
func requireNoAddressInAudit(t *testing.T, e *env) {
	t.Helper()
	rows, err := e.db.SQL.QueryContext(e.ctx, `SELECT actor, object_id, detail FROM audit_entries`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var a, o, d string
		require.NoError(t, rows.Scan(&a, &o, &d))
		require.NotContains(t, strings.ToLower(a+o+d), "hotline.example")
	}
	require.NoError(t, rows.Err())
}

// A TOTP step is used once: the same or an earlier step is refused.
func TestUserTOTPStep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		u, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "s@hotline.example", Name: "S", Role: undox.RoleAnalyst,
			PasswordHash: fakeHash, TOTPSecret: "JBSWY3DPEHPK3PXP"})
		require.NoError(t, err)
		require.NoError(t, e.store.UseTOTPStep(e.ctx, u.ID, 1000))
		require.Equal(t, undox.ECONFLICT, undox.ErrorCode(e.store.UseTOTPStep(e.ctx, u.ID, 1000)))
		require.Equal(t, undox.ECONFLICT, undox.ErrorCode(e.store.UseTOTPStep(e.ctx, u.ID, 999)))
		require.NoError(t, e.store.UseTOTPStep(e.ctx, u.ID, 1001))
		_, cred, err := e.store.UserCredentials(e.ctx, "s@hotline.example")
		require.NoError(t, err)
		require.EqualValues(t, 1001, cred.TOTPLastStep)
		// A new secret starts over.
		require.NoError(t, e.store.SetTOTPSecret(e.ctx, admin, u.ID, "KRSXG5CTMVRXEZLU"))
		require.NoError(t, e.store.UseTOTPStep(e.ctx, u.ID, 5))
	})
}

// Sessions: found by the hash of their token, until they expire, are idle
// too long, are revoked, or their user is disabled.
func TestUserSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		u, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "ses@hotline.example", Name: "Ses", Role: undox.RoleSupervisor,
			PasswordHash: fakeHash, TOTPSecret: "JBSWY3DPEHPK3PXP"})
		require.NoError(t, err)
		start := e.clock.Now()
		hash := secret.Hash("token-one")
		ses, err := e.store.CreateSession(e.ctx, u, 0, hash, 8*time.Hour)
		require.NoError(t, err)
		require.Equal(t, u.ID, ses.UserID)
		require.True(t, ses.ExpiresAt.Equal(start.Add(8*time.Hour)))
		var stored []byte
		require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, `SELECT token_hash FROM user_sessions WHERE id = $1`, ses.ID).Scan(&stored))
		require.Equal(t, hash, stored, "only the token's hash is stored")

		got, gu, err := e.store.SessionByHash(e.ctx, hash, time.Hour)
		require.NoError(t, err)
		require.Equal(t, ses.ID, got.ID)
		require.Equal(t, u.ID, gu.ID)
		require.Equal(t, undox.RoleSupervisor, gu.Role)
		_, _, err = e.store.SessionByHash(e.ctx, secret.Hash("token-other"), time.Hour)
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err))

		// Requests keep it alive past the idle time, not past its age.
		for i := 0; i < 9; i++ {
			e.clock.Advance(50 * time.Minute)
			got, _, err = e.store.SessionByHash(e.ctx, hash, time.Hour)
			require.NoError(t, err, "request %d", i)
			require.True(t, got.LastSeenAt.Equal(e.clock.Now()))
		}
		e.clock.Advance(30 * time.Minute) // 8 h since the login
		_, _, err = e.store.SessionByHash(e.ctx, hash, time.Hour)
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err), "past its absolute timeout")

		// Idle.
		hash2 := secret.Hash("token-two")
		_, err = e.store.CreateSession(e.ctx, u, 0, hash2, 8*time.Hour)
		require.NoError(t, err)
		e.clock.Advance(61 * time.Minute)
		_, _, err = e.store.SessionByHash(e.ctx, hash2, time.Hour)
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err), "idle too long")

		// Logout.
		hash3 := secret.Hash("token-three")
		ses3, err := e.store.CreateSession(e.ctx, u, 0, hash3, 8*time.Hour)
		require.NoError(t, err)
		require.NoError(t, e.store.RevokeSession(e.ctx, hash3))
		_, _, err = e.store.SessionByHash(e.ctx, hash3, time.Hour)
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err), "logged out")
		require.NoError(t, e.store.RevokeSession(e.ctx, hash3), "a second logout is no error")
		require.NoError(t, e.store.RevokeSession(e.ctx, secret.Hash("never")))

		// Disabling ends every session and refuses new ones.
		hash4 := secret.Hash("token-four")
		_, err = e.store.CreateSession(e.ctx, u, 0, hash4, 8*time.Hour)
		require.NoError(t, err)
		dis, err := e.store.DisableUser(e.ctx, admin, "SES@hotline.example")
		require.NoError(t, err)
		require.True(t, dis.Disabled())
		_, _, err = e.store.SessionByHash(e.ctx, hash4, time.Hour)
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err), "disabled")
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM user_sessions WHERE token_hash = $1 AND revoked_at IS NOT NULL`, hash4))
		_, err = e.store.CreateSession(e.ctx, u, 0, secret.Hash("token-five"), 8*time.Hour)
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err))

		entries, err := e.store.AuditEntries(e.ctx, "user", strconv.FormatInt(u.ID, 10))
		require.NoError(t, err)
		var actions []string
		for _, en := range entries {
			actions = append(actions, en.Action)
		}
		require.Equal(t, []string{"user.create", "user.login", "user.login", "user.login", "user.logout", "user.login", "user.disable"}, actions)
		label := "user:" + strconv.FormatInt(u.ID, 10) + ":Ses"
		require.Equal(t, label, entries[1].Actor)
		require.Equal(t, "session="+strconv.FormatInt(ses.ID, 10), entries[1].Detail)
		require.Equal(t, label, entries[4].Actor)
		require.Equal(t, "session="+strconv.FormatInt(ses3.ID, 10), entries[4].Detail)
		require.Equal(t, "sessions_revoked=2", entries[6].Detail, "the idle session and the live one; not the expired one")
		requireNoAddressInAudit(t, e)
	})
}

// Failed logins are counted by keyed hashes of the e-mail and the client
// address, within a window; a success forgives its account's failures,
// not its client's; throttled attempts do not count.
func TestLoginFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		u, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "f@hotline.example", Name: "F", Role: undox.RoleAnalyst,
			PasswordHash: fakeHash, TOTPSecret: "JBSWY3DPEHPK3PXP"})
		require.NoError(t, err)
		fail := func(email, client, reason string, uid int64) {
			t.Helper()
			require.NoError(t, e.store.RecordLoginFailure(e.ctx, undox.LoginAttempt{Email: email, Client: client, UserID: uid, Reason: reason}))
		}
		count := func(email, client string) (int, int) {
			t.Helper()
			a, b, err := e.store.LoginFailures(e.ctx, email, client, e.clock.Now().Add(-15*time.Minute))
			require.NoError(t, err)
			return a, b
		}
		fail("f@hotline.example", "192.0.2.1", undox.LoginPassword, u.ID)
		fail("F@HOTLINE.example", "192.0.2.1", undox.LoginCode, u.ID)
		fail("nobody@hotline.example", "192.0.2.1", undox.LoginUnknown, 0)
		fail("f@hotline.example", "192.0.2.9", undox.LoginThrottled, u.ID)
		a, c := count("f@hotline.example", "192.0.2.1")
		require.Equal(t, 2, a, "both cases of the address count, the throttled attempt does not")
		require.Equal(t, 3, c)
		a, c = count("f@hotline.example", "192.0.2.9")
		require.Equal(t, 2, a)
		require.Equal(t, 0, c)

		// Neither address is stored.
		rows, err := e.db.SQL.QueryContext(e.ctx, `SELECT email_key, client_key FROM login_failures`)
		require.NoError(t, err)
		for rows.Next() {
			var ek, ck []byte
			require.NoError(t, rows.Scan(&ek, &ck))
			require.Len(t, ek, 32)
			require.False(t, bytes.Contains(ek, []byte("hotline")) || bytes.Contains(ck, []byte("192.0.2")))
		}
		require.NoError(t, rows.Err())
		rows.Close()

		// The window.
		e.clock.Advance(16 * time.Minute)
		a, c = count("f@hotline.example", "192.0.2.1")
		require.Zero(t, a)
		require.Zero(t, c)
		fail("f@hotline.example", "192.0.2.1", undox.LoginPassword, u.ID)
		a, c = count("f@hotline.example", "192.0.2.1")
		require.Equal(t, 1, a)
		require.Equal(t, 1, c)

		// A success forgives the account, not the client.
		_, err = e.store.CreateSession(e.ctx, u, 0, secret.Hash("tok"), time.Hour)
		require.NoError(t, err)
		a, c = count("f@hotline.example", "192.0.2.1")
		require.Zero(t, a)
		require.Equal(t, 1, c)

		// Old failures are pruned.
		e.clock.Advance(25 * time.Hour)
		fail("other@hotline.example", "192.0.2.2", undox.LoginUnknown, 0)
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM login_failures`))

		entries, err := e.store.AuditEntries(e.ctx, "user", "unknown")
		require.NoError(t, err)
		require.Len(t, entries, 2)
		require.Equal(t, "public", entries[0].Actor)
		require.Equal(t, "user.login_failed", entries[0].Action)
		require.Equal(t, "reason=unknown_account", entries[0].Detail)
		entries, err = e.store.AuditEntries(e.ctx, "user", strconv.FormatInt(u.ID, 10))
		require.NoError(t, err)
		var reasons []string
		for _, en := range entries {
			if en.Action == "user.login_failed" {
				reasons = append(reasons, en.Detail)
			}
		}
		require.Equal(t, []string{"reason=bad_password", "reason=bad_code", "reason=throttled", "reason=bad_password"}, reasons)
		requireNoAddressInAudit(t, e)
	})
}
