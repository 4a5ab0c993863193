// Package takedownbench measures the takedown issue's benchmark: the time
// from `POST /api/v1/reports` to the notice being accepted by the SMTP
// server, on the automatic path — a re-upload of content already confirmed
// for a case, reported by anyone — on SQLite and on PostgreSQL, against a
// baseline measured in the same run: the same pipeline's bare fetch and
// SMTP send, one URL after another in a straight loop.
//
// undox runs as the real program: the benchmark builds the binary (or
// takes BENCH_UNDOX_BIN) and starts `undox serve` in a process of its own,
// with a loopback DNS server, a loopback doxing site and an SMTP server
// (emersion/go-smtp) in the benchmark's process.
//
// Run it with bench/takedown/run.sh, or:
//
//	go test ./bench/takedown -run '^$' -bench '^BenchmarkTakedown$' -benchtime 1000x
//
// Performance is reported (p50-ms, p95-ms, max-ms, lost), never asserted:
// no test here fails on timing. A plain `go test` runs only TestHarness, a
// check of the whole harness with three re-uploads on SQLite.
package takedownbench

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/dnstest"
	"github.com/undox/undox/mail"
)

// Defaults of the measured run.
const (
	DefaultRate    = 20.0 // reports per second
	DefaultClients = 4
	DefaultTimeout = 10 * time.Minute
)

// rate is BENCH_RATE, the reports sent per second (default 20).
func rate(tb testing.TB) float64 {
	if v := os.Getenv("BENCH_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 {
			tb.Fatalf("BENCH_RATE=%q: want a positive number", v)
		}
		return r
	}
	return DefaultRate
}

// clients is BENCH_CLIENTS, the concurrent clients that send the reports
// (default 4).
func clients(tb testing.TB) int {
	if v := os.Getenv("BENCH_CLIENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			tb.Fatalf("BENCH_CLIENTS=%q: want a positive number", v)
		}
		return n
	}
	return DefaultClients
}

// timeout is BENCH_TIMEOUT: how long after the last report the benchmark
// waits for the notices still missing (default 10 minutes).
func timeout(tb testing.TB) time.Duration {
	if v := os.Getenv("BENCH_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			tb.Fatalf("BENCH_TIMEOUT=%q: want a duration", v)
		}
		return d
	}
	return DefaultTimeout
}

// runID keeps the URLs of this process apart from any other's.
var runID = func() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}()

var batch atomic.Int64

func newPrefix() string { return runID + "-" + strconv.FormatInt(batch.Add(1), 10) }

// fixture is one backend's set-up: undox serving over a fresh database,
// the doxing site, DNS, the SMTP server, and the victim's case with its
// first page confirmed and notified.
type fixture struct {
	backend string
	proc    *process
	dns     *dnstest.Server
	site    string // http://doxsite.test:PORT
	hits    *atomic.Int64
	mail    *sink
	public  *api // no token, as victims and bystanders report
	analyst *api

	victimRef    string
	victimItem   int64
	noticeSize   int // bytes of the victim's notice, for the baseline's messages
	setupElapsed time.Duration

	fetcher *fetch.Fetcher
	sender  *mail.Sender

	pg       *sql.DB  // PostgreSQL: to find the database's server processes
	lastURLs []string // of the last undox run, for the baseline
	tables   []string // where the time went, per measured run
}

