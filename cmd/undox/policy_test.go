package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/policy"
)

func TestPolicyDefault(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, policyCmd(context.Background(), []string{"default"}, nil, &out, &errOut))
	require.Equal(t, string(policy.DefaultFile()), out.String())
	_, err := policy.Parse(out.Bytes())
	require.NoError(t, err)
}

func TestPolicyCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "policy.toml")
	require.NoError(t, os.WriteFile(good, policy.DefaultFile(), 0o600))
	var out, errOut bytes.Buffer
	require.NoError(t, policyCmd(context.Background(), []string{"check", good}, nil, &out, &errOut))
	require.Contains(t, out.String(), good+": valid (sha256 "+policy.Default().Digest()+")")
	require.Contains(t, out.String(), "notice → reminder@deadline(auto) → upstream+1d*(auto)")
	require.Contains(t, out.String(), "every 1h for 1d, then every 6h")
	require.Regexp(t, `intimate_images\s+yes\s+-\s+-\s+-\s+-\s+referral only \(handled as csam\)`, out.String())

	out.Reset()
	require.NoError(t, policyCmd(context.Background(), []string{"check", "--quiet", good}, nil, &out, &errOut))
	require.Empty(t, out.String())

	bad := filepath.Join(dir, "bad.toml")
	src := strings.Replace(string(policy.DefaultFile()), "deadline_hours = 24", "deadline_hours = 0\ndeadline = 1", 1)
	src = strings.Replace(src, `timezone = "Europe/Amsterdam"`, `timezone = "Nowhere/Town"`, 1)
	require.NoError(t, os.WriteFile(bad, []byte(src), 0o600))
	out.Reset()
	errOut.Reset()
	err := policyCmd(context.Background(), []string{"check", bad}, nil, &out, &errOut)
	require.EqualError(t, err, bad+" is not a valid policy: 3 problems")
	require.Empty(t, out.String())
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	require.Len(t, lines, 3, errOut.String())
	require.Regexp(t, `^`+regexp.QuoteMeta(bad)+`:\d+: calendar.timezone: "Nowhere/Town" is not an IANA`, lines[0])
	require.Regexp(t, `:\d+: category."\*".deadline: unknown key`, lines[1]+lines[2])
	require.Regexp(t, `:\d+: category."\*".deadline_hours: must be`, lines[1]+lines[2])

	// A file that cannot be read.
	err = policyCmd(context.Background(), []string{"check", filepath.Join(dir, "missing.toml")}, nil, &out, &errOut)
	require.ErrorContains(t, err, "missing.toml")
}

func TestPolicyUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{nil, {"frobnicate"}, {"check"}, {"default", "extra"}, {"check", "a", "b"}} {
		err := policyCmd(context.Background(), args, nil, &out, &errOut)
		require.Error(t, err, args)
		require.Equal(t, 2, exitCode(err), args)
	}
}

func TestPolicyHolidayWarning(t *testing.T) {
	// A file without holidays for this year gets a warning, not an error.
	src := strings.Replace(string(policy.DefaultFile()), "holidays = [", "holidays = [\n  { date = \"2001-01-01\" },", 1)
	src = regexpHolidays(src)
	path := filepath.Join(t.TempDir(), "old.toml")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	var out, errOut bytes.Buffer
	require.NoError(t, policyCmd(context.Background(), []string{"check", "--quiet", path}, nil, &out, &errOut))
	require.Contains(t, errOut.String(), "lists no holidays for "+time.Now().Format("2006"))
}

// regexpHolidays keeps only the 2001 holiday of a policy file.
func regexpHolidays(src string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(src, "\n") {
		if strings.Contains(l, `{ date = "202`) {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}
