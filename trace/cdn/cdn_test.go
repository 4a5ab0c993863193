package cdn

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func ips(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func slugs(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Slug)
	}
	return out
}

func detectAddr(d *Detector, a string) *Match {
	return d.Detect(Signals{Addrs: ips(a)})
}

func TestDefaultData(t *testing.T) {
	d := Default()
	info := d.Info()
	require.Equal(t, "2026-11-27", info.Updated)
	require.Equal(t, 15, info.Providers)
	require.Equal(t, 966, info.Prefixes4)
	require.Equal(t, 363, info.Prefixes6)
	require.Len(t, info.Sources, 8)
	require.Empty(t, info.Path)
	require.Positive(t, info.Segments)
	t.Logf("%d prefixes in %d lookup segments", info.Prefixes4+info.Prefixes6, info.Segments)
	for _, s := range info.Sources {
		require.NotEmpty(t, s.Origin, s.ID)
		require.NotEmpty(t, s.AsOf, s.ID)
	}
	p, ok := d.Provider("cloudflare")
	require.True(t, ok)
	require.Equal(t, "https://abuse.cloudflare.com", p.Abuse.URL)
	_, ok = d.Provider("nope")
	require.False(t, ok)
}

// readList reads a fixture list of prefixes, one a line.
func readList(t *testing.T, name string) []netip.Prefix {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	var out []netip.Prefix
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, netip.MustParsePrefix(line))
		}
	}
	require.NoError(t, sc.Err())
	return out
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}

// fixturePrefixes returns every prefix of the provider's own published lists.
func fixturePrefixes(t *testing.T) map[string][]netip.Prefix {
	out := map[string][]netip.Prefix{}
	out["cloudflare"] = append(readList(t, "cloudflare-ips-v4.txt"), readList(t, "cloudflare-ips-v6.txt")...)
	var aws struct {
		Prefixes []struct {
			IPPrefix string `json:"ip_prefix"`
		} `json:"prefixes"`
		IPv6Prefixes []struct {
			IPv6Prefix string `json:"ipv6_prefix"`
		} `json:"ipv6_prefixes"`
	}
	readJSON(t, "aws-ip-ranges-cloudfront.json", &aws)
	for _, p := range aws.Prefixes {
		out["cloudfront"] = append(out["cloudfront"], netip.MustParsePrefix(p.IPPrefix))
	}
	for _, p := range aws.IPv6Prefixes {
		out["cloudfront"] = append(out["cloudfront"], netip.MustParsePrefix(p.IPv6Prefix))
	}
	var fastly struct {
		Addresses     []string `json:"addresses"`
		IPv6Addresses []string `json:"ipv6_addresses"`
	}
	readJSON(t, "fastly-public-ip-list.json", &fastly)
	for _, s := range append(fastly.Addresses, fastly.IPv6Addresses...) {
		out["fastly"] = append(out["fastly"], netip.MustParsePrefix(s))
	}
	return out
}

// naive returns the providers whose ranges in the embedded data hold a, by
// looking at every prefix.
type naive []struct {
	slug string
	p    netip.Prefix
}

func newNaive(t *testing.T) naive {
	d, err := ParseData(embedded)
	require.NoError(t, err)
	var n naive
	for _, p := range d.Providers {
		for _, r := range p.Ranges {
			for _, s := range r.Prefixes {
				n = append(n, struct {
					slug string
					p    netip.Prefix
				}{p.Slug, netip.MustParsePrefix(s)})
			}
		}
	}
	return n
}

func (n naive) providers(a netip.Addr) []string {
	var out []string
	for _, e := range n {
		if e.p.Contains(a) && !slices.Contains(out, e.slug) {
			out = append(out, e.slug)
		}
	}
	slices.Sort(out)
	return out
}

func addrProviders(d *Detector, a netip.Addr) []string {
	out := slugs(d.DetectAll(Signals{Addrs: []netip.Addr{a}}))
	slices.Sort(out)
	return out
}

