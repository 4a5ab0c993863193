package sqlstore

// The analysts' console: the filtered work queue, four-eyes actions that
// wait for a second analyst, bulk jobs and the editing of a prepared
// notice's recipient.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"

	"github.com/undox/undox"
)

var _ undox.ConsoleStore = (*Store)(nil)

// InCase implements undox.ConsoleStore.
func (s *Store) InCase(ctx context.Context, ref, object string, id int64) (bool, error) {
	q := `SELECT count(*) FROM case_items ci JOIN cases c ON c.id = ci.case_id WHERE c.ref = $1 AND ci.item_id = $2`
	switch object {
	case "item":
	case "notice":
		q = `SELECT count(*) FROM notices n JOIN case_items ci ON ci.item_id = n.item_id JOIN cases c ON c.id = ci.case_id
            WHERE c.ref = $1 AND n.id = $2`
	default:
		return false, undox.Invalid("object", "an item or a notice")
	}
	var n int
	err := s.db.SQL.QueryRowContext(ctx, q, ref, id).Scan(&n)
	return n > 0, err
}

// QueueItems implements undox.ConsoleStore: Items with Queue set, each
// item with its cases' references.
func (s *Store) QueueItems(ctx context.Context, actor undox.Actor, f undox.ItemFilter) ([]*undox.Item, error) {
	f.Queue = true
	items, err := s.Items(ctx, actor, f)
	if err != nil || len(items) == 0 {
		return items, err
	}
	if err := s.addCaseRefs(ctx, s.db.SQL, items); err != nil {
		return nil, err
	}
	return items, nil
}

// fourEyesTarget says what object an action applies to and the permission
// it needs.
func fourEyesTarget(action, object string) (undox.Permission, error) {
	switch {
	case object == "item" && (action == undox.FourEyesConfirm || action == undox.FourEyesReject ||
		action == undox.FourEyesEscalate || action == undox.FourEyesClose || action == undox.FourEyesRefer):
		return undox.PermActItems, nil
	case object == "notice" && action == undox.FourEyesApprove:
		return undox.PermActItems, nil
	case object == "case" && action == undox.FourEyesClose:
		return undox.PermActCases, nil
	}
	return "", undox.Invalid("action", "%q is not a four-eyes action on a %s", action, object)
}

func pendingReasonContext(id int64) string {
	return "pending_action/" + strconv.FormatInt(id, 10) + "/reason"
}

func pendingDecisionContext(id int64) string {
	return "pending_action/" + strconv.FormatInt(id, 10) + "/decision_reason"
}

// firstCase is the reference of the first (oldest) case of an object, for
// a request made without one (over the API, or by a bulk job).
func firstCase(ctx context.Context, q querier, object, objectID string) (string, error) {
	if object == "case" {
		return objectID, nil
	}
	id, err := strconv.ParseInt(objectID, 10, 64)
	if err != nil {
		return "", notFound(object)
	}
	query := `SELECT c.ref FROM case_items ci JOIN cases c ON c.id = ci.case_id WHERE ci.item_id = $1 ORDER BY c.id LIMIT 1`
	if object == "notice" {
		query = `SELECT c.ref FROM notices n JOIN case_items ci ON ci.item_id = n.item_id JOIN cases c ON c.id = ci.case_id
            WHERE n.id = $1 ORDER BY c.id LIMIT 1`
	}
	var ref string
	err = q.QueryRowContext(ctx, query, id).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound(object)
	}
	if err != nil {
		return "", fmt.Errorf("finding the case of %s %s: %w", object, objectID, err)
	}
	return ref, nil
}

