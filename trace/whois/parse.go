package whois

import (
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Record is what a WHOIS answer says about a domain (or, parsed with Parse,
// about an IP network or AS number). Fields the answer does not give are
// empty; times are UTC and zero when absent.
type Record struct {
	Domain string // the domain as the answer names it, lower case

	Registrar            string // registrar's name
	RegistrarIANAID      string // "Registrar IANA ID"
	RegistrarURL         string
	RegistrarWHOISServer string // "Registrar WHOIS Server": where the registrar answers
	RegistrarEmail       string // registrar's general e-mail (AFNIC's registrar object), not an abuse desk
	RegistrarPhone       string

	// AbuseEmail and AbusePhone are the abuse desk the answer names: the
	// ICANN "Registrar Abuse Contact", a RIR's abuse-mailbox / OrgAbuseEmail
	// / abuse-c, … Addresses mentioned only in remarks or terms are not used.
	AbuseEmail string
	AbusePhone string

	// RegistrantOrg and RegistrantCountry are the holder's organisation and
	// country where the answer gives them (for networks: the holder
	// organisation and the country of the network object). "Registrant
	// Name" fields are not read, but where a registry gives the holder only
	// as a block (SWITCH's "Holder of domain name:") its first line is taken,
	// which for a private holder is a person's name.
	RegistrantOrg     string
	RegistrantCountry string

	Nameservers []string // lower case, no trailing dot, in the order given
	Status      []string // status codes as given (EPP codes without their URL)

	Created time.Time
	Updated time.Time
	Expires time.Time

	NotFound  bool // the registry says the domain is not registered (or free)
	Throttled bool // the answer is a rate-limit message
	Refused   bool // the server refuses to answer this client
	Truncated bool // the answer was cut at Config.MaxBytes

	Raw    string // the answer as text (UTF-8; Latin-1 answers converted)
	Server string // host:port that gave the answer

	// Referral is the registrar's own answer when the registry named a
	// registrar WHOIS server and it was asked; ReferralError says why asking
	// it failed. Fields missing from the registry's answer are filled in from
	// the referral, so the top-level fields are the ones to use.
	Referral      *Record
	ReferralError string
}

// hasData reports whether the record carries any registration data beyond
// the domain's name.
func (r *Record) hasData() bool {
	return r.Registrar != "" || len(r.Nameservers) > 0 || !r.Created.IsZero() || !r.Updated.IsZero() ||
		!r.Expires.IsZero() || r.AbuseEmail != "" || r.RegistrantOrg != "" || (r.Domain != "" && len(r.Status) > 0)
}

// field is one "key: value" of an answer. Keys are lower case with single
// spaces; inside a section (a label line followed by its values on the next
// lines, as SWITCH, EURid and Nominet write) a value line has the section's
// key, and a "key: value" line the key "section|key".
type field struct {
	key   string
	value string
	block int // index of the paragraph (blank-line separated) it is in
}

type parsed struct {
	fields   []field
	objects  map[int]string // block → kind of object block (nic-hdl, role, …); primary blocks are absent
	handles  map[string]int // nic-hdl (upper case) → block
	comments []string
}

var (
	// keyRE is a label: starts with a letter, then letters, digits, spaces and
	// a few punctuation marks, at most 48 characters.
	keyRE          = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9 ._/()'-]{0,47}$`)
	abuseCommentRE = regexp.MustCompile(`(?i)abuse contact for .* is '([^'\s]+@[^'\s]+)'`)
	bracketRE      = regexp.MustCompile(`^\[([A-Za-z][A-Za-z0-9 _-]*)\]$`)
)

// splitKV splits a "key: value" line. A colon that starts a URL ("http://")
// or sits deep in a sentence does not make a key.
func splitKV(line string) (key, value string, ok bool) {
	t := strings.TrimSpace(line)
	i := strings.IndexByte(t, ':')
	if i <= 0 {
		return "", "", false
	}
	rest := t[i+1:]
	if strings.HasPrefix(rest, "//") {
		return "", "", false
	}
	k := strings.TrimSpace(t[:i])
	if !keyRE.MatchString(k) || len(strings.Fields(k)) > 6 {
		return "", "", false
	}
	return normKey(k), strings.TrimSpace(rest), true
}

func normKey(k string) string {
	return strings.ToLower(strings.Join(strings.Fields(k), " "))
}

func indent(line string) int {
	return len(line) - len(strings.TrimLeftFunc(line, unicode.IsSpace))
}

// sectionFollows reports whether the empty-valued label at lines[i] opens a
// section: its next line is indented deeper, or is a bare value.
func sectionFollows(lines []string, i int) bool {
	if i+1 >= len(lines) {
		return false
	}
	next := lines[i+1]
	if strings.TrimSpace(next) == "" {
		return false
	}
	if indent(next) > indent(lines[i]) {
		return true
	}
	_, _, kv := splitKV(next)
	return !kv && !isComment(next)
}

func isComment(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "%") || strings.HasPrefix(t, "#") || strings.HasPrefix(t, ">>>")
}

// objectFirstKeys are the first keys of blocks that describe a contact, an
// organisation or a route rather than the queried object itself.
var objectFirstKeys = map[string]bool{
	"nic-hdl": true, "person": true, "role": true, "irt": true, "organisation": true, "mntner": true,
	"route": true, "route6": true, "contact": true,
	"orgname": true, "orgabusehandle": true, "orgtechhandle": true, "orgnochandle": true,
	"orgroutinghandle": true, "orgdnshandle": true,
}

func tokenize(text string) *parsed {
	p := &parsed{objects: map[int]string{}, handles: map[string]int{}}
	lines := strings.Split(text, "\n")
	for i := range lines {
		lines[i] = strings.TrimRightFunc(lines[i], unicode.IsSpace)
	}
	block, content := 0, false
	first := map[int]string{} // block → its first key
	add := func(key, value string) {
		if _, ok := first[block]; !ok {
			first[block] = key
		}
		p.fields = append(p.fields, field{key: key, value: value, block: block})
		content = true
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimSpace(l)
		switch {
		case t == "":
			if content {
				block++
				content = false
			}
			continue
		case isComment(l):
			p.comments = append(p.comments, t)
			continue
		}
		if m := bracketRE.FindStringSubmatch(t); m != nil {
			// DENIC's old "[Tech-C]" headers open a contact object.
			if content {
				block++
				content = false
			}
			p.objects[block] = normKey(m[1])
			first[block] = normKey(m[1])
			continue
		}
		key, value, ok := splitKV(l)
		if !ok {
			continue // a bare sentence, or an RPSL continuation line
		}
		if value == "" && sectionFollows(lines, i) {
			if _, ok := first[block]; !ok {
				first[block] = key
			}
			for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
				i++
				sl := lines[i]
				if isComment(sl) {
					continue
				}
				if sk, sv, ok := splitKV(sl); ok {
					add(key+"|"+sk, sv)
				} else {
					add(key, strings.TrimSpace(sl))
				}
			}
			continue
		}
		add(key, value)
	}
	// Classify the blocks.
	hasKey := func(b int, k string) bool {
		for _, f := range p.blockFields(b) {
			if f.key == k {
				return true
			}
		}
		return false
	}
	for b, k := range first {
		if _, done := p.objects[b]; done {
			continue
		}
		switch {
		case objectFirstKeys[k]:
			p.objects[b] = k
		case k == "registrar" && hasKey(b, "address"):
			// AFNIC's registrar object (the domain block names the registrar
			// too, but never with an address).
			p.objects[b] = "registrar"
		}
	}
	for _, f := range p.fields {
		if f.key == "nic-hdl" && f.value != "" {
			if _, seen := p.handles[strings.ToUpper(f.value)]; !seen {
				p.handles[strings.ToUpper(f.value)] = f.block
			}
		}
	}
	return p
}

