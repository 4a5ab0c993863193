package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
)

// Reports are stored by one writer that commits whatever reports are
// waiting in one transaction (group commit): under load, hundreds of
// reports share one commit — one write of the WAL on SQLite, one flush on
// PostgreSQL — and a handful of multi-row statements. Each report is
// answered only after its transaction committed. When a batch fails as a
// whole (say, a concurrent process took an idempotency key), each of its
// reports is stored again on its own, so one report cannot sink another.

// maxBatch bounds the reports in one transaction.
const maxBatch = 256

type createReq struct {
	actor undox.Actor
	nc    undox.NewCase
	prep  *preparedCase
	done  chan createRes
}

// preparedCase is the work on a report that needs no database: done by
// the reporter's own request, so that the single writer does only what it
// must.
type preparedCase struct {
	urls                 []string // distinct, in order
	category             string
	key, wrapped         []byte // the case's data key, and wrapped by the master key
	email, desc, receipt []byte // sealed
	out                  undox.Receipt
}

func (s *Store) prepare(nc undox.NewCase) (*preparedCase, error) {
	p := &preparedCase{category: nc.Report.Category}
	if p.category == "" {
		p.category = undox.CategoryUnassessed
	}
	seen := map[string]bool{}
	for _, u := range nc.Report.URLs {
		if !seen[u] {
			seen[u] = true
			p.urls = append(p.urls, u)
		}
	}
	var err error
	if p.key, p.wrapped, err = s.keys.NewDataKey(); err != nil {
		return nil, err
	}
	if p.email, err = s.sealField(p.key, nc.Ref, "reporter_email", nc.Report.ReporterEmail); err != nil {
		return nil, err
	}
	if p.desc, err = s.sealField(p.key, nc.Ref, "description", nc.Report.Description); err != nil {
		return nil, err
	}
	p.out = nc.Receipt
	p.out.CaseRef = nc.Ref
	p.out.Items = len(p.urls)
	if nc.Idempotency != nil {
		b, _ := json.Marshal(p.out)
		if p.receipt, err = s.sealField(p.key, nc.Ref, "receipt", string(b)); err != nil {
			return nil, err
		}
	}
	return p, nil
}

type createRes struct {
	r   undox.Receipt
	err error
}

// CreateCase implements undox.CaseStore.
func (s *Store) CreateCase(ctx context.Context, actor undox.Actor, nc undox.NewCase) (undox.Receipt, error) {
	prep, err := s.prepare(nc)
	if err != nil {
		return undox.Receipt{}, err
	}
	req := &createReq{actor: actor, nc: nc, prep: prep, done: make(chan createRes, 1)}
	s.writerOnce.Do(func() { go s.writer() })
	select {
	case <-s.quit:
		return undox.Receipt{}, undox.Errorf(undox.EUNAVAILABLE, "undox is shutting down")
	default:
	}
	select {
	case s.pending <- req:
	case <-ctx.Done():
		return undox.Receipt{}, ctx.Err()
	case <-s.quit:
		return undox.Receipt{}, undox.Errorf(undox.EUNAVAILABLE, "undox is shutting down")
	}
	select {
	case res := <-req.done:
		return res.r, res.err
	case <-ctx.Done():
		// The report may still be stored: a retry with the same
		// Idempotency-Key will tell.
		return undox.Receipt{}, ctx.Err()
	}
}

// Close stops the report writer; reports already taken are answered.
func (s *Store) Close() {
	s.closeOnce.Do(func() { close(s.quit) })
}

func (s *Store) writer() {
	var carry []*createReq
	for {
		batch := carry
		carry = nil
		if len(batch) == 0 {
			select {
			case r := <-s.pending:
				batch = append(batch, r)
			case <-s.quit:
				return
			}
		}
		// Take what is waiting; give requests being decoded right now one
		// chance to join (a yield, not a timer: an idle writer adds no
		// latency).
		for yielded := false; ; yielded = true {
			batch = s.drain(batch)
			if yielded || len(batch) >= maxBatch {
				break
			}
			runtime.Gosched()
		}
		carry = s.writeBatch(batch)
	}
}

