// Package cdn recognises CDNs and reverse proxies (Cloudflare, DDoS-Guard,
// Fastly, Akamai, CloudFront, …) in front of a site, from several signals
// together: the site's addresses (the providers' published ranges), their AS
// numbers, the RDAP organisation holding them, CNAME targets, and response
// headers seen at capture.
//
// A CDN in front of a site hides the real host; knowing which one it is tells
// an analyst where to send the first report (the CDN can name the host).
//
// Confidence is "high" when an address lies in a range the provider
// publishes itself, or when two independent kinds of signal (address, AS
// number, RDAP organisation, CNAME, header) agree; "medium" for one kind
// alone. AS numbers and organisations that the provider shares with its other
// services (AS16509 is all of AWS, not only CloudFront) never count alone.
//
// The data (ranges, AS numbers, names, header rules, abuse channels) comes
// from a JSON data file embedded in the package (data/cdn.json, built from
// data/providers.json and the lists in testdata/, see SOURCES.md there); a
// newer file can be loaded at run time with Detector.Load. The embedded file
// has 1,329 prefixes (966 IPv4, 363 IPv6). They are cut into sorted,
// non-overlapping segments, each with the prefixes covering it, so an address
// is looked up with one binary search.
package cdn

import (
	"cmp"
	_ "embed"
	"fmt"
	"net/http"
	"net/netip"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

//go:embed data/cdn.json
var embedded []byte

// Confidence of a match.
const (
	// ConfidenceHigh: an address in a range the provider publishes itself,
	// or two independent kinds of signal agree.
	ConfidenceHigh = "high"
	// ConfidenceMedium: one kind of signal (a header, a CNAME, an AS number,
	// an organisation name, or a range from a third-party list).
	ConfidenceMedium = "medium"
)

// Kinds of signal, as listed in Match.Signals.
const (
	SignalAddress = "address"
	SignalASN     = "asn"
	SignalOrg     = "org"
	SignalCNAME   = "cname"
	SignalHeader  = "header"
)

// Signals is what is known about a site's hosting.
type Signals struct {
	Addrs   []netip.Addr // the site's addresses (A/AAAA)
	ASNs    []uint32     // AS numbers announcing them
	Orgs    []string     // RDAP organisation names of the networks, e.g. "Cloudflare, Inc."
	CNAMEs  []string     // CNAME targets of the site's name
	Headers http.Header  // response headers seen at capture
}

// Match is a provider recognised in the signals.
type Match struct {
	Name       string   `json:"name"`       // "Cloudflare"
	Slug       string   `json:"slug"`       // "cloudflare"
	Confidence string   `json:"confidence"` // ConfidenceHigh or ConfidenceMedium
	Signals    []string `json:"signals"`    // kinds of signal that matched, in a fixed order
	Evidence   []string `json:"evidence"`   // each matching signal, readable
	// The provider's abuse channel from the data file. It is data analysts
	// can override (see AbuseNote), not checked by the detector.
	AbuseEmail string `json:"abuse_email,omitempty"`
	AbuseURL   string `json:"abuse_url,omitempty"`
	AbuseNote  string `json:"abuse_note,omitempty"`
}

// Info describes the data a Detector uses.
type Info struct {
	Updated   string   `json:"updated"`
	Sources   []Source `json:"sources"`
	Providers int      `json:"providers"`
	Prefixes4 int      `json:"prefixes4"`
	Prefixes6 int      `json:"prefixes6"`
	Segments  int      `json:"segments"`       // entries of the lookup table (both families)
	Path      string   `json:"path,omitempty"` // the file loaded, empty for the embedded data
}

// Detector recognises providers. It is safe for concurrent use, also while
// Load replaces its data.
type Detector struct {
	t atomic.Pointer[table]
}

var (
	defaultOnce  sync.Once
	defaultTable *table
)

// Default returns a Detector using the embedded data file. The data is
// compiled once; each call returns a new Detector, so Load on one does not
// change another.
func Default() *Detector {
	defaultOnce.Do(func() {
		d, err := ParseData(embedded)
		if err != nil {
			panic("cdn: embedded data file: " + err.Error())
		}
		defaultTable = compile(d)
	})
	det := &Detector{}
	det.t.Store(defaultTable)
	return det
}

// New returns a Detector using d, which it checks.
func New(d *Data) (*Detector, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	det := &Detector{}
	det.t.Store(compile(d))
	return det, nil
}

// Load replaces the detector's data with the data file at path. On error the
// detector keeps its data.
func (det *Detector) Load(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cdn: %w", err)
	}
	d, err := ParseData(b)
	if err != nil {
		return fmt.Errorf("%w (%s)", err, path)
	}
	t := compile(d)
	t.path = path
	det.t.Store(t)
	return nil
}

