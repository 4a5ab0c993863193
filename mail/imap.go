package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// MailboxConfig says how to read the mailbox that replies to notices
// arrive in.
type MailboxConfig struct {
	// URL is imap://user:pass@host:port/MAILBOX (STARTTLS; port 143) or
	// imaps://user:pass@host:port/MAILBOX (TLS; port 993); the mailbox is
	// INBOX when the path is empty. ?starttls= works as for SMTP (see
	// Config.URL): required by default, opportunistic for a loopback host;
	// the password is never sent without TLS to another host.
	URL string
	// TLSConfig is used for TLS and STARTTLS; its ServerName defaults to
	// the URL's host.
	TLSConfig *tls.Config
	// Timeout bounds a whole Fetch; two minutes when zero.
	Timeout time.Duration
	// Dial opens the connection; a net.Dialer when nil.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// MaxMessages bounds the messages that one Fetch returns (100 when
	// zero): call Fetch again from the last UID for more.
	MaxMessages int
	// MaxMessageBytes bounds what is read of one message (1 MiB when
	// zero); a longer message is parsed from its beginning.
	MaxMessageBytes int64
	// MaxText bounds Reply.Text (DefaultMaxText when zero).
	MaxText int
}

// Mailbox reads replies from an IMAP mailbox. It never changes the
// mailbox: it opens it read-only and does not set \Seen.
type Mailbox struct {
	Config MailboxConfig
}

// NewMailbox checks cfg and returns a Mailbox for it.
func NewMailbox(cfg MailboxConfig) (*Mailbox, error) {
	if _, err := parseServerURL(cfg.URL, "imap"); err != nil {
		return nil, err
	}
	return &Mailbox{Config: cfg}, nil
}

// Fetch returns the messages whose UID is above since, in UID order, at
// most MaxMessages of them, each parsed as [ParseReply] does and matched
// to its notice.
func (m *Mailbox) Fetch(ctx context.Context, since uint32) ([]Reply, error) {
	cfg := &m.Config
	u, err := parseServerURL(cfg.URL, "imap")
	if err != nil {
		return nil, err
	}
	mailbox := u.path
	if mailbox == "" {
		mailbox = "INBOX"
	}
	if p, err := url.PathUnescape(mailbox); err == nil {
		mailbox = p
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	c, secure, err := m.connect(ctx, u)
	if err != nil {
		return nil, m.fail(ctx, "connect", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	if u.hasUser {
		if !secure && !isLoopback(u.host) {
			return nil, fmt.Errorf("mail: imap: refusing to send the password without TLS to %s (use imaps:// or ?starttls=required)", u.host)
		}
		var err error
		if c.Caps().Has(imap.CapLoginDisabled) {
			err = c.Authenticate(sasl.NewPlainClient("", u.user, u.pass))
		} else {
			err = c.Login(u.user, u.pass).Wait()
		}
		if err != nil {
			return nil, m.fail(ctx, "login", err)
		}
	}
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, m.fail(ctx, "select "+mailbox, err)
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	var set imap.UIDSet
	set.AddRange(imap.UID(since+1), 0) // since+1:*
	found, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
	if err != nil {
		return nil, m.fail(ctx, "search", err)
	}
	var uids []imap.UID
	for _, uid := range found.AllUIDs() {
		if uint32(uid) > since { // n:* includes the highest UID even below n
			uids = append(uids, uid)
		}
	}
	slices.Sort(uids)
	maxN := cfg.MaxMessages
	if maxN <= 0 {
		maxN = 100
	}
	if len(uids) > maxN {
		uids = uids[:maxN]
	}
	if len(uids) == 0 {
		return nil, nil
	}
	limit := cfg.MaxMessageBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: limit}}
	cmd := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	var out []Reply
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		var uid imap.UID
		var raw []byte
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = it.UID
			case imapclient.FetchItemDataBodySection:
				if it.Literal != nil {
					// Bounded even if the server ignores the partial fetch.
					raw, err = io.ReadAll(io.LimitReader(it.Literal, limit))
					if err != nil {
						cmd.Close()
						return nil, m.fail(ctx, "fetch", err)
					}
				}
			}
		}
		if uid == 0 || uint32(uid) <= since {
			continue
		}
		r := ParseReply(raw, cfg.MaxText)
		r.UID, r.UIDValidity = uint32(uid), sel.UIDValidity
		out = append(out, r)
	}
	if err := cmd.Close(); err != nil {
		return nil, m.fail(ctx, "fetch", err)
	}
	slices.SortFunc(out, func(a, b Reply) int { return int(a.UID) - int(b.UID) })
	_ = c.Logout().Wait()
	return out, nil
}

func (m *Mailbox) fail(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("mail: imap %s: %w", what, errors.Join(ctx.Err(), err))
	}
	return fmt.Errorf("mail: imap %s: %w", what, err)
}

func (m *Mailbox) dial(ctx context.Context, addr string) (net.Conn, error) {
	if m.Config.Dial != nil {
		return m.Config.Dial(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// connect returns a client on a greeted connection, and whether it is
// encrypted.
func (m *Mailbox) connect(ctx context.Context, u *serverURL) (*imapclient.Client, bool, error) {
	cfg := tlsConfig(m.Config.TLSConfig, u.host)
	opts := &imapclient.Options{TLSConfig: cfg}
	raw, err := m.dial(ctx, u.addr)
	if err != nil {
		return nil, false, err
	}
	// Until the client exists, cancelling closes the connection.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	if u.implicitTLS {
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, false, err
		}
		c := imapclient.New(tc, opts)
		if err := c.WaitGreeting(); err != nil {
			c.Close()
			return nil, false, err
		}
		return c, true, nil
	}
	if u.starttls == "required" {
		c, err := imapclient.NewStartTLS(raw, opts)
		if err != nil {
			raw.Close()
			return nil, false, fmt.Errorf("STARTTLS: %w", err)
		}
		return c, true, nil
	}
	// Opportunistic: look at the capabilities, and start again with
	// STARTTLS when it is offered (go-imap starts TLS only on a new
	// client).
	c := imapclient.New(raw, opts)
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, false, err
	}
	if !c.Caps().Has(imap.CapStartTLS) {
		return c, false, nil
	}
	c.Close()
	raw2, err := m.dial(ctx, u.addr)
	if err != nil {
		return nil, false, err
	}
	stop2 := context.AfterFunc(ctx, func() { raw2.Close() })
	defer stop2()
	c, err = imapclient.NewStartTLS(raw2, opts)
	if err != nil {
		raw2.Close()
		return nil, false, fmt.Errorf("STARTTLS: %w", err)
	}
	return c, true, nil
}
