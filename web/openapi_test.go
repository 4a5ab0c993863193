package web_test

// These tests keep web/openapi.json true: it must be a valid OpenAPI 3.0
// document, list exactly the routes the server registers, and describe every
// request and answer of a realistic walk through the API against a real
// server (SQLite store, audit log, River jobs). Every request of the walk goes
// through a client whose transport validates the request and the response
// against the document and fails the test on any mismatch.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/undox/undox"
	"github.com/undox/undox/audit"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/job"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
	"github.com/undox/undox/takedown"
	"github.com/undox/undox/web"
)

// The body decoders the validator needs beyond kin-openapi's own.
func init() {
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
}

// loadSpec parses and validates the served document.
func loadSpec(t testing.TB) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(web.OpenAPI())
	require.NoError(t, err, "openapi.json does not parse")
	require.NoError(t, doc.Validate(loader.Context,
		openapi3.EnableExamplesValidation(),
		openapi3.EnableSchemaDefaultsValidation(),
		openapi3.EnableSchemaPatternValidation(),
	), "openapi.json is not a valid OpenAPI document")
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadSpec(t)
	assert.Equal(t, "3.0.3", doc.OpenAPI)
	require.NotNil(t, doc.Components)
	bearer := doc.Components.SecuritySchemes["bearerAuth"]
	require.NotNil(t, bearer, "components.securitySchemes.bearerAuth")
	assert.Equal(t, "http", bearer.Value.Type)
	assert.Equal(t, "bearer", bearer.Value.Scheme)

	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			require.NotEmpty(t, op.OperationID, "%s has no operationId", where)
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %q is used by %s and %s", op.OperationID, prev, where)
			}
			ids[op.OperationID] = where
			assert.NotNil(t, op.Responses.Status(http.StatusInternalServerError), "%s documents no 500", where)

			perm, staff := op.Extensions["x-permission"].(string)
			if !staff {
				assert.Nil(t, op.Security, "%s is public but has a security requirement", where)
				continue
			}
			if assert.NotNil(t, op.Security, "%s needs %s but documents no security", where, perm) {
				assert.Equal(t, openapi3.SecurityRequirements{{"bearerAuth": []string{}}}, *op.Security, where)
			}
			for _, st := range []int{http.StatusUnauthorized, http.StatusForbidden} {
				assert.NotNil(t, op.Responses.Status(st), "%s documents no %d", where, st)
			}
			known := false
			for _, r := range roles {
				known = known || r.Can(undox.Permission(perm))
			}
			assert.True(t, known, "%s: x-permission %q is not a permission of any role", where, perm)
		}
	}
}

// TestOpenAPIMatchesRoutes checks that the document lists exactly the routes
// the server registers, in both directions.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadSpec(t)
	srv, err := web.New(web.Config{Logger: quietLogger()})
	require.NoError(t, err)

	routes := map[string]bool{}
	for _, r := range srv.Routes() {
		routes[r.Method+" "+r.Path] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for rt := range routes {
		if strings.HasPrefix(rt[strings.IndexByte(rt, ' ')+1:], "/api/v1/") {
			assert.True(t, documented[rt], "route %s is served but not in openapi.json", rt)
		}
	}
	for op := range documented {
		assert.True(t, routes[op], "openapi.json documents %s, which the server does not serve", op)
	}
	// The document also describes the routes outside /api/v1.
	assert.Equal(t, sortedKeys(routes), sortedKeys(documented))
}

// TestOpenAPIEnumsMatchDomain checks the enumerations of the document against
// the domain they describe.
func TestOpenAPIEnumsMatchDomain(t *testing.T) {
	doc := loadSpec(t)
	schema := func(name string) *openapi3.Schema {
		s := doc.Components.Schemas[name]
		require.NotNil(t, s, "components.schemas.%s", name)
		return s.Value
	}
	var cats []string
	for _, c := range undox.Categories() {
		cats = append(cats, c.Code)
	}
	assert.ElementsMatch(t, cats, enumOf(schema("CategoryCode")), "CategoryCode")
	assert.ElementsMatch(t, intake.Languages, enumOf(schema("Language")), "Language")

	itemStates, itemEvents := map[string]bool{}, map[string]bool{}
	for _, tr := range undox.ItemTransitions() {
		itemStates[tr.From], itemStates[tr.To], itemEvents[string(tr.Event)] = true, true, true
	}
	assert.ElementsMatch(t, sortedKeys(itemStates), enumOf(schema("ItemStatus")), "ItemStatus")
	assert.ElementsMatch(t, sortedKeys(itemEvents), enumOf(schema("ItemEvent")), "ItemEvent")
	caseStates, caseEvents := map[string]bool{}, map[string]bool{}
	for _, tr := range undox.CaseTransitions() {
		caseStates[tr.From], caseStates[tr.To] = true, true
		if tr.Event != undox.ActionWithdraw { // only the reporter withdraws, by the status link
			caseEvents[string(tr.Event)] = true
		}
	}
	assert.ElementsMatch(t, sortedKeys(caseStates), enumOf(schema("CaseStatus")), "CaseStatus")

	var actions []string
	for _, a := range undox.ItemActions() {
		actions = append(actions, string(a))
	}
	assert.ElementsMatch(t, actions, enumOf(pathParam(t, doc, "POST", "/api/v1/items/{id}/actions/{action}", "action")), "item actions")
	assert.ElementsMatch(t, sortedKeys(caseEvents), enumOf(pathParam(t, doc, "POST", "/api/v1/cases/{ref}/actions/{action}", "action")), "case actions")

	assert.ElementsMatch(t, undox.PendingStatuses(), enumOf(schema("PendingStatus")), "PendingStatus")
	assert.ElementsMatch(t, undox.FourEyesActions(), enumOf(schema("PendingAction").Properties["action"].Value), "four-eyes actions")

	ref, err := intake.NewCaseRef()
	require.NoError(t, err)
	assert.NoError(t, schema("CaseRef").VisitJSON(ref), "a new case reference must match CaseRef")
}

func enumOf(s *openapi3.Schema) []string {
	var out []string
	for _, v := range s.Enum {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

func pathParam(t *testing.T, doc *openapi3.T, method, path, name string) *openapi3.Schema {
	t.Helper()
	op := doc.Paths.Value(path).GetOperation(method)
	require.NotNil(t, op, "%s %s", method, path)
	p := op.Parameters.GetByInAndName("path", name)
	require.NotNil(t, p, "%s %s: path parameter %s", method, path, name)
	return p.Schema.Value
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var roles = []undox.Role{undox.RoleAnalyst, undox.RoleSupervisor, undox.RoleAdmin, undox.RolePartner, undox.RoleAuditor}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// validator checks requests and responses against the document.
type validator struct {
	doc    *openapi3.T
	router routers.Router
	next   http.RoundTripper

	mu   sync.Mutex
	hits map[string]map[int]int // "METHOD /path/{template}" → status → count
}

func newValidator(t testing.TB, doc *openapi3.T) *validator {
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return &validator{doc: doc, router: router, next: http.DefaultTransport, hits: map[string]map[int]int{}}
}

// Per-request settings travel in the request's context.
type (
	testKey          struct{}
	nonconformingKey struct{}
)

var requestOptions = &openapi3filter.Options{
	MultiError:          true,
	SkipSettingDefaults: true,
	// The document's only security scheme is the Bearer token: the
	// validator checks that one is sent, the server whether it is good.
	AuthenticationFunc: func(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
		if in.SecurityScheme.Type != "http" || in.SecurityScheme.Scheme != "bearer" {
			return fmt.Errorf("unexpected security scheme %s", in.SecuritySchemeName)
		}
		token, ok := strings.CutPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			return errors.New("no Bearer token")
		}
		return nil
	},
}

var responseOptions = &openapi3filter.Options{
	MultiError:            true,
	IncludeResponseStatus: true, // an undocumented status is a mismatch
}

// RoundTrip validates the request, sends it, and validates the response.
// Requests marked nonconforming are meant to break the document (to see how
// the server answers bad input): for them the validator must find the
// mismatch. Every response must conform.
func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	t, _ := req.Context().Value(testKey{}).(testing.TB)
	if t == nil {
		return nil, errors.New("the validating client needs the test in the request's context")
	}
	t.Helper()
	wantNonconforming, _ := req.Context().Value(nonconformingKey{}).(bool)
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	what := req.Method + " " + req.URL.RequestURI()

	route, params, err := v.router.FindRoute(req)
	if err != nil {
		t.Errorf("%s: not in openapi.json: %v", what, err)
		return v.send(req, body)
	}
	op := req.Method + " " + route.Path

	check := req.Clone(req.Context())
	check.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: requestOptions}
	reqErr := openapi3filter.ValidateRequest(req.Context(), in)
	switch {
	case reqErr != nil && !wantNonconforming:
		t.Errorf("%s: the request does not conform to openapi.json: %v", what, reqErr)
	case reqErr == nil && wantNonconforming:
		t.Errorf("%s: the request was meant to break openapi.json but conforms to it", what)
	}

	resp, err := v.send(req, body)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	in.Request = req
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(respBody)), Options: responseOptions}
	if err := openapi3filter.ValidateResponse(req.Context(), rin); err != nil {
		t.Errorf("%s → %d: the response does not conform to openapi.json: %v\nbody: %s", what, resp.StatusCode, err, clip(respBody))
	}
	v.invariants(t, what, route.Path, resp, respBody)

	v.mu.Lock()
	if v.hits[op] == nil {
		v.hits[op] = map[int]int{}
	}
	v.hits[op][resp.StatusCode]++
	v.mu.Unlock()
	return resp, nil
}

// invariants are rules every answer keeps beyond its schema.
func (v *validator) invariants(t testing.TB, what, path string, resp *http.Response, body []byte) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/problem+json") {
		var p web.Problem
		if assert.NoError(t, json.Unmarshal(body, &p), what) {
			assert.Equal(t, resp.StatusCode, p.Status, "%s: the problem's status must repeat the HTTP status", what)
			assert.Equal(t, web.ProblemType(p.Code), p.Type, "%s: the problem's type must name its code", what)
			assert.Equal(t, http.StatusText(resp.StatusCode), p.Title, what)
		}
	}
	// Answers about cases carry personal data or secrets: never cached.
	if strings.HasPrefix(path, "/api/v1/") && path != "/api/v1/openapi.json" || strings.HasPrefix(path, "/status/") {
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "%s: Cache-Control", what)
	}
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), what)
}

func (v *validator) send(req *http.Request, body []byte) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	if len(body) == 0 {
		out.Body, out.GetBody = nil, nil
	}
	return v.next.RoundTrip(out)
}

// uncovered lists the documented operations that no request reached.
func (v *validator) uncovered() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for path, item := range v.doc.Paths.Map() {
		for method := range item.Operations() {
			if len(v.hits[method+" "+path]) == 0 {
				out = append(out, method+" "+path)
			}
		}
	}
	sort.Strings(out)
	return out
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// client sends requests through the validator.
type client struct {
	base string
	hc   *http.Client
}

type reqOpt func(*http.Request)

// nonconforming marks a request that deliberately breaks the document.
func nonconforming() reqOpt {
	return func(r *http.Request) {
		*r = *r.WithContext(context.WithValue(r.Context(), nonconformingKey{}, true))
	}
}

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

func bearer(token string) reqOpt { return header("Authorization", "Bearer "+token) }

// raw is a body sent as is, with its content type.
type raw struct {
	contentType string
	body        []byte
}

type reply struct {
	status int
	header http.Header
	body   []byte
	what   string
}

