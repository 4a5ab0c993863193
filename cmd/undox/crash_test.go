package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/sqlstore"
)

// process is undox serve in a process of its own: the test binary re-run
// as the real program (see TestMain).
type process struct {
	cmd *exec.Cmd
	URL string
}

func startProcess(t *testing.T, data, database string, extra ...string) *process {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--reports-per-minute", "0", "--log-level", "warn",
		"--dns-server", testDNS().Addr, "--screenshots", "off"}, extra...)
	if database != "" {
		args = append(args, "--database", database)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "UNDOX_RUN_AS_MAIN=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			p.URL = m[1]
			break
		}
	}
	go io.Copy(io.Discard, out)
	if p.URL == "" {
		cmd.Process.Kill()
		t.Fatalf("undox serve did not start: %v", cmd.Wait())
	}
	return p
}

type sent struct {
	key, body string
	ref       string // the case, when the server answered 201
}

// TestKillNineLosesNoReport: kill -9 the server while hundreds of reports
// arrive; after a restart every acknowledged report is there with its job,
// and a client that retries with its Idempotency-Key creates nothing twice.
func TestKillNineLosesNoReport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		database := ""
		if dbtest.IsPostgres(b.Name) {
			database = dbtest.PostgresURL(t)
		}
		data := t.TempDir()
		p := startProcess(t, data, database)

		const clients = 16
		var (
			mu    sync.Mutex
			all   []*sent
			acked int
			wg    sync.WaitGroup
		)
		killAt := 200
		killed := make(chan struct{})
		client := &http.Client{Timeout: 10 * time.Second}
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for i := 0; i < 1000; i++ {
					// Every third report is referral-only content, whose
					// routing is a job queued with the case.
					category := "doxing"
					if i%3 == 0 {
						category = "csam"
					}
					s := &sent{key: fmt.Sprintf("crash-%d-%d", c, i),
						body: fmt.Sprintf(`{"urls":["https://dox.example/k/%d/%d"],"category":%q,"reporter_email":"r%d@example.org"}`, c, i, category, i)}
					mu.Lock()
					all = append(all, s)
					mu.Unlock()
					req, _ := http.NewRequest("POST", p.URL+"/api/v1/reports", strings.NewReader(s.body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", s.key)
					resp, err := client.Do(req)
					if err != nil {
						return // the server is gone
					}
					var r map[string]any
					json.NewDecoder(resp.Body).Decode(&r)
					resp.Body.Close()
					if resp.StatusCode == 201 {
						mu.Lock()
						s.ref = r["case"].(string)
						acked++
						if acked == killAt {
							p.cmd.Process.Signal(syscall.SIGKILL)
							close(killed)
						}
						mu.Unlock()
					}
				}
			}(c)
		}
		select {
		case <-killed:
		case <-time.After(2 * time.Minute):
			t.Fatal("the server never acknowledged enough reports")
		}
		wg.Wait()
		p.cmd.Wait()

		// Restart on the same data and database; every client retries every
		// request it sent, acknowledged or not, with the same key.
		p = startProcess(t, data, database)
		defer func() {
			p.cmd.Process.Signal(syscall.SIGTERM)
			require.NoError(t, p.cmd.Wait(), "SIGTERM ends undox cleanly")
		}()
		ackedBefore := 0
		for _, s := range all {
			req, _ := http.NewRequest("POST", p.URL+"/api/v1/reports", strings.NewReader(s.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", s.key)
			resp, err := client.Do(req)
			require.NoError(t, err)
			var r map[string]any
			json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			require.Equal(t, 201, resp.StatusCode, r)
			if s.ref != "" {
				ackedBefore++
				require.Equal(t, s.ref, r["case"], "an acknowledged report survives kill -9 and answers the same")
			}
			s.ref = r["case"].(string)
		}
		require.GreaterOrEqual(t, ackedBefore, killAt)

		// Exactly one case per request, and every referral-only case in
		// exactly one triage job (the others wait for the capture
		// dispatch, which this test's data folder keeps on the items).
		db, err := sqlstore.Open(context.Background(), database, data)
		require.NoError(t, err)
		defer db.Close()
		var cases int
		require.NoError(t, db.SQL.QueryRow(`SELECT count(*) FROM cases`).Scan(&cases))
		require.Equal(t, len(all), cases, "no report stored twice")
		argsCol := "json(args)" // River keeps SQLite args as JSONB
		if db.Dialect == sqlstore.Postgres {
			argsCol = "args::text"
		}
		rows, err := db.SQL.Query(`SELECT ` + argsCol + ` FROM river_job WHERE kind = 'triage'`)
		require.NoError(t, err)
		perCase := map[int64]int{}
		for rows.Next() {
			var raw []byte
			require.NoError(t, rows.Scan(&raw))
			var a struct {
				CaseIDs []int64 `json:"case_ids"`
			}
			require.NoError(t, json.Unmarshal(raw, &a))
			for _, id := range a.CaseIDs {
				perCase[id]++
			}
		}
		require.NoError(t, rows.Err())
		rows.Close()
		referral := map[int64]bool{}
		hrows, err := db.SQL.Query(`SELECT id FROM cases WHERE handling = 'csam'`)
		require.NoError(t, err)
		for hrows.Next() {
			var id int64
			require.NoError(t, hrows.Scan(&id))
			referral[id] = true
		}
		require.NoError(t, hrows.Err())
		hrows.Close()
		require.NotEmpty(t, referral)
		require.Len(t, perCase, len(referral), "every referral-only case is queued for triage")
		for id, n := range perCase {
			require.True(t, referral[id], "case %d is referral-only", id)
			require.Equal(t, 1, n, "case %d is queued for triage once", id)
		}
	})
}

// TestOneServePerDataFolder: on SQLite one undox serve works the queue; a
// second one on the same data folder is refused with a clear error, and
// can start once the first has stopped.
func TestOneServePerDataFolder(t *testing.T) {
	data := t.TempDir()
	in := startServe(t, data, "")
	err := run(context.Background(), []string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, nil, io.Discard, io.Discard)
	require.ErrorContains(t, err, "another undox serve is using the data folder")
	in.Stop(t)
	startServe(t, data, "").Stop(t)
}
