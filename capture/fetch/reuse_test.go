package fetch_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/capture/fetch/proxytest"
)

// Two fetches from one Fetcher to the same server share a connection, and
// both results carry the facts of its dial: the address, the DNS answer that
// led to it and when it was dialled; the second says it was reused.
func TestConnectionReusedWithItsEvidence(t *testing.T) {
	_, port, conns := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "page "+r.URL.Path)
	}))
	res := newMapResolver("site.test", "127.0.0.1")
	cfg := testConfig(port)
	cfg.Resolver = res
	f := fetch.New(cfg)
	t.Cleanup(f.CloseIdleConnections)

	first, err := f.Fetch(fetchCtx(t), hostURL("site.test", port, "/1"))
	require.NoError(t, err)
	second, err := f.Fetch(fetchCtx(t), hostURL("site.test", port, "/2"))
	require.NoError(t, err)
	require.Equal(t, "page /2", string(second.Body))

	require.EqualValues(t, 1, conns.Load(), "the server saw one connection")
	require.Equal(t, []string{"site.test"}, res.asked, "the name was resolved once")
	require.False(t, first.Reused)
	require.True(t, second.Reused)
	remote := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	for _, r := range []*fetch.Result{first, second} {
		require.Equal(t, remote, r.Remote)
		require.Equal(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, r.IPs)
		require.Len(t, r.DNS, 1)
		require.Equal(t, "site.test", r.DNS[0].Name)
		require.Equal(t, "map", r.DNS[0].Server)
		require.Equal(t, first.DNS[0].At, r.DNS[0].At, "the lookup of the connection's dial")
		require.Equal(t, first.DialedAt, r.DialedAt)
		require.False(t, r.DialedAt.IsZero())
	}

	// The results share no memory: changing one changes not the other.
	first.DNS[0].Addrs[0] = netip.MustParseAddr("192.0.2.1")
	require.Equal(t, "127.0.0.1", second.DNS[0].Addrs[0].String())
	third, err := f.Fetch(fetchCtx(t), hostURL("site.test", port, "/3"))
	require.NoError(t, err)
	require.True(t, third.Reused)
	require.Equal(t, "127.0.0.1", third.DNS[0].Addrs[0].String())
}

// A reused TLS connection carries its TLS summary into every result.
func TestReusedTLSConnectionCarriesItsSession(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "tls") }))
	var mu sync.Mutex
	conns := 0
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	port := portOf(t, srv.Listener.Addr())
	f := fetch.New(testConfig(port))
	t.Cleanup(f.CloseIdleConnections)
	u := "https://127.0.0.1:" + strconv.Itoa(int(port)) + "/"
	first, err := f.Fetch(fetchCtx(t), u)
	require.NoError(t, err)
	second, err := f.Fetch(fetchCtx(t), u)
	require.NoError(t, err)
	mu.Lock()
	require.Equal(t, 1, conns)
	mu.Unlock()
	require.False(t, first.Reused)
	require.True(t, second.Reused)
	require.NotNil(t, second.TLS)
	require.Equal(t, first.TLS, second.TLS)
	require.NotSame(t, first.TLS, second.TLS)
	require.Len(t, second.TLS.Chain, 1)
	require.Equal(t, first.DialedAt, second.DialedAt)
	require.Equal(t, first.Remote, second.Remote)
}

// The hops of a redirect reuse the connection; each hop says so, and the DNS
// answer of the one dial is recorded once.
func TestRedirectHopReusesConnection(t *testing.T) {
	_, port, conns := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/from" {
			w.Header().Set("Location", "/to")
			w.WriteHeader(http.StatusFound) // no body: the connection stays usable
			return
		}
		io.WriteString(w, "arrived")
	}))
	cfg := testConfig(port)
	cfg.Resolver = newMapResolver("site.test", "127.0.0.1")
	f := fetch.New(cfg)
	t.Cleanup(f.CloseIdleConnections)
	r, err := f.Fetch(fetchCtx(t), hostURL("site.test", port, "/from"))
	require.NoError(t, err)
	require.Equal(t, "arrived", string(r.Body))
	require.EqualValues(t, 1, conns.Load())
	require.Len(t, r.Redirects, 1)
	require.False(t, r.Redirects[0].Reused)
	require.True(t, r.Reused)
	require.Equal(t, r.Redirects[0].DialedAt, r.DialedAt)
	require.Equal(t, r.Redirects[0].Remote, r.Remote)
	require.Len(t, r.DNS, 1)
}

