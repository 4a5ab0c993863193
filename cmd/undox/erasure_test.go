package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/personal/watch"
	"github.com/undox/undox/secret"
)

// The victim of TestErasureLeavesNoPersonalData, her parent who reports,
// and what they write: all synthetic.
const (
	erName        = "Lotte Proefmeijer"
	erPhone       = "06 31 41 59 26" // as the analyst enters it
	erStreet      = "Proeflaan 41"
	erPostcode    = "9999 XZ"
	erCity        = "Verzinseldorp"
	erEmail       = "lotte.proefmeijer@mail.example"
	erReporter    = "ouder.proefmeijer@example.org"
	erDescription = "Mijn dochter staat met naam, adres en nummer op dit prikbord; de buurjongen Bram Kwaadwillig plaatste het."
	erStaffNote   = "doxes Lotte Proefmeijer: Proeflaan 41 and her phone"
	erHoldNote    = "police report of Lotte Proefmeijer, 06 31 41 59 26"
	erFourEyes    = "Lotte Proefmeijer asked us to close it"
)

// erPage doxes her: her name, her phone in two other notations, her
// address, her e-mail.
const erPage = `<html><head><title>Wie is zij?</title></head><body>
<h1>Lotte Proefmeijer</h1>
<p>Bel haar: +31 6-31415926 of 0631415926.</p>
<p>Woont op Proeflaan 41, 9999 XZ Verzinseldorp.</p>
<p>Mail: lotte.proefmeijer@mail.example. Leeftijd: 13 jaar.</p>
</body></html>`

// erOtherPage is another page about her, which someone else reports: the
// watch links it to her case.
const erOtherPage = `<html><head><title>Nog eens</title></head><body>
<p>LOTTE PROEFMEIJER, 06-31415926, en ook Ander Persoon.</p>
</body></html>`

// erForms are what a data-protection officer looks for after the
// erasure: every identifier as entered, as written on the page, in its
// normalized forms, and (by the scan) in lower case, hex and base64.
var erForms = []string{
	erName, "Proefmeijer", erPhone, "+31 6-31415926", "0631415926", "+31631415926", "631415926", "06-31415926",
	erStreet, "Proeflaan", erPostcode, "9999XZ", erCity, erEmail, "lotte.proefmeijer", erReporter, "ouder.proefmeijer",
	erDescription, "Kwaadwillig", "buurjongen", "prikbord;",
}

// scanForms returns, for each needle (by label), its encodings to look for.
func scanForms() map[string]string {
	out := map[string]string{}
	for _, v := range erForms {
		out[v] = v
		out["hex "+v] = hex.EncodeToString([]byte(v))
		out["base64 "+v] = base64.StdEncoding.EncodeToString([]byte(v))
		out["base64url "+v] = base64.RawURLEncoding.EncodeToString([]byte(v))
	}
	return out
}

// findIn tells which of the forms b holds, as is or in lower case.
func findIn(b []byte, forms map[string]string) []string {
	lower := bytes.ToLower(b)
	var found []string
	for label, f := range forms {
		if bytes.Contains(b, []byte(f)) || bytes.Contains(lower, bytes.ToLower([]byte(f))) {
			found = append(found, label)
		}
	}
	sort.Strings(found)
	return found
}

// scanFolder reads every file under dir as raw bytes (the SQLite database
// with its -wal and -shm, the keys, the blobs, the watch index, anything
// else) and returns, by file, the forms it holds, and the files that hold
// each of controls (what is meant to be there).
func scanFolder(t *testing.T, dir string, forms, controls map[string]string) (leaks, seen map[string][]string) {
	t.Helper()
	leaks, seen = map[string][]string{}, map[string][]string{}
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) { // a -wal or -shm removed while the folder is read
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(dir, path)
		if f := findIn(b, forms); len(f) > 0 {
			leaks[rel] = f
		}
		for _, x := range findIn(b, controls) {
			seen[x] = append(seen[x], rel)
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, files, 5, "database, keys, blobs, the watch index")
	return leaks, seen
}

