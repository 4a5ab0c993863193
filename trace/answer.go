package trace

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/trace/dns"
)

// RolePolice is the role of the police in an answer: the escalation of a
// site whose host cannot be found at all (a .onion site).
const RolePolice = "police"

// Sources of a recipient: where its channel was found.
const (
	SourceRDAP        = "rdap"
	SourceWHOIS       = "whois"
	SourceSecurityTxt = "security.txt"
	SourceContactBook = "contact_book"
	SourceCDNData     = "cdn_data"
	SourceTLDData     = "tld_data" // undox's table of registry operators
	SourceConfig      = "config"   // undox's configuration (the police)
)

// Confidence of a recipient's channel: as the RDAP extractor grades it
// (high: an abuse contact; medium: a hint; low: another contact), high for
// the contact book.
const (
	ConfidenceHigh   = "high"
	ConfidenceMedium = "medium"
	ConfidenceLow    = "low"
)

// Lookups named in Answer.Errors and Evidence.
const (
	LookupDNS         = "dns"
	LookupRDAPIP      = "rdap_ip"
	LookupRDAPAutnum  = "rdap_autnum"
	LookupRDAPDomain  = "rdap_domain"
	LookupWHOIS       = "whois"
	LookupSecurityTxt = "security_txt"
	LookupContactBook = "contact_book"
)

// Answer is everything a trace found out about a URL: who is responsible at
// each layer and how to reach them, with the sources to prove it.
type Answer struct {
	URL               string `json:"url"`                // the URL traced, normalised
	Domain            string `json:"domain"`             // its host name (or IP address)
	RegistrableDomain string `json:"registrable_domain"` // public suffix plus one label; "" for an IP address
	// DNS holds the records found for the host (and the NS records of the
	// registrable domain), by type: "A", "AAAA", "CNAME", "NS", "MX".
	DNS        map[string][]dns.Record `json:"dns"`
	CNAMEChain []string                `json:"cname_chain,omitempty"`
	DNSServer  string                  `json:"dns_server,omitempty"`
	// Addresses are the host's addresses and who holds them.
	Addresses []Address `json:"addresses"`
	// CDN is the name of the CDN or reverse proxy in front of the site,
	// or null; CDNEvidence says which signals showed it.
	CDN         *string      `json:"cdn"`
	CDNEvidence *CDNEvidence `json:"cdn_evidence,omitempty"`
	// HostHidden is set when the real host cannot be seen: behind a CDN,
	// or a .onion site.
	HostHidden       bool          `json:"host_hidden"`
	HostHiddenReason string        `json:"host_hidden_reason,omitempty"` // "cdn" or "onion"
	Registrar        *Registrar    `json:"registrar"`
	Registration     *Registration `json:"registration,omitempty"`
	Registry         *Registry     `json:"registry,omitempty"`
	SecurityTxt      *SecurityTxt  `json:"security_txt"`
	// Recipients are whom to notify, in the order of escalation.
	Recipients []Recipient `json:"recipients"`
	// HostID is HostKey() as the trace found it: who hosts the content.
	HostID string `json:"host_key"`
	// Errors are the lookups that failed; the answer is complete but for them.
	Errors []LookupError `json:"errors"`
	// Evidence are the raw RDAP and WHOIS answers the trace used.
	Evidence []Evidence `json:"evidence"`
	TracedAt time.Time  `json:"traced_at"`
	// NoFetch says that nothing was fetched from the site (referral-only
	// items): no security.txt.
	NoFetch bool `json:"no_fetch,omitempty"`
}

