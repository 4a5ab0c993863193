package rdap

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEmbeddedBootstrap(t *testing.T) {
	b := DefaultBootstrap()
	for _, f := range BootstrapFiles {
		require.Equal(t, OriginEmbedded, b.Origin[f])
	}
	require.Equal(t, "2024-07-25T22:00:01Z", b.Publication[FileDNS])
	require.Equal(t, "2019-06-07T19:00:02Z", b.Publication[FileIPv4])
	require.Equal(t, "2019-11-06T19:00:04Z", b.Publication[FileIPv6])
	require.Equal(t, "2024-04-10T20:00:01Z", b.Publication[FileASN])

	urls, key := b.Domain("WWW.Google.com.")
	require.Equal(t, []string{"https://rdap.verisign.com/com/v1/"}, urls)
	require.Equal(t, "com", key)
	urls, _ = b.Domain("home.moscow")
	require.Equal(t, []string{"https://flexireg.net/moscow/rdap/"}, urls)
	for _, name := range []string{"google.de", "europa.eu", "google.ch", "google.io", "yandex.ru"} {
		urls, _ := b.Domain(name)
		require.Nil(t, urls, name)
	}

	urls, p := b.IP(netip.MustParseAddr("1.1.1.1"))
	require.Equal(t, []string{"https://rdap.apnic.net/"}, urls)
	require.Equal(t, netip.MustParsePrefix("1.0.0.0/8"), p)
	urls, _ = b.IP(netip.MustParseAddr("::ffff:3.3.3.3")) // mapped form
	require.Equal(t, []string{"https://rdap.arin.net/registry/", "http://rdap.arin.net/registry/"}, urls)
	urls, p = b.IP(netip.MustParseAddr("2a00:2381:ffff::1"))
	require.Equal(t, []string{"https://rdap.db.ripe.net/"}, urls)
	require.Equal(t, netip.MustParsePrefix("2a00::/12"), p)
	urls, _ = b.IP(netip.MustParseAddr("2001:43f8:7b0::"))
	require.Equal(t, "https://rdap.afrinic.net/rdap/", urls[0])
	urls, _ = b.IP(netip.MustParseAddr("10.0.0.1"))
	require.Nil(t, urls)

	urls, lo, hi := b.ASN(13335)
	require.Equal(t, "https://rdap.arin.net/registry/", urls[0])
	require.Equal(t, []uint32{13312, 15359}, []uint32{lo, hi})
	urls, _, _ = b.ASN(27648)
	require.Equal(t, []string{"https://rdap.lacnic.net/rdap/"}, urls)
	urls, _, _ = b.ASN(4200000000) // private use
	require.Nil(t, urls)
}

func TestBootstrapLongestMatch(t *testing.T) {
	b, err := ParseBootstrap(map[string][]byte{
		FileDNS:  []byte(`{"services":[[["uk"],["https://a.example/"]],[["co.uk"],["https://b.example"]]]}`),
		FileIPv4: []byte(`{"services":[[["10.0.0.0/8"],["https://a.example/"]],[["10.1.0.0/16"],["http://b.example/","https://b.example/"]]]}`),
		FileIPv6: []byte(`{"services":[[["2001:db8::/32"],["https://a.example/"]],[["2001:db8:1::/48"],["https://b.example/"]]]}`),
		FileASN:  []byte(`{"services":[[["1-100"],["https://a.example/"]],[["50-60"],["https://b.example/"]]]}`),
	})
	require.NoError(t, err)
	u, k := b.Domain("www.example.co.uk")
	require.Equal(t, []string{"https://b.example/"}, u) // "/" appended
	require.Equal(t, "co.uk", k)
	u, _ = b.Domain("example.uk")
	require.Equal(t, []string{"https://a.example/"}, u)
	u, _ = b.IP(netip.MustParseAddr("10.1.2.3"))
	require.Equal(t, []string{"https://b.example/", "http://b.example/"}, u) // https first
	u, _ = b.IP(netip.MustParseAddr("10.2.0.1"))
	require.Equal(t, []string{"https://a.example/"}, u)
	u, _ = b.IP(netip.MustParseAddr("2001:db8:1::1"))
	require.Equal(t, []string{"https://b.example/"}, u)
	u, _, _ = b.ASN(55)
	require.Equal(t, []string{"https://b.example/"}, u)
	u, _, _ = b.ASN(70)
	require.Equal(t, []string{"https://a.example/"}, u)

	_, err = ParseBootstrap(map[string][]byte{FileIPv4: []byte(`{"services":[[["not-a-prefix"],["https://a.example/"]]]}`)})
	require.Error(t, err)
	_, err = ParseBootstrap(map[string][]byte{FileASN: []byte(`{"services":[[["9-1"],["https://a.example/"]]]}`)})
	require.Error(t, err)
	_, err = ParseBootstrap(map[string][]byte{FileDNS: []byte(`{"services":[[["com"]]]}`)})
	require.Error(t, err)
}

