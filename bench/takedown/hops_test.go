package takedownbench

// Where the time goes: each re-upload's hops, from River's job rows
// (created_at, attempted_at, finalized_at of its capture, trace, re-upload
// and send jobs) between the benchmark's own clock at both ends (the
// report sent, the notice accepted).

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/undox/undox/sqlstore"
)

// jobTimes are one job's times.
type jobTimes struct {
	id                           int64
	created, attempted, finalize time.Time
	attempts                     int
}

// segment is one hop's durations over the items that had every step.
type segment struct {
	name  string
	kind  string          // "wait" (for the dispatch or a worker) or "run"
	d     []time.Duration // sorted
	order []time.Duration // in the order the reports were sent
}

// hopReport is the hops of a run.
type hopReport struct {
	items, complete int
	segments        []*segment
	total           []time.Duration
	totalOrder      []time.Duration
	retried         int // items whose capture or send took more than one attempt
}

// The hops, in order: each from one boundary to the next.
var hopNames = []struct{ name, kind string }{
	{"report sent → capture job queued (capture dispatch)", "wait"},
	{"capture queued → started", "wait"},
	{"capture running (fetch, extract, scan, store)", "run"},
	{"capture done → trace started", "wait"},
	{"trace running", "run"},
	{"trace done → re-upload job started", "wait"},
	{"re-upload job running (link, confirm, approve)", "run"},
	{"re-upload done → send job started", "wait"},
	{"send job started → SMTP accepted", "run"},
}

