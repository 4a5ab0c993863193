package trace

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
)

// ownNetwork is a site on its provider's own network: www.20c.com on
// Microsoft's ARIN allocation (the abuse contact nested two deep), the
// domain at Verisign with Joker as registrar.
func ownNetwork(w *world) {
	w.host("www.20c.com", w.arin, "rdap/arin/ip-13.64.0.0.json", "127.0.0.10")
	w.dns.add(w.t,
		"20c.com. 3600 IN NS ns-327.awsdns-40.com.",
		"20c.com. 3600 IN NS ns-545.awsdns-04.net.",
		"www.20c.com. 600 IN MX 10 mx.20c.com.",
	)
	w.verisign.route("domain/20c.com", fixture(w.t, "rdap/verisign/domain-20c.com.json"))
}

func TestProvidersOwnNetwork(t *testing.T) {
	w := newWorld(t)
	ownNetwork(w)
	a := w.trace("https://WWW.20c.com/some/page?id=1", Options{NoFetch: true})

	require.Equal(t, "https://www.20c.com/some/page?id=1", a.URL)
	require.Equal(t, "www.20c.com", a.Domain)
	require.Equal(t, "20c.com", a.RegistrableDomain)
	require.True(t, a.NoFetch)
	require.Empty(t, a.Errors)
	require.Len(t, a.DNS["A"], 1)
	require.Equal(t, "127.0.0.10", a.DNS["A"][0].Value)
	require.EqualValues(t, 300, a.DNS["A"][0].TTL)
	require.Equal(t, "10 mx.20c.com", a.DNS["MX"][0].Value)
	require.Len(t, a.DNS["NS"], 2, "the registrable domain's nameservers")
	require.Equal(t, w.dns.addr, a.DNSServer)

	require.Len(t, a.Addresses, 1)
	ad := a.Addresses[0]
	require.Equal(t, netip.MustParseAddr("127.0.0.10"), ad.IP)
	require.Equal(t, "NET-13-64-0-0-1", ad.Network.Handle)
	require.Equal(t, "MSFT", ad.Network.Name)
	require.Equal(t, []string{"13.64.0.0/11", "13.96.0.0/13", "13.104.0.0/14"}, ad.Network.CIDRs)
	require.Equal(t, "Microsoft Corporation", ad.Org)
	require.Equal(t, "US", ad.Country)
	require.Equal(t, "abuse@microsoft.com", ad.AbuseEmail)
	require.Nil(t, ad.ASN)
	require.Empty(t, ad.Parents)
	require.Contains(t, ad.ParentChainEnd, "not_found") // ARIN's NET-13-0-0-0-0 is not in the world

	require.Nil(t, a.CDN)
	require.False(t, a.HostHidden)
	require.Nil(t, a.SecurityTxt)
	require.Equal(t, &Registrar{Name: "CSL Computer Service Langenbach GmbH d/b/a joker.com", AbuseEmail: "abuse@joker.com",
		AbusePhone: "+49.21186767447", Source: "rdap"}, a.Registrar)
	require.Equal(t, "rdap", a.Registration.Source)
	require.Contains(t, a.Registration.Nameservers, "ns-327.awsdns-40.com")
	require.Equal(t, &Registry{TLD: "com", Name: "VeriSign Global Registry Services", Country: "US", Source: "tld_data"}, a.Registry)

	require.Equal(t, []string{"host", "registrar", "registry"}, roles(a))
	host := a.Recipients[0]
	require.Equal(t, "Microsoft Corporation", host.Organisation)
	require.Equal(t, "abuse@microsoft.com", host.Email)
	require.Equal(t, "rdap", host.Source)
	require.Equal(t, "high", host.Confidence)
	require.Equal(t, "US", host.Country)
	require.True(t, host.Notify)
	require.Equal(t, "NET-13-64-0-0-1", host.Ref)
	reg := a.Recipients[1]
	require.Equal(t, "abuse@joker.com", reg.Email)
	require.Equal(t, "high", reg.Confidence)
	require.Equal(t, "VeriSign Global Registry Services", a.Recipients[2].Organisation)
	require.Equal(t, "low", a.Recipients[2].Confidence)

	require.Equal(t, "net:NET-13-64-0-0-1|microsoft corporation", a.HostKey())
	require.Equal(t, a.HostKey(), a.HostID)

	// The raw RDAP answers are kept as evidence, as they came.
	kinds := map[string]json.RawMessage{}
	for _, e := range a.Evidence {
		require.Equal(t, "rdap", e.Kind)
		require.False(t, e.At.IsZero())
		kinds[e.Lookup] = e.JSON
	}
	require.JSONEq(t, string(fixture(t, "rdap/verisign/domain-20c.com.json")), string(kinds["rdap_domain"]))
	require.Equal(t, json.RawMessage(fixture(t, "rdap/arin/ip-13.64.0.0.json")), kinds["rdap_ip"])

	// The JSON has the fields the CLI and the API promise.
	b, err := json.Marshal(a)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"url", "domain", "registrable_domain", "dns", "addresses", "cdn", "registrar",
		"security_txt", "recipients", "errors", "traced_at", "host_hidden", "evidence", "host_key"} {
		require.Contains(t, m, k)
	}
	require.Nil(t, m["cdn"])
	require.Nil(t, m["security_txt"])
	addr := m["addresses"].([]any)[0].(map[string]any)
	for _, k := range []string{"ip", "network", "org", "country", "asn", "abuse_email", "parents"} {
		require.Contains(t, addr, k)
	}
	require.Nil(t, addr["asn"])
	registrar := m["registrar"].(map[string]any)
	for _, k := range []string{"name", "iana_id", "abuse_email"} {
		require.Contains(t, registrar, k)
	}
	rec := m["recipients"].([]any)[0].(map[string]any)
	for _, k := range []string{"role", "organisation", "email", "source", "confidence", "notify"} {
		require.Contains(t, rec, k)
	}
	require.Equal(t, []any{}, m["errors"])
	var back Answer
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, a.HostKey(), back.HostKey())
	require.False(t, Moved(a, &back))
}

