package takedown

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/job"
	"github.com/undox/undox/mail"
	"github.com/undox/undox/mail/mailtest"
	"github.com/undox/undox/notice"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
)

var secretHash = secret.Hash

// Synthetic data only: reserved names (.example), made-up organisations.

const traceAnswer = `{"url":"https://dox.example/p/1","recipients":[
 {"role":"site","organisation":"Dox Site","email":"admin@dox.example","notify":false,"source":"security.txt"},
 {"role":"host","organisation":"Example Hosting B.V.","email":"abuse@hosting.example","language":"en","country":"NL","notify":true,"source":"rdap"},
 {"role":"registrar","organisation":"Example Registrar","email":"abuse@registrar.example","notify":true,"source":"rdap"}]}`

var analyst = undox.Actor{Kind: "token", TokenID: 2, Owner: 2, Name: "ana", Role: undox.RoleAnalyst}

// backend is the SMTP server of these tests: it refuses the recipients
// in rcptErr, and with dropAfterData it keeps the whole message and closes
// the connection before the final reply (the DATA window), this many
// times.
type backend struct {
	box           mailtest.Mailbox
	mu            sync.Mutex
	rcptErr       map[string]*smtp.SMTPError
	dropAfterData int
}

func (b *backend) messages() []mailtest.Message { return b.box.Messages() }

func startSMTP(t *testing.T, b *backend) string {
	b.box.Rcpt = func(to string) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		if err := b.rcptErr[to]; err != nil {
			return err
		}
		return nil
	}
	b.box.Data = func(mailtest.Message) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.dropAfterData > 0 {
			b.dropAfterData--
			return mailtest.ErrDrop
		}
		return nil
	}
	return b.box.Start(t)
}

type fixture struct {
	ctx   context.Context
	stack *dbtest.Stack
	store *sqlstore.Store
	svc   *Service
	queue *job.Queue
	be    *backend
	now   time.Time
}

