package undox

import "time"

// Re-checks: after a notice undox looks again, on the policy's schedule,
// whether the content is still online; two consecutive checks that agree
// it is gone confirm the removal (the only way an item becomes removed),
// and a watch afterwards catches a re-upload at the same address.

// Outcomes of a check.
const (
	CheckGone        = "gone"        // 404, 410 or 451, or the name no longer resolves (NXDOMAIN)
	CheckChanged     = "changed"     // the page answers, but the personal data of the original capture is no longer on it
	CheckUp          = "up"          // the content is still online
	CheckMoved       = "moved"       // the page redirects to another URL that shows the content: a new item
	CheckUnreachable = "unreachable" // no answer (connection, TLS, timeout, a server error); gone once repeated
)

// Why a check runs.
const (
	RecheckScheduled = "schedule" // the policy's schedule (after a notice, or the watch after removal)
	RecheckConfirm   = "confirm"  // the check that confirms a removal that an earlier check saw
	RecheckStaff     = "staff"    // a staff member asked ("check now")
	RecheckResponse  = "response" // the recipient answered that the content is removed
)

// RecheckJob checks whether an item's content is still online. Seq names
// the scheduled check it is (0 for a check asked for now): a scheduled job
// that a later schedule replaced finds another Seq in the store and does
// nothing.
type RecheckJob struct {
	ItemID int64  `json:"item_id"`
	Reason string `json:"reason"`
	Seq    int64  `json:"seq,omitempty"`
}

// Kind names the job.
func (RecheckJob) Kind() string { return "recheck" }

// Check is one re-check of an item, as the staff API lists it.
type Check struct {
	ID         int64     `json:"id"`
	ItemID     int64     `json:"item_id"`
	CheckedAt  time.Time `json:"checked_at"`
	Reason     string    `json:"reason"`
	Outcome    string    `json:"outcome"`
	HTTPStatus int       `json:"http_status"`
	Detail     string    `json:"detail"`
	// FinalURL is where the page's redirects led ("" without any).
	FinalURL string `json:"final_url,omitempty"`
	// Absent: the check counts toward a removal (gone, changed, or
	// unreachable again).
	Absent bool `json:"absent"`
	// CaptureID is the capture kept as evidence of this check (the check
	// that confirmed a removal, or that saw the content back).
	CaptureID *int64 `json:"capture_id"`
	// MovedItemID is the item created for the URL the page moved to.
	MovedItemID *int64 `json:"moved_item_id,omitempty"`
	// Observed is the item's observation this check made ("gone",
	// "back"), if any.
	Observed string `json:"observed,omitempty"`
}

// ReuploadJob decides, once an item is captured, scanned and traced,
// whether it is a re-upload of content already confirmed for its case
// (the same protected person, the same site) that the policy lets undox
// notify without an analyst. Queued with the item's trace, so that a
// re-upload is notified within seconds.
type ReuploadJob struct {
	ItemID int64 `json:"item_id"`
}

// Kind names the job.
func (ReuploadJob) Kind() string { return "reupload" }
