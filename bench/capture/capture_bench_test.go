// Package capturebench measures capture: pages per second for fetching a
// reported page through the safe fetcher, decoding it to UTF-8, extracting
// its text, hashing the text and storing the raw body and the text in the
// encrypted evidence store, with concurrent workers, against a baseline
// measured in the same run: a plain net/http client that GETs the same pages
// and reads their bodies.
//
// The pages are distinct synthetic HTML pages of about 20 KB (pages_test.go)
// served from a loopback server in this process.
//
// Run it with bench/capture/run.sh, or:
//
//	go test ./bench/capture -run '^$' -bench '^BenchmarkCapture$' -benchtime 3000x
//
// Performance is reported (pages/s, p50-ms, p99-ms, cpu-µs/op), never
// asserted: no test here fails on timing. A plain `go test` runs only a
// quick check of the harness.
package capturebench

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/undox/undox/bench/load"
	"github.com/undox/undox/bench/pagegen"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/capture"
	"github.com/undox/undox/capture/extract"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/secret"
)

// DefaultWorkers is how many pages are captured at once by default.
const DefaultWorkers = 16

var workersFlag = flag.Int("workers", 0, "concurrent workers (default: $BENCH_WORKERS, else 16)")

// workers returns the number of concurrent workers: -workers, then
// BENCH_WORKERS, then DefaultWorkers.
func workers(tb testing.TB) int {
	return load.Concurrency(tb, *workersFlag, "BENCH_WORKERS", DefaultWorkers)
}

// fixture is the loopback page server, undox's safe fetcher allowed to
// reach it (127.0.0.1 only, any port), and the baseline's plain client.
type fixture struct {
	server  *httptest.Server
	fetcher *fetch.Fetcher
	client  *http.Client
	workers int
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{workers: workers(tb)}
	f.server = httptest.NewServer(load.Labeled("server", pageHandler()))
	tb.Cleanup(f.server.Close)
	// As `undox capture --allow-networks 127.0.0.1/32` configures it,
	// with every other default (bounds, timeouts, the system resolver,
	// connections kept alive and reused between fetches).
	f.fetcher = fetch.New(fetch.Config{
		AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		AllowAnyPort:  true,
	})
	tb.Cleanup(f.fetcher.CloseIdleConnections)
	// The baseline: net/http's default transport, with an idle connection
	// kept for every worker.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConns = 2 * f.workers
	tr.MaxIdleConnsPerHost = f.workers
	f.client = &http.Client{Transport: tr, Timeout: time.Minute}
	tb.Cleanup(tr.CloseIdleConnections)
	return f
}

func (f *fixture) pageURL(i int) string { return f.server.URL + pagePath(i) }

// evidence is where one measurement stores what it captures: a fresh
// folder, and a case of its own with a random 32-byte key, as the capture
// of a case's items will store them.
type evidence struct {
	store *blob.Dir
	key   []byte
	owner string
}

// The stores of all measurements are made in one folder (in $BENCH_DIR,
// else the system's temporary folder), deleted when the process ends, not
// after each measurement: deleting thousands of files can slow down the
// creation of files for minutes afterwards on some file systems (see the
// README), and one measurement should not pay for the one before.
var (
	rootOnce sync.Once
	root     string
	rootErr  error
)

func storeRoot() (string, error) {
	rootOnce.Do(func() { root, rootErr = os.MkdirTemp(os.Getenv("BENCH_DIR"), "undox-bench-capture-") })
	return root, rootErr
}

