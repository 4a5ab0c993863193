package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/staff"
)

var (
	passwordRE = regexp.MustCompile(`(?m)^Password \(shown only now; keep it secret\):\n(\S+)$`)
	otpauthRE  = regexp.MustCompile(`(?m)^(otpauth://totp/\S+)$`)
)

// TestUserAddAndLogin: `undox user add` prints a password and the TOTP
// enrolment; with them, and a code computed from the printed secret, the
// new user logs in to the real server and reaches the queue.
func TestUserAddAndLogin(t *testing.T) {
	data := t.TempDir()
	out, err := runCmd(t, nil, "user", "add", "--data", data, "--email", "Root@Hotline.example", "--role", "admin", "--name", "Root")
	require.NoError(t, err, out)
	require.Contains(t, out, "Created admin account 1 for Root@Hotline.example (Root).")
	pw := passwordRE.FindStringSubmatch(out)
	require.NotNil(t, pw, out)
	require.NoError(t, staff.CheckPassword(pw[1]))
	m := otpauthRE.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.True(t, strings.HasPrefix(m[1], "otpauth://totp/undox:root@hotline.example?secret="), m[1])
	u, err := url.Parse(m[1])
	require.NoError(t, err)
	secret := u.Query().Get("secret")
	require.Equal(t, "undox", u.Query().Get("issuer"))
	require.Len(t, secret, 32)
	require.Contains(t, out, "█", "a QR code in half blocks")
	require.NotContains(t, out, secret+"\n"+secret, "the secret is printed in the URI")

	// Another account, quietly: no QR, the default name.
	out, err = runCmd(t, nil, "user", "add", "--data", data, "--email", "ana@hotline.example", "--role", "analyst", "--no-qr")
	require.NoError(t, err, out)
	require.Contains(t, out, "(ana).")
	require.NotContains(t, out, "█")
	// The same address in another case, a partner, nonsense: refused.
	_, err = runCmd(t, nil, "user", "add", "--data", data, "--email", "ANA@hotline.example", "--role", "analyst", "--no-qr")
	require.ErrorContains(t, err, "exists")
	_, err = runCmd(t, nil, "user", "add", "--data", data, "--email", "p@hotline.example", "--role", "partner")
	require.Equal(t, 2, exitCode(err))
	_, err = runCmd(t, nil, "user", "add", "--data", data, "--email", "not-an-address", "--role", "analyst")
	require.Equal(t, 2, exitCode(err))
	_, err = runCmd(t, nil, "user", "add", "--data", data, "--role", "analyst")
	require.Equal(t, 2, exitCode(err))
	_, err = runCmd(t, nil, "user")
	require.Equal(t, 2, exitCode(err))

	// A password of one's own, from standard input only.
	var buf bytes.Buffer
	err = userCmd(context.Background(), []string{"add", "--data", data, "--email", "sue@hotline.example", "--role", "supervisor",
		"--password-stdin", "--no-qr"}, nil, strings.NewReader("my own long passphrase\n"), &buf, io.Discard)
	require.NoError(t, err, buf.String())
	require.NotContains(t, buf.String(), "my own long passphrase")
	require.NotContains(t, buf.String(), "Password (shown only now")
	err = userCmd(context.Background(), []string{"add", "--data", data, "--email", "short@hotline.example", "--role", "auditor",
		"--password-stdin", "--no-qr"}, nil, strings.NewReader("short\n"), io.Discard, io.Discard)
	require.ErrorContains(t, err, "shorter than 12")

	out, err = runCmd(t, nil, "user", "list", "--data", data)
	require.NoError(t, err)
	require.Equal(t, "1\tRoot@Hotline.example\tRoot\tadmin\tactive\n2\tana@hotline.example\tana\tanalyst\tactive\n"+
		"3\tsue@hotline.example\tsue\tsupervisor\tactive\n", out)

	// Log in to the real server with what was printed.
	in := startServe(t, data, "")
	hc := newBrowser(t)
	login := func(email, password string) *http.Response {
		t.Helper()
		return webLogin(t, hc, in.URL, email, password, secret, time.Now(), "/admin")
	}
	require.Equal(t, http.StatusUnauthorized, login("root@hotline.example", pw[1]+"x").StatusCode)
	resp := login("root@hotline.example", pw[1]) // redirects followed: to /admin
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "/admin", resp.Request.URL.Path)
	resp, err = hc.Get(in.URL + "/queue?lang=en")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), "Work queue")
	require.Contains(t, string(body), "Root")

	// Disabling ends the session at once.
	out, err = runCmd(t, nil, "user", "disable", "--data", data, "--email", "ROOT@hotline.example")
	require.NoError(t, err, out)
	require.Contains(t, out, "disabled account 1 (Root)")
	resp, err = hc.Get(in.URL + "/queue")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "/login", resp.Request.URL.Path, "sent to the login")

	out, err = runCmd(t, nil, "user", "list", "--data", data, "--json")
	require.NoError(t, err)
	var list struct {
		Users []struct {
			Email      string `json:"email"`
			DisabledAt string `json:"disabled_at"`
			TOTP       bool   `json:"totp"`
		} `json:"users"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list.Users, 3)
	require.NotEmpty(t, list.Users[0].DisabledAt)
	require.True(t, list.Users[0].TOTP)
	require.Empty(t, list.Users[1].DisabledAt)
	_, err = runCmd(t, nil, "user", "disable", "--data", data, "--email", "nobody@hotline.example")
	require.ErrorContains(t, err, "not found")
}

// webLogin logs in to the server at base as a browser would, with the code
// that secret gives at time at, and follows the redirect to next.
func webLogin(t *testing.T, hc *http.Client, base, email, password, secret string, at time.Time, next string) *http.Response {
	t.Helper()
	code, err := staff.CodeAt(secret, at)
	require.NoError(t, err)
	req, err := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"email": {email},
		"password": {password}, "code": {code}, "next": {next}, "lang": {"en"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// printedCredentials reads the generated password (if printed) and the
// TOTP secret from what `undox user add|reset` printed.
func printedCredentials(t *testing.T, out string) (password, secret string) {
	t.Helper()
	if m := passwordRE.FindStringSubmatch(out); m != nil {
		password = m[1]
		require.NoError(t, staff.CheckPassword(password))
	}
	m := otpauthRE.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	u, err := url.Parse(m[1])
	require.NoError(t, err)
	secret = u.Query().Get("secret")
	require.Len(t, secret, 32)
	return password, secret
}

// newBrowser is an HTTP client with cookies that follows redirects.
func newBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, Timeout: time.Minute}
}

// TestUserResetAndEnable: `undox user reset` gives an account that forgot
// its password or lost its phone a new password and TOTP enrolment,
// printed once; the old ones stop working and its session ends at once,
// and with the new ones it logs in to the real server. `undox user
// enable` lets a disabled account log in again.
func TestUserResetAndEnable(t *testing.T) {
	data := t.TempDir()
	out, err := runCmd(t, nil, "user", "add", "--data", data, "--email", "ana@hotline.example", "--role", "analyst", "--no-qr")
	require.NoError(t, err, out)
	oldPassword, oldSecret := printedCredentials(t, out)
	require.NotEmpty(t, oldPassword)

	in := startServe(t, data, "")
	hc := newBrowser(t)
	resp := webLogin(t, hc, in.URL, "ana@hotline.example", oldPassword, oldSecret, time.Now(), "/queue")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "/queue", resp.Request.URL.Path)

	out, err = runCmd(t, nil, "user", "reset", "--data", data, "--email", "ANA@hotline.example")
	require.NoError(t, err, out)
	require.Contains(t, out, "Reset the password and TOTP of analyst account 1 for ana@hotline.example (ana): the old ones no longer work, and its sessions have ended.")
	require.Contains(t, out, "█", "a QR code in half blocks")
	password, secret := printedCredentials(t, out)
	require.NotEmpty(t, password, "a generated password is printed")
	require.NotEqual(t, oldPassword, password)
	require.NotEqual(t, oldSecret, secret)

	// The session has ended; the old password does not log in, the new
	// one with the new secret's code does.
	resp, err = hc.Get(in.URL + "/queue")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "/login", resp.Request.URL.Path, "sent to the login")
	require.Equal(t, http.StatusUnauthorized, webLogin(t, newBrowser(t), in.URL, "ana@hotline.example", oldPassword, oldSecret, time.Now(), "/queue").StatusCode)
	require.Equal(t, http.StatusUnauthorized, webLogin(t, newBrowser(t), in.URL, "ana@hotline.example", password, oldSecret, time.Now(), "/queue").StatusCode)
	resp = webLogin(t, newBrowser(t), in.URL, "ana@hotline.example", password, secret, time.Now(), "/queue")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "/queue", resp.Request.URL.Path)

	// Disabled, then enabled: in again with the same credentials (the
	// next step's code: the last one was used).
	_, err = runCmd(t, nil, "user", "disable", "--data", data, "--email", "ana@hotline.example")
	require.NoError(t, err)
	next := time.Now().Add(staff.Period)
	require.Equal(t, http.StatusUnauthorized, webLogin(t, newBrowser(t), in.URL, "ana@hotline.example", password, secret, next, "/queue").StatusCode)
	out, err = runCmd(t, nil, "user", "enable", "--data", data, "--email", "Ana@hotline.example")
	require.NoError(t, err, out)
	require.Equal(t, "enabled account 1 (ana); it logs in with the password and TOTP it had\n", out)
	resp = webLogin(t, newBrowser(t), in.URL, "ana@hotline.example", password, secret, next, "/queue")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "/queue", resp.Request.URL.Path)
	out, err = runCmd(t, nil, "user", "list", "--data", data)
	require.NoError(t, err)
	require.Equal(t, "1\tana@hotline.example\tana\tanalyst\tactive\n", out)

	// A password of one's own, from standard input only, and no QR code.
	var buf bytes.Buffer
	err = userCmd(context.Background(), []string{"reset", "--data", data, "--email", "ana@hotline.example", "--password-stdin", "--no-qr"},
		nil, strings.NewReader("my own long passphrase\n"), &buf, io.Discard)
	require.NoError(t, err, buf.String())
	require.NotContains(t, buf.String(), "my own long passphrase")
	require.NotContains(t, buf.String(), "Password (shown only now")
	require.NotContains(t, buf.String(), "█")
	ownPassword, ownSecret := printedCredentials(t, buf.String())
	require.Empty(t, ownPassword)
	resp = webLogin(t, newBrowser(t), in.URL, "ana@hotline.example", "my own long passphrase", ownSecret, time.Now(), "/queue")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "/queue", resp.Request.URL.Path)

	// Refused: a short password (nothing changes), unknown or missing
	// addresses.
	err = userCmd(context.Background(), []string{"reset", "--data", data, "--email", "ana@hotline.example", "--password-stdin", "--no-qr"},
		nil, strings.NewReader("short\n"), io.Discard, io.Discard)
	require.ErrorContains(t, err, "shorter than 12")
	resp = webLogin(t, newBrowser(t), in.URL, "ana@hotline.example", "my own long passphrase", ownSecret, time.Now().Add(staff.Period), "/queue")
	require.Equal(t, http.StatusOK, resp.StatusCode, "the password is unchanged")
	_, err = runCmd(t, nil, "user", "reset", "--data", data, "--email", "nobody@hotline.example", "--no-qr")
	require.ErrorContains(t, err, "not found")
	_, err = runCmd(t, nil, "user", "enable", "--data", data, "--email", "nobody@hotline.example")
	require.ErrorContains(t, err, "not found")
	for _, args := range [][]string{{"reset"}, {"reset", "--email", "not-an-address"}, {"enable"}} {
		_, err = runCmd(t, nil, append(append([]string{"user"}, args...), "--data", data)...)
		require.Equal(t, 2, exitCode(err), args)
	}
}

// TestErrorsSayUndoxOnce: the real program names itself once before an
// error, also for undox's own errors, which start with "undox: " already.
func TestErrorsSayUndoxOnce(t *testing.T) {
	data := t.TempDir()
	_, err := runCmd(t, nil, "user", "add", "--data", data, "--email", "ana@hotline.example", "--role", "analyst", "--no-qr")
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "user", "add", "--data", data, "--email", "ana@hotline.example", "--role", "analyst", "--no-qr")
	cmd.Env = append(os.Environ(), "UNDOX_RUN_AS_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.Error(t, cmd.Run())
	require.Regexp(t, `^undox: conflict: [^\n]*exists[^\n]*\n$`, stderr.String())

	require.Equal(t, "undox: erased: the case's personal data no longer exists",
		errorLine(undox.Errorf(undox.EERASED, "the case's personal data no longer exists")))
	require.Equal(t, "undox: --name is required", errorLine(usageError("--name is required")))
}
