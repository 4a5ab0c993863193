package policy_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/policy"
)

var ams = func() *time.Location {
	l, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return l
}()

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, ams)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDefaultParses(t *testing.T) {
	p := policy.Default()
	require.Len(t, p.Digest(), 64)
	require.Equal(t, "Europe/Amsterdam", p.Location().String())
	require.True(t, p.AutoNotifyReuploads())
	for _, c := range undox.Categories() {
		for _, minor := range []bool{false, true} {
			r := p.For(c.Code, minor)
			if undox.EffectiveCategory(c.Code, minor).ReferralOnly {
				require.True(t, r.ReferralOnly, c.Code)
				require.Empty(t, r.Ladder(), c.Code)
				continue
			}
			require.False(t, r.ReferralOnly)
			require.Positive(t, r.DeadlineHours, c.Code)
			require.NotEmpty(t, r.Ladder())
			require.Equal(t, policy.ActionNotice, r.Ladder()[0].Action)
		}
	}
	// The shipped file round-trips through Load.
	path := filepath.Join(t.TempDir(), "policy.toml")
	require.NoError(t, os.WriteFile(path, policy.DefaultFile(), 0o600))
	p2, err := policy.Load(path)
	require.NoError(t, err)
	require.Equal(t, p.Digest(), p2.Digest())
}

func TestDefaultHolidaysAreTheDutchOnes(t *testing.T) {
	p := policy.Default()
	var want []policy.Holiday
	for y := 2026; y <= 2028; y++ {
		want = append(want, policy.DutchHolidays(y)...)
		require.True(t, p.CoversYear(y))
	}
	require.False(t, p.CoversYear(2029))
	require.ElementsMatch(t, want, p.Holidays())
	for _, h := range p.Holidays() {
		require.NotContains(t, strings.ToLower(h.Name), "vrijdag", "Good Friday is not a general holiday")
	}
}

func TestDutchHolidays(t *testing.T) {
	dates := func(y int) map[string]string {
		m := map[string]string{}
		for _, h := range policy.DutchHolidays(y) {
			m[h.Name] = h.Date
		}
		return m
	}
	// Easter Sundays from the tables.
	for y, easter := range map[int]string{2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05",
		2027: "2027-03-28", 2028: "2028-04-16", 2038: "2038-04-25", 2285: "2285-03-22"} {
		require.Equal(t, easter, dates(y)["Eerste Paasdag"], y)
	}
	d := dates(2026)
	require.Equal(t, "2026-04-06", d["Tweede Paasdag"])
	require.Equal(t, "2026-05-14", d["Hemelvaartsdag"])
	require.Equal(t, "2026-05-25", d["Tweede Pinksterdag"])
	require.Equal(t, "2026-04-27", d["Koningsdag"])
	// 27 April 2025 was a Sunday: Koningsdag moved to the 26th.
	require.Equal(t, "2025-04-26", dates(2025)["Koningsdag"])
	require.Len(t, policy.DutchHolidays(2027), 10)
}

