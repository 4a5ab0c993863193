package undox

import (
	"context"
	"time"
)

// Dossier states.
const (
	DossierAwaiting = "awaiting_approval" // generated; waits for staff (two of them for a four-eyes step)
	DossierReady    = "ready"             // approved (or automatic): ready to send
	DossierSent     = "sent"              // staff sent it (to the regulator, the police, the search engines) and said so
)

// Dossier is a document the escalation ladder generated for a step that
// no e-mail notice covers: a dossier for the regulator or the police
// (with the case's evidence bundle), or a delisting request for search
// engines. Staff approve it (two of them for a four-eyes step), send it
// through the recipient's own channel, and record that they did.
type Dossier struct {
	ID              int64      `json:"id"`
	ItemID          int64      `json:"item_id"`
	Step            string     `json:"step"`
	Kind            string     `json:"kind"`      // regulator, police, delisting
	Recipient       string     `json:"recipient"` // ACM, DSC, 125p, mla, search engines
	Country         string     `json:"country,omitempty"`
	Status          string     `json:"status"`
	Automatic       bool       `json:"automatic"`
	FourEyes        bool       `json:"four_eyes"`
	Text            string     `json:"text"`
	HTML            string     `json:"html,omitempty"`
	BundleSHA256    string     `json:"bundle_sha256,omitempty"`
	BundleSize      int64      `json:"bundle_size,omitempty"`
	FirstApprovedBy string     `json:"first_approved_by,omitempty"`
	ApprovedBy      string     `json:"approved_by,omitempty"`
	SentBy          string     `json:"sent_by,omitempty"`
	SentAt          *time.Time `json:"sent_at,omitempty"`
	// SentReference is what staff noted when they sent it: the
	// recipient's case number, the portal's receipt.
	SentReference string    `json:"sent_reference,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// DossierStore keeps the ladder's dossiers.
type DossierStore interface {
	// Dossiers returns an item's dossiers, oldest first.
	Dossiers(ctx context.Context, actor Actor, itemID int64) ([]*Dossier, error)
	// DossierBundle returns a dossier's evidence bundle (a zip); reading
	// it is audited. It holds the raw captures, unblurred, so it needs
	// PermReveal besides PermReadCases.
	DossierBundle(ctx context.Context, actor Actor, id int64) ([]byte, error)
	// ApproveDossier approves a dossier for sending (a four-eyes one
	// needs two different staff members).
	ApproveDossier(ctx context.Context, actor Actor, id int64) (*Dossier, error)
	// MarkDossierSent records that staff sent a ready dossier.
	MarkDossierSent(ctx context.Context, actor Actor, id int64, reference string) (*Dossier, error)
}
