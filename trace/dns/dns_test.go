package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
)

// zone is a synthetic DNS server. Every address in it is a loopback address.
type zone struct {
	rrs      map[string][]mdns.RR // by lower-case FQDN
	chase    map[string]bool      // names answered like a recursive resolver: the whole CNAME chain
	rcode    map[string]int       // names answered with this rcode and nothing else
	truncUDP map[string]bool      // names answered over UDP with an empty truncated answer
	udp, tcp atomic.Int32         // queries seen
}

const zoneText = `
example.test.        3600 IN NS    ns1.example.test.
example.test.        3600 IN NS    ns2.example.test.
example.test.        3600 IN MX    10 mx.example.test.
example.test.        300  IN A     127.0.0.1
mx.example.test.     300  IN A     127.0.0.25
ns1.example.test.    300  IN A     127.0.0.53
ns2.example.test.    300  IN AAAA  ::1
www.example.test.    3600 IN CNAME edge.example.test.
edge.example.test.   600  IN CNAME edge.cdn.test.
edge.cdn.test.       60   IN A     127.0.0.10
edge.cdn.test.       60   IN AAAA  ::1
short.example.test.  120  IN CNAME www.example.test.
dangling.example.test. 300 IN CNAME gone.example.test.
loop1.example.test.  300  IN CNAME loop2.example.test.
loop2.example.test.  300  IN CNAME loop1.example.test.
mailonly.example.test. 300 IN MX   0 mx.example.test.
broken.example.test. 300  IN A     127.0.0.99
`

func newZone(t *testing.T) *zone {
	z := &zone{
		rrs:      map[string][]mdns.RR{},
		chase:    map[string]bool{"www.example.test.": true, "dangling.example.test.": true},
		rcode:    map[string]int{"broken.example.test.": mdns.RcodeServerFailure},
		truncUDP: map[string]bool{"big.example.test.": true},
	}
	add := func(line string) {
		rr, err := mdns.NewRR(line)
		require.NoError(t, err, line)
		name := strings.ToLower(rr.Header().Name)
		z.rrs[name] = append(z.rrs[name], rr)
	}
	for _, line := range strings.Split(zoneText, "\n") {
		if strings.TrimSpace(line) != "" {
			add(line)
		}
	}
	// A chain of 12 aliases, answered one step at a time.
	for i := range 12 {
		add(fmt.Sprintf("c%d.example.test. 300 IN CNAME c%d.example.test.", i, i+1))
	}
	add("c12.example.test. 300 IN A 127.0.0.12")
	// 40 addresses: too many for the truncated UDP answer.
	for i := 1; i <= 40; i++ {
		add(fmt.Sprintf("big.example.test. 300 IN A 127.0.1.%d", i))
	}
	add("big.example.test. 300 IN AAAA ::1")
	return z
}

func (z *zone) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	m := new(mdns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	if w.LocalAddr().Network() == "udp" {
		z.udp.Add(1)
	} else {
		z.tcp.Add(1)
	}
	if len(req.Question) != 1 {
		m.Rcode = mdns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if rc, ok := z.rcode[name]; ok {
		m.Rcode = rc
		w.WriteMsg(m)
		return
	}
	if z.truncUDP[name] && w.LocalAddr().Network() == "udp" {
		m.Truncated = true
		w.WriteMsg(m)
		return
	}
	cur := name
	for range 20 {
		rrs, ok := z.rrs[cur]
		if !ok {
			m.Rcode = mdns.RcodeNameError
			break
		}
		var match, cname []mdns.RR
		for _, rr := range rrs {
			switch rr.Header().Rrtype {
			case q.Qtype:
				match = append(match, rr)
			case mdns.TypeCNAME:
				cname = append(cname, rr)
			}
		}
		if len(match) > 0 {
			m.Answer = append(m.Answer, match...)
			break
		}
		if len(cname) == 0 {
			break // NODATA
		}
		m.Answer = append(m.Answer, cname...)
		if !z.chase[name] {
			break
		}
		cur = strings.ToLower(cname[0].(*mdns.CNAME).Target)
	}
	w.WriteMsg(m)
}

// serve runs h on 127.0.0.1, UDP and TCP on the same port, until the test ends.
func serve(t *testing.T, h mdns.Handler) string {
	t.Helper()
	var (
		pc  net.PacketConn
		ln  net.Listener
		err error
	)
	for range 20 {
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			break
		}
		pc.Close()
	}
	require.NoError(t, err)
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	udp := &mdns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: notify}
	tcp := &mdns.Server{Listener: ln, Handler: h, NotifyStartedFunc: notify}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	<-started
	<-started
	t.Cleanup(func() {
		udp.Shutdown()
		tcp.Shutdown()
	})
	return pc.LocalAddr().String()
}

