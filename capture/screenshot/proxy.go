package screenshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/undox/undox/capture/fetch"
)

// Limits of the record of refused requests of one shot.
const (
	maxBlocked       = 500  // distinct entries kept; later ones are only counted
	maxBlockedURLLen = 2048 // a longer URL is cut (a page can put anything in a URL)
)

// proxy is an HTTP forward proxy on 127.0.0.1 that the browser sends all of
// its traffic through. It connects only through the Fetcher's
// DialContextVia (through the upstream proxy, if there is one), so the
// Fetcher's resolver and address policy decide every connection, and it
// records what it refused.
//
// A proxy with deny set refuses everything: it is the browser-wide proxy,
// which no page is meant to use (every shot has its own browser context with
// its own proxy).
type proxy struct {
	f        *fetch.Fetcher
	upstream string                    // the proxy every connection goes through ("" for none)
	deny     string                    // non-empty: refuse every request, for this reason
	isSelf   func(netip.AddrPort) bool // the proxies' own listeners, never connected to

	ln     net.Listener
	srv    *http.Server
	tr     *http.Transport
	rp     *httputil.ReverseProxy
	ctx    context.Context // ends when the proxy closes: every request and tunnel ends with it
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	blocked []Blocked
	index   map[string]int // key of a refusal -> its place in blocked
	dropped int            // refusals not kept because blocked was full
	// failures are the errors the proxy answered instead of the site, by
	// "CONNECT host:port" or by URL, so that a main document the browser
	// got from the proxy (a 403 or 502 page) is not taken for the site's.
	failures map[string]*fetch.Error
	tunnels  map[net.Conn]struct{}
	wg       sync.WaitGroup // tunnel goroutines
}

// startProxy listens on 127.0.0.1 on a free port and serves, connecting
// through upstream ("" for none).
func startProxy(f *fetch.Fetcher, upstream string, isSelf func(netip.AddrPort) bool, deny string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("screenshot: cannot start the local proxy: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &proxy{
		f:        f,
		upstream: upstream,
		deny:     deny,
		isSelf:   isSelf,
		ln:       ln,
		ctx:      ctx,
		cancel:   cancel,
		index:    make(map[string]int),
		failures: make(map[string]*fetch.Error),
		tunnels:  make(map[net.Conn]struct{}),
	}
	p.tr = &http.Transport{
		Proxy:                  nil, // never the environment's proxy
		DialContext:            p.dial,
		DisableCompression:     true, // the browser asked for its own encodings
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 1 << 20,
	}
	p.rp = &httputil.ReverseProxy{
		// The request is in absolute form (http://host/path), so Out
		// already points at the origin. Rewrite (instead of Director) also
		// makes ReverseProxy drop any X-Forwarded-* header: the origin
		// learns nothing about the proxy.
		Rewrite:       func(*httputil.ProxyRequest) {},
		Transport:     p.tr,
		FlushInterval: -1,
		ErrorHandler:  p.fail,
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	p.srv = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    1 << 20,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go p.srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed
	return p, nil
}

// addr is the proxy's listening address.
func (p *proxy) addr() netip.AddrPort {
	return p.ln.Addr().(*net.TCPAddr).AddrPort()
}

// url is the proxy's address as Chromium's --proxy-server wants it.
func (p *proxy) url() string {
	return "http://" + p.addr().String()
}

// close stops the proxy: the listener, every request in flight and every
// tunnel. It waits for the tunnels to end.
func (p *proxy) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for c := range p.tunnels {
		c.Close()
	}
	p.mu.Unlock()
	p.cancel()
	p.srv.Close()
	p.tr.CloseIdleConnections()
	p.wg.Wait()
}

// refusals returns a copy of what the proxy refused, and how many refusals
// were not kept.
func (p *proxy) refusals() ([]Blocked, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Blocked, len(p.blocked))
	copy(out, p.blocked)
	return out, p.dropped
}

// maxFailures bounds the failures remembered per shot.
const maxFailures = 1000

// noteFailure remembers that the proxy answered r with err.
func (p *proxy) noteFailure(r *http.Request, err *fetch.Error) {
	key := failureKey(r.Method, r.Host, redactURL(r.URL))
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.failures[key]; !ok && len(p.failures) < maxFailures {
		p.failures[key] = err
	}
}

func failureKey(method, host, rawURL string) string {
	if method == http.MethodConnect {
		return "CONNECT " + host
	}
	return rawURL
}

// failure is what the proxy answered instead of the site for a CONNECT to
// hostport (method CONNECT) or for the URL rawURL, or nil.
func (p *proxy) failure(method, hostport, rawURL string) *fetch.Error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failures[failureKey(method, hostport, rawURL)]
}

// record notes a refused request.
func (p *proxy) record(b Blocked) {
	if len(b.URL) > maxBlockedURLLen {
		b.URL = b.URL[:maxBlockedURLLen]
	}
	key := b.Method + " " + b.Host + " " + b.URL + " " + b.Reason
	p.mu.Lock()
	defer p.mu.Unlock()
	if i, ok := p.index[key]; ok {
		p.blocked[i].Count++
		return
	}
	if len(p.blocked) >= maxBlocked {
		p.dropped++
		return
	}
	b.Count = 1
	b.At = time.Now().UTC()
	p.index[key] = len(p.blocked)
	p.blocked = append(p.blocked, b)
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.connect(w, r)
		return
	}
	if !r.URL.IsAbs() || r.URL.Host == "" {
		// Not a proxy request (origin form): nobody but the browser
		// should talk to this port, and it always sends absolute URLs.
		http.Error(w, "undox screenshot proxy: not a proxy request", http.StatusBadRequest)
		return
	}
	target := redactURL(r.URL)
	if r.URL.Scheme != "http" {
		p.refuse(w, r, target, fetch.BadURL, fmt.Sprintf("scheme %q is not proxied", r.URL.Scheme), http.StatusForbidden)
		return
	}
	if p.deny != "" {
		p.refuse(w, r, target, fetch.BlockedAddress, p.deny, http.StatusForbidden)
		return
	}
	r.Header.Del("Proxy-Connection")
	p.rp.ServeHTTP(w, r)
}

