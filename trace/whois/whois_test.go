package whois

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func utc(y int, m time.Month, d, hh, mm, ss, ns int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, ns, time.UTC)
}

var googleNS = []string{"ns1.google.com", "ns2.google.com", "ns3.google.com", "ns4.google.com"}

func requireCode(t *testing.T, err error, code Code) {
	t.Helper()
	require.Error(t, err)
	var we *Error
	require.True(t, errors.As(err, &we), "not a *whois.Error: %v", err)
	require.Equal(t, code, we.Code, "error: %v", err)
	require.Equal(t, code, CodeOf(err))
}

func TestLookupDENIC(t *testing.T) {
	denic := answering(t, map[string]string{
		"-T dn,ace google.de":    fixture(t, "de-google.de.txt"),
		"-T dn,ace u34jedzcq.de": fixture(t, "de-u34jedzcq.de.txt"),
	})
	tn := &testNet{names: map[string]string{"whois.denic.de:43": denic.addr}}
	c := New(Config{Dial: tn.Dial})

	rec, err := c.Lookup(context.Background(), "google.de")
	require.NoError(t, err)
	require.Equal(t, "google.de", rec.Domain)
	require.Equal(t, googleNS, rec.Nameservers)
	require.Equal(t, []string{"connect"}, rec.Status)
	require.Equal(t, utc(2018, 3, 12, 20, 44, 25, 0), rec.Updated) // "Changed: 2018-03-12T21:44:25+01:00"
	require.True(t, rec.Created.IsZero())
	require.True(t, rec.Expires.IsZero())
	// DENIC's port 43 discloses neither registrar, holder nor abuse contact.
	require.Empty(t, rec.Registrar)
	require.Empty(t, rec.AbuseEmail)
	require.Empty(t, rec.RegistrantOrg)
	require.False(t, rec.NotFound)
	require.Equal(t, "whois.denic.de:43", rec.Server)
	require.Equal(t, fixture(t, "de-google.de.txt"), rec.Raw)

	rec, err = c.Lookup(context.Background(), " U34JEDZCQ.DE. ")
	requireCode(t, err, NotFound)
	require.NotNil(t, rec)
	require.True(t, rec.NotFound)
	require.Equal(t, "u34jedzcq.de", rec.Domain)
	require.Equal(t, []string{"free"}, rec.Status)

	// The built-in table and DENIC's query form; IANA was never asked.
	require.Equal(t, []string{"-T dn,ace google.de", "-T dn,ace u34jedzcq.de"}, denic.Queries())
	require.Equal(t, []string{"whois.denic.de:43", "whois.denic.de:43"}, tn.Dialed())
}

func TestLookupDENICThrottled(t *testing.T) {
	srv := answering(t, map[string]string{"-T dn,ace google.de": fixture(t, "de-throttled.txt")})
	tn := &testNet{}
	// A Servers override keeps the TLD's query form.
	c := New(Config{Dial: tn.Dial, Servers: map[string]string{"de": srv.addr}})
	rec, err := c.Lookup(context.Background(), "google.de")
	requireCode(t, err, Throttled)
	require.True(t, rec.Throttled)
	require.False(t, rec.NotFound)
	require.Equal(t, srv.addr, rec.Server)
	require.Contains(t, rec.Raw, "access control limit reached")
	require.Equal(t, []string{"-T dn,ace google.de"}, srv.Queries())
}

func TestLookupSWITCH(t *testing.T) {
	nic := answering(t, map[string]string{"google.ch": fixture(t, "ch-google.ch.txt")})
	tn := &testNet{names: map[string]string{"whois.nic.ch:43": nic.addr}}
	c := New(Config{Dial: tn.Dial})
	rec, err := c.Lookup(context.Background(), "google.ch")
	require.NoError(t, err)
	require.Equal(t, "google.ch", rec.Domain)
	require.Equal(t, "Google Inc.", rec.RegistrantOrg) // first line of "Holder of domain name:"
	require.Equal(t, googleNS, rec.Nameservers)
	require.Empty(t, rec.Registrar)
	require.Empty(t, rec.AbuseEmail)
	require.Equal(t, "whois.nic.ch:43", rec.Server)

	refusing := answering(t, map[string]string{"google.ch": fixture(t, "ch-google.ch-refused.txt")})
	c = New(Config{Dial: tn.Dial, Servers: map[string]string{"ch": refusing.addr}})
	rec, err = c.Lookup(context.Background(), "google.ch")
	requireCode(t, err, Refused)
	require.True(t, rec.Refused)
	require.False(t, rec.NotFound)
	require.False(t, rec.Throttled)
	require.Empty(t, rec.Nameservers)
}

