package takedown

import (
	"bytes"
	"encoding/json"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/dbtest"
)

// Each milestone gets a plain entry on the timeline of an nl case, in
// Dutch, and an e-mail to the reporter who asked for updates, with a
// neutral subject and nothing personal.
func TestVictimTimeline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		blobs, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)
		const email = "slachtoffer@mail.example"
		it := f.captured(t, blobs, undox.Report{URLs: []string{"https://dox.example/p/timeline"}, Language: "nl",
			ReporterEmail: email, Consent: true, Description: "Mijn adres staat online"}, ladderAnswer)
		quiet := f.captured(t, blobs, undox.Report{URLs: []string{"https://dox.example/p/quiet"}, Language: "en"}, ladderAnswer)
		f.notify(t, it)
		f.notify(t, quiet)
		before := len(f.be.messages())

		added, err := f.svc.UpdateTimelines(f.ctx)
		require.NoError(t, err)
		require.Equal(t, 2, added)
		tl, err := f.store.Timeline(f.ctx, it.caseRef)
		require.NoError(t, err)
		require.Len(t, tl, 1)
		require.Equal(t, undox.MilestoneNotified, tl[0].Milestone)
		require.Equal(t, "nl", tl[0].Language)
		require.Contains(t, tl[0].Text, "gevraagd de inhoud te verwijderen")
		en, err := f.store.Timeline(f.ctx, quiet.caseRef)
		require.NoError(t, err)
		require.Len(t, en, 1)
		require.Contains(t, en[0].Text, "We asked")

		// One e-mail, to the reporter who asked for one.
		msgs := f.be.messages()[before:]
		require.Len(t, msgs, 1)
		require.Equal(t, []string{email}, msgs[0].To)
		m, err := netmail.ReadMessage(bytes.NewReader(msgs[0].Data))
		require.NoError(t, err)
		subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		require.NoError(t, err)
		require.Equal(t, "Nieuws over uw melding", subject)
		raw := string(msgs[0].Data)
		_, body, _ := strings.Cut(raw, "\r\n\r\n")
		for _, personal := range []string{email, "slachtoffer", it.caseRef, "dox.example", "Hosting", "adres"} {
			require.NotContains(t, body, personal)
			require.NotContains(t, subject, personal)
		}
		require.NotContains(t, raw, it.caseRef)
		require.NotContains(t, raw, "dox.example")

		// Running again adds nothing and sends nothing.
		added, err = f.svc.UpdateTimelines(f.ctx)
		require.NoError(t, err)
		require.Zero(t, added)
		require.Len(t, f.be.messages(), before+1)

		// Escalated, removed, closed.
		_, err = f.store.ObserveItem(f.ctx, it.id, undox.ObserveOverdue, "", nil)
		require.NoError(t, err)
		_, err = f.store.ObserveItem(f.ctx, it.id, undox.ObserveGone, "", nil)
		require.NoError(t, err)
		// Its only page removed, the case closes by itself.
		c, err := f.store.Case(f.ctx, supervisor, it.caseRef)
		require.NoError(t, err)
		require.Equal(t, undox.CaseClosed, c.Status)
		entries, err := f.store.AuditEntries(f.ctx, "case", it.caseRef)
		require.NoError(t, err)
		var closing []undox.AuditEntry
		for _, e := range entries {
			if e.Action == "case.close" {
				closing = append(closing, e)
			}
		}
		require.Len(t, closing, 1)
		require.Equal(t, "system", closing[0].Actor)
		require.Contains(t, closing[0].Detail, "open->closed item=")
		require.Contains(t, closing[0].Detail, "automatic")
		added, err = f.svc.UpdateTimelines(f.ctx)
		require.NoError(t, err)
		require.Equal(t, 3, added)
		tl, err = f.store.Timeline(f.ctx, it.caseRef)
		require.NoError(t, err)
		var got []string
		for _, e := range tl {
			got = append(got, e.Milestone)
			require.Equal(t, "nl", e.Language)
		}
		require.Equal(t, []string{"notified", "escalated", "removed", "closed"}, got)
		require.Contains(t, tl[2].Text, "offline gehaald")
		require.Contains(t, tl[3].Text, "Uw melding is afgehandeld")
		require.Len(t, f.be.messages(), before+2, "the three steps that came together are one e-mail")
		_, err = f.svc.UpdateTimelines(f.ctx)
		require.NoError(t, err)
		require.Len(t, f.be.messages(), before+2, "and that e-mail covers them all")

		// The content comes back: the case reopens by itself.
		_, err = f.store.ObserveItem(f.ctx, it.id, undox.ObserveBack, "", nil)
		require.NoError(t, err)
		c, err = f.store.Case(f.ctx, supervisor, it.caseRef)
		require.NoError(t, err)
		require.Equal(t, undox.CaseOpen, c.Status)
	})
}