// checkPossible refuses, early, a request for an object that is not of
// the case, or for a step that the object's lifecycle does not allow now.
func (s *Store) checkPossible(ctx context.Context, q querier, pa *undox.PendingAction) error {
	var (
		caseID int64
		from   string
	)
	err := q.QueryRowContext(ctx, `SELECT id, status FROM cases WHERE ref = $1`, pa.CaseRef).Scan(&caseID, &from)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("case")
	}
	if err != nil {
		return err
	}
	ofCase := func(itemID int64, what string) error {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM case_items WHERE case_id = $1 AND item_id = $2`, caseID, itemID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound(what)
		}
		return nil
	}
	switch pa.Object {
	case "item":
		id, err := strconv.ParseInt(pa.ObjectID, 10, 64)
		if err != nil {
			return notFound("item")
		}
		it, err := s.item(ctx, q, id)
		if err != nil {
			return err
		}
		if err := ofCase(id, "item"); err != nil {
			return err
		}
		_, err = undox.ItemStep(it.Status, undox.Event(pa.Action), false)
		return err
	case "notice":
		id, err := strconv.ParseInt(pa.ObjectID, 10, 64)
		if err != nil {
			return notFound("notice")
		}
		n, err := s.notice(ctx, q, id)
		if err != nil {
			return err
		}
		if err := ofCase(n.ItemID, "notice"); err != nil {
			return err
		}
		_, err = undox.NoticeStep(n.Status, undox.NoticeApprove, false)
		return err
	default:
		if pa.ObjectID != pa.CaseRef {
			return notFound("case")
		}
		_, err = undox.CaseStep(undox.CaseStatus(from), undox.ActionClose)
		return err
	}
}

// RequestAction implements undox.ConsoleStore: a four-eyes action is
// recorded to wait for a second analyst; nothing changes yet.
func (s *Store) RequestAction(ctx context.Context, actor undox.Actor, pa undox.PendingAction) (*undox.PendingAction, error) {
	var out *undox.PendingAction
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.requestActionTx(ctx, tx, actor, pa)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// requestActionTx records a four-eyes request within tx.
func (s *Store) requestActionTx(ctx context.Context, tx *sql.Tx, actor undox.Actor, pa undox.PendingAction) (*undox.PendingAction, error) {
	perm, err := fourEyesTarget(pa.Action, pa.Object)
	if err != nil {
		return nil, err
	}
	if err := actor.Require(perm); err != nil {
		return nil, err
	}
	if actor.Kind != "user" && actor.Kind != "token" {
		return nil, undox.Errorf(undox.EFORBIDDEN, "only staff ask for four-eyes actions")
	}
	if err := actor.RequirePerson(); err != nil {
		return nil, err
	}
	if pa.Reason, err = undox.CheckText("reason", pa.Reason, 2000); err != nil {
		return nil, err
	}
	if pa.Action == undox.FourEyesReject && pa.Reason == "" {
		return nil, undox.Invalid("reason", "a rejection needs a reason")
	}
	if pa.CaseRef == "" {
		if pa.CaseRef, err = firstCase(ctx, tx, pa.Object, pa.ObjectID); err != nil {
			return nil, err
		}
	}
	out := &undox.PendingAction{Action: pa.Action, Object: pa.Object, ObjectID: pa.ObjectID, CaseRef: pa.CaseRef,
		Reason: pa.Reason, RequestedBy: actor.Label(), Status: undox.PendingOpen, CreatedAt: s.now().UTC(), Mine: true}
	if err := s.checkPossible(ctx, tx, out); err != nil {
		return nil, err
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO pending_actions (action, object_type, object_id, case_ref, requested_by,
            requester_key, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		out.Action, out.Object, out.ObjectID, out.CaseRef, out.RequestedBy, actor.Key(), out.Status, micros(out.CreatedAt)).Scan(&out.ID)
	if isUnique(err) {
		return nil, undox.Errorf(undox.ECONFLICT, "this %s already waits for a second analyst", out.Action)
	}
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealNote(out.Reason, pendingReasonContext(out.ID))
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE pending_actions SET reason_enc = $1 WHERE id = $2`, sealed, out.ID); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, actor, "action.request", out.Object, out.ObjectID,
		fmt.Sprintf("action=%s pending=%d case=%s", out.Action, out.ID, out.CaseRef)); err != nil {
		return nil, err
	}
	return out, nil
}

