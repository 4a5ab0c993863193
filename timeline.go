package undox

import "time"

// Timeline milestones.
const (
	MilestoneNotified  = "notified"
	MilestoneEscalated = "escalated"
	MilestoneRemoved   = "removed"
	MilestoneClosed    = "closed"
)

// TimelineEntry is one entry of a case's timeline, as the victim reads it.
type TimelineEntry struct {
	ID        int64     `json:"id"`
	Milestone string    `json:"milestone"`
	Language  string    `json:"language"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// timelineTexts are the entries' texts: plain language, and nothing that
// names the person, the page or the intermediary.
var timelineTexts = map[string]map[string]string{
	"nl": {
		MilestoneNotified:  "We hebben de partij die een gemelde pagina online houdt gevraagd de inhoud te verwijderen.",
		MilestoneEscalated: "Er is niet op tijd gereageerd op ons verzoek. We zijn een stap verder gegaan en hebben ons tot een volgende partij gewend.",
		MilestoneRemoved:   "Een gemelde pagina is offline gehaald. We blijven controleren of de inhoud niet terugkomt.",
		MilestoneClosed:    "Een gemelde pagina is afgehandeld.",
		"case_closed":      "Uw melding is afgehandeld. Dank u voor uw melding.",
	},
	"en": {
		MilestoneNotified:  "We asked the party that keeps a reported page online to remove the content.",
		MilestoneEscalated: "Our request was not acted on in time. We took the next step and turned to another party.",
		MilestoneRemoved:   "A reported page has been taken offline. We keep checking that the content does not come back.",
		MilestoneClosed:    "A reported page has been dealt with.",
		"case_closed":      "Your report has been dealt with. Thank you for reporting.",
	},
}

// TimelineLanguage is the language a timeline is told in for a case's
// language: Dutch or English (any other: English).
func TimelineLanguage(lang string) string {
	if _, ok := timelineTexts[lang]; ok {
		return lang
	}
	return "en"
}

// TimelineText returns the text of a milestone in a language ("nl" or
// "en"; any other is English).
func TimelineText(lang, milestone string) string {
	return timelineTexts[TimelineLanguage(lang)][milestone]
}
