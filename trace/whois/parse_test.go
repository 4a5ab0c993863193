package whois

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseDENICShort(t *testing.T) {
	r := Parse(fixture(t, "de-google.de-short.txt"))
	require.Equal(t, "google.de", r.Domain)
	require.Equal(t, []string{"connect"}, r.Status)
	require.Empty(t, r.Nameservers)
	require.False(t, r.NotFound)
	require.True(t, r.hasData())
}

func TestParseIO2020(t *testing.T) {
	r := Parse(fixture(t, "io-google.io-2020.txt"))
	require.Equal(t, "google.io", r.Domain)
	require.Equal(t, "MarkMonitor Inc.", r.Registrar)
	require.Equal(t, "292", r.RegistrarIANAID)
	require.Equal(t, "whois.markmonitor.com", r.RegistrarWHOISServer)
	require.Equal(t, "abusecomplaints@markmonitor.com", r.AbuseEmail)
	require.Equal(t, "+1.2083895740", r.AbusePhone)
	require.Equal(t, "Google LLC", r.RegistrantOrg)
	require.Equal(t, "US", r.RegistrantCountry)
	require.Equal(t, googleNS, r.Nameservers)
	require.Len(t, r.Status, 6)
	require.Equal(t, utc(2002, 10, 1, 1, 0, 0, 0), r.Created)
	require.Equal(t, utc(2020, 9, 30, 1, 0, 0, 0), r.Expires)
}

// IP WHOIS answers of the five RIRs: the abuse desk each names.
func TestParseRIRs(t *testing.T) {
	for _, tc := range []struct {
		file, abuse, phone, org, country string
		ns                               []string
		created, updated                 time.Time
	}{
		// RIPE: the "% Abuse contact" line, not the address in remarks.
		{file: "ip-62.239.237.1.txt", abuse: "protect@bt.com", country: "GB",
			created: utc(2008, 8, 14, 14, 54, 30, 0), updated: utc(2008, 8, 14, 14, 54, 30, 0)},
		// ARIN: OrgAbuseEmail.
		{file: "ip-74.125.225.229.txt", abuse: "arin-contact@google.com", phone: "+1-650-253-0000", org: "Google Inc.", country: "US",
			created: utc(2007, 3, 13, 0, 0, 0, 0), updated: utc(2012, 2, 24, 0, 0, 0, 0)},
		// ARIN pointing at LACNIC: the RIR's own abuse address.
		{file: "ip-170.txt", abuse: "abuse@lacnic.net", phone: "+598-2604-2222",
			org: "Latin American and Caribbean IP address Regional Registry", country: "UY",
			created: utc(2010, 11, 3, 0, 0, 0, 0), updated: utc(2022, 1, 11, 0, 0, 0, 0)},
		// APNIC: "% Abuse contact"; the abuse-c role's "+000000000" is no phone.
		{file: "ip-171.txt", abuse: "abuse@starhub.com", org: "Starhub Ltd.", country: "SG",
			updated: utc(2020, 9, 9, 22, 34, 5, 0)},
		// LACNIC: abuse-c RYT2 resolved to its nic-hdl block; domain part lower-cased.
		{file: "ip-200.57.141.161.txt", abuse: "operacion.redes@triara.com", phone: "+52 8181962393",
			org: "Triara.com, S.A. de C.V.", country: "MX", ns: []string{"dns1.triara.com", "dns2.triara.com", "dns3.triara.com"},
			created: utc(2000, 12, 4, 0, 0, 0, 0), updated: utc(2014, 7, 16, 0, 0, 0, 0)},
		// AFRINIC: no abuse contact registered; the one in remarks is not taken.
		{file: "ip-196.11.240.215.txt", org: "MTN SA", country: "ZA"},
	} {
		r := Parse(fixture(t, tc.file))
		require.Equal(t, tc.abuse, r.AbuseEmail, tc.file)
		require.Equal(t, tc.phone, r.AbusePhone, tc.file)
		require.Equal(t, tc.org, r.RegistrantOrg, tc.file)
		require.Equal(t, tc.country, r.RegistrantCountry, tc.file)
		require.Equal(t, tc.ns, r.Nameservers, tc.file)
		require.Equal(t, tc.created, r.Created, tc.file)
		require.Equal(t, tc.updated, r.Updated, tc.file)
		require.False(t, r.NotFound || r.Throttled || r.Refused, tc.file)
	}
}

func TestParseSignals(t *testing.T) {
	for file, want := range map[string]Code{
		"de-throttled.txt":         Throttled,
		"nl-throttled.txt":         Throttled,
		"fr-throttled.txt":         Throttled,
		"ch-google.ch-refused.txt": Refused,
		"de-u34jedzcq.de.txt":      NotFound,
		"de-google.de.txt":         "",
		"io-google.io.txt":         "",
		"fr-google.fr.txt":         "",
		"ch-google.ch.txt":         "",
	} {
		r := Parse(fixture(t, file))
		require.Equal(t, want == Throttled, r.Throttled, file)
		require.Equal(t, want == Refused, r.Refused, file)
		require.Equal(t, want == NotFound, r.NotFound, file)
	}
	// Synthetic not-found answers of common shapes.
	for _, text := range []string{
		"No match for \"EXAMPLE-NOT-THERE.COM\".\r\n>>> Last update of whois database: 2024-01-01T00:00:00Z <<<\r\n",
		"%% NOT FOUND\n",
		"Domain: example.eu\nStatus: AVAILABLE\n",
		"\nWe do not have an entry in our database matching your query.\n",
	} {
		require.True(t, Parse(text).NotFound, text)
	}
}

