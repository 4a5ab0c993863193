package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Resolver resolves host names for the fetcher. The fetcher checks every
// address it returns against the address policy before it connects, so a
// resolver need not (and must not be trusted to) filter anything.
//
// Implementations should fill DNSLookup.Server with what answered and, where
// they see them, the answer records; on failure they return the lookup so far
// together with the error.
type Resolver interface {
	Lookup(ctx context.Context, host string) (DNSLookup, error)
}

// DNSLookup is one name resolution as the fetcher saw it: evidence of where a
// name pointed at the time of capture.
type DNSLookup struct {
	Name    string       `json:"name"`
	Addrs   []netip.Addr `json:"addrs"`
	Records []string     `json:"records,omitempty"` // answer records in zone-file form, where the resolver has them
	Server  string       `json:"server"`            // the resolver or DNS server that answered
	At      time.Time    `json:"at"`
	Error   string       `json:"error,omitempty"`
}

// clone returns a copy of l that shares no memory with it.
func (l DNSLookup) clone() DNSLookup {
	l.Addrs = slices.Clone(l.Addrs)
	l.Records = slices.Clone(l.Records)
	return l
}

// SystemResolver resolves through r (net.DefaultResolver if nil): the
// machine's own resolver configuration. It sees addresses but no records.
func SystemResolver(r *net.Resolver) Resolver {
	if r == nil {
		r = net.DefaultResolver
	}
	return systemResolver{r}
}

type systemResolver struct{ r *net.Resolver }

func (s systemResolver) String() string { return "system" }

func (s systemResolver) Lookup(ctx context.Context, host string) (DNSLookup, error) {
	l := DNSLookup{Name: host, Server: "system"}
	addrs, err := s.r.LookupNetIP(ctx, "ip", host)
	for _, a := range addrs {
		l.Addrs = append(l.Addrs, a.Unmap())
	}
	return l, err
}

// DNSServer resolves by asking the DNS server at addr ("host:port"; port 53 if
// left out) directly for A and AAAA records, over UDP with a fallback to TCP
// for truncated answers. It keeps the answer records, with their TTLs.
// The server is the operator's choice and is not subject to the address policy.
func DNSServer(addr string) Resolver {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), "53")
	}
	return &dnsServer{addr: addr, timeout: 5 * time.Second}
}

type dnsServer struct {
	addr    string
	timeout time.Duration
}

func (d *dnsServer) String() string { return "dns://" + d.addr }

// ErrNoAddresses is returned by DNSServer's Lookup when a name exists but has no
// A or AAAA records.
var ErrNoAddresses = errors.New("no A or AAAA records")

func (d *dnsServer) Lookup(ctx context.Context, host string) (DNSLookup, error) {
	l := DNSLookup{Name: host, Server: d.String()}
	fqdn := dns.Fqdn(host)
	type answer struct {
		msg *dns.Msg
		err error
	}
	var (
		wg      sync.WaitGroup
		answers [2]answer
	)
	for i, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		wg.Go(func() {
			msg, err := d.exchange(ctx, fqdn, qtype)
			answers[i] = answer{msg, err}
		})
	}
	wg.Wait()

	var errs []error
	for _, a := range answers {
		if a.err != nil {
			errs = append(errs, a.err)
			continue
		}
		for _, rr := range a.msg.Answer {
			l.Records = append(l.Records, rr.String())
		}
		if a.msg.Rcode != dns.RcodeSuccess {
			errs = append(errs, fmt.Errorf("%s: %s", host, dns.RcodeToString[a.msg.Rcode]))
			continue
		}
		l.Addrs = append(l.Addrs, chainAddrs(fqdn, a.msg.Answer)...)
	}
	if len(l.Addrs) > 0 {
		return l, nil
	}
	if len(errs) > 0 {
		return l, errors.Join(errs...)
	}
	return l, fmt.Errorf("%s: %w", host, ErrNoAddresses)
}

func (d *dnsServer) exchange(ctx context.Context, fqdn string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype)
	m.RecursionDesired = true
	m.SetEdns0(4096, false)
	c := &dns.Client{Net: "udp", Timeout: d.timeout}
	r, _, err := c.ExchangeContext(ctx, m, d.addr)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.ExchangeContext(ctx, m, d.addr)
	}
	if err != nil {
		return nil, fmt.Errorf("asking %s for %s %s: %w", d.addr, fqdn, dns.TypeToString[qtype], err)
	}
	return r, nil
}

// chainAddrs returns the addresses of name in an answer section, following
// CNAME records (in any order) from name.
func chainAddrs(name string, answer []dns.RR) []netip.Addr {
	names := map[string]bool{strings.ToLower(name): true}
	for changed := true; changed; {
		changed = false
		for _, rr := range answer {
			if c, ok := rr.(*dns.CNAME); ok && names[strings.ToLower(c.Hdr.Name)] && !names[strings.ToLower(c.Target)] {
				names[strings.ToLower(c.Target)] = true
				changed = true
			}
		}
	}
	var out []netip.Addr
	for _, rr := range answer {
		if !names[strings.ToLower(rr.Header().Name)] {
			continue
		}
		var ip net.IP
		switch r := rr.(type) {
		case *dns.A:
			ip = r.A
		case *dns.AAAA:
			ip = r.AAAA
		default:
			continue
		}
		if a, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, a.Unmap())
		}
	}
	return out
}
