package sqlstore_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
)

// Watched sites: added by staff (checked, audited), due at once, claimed by
// one crawl at a time, their pages recorded as URL and text hash; stopped
// and resumed; a crawl can be asked for now.
func TestWatchedSites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		_, err := e.store.AddWatchedSite(e.ctx, auditor, "https://doxsite.example/", 0, 0)
		requireCode(t, undox.EFORBIDDEN, err, "an auditor adds a site")
		_, err = e.store.AddWatchedSite(e.ctx, analyst, "not a url", time.Minute, 0)
		requireCode(t, undox.EINVALID, err, "a bad site")
		fields := undox.ErrorFields(err)
		require.Contains(t, fields, "url")
		require.Contains(t, fields, "every_minutes")

		w, err := e.store.AddWatchedSite(e.ctx, analyst, "HTTPS://DoxSite.example/victims/", 0, 0)
		require.NoError(t, err)
		require.Equal(t, "https://doxsite.example/victims/", w.URL)
		require.Equal(t, "doxsite.example", w.Host)
		require.Equal(t, undox.DefaultSiteEvery, w.Every)
		require.Equal(t, undox.DefaultSiteMaxPages, w.MaxPages)
		require.True(t, w.Enabled)
		require.Equal(t, analyst.Label(), w.AddedBy)
		require.Nil(t, w.LastCrawlAt)
		_, err = e.store.AddWatchedSite(e.ctx, analyst, "https://doxsite.example/victims/", 0, 0)
		requireCode(t, undox.ECONFLICT, err, "the same site twice")
		id := strconv.FormatInt(w.ID, 10)
		require.Equal(t, []string{"site.watch"}, e.actions(t, "site", id))

		due, err := e.store.DueSites(e.ctx, 10)
		require.NoError(t, err)
		require.Equal(t, []int64{w.ID}, due)
		site, known, err := e.store.ClaimCrawl(e.ctx, w.ID)
		require.NoError(t, err)
		require.NotNil(t, site)
		require.Empty(t, known)
		again, _, err := e.store.ClaimCrawl(e.ctx, w.ID)
		require.NoError(t, err)
		require.Nil(t, again, "a crawl is claimed once")
		due, err = e.store.DueSites(e.ctx, 10)
		require.NoError(t, err)
		require.Empty(t, due)

		require.NoError(t, e.store.SaveCrawl(e.ctx, undox.Crawl{SiteID: w.ID, Pages: []undox.SitePage{
			{URL: "https://doxsite.example/victims/", Key: "k0", TextSHA256: "aa"},
			{URL: "https://doxsite.example/victims/1", Key: "k1", TextSHA256: "bb"},
		}, Found: []string{"https://doxsite.example/victims/1"}}))
		texts, err := e.store.FoundTexts(e.ctx, w.ID)
		require.NoError(t, err)
		require.Equal(t, map[string]bool{"bb": true}, texts, "the text of the page filed")
		w, err = e.store.WatchedSite(e.ctx, auditor, w.ID)
		require.NoError(t, err)
		require.Equal(t, 1, w.Crawls)
		require.Equal(t, 2, w.Pages)
		require.Equal(t, 1, w.Found)
		require.NotNil(t, w.LastCrawlAt)
		require.Equal(t, e.clock.Now().Add(undox.DefaultSiteEvery), w.NextCrawlAt)

		// Six hours later the next crawl is due, and knows the pages.
		e.clock.Advance(undox.DefaultSiteEvery)
		site, known, err = e.store.ClaimCrawl(e.ctx, w.ID)
		require.NoError(t, err)
		require.NotNil(t, site)
		require.Equal(t, map[string]string{"k0": "aa", "k1": "bb"}, known)
		require.Zero(t, e.count(t, `SELECT count(*) FROM site_pages WHERE page_key LIKE '%victims%' OR text_sha256 LIKE '%victims%'`),
			"the pages' URLs are not kept")
		require.NoError(t, e.store.SaveCrawl(e.ctx, undox.Crawl{SiteID: w.ID, Error: "connection refused"}))
		w, err = e.store.WatchedSite(e.ctx, auditor, w.ID)
		require.NoError(t, err)
		require.Equal(t, 2, w.Crawls)
		require.Equal(t, "connection refused", w.LastError)
		require.Equal(t, 2, w.Pages, "what earlier crawls saw is kept")

		// Pages unseen for a month and three periods are forgotten.
		e.clock.Advance(31 * 24 * time.Hour)
		require.NoError(t, e.store.SaveCrawl(e.ctx, undox.Crawl{SiteID: w.ID, Pages: []undox.SitePage{{URL: "u2", Key: "k2", TextSHA256: "cc"}}}))
		w, err = e.store.WatchedSite(e.ctx, auditor, w.ID)
		require.NoError(t, err)
		require.Equal(t, 1, w.Pages, "k0 and k1 forgotten, k2 seen now")

		// Crawl now; stop; resume.
		w, err = e.store.CrawlSiteSoon(e.ctx, analyst, w.ID)
		require.NoError(t, err)
		require.Equal(t, e.clock.Now(), w.NextCrawlAt)
		w, err = e.store.SetSiteWatched(e.ctx, analyst, w.ID, false)
		require.NoError(t, err)
		require.False(t, w.Enabled)
		due, err = e.store.DueSites(e.ctx, 10)
		require.NoError(t, err)
		require.Empty(t, due, "a site no longer watched is not crawled")
		_, err = e.store.CrawlSiteSoon(e.ctx, analyst, w.ID)
		requireCode(t, undox.ETRANSITION, err, "crawl a site no longer watched")
		_, err = e.store.CrawlSiteSoon(e.ctx, analyst, 9999)
		requireCode(t, undox.ENOTFOUND, err, "crawl no site")
		e.clock.Advance(time.Minute)
		w, err = e.store.SetSiteWatched(e.ctx, analyst, w.ID, true)
		require.NoError(t, err)
		require.Equal(t, e.clock.Now(), w.NextCrawlAt, "a resumed site is due at once")
		require.Equal(t, []string{"site.watch", "site.crawl", "site.crawl", "site.crawl", "site.crawl.request", "site.unwatch", "site.watch.resume"},
			e.actions(t, "site", id))

		// The monitoring case.
		r, _ := e.create(t, report{urls: []string{"https://doxsite.example/victims/1"}})
		require.NoError(t, e.store.SetSiteCase(e.ctx, w.ID, r.CaseRef, false))
		minorCase, _ := e.create(t, report{urls: []string{"https://doxsite.example/victims/2"}, minor: true})
		require.NoError(t, e.store.SetSiteCase(e.ctx, w.ID, minorCase.CaseRef, true))
		w, err = e.store.WatchedSite(e.ctx, auditor, w.ID)
		require.NoError(t, err)
		require.Equal(t, r.CaseRef, w.CaseRef)
		require.Equal(t, minorCase.CaseRef, w.MinorCaseRef)
		minor, err := e.store.ProtectsMinor(e.ctx, []string{r.CaseRef + "/1", "UDX-0000-0000-0000/1"})
		require.NoError(t, err)
		require.False(t, minor)
		minor, err = e.store.ProtectsMinor(e.ctx, []string{r.CaseRef + "/1", minorCase.CaseRef + "/2"})
		require.NoError(t, err)
		require.True(t, minor)
		all, err := e.store.WatchedSites(e.ctx, auditor)
		require.NoError(t, err)
		require.Len(t, all, 1)
		require.Equal(t, w, all[0])
		knownItems, err := e.store.KnownItems(e.ctx, []string{"https://doxsite.example/victims/1", "https://doxsite.example/victims/3"})
		require.NoError(t, err)
		require.Equal(t, map[string]bool{"https://doxsite.example/victims/1": true}, knownItems)
	})
}