func TestLookupIO(t *testing.T) {
	nic := answering(t, map[string]string{"google.io": fixture(t, "io-google.io.txt")})
	// whois.markmonitor.com is not on the test network: the referral fails.
	tn := &testNet{names: map[string]string{"whois.nic.io:43": nic.addr}}
	c := New(Config{Dial: tn.Dial})
	rec, err := c.Lookup(context.Background(), "google.io")
	require.NoError(t, err) // the terms mention throttling; the answer is not a throttle
	require.False(t, rec.Throttled)
	require.Equal(t, "google.io", rec.Domain)
	require.Equal(t, "MarkMonitor Inc.", rec.Registrar)
	require.Equal(t, "292", rec.RegistrarIANAID)
	require.Equal(t, "http://www.markmonitor.com", rec.RegistrarURL)
	require.Equal(t, "whois.markmonitor.com", rec.RegistrarWHOISServer)
	require.Equal(t, "abusecomplaints@markmonitor.com", rec.AbuseEmail)
	require.Equal(t, "+1.2083895740", rec.AbusePhone)
	require.Equal(t, "Google LLC", rec.RegistrantOrg) // the only unredacted contact fields
	require.Equal(t, "US", rec.RegistrantCountry)
	require.Equal(t, []string{"ns1.google.com", "ns4.google.com", "ns3.google.com", "ns2.google.com"}, rec.Nameservers)
	require.Equal(t, []string{
		"clientDeleteProhibited", "serverDeleteProhibited", "clientTransferProhibited",
		"serverTransferProhibited", "clientUpdateProhibited", "serverUpdateProhibited",
	}, rec.Status)
	require.Equal(t, utc(2002, 10, 1, 1, 0, 0, 0), rec.Created)
	require.Equal(t, utc(2025, 9, 3, 10, 36, 12, 0), rec.Updated)
	require.Equal(t, utc(2026, 9, 30, 1, 0, 0, 0), rec.Expires)
	require.Nil(t, rec.Referral)
	require.Contains(t, rec.ReferralError, "not reachable from the tests")
	require.Equal(t, []string{"whois.nic.io:43", "whois.markmonitor.com:43"}, tn.Dialed())
}

func TestLookupRegistrarReferral(t *testing.T) {
	registry := answering(t, map[string]string{"google.io": fixture(t, "io-google.io-2020.txt")})
	// Synthetic registrar answer (no registrar record is in the fixtures).
	registrar := answering(t, map[string]string{"google.io": strings.Join([]string{
		"Domain Name: google.io",
		"Registrar WHOIS Server: whois.another-registrar.example",
		"Registrar: MarkMonitor, Inc.",
		"Registrar Abuse Contact Email: abuse-desk@registrar.example",
		"Registrar Abuse Contact Phone: +1.5550100",
		"Registrant Organization: Google LLC",
		"Name Server: ns1.google.com",
		"",
	}, "\r\n")})
	tn := &testNet{names: map[string]string{
		"whois.nic.io:43":          registry.addr,
		"whois.markmonitor.com:43": registrar.addr,
	}}
	c := New(Config{Dial: tn.Dial})
	rec, err := c.Lookup(context.Background(), "google.io")
	require.NoError(t, err)
	require.Empty(t, rec.ReferralError)
	require.NotNil(t, rec.Referral)
	require.Equal(t, "whois.markmonitor.com:43", rec.Referral.Server)
	require.Equal(t, "abuse-desk@registrar.example", rec.Referral.AbuseEmail)
	// The registry's own values stay on top.
	require.Equal(t, "MarkMonitor Inc.", rec.Registrar)
	require.Equal(t, "abusecomplaints@markmonitor.com", rec.AbuseEmail)
	require.Equal(t, utc(2020, 9, 30, 1, 0, 0, 0), rec.Expires) // "Registry Expiry Date"; the empty registrar one is skipped
	require.Equal(t, utc(2019, 8, 29, 9, 41, 7, 0), rec.Updated)
	require.Equal(t, "google.io", rec.Domain) // "GOOGLE.IO"
	require.Equal(t, googleNS, rec.Nameservers)
	// The registry's terms name ICB's anti-abuse desk; that is not the registrar's.
	require.NotContains(t, rec.AbuseEmail, "icbregistry")
	require.Equal(t, []string{"google.io"}, registrar.Queries())
	// Followed once: the registrar's own referral is not followed.
	require.Equal(t, []string{"whois.nic.io:43", "whois.markmonitor.com:43"}, tn.Dialed())

	c = New(Config{Dial: tn.Dial, NoReferral: true})
	rec, err = c.Lookup(context.Background(), "google.io")
	require.NoError(t, err)
	require.Nil(t, rec.Referral)
	require.Len(t, registrar.Queries(), 1)
}

