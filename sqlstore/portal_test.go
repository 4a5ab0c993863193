package sqlstore_test

// The victim portal's storage: URLs added to a case through its status
// link, and erasure requests.

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
)

// captureJobs counts the capture jobs queued for an item.
func (e *env) captureJobs(t *testing.T, itemID int64) int {
	t.Helper()
	q := `SELECT count(*) FROM river_job WHERE kind = 'capture' AND json_extract(args, '$.item_id') = $1`
	if e.isPostgres() {
		q = `SELECT count(*) FROM river_job WHERE kind = 'capture' AND (args->>'item_id')::bigint = $1`
	}
	return e.count(t, q, itemID)
}

func TestAddItemsLinksURLsToTheCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		mine, shared, fresh := "https://paste.example/mine", "https://forum.example/t/shared", "https://img.example/new"
		r1, _ := e.create(t, report{urls: []string{mine}, category: undox.CategoryDoxing, minor: true})
		r2, _ := e.create(t, report{urls: []string{shared}, category: undox.CategoryHarassment})
		// Everything reported so far is dispatched for capture.
		n, err := e.store.DispatchCaptures(e.ctx, 100)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.Zero(t, e.count(t, `SELECT count(*) FROM items WHERE dispatched = 0`))
		// Those captures ran (a waiting capture would serve a case linked
		// meanwhile, and none would be queued).
		_, err = e.db.SQL.ExecContext(e.ctx, `UPDATE river_job SET state = 'completed', finalized_at = created_at WHERE kind = 'capture'`)
		require.NoError(t, err)

		added, err := e.store.AddItems(e.ctx, undox.Public, r1.CaseRef, []string{mine, shared, fresh, fresh})
		require.NoError(t, err)
		require.Equal(t, 2, added, "the URL the case has already and the repeated one are not added again")

		c1 := e.get(t, r1.CaseRef)
		require.Len(t, c1.Items, 3)
		require.Equal(t, 1, itemByURL(t, c1, mine).ReportCount)
		it := itemByURL(t, c1, fresh)
		require.Equal(t, undox.ItemNew, it.Status)
		require.Equal(t, "img.example", it.Host)
		require.Equal(t, undox.CategoryDoxing, it.Category, "the item takes the case's handling")
		require.True(t, it.IsMinor)
		require.Equal(t, c1.Priority, it.Priority)
		sharedItem, err := e.store.Item(e.ctx, analyst, itemByURL(t, c1, shared).ID)
		require.NoError(t, err)
		require.Equal(t, 2, sharedItem.ReportCount)
		require.ElementsMatch(t, []string{r1.CaseRef, r2.CaseRef}, sharedItem.Cases)
		require.True(t, sharedItem.IsMinor, "a minor's case makes the shared item a minor's")
		require.Len(t, e.get(t, r2.CaseRef).Items, 1, "the other case is unchanged")

		// The items the case gained wait for the dispatch, exactly as a
		// report's do, and the dispatch queues their captures.
		require.Equal(t, 2, e.count(t, `SELECT count(*) FROM items WHERE dispatched = 0`))
		require.Zero(t, e.captureJobs(t, it.ID))
		n, err = e.store.DispatchCaptures(e.ctx, 100)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.Equal(t, 1, e.captureJobs(t, it.ID))
		require.Equal(t, 2, e.captureJobs(t, sharedItem.ID), "once for each case that linked it")
		require.Zero(t, e.countTriageJobs(t))

		// Audited as the public actor, naming the items.
		entries, err := e.store.AuditEntries(e.ctx, "case", r1.CaseRef)
		require.NoError(t, err)
		var add *undox.AuditEntry
		for i := range entries {
			if entries[i].Action == "case.items.add" {
				add = &entries[i]
			}
		}
		require.NotNil(t, add)
		require.Equal(t, "public", add.Actor)
		require.Contains(t, add.Detail, strconv.FormatInt(it.ID, 10))

		// Nothing new: nothing changes and nothing is recorded.
		before := len(entries)
		added, err = e.store.AddItems(e.ctx, undox.Public, r1.CaseRef, []string{fresh})
		require.NoError(t, err)
		require.Zero(t, added)
		entries, err = e.store.AuditEntries(e.ctx, "case", r1.CaseRef)
		require.NoError(t, err)
		require.Len(t, entries, before)

		// Staff may add to a case; a read-only role may not.
		added, err = e.store.AddItems(e.ctx, analyst, r1.CaseRef, []string{"https://img.example/by-staff"})
		require.NoError(t, err)
		require.Equal(t, 1, added)
		_, err = e.store.AddItems(e.ctx, auditor, r1.CaseRef, []string{"https://img.example/by-auditor"})
		requireCode(t, undox.EFORBIDDEN, err, "an auditor adds")
		_, err = e.store.AddItems(e.ctx, undox.Public, r1.CaseRef, nil)
		requireCode(t, undox.EINVALID, err, "no URL")
		_, err = e.store.AddItems(e.ctx, undox.Public, "UDX-0000-0000-0000", []string{fresh})
		requireCode(t, undox.ENOTFOUND, err, "an unknown case")
	})
}

func TestAddItemsOnlyToAnOpenCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r, _ := e.create(t, report{urls: []string{"https://paste.example/a"}})
		_, err := e.store.CaseEvent(e.ctx, analyst, r.CaseRef, undox.ActionClose, "")
		require.NoError(t, err)
		_, err = e.store.AddItems(e.ctx, undox.Public, r.CaseRef, []string{"https://paste.example/b"})
		requireCode(t, undox.ETRANSITION, err, "a closed case")
		_, err = e.store.CaseEvent(e.ctx, undox.Public, r.CaseRef, undox.ActionWithdraw, "")
		require.NoError(t, err)
		_, err = e.store.AddItems(e.ctx, undox.Public, r.CaseRef, []string{"https://paste.example/b"})
		requireCode(t, undox.ETRANSITION, err, "a withdrawn case")
		_, err = e.store.CaseEvent(e.ctx, supervisor, r.CaseRef, undox.ActionErase, "")
		require.NoError(t, err)
		_, err = e.store.AddItems(e.ctx, undox.Public, r.CaseRef, []string{"https://paste.example/b"})
		requireCode(t, undox.ENOTFOUND, err, "an erased case")
		require.Len(t, e.get(t, r.CaseRef).Items, 1)
		require.Zero(t, e.count(t, `SELECT count(*) FROM items WHERE url = 'https://paste.example/b'`))
	})
}

func TestAddItemsToAReferralOnlyCaseTriagesThem(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r, _ := e.create(t, report{urls: []string{"https://imgs.example/1"}, category: undox.CategoryIntimateImages, minor: true})
		id := e.get(t, r.CaseRef).ID
		require.Equal(t, []int64{id}, e.triageCaseIDs(t))
		added, err := e.store.AddItems(e.ctx, undox.Public, r.CaseRef, []string{"https://imgs.example/2"})
		require.NoError(t, err)
		require.Equal(t, 1, added)
		require.Equal(t, []int64{id, id}, e.triageCaseIDs(t), "the case is triaged again for its new item")
		c := e.get(t, r.CaseRef)
		require.Equal(t, undox.CategoryCSAM, itemByURL(t, c, "https://imgs.example/2").Category)
		// The dispatch marks it and queues no capture: it is never fetched.
		_, err = e.store.DispatchCaptures(e.ctx, 100)
		require.NoError(t, err)
		require.Zero(t, e.captureJobs(t, itemByURL(t, c, "https://imgs.example/2").ID))
	})
}

