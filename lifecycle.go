package undox

import (
	"fmt"
	"sort"
	"strings"
)

// ItemStatus is where an item (one URL) stands in its lifecycle.
type ItemStatus string

// Item states.
const (
	ItemNew         ItemStatus = "new"
	ItemCaptured    ItemStatus = "captured"
	ItemUnreachable ItemStatus = "unreachable"
	ItemConfirmed   ItemStatus = "confirmed"
	ItemRejected    ItemStatus = "rejected"
	ItemReferred    ItemStatus = "referred"
	ItemNotified    ItemStatus = "notified"
	ItemEscalated   ItemStatus = "escalated"
	ItemRemoved     ItemStatus = "removed"
	ItemReappeared  ItemStatus = "reappeared"
	ItemClosed      ItemStatus = "closed"
)

// Event is what moves an item or a case from one state to another: either an
// action that a person (or a partner system) takes, or something that undox
// itself observes. No API sets a state directly.
type Event string

// Actions on items, taken by staff.
const (
	ActionConfirm  Event = "confirm"
	ActionReject   Event = "reject"
	ActionRefer    Event = "refer"
	ActionEscalate Event = "escalate"
	ActionClose    Event = "close"
	ActionReopen   Event = "reopen"
)

// Observations on items, made by undox's own jobs only.
const (
	ObserveCaptured    Event = "captured"    // capture fetched the page
	ObserveUnreachable Event = "unreachable" // capture could not fetch it
	ObserveRouted      Event = "routed"      // intake routed referral-only content
	ObserveNotified    Event = "notified"    // a notice was delivered
	ObserveOverdue     Event = "overdue"     // a deadline passed without removal
	ObserveGone        Event = "gone"        // re-checks agree the content is gone
	ObserveBack        Event = "back"        // removed content is online again
)

// Transition is one allowed step of a lifecycle.
type Transition struct {
	From  string `json:"from"`
	Event Event  `json:"event"`
	To    string `json:"to"`
	// Observed steps are taken only by undox's jobs, never through the API.
	Observed bool `json:"observed"`
}

// itemTransitions is the whole item lifecycle: a step not listed is
// rejected. Only the re-check observation ObserveGone leads to removed.
var itemTransitions = []Transition{
	{"new", "captured", "captured", true},
	{"new", "unreachable", "unreachable", true},
	{"new", "routed", "referred", true},
	{"new", "refer", "referred", false},
	{"new", "reject", "rejected", false},
	{"new", "close", "closed", false},
	{"captured", "captured", "captured", true},
	{"captured", "unreachable", "unreachable", true},
	{"captured", "confirm", "confirmed", false},
	{"captured", "reject", "rejected", false},
	{"captured", "refer", "referred", false},
	{"unreachable", "captured", "captured", true},
	{"unreachable", "unreachable", "unreachable", true},
	{"unreachable", "reject", "rejected", false},
	{"unreachable", "refer", "referred", false},
	{"unreachable", "close", "closed", false},
	{"confirmed", "notified", "notified", true},
	{"confirmed", "gone", "removed", true},
	{"confirmed", "refer", "referred", false},
	{"confirmed", "close", "closed", false},
	{"notified", "notified", "notified", true},
	{"notified", "overdue", "escalated", true},
	{"notified", "escalate", "escalated", false},
	{"notified", "gone", "removed", true},
	{"notified", "close", "closed", false},
	{"escalated", "notified", "escalated", true},
	{"escalated", "escalate", "escalated", false},
	{"escalated", "gone", "removed", true},
	{"escalated", "close", "closed", false},
	{"removed", "back", "reappeared", true},
	{"removed", "close", "closed", false},
	{"reappeared", "notified", "notified", true},
	{"reappeared", "escalate", "escalated", false},
	{"reappeared", "gone", "removed", true},
	{"reappeared", "close", "closed", false},
	{"rejected", "reopen", "new", false},
	{"rejected", "close", "closed", false},
	{"referred", "close", "closed", false},
	{"closed", "back", "reappeared", true},
	{"closed", "reopen", "new", false},
	// Content later reported as referral-only is referred whatever
	// happened to the item before.
	{"captured", "routed", "referred", true},
	{"unreachable", "routed", "referred", true},
	{"confirmed", "routed", "referred", true},
	{"notified", "routed", "referred", true},
	{"escalated", "routed", "referred", true},
	{"removed", "routed", "referred", true},
	{"reappeared", "routed", "referred", true},
	{"rejected", "routed", "referred", true},
	{"closed", "routed", "referred", true},
}

