package trace

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/trace/dns"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCacheTTLAndBound(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	c := newCache[string](2, false, clk.now, time.Minute)
	var calls atomic.Int64
	errBoom := errors.New("boom")
	fn := func(v string, err error) func(context.Context) (string, error) {
		return func(context.Context) (string, error) {
			calls.Add(1)
			return v, err
		}
	}
	ttl := func(_ string, err error) time.Duration {
		if err != nil {
			return time.Second
		}
		return time.Hour
	}
	ctx := context.Background()

	r := c.get(ctx, "a", fn("A", nil), ttl)
	require.Equal(t, "A", r.val)
	require.Equal(t, clk.now(), r.at)
	r = c.get(ctx, "a", fn("other", nil), ttl)
	require.Equal(t, "A", r.val, "kept")
	require.EqualValues(t, 1, calls.Load())

	// A failure is kept for its short TTL.
	r = c.get(ctx, "b", fn("", errBoom), ttl)
	require.ErrorIs(t, r.err, errBoom)
	r = c.get(ctx, "b", fn("B", nil), ttl)
	require.ErrorIs(t, r.err, errBoom)
	clk.add(2 * time.Second)
	r = c.get(ctx, "b", fn("B", nil), ttl)
	require.NoError(t, r.err)
	require.Equal(t, "B", r.val)
	require.EqualValues(t, 3, calls.Load())

	// Bounded: a third key pushes out the least recently used ("a").
	c.get(ctx, "c", fn("C", nil), ttl)
	require.Equal(t, 2, c.stats().Entries)
	c.get(ctx, "a", fn("A2", nil), ttl)
	require.EqualValues(t, 5, calls.Load())

	// Expiry.
	clk.add(2 * time.Hour)
	r = c.get(ctx, "c", fn("C2", nil), ttl)
	require.Equal(t, "C2", r.val)

	// Nothing is kept for a TTL of 0, nor when caching is off.
	r = c.get(ctx, "z", fn("Z", nil), func(string, error) time.Duration { return 0 })
	require.Equal(t, "Z", r.val)
	off := newCache[string](10, true, clk.now, time.Minute)
	off.get(ctx, "a", fn("A", nil), ttl)
	off.get(ctx, "a", fn("A", nil), ttl)
	require.Zero(t, off.stats().Entries)
	st := c.stats()
	require.Positive(t, st.Hits)
	require.Positive(t, st.Lookups)
}

func TestCacheSharesALookupAndLetsCallersGo(t *testing.T) {
	c := newCache[int](10, false, time.Now, time.Minute)
	release := make(chan struct{})
	var calls atomic.Int64
	slow := func(ctx context.Context) (int, error) {
		calls.Add(1)
		select {
		case <-release:
			return 42, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	ttl := func(int, error) time.Duration { return time.Hour }

	// A caller that gives up returns at once; the lookup goes on for the
	// others and is kept.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result[int])
	go func() { done <- c.get(ctx, "k", slow, ttl) }()
	var wg sync.WaitGroup
	got := make([]int, 4)
	for i := range got {
		wg.Go(func() { got[i] = c.get(context.Background(), "k", slow, ttl).val })
	}
	cancel()
	r := <-done
	require.ErrorIs(t, r.err, context.Canceled)
	close(release)
	wg.Wait()
	require.Equal(t, []int{42, 42, 42, 42}, got)
	require.EqualValues(t, 1, calls.Load())
	require.Equal(t, 42, c.get(context.Background(), "k", slow, ttl).val)
	require.EqualValues(t, 1, calls.Load())
}

func TestDNSTTLBounds(t *testing.T) {
	cc := CacheConfig{}.withDefaults()
	recs := func(ttls ...uint32) map[string][]dns.Record {
		m := map[string][]dns.Record{}
		for _, v := range ttls {
			m["A"] = append(m["A"], dns.Record{Type: "A", TTL: v})
		}
		return m
	}
	require.Equal(t, 5*time.Minute, dnsTTL(recs(300, 3600), cc))
	require.Equal(t, 30*time.Second, dnsTTL(recs(0, 3600), cc), "raised to the minimum")
	require.Equal(t, time.Hour, dnsTTL(recs(86400), cc), "cut to the maximum")
}
