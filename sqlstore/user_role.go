package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/undox/undox"
)

// SetUserRole implements undox.UserStore.
func (s *Store) SetUserRole(ctx context.Context, actor undox.Actor, userID int64, role undox.Role) (*undox.User, error) {
	if err := actor.Require(undox.PermAdmin); err != nil {
		return nil, err
	}
	role, err := undox.ParseRole(string(role))
	if err != nil {
		return nil, err
	}
	if role == undox.RolePartner {
		return nil, undox.Invalid("role", "partners are systems: give them an API token, not an account")
	}
	var u *undox.User
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		admins, err := s.enabledAdmins(ctx, tx)
		if err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, userID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("user")
		}
		if err != nil {
			return err
		}
		if u.Role == role {
			return nil
		}
		if u.Role == undox.RoleAdmin && !u.Disabled() && admins <= 1 {
			return undox.Errorf(undox.ECONFLICT, "this is the last enabled admin: make another admin first")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1 WHERE id = $2`, string(role), u.ID); err != nil {
			return err
		}
		from := u.Role
		u.Role = role
		return s.audit(ctx, tx, actor, "user.role", "user", strconv.FormatInt(u.ID, 10), fmt.Sprintf("from=%s to=%s", from, role))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// enabledAdmins counts the enabled admins, locking their rows on
// PostgreSQL: two admins demoting or disabling each other at once cannot
// both pass a check that one must remain (SQLite has one writer).
func (s *Store) enabledAdmins(ctx context.Context, tx *sql.Tx) (int, error) {
	lock := ""
	if s.db.Dialect == Postgres {
		lock = " FOR UPDATE"
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM users WHERE role = $1 AND disabled_at IS NULL ORDER BY id`+lock, string(undox.RoleAdmin))
	if err != nil {
		return 0, err
	}
	admins := 0
	for rows.Next() {
		admins++
	}
	return admins, errors.Join(rows.Err(), rows.Close())
}
