package takedown

import (
	"bytes"
	"mime"
	netmail "net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/evidence"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/policy"
	"github.com/undox/undox/sqlstore"
)

// The whole ladder: host, upstream, a registrar that is the host itself
// (skipped), registry. Synthetic data only.
const ladderAnswer = `{"url":"https://dox.example/p/ladder","recipients":[
 {"role":"host","organisation":"Example Hosting B.V.","email":"abuse@hosting.example","language":"en","country":"NL","notify":true,"source":"rdap"},
 {"role":"upstream","organisation":"Upstream Transit Ltd","email":"abuse@upstream.example","language":"en","country":"GB","notify":true,"source":"rdap"},
 {"role":"registrar","organisation":"Example Hosting B.V.","email":"domains@hosting.example","notify":true,"source":"rdap"},
 {"role":"registry","organisation":"Example Registry","email":"abuse@registry.example","notify":true,"source":"rdap"}]}`

var auditorActor = undox.Actor{Kind: "token", TokenID: 4, Name: "aud", Role: undox.RoleAuditor}

var supervisor = undox.Actor{Kind: "token", TokenID: 3, Owner: 3, Name: "sup", Role: undox.RoleSupervisor}

// item is a reported, captured (with a stored page), traced item.
type item struct {
	caseRef string
	id      int64
}

func (f *fixture) captured(t *testing.T, blobs *blob.Dir, rep undox.Report, answer string, persons ...string) item {
	t.Helper()
	in := &intake.Service{Store: f.store, PublicURL: "https://undox.hotline.example"}
	if rep.Category == "" {
		rep.Category = undox.CategoryDoxing
	}
	rc, err := in.Submit(f.ctx, undox.Public, intake.Submission{Report: rep})
	require.NoError(t, err)
	c, err := f.store.Case(f.ctx, analyst, rc.CaseRef)
	require.NoError(t, err)
	var id int64
	for _, it := range c.Items {
		if it.URL == rep.URLs[0] {
			id = it.ID
		}
	}
	require.NotZero(t, id)
	target, err := f.store.CaptureTarget(f.ctx, id)
	require.NoError(t, err)
	var cc undox.CaptureCase
	for _, x := range target.Cases {
		if x.Ref == rc.CaseRef {
			cc = x
		}
	}
	body := []byte("<html><body>synthetic page " + rep.URLs[0] + "</body></html>")
	ref, err := blobs.Put(f.ctx, bytes.NewReader(body), cc.Key, cc.Ref)
	require.NoError(t, err)
	capt := undox.Capture{CaseRef: cc.Ref, FetchedAt: f.now, RequestedBy: "system", HTTPStatus: 200,
		Files:      []undox.CaptureFile{{Kind: undox.FileBody, SHA256: ref.SHA256, Size: ref.Size, MediaType: "text/html"}},
		BodySHA256: ref.SHA256, Facts: []byte(`{"title":"Synthetic"}`)}
	if len(persons) > 0 {
		var ms []string
		for _, p := range persons {
			ms = append(ms, `{"person":"`+p+`","kind":"name","start":0,"end":4}`)
		}
		capt.Scan = &undox.ScanResult{Findings: []byte(`[]`), Severity: 40,
			Summary: []byte(`{"kinds":{},"matches":[` + strings.Join(ms, ",") + `],"assessment":{}}`)}
	}
	_, err = f.store.SaveCapture(f.ctx, undox.CaptureAttempt{ItemID: id, Observe: undox.ObserveCaptured, Captures: []undox.Capture{capt}})
	require.NoError(t, err)
	_, err = f.store.SaveTrace(f.ctx, id, "net:EXAMPLE", []byte(answer))
	require.NoError(t, err)
	return item{caseRef: rc.CaseRef, id: id}
}

// notify confirms, approves and sends an item's first notice.
func (f *fixture) notify(t *testing.T, it item) *undox.Notice {
	t.Helper()
	_, n, err := f.store.ConfirmItem(f.ctx, analyst, it.id, "doxes a home address")
	require.NoError(t, err)
	require.NotNil(t, n)
	_, err = f.store.ApproveNotice(f.ctx, analyst, n.ID)
	require.NoError(t, err)
	_, err = f.stack.Log.Integrate(f.ctx, 0)
	require.NoError(t, err)
	require.NoError(t, f.svc.SendLadder(f.ctx, n.ID, false))
	n = f.notice(t, n.ID)
	require.Equal(t, undox.NoticeSent, n.Status)
	return n
}

