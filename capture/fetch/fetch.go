// Package fetch fetches attacker-controlled URLs safely and keeps what it saw
// as evidence.
//
// Every connection of every hop is checked after DNS resolution, on the IP
// address actually being connected to: loopback, private, link-local, CGNAT,
// multicast, unspecified, broadcast, IPv6 unique-local and site-local,
// documentation and other special-purpose ranges, and every IPv6 form that
// embeds an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are refused
// unless Config opens them; so are ports other than 80 and 443. Bodies,
// decompression, headers, redirects, time to first byte, total time and the
// transfer rate are all bounded, so a hostile server cannot hold or exhaust a
// worker. An invalid TLS certificate does not stop a fetch: it is recorded.
//
// A Fetcher is safe for concurrent use. Each Fetch makes its own connections
// (none are shared between fetches), so every result carries its own DNS
// answers, addresses and TLS session.
package fetch

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Config configures a Fetcher. The zero value is usable: public internet only,
// ports 80 and 443, and the defaults below.
type Config struct {
	// AllowPrivate lets undox connect to every address, private or not
	// (--allow-private-networks: tests and local development only).
	AllowPrivate bool
	// AllowNetworks opens these ranges on top of the public internet
	// (--allow-networks). An IPv4 prefix also opens the IPv4-mapped IPv6 form
	// of its addresses.
	AllowNetworks []netip.Prefix
	// AllowPorts are allowed in addition to 80 and 443.
	AllowPorts []uint16
	// AllowAnyPort allows every port.
	AllowAnyPort bool

	// MaxBodyBytes bounds the body, both as received and after
	// decompression (default 20 MiB). A larger body is cut off there: the
	// result keeps the first MaxBodyBytes bytes, says Truncated, and the
	// error is too_large.
	MaxBodyBytes int64
	// MaxDecompressRatio bounds decompressed/compressed size once the
	// decompressed body passes 1 MiB (default 100); a compression bomb is cut
	// off with too_large. Negative: no ratio bound (the size bound stays).
	MaxDecompressRatio int
	// MaxHeaderBytes bounds the response headers of each hop (default 1 MiB).
	MaxHeaderBytes int64
	// MaxRedirects is how many redirects are followed (default 10; negative:
	// none).
	MaxRedirects int

	// Timeout bounds the whole fetch, redirects included (default 60 s).
	Timeout time.Duration
	// FirstByteTimeout bounds each hop from its start (DNS, connecting, TLS,
	// sending the request) to the end of the response headers (default 20 s).
	FirstByteTimeout time.Duration
	// DialTimeout bounds each connection attempt (default 10 s).
	DialTimeout time.Duration
	// MinBytesPerSecond is the lowest transfer rate of a body, measured over
	// each MinRateWindow (defaults 1024 B/s over 10 s). A body that arrives
	// slower, or stalls, is cut off with too_slow. Negative: no rate bound.
	MinBytesPerSecond int64
	MinRateWindow     time.Duration

	// UserAgent is sent with every request (default DefaultUserAgent).
	UserAgent string
	// Resolver resolves names (default SystemResolver(nil)).
	Resolver Resolver
	// RootCAs verifies certificates (nil: the system's). Verification only
	// decides what is recorded; it never stops a fetch.
	RootCAs *x509.CertPool
	// Proxy, if set, is the proxy for every fetch unless WithProxy says
	// otherwise: socks5://host:port, socks5h://host:port or http://host:port
	// (CONNECT), with optional user:password.
	Proxy string
}