func TestErasureRequests(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r1, _ := e.create(t, report{urls: []string{"https://paste.example/e1"}, email: "one@example.org", description: "mine"})
		r2, _ := e.create(t, report{urls: []string{"https://paste.example/e2"}})

		_, err := e.store.ErasureRequestOf(e.ctx, r1.CaseRef)
		requireCode(t, undox.ENOTFOUND, err, "no request yet")

		asked := e.clock.Now()
		req, created, err := e.store.RequestErasure(e.ctx, undox.Public, r1.CaseRef)
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, r1.CaseRef, req.CaseRef)
		require.Equal(t, undox.ErasurePending, req.Status)
		require.Equal(t, undox.CaseOpen, req.CaseStatus)
		require.Equal(t, asked, req.RequestedAt)
		require.Equal(t, undox.ErasureDeadline(asked), req.Deadline)
		require.True(t, req.Deadline.After(asked.AddDate(0, 0, 27)) && !req.Deadline.After(asked.AddDate(0, 0, 31)))
		require.False(t, req.Overdue)
		require.Nil(t, req.DoneAt)

		// Asking again is answered with the first request.
		e.clock.Advance(3 * 24 * time.Hour)
		again, created, err := e.store.RequestErasure(e.ctx, undox.Public, r1.CaseRef)
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, req, again)
		of, err := e.store.ErasureRequestOf(e.ctx, r1.CaseRef)
		require.NoError(t, err)
		require.Equal(t, req, of)
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM erasure_requests`))

		req2, _, err := e.store.RequestErasure(e.ctx, undox.Public, r2.CaseRef)
		require.NoError(t, err)
		_, _, err = e.store.RequestErasure(e.ctx, undox.Public, "UDX-0000-0000-0000")
		requireCode(t, undox.ENOTFOUND, err, "an unknown case")
		_, _, err = e.store.RequestErasure(e.ctx, auditor, r2.CaseRef)
		requireCode(t, undox.EFORBIDDEN, err, "an auditor asks")

		// Admins see the queue, newest first; the others may not.
		list, err := e.store.ErasureRequests(e.ctx, supervisor, undox.ErasureFilter{})
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, []string{r2.CaseRef, r1.CaseRef}, []string{list[0].CaseRef, list[1].CaseRef})
		_, err = e.store.ErasureRequests(e.ctx, analyst, undox.ErasureFilter{})
		requireCode(t, undox.EFORBIDDEN, err, "an analyst lists")
		page, err := e.store.ErasureRequests(e.ctx, supervisor, undox.ErasureFilter{Limit: 1, After: list[0].ID})
		require.NoError(t, err)
		require.Len(t, page, 1)
		require.Equal(t, r1.CaseRef, page[0].CaseRef)

		// Past the deadline a pending request is overdue.
		e.clock.Advance(40 * 24 * time.Hour)
		list, err = e.store.ErasureRequests(e.ctx, supervisor, undox.ErasureFilter{Status: undox.ErasurePending})
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.True(t, list[0].Overdue && list[1].Overdue)

		// Done: the case is erased by its erase action, the request marked.
		done, err := e.store.CompleteErasure(e.ctx, supervisor, req.ID)
		require.NoError(t, err)
		require.Equal(t, undox.ErasureDone, done.Status)
		require.Equal(t, undox.CaseErased, done.CaseStatus)
		require.False(t, done.Overdue)
		require.NotNil(t, done.DoneAt)
		c := e.get(t, r1.CaseRef)
		require.Equal(t, undox.CaseErased, c.Status)
		require.Empty(t, c.ReporterEmail)
		require.Empty(t, c.Description)
		require.Contains(t, e.actions(t, "case", r1.CaseRef), "case.erase")
		require.Contains(t, e.actions(t, "case", r1.CaseRef), "case.erasure.done")
		// Done again changes nothing.
		twice, err := e.store.CompleteErasure(e.ctx, supervisor, req.ID)
		require.NoError(t, err)
		require.Equal(t, done, twice)
		list, err = e.store.ErasureRequests(e.ctx, supervisor, undox.ErasureFilter{Status: undox.ErasureDone})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, req.ID, list[0].ID)
		_, _, err = e.store.RequestErasure(e.ctx, undox.Public, r1.CaseRef)
		requireCode(t, undox.EERASED, err, "an erased case")

		// A case under a legal hold is not erased; the request stays.
		_, err = e.store.SetLegalHold(e.ctx, supervisor, r2.CaseRef, "police report 123")
		require.NoError(t, err)
		_, err = e.store.CompleteErasure(e.ctx, supervisor, req2.ID)
		requireCode(t, undox.ELEGALHOLD, err, "a held case")
		of, err = e.store.ErasureRequestOf(e.ctx, r2.CaseRef)
		require.NoError(t, err)
		require.Equal(t, undox.ErasurePending, of.Status)
		_, err = e.store.CompleteErasure(e.ctx, analyst, req2.ID)
		requireCode(t, undox.EFORBIDDEN, err, "an analyst completes")
		_, err = e.store.CompleteErasure(e.ctx, supervisor, 999999)
		requireCode(t, undox.ENOTFOUND, err, "an unknown request")

		// A case erased otherwise (retention, staff) is only marked.
		_, err = e.store.SetLegalHold(e.ctx, supervisor, r2.CaseRef, "")
		require.NoError(t, err)
		_, err = e.store.CaseEvent(e.ctx, supervisor, r2.CaseRef, undox.ActionErase, "retention")
		require.NoError(t, err)
		done, err = e.store.CompleteErasure(e.ctx, supervisor, req2.ID)
		require.NoError(t, err)
		require.Equal(t, undox.ErasureDone, done.Status)

		require.Contains(t, e.actions(t, "case", r2.CaseRef), "case.erasure.request")
		entries, err := e.store.AuditEntries(e.ctx, "case", r1.CaseRef)
		require.NoError(t, err)
		for _, en := range entries {
			if en.Action == "case.erasure.request" {
				require.Equal(t, "public", en.Actor)
			}
		}
	})
}