func TestPublishedRangesMatch(t *testing.T) {
	d := Default()
	n := newNaive(t)
	lists := fixturePrefixes(t)
	total := 0
	for slug, pfxs := range lists {
		for _, p := range pfxs {
			total++
			first, last := p.Addr(), lastAddr(p)
			for _, a := range []netip.Addr{first, last} {
				m := detectAddr(d, a.String())
				require.NotNil(t, m, "%s (%s)", a, p)
				require.Equal(t, slug, m.Slug, "%s (%s)", a, p)
				require.Equal(t, ConfidenceHigh, m.Confidence, "%s", a)
				require.Equal(t, []string{SignalAddress}, m.Signals)
				require.Contains(t, m.Evidence[0], "the provider's own list")
			}
			// The neighbours just outside match only if another prefix
			// holds them (adjacent lists); compare with a plain scan.
			for _, a := range []netip.Addr{first.Prev(), last.Next()} {
				if a.IsValid() {
					require.Equal(t, n.providers(a), addrProviders(d, a), "neighbour %s of %s", a, p)
				}
			}
		}
	}
	require.Equal(t, 22+243+21, total)
}

func TestAddressExamples(t *testing.T) {
	d := Default()
	cases := []struct {
		addr, slug, confidence string
	}{
		{"104.16.132.229", "cloudflare", ConfidenceHigh},
		{"172.67.1.1", "cloudflare", ConfidenceHigh},
		{"2606:4700:3033::ac43:1", "cloudflare", ConfidenceHigh},
		{"::ffff:104.16.0.1", "cloudflare", ConfidenceHigh},
		{"13.32.0.1", "cloudfront", ConfidenceHigh},
		{"2600:9000:3000::1", "cloudfront", ConfidenceHigh},
		{"151.101.1.140", "fastly", ConfidenceHigh},
		{"2a04:4e42::81", "fastly", ConfidenceHigh},
		// Only in third-party (cdncheck) lists: one weaker signal.
		{"45.60.12.34", "imperva", ConfidenceMedium},
		{"8.42.51.7", "cloudflare", ConfidenceMedium},
	}
	for _, c := range cases {
		m := detectAddr(d, c.addr)
		require.NotNil(t, m, c.addr)
		require.Equal(t, c.slug, m.Slug, c.addr)
		require.Equal(t, c.confidence, m.Confidence, c.addr)
	}
	m := detectAddr(d, "8.42.51.7")
	require.Equal(t, []string{"address 8.42.51.7 in 8.42.51.0/24 (cdncheck-cloudflare, third-party list)"}, m.Evidence)
	m = detectAddr(d, "104.16.132.229")
	require.Equal(t, []string{"address 104.16.132.229 in 104.16.0.0/13 (cloudflare-ips-v4, the provider's own list)"}, m.Evidence)

	// Just outside the lists.
	for _, a := range []string{"173.245.47.255", "173.245.64.0", "151.100.255.255", "151.102.0.0", "2a04:4e41:ffff:ffff:ffff:ffff:ffff:ffff", "127.0.0.1", "::1", "10.0.0.1"} {
		require.Nil(t, detectAddr(d, a), a)
	}
	require.Nil(t, d.Detect(Signals{}))
	require.Nil(t, d.Detect(Signals{Addrs: []netip.Addr{{}}}))
}

func TestRandomAddressesAgreeWithPlainScan(t *testing.T) {
	d := Default()
	n := newNaive(t)
	r := rand.New(rand.NewPCG(3, 4))
	var prefixes []netip.Prefix
	for _, e := range n {
		prefixes = append(prefixes, e.p)
	}
	for range 5000 {
		// Addresses near the edges of known prefixes, and anywhere.
		p := prefixes[r.IntN(len(prefixes))]
		var a netip.Addr
		switch r.IntN(3) {
		case 0:
			a = p.Addr().Prev()
		case 1:
			a = lastAddr(p).Next()
		default:
			b := p.Addr().AsSlice()
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			a, _ = netip.AddrFromSlice(b)
		}
		if !a.IsValid() {
			continue
		}
		require.Equal(t, n.providers(a), addrProviders(d, a), "%s", a)
	}
}

