package blob

import (
	"cmp"
	"container/list"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
)

// recLoc is where a record is: pack number, offset of its header, and the
// sizes its header declares.
type recLoc struct {
	pack   int
	off    int64
	size   int64
	sealed int64
}

func (l recLoc) end() int64 { return l.off + int64(recHeaderLen) + l.sealed }

// found is a record in the index with the file it was found in: a reader
// checks that this file is still the one at the pack's path.
type found struct {
	recLoc
	fi os.FileInfo
}

// packView is what an index knows of one pack file.
type packView struct {
	fi      os.FileInfo // the file scanned
	end     int64       // where its next record is expected (scanned.end)
	size    int64       // its size when last scanned
	tail    tailKind
	torn    *scannedRec // the record cut short at end, if that is the tail
	damaged int         // damaged regions before end
}

// ownerIndex is the index of an owner's packs, built lazily from their
// record headers and kept up to date as this process appends. Other
// processes append to the same packs, and Delete turns records into
// tombstones in place: lookups that miss re-read what changed (refresh),
// and readers check that a record's file is still the one at its path, and
// that the header at its offset is the one the index read, before they
// trust it (an inode number alone does not tell a pack from one made again
// after DeleteOwner).
type ownerIndex struct {
	dir string // the owner's folder

	mu     sync.Mutex
	loaded bool
	gone   bool // dropped by DeleteOwner: get a new one
	views  map[int]*packView
	cur    int  // the pack to append to
	hasOld bool // the folder held folders of the old layout when last read
	// vanished: a refresh found the folder gone, after this index had
	// read packs in it (seen): DeleteOwner in another process.
	seen, vanished bool
	records        map[[32]byte][]recLoc
}

func newOwnerIndex(dir string) *ownerIndex {
	return &ownerIndex{dir: dir, views: make(map[int]*packView), records: make(map[[32]byte][]recLoc), cur: 1}
}

// load reads the owner's folder and scans every pack, once. oi.mu is held.
func (oi *ownerIndex) load() error {
	if oi.loaded {
		return nil
	}
	if err := oi.refreshAll(); err != nil {
		return err
	}
	oi.loaded = true
	return nil
}

// packNumbers lists the packs in the owner's folder (and notes whether
// it holds blobs of the old layout). oi.mu is held.
func (oi *ownerIndex) packNumbers() ([]int, error) {
	entries, err := os.ReadDir(oi.dir)
	if errors.Is(err, fs.ErrNotExist) {
		oi.hasOld = false
		oi.vanished = oi.vanished || oi.seen
		oi.seen = false
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("list packs: %w", err)
	}
	var nums []int
	oi.hasOld = false
	for _, e := range entries {
		if n, ok := parsePackName(e.Name()); ok && e.Type().IsRegular() {
			nums = append(nums, n)
		} else if e.IsDir() && len(e.Name()) == 2 && isHexSHA256(e.Name()+strings.Repeat("0", 62)) {
			oi.hasOld = true // <sha256[0:2]>/<sha256>: a blob of the old layout
		}
	}
	return nums, nil
}

// refreshAll brings the index up to date with every pack in the folder:
// new ones, grown ones, ones made again and removed ones. oi.mu is held.
func (oi *ownerIndex) refreshAll() error {
	nums, err := oi.packNumbers()
	if err != nil {
		return err
	}
	for n := range oi.views {
		if !slices.Contains(nums, n) {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	for _, n := range nums {
		if err := oi.refreshOne(n); err != nil {
			return err
		}
	}
	return nil
}

// refreshOne brings the index up to date with pack n. oi.mu is held.
func (oi *ownerIndex) refreshOne(n int) error {
	path := packPath(oi.dir, n)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		oi.drop(n)
		return nil
	} else if err != nil {
		return err
	}
	// Unchanged: the same file, of the same size, and no record in
	// progress at its end (one that ends at the same size as the zeros
	// an appender cut off would look unchanged by its size).
	if v := oi.views[n]; v != nil && os.SameFile(v.fi, st) && st.Size() == v.size && (v.tail == tailNone || v.tail == tailDamaged) {
		return nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		oi.drop(n)
		return nil
	} else if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = oi.scan(n, f, fi, fi.Size())
	return err
}

// scan indexes the records of pack n in f (whose FileInfo is fi) up to
// size: from where the index stopped if f is the file it scanned before,
// else from the start. It returns the pack's view. oi.mu is held.
func (oi *ownerIndex) scan(n int, f *os.File, fi os.FileInfo, size int64) (*packView, error) {
	v := oi.views[n]
	if v == nil || !os.SameFile(v.fi, fi) || size < v.end {
		// Another file (the owner's folder was made again), or one cut
		// short behind our back: start over.
		oi.drop(n)
		v = &packView{fi: fi}
	}
	s, err := scanPack(f, v.end, size)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", packName(n), err)
	}
	for _, r := range s.recs {
		oi.add(r.h.sum, recLoc{pack: n, off: r.off, size: r.h.size, sealed: r.h.sealed})
	}
	v.end, v.size, v.tail, v.torn = s.end, size, s.tail, s.torn
	v.damaged += s.damaged
	oi.views[n] = v
	oi.seen = true
	if n > oi.cur {
		oi.cur = n
	}
	return v, nil
}

