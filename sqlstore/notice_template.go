package sqlstore

// Notice templates that admins edited, every version kept.

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/undox/undox"
)

const noticeTemplateColumns = `id, language, name, version, digest, source, active, created_by, created_at`

func (s *Store) noticeTemplates(ctx context.Context, q querier, where string, args ...any) ([]*undox.NoticeTemplateVersion, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+noticeTemplateColumns+` FROM notice_templates `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*undox.NoticeTemplateVersion{}
	for rows.Next() {
		var (
			v      undox.NoticeTemplateVersion
			active int
			at     int64
		)
		if err := rows.Scan(&v.ID, &v.Language, &v.Name, &v.Version, &v.Digest, &v.Source, &active, &v.CreatedBy, &at); err != nil {
			return nil, err
		}
		v.Active, v.CreatedAt = active == 1, fromMicros(at)
		out = append(out, &v)
	}
	return out, rows.Err()
}

// NoticeTemplateVersions implements undox.NoticeTemplateStore.
func (s *Store) NoticeTemplateVersions(ctx context.Context, actor undox.Actor, lang, name string) ([]*undox.NoticeTemplateVersion, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	return s.noticeTemplates(ctx, s.db.SQL, `WHERE language = $1 AND name = $2 ORDER BY id DESC`, lang, name)
}

// ActiveNoticeTemplates implements undox.NoticeTemplateStore.
func (s *Store) ActiveNoticeTemplates(ctx context.Context) ([]*undox.NoticeTemplateVersion, error) {
	return s.noticeTemplates(ctx, s.db.SQL, `WHERE active = 1 ORDER BY language, name`)
}

// SaveNoticeTemplate implements undox.NoticeTemplateStore.
func (s *Store) SaveNoticeTemplate(ctx context.Context, actor undox.Actor, v undox.NoticeTemplateVersion) (*undox.NoticeTemplateVersion, error) {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return nil, err
	}
	var out *undox.NoticeTemplateVersion
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notice_templates SET active = 0 WHERE language = $1 AND name = $2 AND active = 1`,
			v.Language, v.Name); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO notice_templates (language, name, version, digest, source, active, created_by, created_at)
            VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id`,
			v.Language, v.Name, v.Version, v.Digest, v.Source, actor.Label(), micros(s.now())).Scan(&id); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "notice_template.save", "notice_template", v.Language+"/"+v.Name,
			"id="+strconv.FormatInt(id, 10)+" version="+v.Version+" digest="+v.Digest); err != nil {
			return err
		}
		l, err := s.noticeTemplates(ctx, tx, `WHERE id = $1`, id)
		if err == nil {
			out = l[0]
		}
		return err
	})
	return out, err
}

// ActivateNoticeTemplate implements undox.NoticeTemplateStore.
func (s *Store) ActivateNoticeTemplate(ctx context.Context, actor undox.Actor, id int64) (*undox.NoticeTemplateVersion, error) {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return nil, err
	}
	var out *undox.NoticeTemplateVersion
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		l, err := s.noticeTemplates(ctx, tx, `WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if len(l) == 0 {
			return notFound("notice template version")
		}
		v := l[0]
		if _, err := tx.ExecContext(ctx, `UPDATE notice_templates SET active = 0 WHERE language = $1 AND name = $2 AND active = 1`,
			v.Language, v.Name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notice_templates SET active = 1 WHERE id = $1`, id); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "notice_template.activate", "notice_template", v.Language+"/"+v.Name,
			"id="+strconv.FormatInt(id, 10)+" version="+v.Version+" digest="+v.Digest); err != nil {
			return err
		}
		v.Active, out = true, v
		return nil
	})
	return out, err
}

// RevertNoticeTemplate implements undox.NoticeTemplateStore.
func (s *Store) RevertNoticeTemplate(ctx context.Context, actor undox.Actor, lang, name string) error {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notice_templates SET active = 0 WHERE language = $1 AND name = $2 AND active = 1`,
			lang, name); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "notice_template.revert", "notice_template", lang+"/"+name, "default")
	})
}
