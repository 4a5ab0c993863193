// Package tracebench measures trace: traces per second for a batch of
// distinct URLs against loopback DNS and RDAP servers, with a cold and a
// warm cache, against a baseline measured in the same run: the same
// lookups (DNS, the registrable domain's NS, RDAP for the address, its AS
// and the domain) made one after another by a plain loop, with the same
// DNS resolver and RDAP client and no cache.
//
// Run it with bench/trace/run.sh, or:
//
//	go test ./bench/trace -run '^$' -bench '^BenchmarkTrace$' -benchtime 1000x
//
// Performance is reported (traces/s, p50-ms, p99-ms, cpu-µs/op,
// rdap-req/op, dns-q/op), never asserted: no test here fails on timing. A
// plain `go test` runs only a quick check of the harness.
package tracebench

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/undox/undox/bench/load"
	"github.com/undox/undox/trace"
	"github.com/undox/undox/trace/asn"
	"github.com/undox/undox/trace/dns"
	"github.com/undox/undox/trace/rdap"
)

// DefaultWorkers is how many URLs undox traces at once by default, as the
// job queue's workers would.
const DefaultWorkers = 16

var workersFlag = flag.Int("workers", 0, "concurrent traces (default: $BENCH_WORKERS, else 16)")

// rdapLatency is how long the loopback RDAP server waits before each answer
// (BENCH_RDAP_LATENCY, a Go duration; default 0): real RDAP servers answer
// in tens to hundreds of milliseconds, which loopback does not show.
func rdapLatency(tb testing.TB) time.Duration {
	v := os.Getenv("BENCH_RDAP_LATENCY")
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		tb.Fatalf("BENCH_RDAP_LATENCY=%q: want a duration such as 20ms", v)
	}
	return d
}

func workers(tb testing.TB) int {
	return load.Concurrency(tb, *workersFlag, "BENCH_WORKERS", DefaultWorkers)
}

// Every URL i has its own host, registrable domain, address and AS, so
// that a cold trace of a batch makes every lookup, as the baseline does.
func host(i int) string     { return fmt.Sprintf("www.site%06d.example", i) }
func pageURL(i int) string  { return "https://" + host(i) + "/page/" + strconv.Itoa(i) }
func asNumber(i int) uint32 { return 4200000000 + uint32(i) } // private-use 32-bit AS numbers
func address(i int) netip.Addr { // 127.1.0.0 and up: loopback only
	return netip.AddrFrom4([4]byte{127, 1 + byte(i>>16), byte(i >> 8), byte(i)})
}

// maxURLs bounds the batch (the addresses and AS numbers above).
const maxURLs = 1 << 17

// dnsHandler answers for www.siteNNNNNN.example (A) and siteNNNNNN.example
// (NS), NXDOMAIN for other names, like an authoritative server.
type dnsHandler struct{ queries atomic.Int64 }

func (h *dnsHandler) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	h.queries.Add(1)
	m := new(mdns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) == 1 {
		q := req.Question[0]
		name := strings.ToLower(q.Name)
		label, isHost := strings.CutPrefix(name, "www.")
		num, ok := strings.CutSuffix(strings.TrimPrefix(label, "site"), ".example.")
		i, err := strconv.Atoi(num)
		switch {
		case !ok || err != nil || !strings.HasPrefix(label, "site") || i >= maxURLs:
			m.Rcode = mdns.RcodeNameError
		case isHost && q.Qtype == mdns.TypeA:
			m.Answer = append(m.Answer, &mdns.A{Hdr: mdns.RR_Header{Name: q.Name, Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 300},
				A: net.IP(address(i).AsSlice())})
		case !isHost && q.Qtype == mdns.TypeNS:
			for _, ns := range []string{"ns1.", "ns2."} {
				m.Answer = append(m.Answer, &mdns.NS{Hdr: mdns.RR_Header{Name: q.Name, Rrtype: mdns.TypeNS, Class: mdns.ClassINET, Ttl: 3600},
					Ns: ns + strings.TrimPrefix(name, "www.")})
			}
		}
	}
	_ = w.WriteMsg(m)
}

// fixture is the loopback DNS and RDAP servers, the IP-to-ASN table, and
// the DNS resolver and RDAP client that both variants use.
type fixture struct {
	dnsAddr  string
	dnsH     *dnsHandler
	rdapReqs atomic.Int64
	resolver *dns.Resolver
	rdap     *rdap.Client
	table    *asn.Table
	workers  int
}

// The RDAP documents: real RIR and registry answers from trace/testdata
// (see its SOURCES.md), the same for every query.
const (
	ipDoc     = "ripe/ip-62.239.237.1.json"    // no parent: one request per address
	autnumDoc = "arin/autnum-AS2914.json"      // another holder: an upstream recipient
	domainDoc = "verisign/domain-20c.com.json" // the registrar's abuse contact inside: no registrar lookup
)