func TestIPAddressURL(t *testing.T) {
	w := newWorld(t)
	ownNetwork(w)
	a := w.trace("http://127.0.0.10:8080/x", Options{NoFetch: true})
	require.Equal(t, "127.0.0.10", a.Domain)
	require.Empty(t, a.RegistrableDomain)
	require.Empty(t, a.Errors)
	require.Equal(t, 0, w.dns.total(), "an address is not looked up in DNS")
	require.Equal(t, []string{"host"}, roles(a))
	require.Nil(t, a.Registrar)
	require.Nil(t, a.Registry)
}

func TestResellerInUpstreamAllocation(t *testing.T) {
	w := newWorld(t)
	w.host("shop.themarquetry.com", w.arin, "rdap/synthetic/arin-ip-108.45.128.0-reseller.json", "127.0.0.20")
	// The reseller's "up" link names VIS-BLOCK's own URL.
	w.arin.route("ip/108.000.000.000", fixture(t, "rdap/arin/ip-108.45.128.208.json"))
	w.verisign.route("domain/themarquetry.com", fixture(t, "rdap/verisign/domain-themarquetry.com.json"))

	a := w.trace("https://shop.themarquetry.com/", Options{NoFetch: true})
	require.Empty(t, a.Errors)
	ad := a.Addresses[0]
	require.Equal(t, "EXAMPLE-RESELLER-NET", ad.Network.Name)
	require.Equal(t, "REASSIGNED", ad.Network.Type)
	require.Equal(t, "Example Reseller Hosting LLC", ad.Org)
	require.Len(t, ad.Parents, 1)
	require.Equal(t, "VIS-BLOCK", ad.Parents[0].Name)
	require.Equal(t, "abuse@verizon.net", ad.Parents[0].AbuseEmail)
	require.Contains(t, w.arin.requests(), "/registry/ip/108.000.000.000")

	require.Equal(t, []string{"host", "upstream", "registrar", "registry"}, roles(a))
	host, up := a.Recipients[0], a.Recipients[1]
	require.Equal(t, "Example Reseller Hosting LLC", host.Organisation)
	require.Equal(t, "abuse@reseller.example", host.Email)
	require.Equal(t, "MCI Communications Services, Inc. d/b/a Verizon Business", up.Organisation)
	require.Equal(t, "abuse@verizon.net", up.Email)
	require.Equal(t, "US", up.Country)
	require.Equal(t, "NET-108-0-0-0-1", up.Ref)
	require.Contains(t, up.Note, "reseller")
	require.True(t, up.Notify)
	require.Equal(t, "Hosting Concepts B.V. d/b/a Registrar.eu", a.Recipients[2].Organisation)
	require.Equal(t, "abuse@registrar.eu", a.Recipients[2].Email)
	require.Equal(t, "IANA 1647", a.Recipients[2].Ref)

	// Both documents are evidence: the network and its parent.
	var lookups []string
	for _, e := range a.Evidence {
		lookups = append(lookups, e.Lookup)
	}
	require.Equal(t, []string{"rdap_domain", "rdap_ip", "rdap_ip_parent"}, lookups)
}

