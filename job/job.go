// Package job runs undox's durable background work on River, on SQLite or
// PostgreSQL. Jobs are inserted in the same transaction as the change that
// causes them, retried with backoff, and the ones that keep failing stay
// visible to staff with their last error.
package job

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/capture"
	"github.com/undox/undox/sqlstore"
)

// Config is what the workers need.
type Config struct {
	Logger *slog.Logger
	// Workers is how many jobs run at once; 0 means 10.
	Workers int
	// Retention decides when closed and withdrawn cases are erased.
	Retention undox.Retention
	// Authorities names, per referral-only authority code ("csam",
	// "terrorism"), where such content is referred.
	Authorities map[string]string
	// CheckpointEvery is how often the audit log is integrated and signed.
	CheckpointEvery time.Duration
	// MaintenanceEvery is how often retention and key expiry run.
	MaintenanceEvery time.Duration
	// PostgresURL, when set, opens a small pgx pool that listens for new
	// jobs so that workers pick them up at once instead of polling.
	PostgresURL string
	// Capture captures new items; nil: items are not captured (tests of
	// other parts, which must not fetch anything).
	Capture *capture.Service
	// DispatchEvery is how often items waiting for capture are queued
	// by a periodic job (default 5 s). New items wake the dispatch at
	// once (WakeCaptureDispatch); the periodic run catches what a
	// wake-up missed (one lost with a process that stopped).
	DispatchEvery time.Duration
	// Trace traces captured and referred items; nil: items are not
	// traced.
	Trace Tracer
	// Blobs is the evidence store, whose files of erased cases are
	// deleted.
	Blobs blob.Store
	// Watch is the watch index of this process, brought up to date when
	// a case is erased, so that the keyed hashes of the case's
	// identifiers leave its file at once; nil: no index here.
	Watch WatchRefresher
	// Register adds further workers (tests use it for jobs that fail).
	Register func(*river.Workers)
}

// Queue is the River client: it queues jobs and, once started, works them.
type Queue struct {
	Client *river.Client[*sql.Tx]
	pool   *pgxpool.Pool
	db     *sqlstore.DB
	// periodic are the kinds of the periodic jobs (one at a time each).
	periodic []string
	// wake asks for a capture dispatch now (WakeCaptureDispatch); nil
	// when this queue does not capture.
	wake   chan struct{}
	store  *sqlstore.Store
	logger *slog.Logger
}

func driver(db *sqlstore.DB, pool *pgxpool.Pool) riverdriver.Driver[*sql.Tx] {
	if db.Dialect == sqlstore.Postgres {
		if pool != nil {
			return riverdatabasesql.NewWithPgxListener(db.SQL, pool)
		}
		return riverdatabasesql.New(db.SQL)
	}
	return riversqlite.New(db.SQL)
}

