package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/mail"
)

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

func TestMessageIDs(t *testing.T) {
	id := mail.MessageID(123, "hotline.example")
	require.Equal(t, "<undox-notice-123@hotline.example>", id)
	for s, want := range map[string]int64{
		id:                                     123,
		"undox-notice-123@hotline.example":     123,
		" <UNDOX-NOTICE-9@x.example> ":         9,
		"abuse-replies+n45@hotline.example":    45,
		"<abuse-replies+n45@hotline.example>":  45,
		mail.TaggedAddress("a@b.example", 777): 777,
	} {
		got, ok := mail.ParseNoticeID(s)
		require.True(t, ok, s)
		require.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "<abc@example>", "undox-notice-@x", "undox-notice-12", "undox-notice-1x@y",
		"undox-notice-0@x", "abuse+n@x.example", "abuse+n12x@x.example", "undox-notice-99999999999999999999@x", "a+n1@b@c"} {
		_, ok := mail.ParseNoticeID(s)
		require.False(t, ok, s)
	}
	require.Equal(t, "abuse-replies+n5@hotline.example", mail.TaggedAddress("abuse-replies@hotline.example", 5))
}

const normalReply = `From: Abuse Desk <abuse@host.example>
To: Hotline <abuse-replies@hotline.example>
Subject: =?utf-8?q?Re:_Notice_of_illegal_content_=E2=80=93_done?=
Date: Tue, 27 Apr 2027 10:15:00 +0200
Message-ID: <ticket-991@host.example>
In-Reply-To: <undox-notice-42@hotline.example>
References: <older@elsewhere.example> <undox-notice-42@hotline.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

We have removed the content. Caf=C3=A9.

--b1
Content-Type: text/html; charset=utf-8

<p>We have <b>removed</b> the content.</p>
--b1--
`

const outOfOffice = `From: Jan <jan@host.example>
To: abuse-replies@hotline.example
Subject: Automatic reply: Notice of illegal content
Auto-Submitted: auto-replied
Message-ID: <oof-1@host.example>
References: <undox-notice-43@hotline.example>
Content-Type: text/plain

I am out of the office until Monday.
`

const dsnBounce = `From: Mail Delivery System <MAILER-DAEMON@mx.hotline.example>
To: abuse-replies@hotline.example
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Message-ID: <20270427101500.ABC@mx.hotline.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="rep"

--rep
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.hotline.example.
I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--rep
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.hotline.example
X-Postfix-Queue-ID: ABC
Arrival-Date: Tue, 27 Apr 2027 10:14:58 +0200

Final-Recipient: rfc822; abuse@gone.example
Original-Recipient: rfc822;abuse@gone.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.gone.example
Diagnostic-Code: smtp; 550 5.1.1 <abuse@gone.example>: Recipient address
    rejected: User unknown in virtual mailbox table

--rep
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Hotline <abuse-replies@hotline.example>
To: abuse@gone.example
Subject: Notice of illegal content
Message-ID: <undox-notice-44@hotline.example>

--rep--
`

const taggedReply = `From: support@host.example
To: abuse-replies+n45@hotline.example
Subject: [Ticket #5521] Your report
Message-ID: <t5521@host.example>
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Thanks, the account has been suspended. Caf=E9.
`

func TestParseNormalReply(t *testing.T) {
	r := mail.ParseReply(crlf(normalReply), 0)
	require.Equal(t, "<ticket-991@host.example>", r.MessageID)
	require.Equal(t, "<undox-notice-42@hotline.example>", r.InReplyTo)
	require.Equal(t, []string{"<older@elsewhere.example>", "<undox-notice-42@hotline.example>"}, r.References)
	require.Equal(t, "abuse@host.example", r.From)
	require.Equal(t, []string{"abuse-replies@hotline.example"}, r.To)
	require.Equal(t, "Re: Notice of illegal content – done", r.Subject)
	require.True(t, r.Date.Equal(time.Date(2027, 4, 27, 8, 15, 0, 0, time.UTC)))
	require.Equal(t, "We have removed the content. Café.", r.Text, "the plain part, decoded")
	require.False(t, r.AutoReply)
	require.Nil(t, r.Bounce)
	require.Equal(t, int64(42), r.NoticeID)
	require.Equal(t, "in-reply-to", r.MatchedBy)
}

