package sqlstore_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/secret"
)

// An attempt counts from when it begins: under way, it counts as a
// failure (also if its process dies); a failed one keeps counting until
// a success forgives it; a success no longer counts at all. An attempt
// over the limit of its address from its client, of its address from all
// clients, or of its client is refused and recorded nowhere.
func TestBeginLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		u, err := e.store.CreateUser(e.ctx, admin, undox.NewUser{Email: "b@hotline.example", Name: "B", Role: undox.RoleAnalyst,
			PasswordHash: fakeHash, TOTPSecret: "JBSWY3DPEHPK3PXP"})
		require.NoError(t, err)
		const perPair, perEmail, perClient = 2, 3, 5
		window := func() time.Time { return e.clock.Now().Add(-15 * time.Minute) }
		begin := func(email, client string) (int64, error) {
			t.Helper()
			return e.store.BeginLogin(e.ctx, email, client, window(),
				undox.LoginLimits{PerAccountClient: perPair, PerAccount: perEmail, PerClient: perClient})
		}
		count := func(email, client string) (int, int) {
			t.Helper()
			a, c, err := e.store.LoginFailures(e.ctx, email, client, window())
			require.NoError(t, err)
			return a, c
		}

		var ids []int64
		for i := range perEmail {
			id, err := begin("B@hotline.example", "192.0.2."+strconv.Itoa(i+1))
			require.NoError(t, err)
			require.NotZero(t, id)
			ids = append(ids, id)
		}
		byEmail, _ := count("b@hotline.example", "192.0.2.99")
		require.Equal(t, perEmail, byEmail, "attempts under way count")
		_, err = begin("b@hotline.example", "192.0.2.50")
		require.Equal(t, undox.ERATELIMIT, undox.ErrorCode(err), "%v", err)
		_, byClient := count("b@hotline.example", "192.0.2.50")
		require.Zero(t, byClient, "a refused attempt is not recorded")

		// One fails, one succeeds, one is still under way: the success
		// forgives the failure (not for its client), not the attempt under
		// way, and no longer counts itself.
		require.NoError(t, e.store.RecordLoginFailure(e.ctx, undox.LoginAttempt{ID: ids[0], Email: "b@hotline.example", Client: "192.0.2.1",
			UserID: u.ID, Reason: undox.LoginPassword}))
		byEmail, byClient = count("b@hotline.example", "192.0.2.1")
		require.Equal(t, perEmail, byEmail, "the failure still counts, once")
		require.Equal(t, 1, byClient)
		_, err = e.store.CreateSession(e.ctx, u, ids[1], secret.Hash("b-token"), time.Hour)
		require.NoError(t, err)
		byEmail, byClient = count("b@hotline.example", "192.0.2.2")
		require.Equal(t, 1, byEmail, "the attempt still under way")
		require.Zero(t, byClient, "the success")
		_, byClient = count("b@hotline.example", "192.0.2.1")
		require.Equal(t, 1, byClient, "the failure, forgiven for the account only")
		require.NoError(t, e.store.RecordLoginFailure(e.ctx, undox.LoginAttempt{ID: ids[2], Email: "b@hotline.example", Client: "192.0.2.3",
			UserID: u.ID, Reason: undox.LoginCode}))
		byEmail, _ = count("b@hotline.example", "192.0.2.3")
		require.Equal(t, 1, byEmail, "it failed after the success: it counts")
		require.Equal(t, 2, e.count(t, `SELECT count(*) FROM login_failures`), "one row per failure; none for the success")

		// Two more for the account, and it is locked out again. The last
		// one's process dies while checking: it counts as a failure.
		_, err = begin("b@hotline.example", "192.0.2.4")
		require.NoError(t, err)
		_, err = begin("b@hotline.example", "192.0.2.5")
		require.NoError(t, err)
		_, err = begin("b@hotline.example", "192.0.2.6")
		require.Equal(t, undox.ERATELIMIT, undox.ErrorCode(err))

		// Per address and client: one client's failures lock the address
		// for that client only.
		for range perPair {
			_, err := begin("c@hotline.example", "198.51.100.5")
			require.NoError(t, err)
		}
		_, err = begin("c@hotline.example", "198.51.100.5")
		require.Equal(t, undox.ERATELIMIT, undox.ErrorCode(err), "%v", err)
		_, err = begin("C@hotline.example", "198.51.100.6")
		require.NoError(t, err, "the address from another client")

		// Per client, whatever the addresses.
		for i := range perClient {
			_, err := begin("user"+strconv.Itoa(i)+"@hotline.example", "203.0.113.9")
			require.NoError(t, err)
		}
		_, err = begin("other@hotline.example", "203.0.113.9")
		require.Equal(t, undox.ERATELIMIT, undox.ErrorCode(err))
		_, err = begin("other@hotline.example", "203.0.113.10")
		require.NoError(t, err, "another client")

		// Out of the window, they no longer count; after a day they are
		// pruned, pending or not.
		e.clock.Advance(16 * time.Minute)
		_, err = begin("b@hotline.example", "192.0.2.6")
		require.NoError(t, err)
		_, err = begin("other@hotline.example", "203.0.113.9")
		require.NoError(t, err)
		e.clock.Advance(25 * time.Hour)
		id, err := begin("b@hotline.example", "192.0.2.7")
		require.NoError(t, err)
		require.NoError(t, e.store.RecordLoginFailure(e.ctx, undox.LoginAttempt{ID: id, Email: "b@hotline.example", Client: "192.0.2.7",
			UserID: u.ID, Reason: undox.LoginPassword}))
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM login_failures`))

		require.Equal(t, []string{"user.create role=analyst totp=true", "user.login_failed reason=bad_password", "user.login session=1",
			"user.login_failed reason=bad_code", "user.login_failed reason=bad_password"}, e.auditTrail(t, "user", strconv.FormatInt(u.ID, 10)),
			"attempts are audited when they end; refusals are the caller's to audit")
		requireNoAddressInAudit(t, e)
	})
}

// auditTrail returns the audit actions and their details recorded for an
// object, oldest first.
func (e *env) auditTrail(t *testing.T, objType, objID string) []string {
	t.Helper()
	entries, err := e.store.AuditEntries(e.ctx, objType, objID)
	require.NoError(t, err)
	var out []string
	for _, en := range entries {
		out = append(out, en.Action+" "+en.Detail)
	}
	return out
}

// Many attempts at once, in two processes: exactly as many begin as the
// limit allows, for one address from many clients and for one client at
// many addresses.
func TestBeginLoginAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		stores := dbtest.Processes(t, b, 2)
		const perPair, perEmail, perClient, each = 3, 5, 7, 20
		lim := undox.LoginLimits{PerAccountClient: perPair, PerAccount: perEmail, PerClient: perClient}
		since := time.Now().Add(-15 * time.Minute)
		race := func(email, client func(i int) string) (begun, refused int) {
			var (
				mu    sync.Mutex
				wg    sync.WaitGroup
				start = make(chan struct{})
			)
			for p, s := range stores {
				for i := range each {
					wg.Go(func() {
						<-start
						_, err := s.BeginLogin(ctx, email(p*each+i), client(p*each+i), since, lim)
						mu.Lock()
						defer mu.Unlock()
						switch {
						case err == nil:
							begun++
						case undox.ErrorCode(err) == undox.ERATELIMIT:
							refused++
						default:
							t.Errorf("BeginLogin: %v", err)
						}
					})
				}
			}
			close(start)
			wg.Wait()
			return begun, refused
		}

		begun, refused := race(func(int) string { return "target@hotline.example" },
			func(i int) string { return "198.51.100." + strconv.Itoa(i) })
		require.Equal(t, perEmail, begun)
		require.Equal(t, 2*each-perEmail, refused)

		begun, refused = race(func(i int) string { return "u" + strconv.Itoa(i) + "@hotline.example" },
			func(int) string { return "203.0.113.1" })
		require.Equal(t, perClient, begun)
		require.Equal(t, 2*each-perClient, refused)

		begun, refused = race(func(int) string { return "pair@hotline.example" },
			func(int) string { return "192.0.2.200" })
		require.Equal(t, perPair, begun)
		require.Equal(t, 2*each-perPair, refused)

		byEmail, byClient, err := stores[1].LoginFailures(ctx, "target@hotline.example", "203.0.113.1", since)
		require.NoError(t, err)
		require.Equal(t, perEmail, byEmail)
		require.Equal(t, perClient, byClient)
	})
}
