package notice

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/undox/undox"
)

// A Template is the text of one kind of notice in one language: a header
// of "Key: value" lines, a blank line, and the body, both text/template
// over a View:
//
//	Version: default-1
//	Subject: Notice of illegal content under DSA art. 16 — {{.Host}}
//
//	Dear abuse team,
//	…
//
// Version (required) names the template's version and is recorded with
// every notice rendered from it (with the SHA-256 of the source, which
// tells two edits apart); Subject (required) is the subject line's
// template. Header lines starting with "#" are comments. In the rendered
// body, trailing spaces are cut and runs of blank lines fold into one, so
// that conditional paragraphs need no care with white space.
//
// Defaults ship in template/{nl,en}/{name}.txt; admins replace them with
// ParseTemplate, which accepts a template only when it renders sample
// inputs with each element a notice requires (see ParseTemplate).
type Template struct {
	Language string // nl or en
	Name     string // host, cdn, upstream, registrar or registry
	Version  string
	Digest   string // "sha256:" and the hex SHA-256 of Source
	Source   string
	Default  bool // shipped with undox

	subject *template.Template
	body    *template.Template
}

// ID names the template: "en/host".
func (t *Template) ID() string { return t.Language + "/" + t.Name }

// TemplateError is why a template was refused: it does not parse, fails
// to render, or lacks elements a notice requires. Problems lists each,
// one sentence each, in the terms an admin editing the template needs.
type TemplateError struct {
	Template string // "en/host"
	Version  string
	Problems []string
}

func (e *TemplateError) Error() string {
	v := ""
	if e.Version != "" {
		v = " (version " + e.Version + ")"
	}
	return fmt.Sprintf("notice: template %s%s is not usable: %s", e.Template, v, strings.Join(e.Problems, "; "))
}

//go:embed template
var templateFS embed.FS

// Templates is a set of templates, one per language and name. It is
// immutable: With returns a new set.
type Templates struct {
	m map[string]*Template // by ID
}

var (
	defaultsOnce sync.Once
	defaults     *Templates
	defaultsErr  error
)

// DefaultTemplates returns the templates shipped with undox, each checked
// as ParseTemplate checks an admin's.
func DefaultTemplates() (*Templates, error) {
	defaultsOnce.Do(func() {
		ts := &Templates{m: map[string]*Template{}}
		for _, lang := range Languages() {
			for _, name := range TemplateNames() {
				src, err := DefaultSource(lang, name)
				if err == nil {
					var t *Template
					if t, err = ParseTemplate(lang, name, src); err == nil {
						t.Default = true
						ts.m[t.ID()] = t
						continue
					}
				}
				defaultsErr = fmt.Errorf("notice: default template %s/%s: %w", lang, name, err)
				return
			}
		}
		defaults = ts
	})
	return defaults, defaultsErr
}

// DefaultSource returns the source of a shipped template, the starting
// point of an admin's edit.
func DefaultSource(lang, name string) ([]byte, error) {
	if !slices.Contains(Languages(), lang) || !slices.Contains(TemplateNames(), name) {
		return nil, undox.Errorf(undox.ENOTFOUND, "no template %s/%s", lang, name)
	}
	return templateFS.ReadFile("template/" + lang + "/" + name + ".txt")
}

// Get returns the template for a language and a template name (or a
// recipient role).
func (ts *Templates) Get(lang, name string) (*Template, error) {
	if n, err := TemplateName(name); err == nil {
		name = n
	}
	t, ok := ts.m[lang+"/"+name]
	if !ok {
		return nil, undox.Errorf(undox.ENOTFOUND, "no template %s/%s", lang, name)
	}
	return t, nil
}

// With returns a copy of the set with t in place of the template of its
// language and name.
func (ts *Templates) With(t *Template) *Templates {
	n := &Templates{m: make(map[string]*Template, len(ts.m)+1)}
	for k, v := range ts.m {
		n.m[k] = v
	}
	n.m[t.ID()] = t
	return n
}

// List returns the set's templates, by language and name.
func (ts *Templates) List() []*Template {
	out := make([]*Template, 0, len(ts.m))
	for _, t := range ts.m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out
}

var versionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`)

// ParseTemplate parses the source of a template for a language ("nl" or
// "en") and a template name (host, cdn, upstream, registrar, registry; a
// recipient role is taken for its template) and checks it: it must parse,
// render sample inputs (with and without an online platform, automation,
// a minor, a reminder, a deadline, a gTLD or ccTLD domain, another
// category) and contain, in each rendering, what a notice requires:
//
//   - all: the category's name, legal basis and explanation of why the
//     content is illegal, the GDPR where personal data is exposed, each
//     kind of data exposed, each URL, the notifier's name and e-mail
//     address, a statement of good faith that the notice is accurate and
//     complete (DSA art. 16(2)(a)–(d)), the trusted-flagger designation,
//     the response link, the audit checkpoint, the deadline and the
//     reminder's first date when set, that a minor is concerned only when
//     one is, that the notice was sent without a human decision exactly
//     when it was, no mention of art. 22 unless the host is an online
//     platform, and no URL but the ones at issue and the response link;
//   - host, cdn, upstream: actual knowledge (art. 6), the request for the
//     decision owed under art. 16(5), art. 22 priority when the host is
//     an online platform;
//   - cdn: when asked to, forwarding to the origin host and disclosing it;
//   - upstream: acting on the customer;
//   - registrar: ICANN RAA 3.18 for a gTLD domain, the registry's
//     notice-and-takedown rules for a ccTLD domain, suspension;
//   - registry: its abuse policy or notice-and-takedown rules, suspension.
//
// It returns a *TemplateError listing every problem found.
func ParseTemplate(lang, name string, src []byte) (*Template, error) {
	if n, err := TemplateName(name); err == nil {
		name = n
	}
	id := lang + "/" + name
	if !slices.Contains(Languages(), lang) {
		return nil, &TemplateError{Template: id, Problems: []string{"the language must be nl or en"}}
	}
	if !slices.Contains(TemplateNames(), name) {
		return nil, &TemplateError{Template: id, Problems: []string{"the template name must be one of " + strings.Join(TemplateNames(), ", ")}}
	}
	sum := sha256.Sum256(src)
	t := &Template{Language: lang, Name: name, Source: string(src), Digest: "sha256:" + hex.EncodeToString(sum[:])}
	if err := t.parse(); err != nil {
		return nil, err
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Template) fail(problems ...string) *TemplateError {
	return &TemplateError{Template: t.ID(), Version: t.Version, Problems: problems}
}

// parse reads the header and parses the subject and body templates.
func (t *Template) parse() error {
	src := strings.ReplaceAll(t.Source, "\r\n", "\n")
	head, body, ok := strings.Cut(src, "\n\n")
	if !ok {
		return t.fail("the header must be followed by a blank line and the body")
	}
	var problems []string
	var subject string
	haveSubject := false
	lines := strings.Split(head, "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "version":
			if !versionPattern.MatchString(v) {
				problems = append(problems, fmt.Sprintf("line %d: the version must be 1 to 64 letters, digits, dots, dashes, underscores or plus signs", i+1))
			}
			t.Version = v
		case "subject":
			subject, haveSubject = v, true
		default:
			if !ok {
				problems = append(problems, fmt.Sprintf("line %d: a header line is \"Key: value\" (Version or Subject)", i+1))
			} else {
				problems = append(problems, fmt.Sprintf("line %d: unknown header %q (only Version and Subject)", i+1, strings.TrimSpace(k)))
			}
		}
	}
	if t.Version == "" && !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, "version") }) {
		problems = append(problems, `the header has no "Version:" line`)
	}
	if !haveSubject || subject == "" {
		problems = append(problems, `the header has no "Subject:" line`)
	}
	if len(problems) > 0 {
		return t.fail(problems...)
	}
	var err error
	t.subject, err = template.New(t.ID() + " subject").Option("missingkey=error").Funcs(funcs).Parse(subject)
	if err != nil {
		return t.fail("the subject does not parse: " + err.Error())
	}
	// The body is parsed after as many newlines as the header has lines,
	// so that error messages give the line numbers of the file.
	pad := strings.Repeat("\n", len(lines)+1)
	t.body, err = template.New(t.ID()).Option("missingkey=error").Funcs(funcs).Parse(pad + body)
	if err != nil {
		return t.fail("the body does not parse: " + err.Error())
	}
	return nil
}

var funcs = template.FuncMap{
	"join":     strings.Join,
	"contains": strings.Contains,
	"add":      func(a, b int) int { return a + b },
}

var (
	blankRuns     = regexp.MustCompile(`\n{3,}`)
	trailingSpace = regexp.MustCompile(`[ \t]+\n`)
)

// execute renders the subject and the body for v.
func (t *Template) execute(v *View) (subject, body string, err error) {
	var b bytes.Buffer
	if err := t.subject.Execute(&b, v); err != nil {
		return "", "", t.fail("the subject does not render: " + err.Error())
	}
	subject = strings.Join(strings.Fields(b.String()), " ")
	if subject == "" {
		return "", "", t.fail("the subject renders empty")
	}
	b.Reset()
	if err := t.body.Execute(&b, v); err != nil {
		return "", "", t.fail("the body does not render: " + err.Error())
	}
	body = trailingSpace.ReplaceAllString(b.String()+"\n", "\n")
	body = blankRuns.ReplaceAllString(strings.TrimSpace(body), "\n\n") + "\n"
	return subject, body, nil
}

// sample is an input that checks a template, and what it stands for.
type sample struct {
	what string
	in   Input
}

// sampleCheckpoint is a made-up signed note, shaped like an audit
// checkpoint.
const sampleCheckpoint = "undox.invalid/audit\n4711\nc2FtcGxlIHJvb3QgaGFzaCBmb3IgdGVtcGxhdGUgY2hlY2tzIQ==\n\n— undox.invalid/audit Zm9vYmFyc2lnbmF0dXJlc2FtcGxlZm9yY2hlY2tz\n"

// samples returns the inputs that check a template for a role.
func samples(role string) []sample {
	t0 := time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)
	base := Input{
		Role:      role,
		Recipient: Recipient{Organisation: "Sample Hosting B.V."},
		URLs:      []string{"https://dox-sample.example/thread/sample-page", "https://dox-sample.example/mirror/sample-copy"},
		Category:  undox.CategoryDoxing,
		Exposed:   []string{"home address", "phone number", "school"},
		Notifier: Notifier{Name: "Sample Notifier Name", Email: "notices@hotline-sample.example",
			Organisation: "Sample Hotline Foundation", Address: "Sample Street 1, Sample Town"},
		TrustedFlagger: TrustedFlagger{Designation: "SAMPLE-DESIGNATION-REF", Since: t0.AddDate(-1, 0, 0)},
		ResponseURL:    "https://hotline-sample.example/r/sample-response-token",
		Checkpoint:     sampleCheckpoint,
		Evidence: []EvidenceRef{{URL: "https://dox-sample.example/thread/sample-page", CapturedAt: t0.Add(-time.Hour),
			PageSHA256: strings.Repeat("ab", 32), ScreenshotSHA256: strings.Repeat("cd", 32)}},
		MessageID: "<sample@hotline-sample.example>",
		SentAt:    t0,
	}
	full := base
	full.URLs = []string{"https://dox-sample.example.nl/sample-page"}
	full.Evidence = nil
	full.Exposed = []string{"ID number", "photos"}
	full.OnlinePlatform, full.Automatic, full.Minor, full.Forward = true, true, true, true
	full.Reminder, full.FirstSentAt = 2, t0.AddDate(0, 0, -5)
	full.Deadline = t0.Add(24 * time.Hour)
	other := base
	other.Category = undox.CategoryExtortion
	other.Exposed = nil
	other.TrustedFlagger = TrustedFlagger{}
	return []sample{
		{"a first notice about doxing under a gTLD domain", base},
		{"an automatic second reminder about a minor, to an online platform, with a deadline, under a ccTLD domain", full},
		{"a notice about extortion without exposed data or trusted-flagger designation", other},
	}
}

// marker is a phrase a notice must (or must not) contain, in either
// language, case-insensitively.
type marker struct {
	re   *regexp.Regexp
	says string // what it looks for, as an admin reads it
}

func mark(says, re string) marker { return marker{regexp.MustCompile(`(?i)` + re), says} }

var (
	mGoodFaith  = mark(`one sentence that states in good faith that the notice is accurate and complete ("… in good faith … accurate and complete" (en), "… te goeder trouw … juist en volledig" (nl))`, `(good faith|bona fide|te goeder trouw)[^\n.]*(accurate and complete|juist en volledig)`)
	mArt6       = mark(`"art. 6" (or "article 6", "artikel 6")`, `\b(art\.|article|artikel)\s*6\b`)
	mKnowledge  = mark(`"actual knowledge" (en) or "daadwerkelijke kennis" (nl)`, `actual knowledge|daadwerkelijke kennis`)
	mArt16_5    = mark(`"art. 16(5)" (or "artikel 16, lid 5")`, `\b16\s*\(5\)|\b16,?\s+lid\s+5\b`)
	mArt22      = mark(`"art. 22" (or "article 22", "artikel 22")`, `\b(art\.|article|artikel)\s*22\b`)
	mTrusted    = mark(`"trusted flagger" (en) or "betrouwbare flagger" (nl)`, `trusted flagger|betrouwbare flagger`)
	mAutomatic  = mark(`"without a human decision" (en) or "zonder menselijke beslissing" (nl)`, `without (a )?human decision|zonder menselijke beslissing`)
	mMinor      = mark(`"minor" (en) or "minderjarige" (nl)`, `\bminors?\b|minderjarig`)
	mReminder   = mark(`"reminder" (en) or "herinnering" (nl)`, `reminder|herinnering`)
	mGDPR       = mark(`"GDPR" (en) or "AVG" (nl)`, `\bGDPR\b|\bAVG\b`)
	mForward    = mark(`"forward" (en) or "door te sturen" (nl)`, `forward|door te sturen|doorsturen`)
	mDisclose   = mark(`"disclose" (en) or "bekend te maken" (nl)`, `disclose|bekend te maken|bekendmaken`)
	mCustomer   = mark(`"customer" (en) or "klant" (nl)`, `customer|klant`)
	mRAA        = mark(`"RAA" or "Registrar Accreditation Agreement"`, `\bRAA\b|Registrar Accreditation Agreement`)
	mRAA318     = mark(`"3.18"`, `\b3\.18\b`)
	mNTD        = mark(`"notice-and-takedown"`, `notice[- ]and[- ]take[- ]?down`)
	mAbuseRules = mark(`"notice-and-takedown", "abuse policy" (en) or "misbruikbeleid" (nl)`, `notice[- ]and[- ]take[- ]?down|abuse polic|misbruikbeleid`)
	mSuspend    = mark(`"suspend" (en) or "op te schorten" (nl)`, `suspen|op te schorten|opschort`)
)

// check renders the samples and lists what is missing.
func (t *Template) check() error {
	role := t.Name
	if role == "host" {
		role = undox.RoleHost
	}
	hostLike := t.Name == "host" || t.Name == "cdn" || t.Name == "upstream"
	var problems []string
	seen := map[string]bool{}
	add := func(s sample, format string, args ...any) {
		p := fmt.Sprintf(format, args...)
		if !seen[p] {
			seen[p] = true
			problems = append(problems, p+" (in "+s.what+")")
		}
	}
	for _, s := range samples(role) {
		in := s.in
		in.Recipient.Language = t.Language
		n, err := render(&in, t.Language, t)
		if err != nil {
			var te *TemplateError
			if errors.As(err, &te) {
				for _, p := range te.Problems {
					add(s, "%s", p)
				}
			} else {
				add(s, "%s", undox.ErrorMessage(err))
			}
			continue
		}
		text := n.Subject + "\n" + n.Text
		cat, _ := undox.LookupCategory(in.Category)
		has := func(element, s2 string) {
			if !strings.Contains(text, s2) {
				add(s, "missing %s: the text must contain %q", element, s2)
			}
		}
		needs := func(element string, m marker) {
			if !m.re.MatchString(text) {
				add(s, "missing %s: the text must contain %s", element, m.says)
			}
		}
		never := func(element string, m marker) {
			if m.re.MatchString(text) {
				add(s, "%s: the text must not contain %s here", element, m.says)
			}
		}
		// DSA art. 16(2)(a): why the content is illegal.
		has("the category (art. 16(2)(a))", categoryName(cat, t.Language))
		has("the legal basis (art. 16(2)(a))", cat.LegalBasis)
		has("the explanation of why the content is illegal ({{.Explanation}}, art. 16(2)(a))", explanation(cat.Code, t.Language))
		if len(in.Exposed) > 0 || cat.Code == undox.CategoryDoxing {
			needs("the GDPR as a legal basis where personal data is exposed", mGDPR)
		}
		for _, k := range in.Exposed {
			kind := lookupKind(k)
			name := kind.en
			if t.Language == "nl" {
				name = kind.nl
			}
			has("a kind of personal data exposed ({{.ExposedList}} or {{.Exposed}})", name)
		}
		// (b) the exact URLs.
		for _, u := range in.URLs {
			has("a URL at issue (art. 16(2)(b))", u)
		}
		// (c) the notifier.
		has("the notifier's name (art. 16(2)(c))", in.Notifier.Name)
		has("the notifier's e-mail address (art. 16(2)(c))", in.Notifier.Email)
		// (d) good faith.
		needs("the statement of good faith (art. 16(2)(d))", mGoodFaith)
		if in.TrustedFlagger.Designation != "" {
			has("the trusted-flagger designation", in.TrustedFlagger.Designation)
			needs("the trusted-flagger status", mTrusted)
		}
		has("the response link", in.ResponseURL)
		has("the audit checkpoint", strings.TrimRight(in.Checkpoint, "\n"))
		if in.Automatic {
			needs("the statement that the notice was sent without a human decision", mAutomatic)
		} else {
			never("a false statement that the notice was sent without a human decision", mAutomatic)
		}
		if in.Minor {
			needs("the statement that a minor is concerned", mMinor)
		} else {
			never("a mention of a minor where none is concerned", mMinor)
		}
		if in.Reminder > 0 {
			needs("the reminder", mReminder)
			has("the date of the first notice ({{.FirstSent}})", formatTime(in.FirstSentAt, t.Language))
		}
		if !in.Deadline.IsZero() {
			has("the deadline ({{.Deadline}})", formatTime(in.Deadline, t.Language))
		}
		if !in.OnlinePlatform {
			never("art. 22 priority where the host is not an online platform", mArt22)
		}
		if hostLike {
			needs("actual knowledge (DSA art. 6)", mKnowledge)
			needs("actual knowledge (DSA art. 6)", mArt6)
			needs("the request for the decision owed under DSA art. 16(5)", mArt16_5)
			if in.OnlinePlatform {
				needs("priority for a trusted flagger on an online platform (DSA art. 22)", mArt22)
			}
		}
		switch t.Name {
		case "cdn":
			if in.Forward {
				needs("the request to forward the notice to the origin host", mForward)
				needs("the request to disclose the origin host", mDisclose)
			}
		case "upstream":
			needs("the request to act on the customer", mCustomer)
		case "registrar":
			if gtld, cctld := tldKinds(in.URLs); gtld {
				needs("ICANN RAA 3.18 for a gTLD registrar", mRAA)
				needs("ICANN RAA 3.18 for a gTLD registrar", mRAA318)
			} else if cctld {
				needs("the registry's notice-and-takedown rules for a ccTLD domain", mNTD)
			}
			needs("the request to suspend the domain", mSuspend)
		case "registry":
			needs("the registry's abuse policy or notice-and-takedown rules", mAbuseRules)
			needs("the request to suspend the domain", mSuspend)
		}
	}
	if len(problems) > 0 {
		return t.fail(problems...)
	}
	return nil
}

// tldKinds tells whether the URLs' domains are under gTLDs, ccTLDs.
func tldKinds(urls []string) (gtld, cctld bool) {
	for _, raw := range urls {
		u, err := checkURL(raw)
		if err != nil {
			continue
		}
		d := registrableDomain(u.Hostname())
		if d == "" {
			continue
		}
		if isCCTLD(d[strings.LastIndexByte(d, '.')+1:]) {
			cctld = true
		} else {
			gtld = true
		}
	}
	return gtld, cctld
}