func TestBehindCDN(t *testing.T) {
	w := newWorld(t)
	w.host("bitcoin.org", w.arin, "rdap/arin/ip-2606_4700_4700__1111.json", "127.0.0.30")
	w.as("127.0.0.30", 13335, "US", "CLOUDFLARENET")
	w.arin.route("autnum/13335", fixture(t, "rdap/arin/autnum-AS13335.json"))
	w.namecheap.route("domain/bitcoin.org", fixture(t, "rdap/namecheap/domain-bitcoin.org.json"))

	hdr := http.Header{}
	hdr.Set("Server", "cloudflare")
	hdr.Set("CF-RAY", "8a1b2c3d4e5f6a7b-AMS")
	a := w.trace("https://bitcoin.org/en/", Options{NoFetch: true, Headers: hdr})
	require.Empty(t, a.Errors)

	require.NotNil(t, a.CDN)
	require.Equal(t, "Cloudflare", *a.CDN)
	require.Equal(t, "cloudflare", a.CDNEvidence.Slug)
	require.Equal(t, "high", a.CDNEvidence.Confidence)
	require.ElementsMatch(t, []string{"asn", "org", "header"}, a.CDNEvidence.Signals)
	require.True(t, a.HostHidden)
	require.Equal(t, "cdn", a.HostHiddenReason)

	ad := a.Addresses[0]
	require.True(t, ad.CDN)
	require.EqualValues(t, 13335, *ad.ASN)
	require.Equal(t, "Cloudflare, Inc.", ad.AS.Org)
	require.Equal(t, "abuse@cloudflare.com", ad.AS.AbuseEmail)
	require.Equal(t, "CLOUDFLARENET", ad.Network.Name)

	require.Equal(t, []string{"cdn", "registrar", "registry"}, roles(a))
	c := a.Recipients[0]
	require.Equal(t, "Cloudflare", c.Organisation)
	require.Equal(t, "abuse@cloudflare.com", c.Email)
	require.Equal(t, "https://abuse.cloudflare.com", c.WebForm)
	require.Equal(t, "cdn_data", c.Source)
	require.Equal(t, "high", c.Confidence)
	require.True(t, c.Notify)
	require.Contains(t, c.Note, "forward the notice")
	require.Contains(t, c.Note, "disclose the origin host")
	r := a.Recipients[1]
	require.Equal(t, "NAMECHEAP INC", r.Organisation)
	require.Equal(t, "abuse@namecheap.com", r.Email)
	require.Equal(t, "IANA 1068", r.Ref)
	require.Equal(t, "Public Interest Registry (PIR)", a.Recipients[2].Organisation)

	require.Equal(t, "cdn:cloudflare", a.HostKey())
	var lookups []string
	for _, e := range a.Evidence {
		lookups = append(lookups, e.Lookup)
	}
	require.Equal(t, []string{"rdap_domain", "rdap_ip", "rdap_autnum"}, lookups)
}

// A CNAME into the CDN's zone and the CDN's organisation, with the address
// unknown to RDAP's other data: the CDN is recognised all the same.
func TestBehindCDNByCNAME(t *testing.T) {
	w := newWorld(t)
	w.dns.add(t, "www.bitcoin.org. 300 IN CNAME www.bitcoin.org.cdn.cloudflare.net.")
	w.host("www.bitcoin.org.cdn.cloudflare.net", w.arin, "rdap/arin/ip-2606_4700_4700__1111.json", "127.0.0.31", "::1")
	w.overrides["::1/128"] = []string{w.ripe.base()} // no document: the lookup fails
	w.namecheap.route("domain/bitcoin.org", fixture(t, "rdap/namecheap/domain-bitcoin.org.json"))

	a := w.trace("https://www.bitcoin.org/", Options{NoFetch: true})
	require.Equal(t, map[string]string{"rdap_ip ::1": "not_found"}, errorsOf(a))
	require.Equal(t, []string{"www.bitcoin.org.cdn.cloudflare.net"}, a.CNAMEChain)
	require.Len(t, a.DNS["CNAME"], 1)
	require.Equal(t, "Cloudflare", *a.CDN)
	require.ElementsMatch(t, []string{"org", "cname"}, a.CDNEvidence.Signals)
	require.True(t, a.Addresses[0].CDN)
	require.False(t, a.Addresses[1].CDN, "unknown network: not known to be the CDN's")
	require.True(t, a.HostHidden)
	require.Equal(t, []string{"cdn", "registrar", "registry"}, roles(a))
}

