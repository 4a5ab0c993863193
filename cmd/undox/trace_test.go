package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/dnstest"
	"github.com/undox/undox/trace"
	"github.com/undox/undox/trace/rdap"
)

// fakeRDAP serves the trace package's real RDAP fixtures on loopback:
// path → file under trace/testdata/rdap; 404 with RIPE's error document for
// anything else.
func fakeRDAP(t *testing.T, routes map[string]string) (*httptest.Server, *[]string) {
	t.Helper()
	dir := filepath.Join("..", "..", "trace", "testdata", "rdap")
	notFound, err := os.ReadFile(filepath.Join(dir, "ripe", "error-404.json"))
	require.NoError(t, err)
	var mu sync.Mutex
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/rdap+json")
		f, ok := routes[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write(notFound)
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			t.Error(err)
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func runTrace(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := traceCmd(context.Background(), args, env, &out, &errb)
	return out.String(), errb.String(), err
}

func TestTraceCommand(t *testing.T) {
	dns := dnstest.Start(t, map[string][]netip.Addr{"www.20c.com": {netip.MustParseAddr("127.0.0.10")}})
	srv, hits := fakeRDAP(t, map[string]string{
		"/registry/ip/127.0.0.10": "arin/ip-13.64.0.0.json",
		"/com/v1/domain/20c.com":  "verisign/domain-20c.com.json",
	})
	// RDAP for the loopback address and for .com goes to the fake server,
	// reached under --allow-private-networks on its port.
	overrides := "127.0.0.10/32=" + srv.URL + "/registry/,com=" + srv.URL + "/com/v1/"
	open := []string{"--dns-server", dns.Addr, "--allow-private-networks", "--allow-any-port", "--no-fetch", "--rdap-rate", "-1"}

	out, stderr, err := runTrace(t, nil, append([]string{"https://www.20c.com/page", "--json", "--rdap-override", overrides}, open...)...)
	require.NoError(t, err, stderr)
	var a trace.Answer
	require.NoError(t, json.Unmarshal([]byte(out), &a), out)
	require.Equal(t, "https://www.20c.com/page", a.URL)
	require.Equal(t, "20c.com", a.RegistrableDomain)
	require.Empty(t, a.Errors)
	require.Len(t, a.Addresses, 1)
	require.Equal(t, "Microsoft Corporation", a.Addresses[0].Org)
	require.Equal(t, "abuse@joker.com", a.Registrar.AbuseEmail)
	require.Len(t, a.Recipients, 3)
	require.Equal(t, "host", a.Recipients[0].Role)
	require.Equal(t, "abuse@microsoft.com", a.Recipients[0].Email)
	require.Contains(t, *hits, "/registry/ip/127.0.0.10")
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &m))
	for _, k := range []string{"url", "domain", "registrable_domain", "dns", "addresses", "cdn", "registrar", "security_txt", "recipients", "errors"} {
		require.Contains(t, m, k)
	}

	// The same from the environment, printed for a person.
	env := []string{"UNDOX_RDAP_OVERRIDE=" + overrides, "UNDOX_DNS_SERVER=" + dns.Addr,
		"UNDOX_ALLOW_PRIVATE_NETWORKS=true", "UNDOX_ALLOW_ANY_PORT=true", "UNDOX_RDAP_RATE=-1"}
	out, stderr, err = runTrace(t, env, "www.20c.com/page", "--no-fetch")
	require.NoError(t, err, stderr)
	for _, want := range []string{
		"url:          https://www.20c.com/page",
		"domain:       www.20c.com (registrable: 20c.com)",
		"address:      127.0.0.10",
		"  network:    MSFT NET-13-64-0-0-1 (13.64.0.0/11, 13.96.0.0/13, 13.104.0.0/14)",
		"  holder:     Microsoft Corporation (US)",
		"registrar:    CSL Computer Service Langenbach GmbH d/b/a joker.com, abuse abuse@joker.com [rdap]",
		"registry:     VeriSign Global Registry Services (.com)",
		"  1.  host      Microsoft Corporation (US): abuse@microsoft.com, +1-425-882-8080 [rdap, high]",
		"  2.  registrar CSL Computer Service Langenbach GmbH d/b/a joker.com: abuse@joker.com, +49.21186767447 [rdap, high]",
		"  3.  registry  VeriSign Global Registry Services (US): no channel known [tld_data, low]",
	} {
		require.Contains(t, out, want+"\n")
	}

	// A failed lookup degrades the answer; the command still succeeds.
	srv.Close()
	out, stderr, err = runTrace(t, nil, append([]string{"https://www.20c.com/", "--json", "--rdap-override", overrides}, open...)...)
	require.NoError(t, err, stderr)
	a = trace.Answer{}
	require.NoError(t, json.Unmarshal([]byte(out), &a))
	// RDAP failed: WHOIS was asked for the domain too, and failed here.
	require.Len(t, a.Errors, 3)
	require.Equal(t, "rdap_domain", a.Errors[0].Lookup)
	require.Equal(t, "rdap_ip", a.Errors[1].Lookup)
	require.Equal(t, "whois", a.Errors[2].Lookup)
	require.Equal(t, []string{"registry"}, []string{a.Recipients[0].Role})

	// A .onion site: the police, nothing looked up.
	out, _, err = runTrace(t, nil, "http://expyuzz4wqqyqhjn.onion/", "--police", "Politie, Team High Tech Crime",
		"--police-web-form", "https://police.example/report", "--dns-server", dns.Addr)
	require.NoError(t, err)
	require.Contains(t, out, "host:         hidden (.onion)")
	require.Contains(t, out, "  1.  police    Politie, Team High Tech Crime: https://police.example/report [config, high]\n")
	require.Zero(t, dns.Queries("expyuzz4wqqyqhjn.onion"))

	// Only an invalid URL fails the command.
	for _, bad := range []string{"ftp://example.com/", "https://"} {
		_, _, err = runTrace(t, nil, bad, "--dns-server", dns.Addr)
		require.Error(t, err, bad)
		require.Equal(t, 2, exitCode(err))
	}
	_, _, err = runTrace(t, nil, "--json")
	require.Error(t, err)
	_, _, err = runTrace(t, nil, "https://www.20c.com/", "--rdap-override", "com=ftp://x")
	require.Error(t, err)
}

