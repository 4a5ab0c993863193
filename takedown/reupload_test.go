package takedown

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/dbtest"
)

// watched saves a capture of an item whose scan matched protected persons
// of other cases (person IDs "REF/n"): the watch suggests linking it.
func (f *fixture) watched(t *testing.T, it item, persons ...string) {
	t.Helper()
	var ms []string
	kinds := map[string][]string{}
	for _, p := range persons {
		ms = append(ms, `{"person":"`+p+`","kind":"name","start":0,"end":4}`)
		kinds[p] = []string{"name"}
	}
	_, err := f.store.SaveCapture(f.ctx, undox.CaptureAttempt{ItemID: it.id, Observe: undox.ObserveCaptured, Captures: []undox.Capture{{
		CaseRef: it.caseRef, FetchedAt: f.now, RequestedBy: "system", HTTPStatus: 200, Facts: []byte(`{"title":"Synthetic"}`),
		Scan: &undox.ScanResult{Findings: []byte(`[]`), Severity: 40, Persons: persons, PersonKinds: kinds,
			Summary: []byte(`{"kinds":{},"matches":[` + strings.Join(ms, ",") + `],"assessment":{}}`)}}}})
	require.NoError(t, err)
	_, err = f.store.SaveTrace(f.ctx, it.id, "net:EXAMPLE", []byte(ladderAnswer))
	require.NoError(t, err)
}

// A re-upload reported by someone else, in a case of its own, is linked
// to the victim's case and notified without an analyst when it shows the
// same protected person on the same site as an item confirmed for that
// case. Another site, or a case without a confirmed item, waits for an
// analyst's decision on the suggested link.
func TestAutoLinkReupload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		blobs, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)
		victim := f.captured(t, blobs, undox.Report{URLs: []string{"https://dox.example/p/original"}}, ladderAnswer)
		person := victim.caseRef + "/1"
		f.scanned(t, blobs, victim, "https://dox.example/p/original", person)

		reup := f.captured(t, blobs, undox.Report{URLs: []string{"https://dox.example/p/copy"}}, ladderAnswer)
		elsewhere := f.captured(t, blobs, undox.Report{URLs: []string{"https://other.example/p/copy"}}, ladderAnswer)
		f.watched(t, reup, person)
		f.watched(t, elsewhere, person)

		// Before the victim's item is confirmed, nothing happens: the
		// suggestion waits for an analyst.
		nt, err := f.svc.AutoNotifyReupload(f.ctx, reup.id)
		require.NoError(t, err)
		require.Nil(t, nt)
		links, err := f.store.LinkSuggestions(f.ctx, analyst, victim.caseRef)
		require.NoError(t, err)
		require.Len(t, links, 2)
		for _, l := range links {
			require.Equal(t, "pending", l.Status)
		}

		f.notify(t, victim)
		// The sweep (and the job each trace queues) finds the copy on the
		// same site, links it and notifies it.
		n, err := f.svc.NotifyReuploads(f.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		c, err := f.store.Case(f.ctx, analyst, victim.caseRef)
		require.NoError(t, err)
		var urls []string
		for _, it := range c.Items {
			urls = append(urls, it.URL)
		}
		require.ElementsMatch(t, []string{"https://dox.example/p/original", "https://dox.example/p/copy"}, urls)
		list := f.notices(t, reup.id)
		require.Len(t, list, 1)
		require.True(t, list[0].Automatic)
		require.Equal(t, undox.NoticeApproved, list[0].Status)
		require.Equal(t, undox.ItemConfirmed, f.itemStatus(t, reup.id))
		require.Equal(t, undox.ItemCaptured, f.itemStatus(t, elsewhere.id), "another site waits for an analyst")

		links, err = f.store.LinkSuggestions(f.ctx, analyst, victim.caseRef)
		require.NoError(t, err)
		status := map[int64]string{}
		for _, l := range links {
			status[l.ItemID] = l.Status + " " + l.DecidedBy
		}
		require.Equal(t, "confirmed automatic", status[reup.id])
		require.Equal(t, "pending ", status[elsewhere.id])
		entries, err := f.store.AuditEntries(f.ctx, "case", victim.caseRef)
		require.NoError(t, err)
		var linked bool
		for _, e := range entries {
			if e.Action == "link.confirmed" {
				linked = true
				require.Equal(t, "automatic", e.Actor)
				require.Contains(t, e.Detail, "automatic=true re-upload")
			}
		}
		require.True(t, linked)
	})
}
