package undox

import (
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	allItemStatuses = []ItemStatus{ItemNew, ItemCaptured, ItemUnreachable, ItemConfirmed, ItemRejected,
		ItemReferred, ItemNotified, ItemEscalated, ItemRemoved, ItemReappeared, ItemClosed}
	itemActionEvents  = []Event{ActionConfirm, ActionReject, ActionRefer, ActionEscalate, ActionClose, ActionReopen}
	itemObservedEvent = []Event{ObserveCaptured, ObserveUnreachable, ObserveRouted, ObserveNotified, ObserveOverdue,
		ObserveGone, ObserveBack}
	allCaseStatuses = []CaseStatus{CaseOpen, CaseClosed, CaseWithdrawn, CaseErased}
	allCaseEvents   = []Event{ActionClose, ActionReopen, ActionWithdraw, ActionErase}
)

func itemEvents() []Event {
	return append(append([]Event(nil), itemActionEvents...), itemObservedEvent...)
}

func TestItemTransitionTableIsWellFormed(t *testing.T) {
	known := map[ItemStatus]bool{}
	for _, s := range allItemStatuses {
		known[s] = true
	}
	events := map[Event]bool{}
	for _, e := range itemEvents() {
		events[e] = true
	}
	seen := map[[2]string]bool{}
	for _, tr := range ItemTransitions() {
		require.True(t, known[ItemStatus(tr.From)], "unknown from %q", tr.From)
		require.True(t, known[ItemStatus(tr.To)], "unknown to %q", tr.To)
		require.True(t, events[tr.Event], "unknown event %q", tr.Event)
		key := [2]string{tr.From, string(tr.Event)}
		require.False(t, seen[key], "two steps for %s on %s", tr.From, tr.Event)
		seen[key] = true
	}
	// Every state but the start is reachable, and every state can be left.
	reached := map[string]bool{string(ItemNew): true}
	left := map[string]bool{}
	for _, tr := range ItemTransitions() {
		reached[tr.To] = true
		left[tr.From] = true
	}
	for _, s := range allItemStatuses {
		require.True(t, reached[string(s)], "%s unreachable", s)
		require.True(t, left[string(s)], "%s is a dead end", s)
	}
	// The table handed out is a copy.
	tt := ItemTransitions()
	tt[0].To = "removed"
	require.NotEqual(t, "removed", ItemTransitions()[0].To)
}

func TestItemStepAcceptsExactlyTheTable(t *testing.T) {
	type key struct {
		from ItemStatus
		ev   Event
	}
	table := map[key]Transition{}
	for _, tr := range ItemTransitions() {
		table[key{ItemStatus(tr.From), tr.Event}] = tr
		to, err := ItemStep(ItemStatus(tr.From), tr.Event, tr.Observed)
		require.NoError(t, err, "%s --%s-->", tr.From, tr.Event)
		require.Equal(t, ItemStatus(tr.To), to, "%s --%s-->", tr.From, tr.Event)
	}
	for _, from := range allItemStatuses {
		for _, ev := range itemEvents() {
			for _, observed := range []bool{false, true} {
				tr, listed := table[key{from, ev}]
				to, err := ItemStep(from, ev, observed)
				if listed && tr.Observed == observed {
					require.NoError(t, err)
					require.Equal(t, ItemStatus(tr.To), to)
					continue
				}
				require.Error(t, err, "%s --%s--> (observed=%t) must be rejected", from, ev, observed)
				require.Empty(t, to)
				switch {
				case listed && tr.Observed: // an observation requested as an action
					require.Equal(t, EFORBIDDEN, ErrorCode(err), "%s %s", from, ev)
				default:
					require.Equal(t, ETRANSITION, ErrorCode(err), "%s %s observed=%t", from, ev, observed)
				}
			}
		}
	}
}

func TestOnlyObservedGoneLeadsToRemoved(t *testing.T) {
	n := 0
	for _, tr := range ItemTransitions() {
		if tr.To == string(ItemRemoved) {
			n++
			require.Equal(t, ObserveGone, tr.Event, "%s --%s--> removed", tr.From, tr.Event)
			require.True(t, tr.Observed)
		}
	}
	require.NotZero(t, n)
	for _, from := range allItemStatuses {
		for _, ev := range itemEvents() {
			for _, observed := range []bool{false, true} {
				to, err := ItemStep(from, ev, observed)
				if err == nil && to == ItemRemoved {
					require.Equal(t, ObserveGone, ev)
					require.True(t, observed)
				}
			}
		}
	}
	// Staff cannot mark anything removed, not even by asking for "gone".
	_, err := ItemStep(ItemNotified, ObserveGone, false)
	require.Equal(t, EFORBIDDEN, ErrorCode(err))
}

