package undox

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNoticeLifecycle(t *testing.T) {
	steps := []struct {
		from     NoticeStatus
		ev       Event
		observed bool
		to       NoticeStatus
		code     string
	}{
		{NoticePrepared, NoticeApprove, false, NoticeApproved, ""},
		{NoticePrepared, NoticeData, true, "", ETRANSITION}, // nothing goes out unapproved
		{NoticeApproved, NoticeData, true, NoticeSending, ""},
		{NoticeApproved, NoticeData, false, "", EFORBIDDEN}, // observed by undox only
		{NoticeApproved, NoticeApprove, false, "", ETRANSITION},
		{NoticeSending, NoticeData, true, NoticeSending, ""}, // the DATA window's resend
		{NoticeSending, NoticeAccepted, true, NoticeSent, ""},
		{NoticeApproved, NoticeAccepted, true, NoticeSent, ""},
		{NoticeSent, NoticeData, true, "", ETRANSITION}, // never sent again
		{NoticeSent, NoticeAccepted, true, "", ETRANSITION},
		{NoticeApproved, NoticeBounce, true, NoticeBounced, ""},
		{NoticeSent, NoticeBounce, true, NoticeBounced, ""},
		{NoticeBounced, NoticeData, true, "", ETRANSITION},
		{NoticeSent, NoticeAnswer, true, NoticeAnswered, ""},
		{NoticeAnswered, NoticeAnswer, true, NoticeAnswered, ""},
		{NoticeManual, NoticeSubmit, false, NoticeSent, ""},
		{NoticeManual, NoticeApprove, false, "", ETRANSITION},
		{NoticeManual, NoticeSubmit, true, "", ETRANSITION}, // an action, not an observation
		{NoticePrepared, NoticeCancel, false, NoticeCanceled, ""},
		{NoticePrepared, "shred", false, "", EINVALID},
	}
	for _, s := range steps {
		to, err := NoticeStep(s.from, s.ev, s.observed)
		if s.code != "" {
			require.Equal(t, s.code, ErrorCode(err), "%s %s", s.from, s.ev)
			continue
		}
		require.NoError(t, err, "%s %s", s.from, s.ev)
		require.Equal(t, s.to, to, "%s %s", s.from, s.ev)
	}
}

func TestNoticeTableIsWhole(t *testing.T) {
	states := map[NoticeStatus]bool{}
	for _, tr := range NoticeTransitions() {
		states[NoticeStatus(tr.From)], states[NoticeStatus(tr.To)] = true, true
		// No transition leads back to sending once a notice is final.
		if NoticeStatus(tr.From).Final() {
			require.NotContains(t, []NoticeStatus{NoticeApproved, NoticeSending}, NoticeStatus(tr.To), "%v", tr)
		}
	}
	for _, s := range []NoticeStatus{NoticePrepared, NoticeManual, NoticeApproved, NoticeSending, NoticeSent,
		NoticeAnswered, NoticeBounced, NoticeFailed, NoticeCanceled} {
		require.True(t, states[s], "state %s is in no transition", s)
	}
	require.False(t, NoticeSending.Final())
	require.True(t, NoticeSent.Final())
}
