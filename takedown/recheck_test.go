package takedown

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/capture"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/dnstest"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/personal"
	"github.com/undox/undox/policy"
	"github.com/undox/undox/sqlstore"
)

// Synthetic data only: made-up people at made-up addresses, reserved
// names (.test).
const doxPage = `<html><head><title>Synthetic Person exposed</title></head><body>
<h1>Synthetic Person</h1><p>Lives at Voorbeeldstraat 1, 1234 AB Testdorp</p></body></html>`

// doxSite is a doxing site on loopback whose pages the test changes: a
// path answers with a status and a body, or redirects.
type doxSite struct {
	mu    sync.Mutex
	pages map[string]page
	port  string
}

type page struct {
	status   int
	body     string
	location string
}

func (s *doxSite) set(path string, p page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = p
}

func (s *doxSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p, ok := s.pages[r.URL.Path]
	s.mu.Unlock()
	switch {
	case !ok:
		http.NotFound(w, r)
	case p.location != "":
		http.Redirect(w, r, p.location, http.StatusFound)
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if p.status != 0 {
			w.WriteHeader(p.status)
		}
		fmt.Fprint(w, p.body)
	}
}

type recheckFixture struct {
	*fixture
	site  *doxSite
	dns   *dnstest.Server
	capt  *capture.Service
	fetch *fetch.Fetcher
	rules policy.Rules
	// down is a port on which nobody listens.
	down string
}

func recheckSetup(t *testing.T, b dbtest.Backend) *recheckFixture {
	t.Helper()
	f := &recheckFixture{fixture: setup(t, b), site: &doxSite{pages: map[string]page{}}}
	srv := httptest.NewServer(f.site)
	t.Cleanup(srv.Close)
	_, f.site.port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, f.down, _ = net.SplitHostPort(l.Addr().String())
	l.Close()
	lo := netip.MustParseAddr("127.0.0.1")
	f.dns = dnstest.Start(t, map[string][]netip.Addr{"dox.test": {lo}, "gone.test": {lo}, "down.test": {lo}})
	f.fetch = fetch.New(fetch.Config{
		AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		AllowAnyPort:  true,
		Resolver:      fetch.DNSServer(f.dns.Addr),
	})
	blobs, err := blob.NewDir(t.TempDir())
	require.NoError(t, err)
	f.capt = capture.NewService(capture.Config{Store: f.store, Blobs: blobs, Fetcher: f.fetch, MaxImages: -1,
		Scanner: &personal.Scanner{}})
	f.svc.cfg.Capture = f.capt
	f.rules = f.svc.cfg.Policy.For(undox.CategoryDoxing, false)
	return f
}

func (f *recheckFixture) url(host, path string) string {
	return "http://" + host + ":" + f.site.port + path
}

// notified reports u, captures it for real (the original evidence, with
// its scan), traces, confirms and sends its notice; it returns the item.
func (f *recheckFixture) notified(t *testing.T, u string) *undox.Item {
	t.Helper()
	in := &intake.Service{Store: f.store, PublicURL: "https://undox.hotline.example"}
	rc, err := in.Submit(f.ctx, undox.Public, intake.Submission{Report: undox.Report{URLs: []string{u}, Category: undox.CategoryDoxing}})
	require.NoError(t, err)
	c, err := f.store.Case(f.ctx, analyst, rc.CaseRef)
	require.NoError(t, err)
	id := c.Items[0].ID
	require.NoError(t, f.capt.Item(f.ctx, undox.CaptureJob{ItemID: id}))
	info, err := f.store.RecheckInfo(f.ctx, id)
	require.NoError(t, err)
	require.True(t, info.Baseline.Known(), "the original capture's scan found personal data")
	_, err = f.store.SaveTrace(f.ctx, id, "net:EXAMPLE", []byte(traceAnswer))
	require.NoError(t, err)
	_, n, err := f.store.ConfirmItem(f.ctx, analyst, id, "doxes a home address")
	require.NoError(t, err)
	_, err = f.store.ApproveNotice(f.ctx, analyst, n.ID)
	require.NoError(t, err)
	_, err = f.stack.Log.Integrate(f.ctx, 0)
	require.NoError(t, err)
	require.NoError(t, f.svc.Send(f.ctx, n.ID, false))
	return f.item(t, id)
}

