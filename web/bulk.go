package web

// Bulk actions from the queue: the items chosen with their checkboxes are
// confirmed, rejected or closed one by one in the background (each step
// through the same store method as a single action, audited as the
// analyst's), and the bulk job's page shows how far it got. With
// JavaScript htmx polls the progress; without it, the page refreshes
// itself (a meta refresh, which the Content-Security-Policy allows: it is
// not script).

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/undox/undox"
)

// maxConsoleFormBytes bounds a console form post.
const maxConsoleFormBytes = 64 << 10

// bulkPost starts a bulk job over the chosen items and goes to its page.
func (s *Server) bulkPost(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	r.Body = http.MaxBytesReader(unwrapWriter(w), r.Body, maxConsoleFormBytes)
	if err := r.ParseForm(); err != nil {
		consoleRedirect(w, r, "/queue", "console_err_invalid", true)
		return
	}
	cs, err := s.console()
	if err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	back := "/queue"
	if b := r.PostForm.Get("back"); strings.HasPrefix(b, "/queue") && safeNext(b) == b {
		back = b
	}
	action := r.PostForm.Get("action")
	reason, err := undox.CheckText("reason", strings.TrimSpace(r.PostForm.Get("reason")), 2000)
	if err != nil {
		consoleRedirect(w, r, back, "console_err_invalid", true)
		return
	}
	var ids []int64
	for _, v := range r.PostForm["item"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			consoleRedirect(w, r, back, "console_err_invalid", true)
			return
		}
		ids = append(ids, id)
	}
	switch {
	case len(ids) == 0:
		consoleRedirect(w, r, back, "console_bulk_none", true)
		return
	case action == undox.BulkReject && reason == "":
		consoleRedirect(w, r, back, "console_err_reason", true)
		return
	}
	job, err := cs.CreateBulkJob(r.Context(), a, action, ids)
	if err != nil {
		consoleRedirect(w, r, back, consoleErrorKey(err), true)
		return
	}
	// The job goes on when the browser leaves; each item is its own
	// transaction, recorded as it finishes.
	go s.runBulk(context.WithoutCancel(r.Context()), cs, a, job, reason)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/queue/bulk/"+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
}

// runBulk does a bulk job's items one at a time and records each outcome.
func (s *Server) runBulk(ctx context.Context, cs consoleStore, a undox.Actor, job *undox.BulkJob, reason string) {
	for _, it := range job.Items {
		status, err := s.bulkOne(ctx, cs, a, job.Action, it.ItemID, reason)
		code := ""
		if err != nil {
			status, code = undox.BulkItemFailed, undox.ErrorCode(err)
			if code == undox.EINTERNAL {
				s.log.Error("a bulk action failed", "job", job.ID, "item", it.ItemID, "err", err)
			}
		}
		if err := cs.RecordBulkItem(ctx, job.ID, it.ItemID, status, code); err != nil {
			s.log.Error("recording a bulk action", "job", job.ID, "item", it.ItemID, "err", err)
		}
	}
}

// bulkOne does a bulk job's action on one item: at once, or as a request
// for a second analyst when the action is four-eyes.
func (s *Server) bulkOne(ctx context.Context, cs consoleStore, a undox.Actor, action string, id int64, reason string) (string, error) {
	if s.fourEyes(action) {
		it, err := s.Store.Item(ctx, a, id)
		if err != nil {
			return "", err
		}
		if len(it.Cases) == 0 {
			return "", undox.Errorf(undox.ENOTFOUND, "item %d has no case", id)
		}
		_, err = cs.RequestAction(ctx, a, undox.PendingAction{Action: action, Object: "item",
			ObjectID: strconv.FormatInt(id, 10), CaseRef: it.Cases[0], Reason: reason})
		return undox.BulkItemRequested, err
	}
	var err error
	switch action {
	case undox.BulkConfirm:
		_, _, err = s.Store.ConfirmItem(ctx, a, id, reason)
	default:
		_, err = s.Store.ItemEvent(ctx, a, id, undox.Event(action), reason)
	}
	return undox.BulkItemDone, err
}

type consoleBulkRow struct {
	ItemID        int64
	Status, Error string
}

type bulkPageData struct {
	*consolePage
	Bulk             *undox.BulkJob
	Action, Progress string
	Failed, Created  string
	Count            int
	Finished         bool
	Rows             []consoleBulkRow
}

// bulkPage shows a bulk job's progress, "n of m done", and each item's
// outcome.
func (s *Server) bulkPage(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	cs, err := s.console()
	var job *undox.BulkJob
	if err == nil {
		id, perr := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if perr != nil || id < 1 {
			err = undox.Errorf(undox.ENOTFOUND, "bulk job not found")
		} else {
			job, err = cs.BulkJob(r.Context(), a, id)
		}
	}
	if err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	p := &bulkPageData{consolePage: s.newConsolePage(w, r, a, "queue"), Bulk: job}
	t := p.T
	p.Action = t["console_action_"+job.Action]
	p.Count = job.Done + job.Failed
	p.Finished = job.FinishedAt != nil
	p.Progress = fmt.Sprintf(t["console_bulk_progress"], consoleNumber(p.Lang, p.Count), consoleNumber(p.Lang, job.Total))
	if job.Failed > 0 {
		p.Failed = fmt.Sprintf(t["console_bulk_failed"], consoleNumber(p.Lang, job.Failed))
	}
	p.Created = formatDate(p.Lang, job.CreatedAt)
	for _, it := range job.Items {
		row := consoleBulkRow{ItemID: it.ItemID, Status: t["console_bulk_item_"+it.Status]}
		if it.Error != "" {
			row.Error = t[consoleErrorKey(undox.Errorf(it.Error, ""))]
		}
		p.Rows = append(p.Rows, row)
	}
	s.renderConsole(w, http.StatusOK, "staff_bulk.html", p)
}
