package mail

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // replies come in every charset
	"golang.org/x/net/html"
)

// MessageID returns the Message-ID of a notice, "<undox-notice-ID@DOMAIN>":
// the same for every copy of the notice, so that a resend in the DATA
// window carries the same one, and so that a reply's In-Reply-To or
// References lead back to the notice (see [ParseNoticeID]). It is unique
// as long as notice IDs are unique for the domain.
func MessageID(noticeID int64, domain string) string {
	return fmt.Sprintf("<%s%d@%s>", idPrefix, noticeID, domain)
}

const idPrefix = "undox-notice-"

// TaggedAddress returns the address that replies to a notice go to, with
// the notice tagged in its local part: abuse-replies@hotline.example and
// notice 123 give abuse-replies+n123@hotline.example. Used as the notice's
// Reply-To and envelope sender, it matches replies and bounces that lose
// the headers (see [ParseNoticeID]).
func TaggedAddress(addr string, noticeID int64) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	return fmt.Sprintf("%s+n%d%s", addr[:at], noticeID, addr[at:])
}

var taggedRE = regexp.MustCompile(`\+n([0-9]{1,18})@`)

// ParseNoticeID finds the notice in a Message-ID made by [MessageID]
// ("<undox-notice-123@…>", with or without the angle brackets) or in an
// address made by [TaggedAddress] ("…+n123@…").
func ParseNoticeID(s string) (int64, bool) {
	if id, ok := noticeOfMessageID(s); ok {
		return id, true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "<"), ">")
	if m := taggedRE.FindStringSubmatch(s); m != nil && strings.Count(s, "@") == 1 {
		return parseID(m[1])
	}
	return 0, false
}

// noticeOfMessageID reads a Message-ID made by MessageID only.
func noticeOfMessageID(s string) (int64, bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "<"), ">")
	if rest, ok := cutPrefixFold(s, idPrefix); ok {
		if digits, _, ok := strings.Cut(rest, "@"); ok {
			return parseID(digits)
		}
	}
	return 0, false
}

func parseID(digits string) (int64, bool) {
	if digits == "" || len(digits) > 18 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil && n > 0
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// Reply is a message read from the replies mailbox.
type Reply struct {
	// UID and UIDValidity are the message's IMAP UID and the mailbox's
	// UIDVALIDITY: a caller keeps the highest UID it handled, and starts
	// again from 0 when UIDVALIDITY changes.
	UID         uint32
	UIDValidity uint32
	// MessageID, InReplyTo and References are Message-IDs with their angle
	// brackets, as MessageID makes them.
	MessageID  string
	InReplyTo  string
	References []string
	From       string   // the sender's address
	To         []string // the addresses of To and Cc
	Subject    string
	Date       time.Time // zero when missing or unreadable
	// Text is the plain text of the message (its text/plain part, or its
	// HTML part as text), at most MaxText bytes; Truncated says it was cut.
	Text      string
	Truncated bool
	// AutoReply is set for automatic replies: Auto-Submitted other than
	// "no", X-Autoreply, Precedence bulk/junk/auto_reply, or a subject like
	// "Out of office" or "Automatic reply". A ticket system's automatic
	// acknowledgement is one too.
	AutoReply bool
	// Bounce is set when the message reports that a delivery failed or is
	// delayed.
	Bounce *Bounce
	// NoticeID is the notice the message answers, 0 when none was found;
	// MatchedBy says how: "in-reply-to", "references", "address" (a tagged
	// recipient address) or "original" (the Message-ID of the original
	// message returned in a bounce).
	NoticeID  int64
	MatchedBy string
}

// Bounce is what a delivery report says.
type Bounce struct {
	// Recipient is the address that failed.
	Recipient string
	// Status is the enhanced status code ("5.1.1"), when known.
	Status string
	// Permanent is true when delivery failed for good (a DSN with Action
	// failed and a 5.x.x status, or a non-DSN bounce with a 5xx code):
	// the address should be marked invalid. False for a delay or a
	// temporary failure.
	Permanent bool
	// Action is the DSN's action (failed, delayed, …); "" for a bounce
	// that is not a DSN.
	Action string
	// Diagnostic is the remote server's reply, when given.
	Diagnostic string
	// DSN is true when the bounce is an RFC 3464 delivery status
	// notification; false when it was recognised by its sender, subject
	// and text.
	DSN bool
}

// DefaultMaxText bounds Reply.Text when no other bound is given.
const DefaultMaxText = 64 << 10

// ParseReply reads a raw message (RFC 5322). It is lenient: whatever it
// cannot read stays empty. maxText bounds Reply.Text (DefaultMaxText when
// zero or less).
func ParseReply(raw []byte, maxText int) Reply {
	if maxText <= 0 {
		maxText = DefaultMaxText
	}
	var r Reply
	p := &replyParser{maxText: maxText, hdr: mapHeader{}}
	// An unknown charset or encoding still gives an entity to read.
	e, _ := message.Read(bytes.NewReader(raw))
	if e == nil {
		// The header is unreadable: keep what net/mail can see.
		if m, err2 := netmail.ReadMessage(bytes.NewReader(raw)); err2 == nil {
			p.header(&r, mapHeader(m.Header))
		}
		body := raw
		if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
			body = raw[i+4:]
		}
		p.addText(string(body), false)
	} else {
		p.header(&r, &e.Header)
		p.walk(e)
	}
	r.Text, r.Truncated = p.text()
	r.AutoReply = isAutoReply(p.hdr, r.Subject)
	r.Bounce = p.bounce(&r)
	r.NoticeID, r.MatchedBy = p.match(&r)
	return r
}

