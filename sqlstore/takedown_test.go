package sqlstore_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/job"
	"github.com/undox/undox/policy"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// setupTakedown is setup with the send_notice and recheck kinds known to the queue
// (River refuses to queue a kind that no worker handles); its jobs are
// only inserted here, the takedown package works them.
func setupTakedown(t *testing.T, b dbtest.Backend) *env {
	t.Helper()
	s := dbtest.NewStack(t, b)
	clk := dbtest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	s.Store.SetClock(clk.Now)
	q := s.Queue(t, job.Config{Register: func(w *river.Workers) {
		river.AddWorker(w, &nopSend{})
		river.AddWorker(w, &nopRecheck{})
	}})
	t.Cleanup(q.Close)
	return &env{ctx: context.Background(), backend: b, dataDir: s.Dir, db: s.DB, pgURL: s.PostgresURL, store: s.Store, queue: q, log: s.Log, clock: clk}
}

type nopSend struct {
	river.WorkerDefaults[undox.SendNoticeJob]
}

func (nopSend) Work(context.Context, *river.Job[undox.SendNoticeJob]) error { return nil }

// nopRecheck knows the recheck kind that a sent notice and a "removed"
// answer queue (package takedown works them).
type nopRecheck struct {
	river.WorkerDefaults[undox.RecheckJob]
}

func (nopRecheck) Work(context.Context, *river.Job[undox.RecheckJob]) error { return nil }

// A synthetic trace answer: the site's own contact (not notified), a host
// with an abuse address, a CDN with only a web form, a registrar.
const takedownTrace = `{"url":"https://dox.example/p/1","recipients":[
 {"role":"site","organisation":"Dox Site","email":"admin@dox.example","notify":false,"source":"security.txt"},
 {"role":"host","organisation":"Example Hosting B.V.","email":"abuse@hosting.example","language":"en","country":"NL","notify":true,"source":"rdap"},
 {"role":"cdn","organisation":"Example CDN","web_form":"https://cdn.example/abuse","notify":true,"source":"cdn_data"},
 {"role":"registrar","organisation":"Example Registrar","email":"abuse@registrar.example","notify":true,"source":"rdap"}]}`

// capturedItem makes a case with one captured, traced item.
func (e *env) capturedItem(t *testing.T, u string) *undox.Item {
	t.Helper()
	_, it := e.tracedCase(t, u)
	return it
}