func setup(t *testing.T, b dbtest.Backend) *fixture {
	t.Helper()
	f := &fixture{ctx: context.Background(), stack: dbtest.NewStack(t, b), be: &backend{rcptErr: map[string]*smtp.SMTPError{}}}
	f.store = f.stack.Store
	f.now = time.Date(2026, 7, 14, 10, 30, 0, 0, time.UTC) // a Tuesday
	f.store.SetClock(func() time.Time { return f.now })
	addr := startSMTP(t, f.be)
	sender, err := mail.NewSender(mail.Config{URL: "smtp://" + addr, Timeout: 5 * time.Second})
	require.NoError(t, err)
	f.svc, err = New(Config{Store: f.store, Sender: sender, From: "notices@hotline.example",
		Notifier:       notice.Notifier{Name: "Meldpunt Voorbeeld"},
		TrustedFlagger: notice.TrustedFlagger{Designation: "ACM/UIT/000001"},
		PublicURL:      "https://undox.hotline.example",
		Logger:         slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	f.queue = f.stack.Queue(t, job.Config{Logger: slog.New(slog.DiscardHandler), Register: Register(f.svc),
		CheckpointEvery: time.Hour, MaintenanceEvery: time.Hour})
	t.Cleanup(f.queue.Close)
	return f
}

// approved makes a confirmed, traced item with its notice approved, and
// signs a checkpoint for the notice to carry.
func (f *fixture) approved(t *testing.T, u string) *undox.Notice {
	t.Helper()
	n := f.approvedUnsigned(t, u)
	_, err := f.stack.Log.Integrate(f.ctx, 0)
	require.NoError(t, err)
	return n
}

// approvedUnsigned is approved without the checkpoint.
func (f *fixture) approvedUnsigned(t *testing.T, u string) *undox.Notice {
	t.Helper()
	in := &intake.Service{Store: f.store, PublicURL: "https://undox.hotline.example"}
	rc, err := in.Submit(f.ctx, undox.Public, intake.Submission{Report: undox.Report{URLs: []string{u}, Category: undox.CategoryDoxing}})
	require.NoError(t, err)
	c, err := f.store.Case(f.ctx, analyst, rc.CaseRef)
	require.NoError(t, err)
	id := c.Items[0].ID
	_, err = f.store.ObserveItem(f.ctx, id, undox.ObserveCaptured, "", nil)
	require.NoError(t, err)
	_, err = f.store.SaveTrace(f.ctx, id, "net:EXAMPLE", []byte(traceAnswer))
	require.NoError(t, err)
	_, n, err := f.store.ConfirmItem(f.ctx, analyst, id, "doxes a home address")
	require.NoError(t, err)
	require.NotNil(t, n)
	n, err = f.store.ApproveNotice(f.ctx, analyst, n.ID)
	require.NoError(t, err)
	return n
}

func (f *fixture) notice(t *testing.T, id int64) *undox.Notice {
	t.Helper()
	o, err := f.store.OutboundNotice(f.ctx, id)
	require.NoError(t, err)
	return o.Notice
}

func messageID(t *testing.T, data []byte) string {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	require.NoError(t, err)
	return m.Header.Get("Message-ID")
}

// The approved notice arrives, through the job queue, at the host's abuse
// address with the elements of DSA art. 16 and a valid X-ARF report.
func TestApprovedNoticeIsDelivered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		n := f.approved(t, "https://dox.example/p/1")
		ctx, cancel := context.WithCancel(f.ctx)
		defer cancel()
		require.NoError(t, f.queue.Start(ctx))
		defer f.queue.Stop(5 * time.Second)
		deadline := time.Now().Add(20 * time.Second)
		for f.notice(t, n.ID).Status != undox.NoticeSent {
			require.True(t, time.Now().Before(deadline), "the notice was not sent")
			time.Sleep(50 * time.Millisecond)
		}
		msgs := f.be.messages()
		require.Len(t, msgs, 1)
		m := msgs[0]
		require.Equal(t, []string{"abuse@hosting.example"}, m.To)
		require.Equal(t, mail.TaggedAddress("notices@hotline.example", n.ID), m.From, "bounces come back tagged")

		msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
		require.NoError(t, err)
		require.Equal(t, mail.MessageID(n.ID, "hotline.example"), msg.Header.Get("Message-ID"))
		require.Equal(t, "yes", msg.Header.Get("X-ARF"))
		require.Empty(t, msg.Header.Get("Auto-Submitted"), "an analyst approved it")
		_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		require.NoError(t, err)
		mr := multipart.NewReader(msg.Body, params["boundary"])
		var text string
		var xarf [][]byte
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			b, err := io.ReadAll(p) // quoted-printable is decoded by the reader
			require.NoError(t, err)
			if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
				text = string(b)
			} else {
				dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", ""))
				require.NoError(t, err)
				xarf = append(xarf, dec)
			}
		}
		require.Len(t, xarf, 1)
		require.NoError(t, notice.ValidateXARF(xarf[0]))
		require.Contains(t, string(xarf[0]), "https://dox.example/p/1")
		// Art. 16(2): the URL, the explanation, the notifier, good faith;
		// the trusted flagger's designation; the response link; the
		// signed checkpoint.
		for _, want := range []string{"https://dox.example/p/1", "Meldpunt Voorbeeld", "notices@hotline.example",
			"ACM/UIT/000001", "https://undox.hotline.example/respond/", "good faith"} {
			require.Contains(t, text, want)
		}
		stored := f.notice(t, n.ID)
		require.Equal(t, text, strings.ReplaceAll(stored.Text, "\n", "\r\n"))
		require.NotNil(t, stored.Deadline)
		require.Equal(t, f.svc.cfg.Policy.For(undox.CategoryDoxing, false).Deadline(f.now), *stored.Deadline)
		it, err := f.store.Item(f.ctx, analyst, n.ItemID)
		require.NoError(t, err)
		require.Equal(t, undox.ItemNotified, it.Status)

		// The response link opens the notice.
		i := strings.Index(text, "/respond/")
		token := strings.Fields(text[i+len("/respond/"):])[0]
		token = strings.TrimRight(token, ".,;:)")
		_, err = f.store.NoticeByToken(f.ctx, hashToken(token))
		require.NoError(t, err)
	})
}

// On a fresh instance the periodic job has not signed a checkpoint yet: the
// first notice signs one itself, which covers its approval, instead of
// waiting for the job.
func TestFirstNoticeSignsCheckpoint(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		n := f.approvedUnsigned(t, "https://dox.example/p/first")
		o, err := f.store.OutboundNotice(f.ctx, n.ID)
		require.NoError(t, err)
		// Without the audit log it cannot sign one, and says so.
		_, err = f.svc.render(f.ctx, o, true)
		require.Equal(t, undox.EUNAVAILABLE, undox.ErrorCode(err))
		cp, err := f.store.LatestCheckpoint(f.ctx)
		require.NoError(t, err)
		require.Nil(t, cp)

		f.svc.SetEvidence(f.stack.Log, nil, "")
		before, err := f.store.PendingCount(f.ctx) // every entry so far, the approval among them
		require.NoError(t, err)
		require.Positive(t, before)
		r, err := f.svc.render(f.ctx, o, true)
		require.NoError(t, err)
		cp, err = f.store.LatestCheckpoint(f.ctx)
		require.NoError(t, err)
		require.NotNil(t, cp, "the notice signed one")
		require.Contains(t, r.Notice.Text, strings.TrimRight(cp.Note, "\n"), "and carries it")
		require.GreaterOrEqual(t, cp.TreeSize, before, "it covers every entry before it")
	})
}

