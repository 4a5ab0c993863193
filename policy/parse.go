package policy

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/undox/undox"
)

// FormatVersion is the version of the policy file format that this
// package reads.
const FormatVersion = 1

// Error is one problem in a policy file. Parse returns all the problems it
// finds, joined (errors.Join); errors.As finds the first.
type Error struct {
	// Line is the line of the file, from 1; 0 when it is not known.
	Line int
	// Key is the key's path as TOML writes it, with the steps of an array
	// counted from 1: `category."*".ladder[3].after`.
	Key     string
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// The file as TOML decodes it. Pointers tell a key that is absent from one
// that is set to its zero value; a block's absent keys are inherited.
type rawFile struct {
	Version    *int64               `toml:"version"`
	Calendar   *rawCalendar         `toml:"calendar"`
	Automation *rawAutomation       `toml:"automation"`
	Category   map[string]*rawRules `toml:"category"`
}

type rawCalendar struct {
	Timezone *string       `toml:"timezone"`
	Weekend  *[]string     `toml:"weekend"`
	Holidays *[]rawHoliday `toml:"holidays"`
}

type rawHoliday struct {
	Date *string `toml:"date"`
	Name string  `toml:"name"`
}

type rawAutomation struct {
	AutoNotifyReuploads *bool    `toml:"auto_notify_reuploads"`
	Automatic           []string `toml:"automatic"`
	FourEyes            []string `toml:"four_eyes"`
}

type rawRules struct {
	DeadlineHours   *int64     `toml:"deadline_hours"`
	DeadlinePauseOn *[]string  `toml:"deadline_pause_on"`
	Recheck         *rawCheck  `toml:"recheck"`
	Ladder          *[]rawStep `toml:"ladder"`
	Minor           *rawRules  `toml:"minor"`
}

type rawCheck struct {
	AfterNotice  *[]rawPhase `toml:"after_notice"`
	AfterRemoval *[]rawPhase `toml:"after_removal"`
	ConfirmAfter *string     `toml:"confirm_after"`
}

type rawPhase struct {
	Every *string `toml:"every"`
	For   *string `toml:"for"`
}

type rawStep struct {
	Name    *string   `toml:"name"`
	Action  *string   `toml:"action"`
	Target  *string   `toml:"target"`
	After   *string   `toml:"after"`
	PauseOn *[]string `toml:"pause_on"`
}

// block is one [category…] block, checked: its set keys, each with the
// path where it was set (for errors about the merged rules).
type block struct {
	path          []string
	deadlineHours *int
	deadlinePause *[]string
	afterNotice   *[]Phase
	afterRemoval  *[]Phase
	confirmAfter  *time.Duration
	ladder        *[]Step
}

// Parse reads a policy file. The file is complete: it does not add to the
// default policy. Every problem is reported, each with its line and key.
func Parse(b []byte) (*Policy, error) {
	src := newSource(b)
	var raw rawFile
	md, err := toml.Decode(string(b), &raw)
	if err != nil {
		return nil, tomlError(err)
	}
	v := &validator{src: src}
	v.unknownKeys(md.Undecoded())
	p := v.build(&raw)
	if len(v.errs) > 0 {
		return nil, errors.Join(v.errs...)
	}
	p.source = slices.Clone(b)
	return p, nil
}

var tomlErrRE = regexp.MustCompile(`(?s)^toml: (?:line (\d+) )?(?:\(last key ("(?:[^"\\]|\\.)*")\): )?(.*)$`)

// tomlError turns the TOML library's errors into an *Error.
func tomlError(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{Line: pe.Position.Line, Key: pe.LastKey, Message: pe.Message}
	}
	if m := tomlErrRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		key, _ := strconv.Unquote(m[2])
		return &Error{Line: line, Key: key, Message: m[3]}
	}
	return &Error{Message: err.Error()}
}

type validator struct {
	src  *source
	errs []error
}

