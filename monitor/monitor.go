// Package monitor crawls known doxing sites for the persons undox's cases
// protect (S12, proactive monitoring; see undox.WatchedSite).
//
// A crawl starts at the site's URL and follows the links of its pages that
// stay on the same host and under the start URL's folder, breadth first, up
// to the site's page bound, one page at a time with a pause between
// fetches. Every fetch goes through the safe fetcher (its address policy,
// bounds and timeouts). Each page's readable text is matched against the
// watch, which holds only keyed hashes of the protected persons'
// identifiers and confirms each match against their sealed values; a page
// that shows a protected person and is no item yet is filed as an item of
// the site's monitoring case (made at the first find, through intake, as
// undox's own report). From there the page goes the way of every item:
// captured as evidence under that case's key, scanned, linked to the
// person's case by a suggestion, and, if it re-uploads content already
// confirmed for that case on the same site, notified without an analyst
// where the policy allows it. The crawl keeps of each page only a keyed
// hash of its URL (a URL can name a person) and the SHA-256 of its text.
package monitor

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/capture/extract"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/mirror"
	"github.com/undox/undox/personal"
)

// Store is what monitoring needs of the database (sqlstore.Store).
type Store interface {
	DueSites(ctx context.Context, limit int) ([]int64, error)
	ClaimCrawl(ctx context.Context, id int64) (*undox.WatchedSite, map[string]string, error)
	SaveCrawl(ctx context.Context, c undox.Crawl) error
	SetSiteCase(ctx context.Context, siteID int64, ref string, minor bool) error
	ProtectsMinor(ctx context.Context, persons []string) (bool, error)
	KnownItems(ctx context.Context, urls []string) (map[string]bool, error)
	FoundTexts(ctx context.Context, siteID int64) (map[string]bool, error)
	AddItems(ctx context.Context, actor undox.Actor, ref string, urls []string) (int, error)
	ConfirmedCopy(ctx context.Context, p mirror.Print, host string) (found, minor bool, err error)
}

// Matcher finds protected persons in a text (personal.Watch).
type Matcher interface {
	Match(ctx context.Context, text string) ([]personal.Match, error)
}

// Submitter files a report (intake.Service).
type Submitter interface {
	Submit(ctx context.Context, actor undox.Actor, sub intake.Submission) (undox.Receipt, error)
}

// DefaultDelay is the pause between two fetches of one crawl.
const DefaultDelay = time.Second

// Config is what a Service needs.
type Config struct {
	Store   Store
	Fetcher *fetch.Fetcher
	Matcher Matcher
	// Printer makes the prints by which a page that copies a confirmed
	// page is found even when the watch knows nobody on it (package
	// mirror); nil: only the watch finds pages.
	Printer *mirror.Printer
	Intake  Submitter
	// Key keys the hashes of the URLs of the pages crawls saw (see
	// undox.SitePage); at least 32 bytes.
	Key []byte
	// Delay is the pause between two fetches of one crawl (undox serve's
	// --monitor-delay, DefaultDelay by default); 0: none.
	Delay  time.Duration
	Logger *slog.Logger
}

// Service crawls watched sites.
type Service struct{ cfg Config }

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Fetcher == nil || cfg.Matcher == nil || cfg.Intake == nil {
		return nil, errors.New("monitor: Store, Fetcher, Matcher and Intake are required")
	}
	if len(cfg.Key) < 32 {
		return nil, errors.New("monitor: Key must be at least 32 bytes")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}, nil
}

// DueSites returns the sites whose crawl is due.
func (s *Service) DueSites(ctx context.Context, limit int) ([]int64, error) {
	return s.cfg.Store.DueSites(ctx, limit)
}

// CrawlSite crawls a site if its crawl is due (nil, nil when it is not:
// another worker has it), files the pages that show a protected person,
// and records what the crawl saw.
func (s *Service) CrawlSite(ctx context.Context, id int64) (*undox.Crawl, error) {
	site, known, err := s.cfg.Store.ClaimCrawl(ctx, id)
	if err != nil || site == nil {
		return nil, err
	}
	// A crawl that runs out of time stops a minute early; one stopped
	// (undox shutting down) stops at once. Either way what it saw is filed
	// and recorded, with a context of its own.
	crawlCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		crawlCtx, cancel = context.WithDeadline(ctx, dl.Add(-time.Minute))
		defer cancel()
	}
	c, err := s.Crawl(crawlCtx, site, known)
	switch {
	case err == nil:
	case crawlCtx.Err() != nil:
		c.Error = fmt.Sprintf("stopped short after %d pages: the crawl ran out of time or undox stopped", len(c.Pages))
	default:
		return nil, err
	}
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	if err := s.file(saveCtx, site, &c); err != nil {
		// Recorded without the pages that were not filed, so that the
		// next crawl finds them again.
		c.Error = "the pages found could not be filed: " + undox.ErrorMessage(err)
		s.cfg.Logger.Error("monitor: filing what a crawl found", "site", site.ID, "err", err)
	}
	if err := s.cfg.Store.SaveCrawl(saveCtx, c); err != nil {
		return nil, err
	}
	return &c, nil
}