func newFixture(tb testing.TB, n int) *fixture {
	tb.Helper()
	if n > maxURLs {
		tb.Fatalf("at most %d URLs", maxURLs)
	}
	f := &fixture{dnsH: &dnsHandler{}, workers: workers(tb)}

	// DNS: UDP and TCP on one loopback port.
	var (
		pc  net.PacketConn
		ln  net.Listener
		err error
	)
	for range 20 {
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			tb.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		_ = pc.Close()
	}
	if err != nil {
		tb.Fatal(err)
	}
	f.dnsAddr = pc.LocalAddr().String()
	udp := &mdns.Server{PacketConn: pc, Handler: f.dnsH}
	tcp := &mdns.Server{Listener: ln, Handler: f.dnsH}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	tb.Cleanup(func() { _ = udp.Shutdown(); _ = tcp.Shutdown() })

	// RDAP.
	read := func(rel string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "trace", "testdata", "rdap", filepath.FromSlash(rel)))
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	docs := map[string][]byte{"ip": read(ipDoc), "autnum": read(autnumDoc), "domain": read(domainDoc)}
	notFound := read("ripe/error-404.json")
	latency := rdapLatency(tb)
	srv := httptest.NewServer(load.Labeled("server", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.rdapReqs.Add(1)
		if latency > 0 {
			time.Sleep(latency)
		}
		kind, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		w.Header().Set("Content-Type", "application/rdap+json")
		body, ok := docs[kind]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			body = notFound
		}
		_, _ = w.Write(body)
	})))
	tb.Cleanup(srv.Close)

	// The IP-to-ASN table: every address its own AS.
	var tsv strings.Builder
	for i := range n {
		a := address(i)
		fmt.Fprintf(&tsv, "%s\t%s\t%d\tGB\tBENCH-AS-%d\n", a, a, asNumber(i), i)
	}
	if f.table, err = asn.Import(strings.NewReader(tsv.String())); err != nil {
		tb.Fatal(err)
	}

	if f.resolver, err = dns.New(dns.Config{Servers: []string{f.dnsAddr}, Timeout: 5 * time.Second, Retries: 1, TCPFallback: true}); err != nil {
		tb.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConns = 4 * f.workers
	tr.MaxIdleConnsPerHost = 4 * f.workers
	tb.Cleanup(tr.CloseIdleConnections)
	f.rdap, err = rdap.New(rdap.Config{
		// Everything to the loopback server: addresses, AS numbers, .example.
		Overrides:     map[string][]string{"127.0.0.0/8": {srv.URL + "/"}, "0-4294967295": {srv.URL + "/"}, "example": {srv.URL + "/"}},
		HTTPClient:    &http.Client{Transport: tr},
		PerServerRate: -1, // one loopback server stands for many: no per-server limit
		Timeout:       30 * time.Second,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// service is a Service with empty caches over the fixture.
func (f *fixture) service(tb testing.TB) *trace.Service {
	s, err := trace.New(trace.Config{DNS: f.resolver, RDAP: f.rdap, ASN: f.table})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// undoxOp traces URL first+i and checks the answer is complete.
func undoxOp(s *trace.Service) func(int) error {
	ctx := context.Background()
	return func(i int) error {
		a, err := s.Trace(ctx, pageURL(i), trace.Options{NoFetch: true})
		if err != nil {
			return err
		}
		return checkAnswer(a, i)
	}
}

func checkAnswer(a *trace.Answer, i int) error {
	if len(a.Errors) > 0 {
		return fmt.Errorf("%s: %s %s: %s", a.URL, a.Errors[0].Lookup, a.Errors[0].Query, a.Errors[0].Message)
	}
	if len(a.Addresses) != 1 || a.Addresses[0].IP != address(i) || a.Addresses[0].Network == nil {
		return fmt.Errorf("%s: addresses %+v", a.URL, a.Addresses)
	}
	if len(a.Recipients) != 4 || a.Recipients[0].Email != "zzdnsr@bt.com" || a.Recipients[1].Email != "abuse@ntt.net" ||
		a.Recipients[2].Email != "abuse@joker.com" {
		return fmt.Errorf("%s: recipients %+v", a.URL, a.Recipients)
	}
	return nil
}

// baselineOp makes the lookups of URL i one after another, with no cache
// and no answer built: what a plain script around the same clients does.
func (f *fixture) baselineOp(i int) error {
	ctx := context.Background()
	h := host(i)
	ans, err := f.resolver.Lookup(ctx, h)
	if err != nil {
		return err
	}
	if _, err := f.resolver.NS(ctx, h); err != nil {
		return err
	}
	for _, a := range ans.Addresses {
		n, err := f.rdap.IP(ctx, a)
		if err != nil {
			return err
		}
		if n.Abuse == nil {
			return fmt.Errorf("%s: no abuse contact", a)
		}
		if e, ok := f.table.Lookup(a); ok {
			if _, err := f.rdap.Autnum(ctx, e.ASN); err != nil {
				return err
			}
		}
	}
	if len(ans.Addresses) != 1 {
		return fmt.Errorf("%s: %d addresses", h, len(ans.Addresses))
	}
	d, err := f.rdap.Domain(ctx, dns.Registrable(h))
	if err != nil {
		return err
	}
	if d.Registrar.AbuseEmail == "" {
		return fmt.Errorf("%s: no registrar abuse contact", h)
	}
	return nil
}

// measure runs op over URLs 0 … b.N-1 with c goroutines and reports the
// metrics.
func (f *fixture) measure(b *testing.B, name string, c int, op func(int) error) {
	dns0, rdap0 := f.dnsH.queries.Load(), f.rdapReqs.Load()
	cpu0 := cpuTime()
	b.ResetTimer()
	r := load.Ops(name, b.N, c, op)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if r.Failures > 0 {
		b.Fatalf("%d of %d traces failed; first: %v", r.Failures, b.N, r.FirstErr)
	}
	b.ReportMetric(r.PerSecond(), "traces/s")
	b.ReportMetric(r.Quantile(0.50), "p50-ms")
	b.ReportMetric(r.Quantile(0.99), "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(f.rdapReqs.Load()-rdap0)/float64(b.N), "rdap-req/op")
	b.ReportMetric(float64(f.dnsH.queries.Load()-dns0)/float64(b.N), "dns-q/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTrace traces a batch of distinct URLs (-benchtime Nx: N URLs):
//
//   - undox-cold: a Service with empty caches, BENCH_WORKERS traces at once
//     (as the job queue runs them);
//   - undox-cold-serial: the same, one trace at a time;
//   - undox-warm: the same batch again on a Service that traced it
//     already (untimed): every lookup comes from the cache;
//   - baseline: the same lookups, one after another, in a plain loop.
func BenchmarkTrace(b *testing.B) {
	f := newFixture(b, maxURLs)
	b.Logf("%d concurrent traces, RDAP latency %v", f.workers, rdapLatency(b))
	b.Run("undox-cold", func(b *testing.B) {
		f.measure(b, "undox", f.workers, undoxOp(f.service(b)))
	})
	b.Run("undox-cold-serial", func(b *testing.B) {
		f.measure(b, "undox", 1, undoxOp(f.service(b)))
	})
	b.Run("undox-warm", func(b *testing.B) {
		s := f.service(b)
		if r := load.Ops("warm-up", b.N, f.workers, undoxOp(s)); r.Failures > 0 {
			b.Fatalf("warm-up: %d of %d traces failed; first: %v", r.Failures, b.N, r.FirstErr)
		}
		f.measure(b, "undox", f.workers, undoxOp(s))
	})
	b.Run("baseline", func(b *testing.B) {
		f.measure(b, "baseline", 1, f.baselineOp)
	})
}

// TestHarness traces a few URLs with both variants and checks what they
// got, and that a warm trace makes no lookup. It measures nothing.
func TestHarness(t *testing.T) {
	const n = 20
	f := newFixture(t, n)
	s := f.service(t)
	if r := load.Ops("undox", n, 4, undoxOp(s)); r.Failures > 0 {
		t.Fatalf("undox: %d of %d failed; first: %v", r.Failures, n, r.FirstErr)
	}
	// Per URL: A, AAAA, CNAME, NS, MX of the host, NS of the domain; RDAP
	// for the address, the AS and the domain.
	if got := f.dnsH.queries.Load(); got != 6*n {
		t.Errorf("cold: %d DNS queries, want %d", got, 6*n)
	}
	if got := f.rdapReqs.Load(); got != 3*n {
		t.Errorf("cold: %d RDAP requests, want %d", got, 3*n)
	}
	if r := load.Ops("undox", n, 4, undoxOp(s)); r.Failures > 0 {
		t.Fatalf("warm: %d failed; first: %v", r.Failures, r.FirstErr)
	}
	if f.dnsH.queries.Load() != 6*n || f.rdapReqs.Load() != 3*n {
		t.Errorf("warm traces made lookups: %d DNS queries, %d RDAP requests", f.dnsH.queries.Load(), f.rdapReqs.Load())
	}
	if r := load.Ops("baseline", n, 1, f.baselineOp); r.Failures > 0 {
		t.Fatalf("baseline: %d failed; first: %v", r.Failures, r.FirstErr)
	}
	if f.dnsH.queries.Load() != 12*n || f.rdapReqs.Load() != 6*n {
		t.Errorf("the baseline made other lookups than undox: %d DNS queries, %d RDAP requests", f.dnsH.queries.Load(), f.rdapReqs.Load())
	}
}
