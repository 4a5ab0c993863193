package intakebench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/job"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
)

// This file is a diagnostic: it counts and times every statement a report
// runs, by reopening the benchmark's database through a tracing layer
// (a pgx tracer on PostgreSQL; a wrapping database/sql driver on SQLite,
// which can also cache prepared statements, to measure what a statement
// cache in sqlstore.Open would gain). The connection settings repeat
// sqlstore.Open's.

// stmtStats sums statements by label.
type stmtStats struct {
	mu sync.Mutex
	m  map[string]*stmtStat
}

type stmtStat struct {
	n int
	d time.Duration
}

var (
	sqlcName = regexp.MustCompile(`^-- name: (\w+)`)
	spaces   = regexp.MustCompile(`\s+`)
)

// stmtLabel names a statement: its sqlc name (River's), else its start.
func stmtLabel(q string) string {
	if m := sqlcName.FindStringSubmatch(q); m != nil {
		return "river:" + m[1]
	}
	q = strings.TrimSpace(spaces.ReplaceAllString(q, " "))
	if len(q) > 72 {
		q = q[:72]
	}
	return q
}

func (s *stmtStats) add(q string, d time.Duration) {
	if s == nil {
		return
	}
	l := stmtLabel(q)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*stmtStat{}
	}
	st := s.m[l]
	if st == nil {
		st = &stmtStat{}
		s.m[l] = st
	}
	st.n++
	st.d += d
}

func (s *stmtStats) reset() {
	s.mu.Lock()
	s.m = nil
	s.mu.Unlock()
}

// report logs statements per operation and their time, and reports the
// count as a metric.
func (s *stmtStats) report(b *testing.B, ops int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type row struct {
		l string
		stmtStat
	}
	var rows []row
	var total stmtStat
	for l, st := range s.m {
		rows = append(rows, row{l, *st})
		total.n += st.n
		total.d += st.d
	}
	slices.SortFunc(rows, func(a, b row) int { return int(b.d - a.d) })
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d operations: %.2f statements and %.1f µs in statements per operation\n",
		ops, float64(total.n)/float64(ops), float64(total.d.Microseconds())/float64(ops))
	fmt.Fprintf(&sb, "  %8s %9s  %s\n", "stmts/op", "µs/op", "statement")
	for _, r := range rows {
		fmt.Fprintf(&sb, "  %8.2f %9.1f  %s\n", float64(r.n)/float64(ops), float64(r.d.Microseconds())/float64(ops), r.l)
	}
	b.Log(sb.String())
	b.ReportMetric(float64(total.n)/float64(ops), "stmts/op")
}

// pgTracer times every statement pgx runs, BEGIN and COMMIT included.
type pgTracer struct{ stats *stmtStats }

type traceStart struct {
	sql string
	t   time.Time
}

type traceKey struct{}

func (t pgTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{data.SQL, time.Now()})
}

func (t pgTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if s, ok := ctx.Value(traceKey{}).(traceStart); ok {
		t.stats.add(s.sql, time.Since(s.t))
	}
}

// openTracedPostgres opens url as sqlstore.Open does, with a tracer.
func openTracedPostgres(tb testing.TB, url string, stats *stmtStats) *sqlstore.DB {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Tracer = pgTracer{stats}
	s := stdlib.OpenDB(*cfg)
	s.SetMaxOpenConns(25)
	s.SetMaxIdleConns(25)
	s.SetConnMaxIdleTime(5 * time.Minute)
	tb.Cleanup(func() { s.Close() })
	return &sqlstore.DB{SQL: s, Dialect: sqlstore.Postgres}
}

