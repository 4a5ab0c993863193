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
// A Fetcher is safe for concurrent use. It keeps connections alive between
// fetches and reuses them (per proxy setting; Config bounds how many, for how
// long idle and up to what age), and every result still carries the evidence
// of the connection its response came over: the DNS answers, the checked
// address and the TLS session of that connection's dial, when it was dialled,
// and whether it was reused (Result.Reused, Hop.Reused). The address policy
// is checked on every dial, and only dials make connections. Nothing else
// outlives a fetch: cookies, for one, are kept for one fetch only. With
// Config.FreshConnections, no connection is shared between fetches.
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
	"sync/atomic"
	"time"
	"unsafe"

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

	// FreshConnections makes every fetch open connections of its own, shared
	// with no other fetch (the hops of one fetch may still share one): every
	// result's DNS answers, addresses and TLS sessions then come from dials
	// made for that fetch alone. By default connections are kept alive and
	// reused between the fetches of a Fetcher, under the bounds below.
	FreshConnections bool
	// MaxIdleConns bounds the connections kept alive for reuse (default 64);
	// MaxIdleConnsPerHost, those to one host (default 16).
	MaxIdleConns        int
	MaxIdleConnsPerHost int
	// IdleConnTimeout closes a kept connection after this long unused
	// (default 30 s).
	IdleConnTimeout time.Duration
	// MaxConnAge bounds the age of a connection handed to a new fetch
	// (default 5 min): the dial facts a result carries (DNS answers, TLS
	// session) are never older than that, plus the fetch's own Timeout.
	MaxConnAge time.Duration
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
	// DefaultUserAgent is a common desktop browser's: a doxing site that
	// recognises undox's fetches could show them a 404 while everyone
	// else still sees the page, and undox would record a removal that did
	// not happen. --user-agent sets another.
	DefaultUserAgent           = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"
	DefaultMaxIdleConns        = 64
	DefaultMaxIdleConnsPerHost = 16
	DefaultIdleConnTimeout     = 30 * time.Second
	DefaultMaxConnAge          = 5 * time.Minute
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
	if c.MaxIdleConns <= 0 {
		c.MaxIdleConns = DefaultMaxIdleConns
	}
	if c.MaxIdleConnsPerHost <= 0 {
		c.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	def(&c.IdleConnTimeout, DefaultIdleConnTimeout)
	def(&c.MaxConnAge, DefaultMaxConnAge)
	c.AllowNetworks = slices.Clone(c.AllowNetworks)
	c.AllowPorts = slices.Clone(c.AllowPorts)
	return c
}

// Fetcher fetches URLs under one Config. It is safe for concurrent use.
//
// Its kept-alive connections belong to it alone: a Fetcher with another
// Config (another address policy, say) never uses them.
type Fetcher struct {
	cfg      Config
	policy   *policy
	resolver string // describes cfg.Resolver

	hops atomic.Uint64 // numbers the hops of all fetches

	mu    sync.Mutex
	pools map[string]*connPool // by proxy URL ("" for none)
}

// connPool holds the kept-alive connections of one proxy setting.
type connPool struct {
	tr    *http.Transport
	proxy *proxySpec
	born  time.Time // connections dialled since; renewed after MaxConnAge
}

// maxPools bounds the proxy settings whose connections are kept; fetches
// through further proxies make connections of their own.
const maxPools = 16

// New returns a Fetcher for cfg (see Config for the defaults).
func New(cfg Config) *Fetcher {
	cfg = cfg.withDefaults()
	return &Fetcher{cfg: cfg, policy: newPolicy(&cfg), resolver: describeResolver(cfg.Resolver)}
}

// CloseIdleConnections closes the connections kept alive for reuse. Those in
// use are closed once their fetch is done with them.
func (f *Fetcher) CloseIdleConnections() {
	f.mu.Lock()
	pools := f.pools
	f.pools = nil
	f.mu.Unlock()
	for _, p := range pools {
		p.tr.CloseIdleConnections()
	}
}

