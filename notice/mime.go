package notice

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"
)

// Message returns the e-mail of a notice (RFC 5322, MIME): a
// multipart/mixed message with the text as a text/plain UTF-8
// quoted-printable part, then one application/json attachment per X-ARF
// report (xarf-1.json, …), as X-ARF over e-mail has it. Its headers are
// From, To, Subject (RFC 2047 encoded when not ASCII), Date, Message-ID
// (given, so that a resend carries the same one), In-Reply-To and
// References for a reminder threaded to its first notice, MIME-Version,
// X-ARF: yes, and Auto-Submitted: auto-generated when the notice was
// sent without a human decision. The same notice, addresses, Message-ID
// and date give the same bytes.
func Message(n *Notice, from, to string, messageID string, date time.Time) ([]byte, error) {
	if n == nil || n.Subject == "" || n.Text == "" {
		return nil, errors.New("notice: no notice to send")
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("notice: From %q: %w", from, err)
	}
	toList, err := mail.ParseAddressList(to)
	if err != nil || len(toList) == 0 {
		return nil, fmt.Errorf("notice: To %q: not an address list", to)
	}
	id, err := normalizeMessageID(messageID)
	if err != nil {
		return nil, err
	}
	if date.IsZero() {
		return nil, errors.New("notice: the message has no date")
	}
	for _, j := range n.XARF {
		if err := ValidateXARF(j); err != nil {
			return nil, err
		}
	}

	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", fromAddr.String())
	tos := make([]string, len(toList))
	for i, a := range toList {
		tos[i] = a.String()
	}
	h("To", strings.Join(tos, ",\r\n "))
	h("Subject", encodeHeader(n.Subject))
	h("Date", date.Format(time.RFC1123Z))
	h("Message-ID", id)
	if n.InReplyTo != "" {
		if orig, err := normalizeMessageID(n.InReplyTo); err == nil && orig != id {
			h("In-Reply-To", orig)
			h("References", orig)
		}
	}
	h("MIME-Version", "1.0")
	if n.Automatic {
		h("Auto-Submitted", "auto-generated")
	}
	h("X-ARF", "yes")
	if n.Language != "" {
		h("Content-Language", n.Language)
	}

	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	// The boundary derives from the Message-ID: a resend gives the same
	// bytes. It cannot occur in the parts, which are quoted-printable
	// (no line starts with "--" followed by it) and base64.
	sum := sha256.Sum256([]byte(id))
	if err := w.SetBoundary("undox-notice-" + hex.EncodeToString(sum[:12])); err != nil {
		return nil, err
	}
	h("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": w.Boundary()}))
	b.WriteString("\r\n")

	// The text.
	th := textproto.MIMEHeader{}
	th.Set("Content-Type", "text/plain; charset=utf-8")
	th.Set("Content-Transfer-Encoding", "quoted-printable")
	th.Set("Content-Disposition", "inline")
	pw, err := w.CreatePart(th)
	if err != nil {
		return nil, err
	}
	qp := quotedprintable.NewWriter(pw)
	if _, err := qp.Write([]byte(n.Text)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}

	// One X-ARF report per URL.
	for i, j := range n.XARF {
		name := fmt.Sprintf("xarf-%d.json", i+1)
		ah := textproto.MIMEHeader{}
		ah.Set("Content-Type", mime.FormatMediaType("application/json", map[string]string{"charset": "utf-8", "name": name}))
		ah.Set("Content-Transfer-Encoding", "base64")
		ah.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		pw, err := w.CreatePart(ah)
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(j)
		for len(enc) > 76 {
			pw.Write([]byte(enc[:76] + "\r\n"))
			enc = enc[76:]
		}
		pw.Write([]byte(enc + "\r\n"))
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

// encodeHeader encodes a header value as RFC 2047 encoded-words when it
// is not plain ASCII, folding between words.
func encodeHeader(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", s), "?= =?", "?=\r\n =?")
}

// msgIDPart is the left or right side of a Message-ID: dot-atom text.
var msgIDPart = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+)*$`)

// normalizeMessageID returns a Message-ID in angle brackets, checked:
// id-left "@" id-right, both dot-atom text.
func normalizeMessageID(id string) (string, error) {
	s := strings.TrimSpace(id)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	left, right, ok := strings.Cut(s, "@")
	if !ok || !msgIDPart.MatchString(left) || !msgIDPart.MatchString(right) || len(s) > 250 {
		return "", fmt.Errorf("notice: %q is not a Message-ID (<left@domain>)", id)
	}
	return "<" + s + ">", nil
}

// MessageID returns the Message-ID of a notice: <notice.ID@domain>, for
// the notice's identifier in undox (letters, digits, "-", "_" or ".") and
// the domain of the sending address. It depends on nothing else, so the
// Message-ID recorded before an SMTP transaction is the one a resend
// carries. The identifier is undox's own, not a case reference.
func MessageID(noticeID, domain string) (string, error) {
	domain = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))
	if noticeID == "" || !noticeIDPattern.MatchString(noticeID) {
		return "", fmt.Errorf("notice: %q is not a notice identifier", noticeID)
	}
	if !msgIDPart.MatchString(domain) || !strings.Contains(domain, ".") {
		return "", fmt.Errorf("notice: %q is not a domain name", domain)
	}
	return normalizeMessageID("notice." + noticeID + "@" + domain)
}

var noticeIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