func (f *recheckFixture) item(t *testing.T, id int64) *undox.Item {
	t.Helper()
	it, err := f.store.Item(f.ctx, analyst, id)
	require.NoError(t, err)
	return it
}

func (f *recheckFixture) schedule(t *testing.T, id int64) *sqlstore.RecheckSchedule {
	t.Helper()
	s, err := f.store.ItemRecheckSchedule(f.ctx, id)
	require.NoError(t, err)
	require.NotNil(t, s)
	return s
}

// check runs a check asked for now.
func (f *recheckFixture) check(t *testing.T, id int64) *undox.Check {
	t.Helper()
	c, err := f.svc.Recheck(f.ctx, undox.RecheckJob{ItemID: id, Reason: undox.RecheckStaff})
	require.NoError(t, err)
	require.NotNil(t, c)
	return c
}

// due moves the clock to the item's next scheduled check and runs it, as
// the queue would.
func (f *recheckFixture) due(t *testing.T, id int64) *undox.Check {
	t.Helper()
	j := f.scheduledJob(t, id)
	s := f.schedule(t, id)
	require.NotNil(t, s.NextAt)
	f.now = *s.NextAt
	c, err := f.svc.Recheck(f.ctx, j)
	require.NoError(t, err)
	require.NotNil(t, c)
	return c
}

// jobs returns the queued re-check jobs of an item, oldest first.
func (f *recheckFixture) jobs(t *testing.T, kind string, id int64) []*rivertype.JobRow {
	t.Helper()
	res, err := f.queue.Client.JobList(f.ctx, river.NewJobListParams().Kinds(kind).First(10000))
	require.NoError(t, err)
	var out []*rivertype.JobRow
	for _, j := range res.Jobs {
		var a struct {
			ItemID int64 `json:"item_id"`
		}
		require.NoError(t, json.Unmarshal(j.EncodedArgs, &a))
		if a.ItemID == id {
			out = append(out, j)
		}
	}
	return out
}

// scheduledJob returns the live scheduled check of an item, and checks
// that the queue holds it at the schedule's time.
func (f *recheckFixture) scheduledJob(t *testing.T, id int64) undox.RecheckJob {
	t.Helper()
	s := f.schedule(t, id)
	require.NotNil(t, s.NextAt, "a check is scheduled")
	for _, row := range f.jobs(t, "recheck", id) {
		var j undox.RecheckJob
		require.NoError(t, json.Unmarshal(row.EncodedArgs, &j))
		if j.Seq == s.Seq {
			require.True(t, row.ScheduledAt.Equal(*s.NextAt), "queued for %s, scheduled for %s", row.ScheduledAt, *s.NextAt)
			return j
		}
	}
	t.Fatalf("no queued job for the schedule's seq %d", s.Seq)
	return undox.RecheckJob{}
}

func (f *recheckFixture) checks(t *testing.T, id int64) []*undox.Check {
	t.Helper()
	cs, err := f.store.Checks(f.ctx, analyst, id, 0)
	require.NoError(t, err)
	return cs
}

