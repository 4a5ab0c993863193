package web_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/web"
)

type pendingList struct {
	PendingActions []undox.PendingAction `json:"pending_actions"`
	Next           *string               `json:"next"`
}

// tracedItem reports a page and records what capture and the trace job
// would, so that it can be confirmed; it returns the case and the item.
func tracedItem(t *testing.T, e *env, token, u string) (string, int64) {
	t.Helper()
	var rcpt undox.Receipt
	e.api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{u}, "category": "doxing"}).ok(t, 201, &rcpt)
	var c undox.Case
	e.api.do(t, "GET", "/api/v1/cases/"+rcpt.CaseRef, nil, bearer(token)).ok(t, 200, &c)
	id := c.Items[0].ID
	_, err := e.store.ObserveItem(e.ctx, id, undox.ObserveCaptured, "", nil)
	require.NoError(t, err)
	_, err = e.store.SaveTrace(e.ctx, id, "net:HOST", []byte(`{"recipients":[{"role":"host","organisation":"Example Hosting","email":"abuse@hosting.example","notify":true,"source":"rdap"}]}`))
	require.NoError(t, err)
	return rcpt.CaseRef, id
}

// Four-eyes over the JSON API: an action the configuration marks is
// recorded as a request (202) and changes nothing; a second token
// approves it and it is done, or declines it and nothing happens; the
// token that asked, or another of the same staff account, cannot approve;
// a token of no account takes no four-eyes step. Every
// request and answer is checked against openapi.json.
func TestAPIFourEyes(t *testing.T) {
	e := newEnv(t, func(c *web.Config) {
		c.FourEyes = []string{undox.FourEyesConfirm, undox.FourEyesApprove, undox.FourEyesClose}
	})
	api := e.api
	anaUser := newAccount(t, e, "ana@hotline.example", "Ana", undox.RoleAnalyst).User
	ana := e.tokenOfUser(t, "ana", undox.RoleAnalyst, anaUser.ID)
	anaAgain := e.tokenOfUser(t, "ana's laptop", undox.RoleAnalyst, anaUser.ID) // a second token made for ana
	bob := e.tokenOfUser(t, "bob", undox.RoleAnalyst, newAccount(t, e, "bob@hotline.example", "Bob", undox.RoleAnalyst).User.ID)
	tool := e.token(t, "tool", undox.RoleAnalyst) // of no staff account
	aud := e.token(t, "aud", undox.RoleAuditor)
	ref, id := tracedItem(t, e, ana, "https://paste.example/four-eyes")
	itemPath := "/api/v1/items/" + strconv.FormatInt(id, 10)
	item := func() itemDetail {
		var d itemDetail
		api.do(t, "GET", itemPath, nil, bearer(aud)).ok(t, 200, &d)
		return d
	}
	notices := func() []undox.Notice {
		var l struct{ Notices []undox.Notice }
		api.do(t, "GET", itemPath+"/notices", nil, bearer(aud)).ok(t, 200, &l)
		return l.Notices
	}
	pending := func(id int64) string { return "/api/v1/pending-actions/" + strconv.FormatInt(id, 10) }

	// The confirmation is recorded for a second analyst; nothing changes.
	var pa undox.PendingAction
	r := api.do(t, "POST", itemPath+"/confirm", map[string]string{"reason": "doxes a home address"}, bearer(ana))
	r.ok(t, 202, &pa)
	assert.Equal(t, pending(pa.ID), r.header.Get("Location"))
	assert.Equal(t, undox.FourEyesConfirm, pa.Action)
	assert.Equal(t, "item", pa.Object)
	assert.Equal(t, strconv.FormatInt(id, 10), pa.ObjectID)
	assert.Equal(t, ref, pa.CaseRef)
	assert.Equal(t, "doxes a home address", pa.Reason)
	assert.Equal(t, "token:"+tokenIDOf(t, e, ana)+":ana", pa.RequestedBy)
	assert.Equal(t, undox.PendingOpen, pa.Status)
	assert.True(t, pa.Mine)
	assert.Equal(t, undox.ItemCaptured, item().Status)
	assert.Empty(t, notices())
	// One request waits at a time, whichever way it is asked for.
	api.do(t, "POST", itemPath+"/actions/confirm", nil, bearer(bob)).problem(t, 409, undox.ECONFLICT)

	var got undox.PendingAction
	api.do(t, "GET", pending(pa.ID), nil, bearer(aud)).ok(t, 200, &got)
	assert.Equal(t, pa.ID, got.ID)
	assert.False(t, got.Mine)
	var l pendingList
	api.do(t, "GET", "/api/v1/pending-actions?status=pending", nil, bearer(bob)).ok(t, 200, &l)
	require.Len(t, l.PendingActions, 1)
	assert.Nil(t, l.Next)

	// Not by the token that asked, nor by another token of its account,
	// nor by a role that may not act.
	p := api.do(t, "POST", pending(pa.ID)+"/approve", nil, bearer(ana)).problem(t, 403, undox.EFORBIDDEN)
	assert.Contains(t, p.Detail, "second, different analyst")
	api.do(t, "POST", pending(pa.ID)+"/approve", nil, bearer(anaAgain)).problem(t, 403, undox.EFORBIDDEN)
	api.do(t, "POST", pending(pa.ID)+"/approve", nil, bearer(aud)).problem(t, 403, undox.EFORBIDDEN)
	// Nor by a token of no staff account: it could be ana's.
	p = api.do(t, "POST", pending(pa.ID)+"/approve", nil, bearer(tool)).problem(t, 403, undox.EFORBIDDEN)
	assert.Contains(t, p.Detail, "not tied to a staff account")
	assert.Equal(t, undox.ItemCaptured, item().Status)

	// A second analyst approves: the item is confirmed and its notice
	// prepared, as theirs.
	api.do(t, "POST", pending(pa.ID)+"/approve", nil, bearer(bob)).ok(t, 200, &got)
	assert.Equal(t, undox.PendingApproved, got.Status)
	assert.Equal(t, "token:"+tokenIDOf(t, e, bob)+":bob", got.DecidedBy)
	assert.NotNil(t, got.DecidedAt)
	d := item()
	assert.Equal(t, undox.ItemConfirmed, d.Status)
	require.NotEmpty(t, d.History)
	last := d.History[len(d.History)-1]
	assert.Equal(t, "confirm", last.Event)
	assert.Equal(t, got.DecidedBy, last.Actor)
	assert.Equal(t, "doxes a home address", last.Reason, "the requester's reason goes with the step")
	ns := notices()
	require.Len(t, ns, 1)
	assert.Equal(t, undox.NoticePrepared, ns[0].Status)
	api.do(t, "POST", pending(pa.ID)+"/approve", nil, bearer(bob)).problem(t, 409, undox.ETRANSITION)

	// The notice's approval: declined with a reason, nothing is sent;
	// withdrawn by the one who asked; then approved by another.
	noticePath := "/api/v1/notices/" + strconv.FormatInt(ns[0].ID, 10) + "/approve"
	var ask undox.PendingAction
	api.do(t, "POST", noticePath, nil, bearer(bob)).ok(t, 202, &ask)
	assert.Equal(t, "notice", ask.Object)
	assert.Equal(t, ref, ask.CaseRef, "the notice's case")
	var no undox.PendingAction
	api.do(t, "POST", pending(ask.ID)+"/decline", map[string]string{"reason": "wrong abuse address"}, bearer(ana)).ok(t, 200, &no)
	assert.Equal(t, undox.PendingDeclined, no.Status)
	assert.Equal(t, "wrong abuse address", no.DecisionReason)
	assert.Equal(t, undox.NoticePrepared, notices()[0].Status)
	api.do(t, "POST", pending(ask.ID)+"/approve", nil, bearer(anaAgain)).problem(t, 409, undox.ETRANSITION)
	api.do(t, "POST", noticePath, nil, bearer(bob)).ok(t, 202, &ask)
	api.do(t, "POST", pending(ask.ID)+"/decline", nil, bearer(bob)).ok(t, 200, &no)
	assert.Equal(t, undox.PendingCanceled, no.Status, "the requester withdraws their own")
	api.do(t, "POST", noticePath, nil, bearer(bob)).ok(t, 202, &ask)
	api.do(t, "POST", pending(ask.ID)+"/approve", nil, bearer(anaAgain)).ok(t, 200, &got)
	assert.Equal(t, undox.NoticeApproved, notices()[0].Status)

	// A request whose object changed meanwhile: refused, nothing of it
	// happens, it waits on (to be declined).
	_, other := tracedItem(t, e, ana, "https://paste.example/four-eyes-2")
	otherPath := "/api/v1/items/" + strconv.FormatInt(other, 10)
	api.do(t, "POST", otherPath+"/actions/confirm", nil, bearer(ana)).ok(t, 202, &ask)
	var rejected itemDetail
	api.do(t, "POST", otherPath+"/actions/reject", map[string]string{"reason": "not doxing"}, bearer(bob)).ok(t, 200, &rejected)
	assert.Equal(t, undox.ItemRejected, rejected.Status, "rejecting is not four-eyes here")
	api.do(t, "POST", pending(ask.ID)+"/approve", nil, bearer(bob)).problem(t, 409, undox.ETRANSITION)
	api.do(t, "GET", pending(ask.ID), nil, bearer(aud)).ok(t, 200, &got)
	assert.Equal(t, undox.PendingOpen, got.Status)
	var after itemDetail
	api.do(t, "GET", otherPath, nil, bearer(aud)).ok(t, 200, &after)
	assert.Equal(t, rejected.History, after.History)

	// Closing the case.
	var closing undox.PendingAction
	api.do(t, "POST", "/api/v1/cases/"+ref+"/actions/close", map[string]string{"reason": "handled"}, bearer(ana)).ok(t, 202, &closing)
	assert.Equal(t, "case", closing.Object)
	assert.Equal(t, ref, closing.ObjectID)
	var c undox.Case
	api.do(t, "GET", "/api/v1/cases/"+ref, nil, bearer(aud)).ok(t, 200, &c)
	assert.Equal(t, undox.CaseOpen, c.Status)
	api.do(t, "POST", pending(closing.ID)+"/approve", nil, bearer(bob)).ok(t, 200, &got)
	api.do(t, "GET", "/api/v1/cases/"+ref, nil, bearer(aud)).ok(t, 200, &c)
	assert.Equal(t, undox.CaseClosed, c.Status)

	// Every request, approval and decline is audited.
	var audit struct{ Entries []undox.AuditEntry }
	sup := e.token(t, "sue", undox.RoleSupervisor)
	api.do(t, "GET", "/api/v1/cases/"+ref+"/audit", nil, bearer(sup)).ok(t, 200, &audit)
	var acts []string
	for _, en := range audit.Entries {
		acts = append(acts, en.Action+" "+en.Actor)
	}
	assert.Contains(t, acts, "action.request token:"+tokenIDOf(t, e, ana)+":ana")
	assert.Contains(t, acts, "action.approve token:"+tokenIDOf(t, e, bob)+":bob")
	assert.Contains(t, acts, "case.close token:"+tokenIDOf(t, e, bob)+":bob")

	// The lists: by state, by case, a page at a time, oldest first.
	ids := func(q string) []int64 {
		var l pendingList
		api.do(t, "GET", "/api/v1/pending-actions"+q, nil, bearer(aud)).ok(t, 200, &l)
		var out []int64
		for _, pa := range l.PendingActions {
			out = append(out, pa.ID)
		}
		return out
	}
	all := ids("?limit=500")
	require.Len(t, all, 6)
	assert.Equal(t, pa.ID, all[0])
	assert.Equal(t, []int64{ask.ID}, ids("?status=pending"))
	assert.Len(t, ids("?status=declined"), 1)
	assert.Len(t, ids("?status=canceled"), 1)
	assert.Len(t, ids("?status=approved&case="+ref), 3)
	assert.Empty(t, ids("?case=UDX-0000-0000-0000"))
	var paged []int64
	after2 := ""
	for page := 0; ; page++ {
		require.Less(t, page, 10, "paging does not end")
		var l pendingList
		api.do(t, "GET", "/api/v1/pending-actions?limit=4"+after2, nil, bearer(aud)).ok(t, 200, &l)
		for _, pa := range l.PendingActions {
			paged = append(paged, pa.ID)
		}
		if l.Next == nil {
			break
		}
		after2 = "&after=" + url.QueryEscape(*l.Next)
	}
	assert.Equal(t, all, paged)
}