// Each crash window ends with the notice sent exactly once, or, in the
// DATA window only, twice with the same Message-ID.
func TestSendCrashWindows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)

		t.Run("before DATA", func(t *testing.T) {
			n := f.approved(t, "https://dox.example/p/before")
			f.svc.hook = func(stage string) error {
				if stage == "data" {
					return errors.New("crash")
				}
				return nil
			}
			before := len(f.be.messages())
			err := f.svc.Send(f.ctx, n.ID, false)
			require.Error(t, err)
			require.Len(t, f.be.messages(), before, "nothing was sent")
			require.Equal(t, undox.NoticeApproved, f.notice(t, n.ID).Status)
			f.svc.hook = nil
			require.NoError(t, f.svc.Send(f.ctx, n.ID, false))
			require.Len(t, f.be.messages(), before+1, "sent once after the restart")
			require.Equal(t, undox.NoticeSent, f.notice(t, n.ID).Status)
		})

		t.Run("in the DATA window", func(t *testing.T) {
			n := f.approved(t, "https://dox.example/p/window")
			f.be.mu.Lock()
			f.be.dropAfterData = 1
			f.be.mu.Unlock()
			before := len(f.be.messages())
			err := f.svc.Send(f.ctx, n.ID, false)
			var me *mail.Error
			require.ErrorAs(t, err, &me)
			require.True(t, me.MaybeDelivered)
			require.Equal(t, undox.NoticeSending, f.notice(t, n.ID).Status)
			require.NoError(t, f.svc.Send(f.ctx, n.ID, false))
			msgs := f.be.messages()[before:]
			require.Len(t, msgs, 2, "the server got it twice")
			require.Equal(t, messageID(t, msgs[0].Data), messageID(t, msgs[1].Data), "with the same Message-ID")
			require.Equal(t, msgs[0].Data, msgs[1].Data, "and the same bytes")
			n = f.notice(t, n.ID)
			require.Equal(t, undox.NoticeSent, n.Status)
			require.Equal(t, 2, n.Attempts)
		})

		t.Run("after the send was committed", func(t *testing.T) {
			n := f.approved(t, "https://dox.example/p/after")
			before := len(f.be.messages())
			require.NoError(t, f.svc.Send(f.ctx, n.ID, false))
			// The process dies before the queue records the job done: it
			// runs again.
			require.NoError(t, f.svc.Send(f.ctx, n.ID, false))
			require.Len(t, f.be.messages(), before+1, "never sent again")
		})

		t.Run("recording sent fails once", func(t *testing.T) {
			n := f.approved(t, "https://dox.example/p/unrecorded")
			f.svc.hook = func(stage string) error {
				if stage == "accepted" {
					f.svc.hook = nil
					return errors.New("store unavailable")
				}
				return nil
			}
			before := len(f.be.messages())
			require.NoError(t, f.svc.Send(f.ctx, n.ID, false), "recorded on the second try")
			require.Equal(t, undox.NoticeSent, f.notice(t, n.ID).Status)
			require.NoError(t, f.svc.Send(f.ctx, n.ID, false))
			require.Len(t, f.be.messages(), before+1)
		})
	})
}

// A permanent refusal of the address bounces the notice and prepares the
// next recipient's; a temporary one is retried.
func TestBounceMovesToNextRecipient(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		n := f.approved(t, "https://dox.example/p/bounce")
		f.be.rcptErr["abuse@hosting.example"] = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
		err := f.svc.Send(f.ctx, n.ID, false)
		require.Error(t, err, "a temporary refusal is retried")
		got := f.notice(t, n.ID)
		require.Equal(t, undox.NoticeApproved, got.Status)
		require.Contains(t, got.LastError, "451")

		f.be.rcptErr["abuse@hosting.example"] = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		require.NoError(t, f.svc.Send(f.ctx, n.ID, false))
		require.Equal(t, undox.NoticeBounced, f.notice(t, n.ID).Status)
		require.Empty(t, f.be.messages())
		list, err := f.store.Notices(f.ctx, analyst, n.ItemID)
		require.NoError(t, err)
		require.Len(t, list, 2)
		next := list[1]
		require.Equal(t, undox.RoleRegistrar, next.Role)
		require.Equal(t, "abuse@registrar.example", next.Address)
		require.Equal(t, undox.NoticePrepared, next.Status, "an analyst approves the next notice")

		_, err = f.store.ApproveNotice(f.ctx, analyst, next.ID)
		require.NoError(t, err)
		require.NoError(t, f.svc.Send(f.ctx, next.ID, false))
		msgs := f.be.messages()
		require.Len(t, msgs, 1)
		require.Equal(t, []string{"abuse@registrar.example"}, msgs[0].To)
	})
}

func TestPreview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		n := f.approved(t, "https://dox.example/p/preview")
		rn, target, err := f.svc.Preview(f.ctx, n.ItemID)
		require.NoError(t, err)
		require.Equal(t, "abuse@hosting.example", target.Email)
		require.Contains(t, rn.Text, "https://dox.example/p/preview")
		require.Empty(t, f.be.messages(), "a preview sends nothing")
		_, _, err = f.svc.Preview(f.ctx, 999999)
		require.Equal(t, undox.ENOTFOUND, undox.ErrorCode(err))
	})
}

func hashToken(tok string) []byte { return secretHash(tok) }
