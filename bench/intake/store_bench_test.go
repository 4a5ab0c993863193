package intakebench

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/intake"
)

// nopEnqueuer queues nothing: it takes the River insert out of a report.
type nopEnqueuer struct{}

func (nopEnqueuer) EnqueueTx(context.Context, *sql.Tx, ...interface{ Kind() string }) error {
	return nil
}

// BenchmarkStore is the diagnostic behind BenchmarkIntake: what one report
// costs below HTTP, with the job queue set but not started (no job is
// worked), from one goroutine ("serial") and from the benchmark's clients
// at once ("concurrent"):
//
//   - submit: intake.Service.Submit, as the handler calls it: validation,
//     tokens, encryption and the store's transaction with its River insert;
//   - submit-noriver: the same with a queue that inserts nothing;
//   - river: a transaction holding only the River insert of one triage job;
//   - baseline: the baseline's one INSERT.
//
// BenchmarkStatements lists the statements behind these numbers.
func BenchmarkStore(b *testing.B) {
	for _, backend := range dbtest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			f := newFixture(b, backend)
			// Stop the workers: only what a request does is measured.
			f.stopJobs(b)
			svc := &intake.Service{Store: f.store, PublicURL: "http://bench.example"}
			ctx := context.Background()
			var prefix string
			op := map[string]func(i int) error{
				"submit": func(i int) error {
					_, err := svc.Submit(ctx, undox.Public, submission(prefix, i))
					return err
				},
				"submit-noriver": func(i int) error {
					_, err := svc.Submit(ctx, undox.Public, submission(prefix, i))
					return err
				},
				"river": func(i int) error {
					tx, err := f.db.SQL.BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					if err := f.queue.EnqueueTx(ctx, tx, undox.TriageJob{CaseIDs: []int64{int64(i)}}); err != nil {
						tx.Rollback()
						return err
					}
					return tx.Commit()
				},
				"baseline": func(i int) error {
					rep := submission(prefix, i).Report
					_, err := f.db.SQL.ExecContext(ctx, `INSERT INTO bench_baseline_reports
                        (urls, category, description, is_minor, reporter_email, language, consent, created_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, strings.Join(rep.URLs, "\n"), rep.Category, rep.Description,
						rep.IsMinor, rep.ReporterEmail, rep.Language, rep.Consent, time.Now().UnixMicro())
					return err
				},
			}
			for _, name := range []string{"submit", "submit-noriver", "river", "baseline"} {
				for _, mode := range []string{"serial", "concurrent"} {
					b.Run(name+"/"+mode, func(b *testing.B) {
						if name == "submit-noriver" {
							f.store.SetQueue(nopEnqueuer{})
							defer f.store.SetQueue(f.queue)
						}
						prefix = newPrefix()
						c := 1
						if mode == "concurrent" {
							c = f.clients
						}
						b.ResetTimer()
						r := runOps(b.N, c, op[name])
						b.StopTimer()
						if r.failures > 0 {
							b.Fatalf("%d of %d failed; first: %v", r.failures, b.N, r.firstErr)
						}
						b.ReportMetric(r.perSecond(), "ops/s")
						b.ReportMetric(float64(r.elapsed.Microseconds())/float64(b.N), "µs/op")
					})
				}
			}
		})
	}
}

// submission is the synthetic report number i of a batch.
func submission(prefix string, i int) intake.Submission {
	return intake.Submission{Report: undox.Report{
		URLs:          []string{"https://dox.example/p/" + prefix + "-" + strconv.Itoa(i)},
		Category:      "doxing",
		IsMinor:       true,
		ReporterEmail: "r@example.org",
		Consent:       true,
	}}
}
