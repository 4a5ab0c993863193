package rdap

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	openrdap "github.com/openrdap/rdap"
)

// NetworkRecord is one IP network object: the network looked up, or one of
// its parents.
type NetworkRecord struct {
	Handle string
	Name   string
	// Type is the registry's allocation type as published ("DIRECT
	// ALLOCATION", "ASSIGNED PA", "REASSIGNED" …).
	Type         string
	IPVersion    string
	StartAddress netip.Addr
	EndAddress   netip.Addr
	// CIDRs are the prefixes of the range: the cidr0 extension when
	// present, else computed from StartAddress–EndAddress.
	CIDRs []netip.Prefix
	// Country is the network's "country" member as published (ISO 3166
	// code); "" when the registry gives none (ARIN).
	Country string
	Status  []string
	// Org is the registrant organisation's name (vCard org or fn); OrgHandle
	// its handle (kept even when the entity carries no vCard, as in RIPE's
	// newer answers).
	Org       string
	OrgHandle string
	// OrgCountry is the registrant's country as written in its vCard
	// address: the structured country field, or the last line of an
	// address label of 4+ lines (ARIN). Free text, not a code.
	OrgCountry string
	// ParentHandle and UpLink are how the document names its parent.
	ParentHandle string
	UpLink       string
	// Abuse is the best abuse contact (nil if the document has no contact
	// at all); OtherContacts are the remaining contacts, best first.
	Abuse         *Contact
	OtherContacts []Contact
	// Raw is the response body, unmodified, kept as evidence.
	Raw json.RawMessage
	// Source is the URL that answered; Via the URLs that redirected to it.
	Source string
	Via    []string
}

// Parent is a network above another in the allocation chain (the upstream
// provider's allocation above a reseller's assignment, the RIR block above
// that).
type Parent = NetworkRecord

// Network is the answer to an IP lookup.
type Network struct {
	NetworkRecord
	// Parents is the allocation chain above the network, nearest first,
	// bounded by Config.MaxParents.
	Parents []Parent
	// ParentChainEnd says why the chain stopped early ("" when the
	// documents named no further parent or the bound was reached).
	ParentChainEnd string
}

// AS is the answer to an autnum lookup.
type AS struct {
	// Number is the AS number queried; Start/End the range of the object.
	Number        uint32
	Start, End    uint32
	Handle        string
	Name          string
	Type          string
	Country       string
	Status        []string
	Org           string
	OrgHandle     string
	OrgCountry    string
	Abuse         *Contact
	OtherContacts []Contact
	Raw           json.RawMessage
	Source        string
	Via           []string
}

// Registrar is the sponsoring registrar of a domain.
type Registrar struct {
	Name   string
	Handle string
	// IANAID is the publicIds entry of type "IANA Registrar ID" (or, as
	// Namecheap publishes it, a domain-level publicIds entry whose type is
	// the registrar's name).
	IANAID string
	// AbuseEmail/AbusePhone come from the registrar's abuse contact (high or
	// medium confidence only).
	AbuseEmail string
	AbusePhone string
	// Email is the registrar entity's own address, if published.
	Email string
	// RDAPURL is the registrar's RDAP record for the domain (the registry's
	// "related" link).
	RDAPURL string
}

// RegistrarRecord is the registrar's own RDAP answer for a domain.
type RegistrarRecord struct {
	Source string
	Via    []string
	Raw    json.RawMessage
	// Error is set when the registrar lookup failed (the registry data is
	// still returned).
	Error string
}

// DomainInfo is the answer to a domain lookup.
type DomainInfo struct {
	// Name is the ldhName, lower-cased, without a trailing dot.
	Name        string
	UnicodeName string
	Handle      string
	Registrar   Registrar
	// Registrant is the registrant's organisation or name when published
	// (privacy services and redactions included as published).
	Registrant  string
	Registered  time.Time
	Expires     time.Time
	LastChanged time.Time
	Status      []string
	// Nameservers are lower-cased, without trailing dots.
	Nameservers   []string
	Abuse         *Contact
	OtherContacts []Contact
	Raw           json.RawMessage
	Source        string
	Via           []string
	// RegistrarRecord is set when the registrar's RDAP was queried.
	RegistrarRecord *RegistrarRecord
}

