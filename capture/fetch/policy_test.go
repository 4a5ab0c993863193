package fetch_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
)

// These tests check literal addresses against the dial-time policy. Nothing is
// sent anywhere.

var blockedAddrs = []string{
	// IPv4
	"127.0.0.1", "127.0.0.2", "127.255.255.254", // loopback
	"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.0.1", "192.168.255.254", // RFC 1918
	"169.254.169.254", "169.254.0.1", // link-local (cloud metadata)
	"100.64.0.1", "100.127.255.254", // CGNAT
	"224.0.0.1", "239.255.255.250", // multicast
	"0.0.0.0", "0.1.2.3", // unspecified, "this network"
	"255.255.255.255", "240.0.0.1", // broadcast, reserved
	"192.0.2.1", "198.51.100.7", "203.0.113.9", // documentation
	"198.18.0.1", "198.19.255.254", // benchmarking
	"192.0.0.8", "192.88.99.1", // IETF protocol assignments, 6to4 relay anycast
	// IPv6
	"::1", "::", // loopback, unspecified
	"fe80::1", "fe80::1%eth0", // link-local
	"fc00::1", "fd12:3456:789a::1", // unique-local
	"fec0::1",            // site-local
	"ff02::1", "ff05::2", // multicast
	"2001:db8::1", "3fff::1", // documentation
	"100::1", // discard-only
	// IPv6 forms embedding IPv4 addresses
	"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:192.168.1.1", // IPv4-mapped
	"::ffff:0:7f00:1",           // IPv4-translated (RFC 2765) of 127.0.0.1
	"::127.0.0.1", "::10.0.0.1", // IPv4-compatible
	"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::808:808", // NAT64, even of a public address
	"64:ff9b:1::a00:1",                // local-use NAT64
	"2002:7f00:1::1", "2002:a00:1::1", // 6to4 of 127.0.0.1 and 10.0.0.1
	"2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo (client 127.0.0.1, obfuscated)
}

var publicAddrs = []string{"8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001:82b::200e"}

func TestPolicyBlocksSpecialAddresses(t *testing.T) {
	f := fetch.New(fetch.Config{})
	for _, s := range blockedAddrs {
		for _, port := range []uint16{80, 443} {
			err := f.CheckAddr(netip.AddrPortFrom(netip.MustParseAddr(s), port))
			fe := requireCode(t, err, fetch.BlockedAddress)
			require.Contains(t, fe.Message, "undox does not connect to", s)
		}
	}
}

func TestPolicyAllowsPublicAddresses(t *testing.T) {
	f := fetch.New(fetch.Config{})
	for _, s := range publicAddrs {
		for _, port := range []uint16{80, 443} {
			require.NoError(t, f.CheckAddr(netip.AddrPortFrom(netip.MustParseAddr(s), port)), s)
		}
	}
}

func TestPolicyPorts(t *testing.T) {
	pub := netip.MustParseAddr("8.8.8.8")
	f := fetch.New(fetch.Config{})
	for _, port := range []uint16{22, 25, 53, 3306, 5432, 6379, 8080, 8443} {
		fe := requireCode(t, f.CheckAddr(netip.AddrPortFrom(pub, port)), fetch.BlockedAddress)
		require.Contains(t, fe.Message, "port")
	}
	f = fetch.New(fetch.Config{AllowPorts: []uint16{8080, 8443}})
	for _, port := range []uint16{80, 443, 8080, 8443} {
		require.NoError(t, f.CheckAddr(netip.AddrPortFrom(pub, port)))
	}
	requireCode(t, f.CheckAddr(netip.AddrPortFrom(pub, 22)), fetch.BlockedAddress)

	f = fetch.New(fetch.Config{AllowAnyPort: true})
	require.NoError(t, f.CheckAddr(netip.AddrPortFrom(pub, 22)))
	// Any port does not mean any address.
	requireCode(t, f.CheckAddr(netip.MustParseAddrPort("127.0.0.1:22")), fetch.BlockedAddress)
}

func TestPolicyAllowNetworks(t *testing.T) {
	f := fetch.New(fetch.Config{AllowNetworks: []netip.Prefix{loopback1, netip.MustParsePrefix("fd00::/8")}})
	for _, s := range []string{"127.0.0.1", "::ffff:127.0.0.1", "fd00::1", "8.8.8.8"} {
		require.NoError(t, f.CheckAddr(netip.AddrPortFrom(netip.MustParseAddr(s), 80)), s)
	}
	for _, s := range []string{"127.0.0.2", "::ffff:127.0.0.2", "::1", "10.0.0.1", "fc00::1", "64:ff9b::7f00:1", "2002:7f00:1::1"} {
		requireCode(t, f.CheckAddr(netip.AddrPortFrom(netip.MustParseAddr(s), 80)), fetch.BlockedAddress)
	}
}

func TestPolicyAllowPrivate(t *testing.T) {
	f := fetch.New(fetch.Config{AllowPrivate: true})
	for _, s := range append(blockedAddrs, publicAddrs...) {
		require.NoError(t, f.CheckAddr(netip.AddrPortFrom(netip.MustParseAddr(s), 443)), s)
	}
	// Ports stay closed.
	requireCode(t, f.CheckAddr(netip.MustParseAddrPort("10.0.0.1:22")), fetch.BlockedAddress)
}

// DialContext refuses blocked places before any packet is sent, whether they
// are given as literals or as names that resolve to them.
func TestDialContextRefusesBlocked(t *testing.T) {
	res := newMapResolver("internal.test", "10.0.0.5", "meta.test", "169.254.169.254", "meta.test", "fd00::1")
	f := fetch.New(fetch.Config{Resolver: res})
	ctx := fetchCtx(t)
	for _, addr := range []string{"10.0.0.1:80", "[::1]:443", "[::ffff:192.168.0.1]:80", "internal.test:80", "meta.test:80", "8.8.8.8:22"} {
		conn, err := f.DialContext(ctx, "tcp", addr)
		require.Nil(t, conn)
		requireCode(t, err, fetch.BlockedAddress)
	}
	_, err := f.DialContext(ctx, "udp", "8.8.8.8:53")
	requireCode(t, err, fetch.BlockedAddress)
}
