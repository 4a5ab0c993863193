package monitor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/mirror"
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

// A hostile site: one dox page under fifty URLs, a redirect to a page also
// linked, a page padded past the fetcher's bound. Each text is found once,
// each page counted once, the padded page read as far as the fetcher kept.
func TestCrawlHostileSite(t *testing.T) {
	mux := http.NewServeMux()
	html := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}
	mux.HandleFunc("/s/", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString(`<p>index`)
		for i := range 50 {
			fmt.Fprintf(&b, `<a href="/s/dox?p=%d">%d</a>`, i, i)
		}
		b.WriteString(`<a href="/s/old">old</a><a href="/s/new">new</a><a href="/s/padded">padded</a>`)
		html(w, b.String())
	})
	mux.HandleFunc("/s/dox", func(w http.ResponseWriter, r *http.Request) { html(w, `<h1>Jan Synthetica</h1>`) })
	mux.HandleFunc("/s/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/s/new", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/s/new", func(w http.ResponseWriter, r *http.Request) { html(w, `<p>The new page.`) })
	mux.HandleFunc("/t/start", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/s/new", http.StatusFound) })
	mux.HandleFunc("/s/padded", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<h1>Jan Synthetica, again</h1>`+strings.Repeat("<!-- padding -->", 10_000))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := fetch.New(fetch.Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, AllowAnyPort: true, MaxBodyBytes: 50_000})
	defer f.CloseIdleConnections()
	s, err := New(Config{Store: noStore{}, Fetcher: f, Matcher: nameMatcher("Jan Synthetica"), Intake: noIntake{}, Key: testKey})
	require.NoError(t, err)
	base := srv.URL + "/s/"
	st := &recStore{site: undox.WatchedSite{ID: 1, URL: base, MaxPages: 100, CaseRef: "UDX-ADULT"}}
	s.cfg.Store = st
	c, err := s.CrawlSite(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, []string{base + "dox?p=0", base + "padded"}, c.Found, "the same text once; the padded page read")
	require.Equal(t, [][]string{{base + "dox?p=0", base + "padded"}}, st.added)
	news := 0
	for _, p := range c.Pages {
		if p.URL == base+"new" {
			news++
		}
	}
	require.Equal(t, 1, news, "a page reached through a redirect and a link is one page")
	require.Len(t, c.Pages, 53, "the index, fifty URLs of one page, new, padded")

	// The next crawl files none of them again: the texts were filed.
	st.texts = map[string]bool{}
	for _, p := range c.Pages {
		if slices.Contains(c.Found, p.URL) {
			st.texts[p.TextSHA256] = true
		}
	}
	st.added = nil
	c, err = s.CrawlSite(context.Background(), 1)
	require.NoError(t, err)
	require.Empty(t, c.Found)
	require.Empty(t, st.added)

	// A start page that leaves the folder (the site moved) says so.
	moved, err := s.Crawl(context.Background(), &undox.WatchedSite{ID: 1, URL: srv.URL + "/t/start", MaxPages: 100}, nil)
	require.NoError(t, err)
	require.Empty(t, moved.Pages)
	require.Equal(t, "the start page redirects away from the site's folder: "+srv.URL+"/s/new", moved.Error)
}

// Pages no crawl saw are fetched before those seen already: a site too
// large for one crawl is covered over several.
func TestCrawlFreshPagesFirst(t *testing.T) {
	srv := site(t)
	s := service(t)
	base := srv.URL + "/victims/"
	known := map[string]string{s.pageKey(base + "1"): "x", s.pageKey(base + "2"): "x"}
	c, err := s.Crawl(context.Background(), &undox.WatchedSite{ID: 1, URL: base, MaxPages: 2}, known)
	require.NoError(t, err)
	require.Equal(t, []string{base, base + "3.txt"}, urls(c.Pages))
}

// recStore records what CrawlSite does with the store; the real one is in
// cmd/undox's end-to-end test.
type recStore struct {
	Store
	site    undox.WatchedSite
	saved   *undox.Crawl
	saveErr error // ctx.Err() of the SaveCrawl call
	added   [][]string
	refs    []string // the case each of added went to
	addErr  error
	texts   map[string]bool
	// confirmed are the prints of confirmed pages, true for a minor's case.
	confirmed map[mirror.Print]bool
}

func (r *recStore) ClaimCrawl(context.Context, int64) (*undox.WatchedSite, map[string]string, error) {
	s := r.site
	return &s, nil, nil
}
func (r *recStore) SaveCrawl(ctx context.Context, c undox.Crawl) error {
	r.saved, r.saveErr = &c, ctx.Err()
	return nil
}
func (r *recStore) KnownItems(context.Context, []string) (map[string]bool, error) { return nil, nil }
func (r *recStore) FoundTexts(context.Context, int64) (map[string]bool, error)    { return r.texts, nil }
func (r *recStore) ProtectsMinor(_ context.Context, persons []string) (bool, error) {
	return slices.Contains(persons, "minor/1"), nil
}
func (r *recStore) AddItems(_ context.Context, _ undox.Actor, ref string, urls []string) (int, error) {
	if r.addErr != nil && len(r.added) > 0 {
		return 0, r.addErr
	}
	r.added = append(r.added, urls)
	r.refs = append(r.refs, ref)
	return len(urls), nil
}
func (r *recStore) ConfirmedCopy(_ context.Context, p mirror.Print, _ string) (found, minor bool, err error) {
	for c, m := range r.confirmed {
		if mirror.Similarity(p, c) >= mirror.Threshold {
			found, minor = true, minor || m
		}
	}
	return found, minor, nil
}

// A page that shows nobody the watch knows but copies a confirmed page is
// filed all the same: a copy of a minor's case's page into the minors'
// monitoring case. A page that copies nothing is not.
func TestCrawlFilesMirrors(t *testing.T) {
	printer, err := mirror.NewPrinter(testKey)
	require.NoError(t, err)
	post := func(word string) string {
		var ws []string
		for i := range 120 {
			ws = append(ws, word+strconv.Itoa(i))
		}
		return strings.Join(ws, " ")
	}
	mux := http.NewServeMux()
	html := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}
	mux.HandleFunc("/m/", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<a href="/m/adult">a</a><a href="/m/minor">m</a><a href="/m/other">o</a><a href="/m/both">b</a>`)
	})
	// A copy of the minor's page that also names an adult the watch knows.
	mux.HandleFunc("/m/both", func(w http.ResponseWriter, r *http.Request) { html(w, "<h1>Adult Person</h1><p>"+post("minor")) })
	mux.HandleFunc("/m/adult", func(w http.ResponseWriter, r *http.Request) { html(w, "<h1>Mirror</h1><p>"+post("adult")) })
	mux.HandleFunc("/m/minor", func(w http.ResponseWriter, r *http.Request) { html(w, "<h1>Mirror</h1><p>"+post("minor")) })
	mux.HandleFunc("/m/other", func(w http.ResponseWriter, r *http.Request) { html(w, "<h1>Mirror</h1><p>"+post("other")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	adult, _ := printer.Print("Forum " + post("adult"))
	minor, _ := printer.Print("Forum " + post("minor"))
	st := &recStore{site: undox.WatchedSite{ID: 1, URL: srv.URL + "/m/", MaxPages: 10, CaseRef: "UDX-ADULT", MinorCaseRef: "UDX-MINOR"},
		confirmed: map[mirror.Print]bool{adult: false, minor: true}}
	s := service(t)
	s.cfg.Store = st
	s.cfg.Matcher = personMatcher{"Adult Person": "adult/1"}
	s.cfg.Printer = printer
	c, err := s.CrawlSite(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, [][]string{{srv.URL + "/m/adult"}, {srv.URL + "/m/minor", srv.URL + "/m/both"}}, st.added,
		"a copy of a minor's case's page goes to the minors' case, whoever else it shows")
	require.Equal(t, []string{"UDX-ADULT", "UDX-MINOR"}, st.refs)
	require.ElementsMatch(t, []string{srv.URL + "/m/adult", srv.URL + "/m/minor", srv.URL + "/m/both"}, c.Found)

	// Without a printer only the watch finds pages.
	st.added, st.refs = nil, nil
	s.cfg.Printer = nil
	c, err = s.CrawlSite(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, [][]string{{srv.URL + "/m/both"}}, st.added)
	require.Equal(t, []string{srv.URL + "/m/both"}, c.Found)
}

// A crawl stopped midway (undox shutting down) still records what it saw.
func TestCrawlSiteStoppedRecords(t *testing.T) {
	srv := site(t)
	st := &recStore{site: undox.WatchedSite{ID: 1, URL: srv.URL + "/victims/", MaxPages: 100, CaseRef: "UDX-ADULT"}}
	s := service(t)
	s.cfg.Store = st
	s.cfg.Delay = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	c, err := s.CrawlSite(ctx, 1)
	require.NoError(t, err)
	require.NotNil(t, st.saved, "recorded")
	require.NoError(t, st.saveErr, "with a context of its own")
	require.Equal(t, c, st.saved)
	require.NotEmpty(t, c.Pages)
	require.Less(t, len(c.Pages), 5)
	require.Contains(t, c.Error, "stopped short after")
}

// When filing fails midway, what was filed is recorded as found, and the
// pages not filed are left out, so that the next crawl finds them again.
func TestCrawlSitePartialFiling(t *testing.T) {
	mux := http.NewServeMux()
	html := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}
	mux.HandleFunc("/b/", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<a href="/b/adult">a</a><a href="/b/minor">m</a>`)
	})
	mux.HandleFunc("/b/adult", func(w http.ResponseWriter, r *http.Request) { html(w, `<p>Adult Person`) })
	mux.HandleFunc("/b/minor", func(w http.ResponseWriter, r *http.Request) { html(w, `<p>Minor Person`) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	st := &recStore{site: undox.WatchedSite{ID: 1, URL: srv.URL + "/b/", MaxPages: 10, CaseRef: "UDX-ADULT", MinorCaseRef: "UDX-MINOR"},
		addErr: fmt.Errorf("the database went away")}
	s := service(t)
	s.cfg.Store = st
	s.cfg.Matcher = personMatcher{"Adult Person": "adult/1", "Minor Person": "minor/1"}
	c, err := s.CrawlSite(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, [][]string{{srv.URL + "/b/adult"}}, st.added, "the adults' page into the adults' case; the minors' failed")
	require.Equal(t, []string{srv.URL + "/b/adult"}, c.Found)
	require.Equal(t, []string{srv.URL + "/b/", srv.URL + "/b/adult"}, urls(c.Pages))
	require.Contains(t, c.Error, "could not be filed")
}

// personMatcher finds persons by a phrase each.
type personMatcher map[string]string

func (m personMatcher) Match(_ context.Context, text string) ([]personal.Match, error) {
	var out []personal.Match
	for phrase, person := range m {
		if i := strings.Index(text, phrase); i >= 0 {
			out = append(out, personal.Match{Person: person, Kind: "name", Start: i, End: i + len(phrase)})
		}
	}
	return out, nil
}
