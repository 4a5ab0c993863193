package job_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/capture"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/dnstest"
	"github.com/undox/undox/job"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
)

const (
	csamHotline = "Test CSAM hotline"
	iru         = "Test IRU"
)

// env is a fresh database with a store, an audit log and a job queue.
type env struct {
	ctx     context.Context
	dataDir string
	db      *sqlstore.DB
	pgURL   string
	store   *sqlstore.Store
	log     *audit.Log
	q       *job.Queue
	cfg     job.Config
	started bool
	stopped bool
}

func testLogger() *slog.Logger {
	if os.Getenv("UNDOX_TEST_RIVER_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// setup opens a database and a queue (not started); mod adjusts the
// queue's configuration.
func setup(t *testing.T, b dbtest.Backend, mod func(*job.Config)) *env {
	t.Helper()
	s := dbtest.NewStack(t, b)
	store := s.Store
	e := &env{ctx: context.Background(), dataDir: s.Dir, db: s.DB, pgURL: s.PostgresURL, store: store, log: s.Log}
	e.cfg = job.Config{
		Logger:           testLogger(),
		PostgresURL:      s.PostgresURL,
		CheckpointEvery:  time.Hour,
		MaintenanceEvery: time.Hour,
		Authorities:      map[string]string{"csam": csamHotline, "terrorism": iru},
	}
	if mod != nil {
		mod(&e.cfg)
	}
	e.q = e.newQueue(t)
	store.SetQueue(e.q)
	t.Cleanup(func() {
		if e.started && !e.stopped {
			e.q.Stop(5 * time.Second)
		}
		e.q.Close()
	})
	return e
}

// newQueue returns another queue over the same database and configuration,
// as a restarted process would have.
func (e *env) newQueue(t *testing.T) *job.Queue {
	t.Helper()
	q, err := job.New(e.ctx, e.store, e.log, e.cfg)
	require.NoError(t, err)
	return q
}

func (e *env) start(t *testing.T) {
	t.Helper()
	require.NoError(t, e.q.Start(e.ctx))
	e.started = true
}

// waitFor polls cond every 50ms for up to 20s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func randHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// newCase reports urls under category (as intake would) and returns the
// stored case with its items.
func (e *env) newCase(t *testing.T, category string, minor bool, urls ...string) *undox.Case {
	t.Helper()
	tok, err := secret.Token(32)
	require.NoError(t, err)
	h := undox.EffectiveCategory(category, minor)
	ref := "UDX-" + strings.ToUpper(randHex(t, 5))
	_, err = e.store.CreateCase(e.ctx, undox.Public, undox.NewCase{
		Ref: ref,
		Report: undox.Report{URLs: urls, Category: category, IsMinor: minor, Language: "nl",
			ReporterEmail: "victim@example.org", Description: "they posted my address"},
		Handling:        h,
		Priority:        undox.Priority(h, minor),
		StatusTokenHash: secret.Hash(tok),
		Source:          "public",
	})
	require.NoError(t, err)
	return e.caseByRef(t, ref)
}

func (e *env) caseByRef(t *testing.T, ref string) *undox.Case {
	t.Helper()
	c, err := e.store.Case(e.ctx, undox.System, ref)
	require.NoError(t, err)
	return c
}

func (e *env) item(t *testing.T, id int64) *undox.Item {
	t.Helper()
	it, err := e.store.Item(e.ctx, undox.System, id)
	require.NoError(t, err)
	return it
}

func (e *env) referrals(t *testing.T, itemID int64) []string {
	t.Helper()
	rs, err := e.store.Referrals(e.ctx, itemID)
	require.NoError(t, err)
	return rs
}

// jobs lists jobs of a kind in the given states (all states when none).
func (e *env) jobs(t *testing.T, kind string, states ...rivertype.JobState) []*rivertype.JobRow {
	t.Helper()
	p := river.NewJobListParams().Kinds(kind).First(1000)
	if len(states) > 0 {
		p = p.States(states...)
	}
	res, err := e.q.Client.JobList(e.ctx, p)
	require.NoError(t, err)
	return res.Jobs
}

func (e *env) jobState(t *testing.T, id int64) rivertype.JobState {
	t.Helper()
	j, err := e.q.Client.JobGet(e.ctx, id)
	require.NoError(t, err)
	return j.State
}

func TestTriageRefersReferralOnlyContent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b, nil)
		cases := []struct {
			category  string
			minor     bool
			authority string // "" when the items wait for capture
		}{
			{undox.CategoryCSAM, false, csamHotline},
			{undox.CategorySextortion, true, csamHotline},
			{undox.CategoryIntimateImages, true, csamHotline},
			{undox.CategoryTerrorism, false, iru},
			{undox.CategoryDoxing, false, ""},
			{undox.CategorySextortion, false, ""},
			{undox.CategoryDoxing, true, ""},
		}
		made := make([]*undox.Case, len(cases))
		for i, c := range cases {
			made[i] = e.newCase(t, c.category, c.minor,
				fmt.Sprintf("https://a%d.example.net/page", i), fmt.Sprintf("https://b%d.example.net/page", i))
			require.Len(t, made[i].Items, 2)
			for _, it := range made[i].Items {
				require.Equal(t, undox.ItemNew, it.Status)
			}
		}
		// Triage jobs were queued with the referral-only cases, and only
		// with them: the others wait for capture.
		require.Len(t, e.jobs(t, "triage"), 4)
		e.start(t)

		for i, c := range cases {
			if c.authority == "" {
				continue
			}
			for _, it := range made[i].Items {
				waitFor(t, "item "+it.URL+" referred", func() bool { return e.item(t, it.ID).Status == undox.ItemReferred })
			}
		}
		waitFor(t, "every triage job completed", func() bool {
			return len(e.jobs(t, "triage", rivertype.JobStateCompleted)) == 4
		})
		// This queue has no capture configured: nothing is fetched.
		require.Empty(t, e.jobs(t, "capture"))

		for i, c := range cases {
			for _, it := range made[i].Items {
				got := e.item(t, it.ID)
				if c.authority == "" {
					require.Equal(t, undox.ItemNew, got.Status, "%s minor=%t", c.category, c.minor)
					require.Empty(t, e.referrals(t, it.ID))
					continue
				}
				require.Equal(t, undox.ItemReferred, got.Status)
				require.Equal(t, undox.EffectiveCategory(c.category, c.minor).Code, got.Category)
				require.Equal(t, []string{c.authority}, e.referrals(t, it.ID))
				hist, err := e.store.ItemHistory(e.ctx, it.ID)
				require.NoError(t, err)
				require.Len(t, hist, 1)
				require.Equal(t, "routed", hist[0].Event)
				require.Equal(t, "new", hist[0].From)
				require.Equal(t, "referred", hist[0].To)
				require.Equal(t, "system", hist[0].Actor)
				require.Equal(t, "authority="+c.authority, hist[0].Reason)
				entries, err := e.store.AuditEntries(e.ctx, "item", fmt.Sprint(it.ID))
				require.NoError(t, err)
				var routed int
				for _, en := range entries {
					if en.Action == "item.routed" {
						routed++
						require.Equal(t, "system", en.Actor)
					}
				}
				require.Equal(t, 1, routed)
			}
		}
		require.Empty(t, mustFailed(t, e))
	})
}

