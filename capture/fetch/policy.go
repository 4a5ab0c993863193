package fetch

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"code.dny.dev/ssrf"
)

// policy decides which addresses and ports undox may connect to. It is checked
// on the IP address actually being dialled, after DNS resolution, for every
// connection of every hop.
type policy struct {
	allowAll  bool           // Config.AllowPrivate: every address
	allow     []netip.Prefix // Config.AllowNetworks: these on top of the public internet
	anyPort   bool
	ports     []uint16 // sorted
	portsText string
	guard     *ssrf.Guardian
}

func newPolicy(cfg *Config) *policy {
	p := &policy{
		allowAll: cfg.AllowPrivate,
		anyPort:  cfg.AllowAnyPort,
		// Ports are checked here (they need the message); the guardian checks
		// only addresses: the IANA special-purpose ranges for IPv4, and for IPv6
		// everything outside global unicast (2000::/3) plus the special-purpose
		// ranges inside it. That blocks every IPv4-mapped, IPv4-compatible,
		// NAT64, 6to4 and Teredo form outright, whatever IPv4 address it embeds.
		guard: ssrf.New(ssrf.WithAnyPort(), ssrf.WithAnyNetwork()),
	}
	for _, pr := range cfg.AllowNetworks {
		p.allow = append(p.allow, pr.Masked())
	}
	p.ports = []uint16{80, 443}
	for _, port := range cfg.AllowPorts {
		if !slices.Contains(p.ports, port) {
			p.ports = append(p.ports, port)
		}
	}
	slices.Sort(p.ports)
	texts := make([]string, len(p.ports))
	for i, port := range p.ports {
		texts[i] = strconv.Itoa(int(port))
	}
	p.portsText = strings.Join(texts, ", ")
	return p
}

// checkPort reports whether undox may connect to port.
func (p *policy) checkPort(port uint16) error {
	if p.anyPort || slices.Contains(p.ports, port) {
		return nil
	}
	return newError(BlockedAddress, nil, "port %d is not allowed (allowed: %s)", port, p.portsText)
}

// checkAddr reports whether undox may connect to addr.
func (p *policy) checkAddr(addr netip.Addr) error {
	if !addr.IsValid() {
		return newError(BlockedAddress, nil, "no valid address")
	}
	if p.allowAll {
		return nil
	}
	plain := addr.WithZone("")
	for _, pr := range p.allow {
		if pr.Contains(plain) || (plain.Is4In6() && pr.Contains(plain.Unmap())) {
			return nil
		}
	}
	if err := p.guard.SafeAddr(plain); err != nil {
		return newError(BlockedAddress, err, "%s is a %s address, which undox does not connect to", addr, addrClass(plain))
	}
	return nil
}

// check reports whether undox may connect to ap.
func (p *policy) check(ap netip.AddrPort) error {
	if err := p.checkPort(ap.Port()); err != nil {
		return err
	}
	return p.checkAddr(ap.Addr())
}

var (
	cgnat    = netip.MustParsePrefix("100.64.0.0/10")
	siteLoc6 = netip.MustParsePrefix("fec0::/10")
	nat64    = netip.MustParsePrefix("64:ff9b::/96")
	nat64loc = netip.MustParsePrefix("64:ff9b:1::/48")
	sixTo4   = netip.MustParsePrefix("2002::/16")
	teredo   = netip.MustParsePrefix("2001::/32")
	compat6  = netip.MustParsePrefix("::/96")
	bcast4   = netip.MustParseAddr("255.255.255.255")
)

// addrClass names the kind of a blocked address, for messages.
func addrClass(a netip.Addr) string {
	switch {
	case a.Is4In6():
		return "IPv4-mapped (" + addrClass(a.Unmap()) + ")"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a == bcast4:
		return "broadcast"
	case a.IsMulticast():
		return "multicast"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.Is4() && cgnat.Contains(a):
		return "carrier-grade NAT (100.64.0.0/10)"
	case a.Is4() && a.IsPrivate():
		return "private (RFC 1918)"
	case a.Is6() && a.IsPrivate():
		return "IPv6 unique-local (fc00::/7)"
	case siteLoc6.Contains(a):
		return "IPv6 site-local"
	case nat64.Contains(a) || nat64loc.Contains(a):
		return "NAT64"
	case sixTo4.Contains(a):
		return "6to4"
	case teredo.Contains(a):
		return "Teredo"
	case compat6.Contains(a):
		return "IPv4-compatible IPv6"
	default:
		return "special-purpose or reserved"
	}
}
