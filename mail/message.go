package mail

import (
	"mime"
	"strings"
	"time"

	"github.com/undox/undox/secret"
)

// AutoMessage returns an automatic message (Auto-Submitted:
// auto-generated) of plain UTF-8 text from one address to another, and
// its Message-ID: new and random, "<KIND-…@DOMAIN>" in the domain of
// from. The body's lines may end in "\n"; the message's end in CRLF. The
// caller checks the addresses.
func AutoMessage(kind, from, to, subject, body string, at time.Time) ([]byte, string, error) {
	rnd, err := secret.Token(16)
	if err != nil {
		return nil, "", err
	}
	id := "<" + kind + "-" + strings.ToLower(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, rnd)) + "@" + from[strings.LastIndexByte(from, '@')+1:] + ">"
	var b strings.Builder
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from)
	h("To", to)
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", at.UTC().Format(time.RFC1123Z))
	h("Message-ID", id)
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(b.String()), id, nil
}
