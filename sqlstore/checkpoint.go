package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"time"
)

// SQLite in WAL mode appends every commit to the write-ahead log; a
// checkpoint copies the log's pages into the database file, with an fsync
// of each. By default the connection whose commit fills the log past 1,000
// pages does that checkpoint before its commit returns: the single writer
// stops taking reports while it syncs. Undox checkpoints from a connection
// of its own instead, every checkpointEvery, beside the writer (a PASSIVE
// checkpoint never blocks writers or readers, and takes no write lock: the
// writer stays the one writer). The writer still checkpoints when the log
// passes writerCheckpointPages, which happens only when this connection
// falls behind, and is what restarts the log from its beginning under a
// writer that never pauses: a restart needs a checkpoint that copied every
// page, which a checkpoint running beside a busy writer rarely does.
const (
	checkpointEvery       = 100 * time.Millisecond
	writerCheckpointPages = 8000
)

// checkpointer runs PASSIVE checkpoints on its own connection until
// closed.
type checkpointer struct {
	db     *sql.DB
	cancel context.CancelFunc
	done   chan struct{}
}

func startCheckpointer(drv driver.Driver, dsn string, every time.Duration) *checkpointer {
	db := sql.OpenDB(&cachingConnector{drv: drv, dsn: dsn, size: 4})
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, cancel: cancel, done: make(chan struct{})}
	go c.run(ctx, every)
	return c
}

func (c *checkpointer) run(ctx context.Context, every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Errors are left for the next tick and for the writer's own
		// checkpoints: nothing is lost when one fails.
		c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// close stops the checkpoints and closes their connection.
func (c *checkpointer) close() error {
	c.cancel()
	<-c.done
	return c.db.Close()
}
