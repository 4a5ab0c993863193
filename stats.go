package undox

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"
)

// Statistics: the numbers of the analysts' dashboard (BRIEF S14) and the
// providers' scorecards behind the yearly report on bad hosting (S11).
//
// Times to removal run from the notice sent (the SMTP server accepted it,
// or an analyst submitted a web form) to the removal that re-checks
// confirmed (the item's "gone" observation), in whole minutes. Medians and
// 90th percentiles use the nearest-rank method: each is a time that was
// observed. Days are calendar days in the takedown policy's timezone.

// StateCount is how many items are in one state.
type StateCount struct {
	State ItemStatus `json:"state"`
	Count int        `json:"count"`
}

// DayCount is how many reports (cases) came in on one day.
type DayCount struct {
	Day   string `json:"day"` // YYYY-MM-DD
	Count int    `json:"count"`
}

// RemovalStats are the removals confirmed in a window, timed from the
// item's first notice of the episode (a reappearance starts another).
// Removals without a notice (the content went before one was sent) are
// not timed and not counted here.
type RemovalStats struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Removed int       `json:"removed"`
	// MedianMinutes and P90Minutes are null without a removal.
	MedianMinutes *int64 `json:"median_minutes"`
	P90Minutes    *int64 `json:"p90_minutes"`
}

// Dashboard is the analysts' overview.
type Dashboard struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Zone is the timezone that days are counted in.
	Zone string `json:"zone"`
	// OpenItems counts the items that still need work, per state, in
	// the order of OpenStates (zeros included).
	OpenItems []StateCount `json:"open_items"`
	OpenTotal int          `json:"open_total"`
	// NoticesAwaitingResponse are notices sent, not answered, about items
	// still online as far as undox knows.
	NoticesAwaitingResponse int `json:"notices_awaiting_response"`
	// ItemsPastDeadline are notified or escalated items whose latest
	// notice's deadline has passed.
	ItemsPastDeadline int          `json:"items_past_deadline"`
	Removal           RemovalStats `json:"removal"`
	// ReportsPerDay are the reports of the last days, oldest first, today
	// included (zeros included).
	ReportsPerDay []DayCount `json:"reports_per_day"`
	// Monitoring is what the crawls of known doxing sites did.
	Monitoring MonitoringStats `json:"monitoring"`
}

// MonitoringStats are the figures of the monitoring of known doxing sites
// (S12).
type MonitoringStats struct {
	// SitesWatched are the sites crawled now and then.
	SitesWatched int `json:"sites_watched"`
	// Crawled are the watched sites' crawls in the period, and Found the
	// pages they filed because they showed a protected person.
	Crawls int `json:"crawls"`
	Found  int `json:"found"`
}

// OpenStates are the item states that still need work, in the order of
// the lifecycle.
func OpenStates() []ItemStatus {
	return []ItemStatus{ItemNew, ItemCaptured, ItemUnreachable, ItemConfirmed, ItemNotified, ItemEscalated, ItemReappeared}
}

// Bounds of the statistics' windows.
const (
	DefaultStatsDays = 30
	MaxStatsDays     = 366
	// MaxProviderDays bounds a scorecard's period: two years.
	MaxProviderDays = 731
	// DefaultProviderDays is the period of a scorecard when none is given.
	DefaultProviderDays = 90
)

// DashboardQuery shapes the dashboard.
type DashboardQuery struct {
	// Days of reports per day (default 30, at most 366).
	Days int
	// WindowDays is the window of the removal times, ending now
	// (default 30, at most 366).
	WindowDays int
}

// Check fills in the defaults and checks the bounds.
func (q *DashboardQuery) Check() error {
	if q.Days == 0 {
		q.Days = DefaultStatsDays
	}
	if q.WindowDays == 0 {
		q.WindowDays = DefaultStatsDays
	}
	if q.Days < 1 || q.Days > MaxStatsDays {
		return Invalid("days", "days must be from 1 to %d", MaxStatsDays)
	}
	if q.WindowDays < 1 || q.WindowDays > MaxStatsDays {
		return Invalid("window", "window must be from 1 to %d days", MaxStatsDays)
	}
	return nil
}

// ProviderQuery selects the period of a scorecard: the notices first sent
// from the start of From to the end of To (calendar days, both included),
// or in Year. Without either, the last 90 days up to today.
type ProviderQuery struct {
	From, To string // YYYY-MM-DD
	Year     int
}