// add records a record, keeping each content's records in the order they
// were written (pack, then offset): the last is the newest.
func (oi *ownerIndex) add(sum [32]byte, l recLoc) {
	locs := oi.records[sum]
	i, dup := slices.BinarySearchFunc(locs, l, func(a, b recLoc) int {
		return cmp.Or(cmp.Compare(a.pack, b.pack), cmp.Compare(a.off, b.off))
	})
	if dup {
		locs[i] = l
		return
	}
	oi.records[sum] = slices.Insert(locs, i, l)
}

// drop forgets pack n and its records. oi.mu is held.
func (oi *ownerIndex) drop(n int) {
	if _, ok := oi.views[n]; !ok {
		return
	}
	delete(oi.views, n)
	for sum, locs := range oi.records {
		locs = slices.DeleteFunc(locs, func(l recLoc) bool { return l.pack == n })
		if len(locs) == 0 {
			delete(oi.records, sum)
		} else {
			oi.records[sum] = locs
		}
	}
}

// lookup returns the records of content sum, newest first, with the
// number of damaged regions in the owner's packs and whether the owner's
// folder had blobs of the old layout when last read. With refresh, a miss
// brings the whole index up to date first (the content may have been
// appended by another process).
func (oi *ownerIndex) lookup(sum [32]byte, refresh bool) (_ []found, damaged int, hasOld bool, _ error) {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	if err := oi.load(); err != nil {
		return nil, 0, false, err
	}
	if len(oi.records[sum]) == 0 && refresh {
		if err := oi.refreshAll(); err != nil {
			return nil, 0, false, err
		}
	}
	locs := oi.records[sum]
	out := make([]found, 0, len(locs))
	for i := len(locs) - 1; i >= 0; i-- {
		out = append(out, found{recLoc: locs[i], fi: oi.views[locs[i].pack].fi})
	}
	for _, v := range oi.views {
		damaged += v.damaged
		if v.tail == tailDamaged {
			damaged++
		}
	}
	return out, damaged, oi.hasOld, nil
}

// tornWith returns the records of content sum that the index found cut
// short at the end of a pack: in progress, or not whole any more.
func (oi *ownerIndex) tornWith(sum [32]byte) []found {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	var out []found
	for n, v := range oi.views {
		if v.tail == tailTorn && v.torn != nil && v.torn.h.sum == sum {
			out = append(out, found{recLoc: recLoc{pack: n, off: v.torn.off, size: v.torn.h.size, sealed: v.torn.h.sealed}, fi: v.fi})
		}
	}
	return out
}

// newest returns the newest record of content sum, if any.
func (oi *ownerIndex) newest(sum [32]byte) (found, bool) {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	locs := oi.records[sum]
	if len(locs) == 0 {
		return found{}, false
	}
	l := locs[len(locs)-1]
	return found{recLoc: l, fi: oi.views[l.pack].fi}, true
}

// refresh re-reads pack n (after a reader found another file at its path).
func (oi *ownerIndex) refresh(n int) error {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	return oi.refreshOne(n)
}

// refreshEverything re-reads the owner's folder and every pack.
func (oi *ownerIndex) refreshEverything() error {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	oi.loaded = true
	return oi.refreshAll()
}

// packs returns the packs in the index.
func (oi *ownerIndex) packs() []int {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	nums := slices.Collect(maps.Keys(oi.views))
	slices.Sort(nums)
	return nums
}

// takeVanished says whether a refresh found the owner's folder gone since
// the last call.
func (oi *ownerIndex) takeVanished() bool {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	v := oi.vanished
	oi.vanished = false
	return v
}

// target returns the pack to append to.
func (oi *ownerIndex) target() (int, error) {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	if err := oi.load(); err != nil {
		return 0, err
	}
	return oi.cur, nil
}

