package staff_test

import (
	"context"
	"encoding/base32"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/sqlstore"
	"github.com/undox/undox/staff"
)

func TestPasswordHash(t *testing.T) {
	h, err := staff.HashPassword("correct horse battery staple")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"), h)
	ok, err := staff.VerifyPassword(h, "correct horse battery staple")
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = staff.VerifyPassword(h, "correct horse battery stapler")
	require.NoError(t, err)
	require.False(t, ok)

	h2, err := staff.HashPassword("correct horse battery staple")
	require.NoError(t, err)
	require.NotEqual(t, h, h2, "each hash has its own salt")

	// Costs are read from the hash.
	cheap, err := staff.HashPasswordWith(staff.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, "pw")
	require.NoError(t, err)
	ok, err = staff.VerifyPassword(cheap, "pw")
	require.NoError(t, err)
	require.True(t, ok)

	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", // 4 GiB
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5"} {
		_, err := staff.VerifyPassword(bad, "pw")
		require.ErrorIs(t, err, staff.ErrBadHash, bad)
	}
}

func TestGeneratedPassword(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		pw, err := staff.GeneratePassword()
		require.NoError(t, err)
		require.Regexp(t, `^[a-z2-9]{6}(-[a-z2-9]{6}){3}$`, pw)
		require.NoError(t, staff.CheckPassword(pw))
		require.False(t, seen[pw])
		seen[pw] = true
	}
	require.Equal(t, undox.EINVALID, undox.ErrorCode(staff.CheckPassword("short")))
	require.Equal(t, undox.EINVALID, undox.ErrorCode(staff.CheckPassword(strings.Repeat("x", 1025))))
}

// RFC 6238, appendix B: the SHA-1 secret "12345678901234567890"; six
// digits are the last six of the eight there.
func TestTOTPVectors(t *testing.T) {
	sec := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1111111111: "050471",
		1234567890: "005924", 2000000000: "279037", 20000000000: "353130"} {
		got, err := staff.CodeAt(sec, time.Unix(unix, 0))
		require.NoError(t, err)
		require.Equal(t, want, got, "T=%d", unix)
	}
}

func TestTOTPVerify(t *testing.T) {
	sec, err := staff.NewTOTPSecret()
	require.NoError(t, err)
	require.Len(t, sec, 32)
	now := time.Unix(1_700_000_000, 0)
	step := staff.Step(now)
	code := func(d time.Duration) string {
		c, err := staff.CodeAt(sec, now.Add(d))
		require.NoError(t, err)
		return c
	}
	// This step and the ones beside it.
	for _, d := range []time.Duration{0, -staff.Period, staff.Period} {
		got, err := staff.VerifyCode(sec, code(d), now, 0)
		require.NoError(t, err, d)
		require.Equal(t, step+int64(d/staff.Period), got)
	}
	got, err := staff.VerifyCode(sec, code(0)[:3]+" "+code(0)[3:], now, 0)
	require.NoError(t, err, "as apps show it")
	require.Equal(t, step, got)
	// Two steps away, or not a code.
	for _, c := range []string{code(-2 * staff.Period), code(2 * staff.Period), "", "12345", "1234567", "abcdef"} {
		_, err := staff.VerifyCode(sec, c, now, 0)
		require.ErrorIs(t, err, staff.ErrBadCode, c)
	}
	// A step used before is a replay; so is an earlier one.
	_, err = staff.VerifyCode(sec, code(0), now, step)
	require.ErrorIs(t, err, staff.ErrReplay)
	_, err = staff.VerifyCode(sec, code(-staff.Period), now, step)
	require.ErrorIs(t, err, staff.ErrReplay)
	got, err = staff.VerifyCode(sec, code(staff.Period), now, step)
	require.NoError(t, err, "the next step is fresh")
	require.Equal(t, step+1, got)
}

func TestEnrolmentURI(t *testing.T) {
	uri := staff.EnrolmentURI("alice@hotline.example", "JBSWY3DPEHPK3PXP")
	require.True(t, strings.HasPrefix(uri, "otpauth://totp/undox:alice@hotline.example?secret=JBSWY3DPEHPK3PXP&issuer=undox"), uri)
	u, err := url.Parse(uri)
	require.NoError(t, err)
	require.Equal(t, "otpauth", u.Scheme)
	require.Equal(t, "totp", u.Host)
	require.Equal(t, "/undox:alice@hotline.example", u.Path)
	q := u.Query()
	require.Equal(t, "SHA1", q.Get("algorithm"))
	require.Equal(t, "6", q.Get("digits"))
	require.Equal(t, "30", q.Get("period"))
}

