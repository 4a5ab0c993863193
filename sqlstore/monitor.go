package sqlstore

// Monitoring of known doxing sites (S12): the sites, when their crawls
// are due, and what the crawls saw (see undox.WatchedSite).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
)

const siteColumns = `s.id, s.url, s.host, s.every_seconds, s.max_pages, s.enabled, COALESCE(c.ref, ''), COALESCE(m.ref, ''), s.added_by,
    s.created_at, s.next_crawl_at, s.last_crawl_at, s.last_error, s.crawls, s.found,
    (SELECT count(*) FROM site_pages p WHERE p.site_id = s.id)`

const siteFrom = ` FROM watched_sites s LEFT JOIN cases c ON c.id = s.case_id LEFT JOIN cases m ON m.id = s.minor_case_id`

func scanSite(rows interface{ Scan(...any) error }) (*undox.WatchedSite, error) {
	var (
		w                    undox.WatchedSite
		every, created, next int64
		last                 sql.NullInt64
		enabled              int64
	)
	if err := rows.Scan(&w.ID, &w.URL, &w.Host, &every, &w.MaxPages, &enabled, &w.CaseRef, &w.MinorCaseRef, &w.AddedBy,
		&created, &next, &last, &w.LastError, &w.Crawls, &w.Found, &w.Pages); err != nil {
		return nil, err
	}
	w.Every = time.Duration(every) * time.Second
	w.Enabled = enabled != 0
	w.CreatedAt, w.NextCrawlAt = fromMicros(created), fromMicros(next)
	if last.Valid {
		t := fromMicros(last.Int64)
		w.LastCrawlAt = &t
	}
	return &w, nil
}

// AddWatchedSite adds a site to crawl, every every (0: the default) for up
// to maxPages pages (0: the default); its first crawl is due at once.
// Audited.
func (s *Store) AddWatchedSite(ctx context.Context, actor undox.Actor, rawURL string, every time.Duration, maxPages int) (*undox.WatchedSite, error) {
	if err := actor.Require(undox.PermActCases); err != nil {
		return nil, err
	}
	u, host, every, maxPages, err := undox.CheckWatchedSite(rawURL, every, maxPages)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		now := micros(s.now())
		err := tx.QueryRowContext(ctx, `INSERT INTO watched_sites (url, host, every_seconds, max_pages, added_by, created_at, next_crawl_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, u, host, int64(every/time.Second), maxPages, actor.Label(), now, now).Scan(&id)
		if isUnique(err) {
			return undox.Errorf(undox.ECONFLICT, "this site is watched already")
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "site.watch", "site", strconv.FormatInt(id, 10),
			fmt.Sprintf("host=%s every=%s max_pages=%d", host, every, maxPages))
	})
	if err != nil {
		return nil, err
	}
	return s.watchedSite(ctx, s.db.SQL, id)
}

// WatchedSites lists the watched sites, those still watched first.
func (s *Store) WatchedSites(ctx context.Context, actor undox.Actor) ([]*undox.WatchedSite, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT `+siteColumns+siteFrom+` ORDER BY s.enabled DESC, s.host, s.id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (*undox.WatchedSite, error) { return scanSite(r) })
}

// WatchedSite returns one watched site.
func (s *Store) WatchedSite(ctx context.Context, actor undox.Actor, id int64) (*undox.WatchedSite, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	return s.watchedSite(ctx, s.db.SQL, id)
}

func (s *Store) watchedSite(ctx context.Context, q querier, id int64) (*undox.WatchedSite, error) {
	w, err := scanSite(q.QueryRowContext(ctx, `SELECT `+siteColumns+siteFrom+` WHERE s.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("watched site")
	}
	return w, err
}

// SetSiteWatched stops (or resumes) the crawls of a site; what they saw is
// kept. A resumed site is due at once. Audited.
func (s *Store) SetSiteWatched(ctx context.Context, actor undox.Actor, id int64, watched bool) (*undox.WatchedSite, error) {
	if err := actor.Require(undox.PermActCases); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		on, action := 0, "site.unwatch"
		if watched {
			on, action = 1, "site.watch.resume"
		}
		// A site watched again is due at once.
		res, err := tx.ExecContext(ctx, `UPDATE watched_sites SET enabled = $1,
            next_crawl_at = CASE WHEN enabled = 0 THEN $2 ELSE next_crawl_at END WHERE id = $3`,
			on, micros(s.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return notFound("watched site")
		}
		return s.audit(ctx, tx, actor, action, "site", strconv.FormatInt(id, 10), "")
	})
	if err != nil {
		return nil, err
	}
	return s.watchedSite(ctx, s.db.SQL, id)
}

