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
			var (
				disabled sql.NullInt64
				userRole string
			)
			err := tx.QueryRowContext(ctx, `SELECT disabled_at, role FROM users WHERE id = $1`, userID).Scan(&disabled, &userRole)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("user")
			} else if err != nil {
				return err
			}
			if disabled.Valid {
				return undox.Errorf(undox.ECONFLICT, "the staff account is disabled")
			}
			if !role.Within(undox.Role(userRole)) {
				return undox.Invalid("role", "a token made for a staff account has at most the account's rights: it is %s, not %s", userRole, role)
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
	var userRole sql.NullString
	err := s.db.SQL.QueryRowContext(ctx, `SELECT t.id, t.name, t.role, t.created_at, COALESCE(t.user_id, 0), u.role FROM tokens t
        LEFT JOIN users u ON u.id = t.user_id
        WHERE t.hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL`, hash).
		Scan(&t.ID, &t.Name, &t.Role, &at, &t.UserID, &userRole)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, undox.Errorf(undox.EUNAUTHORIZED, "unknown or revoked token")
	}
	if err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(at)
	if userRole.Valid && !t.Role.Within(undox.Role(userRole.String)) {
		// The account's role was lowered since: its tokens follow.
		t.Role = undox.Role(userRole.String)
	}
	return &t, nil
}

// tokenColumns and tokenFrom read tokens with their account's state.
const (
	tokenColumns = `t.id, t.name, t.role, t.created_at, COALESCE(t.user_id, 0), t.revoked_at, u.disabled_at IS NOT NULL`
	tokenFrom    = ` FROM tokens t LEFT JOIN users u ON u.id = t.user_id`
)

func scanToken(row interface{ Scan(...any) error }) (*undox.Token, error) {
	var (
		t       undox.Token
		at      int64
		revoked sql.NullInt64
	)
	if err := row.Scan(&t.ID, &t.Name, &t.Role, &at, &t.UserID, &revoked, &t.AccountDisabled); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(at)
	if revoked.Valid {
		r := fromMicros(revoked.Int64)
		t.RevokedAt = &r
	}
	return &t, nil
}

// Tokens implements undox.TokenStore.
func (s *Store) Tokens(ctx context.Context, actor undox.Actor) ([]*undox.Token, error) {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return nil, err
	}
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT `+tokenColumns+tokenFrom+` ORDER BY t.id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(rows *sql.Rows) (*undox.Token, error) { return scanToken(rows) })
}

// RevokeToken implements undox.TokenStore.
func (s *Store) RevokeToken(ctx context.Context, actor undox.Actor, id int64) (*undox.Token, error) {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return nil, err
	}
	var t *undox.Token
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, micros(s.now().UTC()), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		t, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+tokenFrom+` WHERE t.id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("token")
		} else if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		return s.audit(ctx, tx, actor, "token.revoke", "token", strconv.FormatInt(id, 10), "role="+string(t.Role))
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
