package takedown

// Re-checks: each check fetches the item's page through the safe fetcher
// and compares it with the original evidence. The page is
//
//   - gone: it answers 404, 410 or 451, or its name no longer resolves
//     (NXDOMAIN);
//   - changed: it answers, but the protected persons (or, where the
//     original scan matched none, the kinds of personal data) that the
//     original captures' scans found are no longer on it;
//   - moved: it redirects to another URL that still shows the content,
//     which becomes a new item of the same cases;
//   - unreachable: no answer (connection, TLS, time-out, a server error);
//     repeated, it counts as gone;
//   - up: still online.
//
// A removal counts only when two consecutive checks find the content
// absent, the policy's confirm_after apart at least (from the first check
// of the run) unless an analyst asked for the second: the item then
// observes "gone" (and becomes removed), and the
// confirming check is kept as evidence, a capture for every case. During
// the watch after a removal, content that is back makes the item observe
// "back" (reappeared), also kept as evidence. Every check queues a
// re-trace, so that a move to another host is noticed, and the store
// queues the check that follows (see sqlstore.SaveCheck).

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/riverqueue/river"

	"github.com/undox/undox"
	"github.com/undox/undox/capture"
	"github.com/undox/undox/sqlstore"
)

type recheckWorker struct {
	river.WorkerDefaults[undox.RecheckJob]
	s *Service
}

func (w *recheckWorker) Work(ctx context.Context, j *river.Job[undox.RecheckJob]) error {
	if w.s == nil || w.s.cfg.Capture == nil {
		return river.JobCancel(errors.New("re-checks are not run by this process"))
	}
	_, err := w.s.Recheck(ctx, j.Args)
	return err
}

// Recheck runs one check (a RecheckJob) and records it. It returns the
// check, or nil when there was nothing to check: referral-only content,
// an item that no live case reports, a scheduled check that a later
// schedule replaced, or one for an item that is no longer followed.
func (s *Service) Recheck(ctx context.Context, j undox.RecheckJob) (*undox.Check, error) {
	if s.cfg.Capture == nil {
		return nil, errors.New("takedown: re-checks need the capture service")
	}
	st := s.cfg.Store
	info, err := st.RecheckInfo(ctx, j.ItemID)
	if err != nil {
		if undox.ErrorCode(err) == undox.ENOTFOUND {
			return nil, river.JobCancel(err)
		}
		return nil, err
	}
	if info.ReferralOnly {
		return nil, nil // never fetched, whatever asked for it
	}
	status := info.Item.Status
	watching := info.Schedule != nil && info.Schedule.Schedule == sqlstore.ScheduleAfterRemoval
	if j.Seq != 0 {
		if info.Schedule == nil || info.Schedule.Seq != j.Seq {
			return nil, nil // replaced by a later schedule
		}
		switch status {
		case undox.ItemRejected, undox.ItemReferred:
			return nil, nil
		case undox.ItemClosed:
			if !watching {
				return nil, nil
			}
		}
	}
	prevAbsent := info.Last != nil && info.Last.Absent
	// A check that may be kept as evidence is taken whole: with images
	// and a screenshot.
	full := prevAbsent || status == undox.ItemRemoved || status == undox.ItemClosed
	chk, err := s.cfg.Capture.Check(ctx, j.ItemID, full, sqlstore.RecheckLabel)
	if err != nil || chk == nil {
		if undox.ErrorCode(err) == undox.ENOTFOUND {
			return nil, river.JobCancel(err)
		}
		return nil, err
	}
	r := classify(chk, info.Baseline)
	r.Job = j
	switch r.Outcome {
	case undox.CheckGone, undox.CheckChanged:
		r.Absent = true
	case undox.CheckUnreachable:
		// Unreachable again: the host is gone.
		r.Absent = info.Last != nil && (info.Last.Absent || info.Last.Outcome == undox.CheckUnreachable)
	}
	// Removal counts when the content has been absent for the policy's
	// confirm_after at least, or when an analyst asked for this check (a
	// staff member's decision). A check that a provider's answer (or
	// anyone holding the notice's response link) triggers cannot shorten
	// the wait, so a site that shows undox a 404 for a moment does not
	// pass for removed.
	settled := j.Reason == undox.RecheckStaff ||
		info.AbsentSince != nil && !st.Now().Before(info.AbsentSince.Add(info.Rules.ConfirmAfter))
	switch {
	case r.Absent && prevAbsent && settled && canObserve(status, undox.ObserveGone):
		r.Observe = undox.ObserveGone
	case r.Outcome == undox.CheckUp && (status == undox.ItemRemoved || status == undox.ItemClosed && watching) &&
		canObserve(status, undox.ObserveBack):
		r.Observe = undox.ObserveBack
	}
	if r.Observe != "" {
		caps, err := s.cfg.Capture.KeepCheck(ctx, chk)
		if err != nil {
			return nil, err
		}
		for _, c := range caps {
			if c.ID != 0 {
				r.CaptureID = c.ID
				break
			}
		}
	}
	c, err := st.SaveCheck(ctx, r)
	if err != nil {
		return nil, err
	}
	s.cfg.Logger.Info("re-check", "item", j.ItemID, "reason", j.Reason, "outcome", c.Outcome, "observed", c.Observed)
	return c, nil
}

