package capturebench

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/undox/undox/bench/pagegen"
)

// The synthetic pages: a pool of poolSize distinct page templates of about
// 20 KB, generated deterministically. Page i is template i%poolSize with i
// written, as a fixed-width number, into its <title> and its <h1>: every
// page is distinct (its raw body and its text), all have the same size as
// their template, and the server only copies bytes.
const (
	poolSize = pagegen.PoolSize
	idWidth  = 10
)

// A template is one generated page with two slots for the page number.
type template struct {
	parts       [3][]byte // before the first slot, between the slots, after the second
	contentType string    // the Content-Type header
	charset     string    // the charset the page is encoded in and labelled with
}

// size is the size of every page made from t.
func (t *template) size() int {
	return len(t.parts[0]) + len(t.parts[1]) + len(t.parts[2]) + 2*idWidth
}

var pool = func() []*template {
	p := make([]*template, poolSize)
	for k := range p {
		p[k] = genTemplate(k)
	}
	return p
}()

// pageID is page i's number as it appears in the page.
func pageID(i int) string {
	return fmt.Sprintf("%0*d", idWidth, i)
}

// pageBytes returns page i as the server sends it.
func pageBytes(i int) []byte {
	t := pool[i%poolSize]
	id := pageID(i)
	b := make([]byte, 0, t.size())
	b = append(b, t.parts[0]...)
	b = append(b, id...)
	b = append(b, t.parts[1]...)
	b = append(b, id...)
	return append(b, t.parts[2]...)
}

// pagePath is the path of page i on the server.
func pagePath(i int) string { return "/t/" + strconv.Itoa(i) }

// pageHandler serves page i at pagePath(i).
func pageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, ok := strings.CutPrefix(r.URL.Path, "/t/")
		i, err := strconv.Atoi(n)
		if !ok || err != nil || i < 0 || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		t := pool[i%poolSize]
		id := []byte(pageID(i))
		h := w.Header()
		h.Set("Content-Type", t.contentType)
		h.Set("Content-Length", strconv.Itoa(t.size()))
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		w.Write(t.parts[0])
		w.Write(id)
		w.Write(t.parts[1])
		w.Write(id)
		w.Write(t.parts[2])
	})
}

func genTemplate(k int) *template {
	kind := pagegen.KindOf(k)
	body := []byte(pagegen.Text(k))
	if kind.Charset == "windows-1252" {
		var err error
		if body, err = charmap.Windows1252.NewEncoder().Bytes(body); err != nil {
			panic(fmt.Sprintf("page template %d: %v", k, err))
		}
	}
	parts := bytes.Split(body, []byte(pagegen.IDSlot))
	if len(parts) != 3 {
		panic(fmt.Sprintf("page template %d: %d id slots", k, len(parts)-1))
	}
	t := &template{parts: [3][]byte(parts), charset: kind.Charset, contentType: "text/html"}
	if kind.InHeader {
		t.contentType = "text/html; charset=" + kind.Charset
	}
	return t
}
