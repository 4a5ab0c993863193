package trace

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/undox/undox"
)

// cand is a recipient, with the facts a contact-book entry is matched
// against to take it over.
type cand struct {
	r Recipient
	q undox.ContactQuery
}

// roleRank is the order of escalation: the CDN in front of a host comes
// before it.
var roleRank = map[string]int{
	undox.RolePlatform:  0,
	undox.RoleCDN:       1,
	undox.RoleHost:      2,
	undox.RoleUpstream:  3,
	undox.RoleRegistrar: 4,
	undox.RoleRegistry:  5,
	undox.RoleSite:      6,
	RolePolice:          7,
}

// siteDomains are the names of the site: the host, the registrable domain
// and the CNAME targets.
func (t *tracer) siteDomains() []string {
	a := t.a
	var out []string
	for _, d := range append([]string{a.Domain, a.RegistrableDomain}, a.CNAMEChain...) {
		if d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// facts is everything the trace found that a contact-book entry can match:
// the site's names, the addresses, AS numbers, and the organisations of
// networks, allocations above them, AS holders, the registrar, the CDN and
// the registry.
func (t *tracer) facts() undox.ContactQuery {
	a := t.a
	q := undox.ContactQuery{Domains: t.siteDomains()}
	org := func(s string) {
		if s != "" && !slices.Contains(q.Orgs, s) {
			q.Orgs = append(q.Orgs, s)
		}
	}
	for _, ad := range a.Addresses {
		q.Addrs = append(q.Addrs, ad.IP)
		if ad.ASN != nil && !slices.Contains(q.ASNs, *ad.ASN) {
			q.ASNs = append(q.ASNs, *ad.ASN)
		}
		org(ad.Org)
		for _, p := range ad.Parents {
			org(parentHolder(&p))
		}
		if ad.AS != nil {
			org(ad.AS.Org)
		}
	}
	if a.Registrar != nil {
		org(a.Registrar.Name)
	}
	if a.CDN != nil {
		org(*a.CDN)
	}
	if a.Registry != nil {
		org(a.Registry.Name)
	}
	return q
}

// recipients makes the ordered list of recipients from what the lookups
// found and the contact-book entries that matched.
func (t *tracer) recipients(contacts []*undox.Contact) []Recipient {
	var cands []cand
	cands = append(cands, t.cdnRecipient()...)
	cands = append(cands, t.hostRecipients()...)
	cands = append(cands, t.registrarRecipient()...)
	cands = append(cands, t.registryRecipient()...)
	cands = append(cands, t.siteRecipient()...)
	cands = t.applyContacts(cands, contacts)
	slices.SortStableFunc(cands, func(x, y cand) int { return roleRank[x.r.Role] - roleRank[y.r.Role] })
	return dedupe(cands)
}

// group is the addresses of one network.
type group struct {
	net   *Network
	ad    *Address // the first address
	addrs []netip.Addr
	asns  []uint32
	ases  []*AS
}

func (t *tracer) hostRecipients() []cand {
	a := t.a
	var groups []*group
	byKey := map[string]*group{}
	for i := range a.Addresses {
		ad := &a.Addresses[i]
		if ad.CDN {
			continue
		}
		var key string
		switch {
		case ad.Network != nil:
			key = "net:" + ad.Network.Handle + "|" + ad.Network.Start + "|" + undox.NormalizeOrg(ad.Org)
		case ad.AS != nil && ad.AS.Org != "":
			key = fmt.Sprintf("as:%d", ad.AS.Number)
		default:
			continue // nothing known of this address's host
		}
		g := byKey[key]
		if g == nil {
			g = &group{net: ad.Network, ad: ad}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.addrs = append(g.addrs, ad.IP)
		if ad.ASN != nil && !slices.Contains(g.asns, *ad.ASN) {
			g.asns = append(g.asns, *ad.ASN)
			if ad.AS != nil {
				g.ases = append(g.ases, ad.AS)
			}
		}
	}
	var out []cand
	for _, g := range groups {
		if g.net == nil {
			// The network lookup failed: the AS holder announcing the
			// addresses is the best guess at the host.
			as := g.ad.AS
			out = append(out, cand{
				r: Recipient{Role: undox.RoleHost, Organisation: as.Org, Country: as.Country, Email: as.AbuseEmail,
					Source: SourceRDAP, Confidence: ConfidenceLow, Notify: true, Ref: fmt.Sprintf("AS%d", as.Number),
					Note: fmt.Sprintf("The network of %s could not be looked up: this is the holder of AS%d, which announces it.", addrList(g.addrs), as.Number)},
				q: undox.ContactQuery{Domains: t.siteDomains(), Addrs: g.addrs, ASNs: g.asns, Orgs: []string{as.Org}},
			})
			continue
		}
		n, org := g.net, g.ad.Org
		host := Recipient{Role: undox.RoleHost, Organisation: org, Country: g.ad.Country, Email: n.AbuseEmail,
			Phone: n.AbusePhone, Source: SourceRDAP, Confidence: orDefault(n.AbuseConfidence, ConfidenceLow),
			Notify: true, Ref: n.Handle,
			Note: fmt.Sprintf("Holds %s (%s), the network of %s.", n.Name, netRange(n), addrList(g.addrs))}
		if host.Email == "" {
			host.Note += " RDAP names no contact for it."
		}
		out = append(out, cand{r: host, q: undox.ContactQuery{Domains: t.siteDomains(), Addrs: g.addrs, ASNs: g.asns, Orgs: []string{org}}})

		// The nearest allocation above held by someone else: the host is a
		// reseller, its upstream the holder of that allocation.
		upOrg := ""
		for i := range g.ad.Parents {
			p := &g.ad.Parents[i]
			if isRIR(p) {
				break
			}
			ph := parentHolder(p)
			if sameHolder(org, n.AbuseEmail, ph, p.AbuseEmail) {
				continue
			}
			upOrg = ph
			out = append(out, cand{
				r: Recipient{Role: undox.RoleUpstream, Organisation: ph, Country: firstCountry(p.Country, p.OrgCountry),
					Email: p.AbuseEmail, Phone: p.AbusePhone, Source: SourceRDAP,
					Confidence: orDefault(p.AbuseConfidence, ConfidenceLow), Notify: true, Ref: p.Handle,
					Note: fmt.Sprintf("Holds the allocation %s (%s) above the host's network %s: the host is its customer (a reseller). Escalate to it when the host does not act.",
						p.Name, netRange(p), n.Name)},
				q: undox.ContactQuery{Domains: t.siteDomains(), Addrs: g.addrs, Orgs: []string{ph}},
			})
			break
		}
		// The AS announcing the addresses, when someone else holds it.
		for _, as := range g.ases {
			if as.Org == "" || sameHolder(org, n.AbuseEmail, as.Org, as.AbuseEmail) ||
				(upOrg != "" && undox.NormalizeOrg(upOrg) == undox.NormalizeOrg(as.Org)) {
				continue
			}
			conf := ConfidenceLow
			if r := t.ases[as.Number]; r != nil && r.Abuse != nil {
				conf = string(r.Abuse.Confidence)
			}
			out = append(out, cand{
				r: Recipient{Role: undox.RoleUpstream, Organisation: as.Org, Country: as.Country, Email: as.AbuseEmail,
					Source: SourceRDAP, Confidence: conf, Notify: true, Ref: fmt.Sprintf("AS%d", as.Number),
					Note: fmt.Sprintf("Holds AS%d (%s), which announces the host's addresses: the host's upstream provider.", as.Number, as.Name)},
				q: undox.ContactQuery{Domains: t.siteDomains(), ASNs: []uint32{as.Number}, Orgs: []string{as.Org}},
			})
		}
	}
	return out
}

func (t *tracer) cdnRecipient() []cand {
	a, m := t.a, t.cdn
	if m == nil {
		return nil
	}
	r := Recipient{Role: undox.RoleCDN, Organisation: m.Name, Source: SourceCDNData, Confidence: m.Confidence,
		Notify: true, Ref: m.Slug}
	q := undox.ContactQuery{Domains: t.siteDomains(), Orgs: []string{m.Name}}
	for _, ad := range a.Addresses {
		if !ad.CDN {
			continue
		}
		q.Addrs = append(q.Addrs, ad.IP)
		if ad.ASN != nil && !slices.Contains(q.ASNs, *ad.ASN) {
			q.ASNs = append(q.ASNs, *ad.ASN)
		}
		if ad.Org != "" && !slices.Contains(q.Orgs, ad.Org) {
			q.Orgs = append(q.Orgs, ad.Org)
		}
		if r.Email == "" && ad.Network != nil && ad.Network.AbuseEmail != "" {
			r.Email, r.Phone = ad.Network.AbuseEmail, ad.Network.AbusePhone
			r.Country = ad.Country
			if m.AbuseURL == "" {
				r.Source = SourceRDAP
			}
		}
	}
	r.WebForm = m.AbuseURL
	if r.Email == "" && m.AbuseEmail != "" {
		r.Email = m.AbuseEmail
		r.Source = SourceCDNData
	}
	r.Note = "A CDN or reverse proxy in front of the site: the real host is hidden behind it. Ask it to forward the notice to the host and to disclose the origin host."
	if !a.HostHidden {
		r.Note = "A CDN or reverse proxy in front of the site. Ask it to forward the notice to the host and to disclose the origin host."
	}
	if m.AbuseNote != "" {
		r.Note += " " + m.AbuseNote
	}
	return []cand{{r: r, q: q}}
}

func (t *tracer) registrarRecipient() []cand {
	a := t.a
	rg := a.Registrar
	if rg == nil {
		return nil
	}
	r := Recipient{Role: undox.RoleRegistrar, Organisation: rg.Name, Email: rg.AbuseEmail, Phone: rg.AbusePhone,
		Source: rg.Source, Confidence: ConfidenceHigh, Notify: true, Note: "The domain's registrar."}
	if rg.IANAID != "" {
		r.Ref = "IANA " + rg.IANAID
	}
	switch {
	case rg.AbuseEmail != "" && t.domain != nil:
		r.Confidence = ConfidenceMedium
		if ab := t.domain.Abuse; ab != nil && strings.EqualFold(ab.Email, rg.AbuseEmail) {
			r.Confidence = string(ab.Confidence)
		}
	case rg.AbuseEmail != "":
		// WHOIS: the ICANN "Registrar Abuse Contact Email".
	case t.domain != nil && t.domain.Abuse != nil && t.domain.Abuse.Email != "":
		ab := t.domain.Abuse
		r.Email, r.Phone, r.Confidence = ab.Email, ab.Phone, string(ab.Confidence)
		r.Note += " It publishes no abuse contact: this is another of its contacts."
	case rg.Email != "":
		r.Email, r.Confidence = rg.Email, ConfidenceLow
		r.Note += " It publishes no abuse contact: this is its general address."
	default:
		r.Confidence = ConfidenceLow
		r.Note += " It publishes no contact in the registry's answer."
	}
	q := undox.ContactQuery{Domains: t.siteDomains(), Orgs: []string{rg.Name}}
	return []cand{{r: r, q: q}}
}

func (t *tracer) registryRecipient() []cand {
	reg := t.a.Registry
	if reg == nil {
		return nil
	}
	r := Recipient{Role: undox.RoleRegistry, Organisation: reg.Name, Country: reg.Country, Source: reg.Source,
		Confidence: ConfidenceLow, Notify: true, Ref: "." + reg.TLD,
		Note: fmt.Sprintf("The registry operator of .%s: a later step of the escalation, when the registrar does not act. undox ships no channel for registries: add one to the contact book (role registry, scope domain, key %q).", reg.TLD, reg.TLD)}
	q := undox.ContactQuery{Domains: t.siteDomains(), Orgs: []string{reg.Name}}
	return []cand{{r: r, q: q}}
}

func (t *tracer) siteRecipient() []cand {
	a := t.a
	st := a.SecurityTxt
	if st == nil {
		return nil
	}
	org := a.RegistrableDomain
	if org == "" {
		org = a.Domain
	}
	r := Recipient{Role: undox.RoleSite, Organisation: org, Source: SourceSecurityTxt, Confidence: ConfidenceMedium,
		Notify: false, Ref: st.URL,
		Note: "The site's own contact (security.txt): listed, never notified automatically; on a doxing site it may be the doxer."}
	if len(st.Emails) > 0 {
		r.Email = st.Emails[0]
	}
	for _, c := range st.Contacts {
		switch {
		case r.WebForm == "" && strings.HasPrefix(strings.ToLower(c), "https://"):
			r.WebForm = c
		case r.Phone == "" && strings.HasPrefix(strings.ToLower(c), "tel:"):
			r.Phone = c[4:]
		}
	}
	if r.Email == "" && r.WebForm == "" && r.Phone == "" {
		return nil
	}
	if st.Expired {
		r.Note += " The file has expired."
		r.Confidence = ConfidenceLow
	}
	if len(st.Canonical) > 0 && !st.FromCanonical {
		r.Note += " It was found at a location its Canonical field does not list."
	}
	return []cand{{r: r, q: undox.ContactQuery{Domains: t.siteDomains()}}}
}

// applyContacts lets the contact book take precedence: an entry takes over
// the recipients of its role whose facts it matches (an entry for the
// site's domain: every recipient of its role); an entry that matches the
// trace but no recipient is added with its role when the lookups found none
// of that role, or when it is for the site's domain. An entry for the site's
// domain marking it as a platform comes first and is notified.
func (t *tracer) applyContacts(cands []cand, contacts []*undox.Contact) []cand {
	if len(contacts) == 0 {
		return cands
	}
	all := t.facts()
	var live []*undox.Contact
	for _, c := range contacts {
		if c != nil && !c.Removed && c.Matches(all) {
			live = append(live, c)
		}
	}
	slices.SortStableFunc(live, func(x, y *undox.Contact) int { return specificity(y) - specificity(x) })
	used := map[*undox.Contact]bool{}
	var out []cand

	// Platforms: entries for the site's names (the site is the platform).
	isPlatform := func(c *undox.Contact) bool {
		return (c.Platform || c.Role == undox.RolePlatform) && c.Scope == undox.ScopeDomain
	}
	for _, c := range live {
		if !isPlatform(c) {
			continue
		}
		used[c] = true
		r := fromContact(c, undox.RolePlatform, nil)
		r.Notify = true
		note := "The contact book marks the site as a platform that handles notices itself."
		if r.Note != "" {
			note += " " + r.Note
		}
		r.Note = note
		out = append(out, cand{r: r})
	}

	present := map[string]bool{}
	for i := range cands {
		present[cands[i].r.Role] = true
		for _, c := range live {
			if isPlatform(c) || c.Role != cands[i].r.Role || !c.Matches(cands[i].q) {
				continue
			}
			used[c] = true
			base := cands[i].r
			cands[i].r = fromContact(c, base.Role, &base)
			break
		}
	}
	out = append(out, cands...)

	for _, c := range live {
		if used[c] || isPlatform(c) || c.Role == undox.RolePlatform {
			continue
		}
		if c.Scope == undox.ScopeDomain || !present[c.Role] {
			used[c] = true
			out = append(out, cand{r: fromContact(c, c.Role, nil)})
		}
	}
	return out
}

// specificity ranks contact-book entries: a domain before a network (the
// longer prefix first), an AS, an organisation.
func specificity(c *undox.Contact) int {
	switch c.Scope {
	case undox.ScopeDomain:
		return 1000 + len(c.Key)
	case undox.ScopeNetwork:
		if p, err := netip.ParsePrefix(c.Key); err == nil {
			return 500 + p.Bits()
		}
		return 500
	case undox.ScopeASN:
		return 200
	}
	return 100
}

// fromContact makes a recipient of a contact-book entry, in place of base
// when the lookups found one.
func fromContact(c *undox.Contact, role string, base *Recipient) Recipient {
	r := Recipient{Role: role, Organisation: c.Name, Country: c.Country, Email: c.Email, WebForm: c.WebForm,
		API: c.API, Language: c.Language, Source: SourceContactBook, Confidence: ConfidenceHigh,
		Notify: role != undox.RoleSite || c.Platform, Note: c.Notes, ContactID: c.ID}
	if base != nil {
		if r.Country == "" {
			r.Country = base.Country
		}
		r.Ref = base.Ref
		found := base.Organisation
		if ch := channel(*base); ch != "" {
			found += " <" + ch + ">"
		}
		note := fmt.Sprintf("From the contact book (%s %s), in place of what %s gave: %s.", c.Scope, c.Key, base.Source, found)
		if r.Note != "" {
			note += " " + r.Note
		}
		r.Note = note
	}
	return r
}

// dedupe drops recipients whose channel an earlier one has (the same desk
// is not notified twice), or that repeat an earlier one's role and
// organisation without any channel.
func dedupe(cands []cand) []Recipient {
	out := []Recipient{}
	seen := map[string]int{}
	for _, c := range cands {
		r := c.r
		key := strings.ToLower(channel(r))
		if key == "" {
			key = r.Role + "|" + undox.NormalizeOrg(r.Organisation)
		}
		if i, ok := seen[key]; ok {
			if k := &out[i]; k.Role != r.Role && !strings.Contains(k.Note, "Also the "+r.Role+".") {
				k.Note = strings.TrimSpace(k.Note + " Also the " + r.Role + ".")
			}
			continue
		}
		seen[key] = len(out)
		out = append(out, r)
	}
	return out
}

// channel is a recipient's first channel: e-mail, web form, API or phone.
func channel(r Recipient) string {
	for _, s := range []string{r.Email, r.WebForm, r.API, r.Phone} {
		if s != "" {
			return s
		}
	}
	return ""
}

// parentHolder is the holder of an allocation: its organisation, else its
// name.
func parentHolder(p *Network) string {
	if p.Org != "" {
		return p.Org
	}
	return p.Name
}

// sameHolder tells whether two networks (or a network and an AS) have the
// same holder: the same organisation, or the same abuse address.
func sameHolder(org1, email1, org2, email2 string) bool {
	if o1, o2 := undox.NormalizeOrg(org1), undox.NormalizeOrg(org2); o1 != "" && o1 == o2 {
		return true
	}
	return email1 != "" && strings.EqualFold(email1, email2)
}

// rirWords are words of the names of the registries that allocate address
// space (IANA, the RIRs, the NIRs): an allocation they hold is no upstream.
var rirWords = []string{
	"internet assigned numbers authority", "american registry for internet numbers",
	"ripe network coordination centre", "ripe ncc", "asia pacific network information",
	"latin american and caribbean ip", "african network information", "japan network information center",
	"korea internet & security agency", "korea network information center", "china internet network information center",
	"twnic", "apjii", "vnnic", "indian registry for internet names and numbers", "nic.br",
}

func isRIR(p *Network) bool {
	o := undox.NormalizeOrg(p.Org)
	for _, w := range rirWords {
		if o != "" && strings.Contains(o, undox.NormalizeOrg(w)) {
			return true
		}
	}
	n := strings.ToUpper(p.Name)
	return strings.HasPrefix(n, "IANA") || n == "ARIN" || strings.HasPrefix(n, "RIPE-CIDR") || n == "ERX-NETBLOCK"
}

func netRange(n *Network) string {
	if len(n.CIDRs) > 0 {
		return strings.Join(n.CIDRs, ", ")
	}
	return n.Start + " - " + n.End
}

func addrList(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
