package dbtest

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
)

// Processes opens n stores over one fresh, migrated database, each with
// connections of its own and its own copy of one master key, as n undox
// processes sharing a database (behind a load balancer) have them.
func Processes(t testing.TB, b Backend, n int) []*sqlstore.Store {
	t.Helper()
	dir := t.TempDir()
	master := make([]byte, secret.KeySize)
	_, err := rand.Read(master)
	require.NoError(t, err)
	first, url := b.Open(t, dir)
	var out []*sqlstore.Store
	for i := range n {
		db := first
		if i > 0 {
			db, err = sqlstore.Open(context.Background(), url, dir)
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
		}
		keys, err := secret.New(master)
		require.NoError(t, err)
		s := sqlstore.NewStore(db, keys)
		t.Cleanup(s.Close)
		out = append(out, s)
	}
	return out
}
