package web

import (
	"context"
	"net/http"

	"github.com/undox/undox"
)

// recheckStore is what re-checks need from storage (the SQL store has
// it).
type recheckStore interface {
	RequestRecheck(ctx context.Context, actor undox.Actor, itemID int64) error
	Checks(ctx context.Context, actor undox.Actor, itemID int64, limit int) ([]*undox.Check, error)
}

func (s *Server) rechecks() (recheckStore, error) {
	rs, ok := s.Store.(recheckStore)
	if !ok {
		return nil, undox.Errorf(undox.EUNAVAILABLE, "re-checks are not available on this instance")
	}
	return rs, nil
}

// requestRecheck queues a check of an item now: the "check now" button.
func (s *Server) requestRecheck(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := itemID(r)
	var rs recheckStore
	if err == nil {
		rs, err = s.rechecks()
	}
	if err == nil {
		err = rs.RequestRecheck(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"item_id": id, "queued": true})
}

// itemChecks lists an item's re-checks, newest first.
func (s *Server) itemChecks(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	id, err := itemID(r)
	var limit int
	if err == nil {
		limit, err = parseLimit(r.URL.Query().Get("limit"))
	}
	var rs recheckStore
	if err == nil {
		rs, err = s.rechecks()
	}
	var cs []*undox.Check
	if err == nil {
		cs, err = rs.Checks(r.Context(), a, id, limit)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"checks": cs})
}
