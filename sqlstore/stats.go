package sqlstore

// Statistics: the dashboard's numbers and the providers' scorecards
// (undox.StatsStore). Every read is bounded by a time window over an
// index (migration 011: removals, notices sent, reports received) or by
// the item states' index; medians and percentiles are computed here, in
// Go, the same way for both dialects.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
)

var _ undox.StatsStore = (*Store)(nil)

// location is the timezone that statistics count days in: the takedown
// policy's.
func (s *Store) location() *time.Location {
	return s.Policy().Location()
}

// openStatesSQL lists undox.OpenStates as SQL literals.
func openStatesSQL() string {
	var b strings.Builder
	for i, st := range undox.OpenStates() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + string(st) + "'")
	}
	return b.String()
}

// answered are the kinds of answers that count as a response to a notice
// (an automatic reply or a bounce does not).
var answered = map[string]bool{undox.ResponseRemoved: true, undox.ResponseWillRemove: true, undox.ResponseDisputed: true,
	undox.ResponseNotOurCustomer: true, undox.ResponseReply: true}

// Dashboard implements undox.StatsStore. The read is audited.
func (s *Store) Dashboard(ctx context.Context, actor undox.Actor, q undox.DashboardQuery) (*undox.Dashboard, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	if err := q.Check(); err != nil {
		return nil, err
	}
	db := s.db.SQL
	now := s.now().UTC()
	loc := s.location()
	d := &undox.Dashboard{GeneratedAt: now, Zone: loc.String(), OpenItems: []undox.StateCount{}, ReportsPerDay: []undox.DayCount{}}

	// Open items by state, over items_status.
	counts := map[undox.ItemStatus]int{}
	rows, err := db.QueryContext(ctx, `SELECT status, count(*) FROM items WHERE status IN (`+openStatesSQL()+`) GROUP BY status`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return nil, err
		}
		counts[undox.ItemStatus(st)] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, st := range undox.OpenStates() {
		d.OpenItems = append(d.OpenItems, undox.StateCount{State: st, Count: counts[st]})
		d.OpenTotal += counts[st]
	}

	// Notices sent and not answered about open items, and the notified
	// items whose latest deadline passed: from the open items' index to
	// their notices.
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM items i JOIN notices n ON n.item_id = i.id
        WHERE i.status IN (`+openStatesSQL()+`) AND n.status = 'sent'`).Scan(&d.NoticesAwaitingResponse); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT i.id FROM items i JOIN notices n ON n.item_id = i.id
        WHERE i.status IN ('notified', 'escalated') AND n.sent_at IS NOT NULL AND n.status <> 'bounced'
        GROUP BY i.id HAVING max(n.deadline) < $1) late`, micros(now)).Scan(&d.ItemsPastDeadline); err != nil {
		return nil, err
	}

	// Removals confirmed in the window, timed from the first notice of
	// their episode.
	from := now.Add(-time.Duration(q.WindowDays) * 24 * time.Hour)
	d.Removal = undox.RemovalStats{From: from, To: now}
	hist, err := s.removalHistory(ctx, `SELECT item_id FROM item_events WHERE event = 'gone' AND created_at >= $1 AND created_at < $2`,
		micros(from), micros(now))
	if err != nil {
		return nil, err
	}
	var minutes []int64
	for item, gones := range hist.gones {
		for _, g := range gones {
			if g < micros(from) || g >= micros(now) {
				continue
			}
			if first, ok := hist.firstNotice(item, g); ok {
				minutes = append(minutes, undox.Minutes(time.Duration(g-first)*time.Microsecond))
			}
		}
	}
	d.Removal.Removed = len(minutes)
	d.Removal.P90Minutes = undox.Percentile(minutes, 90)
	d.Removal.MedianMinutes = undox.Percentile(minutes, 50)

	// Reports per day, over cases_created.
	today := now.In(loc)
	start := time.Date(today.Year(), today.Month(), today.Day()-(q.Days-1), 0, 0, 0, 0, loc)
	bounds := make([]int64, q.Days+1)
	for i := range bounds {
		bounds[i] = micros(time.Date(start.Year(), start.Month(), start.Day()+i, 0, 0, 0, 0, loc))
	}
	perDay := make([]int, q.Days)
	rows, err = db.QueryContext(ctx, `SELECT created_at FROM cases WHERE created_at >= $1 AND created_at < $2`, bounds[0], bounds[q.Days])
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			rows.Close()
			return nil, err
		}
		if i := sort.Search(len(bounds), func(i int) bool { return bounds[i] > at }) - 1; i >= 0 && i < q.Days {
			perDay[i]++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, n := range perDay {
		d.ReportsPerDay = append(d.ReportsPerDay, undox.DayCount{Day: fromMicros(bounds[i]).In(loc).Format("2006-01-02"), Count: n})
	}

	// Monitoring: the sites watched now; the crawls and finds of the
	// period, from their audit entries (site.crawl) and pages (found_at).
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM watched_sites WHERE enabled = 1`).Scan(&d.Monitoring.SitesWatched); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM site_pages WHERE found_at >= $1`, bounds[0]).Scan(&d.Monitoring.Found); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit_entries WHERE object_type = 'site' AND action = 'site.crawl' AND created_at >= $1`, bounds[0]).
		Scan(&d.Monitoring.Crawls); err != nil {
		return nil, err
	}

	if err := s.Audit(ctx, actor, "stats.dashboard", "stats", "dashboard",
		fmt.Sprintf("days=%d window_days=%d", q.Days, q.WindowDays)); err != nil {
		return nil, err
	}
	return d, nil
}

// history is what the statistics need of some items' procedures: their
// confirmed removals and the notices that reached someone (sent, not
// bounced), oldest first.
type history struct {
	gones   map[int64][]int64 // item → times of its "gone" observations, ascending
	notices []sentNotice      // by sent_at, then id
	byID    map[int64]*sentNotice
	byItem  map[int64][]*sentNotice
}

type sentNotice struct {
	id, item, trace int64
	role, org       string
	sent            int64
	deadline        *int64
	// firstAnswer is when it was first answered (0: never); disputed,
	// whether an answer disputed it.
	firstAnswer int64
	disputed    bool
}

// episodeEnd returns the removal that ends the episode a time falls in:
// the item's first removal at or after at; false while none.
func (h *history) episodeEnd(item, at int64) (int64, bool) {
	gs := h.gones[item]
	i := sort.Search(len(gs), func(i int) bool { return gs[i] >= at })
	if i == len(gs) {
		return 0, false
	}
	return gs[i], true
}

// firstNotice returns when the first notice of the episode that removal
// gone ends was sent: after the removal before it, at or before gone.
func (h *history) firstNotice(item, gone int64) (int64, bool) {
	var prev int64 = math.MinInt64
	for _, g := range h.gones[item] {
		if g < gone {
			prev = g
		}
	}
	for _, n := range h.byItem[item] {
		if n.sent > prev && n.sent <= gone {
			return n.sent, true
		}
	}
	return 0, false
}

// removalHistory loads the history of the items that items (a subquery
// over an index, with its arguments) selects.
func (s *Store) removalHistory(ctx context.Context, items string, args ...any) (*history, error) {
	db := s.db.SQL
	h := &history{gones: map[int64][]int64{}, byID: map[int64]*sentNotice{}, byItem: map[int64][]*sentNotice{}}
	rows, err := db.QueryContext(ctx, `SELECT item_id, created_at FROM item_events WHERE event = 'gone' AND item_id IN (`+items+`)
        ORDER BY item_id, created_at`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var item, at int64
		if err := rows.Scan(&item, &at); err != nil {
			rows.Close()
			return nil, err
		}
		h.gones[item] = append(h.gones[item], at)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = db.QueryContext(ctx, `SELECT id, item_id, trace_id, role, organisation, sent_at, deadline FROM notices
        WHERE sent_at IS NOT NULL AND status <> 'bounced' AND item_id IN (`+items+`) ORDER BY sent_at, id`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var (
			n   sentNotice
			due *int64
		)
		if err := rows.Scan(&n.id, &n.item, &n.trace, &n.role, &n.org, &n.sent, &due); err != nil {
			rows.Close()
			return nil, err
		}
		n.deadline = due
		h.notices = append(h.notices, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range h.notices {
		n := &h.notices[i]
		h.byID[n.id] = n
		h.byItem[n.item] = append(h.byItem[n.item], n)
	}

	rows, err = db.QueryContext(ctx, `SELECT r.notice_id, r.kind, r.created_at FROM notice_responses r JOIN notices n ON n.id = r.notice_id
        WHERE n.sent_at IS NOT NULL AND n.status <> 'bounced' AND n.item_id IN (`+items+`) ORDER BY r.id`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var (
			id, at int64
			kind   string
		)
		if err := rows.Scan(&id, &kind, &at); err != nil {
			rows.Close()
			return nil, err
		}
		n := h.byID[id]
		if n == nil || !answered[kind] {
			continue
		}
		if n.firstAnswer == 0 || at < n.firstAnswer {
			n.firstAnswer = at
		}
		if kind == undox.ResponseDisputed {
			n.disputed = true
		}
	}
	rows.Close()
	return h, rows.Err()
}

// network is the hosting network a trace found: the AS of the first
// address that is not a CDN's.
type network struct {
	asn  uint32
	name string
}

// traceNetworks returns the networks of the traces that the sent notices
// of the items selected name. A notice was prepared from its trace's
// answer, so the answer is JSON.
func (s *Store) traceNetworks(ctx context.Context, items string, args ...any) (map[int64]network, error) {
	addresses := `json_extract(t.answer, '$.addresses')`
	if s.db.Dialect == Postgres {
		addresses = `(t.answer::json -> 'addresses')::text`
	}
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT t.id, `+addresses+` FROM traces t WHERE t.id IN (
        SELECT trace_id FROM notices WHERE sent_at IS NOT NULL AND item_id IN (`+items+`))`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]network{}
	for rows.Next() {
		var (
			id  int64
			raw *string
		)
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		if raw == nil {
			continue
		}
		var addrs []struct {
			ASN *uint32 `json:"asn"`
			AS  *struct {
				Name string `json:"name"`
			} `json:"as"`
			Org string `json:"org"`
			CDN bool   `json:"cdn"`
		}
		if json.Unmarshal([]byte(*raw), &addrs) != nil {
			continue
		}
		for _, a := range addrs {
			if a.CDN || a.ASN == nil {
				continue
			}
			n := network{asn: *a.ASN, name: a.Org}
			if a.AS != nil && a.AS.Name != "" {
				n.name = a.AS.Name
			}
			out[id] = n
			break
		}
	}
	return out, rows.Err()
}

