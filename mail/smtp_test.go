package mail_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox/mail"
)

// testCert is a self-signed certificate for the loopback addresses and
// "localhost", and a pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	certOnce.Do(func() { theCert, thePool, certErr = makeCert() })
	require.NoError(t, certErr)
	return theCert, thePool
}

var (
	certOnce sync.Once
	theCert  tls.Certificate
	thePool  *x509.CertPool
	certErr  error
)

func makeCert() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "undox test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost", "mail.example"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// received is a message as the test server got it.
type received struct {
	From string
	To   []string
	Data []byte
	User string
	TLS  bool
}

// backend is an SMTP server's backend that keeps messages in memory.
type backend struct {
	mu       sync.Mutex
	msgs     []received
	log      []string // what happened, in order: rcpt, data, and the test's callbacks
	user     string
	pass     string
	rcptErr  map[string]*smtp.SMTPError
	dataErr  *smtp.SMTPError
	dropData bool // close the connection in the middle of DATA
	hellos   []string
}

// hello records a session's EHLO: "ehlo" or "ehlo over TLS".
func (b *backend) hello(c *smtp.Conn) {
	h := "ehlo"
	if _, ok := c.TLSConnectionState(); ok {
		h += " over TLS"
	}
	b.mu.Lock()
	b.hellos = append(b.hellos, h)
	b.mu.Unlock()
}

// greetings returns the EHLOs the server got, in order; a second one in a
// session is "duplicate ehlo".
func (b *backend) greetings() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.hellos...)
}

func (b *backend) event(s string) {
	b.mu.Lock()
	b.log = append(b.log, s)
	b.mu.Unlock()
}

func (b *backend) events() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.log...)
}

func (b *backend) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

// NewSession implements smtp.Backend. go-smtp calls it at the first
// EHLO of a connection, and again at the first after STARTTLS.
func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.hello(c)
	return &session{b: b, c: c}, nil
}

