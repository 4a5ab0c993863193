// Package dns looks names up the way a tracer needs them: A, AAAA, CNAME, NS
// and MX at once, with TTLs, the CNAME chain followed to the final addresses,
// which server answered, and failures told apart by a code ("nxdomain",
// "servfail", "timeout", …).
//
// It asks DNS servers directly (github.com/miekg/dns, imported here as mdns),
// over UDP with a fallback to TCP for truncated answers, trying each server in
// turn. The Resolver can also stand in for a plain resolver (LookupNetIP) and
// for the safe fetcher's resolver (FetchResolver).
package dns

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

	mdns "github.com/miekg/dns"
	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Config configures a Resolver. The zero value asks the servers in
// /etc/resolv.conf, once each, without a TCP fallback; DefaultConfig is the
// usual choice.
type Config struct {
	// Servers are the DNS servers to ask, "host:port" (port 53 if left out),
	// in order. Empty: the nameservers of ResolvConf.
	Servers []string
	// ResolvConf is read when Servers is empty (default /etc/resolv.conf).
	ResolvConf string
	// Timeout bounds one attempt at one server (default 3s).
	Timeout time.Duration
	// Retries is how many more rounds over all servers to make after every
	// server timed out or failed (0: one round).
	Retries int
	// TCPFallback asks again over TCP when a UDP answer is truncated.
	// Without it a truncated answer is used as it is and Answer.Truncated set.
	TCPFallback bool
	// MaxCNAMEs bounds the CNAME chain followed from a name (default 8).
	MaxCNAMEs int
	// Parallel bounds the queries one Lookup has in flight (default 5).
	Parallel int
}

// DefaultConfig is the configuration undox uses unless told otherwise: the
// system's nameservers, 3 s per attempt, one retry, TCP fallback.
func DefaultConfig() Config {
	return Config{Timeout: 3 * time.Second, Retries: 1, TCPFallback: true}
}

// Resolver looks names up. It is safe for concurrent use.
type Resolver struct {
	cfg     Config
	servers []string
}

// New returns a Resolver for cfg. It fails when no server is given and none
// can be read from the resolv.conf file.
func New(cfg Config) (*Resolver, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.MaxCNAMEs <= 0 {
		cfg.MaxCNAMEs = 8
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 5
	}
	r := &Resolver{cfg: cfg}
	if len(cfg.Servers) == 0 {
		path := cfg.ResolvConf
		if path == "" {
			path = "/etc/resolv.conf"
		}
		cc, err := mdns.ClientConfigFromFile(path)
		if err != nil {
			return nil, fmt.Errorf("dns: reading nameservers: %w", err)
		}
		for _, s := range cc.Servers {
			r.servers = append(r.servers, net.JoinHostPort(s, cc.Port))
		}
		if len(r.servers) == 0 {
			return nil, fmt.Errorf("dns: no nameserver in %s", path)
		}
	} else {
		for _, s := range cfg.Servers {
			r.servers = append(r.servers, withPort(s))
		}
	}
	return r, nil
}

func withPort(s string) string {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s
	}
	return net.JoinHostPort(strings.Trim(s, "[]"), "53")
}

// Servers returns the servers asked, in order, as "host:port".
func (r *Resolver) Servers() []string { return slices.Clone(r.servers) }

// String describes the resolver, e.g. "dns://127.0.0.1:53".
func (r *Resolver) String() string {
	return "dns://" + strings.Join(r.servers, ",")
}

// Record is one resource record of an answer.
type Record struct {
	Type  string `json:"type"`  // "A", "AAAA", "CNAME", "NS", "MX", …
	Name  string `json:"name"`  // owner name, without the final dot
	Value string `json:"value"` // the data as in a zone file, names without the final dot: "192.0.2.1", "10 mx.example.com"
	TTL   uint32 `json:"ttl"`   // seconds, as the server gave it
}

// String gives the record in zone-file form.
func (rec Record) String() string {
	return fmt.Sprintf("%s.\t%d\tIN\t%s\t%s", rec.Name, rec.TTL, rec.Type, rec.Value)
}