// requireKept checks that a check's capture is kept as evidence for the
// item's case, with its audit entry.
func (f *recheckFixture) requireKept(t *testing.T, c *undox.Check, status int) {
	t.Helper()
	require.NotNil(t, c.CaptureID, "the confirming check is kept as evidence")
	caps, err := f.store.ItemCaptures(f.ctx, analyst, c.ItemID)
	require.NoError(t, err)
	var kept *undox.Capture
	for _, p := range caps {
		if p.ID == *c.CaptureID {
			kept = p
		}
	}
	require.NotNil(t, kept)
	require.Equal(t, sqlstore.RecheckLabel, kept.RequestedBy)
	require.Equal(t, status, kept.HTTPStatus)
	entries, err := f.store.AuditEntries(f.ctx, "item", fmt.Sprint(c.ItemID))
	require.NoError(t, err)
	found := false
	for _, e := range entries {
		found = found || e.Action == "capture" && strings.Contains(e.Detail, fmt.Sprintf("capture=%d ", kept.ID))
	}
	require.True(t, found, "the kept capture has its audit entry")
}

func TestRecheckStillUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := recheckSetup(t, b)
		f.site.set("/p/up", page{body: doxPage})
		it := f.notified(t, f.url("dox.test", "/p/up"))
		require.Equal(t, undox.ItemNotified, it.Status)
		traces := len(f.jobs(t, "trace", it.ID))

		c := f.check(t, it.ID)
		require.Equal(t, undox.CheckUp, c.Outcome)
		require.Equal(t, 200, c.HTTPStatus)
		require.False(t, c.Absent)
		require.Nil(t, c.CaptureID)
		require.Equal(t, undox.ItemNotified, f.item(t, it.ID).Status)
		require.Len(t, f.jobs(t, "trace", it.ID), traces+1, "each check queues a re-trace")
		list := f.checks(t, it.ID)
		require.Len(t, list, 1)
		require.Equal(t, c.ID, list[0].ID)
	})
}

func TestRecheckGoneTwiceRemoves(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := recheckSetup(t, b)
		f.site.set("/p/404", page{body: doxPage})
		it := f.notified(t, f.url("dox.test", "/p/404"))

		f.site.set("/p/404", page{status: 404, body: "not here"})
		c := f.check(t, it.ID)
		require.Equal(t, undox.CheckGone, c.Outcome)
		require.Equal(t, 404, c.HTTPStatus)
		require.True(t, c.Absent)
		require.Nil(t, c.CaptureID)
		require.Equal(t, undox.ItemNotified, f.item(t, it.ID).Status, "one check does not count")
		// The confirming check follows after ConfirmAfter.
		s := f.schedule(t, it.ID)
		require.Equal(t, f.now.Add(f.rules.ConfirmAfter), *s.NextAt)
		j := f.scheduledJob(t, it.ID)
		require.Equal(t, undox.RecheckConfirm, j.Reason)

		c = f.due(t, it.ID)
		require.Equal(t, undox.CheckGone, c.Outcome)
		require.Equal(t, string(undox.ObserveGone), c.Observed)
		require.Equal(t, undox.ItemRemoved, f.item(t, it.ID).Status)
		f.requireKept(t, c, 404)
		// The watch for re-uploads starts.
		s = f.schedule(t, it.ID)
		require.Equal(t, sqlstore.ScheduleAfterRemoval, s.Schedule)
		want, ok := f.rules.NextCheck(policy.AfterRemoval, f.now, 0)
		require.True(t, ok)
		require.Equal(t, want, *s.NextAt)
		f.scheduledJob(t, it.ID)
	})
}

func TestRecheckNXDOMAINTwiceRemoves(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := recheckSetup(t, b)
		f.site.set("/p/nx", page{body: doxPage})
		it := f.notified(t, f.url("gone.test", "/p/nx"))
		f.dns.Set("gone.test") // NXDOMAIN from now on
		// Checks are far apart: no connection is kept alive between them.
		f.fetch.CloseIdleConnections()

		c := f.check(t, it.ID)
		require.Equal(t, undox.CheckGone, c.Outcome)
		require.Contains(t, c.Detail, "NXDOMAIN")
		require.Equal(t, undox.ItemNotified, f.item(t, it.ID).Status)
		c = f.due(t, it.ID)
		require.Equal(t, undox.CheckGone, c.Outcome)
		require.Equal(t, undox.ItemRemoved, f.item(t, it.ID).Status)
		f.requireKept(t, c, 0)
	})
}

