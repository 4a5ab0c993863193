package rdap

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The IANA RDAP bootstrap registries (RFC 9224), embedded as the default.
// See bootstrap/SOURCES.md for their origin and date.
//
//go:embed bootstrap/*.json
var embeddedBootstrap embed.FS

// Bootstrap registry file names, as published by IANA under
// DefaultBootstrapBaseURL.
const (
	FileDNS  = "dns.json"
	FileIPv4 = "ipv4.json"
	FileIPv6 = "ipv6.json"
	FileASN  = "asn.json"
)

// BootstrapFiles lists the four registries the package uses.
var BootstrapFiles = []string{FileDNS, FileIPv4, FileIPv6, FileASN}

// DefaultBootstrapBaseURL is where IANA publishes the bootstrap registries.
const DefaultBootstrapBaseURL = "https://data.iana.org/rdap/"

// OriginEmbedded is the Bootstrap.Origin value for a registry that came from
// the copy compiled into the binary.
const OriginEmbedded = "embedded"

// Bootstrap is a parsed set of IANA RDAP bootstrap registries: which RDAP
// base URLs serve which TLDs, IP prefixes and AS number ranges.
// It is immutable and safe for concurrent use.
type Bootstrap struct {
	dns  map[string][]string
	ipv4 []prefixEntry
	ipv6 []prefixEntry
	asn  []asnEntry

	// Publication is each registry file's "publication" timestamp, by file
	// name (e.g. "dns.json" → "2024-07-25T22:00:01Z").
	Publication map[string]string
	// Origin tells where each registry file was read from: OriginEmbedded or
	// a file path.
	Origin map[string]string
}

type prefixEntry struct {
	prefix netip.Prefix
	urls   []string
}

type asnEntry struct {
	lo, hi uint32
	urls   []string
}

// bootstrapFile is the RFC 9224 registry layout.
type bootstrapFile struct {
	Description string       `json:"description"`
	Publication string       `json:"publication"`
	Version     string       `json:"version"`
	Services    [][][]string `json:"services"`
}

var (
	defaultBootstrapOnce sync.Once
	defaultBootstrap     *Bootstrap
	defaultBootstrapErr  error
)

// DefaultBootstrap returns the embedded registries. It panics if they cannot
// be parsed, which the package tests rule out.
func DefaultBootstrap() *Bootstrap {
	defaultBootstrapOnce.Do(func() {
		defaultBootstrap, defaultBootstrapErr = LoadBootstrap("")
	})
	if defaultBootstrapErr != nil {
		panic(defaultBootstrapErr)
	}
	return defaultBootstrap
}

// LoadBootstrap reads dns.json, ipv4.json, ipv6.json and asn.json from dir
// (as written by RefreshBootstrap). A file missing from dir is taken from the
// embedded copy (Bootstrap.Origin records which); a file that exists but
// cannot be read or parsed is an error. dir == "" loads only the embedded
// copies.
func LoadBootstrap(dir string) (*Bootstrap, error) {
	files := make(map[string][]byte, len(BootstrapFiles))
	origin := make(map[string]string, len(BootstrapFiles))
	for _, name := range BootstrapFiles {
		if dir != "" {
			p := filepath.Join(dir, name)
			data, err := os.ReadFile(p)
			if err == nil {
				files[name], origin[name] = data, p
				continue
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("rdap bootstrap: %w", err)
			}
		}
		data, err := embeddedBootstrap.ReadFile("bootstrap/" + name)
		if err != nil {
			return nil, fmt.Errorf("rdap bootstrap: embedded %s: %w", name, err)
		}
		files[name], origin[name] = data, OriginEmbedded
	}
	b, err := ParseBootstrap(files)
	if err != nil {
		return nil, err
	}
	b.Origin = origin
	return b, nil
}

// ParseBootstrap builds a Bootstrap from registry documents keyed by file
// name (FileDNS, FileIPv4, FileIPv6, FileASN). Missing files leave that
// registry empty.
func ParseBootstrap(files map[string][]byte) (*Bootstrap, error) {
	b := &Bootstrap{
		dns:         map[string][]string{},
		Publication: map[string]string{},
		Origin:      map[string]string{},
	}
	for name, data := range files {
		var f bootstrapFile
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("rdap bootstrap: %s: %w", name, err)
		}
		b.Publication[name] = f.Publication
		for i, svc := range f.Services {
			if len(svc) < 2 {
				return nil, fmt.Errorf("rdap bootstrap: %s: services[%d]: want [keys, urls]", name, i)
			}
			keys, urls := svc[0], orderURLs(svc[1])
			if len(urls) == 0 {
				continue
			}
			for _, k := range keys {
				if err := b.add(name, k, urls); err != nil {
					return nil, fmt.Errorf("rdap bootstrap: %s: services[%d]: %w", name, i, err)
				}
			}
		}
	}
	sortPrefixes(b.ipv4)
	sortPrefixes(b.ipv6)
	return b, nil
}

func (b *Bootstrap) add(file, key string, urls []string) error {
	switch file {
	case FileDNS:
		k := normalizeDomainKey(key)
		if k == "" {
			return fmt.Errorf("empty DNS key")
		}
		b.dns[k] = urls
	case FileIPv4, FileIPv6:
		p, err := netip.ParsePrefix(strings.TrimSpace(key))
		if err != nil {
			return err
		}
		e := prefixEntry{prefix: p.Masked(), urls: urls}
		if p.Addr().Is4() {
			b.ipv4 = append(b.ipv4, e)
		} else {
			b.ipv6 = append(b.ipv6, e)
		}
	case FileASN:
		lo, hi, err := parseASNRange(key)
		if err != nil {
			return err
		}
		b.asn = append(b.asn, asnEntry{lo: lo, hi: hi, urls: urls})
	default:
		return fmt.Errorf("unknown registry file %q", file)
	}
	return nil
}