// A URL first reported as doxing and then as CSAM is one item: it takes the
// most serious handling and is referred, once.
func TestTriageSharedItemTakesMostSeriousHandling(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b, nil)
		e.start(t)
		u := "https://shared.example.net/x"
		dox := e.newCase(t, undox.CategoryDoxing, false, u)
		require.Empty(t, e.jobs(t, "triage"), "a doxing report needs no triage")
		id := dox.Items[0].ID
		require.Equal(t, undox.ItemNew, e.item(t, id).Status)

		csam := e.newCase(t, undox.CategoryCSAM, false, u, u)
		require.Len(t, csam.Items, 1)
		require.Equal(t, id, csam.Items[0].ID)
		waitFor(t, "the shared item referred", func() bool { return e.item(t, id).Status == undox.ItemReferred })
		waitFor(t, "the CSAM case's triage", func() bool {
			return len(e.jobs(t, "triage", rivertype.JobStateCompleted)) == 1
		})
		it := e.item(t, id)
		require.Equal(t, undox.CategoryCSAM, it.Category)
		require.Equal(t, 2, it.ReportCount)
		require.ElementsMatch(t, []string{dox.Ref, csam.Ref}, it.Cases)
		require.Equal(t, []string{csamHotline}, e.referrals(t, id))
	})
}