func (f *fixture) escalate(t *testing.T) int {
	t.Helper()
	n, err := f.svc.Escalate(f.ctx)
	require.NoError(t, err)
	return n
}

func (f *fixture) itemStatus(t *testing.T, id int64) undox.ItemStatus {
	t.Helper()
	it, err := f.store.Item(f.ctx, analyst, id)
	require.NoError(t, err)
	return it.Status
}

func (f *fixture) notices(t *testing.T, itemID int64) []*undox.Notice {
	t.Helper()
	list, err := f.store.Notices(f.ctx, analyst, itemID)
	require.NoError(t, err)
	return list
}

// sendLatest sends the item's latest notice (what the queue's send job
// does) and returns the message the server got.
func (f *fixture) sendLatest(t *testing.T, itemID int64) (*undox.Notice, *netmail.Message, string) {
	t.Helper()
	list := f.notices(t, itemID)
	n := list[len(list)-1]
	require.Equal(t, undox.NoticeApproved, n.Status, "an automatic step is approved at once")
	_, err := f.stack.Log.Integrate(f.ctx, 0)
	require.NoError(t, err)
	before := len(f.be.messages())
	require.NoError(t, f.svc.SendLadder(f.ctx, n.ID, false))
	msgs := f.be.messages()
	require.Len(t, msgs, before+1)
	m, err := netmail.ReadMessage(bytes.NewReader(msgs[len(msgs)-1].Data))
	require.NoError(t, err)
	require.Equal(t, []string{n.Address}, msgs[len(msgs)-1].To)
	return f.notice(t, n.ID), m, string(msgs[len(msgs)-1].Data)
}

func amsterdam(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	require.NoError(t, err)
	at, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	require.NoError(t, err)
	return at.UTC()
}

