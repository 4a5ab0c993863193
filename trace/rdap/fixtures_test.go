package rdap

import (
	"encoding/json"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fixtureCase is what one fixture document contains, read off the document.
type fixtureCase struct {
	file string
	kind string // ip, autnum, domain, entity, error

	// Abuse contact ("" email and conf: the document has no contact).
	email string
	conf  Confidence
	path  string
	// Other contacts that must be found too (e-mail → confidence).
	others map[string]Confidence

	org, orgHandle, country, orgCountry string

	errCode   Code
	errStatus int
}

var fixtureCases = []fixtureCase{
	// --- ARIN: abuse POCs nested under the registrant org (depth 2), or at
	// the network level (top level), or both.
	{file: "arin/ip-13.64.0.0.json", kind: "ip", email: "abuse@microsoft.com", conf: ConfidenceHigh, path: "entities[0].entities[2]",
		org: "Microsoft Corporation", orgHandle: "MSFT", orgCountry: "United States",
		others: map[string]Confidence{"IOC@microsoft.com": ConfidenceLow, "iphostmaster@microsoft.com": ConfidenceLow}},
	{file: "arin/ip-3.3.3.3.json", kind: "ip", email: "abuse@amazonaws.com", conf: ConfidenceHigh, path: "entities[0].entities[1]",
		org: "Amazon Technologies Inc.", orgHandle: "AT-88-Z", orgCountry: "United States",
		others: map[string]Confidence{"amzn-noc-contact@amazon.com": ConfidenceLow}},
	{file: "arin/ip-206.41.110.0.json", kind: "ip", email: "neteng@unitedix.net", conf: ConfidenceHigh, path: "entities[0].entities[0]",
		org: "United-IX", orgHandle: "UIEL", orgCountry: "United States"},
	{file: "arin/ip-2606_4700_4700__1111.json", kind: "ip", email: "abuse@cloudflare.com", conf: ConfidenceHigh, path: "entities[1]",
		org: "Cloudflare, Inc.", orgHandle: "CLOUD14", orgCountry: "United States",
		others: map[string]Confidence{"noc@cloudflare.com": ConfidenceLow, "rir@cloudflare.com": ConfidenceLow}},
	// Conflict: network-level abuse POC (top level) wins over the org's.
	{file: "arin/ip-108.45.128.208.json", kind: "ip", email: "abuse@verizon.net", conf: ConfidenceHigh, path: "entities[1]",
		org: "MCI Communications Services, Inc. d/b/a Verizon Business", orgHandle: "MCICS", orgCountry: "United States",
		others: map[string]Confidence{"abuse-mail@verizonbusiness.com": ConfidenceHigh}},
	{file: "arin/ip-2001_4860__.json", kind: "ip", email: "arin-contact@google.com", conf: ConfidenceHigh, path: "entities[1]",
		org: "Google LLC", orgHandle: "GOGL", orgCountry: "United States",
		others: map[string]Confidence{"network-abuse@google.com": ConfidenceHigh}},
	{file: "arin/ip-74.125.225.229.json", kind: "ip", email: "arin-contact@google.com", conf: ConfidenceHigh, path: "entities[0].entities[0]",
		org: "Google Inc.", orgHandle: "GOGL", orgCountry: "UNITED STATES"},
	// An individual as the abuse POC (top level and nested).
	{file: "arin/ip-192.198.0.0.json", kind: "ip", email: "daniel.petsinger@radiolinkinternet.com", conf: ConfidenceHigh, path: "entities[1]",
		org: "Radio Link Internet", orgHandle: "DP-41", orgCountry: "United States"},
	{file: "arin/autnum-AS13335.json", kind: "autnum", email: "abuse@cloudflare.com", conf: ConfidenceHigh, path: "entities[1]",
		org: "Cloudflare, Inc.", orgHandle: "CLOUD14", orgCountry: "United States"},
	{file: "arin/autnum-AS2914.json", kind: "autnum", email: "abuse@ntt.net", conf: ConfidenceHigh, path: "entities[0].entities[0]",
		org: "NTT America, Inc.", orgHandle: "NTTAM-1", orgCountry: "United States",
		others: map[string]Confidence{"peering@ntt.net": ConfidenceLow, "support@us.ntt.net": ConfidenceLow}},
	{file: "arin/entity-GOVI.json", kind: "entity", email: "support@govital.net", conf: ConfidenceHigh, path: "entities[0]",
		others: map[string]Confidence{"steve@govital.net": ConfidenceLow}},

	// --- RIPE: abuse-c role entity at top level; the typed e-mail is the
	// abuse-mailbox. New answers carry no vCard on the org entity.
	{file: "ripe/ip-130.59.31.80.json", kind: "ip", email: "abuse@switch.ch", conf: ConfidenceHigh, path: "entities[4]",
		orgHandle: "ORG-SG2-RIPE", country: "CH"},
	{file: "ripe/ip-193.0.6.139.json", kind: "ip", email: "abuse@ripe.net", conf: ConfidenceHigh, path: "entities[4]",
		orgHandle: "ORG-RIEN1-RIPE", country: "NL"},
	{file: "ripe/autnum-AS8283.json", kind: "autnum", email: "abuse@coloclue.net", conf: ConfidenceHigh, path: "entities[4]",
		org: "Netwerkvereniging Coloclue", orgHandle: "ORG-NC22-RIPE", orgCountry: "NETHERLANDS",
		others: map[string]Confidence{"ops@coloclue.net": ConfidenceLow}},
	// Old shape (no objectClassName): role abuse with three untyped e-mails.
	{file: "ripe/ip-62.239.237.1.json", kind: "ip", email: "zzdnsr@bt.com", conf: ConfidenceHigh, path: "entities[0]", country: "GB"},
	{file: "ripe/ip-2a00_2381_ffff__1.json", kind: "ip", email: "zzdnsr@bt.com", conf: ConfidenceHigh, path: "entities[0]", country: "GB"},
	{file: "ripe/error-404.json", kind: "error", errCode: CodeNotFound, errStatus: 404},
	{file: "ripe/error-501.json", kind: "error", errCode: CodeBadResponse, errStatus: 501},

	// --- APNIC: IRT object with role abuse; abuse-mailbox marked pref=1.
	{file: "apnic/ip-1.1.1.1.json", kind: "ip", email: "helpdesk@apnic.net", conf: ConfidenceHigh, path: "entities[1]",
		org: "APNIC Research and Development", orgHandle: "ORG-ARAD1-AP", country: "AU",
		others: map[string]Confidence{"resolver-abuse@cloudflare.com": ConfidenceMedium, "research@apnic.net": ConfidenceLow}},
	{file: "apnic/autnum-AS9269.json", kind: "autnum", email: "abuse@hkbn.net", conf: ConfidenceHigh, path: "entities[0]",
		org: "Hong Kong Broadband Network Ltd", orgHandle: "ORG-HKBN1-AP", country: "HK",
		others: map[string]Confidence{"abuse@hkbn.com.hk": ConfidenceMedium, "nocsn@hkbn.com.hk": ConfidenceLow}},
	{file: "apnic/autnum-AS4608.json", kind: "autnum", email: "noc@apnic.net", conf: ConfidenceHigh, path: "entities[0]", country: "AU"},
	// KRNIC's IRT is the registered abuse contact; the ISP's own abuse
	// address is only in its technical entity (and its remark).
	{file: "apnic/ip-210.107.73.73.json", kind: "ip", email: "hostmaster@nic.or.kr", conf: ConfidenceHigh, path: "entities[1]", country: "KR",
		others: map[string]Confidence{"abuse@bora.net": ConfidenceMedium}},
	// JPNIC block: no abuse role at all.
	{file: "apnic/ip-2001_240_10c_1__ca20_9d1d.json", kind: "ip", email: "hostmaster@nic.ad.jp", conf: ConfidenceLow, path: "entities[0]", country: "JP"},
	{file: "apnic/error-400.json", kind: "error", errCode: CodeBadResponse, errStatus: 400},

	// --- LACNIC: a person with roles including abuse at top level.
	{file: "lacnic/ip-200.57.141.161.json", kind: "ip", email: "operacion.redes@TRIARA.COM", conf: ConfidenceHigh, path: "entities[0]",
		org: "Triara.com, S.A. de C.V.", orgHandle: "MX-TSCV6-LACNIC", country: "MX", orgCountry: "MX"},
	{file: "lacnic/ip-2801_10_c000__.json", kind: "ip", email: "sistemas.red@UCO.EDU.CO", conf: ConfidenceHigh, path: "entities[0]",
		org: "Universidad Catolica de Oriente", orgHandle: "CO-UCOR-LACNIC", country: "CO", orgCountry: "CO"},
	{file: "lacnic/ip-179.0.0.0.json", kind: "ip", email: "tomas.cribb@neuralsoft.com", conf: ConfidenceHigh, path: "entities[1]",
		org: "NEURALSOFT S.R.L.", orgHandle: "AR-NESR9-LACNIC"},
	{file: "lacnic/autnum-AS27648.json", kind: "autnum", email: "aperez@bantel.net.ve", conf: ConfidenceHigh, path: "entities[1]",
		org: "TELECOMUNICACIONES BANTEL, C.A.", orgHandle: "VE-TBCA1-LACNIC"},

	// --- AFRINIC: no abuse role anywhere.
	{file: "afrinic/ip-196.11.240.215.json", kind: "ip", email: "abuse@mtnbusiness.co.za", conf: ConfidenceMedium, path: "remarks[0]",
		org: "ORG-VSA1-AFRINIC", orgHandle: "ORG-VSA1-AFRINIC", country: "ZA",
		others: map[string]Confidence{"teixei_a@mtn.co.za": ConfidenceLow, "ip-maint@mtnbusiness.co.za": ConfidenceLow}},
	{file: "afrinic/ip-2001_43f8_7b0__.json", kind: "ip", email: "mwangi@isoc.org", conf: ConfidenceLow, path: "entities[1]",
		org: "ORG-TA38-AFRINIC", orgHandle: "ORG-TA38-AFRINIC", country: "KE",
		others: map[string]Confidence{"jpmuga@tespok.co.ke": ConfidenceLow}},
	{file: "afrinic/ip-41.0.0.0.json", kind: "ip", email: "Jacques.hendricks@vodacom.co.za", conf: ConfidenceLow, path: "entities[0]", country: "ZA"},
	{file: "afrinic/autnum-AS37271.json", kind: "autnum", email: "abuse@workonline.africa", conf: ConfidenceMedium, path: "entities[0]",
		org: "Workonline Communications(Pty) Ltd", orgHandle: "ORG-WCL1-AFRINIC",
		others: map[string]Confidence{"noc@workonline.africa": ConfidenceLow}},
	{file: "afrinic/autnum-AS36864.json", kind: "autnum", email: "stevance@afribonemali.net", conf: ConfidenceLow, path: "entities[0]",
		org: "AFRIBONE MALI SA", orgHandle: "ORG-AMS4-AFRINIC"},

	// --- Domains: the registrar's abuse contact.
	{file: "verisign/domain-google.com.json", kind: "domain", email: "abusecomplaints@markmonitor.com", conf: ConfidenceHigh, path: "entities[0].entities[0]"},
	{file: "verisign/domain-20c.com.json", kind: "domain", email: "abuse@joker.com", conf: ConfidenceHigh, path: "entities[0].entities[0]"},
	{file: "verisign/domain-themarquetry.com.json", kind: "domain", email: "abuse@registrar.eu", conf: ConfidenceHigh, path: "entities[0].entities[0]"},
	{file: "markmonitor/domain-google.com.json", kind: "domain", email: "abusecomplaints@markmonitor.com", conf: ConfidenceHigh, path: "entities[3].entities[0]"},
	{file: "namecheap/domain-bitcoin.org.json", kind: "domain", email: "abuse@namecheap.com", conf: ConfidenceHigh, path: "entities[0]",
		others: map[string]Confidence{"support@namecheap.com": ConfidenceLow}},
	{file: "comlaude/domain-amazon.cyou.json", kind: "domain", email: "abuse@comlaude.com", conf: ConfidenceHigh, path: "entities[0].entities[0]"},
	{file: "zdns/domain-bitcoin.top.json", kind: "domain", email: "westabuse@gmail.com", conf: ConfidenceHigh, path: "entities[1].entities[0]",
		others: map[string]Confidence{"domain@west263.com": ConfidenceLow}},
	{file: "flexireg/domain-home.moscow.json", kind: "domain", email: "abuse@reg.ru", conf: ConfidenceHigh, path: "entities[0].entities[0]",
		others: map[string]Confidence{"info@reg.ru": ConfidenceLow}},
	// No abuse role: fall back to the registrar's own address.
	{file: "afnic/domain-lemonde.fr.json", kind: "domain", email: "registrar@nameshield.net", conf: ConfidenceLow, path: "entities[0]",
		others: map[string]Confidence{"technical@nameshield.net": ConfidenceLow, "domain_names@lemonde.fr": ConfidenceLow}},
	// No contact data at all (entities are bare handles).
	{file: "nic.cz/domain-example.cz.json", kind: "domain"},
	{file: "nic.cz/domain-nic.cz.json", kind: "domain"},
	{file: "ripe/domain-139.6.0.193.in-addr.arpa.json", kind: "domain"},
}

func TestFixturesCoverAllFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	require.NoError(t, err)
	listed := map[string]bool{}
	for _, c := range fixtureCases {
		listed[c.file] = true
	}
	var missing []string
	for _, f := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(f, "testdata"+string(filepath.Separator)))
		if strings.HasPrefix(rel, "synthetic/") {
			continue
		}
		if !listed[rel] {
			missing = append(missing, rel)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "fixture files without a table entry")
	require.Len(t, fixtureCases, len(files)-1) // all but the synthetic file
}

