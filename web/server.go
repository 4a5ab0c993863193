// Package web serves undox over HTTP: the JSON API under /api/v1, the
// victim's private status page, health, readiness and metrics. Every route
// is registered in one place, Routes.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/job"
	"github.com/undox/undox/notice"
	"github.com/undox/undox/policy"
)

// Store is what the web layer needs from storage.
type Store interface {
	undox.CaseStore
	undox.TokenStore
	undox.StatsStore
	undox.ErasureStore
	undox.UserStore
	ItemHistory(ctx context.Context, id int64) ([]undox.ItemStepRecord, error)
	Referrals(ctx context.Context, itemID int64) ([]string, error)
	AuditEntries(ctx context.Context, objType, objID string) ([]undox.AuditEntry, error)
	// CaseAuditEntries is a case's trail: its entries, its items' and
	// their notices', oldest first; reads false leaves out readings.
	CaseAuditEntries(ctx context.Context, ref string, reads bool) ([]undox.AuditEntry, error)
	LatestCheckpoint(ctx context.Context) (*audit.Checkpoint, error)
	ItemCaptures(ctx context.Context, actor undox.Actor, itemID int64) ([]*undox.Capture, error)
	// ScanKinds is how many of each kind of personal data the latest
	// scan of an item found (no values).
	ScanKinds(ctx context.Context, itemID int64) (map[string]int, error)
	CaptureFile(ctx context.Context, actor undox.Actor, captureID int64, sha256 string, reveal bool) (*undox.Capture, undox.CaptureFile, []byte, error)
	RequestCapture(ctx context.Context, actor undox.Actor, itemID int64) error
	ItemTraces(ctx context.Context, actor undox.Actor, itemID int64, limit int) ([]*undox.Trace, error)
	RequestTrace(ctx context.Context, actor undox.Actor, itemID int64) error
	AcknowledgeMove(ctx context.Context, actor undox.Actor, itemID int64) error
	undox.ContactBook
	AddIdentifier(ctx context.Context, actor undox.Actor, ref string, person int, kind, value string) (*undox.Identifier, error)
	Identifiers(ctx context.Context, actor undox.Actor, ref string) ([]*undox.Identifier, error)
	RemoveIdentifier(ctx context.Context, actor undox.Actor, ref string, id int64) error
	LinkSuggestions(ctx context.Context, actor undox.Actor, ref string) ([]*undox.LinkSuggestion, error)
	DecideLink(ctx context.Context, actor undox.Actor, id int64, confirm bool) (*undox.LinkSuggestion, error)
	undox.NoticeStore
	undox.NoticeTemplateStore
	undox.DossierStore
	NoticeByToken(ctx context.Context, tokenHash []byte) (*undox.Notice, error)
	ResponseByToken(ctx context.Context, tokenHash []byte, r undox.NoticeResponse) (*undox.Notice, error)
	ResponseFormKey() []byte
	// Timeline is a case's timeline for the victim's status page.
	Timeline(ctx context.Context, caseRef string) ([]undox.TimelineEntry, error)
}

// Jobs lists jobs that fail.
type Jobs interface {
	FailedJobs(ctx context.Context, limit int) ([]job.Failed, error)
}

