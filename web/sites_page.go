package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
)

// The console's page of watched sites (S12): the known doxing sites that
// undox crawls for protected persons, what their crawls saw, and a form
// that adds one.

type sitesPage struct {
	*consolePage
	Sites  []siteRow
	CanAct bool
	// The add form, as typed, and what is wrong with it.
	URL, Hours, MaxPages string
	Errors               map[string]string
}

type siteRow struct {
	ID                 int64
	URL, State         string
	Enabled            bool
	Every, MaxPages    string
	LastCrawl, Next    string
	LastError, CaseRef string
	MinorCaseRef       string
	Pages, Found       string
}

func (s *Server) newSitesPage(w http.ResponseWriter, r *http.Request, a undox.Actor) *sitesPage {
	return &sitesPage{consolePage: s.newConsolePage(w, r, a, "sites"), CanAct: a.Require(undox.PermActCases) == nil,
		Hours: strconv.Itoa(int(undox.DefaultSiteEvery / time.Hour)), MaxPages: strconv.Itoa(undox.DefaultSiteMaxPages),
		Errors: map[string]string{}}
}

// sitesGet is GET /sites.
func (s *Server) sitesGet(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	s.showSites(w, r, a, s.newSitesPage(w, r, a), http.StatusOK)
}

func (s *Server) showSites(w http.ResponseWriter, r *http.Request, a undox.Actor, p *sitesPage, code int) {
	ss, err := s.sites()
	var sites []*undox.WatchedSite
	if err == nil {
		sites, err = ss.WatchedSites(r.Context(), a)
	}
	if err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	t, lang := p.T, p.Lang
	for _, site := range sites {
		row := siteRow{ID: site.ID, URL: site.URL, Enabled: site.Enabled, CaseRef: site.CaseRef, MinorCaseRef: site.MinorCaseRef,
			LastError: site.LastError,
			Every:     everyText(t, site.Every), MaxPages: number(lang, site.MaxPages),
			Pages: number(lang, site.Pages), Found: number(lang, site.Found), LastCrawl: t["console_sites_never"]}
		row.State = t["console_sites_stopped"]
		if site.Enabled {
			row.State = t["console_sites_watched"]
			row.Next = formatDate(lang, site.NextCrawlAt)
		}
		if site.LastCrawlAt != nil {
			row.LastCrawl = formatDate(lang, *site.LastCrawlAt)
		}
		p.Sites = append(p.Sites, row)
	}
	s.renderConsole(w, code, "staff_sites.html", p)
}

// everyText says how often a site is crawled: in hours when whole.
func everyText(t map[string]string, d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf(t["console_sites_every_hours"], int(d/time.Hour))
	}
	return fmt.Sprintf(t["console_sites_every_minutes"], int(d/time.Minute))
}

// sitesPost is POST /sites: the form that adds a site.
func (s *Server) sitesPost(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	r.Body = http.MaxBytesReader(unwrapWriter(w), r.Body, maxConsoleFormBytes)
	if err := r.ParseForm(); err != nil {
		consoleRedirect(w, r, "/sites", "console_err_invalid", true)
		return
	}
	p := s.newSitesPage(w, r, a)
	f := r.PostForm
	p.URL, p.Hours, p.MaxPages = strings.TrimSpace(f.Get("url")), strings.TrimSpace(f.Get("hours")), strings.TrimSpace(f.Get("max_pages"))
	hours, herr := strconv.ParseFloat(p.Hours, 64)
	pages, perr := strconv.Atoi(p.MaxPages)
	if herr != nil || hours <= 0 || hours > 24*365 {
		p.Errors["hours"] = p.T["console_sites_err_hours"]
	}
	if perr != nil {
		p.Errors["max_pages"] = p.T["console_sites_err_pages"]
	}
	if len(p.Errors) == 0 {
		ss, err := s.sites()
		if err == nil {
			_, err = ss.AddWatchedSite(r.Context(), a, p.URL, time.Duration(hours*float64(time.Hour)).Round(time.Minute), pages)
		}
		switch {
		case err == nil:
		case undox.ErrorCode(err) == undox.EINVALID:
			for field := range undox.ErrorFields(err) {
				if f, ok := siteFormErrors[field]; ok {
					p.Errors[f.field] = p.T[f.message]
				}
			}
		case undox.ErrorCode(err) == undox.ECONFLICT:
			p.Errors["url"] = p.T["console_sites_err_duplicate"]
		default:
			s.consoleError(w, r, a, err)
			return
		}
	}
	if len(p.Errors) > 0 {
		s.showSites(w, r, a, p, http.StatusBadRequest)
		return
	}
	consoleRedirect(w, r, "/sites", "console_sites_added", false)
}

// sitePost is POST /sites/{id}/{action}: crawl now, stop, resume.
func (s *Server) sitePost(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	r.Body = http.MaxBytesReader(unwrapWriter(w), r.Body, maxConsoleFormBytes)
	if err := r.ParseForm(); err != nil {
		consoleRedirect(w, r, "/sites", "console_err_invalid", true)
		return
	}
	ss, err := s.sites()
	var id int64
	if err == nil {
		id, err = pathID(r, "watched site")
	}
	if err != nil {
		s.consoleError(w, r, a, err)
		return
	}
	ctx := r.Context()
	var done string
	switch r.PathValue("action") {
	case "crawl":
		_, err = ss.CrawlSiteSoon(ctx, a, id)
		done = "console_sites_crawl_done"
	case "stop":
		_, err = ss.SetSiteWatched(ctx, a, id, false)
		done = "console_sites_stop_done"
	case "resume":
		_, err = ss.SetSiteWatched(ctx, a, id, true)
		done = "console_sites_resume_done"
	default:
		err = undox.Errorf(undox.ENOTFOUND, "no such action")
	}
	switch {
	case err == nil:
		consoleRedirect(w, r, "/sites", done, false)
	case undox.ErrorCode(err) == undox.ETRANSITION:
		consoleRedirect(w, r, "/sites", "console_sites_err_stopped", true)
	default:
		s.consoleError(w, r, a, err)
	}
}

// siteFormErrors are, per field of the store's errors, the add form's
// field and its message.
var siteFormErrors = map[string]struct{ field, message string }{
	"url":           {"url", "console_sites_err_url"},
	"every_minutes": {"hours", "console_sites_err_hours"},
	"max_pages":     {"max_pages", "console_sites_err_pages"},
}
