package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/dnstest"
	"github.com/undox/undox/sqlstore"
)

// TestMain lets the crash test run this test binary as the real undox
// program, in a process of its own that it can kill.
func TestMain(m *testing.M) {
	if os.Getenv("UNDOX_RUN_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

var (
	dnsOnce   sync.Once
	dnsServer *dnstest.Server
)

// testDNS is the loopback DNS server that every undox of these tests asks
// (--dns-server), so that capture never resolves a name outside: it knows
// no names unless a test adds them, and answers NXDOMAIN.
func testDNS() *dnstest.Server {
	dnsOnce.Do(func() {
		var err error
		if dnsServer, err = dnstest.New(nil); err != nil {
			panic(err)
		}
	})
	return dnsServer
}

// instance is undox serve running in this process through run().
type instance struct {
	URL  string
	Data string
	DB   string
	done chan error
	stop context.CancelFunc
}

// startServe runs `undox serve` on port 0 and waits for its URL.
func startServe(t *testing.T, data, database string, extra ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--log-level", "warn",
		"--dns-server", testDNS().Addr, "--screenshots", "off"}, extra...)
	if database != "" {
		args = append(args, "--database", database)
	}
	in := &instance{Data: data, DB: database, done: make(chan error, 1), stop: cancel}
	go func() {
		err := run(ctx, args, nil, pw, io.Discard)
		pw.Close()
		in.done <- err
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			in.URL = m[1]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if in.URL == "" {
		cancel()
		t.Fatalf("undox serve did not start: %v", <-in.done)
	}
	t.Cleanup(func() { in.Stop(t) })
	return in
}

// Stop shuts the instance down as SIGTERM would, and checks it exits cleanly.
func (in *instance) Stop(t *testing.T) {
	if in.stop == nil {
		return
	}
	in.stop()
	in.stop = nil
	select {
	case err := <-in.done:
		require.NoError(t, err)
	case <-time.After(60 * time.Second):
		t.Fatal("undox serve did not stop within a minute")
	}
}

func runCmd(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, env, &out, &errb)
	if errb.Len() > 0 {
		t.Logf("undox %s: %s", strings.Join(args, " "), errb.String())
	}
	return out.String(), err
}

// newToken runs `undox token create` and returns the last line of its output.
func newToken(t *testing.T, in *instance, role string) string {
	t.Helper()
	args := []string{"token", "create", "--data", in.Data, "--role", role, "--name", role + "-e2e"}
	if in.DB != "" {
		args = append(args, "--database", in.DB)
	}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), args, nil, &out, io.Discard))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1]
}

func call(t *testing.T, method, url, token string, body any, headers ...string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	}
	return resp.StatusCode, out
}

func TestServeEndToEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		database := ""
		if dbtest.IsPostgres(b.Name) {
			database = dbtest.PostgresURL(t)
		}
		in := startServe(t, t.TempDir(), database)

		code, _ := call(t, "GET", in.URL+"/healthz", "", nil)
		require.Equal(t, 200, code)
		code, _ = call(t, "GET", in.URL+"/readyz", "", nil)
		require.Equal(t, 200, code)

		report := map[string]any{"urls": []string{"https://dox.example/victim", "HTTPS://Dox.Example:443/victim"},
			"category": "doxing", "description": "my address and school are on this page", "is_minor": true,
			"reporter_email": "parent.synthetic@example.org", "language": "nl", "consent": true}
		code, rcpt := call(t, "POST", in.URL+"/api/v1/reports", "", report, "Idempotency-Key", "e2e-1")
		require.Equal(t, 201, code, rcpt)
		ref := rcpt["case"].(string)
		require.Regexp(t, `^UDX-`, ref)
		require.True(t, strings.HasPrefix(rcpt["status_url"].(string), in.URL+"/status/"))
		code, again := call(t, "POST", in.URL+"/api/v1/reports", "", report, "Idempotency-Key", "e2e-1")
		require.Equal(t, 201, code)
		require.Equal(t, rcpt, again)

		analyst := newToken(t, in, "analyst")
		code, c := call(t, "GET", in.URL+"/api/v1/cases/"+ref, analyst, nil)
		require.Equal(t, 200, code, c)
		require.Equal(t, ref, c["ref"])
		require.Equal(t, true, c["is_minor"])
		require.Equal(t, "parent.synthetic@example.org", c["reporter_email"])
		items := c["items"].([]any)
		require.Len(t, items, 1, "two spellings of one URL are one item")
		item := items[0].(map[string]any)
		require.Equal(t, "https://dox.example/victim", item["url"])
		// Captured at once: dox.example does not resolve here, so the
		// item is new or, once its capture failed, unreachable.
		require.Contains(t, []any{"new", "unreachable"}, item["status"])
		require.NotNil(t, item["id"])

		code, list := call(t, "GET", in.URL+"/api/v1/cases", analyst, nil)
		require.Equal(t, 200, code)
		require.Len(t, list["cases"].([]any), 1)

		// The victim's link works without an account.
		resp, err := http.Get(rcpt["status_url"].(string))
		require.NoError(t, err)
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		require.Contains(t, string(page), ref)
		require.Contains(t, string(page), "Snel weg", "the quick exit, in the case's language (nl)")
		// The private link never leaves the site in a Referer; within it,
		// the browser sends the Origin that the page's forms are checked by.
		require.Equal(t, "same-origin", resp.Header.Get("Referrer-Policy"))

		// No token, wrong role.
		code, p := call(t, "GET", in.URL+"/api/v1/cases", "", nil)
		require.Equal(t, 401, code)
		require.Equal(t, "unauthorized", p["code"])
		partner := newToken(t, in, "partner")
		code, p = call(t, "GET", in.URL+"/api/v1/cases", partner, nil)
		require.Equal(t, 403, code)
		require.Equal(t, "forbidden", p["code"])

		// Referral-only content is routed by a job: never fetched.
		code, csam := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{"https://csam.example/x"}, "category": "csam"})
		require.Equal(t, 201, code)
		require.Eventually(t, func() bool {
			_, c := call(t, "GET", in.URL+"/api/v1/cases/"+csam["case"].(string), analyst, nil)
			return c["items"].([]any)[0].(map[string]any)["status"] == "referred"
		}, 20*time.Second, 50*time.Millisecond)

		// Metrics count the requests and the jobs.
		metrics := func() string {
			req, err := http.NewRequest("GET", in.URL+"/metrics", nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+analyst)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return string(b)
		}
		require.True(t, strings.Contains(metrics(), `undox_http_requests_total{code="201",method="POST",route="POST /api/v1/reports"} 3`), "request metrics")
		require.Eventually(t, func() bool {
			return strings.Contains(metrics(), `undox_jobs{kind="triage",state="completed"} 1`)
		}, 20*time.Second, 100*time.Millisecond, "job metrics")

		in.Stop(t)

		// The audit log verifies, after a checkpoint covers what happened.
		env := []string{}
		args := []string{"--data", in.Data}
		if database != "" {
			args = append(args, "--database", database)
		}
		out, err := runCmd(t, env, append([]string{"audit", "checkpoint"}, args...)...)
		require.NoError(t, err, out)
		require.Contains(t, out, "verifier key: undox-audit+")
		out, err = runCmd(t, env, append([]string{"audit", "verify"}, args...)...)
		require.NoError(t, err, out)
		require.Contains(t, out, "audit log: OK")
	})
}

func TestWorkerNeedsPostgres(t *testing.T) {
	out, err := runCmd(t, nil, "worker", "--data", t.TempDir())
	require.Error(t, err)
	require.Contains(t, err.Error(), "on SQLite, undox serve runs the workers itself")
	require.Equal(t, 2, exitCode(err), out)
}

func TestWorkerOnPostgresWorksTheQueue(t *testing.T) {
	database := dbtest.PostgresURL(t)
	data := t.TempDir()
	in := startServe(t, data, database, "--workers", "1", "--reports-per-minute", "0")
	code, _ := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{"https://dox.example/w"}})
	require.Equal(t, 201, code)
	out, err := runCmd(t, nil, "audit", "checkpoint", "--data", data, "--database", database)
	require.NoError(t, err, out)
	require.Contains(t, out, "verifier key:")

	// A worker on another machine has a data folder of its own: without
	// the keys of the first it refuses to start (it could neither read the
	// cases nor sign checkpoints that verify).
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	err = run(wctx, []string{"worker", "--data", t.TempDir(), "--database", database, "--dns-server", testDNS().Addr, "--screenshots", "off"}, nil, io.Discard, io.Discard)
	require.Error(t, err)
	require.Contains(t, err.Error(), "UNDOX_AUDIT_SIGNING_KEY")

	// Given the keys, a second process, a worker only, shares the queue.
	secretKey, err := os.ReadFile(data + "/secret.key")
	require.NoError(t, err)
	auditKey, err := os.ReadFile(data + "/audit-signing.key")
	require.NoError(t, err)
	env := []string{"UNDOX_SECRET_KEY=" + strings.TrimSpace(string(secretKey)), "UNDOX_AUDIT_SIGNING_KEY=" + strings.TrimSpace(string(auditKey))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"worker", "--data", t.TempDir(), "--database", database, "--log-level", "warn", "--checkpoint-every", "200ms", "--dns-server", testDNS().Addr, "--screenshots", "off"}, env, io.Discard, io.Discard)
	}()
	for i := 0; i < 20; i++ {
		code, _ := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{
			"urls": []string{fmt.Sprintf("https://csam.example/%d", i)}, "category": "csam"})
		require.Equal(t, 201, code)
	}
	analyst := newToken(t, in, "analyst")
	require.Eventually(t, func() bool {
		_, list := call(t, "GET", in.URL+"/api/v1/items?status=referred", analyst, nil)
		return len(list["items"].([]any)) == 20
	}, 30*time.Second, 100*time.Millisecond, "every referral-only item is routed by the workers")
	cancel()
	require.NoError(t, <-done)
	out, err = runCmd(t, nil, "audit", "verify", "--data", data, "--database", database)
	require.NoError(t, err, out)
	require.Contains(t, out, "audit log: OK")
}

