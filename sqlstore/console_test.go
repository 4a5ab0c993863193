package sqlstore_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
)

// A second analyst, for four-eyes.
var analyst2 = undox.Actor{Kind: "user", UserID: 7, Name: "ana", Role: undox.RoleAnalyst}

func auditActions(t *testing.T, e *env, objType, objID string) []string {
	t.Helper()
	entries, err := e.store.AuditEntries(e.ctx, objType, objID)
	require.NoError(t, err)
	var out []string
	for _, en := range entries {
		out = append(out, en.Action+" "+en.Actor)
	}
	return out
}

// The console's queue: the work queue's order, filtered by status, host,
// category and minor, searched by URL or case reference, a page at a time,
// each item with its cases.
func TestQueueItems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		adult, _ := e.create(t, report{urls: []string{"https://dox.example/adult"}, category: undox.CategoryDoxing})
		minor, _ := e.create(t, report{urls: []string{"https://dox.example/minor", "https://other.example/x"}, category: undox.CategoryDoxing, minor: true})
		harass, _ := e.create(t, report{urls: []string{"https://forum.example/t/1"}, category: undox.CategoryHarassment})
		// A second case reports the adult page too.
		again, _ := e.create(t, report{urls: []string{"https://dox.example/adult"}, category: undox.CategoryDoxing})

		urls := func(items []*undox.Item) []string {
			var out []string
			for _, it := range items {
				out = append(out, it.URL)
			}
			return out
		}
		all, err := e.store.QueueItems(e.ctx, auditor, undox.ItemFilter{})
		require.NoError(t, err)
		// Minors first, then by category, then the oldest first.
		require.Equal(t, []string{"https://dox.example/minor", "https://other.example/x", "https://dox.example/adult", "https://forum.example/t/1"}, urls(all))
		require.Equal(t, []string{adult.CaseRef, again.CaseRef}, all[2].Cases)
		require.Equal(t, []string{minor.CaseRef}, all[0].Cases)

		// The same order as the store's own queue.
		items, err := e.store.Items(e.ctx, auditor, undox.ItemFilter{Queue: true})
		require.NoError(t, err)
		require.Equal(t, urls(items), urls(all))

		yes, no := true, false
		for _, c := range []struct {
			f    undox.ItemFilter
			want []string
		}{
			{undox.ItemFilter{Minor: &yes}, []string{"https://dox.example/minor", "https://other.example/x"}},
			{undox.ItemFilter{Minor: &no}, []string{"https://dox.example/adult", "https://forum.example/t/1"}},
			{undox.ItemFilter{Host: "DOX.example"}, []string{"https://dox.example/minor", "https://dox.example/adult"}},
			{undox.ItemFilter{Category: undox.CategoryHarassment}, []string{"https://forum.example/t/1"}},
			{undox.ItemFilter{Query: "T/1"}, []string{"https://forum.example/t/1"}},
			{undox.ItemFilter{Query: strings.ToLower(harass.CaseRef)}, []string{"https://forum.example/t/1"}},
			{undox.ItemFilter{Query: again.CaseRef}, []string{"https://dox.example/adult"}},
			{undox.ItemFilter{Query: "100%_"}, nil},
			{undox.ItemFilter{Status: "captured"}, nil},
			{undox.ItemFilter{Status: "new", Host: "other.example"}, []string{"https://other.example/x"}},
		} {
			got, err := e.store.QueueItems(e.ctx, analyst, c.f)
			require.NoError(t, err)
			require.Equal(t, c.want, urls(got), "%+v", c.f)
			// Items filters alike, the newest first.
			got, err = e.store.Items(e.ctx, analyst, c.f)
			require.NoError(t, err)
			require.ElementsMatch(t, c.want, urls(got), "%+v", c.f)
		}

		// Page by page, nothing twice, nothing left out.
		var paged []string
		var after *undox.QueuePosition
		for range 10 {
			page, err := e.store.QueueItems(e.ctx, analyst, undox.ItemFilter{AfterQueue: after, Limit: 3})
			require.NoError(t, err)
			paged = append(paged, urls(page)...)
			if len(page) < 3 {
				break
			}
			last := page[len(page)-1]
			after = &undox.QueuePosition{Priority: last.Priority, Severity: last.Severity, ID: last.ID}
		}
		require.Equal(t, urls(all), paged)

		_, err = e.store.QueueItems(e.ctx, partnerA, undox.ItemFilter{})
		requireCode(t, undox.EFORBIDDEN, err, "partners do not read the queue")
	})
}

// tracedCase makes a case with one captured, traced item, and returns
// its reference and the item.
func (e *env) tracedCase(t *testing.T, u string) (string, *undox.Item) {
	t.Helper()
	r, _ := e.create(t, report{urls: []string{u}, category: undox.CategoryDoxing})
	it := e.get(t, r.CaseRef).Items[0]
	_, err := e.store.ObserveItem(e.ctx, it.ID, undox.ObserveCaptured, "", nil)
	require.NoError(t, err)
	_, err = e.store.SaveTrace(e.ctx, it.ID, "net:EXAMPLE", []byte(takedownTrace))
	require.NoError(t, err)
	return r.CaseRef, it
}

