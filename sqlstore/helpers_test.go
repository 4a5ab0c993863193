package sqlstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/job"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
)

// Actors used across the suite; their audit labels are "token:<id>:<name>".
var (
	// Staff tokens, each made for a staff account of its own (Owner):
	// they take four-eyes steps as that person.
	analyst    = undox.Actor{Kind: "token", TokenID: 2, Owner: 2, Name: "ana", Role: undox.RoleAnalyst}
	supervisor = undox.Actor{Kind: "token", TokenID: 3, Owner: 3, Name: "sue", Role: undox.RoleSupervisor}
	auditor    = undox.Actor{Kind: "token", TokenID: 1, Name: "a", Role: undox.RoleAuditor}
	partnerA   = undox.Actor{Kind: "token", TokenID: 10, Name: "partner-a", Role: undox.RolePartner}
	partnerB   = undox.Actor{Kind: "token", TokenID: 11, Name: "partner-b", Role: undox.RolePartner}
)

// env is one fresh store over one backend, with its job queue set (not
// started: jobs are only inserted).
type env struct {
	ctx     context.Context
	backend dbtest.Backend
	dataDir string
	db      *sqlstore.DB
	pgURL   string
	store   *sqlstore.Store
	queue   *job.Queue
	log     *audit.Log
	clock   *dbtest.Clock
}

func setup(t *testing.T, b dbtest.Backend) *env {
	t.Helper()
	s := dbtest.NewStack(t, b)
	clk := dbtest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	s.Store.SetClock(clk.Now)
	q := s.Queue(t, job.Config{})
	t.Cleanup(q.Close)
	return &env{ctx: context.Background(), backend: b, dataDir: s.Dir, db: s.DB, pgURL: s.PostgresURL, store: s.Store, queue: q, log: s.Log, clock: clk}
}

func (e *env) isPostgres() bool { return e.db.Dialect == sqlstore.Postgres }

// count runs a count(*) query.
func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, query, args...).Scan(&n))
	return n
}

func (e *env) countCases(t *testing.T) int { return e.count(t, `SELECT count(*) FROM cases`) }

// countTriageJobs counts the cases queued for triage (reports stored in
// one transaction share one job).
func (e *env) countTriageJobs(t *testing.T) int {
	return len(e.triageCaseIDs(t))
}

// triageCaseIDs returns the cases of every queued triage job.
func (e *env) triageCaseIDs(t *testing.T) []int64 {
	t.Helper()
	q := `SELECT json(args) FROM river_job WHERE kind = 'triage' ORDER BY id`
	if e.isPostgres() {
		q = `SELECT args::text FROM river_job WHERE kind = 'triage' ORDER BY id`
	}
	rows, err := e.db.SQL.QueryContext(e.ctx, q)
	require.NoError(t, err)
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var raw string
		require.NoError(t, rows.Scan(&raw))
		var j undox.TriageJob
		require.NoError(t, json.Unmarshal([]byte(raw), &j), raw)
		out = append(out, j.CaseIDs...)
	}
	require.NoError(t, rows.Err())
	return out
}

func randHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// report describes a case to create; zero fields get sensible values.
type report struct {
	urls        []string
	category    string
	minor       bool
	email       string
	description string
	partner     string
	externalRef string
	idemKey     string
	idemHash    string
	ref         string
}

// built is a NewCase together with the status token it was made with.
type built struct {
	nc    undox.NewCase
	token string
}

func newCase(t testing.TB, r report) built {
	t.Helper()
	if r.ref == "" {
		r.ref = "UX-" + randHex(t, 5)
	}
	token, err := secret.Token(32)
	require.NoError(t, err)
	handling := undox.EffectiveCategory(r.category, r.minor)
	nc := undox.NewCase{
		Ref: r.ref,
		Report: undox.Report{
			URLs:          r.urls,
			Category:      r.category,
			Description:   r.description,
			IsMinor:       r.minor,
			ReporterEmail: r.email,
			Language:      "nl",
			Consent:       r.email != "",
			ExternalRef:   r.externalRef,
		},
		Handling:        handling,
		Priority:        undox.Priority(handling, r.minor),
		StatusTokenHash: secret.Hash(token),
		Source:          "public",
		Partner:         r.partner,
		Receipt:         undox.Receipt{StatusToken: token, StatusURL: "https://undox.test/status/" + token},
	}
	if r.partner != "" {
		nc.Source = "import:" + r.partner
	}
	if r.idemKey != "" {
		nc.Idempotency = &undox.Idempotency{Key: r.idemKey, RequestHash: secret.Hash(r.idemHash)}
	}
	return built{nc: nc, token: token}
}

// create makes a case and fails the test on an error.
func (e *env) create(t *testing.T, r report) (undox.Receipt, built) {
	t.Helper()
	b := newCase(t, r)
	actor := undox.Public
	if r.partner == partnerA.Name {
		actor = partnerA
	} else if r.partner == partnerB.Name {
		actor = partnerB
	}
	rec, err := e.store.CreateCase(e.ctx, actor, b.nc)
	require.NoError(t, err)
	return rec, b
}

// get reads a case as the analyst.
func (e *env) get(t *testing.T, ref string) *undox.Case {
	t.Helper()
	c, err := e.store.Case(e.ctx, analyst, ref)
	require.NoError(t, err)
	return c
}

// itemByURL finds the item of a URL among a case's items.
func itemByURL(t *testing.T, c *undox.Case, u string) *undox.Item {
	t.Helper()
	for _, it := range c.Items {
		if it.URL == u {
			return it
		}
	}
	t.Fatalf("case %s has no item %s", c.Ref, u)
	return nil
}

// requireCode asserts that err carries the undox error code.
func requireCode(t *testing.T, code string, err error, what string) {
	t.Helper()
	require.Error(t, err, "%s: want error %q", what, code)
	require.Equal(t, code, undox.ErrorCode(err), "%s: got error %v", what, err)
}

// actions returns the audit actions recorded for an object, oldest first.
func (e *env) actions(t *testing.T, objType, objID string) []string {
	t.Helper()
	return dbtest.AuditActions(t, e.store, objType, objID)
}
