package rdap

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// parents follows the allocation chain above rec, nearest first, up to
// Config.MaxParents documents. The next parent is found, in order, by:
//
//  1. the document's "up" link (APNIC, newer ARIN/RIPE answers);
//  2. a parentHandle that is a CIDR ("2001:4200::/23") or a range that is
//     exactly one prefix: an /ip/<prefix> query;
//  3. otherwise (ARIN handles like "NET-108-0-0-0-0", ranges that are not one
//     prefix): an /ip/<prefix> query for the smallest prefix strictly
//     larger than the network; RDAP servers answer a prefix query with the
//     most specific network containing it, i.e. the parent (or an ancestor).
//
// No parentHandle and no up link, or a parent that is the whole address
// space ("0.0.0.0 - 255.255.255.255"), ends the chain. A parent that does not
// strictly contain its child, or a handle seen before, ends it too.
// Failures are not fatal: the chain found so far is returned with the reason.
func (c *Client) parents(ctx context.Context, query string, rec *NetworkRecord) ([]Parent, string) {
	if c.cfg.MaxParents <= 0 {
		return nil, ""
	}
	var out []Parent
	seen := map[string]bool{rangeKey(rec): true}
	cur := rec
	for len(out) < c.cfg.MaxParents {
		next, checkContainment := parentURL(cur)
		if next == "" {
			return out, ""
		}
		resp, err := c.fetch(ctx, query, next)
		if err != nil {
			return out, "parent lookup: " + err.Error()
		}
		p, err := parseNetwork(resp.body)
		if err != nil {
			return out, "parent lookup: " + c.parseErr(query, resp, err).Error()
		}
		p.Source, p.Via = resp.url, resp.via
		setContactSource(p.Abuse, p.OtherContacts, p.Source)
		k := rangeKey(p)
		if seen[k] {
			return out, fmt.Sprintf("parent lookup: %s returned %s again", resp.url, p.Handle)
		}
		if checkContainment && !strictlyContains(p, cur) {
			return out, fmt.Sprintf("parent lookup: %s returned %s, which does not contain %s", resp.url, p.Handle, cur.Handle)
		}
		seen[k] = true
		out = append(out, *p)
		cur = p
	}
	return out, ""
}

// parentURL returns the URL of cur's parent, or "" if cur names none. The
// bool says whether the answer must be checked to contain cur (prefix
// queries may return cur itself).
func parentURL(cur *NetworkRecord) (string, bool) {
	if up := cur.UpLink; up != "" {
		if cur.Source != "" {
			if u, err := resolveRef(cur.Source, up); err == nil {
				up = u
			}
		}
		if !strings.EqualFold(up, cur.Source) {
			return up, false
		}
	}
	ph := cur.ParentHandle
	if ph == "" {
		return "", false
	}
	base := serverBase(cur.Source)
	if base == "" {
		return "", false
	}
	if p, err := netip.ParsePrefix(ph); err == nil {
		if p.Bits() == 0 {
			return "", false
		}
		return base + "ip/" + p.Masked().String(), true
	}
	if s, e, ok := parseRange(ph); ok {
		if cp, ok := coverPrefix(s, e); ok {
			if cp.Bits() == 0 {
				return "", false // the whole address space: nothing above the RIR
			}
			if cp.Addr() == s && lastAddr(cp) == e {
				return base + "ip/" + cp.String(), true
			}
		}
	}
	// Smallest prefix strictly larger than the network.
	cp, ok := coverPrefix(cur.StartAddress, cur.EndAddress)
	if !ok {
		return "", false
	}
	if cp.Addr() == cur.StartAddress && lastAddr(cp) == cur.EndAddress {
		if cp.Bits() == 0 {
			return "", false
		}
		cp, _ = cp.Addr().Prefix(cp.Bits() - 1)
	}
	return base + "ip/" + cp.String(), true
}

// serverBase derives the RDAP base URL from a network document's URL
// ("https://rdap.arin.net/registry/ip/1.2.3.4" → "https://rdap.arin.net/registry/").
func serverBase(u string) string {
	i := strings.LastIndex(u, "/ip/")
	if i < 0 {
		return ""
	}
	return u[:i+1]
}

func rangeKey(r *NetworkRecord) string {
	return r.Handle + "|" + r.StartAddress.String() + "|" + r.EndAddress.String()
}

func strictlyContains(p, c *NetworkRecord) bool {
	if !p.StartAddress.IsValid() || !p.EndAddress.IsValid() || !c.StartAddress.IsValid() || !c.EndAddress.IsValid() {
		return false
	}
	if p.StartAddress.Is4() != c.StartAddress.Is4() {
		return false
	}
	if c.StartAddress.Less(p.StartAddress) || p.EndAddress.Less(c.EndAddress) {
		return false
	}
	return p.StartAddress != c.StartAddress || p.EndAddress != c.EndAddress
}