func TestDeadline(t *testing.T) {
	p := policy.Default()
	adult := p.For(undox.CategoryDoxing, false) // 24 h, pausing on weekends and holidays
	minor := p.For(undox.CategoryDoxing, true)  // 12 h, no pause
	threat := p.For(undox.CategoryThreat, false)
	require.Equal(t, 24, adult.DeadlineHours)
	require.Equal(t, []string{"weekend", "holiday"}, adult.DeadlinePauseOn)
	for _, c := range []struct {
		name     string
		rules    policy.Rules
		from, to string
	}{
		{"weekday", adult, "2026-03-03 10:00", "2026-03-04 10:00"},
		{"friday 17:00 to monday 17:00", adult, "2026-03-06 17:00", "2026-03-09 17:00"},
		{"set on saturday: counts from monday 00:00", adult, "2026-03-07 11:00", "2026-03-10 00:00"},
		{"set on sunday 23:59", adult, "2026-03-08 23:59", "2026-03-10 00:00"},
		{"used up at midnight before a weekend", adult, "2026-03-05 00:00", "2026-03-06 00:00"},
		{"friday 00:00 ends at the saturday midnight", adult, "2026-03-06 00:00", "2026-03-07 00:00"},
		{"Koningsdag 2027 (tuesday)", adult, "2027-04-26 17:00", "2027-04-28 17:00"},
		{"Bevrijdingsdag 2026 (tuesday)", adult, "2026-05-04 09:00", "2026-05-06 09:00"},
		{"Hemelvaart 2026 (thursday)", adult, "2026-05-13 12:00", "2026-05-15 12:00"},
		{"Pinksteren 2026: weekend and whit monday", adult, "2026-05-22 10:00", "2026-05-26 10:00"},
		{"Good Friday 2026 is a working day", adult, "2026-04-02 12:00", "2026-04-03 12:00"},
		{"Easter monday 2026 is not", adult, "2026-04-03 12:00", "2026-04-07 12:00"},
		{"Christmas 2026", adult, "2026-12-24 09:00", "2026-12-28 09:00"},
		{"New Year 2027 (friday)", adult, "2026-12-31 12:00", "2027-01-04 12:00"},
		{"summer time, paused weekend", adult, "2026-03-27 12:00", "2026-03-30 12:00"},
		{"minor: no pause", minor, "2026-03-06 17:00", "2026-03-07 05:00"},
		{"minor on Koningsdag", minor, "2027-04-27 08:00", "2027-04-27 20:00"},
		// 20:00 CET is 19:00 UTC; 12 real hours later is 07:00 UTC = 09:00 CEST.
		{"threat: across the change to summer time", threat, "2026-03-28 20:00", "2026-03-29 09:00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.rules.Deadline(at(c.from))
			require.True(t, got.Equal(at(c.to)), "got %s, want %s", got.In(ams), c.to)
		})
	}
	// The result is in the location of the time passed in.
	utc := at("2026-03-06 17:00").UTC()
	got := adult.Deadline(utc)
	require.Equal(t, time.UTC, got.Location())
	require.True(t, got.Equal(at("2026-03-09 17:00")))
}

func TestLadder(t *testing.T) {
	p := policy.Default()
	r := p.For(undox.CategoryDoxing, false)
	var names, targets []string
	for _, st := range r.Ladder() {
		names = append(names, st.Name)
		targets = append(targets, st.Action+":"+st.Target)
	}
	require.Equal(t, []string{"notice", "reminder", "upstream", "registrar", "registry", "regulator", "police", "delisting"}, names)
	require.Equal(t, []string{"notice:host", "reminder:host", "notice:upstream", "notice:registrar", "notice:registry",
		"dossier:regulator", "dossier:police", "delisting:search_engines"}, targets)

	l := r.Ladder()
	require.False(t, l[0].Automatic, "the first notice is approved by an analyst")
	require.True(t, l[1].Automatic)
	require.True(t, l[1].AtDeadline)
	require.Equal(t, 24*time.Hour, l[1].After)
	require.True(t, l[6].FourEyes)
	require.True(t, r.FourEyes("police"))
	require.True(t, r.Automatic("registrar"))
	require.False(t, r.Automatic("regulator"))

	// The notice is due at once, even on a Saturday.
	sat := at("2026-03-07 11:00")
	require.True(t, r.StepDue(0, sat, sat))
	// The reminder falls at the deadline.
	fri := at("2026-03-06 17:00")
	rem, ok := r.StepAt(1, fri)
	require.True(t, ok)
	require.True(t, rem.Equal(r.Deadline(fri)))
	require.False(t, r.StepDue(1, fri, at("2026-03-09 16:59")))
	require.True(t, r.StepDue(1, fri, at("2026-03-09 17:00")))
	// Upstream, 24 h after the reminder, pausing on Koningsdag 2027.
	mon := at("2027-04-26 09:00")
	require.False(t, r.StepDue(2, mon, at("2027-04-28 08:59")))
	require.True(t, r.StepDue(2, mon, at("2027-04-28 09:00")))
	// Out of the ladder.
	require.False(t, r.StepDue(8, mon, mon.AddDate(1, 0, 0)))
	require.False(t, r.StepDue(-1, mon, mon.AddDate(1, 0, 0)))

	// Minors: faster, no pause, the reminder at the minors' deadline.
	m := p.For(undox.CategoryDoxing, true)
	ml := m.Ladder()
	require.Len(t, ml, 8)
	require.Equal(t, 12*time.Hour, ml[1].After)
	require.Empty(t, ml[2].PauseOn)
	require.True(t, m.StepDue(2, at("2027-04-26 20:00"), at("2027-04-27 08:00")), "Koningsdag does not pause a minor's ladder")

	// Ladder returns a copy.
	l[0].Name = "changed"
	require.Equal(t, "notice", r.Ladder()[0].Name)
}

