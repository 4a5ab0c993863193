package rdap

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// loadRIRs serves every RIR fixture from its RIR's fake server.
func loadRIRs(t *testing.T, r *registries) {
	t.Helper()
	for _, tc := range fixtureCases {
		reg, _, _ := strings.Cut(tc.file, "/")
		var srv *fakeRDAP
		switch reg {
		case "arin":
			srv = r.arin
		case "ripe":
			srv = r.ripe
		case "apnic":
			srv = r.apnic
		case "lacnic":
			srv = r.lacnic
		case "afrinic":
			srv = r.afrinic
		default:
			continue
		}
		raw := readFixture(t, tc.file)
		switch tc.kind {
		case "ip":
			srv.addIP(t, raw)
		case "autnum":
			as, err := ParseAutnum(raw)
			require.NoError(t, err)
			srv.addAutnum(as.Number, as.Number, raw)
		}
	}
}

// queryFromFile turns "ip-2001_4860__.json" into "2001:4860::".
func queryFromFile(file string) string {
	_, name, _ := strings.Cut(file, "/")
	name = strings.TrimSuffix(name, ".json")
	_, q, _ := strings.Cut(name, "-")
	if !strings.Contains(q, ".") {
		q = strings.ReplaceAll(q, "_", ":")
	}
	return q
}

// Every RIR IP and autnum fixture, looked up through the client: the
// embedded bootstrap picks the RIR, the overrides map it to its loopback
// server, ARIN redirects for space it does not hold.
func TestLookupAllRIRFixtures(t *testing.T) {
	r := newRegistries(t)
	loadRIRs(t, r)
	c, _ := r.client(t, func(cfg *Config) { cfg.MaxParents = -1 })
	ctx := context.Background()
	for _, tc := range fixtureCases {
		if tc.kind != "ip" && tc.kind != "autnum" {
			continue
		}
		t.Run(tc.file, func(t *testing.T) {
			raw := readFixture(t, tc.file)
			q := queryFromFile(tc.file)
			if tc.kind == "ip" {
				n, err := c.IP(ctx, netip.MustParseAddr(q))
				require.NoError(t, err)
				require.Equal(t, json.RawMessage(raw), n.Raw)
				require.Equal(t, tc.org, n.Org)
				require.Equal(t, tc.country, n.Country)
				require.NotNil(t, n.Abuse)
				require.Equal(t, tc.email, n.Abuse.Email)
				require.Equal(t, tc.conf, n.Abuse.Confidence)
				require.Equal(t, n.Source, n.Abuse.Source)
				require.True(t, strings.HasPrefix(n.Source, "http://127.0.0.1:"), n.Source)
				return
			}
			num, err := parseASN(q)
			require.NoError(t, err)
			as, err := c.Autnum(ctx, num)
			require.NoError(t, err)
			require.Equal(t, num, as.Number)
			require.Equal(t, json.RawMessage(raw), as.Raw)
			require.Equal(t, tc.org, as.Org)
			require.Equal(t, tc.country, as.Country)
			require.Equal(t, tc.email, as.Abuse.Email)
			require.Equal(t, tc.conf, as.Abuse.Confidence)
		})
	}
	// The legacy SWITCH block is ARIN's in the bootstrap: ARIN redirected.
	require.Contains(t, r.arin.requests(), "/registry/ip/130.59.31.80")
	require.Contains(t, r.ripe.requests(), "/ip/130.59.31.80")
}

func TestIPDirect(t *testing.T) {
	r := newRegistries(t)
	r.arin.addIP(t, readFixture(t, "arin/ip-13.64.0.0.json"))
	c, _ := r.client(t, nil)
	n, err := c.IP(context.Background(), netip.MustParseAddr("13.107.4.50"))
	require.NoError(t, err)
	require.Equal(t, "NET-13-64-0-0-1", n.Handle)
	require.Equal(t, "Microsoft Corporation", n.Org)
	require.Equal(t, "abuse@microsoft.com", n.Abuse.Email)
	require.Equal(t, "entities[0].entities[2]", n.Abuse.Path)
	require.Equal(t, r.arin.base()+"ip/13.107.4.50", n.Source)
	require.Empty(t, n.Via)
	// ARIN's parentHandle NET-13-0-0-0-0 is followed with a prefix query
	// for the smallest prefix above 13.64.0.0–13.107.255.255; the fake ARIN
	// holds nothing there.
	require.Equal(t, []string{"/registry/ip/13.107.4.50", "/registry/ip/13.64.0.0/10"}, r.arin.requests())
	require.Empty(t, n.Parents)
	require.Contains(t, n.ParentChainEnd, "not_found")
}

