package web

// The takedown policy in force, read-only: it is a file that undox is
// started with (--policy), checked by `undox policy check`.

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/policy"
)

type policyView struct {
	Digest, Zone, Weekend string
	Holidays              []dashRow // day, name
	HolidaySpan           string
	// Uncovered: no holidays are listed for the current year.
	Uncovered   bool
	Reuploads   string
	Rules       []policyRow
	DefaultFile bool
}

type policyRow struct {
	Category, Minor   string
	ReferralOnly      bool
	ReferralNote      string
	Deadline, PauseOn string
	Checks, Watch     string
	Ladder            []ladderStep
}

type ladderStep struct {
	Name, What, When string
	Flags            []string
}

// policy is the policy in force.
func (s *Server) policy() *policy.Policy {
	if s.Policy != nil {
		return s.Policy
	}
	return defaultPolicy
}

var defaultPolicy = policy.Default()

// duration writes a duration of the policy in words: whole days as
// days, whole hours as hours, else minutes.
func duration(t map[string]string, d time.Duration) string {
	unit := func(n int64, one, many string) string {
		if n == 1 {
			return fmt.Sprintf(t[one], n)
		}
		return fmt.Sprintf(t[many], n)
	}
	switch {
	case d > 0 && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "admin_dur_day", "admin_dur_days")
	case d > 0 && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "admin_dur_hour", "admin_dur_hours")
	default:
		return unit(int64(d/time.Minute), "admin_dur_minute", "admin_dur_minutes")
	}
}

// hours writes a number of hours.
func hours(t map[string]string, n int) string {
	if n == 1 {
		return fmt.Sprintf(t["admin_dur_hour"], n)
	}
	return fmt.Sprintf(t["admin_dur_hours"], n)
}

// pauseDays names pause days ("weekend", "holiday") in words.
func pauseDays(t map[string]string, days []string) string {
	if len(days) == 0 {
		return t["admin_policy_no_pause"]
	}
	var out []string
	for _, d := range days {
		out = append(out, nonEmpty(t["admin_pause_"+d], d))
	}
	return strings.Join(out, ", ")
}

// phases writes a re-check schedule in words.
func phases(t map[string]string, ps []policy.Phase) string {
	if len(ps) == 0 {
		return t["admin_policy_none"]
	}
	var out []string
	for _, p := range ps {
		if p.For > 0 {
			out = append(out, fmt.Sprintf(t["admin_policy_every_for"], duration(t, p.Every), duration(t, p.For)))
		} else {
			out = append(out, fmt.Sprintf(t["admin_policy_every"], duration(t, p.Every)))
		}
	}
	return strings.Join(out, t["admin_policy_then"])
}

func nonEmpty(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// adminPolicy is GET /admin/policy: the policy in force, and how to
// change it.
func (s *Server) adminPolicy(w http.ResponseWriter, r *http.Request, a undox.Actor) {
	p := s.newAdminPage(w, r, a, "policy")
	t := p.T
	pol := s.policy()
	v := &policyView{Digest: pol.Digest(), Zone: pol.Location().String(),
		Reuploads: yesNo(t, pol.AutoNotifyReuploads()), DefaultFile: pol.Digest() == defaultPolicy.Digest()}
	var weekend []string
	for _, d := range pol.Weekend() {
		weekend = append(weekend, nonEmpty(t["admin_day_"+d], d))
	}
	v.Weekend = nonEmpty(strings.Join(weekend, ", "), t["admin_policy_none"])
	hs := pol.Holidays()
	for _, h := range hs {
		v.Holidays = append(v.Holidays, dashRow{Label: formatDayString(p.Lang, h.Date), Value: h.Name})
	}
	if n := len(hs); n > 0 {
		v.HolidaySpan = fmt.Sprintf(t["admin_policy_holiday_span"], n, v.Holidays[0].Label, v.Holidays[n-1].Label)
	} else {
		v.HolidaySpan = t["admin_policy_none"]
	}
	v.Uncovered = !pol.CoversYear(s.Store.Now().In(pol.Location()).Year())
	codes := []string{"*"}
	for _, c := range undox.Categories() {
		codes = append(codes, c.Code)
	}
	for _, code := range codes {
		for _, minor := range []bool{false, true} {
			rules := pol.For(code, minor)
			row := policyRow{Category: categoryLabel(t, code), Minor: yesNo(t, minor), ReferralOnly: rules.ReferralOnly}
			if rules.ReferralOnly {
				row.ReferralNote = fmt.Sprintf(t["admin_policy_referral"], categoryLabel(t, rules.Category))
				v.Rules = append(v.Rules, row)
				continue
			}
			row.Deadline = hours(t, rules.DeadlineHours) // as the file gives it
			row.PauseOn = pauseDays(t, rules.DeadlinePauseOn)
			row.Checks = phases(t, rules.AfterNotice)
			row.Watch = phases(t, rules.AfterRemoval)
			for _, st := range rules.Ladder() {
				ls := ladderStep{Name: st.Name, What: fmt.Sprintf(t["admin_policy_step"],
					nonEmpty(t["admin_action_"+st.Action], st.Action), nonEmpty(t["admin_target_"+st.Target], st.Target))}
				switch {
				case st.AtDeadline:
					ls.When = t["admin_policy_at_deadline"]
				case st.After > 0:
					ls.When = fmt.Sprintf(t["admin_policy_after"], duration(t, st.After))
					if len(st.PauseOn) > 0 {
						ls.When += " (" + fmt.Sprintf(t["admin_policy_pausing"], pauseDays(t, st.PauseOn)) + ")"
					}
				default:
					ls.When = t["admin_policy_at_once"]
				}
				if st.Automatic {
					ls.Flags = append(ls.Flags, t["admin_policy_automatic"])
				}
				if st.FourEyes {
					ls.Flags = append(ls.Flags, t["admin_policy_four_eyes"])
				}
				row.Ladder = append(row.Ladder, ls)
			}
			v.Rules = append(v.Rules, row)
		}
	}
	p.Policy = v
	s.renderPage(w, http.StatusOK, "staff_admin_policy.html", p)
}

// categoryLabel names a category code ("*": every other category).
func categoryLabel(t map[string]string, code string) string {
	if code == "*" {
		return t["admin_cat_any"]
	}
	if n := t["admin_cat_"+code]; n != "" {
		return n
	}
	if c, ok := undox.LookupCategory(code); ok {
		return c.Name
	}
	return code
}

// formatDayString writes a day (YYYY-MM-DD) as people read it.
func formatDayString(lang, day string) string {
	d, err := time.ParseInLocation("2006-01-02", day, amsterdam)
	if err != nil {
		return day
	}
	return formatDay(lang, d)
}
