// Package intakebench measures the public intake, POST /api/v1/reports,
// under concurrent clients on SQLite and on PostgreSQL, against a baseline
// measured in the same run: a minimal net/http handler that does one INSERT
// of the same row into the same database.
//
// Run it with bench/intake/run.sh, or:
//
//	go test ./bench/intake -run '^$' -bench '^BenchmarkIntake$' -benchtime 3000x
//
// Performance is reported (reports/s, p50-ms, p99-ms), never asserted: no
// test here fails on timing. A plain `go test` runs only a small smoke test
// of the harness.
package intakebench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/bench/load"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/job"
	"github.com/undox/undox/sqlstore"
	"github.com/undox/undox/web"
)

// DefaultClients is how many clients send reports at once by default.
const DefaultClients = 64

var clientsFlag = flag.Int("clients", 0, "concurrent clients (default: $BENCH_CLIENTS, else 64)")

// clients returns the number of concurrent clients: -clients, then
// BENCH_CLIENTS, then DefaultClients.
func clients(tb testing.TB) int {
	return load.Concurrency(tb, *clientsFlag, "BENCH_CLIENTS", DefaultClients)
}

// runID keeps the synthetic URLs of this process apart from any other's.
var runID = func() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}()

var batch atomic.Int64

// fixture is one migrated database with, over it, undox wired as
// `undox serve` wires it (store, audit log, a started job queue, the web
// server with rate limiting off) and the baseline handler, each behind a
// loopback HTTP server.
type fixture struct {
	db       *sqlstore.DB
	store    *sqlstore.Store
	queue    *job.Queue
	stopJobs func(testing.TB)
	undox    *httptest.Server
	baseline *httptest.Server
	client   *http.Client
	clients  int
}

func newFixture(tb testing.TB, backend dbtest.Backend) *fixture {
	tb.Helper()
	ctx := context.Background()
	nclients := clients(tb)
	// dbtest opens the database exactly as undox does (sqlstore.Open:
	// SQLite in WAL with one connection, or a pgx pool) and migrates it;
	// PostgreSQL gets a fresh database, and skips without
	// UNDOX_TEST_POSTGRES_URL.
	stack := dbtest.NewStack(tb, backend)
	db, store, dataDir := stack.DB, stack.Store, stack.Dir
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	retention, err := undox.ParseRetention(undox.DefaultRetention)
	if err != nil {
		tb.Fatal(err)
	}
	// The configuration `undox serve` starts with by default.
	queue := stack.Queue(tb, job.Config{
		Logger:    log,
		Workers:   10,
		Retention: retention,
		Authorities: map[string]string{
			"csam":      "Offlimits / Meldpunt Kinderporno (EOKM)",
			"terrorism": "Politie / Internet Referral Unit",
		},
		CheckpointEvery:  time.Minute,
		MaintenanceEvery: 10 * time.Minute,
	})
	qctx, cancel := context.WithCancel(ctx)
	// The labels tell the queue's goroutines (which inherit them) apart
	// from the HTTP handlers' and the clients' in a CPU profile:
	// go tool pprof -tagfocus role=jobs.
	pprof.Do(qctx, pprof.Labels("role", "jobs"), func(qctx context.Context) { err = queue.Start(qctx) })
	if err != nil {
		cancel()
		queue.Close()
		tb.Fatal(err)
	}
	var stopOnce sync.Once
	stop := func(tb testing.TB) {
		stopOnce.Do(func() {
			if err := queue.Stop(20 * time.Second); err != nil {
				tb.Logf("stopping the job queue: %v", err)
			}
			cancel()
		})
	}
	tb.Cleanup(func() {
		stop(tb)
		queue.Close()
	})

	f := &fixture{db: db, store: store, queue: queue, stopJobs: stop, clients: nclients}
	f.undox = httptest.NewUnstartedServer(nil)
	publicURL := "http://" + f.undox.Listener.Addr().String()
	vkey, err := audit.VerifierKeyText(dataDir)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := web.New(web.Config{
		Logger:           log,
		Store:            store,
		Intake:           &intake.Service{Store: store, PublicURL: publicURL},
		Jobs:             queue,
		ReportsPerMinute: 0, // no rate limit: every client is 127.0.0.1
		VerifierKey:      vkey,
		Version:          "bench",
	})
	if err != nil {
		tb.Fatal(err)
	}
	f.undox.Config.Handler = load.Labeled("undox", h)
	f.undox.Start()
	tb.Cleanup(f.undox.Close)

	if err := createBaselineTable(ctx, db); err != nil {
		tb.Fatal(err)
	}
	f.baseline = httptest.NewServer(load.Labeled("baseline", baselineHandler(db)))
	tb.Cleanup(f.baseline.Close)

	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        2 * nclients,
		MaxIdleConnsPerHost: nclients,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
	}
	f.client = &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	tb.Cleanup(tr.CloseIdleConnections)
	return f
}