// Domain returns the RDAP base URLs for a domain name by its longest
// matching registry key (normally the TLD), and the key matched. nil if the
// registry has no entry (e.g. .de, .io at the time of the embedded copy).
func (b *Bootstrap) Domain(name string) (urls []string, key string) {
	name = normalizeDomainKey(name)
	for s := name; s != ""; {
		if u, ok := b.dns[s]; ok {
			return u, s
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	return nil, ""
}

// IP returns the RDAP base URLs for an address by longest prefix match, and
// the prefix matched.
func (b *Bootstrap) IP(addr netip.Addr) (urls []string, prefix netip.Prefix) {
	addr = addr.Unmap()
	list := b.ipv6
	if addr.Is4() {
		list = b.ipv4
	}
	for _, e := range list { // sorted longest first
		if e.prefix.Contains(addr) {
			return e.urls, e.prefix
		}
	}
	return nil, netip.Prefix{}
}

// ASN returns the RDAP base URLs for an AS number by range, and the range.
func (b *Bootstrap) ASN(asn uint32) (urls []string, lo, hi uint32) {
	var best *asnEntry
	for i := range b.asn {
		e := &b.asn[i]
		if asn >= e.lo && asn <= e.hi && (best == nil || e.hi-e.lo < best.hi-best.lo) {
			best = e
		}
	}
	if best == nil {
		return nil, 0, 0
	}
	return best.urls, best.lo, best.hi
}

// RefreshOptions configures RefreshBootstrap.
type RefreshOptions struct {
	// BaseURL the registry files are fetched from; DefaultBootstrapBaseURL
	// if empty. Tests point it at a loopback server.
	BaseURL string
	// HTTPClient; http.DefaultClient if nil.
	HTTPClient *http.Client
	// UserAgent sent with the requests; DefaultUserAgent if empty.
	UserAgent string
	// MaxBytes bounds each file; 4 MiB if 0.
	MaxBytes int64
}

// RefreshBootstrap downloads the four registry files from IANA (or
// opts.BaseURL), checks that each parses and lists services, and only then
// writes them into dir (created if needed), each through a temporary file and
// a rename. It returns the Bootstrap parsed from the new files. Nothing is
// written if any download or check fails.
func RefreshBootstrap(ctx context.Context, dir string, opts RefreshOptions) (*Bootstrap, error) {
	base := opts.BaseURL
	if base == "" {
		base = DefaultBootstrapBaseURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	files := map[string][]byte{}
	for _, name := range BootstrapFiles {
		u := base + name
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, fmt.Errorf("rdap bootstrap refresh: %w", err)
		}
		req.Header.Set("User-Agent", ua)
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("rdap bootstrap refresh: %s: %w", u, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("rdap bootstrap refresh: %s: %w", u, err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("rdap bootstrap refresh: %s: HTTP %d", u, resp.StatusCode)
		}
		if int64(len(data)) > limit {
			return nil, fmt.Errorf("rdap bootstrap refresh: %s: larger than %d bytes", u, limit)
		}
		one, err := ParseBootstrap(map[string][]byte{name: data})
		if err != nil {
			return nil, fmt.Errorf("rdap bootstrap refresh: %w", err)
		}
		if one.empty() {
			return nil, fmt.Errorf("rdap bootstrap refresh: %s: no services", u)
		}
		files[name] = data
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rdap bootstrap refresh: %w", err)
	}
	for _, name := range BootstrapFiles {
		if err := writeFileAtomic(filepath.Join(dir, name), files[name]); err != nil {
			return nil, fmt.Errorf("rdap bootstrap refresh: %w", err)
		}
	}
	return LoadBootstrap(dir)
}

func (b *Bootstrap) empty() bool {
	return len(b.dns) == 0 && len(b.ipv4) == 0 && len(b.ipv6) == 0 && len(b.asn) == 0
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := io.Copy(tmp, bytes.NewReader(data)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// orderURLs puts https URLs first, keeping the registry's order otherwise,
// and ensures each ends with "/".
func orderURLs(in []string) []string {
	out := make([]string, 0, len(in))
	for _, u := range in {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		out = append(out, u)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.HasPrefix(out[i], "https:") && !strings.HasPrefix(out[j], "https:")
	})
	return out
}

func sortPrefixes(list []prefixEntry) {
	sort.SliceStable(list, func(i, j int) bool { return list[i].prefix.Bits() > list[j].prefix.Bits() })
}

func normalizeDomainKey(s string) string {
	return strings.Trim(strings.ToLower(strings.TrimSpace(s)), ".")
}

// parseASNRange parses "13335", "AS13335", "1-1876" or "AS1-AS1876".
func parseASNRange(s string) (lo, hi uint32, err error) {
	s = strings.TrimSpace(s)
	a, b, isRange := strings.Cut(s, "-")
	lo, err = parseASN(a)
	if err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = parseASN(b); err != nil {
			return 0, 0, err
		}
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("ASN range %q: end before start", s)
	}
	return lo, hi, nil
}

func parseASN(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && strings.EqualFold(s[:2], "AS") {
		s = s[2:]
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("bad AS number %q", s)
	}
	return uint32(n), nil
}
