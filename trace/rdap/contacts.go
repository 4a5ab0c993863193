package rdap

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"

	openrdap "github.com/openrdap/rdap"
)

// Confidence says how sure the extractor is that a contact is the right one
// to send an abuse report to.
type Confidence string

const (
	// ConfidenceHigh: an entity with the RDAP role "abuse" (RIPE abuse-c,
	// APNIC IRT, ARIN abuse POC, LACNIC abuse, registrar abuse contact).
	ConfidenceHigh Confidence = "high"
	// ConfidenceMedium: no abuse role, but a hint: an e-mail with the vCard
	// parameter type=abuse, an e-mail address or a contact name containing
	// "abuse", or an e-mail given in a remark that talks about abuse/spam.
	ConfidenceMedium Confidence = "medium"
	// ConfidenceLow: a fallback to another contact of the object (NOC,
	// technical, administrative, registrant; for domains the registrar).
	ConfidenceLow Confidence = "low"
)

func (c Confidence) rank() int {
	switch c {
	case ConfidenceHigh:
		return 0
	case ConfidenceMedium:
		return 1
	case ConfidenceLow:
		return 2
	}
	return 3
}

// Contact is a point of contact found in an RDAP document.
type Contact struct {
	// Role is the role that made this a candidate: "abuse" for high
	// confidence, otherwise the entity's most relevant role ("technical",
	// "registrar" …); "" for a contact found in a remark or on an entity
	// without roles.
	Role string
	// Roles are all roles of the entity, lower-cased.
	Roles []string
	// Name is the vCard "fn".
	Name string
	// Org is the vCard "org" (or "fn" for kind=org).
	Org string
	// Email is the chosen address; Emails all addresses of the entity
	// (Email first). Addresses are as published (case kept).
	Email  string
	Emails []string
	// Phone is the first voice number, without a "tel:" prefix.
	Phone string
	// Handle is the entity handle ("" if none was published).
	Handle string
	// Kind is the vCard "kind" (individual, group, org).
	Kind       string
	Confidence Confidence
	// Basis says in words why the contact was picked, e.g. "role abuse,
	// e-mail type=abuse".
	Basis string
	// Path locates the contact in its document, e.g. "entities[0].entities[2]"
	// or "remarks[1]".
	Path string
	// Source is the URL of the document it came from (set by the Client;
	// empty for the Parse functions).
	Source string
}

// Orders in which other contacts are used as a low-confidence fallback.
var (
	numberFallbackRoles = []string{"noc", "technical", "administrative", "registrant"}
	domainFallbackRoles = []string{"registrar", "technical", "administrative", "registrant"}
)

type candidate struct {
	c     Contact
	tier  int // Confidence rank
	k1    int
	k2    int
	order int
}

// extractContacts finds the abuse contact of an object and ranks all other
// contacts. self is the object's own vCard entity (entity lookups), or nil.
func extractContacts(self *openrdap.Entity, entities []openrdap.Entity, remarks []openrdap.Remark, fallback []string) (*Contact, []Contact) {
	var cands []candidate
	order := 0
	add := func(cd candidate) {
		cd.order = order
		order++
		cands = append(cands, cd)
	}
	var walk func(es []openrdap.Entity, prefix string, depth int)
	visit := func(e *openrdap.Entity, path string, depth int) {
		for _, cd := range entityCandidates(e, path, depth, fallback) {
			add(cd)
		}
	}
	walk = func(es []openrdap.Entity, prefix string, depth int) {
		for i := range es {
			path := prefix + "entities[" + strconv.Itoa(i) + "]"
			visit(&es[i], path, depth)
			walk(es[i].Entities, path+".", depth+1)
		}
	}
	if self != nil {
		visit(self, "", 0)
	}
	for _, cd := range remarkCandidates(remarks, "", 0, nil) {
		add(cd)
	}
	walk(entities, "", 0)
	if len(cands) == 0 {
		return nil, nil
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.tier != b.tier {
			return a.tier < b.tier
		}
		if (a.c.Email == "") != (b.c.Email == "") {
			return a.c.Email != ""
		}
		if a.k1 != b.k1 {
			return a.k1 < b.k1
		}
		if a.k2 != b.k2 {
			return a.k2 < b.k2
		}
		return a.order < b.order
	})
	primary := cands[0].c
	var others []Contact
	seen := map[string]bool{contactKey(primary): true}
	for _, cd := range cands[1:] {
		k := contactKey(cd.c)
		if seen[k] {
			continue
		}
		seen[k] = true
		others = append(others, cd.c)
	}
	return &primary, others
}