// ParseNetwork parses an RDAP "ip network" document (no network access;
// Parents stay empty).
func ParseNetwork(raw []byte) (*Network, error) {
	rec, err := parseNetwork(raw)
	if err != nil {
		return nil, err
	}
	return &Network{NetworkRecord: *rec}, nil
}

// ParseAutnum parses an RDAP "autnum" document.
func ParseAutnum(raw []byte) (*AS, error) { return parseAutnum(raw) }

// ParseDomain parses an RDAP "domain" document (no registrar lookup).
func ParseDomain(raw []byte) (*DomainInfo, error) { return parseDomain(raw) }

// FindContacts extracts the abuse contact and the other contacts of any RDAP
// object (ip network, autnum, domain, entity …). For an entity document the
// entity's own vCard is considered too (Path "").
func FindContacts(raw []byte) (*Contact, []Contact, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, &Error{Code: CodeBadResponse, Detail: "not JSON", Err: err}
	}
	want, _ := m["objectClassName"].(string)
	obj, err := decodeObject(raw, want)
	if err != nil {
		return nil, nil, err
	}
	switch o := obj.(type) {
	case *openrdap.IPNetwork:
		a, oth := extractContacts(nil, o.Entities, o.Remarks, numberFallbackRoles)
		return a, oth, nil
	case *openrdap.Autnum:
		a, oth := extractContacts(nil, o.Entities, o.Remarks, numberFallbackRoles)
		return a, oth, nil
	case *openrdap.Domain:
		a, oth := extractContacts(nil, o.Entities, o.Remarks, domainFallbackRoles)
		return a, oth, nil
	case *openrdap.Entity:
		a, oth := extractContacts(o, o.Entities, o.Remarks, numberFallbackRoles)
		return a, oth, nil
	}
	return nil, nil, nil
}

func parseNetwork(raw []byte) (*NetworkRecord, error) {
	obj, err := decodeObject(raw, "ip network")
	if err != nil {
		return nil, err
	}
	n, ok := obj.(*openrdap.IPNetwork)
	if !ok {
		return nil, &Error{Code: CodeBadResponse, Detail: fmt.Sprintf("expected an ip network object, got %T", obj)}
	}
	rec := &NetworkRecord{
		Handle:       n.Handle,
		Name:         n.Name,
		Type:         n.Type,
		IPVersion:    n.IPVersion,
		Country:      n.Country,
		Status:       n.Status,
		ParentHandle: strings.TrimSpace(n.ParentHandle),
		UpLink:       linkHref(n.Links, "up"),
		Raw:          json.RawMessage(raw),
	}
	rec.StartAddress = parseLooseAddr(n.StartAddress)
	rec.EndAddress = parseLooseAddr(n.EndAddress)
	rec.CIDRs = cidr0(n.DecodeData)
	if len(rec.CIDRs) == 0 {
		rec.CIDRs = rangePrefixes(rec.StartAddress, rec.EndAddress)
	}
	rec.Org, rec.OrgHandle, rec.OrgCountry = registrant(n.Entities)
	rec.Abuse, rec.OtherContacts = extractContacts(nil, n.Entities, n.Remarks, numberFallbackRoles)
	return rec, nil
}

func parseAutnum(raw []byte) (*AS, error) {
	obj, err := decodeObject(raw, "autnum")
	if err != nil {
		return nil, err
	}
	a, ok := obj.(*openrdap.Autnum)
	if !ok {
		return nil, &Error{Code: CodeBadResponse, Detail: fmt.Sprintf("expected an autnum object, got %T", obj)}
	}
	as := &AS{
		Handle:  a.Handle,
		Name:    a.Name,
		Type:    a.Type,
		Country: a.Country,
		Status:  a.Status,
		Raw:     json.RawMessage(raw),
	}
	if a.StartAutnum != nil {
		as.Start = *a.StartAutnum
	}
	if a.EndAutnum != nil {
		as.End = *a.EndAutnum
	}
	if as.Start != 0 && as.End == 0 {
		as.End = as.Start
	}
	if as.Start != 0 {
		as.Number = as.Start
	} else if n, err := parseASN(a.Handle); err == nil {
		as.Number = n // LACNIC's handle is the bare number
		as.Start, as.End = n, n
	}
	as.Org, as.OrgHandle, as.OrgCountry = registrant(a.Entities)
	as.Abuse, as.OtherContacts = extractContacts(nil, a.Entities, a.Remarks, numberFallbackRoles)
	return as, nil
}

