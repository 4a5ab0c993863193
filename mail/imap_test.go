package mail_test

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox/mail"
	"github.com/undox/undox/mail/mailtest"
)

type imapOpts struct {
	implicitTLS bool // TLS from the first byte
	startTLS    bool // offer STARTTLS
}

// startIMAP runs mailtest's IMAP server, with the test certificate,
// whose INBOX holds msgs.
func startIMAP(t *testing.T, o imapOpts, msgs ...string) (string, *imapmemserver.User) {
	t.Helper()
	cert, _ := testCert(t)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	var opts mailtest.IMAPOptions
	if o.startTLS {
		opts.StartTLS = tlsCfg
	}
	if o.implicitTLS {
		opts.ImplicitTLS = tlsCfg
	}
	addr, user := mailtest.StartIMAP(t, opts)
	for _, m := range msgs {
		mailtest.Deliver(t, user, m)
	}
	return addr, user
}

func TestFetchReplies(t *testing.T) {
	addr, user := startIMAP(t, imapOpts{}, normalReply, outOfOffice, dsnBounce, taggedReply)
	mb, err := mail.NewMailbox(mail.MailboxConfig{URL: "imap://replies:secret@" + addr + "/INBOX"})
	require.NoError(t, err)
	ctx := context.Background()

	rs, err := mb.Fetch(ctx, 0)
	require.NoError(t, err)
	require.Len(t, rs, 4)
	for i, r := range rs {
		require.Equal(t, uint32(i+1), r.UID)
		require.NotZero(t, r.UIDValidity)
	}
	// A normal reply, matched by In-Reply-To.
	require.Equal(t, int64(42), rs[0].NoticeID)
	require.Equal(t, "in-reply-to", rs[0].MatchedBy)
	require.Equal(t, "We have removed the content. Café.", rs[0].Text)
	require.False(t, rs[0].AutoReply)
	require.Nil(t, rs[0].Bounce)
	// An out-of-office reply.
	require.True(t, rs[1].AutoReply)
	require.Equal(t, int64(43), rs[1].NoticeID)
	// A DSN bounce, matched by the returned original's Message-ID.
	require.NotNil(t, rs[2].Bounce)
	require.True(t, rs[2].Bounce.Permanent)
	require.True(t, rs[2].Bounce.DSN)
	require.Equal(t, "abuse@gone.example", rs[2].Bounce.Recipient)
	require.Equal(t, "5.1.1", rs[2].Bounce.Status)
	require.Equal(t, int64(44), rs[2].NoticeID)
	// A reply to the tagged address.
	require.Equal(t, int64(45), rs[3].NoticeID)
	require.Equal(t, "address", rs[3].MatchedBy)
	require.Equal(t, "[Ticket #5521] Your report", rs[3].Subject)

	// From a UID on.
	rs, err = mb.Fetch(ctx, 2)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	require.Equal(t, uint32(3), rs[0].UID)
	// Nothing new: "5:*" must not return the last message again.
	rs, err = mb.Fetch(ctx, 4)
	require.NoError(t, err)
	require.Empty(t, rs)
	// A new message arrives.
	mailtest.Deliver(t, user, strings.Replace(outOfOffice, "undox-notice-43", "undox-notice-50", 1))
	rs, err = mb.Fetch(ctx, 4)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, uint32(5), rs[0].UID)
	require.Equal(t, int64(50), rs[0].NoticeID)

	// At most MaxMessages at a time.
	mb.Config.MaxMessages = 2
	rs, err = mb.Fetch(ctx, 0)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	require.Equal(t, uint32(2), rs[1].UID)

	// A long message is read from its start.
	mb.Config.MaxMessageBytes = 200
	rs, err = mb.Fetch(ctx, 2)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	require.Equal(t, "Undelivered Mail Returned to Sender", rs[0].Subject)

	// Fetch leaves the mailbox as it was: nothing is marked seen.
	st, err := user.Status("INBOX", &imap.StatusOptions{NumMessages: true, NumUnseen: true})
	require.NoError(t, err)
	require.Equal(t, uint32(5), *st.NumMessages)
	require.Equal(t, uint32(5), *st.NumUnseen)
}

func TestFetchEmptyAndErrors(t *testing.T) {
	addr, _ := startIMAP(t, imapOpts{})
	ctx := context.Background()
	mb := &mail.Mailbox{Config: mail.MailboxConfig{URL: "imap://replies:secret@" + addr}}
	rs, err := mb.Fetch(ctx, 0)
	require.NoError(t, err)
	require.Empty(t, rs)

	mb.Config.URL = "imap://replies:wrong@" + addr
	_, err = mb.Fetch(ctx, 0)
	require.ErrorContains(t, err, "mail: imap login")

	mb.Config.URL = "imap://replies:secret@" + addr + "/Archive"
	_, err = mb.Fetch(ctx, 0)
	require.ErrorContains(t, err, "select Archive")

	// Without TLS, the password goes to loopback hosts only.
	mb.Config.URL = "imap://replies:secret@imap.example/INBOX?starttls=opportunistic"
	mb.Config.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	_, err = mb.Fetch(ctx, 0)
	require.ErrorContains(t, err, "refusing to send the password without TLS")
	// And STARTTLS is required for them by default.
	mb.Config.URL = "imap://replies:secret@imap.example/INBOX"
	_, err = mb.Fetch(ctx, 0)
	require.ErrorContains(t, err, "STARTTLS")

	_, err = mail.NewMailbox(mail.MailboxConfig{URL: "pop3://x"})
	require.ErrorContains(t, err, "imap:// or imaps://")
}

func TestFetchOverTLS(t *testing.T) {
	ctx := context.Background()
	addr, _ := startIMAP(t, imapOpts{implicitTLS: true}, normalReply)
	mb := &mail.Mailbox{Config: mail.MailboxConfig{URL: "imaps://replies:secret@" + addr, TLSConfig: trusting(t)}}
	rs, err := mb.Fetch(ctx, 0)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, int64(42), rs[0].NoticeID)

	// STARTTLS, required, to a host name that the certificate names.
	addr2, _ := startIMAP(t, imapOpts{startTLS: true}, taggedReply)
	mb = &mail.Mailbox{Config: mail.MailboxConfig{URL: "imap://replies:secret@mail.example/INBOX", TLSConfig: trusting(t),
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr2)
		}}}
	rs, err = mb.Fetch(ctx, 0)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, int64(45), rs[0].NoticeID)

	// Opportunistic on loopback: STARTTLS is used when offered.
	mb = &mail.Mailbox{Config: mail.MailboxConfig{URL: "imap://replies:secret@" + addr2, TLSConfig: trusting(t)}}
	rs, err = mb.Fetch(ctx, 0)
	require.NoError(t, err)
	require.Len(t, rs, 1)

	// An untrusted certificate fails.
	mb = &mail.Mailbox{Config: mail.MailboxConfig{URL: "imaps://replies:secret@" + addr}}
	_, err = mb.Fetch(ctx, 0)
	require.ErrorContains(t, err, "certificate")
}

func TestFetchServerHangs(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		<-done
		c.Close()
	}()
	mb := &mail.Mailbox{Config: mail.MailboxConfig{URL: "imap://" + l.Addr().String(), Timeout: 200 * time.Millisecond}}
	_, err = mb.Fetch(context.Background(), 0)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
