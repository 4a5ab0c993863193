package fetch_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
)

const page = `<!doctype html><html><head><title>Doxed</title></head><body><p>Name: Jane Roe</p></body></html>`

func TestFetchPage(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A browser's, which a site cannot tell from its visitors'.
		require.Equal(t, fetch.DefaultUserAgent, r.Header.Get("User-Agent"))
		require.NotContains(t, strings.ToLower(r.Header.Get("User-Agent")), "undox")
		require.Contains(t, r.Header.Get("User-Agent"), "Chrome/")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, page)
		zw.Close()
	}))
	res := newMapResolver("site.test", "127.0.0.1")
	cfg := testConfig(port)
	cfg.Resolver = res
	f := fetch.New(cfg)
	u := hostURL("site.test", port, "/page#frag")

	r, err := f.Fetch(fetchCtx(t), u)
	require.NoError(t, err)
	require.Equal(t, u, r.URL)
	require.Equal(t, hostURL("site.test", port, "/page"), r.FinalURL)
	require.Equal(t, 200, r.Status)
	require.Equal(t, "HTTP/1.1", r.Proto)
	require.Equal(t, page, string(r.Body))
	require.Equal(t, page, r.Text)
	require.False(t, r.Truncated)
	require.True(t, r.Decoded)
	require.Equal(t, "gzip", r.ContentEncoding)
	require.Less(t, r.WireBytes, int64(len(page)+50))
	sum := sha256.Sum256([]byte(page))
	require.Equal(t, hex.EncodeToString(sum[:]), r.SHA256)
	require.Equal(t, int64(len(page)), r.Size)
	require.Equal(t, "text/html", r.MediaType)
	require.Equal(t, "utf-8", r.Charset)
	require.Equal(t, fetch.CharsetFromHeader, r.CharsetSource)
	require.Equal(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), r.Remote)
	require.Equal(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, r.IPs)
	require.Len(t, r.DNS, 1)
	require.Equal(t, "site.test", r.DNS[0].Name)
	require.False(t, r.DNS[0].At.IsZero())
	require.Equal(t, "map", r.Resolver)
	require.Empty(t, r.Redirects)
	require.Nil(t, r.TLS)
	require.Empty(t, r.Proxy)
	require.False(t, r.FetchedAt.IsZero())
	require.Positive(t, r.Duration)
	_, err = json.Marshal(r)
	require.NoError(t, err)
}

// A fetch ignores the environment's proxy settings: proxies are chosen per fetch.
func TestFetchIgnoresEnvironmentProxy(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("http_proxy", "http://127.0.0.1:1")
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	require.NoError(t, err)
	require.Equal(t, "ok", string(r.Body))
}

func TestRedirectChainIsRecorded(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b", http.StatusMovedPermanently)
		case "/b":
			http.Redirect(w, r, hostURL("site.test", portFromHost(r.Host), "/c"), http.StatusFound)
		default:
			io.WriteString(w, "final")
		}
	}))
	cfg := testConfig(port)
	cfg.Resolver = newMapResolver("site.test", "127.0.0.1")
	r, err := fetch.New(cfg).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/a"))
	require.NoError(t, err)
	require.Equal(t, "final", string(r.Body))
	require.Equal(t, hostURL("site.test", port, "/c"), r.FinalURL)
	require.Len(t, r.Redirects, 2)
	require.Equal(t, hostURL("127.0.0.1", port, "/a"), r.Redirects[0].URL)
	require.Equal(t, 301, r.Redirects[0].Status)
	require.Equal(t, "/b", r.Redirects[0].Location)
	require.Equal(t, 302, r.Redirects[1].Status)
	for _, h := range r.Redirects {
		require.Equal(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), h.Remote)
		require.False(t, h.At.IsZero())
	}
}

func portFromHost(hostport string) uint16 {
	_, p, _ := net.SplitHostPort(hostport)
	n, _ := strconv.Atoi(p)
	return uint16(n)
}

// Only 127.0.0.1 is allowed; a redirect to 127.0.0.2 (where a server does
// listen) is refused at dial time, by literal and by name.
func TestRedirectToBlockedLoopback(t *testing.T) {
	_, blockedPort, blockedConns := serveOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "internal secrets")
	}))
	for _, target := range []string{
		hostURL("127.0.0.2", blockedPort, "/admin"),
		hostURL("internal.test", blockedPort, "/admin"),
		"http://[::ffff:127.0.0.2]:" + strconv.Itoa(int(blockedPort)) + "/admin",
	} {
		t.Run(target, func(t *testing.T) {
			_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target, http.StatusFound)
			}))
			cfg := testConfig(port, blockedPort)
			cfg.Resolver = newMapResolver("internal.test", "127.0.0.2")
			r, err := fetch.New(cfg).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
			fe := requireCode(t, err, fetch.BlockedAddress)
			require.Equal(t, target, fe.URL)
			require.Len(t, r.Redirects, 1)
			require.Equal(t, target, r.Redirects[0].Location)
			require.Empty(t, r.Body)
			require.Zero(t, blockedConns.Load(), "the blocked server was reached")
		})
	}
}