// A URL that staff already handled under a non-referral category (here:
// rejected as not doxing) and that is then reported as CSAM must still be
// referred to the hotline: referral-only content is referred whatever
// happened to the item before.
func TestTriageRefersItemHandledUnderAnotherCategory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b, nil)
		e.start(t)
		analyst := undox.Actor{Kind: "token", TokenID: 1, Name: "analyst", Role: undox.RoleAnalyst}
		for _, c := range []struct {
			name   string
			events []undox.Event
		}{
			{"rejected", []undox.Event{undox.ActionReject}},
			{"closed", []undox.Event{undox.ActionClose}},
		} {
			u := "https://" + c.name + ".example.net/x"
			dox := e.newCase(t, undox.CategoryDoxing, false, u)
			id := dox.Items[0].ID
			for _, ev := range c.events {
				_, err := e.store.ItemEvent(e.ctx, analyst, id, ev, "not doxing")
				require.NoError(t, err)
			}
			e.newCase(t, undox.CategoryCSAM, false, u)
			waitFor(t, "every triage job completed", func() bool {
				return len(e.jobs(t, "triage", rivertype.JobStateCompleted)) == len(e.jobs(t, "triage"))
			})
			require.Equal(t, undox.CategoryCSAM, e.item(t, id).Category)
			require.Equal(t, []string{csamHotline}, e.referrals(t, id), "item %s before the CSAM report", c.name)
			require.Equal(t, undox.ItemReferred, e.item(t, id).Status, "item %s before the CSAM report", c.name)
		}
	})
}

// Without a configured authority, triage keeps failing visibly and the
// items are not fetched or referred.
func TestTriageWithoutAuthorityFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b, func(c *job.Config) { c.Authorities = map[string]string{"csam": csamHotline} })
		e.start(t)
		c := e.newCase(t, undox.CategoryTerrorism, false, "https://terror.example.net/")
		var f job.Failed
		waitFor(t, "the triage job's failure", func() bool {
			for _, x := range mustFailed(t, e) {
				if x.Kind == "triage" {
					f = x
					return true
				}
			}
			return false
		})
		require.Contains(t, f.LastError, "no competent authority")
		require.Contains(t, f.LastError, "terrorism")
		require.Equal(t, 1, f.Attempt)
		var args undox.TriageJob
		require.NoError(t, json.Unmarshal([]byte(f.Args), &args))
		require.Contains(t, args.CaseIDs, c.ID)
		require.Equal(t, undox.ItemNew, e.item(t, c.Items[0].ID).Status)
		require.Empty(t, e.referrals(t, c.Items[0].ID))
	})
}

// A job is queued in the transaction of the change that causes it: a case
// that fails to be stored queues nothing.
func TestJobCommitsWithItsChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b, nil)
		h := undox.EffectiveCategory(undox.CategoryCSAM, false)
		nc := undox.NewCase{Ref: "UDX-ONE", Report: undox.Report{URLs: []string{"https://one.example.net/"}, Category: undox.CategoryCSAM},
			Handling: h, StatusTokenHash: secret.Hash("same token"), Source: "public"}
		_, err := e.store.CreateCase(e.ctx, undox.Public, nc)
		require.NoError(t, err)
		nc.Ref = "UDX-TWO"
		nc.Report.URLs = []string{"https://two.example.net/"}
		_, err = e.store.CreateCase(e.ctx, undox.Public, nc) // same status token hash: refused
		require.Error(t, err)
		require.Len(t, e.jobs(t, "triage"), 1)
		_, err = e.store.Case(e.ctx, undox.System, "UDX-TWO")
		require.Equal(t, undox.ENOTFOUND, undox.ErrorCode(err))
		items, err := e.store.Items(e.ctx, undox.System, undox.ItemFilter{})
		require.NoError(t, err)
		require.Len(t, items, 1)
	})
}

func mustFailed(t *testing.T, e *env) []job.Failed {
	t.Helper()
	fs, err := e.q.FailedJobs(e.ctx, 0)
	require.NoError(t, err)
	return fs
}

// failArgs is a job that always fails.
type failArgs struct {
	Note string `json:"note"`
}

func (failArgs) Kind() string { return "test_fail" }

