// Package sqlstore stores undox's domain in SQL: SQLite (the embedded
// default, pure Go) or PostgreSQL (pgx). Both backends run the same
// statements through database/sql; only the schema and the connection
// set-up differ. One conformance suite runs against both.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/undox/undox"
	"github.com/undox/undox/policy"
	"github.com/undox/undox/secret"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

//go:embed migration
var migrationFS embed.FS

// DB is an open database of either backend.
type DB struct {
	SQL     *sql.DB
	Dialect string
	// Path is the SQLite file, empty for PostgreSQL.
	Path string

	checkpoints *checkpointer // SQLite only
}

// IsPostgres tells whether url names a PostgreSQL database.
func IsPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// Open opens the database: PostgreSQL when url is a postgres:// URL,
// otherwise SQLite in dataDir/undox.db (or the file url names).
func Open(ctx context.Context, url, dataDir string) (*DB, error) {
	var db *DB
	if IsPostgres(url) {
		s, err := sql.Open("pgx", url)
		if err != nil {
			return nil, err
		}
		s.SetMaxOpenConns(25)
		s.SetMaxIdleConns(25)
		s.SetConnMaxIdleTime(5 * time.Minute)
		db = &DB{SQL: s, Dialect: Postgres}
	} else {
		path := strings.TrimPrefix(url, "sqlite://")
		path = strings.TrimPrefix(path, "file:")
		if path == "" {
			path = filepath.Join(dataDir, "undox.db")
		}
		// WAL lets readers work beside the writer; busy_timeout makes a
		// second process (such as `undox token create`) wait instead of
		// failing; immediate transactions take the write lock up front so
		// that no transaction fails half-way on an upgrade; secure_delete
		// overwrites what is deleted, such as an erased case's key;
		// temp_store keeps statement journals in memory, not in files
		// written at every multi-row statement; one connection
		// makes this process the single writer it must be.
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=secure_delete(1)&_pragma=temp_store(MEMORY)&_txlock=immediate" +
			"&_pragma=wal_autocheckpoint(" + strconv.Itoa(writerCheckpointPages) + ")"
		probe, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, err
		}
		drv := probe.Driver()
		probe.Close()
		s := sql.OpenDB(&cachingConnector{drv: drv, dsn: dsn, size: 512})
		s.SetMaxOpenConns(1)
		s.SetMaxIdleConns(1)
		s.SetConnMaxLifetime(0)
		s.SetConnMaxIdleTime(0)
		db = &DB{SQL: s, Dialect: SQLite, Path: path, checkpoints: startCheckpointer(drv, dsn, checkpointEvery)}
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.SQL.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: cannot reach the %s database: %w", db.Dialect, err)
	}
	return db, nil
}

// Close closes the database. On SQLite the checkpoints' connection closes
// first, so that the last connection to close checkpoints the whole log.
func (db *DB) Close() error {
	var err error
	if db.checkpoints != nil {
		err = db.checkpoints.close()
	}
	return errors.Join(err, db.SQL.Close())
}

type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := "migration/" + db.Dialect
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("sqlstore: migration %s has no version prefix", e.Name())
		}
		b, err := fs.ReadFile(migrationFS, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, e.Name(), string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

const migrationTable = `CREATE TABLE IF NOT EXISTS undox_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`

// Migrate applies the migrations that have not been applied yet, each in a
// transaction of its own. On PostgreSQL an advisory lock keeps two
// starting processes from migrating at once.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	ms, err := db.migrations()
	if err != nil {
		return nil, err
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if db.Dialect == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7262033)`); err != nil {
			return nil, err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7262033)`)
	}
	if _, err := conn.ExecContext(ctx, migrationTable); err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range ms {
		// The check is inside the transaction, which holds SQLite's write
		// lock (and PostgreSQL's advisory lock is held): two processes
		// starting at once apply each migration once.
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return applied, err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM undox_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
			tx.Rollback()
			return applied, err
		}
		if n > 0 {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO undox_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, time.Now().UnixMicro()); err != nil {
			tx.Rollback()
			return applied, err
		}
		if err := tx.Commit(); err != nil {
			return applied, err
		}
		applied = append(applied, m.name)
	}
	return applied, nil
}

