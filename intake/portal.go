package intake

// What the reporter does after reporting: adding URLs to their own case
// through the status link, and the e-mail that carries the status link.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/undox/undox"
	undoxmail "github.com/undox/undox/mail"
)

// ItemAdder links more URLs to an existing case (the SQL store does).
type ItemAdder interface {
	// AddItems links normalized URLs to the open case ref and returns how
	// many items the case gained; URLs it has already are skipped.
	AddItems(ctx context.Context, actor undox.Actor, ref string, urls []string) (int, error)
}

// AddURLs validates URLs exactly as a report's (normalized, on the public
// internet, at most MaxURLsPerReport; errors per field "urls" and
// "urls[i]") and links them to the case ref, where they are captured as a
// report's are. It returns how many items the case gained.
func (s *Service) AddURLs(ctx context.Context, actor undox.Actor, ref string, urls []string) (int, error) {
	rep, err := Validate(undox.Report{URLs: urls})
	if err != nil {
		return 0, err
	}
	if err := s.checkPublic(rep.URLs); err != nil {
		return 0, err
	}
	adder, ok := s.Store.(ItemAdder)
	if !ok {
		return 0, errors.New("intake: the store cannot add URLs to a case")
	}
	return adder.AddItems(ctx, actor, ref, rep.URLs)
}

// checkPublic refuses URLs into private networks unless AllowPrivate.
// Normalization keeps the order of first appearance, so an index names
// the URL as given when no duplicate came before it.
func (s *Service) checkPublic(urls []string) error {
	if s.AllowPrivate {
		return nil
	}
	for i, u := range urls {
		if internal(u) {
			return undox.Invalid(fmt.Sprintf("urls[%d]", i),
				"this URL points into a private network; report a page on the public internet")
		}
	}
	return nil
}

// Sender sends one e-mail (mail.Sender does, over SMTP).
type Sender interface {
	Send(ctx context.Context, env undoxmail.Envelope, msg []byte) error
}

// ReceiptMail is how the status link of a new case reaches a reporter who
// gave an address and asked for e-mail.
type ReceiptMail struct {
	Sender Sender
	// From is the sender's address.
	From string
	// Timeout bounds one e-mail; 20 seconds when zero.
	Timeout time.Duration
	// Log, when set, says why a receipt could not be sent: the mail
	// server's classification and reply codes, never its text or the
	// address (either may name the reporter).
	Log *slog.Logger
}

// receiptRecorder records whether a receipt went out (the SQL store does,
// in the audit log).
type receiptRecorder interface {
	RecordReceiptMail(ctx context.Context, ref, state string) error
}

// MailReceipt e-mails the reporter of a new case its private status link,
// when the report gave an address and consent, and says whether it went
// out. undox keeps only the link's hash, so the e-mail is sent now, while
// the reporter waits, or never: it is not queued, and a failure is told to
// the reporter, who still sees the link on the screen. The e-mail has a
// neutral subject and names nothing but the link: no case reference, no
// page, no person.
func (s *Service) MailReceipt(ctx context.Context, rep undox.Report, r undox.Receipt) bool {
	to := strings.TrimSpace(rep.ReporterEmail)
	if s.Receipts == nil || s.Receipts.Sender == nil || to == "" || !rep.Consent || r.Duplicate || r.StatusToken == "" {
		return false
	}
	timeout := s.Receipts.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	msg, id, err := ReceiptMessage(s.Receipts.From, to, rep.Language, r.StatusURL, time.Now())
	if err == nil {
		err = s.Receipts.Sender.Send(ctx, undoxmail.Envelope{From: s.Receipts.From, To: []string{to}, MessageID: id}, msg)
	}
	state := "sent"
	if err != nil {
		state = "failed"
		if log := s.Receipts.Log; log != nil {
			log.Warn("a receipt could not be e-mailed", receiptFailure(r.CaseRef, err)...)
		}
	}
	if rec, ok := s.Store.(receiptRecorder); ok {
		// Neither error is kept or logged: a mail server's may name the
		// address. A receipt that went out but was not recorded still
		// went out.
		_ = rec.RecordReceiptMail(ctx, r.CaseRef, state)
	}
	return state == "sent"
}

// receiptFailure describes a receipt's failure for the log: the case, and
// what the mail package classified (stage, code, the server's reply codes,
// whether a later attempt may work), never the server's text or the
// address.
func receiptFailure(ref string, err error) []any {
	attrs := []any{"case", ref}
	var me *undoxmail.Error
	if !errors.As(err, &me) {
		if errors.Is(err, context.DeadlineExceeded) {
			return append(attrs, "code", "timeout")
		}
		return append(attrs, "code", "unknown")
	}
	attrs = append(attrs, "stage", me.Stage, "code", me.Code, "temporary", me.Temporary)
	if me.SMTPCode != 0 {
		attrs = append(attrs, "smtp_code", me.SMTPCode)
	}
	if me.EnhancedCode != "" {
		attrs = append(attrs, "enhanced_code", me.EnhancedCode)
	}
	return attrs
}

// receiptTexts are the receipt e-mail's subject and body; %s is the link.
var receiptTexts = map[string][2]string{
	"nl": {"Uw persoonlijke link", "Hallo,\n\nWe hebben uw melding ontvangen. Met deze persoonlijke link ziet u wat we doen " +
		"en kunt u de melding aanvullen of intrekken:\n\n%s\n\nBewaar de link goed en deel hem met niemand: " +
		"wie de link heeft, kan uw melding zien.\n\nU krijgt dit bericht omdat u om e-mail over uw melding hebt gevraagd. " +
		"Antwoorden op dit bericht worden niet gelezen.\n"},
	"en": {"Your personal link", "Hello,\n\nWe received your report. With this personal link you can see what we do " +
		"and add to or withdraw your report:\n\n%s\n\nKeep the link safe and share it with no one: " +
		"whoever has it can see your report.\n\nYou receive this message because you asked for e-mail about your report. " +
		"Replies to this message are not read.\n"},
}

// ReceiptMessage returns the e-mail that brings a reporter their status
// link, in lang ("nl" or "en"; any other is Dutch), and its Message-ID.
func ReceiptMessage(from, to, lang, statusURL string, at time.Time) ([]byte, string, error) {
	t, ok := receiptTexts[lang]
	if !ok {
		t = receiptTexts["nl"]
	}
	for _, a := range []string{from, to} {
		if p, err := mail.ParseAddress(a); err != nil || p.Address != a {
			return nil, "", fmt.Errorf("intake: a receipt needs e-mail addresses")
		}
	}
	if strings.ContainsAny(statusURL, "\r\n") || statusURL == "" {
		return nil, "", fmt.Errorf("intake: a receipt needs the status link")
	}
	return undoxmail.AutoMessage("receipt", from, to, t[0], fmt.Sprintf(t[1], statusURL), at)
}
