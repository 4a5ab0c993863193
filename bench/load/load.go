// Package load drives the benchmarks under bench/: it runs an operation
// from many goroutines at once and measures each call.
package load

import (
	"context"
	"math"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Concurrency is how many goroutines a benchmark runs: the flag's value
// if set, else the environment variable env, else def.
func Concurrency(tb testing.TB, flagValue int, env string, def int) int {
	if flagValue > 0 {
		return flagValue
	}
	if v := os.Getenv(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			tb.Fatalf("%s=%q: want a positive number", env, v)
		}
		return n
	}
	return def
}

// Run is the outcome of n operations.
type Run struct {
	Elapsed  time.Duration
	Lat      []time.Duration // sorted
	Failures int64
	FirstErr error
}

// PerSecond is the operations completed per second.
func (r Run) PerSecond() float64 { return float64(len(r.Lat)) / r.Elapsed.Seconds() }

// Quantile returns the q-quantile latency (nearest rank) in milliseconds.
func (r Run) Quantile(q float64) float64 {
	if len(r.Lat) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(r.Lat)))) - 1
	i = max(0, min(i, len(r.Lat)-1))
	return float64(r.Lat[i]) / float64(time.Millisecond)
}

// Ops calls op(0) … op(n-1) from c goroutines at once, labelled role for
// the profiler, and measures each call's latency.
func Ops(role string, n, c int, op func(i int) error) Run {
	lat := make([]time.Duration, n)
	var (
		next     atomic.Int64
		failures atomic.Int64
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	labels := pprof.WithLabels(context.Background(), pprof.Labels("role", role))
	start := time.Now()
	for range min(c, n) {
		wg.Go(func() {
			pprof.SetGoroutineLabels(labels)
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				err := op(i)
				lat[i] = time.Since(t0)
				if err != nil {
					failures.Add(1)
					errOnce.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return Run{Elapsed: elapsed, Lat: lat, Failures: failures.Load(), FirstErr: firstErr}
}

// Labeled serves h with the profiler label role, so that a CPU profile
// tells servers and clients apart: go tool pprof -tagfocus role=NAME.
func Labeled(role string, h http.Handler) http.Handler {
	labels := pprof.Labels("role", role)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pprof.Do(r.Context(), labels, func(ctx context.Context) { h.ServeHTTP(w, r.WithContext(ctx)) })
	})
}