func parseDomain(raw []byte) (*DomainInfo, error) {
	obj, err := decodeObject(raw, "domain")
	if err != nil {
		return nil, err
	}
	d, ok := obj.(*openrdap.Domain)
	if !ok {
		return nil, &Error{Code: CodeBadResponse, Detail: fmt.Sprintf("expected a domain object, got %T", obj)}
	}
	di := &DomainInfo{
		Name:        normalizeDomainKey(d.LDHName),
		UnicodeName: strings.TrimSuffix(d.UnicodeName, "."),
		Handle:      d.Handle,
		Status:      d.Status,
		Raw:         json.RawMessage(raw),
	}
	if di.Name == "" {
		di.Name, _ = toASCII(d.UnicodeName)
	}
	for _, ns := range d.Nameservers {
		name := normalizeDomainKey(ns.LDHName)
		if name == "" {
			name = normalizeDomainKey(ns.UnicodeName)
		}
		if name != "" {
			di.Nameservers = append(di.Nameservers, name)
		}
	}
	for _, ev := range d.Events {
		t, ok := parseEventTime(ev.Date)
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(ev.Action)) {
		case "registration":
			di.Registered = t
		case "expiration":
			di.Expires = t
		case "last changed":
			di.LastChanged = t
		case "last update": // MarkMonitor's name for "last changed"
			if di.LastChanged.IsZero() {
				di.LastChanged = t
			}
		}
	}
	if reg := findRole(d.Entities, "registrar"); reg != nil {
		v := readVCard(reg)
		di.Registrar.Name = v.org
		if di.Registrar.Name == "" {
			di.Registrar.Name = v.fn
		}
		di.Registrar.Handle = reg.Handle
		if emails := v.emailAddrs(); len(emails) > 0 {
			di.Registrar.Email = emails[0]
		}
		di.Registrar.IANAID = ianaID(reg.PublicIDs)
		if di.Registrar.IANAID == "" && di.Registrar.Name != "" {
			for _, p := range d.PublicIDs {
				if strings.EqualFold(strings.TrimSpace(p.Type), di.Registrar.Name) {
					di.Registrar.IANAID = strings.TrimSpace(p.Identifier)
				}
			}
		}
		if di.Registrar.RDAPURL == "" {
			di.Registrar.RDAPURL = relatedRDAP(reg.Links, "")
		}
	}
	if u := relatedRDAP(d.Links, linkHref(d.Links, "self")); u != "" {
		di.Registrar.RDAPURL = u
	}
	if r := findRole(d.Entities, "registrant"); r != nil {
		v := readVCard(r)
		di.Registrant = v.org
		if di.Registrant == "" {
			di.Registrant = v.fn
		}
	}
	di.Abuse, di.OtherContacts = extractContacts(nil, d.Entities, d.Remarks, domainFallbackRoles)
	setRegistrarAbuse(di)
	return di, nil
}

func setRegistrarAbuse(di *DomainInfo) {
	if di.Abuse != nil && di.Abuse.Confidence != ConfidenceLow {
		di.Registrar.AbuseEmail = di.Abuse.Email
		di.Registrar.AbusePhone = di.Abuse.Phone
	}
}

