package takedown

// Automation with care: a re-upload of content already confirmed for a
// case — the same protected person, on the same site (registrable domain)
// — is confirmed and notified without an analyst where the policy allows
// it (policy.AutoNotifyReuploads). The notice says that it was sent
// without a human decision; the audit log marks the confirmation and the
// approval as automatic.

import (
	"context"
	"errors"

	"github.com/riverqueue/river"

	"github.com/undox/undox"
)

// AutoNotifyReupload confirms and notifies an item automatically when it
// is a re-upload (sqlstore.Store.FindReupload) and the policy allows it:
// the notice to the first recipient of its trace is approved and its send
// job queued. It returns the notice (nil when nothing was done: the
// policy does not allow it, the item is no re-upload, its category is
// referral-only, or its trace names nobody to notify).
func (s *Service) AutoNotifyReupload(ctx context.Context, itemID int64) (*undox.Notice, error) {
	if !s.cfg.Policy.AutoNotifyReuploads() {
		return nil, nil
	}
	st := s.cfg.Store
	it, err := st.Item(ctx, undox.System, itemID)
	if err != nil {
		return nil, err
	}
	if s.cfg.Policy.For(it.Category, it.IsMinor).ReferralOnly {
		return nil, nil
	}
	r, err := st.FindReupload(ctx, itemID)
	if err != nil {
		return nil, err
	}
	if r == nil {
		// Reported in a case of its own, or found by monitoring: the
		// watch suggested the victim's case; a re-upload is linked.
		if r, err = st.LinkReupload(ctx, itemID); err != nil || r == nil {
			return nil, err
		}
		if r, err = st.FindReupload(ctx, itemID); err != nil || r == nil {
			return nil, err
		}
	}
	_, n, err := st.ConfirmReupload(ctx, r)
	if undox.ErrorCode(err) == undox.ECONFLICT || undox.ErrorCode(err) == undox.ETRANSITION {
		return nil, nil // an analyst acted on it meanwhile
	}
	if err != nil {
		return nil, err
	}
	if n != nil {
		s.cfg.Logger.Info("re-upload notified automatically", "item", itemID, "notice", n.ID, "confirmed_item", r.ConfirmedItemID)
	}
	return n, nil
}

// NotifyReuploads runs AutoNotifyReupload on every captured and traced
// item of an open case with an item confirmed before (the escalation job
// runs it after capture and trace have linked and scanned new items). It
// returns how many notices it prepared.
func (s *Service) NotifyReuploads(ctx context.Context) (int, error) {
	if !s.cfg.Policy.AutoNotifyReuploads() {
		return 0, nil
	}
	ids, err := s.cfg.Store.ReuploadCandidates(ctx, 0)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		nt, err := s.AutoNotifyReupload(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if nt != nil {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// reuploadWorker runs AutoNotifyReupload for an item that its trace found
// may be a re-upload (sqlstore.SaveTrace queues it).
type reuploadWorker struct {
	river.WorkerDefaults[undox.ReuploadJob]
	s *Service
}

func (w *reuploadWorker) Work(ctx context.Context, j *river.Job[undox.ReuploadJob]) error {
	if w.s == nil {
		return river.JobCancel(errors.New("re-uploads are not notified by this process"))
	}
	_, err := w.s.AutoNotifyReupload(ctx, j.Args.ItemID)
	return err
}
