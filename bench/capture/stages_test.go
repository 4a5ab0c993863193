package capturebench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/undox/undox/capture/extract"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/secret"
)

// BenchmarkCaptureStages measures the steps of one capture one at a time,
// by one goroutine, to tell where BenchmarkCapture's time goes: ns/op is
// a page's latency in that step alone, cpu-µs/op the CPU it costs (with
// the page server's share for the steps that fetch). It is not part of the
// comparison with the baseline; bench/capture/run.sh runs it with
// BENCH_STAGES=1.
func BenchmarkCaptureStages(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	// The pool's pages as undox sees them, decoded and extracted (pages
	// differ from their template only by their number).
	type prepared struct {
		body        []byte
		contentType string
		text        string // decoded
		extracted   string
	}
	pages := make([]prepared, poolSize)
	for k := range pages {
		t := pool[k]
		body := pageBytes(k)
		text, _, _ := fetch.DecodeText(body, t.contentType)
		p, err := extract.HTML([]byte(text), f.pageURL(k))
		if err != nil {
			b.Fatal(err)
		}
		pages[k] = prepared{body: body, contentType: t.contentType, text: text, extracted: p.Text}
	}
	// stage measures op, made afresh for each measurement by mk.
	stage := func(name string, mk func(b *testing.B) func(i int) error) {
		b.Run(name, func(b *testing.B) {
			op := mk(b)
			for i := range 8 { // warm-up
				if err := op(warmUpFirst + i); err != nil {
					b.Fatal(err)
				}
			}
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := range b.N {
				if err := op(i); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}

	// The baseline's GET, on a kept-alive connection.
	stage("get", func(*testing.B) func(int) error { return f.baselineOp(0) })
	// The same GET on a fresh connection each time, as the safe fetcher
	// makes them.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}, Timeout: time.Minute}
	stage("get-new-conn", func(*testing.B) func(int) error {
		return func(i int) error {
			_, err := baselineGet(fresh, f.pageURL(i))
			return err
		}
	})
	// The safe fetcher, as the benchmark uses it: on a kept-alive
	// connection, with bounds, SHA-256 of the body, charset decoding.
	stage("fetch", func(*testing.B) func(int) error {
		return func(i int) error {
			_, err := f.fetcher.Fetch(ctx, f.pageURL(i))
			return err
		}
	})
	// The same with Config.FreshConnections: a new connection, dialled and
	// checked, for every fetch.
	stage("fetch-fresh", func(b *testing.B) func(int) error {
		fresh := fetch.New(fetch.Config{
			AllowNetworks:    []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
			AllowAnyPort:     true,
			FreshConnections: true,
		})
		return func(i int) error {
			_, err := fresh.Fetch(ctx, f.pageURL(i))
			return err
		}
	})
	// Charset decoding alone (part of fetch).
	stage("decode", func(*testing.B) func(int) error {
		return func(i int) error {
			p := pages[i%poolSize]
			fetch.DecodeText(p.body, p.contentType)
			return nil
		}
	})
	// Text extraction.
	stage("extract", func(*testing.B) func(int) error {
		return func(i int) error {
			_, err := extract.HTML([]byte(pages[i%poolSize].text), f.pageURL(i))
			return err
		}
	})
	// SHA-256 of the text.
	stage("hash-text", func(*testing.B) func(int) error {
		return func(i int) error {
			sha256.Sum256([]byte(pages[i%poolSize].extracted))
			return nil
		}
	})
	// Encryption alone of the body and the text (part of put).
	key := make([]byte, secret.KeySize)
	stage("seal", func(*testing.B) func(int) error {
		return func(i int) error {
			p := pages[i%poolSize]
			if _, err := secret.Seal(key, p.body, "bench"); err != nil {
				return err
			}
			_, err := secret.Seal(key, []byte(p.extracted), "bench")
			return err
		}
	})
	// blob.Dir.Put of the body and the text of distinct pages, in a fresh
	// store (in $BENCH_DIR, else the system's temporary folder) and case
	// for each measurement: nothing is stored already.
	stage("put", func(b *testing.B) func(int) error {
		e := newEvidence(b)
		return func(i int) error {
			p := pages[i%poolSize]
			if _, err := e.store.Put(ctx, bytes.NewReader(pageBytes(i)), e.key, e.owner); err != nil {
				return err
			}
			_, err := e.store.Put(ctx, io.MultiReader(strings.NewReader(pageID(i)), strings.NewReader(p.extracted)), e.key, e.owner)
			return err
		}
	})
}
