package screenshot

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/capture/fetch/proxytest"
)

// onion is a made-up onion name: the test proxy connects it to the site,
// as Tor would to the hidden service.
const onion = "duskgytldkxiuqc6.onion"

// proxiedSite is a page with a stylesheet, images (one by name) and an
// https iframe, on servers on 127.0.0.1, plus a server on 127.0.0.2 that
// the address policy refuses.
type proxiedSite struct {
	page, tls, evil *server
	selfPort        atomic.Uint32 // of the Shooter's browser-wide proxy, for /leaky

	mu    sync.Mutex
	paths []string // requested on page and tls
}

func (s *proxiedSite) requested() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

func newProxiedSite(t *testing.T) *proxiedSite {
	t.Helper()
	site := &proxiedSite{}
	note := func(r *http.Request) {
		site.mu.Lock()
		site.paths = append(site.paths, r.URL.Path)
		site.mu.Unlock()
	}
	site.evil = newServer(t, "127.0.0.2", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		servePage(w, "<h1>you should never see this</h1>")
	}))
	site.tls = newServer(t, "127.0.0.1", true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		note(r)
		servePage(w, `<body style="background:green">framed</body>`)
	}))
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		note(r)
		port := site.page.port()
		servePage(w, `<!doctype html><title>Via proxy</title>
<link rel="stylesheet" href="/style.css">
<img src="/pixel.png">
<img src="http://page.test:`+fmt.Sprint(port)+`/named.png">
<iframe src="`+site.tls.URL+`/frame"></iframe>`)
	})
	mux.HandleFunc("/leaky", func(w http.ResponseWriter, r *http.Request) {
		note(r)
		e := fmt.Sprintf("127.0.0.2:%d", site.evil.port())
		servePage(w, `<!doctype html><title>Leaky</title>
<img src="http://`+e+`/img.png">
<img src="http://evil.test:`+fmt.Sprint(site.evil.port())+`/by-name.png">
<img src="http://page.test:`+fmt.Sprint(site.selfPort.Load())+`/chain">
<img src="/slow">`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		// Keeps the load event back until the page's other requests are
		// done.
		note(r)
		time.Sleep(time.Second)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/style.css", func(w http.ResponseWriter, r *http.Request) {
		note(r)
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, "body { background: #eef }")
	})
	gif := func(w http.ResponseWriter, r *http.Request) {
		note(r)
		w.Header().Set("Content-Type", "image/gif")
		w.Write([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"))
	}
	mux.HandleFunc("/pixel.png", gif)
	mux.HandleFunc("/named.png", gif)
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		note(r)
		http.Redirect(w, r, site.evil.URL+"/landing", http.StatusFound)
	})
	site.page = newServer(t, "127.0.0.1", false, mux)
	return site
}

// requireAllVia asserts that every connection the servers accepted came
// from the proxy, and that they accepted some.
func requireAllVia(t *testing.T, p *proxytest.Proxy, servers ...*server) {
	t.Helper()
	from := map[string]bool{}
	for _, c := range p.Carried() {
		from[c.From] = true
	}
	for _, s := range servers {
		clients := s.ln.clients()
		require.NotEmpty(t, clients, "%s got no connection", s.URL)
		for _, c := range clients {
			require.True(t, from[c], "%s got a connection from %s, which the proxy did not make (it made %v)", s.URL, c, p.Carried())
		}
	}
}