// walkPendingActions calls the four-eyes operations for TestOpenAPIWalk,
// whose configuration has no four-eyes actions: the requests are made as
// the console or a bulk job makes them.
func walkPendingActions(t *testing.T, e *env, analyst, supervisor, auditor, partner string) {
	api := e.api
	ref, id := tracedItem(t, e, analyst, "https://paste.example/walk-four-eyes")
	tk, err := e.store.TokenByHash(e.ctx, secret.Hash(analyst))
	require.NoError(t, err)
	ana := undox.Actor{Kind: "token", TokenID: tk.ID, Owner: tk.UserID, Name: tk.Name, Role: tk.Role}
	confirm, err := e.store.RequestAction(e.ctx, ana, undox.PendingAction{Action: undox.FourEyesConfirm, Object: "item",
		ObjectID: strconv.FormatInt(id, 10), Reason: "doxes a home address"})
	require.NoError(t, err)
	closing, err := e.store.RequestAction(e.ctx, ana, undox.PendingAction{Action: undox.FourEyesClose, Object: "case", ObjectID: ref})
	require.NoError(t, err)
	path := func(pa *undox.PendingAction) string { return "/api/v1/pending-actions/" + strconv.FormatInt(pa.ID, 10) }

	var l pendingList
	api.do(t, "GET", "/api/v1/pending-actions?status=pending&case="+ref, nil, bearer(auditor)).ok(t, 200, &l)
	require.Len(t, l.PendingActions, 2)
	assert.Equal(t, confirm.ID, l.PendingActions[0].ID)
	api.do(t, "GET", "/api/v1/pending-actions?limit=1", nil, bearer(analyst)).ok(t, 200, &l)
	assert.NotNil(t, l.Next)
	p := api.do(t, "GET", "/api/v1/pending-actions?status=refused", nil, bearer(auditor), nonconforming()).problem(t, 400, undox.EINVALID)
	assert.Contains(t, p.Errors, "status")
	p = api.do(t, "GET", "/api/v1/pending-actions?case=nope", nil, bearer(auditor), nonconforming()).problem(t, 400, undox.EINVALID)
	assert.Contains(t, p.Errors, "case")
	api.do(t, "GET", "/api/v1/pending-actions", nil, bearer(partner)).problem(t, 403, undox.EFORBIDDEN)

	var pa undox.PendingAction
	api.do(t, "GET", path(confirm), nil, bearer(analyst)).ok(t, 200, &pa)
	assert.True(t, pa.Mine)
	api.do(t, "GET", "/api/v1/pending-actions/999999", nil, bearer(auditor)).problem(t, 404, undox.ENOTFOUND)
	api.do(t, "GET", "/api/v1/pending-actions/abc", nil, bearer(auditor), nonconforming()).problem(t, 404, undox.ENOTFOUND)

	api.do(t, "POST", path(confirm)+"/approve", nil, bearer(analyst)).problem(t, 403, undox.EFORBIDDEN)
	api.do(t, "POST", path(confirm)+"/approve", nil, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
	api.do(t, "POST", path(confirm)+"/approve", nil, bearer(supervisor)).ok(t, 200, &pa)
	assert.Equal(t, undox.PendingApproved, pa.Status)
	var d itemDetail
	api.do(t, "GET", fmt.Sprintf("/api/v1/items/%d", id), nil, bearer(auditor)).ok(t, 200, &d)
	assert.Equal(t, undox.ItemConfirmed, d.Status)
	api.do(t, "POST", path(confirm)+"/approve", nil, bearer(supervisor)).problem(t, 409, undox.ETRANSITION)
	api.do(t, "POST", "/api/v1/pending-actions/999999/approve", nil, bearer(supervisor)).problem(t, 404, undox.ENOTFOUND)

	decline := path(closing) + "/decline"
	api.do(t, "POST", decline, raw{"text/plain", []byte("no")}, bearer(supervisor), nonconforming()).problem(t, 415, undox.EUNSUPPORTED)
	api.do(t, "POST", decline, map[string]string{"reason": strings.Repeat("n", 2001)}, bearer(supervisor), nonconforming()).
		problem(t, 400, undox.EINVALID)
	api.do(t, "POST", decline, map[string]string{"reason": "the victim reported another page"}, bearer(supervisor)).ok(t, 200, &pa)
	assert.Equal(t, undox.PendingDeclined, pa.Status)
	assert.Equal(t, "the victim reported another page", pa.DecisionReason)
	api.do(t, "POST", decline, nil, bearer(supervisor)).problem(t, 409, undox.ETRANSITION)
	api.do(t, "POST", "/api/v1/pending-actions/999999/decline", nil, bearer(supervisor)).problem(t, 404, undox.ENOTFOUND)
	var c undox.Case
	api.do(t, "GET", "/api/v1/cases/"+ref, nil, bearer(auditor)).ok(t, 200, &c)
	assert.Equal(t, undox.CaseOpen, c.Status)
}

// tokenIDOf is the id of the token with the secret tok.
func tokenIDOf(t testing.TB, e *env, tok string) string {
	t.Helper()
	var id int64
	require.NoError(t, e.store.DB().SQL.QueryRow(`SELECT id FROM tokens WHERE hash = $1`, secret.Hash(tok)).Scan(&id))
	return strconv.FormatInt(id, 10)
}