// PendingMigrations returns how many migrations are not yet applied.
func (db *DB) PendingMigrations(ctx context.Context) (int, error) {
	ms, err := db.migrations()
	if err != nil {
		return 0, err
	}
	var applied int
	err = db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM undox_migrations`).Scan(&applied)
	if err != nil {
		return len(ms), nil // no table yet
	}
	return len(ms) - applied, nil
}

// Enqueuer inserts jobs inside a transaction, so that a job exists exactly
// when the change that caused it was committed.
type Enqueuer interface {
	EnqueueTx(ctx context.Context, tx *sql.Tx, jobs ...interface{ Kind() string }) error
}

// captureWaker is an Enqueuer that can be told, after a commit, that items
// wait for the capture dispatch (items.dispatched = 0), so that they are
// not left waiting for its next periodic run.
type captureWaker interface {
	WakeCaptureDispatch()
}

// capturesWaiting tells the queue that committed items wait for capture.
func (s *Store) capturesWaiting() {
	if w, ok := s.queue.(captureWaker); ok {
		w.WakeCaptureDispatch()
	}
}

// Store implements the domain's storage contracts.
type Store struct {
	db       *DB
	keys     *secret.Keyring
	notesKey []byte // seals staff notes; derived from the master key
	queue    Enqueuer
	now      func() time.Time
	// policy gives the re-check schedules (recheck.go); the default
	// policy when nil.
	policy *policy.Policy

	// The report writer (see intake.go).
	pending    chan *createReq
	quit       chan struct{}
	writerOnce sync.Once
	closeOnce  sync.Once
}

// NewStore returns a store over db. Personal fields are sealed with keys.
// Jobs are queued through queue, which may be set later with SetQueue
// (the job queue itself needs the store).
func NewStore(db *DB, keys *secret.Keyring) *Store {
	return &Store{db: db, keys: keys, notesKey: keys.Derive("staff-notes"), now: time.Now, pending: make(chan *createReq, 4*maxBatch), quit: make(chan struct{})}
}

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// SetClock replaces the clock (tests move time forward with it).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// SetQueue sets how jobs are queued.
func (s *Store) SetQueue(q Enqueuer) { s.queue = q }

// DB returns the underlying database.
func (s *Store) DB() *DB { return s.db }

func (s *Store) enqueue(ctx context.Context, tx *sql.Tx, jobs ...interface{ Kind() string }) error {
	if s.queue == nil {
		return errors.New("sqlstore: no job queue set")
	}
	return s.queue.EnqueueTx(ctx, tx, jobs...)
}

// inTx runs fn in a transaction and commits it. A serialization failure or
// a busy database on commit is retried a few times.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		var tx *sql.Tx
		tx, err = s.db.SQL.BeginTx(ctx, nil)
		if err != nil {
			if s.retryable(err) {
				continue
			}
			return err
		}
		if err = fn(tx); err != nil {
			tx.Rollback()
			if s.retryable(err) {
				continue
			}
			return badText(err)
		}
		if err = tx.Commit(); err != nil {
			if s.retryable(err) {
				continue
			}
			return err
		}
		return nil
	}
	return err
}

// badText maps PostgreSQL's refusal of text it cannot store (a NUL byte,
// invalid UTF-8) to an input error; input checks should catch it first.
func badText(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05") {
		return undox.Errorf(undox.EINVALID, "the input holds characters that cannot be stored")
	}
	return err
}

func (s *Store) retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// isUnique tells whether err is a violated unique constraint.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func notFound(what string) error { return undox.Errorf(undox.ENOTFOUND, "%s not found", what) }