// New credentials (of a new account, or a reset): the hash verifies the
// password, the URI enrols the secret under the address in lower case.
func TestNewCredentials(t *testing.T) {
	c, err := staff.NewCredentials("Ana@Hotline.example", "a long enough password")
	require.NoError(t, err)
	ok, err := staff.VerifyPassword(c.PasswordHash, "a long enough password")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, staff.EnrolmentURI("ana@hotline.example", c.TOTPSecret), c.URI)
	other, err := staff.NewCredentials("ana@hotline.example", "a long enough password")
	require.NoError(t, err)
	require.NotEqual(t, c.TOTPSecret, other.TOTPSecret, "a new secret each time")
	require.NotEqual(t, c.PasswordHash, other.PasswordHash, "a new salt each time")

	_, err = staff.NewCredentials("ana@hotline.example", "short")
	require.Equal(t, undox.EINVALID, undox.ErrorCode(err))
	_, err = staff.NewCredentials("not an address", "a long enough password")
	require.Equal(t, undox.EINVALID, undox.ErrorCode(err))
}

var admin = undox.Actor{Kind: "cli", Name: "operator", Role: undox.RoleAdmin}

type fixture struct {
	ctx   context.Context
	store *sqlstore.Store
	clock *dbtest.Clock
	svc   *staff.Service
}

func newFixture(t *testing.T, b dbtest.Backend) *fixture {
	s := dbtest.NewStack(t, b)
	clk := dbtest.NewClock(time.Unix(1_800_000_000, 0).UTC())
	s.Store.SetClock(clk.Now)
	return &fixture{ctx: context.Background(), store: s.Store, clock: clk, svc: &staff.Service{Store: s.Store}}
}

// account creates an account and returns its TOTP secret.
func (f *fixture) account(t *testing.T, email string, role undox.Role, password string) (string, *undox.User) {
	t.Helper()
	acc, err := staff.NewAccount(email, strings.Split(email, "@")[0], role, password)
	require.NoError(t, err)
	u, err := f.store.CreateUser(f.ctx, admin, acc.NewUser)
	require.NoError(t, err)
	return acc.TOTPSecret, u
}

func (f *fixture) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := staff.CodeAt(secret, f.clock.Now())
	require.NoError(t, err)
	return c
}

func (f *fixture) reasons(t *testing.T, uid string) []string {
	t.Helper()
	entries, err := f.store.AuditEntries(f.ctx, "user", uid)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimPrefix(e.Action, "user.")+":"+strings.TrimPrefix(e.Detail, "reason="))
	}
	return out
}

// Logging in takes the password and a fresh code; every other way fails
// alike and is audited with its reason.
func TestLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newFixture(t, b)
		const pw = "a long enough password"
		sec, u := f.account(t, "ana@hotline.example", undox.RoleAnalyst, pw)

		for _, try := range []struct{ email, pw, code string }{
			{"ana@hotline.example", "wrong password!", f.code(t, sec)},
			{"ana@hotline.example", pw, "000000"},
			{"nobody@hotline.example", pw, f.code(t, sec)},
		} {
			_, err := f.svc.Login(f.ctx, try.email, try.pw, try.code, "192.0.2.1")
			require.Same(t, staff.ErrLogin, err, "%+v", try)
		}

		login, err := f.svc.Login(f.ctx, "ANA@hotline.example", pw, f.code(t, sec), "192.0.2.1")
		require.NoError(t, err)
		require.Equal(t, u.ID, login.User.ID)
		require.GreaterOrEqual(t, len(login.Token), 40)
		require.True(t, login.Session.ExpiresAt.Equal(f.clock.Now().Add(staff.DefaultMaxAge)))

		// The same code again is a replay, even with the right password.
		_, err = f.svc.Login(f.ctx, "ana@hotline.example", pw, f.code(t, sec), "192.0.2.1")
		require.Same(t, staff.ErrLogin, err)
		f.clock.Advance(staff.Period)
		_, err = f.svc.Login(f.ctx, "ana@hotline.example", pw, f.code(t, sec), "192.0.2.1")
		require.NoError(t, err, "the next step's code works")

		ses, su, err := f.svc.Session(f.ctx, login.Token)
		require.NoError(t, err)
		require.Equal(t, login.Session.ID, ses.ID)
		require.Equal(t, undox.RoleAnalyst, su.Role)
		_, _, err = f.svc.Session(f.ctx, login.Token+"x")
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err))
		_, _, err = f.svc.Session(f.ctx, "")
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err))

		// Idle for longer than the idle timeout.
		f.clock.Advance(staff.DefaultIdleTimeout + time.Minute)
		_, _, err = f.svc.Session(f.ctx, login.Token)
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err))

		// Logout.
		f.clock.Advance(staff.Period)
		again, err := f.svc.Login(f.ctx, "ana@hotline.example", pw, f.code(t, sec), "192.0.2.1")
		require.NoError(t, err)
		require.NoError(t, f.svc.Logout(f.ctx, again.Token))
		_, _, err = f.svc.Session(f.ctx, again.Token)
		require.Equal(t, undox.EUNAUTHORIZED, undox.ErrorCode(err))

		// Without TOTP enrolled, or disabled: no login, whatever is typed.
		acc, err := staff.NewAccount("nototp@hotline.example", "No TOTP", undox.RoleAdmin, pw)
		require.NoError(t, err)
		acc.NewUser.TOTPSecret = ""
		nt, err := f.store.CreateUser(f.ctx, admin, acc.NewUser)
		require.NoError(t, err)
		_, err = f.svc.Login(f.ctx, "nototp@hotline.example", pw, f.code(t, acc.TOTPSecret), "192.0.2.1")
		require.Same(t, staff.ErrLogin, err)
		_, err = f.store.DisableUser(f.ctx, admin, "ana@hotline.example")
		require.NoError(t, err)
		f.clock.Advance(staff.Period)
		_, err = f.svc.Login(f.ctx, "ana@hotline.example", pw, f.code(t, sec), "192.0.2.1")
		require.Same(t, staff.ErrLogin, err)

		id := func(u *undox.User) string { return strconv.FormatInt(u.ID, 10) }
		require.Equal(t, []string{"create:role=analyst totp=true", "login_failed:bad_password", "login_failed:bad_code",
			"login:session=1", "login_failed:replayed_code", "login:session=2", "login:session=3", "logout:session=3",
			"disable:sessions_revoked=2", "login_failed:disabled"}, f.reasons(t, id(u)))
		require.Contains(t, f.reasons(t, id(nt)), "login_failed:totp_not_enrolled")
		require.Equal(t, []string{"login_failed:unknown_account"}, f.reasons(t, "unknown"))
	})
}