func (e *env) sendJobs(t *testing.T) int {
	return e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'send_notice'`)
}

func TestNoticeLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		it := e.capturedItem(t, "https://dox.example/p/1")

		_, _, err := e.store.ConfirmItem(e.ctx, auditor, it.ID, "")
		requireCode(t, undox.EFORBIDDEN, err, "auditors read only")
		got, n, err := e.store.ConfirmItem(e.ctx, analyst, it.ID, "doxes a home address")
		require.NoError(t, err)
		require.Equal(t, undox.ItemConfirmed, got.Status)
		require.NotNil(t, n)
		// The site's own contact is skipped: the first notice goes to the host.
		require.Equal(t, undox.RoleHost, n.Role)
		require.Equal(t, "Example Hosting B.V.", n.Recipient)
		require.Equal(t, undox.ChannelEmail, n.Channel)
		require.Equal(t, "abuse@hosting.example", n.Address)
		require.Equal(t, undox.NoticePrepared, n.Status)
		require.Equal(t, 1, n.RecipientIndex)
		require.Zero(t, e.sendJobs(t), "nothing goes out before an analyst approves")
		_, _, err = e.store.ConfirmItem(e.ctx, analyst, it.ID, "")
		requireCode(t, undox.ETRANSITION, err, "confirmed twice")

		_, err = e.store.ApproveNotice(e.ctx, auditor, n.ID)
		requireCode(t, undox.EFORBIDDEN, err, "auditors read only")
		_, err = e.store.ApproveNotice(e.ctx, analyst, 999999)
		requireCode(t, undox.ENOTFOUND, err, "unknown notice")
		n, err = e.store.ApproveNotice(e.ctx, analyst, n.ID)
		require.NoError(t, err)
		require.Equal(t, undox.NoticeApproved, n.Status)
		require.Equal(t, "token:2:ana", n.ApprovedBy)
		require.Equal(t, 1, e.sendJobs(t), "the send job is queued with the approval")
		_, err = e.store.ApproveNotice(e.ctx, analyst, n.ID)
		requireCode(t, undox.ETRANSITION, err, "approved twice")

		// The send job's records.
		token := "tok-" + randHex(t, 16)
		text := "Answer at https://hotline.example/respond/" + token + " please."
		saved, err := e.store.SaveRendered(e.ctx, n.ID, sqlstore.Rendered{MessageID: "<undox-notice-1@hotline.example>",
			Subject: "s", Text: text, Message: []byte("m"), TokenHash: secret.Hash(token)})
		require.NoError(t, err)
		require.True(t, saved)
		// The response link answers as the recipient: a read-only reader
		// does not get it; an analyst, who may submit the text by hand,
		// does.
		ns, err := e.store.Notices(e.ctx, auditor, it.ID)
		require.NoError(t, err)
		require.Equal(t, "Answer at https://hotline.example/respond/[…] please.", ns[0].Text)
		ns, err = e.store.Notices(e.ctx, analyst, it.ID)
		require.NoError(t, err)
		require.Equal(t, text, ns[0].Text)
		saved, err = e.store.SaveRendered(e.ctx, n.ID, sqlstore.Rendered{MessageID: "<other@hotline.example>", Message: []byte("x")})
		require.NoError(t, err)
		require.False(t, saved, "a rendered notice keeps its Message-ID and bytes")
		o, err := e.store.OutboundNotice(e.ctx, n.ID)
		require.NoError(t, err)
		require.Equal(t, "<undox-notice-1@hotline.example>", o.Notice.MessageID)
		require.Equal(t, []byte("m"), o.Message)

		require.NoError(t, e.store.MarkNoticeSending(e.ctx, n.ID))
		require.NoError(t, e.store.MarkNoticeSending(e.ctx, n.ID), "a resend in the DATA window")
		due := e.clock.Now().Add(48 * time.Hour)
		require.NoError(t, e.store.MarkNoticeSent(e.ctx, n.ID, due))
		requireCode(t, undox.ETRANSITION, e.store.MarkNoticeSending(e.ctx, n.ID), "a sent notice is never sent again")

		list, err := e.store.Notices(e.ctx, auditor, it.ID)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, undox.NoticeSent, list[0].Status)
		require.Equal(t, 2, list[0].Attempts)
		require.NotNil(t, list[0].SentAt)
		require.Equal(t, due.UTC(), list[0].Deadline.UTC())
		got, err = e.store.Item(e.ctx, analyst, it.ID)
		require.NoError(t, err)
		require.Equal(t, undox.ItemNotified, got.Status, "the item observes that it was notified")

		actions := e.actions(t, "notice", itoa(n.ID))
		require.Equal(t, []string{"notice.prepare", "notice.approve", "notice.render", "notice.data", "notice.data", "notice.accepted"}, actions)

		// The response link.
		found, err := e.store.NoticeByToken(e.ctx, secret.Hash(token))
		require.NoError(t, err)
		require.Equal(t, n.ID, found.ID)
		_, err = e.store.NoticeByToken(e.ctx, secret.Hash("made-up"))
		requireCode(t, undox.ENOTFOUND, err, "unknown token")
		_, err = e.store.ResponseByToken(e.ctx, secret.Hash(token), undox.NoticeResponse{Kind: undox.ResponseWillRemove})
		requireCode(t, undox.EINVALID, err, "will remove needs a date")
		_, err = e.store.ResponseByToken(e.ctx, secret.Hash(token), undox.NoticeResponse{Kind: undox.ResponseDisputed})
		requireCode(t, undox.EINVALID, err, "a dispute needs a reason")
		_, err = e.store.ResponseByToken(e.ctx, secret.Hash(token), undox.NoticeResponse{Kind: undox.ResponseNotOurCustomer})
		requireCode(t, undox.EINVALID, err, "not our customer names who is")
		_, err = e.store.ResponseByToken(e.ctx, secret.Hash(token), undox.NoticeResponse{Kind: "whatever"})
		requireCode(t, undox.EINVALID, err, "unknown kind")
		until := e.clock.Now().AddDate(0, 0, 3).Format("2006-01-02")
		n, err = e.store.ResponseByToken(e.ctx, secret.Hash(token), undox.NoticeResponse{Kind: undox.ResponseWillRemove, Until: until})
		require.NoError(t, err)
		require.Equal(t, undox.NoticeAnswered, n.Status)
		n, err = e.store.ResponseByToken(e.ctx, secret.Hash(token), undox.NoticeResponse{Kind: undox.ResponseRemoved, Detail: "done"})
		require.NoError(t, err)
		require.Len(t, n.Responses, 2)
		require.Equal(t, undox.ResponseWillRemove, n.Responses[0].Kind)
		require.Equal(t, until, n.Responses[0].Until)
		require.Equal(t, undox.ResponseRemoved, n.Responses[1].Kind)
		require.Equal(t, "web", n.Responses[1].Source)
		// Removal counts only when re-checks agree: the item is not removed.
		got, err = e.store.Item(e.ctx, analyst, it.ID)
		require.NoError(t, err)
		require.Equal(t, undox.ItemNotified, got.Status)

		// The link expires.
		e.clock.Advance(sqlstore.ResponseTTL + time.Hour)
		_, err = e.store.NoticeByToken(e.ctx, secret.Hash(token))
		requireCode(t, undox.ENOTFOUND, err, "expired")
	})
}

func TestNoticeBounceMovesToNextRecipient(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		it := e.capturedItem(t, "https://dox.example/p/2")
		_, n, err := e.store.ConfirmItem(e.ctx, analyst, it.ID, "")
		require.NoError(t, err)
		_, err = e.store.ApproveNotice(e.ctx, analyst, n.ID)
		require.NoError(t, err)

		// The host's address is refused: the CDN, which has only a web
		// form, gets an analyst task with its text rendered by a job.
		next, err := e.store.BounceNotice(e.ctx, n.ID, "550 5.1.1 no such user", "smtp")
		require.NoError(t, err)
		require.NotNil(t, next)
		require.Equal(t, undox.RoleCDN, next.Role)
		require.Equal(t, undox.NoticeManual, next.Status)
		require.Equal(t, undox.ChannelWebForm, next.Channel)
		require.Equal(t, "https://cdn.example/abuse", next.Address)
		require.Equal(t, 2, e.sendJobs(t), "approval, and the manual notice's rendering")

		list, err := e.store.Notices(e.ctx, analyst, it.ID)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, undox.NoticeBounced, list[0].Status)
		require.Contains(t, list[0].LastError, "5.1.1")
		require.Len(t, list[0].Responses, 1)
		require.Equal(t, undox.ResponseBounce, list[0].Responses[0].Kind)

		// The analyst submits the form: the notice counts as sent.
		_, err = e.store.SubmitNotice(e.ctx, undox.Actor{Kind: "token", Name: "aud", Role: undox.RoleAuditor}, next.ID, time.Time{})
		requireCode(t, undox.EFORBIDDEN, err, "an auditor only reads")
		sent, err := e.store.SubmitNotice(e.ctx, analyst, next.ID, time.Time{})
		require.NoError(t, err)
		require.Equal(t, undox.NoticeSent, sent.Status)
		require.NotNil(t, sent.Deadline, "the policy's deadline, from now")
		require.True(t, sent.Deadline.After(e.clock.Now()))
		got, err := e.store.Item(e.ctx, analyst, it.ID)
		require.NoError(t, err)
		require.Equal(t, undox.ItemNotified, got.Status)

		// After the registrar nobody is left.
		_, err = e.store.BounceNotice(e.ctx, sent.ID, "bounced by e-mail", "email")
		require.NoError(t, err)
		list, err = e.store.Notices(e.ctx, analyst, it.ID)
		require.NoError(t, err)
		require.Len(t, list, 3)
		require.Equal(t, undox.RoleRegistrar, list[2].Role)
		last, err := e.store.BounceNotice(e.ctx, list[2].ID, "no", "smtp")
		requireCode(t, undox.ETRANSITION, err, "a prepared notice was never sent")
		require.Nil(t, last)
	})
}

func TestConfirmWithoutTrace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		r, _ := e.create(t, report{urls: []string{"https://dox.example/untraced"}, category: undox.CategoryDoxing})
		it := e.get(t, r.CaseRef).Items[0]
		_, err := e.store.ObserveItem(e.ctx, it.ID, undox.ObserveCaptured, "", nil)
		require.NoError(t, err)
		got, n, err := e.store.ConfirmItem(e.ctx, analyst, it.ID, "")
		require.NoError(t, err)
		require.Equal(t, undox.ItemConfirmed, got.Status)
		require.Nil(t, n)
		require.Contains(t, e.actions(t, "item", itoa(it.ID)), "notice.none")
		// Once traced, the notice can be prepared.
		_, err = e.store.SaveTrace(e.ctx, it.ID, "net:EXAMPLE", []byte(takedownTrace))
		require.NoError(t, err)
		n, err = e.store.PrepareNotice(e.ctx, analyst, it.ID)
		require.NoError(t, err)
		require.Equal(t, "abuse@hosting.example", n.Address)
	})
}

// A trace that names someone to notify prepares the notice that was
// missing: for an item confirmed before anyone was found (it waits for an
// analyst, like every first notice), and for content that came back after
// its removal (approved and sent at once where the policy notifies
// re-uploads of confirmed content automatically, marked as automatic;
// else it waits for an analyst). Each only once.
func TestNoticeAfterTrace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		notices := func(id int64) []*undox.Notice {
			t.Helper()
			ns, err := e.store.Notices(e.ctx, auditor, id)
			require.NoError(t, err)
			return ns
		}

		// Confirmed with no trace yet: no notice.
		r, _ := e.create(t, report{urls: []string{"https://dox.example/early"}, category: undox.CategoryDoxing})
		early := e.get(t, r.CaseRef).Items[0]
		_, err := e.store.ObserveItem(e.ctx, early.ID, undox.ObserveCaptured, "", nil)
		require.NoError(t, err)
		_, n, err := e.store.ConfirmItem(e.ctx, analyst, early.ID, "doxes a home address")
		require.NoError(t, err)
		require.Nil(t, n)
		// A trace that names nobody changes nothing.
		_, err = e.store.SaveTrace(e.ctx, early.ID, "net:EXAMPLE", []byte(`{"url":"https://dox.example/early","recipients":[]}`))
		require.NoError(t, err)
		require.Empty(t, notices(early.ID))
		// One that names the host prepares its notice, for an analyst.
		_, err = e.store.SaveTrace(e.ctx, early.ID, "net:EXAMPLE", []byte(takedownTrace))
		require.NoError(t, err)
		ns := notices(early.ID)
		require.Len(t, ns, 1)
		require.Equal(t, undox.NoticePrepared, ns[0].Status)
		require.Equal(t, "abuse@hosting.example", ns[0].Address)
		require.Equal(t, undox.System.Label(), ns[0].CreatedBy)
		require.False(t, ns[0].Automatic)
		require.Zero(t, e.sendJobs(t), "an analyst approves the first notice")
		_, err = e.store.SaveTrace(e.ctx, early.ID, "net:EXAMPLE", []byte(takedownTrace))
		require.NoError(t, err)
		require.Len(t, notices(early.ID), 1, "prepared once")

		// Content that came back after its removal.
		back := e.capturedItem(t, "https://dox.example/back")
		_, first, err := e.store.ConfirmItem(e.ctx, analyst, back.ID, "doxes a home address")
		require.NoError(t, err)
		_, err = e.store.ApproveNotice(e.ctx, analyst, first.ID)
		require.NoError(t, err)
		jobs := e.sendJobs(t)
		_, err = e.store.ObserveItem(e.ctx, back.ID, undox.ObserveGone, "", nil)
		require.NoError(t, err)
		// Traced again while removed: nothing to notify.
		_, err = e.store.SaveTrace(e.ctx, back.ID, "net:EXAMPLE", []byte(takedownTrace))
		require.NoError(t, err)
		require.Len(t, notices(back.ID), 1)
		e.clock.Advance(time.Hour)
		_, err = e.store.ObserveItem(e.ctx, back.ID, undox.ObserveBack, "", nil)
		require.NoError(t, err)
		require.Equal(t, undox.ItemReappeared, itemStatus(t, e, back.ID))
		_, err = e.store.SaveTrace(e.ctx, back.ID, "net:EXAMPLE", []byte(takedownTrace))
		require.NoError(t, err)
		ns = notices(back.ID)
		require.Len(t, ns, 2, "content back online is notified again")
		again := ns[len(ns)-1]
		if again.ID == first.ID {
			again = ns[0]
		}
		require.Equal(t, undox.NoticeApproved, again.Status, "the default policy notifies re-uploads of confirmed content automatically")
		require.True(t, again.Automatic)
		require.Equal(t, sqlstore.AutomaticActor.Label(), again.ApprovedBy)
		require.Equal(t, jobs+1, e.sendJobs(t), "its send job is queued")
		_, err = e.store.SaveTrace(e.ctx, back.ID, "net:EXAMPLE", []byte(takedownTrace))
		require.NoError(t, err)
		require.Len(t, notices(back.ID), 2, "notified again once")

		// Without automatic re-upload notices, an analyst approves it.
		own, err := policy.Parse([]byte(strings.Replace(string(policy.DefaultFile()), "auto_notify_reuploads = true", "auto_notify_reuploads = false", 1)))
		require.NoError(t, err)
		require.False(t, own.AutoNotifyReuploads())
		e.store.SetPolicy(own)
		e.clock.Advance(time.Hour)
		_, err = e.store.ObserveItem(e.ctx, back.ID, undox.ObserveGone, "", nil)
		require.NoError(t, err)
		e.clock.Advance(time.Hour)
		_, err = e.store.ObserveItem(e.ctx, back.ID, undox.ObserveBack, "", nil)
		require.NoError(t, err)
		_, err = e.store.SaveTrace(e.ctx, back.ID, "net:EXAMPLE", []byte(takedownTrace))
		require.NoError(t, err)
		ns = notices(back.ID)
		require.Len(t, ns, 3)
		var prepared int
		for _, n := range ns {
			if n.Status == undox.NoticePrepared {
				prepared++
				require.False(t, n.Automatic)
			}
		}
		require.Equal(t, 1, prepared)
		require.Equal(t, jobs+1, e.sendJobs(t))
	})
}

// A case's audit trail holds the entries of the case, of its items and of
// their notices (not another case's); without readings on request.
func TestCaseAuditEntries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		r, _ := e.create(t, report{urls: []string{"https://dox.example/trail"}, category: undox.CategoryDoxing})
		o, _ := e.create(t, report{urls: []string{"https://dox.example/other"}, category: undox.CategoryDoxing})
		it := e.get(t, r.CaseRef).Items[0]
		_, err := e.store.ObserveItem(e.ctx, it.ID, undox.ObserveCaptured, "", nil)
		require.NoError(t, err)
		_, err = e.store.SaveTrace(e.ctx, it.ID, "net:EXAMPLE", []byte(takedownTrace))
		require.NoError(t, err)
		_, n, err := e.store.ConfirmItem(e.ctx, analyst, it.ID, "")
		require.NoError(t, err)
		_, err = e.store.ApproveNotice(e.ctx, analyst, n.ID)
		require.NoError(t, err)
		_, err = e.store.Notices(e.ctx, analyst, it.ID) // a reading
		require.NoError(t, err)
		e.get(t, o.CaseRef)

		objects := func(reads bool) []string {
			entries, err := e.store.CaseAuditEntries(e.ctx, r.CaseRef, reads)
			require.NoError(t, err)
			var out []string
			for i, en := range entries {
				if i > 0 {
					require.Less(t, entries[i-1].ID, en.ID, "oldest first")
				}
				out = append(out, en.Action+" "+en.ObjectType+" "+en.ObjectID)
			}
			return out
		}
		all, changes := objects(true), objects(false)
		for _, want := range []string{"case.create case " + r.CaseRef, "item.confirm item " + itoa(it.ID),
			"notice.prepare notice " + itoa(n.ID), "notice.approve notice " + itoa(n.ID)} {
			require.Contains(t, all, want)
			require.Contains(t, changes, want)
		}
		require.Contains(t, all, "notice.list item "+itoa(it.ID))
		require.NotContains(t, changes, "notice.list item "+itoa(it.ID))
		for _, en := range all {
			require.NotContains(t, en, o.CaseRef)
		}
	})
}

// The work queue's default filter: items in any of several states.
func TestItemsInStatuses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setupTakedown(t, b)
		r, _ := e.create(t, report{urls: []string{"https://dox.example/s/new", "https://dox.example/s/captured", "https://dox.example/s/rejected"},
			category: undox.CategoryDoxing})
		items := e.get(t, r.CaseRef).Items
		for _, it := range items[1:] {
			_, err := e.store.ObserveItem(e.ctx, it.ID, undox.ObserveCaptured, "", nil)
			require.NoError(t, err)
		}
		_, err := e.store.ItemEvent(e.ctx, analyst, items[2].ID, undox.ActionReject, "not doxing")
		require.NoError(t, err)
		urls := func(f undox.ItemFilter) []string {
			got, err := e.store.QueueItems(e.ctx, analyst, f)
			require.NoError(t, err)
			var out []string
			for _, it := range got {
				out = append(out, it.URL)
			}
			return out
		}
		require.Equal(t, []string{"https://dox.example/s/captured"}, urls(undox.ItemFilter{Statuses: []undox.ItemStatus{undox.ItemCaptured, undox.ItemConfirmed}}))
		require.ElementsMatch(t, []string{"https://dox.example/s/captured", "https://dox.example/s/rejected"},
			urls(undox.ItemFilter{Statuses: []undox.ItemStatus{undox.ItemCaptured, undox.ItemRejected}, Host: "dox.example"}))
		require.Len(t, urls(undox.ItemFilter{}), 3)

		// A notified item is the recipient's to act on, until its notice
		// is answered with what an analyst decides on.
		it := e.capturedItem(t, "https://dox.example/s/notified")
		_, n, err := e.store.ConfirmItem(e.ctx, analyst, it.ID, "doxes a home address")
		require.NoError(t, err)
		_, err = e.store.ApproveNotice(e.ctx, analyst, n.ID)
		require.NoError(t, err)
		require.NoError(t, e.store.MarkNoticeSent(e.ctx, n.ID, e.clock.Now().Add(24*time.Hour)))
		require.Equal(t, undox.ItemNotified, itemStatus(t, e, it.ID))
		work := undox.ItemFilter{Statuses: []undox.ItemStatus{undox.ItemCaptured}, Answered: true}
		require.Equal(t, []string{"https://dox.example/s/captured"}, urls(work))
		_, err = e.store.RecordResponse(e.ctx, n.ID, undox.NoticeResponse{Kind: undox.ResponseWillRemove,
			Until: e.clock.Now().Add(48 * time.Hour).Format("2006-01-02"), Source: "web"})
		require.NoError(t, err)
		require.Equal(t, []string{"https://dox.example/s/captured"}, urls(work), "a promise to remove is the recipient's to keep")
		_, err = e.store.RecordResponse(e.ctx, n.ID, undox.NoticeResponse{Kind: undox.ResponseNotOurCustomer, OtherParty: "Other Host B.V.", Source: "web"})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"https://dox.example/s/captured", "https://dox.example/s/notified"}, urls(work))
		require.Equal(t, []string{"https://dox.example/s/captured"}, urls(undox.ItemFilter{Statuses: work.Statuses}), "only when asked for")
	})
}