// scanPostgres reads every row of every table of the database at dsn as
// text (what pg_dump would write; bytea as hex) and returns, by table
// ("postgres TABLE"), the forms it holds, and the tables that hold each of
// controls. Deleted row versions stay in PostgreSQL's files until VACUUM
// reclaims them; no SQL reads them.
func scanPostgres(t *testing.T, dsn string, forms, controls map[string]string) (leaks, seen map[string][]string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query(`SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var schema, name string
		require.NoError(t, rows.Scan(&schema, &name))
		tables = append(tables, `"`+schema+`"."`+name+`"`)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	require.Greater(t, len(tables), 20)
	leaks, seen = map[string][]string{}, map[string][]string{}
	for _, table := range tables {
		var dump bytes.Buffer
		rs, err := db.Query(`SELECT t::text FROM ` + table + ` t`)
		require.NoError(t, err)
		for rs.Next() {
			var row string
			require.NoError(t, rs.Scan(&row))
			dump.WriteString(row)
			dump.WriteByte('\n')
		}
		require.NoError(t, rs.Err())
		rs.Close()
		if f := findIn(dump.Bytes(), forms); len(f) > 0 {
			leaks["postgres "+table] = f
		}
		for _, x := range findIn(dump.Bytes(), controls) {
			seen[x] = append(seen[x], "postgres "+table)
		}
	}
	return leaks, seen
}

// scanAll scans the data folder and, on PostgreSQL (database not ""),
// the database's rows.
func scanAll(t *testing.T, data, database string, forms, controls map[string]string) (leaks, seen map[string][]string) {
	t.Helper()
	leaks, seen = scanFolder(t, data, forms, controls)
	if database != "" {
		l, s := scanPostgres(t, database, forms, controls)
		maps.Copy(leaks, l)
		for k, v := range s {
			seen[k] = append(seen[k], v...)
		}
	}
	return leaks, seen
}

// caseDataKey reads the case's data key as stored (wrapped under the
// master key), beside the running undox.
func caseDataKey(t *testing.T, data, database, ref string) []byte {
	t.Helper()
	driver, dsn := "sqlite", "file:"+filepath.Join(data, "undox.db")+"?mode=ro&_pragma=busy_timeout(10000)"
	if database != "" {
		driver, dsn = "pgx", database
	}
	db, err := sql.Open(driver, dsn)
	require.NoError(t, err)
	defer db.Close()
	var key []byte
	require.NoError(t, db.QueryRow(`SELECT data_key FROM cases WHERE ref = $1`, ref).Scan(&key))
	require.Greater(t, len(key), 16)
	return key
}

// watchPersons returns the protected persons that the watch index in the
// data folder, opened with its key, finds on text (none without an index).
func watchPersons(t *testing.T, data, text string) []string {
	t.Helper()
	path := filepath.Join(data, "watch.index")
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return nil
	}
	require.FileExists(t, filepath.Join(data, "watch.key"))
	k, err := secret.LoadOrCreateKeyFile(filepath.Join(data, "watch.key"))
	require.NoError(t, err)
	ix, err := watch.LoadFile(path, k)
	require.NoError(t, err)
	var persons []string
	for _, m := range ix.Match(text) {
		if !slices.Contains(persons, m.Person) {
			persons = append(persons, m.Person)
		}
	}
	sort.Strings(persons)
	return persons
}

// TestErasureLeavesNoPersonalData is the data-protection officer's check
// of an erasure, on the real program: a parent reports a page that doxes
// their child, with their e-mail and a description (the receipt is
// mailed); staff register the child's identifiers, the page is captured
// and scanned, the watch links another case's page to hers, a staff note,
// a legal hold and a four-eyes request name her, the item is confirmed and
// its notice sent. The parent asks for erasure on the status page, and a
// supervisor carries it out. Then, undox stopped, every byte of every
// file in the data folder (the SQLite database, keys, blobs, the watch
// index; on PostgreSQL also every row of the database) is read: none of
// her identifiers, the parent's e-mail or the description is there in
// plain text, in lower case, hex or base64, nor the case's wrapped data
// key (crypto-shredding: SQLite's secure_delete overwrites it); the case's
// evidence is deleted; and the watch index, opened with its key, no longer
// knows her. The same scan before the erasure finds none of them either
// (they are only ever stored encrypted), and does find what is kept in
// plain text or is there until the erasure (the reported URL, the wrapped
// data key, her case in the watch index): it reads what the database
// holds.
func TestErasureLeavesNoPersonalData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		database := ""
		if dbtest.IsPostgres(b.Name) {
			database = dbtest.PostgresURL(t)
		}
		testErasure(t, database)
	})
}

func testErasure(t *testing.T, database string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/t/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, erPage)
	})
	mux.HandleFunc("/t/2", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, erOtherPage)
	})
	site := httptest.NewServer(mux)
	defer site.Close()
	_, port, _ := net.SplitHostPort(site.Listener.Addr().String())
	testDNS().Set("prikbord.test", netip.MustParseAddr("127.0.0.1"))
	mb, smtpAddr := startMailbox(t)

	data := t.TempDir()
	in := startServe(t, data, database, "--allow-networks", "127.0.0.1/32", "--allow-any-port",
		"--smtp", "smtp://"+smtpAddr, "--mail-from", "meldingen@meldpunt.example",
		"--notifier-name", "Meldpunt Voorbeeld", "--four-eyes", "close",
		"--checkpoint-every", "200ms") // a notice carries the latest signed checkpoint: one soon
	analyst := newToken(t, in, "analyst")
	colleague := userToken(t, in, "ana.lyst@hotline.example", "analyst")
	supervisor := newToken(t, in, "supervisor")
	code, body := call(t, "POST", in.URL+"/api/v1/contacts", analyst, map[string]any{"scope": "domain", "key": "prikbord.test",
		"role": "host", "name": "Voorbeeld Hosting", "email": "abuse@hosting.example", "language": "nl"})
	require.Equal(t, 201, code, body)

	// The parent reports the page.
	pageURL := "http://prikbord.test:" + port + "/t/1"
	code, rcpt := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{pageURL},
		"category": "doxing", "description": erDescription, "is_minor": true, "reporter_email": erReporter,
		"language": "nl", "consent": true}, "Idempotency-Key", "erasure-e2e-1")
	require.Equal(t, 201, code, rcpt)
	ref := rcpt["case"].(string)
	statusURL := rcpt["status_url"].(string)
	_, c := call(t, "GET", in.URL+"/api/v1/cases/"+ref, analyst, nil)
	require.Equal(t, erReporter, c["reporter_email"])
	itemID := strconv.FormatInt(int64(c["items"].([]any)[0].(map[string]any)["id"].(float64)), 10)
	item := in.URL + "/api/v1/items/" + itemID
	waitItemStatus(t, item, analyst, "captured")

	// Her identifiers, as the analyst enters them.
	for _, kv := range [][2]string{{"name", erName}, {"phone", erPhone}, {"address", erStreet}, {"postcode", erPostcode}, {"email", erEmail}} {
		code, body := call(t, "POST", in.URL+"/api/v1/cases/"+ref+"/identifiers", analyst, map[string]any{"kind": kv[0], "value": kv[1]})
		require.Equal(t, 201, code, body)
	}
	// Captured again, the page is scanned with her identifiers known
	// (the watch reads them within seconds: capture until it has).
	require.Eventually(t, func() bool {
		code, body := call(t, "POST", item+"/captures", analyst, nil)
		require.Equal(t, 202, code, body)
		time.Sleep(200 * time.Millisecond)
		_, l := call(t, "GET", item+"/captures", analyst, nil)
		list, _ := l["captures"].([]any)
		for _, c := range list {
			scan, _ := c.(map[string]any)["scan"].(map[string]any)
			sum, _ := scan["summary"].(map[string]any)
			matches, _ := sum["matches"].([]any)
			for _, m := range matches {
				if m.(map[string]any)["person"] == ref+"/1" {
					return true
				}
			}
		}
		return false
	}, 60*time.Second, 10*time.Millisecond, "a capture's scan finds her")
	waitCapturedAndTraced(t, item, analyst)

	// Someone else reports another page about her, and registers
	// another protected person: the watch links the page to her case.
	code, other := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{"http://prikbord.test:" + port + "/t/2"}})
	require.Equal(t, 201, code, other)
	otherRef := other["case"].(string)
	code, body = call(t, "POST", in.URL+"/api/v1/cases/"+otherRef+"/identifiers", analyst, map[string]any{"kind": "name", "value": "Ander Persoon"})
	require.Equal(t, 201, code, body)
	require.Eventually(t, func() bool {
		_, l := call(t, "GET", in.URL+"/api/v1/cases/"+ref+"/links", analyst, nil)
		links, _ := l["links"].([]any)
		return len(links) == 1
	}, 60*time.Second, 100*time.Millisecond, "the watch links the other page to her case")

	// Staff write about her: a legal hold (lifted), a four-eyes request.
	code, body = call(t, "PUT", in.URL+"/api/v1/cases/"+ref+"/hold", supervisor, map[string]any{"reason": erHoldNote})
	require.Equal(t, 200, code, body)
	code, body = call(t, "DELETE", in.URL+"/api/v1/cases/"+ref+"/hold", supervisor, nil)
	require.Equal(t, 200, code, body)
	code, body = call(t, "POST", in.URL+"/api/v1/cases/"+ref+"/actions/close", colleague, map[string]any{"reason": erFourEyes})
	require.Equal(t, 202, code, body)

	// The item is confirmed, with a note that names her, and its notice
	// goes out (once a checkpoint of the audit log is signed, which a
	// notice carries).
	require.Eventually(t, func() bool {
		code, _ := call(t, "GET", in.URL+"/api/v1/audit/checkpoint", "", nil)
		return code == 200
	}, 30*time.Second, 50*time.Millisecond, "a signed checkpoint")
	code, confirmed := call(t, "POST", item+"/confirm", analyst, map[string]any{"reason": erStaffNote})
	require.Equal(t, 200, code, confirmed)
	nid := strconv.FormatInt(int64(confirmed["notice"].(map[string]any)["id"].(float64)), 10)
	code, body = call(t, "POST", in.URL+"/api/v1/notices/"+nid+"/approve", analyst, nil)
	require.Equal(t, 202, code, body)
	waitItemStatus(t, item, analyst, "notified")
	_, to := mb.received()
	require.Contains(t, to, "abuse@hosting.example")
	require.Contains(t, to, erReporter, "the receipt went to the parent")

	// Before the erasure: the scan reads what the database holds (the
	// reported URL, in plain text by design; the case's wrapped data key)
	// and the watch index names her case.
	urlPart := "prikbord.test:" + port + "/t/1"
	key := caseDataKey(t, data, database, ref)
	inDB := func(files []string) bool {
		return slices.ContainsFunc(files, func(f string) bool {
			return strings.HasPrefix(f, "undox.db") || strings.HasPrefix(f, "postgres ")
		})
	}
	forms := scanForms()
	before, seen := scanAll(t, data, database, forms, map[string]string{"url": urlPart, "person": ref + "/1",
		"data key": string(key), "hex data key": hex.EncodeToString(key)})
	require.True(t, inDB(seen["url"]), "the scan reads the database: %v", seen)
	require.True(t, inDB(append(seen["data key"], seen["hex data key"]...)), "the scan reads the database: %v", seen)
	require.Contains(t, seen["person"], "watch.index", "the index names her case")
	require.Contains(t, watchPersons(t, data, erPage), ref+"/1", "the index, with its key, finds her")
	for f, what := range before {
		t.Errorf("before the erasure, %s holds %v: personal data is only ever stored encrypted", f, what)
	}
	require.Len(t, blobOwners(t, data), 2, "the evidence of both cases")

	// The parent asks for erasure on the status page.
	resp, err := http.Get(statusURL)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	require.NotNil(t, csrf)
	resp, err = http.PostForm(statusURL+"/erasure", url.Values{"csrf": {string(csrf[1])}, "confirm": {"yes"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	// A supervisor carries it out (an analyst may not).
	code, list := call(t, "GET", in.URL+"/api/v1/erasure-requests?status=pending", supervisor, nil)
	require.Equal(t, 200, code, list)
	reqs := list["erasure_requests"].([]any)
	require.Len(t, reqs, 1)
	er := reqs[0].(map[string]any)
	require.Equal(t, ref, er["case"])
	done := in.URL + "/api/v1/erasure-requests/" + strconv.FormatInt(int64(er["id"].(float64)), 10) + "/done"
	code, body = call(t, "POST", done, analyst, nil)
	require.Equal(t, 403, code, body)
	code, body = call(t, "POST", done, supervisor, nil)
	require.Equal(t, 200, code, body)
	require.Equal(t, "done", body["status"])

	_, c = call(t, "GET", in.URL+"/api/v1/cases/"+ref, analyst, nil)
	require.Equal(t, string(undox.CaseErased), c["status"])
	require.Empty(t, c["reporter_email"])
	require.Empty(t, c["description"])
	_, ids := call(t, "GET", in.URL+"/api/v1/cases/"+ref+"/identifiers", analyst, nil)
	for _, id := range ids["identifiers"].([]any) {
		require.Empty(t, id.(map[string]any)["value"])
	}
	// The erasure's job (the case's evidence, the watch index) is done.
	require.Eventually(t, func() bool {
		return strings.Contains(metricsText(t, in.URL, analyst), `undox_jobs{kind="erase_blobs",state="completed"} 1`)
	}, 30*time.Second, 100*time.Millisecond, "the erasure's job runs")

	// After the erasure, with undox stopped (SQLite's log checkpointed
	// into the database and removed).
	in.Stop(t)
	forms["data key"], forms["hex data key"] = string(key), hex.EncodeToString(key) // crypto-shredded
	leaks, seen := scanAll(t, data, database, forms, map[string]string{"url": urlPart, "person": ref + "/1"})
	require.True(t, inDB(seen["url"]), "the URL stays: it is not her personal data")
	for f, what := range leaks {
		t.Errorf("after the erasure, %s holds %v", f, what)
	}
	require.NotContains(t, seen["person"], "watch.index", "the index no longer names her case")
	require.NotContains(t, watchPersons(t, data, erPage), ref+"/1", "the index, with its key, no longer finds her")
	require.Contains(t, watchPersons(t, data, erOtherPage), otherRef+"/1", "the index still knows the other case's person")
	require.Len(t, blobOwners(t, data), 1, "only the other case's evidence is left")
	if database == "" {
		for _, f := range []string{"undox.db-wal", "undox.db-shm"} {
			_, err := os.Stat(filepath.Join(data, f))
			require.True(t, os.IsNotExist(err), "%s is gone once undox stopped", f)
		}
	}
}

// userToken adds a staff account and returns a token made for it (a
// four-eyes request needs one).
func userToken(t *testing.T, in *instance, email, role string) string {
	t.Helper()
	db := []string{"--data", in.Data}
	if in.DB != "" {
		db = append(db, "--database", in.DB)
	}
	out, err := runCmd(t, nil, append([]string{"user", "add", "--email", email, "--role", role, "--no-qr"}, db...)...)
	require.NoError(t, err, out)
	out, err = runCmd(t, nil, append([]string{"token", "create", "--role", role, "--name", email, "--user", email}, db...)...)
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

// blobOwners lists the owners' folders of the evidence store.
func blobOwners(t *testing.T, data string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(data, "blobs"))
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// metricsText reads /metrics with a staff token.
func metricsText(t *testing.T, base, token string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), "GET", base+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