// Answer is everything one Lookup learnt about a name.
type Answer struct {
	Name string `json:"name"` // the name asked for: lower-case, without the final dot, IDNs in ASCII form
	// Records holds the answer records by type: those of the name itself and
	// of every name on its CNAME chain.
	Records map[string][]Record `json:"records"`
	// Addresses are the A and AAAA addresses at the end of the CNAME chain.
	Addresses []netip.Addr `json:"addresses"`
	// CNAMEChain are the names the CNAME records led to, in order; the last
	// is the canonical name. Empty when Name is not an alias.
	CNAMEChain []string `json:"cname_chain,omitempty"`
	// Server is the server that answered: that of the first query answered,
	// in the order A, AAAA, CNAME, NS, MX; if none was, the last one asked.
	Server string `json:"server"`
	// Truncated is set when an answer used was truncated (no TCP fallback,
	// or the fallback failed).
	Truncated bool `json:"truncated,omitempty"`
	// Errors holds the queries that failed, by type.
	Errors map[string]*Error `json:"errors,omitempty"`
	At     time.Time         `json:"at"`
}

// Canonical returns the canonical name: the end of the CNAME chain, or Name.
func (a *Answer) Canonical() string {
	if len(a.CNAMEChain) > 0 {
		return a.CNAMEChain[len(a.CNAMEChain)-1]
	}
	return a.Name
}

// lookupTypes are the types Lookup asks for, in the order results are merged.
var lookupTypes = []uint16{mdns.TypeA, mdns.TypeAAAA, mdns.TypeCNAME, mdns.TypeNS, mdns.TypeMX}

// Lookup asks for the A, AAAA, CNAME, NS and MX records of name at once and
// follows CNAME chains to the final addresses. It returns an Answer even
// with an error. When no address was found the error is an *Error: NXDOMAIN
// ("nxdomain") when the name, or the end of its chain, does not exist; else
// the A query's error when both the A and the AAAA query failed. A name
// without addresses whose queries succeeded (say, one with only MX records)
// is no error. Failures of single queries are all in Answer.Errors.
func (r *Resolver) Lookup(ctx context.Context, name string) (*Answer, error) {
	fqdn, err := normalize(name)
	ans := &Answer{Name: strings.TrimSuffix(fqdn, "."), Records: map[string][]Record{}, At: time.Now().UTC()}
	if err != nil {
		return ans, err
	}
	results := make([]result, len(lookupTypes))
	sem := make(chan struct{}, r.cfg.Parallel)
	var wg sync.WaitGroup
	for i, qt := range lookupTypes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = r.query(ctx, fqdn, qt)
		})
	}
	wg.Wait()

	seen := map[Record]bool{}
	for i, res := range results {
		for _, rec := range res.records {
			key := rec
			key.TTL = 0
			key.Name = strings.ToLower(key.Name)
			if seen[key] {
				continue
			}
			seen[key] = true
			ans.Records[rec.Type] = append(ans.Records[rec.Type], rec)
		}
		ans.Truncated = ans.Truncated || res.truncated
		if ans.Server == "" && res.err == nil {
			ans.Server = res.server
		}
		switch qt := lookupTypes[i]; qt {
		case mdns.TypeA, mdns.TypeAAAA:
			ans.Addresses = appendNew(ans.Addresses, res.addrs...)
			if len(res.chain) > len(ans.CNAMEChain) {
				ans.CNAMEChain = res.chain
			}
		}
		if res.err != nil {
			if ans.Errors == nil {
				ans.Errors = map[string]*Error{}
			}
			ans.Errors[res.err.Type] = res.err
		}
	}
	if ans.Server == "" {
		for _, res := range results {
			if ans.Server = res.server; ans.Server != "" {
				break
			}
		}
	}
	if len(ans.Addresses) > 0 {
		return ans, nil
	}
	for _, qt := range lookupTypes {
		if e := ans.Errors[mdns.TypeToString[qt]]; e != nil && e.Code == CodeNXDomain {
			return ans, e
		}
	}
	if ans.Errors["A"] != nil && ans.Errors["AAAA"] != nil {
		return ans, ans.Errors["A"]
	}
	return ans, nil
}

// LookupNetIP returns the addresses of host like net.Resolver.LookupNetIP:
// network "ip" for IPv4 and IPv6, "ip4" or "ip6" for one family. It follows
// CNAME chains. An IP address given as host is returned as it is. With no
// address it returns an *Error ("nxdomain", "nodata", "timeout", …).
func (r *Resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	addrs, _, err := r.lookupAddrs(ctx, network, host)
	return addrs, err
}