// Info describes the data in use.
func (det *Detector) Info() Info {
	t := det.t.Load()
	return Info{
		Updated:   t.data.Updated,
		Sources:   slices.Clone(t.sources),
		Providers: len(t.provs),
		Prefixes4: t.nPrefix[0],
		Prefixes6: t.nPrefix[1],
		Segments:  len(t.v4) + len(t.v6),
		Path:      t.path,
	}
}

// Provider returns the data of the provider with that slug.
func (det *Detector) Provider(slug string) (Provider, bool) {
	for _, c := range det.t.Load().provs {
		if c.p.Slug == slug {
			return *c.p, true
		}
	}
	return Provider{}, false
}

// Detect returns the provider the signals point to most strongly, or nil.
func (det *Detector) Detect(s Signals) *Match {
	all := det.DetectAll(s)
	if len(all) == 0 {
		return nil
	}
	return &all[0]
}

// acc collects the evidence for one provider.
type acc struct {
	kinds    map[string]bool
	evidence []string
	official bool
	shared   []sharedEv
}

type sharedEv struct{ kind, text string }

func (a *acc) add(kind, text string) {
	if a.kinds == nil {
		a.kinds = map[string]bool{}
	}
	a.kinds[kind] = true
	if !slices.Contains(a.evidence, text) {
		a.evidence = append(a.evidence, text)
	}
}

var kindOrder = []string{SignalAddress, SignalASN, SignalOrg, SignalCNAME, SignalHeader}