func TestRDAPRefreshCommand(t *testing.T) {
	// IANA's files, as embedded, served on loopback.
	bootDir := filepath.Join("..", "..", "trace", "rdap", "bootstrap")
	srv := httptest.NewServer(http.FileServer(http.Dir(bootDir)))
	t.Cleanup(srv.Close)
	dir := filepath.Join(t.TempDir(), "rdap")

	var out bytes.Buffer
	err := rdapRefreshCmd(context.Background(), []string{"refresh", "--dir", dir, "--bootstrap-url", srv.URL + "/"}, nil, &out, io.Discard)
	require.NoError(t, err)
	for _, f := range rdap.BootstrapFiles {
		want, err := os.ReadFile(filepath.Join(bootDir, f))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Contains(t, out.String(), f)
	}
	b, err := rdap.LoadBootstrap(dir)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, rdap.FileDNS), b.Origin[rdap.FileDNS])

	// The folder is used by --rdap-bootstrap.
	dns := dnstest.Start(t, nil)
	_, stderr, err := runTrace(t, nil, "https://gone.example.com/", "--rdap-bootstrap", dir, "--dns-server", dns.Addr,
		"--rdap-override", "com=", "--no-fetch")
	require.NoError(t, err, stderr)
	_, _, err = runTrace(t, nil, "https://gone.example.com/", "--rdap-bootstrap", filepath.Join(dir, "missing", "x"), "--dns-server", dns.Addr,
		"--rdap-override", "com=", "--no-fetch")
	require.NoError(t, err, "a missing folder falls back to the embedded files")

	for _, args := range [][]string{nil, {"fetch"}, {"refresh"}} {
		err = rdapRefreshCmd(context.Background(), args, nil, io.Discard, io.Discard)
		require.Error(t, err)
		require.Equal(t, 2, exitCode(err))
	}
	// Nothing is written when a download fails.
	bad := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(bad.Close)
	dir2 := filepath.Join(t.TempDir(), "rdap")
	err = rdapRefreshCmd(context.Background(), []string{"refresh", "--bootstrap-url", bad.URL + "/"}, []string{"UNDOX_RDAP_BOOTSTRAP=" + dir2}, io.Discard, io.Discard)
	require.Error(t, err)
	_, statErr := os.Stat(filepath.Join(dir2, rdap.FileDNS))
	require.True(t, os.IsNotExist(statErr))
}

// serve and worker register the trace options next to the job options
// (which include the fetch options trace shares): no flag is defined twice.
func TestTraceFlagsBesideServeFlags(t *testing.T) {
	var c config
	fs := newFlags("serve", &c, io.Discard)
	jobFlags(fs, &c) // the fetch and trace options, with the jobs' own
	to := &c.trace
	to.fetch = &c.fetch
	require.NoError(t, fs.Parse([]string{"--dns-server", "127.0.0.1:53", "--rdap-override", "de=,*=http://127.0.0.1:1/",
		"--whois-server", "de=127.0.0.1:43", "--police-email", "referrals@police.example"}))
	require.Equal(t, map[string][]string{"de": {}, "*": {"http://127.0.0.1:1/"}}, to.rdapOverrides)
	require.Equal(t, map[string]string{"de": "127.0.0.1:43"}, to.whoisServers)
	svc, err := to.service(nil, nil, nil)
	require.NoError(t, err)
	require.NotNil(t, svc)
	fs2 := flag.NewFlagSet("x", flag.ContinueOnError)
	fs2.SetOutput(io.Discard)
	traceFlags(fs2, &traceOptions{})
	require.Error(t, fs2.Parse([]string{"--whois-server", "de"}))
	require.True(t, strings.Contains(fs2.Lookup("asn-table").Usage, "ip2asn"))
}