func (v *validator) errf(path []string, format string, args ...any) {
	v.errs = append(v.errs, &Error{Line: v.src.line(path), Key: keyString(path), Message: fmt.Sprintf(format, args...)})
}

// unknownKeys reports the keys that no field took, once per unknown table.
func (v *validator) unknownKeys(keys []toml.Key) {
	var reported []toml.Key
outer:
	for _, k := range keys {
		for _, r := range reported {
			if len(k) > len(r) && slices.Equal(k[:len(r)], r) {
				continue outer
			}
		}
		reported = append(reported, k)
		msg := "unknown key"
		if known := knownKeys(k[:len(k)-1]); len(known) > 0 {
			msg += " (known keys here: " + strings.Join(known, ", ") + ")"
		}
		v.errf(k, "%s", msg)
	}
}

// knownKeys lists the keys that the table at path takes, from rawFile's
// fields.
func knownKeys(path []string) []string {
	t := reflect.TypeOf(rawFile{})
	for _, p := range path {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Map:
			t = t.Elem()
		case reflect.Struct:
			f, ok := fieldByTag(t, p)
			if !ok {
				return nil
			}
			t = f.Type
		default:
			return nil
		}
	}
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		out = append(out, t.Field(i).Tag.Get("toml"))
	}
	return out
}