// Address is one of the host's addresses and who holds it.
type Address struct {
	IP      netip.Addr `json:"ip"`
	Network *Network   `json:"network"` // the network RDAP names for the address; null if the lookup failed
	Org     string     `json:"org"`     // the network's holder
	Country string     `json:"country"` // ISO 3166 code where known
	// ASN is the AS announcing the address (from the IP-to-ASN table), or
	// null; AS its holder from RDAP.
	ASN        *uint32  `json:"asn"`
	AS         *AS      `json:"as,omitempty"`
	AbuseEmail string   `json:"abuse_email"`
	Parents    []Parent `json:"parents"` // allocations above the network, nearest first
	// ParentChainEnd says why the parent chain stopped early, if it did.
	ParentChainEnd string `json:"parent_chain_end,omitempty"`
	// CDN is set when the address belongs to the CDN in front of the site.
	CDN bool `json:"cdn,omitempty"`
}

// Network is an IP network as an RIR publishes it.
type Network struct {
	Handle          string   `json:"handle"`
	Name            string   `json:"name"`
	Type            string   `json:"type,omitempty"`
	Start           string   `json:"start"`
	End             string   `json:"end"`
	CIDRs           []string `json:"cidrs,omitempty"`
	Country         string   `json:"country,omitempty"`
	Org             string   `json:"org,omitempty"`
	OrgHandle       string   `json:"org_handle,omitempty"`
	OrgCountry      string   `json:"org_country,omitempty"` // free text as in the vCard
	AbuseEmail      string   `json:"abuse_email,omitempty"`
	AbusePhone      string   `json:"abuse_phone,omitempty"`
	AbuseConfidence string   `json:"abuse_confidence,omitempty"`
	Source          string   `json:"source"` // the RDAP URL that answered
}

// Parent is an allocation above a network.
type Parent = Network

// AS is an autonomous system and its holder.
type AS struct {
	Number     uint32 `json:"number"`
	Name       string `json:"name,omitempty"` // from the IP-to-ASN table or RDAP
	Handle     string `json:"handle,omitempty"`
	Org        string `json:"org,omitempty"`
	Country    string `json:"country,omitempty"`
	AbuseEmail string `json:"abuse_email,omitempty"`
	Source     string `json:"source,omitempty"` // the RDAP URL that answered
}

// CDNEvidence says how the CDN was recognised.
type CDNEvidence struct {
	Slug       string   `json:"slug"`
	Confidence string   `json:"confidence"`
	Signals    []string `json:"signals"`
	Evidence   []string `json:"evidence"`
}

// Registrar is the domain's sponsoring registrar.
type Registrar struct {
	Name       string `json:"name"`
	IANAID     string `json:"iana_id"`
	AbuseEmail string `json:"abuse_email"`
	AbusePhone string `json:"abuse_phone,omitempty"`
	Email      string `json:"email,omitempty"` // the registrar's own address, not its abuse desk
	URL        string `json:"url,omitempty"`
	Source     string `json:"source"` // rdap or whois
}

// Registration is what the registry says about the domain.
type Registration struct {
	Domain      string    `json:"domain"`
	Registrant  string    `json:"registrant,omitempty"`
	Registered  time.Time `json:"registered,omitzero"`
	Expires     time.Time `json:"expires,omitzero"`
	LastChanged time.Time `json:"last_changed,omitzero"`
	Status      []string  `json:"status,omitempty"`
	Nameservers []string  `json:"nameservers,omitempty"`
	Source      string    `json:"source"` // rdap or whois
	Server      string    `json:"server"` // the RDAP URL or WHOIS server that answered
}

// Registry is the TLD's registry operator.
type Registry struct {
	TLD     string `json:"tld"`
	Name    string `json:"name"`
	Country string `json:"country,omitempty"`
	Source  string `json:"source"`
}

// SecurityTxt is the site's security.txt (RFC 9116).
type SecurityTxt struct {
	URL                string    `json:"url"`
	Contacts           []string  `json:"contacts"`
	Emails             []string  `json:"emails,omitempty"`
	Expires            time.Time `json:"expires,omitzero"`
	Expired            bool      `json:"expired,omitempty"`
	Canonical          []string  `json:"canonical,omitempty"`
	FromCanonical      bool      `json:"from_canonical"`
	PreferredLanguages []string  `json:"preferred_languages,omitempty"`
	Policy             []string  `json:"policy,omitempty"`
	Signed             bool      `json:"signed,omitempty"`
	Errors             []string  `json:"errors,omitempty"`
}