func TestIPv6Only(t *testing.T) {
	w := newWorld(t)
	w.host("www.nic.cz", w.ripe, "rdap/ripe/ip-2a00_2381_ffff__1.json", "::1")
	w.niccz.route("domain/nic.cz", fixture(t, "rdap/nic.cz/domain-nic.cz.json"))

	a := w.trace("https://www.nic.cz/", Options{NoFetch: true})
	require.Empty(t, a.Errors)
	require.Empty(t, a.DNS["A"])
	require.Len(t, a.DNS["AAAA"], 1)
	require.Len(t, a.Addresses, 1)
	ad := a.Addresses[0]
	require.Equal(t, netip.IPv6Loopback(), ad.IP)
	require.Equal(t, "BT-WORLD-IPVSIX-LAUNCH", ad.Network.Name)
	require.Equal(t, []string{"2a00:2381:ffff::/64"}, ad.Network.CIDRs)
	require.Equal(t, "GB", ad.Country)
	require.Equal(t, "zzdnsr@bt.com", ad.AbuseEmail)
	require.Equal(t, []string{"/ip/::1"}, w.ripe.requests())

	require.Equal(t, []string{"host", "registrar", "registry"}, roles(a))
	require.Equal(t, "zzdnsr@bt.com", a.Recipients[0].Email)
	require.Equal(t, "GB", a.Recipients[0].Country)
	// CZ.NIC names the registrar only by its handle, with no contact.
	reg := a.Recipients[1]
	require.Equal(t, "REG-CZNIC", reg.Organisation)
	require.Empty(t, reg.Email)
	require.Equal(t, "low", reg.Confidence)
	require.Equal(t, "CZ.NIC, z.s.p.o.", a.Recipients[2].Organisation)
}

func TestDomainNoLongerResolves(t *testing.T) {
	w := newWorld(t)
	w.afnic.route("domain/lemonde.fr", fixture(t, "rdap/afnic/domain-lemonde.fr.json"))

	a := w.trace("https://gone.lemonde.fr/article", Options{NoFetch: true})
	require.Equal(t, map[string]string{"dns gone.lemonde.fr": "nxdomain"}, errorsOf(a))
	require.Empty(t, a.Addresses)
	require.Empty(t, a.HostKey(), "no host is known")
	require.Equal(t, []string{"registrar", "registry"}, roles(a))
	reg := a.Recipients[0]
	require.Equal(t, "NAMESHIELD", reg.Organisation)
	require.Equal(t, "registrar@nameshield.net", reg.Email)
	require.Equal(t, "low", reg.Confidence)
	require.Contains(t, reg.Note, "no abuse contact")
	require.Equal(t, "IANA 1251", reg.Ref)
	require.Equal(t, "SOCIETE EDITRICE DU MONDE", a.Registration.Registrant)
	require.Equal(t, "AFNIC", a.Recipients[1].Organisation)
}