func fieldByTag(t reflect.Type, tag string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("toml") == tag {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

func (v *validator) build(raw *rawFile) *Policy {
	p := &Policy{automatic: map[string]bool{}, fourEyes: map[string]bool{}, rules: map[ruleKey]*Rules{}}
	switch {
	case raw.Version == nil:
		v.errf([]string{"version"}, "missing: this file format is version %d (write version = %d)", FormatVersion, FormatVersion)
	case *raw.Version != FormatVersion:
		v.errf([]string{"version"}, "this undox reads version %d of the policy format, not %d", FormatVersion, *raw.Version)
	}
	p.cal = v.calendar(raw.Calendar)

	// The blocks, checked one by one.
	blocks := map[ruleKey]*block{}
	codes := []string{"*"}
	for _, c := range undox.Categories() {
		if !c.ReferralOnly {
			codes = append(codes, c.Code)
		}
	}
	names := make([]string, 0, len(raw.Category))
	for name := range raw.Category {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		r := raw.Category[name]
		path := []string{"category", name}
		if r == nil {
			continue
		}
		if name != "*" {
			c, ok := undox.LookupCategory(name)
			switch {
			case !ok:
				v.errf(path, "unknown category (known: %s)", strings.Join(codes, ", "))
				continue
			case c.ReferralOnly:
				v.errf(path, "%s is referral-only: undox sends no notices for it, it passes it to the competent authority, so it has no rules", name)
				continue
			}
		}
		blocks[ruleKey{name, false}] = v.block(path, r)
		if r.Minor != nil {
			mpath := append(slices.Clone(path), "minor")
			if r.Minor.Minor != nil {
				v.errf(append(mpath, "minor"), "minor blocks do not nest")
			}
			blocks[ruleKey{name, true}] = v.block(mpath, r.Minor)
		}
	}
	base := blocks[ruleKey{"*", false}]
	if base == nil {
		v.errf([]string{"category", "*"}, `missing: [category."*"] holds the rules for every category`)
		return p
	}
	for _, m := range []struct {
		key     string
		missing bool
	}{
		{"deadline_hours", base.deadlineHours == nil},
		{"deadline_pause_on", base.deadlinePause == nil},
		{"recheck.after_notice", base.afterNotice == nil},
		{"recheck.after_removal", base.afterRemoval == nil},
		{"recheck.confirm_after", base.confirmAfter == nil},
		{"ladder", base.ladder == nil},
	} {
		if m.missing {
			v.errf(append(slices.Clone(base.path), strings.Split(m.key, ".")...), `missing: category."*" must set every rule`)
		}
	}
	v.automation(p, raw.Automation, blocks)
	if len(v.errs) > 0 {
		return p // the checks of the merged rules need valid blocks
	}

	for _, code := range codes {
		adult := merge(base, blocks[ruleKey{code, false}])
		minor := merge(adult, blocks[ruleKey{"*", true}], blocks[ruleKey{code, true}])
		if *minor.deadlineHours > *adult.deadlineHours {
			from := minorDeadlinePath(blocks, code)
			v.errf(from, "the minors' deadline (%dh) is longer than the adults' one (%dh) for category %s: the rules for minors may only be stricter",
				*minor.deadlineHours, *adult.deadlineHours, code)
		}
		p.rules[ruleKey{code, false}] = p.rules0(code, false, adult)
		p.rules[ruleKey{code, true}] = p.rules0(code, true, minor)
	}
	return p
}

// minorDeadlinePath is where a category's minors' deadline was set.
func minorDeadlinePath(blocks map[ruleKey]*block, code string) []string {
	for _, k := range []ruleKey{{code, true}, {"*", true}} {
		if b := blocks[k]; b != nil && b.deadlineHours != nil {
			return append(slices.Clone(b.path), "deadline_hours")
		}
	}
	return []string{"category", code, "deadline_hours"}
}

// merge applies blocks in order over base; nil blocks are skipped.
func merge(base *block, over ...*block) *block {
	out := *base
	for _, b := range over {
		if b == nil {
			continue
		}
		if b.deadlineHours != nil {
			out.deadlineHours = b.deadlineHours
		}
		if b.deadlinePause != nil {
			out.deadlinePause = b.deadlinePause
		}
		if b.afterNotice != nil {
			out.afterNotice = b.afterNotice
		}
		if b.afterRemoval != nil {
			out.afterRemoval = b.afterRemoval
		}
		if b.confirmAfter != nil {
			out.confirmAfter = b.confirmAfter
		}
		if b.ladder != nil {
			out.ladder = b.ladder
		}
	}
	return &out
}

func (p *Policy) rules0(code string, minor bool, b *block) *Rules {
	r := &Rules{
		Category:            code,
		Minor:               minor,
		DeadlineHours:       *b.deadlineHours,
		DeadlinePauseOn:     slices.Clone(*b.deadlinePause),
		AfterNotice:         slices.Clone(*b.afterNotice),
		AfterRemoval:        slices.Clone(*b.afterRemoval),
		ConfirmAfter:        *b.confirmAfter,
		AutoNotifyReuploads: p.reuploads,
		automatic:           p.automatic,
		fourEyes:            p.fourEyes,
		cal:                 p.cal,
	}
	for _, st := range *b.ladder {
		if st.AtDeadline {
			st.After = time.Duration(r.DeadlineHours) * time.Hour
			st.PauseOn = slices.Clone(r.DeadlinePauseOn)
		} else {
			st.PauseOn = slices.Clone(st.PauseOn)
		}
		st.Automatic = p.automatic[st.Name]
		st.FourEyes = p.fourEyes[st.Name]
		r.ladder = append(r.ladder, st)
	}
	return r
}

func (v *validator) calendar(raw *rawCalendar) *calendar {
	c := &calendar{loc: time.UTC, holidays: map[date]string{}}
	path := []string{"calendar"}
	if raw == nil {
		v.errf(path, "missing: [calendar] sets the timezone, the weekend and the holidays")
		return c
	}
	if raw.Timezone == nil {
		v.errf(append(path, "timezone"), `missing: the timezone in which days begin and end, e.g. "Europe/Amsterdam"`)
	} else if loc, err := time.LoadLocation(*raw.Timezone); err != nil || *raw.Timezone == "" || *raw.Timezone == "Local" {
		v.errf(append(path, "timezone"), "%q is not an IANA timezone name such as \"Europe/Amsterdam\"", *raw.Timezone)
	} else {
		c.loc = loc
	}
	if raw.Weekend == nil {
		v.errf(append(path, "weekend"), `missing: the weekend days, e.g. ["saturday", "sunday"] ([] for none)`)
	} else {
		for i, d := range *raw.Weekend {
			wd, ok := weekdays[d]
			switch {
			case !ok:
				v.errf(append(path, "weekend", index(i)), "%q is not a day of the week (monday … sunday, in lower case)", d)
			case c.weekend[wd]:
				v.errf(append(path, "weekend", index(i)), "%s is listed twice", d)
			}
			c.weekend[wd] = ok
		}
		if !slices.Contains(c.weekend[:], false) {
			v.errf(append(path, "weekend"), "every day of the week is a weekend day: deadlines that pause on weekends would never end")
		}
	}
	if raw.Holidays == nil {
		v.errf(append(path, "holidays"), "missing: the public holidays, as a list of { date = \"YYYY-MM-DD\", name = \"…\" } ([] for none)")
	} else {
		for i, h := range *raw.Holidays {
			hp := append(slices.Clone(path), "holidays", index(i))
			if h.Date == nil {
				v.errf(append(hp, "date"), "missing: the holiday's date (YYYY-MM-DD)")
				continue
			}
			d, err := parseDate(*h.Date)
			if err != nil {
				v.errf(append(hp, "date"), "%v", err)
				continue
			}
			if _, dup := c.holidays[d]; dup {
				v.errf(append(hp, "date"), "%s is listed twice", d)
			}
			c.holidays[d] = h.Name
		}
	}
	return c
}

func (v *validator) automation(p *Policy, raw *rawAutomation, blocks map[ruleKey]*block) {
	if raw == nil {
		return // nothing is automatic
	}
	path := []string{"automation"}
	if raw.AutoNotifyReuploads != nil {
		p.reuploads = *raw.AutoNotifyReuploads
	}
	steps := map[string]bool{}
	first := map[string]bool{}
	for _, b := range blocks {
		if b.ladder != nil {
			for i, st := range *b.ladder {
				steps[st.Name] = true
				first[st.Name] = first[st.Name] || i == 0
			}
		}
	}
	known := slices.Sorted(func(yield func(string) bool) {
		for s := range steps {
			if !yield(s) {
				return
			}
		}
	})
	check := func(key string, list []string, into map[string]bool) {
		for i, name := range list {
			ip := append(slices.Clone(path), key, index(i))
			switch {
			case !steps[name]:
				v.errf(ip, "no ladder has a step named %q (steps: %s)", name, strings.Join(known, ", "))
			case into[name]:
				v.errf(ip, "%q is listed twice", name)
			}
			into[name] = true
		}
	}
	check("automatic", raw.Automatic, p.automatic)
	check("four_eyes", raw.FourEyes, p.fourEyes)
	for i, name := range raw.Automatic {
		ip := append(slices.Clone(path), "automatic", index(i))
		if first[name] {
			v.errf(ip, "%q is the first step of a ladder: an analyst always approves the first notice for an item (auto_notify_reuploads covers re-uploads)", name)
		}
		if p.fourEyes[name] {
			v.errf(ip, "%q is also in four_eyes: a step is either automatic or approved by two people", name)
		}
	}
}

// block checks one [category…] block.
func (v *validator) block(path []string, r *rawRules) *block {
	b := &block{path: path}
	sub := func(keys ...string) []string { return append(slices.Clone(path), keys...) }
	if r.DeadlineHours != nil {
		h := *r.DeadlineHours
		if h < 1 || h > 24*365 {
			v.errf(sub("deadline_hours"), "must be a whole number of hours from 1 to 8760, not %d", h)
		}
		n := int(h)
		b.deadlineHours = &n
	}
	if r.DeadlinePauseOn != nil {
		pl := v.pauseList(sub("deadline_pause_on"), *r.DeadlinePauseOn)
		b.deadlinePause = &pl
	}
	if rc := r.Recheck; rc != nil {
		if rc.AfterNotice != nil {
			ph := v.phases(sub("recheck", "after_notice"), *rc.AfterNotice, false)
			b.afterNotice = &ph
		}
		if rc.AfterRemoval != nil {
			ph := v.phases(sub("recheck", "after_removal"), *rc.AfterRemoval, true)
			b.afterRemoval = &ph
		}
		if rc.ConfirmAfter != nil {
			d, err := parseDuration(*rc.ConfirmAfter)
			switch {
			case err != nil:
				v.errf(sub("recheck", "confirm_after"), "%v", err)
			case d < time.Minute || d > 24*time.Hour:
				v.errf(sub("recheck", "confirm_after"), "must be from 1m to 24h, not %s", *rc.ConfirmAfter)
			}
			b.confirmAfter = &d
		}
	}
	if r.Ladder != nil {
		l := v.ladder(sub("ladder"), *r.Ladder)
		b.ladder = &l
	}
	return b
}

func (v *validator) pauseList(path []string, list []string) []string {
	seen := map[string]bool{}
	for i, s := range list {
		switch {
		case s != PauseWeekend && s != PauseHoliday:
			v.errf(append(slices.Clone(path), index(i)), "%q is not a kind of day to pause on (weekend, holiday)", s)
		case seen[s]:
			v.errf(append(slices.Clone(path), index(i)), "%q is listed twice", s)
		}
		seen[s] = true
	}
	return slices.Clone(list)
}

func (v *validator) phases(path []string, raw []rawPhase, watch bool) []Phase {
	if len(raw) == 0 && !watch {
		v.errf(path, "needs at least one phase: undox re-checks the content until it is gone")
	}
	out := make([]Phase, 0, len(raw))
	for i, rp := range raw {
		pp := append(slices.Clone(path), index(i))
		var ph Phase
		if rp.Every == nil {
			v.errf(append(pp, "every"), "missing: how often to check, e.g. \"1h\"")
		} else if d, err := parseDuration(*rp.Every); err != nil {
			v.errf(append(pp, "every"), "%v", err)
		} else if d < time.Minute {
			v.errf(append(pp, "every"), "must be at least 1m, not %s", *rp.Every)
		} else {
			ph.Every = d
		}
		last := i == len(raw)-1
		switch {
		case rp.For == nil && watch:
			v.errf(append(pp, "for"), "missing: every phase of the watch after a removal ends (e.g. for = \"30d\")")
		case rp.For == nil && !last:
			v.errf(append(pp, "for"), "missing: only the last phase runs without end")
		case rp.For != nil && !watch && last:
			v.errf(append(pp, "for"), "the last phase after a notice has no end: undox re-checks until the content is gone (remove for)")
		case rp.For != nil:
			d, err := parseDuration(*rp.For)
			if err != nil {
				v.errf(append(pp, "for"), "%v", err)
			} else if ph.Every > 0 && d < ph.Every {
				v.errf(append(pp, "for"), "%s is shorter than every (%s): the phase would hold no check", *rp.For, *rp.Every)
			} else {
				ph.For = d
			}
		}
		if ph.Every == 0 {
			ph.Every = time.Hour // keep the schedule finite while errors are reported
		}
		out = append(out, ph)
	}
	return out
}

var stepNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// targets lists the valid targets per action.
var targets = map[string][]string{
	ActionNotice:    {TargetHost, undox.RolePlatform, undox.RoleCDN, undox.RoleUpstream, undox.RoleRegistrar, undox.RoleRegistry},
	ActionReminder:  {TargetHost, undox.RolePlatform, undox.RoleCDN, undox.RoleUpstream, undox.RoleRegistrar, undox.RoleRegistry},
	ActionDossier:   {TargetRegulator, TargetPolice},
	ActionDelisting: {TargetSearchEngines},
}

func (v *validator) ladder(path []string, raw []rawStep) []Step {
	if len(raw) == 0 {
		v.errf(path, "needs at least one step, the notice")
	}
	names := map[string]bool{}
	out := make([]Step, 0, len(raw))
	for i, rs := range raw {
		sp := append(slices.Clone(path), index(i))
		var st Step
		if rs.Name == nil {
			v.errf(append(sp, "name"), "missing: the step's name, e.g. \"registrar\"")
		} else if st.Name = *rs.Name; !stepNameRE.MatchString(st.Name) {
			v.errf(append(sp, "name"), "%q is not a step name (lower-case letters, digits and _, starting with a letter)", st.Name)
		} else if names[st.Name] {
			v.errf(append(sp, "name"), "%q is the name of an earlier step: names are unique in a ladder", st.Name)
		}
		names[st.Name] = true
		if rs.Action == nil {
			v.errf(append(sp, "action"), "missing: notice, reminder, dossier or delisting")
		} else if st.Action = *rs.Action; targets[st.Action] == nil {
			v.errf(append(sp, "action"), "%q is not an action (notice, reminder, dossier, delisting)", st.Action)
		} else if i == 0 && st.Action != ActionNotice {
			v.errf(append(sp, "action"), "the first step of a ladder is the notice (action = \"notice\"), not %q", st.Action)
		}
		if rs.Target == nil {
			v.errf(append(sp, "target"), "missing: who receives the step")
		} else if st.Target = *rs.Target; targets[st.Action] != nil && !slices.Contains(targets[st.Action], st.Target) {
			v.errf(append(sp, "target"), "%q is not a target of a %s (targets: %s)", st.Target, st.Action, strings.Join(targets[st.Action], ", "))
		}
		switch {
		case rs.After == nil:
			v.errf(append(sp, "after"), "missing: the delay since the last action, e.g. \"24h\", or \"deadline\"")
		case *rs.After == "deadline":
			st.AtDeadline = true
			if rs.PauseOn != nil {
				v.errf(append(sp, "pause_on"), "a step due at the deadline pauses as deadline_pause_on says: remove pause_on here")
			}
		default:
			d, err := parseDuration(*rs.After)
			if err != nil {
				v.errf(append(sp, "after"), "%v, or \"deadline\"", err)
			}
			st.After = d
		}
		if rs.PauseOn != nil && !st.AtDeadline {
			st.PauseOn = v.pauseList(append(sp, "pause_on"), *rs.PauseOn)
		}
		out = append(out, st)
	}
	return out
}

var durationDaysRE = regexp.MustCompile(`^(\d+)d(.*)$`)

// parseDuration reads a duration: Go's units ("90m", "1h30m") and days of
// 24 hours ("30d", "1d12h").
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration (e.g. \"30m\", \"6h\", \"30d\")", s)
	s0 := strings.TrimSpace(s)
	var days time.Duration
	if m := durationDaysRE.FindStringSubmatch(s0); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 3660 {
			return 0, bad
		}
		days, s0 = time.Duration(n)*24*time.Hour, m[2]
		if s0 == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s0)
	if err != nil || d < 0 || s0 == "" {
		return 0, bad
	}
	return days + d, nil
}