// blockFields returns the fields of block b (fields are in block order).
func (p *parsed) blockFields(b int) []field {
	lo := sort.Search(len(p.fields), func(i int) bool { return p.fields[i].block >= b })
	hi := sort.Search(len(p.fields), func(i int) bool { return p.fields[i].block > b })
	return p.fields[lo:hi]
}

// blockValue returns the first non-empty value of key in block b.
func (p *parsed) blockValue(b int, keys ...string) string {
	for _, f := range p.blockFields(b) {
		if f.value == "" {
			continue
		}
		for _, k := range keys {
			if f.key == k {
				return f.value
			}
		}
	}
	return ""
}

// candidate collects the values of one record field with a priority: a
// lower priority number wins, and among equals the first one seen.
type candidate struct {
	value string
	prio  int
	set   bool
}

func (c *candidate) offer(v string, prio int) {
	v = strings.TrimSpace(v)
	if v == "" || redacted(v) {
		return
	}
	if !c.set || prio < c.prio {
		c.value, c.prio, c.set = v, prio, true
	}
}

var redactionMarks = []string{
	"redacted", "not disclosed", "data protected", "non-public data", "withheld",
	"statutory masking", "gdpr masked", "hidden upon user request", "please query the rdds",
	"contact privacy", "not shown",
}