func TestCcTLDOverWHOIS(t *testing.T) {
	t.Run("de", func(t *testing.T) {
		w := newWorld(t)
		w.host("www.google.de", w.ripe, "rdap/ripe/ip-62.239.237.1.json", "127.0.0.60")
		// The address is announced by another holder's AS: its upstream.
		w.as("127.0.0.60", 2914, "US", "NTT-LTD-2914")
		w.arin.route("autnum/2914", fixture(t, "rdap/arin/autnum-AS2914.json"))
		w.whois.answer("google.de", fixture(t, "whois/de-google.de.txt"))

		a := w.trace("https://www.google.de/", Options{NoFetch: true})
		require.Empty(t, a.Errors, "no RDAP service for .de is no error once WHOIS answered")
		require.Equal(t, 1, w.whois.count())
		require.Equal(t, "whois", a.Registration.Source)
		require.Equal(t, w.whois.addr, a.Registration.Server)
		require.Equal(t, []string{"ns1.google.com", "ns2.google.com", "ns3.google.com", "ns4.google.com"}, a.Registration.Nameservers)
		require.Equal(t, []string{"connect"}, a.Registration.Status)
		require.Nil(t, a.Registrar, "DENIC's port 43 names no registrar")
		var texts []string
		for _, e := range a.Evidence {
			if e.Kind == "whois" {
				texts = append(texts, e.Text)
			}
		}
		require.Equal(t, []string{string(fixture(t, "whois/de-google.de.txt"))}, texts)

		require.Equal(t, []string{"host", "upstream", "registry"}, roles(a))
		host := a.Recipients[0]
		require.Equal(t, "BT-CORPORATE", host.Organisation)
		require.Equal(t, "zzdnsr@bt.com", host.Email)
		require.Equal(t, "GB", host.Country)
		up := a.Recipients[1]
		require.Equal(t, "NTT America, Inc.", up.Organisation)
		require.Equal(t, "abuse@ntt.net", up.Email)
		require.Equal(t, "AS2914", up.Ref)
		require.Equal(t, "DENIC eG", a.Recipients[2].Organisation)
		require.Equal(t, "DE", a.Recipients[2].Country)
	})
	t.Run("io", func(t *testing.T) {
		w := newWorld(t)
		w.whois.answer("google.io", fixture(t, "whois/io-google.io.txt"))
		a := w.trace("https://google.io/", Options{NoFetch: true})
		require.Equal(t, map[string]string{"dns google.io": "nxdomain"}, errorsOf(a))
		require.Equal(t, &Registrar{Name: "MarkMonitor Inc.", IANAID: "292", AbuseEmail: "abusecomplaints@markmonitor.com",
			AbusePhone: "+1.2083895740", URL: "http://www.markmonitor.com", Source: "whois"}, a.Registrar)
		require.Equal(t, "Google LLC", a.Registration.Registrant)
		require.Equal(t, []string{"registrar", "registry"}, roles(a))
		r := a.Recipients[0]
		require.Equal(t, "abusecomplaints@markmonitor.com", r.Email)
		require.Equal(t, "whois", r.Source)
		require.Equal(t, "high", r.Confidence)
		require.Equal(t, "Internet Computer Bureau Limited", a.Recipients[1].Organisation)
	})
}

// A registry whose RDAP service is down or throttling: the registration
// comes from WHOIS, and the RDAP failure stays on record.
func TestWHOISWhenRDAPFails(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		code   string
	}{
		{"unavailable", http.StatusServiceUnavailable, "unavailable"},
		{"rate limited", http.StatusTooManyRequests, "rate_limited"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			down := startRDAP(t, "/")
			down.hook = func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Retry-After", "3600") // longer than the client waits
				rw.Header().Set("Content-Type", "application/rdap+json")
				rw.WriteHeader(tc.status)
				_, _ = rw.Write([]byte(`{"errorCode":` + strconv.Itoa(tc.status) + `}`))
			}
			w.overrides["io"] = []string{down.base()}
			w.whois.answer("google.io", fixture(t, "whois/io-google.io.txt"))
			a := w.trace("https://google.io/", Options{NoFetch: true})
			require.Equal(t, map[string]string{"dns google.io": "nxdomain", "rdap_domain google.io": tc.code}, errorsOf(a))
			require.NotEmpty(t, down.requests(), "RDAP was asked first")
			require.Equal(t, 1, w.whois.count())
			require.Equal(t, "whois", a.Registration.Source)
			require.Equal(t, "MarkMonitor Inc.", a.Registrar.Name)
			require.Equal(t, "abusecomplaints@markmonitor.com", a.Recipients[0].Email)
			require.Equal(t, "whois", a.Recipients[0].Source)
		})
	}
}

func TestSecurityTxt(t *testing.T) {
	w := newWorld(t)
	body := fixture(t, "securitytxt/grapheneos.org.txt")
	var mu sync.Mutex
	var paths []string
	site := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/.well-known/security.txt" {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = rw.Write(body)
	}))
	t.Cleanup(site.Close)
	port := site.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
	w.host("grapheneos.org", w.ripe, "rdap/ripe/ip-193.0.6.139.json", "127.0.0.1")

	siteURL := "https://grapheneos.org:" + itoa(int(port)) + "/"
	a := w.trace(siteURL, Options{})
	require.Equal(t, []string{"/.well-known/security.txt"}, paths)
	require.NotNil(t, a.SecurityTxt)
	st := a.SecurityTxt
	require.Equal(t, siteURL+".well-known/security.txt", st.URL)
	require.Equal(t, []string{"mailto:security@grapheneos.org"}, st.Contacts)
	require.Equal(t, []string{"security@grapheneos.org"}, st.Emails)
	require.True(t, st.Signed)
	require.Equal(t, []string{"https://grapheneos.org/.well-known/security.txt"}, st.Canonical)
	require.False(t, st.FromCanonical, "fetched on another port than its Canonical URL")

	// No registry data for grapheneos.org in this world: a degraded answer.
	require.Equal(t, map[string]string{"rdap_domain grapheneos.org": "not_found"}, errorsOf(a))
	require.Equal(t, []string{"host", "registry", "site"}, roles(a))
	s := a.Recipients[2]
	require.Equal(t, "grapheneos.org", s.Organisation)
	require.Equal(t, "security@grapheneos.org", s.Email)
	require.Equal(t, "security.txt", s.Source)
	require.False(t, s.Notify, "the site's own contact is never notified")
	require.Contains(t, s.Note, "doxer")
	require.Equal(t, "RIPE-NCC", a.Recipients[0].Organisation)
	require.Equal(t, "abuse@ripe.net", a.Recipients[0].Email)
	require.Len(t, a.Notified(), 2)

	// With NoFetch nothing is fetched from the site.
	w2 := newWorld(t)
	w2.host("grapheneos.org", w2.ripe, "rdap/ripe/ip-193.0.6.139.json", "127.0.0.1")
	a = w2.trace(siteURL, Options{NoFetch: true})
	require.Nil(t, a.SecurityTxt)
	require.Len(t, paths, 1)
}

