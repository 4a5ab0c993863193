// Package whois is undox's WHOIS client (RFC 3912, TCP port 43): the fallback
// for the ccTLDs that have no RDAP service (.de, .eu, .ch, .io, .ru, .nl …).
// It finds the TLD's WHOIS server (a built-in table, else IANA's referral),
// asks it, follows the registrar's WHOIS server at most once, and parses the
// answer into a Record: registrar, abuse desk, holder organisation,
// nameservers, status and dates.
//
// Every exchange is bounded in time (Config.Timeout) and size
// (Config.MaxBytes). Answers that are not valid UTF-8 are read as Latin-1.
// Rate-limit, refusal and not-found answers come back as an *Error with a
// Code, together with the Record that shows the server's words.
package whois

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"code.dny.dev/ssrf"
	"golang.org/x/net/idna"
)

// Defaults of Config.
const (
	DefaultTimeout    = 10 * time.Second
	DefaultMaxBytes   = 256 << 10
	DefaultIANAServer = "whois.iana.org:43"
)

// Config configures a Client. The zero value works.
type Config struct {
	// Servers overrides the WHOIS server of a TLD (or of a suffix such as
	// "co.uk"; the longest matching suffix wins): TLD → "host:port" ("host"
	// alone means port 43). The query keeps the form the built-in server of
	// that TLD wants (DENIC's "-T dn,ace").
	Servers map[string]string
	// Dial connects to a WHOIS server. The default resolves the name and
	// refuses every address that is not public (loopback, private, link-local,
	// … as code.dny.dev/ssrf judges), since the servers asked are named by
	// other servers' answers. Pass undox's safe fetcher's DialContext (with
	// port 43 allowed) to use its resolver and proxy, or, in tests, a dialer
	// that reaches loopback.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds each exchange with one server (connect, query, answer).
	// A lookup makes at most three: IANA, the registry, the registrar.
	// Default DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds each answer; a longer one is cut after its last whole
	// line within the bound and the Record marked Truncated. Default
	// DefaultMaxBytes.
	MaxBytes int64
	// IANAServer is asked for the WHOIS server of TLDs that are neither in
	// Servers nor in the built-in table. Default DefaultIANAServer.
	IANAServer string
	// NoReferral turns off following "Registrar WHOIS Server:".
	NoReferral bool
}

// Client looks domains up over WHOIS. It is safe for concurrent use. It
// remembers the servers IANA named for the life of the Client.
type Client struct {
	cfg  Config
	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	mu   sync.Mutex
	iana map[string]string // TLD → host:port found at IANA
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.IANAServer == "" {
		cfg.IANAServer = DefaultIANAServer
	}
	c := &Client{cfg: cfg, dial: cfg.Dial, iana: map[string]string{}}
	if c.dial == nil {
		guard := ssrf.New(ssrf.WithAnyPort())
		d := &net.Dialer{ControlContext: func(_ context.Context, network, address string, rc syscall.RawConn) error {
			return guard.Safe(network, address, rc)
		}}
		c.dial = d.DialContext
	}
	return c
}

// Lookup asks WHOIS about domain (a registrable domain such as "example.de";
// Unicode names are sent in their ACE form).
//
// On success the error is nil. When the server answered but the answer is a
// not-found, rate-limit or refusal message, or carries no registration data,
// both the Record (with NotFound, Throttled or Refused set, and Raw) and an
// *Error with the code NotFound, Throttled, Refused or BadResponse are
// returned. Other failures return a nil Record. A failed registrar referral
// does not fail the lookup: it is noted in Record.ReferralError.
func (c *Client) Lookup(ctx context.Context, domain string) (*Record, error) {
	name, err := normDomain(domain)
	if err != nil {
		return nil, err
	}
	addr, queryHost, err := c.server(ctx, name)
	if err != nil {
		return nil, err
	}
	rec, err := c.ask(ctx, addr, queryFor(queryHost, name))
	if err != nil {
		return rec, err
	}
	if c.cfg.NoReferral || rec.RegistrarWHOISServer == "" {
		return rec, nil
	}
	ref, ok := referralAddr(rec.RegistrarWHOISServer)
	switch {
	case !ok:
		rec.ReferralError = "registrar WHOIS server " + quote(rec.RegistrarWHOISServer) + " is not a host name on port 43"
	case sameHost(ref, addr):
		// The registry is its own registrar's server (thick registry).
	default:
		refHost, _, _ := net.SplitHostPort(ref)
		sub, err := c.ask(ctx, ref, queryFor(refHost, name))
		rec.Referral = sub
		if err != nil {
			rec.ReferralError = err.Error()
		} else {
			merge(rec, sub)
		}
	}
	return rec, nil
}