// By default no loopback address is allowed; localhost goes through the
// system resolver and is refused before anything is sent.
func TestLocalhostBlockedByDefault(t *testing.T) {
	f := fetch.New(fetch.Config{})
	for _, u := range []string{"http://localhost/", "http://127.0.0.1/", "http://[::1]/", "https://localhost./", "http://0.0.0.0/"} {
		r, err := f.Fetch(fetchCtx(t), u)
		requireCode(t, err, fetch.BlockedAddress)
		require.Equal(t, "system", r.Resolver)
		for _, a := range r.IPs {
			require.True(t, a.IsLoopback() || a.IsUnspecified(), a)
		}
	}
}

func TestNameResolvingToBlockedAddress(t *testing.T) {
	_, port, conns := serveOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	cfg := testConfig(port)
	cfg.Resolver = newMapResolver("evil.test", "127.0.0.2", "evil.test", "::1")
	r, err := fetch.New(cfg).Fetch(fetchCtx(t), hostURL("evil.test", port, "/"))
	fe := requireCode(t, err, fetch.BlockedAddress)
	require.Contains(t, fe.Message, "evil.test resolves only to addresses")
	require.Equal(t, []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("::1")}, r.IPs)
	require.Len(t, r.DNS, 1)
	require.Zero(t, conns.Load())
}

// A name with one allowed and one blocked address is fetched from the allowed
// one only.
func TestMixedAnswerUsesOnlyAllowedAddresses(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "public") }))
	_, _, conns := serveOn(t, net.JoinHostPort("127.0.0.2", strconv.Itoa(int(port))), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "internal")
	}))
	cfg := testConfig(port)
	cfg.Resolver = newMapResolver("mixed.test", "127.0.0.2", "mixed.test", "127.0.0.1")
	r, err := fetch.New(cfg).Fetch(fetchCtx(t), hostURL("mixed.test", port, "/"))
	require.NoError(t, err)
	require.Equal(t, "public", string(r.Body))
	require.Equal(t, "127.0.0.1", r.Remote.Addr().String())
	require.Len(t, r.IPs, 2)
	require.Zero(t, conns.Load())
}

func TestRedirectLoop(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			http.Redirect(w, r, "/b", http.StatusFound)
		} else {
			http.Redirect(w, r, "/a", http.StatusFound)
		}
	}))
	r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/a"))
	fe := requireCode(t, err, fetch.TooManyRedirects)
	require.Contains(t, fe.Message, "loop")
	require.NotEmpty(t, r.Redirects)
	require.LessOrEqual(t, len(r.Redirects), 4)
}

func TestTooManyRedirects(t *testing.T) {
	var hits int
	var mu sync.Mutex
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n+1), http.StatusTemporaryRedirect)
	}))
	r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/r/0"))
	requireCode(t, err, fetch.TooManyRedirects)
	require.Len(t, r.Redirects, fetch.DefaultMaxRedirects+1)
	require.Equal(t, fetch.DefaultMaxRedirects+1, hits)
}

func TestEndlessBody(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		chunk := bytes.Repeat([]byte("dox "), 8<<10)
		for i := 0; i < 4096; i++ { // at most 128 MiB, but the client hangs up long before
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	cfg := testConfig(port)
	r, err := fetch.New(cfg).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	requireCode(t, err, fetch.TooLarge)
	require.True(t, r.Truncated)
	require.Equal(t, cfg.MaxBodyBytes, int64(len(r.Body)))
	require.Equal(t, 200, r.Status)
	require.True(t, strings.HasPrefix(r.Text, "dox dox"))
}

// A Content-Length beyond the limit is not trusted for allocation.
func TestHugeContentLength(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<40))
		w.Write([]byte("short"))
	}))
	r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	requireCode(t, err, fetch.ConnectionFailed)
	require.Equal(t, "short", string(r.Body))
	require.True(t, r.Truncated)
}

func TestSlowDrip(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(200)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 1000; i++ {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
		}
	}))
	r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	requireCode(t, err, fetch.TooSlow)
	require.True(t, r.Truncated)
	require.Equal(t, 200, r.Status)
}

