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

// newHash stands for the argon2id hash of a new password.
const newHash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdG5ld3NhbHQ$bmV3a2V5bmV3a2V5bmV3a2V5bmV3a2V5bmV3a2V5"

// requireNoneInAudit checks that no audit entry holds any of the texts.
func requireNoneInAudit(t *testing.T, e *env, texts ...string) {
	t.Helper()
	rows, err := e.db.SQL.QueryContext(e.ctx, `SELECT actor, action, object_id, detail FROM audit_entries`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var a, ac, o, d string
		require.NoError(t, rows.Scan(&a, &ac, &o, &d))
		for _, s := range texts {
			require.NotContains(t, a+" "+ac+" "+o+" "+d, s)
		}
	}
	require.NoError(t, rows.Err())
}

// A reset gives an account a new password and TOTP secret: the old ones
// stop working, its sessions end, its address is no longer throttled, and
// the audit log says who did it without either secret. Only admins (and
// the operator at the command line) reset.
func TestResetCredentials(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		const oldSecret, newSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
		root, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "root@hotline.example", Name: "Root",
			Role: undox.RoleAdmin, PasswordHash: fakeHash, TOTPSecret: oldSecret})
		require.NoError(t, err)
		ana, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "Ana@hotline.example", Name: "Ana",
			Role: undox.RoleAnalyst, PasswordHash: fakeHash, TOTPSecret: oldSecret})
		require.NoError(t, err)
		live1, live2 := secret.Hash("ana-phone"), secret.Hash("ana-laptop")
		for _, h := range [][]byte{live1, live2} {
			_, err = e.store.CreateSession(e.ctx, ana, 0, h, 8*time.Hour)
			require.NoError(t, err)
		}
		rootSession := secret.Hash("root-desk")
		_, err = e.store.CreateSession(e.ctx, root, 0, rootSession, 8*time.Hour)
		require.NoError(t, err)
		require.NoError(t, e.store.UseTOTPStep(e.ctx, ana.ID, 60_000_000))
		// Ana forgot her password and locked herself out trying.
		for range 5 {
			require.NoError(t, e.store.RecordLoginFailure(e.ctx, undox.LoginAttempt{Email: "ana@hotline.example", Client: "192.0.2.7",
				UserID: ana.ID, Reason: undox.LoginPassword}))
		}
		byEmail, _, err := e.store.LoginFailures(e.ctx, "ana@hotline.example", "192.0.2.8", e.clock.Now().Add(-15*time.Minute))
		require.NoError(t, err)
		require.Equal(t, 5, byEmail)

		// Others may not.
		for _, a := range []undox.Actor{analyst, supervisor, auditor, undox.Public} {
			_, err = e.store.ResetCredentials(e.ctx, a, ana.ID, newHash, newSecret)
			require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err), a.Label())
		}
		_, cred, err := e.store.UserCredentials(e.ctx, "ana@hotline.example")
		require.NoError(t, err)
		require.Equal(t, fakeHash, cred.PasswordHash, "unchanged by the refused resets")
		_, _, err = e.store.SessionByHash(e.ctx, live1, time.Hour)
		require.NoError(t, err)

		u, err := e.store.ResetCredentials(e.ctx, undox.UserActor(root), ana.ID, newHash, newSecret)
		require.NoError(t, err)
		require.Equal(t, ana.ID, u.ID)
		require.Equal(t, "Ana", u.Name)
		require.True(t, u.TOTP)
		require.False(t, u.Disabled())

		// The old password no longer matches, the new secret is enrolled
		// (sealed) and its codes are not taken for replays of the old one's.
		_, cred, err = e.store.UserCredentials(e.ctx, "ana@hotline.example")
		require.NoError(t, err)
		require.Equal(t, newHash, cred.PasswordHash)
		require.NotEqual(t, fakeHash, cred.PasswordHash)
		require.Equal(t, newSecret, cred.TOTPSecret)
		require.Zero(t, cred.TOTPLastStep)
		var sealed []byte
		require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, `SELECT totp_secret FROM users WHERE id = $1`, ana.ID).Scan(&sealed))
		require.False(t, bytes.Contains(sealed, []byte("KRSXG5CT")), "the TOTP secret is sealed")

		// Her sessions are over; root's is not.
		for _, h := range [][]byte{live1, live2} {
			_, _, err = e.store.SessionByHash(e.ctx, h, time.Hour)
			require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err))
		}
		_, _, err = e.store.SessionByHash(e.ctx, rootSession, time.Hour)
		require.NoError(t, err)

		// She is not throttled any more; the client she tried from still
		// is.
		byEmail, byClient, err := e.store.LoginFailures(e.ctx, "ANA@hotline.example", "192.0.2.7", e.clock.Now().Add(-15*time.Minute))
		require.NoError(t, err)
		require.Zero(t, byEmail)
		require.Equal(t, 5, byClient)

		// She logs in again.
		_, err = e.store.CreateSession(e.ctx, u, 0, secret.Hash("ana-new"), 8*time.Hour)
		require.NoError(t, err)

		entries, err := e.store.AuditEntries(e.ctx, "user", strconv.FormatInt(ana.ID, 10))
		require.NoError(t, err)
		var resets []undox.AuditEntry
		for _, en := range entries {
			if en.Action == "user.reset" {
				resets = append(resets, en)
			}
		}
		require.Len(t, resets, 1, "the refused resets are not audited")
		require.Equal(t, "user:"+strconv.FormatInt(root.ID, 10)+":Root", resets[0].Actor)
		require.Equal(t, "sessions_revoked=2", resets[0].Detail)
		requireNoneInAudit(t, e, newSecret, oldSecret, newHash, fakeHash, "KRSXG5CT", "bmV3a2V5")
		requireNoAddressInAudit(t, e)

		// A disabled account may be reset (before it is enabled again) and
		// stays disabled; the operator at the command line may reset.
		_, err = e.store.DisableUser(e.ctx, admin, "ana@hotline.example")
		require.NoError(t, err)
		u, err = e.store.ResetCredentials(e.ctx, undox.Actor{Kind: "cli", Name: "operator", Role: undox.RoleAdmin}, ana.ID, fakeHash, oldSecret)
		require.NoError(t, err)
		require.True(t, u.Disabled())
		got, err := e.store.UserByEmail(e.ctx, admin, "ana@hotline.example")
		require.NoError(t, err)
		require.True(t, got.Disabled())
		entries, err = e.store.AuditEntries(e.ctx, "user", strconv.FormatInt(ana.ID, 10))
		require.NoError(t, err)
		last := entries[len(entries)-1]
		require.Equal(t, "user.reset", last.Action)
		require.Equal(t, "cli", last.Actor)
		require.Equal(t, "sessions_revoked=0", last.Detail, "disabling ended them")

		// Unknown accounts; a reset without a password or a secret.
		_, err = e.store.ResetCredentials(e.ctx, admin, 999999, newHash, newSecret)
		require.Equal(t, undox.ENOTFOUND, undox.ErrorCode(err))
		_, err = e.store.ResetCredentials(e.ctx, admin, ana.ID, "", newSecret)
		require.Equal(t, undox.EINVALID, undox.ErrorCode(err))
		_, err = e.store.ResetCredentials(e.ctx, admin, ana.ID, newHash, "")
		require.Equal(t, undox.EINVALID, undox.ErrorCode(err))
		_, cred, err = e.store.UserCredentials(e.ctx, "ana@hotline.example")
		require.NoError(t, err)
		require.Equal(t, fakeHash, cred.PasswordHash)
		require.Equal(t, oldSecret, cred.TOTPSecret)
	})
}

