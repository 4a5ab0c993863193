package screenshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
)

// These tests run a real Chromium against servers on 127.0.0.1 (allowed)
// and 127.0.0.2 (refused). They skip when no browser is installed, unless
// UNDOX_TEST_CHROMIUM_REQUIRED=1, when they fail. Nothing contacts an
// address outside 127.0.0.0/8: the browser's only way out is the proxy, and
// the proxy allows 127.0.0.1 at most; names resolve with a fixed map.

func requireBrowser(t *testing.T) {
	t.Helper()
	if _, ok := Available(Config{}); ok {
		return
	}
	if os.Getenv("UNDOX_TEST_CHROMIUM_REQUIRED") == "1" {
		t.Fatal("no Chromium/Chrome installed, and UNDOX_TEST_CHROMIUM_REQUIRED=1")
	}
	t.Skip("no Chromium/Chrome installed (set UNDOX_TEST_CHROMIUM_REQUIRED=1 to fail instead)")
}

// mapResolver resolves a fixed set of names and nothing else (no DNS).
type mapResolver map[string]netip.Addr

func (m mapResolver) Lookup(_ context.Context, host string) (fetch.DNSLookup, error) {
	if a, ok := m[strings.TrimSuffix(strings.ToLower(host), ".")]; ok {
		return fetch.DNSLookup{Name: host, Addrs: []netip.Addr{a}, Server: "test map"}, nil
	}
	return fetch.DNSLookup{Name: host, Server: "test map"}, fmt.Errorf("%s: no such host (test resolver)", host)
}

var testResolver = mapResolver{
	"page.test": netip.MustParseAddr("127.0.0.1"),
	"evil.test": netip.MustParseAddr("127.0.0.2"),
}

// loopbackFetcher allows 127.0.0.1 (any port) and nothing else.
func loopbackFetcher() *fetch.Fetcher {
	return fetch.New(fetch.Config{
		AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		AllowAnyPort:  true,
		Resolver:      testResolver,
	})
}

var shared struct {
	once sync.Once
	s    *Shooter
	err  error
}

// sharedShooter is one Shooter for most tests (one browser process).
func sharedShooter(t *testing.T) *Shooter {
	t.Helper()
	requireBrowser(t)
	shared.once.Do(func() {
		shared.s, shared.err = New(Config{
			Fetcher:   loopbackFetcher(),
			Width:     800,
			MaxHeight: 5000,
			Timeout:   20 * time.Second,
			MaxTabs:   2,
		})
	})
	require.NoError(t, shared.err)
	return shared.s
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.s != nil {
		shared.s.Close()
	}
	os.Exit(code)
}

// countingListener counts accepted connections, and keeps where they came
// from.
type countingListener struct {
	net.Listener
	n atomic.Int64

	mu    sync.Mutex
	peers []string // remote addresses of the accepted connections
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
		l.mu.Lock()
		l.peers = append(l.peers, c.RemoteAddr().String())
		l.mu.Unlock()
	}
	return c, err
}

// clients are the remote addresses of the connections the listener
// accepted.
func (l *countingListener) clients() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.peers)
}

// server starts an httptest server on ip (TLS if tls), counting connections
// and requests.
type server struct {
	*httptest.Server
	ln   *countingListener
	reqs atomic.Int64
}

func newServer(t *testing.T, ip string, tls bool, h http.Handler) *server {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	require.NoError(t, err)
	s := &server{ln: &countingListener{Listener: ln}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.reqs.Add(1)
		h.ServeHTTP(w, r)
	}))
	s.Server.Listener.Close()
	s.Server.Listener = s.ln
	if tls {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

func (s *server) port() uint16 {
	return s.ln.Addr().(*net.TCPAddr).AddrPort().Port()
}

// touched is how many connections and requests the server got.
func (s *server) touched() int64 { return s.ln.n.Load() + s.reqs.Load() }

func servePage(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, body)
}

func hasBlocked(res *Result, method, host string) bool {
	for _, b := range res.Blocked {
		if b.Method == method && b.Host == host {
			return true
		}
	}
	return false
}