// headerGetter is what the parser needs of a header.
type headerGetter interface {
	Get(key string) string
}

type mapHeader netmail.Header

func (h mapHeader) Get(key string) string { return netmail.Header(h).Get(key) }

type replyParser struct {
	maxText int
	hdr     headerGetter

	plain, htmlText strings.Builder
	plainCut        bool
	htmlCut         bool
	hasPlain        bool

	reportDSN   bool     // Content-Type multipart/report; report-type=delivery-status
	dsn         []Bounce // per-recipient fields of a message/delivery-status part
	originalIDs []string // Message-IDs of a returned original message
}

var (
	msgIDRE    = regexp.MustCompile(`<[^<>\s]+>`)
	noticeIDRE = regexp.MustCompile(`(?i)<` + idPrefix + `[0-9]+@[^<>\s]+>`)
)

var wordDecoder = &mime.WordDecoder{CharsetReader: message.CharsetReader}

func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

func (p *replyParser) header(r *Reply, h headerGetter) {
	p.hdr = h
	if ids := msgIDRE.FindAllString(h.Get("Message-Id"), 1); len(ids) > 0 {
		r.MessageID = ids[0]
	}
	if ids := msgIDRE.FindAllString(h.Get("In-Reply-To"), -1); len(ids) > 0 {
		r.InReplyTo = ids[0]
	}
	r.References = msgIDRE.FindAllString(h.Get("References"), -1)
	if as := addresses(h.Get("From")); len(as) > 0 {
		r.From = as[0]
	}
	r.To = append(addresses(h.Get("To")), addresses(h.Get("Cc"))...)
	r.Subject = strings.TrimSpace(decodeHeader(h.Get("Subject")))
	if d, err := netmail.ParseDate(h.Get("Date")); err == nil {
		r.Date = d
	}
}

// addresses reads an address list leniently.
func addresses(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	if list, err := (&netmail.AddressParser{WordDecoder: wordDecoder}).ParseList(v); err == nil {
		out := make([]string, 0, len(list))
		for _, a := range list {
			out = append(out, strings.ToLower(a.Address))
		}
		return out
	}
	var out []string
	for _, m := range addrRE.FindAllString(v, -1) {
		out = append(out, strings.ToLower(m))
	}
	return out
}