// session is strict as some servers are (Python's smtpd): a second EHLO
// in a session is refused, with "503 Duplicate HELO/EHLO". go-smtp itself
// accepts one as a reset; the session tells it apart (a reset before
// MAIL: undox never sends RSET there) and refuses the next command it
// sees, MAIL.
type session struct {
	b     *backend
	c     *smtp.Conn
	from  string
	to    []string
	user  string
	began bool // MAIL was given in this session
	dup   bool // a second EHLO came
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.b.user || password != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.dup {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Duplicate HELO/EHLO"}
	}
	s.began = true
	if s.b.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.event("rcpt " + to)
	if err := s.b.rcptErr[to]; err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	s.b.event("data")
	if s.b.dropData {
		buf := make([]byte, 16)
		_, _ = io.ReadFull(r, buf)
		s.c.Conn().Close()
		return errors.New("dropped")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.dataErr != nil {
		return s.b.dataErr
	}
	_, isTLS := s.c.TLSConnectionState()
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, received{From: s.from, To: s.to, Data: data, User: s.user, TLS: isTLS})
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset() {
	if !s.began && !s.dup {
		s.dup = true
		s.b.mu.Lock()
		s.b.hellos = append(s.b.hellos, "duplicate ehlo")
		s.b.mu.Unlock()
	}
	s.from, s.to = "", nil
}

func (s *session) Logout() error { return nil }

type serverOpts struct {
	startTLS     bool // offer STARTTLS
	implicitTLS  bool // TLS from the first byte
	insecureAuth bool // offer AUTH without TLS
}

// startSMTP runs a go-smtp server on 127.0.0.1 and returns its address.
func startSMTP(t *testing.T, be *backend, o serverOpts) string {
	t.Helper()
	cert, _ := testCert(t)
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.AllowInsecureAuth = o.insecureAuth
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if o.startTLS {
		s.TLSConfig = tlsCfg
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if o.implicitTLS {
		s.TLSConfig = tlsCfg
		l = tls.NewListener(l, tlsCfg)
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

const notice = "From: Hotline <abuse-replies@hotline.example>\r\n" +
	"To: abuse@host.example\r\n" +
	"Subject: Notice of illegal content\r\n" +
	"Message-ID: <undox-notice-7@hotline.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"The content at https://doxing.example/p/1 is illegal.\r\n" +
	".\r\n" +
	".a line that starts with a dot\r\n" +
	"Ünïcödé stays.\r\n"

// trusting is a TLS config that trusts the test certificate.
func trusting(t *testing.T) *tls.Config {
	_, pool := testCert(t)
	return &tls.Config{RootCAs: pool}
}

func TestSendSTARTTLSWithAuth(t *testing.T) {
	be := &backend{user: "undox", pass: "p@ss:word"}
	addr := startSMTP(t, be, serverOpts{startTLS: true})
	var s mail.Sender
	s.Config = mail.Config{
		URL:       "smtp://undox:p%40ss%3Aword@" + addr + "?starttls=required",
		From:      "abuse-replies@hotline.example",
		HelloName: "hotline.example",
		TLSConfig: trusting(t),
	}
	env := mail.Envelope{
		To:         []string{"abuse@host.example"},
		MessageID:  "<undox-notice-7@hotline.example>",
		OnData:     func() error { be.event("OnData"); return nil },
		OnAccepted: func() error { be.event("OnAccepted"); return nil },
	}
	require.NoError(t, s.Send(context.Background(), env, []byte(notice)))
	msgs := be.messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	require.Equal(t, notice, string(m.Data), "the message arrives intact")
	require.Contains(t, string(m.Data), "Message-ID: <undox-notice-7@hotline.example>\r\n")
	require.Equal(t, "abuse-replies@hotline.example", m.From)
	require.Equal(t, []string{"abuse@host.example"}, m.To)
	require.Equal(t, "undox", m.User)
	require.True(t, m.TLS)
	require.Equal(t, []string{"rcpt abuse@host.example", "OnData", "data", "OnAccepted"}, be.events())
}

func TestSendImplicitTLS(t *testing.T) {
	be := &backend{user: "undox", pass: "secret"}
	addr := startSMTP(t, be, serverOpts{implicitTLS: true})
	s, err := mail.NewSender(mail.Config{URL: "smtps://undox:secret@" + addr, From: "abuse-replies@hotline.example", TLSConfig: trusting(t)})
	require.NoError(t, err)
	// LF line ends are sent as CRLF.
	lf := strings.ReplaceAll(notice, "\r\n", "\n")
	require.NoError(t, s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"}, MessageID: "<undox-notice-7@hotline.example>"}, []byte(lf)))
	require.Equal(t, notice, string(be.messages()[0].Data))
	require.True(t, be.messages()[0].TLS)
}

// A strict server refuses a second EHLO in a session: undox says EHLO once
// per session, and once again after STARTTLS (RFC 3207).
func TestSendOneEHLOPerSession(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   serverOpts
		url    string
		hellos []string
	}{
		{"without STARTTLS", serverOpts{}, "smtp://%s", []string{"ehlo"}},
		{"STARTTLS offered", serverOpts{startTLS: true}, "smtp://%s", []string{"ehlo", "ehlo over TLS"}},
		{"STARTTLS required", serverOpts{startTLS: true}, "smtp://%s?starttls=required", []string{"ehlo", "ehlo over TLS"}},
		{"implicit TLS", serverOpts{implicitTLS: true}, "smtps://%s", []string{"ehlo over TLS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := &backend{}
			addr := startSMTP(t, be, tc.opts)
			s := &mail.Sender{Config: mail.Config{URL: strings.Replace(tc.url, "%s", addr, 1), From: "receipts@hotline.example",
				HelloName: "hotline.example", TLSConfig: trusting(t)}}
			err := s.Send(context.Background(), mail.Envelope{To: []string{"reporter@mailbox.example"}}, []byte(notice))
			require.NoError(t, err, "a server that refuses a second EHLO takes the message")
			require.Len(t, be.messages(), 1)
			require.Equal(t, tc.hellos, be.greetings())
		})
	}
}

func TestSendAddsOrChecksMessageID(t *testing.T) {
	be := &backend{}
	addr := startSMTP(t, be, serverOpts{})
	s := &mail.Sender{Config: mail.Config{URL: "smtp://" + addr, From: "abuse-replies@hotline.example"}}
	noID := strings.Replace(notice, "Message-ID: <undox-notice-7@hotline.example>\r\n", "", 1)
	env := mail.Envelope{To: []string{"abuse@host.example"}, MessageID: "<undox-notice-8@hotline.example>"}
	require.NoError(t, s.Send(context.Background(), env, []byte(noID)))
	require.True(t, strings.HasPrefix(string(be.messages()[0].Data), "Message-ID: <undox-notice-8@hotline.example>\r\nFrom: "))

	err := s.Send(context.Background(), env, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeConfig, e.Code)
	require.Contains(t, e.Message, "is not the recorded <undox-notice-8@hotline.example>")
	require.Len(t, be.messages(), 1)
}

func TestSendTemporaryAtRcpt(t *testing.T) {
	be := &backend{rcptErr: map[string]*smtp.SMTPError{
		"abuse@host.example": {Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "Mailbox busy, try later"},
	}}
	addr := startSMTP(t, be, serverOpts{})
	s := &mail.Sender{Config: mail.Config{URL: "smtp://" + addr, From: "abuse-replies@hotline.example"}}
	called := false
	err := s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"},
		OnData: func() error { called = true; return nil }}, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.True(t, e.Temporary)
	require.Equal(t, mail.StageRcpt, e.Stage)
	require.Equal(t, mail.CodeRecipientRejected, e.Code)
	require.Equal(t, 450, e.SMTPCode)
	require.Equal(t, "4.2.0", e.EnhancedCode)
	require.Equal(t, "abuse@host.example", e.Recipient)
	require.False(t, e.BadAddress())
	require.False(t, e.MaybeDelivered)
	require.False(t, called, "OnData is not called when a recipient is refused")
	require.Empty(t, be.messages())
	require.Equal(t, "smtp rcpt: recipient_rejected (abuse@host.example): 450 4.2.0 Mailbox busy, try later", e.Error())
}

func TestSendPermanentAtRcpt(t *testing.T) {
	be := &backend{rcptErr: map[string]*smtp.SMTPError{
		"gone@host.example": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"},
	}}
	addr := startSMTP(t, be, serverOpts{})
	s := &mail.Sender{Config: mail.Config{URL: "smtp://" + addr, From: "abuse-replies@hotline.example"}}
	// One refused recipient: nothing is sent to the others either.
	err := s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example", "gone@host.example"}}, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.False(t, e.Temporary)
	require.True(t, e.BadAddress())
	require.Equal(t, 550, e.SMTPCode)
	require.Equal(t, "gone@host.example", e.Recipient)
	require.Empty(t, be.messages())
}

func TestSendMessageRefused(t *testing.T) {
	be := &backend{dataErr: &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message refused"}}
	addr := startSMTP(t, be, serverOpts{})
	s := &mail.Sender{Config: mail.Config{URL: "smtp://" + addr, From: "abuse-replies@hotline.example"}}
	accepted := false
	err := s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"},
		OnAccepted: func() error { accepted = true; return nil }}, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.StageDot, e.Stage)
	require.Equal(t, mail.CodeMessageRejected, e.Code)
	require.False(t, e.Temporary)
	require.False(t, e.MaybeDelivered, "the server answered: it did not take the message")
	require.False(t, e.BadAddress())
	require.False(t, accepted)
}

func TestSendServerHangs(t *testing.T) {
	// A server that accepts the connection and never says a word.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	accepted := make(chan struct{}, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			accepted <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	s := &mail.Sender{Config: mail.Config{URL: "smtp://" + l.Addr().String(), From: "abuse-replies@hotline.example", Timeout: 200 * time.Millisecond}}
	err = s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"}}, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeTimeout, e.Code, err.Error())
	require.Equal(t, mail.StageConnect, e.Stage)
	require.True(t, e.Temporary)

	// Cancelling the context ends the wait too.
	s.Config.Timeout = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	<-accepted // the first Send's connection
	go func() {
		<-accepted
		cancel()
	}()
	err = s.Send(ctx, mail.Envelope{To: []string{"abuse@host.example"}}, []byte(notice))
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeCanceled, e.Code, err.Error())
	require.ErrorIs(t, err, context.Canceled)
}

func TestSendConnectionDroppedInData(t *testing.T) {
	be := &backend{dropData: true}
	addr := startSMTP(t, be, serverOpts{})
	s := &mail.Sender{Config: mail.Config{URL: "smtp://" + addr, From: "abuse-replies@hotline.example"}}
	var onData, onAccepted int
	err := s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"}, MessageID: "<undox-notice-7@hotline.example>",
		OnData:     func() error { onData++; return nil },
		OnAccepted: func() error { onAccepted++; return nil }}, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.StageData, e.Stage, err.Error())
	require.True(t, e.MaybeDelivered, "the DATA window: resend with the same Message-ID")
	require.True(t, e.Temporary)
	require.False(t, e.Accepted)
	require.Equal(t, 1, onData)
	require.Zero(t, onAccepted)
	require.Empty(t, be.messages())
}