func TestRecheckPersonalDataRemoved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := recheckSetup(t, b)
		f.site.set("/p/edit", page{body: doxPage})
		it := f.notified(t, f.url("dox.test", "/p/edit"))
		f.site.set("/p/edit", page{body: `<html><title>Forum</title><p>This post was edited by a moderator.</p></html>`})

		c := f.check(t, it.ID)
		require.Equal(t, undox.CheckChanged, c.Outcome)
		require.Equal(t, 200, c.HTTPStatus)
		require.True(t, c.Absent)
		require.Equal(t, undox.ItemNotified, f.item(t, it.ID).Status)
		c = f.due(t, it.ID)
		require.Equal(t, undox.CheckChanged, c.Outcome)
		require.Equal(t, undox.ItemRemoved, f.item(t, it.ID).Status)
		f.requireKept(t, c, 200)
	})
}

func TestRecheckUnreachableRepeatedly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := recheckSetup(t, b)
		f.site.set("/p/down", page{body: doxPage})
		it := f.notified(t, f.url("down.test", "/p/down"))
		// The host stops answering: the name resolves, nobody listens.
		_, err := f.store.DB().SQL.ExecContext(f.ctx, `UPDATE items SET url = $1 WHERE id = $2`, "http://down.test:"+f.down+"/p/down", it.ID)
		require.NoError(t, err)

		c := f.check(t, it.ID)
		require.Equal(t, undox.CheckUnreachable, c.Outcome)
		require.False(t, c.Absent, "unreachable once may pass")
		c = f.check(t, it.ID)
		require.Equal(t, undox.CheckUnreachable, c.Outcome)
		require.True(t, c.Absent, "unreachable again: gone")
		require.Equal(t, undox.ItemNotified, f.item(t, it.ID).Status)
		c = f.due(t, it.ID)
		require.Equal(t, undox.ItemRemoved, f.item(t, it.ID).Status)
		require.NotNil(t, c.CaptureID)
	})
}

func TestRecheckMovedBecomesNewItem(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := recheckSetup(t, b)
		f.site.set("/p/old", page{body: doxPage})
		it := f.notified(t, f.url("dox.test", "/p/old"))
		f.site.set("/p/old", page{location: "/p/new"})
		f.site.set("/p/new", page{body: doxPage})

		c := f.check(t, it.ID)
		require.Equal(t, undox.CheckMoved, c.Outcome)
		require.False(t, c.Absent)
		require.Equal(t, f.url("dox.test", "/p/new"), c.FinalURL)
		require.NotNil(t, c.MovedItemID)
		moved := f.item(t, *c.MovedItemID)
		require.Equal(t, f.url("dox.test", "/p/new"), moved.URL)
		require.Equal(t, undox.ItemNew, moved.Status)
		require.Equal(t, it.Category, moved.Category)
		require.Equal(t, it.Cases, moved.Cases, "the new item belongs to the same cases")
		require.Len(t, f.jobs(t, "capture", moved.ID), 1, "and is captured")
		var dispatched bool
		require.NoError(t, f.store.DB().SQL.QueryRow(`SELECT dispatched FROM items WHERE id = $1`, moved.ID).Scan(&dispatched))
		require.True(t, dispatched, "once: the capture dispatch does not queue another")
		require.Equal(t, undox.ItemNotified, f.item(t, it.ID).Status)

		// Moved again: the same new item.
		c = f.check(t, it.ID)
		require.Equal(t, moved.ID, *c.MovedItemID)
	})
}