// transport returns the transport for a fetch through proxyURL ("" for
// none), and a function to call when the fetch is done.
func (f *Fetcher) transport(proxyURL string) (*http.Transport, *proxySpec, func(), *Error) {
	if !f.cfg.FreshConnections {
		f.mu.Lock()
		p := f.pools[proxyURL]
		var old *http.Transport
		if p != nil && time.Since(p.born) > f.cfg.MaxConnAge {
			// Connections dialled under the old transport are not handed
			// out again; those in use close when their fetches are done.
			old, p = p.tr, nil
			delete(f.pools, proxyURL)
		}
		if p == nil && len(f.pools) < maxPools {
			proxy, err := f.proxy(proxyURL)
			if err != nil {
				f.mu.Unlock()
				return nil, nil, nil, err
			}
			p = &connPool{proxy: proxy, born: time.Now()}
			p.tr = f.newTransport(&dialer{f: f, proxy: proxy})
			if f.pools == nil {
				f.pools = make(map[string]*connPool)
			}
			f.pools[proxyURL] = p
		}
		f.mu.Unlock()
		if old != nil {
			old.CloseIdleConnections()
		}
		if p != nil {
			return p.tr, p.proxy, func() {}, nil
		}
	}
	proxy, err := f.proxy(proxyURL)
	if err != nil {
		return nil, nil, nil, err
	}
	tr := f.newTransport(&dialer{f: f, proxy: proxy})
	return tr, proxy, tr.CloseIdleConnections, nil
}

func (f *Fetcher) proxy(proxyURL string) (*proxySpec, *Error) {
	if proxyURL == "" {
		return nil, nil
	}
	p, err := parseProxy(proxyURL)
	if err != nil {
		return nil, err.(*Error)
	}
	return p, nil
}

// CheckAddr reports whether the Fetcher may connect to ap: nil, or an *Error
// with Code BlockedAddress. It sends nothing anywhere.
func (f *Fetcher) CheckAddr(ap netip.AddrPort) error {
	return f.policy.check(ap)
}

// DialContext connects to address ("host:port") under the Fetcher's address
// policy: it resolves the name with the configured resolver and connects only
// to allowed addresses, checking each again as it is dialled. It does not use
// a proxy, not even Config.Proxy (DialContextVia does). It is meant for other
// components that must reach attacker-chosen places, such as the local proxy
// that a headless browser is routed through.
func (f *Fetcher) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return f.DialContextVia(ctx, network, address, "")
}

// DialContextVia is DialContext through the proxy at proxyURL (as WithProxy:
// socks5://, socks5h:// or http:// for CONNECT; "" for none). It dials
// exactly as a fetch through that proxy does: undox resolves and checks the
// name itself and hands the proxy the checked address; only a .onion name
// goes to the proxy as a name. The connection's RemoteAddr is then the
// proxy's; DialedAddr tells where it leads.
func (f *Fetcher) DialContextVia(ctx context.Context, network, address, proxyURL string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, newError(BlockedAddress, nil, "network %q is not allowed", network)
	}
	proxy, perr := f.proxy(proxyURL)
	if perr != nil {
		return nil, perr
	}
	d := &dialer{f: f, proxy: proxy}
	conn, t, err := d.dial(ctx, address, nil)
	if err != nil {
		return nil, err
	}
	if proxy != nil {
		return &proxiedConn{Conn: conn, target: t.Remote}, nil
	}
	return conn, nil
}

// proxiedConn is a connection through a proxy, with the checked address
// undox asked the proxy to connect to.
type proxiedConn struct {
	net.Conn
	target netip.AddrPort // invalid for a .onion name
}

// DialedAddr is the address that conn, made by DialContext or
// DialContextVia, leads to: the checked address the proxy was asked to
// connect to, or the remote address of a direct connection. It is invalid
// for a .onion name (only the proxy knows where that leads) and for a
// connection made elsewhere.
func DialedAddr(conn net.Conn) netip.AddrPort {
	if pc, ok := conn.(*proxiedConn); ok {
		return pc.target
	}
	if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	return netip.AddrPort{}
}

// ProxyURL is Config.Proxy as configured, password included: what other
// components (screenshots) pass to DialContextVia so that they go where the
// fetches go.
func (f *Fetcher) ProxyURL() string { return f.cfg.Proxy }

