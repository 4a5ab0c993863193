package monitor

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/undox/undox/job"
)

// DispatchJob queues a crawl of each watched site whose crawl is due
// (periodic).
type DispatchJob struct{}

// Kind names the job.
func (DispatchJob) Kind() string { return "monitor_dispatch" }

// CrawlJob crawls one watched site.
type CrawlJob struct {
	SiteID int64 `json:"site_id"`
}

// Kind names the job.
func (CrawlJob) Kind() string { return "monitor_crawl" }

// CrawlTimeout bounds one crawl: a site of MaxSiteMaxPages pages, a second
// apart, takes well over an hour, so crawls that large stop short and go on
// at the next.
const CrawlTimeout = time.Hour

// dispatchBatch is how many due sites one dispatch queues.
const dispatchBatch = 100

// AddPeriodicJobs looks for due crawls every every (a minute when zero).
func AddPeriodicJobs(q *job.Queue, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	q.AddPeriodic(DispatchJob{}, every)
}

// Register returns what job.Config.Register takes: the dispatch and crawl
// workers (which do nothing when s is nil).
func Register(s *Service) func(*river.Workers) {
	return func(w *river.Workers) {
		river.AddWorker(w, &dispatchWorker{s: s})
		river.AddWorker(w, &crawlWorker{s: s})
	}
}

// waiting are the states of a crawl not yet done: a site has one at a time.
var waiting = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled}

type dispatchWorker struct {
	river.WorkerDefaults[DispatchJob]
	s *Service
}

func (w *dispatchWorker) Work(ctx context.Context, _ *river.Job[DispatchJob]) error {
	if w.s == nil {
		return nil
	}
	ids, err := w.s.DueSites(ctx, dispatchBatch)
	if err != nil || len(ids) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: CrawlJob{SiteID: id}, InsertOpts: &river.InsertOpts{
			// Crawls wait between fetches for up to an hour: a queue of
			// their own keeps them from holding up captures and notices.
			Queue:       job.QueueSlow,
			MaxAttempts: 1, // a crawl that failed is the next one's to do
			UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: waiting},
		}}
	}
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return err
	}
	_, err = client.InsertMany(ctx, params)
	return err
}

func (*dispatchWorker) Timeout(*river.Job[DispatchJob]) time.Duration { return job.PeriodicTimeout }

type crawlWorker struct {
	river.WorkerDefaults[CrawlJob]
	s *Service
}

func (w *crawlWorker) Work(ctx context.Context, j *river.Job[CrawlJob]) error {
	if w.s == nil {
		return nil
	}
	_, err := w.s.CrawlSite(ctx, j.Args.SiteID)
	return err
}

func (*crawlWorker) Timeout(*river.Job[CrawlJob]) time.Duration { return CrawlTimeout }