func (failArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

type failWorker struct {
	river.WorkerDefaults[failArgs]
	runs atomic.Int32
}

func (w *failWorker) Work(ctx context.Context, j *river.Job[failArgs]) error {
	n := w.runs.Add(1)
	return fmt.Errorf("upstream refused (run %d)", n)
}

func (w *failWorker) NextRetry(*river.Job[failArgs]) time.Time {
	return time.Now().Add(10 * time.Millisecond)
}

// noopArgs is a job that succeeds.
type noopArgs struct {
	N int `json:"n"`
}

func (noopArgs) Kind() string { return "test_noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

func registerTestWorkers(fw *failWorker) func(*river.Workers) {
	return func(ws *river.Workers) {
		river.AddWorker(ws, fw)
		river.AddWorker(ws, noopWorker{})
	}
}

// failAndDiscard runs a failing job until River gives it up.
func failAndDiscard(t *testing.T, e *env, fw *failWorker) (int64, job.Failed) {
	t.Helper()
	res, err := e.q.Client.Insert(e.ctx, failArgs{Note: "always fails"}, nil)
	require.NoError(t, err)
	id := res.Job.ID
	require.Equal(t, 3, res.Job.MaxAttempts)
	var f job.Failed
	waitFor(t, "the failing job to be discarded", func() bool {
		for _, x := range mustFailed(t, e) {
			if x.ID == id && x.State == string(rivertype.JobStateDiscarded) {
				f = x
				return true
			}
		}
		return false
	})
	return id, f
}

func TestFailingJobIsRetriedThenDiscarded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		fw := &failWorker{}
		e := setup(t, b, func(c *job.Config) { c.Register = registerTestWorkers(fw) })
		e.start(t)
		id, f := failAndDiscard(t, e, fw)
		require.Equal(t, "test_fail", f.Kind)
		require.Equal(t, 3, f.Attempt)
		require.Equal(t, 3, f.MaxAttempts)
		require.Equal(t, "upstream refused (run 3)", f.LastError)
		require.False(t, f.FailedAt.IsZero())
		require.True(t, f.NextAttempt.IsZero())
		require.JSONEq(t, `{"note":"always fails"}`, f.Args)
		require.Equal(t, int32(3), fw.runs.Load())

		j, err := e.q.Client.JobGet(e.ctx, id)
		require.NoError(t, err)
		require.Len(t, j.Errors, 3)
		for i, ae := range j.Errors {
			require.Equal(t, i+1, ae.Attempt)
			require.Equal(t, fmt.Sprintf("upstream refused (run %d)", i+1), ae.Error)
		}

		// A job that succeeds is never listed.
		res, err := e.q.Client.Insert(e.ctx, noopArgs{N: 1}, nil)
		require.NoError(t, err)
		waitFor(t, "the no-op job", func() bool { return e.jobState(t, res.Job.ID) == rivertype.JobStateCompleted })
		for _, x := range mustFailed(t, e) {
			require.NotEqual(t, res.Job.ID, x.ID)
		}
	})
}

// Jobs that were given up stay visible to staff, even while a backlog of
// newer jobs waits to be worked.
func TestFailedJobsVisibleBehindBacklog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		fw := &failWorker{}
		e := setup(t, b, func(c *job.Config) { c.Register = registerTestWorkers(fw) })
		e.start(t)
		id, _ := failAndDiscard(t, e, fw)
		require.NoError(t, e.q.Stop(10*time.Second))
		e.stopped = true

		// 400 new jobs wait (workers stopped, or busy with a bulk import).
		params := make([]river.InsertManyParams, 400)
		for i := range params {
			params[i] = river.InsertManyParams{Args: noopArgs{N: i}}
		}
		_, err := e.q.Client.InsertMany(e.ctx, params)
		require.NoError(t, err)

		var ids []int64
		for _, f := range mustFailed(t, e) {
			ids = append(ids, f.ID)
		}
		require.Contains(t, ids, id, "the discarded job is hidden behind the backlog")
	})
}