// Five failures within the window lock the account for the client address
// they came from, right credentials or not, until they age out; the owner
// logs in from elsewhere all the same. A client address that tries many
// accounts is locked out too.
func TestLoginThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newFixture(t, b)
		const pw = "a long enough password"
		sec, _ := f.account(t, "sue@hotline.example", undox.RoleSupervisor, pw)
		for i := 0; i < staff.DefaultPerAccountClient; i++ {
			_, err := f.svc.Login(f.ctx, "sue@hotline.example", "guess "+strconv.Itoa(i)+" xxxxxx", "123456", "198.51.100.1")
			require.Same(t, staff.ErrLogin, err)
			f.clock.Advance(time.Minute)
		}
		_, err := f.svc.Login(f.ctx, "sue@hotline.example", pw, f.code(t, sec), "198.51.100.1")
		var th *staff.Throttled
		require.True(t, errors.As(err, &th), "%v", err)
		require.Equal(t, staff.DefaultWindow, th.RetryAfter)
		require.Contains(t, th.Error(), "15 minutes")

		// The guesses from one address do not lock the owner out from
		// another.
		login, err := f.svc.Login(f.ctx, "sue@hotline.example", pw, f.code(t, sec), "192.0.2.7")
		require.NoError(t, err, "the right password and code from another address")
		require.NotEmpty(t, login.Token)

		// The guessing address: once the first failure ages out of the
		// window, one more try.
		_, err = f.svc.Login(f.ctx, "sue@hotline.example", "guess again xxxxxx", "123456", "198.51.100.1")
		require.True(t, errors.As(err, &th), "%v", err)
		f.clock.Advance(staff.DefaultWindow - staff.DefaultPerAccountClient*time.Minute + time.Second)
		_, err = f.svc.Login(f.ctx, "sue@hotline.example", "guess again xxxxxx", "123456", "198.51.100.1")
		require.Same(t, staff.ErrLogin, err)

		// Per client: many accounts from one address.
		f.clock.Advance(time.Hour)
		for i := 0; i < staff.DefaultPerClient; i++ {
			_, err := f.svc.Login(f.ctx, "user"+strconv.Itoa(i)+"@hotline.example", pw, "123456", "203.0.113.5")
			require.Same(t, staff.ErrLogin, err)
		}
		_, err = f.svc.Login(f.ctx, "sue@hotline.example", pw, f.code(t, sec), "203.0.113.5")
		require.True(t, errors.As(err, &th), "%v", err)
		f.clock.Advance(staff.Period)
		_, err = f.svc.Login(f.ctx, "sue@hotline.example", pw, f.code(t, sec), "192.0.2.7")
		require.NoError(t, err, "other clients are not locked out")

		// Many attempts at once get no more guesses than one after the
		// other: the limit holds.
		f.clock.Advance(time.Hour)
		results := make(chan error, 3*staff.DefaultPerAccountClient)
		var wg sync.WaitGroup
		for i := 0; i < cap(results); i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.Login(f.ctx, "sue@hotline.example", "guess at once "+strconv.Itoa(i), "123456", "198.51.100.77")
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		guesses := 0
		for err := range results {
			if err == staff.ErrLogin {
				guesses++
			} else {
				require.True(t, errors.As(err, &th), "%v", err)
			}
		}
		require.Equal(t, staff.DefaultPerAccountClient, guesses, "the password was checked this often")
	})
}
