package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/mirror"
)

// The case page lists the pages suggested for the case, here a copy of
// its confirmed page on another site, and says why; an analyst adds one
// to the case or rejects it from there. An auditor sees the list without
// the buttons, and a suggestion of another case cannot be decided under
// this one's name.
func TestConsoleLinkSuggestions(t *testing.T) {
	c := newConsole(t, nil)
	printer, err := mirror.NewPrinter([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	var words []string
	for i := range 200 {
		words = append(words, "woord"+strconv.Itoa(i%37)+"x"+strconv.Itoa(i%11)) // made-up text
	}
	post := strings.Join(words, " ")
	capture := func(ref string, itemID int64, text string) {
		t.Helper()
		p, ok := printer.Print(text)
		require.True(t, ok)
		raw, err := p.MarshalBinary()
		require.NoError(t, err)
		_, err = c.e.store.SaveCapture(c.e.ctx, undox.CaptureAttempt{ItemID: itemID, Observe: undox.ObserveCaptured, Captures: []undox.Capture{{
			CaseRef: ref, FetchedAt: c.clock.Now(), RequestedBy: "system", HTTPStatus: 200, TextPrint: raw,
			Scan: &undox.ScanResult{Findings: []byte(`[]`), Summary: []byte(`{"kinds":{},"matches":[]}`)}}}})
		require.NoError(t, err)
	}
	ref, items := c.report(t, undox.Report{URLs: []string{"https://dox.example/t/1"}, Category: undox.CategoryDoxing})
	capture(ref, items[0].ID, post)
	_, _, err = c.e.store.ConfirmItem(c.e.ctx, cli, items[0].ID, "her address")
	require.NoError(t, err)
	other, copies := c.report(t, undox.Report{URLs: []string{"https://paste.example/raw/9", "https://paste.example/raw/10"}, Category: undox.CategoryDoxing})
	capture(other, copies[0].ID, "PASTE "+post)
	capture(other, copies[1].ID, "MIRROR "+post)
	links, err := c.e.store.LinkSuggestions(c.e.ctx, cli, ref)
	require.NoError(t, err)
	require.Len(t, links, 2)

	casePath := "/cases/" + ref
	page := c.anaB.do("GET", casePath+"?lang=en", nil)
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, "Suggested pages")
	require.Contains(t, page.body, `<code class="url">https://paste.example/raw/9</code> – a copy of a page confirmed for this case`)
	require.Contains(t, page.body, `value="link_confirm"`)
	aud := c.audB.do("GET", casePath+"?lang=en", nil)
	require.Contains(t, aud.body, "https://paste.example/raw/9")
	require.NotContains(t, aud.body, `value="link_confirm"`, "an auditor reads, does not decide")

	send := func(kv ...string) answer {
		t.Helper()
		f := url.Values{"lang": {"en"}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return c.anaB.followConsole(t, c.anaB.send(casePath, f))
	}
	id := func(l *undox.LinkSuggestion) string { return strconv.FormatInt(l.ID, 10) }
	done := send("action", "link_confirm", "link", id(links[0]))
	require.Contains(t, done.body, "The page is now this case&#39;s.")
	require.Contains(t, done.body, `id="item-`+strconv.FormatInt(copies[0].ID, 10)+`"`, "the copy is an item of the case")
	done = send("action", "link_reject", "link", id(links[1]))
	require.Contains(t, done.body, "The suggestion was rejected.")
	require.Contains(t, done.body, "No suggested pages.")
	require.NotContains(t, done.body, `id="item-`+strconv.FormatInt(copies[1].ID, 10)+`"`)

	// Another case's suggestion, sent under this case's name, is refused.
	third, pages := c.report(t, undox.Report{URLs: []string{"https://third.example/a"}, Category: undox.CategoryDoxing})
	capture(third, pages[0].ID, post+" ")
	stranger, _ := c.report(t, undox.Report{URLs: []string{"https://fourth.example/b"}, Category: undox.CategoryDoxing})
	theirs, err := c.e.store.LinkSuggestions(c.e.ctx, cli, ref)
	require.NoError(t, err)
	var pending *undox.LinkSuggestion
	for _, l := range theirs {
		if l.Status == "pending" {
			pending = l
		}
	}
	require.NotNil(t, pending)
	r := c.anaB.followConsole(t, c.anaB.send("/cases/"+stranger, url.Values{"lang": {"en"}, "action": {"link_confirm"}, "link": {id(pending)}}))
	require.NotContains(t, r.body, "The page is now this case")
	after, err := c.e.store.LinkSuggestions(c.e.ctx, cli, ref)
	require.NoError(t, err)
	require.Equal(t, "pending", after[len(after)-1].Status)
}