// Config wires the server.
type Config struct {
	Logger *slog.Logger
	Store  Store
	Intake *intake.Service
	Jobs   Jobs
	// Blobs is the evidence store that capture files are read from.
	Blobs blob.Store
	// Ready reports whether the database is reachable and migrated.
	Ready func(ctx context.Context) error
	// Registry collects metrics; the server adds its HTTP metrics to it.
	Registry *prometheus.Registry
	// ReportsPerMinute and ReportBurst limit public reports per client
	// address; ReportsPerMinute 0 turns the limit off.
	ReportsPerMinute float64
	ReportBurst      int
	// TrustedProxies are reverse proxies in front of undox whose
	// X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix
	// MaxImportBytes bounds one bulk import.
	MaxImportBytes int64
	// VerifierKey is the audit log's public key, handed out with
	// checkpoints.
	VerifierKey string
	Version     string
	// QuickExitURL is the neutral page the victim pages' quick exit leaves
	// for; empty is DefaultQuickExitURL.
	QuickExitURL string
	// HelpLinks are the help (victim support, police) the victim pages
	// link to.
	HelpLinks HelpLinks
	// Policy is the takedown policy in force, which the admin pages
	// show; nil is policy.Default().
	Policy *policy.Policy
	// FourEyes are the actions that wait for a second, different
	// analyst's approval (undox.FourEyesActions), in the console and over
	// the API alike.
	FourEyes []string
	// Notices renders the text of a notice that is not rendered yet (a
	// prepared one), for the case page to show before it is approved;
	// nil: the page says the text is shown once it is sent.
	Notices NoticePreviewer
}

// NoticePreviewer renders a notice as sending it would, without storing
// or sending anything (takedown.Service, as `undox notice preview` does).
type NoticePreviewer interface {
	PreviewNotice(ctx context.Context, it *undox.Item, n *undox.Notice) (*notice.Notice, error)
}

// Server is undox's HTTP handler.
type Server struct {
	Config
	log      *slog.Logger
	mux      *http.ServeMux
	limiter  *limiter
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	pages    *template.Template
}

//go:embed template/*.html
var templateFS embed.FS

// New returns the server.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.MaxImportBytes <= 0 {
		cfg.MaxImportBytes = 256 << 20
	}
	s := &Server{Config: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	if cfg.ReportsPerMinute > 0 {
		s.limiter = newLimiter(cfg.ReportsPerMinute, cfg.ReportBurst)
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "undox_http_requests_total", Help: "HTTP requests by route, method and status code.",
	}, []string{"route", "method", "code"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "undox_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route"})
	if err := cfg.Registry.Register(s.requests); err != nil {
		return nil, err
	}
	if err := cfg.Registry.Register(s.duration); err != nil {
		return nil, err
	}
	var err error
	s.pages, err = template.New("").Funcs(template.FuncMap{"plain": plainStatus}).ParseFS(templateFS, "template/*.html")
	if err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// Route is one registered endpoint; the OpenAPI test walks them.
type Route struct {
	Method, Path string
}

func (s *Server) routes() {
	for _, rt := range s.table() {
		s.mux.Handle(rt.Method+" "+rt.Path, rt.h)
	}
}

type route struct {
	Method, Path string
	h            http.Handler
}

// metrics answers the Prometheus metrics.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ undox.Actor) {
	promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// table is every route of undox, in one place.