// silent returns the address of a UDP socket on 127.0.0.1 that never answers.
func silent(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

func newResolver(t *testing.T, cfg Config) *Resolver {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	r, err := New(cfg)
	require.NoError(t, err)
	return r
}

func setup(t *testing.T) (*Resolver, *zone, string) {
	z := newZone(t)
	addr := serve(t, z)
	return newResolver(t, Config{Servers: []string{addr}, TCPFallback: true}), z, addr
}

func values(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Value)
	}
	return out
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestLookupChain(t *testing.T) {
	r, _, addr := setup(t)
	ans, err := r.Lookup(context.Background(), "www.example.test")
	require.NoError(t, err)
	require.Equal(t, "www.example.test", ans.Name)
	require.Equal(t, addrs("127.0.0.10", "::1"), ans.Addresses)
	require.Equal(t, []string{"edge.example.test", "edge.cdn.test"}, ans.CNAMEChain)
	require.Equal(t, "edge.cdn.test", ans.Canonical())
	require.Equal(t, addr, ans.Server)
	require.Empty(t, ans.Errors)
	require.False(t, ans.Truncated)
	require.Equal(t, []Record{
		{Type: "CNAME", Name: "www.example.test", Value: "edge.example.test", TTL: 3600},
		{Type: "CNAME", Name: "edge.example.test", Value: "edge.cdn.test", TTL: 600},
	}, ans.Records["CNAME"])
	require.Equal(t, []Record{{Type: "A", Name: "edge.cdn.test", Value: "127.0.0.10", TTL: 60}}, ans.Records["A"])
	require.Equal(t, []Record{{Type: "AAAA", Name: "edge.cdn.test", Value: "::1", TTL: 60}}, ans.Records["AAAA"])
	require.Empty(t, ans.Records["NS"])
	require.Equal(t, "www.example.test.\t3600\tIN\tCNAME\tedge.example.test", ans.Records["CNAME"][0].String())

	// Names are case-insensitive; a final dot is fine.
	ans, err = r.Lookup(context.Background(), "WWW.Example.TEST.")
	require.NoError(t, err)
	require.Equal(t, "www.example.test", ans.Name)
	require.Equal(t, addrs("127.0.0.10", "::1"), ans.Addresses)
}

func TestLookupFollowsAuthoritativeStyleChain(t *testing.T) {
	r, _, _ := setup(t)
	// The server answers short.example.test with the CNAME alone; the
	// resolver asks again for the target.
	ans, err := r.Lookup(context.Background(), "short.example.test")
	require.NoError(t, err)
	require.Equal(t, []string{"www.example.test", "edge.example.test", "edge.cdn.test"}, ans.CNAMEChain)
	require.Equal(t, addrs("127.0.0.10", "::1"), ans.Addresses)
	require.Len(t, ans.Records["CNAME"], 3)

	// Twelve steps are too many for a limit of 8, enough for a limit of 12.
	ans, err = r.Lookup(context.Background(), "c0.example.test")
	require.Error(t, err)
	require.Equal(t, CodeBadChain, Code(err))
	require.Empty(t, ans.Addresses)
	r12 := newResolver(t, Config{Servers: r.Servers(), MaxCNAMEs: 12})
	ans, err = r12.Lookup(context.Background(), "c0.example.test")
	require.NoError(t, err)
	require.Equal(t, addrs("127.0.0.12"), ans.Addresses)
	require.Len(t, ans.CNAMEChain, 12)

	_, err = r.Lookup(context.Background(), "loop1.example.test")
	require.Equal(t, CodeBadChain, Code(err))
	require.ErrorContains(t, err, "loop")
}

func TestLookupZoneApex(t *testing.T) {
	r, _, _ := setup(t)
	ans, err := r.Lookup(context.Background(), "example.test")
	require.NoError(t, err)
	require.Equal(t, addrs("127.0.0.1"), ans.Addresses)
	require.Empty(t, ans.CNAMEChain)
	require.Equal(t, []string{"ns1.example.test", "ns2.example.test"}, values(ans.Records["NS"]))
	require.Equal(t, []Record{{Type: "MX", Name: "example.test", Value: "10 mx.example.test", TTL: 3600}}, ans.Records["MX"])
	require.Equal(t, uint32(3600), ans.Records["NS"][0].TTL)

	// A name with only MX records is no error, just no address.
	ans, err = r.Lookup(context.Background(), "mailonly.example.test")
	require.NoError(t, err)
	require.Empty(t, ans.Addresses)
	require.Equal(t, []string{"0 mx.example.test"}, values(ans.Records["MX"]))
}

