package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
)

var loopback1 = netip.MustParsePrefix("127.0.0.1/32")

// testConfig allows exactly 127.0.0.1 and the given ports, with small limits
// so that misbehaving servers are cut off quickly.
func testConfig(ports ...uint16) fetch.Config {
	return fetch.Config{
		AllowNetworks:     []netip.Prefix{loopback1},
		AllowPorts:        ports,
		MaxBodyBytes:      1 << 20,
		MaxHeaderBytes:    64 << 10,
		Timeout:           5 * time.Second,
		FirstByteTimeout:  2 * time.Second,
		DialTimeout:       2 * time.Second,
		MinBytesPerSecond: 4096,
		MinRateWindow:     250 * time.Millisecond,
	}
}

// serve starts a server on 127.0.0.1 and returns it with its port.
func serve(t *testing.T, h http.Handler) (*httptest.Server, uint16) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, portOf(t, srv.Listener.Addr())
}

// serveOn starts a server on addr ("127.0.0.2:0", say) and counts the
// connections it accepts.
func serveOn(t *testing.T, addr string, h http.Handler) (*httptest.Server, uint16, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "listen on %s", addr)
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	var conns atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, portOf(t, ln.Addr()), &conns
}

func portOf(t *testing.T, a net.Addr) uint16 {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	require.NoError(t, err)
	return ap.Port()
}

func hostURL(host string, port uint16, path string) string {
	return "http://" + net.JoinHostPort(host, strconv.Itoa(int(port))) + path
}

// mapResolver answers from a fixed table: fake names only ever point at
// loopback addresses.
type mapResolver struct {
	mu    sync.Mutex
	names map[string][]netip.Addr
	asked []string
}

func newMapResolver(kv ...string) *mapResolver {
	r := &mapResolver{names: map[string][]netip.Addr{}}
	for i := 0; i+1 < len(kv); i += 2 {
		r.names[kv[i]] = append(r.names[kv[i]], netip.MustParseAddr(kv[i+1]))
	}
	return r
}

func (r *mapResolver) String() string { return "map" }

func (r *mapResolver) Lookup(_ context.Context, host string) (fetch.DNSLookup, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, host)
	addrs, ok := r.names[host]
	l := fetch.DNSLookup{Name: host, Addrs: addrs, Server: "map"}
	if !ok {
		return l, fmt.Errorf("%s: no such host", host)
	}
	return l, nil
}

// requireCode asserts that err is a *fetch.Error with the given code.
func requireCode(t *testing.T, err error, code fetch.Code) *fetch.Error {
	t.Helper()
	require.Error(t, err)
	var fe *fetch.Error
	require.True(t, errors.As(err, &fe), "not a *fetch.Error: %T %v", err, err)
	require.Equal(t, code, fe.Code, "error: %v", err)
	require.NotEmpty(t, fe.Message)
	return fe
}

func fetchCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}
