package fetch

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/proxy"
)

// proxySpec is a parsed proxy URL.
type proxySpec struct {
	u        *url.URL
	socks    bool   // SOCKS5, else HTTP CONNECT
	addr     string // host:port of the proxy
	redacted string // the URL without a password, for the evidence
}

func parseProxy(raw string) (*proxySpec, error) {
	// The URL may hold a password: no message repeats it (url.Parse's
	// errors quote what they were given).
	u, err := url.Parse(raw)
	if err != nil {
		return nil, newError(BadURL, nil, "the proxy is not a URL (socks5://host:port, socks5h://… or http://…)")
	}
	if u.Host == "" {
		return nil, newError(BadURL, nil, "proxy %q has no host", u.Redacted())
	}
	p := &proxySpec{u: u, redacted: u.Redacted()}
	var defPort string
	switch strings.ToLower(u.Scheme) {
	case "socks5", "socks5h":
		p.socks, defPort = true, "1080"
	case "http":
		defPort = "8080"
	default:
		return nil, newError(BadURL, nil, "proxy scheme %q is not supported (socks5, socks5h, http)", u.Scheme)
	}
	p.addr = u.Host
	if u.Port() == "" {
		p.addr = net.JoinHostPort(u.Hostname(), defPort)
	}
	return p, nil
}

// connTarget is what undox knows about a connection it made.
type connTarget struct {
	Host   string         // the name (or literal) from the URL
	Remote netip.AddrPort // the checked address connected to (invalid for a .onion name through a proxy)
	TLS    *TLSInfo
}

// dialer makes the connections of a transport (or of Fetcher.DialContext):
// it resolves names with the configured resolver, checks every address
// against the policy, and connects directly or through a proxy. Direct
// connections are checked a second time by the net.Dialer's Control hook on
// the address actually being connected to.
type dialer struct {
	f     *Fetcher
	proxy *proxySpec
}

func (d *dialer) netDialer(checked bool) *net.Dialer {
	nd := &net.Dialer{Timeout: d.f.cfg.DialTimeout}
	if checked {
		pol := d.f.policy
		nd.ControlContext = func(_ context.Context, _, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return newError(BlockedAddress, err, "cannot check address %q", address)
			}
			return pol.check(ap)
		}
	}
	return nd
}

