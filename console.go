package undox

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The analysts' console: the work queue (see ItemFilter), actions that
// the configuration marks as four-eyes (they wait for a second, different
// analyst), and bulk actions over many items.

// Four-eyes actions: what a first analyst's request may ask for.
const (
	FourEyesConfirm  = "confirm"  // confirm an item (and prepare its notice)
	FourEyesReject   = "reject"   // reject an item
	FourEyesEscalate = "escalate" // escalate an item
	FourEyesClose    = "close"    // close an item or a case
	FourEyesApprove  = "approve"  // approve a prepared notice
	FourEyesRefer    = "refer"    // refer an item to an authority (it ends there)
)

// FourEyesActions lists the actions that can be made four-eyes.
func FourEyesActions() []string {
	return []string{FourEyesConfirm, FourEyesReject, FourEyesEscalate, FourEyesClose, FourEyesApprove, FourEyesRefer}
}

// IsFourEyes tells whether the actions a configuration marks as four-eyes
// make action four-eyes. Referring ends an item as rejecting and closing
// do, so it is four-eyes whenever reject or close is: otherwise an analyst
// could end an item alone by referring it.
func IsFourEyes(configured []string, action string) bool {
	if slices.Contains(configured, action) {
		return true
	}
	return action == FourEyesRefer &&
		(slices.Contains(configured, FourEyesReject) || slices.Contains(configured, FourEyesClose))
}

// States of a pending action.
const (
	PendingOpen     = "pending"  // waits for a second analyst
	PendingApproved = "approved" // a second analyst approved it, and it was done
	PendingDeclined = "declined" // a second analyst declined it
	PendingCanceled = "canceled" // the analyst who asked withdrew it
)

// PendingStatuses lists the states of a pending action.
func PendingStatuses() []string {
	return []string{PendingOpen, PendingApproved, PendingDeclined, PendingCanceled}
}

// CheckPendingStatus checks a state to filter pending actions on.
func CheckPendingStatus(s string) error {
	if !slices.Contains(PendingStatuses(), s) {
		return Invalid("status", "unknown status %q of a request (%s)", s, strings.Join(PendingStatuses(), ", "))
	}
	return nil
}

// PendingAction is a four-eyes action that one analyst asked for and
// that waits for a second, different one. Approving it does it, as the
// approver, in the same transaction.
type PendingAction struct {
	ID     int64  `json:"id"`
	Action string `json:"action"` // one of FourEyesActions
	// Object is what the action applies to: "item", "notice" or "case";
	// ObjectID its id (a case's reference).
	Object   string `json:"object"`
	ObjectID string `json:"object_id"`
	// CaseRef is the case the request was made from (for a request over
	// the API, the object's first case).
	CaseRef     string     `json:"case"`
	Reason      string     `json:"reason,omitempty"`
	RequestedBy string     `json:"requested_by"` // actor label
	Status      string     `json:"status"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	// DecisionReason is why the second analyst declined the request (or
	// the requester withdrew it), when they said so.
	DecisionReason string `json:"decision_reason,omitempty"`
	// Mine tells the reader that they asked for it themselves (so they
	// cannot approve it); set by the store for the actor that lists.
	Mine bool `json:"mine"`
}

// PendingFilter selects pending actions: of a case, in a state (all when
// empty), oldest first, after the one with id After, at most Limit.
type PendingFilter struct {
	CaseRef string
	Status  string
	After   int64
	Limit   int
}

// Bulk actions: what one bulk job may do to each of its items.
const (
	BulkConfirm = "confirm"
	BulkReject  = "reject"
	BulkClose   = "close"
)

// MaxBulkItems bounds one bulk job.
const MaxBulkItems = 500

// States of an item of a bulk job.
const (
	BulkItemWaiting   = "waiting"   // not done yet
	BulkItemDone      = "done"      // the action was done
	BulkItemRequested = "requested" // a four-eyes request was made for it
	BulkItemFailed    = "failed"    // the action was refused (Error says why)
)

// BulkJob is one bulk action over many items, done one item at a time;
// Done and Failed count the items finished so far.
type BulkJob struct {
	ID         int64      `json:"id"`
	Action     string     `json:"action"`
	CreatedBy  string     `json:"created_by"`
	Total      int        `json:"total"`
	Done       int        `json:"done"`
	Failed     int        `json:"failed"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Items      []BulkItem `json:"items"`
}