// Enabling lets a disabled account log in again, with the credentials it
// had; the logins it tried while disabled do not throttle it; the
// sessions that disabling ended stay ended. Admins only, audited.
func TestEnableUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		u, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "en@hotline.example", Name: "En",
			Role: undox.RoleSupervisor, PasswordHash: fakeHash, TOTPSecret: "JBSWY3DPEHPK3PXP"})
		require.NoError(t, err)
		old := secret.Hash("en-old")
		_, err = e.store.CreateSession(e.ctx, u, 0, old, 8*time.Hour)
		require.NoError(t, err)
		_, err = e.store.DisableUser(e.ctx, admin, "en@hotline.example")
		require.NoError(t, err)
		for range 5 {
			require.NoError(t, e.store.RecordLoginFailure(e.ctx, undox.LoginAttempt{Email: "en@hotline.example", Client: "192.0.2.3",
				UserID: u.ID, Reason: undox.LoginDisabled}))
		}

		for _, a := range []undox.Actor{analyst, supervisor, auditor, undox.Public} {
			_, err = e.store.EnableUser(e.ctx, a, "en@hotline.example")
			require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err), a.Label())
		}
		_, err = e.store.CreateSession(e.ctx, u, 0, secret.Hash("en-refused"), 8*time.Hour)
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err), "still disabled")

		en, err := e.store.EnableUser(e.ctx, admin, "EN@hotline.example")
		require.NoError(t, err)
		require.Equal(t, u.ID, en.ID)
		require.False(t, en.Disabled())
		got, err := e.store.UserByEmail(e.ctx, admin, "en@hotline.example")
		require.NoError(t, err)
		require.False(t, got.Disabled())
		_, cred, err := e.store.UserCredentials(e.ctx, "en@hotline.example")
		require.NoError(t, err)
		require.Equal(t, fakeHash, cred.PasswordHash, "the credentials it had")
		byEmail, _, err := e.store.LoginFailures(e.ctx, "en@hotline.example", "192.0.2.4", e.clock.Now().Add(-15*time.Minute))
		require.NoError(t, err)
		require.Zero(t, byEmail)
		_, _, err = e.store.SessionByHash(e.ctx, old, time.Hour)
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err), "the old session stays ended")
		fresh := secret.Hash("en-fresh")
		_, err = e.store.CreateSession(e.ctx, en, 0, fresh, 8*time.Hour)
		require.NoError(t, err)
		_, _, err = e.store.SessionByHash(e.ctx, fresh, time.Hour)
		require.NoError(t, err)

		// Enabling an enabled account changes nothing and audits nothing.
		_, err = e.store.EnableUser(e.ctx, admin, "en@hotline.example")
		require.NoError(t, err)
		entries, err := e.store.AuditEntries(e.ctx, "user", strconv.FormatInt(u.ID, 10))
		require.NoError(t, err)
		var actions []string
		for _, en := range entries {
			if strings.HasPrefix(en.Action, "user.enable") || strings.HasPrefix(en.Action, "user.disable") {
				actions = append(actions, en.Actor+" "+en.Action)
			}
		}
		require.Equal(t, []string{"token:4:adm user.disable", "token:4:adm user.enable"}, actions)

		_, err = e.store.EnableUser(e.ctx, admin, "nobody@hotline.example")
		require.Equal(t, undox.ENOTFOUND, undox.ErrorCode(err))
		requireNoAddressInAudit(t, e)
	})
}