// DetectAll returns every provider the signals point to, strongest first:
// high confidence before medium, then more kinds of signal, then a hit in a
// provider's own list.
func (det *Detector) DetectAll(s Signals) []Match {
	t := det.t.Load()
	accs := make([]acc, len(t.provs))

	for _, a := range s.Addrs {
		if !a.IsValid() {
			continue
		}
		// One evidence line per provider and address: its own list's
		// prefix if there is one, else the most specific.
		var best []hit
		for _, h := range t.lookup(a) {
			j := slices.IndexFunc(best, func(b hit) bool { return b.prov == h.prov })
			switch {
			case j < 0:
				best = append(best, h)
			case !t.sources[best[j].source].Official && t.sources[h.source].Official:
				best[j] = h
			}
		}
		for _, h := range best {
			src := t.sources[h.source]
			list := "third-party list"
			if src.Official {
				list = "the provider's own list"
				accs[h.prov].official = true
			}
			accs[h.prov].add(SignalAddress, fmt.Sprintf("address %s in %s (%s, %s)", a.Unmap(), h.prefix, src.ID, list))
		}
	}
	for _, n := range s.ASNs {
		for _, ref := range t.asns[n] {
			if ref.shared {
				accs[ref.prov].shared = append(accs[ref.prov].shared,
					sharedEv{SignalASN, fmt.Sprintf("AS%d (shared with the provider's other services)", n)})
			} else {
				accs[ref.prov].add(SignalASN, fmt.Sprintf("AS%d", n))
			}
		}
	}
	for _, org := range s.Orgs {
		norm := " " + normOrg(org) + " "
		if norm == "  " {
			continue
		}
		for i, c := range t.provs {
			if containsAny(norm, c.orgs) {
				accs[i].add(SignalOrg, fmt.Sprintf("RDAP organisation %q", org))
			} else if containsAny(norm, c.sharedOrgs) {
				accs[i].shared = append(accs[i].shared,
					sharedEv{SignalOrg, fmt.Sprintf("RDAP organisation %q (shared with the provider's other services)", org)})
			}
		}
	}
	for _, name := range s.CNAMEs {
		n := normName(name)
		if n == "" {
			continue
		}
		for i, c := range t.provs {
			for j, suf := range c.cnames {
				if n == suf || strings.HasSuffix(n, c.dotCNAMEs[j]) {
					accs[i].add(SignalCNAME, fmt.Sprintf("CNAME %s (*.%s)", n, suf))
					break
				}
			}
		}
	}
	if len(s.Headers) > 0 {
		// One pass over the headers; the rules are indexed by header name.
		type headerHit struct {
			prov, rule int
			value      string
		}
		var hhits []headerHit
		for k, vs := range s.Headers {
			for _, ref := range t.headers[textproto.CanonicalMIMEHeaderKey(k)] {
				if v, ok := matchValues(vs, t.provs[ref.prov].headers[ref.rule]); ok {
					hhits = append(hhits, headerHit{ref.prov, ref.rule, v})
				}
			}
		}
		slices.SortFunc(hhits, func(a, b headerHit) int {
			if c := cmp.Compare(a.prov, b.prov); c != 0 {
				return c
			}
			return cmp.Compare(a.rule, b.rule)
		})
		for _, h := range hhits {
			rule := t.provs[h.prov].headers[h.rule]
			text := "header " + strings.ToLower(rule.Name)
			switch {
			case strings.EqualFold(rule.Name, "set-cookie"):
				text = "header " + rule.String() // not the cookie's value
			case h.value != "":
				text += ": " + clip(h.value, 80)
			}
			accs[h.prov].add(SignalHeader, text)
		}
	}

	var out []Match
	for i, a := range accs {
		if len(a.kinds) == 0 {
			continue // shared signals alone do not count
		}
		for _, ev := range a.shared {
			a.add(ev.kind, ev.text)
		}
		p := t.provs[i].p
		m := Match{
			Name:       p.Name,
			Slug:       p.Slug,
			Confidence: ConfidenceMedium,
			Evidence:   a.evidence,
			AbuseEmail: p.Abuse.Email,
			AbuseURL:   p.Abuse.URL,
			AbuseNote:  abuseNote(p.Abuse, t.data.Updated),
		}
		for _, k := range kindOrder {
			if a.kinds[k] {
				m.Signals = append(m.Signals, k)
			}
		}
		if a.official || len(m.Signals) >= 2 {
			m.Confidence = ConfidenceHigh
		}
		out = append(out, m)
	}
	slices.SortStableFunc(out, func(a, b Match) int {
		if a.Confidence != b.Confidence {
			if a.Confidence == ConfidenceHigh {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(len(b.Signals), len(a.Signals)); c != 0 {
			return c
		}
		return cmp.Compare(len(b.Evidence), len(a.Evidence))
	})
	return out
}

func abuseNote(a Abuse, updated string) string {
	var parts []string
	if a.Note != "" {
		parts = append(parts, a.Note)
	}
	if a.Source != "" {
		parts = append(parts, "Source: "+a.Source+".")
	}
	parts = append(parts, "From undox's CDN data file (updated "+updated+"); analysts may override it.")
	return strings.Join(parts, " ")
}

func containsAny(norm string, words []string) bool {
	for _, w := range words {
		if strings.Contains(norm, w) {
			return true
		}
	}
	return false
}

// matchValues reports whether one of a header's values matches rule, and
// which ("" for a rule that only asks for the header).
func matchValues(values []string, rule HeaderRule) (string, bool) {
	for _, v := range values {
		lv := strings.ToLower(strings.TrimSpace(v))
		switch {
		case rule.Equals != "":
			if lv == rule.Equals {
				return v, true
			}
		case rule.Prefix != "":
			if strings.HasPrefix(lv, rule.Prefix) {
				return v, true
			}
		case rule.Contains != "":
			if strings.Contains(lv, rule.Contains) {
				return v, true
			}
		default:
			return "", true
		}
	}
	return "", false
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