func TestSendOnDataFails(t *testing.T) {
	be := &backend{}
	addr := startSMTP(t, be, serverOpts{})
	s := &mail.Sender{Config: mail.Config{URL: "smtp://" + addr, From: "abuse-replies@hotline.example"}}
	boom := errors.New("database is down")
	err := s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"},
		OnData: func() error { return boom }}, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeAborted, e.Code)
	require.ErrorIs(t, err, boom)
	require.False(t, e.MaybeDelivered)
	require.NotContains(t, be.events(), "data", "DATA was never sent")
	require.Empty(t, be.messages())
}

func TestSendOnAcceptedFails(t *testing.T) {
	be := &backend{}
	addr := startSMTP(t, be, serverOpts{})
	s := &mail.Sender{Config: mail.Config{URL: "smtp://" + addr, From: "abuse-replies@hotline.example"}}
	boom := errors.New("database is down")
	err := s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"},
		OnAccepted: func() error { return boom }}, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeUnrecorded, e.Code)
	require.True(t, e.Accepted, "the server has it: never resend")
	require.ErrorIs(t, err, boom)
	require.Len(t, be.messages(), 1)
}

func TestSendTLSProblems(t *testing.T) {
	// STARTTLS required, not offered.
	be := &backend{}
	addr := startSMTP(t, be, serverOpts{insecureAuth: true})
	s := &mail.Sender{Config: mail.Config{URL: "smtp://" + addr + "?starttls=required", From: "abuse-replies@hotline.example"}}
	err := s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"}}, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeTLS, e.Code)
	require.Equal(t, mail.StageConnect, e.Stage)
	require.False(t, e.Temporary)

	// A host that is not a loopback host requires STARTTLS by default.
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	s = &mail.Sender{Config: mail.Config{URL: "smtp://mail.example:587", From: "abuse-replies@hotline.example", Dial: dial}}
	err = s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"}}, []byte(notice))
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeTLS, e.Code)
	// Opportunistic, it never sends a password in clear to such a host.
	s.Config.URL = "smtp://user:secret@mail.example:587?starttls=opportunistic"
	err = s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"}}, []byte(notice))
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeTLS, e.Code)
	require.Contains(t, e.Message, "refusing to send the password without TLS")
	require.Empty(t, be.messages())

	// A certificate that is not trusted.
	be2 := &backend{}
	addr2 := startSMTP(t, be2, serverOpts{startTLS: true})
	s = &mail.Sender{Config: mail.Config{URL: "smtp://" + addr2 + "?starttls=required", From: "abuse-replies@hotline.example"}}
	err = s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"}}, []byte(notice))
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeTLS, e.Code, err.Error())
	require.False(t, e.Temporary)
	var uerr x509.UnknownAuthorityError
	require.ErrorAs(t, err, &uerr)

	// Through the Dial hook and STARTTLS to "mail.example", with its
	// certificate: all good.
	s = &mail.Sender{Config: mail.Config{URL: "smtp://mail.example:587", From: "abuse-replies@hotline.example", TLSConfig: trusting(t),
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr2)
		}}}
	require.NoError(t, s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"}}, []byte(notice)))
	require.True(t, be2.messages()[0].TLS)
}