// Defaults.
const (
	DefaultMaxBodyBytes       = 20 << 20
	DefaultMaxDecompressRatio = 100
	DefaultMaxHeaderBytes     = 1 << 20
	DefaultMaxRedirects       = 10
	DefaultTimeout            = 60 * time.Second
	DefaultFirstByteTimeout   = 20 * time.Second
	DefaultDialTimeout        = 10 * time.Second
	DefaultMinBytesPerSecond  = 1024
	DefaultMinRateWindow      = 10 * time.Second
	DefaultUserAgent          = "Mozilla/5.0 (compatible; undox-capture/1.0; +https://github.com/undox/undox)"
)

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxDecompressRatio == 0 {
		c.MaxDecompressRatio = DefaultMaxDecompressRatio
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	switch {
	case c.MaxRedirects == 0:
		c.MaxRedirects = DefaultMaxRedirects
	case c.MaxRedirects < 0:
		c.MaxRedirects = 0
	}
	def(&c.Timeout, DefaultTimeout)
	def(&c.FirstByteTimeout, DefaultFirstByteTimeout)
	def(&c.DialTimeout, DefaultDialTimeout)
	def(&c.MinRateWindow, DefaultMinRateWindow)
	if c.MinBytesPerSecond == 0 {
		c.MinBytesPerSecond = DefaultMinBytesPerSecond
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Resolver == nil {
		c.Resolver = SystemResolver(nil)
	}
	c.AllowNetworks = slices.Clone(c.AllowNetworks)
	c.AllowPorts = slices.Clone(c.AllowPorts)
	return c
}

// Fetcher fetches URLs under one Config. It is safe for concurrent use.
type Fetcher struct {
	cfg    Config
	policy *policy
}

// New returns a Fetcher for cfg (see Config for the defaults).
func New(cfg Config) *Fetcher {
	cfg = cfg.withDefaults()
	return &Fetcher{cfg: cfg, policy: newPolicy(&cfg)}
}

// CheckAddr reports whether the Fetcher may connect to ap: nil, or an *Error
// with Code BlockedAddress. It sends nothing anywhere.
func (f *Fetcher) CheckAddr(ap netip.AddrPort) error {
	return f.policy.check(ap)
}

// DialContext connects to address ("host:port") under the Fetcher's address
// policy: it resolves the name with the configured resolver and connects only
// to allowed addresses, checking each again as it is dialled. It does not use
// a proxy. It is meant for other components that must reach attacker-chosen
// places, such as the local proxy that a headless browser is routed through.
func (f *Fetcher) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, newError(BlockedAddress, nil, "network %q is not allowed", network)
	}
	d := &dialer{f: f}
	conn, _, err := d.dial(ctx, address)
	return conn, err
}

// Option changes one fetch.
type Option func(*options)

type options struct {
	proxy     *string
	userAgent string
}

// WithProxy fetches through the proxy at proxyURL (socks5://, socks5h:// or
// http:// for CONNECT; "" for none, overriding Config.Proxy). undox resolves and
// checks every name itself and hands the proxy the checked address; only
// .onion names go to the proxy as names.
func WithProxy(proxyURL string) Option {
	return func(o *options) { o.proxy = &proxyURL }
}

// WithUserAgent overrides Config.UserAgent for one fetch.
func WithUserAgent(ua string) Option {
	return func(o *options) { o.userAgent = ua }
}

// Result is what a fetch saw: the evidence. Fetch always returns one, with as
// much as was seen before any error.
type Result struct {
	URL       string         `json:"url"`       // as requested
	FinalURL  string         `json:"final_url"` // after redirects
	Status    int            `json:"status"`
	Proto     string         `json:"proto,omitempty"`
	Header    http.Header    `json:"header,omitempty"` // of the final response (bounded by MaxHeaderBytes)
	Redirects []Hop          `json:"redirects"`        // the redirects followed, in order; the final response is not one of them
	Remote    netip.AddrPort `json:"remote"`           // the address the final response came from (zero for .onion)
	IPs       []netip.Addr   `json:"ips"`              // every address any name of the fetch resolved to
	DNS       []DNSLookup    `json:"dns"`              // every lookup, in order
	Resolver  string         `json:"resolver"`
	Proxy     string         `json:"proxy,omitempty"` // the proxy used, password removed
	TLS       *TLSInfo       `json:"tls,omitempty"`   // of the final response's connection

	Body            []byte `json:"-"`         // as received, after decompression; at most MaxBodyBytes
	Size            int64  `json:"size"`      // len(Body)
	WireBytes       int64  `json:"wire_size"` // body bytes received, before decompression
	Truncated       bool   `json:"truncated"` // the body was longer than MaxBodyBytes (or was cut off by an error)
	SHA256          string `json:"sha256"`    // of Body, hex
	ContentEncoding string `json:"content_encoding,omitempty"`
	Decoded         bool   `json:"decoded"` // Body is the decompressed form (false if the encoding was unknown: Body is then as sent)

	ContentType   string `json:"content_type"` // the header as sent
	MediaType     string `json:"media_type"`   // the header's media type, or sniffed from the body without one
	Charset       string `json:"charset,omitempty"`
	CharsetSource string `json:"charset_source,omitempty"`
	Text          string `json:"-"` // Body as valid UTF-8, for textual media types; "" for binary ones

	FetchedAt time.Time     `json:"fetched_at"`
	Duration  time.Duration `json:"duration"`
}

// Hop is one redirect.
type Hop struct {
	URL      string         `json:"url"`
	Status   int            `json:"status"`
	Location string         `json:"location"`
	Remote   netip.AddrPort `json:"ip"`
	At       time.Time      `json:"at"`
	TLS      *TLSInfo       `json:"tls,omitempty"`
}

// Causes of cancellation, told apart when classifying errors.
var (
	errTotalTimeout = errors.New("total timeout")
	errFirstByte    = errors.New("first-byte timeout")
	errTooSlow      = errors.New("transfer too slow")
)

