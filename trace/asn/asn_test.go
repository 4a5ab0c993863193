package asn

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func importFile(t *testing.T, name string) *Table {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	tab, err := Import(f)
	require.NoError(t, err)
	return tab
}

func lookup(t *testing.T, tab *Table, addr string) (Entry, bool) {
	t.Helper()
	return tab.Lookup(netip.MustParseAddr(addr))
}

func requireAS(t *testing.T, tab *Table, addr string, asn uint32) Entry {
	t.Helper()
	e, ok := lookup(t, tab, addr)
	require.True(t, ok, "%s not found", addr)
	require.Equal(t, asn, e.ASN, "%s", addr)
	return e
}

func requireNone(t *testing.T, tab *Table, addr string) {
	t.Helper()
	e, ok := lookup(t, tab, addr)
	require.False(t, ok, "%s found as %v", addr, e)
}

func TestImportCombined(t *testing.T) {
	tab := importFile(t, "ip2asn-combined-sample.tsv")
	rep := tab.Report()
	require.Equal(t, 17, rep.Lines)
	require.Equal(t, 3, rep.NotRouted)
	require.Zero(t, rep.Bad)
	require.Equal(t, 14, rep.Ranges)
	require.Equal(t, 14, tab.Len())
	require.Equal(t, 10, tab.Info().Ranges4)
	require.Equal(t, 4, tab.Info().Ranges6)
	require.Equal(t, 8, tab.Info().Systems)

	e := requireAS(t, tab, "1.1.1.1", 13335)
	require.Equal(t, "US", e.Country)
	require.Equal(t, "CLOUDFLARENET", e.Description)
	require.Equal(t, netip.MustParseAddr("1.1.1.0"), e.Start)
	require.Equal(t, netip.MustParseAddr("1.1.1.255"), e.End)
	require.Equal(t, "AS13335 CLOUDFLARENET (US)", e.String())

	// First and last address of a range, and the neighbours outside it.
	requireAS(t, tab, "104.16.0.0", 13335)
	requireAS(t, tab, "104.23.255.255", 13335)
	requireNone(t, tab, "104.15.255.255")
	requireNone(t, tab, "104.24.0.0")
	// Adjacent ranges of different systems.
	requireAS(t, tab, "1.0.4.0", 38803)
	requireAS(t, tab, "1.0.7.255", 38803)
	requireNone(t, tab, "1.0.8.0")
	// Not routed (AS 0) is not found.
	requireNone(t, tab, "0.0.0.1")
	requireNone(t, tab, "1.0.2.7")
	// A gap between ranges, before the first and after the last.
	requireNone(t, tab, "9.9.9.9")
	requireNone(t, tab, "0.0.0.0")
	requireAS(t, tab, "255.255.255.255", 64496)
	requireAS(t, tab, "255.255.255.0", 64496)
	requireNone(t, tab, "255.255.254.255")
	e = requireAS(t, tab, "80.146.159.255", 3320)
	require.Equal(t, "DTAG Internet service provider operations", e.Description)

	// IPv6, including the edges and an IPv4-mapped address.
	requireAS(t, tab, "2606:4700:4700::1111", 13335)
	requireAS(t, tab, "2606:4700::", 13335)
	requireAS(t, tab, "2606:4700:ffff:ffff:ffff:ffff:ffff:ffff", 13335)
	requireNone(t, tab, "2606:4701::")
	requireNone(t, tab, "2606:46ff:ffff:ffff:ffff:ffff:ffff:ffff")
	requireAS(t, tab, "2a04:4e47::1", 54113)
	requireNone(t, tab, "::1")
	requireNone(t, tab, "ffff::1")
	requireAS(t, tab, "::ffff:1.1.1.1", 13335)

	_, ok := tab.Lookup(netip.Addr{})
	require.False(t, ok)
	var nilTable *Table
	_, ok = nilTable.Lookup(netip.MustParseAddr("1.1.1.1"))
	require.False(t, ok)
	require.Zero(t, nilTable.Len())
}

