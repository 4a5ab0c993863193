package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"golang.org/x/mod/sumdb/note"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/capture"
	"github.com/undox/undox/capture/screenshot"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/job"
	"github.com/undox/undox/mirror"
	"github.com/undox/undox/monitor"
	"github.com/undox/undox/personal"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
	"github.com/undox/undox/takedown"
	"github.com/undox/undox/trace"
	"github.com/undox/undox/web"
)

// app is undox's parts, wired.
type app struct {
	cfg         *config
	verifierKey string // the audit log's public key, as text
	log         *slog.Logger
	db          *sqlstore.DB
	store       *sqlstore.Store
	audit       *audit.Log
	queue       *job.Queue
	blobs       *blob.Dir
	shooter     *screenshot.Shooter
	takedown    *takedown.Service
	watch       *personal.Watch // the protected persons, for captures and crawls
	printer     *mirror.Printer // the prints of captured texts (mirrors)
}

// open finishes the configuration (data folder, keys from the
// environment), makes the logger and opens undox: what every command that
// works on undox's data does after parsing its flags.
func (c *config) open(ctx context.Context, env []string, stderr io.Writer, withJobs bool) (*app, error) {
	if err := c.finish(env); err != nil {
		return nil, err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return nil, err
	}
	return open(ctx, c, log, withJobs)
}

// blobDir is the evidence store's folder in the data folder.
func (c *config) blobDir() string { return filepath.Join(c.data, "blobs") }

// open opens the database, applies migrations (undox's and River's) and
// wires the store, the audit log and, with jobs, the queue.
func open(ctx context.Context, c *config, log *slog.Logger, withJobs bool) (*app, error) {
	a := &app{cfg: c, log: log}
	var master []byte
	var err error
	if c.secretKey != "" {
		master, err = secret.ParseKey(c.secretKey)
		if err != nil {
			return nil, fmt.Errorf("UNDOX_SECRET_KEY: %w", err)
		}
	} else if master, err = secret.LoadOrCreateKeyFile(c.secretFile); err != nil {
		return nil, fmt.Errorf("master key %s: %w", c.secretFile, err)
	}
	keys, err := secret.New(master)
	if err != nil {
		return nil, err
	}
	if a.db, err = sqlstore.Open(ctx, c.database, c.data); err != nil {
		return nil, err
	}
	if err := a.migrate(ctx); err != nil {
		a.db.Close()
		return nil, err
	}
	a.store = sqlstore.NewStore(a.db, keys)
	var (
		signer   note.Signer
		verifier note.Verifier
	)
	if c.auditKey != "" {
		signer, verifier, a.verifierKey, err = audit.ParseSigningKey(c.auditKey)
		if err != nil {
			err = fmt.Errorf("UNDOX_AUDIT_SIGNING_KEY: %w", err)
		}
	} else if signer, verifier, err = audit.LoadOrCreateKeys(c.data, "undox-audit"); err == nil {
		a.verifierKey, err = audit.VerifierKeyText(c.data)
	}
	if err == nil {
		var latest *audit.Checkpoint
		if latest, err = a.store.LatestCheckpoint(ctx); err == nil {
			err = audit.CheckKey(ctx, latest, verifier)
		}
	}
	if err != nil {
		a.db.Close()
		return nil, err
	}
	a.audit = audit.New(a.store, signer, verifier)
	if withJobs {
		retention, err := undox.ParseRetention(c.retention)
		if err != nil {
			a.db.Close()
			return nil, usageError("--retention: " + err.Error())
		}
		pgURL := ""
		if sqlstore.IsPostgres(c.database) {
			pgURL = c.database
		}
		capt, err := a.captureService(c)
		if err != nil {
			a.db.Close()
			return nil, err
		}
		c.trace.fetch = &c.fetch
		tr, err := c.trace.service(capt.Fetcher(), a.store, log)
		if err != nil {
			if a.shooter != nil {
				a.shooter.Close()
			}
			a.db.Close()
			return nil, err
		}
		td, err := a.takedownService(c)
		if err != nil {
			if a.shooter != nil {
				a.shooter.Close()
			}
			a.db.Close()
			return nil, err
		}
		a.takedown = td
		td.SetCapture(capt) // re-checks fetch through capture
		// Crawls of watched sites fetch as captures do, match with the
		// same watch, and file what they find as undox's own reports.
		// The URLs of the pages they saw are kept as hashes under the
		// watch's key, which stays outside the database.
		mon, err := monitor.New(monitor.Config{Store: a.store, Fetcher: capt.Fetcher(), Matcher: a.watch, Key: a.watch.Key, Printer: a.printer,
			Intake: a.intake(c),
			Delay:  c.monitorDelay, Logger: log})
		if err != nil {
			if a.shooter != nil {
				a.shooter.Close()
			}
			a.db.Close()
			return nil, err
		}
		// Dossiers of the escalation ladder carry the case's evidence bundle.
		td.SetEvidence(a.audit, a.blobs, a.verifierKey)
		a.queue, err = job.New(ctx, a.store, a.audit, job.Config{
			Capture:          capt,
			Trace:            tracer{tr},
			Blobs:            a.blobs,
			Watch:            a.watch,
			Logger:           log,
			Workers:          c.workers,
			Retention:        retention,
			Authorities:      map[string]string{"csam": c.authorityCSAM, "terrorism": c.authorityTerror},
			CheckpointEvery:  c.checkpointEvery,
			MaintenanceEvery: c.maintenanceEvery,
			PostgresURL:      pgURL,
			Register: func(w *river.Workers) {
				takedown.Register(td)(w)
				monitor.Register(mon)(w)
			},
		})
		if err != nil {
			if a.shooter != nil {
				a.shooter.Close()
			}
			a.db.Close()
			return nil, err
		}
		a.store.SetQueue(a.queue)
		// The escalation ladder, the replies mailbox and the victims'
		// timeline, every --takedown-every: the store's clock decides
		// what is due.
		takedown.AddPeriodicJobs(a.queue, c.takedown.every)
		monitor.AddPeriodicJobs(a.queue, c.monitorEvery)
	}
	return a, nil
}