func decode(t *testing.T, res *Result) (int, int) {
	t.Helper()
	require.NotEmpty(t, res.PNG)
	img, err := png.Decode(bytes.NewReader(res.PNG))
	require.NoError(t, err)
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func TestNoBrowser(t *testing.T) {
	cfg := Config{Browser: "/nonexistent/undox/chromium", Fetcher: loopbackFetcher()}
	_, ok := Available(cfg)
	require.False(t, ok)
	s, err := New(cfg)
	require.Nil(t, s)
	require.ErrorIs(t, err, ErrNoBrowser)

	_, err = New(Config{})
	require.Error(t, err, "a Fetcher is required")
}

func TestShot(t *testing.T) {
	s := sharedShooter(t)
	ctx := context.Background()

	// Refused: 127.0.0.2 is loopback but outside the allowed 127.0.0.1/32.
	evil := newServer(t, "127.0.0.2", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		servePage(w, "<h1>you should never see this</h1>")
	}))
	evilTLS := newServer(t, "127.0.0.2", true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		servePage(w, "<h1>you should never see this</h1>")
	}))
	evilUDP, err := net.ListenPacket("udp", "127.0.0.2:0")
	require.NoError(t, err)
	defer evilUDP.Close()
	var udpPackets atomic.Int64
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := evilUDP.ReadFrom(buf); err != nil {
				return
			}
			udpPackets.Add(1)
		}
	}()
	udpPort := evilUDP.LocalAddr().(*net.UDPAddr).Port

	// Allowed, over TLS (a self-signed certificate): reached with CONNECT.
	goodTLS := newServer(t, "127.0.0.1", true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		servePage(w, `<body style="background:green">framed</body>`)
	}))

	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var pixelHits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/tall", func(w http.ResponseWriter, r *http.Request) {
		h := r.URL.Query().Get("h")
		servePage(w, `<!doctype html><title>Tall page</title><body style="margin:0">`+
			`<div style="height:`+h+`px;background:linear-gradient(red,blue)"></div></body>`)
	})
	mux.HandleFunc("/pixel.png", func(w http.ResponseWriter, r *http.Request) {
		pixelHits.Add(1)
		w.Header().Set("Content-Type", "image/gif")
		w.Write([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"))
	})
	mux.HandleFunc("/leaky", func(w http.ResponseWriter, r *http.Request) {
		e := fmt.Sprintf("127.0.0.2:%d", evil.port())
		et := fmt.Sprintf("127.0.0.2:%d", evilTLS.port())
		self := s.cur.proxy.addr().String()
		servePage(w, `<!doctype html><title>Leaky</title>
<img src="/pixel.png">
<img src="http://`+e+`/img.png">
<img src="http://evil.test:`+fmt.Sprint(evil.port())+`/by-name.png">
<img src="http://`+self+`/chain">
<iframe src="http://`+e+`/frame"></iframe>
<iframe src="https://`+et+`/frame"></iframe>
<iframe src="`+goodTLS.URL+`/frame"></iframe>
<script>
fetch("http://`+e+`/api", {mode: "no-cors"}).catch(() => {});
fetch("https://`+et+`/secret-api", {mode: "no-cors"}).catch(() => {});
try { new WebSocket("ws://`+e+`/ws"); } catch (e) {}
try {
  const pc = new RTCPeerConnection({iceServers: [{urls: "stun:127.0.0.2:`+fmt.Sprint(udpPort)+`"}]});
  pc.createDataChannel("x");
  pc.createOffer().then(o => pc.setLocalDescription(o));
} catch (e) {}
</script>
<img src="/slow">`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		// Keeps the load event back a moment, so that the page's requests
		// and ICE gathering happen before the shot.
		time.Sleep(1500 * time.Millisecond)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+"/landing", http.StatusFound)
	})
	mux.HandleFunc("/hang-sub", func(w http.ResponseWriter, r *http.Request) {
		servePage(w, `<!doctype html><title>Hanging</title><body style="background:yellow">waiting<img src="/hang"></body>`)
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("/alert", func(w http.ResponseWriter, r *http.Request) {
		servePage(w, `<!doctype html><title>Alert</title><script>alert("hi"); confirm("sure?"); prompt("name?")</script><p>after</p>`)
	})
	mux.HandleFunc("/download", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="x.bin"`)
		w.Write(bytes.Repeat([]byte{1}, 1000))
	})
	mux.HandleFunc("/clean", func(w http.ResponseWriter, r *http.Request) {
		servePage(w, `<!doctype html><title>Clean</title><img src="/pixel.png">`)
	})
	good := newServer(t, "127.0.0.1", false, mux)

	t.Run("full page", func(t *testing.T) {
		res, err := s.Shot(ctx, good.URL+"/tall?h=3000")
		require.NoError(t, err)
		w, h := decode(t, res)
		require.Equal(t, 800, w)
		require.Equal(t, 3000, h, "the whole page, not the 800-pixel viewport")
		require.Equal(t, w, res.Width)
		require.Equal(t, h, res.Height)
		require.Equal(t, 3000, res.PageHeight)
		require.False(t, res.Truncated)
		require.True(t, res.Loaded)
		require.Equal(t, "Tall page", res.Title)
		require.Equal(t, good.URL+"/tall?h=3000", res.FinalURL)
		require.Empty(t, res.Blocked)
		require.Contains(t, res.Browser, "Chrome")
		require.False(t, res.TakenAt.IsZero())
	})

	t.Run("height capped", func(t *testing.T) {
		res, err := s.Shot(ctx, good.URL+"/tall?h=8000")
		require.NoError(t, err)
		w, h := decode(t, res)
		require.Equal(t, 800, w)
		require.Equal(t, 5000, h)
		require.Equal(t, 8000, res.PageHeight)
		require.True(t, res.Truncated)
	})

	t.Run("name resolved by the fetcher", func(t *testing.T) {
		res, err := s.Shot(ctx, fmt.Sprintf("http://page.test:%d/tall?h=900", good.port()))
		require.NoError(t, err)
		_, h := decode(t, res)
		require.Equal(t, 900, h)
	})

	t.Run("refused subresources never reach the server", func(t *testing.T) {
		before := pixelHits.Load()
		res, err := s.Shot(ctx, good.URL+"/leaky")
		require.NoError(t, err)
		decode(t, res)
		require.Equal(t, "Leaky", res.Title)

		require.Zero(t, evil.touched(), "the refused server got a connection")
		require.Zero(t, evilTLS.touched(), "the refused TLS server got a connection")
		require.Zero(t, udpPackets.Load(), "WebRTC sent UDP around the proxy")
		require.Greater(t, pixelHits.Load(), before, "allowed subresources go through")
		require.Positive(t, goodTLS.reqs.Load(), "allowed https goes through the CONNECT tunnel despite the self-signed certificate")

		e := fmt.Sprintf("127.0.0.2:%d", evil.port())
		require.True(t, hasBlocked(res, "GET", e), "img/iframe/fetch to %s: %+v", e, res.Blocked)
		require.True(t, hasBlocked(res, "GET", fmt.Sprintf("evil.test:%d", evil.port())), "%+v", res.Blocked)
		require.True(t, hasBlocked(res, "CONNECT", fmt.Sprintf("127.0.0.2:%d", evilTLS.port())), "%+v", res.Blocked)
		var urls []string
		for _, b := range res.Blocked {
			require.NotEmpty(t, b.Reason)
			require.Positive(t, b.Count)
			if b.Method == "GET" {
				require.Equal(t, fetch.BlockedAddress, b.Code)
				urls = append(urls, b.URL)
			}
		}
		require.Contains(t, urls, "http://"+e+"/img.png")
		require.Contains(t, urls, "http://"+e+"/frame")
		require.Contains(t, urls, "http://"+e+"/api")
		for _, b := range res.Blocked {
			if b.Method == "CONNECT" && b.Host == fmt.Sprintf("127.0.0.2:%d", evilTLS.port()) {
				require.Contains(t, b.URLs, fmt.Sprintf("https://127.0.0.2:%d/secret-api", evilTLS.port()))
				t.Logf("tunnel URLs: %v", b.URLs)
			}
		}
		var chained bool
		for _, b := range res.Blocked {
			chained = chained || strings.Contains(b.Reason, "proxy itself")
		}
		require.True(t, chained, "a page cannot use the proxy's own port: %+v", res.Blocked)
	})

	t.Run("refused page", func(t *testing.T) {
		res, err := s.Shot(ctx, evil.URL+"/")
		require.Error(t, err)
		require.Equal(t, fetch.BlockedAddress, fetch.CodeOf(err))
		require.Empty(t, res.PNG)
		require.True(t, hasBlocked(res, "GET", fmt.Sprintf("127.0.0.2:%d", evil.port())))

		res, err = s.Shot(ctx, evilTLS.URL+"/")
		require.Equal(t, fetch.BlockedAddress, fetch.CodeOf(err), "%v", err)
		require.True(t, hasBlocked(res, "CONNECT", fmt.Sprintf("127.0.0.2:%d", evilTLS.port())))

		res, err = s.Shot(ctx, good.URL+"/redirect")
		require.Equal(t, fetch.BlockedAddress, fetch.CodeOf(err), "%v", err)
		require.Equal(t, evil.URL+"/landing", res.FinalURL)
		require.Empty(t, res.PNG)

		_, err = s.Shot(ctx, fmt.Sprintf("http://nowhere.test:%d/", good.port()))
		require.Error(t, err)
		require.NotEqual(t, fetch.BlockedAddress, fetch.CodeOf(err))

		require.Zero(t, evil.touched())
		require.Zero(t, evilTLS.touched())
	})

	t.Run("bad URLs", func(t *testing.T) {
		for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "chrome://version", "ftp://127.0.0.1/", "http:///nohost", "data:text/html,hi"} {
			res, err := s.Shot(ctx, u)
			require.Equal(t, fetch.BadURL, fetch.CodeOf(err), u)
			require.NotNil(t, res)
			require.Empty(t, res.PNG)
		}
	})

	t.Run("dialogs are dismissed", func(t *testing.T) {
		res, err := s.Shot(ctx, good.URL+"/alert")
		require.NoError(t, err)
		require.True(t, res.Loaded)
		require.Equal(t, "Alert", res.Title)
		decode(t, res)
	})

	t.Run("a download is not a page", func(t *testing.T) {
		res, err := s.Shot(ctx, good.URL+"/download")
		require.Equal(t, fetch.BadResponse, fetch.CodeOf(err), "%v", err)
		require.Empty(t, res.PNG)
	})

	t.Run("a page that never finishes loading", func(t *testing.T) {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		res, err := s.Shot(tctx, good.URL+"/hang-sub")
		require.NotNil(t, res)
		if err != nil {
			require.Equal(t, fetch.Timeout, fetch.CodeOf(err), "%v", err)
			t.Logf("no screenshot: %v", err)
			return
		}
		t.Logf("shot a page still loading, in %s", res.Duration)
		decode(t, res)
		require.False(t, res.Loaded)
		require.Equal(t, "Hanging", res.Title)
	})

	t.Run("a page that never answers", func(t *testing.T) {
		tctx, cancel := context.WithTimeout(ctx, 4*time.Second)
		defer cancel()
		res, err := s.Shot(tctx, good.URL+"/hang")
		require.Error(t, err)
		require.Equal(t, fetch.Timeout, fetch.CodeOf(err), "%v", err)
		require.NotNil(t, res)
	})

	t.Run("canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.Shot(cctx, good.URL+"/clean")
		require.Error(t, err)
	})

	t.Run("concurrent shots keep their own refusals", func(t *testing.T) {
		urls := []string{good.URL + "/clean", good.URL + "/leaky", good.URL + "/clean", good.URL + "/tall?h=1200"}
		results := make([]*Result, len(urls))
		errs := make([]error, len(urls))
		var wg sync.WaitGroup
		for i, u := range urls {
			wg.Go(func() { results[i], errs[i] = s.Shot(ctx, u) })
		}
		wg.Wait()
		for i := range urls {
			require.NoError(t, errs[i], urls[i])
			decode(t, results[i])
		}
		require.Empty(t, results[0].Blocked)
		require.NotEmpty(t, results[1].Blocked)
		require.Empty(t, results[2].Blocked)
		require.Empty(t, results[3].Blocked)
		require.Equal(t, 1200, results[3].Height)
		require.Zero(t, evil.touched())
	})
}

// TestLoopbackNotBypassed uses the Fetcher's default policy (public
// internet only): the browser must not reach 127.0.0.1 or localhost around
// the proxy, as Chromium does by default for loopback.
func TestLoopbackNotBypassed(t *testing.T) {
	requireBrowser(t)
	srv := newServer(t, "127.0.0.1", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		servePage(w, "<h1>you should never see this</h1>")
	}))
	s, err := New(Config{Fetcher: fetch.New(fetch.Config{Resolver: testResolver}), Width: 400})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	dir, socketDir := s.cur.dir, s.cur.socketDir
	require.NotEmpty(t, dir)
	require.DirExists(t, dir)
	require.NotEmpty(t, socketDir)
	require.DirExists(t, socketDir)

	for _, u := range []string{srv.URL + "/", fmt.Sprintf("http://localhost:%d/", srv.port()), fmt.Sprintf("http://page.test:%d/", srv.port())} {
		res, err := s.Shot(context.Background(), u)
		require.Equal(t, fetch.BlockedAddress, fetch.CodeOf(err), "%s: %v", u, err)
		require.NotEmpty(t, res.Blocked, u)
		require.Empty(t, res.PNG)
	}
	require.Zero(t, srv.touched(), "the browser reached loopback around the proxy")

	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	require.NoDirExists(t, dir, "the temporary profile is removed")
	require.NoDirExists(t, socketDir, "Chromium's singleton socket directory is removed")
	_, err = s.Shot(context.Background(), srv.URL)
	require.ErrorIs(t, err, ErrClosed)
}

// TestRestartAndClose: a browser that dies is restarted for the next shot,
// and Close ends a shot in flight.
func TestRestartAndClose(t *testing.T) {
	requireBrowser(t)
	release := make(chan struct{})
	defer close(release)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		servePage(w, `<!doctype html><title>ok</title>`)
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	srv := newServer(t, "127.0.0.1", false, mux)
	s, err := New(Config{Fetcher: loopbackFetcher(), Width: 400})
	require.NoError(t, err)
	defer s.Close()

	first := s.cur
	proc := chromedp.FromContext(first.ctx).Browser.Process()
	require.NoError(t, proc.Kill())
	require.Eventually(t, func() bool { return !first.alive() }, 10*time.Second, 20*time.Millisecond)
	res, err := s.Shot(context.Background(), srv.URL+"/")
	require.NoError(t, err)
	require.Equal(t, "ok", res.Title)
	require.NotSame(t, first, s.cur)
	require.NoDirExists(t, first.dir)

	done := make(chan error, 1)
	go func() {
		_, err := s.Shot(context.Background(), srv.URL+"/hang")
		done <- err
	}()
	time.Sleep(time.Second)
	require.NoError(t, s.Close())
	select {
	case err := <-done:
		require.Error(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not end the shot in flight")
	}
}

// TestMaxBytes cuts an image that is too large until it fits.
func TestMaxBytes(t *testing.T) {
	requireBrowser(t)
	srv := newServer(t, "127.0.0.1", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Random noise compresses badly: about 3 bytes a pixel.
		servePage(w, `<!doctype html><body style="margin:0"><canvas id=c width=400 height=3000 style="display:block"></canvas><script>
const c = document.getElementById("c").getContext("2d");
const d = c.createImageData(400, 3000);
for (let i = 0; i < d.data.length; i++) d.data[i] = (i % 4 == 3) ? 255 : Math.random() * 256;
c.putImageData(d, 0, 0);
</script>`)
	}))
	const maxBytes = 300_000
	s, err := New(Config{Fetcher: loopbackFetcher(), Width: 400, MaxBytes: maxBytes})
	require.NoError(t, err)
	defer s.Close()
	res, err := s.Shot(context.Background(), srv.URL)
	require.NoError(t, err)
	_, h := decode(t, res)
	require.LessOrEqual(t, len(res.PNG), maxBytes)
	require.True(t, res.Truncated)
	require.Less(t, h, 3000)
	require.Equal(t, 3000, res.PageHeight)
}

func TestCheckURL(t *testing.T) {
	for _, u := range []string{"http://example.com", "HTTPS://example.com/a?b#c", " http://1.2.3.4:8080/ "} {
		_, err := checkURL(u)
		require.Nil(t, err, u)
	}
	for _, u := range []string{"", "example.com", "file:///etc/passwd", "ws://x", "http://", "::"} {
		_, err := checkURL(u)
		require.NotNil(t, err, u)
		require.Equal(t, fetch.BadURL, err.Code)
	}
	require.True(t, errors.Is(fmt.Errorf("x: %w", ErrNoBrowser), ErrNoBrowser))
}
