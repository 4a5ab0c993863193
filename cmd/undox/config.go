package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/mail"
	"github.com/undox/undox/monitor"
	"github.com/undox/undox/web"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			return "dev-" + rev + dirty
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}

// config is every option; each command registers the ones it uses.
type config struct {
	data       string
	database   string
	logFormat  string
	logLevel   string
	secretKey  string // the key itself (UNDOX_SECRET_KEY), else the file
	auditKey   string // the audit signing key itself (UNDOX_AUDIT_SIGNING_KEY), else DATA/audit-signing.key
	watchKey   string // the watch index key itself (UNDOX_WATCH_KEY), else DATA/watch.key
	secretFile string

	addr             string
	publicURL        string
	workers          int
	reportsPerMinute float64
	reportBurst      int
	maxImportBytes   int64
	retention        string
	authorityCSAM    string
	authorityTerror  string
	checkpointEvery  time.Duration
	maintenanceEvery time.Duration
	shutdownGrace    time.Duration
	monitorEvery     time.Duration // how often due crawls of watched sites are looked for
	monitorDelay     time.Duration // the pause between two fetches of a crawl

	trustedProxies []netip.Prefix
	fetch          fetchOptions
	trace          traceOptions
	takedown       takedownOptions
	portal         portalOptions

	role, name, user string
}

// newFlags returns a flag set with the options every command shares.
func newFlags(name string, c *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("undox "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.data, "data", "./undox-data", "data folder: SQLite database, keys, blobs (UNDOX_DATA)")
	fs.StringVar(&c.database, "database", "", "database URL: empty for SQLite in the data folder, or postgres://… (UNDOX_DATABASE_URL)")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json (UNDOX_LOG_FORMAT)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error (UNDOX_LOG_LEVEL)")
	fs.StringVar(&c.secretFile, "secret-key-file", "", "file with the master key (default DATA/secret.key, created on first start; UNDOX_SECRET_KEY gives the key itself)")
	return fs
}

// jobFlags are the options that jobs need; serve and worker both take them.
func jobFlags(fs *flag.FlagSet, c *config) {
	fs.IntVar(&c.workers, "workers", 10, "jobs worked at once (UNDOX_WORKERS)")
	fs.StringVar(&c.publicURL, "public-url", "", "base URL of undox as reporters reach it, for status links (default http://ADDR)")
	fs.StringVar(&c.retention, "retention", undox.DefaultRetention, "how long cases are kept: category/status=duration,… (UNDOX_RETENTION)")
	fs.StringVar(&c.authorityCSAM, "authority-csam", "Offlimits / Meldpunt Kinderporno (EOKM)", "where child sexual abuse material is referred (UNDOX_AUTHORITY_CSAM)")
	fs.StringVar(&c.authorityTerror, "authority-terrorism", "Politie / Internet Referral Unit", "where terrorist content is referred (UNDOX_AUTHORITY_TERRORISM)")
	fs.DurationVar(&c.checkpointEvery, "checkpoint-every", time.Minute, "how often the audit log is integrated and signed (UNDOX_CHECKPOINT_EVERY)")
	fs.DurationVar(&c.maintenanceEvery, "maintenance-every", 10*time.Minute, "how often retention and expiry run (UNDOX_MAINTENANCE_EVERY)")
	fs.DurationVar(&c.shutdownGrace, "shutdown-grace", 20*time.Second, "how long running jobs and requests may finish on shutdown (UNDOX_SHUTDOWN_GRACE)")
	fs.DurationVar(&c.monitorEvery, "monitor-every", time.Minute, "how often watched sites are looked at for a crawl that is due (UNDOX_MONITOR_EVERY)")
	fs.DurationVar(&c.monitorDelay, "monitor-delay", monitor.DefaultDelay, "pause between two fetches of a crawl of a watched site (UNDOX_MONITOR_DELAY)")
	fetchFlags(fs, &c.fetch)
	traceFlags(fs, &c.trace)
	takedownFlags(fs, c)
}

// portalOptions are the victim portal's options.
type portalOptions struct {
	quickExitURL  string
	victimSupport string
	policeReport  string
	fourEyes      []string // the console's actions that need a second analyst
}

// Defaults of the victim portal's help links, for the Netherlands.
const (
	defaultVictimSupport = "https://www.slachtofferhulp.nl/"
	defaultPoliceReport  = "https://www.politie.nl/aangifte-of-melding-doen"
)

