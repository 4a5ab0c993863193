// Package mail delivers notices by e-mail over SMTP and reads the replies
// from a mailbox over IMAP.
//
// # Sending exactly once, or twice with the same Message-ID
//
// A notice must never be lost and never be sent twice without the receiver
// being able to tell. Send works with the caller's durable records in
// three steps:
//
//  1. Before Send, the caller gives the notice its Message-ID (see
//     [MessageID]) and records it, committed, with the notice in state
//     "queued". The message passed to Send carries that Message-ID.
//  2. Envelope.OnData is called after the server accepted the sender and
//     every recipient, just before the DATA command. The caller records,
//     committed, that the notice is "sending" (data started). If OnData
//     fails, Send sends nothing and returns an error with Code "aborted".
//  3. Envelope.OnAccepted is called after the server's final 250 reply to
//     the message. The caller records, committed, that the notice is
//     "sent". From then on it is never sent again.
//
// After a crash or a failed Send, the record tells what to do:
//
//   - "queued": the DATA command was never sent, so the server cannot
//     have the message: send it again (a crash before DATA never loses the
//     notice).
//   - "sending": the crash or failure fell in the DATA window, between the
//     DATA command and the final reply; the server may or may not have
//     accepted the message. Send it again with the same Message-ID, so
//     that the receiver can tell the copies apart from two notices. An
//     *Error with MaybeDelivered set says the same for a failure without
//     a crash.
//   - "sent": never send again (a crash after the send was committed never
//     resends it). An *Error with Accepted set (OnAccepted failed) means
//     the same: the server has the message; record it as sent when the
//     store is back.
//
// # Errors
//
// Send returns an *Error that says whether a later attempt may succeed
// (Temporary: 4xx replies, network failures, timeouts) or not (5xx
// replies, TLS and authentication failures). A permanent error means that
// the address is bad only at Stage "rcpt" (see [Error.BadAddress]); at
// Stage "connect" or "mail" it is undox's own configuration that is wrong
// (the password, the certificate, the sender address), and at "data" or
// "dot" the server refused this message.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Config says how to reach the SMTP server that relays notices.
type Config struct {
	// URL is the server: smtp://user:pass@host:port (submission with
	// STARTTLS; port 587 when none is given) or smtps://user:pass@host:port
	// (TLS from the first byte; port 465). The user and password are
	// optional and URL-encoded. For smtp://, ?starttls=required refuses a
	// server that does not offer STARTTLS, ?starttls=opportunistic uses it
	// when offered; the default is required, except for a loopback host
	// (127.0.0.1, ::1, localhost), where it is opportunistic. A password is
	// never sent without TLS to a host that is not a loopback host.
	URL string
	// From is the envelope sender (MAIL FROM) when Envelope.From is empty.
	From string
	// HelloName is the name given in EHLO; "localhost" when empty.
	HelloName string
	// Timeout bounds each step: connecting, each command's reply, each
	// write of the message, and the final reply. One minute when zero.
	Timeout time.Duration
	// TLSConfig is used for TLS and STARTTLS; its ServerName defaults to
	// the URL's host. Tests give it the root of a self-signed certificate.
	TLSConfig *tls.Config
	// Dial opens the connection; a net.Dialer when nil. The address is the
	// URL's host:port.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Sender sends messages through one SMTP server. A Sender is safe for
// concurrent use; each Send opens its own connection.
type Sender struct {
	Config Config
}

// NewSender checks cfg and returns a Sender for it.
func NewSender(cfg Config) (*Sender, error) {
	if _, err := parseServerURL(cfg.URL, "smtp"); err != nil {
		return nil, err
	}
	if cfg.From != "" && !validAddress(cfg.From) {
		return nil, fmt.Errorf("mail: the sender %q is not an e-mail address", cfg.From)
	}
	return &Sender{Config: cfg}, nil
}

// Envelope is what the SMTP transaction of one message needs.
type Envelope struct {
	// From is the envelope sender (MAIL FROM); Config.From when empty.
	From string
	// To are the recipients (RCPT TO). If the server refuses any, nothing
	// is sent: the message goes to all recipients or to none.
	To []string
	// MessageID is the message's Message-ID, "<…>", as the caller
	// recorded it before Send. A message without a Message-ID header gets
	// this one; one with another Message-ID is refused.
	MessageID string
	// OnData, if set, is called just before the DATA command, once the
	// server accepted the sender and the recipients. An error stops Send
	// before anything of the message is sent.
	OnData func() error
	// OnAccepted, if set, is called after the server's final 250 reply:
	// the message is accepted, it must never be sent again. See the
	// package documentation.
	OnAccepted func() error
}

// Stages of the SMTP transaction, for Error.Stage.
const (
	StageConnect = "connect" // connecting, greeting, EHLO, STARTTLS, AUTH
	StageMail    = "mail"    // MAIL FROM
	StageRcpt    = "rcpt"    // RCPT TO
	StageData    = "data"    // the DATA command, the message, waiting for the final reply
	StageDot     = "dot"     // the final reply refused the message
)

// Error codes, for Error.Code.
const (
	CodeConfig            = "config"             // the configuration or the message is wrong
	CodeUnreachable       = "unreachable"        // the server could not be reached
	CodeConnectionLost    = "connection_lost"    // the connection broke during the transaction
	CodeTimeout           = "timeout"            // the server did not answer in time
	CodeCanceled          = "canceled"           // the context was canceled
	CodeTLS               = "tls"                // TLS failed or was not offered where required
	CodeAuth              = "auth"               // authentication failed or is not possible
	CodeProtocol          = "protocol"           // the server's reply made no sense
	CodeRejected          = "rejected"           // the server refused the session (greeting, EHLO)
	CodeSenderRejected    = "sender_rejected"    // MAIL FROM was refused
	CodeRecipientRejected = "recipient_rejected" // RCPT TO was refused
	CodeMessageRejected   = "message_rejected"   // DATA or the message was refused
	CodeAborted           = "aborted"            // Envelope.OnData failed: nothing was sent
	CodeUnrecorded        = "unrecorded"         // Envelope.OnAccepted failed: the message was sent
)

// Error is a failed Send.
type Error struct {
	// Code classifies the failure: one of the Code… constants.
	Code string
	// Temporary is true when a later attempt may succeed: 4xx replies,
	// network failures, timeouts. False for 5xx replies and for TLS or
	// authentication failures.
	Temporary bool
	// SMTPCode is the server's reply code (421, 550, …); 0 without one.
	SMTPCode int
	// EnhancedCode is the reply's enhanced status code ("5.1.1"), if any.
	EnhancedCode string
	// Stage is where it failed: StageConnect, StageMail, StageRcpt,
	// StageData or StageDot.
	Stage string
	// Recipient is the refused recipient, at StageRcpt.
	Recipient string
	// MaybeDelivered is true when the failure fell in the DATA window:
	// after the server agreed to DATA and before its final reply. The
	// server may have accepted the message: resend it with the same
	// Message-ID.
	MaybeDelivered bool
	// Accepted is true when the server accepted the message and the error
	// came after it (from Envelope.OnAccepted): never resend.
	Accepted bool
	// Message is the server's reply text, or a description.
	Message string
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "smtp %s: %s", e.Stage, e.Code)
	if e.Recipient != "" {
		fmt.Fprintf(&b, " (%s)", e.Recipient)
	}
	if e.SMTPCode != 0 {
		fmt.Fprintf(&b, ": %d", e.SMTPCode)
		if e.EnhancedCode != "" {
			b.WriteString(" " + e.EnhancedCode)
		}
	} else if e.Message != "" || e.Err != nil {
		b.WriteString(":")
	}
	if e.Message != "" {
		b.WriteString(" " + e.Message)
	} else if e.Err != nil {
		b.WriteString(" " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// BadAddress tells whether the server refused a recipient for good: the
// address should be marked invalid and the next recipient tried.
func (e *Error) BadAddress() bool {
	return e.Stage == StageRcpt && !e.Temporary && e.SMTPCode >= 500
}

// serverURL is a parsed smtp(s):// or imap(s):// URL.
type serverURL struct {
	implicitTLS bool
	starttls    string // required, opportunistic
	host, addr  string
	user, pass  string
	hasUser     bool
	path        string
}

func parseServerURL(raw, proto string) (*serverURL, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("mail: %s URL: %s", proto, fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("cannot parse it")
	}
	s := &serverURL{path: strings.TrimPrefix(u.Path, "/")}
	var port string
	switch u.Scheme {
	case proto:
		port = map[string]string{"smtp": "587", "imap": "143"}[proto]
	case proto + "s":
		s.implicitTLS = true
		port = map[string]string{"smtp": "465", "imap": "993"}[proto]
	default:
		return nil, bad("the scheme must be %s:// or %ss://, not %q", proto, proto, u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, bad("no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, bad("bad port %q", p)
		}
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.hasUser = true
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		if k != "starttls" {
			return nil, bad("unknown parameter %q (known: starttls)", k)
		}
	}
	switch v := q.Get("starttls"); v {
	case "":
		s.starttls = "required"
		if isLoopback(s.host) {
			s.starttls = "opportunistic"
		}
	case "required", "opportunistic":
		if s.implicitTLS {
			return nil, bad("starttls does not apply to %ss://, which uses TLS from the start", proto)
		}
		s.starttls = v
	default:
		return nil, bad("starttls must be required or opportunistic, not %q", v)
	}
	return s, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validAddress(a string) bool {
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-1 && !strings.ContainsAny(a, " \t\r\n<>")
}

func (c *Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return time.Minute
}

func (c *Config) dial(ctx context.Context, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	if c.Dial != nil {
		return c.Dial(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

func tlsConfig(base *tls.Config, host string) *tls.Config {
	var cfg *tls.Config
	if base != nil {
		cfg = base.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// send is the state of one Send.
type send struct {
	ctx         context.Context
	dataStarted bool // the server answered DATA with 354
}

// Send sends msg, an RFC 5322 message with CRLF or LF line ends, to
// env.To. See the package documentation for the Message-ID protocol and
// the errors. It returns nil once the server accepted the message and
// OnAccepted succeeded.
func (s *Sender) Send(ctx context.Context, env Envelope, msg []byte) (err error) {
	cfg := &s.Config
	st := &send{ctx: ctx}
	u, perr := parseServerURL(cfg.URL, "smtp")
	if perr != nil {
		return &Error{Code: CodeConfig, Stage: StageConnect, Message: perr.Error()}
	}
	from := env.From
	if from == "" {
		from = cfg.From
	}
	if !validAddress(from) {
		return &Error{Code: CodeConfig, Stage: StageMail, Message: fmt.Sprintf("the sender %q is not an e-mail address", from)}
	}
	if len(env.To) == 0 {
		return &Error{Code: CodeConfig, Stage: StageRcpt, Message: "no recipient"}
	}
	for _, to := range env.To {
		if !validAddress(to) {
			return &Error{Code: CodeConfig, Stage: StageRcpt, Recipient: to, Message: "not an e-mail address"}
		}
	}
	msg, merr := withMessageID(msg, env.MessageID)
	if merr != nil {
		return &Error{Code: CodeConfig, Stage: StageData, Message: merr.Error()}
	}

	raw, derr := cfg.dial(ctx, u.addr)
	if derr != nil {
		return st.fail(StageConnect, derr)
	}
	// Cancelling ctx closes the connection, which ends any wait.
	var closeOnce sync.Once
	closeConn := func() { closeOnce.Do(func() { raw.Close() }) }
	stop := context.AfterFunc(ctx, closeConn)
	defer func() {
		stop()
		closeConn()
	}()

	c, secure, cerr := s.connect(ctx, raw, u)
	if cerr != nil {
		return st.fail(StageConnect, cerr)
	}
	c.CommandTimeout = cfg.timeout()
	c.SubmissionTimeout = cfg.timeout()
	helo := cfg.HelloName
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return st.fail(StageConnect, err)
	}
	if u.hasUser {
		if !secure && !isLoopback(u.host) {
			return &Error{Code: CodeTLS, Stage: StageConnect,
				Message: "refusing to send the password without TLS to " + u.host + " (use smtps:// or ?starttls=required)"}
		}
		var mech sasl.Client
		switch {
		case c.SupportsAuth(sasl.Plain):
			mech = sasl.NewPlainClient("", u.user, u.pass)
		case c.SupportsAuth(sasl.Login):
			mech = sasl.NewLoginClient(u.user, u.pass)
		default:
			return &Error{Code: CodeAuth, Stage: StageConnect, Message: "the server offers neither AUTH PLAIN nor AUTH LOGIN"}
		}
		if err := c.Auth(mech); err != nil {
			e := st.fail(StageConnect, err)
			if e.SMTPCode != 0 || e.Code == CodeProtocol {
				e.Code = CodeAuth
			}
			return e
		}
	}
	if err := c.Mail(from, nil); err != nil {
		return st.fail(StageMail, err)
	}
	for _, to := range env.To {
		if err := c.Rcpt(to, nil); err != nil {
			e := st.fail(StageRcpt, err)
			e.Recipient = to
			_ = c.Reset()
			return e
		}
	}
	if env.OnData != nil {
		if err := env.OnData(); err != nil {
			_ = c.Reset()
			return &Error{Code: CodeAborted, Temporary: true, Stage: StageData, Message: "OnData failed: nothing was sent", Err: err}
		}
	}
	w, err := c.Data()
	if err != nil {
		// The server refused DATA, or the connection broke before its 354:
		// no byte of the message was sent.
		return st.fail(StageData, err)
	}
	st.dataStarted = true
	if _, err := w.Write(msg); err != nil {
		return st.fail(StageData, err)
	}
	if _, err := w.CloseWithResponse(); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return st.fail(StageDot, err)
		}
		return st.fail(StageData, err)
	}
	if env.OnAccepted != nil {
		if err := env.OnAccepted(); err != nil {
			return &Error{Code: CodeUnrecorded, Stage: StageDot, Accepted: true,
				Message: "the server accepted the message but OnAccepted failed: never resend it", Err: err}
		}
	}
	_ = c.Quit()
	return nil
}

// connect brings up TLS as the URL asks and returns a go-smtp client that
// has not said EHLO yet, and whether the connection is encrypted.
func (s *Sender) connect(ctx context.Context, raw net.Conn, u *serverURL) (*smtp.Client, bool, error) {
	cfg := &s.Config
	timeout := cfg.timeout()
	if u.implicitTLS {
		tc := tls.Client(raw, tlsConfig(cfg.TLSConfig, u.host))
		hctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			return nil, false, tlsError(err)
		}
		return smtp.NewClient(&writeDeadlineConn{Conn: tc, timeout: timeout}), true, nil
	}
	// The exchange before STARTTLS is done here, so that the opportunistic
	// mode can see whether STARTTLS is offered and so that the EHLO name
	// is ours; go-smtp takes over on the encrypted connection.
	raw.SetDeadline(time.Now().Add(timeout))
	tp := textproto.NewConn(raw)
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, false, replyError(err)
	}
	helo := cfg.HelloName
	if helo == "" {
		helo = "localhost"
	}
	ehlo := "EHLO " + helo
	id, err := tp.Cmd("%s", ehlo)
	if err != nil {
		return nil, false, err
	}
	tp.StartResponse(id)
	_, ext, err := tp.ReadResponse(250)
	tp.EndResponse(id)
	if err != nil {
		return nil, false, replyError(err)
	}
	offered := false
	for _, l := range strings.Split(ext, "\n")[1:] {
		if strings.EqualFold(strings.TrimSpace(l), "STARTTLS") {
			offered = true
		}
	}
	if !offered {
		if u.starttls == "required" {
			return nil, false, &Error{Code: CodeTLS, Stage: StageConnect,
				Message: "the server does not offer STARTTLS (use ?starttls=opportunistic to send without TLS)"}
		}
		raw.SetDeadline(time.Time{})
		// One EHLO per session: a server may refuse a second one (Python's
		// smtpd answers "503 Duplicate HELO/EHLO"). go-smtp must read a
		// greeting and say EHLO itself: give it the greeting and the EHLO
		// reply already read, and do not send its EHLO again.
		pending := "220 greeted\r\n"
		lines := strings.Split(ext, "\n")
		for i, l := range lines {
			sep := "-"
			if i == len(lines)-1 {
				sep = " "
			}
			pending += "250" + sep + l + "\r\n"
		}
		return smtp.NewClient(&writeDeadlineConn{Conn: raw, timeout: timeout, pending: []byte(pending),
			sent: []byte(ehlo + "\r\n")}), false, nil
	}
	id, err = tp.Cmd("STARTTLS")
	if err != nil {
		return nil, false, err
	}
	tp.StartResponse(id)
	_, _, err = tp.ReadResponse(220)
	tp.EndResponse(id)
	if err != nil {
		return nil, false, replyError(err)
	}
	// Bytes that the server sent after its 220, before the handshake, are
	// dropped with tp's buffer (no STARTTLS command injection).
	tc := tls.Client(raw, tlsConfig(cfg.TLSConfig, u.host))
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return nil, false, tlsError(err)
	}
	raw.SetDeadline(time.Time{})
	return smtp.NewClient(&writeDeadlineConn{Conn: tc, timeout: timeout, pending: []byte("220 greeted\r\n")}), true, nil
}

type tlsErr struct{ error }

func (e tlsErr) Unwrap() error { return e.error }

func tlsError(err error) error { return tlsErr{err} }

// replyError turns net/textproto's reply errors into go-smtp's.
func replyError(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		se := &smtp.SMTPError{Code: te.Code, Message: te.Msg}
		if code, msg, ok := strings.Cut(te.Msg, " "); ok {
			var ec smtp.EnhancedCode
			if n, _ := fmt.Sscanf(code, "%d.%d.%d", &ec[0], &ec[1], &ec[2]); n == 3 {
				se.EnhancedCode, se.Message = ec, msg
			}
		}
		return se
	}
	return err
}

// fail classifies err, which happened at stage.
func (st *send) fail(stage string, err error) *Error {
	e := &Error{Stage: stage, Err: err, Temporary: true}
	if stage == StageData && st.dataStarted {
		e.MaybeDelivered = true
	}
	var own *Error
	var se *smtp.SMTPError
	var te tlsErr
	var ne net.Error
	switch {
	case errors.As(err, &own):
		own.MaybeDelivered = own.MaybeDelivered || e.MaybeDelivered
		return own
	case st.ctx.Err() != nil:
		e.Code = CodeCanceled
		if errors.Is(st.ctx.Err(), context.DeadlineExceeded) {
			e.Code = CodeTimeout
		}
		e.Err = errors.Join(st.ctx.Err(), err)
	case errors.As(err, &se):
		e.SMTPCode = se.Code
		e.Message = se.Message
		if ec := se.EnhancedCode; ec[0] > 0 {
			e.EnhancedCode = fmt.Sprintf("%d.%d.%d", ec[0], ec[1], ec[2])
		}
		e.Temporary = se.Code/100 == 4
		e.Code = map[string]string{StageConnect: CodeRejected, StageMail: CodeSenderRejected,
			StageRcpt: CodeRecipientRejected, StageData: CodeMessageRejected, StageDot: CodeMessageRejected}[stage]
		if se.Code/100 != 4 && se.Code/100 != 5 {
			e.Code, e.Temporary = CodeProtocol, true
		}
	case errors.As(err, &te):
		e.Code, e.Temporary = CodeTLS, false
	case errors.As(err, &ne) && ne.Timeout():
		e.Code = CodeTimeout
	case stage == StageConnect && isDialError(err):
		e.Code = CodeUnreachable
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), isNetError(err):
		e.Code = CodeConnectionLost
		if stage == StageConnect {
			e.Code = CodeUnreachable
		}
	default:
		// go-smtp's own errors (a malformed reply, a refused argument).
		e.Code = CodeProtocol
	}
	return e
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func isNetError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

// writeDeadlineConn bounds each write (go-smtp bounds only the replies),
// and serves replies already read before go-smtp took over (pending): the
// greeting, and the reply to the EHLO already sent (sent), which go-smtp's
// own EHLO is taken for instead of being sent again.
type writeDeadlineConn struct {
	net.Conn
	timeout time.Duration
	pending []byte
	sent    []byte
}

func (c *writeDeadlineConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

func (c *writeDeadlineConn) Write(p []byte) (int, error) {
	if c.sent != nil {
		sent := c.sent
		c.sent = nil
		if bytes.Equal(p, sent) {
			return len(p), nil
		}
		// Another first command than the EHLO already sent: its reply
		// is not the one pending.
		return 0, fmt.Errorf("smtp: %q sent after the session was opened with %q", strings.TrimSpace(string(p)), strings.TrimSpace(string(sent)))
	}
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}

// withMessageID checks msg's Message-ID header against id, and adds the
// header when msg has none.
func withMessageID(msg []byte, id string) ([]byte, error) {
	if id == "" {
		return msg, nil
	}
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") || strings.ContainsAny(id, " \t\r\n") {
		return nil, fmt.Errorf("the Message-ID %q is not of the form <…>", id)
	}
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	if lf := bytes.Index(msg, []byte("\n\n")); end < 0 || (lf >= 0 && lf < end) {
		end = lf
	}
	if end < 0 {
		end = len(msg)
	}
	header := msg[:end]
	var found string
	for _, line := range strings.Split(string(header), "\n") {
		name, value, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "Message-ID") {
			found = strings.TrimSpace(value)
			break
		}
	}
	switch found {
	case id:
		return msg, nil
	case "":
		out := make([]byte, 0, len(msg)+len(id)+14)
		out = append(out, "Message-ID: "+id+"\r\n"...)
		return append(out, msg...), nil
	}
	return nil, fmt.Errorf("the message's Message-ID %s is not the recorded %s", found, id)
}
