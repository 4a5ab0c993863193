package sqlstore

// Re-checks: the record of every check of an item (checks), the schedule
// of the next one (recheck_schedules), and the scheduled jobs, queued in
// the transaction of the event that causes them: a notice sent, a
// "removed" answer, and each check for the one that follows it.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/undox/undox"
	"github.com/undox/undox/policy"
)

// Schedules, as recheck_schedules names them.
const (
	ScheduleAfterNotice  = "after_notice"
	ScheduleAfterRemoval = "after_removal"
	ScheduleNone         = "none"
)

var defaultPolicy = sync.OnceValue(policy.Default)

// SetPolicy sets the takedown policy whose re-check schedules the store
// queues checks by (the default policy until set).
func (s *Store) SetPolicy(p *policy.Policy) { s.policy = p }

func (s *Store) rules(category string, minor bool) policy.Rules {
	return s.Policy().For(category, minor)
}

// recheckArgs is a re-check job as queued: at (zero: now) is when it
// runs. It is serialized as the RecheckJob it embeds.
type recheckArgs struct {
	undox.RecheckJob
	at time.Time
}

var recheckWaiting = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// InsertOpts schedules the job; the same check is queued once while it
// waits (a "check now" pressed twice is one check).
func (a recheckArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{ScheduledAt: a.at, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: recheckWaiting}}
}

// RecheckSchedule is where an item stands in its re-check schedule.
type RecheckSchedule struct {
	Schedule string
	Since    time.Time
	// NextIndex is the index of the next scheduled check in the schedule
	// (policy.Rules.NextCheck's n); Seq is the live scheduled job's.
	NextIndex int
	Seq       int64
	NextAt    *time.Time
}

// RecheckInfo is what a re-check needs of an item.
type RecheckInfo struct {
	Item     *undox.Item
	Rules    policy.Rules
	Schedule *RecheckSchedule // nil: never scheduled
	// Last is the item's latest check (nil: none yet).
	Last *undox.Check
	// AbsentSince is when the latest run of checks that found the content
	// absent began (nil: the latest check found it, or there is none).
	AbsentSince *time.Time
	// Baseline is what the original captures' scans found on the page.
	Baseline Baseline
	// ReferralOnly content is never fetched.
	ReferralOnly bool
}

// Baseline is what the scans of an item's original captures (not those
// kept by re-checks) found: the protected persons and the kinds of
// personal data.
type Baseline struct {
	Persons []string
	Kinds   []string
}

// Known tells whether the original scans found anything to compare with.
func (b Baseline) Known() bool { return len(b.Persons) > 0 || len(b.Kinds) > 0 }

// RecheckLabel is the requested_by of the captures that re-checks keep.
const RecheckLabel = "undox/recheck"

// RecheckInfo returns what a re-check of an item needs (undox itself; not
// audited as a read).
func (s *Store) RecheckInfo(ctx context.Context, itemID int64) (*RecheckInfo, error) {
	q := s.db.SQL
	it, err := s.item(ctx, q, itemID)
	if err != nil {
		return nil, err
	}
	info := &RecheckInfo{Item: it, Rules: s.rules(it.Category, it.IsMinor)}
	if cat, ok := undox.LookupCategory(it.Category); ok && cat.ReferralOnly || it.Status == undox.ItemReferred {
		info.ReferralOnly = true
	}
	if info.Schedule, err = s.recheckSchedule(ctx, q, itemID); err != nil {
		return nil, err
	}
	// The latest checks, newest first: the last one, and where the run of
	// absent ones began (a run longer than these began earlier still).
	last, err := s.checks(ctx, q, itemID, 20)
	if err != nil {
		return nil, err
	}
	if len(last) > 0 {
		info.Last = last[0]
	}
	for _, c := range last {
		if !c.Absent {
			break
		}
		at := c.CheckedAt
		info.AbsentSince = &at
	}
	rows, err := q.QueryContext(ctx, `SELECT sc.summary FROM scans sc JOIN captures p ON p.id = sc.capture_id
        WHERE sc.item_id = $1 AND p.requested_by <> $2 ORDER BY sc.id`, itemID, RecheckLabel)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	persons, kinds := map[string]bool{}, map[string]bool{}
	for rows.Next() {
		var summary string
		if err := rows.Scan(&summary); err != nil {
			return nil, err
		}
		p, k := ScanFound([]byte(summary))
		for _, v := range p {
			if !persons[v] {
				persons[v] = true
				info.Baseline.Persons = append(info.Baseline.Persons, v)
			}
		}
		for _, v := range k {
			if !kinds[v] {
				kinds[v] = true
				info.Baseline.Kinds = append(info.Baseline.Kinds, v)
			}
		}
	}
	return info, rows.Err()
}