// ask makes one exchange and parses the answer.
func (c *Client) ask(ctx context.Context, addr, query string) (*Record, error) {
	text, truncated, err := c.exchange(ctx, addr, query)
	if err != nil {
		return nil, err
	}
	rec := Parse(text)
	rec.Server = addr
	rec.Truncated = truncated
	switch {
	case rec.Throttled:
		return rec, newError(Throttled, addr, nil, "the server's rate limit was reached")
	case rec.Refused:
		return rec, newError(Refused, addr, nil, "the server refuses to answer this client")
	case rec.NotFound:
		return rec, newError(NotFound, addr, nil, "the registry has no record of the domain")
	case strings.TrimSpace(text) == "":
		return rec, newError(BadResponse, addr, nil, "the server sent an empty answer")
	case !rec.hasData():
		return rec, newError(BadResponse, addr, nil, "the answer carries no registration data")
	}
	return rec, nil
}

// server returns the host:port to ask about name and the host whose query
// form to use.
func (c *Client) server(ctx context.Context, name string) (addr, queryHost string, err error) {
	sufs := suffixes(name)
	for _, s := range sufs {
		if o, ok := c.cfg.Servers[s]; ok && o != "" {
			addr = withPort(o)
			queryHost = builtin[s]
			if queryHost == "" {
				queryHost, _, _ = net.SplitHostPort(addr)
			}
			return addr, queryHost, nil
		}
	}
	for _, s := range sufs {
		if h, ok := builtin[s]; ok {
			return net.JoinHostPort(h, "43"), h, nil
		}
	}
	tld := sufs[len(sufs)-1]
	c.mu.Lock()
	addr, ok := c.iana[tld]
	c.mu.Unlock()
	if !ok {
		iana := withPort(c.cfg.IANAServer)
		text, _, err := c.exchange(ctx, iana, tld)
		if err != nil {
			return "", "", err
		}
		ref := ianaReferral(text)
		if ref == "" {
			if Parse(text).Throttled {
				return "", "", newError(Throttled, iana, nil, "IANA's rate limit was reached")
			}
			return "", "", newError(NoServer, iana, nil, "IANA names no WHOIS server for .%s", tld)
		}
		if addr, ok = referralAddr(ref); !ok {
			return "", "", newError(BadResponse, iana, nil, "IANA's referral %s for .%s is not a host name on port 43", quote(ref), tld)
		}
		c.mu.Lock()
		c.iana[tld] = addr
		c.mu.Unlock()
	}
	queryHost, _, _ = net.SplitHostPort(addr)
	return addr, queryHost, nil
}

// exchange sends query to addr and reads the answer until the server closes
// the connection, MaxBytes is reached or the time is up.
func (c *Client) exchange(parent context.Context, addr, query string) (text string, truncated bool, err error) {
	ctx, cancel := context.WithTimeout(parent, c.cfg.Timeout)
	defer cancel()
	conn, err := c.dial(ctx, "tcp", addr)
	if err != nil {
		return "", false, c.netError(parent, ctx, addr, err, "cannot connect")
	}
	defer func() { _ = conn.Close() }()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Cancellation of the caller's context interrupts blocked reads.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if _, err := io.WriteString(conn, query+"\r\n"); err != nil {
		return "", false, c.netError(parent, ctx, addr, err, "cannot send the query")
	}
	data, err := io.ReadAll(io.LimitReader(conn, c.cfg.MaxBytes+1))
	if int64(len(data)) > c.cfg.MaxBytes {
		// Cut, and drop the partial last line: half a line is a wrong value.
		data, truncated, err = data[:c.cfg.MaxBytes], true, nil
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			data = data[:i+1]
		}
	}
	if err != nil {
		// A server that resets the connection after its answer still
		// answered; a timeout is a timeout even after a partial answer.
		if len(data) == 0 || isTimeout(err) || ctx.Err() != nil {
			return "", false, c.netError(parent, ctx, addr, err, "reading the answer failed")
		}
	}
	return decode(data, truncated), truncated, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func (c *Client) netError(parent, ctx context.Context, addr string, err error, what string) *Error {
	var we *Error
	switch {
	case errors.As(err, &we):
		return we
	case errors.Is(parent.Err(), context.Canceled):
		return newError(Canceled, addr, err, "%s: the lookup was canceled", what)
	case parent.Err() != nil || ctx.Err() != nil || isTimeout(err):
		return newError(Timeout, addr, err, "%s: out of time", what)
	case errors.Is(err, ssrf.ErrProhibitedIP), errors.Is(err, ssrf.ErrProhibitedPort), errors.Is(err, ssrf.ErrProhibitedNetwork):
		return newError(BlockedAddress, addr, err, "%s: %v", what, err)
	}
	return newError(ConnectionFailed, addr, err, "%s: %v", what, err)
}