// lookupAddrs resolves host to addresses and returns the results it used.
func (r *Resolver) lookupAddrs(ctx context.Context, network, host string) ([]netip.Addr, []result, error) {
	var qtypes []uint16
	switch network {
	case "ip":
		qtypes = []uint16{mdns.TypeA, mdns.TypeAAAA}
	case "ip4":
		qtypes = []uint16{mdns.TypeA}
	case "ip6":
		qtypes = []uint16{mdns.TypeAAAA}
	default:
		return nil, nil, &Error{Code: CodeBadQuery, Name: host, Detail: "network " + network + ": want ip, ip4 or ip6"}
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		a = a.Unmap()
		if (network == "ip4" && !a.Is4()) || (network == "ip6" && !a.Is6()) {
			return nil, nil, &Error{Code: CodeNoData, Name: host, Detail: "address of the other family"}
		}
		return []netip.Addr{a}, nil, nil
	}
	fqdn, err := normalize(host)
	if err != nil {
		return nil, nil, err
	}
	results := make([]result, len(qtypes))
	var wg sync.WaitGroup
	for i, qt := range qtypes {
		wg.Go(func() { results[i] = r.query(ctx, fqdn, qt) })
	}
	wg.Wait()
	var addrs []netip.Addr
	for _, res := range results {
		addrs = appendNew(addrs, res.addrs...)
	}
	if len(addrs) > 0 {
		return addrs, results, nil
	}
	var first *Error
	for _, res := range results {
		if res.err != nil && res.err.Code == CodeNXDomain {
			return nil, results, res.err
		}
		if res.err != nil && first == nil {
			first = res.err
		}
	}
	if first != nil {
		return nil, results, first
	}
	return nil, results, &Error{Code: CodeNoData, Name: strings.TrimSuffix(fqdn, "."), Server: results[0].server,
		Detail: "no A or AAAA records"}
}

// NS returns the nameservers of the registrable domain of name (its public
// suffix plus one label: "example.co.uk" for "www.example.co.uk"; a name
// that is itself a public suffix is asked for as it is). The records' Name
// is that domain.
func (r *Resolver) NS(ctx context.Context, name string) ([]Record, error) {
	fqdn, err := normalize(name)
	if err != nil {
		return nil, err
	}
	zone := Registrable(strings.TrimSuffix(fqdn, "."))
	res := r.query(ctx, mdns.Fqdn(zone), mdns.TypeNS)
	if res.err != nil {
		return nil, res.err
	}
	var ns []Record
	for _, rec := range res.records {
		if rec.Type == "NS" && strings.EqualFold(rec.Name, zone) {
			ns = append(ns, rec)
		}
	}
	if len(ns) == 0 {
		return nil, &Error{Code: CodeNoData, Name: zone, Type: "NS", Server: res.server, Detail: "no NS records"}
	}
	return ns, nil
}

// Registrable returns the registrable domain of name: its public suffix
// (from the Public Suffix List) plus one label, or name itself when it is a
// public suffix.
func Registrable(name string) string {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if d, err := publicsuffix.EffectiveTLDPlusOne(name); err == nil {
		return d
	}
	return name
}

// normalize returns name as a lower-case FQDN in ASCII form. Only letters,
// digits, '-', '_' and '*' may make up its labels.
func normalize(name string) (string, error) {
	n := strings.TrimSuffix(strings.TrimSpace(name), ".")
	for _, c := range n {
		if c >= 0x80 {
			a, err := idna.Lookup.ToASCII(n)
			if err != nil {
				return "", &Error{Code: CodeBadQuery, Name: name, Detail: "not a domain name: " + err.Error()}
			}
			n = a
			break
		}
	}
	n = strings.ToLower(n)
	if n == "" {
		return "", &Error{Code: CodeBadQuery, Name: name, Detail: "empty name"}
	}
	if strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789-_.*") != "" {
		return "", &Error{Code: CodeBadQuery, Name: name, Detail: "not a host name"}
	}
	fqdn := mdns.Fqdn(n)
	if _, ok := mdns.IsDomainName(fqdn); !ok {
		return "", &Error{Code: CodeBadQuery, Name: name, Detail: "not a domain name"}
	}
	return fqdn, nil
}

func appendNew(dst []netip.Addr, addrs ...netip.Addr) []netip.Addr {
	for _, a := range addrs {
		if !slices.Contains(dst, a) {
			dst = append(dst, a)
		}
	}
	return dst
}

var errNoServer = errors.New("no server")