// BulkItem is one item of a bulk job and its outcome; Error is an error
// code of this package.
type BulkItem struct {
	ItemID int64  `json:"item_id"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// BulkActionJob does a bulk job's items that still wait, one at a time,
// as the analyst who created the job. It is queued with the job; who
// acts, the reason and whether the action is four-eyes are stored with
// the bulk job (the reason sealed), not in the job's arguments. A retried
// or resumed job goes on where it stopped: each item is done and recorded
// in one transaction, once.
type BulkActionJob struct {
	BulkID int64 `json:"bulk_id"`
}

// Kind names the job.
func (BulkActionJob) Kind() string { return "bulk_action" }

// ConsoleStore is what the console needs of storage beyond the case
// store: the filtered queue, four-eyes requests, bulk jobs and the editing
// of a prepared notice's recipient.
type ConsoleStore interface {
	// QueueItems is the work queue: Items with Queue set, each item with
	// the references of its cases.
	QueueItems(ctx context.Context, actor Actor, f ItemFilter) ([]*Item, error)
	// InCase tells whether an item, or a notice (object "item" or
	// "notice"), belongs to the case: a form posted on a case's page acts
	// on that case's objects only.
	InCase(ctx context.Context, ref, object string, id int64) (bool, error)
	// RequestAction records a four-eyes action to wait for a second
	// analyst; nothing changes yet. Without a CaseRef the request is
	// made from the object's first case.
	RequestAction(ctx context.Context, actor Actor, pa PendingAction) (*PendingAction, error)
	PendingActions(ctx context.Context, actor Actor, f PendingFilter) ([]*PendingAction, error)
	// PendingAction is one pending action, in whatever state.
	PendingAction(ctx context.Context, actor Actor, id int64) (*PendingAction, error)
	// ApproveAction approves a pending action of another analyst and does
	// it, in one transaction. The store refuses the analyst who asked
	// (see Actor.IsRequester), whichever client they use.
	ApproveAction(ctx context.Context, actor Actor, id int64) (*PendingAction, error)
	// DeclineAction declines another analyst's pending action, or
	// withdraws one's own, with an optional reason.
	DeclineAction(ctx context.Context, actor Actor, id int64, reason string) (*PendingAction, error)
	// CreateBulkJob creates a bulk job and queues its BulkActionJob in the
	// same transaction. The reason goes with each item's step (required
	// to reject); with fourEyes each item gets a request for a second
	// analyst instead (the web configuration decides, at creation).
	CreateBulkJob(ctx context.Context, actor Actor, action string, itemIDs []int64, reason string, fourEyes bool) (*BulkJob, error)
	BulkJob(ctx context.Context, actor Actor, id int64) (*BulkJob, error)
	// RecordBulkItem records the outcome of one item of a bulk job.
	RecordBulkItem(ctx context.Context, jobID, itemID int64, status, errCode string) error
	// EditNotice changes the recipient of a notice that is still prepared.
	EditNotice(ctx context.Context, actor Actor, id int64, organisation, address string) (*Notice, error)
}

// Key names the actor as a person or system, whatever its display name:
// two actors with the same key are the same analyst (for four-eyes). A
// token made for a staff account is that account.
func (a Actor) Key() string {
	switch {
	case a.Kind == "token" && a.Owner != 0:
		return "user:" + strconv.FormatInt(a.Owner, 10)
	case a.Kind == "token":
		return "token:" + strconv.FormatInt(a.TokenID, 10)
	case a.Kind == "user":
		return "user:" + strconv.FormatInt(a.UserID, 10)
	}
	return a.Kind
}

// RequirePerson fails unless the actor can be one of the two people of a
// four-eyes step (the one who asks, or the one who approves): a staff
// account, or a token made for one. A token of no account (undox token
// create without --user) could be anyone's, so the two "people" could be
// one.
func (a Actor) RequirePerson() error {
	if a.Kind == "token" && a.Owner == 0 {
		return Errorf(EFORBIDDEN, "four-eyes: this token is not tied to a staff account, so it cannot stand for one of the two people (make one with undox token create --user)")
	}
	return nil
}

// LabelKey is the Key of the actor a Label names ("user:12:Ana" →
// "user:12"): what a record that kept only the label (a dossier's first
// approval) is compared by.
func LabelKey(label string) string {
	kind, rest, ok := strings.Cut(label, ":")
	if !ok || (kind != "user" && kind != "token") {
		return label
	}
	id, _, _ := strings.Cut(rest, ":")
	return kind + ":" + id
}

// IsRequester tells whether the actor counts as the staff member who made
// a four-eyes request, recorded by the requester's Key and Label: then
// they may withdraw the request but not approve it.
//
// The same user account or token is the same person, whatever name it
// shows now, and so are a staff account and a token made for it (see Key).
// Tokens of no account are otherwise actors of their own, with one
// exception: tokens of the same name (ignoring case) count as one holder.
// A token's name is the only statement of whom it was made for, and a
// replaced token, a second one or one shared by a hotline's tool must not
// approve what the first one asked for. Such tokens take no four-eyes step
// at all (RequirePerson): nothing tells whose they are.
func (a Actor) IsRequester(key, label string) bool {
	if a.Key() == key {
		return true
	}
	if a.Kind != "token" || !strings.HasPrefix(key, "token:") {
		return false
	}
	// A token's label is its key, a colon and its name (see Label).
	name, ok := strings.CutPrefix(label, key+":")
	return ok && strings.EqualFold(strings.TrimSpace(name), strings.TrimSpace(a.Name))
}
