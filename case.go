package undox

import (
	"context"
	"time"
)

// Case is one victim or one incident. Its personal fields (reporter e-mail,
// description) are stored encrypted under a key of the case's own, so that
// erasing the case destroys them.
type Case struct {
	ID       int64  `json:"-"`
	Ref      string `json:"ref"`
	Category string `json:"category"`
	// Handling is the category the case is handled under: a minor's
	// intimate images or sextortion are handled as CSAM (referral-only).
	Handling string     `json:"handling_category"`
	IsMinor  bool       `json:"is_minor"`
	Language string     `json:"language"`
	Status   CaseStatus `json:"status"`
	// Reporter contact and description, decrypted; empty once erased.
	ReporterEmail string     `json:"reporter_email,omitempty"`
	Description   string     `json:"description,omitempty"`
	Consent       bool       `json:"consent_updates"`
	Source        string     `json:"source"` // "public", "import:<token name>" or "monitor:<host>"
	ExternalRef   string     `json:"external_ref,omitempty"`
	LegalHold     string     `json:"legal_hold,omitempty"` // reason; empty when none
	Priority      int        `json:"priority"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	ErasedAt      *time.Time `json:"erased_at,omitempty"`
	Items         []*Item    `json:"items,omitempty"`
}

// Item is one URL, normalized, linked to every case that reported it. One
// page can dox hundreds of people: it is still one item, followed by one
// procedure, and every linked case sees its progress.
type Item struct {
	ID          int64      `json:"id"`
	URL         string     `json:"url"`
	Host        string     `json:"host"`
	Status      ItemStatus `json:"status"`
	ReportCount int        `json:"report_count"`
	Category    string     `json:"category"` // the most serious category it was reported under
	IsMinor     bool       `json:"is_minor"`
	Priority    int        `json:"priority"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Cases       []string   `json:"cases,omitempty"` // references of linked cases
	// Capture: how many attempts were made, the last failure's error
	// (cleared by a success) and when the page was last captured.
	CaptureAttempts int        `json:"capture_attempts"`
	CaptureError    string     `json:"capture_error,omitempty"`
	CapturedAt      *time.Time `json:"captured_at,omitempty"`
	// Trace: when the item was last traced, and whether that trace found
	// another host than the one before (until an analyst acknowledges).
	TracedAt  *time.Time `json:"traced_at,omitempty"`
	HostMoved bool       `json:"host_moved"`
	// Severity (0–100) is how dangerous the page is by its latest scan:
	// whom it doxes, a minor, a home address, an ID number, photos.
	Severity int `json:"severity"`
	// Notices sent or prepared for the item, oldest first; only on the
	// items of a case.
	Notices []NoticeSummary `json:"notices,omitempty"`
}

// NoticeSummary is a notice as a case's item lists it.
type NoticeSummary struct {
	ID        int64      `json:"id"`
	Role      string     `json:"role"`
	Recipient string     `json:"recipient"`
	Status    string     `json:"status"`
	SentAt    *time.Time `json:"sent_at"`
	Deadline  *time.Time `json:"deadline"`
}

// Report is what a victim (or a partner system, for one row of an import)
// submits. Only URLs are required.
type Report struct {
	URLs          []string `json:"urls"`
	Category      string   `json:"category,omitempty"`
	Description   string   `json:"description,omitempty"`
	IsMinor       bool     `json:"is_minor,omitempty"`
	ReporterEmail string   `json:"reporter_email,omitempty"`
	Language      string   `json:"language,omitempty"`
	Consent       bool     `json:"consent,omitempty"`
	ExternalRef   string   `json:"external_ref,omitempty"`
}

// Receipt is what a reporter gets back: the case reference and the private
// status token (shown once; undox keeps only its hash).
type Receipt struct {
	CaseRef     string `json:"case"`
	StatusToken string `json:"-"`
	StatusURL   string `json:"status_url"`
	Items       int    `json:"items"`
	// Duplicate is true when an idempotent retry or an already imported
	// external reference answered with an existing case.
	Duplicate bool `json:"-"`
}