// Migrate applies River's own migrations.
func Migrate(ctx context.Context, db *sqlstore.DB) error {
	m, err := rivermigrate.New(driver(db, nil), nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// MigrationsCurrent tells whether River's migrations are all applied.
func MigrationsCurrent(ctx context.Context, db *sqlstore.DB) (bool, error) {
	m, err := rivermigrate.New(driver(db, nil), nil)
	if err != nil {
		return false, err
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{DryRun: true})
	if err != nil {
		return false, err
	}
	return len(res.Versions) == 0, nil
}

// New returns the queue over store. With dbURL a PostgreSQL URL, a small
// pgx pool listens for new jobs so that workers pick them up at once.
func New(ctx context.Context, store *sqlstore.Store, log *audit.Log, cfg Config) (*Queue, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 10
	}
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = time.Minute
	}
	if cfg.MaintenanceEvery <= 0 {
		cfg.MaintenanceEvery = 10 * time.Minute
	}
	if cfg.DispatchEvery <= 0 {
		cfg.DispatchEvery = 5 * time.Second
	}
	db := store.DB()
	q := &Queue{}
	if db.Dialect == sqlstore.Postgres {
		if cfg.PostgresURL != "" {
			pool, err := pgxpool.New(ctx, cfg.PostgresURL)
			if err != nil {
				return nil, err
			}
			q.pool = pool
		}
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &triageWorker{store: store, authorities: cfg.Authorities, trace: cfg.Trace != nil})
	river.AddWorker(workers, &dispatchWorker{store: store})
	river.AddWorker(workers, &captureWorker{service: cfg.Capture})
	river.AddWorker(workers, &traceWorker{store: store, tracer: cfg.Trace})
	river.AddWorker(workers, &eraseBlobsWorker{blobs: cfg.Blobs, watch: cfg.Watch})
	river.AddWorker(workers, &checkpointWorker{log: log})
	river.AddWorker(workers, &maintenanceWorker{store: store, retention: cfg.Retention, logger: cfg.Logger})
	river.AddWorker(workers, &bulkWorker{store: store, logger: cfg.Logger})
	if cfg.Register != nil {
		cfg.Register(workers)
	}
	q.db = db
	q.store = store
	q.logger = cfg.Logger
	q.periodic = []string{CheckpointJob{}.Kind(), MaintenanceJob{}.Kind()}
	if cfg.Capture != nil {
		q.periodic = append(q.periodic, DispatchJob{}.Kind())
		q.wake = make(chan struct{}, 1)
	}
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(cfg.CheckpointEvery),
			func() (river.JobArgs, *river.InsertOpts) { return CheckpointJob{}, OneAtATime() },
			&river.PeriodicJobOpts{ID: "audit_checkpoint", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(cfg.MaintenanceEvery),
			func() (river.JobArgs, *river.InsertOpts) { return MaintenanceJob{}, OneAtATime() },
			&river.PeriodicJobOpts{ID: "maintenance", RunOnStart: true}),
	}
	if cfg.Capture != nil {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.DispatchEvery),
			func() (river.JobArgs, *river.InsertOpts) { return DispatchJob{}, OneAtATime() },
			&river.PeriodicJobOpts{ID: "capture_dispatch", RunOnStart: true}))
	}
	client, err := river.NewClient(driver(db, q.pool), &river.Config{
		Logger:  cfg.Logger,
		Workers: workers,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers},
			QueueSlow: {MaxWorkers: SlowWorkers}},
		PeriodicJobs: periodic,
		// A job running far longer than any job should was lost with its
		// process (kill -9, power cut): run it again.
		JobTimeout:           10 * time.Minute,
		RescueStuckJobsAfter: 15 * time.Minute,
		// A job inserted in a transaction (undox inserts every job with
		// the change that causes it) wakes a worker on SQLite only when
		// River's listener next polls for notifications (every 50 ms),
		// and on PostgreSQL River sends at most one notification per
		// queue every FetchCooldown: a job waited for the next poll, a
		// second by default, at every step of an item's way
		// (bench/takedown). Polling 40 times a second costs one indexed
		// query each time: an idle undox serve used 2.7 % of a core on
		// the 2-core workplace machine with it (and the capture dispatch
		// every 5 s), 3.3 % before (100 ms, dispatch every 250 ms).
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 25 * time.Millisecond,
	})
	if err != nil {
		q.Close()
		return nil, err
	}
	q.Client = client
	return q, nil
}

// EnqueueTx implements sqlstore.Enqueuer.
func (q *Queue) EnqueueTx(ctx context.Context, tx *sql.Tx, jobs ...interface{ Kind() string }) error {
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		params[i] = river.InsertManyParams{Args: j, InsertOpts: insertOpts(j)}
	}
	_, err := q.Client.InsertManyTx(ctx, tx, params)
	return err
}

// waiting are the states of a job not yet done.
var waiting = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// OneAtATime are the insert options of a periodic job that must not run
// twice at once: a run that takes longer than its period (a slow SMTP
// server) is not joined by the next, which would do the same work again.
func OneAtATime() *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waiting}}
}

// insertOpts are the queue's settings per kind of job.
//
// Priorities follow an item down the pipeline: River takes the jobs of a
// higher priority (a lower number) first, so a notice that is ready goes
// out before the next capture starts, and a burst of reports does not
// hold every item until the last page of the burst was captured. Capture
// 3, trace 2, the decision on a re-upload and the send 1 (River's
// default, as every other job).
func insertOpts(j interface{ Kind() string }) *river.InsertOpts {
	switch j.(type) {
	case undox.TraceJob:
		// RDAP and WHOIS servers throttle: a trace that failed waits
		// and tries again, a few times.
		return &river.InsertOpts{MaxAttempts: 6, Priority: 2}
	case undox.CaptureJob:
		// With River's backoff (attempt⁴ seconds), eight attempts span
		// about an hour and a half: a site that is down for a while is
		// still captured. The item says unreachable meanwhile. The same
		// request is queued once while it waits.
		return &river.InsertOpts{MaxAttempts: 8, Priority: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waiting}}
	}
	return nil
}

// QueueSlow is the queue of jobs that run long and wait most of the time
// (the crawls of watched sites): SlowWorkers of them run at once, beside
// the other jobs' workers, so that they never hold up captures and
// notices.
const (
	QueueSlow   = "slow"
	SlowWorkers = 2
)

// PeriodicTimeout bounds one run of a periodic job: what it did not get
// to, its next run does. A periodic job runs one at a time (OneAtATime),
// so one left "running" by a process that died would hold back its next
// runs until River rescues stuck jobs (RescueStuckJobsAfter); on
// PostgreSQL, where other workers go on, Start sweeps those runs sooner
// (see sweepPeriodic).
const PeriodicTimeout = time.Minute

// AddPeriodic runs a periodic job every every, one at a time, from the
// start.
func (q *Queue) AddPeriodic(args river.JobArgs, every time.Duration) {
	q.periodic = append(q.periodic, args.Kind())
	q.Client.PeriodicJobs().Add(river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return args, OneAtATime() },
		&river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true}))
}