func TestHeaderOnly(t *testing.T) {
	d := Default()
	cases := []struct {
		headers http.Header
		slug    string
	}{
		{http.Header{"Cf-Ray": {"8a1b2c3d4e5f6789-FRA"}}, "cloudflare"},
		{http.Header{"Server": {"cloudflare"}}, "cloudflare"},
		{http.Header{"X-Amz-Cf-Id": {"abc=="}, "Via": {"1.1 0123abcd.cloudfront.net (CloudFront)"}}, "cloudfront"},
		{http.Header{"X-Served-By": {"cache-fra-eddf8230071-FRA"}}, "fastly"},
		{http.Header{"X-Sucuri-Id": {"18015"}}, "sucuri"},
		{http.Header{"Server": {"Sucuri/Cloudproxy"}}, "sucuri"},
		{http.Header{"Server": {"ddos-guard"}}, "ddos-guard"},
		{http.Header{"Set-Cookie": {"__ddg1_=abcdef; Domain=.example.test; Path=/"}}, "ddos-guard"},
		{http.Header{"X-Iinfo": {"9-1234567-0 0NNN RT(1 2) q(0 -1 -1 -1) r(0 -1)"}}, "imperva"},
		{http.Header{"X-Cdn": {"Imperva"}}, "imperva"},
		{http.Header{"Server": {"AkamaiGHost"}}, "akamai"},
		{http.Header{"Akamai-Grn": {"0.1234.5678"}}, "akamai"},
		{http.Header{"Server": {"BunnyCDN-DE1-1234"}}, "bunny"},
		{http.Header{"X-Azure-Ref": {"0abc"}}, "azure-front-door"},
		{http.Header{"Via": {"1.1 google"}}, "google-cloud"},
		{http.Header{"Server": {"QRATOR"}}, "qrator"},
		{http.Header{"Server": {"ECS (dcb/7F83)"}}, "edgio"},
	}
	for _, c := range cases {
		m := d.Detect(Signals{Headers: c.headers})
		require.NotNil(t, m, "%v", c.headers)
		require.Equal(t, c.slug, m.Slug, "%v", c.headers)
		require.Equal(t, ConfidenceMedium, m.Confidence, "%v", c.headers)
		require.Equal(t, []string{SignalHeader}, m.Signals)
	}
	// Several headers of one response are still one kind of signal.
	m := d.Detect(Signals{Headers: http.Header{"Cf-Ray": {"x"}, "Server": {"cloudflare"}, "Cf-Cache-Status": {"HIT"}}})
	require.Equal(t, ConfidenceMedium, m.Confidence)
	require.Len(t, m.Evidence, 3)
	require.Contains(t, m.Evidence, "header server: cloudflare")

	// Header names in any case (a map built by hand).
	m = d.Detect(Signals{Headers: http.Header{"cf-ray": {"x"}, "SERVER": {"Cloudflare"}}})
	require.Equal(t, "cloudflare", m.Slug)
	require.ElementsMatch(t, []string{"header server: Cloudflare", "header cf-ray"}, m.Evidence)

	// The cookie's value is not repeated in the evidence.
	m = d.Detect(Signals{Headers: http.Header{"Set-Cookie": {"__ddg1_=secretvalue"}}})
	require.NotContains(t, strings.Join(m.Evidence, " "), "secretvalue")

	// Look-alikes do not match.
	for _, h := range []http.Header{
		{"Server": {"nginx"}},
		{"Server": {"cloudflare-nginx-lookalike"}},
		{"Via": {"1.1 varnish"}},
		{"X-Served-By": {"web-1"}},
	} {
		require.Nil(t, d.Detect(Signals{Headers: h}), "%v", h)
	}
}

func TestCNAMEOnly(t *testing.T) {
	d := Default()
	cases := map[string]string{
		"www.example.com.cdn.cloudflare.net.": "cloudflare",
		"d111111abcdef8.cloudfront.net":       "cloudfront",
		"example.map.fastly.net":              "fastly",
		"www.example.com.edgekey.net":         "akamai",
		"e1234.a.akamaiedge.net":              "akamai",
		"abcd1.x.incapdns.net":                "imperva",
		"example.b-cdn.net":                   "bunny",
		"example.azurefd.net":                 "azure-front-door",
		"EXAMPLE.Edgesuite.NET":               "akamai",
		"cl-1234.gcdn.co":                     "gcore",
	}
	for name, slug := range cases {
		m := d.Detect(Signals{CNAMEs: []string{name}})
		require.NotNil(t, m, name)
		require.Equal(t, slug, m.Slug, name)
		require.Equal(t, ConfidenceMedium, m.Confidence, name)
		require.Equal(t, []string{SignalCNAME}, m.Signals)
	}
	for _, name := range []string{"notcloudfront.net", "cloudfront.net.example.test", "www.example.test", ""} {
		require.Nil(t, d.Detect(Signals{CNAMEs: []string{name}}), name)
	}
}