func contactKey(c Contact) string {
	if c.Email != "" {
		return "e:" + strings.ToLower(c.Email)
	}
	return "h:" + c.Handle + "|" + c.Phone + "|" + c.Path
}

func entityCandidates(e *openrdap.Entity, path string, depth int, fallback []string) []candidate {
	v := readVCard(e)
	roles := lowerAll(e.Roles)
	base := Contact{
		Roles:  roles,
		Name:   v.fn,
		Org:    v.org,
		Emails: v.emailAddrs(),
		Phone:  v.phone(),
		Handle: e.Handle,
		Kind:   v.kind,
		Path:   path,
	}
	var out []candidate
	// Remarks of the entity (e.g. APNIC "If related with spam, send mail to …").
	out = append(out, remarkCandidates(e.Remarks, path+".", depth, &base)...)
	if len(base.Emails) == 0 && base.Phone == "" {
		return out
	}
	c := base
	switch {
	case contains(roles, "abuse"):
		email, why := v.abuseEmail()
		c.Email, c.Role, c.Confidence = email, "abuse", ConfidenceHigh
		c.Basis = "role abuse"
		if why != "" {
			c.Basis += ", " + why
		}
		dedicated := 1
		if len(roles) == 1 {
			dedicated = 0
		}
		c.Emails = withFirst(c.Emails, email)
		return append(out, candidate{c: c, tier: 0, k1: depth, k2: dedicated})
	}
	c.Role = firstRole(roles, fallback)
	if email, sub, why := v.abuseHint(); why != "" {
		c.Email, c.Confidence, c.Basis = email, ConfidenceMedium, why
		c.Emails = withFirst(c.Emails, email)
		return append(out, candidate{c: c, tier: 1, k1: sub, k2: depth})
	}
	if len(base.Emails) == 0 {
		return out
	}
	c.Email, c.Confidence = base.Emails[0], ConfidenceLow
	prio := len(fallback) + 2
	for i, r := range fallback {
		if contains(roles, r) {
			prio = i
			break
		}
	}
	if len(roles) == 0 {
		prio = len(fallback) + 1
		if v.kind == "org" {
			prio = len(fallback)
		}
	}
	c.Basis = "fallback: " + describeRoles(roles) + " contact"
	return append(out, candidate{c: c, tier: 2, k1: prio, k2: depth})
}

var (
	emailRe = regexp.MustCompile(`(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}`)
	abuseRe = regexp.MustCompile(`(?i)abuse|spam`)
)

// remarkCandidates returns e-mail addresses given in remarks when the
// address contains "abuse", or its line mentions abuse or spam, or it stands
// alone on its line right after a line that does ("… abuse reporting can be
// done via" / "resolver-abuse@…").
func remarkCandidates(remarks []openrdap.Remark, prefix string, depth int, owner *Contact) []candidate {
	var out []candidate
	for i, r := range remarks {
		var lines []string
		for _, d := range r.Description {
			lines = append(lines, strings.Split(d, "\n")...)
		}
		prev := r.Title
		for _, line := range lines {
			for _, m := range emailRe.FindAllString(line, -1) {
				m = strings.TrimRight(m, ".")
				rest := strings.Trim(strings.Replace(line, m, "", 1), " \t\r*-:.,;/")
				ok := strings.Contains(strings.ToLower(localPart(m)), "abuse") ||
					abuseRe.MatchString(line) ||
					(rest == "" && abuseRe.MatchString(prev))
				if !ok {
					continue
				}
				c := Contact{
					Email:      m,
					Emails:     []string{m},
					Confidence: ConfidenceMedium,
					Basis:      "e-mail in a remark about abuse",
					Path:       prefix + "remarks[" + strconv.Itoa(i) + "]",
				}
				if owner != nil {
					c.Name, c.Org, c.Handle, c.Kind, c.Roles = owner.Name, owner.Org, owner.Handle, owner.Kind, owner.Roles
				}
				out = append(out, candidate{c: c, tier: 1, k1: 3, k2: depth})
			}
			if strings.TrimSpace(line) != "" {
				prev = line
			}
		}
	}
	return out
}

