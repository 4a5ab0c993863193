package asn

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ImportReport counts what an import read and what it left out. Bad lines do
// not stop an import; they are counted here, with the first few kept as
// examples.
type ImportReport struct {
	Lines      int       `json:"lines"`      // lines read, blank and comment lines included
	Ranges     int       `json:"ranges"`     // ranges kept
	NotRouted  int       `json:"not_routed"` // AS 0 ranges, left out
	Bad        int       `json:"bad"`        // lines that could not be read
	Duplicates int       `json:"duplicates"` // ranges given more than once, same AS (e.g. combined file and v4 file imported together)
	Overlaps   int       `json:"overlaps"`   // ranges overlapping an earlier (lower) range with another AS, left out
	Examples   []BadLine `json:"examples,omitempty"`
}

// BadLine is one line an import could not use.
type BadLine struct {
	Source string `json:"source,omitempty"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	Text   string `json:"text"` // the line, cut to 200 bytes
}

// maxExamples is how many bad lines a report keeps.
const maxExamples = 20

// maxLine is the longest line an import reads; longer lines count as bad.
const maxLine = 64 << 10

// Import reads one iptoasn.com TSV file: ip2asn-combined.tsv, ip2asn-v4.tsv,
// ip2asn-v6.tsv (range_start, range_end, AS_number, country_code,
// AS_description, tab-separated) or ip2asn-v4-u32.tsv (the same with IPv4
// addresses as decimal numbers), plain or gzip-compressed. Bad lines are
// counted in the table's Report, not fatal; Import fails only when reading
// fails or when the input has lines but not one usable range.
func Import(r io.Reader) (*Table, error) {
	im := newImporter()
	if err := im.read(r, ""); err != nil {
		return nil, err
	}
	return im.table("")
}

// ImportFiles imports one or more iptoasn.com TSV files (plain or .gz) into
// one table, e.g. ip2asn-v4.tsv.gz and ip2asn-v6.tsv.gz.
func ImportFiles(paths ...string) (*Table, error) {
	if len(paths) == 0 {
		return nil, errors.New("asn: no files to import")
	}
	im := newImporter()
	var names []string
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("asn: %w", err)
		}
		err = im.read(f, filepath.Base(p))
		f.Close()
		if err != nil {
			return nil, err
		}
		names = append(names, filepath.Base(p))
	}
	return im.table(strings.Join(names, ", "))
}

type importer struct {
	v4     []range4
	v6     []range6
	meta   []asInfo
	metaID map[asInfo]uint32
	rep    ImportReport
}

func newImporter() *importer {
	return &importer{metaID: make(map[asInfo]uint32)}
}

func (im *importer) bad(source string, line int, reason string, text []byte) {
	im.rep.Bad++
	if len(im.rep.Examples) < maxExamples {
		if len(text) > 200 {
			text = text[:200]
		}
		im.rep.Examples = append(im.rep.Examples, BadLine{Source: source, Line: line, Reason: reason, Text: string(text)})
	}
}

func (im *importer) read(r io.Reader, source string) error {
	br := bufio.NewReaderSize(r, maxLine)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("asn: %s: %w", nameOr(source), err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, maxLine)
	}
	n := 0
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			n++
			im.rep.Lines++
			im.bad(source, n, "line too long", line)
			// Skip the rest of the line.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("asn: %s: %w", nameOr(source), err)
			}
			continue
		}
		if len(line) > 0 {
			n++
			im.rep.Lines++
			im.line(source, n, line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("asn: %s: %w", nameOr(source), err)
		}
	}
}

func nameOr(s string) string {
	if s == "" {
		return "input"
	}
	return s
}

func (im *importer) line(source string, n int, raw []byte) {
	line := bytes.TrimRight(raw, "\r\n")
	if len(bytes.TrimSpace(line)) == 0 || line[0] == '#' {
		return
	}
	f := strings.SplitN(string(line), "\t", 5)
	if len(f) < 4 {
		im.bad(source, n, fmt.Sprintf("%d fields, want 5 tab-separated", len(f)), line)
		return
	}
	start, err := parseAddr(f[0])
	if err != nil {
		im.bad(source, n, "range_start: "+err.Error(), line)
		return
	}
	end, err := parseAddr(f[1])
	if err != nil {
		im.bad(source, n, "range_end: "+err.Error(), line)
		return
	}
	if start.Is4() != end.Is4() {
		im.bad(source, n, "range_start and range_end of different address families", line)
		return
	}
	if end.Less(start) {
		im.bad(source, n, "range_end before range_start", line)
		return
	}
	asn, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(f[2]), "AS"), 10, 32)
	if err != nil {
		im.bad(source, n, "AS_number: not a 32-bit number", line)
		return
	}
	if asn == 0 {
		im.rep.NotRouted++
		return
	}
	info := asInfo{asn: uint32(asn), country: strings.TrimSpace(f[3])}
	if len(f) == 5 {
		info.desc = strings.TrimSpace(f[4])
	}
	id, ok := im.metaID[info]
	if !ok {
		id = uint32(len(im.meta))
		im.meta = append(im.meta, info)
		im.metaID[info] = id
	}
	if start.Is4() {
		im.v4 = append(im.v4, range4{u32From(start), u32From(end), id})
	} else {
		im.v6 = append(im.v6, range6{u128From(start), u128From(end), id})
	}
}

// parseAddr reads an address as iptoasn writes it: dotted or colon notation,
// or (ip2asn-v4-u32.tsv) an IPv4 address as a decimal number.
func parseAddr(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if s != "" && strings.Trim(s, "0123456789") == "" {
		x, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address as a number", s)
		}
		return addrFrom32(uint32(x)), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%q is not an IP address", s)
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q has a zone", s)
	}
	return a.Unmap(), nil
}

func (im *importer) table(source string) (*Table, error) {
	if len(im.v4) == 0 && len(im.v6) == 0 && im.rep.Bad > 0 {
		return nil, fmt.Errorf("asn: no usable range in %d lines (%d bad; first: line %d: %s)",
			im.rep.Lines, im.rep.Bad, im.rep.Examples[0].Line, im.rep.Examples[0].Reason)
	}
	// Sort by start, wider range first, then drop every range that starts
	// inside the one kept before it.
	slices.SortStableFunc(im.v4, func(a, b range4) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return cmp.Compare(b.end, a.end)
	})
	kept4 := im.v4[:0]
	for _, r := range im.v4 {
		if n := len(kept4); n > 0 && r.start <= kept4[n-1].end {
			im.overlap(im.meta[r.meta].asn == im.meta[kept4[n-1].meta].asn && r.end <= kept4[n-1].end)
			continue
		}
		kept4 = append(kept4, r)
	}
	slices.SortStableFunc(im.v6, func(a, b range6) int {
		if c := cmpU128(a.start, b.start); c != 0 {
			return c
		}
		return cmpU128(b.end, a.end)
	})
	kept6 := im.v6[:0]
	for _, r := range im.v6 {
		if n := len(kept6); n > 0 && !kept6[n-1].end.less(r.start) {
			im.overlap(im.meta[r.meta].asn == im.meta[kept6[n-1].meta].asn && !kept6[n-1].end.less(r.end))
			continue
		}
		kept6 = append(kept6, r)
	}
	im.rep.Ranges = len(kept4) + len(kept6)
	// Keep only the AS records that kept ranges use.
	remap := make(map[uint32]uint32)
	var meta []asInfo
	use := func(id uint32) uint32 {
		n, ok := remap[id]
		if !ok {
			n = uint32(len(meta))
			meta = append(meta, im.meta[id])
			remap[id] = n
		}
		return n
	}
	for i := range kept4 {
		kept4[i].meta = use(kept4[i].meta)
	}
	for i := range kept6 {
		kept6[i].meta = use(kept6[i].meta)
	}
	t := &Table{
		v4:     slices.Clip(kept4),
		v6:     slices.Clip(kept6),
		meta:   meta,
		report: im.rep,
	}
	t.index()
	t.info = Info{
		Source:   source,
		Imported: time.Now().UTC().Truncate(time.Second),
		Ranges4:  len(t.v4),
		Ranges6:  len(t.v6),
		Systems:  len(t.meta),
	}
	return t, nil
}

// overlap counts a dropped range: a duplicate if the kept range covers it and
// has the same AS, an overlap otherwise.
func (im *importer) overlap(duplicate bool) {
	if duplicate {
		im.rep.Duplicates++
	} else {
		im.rep.Overlaps++
	}
}

func cmpU128(a, b u128) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}