// captureService wires capture: the safe fetchers, the evidence store in
// the data folder and, where Chromium is installed, screenshots.
func (a *app) captureService(c *config) (*capture.Service, error) {
	page, images, err := c.fetch.fetchers()
	if err != nil {
		return nil, err
	}
	if a.blobs, err = blob.NewDir(c.blobDir()); err != nil {
		return nil, fmt.Errorf("evidence store: %w", err)
	}
	if a.shooter, err = c.fetch.shooter(page, a.log); err != nil {
		return nil, err
	}
	w, err := a.newWatch()
	if err != nil {
		return nil, err
	}
	a.watch = w
	cfg := capture.Config{Store: a.store, Blobs: a.blobs, Fetcher: page, ImageFetcher: images,
		MaxImages: c.fetch.maxImages, Vantage: vantage(&c.fetch), Logger: a.log,
		Scanner: &personal.Scanner{Matcher: w, Now: time.Now}}
	if a.printer, err = mirror.NewPrinter(a.store.MirrorKey()); err != nil {
		return nil, err
	}
	cfg.Printer = a.printer
	if cfg.MaxImages == 0 {
		cfg.MaxImages = -1
	}
	if a.shooter != nil {
		cfg.Shooter = a.shooter
	}
	return capture.NewService(cfg), nil
}

// tracer lets the trace jobs use trace's Service.
type tracer struct{ s *trace.Service }

func (t tracer) TraceURL(ctx context.Context, url string, noFetch bool, headers map[string][]string) (string, []byte, error) {
	ans, err := t.s.Trace(ctx, url, trace.Options{NoFetch: noFetch, Headers: http.Header(headers)})
	if err != nil {
		return "", nil, err // an invalid URL, or stopped: the job tries again
	}
	b, err := json.Marshal(ans)
	return ans.HostKey(), b, err
}

func (a *app) migrate(ctx context.Context) error {
	applied, err := a.db.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrating the database: %w", err)
	}
	for _, m := range applied {
		a.log.Info("applied migration", "name", m)
	}
	if err := job.Migrate(ctx, a.db); err != nil {
		return fmt.Errorf("migrating the job tables: %w", err)
	}
	return nil
}

func (a *app) close() {
	if a.store != nil {
		a.store.Close()
	}
	if a.queue != nil {
		a.queue.Close()
	}
	if a.shooter != nil {
		a.shooter.Close()
	}
	if a.blobs != nil {
		// Every blob was synced when its Put or Sync returned; this
		// closes the pack files kept open.
		a.blobs.Close()
	}
	a.db.Close()
}

// ready tells whether the database answers and is fully migrated.
func (a *app) ready(ctx context.Context) error {
	if err := a.db.SQL.PingContext(ctx); err != nil {
		return err
	}
	n, err := a.db.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d migrations pending", n)
	}
	ok, err := job.MigrationsCurrent(ctx, a.db)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("job migrations pending")
	}
	return nil
}