func TestContactBookOverride(t *testing.T) {
	w := newWorld(t)
	ownNetwork(w)
	book := newBook(t,
		undox.Contact{Scope: undox.ScopeDomain, Key: "20c.com", Role: undox.RolePlatform, Platform: true,
			Name: "20c Trust & Safety", WebForm: "https://trust.platform.example/report", Language: "en"},
		undox.Contact{Scope: undox.ScopeOrg, Key: "Microsoft Corporation", Role: undox.RoleHost,
			Name: "Microsoft (hotline desk)", Email: "hotline-desk@msft.example", Country: "US", Notes: "Answers within a day."},
		undox.Contact{Scope: undox.ScopeDomain, Key: "com", Role: undox.RoleRegistry,
			Name: "Verisign registry abuse", Email: "registry-abuse@verisign.example"},
		// Matches nothing in this trace.
		undox.Contact{Scope: undox.ScopeASN, Key: "AS64500", Role: undox.RoleUpstream, Name: "Other", Email: "x@other.example"},
		// Removed entries are not used.
		undox.Contact{Scope: undox.ScopeNetwork, Key: "127.0.0.0/8", Role: undox.RoleHost, Name: "Old",
			Email: "old@old.example", Removed: true},
	)
	w.contacts = book
	a := w.trace("https://www.20c.com/p", Options{NoFetch: true})
	require.Empty(t, a.Errors)

	require.Equal(t, []string{"platform", "host", "registrar", "registry"}, roles(a))
	p := a.Recipients[0]
	require.Equal(t, "20c Trust & Safety", p.Organisation)
	require.Equal(t, "https://trust.platform.example/report", p.WebForm)
	require.Equal(t, "contact_book", p.Source)
	require.True(t, p.Notify)
	require.EqualValues(t, 1, p.ContactID)
	require.Equal(t, "en", p.Language)

	h := a.Recipients[1]
	require.Equal(t, "Microsoft (hotline desk)", h.Organisation)
	require.Equal(t, "hotline-desk@msft.example", h.Email)
	require.Equal(t, "contact_book", h.Source)
	require.Equal(t, "high", h.Confidence)
	require.Equal(t, "NET-13-64-0-0-1", h.Ref)
	require.Contains(t, h.Note, "abuse@microsoft.com", "says what it replaces")
	require.Contains(t, h.Note, "Answers within a day.")

	require.Equal(t, "rdap", a.Recipients[2].Source, "no entry for the registrar")
	require.Equal(t, "registry-abuse@verisign.example", a.Recipients[3].Email)
	require.Equal(t, "contact_book", a.Recipients[3].Source)

	// What the book was asked.
	require.Len(t, book.queries, 1)
	q := book.queries[0]
	require.Equal(t, []string{"www.20c.com", "20c.com"}, q.Domains)
	require.Equal(t, []netip.Addr{netip.MustParseAddr("127.0.0.10")}, q.Addrs)
	require.Contains(t, q.Orgs, "Microsoft Corporation")
	require.Contains(t, q.Orgs, "CSL Computer Service Langenbach GmbH d/b/a joker.com")
}