// hops reads the jobs of a run's items from the database.
func (f *fixture) hops(ctx context.Context, r result) (*hopReport, error) {
	db, err := sqlstore.Open(ctx, f.proc.DB, f.proc.Data)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	prefix := r.urls[0][:strings.LastIndexByte(r.urls[0], '-')+1]
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, url FROM items WHERE url LIKE $1`, prefix+"%")
	if err != nil {
		return nil, err
	}
	itemOf := map[string]int64{}
	for rows.Next() {
		var (
			id  int64
			url string
		)
		if err := rows.Scan(&id, &url); err != nil {
			rows.Close()
			return nil, err
		}
		itemOf[url] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	noticeItem := map[int64]int64{}
	rows, err = db.SQL.QueryContext(ctx, `SELECT id, item_id FROM notices`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, item int64
		if err := rows.Scan(&id, &item); err != nil {
			rows.Close()
			return nil, err
		}
		noticeItem[id] = item
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	q := `SELECT id, kind, json_extract(args, '$.item_id'), json_extract(args, '$.notice_id'), attempt,
        created_at, attempted_at, finalized_at FROM river_job WHERE kind IN ('capture', 'trace', 'reupload', 'send_notice')`
	if db.Dialect == sqlstore.Postgres {
		q = `SELECT id, kind, (args->>'item_id')::bigint, (args->>'notice_id')::bigint, attempt,
        created_at, attempted_at, finalized_at FROM river_job WHERE kind IN ('capture', 'trace', 'reupload', 'send_notice')`
	}
	rows, err = db.SQL.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	// The first job of each kind per item.
	jobs := map[string]map[int64]*jobTimes{"capture": {}, "trace": {}, "reupload": {}, "send_notice": {}}
	for rows.Next() {
		var (
			j                    jobTimes
			kind                 string
			itemID, noticeID     sql.NullInt64
			created, att, finish any
		)
		if err := rows.Scan(&j.id, &kind, &itemID, &noticeID, &j.attempts, &created, &att, &finish); err != nil {
			rows.Close()
			return nil, err
		}
		var perr error
		if j.created, perr = toTime(created); perr == nil {
			if j.attempted, perr = toTime(att); perr == nil {
				j.finalize, perr = toTime(finish)
			}
		}
		if perr != nil {
			rows.Close()
			return nil, perr
		}
		item := itemID.Int64
		if kind == "send_notice" {
			item = noticeItem[noticeID.Int64]
		}
		if item == 0 {
			continue
		}
		if old := jobs[kind][item]; old == nil || j.id < old.id {
			jobs[kind][item] = &j
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	h := &hopReport{}
	for _, n := range hopNames {
		h.segments = append(h.segments, &segment{name: n.name, kind: n.kind})
	}
	for i, u := range r.urls {
		id, ok := itemOf[u]
		if !ok {
			continue
		}
		h.items++
		c, t, ru, s := jobs["capture"][id], jobs["trace"][id], jobs["reupload"][id], jobs["send_notice"][id]
		accepted, ok := f.mail.acceptedAt(u)
		if c == nil || t == nil || ru == nil || s == nil || !ok ||
			c.attempted.IsZero() || c.finalize.IsZero() || t.attempted.IsZero() || t.finalize.IsZero() ||
			ru.attempted.IsZero() || ru.finalize.IsZero() || s.attempted.IsZero() {
			continue
		}
		h.complete++
		if c.attempts > 1 || s.attempts > 1 {
			h.retried++
		}
		bounds := []time.Time{r.sent[i], c.created, c.attempted, c.finalize, t.attempted, t.finalize,
			ru.attempted, ru.finalize, s.attempted, accepted}
		for k, seg := range h.segments {
			seg.order = append(seg.order, bounds[k+1].Sub(bounds[k]))
		}
		h.totalOrder = append(h.totalOrder, accepted.Sub(r.sent[i]))
	}
	for _, s := range h.segments {
		s.d = slices.Sorted(slices.Values(s.order))
	}
	h.total = slices.Sorted(slices.Values(h.totalOrder))
	return h, nil
}

// toTime reads a timestamp column: a time (PostgreSQL, and SQLite's
// driver for columns declared timestamp), or text.
func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return x, nil
	case []byte:
		return toTime(string(x))
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00",
			"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("a timestamp %q", x)
	case int64:
		return time.UnixMicro(x), nil
	}
	return time.Time{}, fmt.Errorf("a timestamp of type %T", v)
}

func mean(d []time.Duration) float64 {
	if len(d) == 0 {
		return 0
	}
	var s float64
	for _, x := range d {
		s += float64(x)
	}
	return s / float64(len(d)) / float64(time.Millisecond)
}

// table prints each hop's mean, p50, p95 and max in milliseconds; the
// means add up to the mean total.
func (h *hopReport) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "    %d of %d items with every hop found (%d with a retried capture or send); ms:\n", h.complete, h.items, h.retried)
	fmt.Fprintf(&b, "    %-54s %9s %9s %9s %9s %11s %11s\n", "hop", "mean", "p50", "p95", "max", "first-10%", "last-10%")
	row := func(name string, d, order []time.Duration) {
		// The means of the first and the last tenth of the reports tell
		// a backlog, or a cost that grows with the victim's case.
		k := max(1, len(order)/10)
		fmt.Fprintf(&b, "    %-54s %9.1f %9.1f %9.1f %9.1f %11.1f %11.1f\n", name, mean(d), quantile(d, 0.5), quantile(d, 0.95), quantile(d, 1),
			mean(order[:min(k, len(order))]), mean(order[max(0, len(order)-k):]))
	}
	for _, s := range h.segments {
		row(s.name, s.d, s.order)
	}
	row("total: report sent → notice accepted", h.total, h.totalOrder)
	var wait, run float64
	for _, s := range h.segments {
		if s.kind == "wait" {
			wait += mean(s.d)
		} else {
			run += mean(s.d)
		}
	}
	if t := mean(h.total); t > 0 {
		fmt.Fprintf(&b, "    waiting (dispatch and job queues): %.0f ms of the mean %.0f ms (%.0f %%); running: %.0f ms\n",
			wait, t, 100*wait/t, run)
	}
	return b.String()
}

type metric struct {
	v    float64
	unit string
}

// metrics are the hops summed into the benchmark line: the mean wait for
// the capture dispatch, the mean of every other wait for a job to start,
// and the mean time the jobs ran.
func (h *hopReport) metrics() []metric {
	var dispatch, queued, run float64
	for i, s := range h.segments {
		switch {
		case i == 0:
			dispatch = mean(s.d)
		case s.kind == "wait":
			queued += mean(s.d)
		default:
			run += mean(s.d)
		}
	}
	if math.IsNaN(dispatch + queued + run) {
		return nil
	}
	return []metric{{dispatch, "dispatch-ms"}, {queued, "queued-ms"}, {run, "running-ms"}}
}
