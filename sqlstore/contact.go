package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/undox/undox"
)

var _ undox.ContactBook = (*Store)(nil)

// PutContact adds an entry (ID 0) or changes one; each change is a new
// version in the entry's history.
func (s *Store) PutContact(ctx context.Context, actor undox.Actor, c undox.Contact) (*undox.Contact, error) {
	if err := actor.Require(undox.PermContacts); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var out *undox.Contact
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		c.UpdatedBy, c.UpdatedAt, c.Removed = actor.Label(), now, false
		change := "updated"
		if c.ID == 0 {
			change, c.Version, c.CreatedAt = "created", 1, now
			data, err := json.Marshal(c)
			if err != nil {
				return err
			}
			err = tx.QueryRowContext(ctx, `INSERT INTO contacts (scope, key, role, version, data, updated_by, created_at, updated_at)
                VALUES ($1, $2, $3, 1, $4, $5, $6, $6) RETURNING id`, string(c.Scope), c.Key, c.Role, string(data), c.UpdatedBy, micros(now)).Scan(&c.ID)
			if isUnique(err) {
				return undox.Errorf(undox.ECONFLICT, "the contact book already has a %s entry for %s %s: change that one", c.Role, c.Scope, c.Key)
			}
			if err != nil {
				return err
			}
		} else {
			old, err := s.contact(ctx, tx, c.ID)
			if err != nil {
				return err
			}
			if old.Removed {
				return undox.Errorf(undox.ETRANSITION, "the contact was removed")
			}
			c.Version, c.CreatedAt = old.Version+1, old.CreatedAt
			data, err := json.Marshal(c)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE contacts SET scope = $1, key = $2, role = $3, version = $4, data = $5, updated_by = $6,
                updated_at = $7 WHERE id = $8`, string(c.Scope), c.Key, c.Role, c.Version, string(data), c.UpdatedBy, micros(now), c.ID)
			if isUnique(err) {
				return undox.Errorf(undox.ECONFLICT, "the contact book already has a %s entry for %s %s", c.Role, c.Scope, c.Key)
			}
			if err != nil {
				return err
			}
		}
		if err := s.contactVersion(ctx, tx, &c, change, actor); err != nil {
			return err
		}
		out = &c
		return nil
	})
	return out, err
}

func (s *Store) contactVersion(ctx context.Context, tx *sql.Tx, c *undox.Contact, change string, actor undox.Actor) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO contact_versions (contact_id, version, change, actor, data, created_at)
        VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, c.Version, change, actor.Label(), string(data), micros(s.now())); err != nil {
		return err
	}
	return s.audit(ctx, tx, actor, "contact."+change, "contact", strconv.FormatInt(c.ID, 10),
		"scope="+string(c.Scope)+" role="+c.Role+" version="+strconv.Itoa(c.Version))
}

// RemoveContact removes an entry; its history stays.
func (s *Store) RemoveContact(ctx context.Context, actor undox.Actor, id int64) error {
	if err := actor.Require(undox.PermContacts); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		c, err := s.contact(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Removed {
			return nil
		}
		now := s.now().UTC()
		c.Version, c.Removed, c.UpdatedAt, c.UpdatedBy = c.Version+1, true, now, actor.Label()
		data, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET version = $1, data = $2, updated_by = $3, updated_at = $4, removed_at = $4
            WHERE id = $5`, c.Version, string(data), c.UpdatedBy, micros(now), id); err != nil {
			return err
		}
		return s.contactVersion(ctx, tx, c, "removed", actor)
	})
}

func (s *Store) contact(ctx context.Context, q querier, id int64) (*undox.Contact, error) {
	var data string
	err := q.QueryRowContext(ctx, `SELECT data FROM contacts WHERE id = $1`, id).Scan(&data)
	c := undox.Contact{}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("contact")
	}
	if err != nil {
		return nil, err
	}
	err = json.Unmarshal([]byte(data), &c)
	c.ID = id
	return &c, err
}

func (s *Store) liveContacts(ctx context.Context, q querier) ([]*undox.Contact, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, data FROM contacts WHERE removed_at IS NULL ORDER BY scope, key, role, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*undox.Contact{}
	for rows.Next() {
		var (
			id   int64
			data string
			c    undox.Contact
		)
		if err := rows.Scan(&id, &data); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return nil, err
		}
		c.ID = id
		out = append(out, &c)
	}
	return out, rows.Err()
}

// Contacts lists the live entries.
func (s *Store) Contacts(ctx context.Context, actor undox.Actor) ([]*undox.Contact, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	return s.liveContacts(ctx, s.db.SQL)
}

// ContactHistory returns every version of an entry, oldest first.
func (s *Store) ContactHistory(ctx context.Context, actor undox.Actor, id int64) ([]undox.ContactVersion, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT version, change, actor, data, created_at FROM contact_versions
        WHERE contact_id = $1 ORDER BY version`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []undox.ContactVersion
	for rows.Next() {
		var (
			v    undox.ContactVersion
			data string
			at   int64
		)
		if err := rows.Scan(&v.Version, &v.Change, &v.Actor, &data, &at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &v.Contact); err != nil {
			return nil, err
		}
		v.Contact.ID = id
		v.At = fromMicros(at)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, notFound("contact")
	}
	return out, nil
}

// MatchContacts returns the live entries that apply to what a trace
// found. The book is small (hundreds to thousands of entries): matching
// runs over all of them.
func (s *Store) MatchContacts(ctx context.Context, q undox.ContactQuery) ([]*undox.Contact, error) {
	all, err := s.liveContacts(ctx, s.db.SQL)
	if err != nil {
		return nil, err
	}
	var out []*undox.Contact
	for _, c := range all {
		if c.Matches(q) {
			out = append(out, c)
		}
	}
	return out, nil
}