// mergeRegistrar folds the registrar's own answer into the registry's.
func mergeRegistrar(di, reg *DomainInfo) {
	var pool []Contact
	if reg.Abuse != nil && (di.Abuse == nil || reg.Abuse.Confidence.rank() < di.Abuse.Confidence.rank()) {
		if di.Abuse != nil {
			pool = append(pool, *di.Abuse)
		}
		a := *reg.Abuse
		di.Abuse = &a
	} else if reg.Abuse != nil {
		pool = append(pool, *reg.Abuse)
	}
	pool = append(pool, reg.OtherContacts...)
	seen := map[string]bool{}
	if di.Abuse != nil {
		seen[contactKey(*di.Abuse)] = true
	}
	for _, c := range di.OtherContacts {
		seen[contactKey(c)] = true
	}
	for _, c := range pool {
		if k := contactKey(c); !seen[k] {
			seen[k] = true
			di.OtherContacts = append(di.OtherContacts, c)
		}
	}
	r := &di.Registrar
	if r.Name == "" {
		r.Name = reg.Registrar.Name
	}
	if r.Handle == "" {
		r.Handle = reg.Registrar.Handle
	}
	if r.IANAID == "" {
		r.IANAID = reg.Registrar.IANAID
	}
	if r.Email == "" {
		r.Email = reg.Registrar.Email
	}
	if di.Registrant == "" {
		di.Registrant = reg.Registrant
	}
	if len(di.Nameservers) == 0 {
		di.Nameservers = reg.Nameservers
	}
	setRegistrarAbuse(di)
}

// decodeObject decodes an RDAP document with openrdap. An RDAP error
// document becomes an *Error; a document without objectClassName (RIPE's
// pre-RFC-7483-final answers) is decoded as want.
func decodeObject(raw []byte, want string) (any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &Error{Code: CodeBadResponse, Detail: "response is not a JSON object", Err: err}
	}
	if _, ok := m["errorCode"]; ok {
		return nil, rdapErrorDoc(m, raw)
	}
	data := raw
	ocn, _ := m["objectClassName"].(string)
	if ocn == "" {
		if guess := guessClass(m); guess != "" {
			if want != "" && guess != want {
				return nil, &Error{Code: CodeBadResponse, Detail: fmt.Sprintf("document looks like %q, expected %q", guess, want)}
			}
			want = guess
		}
	}
	switch {
	case ocn == "" && want != "":
		m["objectClassName"] = want
		b, err := json.Marshal(m)
		if err != nil {
			return nil, &Error{Code: CodeBadResponse, Err: err}
		}
		data = b
	case want != "" && !strings.EqualFold(ocn, want):
		return nil, &Error{Code: CodeBadResponse, Detail: fmt.Sprintf("objectClassName %q, expected %q", ocn, want)}
	}
	obj, err := openrdap.NewDecoder(data).Decode()
	if err != nil {
		return nil, &Error{Code: CodeBadResponse, Detail: "undecodable RDAP document", Err: err}
	}
	return obj, nil
}

// guessClass infers the object class of a document without objectClassName.
func guessClass(m map[string]any) string {
	has := func(k string) bool { _, ok := m[k]; return ok }
	switch {
	case has("startAddress") || has("endAddress") || has("ipVersion"):
		return "ip network"
	case has("startAutnum") || has("endAutnum"):
		return "autnum"
	case has("ldhName") || has("unicodeName") || has("nameservers"):
		return "domain"
	case has("vcardArray"):
		return "entity"
	}
	return ""
}

// rdapErrorDoc turns an RDAP error document into an *Error. errorCode may be
// a number or (APNIC) a string.
func rdapErrorDoc(m map[string]any, raw []byte) *Error {
	code := 0
	switch v := m["errorCode"].(type) {
	case float64:
		code = int(v)
	case string:
		fmt.Sscanf(strings.TrimSpace(v), "%d", &code)
	}
	e := &Error{Code: CodeBadResponse, Status: code, Detail: errorDetail(raw), Raw: raw}
	if code == 404 {
		e.Code = CodeNotFound
	}
	return e
}