// ProviderScores implements undox.StatsStore: the scorecards of the
// organisations and the hosting networks first notified about an item in
// the period. Outcomes (removals, answers) count as known now. The read
// is audited.
func (s *Store) ProviderScores(ctx context.Context, actor undox.Actor, q undox.ProviderQuery) (*undox.ProviderReport, error) {
	if err := actor.Require(undox.PermReadCases); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	loc := s.location()
	from, to, first, last, err := q.Range(loc, now)
	if err != nil {
		return nil, err
	}
	items := `SELECT item_id FROM notices WHERE sent_at >= $1 AND sent_at < $2`
	args := []any{micros(from), micros(to)}
	h, err := s.removalHistory(ctx, items, args...)
	if err != nil {
		return nil, err
	}
	nets, err := s.traceNetworks(ctx, items, args...)
	if err != nil {
		return nil, err
	}
	r := &undox.ProviderReport{From: first, To: last, Zone: loc.String(), GeneratedAt: now}
	r.Providers = h.score(micros(from), micros(to), micros(now), func(n *sentNotice) (provider, bool) {
		key := undox.NormalizeOrg(n.org)
		return provider{key: key, name: n.org, role: n.role}, key != ""
	})
	r.Networks = h.score(micros(from), micros(to), micros(now), func(n *sentNotice) (provider, bool) {
		net, ok := nets[n.trace]
		if !ok {
			return provider{}, false
		}
		name := net.name
		if name == "" {
			name = "AS" + strconv.FormatUint(uint64(net.asn), 10)
		}
		return provider{key: "AS" + strconv.FormatUint(uint64(net.asn), 10), name: name, asn: net.asn}, true
	})
	if err := s.Audit(ctx, actor, "stats.providers", "stats", "providers", "from="+first+" to="+last); err != nil {
		return nil, err
	}
	return r, nil
}