// createBaselineTable creates the baseline's table: one row per report,
// with the report's fields.
func createBaselineTable(ctx context.Context, db *sqlstore.DB) error {
	ddl := `CREATE TABLE IF NOT EXISTS bench_baseline_reports (
        id              INTEGER PRIMARY KEY,
        urls            TEXT    NOT NULL,
        category        TEXT    NOT NULL,
        description     TEXT    NOT NULL,
        is_minor        INTEGER NOT NULL,
        reporter_email  TEXT    NOT NULL,
        language        TEXT    NOT NULL,
        consent         INTEGER NOT NULL,
        created_at      INTEGER NOT NULL)`
	if db.Dialect == sqlstore.Postgres {
		ddl = `CREATE TABLE IF NOT EXISTS bench_baseline_reports (
        id              BIGSERIAL PRIMARY KEY,
        urls            TEXT    NOT NULL,
        category        TEXT    NOT NULL,
        description     TEXT    NOT NULL,
        is_minor        BOOLEAN NOT NULL,
        reporter_email  TEXT    NOT NULL,
        language        TEXT    NOT NULL,
        consent         BOOLEAN NOT NULL,
        created_at      BIGINT  NOT NULL)`
	}
	_, err := db.SQL.ExecContext(ctx, ddl)
	return err
}

// baselineHandler is the least a report intake can do: decode the same
// JSON body and INSERT one row with its fields, in one statement
// (autocommit), on the same database connection set-up as undox's.
func baselineHandler(db *sqlstore.DB) http.Handler {
	const insert = `INSERT INTO bench_baseline_reports
        (urls, category, description, is_minor, reporter_email, language, consent, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/reports" {
			http.NotFound(w, r)
			return
		}
		var rep undox.Report
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, web.MaxReportBytes)).Decode(&rep); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var id int64
		err := db.SQL.QueryRowContext(r.Context(), insert, strings.Join(rep.URLs, "\n"), rep.Category, rep.Description,
			rep.IsMinor, rep.ReporterEmail, rep.Language, rep.Consent, time.Now().UnixMicro()).Scan(&id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"case":"%d","items":%d}`+"\n", id, len(rep.URLs))
	})
}

// reportBody is a synthetic report about a URL no other report names.
func reportBody(prefix string, i int) []byte {
	return fmt.Appendf(nil, `{"urls":["https://dox.example/p/%s-%d"],"category":"doxing","is_minor":true,"reporter_email":"r@example.org","consent":true}`,
		prefix, i)
}

// newPrefix returns a prefix for synthetic URLs that no other batch uses.
func newPrefix() string { return runID + "-" + strconv.FormatInt(batch.Add(1), 10) }

// drive sends n distinct reports to url from c concurrent clients and
// measures each request's latency, from before sending to the end of the
// response body.
func drive(client *http.Client, url string, n, c int) load.Run {
	prefix := newPrefix()
	return load.Ops("client", n, c, func(i int) error {
		resp, err := client.Post(url, "application/json", bytes.NewReader(reportBody(prefix, i)))
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("%s: %s: %s", url, resp.Status, bytes.TrimSpace(b))
		}
		return nil
	})
}

// pendingTriage counts the triage jobs not yet worked.
func pendingTriage(ctx context.Context, db *sqlstore.DB) (int, error) {
	var n int
	err := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM river_job
        WHERE kind = 'triage' AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&n)
	return n, err
}

