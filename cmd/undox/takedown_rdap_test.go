package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/mail/mailtest"
	"github.com/undox/undox/notice"
)

// mimeParts walks an e-mail and returns the decoded body of each leaf
// part by media type (text/plain, application/json…), in order.
func mimeParts(t *testing.T, raw string) map[string][]string {
	t.Helper()
	m, err := netmail.ReadMessage(strings.NewReader(raw))
	require.NoError(t, err)
	out := map[string][]string{}
	var walk func(ct, cte string, body io.Reader)
	walk = func(ct, cte string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		require.NoError(t, err)
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					return
				}
				require.NoError(t, err)
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			}
		}
		switch strings.ToLower(cte) {
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(body)
		require.NoError(t, err)
		out[mt] = append(out[mt], string(b))
	}
	walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body)
	return out
}

// TestTakedownRDAPRepliesAndTimeline is the takedown issue's first end to
// end test, with every server real and on loopback: a doxing site, DNS,
// RDAP answering with real registry documents, SMTP and IMAP. A report
// goes through capture, trace (the host's abuse address from RDAP) and an
// analyst's approval; the notice reaches that address with every element
// of DSA art. 16 and a valid X-ARF report; the host's reply arrives in the
// mailbox and is recorded with the notice; the site removes the page;
// re-checks confirm; the case closes, and the victim's status page says so.
func TestTakedownRDAPRepliesAndTimeline(t *testing.T) {
	var gone atomic.Bool
	l, err := net.Listen("tcp", "127.0.0.10:0")
	require.NoError(t, err)
	site := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gone.Load() {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><title>Exposed</title><p>Synthetic Person lives at Testlaan 9, 9999 ZZ Nergensdorp. Call 06-12345678.</p></html>`)
	}))
	site.Listener.Close()
	site.Listener = l
	site.Start()
	defer site.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	testDNS().Set("www.20c.com", netip.MustParseAddr("127.0.0.10"))
	rdapSrv, _ := fakeRDAP(t, map[string]string{
		"/registry/ip/127.0.0.10": "arin/ip-13.64.0.0.json",
		"/com/v1/domain/20c.com":  "verisign/domain-20c.com.json",
	})
	mb, smtpAddr := startMailbox(t)
	imapAddr, replies := mailtest.StartIMAP(t, mailtest.IMAPOptions{})

	in := startServe(t, t.TempDir(), "", "--allow-networks", "127.0.0.0/8", "--allow-any-port",
		"--rdap-override", "127.0.0.10/32="+rdapSrv.URL+"/registry/,com="+rdapSrv.URL+"/com/v1/", "--rdap-rate", "-1",
		"--smtp", "smtp://"+smtpAddr, "--mail-from", "meldingen@meldpunt.example",
		"--imap", "imap://replies:secret@"+imapAddr+"/INBOX", "--takedown-every", "200ms",
		"--notifier-name", "Meldpunt Voorbeeld", "--trusted-flagger", "ACM/UIT/000001")
	analyst := newToken(t, in, "analyst")

	pageURL := "http://www.20c.com:" + port + "/t/1"
	rcpt, item, n := reportConfirmed(t, in.URL, analyst, map[string]any{"urls": []string{pageURL}, "category": "doxing",
		"language": "nl", "reporter_email": "ouder@mail.example", "consent": true})
	ref := rcpt["case"].(string)
	statusURL := rcpt["status_url"].(string)

	// The trace found the host's abuse desk in the address's RDAP record.
	require.Equal(t, "abuse@microsoft.com", n["address"])
	require.Equal(t, "host", n["role"])
	nid := int64(n["id"].(float64))
	code, body := call(t, "POST", in.URL+"/api/v1/notices/"+strconv.FormatInt(nid, 10)+"/approve", analyst, nil)
	require.Equal(t, 202, code, body)
	require.Eventually(t, func() bool { _, to := mb.received(); return slices.Contains(to, "abuse@microsoft.com") }, 60*time.Second, 100*time.Millisecond, "the notice is sent")

	// One notice, to the address RDAP names, with every element of
	// DSA art. 16(2) and nothing that names the victim.
	// (The victim, who asked for e-mail, got the status link and may hear
	// of the notice at the same time.)
	msgs, to := mb.received()
	var notices []string
	for i, a := range to {
		if a != "ouder@mail.example" {
			require.Equal(t, "abuse@microsoft.com", a)
			notices = append(notices, msgs[i])
		}
	}
	require.Len(t, notices, 1)
	msg := notices[0]
	m, err := netmail.ReadMessage(strings.NewReader(msg))
	require.NoError(t, err)
	messageID := m.Header.Get("Message-Id")
	require.NotEmpty(t, messageID)
	parts := mimeParts(t, msg)
	text := strings.Join(parts["text/plain"], "\n")
	for _, want := range []string{
		pageURL,                      // (b) the exact electronic location
		"285d",                       // (a) why it is illegal: the legal basis
		"Meldpunt Voorbeeld",         // (c) the notifier's name
		"meldingen@meldpunt.example", // and e-mail address
		"good faith",                 // (d) the statement of good faith
		"ACM/UIT/000001",             // the trusted flagger's designation (art. 22)
		"16(5)",                      // the decision owed to the notifier
		in.URL + "/respond/",         // the private response link, on the address undox listens on
	} {
		require.Contains(t, text, want)
	}
	for _, personal := range []string{ref, "ouder@mail.example", "Testlaan 9", "06-12345678"} {
		require.NotContains(t, msg, personal, "a notice never repeats personal data or names the case")
	}
	require.Len(t, parts["application/json"], 1, "the notice carries one X-ARF report")
	doc := []byte(parts["application/json"][0])
	require.NoError(t, notice.ValidateXARF(doc))
	require.Contains(t, string(doc), `"exposed_data"`)

	// The victim's status page says by when the page should be gone.
	require.Eventually(t, func() bool {
		resp, err := http.Get(statusURL)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return strings.Contains(string(b), "We hebben gevraagd de inhoud uiterlijk ") && strings.Contains(string(b), "Gebeurt dat niet, dan gaan we een stap verder.")
	}, 30*time.Second, 100*time.Millisecond, "the status page names the deadline")
	// So does the JSON view of the same link, with the timeline.
	apiStatus := strings.Replace(statusURL, "/status/", "/api/v1/status/", 1)
	require.Eventually(t, func() bool {
		_, v := call(t, "GET", apiStatus, "", nil)
		items, _ := v["items"].([]any)
		tl, _ := v["timeline"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["deadline"] != nil && len(tl) >= 1 &&
			tl[0].(map[string]any)["milestone"] == "notified"
	}, 30*time.Second, 100*time.Millisecond, "the status API gives the deadline and the timeline")

	// The host answers by e-mail; undox reads the reply from the mailbox
	// and records it with the notice.
	reply := "From: Abuse Desk <abuse@microsoft.com>\r\nTo: " + m.Header.Get("From") + "\r\nSubject: Re: " + m.Header.Get("Subject") +
		"\r\nMessage-Id: <reply-1@abuse.example>\r\nIn-Reply-To: " + messageID + "\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) +
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWe have removed the content.\r\n"
	mailtest.Deliver(t, replies, reply)
	require.Eventually(t, func() bool {
		_, l := call(t, "GET", item+"/notices", analyst, nil)
		for _, x := range l["notices"].([]any) {
			if x := x.(map[string]any); int64(x["id"].(float64)) == nid {
				return x["status"] == "answered"
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "the reply is recorded with its notice")

	// The site removes the page; two checks agree; the case closes.
	gone.Store(true)
	recheckUntilRemoved(t, item, analyst)
	_, c := call(t, "GET", in.URL+"/api/v1/cases/"+ref, analyst, nil)
	require.Equal(t, "closed", c["status"])

	// The victim's status page tells it in Dutch, and the victim, who
	// asked for e-mail, hears of each step without any detail.
	var page string
	require.Eventually(t, func() bool {
		resp, err := http.Get(statusURL)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page = string(b)
		return strings.Contains(page, "Uw melding is afgehandeld")
	}, 30*time.Second, 100*time.Millisecond, "the timeline says the case is closed")
	require.Contains(t, page, "gevraagd de inhoud te verwijderen")
	require.Contains(t, page, "offline gehaald")
	victimMails := func() int {
		_, to := mb.received()
		k := 0
		for _, a := range to {
			if a == "ouder@mail.example" {
				k++
			}
		}
		return k
	}
	for deadline := time.Now().Add(30 * time.Second); victimMails() < 3 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	msgs, to = mb.received()
	require.Equal(t, 3, victimMails(), "the status link, then notified, then removed and closed (which came together) in one e-mail: %v", to)
	first := true
	for i, a := range to {
		if a == "ouder@mail.example" {
			if first {
				require.Contains(t, msgs[i], statusURL, "the first is the status link")
				first = false
			}
			require.NotContains(t, msgs[i], "20c.com")
			require.NotContains(t, msgs[i], ref)
		}
	}
}