func TestParseAutoReplies(t *testing.T) {
	r := mail.ParseReply(crlf(outOfOffice), 0)
	require.True(t, r.AutoReply)
	require.Nil(t, r.Bounce)
	require.Equal(t, int64(43), r.NoticeID)
	require.Equal(t, "references", r.MatchedBy)

	for _, c := range []struct{ headers, subject string }{
		{"X-Autoreply: yes\n", "Re: your notice"},
		{"Precedence: bulk\n", "Re: your notice"},
		{"Precedence: auto_reply\n", "Re: your notice"},
		{"Auto-Submitted: auto-generated\n", "We received your report"},
		{"", "Out of Office: Notice"},
		{"", "Automatisch antwoord: Notice"},
		{"", "Abwesenheitsnotiz: Notice"},
		{"", "Réponse automatique : Notice"},
		{"", "AW: Out of office"},
	} {
		msg := "From: x@host.example\nTo: y@hotline.example\n" + c.headers + "Subject: " + c.subject + "\n\nAway.\n"
		require.True(t, mail.ParseReply(crlf(msg), 0).AutoReply, "%q %q", c.headers, c.subject)
	}
	for _, c := range []struct{ headers, subject string }{
		{"Auto-Submitted: no\n", "Re: your notice"},
		{"Precedence: list\n", "Re: your notice"},
		{"", "Re: the office is closed, content removed"},
	} {
		msg := "From: x@host.example\nTo: y@hotline.example\n" + c.headers + "Subject: " + c.subject + "\n\nDone.\n"
		require.False(t, mail.ParseReply(crlf(msg), 0).AutoReply, "%q %q", c.headers, c.subject)
	}
}

func TestParseDSN(t *testing.T) {
	r := mail.ParseReply(crlf(dsnBounce), 0)
	require.NotNil(t, r.Bounce)
	require.Equal(t, &mail.Bounce{
		Recipient:  "abuse@gone.example",
		Status:     "5.1.1",
		Permanent:  true,
		Action:     "failed",
		Diagnostic: "550 5.1.1 <abuse@gone.example>: Recipient address rejected: User unknown in virtual mailbox table",
		DSN:        true,
	}, r.Bounce)
	require.Equal(t, int64(44), r.NoticeID)
	require.Equal(t, "original", r.MatchedBy)
	require.Contains(t, r.Text, "could not\nbe delivered")

	// A delay report is a bounce that is not permanent.
	delayed := strings.NewReplacer("Action: failed", "Action: delayed", "Status: 5.1.1", "Status: 4.4.1").Replace(dsnBounce)
	r = mail.ParseReply(crlf(delayed), 0)
	require.NotNil(t, r.Bounce)
	require.False(t, r.Bounce.Permanent)
	require.Equal(t, "delayed", r.Bounce.Action)
	// A success report is not a bounce.
	delivered := strings.NewReplacer("Action: failed", "Action: delivered", "Status: 5.1.1", "Status: 2.0.0").Replace(dsnBounce)
	require.Nil(t, mail.ParseReply(crlf(delivered), 0).Bounce)
}

