package capture_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/capture"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/dnstest"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/job"
	"github.com/undox/undox/mirror"
	"github.com/undox/undox/personal"
	"github.com/undox/undox/sqlstore"
)

var analyst = undox.Actor{Kind: "token", TokenID: 1, Name: "analyst", Role: undox.RoleAnalyst}

// site is a doxing site on loopback, reached by name through a loopback
// DNS server.
type site struct {
	srv  *httptest.Server
	port string
	hits atomic.Int64
	// status answers /flaky with this status while set.
	flaky atomic.Int64
}

func pngOf(t testing.TB, c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			if (x/8+y/8)%2 == 0 {
				img.Set(x, y, c)
			}
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func newSite(t *testing.T) *site {
	s := &site{}
	photo := pngOf(t, color.RGBA{200, 30, 30, 255})
	mux := http.NewServeMux()
	mux.HandleFunc("/victim", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/p/victim", http.StatusFound)
	})
	mux.HandleFunc("/p/victim", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Doxer", "yes")
		fmt.Fprint(w, `<html><head><title>Synthetic Person exposed</title></head><body>
<h1>Synthetic Person</h1><p>Lives at Voorbeeldstraat 1, 1234 AB Testdorp</p>
<img src="/photo.png" alt="photo"><img src="/missing.png"><img src="http://blocked.test:`+s.port+`/x.png">
<script>alert(1)</script></body></html>`)
	})
	// A made-up post of a few hundred words, and a copy of it elsewhere
	// on the site.
	var words []string
	for i := range 300 {
		words = append(words, fmt.Sprintf("woord%dx%d", i%37, i%11))
	}
	post := strings.Join(words, " ")
	mux.HandleFunc("/post/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><title>Post</title><p>%s</p></html>`, post)
	})
	mux.HandleFunc("/photo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(photo)
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if st := s.flaky.Load(); st != 0 {
			w.WriteHeader(int(st))
			return
		}
		fmt.Fprint(w, `<html><title>back</title><p>online again</p></html>`)
	})
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	_, s.port, _ = net.SplitHostPort(s.srv.Listener.Addr().String())
	return s
}

type fixture struct {
	ctx     context.Context
	site    *site
	stack   *dbtest.Stack
	store   *sqlstore.Store
	blobs   *blob.Dir
	fetcher *fetch.Fetcher
	svc     *capture.Service
	in      *intake.Service
}

func setup(t *testing.T, b dbtest.Backend) *fixture {
	f := &fixture{ctx: context.Background(), site: newSite(t)}
	f.stack = dbtest.NewStack(t, b)
	f.store = f.stack.Store
	lo := netip.MustParseAddr("127.0.0.1")
	dns := dnstest.Start(t, map[string][]netip.Addr{
		"dox.test": {lo},
		// Resolves to a loopback address that the fetcher does not open.
		"blocked.test": {netip.MustParseAddr("127.0.0.2")},
	})
	f.fetcher = fetch.New(fetch.Config{
		AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		AllowAnyPort:  true,
		Resolver:      fetch.DNSServer(dns.Addr),
	})
	var err error
	f.blobs, err = blob.NewDir(t.TempDir())
	require.NoError(t, err)
	f.svc = capture.NewService(capture.Config{Store: f.store, Blobs: f.blobs, Fetcher: f.fetcher, Vantage: "test-instance",
		Scanner: &personal.Scanner{}})
	q := f.stack.Queue(t, job.Config{Capture: f.svc, Blobs: f.blobs})
	t.Cleanup(q.Close)
	f.in = &intake.Service{Store: f.store}
	return f
}

func (f *fixture) url(path string) string {
	return "http://dox.test:" + f.site.port + path
}

func (f *fixture) report(t *testing.T, category string, minor bool, urls ...string) *undox.Case {
	rec, err := f.in.Submit(f.ctx, undox.Public, intake.Submission{Report: undox.Report{URLs: urls, Category: category, IsMinor: minor}})
	require.NoError(t, err)
	c, err := f.store.Case(f.ctx, analyst, rec.CaseRef)
	require.NoError(t, err)
	return c
}

func (f *fixture) item(t *testing.T, id int64) *undox.Item {
	it, err := f.store.Item(f.ctx, analyst, id)
	require.NoError(t, err)
	return it
}

