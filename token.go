package undox

import (
	"context"
	"time"
)

// Token is an API credential of a staff member or a partner system. Only
// the hash of its secret is stored.
type Token struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// UserID is the staff account the token was made for (0: none, such
	// as a partner's system): for four-eyes they are one person.
	UserID    int64      `json:"user_id,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// AccountDisabled: the staff account it was made for is disabled, so
	// the token does not work (Tokens says so; TokenByHash refuses it).
	AccountDisabled bool `json:"account_disabled,omitempty"`
}

// TokenStore keeps API tokens.
type TokenStore interface {
	// CreateToken keeps a new token; userID is the staff account it is
	// for, or 0.
	CreateToken(ctx context.Context, name string, role Role, hash []byte, userID int64) (*Token, error)
	// TokenByHash returns the live token with that hash (a token of a
	// disabled staff account is not), or EUNAUTHORIZED.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// Tokens lists every token, revoked ones too, oldest first (never
	// their secrets, which are not kept); for admins.
	Tokens(ctx context.Context, actor Actor) ([]*Token, error)
	// RevokeToken ends a token: from now on it is refused. The revocation
	// is audited; a token revoked already is left as it is (and not
	// audited again). An unknown one is ENOTFOUND. For admins.
	RevokeToken(ctx context.Context, actor Actor, id int64) (*Token, error)
}

// AuditEntry is one line of the tamper-evident audit log: who did what to
// which object, when. It never holds personal data.
type AuditEntry struct {
	ID         int64     `json:"id"`
	LeafIndex  *int64    `json:"leaf_index,omitempty"` // position in the Merkle tree once integrated
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	Detail     string    `json:"detail,omitempty"`
}

// TriageJob routes the items of new cases of referral-only content to the
// competent authority; undox never fetches them. Reports stored together
// in one transaction share one job. (Other items wait for the capture
// dispatch.)
type TriageJob struct {
	CaseIDs []int64 `json:"case_ids"`
}

// Kind names the job.
func (TriageJob) Kind() string { return "triage" }