func TestSignalsTogether(t *testing.T) {
	d := Default()
	// CNAME and header agree: high.
	m := d.Detect(Signals{
		CNAMEs:  []string{"d111111abcdef8.cloudfront.net"},
		Headers: http.Header{"X-Amz-Cf-Pop": {"FRA56-P1"}},
	})
	require.Equal(t, "cloudfront", m.Slug)
	require.Equal(t, ConfidenceHigh, m.Confidence)
	require.Equal(t, []string{SignalCNAME, SignalHeader}, m.Signals)

	// AS number and RDAP organisation agree: high.
	m = d.Detect(Signals{ASNs: []uint32{13335}, Orgs: []string{"Cloudflare, Inc."}})
	require.Equal(t, "cloudflare", m.Slug)
	require.Equal(t, ConfidenceHigh, m.Confidence)
	require.Equal(t, []string{SignalASN, SignalOrg}, m.Signals)
	require.Contains(t, m.Evidence, `RDAP organisation "Cloudflare, Inc."`)

	// One of them alone: medium.
	m = d.Detect(Signals{ASNs: []uint32{57724}})
	require.Equal(t, "ddos-guard", m.Slug)
	require.Equal(t, ConfidenceMedium, m.Confidence)
	m = d.Detect(Signals{Orgs: []string{"DDOS-GUARD LTD"}})
	require.Equal(t, "ddos-guard", m.Slug)
	m = d.Detect(Signals{Orgs: []string{"Akamai International B.V."}})
	require.Equal(t, "akamai", m.Slug)
	m = d.Detect(Signals{Orgs: []string{"CLOUDFLARENET"}})
	require.Equal(t, "cloudflare", m.Slug)
	require.Nil(t, d.Detect(Signals{Orgs: []string{"Hetzner Online GmbH"}}))
	require.Nil(t, d.Detect(Signals{Orgs: []string{"Cloudflarish Hosting"}}))

	// AS16509 is all of AWS: alone (or with Amazon as RDAP holder) it is
	// no CloudFront signal...
	require.Nil(t, d.Detect(Signals{ASNs: []uint32{16509}}))
	require.Nil(t, d.Detect(Signals{ASNs: []uint32{16509}, Orgs: []string{"Amazon.com, Inc."}}))
	require.Nil(t, d.Detect(Signals{ASNs: []uint32{15169}, Orgs: []string{"Google LLC"}}))
	// ...but it counts with a CloudFront range.
	m = d.Detect(Signals{Addrs: ips("13.32.0.1"), ASNs: []uint32{16509}, Orgs: []string{"Amazon Technologies Inc."}})
	require.Equal(t, "cloudfront", m.Slug)
	require.Equal(t, ConfidenceHigh, m.Confidence)
	require.Equal(t, []string{SignalAddress, SignalASN, SignalOrg}, m.Signals)
	require.Contains(t, m.Evidence, "AS16509 (shared with the provider's other services)")

	// A third-party range plus a header: high.
	m = d.Detect(Signals{Addrs: ips("45.60.12.34"), Headers: http.Header{"X-Iinfo": {"1"}}})
	require.Equal(t, "imperva", m.Slug)
	require.Equal(t, ConfidenceHigh, m.Confidence)

	// Abuse channel from the data file, marked as overridable.
	m = d.Detect(Signals{Addrs: ips("104.16.0.1")})
	require.Equal(t, "https://abuse.cloudflare.com", m.AbuseURL)
	require.Empty(t, m.AbuseEmail)
	require.Contains(t, m.AbuseNote, "analysts may override")
	m = d.Detect(Signals{Addrs: ips("13.32.0.1")})
	require.Equal(t, "abuse@amazonaws.com", m.AbuseEmail)

	// Two providers: the stronger first.
	all := d.DetectAll(Signals{
		Addrs:   ips("151.101.1.140"),
		Headers: http.Header{"Cf-Ray": {"x"}},
	})
	require.Equal(t, []string{"fastly", "cloudflare"}, slugs(all))
	require.Equal(t, ConfidenceHigh, all[0].Confidence)
	require.Equal(t, ConfidenceMedium, all[1].Confidence)
}