func TestImportMessy(t *testing.T) {
	tab := importFile(t, "ip2asn-messy.tsv")
	rep := tab.Report()
	require.Equal(t, 17, rep.Lines)
	require.Equal(t, 6, rep.Bad)
	require.Equal(t, 1, rep.NotRouted)
	require.Equal(t, 1, rep.Duplicates) // 1.1.1.0/24 twice
	require.Equal(t, 1, rep.Overlaps)   // 1.1.1.128-200 inside 1.1.1.0/24 with another AS
	require.Equal(t, 6, rep.Ranges)
	require.Len(t, rep.Examples, 6)
	require.Equal(t, 5, rep.Examples[0].Line)
	require.Equal(t, "this is not a range", rep.Examples[0].Text)
	require.Contains(t, rep.Examples[1].Reason, "range_end")
	require.Contains(t, rep.Examples[2].Reason, "before")
	require.Contains(t, rep.Examples[3].Reason, "families")
	require.Contains(t, rep.Examples[4].Reason, "AS_number")
	require.Contains(t, rep.Examples[5].Reason, "AS_number")

	// Unsorted input is sorted; CRLF is stripped from descriptions.
	e := requireAS(t, tab, "1.1.1.150", 13335)
	require.Equal(t, "CLOUDFLARENET", e.Description)
	requireAS(t, tab, "8.8.8.8", 15169)
	requireAS(t, tab, "9.9.9.9", 19281)
	requireNone(t, tab, "5.0.0.1")
	requireNone(t, tab, "10.2.0.1")
	requireAS(t, tab, "2a01:4f8:c0c:1::2", 24940)
	// A line without a description (4 fields) is still a range.
	e = requireAS(t, tab, "1.0.0.1", 13335)
	require.Empty(t, e.Description)

	var starts []netip.Addr
	tab.Ranges(func(e Entry) bool { starts = append(starts, e.Start); return true })
	require.Len(t, starts, 6)
	for i := 1; i < len(starts); i++ {
		require.True(t, starts[i-1].Less(starts[i]))
	}
}

func TestImportGzipAndU32(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "ip2asn-combined-sample.tsv"))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err = zw.Write(raw)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	tab, err := Import(&buf)
	require.NoError(t, err)
	require.Equal(t, 14, tab.Len())
	requireAS(t, tab, "151.101.1.1", 54113)

	// ip2asn-v4-u32.tsv writes IPv4 addresses as numbers.
	u32 := "16777216\t16777471\t13335\tUS\tCLOUDFLARENET\n16843008\t16843263\t13335\tUS\tCLOUDFLARENET\n4294967295\t4294967295\t64496\tZZ\tlast\n"
	tab, err = Import(strings.NewReader(u32))
	require.NoError(t, err)
	e := requireAS(t, tab, "1.1.1.1", 13335)
	require.Equal(t, netip.MustParseAddr("1.1.1.0"), e.Start)
	requireAS(t, tab, "1.0.0.255", 13335)
	requireAS(t, tab, "255.255.255.255", 64496)
	requireNone(t, tab, "1.0.1.0")
}