func TestIPRedirectToAnotherRIR(t *testing.T) {
	r := newRegistries(t)
	r.apnic.addIP(t, readFixture(t, "apnic/ip-1.1.1.1.json"))
	// Ask ARIN for APNIC space (as a client with a stale bootstrap would).
	r.overrides["1.1.1.0/24"] = []string{"https://rdap.arin.net/registry/"}
	c, _ := r.client(t, nil)
	n, err := c.IP(context.Background(), netip.MustParseAddr("1.1.1.1"))
	require.NoError(t, err)
	require.Equal(t, []string{r.arin.base() + "ip/1.1.1.1"}, n.Via)
	require.Equal(t, r.apnic.base()+"ip/1.1.1.1", n.Source)
	require.Equal(t, "APNIC-LABS", n.Name)
	require.Equal(t, "AU", n.Country)
	require.Equal(t, "APNIC Research and Development", n.Org)
	require.Equal(t, "helpdesk@apnic.net", n.Abuse.Email)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("1.1.1.0/24")}, n.CIDRs)
	// No parentHandle, no up link: no parent queries.
	require.Empty(t, n.Parents)
	require.Empty(t, n.ParentChainEnd)
	require.Equal(t, []string{"/ip/1.1.1.1"}, r.apnic.requests())
}

func TestRedirectBounds(t *testing.T) {
	r := newRegistries(t)
	r.arin.hook = func(w http.ResponseWriter, req *http.Request, n int) bool {
		// Endless chain of fresh redirects.
		w.Header().Set("Location", "/registry/ip/3.3.3."+string(rune('0'+n%10))+"?n="+req.URL.Query().Get("n")+"x")
		w.WriteHeader(http.StatusFound)
		return true
	}
	c, _ := r.client(t, func(cfg *Config) { cfg.MaxRedirects = 2 })
	_, err := c.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
	require.Equal(t, CodeBadResponse, CodeOf(err))
	require.ErrorContains(t, err, "more than 2 redirects")
	require.Len(t, r.arin.requests(), 3)

	// A loop back to a URL already visited is caught at once.
	r2 := newRegistries(t)
	r2.arin.hook = func(w http.ResponseWriter, req *http.Request, n int) bool {
		w.Header().Set("Location", "https://rdap.arin.net/registry/ip/3.3.3.3")
		w.WriteHeader(http.StatusMovedPermanently)
		return true
	}
	c2, _ := r2.client(t, nil)
	_, err = c2.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
	require.Equal(t, CodeBadResponse, CodeOf(err))
	require.ErrorContains(t, err, "redirect loop")
}

// The reseller scenario: a synthetic REASSIGNED /24 (testdata/synthetic,
// see SOURCES.md) inside the real ARIN VIS-BLOCK allocation.
func TestIPParentChainViaUpLink(t *testing.T) {
	r := newRegistries(t)
	r.arin.addIP(t, readFixture(t, "synthetic/arin-ip-108.45.128.0-reseller.json"))
	r.arin.addIP(t, readFixture(t, "arin/ip-108.45.128.208.json"))
	c, _ := r.client(t, nil)
	n, err := c.IP(context.Background(), netip.MustParseAddr("108.45.128.208"))
	require.NoError(t, err)
	require.Equal(t, "EXAMPLE-RESELLER-NET", n.Name)
	require.Equal(t, "REASSIGNED", n.Type)
	require.Equal(t, "Example Reseller Hosting LLC", n.Org)
	require.Equal(t, "abuse@reseller.example", n.Abuse.Email)
	require.Equal(t, "entities[0].entities[0]", n.Abuse.Path)

	require.Len(t, n.Parents, 1)
	up := n.Parents[0]
	require.Equal(t, "VIS-BLOCK", up.Name)
	require.Equal(t, "MCI Communications Services, Inc. d/b/a Verizon Business", up.Org)
	require.Equal(t, "abuse@verizon.net", up.Abuse.Email)
	require.Equal(t, up.Source, up.Abuse.Source)
	require.Equal(t, json.RawMessage(readFixture(t, "arin/ip-108.45.128.208.json")), up.Raw)
	require.Equal(t, r.arin.base()+"ip/108.000.000.000", up.Source) // the up link, rewritten
	// Above VIS-BLOCK (NET-108-0-0-0-0, no up link): a prefix query for
	// 108.0.0.0/10, which the fake ARIN does not hold.
	require.Equal(t, []string{
		"/registry/ip/108.45.128.208",
		"/registry/ip/108.000.000.000",
		"/registry/ip/108.0.0.0/10",
	}, r.arin.requests())
	require.Contains(t, n.ParentChainEnd, "not_found")
}

