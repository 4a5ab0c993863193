// Package mailtest runs mail servers on loopback for tests: an SMTP
// server that keeps the messages it accepts, and an IMAP server with one
// mailbox to put replies in.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// Message is a message as the SMTP server accepted it.
type Message struct {
	From string
	To   []string
	Data []byte
}

// ErrDrop, from Mailbox.Data, closes the connection without an answer
// to the message.
var ErrDrop = errors.New("mailtest: the connection is dropped")

// Mailbox is an SMTP server on 127.0.0.1 that keeps every message it
// accepts and, as strict servers do, refuses a second EHLO in a session.
// The hooks, set before Start, change what it answers.
type Mailbox struct {
	// Rcpt, when set, is asked about each recipient: an error refuses it
	// (an *smtp.SMTPError with its code). It may block, to hold the
	// session there.
	Rcpt func(to string) error
	// Data, when set, is called with each message once it is kept, before
	// the server answers: an error refuses it (ErrDrop drops the
	// connection instead). It may block, to hold the session in the DATA
	// window.
	Data func(Message) error

	mu   sync.Mutex
	msgs []Message
}

// Start starts the server, which stops when the test ends, and returns its
// address ("127.0.0.1:port").
func (m *Mailbox) Start(tb testing.TB) string {
	tb.Helper()
	s := smtp.NewServer(m)
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	go func() { _ = s.Serve(l) }()
	tb.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// Messages returns the messages kept so far, in the order they came.
func (m *Mailbox) Messages() []Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Message(nil), m.msgs...)
}

// NewSession implements smtp.Backend.
func (m *Mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{m: m, c: c}, nil }

// session is strict as some servers are (Python's smtpd): a second EHLO
// in a session is refused with "503 Duplicate HELO/EHLO". go-smtp takes
// one as a reset; the session tells it apart (a reset before MAIL) and
// refuses the MAIL that follows.
type session struct {
	m     *Mailbox
	c     *smtp.Conn
	from  string
	to    []string
	began bool // MAIL was given in this session
	dup   bool // a second EHLO came
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.dup {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Duplicate HELO/EHLO"}
	}
	s.from, s.began = from, true
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.m.Rcpt != nil {
		if err := s.m.Rcpt(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg := Message{From: s.from, To: append([]string(nil), s.to...), Data: data}
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, msg)
	s.m.mu.Unlock()
	if s.m.Data == nil {
		return nil
	}
	err = s.m.Data(msg)
	if errors.Is(err, ErrDrop) {
		s.c.Conn().Close()
	}
	return err
}

func (s *session) Reset() {
	if !s.began {
		s.dup = true
	}
	s.from, s.to = "", nil
}

func (s *session) Logout() error { return nil }

// IMAPOptions are the TLS of an IMAP server: none when both are nil.
type IMAPOptions struct {
	StartTLS    *tls.Config // offered with STARTTLS
	ImplicitTLS *tls.Config // from the first byte
}

// StartIMAP runs go-imap's in-memory server on 127.0.0.1 with one user,
// "replies" with the password "secret", and an empty INBOX. It stops when
// the test ends. It returns the server's address and the user, to
// Deliver to.
func StartIMAP(tb testing.TB, o IMAPOptions) (string, *imapmemserver.User) {
	tb.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("replies", "secret")
	require.NoError(tb, user.Create("INBOX", nil))
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		TLSConfig:    o.StartTLS,
		Logger:       log.New(io.Discard, "", 0),
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	if o.ImplicitTLS != nil {
		l = tls.NewListener(l, o.ImplicitTLS)
	}
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { srv.Close() })
	return l.Addr().String(), user
}

// Deliver puts a message in the user's INBOX; its lines may end in "\n"
// or "\r\n".
func Deliver(tb testing.TB, user *imapmemserver.User, msg string) {
	tb.Helper()
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, "\r\n", "\n"), "\n", "\r\n")
	_, err := user.Append("INBOX", bytes.NewReader([]byte(msg)), &imap.AppendOptions{})
	require.NoError(tb, err)
}
