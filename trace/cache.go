package trace

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// CacheConfig bounds what a Service remembers of its lookups. Zero values
// select the defaults.
type CacheConfig struct {
	// MaxEntries bounds each kind of lookup's cache (DNS, RDAP networks,
	// RDAP AS numbers, RDAP domains, WHOIS, security.txt); the least recently
	// used entries go first. Default 10,000.
	MaxEntries int
	// DNSMinTTL and DNSMaxTTL bound how long a DNS answer is kept: its
	// records' smallest TTL, raised to the minimum and cut to the maximum.
	// Defaults 30 s and 1 h.
	DNSMinTTL, DNSMaxTTL time.Duration
	// RDAPTTL is how long an RDAP answer (network, AS, domain) is kept.
	// Default 24 h.
	RDAPTTL time.Duration
	// WHOISTTL is how long a WHOIS answer is kept. Default 24 h.
	WHOISTTL time.Duration
	// SecurityTxtTTL is how long a site's security.txt (or its absence) is
	// kept. Default 6 h.
	SecurityTxtTTL time.Duration
	// FailureTTL is how long a failed lookup (NXDOMAIN, not found, timeout,
	// 429 …) is remembered before it is asked again. Default 2 min.
	FailureTTL time.Duration
	// Disabled turns caching off: every trace asks again. Concurrent traces
	// still share a lookup that is in flight.
	Disabled bool
}

func (c CacheConfig) withDefaults() CacheConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = 10000
	}
	def(&c.DNSMinTTL, 30*time.Second)
	def(&c.DNSMaxTTL, time.Hour)
	if c.DNSMaxTTL < c.DNSMinTTL {
		c.DNSMaxTTL = c.DNSMinTTL
	}
	def(&c.RDAPTTL, 24*time.Hour)
	def(&c.WHOISTTL, 24*time.Hour)
	def(&c.SecurityTxtTTL, 6*time.Hour)
	def(&c.FailureTTL, 2*time.Minute)
	return c
}

// CacheStats counts one cache's use.
type CacheStats struct {
	Entries int   `json:"entries"`
	Hits    int64 `json:"hits"`    // answered from the cache
	Shared  int64 `json:"shared"`  // waited for the same lookup made by another trace
	Lookups int64 `json:"lookups"` // lookups made
}

// result is what one lookup gave, kept in a cache: the value and the error
// (a failure is remembered too, for less long), and when it was looked up.
type result[V any] struct {
	val V
	err error
	at  time.Time
}

type cacheEntry[V any] struct {
	key string
	res result[V]
	exp time.Time
}

// cache is a bounded in-memory cache of one kind of lookup, with a TTL per
// entry, that makes one lookup of a key at a time (concurrent callers share
// it). It is safe for concurrent use.
type cache[V any] struct {
	max      int
	disabled bool
	now      func() time.Time
	timeout  time.Duration

	mu sync.Mutex
	m  map[string]*list.Element
	ll *list.List

	sf                    singleflight.Group
	hits, shared, lookups atomic.Int64
}

func newCache[V any](max int, disabled bool, now func() time.Time, timeout time.Duration) *cache[V] {
	return &cache[V]{max: max, disabled: disabled, now: now, timeout: timeout,
		m: map[string]*list.Element{}, ll: list.New()}
}

// get returns the cached result for key, or makes the lookup with fn and
// keeps its result for ttl(result) (nothing is kept for ttl <= 0, nor for a
// lookup cancelled by its caller). fn runs detached from the caller's
// cancellation, bounded by the cache's timeout, so that a trace that gives
// up does not fail the others waiting for the same lookup; the caller
// still returns as soon as its own ctx is done.
func (c *cache[V]) get(ctx context.Context, key string, fn func(context.Context) (V, error), ttl func(V, error) time.Duration) result[V] {
	if r, ok := c.lookup(key); ok {
		c.hits.Add(1)
		return r
	}
	ch := c.sf.DoChan(key, func() (any, error) {
		if r, ok := c.lookup(key); ok { // filled while this call waited
			c.hits.Add(1)
			return r, nil
		}
		c.lookups.Add(1)
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		v, err := fn(lctx)
		r := result[V]{val: v, err: err, at: c.now().UTC()}
		if d := ttl(v, err); d > 0 && !c.disabled && !errors.Is(err, context.Canceled) {
			c.store(key, r, d)
		}
		return r, nil
	})
	select {
	case out := <-ch:
		if out.Shared {
			c.shared.Add(1)
		}
		return out.Val.(result[V])
	case <-ctx.Done():
		var zero V
		return result[V]{val: zero, err: ctx.Err(), at: c.now().UTC()}
	}
}

func (c *cache[V]) lookup(key string) (result[V], bool) {
	if c.disabled {
		return result[V]{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok {
		return result[V]{}, false
	}
	e := el.Value.(*cacheEntry[V])
	if !c.now().Before(e.exp) {
		c.ll.Remove(el)
		delete(c.m, key)
		return result[V]{}, false
	}
	c.ll.MoveToFront(el)
	return e.res, true
}

func (c *cache[V]) store(key string, r result[V], ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp := c.now().Add(ttl)
	if el, ok := c.m[key]; ok {
		e := el.Value.(*cacheEntry[V])
		e.res, e.exp = r, exp
		c.ll.MoveToFront(el)
		return
	}
	c.m[key] = c.ll.PushFront(&cacheEntry[V]{key: key, res: r, exp: exp})
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(*cacheEntry[V]).key)
	}
}

func (c *cache[V]) stats() CacheStats {
	c.mu.Lock()
	n := c.ll.Len()
	c.mu.Unlock()
	return CacheStats{Entries: n, Hits: c.hits.Load(), Shared: c.shared.Load(), Lookups: c.lookups.Load()}
}

func (c *cache[V]) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = map[string]*list.Element{}
	c.ll.Init()
}
