package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/policy"
)

// policyCmd is `undox policy default|check`: the takedown policy file.
// `default` prints the shipped policy, with its comments, to start a file
// from; `check FILE` validates one and summarises the rules it gives.
func policyCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	const usage = "usage: undox policy default > policy.toml\n" +
		"       undox policy check FILE"
	if len(args) == 0 {
		return usageError(usage)
	}
	switch args[0] {
	case "default":
		fs := flag.NewFlagSet("undox policy default", flag.ContinueOnError)
		fs.SetOutput(stderr)
		if err := parse(fs, args[1:], nil); err != nil {
			return err
		}
		_, err := stdout.Write(policy.DefaultFile())
		return err
	case "check":
		var quiet bool
		fs := flag.NewFlagSet("undox policy check", flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.BoolVar(&quiet, "quiet", false, "print nothing when the file is valid")
		path, err := parseOne(fs, args[1:], nil)
		if err != nil {
			return err
		}
		if path == "" {
			return usageError(usage)
		}
		p, err := policy.Load(path)
		if err != nil {
			problems := policy.Errors(err)
			if len(problems) == 0 {
				return err // the file could not be read
			}
			for _, e := range problems {
				if e.Line > 0 {
					fmt.Fprintf(stderr, "%s:%d: ", path, e.Line)
				} else {
					fmt.Fprintf(stderr, "%s: ", path)
				}
				if e.Key != "" {
					fmt.Fprintf(stderr, "%s: ", e.Key)
				}
				fmt.Fprintln(stderr, e.Message)
			}
			n := "1 problem"
			if len(problems) > 1 {
				n = fmt.Sprintf("%d problems", len(problems))
			}
			return fmt.Errorf("%s is not a valid policy: %s", path, n)
		}
		// The command line may read the clock: the policy package does not.
		if year := time.Now().In(p.Location()).Year(); !p.CoversYear(year) {
			fmt.Fprintf(stderr, "warning: %s lists no holidays for %d: deadlines that pause on holidays will not pause this year\n", path, year)
		}
		if !quiet {
			printPolicy(stdout, path, p)
		}
		return nil
	}
	return usageError(usage)
}

// printPolicy summarises a valid policy: per category, for adults and
// minors, the deadline, the first re-checks and the ladder.
func printPolicy(w io.Writer, path string, p *policy.Policy) {
	fmt.Fprintf(w, "%s: valid (sha256 %s)\n", path, p.Digest())
	hs := p.Holidays()
	span := "none"
	if len(hs) > 0 {
		span = fmt.Sprintf("%d, %s to %s", len(hs), hs[0].Date, hs[len(hs)-1].Date)
	}
	fmt.Fprintf(w, "timezone %s; weekend: %s; holidays: %s\n", p.Location(), orNone(p.Weekend()), span)
	fmt.Fprintf(w, "re-uploads notified automatically: %v\n\n", p.AutoNotifyReuploads())

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CATEGORY\tMINOR\tDEADLINE\tPAUSE\tCHECKS\tWATCH\tLADDER")
	codes := []string{"*"}
	for _, c := range undox.Categories() {
		codes = append(codes, c.Code)
	}
	for _, code := range codes {
		for _, minor := range []bool{false, true} {
			r := p.For(code, minor)
			m := "no"
			if minor {
				m = "yes"
			}
			if r.ReferralOnly {
				fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\treferral only (handled as %s): no notices\n", code, m, r.Category)
				continue
			}
			var ladder []string
			for _, st := range r.Ladder() {
				s := st.Name
				switch {
				case st.AtDeadline:
					s += "@deadline"
				case st.After > 0:
					s += "+" + fmtDuration(st.After)
				}
				if len(st.PauseOn) > 0 && !st.AtDeadline {
					s += "*"
				}
				if st.Automatic {
					s += "(auto)"
				}
				if st.FourEyes {
					s += "(4 eyes)"
				}
				ladder = append(ladder, s)
			}
			fmt.Fprintf(tw, "%s\t%s\t%dh\t%s\t%s\t%s\t%s\n", code, m, r.DeadlineHours, orNone(r.DeadlinePauseOn),
				phases(r.AfterNotice), phases(r.AfterRemoval), strings.Join(ladder, " → "))
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "\n+delay: due that long after the previous action; *: the delay pauses on its pause_on days")
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

func phases(ps []policy.Phase) string {
	if len(ps) == 0 {
		return "none"
	}
	var out []string
	for _, p := range ps {
		s := "every " + fmtDuration(p.Every)
		if p.For > 0 {
			s += " for " + fmtDuration(p.For)
		}
		out = append(out, s)
	}
	return strings.Join(out, ", then ")
}

// fmtDuration writes whole days as days: "30d", "6h", "30m".
func fmtDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