// errorDetail is the title and description of an RDAP error body.
func errorDetail(body []byte) string {
	var doc struct {
		Title       string   `json:"title"`
		Description []string `json:"description"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	parts := []string{}
	if t := strings.TrimSpace(doc.Title); t != "" {
		parts = append(parts, t)
	}
	for _, d := range doc.Description {
		if d = strings.TrimSpace(d); d != "" {
			parts = append(parts, d)
		}
	}
	return strings.Join(parts, ": ")
}

func jsonOrNil(b []byte) []byte {
	if len(b) > 0 && json.Valid(b) {
		return b
	}
	return nil
}

// registrant picks the organisation holding the resource: entities with the
// registrant role (top level first; kind=org, a published name and a
// non-maintainer handle preferred), else an unroled kind=org entity (old
// AFRINIC answers).
func registrant(entities []openrdap.Entity) (name, handle, country string) {
	type cand struct {
		e     *openrdap.Entity
		v     vcardInfo
		score [4]int
	}
	var best *cand
	better := func(a, b [4]int) bool {
		for i := range a {
			if a[i] != b[i] {
				return a[i] < b[i]
			}
		}
		return false
	}
	var walk func(es []openrdap.Entity, depth int)
	walk = func(es []openrdap.Entity, depth int) {
		for i := range es {
			e := &es[i]
			roles := lowerAll(e.Roles)
			v := readVCard(e)
			ok := (contains(roles, "registrant") || (depth == 0 && len(roles) == 0 && v.kind == "org")) &&
				!strings.HasSuffix(strings.ToUpper(e.Handle), "-MNT") // RIPE maintainers carry the registrant role
			if ok {
				c := cand{e: e, v: v}
				c.score[0] = depth
				if len(roles) == 0 {
					c.score[0] += 100 // only when no registrant role exists
				}
				if v.kind != "org" {
					c.score[1] = 1
				}
				if v.org == "" && v.fn == "" {
					c.score[2] = 1
				}
				if strings.HasSuffix(strings.ToUpper(e.Handle), "-MNT") {
					c.score[3] = 1
				}
				if best == nil || better(c.score, best.score) {
					cc := c
					best = &cc
				}
			}
			walk(e.Entities, depth+1)
		}
	}
	walk(entities, 0)
	if best == nil {
		return "", "", ""
	}
	name = best.v.org
	if name == "" {
		name = best.v.fn
	}
	return name, best.e.Handle, best.v.country()
}

// findRole returns the first entity with role (top level first).
func findRole(entities []openrdap.Entity, role string) *openrdap.Entity {
	for i := range entities {
		if contains(lowerAll(entities[i].Roles), role) {
			return &entities[i]
		}
	}
	for i := range entities {
		if e := findRole(entities[i].Entities, role); e != nil {
			return e
		}
	}
	return nil
}

func ianaID(ids []openrdap.PublicID) string {
	for _, p := range ids {
		if strings.EqualFold(strings.TrimSpace(p.Type), "IANA Registrar ID") {
			return strings.TrimSpace(p.Identifier)
		}
	}
	return ""
}

func linkHref(links []openrdap.Link, rel string) string {
	for _, l := range links {
		if strings.EqualFold(l.Rel, rel) && l.Href != "" {
			return strings.TrimSpace(l.Href)
		}
	}
	return ""
}

// relatedRDAP finds a "related" link to another RDAP server's domain record
// (the registrar's, in thin registries).
func relatedRDAP(links []openrdap.Link, self string) string {
	selfHost := ""
	if u, err := url.Parse(self); err == nil {
		selfHost = strings.ToLower(u.Host)
	}
	for _, l := range links {
		if !strings.EqualFold(l.Rel, "related") || l.Href == "" {
			continue
		}
		u, err := url.Parse(strings.TrimSpace(l.Href))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		if selfHost != "" && strings.EqualFold(u.Host, selfHost) {
			continue
		}
		if strings.Contains(strings.ToLower(l.Type), "rdap") || strings.Contains(strings.ToLower(u.Path), "/domain/") {
			return u.String()
		}
	}
	return ""
}

var eventLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700", // MarkMonitor: "+0000"
	"2006-01-02T15:04:05.999999999",      // Namecheap: no zone (taken as UTC)
	"2006-01-02 15:04:05",
	"2006-01-02",
}

func parseEventTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range eventLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