func TestLoadBootstrapDir(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, FileDNS),
		[]byte(`{"publication":"2026-01-01T00:00:00Z","services":[[["de"],["https://rdap.denic.example/"]]]}`), 0o644))
	b, err := LoadBootstrap(dir)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, FileDNS), b.Origin[FileDNS])
	require.Equal(t, OriginEmbedded, b.Origin[FileIPv4]) // missing files come from the embedded copy
	require.Equal(t, "2026-01-01T00:00:00Z", b.Publication[FileDNS])
	u, _ := b.Domain("google.de")
	require.Equal(t, []string{"https://rdap.denic.example/"}, u)
	u, _ = b.Domain("google.com") // only the directory's dns.json is used
	require.Nil(t, u)
	u, _ = b.IP(netip.MustParseAddr("1.1.1.1"))
	require.Equal(t, []string{"https://rdap.apnic.net/"}, u)

	require.NoError(t, os.WriteFile(filepath.Join(dir, FileASN), []byte(`{not json`), 0o644))
	_, err = LoadBootstrap(dir)
	require.ErrorContains(t, err, "asn.json")
}

func TestRefreshBootstrap(t *testing.T) {
	var agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents = append(agents, r.Header.Get("User-Agent"))
		name, ok := strings.CutPrefix(r.URL.Path, "/rdap/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		data, err := embeddedBootstrap.ReadFile("bootstrap/" + name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()

	dir := filepath.Join(t.TempDir(), "bootstrap")
	b, err := RefreshBootstrap(ctx, dir, RefreshOptions{BaseURL: srv.URL + "/rdap", HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	for _, f := range BootstrapFiles {
		want, err := embeddedBootstrap.ReadFile("bootstrap/" + f)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		require.Equal(t, want, got, f)
		require.Equal(t, filepath.Join(dir, f), b.Origin[f])
	}
	require.Equal(t, []string{DefaultUserAgent, DefaultUserAgent, DefaultUserAgent, DefaultUserAgent}, agents)
	u, _ := b.Domain("google.com")
	require.Equal(t, []string{"https://rdap.verisign.com/com/v1/"}, u)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 4) // no temporary files left

	// One file failing: nothing is written.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, FileASN) {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		data, _ := embeddedBootstrap.ReadFile("bootstrap/" + filepath.Base(r.URL.Path))
		_, _ = w.Write(data)
	}))
	t.Cleanup(bad.Close)
	dir2 := filepath.Join(t.TempDir(), "b2")
	_, err = RefreshBootstrap(ctx, dir2, RefreshOptions{BaseURL: bad.URL + "/", HTTPClient: loopbackClient(t)})
	require.ErrorContains(t, err, "HTTP 500")
	_, statErr := os.Stat(dir2)
	require.True(t, os.IsNotExist(statErr))

	// A file that is JSON but lists no services is rejected.
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"services":[]}`))
	}))
	t.Cleanup(empty.Close)
	_, err = RefreshBootstrap(ctx, dir2, RefreshOptions{BaseURL: empty.URL, HTTPClient: loopbackClient(t)})
	require.ErrorContains(t, err, "no services")
}

func TestOverrides(t *testing.T) {
	boot := DefaultBootstrap()
	r, err := newResolver(boot, map[string][]string{
		"*":                               {"https://all.example/"},
		".co.uk":                          {"https://couk.example"},
		"de":                              {"https://de.example/"},
		"192.0.2.0/24":                    {"https://doc.example/"},
		"2001:db8::/32":                   {"https://doc6.example/"},
		"AS64496-AS64511":                 {"https://asn.example/"},
		"13335":                           {"https://cf.example/"},
		"eu":                              {},
		"https://rdap.arin.net/registry/": {"http://127.0.0.1:1/arin/"},
		"https://rdap.arin.net/":          {"http://127.0.0.1:2/"},
	})
	require.NoError(t, err)
	require.Equal(t, []string{"https://couk.example/"}, r.domain("www.example.co.uk"))
	require.Equal(t, []string{"https://de.example/"}, r.domain("google.de"))
	require.Equal(t, []string{"https://all.example/"}, r.domain("google.com")) // "*" before the bootstrap
	require.Empty(t, r.domain("europa.eu"))
	require.Equal(t, []string{"https://doc.example/"}, r.ip(netip.MustParseAddr("192.0.2.7")))
	require.Equal(t, []string{"https://doc6.example/"}, r.ip(netip.MustParseAddr("2001:db8::1")))
	require.Equal(t, []string{"https://all.example/"}, r.ip(netip.MustParseAddr("3.3.3.3")))
	require.Equal(t, []string{"https://asn.example/"}, r.asn(64500))
	require.Equal(t, []string{"https://cf.example/"}, r.asn(13335))
	require.Equal(t, []string{"https://all.example/"}, r.asn(2914))
	// Longest URL prefix wins; case-insensitive on the prefix.
	require.Equal(t, "http://127.0.0.1:1/arin/ip/3.3.3.3", r.rewrite("HTTPS://rdap.arin.net/registry/ip/3.3.3.3"))
	require.Equal(t, "http://127.0.0.1:2/other", r.rewrite("https://rdap.arin.net/other"))
	require.Equal(t, "https://rdap.db.ripe.net/ip/1", r.rewrite("https://rdap.db.ripe.net/ip/1"))

	// Without "*", the bootstrap answers.
	r, err = newResolver(boot, map[string][]string{"de": {"https://de.example/"}})
	require.NoError(t, err)
	require.Equal(t, []string{"https://rdap.verisign.com/com/v1/"}, r.domain("google.com"))
	u := r.ip(netip.MustParseAddr("193.0.6.139"))
	require.Equal(t, []string{"https://rdap.db.ripe.net/"}, u)

	for _, bad := range []map[string][]string{
		{"300.0.0.0/8": {"https://x.example/"}},
		{"AS99999999999": {"https://x.example/"}},
		{"https://rdap.arin.net/": nil},
	} {
		_, err := New(Config{Overrides: bad})
		require.Error(t, err, "%v", bad)
	}
}

func TestErrorType(t *testing.T) {
	e := &Error{Code: CodeRateLimited, Query: "3.3.3.3", URL: "https://rdap.arin.net/registry/ip/3.3.3.3", Status: 429, Detail: "slow down"}
	require.Equal(t, "rdap: rate_limited for 3.3.3.3 (https://rdap.arin.net/registry/ip/3.3.3.3): HTTP 429: slow down", e.Error())
	require.ErrorIs(t, e, &Error{Code: CodeRateLimited})
	require.NotErrorIs(t, e, &Error{Code: CodeNotFound})
	require.Equal(t, Code(""), CodeOf(context.Canceled))
}

func TestParseRetryAfter(t *testing.T) {
	now := mustTime(t, "Wed, 21 Oct 2015 07:28:00 GMT")
	d, ok := parseRetryAfter("120", now)
	require.True(t, ok)
	require.Equal(t, "2m0s", d.String())
	d, ok = parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now)
	require.True(t, ok)
	require.Equal(t, "30s", d.String())
	_, ok = parseRetryAfter("soon", now)
	require.False(t, ok)
	_, ok = parseRetryAfter("", now)
	require.False(t, ok)
}