// drain adds the reports waiting, up to maxBatch.
func (s *Store) drain(batch []*createReq) []*createReq {
	for len(batch) < maxBatch {
		select {
		case r := <-s.pending:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// writeBatch stores a batch and answers its reports. Reports that share an
// idempotency key or external reference with an earlier one in the batch
// wait for the next batch, where they find it stored; they are returned.
func (s *Store) writeBatch(batch []*createReq) []*createReq {
	var now, later []*createReq
	seen := map[string]bool{}
	for _, r := range batch {
		var keys []string
		if r.nc.Idempotency != nil {
			keys = append(keys, "k\x00"+r.nc.Idempotency.Key)
		}
		if r.nc.Partner != "" && r.nc.Report.ExternalRef != "" {
			keys = append(keys, "x\x00"+r.nc.Partner+"\x00"+r.nc.Report.ExternalRef)
		}
		dup := false
		for _, k := range keys {
			dup = dup || seen[k]
		}
		if dup {
			later = append(later, r)
			continue
		}
		for _, k := range keys {
			seen[k] = true
		}
		now = append(now, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	defer func() {
		// A fault here must not leave reporters waiting for ever.
		if v := recover(); v != nil {
			for _, r := range append(now, later...) {
				select {
				case r.done <- createRes{err: fmt.Errorf("sqlstore: storing reports: %v", v)}:
				default:
				}
			}
		}
	}()
	res, err := s.storeReports(ctx, now)
	if err != nil {
		res = make([]createRes, len(now))
		if len(now) == 1 {
			res[0].err = err
		}
		for i, r := range now {
			if len(now) == 1 {
				break
			}
			one, err := s.storeReports(ctx, []*createReq{r})
			if err != nil {
				res[i].err = err
			} else {
				res[i] = one[0]
			}
		}
	}
	for i := range now {
		if res[i].err == nil {
			s.capturesWaiting()
			break
		}
	}
	for i, r := range now {
		if res[i].err != nil && isUnique(res[i].err) {
			res[i].err = undox.Errorf(undox.ECONFLICT, "the report conflicts with one stored at the same time; submit it again")
		}
		r.done <- res[i]
	}
	return later
}

// storeReports stores reports in one transaction. A unique violation (a
// concurrent process stored the same idempotency key or external
// reference) is retried once: the retry finds what the other stored.
func (s *Store) storeReports(ctx context.Context, reqs []*createReq) ([]createRes, error) {
	res := make([]createRes, len(reqs))
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			res, err = s.insertReports(ctx, tx, reqs)
			return err
		})
		if err == nil || !isUnique(err) {
			break
		}
	}
	return res, err
}

// newCase is a report that becomes a case in this transaction.
type newCase struct {
	i    int
	id   int64
	prep *preparedCase
}

// itemAgg is what a batch adds to one item.
type itemAgg struct {
	host     string
	count    int
	category string
	rank     int
	minor    bool
	priority int
	id       int64
}

func (s *Store) insertReports(ctx context.Context, tx *sql.Tx, reqs []*createReq) ([]createRes, error) {
	res := make([]createRes, len(reqs))
	done := make([]bool, len(reqs))
	now := micros(s.now())
	if err := s.resolveIdempotent(ctx, tx, reqs, res, done); err != nil {
		return nil, err
	}
	if err := s.resolveExternalRefs(ctx, tx, reqs, res, done); err != nil {
		return nil, err
	}

	// Cases, with their personal fields sealed under their own keys.
	var cases []*newCase
	var caseRows [][]any
	for i, r := range reqs {
		if done[i] {
			continue
		}
		nc, rep, p := r.nc, r.nc.Report, r.prep
		c := &newCase{i: i, prep: p}
		var partner, extRef any
		if nc.Partner != "" {
			partner = nc.Partner
			if rep.ExternalRef != "" {
				extRef = rep.ExternalRef
			}
		}
		cases = append(cases, c)
		caseRows = append(caseRows, []any{nc.Ref, p.category, nc.Handling.Code, rep.IsMinor, rep.Language, "open",
			rep.Consent, nc.Source, partner, extRef, nc.Priority, nc.StatusTokenHash, p.wrapped, p.email, p.desc, now, now, now})
	}
	if len(cases) == 0 {
		return res, nil
	}
	byRef := make(map[string]*newCase, len(cases))
	for _, c := range cases {
		byRef[reqs[c.i].nc.Ref] = c
	}
	err := s.insertRows(ctx, tx, insertCases, caseRows, func(rows *sql.Rows) error {
		var (
			id  int64
			ref string
		)
		if err := rows.Scan(&id, &ref); err != nil {
			return err
		}
		byRef[ref].id = id
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Items: one row per URL, however many reports of the batch name it.
	// Each keeps the most serious category and the highest priority it
	// was reported with; once any case reports it as referral-only
	// content, it is never fetched.
	items := map[string]*itemAgg{}
	var order []string
	for _, c := range cases {
		nc := reqs[c.i].nc
		rank := undox.Priority(nc.Handling, false)
		for _, u := range c.prep.urls {
			a := items[u]
			if a == nil {
				host := ""
				if pu, err := url.Parse(u); err == nil {
					host = pu.Hostname()
				}
				a = &itemAgg{host: host, category: nc.Handling.Code, rank: rank, priority: nc.Priority}
				items[u] = a
				order = append(order, u)
			}
			a.count++
			a.minor = a.minor || nc.Report.IsMinor
			a.priority = max(a.priority, nc.Priority)
			if rank > a.rank {
				a.rank, a.category = rank, nc.Handling.Code
			}
		}
	}
	itemRows := make([][]any, len(order))
	for j, u := range order {
		a := items[u]
		itemRows[j] = []any{u, a.host, "new", a.count, a.category, a.rank, a.minor, a.priority, now, now}
	}
	err = s.insertRows(ctx, tx, upsertItems, itemRows, func(rows *sql.Rows) error {
		var (
			id int64
			u  string
		)
		if err := rows.Scan(&id, &u); err != nil {
			return err
		}
		items[u].id = id
		return nil
	})
	if err != nil {
		return nil, err
	}

	var links, idem [][]any
	var audit []auditEntry
	var referral []int64
	for _, c := range cases {
		r := reqs[c.i]
		nc := r.nc
		label := r.actor.Label()
		if nc.Handling.ReferralOnly {
			referral = append(referral, c.id)
		}
		// One entry records the case and the items it links: the audit
		// log is written for every report, so it is kept to one row.
		var sb strings.Builder
		sb.WriteString("category=" + c.prep.category + " handling=" + nc.Handling.Code + " minor=" + strconv.FormatBool(nc.Report.IsMinor) +
			" source=" + nc.Source + " items=")
		for j, u := range c.prep.urls {
			id := items[u].id
			links = append(links, []any{c.id, id, now})
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatInt(id, 10))
		}
		audit = append(audit, auditEntry{label, "case.create", "case", nc.Ref, sb.String()})
		if nc.Idempotency != nil {
			idem = append(idem, []any{nc.Idempotency.Key, nc.Idempotency.RequestHash, c.id, c.prep.receipt, now})
		}
		res[c.i] = createRes{r: c.prep.out}
	}
	if err := s.insertRows(ctx, tx, insertCaseItems, links, nil); err != nil {
		return nil, err
	}
	if err := s.insertRows(ctx, tx, insertIdempotency, idem, nil); err != nil {
		return nil, err
	}
	if err := s.auditMany(ctx, tx, audit); err != nil {
		return nil, err
	}
	// Referral-only content is routed to its authority by a job, queued
	// here so that it exists exactly when the cases do. The other cases'
	// items wait for the capture dispatch (dispatched = 0 on the item).
	if len(referral) > 0 {
		if err := s.enqueue(ctx, tx, undox.TriageJob{CaseIDs: referral}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// resolveIdempotent answers the reports whose Idempotency-Key was used
// before: the same request gets the stored receipt, another request an
// error. Expired keys are forgotten.
func (s *Store) resolveIdempotent(ctx context.Context, tx *sql.Tx, reqs []*createReq, res []createRes, done []bool) error {
	var keys []any
	for _, r := range reqs {
		if r.nc.Idempotency != nil {
			keys = append(keys, r.nc.Idempotency.Key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	type stored struct {
		hash, sealed, wrapped []byte
		created               int64
		ref                   string
	}
	found := map[string]stored{}
	err := s.selectIn(ctx, tx, `SELECT k.key, k.request_hash, k.receipt_enc, k.created_at, c.ref, c.data_key
        FROM idempotency_keys k JOIN cases c ON c.id = k.case_id
        WHERE k.key IN `, keys, func(rows *sql.Rows) error {
		var (
			k  string
			st stored
		)
		if err := rows.Scan(&k, &st.hash, &st.sealed, &st.created, &st.ref, &st.wrapped); err != nil {
			return err
		}
		found[k] = st
		return nil
	})
	if err != nil {
		return err
	}
	var expired []any
	for i, r := range reqs {
		if r.nc.Idempotency == nil {
			continue
		}
		st, ok := found[r.nc.Idempotency.Key]
		if !ok {
			continue
		}
		if s.now().Sub(fromMicros(st.created)) > IdempotencyTTL {
			expired = append(expired, r.nc.Idempotency.Key)
			continue
		}
		done[i] = true
		if !bytes.Equal(st.hash, r.nc.Idempotency.RequestHash) {
			res[i].err = undox.Errorf(undox.EIDEMPOTENCY,
				"this Idempotency-Key was used for a different request; use a new key for a new report")
			continue
		}
		if st.wrapped == nil || st.sealed == nil {
			res[i].err = undox.Errorf(undox.EERASED, "the case of this request has been erased")
			continue
		}
		key, err := s.keys.Unwrap(st.wrapped)
		if err != nil {
			return err
		}
		plain, err := s.openField(key, st.ref, "receipt", st.sealed)
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(plain), &res[i].r); err != nil {
			return err
		}
		res[i].r.Duplicate = true
	}
	if len(expired) > 0 {
		return s.selectIn(ctx, tx, `DELETE FROM idempotency_keys WHERE key IN `, expired, nil)
	}
	return nil
}

// resolveExternalRefs answers the imported rows whose external reference
// the same partner imported before: with the case it made then.
func (s *Store) resolveExternalRefs(ctx context.Context, tx *sql.Tx, reqs []*createReq, res []createRes, done []bool) error {
	var refs []any
	for i, r := range reqs {
		if !done[i] && r.nc.Partner != "" && r.nc.Report.ExternalRef != "" {
			refs = append(refs, r.nc.Report.ExternalRef)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	found := map[[2]string]string{}
	err := s.selectIn(ctx, tx, `SELECT partner, external_ref, ref FROM cases WHERE external_ref IN `, refs, func(rows *sql.Rows) error {
		var p, x, ref string
		if err := rows.Scan(&p, &x, &ref); err != nil {
			return err
		}
		found[[2]string{p, x}] = ref
		return nil
	})
	if err != nil {
		return err
	}
	for i, r := range reqs {
		if done[i] || r.nc.Partner == "" || r.nc.Report.ExternalRef == "" {
			continue
		}
		if ref, ok := found[[2]string{r.nc.Partner, r.nc.Report.ExternalRef}]; ok {
			done[i] = true
			res[i].r = undox.Receipt{CaseRef: ref, Duplicate: true}
		}
	}
	return nil
}

// insertSpec is a multi-row INSERT: head VALUES (…),(…) tail.
type insertSpec struct {
	head string
	cols int
	tail string
}

// The multi-row statements of the report writer.
var (
	insertCases = insertSpec{`INSERT INTO cases (ref, category, handling, is_minor, language, status,
            consent, source, partner, external_ref, priority, status_token_hash, data_key, reporter_email_enc, description_enc,
            created_at, updated_at, status_at)`, 18, `RETURNING id, ref`}
	insertCaseItems = insertSpec{`INSERT INTO case_items (case_id, item_id, created_at)`, 3, ``}
	upsertItems     = insertSpec{`INSERT INTO items (url, host, status, report_count, category, category_rank, is_minor, priority, created_at, updated_at)`, 10,
		`ON CONFLICT (url) DO UPDATE SET
            updated_at = excluded.updated_at,
            report_count = items.report_count + excluded.report_count,
            is_minor = (items.is_minor OR excluded.is_minor),
            priority = CASE WHEN items.priority < excluded.priority THEN excluded.priority ELSE items.priority END,
            category = CASE WHEN items.category_rank < excluded.category_rank THEN excluded.category ELSE items.category END,
            category_rank = CASE WHEN items.category_rank < excluded.category_rank THEN excluded.category_rank ELSE items.category_rank END,
            dispatched = 0
        RETURNING id, url`}
	insertIdempotency = insertSpec{`INSERT INTO idempotency_keys (key, request_hash, case_id, receipt_enc, created_at)`, 5, ``}
	insertAudit       = insertSpec{`INSERT INTO audit_entries (created_at, actor, action, object_type, object_id, detail)`, 6, ``}
)

// maxParams keeps one statement well under SQLite's (32766) and
// PostgreSQL's (65535) limits on parameters.
const maxParams = 30000

// sqliteChunks are the row counts of SQLite's multi-row statements: n rows
// are split into these counts (30 rows: 16, 8, 4, 2), so that the few
// statement texts stay prepared in the connection's statement cache.
var sqliteChunks = []int{256, 128, 64, 32, 16, 8, 4, 2, 1}

func (s *Store) statement(spec insertSpec, rows int) string {
	var sb strings.Builder
	sb.WriteString(spec.head)
	sb.WriteString(" VALUES ")
	n := 0
	for r := 0; r < rows; r++ {
		if r > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for c := 0; c < spec.cols; c++ {
			if c > 0 {
				sb.WriteByte(',')
			}
			n++
			s.placeholder(&sb, n)
		}
		sb.WriteByte(')')
	}
	sb.WriteByte(' ')
	sb.WriteString(spec.tail)
	return sb.String()
}

// insertRows inserts rows by spec, many rows per statement; scan reads
// each RETURNING row.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, spec insertSpec, rows [][]any, scan func(*sql.Rows) error) error {
	for start := 0; start < len(rows); {
		n := len(rows) - start
		if s.db.Dialect == SQLite {
			for _, c := range sqliteChunks {
				if c <= n {
					n = c
					break
				}
			}
		} else {
			n = min(n, max(1, maxParams/spec.cols))
		}
		chunk := rows[start : start+n]
		start += n
		args := make([]any, 0, n*spec.cols)
		for _, row := range chunk {
			args = append(args, row...)
		}
		if err := run(ctx, tx, s.statement(spec, n), args, scan); err != nil {
			return err
		}
	}
	return nil
}

// selectIn runs head (…values…) for values in chunks.
func (s *Store) selectIn(ctx context.Context, tx querier, head string, values []any, scan func(*sql.Rows) error) error {
	for start := 0; start < len(values); start += maxParams {
		chunk := values[start:min(start+maxParams, len(values))]
		var sb strings.Builder
		sb.WriteString(head)
		sb.WriteByte('(')
		for i := range chunk {
			if i > 0 {
				sb.WriteByte(',')
			}
			s.placeholder(&sb, i+1)
		}
		sb.WriteByte(')')
		if err := run(ctx, tx, sb.String(), chunk, scan); err != nil {
			return err
		}
	}
	return nil
}

// placeholder writes the n-th parameter of a generated statement. SQLite
// gets anonymous "?" parameters: binding thousands of numbered ones costs
// it a name look-up each, quadratic in their number.
func (s *Store) placeholder(sb *strings.Builder, n int) {
	if s.db.Dialect == SQLite {
		sb.WriteByte('?')
		return
	}
	sb.WriteByte('$')
	sb.WriteString(strconv.Itoa(n))
}

func run(ctx context.Context, tx querier, q string, args []any, scan func(*sql.Rows) error) error {
	if scan == nil {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