func (f *fixture) read(t *testing.T, c *undox.Capture, file undox.CaptureFile) []byte {
	_, _, key, err := f.store.CaptureFile(f.ctx, analyst, c.ID, file.SHA256, false)
	require.NoError(t, err)
	rc, err := f.blobs.Get(f.ctx, blob.Ref{Owner: c.CaseRef, SHA256: file.SHA256, Size: file.Size}, key)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

func fileOf(t *testing.T, c *undox.Capture, kind string) []undox.CaptureFile {
	var out []undox.CaptureFile
	for _, f := range c.Files {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// A page reported by two cases is fetched once and kept for each case under
// its own key, with the evidence a notice and a court rely on.
func TestCaptureKeepsEvidencePerCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		u := f.url("/victim")
		c1 := f.report(t, undox.CategoryDoxing, false, u)
		c2 := f.report(t, undox.CategoryDoxing, true, u)
		id := c1.Items[0].ID
		require.Equal(t, id, c2.Items[0].ID)

		require.NoError(t, f.svc.Item(f.ctx, undox.CaptureJob{ItemID: id}))

		it := f.item(t, id)
		require.Equal(t, undox.ItemCaptured, it.Status)
		require.Equal(t, 1, it.CaptureAttempts)
		require.Empty(t, it.CaptureError)
		require.NotNil(t, it.CapturedAt)

		caps, err := f.store.ItemCaptures(f.ctx, analyst, id)
		require.NoError(t, err)
		require.Len(t, caps, 2, "one capture per case")
		require.Equal(t, []string{c1.Ref, c2.Ref}, []string{caps[0].CaseRef, caps[1].CaseRef})
		require.False(t, caps[0].IsMinor)
		require.True(t, caps[1].IsMinor)
		for _, c := range caps {
			require.Equal(t, 200, c.HTTPStatus)
			require.Equal(t, "system", c.RequestedBy)
			require.Empty(t, c.ErrorCode)

			body := f.read(t, c, fileOf(t, c, undox.FileBody)[0])
			require.Contains(t, string(body), "<script>alert(1)</script>", "the raw body, as served")
			text := string(f.read(t, c, fileOf(t, c, undox.FileText)[0]))
			require.Contains(t, text, "Lives at Voorbeeldstraat 1")
			require.NotContains(t, text, "alert(1)")
			headers := string(f.read(t, c, fileOf(t, c, undox.FileHeaders)[0]))
			require.Contains(t, headers, "X-Doxer: yes")
			require.True(t, strings.HasPrefix(headers, "HTTP/1.1 200 OK\r\n"))

			imgs := fileOf(t, c, undox.FileImage)
			require.Len(t, imgs, 1, "the photo; the missing and the blocked image are not kept")
			require.Equal(t, "image/png", imgs[0].MediaType)
			require.Len(t, imgs[0].PHash, 16)
			require.Equal(t, pngOf(t, color.RGBA{200, 30, 30, 255}), f.read(t, c, imgs[0]))

			var facts struct {
				URL       string `json:"url"`
				FinalURL  string `json:"final_url"`
				Redirects []struct {
					URL    string `json:"url"`
					Status int    `json:"status"`
					IP     string `json:"ip"`
				} `json:"redirects"`
				DNS []struct {
					Name   string   `json:"name"`
					Addrs  []string `json:"addrs"`
					Server string   `json:"server"`
				} `json:"dns"`
				Resolver string `json:"resolver"`
				Vantage  string `json:"vantage"`
				Title    string `json:"title"`
				Images   []struct {
					URL, SHA256, Error string
				} `json:"images"`
				Screenshot struct {
					Taken bool
					Error string
				} `json:"screenshot"`
			}
			require.NoError(t, json.Unmarshal(c.Facts, &facts))
			require.Equal(t, u, facts.URL)
			require.Equal(t, f.url("/p/victim"), facts.FinalURL)
			require.Len(t, facts.Redirects, 1)
			require.Equal(t, 302, facts.Redirects[0].Status)
			require.Equal(t, "127.0.0.1:"+f.site.port, facts.Redirects[0].IP)
			require.NotEmpty(t, facts.DNS)
			require.Equal(t, "dox.test", facts.DNS[0].Name)
			require.Equal(t, []string{"127.0.0.1"}, facts.DNS[0].Addrs)
			require.Equal(t, "test-instance", facts.Vantage)
			require.Equal(t, "Synthetic Person exposed", facts.Title)
			require.Len(t, facts.Images, 3)
			require.Equal(t, imgs[0].SHA256, facts.Images[0].SHA256)
			require.Equal(t, "http_status 404", facts.Images[1].Error)
			require.Equal(t, "blocked_address", facts.Images[2].Error)
			require.False(t, facts.Screenshot.Taken)
			require.Contains(t, facts.Screenshot.Error, "no browser")
		}
		// The page was scanned for each case: the address and postcode
		// are found; the minor's case weighs heavier.
		for _, c := range caps {
			require.NotNil(t, c.Scan)
			var findings []personal.Finding
			require.NoError(t, json.Unmarshal(c.Scan.Findings, &findings))
			types := map[string]string{}
			for _, fd := range findings {
				types[fd.Type] = fd.Value
			}
			require.Equal(t, "1234AB 1", types["postcode"], "%v", findings)
			require.Contains(t, types, "address")
			require.NotContains(t, string(c.Scan.Summary), "Voorbeeldstraat", "the summary holds no values")
		}
		require.Greater(t, caps[1].Scan.Severity, caps[0].Scan.Severity, "a minor's case is more severe")
		require.Equal(t, caps[1].Scan.Severity, f.item(t, id).Severity)

		// Each case's copy is sealed under its own key: one case's key
		// does not open the other's blob.
		_, _, key1, err := f.store.CaptureFile(f.ctx, analyst, caps[0].ID, caps[0].BodySHA256, false)
		require.NoError(t, err)
		_, err = f.blobs.Get(f.ctx, blob.Ref{Owner: c2.Ref, SHA256: caps[1].BodySHA256, Size: fileOf(t, caps[1], undox.FileBody)[0].Size}, key1)
		require.ErrorIs(t, err, blob.ErrWrongKey)

		// The audit log holds every stored file's hash.
		entries, err := f.store.AuditEntries(f.ctx, "item", strconv.FormatInt(id, 10))
		require.NoError(t, err)
		var details []string
		for _, e := range entries {
			if e.Action == "capture" {
				details = append(details, e.Detail)
			}
		}
		require.Len(t, details, 2)
		for i, c := range caps {
			for _, file := range c.Files {
				require.Contains(t, details[i], file.Kind+"="+file.SHA256)
			}
			require.Contains(t, details[i], "case="+c.CaseRef)
		}
	})
}

