package notice

import (
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/undox/undox"
)

// View is what a template sees. Its fields are the whole vocabulary of a
// template: there is no victim's identity and no case reference in it to
// render.
type View struct {
	Language string // nl or en
	Role     string // the recipient's role (host, platform, cdn, upstream, registrar, registry)
	// Recipient is the recipient's organisation, empty when unknown.
	Recipient string

	URLs    []string // the URLs at issue
	Host    string   // host name of the first URL
	Hosts   []string // host names of the URLs, distinct
	Domain  string   // registrable domain of the first URL ("" for an IP address)
	Domains []string // registrable domains of the URLs, distinct
	TLDs    []string // their top-level domains, distinct, with a leading dot
	// GTLD and CCTLD say whether a domain is under a generic or a
	// country-code top-level domain (two letters); both can be true.
	GTLD  bool
	CCTLD bool

	CategoryCode string // undox category code
	Category     string // the category's name in the notice's language
	LegalBasis   string // the legal basis the category cites
	// Explanation says, in the notice's language, why content of the
	// category is illegal.
	Explanation string
	// GDPR says that the content also processes personal data without a
	// lawful basis (doxing, intimate images, or any exposed data).
	GDPR bool
	// Exposed names the kinds of personal data exposed, in the notice's
	// language; ExposedList joins them ("home address, phone number and
	// school").
	Exposed     []string
	ExposedList string
	Minor       bool

	Notifier Notifier
	// Designation is the trusted-flagger designation, empty when the
	// hotline has none; DesignatedSince its date, formatted.
	Designation     string
	DesignatedSince string
	OnlinePlatform  bool

	ResponseURL string
	// Replies says that replies to the notice's e-mail are read: only
	// then may the notice invite them.
	Replies    bool
	Checkpoint string // the signed checkpoint note, as is
	Evidence   []EvidenceView

	Deadline  string // formatted, empty when none
	Reminder  int    // 0 for a first notice
	FirstSent string // when the first notice was sent, formatted
	Automatic bool
	Sent      string // the notice's date, formatted
	Forward   bool
}

// EvidenceView is one capture of a URL at issue, by its hashes.
type EvidenceView struct {
	URL              string
	CapturedAt       string // formatted
	PageSHA256       string
	ScreenshotSHA256 string
}

func newView(in *Input, lang string, cat undox.Category, urls []*url.URL) *View {
	v := &View{
		Language: lang, Role: in.Role, Recipient: in.Recipient.Organisation,
		URLs:         in.URLs,
		CategoryCode: cat.Code, Category: categoryName(cat, lang), LegalBasis: cat.LegalBasis,
		Explanation: explanation(cat.Code, lang),
		Minor:       in.Minor,
		Notifier:    in.Notifier,
		Designation: in.TrustedFlagger.Designation, OnlinePlatform: in.OnlinePlatform,
		ResponseURL: in.ResponseURL, Replies: in.Replies, Checkpoint: strings.TrimRight(in.Checkpoint, "\n"),
		Reminder: in.Reminder, Automatic: in.Automatic, Forward: in.Forward,
		Sent: formatTime(in.SentAt, lang),
	}
	if !in.TrustedFlagger.Since.IsZero() {
		v.DesignatedSince = formatDate(in.TrustedFlagger.Since, lang)
	}
	if !in.Deadline.IsZero() {
		v.Deadline = formatTime(in.Deadline, lang)
	}
	if in.Reminder > 0 {
		v.FirstSent = formatTime(in.FirstSentAt, lang)
	}
	add := func(list *[]string, s string) {
		if s != "" && !slices.Contains(*list, s) {
			*list = append(*list, s)
		}
	}
	for i, u := range urls {
		h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		d := registrableDomain(h)
		if i == 0 {
			v.Host, v.Domain = h, d
		}
		add(&v.Hosts, h)
		if d != "" {
			add(&v.Domains, d)
			tld := d[strings.LastIndexByte(d, '.')+1:]
			add(&v.TLDs, "."+tld)
			if isCCTLD(tld) {
				v.CCTLD = true
			} else {
				v.GTLD = true
			}
		}
	}
	for _, k := range in.Exposed {
		kind := lookupKind(k)
		name := kind.en
		if lang == "nl" {
			name = kind.nl
		}
		add(&v.Exposed, name)
	}
	v.ExposedList = joinList(v.Exposed, lang)
	v.GDPR = len(v.Exposed) > 0 || cat.Code == undox.CategoryDoxing || cat.Code == undox.CategoryIntimateImages
	at := map[string]bool{}
	for _, u := range in.URLs {
		at[u] = true
	}
	for _, e := range in.Evidence {
		if !at[e.URL] {
			continue // only the URLs at issue
		}
		ev := EvidenceView{URL: e.URL, PageSHA256: strings.ToLower(e.PageSHA256), ScreenshotSHA256: strings.ToLower(e.ScreenshotSHA256)}
		if !e.CapturedAt.IsZero() {
			ev.CapturedAt = formatTime(e.CapturedAt, lang)
		}
		v.Evidence = append(v.Evidence, ev)
	}
	return v
}

