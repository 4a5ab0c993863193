package fetch_test

import (
	"bytes"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
)

// 16 misbehaving captures at once each end with their own code, and the heap
// stays under 256 MiB throughout (sampled while they run).
func TestConcurrentMisbehavingCaptures(t *testing.T) {
	gz := bomb(t, "gzip", 64) // 1 GiB of zeros, ~1 MiB on the wire
	_, blockedPort, blockedConns := serveOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	mux := http.NewServeMux()
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("dox "), 8<<10)
		for range 4096 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz)
	})
	mux.HandleFunc("/drip", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for range 500 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Huge", string(bytes.Repeat([]byte("h"), 1<<20)))
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop2", 302) })
	mux.HandleFunc("/loop2", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", 302) })
	mux.HandleFunc("/internal", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, hostURL("127.0.0.2", blockedPort, "/"), 302)
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10000000")
		w.Write(bytes.Repeat([]byte("r"), 100000))
		w.(http.Flusher).Flush()
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	})
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	_, port := serve(t, mux)

	cases := map[string]fetch.Code{
		"/endless":  fetch.TooLarge,
		"/bomb":     fetch.TooLarge,
		"/drip":     fetch.TooSlow,
		"/headers":  fetch.TooLarge,
		"/loop":     fetch.TooManyRedirects,
		"/internal": fetch.BlockedAddress,
		"/reset":    fetch.ConnectionFailed,
		"/silent":   fetch.Timeout,
	}
	cfg := testConfig(port, blockedPort)
	cfg.MaxBodyBytes = 4 << 20
	cfg.FirstByteTimeout = time.Second
	f := fetch.New(cfg)

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()

	type outcome struct {
		path string
		res  *fetch.Result
		err  error
	}
	var wg sync.WaitGroup
	out := make(chan outcome, 16)
	for range 2 {
		for path := range cases {
			wg.Go(func() {
				r, err := f.Fetch(fetchCtx(t), hostURL("127.0.0.1", port, path))
				out <- outcome{path, r, err}
			})
		}
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(out)

	n := 0
	for o := range out {
		n++
		require.NotNil(t, o.res, o.path)
		require.Equal(t, cases[o.path], fetch.CodeOf(o.err), "%s: %v", o.path, o.err)
		require.LessOrEqual(t, int64(len(o.res.Body)), cfg.MaxBodyBytes)
	}
	require.Equal(t, 16, n)
	require.Zero(t, blockedConns.Load())
	t.Logf("peak HeapAlloc %d MiB", peak.Load()>>20)
	require.Less(t, peak.Load(), uint64(256<<20))
}
