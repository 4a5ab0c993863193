package rdap

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// readFixture returns testdata/<rel>.
func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(rel)))
	require.NoError(t, err)
	return b
}

// loopbackClient is an *http.Client whose dialer refuses (and fails the
// test on) anything but loopback addresses, so a missing override can never
// reach the Internet.
func loopbackClient(t testing.TB) *http.Client {
	t.Helper()
	d := &net.Dialer{}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || !ip.IsLoopback() {
				t.Errorf("test tried to connect to non-loopback address %q", addr)
				return nil, fmt.Errorf("blocked non-loopback dial to %s", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

type ipDoc struct {
	start, end netip.Addr
	body       []byte
}

// fakeRDAP is a loopback RDAP server for one registry. It serves:
// ip/<addr> and ip/<prefix> with the most specific loaded network that
// contains the query (as RIR servers do), autnum/<n> by range, domain/<name>
// by name; 404 otherwise (unless redirect says where the resource lives).
type fakeRDAP struct {
	t      testing.TB
	srv    *httptest.Server
	prefix string // path prefix, e.g. "/registry/"

	mu      sync.Mutex
	ips     []ipDoc
	autnums []struct {
		lo, hi uint32
		body   []byte
	}
	domains  map[string][]byte
	notFound []byte
	// redirect maps prefixes to another registry's base URL: ARIN
	// answers 302 for address space it does not hold.
	redirect map[netip.Prefix]string
	// hook, if set, may answer a request itself (return true).
	hook func(w http.ResponseWriter, r *http.Request, n int) bool
	hits []string
}

func newFakeRDAP(t testing.TB, prefix string) *fakeRDAP {
	t.Helper()
	f := &fakeRDAP{t: t, prefix: prefix, domains: map[string][]byte{}, redirect: map[netip.Prefix]string{}}
	f.notFound = []byte(`{"rdapConformance":["rdap_level_0"],"errorCode":404,"title":"Not Found"}`)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// base is the loopback base URL, ending in "/".
func (f *fakeRDAP) base() string { return f.srv.URL + f.prefix }

func (f *fakeRDAP) addIP(t testing.TB, body []byte) {
	t.Helper()
	var m struct{ StartAddress, EndAddress string }
	require.NoError(t, json.Unmarshal(body, &m))
	s, e := parseLooseAddr(m.StartAddress), parseLooseAddr(m.EndAddress)
	require.True(t, s.IsValid() && e.IsValid(), "fixture without a usable range")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ips = append(f.ips, ipDoc{start: s, end: e, body: body})
}

func (f *fakeRDAP) addAutnum(lo, hi uint32, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.autnums = append(f.autnums, struct {
		lo, hi uint32
		body   []byte
	}{lo, hi, body})
}

func (f *fakeRDAP) addDomain(name string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.domains[strings.ToLower(name)] = body
}

func (f *fakeRDAP) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.hits...)
}

func (f *fakeRDAP) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits = append(f.hits, r.URL.Path)
	n := len(f.hits)
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && hook(w, r, n) {
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, f.prefix)
	if !ok {
		f.write(w, http.StatusNotFound, f.notFound)
		return
	}
	kind, q, _ := strings.Cut(path, "/")
	switch kind {
	case "ip":
		f.serveIP(w, q)
		return
	case "autnum":
		if n, err := strconv.ParseUint(q, 10, 32); err == nil {
			f.mu.Lock()
			defer f.mu.Unlock()
			for _, a := range f.autnums {
				if uint32(n) >= a.lo && uint32(n) <= a.hi {
					f.write(w, http.StatusOK, a.body)
					return
				}
			}
		}
	case "domain":
		f.mu.Lock()
		body, ok := f.domains[strings.ToLower(strings.TrimSuffix(q, "."))]
		f.mu.Unlock()
		if ok {
			f.write(w, http.StatusOK, body)
			return
		}
	}
	f.write(w, http.StatusNotFound, f.notFound)
}

func (f *fakeRDAP) serveIP(w http.ResponseWriter, q string) {
	var lo, hi netip.Addr
	if p, err := netip.ParsePrefix(q); err == nil {
		lo, hi = p.Masked().Addr(), lastAddr(p)
	} else if a := parseLooseAddr(q); a.IsValid() { // ARIN accepts its own zero-padded form
		lo, hi = a, a
	} else {
		f.write(w, http.StatusBadRequest, []byte(`{"errorCode":400,"title":"Bad Request"}`))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var best *ipDoc
	for i := range f.ips {
		d := &f.ips[i]
		if d.start.Is4() != lo.Is4() || lo.Less(d.start) || d.end.Less(hi) {
			continue
		}
		if best == nil || (!d.start.Less(best.start) && !best.end.Less(d.end)) {
			best = d
		}
	}
	if best != nil {
		f.write(w, http.StatusOK, best.body)
		return
	}
	for p, base := range f.redirect {
		if p.Contains(lo) && p.Contains(hi) {
			w.Header().Set("Location", base+"ip/"+q)
			w.WriteHeader(http.StatusFound)
			return
		}
	}
	f.write(w, http.StatusNotFound, f.notFound)
}

func (f *fakeRDAP) write(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/rdap+json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// registries is one fake server per RIR plus the domain registries and
// registrars of the fixtures, and the Overrides that map the real RDAP base
// URLs (as found in the embedded bootstrap, in redirects and in links) onto
// them.
type registries struct {
	arin, ripe, apnic, lacnic, afrinic           *fakeRDAP
	verisign, markmonitor, zdns, flexireg, afnic *fakeRDAP
	niccz, namecheap, comlaude                   *fakeRDAP
	overrides                                    map[string][]string
}

func newRegistries(t testing.TB) *registries {
	t.Helper()
	r := &registries{
		arin:        newFakeRDAP(t, "/registry/"),
		ripe:        newFakeRDAP(t, "/"),
		apnic:       newFakeRDAP(t, "/"),
		lacnic:      newFakeRDAP(t, "/rdap/"),
		afrinic:     newFakeRDAP(t, "/rdap/"),
		verisign:    newFakeRDAP(t, "/com/v1/"),
		markmonitor: newFakeRDAP(t, "/rdap/"),
		zdns:        newFakeRDAP(t, "/top/"),
		flexireg:    newFakeRDAP(t, "/moscow/rdap/"),
		afnic:       newFakeRDAP(t, "/"),
		niccz:       newFakeRDAP(t, "/"),
		namecheap:   newFakeRDAP(t, "/"),
		comlaude:    newFakeRDAP(t, "/rdap/"),
	}
	r.ripe.notFound = readFixture(t, "ripe/error-404.json")
	r.overrides = map[string][]string{
		"https://rdap.arin.net/registry/": {r.arin.base()},
		"http://rdap.arin.net/registry/":  {r.arin.base()},
		"https://rdap.db.ripe.net/":       {r.ripe.base()},
		"https://rdap.apnic.net/":         {r.apnic.base()},
		"http://rdap.apnic.net/":          {r.apnic.base()},
		"https://rdap.lacnic.net/rdap/":   {r.lacnic.base()},
		"https://rdap.afrinic.net/rdap/":  {r.afrinic.base()},
		"http://rdap.afrinic.net/rdap/":   {r.afrinic.base()},
		// Domain registries and registrars.
		"https://rdap.verisign.com/com/v1/":  {r.verisign.base()},
		"https://rdap.markmonitor.com/rdap/": {r.markmonitor.base()},
		"https://rdap.zdnsgtld.com/top/":     {r.zdns.base()},
		"https://flexireg.net/moscow/rdap/":  {r.flexireg.base()},
		"https://rdap.nic.fr/":               {r.afnic.base()},
		"https://rdap.nic.cz/":               {r.niccz.base()},
		// The Namecheap and Com Laude fixtures are registrar answers; the
		// tests serve them as if they came from the TLD's server.
		"org":  {r.namecheap.base()},
		"cyou": {r.comlaude.base()},
		// No bootstrap entry for .arpa: RIPE answers for its reverse zones.
		"0.193.in-addr.arpa": {r.ripe.base()},
	}
	// ARIN redirects queries for space it does not hold to the RIR that
	// does (here: SWITCH's legacy /16 held in the RIPE database, and
	// APNIC's 1.0.0.0/8).
	r.arin.redirect[netip.MustParsePrefix("130.59.0.0/16")] = "https://rdap.db.ripe.net/"
	r.arin.redirect[netip.MustParsePrefix("1.0.0.0/8")] = "https://rdap.apnic.net/"
	return r
}

// client returns a Client wired to the fake registries, without rate
// limiting, with the retry sleeps recorded instead of slept.
func (r *registries) client(t testing.TB, mod func(*Config)) (*Client, *[]time.Duration) {
	t.Helper()
	cfg := Config{
		Overrides:     r.overrides,
		HTTPClient:    loopbackClient(t),
		PerServerRate: -1,
		Timeout:       5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	var mu sync.Mutex
	slept := &[]time.Duration{}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*slept = append(*slept, d)
		mu.Unlock()
		return ctx.Err()
	}
	return c, slept
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := http.ParseTime(s)
	require.NoError(t, err)
	return tm
}
