package sqlstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/sqlstore"
)

// The write-ahead log is copied into the database file by undox's own
// checkpoints, beside the writer, long before the writer would do it
// itself (at thousands of pages): committed data reaches the database
// file while the writer keeps its connection, and the log is checkpointed
// whole when the database closes.
func TestSQLiteCheckpointsBesideTheWriter(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "", dir)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.SQL.ExecContext(ctx, `CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`)
	require.NoError(t, err)
	// About 500 pages in one transaction: a tenth of what makes the
	// writer checkpoint.
	tx, err := db.SQL.BeginTx(ctx, nil)
	require.NoError(t, err)
	body := strings.Repeat("x", 2000)
	for i := range 1000 {
		_, err := tx.ExecContext(ctx, `INSERT INTO filler (id, body) VALUES ($1, $2)`, i, body)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit())

	file := filepath.Join(dir, "undox.db")
	size := func() int64 {
		st, err := os.Stat(file)
		require.NoError(t, err)
		return st.Size()
	}
	// Polled, not timed: the test waits for the checkpoint however long
	// it takes, and fails only if it never comes.
	deadline := time.Now().Add(time.Minute)
	for size() < 2_000_000 {
		require.True(t, time.Now().Before(deadline), "after a minute the database file holds %d bytes: nothing was checkpointed", size())
		time.Sleep(20 * time.Millisecond)
	}
	var n int
	require.NoError(t, db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM filler`).Scan(&n))
	require.Equal(t, 1000, n)

	require.NoError(t, db.Close())
	// The last connection closed checkpointed the rest and removed the log.
	_, err = os.Stat(file + "-wal")
	require.ErrorIs(t, err, os.ErrNotExist)
}
