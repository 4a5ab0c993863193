package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMonitoringEndToEnd: a known doxing site is watched. Its first crawl
// finds a new page that shows a person a case protects, whose page on the
// same site was confirmed already: the page becomes an item of the site's
// monitoring case, is captured and traced, joins her case as a re-upload,
// and its notice reaches the host's abuse desk without an analyst. The
// page that shows nobody, and the page that is an item already, are not
// filed; nothing leaves the site's folder.
func TestMonitoringEndToEnd(t *testing.T) {
	const (
		name    = "Syntha Voorbeeldkind"
		phone   = "06 98 76 54 31"
		address = "Testlaan 77"
	)
	dox := func(w http.ResponseWriter, title string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>%s</title><h1>S y n t h a  V o o r b e e l d k i n d</h1>
			<p>Bel haar: +31 6-98765431. Woont op Testlaan 77, 9999 ZZ Nergensdorp.</p>`, title)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/board/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Board</title><ul><li><a href="/board/1">first</a><li><a href="/board/2">second</a>
			<li><a href="/board/3">third</a><li><a href="/board/4">fourth</a><li><a href="/elsewhere">elsewhere</a></ul>`)
	})
	mux.HandleFunc("/board/1", func(w http.ResponseWriter, r *http.Request) { dox(w, "First") })
	mux.HandleFunc("/board/2", func(w http.ResponseWriter, r *http.Request) { dox(w, "Second") })
	mux.HandleFunc("/board/4", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Fourth</title><h1>Minna Testkind</h1><p>Haar nummer: +31 6 11223344.</p>`)
	})
	mux.HandleFunc("/board/3", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Third</title><p>Nobody that anyone protects.`)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { t.Error("the crawl left the site's folder") })
	site := httptest.NewServer(mux)
	defer site.Close()
	_, port, _ := net.SplitHostPort(site.Listener.Addr().String())
	testDNS().Set("watched.test", netip.MustParseAddr("127.0.0.1"))
	base := "http://watched.test:" + port + "/board/"
	mb, smtpAddr := startMailbox(t)

	data := t.TempDir()
	in := startServe(t, data, "", "--allow-networks", "127.0.0.1/32", "--allow-any-port",
		"--smtp", "smtp://"+smtpAddr, "--mail-from", "meldingen@meldpunt.example", "--notifier-name", "Meldpunt Voorbeeld",
		"--monitor-every", "200ms", "--monitor-delay", "0s", "--takedown-every", "1s")
	analyst := newToken(t, in, "analyst")
	code, body := call(t, "POST", in.URL+"/api/v1/contacts", analyst, map[string]any{"scope": "domain", "key": "watched.test",
		"role": "host", "name": "Voorbeeld Hosting", "email": "abuse@hosting.example", "language": "nl"})
	require.Equal(t, 201, code, body)

	// Her case: her report of the first page, her identifiers, the page
	// captured until the watch finds her in it, confirmed and notified.
	code, rcpt := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{base + "1"}, "category": "doxing"})
	require.Equal(t, 201, code, rcpt)
	ref := rcpt["case"].(string)
	for _, kv := range [][2]string{{"name", name}, {"phone", phone}, {"address", address}} {
		code, body := call(t, "POST", in.URL+"/api/v1/cases/"+ref+"/identifiers", analyst, map[string]any{"kind": kv[0], "value": kv[1]})
		require.Equal(t, 201, code, body)
	}
	_, c := call(t, "GET", in.URL+"/api/v1/cases/"+ref, analyst, nil)
	item := in.URL + "/api/v1/items/" + strconv.FormatInt(int64(c["items"].([]any)[0].(map[string]any)["id"].(float64)), 10)
	captureUntilMatched(t, item, analyst, ref+"/1")
	code, confirmed := call(t, "POST", item+"/confirm", analyst, map[string]any{"reason": "doxes a protected person"})
	require.Equal(t, 200, code, confirmed)
	n := confirmed["notice"].(map[string]any)
	code, body = call(t, "POST", in.URL+"/api/v1/notices/"+strconv.FormatInt(int64(n["id"].(float64)), 10)+"/approve", analyst, nil)
	require.Equal(t, 202, code, body)
	require.Eventually(t, func() bool { msgs, _ := mb.received(); return len(msgs) == 1 }, 60*time.Second, 100*time.Millisecond)

	// A minor's case protects another person; nothing of hers is
	// confirmed yet.
	code, minorRcpt := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{"https://elsewhere.test/m"},
		"category": "doxing", "is_minor": true})
	require.Equal(t, 201, code, minorRcpt)
	minorRef := minorRcpt["case"].(string)
	for _, kv := range [][2]string{{"name", "Minna Testkind"}, {"phone", "06 11 22 33 44"}} {
		code, body := call(t, "POST", in.URL+"/api/v1/cases/"+minorRef+"/identifiers", analyst, map[string]any{"kind": kv[0], "value": kv[1]})
		require.Equal(t, 201, code, body)
	}

	// The site is watched; its first crawl is due at once.
	code, w := call(t, "POST", in.URL+"/api/v1/watched-sites", analyst, map[string]any{"url": base, "every_minutes": 60})
	require.Equal(t, 201, code, w)
	siteURL := in.URL + "/api/v1/watched-sites/" + strconv.FormatInt(int64(w["id"].(float64)), 10)
	// The watch learns of new identifiers within seconds: a crawl that ran
	// before it knew the minor's person finds only the second page, and
	// the next crawl (asked for now) the fourth.
	crawls := 0.0
	require.Eventually(t, func() bool {
		_, w = call(t, "GET", siteURL, analyst, nil)
		if w["crawls"] == crawls {
			return false
		}
		crawls = w["crawls"].(float64)
		if w["found"] == float64(2) {
			return true
		}
		code, body := call(t, "POST", siteURL+"/crawl", analyst, nil)
		require.Equal(t, 202, code, body)
		return false
	}, 60*time.Second, 100*time.Millisecond, "the crawls")
	require.Equal(t, float64(5), w["pages"], "the board and its four pages, nothing outside its folder")
	require.Equal(t, float64(2), w["found"], "the second and fourth pages: the first is an item already, the third shows nobody")
	require.Empty(t, w["last_error"])
	monitoring, _ := w["case"].(string)
	require.NotEmpty(t, monitoring)
	require.NotEqual(t, ref, monitoring)
	_, mc := call(t, "GET", in.URL+"/api/v1/cases/"+monitoring, analyst, nil)
	require.Equal(t, "monitor:watched.test", mc["source"])
	items := mc["items"].([]any)
	require.Len(t, items, 1)
	require.Equal(t, base+"2", items[0].(map[string]any)["url"])
	require.Equal(t, false, mc["is_minor"])
	// The page that shows the minor's person is a minor's case's.
	minorMonitoring, _ := w["minor_case"].(string)
	require.NotEmpty(t, minorMonitoring)
	_, mmc := call(t, "GET", in.URL+"/api/v1/cases/"+minorMonitoring, analyst, nil)
	require.Equal(t, true, mmc["is_minor"])
	require.Equal(t, "monitor:watched.test", mmc["source"])
	items = mmc["items"].([]any)
	require.Len(t, items, 1)
	require.Equal(t, base+"4", items[0].(map[string]any)["url"])

	// The re-upload joins her case and its notice goes out without an
	// analyst, marked as automatic.
	require.Eventually(t, func() bool { msgs, _ := mb.received(); return len(msgs) == 2 }, 90*time.Second, 100*time.Millisecond,
		"the re-upload's notice")
	msgs, to := mb.received()
	require.Equal(t, []string{"abuse@hosting.example", "abuse@hosting.example"}, to)
	require.Contains(t, msgs[1], base+"2")
	require.NotContains(t, msgs[1], base+"1", "a notice names only the URLs at issue")
	require.NotContains(t, msgs[1], ref)
	require.NotContains(t, msgs[1], monitoring)
	require.Contains(t, strings.ToLower(msgs[1]), "auto-submitted")
	_, c = call(t, "GET", in.URL+"/api/v1/cases/"+ref, analyst, nil)
	var urls []string
	for _, it := range c["items"].([]any) {
		urls = append(urls, it.(map[string]any)["url"].(string))
	}
	require.ElementsMatch(t, []string{base + "1", base + "2"}, urls)

	// One more crawl, asked for now, finds nothing new: the pages are
	// items now.
	code, w = call(t, "POST", siteURL+"/crawl", analyst, nil)
	require.Equal(t, 202, code, w)
	require.Eventually(t, func() bool {
		_, w = call(t, "GET", siteURL, analyst, nil)
		return w["crawls"] == crawls+1
	}, 60*time.Second, 100*time.Millisecond, "one more crawl")
	require.Equal(t, float64(2), w["found"])
	require.Equal(t, monitoring, w["case"])
	require.Equal(t, minorMonitoring, w["minor_case"])

	// Of the pages that are no items, undox kept no URL: the data folder
	// holds the second page's URL (an item) and not the third's.
	in.Stop(t)
	var second, third bool
	require.NoError(t, filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		second = second || bytes.Contains(b, []byte("/board/2"))
		third = third || bytes.Contains(b, []byte("/board/3"))
		return err
	}))
	require.True(t, second, "the check reads what the database holds (the item's URL)")
	require.False(t, third, "the URL of a page that showed nobody is not kept")
}