// connect serves CONNECT host:port (HTTPS, WSS, HTTP/2 over TLS): a raw
// tunnel, opened only if the Fetcher may connect there.
func (p *proxy) connect(w http.ResponseWriter, r *http.Request) {
	hostport := r.Host
	if p.deny != "" {
		p.refuse(w, r, "", fetch.BlockedAddress, p.deny, http.StatusForbidden)
		return
	}
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		p.refuse(w, r, "", fetch.BadURL, "CONNECT to something that is not host:port", http.StatusBadRequest)
		return
	}
	up, err := p.dial(r.Context(), "tcp", hostport)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "undox screenshot proxy: cannot tunnel", http.StatusInternalServerError)
		return
	}
	client, brw, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	if !p.track(client, up) {
		client.Close()
		up.Close()
		return
	}
	if _, err := client.Write([]byte("HTTP/1.1 200 Connection Established\r\n\r\n")); err != nil {
		p.untrack(client, up)
		return
	}
	var fromClient io.Reader = client
	if brw.Reader.Buffered() > 0 {
		fromClient = io.MultiReader(io.LimitReader(brw.Reader, int64(brw.Reader.Buffered())), client)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer p.untrack(client, up)
		done := make(chan struct{})
		go func() {
			io.Copy(up, fromClient) //nolint:errcheck // ends when either side closes
			closeWrite(up)
			close(done)
		}()
		io.Copy(client, up) //nolint:errcheck
		closeWrite(client)
		<-done
	}()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	} else {
		c.Close()
	}
}

// track registers the two ends of a tunnel so that close can end it; false
// if the proxy is already closed.
func (p *proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range conns {
		p.tunnels[c] = struct{}{}
	}
	return true
}

func (p *proxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.tunnels, c)
	}
}

// dial connects through the Fetcher, never to one of the proxies
// themselves (which, with loopback allowed, a page could otherwise chain).
// address is host:port as the browser sent it: a name reaches the Fetcher
// as a name, so that undox resolves and checks it (or, through an upstream
// proxy, hands it a .onion name unresolved).
func (p *proxy) dial(ctx context.Context, _, address string) (net.Conn, error) {
	if ap, err := netip.ParseAddrPort(address); err == nil && p.isSelf(unmap(ap)) {
		return nil, errSelf(address)
	}
	// No dial outlives the proxy (http.Transport may finish a dial for
	// its pool after the request that started it is gone).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(p.ctx, cancel)
	defer stop()
	conn, err := p.f.DialContextVia(ctx, "tcp", address, p.upstream)
	if err != nil {
		return nil, err
	}
	// The checked address the connection leads to, not its RemoteAddr,
	// which is the upstream proxy's.
	if ap := fetch.DialedAddr(conn); ap.IsValid() && p.isSelf(unmap(ap)) {
		conn.Close()
		return nil, errSelf(address)
	}
	return conn, nil
}

func errSelf(address string) error {
	return &fetch.Error{Code: fetch.BlockedAddress, Message: address + " is the screenshot proxy itself"}
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// fail answers a request whose connection failed: 403 for an address the
// policy refuses (recorded), 504 for a timeout, 502 otherwise.
func (p *proxy) fail(w http.ResponseWriter, r *http.Request, err error) {
	target := ""
	if r.Method != http.MethodConnect {
		target = redactURL(r.URL)
	}
	var fe *fetch.Error
	if !errors.As(err, &fe) {
		fe = &fetch.Error{Code: fetch.ConnectionFailed, Message: err.Error(), Err: err}
	}
	switch {
	case fe.Code == fetch.BlockedAddress:
		p.refuse(w, r, target, fe.Code, fe.Message, http.StatusForbidden)
	case p.ctx.Err() != nil || r.Context().Err() != nil:
		// The shot is over, or the browser gave up on the request.
	case fe.Code == fetch.Timeout:
		p.noteFailure(r, fe)
		http.Error(w, "undox screenshot proxy: "+fe.Message, http.StatusGatewayTimeout)
	default:
		p.noteFailure(r, fe)
		http.Error(w, "undox screenshot proxy: "+fe.Message, http.StatusBadGateway)
	}
}

// refuse records a refused request and answers it.
func (p *proxy) refuse(w http.ResponseWriter, r *http.Request, target string, code fetch.Code, reason string, status int) {
	p.record(Blocked{Method: r.Method, URL: target, Host: hostPort(r), Code: code, Reason: reason})
	p.noteFailure(r, &fetch.Error{Code: code, Message: reason})
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "undox screenshot proxy refused this request: "+reason, status)
}

// hostPort is the host:port a proxy request is for.
func hostPort(r *http.Request) string {
	if r.Method == http.MethodConnect {
		return r.Host
	}
	h := r.URL.Host
	if _, _, err := net.SplitHostPort(h); err != nil {
		port := "80"
		if r.URL.Scheme == "https" {
			port = "443"
		}
		h = net.JoinHostPort(strings.Trim(h, "[]"), port)
	}
	return h
}

// redactURL is u without a password.
func redactURL(u *url.URL) string {
	return u.Redacted()
}
