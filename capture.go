package undox

import (
	"encoding/json"
	"time"
)

// Capture is one capture of an item for one case that reports it: what
// undox saw when it fetched the page. The same fetch is kept once per case,
// under each case's key, so that erasing a case erases its evidence and
// nobody else's.
type Capture struct {
	ID          int64     `json:"id"`
	ItemID      int64     `json:"item_id"`
	CaseRef     string    `json:"case"`
	FetchedAt   time.Time `json:"fetched_at"`
	RequestedBy string    `json:"requested_by"`
	// HTTPStatus is the final response's status; 0 when none came.
	HTTPStatus int `json:"http_status"`
	// ErrorCode is the capture's error code ("" when the page was fetched).
	ErrorCode        string        `json:"error_code,omitempty"`
	BodySHA256       string        `json:"body_sha256,omitempty"`
	TextSHA256       string        `json:"text_sha256,omitempty"`
	ScreenshotSHA256 string        `json:"screenshot_sha256,omitempty"`
	Files            []CaptureFile `json:"files"`
	// Facts is the capture's full record (redirects with their addresses,
	// DNS answers, headers, TLS, vantage point, title, image URLs), as the
	// capture package writes it. Stored sealed under the case's key; null
	// once the case is erased.
	Facts     json.RawMessage `json:"facts"`
	CreatedAt time.Time       `json:"created_at"`
	// IsMinor tells whether the case protects a minor: its images and
	// screenshots are shown blurred until staff reveal one.
	IsMinor bool `json:"is_minor"`
	// Scan is what scanning the capture's text found, when it was scanned.
	Scan *ScanResult `json:"scan,omitempty"`
	// TextPrint is the print of the capture's text (package mirror: keyed
	// hashes, never the text), by which copies of confirmed pages are
	// found; nil when the text is too short or prints are not made.
	TextPrint []byte `json:"-"`
}

// CaptureFile is one stored blob of a capture.
type CaptureFile struct {
	Kind      string `json:"kind"` // body, headers, text, screenshot, image
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	MediaType string `json:"media_type"`
	PHash     string `json:"phash,omitempty"` // perceptual hash of an image or screenshot
}

// Kinds of capture files.
const (
	FileBody       = "body"
	FileHeaders    = "headers"
	FileText       = "text"
	FileScreenshot = "screenshot"
	FileImage      = "image"
)

// Visual tells whether a file is a picture (blurred in minors' cases).
func (f CaptureFile) Visual() bool { return f.Kind == FileScreenshot || f.Kind == FileImage }

// CaptureTarget is what a capture job needs to know of an item: its URL
// and the cases it is captured for, with their data keys.
type CaptureTarget struct {
	Item  *Item
	Cases []CaptureCase
	// ReferralOnly: some case reports the item as content that undox
	// never fetches.
	ReferralOnly bool
}

// UnprintedCapture is a kept capture of a page (2xx, with its text) that
// has no print of its text (package mirror): it was made before prints
// were. Key is its case's data key, to read the text with.
type UnprintedCapture struct {
	ID      int64
	CaseRef string
	Text    CaptureFile
	Key     []byte
}

// CaptureCase is a live (not erased) case that reports an item.
type CaptureCase struct {
	ID      int64
	Ref     string
	IsMinor bool
	Key     []byte // the case's data key
}

// CaptureAttempt is what one capture attempt of an item produced.
type CaptureAttempt struct {
	ItemID int64
	// Captures holds one record per case (CaseRef set); Facts are plain
	// here and sealed by the store under the case's key.
	Captures []Capture
	// Observe is the item's observation: ObserveCaptured or
	// ObserveUnreachable. It is applied where the item's lifecycle allows
	// it (an item that staff already confirmed stays confirmed).
	Observe Event
	// Error is the attempt's error ("code: message"), "" on success.
	Error string
	// Headers of the page's response that tell a CDN, handed to the
	// item's trace.
	Headers map[string][]string
}

// CaptureJob captures one item's page for every case that reports it. New
// items are captured automatically; staff can ask for a new capture. While
// one waits, the same job is not queued again: it will serve the cases
// linked meanwhile too.
type CaptureJob struct {
	ItemID      int64  `json:"item_id"`
	RequestedBy string `json:"requested_by,omitempty"` // actor label; "" = undox itself
}

// Kind names the job.
func (CaptureJob) Kind() string { return "capture" }

// EraseBlobsJob deletes the stored evidence of an erased case. The case's
// key is already destroyed, so the blobs are unreadable; this frees the
// space and leaves nothing behind. It also brings the watch index of the
// process that runs it up to date, so that the hashes of the case's
// identifiers leave the index file at once (other processes' follow
// within a minute).
type EraseBlobsJob struct {
	CaseRef string `json:"case"`
}

// Kind names the job.
func (EraseBlobsJob) Kind() string { return "erase_blobs" }

// TraceJob finds who hosts an item and whom to notify. Captured items are
// traced automatically; referral-only items too, by DNS and RDAP/WHOIS
// only (NoFetch), so that a referral names the hosting country.
type TraceJob struct {
	ItemID  int64 `json:"item_id"`
	NoFetch bool  `json:"no_fetch,omitempty"`
	// Headers are response headers seen at capture that tell a CDN or
	// reverse proxy (Server, Via, CF-Ray, X-…).
	Headers map[string][]string `json:"headers,omitempty"`
	// RequestedBy is the actor label of who asked; "" = undox itself.
	RequestedBy string `json:"requested_by,omitempty"`
}

// Kind names the job.
func (TraceJob) Kind() string { return "trace" }

// Trace is one trace of an item: who hosted it and whom to notify, as
// trace's answer says (with the raw RDAP and WHOIS responses).
type Trace struct {
	ID       int64           `json:"id"`
	ItemID   int64           `json:"item_id"`
	TracedAt time.Time       `json:"traced_at"`
	HostKey  string          `json:"host_key"`
	Moved    bool            `json:"moved"` // the host differs from the previous trace's
	Answer   json.RawMessage `json:"answer"`
}

// ScanResult is what scanning a capture's text found: the findings with
// their values (sealed under the case's key when stored), a summary
// without any value (counts, matched persons and kinds with their spans,
// the assessment), the severity, and the protected persons on the page
// (PersonID) and those it doxes.
type ScanResult struct {
	ID       int64           `json:"id,omitempty"`
	Findings json.RawMessage `json:"findings,omitempty"`
	Summary  json.RawMessage `json:"summary"`
	Severity int             `json:"severity"`
	Persons  []string        `json:"persons,omitempty"`
	Doxes    []string        `json:"doxes,omitempty"`
	// PersonKinds are the identifier kinds matched per person.
	PersonKinds map[string][]string `json:"-"`
}
