// Package notice renders the notices that undox sends to intermediaries
// to get content taken offline, and the X-ARF v4 reports that go with
// them. It neither sends nor stores anything: the takedown procedure
// fills an Input, calls Render, and hands the Notice to Message to get the
// e-mail to send.
//
// A notice to a host or online platform carries every element of DSA
// art. 16(2) — a substantiated explanation of why the content is illegal
// (category, legal basis, what kind of personal data is exposed,
// described and never repeated), the exact URLs, the notifier's name and
// e-mail address, and a statement of good faith — says that it gives the
// host actual knowledge (art. 6), names the hotline's trusted-flagger
// designation (with priority under art. 22 where the host is an online
// platform), and asks for the decision that art. 16(5) owes the notifier,
// through a private response link. A CDN is asked in addition to forward
// the notice to the origin host and to disclose who that host is; an
// upstream provider to act on its customer; a registrar or registry gets a
// complaint under its abuse policy (ICANN RAA 3.18 for gTLD registrars,
// the registry's notice-and-takedown rules for ccTLDs). Every notice
// carries the latest signed checkpoint of the audit log, and says so when
// it was sent without a human decision.
//
// Notices assume that the person who published the content will read
// them (hosts forward notices to their customer): an Input has no field
// for the victim's identity or a case reference, and Render refuses a
// text that contains a URL other than the ones at issue and the response
// link.
//
// The texts come from templates, one per recipient role and language
// (Dutch and English), shipped as defaults (template/{nl,en}/{role}.txt)
// and replaceable by admins: ParseTemplate checks an edited template by
// rendering it with sample inputs and asserting that each required
// element is there. See Template for the format.
package notice

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/undox/undox"
)

// Input is what a notice is made of. The caller fills it from the item,
// its trace, its evidence, the contact book and configuration; it holds
// no victim identity and no case reference, by design.
type Input struct {
	// Role is the recipient's role: undox.RoleHost or RolePlatform,
	// RoleCDN, RoleUpstream (gets the host notice, asked to act on its
	// customer), RoleRegistrar or RoleRegistry.
	Role      string
	Recipient Recipient
	// URLs are the URLs at issue, and only those: a notice names no other.
	URLs []string
	// Category is an undox category code (undox.CategoryDoxing, …); its
	// name and legal basis come from undox.LookupCategory.
	Category string
	// Exposed names the kinds of personal data the content exposes
	// ("home address", "phone number", "school", "ID number", "photos",
	// or the kind codes of package personal) — described, never the
	// values: an entry with digits, "@" or "://" is refused.
	Exposed []string
	// Minor makes the notice say that a minor is concerned, nothing more.
	Minor          bool
	Notifier       Notifier
	TrustedFlagger TrustedFlagger
	// OnlinePlatform says that the host is an online platform (DSA art. 3(i)),
	// which owes a trusted flagger's notice priority (art. 22).
	OnlinePlatform bool
	// ResponseURL is the private, expiring link where the recipient
	// answers.
	ResponseURL string
	// Replies says that replies to the notice's e-mail are read (undox
	// reads a replies mailbox): only then does the notice invite them;
	// otherwise it offers the response link alone.
	Replies bool
	// Checkpoint is the latest signed checkpoint note of the audit log.
	Checkpoint string
	// Evidence gives the captures of the URLs at issue by their hashes;
	// entries for other URLs are left out of the notice.
	Evidence []EvidenceRef
	// Deadline, when set, is by when removal is expected.
	Deadline time.Time
	// Reminder is 0 for a first notice and n for the n-th reminder, which
	// cites FirstSentAt, when the first notice was sent, and threads to
	// OriginalMessageID when given.
	Reminder          int
	FirstSentAt       time.Time
	OriginalMessageID string
	// Automatic says that the notice goes out without a human decision
	// (a re-upload of content already confirmed): the notice says so,
	// and its e-mail carries Auto-Submitted: auto-generated.
	Automatic bool
	// MessageID is the notice's Message-ID; the X-ARF reports' IDs derive
	// from it, so that a resend carries the same reports.
	MessageID string
	// SentAt is when the notice is (first) sent, as the notice dates it.
	SentAt time.Time
	// Forward asks a CDN to forward the notice to the origin host and to
	// disclose who that host is.
	Forward bool
}

// Recipient is the intermediary a notice goes to.
type Recipient struct {
	Organisation string
	Email        string
	// Language is "nl" or "en"; empty chooses Dutch for a recipient in
	// a Dutch-speaking country (Country NL, BE, SR, AW, CW, SX) and
	// English otherwise.
	Language string
	Country  string // ISO 3166 alpha-2
}