func TestContactBookAddsWhatLookupsMissed(t *testing.T) {
	w := newWorld(t)
	ownNetwork(w)
	w.contacts = newBook(t,
		// An upstream the lookups cannot see (no AS table).
		undox.Contact{Scope: undox.ScopeNetwork, Key: "127.0.0.0/24", Role: undox.RoleUpstream,
			Name: "Transit Example", Email: "abuse@transit.example"},
		// A site contact, not a platform: listed, not notified.
		undox.Contact{Scope: undox.ScopeDomain, Key: "www.20c.com", Role: undox.RoleSite,
			Name: "20c webmaster", Email: "webmaster@20c.example"},
		// An org-scoped entry for a host does not apply to the registrar.
		undox.Contact{Scope: undox.ScopeOrg, Key: "CSL Computer Service Langenbach GmbH d/b/a joker.com", Role: undox.RoleHost,
			Name: "Joker hosting", Email: "hosting@joker.example"},
	)
	a := w.trace("https://www.20c.com/", Options{NoFetch: true})
	require.Equal(t, []string{"host", "upstream", "registrar", "registry", "site"}, roles(a))
	require.Equal(t, "abuse@microsoft.com", a.Recipients[0].Email)
	require.Equal(t, "abuse@transit.example", a.Recipients[1].Email)
	require.Equal(t, "contact_book", a.Recipients[1].Source)
	require.Equal(t, "abuse@joker.com", a.Recipients[2].Email)
	require.Equal(t, "webmaster@20c.example", a.Recipients[4].Email)
	require.False(t, a.Recipients[4].Notify)
}

func TestRDAPTimeoutAnd429Degrade(t *testing.T) {
	w := newWorld(t)
	slow := startRDAP(t, "/")
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	slow.hook = func(rw http.ResponseWriter, r *http.Request) {
		select { // never answers in time
		case <-r.Context().Done():
		case <-done:
		}
	}
	limited := startRDAP(t, "/")
	limited.hook = func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Retry-After", "3600") // longer than the client waits
		rw.Header().Set("Content-Type", "application/rdap+json")
		rw.WriteHeader(http.StatusTooManyRequests)
		_, _ = rw.Write([]byte(`{"errorCode":429,"title":"Too Many Requests"}`))
	}
	w.host("www.themarquetry.com", slow, "", "127.0.0.90")
	w.host("www.themarquetry.com", w.arin, "rdap/arin/ip-13.64.0.0.json", "127.0.0.91")
	w.overrides["com"] = []string{limited.base()}
	w.rdapTimeout = 300 * time.Millisecond

	a := w.trace("https://www.themarquetry.com/", Options{NoFetch: true})
	require.Equal(t, map[string]string{
		"rdap_ip 127.0.0.90":           "timeout",
		"rdap_domain themarquetry.com": "rate_limited",
	}, errorsOf(a))
	require.Len(t, a.Addresses, 2)
	require.Nil(t, a.Addresses[0].Network)
	require.Equal(t, "Microsoft Corporation", a.Addresses[1].Org)
	require.Nil(t, a.Registrar)
	require.Equal(t, []string{"host", "registry"}, roles(a))
	require.Empty(t, a.HostKey(), "one address's host is unknown: no host identity")
	require.Len(t, limited.requests(), 1, "a 429 asking for an hour is not retried")

	// The failures are remembered for a short while, not asked again at once.
	a = w.trace("https://www.themarquetry.com/other", Options{NoFetch: true})
	require.Len(t, a.Errors, 2)
	require.Len(t, limited.requests(), 1)
	require.Len(t, slow.requests(), 1)
}

func TestOnion(t *testing.T) {
	w := newWorld(t)
	w.police = Recipient{Organisation: "Politie, Team High Tech Crime", WebForm: "https://police.example/report", Country: "NL"}
	svc := w.service()
	a, err := svc.Trace(context.Background(), "http://expyuzz4wqqyqhjn.onion/thread/1", Options{})
	require.NoError(t, err)
	require.True(t, a.HostHidden)
	require.Equal(t, "onion", a.HostHiddenReason)
	require.Equal(t, "expyuzz4wqqyqhjn.onion", a.Domain)
	require.Equal(t, []string{"police"}, roles(a))
	p := a.Recipients[0]
	require.Equal(t, "Politie, Team High Tech Crime", p.Organisation)
	require.Equal(t, "https://police.example/report", p.WebForm)
	require.Equal(t, "config", p.Source)
	require.True(t, p.Notify)
	require.Contains(t, p.Note, ".onion")
	require.Equal(t, "onion:expyuzz4wqqyqhjn.onion", a.HostKey())
	require.Empty(t, a.Errors)
	require.Empty(t, a.Addresses)
	// Nothing was asked anywhere.
	require.Zero(t, w.dns.total())
	require.Empty(t, w.arin.requests())
	require.Empty(t, w.verisign.requests())
	require.Zero(t, w.whois.count())
}

