package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/capture/fetch/proxytest"
)

func TestCaptureCommand(t *testing.T) {
	page := `<html><head><title>Synthetic dox page</title></head><body><h1>Jan Synthetic</h1>
		<p>Lives at Teststraat 1</p><a href="/next">next</a><img src="/me.jpg"></body></html>`
	// The User-Agents that asked for the page and its image.
	var (
		agentsMu sync.Mutex
		agents   []string
	)
	seen := func(r *http.Request) {
		agentsMu.Lock()
		defer agentsMu.Unlock()
		agents = append(agents, r.URL.Path+" "+r.UserAgent())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		seen(r)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	mux.HandleFunc("/me.jpg", func(w http.ResponseWriter, r *http.Request) {
		seen(r)
		http.NotFound(w, r)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/page", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// A second server on another loopback address stands for an internal
	// host that a reported page redirects to.
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	require.NoError(t, err)
	internal := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the internal server was reached")
	}))
	internal.Listener = ln
	internal.Start()
	defer internal.Close()
	mux.HandleFunc("/to-internal", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/admin", http.StatusFound)
	})

	open := []string{"--json", "--allow-networks", "127.0.0.1/32", "--allow-any-port"}
	out, err := runCmd(t, nil, append([]string{"capture", srv.URL + "/moved"}, open...)...)
	require.NoError(t, err, out)
	var s capture.Summary
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	require.Equal(t, srv.URL+"/page", s.FinalURL)
	require.Equal(t, 200, s.Status)
	require.Len(t, s.Redirects, 1)
	require.Equal(t, 302, s.Redirects[0].Status)
	require.Equal(t, "127.0.0.1", s.Redirects[0].IP)
	require.Equal(t, []string{"127.0.0.1"}, s.IPs)
	require.Equal(t, "Synthetic dox page", s.Title)
	require.Equal(t, int64(len(page)), s.Size)
	require.Len(t, s.SHA256, 64)
	require.Len(t, s.TextSHA256, 64)
	require.Equal(t, 1, s.Links)
	require.Equal(t, 1, s.Images)
	require.Nil(t, s.ScreenshotSHA256)
	require.Nil(t, s.Error)

	// By default loopback is closed: a clear code and a non-zero exit.
	out, err = runCmd(t, nil, "capture", srv.URL+"/page", "--json", "--allow-any-port")
	require.Error(t, err)
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	require.Equal(t, "blocked_address", s.Error.Code)

	// Opening one address does not open its neighbours, after a redirect too.
	out, err = runCmd(t, nil, append([]string{"capture", srv.URL + "/to-internal"}, open...)...)
	require.Error(t, err)
	s = capture.Summary{}
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	require.Equal(t, "blocked_address", s.Error.Code)
	require.Len(t, s.Redirects, 1, "the chain up to the blocked hop is kept")

	_, err = runCmd(t, nil, "capture")
	require.Equal(t, 2, exitCode(err))

	if chromium(t) {
		// The fetch, the image and the browser's requests all carry the
		// same User-Agent: a common browser's by default (not headless
		// Chromium's own, which names it), or the one configured.
		for _, ua := range []string{fetch.DefaultUserAgent, "Mozilla/5.0 (synthetic test agent)"} {
			agentsMu.Lock()
			agents = nil
			agentsMu.Unlock()
			shot := filepath.Join(t.TempDir(), "shot.png")
			args := append([]string{"capture", srv.URL + "/page", "--screenshot-out", shot}, open...)
			if ua != fetch.DefaultUserAgent {
				args = append(args, "--user-agent", ua)
			}
			out, err := runCmd(t, nil, args...)
			require.NoError(t, err, out)
			s = capture.Summary{}
			require.NoError(t, json.Unmarshal([]byte(out), &s))
			requireShot(t, shot, s.ScreenshotSHA256)
			agentsMu.Lock()
			got := slices.Clone(agents)
			agentsMu.Unlock()
			// The page twice (fetch, browser), its image by the browser.
			paths := map[string]int{}
			for _, a := range got {
				path, agent, _ := strings.Cut(a, " ")
				paths[path]++
				require.Equal(t, ua, agent, a)
			}
			require.GreaterOrEqual(t, paths["/page"], 2, got)
			require.GreaterOrEqual(t, paths["/me.jpg"], 1, got)
		}
	}
}

// requireShot checks that the file at path is a PNG whose SHA-256 is the
// one the capture reported.
func requireShot(t *testing.T, path string, sha *string) {
	t.Helper()
	require.NotNil(t, sha, "a screenshot was taken")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	require.Equal(t, hex.EncodeToString(sum[:]), *sha)
	_, err = png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
}

// TestCaptureThroughProxy: `undox capture --proxy` fetches a Tor page and
// takes its screenshot through the proxy, which gets the .onion name
// unresolved; nothing reaches the site but through the proxy.
func TestCaptureThroughProxy(t *testing.T) {
	srv := newProxiedServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>Hidden dox page</title></head><body><h1>Jan Synthetic</h1><img src="/me.png"></body></html>`)
	}))
	const onion = "duskgytldkxiuqc6.onion"
	p := proxytest.StartSOCKS5(t, map[string]string{onion: srv.Listener.Addr().String()})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	target := fmt.Sprintf("http://%s:%d/page", onion, port)
	args := []string{"capture", target, "--json", "--proxy", p.URL(), "--allow-networks", "127.0.0.1/32", "--allow-any-port"}
	shot := filepath.Join(t.TempDir(), "shot.png")
	withShot := chromium(t)
	if withShot {
		args = append(args, "--screenshot-out", shot)
	}
	out, err := runCmd(t, nil, args...)
	require.NoError(t, err, out)
	var s capture.Summary
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	require.Nil(t, s.Error)
	require.Equal(t, "Hidden dox page", s.Title)
	require.Equal(t, target, s.FinalURL)
	for _, r := range p.Requests() {
		require.Equal(t, proxytest.Request{Kind: "name", Host: onion, Port: uint16(port)}, r)
	}
	srv.requireAllVia(t, p)
	if withShot {
		requireShot(t, shot, s.ScreenshotSHA256) // a Tor page gets its screenshot
		require.Greater(t, len(p.Requests()), 1, "the page was fetched, then shot, through the proxy")
	}
}