var addrRE = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+`)

// maxPart bounds what is read of one part.
const maxPart = 1 << 20

func (p *replyParser) walk(e *message.Entity) {
	_ = e.Walk(func(path []int, part *message.Entity, err error) error {
		if part == nil {
			return nil
		}
		ct, params, _ := part.Header.ContentType()
		if ct == "" {
			ct = "text/plain"
		}
		if len(path) == 0 && ct == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") {
			p.reportDSN = true
		}
		if strings.HasPrefix(ct, "multipart/") {
			return nil
		}
		disp, _, _ := part.Header.ContentDisposition()
		body, _ := io.ReadAll(io.LimitReader(part.Body, maxPart))
		switch ct {
		case "text/plain":
			if disp != "attachment" {
				p.hasPlain = true
				p.addText(string(body), false)
			}
		case "text/html":
			if disp != "attachment" {
				p.addText(htmlToText(body), true)
			}
		case "message/delivery-status", "message/global-delivery-status":
			p.dsn = append(p.dsn, parseDSN(body)...)
		case "message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers":
			if h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(body, "\r\n\r\n"...)))).ReadMIMEHeader(); err == nil || len(h) > 0 {
				p.originalIDs = append(p.originalIDs, msgIDRE.FindAllString(h.Get("Message-Id"), 1)...)
			}
		}
		return nil
	})
}

// addText keeps the text of the first parts, up to the bound.
func (p *replyParser) addText(s string, isHTML bool) {
	b, cut := &p.plain, &p.plainCut
	if isHTML {
		b, cut = &p.htmlText, &p.htmlCut
	}
	if *cut {
		return
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if room := p.maxText - b.Len(); len(s) > room {
		s = s[:max(room, 0)]
		for i := 0; i < utf8.UTFMax-1 && len(s) > 0; i++ { // do not end in half a character
			if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size > 1 {
				break
			}
			s = s[:len(s)-1]
		}
		*cut = true
	}
	b.WriteString(s)
}

func (p *replyParser) text() (string, bool) {
	if p.hasPlain || p.htmlText.Len() == 0 {
		return strings.TrimSpace(p.plain.String()), p.plainCut
	}
	return strings.TrimSpace(p.htmlText.String()), p.htmlCut
}

// htmlToText keeps the text of an HTML document, a line per block.
func htmlToText(b []byte) string {
	z := html.NewTokenizer(bytes.NewReader(b))
	var out strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(collapseBlankLines(out.String()))
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				skip++
			case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "blockquote":
				out.WriteString("\n")
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				skip = max(skip-1, 0)
			case "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "blockquote":
				out.WriteString("\n")
			}
		case html.TextToken:
			if skip == 0 {
				out.WriteString(strings.Join(strings.Fields(string(z.Text())), " "))
				out.WriteString(" ")
			}
		}
	}
}

// collapseBlankLines trims the lines and keeps at most one blank line in a
// row.
func collapseBlankLines(s string) string {
	var out []string
	blank := false
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// parseDSN reads the per-recipient fields of a message/delivery-status
// body (RFC 3464): blocks of fields separated by blank lines, the first
// one about the message.
func parseDSN(body []byte) []Bounce {
	text := strings.ReplaceAll(string(body), "\r\n", "\n")
	blocks := regexp.MustCompile(`\n[ \t]*\n`).Split(strings.TrimSpace(text), -1)
	var out []Bounce
	for i, block := range blocks {
		if i == 0 {
			continue // per-message fields
		}
		h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(block + "\n\n"))).ReadMIMEHeader()
		if err != nil && len(h) == 0 {
			continue
		}
		rcpt := dsnAddress(h.Get("Final-Recipient"))
		if rcpt == "" {
			rcpt = dsnAddress(h.Get("Original-Recipient"))
		}
		action := strings.ToLower(strings.TrimSpace(h.Get("Action")))
		status := strings.TrimSpace(h.Get("Status"))
		if f := strings.Fields(status); len(f) > 0 {
			status = f[0]
		}
		out = append(out, Bounce{
			Recipient:  rcpt,
			Status:     status,
			Action:     action,
			Permanent:  action == "failed" && strings.HasPrefix(status, "5."),
			Diagnostic: dsnDiagnostic(h.Get("Diagnostic-Code")),
			DSN:        true,
		})
	}
	return out
}

// dsnAddress reads "rfc822; user@example.com".
func dsnAddress(v string) string {
	_, addr, ok := strings.Cut(v, ";")
	if !ok {
		addr = v
	}
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	return strings.ToLower(addr)
}

// dsnDiagnostic reads "smtp; 550 5.1.1 …".
func dsnDiagnostic(v string) string {
	if _, d, ok := strings.Cut(v, ";"); ok {
		v = d
	}
	return strings.Join(strings.Fields(v), " ")
}

var (
	bounceSenders   = []string{"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
	bounceSubjectRE = regexp.MustCompile(`(?i)undeliver|undelivered mail|delivery status notification|delivery (?:has )?fail|mail delivery (?:failed|subsystem)|returned mail|failure notice|could not be delivered|non[- ]?delivery|delivery notification|unzustellbar|onbestelbaar|niet afgeleverd|non remis|non distribuable`)
	delaySubjectRE  = regexp.MustCompile(`(?i)\bdelay|warning|vertraagd|verzögert|retard`)
	statusRE        = regexp.MustCompile(`\b([45])\.(\d{1,3})\.(\d{1,3})\b`)
	smtpCodeRE      = regexp.MustCompile(`(?m)(?:^|\s)([45]\d\d)[\s-]`)
)

// bounce decides whether the message is a bounce and reads it.
func (p *replyParser) bounce(r *Reply) *Bounce {
	if len(p.dsn) > 0 {
		// The first failure, else the first delay; success reports are not
		// bounces.
		for _, want := range []string{"failed", "delayed"} {
			for _, b := range p.dsn {
				if b.Action == want {
					b := b
					return &b
				}
			}
		}
		return nil
	}
	fromBouncer := false
	if at := strings.LastIndexByte(r.From, '@'); at > 0 {
		local := r.From[:at]
		for _, s := range bounceSenders {
			fromBouncer = fromBouncer || local == s
		}
	}
	nullSender := strings.TrimSpace(p.hdr.Get("Return-Path")) == "<>"
	subj := bounceSubjectRE.MatchString(r.Subject)
	text := p.plain.String()
	if text == "" {
		text = p.htmlText.String()
	}
	status := statusRE.FindString(text)
	code := ""
	if m := smtpCodeRE.FindStringSubmatch(text); m != nil {
		code = m[1]
	}
	if !(p.reportDSN || (fromBouncer || nullSender) && (subj || status != "" || code != "")) {
		return nil
	}
	b := &Bounce{Status: status}
	switch {
	case status != "":
		b.Permanent = status[0] == '5'
	case code != "":
		b.Permanent = code[0] == '5'
	default:
		b.Permanent = subj && !delaySubjectRE.MatchString(r.Subject)
	}
	if delaySubjectRE.MatchString(r.Subject) && status == "" {
		b.Permanent = false
	}
	// The failed recipient: the first address in the text that is neither
	// the bounce's sender nor one of its recipients (that is us).
	skip := map[string]bool{r.From: true}
	for _, a := range r.To {
		skip[a] = true
	}
	for _, a := range addrRE.FindAllString(text, -1) {
		a = strings.ToLower(a)
		local := a[:strings.IndexByte(a, '@')]
		isBouncer := false
		for _, s := range bounceSenders {
			isBouncer = isBouncer || local == s
		}
		if !skip[a] && !isBouncer {
			b.Recipient = a
			break
		}
	}
	return b
}

var autoSubjectRE = regexp.MustCompile(`(?i)^(?:(?:re|aw|fw|fwd|antw):\s*)*(?:out of (?:the )?office|automatic reply|auto(?:matic)?[ -]?(?:reply|response|antwort)|autoreply|auto:|abwesenheit|afwezig|automatisch(?:e)? (?:antwoord|beantwoord|reply)|r[ée]ponse automatique|absence|on vacation|vacation reply|away from (?:the|my) office)`)

func isAutoReply(h headerGetter, subject string) bool {
	if h == nil {
		return autoSubjectRE.MatchString(subject)
	}
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return true
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" || h.Get("X-Autogenerated") != "" {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "auto_reply", "auto-reply":
		return true
	}
	return autoSubjectRE.MatchString(subject)
}

// match finds the notice the message answers.
func (p *replyParser) match(r *Reply) (int64, string) {
	if id, ok := noticeOfMessageID(r.InReplyTo); ok {
		return id, "in-reply-to"
	}
	for i := len(r.References) - 1; i >= 0; i-- {
		if id, ok := noticeOfMessageID(r.References[i]); ok {
			return id, "references"
		}
	}
	var addrs []string
	addrs = append(addrs, r.To...)
	if p.hdr != nil {
		for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"} {
			addrs = append(addrs, addresses(p.hdr.Get(k))...)
		}
	}
	for _, a := range addrs {
		if id, ok := ParseNoticeID(a); ok {
			return id, "address"
		}
	}
	ids := p.originalIDs
	if r.Bounce != nil && !r.Bounce.DSN {
		// A bounce that is not a DSN often quotes the original's header.
		ids = append(ids, noticeIDRE.FindAllString(r.Text, -1)...)
	}
	for _, m := range ids {
		if id, ok := noticeOfMessageID(m); ok {
			return id, "original"
		}
	}
	return 0, ""
}