// openTracedSQLite opens the SQLite file as sqlstore.Open does, through a
// driver that times statements and, with cache, reuses prepared ones.
func openTracedSQLite(tb testing.TB, path string, cache bool, stats *stmtStats) *sqlstore.DB {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	probe, err := sql.Open("sqlite", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	drv := probe.Driver()
	probe.Close()
	s := sql.OpenDB(&traceConnector{drv: drv, dsn: dsn, cache: cache, stats: stats})
	s.SetMaxOpenConns(1)
	s.SetMaxIdleConns(1)
	s.SetConnMaxLifetime(0)
	s.SetConnMaxIdleTime(0)
	tb.Cleanup(func() { s.Close() })
	return &sqlstore.DB{SQL: s, Dialect: sqlstore.SQLite, Path: path}
}

type traceConnector struct {
	drv   driver.Driver
	dsn   string
	cache bool
	stats *stmtStats
}

func (c *traceConnector) Connect(ctx context.Context) (driver.Conn, error) {
	inner, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &traceConn{inner: inner, cache: c.cache, stats: c.stats, stmts: map[string]*cachedStmt{}}, nil
}

func (c *traceConnector) Driver() driver.Driver { return c.drv }

type cachedStmt struct {
	st   driver.Stmt
	busy bool // its rows are open
}

// traceConn wraps a modernc.org/sqlite connection. database/sql never
// uses a driver.Conn from two goroutines at once, so it needs no lock.
type traceConn struct {
	inner driver.Conn
	cache bool
	stats *stmtStats
	stmts map[string]*cachedStmt
}

var (
	_ driver.ConnBeginTx        = (*traceConn)(nil)
	_ driver.ExecerContext      = (*traceConn)(nil)
	_ driver.QueryerContext     = (*traceConn)(nil)
	_ driver.ConnPrepareContext = (*traceConn)(nil)
	_ driver.Pinger             = (*traceConn)(nil)
	_ driver.SessionResetter    = (*traceConn)(nil)
	_ driver.Validator          = (*traceConn)(nil)
)

func (c *traceConn) Prepare(q string) (driver.Stmt, error) { return c.inner.Prepare(q) }

func (c *traceConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (c *traceConn) Close() error {
	for _, s := range c.stmts {
		s.st.Close()
	}
	return c.inner.Close()
}

func (c *traceConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *traceConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	t0 := time.Now()
	tx, err := c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
	c.stats.add("BEGIN", time.Since(t0))
	if err != nil {
		return nil, err
	}
	return &traceTx{inner: tx, stats: c.stats}, nil
}

func (c *traceConn) Ping(ctx context.Context) error { return c.inner.(driver.Pinger).Ping(ctx) }

func (c *traceConn) ResetSession(ctx context.Context) error {
	return c.inner.(driver.SessionResetter).ResetSession(ctx)
}

func (c *traceConn) IsValid() bool { return c.inner.(driver.Validator).IsValid() }

// stmt returns a cached statement for q, marked busy, and the function
// that releases it; a statement whose rows are still open is not shared.
func (c *traceConn) stmt(ctx context.Context, q string) (driver.Stmt, func(), error) {
	if cs, ok := c.stmts[q]; ok && !cs.busy {
		cs.busy = true
		return cs.st, func() { cs.busy = false }, nil
	}
	st, err := c.PrepareContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := c.stmts[q]; ok {
		return st, func() { st.Close() }, nil
	}
	cs := &cachedStmt{st: st, busy: true}
	c.stmts[q] = cs
	return st, func() { cs.busy = false }, nil
}

func (c *traceConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	t0 := time.Now()
	defer func() { c.stats.add(q, time.Since(t0)) }()
	if !c.cache {
		return c.inner.(driver.ExecerContext).ExecContext(ctx, q, args)
	}
	st, release, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	defer release()
	return st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *traceConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	t0 := time.Now()
	done := func() { c.stats.add(q, time.Since(t0)) }
	if !c.cache {
		r, err := c.inner.(driver.QueryerContext).QueryContext(ctx, q, args)
		if err != nil {
			done()
			return nil, err
		}
		return &traceRows{Rows: r, done: done}, nil
	}
	st, release, err := c.stmt(ctx, q)
	if err != nil {
		done()
		return nil, err
	}
	r, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		release()
		done()
		return nil, err
	}
	return &traceRows{Rows: r, done: func() { release(); done() }}, nil
}

// traceRows counts a query's time until its rows are closed.
type traceRows struct {
	driver.Rows
	done func()
}

func (r *traceRows) Close() error {
	err := r.Rows.Close()
	if r.done != nil {
		r.done()
		r.done = nil
	}
	return err
}

type traceTx struct {
	inner driver.Tx
	stats *stmtStats
}

func (t *traceTx) Commit() error {
	t0 := time.Now()
	defer func() { t.stats.add("COMMIT", time.Since(t0)) }()
	return t.inner.Commit()
}

func (t *traceTx) Rollback() error {
	t0 := time.Now()
	defer func() { t.stats.add("ROLLBACK", time.Since(t0)) }()
	return t.inner.Rollback()
}

// tracedStore is a store over a traced database, with its job queue set
// but not started.
func tracedStore(tb testing.TB, db *sqlstore.DB) (*sqlstore.Store, *job.Queue) {
	dataDir := tb.TempDir()
	master := make([]byte, secret.KeySize)
	rand.Read(master)
	keys, err := secret.New(master)
	if err != nil {
		tb.Fatal(err)
	}
	store := sqlstore.NewStore(db, keys)
	signer, verifier, err := audit.LoadOrCreateKeys(dataDir, "undox-bench")
	if err != nil {
		tb.Fatal(err)
	}
	q, err := job.New(context.Background(), store, audit.New(store, signer, verifier), job.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(q.Close)
	store.SetQueue(q)
	return store, q
}

// walFrames returns the frames in the SQLite write-ahead log.
func walFrames(tb testing.TB, db *sqlstore.DB) int {
	var busy, log, done int
	if err := db.SQL.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done); err != nil {
		tb.Fatal(err)
	}
	return log
}

// BenchmarkStatements is a diagnostic: from one goroutine, with no job
// worked, it runs reports through intake.Service.Submit ("submit") and
// the baseline's INSERT ("baseline"), and logs every statement they run
// per report with its time (run it with -v to see the tables). On SQLite
// it also reports the pages each report writes to the WAL, and
// "sqlite-stmtcache" shows what reusing prepared statements would gain.
func BenchmarkStatements(b *testing.B) {
	type variant struct {
		name    string
		backend dbtest.Backend
		cache   bool
	}
	var variants []variant
	for _, be := range dbtest.Backends() {
		variants = append(variants, variant{be.Name, be, false})
		if be.Name == "sqlite" {
			variants = append(variants, variant{"sqlite-stmtcache", be, true})
		}
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			dataDir := b.TempDir()
			plain, url := v.backend.Open(b, dataDir)
			stats := &stmtStats{}
			var db *sqlstore.DB
			if plain.Dialect == sqlstore.Postgres {
				db = openTracedPostgres(b, url, stats)
			} else {
				plain.Close()
				db = openTracedSQLite(b, plain.Path, v.cache, stats)
			}
			if err := createBaselineTable(context.Background(), db); err != nil {
				b.Fatal(err)
			}
			store, _ := tracedStore(b, db)
			svc := &intake.Service{Store: store, PublicURL: "http://bench.example"}
			ctx := context.Background()
			for _, name := range []string{"submit", "baseline"} {
				b.Run(name, func(b *testing.B) {
					prefix := newPrefix()
					op := func(i int) error {
						_, err := svc.Submit(ctx, undox.Public, submission(prefix, i))
						return err
					}
					if name == "baseline" {
						op = func(i int) error {
							rep := submission(prefix, i).Report
							_, err := db.SQL.ExecContext(ctx, `INSERT INTO bench_baseline_reports
                                (urls, category, description, is_minor, reporter_email, language, consent, created_at)
                                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, strings.Join(rep.URLs, "\n"), rep.Category, rep.Description,
								rep.IsMinor, rep.ReporterEmail, rep.Language, rep.Consent, time.Now().UnixMicro())
							return err
						}
					}
					// Warm up (statement caches, page cache).
					if r := runOps(10, 1, op); r.failures > 0 {
						b.Fatal(r.firstErr)
					}
					sqlite := db.Dialect == sqlstore.SQLite
					if sqlite {
						// Count the WAL's frames: no automatic checkpoint
						// while measuring.
						if _, err := db.SQL.Exec(`PRAGMA wal_autocheckpoint = 0`); err != nil {
							b.Fatal(err)
						}
						if _, err := db.SQL.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
							b.Fatal(err)
						}
						defer db.SQL.Exec(`PRAGMA wal_autocheckpoint = 1000`)
					}
					stats.reset()
					b.ResetTimer()
					r := runOps(b.N, 1, op)
					b.StopTimer()
					if r.failures > 0 {
						b.Fatalf("%d of %d failed; first: %v", r.failures, b.N, r.firstErr)
					}
					b.ReportMetric(r.perSecond(), "ops/s")
					stats.report(b, b.N)
					if sqlite {
						b.ReportMetric(float64(walFrames(b, db))/float64(b.N), "wal-pages/op")
					}
				})
			}
		})
	}
}