// full says pack n takes no more appends: the next goes to n+1.
func (oi *ownerIndex) full(n int) {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	if oi.cur <= n {
		oi.cur = n + 1
	}
}

// catchUp brings the index up to date with pack n, which the caller has
// open as f and locked (flock), of the given size, and returns its view.
func (oi *ownerIndex) catchUp(n int, f *os.File, fi os.FileInfo, size int64) (packView, error) {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	if err := oi.load(); err != nil {
		return packView{}, err
	}
	v := oi.views[n]
	if v == nil || !os.SameFile(v.fi, fi) || v.size != size || v.tail != tailNone {
		var err error
		if v, err = oi.scan(n, f, fi, size); err != nil {
			return packView{}, err
		}
		if v.tail != tailNone {
			// The caller cuts zeros off, or appends no more to a pack
			// with a torn or damaged tail. The scan went on from where the index
			// stopped, which may be no record's start if the file is
			// another one of the same inode number (the owner's folder
			// removed and made again by another process): before it
			// cuts a record off, read the pack from its start.
			oi.drop(n)
			if v, err = oi.scan(n, f, fi, size); err != nil {
				return packView{}, err
			}
		}
	}
	return *v, nil
}

// truncated records that the caller, holding pack n's lock, cut the zeros
// at its end off at end.
func (oi *ownerIndex) truncated(n int, fi os.FileInfo, end int64) {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	if v := oi.views[n]; v != nil && os.SameFile(v.fi, fi) && v.end == end {
		v.size, v.tail, v.torn = end, tailNone, nil
	}
}

// appended records a record the caller, holding pack n's lock, appended.
func (oi *ownerIndex) appended(sum [32]byte, fi os.FileInfo, l recLoc) {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	v := oi.views[l.pack]
	if v == nil || !os.SameFile(v.fi, fi) || v.end != l.off {
		// The index moved on meanwhile (a refresh already read the
		// record, or the folder was made again): a later lookup finds it.
		return
	}
	oi.add(sum, l)
	v.end, v.size, v.tail, v.torn = l.end(), l.end(), tailNone, nil
}

// forget forgets the record at l, which a reader found deleted (a
// tombstone in its place).
func (oi *ownerIndex) forget(sum [32]byte, l recLoc) {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	locs := slices.DeleteFunc(oi.records[sum], func(m recLoc) bool { return m.pack == l.pack && m.off == l.off })
	if len(locs) == 0 {
		delete(oi.records, sum)
	} else {
		oi.records[sum] = locs
	}
}

// rescan reads pack n again from its start (after a reader found at an
// offset of it something else than the index said: the file is another
// one, of the same inode number, or was altered).
func (oi *ownerIndex) rescan(n int) error {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	oi.drop(n)
	return oi.refreshOne(n)
}

// owners keeps the indexes of the owners used last, at most max.
type owners struct {
	mu  sync.Mutex
	max int
	lru list.List // of *ownerIndex, the most recently used first
	m   map[string]*list.Element
}

// get returns the index of the owner whose folder is dir.
func (o *owners) get(dir string) *ownerIndex {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.m[dir]; ok {
		o.lru.MoveToFront(e)
		return e.Value.(*ownerIndex)
	}
	if o.m == nil {
		o.m = make(map[string]*list.Element)
	}
	oi := newOwnerIndex(dir)
	o.m[dir] = o.lru.PushFront(oi)
	for o.lru.Len() > max(o.max, 1) {
		e := o.lru.Back()
		o.lru.Remove(e)
		delete(o.m, e.Value.(*ownerIndex).dir)
	}
	return oi
}

// dirs are the folders of the owners whose indexes are kept.
func (o *owners) dirs() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, 0, len(o.m))
	for dir := range o.m {
		out = append(out, dir)
	}
	return out
}

// drop forgets the index of the owner whose folder is dir; whoever holds
// it sees it gone.
func (o *owners) drop(dir string) {
	o.mu.Lock()
	e, ok := o.m[dir]
	if ok {
		o.lru.Remove(e)
		delete(o.m, dir)
	}
	o.mu.Unlock()
	if ok {
		oi := e.Value.(*ownerIndex)
		oi.mu.Lock()
		oi.gone = true
		oi.mu.Unlock()
	}
}

// isGone says whether DeleteOwner dropped the index.
func (oi *ownerIndex) isGone() bool {
	oi.mu.Lock()
	defer oi.mu.Unlock()
	return oi.gone
}
