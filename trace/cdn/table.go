package cdn

import (
	"cmp"
	"net/netip"
	"net/textproto"
	"slices"
	"strings"
)

// table is a compiled data file. It is never changed after compile.
type table struct {
	data    *Data
	provs   []compiled
	asns    map[uint32][]asnRef
	headers map[string][]ruleRef // by canonical header name
	sources []Source
	v4, v6  []segment
	nPrefix [2]int // IPv4, IPv6 prefixes
	path    string // file the data came from; "" for the embedded data
}

type compiled struct {
	p          *Provider
	orgs       []string // normalised, " word " form
	sharedOrgs []string
	cnames     []string // lower-case, no dots at either end
	dotCNAMEs  []string // the same with a leading dot
	headers    []HeaderRule
}

type ruleRef struct{ prov, rule int }

type asnRef struct {
	prov   int
	shared bool
}

// segment is a stretch of addresses covered by the same set of prefixes. The
// segments of a family are sorted and do not overlap, so an address is looked
// up with one binary search.
type segment struct {
	start, end netip.Addr
	hits       []hit
}

// hit is one prefix of one source.
type hit struct {
	prov   int
	source int
	prefix netip.Prefix
}

func compile(d *Data) *table {
	t := &table{data: d, asns: map[uint32][]asnRef{}, headers: map[string][]ruleRef{}, sources: d.Sources}
	sourceIdx := map[string]int{}
	for i, s := range d.Sources {
		sourceIdx[s.ID] = i
	}
	var hits4, hits6 []hit
	for i := range d.Providers {
		p := &d.Providers[i]
		c := compiled{p: p}
		for _, o := range p.Orgs {
			c.orgs = append(c.orgs, " "+normOrg(o)+" ")
		}
		for _, o := range p.SharedOrgs {
			c.sharedOrgs = append(c.sharedOrgs, " "+normOrg(o)+" ")
		}
		for _, n := range p.CNAMEs {
			c.cnames = append(c.cnames, normName(n))
			c.dotCNAMEs = append(c.dotCNAMEs, "."+normName(n))
		}
		for j, h := range p.Headers {
			name := strings.TrimSpace(h.Name)
			c.headers = append(c.headers, HeaderRule{
				Name:     name,
				Equals:   strings.ToLower(h.Equals),
				Prefix:   strings.ToLower(h.Prefix),
				Contains: strings.ToLower(h.Contains),
			})
			key := textproto.CanonicalMIMEHeaderKey(name)
			t.headers[key] = append(t.headers[key], ruleRef{prov: i, rule: j})
		}
		t.provs = append(t.provs, c)
		for _, a := range p.ASNs {
			t.asns[a] = append(t.asns[a], asnRef{prov: i})
		}
		for _, a := range p.SharedASNs {
			t.asns[a] = append(t.asns[a], asnRef{prov: i, shared: true})
		}
		for _, r := range p.Ranges {
			for _, s := range r.Prefixes {
				pfx := netip.MustParsePrefix(s).Masked() // checked by ParseData
				h := hit{prov: i, source: sourceIdx[r.Source], prefix: pfx}
				if pfx.Addr().Is4() {
					hits4 = append(hits4, h)
				} else {
					hits6 = append(hits6, h)
				}
			}
		}
	}
	t.nPrefix = [2]int{len(hits4), len(hits6)}
	t.v4 = segments(hits4)
	t.v6 = segments(hits6)
	return t
}

// lastAddr returns the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// segments cuts the address space covered by hits (all of one family) into
// stretches covered by the same prefixes. Prefixes nest or are disjoint, but
// nothing here depends on that.
func segments(hits []hit) []segment {
	if len(hits) == 0 {
		return nil
	}
	type bound struct {
		at    netip.Addr
		start bool
		i     int
	}
	// Every prefix opens at its first address and closes after its last.
	var bounds []bound
	var lastEnd []int // prefixes that run to the very last address
	for i, h := range hits {
		bounds = append(bounds, bound{h.prefix.Addr(), true, i})
		if next := lastAddr(h.prefix).Next(); next.IsValid() {
			bounds = append(bounds, bound{next, false, i})
		} else {
			lastEnd = append(lastEnd, i)
		}
	}
	slices.SortFunc(bounds, func(a, b bound) int { return a.at.Compare(b.at) })
	var (
		out    []segment
		active []int
	)
	for j := 0; j < len(bounds); {
		at := bounds[j].at
		for ; j < len(bounds) && bounds[j].at == at; j++ {
			if bounds[j].start {
				active = append(active, bounds[j].i)
			} else {
				active = slices.DeleteFunc(active, func(i int) bool { return i == bounds[j].i })
			}
		}
		if len(active) == 0 {
			continue
		}
		var end netip.Addr
		if j < len(bounds) {
			end = bounds[j].at.Prev()
		} else {
			end = lastAddr(hits[lastEnd[0]].prefix)
		}
		seg := segment{start: at, end: end}
		for _, i := range active {
			seg.hits = append(seg.hits, hits[i])
		}
		// Most specific prefix first, then by source order (official lists
		// come first in the data file).
		slices.SortStableFunc(seg.hits, func(a, b hit) int {
			if c := cmp.Compare(b.prefix.Bits(), a.prefix.Bits()); c != 0 {
				return c
			}
			return cmp.Compare(a.source, b.source)
		})
		out = append(out, seg)
	}
	return out
}

// lookup returns the prefixes holding a.
func (t *table) lookup(a netip.Addr) []hit {
	a = a.Unmap()
	segs := t.v6
	if a.Is4() {
		segs = t.v4
	}
	lo, hi := 0, len(segs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if segs[m].start.Compare(a) <= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 || segs[lo-1].end.Less(a) {
		return nil
	}
	return segs[lo-1].hits
}

// normOrg lower-cases an organisation name and turns everything but letters
// and digits into single spaces.
func normOrg(s string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(s) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || r > 0x7f {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

func normName(s string) string {
	return strings.Trim(strings.ToLower(strings.TrimSpace(s)), ".")
}