// A login whose password was being checked when an admin reset the
// account's credentials gets no session: it passed the old ones.
func TestResetEndsLoginsInProgress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		root, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "root@hotline.example", Name: "Root",
			Role: undox.RoleAdmin, PasswordHash: fakeHash, TOTPSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"})
		require.NoError(t, err)
		ana, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "ana@hotline.example", Name: "Ana",
			Role: undox.RoleAnalyst, PasswordHash: fakeHash, TOTPSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"})
		require.NoError(t, err)
		since := e.clock.Now().Add(-15 * time.Minute)
		before, err := e.store.BeginLogin(e.ctx, "ana@hotline.example", "192.0.2.7", since, undox.LoginLimits{PerAccountClient: 5, PerAccount: 100, PerClient: 20})
		require.NoError(t, err)

		_, err = e.store.ResetCredentials(e.ctx, undox.UserActor(root), ana.ID, newHash, "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")
		require.NoError(t, err)
		_, err = e.store.CreateSession(e.ctx, ana, before, secret.Hash("stale-login"), 8*time.Hour)
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err), "%v", err)
		_, _, err = e.store.SessionByHash(e.ctx, secret.Hash("stale-login"), time.Hour)
		require.Error(t, err)

		// A login begun after the reset gets its session.
		after, err := e.store.BeginLogin(e.ctx, "ana@hotline.example", "192.0.2.7", since, undox.LoginLimits{PerAccountClient: 5, PerAccount: 100, PerClient: 20})
		require.NoError(t, err)
		_, err = e.store.CreateSession(e.ctx, ana, after, secret.Hash("fresh-login"), 8*time.Hour)
		require.NoError(t, err)
		byEmail, _, err := e.store.LoginFailures(e.ctx, "ana@hotline.example", "192.0.2.8", since)
		require.NoError(t, err)
		require.Zero(t, byEmail, "the ended attempt does not count against the account")
	})
}