func TestIPParentChainViaParentHandle(t *testing.T) {
	r := newRegistries(t)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(readFixture(t, "synthetic/arin-ip-108.45.128.0-reseller.json"), &doc))
	links := doc["links"].([]any)
	doc["links"] = links[:1] // drop the "up" link, keep self
	noUp, err := json.Marshal(doc)
	require.NoError(t, err)
	r.arin.addIP(t, noUp)
	r.arin.addIP(t, readFixture(t, "arin/ip-108.45.128.208.json"))

	c, _ := r.client(t, nil)
	n, err := c.IP(context.Background(), netip.MustParseAddr("108.45.128.208"))
	require.NoError(t, err)
	require.Empty(t, n.UpLink)
	require.Len(t, n.Parents, 1)
	require.Equal(t, "NET-108-0-0-0-1", n.Parents[0].Handle)
	require.Equal(t, "abuse@verizon.net", n.Parents[0].Abuse.Email)
	require.Equal(t, []string{
		"/registry/ip/108.45.128.208",
		"/registry/ip/108.45.128.0/23", // smallest prefix above the /24
		"/registry/ip/108.0.0.0/10",
	}, r.arin.requests())

	// The chain is bounded by MaxParents.
	r2 := newRegistries(t)
	r2.arin.addIP(t, noUp)
	r2.arin.addIP(t, readFixture(t, "arin/ip-108.45.128.208.json"))
	c2, _ := r2.client(t, func(cfg *Config) { cfg.MaxParents = 1 })
	n, err = c2.IP(context.Background(), netip.MustParseAddr("108.45.128.1"))
	require.NoError(t, err)
	require.Len(t, n.Parents, 1)
	require.Empty(t, n.ParentChainEnd)
	require.Len(t, r2.arin.requests(), 2)
}

func TestIPParentChainAPNICUpLink(t *testing.T) {
	r := newRegistries(t)
	r.apnic.addIP(t, readFixture(t, "apnic/ip-2001_240_10c_1__ca20_9d1d.json"))
	c, _ := r.client(t, nil)
	n, err := c.IP(context.Background(), netip.MustParseAddr("2001:240:10c:1::ca20:9d1d"))
	require.NoError(t, err)
	require.Equal(t, "IIJ-JPNIC-JP-20000308", n.Name)
	// The document's up link (http://rdap.apnic.net/ip/2001:200::/23).
	require.Equal(t, []string{"/ip/2001:240:10c:1::ca20:9d1d", "/ip/2001:200::/23"}, r.apnic.requests())
	require.Empty(t, n.Parents)
	require.Contains(t, n.ParentChainEnd, "not_found")
}

func TestAutnum(t *testing.T) {
	r := newRegistries(t)
	r.arin.addAutnum(13335, 13335, readFixture(t, "arin/autnum-AS13335.json"))
	c, _ := r.client(t, nil)
	as, err := c.Autnum(context.Background(), 13335)
	require.NoError(t, err)
	require.Equal(t, uint32(13335), as.Number)
	require.Equal(t, "AS13335", as.Handle)
	require.Equal(t, "CLOUDFLARENET", as.Name)
	require.Equal(t, "Cloudflare, Inc.", as.Org)
	require.Equal(t, "abuse@cloudflare.com", as.Abuse.Email)
	require.Equal(t, "+1-650-319-8930", as.Abuse.Phone)
	require.Equal(t, r.arin.base()+"autnum/13335", as.Source)
	require.Equal(t, as.Source, as.Abuse.Source)

	_, err = c.Autnum(context.Background(), 13336)
	require.Equal(t, CodeNotFound, CodeOf(err))
}