// Four-eyes: the first analyst's request changes nothing; only a second,
// different analyst can approve it, which does it as theirs; every step is
// audited and the reason is sealed.
func TestFourEyes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		ref, it := e.tracedCase(t, "https://dox.example/p/1")
		id := strconv.FormatInt(it.ID, 10)
		confirm := undox.PendingAction{Action: undox.FourEyesConfirm, Object: "item", ObjectID: id, CaseRef: ref, Reason: "shows Syntha's home address"}

		_, err := e.store.RequestAction(e.ctx, auditor, confirm)
		requireCode(t, undox.EFORBIDDEN, err, "auditors read only")
		bad := confirm
		bad.Action = "erase"
		_, err = e.store.RequestAction(e.ctx, analyst, bad)
		requireCode(t, undox.EINVALID, err, "not a four-eyes action")
		bad = confirm
		bad.Action, bad.Reason = undox.FourEyesReject, ""
		_, err = e.store.RequestAction(e.ctx, analyst, bad)
		requireCode(t, undox.EINVALID, err, "a rejection needs a reason")
		bad = confirm
		bad.Action = undox.FourEyesEscalate
		_, err = e.store.RequestAction(e.ctx, analyst, bad)
		requireCode(t, undox.ETRANSITION, err, "a captured item cannot be escalated")
		bad = confirm
		bad.ObjectID = "999999"
		_, err = e.store.RequestAction(e.ctx, analyst, bad)
		requireCode(t, undox.ENOTFOUND, err, "no such item")

		pa, err := e.store.RequestAction(e.ctx, analyst, confirm)
		require.NoError(t, err)
		require.Equal(t, undox.PendingOpen, pa.Status)
		require.Equal(t, "token:2:ana", pa.RequestedBy)
		require.Equal(t, undox.ItemCaptured, e.get(t, ref).Items[0].Status, "nothing changes before the second analyst")
		_, err = e.store.RequestAction(e.ctx, analyst2, confirm)
		requireCode(t, undox.ECONFLICT, err, "one request waits at a time")
		var sealed []byte
		require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, `SELECT reason_enc FROM pending_actions WHERE id = $1`, pa.ID).Scan(&sealed))
		require.NotEmpty(t, sealed)
		require.False(t, bytes.Contains(sealed, []byte("Syntha")), "the reason is sealed")

		list, err := e.store.PendingActions(e.ctx, analyst, undox.PendingFilter{CaseRef: ref, Status: undox.PendingOpen})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.True(t, list[0].Mine)
		require.Equal(t, "shows Syntha's home address", list[0].Reason)
		list, err = e.store.PendingActions(e.ctx, analyst2, undox.PendingFilter{})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.False(t, list[0].Mine)
		list, err = e.store.PendingActions(e.ctx, analyst, undox.PendingFilter{CaseRef: "UX-0000000000"})
		require.NoError(t, err)
		require.Empty(t, list)

		// The same analyst cannot approve, not under another name either.
		_, err = e.store.ApproveAction(e.ctx, analyst, pa.ID)
		requireCode(t, undox.EFORBIDDEN, err, "four-eyes")
		renamed := analyst
		renamed.Name = "someone else"
		_, err = e.store.ApproveAction(e.ctx, renamed, pa.ID)
		requireCode(t, undox.EFORBIDDEN, err, "four-eyes by identity, not by name")
		_, err = e.store.ApproveAction(e.ctx, auditor, pa.ID)
		requireCode(t, undox.EFORBIDDEN, err, "auditors read only")
		_, err = e.store.ApproveAction(e.ctx, analyst2, 999999)
		requireCode(t, undox.ENOTFOUND, err, "no such request")

		done, err := e.store.ApproveAction(e.ctx, analyst2, pa.ID)
		require.NoError(t, err)
		require.Equal(t, undox.PendingApproved, done.Status)
		require.Equal(t, "user:7:ana", done.DecidedBy)
		require.NotNil(t, done.DecidedAt)
		c := e.get(t, ref)
		require.Equal(t, undox.ItemConfirmed, c.Items[0].Status)
		require.Len(t, c.Items[0].Notices, 1, "the confirmation prepared the notice")
		_, err = e.store.ApproveAction(e.ctx, analyst2, pa.ID)
		requireCode(t, undox.ETRANSITION, err, "approved once")
		acts := auditActions(t, e, "item", id)
		require.Equal(t, []string{"action.request token:2:ana", "action.approve user:7:ana", "item.confirm user:7:ana"},
			acts[len(acts)-3:])
		hist, err := e.store.ItemHistory(e.ctx, it.ID)
		require.NoError(t, err)
		last := hist[len(hist)-1]
		require.Equal(t, "confirm", last.Event)
		require.Equal(t, "user:7:ana", last.Actor)
		require.Equal(t, "shows Syntha's home address", last.Reason)

		// The notice's approval, four-eyes too: the send job is queued
		// with it.
		nid := strconv.FormatInt(c.Items[0].Notices[0].ID, 10)
		approve := undox.PendingAction{Action: undox.FourEyesApprove, Object: "notice", ObjectID: nid, CaseRef: ref}
		pa, err = e.store.RequestAction(e.ctx, analyst2, approve)
		require.NoError(t, err)
		require.Zero(t, e.sendJobs(t))
		_, err = e.store.ApproveAction(e.ctx, analyst, pa.ID)
		require.NoError(t, err)
		require.Equal(t, 1, e.sendJobs(t))
		ns, err := e.store.Notices(e.ctx, analyst, it.ID)
		require.NoError(t, err)
		require.Equal(t, undox.NoticeApproved, ns[0].Status)
		require.Equal(t, "token:2:ana", ns[0].ApprovedBy)

		// Declined by another, withdrawn by oneself; neither does anything.
		closeCase := undox.PendingAction{Action: undox.FourEyesClose, Object: "case", ObjectID: ref, CaseRef: ref}
		pa, err = e.store.RequestAction(e.ctx, analyst, closeCase)
		require.NoError(t, err)
		pa, err = e.store.DeclineAction(e.ctx, analyst2, pa.ID, "")
		require.NoError(t, err)
		require.Equal(t, undox.PendingDeclined, pa.Status)
		_, err = e.store.ApproveAction(e.ctx, analyst2, pa.ID)
		requireCode(t, undox.ETRANSITION, err, "a declined request is over")
		pa, err = e.store.RequestAction(e.ctx, analyst, closeCase)
		require.NoError(t, err, "a new request after the decline")
		pa, err = e.store.DeclineAction(e.ctx, analyst, pa.ID, "")
		require.NoError(t, err)
		require.Equal(t, undox.PendingCanceled, pa.Status)
		require.Equal(t, undox.CaseOpen, e.get(t, ref).Status)
		pa, err = e.store.RequestAction(e.ctx, analyst, closeCase)
		require.NoError(t, err)
		_, err = e.store.ApproveAction(e.ctx, analyst2, pa.ID)
		require.NoError(t, err)
		require.Equal(t, undox.CaseClosed, e.get(t, ref).Status)
		acts = auditActions(t, e, "case", ref)
		require.Contains(t, acts, "action.decline user:7:ana")
		require.Contains(t, acts, "action.cancel token:2:ana")
		require.Contains(t, acts, "case.close user:7:ana")

		// A step no longer possible when approved: nothing changes, the
		// request waits on.
		ref2, it2 := e.tracedCase(t, "https://dox.example/p/2")
		rej := undox.PendingAction{Action: undox.FourEyesReject, Object: "item", ObjectID: strconv.FormatInt(it2.ID, 10), CaseRef: ref2, Reason: "not doxing"}
		pa, err = e.store.RequestAction(e.ctx, analyst, rej)
		require.NoError(t, err)
		_, _, err = e.store.ConfirmItem(e.ctx, analyst2, it2.ID, "")
		require.NoError(t, err)
		_, err = e.store.ApproveAction(e.ctx, analyst2, pa.ID)
		requireCode(t, undox.ETRANSITION, err, "the item was confirmed meanwhile")
		list, err = e.store.PendingActions(e.ctx, analyst, undox.PendingFilter{CaseRef: ref2})
		require.NoError(t, err)
		require.Equal(t, undox.PendingOpen, list[0].Status)
	})
}