func TestInvalidURL(t *testing.T) {
	w := newWorld(t)
	svc := w.service()
	for _, u := range []string{"", "ftp://example.com/", "mailto:x@example.com", "https://"} {
		a, err := svc.Trace(context.Background(), u, Options{})
		require.Error(t, err, u)
		require.Equal(t, undox.EINVALID, undox.ErrorCode(err), u)
		require.Nil(t, a)
	}
}

func TestWarmTraceRepeatsNoLookups(t *testing.T) {
	w := newWorld(t)
	ownNetwork(w)
	w.host("other.20c.com", w.arin, "", "127.0.0.10")
	svc := w.service()
	ctx := context.Background()

	// Concurrent traces of one site share each lookup.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := svc.Trace(ctx, "https://www.20c.com/a", Options{NoFetch: true})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Equal(t, []string{"/registry/ip/127.0.0.10", "/registry/ip/13.64.0.0/10"}, w.arin.requests())
	require.Len(t, w.verisign.requests(), 1)
	dnsQueries := w.dns.total()

	// A warm trace of the same site asks nothing.
	a, err := svc.Trace(ctx, "https://www.20c.com/b", Options{NoFetch: true})
	require.NoError(t, err)
	require.Empty(t, a.Errors)
	require.Equal(t, []string{"host", "registrar", "registry"}, roles(a))
	require.Equal(t, dnsQueries, w.dns.total())
	require.Len(t, w.arin.requests(), 2)
	require.Len(t, w.verisign.requests(), 1)

	// Another host on the same network and domain: only its DNS is new.
	a, err = svc.Trace(ctx, "https://other.20c.com/", Options{NoFetch: true})
	require.NoError(t, err)
	require.Empty(t, a.Errors)
	require.Greater(t, w.dns.count("other.20c.com"), 0)
	require.Len(t, w.arin.requests(), 2)
	require.Len(t, w.verisign.requests(), 1)
	st := svc.Stats()
	require.EqualValues(t, 1, st["rdap_ip"].Lookups)
	require.EqualValues(t, 1, st["rdap_domain"].Lookups)
	require.Positive(t, st["rdap_ip"].Hits)

	// Purged, it asks again.
	svc.Purge()
	_, err = svc.Trace(ctx, "https://www.20c.com/b", Options{NoFetch: true})
	require.NoError(t, err)
	require.Len(t, w.arin.requests(), 4)
}

func TestRetraceTellsAMove(t *testing.T) {
	w := newWorld(t)
	ownNetwork(w)
	w.arin.route("ip/127.0.0.20", fixture(t, "rdap/synthetic/arin-ip-108.45.128.0-reseller.json"))
	w.overrides["127.0.0.20/32"] = []string{w.arin.base()}
	w.cacheConfig = CacheConfig{Disabled: true}
	svc := w.service()
	ctx := context.Background()

	before, err := svc.Trace(ctx, "https://www.20c.com/", Options{NoFetch: true})
	require.NoError(t, err)
	same, err := svc.Trace(ctx, "https://www.20c.com/", Options{NoFetch: true})
	require.NoError(t, err)
	require.False(t, Moved(before, same))

	// The site moves to the reseller's network.
	w.dns.mu.Lock()
	delete(w.dns.zone, "www.20c.com.")
	w.dns.mu.Unlock()
	w.dns.add(t, "www.20c.com. 300 IN A 127.0.0.20")
	after, err := svc.Trace(ctx, "https://www.20c.com/", Options{NoFetch: true})
	require.NoError(t, err)
	require.True(t, Moved(before, after))
	require.Equal(t, "Example Reseller Hosting LLC", after.Recipients[0].Organisation)

	// Gone from DNS: not a move, the host is just unknown.
	w.dns.mu.Lock()
	delete(w.dns.zone, "www.20c.com.")
	w.dns.mu.Unlock()
	gone, err := svc.Trace(ctx, "https://www.20c.com/", Options{NoFetch: true})
	require.NoError(t, err)
	require.False(t, Moved(after, gone))
	require.False(t, Moved(nil, after))
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

type failingBook struct{}

func (failingBook) MatchContacts(context.Context, undox.ContactQuery) ([]*undox.Contact, error) {
	return nil, errors.New("database is down")
}

func TestContactBookFailureDegrades(t *testing.T) {
	w := newWorld(t)
	ownNetwork(w)
	w.contacts = failingBook{}
	a := w.trace("https://www.20c.com/", Options{NoFetch: true})
	require.Equal(t, map[string]string{"contact_book www.20c.com": "error"}, errorsOf(a))
	require.Equal(t, []string{"host", "registrar", "registry"}, roles(a))
}