func TestSendAuthFails(t *testing.T) {
	be := &backend{user: "undox", pass: "right"}
	addr := startSMTP(t, be, serverOpts{startTLS: true})
	s := &mail.Sender{Config: mail.Config{URL: "smtp://undox:wrong@" + addr, From: "abuse-replies@hotline.example", TLSConfig: trusting(t)}}
	err := s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"}}, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeAuth, e.Code)
	require.Equal(t, 535, e.SMTPCode)
	require.False(t, e.Temporary)
	require.False(t, e.BadAddress(), "a wrong password is not a bad address")
}

func TestSendUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	s := &mail.Sender{Config: mail.Config{URL: "smtp://" + addr, From: "abuse-replies@hotline.example"}}
	err = s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"}}, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeUnreachable, e.Code)
	require.True(t, e.Temporary)
}

func TestSenderConfig(t *testing.T) {
	for _, c := range []struct{ url, msg string }{
		{"http://mail.example", `the scheme must be smtp:// or smtps://`},
		{"smtp://", "no host"},
		{"smtp://mail.example:99999", "bad port"},
		{"smtp://mail.example?starttls=maybe", "starttls must be required or opportunistic"},
		{"smtps://mail.example?starttls=required", "does not apply to smtps://"},
		{"smtp://mail.example?tls=1", `unknown parameter "tls"`},
	} {
		_, err := mail.NewSender(mail.Config{URL: c.url})
		require.ErrorContains(t, err, c.msg, c.url)
	}
	_, err := mail.NewSender(mail.Config{URL: "smtp://mail.example", From: "not an address"})
	require.ErrorContains(t, err, "not an e-mail address")
	_, err = mail.NewSender(mail.Config{URL: "smtp://u:p@mail.example:2525?starttls=opportunistic", From: "a@b.example"})
	require.NoError(t, err)

	s := &mail.Sender{Config: mail.Config{URL: "smtp://127.0.0.1:1"}}
	err = s.Send(context.Background(), mail.Envelope{To: []string{"abuse@host.example"}}, []byte(notice))
	var e *mail.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeConfig, e.Code, "no sender")
	s.Config.From = "a@b.example"
	err = s.Send(context.Background(), mail.Envelope{}, []byte(notice))
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeConfig, e.Code, "no recipient")
	err = s.Send(context.Background(), mail.Envelope{To: []string{"x@y.example"}, MessageID: "no-brackets@x"}, []byte(notice))
	require.ErrorAs(t, err, &e)
	require.Equal(t, mail.CodeConfig, e.Code)
	require.True(t, bytes.Contains([]byte(e.Message), []byte("<…>")))
}