// A failed capture keeps its error on the item, which says unreachable; a
// failure that may pass asks for a retry, and a later success captures it.
func TestCaptureFailuresAreKeptAndRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		c := f.report(t, undox.CategoryDoxing, false, f.url("/flaky"))
		id := c.Items[0].ID

		f.site.flaky.Store(503)
		err := f.svc.Item(f.ctx, undox.CaptureJob{ItemID: id})
		var retry *capture.Retry
		require.ErrorAs(t, err, &retry)
		it := f.item(t, id)
		require.Equal(t, undox.ItemUnreachable, it.Status)
		require.Equal(t, "http_status: the page answered 503 Service Unavailable", it.CaptureError)
		require.Nil(t, it.CapturedAt)

		f.site.flaky.Store(404)
		require.NoError(t, f.svc.Item(f.ctx, undox.CaptureJob{ItemID: id}), "a 404 is not retried")
		require.Equal(t, undox.ItemUnreachable, f.item(t, id).Status)

		f.site.flaky.Store(0)
		require.NoError(t, f.svc.Item(f.ctx, undox.CaptureJob{ItemID: id}))
		it = f.item(t, id)
		require.Equal(t, undox.ItemCaptured, it.Status)
		require.Equal(t, 3, it.CaptureAttempts)
		require.Empty(t, it.CaptureError)

		caps, err := f.store.ItemCaptures(f.ctx, analyst, id)
		require.NoError(t, err)
		require.Len(t, caps, 3, "failed attempts are evidence too")
		require.Equal(t, []int{503, 404, 200}, []int{caps[0].HTTPStatus, caps[1].HTTPStatus, caps[2].HTTPStatus})

		hist, err := f.store.ItemHistory(f.ctx, id)
		require.NoError(t, err)
		var steps []string
		for _, h := range hist {
			steps = append(steps, h.From+"->"+h.To)
		}
		require.Equal(t, []string{"new->unreachable", "unreachable->unreachable", "unreachable->captured"}, steps)
	})
}

// A host that resolves to a refused address is never contacted, and the
// item says why; such a failure does not pass by retrying.
func TestCaptureOfBlockedAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		c := f.report(t, undox.CategoryDoxing, false, "http://blocked.test:"+f.site.port+"/x")
		id := c.Items[0].ID
		require.NoError(t, f.svc.Item(f.ctx, undox.CaptureJob{ItemID: id}))
		it := f.item(t, id)
		require.Equal(t, undox.ItemUnreachable, it.Status)
		require.True(t, strings.HasPrefix(it.CaptureError, "blocked_address: "), it.CaptureError)
		caps, err := f.store.ItemCaptures(f.ctx, analyst, id)
		require.NoError(t, err)
		require.Len(t, caps, 1)
		require.Equal(t, "blocked_address", caps[0].ErrorCode)
		require.Empty(t, caps[0].Files)
	})
}