// thinVerisignGoogle is the Verisign google.com answer without the abuse
// entity under the registrar (see testdata/SOURCES.md).
func thinVerisignGoogle(t *testing.T) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(readFixture(t, "verisign/domain-google.com.json"), &doc))
	reg := doc["entities"].([]any)[0].(map[string]any)
	reg["entities"] = []any{}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

func TestDomainThinRegistryThenRegistrar(t *testing.T) {
	t.Run("registry lacks the abuse contact", func(t *testing.T) {
		r := newRegistries(t)
		thin := thinVerisignGoogle(t)
		r.verisign.addDomain("google.com", thin)
		r.markmonitor.addDomain("google.com", readFixture(t, "markmonitor/domain-google.com.json"))
		c, _ := r.client(t, nil) // FollowRegistrarIfNeeded
		d, err := c.Domain(context.Background(), "Google.COM.")
		require.NoError(t, err)
		require.Equal(t, "google.com", d.Name)
		require.Equal(t, json.RawMessage(thin), d.Raw)
		require.Equal(t, r.verisign.base()+"domain/google.com", d.Source)
		require.NotNil(t, d.RegistrarRecord)
		require.Empty(t, d.RegistrarRecord.Error)
		require.Equal(t, r.markmonitor.base()+"domain/GOOGLE.COM", d.RegistrarRecord.Source)
		require.Equal(t, json.RawMessage(readFixture(t, "markmonitor/domain-google.com.json")), d.RegistrarRecord.Raw)
		require.Equal(t, "abusecomplaints@markmonitor.com", d.Abuse.Email)
		require.Equal(t, ConfidenceHigh, d.Abuse.Confidence)
		require.Equal(t, d.RegistrarRecord.Source, d.Abuse.Source)
		require.Equal(t, "entities[3].entities[0]", d.Abuse.Path)
		require.Equal(t, "abusecomplaints@markmonitor.com", d.Registrar.AbuseEmail)
		require.Equal(t, "+1.2086851750", d.Registrar.AbusePhone)
		require.Equal(t, "292", d.Registrar.IANAID)
		require.Equal(t, "Google LLC", d.Registrant)
		// Registry data stays authoritative for dates.
		require.Equal(t, time.Date(2028, 9, 14, 4, 0, 0, 0, time.UTC), d.Expires)
		require.Equal(t, []string{"/com/v1/domain/google.com"}, r.verisign.requests())
		require.Equal(t, []string{"/rdap/domain/GOOGLE.COM"}, r.markmonitor.requests())
	})
	t.Run("registry has it: not followed by default", func(t *testing.T) {
		r := newRegistries(t)
		r.verisign.addDomain("20c.com", readFixture(t, "verisign/domain-20c.com.json"))
		c, _ := r.client(t, nil)
		d, err := c.Domain(context.Background(), "20c.com")
		require.NoError(t, err)
		require.Nil(t, d.RegistrarRecord) // rdap.joker.com was not contacted
		require.Equal(t, "abuse@joker.com", d.Abuse.Email)
		require.Equal(t, "https://rdap.joker.com/domain/20C.COM", d.Registrar.RDAPURL)
	})
	t.Run("always follow", func(t *testing.T) {
		r := newRegistries(t)
		r.verisign.addDomain("google.com", readFixture(t, "verisign/domain-google.com.json"))
		r.markmonitor.addDomain("google.com", readFixture(t, "markmonitor/domain-google.com.json"))
		c, _ := r.client(t, func(cfg *Config) { cfg.FollowRegistrar = FollowRegistrarAlways })
		d, err := c.Domain(context.Background(), "google.com")
		require.NoError(t, err)
		require.NotNil(t, d.RegistrarRecord)
		require.Equal(t, "abusecomplaints@markmonitor.com", d.Abuse.Email)
		require.Equal(t, d.Source, d.Abuse.Source) // the registry's copy is kept
		require.Equal(t, "Google LLC", d.Registrant)
		require.Len(t, r.markmonitor.requests(), 1)
	})
	t.Run("registrar failure is recorded, not fatal", func(t *testing.T) {
		r := newRegistries(t)
		r.verisign.addDomain("google.com", thinVerisignGoogle(t))
		c, _ := r.client(t, nil)
		d, err := c.Domain(context.Background(), "google.com")
		require.NoError(t, err)
		require.NotNil(t, d.RegistrarRecord)
		require.Contains(t, d.RegistrarRecord.Error, "not_found")
		require.Nil(t, d.Abuse)
		require.Equal(t, "MarkMonitor Inc.", d.Registrar.Name)
	})
	t.Run("never follow", func(t *testing.T) {
		r := newRegistries(t)
		r.verisign.addDomain("google.com", thinVerisignGoogle(t))
		c, _ := r.client(t, func(cfg *Config) { cfg.FollowRegistrar = FollowRegistrarNever })
		d, err := c.Domain(context.Background(), "google.com")
		require.NoError(t, err)
		require.Nil(t, d.RegistrarRecord)
		require.Empty(t, r.markmonitor.requests())
	})
}

