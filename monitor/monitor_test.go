package monitor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/personal"
)

// nameMatcher stands for the watch: it finds one synthetic name. (The
// real watch is in cmd/undox's end-to-end test.)
type nameMatcher string

func (m nameMatcher) Match(_ context.Context, text string) ([]personal.Match, error) {
	if i := strings.Index(text, string(m)); i >= 0 {
		return []personal.Match{{Person: "case:UDX-TEST/person:1", Kind: "name", Start: i, End: i + len(m)}}, nil
	}
	return nil, nil
}

// site is a loopback doxing site: an index under /victims/ that links to
// pages in and out of that folder.
func site(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	html := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}
	mux.HandleFunc("/victims/", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<title>Victims</title><h1>All of them</h1><ul>
			<li><a href="/victims/1">one</a> <li><a href="2#top">two</a> <li><a href="/victims/3.txt">three</a>
			<li><a href="/victims/moved">moved</a> <li><a href="/victims/gone">gone</a>
			<li><a href="/about">about</a> <li><a href="http://elsewhere.test/victims/9">elsewhere</a>
			<li><a href="/victims/photo.JPG">a photo</a> <li><a href="/victims/dump.zip?x=1">a dump</a>
			<li><a href="/victims/1">one again</a></ul>`)
	})
	mux.HandleFunc("/victims/1", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<h1>Jan Synthetica</h1><p>Lives at Voorbeeldstraat 1. <a href="/victims/4">next</a>`)
	})
	mux.HandleFunc("/victims/2", func(w http.ResponseWriter, r *http.Request) { html(w, `<p>Nobody we protect.`) })
	mux.HandleFunc("/victims/3.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "paste: Jan Synthetica, 06 12345678")
	})
	mux.HandleFunc("/victims/4", func(w http.ResponseWriter, r *http.Request) { html(w, `<p>Page four.`) })
	mux.HandleFunc("/victims/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/about", http.StatusFound) })
	mux.HandleFunc("/victims/gone", http.NotFound)
	for _, p := range []string{"/victims/photo.JPG", "/victims/dump.zip"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { t.Errorf("a crawl fetched %s, which has no text", r.URL) })
	}
	// Outside the folder: reached only through the redirect above (the
	// fetcher follows it), and then not taken as a page of the site.
	mux.HandleFunc("/about", func(w http.ResponseWriter, r *http.Request) { html(w, `<p>About Jan Synthetica.`) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func service(t *testing.T) *Service {
	t.Helper()
	f := fetch.New(fetch.Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, AllowAnyPort: true})
	t.Cleanup(f.CloseIdleConnections)
	s, err := New(Config{Store: noStore{}, Fetcher: f, Matcher: nameMatcher("Jan Synthetica"), Intake: noIntake{}, Key: testKey})
	require.NoError(t, err)
	return s
}

func urls(pages []undox.SitePage) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p.URL)
	}
	sort.Strings(out)
	return out
}

// A crawl follows the links that stay under the start page's folder on its
// host, once each, reads HTML and plain text, and finds the pages that show
// a protected person.
func TestCrawl(t *testing.T) {
	srv := site(t)
	s := service(t)
	base := srv.URL + "/victims/"
	w := &undox.WatchedSite{ID: 1, URL: base, MaxPages: 100}
	c, err := s.Crawl(context.Background(), w, nil)
	require.NoError(t, err)
	require.Empty(t, c.Error)
	require.Equal(t, []string{base, base + "1", base + "2", base + "3.txt", base + "4"}, urls(c.Pages))
	require.ElementsMatch(t, []string{base + "1", base + "3.txt"}, c.Found)
	require.Equal(t, 5, c.New)

	// The next crawl knows the pages: one changed.
	known := map[string]string{}
	for _, p := range c.Pages {
		require.NotContains(t, p.Key, "victims", "a page is kept as a keyed hash of its URL")
		require.Len(t, p.Key, 64)
		known[p.Key] = p.TextSHA256
	}
	known[s.pageKey(base+"2")] = "0000"
	c, err = s.Crawl(context.Background(), w, known)
	require.NoError(t, err)
	require.Equal(t, 0, c.New)
	require.Equal(t, 1, c.Changed)
	require.Len(t, c.Found, 2, "pages are matched again, changed or not")

	// The page bound: the start page and the first two links.
	w.MaxPages = 3
	c, err = s.Crawl(context.Background(), w, nil)
	require.NoError(t, err)
	require.Equal(t, []string{base, base + "1", base + "2"}, urls(c.Pages))

	// A start page that cannot be read is the crawl's error.
	w.URL = srv.URL + "/victims/gone"
	c, err = s.Crawl(context.Background(), w, nil)
	require.NoError(t, err)
	require.Equal(t, "the start page answered 404", c.Error)
	require.Empty(t, c.Pages)

	// Loopback is not open by default: the fetcher's policy applies.
	closed, err := New(Config{Store: noStore{}, Fetcher: fetch.New(fetch.Config{AllowAnyPort: true}), Matcher: nameMatcher("x"), Intake: noIntake{}, Key: testKey})
	require.NoError(t, err)
	w.URL = base
	c, err = closed.Crawl(context.Background(), w, nil)
	require.NoError(t, err)
	require.Contains(t, c.Error, "blocked_address")
}

// A crawl waits between fetches, and stops when its time is up.
func TestCrawlPausesAndStops(t *testing.T) {
	srv := site(t)
	s := service(t)
	s.cfg.Delay = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	c, err := s.Crawl(ctx, &undox.WatchedSite{ID: 1, URL: srv.URL + "/victims/", MaxPages: 100}, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Len(t, c.Pages, 1, "the start page, then the pause")
}

var testKey = []byte("a synthetic key of 32 bytes, ok!")

type noStore struct{ Store }
type noIntake struct{ Submitter }
