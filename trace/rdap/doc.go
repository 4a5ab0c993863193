// Package rdap finds who holds an IP address, an AS number or a domain name,
// and whom to send an abuse report to, using RDAP (RFC 9082/9083) with the
// IANA bootstrap registries (RFC 9224).
//
// # Servers
//
// The IANA bootstrap files are embedded (bootstrap/, see its SOURCES.md) and
// can be replaced from a directory (LoadBootstrap) refreshed from IANA
// (RefreshBootstrap). Config.Overrides sends queries elsewhere by TLD, CIDR,
// AS range or "*", and rewrites URL prefixes (used by tests to map every
// registry onto loopback servers). Lookups with no server fail with
// CodeNoServer: many ccTLDs (.de, .eu, .ch, .io, .ru …) have no RDAP
// service, and the caller falls back to WHOIS.
//
// # Client behaviour
//
// Redirects (an RIR answering 301/302/303/307/308 with another RIR's URL,
// as ARIN does for space it does not hold) are followed by the client,
// bounded and loop-checked. 429 answers are retried after Retry-After when it
// is within Config.MaxRetryWait; 5xx answers and connection errors with
// exponential back-off; timeouts are not retried. Bodies are capped
// (4 MiB by default). Requests are rate-limited per host. Every result keeps
// the raw JSON of each document it was built from (Raw, Parents[i].Raw,
// RegistrarRecord.Raw) and the URL it came from.
//
// # Abuse contact extraction
//
// All entities are walked recursively (Contact.Path records where each
// contact sits, e.g. "entities[0].entities[2]"), together with the remarks
// of the object and of each entity. Candidates are ranked:
//
//   - high: an entity with the role "abuse". Among several, the one nearest
//     the top wins (a network-level POC is more specific than the org's),
//     then one whose only role is abuse. Within the entity the address is
//     the e-mail typed "abuse" (RIPE's abuse-mailbox), else the one with the
//     lowest "pref" (APNIC marks the IRT's abuse-mailbox pref=1), else one
//     containing "abuse", else the first.
//   - medium: no abuse role but a hint: an e-mail typed "abuse", an
//     address or a contact name containing "abuse", or an address in a
//     remark that talks about abuse/spam ("please send abuse reports to …").
//   - low: another contact of the object, in the order noc, technical,
//     administrative, registrant, unroled organisation, other (for domains:
//     registrar, technical, administrative, registrant).
//
// The best candidate is Abuse; the others, deduplicated by address, are
// OtherContacts, best first.
//
// What the registries' documents look like (testdata/, SOURCES.md):
//
//   - ARIN: abuse POCs nested under the registrant org (depth 2), and/or at
//     the network level (top level); both can differ (Verizon, Google IPv6);
//     no "country" member, the org address is only a label.
//   - RIPE: a top-level abuse-c role entity; its vCard lists several
//     e-mails and types the abuse-mailbox {"type":"abuse"}; newer answers
//     give the org and maintainers (also role "registrant") no vCard; old
//     answers lack objectClassName and write "a.b.c.d/32" addresses.
//   - APNIC: an IRT entity with role abuse, abuse-mailbox with pref=1; NIR
//     blocks (KRNIC) carry the NIR's IRT while the ISP's abuse address sits
//     in its technical entity; JPNIC blocks have no abuse role at all.
//     Documents carry "up" links to the parent block.
//   - LACNIC: a person with roles [administrative, technical, abuse] at top
//     level, repeated inside the registrant.
//   - AFRINIC: older answers have entities without roles, and the abuse
//     address only in a remark; autnums have none or an "abuse@" among the
//     org's e-mails.
//   - Domains: the registrar's abuse contact is an abuse-role entity nested
//     under the registrar entity (Verisign, registrars' own servers, .top,
//     .moscow) or at top level (Namecheap); .fr and .cz publish none.
//     Thin registries (Verisign) link the registrar's RDAP record with
//     rel "related"; Domain follows it per Config.FollowRegistrar.
package rdap
