package main

import (
	"fmt"
	"io"
	"log"
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

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// mailbox is an SMTP server on loopback that keeps what it is sent. With
// hold set to "rcpt" or "data", its first session stops there (for
// "data", after it has the whole message, before it answers) and signals
// held, until release is closed: a test kills undox meanwhile.
type mailbox struct {
	mu   sync.Mutex
	msgs []string
	to   []string

	hold     string
	held     chan struct{}
	release  chan struct{}
	holdOnce sync.Once
}

func (m *mailbox) stop(stage string) {
	if m.hold != stage {
		return
	}
	m.holdOnce.Do(func() {
		close(m.held)
		<-m.release
	})
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }

func (m *mailbox) received() ([]string, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.msgs...), append([]string(nil), m.to...)
}

type mailSession struct {
	m  *mailbox
	to []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	s.m.stop("rcpt")
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, string(b))
	s.m.to = append(s.m.to, s.to...)
	s.m.mu.Unlock()
	s.m.stop("data")
	return nil
}
func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

func startMailbox(t *testing.T) (*mailbox, string) {
	return startHoldingMailbox(t, "")
}

func startHoldingMailbox(t *testing.T, hold string) (*mailbox, string) {
	m := &mailbox{hold: hold, held: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(func() {
		select {
		case <-m.release:
		default:
			close(m.release)
		}
	})
	s := smtp.NewServer(m)
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return m, l.Addr().String()
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
	code, rcpt := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{pageURL}, "category": "doxing"})
	require.Equal(t, 201, code, rcpt)
	ref := rcpt["case"].(string)
	_, c := call(t, "GET", in.URL+"/api/v1/cases/"+ref, analyst, nil)
	itemID := int64(c["items"].([]any)[0].(map[string]any)["id"].(float64))
	item := in.URL + "/api/v1/items/" + strconv.FormatInt(itemID, 10)
	require.Eventually(t, func() bool {
		_, it := call(t, "GET", item, analyst, nil)
		return it["status"] == "captured" && it["traced_at"] != nil
	}, 60*time.Second, 100*time.Millisecond, "captured and traced")

	code, confirmed := call(t, "POST", item+"/confirm", analyst, map[string]any{"reason": "doxes a home address"})
	require.Equal(t, 200, code, confirmed)
	n := confirmed["notice"].(map[string]any)
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
	require.Eventually(t, func() bool {
		_, it := call(t, "GET", item, analyst, nil)
		return it["status"] == "notified"
	}, 30*time.Second, 100*time.Millisecond)

	// The host removes the page; two checks agree.
	gone.Store(true)
	checks := func() int {
		_, l := call(t, "GET", item+"/checks", analyst, nil)
		list, _ := l["checks"].([]any)
		return len(list)
	}
	before := checks()
	for i := 1; i <= 2; i++ {
		// "Check now" is one check while one waits or runs: press it
		// until this one is done.
		require.Eventually(t, func() bool {
			code, body = call(t, "POST", item+"/recheck", analyst, nil)
			require.Equal(t, 202, code, body)
			time.Sleep(200 * time.Millisecond)
			return checks() >= before+i
		}, 30*time.Second, 10*time.Millisecond, "check %d", i)
	}
	require.Eventually(t, func() bool {
		_, it := call(t, "GET", item, analyst, nil)
		return it["status"] == "removed"
	}, 30*time.Second, 100*time.Millisecond, "removed after two checks agree")
	_, c = call(t, "GET", in.URL+"/api/v1/cases/"+ref, analyst, nil)
	notices := c["items"].([]any)[0].(map[string]any)["notices"].([]any)
	require.Equal(t, "sent", notices[0].(map[string]any)["status"])
	require.True(t, strings.HasPrefix(notices[0].(map[string]any)["sent_at"].(string), time.Now().UTC().Format("2006")))
}
