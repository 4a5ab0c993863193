package staff_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/staff"
)

// Two processes, each sent many wrong guesses at one account at once from
// many addresses, check no more passwords between them than the account's
// ceiling across all addresses allows; then the right password is refused
// too, from any address, until the failures age out.
func TestLoginThrottleAcrossProcesses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		clk := dbtest.NewClock(time.Unix(1_800_000_000, 0).UTC())
		stores := dbtest.Processes(t, b, 2)
		for _, s := range stores {
			s.SetClock(clk.Now)
		}
		const pw = "a long enough password"
		acc, err := staff.NewAccount("sue@hotline.example", "Sue", undox.RoleSupervisor, pw)
		require.NoError(t, err)
		u, err := stores[0].CreateUser(ctx, admin, acc.NewUser)
		require.NoError(t, err)

		const perAccount = 6 // the ceiling across addresses, low for the test
		const perProcess = 3 * perAccount
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			results = make(chan error, len(stores)*perProcess)
			checks  []func() int64
		)
		for p, s := range stores {
			svc := &staff.Service{Store: s, Limits: staff.Limits{PerAccount: perAccount}}
			checks = append(checks, staff.CountPasswordChecks(svc))
			for i := 0; i < perProcess; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					// Each guess from a client of its own: only the
					// account's limit can stop them.
					_, err := svc.Login(ctx, "sue@hotline.example", "guess "+strconv.Itoa(i)+" xxxxxx", "123456", "198.51.100."+strconv.Itoa(p*perProcess+i))
					results <- err
				}()
			}
		}
		close(start)
		wg.Wait()
		close(results)
		var wrong, throttled int
		for err := range results {
			var th *staff.Throttled
			switch {
			case err == staff.ErrLogin:
				wrong++
			case errors.As(err, &th):
				throttled++
			default:
				t.Fatalf("a guess failed otherwise: %v", err)
			}
		}
		var checked int64
		for _, n := range checks {
			checked += n()
		}
		require.Equal(t, int64(perAccount), checked, "passwords checked in both processes together")
		require.Equal(t, perAccount, wrong)
		require.Equal(t, len(stores)*perProcess-perAccount, throttled)
		entries, err := stores[1].AuditEntries(ctx, "user", strconv.FormatInt(u.ID, 10))
		require.NoError(t, err)
		var badPassword, refused int
		for _, e := range entries {
			switch e.Detail {
			case "reason=" + undox.LoginPassword:
				badPassword++
			case "reason=" + undox.LoginThrottled:
				refused++
			}
		}
		require.Equal(t, perAccount, badPassword, "audited")
		require.Equal(t, throttled, refused, "audited")

		// The owner, with the right password and code, in either process:
		// refused within the window, let in after it.
		code := func() string {
			c, err := staff.CodeAt(acc.TOTPSecret, clk.Now())
			require.NoError(t, err)
			return c
		}
		for _, s := range stores {
			svc := &staff.Service{Store: s, Limits: staff.Limits{PerAccount: perAccount}}
			_, err := svc.Login(ctx, "sue@hotline.example", pw, code(), "192.0.2.7")
			var th *staff.Throttled
			require.True(t, errors.As(err, &th), "%v", err)
		}
		clk.Advance(staff.DefaultWindow + time.Second)
		login, err := (&staff.Service{Store: stores[1], Limits: staff.Limits{PerAccount: perAccount}}).Login(ctx, "sue@hotline.example", pw, code(), "192.0.2.7")
		require.NoError(t, err)
		require.Equal(t, u.ID, login.User.ID)
	})
}
