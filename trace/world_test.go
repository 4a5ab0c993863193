package trace

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/trace/asn"
	"github.com/undox/undox/trace/dns"
	"github.com/undox/undox/trace/rdap"
	"github.com/undox/undox/trace/whois"
)

// The tests run every protocol for real, on loopback only: a DNS server
// (miekg/dns) that answers with 127.0.0.0/8 and ::1 addresses, RDAP servers
// answering with real RIR and registry documents (testdata/rdap, see
// SOURCES.md), routed there by the rdap client's Overrides, a WHOIS server
// with real WHOIS texts, and an HTTPS site with a real security.txt. Every
// dial goes through loopbackDial, which fails the test on any other address.

func fixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(rel)))
	require.NoError(t, err)
	return b
}

// loopbackDial dials loopback addresses only; anything else fails the test.
func loopbackDial(t testing.TB) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() {
			t.Errorf("a test tried to connect to %s, which is not a loopback address", addr)
			return nil, fmt.Errorf("blocked: %s is not loopback", addr)
		}
		return d.DialContext(ctx, network, addr)
	}
}

// loopbackResolver is the fetcher's resolver: the world's DNS, checked to
// give loopback addresses only (the fetcher connects to what it returns).
type loopbackResolver struct {
	t testing.TB
	r fetch.Resolver
}

func (l loopbackResolver) Lookup(ctx context.Context, host string) (fetch.DNSLookup, error) {
	res, err := l.r.Lookup(ctx, host)
	for _, a := range res.Addrs {
		if !a.Unmap().IsLoopback() {
			l.t.Errorf("the fetcher was given %s for %s, which is not a loopback address", a, host)
			return fetch.DNSLookup{Name: host}, fmt.Errorf("blocked: %s is not loopback", a)
		}
	}
	return res, err
}

// dnsServer is a DNS server on 127.0.0.1 (UDP and TCP on one port) serving
// a zone given as records in zone-file form; NXDOMAIN for other names.
type dnsServer struct {
	addr string

	mu      sync.Mutex
	zone    map[string][]mdns.RR // by owner name, lower case, with the final dot
	queries map[string]int
}

func startDNS(t testing.TB) *dnsServer {
	t.Helper()
	s := &dnsServer{zone: map[string][]mdns.RR{}, queries: map[string]int{}}
	// UDP and TCP on the same port: try ports until both are free.
	var (
		pc  net.PacketConn
		ln  net.Listener
		err error
	)
	for range 20 {
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		_ = pc.Close()
	}
	require.NoError(t, err)
	s.addr = pc.LocalAddr().String()
	udp := &mdns.Server{PacketConn: pc, Handler: s}
	tcp := &mdns.Server{Listener: ln, Handler: s}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() {
		_ = udp.Shutdown()
		_ = tcp.Shutdown()
	})
	return s
}

// add adds records, e.g. "www.example.com. 300 IN A 127.0.0.2". Only
// loopback addresses are accepted.
func (s *dnsServer) add(t testing.TB, records ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		rr, err := mdns.NewRR(r)
		require.NoError(t, err, r)
		switch rr := rr.(type) {
		case *mdns.A:
			a, _ := netip.AddrFromSlice(rr.A)
			require.True(t, a.Unmap().IsLoopback(), "the test DNS gives loopback addresses only: %s", r)
		case *mdns.AAAA:
			a, _ := netip.AddrFromSlice(rr.AAAA)
			require.True(t, a.IsLoopback(), "the test DNS gives loopback addresses only: %s", r)
		}
		name := strings.ToLower(rr.Header().Name)
		s.zone[name] = append(s.zone[name], rr)
	}
}

func (s *dnsServer) count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[strings.ToLower(mdns.Fqdn(name))]
}

func (s *dnsServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.queries {
		n += c
	}
	return n
}

func (s *dnsServer) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	m := new(mdns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) == 1 {
		q := req.Question[0]
		name := strings.ToLower(q.Name)
		s.mu.Lock()
		s.queries[name]++
		rrs, ok := s.zone[name]
		s.mu.Unlock()
		if !ok {
			m.Rcode = mdns.RcodeNameError
		}
		for _, rr := range rrs {
			t := rr.Header().Rrtype
			if t == q.Qtype || (t == mdns.TypeCNAME && (q.Qtype == mdns.TypeA || q.Qtype == mdns.TypeAAAA)) {
				m.Answer = append(m.Answer, mdns.Copy(rr))
			}
		}
	}
	_ = w.WriteMsg(m)
}