func newFixture(tb testing.TB, backend dbtest.Backend) *fixture {
	tb.Helper()
	start := time.Now()
	database := ""
	if dbtest.IsPostgres(backend.Name) {
		// A fresh database, dropped at the end (after serve stopped:
		// cleanups run in reverse); skips without UNDOX_TEST_POSTGRES_URL.
		database = dbtest.PostgresURL(tb)
	}
	f := &fixture{backend: backend.Name}
	f.dns = dnstest.Start(tb, map[string][]netip.Addr{siteHost: {netip.MustParseAddr("127.0.0.1")}})
	port, hits := startSite(tb)
	f.site, f.hits = "http://"+siteHost+":"+port, hits
	f.mail = startSink(tb)
	data := tb.TempDir()
	f.proc = startServe(tb, data, database,
		"--dns-server", f.dns.Addr,
		"--allow-networks", "127.0.0.1/32", "--allow-any-port",
		"--screenshots", "off",
		"--smtp", "smtp://"+f.mail.addr, "--mail-from", mailFrom,
		"--notifier-name", "Meldpunt Voorbeeld", "--trusted-flagger", "ACM/UIT/000001",
		"--reports-per-minute", "0")

	tr := &http.Transport{Proxy: nil, MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 2 * time.Minute}
	tb.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	f.public = &api{base: f.proc.URL, client: client}
	f.analyst = &api{base: f.proc.URL, client: client, token: f.proc.token(tb, "analyst")}

	if database != "" {
		db, err := sql.Open("pgx", database)
		if err != nil {
			tb.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		tb.Cleanup(func() { db.Close() })
		f.pg = db
	}
	f.setupVictim(tb)

	// The baseline's parts: the safe fetcher configured as serve's
	// (--allow-networks 127.0.0.1/32 --allow-any-port --dns-server), and
	// the mail package's sender to the same SMTP server.
	f.fetcher = fetch.New(fetch.Config{
		AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		AllowAnyPort:  true,
		Resolver:      fetch.DNSServer(f.dns.Addr),
		MaxBodyBytes:  fetch.DefaultMaxBodyBytes,
	})
	tb.Cleanup(f.fetcher.CloseIdleConnections)
	var err error
	if f.sender, err = mail.NewSender(mail.Config{URL: "smtp://" + f.mail.addr, From: mailFrom}); err != nil {
		tb.Fatal(err)
	}
	f.setupElapsed = time.Since(start)
	return f
}

// setupVictim makes the victim's case as an analyst would (not measured):
// the host's abuse desk in the contact book; the victim's report of the
// first page; the protected person's identifiers; a capture whose scan
// matches her; the page confirmed and its notice approved and delivered.
func (f *fixture) setupVictim(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	f.analyst.must(tb, http.StatusCreated, "POST", "/api/v1/contacts", map[string]any{"scope": "domain", "key": siteHost,
		"role": "host", "name": "Voorbeeld Hosting", "email": abuseAddress, "language": "nl"})

	victimURL := f.site + "/p/victim-" + runID
	rcpt := f.public.must(tb, http.StatusCreated, "POST", "/api/v1/reports", map[string]any{"urls": []string{victimURL}, "category": "doxing"})
	f.victimRef = rcpt["case"].(string)
	for _, kv := range [][2]string{{"name", personName}, {"phone", personPhone}, {"address", personAddress}} {
		f.analyst.must(tb, http.StatusCreated, "POST", "/api/v1/cases/"+f.victimRef+"/identifiers", map[string]any{"kind": kv[0], "value": kv[1]})
	}
	c := f.analyst.must(tb, http.StatusOK, "GET", "/api/v1/cases/"+f.victimRef, nil)
	f.victimItem = int64(c["items"].([]any)[0].(map[string]any)["id"].(float64))
	item := "/api/v1/items/" + strconv.FormatInt(f.victimItem, 10)
	person := f.victimRef + "/1"

	// The page may have been captured before the watch saw her
	// identifiers (it looks every 2 s): capture it again until a scan
	// matches her.
	requested := -1
	var state any
	defer func() {
		if tb.Failed() {
			tb.Logf("the victim's item: %v\n%s", state, f.proc.logTail())
		}
	}()
	eventually(tb, 2*time.Minute, 200*time.Millisecond, "the victim's page captured, traced and matched", func() (bool, error) {
		code, it, err := f.analyst.call(ctx, "GET", item, nil)
		if err != nil || code != http.StatusOK {
			return false, err
		}
		state = it
		if it["status"] != "captured" || it["traced_at"] == nil {
			return false, nil
		}
		code, l, err := f.analyst.call(ctx, "GET", item+"/captures", nil)
		if err != nil || code != http.StatusOK {
			return false, err
		}
		caps, _ := l["captures"].([]any)
		if len(caps) == 0 {
			return false, nil
		}
		latest, _ := caps[len(caps)-1].(map[string]any)
		scan, _ := latest["scan"].(map[string]any)
		summary, _ := scan["summary"].(map[string]any)
		matches, _ := summary["matches"].([]any)
		for _, m := range matches {
			if m, _ := m.(map[string]any); m["person"] == person {
				return true, nil
			}
		}
		if requested != len(caps) {
			requested = len(caps)
			code, out, err := f.analyst.call(ctx, "POST", item+"/captures", nil)
			if err != nil || code != http.StatusAccepted {
				return false, fmt.Errorf("asking for a capture: %d %v %v", code, out, err)
			}
		}
		return false, nil
	})

	confirmed := f.analyst.must(tb, http.StatusOK, "POST", item+"/confirm", map[string]any{"reason": "doxes a protected person's home address"})
	n, _ := confirmed["notice"].(map[string]any)
	if n == nil || n["address"] != abuseAddress {
		tb.Fatalf("the victim's notice: %v", confirmed)
	}
	f.analyst.must(tb, http.StatusAccepted, "POST", "/api/v1/notices/"+strconv.FormatInt(int64(n["id"].(float64)), 10)+"/approve", nil)
	if missing := f.mail.waitFor([]string{victimURL}, time.Now().Add(2*time.Minute)); missing > 0 {
		tb.Fatalf("the victim's notice did not arrive:\n%s", f.proc.logTail())
	}
	f.noticeSize = f.mail.meanSize()
}

// result is one measured run.
type result struct {
	urls     []string
	sent     []time.Time     // when each report was sent
	lat      []time.Duration // report to notice accepted, of those that arrived (sorted)
	lost     int             // reports whose notice never arrived within the timeout
	sendTime time.Duration   // from the first report sent to the last
	postLat  []time.Duration // latency of the POSTs (sorted)
	tail     time.Duration   // from the last report sent to the last notice accepted
	span     time.Duration   // from the first report sent to the last notice accepted
	cpuUndox time.Duration   // CPU used meanwhile by undox serve
	cpuPG    time.Duration   // and by PostgreSQL's processes of its database
	cpuOK    bool
}

// runUndox reports n re-uploads, rate per second (0: all at once) from
// the clients, and waits for their notices.
func (f *fixture) runUndox(tb testing.TB, n int, rate float64, nclients int, wait time.Duration) result {
	tb.Helper()
	ctx := context.Background()
	prefix := newPrefix()
	r := result{urls: make([]string, n), sent: make([]time.Time, n), postLat: make([]time.Duration, n)}
	for i := range r.urls {
		r.urls[i] = f.site + "/p/" + prefix + "-" + strconv.Itoa(i)
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	cpu0 := f.cpu(ctx)
	start := time.Now()
	for range min(nclients, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if rate > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
				}
				body := map[string]any{"urls": []string{r.urls[i]}, "category": "doxing"}
				r.sent[i] = time.Now()
				code, out, err := f.public.call(ctx, "POST", "/api/v1/reports", body)
				r.postLat[i] = time.Since(r.sent[i])
				if err == nil && code != http.StatusCreated {
					err = fmt.Errorf("POST /api/v1/reports: %d %v", code, out)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		tb.Fatal(firstErr)
	}
	last := slices.MaxFunc(r.sent, func(a, b time.Time) int { return a.Compare(b) })
	r.sendTime = last.Sub(start)
	r.lost = f.mail.waitFor(r.urls, last.Add(wait))
	r.cpuUndox, r.cpuPG, r.cpuOK = f.cpu(ctx).since(cpu0)
	var lastAccepted time.Time
	for i, u := range r.urls {
		if at, ok := f.mail.acceptedAt(u); ok {
			r.lat = append(r.lat, at.Sub(r.sent[i]))
			if at.After(lastAccepted) {
				lastAccepted = at
			}
		}
	}
	if !lastAccepted.IsZero() {
		r.tail, r.span = lastAccepted.Sub(last), lastAccepted.Sub(start)
	}
	slices.Sort(r.lat)
	slices.Sort(r.postLat)
	f.lastURLs = r.urls
	return r
}

// runBaseline fetches each URL with the safe fetcher and sends one e-mail
// of the notices' size through the mail package, in a straight loop, and
// measures each URL's fetch and send.
func (f *fixture) runBaseline(tb testing.TB, urls []string) []time.Duration {
	tb.Helper()
	ctx := context.Background()
	size := f.noticeSize
	lat := make([]time.Duration, len(urls))
	for i, u := range urls {
		t0 := time.Now()
		res, err := f.fetcher.Fetch(ctx, u)
		if err != nil {
			tb.Fatalf("baseline fetch %s: %v", u, err)
		}
		if res.Status != http.StatusOK || !bytes.Contains(res.Body, []byte("Testlaan 77")) {
			tb.Fatalf("baseline fetch %s: %d, %d bytes", u, res.Status, len(res.Body))
		}
		id := "<baseline-" + runID + "-" + strconv.Itoa(i) + "@bench.example>"
		if err := f.sender.Send(ctx, mail.Envelope{To: []string{baselineAddress}, MessageID: id}, baselineMessage(u, id, size)); err != nil {
			tb.Fatalf("baseline send: %v", err)
		}
		lat[i] = time.Since(t0)
	}
	slices.Sort(lat)
	return lat
}

// baselineMessage is a plain e-mail about url of about size bytes.
func baselineMessage(url, messageID string, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Meldpunt Voorbeeld <%s>\r\nTo: <%s>\r\nSubject: Notice: illegal content at %s\r\n"+
		"Message-ID: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"The content at %s exposes a person's personal data.\r\n", mailFrom, baselineAddress, url, messageID,
		time.Now().UTC().Format(time.RFC1123Z), url)
	line := "This line stands for the text of a notice: the legal basis, the notifier, the statement of good faith.\r\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	return b.Bytes()
}

// quantile is the q-quantile (nearest rank) of sorted durations, in
// milliseconds.
func quantile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / float64(time.Millisecond)
}