// jobCollector reports jobs by kind and state at each scrape.
type jobCollector struct {
	db   *sqlstore.DB
	desc *prometheus.Desc
}

func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := job.Counts(ctx, c.db)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, n, k[0], k[1])
	}
}

func serve(ctx context.Context, args, env []string, stdout, stderr io.Writer, withWeb bool) error {
	c := &config{}
	name := "worker"
	if withWeb {
		name = "serve"
	}
	fs := newFlags(name, c, stderr)
	if withWeb {
		fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on (UNDOX_ADDR)")
		fs.Float64Var(&c.reportsPerMinute, "reports-per-minute", 20, "public reports per minute per client address; 0 for no limit (UNDOX_REPORTS_PER_MINUTE)")
		fs.IntVar(&c.reportBurst, "report-burst", 10, "reports a client may send at once before the rate applies (UNDOX_REPORT_BURST)")
		fs.Int64Var(&c.maxImportBytes, "max-import-bytes", 256<<20, "largest bulk import in bytes (UNDOX_MAX_IMPORT_BYTES)")
		fs.Func("trusted-proxies", "reverse proxies in front of undox, as CIDR,…: their X-Forwarded-For names the client (UNDOX_TRUSTED_PROXIES)", func(v string) error {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s == "" {
					continue
				}
				p, err := netip.ParsePrefix(s)
				if err != nil {
					if a, aerr := netip.ParseAddr(s); aerr == nil {
						p = netip.PrefixFrom(a, a.BitLen())
					} else {
						return err
					}
				}
				c.trustedProxies = append(c.trustedProxies, p)
			}
			return nil
		})
		portalFlags(fs, c)
	}
	jobFlags(fs, c)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := c.portal.check(); withWeb && err != nil {
		return err
	}
	if !withWeb && !sqlstore.IsPostgres(c.database) {
		return usageError("undox worker needs PostgreSQL (--database postgres://…): on SQLite, undox serve runs the workers itself")
	}
	if !sqlstore.IsPostgres(c.database) {
		release, err := lockData(c.data)
		if err != nil {
			return err
		}
		defer release()
	}
	// Listen first: links in notices and receipts name the address
	// really listened on (with --addr …:0 too) unless --public-url says
	// otherwise.
	var ln net.Listener
	if withWeb {
		var err error
		if ln, err = net.Listen("tcp", c.addr); err != nil {
			return err
		}
		defer ln.Close()
		if c.publicURL == "" {
			c.publicURL = "http://" + ln.Addr().String()
		}
	}
	a, err := c.open(ctx, env, stderr, true)
	if err != nil {
		return err
	}
	defer a.close()
	log := a.log
	if c.takedown.imapURL == "" {
		log.Warn("no --imap: replies to notices by e-mail are not read, so notices offer only their response link")
	}
	if a.db.Dialect == sqlstore.SQLite {
		// A job left running by a killed process has no worker now.
		n, err := job.RescueOrphans(ctx, a.store)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Warn("jobs left running by a stopped process are run again", "jobs", n)
		}
	}

	var srv *http.Server
	errc := make(chan error, 1)
	if withWeb {
		url := "http://" + ln.Addr().String()
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
			&jobCollector{db: a.db, desc: prometheus.NewDesc("undox_jobs", "Jobs by kind and state.", []string{"kind", "state"}, nil)})
		wc := web.Config{
			Logger:           log,
			Store:            a.store,
			Intake:           a.intake(c),
			Jobs:             a.queue,
			Blobs:            a.blobs,
			Ready:            a.ready,
			Registry:         reg,
			ReportsPerMinute: c.reportsPerMinute,
			ReportBurst:      c.reportBurst,
			TrustedProxies:   c.trustedProxies,
			MaxImportBytes:   c.maxImportBytes,
			VerifierKey:      a.verifierKey,
			Version:          version(),
			Policy:           a.store.Policy(), // the --policy that takedownService loaded, for the admin pages
			Notices:          a.takedown,       // the case page shows a prepared notice's text
		}
		err = c.webPortal(&wc) // the quick exit, help links and receipt e-mails
		var h *web.Server
		if err == nil {
			h, err = web.New(wc)
		}
		if err != nil {
			ln.Close()
			return err
		}
		srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go func() { errc <- srv.Serve(ln) }()
		fmt.Fprintf(stdout, "undox %s listening on %s (database: %s, data: %s)\n", version(), url, a.db.Dialect, c.data)
	} else {
		fmt.Fprintf(stdout, "undox %s worker started (database: %s)\n", version(), a.db.Dialect)
	}
	if err := a.queue.Start(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	go a.housekeeping(ctx, log)
	go a.backfillPrints(ctx, log)
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			a.queue.Stop(c.shutdownGrace)
			return err
		}
	}
	log.Info("shutting down", "grace", c.shutdownGrace)
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), c.shutdownGrace)
		srv.Shutdown(sctx)
		cancel()
	}
	if err := a.queue.Stop(c.shutdownGrace); err != nil {
		log.Warn("stopping the job workers", "err", err)
	}
	log.Info("stopped")
	return nil
}