// RedactProxy checks that proxyURL is a proxy that fetches can use (as
// WithProxy; "" for none) and returns it without its password, as
// Result.Proxy records it. The error is an *Error with Code BadURL.
func RedactProxy(proxyURL string) (string, error) {
	if proxyURL == "" {
		return "", nil
	}
	p, err := parseProxy(proxyURL)
	if err != nil {
		return "", err
	}
	return p.redacted, nil
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
	IPs       []netip.Addr   `json:"ips"`              // every address of the lookups in DNS
	DNS       []DNSLookup    `json:"dns"`              // every lookup the fetch made, and those of the dial of each reused connection it got, by time
	Resolver  string         `json:"resolver"`
	Proxy     string         `json:"proxy,omitempty"` // the proxy used, password removed
	TLS       *TLSInfo       `json:"tls,omitempty"`   // of the final response's connection
	// Reused says that the final response came over a connection that was
	// open before its hop asked for one: kept alive from an earlier request,
	// of this fetch or another. Remote, TLS and the connection's DNS answers
	// (in DNS) are then those of its dial, at DialedAt.
	Reused   bool      `json:"reused"`
	DialedAt time.Time `json:"dialed_at"` // when the final response's connection was dialled

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

// TextBytes returns Text's own bytes, without a copy, for reading (HTML
// extraction takes bytes): the caller must not change them.
func (r *Result) TextBytes() []byte {
	return unsafe.Slice(unsafe.StringData(r.Text), len(r.Text))
}

// Hop is one redirect.
type Hop struct {
	URL      string         `json:"url"`
	Status   int            `json:"status"`
	Location string         `json:"location"`
	Remote   netip.AddrPort `json:"ip"`
	At       time.Time      `json:"at"`
	TLS      *TLSInfo       `json:"tls,omitempty"`
	Reused   bool           `json:"reused"`    // as Result.Reused, for this hop's connection
	DialedAt time.Time      `json:"dialed_at"` // when this hop's connection was dialled
}

// Causes of cancellation, told apart when classifying errors.
var (
	errTotalTimeout = errors.New("total timeout")
	errFirstByte    = errors.New("first-byte timeout")
	errTooSlow      = errors.New("transfer too slow")
)

// recorder collects the DNS lookups of one fetch: those of the dials it
// asked for, and those of the dials of the connections it was handed.
type recorder struct {
	mu      sync.Mutex
	lookups []DNSLookup
	ips     []netip.Addr
	conns   []*connFacts // connections whose lookups are in lookups
}

func (r *recorder) addLocked(l DNSLookup) {
	r.lookups = append(r.lookups, l)
	for _, a := range l.Addrs {
		if !slices.Contains(r.ips, a) {
			r.ips = append(r.ips, a)
		}
	}
}

// dialLookup records a lookup of a dial the fetch asked for.
func (r *recorder) dialLookup(c *connFacts, l DNSLookup) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addLocked(l)
	if !slices.Contains(r.conns, c) {
		r.conns = append(r.conns, c)
	}
}

// use records the lookups of a connection the fetch was handed, unless they
// are recorded already.
func (r *recorder) use(c *connFacts) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.conns, c) {
		return
	}
	r.conns = append(r.conns, c)
	for _, l := range c.lookups {
		r.addLocked(l.clone()) // results share nothing
	}
}

// hopKey is the context key of the hop a request belongs to.
type hopKey struct{}

// hop is what the dials of a hop's request need to know of it.
type hop struct {
	id  uint64
	ctx context.Context // done when the hop is
	rec *recorder
}

