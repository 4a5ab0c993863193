package undox

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Retention says how long a case is kept after it reached a status, per
// category and status. Rules are "category/status=duration" with "*" for
// any; the most specific rule wins. Withdrawn cases are erased at once
// unless a rule says otherwise; a legal hold always keeps a case.
type Retention struct {
	rules map[string]time.Duration
}

// DefaultRetention is used when the configuration gives none: a year after
// a case is closed, at once after it is withdrawn.
const DefaultRetention = "*/closed=8760h,*/withdrawn=0s"

// ParseRetention parses rules such as "*/closed=8760h,doxing/closed=17520h".
func ParseRetention(s string) (Retention, error) {
	r := Retention{rules: map[string]time.Duration{}}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		cat, status, ok2 := strings.Cut(key, "/")
		if !ok || !ok2 {
			return r, fmt.Errorf("retention rule %q: want category/status=duration", part)
		}
		if _, known := categories[cat]; cat != "*" && !known {
			return r, fmt.Errorf("retention rule %q: unknown category %q", part, cat)
		}
		if status != "*" && status != string(CaseClosed) && status != string(CaseWithdrawn) {
			return r, fmt.Errorf("retention rule %q: status must be closed, withdrawn or *", part)
		}
		d, err := time.ParseDuration(val)
		if err != nil || d < 0 {
			return r, fmt.Errorf("retention rule %q: bad duration", part)
		}
		r.rules[cat+"/"+status] = d
	}
	return r, nil
}

// Period returns how long a case of category in status is kept, and
// whether any rule applies (no rule: kept).
func (r Retention) Period(category string, status CaseStatus) (time.Duration, bool) {
	for _, k := range []string{category + "/" + string(status), category + "/*", "*/" + string(status), "*/*"} {
		if d, ok := r.rules[k]; ok {
			return d, true
		}
	}
	return 0, false
}

// Due tells whether a case that reached status at t is due for erasure.
func (r Retention) Due(category string, status CaseStatus, t, now time.Time) bool {
	d, ok := r.Period(category, status)
	return ok && !now.Before(t.Add(d))
}

// String lists the rules.
func (r Retention) String() string {
	var parts []string
	for k, d := range r.rules {
		parts = append(parts, k+"="+d.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