// A re-upload of content already confirmed for a case (the same protected
// person, the same site) is confirmed and notified automatically; another
// site, or another person, waits for an analyst.
func TestAutoNotifyReupload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		blobs, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)
		first := f.captured(t, blobs, undox.Report{URLs: []string{"https://dox.example/p/first", "https://dox.example/p/again",
			"https://other.example/p/1", "https://dox.example/p/someone-else"}}, ladderAnswer, "case-person-1")
		f.notify(t, first)
		c, err := f.store.Case(f.ctx, analyst, first.caseRef)
		require.NoError(t, err)
		ids := map[string]int64{}
		for _, it := range c.Items {
			ids[it.URL] = it.ID
		}
		again := item{caseRef: first.caseRef, id: ids["https://dox.example/p/again"]}
		elsewhere := item{caseRef: first.caseRef, id: ids["https://other.example/p/1"]}
		someone := item{caseRef: first.caseRef, id: ids["https://dox.example/p/someone-else"]}
		for _, x := range []struct {
			it      item
			url     string
			persons []string
		}{{again, "https://dox.example/p/again", []string{"case-person-1"}}, {elsewhere, "https://other.example/p/1", []string{"case-person-1"}},
			{someone, "https://dox.example/p/someone-else", []string{"case-person-2"}}} {
			f.scanned(t, blobs, x.it, x.url, x.persons...)
		}

		// Each trace of an item that may be a re-upload queued the
		// decision at once (the sweep below is the fallback).
		res, err := f.queue.Client.JobList(f.ctx, river.NewJobListParams().Kinds("reupload"))
		require.NoError(t, err)
		queued := map[int64]bool{}
		for _, j := range res.Jobs {
			var a undox.ReuploadJob
			require.NoError(t, json.Unmarshal(j.EncodedArgs, &a))
			queued[a.ItemID] = true
		}
		require.Equal(t, map[int64]bool{again.id: true, elsewhere.id: true, someone.id: true}, queued)
		// Its worker decides as the sweep does.
		nt, err := f.svc.AutoNotifyReupload(f.ctx, someone.id)
		require.NoError(t, err)
		require.Nil(t, nt, "another person waits for an analyst")

		n, err := f.svc.NotifyReuploads(f.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		list := f.notices(t, again.id)
		require.Len(t, list, 1)
		require.True(t, list[0].Automatic)
		require.Equal(t, undox.NoticeApproved, list[0].Status)
		require.Equal(t, undox.ItemConfirmed, f.itemStatus(t, again.id))
		require.Equal(t, undox.ItemCaptured, f.itemStatus(t, elsewhere.id), "another site waits for an analyst")
		require.Equal(t, undox.ItemCaptured, f.itemStatus(t, someone.id), "another person waits for an analyst")

		// It goes out marked automatic.
		_, m, _ := f.sendLatest(t, again.id)
		require.Equal(t, "auto-generated", m.Header.Get("Auto-Submitted"))
		entries, err := f.store.AuditEntries(f.ctx, "item", itoa(again.id))
		require.NoError(t, err)
		var marked bool
		for _, e := range entries {
			if e.Action == "automation.reupload" {
				marked = true
				require.Equal(t, "automatic", e.Actor)
				require.Contains(t, e.Detail, "automatic=true")
			}
		}
		require.True(t, marked)

		// A policy without automatic re-uploads does nothing.
		n2, err := f.svc.AutoNotifyReupload(f.ctx, elsewhere.id)
		require.NoError(t, err)
		require.Nil(t, n2)
	})
}

// scanned saves a capture of an item with a scan that matched persons.
func (f *fixture) scanned(t *testing.T, blobs *blob.Dir, it item, url string, persons ...string) {
	t.Helper()
	var ms []string
	for _, p := range persons {
		ms = append(ms, `{"person":"`+p+`","kind":"name","start":0,"end":4}`)
	}
	_, err := f.store.SaveCapture(f.ctx, undox.CaptureAttempt{ItemID: it.id, Observe: undox.ObserveCaptured, Captures: []undox.Capture{{
		CaseRef: it.caseRef, FetchedAt: f.now, RequestedBy: "system", HTTPStatus: 200, Facts: []byte(`{"title":"Synthetic"}`),
		Scan: &undox.ScanResult{Findings: []byte(`[]`), Severity: 40,
			Summary: []byte(`{"kinds":{},"matches":[` + strings.Join(ms, ",") + `],"assessment":{}}`)}}}})
	require.NoError(t, err)
	_, err = f.store.SaveTrace(f.ctx, it.id, "net:EXAMPLE", []byte(ladderAnswer))
	require.NoError(t, err)
}