func redacted(v string) bool {
	l := strings.ToLower(v)
	for _, m := range redactionMarks {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}

// The keys of the fields of the queried object, in the primary blocks.
var (
	domainKeys = set("domain name", "domain", "domain-name", "domainname", "domain name (ascii)")
	// registrar: value 0 is the priority.
	registrarKeys = map[string]int{
		"registrar": 0, "registrar name": 0, "sponsoring registrar": 0, "registrar|name": 0,
		"registrar organization": 1, "registrar|organisation": 1, "registrar|organization": 1,
	}
	registrarIDKeys    = set("registrar iana id", "sponsoring registrar iana id")
	registrarURLKeys   = set("registrar url", "registrar website", "referral url", "registrar|url", "registrar|website")
	registrarWhoisKeys = set("registrar whois server", "whois server")
	registrarMailKeys  = set("registrar email", "registrar e-mail", "registrar|email", "registrar|e-mail")
	registrarPhoneKeys = set("registrar phone", "registrar|phone")
	abuseEmailKeys     = map[string]int{
		"registrar abuse contact email": 0, "abuse contact email": 0, "registrar abuse email": 0,
		"abuse email": 0, "abuse-email": 0, "abuse e-mail": 0,
		"rabuseemail": 1, "abuse-mailbox": 1, "orgabuseemail": 2,
	}
	abusePhoneKeys = map[string]int{
		"registrar abuse contact phone": 0, "abuse contact phone": 0, "registrar abuse phone": 0, "abuse phone": 0,
		"rabusephone": 1, "orgabusephone": 2,
	}
	registrantOrgKeys = map[string]int{
		"registrant organization": 0, "registrant organisation": 0, "registrant|organization": 0,
		"registrant|organisation": 0, "holder of domain name": 0,
		"orgname": 2, "org-name": 2, "owner": 2,
	}
	registrantCountryKeys = map[string]int{
		"registrant country": 0, "registrant country/economy": 0, "registrant|country": 0, "country": 2,
	}
	nameserverKeys = set("name server", "name servers", "nameserver", "nameservers", "nserver",
		"name server|name", "name servers|name")
	statusKeys  = set("domain status", "status", "eppstatus", "state")
	createdKeys = set("creation date", "created", "created on", "created date", "registered", "registered on",
		"registration date", "registration time", "domain registration date", "first registration date",
		"regdate", "domain record activated", "record created", "domain created")
	updatedKeys = set("updated date", "updated", "last updated", "last update", "last-update", "changed",
		"last-modified", "last modified", "modified", "last updated on", "domain record last updated",
		"last updated date")
	expiresKeys = set("registry expiry date", "registry expiration date", "expiry date", "expiration date",
		"registrar registration expiration date", "expires", "expire", "expires on", "paid-till",
		"renewal date", "expiration time", "expire date")
)

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// subKey returns the part after the section for "section|key" keys.
func subKey(k string) string {
	if i := strings.LastIndexByte(k, '|'); i >= 0 {
		return k[i+1:]
	}
	return k
}

// Parse reads a WHOIS answer. It never fails: what it does not recognise it
// leaves out. Raw is set to text; Server is left empty.
func Parse(text string) *Record {
	text = strings.TrimPrefix(text, "\ufeff")
	p := tokenize(text)
	r := &Record{Raw: text}

	var domain, registrar, regID, regURL, regWhois, regMail, regPhone candidate
	var abuseMail, abusePhone, org, country candidate
	var created, updated, expires candidate
	seenNS := map[string]bool{}
	seenStatus := map[string]bool{}

	for _, f := range p.fields {
		kind, isObject := p.objects[f.block]
		k := f.key
		// Abuse contacts are unambiguous wherever they are.
		if prio, ok := abuseEmailKeys[k]; ok {
			abuseMail.offer(cleanEmail(f.value), prio)
			continue
		}
		if prio, ok := abusePhoneKeys[k]; ok {
			abusePhone.offer(cleanPhone(f.value), prio)
			continue
		}
		if isObject {
			switch {
			case kind == "registrar":
				switch k {
				case "registrar":
					registrar.offer(f.value, 1)
				case "website":
					regURL.offer(f.value, 1)
				case "e-mail":
					regMail.offer(cleanEmail(f.value), 1)
				case "phone":
					regPhone.offer(cleanPhone(f.value), 1)
				}
			case kind == "orgname" || kind == "organisation":
				switch k {
				case "orgname", "org-name":
					org.offer(f.value, 2)
				case "country":
					country.offer(f.value, 3)
				}
			}
			continue
		}

		if prio, ok := registrarKeys[k]; ok {
			registrar.offer(f.value, prio)
			continue
		}
		if prio, ok := registrantOrgKeys[k]; ok {
			org.offer(f.value, prio)
			continue
		}
		if prio, ok := registrantCountryKeys[k]; ok {
			country.offer(f.value, prio)
			continue
		}
		switch {
		case domainKeys[k]:
			domain.offer(firstToken(f.value), 0)
		case registrarIDKeys[k]:
			regID.offer(f.value, 0)
		case registrarURLKeys[k]:
			regURL.offer(f.value, 0)
		case registrarWhoisKeys[k]:
			regWhois.offer(f.value, 0)
		case registrarMailKeys[k]:
			regMail.offer(cleanEmail(f.value), 0)
		case registrarPhoneKeys[k]:
			regPhone.offer(cleanPhone(f.value), 0)
		case nameserverKeys[k]:
			if ns := cleanHost(f.value); ns != "" && !seenNS[ns] {
				seenNS[ns] = true
				r.Nameservers = append(r.Nameservers, ns)
			}
		case statusKeys[k]:
			for _, s := range splitStatus(k, f.value) {
				if !seenStatus[s] {
					seenStatus[s] = true
					r.Status = append(r.Status, s)
				}
			}
		case createdKeys[k] || createdKeys[subKey(k)]:
			offerDate(&created, f.value)
		case updatedKeys[k] || updatedKeys[subKey(k)]:
			offerDate(&updated, f.value)
		case expiresKeys[k] || expiresKeys[subKey(k)]:
			offerDate(&expires, f.value)
		}
	}

	// "% Abuse contact for '…' is '…'" (RIPE, APNIC) is what the RIR itself
	// names as the abuse desk.
	for _, c := range p.comments {
		if m := abuseCommentRE.FindStringSubmatch(c); m != nil {
			abuseMail.offer(cleanEmail(m[1]), 0)
			break
		}
	}
	// Handles: abuse-c (RPSL, LACNIC) and AFNIC's holder-c.
	for _, f := range p.fields {
		if _, isObject := p.objects[f.block]; isObject || f.value == "" {
			continue
		}
		b, ok := p.handles[strings.ToUpper(f.value)]
		if !ok {
			continue
		}
		switch f.key {
		case "abuse-c":
			abuseMail.offer(cleanEmail(p.blockValue(b, "abuse-mailbox")), 3)
			abuseMail.offer(cleanEmail(p.blockValue(b, "e-mail")), 4)
			abusePhone.offer(cleanPhone(p.blockValue(b, "phone")), 3)
		case "holder-c":
			if strings.EqualFold(p.blockValue(b, "type"), "organization") {
				org.offer(p.blockValue(b, "contact"), 1)
			}
			country.offer(p.blockValue(b, "country"), 1)
		}
	}

	r.Domain = strings.TrimSuffix(strings.ToLower(domain.value), ".")
	r.Registrar = registrar.value
	r.RegistrarIANAID = regID.value
	r.RegistrarURL = regURL.value
	r.RegistrarWHOISServer = regWhois.value
	r.RegistrarEmail = regMail.value
	r.RegistrarPhone = regPhone.value
	r.AbuseEmail = abuseMail.value
	r.AbusePhone = abusePhone.value
	r.RegistrantOrg = org.value
	r.RegistrantCountry = country.value
	r.Created = dateOf(created)
	r.Updated = dateOf(updated)
	r.Expires = dateOf(expires)
	classify(r, text)
	return r
}

func firstToken(v string) string {
	if fs := strings.Fields(v); len(fs) > 0 {
		return fs[0]
	}
	return ""
}

func dateOf(c candidate) time.Time {
	if !c.set {
		return time.Time{}
	}
	t, _ := parseDate(c.value)
	return t
}

// offerDate keeps the first value that parses as a date.
func offerDate(c *candidate, v string) {
	if c.set {
		return
	}
	if _, ok := parseDate(v); ok {
		c.offer(v, 0)
	}
}

// cleanEmail returns the address in v (the first token with an "@"), with
// its domain part in lower case; "" when there is none.
func cleanEmail(v string) string {
	for _, tok := range strings.Fields(v) {
		tok = strings.Trim(tok, "<>()[],;'\"")
		tok = strings.TrimPrefix(tok, "mailto:")
		at := strings.LastIndexByte(tok, '@')
		if at <= 0 || at == len(tok)-1 || !strings.Contains(tok[at:], ".") {
			continue
		}
		return tok[:at] + strings.ToLower(tok[at:])
	}
	return ""
}

// cleanPhone collapses spaces, drops LACNIC's empty "[]" extension and
// placeholders such as "+000000000".
func cleanPhone(v string) string {
	v = strings.Join(strings.Fields(strings.ReplaceAll(v, "[]", "")), " ")
	if !strings.ContainsAny(v, "123456789") {
		return ""
	}
	return v
}

var hostRE = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)+$`)

// cleanHost returns the host name that starts v ("ns1.example.de 192.0.2.1"
// → "ns1.example.de"), lower case without the trailing dot, or "".
func cleanHost(v string) string {
	fs := strings.Fields(v)
	if len(fs) == 0 {
		return ""
	}
	h := strings.TrimSuffix(strings.ToLower(fs[0]), ".")
	if !hostRE.MatchString(h) {
		return ""
	}
	return h
}

// splitStatus turns "clientDeleteProhibited https://icann.org/epp#…" into the
// code alone, and ".ru"-style "REGISTERED, DELEGATED" into its parts.
func splitStatus(key, v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	fs := strings.Fields(v)
	if len(fs) >= 2 && (strings.HasPrefix(fs[1], "http://") || strings.HasPrefix(fs[1], "https://") || strings.HasPrefix(fs[1], "(")) {
		return []string{fs[0]}
	}
	if key == "state" && strings.Contains(v, ",") {
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return []string{v}
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05 Z0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006.01.02 15:04:05",
	"2006.01.02",
	"2006/01/02 15:04:05",
	"2006/01/02",
	"02.01.2006 15:04:05",
	"02.01.2006",
	"02-Jan-2006 15:04:05",
	"02-Jan-2006",
	"2-Jan-2006",
	"02 Jan 2006",
	"January 2 2006",
	"January 2, 2006",
	"Jan 2 2006",
	"20060102",
	"2006-01",
}

// parseDate reads the date formats WHOIS servers use. Times without a zone
// are taken as UTC; results are UTC.
func parseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '('); i > 0 {
		v = strings.TrimSpace(v[:i])
	}
	for _, suf := range []string{" UTC", " GMT", " utc", " gmt"} {
		v = strings.TrimSuffix(v, suf)
	}
	if v == "" {
		return time.Time{}, false
	}
	tries := []string{v}
	if up := strings.ToUpper(v); up != v && v[0] >= '0' && v[0] <= '9' {
		tries = append(tries, up) // "2028-03-08t16:59:59z"
	}
	for _, s := range tries {
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), true
			}
		}
	}
	return time.Time{}, false
}

// Phrases of rate-limit, refusal and not-found answers. They are looked for
// only in lines of at most maxSignalLine characters (terms of use are long
// paragraphs and mention throttling in passing) and only in answers that
// carry no registration data.
const maxSignalLine = 200

var (
	throttlePhrases = []string{
		"access control limit", "limit exceeded", "too many requests", "too many queries from",
		"rate limit", "request per second", "requests per second", "queries per second",
		"try again later", "exceeded the maximum", "quota exceeded", "you have exceeded",
		"query limit", "lookup limit",
	}
	refusePhrases = []string{
		"requests of this client are not permitted", "not permitted to query", "access denied",
		"access to whois is restricted", "you are not authorized", "you are not authorised",
		"your ip has been blocked", "blacklisted", "permission denied",
	}
	notFoundPhrases = []string{
		"no match", "not found", "no entries found", "no data found", "no matching record",
		"nothing found", "no object found", "object does not exist", "no such domain",
		"we do not have an entry in our database", "is available for registration",
		"domain name not known", "no information available", "does not exist in database",
		"status: free", "status: available",
	}
)

// classify sets NotFound, Throttled and Refused.
func classify(r *Record, text string) {
	for _, s := range r.Status {
		switch strings.ToLower(s) {
		case "free", "available", "not registered", "no object found":
			r.NotFound = true
		}
	}
	if r.NotFound || r.hasData() {
		return
	}
	var short []string
	for _, line := range strings.Split(text, "\n") {
		if len(line) <= maxSignalLine {
			short = append(short, strings.ToLower(line))
		}
	}
	has := func(phrases []string) bool {
		for _, l := range short {
			for _, p := range phrases {
				if strings.Contains(l, p) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has(throttlePhrases):
		r.Throttled = true
	case has(refusePhrases):
		r.Refused = true
	case has(notFoundPhrases):
		r.NotFound = true
	}
}

// ianaReferral returns the WHOIS server an IANA answer names: "refer:", else
// "whois:".
func ianaReferral(text string) string {
	p := tokenize(text)
	var refer, whois string
	for _, f := range p.fields {
		switch f.key {
		case "refer":
			if refer == "" {
				refer = f.value
			}
		case "whois":
			if whois == "" {
				whois = f.value
			}
		}
	}
	if refer != "" {
		return refer
	}
	return whois
}