// intake is the intake of reports: the web's, and the monitoring's own.
func (a *app) intake(c *config) *intake.Service {
	return &intake.Service{Store: a.store, PublicURL: c.publicURL, AllowPrivate: c.fetch.allowPrivate}
}

// housekeeping keeps, every minute, this process's copies of what other
// processes (undox erase, a second serve, retention) change up to date,
// so that nothing of an erased case stays behind here: the evidence store
// lets go of the files of erased cases, which the file system then frees
// (blob.Dir.Tidy), and the watch index and its file drop the keyed hashes
// of erased or removed identifiers without waiting for a page to scan
// (personal.Watch.Refresh). It also makes the mirror suggestions that a
// capture and a confirmation at the same moment left unmade
// (Store.SweepMirrors).
func (a *app) housekeeping(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if a.blobs != nil {
			if n := a.blobs.Tidy(); n > 0 {
				log.Debug("evidence store: let go of cases erased by another process", "cases", n)
			}
		}
		if a.watch != nil {
			if err := a.watch.Refresh(ctx); err != nil && ctx.Err() == nil {
				log.Warn("refreshing the watch index", "err", err)
			}
		}
		if a.printer != nil {
			// Three minutes: each sweep overlaps the one before.
			if err := a.store.SweepMirrors(ctx, 3*time.Minute); err != nil && ctx.Err() == nil {
				log.Warn("sweeping the mirror suggestions", "err", err)
			}
		}
	}
}

// backfillPrints prints, once at start, the texts of captures kept before
// captures had prints (capture.BackfillPrints), so that copies of pages
// confirmed before then are recognised too. Two processes that do it at
// once print a capture once (Store.SavePrint).
func (a *app) backfillPrints(ctx context.Context, log *slog.Logger) {
	if a.printer == nil || a.blobs == nil {
		return
	}
	n, err := capture.BackfillPrints(ctx, a.store, a.blobs, a.printer, log)
	switch {
	case err != nil && ctx.Err() == nil:
		log.Warn("mirror prints of earlier captures", "printed", n, "err", err)
	case n > 0:
		log.Info("mirror prints of earlier captures", "printed", n)
	}
}

// withApp runs a command that needs undox's store but no job workers: it
// parses the command's flags (extra adds its own, check validates them
// before anything is opened), opens undox and hands it to fn.
func withApp(ctx context.Context, name string, args, env []string, stderr io.Writer,
	extra func(*flag.FlagSet, *config), check func(*config) error, fn func(*app) error) error {
	c := &config{}
	fs := newFlags(name, c, stderr)
	if extra != nil {
		extra(fs, c)
	}
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if check != nil {
		if err := check(c); err != nil {
			return err
		}
	}
	a, err := c.open(ctx, env, stderr, false)
	if err != nil {
		return err
	}
	defer a.close()
	return fn(a)
}

func migrate(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	return withApp(ctx, "migrate", args, env, stderr, nil, nil, func(a *app) error {
		fmt.Fprintf(stdout, "the %s database is up to date\n", a.db.Dialect)
		return nil
	})
}

// tokenCmd is `undox token create|list|revoke`: API tokens.
func tokenCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	const usage = "usage: undox token create --role ROLE --name NAME [--user EMAIL]\n" +
		"       undox token list [--json]\n" +
		"       undox token revoke ID"
	if len(args) == 0 {
		return usageError(usage)
	}
	switch args[0] {
	case "create":
		return tokenCreate(ctx, args[1:], env, stdout, stderr)
	case "list":
		var asJSON bool
		return withApp(ctx, "token list", args[1:], env, stderr, func(fs *flag.FlagSet, _ *config) {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
		}, nil, func(a *app) error {
			return tokenList(ctx, a, stdout, asJSON)
		})
	case "revoke":
		c := &config{}
		fs := newFlags("token revoke", c, stderr)
		arg, err := parseOne(fs, args[1:], env)
		if err != nil {
			return err
		}
		if arg == "" {
			return usageError(usage)
		}
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id < 1 {
			return usageError("ID must be a token's id (see undox token list)\n" + usage)
		}
		a, err := c.open(ctx, env, stderr, false)
		if err != nil {
			return err
		}
		defer a.close()
		t, err := a.store.RevokeToken(ctx, cliActor, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Revoked %s token %d (%q) as of %s: it no longer works.\n", t.Role, t.ID, t.Name, t.RevokedAt.UTC().Format(time.RFC3339))
		return nil
	}
	return usageError(usage)
}