// Bulk jobs: their items in order, each recorded once, finished with the
// last; only staff who act create them.
func TestBulkJobs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		var ids []int64
		for i := range 3 {
			r, _ := e.create(t, report{urls: []string{"https://dox.example/bulk/" + strconv.Itoa(i)}})
			ids = append(ids, e.get(t, r.CaseRef).Items[0].ID)
		}
		_, err := e.store.CreateBulkJob(e.ctx, auditor, undox.BulkConfirm, ids, "", false)
		requireCode(t, undox.EFORBIDDEN, err, "auditors read only")
		_, err = e.store.CreateBulkJob(e.ctx, analyst, "erase", ids, "", false)
		requireCode(t, undox.EINVALID, err, "not a bulk action")
		_, err = e.store.CreateBulkJob(e.ctx, analyst, undox.BulkConfirm, nil, "", false)
		requireCode(t, undox.EINVALID, err, "no items")
		_, err = e.store.CreateBulkJob(e.ctx, analyst, undox.BulkConfirm, []int64{ids[0], 999999}, "", false)
		requireCode(t, undox.ENOTFOUND, err, "an unknown item")

		j, err := e.store.CreateBulkJob(e.ctx, analyst, undox.BulkClose, []int64{ids[2], ids[0], ids[2], ids[1]}, "", false)
		require.NoError(t, err)
		require.Equal(t, 3, j.Total, "each item once")
		got, err := e.store.BulkJob(e.ctx, auditor, j.ID)
		require.NoError(t, err)
		require.Equal(t, []undox.BulkItem{{ItemID: ids[2], Status: "waiting"}, {ItemID: ids[0], Status: "waiting"}, {ItemID: ids[1], Status: "waiting"}}, got.Items)
		require.Equal(t, "token:2:ana", got.CreatedBy)
		require.Nil(t, got.FinishedAt)

		require.NoError(t, e.store.RecordBulkItem(e.ctx, j.ID, ids[2], undox.BulkItemDone, ""))
		requireCode(t, undox.ECONFLICT, e.store.RecordBulkItem(e.ctx, j.ID, ids[2], undox.BulkItemDone, ""), "recorded once")
		requireCode(t, undox.EINVALID, e.store.RecordBulkItem(e.ctx, j.ID, ids[0], "maybe", ""), "an unknown outcome")
		require.NoError(t, e.store.RecordBulkItem(e.ctx, j.ID, ids[0], undox.BulkItemFailed, undox.ETRANSITION))
		got, err = e.store.BulkJob(e.ctx, analyst, j.ID)
		require.NoError(t, err)
		require.Equal(t, 1, got.Done)
		require.Equal(t, 1, got.Failed)
		require.Nil(t, got.FinishedAt)
		require.NoError(t, e.store.RecordBulkItem(e.ctx, j.ID, ids[1], undox.BulkItemRequested, ""))
		got, err = e.store.BulkJob(e.ctx, analyst, j.ID)
		require.NoError(t, err)
		require.Equal(t, 2, got.Done)
		require.NotNil(t, got.FinishedAt)
		require.Equal(t, undox.BulkItem{ItemID: ids[0], Status: "failed", Error: undox.ETRANSITION}, got.Items[1])

		_, err = e.store.BulkJob(e.ctx, analyst, 999999)
		requireCode(t, undox.ENOTFOUND, err, "no such job")
		require.Equal(t, []string{"bulk.create token:2:ana"}, auditActions(t, e, "bulk", strconv.FormatInt(j.ID, 10)))
	})
}

func itemStatus(t *testing.T, e *env, id int64) undox.ItemStatus {
	t.Helper()
	it, err := e.store.Item(e.ctx, auditor, id)
	require.NoError(t, err)
	return it.Status
}

