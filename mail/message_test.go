package mail_test

import (
	"io"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	undoxmail "github.com/undox/undox/mail"
)

func TestAutoMessage(t *testing.T) {
	at := time.Date(2026, 7, 14, 10, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	msg, id, err := undoxmail.AutoMessage("update", "meldpunt@hotline.example", "ouder@mail.example", "Nieuws over uw melding ✓",
		"Hallo,\n\nEen nieuwe stap.\n", at)
	require.NoError(t, err)
	require.Regexp(t, `^<update-[a-z0-9]+@hotline\.example>$`, id)
	require.NotContains(t, strings.ReplaceAll(string(msg), "\r\n", ""), "\n", "every line ends in CRLF")

	m, err := mail.ReadMessage(strings.NewReader(string(msg)))
	require.NoError(t, err)
	require.Equal(t, "meldpunt@hotline.example", m.Header.Get("From"))
	require.Equal(t, "ouder@mail.example", m.Header.Get("To"))
	require.Equal(t, id, m.Header.Get("Message-Id"))
	require.Equal(t, "auto-generated", m.Header.Get("Auto-Submitted"))
	require.Equal(t, "text/plain; charset=utf-8", m.Header.Get("Content-Type"))
	require.Equal(t, "Tue, 14 Jul 2026 08:30:00 +0000", m.Header.Get("Date"))
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, "Nieuws over uw melding ✓", subject)
	body, err := io.ReadAll(m.Body)
	require.NoError(t, err)
	require.Equal(t, "Hallo,\r\n\r\nEen nieuwe stap.\r\n", string(body))

	_, again, err := undoxmail.AutoMessage("update", "meldpunt@hotline.example", "ouder@mail.example", "x", "y", at)
	require.NoError(t, err)
	require.NotEqual(t, id, again, "each message has a Message-ID of its own")
}
