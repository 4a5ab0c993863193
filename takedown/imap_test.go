package takedown

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/mail"
	"github.com/undox/undox/mail/mailtest"
)

// Two hosts, each with the registrar as the next recipient.
const imapAnswer = `{"url":"https://dox.example/p/x","recipients":[
 {"role":"host","organisation":"Gone Hosting","email":"abuse@gone.example","language":"en","country":"DE","notify":true,"source":"rdap"},
 {"role":"registrar","organisation":"Example Registrar","email":"abuse@registrar.example","notify":true,"source":"rdap"}]}`

const imapAnswer2 = `{"url":"https://dox.example/p/y","recipients":[
 {"role":"host","organisation":"Live Hosting","email":"abuse@live.example","language":"en","country":"DE","notify":true,"source":"rdap"},
 {"role":"registrar","organisation":"Example Registrar","email":"abuse@registrar.example","notify":true,"source":"rdap"}]}`

func bounceFor(messageID string) string {
	return `From: Mail Delivery System <MAILER-DAEMON@mx.hotline.example>
To: notices@hotline.example
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Message-ID: <bounce-1@mx.hotline.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="rep"

--rep
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered.

--rep
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.hotline.example

Final-Recipient: rfc822; abuse@gone.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--rep
Content-Type: text/rfc822-headers

From: notices@hotline.example
To: abuse@gone.example
Subject: Notice of illegal content
Message-ID: ` + messageID + `

--rep--
`
}

// A bounce read from the mailbox moves to the next recipient and marks the
// address invalid; an automatic reply is recorded and ignored; a reply is
// recorded for an analyst; the last UID is kept.
func TestMailboxReplies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := setup(t, b)
		blobs, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)
		addr, user := mailtest.StartIMAP(t, mailtest.IMAPOptions{})
		mb, err := mail.NewMailbox(mail.MailboxConfig{URL: "imap://replies:secret@" + addr + "/INBOX"})
		require.NoError(t, err)
		f.svc.SetMailbox(mb)

		gone := f.captured(t, blobs, undox.Report{URLs: []string{"https://dox.example/p/x"}}, imapAnswer)
		n1 := f.notify(t, gone)
		live := f.captured(t, blobs, undox.Report{URLs: []string{"https://dox.example/p/y"}}, imapAnswer2)
		n2 := f.notify(t, live)

		mailtest.Deliver(t, user, bounceFor(n1.MessageID))
		mailtest.Deliver(t, user, `From: Jan <jan@live.example>
To: notices@hotline.example
Subject: Automatic reply: Notice of illegal content
Auto-Submitted: auto-replied
Message-ID: <oof-1@live.example>
In-Reply-To: `+n2.MessageID+`
Content-Type: text/plain

I am out of the office until Monday.
`)
		mailtest.Deliver(t, user, `From: Abuse Desk <abuse@live.example>
To: `+mail.TaggedAddress("notices@hotline.example", n2.ID)+`
Subject: Re: Notice of illegal content
Message-ID: <ticket-7@live.example>
Content-Type: text/plain; charset=utf-8

We are looking into it.
`)
		mailtest.Deliver(t, user, "From: someone@else.example\nTo: notices@hotline.example\nSubject: hello\nMessage-ID: <x@else.example>\n\nUnrelated.\n")

		res, err := f.svc.PollMailbox(f.ctx)
		require.NoError(t, err)
		require.Equal(t, PollResult{Read: 4, Bounces: 1, AutoReplies: 1, Replies: 1, Unmatched: 1}, res)

		// The bounce: the notice is bounced, the registrar's is prepared,
		// the address is invalid.
		list := f.notices(t, gone.id)
		require.Len(t, list, 2)
		require.Equal(t, undox.NoticeBounced, list[0].Status)
		require.Equal(t, undox.ResponseBounce, list[0].Responses[0].Kind)
		require.Equal(t, "email", list[0].Responses[0].Source)
		require.Equal(t, "abuse@registrar.example", list[1].Address)
		require.Equal(t, undox.NoticePrepared, list[1].Status)
		bad, err := f.store.AddressInvalid(f.ctx, "Abuse@Gone.example")
		require.NoError(t, err)
		require.True(t, bad)

		// The auto-reply and the reply.
		list2 := f.notices(t, live.id)
		require.Len(t, list2, 1)
		got := list2[0]
		require.Equal(t, undox.NoticeAnswered, got.Status, "a reply is for an analyst")
		require.Len(t, got.Responses, 2)
		require.Equal(t, undox.ResponseAutoReply, got.Responses[0].Kind)
		require.Equal(t, undox.ResponseReply, got.Responses[1].Kind)
		require.Contains(t, got.Responses[1].Detail, "We are looking into it.")
		require.Equal(t, "email", got.Responses[1].Source)

		// The last UID is kept: nothing is read twice.
		uid, err := f.store.Cursor(f.ctx, cursorIMAPUID)
		require.NoError(t, err)
		require.Equal(t, int64(4), uid)
		res, err = f.svc.PollMailbox(f.ctx)
		require.NoError(t, err)
		require.Zero(t, res.Read)
		mailtest.Deliver(t, user, `From: Abuse Desk <abuse@live.example>
To: notices@hotline.example
Subject: Re: Notice
Message-ID: <ticket-8@live.example>
References: `+n2.MessageID+`
Content-Type: text/plain

Removed.
`)
		res, err = f.svc.PollMailbox(f.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, res.Replies)
		require.Len(t, f.notices(t, live.id)[0].Responses, 3)

	})
}