// With the clock advanced, the reminder and the escalations follow in
// order, each to the right recipient, pausing on weekends; automatic
// steps are sent and marked automatic; dossiers come with a bundle that
// verifies and wait for two staff members.
func TestEscalationLadder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		blobs, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)
		key, err := verifierKey(f)
		require.NoError(t, err)
		f.svc.SetEvidence(f.stack.Log, blobs, key)

		f.now = amsterdam(t, "2026-07-17 15:00") // a Friday
		it := f.captured(t, blobs, undox.Report{URLs: []string{"https://dox.example/p/ladder"}}, ladderAnswer)
		first := f.notify(t, it)
		require.Equal(t, "abuse@hosting.example", first.Address)

		// The deadline (24 h, pausing on weekends) ends on Monday 15:00.
		for _, at := range []string{"2026-07-17 18:00", "2026-07-18 12:00", "2026-07-19 23:00", "2026-07-20 14:59"} {
			f.now = amsterdam(t, at)
			require.Zero(t, f.escalate(t), at)
			require.Equal(t, undox.ItemNotified, f.itemStatus(t, it.id), at)
		}

		// At the deadline: overdue, and the reminder to the host.
		f.now = amsterdam(t, "2026-07-20 15:00")
		require.Equal(t, 1, f.escalate(t))
		require.Equal(t, undox.ItemEscalated, f.itemStatus(t, it.id))
		require.Zero(t, f.escalate(t), "the reminder waits to go out")
		rem, m, raw := f.sendLatest(t, it.id)
		require.Equal(t, "abuse@hosting.example", rem.Address)
		require.True(t, rem.Automatic)
		require.Equal(t, first.MessageID, m.Header.Get("In-Reply-To"), "threaded to the first notice")
		require.Equal(t, "auto-generated", m.Header.Get("Auto-Submitted"))
		subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		require.NoError(t, err)
		require.Contains(t, subject, "Reminder 1")
		require.Contains(t, rem.Text, "REMINDER 1")
		require.NotContains(t, raw, it.caseRef, "no case reference")

		// Upstream, 24 h later (working days).
		f.now = amsterdam(t, "2026-07-21 14:00")
		require.Zero(t, f.escalate(t))
		f.now = amsterdam(t, "2026-07-21 15:00")
		require.Equal(t, 1, f.escalate(t))
		up, _, _ := f.sendLatest(t, it.id)
		require.Equal(t, undox.RoleUpstream, up.Role)
		require.Equal(t, "abuse@upstream.example", up.Address)
		require.True(t, up.Automatic)

		// The registrar is the host itself: skipped 48 h later, and the
		// registry notified.
		f.now = amsterdam(t, "2026-07-23 14:59")
		require.Zero(t, f.escalate(t))
		f.now = amsterdam(t, "2026-07-23 15:00")
		require.Equal(t, 2, f.escalate(t))
		reg, _, _ := f.sendLatest(t, it.id)
		require.Equal(t, undox.RoleRegistry, reg.Role)
		require.Equal(t, "abuse@registry.example", reg.Address)
		steps, err := f.store.LadderSteps(f.ctx, analyst, it.id)
		require.NoError(t, err)
		require.Len(t, steps, 4)
		require.Equal(t, "registrar", steps[2].Name)
		require.Equal(t, sqlstore.StepSkipped, steps[2].Outcome)
		require.Contains(t, steps[2].Detail, "notified already")

		// The regulator's dossier: 72 h of working days after the
		// registry (Thursday): not on the weekend, nor on Monday; Tuesday.
		for _, at := range []string{"2026-07-25 12:00", "2026-07-27 15:00", "2026-07-28 14:59"} {
			f.now = amsterdam(t, at)
			require.Zero(t, f.escalate(t), at)
		}
		f.now = amsterdam(t, "2026-07-28 15:00")
		require.Equal(t, 1, f.escalate(t))
		ds, err := f.store.Dossiers(f.ctx, analyst, it.id)
		require.NoError(t, err)
		require.Len(t, ds, 1)
		d := ds[0]
		require.Equal(t, "regulator", d.Kind)
		require.Equal(t, "ACM", d.Recipient, "the host is established in the Netherlands")
		require.Equal(t, undox.DossierAwaiting, d.Status, "a four-eyes step waits")
		require.False(t, d.Automatic)
		require.Contains(t, d.Text, "https://dox.example/p/ladder")
		require.Contains(t, d.Text, "Autoriteit Consument & Markt")
		require.Contains(t, d.HTML, "&amp;")
		require.NotEmpty(t, d.BundleSHA256)
		zip, err := f.store.DossierBundle(f.ctx, analyst, d.ID)
		require.NoError(t, err)
		rep, err := evidence.Verify(bytes.NewReader(zip), int64(len(zip)), evidence.VerifyOptions{TrustedKey: key})
		require.NoError(t, err)
		require.True(t, rep.OK, "%v", rep.Problems)
		require.Equal(t, it.caseRef, rep.Case)
		require.NotZero(t, rep.CaptureFiles)
		require.Equal(t, rep.CaptureFiles, rep.CaptureFilesCovered, "every captured file recorded in the audit log")
		// The bundle holds the raw captures, unblurred: an auditor, who
		// may not reveal a minor's pictures, reads the dossier's text but
		// does not get the bundle.
		_, err = f.store.DossierBundle(f.ctx, auditorActor, d.ID)
		require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err), "%v", err)
		read, err := f.store.Dossiers(f.ctx, auditorActor, it.id)
		require.NoError(t, err)
		require.Contains(t, read[0].Text, "https://dox.example/p/ladder")

		// Four eyes: the same analyst cannot approve twice.
		d, err = f.store.ApproveDossier(f.ctx, analyst, d.ID)
		require.NoError(t, err)
		require.Equal(t, undox.DossierAwaiting, d.Status)
		_, err = f.store.ApproveDossier(f.ctx, analyst, d.ID)
		require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err))
		// Nor under another name (a renamed account or token), nor with
		// a second token of the same name.
		renamed := analyst
		renamed.Name = "ana-renamed"
		_, err = f.store.ApproveDossier(f.ctx, renamed, d.ID)
		require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err))
		second := analyst
		second.TokenID = 99
		second.Role = undox.RoleSupervisor
		_, err = f.store.ApproveDossier(f.ctx, second, d.ID)
		require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err))
		d, err = f.store.ApproveDossier(f.ctx, supervisor, d.ID)
		require.NoError(t, err)
		require.Equal(t, undox.DossierReady, d.Status)
		// Sent through ACM's own channel; staff record it, once.
		_, err = f.store.MarkDossierSent(f.ctx, auditorActor, d.ID, "ACM-2026-0042")
		require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err))
		d, err = f.store.MarkDossierSent(f.ctx, supervisor, d.ID, " ACM-2026-0042 ")
		require.NoError(t, err)
		require.Equal(t, undox.DossierSent, d.Status)
		require.Equal(t, "ACM-2026-0042", d.SentReference)
		require.Equal(t, supervisor.Label(), d.SentBy)
		require.NotNil(t, d.SentAt)
		_, err = f.store.MarkDossierSent(f.ctx, supervisor, d.ID, "again")
		require.Equal(t, undox.ETRANSITION, undox.ErrorCode(err))

		// The police (an order under art. 125p Sv), then delisting.
		f.now = amsterdam(t, "2026-07-29 15:00")
		require.Equal(t, 1, f.escalate(t))
		f.now = amsterdam(t, "2026-07-30 15:00")
		require.Equal(t, 1, f.escalate(t))
		ds, err = f.store.Dossiers(f.ctx, analyst, it.id)
		require.NoError(t, err)
		require.Len(t, ds, 3)
		require.Equal(t, "police", ds[1].Kind)
		require.Equal(t, "125p", ds[1].Recipient)
		require.Contains(t, ds[1].Text, "125p Sv")
		require.NotEmpty(t, ds[1].BundleSHA256)
		require.Equal(t, "delisting", ds[2].Kind)
		require.Contains(t, ds[2].Text, "delist")
		require.Empty(t, ds[2].BundleSHA256)
		f.now = f.now.Add(30 * 24 * time.Hour)
		require.Zero(t, f.escalate(t), "the ladder has ended")

		// The audit log marks the automatic actions.
		entries, err := f.store.AuditEntries(f.ctx, "notice", itoa(rem.ID))
		require.NoError(t, err)
		found := false
		for _, e := range entries {
			if e.Action == "notice.approve" {
				found = true
				require.Equal(t, "automatic", e.Actor)
				require.Contains(t, e.Detail, "automatic=true")
			}
		}
		require.True(t, found)
		items, err := f.store.AuditEntries(f.ctx, "item", itoa(it.id))
		require.NoError(t, err)
		var overdue, ladder int
		for _, e := range items {
			switch e.Action {
			case "item.overdue":
				overdue++
			case "ladder.step":
				ladder++
			}
		}
		require.Equal(t, 1, overdue)
		require.Equal(t, 7, ladder)
	})
}

