package rdap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults used when the matching Config field is zero.
const (
	DefaultUserAgent     = "undox-rdap/1.0 (+https://github.com/undox/undox)"
	DefaultTimeout       = 15 * time.Second
	DefaultPerServerRate = 1.0 // requests per second per RDAP host
	DefaultMaxRetries    = 2
	DefaultMaxRetryWait  = 20 * time.Second
	DefaultMaxRedirects  = 3
	DefaultMaxBodyBytes  = 4 << 20
	DefaultMaxParents    = 5
)

// RegistrarPolicy says when Domain follows the registry's "related" link to
// the registrar's own RDAP server (thin registries such as Verisign .com).
type RegistrarPolicy int

const (
	// FollowRegistrarIfNeeded follows the link only when the registry
	// answer has no abuse contact of high or medium confidence.
	FollowRegistrarIfNeeded RegistrarPolicy = iota
	// FollowRegistrarAlways follows the link whenever there is one.
	FollowRegistrarAlways
	// FollowRegistrarNever never follows it.
	FollowRegistrarNever
)

// Config configures a Client. Zero values select the defaults above; a
// negative PerServerRate, MaxRetries or MaxParents disables rate limiting,
// retries or the parent chain respectively.
type Config struct {
	// Bootstrap registries; DefaultBootstrap() (the embedded copy) if nil.
	Bootstrap *Bootstrap
	// Overrides send queries to other RDAP base URLs, ahead of the
	// bootstrap. Keys: "*", a TLD/domain suffix, a CIDR, an AS number or
	// range, or a URL prefix to rewrite (see newResolver for details).
	// An empty value list forces CodeNoServer for the key.
	Overrides map[string][]string
	// HTTPClient used for all requests; a copy of http.DefaultClient if nil.
	// The client's redirect policy is replaced (redirects are followed by
	// the Client itself, bounded by MaxRedirects); the original is not
	// modified. Servers choose where redirects, "up" and "related" links
	// lead, so production callers should pass a client whose dialer refuses
	// internal addresses (e.g. code.dny.dev/ssrf).
	HTTPClient *http.Client
	// UserAgent sent with every request.
	UserAgent string
	// Timeout for each HTTP request (connect, headers and body).
	Timeout time.Duration
	// PerServerRate bounds requests per second to each RDAP host.
	PerServerRate float64
	// MaxRetries after a 429, a 5xx (but 501) or a connection error.
	MaxRetries int
	// MaxRetryWait caps the back-off between retries. A Retry-After longer
	// than this is not waited for: the lookup fails with CodeRateLimited
	// and Error.RetryAfter set.
	MaxRetryWait time.Duration
	// MaxRedirects bounds HTTP redirects per request (RIR → RIR).
	MaxRedirects int
	// MaxBodyBytes bounds each response body.
	MaxBodyBytes int64
	// MaxParents bounds the parent allocation chain followed by IP.
	MaxParents int
	// FollowRegistrar decides when Domain queries the registrar's RDAP.
	FollowRegistrar RegistrarPolicy
}

