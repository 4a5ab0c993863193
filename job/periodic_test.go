package job_test

import (
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/job"
)

// On PostgreSQL, a periodic job left "running" by a process that died
// (and so holding back its next runs, one at a time as they are) is made
// available again once it has run for well over job.PeriodicTimeout; a
// periodic job still within it, and any other kind of job, stay as they
// are (River rescues those after RescueStuckJobsAfter).
func TestSweepPeriodicJobs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		if !dbtest.IsPostgres(b.Name) {
			t.Skip("SQLite runs the jobs a killed process left running again at start (job.RescueOrphans)")
		}
		e := setup(t, b, nil)
		insert := func(args river.JobArgs, opts *river.InsertOpts) int64 {
			res, err := e.q.Client.Insert(e.ctx, args, opts)
			require.NoError(t, err)
			return res.Job.ID
		}
		orphan := insert(job.CheckpointJob{}, job.OneAtATime())
		recent := insert(job.MaintenanceJob{}, job.OneAtATime())
		capture := insert(undox.CaptureJob{ItemID: 42}, nil)
		run := func(id int64, ago string) {
			_, err := e.db.SQL.ExecContext(e.ctx, `UPDATE river_job SET state = 'running', attempt = 1,
                attempted_at = now() - $2::interval WHERE id = $1`, id, ago)
			require.NoError(t, err)
		}
		run(orphan, "10 minutes")
		run(recent, "30 seconds")
		run(capture, "10 minutes")

		n, err := e.q.SweepPeriodic(e.ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		state := func(id int64) string {
			var s string
			require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, `SELECT state FROM river_job WHERE id = $1`, id).Scan(&s))
			return s
		}
		require.Equal(t, "available", state(orphan))
		require.Equal(t, "running", state(recent))
		require.Equal(t, "running", state(capture))
	})
}