// A step that is neither automatic waits for an analyst: the ladder stops
// until its notice went out.
func TestEscalationWaitsForAnalyst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		src := strings.Replace(string(policy.DefaultFile()), `automatic = ["reminder", "upstream", "registrar", "registry"]`,
			`automatic = ["reminder", "registrar", "registry"]`, 1)
		pol, err := policy.Parse([]byte(src))
		require.NoError(t, err)
		f.svc.cfg.Policy = pol
		blobs, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)

		f.now = amsterdam(t, "2026-07-14 10:00") // a Tuesday
		it := f.captured(t, blobs, undox.Report{URLs: []string{"https://dox.example/p/wait"}}, ladderAnswer)
		f.notify(t, it)
		f.now = amsterdam(t, "2026-07-15 10:00")
		require.Equal(t, 1, f.escalate(t))
		f.sendLatest(t, it.id) // the reminder, automatic
		f.now = amsterdam(t, "2026-07-16 10:00")
		require.Equal(t, 1, f.escalate(t))
		list := f.notices(t, it.id)
		up := list[len(list)-1]
		require.Equal(t, undox.RoleUpstream, up.Role)
		require.Equal(t, undox.NoticePrepared, up.Status, "an analyst approves it")
		require.False(t, up.Automatic)
		f.now = amsterdam(t, "2026-07-24 10:00")
		require.Zero(t, f.escalate(t), "the ladder waits for the analyst")
		require.Len(t, f.notices(t, it.id), 3)

		_, err = f.store.ApproveNotice(f.ctx, analyst, up.ID)
		require.NoError(t, err)
		require.NoError(t, f.svc.SendLadder(f.ctx, up.ID, false))
		require.Equal(t, undox.NoticeSent, f.notice(t, up.ID).Status)
		require.Zero(t, f.escalate(t), "the next step counts from when the upstream notice went out")
		f.now = amsterdam(t, "2026-07-28 10:00")
		require.Equal(t, 2, f.escalate(t), "registrar skipped, registry notified")
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func verifierKey(f *fixture) (string, error) {
	return audit.VerifierKeyText(f.stack.Dir)
}
