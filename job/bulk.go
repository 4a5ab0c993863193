package job

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/undox/undox"
	"github.com/undox/undox/sqlstore"
)

// bulkWorker does a console bulk job's waiting items, as the analyst who
// created it (see sqlstore.Store.RunBulkJob). A job stopped with its
// process is retried or rescued by River and goes on where it stopped.
type bulkWorker struct {
	river.WorkerDefaults[undox.BulkActionJob]
	store  *sqlstore.Store
	logger *slog.Logger
}

func (w *bulkWorker) Work(ctx context.Context, j *river.Job[undox.BulkActionJob]) error {
	err := w.store.RunBulkJob(ctx, j.Args.BulkID, w.logger)
	if code := undox.ErrorCode(err); err != nil && code != undox.EINTERNAL {
		// An unknown job or one without an analyst to act as: trying
		// again would not help.
		return river.JobCancel(err)
	}
	return err
}