// index is the path element of an array's element i (shown from 1).
func index(i int) string { return "#" + strconv.Itoa(i+1) }

var bareKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// keyString writes a key path as TOML does, arrays' elements as [n].
func keyString(path []string) string {
	var b strings.Builder
	for i, p := range path {
		if strings.HasPrefix(p, "#") {
			b.WriteString("[" + p[1:] + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if bareKeyRE.MatchString(p) {
			b.WriteString(p)
		} else {
			b.WriteString(strconv.Quote(p))
		}
	}
	return b.String()
}

// source finds the line of a key in the file. The TOML library keeps the
// positions of keys to itself, so this reads the lines again: table
// headers, arrays of tables and key = value lines. It is a best effort; 0
// means not found.
type source struct {
	lines []srcLine
}

type srcLine struct {
	n    int
	path []string // with #n for the elements of arrays of tables
}

func newSource(b []byte) *source {
	s := &source{}
	var table []string
	counts := map[string]int{}
	// A multi-line array whose elements are inline tables, one a line
	// (holidays, phases): each element's line is recorded.
	var array []string
	elem := 0
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(stripComment(line))
		if array != nil {
			switch {
			case line == "":
			case strings.HasPrefix(line, "]"):
				array = nil
			case strings.HasPrefix(line, "{"):
				s.lines = append(s.lines, srcLine{i + 1, append(slices.Clone(array), index(elem))})
				elem++
			default:
				array = nil // another layout: elements are not counted
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "[["):
			k, ok := splitKey(strings.TrimSuffix(strings.TrimPrefix(line, "[["), "]]"))
			if !ok {
				continue
			}
			ks := strings.Join(k, "\x00")
			counts[ks]++
			table = append(k, index(counts[ks]-1))
			s.lines = append(s.lines, srcLine{i + 1, table})
		case strings.HasPrefix(line, "["):
			k, ok := splitKey(strings.TrimSuffix(strings.TrimPrefix(line, "["), "]"))
			if !ok {
				continue
			}
			table = k
			s.lines = append(s.lines, srcLine{i + 1, table})
		default:
			before, after, found := cutUnquoted(line, '=')
			if !found {
				continue
			}
			k, ok := splitKey(before)
			if !ok {
				continue
			}
			path := append(slices.Clone(table), k...)
			s.lines = append(s.lines, srcLine{i + 1, path})
			if strings.TrimSpace(after) == "[" {
				array, elem = path, 0
			}
		}
	}
	return s
}

// line returns the line where path, or the nearest table or key above it,
// is written.
func (s *source) line(path []string) int {
	for n := len(path); n > 0; n-- {
		for _, l := range s.lines {
			if pathMatch(l.path, path[:n]) {
				return l.n
			}
		}
	}
	return 0
}

// pathMatch compares a line's path with a wanted one; the line's array
// indices are skipped where the wanted path has none.
func pathMatch(have, want []string) bool {
	i := 0
	for _, w := range want {
		for i < len(have) && strings.HasPrefix(have[i], "#") && !strings.HasPrefix(w, "#") {
			i++
		}
		if i >= len(have) || have[i] != w {
			return false
		}
		i++
	}
	return i == len(have)
}

func stripComment(line string) string {
	before, _, _ := cutUnquoted(line, '#')
	return before
}

// cutUnquoted cuts line around the first c outside quotes.
func cutUnquoted(line string, c byte) (string, string, bool) {
	var q byte
	for i := 0; i < len(line); i++ {
		switch ch := line[i]; {
		case q != 0:
			if ch == '\\' && q == '"' {
				i++
			} else if ch == q {
				q = 0
			}
		case ch == '"' || ch == '\'':
			q = ch
		case ch == c:
			return line[:i], line[i+1:], true
		}
	}
	return line, "", false
}

// splitKey splits a dotted TOML key; ok is false when s is not a key.
func splitKey(s string) ([]string, bool) {
	var out []string
	for {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, false
		}
		var part string
		switch s[0] {
		case '"', '\'':
			end := strings.IndexByte(s[1:], s[0])
			if end < 0 {
				return nil, false
			}
			part, s = s[1:end+1], s[end+2:]
		default:
			end := strings.IndexByte(s, '.')
			if end < 0 {
				end = len(s)
			}
			part, s = strings.TrimSpace(s[:end]), s[end:]
			if !bareKeyRE.MatchString(part) {
				return nil, false
			}
		}
		out = append(out, part)
		s = strings.TrimSpace(s)
		if s == "" {
			return out, true
		}
		if s[0] != '.' {
			return nil, false
		}
		s = s[1:]
	}
}

// Errors returns every *Error in err: the problems that Parse or Load
// reported, in the order of the file.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case nil:
		case *Error:
			out = append(out, x)
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}
