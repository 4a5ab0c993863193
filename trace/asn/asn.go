// Package asn maps IP addresses to the autonomous system that announces them,
// from a table imported once from iptoasn.com's TSV files and then saved in a
// compact binary file that loads fast.
//
// The table holds sorted, non-overlapping address ranges (IPv4 and IPv6 kept
// apart) and looks an address up by binary search. Ranges that iptoasn marks
// as not routed (AS 0) are not stored, so their addresses are not found.
package asn

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// Entry is what the table knows about one address range.
type Entry struct {
	ASN         uint32     `json:"asn"`
	Country     string     `json:"country,omitempty"`     // as iptoasn gives it: ISO 3166 code, or "Unknown"
	Description string     `json:"description,omitempty"` // the AS name, e.g. "CLOUDFLARENET"
	Start       netip.Addr `json:"start"`                 // first address of the range
	End         netip.Addr `json:"end"`                   // last address of the range
}

// String gives the entry as "AS13335 CLOUDFLARENET (US)".
func (e Entry) String() string {
	s := fmt.Sprintf("AS%d", e.ASN)
	if e.Description != "" {
		s += " " + e.Description
	}
	if e.Country != "" {
		s += " (" + e.Country + ")"
	}
	return s
}

// Info describes where a table came from.
type Info struct {
	Source   string    `json:"source,omitempty"` // what it was imported from (file names), as given to the importer
	Imported time.Time `json:"imported"`         // when it was imported
	Ranges4  int       `json:"ranges4"`          // IPv4 ranges held
	Ranges6  int       `json:"ranges6"`          // IPv6 ranges held
	Systems  int       `json:"systems"`          // distinct (ASN, country, description) records
}

// Table is an IP-to-ASN table. It is read-only once built and safe for
// concurrent use.
type Table struct {
	v4     []range4
	idx4   []uint32 // idx4[h]: first v4 range starting at or after h<<16; 65537 entries
	v6     []range6
	meta   []asInfo
	info   Info
	report ImportReport
}

type asInfo struct {
	asn     uint32
	country string
	desc    string
}

type range4 struct {
	start, end uint32
	meta       uint32
}

type range6 struct {
	start, end u128
	meta       uint32
}

// u128 is an IPv6 address as a 128-bit unsigned number.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

func u128From(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (a u128) addr() netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return netip.AddrFrom16(b)
}

func u32From(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func addrFrom32(x uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], x)
	return netip.AddrFrom4(b)
}

// Lookup returns the entry of the range holding a. IPv4-mapped IPv6 addresses
// are looked up as IPv4. It reports false for addresses in no range, in a
// range that is not routed, or when t is nil.
func (t *Table) Lookup(a netip.Addr) (Entry, bool) {
	if t == nil || !a.IsValid() {
		return Entry{}, false
	}
	a = a.Unmap()
	if a.Is4() {
		x := u32From(a)
		rs := t.v4
		// Find the last range whose start is <= x. Every range before
		// idx4[x>>16] starts below x, every one from idx4[x>>16+1] on above it.
		lo, hi := 0, len(rs)
		if len(t.idx4) == 1<<16+1 {
			lo, hi = int(t.idx4[x>>16]), int(t.idx4[x>>16+1])
		}
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if rs[m].start <= x {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo == 0 || rs[lo-1].end < x {
			return Entry{}, false
		}
		r := rs[lo-1]
		return t.entry(r.meta, addrFrom32(r.start), addrFrom32(r.end)), true
	}
	x := u128From(a)
	rs := t.v6
	lo, hi := 0, len(rs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !x.less(rs[m].start) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 || rs[lo-1].end.less(x) {
		return Entry{}, false
	}
	r := rs[lo-1]
	return t.entry(r.meta, r.start.addr(), r.end.addr()), true
}

// index builds idx4 over the sorted IPv4 ranges.
func (t *Table) index() {
	t.idx4 = make([]uint32, 1<<16+1)
	i := 0
	for h := range 1 << 16 {
		for i < len(t.v4) && t.v4[i].start>>16 < uint32(h) {
			i++
		}
		t.idx4[h] = uint32(i)
	}
	t.idx4[1<<16] = uint32(len(t.v4))
}

func (t *Table) entry(meta uint32, start, end netip.Addr) Entry {
	m := t.meta[meta]
	return Entry{ASN: m.asn, Country: m.country, Description: m.desc, Start: start, End: end}
}

// Len returns the number of ranges held (IPv4 and IPv6).
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.v4) + len(t.v6)
}

// Info describes the table.
func (t *Table) Info() Info {
	if t == nil {
		return Info{}
	}
	return t.info
}

// Report returns what the import that built t found wrong with its input. A
// table read with Load has the report of its original import.
func (t *Table) Report() ImportReport {
	if t == nil {
		return ImportReport{}
	}
	return t.report
}

// Ranges calls fn for every range in address order, IPv4 first, until fn
// returns false.
func (t *Table) Ranges(fn func(Entry) bool) {
	if t == nil {
		return
	}
	for _, r := range t.v4 {
		if !fn(t.entry(r.meta, addrFrom32(r.start), addrFrom32(r.end))) {
			return
		}
	}
	for _, r := range t.v6 {
		if !fn(t.entry(r.meta, r.start.addr(), r.end.addr())) {
			return
		}
	}
}
