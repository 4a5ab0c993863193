package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/intake"
)

// Synthetic data only: reserved names (.example), made-up organisations.

// runNotice runs `undox notice ARGS…` (main.go dispatches "notice" to
// noticeCmd).
func runNotice(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := noticeCmd(context.Background(), args, nil, &out, &errb)
	if errb.Len() > 0 {
		t.Logf("undox notice %s: %s", strings.Join(args, " "), errb.String())
	}
	return out.String(), err
}

type nopQueue struct{}

func (nopQueue) EnqueueTx(context.Context, *sql.Tx, ...interface{ Kind() string }) error { return nil }

// openData opens the data folder dir as the commands do; the jobs that
// the store asks for are not worked.
func openData(t *testing.T, dir string) *app {
	t.Helper()
	c := &config{data: dir}
	require.NoError(t, c.finish(nil))
	a, err := open(context.Background(), c, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	a.store.SetQueue(nopQueue{})
	return a
}

// tracedItem reports the page u and records that undox captured and
// traced it, with the trace's answer; it returns the case's reference
// and the item's id.
func tracedItem(t *testing.T, a *app, u, answer string) (string, int64) {
	t.Helper()
	ctx := context.Background()
	in := &intake.Service{Store: a.store, PublicURL: "https://undox.meldpunt.example"}
	rc, err := in.Submit(ctx, undox.Public, intake.Submission{Report: undox.Report{URLs: []string{u}, Category: undox.CategoryDoxing}})
	require.NoError(t, err)
	cs, err := a.store.Case(ctx, undox.System, rc.CaseRef)
	require.NoError(t, err)
	id := cs.Items[0].ID
	_, err = a.store.ObserveItem(ctx, id, undox.ObserveCaptured, "", nil)
	require.NoError(t, err)
	_, err = a.store.SaveTrace(ctx, id, "net:EXAMPLE", []byte(answer))
	require.NoError(t, err)
	return rc.CaseRef, id
}

func TestNoticePreview(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := openData(t, dir)
	ref, id := tracedItem(t, a, "https://dox.example/p/9", `{"recipients":[
	 {"role":"site","organisation":"Dox Site","email":"admin@dox.example","notify":false},
	 {"role":"host","organisation":"Example Hosting B.V.","email":"abuse@hosting.example","language":"nl","notify":true}]}`)
	_, err := a.audit.Integrate(ctx, 0)
	require.NoError(t, err)
	a.close()

	item := strconv.FormatInt(id, 10)
	out, err := runNotice(t, "preview", item, "--data", dir, "--notifier-name", "Meldpunt Voorbeeld",
		"--mail-from", "meldingen@meldpunt.example", "--trusted-flagger", "ACM/UIT/000001", "--public-url", "https://undox.meldpunt.example")
	require.NoError(t, err)
	require.Contains(t, out, "To: Example Hosting B.V. <abuse@hosting.example> (host)")
	require.Contains(t, out, "Template: nl/host")
	require.Contains(t, out, "X-ARF reports: 1")
	require.Contains(t, out, "https://dox.example/p/9")
	require.Contains(t, out, "Meldpunt Voorbeeld")
	require.Contains(t, out, "ACM/UIT/000001")
	require.NotContains(t, out, ref, "a notice never names the case")

	// Nothing was stored or sent: the item is still only captured.
	a = openData(t, dir)
	it, err := a.store.Item(ctx, undox.System, id)
	require.NoError(t, err)
	require.Equal(t, undox.ItemCaptured, it.Status)
	ns, err := a.store.Notices(ctx, undox.System, id)
	require.NoError(t, err)
	require.Empty(t, ns)
	a.close()

	_, err = runNotice(t, "preview", "999999", "--data", dir, "--notifier-name", "M", "--mail-from", "m@meldpunt.example")
	require.Error(t, err)
	for _, args := range [][]string{{"notice"}, {"notice", "show", "1"}, {"notice", "preview", "x"}, {"notice", "preview", "--data", dir}} {
		_, err = runNotice(t, args[1:]...)
		require.ErrorAs(t, err, new(usageError), "%v", args)
	}
}

func TestTakedownFlags(t *testing.T) {
	var c config
	fs := newFlags("serve", &c, io.Discard)
	jobFlags(fs, &c)
	require.NoError(t, parse(fs, []string{"--mail-from", "meldingen@meldpunt.example", "--trusted-flagger", "ACM/UIT/000001"},
		[]string{"UNDOX_SMTP_URL=smtp://user:pass@127.0.0.1:2525", "UNDOX_NOTIFIER_NAME=Meldpunt Voorbeeld"}))
	o := &c.takedown
	require.Equal(t, "smtp://user:pass@127.0.0.1:2525", o.smtpURL)
	require.Equal(t, "Meldpunt Voorbeeld", o.notifierName)
	a := &app{cfg: &c, log: slog.New(slog.DiscardHandler)}
	c.publicURL = "https://undox.meldpunt.example"
	_, err := a.takedownService(&c)
	require.Error(t, err, "no store")

	var c2 config
	fs = newFlags("serve", &c2, io.Discard)
	jobFlags(fs, &c2)
	require.NoError(t, parse(fs, []string{"--smtp", "smtp://127.0.0.1:2525"}, nil))
	_, err = (&app{cfg: &c2}).takedownService(&c2)
	require.ErrorAs(t, err, new(usageError), "--smtp needs --mail-from and --notifier-name")
	var c3 config
	fs = newFlags("serve", &c3, io.Discard)
	jobFlags(fs, &c3)
	require.NoError(t, parse(fs, []string{"--policy", "/nonexistent/policy.toml"}, nil))
	_, err = (&app{cfg: &c3}).takedownService(&c3)
	require.ErrorAs(t, err, new(usageError))
}

// TestNoticePreviewTakesServesOptions: preview takes the notifier as
// serve does (flags before or after ITEM, or UNDOX_* variables), says in
// one line what is missing, names a notifier that is its organisation
// once, and invites replies by e-mail only with a replies mailbox.
func TestNoticePreviewTakesServesOptions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := openData(t, dir)
	_, id := tracedItem(t, a, "https://dox.example/p/10", `{"recipients":[
	 {"role":"host","organisation":"Example Hosting B.V.","email":"abuse@hosting.example","language":"nl","notify":true}]}`)
	_, err := a.audit.Integrate(ctx, 0)
	require.NoError(t, err)
	a.close()
	item := strconv.FormatInt(id, 10)

	// Nothing about the notifier: one line that says what to give.
	_, err = runNotice(t, "preview", item, "--data", dir)
	require.ErrorAs(t, err, new(usageError))
	require.Equal(t, "undox notice preview needs --mail-from (UNDOX_MAIL_FROM) and --notifier-name (UNDOX_NOTIFIER_NAME): "+
		"a notice names the notifier and its e-mail address, and is sent from --mail-from", err.Error())
	_, err = runNotice(t, "preview", "--data", dir, "--mail-from", "meldingen@meldpunt.example", item)
	require.EqualError(t, err, "undox notice preview needs --notifier-name (UNDOX_NOTIFIER_NAME): "+
		"a notice names the notifier and its e-mail address, and is sent from --mail-from")

	// Flags before ITEM; the hotline as its own notifier is named once.
	out, err := runNotice(t, "preview", "--data", dir, "--notifier-name", "Meldpunt Test", "--mail-from", "meldingen@meldpunt.example", item)
	require.NoError(t, err)
	require.Contains(t, out, "MELDER (art. 16, lid 2, onder c, DSA)\n\nMeldpunt Test\nmeldingen@meldpunt.example\n")
	require.True(t, strings.HasSuffix(out, "Met vriendelijke groet,\n\nMeldpunt Test\n"), out)
	require.NotContains(t, out, "Meldpunt Test, Meldpunt Test")
	require.NotContains(t, out, "op deze e-mail antwoorden", "nobody reads replies without --imap")

	// Serve's variables; a team of the organisation, a contact address of
	// its own, and a replies mailbox.
	var buf bytes.Buffer
	err = noticeCmd(ctx, []string{"preview", item}, []string{"UNDOX_DATA=" + dir, "UNDOX_NOTIFIER_NAME=Team Meldingen",
		"UNDOX_NOTIFIER_ORGANISATION=Meldpunt Test", "UNDOX_MAIL_FROM=meldingen@meldpunt.example",
		"UNDOX_NOTIFIER_EMAIL=contact@meldpunt.example", "UNDOX_IMAP_URL=imaps://replies:secret@imap.meldpunt.example/INBOX"}, &buf, io.Discard)
	require.NoError(t, err)
	out = buf.String()
	require.Contains(t, out, "MELDER (art. 16, lid 2, onder c, DSA)\n\nTeam Meldingen, Meldpunt Test\ncontact@meldpunt.example\n")
	require.True(t, strings.HasSuffix(out, "Met vriendelijke groet,\n\nTeam Meldingen\nMeldpunt Test\n"), out)
	require.Contains(t, out, "U kunt ook op deze e-mail antwoorden.")

	// Extra arguments are refused, as by the other commands.
	_, err = runNotice(t, "preview", item, "2", "--data", dir)
	require.ErrorAs(t, err, new(usageError))
}

// TestServeWarnsWithoutIMAP: serve says at start that replies to notices
// are not read when it has no replies mailbox.
func TestServeWarnsWithoutIMAP(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--log-level", "warn",
			"--dns-server", testDNS().Addr, "--screenshots", "off"}, nil, pw, &stderr)
		pw.Close()
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	started := false
	for sc.Scan() {
		if listenRE.MatchString(sc.Text()) {
			started = true
			break
		}
	}
	go io.Copy(io.Discard, pr)
	cancel()
	require.NoError(t, <-done)
	require.True(t, started, stderr.String())
	require.Contains(t, stderr.String(), "no --imap: replies to notices by e-mail are not read, so notices offer only their response link")
}