func TestObservedEventsRejectedAsActions(t *testing.T) {
	for _, tr := range ItemTransitions() {
		if !tr.Observed {
			continue
		}
		_, err := ItemStep(ItemStatus(tr.From), tr.Event, false)
		require.Equal(t, EFORBIDDEN, ErrorCode(err), "%s --%s-->", tr.From, tr.Event)
	}
	for _, ev := range itemObservedEvent {
		require.NotContains(t, ItemActions(), ev)
	}
	require.Equal(t, []Event{ActionClose, ActionConfirm, ActionEscalate, ActionRefer, ActionReject, ActionReopen}, ItemActions())
}

func TestUnknownEventsAreInvalid(t *testing.T) {
	for _, ev := range []Event{"", "delete", "removed", "Confirm", ActionWithdraw, ActionErase} {
		_, err := ItemStep(ItemNew, ev, false)
		require.Equal(t, EINVALID, ErrorCode(err), "%q", ev)
		_, err = ItemStep(ItemNew, ev, true)
		require.Equal(t, EINVALID, ErrorCode(err), "%q", ev)
	}
	for _, ev := range []Event{"", "delete", ActionConfirm, ObserveGone} {
		_, err := CaseStep(CaseOpen, ev)
		require.Equal(t, EINVALID, ErrorCode(err), "%q", ev)
	}
	// An unknown state is rejected, not moved.
	_, err := ItemStep("lost", ActionClose, false)
	require.Equal(t, ETRANSITION, ErrorCode(err))
}

func TestCaseStepAcceptsExactlyTheTable(t *testing.T) {
	table := map[[2]string]string{}
	for _, tr := range CaseTransitions() {
		require.False(t, tr.Observed)
		table[[2]string{tr.From, string(tr.Event)}] = tr.To
	}
	for _, from := range allCaseStatuses {
		for _, ev := range allCaseEvents {
			to, err := CaseStep(from, ev)
			want, ok := table[[2]string{string(from), string(ev)}]
			if ok {
				require.NoError(t, err, "%s --%s-->", from, ev)
				require.Equal(t, CaseStatus(want), to)
				continue
			}
			require.Equal(t, ETRANSITION, ErrorCode(err), "%s --%s-->", from, ev)
			require.Empty(t, to)
		}
	}
	// Erased is final; a withdrawn case can only be erased.
	for _, ev := range allCaseEvents {
		_, err := CaseStep(CaseErased, ev)
		require.Error(t, err)
		if ev != ActionErase {
			_, err = CaseStep(CaseWithdrawn, ev)
			require.Error(t, err)
		}
	}
}

func TestTerminalItemStates(t *testing.T) {
	terminal := map[ItemStatus]bool{ItemRejected: true, ItemReferred: true, ItemRemoved: true, ItemClosed: true}
	for _, s := range allItemStatuses {
		require.Equal(t, terminal[s], s.Terminal(), "%s", s)
	}
}

// TestRefusedStepReadsWell: what the API and the CLI say when a step does
// not apply.
func TestRefusedStepReadsWell(t *testing.T) {
	for _, tc := range []struct {
		err  func() error
		says string
	}{
		{func() error { _, err := ItemStep(ItemConfirmed, ActionConfirm, false); return err }, "an item that is confirmed cannot be confirmed again"},
		{func() error { _, err := ItemStep(ItemNew, ActionEscalate, false); return err }, "an item that is new cannot be escalated"},
		{func() error { _, err := ItemStep(ItemNew, ObserveGone, true); return err }, `"gone" does not apply to an item that is new`},
		{func() error { _, err := CaseStep(CaseOpen, ActionReopen); return err }, "a case that is open cannot be reopened"},
		{func() error { _, err := CaseStep(CaseWithdrawn, ActionWithdraw); return err }, "a case that is withdrawn cannot be withdrawn again"},
	} {
		err := tc.err()
		require.Equal(t, ETRANSITION, ErrorCode(err))
		require.Equal(t, tc.says, ErrorMessage(err))
	}
}