func TestSegmentsNested(t *testing.T) {
	d, err := New(&Data{
		Format:  DataFormat,
		Updated: "2026-11-27",
		Sources: []Source{{ID: "a-own", Provider: "a", Official: true}, {ID: "b-list", Provider: "b"}, {ID: "a-list", Provider: "a"}},
		Providers: []Provider{
			{Slug: "a", Name: "A", Ranges: []Ranges{
				{Source: "a-own", Prefixes: []string{"10.0.0.0/8", "255.255.255.0/24", "ffff::/16"}},
				{Source: "a-list", Prefixes: []string{"10.1.2.0/24", "0.0.0.0/32"}},
			}},
			{Slug: "b", Name: "B", Ranges: []Ranges{{Source: "b-list", Prefixes: []string{"10.1.0.0/16", "10.1.2.128/25"}}}},
		},
	})
	require.NoError(t, err)
	cases := map[string][]string{
		"0.0.0.0":         {"a"},
		"0.0.0.1":         nil,
		"9.255.255.255":   nil,
		"10.0.0.0":        {"a"},
		"10.0.255.255":    {"a"},
		"10.1.0.0":        {"a", "b"},
		"10.1.2.3":        {"a", "b"},
		"10.1.2.200":      {"a", "b"},
		"10.1.255.255":    {"a", "b"},
		"10.2.0.0":        {"a"},
		"10.255.255.255":  {"a"},
		"11.0.0.0":        nil,
		"255.255.254.255": nil,
		"255.255.255.0":   {"a"},
		"255.255.255.255": {"a"},
		"fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff": nil,
		"ffff::": {"a"},
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": {"a"},
	}
	for a, want := range cases {
		require.Equal(t, want, addrProviders(d, netip.MustParseAddr(a)), a)
	}
	// In 10.1.2.0/24 provider a has a third-party prefix, but its own list's
	// 10.0.0.0/8 is what the evidence names.
	m := d.DetectAll(Signals{Addrs: ips("10.1.2.3")})
	require.Equal(t, "a", m[0].Slug)
	require.Equal(t, ConfidenceHigh, m[0].Confidence)
	require.Equal(t, []string{"address 10.1.2.3 in 10.0.0.0/8 (a-own, the provider's own list)"}, m[0].Evidence)
	require.Equal(t, ConfidenceMedium, m[1].Confidence)
	require.Equal(t, []string{"address 10.1.2.200 in 10.1.2.128/25 (b-list, third-party list)"}, d.DetectAll(Signals{Addrs: ips("10.1.2.200")})[1].Evidence)
}