func TestFixtureAbuseExtraction(t *testing.T) {
	for _, tc := range fixtureCases {
		t.Run(tc.file, func(t *testing.T) {
			raw := readFixture(t, tc.file)
			if tc.kind == "error" {
				_, _, err := FindContacts(raw)
				require.Error(t, err)
				var e *Error
				require.ErrorAs(t, err, &e)
				require.Equal(t, tc.errCode, e.Code)
				require.Equal(t, tc.errStatus, e.Status)
				require.NotEmpty(t, e.Detail)
				return
			}
			abuse, others, err := FindContacts(raw)
			require.NoError(t, err)
			if tc.email == "" {
				require.Nil(t, abuse)
				require.Empty(t, others)
			} else {
				require.NotNil(t, abuse)
				require.Equal(t, tc.email, abuse.Email)
				require.Equal(t, tc.conf, abuse.Confidence)
				require.Equal(t, tc.path, abuse.Path)
				require.NotEmpty(t, abuse.Basis)
				require.Equal(t, tc.email, abuse.Emails[0])
				if tc.conf == ConfidenceHigh {
					require.Equal(t, "abuse", abuse.Role)
				}
			}
			got := map[string]Confidence{}
			for _, o := range others {
				require.NotEqual(t, strings.ToLower(tc.email), strings.ToLower(o.Email), "abuse contact repeated in others")
				_, dup := got[strings.ToLower(o.Email)]
				require.False(t, dup && o.Email != "", "duplicate other contact %s", o.Email)
				got[o.Email] = o.Confidence
			}
			for email, conf := range tc.others {
				require.Contains(t, got, email)
				require.Equal(t, conf, got[email], email)
			}

			switch tc.kind {
			case "ip":
				n, err := ParseNetwork(raw)
				require.NoError(t, err)
				require.Equal(t, tc.org, n.Org)
				require.Equal(t, tc.orgHandle, n.OrgHandle)
				require.Equal(t, tc.country, n.Country)
				require.Equal(t, tc.orgCountry, n.OrgCountry)
				require.True(t, n.StartAddress.IsValid() && n.EndAddress.IsValid())
				require.NotEmpty(t, n.CIDRs)
				require.Equal(t, json.RawMessage(raw), n.Raw)
				if tc.email != "" {
					require.Equal(t, tc.email, n.Abuse.Email)
				}
			case "autnum":
				as, err := ParseAutnum(raw)
				require.NoError(t, err)
				require.Equal(t, tc.org, as.Org)
				require.Equal(t, tc.orgHandle, as.OrgHandle)
				require.Equal(t, tc.country, as.Country)
				require.Equal(t, tc.orgCountry, as.OrgCountry)
				require.NotZero(t, as.Number)
				require.Equal(t, tc.email, as.Abuse.Email)
				require.Equal(t, json.RawMessage(raw), as.Raw)
			case "domain":
				d, err := ParseDomain(raw)
				require.NoError(t, err)
				require.NotEmpty(t, d.Name)
				require.Equal(t, json.RawMessage(raw), d.Raw)
				if tc.conf == ConfidenceHigh {
					require.Equal(t, tc.email, d.Registrar.AbuseEmail)
				} else {
					require.Empty(t, d.Registrar.AbuseEmail)
				}
			}
		})
	}
}