func TestConfigFromEnvironment(t *testing.T) {
	data := t.TempDir()
	out, err := runCmd(t, []string{"UNDOX_DATA=" + data}, "token", "create", "--role", "auditor", "--name", "env")
	require.NoError(t, err, out)
	require.FileExists(t, data+"/undox.db")
	info, err := os.Stat(data + "/secret.key")
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Regexp(t, `^udx_[A-Za-z0-9_-]{43}$`, lines[len(lines)-1])

	_, err = runCmd(t, nil, "token", "create", "--data", data, "--role", "boss", "--name", "x")
	require.Error(t, err)
	require.Equal(t, 2, exitCode(err))
	_, err = runCmd(t, nil, "nonsense")
	require.Equal(t, 2, exitCode(err))
	out, err = runCmd(t, nil, "version")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(out, "undox "))
	_, err = runCmd(t, []string{"UNDOX_LOG_FORMAT=xml"}, "migrate", "--data", data)
	require.Error(t, err)
}

// TestConcurrentReportsOnSQLite: hundreds of clients at once, and none of
// them sees "database is locked".
func TestConcurrentReportsOnSQLite(t *testing.T) {
	in := startServe(t, t.TempDir(), "", "--reports-per-minute", "0")
	var wg sync.WaitGroup
	errs := make(chan string, 300)
	for i := 0; i < 300; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := fmt.Sprintf(`{"urls":["https://dox.example/c/%d"],"category":"doxing"}`, i)
			resp, err := http.Post(in.URL+"/api/v1/reports", "application/json", strings.NewReader(body))
			if err != nil {
				errs <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 {
				errs <- fmt.Sprintf("%d %s", resp.StatusCode, b)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	analyst := newToken(t, in, "analyst")
	_, list := call(t, "GET", in.URL+"/api/v1/items?limit=500", analyst, nil)
	require.Len(t, list["items"].([]any), 300)
}

func TestReportRateLimit(t *testing.T) {
	in := startServe(t, t.TempDir(), "", "--reports-per-minute", "1", "--report-burst", "3")
	for i := 0; i < 3; i++ {
		code, _ := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{fmt.Sprintf("https://dox.example/r/%d", i)}})
		require.Equal(t, 201, code)
	}
	code, p := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{"https://dox.example/r/x"}})
	require.Equal(t, 429, code)
	require.Equal(t, "rate_limited", p["code"])
	// Staff reads are not limited.
	analyst := newToken(t, in, "analyst")
	_, list := call(t, "GET", in.URL+"/api/v1/items", analyst, nil)
	require.Len(t, list["items"].([]any), 3, "the refused report stored nothing")
}

// TestAuditVerifyNamesTheAlteredEntry: an entry edited in the database
// after a checkpoint makes `undox audit verify` fail and name it.
func TestAuditVerifyNamesTheAlteredEntry(t *testing.T) {
	data := t.TempDir()
	in := startServe(t, data, "")
	for i := 0; i < 5; i++ {
		code, _ := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{fmt.Sprintf("https://dox.example/a/%d", i)}})
		require.Equal(t, 201, code)
	}
	in.Stop(t)
	out, err := runCmd(t, nil, "audit", "checkpoint", "--data", data)
	require.NoError(t, err, out)
	out, err = runCmd(t, nil, "audit", "verify", "--data", data)
	require.NoError(t, err, out)

	db, err := sqlstore.Open(context.Background(), "", data)
	require.NoError(t, err)
	var id int64
	require.NoError(t, db.SQL.QueryRow(`SELECT id FROM audit_entries WHERE action = 'case.create' ORDER BY id LIMIT 1 OFFSET 2`).Scan(&id))
	_, err = db.SQL.Exec(`UPDATE audit_entries SET actor = 'token:9:someone-else' WHERE id = $1`, id)
	require.NoError(t, err)
	db.Close()

	out, err = runCmd(t, nil, "audit", "verify", "--data", data)
	require.Error(t, err)
	require.Equal(t, 1, exitCode(err))
	require.Contains(t, out, "TAMPERED")
	require.Contains(t, out, fmt.Sprintf("entry %d ", id))
}