func TestImportFilesMerges(t *testing.T) {
	dir := t.TempDir()
	v4 := filepath.Join(dir, "ip2asn-v4.tsv.gz")
	f, err := os.Create(v4)
	require.NoError(t, err)
	zw := gzip.NewWriter(f)
	_, err = zw.Write([]byte("1.1.1.0\t1.1.1.255\t13335\tUS\tCLOUDFLARENET\n"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	v6 := filepath.Join(dir, "ip2asn-v6.tsv")
	require.NoError(t, os.WriteFile(v6, []byte("2606:4700::\t2606:4700:ffff:ffff:ffff:ffff:ffff:ffff\t13335\tUS\tCLOUDFLARENET\n"), 0o644))

	tab, err := ImportFiles(v4, v6)
	require.NoError(t, err)
	require.Equal(t, 2, tab.Len())
	require.Equal(t, 1, tab.Info().Systems)
	require.Equal(t, "ip2asn-v4.tsv.gz, ip2asn-v6.tsv", tab.Info().Source)
	requireAS(t, tab, "1.1.1.1", 13335)
	requireAS(t, tab, "2606:4700::6810:1", 13335)

	_, err = ImportFiles(filepath.Join(dir, "missing.tsv"))
	require.Error(t, err)
	_, err = ImportFiles()
	require.Error(t, err)
}

func TestImportRejectsNonsense(t *testing.T) {
	_, err := Import(strings.NewReader("<html>\n<body>not found</body>\n"))
	require.ErrorContains(t, err, "no usable range")

	// Empty input is an empty table, not an error.
	tab, err := Import(strings.NewReader(""))
	require.NoError(t, err)
	require.Zero(t, tab.Len())

	// A broken gzip stream is a read error.
	_, err = Import(bytes.NewReader([]byte{0x1f, 0x8b, 0, 0}))
	require.Error(t, err)

	// An overlong line is one bad line; the rest is read.
	long := strings.Repeat("x", maxLine+10)
	tab, err = Import(strings.NewReader(long + "\n1.1.1.0\t1.1.1.255\t13335\tUS\tCLOUDFLARENET\n"))
	require.NoError(t, err)
	require.Equal(t, 1, tab.Report().Bad)
	require.Equal(t, "line too long", tab.Report().Examples[0].Reason)
	requireAS(t, tab, "1.1.1.1", 13335)
}

func TestSaveLoad(t *testing.T) {
	tab := importFile(t, "ip2asn-messy.tsv")
	path := filepath.Join(t.TempDir(), FileName)
	require.NoError(t, tab.SaveFile(path))

	got, err := LoadFile(path)
	require.NoError(t, err)
	require.Equal(t, tab.Info(), got.Info())
	require.Equal(t, tab.Report(), got.Report())
	var want, have []Entry
	tab.Ranges(func(e Entry) bool { want = append(want, e); return true })
	got.Ranges(func(e Entry) bool { have = append(have, e); return true })
	require.Equal(t, want, have)
	requireAS(t, got, "2606:4700:4700::1111", 13335)
	requireAS(t, got, "1.1.1.1", 13335)

	raw, err := os.ReadFile(path)
	require.NoError(t, err)

	// Any flipped byte is caught by the checksum; truncation too.
	bad := bytes.Clone(raw)
	bad[len(bad)/2] ^= 0xff
	_, err = Load(bytes.NewReader(bad))
	require.ErrorIs(t, err, ErrFormat)
	_, err = Load(bytes.NewReader(raw[:len(raw)-1]))
	require.ErrorIs(t, err, ErrFormat)
	_, err = Load(strings.NewReader("1.1.1.0\t1.1.1.255\t13335\tUS\tCLOUDFLARENET\n"))
	require.ErrorIs(t, err, ErrFormat)

	// A well-formed file whose ranges are out of order is refused.
	swapped := &Table{
		meta: []asInfo{{asn: 1}},
		v4:   []range4{{start: 10, end: 20}, {start: 15, end: 30}},
	}
	var buf bytes.Buffer
	require.NoError(t, swapped.Save(&buf))
	_, err = Load(&buf)
	require.ErrorIs(t, err, ErrFormat)

	// Another version is refused.
	other := bytes.Clone(raw[:len(raw)-4])
	binary.LittleEndian.PutUint16(other[len(fileMagic):], fileVersion+1)
	other = binary.LittleEndian.AppendUint32(other, crc32.ChecksumIEEE(other))
	_, err = Load(bytes.NewReader(other))
	require.ErrorContains(t, err, "version")

	_, err = LoadFile(filepath.Join(t.TempDir(), "missing"))
	require.Error(t, err)
}

// synthetic builds a table of n IPv4 ranges (a gap after each) and n/8 IPv6
// ranges over as many systems as iptoasn has (about 80,000).
func synthetic(n int) *Table {
	im := newImporter()
	var b strings.Builder
	step := uint32((1 << 32) / uint64(n+1))
	for i := range n {
		start := uint32(i) * step
		end := start + step/2
		fmt.Fprintf(&b, "%s\t%s\t%d\tZZ\tSYNTHETIC-%d\n", addrFrom32(start), addrFrom32(end), 64512+i%80000, i%80000)
	}
	for i := range n / 8 {
		start := u128{hi: 0x2000_0000_0000_0000 + uint64(i)<<32}
		end := u128{hi: start.hi + 1<<31, lo: ^uint64(0)}
		fmt.Fprintf(&b, "%s\t%s\t%d\tZZ\tSYNTHETIC-%d\n", start.addr(), end.addr(), 64512+i%80000, i%80000)
	}
	if err := im.read(strings.NewReader(b.String()), "synthetic"); err != nil {
		panic(err)
	}
	t, err := im.table("synthetic")
	if err != nil {
		panic(err)
	}
	return t
}

func TestSynthetic(t *testing.T) {
	tab := synthetic(10000)
	require.Equal(t, 10000+1250, tab.Len())
	require.Zero(t, tab.Report().Bad)
	hits := 0
	r := rand.New(rand.NewPCG(1, 2))
	// Compare with a plain search over all ranges (no /16 index).
	plain := *tab
	plain.idx4 = nil
	for range 20000 {
		a := addrFrom32(r.Uint32())
		e, ok := tab.Lookup(a)
		pe, pok := plain.Lookup(a)
		require.Equal(t, pok, ok, "%s", a)
		require.Equal(t, pe, e, "%s", a)
		if ok {
			hits++
			require.False(t, a.Less(e.Start))
			require.False(t, e.End.Less(a))
		}
	}
	// About half of the space is covered.
	require.Greater(t, hits, 8000)
	require.Less(t, hits, 12000)
}

func BenchmarkLookup(b *testing.B) {
	tab := synthetic(500_000)
	r := rand.New(rand.NewPCG(1, 2))
	addrs := make([]netip.Addr, 4096)
	for i := range addrs {
		if i%8 == 7 {
			addrs[i] = u128{hi: 0x2000_0000_0000_0000 + r.Uint64N(500_000/8)<<32 + r.Uint64N(1<<32), lo: r.Uint64()}.addr()
		} else {
			addrs[i] = addrFrom32(r.Uint32())
		}
	}
	found := 0
	for i := 0; b.Loop(); i++ {
		if _, ok := tab.Lookup(addrs[i%len(addrs)]); ok {
			found++
		}
	}
	if found == 0 {
		b.Fatal("nothing found")
	}
	b.ReportMetric(float64(tab.Len()), "ranges")
}

func BenchmarkLoad(b *testing.B) {
	tab := synthetic(500_000)
	var buf bytes.Buffer
	if err := tab.Save(&buf); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Load(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "file-bytes")
}