// drain waits until the job queue has worked every triage job, so that no
// backlog of one measurement runs into the next. It gives up after limit
// (it is not an assertion) and returns how long it waited.
func drain(tb testing.TB, db *sqlstore.DB, limit time.Duration) time.Duration {
	ctx := context.Background()
	start := time.Now()
	for {
		n, err := pendingTriage(ctx, db)
		if err != nil {
			tb.Fatalf("counting pending triage jobs: %v", err)
		}
		if n == 0 {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			tb.Logf("%d triage jobs still pending after %s", n, limit)
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// measure runs b.N reports against one server and reports the metrics.
func (f *fixture) measure(b *testing.B, srv *httptest.Server, withJobs bool) {
	url := srv.URL + "/api/v1/reports"
	// Warm up: open every client's connection and the statement caches.
	if w := drive(f.client, url, f.clients, f.clients); w.Failures > 0 {
		b.Fatalf("warm-up: %d of %d reports failed; first: %v", w.Failures, f.clients, w.FirstErr)
	}
	if withJobs {
		drain(b, f.db, 5*time.Minute)
	}
	cpu0 := f.cpu(b)
	b.ResetTimer()
	r := drive(f.client, url, b.N, f.clients)
	b.StopTimer()
	cpu := f.cpu(b).sub(cpu0)
	if r.Failures > 0 {
		b.Fatalf("%d of %d reports failed; first: %v", r.Failures, b.N, r.FirstErr)
	}
	b.ReportMetric(r.PerSecond(), "reports/s")
	b.ReportMetric(r.Quantile(0.50), "p50-ms")
	b.ReportMetric(r.Quantile(0.99), "p99-ms")
	// CPU per report of this process (clients, server, job workers) and,
	// on PostgreSQL, of the server processes serving this database:
	// the machine's two cores are shared by all of them.
	perOp := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(perOp(cpu.self+cpu.db), "cpu-µs/op")
	if f.db.Dialect == sqlstore.Postgres && cpu.dbOK {
		b.ReportMetric(perOp(cpu.db), "pg-cpu-µs/op")
	}
	if withJobs {
		// How long the triage jobs of this run took to be worked after
		// the last response: a backlog the throughput above does not show.
		b.ReportMetric(float64(drain(b, f.db, 5*time.Minute))/float64(time.Millisecond), "drain-ms")
	}
}

// cpuTimes is CPU time used so far by this process and, on PostgreSQL,
// by the server processes connected to the benchmark's database.
type cpuTimes struct {
	self, db time.Duration
	dbOK     bool
	pids     map[int]time.Duration
}

func (c cpuTimes) sub(before cpuTimes) cpuTimes {
	out := cpuTimes{self: c.self - before.self, dbOK: c.dbOK && before.dbOK}
	// A backend that started during the run counts from zero.
	for pid, d := range c.pids {
		out.db += d - before.pids[pid]
	}
	return out
}

// clockTick is the unit of /proc/PID/stat times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

func (f *fixture) cpu(tb testing.TB) cpuTimes {
	var c cpuTimes
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		c.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if f.db.Dialect != sqlstore.Postgres {
		return c
	}
	rows, err := f.db.SQL.Query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	c.pids = map[int]time.Duration{}
	c.dbOK = true
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			tb.Fatal(err)
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			c.dbOK = false // not on this machine, or not ours to read
			continue
		}
		// Fields after the command name, which ends with ')': state is
		// field 3, utime 14 and stime 15.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) < 13 {
			c.dbOK = false
			continue
		}
		ut, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		c.pids[pid] = time.Duration(ut+st) * clockTick
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkIntake measures POST /api/v1/reports on each backend: undox as
// served, and the one-INSERT baseline on the same database.
func BenchmarkIntake(b *testing.B) {
	for _, backend := range dbtest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			f := newFixture(b, backend)
			b.Logf("%s: %d concurrent clients", backend.Name, f.clients)
			b.Run("undox", func(b *testing.B) { f.measure(b, f.undox, true) })
			b.Run("baseline", func(b *testing.B) { f.measure(b, f.baseline, false) })
		})
	}
}

// TestHarness checks, quickly and on SQLite only, that both servers take
// reports and write them. It measures nothing.
func TestHarness(t *testing.T) {
	f := newFixture(t, dbtest.Backends()[0])
	ctx := context.Background()
	count := func(q string) int {
		var n int
		if err := f.db.SQL.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const n = 20
	for _, srv := range []*httptest.Server{f.undox, f.baseline} {
		r := drive(f.client, srv.URL+"/api/v1/reports", n, 4)
		if r.Failures > 0 {
			t.Fatalf("%d of %d reports failed; first: %v", r.Failures, n, r.FirstErr)
		}
		if len(r.Lat) != n || r.Quantile(0.5) <= 0 || r.Quantile(0.99) < r.Quantile(0.5) {
			t.Fatalf("latencies: %v", r.Lat)
		}
	}
	if got := count(`SELECT count(*) FROM cases`); got != n {
		t.Errorf("cases: %d, want %d", got, n)
	}
	if got := count(`SELECT count(*) FROM items WHERE url LIKE 'https://dox.example/p/%'`); got != n {
		t.Errorf("items: %d, want %d", got, n)
	}
	if got := count(`SELECT count(*) FROM bench_baseline_reports`); got != n {
		t.Errorf("baseline rows: %d, want %d", got, n)
	}
	// Doxing reports wait for the capture dispatch: no triage job.
	jobs := count(`SELECT count(*) FROM river_job WHERE kind = 'triage'`)
	if jobs != 0 {
		t.Errorf("triage jobs: %d, want 0", jobs)
	}
	drain(t, f.db, time.Minute)
	if n, err := pendingTriage(ctx, f.db); err != nil || n != 0 {
		t.Errorf("pending triage jobs: %d, %v", n, err)
	}
	if got := count(`SELECT count(*) FROM river_job WHERE kind = 'triage' AND state = 'completed'`); got != jobs {
		t.Errorf("completed triage jobs: %d, want %d", got, jobs)
	}
}