// Recipient is one party to notify.
type Recipient struct {
	Role         string `json:"role"` // undox.RoleHost, RoleCDN, … or RolePolice
	Organisation string `json:"organisation"`
	Country      string `json:"country,omitempty"`
	Email        string `json:"email,omitempty"`
	WebForm      string `json:"web_form,omitempty"`
	API          string `json:"api,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Language     string `json:"language,omitempty"` // preferred language of notices (contact book)
	Source       string `json:"source"`             // rdap, whois, security.txt, contact_book, cdn_data, tld_data, config
	Confidence   string `json:"confidence"`
	// Notify says whether notices go to this recipient: false for the
	// site's own contact (on a doxing site, the doxer) unless the contact
	// book marks the site as a platform.
	Notify bool   `json:"notify"`
	Note   string `json:"note,omitempty"`
	// ContactID is the contact-book entry the recipient comes from.
	ContactID int64 `json:"contact_id,omitempty"`
	// Ref names what the recipient was found from: a network handle, an
	// AS number, a registrar's IANA ID, a CDN slug.
	Ref string `json:"ref,omitempty"`
}

// LookupError is a lookup that failed.
type LookupError struct {
	Lookup  string `json:"lookup"` // dns, rdap_ip, rdap_autnum, rdap_domain, whois, security_txt, contact_book
	Query   string `json:"query"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Evidence is a raw answer a trace used: an RDAP document (JSON) or a WHOIS
// text.
type Evidence struct {
	Kind   string          `json:"kind"`   // rdap or whois
	Lookup string          `json:"lookup"` // rdap_ip, rdap_ip_parent, rdap_autnum, rdap_domain, rdap_registrar, whois
	Query  string          `json:"query"`
	Source string          `json:"source"` // the URL or WHOIS server that answered
	At     time.Time       `json:"at"`
	JSON   json.RawMessage `json:"json,omitempty"`
	Text   string          `json:"text,omitempty"`
}

// HostKey returns a stable identity of who hosts the content: the CDN's
// slug when one is in front, else the networks of the addresses with their
// holders ("net:NET-108-45-128-0-1|example reseller hosting llc"), sorted;
// "onion:NAME" for a .onion site. It is "" when the host cannot be told:
// no address, or an address whose network is unknown (a failed lookup), so
// that a degraded re-trace is not taken for a move.
func (a *Answer) HostKey() string {
	if a == nil {
		return ""
	}
	if a.HostHiddenReason == "onion" {
		return "onion:" + a.Domain
	}
	if a.CDNEvidence != nil {
		return "cdn:" + a.CDNEvidence.Slug
	}
	if len(a.Addresses) == 0 {
		return ""
	}
	var keys []string
	for _, ad := range a.Addresses {
		if ad.Network == nil {
			return ""
		}
		id := ad.Network.Handle
		if id == "" {
			id = ad.Network.Start + "-" + ad.Network.End
		}
		keys = append(keys, "net:"+id+"|"+undox.NormalizeOrg(ad.Org))
	}
	slices.Sort(keys)
	return strings.Join(slices.Compact(keys), ",")
}

// Moved reports whether the content moved to another host between two
// traces of it: both tell who hosts it (HostKey is not ""), and not the same.
func Moved(prev, cur *Answer) bool {
	p, c := prev.HostKey(), cur.HostKey()
	return p != "" && c != "" && p != c
}

// Notified returns the recipients that notices go to, in order.
func (a *Answer) Notified() []Recipient {
	var out []Recipient
	for _, r := range a.Recipients {
		if r.Notify {
			out = append(out, r)
		}
	}
	return out
}