// vcardInfo is what the extractor needs from a jCard.
type vcardInfo struct {
	fn, org, kind string
	emails        []emailProp
	tels          []telProp
	adrCountry    string
	adrLabel      string
}

type emailProp struct {
	addr  string
	types []string
	pref  int // 0 if absent
}

type telProp struct {
	number string
	types  []string
	params string
}

// readVCard reads the entity's vCard through openrdap; if openrdap rejected
// it (one malformed property fails the whole card), it is read again
// skipping the invalid properties.
func readVCard(e *openrdap.Entity) vcardInfo {
	var info vcardInfo
	vc := e.VCard
	if vc == nil && e.DecodeData != nil {
		if raw := e.DecodeData.Value("vcardArray"); raw != nil {
			if b, err := json.Marshal(raw); err == nil {
				vc, _ = openrdap.NewVCardWithOptions(b, openrdap.VCardOptions{IgnoreInvalidProperties: true})
			}
		}
	}
	if vc == nil {
		return info
	}
	for _, p := range vc.Properties {
		params := lowerParams(p.Parameters)
		switch strings.ToLower(p.Name) {
		case "fn":
			if info.fn == "" {
				info.fn = strings.TrimSpace(strings.Join(p.Values(), " "))
			}
		case "org":
			if info.org == "" {
				info.org = strings.TrimSpace(firstNonEmpty(p.Values()))
			}
		case "kind":
			info.kind = strings.ToLower(strings.TrimSpace(firstNonEmpty(p.Values())))
		case "email":
			addr := strings.TrimSpace(firstNonEmpty(p.Values()))
			addr = strings.TrimPrefix(strings.TrimPrefix(addr, "mailto:"), "MAILTO:")
			if addr == "" {
				continue
			}
			ep := emailProp{addr: addr, types: lowerAll(params["type"])}
			if pr, ok := params["pref"]; ok && len(pr) > 0 {
				ep.pref, _ = strconv.Atoi(strings.TrimSpace(pr[0]))
			}
			info.emails = append(info.emails, ep)
		case "tel":
			num := strings.TrimSpace(firstNonEmpty(p.Values()))
			num = strings.TrimPrefix(strings.TrimPrefix(num, "tel:"), "TEL:")
			if num == "" {
				continue
			}
			b, _ := json.Marshal(params)
			info.tels = append(info.tels, telProp{number: num, types: lowerAll(params["type"]), params: string(b)})
		case "adr":
			if info.adrCountry == "" && info.adrLabel == "" {
				if arr, ok := p.Value.([]any); ok && len(arr) >= 7 {
					if s, ok := arr[6].(string); ok {
						info.adrCountry = strings.TrimSpace(s)
					}
				}
				if l, ok := params["label"]; ok && len(l) > 0 {
					info.adrLabel = l[0]
				}
			}
		}
	}
	if info.org == "" && info.kind == "org" {
		info.org = info.fn
	}
	return info
}

func (v vcardInfo) emailAddrs() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range v.emails {
		k := strings.ToLower(e.addr)
		if !seen[k] {
			seen[k] = true
			out = append(out, e.addr)
		}
	}
	return out
}

