package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/sqlstore"
)

var messageIDRE = regexp.MustCompile(`(?mi)^Message-Id:\s*(\S+)`)

// TestNoticeSurvivesKill: undox serve, a process of its own, is killed
// with SIGKILL while it sends a notice — before DATA, inside the DATA
// window (the server has the whole message and has not answered), and
// after the send was committed. After each restart the notice has gone
// out exactly once, except in the DATA window, where the second copy
// carries the same Message-ID so that the receiver can tell.
func TestNoticeSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><title>Exposed</title><p>Synthetic Person lives at Testlaan 9, 9999 ZZ Nergensdorp.</p></html>`)
	}))
	defer site.Close()
	_, port, _ := net.SplitHostPort(site.Listener.Addr().String())
	testDNS().Set("killhost.test", netip.MustParseAddr("127.0.0.1"))

	for _, tc := range []struct {
		name, hold string
		copies     int
	}{
		{"before DATA", "rcpt", 1},
		{"in the DATA window", "data", 2},
		{"after the send was committed", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mb, smtpAddr := startHoldingMailbox(t, tc.hold)
			data := t.TempDir()
			args := []string{"--allow-networks", "127.0.0.1/32", "--allow-any-port",
				"--smtp", "smtp://" + smtpAddr, "--mail-from", "meldingen@meldpunt.example", "--notifier-name", "Meldpunt Voorbeeld"}
			p := startProcess(t, data, "", args...)
			analyst := newToken(t, &instance{Data: data}, "analyst")
			code, body := call(t, "POST", p.URL+"/api/v1/contacts", analyst, map[string]any{"scope": "domain", "key": "killhost.test",
				"role": "host", "name": "Voorbeeld Hosting", "email": "abuse@hosting.example", "language": "en"})
			require.Equal(t, 201, code, body)
			_, item, n := reportConfirmed(t, p.URL, analyst, map[string]any{
				"urls": []string{"http://killhost.test:" + port + "/t/" + tc.hold}, "category": "doxing"})
			nid := strconv.FormatInt(int64(n["id"].(float64)), 10)
			itemPath := item[len(p.URL):]
			notice := func(base string) map[string]any {
				_, l := call(t, "GET", base+itemPath+"/notices", analyst, nil)
				for _, n := range l["notices"].([]any) {
					if n := n.(map[string]any); strconv.FormatInt(int64(n["id"].(float64)), 10) == nid {
						return n
					}
				}
				return nil
			}
			code, body = call(t, "POST", p.URL+"/api/v1/notices/"+nid+"/approve", analyst, nil)
			require.Equal(t, 202, code, body)

			if tc.hold != "" {
				select {
				case <-mb.held:
				case <-time.After(60 * time.Second):
					t.Fatal("the notice never reached the SMTP server")
				}
			} else {
				require.Eventually(t, func() bool { return notice(p.URL)["status"] == "sent" }, 60*time.Second, 50*time.Millisecond)
			}
			require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
			p.cmd.Wait()
			if tc.hold != "" {
				close(mb.release)
			}

			p = startProcess(t, data, "", args...)
			defer func() {
				p.cmd.Process.Signal(syscall.SIGTERM)
				p.cmd.Wait()
			}()
			require.Eventually(t, func() bool { return notice(p.URL)["status"] == "sent" }, 60*time.Second, 50*time.Millisecond,
				"the notice is sent after the restart")
			// Nothing is left that could send it again.
			db, err := sqlstore.Open(context.Background(), "", data)
			require.NoError(t, err)
			defer db.Close()
			require.Eventually(t, func() bool {
				var waiting int
				require.NoError(t, db.SQL.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'send_notice'
                    AND state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`).Scan(&waiting))
				return waiting == 0
			}, 30*time.Second, 50*time.Millisecond)

			msgs, to := mb.received()
			require.Len(t, msgs, tc.copies)
			ids := map[string]bool{}
			for i, m := range msgs {
				require.Equal(t, "abuse@hosting.example", to[i])
				id := messageIDRE.FindStringSubmatch(m)
				require.NotNil(t, id, "every copy has a Message-ID")
				ids[id[1]] = true
			}
			require.Len(t, ids, 1, "a second copy carries the same Message-ID")
		})
	}
}
