package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClientKey(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	req := func(remote string, xff ...string) string {
		r := httptest.NewRequest("POST", "/api/v1/reports", nil)
		r.RemoteAddr = remote
		for _, v := range xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		return clientKey(r, proxies)
	}
	// Not behind a trusted proxy: the peer, whatever the header says.
	require.Equal(t, "192.0.2.7", req("192.0.2.7:5000", "198.51.100.1"))
	// Behind trusted proxies: the last address that is not one of them.
	require.Equal(t, "198.51.100.1", req("127.0.0.1:5000", "203.0.113.9, 198.51.100.1, 10.1.1.1"))
	require.Equal(t, "198.51.100.1", req("127.0.0.1:5000", "203.0.113.9", "198.51.100.1"))
	// A forged header in front of a real client does not move the bucket.
	require.Equal(t, "198.51.100.1", req("127.0.0.1:5000", "1.2.3.4, 198.51.100.1"))
	// Without the header, the proxy itself.
	require.Equal(t, "127.0.0.1", req("127.0.0.1:5000"))
	// IPv6 clients share a bucket per /64.
	require.Equal(t, "2001:db8:1:2::/64", req("[2001:db8:1:2:aaaa::1]:5000"))
	require.Equal(t, req("[2001:db8:1:2:aaaa::1]:1"), req("[2001:db8:1:2:bbbb::2]:2"))
}
