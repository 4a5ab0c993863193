package cdn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// DataFormat is the version of the data file format this package reads.
const DataFormat = 1

// Data is the content of a CDN data file (data/cdn.json, embedded; a newer
// one can be loaded with Detector.Load). It is plain JSON so that analysts
// can read and override it.
type Data struct {
	Format    int        `json:"format"`
	Updated   string     `json:"updated"` // date the file was last built or edited, YYYY-MM-DD
	Note      string     `json:"note,omitempty"`
	Sources   []Source   `json:"sources"`
	Providers []Provider `json:"providers"`
}

// Source is where one list of address ranges came from.
type Source struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`         // slug of the provider the list is about
	Official bool   `json:"official"`         // published by the provider itself
	Origin   string `json:"origin"`           // where the list is published
	Via      string `json:"via,omitempty"`    // how undox got it (copy, commit, licence)
	AsOf     string `json:"as_of,omitempty"`  // when the list was taken
	File     string `json:"file,omitempty"`   // generator input file (testdata/)
	Format   string `json:"format,omitempty"` // generator input format: lines, aws, fastly, cdncheck
	Key      string `json:"key,omitempty"`    // generator: which part of the input file
	Count    int    `json:"count,omitempty"`  // prefixes taken
	Dropped  int    `json:"dropped,omitempty"`
	DropNote string `json:"drop_note,omitempty"` // why Dropped prefixes were left out
}

// Provider is one CDN or reverse proxy and the signals that identify it.
type Provider struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
	// ASNs are AS numbers used for the provider's proxies only.
	ASNs []uint32 `json:"asns,omitempty"`
	// SharedASNs also carry the provider's other services (AS16509 is all
	// of AWS): they count only together with another signal.
	SharedASNs []uint32 `json:"shared_asns,omitempty"`
	// Orgs are words of RDAP organisation names ("cloudflare" matches
	// "Cloudflare, Inc."): compared lower-case, punctuation as spaces, on
	// word boundaries.
	Orgs       []string `json:"orgs,omitempty"`
	SharedOrgs []string `json:"shared_orgs,omitempty"`
	// CNAMEs are name suffixes of CNAME targets ("cloudfront.net" matches
	// "d111111abcdef8.cloudfront.net").
	CNAMEs  []string     `json:"cnames,omitempty"`
	Headers []HeaderRule `json:"headers,omitempty"`
	Abuse   Abuse        `json:"abuse"`
	Ranges  []Ranges     `json:"ranges,omitempty"`
}

// HeaderRule matches a response header: present (no condition), or with a
// value that equals, starts with or contains the given text, ignoring case.
type HeaderRule struct {
	Name     string `json:"name"`
	Equals   string `json:"equals,omitempty"`
	Prefix   string `json:"prefix,omitempty"`
	Contains string `json:"contains,omitempty"`
}

func (h HeaderRule) String() string {
	switch {
	case h.Equals != "":
		return h.Name + ": " + h.Equals
	case h.Prefix != "":
		return h.Name + ": " + h.Prefix + "…"
	case h.Contains != "":
		return h.Name + ": …" + h.Contains + "…"
	}
	return h.Name
}

// Abuse is a provider's public abuse channel as recorded in the data file.
// It is data that analysts can override, not something the detector checks.
type Abuse struct {
	Email  string `json:"email,omitempty"`
	URL    string `json:"url,omitempty"`
	Source string `json:"source,omitempty"` // where the channel is documented
	Note   string `json:"note,omitempty"`
}

// Ranges are the prefixes one source gives for a provider.
type Ranges struct {
	Source   string   `json:"source"`
	Prefixes []string `json:"prefixes"`
}

// ParseData reads a data file and checks it: known format, unique slugs and
// source ids, valid prefixes, every range list naming a known source.
func ParseData(b []byte) (*Data, error) {
	var d Data
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("cdn: data file: %w", err)
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	return &d, nil
}

func (d *Data) check() error {
	if d.Format != DataFormat {
		return fmt.Errorf("cdn: data file format %d, this undox reads %d", d.Format, DataFormat)
	}
	sources := map[string]bool{}
	for _, s := range d.Sources {
		if s.ID == "" || sources[s.ID] {
			return fmt.Errorf("cdn: data file: source id %q empty or repeated", s.ID)
		}
		sources[s.ID] = true
	}
	slugs := map[string]bool{}
	for _, p := range d.Providers {
		if p.Slug == "" || p.Name == "" || slugs[p.Slug] {
			return fmt.Errorf("cdn: data file: provider %q: slug or name empty, or slug repeated", p.Slug)
		}
		slugs[p.Slug] = true
		for _, h := range p.Headers {
			if strings.TrimSpace(h.Name) == "" {
				return fmt.Errorf("cdn: data file: provider %s: header rule without a name", p.Slug)
			}
		}
		for _, r := range p.Ranges {
			if !sources[r.Source] {
				return fmt.Errorf("cdn: data file: provider %s: ranges from unknown source %q", p.Slug, r.Source)
			}
			for _, s := range r.Prefixes {
				if _, err := netip.ParsePrefix(s); err != nil {
					return fmt.Errorf("cdn: data file: provider %s, source %s: %w", p.Slug, r.Source, err)
				}
			}
		}
	}
	return nil
}
