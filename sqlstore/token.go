package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/undox/undox"
)

var _ undox.TokenStore = (*Store)(nil)

// CreateToken implements undox.TokenStore.
func (s *Store) CreateToken(ctx context.Context, name string, role undox.Role, hash []byte, userID int64) (*undox.Token, error) {
	t := &undox.Token{Name: name, Role: role, UserID: userID, CreatedAt: s.now().UTC()}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var user any
		detail := "role=" + string(role)
		if userID != 0 {
			var disabled sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT disabled_at FROM users WHERE id = $1`, userID).Scan(&disabled)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("user")
			} else if err != nil {
				return err
			}
			if disabled.Valid {
				return undox.Errorf(undox.ECONFLICT, "the staff account is disabled")
			}
			user, detail = userID, detail+" user="+strconv.FormatInt(userID, 10)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO tokens (name, role, hash, created_at, user_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			name, string(role), hash, micros(t.CreatedAt), user).Scan(&t.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, undox.System, "token.create", "token", strconv.FormatInt(t.ID, 10), detail)
	})
	return t, err
}

// TokenByHash implements undox.TokenStore.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*undox.Token, error) {
	var (
		t  undox.Token
		at int64
	)
	// A token made for a staff account works while the account does.
	err := s.db.SQL.QueryRowContext(ctx, `SELECT t.id, t.name, t.role, t.created_at, COALESCE(t.user_id, 0) FROM tokens t
        LEFT JOIN users u ON u.id = t.user_id
        WHERE t.hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL`, hash).
		Scan(&t.ID, &t.Name, &t.Role, &at, &t.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, undox.Errorf(undox.EUNAUTHORIZED, "unknown or revoked token")
	}
	if err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(at)
	return &t, nil
}