// captureUntilMatched captures the item at its API address again until
// its latest scan matches the protected person (the watch sees new
// identifiers within seconds).
func captureUntilMatched(t *testing.T, item, token, person string) {
	t.Helper()
	requested := -1
	require.Eventually(t, func() bool {
		_, it := call(t, "GET", item, token, nil)
		if it["status"] != "captured" || it["traced_at"] == nil {
			return false
		}
		_, l := call(t, "GET", item+"/captures", token, nil)
		caps, _ := l["captures"].([]any)
		if len(caps) == 0 {
			return false
		}
		latest, _ := caps[len(caps)-1].(map[string]any)
		scan, _ := latest["scan"].(map[string]any)
		summary, _ := scan["summary"].(map[string]any)
		matches, _ := summary["matches"].([]any)
		for _, m := range matches {
			if m, _ := m.(map[string]any); m["person"] == person {
				return true
			}
		}
		if requested != len(caps) {
			requested = len(caps)
			code, out := call(t, "POST", item+"/captures", token, nil)
			require.Equal(t, 202, code, out)
		}
		return false
	}, 90*time.Second, 200*time.Millisecond, "%s captured, traced and matched", item)
}

// `undox site` adds, lists, stops, resumes and asks for crawls of watched
// sites, with clear errors.
func TestSiteCommand(t *testing.T) {
	data := t.TempDir()
	out, err := runCmd(t, nil, "site", "add", "https://DoxSite.example/board/", "--every", "2h", "--max-pages", "50", "--data", data)
	require.NoError(t, err, out)
	require.Contains(t, out, "watching site 1: https://doxsite.example/board/, every 2h0m0s, up to 50 pages")
	_, err = runCmd(t, nil, "site", "add", "https://doxsite.example/board/", "--data", data)
	require.ErrorContains(t, err, "watched already")
	_, err = runCmd(t, nil, "site", "add", "ftp://nope", "--every", "1m", "--data", data)
	require.ErrorContains(t, err, "the site cannot be watched as given")
	require.Equal(t, 1, exitCode(err))
	_, err = runCmd(t, nil, "site", "stop", "one", "--data", data)
	require.Equal(t, 2, exitCode(err))

	out, err = runCmd(t, nil, "site", "stop", "1", "--data", data)
	require.NoError(t, err, out)
	require.Contains(t, out, "\tstopped\t")
	_, err = runCmd(t, nil, "site", "crawl", "1", "--data", data)
	require.ErrorContains(t, err, "not watched")
	out, err = runCmd(t, nil, "site", "resume", "1", "--data", data)
	require.NoError(t, err, out)
	require.Contains(t, out, "\twatched\t")
	out, err = runCmd(t, nil, "site", "list", "--json", "--data", data)
	require.NoError(t, err, out)
	var list struct {
		Sites []struct {
			URL          string
			EveryMinutes int `json:"every_minutes"`
			MaxPages     int `json:"max_pages"`
			Enabled      bool
			AddedBy      string `json:"added_by"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list.Sites, 1)
	require.Equal(t, 120, list.Sites[0].EveryMinutes)
	require.Equal(t, 50, list.Sites[0].MaxPages)
	require.True(t, list.Sites[0].Enabled)
	require.NotEmpty(t, list.Sites[0].AddedBy)
}