func TestLoadUpdatedData(t *testing.T) {
	d := Default()
	other := Default()
	require.NoError(t, d.Load(filepath.Join("testdata", "cdn-update.json")))
	info := d.Info()
	require.Equal(t, "2027-01-15", info.Updated)
	require.Equal(t, filepath.Join("testdata", "cdn-update.json"), info.Path)
	require.Equal(t, 2, info.Providers)
	require.Equal(t, 2, info.Prefixes4)
	require.Equal(t, 1, info.Prefixes6)

	m := detectAddr(d, "198.51.100.7")
	require.Equal(t, "cloudflare", m.Slug)
	require.Equal(t, ConfidenceHigh, m.Confidence)
	require.Equal(t, "https://abuse.example/cloudflare", m.AbuseURL)
	require.Contains(t, m.AbuseNote, "overridden by an analyst")
	// The new file replaces the old data: the embedded ranges are gone.
	require.Nil(t, detectAddr(d, "104.16.0.1"))
	m = d.Detect(Signals{Addrs: ips("2001:db8::1"), CNAMEs: []string{"site.edge.example"}})
	require.Equal(t, "example-edge", m.Slug)
	require.Equal(t, ConfidenceHigh, m.Confidence)
	require.Equal(t, "abuse@edge.example", m.AbuseEmail)

	// Other detectors keep the embedded data.
	require.Equal(t, "cloudflare", detectAddr(other, "104.16.0.1").Slug)
	require.Equal(t, "cloudflare", detectAddr(Default(), "104.16.0.1").Slug)

	// A bad file is refused and the data in use stays.
	dir := t.TempDir()
	bad := map[string]string{
		"syntax.json":   `{"format": 1,`,
		"format.json":   `{"format": 2, "sources": [], "providers": []}`,
		"prefix.json":   `{"format": 1, "sources": [{"id": "s"}], "providers": [{"slug": "x", "name": "X", "ranges": [{"source": "s", "prefixes": ["300.0.0.0/8"]}]}]}`,
		"source.json":   `{"format": 1, "sources": [], "providers": [{"slug": "x", "name": "X", "ranges": [{"source": "s", "prefixes": []}]}]}`,
		"slug.json":     `{"format": 1, "sources": [], "providers": [{"slug": "x", "name": "X"}, {"slug": "x", "name": "Y"}]}`,
		"unknown.json":  `{"format": 1, "sources": [], "providers": [], "extra": true}`,
		"noheader.json": `{"format": 1, "sources": [], "providers": [{"slug": "x", "name": "X", "headers": [{"equals": "y"}]}]}`,
	}
	for name, content := range bad {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		require.Error(t, d.Load(path), name)
	}
	require.Error(t, d.Load(filepath.Join(dir, "missing.json")))
	require.Equal(t, "2027-01-15", d.Info().Updated)
	require.Equal(t, "cloudflare", detectAddr(d, "198.51.100.7").Slug)
}

func TestLoadWhileDetecting(t *testing.T) {
	d := Default()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				m := d.Detect(Signals{Addrs: ips("104.16.0.1", "198.51.100.7")})
				if m == nil || m.Slug != "cloudflare" {
					panic("no match while loading")
				}
			}
		})
	}
	for range 20 {
		require.NoError(t, d.Load(filepath.Join("testdata", "cdn-update.json")))
	}
	wg.Wait()
}

func TestNormOrg(t *testing.T) {
	require.Equal(t, "ddos guard ltd", normOrg("DDOS-GUARD LTD"))
	require.Equal(t, "cloudflare inc", normOrg("  Cloudflare, Inc. "))
	require.Equal(t, "", normOrg("--"))
}

func BenchmarkDetect(b *testing.B) {
	d := Default()
	info := d.Info()
	s := Signals{
		Addrs:   ips("104.16.132.229", "2606:4700::6810:84e5"),
		ASNs:    []uint32{13335},
		Orgs:    []string{"Cloudflare, Inc."},
		CNAMEs:  []string{"www.example.com.cdn.cloudflare.net"},
		Headers: http.Header{"Server": {"cloudflare"}, "Cf-Ray": {"8a1b2c3d4e5f6789-FRA"}, "Content-Type": {"text/html"}},
	}
	for b.Loop() {
		if m := d.Detect(s); m == nil || m.Confidence != ConfidenceHigh {
			b.Fatal("no match")
		}
	}
	b.ReportMetric(float64(info.Prefixes4+info.Prefixes6), "prefixes")
}

func BenchmarkDetectAddressMiss(b *testing.B) {
	d := Default()
	s := Signals{Addrs: ips("192.0.2.1", "2001:db8::1")}
	for b.Loop() {
		if d.Detect(s) != nil {
			b.Fatal("match")
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	t := Default().t.Load()
	r := rand.New(rand.NewPCG(1, 2))
	addrs := make([]netip.Addr, 4096)
	for i := range addrs {
		var x [4]byte
		for j := range x {
			x[j] = byte(r.Uint32())
		}
		addrs[i] = netip.AddrFrom4(x)
	}
	for i := 0; b.Loop(); i++ {
		t.lookup(addrs[i%len(addrs)])
	}
	b.ReportMetric(float64(len(t.v4)+len(t.v6)), "segments")
}