func TestNextCheck(t *testing.T) {
	p := policy.Default()
	r := p.For(undox.CategoryDoxing, false)
	since := at("2026-03-06 17:00")
	check := func(s policy.Schedule, n int, want time.Duration) {
		t.Helper()
		got, ok := r.NextCheck(s, since, n)
		require.True(t, ok, n)
		require.Equal(t, want, got.Sub(since), n)
	}
	// Hourly for 24 h, then every 6 h without end; weekends do not matter.
	check(policy.AfterNotice, 0, time.Hour)
	check(policy.AfterNotice, 23, 24*time.Hour)
	check(policy.AfterNotice, 24, 30*time.Hour)
	check(policy.AfterNotice, 25, 36*time.Hour)
	check(policy.AfterNotice, 1000, 24*time.Hour+977*6*time.Hour)
	// Daily for 30 days after the removal, then nothing.
	check(policy.AfterRemoval, 0, 24*time.Hour)
	check(policy.AfterRemoval, 29, 30*24*time.Hour)
	_, ok := r.NextCheck(policy.AfterRemoval, since, 30)
	require.False(t, ok)
	require.Equal(t, 30*time.Minute, r.ConfirmAfter)

	m := p.For(undox.CategoryHarassment, true)
	first, _ := m.NextCheck(policy.AfterNotice, since, 0)
	require.Equal(t, 30*time.Minute, first.Sub(since))
	second, _ := m.NextCheck(policy.AfterNotice, since, 24)
	require.Equal(t, 14*time.Hour, second.Sub(since))
	w, _ := m.NextCheck(policy.AfterRemoval, since, 28) // first daily check after the week of 6-hourly ones
	require.Equal(t, 8*24*time.Hour, w.Sub(since))
	w, ok = m.NextCheck(policy.AfterRemoval, since, 28+89)
	require.True(t, ok)
	require.Equal(t, 97*24*time.Hour, w.Sub(since))
	_, ok = m.NextCheck(policy.AfterRemoval, since, 28+90)
	require.False(t, ok)
}

func TestMinorsAreStricter(t *testing.T) {
	p := policy.Default()
	for _, c := range undox.Categories() {
		a, m := p.For(c.Code, false), p.For(c.Code, true)
		if a.ReferralOnly || m.ReferralOnly {
			continue
		}
		require.LessOrEqual(t, m.DeadlineHours, a.DeadlineHours, c.Code)
		require.LessOrEqual(t, m.AfterNotice[0].Every, a.AfterNotice[0].Every, c.Code)
		require.Empty(t, m.DeadlinePauseOn, c.Code)
		require.LessOrEqual(t, m.ConfirmAfter, a.ConfirmAfter)
	}
	// Intimate images and sextortion of a minor are CSAM: referral only.
	require.True(t, p.For(undox.CategoryIntimateImages, true).ReferralOnly)
	require.False(t, p.For(undox.CategoryIntimateImages, false).ReferralOnly)
	require.Equal(t, 12, p.For(undox.CategoryIntimateImages, false).DeadlineHours)
	require.True(t, p.For(undox.CategoryCSAM, false).ReferralOnly)
	// Unknown codes get the rules of "*".
	require.Equal(t, 24, p.For("no-such-code", false).DeadlineHours)
}

