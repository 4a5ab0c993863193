package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTokenListAndRevoke: `undox token list` shows every API token (id,
// name, role, the staff account it was made for, created, revoked) and
// never a secret; `undox token revoke ID` ends one at once on the running
// server, and the list says so.
func TestTokenListAndRevoke(t *testing.T) {
	data := t.TempDir()
	out, err := runCmd(t, nil, "user", "add", "--data", data, "--email", "ana@hotline.example", "--role", "analyst", "--no-qr")
	require.NoError(t, err, out)
	tokenOf := func(out string) string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		return lines[len(lines)-1]
	}
	out, err = runCmd(t, nil, "token", "create", "--data", data, "--role", "analyst", "--name", "ana's laptop", "--user", "ana@hotline.example")
	require.NoError(t, err, out)
	ana := tokenOf(out)
	out, err = runCmd(t, nil, "token", "create", "--data", data, "--role", "partner", "--name", "partner-a")
	require.NoError(t, err, out)
	partner := tokenOf(out)

	out, err = runCmd(t, nil, "token", "list", "--data", data)
	require.NoError(t, err, out)
	require.Regexp(t, regexp.MustCompile(`(?m)^1\tana's laptop\tanalyst\tana@hotline\.example\t\d{4}-\d\d-\d\dT[\d:]+Z\tactive$`), out)
	require.Regexp(t, regexp.MustCompile(`(?m)^2\tpartner-a\tpartner\t-\t\d{4}-\d\d-\d\dT[\d:]+Z\tactive$`), out)
	require.NotContains(t, out, ana)
	require.NotContains(t, out, partner)

	in := startServe(t, data, "")
	status := func(tok string) int {
		code, _ := call(t, "GET", in.URL+"/api/v1/cases", tok, nil)
		return code
	}
	require.Equal(t, http.StatusOK, status(ana))

	out, err = runCmd(t, nil, "token", "revoke", "1", "--data", data)
	require.NoError(t, err, out)
	require.Contains(t, out, `Revoked analyst token 1 ("ana's laptop")`)
	require.Equal(t, http.StatusUnauthorized, status(ana), "revoked at once, on the running server")

	out, err = runCmd(t, nil, "token", "list", "--data", data, "--json")
	require.NoError(t, err, out)
	var list struct {
		Tokens []map[string]any `json:"tokens"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list.Tokens, 2)
	require.Equal(t, "ana@hotline.example", list.Tokens[0]["user"])
	require.NotEmpty(t, list.Tokens[0]["revoked_at"])
	require.Nil(t, list.Tokens[1]["revoked_at"], "the partner's token lives on")
	require.NotContains(t, out, ana)
	require.NotContains(t, out, "hash")
	out, err = runCmd(t, nil, "token", "list", "--data", data)
	require.NoError(t, err, out)
	require.Regexp(t, regexp.MustCompile(`(?m)^1\tana's laptop\tanalyst\tana@hotline\.example\t\S+\trevoked \d{4}-\d\d-\d\dT[\d:]+Z$`), out)

	_, err = runCmd(t, nil, "token", "revoke", "--data", data, "99")
	require.ErrorContains(t, err, "not found")
	_, err = runCmd(t, nil, "token", "revoke", "--data", data, "abc")
	require.Equal(t, 2, exitCode(err))
	_, err = runCmd(t, nil, "token", "revoke", "--data", data)
	require.Equal(t, 2, exitCode(err))
	_, err = runCmd(t, nil, "token", "delete", "--data", data)
	require.Equal(t, 2, exitCode(err))
}