// Connections are kept per Fetcher: another Fetcher, and so another policy,
// never gets one. A Fetcher whose policy refuses the server does not reach it
// through a connection another Fetcher keeps open.
func TestConnectionsNeverCrossFetchers(t *testing.T) {
	_, port, conns := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	u := hostURL("127.0.0.1", port, "/")
	a := fetch.New(testConfig(port))
	t.Cleanup(a.CloseIdleConnections)
	r, err := a.Fetch(fetchCtx(t), u)
	require.NoError(t, err)
	require.False(t, r.Reused)
	require.EqualValues(t, 1, conns.Load())

	// The same Config, another Fetcher: a connection of its own.
	b := fetch.New(testConfig(port))
	t.Cleanup(b.CloseIdleConnections)
	r, err = b.Fetch(fetchCtx(t), u)
	require.NoError(t, err)
	require.False(t, r.Reused)
	require.EqualValues(t, 2, conns.Load())

	// A policy that does not open 127.0.0.1: refused, with a's and b's
	// connections to it idle.
	cfg := testConfig(port)
	cfg.AllowNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
	c := fetch.New(cfg)
	t.Cleanup(c.CloseIdleConnections)
	_, err = c.Fetch(fetchCtx(t), u)
	requireCode(t, err, fetch.BlockedAddress)
	// The same for a port the policy does not allow.
	_, err = fetch.New(testConfig()).Fetch(fetchCtx(t), u)
	requireCode(t, err, fetch.BlockedAddress)
	require.EqualValues(t, 2, conns.Load())

	// a still reuses its own.
	r, err = a.Fetch(fetchCtx(t), u)
	require.NoError(t, err)
	require.True(t, r.Reused)
	require.EqualValues(t, 2, conns.Load())
}

// Connections are kept per proxy setting: a fetch through a proxy never gets
// a direct connection, nor the other way round.
func TestConnectionsKeptPerProxy(t *testing.T) {
	_, port, conns := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	p := proxytest.StartConnect(t, nil)
	f := fetch.New(testConfig(port))
	t.Cleanup(f.CloseIdleConnections)
	u := hostURL("127.0.0.1", port, "/")
	for i, proxy := range []string{"", p.URL(), "", p.URL()} {
		r, err := f.Fetch(fetchCtx(t), u, fetch.WithProxy(proxy))
		require.NoError(t, err)
		require.Equal(t, i >= 2, r.Reused, "fetch %d", i)
	}
	require.EqualValues(t, 2, conns.Load())
	require.Len(t, p.Requests(), 1)
}

// With FreshConnections, every fetch dials, resolves and records anew.
func TestFreshConnections(t *testing.T) {
	_, port, conns := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	res := newMapResolver("site.test", "127.0.0.1")
	cfg := testConfig(port)
	cfg.Resolver = res
	cfg.FreshConnections = true
	f := fetch.New(cfg)
	for range 3 {
		r, err := f.Fetch(fetchCtx(t), hostURL("site.test", port, "/"))
		require.NoError(t, err)
		require.False(t, r.Reused)
		require.Len(t, r.DNS, 1)
		require.False(t, r.DialedAt.IsZero())
	}
	require.EqualValues(t, 3, conns.Load())
	require.Equal(t, []string{"site.test", "site.test", "site.test"}, res.asked)
}

// A connection older than MaxConnAge is not handed to a new fetch.
func TestMaxConnAge(t *testing.T) {
	_, port, conns := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	cfg := testConfig(port)
	cfg.MaxConnAge = time.Nanosecond
	f := fetch.New(cfg)
	t.Cleanup(f.CloseIdleConnections)
	for range 3 {
		r, err := f.Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
		require.NoError(t, err)
		require.False(t, r.Reused)
	}
	require.EqualValues(t, 3, conns.Load())
}

// Nothing of a fetch but its connection reaches the next one: cookies set in
// one fetch are not sent in the next, over the same connection.
func TestCookiesStayWithTheirFetch(t *testing.T) {
	var mu sync.Mutex
	var got []string
	_, port, conns := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path+" "+r.Header.Get("Cookie"))
		mu.Unlock()
		switch r.URL.Path {
		case "/set":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc", Path: "/"})
			w.Header().Set("Location", "/after")
			w.WriteHeader(http.StatusFound)
		default:
			io.WriteString(w, "ok")
		}
	}))
	f := fetch.New(testConfig(port))
	t.Cleanup(f.CloseIdleConnections)
	r, err := f.Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/set"))
	require.NoError(t, err)
	require.True(t, r.Reused)
	r, err = f.Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/next"))
	require.NoError(t, err)
	require.True(t, r.Reused)
	require.EqualValues(t, 1, conns.Load())
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"/set ", "/after session=abc", "/next "}, got)
}

// Many fetches at once through one Fetcher: every result carries the
// evidence of the connection it came over.
func TestConcurrentFetchesShareConnections(t *testing.T) {
	_, port, conns := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path)
	}))
	cfg := testConfig(port)
	cfg.Resolver = newMapResolver("site.test", "127.0.0.1")
	f := fetch.New(cfg)
	t.Cleanup(f.CloseIdleConnections)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	reused := 0
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				path := "/" + strconv.Itoa(w*each+i)
				r, err := f.Fetch(fetchCtx(t), hostURL("site.test", port, path))
				// The DNS answers hold the lookup of the connection's dial,
				// and perhaps that of a dial the fetch asked for and then
				// did not need (another connection was free first).
				if err != nil || string(r.Body) != path || !r.Remote.IsValid() || len(r.DNS) == 0 ||
					r.DialedAt.IsZero() {
					t.Errorf("%s: %v, %+v", path, err, r)
					return
				}
				for _, l := range r.DNS {
					if l.Name != "site.test" || len(l.Addrs) != 1 || l.Addrs[0] != r.Remote.Addr() {
						t.Errorf("%s: lookup %+v", path, l)
					}
				}
				if r.Reused {
					mu.Lock()
					reused++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	// Each worker finds at least the connection of its last fetch idle.
	require.Positive(t, reused)
	require.Less(t, conns.Load(), int64(workers*each))
}
