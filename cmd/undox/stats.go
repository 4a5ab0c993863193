package main

import (
	"context"
	"flag"
	"io"
	"os"

	"github.com/undox/undox"
	"github.com/undox/undox/policy"
	"github.com/undox/undox/report"
)

// statsCmd is `undox stats providers`: the providers' scorecards over a
// period, ranked worst first; with --year, the yearly report on bad
// hosting (the police's and the regulator's letter).
func statsCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	const usage = "usage: undox stats providers [--year YYYY | --from YYYY-MM-DD --to YYYY-MM-DD] [--format csv|json] [-o FILE]"
	if len(args) == 0 || args[0] != "providers" {
		return usageError(usage)
	}
	var (
		q          undox.ProviderQuery
		format     string
		out        string
		policyFile string
		pol        *policy.Policy
	)
	return withApp(ctx, "stats providers", args[1:], env, stderr, func(fs *flag.FlagSet, _ *config) {
		fs.IntVar(&q.Year, "year", 0, "the calendar year to report on")
		fs.StringVar(&q.From, "from", "", "the first day of the period, YYYY-MM-DD (default: 89 days before --to)")
		fs.StringVar(&q.To, "to", "", "the last day of the period, included, YYYY-MM-DD (default: today)")
		fs.StringVar(&format, "format", "csv", "csv or json")
		fs.StringVar(&out, "o", "", "the file to write (default: standard output)")
		fs.StringVar(&policyFile, "policy", "", "takedown policy file, whose timezone days are counted in (default: the built-in policy) (UNDOX_POLICY)")
	}, func(*config) error {
		if format != "csv" && format != "json" {
			return usageError("--format is csv or json")
		}
		pol = policy.Default()
		if policyFile != "" {
			var err error
			if pol, err = policy.Load(policyFile); err != nil {
				return usageError("--policy: " + err.Error())
			}
		}
		return nil
	}, func(a *app) error {
		a.store.SetPolicy(pol)
		r, err := a.store.ProviderScores(ctx, cliActor, q)
		if err != nil {
			return err
		}
		w := stdout
		if out != "" {
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		if format == "json" {
			err = report.ProvidersJSON(w, r)
		} else {
			err = report.ProvidersCSV(w, r)
		}
		if err != nil {
			return err
		}
		if f, ok := w.(*os.File); ok && w != stdout {
			return f.Close()
		}
		return nil
	})
}
