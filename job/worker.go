package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/capture"
	"github.com/undox/undox/sqlstore"
)

// triageWorker routes the items of new cases of referral-only content (CSAM,
// terrorist content, and a minor's intimate images or sextortion): they are
// never fetched, but referred to the competent authority at once.
type triageWorker struct {
	river.WorkerDefaults[undox.TriageJob]
	store       *sqlstore.Store
	authorities map[string]string
	trace       bool // queue the trace of referred items
}

func (w *triageWorker) Work(ctx context.Context, j *river.Job[undox.TriageJob]) error {
	cases, err := w.store.TriageBatch(ctx, j.Args.CaseIDs)
	if err != nil {
		return err
	}
	for _, c := range cases {
		if c.Category.ReferralOnly {
			if err := w.refer(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// refer routes a referral-only case's items to the competent authority. It
// can run again for the same case (a retry of the job): what it did
// already it does not do twice.
func (w *triageWorker) refer(ctx context.Context, c sqlstore.TriageCase) error {
	authority := w.authorities[c.Category.Authority]
	if authority == "" {
		return fmt.Errorf("%w for %q", errNoAuthority, c.Category.Authority)
	}
	var routed []int64
	for _, it := range c.Items {
		if it.Status == undox.ItemReferred {
			continue // already routed, by an earlier attempt or another case
		}
		if err := w.store.AddReferral(ctx, it.ID, authority); err != nil && undox.ErrorCode(err) != undox.ETRANSITION {
			return err
		}
		routed = append(routed, it.ID)
	}
	if !w.trace {
		return nil
	}
	// Traced by DNS and RDAP/WHOIS only, so that the referral names the
	// hosting country; nothing is fetched.
	return w.store.EnqueueTraces(ctx, routed, true)
}

// CheckpointJob integrates the audit log and signs a checkpoint.
type CheckpointJob struct{}

// Kind names the job.
func (CheckpointJob) Kind() string { return "audit_checkpoint" }

// InsertOpts keeps one such job at a time.
func (CheckpointJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

type checkpointWorker struct {
	river.WorkerDefaults[CheckpointJob]
	log *audit.Log
}

func (w *checkpointWorker) Work(ctx context.Context, j *river.Job[CheckpointJob]) error {
	_, err := w.log.Integrate(ctx, 0)
	return err
}

// MaintenanceJob erases cases whose retention ended and forgets expired
// idempotency keys.
type MaintenanceJob struct{}

// Kind names the job.
func (MaintenanceJob) Kind() string { return "maintenance" }

// InsertOpts keeps one such job at a time.
func (MaintenanceJob) InsertOpts() river.InsertOpts {
	return CheckpointJob{}.InsertOpts()
}

type maintenanceWorker struct {
	river.WorkerDefaults[MaintenanceJob]
	store     *sqlstore.Store
	retention undox.Retention
	logger    *slog.Logger
}

func (w *maintenanceWorker) Work(ctx context.Context, j *river.Job[MaintenanceJob]) error {
	if _, err := w.store.ExpireIdempotencyKeys(ctx); err != nil {
		return err
	}
	const page = 1000
	var after *sqlstore.RetentionCandidate
	for {
		cands, err := w.store.RetentionCandidatesAfter(ctx, after, page)
		if err != nil {
			return err
		}
		for _, c := range cands {
			if !w.retention.Due(c.Handling, c.Status, c.StatusAt, w.store.Now()) {
				continue
			}
			if _, err := w.store.CaseEvent(ctx, undox.System, c.Ref, undox.ActionErase, "retention"); err != nil {
				if undox.ErrorCode(err) == undox.ELEGALHOLD || undox.ErrorCode(err) == undox.ETRANSITION {
					continue
				}
				return err
			}
			w.logger.Info("retention erased a case", "case", c.Ref, "status", c.Status)
		}
		if len(cands) < page {
			return nil
		}
		after = &cands[len(cands)-1]
	}
}

// captureWorker captures an item's page for every case that reports it.
type captureWorker struct {
	river.WorkerDefaults[undox.CaptureJob]
	service *capture.Service
}

func (w *captureWorker) Work(ctx context.Context, j *river.Job[undox.CaptureJob]) error {
	if w.service == nil {
		return river.JobCancel(errors.New("capture is not configured in this process"))
	}
	err := w.service.Item(ctx, j.Args)
	if errors.Is(err, capture.ErrNewCases) {
		// Cases that linked the item while it was captured (their own
		// capture job was not queued beside this one): capture again.
		return river.JobSnooze(time.Second)
	}
	return err
}

// WatchRefresher brings a watch index up to date with the database
// (personal.Watch does).
type WatchRefresher interface {
	Refresh(ctx context.Context) error
}

// eraseBlobsWorker deletes an erased case's evidence files and brings the
// watch index up to date, which drops the case's identifiers from it (the
// erasure moved the index's generation).
type eraseBlobsWorker struct {
	river.WorkerDefaults[undox.EraseBlobsJob]
	blobs blob.Store
	watch WatchRefresher
}

func (w *eraseBlobsWorker) Work(ctx context.Context, j *river.Job[undox.EraseBlobsJob]) error {
	if w.blobs != nil { // nil: this instance keeps no blobs
		if err := w.blobs.DeleteOwner(ctx, j.Args.CaseRef); err != nil {
			return err
		}
	}
	if w.watch != nil {
		return w.watch.Refresh(ctx)
	}
	return nil
}

// Tracer traces a URL: it returns the answer and a stable key of who hosts
// the content. The trace package's Service does, through an adapter wired
// in cmd.
type Tracer interface {
	TraceURL(ctx context.Context, url string, noFetch bool, headers map[string][]string) (hostKey string, answer []byte, err error)
}

// traceWorker finds who hosts an item and whom to notify, and keeps the
// answer; a trace that finds another host than the last one marks the
// item.
type traceWorker struct {
	river.WorkerDefaults[undox.TraceJob]
	store  *sqlstore.Store
	tracer Tracer
}

func (w *traceWorker) Work(ctx context.Context, j *river.Job[undox.TraceJob]) error {
	if w.tracer == nil {
		return river.JobCancel(errors.New("trace is not configured in this process"))
	}
	url, referralOnly, err := w.store.TraceURL(ctx, j.Args.ItemID)
	if undox.ErrorCode(err) == undox.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	key, answer, err := w.tracer.TraceURL(ctx, url, j.Args.NoFetch || referralOnly, j.Args.Headers)
	if err != nil {
		return err
	}
	_, err = w.store.SaveTrace(ctx, j.Args.ItemID, key, answer)
	return err
}

// DispatchJob queues the captures of the items that wait for one.
type DispatchJob struct{}

// Kind names the job.
func (DispatchJob) Kind() string { return "capture_dispatch" }

// InsertOpts keeps one such job at a time.
func (DispatchJob) InsertOpts() river.InsertOpts { return CheckpointJob{}.InsertOpts() }

type dispatchWorker struct {
	river.WorkerDefaults[DispatchJob]
	store *sqlstore.Store
}

func (w *dispatchWorker) Work(ctx context.Context, j *river.Job[DispatchJob]) error {
	return dispatchAll(ctx, w.store)
}

// dispatchAll queues the captures of every item waiting for one, in
// batches.
func dispatchAll(ctx context.Context, store *sqlstore.Store) error {
	const batch = 500
	for {
		n, err := store.DispatchCaptures(ctx, batch)
		if err != nil || n < batch {
			return err
		}
	}
}

// Timeout bounds one run (see PeriodicTimeout).
func (*checkpointWorker) Timeout(*river.Job[CheckpointJob]) time.Duration { return PeriodicTimeout }

// Timeout bounds one run (see PeriodicTimeout).
func (*maintenanceWorker) Timeout(*river.Job[MaintenanceJob]) time.Duration { return PeriodicTimeout }

// Timeout bounds one run (see PeriodicTimeout).
func (*dispatchWorker) Timeout(*river.Job[DispatchJob]) time.Duration { return PeriodicTimeout }