// saveTimeout bounds the filing and recording of what a crawl saw.
const saveTimeout = 30 * time.Second

// file files the pages a crawl found that are no items yet in the site's
// monitoring case, making one when the site has none (or its case no
// longer takes links: closed once all its pages were removed, or
// erased). c.Found keeps only the pages filed; on an error, the pages
// found but not filed are dropped from c.Pages too, so that the next crawl
// finds them again.
func (s *Service) file(ctx context.Context, site *undox.WatchedSite, c *undox.Crawl) error {
	if len(c.Found) == 0 {
		return nil
	}
	var tried, filed []string // the pages to file, and those filed
	known, err := s.cfg.Store.KnownItems(ctx, c.Found)
	var texts map[string]bool // the texts this site's crawls filed already, by hash
	if err == nil {
		texts, err = s.cfg.Store.FoundTexts(ctx, site.ID)
	}
	if err == nil {
		textOf := map[string]string{}
		for _, p := range c.Pages {
			textOf[p.URL] = p.TextSHA256
		}
		// Pages that show a person whom a minor's case protects go to the
		// minors' monitoring case: their evidence is shown blurred, their
		// deadlines are a minor's. A text filed already (the same page
		// under another URL: page=2, a session id) is not filed again, and
		// one crawl files at most maxFound pages: a site that multiplies a
		// page does not multiply its items and notices.
		var adults, minors []string
		for _, u := range c.Found {
			if known[u] {
				continue
			}
			if texts[textOf[u]] || len(adults)+len(minors) >= maxFound {
				continue // left: a page over the bound is found again next time
			}
			if texts == nil {
				texts = map[string]bool{}
			}
			texts[textOf[u]] = true
			minor, merr := s.cfg.Store.ProtectsMinor(ctx, c.Persons[u])
			if merr != nil {
				err = merr
				break
			}
			minor = minor || c.Mirrors[u]
			if minor {
				minors = append(minors, u)
			} else {
				adults = append(adults, u)
			}
			tried = append(tried, u)
		}
		for _, group := range []struct {
			urls  []string
			minor bool
		}{{adults, false}, {minors, true}} {
			for start := 0; start < len(group.urls) && err == nil; start += intake.MaxURLsPerReport {
				batch := group.urls[start:min(start+intake.MaxURLsPerReport, len(group.urls))]
				if err = s.fileBatch(ctx, site, batch, group.minor); err == nil {
					filed = append(filed, batch...)
				}
			}
		}
	}
	if err != nil {
		unfiled := map[string]bool{}
		for _, u := range tried {
			unfiled[u] = !slices.Contains(filed, u)
		}
		kept := c.Pages[:0]
		for _, p := range c.Pages {
			if !unfiled[p.URL] {
				kept = append(kept, p)
			}
		}
		c.Pages = kept
	}
	c.Found = filed
	return err
}

// fileBatch files pages into the site's monitoring case (minor: its
// minors'), making one when the site has none or its case no longer takes
// links.
func (s *Service) fileBatch(ctx context.Context, site *undox.WatchedSite, urls []string, minor bool) error {
	ref := &site.CaseRef
	if minor {
		ref = &site.MinorCaseRef
	}
	if *ref != "" {
		_, err := s.cfg.Store.AddItems(ctx, undox.System, *ref, urls)
		if err == nil {
			return nil
		}
		if code := undox.ErrorCode(err); code != undox.ETRANSITION && code != undox.ENOTFOUND {
			return err
		}
		// Closed (all its pages removed) or erased: a new case.
	}
	r, err := s.cfg.Intake.Submit(ctx, undox.System, intake.Submission{
		Report: undox.Report{
			URLs:     urls,
			Category: undox.CategoryDoxing,
			IsMinor:  minor,
			Language: "nl",
			Description: fmt.Sprintf("Gevonden door de monitoring van %s: de pagina's tonen een persoon die een zaak beschermt, of kopiëren een bevestigde pagina. "+
				"Found by the monitoring of %s: the pages show a person a case protects, or copy a confirmed page.", site.URL, site.URL),
		},
		Monitor: site.Host,
	})
	if err != nil {
		return err
	}
	if err := s.cfg.Store.SetSiteCase(ctx, site.ID, r.CaseRef, minor); err != nil {
		return err
	}
	*ref = r.CaseRef
	return nil
}