func (s *Server) table() []route {
	staff := func(p undox.Permission, h func(http.ResponseWriter, *http.Request, undox.Actor)) http.Handler {
		return s.authorize(p, h)
	}
	return []route{
		{"GET", "/healthz", http.HandlerFunc(s.healthz)},
		{"GET", "/readyz", http.HandlerFunc(s.readyz)},
		// The counts (failed and throttled logins among them) are staff's.
		{"GET", "/metrics", staff(undox.PermReadJobs, s.metrics)},
		{"GET", "/status/{token}", http.HandlerFunc(s.statusPortal)},
		{"POST", "/status/{token}/withdraw", http.HandlerFunc(s.withdrawPost)},
		{"POST", "/status/{token}/urls", http.HandlerFunc(s.addURLsPost)},
		{"POST", "/status/{token}/erasure", http.HandlerFunc(s.erasurePost)},
		{"GET", "/{$}", http.HandlerFunc(s.reportGet)},
		{"POST", "/{$}", http.HandlerFunc(s.reportPost)},
		{"GET", "/report", http.HandlerFunc(s.reportMoved)},
		{"POST", "/report", http.HandlerFunc(s.reportPost)},
		{"GET", "/assets/victim.css", http.HandlerFunc(s.victimStyle)},
		{"GET", "/respond/{token}", http.HandlerFunc(s.respondGet)},
		{"POST", "/respond/{token}", http.HandlerFunc(s.respondPost)},
		{"GET", "/assets/respond.css", http.HandlerFunc(s.respondStyle)},
		{"GET", "/login", http.HandlerFunc(s.loginGet)},
		{"POST", "/login", http.HandlerFunc(s.loginPost)},
		{"POST", "/logout", http.HandlerFunc(s.logoutPost)},
		{"GET", "/queue", s.page(undox.PermReadCases, s.queuePage)},
		{"POST", "/queue/bulk", s.page(undox.PermActItems, s.bulkPost)},
		{"GET", "/queue/bulk/{id}", s.page(undox.PermReadCases, s.bulkPage)},
		{"GET", "/cases/{ref}", s.page(undox.PermReadCases, s.casePage)},
		{"POST", "/cases/{ref}", s.page(undox.PermReadCases, s.casePost)},
		{"GET", "/cases/{ref}/files/{capture}/{sha256}", s.page(undox.PermReadCases, s.caseFile)},
		{"GET", "/assets/htmx.min.js", http.HandlerFunc(s.htmxScript)},
		{"GET", "/dashboard", s.page(undox.PermReadCases, s.dashboard)},
		{"GET", "/sites", s.page(undox.PermReadCases, s.sitesGet)},
		{"POST", "/sites", s.page(undox.PermActCases, s.sitesPost)},
		{"POST", "/sites/{id}/{action}", s.page(undox.PermActCases, s.sitePost)},
		{"GET", "/dashboard/charts/{chart}", s.page(undox.PermReadCases, s.statsChart)},
		{"GET", "/admin", s.page(undox.PermAdmin, s.adminUsers)},
		{"GET", "/admin/users", s.page(undox.PermAdmin, s.adminUsers)},
		{"POST", "/admin/users", s.page(undox.PermAdmin, s.adminAddUser)},
		{"POST", "/admin/users/{id}/role", s.page(undox.PermAdmin, s.adminSetRole)},
		{"POST", "/admin/users/{id}/disable", s.page(undox.PermAdmin, s.adminDisableUser)},
		{"POST", "/admin/users/{id}/enable", s.page(undox.PermAdmin, s.adminEnableUser)},
		{"POST", "/admin/users/{id}/reset", s.page(undox.PermAdmin, s.adminResetUser)},
		{"GET", "/admin/policy", s.page(undox.PermAdmin, s.adminPolicy)},
		{"GET", "/admin/categories", s.page(undox.PermAdmin, s.adminCategories)},
		{"GET", "/admin/contacts", s.page(undox.PermAdmin, s.adminContacts)},
		{"POST", "/admin/contacts", s.page(undox.PermAdmin, s.adminAddContact)},
		{"GET", "/admin/contacts/{id}", s.page(undox.PermAdmin, s.adminContact)},
		{"POST", "/admin/contacts/{id}", s.page(undox.PermAdmin, s.adminSaveContact)},
		{"POST", "/admin/contacts/{id}/delete", s.page(undox.PermAdmin, s.adminRemoveContact)},
		{"GET", "/admin/erasure", s.page(undox.PermEraseCases, s.adminErasure)},
		{"POST", "/admin/erasure/{id}/erase", s.page(undox.PermEraseCases, s.adminErase)},
		{"GET", "/admin/templates", s.page(undox.PermAdmin, s.adminTemplates)},
		{"GET", "/admin/templates/{lang}/{name}", s.page(undox.PermAdmin, s.adminTemplate)},
		{"POST", "/admin/templates/{lang}/{name}", s.page(undox.PermAdmin, s.adminSaveTemplate)},
		{"POST", "/admin/templates/{lang}/{name}/activate", s.page(undox.PermAdmin, s.adminActivateTemplate)},
		{"POST", "/admin/templates/{lang}/{name}/default", s.page(undox.PermAdmin, s.adminDefaultTemplate)},
		{"GET", "/assets/staff.css", http.HandlerFunc(s.staffStyle)},

		{"GET", "/api/v1/openapi.json", http.HandlerFunc(s.openapi)},
		{"GET", "/api/v1/categories", http.HandlerFunc(s.categories)},
		{"GET", "/api/v1/lifecycle", http.HandlerFunc(s.lifecycle)},
		{"GET", "/api/v1/audit/checkpoint", http.HandlerFunc(s.checkpoint)},
		{"POST", "/api/v1/reports", http.HandlerFunc(s.createReport)},
		{"GET", "/api/v1/status/{token}", http.HandlerFunc(s.status)},
		{"POST", "/api/v1/status/{token}/withdraw", http.HandlerFunc(s.withdraw)},
		{"POST", "/api/v1/status/{token}/urls", http.HandlerFunc(s.addURLsAPI)},
		{"GET", "/api/v1/erasure-requests", staff(undox.PermEraseCases, s.listErasures)},
		{"POST", "/api/v1/erasure-requests/{id}/done", staff(undox.PermEraseCases, s.completeErasure)},

		{"GET", "/api/v1/cases", staff(undox.PermReadCases, s.listCases)},
		{"GET", "/api/v1/cases/{ref}", staff(undox.PermReadCases, s.withRef(s.getCase))},
		{"GET", "/api/v1/cases/{ref}/audit", staff(undox.PermReadAudit, s.withRef(s.caseAudit))},
		{"POST", "/api/v1/cases/{ref}/actions/{action}", staff(undox.PermActCases, s.withRef(s.caseAction))},
		{"PUT", "/api/v1/cases/{ref}/hold", staff(undox.PermLegalHold, s.withRef(s.setHold))},
		{"DELETE", "/api/v1/cases/{ref}/hold", staff(undox.PermLegalHold, s.withRef(s.liftHold))},
		{"POST", "/api/v1/cases/{ref}/status-token", staff(undox.PermEraseCases, s.withRef(s.rotateToken))},
		{"GET", "/api/v1/cases/{ref}/identifiers", staff(undox.PermReadCases, s.withRef(s.listIdentifiers))},
		{"POST", "/api/v1/cases/{ref}/identifiers", staff(undox.PermActCases, s.withRef(s.addIdentifier))},
		{"DELETE", "/api/v1/cases/{ref}/identifiers/{id}", staff(undox.PermActCases, s.withRef(s.removeIdentifier))},
		{"GET", "/api/v1/cases/{ref}/links", staff(undox.PermReadCases, s.withRef(s.listLinks))},
		{"POST", "/api/v1/links/{id}/confirm", staff(undox.PermActCases, s.decideLink(true))},
		{"POST", "/api/v1/links/{id}/reject", staff(undox.PermActCases, s.decideLink(false))},
		{"GET", "/api/v1/items", staff(undox.PermReadCases, s.listItems)},
		{"GET", "/api/v1/items/{id}", staff(undox.PermReadCases, s.getItem)},
		{"POST", "/api/v1/items/{id}/actions/{action}", staff(undox.PermActItems, s.itemAction)},
		{"GET", "/api/v1/items/{id}/captures", staff(undox.PermReadCases, s.itemCaptures)},
		{"POST", "/api/v1/items/{id}/captures", staff(undox.PermActItems, s.requestCapture)},
		{"GET", "/api/v1/captures/{id}/files/{sha256}", staff(undox.PermReadCases, s.captureFile)},
		{"GET", "/api/v1/items/{id}/traces", staff(undox.PermReadCases, s.itemTraces)},
		{"POST", "/api/v1/items/{id}/traces", staff(undox.PermActItems, s.requestTrace)},
		{"POST", "/api/v1/items/{id}/host-moved/acknowledge", staff(undox.PermActItems, s.acknowledgeMove)},
		{"POST", "/api/v1/items/{id}/confirm", staff(undox.PermActItems, s.confirmItem)},
		{"GET", "/api/v1/items/{id}/notices", staff(undox.PermReadCases, s.itemNotices)},
		{"POST", "/api/v1/notices/{id}/approve", staff(undox.PermActItems, s.approveNotice)},
		{"POST", "/api/v1/notices/{id}/submitted", staff(undox.PermActItems, s.submittedNotice)},
		{"GET", "/api/v1/pending-actions", staff(undox.PermReadCases, s.listPendingActions)},
		{"GET", "/api/v1/pending-actions/{id}", staff(undox.PermReadCases, s.getPendingAction)},
		{"POST", "/api/v1/pending-actions/{id}/approve", staff(undox.PermActItems, s.approvePendingAction)},
		{"POST", "/api/v1/pending-actions/{id}/decline", staff(undox.PermActItems, s.declinePendingAction)},
		{"GET", "/api/v1/items/{id}/dossiers", staff(undox.PermReadCases, s.itemDossiers)},
		{"GET", "/api/v1/dossiers/{id}/bundle", staff(undox.PermReveal, s.dossierBundle)},
		{"POST", "/api/v1/dossiers/{id}/approve", staff(undox.PermActItems, s.approveDossier)},
		{"POST", "/api/v1/dossiers/{id}/sent", staff(undox.PermActItems, s.dossierSent)},
		{"GET", "/api/v1/cases/{ref}/timeline", staff(undox.PermReadCases, s.withRef(s.caseTimeline))},
		{"GET", "/api/v1/notice-templates", staff(undox.PermReadCases, s.listNoticeTemplates)},
		{"GET", "/api/v1/notice-templates/{lang}/{name}", staff(undox.PermReadCases, s.getNoticeTemplate)},
		{"PUT", "/api/v1/notice-templates/{lang}/{name}", staff(undox.PermAdmin, s.putNoticeTemplate)},
		{"DELETE", "/api/v1/notice-templates/{lang}/{name}", staff(undox.PermAdmin, s.revertNoticeTemplate)},
		{"POST", "/api/v1/notice-template-versions/{id}/activate", staff(undox.PermAdmin, s.activateNoticeTemplate)},
		{"GET", "/api/v1/contacts", staff(undox.PermReadCases, s.listContacts)},
		{"POST", "/api/v1/contacts", staff(undox.PermContacts, s.createContact)},
		{"PUT", "/api/v1/contacts/{id}", staff(undox.PermContacts, s.updateContact)},
		{"DELETE", "/api/v1/contacts/{id}", staff(undox.PermContacts, s.removeContact)},
		{"GET", "/api/v1/contacts/{id}/history", staff(undox.PermReadCases, s.contactHistory)},
		{"GET", "/api/v1/watched-sites", staff(undox.PermReadCases, s.listSites)},
		{"POST", "/api/v1/watched-sites", staff(undox.PermActCases, s.addSite)},
		{"GET", "/api/v1/watched-sites/{id}", staff(undox.PermReadCases, s.siteAction(getSite, http.StatusOK))},
		{"POST", "/api/v1/watched-sites/{id}/crawl", staff(undox.PermActCases, s.siteAction(crawlSite, http.StatusAccepted))},
		{"POST", "/api/v1/watched-sites/{id}/stop", staff(undox.PermActCases, s.siteAction(stopSite, http.StatusOK))},
		{"POST", "/api/v1/watched-sites/{id}/resume", staff(undox.PermActCases, s.siteAction(resumeSite, http.StatusOK))},
		{"GET", "/api/v1/jobs/failed", staff(undox.PermReadJobs, s.failedJobs)},
		{"POST", "/api/v1/imports", staff(undox.PermImport, s.createImport)},
		{"POST", "/api/v1/items/{id}/recheck", staff(undox.PermActItems, s.requestRecheck)},
		{"GET", "/api/v1/items/{id}/checks", staff(undox.PermReadCases, s.itemChecks)},
		{"GET", "/api/v1/stats/dashboard", staff(undox.PermReadCases, s.statsDashboard)},
		{"GET", "/api/v1/stats/providers", staff(undox.PermReadCases, s.statsProviders)},
		{"GET", "/api/v1/stats/charts/{chart}", staff(undox.PermReadCases, s.statsChart)},
	}
}