// registrableDomain returns the registrable domain (eTLD+1) of a host
// name, or "" for an IP address or a bare suffix.
func registrableDomain(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if _, err := netip.ParseAddr(host); err == nil || host == "" {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return ""
	}
	return d
}

// isCCTLD tells a country-code top-level domain: two ASCII letters.
// Internationalised ccTLDs (xn--…) count as generic.
func isCCTLD(tld string) bool {
	if len(tld) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return false
		}
	}
	return true
}

var categoryNamesNL = map[string]string{
	undox.CategoryDoxing:         "Doxing",
	undox.CategoryThreat:         "Bedreiging",
	undox.CategoryExtortion:      "Afpersing",
	undox.CategorySextortion:     "Sextortion (afpersing met seksueel beeldmateriaal)",
	undox.CategoryIntimateImages: "Seksueel beeldmateriaal zonder toestemming",
	undox.CategoryHarassment:     "Belaging",
}

func categoryName(c undox.Category, lang string) string {
	if lang == "nl" {
		if n, ok := categoryNamesNL[c.Code]; ok {
			return n
		}
	}
	return c.Name
}

// explanations say why content of a category is illegal, after the
// offence's definition in the Dutch Criminal Code.
var explanations = map[string]map[string]string{
	undox.CategoryDoxing: {
		"en": "The content makes identifying personal data of a person available to the public with the evident intent to frighten that person, to cause them serious nuisance or to seriously hinder them in their office or profession. Doing so is a criminal offence (doxing).",
		"nl": "De inhoud stelt identificerende persoonsgegevens van een persoon openbaar beschikbaar met het kennelijke oogmerk die persoon vrees aan te jagen, ernstige overlast aan te doen of ernstig te hinderen in de uitoefening van ambt of beroep. Dat is strafbaar (doxing).",
	},
	undox.CategoryThreat: {
		"en": "The content threatens a person with violence or with a serious offence against their life, safety or liberty. Doing so is a criminal offence (threat).",
		"nl": "De inhoud bedreigt een persoon met geweld of met een ernstig misdrijf tegen diens leven, veiligheid of vrijheid. Dat is strafbaar (bedreiging).",
	},
	undox.CategoryExtortion: {
		"en": "The content is used to force a person, by threats, to hand over money or goods or to act against their will. Doing so is a criminal offence (extortion).",
		"nl": "De inhoud wordt gebruikt om een persoon door bedreiging te dwingen geld of goederen af te geven of tegen diens wil te handelen. Dat is strafbaar (afpersing).",
	},
	undox.CategorySextortion: {
		"en": "The content is used to force a person, by threatening to publish sexual images of or information about them, to pay or to act against their will. Doing so is a criminal offence (extortion and blackmail).",
		"nl": "De inhoud wordt gebruikt om een persoon, door te dreigen seksueel beeldmateriaal of informatie over die persoon openbaar te maken, te dwingen te betalen of tegen diens wil te handelen. Dat is strafbaar (afpersing en afdreiging).",
	},
	undox.CategoryIntimateImages: {
		"en": "The content makes images of a sexual nature of a person available to the public without that person's consent, while it is evident that publication harms them. Doing so is a criminal offence.",
		"nl": "De inhoud stelt afbeeldingen van seksuele aard van een persoon zonder diens toestemming openbaar beschikbaar, terwijl duidelijk is dat openbaarmaking die persoon schaadt. Dat is strafbaar.",
	},
	undox.CategoryHarassment: {
		"en": "The content is part of a systematic and unlawful intrusion into a person's private life, with the intent to frighten that person or to force them to do or tolerate something. Doing so is a criminal offence (stalking).",
		"nl": "De inhoud maakt deel uit van een stelselmatige en wederrechtelijke inbreuk op de persoonlijke levenssfeer van een persoon, met het oogmerk die persoon vrees aan te jagen of te dwingen iets te doen of te dulden. Dat is strafbaar (belaging).",
	},
}

func explanation(code, lang string) string {
	return explanations[code][lang]
}

var (
	monthsEN = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	monthsNL = []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}
)

// formatDate writes a date in words, in UTC: "12 July 2026", "12 juli 2026".
func formatDate(t time.Time, lang string) string {
	t = t.UTC()
	months := monthsEN
	if lang == "nl" {
		months = monthsNL
	}
	return strconv.Itoa(t.Day()) + " " + months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// formatTime writes a time to the minute, in UTC, so that no reader
// guesses the time zone: "12 July 2026, 14:30 UTC".
func formatTime(t time.Time, lang string) string {
	return formatDate(t, lang) + ", " + t.UTC().Format("15:04") + " UTC"
}

// joinList joins items as a sentence does: "a, b and c", "a, b en c".
func joinList(items []string, lang string) string {
	and := " and "
	if lang == "nl" {
		and = " en "
	}
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + and + items[len(items)-1]
}