// A server that dribbles its headers, or never answers, is cut off by the
// time-to-first-byte bound.
func TestNoResponse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				c.Write([]byte("HTTP/1.1 200 OK\r\n"))
				for range 100 {
					time.Sleep(50 * time.Millisecond)
					if _, err := c.Write([]byte("X-Drip: 1\r\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	port := portOf(t, ln.Addr())
	cfg := testConfig(port)
	cfg.FirstByteTimeout = 300 * time.Millisecond
	_, err = fetch.New(cfg).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	fe := requireCode(t, err, fetch.Timeout)
	require.Contains(t, fe.Message, "no response within")
}

func TestTotalTimeout(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Fast enough for the rate bound, but never done.
		w.WriteHeader(200)
		for i := 0; i < 1000; i++ {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			w.Write(make([]byte, 1024))
			w.(http.Flusher).Flush()
		}
	}))
	cfg := testConfig(port)
	cfg.Timeout = 500 * time.Millisecond
	cfg.MinBytesPerSecond = 1
	_, err := fetch.New(cfg).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	requireCode(t, err, fetch.Timeout)
}

func TestCallerCancel(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := fetch.New(testConfig(port)).Fetch(ctx, hostURL("127.0.0.1", port, "/"))
	requireCode(t, err, fetch.Canceled)
}

// bomb returns a stream that decompresses to 16 MiB of zeros per member,
// repeated n times.
func bomb(t *testing.T, coding string, n int) []byte {
	t.Helper()
	var one bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w, _ = gzip.NewWriterLevel(&one, gzip.BestCompression)
	case "deflate":
		w, _ = zlib.NewWriterLevel(&one, zlib.BestCompression)
	case "br":
		w = brotli.NewWriterLevel(&one, brotli.BestCompression)
	}
	zero := make([]byte, 1<<20)
	for range 16 {
		w.Write(zero)
	}
	require.NoError(t, w.Close())
	if coding != "gzip" {
		return one.Bytes() // only gzip has members to repeat
	}
	return bytes.Repeat(one.Bytes(), n)
}

func TestCompressionBomb(t *testing.T) {
	for _, coding := range []string{"gzip", "deflate", "br"} {
		t.Run(coding, func(t *testing.T) {
			payload := bomb(t, coding, 64) // 1 GiB of zeros for gzip
			_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Header().Set("Content-Encoding", coding)
				w.Write(payload)
			}))
			for _, ratio := range []int{0, -1} { // cut off by the ratio, or (without it) by the size
				cfg := testConfig(port)
				cfg.MaxDecompressRatio = ratio
				cfg.MaxBodyBytes = 4 << 20
				r, err := fetch.New(cfg).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
				fe := requireCode(t, err, fetch.TooLarge)
				if ratio == 0 {
					require.Contains(t, fe.Message, "compression bomb")
				}
				require.True(t, r.Truncated)
				require.LessOrEqual(t, int64(len(r.Body)), cfg.MaxBodyBytes)
				require.LessOrEqual(t, r.WireBytes, int64(len(payload)))
			}
		})
	}
}

func TestCorruptCompression(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write([]byte("this is not gzip at all"))
	}))
	_, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	requireCode(t, err, fetch.BadResponse)
}

func TestUnknownContentEncodingIsKeptAsSent(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "zstd")
		w.Write([]byte{0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3})
	}))
	r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	require.NoError(t, err)
	require.False(t, r.Decoded)
	require.Equal(t, []byte{0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3}, r.Body)
	require.Empty(t, r.Text)
}

func TestHugeHeaders(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 200 {
			w.Header().Set(fmt.Sprintf("X-Junk-%d", i), strings.Repeat("a", 4000))
		}
		io.WriteString(w, "body")
	}))
	_, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	fe := requireCode(t, err, fetch.TooLarge)
	require.Contains(t, fe.Message, "headers")
}

// rawServer answers every connection with respond, on 127.0.0.1.
func rawServer(t *testing.T, respond func(c *net.TCPConn)) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(c)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				respond(c.(*net.TCPConn))
			})
		}
	})
	return portOf(t, ln.Addr())
}

func TestResetMidBody(t *testing.T) {
	port := rawServer(t, func(c *net.TCPConn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
		c.Write(bytes.Repeat([]byte("<p>half"), 1000))
		time.Sleep(20 * time.Millisecond)
		c.SetLinger(0) // close with a RST
	})
	r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	fe := requireCode(t, err, fetch.ConnectionFailed)
	require.Contains(t, fe.Message, "mid-body")
	require.True(t, r.Truncated)
	require.NotEmpty(t, r.Body, "the part received is kept")
	require.True(t, utf8.ValidString(r.Text))
}

