package undox

import (
	"context"
	"time"
)

// NoticeTemplateVersion is one version of a notice template that an admin
// saved in place of the one shipped with undox (package notice checks it
// before it is saved). Every version is kept, and at most one per
// language and name is active; a notice records the version and digest
// it was rendered from.
type NoticeTemplateVersion struct {
	ID        int64     `json:"id"`
	Language  string    `json:"language"`
	Name      string    `json:"name"`
	Version   string    `json:"version"`
	Digest    string    `json:"digest"`
	Source    string    `json:"source"`
	Active    bool      `json:"active"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// NoticeTemplateStore keeps the versions of edited notice templates.
type NoticeTemplateStore interface {
	// NoticeTemplateVersions lists the saved versions of one template,
	// newest first.
	NoticeTemplateVersions(ctx context.Context, actor Actor, lang, name string) ([]*NoticeTemplateVersion, error)
	// ActiveNoticeTemplates returns the active version of every template
	// that admins replaced.
	ActiveNoticeTemplates(ctx context.Context) ([]*NoticeTemplateVersion, error)
	// SaveNoticeTemplate saves a checked template as the active version
	// of its language and name.
	SaveNoticeTemplate(ctx context.Context, actor Actor, v NoticeTemplateVersion) (*NoticeTemplateVersion, error)
	// ActivateNoticeTemplate makes a saved version the active one again.
	ActivateNoticeTemplate(ctx context.Context, actor Actor, id int64) (*NoticeTemplateVersion, error)
	// RevertNoticeTemplate goes back to the template shipped with undox.
	RevertNoticeTemplate(ctx context.Context, actor Actor, lang, name string) error
}
