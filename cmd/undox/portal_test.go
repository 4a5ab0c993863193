package main

import (
	"flag"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/intake"
	"github.com/undox/undox/web"
)

// TestPortalFlagsReachThePages: the quick exit and the help links given to
// undox serve are the ones on the victim pages.
func TestPortalFlagsReachThePages(t *testing.T) {
	in := startServe(t, t.TempDir(), "", "--quick-exit-url", "https://neutral.example/weather",
		"--help-victim-support", "https://support.example/", "--help-police-report", "https://police.example/report")
	resp, err := http.Get(in.URL + "/?lang=en")
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page := string(b)
	require.Contains(t, page, `<a class="exit" href="https://neutral.example/weather" rel="noreferrer">Quick exit</a>`)
	require.Contains(t, page, `<a href="https://support.example/" rel="noreferrer">Victim support</a>`)
	require.Contains(t, page, `<a href="https://police.example/report" rel="noreferrer">Report to the police</a>`)
	require.NotContains(t, page, defaultVictimSupport)
}

func TestPortalOptions(t *testing.T) {
	parsePortal := func(args, env []string) (*config, web.Config, error) {
		c := &config{}
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		portalFlags(fs, c)
		takedownFlags(fs, c)
		wc := web.Config{Intake: &intake.Service{}}
		err := parse(fs, args, env)
		if err == nil {
			err = c.webPortal(&wc)
		}
		return c, wc, err
	}

	// The defaults: a neutral page, help in the Netherlands, no e-mail.
	_, wc, err := parsePortal(nil, nil)
	require.NoError(t, err)
	require.Equal(t, web.DefaultQuickExitURL, wc.QuickExitURL)
	require.Equal(t, web.HelpLinks{VictimSupport: "https://www.slachtofferhulp.nl/",
		PoliceReport: "https://www.politie.nl/aangifte-of-melding-doen"}, wc.HelpLinks)
	require.Nil(t, wc.Intake.Receipts)

	// From the environment, as every option; a flag wins.
	_, wc, err = parsePortal([]string{"--help-police-report", "https://flag.example/"}, []string{
		"UNDOX_QUICK_EXIT_URL=https://env.example/exit", "UNDOX_HELP_VICTIM_SUPPORT=https://env.example/support",
		"UNDOX_HELP_POLICE_REPORT=https://env.example/police"})
	require.NoError(t, err)
	require.Equal(t, "https://env.example/exit", wc.QuickExitURL)
	require.Equal(t, web.HelpLinks{VictimSupport: "https://env.example/support", PoliceReport: "https://flag.example/"}, wc.HelpLinks)

	// An empty help link is left out; the quick exit cannot be.
	_, wc, err = parsePortal([]string{"--help-victim-support", ""}, nil)
	require.NoError(t, err)
	require.Empty(t, wc.HelpLinks.VictimSupport)
	for _, bad := range [][]string{{"--quick-exit-url", ""}, {"--quick-exit-url", "javascript:alert(1)"}, {"--help-police-report", "/relative"}} {
		_, _, err = parsePortal(bad, nil)
		require.Error(t, err, "%v", bad)
		require.Equal(t, 2, exitCode(err), "%v", bad)
	}

	// With a mail server, receipts bring reporters their status link.
	_, wc, err = parsePortal([]string{"--smtp", "smtp://127.0.0.1:2525", "--mail-from", "meldpunt@hotline.example"}, nil)
	require.NoError(t, err)
	require.NotNil(t, wc.Intake.Receipts)
	require.Equal(t, "meldpunt@hotline.example", wc.Intake.Receipts.From)

	// serve refuses a bad link before it opens anything.
	data := t.TempDir()
	_, err = runCmd(t, nil, "serve", "--data", data, "--addr", "127.0.0.1:0", "--quick-exit-url", "javascript:alert(1)")
	require.Error(t, err)
	require.Equal(t, 2, exitCode(err))
	require.NoFileExists(t, data+"/undox.db")
}