func TestPeriodicCheckpointRunsOnStart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b, nil)
		for i := 0; i < 5; i++ {
			require.NoError(t, e.store.Audit(e.ctx, undox.System, "test.action", "case", fmt.Sprint(i), "detail"))
		}
		e.start(t)
		var cp *audit.Checkpoint
		waitFor(t, "a checkpoint", func() bool {
			var err error
			cp, err = e.store.LatestCheckpoint(e.ctx)
			require.NoError(t, err)
			return cp != nil
		})
		require.GreaterOrEqual(t, cp.TreeSize, int64(5))
		_, _, err := audit.ParseCheckpoint([]byte(cp.Note), e.log.VerifierKey())
		require.NoError(t, err)
		rep, err := e.log.Verify(e.ctx)
		require.NoError(t, err)
		require.True(t, rep.OK, rep.Problem)
	})
}

// The checkpoint and maintenance jobs can be queued by hand (as an
// operator or a test would), and a second one while one waits is skipped
// as a duplicate.
func TestPeriodicJobsCanBeInserted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b, nil) // not started: inserted jobs wait
		for _, args := range []river.JobArgs{job.CheckpointJob{}, job.MaintenanceJob{}} {
			res, err := e.q.Client.Insert(e.ctx, args, nil)
			require.NoError(t, err, args.Kind())
			require.False(t, res.UniqueSkippedAsDuplicate)
			again, err := e.q.Client.Insert(e.ctx, args, nil)
			require.NoError(t, err, args.Kind())
			require.True(t, again.UniqueSkippedAsDuplicate, args.Kind())
			require.Equal(t, res.Job.ID, again.Job.ID)
		}
	})
}

// blockArgs is a job whose first run blocks until it is cancelled or
// released; later runs succeed at once.
type blockArgs struct{}

func (blockArgs) Kind() string { return "test_block" }

type blockWorker struct {
	river.WorkerDefaults[blockArgs]
	runs    atomic.Int32
	started chan struct{}
	release chan struct{}
}

func (w *blockWorker) Work(ctx context.Context, j *river.Job[blockArgs]) error {
	if w.runs.Add(1) > 1 {
		return nil
	}
	close(w.started)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.release:
		return nil
	}
}

func newBlockWorker() *blockWorker {
	return &blockWorker{started: make(chan struct{}), release: make(chan struct{})}
}

// stopWithin calls q.Stop(grace) and fails the test if it does not return
// within a generous bound.
func stopWithin(t *testing.T, q *job.Queue, grace time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- q.Stop(grace) }()
	select {
	case err := <-done:
		return err
	case <-time.After(grace + 30*time.Second):
		t.Fatal("Stop did not return")
		return nil
	}
}

func waitStarted(t *testing.T, w *blockWorker) {
	t.Helper()
	select {
	case <-w.started:
	case <-time.After(20 * time.Second):
		t.Fatal("the blocking job did not start")
	}
}

// Stop cancels a job still running after the grace period; the job is not
// lost: it is put back and runs again under the next process.
func TestStopPutsRunningJobBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		bw := newBlockWorker()
		e := setup(t, b, func(c *job.Config) {
			c.Register = func(ws *river.Workers) { river.AddWorker(ws, bw) }
		})
		e.start(t)
		res, err := e.q.Client.Insert(e.ctx, blockArgs{}, nil)
		require.NoError(t, err)
		waitStarted(t, bw)

		require.NoError(t, stopWithin(t, e.q, 200*time.Millisecond))
		e.stopped = true

		// River (v0.51) treats a job cancelled by the client's stop as
		// interrupted: it is made available again, its attempt is given
		// back and no error is recorded.
		j, err := e.q.Client.JobGet(e.ctx, res.Job.ID)
		require.NoError(t, err)
		require.NotEqual(t, rivertype.JobStateCompleted, j.State)
		require.Equal(t, rivertype.JobStateAvailable, j.State)
		require.Equal(t, 0, j.Attempt)
		require.Empty(t, j.Errors)

		// The next process runs it again.
		q2 := e.newQueue(t)
		t.Cleanup(q2.Close)
		require.NoError(t, q2.Start(e.ctx))
		waitFor(t, "the interrupted job to run again", func() bool { return e.jobState(t, res.Job.ID) == rivertype.JobStateCompleted })
		require.NoError(t, stopWithin(t, q2, 5*time.Second))
		require.Equal(t, int32(2), bw.runs.Load())
	})
}