func TestClosedMidBody(t *testing.T) {
	port := rawServer(t, func(c *net.TCPConn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nonly this")
	})
	r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	requireCode(t, err, fetch.ConnectionFailed)
	require.Equal(t, "only this", string(r.Body))
}

func TestMalformedResponses(t *testing.T) {
	for name, raw := range map[string]string{
		"not http":      "SSH-2.0-OpenSSH_9.6\r\n\r\n",
		"bad status":    "HTTP/1.1 abc OK\r\n\r\n",
		"bad header":    "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
		"bad chunking":  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
		"bad redirect":  "HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n",
		"to javascript": "HTTP/1.1 302 Found\r\nLocation: javascript:alert(1)\r\nContent-Length: 0\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			port := rawServer(t, func(c *net.TCPConn) { io.WriteString(c, raw) })
			_, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
			want := fetch.BadResponse
			if name == "to javascript" {
				want = fetch.BadURL
			}
			requireCode(t, err, want)
		})
	}
}

func TestMalformedHTML(t *testing.T) {
	body := "<html><head><meta charset=\"\x00\xff<title>unterminated <scr\x00ipt>\xfe\xfe</b></i><<<>>>&#xD800;&bogus;<p"
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, body)
	}))
	r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	require.NoError(t, err)
	require.Equal(t, body, string(r.Body))
	require.True(t, utf8.ValidString(r.Text))
	require.Equal(t, "windows-1252", r.Charset)
}

func TestCharsetsThroughServer(t *testing.T) {
	sjis := []byte{0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea} // 日本語 in Shift_JIS
	for name, tc := range map[string]struct {
		contentType string
		body        []byte
		charset     string
		text        string
	}{
		"windows-1252 labelled utf-8": {"text/html; charset=utf-8", []byte("caf\xe9 \x93quoted\x94"), "windows-1252", "café “quoted”"},
		"shift_jis in meta":           {"text/html", append([]byte(`<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>`), sjis...), "shift_jis", "日本語"},
		"no content type":             {"", []byte("<html><body>plain ascii</body></html>"), "utf-8", "plain ascii"},
	} {
		t.Run(name, func(t *testing.T) {
			_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = []string{tc.contentType}
				w.Write(tc.body)
			}))
			r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
			require.NoError(t, err)
			require.Equal(t, tc.body, r.Body)
			require.Equal(t, tc.charset, r.Charset)
			require.Contains(t, r.Text, tc.text)
			require.True(t, utf8.ValidString(r.Text))
		})
	}
}

func TestSelfSignedTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "served over TLS")
	}))
	t.Cleanup(srv.Close)
	port := portOf(t, srv.Listener.Addr())
	leaf := srv.Certificate()
	fp := sha256.Sum256(leaf.Raw)

	// Unknown authority: the evidence is kept and the failure recorded.
	r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), "https://127.0.0.1:"+strconv.Itoa(int(port))+"/")
	require.NoError(t, err)
	require.Equal(t, "served over TLS", string(r.Body))
	require.NotNil(t, r.TLS)
	require.False(t, r.TLS.Verified)
	require.Contains(t, r.TLS.VerifyError, "certificate")
	require.Equal(t, "TLS 1.3", r.TLS.Version)
	require.NotEmpty(t, r.TLS.CipherSuite)
	require.Equal(t, "http/1.1", r.TLS.ALPN)
	require.Len(t, r.TLS.Chain, 1)
	c := r.TLS.Chain[0]
	require.Equal(t, hex.EncodeToString(fp[:]), c.SHA256)
	require.Equal(t, leaf.Subject.String(), c.Subject)
	require.Equal(t, leaf.Issuer.String(), c.Issuer)
	require.Contains(t, c.DNSNames, "example.com")
	require.Contains(t, c.IPAddresses, "127.0.0.1")
	require.Equal(t, leaf.NotAfter.UTC(), c.NotAfter)

	// Trusted, and the name matches: verified.
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	cfg := testConfig(port)
	cfg.RootCAs = pool
	cfg.Resolver = newMapResolver("example.com", "127.0.0.1", "other.test", "127.0.0.1")
	f := fetch.New(cfg)
	r, err = f.Fetch(fetchCtx(t), "https://example.com:"+strconv.Itoa(int(port))+"/")
	require.NoError(t, err)
	require.True(t, r.TLS.Verified, r.TLS.VerifyError)
	require.Empty(t, r.TLS.VerifyError)
	require.Equal(t, "example.com", r.TLS.ServerName)

	// Trusted, but for another name: recorded, still fetched.
	r, err = f.Fetch(fetchCtx(t), "https://other.test:"+strconv.Itoa(int(port))+"/")
	require.NoError(t, err)
	require.False(t, r.TLS.Verified)
	require.Contains(t, r.TLS.VerifyError, "other.test")
	require.Equal(t, "served over TLS", string(r.Body))
}