func TestOverrideOrder(t *testing.T) {
	src := minimal + `
[category."*".minor]
deadline_hours = 8

[category.doxing]
deadline_hours = 48

[category.doxing.minor]
deadline_hours = 6

[category.harassment]
deadline_hours = 10
`
	p, err := policy.Parse([]byte(src))
	require.NoError(t, err)
	require.Equal(t, 48, p.For("doxing", false).DeadlineHours)
	require.Equal(t, 6, p.For("doxing", true).DeadlineHours)
	require.Equal(t, 10, p.For("harassment", false).DeadlineHours)
	require.Equal(t, 8, p.For("harassment", true).DeadlineHours)
	require.Equal(t, 24, p.For("threat", false).DeadlineHours)
	require.Equal(t, 8, p.For("threat", true).DeadlineHours)
	require.False(t, p.AutoNotifyReuploads(), "no [automation]: nothing is automatic")
	require.False(t, p.For("threat", false).Ladder()[1].Automatic)
}

// minimal is a small complete policy.
const minimal = `version = 1
[calendar]
timezone = "Europe/Amsterdam"
weekend = ["saturday", "sunday"]
holidays = []

[category."*"]
deadline_hours = 24
deadline_pause_on = ["weekend"]
recheck.after_notice = [{ every = "1h" }]
recheck.after_removal = []
recheck.confirm_after = "30m"

[[category."*".ladder]]
name = "notice"
action = "notice"
target = "host"
after = "0s"

[[category."*".ladder]]
name = "reminder"
action = "reminder"
target = "host"
after = "deadline"
`