func TestRecheckWatchCatchesReupload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := recheckSetup(t, b)
		f.site.set("/p/back", page{body: doxPage})
		it := f.notified(t, f.url("dox.test", "/p/back"))
		f.site.set("/p/back", page{status: 410})
		f.check(t, it.ID)
		f.due(t, it.ID)
		require.Equal(t, undox.ItemRemoved, f.item(t, it.ID).Status)

		// Still gone at the first watch check; back at the second.
		c := f.due(t, it.ID)
		require.Equal(t, undox.CheckGone, c.Outcome)
		require.Empty(t, c.Observed)
		require.Equal(t, undox.ItemRemoved, f.item(t, it.ID).Status)
		want, _ := f.rules.NextCheck(policy.AfterRemoval, f.schedule(t, it.ID).Since, 1)
		require.Equal(t, want, *f.schedule(t, it.ID).NextAt, "the watch follows the policy")

		f.site.set("/p/back", page{body: doxPage})
		c = f.due(t, it.ID)
		require.Equal(t, undox.CheckUp, c.Outcome)
		require.Equal(t, string(undox.ObserveBack), c.Observed)
		require.Equal(t, undox.ItemReappeared, f.item(t, it.ID).Status)
		f.requireKept(t, c, 200)
		s := f.schedule(t, it.ID)
		require.Equal(t, sqlstore.ScheduleAfterNotice, s.Schedule)
	})
}

func TestRemovedResponseTriggersCheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := recheckSetup(t, b)
		f.site.set("/p/answer", page{body: doxPage})
		it := f.notified(t, f.url("dox.test", "/p/answer"))
		ns, err := f.store.Notices(f.ctx, analyst, it.ID)
		require.NoError(t, err)
		before := len(f.jobs(t, "recheck", it.ID))

		_, err = f.store.RecordResponse(f.ctx, ns[0].ID, undox.NoticeResponse{Kind: undox.ResponseWillRemove,
			Until: f.now.Format("2006-01-02"), Source: "email"})
		require.NoError(t, err)
		require.Len(t, f.jobs(t, "recheck", it.ID), before, "only a removal is checked at once")

		_, err = f.store.RecordResponse(f.ctx, ns[0].ID, undox.NoticeResponse{Kind: undox.ResponseRemoved, Source: "web"})
		require.NoError(t, err)
		rows := f.jobs(t, "recheck", it.ID)
		require.Len(t, rows, before+1)
		var j undox.RecheckJob
		require.NoError(t, json.Unmarshal(rows[len(rows)-1].EncodedArgs, &j))
		require.Equal(t, undox.RecheckResponse, j.Reason)
		require.Equal(t, rivertype.JobStateAvailable, rows[len(rows)-1].State, "due now")

		// The site did remove it: the check finds it gone, and only the
		// confirming check removes the item.
		f.site.set("/p/answer", page{status: 404})
		c, err := f.svc.Recheck(f.ctx, j)
		require.NoError(t, err)
		require.Equal(t, undox.CheckGone, c.Outcome)
		require.Equal(t, undox.ItemNotified, f.item(t, it.ID).Status)
		f.due(t, it.ID)
		require.Equal(t, undox.ItemRemoved, f.item(t, it.ID).Status)
	})
}

func TestRecheckScheduleFollowsPolicy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := recheckSetup(t, b)
		f.site.set("/p/sched", page{body: doxPage})
		sent := f.now
		it := f.notified(t, f.url("dox.test", "/p/sched"))

		s := f.schedule(t, it.ID)
		require.Equal(t, sqlstore.ScheduleAfterNotice, s.Schedule)
		require.True(t, s.Since.Equal(sent))
		want, ok := f.rules.NextCheck(policy.AfterNotice, sent, 0)
		require.True(t, ok)
		require.Equal(t, want, *s.NextAt, "the first check is the policy's")
		first := f.scheduledJob(t, it.ID)
		require.Equal(t, undox.RecheckScheduled, first.Reason)

		// A check asked for now leaves the schedule as it is.
		f.check(t, it.ID)
		require.Equal(t, s.Seq, f.schedule(t, it.ID).Seq)

		// Each scheduled check queues the next one of the policy.
		for n := 1; n <= 3; n++ {
			f.due(t, it.ID)
			want, _ := f.rules.NextCheck(policy.AfterNotice, sent, n)
			require.Equal(t, want, *f.schedule(t, it.ID).NextAt, "check %d", n)
		}
		// Late checks skip the times that passed.
		f.now = sent.Add(30 * time.Hour)
		c, err := f.svc.Recheck(f.ctx, f.scheduledJob(t, it.ID))
		require.NoError(t, err)
		require.NotNil(t, c)
		next := *f.schedule(t, it.ID).NextAt
		require.True(t, next.After(f.now))
		require.Zero(t, next.Sub(sent.Add(24*time.Hour))%(6*time.Hour), "on the policy's grid")

		// A replaced scheduled job does nothing.
		c, err = f.svc.Recheck(f.ctx, first)
		require.NoError(t, err)
		require.Nil(t, c)
	})
}