// CrawlSiteSoon makes a watched site's next crawl due now (the "crawl now"
// button). Audited.
func (s *Store) CrawlSiteSoon(ctx context.Context, actor undox.Actor, id int64) (*undox.WatchedSite, error) {
	if err := actor.Require(undox.PermActCases); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE watched_sites SET next_crawl_at = $1 WHERE id = $2 AND enabled = 1`, micros(s.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			if _, err := s.watchedSite(ctx, tx, id); err != nil {
				return err
			}
			return undox.Errorf(undox.ETRANSITION, "this site is not watched; resume watching it first")
		}
		return s.audit(ctx, tx, actor, "site.crawl.request", "site", strconv.FormatInt(id, 10), "")
	})
	if err != nil {
		return nil, err
	}
	return s.watchedSite(ctx, s.db.SQL, id)
}

// DueSites returns the ids of the watched sites whose crawl is due, the
// longest due first.
func (s *Store) DueSites(ctx context.Context, limit int) ([]int64, error) {
	return queryIDs(ctx, s.db.SQL, `SELECT id FROM watched_sites WHERE enabled = 1 AND next_crawl_at <= $1
        ORDER BY next_crawl_at, id LIMIT $2`, micros(s.now()), limit)
}

// ClaimCrawl claims a due crawl of a site: its next crawl moves a period
// ahead, so that no other worker starts the same one. It returns the site
// and the pages known on it (page key → SHA-256 of the text), or nil when the
// crawl is not due (another worker claimed it, or the site is no longer
// watched).
func (s *Store) ClaimCrawl(ctx context.Context, id int64) (*undox.WatchedSite, map[string]string, error) {
	var (
		site  *undox.WatchedSite
		known map[string]string
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE watched_sites SET next_crawl_at = $1 + every_seconds * 1000000
            WHERE id = $2 AND enabled = 1 AND next_crawl_at <= $1`, micros(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		if site, err = s.watchedSite(ctx, tx, id); err != nil {
			return err
		}
		known = map[string]string{}
		return run(ctx, tx, `SELECT page_key, text_sha256 FROM site_pages WHERE site_id = $1`, []any{id}, func(rows *sql.Rows) error {
			var u, sum string
			if err := rows.Scan(&u, &sum); err != nil {
				return err
			}
			known[u] = sum
			return nil
		})
	})
	return site, known, err
}

// SaveCrawl records what a crawl saw: every page's key and text hash, when
// it was seen, and which showed a protected person. Audited, as undox's.
func (s *Store) SaveCrawl(ctx context.Context, c undox.Crawl) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := micros(s.now())
		found := map[string]bool{}
		for _, u := range c.Found {
			found[u] = true
		}
		for _, p := range c.Pages {
			var at any
			if found[p.URL] {
				at = now
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO site_pages (site_id, page_key, text_sha256, first_seen, last_seen, found_at)
                VALUES ($1, $2, $3, $4, $4, $5)
                ON CONFLICT (site_id, page_key) DO UPDATE SET text_sha256 = excluded.text_sha256, last_seen = excluded.last_seen,
                    found_at = COALESCE(excluded.found_at, site_pages.found_at)`, c.SiteID, p.Key, p.TextSHA256, now, at); err != nil {
				return err
			}
		}
		// Pages no crawl has seen for a month, and for three periods, are
		// forgotten: a site that makes up URLs does not grow the table
		// without end.
		if _, err := tx.ExecContext(ctx, `DELETE FROM site_pages WHERE site_id = $1 AND last_seen < $2
            AND last_seen < $3 - (SELECT 3 * every_seconds * 1000000 FROM watched_sites WHERE id = $1)`,
			c.SiteID, now-micros30Days, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE watched_sites SET last_crawl_at = $1, last_error = $2, crawls = crawls + 1,
            found = found + $3 WHERE id = $4`, now, c.Error, len(c.Found), c.SiteID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return notFound("watched site")
		}
		detail := fmt.Sprintf("pages=%d new=%d changed=%d found=%d", len(c.Pages), c.New, c.Changed, len(c.Found))
		if c.Error != "" {
			detail += " error=" + strconv.Quote(c.Error)
		}
		return s.audit(ctx, tx, undox.System, "site.crawl", "site", strconv.FormatInt(c.SiteID, 10), detail)
	})
}

// micros30Days is thirty days in microseconds.
const micros30Days = int64(30 * 24 * time.Hour / time.Microsecond)

// SetSiteCase makes ref the monitoring case of a site (minor: its minors'
// monitoring case): the case that holds what its crawls find.
func (s *Store) SetSiteCase(ctx context.Context, siteID int64, ref string, minor bool) error {
	column := "case_id"
	if minor {
		column = "minor_case_id"
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE watched_sites SET `+column+` = (SELECT id FROM cases WHERE ref = $1) WHERE id = $2`, ref, siteID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return notFound("watched site")
		}
		return s.audit(ctx, tx, undox.System, "site.case", "site", strconv.FormatInt(siteID, 10), fmt.Sprintf("case=%s minor=%t", ref, minor))
	})
}

// ProtectsMinor tells whether one of the protected persons ("REF/N", as
// the watch names them) is protected by a minor's case.
func (s *Store) ProtectsMinor(ctx context.Context, persons []string) (bool, error) {
	for _, p := range persons {
		ref, _, _ := strings.Cut(p, "/")
		var minor bool
		err := s.db.SQL.QueryRowContext(ctx, `SELECT is_minor FROM cases WHERE ref = $1`, ref).Scan(&minor)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return false, err
		}
		if minor {
			return true, nil
		}
	}
	return false, nil
}

// FoundTexts returns the SHA-256s of the texts of the pages that a site's
// crawls filed (as far as the pages are remembered).
func (s *Store) FoundTexts(ctx context.Context, siteID int64) (map[string]bool, error) {
	out := map[string]bool{}
	err := run(ctx, s.db.SQL, `SELECT DISTINCT text_sha256 FROM site_pages WHERE site_id = $1 AND found_at IS NOT NULL`, []any{siteID},
		func(rows *sql.Rows) error {
			var h string
			if err := rows.Scan(&h); err != nil {
				return err
			}
			out[h] = true
			return nil
		})
	return out, err
}

// KnownItems returns which of the URLs (normalized) are items already.
func (s *Store) KnownItems(ctx context.Context, urls []string) (map[string]bool, error) {
	out := map[string]bool{}
	values := make([]any, len(urls))
	for i, u := range urls {
		values[i] = u
	}
	err := s.selectIn(ctx, s.db.SQL, `SELECT url FROM items WHERE url IN `, values, func(rows *sql.Rows) error {
		var u string
		if err := rows.Scan(&u); err != nil {
			return err
		}
		out[u] = true
		return nil
	})
	return out, err
}