// Client looks up RDAP data. It is safe for concurrent use.
type Client struct {
	cfg Config
	res *resolver
	hc  *http.Client

	mu       sync.Mutex
	limiters map[string]*rate.Limiter

	// sleep waits between retries; tests replace it to record the delays.
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Bootstrap == nil {
		cfg.Bootstrap = DefaultBootstrap()
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.PerServerRate == 0 {
		cfg.PerServerRate = DefaultPerServerRate
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = DefaultMaxRetryWait
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	} else if cfg.MaxRedirects < 0 {
		cfg.MaxRedirects = 0
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxParents == 0 {
		cfg.MaxParents = DefaultMaxParents
	} else if cfg.MaxParents < 0 {
		cfg.MaxParents = 0
	}
	res, err := newResolver(cfg.Bootstrap, cfg.Overrides)
	if err != nil {
		return nil, err
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		hc = *http.DefaultClient
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{
		cfg:      cfg,
		res:      res,
		hc:       &hc,
		limiters: map[string]*rate.Limiter{},
		sleep:    sleepCtx,
	}, nil
}

// IP looks up the network holding addr, its abuse contact and (up to
// Config.MaxParents levels) the allocations above it.
func (c *Client) IP(ctx context.Context, addr netip.Addr) (*Network, error) {
	if !addr.IsValid() {
		return nil, &Error{Code: CodeBadResponse, Detail: "invalid IP address"}
	}
	addr = addr.Unmap()
	query := addr.String()
	resp, err := c.query(ctx, query, c.res.ip(addr), "ip/"+addr.String())
	if err != nil {
		return nil, err
	}
	rec, err := parseNetwork(resp.body)
	if err != nil {
		return nil, c.parseErr(query, resp, err)
	}
	rec.Source, rec.Via = resp.url, resp.via
	setContactSource(rec.Abuse, rec.OtherContacts, resp.url)
	n := &Network{NetworkRecord: *rec}
	n.Parents, n.ParentChainEnd = c.parents(ctx, query, rec)
	return n, nil
}

// Autnum looks up an autonomous system number.
func (c *Client) Autnum(ctx context.Context, asn uint32) (*AS, error) {
	query := "AS" + strconv.FormatUint(uint64(asn), 10)
	resp, err := c.query(ctx, query, c.res.asn(asn), "autnum/"+strconv.FormatUint(uint64(asn), 10))
	if err != nil {
		return nil, err
	}
	as, err := parseAutnum(resp.body)
	if err != nil {
		return nil, c.parseErr(query, resp, err)
	}
	as.Number = asn
	as.Source, as.Via = resp.url, resp.via
	setContactSource(as.Abuse, as.OtherContacts, resp.url)
	return as, nil
}

// Domain looks up a domain name at its registry and, per
// Config.FollowRegistrar, at the registrar's RDAP server.
func (c *Client) Domain(ctx context.Context, name string) (*DomainInfo, error) {
	ascii, _ := toASCII(name)
	if ascii == "" {
		return nil, &Error{Code: CodeBadResponse, Query: name, Detail: "empty domain name"}
	}
	resp, err := c.query(ctx, ascii, c.res.domain(ascii), "domain/"+ascii)
	if err != nil {
		return nil, err
	}
	di, err := parseDomain(resp.body)
	if err != nil {
		return nil, c.parseErr(ascii, resp, err)
	}
	di.Source, di.Via = resp.url, resp.via
	setContactSource(di.Abuse, di.OtherContacts, resp.url)

	link := di.Registrar.RDAPURL
	follow := false
	switch c.cfg.FollowRegistrar {
	case FollowRegistrarAlways:
		follow = link != ""
	case FollowRegistrarIfNeeded:
		follow = link != "" && (di.Abuse == nil || di.Abuse.Confidence == ConfidenceLow)
	}
	if follow {
		c.followRegistrar(ctx, ascii, di, link)
	}
	return di, nil
}

func (c *Client) followRegistrar(ctx context.Context, query string, di *DomainInfo, link string) {
	rr := &RegistrarRecord{Source: link}
	di.RegistrarRecord = rr
	resp, err := c.fetch(ctx, query, link)
	if err != nil {
		rr.Error = err.Error()
		return
	}
	rr.Source, rr.Via, rr.Raw = resp.url, resp.via, resp.body
	reg, err := parseDomain(resp.body)
	if err != nil {
		rr.Error = c.parseErr(query, resp, err).Error()
		return
	}
	setContactSource(reg.Abuse, reg.OtherContacts, resp.url)
	mergeRegistrar(di, reg)
}

// response is one successful fetch.
type response struct {
	url    string   // URL that answered (after redirects and rewrites)
	via    []string // URLs that redirected to it
	status int
	body   []byte
}

// query tries the base URLs in order (the next only after a connection
// failure, timeout or persistent 5xx) with path appended.
func (c *Client) query(ctx context.Context, query string, bases []string, path string) (*response, error) {
	if len(bases) == 0 {
		return nil, &Error{Code: CodeNoServer, Query: query, Detail: "no RDAP server in the bootstrap registry or overrides"}
	}
	var lastErr error
	for _, u := range c.candidates(bases, path) {
		resp, err := c.fetch(ctx, query, u)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		switch CodeOf(err) {
		case CodeUnavailable, CodeTimeout:
			if ctx.Err() == nil {
				continue
			}
		}
		return nil, err
	}
	return nil, lastErr
}

// candidates lists the URLs to try for path: an http:// base is skipped when
// the same base is also offered over https (no downgrade on failure), and
// bases that the overrides rewrite to the same URL are tried once.
func (c *Client) candidates(bases []string, path string) []string {
	secure := map[string]bool{}
	for _, b := range bases {
		if rest, ok := cutPrefixFold(b, "https://"); ok {
			secure[strings.ToLower(rest)] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, b := range bases {
		if rest, ok := cutPrefixFold(b, "http://"); ok && secure[strings.ToLower(rest)] {
			continue
		}
		u := c.res.rewrite(b + path)
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// fetch GETs rawURL, following redirects itself (bounded, loop-checked,
// rewritten through the overrides) and retrying 429/5xx.
func (c *Client) fetch(ctx context.Context, query, rawURL string) (*response, error) {
	cur := c.res.rewrite(rawURL)
	var via []string
	seen := map[string]bool{}
	for {
		seen[cur] = true
		status, hdr, body, err := c.getWithRetry(ctx, query, cur)
		if err != nil {
			return nil, err
		}
		switch status {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
			http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			loc := hdr.Get("Location")
			if loc == "" {
				return nil, &Error{Code: CodeBadResponse, Query: query, URL: cur, Status: status, Detail: "redirect without Location"}
			}
			next, err := resolveRef(cur, loc)
			if err != nil {
				return nil, &Error{Code: CodeBadResponse, Query: query, URL: cur, Status: status, Detail: "bad redirect Location", Err: err}
			}
			next = c.res.rewrite(next)
			if len(via) >= c.cfg.MaxRedirects {
				return nil, &Error{Code: CodeBadResponse, Query: query, URL: next, Status: status,
					Detail: fmt.Sprintf("more than %d redirects", c.cfg.MaxRedirects)}
			}
			if seen[next] {
				return nil, &Error{Code: CodeBadResponse, Query: query, URL: next, Status: status, Detail: "redirect loop"}
			}
			via = append(via, cur)
			cur = next
			continue
		}
		return &response{url: cur, via: via, status: status, body: body}, nil
	}
}

// getWithRetry performs one logical GET: rate-limited, retried on 429 (after
// Retry-After), 5xx and connection errors. It returns 2xx and 3xx answers;
// everything else becomes an *Error.
func (c *Client) getWithRetry(ctx context.Context, query, u string) (int, http.Header, []byte, error) {
	for attempt := 0; ; attempt++ {
		if err := c.wait(ctx, u); err != nil {
			return 0, nil, nil, c.ctxErr(ctx, query, u, err)
		}
		status, hdr, body, err := c.getOnce(ctx, u)
		var e *Error
		var delay time.Duration
		switch {
		case err != nil:
			e = c.transportErr(ctx, query, u, err)
			if e.Code != CodeUnavailable {
				return 0, nil, nil, e
			}
			delay = c.backoff(attempt)
		case status >= 200 && status < 400:
			return status, hdr, body, nil
		case status == http.StatusTooManyRequests:
			e = &Error{Code: CodeRateLimited, Query: query, URL: u, Status: status, Raw: jsonOrNil(body)}
			e.Detail = errorDetail(body)
			if ra, ok := parseRetryAfter(hdr.Get("Retry-After"), time.Now()); ok {
				e.RetryAfter = ra
				if ra > c.cfg.MaxRetryWait {
					e.Detail = strings.TrimSpace(e.Detail + " Retry-After " + ra.String() + " exceeds the configured maximum wait")
					return 0, nil, nil, e
				}
				delay = ra
			} else {
				delay = c.backoff(attempt)
			}
		case status >= 500 && status != http.StatusNotImplemented:
			e = &Error{Code: CodeUnavailable, Query: query, URL: u, Status: status, Raw: jsonOrNil(body), Detail: errorDetail(body)}
			delay = c.backoff(attempt)
		default:
			return 0, nil, nil, statusErr(query, u, status, body)
		}
		if attempt >= c.cfg.MaxRetries {
			return 0, nil, nil, e
		}
		if err := c.sleep(ctx, delay); err != nil {
			return 0, nil, nil, c.ctxErr(ctx, query, u, err)
		}
	}
}

func (c *Client) getOnce(ctx context.Context, u string) (int, http.Header, []byte, error) {
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Accept", "application/rdap+json, application/json;q=0.9")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBodyBytes+1))
	if err != nil {
		return 0, nil, nil, err
	}
	if int64(len(body)) > c.cfg.MaxBodyBytes {
		return 0, nil, nil, errBodyTooLarge{limit: c.cfg.MaxBodyBytes}
	}
	return resp.StatusCode, resp.Header, body, nil
}

type errBodyTooLarge struct{ limit int64 }

func (e errBodyTooLarge) Error() string {
	return fmt.Sprintf("response body larger than %d bytes", e.limit)
}

func (c *Client) transportErr(ctx context.Context, query, u string, err error) *Error {
	var big errBodyTooLarge
	if errors.As(err, &big) {
		return &Error{Code: CodeBadResponse, Query: query, URL: u, Detail: big.Error()}
	}
	if ctx.Err() != nil {
		return c.ctxErr(ctx, query, u, err)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &Error{Code: CodeTimeout, Query: query, URL: u, Detail: "no answer within " + c.cfg.Timeout.String(), Err: err}
	}
	var ue *url.Error
	if errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "unsupported protocol scheme") {
		return &Error{Code: CodeBadResponse, Query: query, URL: u, Err: err}
	}
	return &Error{Code: CodeUnavailable, Query: query, URL: u, Err: err}
}

func (c *Client) ctxErr(ctx context.Context, query, u string, err error) *Error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeTimeout, Query: query, URL: u, Detail: "context deadline exceeded", Err: err}
	}
	return &Error{Code: CodeCanceled, Query: query, URL: u, Err: err}
}

func (c *Client) parseErr(query string, resp *response, err error) error {
	var e *Error
	if errors.As(err, &e) {
		e.Query, e.URL, e.Status = query, resp.url, resp.status
		return e
	}
	return &Error{Code: CodeBadResponse, Query: query, URL: resp.url, Status: resp.status, Err: err, Raw: jsonOrNil(resp.body)}
}

// wait applies the per-host rate limit.
func (c *Client) wait(ctx context.Context, u string) error {
	if c.cfg.PerServerRate < 0 {
		return ctx.Err()
	}
	host := u
	if pu, err := url.Parse(u); err == nil {
		host = strings.ToLower(pu.Host)
	}
	c.mu.Lock()
	l, ok := c.limiters[host]
	if !ok {
		l = rate.NewLimiter(rate.Limit(c.cfg.PerServerRate), 1)
		c.limiters[host] = l
	}
	c.mu.Unlock()
	return l.Wait(ctx)
}

func (c *Client) backoff(attempt int) time.Duration {
	d := 500 * time.Millisecond << min(attempt, 10)
	return min(d, c.cfg.MaxRetryWait)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads delay-seconds or an HTTP-date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func statusErr(query, u string, status int, body []byte) *Error {
	e := &Error{Code: CodeBadResponse, Query: query, URL: u, Status: status, Raw: jsonOrNil(body), Detail: errorDetail(body)}
	if status == http.StatusNotFound {
		e.Code = CodeNotFound
	}
	return e
}

func resolveRef(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return "", err
	}
	out := b.ResolveReference(r)
	if out.Scheme != "http" && out.Scheme != "https" {
		return "", fmt.Errorf("unsupported scheme %q", out.Scheme)
	}
	return out.String(), nil
}

func setContactSource(abuse *Contact, others []Contact, src string) {
	if abuse != nil && abuse.Source == "" {
		abuse.Source = src
	}
	for i := range others {
		if others[i].Source == "" {
			others[i].Source = src
		}
	}
}