// TestUpstreamProxy: with an upstream proxy, every connection of the page
// goes through it, names are resolved and checked by undox (only a .onion
// name goes to the proxy as a name), and the address policy still refuses
// what it refuses without one.
func TestUpstreamProxy(t *testing.T) {
	requireBrowser(t)
	ctx := context.Background()

	t.Run("socks5", func(t *testing.T) {
		site := newProxiedSite(t)
		p := proxytest.StartSOCKS5(t, map[string]string{onion: site.page.Listener.Addr().String()})
		s, err := New(Config{Fetcher: loopbackFetcher(), Proxy: p.URL(), Width: 400, Timeout: 20 * time.Second})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		selfPort := s.cur.proxy.addr().Port()
		site.selfPort.Store(uint32(selfPort))

		res, err := s.Shot(ctx, site.page.URL+"/page")
		require.NoError(t, err)
		decode(t, res)
		require.Equal(t, "Via proxy", res.Title)
		require.Empty(t, res.Blocked)
		require.Equal(t, p.URL(), res.Proxy)
		require.Subset(t, site.requested(), []string{"/page", "/style.css", "/pixel.png", "/named.png", "/frame"})
		requireAllVia(t, p, site.page, site.tls)
		for _, r := range p.Requests() {
			require.Equal(t, proxytest.Request{Kind: "ipv4", Host: "127.0.0.1", Port: r.Port}, r,
				"undox resolved page.test itself and handed the proxy the address")
		}

		// Refused before the proxy is asked: a redirect to a blocked
		// address, and subresources at blocked addresses.
		asked := len(p.Requests())
		res, err = s.Shot(ctx, site.page.URL+"/redirect")
		require.Equal(t, fetch.BlockedAddress, fetch.CodeOf(err), "%v", err)
		require.Empty(t, res.PNG)
		require.True(t, hasBlocked(res, "GET", fmt.Sprintf("127.0.0.2:%d", site.evil.port())), "%+v", res.Blocked)

		res, err = s.Shot(ctx, site.page.URL+"/leaky")
		require.NoError(t, err)
		require.Equal(t, "Leaky", res.Title)
		require.True(t, hasBlocked(res, "GET", fmt.Sprintf("127.0.0.2:%d", site.evil.port())), "%+v", res.Blocked)
		require.True(t, hasBlocked(res, "GET", fmt.Sprintf("evil.test:%d", site.evil.port())), "%+v", res.Blocked)
		var chained bool
		for _, b := range res.Blocked {
			chained = chained || (b.Host == fmt.Sprintf("page.test:%d", selfPort) && strings.Contains(b.Reason, "proxy itself"))
		}
		require.True(t, chained, "a name of the screenshot proxy itself is refused through the upstream proxy too: %+v", res.Blocked)
		require.Zero(t, site.evil.touched(), "the refused server got a connection")
		for _, r := range p.Requests()[asked:] {
			require.Equal(t, "127.0.0.1", r.Host, "the proxy was asked for a refused address: %+v", r)
		}

		// A .onion name goes to the proxy as a name: only Tor resolves it.
		before := len(p.Requests())
		u := fmt.Sprintf("http://%s:%d/page", onion, site.page.port())
		res, err = s.Shot(ctx, u)
		require.NoError(t, err)
		decode(t, res)
		require.Equal(t, "Via proxy", res.Title)
		require.Equal(t, u, res.FinalURL)
		require.Contains(t, p.Requests()[before:], proxytest.Request{Kind: "name", Host: onion, Port: site.page.port()})
		requireAllVia(t, p, site.page, site.tls)
	})

	// Without Config.Proxy the Fetcher's own proxy applies; its password
	// is used but not kept.
	t.Run("the fetcher's proxy, CONNECT", func(t *testing.T) {
		p := proxytest.StartConnect(t, nil)
		proxyURL := "http://user:secret@" + p.Addr
		f := fetch.New(fetch.Config{
			AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
			AllowAnyPort:  true,
			Resolver:      testResolver,
			Proxy:         proxyURL,
		})
		s, err := New(Config{Fetcher: f, Width: 400, Timeout: 20 * time.Second})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		site := newProxiedSite(t)

		res, err := s.Shot(ctx, site.page.URL+"/page")
		require.NoError(t, err)
		decode(t, res)
		require.Equal(t, "http://user:xxxxx@"+p.Addr, res.Proxy)
		require.Equal(t, "Basic dXNlcjpzZWNyZXQ=", p.Auth())
		requireAllVia(t, p, site.page, site.tls)
	})
}

// A bad proxy URL, given or the Fetcher's, stops New: every shot would fail.
func TestBadProxy(t *testing.T) {
	_, err := New(Config{Fetcher: loopbackFetcher(), Proxy: "ftp://127.0.0.1:21"})
	require.Equal(t, fetch.BadURL, fetch.CodeOf(err), "%v", err)
	_, err = New(Config{Fetcher: fetch.New(fetch.Config{Proxy: "127.0.0.1:9050"})})
	require.Equal(t, fetch.BadURL, fetch.CodeOf(err), "%v", err)
}
