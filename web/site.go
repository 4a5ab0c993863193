package web

import (
	"context"
	"net/http"
	"time"

	"github.com/undox/undox"
)

// siteStore is what the monitoring of known doxing sites needs from
// storage (the SQL store has it).
type siteStore interface {
	AddWatchedSite(ctx context.Context, actor undox.Actor, url string, every time.Duration, maxPages int) (*undox.WatchedSite, error)
	WatchedSites(ctx context.Context, actor undox.Actor) ([]*undox.WatchedSite, error)
	WatchedSite(ctx context.Context, actor undox.Actor, id int64) (*undox.WatchedSite, error)
	SetSiteWatched(ctx context.Context, actor undox.Actor, id int64, watched bool) (*undox.WatchedSite, error)
	CrawlSiteSoon(ctx context.Context, actor undox.Actor, id int64) (*undox.WatchedSite, error)
}

func (s *Server) sites() (siteStore, error) {
	ss, ok := s.Store.(siteStore)
	if !ok {
		return nil, undox.Errorf(undox.EUNAVAILABLE, "the monitoring of sites is not available on this instance")
	}
	return ss, nil
}

func (s *Server) listSites(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	ss, err := s.sites()
	var sites []*undox.WatchedSite
	if err == nil {
		sites, err = ss.WatchedSites(r.Context(), a)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if sites == nil {
		sites = []*undox.WatchedSite{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sites": sites})
}

func (s *Server) addSite(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	var in struct {
		URL          string `json:"url"`
		EveryMinutes int    `json:"every_minutes"`
		MaxPages     int    `json:"max_pages"`
	}
	ss, err := s.sites()
	if err == nil {
		_, err = requireContentType(r, "application/json")
	}
	var b []byte
	if err == nil {
		b, err = readBody(w, r, 16<<10)
	}
	if err == nil {
		err = decodeJSON(b, &in)
	}
	var site *undox.WatchedSite
	if err == nil {
		site, err = ss.AddWatchedSite(r.Context(), a, in.URL, time.Duration(in.EveryMinutes)*time.Minute, in.MaxPages)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, site)
}

// siteAction is one of the actions on one watched site.
func (s *Server) siteAction(act func(ss siteStore, ctx context.Context, a undox.Actor, id int64) (*undox.WatchedSite, error), status int) func(http.ResponseWriter, *http.Request, undox.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a undox.Actor) {
		ss, err := s.sites()
		var id int64
		if err == nil {
			id, err = pathID(r, "watched site")
		}
		var site *undox.WatchedSite
		if err == nil {
			site, err = act(ss, r.Context(), a, id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, status, site)
	}
}

func getSite(ss siteStore, ctx context.Context, a undox.Actor, id int64) (*undox.WatchedSite, error) {
	return ss.WatchedSite(ctx, a, id)
}

func crawlSite(ss siteStore, ctx context.Context, a undox.Actor, id int64) (*undox.WatchedSite, error) {
	return ss.CrawlSiteSoon(ctx, a, id)
}

func stopSite(ss siteStore, ctx context.Context, a undox.Actor, id int64) (*undox.WatchedSite, error) {
	return ss.SetSiteWatched(ctx, a, id, false)
}

func resumeSite(ss siteStore, ctx context.Context, a undox.Actor, id int64) (*undox.WatchedSite, error) {
	return ss.SetSiteWatched(ctx, a, id, true)
}
