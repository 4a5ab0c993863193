package rdap

import (
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	openrdap "github.com/openrdap/rdap"
)

// parseLooseAddr parses the address forms registries publish: plain
// addresses, ARIN's zero-padded IPv4 ("074.125.000.000") and old RIPE's
// "62.239.237.0/32".
func parseLooseAddr(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return netip.Addr{}
	}
	var b [4]byte
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil {
			return netip.Addr{}
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b)
}

// cidr0 reads the cidr0_cidrs extension (ARIN, APNIC, LACNIC, AFRINIC).
func cidr0(dd *openrdap.DecodeData) []netip.Prefix {
	if dd == nil {
		return nil
	}
	list, _ := dd.Value("cidr0_cidrs").([]any)
	var out []netip.Prefix
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		s, _ := m["v4prefix"].(string)
		if s == "" {
			s, _ = m["v6prefix"].(string)
		}
		var bits int
		switch l := m["length"].(type) {
		case float64:
			bits = int(l)
		case string:
			bits, _ = strconv.Atoi(l)
		default:
			continue
		}
		a := parseLooseAddr(s)
		if !a.IsValid() {
			continue
		}
		if p, err := a.Prefix(bits); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// rangePrefixes splits start–end into the minimal list of prefixes.
func rangePrefixes(start, end netip.Addr) []netip.Prefix {
	if !start.IsValid() || !end.IsValid() || start.Is4() != end.Is4() || end.Less(start) {
		return nil
	}
	bitsLen := start.BitLen()
	lo := addrInt(start)
	hi := addrInt(end)
	one := big.NewInt(1)
	var out []netip.Prefix
	for lo.Cmp(hi) <= 0 && len(out) < 128 {
		// Largest block aligned at lo that does not pass hi.
		size := 0
		for size < bitsLen {
			next := size + 1
			mask := new(big.Int).Lsh(one, uint(next))
			if new(big.Int).Mod(lo, mask).Sign() != 0 {
				break
			}
			last := new(big.Int).Add(lo, new(big.Int).Sub(mask, one))
			if last.Cmp(hi) > 0 {
				break
			}
			size = next
		}
		p, err := intAddr(lo, start.Is4()).Prefix(bitsLen - size)
		if err != nil {
			return out
		}
		out = append(out, p)
		lo = new(big.Int).Add(lo, new(big.Int).Lsh(one, uint(size)))
	}
	return out
}

// coverPrefix is the smallest prefix containing start–end.
func coverPrefix(start, end netip.Addr) (netip.Prefix, bool) {
	if !start.IsValid() || !end.IsValid() || start.Is4() != end.Is4() {
		return netip.Prefix{}, false
	}
	for bits := start.BitLen(); bits >= 0; bits-- {
		p, err := start.Prefix(bits)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Contains(end) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// lastAddr is the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	n := addrInt(a)
	host := a.BitLen() - p.Bits()
	n.Or(n, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(host)), big.NewInt(1)))
	return intAddr(n, a.Is4())
}

func addrInt(a netip.Addr) *big.Int {
	b := a.AsSlice()
	return new(big.Int).SetBytes(b)
}

func intAddr(n *big.Int, v4 bool) netip.Addr {
	size := 16
	if v4 {
		size = 4
	}
	buf := make([]byte, size)
	n.FillBytes(buf)
	a, _ := netip.AddrFromSlice(buf)
	return a
}

// parseRange parses a RIPE/APNIC style range handle "a - b".
func parseRange(s string) (netip.Addr, netip.Addr, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return netip.Addr{}, netip.Addr{}, false
	}
	start, end := parseLooseAddr(a), parseLooseAddr(b)
	if !start.IsValid() || !end.IsValid() || start.Is4() != end.Is4() {
		return netip.Addr{}, netip.Addr{}, false
	}
	return start, end, true
}