func canObserve(from undox.ItemStatus, ev undox.Event) bool {
	_, err := undox.ItemStep(from, ev, true)
	return err == nil
}

// classify compares a check with the original evidence.
func classify(c *capture.Check, base sqlstore.Baseline) sqlstore.CheckResult {
	r := sqlstore.CheckResult{HTTPStatus: c.Status}
	if c.Redirects > 0 {
		r.FinalURL = c.FinalURL
	}
	switch st := c.Status; {
	case c.NXDOMAIN:
		r.Outcome, r.Detail = undox.CheckGone, "the name no longer resolves (NXDOMAIN)"
		return r
	case c.ErrorCode != "" && c.ErrorCode != "too_large":
		r.Outcome, r.Detail = undox.CheckUnreachable, c.ErrorCode+": "+c.Error
		return r
	case st == http.StatusNotFound || st == http.StatusGone || st == http.StatusUnavailableForLegalReasons:
		r.Outcome, r.Detail = undox.CheckGone, "the page answers "+strconv.Itoa(st)+" "+http.StatusText(st)
		return r
	case st == 0 || st >= 400:
		r.Outcome, r.Detail = undox.CheckUnreachable, "the page answers "+strconv.Itoa(st)+" "+http.StatusText(st)
		return r
	}
	present := stillThere(base, c.Scan)
	moved := ""
	if c.Redirects > 0 {
		from, err1 := undox.NormalizeURL(c.URL)
		to, err2 := undox.NormalizeURL(c.FinalURL)
		if err1 == nil && err2 == nil && from != to {
			moved = to
		}
	}
	switch {
	case !present:
		r.Outcome, r.Detail = undox.CheckChanged, "the page answers "+strconv.Itoa(c.Status)+
			", but the personal data of the original capture is no longer on it"
		if moved != "" {
			r.Detail += " (after a redirect to " + moved + ")"
		}
	case moved != "":
		r.Outcome, r.Detail, r.MovedTo = undox.CheckMoved, "the page redirects to "+moved, moved
	default:
		r.Outcome, r.Detail = undox.CheckUp, "the content is still online"
	}
	return r
}

// stillThere tells whether a page's scan still finds what the original
// scans found: one of the protected persons, or, where they matched none,
// one of the kinds of personal data. Without a baseline or a scan it
// cannot tell, and takes the content as still there.
func stillThere(base sqlstore.Baseline, scan *undox.ScanResult) bool {
	if !base.Known() || scan == nil {
		return true
	}
	if len(base.Persons) > 0 {
		for _, p := range scan.Persons {
			if slices.Contains(base.Persons, p) {
				return true
			}
		}
		return false
	}
	_, kinds := sqlstore.ScanFound(scan.Summary)
	for _, k := range kinds {
		if slices.Contains(base.Kinds, k) {
			return true
		}
	}
	return false
}

// SetCapture sets the capture service that re-checks fetch through (the
// service is built beside this one; see Config.Capture).
func (s *Service) SetCapture(c *capture.Service) { s.cfg.Capture = c }
