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
func (s *Store) CreateToken(ctx context.Context, name string, role undox.Role, hash []byte) (*undox.Token, error) {
	t := &undox.Token{Name: name, Role: role, CreatedAt: s.now().UTC()}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			name, string(role), hash, micros(t.CreatedAt)).Scan(&t.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, undox.System, "token.create", "token", strconv.FormatInt(t.ID, 10), "role="+string(role))
	})
	return t, err
}

// TokenByHash implements undox.TokenStore.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*undox.Token, error) {
	var (
		t  undox.Token
		at int64
	)
	err := s.db.SQL.QueryRowContext(ctx, `SELECT id, name, role, created_at FROM tokens WHERE hash = $1 AND revoked_at IS NULL`, hash).
		Scan(&t.ID, &t.Name, &t.Role, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, undox.Errorf(undox.EUNAUTHORIZED, "unknown or revoked token")
	}
	if err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(at)
	return &t, nil
}
