// Package dbtest opens fresh, migrated databases of every backend for
// tests: SQLite in a temporary folder always, and PostgreSQL when
// UNDOX_TEST_POSTGRES_URL names a server. Each PostgreSQL test gets a new
// database of its own, dropped at the end.
//
// Without the URL the PostgreSQL tests skip with a visible message; with
// UNDOX_TEST_POSTGRES_REQUIRED=1 (as in CI) an unreachable server fails them.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/audit"
	"github.com/undox/undox/job"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
)

// Backend is one database technology.
type Backend struct {
	Name string
	// Open returns a migrated, empty database and its URL ("" for SQLite
	// in dataDir).
	Open func(t testing.TB, dataDir string) (*sqlstore.DB, string)
}

// Backends returns SQLite and PostgreSQL.
func Backends() []Backend {
	return []Backend{{Name: "sqlite", Open: openSQLite}, {Name: "postgres", Open: openPostgres}}
}

// Each runs fn as a subtest for every backend.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

func openSQLite(t testing.TB, dataDir string) (*sqlstore.DB, string) {
	db, err := sqlstore.Open(context.Background(), "", dataDir)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	migrate(t, db)
	return db, ""
}

// PostgresURL returns a URL to a fresh database, skipping (or failing, when
// required) without a server.
func PostgresURL(t testing.TB) string {
	base := os.Getenv("UNDOX_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("UNDOX_TEST_POSTGRES_REQUIRED") == "1" {
			t.Fatal("UNDOX_TEST_POSTGRES_REQUIRED=1 but UNDOX_TEST_POSTGRES_URL is not set")
		}
		t.Skip("PostgreSQL tests skipped: set UNDOX_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them")
	}
	admin, err := sql.Open("pgx", base)
	require.NoError(t, err)
	defer admin.Close()
	if err := admin.Ping(); err != nil {
		t.Fatalf("PostgreSQL at UNDOX_TEST_POSTGRES_URL is unreachable: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "undox_test_" + hex.EncodeToString(b)
	_, err = admin.Exec(`CREATE DATABASE ` + name)
	require.NoError(t, err)
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
			a.Close()
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

func openPostgres(t testing.TB, dataDir string) (*sqlstore.DB, string) {
	u := PostgresURL(t)
	db, err := sqlstore.Open(context.Background(), u, dataDir)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	migrate(t, db)
	return db, u
}

func migrate(t testing.TB, db *sqlstore.DB) {
	_, err := db.Migrate(context.Background())
	require.NoError(t, err)
	require.NoError(t, job.Migrate(context.Background(), db))
}

// IsPostgres tells whether a backend name is PostgreSQL.
func IsPostgres(name string) bool { return strings.HasPrefix(name, "postgres") }

// Stack is undox's store and audit log over a fresh database of one
// backend, wired as `undox serve` wires them.
type Stack struct {
	Dir         string // the data folder (keys, SQLite file)
	PostgresURL string // "" for SQLite
	DB          *sqlstore.DB
	Store       *sqlstore.Store
	Log         *audit.Log
}

// NewStack opens a fresh database of b with a random master key.
func NewStack(t testing.TB, b Backend) *Stack {
	t.Helper()
	s := &Stack{Dir: t.TempDir()}
	s.DB, s.PostgresURL = b.Open(t, s.Dir)
	master := make([]byte, secret.KeySize)
	_, err := rand.Read(master)
	require.NoError(t, err)
	keys, err := secret.New(master)
	require.NoError(t, err)
	s.Store = sqlstore.NewStore(s.DB, keys)
	t.Cleanup(s.Store.Close)
	signer, verifier, err := audit.LoadOrCreateKeys(s.Dir, "undox-test")
	require.NoError(t, err)
	s.Log = audit.New(s.Store, signer, verifier)
	return s
}

// Queue returns a job queue over the stack (not started) and sets it as the
// store's queue; cfg.PostgresURL is filled in.
func (s *Stack) Queue(t testing.TB, cfg job.Config) *job.Queue {
	t.Helper()
	if cfg.PostgresURL == "" {
		cfg.PostgresURL = s.PostgresURL
	}
	q, err := job.New(context.Background(), s.Store, s.Log, cfg)
	require.NoError(t, err)
	s.Store.SetQueue(q)
	return q
}