// do sends method path with body: nil, a raw, or a value sent as JSON.
func (c *client) do(t testing.TB, method, path string, body any, opts ...reqOpt) *reply {
	t.Helper()
	var (
		rd io.Reader
		ct string
	)
	switch b := body.(type) {
	case nil:
	case raw:
		rd, ct = bytes.NewReader(b.body), b.contentType
	default:
		j, err := json.Marshal(b)
		require.NoError(t, err)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(context.WithValue(context.Background(), testKey{}, t), method, c.base+path, rd)
	require.NoError(t, err)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := c.hc.Do(req)
	require.NoError(t, err, "%s %s", method, path)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return &reply{status: resp.StatusCode, header: resp.Header, body: b, what: method + " " + path}
}

// ok requires status and decodes the JSON answer into v.
func (r *reply) ok(t testing.TB, status int, v any) {
	t.Helper()
	require.Equal(t, status, r.status, "%s: %s", r.what, clip(r.body))
	if v != nil {
		// Decode into a zero value: fields the answer leaves out must
		// not keep what an earlier answer said.
		reflect.ValueOf(v).Elem().SetZero()
		require.NoError(t, json.Unmarshal(r.body, v), "%s: %s", r.what, clip(r.body))
	}
}

// problem requires a problem with status and code.
func (r *reply) problem(t testing.TB, status int, code string) web.Problem {
	t.Helper()
	require.Equal(t, status, r.status, "%s: %s", r.what, clip(r.body))
	assert.True(t, strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json"), "%s: Content-Type %q", r.what, r.header.Get("Content-Type"))
	var p web.Problem
	require.NoError(t, json.Unmarshal(r.body, &p), "%s", r.what)
	assert.Equal(t, code, p.Code, "%s: %s", r.what, clip(r.body))
	return p
}

// Answers as clients decode them.
type (
	caseList struct {
		Cases []undox.Case `json:"cases"`
		Next  *string      `json:"next"`
	}
	itemList struct {
		Items []undox.Item `json:"items"`
		Next  *string      `json:"next"`
	}
	itemDetail struct {
		undox.Item
		History   []undox.ItemStepRecord `json:"history"`
		Referrals []string               `json:"referrals"`
	}
	statusView struct {
		Case      string `json:"case"`
		Status    string `json:"status"`
		CreatedAt string `json:"created_at"`
		Items     []struct {
			URL    string `json:"url"`
			Status string `json:"status"`
			Stage  string `json:"stage"`
		} `json:"items"`
	}
	statusLink struct {
		Case      string `json:"case"`
		StatusURL string `json:"status_url"`
	}
	importResult struct {
		Results []intake.RowResult `json:"results"`
		Summary intake.Summary     `json:"summary"`
	}
	checkpoint struct {
		TreeSize    int64     `json:"tree_size"`
		RootHash    string    `json:"root_hash"`
		Note        string    `json:"note"`
		VerifierKey string    `json:"verifier_key"`
		CreatedAt   time.Time `json:"created_at"`
	}
)

// env is a real undox behind an httptest server.
type env struct {
	ctx   context.Context
	dir   string
	store *sqlstore.Store
	log   *audit.Log
	queue *job.Queue
	blobs *blob.Dir
	vkey  string
	srv   *httptest.Server
	v     *validator
	api   *client
	// Authority is where csam referrals go; terrorist content has none, so
	// that its triage fails and shows among the failed jobs.
	authority string
}

func newEnv(t *testing.T, configure func(*web.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stack := dbtest.NewStack(t, dbtest.Backends()[0])
	db := stack.DB
	e := &env{ctx: ctx, dir: stack.Dir, store: stack.Store, log: stack.Log, authority: "https://hotline.example/referrals"}
	var err error
	e.vkey, err = audit.VerifierKeyText(e.dir)
	require.NoError(t, err)
	retention, err := undox.ParseRetention("") // keep everything: nothing is erased behind the test's back
	require.NoError(t, err)
	e.queue = stack.Queue(t, job.Config{
		Register:         takedown.Register(nil),
		Logger:           quietLogger(),
		Workers:          2,
		Retention:        retention,
		Authorities:      map[string]string{"csam": e.authority},
		CheckpointEvery:  time.Hour,
		MaintenanceEvery: time.Hour,
	})

	e.blobs, err = blob.NewDir(t.TempDir())
	require.NoError(t, err)
	cfg := web.Config{
		Logger:      quietLogger(),
		Store:       e.store,
		Jobs:        e.queue,
		Blobs:       e.blobs,
		Ready:       func(ctx context.Context) error { return db.SQL.PingContext(ctx) },
		VerifierKey: e.vkey,
		Version:     "test",
	}
	e.srv = httptest.NewUnstartedServer(nil)
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	cfg.Intake = &intake.Service{Store: e.store, PublicURL: e.srv.URL}
	if configure != nil {
		configure(&cfg)
	}
	h, err := web.New(cfg)
	require.NoError(t, err)
	e.srv.Config.Handler = h

	e.v = newValidator(t, loadSpec(t))
	e.v.next = e.srv.Client().Transport
	e.api = &client{base: e.srv.URL, hc: &http.Client{Transport: e.v, Timeout: time.Minute}}
	return e
}

// startJobs starts the workers, so that triage runs.
func (e *env) startJobs(t *testing.T) {
	t.Helper()
	require.NoError(t, e.queue.Start(e.ctx))
	t.Cleanup(func() {
		e.queue.Stop(5 * time.Second)
		e.queue.Close()
	})
}

// token creates an API token of role, of no staff account.
func (e *env) token(t testing.TB, name string, role undox.Role) string {
	t.Helper()
	return e.tokenOfUser(t, name, role, 0)
}

// tokenOfUser creates an API token of role made for the staff account
// userID (0: none): for four-eyes it is that person.
func (e *env) tokenOfUser(t testing.TB, name string, role undox.Role, userID int64) string {
	t.Helper()
	tok, err := secret.Token(32)
	require.NoError(t, err)
	tok = "udx_" + tok
	_, err = e.store.CreateToken(e.ctx, name, role, secret.Hash(tok), userID)
	require.NoError(t, err)
	return tok
}

// tokenOf returns the secret of a status link.
func tokenOf(t testing.TB, base, statusURL string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(statusURL, base+"/status/")
	require.True(t, ok, "status link %q is not under %s/status/", statusURL, base)
	return tok
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestOpenAPIWalk walks the API as its users do, with every request and
// response checked against the document.
func TestOpenAPIWalk(t *testing.T) {
	e := newEnv(t, nil)
	api := e.api

	// No checkpoint is signed before the jobs run.
	api.do(t, "GET", "/api/v1/audit/checkpoint", nil).problem(t, 404, undox.ENOTFOUND)
	e.startJobs(t)

	// Staff tokens made for staff accounts (they take four-eyes steps as
	// those people); the partner's is of no account.
	analyst := e.tokenOfUser(t, "ana", undox.RoleAnalyst, newAccount(t, e, "ana.api@hotline.example", "Ana", undox.RoleAnalyst).User.ID)
	supervisor := e.tokenOfUser(t, "sue", undox.RoleSupervisor, newAccount(t, e, "sue.api@hotline.example", "Sue", undox.RoleSupervisor).User.ID)
	admin := e.token(t, "adm", undox.RoleAdmin)
	partner := e.token(t, "partner-a", undox.RolePartner)
	auditor := e.token(t, "aud", undox.RoleAuditor)

	t.Run("meta", func(t *testing.T) {
		var h map[string]string
		api.do(t, "GET", "/healthz", nil).ok(t, 200, &h)
		assert.Equal(t, map[string]string{"status": "ok", "version": "test"}, h)
		api.do(t, "GET", "/readyz", nil).ok(t, 200, &h)
		assert.Equal(t, "ready", h["status"])
		r := api.do(t, "GET", "/api/v1/openapi.json", nil)
		r.ok(t, 200, nil)
		assert.Equal(t, web.OpenAPI(), r.body)

		var cats struct{ Categories []undox.Category }
		api.do(t, "GET", "/api/v1/categories", nil).ok(t, 200, &cats)
		assert.Equal(t, undox.Categories(), cats.Categories)
		var lc struct{ Item, Case []undox.Transition }
		api.do(t, "GET", "/api/v1/lifecycle", nil).ok(t, 200, &lc)
		assert.Equal(t, undox.ItemTransitions(), lc.Item)
		assert.Equal(t, undox.CaseTransitions(), lc.Case)
	})

	// A victim reports two pages (one of them written three ways), with a
	// key that makes the retry of a lost answer safe.
	reportA := map[string]any{
		"urls":           []string{"HTTPS://Paste.Example/abc", "paste.example/abc", "https://forum.example/t/42?page=2#reply-7"},
		"category":       "doxing",
		"description":    "My home address and phone number were posted.",
		"reporter_email": "victim@mail.example",
		"language":       "en",
		"consent":        true,
	}
	bodyA, err := json.Marshal(reportA)
	require.NoError(t, err)
	var rcptA undox.Receipt
	t.Run("report", func(t *testing.T) {
		r := api.do(t, "POST", "/api/v1/reports", raw{"application/json", bodyA}, header("Idempotency-Key", "report-a-1"))
		r.ok(t, 201, &rcptA)
		assert.Empty(t, r.header.Get("Idempotent-Replayed"))
		assert.Equal(t, 2, rcptA.Items, "three ways of writing two URLs")
		tokenOf(t, e.srv.URL, rcptA.StatusURL)

		// The retry of a lost answer gets the same receipt.
		var again undox.Receipt
		r = api.do(t, "POST", "/api/v1/reports", raw{"application/json", bodyA}, header("Idempotency-Key", "report-a-1"))
		r.ok(t, 201, &again)
		assert.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
		assert.Equal(t, rcptA, again)

		// The same key for another report is refused.
		other := maps(reportA, "description", "Something else.")
		api.do(t, "POST", "/api/v1/reports", other, header("Idempotency-Key", "report-a-1")).
			problem(t, 422, undox.EIDEMPOTENCY)
		p := api.do(t, "POST", "/api/v1/reports", other, header("Idempotency-Key", strings.Repeat("k", 256)), nonconforming()).
			problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "Idempotency-Key")
	})
	require.NotEmpty(t, rcptA.CaseRef)

	var rcptB, rcptC, rcptD undox.Receipt
	// A minor's intimate images are child sexual abuse material in law:
	// referral-only, never fetched.
	api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://imgs.example/p/1"},
		"category": "intimate_images", "is_minor": true}).ok(t, 201, &rcptB)
	// Terrorist content goes to an authority that is not configured here:
	// its triage fails and waits for a retry.
	api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://video.example/v/9"},
		"category": "terrorist_content", "language": "nl"}).ok(t, 201, &rcptC)
	api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://social.example/u/x/status/1"},
		"category": "threat", "reporter_email": "other@mail.example", "description": "Threats after the doxing."},
		header("Idempotency-Key", "report-d-1")).ok(t, 201, &rcptD)

	t.Run("invalid reports", func(t *testing.T) {
		p := api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{}, "category": "gossip", "language": "de"},
			nonconforming()).problem(t, 400, undox.EINVALID)
		assert.Equal(t, "the report has errors", p.Detail)
		assert.Equal(t, []string{"category", "language", "urls"}, sortedKeys(p.Errors))

		// URLs the document cannot judge, the server does.
		p = api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"ftp://files.example/x", "https://ok.example/", "javascript:alert(1)"}}).
			problem(t, 400, undox.EINVALID)
		assert.Equal(t, []string{"urls[0]", "urls[2]"}, sortedKeys(p.Errors))
		assert.Equal(t, "only http and https URLs can be reported", p.Errors["urls[0]"])

		p = api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://ok.example/"}, "catgory": "doxing"},
			nonconforming()).problem(t, 400, undox.EINVALID)
		assert.Equal(t, map[string]string{"catgory": `unknown field "catgory"`}, p.Errors)
		p = api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": "https://ok.example/"}, nonconforming()).
			problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "urls")
		p = api.do(t, "POST", "/api/v1/reports", raw{"application/json", []byte(`{"urls": [`)}, nonconforming()).
			problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "body")
		api.do(t, "POST", "/api/v1/reports", raw{"application/json", nil}, nonconforming()).problem(t, 400, undox.EINVALID)

		api.do(t, "POST", "/api/v1/reports", raw{"text/plain", []byte("https://paste.example/abc")}, nonconforming()).
			problem(t, 415, undox.EUNSUPPORTED)
		huge := map[string]any{"urls": []string{"https://paste.example/abc"}, "description": strings.Repeat("x", web.MaxReportBytes)}
		api.do(t, "POST", "/api/v1/reports", huge, nonconforming()).problem(t, 413, undox.ETOOLARGE)
	})

	t.Run("auth", func(t *testing.T) {
		r := api.do(t, "GET", "/api/v1/cases", nil, nonconforming())
		r.problem(t, 401, undox.EUNAUTHORIZED)
		assert.Equal(t, `Bearer realm="undox"`, r.header.Get("WWW-Authenticate"))
		r = api.do(t, "GET", "/api/v1/cases", nil, bearer("udx_revoked-or-made-up"))
		r.problem(t, 401, undox.EUNAUTHORIZED)
		assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="invalid_token"`)
		// A partner system only imports.
		api.do(t, "GET", "/api/v1/cases", nil, bearer(partner)).problem(t, 403, undox.EFORBIDDEN)
		api.do(t, "GET", "/api/v1/cases/"+rcptA.CaseRef, nil, bearer(partner)).problem(t, 403, undox.EFORBIDDEN)
	})

	t.Run("list cases", func(t *testing.T) {
		var seen []string
		after := ""
		for page := 0; ; page++ {
			require.Less(t, page, 10, "paging does not end")
			var l caseList
			q := "?limit=3"
			if after != "" {
				q += "&after=" + url.QueryEscape(after)
			}
			api.do(t, "GET", "/api/v1/cases"+q, nil, bearer(analyst)).ok(t, 200, &l)
			assert.LessOrEqual(t, len(l.Cases), 3)
			for _, c := range l.Cases {
				seen = append(seen, c.Ref)
				assert.Empty(t, c.ReporterEmail, "lists show no personal field")
				assert.Empty(t, c.Description, "lists show no personal field")
				assert.Empty(t, c.Items)
			}
			if l.Next == nil {
				assert.Less(t, len(l.Cases), 3, "the last page is short")
				break
			}
			assert.Len(t, l.Cases, 3)
			after = *l.Next
		}
		assert.Equal(t, []string{rcptD.CaseRef, rcptC.CaseRef, rcptB.CaseRef, rcptA.CaseRef}, seen, "newest first, each once")

		refs := func(q string) []string {
			var l caseList
			api.do(t, "GET", "/api/v1/cases"+q, nil, bearer(auditor)).ok(t, 200, &l)
			var out []string
			for _, c := range l.Cases {
				out = append(out, c.Ref)
			}
			return out
		}
		assert.Equal(t, []string{rcptB.CaseRef}, refs("?category=csam"), "handled as csam")
		assert.Equal(t, []string{rcptB.CaseRef}, refs("?minor=true"))
		assert.Equal(t, []string{rcptD.CaseRef, rcptC.CaseRef, rcptA.CaseRef}, refs("?minor=false"))
		assert.Equal(t, []string{rcptA.CaseRef}, refs("?q=forum.example"))
		assert.Equal(t, []string{rcptA.CaseRef}, refs("?q="+url.QueryEscape(strings.ToLower(rcptA.CaseRef))))
		assert.Empty(t, refs("?status=closed"))
		assert.Len(t, refs("?status=open&limit=500"), 4)

		p := api.do(t, "GET", "/api/v1/cases?limit=0", nil, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "limit")
		p = api.do(t, "GET", "/api/v1/cases?after=!!", nil, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "after")
		p = api.do(t, "GET", "/api/v1/cases?minor=maybe", nil, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "minor")
	})

	var caseA undox.Case
	t.Run("get case", func(t *testing.T) {
		api.do(t, "GET", "/api/v1/cases/"+rcptA.CaseRef, nil, bearer(analyst)).ok(t, 200, &caseA)
		assert.Equal(t, rcptA.CaseRef, caseA.Ref)
		assert.Equal(t, undox.CaseOpen, caseA.Status)
		assert.Equal(t, "doxing", caseA.Category)
		assert.Equal(t, "doxing", caseA.Handling)
		assert.Equal(t, "en", caseA.Language)
		assert.Equal(t, "public", caseA.Source)
		assert.True(t, caseA.Consent)
		assert.Equal(t, "victim@mail.example", caseA.ReporterEmail, "decrypted for staff")
		assert.Equal(t, "My home address and phone number were posted.", caseA.Description)
		require.Len(t, caseA.Items, 2)
		assert.Equal(t, "https://paste.example/abc", caseA.Items[0].URL, "normalized")
		assert.Equal(t, "https://forum.example/t/42?page=2", caseA.Items[1].URL, "normalized, without the fragment")

		var b undox.Case
		api.do(t, "GET", "/api/v1/cases/"+rcptB.CaseRef, nil, bearer(auditor)).ok(t, 200, &b)
		assert.Equal(t, "intimate_images", b.Category)
		assert.Equal(t, "csam", b.Handling)
		assert.True(t, b.IsMinor)
		assert.Equal(t, "nl", b.Language, "the default language")
		assert.GreaterOrEqual(t, b.Priority, 100, "minors first")

		api.do(t, "GET", "/api/v1/cases/UDX-0000-0000-0000", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
	})
	require.Len(t, caseA.Items, 2)
	paste := caseA.Items[0]

	t.Run("items", func(t *testing.T) {
		var l itemList
		api.do(t, "GET", "/api/v1/items?host=paste.example", nil, bearer(analyst)).ok(t, 200, &l)
		require.Len(t, l.Items, 1)
		assert.Equal(t, paste.ID, l.Items[0].ID)
		assert.Nil(t, l.Next)

		var all []int64
		after := ""
		for page := 0; ; page++ {
			require.Less(t, page, 10, "paging does not end")
			q := "?limit=2"
			if after != "" {
				q += "&after=" + after
			}
			var l itemList
			api.do(t, "GET", "/api/v1/items"+q, nil, bearer(analyst)).ok(t, 200, &l)
			for _, it := range l.Items {
				all = append(all, it.ID)
			}
			if l.Next == nil {
				break
			}
			after = *l.Next
		}
		assert.Len(t, all, 5)
		assert.True(t, slices.IsSortedFunc(all, func(a, b int64) int { return int(b - a) }), "newest first: %v", all)

		var b undox.Case
		api.do(t, "GET", "/api/v1/cases/"+rcptB.CaseRef, nil, bearer(analyst)).ok(t, 200, &b)
		require.Len(t, b.Items, 1)
		var d itemDetail
		eventually(t, "triage to refer the minor's images", func() bool {
			api.do(t, "GET", fmt.Sprintf("/api/v1/items/%d", b.Items[0].ID), nil, bearer(analyst)).ok(t, 200, &d)
			return d.Status == undox.ItemReferred
		})
		assert.Equal(t, []string{e.authority}, d.Referrals)
		assert.Equal(t, []string{rcptB.CaseRef}, d.Cases)
		assert.Equal(t, "csam", d.Category)
		require.Len(t, d.History, 1)
		assert.Equal(t, "routed", d.History[0].Event)
		assert.Equal(t, "new", d.History[0].From)
		assert.Equal(t, "referred", d.History[0].To)
		assert.Equal(t, "system", d.History[0].Actor)

		api.do(t, "GET", "/api/v1/items?status=referred", nil, bearer(analyst)).ok(t, 200, &l)
		require.Len(t, l.Items, 1)
		assert.Equal(t, d.ID, l.Items[0].ID)

		p := api.do(t, "GET", "/api/v1/items?limit=many", nil, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "limit")
		api.do(t, "GET", "/api/v1/items/999999", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
		api.do(t, "GET", "/api/v1/items/abc", nil, bearer(analyst), nonconforming()).problem(t, 404, undox.ENOTFOUND)
		// Referred content is closed, not reopened.
		api.do(t, "POST", fmt.Sprintf("/api/v1/items/%d/actions/reopen", d.ID), nil, bearer(analyst)).
			problem(t, 409, undox.ETRANSITION)
	})

	t.Run("item actions", func(t *testing.T) {
		act := func(action string, body any, opts ...reqOpt) *reply {
			return api.do(t, "POST", fmt.Sprintf("/api/v1/items/%d/actions/%s", paste.ID, action), body,
				append([]reqOpt{bearer(analyst)}, opts...)...)
		}
		var d itemDetail
		api.do(t, "GET", fmt.Sprintf("/api/v1/items/%d", paste.ID), nil, bearer(analyst)).ok(t, 200, &d)
		assert.Equal(t, undox.ItemNew, d.Status, "no capture job exists yet")
		assert.Empty(t, d.History)
		assert.Equal(t, []string{}, d.Referrals)
		assert.Equal(t, []string{rcptA.CaseRef}, d.Cases)

		p := act("reject", nil).problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "reason")
		act("reject", map[string]string{"reason": "  "}).problem(t, 400, undox.EINVALID)
		act("reject", map[string]string{"reason": "x", "why": "y"}, nonconforming()).problem(t, 400, undox.EINVALID)
		act("reject", raw{"text/plain", []byte("because")}, nonconforming()).problem(t, 415, undox.EUNSUPPORTED)
		act("reject", map[string]string{"reason": strings.Repeat("why ", 20000)}, nonconforming()).problem(t, 413, undox.ETOOLARGE)
		act("reject", map[string]string{"reason": strings.Repeat("y", 2001)}, nonconforming()).problem(t, 400, undox.EINVALID)

		act("reject", map[string]string{"reason": "a company's public address, not personal data"}).ok(t, 200, &d)
		assert.Equal(t, undox.ItemRejected, d.Status)
		require.Len(t, d.History, 1)
		assert.Equal(t, "reject", d.History[0].Event)
		assert.Equal(t, "a company's public address, not personal data", d.History[0].Reason)
		assert.Regexp(t, `^token:\d+:ana$`, d.History[0].Actor)
		act("reject", map[string]string{"reason": "again"}).problem(t, 409, undox.ETRANSITION)

		act("reopen", nil).ok(t, 200, &d)
		assert.Equal(t, undox.ItemNew, d.Status)
		act("confirm", nil).problem(t, 409, undox.ETRANSITION)
		// Steps undox observes itself cannot be requested.
		act("captured", nil, nonconforming()).problem(t, 403, undox.EFORBIDDEN)
		act("close", map[string]string{"reason": "the victim's own post"}).ok(t, 200, &d)
		assert.Equal(t, undox.ItemClosed, d.Status)
		act("reopen", raw{"application/json", nil}).ok(t, 200, &d)
		assert.Equal(t, undox.ItemNew, d.Status)
		assert.Len(t, d.History, 4)

		api.do(t, "POST", fmt.Sprintf("/api/v1/items/%d/actions/close", paste.ID), nil, bearer(auditor)).
			problem(t, 403, undox.EFORBIDDEN)
		api.do(t, "POST", "/api/v1/items/999999/actions/close", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
	})

	t.Run("case actions", func(t *testing.T) {
		act := func(tok, action string, body any, opts ...reqOpt) *reply {
			return api.do(t, "POST", "/api/v1/cases/"+rcptA.CaseRef+"/actions/"+action, body, append([]reqOpt{bearer(tok)}, opts...)...)
		}
		var c undox.Case
		act(analyst, "close", map[string]string{"reason": "all items handled"}).ok(t, 200, &c)
		assert.Equal(t, undox.CaseClosed, c.Status)
		assert.Len(t, c.Items, 2)
		var l caseList
		api.do(t, "GET", "/api/v1/cases?status=closed", nil, bearer(analyst)).ok(t, 200, &l)
		require.Len(t, l.Cases, 1)
		assert.Equal(t, rcptA.CaseRef, l.Cases[0].Ref)
		act(analyst, "close", nil).problem(t, 409, undox.ETRANSITION)
		act(analyst, "reopen", nil).ok(t, 200, &c)
		assert.Equal(t, undox.CaseOpen, c.Status)

		act(analyst, "close", raw{"text/plain", []byte("done")}, nonconforming()).problem(t, 415, undox.EUNSUPPORTED)
		act(analyst, "close", map[string]string{"reason": strings.Repeat("done ", 20000)}, nonconforming()).problem(t, 413, undox.ETOOLARGE)
		act(supervisor, "withdraw", nil, nonconforming()).problem(t, 403, undox.EFORBIDDEN)
		act(analyst, "erase", nil).problem(t, 403, undox.EFORBIDDEN)
		p := act(analyst, "frobnicate", nil, nonconforming()).problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "action")
		api.do(t, "POST", "/api/v1/cases/UDX-0000-0000-0000/actions/close", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
	})

	t.Run("legal hold and erasure", func(t *testing.T) {
		path := "/api/v1/cases/" + rcptD.CaseRef
		hold := map[string]string{"reason": "exported for police report 2024-0042"}
		api.do(t, "PUT", path+"/hold", hold, bearer(analyst)).problem(t, 403, undox.EFORBIDDEN)
		p := api.do(t, "PUT", path+"/hold", nil, bearer(supervisor), nonconforming()).problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "reason")
		api.do(t, "PUT", path+"/hold", map[string]string{"reason": ""}, bearer(supervisor), nonconforming()).
			problem(t, 400, undox.EINVALID)
		api.do(t, "PUT", path+"/hold", raw{"text/plain", []byte("police")}, bearer(supervisor), nonconforming()).
			problem(t, 415, undox.EUNSUPPORTED)
		api.do(t, "PUT", path+"/hold", map[string]string{"reason": strings.Repeat("police ", 20000)}, bearer(supervisor), nonconforming()).
			problem(t, 413, undox.ETOOLARGE)

		var c undox.Case
		api.do(t, "PUT", path+"/hold", hold, bearer(supervisor)).ok(t, 200, &c)
		assert.Equal(t, hold["reason"], c.LegalHold)
		api.do(t, "POST", path+"/actions/erase", nil, bearer(supervisor)).problem(t, 409, undox.ELEGALHOLD)
		api.do(t, "GET", path, nil, bearer(analyst)).ok(t, 200, &c)
		assert.Equal(t, "other@mail.example", c.ReporterEmail, "a held case keeps its data")

		api.do(t, "DELETE", path+"/hold", nil, bearer(supervisor)).ok(t, 200, &c)
		assert.Empty(t, c.LegalHold)
		api.do(t, "POST", path+"/actions/erase", map[string]string{"reason": "requested by the victim"}, bearer(supervisor)).ok(t, 200, &c)
		assert.Equal(t, undox.CaseErased, c.Status)
		require.NotNil(t, c.ErasedAt)
		assert.Empty(t, c.ReporterEmail)
		assert.Empty(t, c.Description)

		api.do(t, "GET", path, nil, bearer(analyst)).ok(t, 200, &c)
		assert.Equal(t, undox.CaseErased, c.Status)
		assert.Empty(t, c.ReporterEmail)
		api.do(t, "PUT", path+"/hold", hold, bearer(supervisor)).problem(t, 404, undox.ENOTFOUND)
		api.do(t, "DELETE", "/api/v1/cases/UDX-0000-0000-0000/hold", nil, bearer(admin)).problem(t, 404, undox.ENOTFOUND)
		// The erased case's status link is dead.
		api.do(t, "GET", "/api/v1/status/"+tokenOf(t, e.srv.URL, rcptD.StatusURL), nil).problem(t, 404, undox.ENOTFOUND)
	})

	t.Run("status link", func(t *testing.T) {
		old := tokenOf(t, e.srv.URL, rcptA.StatusURL)
		var v statusView
		api.do(t, "GET", "/api/v1/status/"+old, nil).ok(t, 200, &v)
		assert.Equal(t, rcptA.CaseRef, v.Case)

		// An analyst gets no new link: with it they could withdraw the case,
		// which erases it (a supervisor's decision). The old link still works.
		api.do(t, "POST", "/api/v1/cases/"+rcptA.CaseRef+"/status-token", nil, bearer(analyst)).problem(t, 403, undox.EFORBIDDEN)
		api.do(t, "GET", "/api/v1/status/"+old, nil).ok(t, 200, &v)

		var link statusLink
		api.do(t, "POST", "/api/v1/cases/"+rcptA.CaseRef+"/status-token", nil, bearer(supervisor)).ok(t, 200, &link)
		assert.Equal(t, rcptA.CaseRef, link.Case)
		fresh := tokenOf(t, e.srv.URL, link.StatusURL)
		assert.NotEqual(t, old, fresh)
		api.do(t, "GET", "/api/v1/status/"+old, nil).problem(t, 404, undox.ENOTFOUND)
		api.do(t, "GET", "/status/"+old, nil).ok(t, 404, nil)

		api.do(t, "GET", "/api/v1/status/"+fresh, nil).ok(t, 200, &v)
		assert.Equal(t, rcptA.CaseRef, v.Case)
		assert.Equal(t, "open", v.Status)
		_, err := time.Parse(time.RFC3339, v.CreatedAt)
		assert.NoError(t, err, "created_at is an RFC 3339 time like every other time of the API")
		require.Len(t, v.Items, 2)
		for _, it := range v.Items {
			assert.Equal(t, "new", it.Status)
			assert.Equal(t, "We received this link and will look at it soon.", it.Stage)
		}
		r := api.do(t, "GET", "/status/"+fresh, nil)
		r.ok(t, 200, nil)
		assert.Contains(t, string(r.body), rcptA.CaseRef)
		assert.Equal(t, "noindex, nofollow", r.header.Get("X-Robots-Tag"))

		api.do(t, "POST", "/api/v1/cases/UDX-0000-0000-0000/status-token", nil, bearer(supervisor)).problem(t, 404, undox.ENOTFOUND)
		api.do(t, "POST", "/api/v1/cases/"+rcptA.CaseRef+"/status-token", nil, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
	})

	t.Run("withdraw", func(t *testing.T) {
		tok := tokenOf(t, e.srv.URL, rcptC.StatusURL)
		var v statusView
		api.do(t, "GET", "/api/v1/status/"+tok, nil).ok(t, 200, &v)
		assert.Equal(t, "open", v.Status)
		api.do(t, "POST", "/api/v1/status/"+tok+"/withdraw", nil).ok(t, 200, &v)
		assert.Equal(t, rcptC.CaseRef, v.Case)
		assert.Equal(t, "withdrawn", v.Status)
		api.do(t, "POST", "/api/v1/status/"+tok+"/withdraw", nil).problem(t, 409, undox.ETRANSITION)
		unknown := strings.Repeat("A", 43)
		api.do(t, "POST", "/api/v1/status/"+unknown+"/withdraw", nil).problem(t, 404, undox.ENOTFOUND)
		api.do(t, "GET", "/api/v1/status/short", nil, nonconforming()).problem(t, 404, undox.ENOTFOUND)
	})

	t.Run("victim portal", func(t *testing.T) {
		form := func(v url.Values) raw { return raw{"application/x-www-form-urlencoded", []byte(v.Encode())} }
		r := api.do(t, "GET", "/report?lang=en", nil)
		r.ok(t, 200, nil)
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(r.body))
		require.NotNil(t, m)
		r = api.do(t, "POST", "/report", form(url.Values{"csrf": {m[1]}, "lang": {"en"}, "urls": {"https://portal.example/p/1"}, "minor": {"no"}}))
		r.ok(t, 200, nil)
		link := regexp.MustCompile(`href="(` + regexp.QuoteMeta(e.srv.URL) + `/status/[^"]+)"`).FindStringSubmatch(string(r.body))
		require.NotNil(t, link)
		tok := tokenOf(t, e.srv.URL, link[1])
		r = api.do(t, "GET", "/status/"+tok+"?lang=en", nil)
		r.ok(t, 200, nil)
		m = regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(r.body))
		require.NotNil(t, m)
		api.do(t, "POST", "/status/"+tok+"/withdraw", form(url.Values{"csrf": {m[1]}, "confirm": {"yes"}})).ok(t, 200, nil)
		var v statusView
		api.do(t, "GET", "/api/v1/status/"+tok, nil).ok(t, 200, &v)
		assert.Equal(t, "withdrawn", v.Status)
	})

	t.Run("failed jobs", func(t *testing.T) {
		var found *job.Failed
		eventually(t, "the terrorist content's triage to fail", func() bool {
			var l struct{ Jobs []job.Failed }
			api.do(t, "GET", "/api/v1/jobs/failed", nil, bearer(analyst)).ok(t, 200, &l)
			for i, j := range l.Jobs {
				if j.Kind == "triage" {
					found = &l.Jobs[i]
				}
			}
			return found != nil
		})
		assert.Contains(t, found.LastError, "no competent authority")
		assert.GreaterOrEqual(t, found.Attempt, 1)
		assert.Contains(t, found.Args, "case_ids")
		if found.State == "retryable" {
			assert.False(t, found.NextAttempt.IsZero(), "a retryable job says when it runs again")
		}
		var l struct{ Jobs []job.Failed }
		api.do(t, "GET", "/api/v1/jobs/failed?limit=1", nil, bearer(auditor)).ok(t, 200, &l)
		assert.Len(t, l.Jobs, 1)
		p := api.do(t, "GET", "/api/v1/jobs/failed?limit=501", nil, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "limit")
		api.do(t, "GET", "/api/v1/jobs/failed", nil, bearer(partner)).problem(t, 403, undox.EFORBIDDEN)
	})

	t.Run("imports", func(t *testing.T) {
		csv := "url,category,external_ref,is_minor,language\n" +
			"https://paste.example/leak-1,doxing,P-1,no,nl\n" +
			"ftp://files.example/leak-2,doxing,P-2,,en\n" +
			"https://forum.example/t/99,harassment,P-3,false,en\n"
		var res importResult
		api.do(t, "POST", "/api/v1/imports", raw{"text/csv", []byte(csv)}, bearer(partner)).ok(t, 200, &res)
		assert.Equal(t, intake.Summary{Rows: 3, Created: 2, Errors: 1}, res.Summary)
		require.Len(t, res.Results, 3)
		for i, r := range res.Results {
			assert.Equal(t, i+1, r.Row)
			assert.Equal(t, fmt.Sprintf("P-%d", i+1), r.ExternalRef)
		}
		assert.Equal(t, "created", res.Results[0].Status)
		tokenOf(t, e.srv.URL, res.Results[0].StatusURL)
		assert.Equal(t, "error", res.Results[1].Status)
		assert.Equal(t, undox.EINVALID, res.Results[1].Code)
		assert.Contains(t, res.Results[1].Fields, "urls[0]")
		assert.Empty(t, res.Results[1].Case)
		assert.Equal(t, "created", res.Results[2].Status)
		p1 := res.Results[0].Case

		var c undox.Case
		api.do(t, "GET", "/api/v1/cases/"+p1, nil, bearer(admin)).ok(t, 200, &c)
		assert.Equal(t, "import:partner-a", c.Source)
		assert.Equal(t, "P-1", c.ExternalRef)
		assert.Equal(t, "doxing", c.Category)

		// The same rows again, as JSON: known references are duplicates.
		rows := []map[string]any{
			{"url": "https://paste.example/leak-1", "external_ref": "P-1"},
			{"urls": []string{"https://video.example/v/10", "https://video.example/v/11"}, "category": "threat", "external_ref": "P-4", "is_minor": false},
			{"url": "mailto:someone@mail.example", "external_ref": "P-5"},
		}
		api.do(t, "POST", "/api/v1/imports", rows, bearer(partner)).ok(t, 200, &res)
		assert.Equal(t, intake.Summary{Rows: 3, Created: 1, Duplicates: 1, Errors: 1}, res.Summary)
		require.Len(t, res.Results, 3)
		assert.Equal(t, intake.RowResult{Row: 1, ExternalRef: "P-1", Status: "duplicate", Case: p1}, res.Results[0])
		assert.Equal(t, "created", res.Results[1].Status)
		assert.Equal(t, "error", res.Results[2].Status)
		assert.Equal(t, "P-5", res.Results[2].ExternalRef)

		// One JSON object per line: a broken line is one bad row.
		nd := `{"url": "https://paste.example/leak-6", "external_ref": "P-6", "category": "doxing"}` + "\n" +
			`{"url": ["https://paste.example/leak-7"], "external_ref": "P-7"}` + "\n" +
			"\n" +
			`{"url": "https://paste.example/leak-8", "external_ref": "P-8"` + "\n"
		api.do(t, "POST", "/api/v1/imports", raw{"application/x-ndjson", []byte(nd)}, bearer(admin)).ok(t, 200, &res)
		assert.Equal(t, intake.Summary{Rows: 3, Created: 1, Errors: 2}, res.Summary)
		require.Len(t, res.Results, 3)
		assert.Equal(t, "created", res.Results[0].Status)
		assert.Equal(t, intake.RowResult{Row: 2, ExternalRef: "P-7", Status: "error", Code: undox.EINVALID,
			Message: `the row is not a valid report: field "url" must be of type string`,
			Fields:  map[string]string{"row": `the row is not a valid report: field "url" must be of type string`}}, res.Results[1])
		assert.Equal(t, 3, res.Results[2].Row, "blank lines are no rows")
		assert.Equal(t, "error", res.Results[2].Status)
		assert.Empty(t, res.Results[2].ExternalRef, "a broken line has no reference to echo")

		p := api.do(t, "POST", "/api/v1/imports", raw{"text/csv", []byte("link,category\nhttps://x.example/,doxing\n")}, bearer(partner)).
			problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Detail, "unknown CSV column")
		api.do(t, "POST", "/api/v1/imports", raw{"application/json", []byte(" ")}, bearer(partner), nonconforming()).
			problem(t, 400, undox.EINVALID)
		api.do(t, "POST", "/api/v1/imports", raw{"text/plain", []byte("https://x.example/")}, bearer(partner), nonconforming()).
			problem(t, 415, undox.EUNSUPPORTED)
		api.do(t, "POST", "/api/v1/imports", raw{"text/csv", []byte(csv)}, bearer(analyst)).problem(t, 403, undox.EFORBIDDEN)
	})

	t.Run("captures", func(t *testing.T) {
		var rcpt undox.Receipt
		api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://paste.example/minor"},
			"category": "doxing", "is_minor": true}).ok(t, 201, &rcpt)
		var c undox.Case
		api.do(t, "GET", "/api/v1/cases/"+rcpt.CaseRef, nil, bearer(analyst)).ok(t, 200, &c)
		itemID := c.Items[0].ID
		path := "/api/v1/items/" + strconv.FormatInt(itemID, 10) + "/captures"
		var list struct{ Captures []undox.Capture }
		api.do(t, "GET", path, nil, bearer(analyst)).ok(t, 200, &list)
		assert.Empty(t, list.Captures)

		// What a capture job stores (capture's own tests fetch for real).
		body := []byte(`<html><title>Synthetic</title><script>alert(1)</script></html>`)
		shot := testPNG(t)
		target, err := e.store.CaptureTarget(e.ctx, itemID)
		require.NoError(t, err)
		require.Len(t, target.Cases, 1)
		cc := target.Cases[0]
		var files []undox.CaptureFile
		for _, f := range []struct {
			kind, media string
			data        []byte
		}{{undox.FileBody, "text/html", body}, {undox.FileScreenshot, "image/png", shot}} {
			ref, err := e.blobs.Put(e.ctx, bytes.NewReader(f.data), cc.Key, cc.Ref)
			require.NoError(t, err)
			files = append(files, undox.CaptureFile{Kind: f.kind, SHA256: ref.SHA256, Size: ref.Size, MediaType: f.media})
		}
		_, err = e.store.SaveCapture(e.ctx, undox.CaptureAttempt{ItemID: itemID, Observe: undox.ObserveCaptured, Captures: []undox.Capture{{
			CaseRef: cc.Ref, FetchedAt: time.Now(), RequestedBy: "system", HTTPStatus: 200, Files: files,
			BodySHA256: files[0].SHA256, ScreenshotSHA256: files[1].SHA256, Facts: []byte(`{"title":"Synthetic"}`)}}})
		require.NoError(t, err)

		api.do(t, "GET", path, nil, bearer(auditor)).ok(t, 200, &list)
		require.Len(t, list.Captures, 1)
		got := list.Captures[0]
		assert.Equal(t, rcpt.CaseRef, got.CaseRef)
		assert.True(t, got.IsMinor)
		assert.JSONEq(t, `{"title":"Synthetic"}`, string(got.Facts))
		filePath := "/api/v1/captures/" + strconv.FormatInt(got.ID, 10) + "/files/"

		// The captured page is a download, never a page.
		r := api.do(t, "GET", filePath+files[0].SHA256, nil, bearer(analyst))
		r.ok(t, 200, nil)
		assert.Equal(t, body, r.body)
		assert.Equal(t, "application/octet-stream", r.header.Get("Content-Type"))
		assert.True(t, strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment"))
		assert.Contains(t, r.header.Get("Content-Security-Policy"), "sandbox")

		// A minor's screenshot is blurred until revealed; the reveal is
		// audited and needs its own permission.
		r = api.do(t, "GET", filePath+files[1].SHA256, nil, bearer(auditor))
		r.ok(t, 200, nil)
		assert.Equal(t, "true", r.header.Get("X-Undox-Blurred"))
		assert.NotEqual(t, shot, r.body)
		_, _, err = image.Decode(bytes.NewReader(r.body))
		assert.NoError(t, err, "the blurred picture is an image")
		api.do(t, "GET", filePath+files[1].SHA256+"?reveal=1", nil, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
		r = api.do(t, "GET", filePath+files[1].SHA256+"?reveal=1", nil, bearer(analyst))
		r.ok(t, 200, nil)
		assert.Equal(t, shot, r.body)
		assert.Empty(t, r.header.Get("X-Undox-Blurred"))
		entries, err := e.store.AuditEntries(e.ctx, "capture", strconv.FormatInt(got.ID, 10))
		require.NoError(t, err)
		var actions []string
		for _, en := range entries {
			actions = append(actions, en.Action+" "+en.Actor)
		}
		assert.Equal(t, []string{"capture.file.read token:" + tokenID(t, e, "ana"), "capture.file.read token:" + tokenID(t, e, "aud"),
			"capture.reveal token:" + tokenID(t, e, "ana")}, actions)

		api.do(t, "GET", filePath+strings.Repeat("a", 64), nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
		api.do(t, "GET", "/api/v1/captures/999999/files/"+files[0].SHA256, nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)

		// Staff can ask for a new capture; referral-only content never.
		var queued map[string]any
		api.do(t, "POST", path, nil, bearer(analyst)).ok(t, 202, &queued)
		assert.Equal(t, true, queued["queued"])
		var b undox.Case
		api.do(t, "GET", "/api/v1/cases/"+rcptB.CaseRef, nil, bearer(analyst)).ok(t, 200, &b)
		api.do(t, "POST", "/api/v1/items/"+strconv.FormatInt(b.Items[0].ID, 10)+"/captures", nil, bearer(analyst)).problem(t, 403, undox.EFORBIDDEN)
		api.do(t, "POST", path, nil, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
	})

	t.Run("protected persons", func(t *testing.T) {
		path := "/api/v1/cases/" + rcptA.CaseRef + "/identifiers"
		var id undox.Identifier
		api.do(t, "POST", path, map[string]any{"kind": "phone", "value": "06 98 76 54 32"}, bearer(analyst)).ok(t, 201, &id)
		assert.Equal(t, 1, id.Person)
		api.do(t, "POST", path, map[string]any{"person": 2, "kind": "name", "value": "Syntha Testperson"}, bearer(analyst)).ok(t, 201, nil)
		api.do(t, "POST", path, map[string]any{"kind": "phone", "value": "x"}, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
		api.do(t, "POST", path, map[string]any{"kind": "shoe_size", "value": "42"}, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
		var list struct{ Identifiers []undox.Identifier }
		api.do(t, "GET", path, nil, bearer(auditor)).ok(t, 200, &list)
		require.Len(t, list.Identifiers, 2)
		assert.Equal(t, "06 98 76 54 32", list.Identifiers[0].Value)
		api.do(t, "DELETE", path+"/"+strconv.FormatInt(id.ID, 10), nil, bearer(analyst)).ok(t, 204, nil)
		api.do(t, "DELETE", path+"/"+strconv.FormatInt(id.ID, 10), nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
		api.do(t, "GET", path, nil, bearer(auditor)).ok(t, 200, &list)
		require.Len(t, list.Identifiers, 1)

		// A scan of another case's page found case A's person: a link
		// for an analyst to confirm.
		var rcpt undox.Receipt
		api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://forum.example/t/99"}}).ok(t, 201, &rcpt)
		var d undox.Case
		api.do(t, "GET", "/api/v1/cases/"+rcpt.CaseRef, nil, bearer(analyst)).ok(t, 200, &d)
		itemID := d.Items[0].ID
		target, err := e.store.CaptureTarget(e.ctx, itemID)
		require.NoError(t, err)
		person := undox.PersonID(rcptA.CaseRef, 2)
		_, err = e.store.SaveCapture(e.ctx, undox.CaptureAttempt{ItemID: itemID, Observe: undox.ObserveCaptured, Captures: []undox.Capture{{
			CaseRef: target.Cases[0].Ref, FetchedAt: time.Now(), RequestedBy: "system", HTTPStatus: 200, Files: []undox.CaptureFile{},
			Scan: &undox.ScanResult{Findings: []byte(`[]`), Summary: []byte(`{"kinds":{}}`), Severity: 55,
				Persons: []string{person}, PersonKinds: map[string][]string{person: {"name", "school"}}}}}})
		require.NoError(t, err)
		var links struct{ Links []undox.LinkSuggestion }
		api.do(t, "GET", "/api/v1/cases/"+rcptA.CaseRef+"/links", nil, bearer(auditor)).ok(t, 200, &links)
		require.Len(t, links.Links, 1)
		l := links.Links[0]
		assert.Equal(t, itemID, l.ItemID)
		assert.Equal(t, []string{"name", "school"}, l.Kinds)
		assert.Equal(t, "pending", l.Status)
		linkPath := "/api/v1/links/" + strconv.FormatInt(l.ID, 10)
		api.do(t, "POST", linkPath+"/confirm", nil, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
		api.do(t, "POST", linkPath+"/confirm", nil, bearer(analyst)).ok(t, 200, &l)
		assert.Equal(t, "confirmed", l.Status)
		api.do(t, "POST", linkPath+"/reject", nil, bearer(analyst)).problem(t, 409, undox.ETRANSITION)
		api.do(t, "POST", "/api/v1/links/999999/reject", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
		var a undox.Case
		api.do(t, "GET", "/api/v1/cases/"+rcptA.CaseRef, nil, bearer(analyst)).ok(t, 200, &a)
		var urls []string
		for _, it := range a.Items {
			urls = append(urls, it.URL)
		}
		assert.Contains(t, urls, l.URL, "the confirmed page is the case's item now")
		var it struct{ Severity int }
		api.do(t, "GET", "/api/v1/items/"+strconv.FormatInt(itemID, 10), nil, bearer(analyst)).ok(t, 200, &it)
		assert.Equal(t, 55, it.Severity)

		// The work queue: priority, then severity, then waiting time; a
		// page at a time.
		type queued struct {
			ID       int64
			Priority int
			Severity int
		}
		var all []queued
		after := ""
		for range 100 {
			var page struct {
				Items []queued
				Next  *string
			}
			api.do(t, "GET", "/api/v1/items?order=queue&limit=2"+after, nil, bearer(analyst)).ok(t, 200, &page)
			all = append(all, page.Items...)
			if page.Next == nil {
				break
			}
			after = "&after=" + *page.Next
		}
		var newest struct{ Items []queued }
		api.do(t, "GET", "/api/v1/items?limit=500", nil, bearer(analyst)).ok(t, 200, &newest)
		require.Len(t, all, len(newest.Items), "every item once")
		for i := 1; i < len(all); i++ {
			a, b := all[i-1], all[i]
			assert.True(t, a.Priority > b.Priority || a.Priority == b.Priority && (a.Severity > b.Severity ||
				a.Severity == b.Severity && a.ID < b.ID), "queue order at %d: %+v before %+v", i, a, b)
		}
		// The severe page comes before the pages of its priority that
		// no scan found dangerous.
		pos, prio, others := map[int64]int{}, 0, 0
		for i, q := range all {
			pos[q.ID] = i
			if q.ID == itemID {
				prio = q.Priority
			}
		}
		for _, q := range all {
			if q.Priority == prio && q.ID != itemID {
				others++
				assert.Less(t, pos[itemID], pos[q.ID])
			}
		}
		assert.Positive(t, others)
		api.do(t, "GET", "/api/v1/items?order=oldest", nil, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
		api.do(t, "GET", "/api/v1/items?order=queue&after=bm9wZQ", nil, bearer(analyst)).problem(t, 400, undox.EINVALID)
	})

	t.Run("traces", func(t *testing.T) {
		var c undox.Case
		api.do(t, "GET", "/api/v1/cases/"+rcptD.CaseRef, nil, bearer(analyst)).ok(t, 200, &c)
		id := c.Items[0].ID
		path := "/api/v1/items/" + strconv.FormatInt(id, 10)
		var list struct{ Traces []undox.Trace }
		api.do(t, "GET", path+"/traces", nil, bearer(auditor)).ok(t, 200, &list)
		assert.Empty(t, list.Traces)
		// What the trace job stores (trace's own tests trace for real).
		_, err := e.store.SaveTrace(e.ctx, id, "net:HOST-A", []byte(`{"url":"x","recipients":[]}`))
		require.NoError(t, err)
		_, err = e.store.SaveTrace(e.ctx, id, "net:HOST-B", []byte(`{"url":"x","recipients":[{"role":"host"}]}`))
		require.NoError(t, err)
		api.do(t, "GET", path+"/traces?limit=10", nil, bearer(auditor)).ok(t, 200, &list)
		require.Len(t, list.Traces, 2)
		assert.True(t, list.Traces[0].Moved, "newest first; the second host differs")
		assert.False(t, list.Traces[1].Moved)
		var it struct {
			HostMoved bool `json:"host_moved"`
		}
		api.do(t, "GET", path, nil, bearer(analyst)).ok(t, 200, &it)
		assert.True(t, it.HostMoved)
		api.do(t, "POST", path+"/host-moved/acknowledge", nil, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
		api.do(t, "POST", path+"/host-moved/acknowledge", nil, bearer(analyst)).ok(t, 200, &it)
		assert.False(t, it.HostMoved)
		var q map[string]any
		api.do(t, "POST", path+"/traces", nil, bearer(analyst)).ok(t, 202, &q)
		api.do(t, "POST", "/api/v1/items/999999/traces", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
	})

	t.Run("contacts", func(t *testing.T) {
		entry := map[string]any{"scope": "domain", "key": "Forum.Example", "role": "platform", "name": "Forum Example",
			"web_form": "https://forum.example/report", "language": "nl", "platform": true}
		var c undox.Contact
		api.do(t, "POST", "/api/v1/contacts", entry, bearer(analyst)).ok(t, 201, &c)
		assert.Equal(t, "forum.example", c.Key)
		assert.Equal(t, 1, c.Version)
		api.do(t, "POST", "/api/v1/contacts", entry, bearer(analyst)).problem(t, 409, undox.ECONFLICT)
		api.do(t, "POST", "/api/v1/contacts", entry, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
		p := api.do(t, "POST", "/api/v1/contacts", maps(entry, "key", "net.example", "email", "not an address"), bearer(analyst)).
			problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "email")
		api.do(t, "POST", "/api/v1/contacts", maps(entry, "colour", "red"), bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)

		id := strconv.FormatInt(c.ID, 10)
		api.do(t, "PUT", "/api/v1/contacts/"+id, maps(entry, "notes", "answers within a day"), bearer(supervisor)).ok(t, 200, &c)
		assert.Equal(t, 2, c.Version)
		var list struct{ Contacts []undox.Contact }
		api.do(t, "GET", "/api/v1/contacts", nil, bearer(auditor)).ok(t, 200, &list)
		require.Len(t, list.Contacts, 1)
		assert.Equal(t, "answers within a day", list.Contacts[0].Notes)
		api.do(t, "DELETE", "/api/v1/contacts/"+id, nil, bearer(analyst)).ok(t, 204, nil)
		api.do(t, "GET", "/api/v1/contacts", nil, bearer(auditor)).ok(t, 200, &list)
		assert.Empty(t, list.Contacts)
		var hist struct{ Versions []undox.ContactVersion }
		api.do(t, "GET", "/api/v1/contacts/"+id+"/history", nil, bearer(auditor)).ok(t, 200, &hist)
		require.Len(t, hist.Versions, 3)
		assert.Equal(t, "removed", hist.Versions[2].Change)
		api.do(t, "GET", "/api/v1/contacts/999999/history", nil, bearer(auditor)).problem(t, 404, undox.ENOTFOUND)
		api.do(t, "PUT", "/api/v1/contacts/999999", entry, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
	})

	t.Run("watched sites", func(t *testing.T) {
		type site struct {
			ID           int64
			URL          string
			EveryMinutes int `json:"every_minutes"`
			MaxPages     int `json:"max_pages"`
			Enabled      bool
			NextCrawlAt  time.Time `json:"next_crawl_at"`
		}
		var w site
		api.do(t, "POST", "/api/v1/watched-sites", map[string]any{"url": "https://DoxSite.example/victims/", "every_minutes": 60, "max_pages": 50},
			bearer(analyst)).ok(t, 201, &w)
		assert.Equal(t, "https://doxsite.example/victims/", w.URL)
		assert.Equal(t, 60, w.EveryMinutes)
		assert.Equal(t, 50, w.MaxPages)
		api.do(t, "POST", "/api/v1/watched-sites", map[string]any{"url": "https://doxsite.example/victims/"}, bearer(analyst)).problem(t, 409, undox.ECONFLICT)
		api.do(t, "POST", "/api/v1/watched-sites", map[string]any{"url": "https://other.example/"}, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
		p := api.do(t, "POST", "/api/v1/watched-sites", map[string]any{"url": "ftp://x", "every_minutes": 1}, bearer(analyst)).problem(t, 400, undox.EINVALID)
		assert.Contains(t, p.Errors, "url")
		assert.Contains(t, p.Errors, "every_minutes")
		api.do(t, "POST", "/api/v1/watched-sites", map[string]any{"url": "https://x.example/", "depth": 3}, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)

		id := strconv.FormatInt(w.ID, 10)
		var list struct{ Sites []site }
		api.do(t, "GET", "/api/v1/watched-sites", nil, bearer(auditor)).ok(t, 200, &list)
		require.Len(t, list.Sites, 1)
		assert.Equal(t, w.ID, list.Sites[0].ID)
		api.do(t, "GET", "/api/v1/watched-sites/"+id, nil, bearer(auditor)).ok(t, 200, &w)
		api.do(t, "GET", "/api/v1/watched-sites/999999", nil, bearer(auditor)).problem(t, 404, undox.ENOTFOUND)
		api.do(t, "POST", "/api/v1/watched-sites/"+id+"/crawl", nil, bearer(analyst)).ok(t, 202, &w)
		api.do(t, "POST", "/api/v1/watched-sites/"+id+"/stop", nil, bearer(analyst)).ok(t, 200, &w)
		assert.False(t, w.Enabled)
		api.do(t, "POST", "/api/v1/watched-sites/"+id+"/crawl", nil, bearer(analyst)).problem(t, 409, undox.ETRANSITION)
		api.do(t, "POST", "/api/v1/watched-sites/"+id+"/resume", nil, bearer(supervisor)).ok(t, 200, &w)
		assert.True(t, w.Enabled)
		api.do(t, "POST", "/api/v1/watched-sites/999999/stop", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
	})

	t.Run("notices", func(t *testing.T) {
		var rcpt undox.Receipt
		api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://paste.example/notice"}, "category": "doxing"}).ok(t, 201, &rcpt)
		var c undox.Case
		api.do(t, "GET", "/api/v1/cases/"+rcpt.CaseRef, nil, bearer(analyst)).ok(t, 200, &c)
		id := c.Items[0].ID
		path := "/api/v1/items/" + strconv.FormatInt(id, 10)
		// What capture and the trace job record (their own tests run them).
		_, err := e.store.ObserveItem(e.ctx, id, undox.ObserveCaptured, "", nil)
		require.NoError(t, err)
		_, err = e.store.SaveTrace(e.ctx, id, "net:HOST", []byte(`{"recipients":[{"role":"host","organisation":"Example Hosting","email":"abuse@hosting.example","notify":true,"source":"rdap"}]}`))
		require.NoError(t, err)

		api.do(t, "POST", path+"/confirm", map[string]string{"reason": "doxes a home address"}, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
		var confirmed struct {
			Item   undox.Item    `json:"item"`
			Notice *undox.Notice `json:"notice"`
		}
		api.do(t, "POST", path+"/confirm", map[string]string{"reason": "doxes a home address"}, bearer(analyst)).ok(t, 200, &confirmed)
		assert.Equal(t, undox.ItemConfirmed, confirmed.Item.Status)
		require.NotNil(t, confirmed.Notice)
		assert.Equal(t, undox.NoticePrepared, confirmed.Notice.Status)
		assert.Equal(t, "abuse@hosting.example", confirmed.Notice.Address)
		api.do(t, "POST", path+"/confirm", nil, bearer(analyst)).problem(t, 409, undox.ETRANSITION)
		api.do(t, "POST", "/api/v1/items/999999/confirm", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)

		// The approval queues the send job (this process sends nothing:
		// package takedown's tests send for real).
		nid := strconv.FormatInt(confirmed.Notice.ID, 10)
		api.do(t, "POST", "/api/v1/notices/"+nid+"/approve", nil, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
		var n undox.Notice
		api.do(t, "POST", "/api/v1/notices/"+nid+"/approve", nil, bearer(analyst)).ok(t, 202, &n)
		assert.Equal(t, undox.NoticeApproved, n.Status)
		api.do(t, "POST", "/api/v1/notices/"+nid+"/approve", nil, bearer(analyst)).problem(t, 409, undox.ETRANSITION)
		api.do(t, "POST", "/api/v1/notices/999999/approve", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
		// A host that takes notices only through its web form: an
		// analyst task, recorded as submitted once done.
		var manualRcpt undox.Receipt
		api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://formhost.example/notice"}, "category": "doxing"}).ok(t, 201, &manualRcpt)
		var mc undox.Case
		api.do(t, "GET", "/api/v1/cases/"+manualRcpt.CaseRef, nil, bearer(analyst)).ok(t, 200, &mc)
		mid := mc.Items[0].ID
		_, err = e.store.ObserveItem(e.ctx, mid, undox.ObserveCaptured, "", nil)
		require.NoError(t, err)
		_, err = e.store.SaveTrace(e.ctx, mid, "net:FORM", []byte(`{"recipients":[{"role":"host","organisation":"Form Hosting","web_form":"https://formhost.example/abuse","notify":true,"source":"rdap"}]}`))
		require.NoError(t, err)
		var manual struct {
			Notice *undox.Notice `json:"notice"`
		}
		api.do(t, "POST", "/api/v1/items/"+strconv.FormatInt(mid, 10)+"/confirm", map[string]string{"reason": "doxes a home address"}, bearer(analyst)).ok(t, 200, &manual)
		require.NotNil(t, manual.Notice)
		require.Equal(t, undox.NoticeManual, manual.Notice.Status)
		mnid := strconv.FormatInt(manual.Notice.ID, 10)
		api.do(t, "POST", "/api/v1/notices/"+mnid+"/submitted", nil, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
		var mn undox.Notice
		api.do(t, "POST", "/api/v1/notices/"+mnid+"/submitted", nil, bearer(analyst)).ok(t, 200, &mn)
		assert.Equal(t, undox.NoticeSent, mn.Status)
		assert.NotNil(t, mn.Deadline)
		api.do(t, "POST", "/api/v1/notices/"+mnid+"/submitted", nil, bearer(analyst)).problem(t, 409, undox.ETRANSITION)
		api.do(t, "POST", "/api/v1/notices/999999/submitted", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)
		var mi undox.Item
		api.do(t, "GET", "/api/v1/items/"+strconv.FormatInt(mid, 10), nil, bearer(analyst)).ok(t, 200, &mi)
		assert.Equal(t, undox.ItemNotified, mi.Status)
		// The case lists its items' notices.
		var withNotices struct {
			Items []struct {
				ID      int64
				Notices []undox.NoticeSummary
			}
		}
		api.do(t, "GET", "/api/v1/cases/"+caseRefOf(t, e, confirmed.Item.ID), nil, bearer(analyst)).ok(t, 200, &withNotices)
		var listed []undox.NoticeSummary
		for _, it := range withNotices.Items {
			if it.ID == confirmed.Item.ID {
				listed = it.Notices
			}
		}
		require.Len(t, listed, 1)
		assert.Equal(t, n.ID, listed[0].ID)
		assert.Equal(t, string(undox.NoticeApproved), listed[0].Status)
		assert.Equal(t, "host", listed[0].Role)

		// What the send job records (package takedown's tests send for real).
		token, err := secret.Token(32)
		require.NoError(t, err)
		_, err = e.store.SaveRendered(e.ctx, n.ID, sqlstore.Rendered{MessageID: "<undox-notice-1@hotline.example>",
			Subject: "Notice: https://paste.example/notice", Text: "The notice's text.", Message: []byte("m"), TokenHash: secret.Hash(token)})
		require.NoError(t, err)
		require.NoError(t, e.store.MarkNoticeSending(e.ctx, n.ID))
		require.NoError(t, e.store.MarkNoticeSent(e.ctx, n.ID, time.Now().Add(48*time.Hour)))

		var list struct{ Notices []undox.Notice }
		api.do(t, "GET", path+"/notices", nil, bearer(auditor)).ok(t, 200, &list)
		require.Len(t, list.Notices, 1)
		assert.Equal(t, undox.NoticeSent, list.Notices[0].Status)
		assert.NotNil(t, list.Notices[0].SentAt)
		assert.NotNil(t, list.Notices[0].Deadline)
		api.do(t, "GET", path+"/notices", nil, bearer(partner)).problem(t, 403, undox.EFORBIDDEN)
		api.do(t, "GET", "/api/v1/items/999999/notices", nil, bearer(auditor)).problem(t, 404, undox.ENOTFOUND)

		// The response page: opening it records nothing.
		r := api.do(t, "GET", "/respond/"+token, nil)
		r.ok(t, 200, nil)
		assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
		page := string(r.body)
		assert.Contains(t, page, "The notice&#39;s text.")
		assert.Contains(t, page, `<form method="post" action="/respond/`+token+`">`)
		assert.Contains(t, page, "Questions? Contact the notifier named in the notice.", "no invitation to reply by e-mail, which may go unread")
		assert.NotContains(t, page, "<script")
		api.do(t, "GET", "/assets/respond.css", nil).ok(t, 200, nil)
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
		require.NotNil(t, m)
		csrf := m[1]
		api.do(t, "GET", path+"/notices", nil, bearer(auditor)).ok(t, 200, &list)
		assert.Empty(t, list.Notices[0].Responses)

		form := func(v url.Values) raw { return raw{"application/x-www-form-urlencoded", []byte(v.Encode())} }
		// Without the form's token, or from another site: refused.
		api.do(t, "POST", "/respond/"+token, form(url.Values{"kind": {"removed"}})).ok(t, 403, nil)
		api.do(t, "POST", "/respond/"+token, form(url.Values{"kind": {"removed"}, "csrf": {csrf + "x"}})).ok(t, 403, nil)
		api.do(t, "POST", "/respond/"+token, form(url.Values{"kind": {"removed"}, "csrf": {csrf}}),
			header("Origin", "https://evil.example")).ok(t, 403, nil)
		api.do(t, "POST", "/respond/"+token, form(url.Values{"kind": {"disputed"}, "csrf": {csrf}})).ok(t, 400, nil)
		api.do(t, "GET", path+"/notices", nil, bearer(auditor)).ok(t, 200, &list)
		assert.Empty(t, list.Notices[0].Responses)

		r = api.do(t, "POST", "/respond/"+token, form(url.Values{"kind": {"removed"}, "csrf": {csrf}, "detail": {"taken down"}}),
			header("Origin", e.srv.URL))
		r.ok(t, 200, nil)
		assert.Contains(t, string(r.body), "was recorded")
		api.do(t, "GET", path+"/notices", nil, bearer(auditor)).ok(t, 200, &list)
		require.Len(t, list.Notices[0].Responses, 1)
		assert.Equal(t, undox.ResponseRemoved, list.Notices[0].Responses[0].Kind)
		assert.Equal(t, undox.NoticeAnswered, list.Notices[0].Status)
		// The link is anyone's who sees the notice: its answers are
		// bounded, five an hour.
		for range 4 {
			api.do(t, "POST", "/respond/"+token, form(url.Values{"kind": {"disputed"}, "detail": {"not us"}, "csrf": {csrf}}),
				header("Origin", e.srv.URL)).ok(t, 200, nil)
		}
		r = api.do(t, "POST", "/respond/"+token, form(url.Values{"kind": {"removed"}, "csrf": {csrf}}), header("Origin", e.srv.URL))
		r.ok(t, 429, nil)
		assert.Contains(t, string(r.body), "answered many times in the last hour")
		api.do(t, "GET", path+"/notices", nil, bearer(auditor)).ok(t, 200, &list)
		require.Len(t, list.Notices[0].Responses, 5)

		api.do(t, "GET", "/respond/"+strings.Repeat("x", 30), nil).ok(t, 404, nil)
		api.do(t, "POST", "/respond/"+strings.Repeat("x", 30), form(url.Values{"kind": {"removed"}, "csrf": {csrf}})).ok(t, 404, nil)
	})

	t.Run("rechecks", func(t *testing.T) {
		var rcpt undox.Receipt
		api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://paste.example/recheck"}, "category": "doxing"}).ok(t, 201, &rcpt)
		var c undox.Case
		api.do(t, "GET", "/api/v1/cases/"+rcpt.CaseRef, nil, bearer(analyst)).ok(t, 200, &c)
		id := c.Items[0].ID
		path := "/api/v1/items/" + strconv.FormatInt(id, 10)

		// "Check now" queues the check (package takedown's tests run it).
		api.do(t, "POST", path+"/recheck", nil, bearer(auditor)).problem(t, 403, undox.EFORBIDDEN)
		var q struct {
			ItemID int64 `json:"item_id"`
			Queued bool  `json:"queued"`
		}
		api.do(t, "POST", path+"/recheck", nil, bearer(analyst)).ok(t, 202, &q)
		assert.Equal(t, id, q.ItemID)
		assert.True(t, q.Queued)
		api.do(t, "POST", "/api/v1/items/999999/recheck", nil, bearer(analyst)).problem(t, 404, undox.ENOTFOUND)

		var list struct{ Checks []undox.Check }
		api.do(t, "GET", path+"/checks", nil, bearer(auditor)).ok(t, 200, &list)
		assert.Empty(t, list.Checks)
		// What the re-check job records.
		_, err := e.store.SaveCheck(e.ctx, sqlstore.CheckResult{Job: undox.RecheckJob{ItemID: id, Reason: undox.RecheckStaff},
			Outcome: undox.CheckGone, HTTPStatus: 404, Detail: "the page answers 404 Not Found", Absent: true})
		require.NoError(t, err)
		api.do(t, "GET", path+"/checks?limit=10", nil, bearer(auditor)).ok(t, 200, &list)
		require.Len(t, list.Checks, 1)
		assert.Equal(t, undox.CheckGone, list.Checks[0].Outcome)
		assert.Equal(t, 404, list.Checks[0].HTTPStatus)
		assert.True(t, list.Checks[0].Absent)
		assert.Nil(t, list.Checks[0].CaptureID)
		api.do(t, "GET", path+"/checks", nil, bearer(partner)).problem(t, 403, undox.EFORBIDDEN)
		api.do(t, "GET", "/api/v1/items/999999/checks", nil, bearer(auditor)).problem(t, 404, undox.ENOTFOUND)
	})

	t.Run("four-eyes requests", func(t *testing.T) { walkPendingActions(t, e, analyst, supervisor, auditor, partner) }) // pending_test.go

	t.Run("case audit", func(t *testing.T) {
		var a struct{ Entries []undox.AuditEntry }
		api.do(t, "GET", "/api/v1/cases/"+rcptA.CaseRef+"/audit", nil, bearer(supervisor)).ok(t, 200, &a)
		var actions, objects []string
		for _, en := range a.Entries {
			assert.Contains(t, []string{"case", "item", "notice", "capture"}, en.ObjectType)
			if en.ObjectType == "case" {
				assert.Equal(t, rcptA.CaseRef, en.ObjectID)
			}
			actions, objects = append(actions, en.Action), append(objects, en.ObjectType)
		}
		for _, want := range []string{"case.create", "case.read", "case.close", "case.reopen", "case.token.rotate"} {
			assert.Contains(t, actions, want)
		}
		assert.Contains(t, objects, "item", "the items' entries too")
		assert.Equal(t, "case.create", actions[0])
		assert.Equal(t, "public", a.Entries[0].Actor)
		var changes struct{ Entries []undox.AuditEntry }
		api.do(t, "GET", "/api/v1/cases/"+rcptA.CaseRef+"/audit?reads=false", nil, bearer(supervisor)).ok(t, 200, &changes)
		require.NotEmpty(t, changes.Entries)
		assert.Less(t, len(changes.Entries), len(a.Entries))
		for _, en := range changes.Entries {
			assert.NotRegexp(t, `\.(read|list)$`, en.Action)
		}
		api.do(t, "GET", "/api/v1/cases/"+rcptA.CaseRef+"/audit?reads=maybe", nil, bearer(supervisor), nonconforming()).problem(t, 400, undox.EINVALID)
		api.do(t, "GET", "/api/v1/cases/"+rcptA.CaseRef+"/audit", nil, bearer(auditor)).ok(t, 200, nil)
		api.do(t, "GET", "/api/v1/cases/"+rcptA.CaseRef+"/audit", nil, bearer(analyst)).problem(t, 403, undox.EFORBIDDEN)
		api.do(t, "GET", "/api/v1/cases/UDX-0000-0000-0000/audit", nil, bearer(auditor)).problem(t, 404, undox.ENOTFOUND)
	})

	t.Run("checkpoint", func(t *testing.T) {
		cp, err := e.log.Integrate(e.ctx, 0)
		require.NoError(t, err)
		require.NotNil(t, cp)
		var got checkpoint
		api.do(t, "GET", "/api/v1/audit/checkpoint", nil).ok(t, 200, &got)
		assert.GreaterOrEqual(t, got.TreeSize, cp.TreeSize)
		assert.Equal(t, e.vkey, got.VerifierKey)
		root, err := base64.StdEncoding.DecodeString(got.RootHash)
		require.NoError(t, err)
		assert.Len(t, root, 32)
		v, err := note.NewVerifier(got.VerifierKey)
		require.NoError(t, err)
		size, hash, err := audit.ParseCheckpoint([]byte(got.Note), v)
		require.NoError(t, err, "the note verifies with the handed-out key")
		assert.Equal(t, got.TreeSize, size)
		assert.Equal(t, root, hash[:])
		assert.False(t, got.CreatedAt.IsZero())
	})

	t.Run("metrics", func(t *testing.T) {
		api.do(t, "GET", "/metrics", nil, nonconforming()).problem(t, 401, undox.EUNAUTHORIZED)
		api.do(t, "GET", "/metrics", nil, bearer(partner)).problem(t, 403, undox.EFORBIDDEN)
		r := api.do(t, "GET", "/metrics", nil, bearer(auditor))
		r.ok(t, 200, nil)
		assert.Contains(t, string(r.body), `undox_http_requests_total{code="201",method="POST",route="POST /api/v1/reports"}`)
	})

	t.Run("unrouted", func(t *testing.T) {
		// Outside the document: answered as problems all the same.
		doc := e.v.doc
		problem := doc.Components.Schemas["Problem"].Value
		for _, c := range []struct {
			method, path string
			status       int
			code         string
		}{
			{"GET", "/api/v1/nothing-here", 404, undox.ENOTFOUND},
			{"DELETE", "/api/v1/cases", 405, "method_not_allowed"},
		} {
			req, err := http.NewRequest(c.method, e.srv.URL+c.path, nil)
			require.NoError(t, err)
			resp, err := e.srv.Client().Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, c.status, resp.StatusCode, c.path)
			assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			var v any
			require.NoError(t, json.Unmarshal(b, &v))
			assert.NoError(t, problem.VisitJSON(v), "%s %s: %s", c.method, c.path, b)
			assert.Equal(t, c.code, v.(map[string]any)["code"])
		}
	})

	t.Run("staff pages", func(t *testing.T) { walkStaff(t, e) }) // login_test.go

	t.Run("dashboard and admin pages", func(t *testing.T) { walkAdmin(t, e) }) // admin_test.go
	t.Run("watched sites' page", func(t *testing.T) { walkSites(t, e) })       // sites_page_test.go

	t.Run("console", func(t *testing.T) { walkConsole(t, e) }) // console_test.go

	t.Run("victim portal: links, erasure", func(t *testing.T) { portalWalk(t, e, supervisor) }) // portal_test.go

	t.Run("stats", func(t *testing.T) { walkStats(t, e, analyst, auditor, partner) }) // web/stats_test.go

	t.Run("notice templates", func(t *testing.T) { walkNoticeTemplates(t, e, admin, analyst) }) // notice_template_test.go

	t.Run("dossiers and timeline", func(t *testing.T) {
		c, err := e.store.Case(context.Background(), undox.System, rcptA.CaseRef)
		require.NoError(t, err)
		walkDossiers(t, e, analyst, auditor, c.Items[0].ID, rcptA.CaseRef) // notice_template_test.go
	})
	assert.Empty(t, e.v.uncovered(), "operations of openapi.json that the walk never called")
}

func maps(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// TestOpenAPIPermissions calls every staff operation without a token (401)
// and with a token of every role: it is refused with 403 exactly when the
// role lacks the permission the document names.
func TestOpenAPIPermissions(t *testing.T) {
	e := newEnv(t, nil)
	tokens := map[undox.Role]string{}
	for _, r := range roles {
		tokens[r] = e.token(t, "t-"+string(r), r)
	}
	var rcpt undox.Receipt
	e.api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://paste.example/perm"}}).ok(t, 201, &rcpt)
	var c undox.Case
	e.api.do(t, "GET", "/api/v1/cases/"+rcpt.CaseRef, nil, bearer(tokens[undox.RoleAdmin])).ok(t, 200, &c)
	require.Len(t, c.Items, 1)

	// Arguments that change nothing when allowed: unknown objects, a
	// refused step, an import with a bad header.
	fill := strings.NewReplacer("{ref}", "UDX-0000-0000-0000", "{id}", "999999", "{action}", "close", "{sha256}", strings.Repeat("0", 64))
	bodies := map[string]any{
		"PUT /api/v1/cases/{ref}/hold": map[string]string{"reason": "test"},
		"POST /api/v1/imports":         raw{"text/csv", []byte("nope\n")},
		// No channel: refused by the server once the role may write.
		"POST /api/v1/contacts":                      map[string]any{"scope": "domain", "key": "x.example", "role": "host", "name": "n"},
		"PUT /api/v1/contacts/{id}":                  map[string]any{"scope": "domain", "key": "x.example", "role": "host", "name": "n"},
		"PUT /api/v1/notice-templates/{lang}/{name}": map[string]any{"source": "Version: x\nSubject: s\n\nbody"},
		"POST /api/v1/dossiers/{id}/sent":            map[string]any{"reference": "r"},
		// An unknown case.
		"POST /api/v1/cases/{ref}/identifiers": map[string]any{"kind": "name", "value": "n"},
		// Not a site: refused once the role may act.
		"POST /api/v1/watched-sites": map[string]any{"url": "ftp://nope"},
		// An unknown item.
		"POST /api/v1/items/{id}/confirm": map[string]string{"reason": "test"},
	}
	doc := e.v.doc
	n := 0
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			perm, ok := op.Extensions["x-permission"].(string)
			if !ok {
				continue
			}
			r := e.api.do(t, method, fill.Replace(path), bodies[method+" "+path], nonconforming())
			r.problem(t, http.StatusUnauthorized, undox.EUNAUTHORIZED)
			assert.Equal(t, `Bearer realm="undox"`, r.header.Get("WWW-Authenticate"))
			for _, role := range roles {
				r := e.api.do(t, method, fill.Replace(path), bodies[method+" "+path], bearer(tokens[role]))
				if role.Can(undox.Permission(perm)) {
					assert.NotEqual(t, http.StatusForbidden, r.status, "%s %s as %s (has %s): %s", method, path, role, perm, r.body)
				} else {
					assert.Equal(t, http.StatusForbidden, r.status, "%s %s as %s (lacks %s): %s", method, path, role, perm, r.body)
				}
				n++
			}
		}
	}
	assert.Greater(t, n, 50)
}

// TestOpenAPIRateLimit checks the documented 429.
func TestOpenAPIRateLimit(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.ReportsPerMinute, c.ReportBurst = 1, 1 })
	rep := map[string]any{"urls": []string{"https://paste.example/rate"}}
	e.api.do(t, "POST", "/api/v1/reports", rep).ok(t, 201, nil)
	r := e.api.do(t, "POST", "/api/v1/reports", rep)
	r.problem(t, 429, undox.ERATELIMIT)
	assert.Equal(t, "60", r.header.Get("Retry-After"))
}

// TestOpenAPINotReady checks the documented 503.
func TestOpenAPINotReady(t *testing.T) {
	e := newEnv(t, func(c *web.Config) {
		c.Ready = func(context.Context) error { return errors.New("3 migrations pending") }
	})
	p := e.api.do(t, "GET", "/readyz", nil).problem(t, 503, undox.EUNAVAILABLE)
	assert.Contains(t, p.Detail, "not ready")
}

// TestOpenAPIImportTooLarge checks that an import larger than the limit is
// answered for the rows read, with the documented reason in
// summary.stopped.
func TestOpenAPIImportTooLarge(t *testing.T) {
	const limit = 333
	e := newEnv(t, func(c *web.Config) { c.MaxImportBytes = limit })
	admin := e.token(t, "adm", undox.RoleAdmin)
	for _, c := range []struct {
		contentType string
		row         func(i int) string
		head, sep   string
		tail        string
	}{
		{"text/csv", func(i int) string { return fmt.Sprintf("https://paste.example/csv-%02d,R-%02d\n", i, i) }, "url,external_ref\n", "", ""},
		{"application/json", func(i int) string {
			return fmt.Sprintf(`{"url":"https://paste.example/json-%02d","external_ref":"J-%02d"}`, i, i)
		}, "[", ",", "]"},
		{"application/x-ndjson", func(i int) string {
			return fmt.Sprintf(`{"url":"https://paste.example/nd-%02d","external_ref":"N-%02d"}`+"\n", i, i)
		}, "", "", ""},
	} {
		t.Run(c.contentType, func(t *testing.T) {
			var sb strings.Builder
			sb.WriteString(c.head)
			for i := 1; i <= 40; i++ {
				if i > 1 {
					sb.WriteString(c.sep)
				}
				sb.WriteString(c.row(i))
			}
			sb.WriteString(c.tail)
			var res importResult
			e.api.do(t, "POST", "/api/v1/imports", raw{c.contentType, []byte(sb.String())}, bearer(admin)).ok(t, 200, &res)
			assert.Equal(t, fmt.Sprintf("the import is larger than %d bytes; the rest was not read", limit), res.Summary.Stopped)
			assert.Positive(t, res.Summary.Created)
			assert.Less(t, res.Summary.Rows, 40)
			assert.Zero(t, res.Summary.Errors, "a row cut off by the limit is not a bad row: %+v", res.Results)
		})
	}
}

// TestOpenAPIInputIsChecked holds the API to its own rule that a typo is an
// error, not something silently ignored: values outside the document's
// enumerations and fields it does not list are refused with 400.
func TestOpenAPIInputIsChecked(t *testing.T) {
	e := newEnv(t, nil)
	analyst := e.token(t, "ana", undox.RoleAnalyst)
	e.api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://paste.example/typo"}}).ok(t, 201, nil)

	for _, c := range []struct{ path, field string }{
		{"/api/v1/cases?status=opne", "status"},
		{"/api/v1/cases?category=doxxing", "category"},
		{"/api/v1/items?status=gone", "status"},
	} {
		t.Run(c.path, func(t *testing.T) {
			p := e.api.do(t, "GET", c.path, nil, bearer(analyst), nonconforming()).problem(t, 400, undox.EINVALID)
			assert.Contains(t, p.Errors, c.field)
		})
	}
	// Values the document lists are accepted.
	e.api.do(t, "GET", "/api/v1/cases?status=erased&category=terrorist_content", nil, bearer(analyst)).ok(t, 200, nil)
	e.api.do(t, "GET", "/api/v1/items?status=reappeared", nil, bearer(analyst)).ok(t, 200, nil)

	// external_ref is a field of imports only; a public report with it is
	// refused like any unknown field instead of dropping it silently.
	t.Run("external_ref", func(t *testing.T) {
		p := e.api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://paste.example/typo"}, "external_ref": "X-1"},
			nonconforming()).problem(t, 400, undox.EINVALID)
		assert.Equal(t, map[string]string{"external_ref": `unknown field "external_ref"`}, p.Errors)
	})
}

// testPNG is a small synthetic picture with detail to blur.
func testPNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 40; x++ {
			if (x/4+y/4)%2 == 0 {
				img.Set(x, y, color.RGBA{10, 120, 200, 255})
			}
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// tokenID is the id and name of the token named name, as actor labels
// show it.
func tokenID(t testing.TB, e *env, name string) string {
	t.Helper()
	var id int64
	require.NoError(t, e.store.DB().SQL.QueryRow(`SELECT id FROM tokens WHERE name = $1`, name).Scan(&id))
	return strconv.FormatInt(id, 10) + ":" + name
}

// caseRefOf returns the reference of a case that an item belongs to.
func caseRefOf(t testing.TB, e *env, itemID int64) string {
	t.Helper()
	var ref string
	require.NoError(t, e.store.DB().SQL.QueryRow(`SELECT c.ref FROM cases c JOIN case_items ci ON ci.case_id = c.id WHERE ci.item_id = $1`, itemID).Scan(&ref))
	return ref
}
