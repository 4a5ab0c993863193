package sqlstore_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/secret"
)

// An admin changes roles: audited, taken by live sessions at once, never
// leaving undox without an enabled admin.
func TestSetUserRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		root, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "root@hotline.example", Name: "Root",
			Role: undox.RoleAdmin, PasswordHash: fakeHash})
		require.NoError(t, err)
		ana, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "ana@hotline.example", Name: "Ana",
			Role: undox.RoleAnalyst, PasswordHash: fakeHash, TOTPSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"})
		require.NoError(t, err)
		hash := secret.Hash("ana-token")
		_, err = e.store.CreateSession(e.ctx, ana, 0, hash, 8*time.Hour)
		require.NoError(t, err)

		u, err := e.store.SetUserRole(e.ctx, undox.UserActor(root), ana.ID, undox.RoleSupervisor)
		require.NoError(t, err)
		require.Equal(t, undox.RoleSupervisor, u.Role)
		require.Equal(t, "Ana", u.Name)
		_, su, err := e.store.SessionByHash(e.ctx, hash, time.Hour)
		require.NoError(t, err)
		require.Equal(t, undox.RoleSupervisor, su.Role, "the live session has the new role")
		entries, err := e.store.AuditEntries(e.ctx, "user", strconv.FormatInt(ana.ID, 10))
		require.NoError(t, err)
		last := entries[len(entries)-1]
		require.Equal(t, "user.role", last.Action)
		require.Equal(t, "from=analyst to=supervisor", last.Detail)
		require.Equal(t, "user:"+strconv.FormatInt(root.ID, 10)+":Root", last.Actor)

		// The same role again changes nothing and audits nothing.
		_, err = e.store.SetUserRole(e.ctx, admin, ana.ID, undox.RoleSupervisor)
		require.NoError(t, err)
		again, err := e.store.AuditEntries(e.ctx, "user", strconv.FormatInt(ana.ID, 10))
		require.NoError(t, err)
		require.Len(t, again, len(entries))

		// The last enabled admin keeps the role; with another admin it
		// may go, and the other is then the last.
		_, err = e.store.SetUserRole(e.ctx, admin, root.ID, undox.RoleAnalyst)
		require.Equal(t, undox.ECONFLICT, undox.ErrorCode(err))
		_, err = e.store.SetUserRole(e.ctx, admin, ana.ID, undox.RoleAdmin)
		require.NoError(t, err)
		_, err = e.store.SetUserRole(e.ctx, admin, root.ID, undox.RoleAuditor)
		require.NoError(t, err)
		_, err = e.store.SetUserRole(e.ctx, admin, ana.ID, undox.RoleAnalyst)
		require.Equal(t, undox.ECONFLICT, undox.ErrorCode(err))
		// A disabled admin does not count.
		_, err = e.store.SetUserRole(e.ctx, admin, root.ID, undox.RoleAdmin)
		require.NoError(t, err)
		_, err = e.store.DisableUser(e.ctx, admin, "root@hotline.example")
		require.NoError(t, err)
		_, err = e.store.SetUserRole(e.ctx, admin, ana.ID, undox.RoleAnalyst)
		require.Equal(t, undox.ECONFLICT, undox.ErrorCode(err))
		users, err := e.store.Users(e.ctx, admin)
		require.NoError(t, err)
		require.Equal(t, undox.RoleAdmin, users[1].Role, "unchanged")

		// Bad input, unknown accounts, other roles.
		for _, r := range []undox.Role{"boss", undox.RolePartner, ""} {
			_, err = e.store.SetUserRole(e.ctx, admin, ana.ID, r)
			require.Equal(t, undox.EINVALID, undox.ErrorCode(err), r)
		}
		_, err = e.store.SetUserRole(e.ctx, admin, 9999, undox.RoleAnalyst)
		require.Equal(t, undox.ENOTFOUND, undox.ErrorCode(err))
		for _, a := range []undox.Actor{
			{Kind: "token", TokenID: 5, Name: "ana", Role: undox.RoleAnalyst},
			{Kind: "token", TokenID: 6, Name: "sup", Role: undox.RoleSupervisor},
			{Kind: "token", TokenID: 7, Name: "aud", Role: undox.RoleAuditor},
		} {
			_, err = e.store.SetUserRole(e.ctx, a, ana.ID, undox.RoleAdmin)
			require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err), a.Label())
		}
	})
}

// Two admins who disable each other at the same moment: one of them
// stays, on both backends. The operator at the command line may still
// disable the last admin (and add another there).
func TestLastAdminIsNotDisabled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		const rounds = 10
		for i := range rounds {
			a, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: fmt.Sprintf("a%d@hotline.example", i), Name: "A",
				Role: undox.RoleAdmin, PasswordHash: fakeHash})
			require.NoError(t, err)
			c, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: fmt.Sprintf("b%d@hotline.example", i), Name: "B",
				Role: undox.RoleAdmin, PasswordHash: fakeHash})
			require.NoError(t, err)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for j, pair := range [][2]*undox.User{{a, c}, {c, a}} {
				wg.Go(func() { _, errs[j] = e.store.DisableUser(e.ctx, undox.UserActor(pair[0]), pair[1].Email) })
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else {
					require.Equal(t, undox.ECONFLICT, undox.ErrorCode(err), "%v", err)
				}
			}
			require.Equal(t, 1, ok, "round %d: %v", i, errs)
			users, err := e.store.Users(e.ctx, admin)
			require.NoError(t, err)
			enabled := 0
			for _, u := range users {
				if u.Role == undox.RoleAdmin && !u.Disabled() {
					enabled++
				}
			}
			require.Equal(t, 1, enabled, "round %d", i)
			// The survivor is the last: staff cannot disable it, the
			// command line can.
			survivor := c // a disabled c, or c a
			if errs[0] == nil {
				survivor = a
			}
			_, err = e.store.DisableUser(e.ctx, undox.UserActor(survivor), survivor.Email)
			require.Equal(t, undox.ECONFLICT, undox.ErrorCode(err), "%v", err)
			_, err = e.store.DisableUser(e.ctx, undox.Actor{Kind: "cli", Name: "operator", Role: undox.RoleAdmin}, survivor.Email)
			require.NoError(t, err)
		}
	})
}