// abuseEmail picks the address of an abuse-role entity: the one typed
// "abuse" (RIPE abuse-mailbox), else the preferred one (APNIC marks the IRT
// abuse-mailbox pref=1), else one containing "abuse", else the first.
func (v vcardInfo) abuseEmail() (string, string) {
	for _, e := range v.emails {
		if contains(e.types, "abuse") {
			return e.addr, "e-mail type=abuse"
		}
	}
	best := -1
	for i, e := range v.emails {
		if e.pref > 0 && (best < 0 || e.pref < v.emails[best].pref) {
			best = i
		}
	}
	if best >= 0 {
		return v.emails[best].addr, "preferred e-mail (pref=" + strconv.Itoa(v.emails[best].pref) + ")"
	}
	for _, e := range v.emails {
		if strings.Contains(strings.ToLower(localPart(e.addr)), "abuse") {
			return e.addr, "e-mail address contains \"abuse\""
		}
	}
	if len(v.emails) > 0 {
		return v.emails[0].addr, ""
	}
	return "", ""
}

// abuseHint looks for abuse hints on an entity without the abuse role.
func (v vcardInfo) abuseHint() (email string, sub int, why string) {
	for _, e := range v.emails {
		if contains(e.types, "abuse") {
			return e.addr, 0, "vCard e-mail type=abuse"
		}
	}
	for _, e := range v.emails {
		if strings.Contains(strings.ToLower(localPart(e.addr)), "abuse") {
			return e.addr, 1, "e-mail address contains \"abuse\""
		}
	}
	if len(v.emails) > 0 && (abuseWord(v.fn) || abuseWord(v.org)) {
		return v.emails[0].addr, 2, "contact name contains \"abuse\""
	}
	return "", 0, ""
}

// phone returns the first voice number. Some servers (FlexiReg) split one
// number over several tel properties ("+7", "495", "5801111"); consecutive
// fragments with identical parameters are joined when the first is too
// short to be a number on its own.
func (v vcardInfo) phone() string {
	var tels []telProp
	for _, t := range v.tels {
		if len(t.types) == 0 || contains(t.types, "voice") || (contains(t.types, "work") && !contains(t.types, "fax")) {
			tels = append(tels, t)
		}
	}
	if len(tels) == 0 {
		return ""
	}
	first := tels[0]
	if countDigits(first.number) >= 7 {
		return first.number
	}
	parts := []string{first.number}
	for _, t := range tels[1:] {
		if t.params != first.params {
			break
		}
		parts = append(parts, t.number)
	}
	return strings.Join(parts, " ")
}

func (v vcardInfo) country() string {
	if v.adrCountry != "" {
		return v.adrCountry
	}
	lines := nonEmptyLines(strings.ReplaceAll(v.adrLabel, `\n`, "\n"))
	if len(lines) >= 4 {
		return lines[len(lines)-1]
	}
	return ""
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

func localPart(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[:i]
	}
	return addr
}

func abuseWord(s string) bool { return strings.Contains(strings.ToLower(s), "abuse") }

func firstRole(roles, order []string) string {
	for _, r := range order {
		if contains(roles, r) {
			return r
		}
	}
	if len(roles) > 0 {
		return roles[0]
	}
	return ""
}

func describeRoles(roles []string) string {
	if len(roles) == 0 {
		return "unroled"
	}
	return strings.Join(roles, "/")
}

func withFirst(list []string, first string) []string {
	if first == "" {
		return list
	}
	out := []string{first}
	for _, s := range list {
		if !strings.EqualFold(s, first) {
			out = append(out, s)
		}
	}
	return out
}

func lowerParams(p map[string][]string) map[string][]string {
	out := make(map[string][]string, len(p))
	for k, v := range p {
		k = strings.ToLower(k)
		out[k] = append(out[k], v...)
	}
	return out
}

func lowerAll(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, strings.ToLower(strings.TrimSpace(s)))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func firstNonEmpty(vals []string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
