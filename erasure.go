package undox

import (
	"context"
	"time"
)

// ErasureStatus is where a reporter's erasure request stands.
type ErasureStatus string

// Erasure request states.
const (
	ErasurePending ErasureStatus = "pending" // queued for an admin
	ErasureDone    ErasureStatus = "done"    // the case was erased
)

// ErasureRequest is a reporter's request that undox erase the personal
// data of their case (GDPR art. 17). It must be answered within one month
// of the request (art. 12(3)); admins work the queue. It holds no personal
// data: the case reference and times only.
type ErasureRequest struct {
	ID          int64         `json:"id"`
	CaseRef     string        `json:"case"`
	CaseStatus  CaseStatus    `json:"case_status"`
	Status      ErasureStatus `json:"status"`
	RequestedAt time.Time     `json:"requested_at"`
	Deadline    time.Time     `json:"deadline"`
	DoneAt      *time.Time    `json:"done_at,omitempty"`
	// Overdue is true for a pending request past its deadline (by the
	// store's clock when it was read).
	Overdue bool `json:"overdue"`
}

// ErasureDeadline is the last moment to answer a request made at t: one
// month later, on the same day of the month, or on the month's last day
// when it has no such day (31 January → 28 or 29 February), as periods
// in months are counted in EU law (Regulation 1182/71, art. 3(2)(c)).
func ErasureDeadline(t time.Time) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+1, 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// ErasureFilter selects and pages erasure requests.
type ErasureFilter struct {
	Status ErasureStatus // empty for all
	After  int64         // keyset cursor: requests with ID < After (newest first)
	Limit  int
}

// ErasureStore keeps reporters' erasure requests.
type ErasureStore interface {
	// RequestErasure queues an erasure request for the case; a case has at
	// most one, and asking again returns the first (created false).
	RequestErasure(ctx context.Context, actor Actor, caseRef string) (r *ErasureRequest, created bool, err error)
	// ErasureRequestOf returns the case's request, or ENOTFOUND.
	ErasureRequestOf(ctx context.Context, caseRef string) (*ErasureRequest, error)
	// ErasureRequests lists requests for admins (PermEraseCases).
	ErasureRequests(ctx context.Context, actor Actor, f ErasureFilter) ([]*ErasureRequest, error)
	// CompleteErasure erases the request's case (the case's erase action)
	// and marks the request done; a done request is returned as it is.
	CompleteErasure(ctx context.Context, actor Actor, id int64) (*ErasureRequest, error)
}