func TestMerge(t *testing.T) {
	created := utc(2001, 2, 3, 0, 0, 0, 0)
	dst := &Record{Domain: "example.de", Registrar: "Registry's Name", Nameservers: []string{"ns1.example.de"}}
	merge(dst, &Record{
		Domain: "other.de", Registrar: "Registrar's Name", AbuseEmail: "abuse@registrar.example",
		AbusePhone: "+49.1", Nameservers: []string{"ns9.example.de"}, Status: []string{"ok"}, Created: created,
	})
	require.Equal(t, "example.de", dst.Domain)
	require.Equal(t, "Registry's Name", dst.Registrar)
	require.Equal(t, "abuse@registrar.example", dst.AbuseEmail)
	require.Equal(t, "+49.1", dst.AbusePhone)
	require.Equal(t, []string{"ns1.example.de"}, dst.Nameservers)
	require.Equal(t, []string{"ok"}, dst.Status)
	require.Equal(t, created, dst.Created)
}

func TestLookupAFNIC(t *testing.T) {
	nic := answering(t, map[string]string{"google.fr": fixture(t, "fr-google.fr.txt")})
	tn := &testNet{names: map[string]string{"whois.nic.fr:43": nic.addr}}
	c := New(Config{Dial: tn.Dial})
	rec, err := c.Lookup(context.Background(), "google.fr")
	require.NoError(t, err)
	require.Equal(t, "google.fr", rec.Domain)
	require.Equal(t, "MARKMONITOR Inc.", rec.Registrar)
	// From the registrar object; AFNIC gives no abuse field.
	require.Equal(t, "registry.admin@markmonitor.com", rec.RegistrarEmail)
	require.Equal(t, "+1.2083895740", rec.RegistrarPhone)
	require.Equal(t, "http://www.markmonitor.com", rec.RegistrarURL)
	require.Empty(t, rec.AbuseEmail)
	// holder-c GIHU100-FRNIC resolved to its ORGANIZATION block.
	require.Equal(t, "Google Ireland Holdings Unlimited Company", rec.RegistrantOrg)
	require.Equal(t, "IE", rec.RegistrantCountry)
	require.Equal(t, googleNS, rec.Nameservers)
	require.Equal(t, []string{"ACTIVE", "serverUpdateProhibited", "serverTransferProhibited", "serverDeleteProhibited", "serverRecoverProhibited"}, rec.Status)
	require.Equal(t, utc(2000, 7, 26, 22, 0, 0, 0), rec.Created)
	require.Equal(t, utc(2025, 12, 3, 10, 12, 0, 351952000), rec.Updated)
	require.Equal(t, utc(2026, 12, 30, 17, 16, 48, 0), rec.Expires)

	// AFNIC's throttle also says "No entries found": it is a throttle.
	throttling := answering(t, map[string]string{"google.fr": fixture(t, "fr-throttled.txt")})
	c = New(Config{Dial: tn.Dial, Servers: map[string]string{"fr": throttling.addr}})
	rec, err = c.Lookup(context.Background(), "google.fr")
	requireCode(t, err, Throttled)
	require.True(t, rec.Throttled)
	require.False(t, rec.NotFound)
}

func TestLookupSIDNThrottled(t *testing.T) {
	sidn := answering(t, map[string]string{"google.nl": fixture(t, "nl-throttled.txt")})
	tn := &testNet{names: map[string]string{"whois.domain-registry.nl:43": sidn.addr}}
	rec, err := New(Config{Dial: tn.Dial}).Lookup(context.Background(), "google.nl")
	requireCode(t, err, Throttled)
	require.True(t, rec.Throttled)
	require.Equal(t, "whois.domain-registry.nl:43", rec.Server)
}