func TestTLSFailure(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain") }))
	_, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), "https://127.0.0.1:"+strconv.Itoa(int(port))+"/")
	requireCode(t, err, fetch.TLSFailure)
}

func TestTLS12Server(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "old") }))
	srv.TLS = &tls.Config{MaxVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	port := portOf(t, srv.Listener.Addr())
	r, err := fetch.New(testConfig(port)).Fetch(fetchCtx(t), "https://127.0.0.1:"+strconv.Itoa(int(port))+"/")
	require.NoError(t, err)
	require.Equal(t, "TLS 1.2", r.TLS.Version)
}

func TestNonHTTPPortBlocked(t *testing.T) {
	_, port, conns := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	u := hostURL("127.0.0.1", port, "/")
	cfg := testConfig() // the port is not configured
	_, err := fetch.New(cfg).Fetch(fetchCtx(t), u)
	fe := requireCode(t, err, fetch.BlockedAddress)
	require.Contains(t, fe.Message, "port "+strconv.Itoa(int(port)))
	require.Zero(t, conns.Load())

	cfg.AllowAnyPort = true
	r, err := fetch.New(cfg).Fetch(fetchCtx(t), u)
	require.NoError(t, err)
	require.Equal(t, "ok", string(r.Body))
}

func TestBadURLs(t *testing.T) {
	f := fetch.New(fetch.Config{})
	for _, u := range []string{
		"", "not a url", "ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)",
		"http://", "http:///path", "https://example.com:99999/", "http://example.com:0/", "http://exa mple.com/",
		"gopher://127.0.0.1:70/", "http://example.com:-1/",
	} {
		r, err := f.Fetch(fetchCtx(t), u)
		requireCode(t, err, fetch.BadURL)
		require.NotNil(t, r, u)
		require.Equal(t, u, r.URL)
	}
	_, err := f.Fetch(fetchCtx(t), "http://example.com/", fetch.WithProxy("ftp://proxy:21"))
	requireCode(t, err, fetch.BadURL)
}

func TestDNSFailure(t *testing.T) {
	cfg := testConfig(80)
	cfg.Resolver = newMapResolver()
	r, err := fetch.New(cfg).Fetch(fetchCtx(t), "http://nowhere.test/")
	requireCode(t, err, fetch.DNSFailure)
	require.Len(t, r.DNS, 1)
	require.NotEmpty(t, r.DNS[0].Error)

	_, err = fetch.New(cfg).Fetch(fetchCtx(t), "http://hidden1234567890.onion/")
	fe := requireCode(t, err, fetch.DNSFailure)
	require.Contains(t, fe.Message, "proxy")
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := portOf(t, ln.Addr())
	ln.Close()
	_, err = fetch.New(testConfig(port)).Fetch(fetchCtx(t), hostURL("127.0.0.1", port, "/"))
	requireCode(t, err, fetch.ConnectionFailed)
}

// A server that accepts but never completes the TLS handshake is cut off by
// the first-byte bound, and its connection is closed when the fetch returns
// (net/http keeps dialling after a request gives up unless told otherwise).
func TestStalledTLSHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	closed := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.Copy(io.Discard, c) // until the client hangs up
		close(closed)
	}()
	port := portOf(t, ln.Addr())
	cfg := testConfig(port)
	cfg.FirstByteTimeout = 300 * time.Millisecond
	_, err = fetch.New(cfg).Fetch(fetchCtx(t), "https://127.0.0.1:"+strconv.Itoa(int(port))+"/")
	requireCode(t, err, fetch.Timeout)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the stalled connection was left open")
	}
}

// Internationalised names are resolved in their ASCII (punycode) form.
func TestIDNHost(t *testing.T) {
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Host) }))
	res := newMapResolver("xn--bcher-kva.test", "127.0.0.1")
	cfg := testConfig(port)
	cfg.Resolver = res
	r, err := fetch.New(cfg).Fetch(fetchCtx(t), hostURL("bücher.test", port, "/"))
	require.NoError(t, err)
	require.Equal(t, []string{"xn--bcher-kva.test"}, res.asked)
	require.Equal(t, "xn--bcher-kva.test:"+strconv.Itoa(int(port)), string(r.Body))
}