// tokenList prints the API tokens, with the address of the staff account
// each was made for (if any); never a secret, which undox does not keep.
func tokenList(ctx context.Context, a *app, stdout io.Writer, asJSON bool) error {
	tokens, err := a.store.Tokens(ctx, cliActor)
	if err != nil {
		return err
	}
	users, err := a.store.Users(ctx, cliActor)
	if err != nil {
		return err
	}
	emails := map[int64]string{}
	for _, u := range users {
		emails[u.ID] = u.Email
	}
	type row struct {
		*undox.Token
		User string `json:"user,omitempty"`
	}
	rows := []row{}
	for _, t := range tokens {
		rows = append(rows, row{Token: t, User: emails[t.UserID]})
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"tokens": rows})
	}
	for _, r := range rows {
		user, revoked := r.User, "active"
		if user == "" {
			user = "-"
		}
		switch {
		case r.RevokedAt != nil:
			revoked = "revoked " + r.RevokedAt.UTC().Format(time.RFC3339)
		case r.AccountDisabled:
			revoked = "account disabled"
		}
		fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Role, user, r.CreatedAt.UTC().Format(time.RFC3339), revoked)
	}
	return nil
}

func tokenCreate(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	var role undox.Role
	return withApp(ctx, "token create", args, env, stderr, func(fs *flag.FlagSet, c *config) {
		fs.StringVar(&c.role, "role", "", "analyst, supervisor, admin, partner (bulk intake only) or auditor (read-only)")
		fs.StringVar(&c.name, "name", "", "who or what the token is for (a partner's name scopes its external references)")
		fs.StringVar(&c.user, "user", "", "the e-mail address of the staff account the token is for: for four-eyes steps the token is that person (a token of no account takes no four-eyes step)")
	}, func(c *config) error {
		var err error
		if role, err = undox.ParseRole(c.role); err != nil {
			return usageError(undox.ErrorMessage(err))
		}
		if c.name == "" {
			return usageError("--name is required")
		}
		return nil
	}, func(a *app) error {
		random, err := secret.Token(32)
		if err != nil {
			return err
		}
		token := "udx_" + random
		var userID int64
		if a.cfg.user != "" {
			u, err := a.store.UserByEmail(ctx, undox.System, a.cfg.user)
			if err != nil {
				return err
			}
			userID = u.ID
		}
		t, err := a.store.CreateToken(ctx, a.cfg.name, role, secret.Hash(token), userID)
		if err != nil {
			return err
		}
		if userID != 0 {
			fmt.Fprintf(stdout, "Created %s token %d for %q, of the staff account %s. Keep it secret: it is shown only now.\n", t.Role, t.ID, t.Name, a.cfg.user)
		} else {
			fmt.Fprintf(stdout, "Created %s token %d for %q. Keep it secret: it is shown only now.\n", t.Role, t.ID, t.Name)
		}
		fmt.Fprintln(stdout, token)
		return nil
	})
}

func auditVerify(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	return withApp(ctx, "audit verify", args, env, stderr, nil, nil, func(a *app) error {
		rep, err := a.audit.Verify(ctx)
		if err != nil {
			return err
		}
		if !rep.OK {
			fmt.Fprintf(stdout, "audit log: TAMPERED: %s\n", rep.Problem)
			return fmt.Errorf("the audit log does not verify: %s", rep.Problem)
		}
		fmt.Fprintf(stdout, "audit log: OK: %d entries verified against %d signed checkpoints; %d newer entries not yet covered by a checkpoint\n",
			rep.Checked, rep.Checkpoints, rep.Uncovered)
		return nil
	})
}

func auditCheckpoint(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	return withApp(ctx, "audit checkpoint", args, env, stderr, nil, nil, func(a *app) error {
		cp, err := a.audit.Integrate(ctx, 0)
		if err != nil {
			return err
		}
		if cp == nil {
			fmt.Fprintln(stdout, "the audit log is empty")
			return nil
		}
		fmt.Fprint(stdout, cp.Note)
		fmt.Fprintf(stdout, "verifier key: %s\n", a.verifierKey)
		return nil
	})
}