// CaseStatus is where a case stands.
type CaseStatus string

// Case states.
const (
	CaseOpen      CaseStatus = "open"      // reported, items being handled
	CaseClosed    CaseStatus = "closed"    // handled; kept until retention ends
	CaseWithdrawn CaseStatus = "withdrawn" // the reporter withdrew it
	CaseErased    CaseStatus = "erased"    // personal data destroyed
)

// Case events.
const (
	ActionWithdraw Event = "withdraw" // by the reporter, through the status link
	ActionErase    Event = "erase"    // by a supervisor, or by retention
)

var caseTransitions = []Transition{
	{"open", "close", "closed", false},
	{"open", "withdraw", "withdrawn", false},
	{"open", "erase", "erased", false},
	{"closed", "reopen", "open", false},
	{"closed", "withdraw", "withdrawn", false},
	{"closed", "erase", "erased", false},
	{"withdrawn", "erase", "erased", false},
}

// ItemTransitions returns the item lifecycle table.
func ItemTransitions() []Transition { return append([]Transition(nil), itemTransitions...) }

// CaseTransitions returns the case lifecycle table.
func CaseTransitions() []Transition { return append([]Transition(nil), caseTransitions...) }

func step(table []Transition, kind, from string, ev Event, observed bool) (string, error) {
	known := false
	for _, t := range table {
		if t.Event != ev {
			continue
		}
		known = true
		if t.From == from {
			if t.Observed != observed {
				if t.Observed {
					return "", Errorf(EFORBIDDEN, "%q is observed by undox itself and cannot be requested", ev)
				}
				return "", Errorf(ETRANSITION, "%q is an action, not an observation", ev)
			}
			return t.To, nil
		}
	}
	if !known {
		return "", Invalid("action", "unknown %s event %q", kind, ev)
	}
	return "", Errorf(ETRANSITION, "%s", refusedStep(kind, from, ev))
}

// done says what an action does to a thing, as a past participle.
var done = map[Event]string{
	ActionConfirm: "confirmed", ActionReject: "rejected", ActionRefer: "referred", ActionEscalate: "escalated",
	ActionClose: "closed", ActionReopen: "reopened", ActionWithdraw: "withdrawn", ActionErase: "erased",
}

// refusedStep says why ev does not apply to a kind ("item", "case") in
// state from: "an item that is confirmed cannot be confirmed again", "a
// case that is open cannot be reopened"; for an observation, "\"gone\"
// does not apply to an item that is new".
func refusedStep(kind, from string, ev Event) string {
	article := "a"
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		article = "an"
	}
	what := article + " " + kind + " that is " + from
	p, ok := done[ev]
	switch {
	case !ok:
		return fmt.Sprintf("%q does not apply to %s", ev, what)
	case p == from:
		return what + " cannot be " + p + " again"
	}
	return what + " cannot be " + p
}

// ItemStep returns the state that an item in state from moves to on ev.
// observed tells whether the step comes from undox's own observation (a
// job) rather than from a request.
func ItemStep(from ItemStatus, ev Event, observed bool) (ItemStatus, error) {
	to, err := step(itemTransitions, "item", string(from), ev, observed)
	return ItemStatus(to), err
}

// CaseStep returns the state that a case in state from moves to on ev.
func CaseStep(from CaseStatus, ev Event) (CaseStatus, error) {
	to, err := step(caseTransitions, "case", string(from), ev, false)
	return CaseStatus(to), err
}

// ItemActions lists the events that staff may request on items.
func ItemActions() []Event {
	seen := map[Event]bool{}
	for _, t := range itemTransitions {
		if !t.Observed {
			seen[t.Event] = true
		}
	}
	out := make([]Event, 0, len(seen))
	for e := range seen {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Terminal tells whether no further work is expected for an item in s.
func (s ItemStatus) Terminal() bool {
	switch s {
	case ItemRejected, ItemReferred, ItemRemoved, ItemClosed:
		return true
	}
	return false
}
