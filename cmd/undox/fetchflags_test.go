package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch/proxytest"
)

// proxiedServer is a page server on 127.0.0.1 that keeps where its
// connections came from.
type proxiedServer struct {
	*httptest.Server
	mu      sync.Mutex
	clients []string
}

func newProxiedServer(t *testing.T, h http.Handler) *proxiedServer {
	t.Helper()
	s := &proxiedServer{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.mu.Lock()
			s.clients = append(s.clients, c.RemoteAddr().String())
			s.mu.Unlock()
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// requireAllVia asserts that the server got connections, each made by the
// proxy.
func (s *proxiedServer) requireAllVia(t *testing.T, p *proxytest.Proxy) {
	t.Helper()
	s.mu.Lock()
	clients := slices.Clone(s.clients)
	s.mu.Unlock()
	require.NotEmpty(t, clients)
	var from []string
	for _, c := range p.Carried() {
		from = append(from, c.From)
	}
	for _, c := range clients {
		require.Contains(t, from, c, "a connection that did not come through the proxy")
	}
}

func parseFetchFlags(t *testing.T, args ...string) *fetchOptions {
	t.Helper()
	var o fetchOptions
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fetchFlags(fs, &o)
	require.NoError(t, fs.Parse(args))
	return &o
}

// --proxy and screenshots go together (serve and worker take their
// Shooter from fetchOptions.shooter): the browser's connections go through
// the proxy too. A proxy that is not one is refused at the start.
func TestFetchFlagsProxy(t *testing.T) {
	_, _, err := parseFetchFlags(t, "--proxy", "ftp://127.0.0.1:21").fetchers()
	require.ErrorAs(t, err, new(usageError))
	_, _, err = parseFetchFlags(t, "--proxy", "127.0.0.1:9050", "--screenshots", "off").fetchers()
	require.ErrorAs(t, err, new(usageError))

	if !chromium(t) {
		return
	}
	for _, mode := range []string{"on", "auto"} {
		t.Run(mode, func(t *testing.T) {
			srv := newProxiedServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, `<!doctype html><title>proxied</title><img src="/img.png">`)
			}))
			p := proxytest.StartSOCKS5(t, nil)
			o := parseFetchFlags(t, "--proxy", p.URL(), "--screenshots", mode,
				"--allow-networks", "127.0.0.1/32", "--allow-any-port")
			page, _, err := o.fetchers()
			require.NoError(t, err)
			sh, err := o.shooter(page, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			require.NotNil(t, sh, "screenshots are taken with --proxy")
			defer sh.Close()
			res, err := sh.Shot(context.Background(), srv.URL+"/")
			require.NoError(t, err)
			require.NotEmpty(t, res.PNG)
			require.Equal(t, "proxied", res.Title)
			require.Equal(t, p.URL(), res.Proxy)
			srv.requireAllVia(t, p)
		})
	}
}
