package notice

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
)

const from = "Meldpunt Voorbeeld <meldingen@meldpunt-voorbeeld.example>"

func TestMessage(t *testing.T) {
	for _, lang := range Languages() {
		for _, automatic := range []bool{false, true} {
			in := input(t, undox.RoleHost, lang)
			in.Automatic = automatic
			n, err := Render(in, nil)
			require.NoError(t, err)
			date := time.Date(2026, 7, 14, 12, 30, 5, 0, time.FixedZone("CEST", 2*3600))
			raw, err := Message(n, from, "Voorbeeld Hosting <abuse@hosting-voorbeeld.example>", in.MessageID, date)
			require.NoError(t, err)
			require.NotContains(t, strings.ReplaceAll(string(raw), "\r\n", ""), "\n", "every line ends in CRLF")

			m, err := mail.ReadMessage(bytes.NewReader(raw))
			require.NoError(t, err)
			h := m.Header
			a, err := mail.ParseAddress(h.Get("From"))
			require.NoError(t, err)
			require.Equal(t, "meldingen@meldpunt-voorbeeld.example", a.Address)
			require.Equal(t, "Meldpunt Voorbeeld", a.Name)
			to, err := h.AddressList("To")
			require.NoError(t, err)
			require.Len(t, to, 1)
			require.Equal(t, "abuse@hosting-voorbeeld.example", to[0].Address)
			// The subject has an em dash: encoded, and decodes back.
			require.True(t, strings.HasPrefix(h.Get("Subject"), "=?utf-8?q?"), h.Get("Subject"))
			subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			require.NoError(t, err)
			require.Equal(t, n.Subject, subject)
			d, err := h.Date()
			require.NoError(t, err)
			require.True(t, d.Equal(date))
			require.Equal(t, "<notice.17@meldpunt-voorbeeld.example>", h.Get("Message-ID"))
			require.Equal(t, "1.0", h.Get("MIME-Version"))
			require.Equal(t, "yes", h.Get("X-ARF"))
			require.Equal(t, lang, h.Get("Content-Language"))
			if automatic {
				require.Equal(t, "auto-generated", h.Get("Auto-Submitted"))
			} else {
				require.Empty(t, h.Get("Auto-Submitted"))
			}
			require.Empty(t, h.Get("In-Reply-To"))

			mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
			require.NoError(t, err)
			require.Equal(t, "multipart/mixed", mt)
			mr := multipart.NewReader(m.Body, params["boundary"])

			// The text: UTF-8, quoted-printable, the notice's text.
			p, err := mr.NextRawPart()
			require.NoError(t, err)
			require.Equal(t, "text/plain; charset=utf-8", p.Header.Get("Content-Type"))
			require.Equal(t, "quoted-printable", p.Header.Get("Content-Transfer-Encoding"))
			text, err := io.ReadAll(quotedprintable.NewReader(p))
			require.NoError(t, err)
			require.Equal(t, strings.ReplaceAll(n.Text, "\n", "\r\n"), string(text))

			// One X-ARF attachment per URL, decoding to the report.
			for i := range n.XARF {
				p, err := mr.NextRawPart()
				require.NoError(t, err)
				ct, cparams, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
				require.NoError(t, err)
				require.Equal(t, "application/json", ct)
				require.Equal(t, "utf-8", cparams["charset"])
				require.Equal(t, "base64", p.Header.Get("Content-Transfer-Encoding"))
				disp, dparams, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
				require.NoError(t, err)
				require.Equal(t, "attachment", disp)
				require.Equal(t, []string{"xarf-1.json", "xarf-2.json"}[i], dparams["filename"])
				enc, err := io.ReadAll(p)
				require.NoError(t, err)
				doc, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(enc), "\r\n", ""))
				require.NoError(t, err)
				require.Equal(t, string(n.XARF[i]), string(doc))
				require.NoError(t, ValidateXARF(doc))
			}
			_, err = mr.NextRawPart()
			require.ErrorIs(t, err, io.EOF)

			// A resend: the same bytes, the same Message-ID.
			again, err := Message(n, from, "Voorbeeld Hosting <abuse@hosting-voorbeeld.example>", in.MessageID, date)
			require.NoError(t, err)
			require.Equal(t, raw, again)
		}
	}
}