// A job that finishes within the grace period completes normally.
func TestStopLetsJobFinishWithinGrace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		bw := newBlockWorker()
		e := setup(t, b, func(c *job.Config) {
			c.Register = func(ws *river.Workers) { river.AddWorker(ws, bw) }
		})
		e.start(t)
		res, err := e.q.Client.Insert(e.ctx, blockArgs{}, nil)
		require.NoError(t, err)
		waitStarted(t, bw)

		done := make(chan error, 1)
		go func() { done <- e.q.Stop(30 * time.Second) }()
		time.Sleep(50 * time.Millisecond) // let the stop begin; the outcome does not depend on it
		close(bw.release)
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(60 * time.Second):
			t.Fatal("Stop did not return")
		}
		e.stopped = true
		require.Equal(t, rivertype.JobStateCompleted, e.jobState(t, res.Job.ID))
		require.Equal(t, int32(1), bw.runs.Load())
	})
}

// runMaintenance queues a maintenance run and waits for it to complete.
func (e *env) runMaintenance(t *testing.T) {
	t.Helper()
	// One maintenance job at a time: one that runs already (the periodic
	// one) started before what the test just did; wait for it, then run
	// a fresh one.
	for {
		res, err := e.q.Client.Insert(e.ctx, job.MaintenanceJob{}, nil)
		require.NoError(t, err)
		waitFor(t, "the maintenance job", func() bool { return e.jobState(t, res.Job.ID) == rivertype.JobStateCompleted })
		if !res.UniqueSkippedAsDuplicate {
			return
		}
	}
}

func mustRetention(t *testing.T, s string) undox.Retention {
	t.Helper()
	r, err := undox.ParseRetention(s)
	require.NoError(t, err)
	return r
}

func TestMaintenanceErasesWithdrawnCases(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b, func(c *job.Config) { c.Retention = mustRetention(t, "*/withdrawn=0s") })
		withdrawn := e.newCase(t, undox.CategoryDoxing, false, "https://w.example.net/")
		held := e.newCase(t, undox.CategoryDoxing, false, "https://h.example.net/")
		closed := e.newCase(t, undox.CategoryDoxing, false, "https://c.example.net/")
		open := e.newCase(t, undox.CategoryDoxing, false, "https://o.example.net/")
		for _, c := range []*undox.Case{withdrawn, held} {
			_, err := e.store.CaseEvent(e.ctx, undox.Public, c.Ref, undox.ActionWithdraw, "")
			require.NoError(t, err)
		}
		_, err := e.store.CaseEvent(e.ctx, undox.System, closed.Ref, undox.ActionClose, "done")
		require.NoError(t, err)
		_, err = e.store.SetLegalHold(e.ctx, undox.System, held.Ref, "court order 2024/123")
		require.NoError(t, err)

		e.start(t)
		e.runMaintenance(t)

		got := e.caseByRef(t, withdrawn.Ref)
		require.Equal(t, undox.CaseErased, got.Status)
		require.NotNil(t, got.ErasedAt)
		require.Empty(t, got.ReporterEmail)
		require.Empty(t, got.Description)
		entries, err := e.store.AuditEntries(e.ctx, "case", withdrawn.Ref)
		require.NoError(t, err)
		var erasures []undox.AuditEntry
		for _, en := range entries {
			if en.Action == "case.erase" {
				erasures = append(erasures, en)
			}
		}
		require.Len(t, erasures, 1)
		require.Equal(t, "system", erasures[0].Actor)
		require.True(t, strings.HasPrefix(erasures[0].Detail, "withdrawn->erased"), erasures[0].Detail)

		h := e.caseByRef(t, held.Ref)
		require.Equal(t, undox.CaseWithdrawn, h.Status)
		require.Nil(t, h.ErasedAt)
		require.Equal(t, "victim@example.org", h.ReporterEmail)
		require.Equal(t, "court order 2024/123", h.LegalHold)
		require.Equal(t, undox.CaseClosed, e.caseByRef(t, closed.Ref).Status) // no rule for closed: kept
		require.Equal(t, undox.CaseOpen, e.caseByRef(t, open.Ref).Status)

		// Once the hold is lifted, the next run erases it.
		_, err = e.store.SetLegalHold(e.ctx, undox.System, held.Ref, "")
		require.NoError(t, err)
		e.runMaintenance(t)
		require.Equal(t, undox.CaseErased, e.caseByRef(t, held.Ref).Status)
		require.Equal(t, undox.CaseClosed, e.caseByRef(t, closed.Ref).Status)
	})
}