// recorder collects what the connections of one fetch saw.
type recorder struct {
	mu      sync.Mutex
	conns   map[net.Conn]connTarget
	lookups []DNSLookup
	ips     []netip.Addr
}

func (r *recorder) lookup(l DNSLookup) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups = append(r.lookups, l)
	for _, a := range l.Addrs {
		if !slices.Contains(r.ips, a) {
			r.ips = append(r.ips, a)
		}
	}
}

func (r *recorder) conn(c net.Conn, t connTarget) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns[c] = t
}

func (r *recorder) target(c net.Conn) connTarget {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns[c]
}

// Fetch fetches rawURL with GET, following redirects, and returns what it saw.
// The result is never nil: on error it holds what was seen until then (the
// redirect chain, DNS answers, a partial body), and the error is an *Error.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, opts ...Option) (*Result, error) {
	start := time.Now()
	res := &Result{URL: rawURL, FetchedAt: start.UTC(), Resolver: describeResolver(f.cfg.Resolver)}
	rec := &recorder{conns: make(map[net.Conn]connTarget)}
	defer func() {
		rec.mu.Lock()
		res.DNS = slices.Clone(rec.lookups)
		res.IPs = slices.Clone(rec.ips)
		rec.mu.Unlock()
		res.Duration = time.Since(start)
	}()
	fail := func(err *Error, u string) (*Result, error) {
		if err.URL == "" {
			err.URL = u
		}
		return res, err
	}

	o := options{userAgent: f.cfg.UserAgent}
	for _, opt := range opts {
		opt(&o)
	}
	proxyURL := f.cfg.Proxy
	if o.proxy != nil {
		proxyURL = *o.proxy
	}
	d := &dialer{f: f, rec: rec}
	if proxyURL != "" {
		p, err := parseProxy(proxyURL)
		if err != nil {
			return fail(err.(*Error), rawURL)
		}
		d.proxy = p
		res.Proxy = p.redacted
	}

	cur, ferr := parseURL(rawURL)
	if ferr != nil {
		return fail(ferr, rawURL)
	}

	ctx, cancel := context.WithTimeoutCause(ctx, f.cfg.Timeout, errTotalTimeout)
	defer cancel()

	tr := f.transport(d, rec)
	defer tr.CloseIdleConnections()
	// Cookies live for one fetch: enough for a site that sets one and
	// redirects to itself.
	jar, _ := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})

	visits := map[string]int{}
	for {
		visits[cur.String()]++
		hopCtx, cancelHop := context.WithCancelCause(ctx)
		var (
			connMu sync.Mutex
			conn   net.Conn
		)
		hopCtx = httptrace.WithClientTrace(hopCtx, &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) {
				connMu.Lock()
				conn = i.Conn
				connMu.Unlock()
			},
		})
		ttfb := time.AfterFunc(f.cfg.FirstByteTimeout, func() { cancelHop(errFirstByte) })
		at := time.Now().UTC()
		req, err := http.NewRequestWithContext(hopCtx, http.MethodGet, cur.String(), nil)
		if err != nil {
			ttfb.Stop()
			cancelHop(nil)
			return fail(newError(BadURL, err, "cannot make a request: %v", err), cur.String())
		}
		req.Header.Set("User-Agent", o.userAgent)
		req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
		req.Header.Set("Accept-Encoding", acceptEncoding)
		for _, c := range jar.Cookies(cur) {
			req.AddCookie(c)
		}
		resp, err := tr.RoundTrip(req)
		ttfb.Stop()
		if err != nil {
			e := f.classify(err, hopCtx)
			cancelHop(nil)
			return fail(e, cur.String())
		}
		connMu.Lock()
		t := rec.target(conn)
		connMu.Unlock()
		if rc := resp.Cookies(); len(rc) > 0 {
			jar.SetCookies(cur, rc)
		}

		if loc := resp.Header.Get("Location"); isRedirect(resp.StatusCode) && loc != "" {
			resp.Body.Close() // not drained: an endless redirect body costs nothing
			cancelHop(nil)
			res.Redirects = append(res.Redirects, Hop{
				URL: cur.String(), Status: resp.StatusCode, Location: loc, Remote: t.Remote, At: at, TLS: t.TLS,
			})
			next, err := cur.Parse(loc)
			if err != nil {
				return fail(newError(BadResponse, err, "redirect to an unparseable location %q", loc), cur.String())
			}
			next.Fragment, next.RawFragment = "", ""
			if next, ferr = checkURL(next); ferr != nil {
				ferr.Message = "redirect to " + ferr.Message
				return fail(ferr, cur.String())
			}
			if visits[next.String()] >= 2 {
				return fail(newError(TooManyRedirects, nil, "redirect loop: %s was reached again", next), cur.String())
			}
			if len(res.Redirects) > f.cfg.MaxRedirects {
				return fail(newError(TooManyRedirects, nil, "more than %d redirects", f.cfg.MaxRedirects), cur.String())
			}
			cur = next
			continue
		}

		res.FinalURL = cur.String()
		res.Status = resp.StatusCode
		res.Proto = resp.Proto
		res.Header = resp.Header
		res.Remote = t.Remote
		res.TLS = t.TLS
		res.ContentType = resp.Header.Get("Content-Type")
		berr := f.readBody(hopCtx, cancelHop, resp, res)
		resp.Body.Close()
		cancelHop(nil)
		f.describeBody(res)
		if berr != nil {
			return fail(berr, cur.String())
		}
		return res, nil
	}
}

