package rdap

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"golang.org/x/net/idna"
)

// resolver answers "which RDAP base URLs serve this query", applying
// Config.Overrides before the bootstrap registries, and rewrites URLs before
// they are fetched.
type resolver struct {
	boot     *Bootstrap
	all      []string
	hasAll   bool
	domains  map[string][]string
	prefixes []prefixEntry
	asns     []asnEntry
	rewrites []rewrite
}

type rewrite struct{ from, to string }

// newResolver parses Config.Overrides. Keys:
//
//   - "*": every query not matched by a more specific override;
//   - a TLD or domain suffix ("com", ".co.uk"): domains by longest suffix;
//   - a CIDR ("192.0.2.0/24", "2001:db8::/32"): addresses by longest prefix;
//   - an AS number or range ("AS13335", "64496-64511"): AS numbers;
//   - a URL prefix ("https://rdap.arin.net/registry/"): every URL the client
//     is about to fetch that starts with it (bootstrap answers, RIR
//     redirects, "up" and "related" links) is rewritten to start with the
//     first value instead.
//
// An empty value list means "no RDAP server" (the lookup fails with
// CodeNoServer), which lets a caller force the WHOIS fallback.
func newResolver(boot *Bootstrap, overrides map[string][]string) (*resolver, error) {
	r := &resolver{boot: boot, domains: map[string][]string{}}
	for key, vals := range overrides {
		urls := orderURLs(vals)
		k := strings.TrimSpace(key)
		switch {
		case k == "*":
			r.all, r.hasAll = urls, true
		case strings.HasPrefix(strings.ToLower(k), "http://") || strings.HasPrefix(strings.ToLower(k), "https://"):
			if len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
				return nil, fmt.Errorf("rdap: override %q: a URL rewrite needs a target", key)
			}
			r.rewrites = append(r.rewrites, rewrite{from: k, to: strings.TrimSpace(vals[0])})
		case strings.Contains(k, "/"):
			p, err := netip.ParsePrefix(k)
			if err != nil {
				return nil, fmt.Errorf("rdap: override %q: %w", key, err)
			}
			r.prefixes = append(r.prefixes, prefixEntry{prefix: p.Masked(), urls: urls})
		case looksLikeASN(k):
			lo, hi, err := parseASNRange(k)
			if err != nil {
				return nil, fmt.Errorf("rdap: override %q: %w", key, err)
			}
			r.asns = append(r.asns, asnEntry{lo: lo, hi: hi, urls: urls})
		default:
			d, err := toASCII(k)
			if err != nil || d == "" {
				return nil, fmt.Errorf("rdap: override %q: not a TLD, CIDR, AS range or URL", key)
			}
			r.domains[d] = urls
		}
	}
	sortPrefixes(r.prefixes)
	sort.SliceStable(r.rewrites, func(i, j int) bool { return len(r.rewrites[i].from) > len(r.rewrites[j].from) })
	return r, nil
}

func looksLikeASN(s string) bool {
	s = strings.ToUpper(s)
	s = strings.ReplaceAll(s, "AS", "")
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// domain returns base URLs for a domain name (already in ASCII form).
func (r *resolver) domain(name string) []string {
	for s := name; s != ""; {
		if u, ok := r.domains[s]; ok {
			return u
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	if r.hasAll {
		return r.all
	}
	u, _ := r.boot.Domain(name)
	return u
}

func (r *resolver) ip(addr netip.Addr) []string {
	for _, e := range r.prefixes {
		if e.prefix.Contains(addr) {
			return e.urls
		}
	}
	if r.hasAll {
		return r.all
	}
	u, _ := r.boot.IP(addr)
	return u
}

func (r *resolver) asn(n uint32) []string {
	var best *asnEntry
	for i := range r.asns {
		e := &r.asns[i]
		if n >= e.lo && n <= e.hi && (best == nil || e.hi-e.lo < best.hi-best.lo) {
			best = e
		}
	}
	if best != nil {
		return best.urls
	}
	if r.hasAll {
		return r.all
	}
	u, _, _ := r.boot.ASN(n)
	return u
}

// rewrite applies the URL-prefix overrides (longest prefix first, once).
func (r *resolver) rewrite(u string) string {
	for _, rw := range r.rewrites {
		if len(u) >= len(rw.from) && strings.EqualFold(u[:len(rw.from)], rw.from) {
			return rw.to + u[len(rw.from):]
		}
	}
	return u
}

// toASCII lower-cases a domain name, trims dots and converts IDNs to their
// A-label form.
func toASCII(name string) (string, error) {
	name = normalizeDomainKey(name)
	if name == "" {
		return "", nil
	}
	a, err := idna.Lookup.ToASCII(name)
	if err != nil {
		// Fall back to the plain lower-cased form: registries hold names
		// that strict IDNA 2008 lookup rules reject (e.g. underscores).
		return name, nil
	}
	return a, nil
}