// Cases are erased once their retention ends, by the store's clock.
func TestMaintenanceHonoursRetentionPeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b, func(c *job.Config) {
			c.Retention = mustRetention(t, "*/closed=720h,doxing/closed=1440h,*/withdrawn=0s")
		})
		threat := e.newCase(t, undox.CategoryThreat, false, "https://t.example.net/")
		dox := e.newCase(t, undox.CategoryDoxing, false, "https://d.example.net/")
		for _, c := range []*undox.Case{threat, dox} {
			_, err := e.store.CaseEvent(e.ctx, undox.System, c.Ref, undox.ActionClose, "")
			require.NoError(t, err)
		}
		e.start(t)
		e.runMaintenance(t)
		require.Equal(t, undox.CaseClosed, e.caseByRef(t, threat.Ref).Status)
		require.Equal(t, undox.CaseClosed, e.caseByRef(t, dox.Ref).Status)

		start := time.Now()
		var offset atomic.Int64
		e.store.SetClock(func() time.Time { return start.Add(time.Duration(offset.Load())) })
		offset.Store(int64(721 * time.Hour))
		e.runMaintenance(t)
		require.Equal(t, undox.CaseErased, e.caseByRef(t, threat.Ref).Status)
		require.Equal(t, undox.CaseClosed, e.caseByRef(t, dox.Ref).Status)

		offset.Store(int64(1441 * time.Hour))
		e.runMaintenance(t)
		require.Equal(t, undox.CaseErased, e.caseByRef(t, dox.Ref).Status)
	})
}

// bulkClosedCases stores n closed cases, last changed an hour ago, straight
// in SQL (as years of operation would have left them).
func (e *env) bulkClosedCases(t *testing.T, n int) {
	t.Helper()
	at := time.Now().Add(-time.Hour).UnixMicro()
	tx, err := e.db.SQL.BeginTx(e.ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback()
	for i := 0; i < n; i += 200 {
		var (
			sb   strings.Builder
			args []any
		)
		for j := i; j < min(i+200, n); j++ {
			if j > i {
				sb.WriteString(",")
			}
			p := len(args)
			fmt.Fprintf(&sb, "($%d, 'doxing', 'doxing', $%d, 'nl', 'closed', $%d, 'public', 20, $%d, $%d, $%d, $%d)",
				p+1, p+2, p+3, p+4, p+5, p+6, p+7)
			args = append(args, fmt.Sprintf("UDX-OLD-%05d", j), false, false, secret.Hash(fmt.Sprintf("old token %d", j)),
				at, at+int64(j), at+int64(j))
		}
		_, err := tx.ExecContext(e.ctx, `INSERT INTO cases (ref, category, handling, is_minor, language, status, consent, source,
            priority, status_token_hash, created_at, updated_at, status_at) VALUES `+sb.String(), args...)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit())
}

// A withdrawn case is erased at once even when many closed cases, still
// within their retention, changed before it.
func TestMaintenanceNotBlockedByCasesNotYetDue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b, func(c *job.Config) { c.Retention = mustRetention(t, undox.DefaultRetention) })
		e.bulkClosedCases(t, 1000)
		w := e.newCase(t, undox.CategoryDoxing, false, "https://w.example.net/")
		_, err := e.store.CaseEvent(e.ctx, undox.Public, w.Ref, undox.ActionWithdraw, "")
		require.NoError(t, err)
		e.start(t)
		e.runMaintenance(t)
		require.Equal(t, undox.CaseErased, e.caseByRef(t, w.Ref).Status)
		require.Equal(t, undox.CaseClosed, e.caseByRef(t, "UDX-OLD-00000").Status)
	})
}