// Details of individual layouts beyond the abuse e-mail.
func TestFixtureDetails(t *testing.T) {
	t.Run("ARIN zero-padded addresses and cidr0", func(t *testing.T) {
		n, err := ParseNetwork(readFixture(t, "arin/ip-74.125.225.229.json"))
		require.NoError(t, err)
		require.Equal(t, netip.MustParseAddr("74.125.0.0"), n.StartAddress)
		require.Equal(t, netip.MustParseAddr("74.125.255.255"), n.EndAddress)
		require.Equal(t, []netip.Prefix{netip.MustParsePrefix("74.125.0.0/16")}, n.CIDRs)
		require.Equal(t, "NET-74-0-0-0-0", n.ParentHandle)

		n, err = ParseNetwork(readFixture(t, "arin/ip-13.64.0.0.json"))
		require.NoError(t, err)
		require.Equal(t, []netip.Prefix{
			netip.MustParsePrefix("13.64.0.0/11"),
			netip.MustParsePrefix("13.96.0.0/13"),
			netip.MustParsePrefix("13.104.0.0/14"),
		}, n.CIDRs)
		require.Equal(t, "DIRECT ALLOCATION", n.Type)
		require.Equal(t, "MSFT", n.Name)
	})
	t.Run("old RIPE shape", func(t *testing.T) {
		n, err := ParseNetwork(readFixture(t, "ripe/ip-62.239.237.1.json"))
		require.NoError(t, err)
		require.Equal(t, "BT-CORPORATE", n.Name)
		require.Equal(t, netip.MustParseAddr("62.239.237.0"), n.StartAddress)
		require.Equal(t, []netip.Prefix{netip.MustParsePrefix("62.239.237.0/24")}, n.CIDRs)
		require.Equal(t, []string{"zzdnsr@bt.com", "steve.a.marshall@bt.com", "lee.bailey-hague@bt.com"}, n.Abuse.Emails)
		require.Equal(t, "BT Corporate Registry", n.Abuse.Name)
		// A network document is not a domain.
		_, err = ParseDomain(readFixture(t, "ripe/ip-62.239.237.1.json"))
		require.Equal(t, CodeBadResponse, CodeOf(err))
	})
	t.Run("RIPE typed abuse-mailbox and range CIDRs", func(t *testing.T) {
		n, err := ParseNetwork(readFixture(t, "ripe/ip-193.0.6.139.json"))
		require.NoError(t, err)
		require.Equal(t, "role abuse, e-mail type=abuse", n.Abuse.Basis)
		require.Equal(t, []string{"abuse@ripe.net", "ops@ripe.net"}, n.Abuse.Emails)
		require.Equal(t, "OPS4-RIPE", n.Abuse.Handle)
		require.Equal(t, "+31 20 535 4444", n.Abuse.Phone)
		require.Equal(t, []netip.Prefix{netip.MustParsePrefix("193.0.0.0/21")}, n.CIDRs)
		require.Equal(t, "193.0.0.0 - 193.0.23.255", n.ParentHandle)
	})
	t.Run("APNIC pref=1 and up link", func(t *testing.T) {
		n, err := ParseNetwork(readFixture(t, "apnic/ip-210.107.73.73.json"))
		require.NoError(t, err)
		require.Equal(t, "IRT-KRNIC-KR", n.Abuse.Handle)
		require.Equal(t, "http://rdap.apnic.net/ip/210.0.0.0/8", n.UpLink)
		as, err := ParseAutnum(readFixture(t, "apnic/autnum-AS9269.json"))
		require.NoError(t, err)
		require.Equal(t, "role abuse, preferred e-mail (pref=1)", as.Abuse.Basis)
		require.Equal(t, []string{"abuse@hkbn.net", "hostmaster@hkbn.com.hk"}, as.Abuse.Emails)
		require.Equal(t, uint32(9269), as.Number)
		require.Equal(t, "HKBN-AS-AP", as.Name)
	})
	t.Run("LACNIC autnum handle is the number", func(t *testing.T) {
		as, err := ParseAutnum(readFixture(t, "lacnic/autnum-AS27648.json"))
		require.NoError(t, err)
		require.Equal(t, uint32(27648), as.Number)
		require.Equal(t, uint32(27648), as.Start)
		require.Equal(t, "58  2129930622#0000", as.Abuse.Phone)
	})
	t.Run("AFRINIC remark", func(t *testing.T) {
		n, err := ParseNetwork(readFixture(t, "afrinic/ip-196.11.240.215.json"))
		require.NoError(t, err)
		require.Equal(t, "e-mail in a remark about abuse", n.Abuse.Basis)
		require.Equal(t, []netip.Prefix{
			netip.MustParsePrefix("196.11.239.0/24"),
			netip.MustParsePrefix("196.11.240.0/22"),
			netip.MustParsePrefix("196.11.244.0/23"),
			netip.MustParsePrefix("196.11.246.0/24"),
		}, n.CIDRs)
	})
	t.Run("remark e-mails without an abuse context are ignored", func(t *testing.T) {
		// Microsoft's remark lists secure@, msndcc@ and IOC@ for other
		// purposes; BORANET's lists security@ for hacking; HKBN's IRT
		// remark only says when hostmaster@ was validated.
		for _, f := range []string{"arin/ip-13.64.0.0.json", "apnic/ip-210.107.73.73.json", "apnic/autnum-AS9269.json"} {
			_, others, err := FindContacts(readFixture(t, f))
			require.NoError(t, err)
			for _, o := range others {
				require.NotContains(t, []string{"secure@microsoft.com", "msndcc@microsoft.com", "security@bora.net"}, o.Email, f)
				if strings.HasPrefix(o.Path, "entities[0].remarks") && f == "apnic/autnum-AS9269.json" {
					t.Fatalf("validation remark taken as contact: %+v", o)
				}
			}
		}
	})
	t.Run("verisign thin registry", func(t *testing.T) {
		d, err := ParseDomain(readFixture(t, "verisign/domain-google.com.json"))
		require.NoError(t, err)
		require.Equal(t, "google.com", d.Name)
		require.Equal(t, "2138514_DOMAIN_COM-VRSN", d.Handle)
		require.Equal(t, Registrar{
			Name: "MarkMonitor Inc.", Handle: "292", IANAID: "292",
			AbuseEmail: "abusecomplaints@markmonitor.com", AbusePhone: "+1.2086851750",
			RDAPURL: "https://rdap.markmonitor.com/rdap/domain/GOOGLE.COM",
		}, d.Registrar)
		require.Equal(t, time.Date(1997, 9, 15, 4, 0, 0, 0, time.UTC), d.Registered)
		require.Equal(t, time.Date(2028, 9, 14, 4, 0, 0, 0, time.UTC), d.Expires)
		require.Equal(t, time.Date(2019, 9, 9, 15, 39, 4, 0, time.UTC), d.LastChanged)
		require.Equal(t, []string{"ns1.google.com", "ns2.google.com", "ns3.google.com", "ns4.google.com"}, d.Nameservers)
		require.Contains(t, d.Status, "server delete prohibited")
		require.Empty(t, d.Registrant)

		d, err = ParseDomain(readFixture(t, "verisign/domain-20c.com.json"))
		require.NoError(t, err)
		require.Equal(t, "20c.com", d.Name)
		require.Equal(t, "CSL Computer Service Langenbach GmbH d/b/a joker.com", d.Registrar.Name)
		require.Empty(t, d.Registrar.IANAID) // the document has no publicIds
		require.Equal(t, "https://rdap.joker.com/domain/20C.COM", d.Registrar.RDAPURL)
	})
	t.Run("registrar answers", func(t *testing.T) {
		d, err := ParseDomain(readFixture(t, "markmonitor/domain-google.com.json"))
		require.NoError(t, err)
		require.Equal(t, "Google LLC", d.Registrant)
		require.Equal(t, "MarkMonitor Inc.", d.Registrar.Name)
		require.Equal(t, time.Date(2028, 9, 13, 7, 0, 0, 0, time.UTC), d.Expires) // "+0000" offset form
		require.Equal(t, time.Date(2019, 9, 9, 15, 39, 4, 0, time.UTC), d.LastChanged)
		require.Empty(t, d.Registrar.RDAPURL)

		d, err = ParseDomain(readFixture(t, "namecheap/domain-bitcoin.org.json"))
		require.NoError(t, err)
		require.Equal(t, "NAMECHEAP INC", d.Registrar.Name)
		require.Equal(t, "1068", d.Registrar.IANAID) // domain-level publicIds typed with the registrar name
		require.Equal(t, "support@namecheap.com", d.Registrar.Email)
		require.Equal(t, "WhoisGuard, Inc.", d.Registrant)
		require.Equal(t, time.Date(2029, 8, 18, 13, 19, 55, 0, time.UTC), d.Expires) // no zone
		require.Equal(t, "+1.6613102107", d.Registrar.AbusePhone)

		d, err = ParseDomain(readFixture(t, "comlaude/domain-amazon.cyou.json"))
		require.NoError(t, err)
		require.Equal(t, "amazon.cyou", d.Name) // trailing dot dropped
		require.Equal(t, "470", d.Registrar.IANAID)
		require.Equal(t, "NOM-IQ Ltd dba Com Laude", d.Registrar.Name)
		require.Equal(t, "CL-ABUSE-001", d.Abuse.Handle)
		require.Equal(t, []string{"nsgbr.comlaude.co.uk", "nssui.comlaude.ch", "nsusa.comlaude.net"}, d.Nameservers)
	})
	t.Run("registries", func(t *testing.T) {
		d, err := ParseDomain(readFixture(t, "flexireg/domain-home.moscow.json"))
		require.NoError(t, err)
		require.Equal(t, "1606", d.Registrar.IANAID)
		require.Equal(t, "+7 495 5801111", d.Registrar.AbusePhone) // split over three tel properties
		d, err = ParseDomain(readFixture(t, "zdns/domain-bitcoin.top.json"))
		require.NoError(t, err)
		require.Equal(t, "1556", d.Registrar.IANAID)
		require.Equal(t, "成都西维数码科技有限公司", d.Registrar.Name)
		require.Equal(t, "not applicable", d.Abuse.Handle)
		require.Equal(t, "Wang Shao Gang", d.Registrant)
		d, err = ParseDomain(readFixture(t, "afnic/domain-lemonde.fr.json"))
		require.NoError(t, err)
		require.Equal(t, "1251", d.Registrar.IANAID)
		require.Equal(t, "NAMESHIELD", d.Registrar.Name)
		require.Equal(t, "SOCIETE EDITRICE DU MONDE", d.Registrant)
		require.Equal(t, time.Date(2024, 6, 12, 22, 9, 39, 881923000, time.UTC), d.LastChanged)
		d, err = ParseDomain(readFixture(t, "nic.cz/domain-nic.cz.json"))
		require.NoError(t, err)
		require.Equal(t, "REG-CZNIC", d.Registrar.Handle)
		require.Equal(t, time.Date(2027, 3, 15, 13, 0, 0, 0, time.UTC), d.Expires)
		d, err = ParseDomain(readFixture(t, "ripe/domain-139.6.0.193.in-addr.arpa.json"))
		require.NoError(t, err)
		require.Equal(t, "6.0.193.in-addr.arpa", d.Name)
	})
}
