package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/undox/undox"
)

// siteCmd is `undox site add|list|stop|resume|crawl`: the known doxing
// sites that undox crawls for protected persons.
func siteCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	const usage = "usage: undox site add URL [--every 6h] [--max-pages 200]\n" +
		"       undox site list [--json]\n" +
		"       undox site stop|resume|crawl ID"
	if len(args) == 0 {
		return usageError(usage)
	}
	show := func(w *undox.WatchedSite) {
		state := "watched"
		if !w.Enabled {
			state = "stopped"
		}
		last := "never crawled"
		if w.LastCrawlAt != nil {
			last = "last crawl " + w.LastCrawlAt.Format(time.RFC3339)
		}
		cases := cmp.Or(w.CaseRef, "no case yet")
		if w.MinorCaseRef != "" {
			cases += ", minors' " + w.MinorCaseRef
		}
		fmt.Fprintf(stdout, "%d\t%s\t%s\tevery %s, %d pages\t%s\t%d pages seen, %d found\t%s", w.ID, w.URL, state, w.Every, w.MaxPages,
			last, w.Pages, w.Found, cases)
		if w.LastError != "" {
			fmt.Fprintf(stdout, "\terror: %s", w.LastError)
		}
		fmt.Fprintln(stdout)
	}
	switch args[0] {
	case "add":
		if len(args) < 2 {
			return usageError(usage)
		}
		var every time.Duration
		var maxPages int
		return withApp(ctx, "site add", args[2:], env, stderr, func(fs *flag.FlagSet, _ *config) {
			fs.DurationVar(&every, "every", undox.DefaultSiteEvery, "how often the site is crawled (at least 5m)")
			fs.IntVar(&maxPages, "max-pages", undox.DefaultSiteMaxPages, "pages per crawl (at most 5000)")
		}, nil, func(a *app) error {
			w, err := a.store.AddWatchedSite(ctx, cliActor, args[1], every, maxPages)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "watching site %d: %s, every %s, up to %d pages; the first crawl is due now (undox serve does it)\n",
				w.ID, w.URL, w.Every, w.MaxPages)
			return nil
		})
	case "list":
		var asJSON bool
		return withApp(ctx, "site list", args[1:], env, stderr, func(fs *flag.FlagSet, _ *config) {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
		}, nil, func(a *app) error {
			sites, err := a.store.WatchedSites(ctx, cliActor)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"sites": sites})
			}
			for _, w := range sites {
				show(w)
			}
			return nil
		})
	case "stop", "resume", "crawl":
		if len(args) < 2 {
			return usageError(usage)
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return usageError(args[0] + ": the site's id is a number")
		}
		return withApp(ctx, "site "+args[0], args[2:], env, stderr, nil, nil, func(a *app) error {
			var w *undox.WatchedSite
			var err error
			switch args[0] {
			case "stop":
				w, err = a.store.SetSiteWatched(ctx, cliActor, id, false)
			case "resume":
				w, err = a.store.SetSiteWatched(ctx, cliActor, id, true)
			default:
				w, err = a.store.CrawlSiteSoon(ctx, cliActor, id)
			}
			if err != nil {
				return err
			}
			show(w)
			return nil
		})
	}
	return usageError(usage)
}