func TestLookupNXDomain(t *testing.T) {
	r, _, addr := setup(t)
	ans, err := r.Lookup(context.Background(), "missing.example.test")
	require.Error(t, err)
	require.NotNil(t, ans)
	require.Equal(t, CodeNXDomain, Code(err))
	require.ErrorIs(t, err, ErrNXDomain)
	require.NotErrorIs(t, err, ErrServFail)
	var e *Error
	require.True(t, errors.As(err, &e))
	require.Equal(t, "missing.example.test", e.Name)
	require.Equal(t, addr, e.Server)
	require.Len(t, ans.Errors, 5)
	for _, typ := range []string{"A", "AAAA", "CNAME", "NS", "MX"} {
		require.Equal(t, CodeNXDomain, ans.Errors[typ].Code, typ)
		require.Equal(t, typ, ans.Errors[typ].Type)
	}

	// An alias whose target does not exist: NXDOMAIN for the target.
	ans, err = r.Lookup(context.Background(), "dangling.example.test")
	require.ErrorIs(t, err, ErrNXDomain)
	require.True(t, errors.As(err, &e))
	require.Equal(t, "gone.example.test", e.Name)
	require.Equal(t, []string{"gone.example.test"}, ans.CNAMEChain)
	require.Len(t, ans.Records["CNAME"], 1)
}

func TestLookupServFail(t *testing.T) {
	r, _, _ := setup(t)
	ans, err := r.Lookup(context.Background(), "broken.example.test")
	require.Error(t, err)
	require.Equal(t, CodeServFail, Code(err))
	require.ErrorIs(t, err, ErrServFail)
	require.True(t, err.(*Error).Temporary())
	require.Len(t, ans.Errors, 5)
	require.Empty(t, ans.Addresses)
}

func TestLookupTruncatedFallsBackToTCP(t *testing.T) {
	r, z, _ := setup(t)
	ans, err := r.Lookup(context.Background(), "big.example.test")
	require.NoError(t, err)
	require.Len(t, ans.Addresses, 41)
	require.Contains(t, ans.Addresses, netip.MustParseAddr("127.0.1.40"))
	require.False(t, ans.Truncated)
	require.Positive(t, z.tcp.Load())

	// Without the fallback the (empty) truncated answer is what there is.
	noTCP := newResolver(t, Config{Servers: r.Servers()})
	before := z.tcp.Load()
	ans, err = noTCP.Lookup(context.Background(), "big.example.test")
	require.NoError(t, err)
	require.True(t, ans.Truncated)
	require.Empty(t, ans.Addresses)
	require.Equal(t, before, z.tcp.Load())
}

func TestLookupTimeout(t *testing.T) {
	r := newResolver(t, Config{Servers: []string{silent(t)}, Timeout: 200 * time.Millisecond, Retries: 1})
	ans, err := r.Lookup(context.Background(), "www.example.test")
	require.Error(t, err)
	require.Equal(t, CodeTimeout, Code(err))
	require.ErrorIs(t, err, ErrTimeout)
	var ne net.Error
	require.True(t, errors.As(err, &ne))
	require.True(t, ne.Timeout())
	require.Len(t, ans.Errors, 5)

	// The caller's deadline counts as a timeout too.
	r = newResolver(t, Config{Servers: []string{silent(t)}, Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = r.LookupNetIP(ctx, "ip4", "www.example.test")
	require.Equal(t, CodeTimeout, Code(err))

	// Cancelling stops at once, with its own code.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = r.Lookup(ctx, "www.example.test")
	require.Equal(t, CodeCanceled, Code(err))
}

func TestFailoverToNextServer(t *testing.T) {
	z := newZone(t)
	good := serve(t, z)
	r := newResolver(t, Config{Servers: []string{silent(t), good}, Timeout: 200 * time.Millisecond})
	ans, err := r.Lookup(context.Background(), "www.example.test")
	require.NoError(t, err)
	require.Equal(t, good, ans.Server)
	require.Equal(t, addrs("127.0.0.10", "::1"), ans.Addresses)

	// SERVFAIL from one server: the next is asked.
	failing := serve(t, mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetRcode(req, mdns.RcodeServerFailure)
		w.WriteMsg(m)
	}))
	r = newResolver(t, Config{Servers: []string{failing, good}})
	ans, err = r.Lookup(context.Background(), "example.test")
	require.NoError(t, err)
	require.Equal(t, good, ans.Server)
}

func TestNS(t *testing.T) {
	r, _, _ := setup(t)
	ns, err := r.NS(context.Background(), "www.example.test")
	require.NoError(t, err)
	require.Equal(t, []string{"ns1.example.test", "ns2.example.test"}, values(ns))
	require.Equal(t, "example.test", ns[0].Name)

	ns, err = r.NS(context.Background(), "deep.missing.example.test")
	require.NoError(t, err)
	require.Len(t, ns, 2)

	_, err = r.NS(context.Background(), "www.nowhere.test")
	require.ErrorIs(t, err, ErrNXDomain)

	require.Equal(t, "example.co.uk", Registrable("www.Example.co.uk."))
	require.Equal(t, "example.test", Registrable("a.b.example.test"))
	require.Equal(t, "co.uk", Registrable("co.uk"))
}