// Synthetic answer in the indented-section layout of EURid and Nominet (their
// records are not in the fixtures for licence reasons; the data is made up).
func TestParseSections(t *testing.T) {
	eu := "% The WHOIS service offered by EURid ...\n\nDomain: example.eu\nScript: LATIN\n\n" +
		"Registrant:\n        NOT DISCLOSED!\n        Visit www.eurid.eu for the web-based WHOIS.\n\n" +
		"Technical:\n        Organisation: Example Registrar Ltd\n        Language: en\n        Email: tech@registrar.example\n\n" +
		"Registrar:\n        Name: Example Registrar Ltd\n        Website: https://www.registrar.example/\n\n" +
		"Name servers:\n        ns1.example.eu (192.0.2.1)\n        NS2.EXAMPLE.NET\n\n" +
		"Keys:\n        flags:KSK protocol:3 algorithm:ECDSAP256SHA256 pubKey:AAAA\n\n"
	r := Parse(eu)
	require.Equal(t, "example.eu", r.Domain)
	require.Equal(t, "Example Registrar Ltd", r.Registrar)
	require.Equal(t, "https://www.registrar.example/", r.RegistrarURL)
	require.Empty(t, r.RegistrantOrg) // "NOT DISCLOSED!"
	require.Empty(t, r.AbuseEmail)    // the technical contact is no abuse desk
	require.Equal(t, []string{"ns1.example.eu", "ns2.example.net"}, r.Nameservers)

	uk := "\n    Domain name:\n        example.co.uk\n\n" +
		"    Registrar:\n        Example Registrar Ltd [Tag = EXAMPLE]\n        URL: https://www.registrar.example\n\n" +
		"    Relevant dates:\n        Registered on: 14-Feb-1999\n        Expiry date:  14-Feb-2027\n        Last updated:  13-Jan-2026\n\n" +
		"    Registration status:\n        Registered until expiry date.\n\n" +
		"    Name servers:\n        ns1.example.net\n        ns2.example.net\n\n"
	r = Parse(uk)
	require.Equal(t, "example.co.uk", r.Domain)
	require.Equal(t, "Example Registrar Ltd [Tag = EXAMPLE]", r.Registrar)
	require.Equal(t, "https://www.registrar.example", r.RegistrarURL)
	require.Equal(t, utc(1999, 2, 14, 0, 0, 0, 0), r.Created)
	require.Equal(t, utc(2027, 2, 14, 0, 0, 0, 0), r.Expires)
	require.Equal(t, utc(2026, 1, 13, 0, 0, 0, 0), r.Updated)
	require.Equal(t, []string{"ns1.example.net", "ns2.example.net"}, r.Nameservers)
}

func TestParseRedacted(t *testing.T) {
	r := Parse("Domain Name: example.org\nRegistrant Organization: REDACTED FOR PRIVACY\nRegistrant Country: DE\n" +
		"Registrar Abuse Contact Email: Please query the RDDS service of the Registrar of Record\nName Server: ns1.example.org\n")
	require.Empty(t, r.RegistrantOrg)
	require.Empty(t, r.AbuseEmail)
	require.Equal(t, "DE", r.RegistrantCountry)
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2018-03-12T21:44:25+01:00":   utc(2018, 3, 12, 20, 44, 25, 0),
		"2025-12-03T10:12:00.351952Z": utc(2025, 12, 3, 10, 12, 0, 351952000),
		"2028-03-08t16:59:59z":        utc(2028, 3, 8, 16, 59, 59, 0),
		"2004-03-03T21:00:00Z":        utc(2004, 3, 3, 21, 0, 0, 0),
		"2015-06-25":                  utc(2015, 6, 25, 0, 0, 0, 0),
		"2004.03.04":                  utc(2004, 3, 4, 0, 0, 0, 0),
		"14-Feb-1999":                 utc(1999, 2, 14, 0, 0, 0, 0),
		"20001204":                    utc(2000, 12, 4, 0, 0, 0, 0),
		"1993-05":                     utc(1993, 5, 1, 0, 0, 0, 0),
		"2019-01-02 03:04:05 UTC":     utc(2019, 1, 2, 3, 4, 5, 0),
		"2020-01-02 (YYYY-MM-DD)":     utc(2020, 1, 2, 0, 0, 0, 0),
	} {
		got, ok := parseDate(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "never", "REDACTED", "hostmaster@example.net"} {
		_, ok := parseDate(in)
		require.False(t, ok, in)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"ch-google.ch.txt", "de-google.de.txt", "fr-google.fr.txt", "io-google.io.txt", "ip-171.txt", "ip-200.57.141.161.txt", "iana-live.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		r := Parse(text)
		require.Equal(t, text, r.Raw)
		_ = ianaReferral(text)
	})
}
