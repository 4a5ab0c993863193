package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := &http.Client{Jar: jar, Timeout: time.Minute}
	login := func(email, password string) *http.Response {
		t.Helper()
		code, err := staff.CodeAt(secret, time.Now())
		require.NoError(t, err)
		req, err := http.NewRequest("POST", in.URL+"/login", strings.NewReader(url.Values{"email": {email},
			"password": {password}, "code": {code}, "next": {"/admin"}, "lang": {"en"}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", in.URL)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
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
