package fetch

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
)

// The single-byte fast path decodes exactly as the charsets' own decoders
// (followed by the replacement of invalid UTF-8 that decodeText did), for
// every single-byte charset, every byte and random text.
func TestDecodeSingleByteMatchesDecoder(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	n := 0
	for _, enc := range charmap.All {
		cm, ok := enc.(*charmap.Charmap)
		if !ok {
			continue
		}
		n++
		for i := range 50 {
			body := all
			if i > 0 {
				// Half as much ASCII as not, or mostly ASCII (words of it
				// are copied whole).
				body = make([]byte, rng.IntN(300))
				odds := 2 + i%2*18
				for j := range body {
					if rng.IntN(odds) != 0 {
						body[j] = byte(rng.IntN(128))
					} else {
						body[j] = byte(rng.IntN(256))
					}
				}
			}
			out, err := cm.NewDecoder().Bytes(body)
			require.NoError(t, err)
			require.Equal(t, strings.ToValidUTF8(string(out), "\uFFFD"), decodeSingleByte(cm, body), "%s", cm)
		}
	}
	require.Greater(t, n, 20)
	// Valid UTF-8 is taken as it is, without a copy through a replacer.
	text, cs, _ := decodeText([]byte("grüße \uFFFD"), "text/plain; charset=utf-8", false)
	require.Equal(t, "utf-8", cs)
	require.Equal(t, "grüße \uFFFD", text)
	text, _, _ = decodeText([]byte("gr\xfc\xdfe"), "text/plain; charset=windows-1252", false)
	require.Equal(t, "grüße", text)
}

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