func TestParseNonDSNBounces(t *testing.T) {
	qmail := `From: MAILER-DAEMON@mail.host.example
To: abuse-replies+n46@hotline.example
Subject: failure notice
Return-Path: <>

Hi. This is the qmail-send program at mail.host.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<abuse@host.example>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

From: abuse-replies+n46@hotline.example
Message-ID: <undox-notice-46@hotline.example>
Subject: Notice of illegal content
`
	r := mail.ParseReply(crlf(qmail), 0)
	require.NotNil(t, r.Bounce)
	require.False(t, r.Bounce.DSN)
	require.True(t, r.Bounce.Permanent)
	require.Equal(t, "abuse@host.example", r.Bounce.Recipient)
	require.Equal(t, "5.1.1", r.Bounce.Status)
	require.Equal(t, int64(46), r.NoticeID)
	require.Equal(t, "address", r.MatchedBy)

	exim := `From: Mail Delivery System <Mailer-Daemon@relay.example>
To: abuse-replies@hotline.example
Subject: Mail delivery failed: returning message to sender

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  abuse@old-host.example
    host mx.old-host.example [192.0.2.1]
    SMTP error from remote mail server after RCPT TO:<abuse@old-host.example>:
    550 No such user here

------ This is a copy of the message, including all the headers. ------

Message-ID: <undox-notice-47@hotline.example>
`
	r = mail.ParseReply(crlf(exim), 0)
	require.NotNil(t, r.Bounce)
	require.True(t, r.Bounce.Permanent)
	require.Equal(t, "abuse@old-host.example", r.Bounce.Recipient)
	require.Equal(t, int64(47), r.NoticeID)
	require.Equal(t, "original", r.MatchedBy)

	delay := `From: postmaster@relay.example
To: abuse-replies@hotline.example
Subject: Delivery Status Notification (Delay)

Delivery to the following recipient has been delayed:

     abuse@slow.example

Message will be retried for 2 more day(s)
`
	r = mail.ParseReply(crlf(delay), 0)
	require.NotNil(t, r.Bounce)
	require.False(t, r.Bounce.Permanent)
	require.Equal(t, "abuse@slow.example", r.Bounce.Recipient)

	// A person at a postmaster address writing an ordinary reply is not a
	// bounce.
	human := "From: postmaster@host.example\nTo: abuse-replies@hotline.example\nSubject: Re: Notice\n\nWe took it down.\n"
	require.Nil(t, mail.ParseReply(crlf(human), 0).Bounce)
}

func TestParseTaggedAndCharset(t *testing.T) {
	r := mail.ParseReply(crlf(taggedReply), 0)
	require.Equal(t, int64(45), r.NoticeID)
	require.Equal(t, "address", r.MatchedBy)
	require.Equal(t, "Thanks, the account has been suspended. Café.", r.Text)
	require.False(t, r.AutoReply, "a ticket number is not an auto-reply by itself")

	// Delivered-To counts too.
	msg := "Delivered-To: abuse-replies+n48@hotline.example\nFrom: a@host.example\nTo: hotline@hotline.example\nSubject: x\n\ny\n"
	r = mail.ParseReply(crlf(msg), 0)
	require.Equal(t, int64(48), r.NoticeID)
}

func TestParseBoundsAndHTML(t *testing.T) {
	long := "From: a@host.example\nTo: b@hotline.example\nSubject: long\nContent-Type: text/plain; charset=utf-8\n\n" + strings.Repeat("é", 100) + "\n"
	r := mail.ParseReply(crlf(long), 51)
	require.True(t, r.Truncated)
	require.Equal(t, strings.Repeat("é", 25), r.Text, "cut at 51 bytes, not in the middle of a character")

	htmlOnly := `From: a@host.example
To: b@hotline.example
Subject: html
Content-Type: text/html; charset=utf-8

<html><head><style>p{color:red}</style><script>alert(1)</script></head>
<body><p>Removed.</p><p>Kind  regards,<br>Abuse team</p></body></html>
`
	r = mail.ParseReply(crlf(htmlOnly), 0)
	require.Equal(t, "Removed.\n\nKind regards,\nAbuse team", r.Text)

	// Garbage does not panic and gives what it can.
	r = mail.ParseReply([]byte("no header at all"), 0)
	require.Zero(t, r.NoticeID)
	r = mail.ParseReply(nil, 0)
	require.Zero(t, r.NoticeID)
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{normalReply, outOfOffice, dsnBounce, taggedReply, "", "x", "Subject: a\n\n<p>b"} {
		f.Add(crlf(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := mail.ParseReply(raw, 100)
		if len(r.Text) > 100 {
			t.Fatalf("text of %d bytes", len(r.Text))
		}
	})
}