// NewCase is what the store needs to create a case atomically: the report
// already validated and normalized, the hash of its status token, and the
// idempotency key when the client gave one.
type NewCase struct {
	Ref             string
	Report          Report // URLs normalized
	Handling        Category
	Priority        int
	StatusTokenHash []byte
	Source          string
	Partner         string // token name for imports; scopes ExternalRef
	Idempotency     *Idempotency
	// Receipt is stored (encrypted) with an idempotency key so that a retry
	// answers exactly the same.
	Receipt Receipt
}

// Idempotency is a client's key for a request and the hash of its body.
type Idempotency struct {
	Key         string
	RequestHash []byte
}

// CaseFilter selects and pages cases.
type CaseFilter struct {
	Status   string
	Category string
	Minor    *bool
	Query    string // matches the reference or an item URL
	After    int64  // keyset cursor: cases with ID < After (newest first)
	Limit    int
}

// ItemFilter selects and pages items.
type ItemFilter struct {
	Status string
	// Statuses, when set, keeps only the items in one of these states
	// (the work queue's default: those that wait for an analyst).
	Statuses []ItemStatus
	// Answered, with Statuses, keeps notified items too when their notice
	// was answered with what an analyst decides on: disputed, not our
	// customer, or a reply by e-mail.
	Answered bool
	Host     string
	Category string
	Minor    *bool
	Query    string // matches the URL or the reference of a case of the item
	After    int64  // keyset cursor: items with ID < After (newest first); not with Queue
	Limit    int
	// Queue orders the items as the analysts' work queue: by priority
	// (minors, referral-only content, category), then severity (the latest
	// scan: whom the page doxes and how), then waiting time (oldest
	// first). AfterQueue is the position to continue after.
	Queue      bool
	AfterQueue *QueuePosition
}

// QueuePosition is an item's place in the work queue.
type QueuePosition struct {
	Priority, Severity int
	ID                 int64
}

// Priority orders the work queue: minors first, then referral-only content,
// then by category.
func Priority(cat Category, minor bool) int {
	p := 0
	if minor {
		p += 100
	}
	if cat.ReferralOnly {
		p += 50
	}
	switch cat.Code {
	case CategoryDoxing, CategoryExtortion, CategorySextortion, CategoryIntimateImages:
		p += 20
	case CategoryThreat, CategoryHarassment:
		p += 10
	}
	return p
}

// CaseStore is the storage contract for cases and items. The SQL adapter
// implements it for SQLite and PostgreSQL; every method that changes state
// also appends to the audit log and queues the jobs that follow, in the
// same transaction.
type CaseStore interface {
	// CreateCase stores a new case with its items and queues its triage.
	// With an idempotency key already used for the same request it returns
	// the stored receipt with Duplicate set; for another request, an
	// EIDEMPOTENCY error. With an external reference already imported by
	// the same partner it returns that case's receipt, Duplicate set.
	CreateCase(ctx context.Context, actor Actor, nc NewCase) (Receipt, error)
	// Case returns a case with its items; reading is audited.
	Case(ctx context.Context, actor Actor, ref string) (*Case, error)
	Cases(ctx context.Context, actor Actor, f CaseFilter) ([]*Case, error)
	CaseByStatusToken(ctx context.Context, tokenHash []byte) (*Case, error)
	Item(ctx context.Context, actor Actor, id int64) (*Item, error)
	// Items lists items; each list read is audited (item.list, with the
	// count), as their URLs often name the victim.
	Items(ctx context.Context, actor Actor, f ItemFilter) ([]*Item, error)
	// ItemEvent moves an item through its lifecycle.
	ItemEvent(ctx context.Context, actor Actor, id int64, ev Event, reason string) (*Item, error)
	// CaseEvent moves a case through its lifecycle (close, reopen,
	// withdraw, erase); erase destroys the case key.
	CaseEvent(ctx context.Context, actor Actor, ref string, ev Event, reason string) (*Case, error)
	SetLegalHold(ctx context.Context, actor Actor, ref string, reason string) (*Case, error)
	RotateStatusToken(ctx context.Context, actor Actor, ref string, newHash []byte) error
}

// ItemStepRecord is one step in an item's history.
type ItemStepRecord struct {
	Event  string    `json:"event"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}