// The capture dispatch queues one capture per item, whichever cases
// report it, none for referral-only content, and again for an item that a
// new case links; a capture that fails waits for its retry with the error
// kept.
func TestDispatchQueuesCaptures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		dns := dnstest.Start(t, nil) // knows no names: every capture fails with dns_failure
		blobs, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)
		var e *env
		e = setup(t, b, func(c *job.Config) {
			c.Capture = capture.NewService(capture.Config{Store: lazyStore{&e}, Blobs: blobs,
				Fetcher: fetch.New(fetch.Config{Resolver: fetch.DNSServer(dns.Addr)})})
			c.DispatchEvery = 50 * time.Millisecond
		})
		shared := "https://shared.example.net/p"
		c1 := e.newCase(t, undox.CategoryDoxing, false, shared, "https://one.example.net/p")
		c2 := e.newCase(t, undox.CategoryThreat, false, shared)
		e.newCase(t, undox.CategoryCSAM, false, "https://csam.example.net/x")
		require.Empty(t, e.jobs(t, "capture"), "intake queues no capture itself")
		e.start(t)
		tried := func(n int) func() bool {
			return func() bool {
				k := 0
				for _, j := range e.jobs(t, "capture") {
					if len(j.Errors) > 0 {
						k++
					}
				}
				return k >= n
			}
		}
		waitFor(t, "captures tried", tried(2))
		jobs := e.jobs(t, "capture")
		require.Len(t, jobs, 2, "one capture per item of the doxing and threat cases; none for CSAM")
		byItem := map[int64]bool{}
		for _, j := range jobs {
			var a undox.CaptureJob
			require.NoError(t, json.Unmarshal(j.EncodedArgs, &a))
			require.False(t, byItem[a.ItemID])
			byItem[a.ItemID] = true
			require.Contains(t, j.Errors[0].Error, "dns_failure")
			require.Equal(t, 8, j.MaxAttempts)
		}
		for _, it := range append(c1.Items, c2.Items...) {
			require.True(t, byItem[it.ID])
			waitFor(t, "item unreachable", func() bool { return e.item(t, it.ID).Status == undox.ItemUnreachable })
			require.Contains(t, e.item(t, it.ID).CaptureError, "dns_failure")
		}
		require.Positive(t, dns.Queries("shared.example.net"), "the loopback DNS server was asked, and no other")
		// The referral-only item too is marked, by the dispatch that finds
		// it unlocked: on PostgreSQL one that ran while its referral held
		// the row skipped it, and a later one takes it.
		waitFor(t, "every item dispatched", func() bool {
			var undispatched int
			require.NoError(t, e.db.SQL.QueryRow(`SELECT count(*) FROM items WHERE dispatched = 0`).Scan(&undispatched))
			return undispatched == 0
		})
	})
}

// A report's items are captured as soon as the report is stored, and so
// are links a reporter adds later: the store wakes the capture dispatch,
// which otherwise runs only every DispatchEvery (here an hour, after its
// run at start).
func TestNewItemsWakeTheCaptureDispatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		dns := dnstest.Start(t, nil) // knows no names: every capture fails with dns_failure
		blobs, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)
		var e *env
		e = setup(t, b, func(c *job.Config) {
			c.Capture = capture.NewService(capture.Config{Store: lazyStore{&e}, Blobs: blobs,
				Fetcher: fetch.New(fetch.Config{Resolver: fetch.DNSServer(dns.Addr)})})
			c.DispatchEvery = time.Hour
		})
		e.start(t)
		waitFor(t, "the dispatch run at start", func() bool {
			return len(e.jobs(t, "capture_dispatch", rivertype.JobStateCompleted)) == 1
		})
		captured := func(it *undox.Item) func() bool {
			return func() bool {
				for _, j := range e.jobs(t, "capture") {
					var a undox.CaptureJob
					require.NoError(t, json.Unmarshal(j.EncodedArgs, &a))
					if a.ItemID == it.ID {
						return true
					}
				}
				return false
			}
		}
		c := e.newCase(t, undox.CategoryDoxing, false, "https://wake.example.net/p")
		waitFor(t, "the report's capture", captured(c.Items[0]))

		n, err := e.store.AddItems(e.ctx, undox.Public, c.Ref, []string{"https://wake.example.net/q"})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		c = e.caseByRef(t, c.Ref)
		require.Len(t, c.Items, 2)
		for _, it := range c.Items {
			waitFor(t, "the added link's capture", captured(it))
		}
	})
}

// lazyStore lets a job.Config refer to the store of an env not yet made.
type lazyStore struct{ e **env }

func (l lazyStore) CaptureTarget(ctx context.Context, id int64) (*undox.CaptureTarget, error) {
	return (*l.e).store.CaptureTarget(ctx, id)
}

func (l lazyStore) SaveCapture(ctx context.Context, a undox.CaptureAttempt) (*undox.Item, error) {
	return (*l.e).store.SaveCapture(ctx, a)
}