// Referral-only content is never fetched, even when asked for; an erased
// case gets no evidence; a confirmed item stays confirmed when captured
// again.
func TestCaptureRespectsTheCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		csam := f.report(t, undox.CategoryCSAM, false, f.url("/p/victim"))
		before := f.site.hits.Load()
		require.NoError(t, f.svc.Item(f.ctx, undox.CaptureJob{ItemID: csam.Items[0].ID, RequestedBy: analyst.Label()}))
		require.Equal(t, before, f.site.hits.Load(), "referral-only content never reaches the fetcher")
		require.Error(t, f.store.RequestCapture(f.ctx, analyst, csam.Items[0].ID))

		gone := f.report(t, undox.CategoryDoxing, false, f.url("/victim"))
		supervisor := undox.Actor{Kind: "token", TokenID: 2, Name: "sup", Role: undox.RoleSupervisor}
		_, err := f.store.CaseEvent(f.ctx, supervisor, gone.Ref, undox.ActionErase, "test")
		require.NoError(t, err)
		kept := f.report(t, undox.CategoryDoxing, false, f.url("/victim"))
		id := kept.Items[0].ID
		require.NoError(t, f.svc.Item(f.ctx, undox.CaptureJob{ItemID: id}))
		caps, err := f.store.ItemCaptures(f.ctx, analyst, id)
		require.NoError(t, err)
		require.Len(t, caps, 1)
		require.Equal(t, kept.Ref, caps[0].CaseRef, "nothing is kept for the erased case")

		_, err = f.store.ItemEvent(f.ctx, analyst, id, undox.ActionConfirm, "doxing")
		require.NoError(t, err)
		require.NoError(t, f.store.RequestCapture(f.ctx, analyst, id))
		require.NoError(t, f.svc.Item(f.ctx, undox.CaptureJob{ItemID: id, RequestedBy: analyst.Label()}))
		require.Equal(t, undox.ItemConfirmed, f.item(t, id).Status)
		caps, err = f.store.ItemCaptures(f.ctx, analyst, id)
		require.NoError(t, err)
		require.Len(t, caps, 2)
		require.Equal(t, analyst.Label(), caps[1].RequestedBy)
	})
}

// Captures kept before captures had prints are printed from their kept
// texts: a copy of a page confirmed before then is then recognised.
func TestBackfillPrints(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b) // its service makes no prints, as before they were made
		victim := f.report(t, undox.CategoryDoxing, false, f.url("/post/original"))
		require.NoError(t, f.svc.Item(f.ctx, undox.CaptureJob{ItemID: victim.Items[0].ID}))
		_, _, err := f.store.ConfirmItem(f.ctx, analyst, victim.Items[0].ID, "doxes her")
		require.NoError(t, err)

		printer, err := mirror.NewPrinter(f.store.MirrorKey())
		require.NoError(t, err)
		printing := capture.NewService(capture.Config{Store: f.store, Blobs: f.blobs, Fetcher: f.fetcher, Scanner: &personal.Scanner{}, Printer: printer})
		other := f.report(t, undox.CategoryDoxing, false, f.url("/post/copy"))
		require.NoError(t, printing.Item(f.ctx, undox.CaptureJob{ItemID: other.Items[0].ID}))
		links, err := f.store.LinkSuggestions(f.ctx, analyst, victim.Ref)
		require.NoError(t, err)
		require.Empty(t, links, "her page has no print yet")

		n, err := capture.BackfillPrints(f.ctx, f.store, f.blobs, printer, nil)
		require.NoError(t, err)
		require.Equal(t, 1, n, "her page's capture; the copy's has its print")
		links, err = f.store.LinkSuggestions(f.ctx, analyst, victim.Ref)
		require.NoError(t, err)
		require.Len(t, links, 1)
		require.Equal(t, other.Items[0].ID, links[0].ItemID)
		require.Equal(t, []string{undox.LinkKindMirror}, links[0].Kinds)

		n, err = capture.BackfillPrints(f.ctx, f.store, f.blobs, printer, nil)
		require.NoError(t, err)
		require.Zero(t, n, "nothing is left to print")
		// A second process that printed the same capture meanwhile
		// changes nothing.
		caps, err := f.store.ItemCaptures(f.ctx, analyst, victim.Items[0].ID)
		require.NoError(t, err)
		p, _ := printer.Print("another text " + strings.Repeat("altogether different words here ", 20))
		raw, _ := p.MarshalBinary()
		require.NoError(t, f.store.SavePrint(f.ctx, caps[0].ID, raw))
		again, err := f.store.LinkSuggestions(f.ctx, analyst, victim.Ref)
		require.NoError(t, err)
		require.Equal(t, links, again)
	})
}
