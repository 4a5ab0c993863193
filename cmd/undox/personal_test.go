package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
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

// Synthetic identifiers of a protected person.
const (
	idName   = "Syntha Voorbeeldkind"
	idPhone  = "06 98 76 54 31"
	idStreet = "Testlaan 77"
	idEmail  = "syntha.kind@mail.example"
)

// The page that doxes her: her name letter-spaced, her phone written
// otherwise, her street; and some detectable data of no one registered.
const doxPage = `<html><head><title>Exposed</title></head><body>
<h1>S y n t h a  V o o r b e e l d k i n d</h1>
<p>Bel haar: +31 6-98765431. Woont op Testlaan 77, 9999 ZZ Nergensdorp.</p>
<p>Mail: syntha.kind [at] mail [dot] example. Leeftijd: 14 jaar.</p>
</body></html>`

// TestScanCommand: `undox scan` over an HTML file with a temporary index.
func TestScanCommand(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "page.html")
	require.NoError(t, os.WriteFile(page, []byte(doxPage), 0o600))
	ids := filepath.Join(dir, "ids.jsonl")
	var lines []string
	for _, kv := range [][2]string{{"name", idName}, {"phone", idPhone}, {"address", idStreet}, {"email", idEmail}} {
		b, _ := json.Marshal(map[string]string{"person": "p1", "kind": kv[0], "value": kv[1]})
		lines = append(lines, string(b))
	}
	b, _ := json.Marshal(map[string]string{"person": "p2", "kind": "name", "value": "Ander Persoon"})
	lines = append(lines, string(b))
	require.NoError(t, os.WriteFile(ids, []byte(strings.Join(lines, "\n")+"\n"), 0o600))

	out, err := runCmd(t, nil, "scan", page, "--identifiers", ids, "--json", "--text")
	require.NoError(t, err, out)
	var res struct {
		Findings []struct {
			Type       string
			Start, End int
			Value      string
			Valid      bool
		}
		Matches []struct {
			Person, Kind string
			Start, End   int
		}
		Doxes    []string
		Severity int
		Text     string
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	types := map[string]string{}
	for _, f := range res.Findings {
		types[f.Type] = f.Value
		require.NotEmpty(t, res.Text[f.Start:f.End])
	}
	require.Equal(t, "+31698765431", types["phone"])
	require.Equal(t, "syntha.kind@mail.example", types["email"])
	require.Equal(t, "14", types["age"])
	kinds := map[string]string{}
	for _, m := range res.Matches {
		require.Equal(t, "p1", m.Person, "the other person is not on the page")
		kinds[m.Kind] = res.Text[m.Start:m.End]
	}
	require.Contains(t, kinds["name"], "S y n t h a", "found letter-spaced")
	require.Equal(t, "+31 6-98765431", kinds["phone"])
	require.Equal(t, idStreet, kinds["address"])
	require.Contains(t, kinds, "email")
	require.Equal(t, []string{"p1"}, res.Doxes)
	require.GreaterOrEqual(t, res.Severity, 80, "a minor's name, address and phone")

	out, err = runCmd(t, nil, "scan", page, "--data", t.TempDir()) // the configured watch: nobody registered
	require.NoError(t, err, out)
	require.NotContains(t, out, "protected")
	require.Contains(t, out, "severity:")
	_, err = runCmd(t, nil, "scan")
	require.Equal(t, 2, exitCode(err))
}

// stdin feeds s to the commands run in this test as their standard input.
func stdin(t *testing.T, s string) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	go func() {
		w.WriteString(s)
		w.Close()
	}()
	old := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = old; r.Close() })
}

// TestWatchPrivacy is the privacy proof: a protected person's identifiers
// are registered, a page that doxes her is reported in another case,
// captured, scanned and linked to her case; then every byte of every file
// in the data folder is read, and none of her identifiers is there in
// plain text, in its normalized form, nor in hex or base64.
func TestWatchPrivacy(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/t/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, doxPage)
	})
	site := httptest.NewServer(mux)
	defer site.Close()
	_, port, _ := net.SplitHostPort(site.Listener.Addr().String())
	testDNS().Set("forum.test", netip.MustParseAddr("127.0.0.1"))

	data := t.TempDir()
	in := startServe(t, data, "", "--allow-networks", "127.0.0.1/32", "--allow-any-port")
	analyst := newToken(t, in, "analyst")

	// The protected person's case; her identifiers over the API and the
	// command line (value on standard input).
	code, protected := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{"https://elsewhere.test/x"}, "is_minor": true})
	require.Equal(t, 201, code)
	ref := protected["case"].(string)
	for _, kv := range [][2]string{{"name", idName}, {"phone", idPhone}, {"address", idStreet}} {
		code, body := call(t, "POST", in.URL+"/api/v1/cases/"+ref+"/identifiers", analyst, map[string]any{"kind": kv[0], "value": kv[1]})
		require.Equal(t, 201, code, body)
	}
	stdin(t, idEmail+"\n")
	out, err := runCmd(t, nil, "watch", "add", "--case", ref, "--kind", "email", "--data", data)
	require.NoError(t, err, out)

	// Someone else reports the forum page that doxes her.
	code, other := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{"http://forum.test:" + port + "/t/1"}})
	require.Equal(t, 201, code)
	var links []any
	require.Eventually(t, func() bool {
		_, l := call(t, "GET", in.URL+"/api/v1/cases/"+ref+"/links", analyst, nil)
		links, _ = l["links"].([]any)
		return len(links) == 1
	}, 60*time.Second, 100*time.Millisecond, "the scan of the other case's capture finds her")
	link := links[0].(map[string]any)
	require.ElementsMatch(t, []any{"address", "email", "name", "phone"}, link["kinds"])
	_, oc := call(t, "GET", in.URL+"/api/v1/cases/"+other["case"].(string), analyst, nil)
	itemID := int64(oc["items"].([]any)[0].(map[string]any)["id"].(float64))
	_, item := call(t, "GET", in.URL+"/api/v1/items/"+strconv.FormatInt(itemID, 10), analyst, nil)
	require.GreaterOrEqual(t, item["severity"].(float64), float64(40), "the page doxes a protected person")

	in.Stop(t)

	forms := map[string]string{}
	for _, v := range []string{idName, idPhone, idStreet, idEmail, "Voorbeeldkind", "voorbeeldkind", "syntha voorbeeldkind",
		"+31698765431", "0698765431", "698765431", "testlaan 77", "syntha.kind"} {
		forms[v] = v
		forms["hex "+v] = hex.EncodeToString([]byte(v))
		forms["base64 "+v] = base64.StdEncoding.EncodeToString([]byte(v))
		forms["base64url "+v] = base64.RawURLEncoding.EncodeToString([]byte(v))
	}
	files, urlSeen := 0, false
	err = filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		urlSeen = urlSeen || bytes.Contains(b, []byte("forum.test:"+port))
		lower := bytes.ToLower(b)
		for what, f := range forms {
			if bytes.Contains(b, []byte(f)) || bytes.Contains(lower, bytes.ToLower([]byte(f))) {
				t.Errorf("%s holds %s", path, what)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(data, "watch.index"))
	require.Greater(t, files, 5, "database, WAL, keys, blobs, the index")
	require.True(t, urlSeen, "the check reads what the database holds in plain text (the reported URL)")
}
