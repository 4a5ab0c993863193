package undox

import (
	"context"
	"time"
)

// NoticeStatus is where a notice to an intermediary stands.
type NoticeStatus string

// Notice states.
//
// A notice to an e-mail address is prepared when an analyst confirms its
// item, and goes out once approved: the send records "approved" with its
// Message-ID before the SMTP transaction (the "queued" record of package
// mail), "sending" just before DATA, and "sent" once the server accepted
// the message. A recipient reachable only by a web form or an API gets a
// "manual" notice: an analyst task with the text ready, which the analyst
// marks submitted once done.
const (
	NoticePrepared NoticeStatus = "prepared" // waits for an analyst's approval
	NoticeManual   NoticeStatus = "manual"   // an analyst submits it by web form or API
	NoticeApproved NoticeStatus = "approved" // to be sent; its Message-ID is recorded before any SMTP transaction
	NoticeSending  NoticeStatus = "sending"  // DATA started: the server may have it; a resend keeps the Message-ID
	NoticeSent     NoticeStatus = "sent"     // the server accepted it: never sent again
	NoticeAnswered NoticeStatus = "answered" // the recipient answered (by the response page or by e-mail)
	NoticeBounced  NoticeStatus = "bounced"  // the address was refused for good: the next recipient is prepared
	NoticeFailed   NoticeStatus = "failed"   // it could not be sent (the message refused, or retries used up)
	NoticeCanceled NoticeStatus = "canceled" // withdrawn before it went out
)

// Notice events: actions of staff, and what undox observes while sending
// and reading replies.
const (
	NoticeApprove Event = "approve" // an analyst approves a prepared notice
	NoticeSubmit  Event = "submit"  // an analyst submitted a manual notice by web form or API
	NoticeCancel  Event = "cancel"  // an analyst withdraws a notice not yet sent

	NoticeData     Event = "data"     // the SMTP DATA command is about to be sent
	NoticeAccepted Event = "accepted" // the SMTP server accepted the message
	NoticeBounce   Event = "bounce"   // the address was refused for good (at RCPT, or by a bounce)
	NoticeFail     Event = "fail"     // the message cannot be sent
	NoticeAnswer   Event = "answer"   // the recipient answered
)

// noticeTransitions is the whole notice lifecycle: a step not listed is
// rejected.
var noticeTransitions = []Transition{
	{"prepared", "approve", "approved", false},
	{"prepared", "cancel", "canceled", false},
	{"manual", "submit", "sent", false},
	{"manual", "cancel", "canceled", false},
	{"manual", "answer", "answered", true},
	{"approved", "data", "sending", true},
	{"approved", "accepted", "sent", true},
	{"approved", "bounce", "bounced", true},
	{"approved", "fail", "failed", true},
	// A resend in the DATA window: the same Message-ID goes out again.
	{"sending", "data", "sending", true},
	{"sending", "accepted", "sent", true},
	{"sending", "bounce", "bounced", true},
	{"sending", "fail", "failed", true},
	{"sending", "answer", "answered", true},
	// A bounce can come by e-mail after the server accepted the message.
	{"sent", "bounce", "bounced", true},
	{"sent", "answer", "answered", true},
	{"answered", "answer", "answered", true},
}

// NoticeTransitions returns the notice lifecycle table.
func NoticeTransitions() []Transition { return append([]Transition(nil), noticeTransitions...) }

// NoticeStep returns the state that a notice in state from moves to on ev.
func NoticeStep(from NoticeStatus, ev Event, observed bool) (NoticeStatus, error) {
	to, err := step(noticeTransitions, "notice", string(from), ev, observed)
	return NoticeStatus(to), err
}

// Final tells whether a notice in s is done with sending: it is never sent
// (again).
func (s NoticeStatus) Final() bool {
	switch s {
	case NoticeSent, NoticeAnswered, NoticeBounced, NoticeFailed, NoticeCanceled:
		return true
	}
	return false
}

// Notice channels: how a notice reaches its recipient.
const (
	ChannelEmail   = "email"
	ChannelWebForm = "web_form"
	ChannelAPI     = "api"
)

// Notice is a notice to one intermediary about one item. It holds no
// victim data by construction: what it says is what the intermediary
// reads.
type Notice struct {
	ID     int64        `json:"id"`
	ItemID int64        `json:"item_id"`
	Role   string       `json:"role"`
	Status NoticeStatus `json:"status"`
	// Recipient is the organisation; Channel and Address say how it is
	// reached (an e-mail address, a form's or an API's URL).
	Recipient string `json:"recipient"`
	Channel   string `json:"channel"`
	Address   string `json:"address"`
	Language  string `json:"language,omitempty"`
	Country   string `json:"country,omitempty"`
	// TraceID and RecipientIndex name the recipient in its trace.
	TraceID        int64  `json:"trace_id"`
	RecipientIndex int    `json:"recipient_index"`
	MessageID      string `json:"message_id,omitempty"`
	// The rendered notice, as sent (empty until rendered).
	Subject         string `json:"subject,omitempty"`
	Text            string `json:"text,omitempty"`
	Template        string `json:"template,omitempty"`
	TemplateVersion string `json:"template_version,omitempty"`
	// Automatic: sent without a human decision.
	Automatic  bool       `json:"automatic"`
	Attempts   int        `json:"attempts"`
	LastError  string     `json:"last_error,omitempty"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ApprovedBy string     `json:"approved_by,omitempty"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
	SentAt     *time.Time `json:"sent_at"`
	Deadline   *time.Time `json:"deadline"`
	// Responses are the recipient's answers, oldest first.
	Responses []NoticeResponse `json:"responses"`
}

// Kinds of responses to a notice.
const (
	ResponseRemoved        = "removed"          // the recipient says the content is removed (re-checks decide)
	ResponseWillRemove     = "will_remove"      // will remove it by a date
	ResponseDisputed       = "disputed"         // disputes the notice, with a reason (an analyst decides)
	ResponseNotOurCustomer = "not_our_customer" // names who is (an analyst decides)
	ResponseReply          = "reply"            // an e-mail reply, for an analyst to read
	ResponseBounce         = "bounce"           // a delivery failure report
	ResponseAutoReply      = "auto_reply"       // an automatic reply (recorded, not acted on)
)

// NoticeResponse is one answer to a notice.
type NoticeResponse struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	Detail     string    `json:"detail,omitempty"`
	Until      string    `json:"until,omitempty"` // YYYY-MM-DD, for will_remove
	OtherParty string    `json:"other_party,omitempty"`
	Source     string    `json:"source"` // web or email
	CreatedAt  time.Time `json:"created_at"`
}

// SendNoticeJob renders (when not yet rendered) and sends an approved
// notice; for a manual notice it only renders the text for the analyst.
type SendNoticeJob struct {
	NoticeID int64 `json:"notice_id"`
}

// Kind names the job.
func (SendNoticeJob) Kind() string { return "send_notice" }

// NoticeStore keeps notices and their answers.
type NoticeStore interface {
	// ConfirmItem confirms an item and prepares its notice (nil when the
	// item's latest trace names nobody to notify).
	ConfirmItem(ctx context.Context, actor Actor, itemID int64, reason string) (*Item, *Notice, error)
	ApproveNotice(ctx context.Context, actor Actor, id int64) (*Notice, error)
	// SubmitNotice records that staff submitted a manual notice (a web
	// form or an API) themselves; a zero deadline is the policy's.
	SubmitNotice(ctx context.Context, actor Actor, id int64, deadline time.Time) (*Notice, error)
	Notices(ctx context.Context, actor Actor, itemID int64) ([]*Notice, error)
}