func TestLookupIANAReferral(t *testing.T) {
	iana := answering(t, map[string]string{"live": fixture(t, "iana-live.txt")})
	// Synthetic .live answers (no .live record is in the fixtures).
	live := answering(t, map[string]string{
		"example.live": "Domain Name: example.live\nRegistrar: Example Registrar, Inc.\nRegistrar Abuse Contact Email: abuse@registrar.example\n" +
			"Creation Date: 2020-01-02T03:04:05Z\nName Server: NS1.EXAMPLE.NET.\n",
		"other.live": "Domain not found.\n",
	})
	tn := &testNet{names: map[string]string{
		"whois.iana.org:43": iana.addr, // the default IANAServer
		"whois.nic.live:43": live.addr,
	}}
	c := New(Config{Dial: tn.Dial})
	rec, err := c.Lookup(context.Background(), "example.live")
	require.NoError(t, err)
	require.Equal(t, "whois.nic.live:43", rec.Server)
	require.Equal(t, "Example Registrar, Inc.", rec.Registrar)
	require.Equal(t, "abuse@registrar.example", rec.AbuseEmail)
	require.Equal(t, []string{"ns1.example.net"}, rec.Nameservers)
	require.Equal(t, utc(2020, 1, 2, 3, 4, 5, 0), rec.Created)

	rec, err = c.Lookup(context.Background(), "other.live")
	requireCode(t, err, NotFound)
	require.True(t, rec.NotFound)

	// IANA was asked for the TLD once; the answer is remembered.
	require.Equal(t, []string{"live"}, iana.Queries())
	require.Equal(t, []string{"example.live", "other.live"}, live.Queries())
}

func TestLookupIANANoServer(t *testing.T) {
	// Synthetic: an IANA answer with neither "refer:" nor "whois:".
	iana := answering(t, map[string]string{"zzexample": "% IANA WHOIS server\n% This query returned 0 objects.\n"})
	tn := &testNet{}
	c := New(Config{Dial: tn.Dial, IANAServer: iana.addr})
	rec, err := c.Lookup(context.Background(), "example.zzexample")
	requireCode(t, err, NoServer)
	require.Nil(t, rec)
	require.Equal(t, []string{iana.addr}, tn.Dialed())
}

func TestIANAReferralFixtures(t *testing.T) {
	require.Equal(t, "whois.nic.live", ianaReferral(fixture(t, "iana-live.txt")))
	require.Equal(t, "whois.apnic.net", ianaReferral(fixture(t, "iana-171.txt")))
	require.Equal(t, "whois.lacnic.net", ianaReferral(fixture(t, "iana-AS264957.txt")))
	require.Empty(t, ianaReferral("% nothing here\n"))
}

func TestLookupTimeout(t *testing.T) {
	srv := silent(t)
	c := New(Config{Dial: (&testNet{}).Dial, Servers: map[string]string{"de": srv.addr}, Timeout: 100 * time.Millisecond})
	rec, err := c.Lookup(context.Background(), "google.de")
	requireCode(t, err, Timeout)
	require.Nil(t, rec)
	require.Equal(t, []string{"-T dn,ace google.de"}, srv.Queries())
}

func TestLookupCanceled(t *testing.T) {
	srv := silent(t)
	c := New(Config{Dial: (&testNet{}).Dial, Servers: map[string]string{"de": srv.addr}})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-srv.got // the query has arrived; the server will never answer
		cancel()
	}()
	rec, err := c.Lookup(ctx, "google.de")
	requireCode(t, err, Canceled)
	require.Nil(t, rec)
}

func TestLookupMaxBytes(t *testing.T) {
	junk := endless(t, "% and so on\n")
	c := New(Config{Dial: (&testNet{}).Dial, Servers: map[string]string{"de": junk.addr}, MaxBytes: 4096})
	rec, err := c.Lookup(context.Background(), "google.de")
	requireCode(t, err, BadResponse)
	require.True(t, rec.Truncated)
	require.LessOrEqual(t, len(rec.Raw), 4096)
	require.Greater(t, len(rec.Raw), 4096-len("% and so on\n"))
	require.True(t, strings.HasSuffix(rec.Raw, "% and so on\n"), "cut after the last whole line")

	// A cut answer is still parsed.
	ns := endless(t, "Name Server: ns1.example.de\n")
	c = New(Config{Dial: (&testNet{}).Dial, Servers: map[string]string{"de": ns.addr}, MaxBytes: 1000})
	rec, err = c.Lookup(context.Background(), "google.de")
	require.NoError(t, err)
	require.True(t, rec.Truncated)
	require.LessOrEqual(t, len(rec.Raw), 1000)
	require.Equal(t, []string{"ns1.example.de"}, rec.Nameservers)
}

