package fetch_test

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
)

// proxyRecord is what a test proxy was asked to connect to.
type proxyRecord struct {
	kind string // "ipv4", "ipv6", "name" (SOCKS5 address types) or "connect"
	host string
	port uint16
}

// testProxy is a tiny SOCKS5 (no auth, CONNECT only) or HTTP CONNECT proxy on
// 127.0.0.1. It connects names through route (the test's stand-in for Tor)
// and addresses as they are.
type testProxy struct {
	mu      sync.Mutex
	asked   []proxyRecord
	route   map[string]string // host → real address
	addr    string
	auth    string // Proxy-Authorization seen
	connect bool
}

func startProxy(t *testing.T, connect bool, route map[string]string) *testProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &testProxy{route: route, addr: ln.Addr().String(), connect: connect}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.handle(c) })
		}
	})
	return p
}

func (p *testProxy) records() []proxyRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]proxyRecord(nil), p.asked...)
}

func (p *testProxy) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	var rec proxyRecord
	if p.connect {
		req, err := http.ReadRequest(br)
		if err != nil || req.Method != http.MethodConnect {
			return
		}
		host, port, _ := net.SplitHostPort(req.Host)
		n, _ := strconv.Atoi(port)
		rec = proxyRecord{kind: "connect", host: host, port: uint16(n)}
		p.mu.Lock()
		p.auth = req.Header.Get("Proxy-Authorization")
		p.mu.Unlock()
	} else {
		hdr := make([]byte, 2)
		if _, err := io.ReadFull(br, hdr); err != nil || hdr[0] != 5 {
			return
		}
		methods := make([]byte, hdr[1])
		io.ReadFull(br, methods)
		c.Write([]byte{5, 0})
		req := make([]byte, 4)
		if _, err := io.ReadFull(br, req); err != nil || req[1] != 1 {
			return
		}
		switch req[3] {
		case 1:
			b := make([]byte, 4)
			io.ReadFull(br, b)
			rec = proxyRecord{kind: "ipv4", host: net.IP(b).String()}
		case 4:
			b := make([]byte, 16)
			io.ReadFull(br, b)
			rec = proxyRecord{kind: "ipv6", host: net.IP(b).String()}
		case 3:
			l, _ := br.ReadByte()
			b := make([]byte, l)
			io.ReadFull(br, b)
			rec = proxyRecord{kind: "name", host: string(b)}
		default:
			return
		}
		var pb [2]byte
		io.ReadFull(br, pb[:])
		rec.port = binary.BigEndian.Uint16(pb[:])
	}
	p.mu.Lock()
	p.asked = append(p.asked, rec)
	p.mu.Unlock()

	target := net.JoinHostPort(rec.host, strconv.Itoa(int(rec.port)))
	if r, ok := p.route[rec.host]; ok {
		target = r
	}
	up, err := net.DialTimeout("tcp", target, 2*time.Second)
	if err != nil {
		if p.connect {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		} else {
			c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		}
		return
	}
	defer up.Close()
	if p.connect {
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	} else {
		c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	}
	c.SetDeadline(time.Time{})
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, br); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}

func TestProxies(t *testing.T) {
	srv, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "via proxy "+r.Host)
	}))
	_, blockedPort, blockedConns := serveOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	onion := "duskgytldkxiuqc6.onion"
	route := map[string]string{onion: srv.Listener.Addr().String()}

	for _, kind := range []string{"socks5", "connect"} {
		t.Run(kind, func(t *testing.T) {
			p := startProxy(t, kind == "connect", route)
			proxyURL := "socks5h://" + p.addr
			if kind == "connect" {
				proxyURL = "http://user:secret@" + p.addr
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
			want := proxyRecord{kind: "ipv4", host: "127.0.0.1", port: port}
			if kind == "connect" {
				want.kind = "connect"
				require.NotContains(t, r.Proxy, "secret", "the password is not kept")
				require.Equal(t, "Basic dXNlcjpzZWNyZXQ=", p.auth)
			}
			require.Equal(t, []proxyRecord{want}, p.records())

			// A .onion name goes to the proxy as a name, unresolved.
			r, err = f.Fetch(fetchCtx(t), hostURL(onion, port, "/"), fetch.WithProxy(proxyURL))
			require.NoError(t, err)
			require.Contains(t, string(r.Body), onion)
			require.Empty(t, r.DNS)
			require.False(t, r.Remote.IsValid())
			wantName := proxyRecord{kind: "name", host: onion, port: port}
			if kind == "connect" {
				wantName.kind = "connect"
			}
			require.Equal(t, wantName, p.records()[1])

			// A name that resolves to a blocked address never reaches the proxy,
			// nor does a blocked literal.
			for _, u := range []string{hostURL("evil.test", blockedPort, "/"), hostURL("127.0.0.2", blockedPort, "/"), hostURL("127.0.0.1", 22, "/")} {
				_, err = f.Fetch(fetchCtx(t), u, fetch.WithProxy(proxyURL))
				requireCode(t, err, fetch.BlockedAddress)
			}
			require.Len(t, p.records(), 2)
			require.Zero(t, blockedConns.Load())

			// Without WithProxy, no proxy: Config.Proxy is empty.
			r, err = f.Fetch(fetchCtx(t), hostURL("site.test", port, "/"))
			require.NoError(t, err)
			require.Empty(t, r.Proxy)
			require.Len(t, p.records(), 2)
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
