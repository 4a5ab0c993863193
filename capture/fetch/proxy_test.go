package fetch_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/capture/fetch/proxytest"
)

func TestProxies(t *testing.T) {
	srv, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "via proxy "+r.Host)
	}))
	_, blockedPort, blockedConns := serveOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	onion := "duskgytldkxiuqc6.onion"
	route := map[string]string{onion: srv.Listener.Addr().String()}

	for _, kind := range []string{"socks5", "connect"} {
		t.Run(kind, func(t *testing.T) {
			p := proxytest.StartSOCKS5(t, route)
			proxyURL := p.URL()
			if kind == "connect" {
				p = proxytest.StartConnect(t, route)
				proxyURL = "http://user:secret@" + p.Addr
			}
			cfg := testConfig(port, blockedPort)
			cfg.Resolver = newMapResolver("site.test", "127.0.0.1", "evil.test", "127.0.0.2")
			f := fetch.New(cfg)
			t.Cleanup(f.CloseIdleConnections) // before the proxy waits for its connections to end

			// A name: undox resolves and checks it, and the proxy gets the address.
			r, err := f.Fetch(fetchCtx(t), hostURL("site.test", port, "/"), fetch.WithProxy(proxyURL))
			require.NoError(t, err)
			require.Equal(t, "via proxy site.test:"+strconv.Itoa(int(port)), string(r.Body))
			require.Equal(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, r.IPs)
			require.Equal(t, "127.0.0.1", r.Remote.Addr().String())
			want := proxytest.Request{Kind: "ipv4", Host: "127.0.0.1", Port: port}
			if kind == "connect" {
				want.Kind = "connect"
				require.NotContains(t, r.Proxy, "secret", "the password is not kept")
				require.Equal(t, "Basic dXNlcjpzZWNyZXQ=", p.Auth())
			}
			require.Equal(t, []proxytest.Request{want}, p.Requests())

			// A .onion name goes to the proxy as a name, unresolved.
			r, err = f.Fetch(fetchCtx(t), hostURL(onion, port, "/"), fetch.WithProxy(proxyURL))
			require.NoError(t, err)
			require.Contains(t, string(r.Body), onion)
			require.Empty(t, r.DNS)
			require.False(t, r.Remote.IsValid())
			wantName := proxytest.Request{Kind: "name", Host: onion, Port: port}
			if kind == "connect" {
				wantName.Kind = "connect"
			}
			require.Equal(t, wantName, p.Requests()[1])

			// A name that resolves to a blocked address never reaches the proxy,
			// nor does a blocked literal.
			for _, u := range []string{hostURL("evil.test", blockedPort, "/"), hostURL("127.0.0.2", blockedPort, "/"), hostURL("127.0.0.1", 22, "/")} {
				_, err = f.Fetch(fetchCtx(t), u, fetch.WithProxy(proxyURL))
				requireCode(t, err, fetch.BlockedAddress)
			}
			require.Len(t, p.Requests(), 2)
			require.Zero(t, blockedConns.Load())

			// Without WithProxy, no proxy: Config.Proxy is empty.
			r, err = f.Fetch(fetchCtx(t), hostURL("site.test", port, "/"))
			require.NoError(t, err)
			require.Empty(t, r.Proxy)
			require.Len(t, p.Requests(), 2)
		})
	}

	t.Run("proxy down", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close()
		cfg := testConfig(port)
		cfg.Proxy = "socks5://" + addr
		_, err = fetch.New(cfg).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
		requireCode(t, err, fetch.ConnectionFailed)
	})
}

