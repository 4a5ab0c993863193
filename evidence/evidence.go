// Package evidence writes the self-contained evidence bundle of a case (a
// zip file) and verifies one offline, without undox's database, network
// or keys: what a police officer, prosecutor or judge receives.
//
// A bundle holds:
//
//   - the captured files (page source, headers, readable text,
//     screenshots, images), each under its path, e.g. captures/1/body.html;
//   - manifest.json: every file's path, SHA-256 and size, the case's and
//     captures' facts, the audit entries that recorded the captures with
//     their inclusion proofs, the signed checkpoint and its verifier key
//     (see Manifest);
//   - checkpoint.txt: the signed checkpoint note of the audit log;
//   - SHA256SUMS: the files' hashes in the form `sha256sum -c` checks;
//   - report.html: a human-readable report, without scripts or external
//     resources, that never shows the captured page as a page.
//
// The chain of proof runs from each file to a signature: the file's
// SHA-256 is in the detail of an audit entry (see CaptureDetail), the
// entry is a leaf of the audit log's Merkle tree (its inclusion proof
// recomputes the tree's root), and the root is in a checkpoint signed with
// the hotline's key. Verify checks every link; a change of one byte
// anywhere along it is reported with the path of what no longer matches.
package evidence

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/undox/undox"
)

// Format and Version identify the bundle layout in the manifest. Verify
// reads versions up to Version.
const (
	Format  = "undox-evidence"
	Version = 1
)

// Names of the files that every bundle has besides the captured ones.
const (
	ManifestName   = "manifest.json"
	CheckpointName = "checkpoint.txt"
	SumsName       = "SHA256SUMS"
	ReportName     = "report.html"
)

// Kinds of captured files.
const (
	KindBody       = "body"       // the response body as received (the page's source)
	KindHeaders    = "headers"    // the final response's headers
	KindText       = "text"       // the page's readable text, extracted by undox
	KindScreenshot = "screenshot" // a rendering of the page
	KindImage      = "image"      // an image the page showed
	// KindFacts is the capture's record of facts (redirects, addresses,
	// DNS, TLS) as stored, when the capture audited its hash: it anchors
	// the facts in the audit log as the other files are.
	KindFacts = "facts"
)

// Bundle is what Write puts in a bundle: the caller (`undox export case`)
// fills it from the database and the blob store. It holds no contact data
// of the victim, and no free text they wrote.
type Bundle struct {
	Case     CaseInfo
	Items    []Item
	Captures []Capture
	// Audit holds the audit entries that recorded the captures (and any
	// other entries about the case worth showing), each with its proof
	// against Checkpoint: see Prove.
	Audit []AuditRecord
	// Checkpoint is the signed checkpoint note (audit.Checkpoint.Note)
	// that the proofs lead to; every entry's leaf must be below its size.
	Checkpoint string
	// VerifierKey is the note verifier key that checks Checkpoint
	// (audit.VerifierKeyText): name+hash+key.
	VerifierKey string
	GeneratedAt time.Time
	GeneratedBy string // the actor label of who exported it
}

// CaseInfo is what the bundle says of the case: no reporter contact, no
// description.
type CaseInfo struct {
	Ref      string `json:"ref"`
	Category string `json:"category"`
	// Handling is the category the case is handled under, when it
	// differs from Category.
	Handling  string    `json:"handling_category,omitempty"`
	Status    string    `json:"status"`
	IsMinor   bool      `json:"is_minor"`
	CreatedAt time.Time `json:"created_at"`
}

// Item is one reported URL of the case.
type Item struct {
	ID            int64     `json:"id"`
	URL           string    `json:"url"`
	Status        string    `json:"status"`
	Category      string    `json:"category,omitempty"`
	FirstReported time.Time `json:"first_reported"`
}

// Capture is one fetch of an item's page: what undox saw, and the files
// it kept.
type Capture struct {
	ID          int64     `json:"id"`
	ItemURL     string    `json:"item_url"` // the URL requested
	FetchedAt   time.Time `json:"fetched_at"`
	RequestedBy string    `json:"requested_by"` // actor label; "system" for automatic captures
	// Status is the HTTP status of the final response, 0 when none came.
	Status    int        `json:"http_status"`
	FinalURL  string     `json:"final_url,omitempty"` // after redirects
	Title     string     `json:"title,omitempty"`     // the page's title, as text
	Redirects []Redirect `json:"redirects"`
	// IPs are every address the names of the fetch resolved to.
	IPs []string    `json:"ips"`
	DNS []DNSAnswer `json:"dns,omitempty"`
	// Resolver is the DNS resolver used; Vantage where the fetch ran
	// from (network, country, proxy).
	Resolver string      `json:"resolver,omitempty"`
	Vantage  string      `json:"vantage,omitempty"`
	TLS      *TLSSummary `json:"tls,omitempty"`
	// Error says why the capture failed ("code: message"); "" when the
	// page was fetched.
	Error string `json:"error,omitempty"`
	// Files are the captured files; the manifest lists their paths.
	Files []File `json:"-"`
}