func TestMessageReminderThreads(t *testing.T) {
	in := input(t, undox.RoleHost, "en")
	in.Reminder, in.FirstSentAt = 1, t0.AddDate(0, 0, -3)
	in.OriginalMessageID = "notice.16@meldpunt-voorbeeld.example"
	n, err := Render(in, nil)
	require.NoError(t, err)
	raw, err := Message(n, from, "abuse@hosting-voorbeeld.example", "notice.17@meldpunt-voorbeeld.example", t0)
	require.NoError(t, err)
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, "<notice.17@meldpunt-voorbeeld.example>", m.Header.Get("Message-ID"))
	require.Equal(t, "<notice.16@meldpunt-voorbeeld.example>", m.Header.Get("In-Reply-To"))
	require.Equal(t, "<notice.16@meldpunt-voorbeeld.example>", m.Header.Get("References"))
}

func TestMessageASCIISubjectAndLongSubject(t *testing.T) {
	n := &Notice{Subject: "Plain subject", Text: "Body.\n", Language: "en"}
	raw, err := Message(n, from, "abuse@hosting-voorbeeld.example", "<a.1@meldpunt-voorbeeld.example>", t0)
	require.NoError(t, err)
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, "Plain subject", m.Header.Get("Subject"))

	n.Subject = "Herinnering 3: Melding van illegale inhoud op grond van art. 16 DSA — een-zeer-lange-hostnaam-voor-deze-test.voorbeeld-hosting.example"
	raw, err = Message(n, from, "abuse@hosting-voorbeeld.example", "<a.2@meldpunt-voorbeeld.example>", t0)
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\r\n") {
		require.LessOrEqual(t, len(line), 998)
	}
	m, err = mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, n.Subject, subject)
}

func TestMessageRefuses(t *testing.T) {
	n, err := Render(input(t, undox.RoleHost, "en"), nil)
	require.NoError(t, err)
	_, err = Message(n, "not an address", "abuse@hosting-voorbeeld.example", "<a.1@x.example>", t0)
	require.Error(t, err)
	_, err = Message(n, from, "", "<a.1@x.example>", t0)
	require.Error(t, err)
	_, err = Message(n, from, "abuse@hosting-voorbeeld.example", "no-at-sign", t0)
	require.Error(t, err)
	_, err = Message(n, from, "abuse@hosting-voorbeeld.example", "<a@b.example>\r\nBcc: x@y.example", t0)
	require.Error(t, err)
	_, err = Message(n, from, "abuse@hosting-voorbeeld.example", "<a.1@x.example>", time.Time{})
	require.Error(t, err)
	_, err = Message(nil, from, "abuse@hosting-voorbeeld.example", "<a.1@x.example>", t0)
	require.Error(t, err)
	// A report altered after rendering is never sent.
	bad := *n
	bad.XARF = append([]json.RawMessage(nil), n.XARF...)
	bad.XARF[0] = []byte(`{"xarf_version":"4.2.0"}`)
	_, err = Message(&bad, from, "abuse@hosting-voorbeeld.example", "<a.1@x.example>", t0)
	require.Error(t, err)
}

func TestMessageID(t *testing.T) {
	id, err := MessageID("42", "Meldpunt-Voorbeeld.example.")
	require.NoError(t, err)
	require.Equal(t, "<notice.42@meldpunt-voorbeeld.example>", id)
	again, err := MessageID("42", "meldpunt-voorbeeld.example")
	require.NoError(t, err)
	require.Equal(t, id, again, "the same notice always has the same Message-ID")
	id, err = MessageID("01J2ZQ-x_7", "meldpunt-voorbeeld.example")
	require.NoError(t, err)
	require.Equal(t, "<notice.01J2ZQ-x_7@meldpunt-voorbeeld.example>", id)
	for _, c := range [][2]string{{"", "meldpunt-voorbeeld.example"}, {"4 2", "meldpunt-voorbeeld.example"}, {"42>", "x.example"}, {"42", ""}, {"42", "localhost"}, {"42", "a b.example"}} {
		_, err := MessageID(c[0], c[1])
		require.Error(t, err, c)
	}
}
