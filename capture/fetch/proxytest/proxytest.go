// Package proxytest runs a SOCKS5 or HTTP CONNECT proxy on 127.0.0.1 for
// tests, and records every connection it was asked for: the tests of fetch,
// screenshot and the CLI check with it that undox's connections went through
// the proxy, and what undox handed it (a checked address, or a .onion name).
//
// The proxy stands in for Tor: names in its route table (a fake .onion name,
// say) are connected to the real address given there. It connects to
// nothing but loopback addresses, so a test that goes wrong cannot reach
// out of the machine through it.
package proxytest

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
)

// Request is one connection the proxy was asked to make.
type Request struct {
	// Kind is the SOCKS5 address type ("ipv4", "ipv6", "name") or
	// "connect" for an HTTP CONNECT.
	Kind string
	Host string // as the client sent it: an address literal or a name
	Port uint16
}

// Conn is a connection the proxy made for a client.
type Conn struct {
	From string // the proxy's end ("127.0.0.1:port"): what the server sees as the client
	To   string // the address connected to
}

// Proxy is a running proxy. Its methods are safe for concurrent use.
type Proxy struct {
	// Addr is "127.0.0.1:port".
	Addr string

	connect bool
	route   map[string]string
	ln      net.Listener
	wg      sync.WaitGroup

	mu      sync.Mutex
	asked   []Request
	carried []Conn
	auth    string
	conns   map[net.Conn]struct{}
	closed  bool
}

// StartSOCKS5 starts a SOCKS5 proxy (no authentication, CONNECT only) that
// connects the names in route (host → "ip:port" on loopback) to their
// address, and address literals as they are. It stops when the test ends.
func StartSOCKS5(tb testing.TB, route map[string]string) *Proxy {
	return start(tb, false, route)
}

// StartConnect starts an HTTP CONNECT proxy, otherwise as StartSOCKS5. It
// accepts any Proxy-Authorization and records it (Auth).
func StartConnect(tb testing.TB, route map[string]string) *Proxy {
	return start(tb, true, route)
}

func start(tb testing.TB, connect bool, route map[string]string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("proxytest: %v", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), connect: connect, route: route, ln: ln, conns: make(map[net.Conn]struct{})}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.track(c) {
				c.Close()
				return
			}
			p.wg.Go(func() { p.handle(c) })
		}
	})
	tb.Cleanup(p.Close)
	return p
}

// URL is the proxy's URL for fetch.Config.Proxy and --proxy: socks5h:// or
// http://.
func (p *Proxy) URL() string {
	if p.connect {
		return "http://" + p.Addr
	}
	return "socks5h://" + p.Addr
}

// Requests are the connections the proxy was asked for, in order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.asked...)
}

// Carried are the connections the proxy made, in order: one per request
// it carried.
func (p *Proxy) Carried() []Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Conn(nil), p.carried...)
}

// Auth is the last Proxy-Authorization header a CONNECT proxy got.
func (p *Proxy) Auth() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.auth
}

// Close stops the proxy and cuts every connection it carries. It is called
// when the test ends.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *Proxy) handle(c net.Conn) {
	defer p.untrack(c)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	req, ok := p.readRequest(c, br)
	if !ok {
		return
	}
	p.mu.Lock()
	p.asked = append(p.asked, req)
	p.mu.Unlock()

	target := net.JoinHostPort(req.Host, strconv.Itoa(int(req.Port)))
	if r, ok := p.route[req.Host]; ok {
		target = r
	}
	var up net.Conn
	var err error
	if ap, perr := netip.ParseAddrPort(target); perr != nil || !ap.Addr().Unmap().IsLoopback() {
		err = errNotLoopback
	} else {
		up, err = net.DialTimeout("tcp", target, 2*time.Second)
	}
	if err != nil {
		if p.connect {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		} else {
			c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}) // connection refused
		}
		return
	}
	if !p.track(up) {
		up.Close()
		return
	}
	defer p.untrack(up)
	defer up.Close()
	p.mu.Lock()
	p.carried = append(p.carried, Conn{From: up.LocalAddr().String(), To: target})
	p.mu.Unlock()
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

type proxyError string

func (e proxyError) Error() string { return string(e) }

const errNotLoopback = proxyError("proxytest connects to loopback addresses only")

// readRequest reads the client's request: a SOCKS5 greeting and CONNECT,
// or an HTTP CONNECT.
func (p *Proxy) readRequest(c net.Conn, br *bufio.Reader) (Request, bool) {
	if p.connect {
		req, err := http.ReadRequest(br)
		if err != nil || req.Method != http.MethodConnect {
			return Request{}, false
		}
		host, port, err := net.SplitHostPort(req.Host)
		if err != nil {
			return Request{}, false
		}
		n, _ := strconv.ParseUint(port, 10, 16)
		p.mu.Lock()
		p.auth = req.Header.Get("Proxy-Authorization")
		p.mu.Unlock()
		return Request{Kind: "connect", Host: host, Port: uint16(n)}, true
	}
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(br, hdr); err != nil || hdr[0] != 5 {
		return Request{}, false
	}
	if _, err := io.ReadFull(br, make([]byte, hdr[1])); err != nil {
		return Request{}, false
	}
	c.Write([]byte{5, 0}) // no authentication
	head := make([]byte, 4)
	if _, err := io.ReadFull(br, head); err != nil || head[1] != 1 {
		return Request{}, false
	}
	var req Request
	switch head[3] {
	case 1:
		b := make([]byte, 4)
		io.ReadFull(br, b)
		req = Request{Kind: "ipv4", Host: net.IP(b).String()}
	case 4:
		b := make([]byte, 16)
		io.ReadFull(br, b)
		req = Request{Kind: "ipv6", Host: net.IP(b).String()}
	case 3:
		l, _ := br.ReadByte()
		b := make([]byte, l)
		io.ReadFull(br, b)
		req = Request{Kind: "name", Host: string(b)}
	default:
		return Request{}, false
	}
	var pb [2]byte
	if _, err := io.ReadFull(br, pb[:]); err != nil {
		return Request{}, false
	}
	req.Port = binary.BigEndian.Uint16(pb[:])
	return req, true
}
