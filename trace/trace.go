// Package trace finds out, for a reported URL, who is responsible for it at
// each layer and how to reach their abuse desks, with the sources to prove it:
// the part of a hotline's work that analysts otherwise do by hand with whois.
//
// A Service puts together the building blocks in the sub-packages: DNS
// (trace/dns), RDAP for networks, AS numbers and domains (trace/rdap), WHOIS
// for the ccTLDs without RDAP (trace/whois), CDN recognition (trace/cdn),
// the IP-to-ASN table (trace/asn), the site's security.txt
// (trace/securitytxt, fetched through the safe fetcher), and the analysts'
// contact book. Its Trace answers with an Answer: the DNS records, each
// address's network, holder, AS and abuse contact with the allocations above
// it, the CDN in front, the registrar and registry, the security.txt, and
// the recipients of notices in the order of escalation:
//
//  1. a contact-book platform entry for the site (a platform that handles
//     notices itself);
//  2. the host, or the CDN in front of it (asked to forward the notice and
//     to disclose the origin host);
//  3. the upstream: the holder of the allocation above a reseller's
//     network, or the holder of the AS announcing the address when it is
//     not the network's holder;
//  4. the registrar;
//  5. the registry operator of the TLD;
//  6. the site's own contact (security.txt): listed, never notified.
//
// Contact-book entries take precedence over what the lookups found for the
// same role. A .onion site answers "host hidden", with the police as its
// escalation, and nothing is looked up.
//
// Lookups run concurrently where they do not depend on each other, at most
// Config.Parallel at a time per trace; a failed lookup is recorded in
// Answer.Errors and the answer is made of the rest. Results are cached in
// memory per kind of lookup (CacheConfig), and concurrent traces share a
// lookup in flight. RDAP per-server rate limits and back-off on 429 are the
// rdap client's.
package trace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/trace/asn"
	"github.com/undox/undox/trace/cdn"
	"github.com/undox/undox/trace/dns"
	"github.com/undox/undox/trace/rdap"
	"github.com/undox/undox/trace/securitytxt"
	"github.com/undox/undox/trace/whois"
)

// ContactMatcher finds the contact-book entries that apply to what a trace
// found. undox.ContactBook implements it.
type ContactMatcher interface {
	MatchContacts(ctx context.Context, q undox.ContactQuery) ([]*undox.Contact, error)
}