// get sends one HTTP request over conn and returns the body.
func get(t *testing.T, conn net.Conn, host string) string {
	t.Helper()
	defer conn.Close()
	req, err := http.NewRequest(http.MethodGet, "http://"+host+"/", nil)
	require.NoError(t, err)
	req.Close = true
	require.NoError(t, req.Write(conn))
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// DialContextVia dials as a fetch through the same proxy does: the proxy
// gets checked addresses, and .onion names only as names.
func TestDialContextVia(t *testing.T) {
	srv, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "dialled "+r.Host)
	}))
	_, blockedPort, blockedConns := serveOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	onion := "duskgytldkxiuqc6.onion"
	p := proxytest.StartSOCKS5(t, map[string]string{onion: srv.Listener.Addr().String()})
	cfg := testConfig(port, blockedPort)
	cfg.Resolver = newMapResolver("site.test", "127.0.0.1", "evil.test", "127.0.0.2")
	f := fetch.New(cfg)
	ctx := fetchCtx(t)
	site := net.JoinHostPort("site.test", strconv.Itoa(int(port)))

	conn, err := f.DialContextVia(ctx, "tcp", site, p.URL())
	require.NoError(t, err)
	require.Equal(t, p.Addr, conn.RemoteAddr().String(), "the connection is to the proxy")
	require.Equal(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), fetch.DialedAddr(conn))
	require.Equal(t, "dialled "+site, get(t, conn, site))
	require.Equal(t, []proxytest.Request{{Kind: "ipv4", Host: "127.0.0.1", Port: port}}, p.Requests(),
		"undox resolved the name and handed the proxy the checked address")

	onionAddr := net.JoinHostPort(onion, strconv.Itoa(int(port)))
	conn, err = f.DialContextVia(ctx, "tcp", onionAddr, p.URL())
	require.NoError(t, err)
	require.False(t, fetch.DialedAddr(conn).IsValid(), "only the proxy knows where an onion name leads")
	require.Equal(t, "dialled "+onionAddr, get(t, conn, onionAddr))
	require.Equal(t, proxytest.Request{Kind: "name", Host: onion, Port: port}, p.Requests()[1])

	// Without a proxy an onion name cannot be reached at all.
	_, err = f.DialContext(ctx, "tcp", onionAddr)
	requireCode(t, err, fetch.DNSFailure)

	// Refused before the proxy is asked: a name of a blocked address, a
	// blocked literal, a port that is not open, a network that is not TCP.
	for _, addr := range []string{
		net.JoinHostPort("evil.test", strconv.Itoa(int(blockedPort))),
		net.JoinHostPort("127.0.0.2", strconv.Itoa(int(blockedPort))),
		"127.0.0.1:22",
	} {
		_, err = f.DialContextVia(ctx, "tcp", addr, p.URL())
		requireCode(t, err, fetch.BlockedAddress)
	}
	_, err = f.DialContextVia(ctx, "udp", site, p.URL())
	requireCode(t, err, fetch.BlockedAddress)
	require.Len(t, p.Requests(), 2)
	require.Zero(t, blockedConns.Load())

	_, err = f.DialContextVia(ctx, "tcp", site, "ftp://"+p.Addr)
	requireCode(t, err, fetch.BadURL)

	// "" is no proxy: a direct connection to the checked address.
	conn, err = f.DialContextVia(ctx, "tcp", site, "")
	require.NoError(t, err)
	require.Equal(t, srv.Listener.Addr().String(), conn.RemoteAddr().String())
	require.Equal(t, fetch.DialedAddr(conn).String(), conn.RemoteAddr().String())
	conn.Close()
	require.Len(t, p.Requests(), 2)

	// A proxy that is down fails the dial; it is not skipped.
	down := proxytest.StartSOCKS5(t, nil)
	down.Close()
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = f.DialContextVia(dctx, "tcp", site, down.URL())
	requireCode(t, err, fetch.ConnectionFailed)
}

func TestRedactProxy(t *testing.T) {
	r, err := fetch.RedactProxy("http://user:secret@127.0.0.1:3128")
	require.NoError(t, err)
	require.Equal(t, "http://user:xxxxx@127.0.0.1:3128", r)
	r, err = fetch.RedactProxy("")
	require.NoError(t, err)
	require.Empty(t, r)
	for _, bad := range []string{"127.0.0.1:9050", "ftp://127.0.0.1:21", "socks5://"} {
		_, err = fetch.RedactProxy(bad)
		requireCode(t, err, fetch.BadURL)
	}
	require.Equal(t, "socks5h://127.0.0.1:9050", fetch.New(fetch.Config{Proxy: "socks5h://127.0.0.1:9050"}).ProxyURL())
	// A bad proxy URL's error never repeats its password.
	for _, bad := range []string{"socks5://tor:s3cret@[::1", "http://user:s3cret@", "socks5://user:s3cret@host:bad port"} {
		_, err = fetch.RedactProxy(bad)
		requireCode(t, err, fetch.BadURL)
		require.NotContains(t, err.Error(), "s3cret", bad)
	}
}
