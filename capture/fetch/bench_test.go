package fetch_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"

	"github.com/undox/undox/capture/fetch"
)

// BenchmarkFetch fetches a 20 KB page from a loopback server, on kept-alive
// connections (the default) and on a fresh connection each time.
func BenchmarkFetch(b *testing.B) {
	page := bytes.Repeat([]byte("<p>Jane Doe lives at 12 Example Street.</p>\n"), 20<<10/44)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.Write(page)
	}))
	b.Cleanup(srv.Close)
	for _, fresh := range []bool{false, true} {
		name := "reused"
		if fresh {
			name = "fresh"
		}
		b.Run(name, func(b *testing.B) {
			f := fetch.New(fetch.Config{
				AllowNetworks:    []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
				AllowAnyPort:     true,
				FreshConnections: fresh,
			})
			b.Cleanup(f.CloseIdleConnections)
			ctx := context.Background()
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				if r, err := f.Fetch(ctx, srv.URL+"/"); err != nil || len(r.Body) != len(page) {
					b.Fatal(err)
				}
			}
		})
	}
}