func TestLookupLatin1(t *testing.T) {
	// Synthetic answer in Latin-1 (ü = 0xFC, ö = 0xF6).
	srv := answering(t, map[string]string{"example.at": "Domain Name: example.at\nRegistrant Organization: M\xfcller & S\xf6hne GmbH\nName Server: ns1.example.at\n"})
	c := New(Config{Dial: (&testNet{}).Dial, Servers: map[string]string{"at": srv.addr}})
	rec, err := c.Lookup(context.Background(), "example.at")
	require.NoError(t, err)
	require.Equal(t, "Müller & Söhne GmbH", rec.RegistrantOrg)
	require.Contains(t, rec.Raw, "Müller")
}

func TestDecode(t *testing.T) {
	require.Equal(t, "Müller", decode([]byte("Müller"), false))
	require.Equal(t, "Müller", decode([]byte("\xef\xbb\xbfMüller"), false))
	require.Equal(t, "M\u00fcller", decode([]byte("M\xfcller"), false))
	// A cut in the middle of a UTF-8 character drops the partial character …
	require.Equal(t, "abc", decode([]byte("abc\xc3"), true))
	// … but an uncut answer ending that way is Latin-1.
	require.Equal(t, "abc\u00c3", decode([]byte("abc\xc3"), false))
}

func TestLookupIDN(t *testing.T) {
	srv := answering(t, nil) // closes without an answer
	c := New(Config{Dial: (&testNet{}).Dial, Servers: map[string]string{"de": srv.addr}})
	rec, err := c.Lookup(context.Background(), "München.de")
	requireCode(t, err, BadResponse)
	require.Empty(t, rec.Raw)
	require.Equal(t, []string{"-T dn,ace xn--mnchen-3ya.de"}, srv.Queries())
}

func TestLookupBadDomain(t *testing.T) {
	tn := &testNet{}
	c := New(Config{Dial: tn.Dial})
	for _, d := range []string{"", "de", ".", "exa mple.de", "a\r\nb.de", "google.de\r\n-T x", "127.0.0.1", "-x.de", "x_y.de", strings.Repeat("a", 300) + ".de"} {
		rec, err := c.Lookup(context.Background(), d)
		requireCode(t, err, BadDomain)
		require.Nil(t, rec)
	}
	require.Empty(t, tn.Dialed())
}

func TestDefaultDialerBlocksLoopback(t *testing.T) {
	srv := answering(t, map[string]string{"-T dn,ace google.de": fixture(t, "de-google.de.txt")})
	c := New(Config{Servers: map[string]string{"de": srv.addr}})
	rec, err := c.Lookup(context.Background(), "google.de")
	requireCode(t, err, BlockedAddress)
	require.Nil(t, rec)
	require.Empty(t, srv.Queries())
}

func TestServerChoice(t *testing.T) {
	c := New(Config{Servers: map[string]string{"co.uk": "whois.test.example", "de": "127.0.0.1:4343"}})
	for _, tc := range []struct{ domain, addr, query string }{
		{"example.co.uk", "whois.test.example:43", "example.co.uk"}, // longest suffix wins
		{"example.org.uk", "whois.nic.uk:43", "example.org.uk"},
		{"example.de", "127.0.0.1:4343", "-T dn,ace example.de"},
		{"sub.example.eu", "whois.eu:43", "sub.example.eu"},
		{"example.ru", "whois.tcinet.ru:43", "example.ru"},
		{"example.jp", "whois.jprs.jp:43", "example.jp/e"},
	} {
		addr, host, err := c.server(context.Background(), tc.domain)
		require.NoError(t, err)
		require.Equal(t, tc.addr, addr, tc.domain)
		require.Equal(t, tc.query, queryFor(host, tc.domain), tc.domain)
	}
}

func TestReferralAddr(t *testing.T) {
	for in, want := range map[string]string{
		"whois.markmonitor.com":            "whois.markmonitor.com:43",
		"WHOIS.MarkMonitor.com.":           "whois.markmonitor.com:43",
		"whois://whois.lacnic.net":         "whois.lacnic.net:43",
		"whois.example.com:43":             "whois.example.com:43",
		"whois.example.com/":               "whois.example.com:43",
		"rwhois://rwhois.example.net:4321": "",
		"whois.example.com:25":             "",
		"http://www.example.com":           "",
		"not a host":                       "",
		"":                                 "",
	} {
		got, ok := referralAddr(in)
		require.Equal(t, want != "", ok, in)
		require.Equal(t, want, got, in)
	}
}
