package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/mail/mailtest"
)

// mailbox is mailtest's SMTP server. With hold set to "rcpt" or "data",
// its first session stops there (for "data", after it has the whole
// message, before it answers) and signals held, until release is closed:
// a test kills undox meanwhile.
type mailbox struct {
	box      mailtest.Mailbox
	held     chan struct{}
	release  chan struct{}
	holdOnce sync.Once
}

// received returns the messages so far, and the recipients of each in
// turn.
func (m *mailbox) received() ([]string, []string) {
	var msgs, to []string
	for _, msg := range m.box.Messages() {
		msgs, to = append(msgs, string(msg.Data)), append(to, msg.To...)
	}
	return msgs, to
}

func startMailbox(t *testing.T) (*mailbox, string) {
	return startHoldingMailbox(t, "")
}

func startHoldingMailbox(t *testing.T, hold string) (*mailbox, string) {
	m := &mailbox{held: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(func() {
		select {
		case <-m.release:
		default:
			close(m.release)
		}
	})
	stop := func(stage string) {
		if stage == hold {
			m.holdOnce.Do(func() {
				close(m.held)
				<-m.release
			})
		}
	}
	m.box.Rcpt = func(string) error { stop("rcpt"); return nil }
	m.box.Data = func(mailtest.Message) error { stop("data"); return nil }
	return m, m.box.Start(t)
}

// reportConfirmed reports a page to undox at base (report is the body of
// the request), waits until its item is captured and traced, and
// confirms it as the analyst with token. It returns the receipt, the
// item's API address and the notice that the confirmation prepared.
func reportConfirmed(t *testing.T, base, token string, report map[string]any) (map[string]any, string, map[string]any) {
	t.Helper()
	code, rcpt := call(t, "POST", base+"/api/v1/reports", "", report)
	require.Equal(t, 201, code, rcpt)
	_, c := call(t, "GET", base+"/api/v1/cases/"+rcpt["case"].(string), token, nil)
	item := base + "/api/v1/items/" + strconv.FormatInt(int64(c["items"].([]any)[0].(map[string]any)["id"].(float64)), 10)
	waitCapturedAndTraced(t, item, token)
	code, confirmed := call(t, "POST", item+"/confirm", token, map[string]any{"reason": "doxes a home address"})
	require.Equal(t, 200, code, confirmed)
	return rcpt, item, confirmed["notice"].(map[string]any)
}

// waitCapturedAndTraced waits until undox has captured and traced the
// item at its API address.
func waitCapturedAndTraced(t *testing.T, item, token string) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, it := call(t, "GET", item, token, nil)
		return it["status"] == "captured" && it["traced_at"] != nil
	}, 60*time.Second, 100*time.Millisecond, "%s captured and traced", item)
}

// waitItemStatus waits until the item at its API address is in status.
func waitItemStatus(t *testing.T, item, token, status string) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, it := call(t, "GET", item, token, nil)
		return it["status"] == status
	}, 30*time.Second, 100*time.Millisecond, "%s is %s", item, status)
}

// recheckUntilRemoved has the item at its API address, whose page is
// gone, checked twice (an analyst's "check now" confirms a removal at
// once), and waits until two checks agree and it is removed.
func recheckUntilRemoved(t *testing.T, item, token string) {
	t.Helper()
	checks := func() int {
		_, l := call(t, "GET", item+"/checks", token, nil)
		list, _ := l["checks"].([]any)
		return len(list)
	}
	before := checks()
	for i := 1; i <= 2; i++ {
		// "Check now" is one check while one waits or runs: press it
		// until this one is done.
		require.Eventually(t, func() bool {
			code, body := call(t, "POST", item+"/recheck", token, nil)
			require.Equal(t, 202, code, body)
			time.Sleep(200 * time.Millisecond)
			return checks() >= before+i
		}, 30*time.Second, 10*time.Millisecond, "check %d", i)
	}
	waitItemStatus(t, item, token, "removed")
}

// TestTakedownEndToEnd: a report goes through capture and trace; an
// analyst confirms the item and approves its notice; the notice arrives at
// the host's abuse address with the URL and an X-ARF report; the site
// removes the page; two checks agree, and the item is removed.
func TestTakedownEndToEnd(t *testing.T) {
	var gone atomic.Bool
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gone.Load() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><title>Exposed</title><p>Synthetic Person lives at Testlaan 9, 9999 ZZ Nergensdorp.</p></html>`)
	}))
	defer site.Close()
	_, port, _ := net.SplitHostPort(site.Listener.Addr().String())
	testDNS().Set("doxhost.test", netip.MustParseAddr("127.0.0.1"))
	mb, smtpAddr := startMailbox(t)

	in := startServe(t, t.TempDir(), "", "--allow-networks", "127.0.0.1/32", "--allow-any-port",
		"--smtp", "smtp://"+smtpAddr, "--mail-from", "meldingen@meldpunt.example",
		"--notifier-name", "Meldpunt Voorbeeld", "--trusted-flagger", "ACM/UIT/000001")
	analyst := newToken(t, in, "analyst")

	// The host's abuse desk, as the analysts know it.
	code, body := call(t, "POST", in.URL+"/api/v1/contacts", analyst, map[string]any{"scope": "domain", "key": "doxhost.test",
		"role": "host", "name": "Voorbeeld Hosting", "email": "abuse@hosting.example", "language": "nl"})
	require.Equal(t, 201, code, body)

	pageURL := "http://doxhost.test:" + port + "/t/1"
	rcpt, item, n := reportConfirmed(t, in.URL, analyst, map[string]any{"urls": []string{pageURL}, "category": "doxing"})
	ref := rcpt["case"].(string)
	require.Equal(t, "abuse@hosting.example", n["address"])
	nid := strconv.FormatInt(int64(n["id"].(float64)), 10)
	code, body = call(t, "POST", in.URL+"/api/v1/notices/"+nid+"/approve", analyst, nil)
	require.Equal(t, 202, code, body)

	require.Eventually(t, func() bool { msgs, _ := mb.received(); return len(msgs) == 1 }, 60*time.Second, 100*time.Millisecond, "the notice is sent")
	msgs, to := mb.received()
	require.Equal(t, []string{"abuse@hosting.example"}, to)
	msg := msgs[0]
	require.Contains(t, msg, "X-ARF: yes")
	require.Contains(t, msg, "doxhost.test")
	require.Contains(t, msg, "Meldpunt Voorbeeld")
	require.NotContains(t, msg, ref, "a notice never names the case")
	waitItemStatus(t, item, analyst, "notified")

	// The host removes the page; two checks agree.
	gone.Store(true)
	recheckUntilRemoved(t, item, analyst)
	_, c := call(t, "GET", in.URL+"/api/v1/cases/"+ref, analyst, nil)
	notices := c["items"].([]any)[0].(map[string]any)["notices"].([]any)
	require.Equal(t, "sent", notices[0].(map[string]any)["status"])
	require.True(t, strings.HasPrefix(notices[0].(map[string]any)["sent_at"].(string), time.Now().UTC().Format("2006")))
}