// Range returns the period as instants, [from, to), with its first and
// last day, in loc; today is the day of now.
func (q ProviderQuery) Range(loc *time.Location, now time.Time) (from, to time.Time, first, last string, err error) {
	day := func(field, s string) (time.Time, error) {
		t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), loc)
		if err != nil {
			return time.Time{}, Invalid(field, "%s must be a date, YYYY-MM-DD", field)
		}
		return t, nil
	}
	today := now.In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	switch {
	case q.Year != 0 && (q.From != "" || q.To != ""):
		return from, to, "", "", Invalid("year", "give a year or from and to, not both")
	case q.Year != 0:
		if q.Year < 2000 || q.Year > 9999 {
			return from, to, "", "", Invalid("year", "year must be from 2000 to 9999")
		}
		from = time.Date(q.Year, 1, 1, 0, 0, 0, 0, loc)
		to = time.Date(q.Year+1, 1, 1, 0, 0, 0, 0, loc)
	default:
		lastDay := today
		if q.To != "" {
			if lastDay, err = day("to", q.To); err != nil {
				return
			}
		}
		from = lastDay.AddDate(0, 0, -(DefaultProviderDays - 1))
		if q.From != "" {
			if from, err = day("from", q.From); err != nil {
				return
			}
		}
		to = lastDay.AddDate(0, 0, 1)
	}
	if !from.Before(to) {
		return from, to, "", "", Invalid("from", "from must not be after to")
	}
	if days := math.Round(to.Sub(from).Hours() / 24); days > MaxProviderDays {
		return from, to, "", "", Invalid("to", "a period is at most %d days", MaxProviderDays)
	}
	return from, to, from.Format("2006-01-02"), to.AddDate(0, 0, -1).Format("2006-01-02"), nil
}

// ProviderScore is one provider's record over a period. A provider is an
// organisation that notices went to (grouped by NormalizeOrg), or a
// hosting network (an AS, as the notice's trace found it, CDN addresses
// left out). Each item counts once per provider and episode, from the
// first notice to it (reminders and further notices to the same provider
// do not count again).
type ProviderScore struct {
	Rank int    `json:"rank"`
	Key  string `json:"key"`  // the normalized organisation, or "AS64500"
	Name string `json:"name"` // as the latest notice or trace names it
	// ASN is the network's AS number (networks only).
	ASN uint32 `json:"asn,omitempty"`
	// Roles are the roles it was notified in (organisations only).
	Roles []string `json:"roles,omitempty"`
	// Notices sent to it in the period, reminders included (bounced
	// ones left out).
	Notices int `json:"notices"`
	// Notified: items it was first notified about in the period.
	Notified int `json:"notified"`
	// Removed: of those, the items whose removal re-checks confirmed.
	Removed     int     `json:"removed"`
	RemovalRate float64 `json:"removal_rate"` // Removed / Notified, 0–1
	// Times to removal, in minutes; null without a removal.
	MedianMinutes *int64 `json:"median_minutes"`
	P90Minutes    *int64 `json:"p90_minutes"`
	// Ignored: items whose notice's deadline passed with no answer and
	// no removal by then.
	Ignored int `json:"ignored"`
	// Disputed: items about which it disputed a notice.
	Disputed int `json:"disputed"`
}

// ProviderReport is the providers' scorecards over a period, ranked worst
// first (see RankProviders).
type ProviderReport struct {
	From        string          `json:"from"` // first day, YYYY-MM-DD
	To          string          `json:"to"`   // last day, included
	Zone        string          `json:"zone"`
	GeneratedAt time.Time       `json:"generated_at"`
	Providers   []ProviderScore `json:"providers"`
	Networks    []ProviderScore `json:"networks"`
}

// RankProviders orders scorecards worst first and numbers them: most
// ignored notices first, then the slowest median time to removal (a
// provider that removed nothing counts as slowest), then the most items
// notified, then by key.
func RankProviders(ps []ProviderScore) {
	slow := func(p ProviderScore) int64 {
		if p.MedianMinutes == nil {
			return math.MaxInt64
		}
		return *p.MedianMinutes
	}
	slices.SortStableFunc(ps, func(a, b ProviderScore) int {
		switch {
		case a.Ignored != b.Ignored:
			return b.Ignored - a.Ignored
		case slow(a) != slow(b):
			if slow(a) > slow(b) {
				return -1
			}
			return 1
		case a.Notified != b.Notified:
			return b.Notified - a.Notified
		}
		return strings.Compare(a.Key, b.Key)
	})
	for i := range ps {
		ps[i].Rank = i + 1
	}
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of values by the
// nearest-rank method, nil for none. values is sorted in place.
func Percentile(values []int64, p float64) *int64 {
	if len(values) == 0 {
		return nil
	}
	slices.Sort(values)
	rank := int(math.Ceil(p / 100 * float64(len(values))))
	rank = min(max(rank, 1), len(values))
	v := values[rank-1]
	return &v
}

// Minutes is a duration in whole minutes, as the statistics count time.
func Minutes(d time.Duration) int64 { return int64(d / time.Minute) }

// StatsStore computes the statistics. Reading them is audited.
type StatsStore interface {
	Dashboard(ctx context.Context, actor Actor, q DashboardQuery) (*Dashboard, error)
	ProviderScores(ctx context.Context, actor Actor, q ProviderQuery) (*ProviderReport, error)
}