// rdapServer is a loopback RDAP server answering fixed paths with fixture
// documents, and 404 (RIPE's real error document) for anything else.
type rdapServer struct {
	srv    *httptest.Server
	prefix string

	mu     sync.Mutex
	routes map[string][]byte // path under prefix → body
	hits   []string
	// hook, if set, answers every request itself.
	hook func(w http.ResponseWriter, r *http.Request)
}

func startRDAP(t testing.TB, prefix string) *rdapServer {
	t.Helper()
	s := &rdapServer{prefix: prefix, routes: map[string][]byte{}}
	notFound := fixture(t, "rdap/ripe/error-404.json")
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits = append(s.hits, r.URL.Path)
		hook := s.hook
		body, ok := s.routes[strings.ToLower(strings.TrimPrefix(r.URL.Path, s.prefix))]
		s.mu.Unlock()
		if hook != nil {
			hook(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rdap+json")
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write(notFound)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *rdapServer) base() string { return s.srv.URL + s.prefix }

func (s *rdapServer) route(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[strings.ToLower(path)] = body
}

func (s *rdapServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.hits...)
}

// whoisServer is a loopback WHOIS server: it answers a query for a domain
// (in any of the forms registries want, "-T dn,ace google.de" too) with the
// text given for it.
type whoisServer struct {
	addr string

	mu      sync.Mutex
	answers map[string][]byte
	queries []string
}

func startWHOIS(t testing.TB) *whoisServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &whoisServer{addr: ln.Addr().String(), answers: map[string][]byte{}}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer func() { _ = c.Close() }()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				line, err := bufio.NewReader(io.LimitReader(c, 1024)).ReadString('\n')
				if err != nil {
					return
				}
				q := strings.TrimSpace(line)
				fields := strings.Fields(q)
				domain := strings.ToLower(fields[len(fields)-1])
				s.mu.Lock()
				s.queries = append(s.queries, q)
				body, ok := s.answers[domain]
				s.mu.Unlock()
				if !ok {
					body = []byte("% No entries found.\n")
				}
				_, _ = c.Write(body)
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return s
}

func (s *whoisServer) answer(domain string, text []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[domain] = text
}

func (s *whoisServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queries)
}

// world is a small Internet on loopback: DNS, the RIRs' and registries'
// RDAP servers, a WHOIS server for .de and .io, and the routes from
// loopback addresses and TLDs to them.
type world struct {
	t                   *testing.T
	dns                 *dnsServer
	arin, ripe          *rdapServer
	verisign, namecheap *rdapServer
	niccz, afnic        *rdapServer
	whois               *whoisServer
	overrides           map[string][]string
	asns                map[netip.Addr]string // address → "ASN\tCC\tNAME"
	resolver            *dns.Resolver
	rdapTimeout         time.Duration
	fetcher             *fetch.Fetcher
	contacts            ContactMatcher
	police              Recipient
	cacheConfig         CacheConfig
	svc                 *Service
	rdapClient          *rdap.Client
	whoisClient         *whois.Client
	asnTable            *asn.Table
	noFetcher           bool
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		t:         t,
		dns:       startDNS(t),
		arin:      startRDAP(t, "/registry/"),
		ripe:      startRDAP(t, "/"),
		verisign:  startRDAP(t, "/com/v1/"),
		namecheap: startRDAP(t, "/"),
		niccz:     startRDAP(t, "/"),
		afnic:     startRDAP(t, "/"),
		whois:     startWHOIS(t),
		asns:      map[netip.Addr]string{},
	}
	w.overrides = map[string][]string{
		// Links in the documents ("up", "related") lead to the real
		// servers: rewritten to the loopback ones.
		"https://rdap.arin.net/registry/":   {w.arin.base()},
		"https://rdap.db.ripe.net/":         {w.ripe.base()},
		"https://rdap.verisign.com/com/v1/": {w.verisign.base()},
		// The TLDs of the worlds' domains. The Namecheap fixture is a
		// registrar's answer, served as if from the .org registry.
		"com": {w.verisign.base()},
		"org": {w.namecheap.base()},
		"cz":  {w.niccz.base()},
		"fr":  {w.afnic.base()},
	}
	var err error
	w.resolver, err = dns.New(dns.Config{Servers: []string{w.dns.addr}, Timeout: 5 * time.Second, TCPFallback: true})
	require.NoError(t, err)
	return w
}