// Config configures a Service. DNS is required; every other part may be nil,
// which leaves its lookups out.
type Config struct {
	DNS   *dns.Resolver
	RDAP  *rdap.Client
	WHOIS *whois.Client
	// CDN recognises CDNs; nil: cdn.Default().
	CDN *cdn.Detector
	// ASN maps addresses to the AS announcing them; nil: no AS numbers.
	ASN *asn.Table
	// Fetcher fetches the site's security.txt; nil: not fetched.
	Fetcher *fetch.Fetcher
	// Contacts is the analysts' contact book; nil: none.
	Contacts ContactMatcher
	// Police is the escalation of a site whose host is hidden for good
	// (.onion). Its Role, Source and Notify are set by the Service; an empty
	// Organisation is "Politie".
	Police Recipient
	// Cache bounds the in-memory caches of lookups.
	Cache CacheConfig
	// Parallel bounds the lookups one trace has in flight (default 8).
	Parallel int
	// MaxAddresses bounds the addresses of a host that are looked up
	// (default 16).
	MaxAddresses int
	// LookupTimeout bounds one lookup (an RDAP query with its parent chain,
	// a WHOIS query with its referral, a security.txt fetch); default 60 s.
	// The clients' own timeouts apply within it.
	LookupTimeout time.Duration
	Logger        *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Options are the options of one trace.
type Options struct {
	// NoFetch traces by DNS and RDAP/WHOIS only: nothing is fetched from
	// the site (referral-only items).
	NoFetch bool
	// Headers are the response headers seen when the page was captured,
	// one of the signals of a CDN.
	Headers http.Header
}

// Service traces URLs. It is safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger

	dnsCache    *cache[*dns.Answer]
	nsCache     *cache[[]dns.Record]
	ipCache     *cache[*rdap.Network]
	asCache     *cache[*rdap.AS]
	domainCache *cache[*rdap.DomainInfo]
	whoisCache  *cache[*whois.Record]
	secCache    *cache[*secResult]
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	if cfg.DNS == nil {
		return nil, errors.New("trace: a DNS resolver is required")
	}
	if cfg.CDN == nil {
		cfg.CDN = cdn.Default()
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 8
	}
	if cfg.MaxAddresses <= 0 {
		cfg.MaxAddresses = 16
	}
	if cfg.LookupTimeout <= 0 {
		cfg.LookupTimeout = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Cache = cfg.Cache.withDefaults()
	if cfg.Police.Organisation == "" {
		cfg.Police.Organisation = "Politie"
	}
	c := cfg.Cache
	s := &Service{cfg: cfg, log: cfg.Logger}
	s.dnsCache = newCache[*dns.Answer](c.MaxEntries, c.Disabled, cfg.Now, cfg.LookupTimeout)
	s.nsCache = newCache[[]dns.Record](c.MaxEntries, c.Disabled, cfg.Now, cfg.LookupTimeout)
	s.ipCache = newCache[*rdap.Network](c.MaxEntries, c.Disabled, cfg.Now, cfg.LookupTimeout)
	s.asCache = newCache[*rdap.AS](c.MaxEntries, c.Disabled, cfg.Now, cfg.LookupTimeout)
	s.domainCache = newCache[*rdap.DomainInfo](c.MaxEntries, c.Disabled, cfg.Now, cfg.LookupTimeout)
	s.whoisCache = newCache[*whois.Record](c.MaxEntries, c.Disabled, cfg.Now, cfg.LookupTimeout)
	s.secCache = newCache[*secResult](c.MaxEntries, c.Disabled, cfg.Now, cfg.LookupTimeout)
	return s, nil
}

// Stats returns the use of each cache, by kind of lookup: dns, ns,
// rdap_ip, rdap_autnum, rdap_domain, whois, security_txt.
func (s *Service) Stats() map[string]CacheStats {
	return map[string]CacheStats{
		"dns":          s.dnsCache.stats(),
		"ns":           s.nsCache.stats(),
		"rdap_ip":      s.ipCache.stats(),
		"rdap_autnum":  s.asCache.stats(),
		"rdap_domain":  s.domainCache.stats(),
		"whois":        s.whoisCache.stats(),
		"security_txt": s.secCache.stats(),
	}
}

// Purge empties the caches.
func (s *Service) Purge() {
	s.dnsCache.purge()
	s.nsCache.purge()
	s.ipCache.purge()
	s.asCache.purge()
	s.domainCache.purge()
	s.whoisCache.purge()
	s.secCache.purge()
}

// Trace finds out who is responsible for rawURL. A failed lookup degrades
// the answer (it is listed in Answer.Errors) but does not fail the trace:
// the error is non-nil only when rawURL is not a valid http(s) URL (an
// *undox.Error with code invalid, and no answer), or when ctx ended before
// the trace was done (with the answer so far).
func (s *Service) Trace(ctx context.Context, rawURL string, opts Options) (*Answer, error) {
	norm, err := undox.NormalizeURL(rawURL)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(norm)
	if err != nil {
		return nil, undox.Invalid("url", "this is not a valid URL")
	}
	host := u.Hostname()
	a := &Answer{
		URL: norm, Domain: host, DNS: map[string][]dns.Record{},
		Addresses: []Address{}, Recipients: []Recipient{}, Errors: []LookupError{}, Evidence: []Evidence{},
		TracedAt: s.cfg.Now().UTC(), NoFetch: opts.NoFetch,
	}
	ip, ipErr := netip.ParseAddr(host)
	isIP := ipErr == nil
	if !isIP {
		a.RegistrableDomain = dns.Registrable(host)
	}
	if !isIP && (host == "onion" || strings.HasSuffix(host, ".onion")) {
		s.onion(a)
		return a, nil
	}

	t := &tracer{s: s, a: a, sem: make(chan struct{}, s.cfg.Parallel), ases: map[uint32]*rdap.AS{}}
	var wg sync.WaitGroup
	if isIP {
		wg.Go(func() { t.addresses(ctx, []netip.Addr{ip.Unmap()}) })
	} else {
		wg.Go(func() {
			if addrs := t.resolve(ctx, host); len(addrs) > 0 {
				t.addresses(ctx, addrs)
			}
		})
		if a.RegistrableDomain != host {
			wg.Go(func() { t.nameservers(ctx, a.RegistrableDomain) })
		}
		wg.Go(func() { t.registration(ctx, a.RegistrableDomain) })
	}
	if !opts.NoFetch && s.cfg.Fetcher != nil {
		wg.Go(func() { t.securityTxt(ctx, norm) })
	}
	wg.Wait()
	if t.ns != nil && len(a.DNS["NS"]) == 0 {
		a.DNS["NS"] = t.ns
	}

	t.detectCDN(opts.Headers)
	var contacts []*undox.Contact
	if s.cfg.Contacts != nil && ctx.Err() == nil {
		contacts, err = s.cfg.Contacts.MatchContacts(ctx, t.facts())
		if err != nil {
			t.fail(LookupContactBook, a.Domain, "", err)
		}
	}
	a.Recipients = t.recipients(contacts)
	a.HostID = a.HostKey()
	t.finish()
	s.log.Debug("traced", "url", a.URL, "addresses", len(a.Addresses), "recipients", len(a.Recipients),
		"errors", len(a.Errors), "host_key", a.HostID)
	if err := ctx.Err(); err != nil {
		return a, err
	}
	return a, nil
}

// onion answers for a .onion site: the host is hidden for good, the police
// is the escalation, and nothing is looked up anywhere.
func (s *Service) onion(a *Answer) {
	a.HostHidden = true
	a.HostHiddenReason = "onion"
	p := s.cfg.Police
	p.Role = RolePolice
	p.Source = SourceConfig
	p.Notify = true
	if p.Confidence == "" {
		p.Confidence = ConfidenceHigh
	}
	note := "A .onion site: its host cannot be found, and nobody can be asked to take it down; refer it to the police."
	if p.Note != "" {
		note += " " + p.Note
	}
	p.Note = note
	a.Recipients = []Recipient{p}
	a.HostID = a.HostKey()
}

// tracer is one trace in progress.
type tracer struct {
	s   *Service
	a   *Answer
	sem chan struct{}

	mu   sync.Mutex // guards a.Errors, a.Evidence, ases
	ns   []dns.Record
	ases map[uint32]*rdap.AS

	domain *rdap.DomainInfo
	whois  *whois.Record
	sec    *secResult
	cdn    *cdn.Match
}

// acquire takes a place among the trace's lookups in flight.
func (t *tracer) acquire(ctx context.Context) error {
	select {
	case t.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *tracer) release() { <-t.sem }

// bounded wraps a lookup so that it takes a place among the trace's
// lookups in flight.
func bounded[V any](t *tracer, fn func(context.Context) (V, error)) func(context.Context) (V, error) {
	return func(ctx context.Context) (V, error) {
		if err := t.acquire(ctx); err != nil {
			var zero V
			return zero, err
		}
		defer t.release()
		return fn(ctx)
	}
}

// fail records a failed lookup.
func (t *tracer) fail(lookup, query, code string, err error) {
	if code == "" {
		code = errorCode(err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.a.Errors = append(t.a.Errors, LookupError{Lookup: lookup, Query: query, Code: code, Message: err.Error()})
}

func (t *tracer) evidence(e Evidence) {
	if len(e.JSON) == 0 && e.Text == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.a.Evidence = append(t.a.Evidence, e)
}

// finish puts the errors and evidence, gathered concurrently, in a stable
// order and drops repeated evidence.
func (t *tracer) finish() {
	a := t.a
	slices.SortStableFunc(a.Errors, func(x, y LookupError) int {
		return strings.Compare(x.Lookup+"\x00"+x.Query, y.Lookup+"\x00"+y.Query)
	})
	order := map[string]int{"rdap_domain": 0, "rdap_registrar": 1, "whois": 2, "rdap_ip": 3, "rdap_ip_parent": 4, "rdap_autnum": 5}
	slices.SortStableFunc(a.Evidence, func(x, y Evidence) int {
		if c := order[x.Lookup] - order[y.Lookup]; c != 0 {
			return c
		}
		return strings.Compare(x.Query+"\x00"+x.Source, y.Query+"\x00"+y.Source)
	})
	a.Evidence = slices.CompactFunc(a.Evidence, func(x, y Evidence) bool {
		return x.Kind == y.Kind && x.Lookup == y.Lookup && x.Source == y.Source && x.Query == y.Query
	})
}

// errorCode returns the stable code of a lookup error.
func errorCode(err error) string {
	if c := dns.Code(err); c != "" {
		return c
	}
	if c := rdap.CodeOf(err); c != "" {
		return string(c)
	}
	if c := whois.CodeOf(err); c != "" {
		return string(c)
	}
	if c := fetch.CodeOf(err); c != "" {
		return string(c)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error"
}

// resolve looks the host up in DNS and returns its addresses.
func (t *tracer) resolve(ctx context.Context, host string) []netip.Addr {
	s := t.s
	res := s.dnsCache.get(ctx, host, bounded(t, func(ctx context.Context) (*dns.Answer, error) {
		return s.cfg.DNS.Lookup(ctx, host)
	}), func(ans *dns.Answer, err error) time.Duration {
		if err != nil || ans == nil || len(ans.Addresses) == 0 {
			return s.cfg.Cache.FailureTTL
		}
		return dnsTTL(ans.Records, s.cfg.Cache)
	})
	ans := res.val
	if ans != nil {
		for typ, recs := range ans.Records {
			t.a.DNS[typ] = slices.Clone(recs)
		}
		t.a.CNAMEChain = slices.Clone(ans.CNAMEChain)
		t.a.DNSServer = ans.Server
	}
	if res.err != nil {
		t.fail(LookupDNS, host, "", res.err)
		return nil
	}
	if ans == nil {
		return nil
	}
	return ans.Addresses
}

// dnsTTL is the smallest TTL of the records, bounded by the configuration.
func dnsTTL(records map[string][]dns.Record, c CacheConfig) time.Duration {
	ttl := c.DNSMaxTTL
	for _, recs := range records {
		for _, r := range recs {
			ttl = min(ttl, time.Duration(r.TTL)*time.Second)
		}
	}
	return max(ttl, c.DNSMinTTL)
}

// nameservers looks up the NS records of the registrable domain (the host
// itself usually has none).
func (t *tracer) nameservers(ctx context.Context, domain string) {
	s := t.s
	res := s.nsCache.get(ctx, domain, bounded(t, func(ctx context.Context) ([]dns.Record, error) {
		return s.cfg.DNS.NS(ctx, domain)
	}), func(recs []dns.Record, err error) time.Duration {
		if err != nil {
			return s.cfg.Cache.FailureTTL
		}
		return dnsTTL(map[string][]dns.Record{"NS": recs}, s.cfg.Cache)
	})
	// A failure here says no more than the host's own lookup: not an error
	// of its own.
	if res.err == nil {
		t.ns = slices.Clone(res.val)
	}
}

// addresses looks up the network, parents and AS of each address.
func (t *tracer) addresses(ctx context.Context, addrs []netip.Addr) {
	if len(addrs) > t.s.cfg.MaxAddresses {
		addrs = addrs[:t.s.cfg.MaxAddresses]
	}
	out := make([]Address, len(addrs))
	var wg sync.WaitGroup
	for i, ip := range addrs {
		wg.Go(func() { out[i] = t.address(ctx, ip) })
	}
	wg.Wait()
	t.a.Addresses = out
}

func (t *tracer) address(ctx context.Context, ip netip.Addr) Address {
	s := t.s
	ad := Address{IP: ip, Parents: []Parent{}}
	var wg sync.WaitGroup
	if s.cfg.RDAP != nil {
		wg.Go(func() {
			res := s.ipCache.get(ctx, ip.String(), bounded(t, func(ctx context.Context) (*rdap.Network, error) {
				return s.cfg.RDAP.IP(ctx, ip)
			}), rdapTTL[*rdap.Network](s.cfg.Cache))
			if res.err != nil {
				t.fail(LookupRDAPIP, ip.String(), "", res.err)
				return
			}
			n := res.val
			ad.Network = network(&n.NetworkRecord)
			ad.Org = holder(&n.NetworkRecord)
			ad.Country = country(&n.NetworkRecord)
			ad.AbuseEmail = ad.Network.AbuseEmail
			ad.ParentChainEnd = n.ParentChainEnd
			t.evidence(Evidence{Kind: "rdap", Lookup: LookupRDAPIP, Query: ip.String(), Source: n.Source, At: res.at, JSON: n.Raw})
			for i := range n.Parents {
				p := &n.Parents[i]
				ad.Parents = append(ad.Parents, *network(p))
				t.evidence(Evidence{Kind: "rdap", Lookup: "rdap_ip_parent", Query: ip.String(), Source: p.Source, At: res.at, JSON: p.Raw})
			}
		})
	}
	if e, ok := s.cfg.ASN.Lookup(ip); ok {
		number := e.ASN
		ad.ASN = &number
		as := &AS{Number: number, Name: e.Description}
		if len(e.Country) == 2 {
			as.Country = e.Country
		}
		ad.AS = as
		if s.cfg.RDAP != nil {
			wg.Go(func() {
				q := fmt.Sprintf("AS%d", number)
				res := s.asCache.get(ctx, q, bounded(t, func(ctx context.Context) (*rdap.AS, error) {
					return s.cfg.RDAP.Autnum(ctx, number)
				}), rdapTTL[*rdap.AS](s.cfg.Cache))
				if res.err != nil {
					t.fail(LookupRDAPAutnum, q, "", res.err)
					return
				}
				r := res.val
				as.Handle, as.Org, as.Source = r.Handle, r.Org, r.Source
				if as.Name == "" {
					as.Name = r.Name
				}
				if c := firstCountry(r.Country, r.OrgCountry); c != "" {
					as.Country = c
				}
				if r.Abuse != nil {
					as.AbuseEmail = r.Abuse.Email
				}
				t.mu.Lock()
				t.ases[number] = r
				t.mu.Unlock()
				t.evidence(Evidence{Kind: "rdap", Lookup: LookupRDAPAutnum, Query: q, Source: r.Source, At: res.at, JSON: r.Raw})
			})
		}
	}
	wg.Wait()
	return ad
}

// rdapTTL is how long an RDAP answer is kept.
func rdapTTL[V any](c CacheConfig) func(V, error) time.Duration {
	return func(_ V, err error) time.Duration {
		if err != nil {
			return c.FailureTTL
		}
		return c.RDAPTTL
	}
}

// whoisAfterRDAP are the RDAP failures after which WHOIS is asked: the
// registry's RDAP service did not answer, not that the domain is unknown.
var whoisAfterRDAP = map[rdap.Code]bool{
	rdap.CodeTimeout: true, rdap.CodeRateLimited: true, rdap.CodeUnavailable: true, rdap.CodeBadResponse: true,
}

// registration looks the domain up by RDAP, or by WHOIS where its TLD has
// no RDAP service or its RDAP service failed.
func (t *tracer) registration(ctx context.Context, domain string) {
	s := t.s
	a := t.a
	tld := tldOf(domain)
	op, ok := registries[tld]
	if !ok {
		op = registryOperator{Name: "the ." + tld + " registry"}
	}
	a.Registry = &Registry{TLD: tld, Name: op.Name, Country: op.Country, Source: SourceTLDData}

	rdapFailed := false
	if s.cfg.RDAP != nil {
		res := s.domainCache.get(ctx, domain, bounded(t, func(ctx context.Context) (*rdap.DomainInfo, error) {
			return s.cfg.RDAP.Domain(ctx, domain)
		}), rdapTTL[*rdap.DomainInfo](s.cfg.Cache))
		if res.err == nil {
			t.fromRDAP(res.val, res.at)
			return
		}
		// No RDAP service for the TLD (.de, .io …): WHOIS instead, and no
		// error once WHOIS answered. An RDAP service that is down, slow
		// or throttling us: WHOIS too, with the RDAP failure on record.
		switch code := rdap.CodeOf(res.err); {
		case code == rdap.CodeNoServer && s.cfg.WHOIS != nil:
		case whoisAfterRDAP[code] && s.cfg.WHOIS != nil:
			t.fail(LookupRDAPDomain, domain, "", res.err)
			rdapFailed = true
		default:
			t.fail(LookupRDAPDomain, domain, "", res.err)
			return
		}
	}
	if s.cfg.WHOIS == nil {
		return
	}
	res := s.whoisCache.get(ctx, domain, bounded(t, func(ctx context.Context) (*whois.Record, error) {
		return s.cfg.WHOIS.Lookup(ctx, domain)
	}), func(_ *whois.Record, err error) time.Duration {
		if err != nil {
			return s.cfg.Cache.FailureTTL
		}
		return s.cfg.Cache.WHOISTTL
	})
	rec := res.val
	if rec != nil {
		t.evidence(Evidence{Kind: "whois", Lookup: LookupWHOIS, Query: domain, Source: rec.Server, At: res.at, Text: rec.Raw})
		if rec.Referral != nil {
			t.evidence(Evidence{Kind: "whois", Lookup: LookupWHOIS, Query: domain, Source: rec.Referral.Server, At: res.at, Text: rec.Referral.Raw})
		}
	}
	if res.err != nil {
		// A TLD WHOIS knows no server for after RDAP failed: the RDAP
		// failure says it all.
		if !rdapFailed || whois.CodeOf(res.err) != whois.NoServer {
			t.fail(LookupWHOIS, domain, "", res.err)
		}
		return
	}
	t.fromWHOIS(rec)
}

func (t *tracer) fromRDAP(di *rdap.DomainInfo, at time.Time) {
	a := t.a
	t.domain = di
	t.evidence(Evidence{Kind: "rdap", Lookup: LookupRDAPDomain, Query: di.Name, Source: di.Source, At: at, JSON: di.Raw})
	if rr := di.RegistrarRecord; rr != nil {
		t.evidence(Evidence{Kind: "rdap", Lookup: "rdap_registrar", Query: di.Name, Source: rr.Source, At: at, JSON: rr.Raw})
		if rr.Error != "" {
			t.fail(LookupRDAPDomain, di.Name, "registrar", errors.New("the registrar's RDAP: "+rr.Error))
		}
	}
	a.Registration = &Registration{Domain: di.Name, Registrant: di.Registrant, Registered: di.Registered,
		Expires: di.Expires, LastChanged: di.LastChanged, Status: di.Status, Nameservers: di.Nameservers,
		Source: SourceRDAP, Server: di.Source}
	r := di.Registrar
	if r.Name != "" || r.Handle != "" || r.IANAID != "" || r.AbuseEmail != "" {
		a.Registrar = &Registrar{Name: r.Name, IANAID: r.IANAID, AbuseEmail: r.AbuseEmail, AbusePhone: r.AbusePhone,
			Email: r.Email, Source: SourceRDAP}
		if a.Registrar.Name == "" {
			a.Registrar.Name = r.Handle
		}
	}
}

func (t *tracer) fromWHOIS(rec *whois.Record) {
	a := t.a
	t.whois = rec
	a.Registration = &Registration{Domain: rec.Domain, Registrant: rec.RegistrantOrg, Registered: rec.Created,
		Expires: rec.Expires, LastChanged: rec.Updated, Status: rec.Status, Nameservers: rec.Nameservers,
		Source: SourceWHOIS, Server: rec.Server}
	if rec.Registrar != "" || rec.RegistrarIANAID != "" || rec.AbuseEmail != "" {
		a.Registrar = &Registrar{Name: rec.Registrar, IANAID: rec.RegistrarIANAID, AbuseEmail: rec.AbuseEmail,
			AbusePhone: rec.AbusePhone, Email: rec.RegistrarEmail, URL: rec.RegistrarURL, Source: SourceWHOIS}
	}
}

// secResult is what fetching a site's security.txt gave: the file and where
// it was found, or nothing (no file: not an error).
type secResult struct {
	url  string
	file *securitytxt.File
}

func (t *tracer) securityTxt(ctx context.Context, siteURL string) {
	s := t.s
	urls := securitytxt.URLs(siteURL)
	if len(urls) == 0 {
		return
	}
	key := urls[0]
	res := s.secCache.get(ctx, key, bounded(t, func(ctx context.Context) (*secResult, error) {
		for _, u := range urls {
			r, err := s.cfg.Fetcher.Fetch(ctx, u)
			if err != nil {
				return nil, err
			}
			if r.Status != http.StatusOK {
				continue
			}
			f, perr := securitytxt.Parse(r.Body)
			if perr != nil {
				continue // an HTML page in place of a missing file, say
			}
			return &secResult{url: r.FinalURL, file: f}, nil
		}
		return &secResult{}, nil
	}), func(_ *secResult, err error) time.Duration {
		if err != nil {
			return s.cfg.Cache.FailureTTL
		}
		return s.cfg.Cache.SecurityTxtTTL
	})
	if res.err != nil {
		t.fail(LookupSecurityTxt, key, "", res.err)
		return
	}
	if res.val == nil || res.val.file == nil {
		return
	}
	t.sec = res.val
	f := res.val.file
	t.a.SecurityTxt = &SecurityTxt{URL: res.val.url, Contacts: f.Contact, Emails: f.Emails(), Expires: f.Expires,
		Expired: f.Expired(s.cfg.Now()), Canonical: f.Canonical, FromCanonical: f.FromCanonical(res.val.url),
		PreferredLanguages: f.PreferredLanguages, Policy: f.Policy, Signed: f.Signed, Errors: f.Errors}
}

// detectCDN recognises a CDN or reverse proxy in front of the site, and the
// addresses that belong to it.
func (t *tracer) detectCDN(headers http.Header) {
	a := t.a
	det := t.s.cfg.CDN
	sig := cdn.Signals{CNAMEs: a.CNAMEChain, Headers: headers}
	for _, ad := range a.Addresses {
		sig.Addrs = append(sig.Addrs, ad.IP)
		if ad.ASN != nil {
			sig.ASNs = append(sig.ASNs, *ad.ASN)
		}
		if ad.Org != "" {
			sig.Orgs = append(sig.Orgs, ad.Org)
		}
	}
	m := det.Detect(sig)
	if m == nil {
		return
	}
	t.cdn = m
	name := m.Name
	a.CDN = &name
	a.CDNEvidence = &CDNEvidence{Slug: m.Slug, Confidence: m.Confidence, Signals: m.Signals, Evidence: m.Evidence}
	hidden := true
	for i := range a.Addresses {
		ad := &a.Addresses[i]
		one := cdn.Signals{Addrs: []netip.Addr{ad.IP}}
		if ad.ASN != nil {
			one.ASNs = []uint32{*ad.ASN}
		}
		if ad.Org != "" {
			one.Orgs = []string{ad.Org}
		}
		if mm := det.Detect(one); mm != nil && mm.Slug == m.Slug {
			ad.CDN = true
		} else if ad.Network != nil {
			hidden = false // a known network that is not the CDN's
		}
	}
	if hidden {
		a.HostHidden = true
		a.HostHiddenReason = "cdn"
	}
}

// network converts an RDAP network record.
func network(r *rdap.NetworkRecord) *Network {
	n := &Network{Handle: r.Handle, Name: r.Name, Type: r.Type, Country: r.Country, Org: r.Org,
		OrgHandle: r.OrgHandle, OrgCountry: r.OrgCountry, Source: r.Source}
	if r.StartAddress.IsValid() {
		n.Start = r.StartAddress.String()
	}
	if r.EndAddress.IsValid() {
		n.End = r.EndAddress.String()
	}
	for _, p := range r.CIDRs {
		n.CIDRs = append(n.CIDRs, p.String())
	}
	if r.Abuse != nil {
		n.AbuseEmail, n.AbusePhone, n.AbuseConfidence = r.Abuse.Email, r.Abuse.Phone, string(r.Abuse.Confidence)
	}
	return n
}

// holder is the organisation holding a network: its registrant org, else the
// organisation of its abuse contact, else the network's name.
func holder(r *rdap.NetworkRecord) string {
	switch {
	case r.Org != "":
		return r.Org
	case r.Abuse != nil && r.Abuse.Org != "" && r.Abuse.Role != "abuse":
		return r.Abuse.Org
	}
	return r.Name
}

// country returns the network's ISO 3166 code: its country member, else
// the registrant's address country when it is a code or a name we know.
func country(r *rdap.NetworkRecord) string {
	return firstCountry(r.Country, r.OrgCountry)
}

var countryNames = map[string]string{
	"united states": "US", "united states of america": "US", "usa": "US", "canada": "CA",
	"netherlands": "NL", "the netherlands": "NL", "germany": "DE", "united kingdom": "GB",
	"france": "FR", "belgium": "BE", "switzerland": "CH", "ireland": "IE",
}

func firstCountry(vals ...string) string {
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if len(v) == 2 {
			return strings.ToUpper(v)
		}
		if c, ok := countryNames[strings.ToLower(v)]; ok {
			return c
		}
	}
	return ""
}