// ScanFound returns the protected persons and the kinds of personal data
// (those found at least once) that a scan's summary names.
func ScanFound(summary []byte) (persons, kinds []string) {
	var sum struct {
		Kinds   map[string]int `json:"kinds"`
		Matches []struct {
			Person string `json:"person"`
		} `json:"matches"`
	}
	if json.Unmarshal(summary, &sum) != nil {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, m := range sum.Matches {
		if m.Person != "" && !seen[m.Person] {
			seen[m.Person] = true
			persons = append(persons, m.Person)
		}
	}
	for k, n := range sum.Kinds {
		if n > 0 {
			kinds = append(kinds, k)
		}
	}
	return persons, kinds
}

func (s *Store) recheckSchedule(ctx context.Context, q querier, itemID int64) (*RecheckSchedule, error) {
	var (
		rs     RecheckSchedule
		since  int64
		nextAt sql.NullInt64
	)
	err := q.QueryRowContext(ctx, `SELECT schedule, since, next_index, seq, next_at FROM recheck_schedules WHERE item_id = $1`, itemID).
		Scan(&rs.Schedule, &since, &rs.NextIndex, &rs.Seq, &nextAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rs.Since = fromMicros(since)
	if nextAt.Valid {
		t := fromMicros(nextAt.Int64)
		rs.NextAt = &t
	}
	return &rs, nil
}

// ItemRecheckSchedule returns where an item stands in its re-check
// schedule (nil: never scheduled).
func (s *Store) ItemRecheckSchedule(ctx context.Context, itemID int64) (*RecheckSchedule, error) {
	return s.recheckSchedule(ctx, s.db.SQL, itemID)
}

// setScheduleTx records an item's schedule and, when next is set, queues
// the scheduled check. The schedule gets a new seq, so that a check
// scheduled before (with the old one) does nothing when it runs.
func (s *Store) setScheduleTx(ctx context.Context, tx *sql.Tx, itemID int64, schedule string, since time.Time, index int,
	next time.Time, reason string) error {
	var seq int64
	err := tx.QueryRowContext(ctx, `SELECT seq FROM recheck_schedules WHERE item_id = $1`, itemID).Scan(&seq)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	// Every change of schedule replaces the check scheduled before.
	seq++
	var nextAt any
	if !next.IsZero() {
		nextAt = micros(next)
	}
	now := micros(s.now())
	if exists {
		_, err = tx.ExecContext(ctx, `UPDATE recheck_schedules SET schedule = $1, since = $2, next_index = $3, seq = $4, next_at = $5,
            updated_at = $6 WHERE item_id = $7`, schedule, micros(since), index, seq, nextAt, now, itemID)
	} else {
		_, err = tx.ExecContext(ctx, `INSERT INTO recheck_schedules (item_id, schedule, since, next_index, seq, next_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)`, itemID, schedule, micros(since), index, seq, nextAt, now)
	}
	if err != nil {
		return err
	}
	id := strconv.FormatInt(itemID, 10)
	if next.IsZero() {
		return s.audit(ctx, tx, undox.System, "item.recheck.schedule", "item", id, "schedule="+schedule+" next=none")
	}
	if err := s.audit(ctx, tx, undox.System, "item.recheck.schedule", "item", id,
		"schedule="+schedule+" reason="+reason+" next="+next.UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return s.enqueue(ctx, tx, recheckArgs{undox.RecheckJob{ItemID: itemID, Reason: reason, Seq: seq}, next})
}

// nextOnSchedule returns the first check of a schedule, from index on,
// that falls after now, with its index; false once the schedule is over.
func nextOnSchedule(r policy.Rules, schedule string, since time.Time, index int, now time.Time) (time.Time, int, bool) {
	sch := policy.AfterNotice
	switch schedule {
	case ScheduleAfterRemoval:
		sch = policy.AfterRemoval
	case ScheduleAfterNotice:
	default:
		return time.Time{}, index, false
	}
	for i := index; i < index+1_000_000; i++ {
		t, ok := r.NextCheck(sch, since, i)
		if !ok {
			return time.Time{}, i, false
		}
		if t.After(now) {
			return t, i, true
		}
	}
	return time.Time{}, index, false
}

// startAfterNoticeTx starts the re-check schedule of a notified item, from
// now, unless it runs already (the schedule counts from the first notice).
func (s *Store) startAfterNoticeTx(ctx context.Context, tx *sql.Tx, itemID int64) error {
	cur, err := s.recheckSchedule(ctx, tx, itemID)
	if err != nil || cur != nil && cur.Schedule == ScheduleAfterNotice {
		return err
	}
	var category string
	var minor bool
	if err := tx.QueryRowContext(ctx, `SELECT category, is_minor FROM items WHERE id = $1`, itemID).Scan(&category, &minor); err != nil {
		return err
	}
	r := s.rules(category, minor)
	if r.ReferralOnly {
		return nil
	}
	now := s.now().UTC()
	next, idx, ok := nextOnSchedule(r, ScheduleAfterNotice, now, 0, now)
	if !ok {
		return s.setScheduleTx(ctx, tx, itemID, ScheduleNone, now, idx, time.Time{}, "")
	}
	return s.setScheduleTx(ctx, tx, itemID, ScheduleAfterNotice, now, idx, next, undox.RecheckScheduled)
}

// recheckOnResponseTx queues a check now of the item of a notice whose
// recipient says the content is removed: it counts only once the checks
// agree.
func (s *Store) recheckOnResponseTx(ctx context.Context, tx *sql.Tx, noticeID int64) error {
	var itemID int64
	if err := tx.QueryRowContext(ctx, `SELECT item_id FROM notices WHERE id = $1`, noticeID).Scan(&itemID); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, undox.System, "item.recheck.request", "item", strconv.FormatInt(itemID, 10),
		"reason="+undox.RecheckResponse+" notice="+strconv.FormatInt(noticeID, 10)); err != nil {
		return err
	}
	return s.enqueue(ctx, tx, recheckArgs{RecheckJob: undox.RecheckJob{ItemID: itemID, Reason: undox.RecheckResponse}})
}

// RequestRecheck queues a check of an item now, at a staff member's
// request (the "check now" button).
func (s *Store) RequestRecheck(ctx context.Context, actor undox.Actor, itemID int64) error {
	if err := actor.Require(undox.PermActItems); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.fetchableTx(ctx, tx, itemID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "item.recheck.request", "item", strconv.FormatInt(itemID, 10), "reason="+undox.RecheckStaff); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, recheckArgs{RecheckJob: undox.RecheckJob{ItemID: itemID, Reason: undox.RecheckStaff}})
	})
}

