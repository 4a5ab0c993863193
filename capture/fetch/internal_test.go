package fetch

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A truncated body may end in the middle of a rune; that alone does not make
// it non-UTF-8.
func TestDecodeTruncatedUTF8(t *testing.T) {
	cut := []byte("日本語")[:8]
	text, cs, source := decodeText(cut, "text/plain", true)
	require.Equal(t, "utf-8", cs)
	require.Equal(t, CharsetSniffed, source)
	require.Equal(t, "日本\uFFFD", text)
	_, cs, _ = decodeText(cut, "text/plain", false)
	require.Equal(t, "windows-1252", cs)
}

// The net.Dialer's Control hook checks the address actually dialled, even
// when the name-level check is bypassed: nothing connects to 127.0.0.2.
func TestControlHookRefusesBlockedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	require.NoError(t, err)
	defer ln.Close()
	port := netip.MustParseAddrPort(ln.Addr().String()).Port()
	f := New(Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, AllowPorts: []uint16{port}})
	d := &dialer{f: f}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := d.netDialer(true).DialContext(ctx, "tcp", ln.Addr().String())
	require.Nil(t, conn)
	require.Equal(t, BlockedAddress, CodeOf(err))
	// The unchecked dialer (used only for the operator's proxy) does connect,
	// and its connection is the first the listener sees: the checked dial
	// never reached it.
	conn, err = d.netDialer(false).DialContext(ctx, "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	first, err := ln.Accept()
	require.NoError(t, err)
	defer first.Close()
	require.Equal(t, conn.LocalAddr().String(), first.RemoteAddr().String())
}
