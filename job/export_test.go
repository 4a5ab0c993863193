package job

import "context"

// SweepPeriodic lets the tests run the PostgreSQL sweep of periodic jobs
// left running by a process that died.
func (q *Queue) SweepPeriodic(ctx context.Context) (int64, error) { return q.sweepPeriodic(ctx) }
