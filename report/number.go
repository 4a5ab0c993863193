// Package report turns undox's statistics into what people read: charts
// rendered on the server as SVG (with github.com/go-analyze/charts), and
// the yearly report on bad hosting as CSV and JSON. It owns no text: the
// caller (the web layer, with its catalog) gives every label in the
// reader's language; report writes the numbers and days as that language
// does (1.234,5 in Dutch, 1,234.5 in English).
package report

import (
	"fmt"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// tag is the language a number is written in: Dutch or English.
func tag(lang string) language.Tag {
	if lang == "nl" {
		return language.Dutch
	}
	return language.English
}

// Number writes v with decimals digits after the separator, as lang
// writes numbers ("nl": 1.234,5; otherwise English: 1,234.5).
func Number(lang string, v float64, decimals int) string {
	return message.NewPrinter(tag(lang)).Sprintf("%.*f", decimals, v)
}

var (
	dutchMonths   = [...]string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"}
	englishMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// Day writes a day (YYYY-MM-DD) short, as lang does: "4 mrt" or "4 Mar".
func Day(lang, day string) string {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return day
	}
	if lang == "nl" {
		return fmt.Sprintf("%d %s", t.Day(), dutchMonths[t.Month()-1])
	}
	return fmt.Sprintf("%d %s", t.Day(), englishMonths[t.Month()-1])
}