// measureUndox is one undox benchmark: b.N re-uploads at rate (0: all at
// once).
func (f *fixture) measureUndox(b *testing.B, rate float64) {
	nclients := clients(b)
	if rate == 0 {
		nclients = max(nclients, 32)
	}
	b.ResetTimer()
	r := f.runUndox(b, b.N, rate, nclients, timeout(b))
	b.StopTimer()
	b.ReportMetric(quantile(r.lat, 0.50), "p50-ms")
	b.ReportMetric(quantile(r.lat, 0.95), "p95-ms")
	b.ReportMetric(quantile(r.lat, 1), "max-ms")
	b.ReportMetric(float64(r.lost), "lost")
	if r.sendTime > 0 {
		b.ReportMetric(float64(b.N-1)/r.sendTime.Seconds(), "reports/s")
	}
	b.ReportMetric(quantile(r.postLat, 0.95), "post-p95-ms")
	if r.span > 0 {
		// Notices per second from the first report to the last notice,
		// and how long the last notices came after the last report: a
		// backlog, when the pipeline is slower than the reports.
		b.ReportMetric(float64(len(r.lat))/r.span.Seconds(), "notices/s")
		b.ReportMetric(float64(r.tail)/float64(time.Millisecond), "tail-ms")
	}
	if r.cpuOK {
		b.ReportMetric(float64((r.cpuUndox+r.cpuPG).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		if f.pg != nil {
			b.ReportMetric(float64(r.cpuPG.Microseconds())/1000/float64(b.N), "pg-cpu-ms/op")
		}
	}
	if r.lost > 0 {
		b.Logf("%d of %d notices did not arrive within %s of the last report", r.lost, b.N, timeout(b))
	}
	h, err := f.settledHops(r)
	if err != nil {
		b.Logf("hops: %v", err)
		return
	}
	// Printed after the backend's benchmarks: a benchmark's log is cut
	// to 10 lines, and its standard output would split its result line.
	f.tables = append(f.tables, fmt.Sprintf("%s/%s: %d reports at %s, %d clients; %d notices lost\n%s",
		f.backend, b.Name()[strings.LastIndexByte(b.Name(), '/')+1:], b.N, rateText(rate), nclients, r.lost, h.table()))
	for _, m := range h.metrics() {
		b.ReportMetric(m.v, m.unit)
	}
}

// settledHops reads a run's hops once River has recorded the end of
// every job of the notices that arrived (a job's completion is written
// in batches, shortly after the jobs it queued may have run).
func (f *fixture) settledHops(r result) (*hopReport, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		h, err := f.hops(context.Background(), r)
		if err != nil || h.complete >= len(r.lat) || time.Now().After(deadline) {
			return h, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func rateText(rate float64) string {
	if rate == 0 {
		return "once"
	}
	return strconv.FormatFloat(rate, 'f', -1, 64) + "/s"
}

// measureBaseline is the baseline over the URLs of the last undox run.
func (f *fixture) measureBaseline(b *testing.B) {
	urls := f.lastURLs
	if len(urls) < b.N {
		prefix := newPrefix()
		urls = make([]string, b.N)
		for i := range urls {
			urls[i] = f.site + "/p/" + prefix + "-" + strconv.Itoa(i)
		}
	}
	b.ResetTimer()
	lat := f.runBaseline(b, urls[:b.N])
	b.StopTimer()
	b.ReportMetric(quantile(lat, 0.50), "p50-ms")
	b.ReportMetric(quantile(lat, 0.95), "p95-ms")
	b.ReportMetric(quantile(lat, 1), "max-ms")
}

// BenchmarkTakedown measures, per backend, the automatic path at a steady
// rate (BENCH_RATE) and with every report sent at once, then the
// baseline over the same URLs.
func BenchmarkTakedown(b *testing.B) {
	for _, backend := range dbtest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			f := newFixture(b, backend)
			b.Logf("%s: set-up (victim's case confirmed and notified) took %s", backend.Name, f.setupElapsed.Round(time.Millisecond))
			b.Run("undox", func(b *testing.B) { f.measureUndox(b, rate(b)) })
			b.Run("undox-burst", func(b *testing.B) { f.measureUndox(b, 0) })
			b.Run("baseline", func(b *testing.B) { f.measureBaseline(b) })
			// The last run of each variant (the first of each is a
			// single report: Go runs every benchmark with b.N = 1 first).
			seen := map[string]bool{}
			for i := len(f.tables) - 1; i >= 0; i-- {
				v := f.tables[i][:strings.IndexByte(f.tables[i], ':')]
				if !seen[v] {
					seen[v] = true
					defer fmt.Printf("\nWhere the time goes, %s\n", f.tables[i])
				}
			}
		})
	}
}

// TestHarness runs the whole harness, on SQLite, with three re-uploads:
// each is linked to the victim's case, confirmed and notified without an
// analyst, and its notice reaches the SMTP server naming its URL; the
// time of every hop is found; the baseline fetches and sends each URL.
// It measures nothing.
func TestHarness(t *testing.T) {
	f := newFixture(t, dbtest.Backends()[0])
	const n = 3
	r := f.runUndox(t, n, 10, 2, 2*time.Minute)
	require.Zero(t, r.lost, "every notice arrives:\n%s", f.proc.logTail())
	require.Len(t, r.lat, n)
	require.Greater(t, r.lat[0], time.Duration(0))

	// The re-uploads joined the victim's case, confirmed by undox itself,
	// each with one automatic notice, sent.
	c := f.analyst.must(t, http.StatusOK, "GET", "/api/v1/cases/"+f.victimRef, nil)
	items := c["items"].([]any)
	require.Len(t, items, n+1)
	reuploads := 0
	for _, x := range items {
		it := x.(map[string]any)
		if !strings.Contains(it["url"].(string), "/p/"+runID+"-") {
			continue
		}
		reuploads++
		require.Contains(t, r.urls, it["url"])
		path := "/api/v1/items/" + strconv.FormatInt(int64(it["id"].(float64)), 10) + "/notices"
		// The SMTP server accepted it; the send is recorded just after.
		eventually(t, 30*time.Second, 100*time.Millisecond, "the notice recorded as sent", func() (bool, error) {
			l := f.analyst.must(t, http.StatusOK, "GET", path, nil)
			notices := l["notices"].([]any)
			require.Len(t, notices, 1)
			nt := notices[0].(map[string]any)
			require.Equal(t, true, nt["automatic"], "%v", nt)
			return nt["status"] == "sent", nil
		})
	}
	require.Equal(t, n, reuploads)
	notices, baseline, other := f.mail.counts()
	require.Equal(t, n+1, notices, "one notice per page, the victim's first included")
	require.Zero(t, baseline)
	require.Zero(t, other)

	// Every hop of every re-upload is found, in order.
	h, err := f.settledHops(r)
	require.NoError(t, err)
	require.Equal(t, n, h.complete, "%s", h.table())
	for _, s := range h.segments {
		require.Len(t, s.d, n, s.name)
	}
	t.Logf("hops:\n%s", h.table())

	lat := f.runBaseline(t, r.urls)
	require.Len(t, lat, n)
	require.Greater(t, lat[0], time.Duration(0))
	_, baseline, _ = f.mail.counts()
	require.Equal(t, n, baseline)
	require.Positive(t, f.hits.Load())
}