// provider is whom a notice counts for.
type provider struct {
	key, name, role string
	asn             uint32
}

// score builds the scorecards: every notice counts for the provider that
// of names, per item and episode (from the first notice to the removal that
// ends it); those first notified in [from, to) are scored, and the
// notices sent in [from, to) counted.
func (h *history) score(from, to, now int64, of func(*sentNotice) (provider, bool)) []undox.ProviderScore {
	type pairKey struct {
		item    int64
		key     string
		episode int64 // the removal that ends it; MaxInt64 while none
	}
	type pair struct {
		first    *sentNotice
		answer   int64 // the first answer to any of its notices (0: none)
		disputed bool
	}
	type tally struct {
		score   undox.ProviderScore
		roles   map[string]bool
		minutes []int64
	}
	pairs := map[pairKey]*pair{}
	var order []pairKey
	tallies := map[string]*tally{}
	for i := range h.notices {
		n := &h.notices[i]
		p, ok := of(n)
		if !ok {
			continue
		}
		end, removed := h.episodeEnd(n.item, n.sent)
		if !removed {
			end = math.MaxInt64
		}
		k := pairKey{n.item, p.key, end}
		pr := pairs[k]
		if pr == nil {
			pr = &pair{first: n}
			pairs[k] = pr
			order = append(order, k)
		}
		if n.firstAnswer != 0 && (pr.answer == 0 || n.firstAnswer < pr.answer) {
			pr.answer = n.firstAnswer
		}
		pr.disputed = pr.disputed || n.disputed
		sent := n.sent >= from && n.sent < to
		if !sent && (pr.first.sent < from || pr.first.sent >= to) {
			continue
		}
		t := tallies[p.key]
		if t == nil {
			t = &tally{score: undox.ProviderScore{Key: p.key, ASN: p.asn}, roles: map[string]bool{}}
			tallies[p.key] = t
		}
		if sent {
			t.score.Notices++
		}
		// The latest notice names the provider.
		t.score.Name = p.name
		if p.role != "" {
			t.roles[p.role] = true
		}
	}
	for _, k := range order {
		pr := pairs[k]
		if pr.first.sent < from || pr.first.sent >= to {
			continue
		}
		t := tallies[k.key]
		t.score.Notified++
		removed := k.episode != math.MaxInt64
		if removed {
			t.score.Removed++
			t.minutes = append(t.minutes, undox.Minutes(time.Duration(k.episode-pr.first.sent)*time.Microsecond))
		}
		if pr.disputed {
			t.score.Disputed++
		}
		if due := pr.first.deadline; due != nil && *due < now &&
			(pr.answer == 0 || pr.answer > *due) && (!removed || k.episode > *due) {
			t.score.Ignored++
		}
	}
	out := make([]undox.ProviderScore, 0, len(tallies))
	for _, t := range tallies {
		sc := t.score
		for r := range t.roles {
			sc.Roles = append(sc.Roles, r)
		}
		sort.Strings(sc.Roles)
		if sc.Notified > 0 {
			sc.RemovalRate = math.Round(float64(sc.Removed)/float64(sc.Notified)*1000) / 1000
		}
		sc.P90Minutes = undox.Percentile(t.minutes, 90)
		sc.MedianMinutes = undox.Percentile(t.minutes, 50)
		out = append(out, sc)
	}
	undox.RankProviders(out)
	return out
}
