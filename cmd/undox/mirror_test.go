package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMirrorEndToEnd: a victim reports her page; nobody gives undox her
// identifiers. An analyst confirms the page. Someone else reports a copy of
// the post on another site, in another site's frame: undox suggests it for
// her case as a mirror, for the analyst to decide. A page of the same site
// that is no copy is not suggested.
func TestMirrorEndToEnd(t *testing.T) {
	// A made-up post of 300 words.
	vocabulary := strings.Fields("Syntha woont op de Testlaan nummer 77 haar school is het Voorbeeldcollege en haar moeder werkt bij de bakker in Nergensdorp iedereen mag het weten")
	rng := rand.New(rand.NewPCG(7, 8))
	var words []string
	for range 300 {
		words = append(words, vocabulary[rng.IntN(len(vocabulary))])
	}
	post := strings.Join(words, " ")
	page := func(w http.ResponseWriter, title, nav, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>%s</title><nav>%s</nav><article><p>%s</p></article><footer>%s</footer>`, title, nav, body, nav)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/t/1", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Buurtforum", "Home · Forum · Inloggen", post)
	})
	mux.HandleFunc("/raw/9", func(w http.ResponseWriter, r *http.Request) {
		page(w, "PASTE #9", "pastes · archive · api", strings.ToUpper(post))
	})
	mux.HandleFunc("/raw/10", func(w http.ResponseWriter, r *http.Request) {
		page(w, "PASTE #10", "pastes · archive · api", strings.Repeat("een heel ander bericht over iets anders dan wie dan ook ", 12))
	})
	mux.HandleFunc("/board/", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Board", "board", `<a href="/board/7">seven</a> <a href="/board/8">eight</a>`)
	})
	mux.HandleFunc("/board/7", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Board #7", "board · rules", post)
	})
	mux.HandleFunc("/board/8", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Board #8", "board · rules", strings.Repeat("nog een heel ander bericht zonder iemand erin ", 15))
	})
	site := httptest.NewServer(mux)
	defer site.Close()
	_, port, _ := net.SplitHostPort(site.Listener.Addr().String())
	testDNS().Set("forum.test", netip.MustParseAddr("127.0.0.1"))
	testDNS().Set("paste.test", netip.MustParseAddr("127.0.0.1"))
	testDNS().Set("board.test", netip.MustParseAddr("127.0.0.1"))

	in := startServe(t, t.TempDir(), "", "--allow-networks", "127.0.0.1/32", "--allow-any-port", "--monitor-every", "200ms", "--monitor-delay", "0s")
	analyst := newToken(t, in, "analyst")
	report := func(u string) (ref, item string) {
		t.Helper()
		code, rcpt := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{u}, "category": "doxing"})
		require.Equal(t, 201, code, rcpt)
		ref = rcpt["case"].(string)
		_, c := call(t, "GET", in.URL+"/api/v1/cases/"+ref, analyst, nil)
		item = in.URL + "/api/v1/items/" + strconv.FormatInt(int64(c["items"].([]any)[0].(map[string]any)["id"].(float64)), 10)
		require.Eventually(t, func() bool {
			_, it := call(t, "GET", item, analyst, nil)
			return it["status"] == "captured"
		}, 30*time.Second, 50*time.Millisecond, "%s is captured", u)
		return ref, item
	}

	ref, original := report("http://forum.test:" + port + "/t/1")
	code, body := call(t, "POST", original+"/confirm", analyst, map[string]any{"reason": "doxes her address and school"})
	require.Equal(t, 200, code, body)

	_, copyItem := report("http://paste.test:" + port + "/raw/9")
	_, otherItem := report("http://paste.test:" + port + "/raw/10")
	_, links := call(t, "GET", in.URL+"/api/v1/cases/"+ref+"/links", analyst, nil)
	ls := links["links"].([]any)
	require.Len(t, ls, 1, "the copy is suggested, the other page is not: %v", ls)
	l := ls[0].(map[string]any)
	require.Equal(t, copyItem, in.URL+"/api/v1/items/"+strconv.FormatInt(int64(l["item_id"].(float64)), 10))
	require.NotEqual(t, otherItem, copyItem)
	require.Equal(t, []any{"mirror"}, l["kinds"])
	require.Equal(t, "pending", l["status"], "an analyst decides")

	// A watched site holds another copy, which shows nobody the watch
	// knows: its crawl files it all the same, and it is suggested for her
	// case too. The page that copies nothing is not filed.
	code, w := call(t, "POST", in.URL+"/api/v1/watched-sites", analyst, map[string]any{"url": "http://board.test:" + port + "/board/", "every_minutes": 60})
	require.Equal(t, 201, code, w)
	var urls []string
	require.Eventually(t, func() bool {
		_, links := call(t, "GET", in.URL+"/api/v1/cases/"+ref+"/links", analyst, nil)
		urls = urls[:0]
		for _, l := range links["links"].([]any) {
			urls = append(urls, l.(map[string]any)["url"].(string))
		}
		return len(urls) == 2
	}, 30*time.Second, 100*time.Millisecond, "the crawl's copy is suggested")
	require.Contains(t, urls, "http://board.test:"+port+"/board/7")
	_, ws := call(t, "GET", in.URL+"/api/v1/watched-sites/"+strconv.FormatInt(int64(w["id"].(float64)), 10), analyst, nil)
	_, mc := call(t, "GET", in.URL+"/api/v1/cases/"+ws["case"].(string), analyst, nil)
	require.Len(t, mc["items"], 1, "only the copy was filed: %v", mc["items"])
}