// Notifier is who submits the notice (DSA art. 16(2)(c)): the hotline.
type Notifier struct {
	Name         string
	Email        string
	Organisation string
	Address      string // postal address, optional
}

// TrustedFlagger is the hotline's designation under DSA art. 22.
type TrustedFlagger struct {
	Designation string // e.g. the decision reference of the Digital Services Coordinator (ACM)
	Since       time.Time
}

// EvidenceRef is one capture of a URL, given by its hashes only.
type EvidenceRef struct {
	URL              string
	CapturedAt       time.Time
	PageSHA256       string // hex
	ScreenshotSHA256 string // hex
}

// Notice is a rendered notice.
type Notice struct {
	Role     string
	Language string
	Subject  string
	// Text is the plain-text body (UTF-8, LF line ends).
	Text string
	// HTML is empty: notices are plain text, which every abuse desk
	// reads and no mail client renders differently.
	HTML string
	// XARF holds one X-ARF v4 report per URL, in the order of URLs.
	XARF []json.RawMessage
	URLs []string
	// Template names the template ("en/host"); TemplateVersion is its
	// version header and TemplateDigest the SHA-256 of its source, which
	// tells apart two edits given the same version.
	Template        string
	TemplateVersion string
	TemplateDigest  string
	// Automatic and InReplyTo carry over to the e-mail's headers.
	Automatic bool
	InReplyTo string
}

// Render renders the notice for in with the templates of tpl (the
// defaults when tpl is nil). It fails, with an *undox.Error (EINVALID)
// naming the fields at fault, when the input is incomplete or not fit to
// be sent: a referral-only category (CSAM, terrorist content, or a minor's
// intimate images or sextortion), a category not yet assessed, a value
// given as exposed data, a text that would name a URL not at issue.
func Render(in Input, tpl *Templates) (*Notice, error) {
	if tpl == nil {
		var err error
		if tpl, err = DefaultTemplates(); err != nil {
			return nil, err
		}
	}
	name, err := TemplateName(in.Role)
	if err != nil {
		return nil, err
	}
	lang, err := chooseLanguage(in.Recipient)
	if err != nil {
		return nil, err
	}
	t, err := tpl.Get(lang, name)
	if err != nil {
		return nil, err
	}
	return render(&in, lang, t)
}

// render validates in and renders it with t.
func render(in *Input, lang string, t *Template) (*Notice, error) {
	// checkInput trims and dedupes in place: not in the caller's arrays.
	in.URLs = slices.Clone(in.URLs)
	in.Exposed = slices.Clone(in.Exposed)
	in.Evidence = slices.Clone(in.Evidence)
	cat, urls, err := checkInput(in)
	if err != nil {
		return nil, err
	}
	v := newView(in, lang, cat, urls)
	subject, text, err := t.execute(v)
	if err != nil {
		return nil, err
	}
	allowed := append(append([]string(nil), in.URLs...), in.ResponseURL)
	if err := onlyURLs(subject+"\n"+text, allowed); err != nil {
		return nil, fmt.Errorf("notice: template %s (version %s): %w", t.ID(), t.Version, err)
	}
	n := &Notice{
		Role: in.Role, Language: lang, Subject: subject, Text: text,
		URLs:     append([]string(nil), in.URLs...),
		Template: t.ID(), TemplateVersion: t.Version, TemplateDigest: t.Digest,
		Automatic: in.Automatic, InReplyTo: in.OriginalMessageID,
	}
	for i, u := range urls {
		b, err := buildXARF(in, cat, u, in.URLs[i])
		if err != nil {
			return nil, err
		}
		n.XARF = append(n.XARF, b)
	}
	return n, nil
}

// TemplateName returns the name of the template for a recipient role:
// host and platform share "host".
func TemplateName(role string) (string, error) {
	switch role {
	case undox.RoleHost, undox.RolePlatform:
		return "host", nil
	case undox.RoleCDN, undox.RoleUpstream, undox.RoleRegistrar, undox.RoleRegistry:
		return role, nil
	case undox.RoleSite:
		return "", undox.Invalid("role", "no notice goes to the site's own contact (on a doxing site, the doxer)")
	}
	return "", undox.Invalid("role", "unknown recipient role %q", role)
}

// TemplateNames lists the templates each language has.
func TemplateNames() []string {
	return []string{"host", "cdn", "upstream", "registrar", "registry"}
}

// Languages lists the languages of notices.
func Languages() []string { return []string{"nl", "en"} }

func chooseLanguage(r Recipient) (string, error) {
	switch strings.ToLower(strings.TrimSpace(r.Language)) {
	case "nl":
		return "nl", nil
	case "en":
		return "en", nil
	case "":
		switch strings.ToUpper(r.Country) {
		case "NL", "BE", "SR", "AW", "CW", "SX":
			return "nl", nil
		}
		return "en", nil
	}
	return "", undox.Invalid("recipient.language", "the language of a notice must be nl or en, not %q", r.Language)
}