// Crawl fetches the site's pages and matches their texts against the
// watch; it records nothing. known (page key → SHA-256 of the text) are the
// pages earlier crawls saw: the links to pages they did not see are
// followed first, so that a site too large for one crawl is covered over
// several. An error is returned only when the crawl cannot go on (ctx
// ended, the watch failed), with what it saw so far; a start page that
// cannot be read is the crawl's Error.
func (s *Service) Crawl(ctx context.Context, site *undox.WatchedSite, known map[string]string) (undox.Crawl, error) {
	c := undox.Crawl{SiteID: site.ID}
	start, err := url.Parse(site.URL)
	if err != nil {
		c.Error = "the site's URL does not parse"
		return c, nil
	}
	sc := scope{host: strings.ToLower(start.Hostname()), port: start.Port(), prefix: folder(start.Path)}
	var fresh, seen []string // to fetch: pages no crawl saw first
	queued := map[string]bool{site.URL: true}
	queuedBytes := 0
	done := map[string]bool{}
	next := func() string {
		if len(fresh) > 0 {
			u := fresh[0]
			fresh = fresh[1:]
			return u
		}
		u := seen[0]
		seen = seen[1:]
		return u
	}
	fresh = append(fresh, site.URL)
	for i := 0; len(fresh)+len(seen) > 0 && len(c.Pages) < site.MaxPages; i++ {
		u := next()
		if done[u] {
			continue // reached already, through a redirect
		}
		if i > 0 && s.cfg.Delay > 0 {
			select {
			case <-ctx.Done():
				return c, ctx.Err()
			case <-time.After(s.cfg.Delay):
			}
		}
		res, err := s.cfg.Fetcher.Fetch(ctx, u)
		if ctx.Err() != nil {
			return c, ctx.Err()
		}
		// A page larger than the fetcher keeps is read as far as it kept
		// (as captures keep it): padding does not hide a page.
		if err != nil && !(fetch.CodeOf(err) == fetch.TooLarge && res != nil && res.Status == http.StatusOK) || res.Status != http.StatusOK {
			if u == site.URL {
				c.Error = fetchProblem(err, res)
			}
			continue
		}
		page := u
		if res.FinalURL != "" && res.FinalURL != u {
			final, err := undox.NormalizeURL(res.FinalURL)
			if err != nil || !sc.holds(final) || done[final] {
				if u == site.URL {
					c.Error = "the start page redirects away from the site's folder: " + res.FinalURL
				}
				continue // redirected away, or to a page seen already
			}
			page = final
		}
		done[u], done[page] = true, true
		text, links := readable(res)
		if text == "" {
			if u == site.URL {
				c.Error = "the start page has no text to read (" + cmp.Or(res.MediaType, "no media type") + ")"
			}
			continue
		}
		sum := sha256.Sum256([]byte(text))
		hash := hex.EncodeToString(sum[:])
		key := s.pageKey(page)
		c.Pages = append(c.Pages, undox.SitePage{URL: page, Key: key, TextSHA256: hash})
		switch was, ok := known[key]; {
		case !ok:
			c.New++
		case was != hash:
			c.Changed++
		}
		// Every page is matched, changed or not: the watch may protect
		// persons it did not at the last crawl.
		matches, err := s.cfg.Matcher.Match(ctx, text)
		if err != nil {
			if ctx.Err() != nil {
				return c, ctx.Err()
			}
			return c, fmt.Errorf("monitor: the watch: %w", err)
		}
		// A copy of a confirmed page (a mirror) is found too, even when
		// the watch knows nobody on it; and a copy of a minor's case's
		// page goes to the minors' case whoever else it shows.
		mirrored := false
		if s.cfg.Printer != nil {
			if p, ok := s.cfg.Printer.Print(text); ok {
				found, minor, err := s.cfg.Store.ConfirmedCopy(ctx, p, sc.host)
				if err != nil {
					return c, fmt.Errorf("monitor: mirrors: %w", err)
				}
				if found {
					mirrored = true
					if c.Mirrors == nil {
						c.Mirrors = map[string]bool{}
					}
					c.Mirrors[page] = minor
				}
			}
		}
		if mirrored || len(matches) > 0 {
			c.Found = append(c.Found, page)
		}
		if len(matches) > 0 {
			if c.Persons == nil {
				c.Persons = map[string][]string{}
			}
			for _, m := range matches {
				if !slices.Contains(c.Persons[page], m.Person) {
					c.Persons[page] = append(c.Persons[page], m.Person)
				}
			}
		}
		for _, l := range links {
			if len(queued) >= maxQueued(site.MaxPages) || queuedBytes >= maxQueuedBytes {
				break // a site that makes up links without end
			}
			n, err := undox.NormalizeURL(l)
			if err != nil || !sc.holds(n) || queued[n] || notText(n) {
				continue
			}
			queued[n] = true
			queuedBytes += len(n)
			if _, ok := known[s.pageKey(n)]; ok {
				seen = append(seen, n)
			} else {
				fresh = append(fresh, n)
			}
		}
	}
	return c, nil
}