// CheckResult is one check as the re-check job found it.
type CheckResult struct {
	Job        undox.RecheckJob
	Outcome    string
	HTTPStatus int
	Detail     string
	FinalURL   string
	// Absent: the check counts toward a removal.
	Absent bool
	// Observe is the item's observation, if any: undox.ObserveGone (two
	// consecutive checks agree) or undox.ObserveBack. It is applied where
	// the item's lifecycle still allows it.
	Observe undox.Event
	// CaptureID is the capture kept as evidence of the check (0: none).
	CaptureID int64
	// MovedTo is the URL the page moved to: it becomes a new item of the
	// same cases.
	MovedTo string
}

// SaveCheck records a check, moves the item on what it observed, creates
// the item a move leads to, queues the item's re-trace (a host move yields
// new recipients) and the next check, in one transaction.
func (s *Store) SaveCheck(ctx context.Context, r CheckResult) (*undox.Check, error) {
	var out *undox.Check
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		it, err := s.item(ctx, tx, r.Job.ItemID)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		c := &undox.Check{ItemID: it.ID, CheckedAt: now, Reason: r.Job.Reason, Outcome: r.Outcome, HTTPStatus: r.HTTPStatus,
			Detail: clipText(r.Detail, 1000), FinalURL: clipText(r.FinalURL, undox.MaxURLLength), Absent: r.Absent}
		id := strconv.FormatInt(it.ID, 10)
		if r.Observe != "" {
			if _, err := undox.ItemStep(it.Status, r.Observe, true); err == nil {
				if err := s.stepItemTx(ctx, tx, undox.System, it.ID, r.Observe, "re-check: "+r.Outcome+" "+c.Detail, true); err != nil {
					return err
				}
				c.Observed = string(r.Observe)
			}
		}
		if r.CaptureID != 0 && c.Observed != "" {
			v := r.CaptureID
			c.CaptureID = &v
		}
		if r.MovedTo != "" {
			to, err := s.movedItemTx(ctx, tx, it, r.MovedTo)
			if err != nil {
				return err
			}
			if to != 0 {
				c.MovedItemID = &to
			}
		}
		var captureID, movedID any
		if c.CaptureID != nil {
			captureID = *c.CaptureID
		}
		if c.MovedItemID != nil {
			movedID = *c.MovedItemID
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO checks (item_id, checked_at, reason, outcome, http_status, detail, final_url,
                absent, observed, capture_id, moved_item_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			it.ID, micros(now), c.Reason, c.Outcome, c.HTTPStatus, c.Detail, c.FinalURL, boolInt(c.Absent), c.Observed,
			captureID, movedID).Scan(&c.ID); err != nil {
			return err
		}
		detail := "check=" + strconv.FormatInt(c.ID, 10) + " reason=" + c.Reason + " outcome=" + c.Outcome +
			" http_status=" + strconv.Itoa(c.HTTPStatus)
		if c.CaptureID != nil {
			detail += " capture=" + strconv.FormatInt(*c.CaptureID, 10)
		}
		if err := s.audit(ctx, tx, undox.System, "item.recheck", "item", id, detail); err != nil {
			return err
		}
		// The re-trace: a page that moved to another host has new
		// recipients (SaveTrace marks the move).
		if err := s.enqueue(ctx, tx, undox.TraceJob{ItemID: it.ID}); err != nil {
			return err
		}
		if err := s.scheduleAfterCheckTx(ctx, tx, it.ID, r.Job, c, now); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// scheduleAfterCheckTx queues the check that follows c: the confirming
// check when c is the first to find the content absent; the watch after a
// confirmed removal; the notice schedule again after content came back;
// else the schedule's next check, when c was the scheduled one.
func (s *Store) scheduleAfterCheckTx(ctx context.Context, tx *sql.Tx, itemID int64, job undox.RecheckJob, c *undox.Check, now time.Time) error {
	it, err := s.item(ctx, tx, itemID)
	if err != nil {
		return err
	}
	r := s.rules(it.Category, it.IsMinor)
	if r.ReferralOnly {
		return nil
	}
	cur, err := s.recheckSchedule(ctx, tx, itemID)
	if err != nil {
		return err
	}
	schedule, since, index := ScheduleNone, now, 0
	if cur != nil {
		schedule, since, index = cur.Schedule, cur.Since, cur.NextIndex
	}
	live := cur != nil && job.Seq != 0 && job.Seq == cur.Seq
	switch {
	case c.Observed == string(undox.ObserveGone):
		next, idx, ok := nextOnSchedule(r, ScheduleAfterRemoval, now, 0, now)
		if !ok {
			return s.setScheduleTx(ctx, tx, itemID, ScheduleNone, now, idx, time.Time{}, "")
		}
		return s.setScheduleTx(ctx, tx, itemID, ScheduleAfterRemoval, now, idx, next, undox.RecheckScheduled)
	case c.Observed == string(undox.ObserveBack):
		next, idx, _ := nextOnSchedule(r, ScheduleAfterNotice, now, 0, now)
		return s.setScheduleTx(ctx, tx, itemID, ScheduleAfterNotice, now, idx, next, undox.RecheckScheduled)
	}
	if live && job.Reason == undox.RecheckScheduled {
		index++
	}
	if _, err := undox.ItemStep(it.Status, undox.ObserveGone, true); err == nil && c.Absent {
		// The first check to find it gone: the confirming one follows.
		return s.setScheduleTx(ctx, tx, itemID, schedule, since, index, now.Add(r.ConfirmAfter), undox.RecheckConfirm)
	}
	if !live {
		// A check asked for now leaves the scheduled one in place.
		return nil
	}
	switch it.Status {
	case undox.ItemRejected, undox.ItemReferred, undox.ItemNew:
		return s.setScheduleTx(ctx, tx, itemID, ScheduleNone, since, index, time.Time{}, "")
	case undox.ItemClosed:
		if schedule != ScheduleAfterRemoval {
			return s.setScheduleTx(ctx, tx, itemID, ScheduleNone, since, index, time.Time{}, "")
		}
	}
	next, idx, ok := nextOnSchedule(r, schedule, since, index, now)
	if !ok {
		return s.setScheduleTx(ctx, tx, itemID, ScheduleNone, since, idx, time.Time{}, "")
	}
	return s.setScheduleTx(ctx, tx, itemID, schedule, since, idx, next, undox.RecheckScheduled)
}

// movedItemTx returns the item of the URL that from's page moved to,
// creating it, with from's category, for the same cases, and queueing its
// capture, when there is none yet. It returns 0 for a URL that is not one
// (or that is from itself).
func (s *Store) movedItemTx(ctx context.Context, tx *sql.Tx, from *undox.Item, raw string) (int64, error) {
	u, err := undox.NormalizeURL(raw)
	if err != nil || u == from.URL {
		return 0, nil
	}
	pu, err := url.Parse(u)
	if err != nil {
		return 0, nil
	}
	now := micros(s.now())
	var id int64
	created := false
	err = tx.QueryRowContext(ctx, `SELECT id FROM items WHERE url = $1`, u).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		// Its capture is queued below: the dispatch (dispatched = 0)
		// would queue a second one.
		if err := tx.QueryRowContext(ctx, `INSERT INTO items (url, host, status, report_count, category, category_rank, is_minor,
                priority, created_at, updated_at, dispatched)
            SELECT $1, $2, $3, 1, category, category_rank, is_minor, priority, $4, $4, 1 FROM items WHERE id = $5 RETURNING id`,
			u, pu.Hostname(), string(undox.ItemNew), now, from.ID).Scan(&id); err != nil {
			return 0, err
		}
		created = true
	} else if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_items (case_id, item_id, created_at)
        SELECT ci.case_id, $1, $2 FROM case_items ci WHERE ci.item_id = $3 ON CONFLICT DO NOTHING`, id, now, from.ID); err != nil {
		return 0, err
	}
	detail := "to_item=" + strconv.FormatInt(id, 10)
	if created {
		detail += " created"
	}
	if err := s.audit(ctx, tx, undox.System, "item.moved", "item", strconv.FormatInt(from.ID, 10), detail); err != nil {
		return 0, err
	}
	if created {
		if err := s.enqueue(ctx, tx, undox.CaptureJob{ItemID: id}); err != nil {
			return 0, err
		}
	}
	return id, nil
}

const checkColumns = `id, item_id, checked_at, reason, outcome, http_status, detail, final_url, absent, observed, capture_id, moved_item_id`

func (s *Store) checks(ctx context.Context, q querier, itemID int64, limit int) ([]*undox.Check, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+checkColumns+` FROM checks WHERE item_id = $1 ORDER BY id DESC LIMIT $2`, itemID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*undox.Check{}
	for rows.Next() {
		var (
			c              undox.Check
			at, absent     int64
			capture, moved sql.NullInt64
		)
		if err := rows.Scan(&c.ID, &c.ItemID, &at, &c.Reason, &c.Outcome, &c.HTTPStatus, &c.Detail, &c.FinalURL, &absent,
			&c.Observed, &capture, &moved); err != nil {
			return nil, err
		}
		c.CheckedAt, c.Absent = fromMicros(at), absent != 0
		if capture.Valid {
			v := capture.Int64
			c.CaptureID = &v
		}
		if moved.Valid {
			v := moved.Int64
			c.MovedItemID = &v
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}

// Checks lists an item's checks, newest first; the read is audited.
func (s *Store) Checks(ctx context.Context, actor undox.Actor, itemID int64, limit int) ([]*undox.Check, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	var out []*undox.Check
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.item(ctx, tx, itemID); err != nil {
			return err
		}
		var err error
		if out, err = s.checks(ctx, tx, itemID, limitOr(limit, 100)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "item.recheck.list", "item", strconv.FormatInt(itemID, 10), "")
	})
	return out, err
}
