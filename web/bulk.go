package web

// Bulk actions from the queue: the items chosen with their checkboxes are
// confirmed, rejected or closed one by one by a durable job (package job:
// each step as a single action takes it, audited as the analyst's), and
// the bulk job's page shows how far it got. With
// JavaScript htmx polls the progress; without it, the page refreshes
// itself (a meta refresh, which the Content-Security-Policy allows: it is
// not script).

import (
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
	// The job is durable (a River job queued with it): it goes on when
	// the browser leaves and after a restart, each item done and recorded
	// in one transaction, as the analyst.
	job, err := cs.CreateBulkJob(r.Context(), a, action, ids, reason, s.fourEyes(action))
	if err != nil {
		consoleRedirect(w, r, back, consoleErrorKey(err), true)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/queue/bulk/"+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
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