var (
	hexSHA256 = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	hasDigit  = regexp.MustCompile(`[0-9]`)
)

// maxURLs bounds the URLs of one notice (and its X-ARF reports).
const maxURLs = 200

// checkInput checks in and returns its category and parsed URLs.
func checkInput(in *Input) (undox.Category, []*url.URL, error) {
	f := map[string]string{}
	set := func(k, format string, args ...any) {
		if _, ok := f[k]; !ok {
			f[k] = fmt.Sprintf(format, args...)
		}
	}
	text := func(k string, p *string, max int, required bool) {
		s, err := undox.CheckText(k, *p, max)
		if err != nil {
			set(k, "%s", undox.ErrorMessage(err))
			return
		}
		*p = s
		if required && s == "" {
			set(k, "%s is required", k)
		}
	}
	oneLine := func(k, s string) {
		if strings.ContainsAny(s, "\r\n\t") {
			set(k, "%s must be one line", k)
		}
	}

	if _, err := TemplateName(in.Role); err != nil {
		set("role", "%s", undox.ErrorMessage(err))
	}

	// URLs at issue.
	var urls []*url.URL
	seen := map[string]bool{}
	var uniq []string
	switch {
	case len(in.URLs) == 0:
		set("urls", "a notice needs the URLs at issue")
	case len(in.URLs) > maxURLs:
		set("urls", "at most %d URLs per notice", maxURLs)
	}
	for _, raw := range in.URLs {
		raw = strings.TrimSpace(raw)
		u, err := checkURL(raw)
		if err != nil {
			set("urls", "%q: %v", raw, err)
			continue
		}
		if seen[raw] {
			continue
		}
		seen[raw] = true
		uniq = append(uniq, raw)
		urls = append(urls, u)
	}
	in.URLs = uniq
	if in.Role == undox.RoleRegistrar || in.Role == undox.RoleRegistry {
		for _, u := range urls {
			if registrableDomain(u.Hostname()) == "" {
				set("urls", "a %s notice concerns a domain name; %s has none", in.Role, u.Hostname())
			}
		}
	}

	// Category: the effective one, so that a minor's intimate images or
	// sextortion (CSAM in law) never become a notice.
	cat, known := undox.LookupCategory(in.Category)
	if !known {
		set("category", "unknown category %q", in.Category)
	} else {
		cat = undox.EffectiveCategory(in.Category, in.Minor)
		if _, err := XARFTypeOf(cat.Code); err != nil {
			set("category", "%s", undox.ErrorMessage(err))
		}
	}

	// Exposed: kinds, never values.
	for i := range in.Exposed {
		k := fmt.Sprintf("exposed[%d]", i)
		text(k, &in.Exposed[i], 60, true)
		oneLine(k, in.Exposed[i])
		e := in.Exposed[i]
		if hasDigit.MatchString(e) || strings.Contains(e, "@") || strings.Contains(e, "://") || strings.HasPrefix(strings.ToLower(e), "www.") {
			set(k, "exposed data must be described by its kind (e.g. \"home address\"), never given as a value")
		}
	}

	text("recipient.organisation", &in.Recipient.Organisation, 200, false)
	oneLine("recipient.organisation", in.Recipient.Organisation)
	text("notifier.name", &in.Notifier.Name, 200, true)
	oneLine("notifier.name", in.Notifier.Name)
	text("notifier.organisation", &in.Notifier.Organisation, 200, true)
	oneLine("notifier.organisation", in.Notifier.Organisation)
	text("notifier.address", &in.Notifier.Address, 500, false)
	text("notifier.email", &in.Notifier.Email, 254, true)
	if in.Notifier.Email != "" {
		if a, err := mail.ParseAddress(in.Notifier.Email); err != nil || a.Name != "" || a.Address != in.Notifier.Email {
			set("notifier.email", "not an e-mail address")
		} else if d := emailDomain(in.Notifier.Email); !strings.Contains(d, ".") {
			set("notifier.email", "the e-mail address needs a domain name (X-ARF reports name it)")
		}
	}
	text("trusted_flagger.designation", &in.TrustedFlagger.Designation, 200, false)
	oneLine("trusted_flagger.designation", in.TrustedFlagger.Designation)

	in.ResponseURL = strings.TrimSpace(in.ResponseURL)
	if in.ResponseURL == "" {
		set("response_url", "a notice needs the response link")
	} else if _, err := checkURL(in.ResponseURL); err != nil {
		set("response_url", "%v", err)
	}
	text("checkpoint", &in.Checkpoint, 8000, true)
	if in.Checkpoint != "" && !strings.Contains(in.Checkpoint, "\n\n\u2014 ") {
		set("checkpoint", "the checkpoint must be a signed note (text, a blank line, signature lines starting with \"\u2014 \")")
	}

	for i, e := range in.Evidence {
		k := fmt.Sprintf("evidence[%d]", i)
		if e.PageSHA256 != "" && !hexSHA256.MatchString(e.PageSHA256) {
			set(k, "the page's SHA-256 must be 64 hex digits")
		}
		if e.ScreenshotSHA256 != "" && !hexSHA256.MatchString(e.ScreenshotSHA256) {
			set(k, "the screenshot's SHA-256 must be 64 hex digits")
		}
		if e.PageSHA256 == "" && e.ScreenshotSHA256 == "" {
			set(k, "a piece of evidence needs a hash")
		}
	}
	switch {
	case in.Reminder < 0:
		set("reminder", "must be 0 (a first notice) or the number of the reminder")
	case in.Reminder > 0 && in.FirstSentAt.IsZero():
		set("first_sent_at", "a reminder cites when the first notice was sent")
	}
	if in.SentAt.IsZero() {
		set("sent_at", "a notice is dated")
	}
	for k, id := range map[string]string{"message_id": in.MessageID, "original_message_id": in.OriginalMessageID} {
		if id != "" {
			if _, err := normalizeMessageID(id); err != nil {
				set(k, "%v", err)
			}
		}
	}
	if len(f) > 0 {
		return cat, nil, &undox.Error{Code: undox.EINVALID, Message: "the notice cannot be rendered", Fields: f}
	}
	return cat, urls, nil
}