func TestLookupNetIP(t *testing.T) {
	r, _, _ := setup(t)
	ctx := context.Background()
	got, err := r.LookupNetIP(ctx, "ip", "www.example.test")
	require.NoError(t, err)
	require.Equal(t, addrs("127.0.0.10", "::1"), got)
	got, err = r.LookupNetIP(ctx, "ip4", "short.example.test")
	require.NoError(t, err)
	require.Equal(t, addrs("127.0.0.10"), got)
	got, err = r.LookupNetIP(ctx, "ip6", "www.example.test")
	require.NoError(t, err)
	require.Equal(t, addrs("::1"), got)

	got, err = r.LookupNetIP(ctx, "ip", "127.0.0.7")
	require.NoError(t, err)
	require.Equal(t, addrs("127.0.0.7"), got)
	_, err = r.LookupNetIP(ctx, "ip6", "127.0.0.7")
	require.ErrorIs(t, err, ErrNoData)

	_, err = r.LookupNetIP(ctx, "ip", "missing.example.test")
	require.ErrorIs(t, err, ErrNXDomain)
	_, err = r.LookupNetIP(ctx, "ip", "mailonly.example.test")
	require.ErrorIs(t, err, ErrNoData)
	_, err = r.LookupNetIP(ctx, "ip6", "ns1.example.test")
	require.ErrorIs(t, err, ErrNoData)
	_, err = r.LookupNetIP(ctx, "tcp", "www.example.test")
	require.Equal(t, CodeBadQuery, Code(err))
	_, err = r.LookupNetIP(ctx, "ip", "not a name")
	require.Equal(t, CodeBadQuery, Code(err))
}

// The interface a plain resolver satisfies (as net.Resolver does).
type netIPResolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var (
	_ netIPResolver  = (*Resolver)(nil)
	_ netIPResolver  = (*net.Resolver)(nil)
	_ fetch.Resolver = (*Resolver)(nil).FetchResolver()
)

func TestFetchResolver(t *testing.T) {
	r, _, addr := setup(t)
	fr := r.FetchResolver()
	l, err := fr.Lookup(context.Background(), "www.example.test")
	require.NoError(t, err)
	require.Equal(t, "www.example.test", l.Name)
	require.Equal(t, addrs("127.0.0.10", "::1"), l.Addrs)
	require.Equal(t, "dns://"+addr, l.Server)
	require.Contains(t, l.Records, "www.example.test.\t3600\tIN\tCNAME\tedge.example.test")
	require.Contains(t, l.Records, "edge.cdn.test.\t60\tIN\tA\t127.0.0.10")
	require.Contains(t, l.Records, "edge.cdn.test.\t60\tIN\tAAAA\t::1")
	require.False(t, l.At.IsZero())
	require.Empty(t, l.Error)
	require.Equal(t, "dns://"+addr, fmt.Sprint(fr))

	l, err = fr.Lookup(context.Background(), "missing.example.test")
	require.ErrorIs(t, err, ErrNXDomain)
	require.Contains(t, l.Error, "nxdomain")
}

func TestNewConfig(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "resolv.conf")
	require.NoError(t, os.WriteFile(conf, []byte("# test\nnameserver 127.0.0.53\nnameserver ::1\noptions edns0\n"), 0o644))
	r, err := New(Config{ResolvConf: conf})
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.53:53", "[::1]:53"}, r.Servers())

	_, err = New(Config{ResolvConf: filepath.Join(dir, "missing")})
	require.Error(t, err)
	empty := filepath.Join(dir, "empty.conf")
	require.NoError(t, os.WriteFile(empty, []byte("search example.test\n"), 0o644))
	_, err = New(Config{ResolvConf: empty})
	require.ErrorContains(t, err, "no nameserver")

	r, err = New(Config{Servers: []string{"127.0.0.1", "::1", "[::1]:5353", "127.0.0.1:5300"}})
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.1:53", "[::1]:53", "[::1]:5353", "127.0.0.1:5300"}, r.Servers())

	d := DefaultConfig()
	require.True(t, d.TCPFallback)
	require.Equal(t, 1, d.Retries)
}

func TestNormalize(t *testing.T) {
	n, err := normalize("Bücher.Example.test.")
	require.NoError(t, err)
	require.Equal(t, "xn--bcher-kva.example.test.", n)
	_, err = normalize("")
	require.Equal(t, CodeBadQuery, Code(err))
	_, err = normalize(strings.Repeat("a", 64) + ".test")
	require.Equal(t, CodeBadQuery, Code(err))
}