// Fetch fetches rawURL with GET, following redirects, and returns what it saw.
// The result is never nil: on error it holds what was seen until then (the
// redirect chain, DNS answers, a partial body), and the error is an *Error.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, opts ...Option) (*Result, error) {
	start := time.Now()
	res := &Result{URL: rawURL, FetchedAt: start.UTC(), Resolver: f.resolver}
	rec := &recorder{}
	defer func() {
		rec.mu.Lock()
		res.DNS = slices.Clone(rec.lookups)
		res.IPs = slices.Clone(rec.ips)
		rec.mu.Unlock()
		// In the order they were made: a reused connection's lookups
		// are older than the fetch.
		slices.SortStableFunc(res.DNS, func(a, b DNSLookup) int { return a.At.Compare(b.At) })
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
	tr, proxy, done, perr := f.transport(proxyURL)
	if perr != nil {
		return fail(perr, rawURL)
	}
	defer done()
	if proxy != nil {
		res.Proxy = proxy.redacted
	}

	cur, ferr := parseURL(rawURL)
	if ferr != nil {
		return fail(ferr, rawURL)
	}

	ctx, cancel := context.WithTimeoutCause(ctx, f.cfg.Timeout, errTotalTimeout)
	defer cancel()

	// Cookies live for one fetch: enough for a site that sets one and
	// redirects to itself. The jar is made when a response sets one.
	var jar *cookiejar.Jar

	visits := map[string]int{}
	for {
		visits[cur.String()]++
		hopCtx, cancelHop := context.WithCancelCause(ctx)
		h := &hop{id: f.hops.Add(1), ctx: hopCtx, rec: rec}
		var (
			connMu sync.Mutex
			conn   *trackedConn
			reused bool
		)
		hopCtx = context.WithValue(hopCtx, hopKey{}, h)
		hopCtx = httptrace.WithClientTrace(hopCtx, &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) {
				// Called again if the request is retried on another
				// connection: the last one is the response's.
				c, _ := i.Conn.(*trackedConn)
				if c == nil {
					return
				}
				rec.use(c.facts)
				connMu.Lock()
				conn, reused = c, i.Reused || c.facts.hop != h.id
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
		if jar != nil {
			for _, c := range jar.Cookies(cur) {
				req.AddCookie(c)
			}
		}
		resp, err := tr.RoundTrip(req)
		ttfb.Stop()
		if err != nil {
			e := f.classify(err, hopCtx)
			cancelHop(nil)
			return fail(e, cur.String())
		}
		connMu.Lock()
		var t connTarget
		var dialedAt time.Time
		if conn != nil {
			t, dialedAt = conn.facts.target, conn.facts.dialedAt
			t.TLS = t.TLS.clone() // results share nothing
		}
		wasReused := reused
		connMu.Unlock()
		if rc := resp.Cookies(); len(rc) > 0 {
			if jar == nil {
				jar, _ = cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
			}
			jar.SetCookies(cur, rc)
		}

		if loc := resp.Header.Get("Location"); isRedirect(resp.StatusCode) && loc != "" {
			resp.Body.Close() // not drained: an endless redirect body costs nothing
			cancelHop(nil)
			res.Redirects = append(res.Redirects, Hop{
				URL: cur.String(), Status: resp.StatusCode, Location: loc, Remote: t.Remote, At: at, TLS: t.TLS,
				Reused: wasReused, DialedAt: dialedAt,
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
		res.Reused, res.DialedAt = wasReused, dialedAt
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

// newTransport makes an HTTP transport: HTTP/1.1 only, no environment proxy,
// no transparent decompression, every connection through d.
func (f *Fetcher) newTransport(d *dialer) *http.Transport {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            func(ctx context.Context, _, addr string) (net.Conn, error) { return f.dialConn(ctx, d, addr, false) },
		DialTLSContext:         func(ctx context.Context, _, addr string) (net.Conn, error) { return f.dialConn(ctx, d, addr, true) },
		Protocols:              protocols,
		DisableCompression:     true,
		MaxResponseHeaderBytes: f.cfg.MaxHeaderBytes,
		MaxIdleConns:           f.cfg.MaxIdleConns,
		MaxIdleConnsPerHost:    f.cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:        f.cfg.IdleConnTimeout,
	}
}

// connFacts is what undox saw when it dialled a connection: the evidence
// every response that comes over it carries.
type connFacts struct {
	target   connTarget
	lookups  []DNSLookup // that led to it
	dialedAt time.Time
	hop      uint64 // the hop whose request it was dialled for
}

// trackedConn is a connection with the facts of its dial.
type trackedConn struct {
	net.Conn
	facts *connFacts
}

// dialConn makes a connection for the transport, under the address policy,
// and records the facts of its dial with it, and the dial's DNS lookups
// with the fetch that asked for it.
func (f *Fetcher) dialConn(ctx context.Context, d *dialer, addr string, useTLS bool) (net.Conn, error) {
	facts := &connFacts{dialedAt: time.Now().UTC()}
	var rec *recorder
	if h, ok := ctx.Value(hopKey{}).(*hop); ok {
		facts.hop, rec = h.id, h.rec
		// net/http dials on after the request that asked gave up, for a
		// later one; undox stops when the hop that asked is done, so that
		// a hostile server cannot keep a dial going past its fetch.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(h.ctx, cancel)
		defer stop()
	}
	conn, t, err := d.dial(ctx, addr, func(l DNSLookup) {
		facts.lookups = append(facts.lookups, l.clone())
		if rec != nil {
			rec.dialLookup(facts, l)
		}
	})
	if err != nil {
		return nil, err
	}
	if useTLS {
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
		conn = tc
	}
	facts.target = t
	return &trackedConn{Conn: conn, facts: facts}, nil
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