// checkURL accepts an absolute http(s) URL with a host, without
// credentials or white space.
func checkURL(raw string) (*url.URL, error) {
	if raw == "" || strings.ContainsAny(raw, " \t\r\n<>\"") {
		return nil, fmt.Errorf("not a URL")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("not an http(s) URL")
	case u.Hostname() == "":
		return nil, fmt.Errorf("the URL has no host")
	case u.User != nil:
		return nil, fmt.Errorf("the URL carries credentials")
	}
	return u, nil
}

var (
	schemeURL = regexp.MustCompile(`(?i)[a-z][a-z0-9+.-]*://`)
	wwwName   = regexp.MustCompile(`(?i)\bwww\.[a-z0-9-]`)
)

// onlyURLs fails when text names a URL other than the allowed ones. An
// allowed URL counts only where it ends there (white space, the end, a
// closing bracket or quote, or punctuation before one of those), so that
// "https://a.example/p" does not clear "https://a.example/private".
func onlyURLs(text string, allowed []string) error {
	// Longest first, so that a URL that extends another is taken whole.
	list := append([]string(nil), allowed...)
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	for _, u := range list {
		if u == "" {
			continue
		}
		var b strings.Builder
		for rest := text; ; {
			i := strings.Index(rest, u)
			if i < 0 {
				b.WriteString(rest)
				break
			}
			after := rest[i+len(u):]
			b.WriteString(rest[:i])
			if urlEnds(after) {
				b.WriteString(" ")
			} else {
				b.WriteString(u)
			}
			rest = after
		}
		text = b.String()
	}
	if m := schemeURL.FindStringIndex(text); m != nil {
		return undox.Invalid("template", "the text names a URL that is not at issue (%s); a notice names only the URLs at issue and the response link", excerpt(text, m[0]))
	}
	// The host of a URL at issue (a subject names it) is no other address.
	for _, u := range list {
		if pu, err := url.Parse(u); err == nil && pu.Hostname() != "" {
			// Only where the name ends: www.a.example.evil.example is
			// another address.
			re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(pu.Hostname()) + `($|[^a-z0-9.-]|\.($|[^a-z0-9]))`)
			text = re.ReplaceAllString(text, " $1")
		}
	}
	if m := wwwName.FindStringIndex(text); m != nil {
		return undox.Invalid("template", "the text names a web address that is not at issue (%s); a notice names only the URLs at issue and the response link", excerpt(text, m[0]))
	}
	return nil
}

// urlEnds tells whether a URL ends where s begins.
func urlEnds(s string) bool {
	for {
		if s == "" {
			return true
		}
		switch s[0] {
		case ' ', '\t', '\r', '\n', ')', ']', '>', '"', '\'':
			return true
		case '.', ',', ';', ':', '!', '?':
			s = s[1:]
			continue
		}
		return false
	}
}

func excerpt(s string, at int) string {
	end := at
	for end < len(s) && end-at < 60 && s[end] != ' ' && s[end] != '\n' {
		end++
	}
	return fmt.Sprintf("%q", s[at:end])
}