func TestParseErrors(t *testing.T) {
	def := string(policy.DefaultFile())
	for _, c := range []struct {
		name string
		// old is replaced by new in the default file (or, if src is set,
		// src is parsed).
		old, new string
		src      string
		key      string // the *Error's key
		msg      string // part of its message
		// mark is text on the line that the error must name ("" to
		// take new's first line).
		mark string
		// noLine: the key is absent, so the error has no line.
		noLine bool
	}{
		{name: "syntax", old: "version = 1", new: "version = ", key: "version", msg: "expected value"},
		{name: "unknown top-level key", old: "version = 1", new: "version = 1\nversoin = 2", key: "versoin", msg: "unknown key", mark: "versoin"},
		{name: "unknown key in a block", old: "deadline_hours = 24", new: "deadline_hours = 24\ndeadline = 3",
			key: `category."*".deadline`, msg: "known keys here: deadline_hours, deadline_pause_on", mark: "deadline = 3"},
		{name: "unknown key in a ladder step", old: `after = "72h"`, new: `after = "72h"` + "\nwait = \"1h\"",
			key: `category."*".ladder.wait`, msg: "known keys here: name, action, target, after, pause_on", mark: "wait ="},
		{name: "unknown key in a phase", old: `{ every = "1h", for = "24h" }`, new: `{ every = "1h", for = "24h", fro = "1h" }`,
			key: `category."*".recheck.after_notice.fro`, msg: "unknown key", mark: "after_notice = ["},
		{name: "unknown table", old: "[automation]", new: "[automaton]\nx = 1\n[automation]",
			key: "automaton", msg: "known keys here: version, calendar, automation, category"},
		{name: "wrong type", old: "deadline_hours = 24", new: `deadline_hours = "24"`, key: `category."*".deadline_hours`, msg: "incompatible types"},
		{name: "unknown version", old: "version = 1", new: "version = 2", key: "version", msg: "version 1"},
		{name: "missing version", old: "version = 1", new: "", key: "version", msg: "missing", noLine: true},
		{name: "unknown category", old: "[category.threat]", new: "[category.threats]", key: "category.threats", msg: "unknown category (known: *, doxing"},
		{name: "referral-only category", old: "[category.threat]", new: "[category.csam]", key: "category.csam", msg: "referral-only"},
		{name: "deadline zero", old: "deadline_hours = 24", new: "deadline_hours = 0", key: `category."*".deadline_hours`, msg: "from 1 to 8760"},
		{name: "pause day", old: `deadline_pause_on = ["weekend", "holiday"]`, new: `deadline_pause_on = ["weekends"]`,
			key: `category."*".deadline_pause_on[1]`, msg: `"weekends" is not a kind of day`},
		{name: "weekday", old: `weekend = ["saturday", "sunday"]`, new: `weekend = ["Saturday", "sunday"]`, key: "calendar.weekend[1]", msg: "not a day of the week"},
		{name: "all week", old: `weekend = ["saturday", "sunday"]`,
			new: `weekend = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]`, key: "calendar.weekend", msg: "never end"},
		{name: "holiday date", old: `{ date = "2027-05-05", name = "Bevrijdingsdag" }`, new: `{ date = "2027-05-35", name = "Bevrijdingsdag" }`,
			key: "calendar.holidays[15].date", msg: `"2027-05-35" is not a date`},
		{name: "holiday twice", old: `{ date = "2027-05-05", name = "Bevrijdingsdag" }`, new: `{ date = "2027-05-06", name = "Bevrijdingsdag" }`,
			key: "calendar.holidays[16].date", msg: "2027-05-06 is listed twice", mark: `{ date = "2027-05-06", name = "Hemelvaartsdag" }`},
		{name: "timezone", old: `timezone = "Europe/Amsterdam"`, new: `timezone = "Europe/Amsterdm"`, key: "calendar.timezone", msg: "IANA"},
		{name: "missing calendar", old: "[calendar]", new: "[kalender]", key: "kalender", msg: "unknown key"},
		{name: "bad duration", old: `after = "72h"`, new: `after = "72x"`, key: `category."*".ladder[6].after`, msg: `"72x" is not a duration`},
		{name: "pause with deadline", old: "after = \"deadline\"\n", new: "after = \"deadline\"\npause_on = [\"weekend\"]\n",
			key: `category."*".ladder[2].pause_on`, msg: "deadline_pause_on", mark: `pause_on = ["weekend"]`},
		{name: "first step not a notice", old: "name = \"notice\"\naction = \"notice\"\ntarget = \"host\"\nafter = \"0s\"\n\n[[category.\"*\".ladder]]\nname = \"reminder\"",
			new: "name = \"notice\"\naction = \"dossier\"\ntarget = \"police\"\nafter = \"0s\"\n\n[[category.\"*\".ladder]]\nname = \"reminder\"",
			key: `category."*".ladder[1].action`, msg: "the first step of a ladder is the notice", mark: `action = "dossier"`},
		{name: "duplicate step", old: `name = "registry"`, new: `name = "registrar" # again`, key: `category."*".ladder[5].name`, msg: "names are unique"},
		{name: "bad target", old: `target = "registry"`, new: `target = "registri"`, key: `category."*".ladder[5].target`, msg: "targets: host, platform, cdn"},
		{name: "target for action", old: `target = "search_engines"`, new: `target = "police" # wrong`, key: `category."*".ladder[8].target`, msg: "not a target of a delisting"},
		{name: "last phase ends", old: `{ every = "6h" },               # then four`, new: `{ every = "6h", for = "7d" },   # then four`,
			key: `category."*".recheck.after_notice[2].for`, msg: "until the content is gone"},
		{name: "watch without end", old: `{ every = "24h", for = "30d" }, # daily`, new: `{ every = "24h" }, # daily`,
			key: `category."*".recheck.after_removal[1].for`, msg: "every phase of the watch"},
		{name: "for shorter than every", old: `{ every = "1h", for = "24h" }`, new: `{ every = "1h", for = "30m" }`,
			key: `category."*".recheck.after_notice[1].for`, msg: "shorter than every"},
		{name: "too frequent", old: `{ every = "1h", for = "24h" }`, new: `{ every = "10s", for = "24h" }`,
			key: `category."*".recheck.after_notice[1].every`, msg: "at least 1m"},
		{name: "confirm_after", old: `confirm_after = "30m"`, new: `confirm_after = "2d"`, key: `category."*".recheck.confirm_after`, msg: "from 1m to 24h"},
		{name: "automatic unknown step", old: `automatic = ["reminder",`, new: `automatic = ["remind",`, key: "automation.automatic[1]", msg: `no ladder has a step named "remind"`},
		{name: "automatic first notice", old: `automatic = ["reminder",`, new: `automatic = ["notice", "reminder",`, key: "automation.automatic[1]", msg: "an analyst always approves the first notice"},
		{name: "automatic and four eyes", old: `four_eyes = ["regulator",`, new: `four_eyes = ["reminder", "regulator",`, key: "automation.automatic[1]", msg: "also in four_eyes", mark: "automatic = ["},
		{name: "minor longer", old: "[category.sextortion]\n", new: "[category.sextortion]\nminor.deadline_hours = 13\n",
			key: "category.sextortion.minor.deadline_hours", msg: "the minors' deadline (13h) is longer than the adults' one (12h)", mark: "minor.deadline_hours = 13"},
		{name: "nested minor", old: "[category.sextortion]\n", new: "[category.sextortion]\nminor.minor.deadline_hours = 1\n",
			key: "category.sextortion.minor.minor", msg: "do not nest"},
		{name: "missing rule", src: strings.Replace(minimal, "deadline_pause_on = [\"weekend\"]\n", "", 1),
			key: `category."*".deadline_pause_on`, msg: "must set every rule", mark: `[category."*"]`},
		{name: "missing default block", src: strings.Split(minimal, "[category.")[0], key: `category."*"`, msg: "missing", noLine: true},
		{name: "missing ladder", src: strings.Split(minimal, "[[")[0], key: `category."*".ladder`, msg: "must set every rule", mark: `[category."*"]`},
		{name: "empty ladder", src: strings.Split(minimal, "[[")[0] + "ladder = []\n", key: `category."*".ladder`, msg: "at least one step", mark: "ladder = []"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := c.src
			if src == "" {
				require.Contains(t, def, c.old, "the test's old text must be in the default file")
				src = strings.Replace(def, c.old, c.new, 1)
			}
			_, err := policy.Parse([]byte(src))
			require.Error(t, err)
			var pe *policy.Error
			require.True(t, errors.As(err, &pe), "%T %v", err, err)
			require.Equal(t, c.key, pe.Key, err.Error())
			require.Contains(t, pe.Message, c.msg)
			if c.noLine {
				require.Zero(t, pe.Line)
				return
			}
			mark := c.mark
			if mark == "" {
				mark = strings.Split(c.new, "\n")[0]
			}
			require.Equal(t, lineOf(t, src, mark), pe.Line, "line of %q: %v", mark, err)
			require.True(t, strings.HasPrefix(err.Error(), "line "), err.Error())
		})
	}
}

