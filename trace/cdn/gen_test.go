package cdn

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite data/cdn.json from data/providers.json and testdata/")

// TestEmbeddedDataUpToDate builds the data file from data/providers.json and
// the source lists in testdata/ and checks that the embedded data/cdn.json is
// that file. With -update it writes it:
//
//	go test ./trace/cdn -run TestEmbeddedDataUpToDate -update
func TestEmbeddedDataUpToDate(t *testing.T) {
	got, err := buildData("data/providers.json", "testdata")
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.WriteFile("data/cdn.json", got, 0o644))
	}
	want, err := os.ReadFile("data/cdn.json")
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got), "data/cdn.json is stale: run go test ./trace/cdn -run TestEmbeddedDataUpToDate -update")
	require.True(t, bytes.Equal(want, embedded), "embedded data differs from data/cdn.json: rebuild")
}

// buildData is the generator: providers.json plus each source's prefixes.
func buildData(providersPath, dir string) ([]byte, error) {
	b, err := os.ReadFile(providersPath)
	if err != nil {
		return nil, err
	}
	d, err := ParseData(b)
	if err != nil {
		return nil, err
	}
	prov := map[string]int{}
	for i, p := range d.Providers {
		if len(p.Ranges) > 0 {
			return nil, fmt.Errorf("%s: provider %s has ranges; they come from sources", providersPath, p.Slug)
		}
		prov[p.Slug] = i
	}
	official := map[string][]netip.Prefix{} // by provider
	// Official lists first, so that third-party lists can leave out what
	// they already give.
	order := make([]int, len(d.Sources))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		oa, ob := d.Sources[a].Official, d.Sources[b].Official
		switch {
		case oa == ob:
			return 0
		case oa:
			return -1
		}
		return 1
	})
	ranges := make([][]string, len(d.Sources))
	for _, i := range order {
		src := &d.Sources[i]
		if _, ok := prov[src.Provider]; !ok {
			return nil, fmt.Errorf("source %s: unknown provider %q", src.ID, src.Provider)
		}
		pfxs, err := readSource(filepath.Join(dir, src.File), src.Format, src.Key)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", src.ID, err)
		}
		slices.SortFunc(pfxs, func(a, b netip.Prefix) int {
			if c := a.Addr().Compare(b.Addr()); c != 0 {
				return c
			}
			return a.Bits() - b.Bits()
		})
		pfxs = slices.Compact(pfxs)
		var kept []string
		src.Dropped, src.DropNote = 0, ""
		for _, p := range pfxs {
			if !src.Official && slices.ContainsFunc(official[src.Provider], func(o netip.Prefix) bool {
				return o.Bits() <= p.Bits() && o.Contains(p.Addr())
			}) {
				src.Dropped++
				continue
			}
			kept = append(kept, p.String())
		}
		if src.Official {
			official[src.Provider] = append(official[src.Provider], pfxs...)
		}
		if src.Dropped > 0 {
			src.DropNote = "left out: already covered by the provider's own list"
		}
		src.Count = len(kept)
		ranges[i] = kept
	}
	for i, src := range d.Sources {
		if len(ranges[i]) == 0 {
			continue
		}
		p := &d.Providers[prov[src.Provider]]
		p.Ranges = append(p.Ranges, Ranges{Source: src.ID, Prefixes: ranges[i]})
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func readSource(path, format, key string) ([]netip.Prefix, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw []string
	switch format {
	case "lines":
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				raw = append(raw, line)
			}
		}
	case "aws":
		var f struct {
			Prefixes []struct {
				IPPrefix string `json:"ip_prefix"`
				Service  string `json:"service"`
			} `json:"prefixes"`
			IPv6Prefixes []struct {
				IPv6Prefix string `json:"ipv6_prefix"`
				Service    string `json:"service"`
			} `json:"ipv6_prefixes"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, err
		}
		for _, p := range f.Prefixes {
			if p.Service == key {
				raw = append(raw, p.IPPrefix)
			}
		}
		for _, p := range f.IPv6Prefixes {
			if p.Service == key {
				raw = append(raw, p.IPv6Prefix)
			}
		}
	case "fastly":
		var f struct {
			Addresses     []string `json:"addresses"`
			IPv6Addresses []string `json:"ipv6_addresses"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, err
		}
		raw = append(f.Addresses, f.IPv6Addresses...)
	case "cdncheck":
		var f map[string]json.RawMessage
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, err
		}
		outer, inner, ok := strings.Cut(key, ".")
		if !ok {
			return nil, fmt.Errorf("key %q: want section.name", key)
		}
		var sec map[string][]string
		if err := json.Unmarshal(f[outer], &sec); err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
		list, ok := sec[inner]
		if !ok {
			return nil, fmt.Errorf("key %q not in %s", key, path)
		}
		raw = list
	default:
		return nil, fmt.Errorf("unknown format %q", format)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("no prefixes in %s", path)
	}
	var out []netip.Prefix
	for _, s := range raw {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