// bulkState is a bulk job's items' states, in order.
func bulkState(t *testing.T, e *env, id int64) []string {
	t.Helper()
	j, err := e.store.BulkJob(e.ctx, auditor, id)
	require.NoError(t, err)
	var out []string
	for _, it := range j.Items {
		out = append(out, it.Status+" "+it.Error)
	}
	return out
}

// A bulk job is a durable job: creating it queues one bulk_action job,
// whose arguments name only the bulk job (the reason is sealed with it);
// RunBulkJob does the waiting items as the analyst, once, and goes on
// where an interrupted run stopped.
func TestRunBulkJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		bulkJobs := func() int { return e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'bulk_action'`) }
		var items []*undox.Item
		for i := range 5 {
			items = append(items, e.capturedItem(t, "https://dox.example/run/"+strconv.Itoa(i)))
		}
		fresh, _ := e.create(t, report{urls: []string{"https://dox.example/run/new"}})
		newItem := e.get(t, fresh.CaseRef).Items[0]

		_, err := e.store.CreateBulkJob(e.ctx, analyst, undox.BulkReject, []int64{items[0].ID}, "", false)
		requireCode(t, undox.EINVALID, err, "a rejection needs a reason")
		_, err = e.store.CreateBulkJob(e.ctx, undox.System, undox.BulkClose, []int64{items[0].ID}, "", false)
		requireCode(t, undox.EFORBIDDEN, err, "staff create bulk jobs, as themselves")
		require.Zero(t, bulkJobs())

		// Confirm two items and the new one (not possible), as a user.
		u, err := e.store.CreateUser(e.ctx, undox.System, undox.NewUser{Email: "ana@hotline.example", Name: "ana", Role: undox.RoleAnalyst,
			PasswordHash: "x", TOTPSecret: "JBSWY3DPEHPK3PXP"})
		require.NoError(t, err)
		ana := undox.Actor{Kind: "user", UserID: u.ID, Name: "ana", Role: undox.RoleAnalyst}
		j, err := e.store.CreateBulkJob(e.ctx, ana, undox.BulkConfirm, []int64{items[0].ID, newItem.ID, items[1].ID},
			"shows Syntha's home address", false)
		require.NoError(t, err)
		require.Equal(t, 1, bulkJobs(), "one job queued with the bulk job")
		args := `SELECT json(args) FROM river_job WHERE kind = 'bulk_action'`
		if e.isPostgres() {
			args = `SELECT args::text FROM river_job WHERE kind = 'bulk_action'`
		}
		var raw string
		require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, args).Scan(&raw))
		require.JSONEq(t, `{"bulk_id":`+itoa(j.ID)+`}`, raw)
		require.Empty(t, e.scanAllTables(t, "Syntha")["Syntha"], "the reason is sealed wherever it is stored")

		require.NoError(t, e.store.RunBulkJob(e.ctx, j.ID, nil))
		require.Equal(t, []string{"done ", "failed " + undox.ETRANSITION, "done "}, bulkState(t, e, j.ID))
		got, err := e.store.BulkJob(e.ctx, auditor, j.ID)
		require.NoError(t, err)
		require.Equal(t, 2, got.Done)
		require.Equal(t, 1, got.Failed)
		require.NotNil(t, got.FinishedAt)
		for _, it := range items[:2] {
			require.Equal(t, undox.ItemConfirmed, itemStatus(t, e, it.ID))
			acts := auditActions(t, e, "item", itoa(it.ID))
			require.Contains(t, acts, "item.confirm "+ana.Label(), "audited as the analyst")
			require.Equal(t, 1, e.count(t, `SELECT count(*) FROM notices WHERE item_id = $1 AND created_by = $2`, it.ID, ana.Label()),
				"its notice prepared, as by ConfirmItem")
		}
		require.Equal(t, undox.ItemNew, e.get(t, fresh.CaseRef).Items[0].Status)

		// Run again (a retried job): nothing more happens.
		before := auditActions(t, e, "item", itoa(items[0].ID))
		require.NoError(t, e.store.RunBulkJob(e.ctx, j.ID, nil))
		require.Equal(t, before, auditActions(t, e, "item", itoa(items[0].ID)))
		got2, err := e.store.BulkJob(e.ctx, auditor, j.ID)
		require.NoError(t, err)
		require.Equal(t, got, got2)

		// Interrupted: a run whose context ended does nothing more; one
		// that did the first item goes on with the rest only.
		k, err := e.store.CreateBulkJob(e.ctx, analyst, undox.BulkReject, []int64{items[2].ID, items[3].ID, items[4].ID}, "not doxing", false)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		require.ErrorIs(t, e.store.RunBulkJob(ctx, k.ID, nil), context.Canceled)
		require.Equal(t, []string{"waiting ", "waiting ", "waiting "}, bulkState(t, e, k.ID))
		require.NoError(t, e.store.RecordBulkItem(e.ctx, k.ID, items[2].ID, undox.BulkItemDone, ""))
		require.NoError(t, e.store.RunBulkJob(e.ctx, k.ID, nil))
		require.Equal(t, []string{"done ", "done ", "done "}, bulkState(t, e, k.ID))
		require.Equal(t, undox.ItemCaptured, itemStatus(t, e, items[2].ID), "a recorded item is not done again")
		require.Equal(t, undox.ItemRejected, itemStatus(t, e, items[3].ID))
		require.Equal(t, undox.ItemRejected, itemStatus(t, e, items[4].ID))
		require.Contains(t, auditActions(t, e, "item", itoa(items[3].ID)), "item.reject token:2:ana")

		// The analyst's account is disabled before the job ran: it stops.
		l, err := e.store.CreateBulkJob(e.ctx, ana, undox.BulkClose, []int64{items[0].ID}, "done", false)
		require.NoError(t, err)
		_, err = e.store.DisableUser(e.ctx, undox.System, "ana@hotline.example")
		require.NoError(t, err)
		require.NoError(t, e.store.RunBulkJob(e.ctx, l.ID, nil))
		require.Equal(t, []string{"failed " + undox.EFORBIDDEN}, bulkState(t, e, l.ID))
		require.Equal(t, undox.ItemConfirmed, itemStatus(t, e, items[0].ID))

		_, err = e.store.BulkJob(e.ctx, auditor, 999999)
		requireCode(t, undox.ENOTFOUND, err, "no such job")
		requireCode(t, undox.ENOTFOUND, e.store.RunBulkJob(e.ctx, 999999, nil), "no such job to run")
	})
}

// A four-eyes bulk job makes a request per item, as the analyst, with
// the reason; nothing else changes.
func TestRunBulkJobFourEyes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		ref, it := e.tracedCase(t, "https://dox.example/run/4eyes")
		j, err := e.store.CreateBulkJob(e.ctx, analyst, undox.BulkReject, []int64{it.ID}, "not doxing", true)
		require.NoError(t, err)
		require.NoError(t, e.store.RunBulkJob(e.ctx, j.ID, nil))
		require.Equal(t, []string{"requested "}, bulkState(t, e, j.ID))
		require.Equal(t, undox.ItemCaptured, e.get(t, ref).Items[0].Status)
		list, err := e.store.PendingActions(e.ctx, analyst2, undox.PendingFilter{CaseRef: ref})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, undox.FourEyesReject, list[0].Action)
		require.Equal(t, itoa(it.ID), list[0].ObjectID)
		require.Equal(t, "not doxing", list[0].Reason)
		require.Equal(t, "token:2:ana", list[0].RequestedBy)
		require.Contains(t, auditActions(t, e, "item", itoa(it.ID)), "action.request token:2:ana")

		// Again: the request is not made twice.
		require.NoError(t, e.store.RunBulkJob(e.ctx, j.ID, nil))
		list, err = e.store.PendingActions(e.ctx, analyst2, undox.PendingFilter{CaseRef: ref})
		require.NoError(t, err)
		require.Len(t, list, 1)
	})
}

// A prepared notice's recipient can be changed until it is approved; the
// audit log names the fields, not the values.
func TestEditNotice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		ref, it := e.tracedCase(t, "https://dox.example/p/1")
		_, n, err := e.store.ConfirmItem(e.ctx, analyst, it.ID, "")
		require.NoError(t, err)

		_, err = e.store.EditNotice(e.ctx, auditor, n.ID, "Other B.V.", "abuse@other.example")
		requireCode(t, undox.EFORBIDDEN, err, "auditors read only")
		_, err = e.store.EditNotice(e.ctx, analyst, n.ID, "", "not an address")
		require.Equal(t, undox.EINVALID, undox.ErrorCode(err))
		require.Equal(t, []string{"address", "organisation"}, sortedFields(err))
		_, err = e.store.EditNotice(e.ctx, analyst, n.ID, "Other B.V.", "Abuse <abuse@other.example>")
		requireCode(t, undox.EINVALID, err, "an address only")
		_, err = e.store.EditNotice(e.ctx, analyst, 999999, "Other B.V.", "abuse@other.example")
		requireCode(t, undox.ENOTFOUND, err, "no such notice")

		got, err := e.store.EditNotice(e.ctx, analyst, n.ID, " Other B.V. ", "abuse@other.example")
		require.NoError(t, err)
		require.Equal(t, "Other B.V.", got.Recipient)
		require.Equal(t, "abuse@other.example", got.Address)
		require.Equal(t, undox.NoticePrepared, got.Status)
		require.Equal(t, n.Role, got.Role)
		_, err = e.store.EditNotice(e.ctx, analyst, n.ID, "Other B.V.", "abuse@other.example")
		require.NoError(t, err, "no change is no error")
		entries, err := e.store.AuditEntries(e.ctx, "notice", strconv.FormatInt(n.ID, 10))
		require.NoError(t, err)
		var edits []string
		for _, en := range entries {
			if en.Action == "notice.edit" {
				edits = append(edits, en.Detail)
				require.NotContains(t, en.Detail, "other.example")
			}
		}
		require.Equal(t, []string{"changed=organisation,address"}, edits)

		// While a second analyst is asked to approve it, it does not
		// change; once the request is withdrawn it may again.
		pa, err := e.store.RequestAction(e.ctx, analyst, undox.PendingAction{Action: undox.FourEyesApprove, Object: "notice",
			ObjectID: strconv.FormatInt(n.ID, 10), CaseRef: ref})
		require.NoError(t, err)
		_, err = e.store.EditNotice(e.ctx, analyst, n.ID, "Sneaky B.V.", "abuse@sneaky.example")
		requireCode(t, undox.ECONFLICT, err, "not under a second analyst's eyes")
		_, err = e.store.DeclineAction(e.ctx, analyst, pa.ID, "")
		require.NoError(t, err)
		_, err = e.store.EditNotice(e.ctx, analyst, n.ID, "Other B.V.", "abuse@other.example")
		require.NoError(t, err)

		_, err = e.store.ApproveNotice(e.ctx, analyst, n.ID)
		require.NoError(t, err)
		_, err = e.store.EditNotice(e.ctx, analyst, n.ID, "Third B.V.", "abuse@third.example")
		requireCode(t, undox.ETRANSITION, err, "an approved notice is not changed")
		o, err := e.store.OutboundNotice(e.ctx, n.ID)
		require.NoError(t, err)
		require.Equal(t, "abuse@other.example", o.Notice.Address, "the send job sends to the changed address")
	})
}

func sortedFields(err error) []string {
	var out []string
	for k := range undox.ErrorFields(err) {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestInCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		refA, a := e.tracedCase(t, "https://dox.example/in-case/a")
		refB, _ := e.tracedCase(t, "https://dox.example/in-case/b")
		_, n, err := e.store.ConfirmItem(e.ctx, analyst, a.ID, "")
		require.NoError(t, err)
		for _, c := range []struct {
			ref, object string
			id          int64
			want        bool
		}{{refA, "item", a.ID, true}, {refB, "item", a.ID, false}, {refA, "notice", n.ID, true}, {refB, "notice", n.ID, false},
			{refA, "item", 999999, false}} {
			got, err := e.store.InCase(e.ctx, c.ref, c.object, c.id)
			require.NoError(t, err)
			require.Equal(t, c.want, got, "%s %s %d", c.ref, c.object, c.id)
		}
		_, err = e.store.InCase(e.ctx, refA, "capture", 1)
		requireCode(t, undox.EINVALID, err, "items and notices only")
	})
}

// Four-eyes holds in the store, for every client: the analyst who asked
// cannot approve, as the same token or user account whatever its name, as
// another token made for the same account, or as that account in the
// console (a token made for a staff account is that person). A token made
// for no account takes no four-eyes step at all: nothing tells whose it is.
// Referring an item ends it too, so it can be four-eyes: the request
// changes nothing; a second analyst's approval refers the item, as theirs.
func TestFourEyesRefer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		ref, it := e.tracedCase(t, "https://dox.example/refer/1")
		refer := undox.PendingAction{Action: undox.FourEyesRefer, Object: "item", ObjectID: itoa(it.ID), CaseRef: ref, Reason: "for the police"}
		pa, err := e.store.RequestAction(e.ctx, analyst, refer)
		require.NoError(t, err)
		got, err := e.store.Item(e.ctx, auditor, it.ID)
		require.NoError(t, err)
		require.Equal(t, undox.ItemCaptured, got.Status, "nothing happens before the second analyst")
		_, err = e.store.ApproveAction(e.ctx, analyst, pa.ID)
		requireCode(t, undox.EFORBIDDEN, err, "the one who asked")
		done, err := e.store.ApproveAction(e.ctx, supervisor, pa.ID)
		require.NoError(t, err)
		require.Equal(t, undox.PendingApproved, done.Status)
		got, err = e.store.Item(e.ctx, auditor, it.ID)
		require.NoError(t, err)
		require.Equal(t, undox.ItemReferred, got.Status)
		require.Contains(t, e.actions(t, "item", itoa(it.ID)), "item.refer")
	})
}

func TestFourEyesSecondPerson(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		ref, it := e.tracedCase(t, "https://dox.example/second/1")
		id := itoa(it.ID)
		reject := undox.PendingAction{Action: undox.FourEyesReject, Object: "item", ObjectID: id, CaseRef: ref, Reason: "the victim's own post"}

		// analyst is a token of account 2.
		pa, err := e.store.RequestAction(e.ctx, analyst, reject)
		require.NoError(t, err)
		rotated := undox.Actor{Kind: "token", TokenID: 9, Owner: analyst.Owner, Name: "ana's new token", Role: undox.RoleAnalyst}
		_, err = e.store.ApproveAction(e.ctx, rotated, pa.ID)
		requireCode(t, undox.EFORBIDDEN, err, "another token of the same account is the same person")
		console := undox.Actor{Kind: "user", UserID: analyst.Owner, Name: "Ana de Analist", Role: undox.RoleAnalyst}
		_, err = e.store.ApproveAction(e.ctx, console, pa.ID)
		requireCode(t, undox.EFORBIDDEN, err, "the account itself, in the console, is the same person")
		tool := undox.Actor{Kind: "token", TokenID: 5, Name: "tool", Role: undox.RoleAnalyst}
		_, err = e.store.ApproveAction(e.ctx, tool, pa.ID)
		requireCode(t, undox.EFORBIDDEN, err, "a token of no account could be anyone's")
		_, err = e.store.RequestAction(e.ctx, tool, undox.PendingAction{Action: undox.FourEyesConfirm, Object: "item", ObjectID: id, CaseRef: ref})
		requireCode(t, undox.EFORBIDDEN, err, "nor can it ask")
		list, err := e.store.PendingActions(e.ctx, console, undox.PendingFilter{CaseRef: ref})
		require.NoError(t, err)
		require.True(t, list[0].Mine, "so the list tells them")
		got, err := e.store.PendingAction(e.ctx, analyst2, pa.ID)
		require.NoError(t, err)
		require.False(t, got.Mine, "another account, of the same name, is another person")
		// Its decline is a withdrawal, as the requester's own.
		got, err = e.store.DeclineAction(e.ctx, rotated, pa.ID, "")
		require.NoError(t, err)
		require.Equal(t, undox.PendingCanceled, got.Status)
		require.Equal(t, undox.ItemCaptured, itemStatus(t, e, it.ID))

		// A user's request: the same account cannot approve it, whatever
		// its name; a token of another account can.
		pa, err = e.store.RequestAction(e.ctx, analyst2, reject)
		require.NoError(t, err)
		renamed := analyst2
		renamed.Name = "ana-renamed"
		_, err = e.store.ApproveAction(e.ctx, renamed, pa.ID)
		requireCode(t, undox.EFORBIDDEN, err, "the same account, whatever its name")
		bob := undox.Actor{Kind: "token", TokenID: 4, Owner: 4, Name: "bob", Role: undox.RoleAnalyst}
		got, err = e.store.ApproveAction(e.ctx, bob, pa.ID)
		require.NoError(t, err)
		require.Equal(t, undox.PendingApproved, got.Status)
		require.Equal(t, "token:4:bob", got.DecidedBy)
		require.Equal(t, undox.ItemRejected, itemStatus(t, e, it.ID), "approved: the action happened")
		acts := auditChanges(t, e, "item", id)
		require.Equal(t, []string{"action.request user:7:ana", "action.approve token:4:bob", "item.reject token:4:bob"}, acts[len(acts)-3:])
	})
}

// Requests as the API makes them: without a case (the object's first case
// is taken), listed by state and case a page at a time, read one by one;
// a declined request changes nothing and keeps its reason sealed; one
// whose object changed meanwhile cannot be approved and nothing of it
// happens.
func TestPendingActionRequests(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		ref, it := e.tracedCase(t, "https://dox.example/api/1")
		// A later case reports the same page: requests are made from the
		// first.
		later, _ := e.create(t, report{urls: []string{"https://dox.example/api/1"}, category: undox.CategoryDoxing})
		require.Len(t, e.get(t, later.CaseRef).Items, 1)
		id := itoa(it.ID)

		confirm, err := e.store.RequestAction(e.ctx, analyst, undox.PendingAction{Action: undox.FourEyesConfirm, Object: "item", ObjectID: id,
			Reason: "shows Syntha's home address"})
		require.NoError(t, err)
		require.Equal(t, ref, confirm.CaseRef)
		_, err = e.store.RequestAction(e.ctx, analyst, undox.PendingAction{Action: undox.FourEyesClose, Object: "item", ObjectID: "999999"})
		requireCode(t, undox.ENOTFOUND, err, "no such item")
		_, err = e.store.RequestAction(e.ctx, analyst, undox.PendingAction{Action: undox.FourEyesApprove, Object: "notice", ObjectID: "999999"})
		requireCode(t, undox.ENOTFOUND, err, "no such notice")
		closeCase, err := e.store.RequestAction(e.ctx, analyst, undox.PendingAction{Action: undox.FourEyesClose, Object: "case", ObjectID: later.CaseRef})
		require.NoError(t, err)
		require.Equal(t, later.CaseRef, closeCase.CaseRef)

		// Declined by a second analyst, with a reason: nothing else
		// changes, and the reason is sealed like the request's.
		before := len(auditChanges(t, e, "item", id))
		histBefore, err := e.store.ItemHistory(e.ctx, it.ID)
		require.NoError(t, err)
		declined, err := e.store.DeclineAction(e.ctx, analyst2, confirm.ID, "the address is Syntha's office, ask the victim")
		require.NoError(t, err)
		require.Equal(t, undox.PendingDeclined, declined.Status)
		require.Equal(t, "the address is Syntha's office, ask the victim", declined.DecisionReason)
		require.Equal(t, undox.ItemCaptured, itemStatus(t, e, it.ID))
		require.Zero(t, e.count(t, `SELECT count(*) FROM notices WHERE item_id = $1`, it.ID), "no notice prepared")
		hist, err := e.store.ItemHistory(e.ctx, it.ID)
		require.NoError(t, err)
		require.Equal(t, histBefore, hist, "no step of the item")
		require.Equal(t, []string{"action.decline user:7:ana"}, auditChanges(t, e, "item", id)[before:])
		require.Empty(t, e.scanAllTables(t, "Syntha")["Syntha"], "both reasons are sealed")
		_, err = e.store.DeclineAction(e.ctx, analyst2, confirm.ID, "")
		requireCode(t, undox.ETRANSITION, err, "decided once")
		_, err = e.store.DeclineAction(e.ctx, analyst2, closeCase.ID, strings.Repeat("x", 2001))
		requireCode(t, undox.EINVALID, err, "a reason is bounded")
		_, err = e.store.DeclineAction(e.ctx, auditor, closeCase.ID, "")
		requireCode(t, undox.EFORBIDDEN, err, "auditors read only")

		// A request whose object changed meanwhile: the approval fails
		// cleanly, nothing of it happens, and the request waits on.
		again, err := e.store.RequestAction(e.ctx, analyst, undox.PendingAction{Action: undox.FourEyesConfirm, Object: "item", ObjectID: id})
		require.NoError(t, err)
		_, err = e.store.ItemEvent(e.ctx, analyst2, it.ID, undox.ActionReject, "not doxing")
		require.NoError(t, err)
		before = len(auditChanges(t, e, "item", id))
		_, err = e.store.ApproveAction(e.ctx, analyst2, again.ID)
		requireCode(t, undox.ETRANSITION, err, "a rejected item is not confirmed")
		require.Equal(t, undox.ItemRejected, itemStatus(t, e, it.ID))
		require.Len(t, auditChanges(t, e, "item", id), before, "not even the approval is recorded")
		got, err := e.store.PendingAction(e.ctx, auditor, again.ID)
		require.NoError(t, err)
		require.Equal(t, undox.PendingOpen, got.Status)
		require.Empty(t, got.DecidedBy)

		// Lists: by state, by case, a page at a time, oldest first.
		ids := func(f undox.PendingFilter) []int64 {
			t.Helper()
			list, err := e.store.PendingActions(e.ctx, auditor, f)
			require.NoError(t, err)
			var out []int64
			for _, pa := range list {
				out = append(out, pa.ID)
			}
			return out
		}
		require.Equal(t, []int64{confirm.ID, closeCase.ID, again.ID}, ids(undox.PendingFilter{}))
		require.Equal(t, []int64{closeCase.ID, again.ID}, ids(undox.PendingFilter{Status: undox.PendingOpen}))
		require.Equal(t, []int64{confirm.ID}, ids(undox.PendingFilter{Status: undox.PendingDeclined}))
		require.Equal(t, []int64{closeCase.ID}, ids(undox.PendingFilter{CaseRef: later.CaseRef}))
		require.Equal(t, []int64{confirm.ID, closeCase.ID}, ids(undox.PendingFilter{Limit: 2}))
		require.Equal(t, []int64{again.ID}, ids(undox.PendingFilter{After: closeCase.ID, Limit: 2}))
		_, err = e.store.PendingActions(e.ctx, auditor, undox.PendingFilter{Status: "refused"})
		requireCode(t, undox.EINVALID, err, "an unknown state")
		_, err = e.store.PendingActions(e.ctx, partnerA, undox.PendingFilter{})
		requireCode(t, undox.EFORBIDDEN, err, "partners import only")

		got, err = e.store.PendingAction(e.ctx, auditor, confirm.ID)
		require.NoError(t, err)
		require.Equal(t, declined.DecisionReason, got.DecisionReason)
		require.Equal(t, "shows Syntha's home address", got.Reason)
		require.NotNil(t, got.DecidedAt)
		_, err = e.store.PendingAction(e.ctx, auditor, 999999)
		requireCode(t, undox.ENOTFOUND, err, "no such request")
		_, err = e.store.PendingAction(e.ctx, partnerA, confirm.ID)
		requireCode(t, undox.EFORBIDDEN, err, "partners import only")
	})
}

// auditChanges are the audit entries of an object but its reads.
func auditChanges(t *testing.T, e *env, objType, objID string) []string {
	t.Helper()
	var out []string
	for _, a := range auditActions(t, e, objType, objID) {
		if !strings.Contains(a, ".read ") {
			out = append(out, a)
		}
	}
	return out
}

// Erasing a case deletes the staff notes that belong to it alone: the
// reasons of its four-eyes requests (a request still waiting is withdrawn
// by the system) and the reasons of the steps of items no other case
// reports. An item another case shares keeps its history for that case.
// Reading requests is audited.
func TestEraseDeletesStaffNotes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		r, _ := e.create(t, report{urls: []string{"https://dox.example/erase/own", "https://dox.example/erase/shared"}, category: undox.CategoryDoxing})
		ref := r.CaseRef
		other, _ := e.create(t, report{urls: []string{"https://dox.example/erase/shared"}, category: undox.CategoryDoxing})
		sharedID := e.get(t, other.CaseRef).Items[0].ID
		var it *undox.Item
		for _, i := range e.get(t, ref).Items {
			if i.ID != sharedID {
				it = i
			}
		}
		require.NotNil(t, it)
		require.Len(t, e.get(t, ref).Items, 2, "both cases report the shared page")

		_, err := e.store.ItemEvent(e.ctx, analyst, sharedID, undox.ActionReject, "Syntha's page, but no personal data")
		require.NoError(t, err)
		_, err = e.store.ItemEvent(e.ctx, analyst, it.ID, undox.ActionReject, "Syntha asked us to wait")
		require.NoError(t, err)
		_, err = e.store.ItemEvent(e.ctx, analyst, it.ID, undox.ActionReopen, "")
		require.NoError(t, err)
		decided, err := e.store.RequestAction(e.ctx, analyst, undox.PendingAction{Action: undox.FourEyesClose, Object: "case", ObjectID: ref,
			Reason: "Syntha is safe now"})
		require.NoError(t, err)
		_, err = e.store.DeclineAction(e.ctx, analyst2, decided.ID, "Syntha's address is still up")
		require.NoError(t, err)
		waiting, err := e.store.RequestAction(e.ctx, analyst, undox.PendingAction{Action: undox.FourEyesClose, Object: "case", ObjectID: ref,
			Reason: "Syntha moved"})
		require.NoError(t, err)

		// Reading the requests is audited: the list under the case, one
		// request under itself.
		list, err := e.store.PendingActions(e.ctx, auditor, undox.PendingFilter{CaseRef: ref})
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Contains(t, auditActions(t, e, "case", ref), "action.list "+auditor.Label())
		_, err = e.store.PendingActions(e.ctx, auditor, undox.PendingFilter{})
		require.NoError(t, err)
		require.Equal(t, []string{"action.list " + auditor.Label()}, auditActions(t, e, "pending_action", "*"))
		got, err := e.store.PendingAction(e.ctx, auditor, waiting.ID)
		require.NoError(t, err)
		require.Equal(t, "Syntha moved", got.Reason)
		require.Equal(t, []string{"action.read " + auditor.Label()}, auditActions(t, e, "pending_action", itoa(waiting.ID)))

		_, err = e.store.CaseEvent(e.ctx, supervisor, ref, undox.ActionErase, "victim_request")
		require.NoError(t, err)

		got, err = e.store.PendingAction(e.ctx, auditor, waiting.ID)
		require.NoError(t, err)
		require.Equal(t, undox.PendingCanceled, got.Status, "a waiting request is withdrawn")
		require.Equal(t, undox.System.Label(), got.DecidedBy)
		require.Empty(t, got.Reason)
		got, err = e.store.PendingAction(e.ctx, auditor, decided.ID)
		require.NoError(t, err)
		require.Equal(t, undox.PendingDeclined, got.Status, "a decided request stays as it was decided")
		require.Empty(t, got.Reason)
		require.Empty(t, got.DecisionReason)
		require.Zero(t, e.count(t, `SELECT count(*) FROM pending_actions WHERE reason_enc IS NOT NULL OR decision_reason_enc IS NOT NULL`))

		reasons := func(id int64) (out []string) {
			t.Helper()
			hist, err := e.store.ItemHistory(e.ctx, id)
			require.NoError(t, err)
			for _, h := range hist {
				if h.Reason != "" {
					out = append(out, h.Reason)
				}
			}
			return out
		}
		require.Empty(t, reasons(it.ID), "the erased case's own item keeps its steps, not their reasons")
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM item_events WHERE item_id = $1 AND event = 'reject'`, it.ID), "the steps stay")
		require.Equal(t, []string{"Syntha's page, but no personal data"}, reasons(sharedID), "the other case still has the shared item's history")
	})
}