func describeResolver(r Resolver) string {
	if s, ok := r.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", r)
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// parseURL parses and checks a URL to be fetched.
func parseURL(raw string) (*url.URL, *Error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, newError(BadURL, err, "not a URL: %v", err)
	}
	u.Fragment, u.RawFragment = "", ""
	return checkURL(u)
}

func checkURL(u *url.URL) (*url.URL, *Error) {
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		u.Scheme = strings.ToLower(u.Scheme)
	default:
		return nil, newError(BadURL, nil, "%q is not an http or https URL", u.Redacted())
	}
	if u.Hostname() == "" {
		return nil, newError(BadURL, nil, "%q has no host", u.Redacted())
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return nil, newError(BadURL, err, "%q has a bad port", u.Redacted())
		}
	}
	return u, nil
}

// transport makes the HTTP transport of one fetch: HTTP/1.1 only, no
// environment proxy, no transparent decompression, every connection through d.
func (f *Fetcher) transport(d *dialer, rec *recorder) *http.Transport {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			conn, t, err := d.dial(ctx, addr)
			if err != nil {
				return nil, err
			}
			rec.conn(conn, t)
			return conn, nil
		},
		DialTLSContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			conn, t, err := d.dial(ctx, addr)
			if err != nil {
				return nil, err
			}
			hctx, cancel := context.WithTimeout(ctx, f.cfg.DialTimeout)
			defer cancel()
			tc, info, err := tlsHandshake(hctx, conn, t.Host, f.cfg.RootCAs)
			if err != nil {
				conn.Close()
				if ctx.Err() != nil {
					return nil, err
				}
				return nil, newError(TLSFailure, err, "TLS handshake with %s failed: %v", t.Host, err)
			}
			t.TLS = info
			rec.conn(tc, t)
			return tc, nil
		},
		Protocols:              protocols,
		DisableCompression:     true,
		MaxResponseHeaderBytes: f.cfg.MaxHeaderBytes,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        10 * time.Second,
	}
}

// classify turns an error of a hop into an *Error.
func (f *Fetcher) classify(err error, hopCtx context.Context) *Error {
	if hopCtx.Err() != nil {
		switch cause := context.Cause(hopCtx); {
		case errors.Is(cause, errFirstByte):
			return newError(Timeout, err, "no response within %s", f.cfg.FirstByteTimeout)
		case errors.Is(cause, errTooSlow):
			return newError(TooSlow, err, "the body arrived slower than %d bytes/s over %s", f.cfg.MinBytesPerSecond, f.cfg.MinRateWindow)
		case errors.Is(cause, errTotalTimeout):
			return newError(Timeout, err, "the fetch took longer than %s", f.cfg.Timeout)
		case errors.Is(cause, context.DeadlineExceeded):
			return newError(Timeout, err, "the caller's deadline passed")
		default:
			return newError(Canceled, err, "canceled")
		}
	}
	var fe *Error
	if errors.As(err, &fe) {
		c := *fe
		return &c
	}
	msg := err.Error()
	var dnsErr *net.DNSError
	var ne net.Error
	switch {
	case strings.Contains(msg, "server response headers exceeded"):
		return newError(TooLarge, err, "the response headers are larger than %d bytes", f.cfg.MaxHeaderBytes)
	case errors.As(err, &dnsErr):
		return newError(DNSFailure, err, "cannot resolve: %v", err)
	case errors.As(err, &ne) && ne.Timeout():
		return newError(Timeout, err, "timed out: %v", err)
	case strings.Contains(msg, "readLoopPeekFailLocked"), strings.Contains(msg, "nsolicited response"):
		return newError(BadResponse, err, "the server sent a response before the request: %v", err)
	case strings.Contains(msg, "malformed"), strings.Contains(msg, "invalid"), strings.Contains(msg, "unsupported"),
		strings.Contains(msg, "bogus"), strings.Contains(msg, "too many"), strings.Contains(msg, "gzip"):
		return newError(BadResponse, err, "the server's response is not valid HTTP: %v", err)
	default:
		return newError(ConnectionFailed, err, "the connection failed: %v", err)
	}
}
