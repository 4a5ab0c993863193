package web

// Four-eyes over the JSON API. An action that the configuration marks as
// four-eyes (--four-eyes) is not done when a token asks for it: it is
// recorded as a pending action, exactly as the console records it, and
// answered 202 Accepted. A second, different analyst approves it (which
// does it, as theirs) or declines it, here or in the console. Who counts
// as the same analyst is the store's decision (undox.Actor.IsRequester),
// so that no client is a way around it.

import (
	"net/http"
	"strconv"

	"github.com/undox/undox"
)

// requestAction records pa as a four-eyes request of a and answers 202
// with it; nothing else changes yet.
func (s *Server) requestAction(w http.ResponseWriter, r *http.Request, a undox.Actor, pa undox.PendingAction) {
	cs, err := s.console()
	var out *undox.PendingAction
	if err == nil {
		out, err = cs.RequestAction(r.Context(), a, pa)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/pending-actions/"+strconv.FormatInt(out.ID, 10))
	writeJSON(w, http.StatusAccepted, out)
}

func pendingID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, undox.Errorf(undox.ENOTFOUND, "pending action not found")
	}
	return id, nil
}

// listPendingActions lists four-eyes requests, oldest first, in pages:
// those waiting (?status=pending) are a second analyst's to-do list. The
// store checks the status.
func (s *Server) listPendingActions(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	q := r.URL.Query()
	f := undox.PendingFilter{Status: q.Get("status"), CaseRef: q.Get("case")}
	var err error
	if f.CaseRef != "" && undox.CheckRef(f.CaseRef) != nil {
		err = undox.Invalid("case", "%q is not a case reference", f.CaseRef)
	}
	if err == nil {
		f.After, f.Limit, err = parsePage(q)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cs, err := s.console()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := cs.PendingActions(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writePage(w, "pending_actions", list, f.Limit, func(pa *undox.PendingAction) int64 { return pa.ID })
}

// onPending answers what do does to the pending action of the path.
func (s *Server) onPending(w http.ResponseWriter, r *http.Request, do func(cs consoleStore, id int64) (*undox.PendingAction, error)) {
	id, err := pendingID(r)
	var cs consoleStore
	if err == nil {
		cs, err = s.console()
	}
	var pa *undox.PendingAction
	if err == nil {
		pa, err = do(cs, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pa)
}

// getPendingAction answers one four-eyes request, in whatever state.
func (s *Server) getPendingAction(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	s.onPending(w, r, func(cs consoleStore, id int64) (*undox.PendingAction, error) {
		return cs.PendingAction(r.Context(), a, id)
	})
}

// approvePendingAction approves another analyst's request: the action is
// done, as the approver's, in the same transaction.
func (s *Server) approvePendingAction(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	s.onPending(w, r, func(cs consoleStore, id int64) (*undox.PendingAction, error) {
		return cs.ApproveAction(r.Context(), a, id)
	})
}

// declinePendingAction declines another analyst's request, or withdraws
// one's own, with an optional reason; nothing else changes.
func (s *Server) declinePendingAction(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	s.onPending(w, r, func(cs consoleStore, id int64) (*undox.PendingAction, error) {
		reason, err := readAction(w, r)
		if err != nil {
			return nil, err
		}
		return cs.DeclineAction(r.Context(), a, id, reason)
	})
}