// dial connects to addr ("host:port" as in the URL) and reports the checked
// address it connected to. It passes every DNS lookup it makes to record, if
// not nil.
func (d *dialer) dial(ctx context.Context, addr string, record func(DNSLookup)) (net.Conn, connTarget, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, connTarget{}, newError(BadURL, err, "bad host and port %q", addr)
	}
	t := connTarget{Host: host}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return nil, t, newError(BadURL, err, "bad port %q", portText)
	}
	if err := d.f.policy.checkPort(uint16(port)); err != nil {
		return nil, t, err
	}

	name := strings.TrimSuffix(strings.ToLower(host), ".")
	var addrs []netip.Addr
	literal, err := netip.ParseAddr(host)
	if err == nil {
		addrs = []netip.Addr{literal}
	} else if name == "onion" || strings.HasSuffix(name, ".onion") {
		// Onion names mean nothing to DNS; only Tor resolves them.
		if d.proxy == nil {
			return nil, t, newError(DNSFailure, nil, "%s is a Tor onion name and needs a proxy (Tor's SOCKS port)", host)
		}
		conn, err := d.viaProxy(ctx, net.JoinHostPort(name, portText))
		return conn, t, err
	} else if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		// RFC 6761: localhost names are loopback, whatever a DNS server says.
		addrs = []netip.Addr{netip.IPv6Loopback(), netip.AddrFrom4([4]byte{127, 0, 0, 1})}
		if record != nil {
			record(DNSLookup{Name: host, Addrs: addrs, Server: "RFC 6761 (localhost)", At: time.Now().UTC()})
		}
	} else {
		addrs, err = d.resolve(ctx, host, record)
		if err != nil {
			return nil, t, err
		}
	}

	var allowed []netip.Addr
	var firstBlock error
	for _, a := range addrs {
		if err := d.f.policy.checkAddr(a); err != nil {
			if firstBlock == nil {
				firstBlock = err
			}
			continue
		}
		allowed = append(allowed, a)
	}
	if len(allowed) == 0 {
		if firstBlock == nil {
			firstBlock = newError(DNSFailure, nil, "%s has no addresses", host)
		}
		if !literal.IsValid() {
			var fe *Error
			if errors.As(firstBlock, &fe) && fe.Code == BlockedAddress {
				return nil, t, newError(BlockedAddress, fe.Err, "%s resolves only to addresses undox does not connect to (%s)", host, fe.Message)
			}
		}
		return nil, t, firstBlock
	}

	var lastErr error
	for _, a := range allowed {
		t.Remote = netip.AddrPortFrom(a, uint16(port))
		var conn net.Conn
		if d.proxy != nil {
			conn, err = d.viaProxy(ctx, t.Remote.String())
		} else {
			conn, err = d.netDialer(true).DialContext(ctx, "tcp", t.Remote.String())
		}
		if err == nil {
			return conn, t, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	var fe *Error
	if errors.As(lastErr, &fe) {
		return nil, t, fe
	}
	if ctx.Err() == nil {
		var ne net.Error
		if errors.As(lastErr, &ne) && ne.Timeout() {
			return nil, t, newError(Timeout, lastErr, "connecting to %s timed out", host)
		}
	}
	return nil, t, newError(ConnectionFailed, lastErr, "cannot connect to %s: %v", host, lastErr)
}

func (d *dialer) resolve(ctx context.Context, host string, record func(DNSLookup)) ([]netip.Addr, error) {
	at := time.Now().UTC()
	l, err := d.f.cfg.Resolver.Lookup(ctx, host)
	l.At = at
	if l.Name == "" {
		l.Name = host
	}
	if err != nil {
		l.Error = err.Error()
	}
	if record != nil {
		record(l)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, newError(DNSFailure, err, "cannot resolve %s: %v", host, err)
	}
	if len(l.Addrs) == 0 {
		return nil, newError(DNSFailure, nil, "%s has no addresses", host)
	}
	return l.Addrs, nil
}

// viaProxy asks the proxy to connect to target, which is an address undox
// has checked, or a .onion name.
func (d *dialer) viaProxy(ctx context.Context, target string) (net.Conn, error) {
	forward := d.netDialer(false) // the proxy is the operator's choice, not the attacker's
	var conn net.Conn
	var err error
	if d.proxy.socks {
		var auth *proxy.Auth
		if u := d.proxy.u.User; u != nil {
			pw, _ := u.Password()
			auth = &proxy.Auth{User: u.Username(), Password: pw}
		}
		var pd proxy.Dialer
		pd, err = proxy.SOCKS5("tcp", d.proxy.addr, auth, forward)
		if err == nil {
			conn, err = pd.(proxy.ContextDialer).DialContext(ctx, "tcp", target)
		}
	} else {
		conn, err = httpConnect(ctx, forward, d.proxy, target)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, newError(ConnectionFailed, err, "proxy %s could not connect to %s: %v", d.proxy.redacted, target, err)
	}
	return conn, nil
}

// httpConnect opens a tunnel to target through an HTTP proxy.
func httpConnect(ctx context.Context, forward *net.Dialer, p *proxySpec, target string) (net.Conn, error) {
	conn, err := forward.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: target},
		Host:   target,
		Header: make(http.Header),
	}
	if u := p.u.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, fmt.Errorf("CONNECT answered %s", resp.Status)
	}
	if !stop() {
		conn.Close()
		return nil, ctx.Err()
	}
	if br.Buffered() > 0 {
		return &bufferedConn{Conn: conn, r: br}, nil
	}
	return conn, nil
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