// Routes lists every registered method and path.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.table() {
		out = append(out, Route{r.Method, strings.TrimSuffix(r.Path, "{$}")}) // "/{$}" is the exact "/"
	}
	return out
}

type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// ServeHTTP implements http.Handler: security headers, panic recovery,
// metrics and the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v))
			if rec.code == 0 {
				s.fail(rec, r, fmt.Errorf("panic: %v", v))
			}
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		code := rec.code
		if code == 0 {
			code = http.StatusOK
		}
		s.requests.WithLabelValues(route, r.Method, strconv.Itoa(code)).Inc()
		s.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	}()
	if _, pattern := s.mux.Handler(r); pattern == "" {
		// Unknown paths and methods answer as problems, like every error;
		// outside the API, a browser gets a page.
		page := !strings.HasPrefix(r.URL.Path, "/api/") && prefersHTML(r.Header.Get("Accept"))
		s.mux.ServeHTTP(&problemOnError{recorder: rec, s: s, r: r, page: page}, r)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// problemOnError turns the mux's plain-text 404 and 405 into problems, or
// into the page that says there is no such page (page).
type problemOnError struct {
	*recorder
	s       *Server
	r       *http.Request
	page    bool
	handled bool
}

func (p *problemOnError) WriteHeader(code int) {
	if code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		p.recorder.WriteHeader(code)
		return
	}
	p.handled = true
	if p.page {
		p.s.notFoundPage(p.recorder, p.r, code)
		return
	}
	c, msg := undox.ENOTFOUND, "no such endpoint"
	if code == http.StatusMethodNotAllowed {
		c, msg = "method_not_allowed", "this method is not allowed here"
	}
	p.recorder.Header().Set("Content-Type", "application/problem+json")
	p.recorder.WriteHeader(code)
	json.NewEncoder(p.recorder).Encode(Problem{Type: ProblemType(c), Title: http.StatusText(code), Status: code, Detail: msg, Code: c})
}

