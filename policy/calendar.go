package policy

import (
	"fmt"
	"time"
)

// date is a calendar day.
type date struct {
	year  int
	month time.Month
	day   int
}

func (d date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.year, d.month, d.day) }

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

func parseDate(s string) (date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return date{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return dateOf(t), nil
}

// pause is a set of kinds of paused days.
type pause uint8

const (
	pauseWeekend pause = 1 << iota
	pauseHoliday
)

func pauseSet(names []string) pause {
	var p pause
	for _, n := range names {
		switch n {
		case PauseWeekend:
			p |= pauseWeekend
		case PauseHoliday:
			p |= pauseHoliday
		}
	}
	return p
}

// calendar knows which days are weekend days and holidays.
type calendar struct {
	loc      *time.Location
	weekend  [7]bool // by time.Weekday
	holidays map[date]string
}

// paused tells whether t's day (in the calendar's timezone) is paused.
func (c *calendar) paused(t time.Time, p pause) bool {
	if c == nil || p == 0 {
		return false
	}
	t = t.In(c.loc)
	if p&pauseWeekend != 0 && c.weekend[t.Weekday()] {
		return true
	}
	if p&pauseHoliday != 0 {
		if _, ok := c.holidays[dateOf(t)]; ok {
			return true
		}
	}
	return false
}

// add returns the instant at which d of time outside the paused days has
// passed since from (see Rules.Deadline). A zero d gives from.
func (c *calendar) add(from time.Time, d time.Duration, p pause) time.Time {
	if d <= 0 || c == nil || p == 0 {
		return from.Add(max(d, 0))
	}
	t := from.In(c.loc)
	remaining := d
	for {
		y, m, day := t.Date()
		next := time.Date(y, m, day+1, 0, 0, 0, 0, c.loc)
		if !c.paused(t, p) {
			avail := next.Sub(t)
			if remaining <= avail {
				return t.Add(remaining).In(from.Location())
			}
			remaining -= avail
		}
		t = next
	}
}

// DutchHolidays returns the Dutch public holidays of a year (the
// "algemeen erkende feestdagen" of the Algemene termijnenwet): Nieuwjaarsdag,
// both days of Easter and of Pentecost, Koningsdag (27 April, or 26 April
// when the 27th is a Sunday), Bevrijdingsdag, Hemelvaartsdag and both days
// of Christmas. Good Friday is not among them. The default policy lists
// these for 2026-2028; this function helps to extend a policy file.
func DutchHolidays(year int) []Holiday {
	easter := easterSunday(year)
	day := func(t time.Time, name string) Holiday {
		return Holiday{Date: t.Format("2006-01-02"), Name: name}
	}
	at := func(m time.Month, d int) time.Time { return time.Date(year, m, d, 0, 0, 0, 0, time.UTC) }
	koningsdag := at(time.April, 27)
	if koningsdag.Weekday() == time.Sunday {
		koningsdag = at(time.April, 26)
	}
	return []Holiday{
		day(at(time.January, 1), "Nieuwjaarsdag"),
		day(easter, "Eerste Paasdag"),
		day(easter.AddDate(0, 0, 1), "Tweede Paasdag"),
		day(koningsdag, "Koningsdag"),
		day(at(time.May, 5), "Bevrijdingsdag"),
		day(easter.AddDate(0, 0, 39), "Hemelvaartsdag"),
		day(easter.AddDate(0, 0, 49), "Eerste Pinksterdag"),
		day(easter.AddDate(0, 0, 50), "Tweede Pinksterdag"),
		day(at(time.December, 25), "Eerste Kerstdag"),
		day(at(time.December, 26), "Tweede Kerstdag"),
	}
}

// easterSunday is Easter Sunday of the Gregorian calendar (the anonymous
// Gregorian algorithm, "Meeus/Jones/Butcher").
func easterSunday(year int) time.Time {
	a := year % 19
	b := year / 100
	c := year % 100
	d := b / 4
	e := b % 4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i := c / 4
	k := c % 4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}