// host makes name resolve to addrs (loopback only) and routes the RDAP
// queries for each address to srv, which answers with the document doc.
func (w *world) host(name string, srv *rdapServer, doc string, addrs ...string) {
	w.t.Helper()
	for _, a := range addrs {
		ip := netip.MustParseAddr(a)
		typ := "A"
		if ip.Is6() {
			typ = "AAAA"
		}
		w.dns.add(w.t, fmt.Sprintf("%s. 300 IN %s %s", name, typ, a))
		if srv != nil {
			w.overrides[netip.PrefixFrom(ip, ip.BitLen()).String()] = []string{srv.base()}
			if doc != "" {
				srv.route("ip/"+ip.String(), fixture(w.t, doc))
			}
		}
	}
}

// as makes the IP-to-ASN table say that asn announces addr.
func (w *world) as(addr string, asn uint32, cc, name string) {
	w.asns[netip.MustParseAddr(addr)] = fmt.Sprintf("%d\t%s\t%s", asn, cc, name)
}

// service builds the Service over the world as it is now.
func (w *world) service() *Service {
	t := w.t
	t.Helper()
	if len(w.asns) > 0 {
		var lines []string
		for a, rest := range w.asns {
			lines = append(lines, a.String()+"\t"+a.String()+"\t"+rest)
		}
		sort.Strings(lines)
		tab, err := asn.Import(strings.NewReader(strings.Join(lines, "\n") + "\n"))
		require.NoError(t, err)
		w.asnTable = tab
	}
	timeout := w.rdapTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	var err error
	w.rdapClient, err = rdap.New(rdap.Config{
		Overrides:     w.overrides,
		HTTPClient:    &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: loopbackDial(t)}},
		PerServerRate: -1,
		Timeout:       timeout,
		MaxRetryWait:  time.Second,
	})
	require.NoError(t, err)
	w.whoisClient = whois.New(whois.Config{
		Servers:    map[string]string{"de": w.whois.addr, "io": w.whois.addr},
		Dial:       loopbackDial(t),
		Timeout:    10 * time.Second,
		IANAServer: w.whois.addr,
		// The .io answer names the registrar's WHOIS server, which is
		// not on loopback.
		NoReferral: true,
	})
	cfg := Config{DNS: w.resolver, RDAP: w.rdapClient, WHOIS: w.whoisClient, ASN: w.asnTable,
		Contacts: w.contacts, Police: w.police, Cache: w.cacheConfig}
	if !w.noFetcher {
		if w.fetcher == nil {
			// The fetcher reaches loopback only: the world's DNS gives
			// nothing else.
			w.fetcher = fetch.New(fetch.Config{
				AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
				AllowAnyPort:  true,
				Resolver:      loopbackResolver{t, w.resolver.FetchResolver()},
				Timeout:       10 * time.Second,
			})
		}
		cfg.Fetcher = w.fetcher
	}
	w.svc, err = New(cfg)
	require.NoError(t, err)
	return w.svc
}

// trace traces rawURL and checks that the answer survives a JSON round
// trip.
func (w *world) trace(rawURL string, opts Options) *Answer {
	w.t.Helper()
	if w.svc == nil {
		w.service()
	}
	a, err := w.svc.Trace(context.Background(), rawURL, opts)
	require.NoError(w.t, err)
	require.NotNil(w.t, a)
	return a
}

// memBook is an in-memory contact book.
type memBook struct {
	mu       sync.Mutex
	contacts []*undox.Contact
	queries  []undox.ContactQuery
}

func newBook(t testing.TB, contacts ...undox.Contact) *memBook {
	t.Helper()
	b := &memBook{}
	for i, c := range contacts {
		require.NoError(t, c.Validate())
		c.ID = int64(i + 1)
		c.Version = 1
		b.contacts = append(b.contacts, &c)
	}
	return b
}

func (b *memBook) MatchContacts(_ context.Context, q undox.ContactQuery) ([]*undox.Contact, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queries = append(b.queries, q)
	var out []*undox.Contact
	for _, c := range b.contacts {
		if !c.Removed && c.Matches(q) {
			cp := *c
			out = append(out, &cp)
		}
	}
	return out, nil
}

// roles returns the recipients' roles in order.
func roles(a *Answer) []string {
	var out []string
	for _, r := range a.Recipients {
		out = append(out, r.Role)
	}
	return out
}

func errorsOf(a *Answer) map[string]string {
	out := map[string]string{}
	for _, e := range a.Errors {
		out[e.Lookup+" "+e.Query] = e.Code
	}
	return out
}