const pendingColumns = `id, action, object_type, object_id, case_ref, reason_enc, requested_by, requester_key, status,
    COALESCE(decided_by, ''), created_at, decided_at, decision_reason_enc`

func (s *Store) scanPending(sc interface{ Scan(...any) error }) (*undox.PendingAction, string, error) {
	var (
		pa               undox.PendingAction
		reason, decision []byte
		key              string
		created          int64
		decided          sql.NullInt64
	)
	if err := sc.Scan(&pa.ID, &pa.Action, &pa.Object, &pa.ObjectID, &pa.CaseRef, &reason, &pa.RequestedBy, &key, &pa.Status,
		&pa.DecidedBy, &created, &decided, &decision); err != nil {
		return nil, "", err
	}
	var err error
	if pa.Reason, err = s.openNote(reason, pendingReasonContext(pa.ID)); err != nil {
		return nil, "", fmt.Errorf("opening the reason of request %d: %w", pa.ID, err)
	}
	if pa.DecisionReason, err = s.openNote(decision, pendingDecisionContext(pa.ID)); err != nil {
		return nil, "", fmt.Errorf("opening the decision's reason of request %d: %w", pa.ID, err)
	}
	pa.CreatedAt = fromMicros(created)
	if decided.Valid {
		t := fromMicros(decided.Int64)
		pa.DecidedAt = &t
	}
	return &pa, key, nil
}

// PendingActions implements undox.ConsoleStore.
func (s *Store) PendingActions(ctx context.Context, actor undox.Actor, f undox.PendingFilter) ([]*undox.PendingAction, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var w conds
	if f.CaseRef != "" {
		w.add("case_ref = ?", f.CaseRef)
	}
	if f.Status != "" {
		if err := undox.CheckPendingStatus(f.Status); err != nil {
			return nil, err
		}
		w.add("status = ?", f.Status)
	}
	if f.After > 0 {
		w.add("id > ?", f.After)
	}
	q := `SELECT ` + pendingColumns + ` FROM pending_actions` + w.String() + " ORDER BY id LIMIT " + w.arg(limit(f.Limit))
	var out []*undox.PendingAction
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, w.args...)
		if err != nil {
			return err
		}
		out, err = collect(rows, func(rows *sql.Rows) (*undox.PendingAction, error) {
			pa, key, err := s.scanPending(rows)
			if err == nil {
				pa.Mine = actor.IsRequester(key, pa.RequestedBy)
			}
			return pa, err
		})
		if err != nil {
			return err
		}
		// The reasons are staff's free text about a case: reading them
		// is audited, like reading the case.
		objType, objID := "pending_action", "*"
		if f.CaseRef != "" {
			objType, objID = "case", f.CaseRef
		}
		return s.audit(ctx, tx, actor, "action.list", objType, objID, "count="+strconv.Itoa(len(out)))
	})
	return out, err
}

