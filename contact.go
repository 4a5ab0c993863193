package undox

import (
	"context"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// ContactScope is what a contact-book entry applies to.
type ContactScope string

// Scopes of contact-book entries.
const (
	ScopeDomain  ContactScope = "domain"  // a registrable domain or host name, and its subdomains
	ScopeNetwork ContactScope = "network" // an address range (CIDR)
	ScopeASN     ContactScope = "asn"     // an autonomous system
	ScopeOrg     ContactScope = "org"     // an organisation, by the name RDAP gives it
)

// Recipient roles: who an intermediary is to a reported page, in the order
// in which notices escalate.
const (
	RolePlatform  = "platform"  // the site handles notices itself (a social network, forum, paste host)
	RoleHost      = "host"      // hosts the content
	RoleCDN       = "cdn"       // a CDN or reverse proxy in front of the host
	RoleUpstream  = "upstream"  // the network above the host
	RoleRegistrar = "registrar" // the domain's registrar
	RoleRegistry  = "registry"  // the TLD's registry
	RoleSite      = "site"      // the site's own contact: on a doxing site, the doxer
)

// RecipientRoles lists the roles, in escalation order.
func RecipientRoles() []string {
	return []string{RolePlatform, RoleHost, RoleCDN, RoleUpstream, RoleRegistrar, RoleRegistry, RoleSite}
}

// Contact is an entry of the contact book that analysts curate: how to
// reach an intermediary's abuse desk, taking precedence over what lookups
// find. Hotlines build this knowledge over years.
type Contact struct {
	ID    int64        `json:"id"`
	Scope ContactScope `json:"scope"`
	// Key is what the entry matches: a domain name (lower case, ASCII),
	// a CIDR, an AS number ("13335"), or an organisation name.
	Key  string `json:"key"`
	Role string `json:"role"`
	// Name is the organisation's name as notices address it.
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	WebForm  string `json:"web_form,omitempty"` // URL of an abuse form
	API      string `json:"api,omitempty"`      // URL of a notice API
	Language string `json:"language,omitempty"` // preferred language of notices: nl or en
	Country  string `json:"country,omitempty"`  // ISO 3166 alpha-2
	// Platform marks a site that handles notices itself: its channel
	// comes first, and it is notified.
	Platform  bool      `json:"platform"`
	Notes     string    `json:"notes,omitempty"`
	Version   int       `json:"version"`
	UpdatedBy string    `json:"updated_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Removed   bool      `json:"removed,omitempty"`
}

// ContactVersion is one state of an entry in its history.
type ContactVersion struct {
	Version int       `json:"version"`
	Change  string    `json:"change"` // created, updated, removed
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
	Contact Contact   `json:"contact"`
}

// ContactQuery is what a trace found, to look up in the contact book.
type ContactQuery struct {
	Domains []string // host names and the registrable domain
	Addrs   []netip.Addr
	ASNs    []uint32
	Orgs    []string
}

// ContactBook keeps the analysts' contacts.
type ContactBook interface {
	PutContact(ctx context.Context, actor Actor, c Contact) (*Contact, error)
	RemoveContact(ctx context.Context, actor Actor, id int64) error
	Contacts(ctx context.Context, actor Actor) ([]*Contact, error)
	ContactHistory(ctx context.Context, actor Actor, id int64) ([]ContactVersion, error)
	MatchContacts(ctx context.Context, q ContactQuery) ([]*Contact, error)
}

// Validate checks an entry and puts its key in canonical form.
func (c *Contact) Validate() error {
	fields := map[string]string{}
	c.Key = strings.TrimSpace(c.Key)
	switch c.Scope {
	case ScopeDomain:
		d, err := idna.Lookup.ToASCII(strings.TrimSuffix(strings.ToLower(c.Key), "."))
		if err != nil || d == "" || !strings.Contains(d, ".") && len(d) > 63 {
			fields["key"] = "not a domain name"
		}
		c.Key = d
	case ScopeNetwork:
		p, err := netip.ParsePrefix(c.Key)
		if err != nil {
			if a, aerr := netip.ParseAddr(c.Key); aerr == nil {
				p, err = netip.PrefixFrom(a, a.BitLen()), nil
			}
		}
		if err != nil {
			fields["key"] = "not a CIDR"
		} else {
			c.Key = p.Masked().String()
		}
	case ScopeASN:
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(c.Key), "AS"), 10, 32)
		if err != nil || n == 0 {
			fields["key"] = "not an AS number"
		}
		c.Key = strconv.FormatUint(n, 10)
	case ScopeOrg:
		c.Key = NormalizeOrg(c.Key)
		if c.Key == "" {
			fields["key"] = "an organisation name is required"
		}
	default:
		fields["scope"] = "must be domain, network, asn or org"
	}
	valid := false
	for _, r := range RecipientRoles() {
		valid = valid || c.Role == r
	}
	if !valid {
		fields["role"] = "must be one of " + strings.Join(RecipientRoles(), ", ")
	}
	if c.Name = strings.TrimSpace(c.Name); c.Name == "" || len(c.Name) > 200 {
		fields["name"] = "the organisation's name is required (at most 200 characters)"
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Name != "" {
			fields["email"] = "not an e-mail address"
		}
	}
	for k, u := range map[string]string{"web_form": c.WebForm, "api": c.API} {
		if u == "" {
			continue
		}
		if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" && pu.Scheme != "http" || pu.Host == "" {
			fields[k] = "not an http(s) URL"
		}
	}
	if c.Email == "" && c.WebForm == "" && c.API == "" {
		fields["email"] = "an e-mail address, a web form or an API is required"
	}
	if c.Language != "" && c.Language != "nl" && c.Language != "en" {
		fields["language"] = "must be nl or en"
	}
	if c.Country != "" {
		if c.Country = strings.ToUpper(c.Country); len(c.Country) != 2 {
			fields["country"] = "must be an ISO 3166 alpha-2 code"
		}
	}
	if len(c.Notes) > 4000 {
		fields["notes"] = "at most 4000 characters"
	}
	for k, v := range map[string]*string{"key": &c.Key, "name": &c.Name, "notes": &c.Notes, "email": &c.Email} {
		t, err := CheckText(k, *v, 4000)
		if err != nil && fields[k] == "" {
			fields[k] = ErrorMessage(err)
		}
		*v = t
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "the contact has errors", Fields: fields}
	}
	return nil
}

// NormalizeOrg folds an organisation's name for matching: lower case,
// punctuation and legal forms' dots removed, spaces collapsed.
func NormalizeOrg(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '.' || r == ',' || r == '"' || r == '\'':
			continue
		case r == ' ' || r == '\t' || r == '-' || r == '_':
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Matches tells whether the entry applies to what q found.
func (c *Contact) Matches(q ContactQuery) bool {
	switch c.Scope {
	case ScopeDomain:
		for _, d := range q.Domains {
			d = strings.ToLower(strings.TrimSuffix(d, "."))
			if d == c.Key || strings.HasSuffix(d, "."+c.Key) {
				return true
			}
		}
	case ScopeNetwork:
		p, err := netip.ParsePrefix(c.Key)
		if err != nil {
			return false
		}
		for _, a := range q.Addrs {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
	case ScopeASN:
		for _, n := range q.ASNs {
			if strconv.FormatUint(uint64(n), 10) == c.Key {
				return true
			}
		}
	case ScopeOrg:
		for _, o := range q.Orgs {
			if NormalizeOrg(o) == c.Key {
				return true
			}
		}
	}
	return false
}
