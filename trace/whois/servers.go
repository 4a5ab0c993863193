package whois

import "strings"

// builtin maps a TLD (or a registry-run second-level suffix) to the host of
// its registry's WHOIS server, for the ccTLDs undox falls back to WHOIS for
// and a few more common ones. Every other TLD is looked up at IANA once and
// remembered. Only servers whose port-43 service is long established are
// listed: a wrong entry costs more than an IANA query.
var builtin = map[string]string{
	"de": "whois.denic.de",
	"eu": "whois.eu",
	"ch": "whois.nic.ch",
	"li": "whois.nic.ch",
	"fr": "whois.nic.fr",
	"re": "whois.nic.fr",
	"pm": "whois.nic.fr",
	"tf": "whois.nic.fr",
	"wf": "whois.nic.fr",
	"yt": "whois.nic.fr",
	"io": "whois.nic.io",
	"sh": "whois.nic.sh",
	"ac": "whois.nic.ac",
	"nl": "whois.domain-registry.nl",
	"ru": "whois.tcinet.ru",
	"su": "whois.tcinet.ru",
	// рф
	"xn--p1ai": "whois.tcinet.ru",
	"be":       "whois.dns.be",
	"at":       "whois.nic.at",
	"uk":       "whois.nic.uk",
	"it":       "whois.nic.it",
	"pl":       "whois.dns.pl",
	"se":       "whois.iis.se",
	"nu":       "whois.iis.nu",
	"fi":       "whois.fi",
	"no":       "whois.norid.no",
	"cz":       "whois.nic.cz",
	"sk":       "whois.sk-nic.sk",
	"pt":       "whois.dns.pt",
	"ie":       "whois.weare.ie",
	"lu":       "whois.dns.lu",
	"me":       "whois.nic.me",
	"us":       "whois.nic.us",
	"ca":       "whois.cira.ca",
	"jp":       "whois.jprs.jp",
	"cn":       "whois.cnnic.cn",
	"br":       "whois.registro.br",
	"ee":       "whois.tld.ee",
	"lv":       "whois.nic.lv",
	"lt":       "whois.domreg.lt",
	"is":       "whois.isnic.is",
	"cc":       "ccwhois.verisign-grs.com",
	"tv":       "whois.nic.tv",
	"to":       "whois.tonic.to",
}

// queryForms holds the servers that want more than the bare domain name.
// DENIC answers a bare query with the status alone; "-T dn,ace" asks for the
// domain object with nameservers and the change date. JPRS answers in
// Japanese unless "/e" is appended.
var queryForms = map[string]func(domain string) string{
	"whois.denic.de": func(d string) string { return "-T dn,ace " + d },
	"whois.jprs.jp":  func(d string) string { return d + "/e" },
}

// queryFor returns the query line (without CRLF) for domain at host.
func queryFor(host, domain string) string {
	if f, ok := queryForms[strings.ToLower(host)]; ok {
		return f(domain)
	}
	return domain
}

// suffixes returns the candidate keys for domain, longest first: for
// "a.b.co.uk" it is "b.co.uk", "co.uk", "uk" (the domain itself is left out).
func suffixes(domain string) []string {
	labels := strings.Split(domain, ".")
	out := make([]string, 0, len(labels)-1)
	for i := 1; i < len(labels); i++ {
		out = append(out, strings.Join(labels[i:], "."))
	}
	return out
}
