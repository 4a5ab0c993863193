package trace

import "strings"

// registryOperator is a TLD's registry operator as IANA's root zone database
// names it.
type registryOperator struct {
	Name    string
	Country string
}

// registries is a small table of registry operators, for the registry step
// of the escalation (the last one before the site's own contact). It names
// the operator only: no abuse channel is shipped, since registries publish
// them on their web sites and change them; the contact book (an entry with
// role "registry", scope domain, key the TLD) supplies the channel.
// TLDs not listed get a registry step named after the TLD.
var registries = map[string]registryOperator{
	"com":    {"VeriSign Global Registry Services", "US"},
	"net":    {"VeriSign Global Registry Services", "US"},
	"org":    {"Public Interest Registry (PIR)", "US"},
	"info":   {"Identity Digital Limited", "IE"},
	"io":     {"Internet Computer Bureau Limited", "GB"},
	"nl":     {"SIDN (Stichting Internet Domeinregistratie Nederland)", "NL"},
	"eu":     {"EURid vzw", "BE"},
	"be":     {"DNS Belgium vzw", "BE"},
	"de":     {"DENIC eG", "DE"},
	"fr":     {"AFNIC", "FR"},
	"ch":     {"SWITCH Foundation", "CH"},
	"li":     {"SWITCH Foundation", "CH"},
	"at":     {"nic.at GmbH", "AT"},
	"uk":     {"Nominet UK", "GB"},
	"cz":     {"CZ.NIC, z.s.p.o.", "CZ"},
	"pl":     {"NASK", "PL"},
	"it":     {"Registro .it (IIT-CNR)", "IT"},
	"es":     {"Red.es", "ES"},
	"se":     {"The Swedish Internet Foundation", "SE"},
	"nu":     {"The Swedish Internet Foundation", "SE"},
	"dk":     {"Punktum dk A/S", "DK"},
	"ru":     {"Coordination Center for TLD RU", "RU"},
	"su":     {"Russian Institute for Development of Public Networks (ROSNIIROS)", "RU"},
	"moscow": {"Foundation for Assistance for Internet Technologies and Infrastructure Development (FAITID)", "RU"},
	"co":     {".CO Internet S.A.S.", "CO"},
	"me":     {"doMEn d.o.o.", "ME"},
	"top":    {".TOP Registry", "CN"},
	"xyz":    {"XYZ.COM LLC", "US"},
}

// tldOf returns the last label of a domain name.
func tldOf(domain string) string {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	if i := strings.LastIndexByte(domain, '.'); i >= 0 {
		return domain[i+1:]
	}
	return domain
}