// Start starts working jobs.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.Client.Start(ctx); err != nil {
		return err
	}
	if q.wake != nil {
		go q.dispatchOnWake(ctx)
	}
	if q.db.Dialect == sqlstore.Postgres {
		go func() {
			t := time.NewTicker(30 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-q.Client.Stopped():
					return
				case <-t.C:
					q.sweepPeriodic(ctx)
				}
			}
		}()
	}
	return nil
}

// WakeCaptureDispatch implements the store's wake-up: items were just
// committed that wait for their capture. It never blocks.
func (q *Queue) WakeCaptureDispatch() {
	if q.wake == nil {
		return
	}
	select {
	case q.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// wakeGap is the least time between two dispatches asked for by
// wake-ups: reports that arrive meanwhile share the next one.
const wakeGap = 20 * time.Millisecond

// dispatchOnWake dispatches the waiting captures at each wake-up, itself
// rather than through a River job: River marks a finished job done up to
// 250 ms later, and until then a dispatch job queued one at a time
// (OneAtATime) keeps the next from being queued. The periodic dispatch
// (Config.DispatchEvery) still runs beside it; the store keeps the two
// from taking the same items.
func (q *Queue) dispatchOnWake(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.Client.Stopped():
			return
		case <-q.wake:
		}
		if err := dispatchAll(ctx, q.store); err != nil && ctx.Err() == nil {
			q.logger.Warn("dispatching captures", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wakeGap):
		}
	}
}

// sweepPeriodic makes the periodic jobs that have been "running" for
// well over PeriodicTimeout available again: their process died with
// them (a live worker's run ends by PeriodicTimeout).
func (q *Queue) sweepPeriodic(ctx context.Context) (int64, error) {
	res, err := q.db.SQL.ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now()
        WHERE state = 'running' AND kind = ANY($1) AND attempted_at < now() - make_interval(secs => $2)`,
		q.periodic, (3 * PeriodicTimeout).Seconds())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Stop lets running jobs finish within grace, then cancels those still
// running; River puts cancelled jobs back to be retried, so none is lost.
func (q *Queue) Stop(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := q.Client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel2()
		err = q.Client.StopAndCancel(ctx2)
	}
	return err
}

// Close releases the listener pool.
func (q *Queue) Close() {
	if q.pool != nil {
		q.pool.Close()
	}
}

// Failed is a job that failed at least once and has not succeeded since.
type Failed struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	State       string    `json:"state"`
	Attempt     int       `json:"attempt"`
	MaxAttempts int       `json:"max_attempts"`
	LastError   string    `json:"last_error"`
	FailedAt    time.Time `json:"failed_at"`
	NextAttempt time.Time `json:"next_attempt_at,omitzero"`
	Args        string    `json:"args"`
}

// FailedJobs lists jobs that are waiting for a retry or were given up.
func (q *Queue) FailedJobs(ctx context.Context, limit int) ([]Failed, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	res, err := q.Client.JobList(ctx, river.NewJobListParams().
		States(rivertype.JobStateRetryable, rivertype.JobStateDiscarded, rivertype.JobStateAvailable, rivertype.JobStateRunning).
		Where("errors IS NOT NULL").
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit))
	if err != nil {
		return nil, err
	}
	var out []Failed
	for _, j := range res.Jobs {
		if len(j.Errors) == 0 {
			continue
		}
		last := j.Errors[len(j.Errors)-1]
		f := Failed{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
			LastError: last.Error, FailedAt: last.At, Args: string(j.EncodedArgs)}
		if j.State == rivertype.JobStateRetryable {
			f.NextAttempt = j.ScheduledAt
		}
		out = append(out, f)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// Counts returns how many jobs there are by kind and state, for metrics.
func Counts(ctx context.Context, db *sqlstore.DB) (map[[2]string]float64, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT kind, state, count(*) FROM river_job GROUP BY kind, state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[[2]string]float64{}
	for rows.Next() {
		var (
			k, s string
			n    float64
		)
		if err := rows.Scan(&k, &s, &n); err != nil {
			return nil, err
		}
		out[[2]string{k, s}] = n
	}
	return out, rows.Err()
}

var errNoAuthority = errors.New("job: no competent authority configured")

// RescueOrphans makes the jobs that a killed process left running
// available again, at once rather than after RescueStuckJobsAfter. Only
// for SQLite, where one process (undox serve, holding the data folder's
// lock) works the queue: a job running when it starts has no worker. It
// returns how many it rescued.
func RescueOrphans(ctx context.Context, store *sqlstore.Store) (int64, error) {
	db := store.DB()
	if db.Dialect != sqlstore.SQLite {
		return 0, errors.New("job: orphans are rescued at start on SQLite only; PostgreSQL's workers rescue stuck jobs")
	}
	res, err := db.SQL.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