func TestMain(m *testing.M) {
	code := m.Run()
	if root != "" {
		if err := os.RemoveAll(root); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

func newEvidence(tb testing.TB) *evidence {
	tb.Helper()
	parent, err := storeRoot()
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := os.MkdirTemp(parent, "store-")
	if err != nil {
		tb.Fatal(err)
	}
	store, err := blob.NewDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	ref := make([]byte, 6)
	rand.Read(ref)
	return &evidence{store: store, key: key, owner: "BENCH-" + strings.ToUpper(hex.EncodeToString(ref))}
}

// captured is what the undox variant keeps of one page.
type captured struct {
	summary    capture.Summary
	body, text blob.Ref
	// How long fetching, decoding and extracting took, and hashing and
	// storing.
	captureTime, storeTime time.Duration
}

// capturePage is capture.Page (fetch, decode to UTF-8, extract the text,
// hash it) with the raw body kept, since capture.Page's Summary does not
// hold it, then the store: the raw body and the text, each sealed under
// the case's key. TestHarness checks that the summary is the one
// capture.Page returns for the same page.
func (e *evidence) capturePage(ctx context.Context, f *fetch.Fetcher, url string) (*captured, error) {
	t0 := time.Now()
	res, err := f.Fetch(ctx, url)
	if err != nil {
		return nil, err
	}
	if res.Status != http.StatusOK {
		return nil, fmt.Errorf("%s: status %d", url, res.Status)
	}
	s := capture.Summary{URL: url, FinalURL: res.FinalURL, Status: res.Status, SHA256: res.SHA256, Size: res.Size,
		ContentType: res.ContentType, Charset: res.Charset, FetchedAt: res.FetchedAt, Text: res.Text}
	if res.MediaType == "text/html" || res.MediaType == "application/xhtml+xml" {
		if page, perr := extract.HTML(res.TextBytes(), res.FinalURL); perr == nil {
			s.Title, s.Text, s.Links, s.Images = page.Title, page.Text, len(page.Links), len(page.Images)
		}
	}
	if s.Text == "" {
		return nil, fmt.Errorf("%s: no text", url)
	}
	text := []byte(s.Text) // as a capture keeps it (capture.Service)
	sum := sha256.Sum256(text)
	s.TextSHA256 = hex.EncodeToString(sum[:])
	t1 := time.Now()

	c := &captured{summary: s, captureTime: t1.Sub(t0)}
	// As a capture puts them: with the SHA-256 the fetcher and the
	// capture computed, which the store does not compute again.
	var bodySum [sha256.Size]byte
	if _, err := hex.Decode(bodySum[:], []byte(res.SHA256)); err != nil {
		return nil, err
	}
	if c.body, err = e.store.PutLater(ctx, blob.Hashed(res.Body, bodySum), e.key, e.owner); err != nil {
		return nil, err
	}
	if c.text, err = e.store.PutLater(ctx, blob.Hashed(text, sum), e.key, e.owner); err != nil {
		return nil, err
	}
	// Both durable with one sync, as a capture stores its files.
	if err := e.store.Sync(ctx); err != nil {
		return nil, err
	}
	if c.body.SHA256 != s.SHA256 || c.text.SHA256 != s.TextSHA256 {
		return nil, fmt.Errorf("%s: stored %s and %s for body %s and text %s", url, c.body.SHA256, c.text.SHA256, s.SHA256, s.TextSHA256)
	}
	c.storeTime = time.Since(t1)
	return c, nil
}

// baselineGet is the baseline: GET and read the body with the plain client.
func baselineGet(client *http.Client, url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return body, nil
}

// warmUpFirst is the first page number of warm-ups, far from the measured
// pages 0 … b.N-1.
const warmUpFirst = 1_000_000_000

// undoxOp captures page first+i and stores it in e.
func (f *fixture) undoxOp(e *evidence, first int, captureNs, storeNs *atomic.Int64) func(int) error {
	ctx := context.Background()
	return func(i int) error {
		c, err := e.capturePage(ctx, f.fetcher, f.pageURL(first+i))
		if err != nil {
			return err
		}
		captureNs.Add(int64(c.captureTime))
		storeNs.Add(int64(c.storeTime))
		return nil
	}
}

// baselineOp fetches page first+i with the plain client.
func (f *fixture) baselineOp(first int) func(int) error {
	return func(i int) error {
		body, err := baselineGet(f.client, f.pageURL(first+i))
		if err == nil && len(body) != pool[(first+i)%poolSize].size() {
			err = fmt.Errorf("page %d: %d bytes, want %d", first+i, len(body), pool[(first+i)%poolSize].size())
		}
		return err
	}
}

// measure runs op over pages 0 … b.N-1 after a warm-up (which, for the
// baseline, opens every worker's connection), and reports the metrics.
func (f *fixture) measure(b *testing.B, name string, op func(first int) func(int) error, extra func(b *testing.B)) {
	if w := load.Ops(name, f.workers, f.workers, op(warmUpFirst)); w.Failures > 0 {
		b.Fatalf("warm-up: %d of %d pages failed; first: %v", w.Failures, f.workers, w.FirstErr)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	r := load.Ops(name, b.N, f.workers, op(0))
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if r.Failures > 0 {
		b.Fatalf("%d of %d pages failed; first: %v", r.Failures, b.N, r.FirstErr)
	}
	b.ReportMetric(r.PerSecond(), "pages/s")
	b.ReportMetric(r.Quantile(0.50), "p50-ms")
	b.ReportMetric(r.Quantile(0.99), "p99-ms")
	// CPU per page of the whole process: workers, the fetcher's or the
	// client's connections, and the page server (the same for both).
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	if extra != nil {
		extra(b)
	}
}

// cpuTime is the CPU time this process used so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCapture measures capture of distinct 20 KB pages from a
// loopback server by concurrent workers: undox (safe fetch, decode,
// extract, hash, encrypted store of body and text) and the baseline (a
// plain net/http client's GET and read of the body), in the same run.
func BenchmarkCapture(b *testing.B) {
	f := newFixture(b)
	b.Logf("%d concurrent workers, pages of %d-%d bytes", f.workers, minPageSize(), maxPageSize())
	b.Run("undox", func(b *testing.B) {
		e := newEvidence(b) // a fresh store and case: nothing is stored already
		var captureNs, storeNs atomic.Int64
		f.measure(b, "undox", func(first int) func(int) error {
			captureNs.Store(0)
			storeNs.Store(0)
			return f.undoxOp(e, first, &captureNs, &storeNs)
		}, func(b *testing.B) {
			// Where a page's latency goes, on average: fetch, decode and
			// extract; hash and store.
			b.ReportMetric(float64(captureNs.Load())/float64(b.N)/1e6, "capture-ms")
			b.ReportMetric(float64(storeNs.Load())/float64(b.N)/1e6, "store-ms")
		})
	})
	b.Run("baseline", func(b *testing.B) {
		f.measure(b, "baseline", f.baselineOp, nil)
	})
}

func minPageSize() int {
	n := math.MaxInt
	for _, t := range pool {
		n = min(n, t.size())
	}
	return n
}

func maxPageSize() int {
	n := 0
	for _, t := range pool {
		n = max(n, t.size())
	}
	return n
}

// TestHarness runs a few pages through both variants, quickly, and checks
// what they got: the baseline the page as served; undox the summary
// capture.Page returns, and blobs that decrypt back to the page and its
// text. It measures nothing.
func TestHarness(t *testing.T) {
	f := newFixture(t)
	e := newEvidence(t)
	ctx := context.Background()

	if lo, hi := minPageSize(), maxPageSize(); lo < 19<<10 || hi > 21<<10 {
		t.Errorf("pages of %d-%d bytes, want about 20 KB", lo, hi)
	}
	const n = 12 // every kind of page (charset, label) three times
	var mu sync.Mutex
	got := map[int]*captured{}
	r := load.Ops("undox", n, 4, func(i int) error {
		c, err := e.capturePage(ctx, f.fetcher, f.pageURL(i))
		if err == nil {
			mu.Lock()
			got[i] = c
			mu.Unlock()
		}
		return err
	})
	if r.Failures > 0 {
		t.Fatalf("undox: %d of %d pages failed; first: %v", r.Failures, n, r.FirstErr)
	}
	if b := load.Ops("baseline", n, 4, f.baselineOp(0)); b.Failures > 0 {
		t.Fatalf("baseline: %d of %d pages failed; first: %v", b.Failures, n, b.FirstErr)
	}
	if len(r.Lat) != n || r.Quantile(0.5) <= 0 || r.Quantile(0.99) < r.Quantile(0.5) {
		t.Fatalf("latencies: %v", r.Lat)
	}

	read := func(ref blob.Ref) []byte {
		t.Helper()
		rc, err := e.store.Get(ctx, ref, e.key)
		if err != nil {
			t.Fatalf("get %s: %v", ref.SHA256, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	seen := map[string]int{}
	for i := range n {
		c, want := got[i], pageBytes(i)
		s := c.summary
		if body, err := baselineGet(f.client, f.pageURL(i)); err != nil || !bytes.Equal(body, want) {
			t.Errorf("page %d: the baseline got %d bytes (%v), not the page", i, len(body), err)
		}
		// The stored blobs decrypt back to the page as served and to its text.
		if b := read(c.body); !bytes.Equal(b, want) {
			t.Errorf("page %d: the stored body (%d bytes) is not the page (%d bytes)", i, len(b), len(want))
		}
		if b := read(c.text); string(b) != s.Text {
			t.Errorf("page %d: the stored text differs from the extracted text", i)
		}
		if sum := sha256.Sum256(want); c.body.SHA256 != hex.EncodeToString(sum[:]) || c.body.Size != int64(len(want)) {
			t.Errorf("page %d: body ref %+v", i, c.body)
		}
		if _, err := e.store.Get(ctx, c.body, make([]byte, secret.KeySize)); !errors.Is(err, blob.ErrWrongKey) {
			t.Errorf("page %d: the body opened under another key: %v", i, err)
		}
		if j, dup := seen[c.body.SHA256]; dup {
			t.Errorf("pages %d and %d are the same", j, i)
		}
		seen[c.body.SHA256] = i

		// What the benchmark measures is what capture.Page does.
		p, err := capture.Page(ctx, f.fetcher, f.pageURL(i))
		if err != nil {
			t.Fatalf("capture.Page %d: %v", i, err)
		}
		if p.SHA256 != s.SHA256 || p.TextSHA256 != s.TextSHA256 || p.Title != s.Title || p.Charset != s.Charset ||
			p.Links != s.Links || p.Images != s.Images || p.Text != s.Text {
			t.Errorf("page %d: capture.Page says %+v, the benchmark %+v", i, p, s)
		}

		// Decoded from its charset, with the text extracted.
		kind := pool[i%poolSize]
		if s.Charset != kind.charset {
			t.Errorf("page %d: charset %q, want %q", i, s.Charset, kind.charset)
		}
		id := pageID(i)
		if !strings.HasPrefix(s.Title, "Draad "+id+": ") || !strings.HasSuffix(s.Title, " – Buurtforum") {
			t.Errorf("page %d: title %q", i, s.Title)
		}
		if !strings.Contains(s.Text, "Draad "+id+": ") || !strings.Contains(s.Text, pagegen.FixedPhrase) {
			t.Errorf("page %d: the text lacks the heading or %q:\n%.600s", i, pagegen.FixedPhrase, s.Text)
		}
		if strings.Contains(s.Text, "<") || strings.Contains(s.Text, "dataLayer") || strings.ContainsRune(s.Text, '\uFFFD') {
			t.Errorf("page %d: the text holds markup, script or undecodable bytes:\n%.600s", i, s.Text)
		}
		if s.Links < 10 || s.Images < 2 {
			t.Errorf("page %d: %d links and %d images", i, s.Links, s.Images)
		}
	}

	// The fetcher reuses its connections, and says so with the evidence of
	// the connection's dial.
	for range 2 {
		res, err := f.fetcher.Fetch(ctx, f.pageURL(0))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Reused || res.DialedAt.IsZero() || res.Remote.String() != f.server.Listener.Addr().String() {
			t.Errorf("reused %v, dialled at %v, remote %v; the server is at %v", res.Reused, res.DialedAt, res.Remote, f.server.Listener.Addr())
		}
	}
}
