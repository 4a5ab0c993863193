// Package policy is undox's takedown policy: per category of content, and
// stricter for minors, the deadline that an intermediary has to remove
// reported content, the schedule of re-checks, the escalation ladder with
// its delays, the days on which deadlines pause, and which actions undox
// takes without a human decision.
//
// The policy is a TOML file; [Default] is the one undox ships (the embedded
// default.toml, which documents every key). No function of this package
// reads the clock: every time is passed in.
package policy

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	_ "time/tzdata" // the policy's timezone must resolve on hosts without zoneinfo

	"github.com/undox/undox"
)

//go:embed default.toml
var defaultFile []byte

// DefaultFile returns the text of the default policy file, with its
// comments: what `undox policy default` prints.
func DefaultFile() []byte { return slices.Clone(defaultFile) }

// Default returns the default policy.
func Default() *Policy {
	p, err := Parse(defaultFile)
	if err != nil {
		panic("policy: the default policy is invalid: " + err.Error())
	}
	return p
}

// Load reads and parses a policy file. Errors name the file, and the line
// and key of each problem.
func Load(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Pause days: the values of pause_on and deadline_pause_on.
const (
	PauseWeekend = "weekend"
	PauseHoliday = "holiday"
)

// Ladder actions.
const (
	ActionNotice    = "notice"    // a notice to an intermediary
	ActionReminder  = "reminder"  // the notice again, to the same recipient
	ActionDossier   = "dossier"   // a document with the evidence bundle for an authority
	ActionDelisting = "delisting" // requests to search engines to delist the URLs
)

// Ladder targets that are not recipient roles of the root package.
const (
	// TargetHost is the content's host as the trace found it: the
	// platform itself when the site handles notices (undox.RolePlatform),
	// else the hosting provider (undox.RoleHost), or the CDN or reverse
	// proxy in front of a hidden host (undox.RoleCDN).
	TargetHost = undox.RoleHost
	// TargetRegulator is the ACM for a provider established in the
	// Netherlands, the competent Digital Services Coordinator elsewhere
	// (see [Regulator]).
	TargetRegulator = "regulator"
	// TargetPolice is the police and the public prosecutor: a request for
	// an order under art. 125p Sv, or for mutual legal assistance when the
	// provider is abroad (see [PoliceRequest]).
	TargetPolice = "police"
	// TargetSearchEngines are the search engines asked to delist the URLs.
	TargetSearchEngines = "search_engines"
)

// Regulator returns who receives a regulator dossier for a provider
// established in country (ISO 3166 alpha-2): "ACM" for the Netherlands,
// else "DSC", the Digital Services Coordinator of that member state.
func Regulator(country string) string {
	if country == "NL" || country == "nl" {
		return "ACM"
	}
	return "DSC"
}

// PoliceRequest returns what a police dossier asks for, given the country
// where the provider is established: "125p" (an order under art. 125p
// Wetboek van Strafvordering to make the data inaccessible) for the
// Netherlands, else "mla" (mutual legal assistance).
func PoliceRequest(country string) string {
	if country == "NL" || country == "nl" {
		return "125p"
	}
	return "mla"
}

// Policy is a parsed, valid policy. It is immutable and safe for
// concurrent use.
type Policy struct {
	cal       *calendar
	automatic map[string]bool
	fourEyes  map[string]bool
	reuploads bool
	rules     map[ruleKey]*Rules // every category code and "*", adults and minors
	source    []byte
}

type ruleKey struct {
	category string
	minor    bool
}

// Digest is the SHA-256 of the policy file, in hex: what the audit log
// records as the policy in force.
func (p *Policy) Digest() string {
	h := sha256.Sum256(p.source)
	return hex.EncodeToString(h[:])
}

// Location is the timezone in which the policy's days begin and end.
func (p *Policy) Location() *time.Location { return p.cal.loc }

// Holiday is a listed public holiday.
type Holiday struct {
	Date string `json:"date"` // YYYY-MM-DD
	Name string `json:"name,omitempty"`
}

// Holidays returns the listed holidays, by date.
func (p *Policy) Holidays() []Holiday {
	out := make([]Holiday, 0, len(p.cal.holidays))
	for d, name := range p.cal.holidays {
		out = append(out, Holiday{Date: d.String(), Name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out
}

// CoversYear tells whether holidays are listed for year: an admin should be
// warned when the current year is not covered.
func (p *Policy) CoversYear(year int) bool {
	for d := range p.cal.holidays {
		if d.year == year {
			return true
		}
	}
	return false
}

// AutoNotifyReuploads tells whether a re-upload of content already
// confirmed for a case may be notified without an analyst's approval.
func (p *Policy) AutoNotifyReuploads() bool { return p.reuploads }

// For returns the rules for a report of the given category, for a minor or
// not. The category is taken as [undox.EffectiveCategory] gives it: a
// referral-only category (intimate images of a minor are CSAM) gets Rules
// with ReferralOnly set and no ladder, since undox sends no notices for it.
// An unknown code gets the rules of category "*".
func (p *Policy) For(category string, minor bool) Rules {
	eff := undox.EffectiveCategory(category, minor)
	if eff.ReferralOnly {
		return Rules{Category: eff.Code, Minor: minor, ReferralOnly: true, cal: p.cal}
	}
	if _, known := undox.LookupCategory(category); !known {
		category = "*"
	}
	r := p.rules[ruleKey{category, minor}]
	return r.clone()
}

// Rules are the effective rules for one category, for adults or minors.
type Rules struct {
	Category string
	Minor    bool
	// ReferralOnly rules belong to content that undox never notifies:
	// it goes to the competent authority. They have no ladder.
	ReferralOnly bool
	// DeadlineHours is the time an intermediary has to remove the
	// content after a notice, counted as [Rules.Deadline] does.
	DeadlineHours int
	// DeadlinePauseOn lists the days on which the deadline's clock stops:
	// PauseWeekend, PauseHoliday.
	DeadlinePauseOn []string
	// AfterNotice is the re-check schedule after a notice; the last phase
	// is open-ended.
	AfterNotice []Phase
	// AfterRemoval is the watch after a confirmed removal; every phase has
	// an end. Empty: no watch.
	AfterRemoval []Phase
	// ConfirmAfter is the delay of the check that confirms a removal after
	// a check first found the content gone.
	ConfirmAfter time.Duration
	// AutoNotifyReuploads: see [Policy.AutoNotifyReuploads].
	AutoNotifyReuploads bool

	ladder    []Step
	automatic map[string]bool
	fourEyes  map[string]bool
	cal       *calendar
}

// Phase is one phase of a re-check schedule: a check every Every, for For
// (zero: until the schedule ends for another reason).
type Phase struct {
	Every time.Duration
	For   time.Duration
}

// Step is one step of the escalation ladder.
type Step struct {
	// Name is the step's name, unique in its ladder: what [automation]
	// and the audit log use.
	Name string
	// Action is ActionNotice, ActionReminder, ActionDossier or
	// ActionDelisting.
	Action string
	// Target is who receives it: for a notice or reminder a recipient role
	// (TargetHost, undox.RolePlatform, undox.RoleCDN, undox.RoleUpstream,
	// undox.RoleRegistrar, undox.RoleRegistry), for a dossier
	// TargetRegulator or TargetPolice, for delisting TargetSearchEngines.
	Target string
	// After is the delay since the last ladder action after which the step
	// is due, counting only time outside PauseOn's days.
	After time.Duration
	// AtDeadline marks a step whose delay is the removal deadline: After
	// is then DeadlineHours and PauseOn DeadlinePauseOn.
	AtDeadline bool
	// PauseOn lists the days on which the delay's clock stops.
	PauseOn []string
	// Automatic steps are taken without a human decision once due.
	Automatic bool
	// FourEyes steps need two different staff members.
	FourEyes bool
}

func (r *Rules) clone() Rules {
	c := *r
	c.DeadlinePauseOn = slices.Clone(r.DeadlinePauseOn)
	c.AfterNotice = slices.Clone(r.AfterNotice)
	c.AfterRemoval = slices.Clone(r.AfterRemoval)
	c.ladder = slices.Clone(r.ladder)
	for i := range c.ladder {
		c.ladder[i].PauseOn = slices.Clone(c.ladder[i].PauseOn)
	}
	return c
}

// Deadline returns when the removal deadline of a notice sent at from
// ends: the instant at which DeadlineHours of time outside the paused days
// have passed since from.
//
// Precisely: days are calendar days in the policy's timezone; a paused day
// (a weekend day or a listed holiday, as DeadlinePauseOn says) counts from
// its midnight to the next midnight, and no time passes during it. Time
// counts from from, or from the midnight that ends the paused days when
// from falls on one. A deadline that is used up exactly at midnight ends at
// that midnight. So 24 hours from Friday 17:00, pausing on weekends, is
// Friday 17:00-24:00 (7 h) + Monday 00:00-17:00 (17 h): Monday 17:00.
// Across a change to or from summer time the count is of real hours.
func (r Rules) Deadline(from time.Time) time.Time {
	return r.cal.add(from, time.Duration(r.DeadlineHours)*time.Hour, pauseSet(r.DeadlinePauseOn))
}

// Schedule selects a re-check schedule.
type Schedule int

// Re-check schedules.
const (
	// AfterNotice runs from the first notice until the removal is
	// confirmed.
	AfterNotice Schedule = iota
	// AfterRemoval runs from the confirmed removal, to catch re-uploads.
	AfterRemoval
)

// NextCheck returns when the check that follows n checks of the schedule
// is due, counting from since (the first notice for AfterNotice, the
// confirmed removal for AfterRemoval); n = 0 gives the first check. The
// times are fixed by the schedule, not by when earlier checks ran: phase
// i's checks fall at its start + k*Every for k = 1 … For/Every, and the
// next phase starts at the end of the previous one (its start + For). It
// returns false when the schedule has ended (AfterRemoval's watch is over).
// A check whose time has passed is due now.
func (r Rules) NextCheck(s Schedule, since time.Time, n int) (time.Time, bool) {
	phases := r.AfterNotice
	if s == AfterRemoval {
		phases = r.AfterRemoval
	}
	if n < 0 {
		n = 0
	}
	start := since
	for _, ph := range phases {
		if ph.For == 0 { // open-ended
			return start.Add(time.Duration(n+1) * ph.Every), true
		}
		count := int(ph.For / ph.Every)
		if n < count {
			return start.Add(time.Duration(n+1) * ph.Every), true
		}
		n -= count
		start = start.Add(ph.For)
	}
	return time.Time{}, false
}

// Ladder returns the escalation ladder, in order.
func (r Rules) Ladder() []Step {
	out := slices.Clone(r.ladder)
	for i := range out {
		out[i].PauseOn = slices.Clone(out[i].PauseOn)
	}
	return out
}

// StepAt returns when ladder step i is due, given the time of the last
// action taken on the ladder (the previous step, or an earlier one when
// steps that did not apply were skipped): lastActionAt plus the step's
// delay, counted as [Rules.Deadline] counts (only time outside the step's
// pause days). A delay of zero is due at lastActionAt itself, even on a
// paused day. It returns false for an index outside the ladder.
func (r Rules) StepAt(i int, lastActionAt time.Time) (time.Time, bool) {
	if i < 0 || i >= len(r.ladder) {
		return time.Time{}, false
	}
	st := r.ladder[i]
	return r.cal.add(lastActionAt, st.After, pauseSet(st.PauseOn)), true
}

// StepDue tells whether ladder step i is due at now, given the time of the
// last action taken on the ladder (see [Rules.StepAt]).
func (r Rules) StepDue(i int, lastActionAt, now time.Time) bool {
	at, ok := r.StepAt(i, lastActionAt)
	return ok && !now.Before(at)
}

// Automatic tells whether the named step is taken without a human
// decision once due.
func (r Rules) Automatic(step string) bool { return r.automatic[step] }

// FourEyes tells whether the named step needs two different staff members.
func (r Rules) FourEyes(step string) bool { return r.fourEyes[step] }

// Paused tells whether t falls on a day that pauseOn excludes.
func (r Rules) Paused(t time.Time, pauseOn []string) bool {
	return r.cal.paused(t, pauseSet(pauseOn))
}

// Weekend returns the weekend days, monday … sunday.
func (p *Policy) Weekend() []string {
	var out []string
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		if p.cal.weekend[d] {
			out = append(out, strings.ToLower(d.String()))
		}
	}
	return out
}