// maxFound bounds the pages one crawl files: the next crawl files more.
const maxFound = intake.MaxURLsPerReport

// maxQueuedBytes bounds the size of the links a crawl keeps to follow.
const maxQueuedBytes = 16 << 20

// pageKey is the keyed hash of a page's URL that undox keeps.
func (s *Service) pageKey(u string) string {
	m := hmac.New(sha256.New, s.cfg.Key)
	m.Write([]byte("undox site page\x00" + u))
	return hex.EncodeToString(m.Sum(nil))
}

// maxQueued bounds the links a crawl of up to maxPages pages keeps to
// follow: a page may link to thousands, and a hostile site can make up
// links without end.
func maxQueued(maxPages int) int { return min(20*maxPages, 100_000) }

// notText tells the links to files that have no text to read (by the
// extension of their path), which a crawl does not fetch.
func notText(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return true
	}
	ext := strings.ToLower(path.Ext(u.Path))
	_, skip := binaryExt[ext]
	return skip
}

var binaryExt = map[string]struct{}{
	".jpg": {}, ".jpeg": {}, ".png": {}, ".gif": {}, ".webp": {}, ".avif": {}, ".bmp": {}, ".ico": {}, ".svg": {}, ".tif": {}, ".tiff": {},
	".mp4": {}, ".webm": {}, ".mov": {}, ".avi": {}, ".mkv": {}, ".mp3": {}, ".ogg": {}, ".wav": {}, ".m4a": {},
	".zip": {}, ".rar": {}, ".7z": {}, ".gz": {}, ".tar": {}, ".exe": {}, ".dmg": {}, ".apk": {}, ".iso": {},
	".pdf": {}, ".doc": {}, ".docx": {}, ".xls": {}, ".xlsx": {}, ".ppt": {}, ".pptx": {},
	".css": {}, ".js": {}, ".woff": {}, ".woff2": {}, ".ttf": {},
}

// readable returns a fetched page's text and links: HTML is extracted,
// plain text (a paste) is taken as it is; anything else has no text.
func readable(res *fetch.Result) (string, []string) {
	switch res.MediaType {
	case "text/html", "application/xhtml+xml":
		page, err := extract.HTML(res.TextBytes(), res.FinalURL)
		if err != nil {
			return "", nil
		}
		links := make([]string, 0, len(page.Links))
		for _, l := range page.Links {
			links = append(links, l.URL)
		}
		return page.Text, links
	case "text/plain":
		return res.Text, nil
	}
	return "", nil
}

// fetchProblem says why a start page was not read.
func fetchProblem(err error, res *fetch.Result) string {
	if err != nil {
		return fmt.Sprintf("%s: %s", fetch.CodeOf(err), err)
	}
	return fmt.Sprintf("the start page answered %d", res.Status)
}

// scope is what a crawl may follow: the start URL's scheme-less host and
// port, and its folder.
type scope struct {
	host, port, prefix string
}

func (sc scope) holds(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	return strings.EqualFold(u.Hostname(), sc.host) && u.Port() == sc.port && strings.HasPrefix(folderOrPath(u.Path), sc.prefix)
}

// folder is the folder of a URL path: "/a/b" → "/a/", "/a/" → "/a/".
func folder(p string) string {
	if p == "" {
		return "/"
	}
	return p[:strings.LastIndexByte(p, '/')+1]
}

func folderOrPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