// lineOf is the number of the line of src that contains mark.
func lineOf(t *testing.T, src, mark string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, mark) {
			return i + 1
		}
	}
	t.Fatalf("%q not in the file", mark)
	return 0
}

func TestParseReportsEveryError(t *testing.T) {
	src := strings.Replace(minimal, `deadline_hours = 24`, `deadline_hours = -1`, 1)
	src = strings.Replace(src, `timezone = "Europe/Amsterdam"`, `timezone = "Mars/Olympus"`, 1)
	_, err := policy.Parse([]byte(src))
	require.Error(t, err)
	require.Contains(t, err.Error(), "calendar.timezone")
	require.Contains(t, err.Error(), `category."*".deadline_hours`)
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.toml")
	require.NoError(t, os.WriteFile(path, []byte("version = 1\nnope = true\n"), 0o600))
	_, err := policy.Load(path)
	require.ErrorContains(t, err, path+": ")
	require.ErrorContains(t, err, "line 2: nope: unknown key")
	_, err = policy.Load(filepath.Join(t.TempDir(), "missing.toml"))
	require.Error(t, err)
}

func TestAuthorities(t *testing.T) {
	require.Equal(t, "ACM", policy.Regulator("NL"))
	require.Equal(t, "DSC", policy.Regulator("DE"))
	require.Equal(t, "125p", policy.PoliceRequest("NL"))
	require.Equal(t, "mla", policy.PoliceRequest("US"))
}