func (p *problemOnError) Write(b []byte) (int, error) {
	if p.handled {
		return len(b), nil
	}
	return p.recorder.Write(b)
}

// prefersHTML tells whether an Accept header weighs text/html above JSON,
// as a browser's does when it opens a page ("text/html,…,*/*;q=0.8"); no
// header, or "*/*" alone, is not a preference.
func prefersHTML(accept string) bool {
	h := acceptQ(accept, "text/html")
	return h > 0 && h > acceptQ(accept, "application/json") && h > acceptQ(accept, "application/problem+json")
}

// acceptQ is the weight an Accept header gives a media type: that of the
// most specific range that matches it (type/subtype, type/*, */*).
func acceptQ(accept, mediaType string) float64 {
	if strings.TrimSpace(accept) == "" {
		return 1
	}
	major, _, _ := strings.Cut(mediaType, "/")
	best, q := -1, 0.0
	for _, part := range strings.Split(accept, ",") {
		rng, params, _ := strings.Cut(part, ";")
		rng = strings.ToLower(strings.TrimSpace(rng))
		spec := -1
		switch rng {
		case mediaType:
			spec = 2
		case major + "/*":
			spec = 1
		case "*/*":
			spec = 0
		}
		if spec <= best {
			continue
		}
		best, q = spec, 1
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
	}
	return q
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.Version})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if s.Ready != nil {
		if err := s.Ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			s.fail(w, r, undox.Errorf(undox.EUNAVAILABLE, "not ready: %v", err))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