// portalFlags registers the victim portal's options (serve only).
func portalFlags(fs *flag.FlagSet, c *config) {
	o := &c.portal
	fs.StringVar(&o.quickExitURL, "quick-exit-url", web.DefaultQuickExitURL, "the neutral page the victim pages' quick exit leaves for (UNDOX_QUICK_EXIT_URL)")
	fs.StringVar(&o.victimSupport, "help-victim-support", defaultVictimSupport, "victim support the victim pages link to; empty for none (UNDOX_HELP_VICTIM_SUPPORT)")
	fs.StringVar(&o.policeReport, "help-police-report", defaultPoliceReport, "where to report to the police, linked from the victim pages; empty for none (UNDOX_HELP_POLICE_REPORT)")
	fs.Func("four-eyes", "the actions (in the console and over the API) that a second, different analyst must approve, comma-separated: confirm, reject, escalate, close, approve, refer; refer is four-eyes whenever reject or close is (UNDOX_FOUR_EYES)", func(v string) error {
		o.fourEyes = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
		return web.CheckFourEyes(o.fourEyes)
	})
}

// check refuses portal links that are not absolute http(s) URLs:
// they are put in the victim pages as they are.
func (o *portalOptions) check() error {
	for _, f := range []struct{ name, v string }{{"--quick-exit-url", o.quickExitURL},
		{"--help-victim-support", o.victimSupport}, {"--help-police-report", o.policeReport}} {
		if f.v == "" && f.name != "--quick-exit-url" {
			continue
		}
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return usageError(f.name + " must be an http(s) URL")
		}
	}
	return nil
}

// webPortal puts the victim portal's options into the web server's
// configuration: the quick exit, the help links and, when undox can send
// e-mail (--smtp, --mail-from), the receipts that bring reporters their
// status link.
func (c *config) webPortal(wc *web.Config) error {
	if err := c.portal.check(); err != nil {
		return err
	}
	wc.QuickExitURL = c.portal.quickExitURL
	wc.HelpLinks = web.HelpLinks{VictimSupport: c.portal.victimSupport, PoliceReport: c.portal.policeReport}
	wc.FourEyes = c.portal.fourEyes
	if o := &c.takedown; o.smtpURL != "" && o.mailFrom != "" && wc.Intake != nil {
		s, err := mail.NewSender(mail.Config{URL: o.smtpURL, From: o.mailFrom})
		if err != nil {
			return usageError("--smtp: " + err.Error())
		}
		wc.Intake.Receipts = &intake.ReceiptMail{Sender: s, From: o.mailFrom, Log: wc.Logger}
	}
	return nil
}

// parse parses args, then fills every flag not given on the command line
// from its UNDOX_* variable (--foo-bar from UNDOX_FOO_BAR).
func parse(fs *flag.FlagSet, args, env []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	return fromEnv(fs, env)
}

// parseOne parses args that hold one positional argument, before or after
// the flags, and returns it ("" if there is none).
func parseOne(fs *flag.FlagSet, args, env []string) (string, error) {
	var arg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		arg, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", usageError(err.Error())
	}
	switch {
	case arg == "" && fs.NArg() == 1:
		arg = fs.Arg(0)
	case fs.NArg() > 0:
		return "", usageError(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	return arg, fromEnv(fs, env)
}

// fromEnv fills every flag not given on the command line from its UNDOX_*
// variable.
func fromEnv(fs *flag.FlagSet, env []string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		name := "UNDOX_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := vars[name]
		// Some options are named by their URL in the environment.
		if f.Name == "database" || f.Name == "smtp" || f.Name == "imap" {
			if u, ok2 := vars[name+"_URL"]; ok2 {
				v, ok = u, true
			}
		}
		if ok && v != "" {
			if serr := f.Value.Set(v); serr != nil {
				err = usageError(fmt.Sprintf("%s: %v", name, serr))
			}
		}
	})
	return err
}

func (c *config) finish(env []string) error {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "UNDOX_SECRET_KEY="); ok {
			c.secretKey = v
		}
		if v, ok := strings.CutPrefix(kv, "UNDOX_AUDIT_SIGNING_KEY="); ok {
			c.auditKey = v
		}
		if v, ok := strings.CutPrefix(kv, "UNDOX_WATCH_KEY="); ok {
			c.watchKey = v
		}
	}
	abs, err := filepath.Abs(c.data)
	if err != nil {
		return err
	}
	c.data = abs
	if c.secretFile == "" {
		c.secretFile = filepath.Join(c.data, "secret.key")
	}
	return os.MkdirAll(c.data, 0o700)
}

func (c *config) logger(stderr io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, usageError("--log-level: " + err.Error())
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return nil, usageError("--log-format must be text or json")
}
