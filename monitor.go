package undox

import (
	"encoding/json"
	"net/url"
	"time"
)

// WatchedSite is a known doxing site that undox crawls now and then for the
// persons its cases protect (S12, proactive monitoring). A crawl starts at
// URL and follows links on the same host, under the same path, up to
// MaxPages pages; a page that is new or changed since the last crawl and
// shows a protected person (the watch confirms it) becomes an item of the
// site's monitoring case, and from there goes the way of every item: it is
// captured as evidence, its scan suggests the link to the person's case, and
// a re-upload of content already confirmed for that case is notified without
// an analyst where the policy allows it. Of the other pages undox keeps only
// a keyed hash of the URL and the SHA-256 of the text, to tell a changed
// page.
type WatchedSite struct {
	ID       int64         `json:"id"`
	URL      string        `json:"url"`
	Host     string        `json:"host"`
	Every    time.Duration `json:"-"`
	MaxPages int           `json:"max_pages"`
	Enabled  bool          `json:"enabled"`
	// CaseRef is the monitoring case that holds what crawls found: made at
	// the first find (its source is "monitor:<host>"). MinorCaseRef holds
	// the pages that showed a person whom a minor's case protects: a case
	// of a minor (the evidence blurred, its deadlines a minor's).
	CaseRef      string     `json:"case,omitempty"`
	MinorCaseRef string     `json:"minor_case,omitempty"`
	AddedBy      string     `json:"added_by"`
	CreatedAt    time.Time  `json:"created_at"`
	NextCrawlAt  time.Time  `json:"next_crawl_at"`
	LastCrawlAt  *time.Time `json:"last_crawl_at,omitempty"`
	// LastError says why the last crawl saw nothing (its start page could
	// not be fetched); "" when it went well.
	LastError string `json:"last_error,omitempty"`
	Crawls    int    `json:"crawls"`
	Pages     int    `json:"pages"` // distinct pages seen on the site
	Found     int    `json:"found"` // pages that showed a protected person
}

// EveryMinutes is Every in minutes, as JSON gives it.
func (s *WatchedSite) EveryMinutes() int { return int(s.Every / time.Minute) }

// MarshalJSON adds every_minutes.
func (s WatchedSite) MarshalJSON() ([]byte, error) {
	type plain WatchedSite
	return json.Marshal(struct {
		plain
		EveryMinutes int `json:"every_minutes"`
	}{plain(s), s.EveryMinutes()})
}

// Bounds of a watched site's crawls.
const (
	DefaultSiteEvery    = 6 * time.Hour
	MinSiteEvery        = 5 * time.Minute
	DefaultSiteMaxPages = 200
	MaxSiteMaxPages     = 5000
)

// CheckWatchedSite validates what a watched site is added with and returns
// its normalized start URL and host; zero every and maxPages take the
// defaults.
func CheckWatchedSite(rawURL string, every time.Duration, maxPages int) (string, string, time.Duration, int, error) {
	bad := map[string]string{}
	u, err := NormalizeURL(rawURL)
	host := ""
	if err != nil {
		bad["url"] = "give the address of the site's page where a crawl starts (http:// or https://)"
	} else if p, perr := url.Parse(u); perr != nil || p.Hostname() == "" {
		bad["url"] = "give the address of the site's page where a crawl starts (http:// or https://)"
	} else {
		host = p.Hostname()
	}
	if every == 0 {
		every = DefaultSiteEvery
	}
	if every < MinSiteEvery {
		bad["every_minutes"] = "crawl at most every 5 minutes"
	}
	if maxPages == 0 {
		maxPages = DefaultSiteMaxPages
	}
	if maxPages < 1 || maxPages > MaxSiteMaxPages {
		bad["max_pages"] = "between 1 and 5000 pages per crawl"
	}
	if len(bad) > 0 {
		return "", "", 0, 0, &Error{Code: EINVALID, Message: "the site cannot be watched as given", Fields: bad}
	}
	return u, host, every, maxPages, nil
}

// SitePage is a page a crawl saw. Of it, undox keeps Key, a keyed hash of
// the URL (a URL can name a person), and the SHA-256 (hex) of its text.
type SitePage struct {
	URL        string
	Key        string
	TextSHA256 string
}

// Crawl is what one crawl of a watched site saw.
type Crawl struct {
	SiteID int64
	// Pages are the pages fetched, with their texts' hashes.
	Pages []SitePage
	// New and Changed count the pages no earlier crawl saw, and those
	// whose text changed since.
	New, Changed int
	// Found are the pages that showed a protected person or copied a page
	// confirmed for a case (a mirror); once the crawl is filed, those that
	// were filed (no items before, their text not filed before), which is
	// what is recorded.
	Found []string
	// Persons are, per page found, the protected persons it showed (not
	// recorded).
	Persons map[string][]string
	// Mirrors are the pages found because they copy a confirmed page
	// (and show nobody the watch knows): true for a copy of a page of a
	// minor's case (not recorded).
	Mirrors map[string]bool
	// Error says why the crawl saw nothing: its start page could not be
	// fetched.
	Error string
}