// PendingAction implements undox.ConsoleStore.
func (s *Store) PendingAction(ctx context.Context, actor undox.Actor, id int64) (*undox.PendingAction, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var pa *undox.PendingAction
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var (
			key string
			err error
		)
		pa, key, err = s.scanPending(tx.QueryRowContext(ctx, `SELECT `+pendingColumns+` FROM pending_actions WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("pending action")
		}
		if err != nil {
			return err
		}
		pa.Mine = actor.IsRequester(key, pa.RequestedBy)
		return s.audit(ctx, tx, actor, "action.read", "pending_action", strconv.FormatInt(id, 10), "case="+pa.CaseRef)
	})
	if err != nil {
		return nil, err
	}
	return pa, nil
}

// decide moves a waiting action to its decision within tx, with the
// decision's reason (sealed), and returns it. It is where four-eyes holds
// for every client: the analyst who asked (see undox.Actor.IsRequester)
// cannot approve, and their decline is a withdrawal.
func (s *Store) decide(ctx context.Context, tx *sql.Tx, actor undox.Actor, id int64, to, reason string) (*undox.PendingAction, error) {
	pa, key, err := s.scanPending(tx.QueryRowContext(ctx, `SELECT `+pendingColumns+` FROM pending_actions WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("pending action")
	}
	if err != nil {
		return nil, err
	}
	if pa.Status != undox.PendingOpen {
		return nil, undox.Errorf(undox.ETRANSITION, "this request was %s already", pa.Status)
	}
	mine := actor.IsRequester(key, pa.RequestedBy)
	if to == undox.PendingApproved {
		if err := actor.RequirePerson(); err != nil {
			return nil, err
		}
	}
	switch {
	case to == undox.PendingApproved && mine:
		return nil, undox.Errorf(undox.EFORBIDDEN, "four-eyes: a second, different analyst must approve this %s", pa.Action)
	case to == undox.PendingCanceled && !mine:
		to = undox.PendingDeclined
	case to == undox.PendingDeclined && mine:
		to = undox.PendingCanceled
	}
	now := s.now().UTC()
	sealed, err := s.sealNote(reason, pendingDecisionContext(id))
	if err != nil {
		return nil, fmt.Errorf("sealing the decision's reason of request %d: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE pending_actions SET status = $1, decided_by = $2, decided_at = $3, decision_reason_enc = $4
        WHERE id = $5 AND status = $6`, to, actor.Label(), micros(now), sealed, id, undox.PendingOpen)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, undox.Errorf(undox.ECONFLICT, "the request changed meanwhile; try again")
	}
	pa.Status, pa.DecidedBy, pa.DecidedAt, pa.DecisionReason, pa.Mine = to, actor.Label(), &now, reason, mine
	return pa, nil
}

// ApproveAction implements undox.ConsoleStore: a second, different
// analyst approves the request and it is done, as theirs, in the same
// transaction (with its own audit entry and the jobs it causes). When the
// step is no longer possible nothing changes and the request waits on.
func (s *Store) ApproveAction(ctx context.Context, actor undox.Actor, id int64) (*undox.PendingAction, error) {
	if err := actor.Require(undox.PermActItems); err != nil {
		return nil, err
	}
	var pa *undox.PendingAction
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if pa, err = s.decide(ctx, tx, actor, id, undox.PendingApproved, ""); err != nil {
			return err
		}
		perm, err := fourEyesTarget(pa.Action, pa.Object)
		if err != nil {
			return err
		}
		if err := actor.Require(perm); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "action.approve", pa.Object, pa.ObjectID,
			fmt.Sprintf("action=%s pending=%d requested_by=%s", pa.Action, pa.ID, pa.RequestedBy)); err != nil {
			return err
		}
		return s.performTx(ctx, tx, actor, pa)
	})
	if err != nil {
		return nil, err
	}
	return pa, nil
}

// performTx does an approved action within tx, as the store's own methods
// do it.
func (s *Store) performTx(ctx context.Context, tx *sql.Tx, actor undox.Actor, pa *undox.PendingAction) error {
	switch pa.Object {
	case "item":
		id, err := strconv.ParseInt(pa.ObjectID, 10, 64)
		if err != nil {
			return notFound("item")
		}
		if err := s.stepItemTx(ctx, tx, actor, id, undox.Event(pa.Action), pa.Reason, false); err != nil {
			return err
		}
		if pa.Action == undox.FourEyesConfirm {
			_, err = s.prepareNoticeTx(ctx, tx, actor, id, 0, -1)
		}
		return err
	case "notice":
		id, err := strconv.ParseInt(pa.ObjectID, 10, 64)
		if err != nil {
			return notFound("notice")
		}
		if _, err := s.stepNoticeTx(ctx, tx, actor, id, undox.NoticeApprove, "", false,
			`approved_by = $3, approved_at = $4`, actor.Label(), micros(s.now())); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, undox.SendNoticeJob{NoticeID: id})
	case "case":
		return s.closeCaseTx(ctx, tx, actor, pa.ObjectID)
	}
	return undox.Invalid("object", "unknown object %q", pa.Object)
}

// closeCaseTx closes a case within tx, as CaseEvent does.
func (s *Store) closeCaseTx(ctx context.Context, tx *sql.Tx, actor undox.Actor, ref string) error {
	var (
		id   int64
		from string
	)
	err := tx.QueryRowContext(ctx, `SELECT id, status FROM cases WHERE ref = $1`, ref).Scan(&id, &from)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("case")
	}
	if err != nil {
		return err
	}
	to, err := undox.CaseStep(undox.CaseStatus(from), undox.ActionClose)
	if err != nil {
		return err
	}
	now := micros(s.now())
	res, err := tx.ExecContext(ctx, `UPDATE cases SET status = $1, updated_at = $2, status_at = $2 WHERE id = $3 AND status = $4`,
		string(to), now, id, from)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return undox.Errorf(undox.ECONFLICT, "the case changed meanwhile; try again")
	}
	return s.audit(ctx, tx, actor, "case.close", "case", ref, from+"->"+string(to))
}

// DeclineAction implements undox.ConsoleStore: another analyst declines
// the request, or the one who asked withdraws it; the reason is sealed
// (the audit log holds no free text). Only staff who may do the action may
// decline it.
func (s *Store) DeclineAction(ctx context.Context, actor undox.Actor, id int64, reason string) (*undox.PendingAction, error) {
	if err := actor.Require(undox.PermActItems); err != nil {
		return nil, err
	}
	reason, err := undox.CheckText("reason", reason, 2000)
	if err != nil {
		return nil, err
	}
	var pa *undox.PendingAction
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if pa, err = s.decide(ctx, tx, actor, id, undox.PendingDeclined, reason); err != nil {
			return err
		}
		perm, err := fourEyesTarget(pa.Action, pa.Object)
		if err != nil {
			return err
		}
		if err := actor.Require(perm); err != nil {
			return err
		}
		action := "action.decline"
		if pa.Status == undox.PendingCanceled {
			action = "action.cancel"
		}
		return s.audit(ctx, tx, actor, action, pa.Object, pa.ObjectID, fmt.Sprintf("action=%s pending=%d", pa.Action, pa.ID))
	})
	if err != nil {
		return nil, err
	}
	return pa, nil
}

func bulkReasonContext(id int64) string { return "bulk_job/" + strconv.FormatInt(id, 10) + "/reason" }

// CreateBulkJob implements undox.ConsoleStore: a job over the items, in
// the order given (each once), all waiting, and its undox.BulkActionJob
// queued in the same transaction. Who acts, the reason (sealed) and
// fourEyes are stored with the job for the worker (see RunBulkJob).
func (s *Store) CreateBulkJob(ctx context.Context, actor undox.Actor, action string, itemIDs []int64, reason string, fourEyes bool) (*undox.BulkJob, error) {
	if err := actor.Require(undox.PermActItems); err != nil {
		return nil, err
	}
	if actor.Kind != "user" && actor.Kind != "token" {
		return nil, undox.Errorf(undox.EFORBIDDEN, "only staff create bulk jobs")
	}
	if action != undox.BulkConfirm && action != undox.BulkReject && action != undox.BulkClose {
		return nil, undox.Invalid("action", "a bulk action is confirm, reject or close")
	}
	reason, err := undox.CheckText("reason", reason, 2000)
	if err != nil {
		return nil, err
	}
	if action == undox.BulkReject && reason == "" {
		return nil, undox.Invalid("reason", "a rejection needs a reason")
	}
	actorID := actor.UserID
	if actor.Kind == "token" {
		actorID = actor.TokenID
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, id := range itemIDs {
		if id > 0 && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, undox.Invalid("items", "choose at least one item")
	}
	if len(ids) > undox.MaxBulkItems {
		return nil, undox.Invalid("items", "at most %d items at once", undox.MaxBulkItems)
	}
	j := &undox.BulkJob{Action: action, CreatedBy: actor.Label(), Total: len(ids), CreatedAt: s.now().UTC()}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		vals := make([]any, len(ids))
		for i, id := range ids {
			vals[i] = id
		}
		found := 0
		if err := s.selectIn(ctx, tx, `SELECT id FROM items WHERE id IN `, vals, func(*sql.Rows) error { found++; return nil }); err != nil {
			return err
		}
		if found != len(ids) {
			return notFound("item")
		}
		var owner any
		if actor.Owner != 0 {
			owner = actor.Owner
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO bulk_jobs (action, created_by, total, created_at, actor_kind, actor_id,
                actor_name, actor_role, four_eyes, actor_owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			action, j.CreatedBy, j.Total, micros(j.CreatedAt), actor.Kind, actorID, actor.Name, string(actor.Role), fourEyes, owner).Scan(&j.ID); err != nil {
			return err
		}
		sealed, err := s.sealNote(reason, bulkReasonContext(j.ID))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bulk_jobs SET reason_enc = $1 WHERE id = $2`, sealed, j.ID); err != nil {
			return err
		}
		j.Items = make([]undox.BulkItem, len(ids))
		for i, id := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO bulk_job_items (job_id, seq, item_id, status) VALUES ($1, $2, $3, $4)`,
				j.ID, i, id, undox.BulkItemWaiting); err != nil {
				return err
			}
			j.Items[i] = undox.BulkItem{ItemID: id, Status: undox.BulkItemWaiting}
		}
		if err := s.enqueue(ctx, tx, undox.BulkActionJob{BulkID: j.ID}); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "bulk.create", "bulk", strconv.FormatInt(j.ID, 10),
			fmt.Sprintf("action=%s items=%d four_eyes=%t", action, j.Total, fourEyes))
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// BulkJob implements undox.ConsoleStore: a job with its items in order.
func (s *Store) BulkJob(ctx context.Context, actor undox.Actor, id int64) (*undox.BulkJob, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var (
		j                 undox.BulkJob
		created           int64
		finished          sql.NullInt64
		total, done, fail int64
	)
	err := s.db.SQL.QueryRowContext(ctx, `SELECT id, action, created_by, total, done, failed, created_at, finished_at FROM bulk_jobs WHERE id = $1`, id).
		Scan(&j.ID, &j.Action, &j.CreatedBy, &total, &done, &fail, &created, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("bulk job")
	}
	if err != nil {
		return nil, err
	}
	j.Total, j.Done, j.Failed = int(total), int(done), int(fail)
	j.CreatedAt = fromMicros(created)
	if finished.Valid {
		t := fromMicros(finished.Int64)
		j.FinishedAt = &t
	}
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT item_id, status, error FROM bulk_job_items WHERE job_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	j.Items = []undox.BulkItem{}
	for rows.Next() {
		var it undox.BulkItem
		if err := rows.Scan(&it.ItemID, &it.Status, &it.Error); err != nil {
			return nil, err
		}
		j.Items = append(j.Items, it)
	}
	return &j, rows.Err()
}

// RecordBulkItem implements undox.ConsoleStore: an item's outcome, once;
// the job is finished when its last item is. The action itself was
// audited by the method that did it.
func (s *Store) RecordBulkItem(ctx context.Context, jobID, itemID int64, status, errCode string) error {
	col := "done"
	switch status {
	case undox.BulkItemDone, undox.BulkItemRequested:
	case undox.BulkItemFailed:
		col = "failed"
	default:
		return undox.Invalid("status", "unknown outcome %q", status)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return s.recordBulkItemTx(ctx, tx, jobID, itemID, status, errCode, col)
	})
}

// errNotWaiting is recordBulkItemTx's refusal of an item recorded
// already.
var errNotWaiting = undox.Errorf(undox.ECONFLICT, "the item of the bulk job is not waiting")

func (s *Store) recordBulkItemTx(ctx context.Context, tx *sql.Tx, jobID, itemID int64, status, errCode, col string) error {
	res, err := tx.ExecContext(ctx, `UPDATE bulk_job_items SET status = $1, error = $2 WHERE job_id = $3 AND item_id = $4 AND status = $5`,
		status, errCode, jobID, itemID, undox.BulkItemWaiting)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errNotWaiting
	}
	if _, err := tx.ExecContext(ctx, `UPDATE bulk_jobs SET `+col+` = `+col+` + 1 WHERE id = $1`, jobID); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE bulk_jobs SET finished_at = $1 WHERE id = $2 AND done + failed = total AND finished_at IS NULL`,
		micros(s.now()), jobID)
	return err
}

// RunBulkJob does the items of a bulk job that still wait, in order, as
// the analyst who created it (its actor, reason and four-eyes choice are
// stored with the job): a four-eyes request for each, or the action
// itself through the same steps as a single action, audited as the
// analyst's. Each item's action and the record of its outcome are one
// transaction, and an item is claimed (its record made) before its action
// within it, so that a retried, resumed or concurrent run does each item
// once and goes on where the other stopped. An action that is refused is
// recorded as failed with its error code; an internal error is recorded
// so too (and logged), unless ctx ended, in which case RunBulkJob returns
// and the items left wait for the next run.
func (s *Store) RunBulkJob(ctx context.Context, bulkID int64, log *slog.Logger) error {
	var (
		action, kind, name, role string
		actorID                  int64
		fourEyes                 bool
		sealed                   []byte
	)
	var owner int64
	err := s.db.SQL.QueryRowContext(ctx, `SELECT action, actor_kind, actor_id, actor_name, actor_role, four_eyes, reason_enc,
        COALESCE(actor_owner, 0) FROM bulk_jobs WHERE id = $1`, bulkID).Scan(&action, &kind, &actorID, &name, &role, &fourEyes, &sealed, &owner)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("bulk job")
	}
	if err != nil {
		return err
	}
	reason, err := s.openNote(sealed, bulkReasonContext(bulkID))
	if err != nil {
		return err
	}
	actor := undox.Actor{Kind: kind, Name: name, Role: undox.Role(role)}
	switch kind {
	case "user":
		actor.UserID = actorID
	case "token":
		actor.TokenID, actor.Owner = actorID, owner
	default:
		return undox.Errorf(undox.EINVALID, "bulk job %d names no analyst to act as", bulkID)
	}
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT item_id FROM bulk_job_items WHERE job_id = $1 AND status = $2 ORDER BY seq`,
		bulkID, undox.BulkItemWaiting)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	status := undox.BulkItemDone
	if fourEyes {
		status = undox.BulkItemRequested
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if err := s.recordBulkItemTx(ctx, tx, bulkID, id, status, "", "done"); err != nil {
				return err
			}
			return s.bulkItemTx(ctx, tx, actor, action, id, reason, fourEyes)
		})
		switch {
		case err == nil || errors.Is(err, errNotWaiting):
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		}
		code := undox.ErrorCode(err)
		if code == undox.EINTERNAL && log != nil {
			log.Error("a bulk action failed", "job", bulkID, "item", id, "err", err)
		}
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			return s.recordBulkItemTx(ctx, tx, bulkID, id, undox.BulkItemFailed, code, "failed")
		})
		if err != nil && !errors.Is(err, errNotWaiting) {
			return err
		}
	}
	return nil
}

// bulkItemTx does a bulk job's action on one item within tx: at once, or
// as a request for a second analyst when the action is four-eyes.
func (s *Store) bulkItemTx(ctx context.Context, tx *sql.Tx, actor undox.Actor, action string, id int64, reason string, fourEyes bool) error {
	if actor.Kind == "user" {
		// The analyst as they are now: an account disabled (or a role
		// changed) since the bulk job began stops it (or counts).
		var (
			role     string
			disabled sql.NullInt64
		)
		err := tx.QueryRowContext(ctx, `SELECT role, disabled_at FROM users WHERE id = $1`, actor.UserID).Scan(&role, &disabled)
		if errors.Is(err, sql.ErrNoRows) || err == nil && disabled.Valid {
			return undox.Errorf(undox.EFORBIDDEN, "the staff member who started this bulk action can no longer act")
		}
		if err != nil {
			return err
		}
		actor.Role = undox.Role(role)
	}
	if err := actor.Require(undox.PermActItems); err != nil {
		return err
	}
	if fourEyes {
		// Made from the item's first case.
		_, err := s.requestActionTx(ctx, tx, actor, undox.PendingAction{Action: action, Object: "item",
			ObjectID: strconv.FormatInt(id, 10), Reason: reason})
		return err
	}
	if err := s.stepItemTx(ctx, tx, actor, id, undox.Event(action), reason, false); err != nil {
		return err
	}
	if action == undox.BulkConfirm {
		// As ConfirmItem: the confirmed item's notice is prepared.
		_, err := s.prepareNoticeTx(ctx, tx, actor, id, 0, -1)
		return err
	}
	return nil
}

// EditNotice implements undox.ConsoleStore: the organisation and e-mail
// address of a notice that is still prepared (not yet approved) change;
// the audit log names the fields, not their values.
func (s *Store) EditNotice(ctx context.Context, actor undox.Actor, id int64, organisation, address string) (*undox.Notice, error) {
	if err := actor.Require(undox.PermActItems); err != nil {
		return nil, err
	}
	fields := map[string]string{}
	var err error
	if organisation, err = undox.CheckText("organisation", strings.TrimSpace(organisation), 200); err != nil || organisation == "" {
		fields["organisation"] = "the organisation's name is required (at most 200 characters)"
	}
	address = strings.TrimSpace(address)
	if a, err := mail.ParseAddress(address); err != nil || a.Name != "" || a.Address != address {
		fields["address"] = "not an e-mail address"
	}
	if len(fields) > 0 {
		return nil, &undox.Error{Code: undox.EINVALID, Message: "the recipient has errors", Fields: fields}
	}
	var n *undox.Notice
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := s.notice(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Status != undox.NoticePrepared || old.Channel != undox.ChannelEmail {
			return undox.Errorf(undox.ETRANSITION, "only a prepared e-mail notice can be changed; this one is %s", old.Status)
		}
		var changed []string
		if old.Recipient != organisation {
			changed = append(changed, "organisation")
		}
		if old.Address != address {
			changed = append(changed, "address")
		}
		if len(changed) == 0 {
			n = old
			return nil
		}
		// A second analyst is asked to approve this notice as it is: it
		// cannot change under their eyes.
		var pending int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pending_actions WHERE object_type = 'notice' AND object_id = $1 AND status = 'pending'`,
			strconv.FormatInt(id, 10)).Scan(&pending); err != nil {
			return err
		}
		if pending > 0 {
			return undox.Errorf(undox.ECONFLICT, "a second analyst is asked to approve this notice as it is: decline or withdraw that request before changing it")
		}
		res, err := tx.ExecContext(ctx, `UPDATE notices SET organisation = $1, address = $2, updated_at = $3 WHERE id = $4 AND status = $5`,
			organisation, address, micros(s.now()), id, string(undox.NoticePrepared))
		if err != nil {
			return err
		}
		if c, _ := res.RowsAffected(); c != 1 {
			return undox.Errorf(undox.ECONFLICT, "the notice changed meanwhile; try again")
		}
		if err := s.audit(ctx, tx, actor, "notice.edit", "notice", strconv.FormatInt(id, 10), "changed="+strings.Join(changed, ",")); err != nil {
			return err
		}
		n, err = s.notice(ctx, tx, id)
		return err
	})
	return n, err
}