// A site that shows undox a 404 for a moment, while someone holding the
// notice's response link answers "removed" twice in a row, does not pass
// for removed: the checks those answers trigger find it absent, but the
// removal counts only once the content has been absent for the policy's
// confirm_after, at the confirming check.
func TestRemovalNeedsConfirmAfter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := recheckSetup(t, b)
		f.site.set("/p/cloak", page{body: doxPage})
		it := f.notified(t, f.url("dox.test", "/p/cloak"))
		ns, err := f.store.Notices(f.ctx, analyst, it.ID)
		require.NoError(t, err)

		f.site.set("/p/cloak", page{status: 404})
		for range 2 {
			_, err = f.store.RecordResponse(f.ctx, ns[0].ID, undox.NoticeResponse{Kind: undox.ResponseRemoved, Source: "web"})
			require.NoError(t, err)
			// The check the answer queues (TestRemovedResponseTriggersCheck).
			c, err := f.svc.Recheck(f.ctx, undox.RecheckJob{ItemID: it.ID, Reason: undox.RecheckResponse})
			require.NoError(t, err)
			require.True(t, c.Absent)
			require.Empty(t, c.Observed)
			f.now = f.now.Add(37 * time.Second)
		}
		require.Equal(t, undox.ItemNotified, f.item(t, it.ID).Status, "two absent checks 37 s apart do not confirm a removal")

		// Back for everyone else before the confirming check: not removed.
		f.site.set("/p/cloak", page{body: doxPage})
		c := f.due(t, it.ID)
		require.Equal(t, undox.CheckUp, c.Outcome)
		require.Equal(t, undox.ItemNotified, f.item(t, it.ID).Status)

		// Really gone: confirmed confirm_after after the first absent check.
		f.site.set("/p/cloak", page{status: 410})
		first := f.check(t, it.ID)
		require.True(t, first.Absent)
		f.now = f.now.Add(f.rules.ConfirmAfter - time.Second)
		c, err = f.svc.Recheck(f.ctx, undox.RecheckJob{ItemID: it.ID, Reason: undox.RecheckResponse})
		require.NoError(t, err)
		require.Empty(t, c.Observed, "a second short of confirm_after")
		c = f.due(t, it.ID)
		require.Equal(t, string(undox.ObserveGone), c.Observed)
		require.False(t, f.now.Before(first.CheckedAt.Add(f.rules.ConfirmAfter)))
		require.Equal(t, undox.ItemRemoved, f.item(t, it.ID).Status)
	})
}

// An analyst's "check now" is a staff member's decision: a second absent
// check they ask for confirms the removal at once.
func TestStaffCheckConfirmsAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := recheckSetup(t, b)
		f.site.set("/p/staff", page{body: doxPage})
		it := f.notified(t, f.url("dox.test", "/p/staff"))
		f.site.set("/p/staff", page{status: 404})
		require.Empty(t, f.check(t, it.ID).Observed)
		f.now = f.now.Add(time.Minute)
		require.Equal(t, string(undox.ObserveGone), f.check(t, it.ID).Observed)
		require.Equal(t, undox.ItemRemoved, f.item(t, it.ID).Status)
	})
}