// Every domain fixture through the client.
func TestDomainAllFixtures(t *testing.T) {
	r := newRegistries(t)
	type dom struct {
		name, file string
		srv        *fakeRDAP
		registrar  string
	}
	doms := []dom{
		{"google.com", "verisign/domain-google.com.json", r.verisign, "MarkMonitor Inc."},
		{"20c.com", "verisign/domain-20c.com.json", r.verisign, "CSL Computer Service Langenbach GmbH d/b/a joker.com"},
		{"themarquetry.com", "verisign/domain-themarquetry.com.json", r.verisign, "Hosting Concepts B.V. d/b/a Registrar.eu"},
		{"bitcoin.org", "namecheap/domain-bitcoin.org.json", r.namecheap, "NAMECHEAP INC"},
		{"amazon.cyou", "comlaude/domain-amazon.cyou.json", r.comlaude, "NOM-IQ Ltd dba Com Laude"},
		{"bitcoin.top", "zdns/domain-bitcoin.top.json", r.zdns, "成都西维数码科技有限公司"},
		{"home.moscow", "flexireg/domain-home.moscow.json", r.flexireg, `Limited Liability Company "Registrar of domain names REG.RU"`},
		{"lemonde.fr", "afnic/domain-lemonde.fr.json", r.afnic, "NAMESHIELD"},
		{"example.cz", "nic.cz/domain-example.cz.json", r.niccz, ""},
		{"nic.cz", "nic.cz/domain-nic.cz.json", r.niccz, ""},
		{"139.6.0.193.in-addr.arpa", "ripe/domain-139.6.0.193.in-addr.arpa.json", r.ripe, ""},
	}
	for _, d := range doms {
		d.srv.addDomain(d.name, readFixture(t, d.file))
	}
	want := map[string]fixtureCase{}
	for _, tc := range fixtureCases {
		want[tc.file] = tc
	}
	c, _ := r.client(t, nil)
	for _, d := range doms {
		t.Run(d.name, func(t *testing.T) {
			info, err := c.Domain(context.Background(), d.name)
			require.NoError(t, err)
			require.Equal(t, json.RawMessage(readFixture(t, d.file)), info.Raw)
			require.Equal(t, d.registrar, info.Registrar.Name)
			tc := want[d.file]
			if tc.email == "" {
				require.Nil(t, info.Abuse)
			} else {
				require.Equal(t, tc.email, info.Abuse.Email)
				require.Equal(t, tc.conf, info.Abuse.Confidence)
			}
			require.Nil(t, info.RegistrarRecord)
		})
	}
}

func TestNoServer(t *testing.T) {
	r := newRegistries(t)
	c, _ := r.client(t, nil)
	// ccTLDs without an RDAP service in the bootstrap: fall back to WHOIS.
	for _, name := range []string{"google.de", "europa.eu", "google.ch", "google.io", "yandex.ru"} {
		_, err := c.Domain(context.Background(), name)
		require.Equal(t, CodeNoServer, CodeOf(err), name)
		require.ErrorIs(t, err, &Error{Code: CodeNoServer})
	}
	// An override with no URLs forces the fallback for a TLD that has RDAP.
	r.overrides["com"] = nil
	c2, _ := r.client(t, nil)
	_, err := c2.Domain(context.Background(), "google.com")
	require.Equal(t, CodeNoServer, CodeOf(err))
	require.Empty(t, r.verisign.requests())
	// Addresses outside every bootstrap prefix.
	_, err = c.IP(context.Background(), netip.MustParseAddr("fc00::1"))
	require.Equal(t, CodeNoServer, CodeOf(err))
}