// Redirect is one hop of the redirect chain.
type Redirect struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
	IP     string `json:"ip,omitempty"` // the address that answered
}

// DNSAnswer is one lookup made during the fetch.
type DNSAnswer struct {
	Name    string   `json:"name"`
	Addrs   []string `json:"addrs"`
	Records []string `json:"records,omitempty"` // answer records in zone-file form
	Server  string   `json:"server,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// TLSSummary is the TLS session of the final response.
type TLSSummary struct {
	Version     string        `json:"version"`
	CipherSuite string        `json:"cipher_suite,omitempty"`
	ServerName  string        `json:"server_name"`
	Verified    bool          `json:"verified"`
	VerifyError string        `json:"verify_error,omitempty"`
	Chain       []Certificate `json:"chain,omitempty"` // leaf first
}

// Certificate summarises one certificate of the chain.
type Certificate struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial_number,omitempty"`
	DNSNames  []string  `json:"dns_names,omitempty"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	SHA256    string    `json:"sha256"` // of the DER encoding
}

// File is one captured file to put in the bundle.
type File struct {
	// Name is the file's path inside the zip, e.g. captures/1/body.html:
	// letters, digits, '.', '_', '-' and '/' between non-empty parts.
	Name      string
	Kind      string // KindBody, KindHeaders, KindText, KindScreenshot, KindImage
	SHA256    string // lower-case hex SHA-256 of the content (blob.Ref.SHA256)
	Size      int64
	MediaType string
	// Open returns the content; Write checks it against SHA256 and Size.
	Open func() (io.ReadCloser, error)
}

// AuditRecord is an audit entry with its inclusion proof against the
// bundle's checkpoint. Entry.LeafIndex must be set.
type AuditRecord struct {
	Entry undox.AuditEntry
	Proof tlog.RecordProof
}

// ActionCapture is the audit action of the entry that records a capture's
// files, and the convention for its detail:
//
// When undox stores a capture it appends, in the same transaction, an
// audit entry with Action "capture" whose Detail holds one token
// KIND=SHA256 per stored file, separated by single spaces, in the
// capture's file order:
//
//	body=<sha256> headers=<sha256> text=<sha256> screenshot=<sha256> image=<sha256> image=<sha256>
//
// KIND is the file's kind (KindBody, …); SHA256 is the 64 lower-case hex
// digits of the SHA-256 of the file's plain content, as blob.Ref.SHA256.
// Other tokens (item=12, status=200) may stand beside them: only tokens
// whose value is 64 lower-case hex digits name files. The detail holds
// hashes only, never personal data. CaptureDetail writes the tokens and
// CaptureHashes reads them.
//
// A file of kind K and hash H is covered when an audit entry of the
// bundle, proven by the checkpoint, has Action "capture" and the token
// K=H in its detail. Write refuses, and Verify reports, a captured file
// that no entry covers.
const ActionCapture = "capture"

// FileHash names one file in a capture's audit detail.
type FileHash struct {
	Kind   string
	SHA256 string
}

// CaptureDetail returns the tokens of a capture's audit detail (see
// ActionCapture) for its files, in order.
func CaptureDetail(files ...FileHash) string {
	var sb strings.Builder
	for i, f := range files {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(f.Kind)
		sb.WriteByte('=')
		sb.WriteString(f.SHA256)
	}
	return sb.String()
}

// CaptureHashes returns the files named in an audit detail written per
// the ActionCapture convention, in order; other tokens are skipped.
func CaptureHashes(detail string) []FileHash {
	var out []FileHash
	for _, tok := range strings.Fields(detail) {
		k, v, ok := strings.Cut(tok, "=")
		if ok && validKind(k) && isHexSHA256(v) {
			out = append(out, FileHash{Kind: k, SHA256: v})
		}
	}
	return out
}

func validKind(k string) bool {
	if k == "" || len(k) > 32 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || c == '_' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func isHexSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// reserved are the names Write gives the bundle's own files.
var reserved = map[string]bool{ManifestName: true, CheckpointName: true, SumsName: true, ReportName: true}

// checkWriteName checks the path of a captured file: a plain relative
// path of a restricted alphabet, which stays the same in a shell command,
// a URL and any file system.
func checkWriteName(name string) error {
	if err := checkZipName(name); err != nil {
		return err
	}
	if len(name) > 200 {
		return fmt.Errorf("path %q is longer than 200 characters", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == '/') {
			return fmt.Errorf("path %q has a character other than letters, digits, '.', '_', '-' and '/'", name)
		}
	}
	if reserved[name] {
		return fmt.Errorf("path %q is reserved for the bundle's own file", name)
	}
	return nil
}

// checkZipName rejects names that an extractor could write outside its
// folder (absolute, "..", backslashes, drive letters) or that are not
// plain relative paths.
func checkZipName(name string) error {
	if !fs.ValidPath(name) || name == "." {
		return fmt.Errorf("unsafe path %q (absolute, empty part, '.' or '..')", name)
	}
	if strings.ContainsAny(name, `\:`) {
		return fmt.Errorf("unsafe path %q (backslash or colon)", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("unsafe path %q (control character)", name)
		}
	}
	return nil
}