// decode returns the answer as UTF-8: as is when it is valid UTF-8 (a cut
// answer may end in a partial character, which is dropped), else read as
// Latin-1. A byte-order mark is removed.
func decode(b []byte, truncated bool) string {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if utf8.Valid(b) {
		return string(b)
	}
	if truncated {
		for cut := 1; cut <= utf8.UTFMax-1 && cut < len(b); cut++ {
			if utf8.Valid(b[:len(b)-cut]) {
				return string(b[:len(b)-cut])
			}
		}
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// normDomain returns the ACE form of domain, lower case, without a trailing
// dot, or a BadDomain error.
func normDomain(domain string) (string, error) {
	d := strings.TrimSuffix(strings.TrimSpace(domain), ".")
	if d == "" || len(d) > 253 {
		return "", newError(BadDomain, "", nil, "%s is not a domain name", quote(domain))
	}
	ace, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", newError(BadDomain, "", err, "%s is not a domain name", quote(domain))
	}
	ace = strings.ToLower(ace)
	if !hostRE.MatchString(ace) || strings.Contains(ace, "_") {
		return "", newError(BadDomain, "", nil, "%s is not a domain name", quote(domain))
	}
	if _, err := netip.ParseAddr(ace); err == nil {
		return "", newError(BadDomain, "", nil, "%s is an IP address, not a domain name", quote(domain))
	}
	return ace, nil
}

// referralAddr turns a server named in an answer ("whois.example.com",
// "whois://whois.example.com", "whois.example.com:43") into host:43. Other
// schemes (rwhois://, http://) and other ports are refused: an answer must not
// steer undox to arbitrary services.
func referralAddr(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "whois://")
	if strings.Contains(s, "://") {
		return "", false
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	host := s
	if h, port, err := net.SplitHostPort(s); err == nil {
		if port != "43" {
			return "", false
		}
		host = h
	}
	host = strings.TrimSuffix(host, ".")
	if _, err := netip.ParseAddr(host); err != nil && !hostRE.MatchString(host) {
		return "", false
	}
	return net.JoinHostPort(host, "43"), true
}

func withPort(s string) string {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s
	}
	return net.JoinHostPort(s, "43")
}

func sameHost(a, b string) bool {
	ha, _, _ := net.SplitHostPort(a)
	hb, _, _ := net.SplitHostPort(b)
	return strings.EqualFold(ha, hb)
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return "\"" + strings.ToValidUTF8(s, "?") + "\""
}

// merge fills the fields the registry's record lacks from the registrar's.
func merge(dst, src *Record) {
	fill := func(d *string, s string) {
		if *d == "" {
			*d = s
		}
	}
	fill(&dst.Domain, src.Domain)
	fill(&dst.Registrar, src.Registrar)
	fill(&dst.RegistrarIANAID, src.RegistrarIANAID)
	fill(&dst.RegistrarURL, src.RegistrarURL)
	fill(&dst.RegistrarEmail, src.RegistrarEmail)
	fill(&dst.RegistrarPhone, src.RegistrarPhone)
	fill(&dst.AbuseEmail, src.AbuseEmail)
	fill(&dst.AbusePhone, src.AbusePhone)
	fill(&dst.RegistrantOrg, src.RegistrantOrg)
	fill(&dst.RegistrantCountry, src.RegistrantCountry)
	if len(dst.Nameservers) == 0 {
		dst.Nameservers = src.Nameservers
	}
	if len(dst.Status) == 0 {
		dst.Status = src.Status
	}
	for _, p := range []struct{ d, s *time.Time }{{&dst.Created, &src.Created}, {&dst.Updated, &src.Updated}, {&dst.Expires, &src.Expires}} {
		if p.d.IsZero() {
			*p.d = *p.s
		}
	}
}