func TestNotFound(t *testing.T) {
	r := newRegistries(t)
	r.ripe.addIP(t, readFixture(t, "ripe/ip-193.0.6.139.json"))
	c, _ := r.client(t, nil)
	_, err := c.IP(context.Background(), netip.MustParseAddr("193.0.100.1"))
	require.Error(t, err)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, CodeNotFound, e.Code)
	require.Equal(t, http.StatusNotFound, e.Status)
	require.Equal(t, "nameservers not found", e.Detail) // RIPE's error document
	require.Equal(t, readFixture(t, "ripe/error-404.json"), e.Raw)
	require.Equal(t, "193.0.100.1", e.Query)
	require.True(t, errors.Is(err, &Error{Code: CodeNotFound}))
}

func TestRateLimitedThenSuccess(t *testing.T) {
	r := newRegistries(t)
	r.arin.addIP(t, readFixture(t, "arin/ip-3.3.3.3.json"))
	r.arin.hook = func(w http.ResponseWriter, req *http.Request, n int) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	}
	c, slept := r.client(t, func(cfg *Config) { cfg.MaxParents = -1 })
	n, err := c.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
	require.NoError(t, err)
	require.Equal(t, "abuse@amazonaws.com", n.Abuse.Email)
	require.Equal(t, []time.Duration{2 * time.Second}, *slept) // Retry-After honoured
	require.Len(t, r.arin.requests(), 2)
}

func TestRateLimitedGivesUp(t *testing.T) {
	r := newRegistries(t)
	r.arin.hook = func(w http.ResponseWriter, req *http.Request, n int) bool {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
	c, slept := r.client(t, func(cfg *Config) { cfg.MaxRetries = 2 })
	_, err := c.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, CodeRateLimited, e.Code)
	require.Equal(t, time.Second, e.RetryAfter)
	require.Len(t, r.arin.requests(), 3)
	require.Equal(t, []time.Duration{time.Second, time.Second}, *slept)

	// A Retry-After beyond MaxRetryWait is not waited for.
	r2 := newRegistries(t)
	r2.arin.hook = func(w http.ResponseWriter, req *http.Request, n int) bool {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
	c2, slept2 := r2.client(t, func(cfg *Config) { cfg.MaxRetryWait = 30 * time.Second })
	_, err = c2.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
	require.ErrorAs(t, err, &e)
	require.Equal(t, CodeRateLimited, e.Code)
	require.Equal(t, time.Hour, e.RetryAfter)
	require.Empty(t, *slept2)
	require.Len(t, r2.arin.requests(), 1)
}

func TestServerErrorsBackOff(t *testing.T) {
	r := newRegistries(t)
	r.arin.addIP(t, readFixture(t, "arin/ip-3.3.3.3.json"))
	r.arin.hook = func(w http.ResponseWriter, req *http.Request, n int) bool {
		if n <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	c, slept := r.client(t, func(cfg *Config) { cfg.MaxParents = -1 })
	_, err := c.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
	require.NoError(t, err)
	require.Equal(t, []time.Duration{500 * time.Millisecond, time.Second}, *slept)

	r2 := newRegistries(t)
	r2.arin.hook = func(w http.ResponseWriter, req *http.Request, n int) bool {
		w.WriteHeader(http.StatusBadGateway)
		return true
	}
	c2, _ := r2.client(t, func(cfg *Config) { cfg.MaxRetries = 1 })
	_, err = c2.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
	require.Equal(t, CodeUnavailable, CodeOf(err))
	require.Len(t, r2.arin.requests(), 2)
}

func TestTimeout(t *testing.T) {
	r := newRegistries(t)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	r.arin.hook = func(w http.ResponseWriter, req *http.Request, n int) bool {
		select { // never answers
		case <-req.Context().Done():
		case <-release:
		}
		return true
	}
	c, _ := r.client(t, func(cfg *Config) { cfg.Timeout = 200 * time.Millisecond })
	_, err := c.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, CodeTimeout, e.Code)
	require.Equal(t, r.arin.base()+"ip/3.3.3.3", e.URL)
	require.Len(t, r.arin.requests(), 1) // timeouts are not retried
	once.Do(func() { close(release) })

	// The caller's deadline is reported as a timeout too.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r2 := newRegistries(t)
	release2 := make(chan struct{})
	t.Cleanup(func() { close(release2) })
	r2.arin.hook = func(w http.ResponseWriter, req *http.Request, n int) bool {
		select {
		case <-req.Context().Done():
		case <-release2:
		}
		return true
	}
	c2, _ := r2.client(t, nil)
	_, err = c2.IP(ctx, netip.MustParseAddr("3.3.3.3"))
	require.Equal(t, CodeTimeout, CodeOf(err))

	// A canceled context is reported as such.
	ctx3, cancel3 := context.WithCancel(context.Background())
	cancel3()
	_, err = c2.IP(ctx3, netip.MustParseAddr("3.3.3.3"))
	require.Equal(t, CodeCanceled, CodeOf(err))
}

func TestBadResponses(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   Code
		detail string
		limit  int64
	}{
		{"not JSON", 200, "<html>rate limit page</html>", CodeBadResponse, "not a JSON object", 0},
		{"wrong object", 200, string(mustRead(t, "arin/autnum-AS13335.json")), CodeBadResponse, `objectClassName "autnum"`, 0},
		{"APNIC 400 with string errorCode", 400, string(mustRead(t, "apnic/error-400.json")), CodeBadResponse, "Bad Request", 0},
		{"RIPE 501", 501, string(mustRead(t, "ripe/error-501.json")), CodeBadResponse, "Not Implemented", 0},
		{"error document with 200", 200, string(mustRead(t, "ripe/error-404.json")), CodeNotFound, "nameservers not found", 0},
		{"too large", 200, `{"objectClassName":"ip network","name":"` + strings.Repeat("x", 2048) + `"}`, CodeBadResponse, "larger than 1024 bytes", 1024},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegistries(t)
			r.arin.hook = func(w http.ResponseWriter, req *http.Request, n int) bool {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
				return true
			}
			c, _ := r.client(t, func(cfg *Config) { cfg.MaxBodyBytes = tc.limit })
			_, err := c.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
			require.Equal(t, tc.want, CodeOf(err), "%v", err)
			require.ErrorContains(t, err, tc.detail)
			require.Len(t, r.arin.requests(), 1)
		})
	}
}

func mustRead(t *testing.T, rel string) []byte { return readFixture(t, rel) }

func TestFallbackToNextServer(t *testing.T) {
	r := newRegistries(t)
	r.arin.addIP(t, readFixture(t, "arin/ip-3.3.3.3.json"))
	down := newFakeRDAP(t, "/")
	down.srv.Close() // connection refused
	r.overrides["3.0.0.0/8"] = []string{down.base(), r.arin.base()}
	c, slept := r.client(t, func(cfg *Config) { cfg.MaxRetries = -1; cfg.MaxParents = -1 })
	n, err := c.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
	require.NoError(t, err)
	require.Equal(t, r.arin.base()+"ip/3.3.3.3", n.Source)
	require.Empty(t, *slept)
}

func TestUserAgentAndAccept(t *testing.T) {
	r := newRegistries(t)
	r.arin.addIP(t, readFixture(t, "arin/ip-3.3.3.3.json"))
	var ua, accept string
	r.arin.hook = func(w http.ResponseWriter, req *http.Request, n int) bool {
		ua, accept = req.Header.Get("User-Agent"), req.Header.Get("Accept")
		return false
	}
	c, _ := r.client(t, func(cfg *Config) { cfg.UserAgent = "undox-test/1"; cfg.MaxParents = -1 })
	_, err := c.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
	require.NoError(t, err)
	require.Equal(t, "undox-test/1", ua)
	require.Contains(t, accept, "application/rdap+json")
}

func TestRateLimiterPerHost(t *testing.T) {
	r := newRegistries(t)
	r.arin.addIP(t, readFixture(t, "arin/ip-3.3.3.3.json"))
	c, _ := r.client(t, func(cfg *Config) { cfg.PerServerRate = 1000; cfg.MaxParents = -1 })
	for range 3 {
		_, err := c.IP(context.Background(), netip.MustParseAddr("3.3.3.3"))
		require.NoError(t, err)
	}
	require.Len(t, c.limiters, 1) // one limiter for the one host
}
