package blob

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/undox/undox/secret"
)

// DefaultMaxSize bounds a blob in Dir. The fetcher bounds bodies to 20 MiB
// by default; screenshots of long pages can be larger.
const DefaultMaxSize = 64 << 20

// DefaultPackSize is the size beyond which Dir starts a new pack.
const DefaultPackSize = 256 << 20

// How many pack files a Dir keeps open, and of how many owners it keeps
// the index in memory.
const (
	defaultOpenPacks = 64
	defaultOwners    = 1024
)

// Dir is a Store in a folder (the data folder's blobs/). Each owner's blobs
// are appended to pack files in the owner's folder:
//
//	<root>/<owner hash>/pack-000001
//
// A pack is a sequence of records, each a header (the SHA-256 of the plain
// content, its size, a key check; see pack.go) and the blob encrypted as a
// whole, in memory (secret.Seal, XChaCha20-Poly1305 under the owner's key,
// bound to the owner and the SHA-256). Put and Get hold about twice a
// blob's size in memory, which is fine for evidence of tens of MiB, and is
// why MaxSize bounds it. A pack past PackSize is followed by the next.
// Folders are mode 0700, packs 0600.
//
// Appending to an open file costs a fraction of making one per blob (which
// was most of a capture's CPU). Appends to a pack wait for each other in
// this process and, through flock(2), in others: undox serve and undox
// worker may share a data folder. Puts make their records durable in
// groups (see groupSync): one fdatasync of each pack appended to serves
// every Put waiting at the time. A new pack, and a new owner's folder, have
// their entries synced in their folders before their first record is
// written. A crash leaves at most a partial record at the end of a pack,
// which readers skip and the next append cuts off; a Put that returned
// stays.
//
// Which records a pack holds is read from their headers once per owner and
// process, and kept in memory for the owners used last; another process's
// appends are found when a lookup misses, its Deletes when a read finds a
// tombstone where the index has a record (Delete overwrites records in
// place, and never replaces a pack), and its DeleteOwner when the pack or
// the header at a record's offset is not the one the index read.
//
// Once a sync of a pack fails, it is not tried again (Linux reports a lost
// writeback once): every later Sync fails, and new blobs go to the next
// pack.
//
// Blobs stored before packs, one file each (<owner hash>/<sha256[0:2]>/
// <sha256>), are still read, and deleted by Delete and DeleteOwner.
//
// The headers hold the SHA-256 of the plain content: someone who can read
// the folder and has a file in hand can tell whether undox holds it, but
// nobody reads a blob without its owner's key.
type Dir struct {
	root string
	// MaxSize bounds the content of one blob; Put fails with ErrTooLarge
	// beyond it. Zero means DefaultMaxSize.
	MaxSize int64
	// PackSize: a record that would take a pack past it goes to a new
	// pack (a pack holds at least one record). Zero means
	// DefaultPackSize.
	PackSize int64

	// Puts and Deletes hold their owner's lock for reading while they
	// write in the owner's folder, DeleteOwner for writing while it
	// removes it: a Put in this process never appends to a pack
	// DeleteOwner is removing. Owners do not wait for each other (a Put
	// may wait for another process's lock of a pack: only Puts and
	// Deletes of its owner wait behind it).
	locks   ownerLocks
	folders durableFolders
	owners  owners
	packs   packCache

	// dirty holds the packs appended to (or relied on) since the last
	// sync; failed, those whose sync failed (see packFile.syncErr): every
	// later Sync fails, since a blob put before it may be lost. Each
	// counts as a use of its packFile, so that it stays open and what it
	// knows stays known.
	dirtyMu sync.Mutex
	dirty   map[*packFile]struct{}
	failed  map[*packFile]struct{}
	// group, when set, makes Puts durable in groups (see groupSync); nil:
	// each Put syncs its pack.
	group *groupSync
}

var _ Store = (*Dir)(nil)

// NewDir returns a Dir in root, creating the folder (mode 0700).
func NewDir(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("blob: no folder")
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	// The folder's own entry, in case it was just made.
	if err := syncDir(filepath.Dir(filepath.Clean(root))); err != nil {
		return nil, err
	}
	d := &Dir{root: root, dirty: make(map[*packFile]struct{}), failed: make(map[*packFile]struct{})}
	d.owners.max = defaultOwners
	d.packs.max = defaultOpenPacks
	d.group = newGroupSync(d.syncDirty)
	return d, nil
}

// SyncEach makes each Put sync its own pack instead of sharing a round of
// syncs with the Puts beside it.
func (d *Dir) SyncEach() { d.group = nil }

// Root returns the folder.
func (d *Dir) Root() string { return d.root }

func (d *Dir) maxSize() int64 {
	if d.MaxSize <= 0 {
		return DefaultMaxSize
	}
	return d.MaxSize
}

func (d *Dir) packSize() int64 {
	if d.PackSize <= 0 {
		return DefaultPackSize
	}
	return d.PackSize
}

// ownerPath is the folder of an owner.
func (d *Dir) ownerPath(owner string) string { return filepath.Join(d.root, ownerDir(owner)) }

// index returns the owner's index.
func (d *Dir) index(owner string) *ownerIndex { return d.owners.get(d.ownerPath(owner)) }

// The key check (both layouts), and what secret.Seal adds to the content.
const (
	keyCheckLen = 8
	sealOver    = secret.Overhead // XChaCha20-Poly1305 nonce and tag
)

// keyCheck is a short keyed hash that tells a wrong key from a damaged
// blob. It says nothing about the key.
func keyCheck(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("undox blob key check v1"))
	return m.Sum(nil)[:keyCheckLen]
}

// Put stores the content of r for owner, encrypted under key.
func (d *Dir) Put(ctx context.Context, r io.Reader, key []byte, owner string) (Ref, error) {
	return d.put(ctx, r, key, owner, true)
}

// PutLater implements Store: with group syncs, the blob is durable once
// Sync returns; without them (SyncEach), at once.
func (d *Dir) PutLater(ctx context.Context, r io.Reader, key []byte, owner string) (Ref, error) {
	return d.put(ctx, r, key, owner, false)
}

// Sync implements Store. Once a sync of a pack failed, every later Sync
// fails too (until DeleteOwner removes the pack): a blob put before may be
// lost, and which Put put it is not known here. Puts go on to other packs.
func (d *Dir) Sync(ctx context.Context) error {
	var err error
	if d.group != nil { // else every Put synced itself
		err = d.group.sync()
	}
	if err == nil {
		err = d.failedErr()
	}
	if err != nil {
		return &Error{Op: "sync", Err: err}
	}
	return nil
}

func (d *Dir) put(ctx context.Context, r io.Reader, key []byte, owner string, wait bool) (Ref, error) {
	ref := Ref{Owner: owner}
	fail := func(err error) (Ref, error) { return Ref{}, &Error{Op: "put", Ref: ref, Err: err} }
	if owner == "" {
		return fail(ErrInvalidRef)
	}
	if len(key) != secret.KeySize {
		return fail(fmt.Errorf("key must be %d bytes, got %d", secret.KeySize, len(key)))
	}
	plain, sum, known := []byte(nil), [sha256.Size]byte{}, false
	if h, ok := r.(*hashed); ok {
		plain, sum, known = h.content()
	}
	if !known {
		var err error
		if plain, err = readAll(ctxReader{ctx, r}, r, d.maxSize()+1); err != nil {
			return fail(err)
		}
	}
	if int64(len(plain)) > d.maxSize() {
		return fail(fmt.Errorf("%w: more than %d bytes", ErrTooLarge, d.maxSize()))
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if !known {
		sum = sha256.Sum256(plain)
	}
	ref.SHA256, ref.Size = hex.EncodeToString(sum[:]), int64(len(plain))
	oi := d.index(owner)

	// The same content for the same owner is stored once. A stored copy
	// that is damaged is superseded by a new record; one under another key
	// is kept (it may be the caller's key that is wrong) and the Put
	// fails. The index is not refreshed for this: a copy another process
	// appended to a pack this one has not read is at worst stored twice.
	_, at, newest, err := d.read(oi, ref, sum, key, false)
	switch {
	case err == nil:
		err := d.durable(oi, at, wait)
		if err == nil {
			return ref, nil
		} else if !errors.Is(err, errSyncFailed) {
			return fail(err)
		}
		// The copy is in a pack whose sync failed before the copy was
		// durable: it may be lost. Store it again, in another pack.
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrTampered):
	default:
		return fail(err)
	}

	// The record, header then sealed content, is made in one buffer and
	// written with one write; the buffer is used again once it is written.
	buf := getRecordBuffer(recHeaderLen + len(plain) + sealOver)
	defer putRecordBuffer(buf)
	rec, err := secret.SealTo((*buf)[:recHeaderLen], key, plain, sealContext(ref))
	if err != nil {
		return fail(err)
	}
	*buf = rec
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	h := recHeader{sum: sum, size: ref.Size, sealed: int64(len(rec) - recHeaderLen)}
	copy(h.keyCheck[:], keyCheck(key))
	h.encodeTo(rec[:0])
	unlock := d.locks.rlock(oi.dir)
	if oi.isGone() {
		oi = d.index(owner) // DeleteOwner ran meanwhile
	}
	p, end, at, err := d.append(ctx, oi, &h, rec, ref, key, newest)
	unlock()
	if err != nil {
		return fail(err)
	}
	if p == nil {
		// Another Put appended the same content meanwhile.
		if err := d.durable(oi, at, wait); err != nil {
			return fail(err)
		}
		return ref, nil
	}
	defer d.packs.release(p)
	if err := d.syncRecord(p, end, wait); err != nil {
		return fail(err)
	}
	return ref, nil
}

// syncRecord makes what p holds up to end durable: at once (SyncEach), or
// in the next round of syncs (waiting for it with wait).
func (d *Dir) syncRecord(p *packFile, end int64, wait bool) error {
	if d.group == nil {
		return d.syncPack(p, false)
	}
	if !d.markDirty(p) {
		return p.datasync(false) // failed before: its error
	}
	if !wait {
		return nil
	}
	err := d.group.sync()
	if err != nil && p.durableTo(end) {
		return nil // another pack of the round failed, not this one
	}
	return err
}

// syncPack syncs p now, and remembers it if that failed.
func (d *Dir) syncPack(p *packFile, force bool) error {
	err := p.datasync(force)
	if err != nil && p.failed() {
		d.markFailed(p)
	}
	return err
}

// readAll reads r (wrapped as cr) up to limit bytes, in one buffer of the
// right size when orig tells its length (a bytes.Reader, strings.Reader or
// bytes.Buffer does).
func readAll(cr io.Reader, orig io.Reader, limit int64) ([]byte, error) {
	lr := io.LimitReader(cr, limit)
	l, ok := orig.(interface{ Len() int })
	if !ok {
		return io.ReadAll(lr)
	}
	// One byte more than the content, so that the read that finds its end
	// does not grow the buffer.
	b := make([]byte, 0, min(int64(l.Len()), limit)+1)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // more than it said: grow
		}
	}
}

// append appends the record rec (h encoded, then the sealed content) to the
// owner's current pack and returns that pack, in use (the caller releases
// it). If a record of the same content that is good under key was appended
// since the caller's lookup (which found newest, or nothing), append
// appends nothing and returns nil and that record instead. end is where
// the record appended ends. The owner's lock is held for reading.
func (d *Dir) append(ctx context.Context, oi *ownerIndex, h *recHeader, rec []byte, ref Ref, key []byte, newest *found) (_ *packFile, end int64, _ *found, _ error) {
	for range 100 {
		n, err := oi.target()
		if err != nil {
			return nil, 0, nil, err
		}
		if err := d.folders.make(filepath.Clean(d.root), oi.dir); err != nil {
			return nil, 0, nil, err
		}
		p := d.packs.acquire(packPath(oi.dir, n))
		res, end, err := d.appendTo(ctx, p, oi, n, h, rec, ref, key, newest)
		if res != appended {
			d.packs.release(p)
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// The owner's folder was removed meanwhile (by DeleteOwner in
			// another process): make it again.
			d.folders.forget(oi.dir)
		case err != nil:
			return nil, 0, nil, err
		case res == appended:
			return p, end, nil, nil
		case res == packFull:
			oi.full(n)
		case res == storedAlready:
			at, _ := oi.newest(h.sum)
			return nil, 0, &at, nil
		}
	}
	return nil, 0, nil, errors.New("no pack to append to")
}

type appendResult int8

const (
	appended appendResult = iota + 1
	packFull
	storedAlready
)

// appendTo appends the record rec (h encoded, then the sealed content) to
// pack n, in p, holding the pack's locks, and returns where it ends.
func (d *Dir) appendTo(ctx context.Context, p *packFile, oi *ownerIndex, n int, h *recHeader, rec []byte, ref Ref, key []byte, newest *found) (_ appendResult, end int64, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	size, replaced, err := p.lock(ctx, true)
	if err != nil {
		return 0, 0, err
	}
	defer p.unlock()
	if p.failed() {
		// A sync of it failed: what is appended to it now may be lost
		// with what that sync lost.
		return packFull, 0, nil
	}
	// A pack that is new, or new to this process, has its entry synced in
	// its folder before a record in it counts as durable.
	if err := d.folders.syncEntry(p.path, replaced); err != nil {
		return 0, 0, err
	}
	v, err := oi.catchUp(n, p.f, p.fi, size)
	if err != nil {
		return 0, 0, err
	}
	switch v.tail {
	case tailZeros:
		// What a crash during an append can leave: nothing of a record.
		if err := p.f.Truncate(v.end); err != nil {
			return 0, 0, fmt.Errorf("truncate %s: %w", p.path, err)
		}
		oi.truncated(n, p.fi, v.end)
	case tailTorn, tailDamaged:
		// Part of a record (no append is in progress: this one holds
		// the lock), or bytes that are no record: left as they are,
		// since they may be what is left of evidence.
		return packFull, 0, nil
	}
	recLen := int64(len(rec))
	if v.end > 0 && v.end+recLen > d.packSize() {
		return packFull, 0, nil
	}
	// Another Put of the same content (here, or in another process into
	// this pack) may have appended it since the caller looked: store it
	// once.
	if nw, ok := oi.newest(h.sum); ok && (newest == nil || nw.recLoc != newest.recLoc) {
		if _, err := readRecord(oi.dir, nw, ref, key); err == nil {
			return storedAlready, 0, nil
		} else if errors.Is(err, ErrWrongKey) {
			return 0, 0, err
		}
	}
	if _, err := p.f.WriteAt(rec, v.end); err != nil {
		p.f.Truncate(v.end) // best effort: the next append cuts it off anyway
		return 0, 0, fmt.Errorf("append to %s: %w", p.path, err)
	}
	p.wrote(v.end + recLen)
	oi.appended(h.sum, p.fi, recLoc{pack: n, off: v.end, size: h.size, sealed: h.sealed})
	return appended, v.end + recLen, nil
}

// Record buffers are used again, up to this size (a page and its text,
// small images); larger ones are left to the garbage collector.
const maxPooledRecord = 1 << 20

var recordBuffers sync.Pool // of *[]byte

// getRecordBuffer returns an empty buffer with room for n bytes.
func getRecordBuffer(n int) *[]byte {
	if n <= maxPooledRecord {
		if b, ok := recordBuffers.Get().(*[]byte); ok && cap(*b) >= n {
			*b = (*b)[:0]
			return b
		}
		n = max(n, 64<<10) // a buffer worth using again
	}
	b := make([]byte, 0, n)
	return &b
}

// putRecordBuffer gives back a buffer getRecordBuffer returned; its bytes
// (sealed content) are not read again.
func putRecordBuffer(b *[]byte) {
	if cap(*b) <= maxPooledRecord {
		recordBuffers.Put(b)
	}
}

// durable makes a record that a Put found stored durable before the Put
// returns (with wait) or by the next Sync: another process may have
// appended it and not synced it yet. at nil is a file of the old layout.
func (d *Dir) durable(oi *ownerIndex, at *found, wait bool) error {
	if at == nil {
		return nil
	}
	p := d.packs.acquire(packPath(oi.dir, at.pack))
	defer d.packs.release(p)
	need, err := p.needsSync(at.fi, at.end())
	if err != nil || !need {
		return err
	}
	return d.syncRecord(p, at.end(), wait)
}

// markDirty makes the next round of syncs sync p, unless a sync of p
// failed (false): a later one would say nothing of what it lost.
func (d *Dir) markDirty(p *packFile) bool {
	d.dirtyMu.Lock()
	defer d.dirtyMu.Unlock()
	if p.failed() {
		return false
	}
	if _, ok := d.dirty[p]; !ok {
		d.packs.ref(p)
		d.dirty[p] = struct{}{}
	}
	return true
}

// markFailed remembers that a sync of p failed.
func (d *Dir) markFailed(p *packFile) {
	d.dirtyMu.Lock()
	defer d.dirtyMu.Unlock()
	if _, ok := d.failed[p]; !ok {
		d.packs.ref(p)
		d.failed[p] = struct{}{}
	}
}

// failedErr is the error of every pack whose sync failed.
func (d *Dir) failedErr() error {
	d.dirtyMu.Lock()
	defer d.dirtyMu.Unlock()
	var errs []error
	for p := range d.failed {
		errs = append(errs, p.datasync(false))
	}
	return errors.Join(errs...)
}

// forgetFailed forgets the failed packs in the folder dir, removed.
func (d *Dir) forgetFailed(dir string) {
	d.dirtyMu.Lock()
	defer d.dirtyMu.Unlock()
	for p := range d.failed {
		if strings.HasPrefix(p.path, dir+string(os.PathSeparator)) {
			delete(d.failed, p)
			d.packs.release(p)
		}
	}
}

// syncDirty is a round of syncs: every pack marked dirty, at once.
func (d *Dir) syncDirty() error {
	d.dirtyMu.Lock()
	ps := d.dirty
	d.dirty = make(map[*packFile]struct{})
	d.dirtyMu.Unlock()
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	one := func(p *packFile) {
		// A pack whose sync failed is not tried again: Linux reports a
		// failed writeback once, so a retry would succeed having
		// synced nothing of what was lost. It fails every later Sync.
		if err := d.syncPack(p, false); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
		d.packs.release(p)
	}
	for p := range ps {
		if len(ps) == 1 {
			one(p)
		} else {
			wg.Go(func() { one(p) })
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close makes every blob put so far durable and closes the pack files the
// Dir holds open. The Dir can be used afterwards: it opens them again.
func (d *Dir) Close() error {
	err := d.Sync(context.Background())
	d.packs.closeAll()
	return err
}

// Tidy forgets what this process keeps of owners that another process
// erased (DeleteOwner), and closes packs another process removed: the
// file system frees a removed file's blocks only once no process holds it
// open, and an owner's index holds the SHA-256s of its blobs. A process
// that put or read an owner's blobs keeps both until it uses the owner
// again or they are evicted; undox serve calls Tidy every minute. It
// stats each owner folder and pack kept in memory, and returns how many
// owners it forgot.
func (d *Dir) Tidy() int {
	gone := func(dir string) bool {
		_, err := os.Lstat(dir)
		return errors.Is(err, fs.ErrNotExist)
	}
	n := 0
	for _, dir := range d.owners.dirs() {
		if !gone(dir) {
			continue
		}
		unlock := d.locks.lock(dir)
		if gone(dir) { // not made again meanwhile
			d.owners.drop(dir)
			d.packs.dropUnder(dir)
			d.folders.forget(dir)
			d.forgetFailed(dir)
			n++
		}
		unlock()
	}
	d.packs.dropRemoved()
	return n
}

// durableFolders remembers the folders of a Dir, and the packs in them,
// whose entries in their parent folders this process has synced: a folder
// (or pack) is made, or found, then its parent is synced before any blob is
// written in it, once per folder and process (a folder found already there
// may have been made by a process that crashed before it synced it).
type durableFolders struct {
	mu   sync.Mutex
	done map[string]bool
}

// make makes the folder dir (and its parents up to root, which exists) and
// syncs their entries, unless that was done already. Both are clean paths,
// dir inside root.
func (df *durableFolders) make(root, dir string) error {
	df.mu.Lock()
	ok := df.done[dir]
	df.mu.Unlock()
	if ok {
		return nil
	}
	if dir != root {
		parent := filepath.Dir(dir)
		if parent == dir {
			return fmt.Errorf("%s is not inside %s", dir, root)
		}
		if err := df.make(root, parent); err != nil {
			return err
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := syncDir(parent); err != nil {
			return err
		}
	}
	df.mark(dir)
	return nil
}

// syncEntry syncs the folder of the file at path, unless that was done
// already for it (and again).
func (df *durableFolders) syncEntry(path string, again bool) error {
	df.mu.Lock()
	ok := df.done[path]
	df.mu.Unlock()
	if ok && !again {
		return nil
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	df.mark(path)
	return nil
}

func (df *durableFolders) mark(path string) {
	df.mu.Lock()
	defer df.mu.Unlock()
	if df.done == nil {
		df.done = make(map[string]bool)
	}
	df.done[path] = true
}

// forget forgets dir and what is under it, after it was removed.
func (df *durableFolders) forget(dir string) {
	df.mu.Lock()
	defer df.mu.Unlock()
	for k := range df.done {
		if k == dir || strings.HasPrefix(k, dir+string(filepath.Separator)) {
			delete(df.done, k)
		}
	}
}

// syncHook, if set, is told of every folder and pack synced (for tests).
var syncHook func(path string)

func syncDir(dir string) error {
	if syncHook != nil {
		syncHook(dir)
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Get returns the content of a blob after checking it.
func (d *Dir) Get(ctx context.Context, ref Ref, key []byte) (io.ReadCloser, error) {
	if err := ref.Validate(); err != nil {
		return nil, &Error{Op: "get", Ref: ref, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: "get", Ref: ref, Err: err}
	}
	if ref.Size > d.maxSize() {
		// No Put stores it; reading it would take as much memory as the
		// ref says.
		return nil, &Error{Op: "get", Ref: ref, Err: fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, ref.Size, d.maxSize())}
	}
	plain, _, _, err := d.read(d.index(ref.Owner), ref, refSum(ref), key, true)
	if err != nil {
		return nil, &Error{Op: "get", Ref: ref, Err: err}
	}
	return io.NopCloser(bytes.NewReader(plain)), nil
}

// refSum is the SHA-256 of a valid ref.
func refSum(ref Ref) (sum [32]byte) {
	hex.Decode(sum[:], []byte(ref.SHA256))
	return sum
}

// errStale: the header at a record's offset is not the one the index read
// there, or its pack is no longer the file the index read: the index is
// out of date (the owner's folder was removed and made again since), or
// the pack was altered.
var errStale = errors.New("pack changed")

// errDeleted: a tombstone is where the index has a record (deleted by
// another Dir since the index read it).
var errDeleted = errors.New("deleted")

// read reads, decrypts and checks a blob: its newest good record in the
// owner's packs, else its file in the old layout. at is the record read
// (nil: the old file); newest is the newest record the index had, good or
// not. With refresh, a lookup that misses brings the owner's index up to
// date with what other processes appended first.
func (d *Dir) read(oi *ownerIndex, ref Ref, sum [32]byte, key []byte, refresh bool) (plain []byte, at, newest *found, err error) {
	if len(key) != secret.KeySize {
		return nil, nil, nil, fmt.Errorf("key must be %d bytes, got %d", secret.KeySize, len(key))
	}
	rescanned, refreshed := map[int]bool{}, false
	for range 10 {
		locs, damaged, hasOld, err := oi.lookup(sum, refresh)
		if err != nil {
			return nil, nil, nil, err
		}
		d.forgetIfGone(oi)
		var packErr error
		newest, stale := (*found)(nil), -1
		for i := range locs {
			plain, err := readRecord(oi.dir, locs[i], ref, key)
			if err == nil {
				return plain, &locs[i], cmp.Or(newest, &locs[i]), nil
			}
			switch {
			case errors.Is(err, errDeleted):
				oi.forget(sum, locs[i].recLoc)
				continue
			case errors.Is(err, errStale) && rescanned[locs[i].pack]:
				// Read from its start, and still not what the index
				// read: changed behind our back.
				err = fmt.Errorf("%w: the header at %d in %s", ErrTampered, locs[i].off, packName(locs[i].pack))
			case errors.Is(err, errStale):
				stale = locs[i].pack
			}
			if stale >= 0 {
				break
			}
			newest = cmp.Or(newest, &locs[i])
			packErr = worse(packErr, err)
		}
		if stale >= 0 {
			// Read the pack again from its start: what the index holds of
			// it is out of date.
			rescanned[stale] = true
			if err := oi.rescan(stale); err != nil {
				return nil, nil, nil, err
			}
			continue
		}
		// Blobs stored before packs. A Put (without refresh) looks for
		// them only if the owner's folder had some: at worst it stores
		// again what an older undox stored meanwhile.
		plain, err := []byte(nil), error(ErrNotFound)
		if refresh || hasOld {
			plain, err = d.readOld(ref, key)
		}
		if err == nil {
			return plain, nil, newest, nil
		}
		if packErr != nil && refresh && !refreshed {
			// Another process may have stored the content again since
			// the index read these (a Put supersedes a damaged copy).
			refreshed = true
			if err := oi.refreshEverything(); err != nil {
				return nil, nil, nil, err
			}
			continue
		}
		if packErr != nil {
			return nil, nil, newest, worse(packErr, err)
		}
		if errors.Is(err, ErrNotFound) && refresh {
			// A Put (without refresh) stores the content again anyway.
			cut, whole, cerr := d.cutShort(oi, sum)
			switch {
			case cerr != nil:
				return nil, nil, newest, cerr
			case whole:
				continue // it was an append in progress: look again
			case cut != nil:
				return nil, nil, newest, fmt.Errorf("%w: its record at %d in %s is cut short", ErrTampered, cut.off, packName(cut.pack))
			}
		}
		if errors.Is(err, ErrNotFound) && damaged > 0 {
			// Its record's header may be what is damaged.
			return nil, nil, newest, fmt.Errorf("%w: not found, and the owner's packs have %d damaged places", ErrTampered, damaged)
		}
		return nil, nil, newest, err
	}
	return nil, nil, nil, errors.New("packs keep changing")
}

// cutShort looks at the records of content sum that the owner's index
// found cut short at the end of a pack. Readers do not lock packs, so
// such a record may be an append in progress: it is looked at again under
// a shared lock of its pack (an appender holds an exclusive one while it
// writes). It returns a record that is still cut short, or whole when one
// is not any more (or its pack changed): the caller looks again.
func (d *Dir) cutShort(oi *ownerIndex, sum [32]byte) (cut *found, whole bool, err error) {
	for _, l := range oi.tornWith(sum) {
		short, err := stillShort(packPath(oi.dir, l.pack), l, sum)
		if err != nil || !short {
			return nil, err == nil, err
		}
		return &l, false, nil
	}
	return nil, false, nil
}

// stillShort says whether the record at l, with the header of content
// sum, still runs past the end of its pack, under a shared lock of it.
func stillShort(path string, l found, sum [32]byte) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	defer f.Close()
	if err := lockShared(f); err != nil {
		return false, fmt.Errorf("lock %s: %w", path, err)
	}
	defer unlockFile(f)
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if !os.SameFile(fi, l.fi) || fi.Size() >= l.end() {
		return false, nil
	}
	hdr := make([]byte, recHeaderLen)
	if _, err := f.ReadAt(hdr, l.off); err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	h, ok := parseHeader(hdr)
	return ok && h.sum == sum && h.sealed == l.sealed, nil
}

// forgetIfGone closes the packs of an owner whose folder a lookup found
// gone (DeleteOwner in another process), and forgets what this Dir knew of
// them: the lookup dropped their index.
func (d *Dir) forgetIfGone(oi *ownerIndex) {
	if oi.takeVanished() {
		d.packs.dropUnder(oi.dir)
		d.folders.forget(oi.dir)
		d.forgetFailed(oi.dir)
	}
}

// worse returns the error that tells more of two reads of the same blob: a
// failure to read over a wrong key over a damaged copy over none.
func worse(a, b error) error {
	rank := func(err error) int {
		switch {
		case err == nil:
			return 0
		case errors.Is(err, ErrNotFound):
			return 1
		case errors.Is(err, ErrTampered):
			return 2
		case errors.Is(err, ErrWrongKey):
			return 3
		default:
			return 4
		}
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// readRecord reads, decrypts and checks the record at l in the owner's
// folder dir. It reads no more than ref's size allows. It fails with
// errDeleted if a tombstone is in its place, and errStale if its pack, or
// the header at its offset, is not what the index read.
func readRecord(dir string, l found, ref Ref, key []byte) ([]byte, error) {
	if l.size != ref.Size || l.sealed != ref.Size+sealOver {
		return nil, fmt.Errorf("%w: a record of %d bytes (%d sealed) for %d bytes of content", ErrTampered, l.size, l.sealed, ref.Size)
	}
	sum := refSum(ref)
	f, h, err := openRecord(dir, l, sum)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if !hmac.Equal(h.keyCheck[:], keyCheck(key)) {
		return nil, ErrWrongKey
	}
	b := make([]byte, l.sealed)
	if _, err := f.ReadAt(b, l.off+int64(recHeaderLen)); errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s cut short", ErrTampered, packName(l.pack))
	} else if err != nil {
		return nil, err
	}
	plain, err := secret.Open(key, b, sealContext(ref))
	if err != nil {
		// A Delete zeroes a record's body after it wrote its tombstone's
		// header: what was read may be part of the zeros.
		if _, herr := checkHeader(f, l, sum); errors.Is(herr, errDeleted) {
			return nil, herr
		}
		return nil, fmt.Errorf("%w: %v", ErrTampered, err)
	}
	if sum := sha256.Sum256(plain); hex.EncodeToString(sum[:]) != ref.SHA256 || int64(len(plain)) != ref.Size {
		return nil, fmt.Errorf("%w: content does not match its SHA-256", ErrTampered)
	}
	return plain, nil
}

// openRecord opens the pack of the record at l, of content sum, and checks
// that the file is the one the index read and the header at l the record's
// (see readRecord for its errors). The caller closes the file.
func openRecord(dir string, l found, sum [32]byte) (*os.File, recHeader, error) {
	f, err := os.Open(packPath(dir, l.pack))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, recHeader{}, errStale
	} else if err != nil {
		return nil, recHeader{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, recHeader{}, err
	}
	if !os.SameFile(fi, l.fi) {
		f.Close()
		return nil, recHeader{}, errStale
	}
	if l.end() > fi.Size() {
		f.Close()
		return nil, recHeader{}, fmt.Errorf("%w: %s cut short", ErrTampered, packName(l.pack))
	}
	h, err := checkHeader(f, l, sum)
	if err != nil {
		f.Close()
		return nil, recHeader{}, err
	}
	return f, h, nil
}

// checkHeader reads the header at l in f and checks that it is the one
// of the record the index read there.
func checkHeader(f *os.File, l found, sum [32]byte) (recHeader, error) {
	b := make([]byte, recHeaderLen)
	if _, err := f.ReadAt(b, l.off); errors.Is(err, io.EOF) {
		return recHeader{}, fmt.Errorf("%w: %s cut short", ErrTampered, packName(l.pack))
	} else if err != nil {
		return recHeader{}, err
	}
	h, dead, ok := parseAnyHeader(b)
	switch {
	case ok && dead && h.sealed == l.sealed:
		return h, errDeleted
	case !ok || dead || h.sum != sum || h.size != l.size || h.sealed != l.sealed:
		return h, errStale
	}
	return h, nil
}

// The old layout: one file per blob, its magic and version, the key check,
// then what secret.Seal returns.
const (
	oldMagic     = "UDXB\x01"
	oldHeaderLen = len(oldMagic) + keyCheckLen
)

// oldPath is the file of a valid ref in the old layout.
func (d *Dir) oldPath(ref Ref) string {
	return filepath.Join(d.ownerPath(ref.Owner), ref.SHA256[:2], ref.SHA256)
}

// readOld reads, decrypts and checks a blob of the old layout.
func (d *Dir) readOld(ref Ref, key []byte) ([]byte, error) {
	f, err := os.Open(d.oldPath(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read no more than the largest blob this ref can be: a file swapped
	// for a huge one is not read whole.
	limit := int64(oldHeaderLen+sealOver) + ref.Size
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != limit || !bytes.HasPrefix(b, []byte(oldMagic)) {
		return nil, fmt.Errorf("%w: file of %d bytes for %d bytes of content", ErrTampered, len(b), ref.Size)
	}
	if !hmac.Equal(b[len(oldMagic):oldHeaderLen], keyCheck(key)) {
		return nil, ErrWrongKey
	}
	plain, err := secret.Open(key, b[oldHeaderLen:], sealContext(ref))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTampered, err)
	}
	if sum := sha256.Sum256(plain); hex.EncodeToString(sum[:]) != ref.SHA256 || int64(len(plain)) != ref.Size {
		return nil, fmt.Errorf("%w: content does not match its SHA-256", ErrTampered)
	}
	return plain, nil
}

// Exists says whether the blob is stored: a record in the owner's packs,
// or a file of the old layout. A record that is there but damaged exists.
func (d *Dir) Exists(ctx context.Context, ref Ref) (bool, error) {
	fail := func(err error) (bool, error) { return false, &Error{Op: "exists", Ref: ref, Err: err} }
	if err := ref.Validate(); err != nil {
		return fail(err)
	}
	oi := d.index(ref.Owner)
	sum := refSum(ref)
	rescanned := map[int]bool{}
	for range 10 {
		locs, _, _, err := oi.lookup(sum, true)
		if err != nil {
			return fail(err)
		}
		d.forgetIfGone(oi)
		stale := -1
		for _, l := range locs {
			f, _, err := openRecord(oi.dir, l, sum)
			if err == nil {
				f.Close()
				return true, nil
			}
			switch {
			case errors.Is(err, errDeleted):
				oi.forget(sum, l.recLoc)
				continue
			case errors.Is(err, errStale) && !rescanned[l.pack]:
				stale = l.pack
			case errors.Is(err, errStale), errors.Is(err, ErrTampered):
				return true, nil // there, altered
			default:
				return fail(err)
			}
			break
		}
		if stale < 0 {
			break
		}
		rescanned[stale] = true
		if err := oi.rescan(stale); err != nil {
			return fail(err)
		}
	}
	// A record cut short is there, damaged.
	if cut, _, err := d.cutShort(oi, sum); err != nil {
		return fail(err)
	} else if cut != nil {
		return true, nil
	}
	_, err := os.Stat(d.oldPath(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return fail(err)
	}
	return true, nil
}

// Delete deletes a blob: every record of its content in the owner's packs
// (each turned into a tombstone in place, see pack.go), and its file of
// the old layout.
func (d *Dir) Delete(ctx context.Context, ref Ref) error {
	fail := func(err error) error { return &Error{Op: "delete", Ref: ref, Err: err} }
	if err := ref.Validate(); err != nil {
		return fail(err)
	}
	sum := refSum(ref)
	defer d.locks.rlock(d.ownerPath(ref.Owner))()
	oi := d.index(ref.Owner)
	if err := oi.refreshEverything(); err != nil {
		return fail(err)
	}
	// Every pack, not only those the index has a record of it in: a
	// Delete a crash interrupted left tombstones that still hold the
	// SHA-256 (and maybe part of the sealed bytes), which the index skips.
	for _, n := range oi.packs() {
		if err := d.tombstone(ctx, oi, n, sum); err != nil {
			return fail(err)
		}
	}
	old := d.oldPath(ref)
	if err := os.Remove(old); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fail(err)
	}
	// Remove its folder if now empty; one still in use stays.
	dir := filepath.Dir(old)
	if os.Remove(dir) == nil {
		dir = filepath.Dir(dir)
	}
	if err := syncDir(dir); err != nil {
		return fail(err)
	}
	return nil
}

// tombstone turns the records of content sum in pack n into tombstones, in
// place, holding the pack's locks: first their headers (so that a reader
// that reads part of the zeros next takes the record as deleted, not
// damaged), then zeros over their sealed bytes, synced, then their headers
// without the SHA-256, synced. Offsets do not move: every index of the
// pack, here and in other processes, stays right.
func (d *Dir) tombstone(ctx context.Context, oi *ownerIndex, n int, sum [32]byte) error {
	p := d.packs.acquire(packPath(oi.dir, n))
	defer d.packs.release(p)
	p.mu.Lock()
	defer p.mu.Unlock()
	size, _, err := p.lock(ctx, false)
	if errors.Is(err, fs.ErrNotExist) {
		return oi.refresh(n) // gone meanwhile
	} else if err != nil {
		return err
	}
	defer p.unlock()
	// Read the pack from its start, holding its lock: what is there now,
	// whatever the index holds.
	s, err := scanPack(p.f, 0, size)
	if err != nil {
		return fmt.Errorf("scan %s: %w", p.path, err)
	}
	var recs []scannedRec
	for _, r := range append(s.recs, s.dead...) {
		if r.h.sum == sum {
			recs = append(recs, r)
		}
	}
	if len(recs) == 0 {
		return nil
	}
	write := func(b []byte, off int64) error {
		if _, err := p.f.WriteAt(b, off); err != nil {
			return fmt.Errorf("delete in %s: %w", p.path, err)
		}
		return nil
	}
	longest := slices.MaxFunc(recs, func(a, b scannedRec) int { return cmp.Compare(a.h.sealed, b.h.sealed) })
	zeros := make([]byte, min(64<<10, longest.h.sealed))
	for _, r := range recs {
		if err := write(r.h.tombstone(false), r.off); err != nil {
			return err
		}
	}
	for _, r := range recs {
		for off := r.off + int64(recHeaderLen); off < r.end(); off += int64(len(zeros)) {
			if err := write(zeros[:min(int64(len(zeros)), r.end()-off)], off); err != nil {
				return err
			}
		}
	}
	if err := d.syncPack(p, true); err != nil {
		return err
	}
	for _, r := range recs {
		if err := write(r.h.tombstone(true), r.off); err != nil {
			return err
		}
	}
	if err := d.syncPack(p, true); err != nil {
		return err
	}
	for _, r := range recs {
		oi.forget(sum, recLoc{pack: n, off: r.off})
	}
	return nil
}

// DeleteOwner deletes the owner's folder: every blob of the owner.
func (d *Dir) DeleteOwner(ctx context.Context, owner string) error {
	if owner == "" {
		return &Error{Op: "delete owner", Ref: Ref{}, Err: ErrInvalidRef}
	}
	dir := d.ownerPath(owner)
	defer d.locks.lock(dir)()
	d.owners.drop(dir)
	d.packs.dropUnder(dir)
	d.folders.forget(dir)
	d.forgetFailed(dir)
	if err := os.RemoveAll(dir); err != nil {
		return &Error{Op: "delete owner", Ref: Ref{Owner: owner}, Err: err}
	}
	if err := syncDir(d.root); err != nil {
		return &Error{Op: "delete owner", Ref: Ref{Owner: owner}, Err: err}
	}
	return nil
}

// ownerLocks are read-write locks by owner folder, kept while in use.
type ownerLocks struct {
	mu sync.Mutex
	m  map[string]*ownerLock
}

type ownerLock struct {
	rw   sync.RWMutex
	uses int
}

// rlock takes dir's lock for reading and returns its release.
func (l *ownerLocks) rlock(dir string) func() {
	o := l.acquire(dir)
	o.rw.RLock()
	return func() { o.rw.RUnlock(); l.release(dir, o) }
}

// lock takes dir's lock for writing and returns its release.
func (l *ownerLocks) lock(dir string) func() {
	o := l.acquire(dir)
	o.rw.Lock()
	return func() { o.rw.Unlock(); l.release(dir, o) }
}

func (l *ownerLocks) acquire(dir string) *ownerLock {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string]*ownerLock)
	}
	o := l.m[dir]
	if o == nil {
		o = &ownerLock{}
		l.m[dir] = o
	}
	o.uses++
	return o
}

func (l *ownerLocks) release(dir string, o *ownerLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if o.uses--; o.uses == 0 {
		delete(l.m, dir)
	}
}

// String describes the store.
func (d *Dir) String() string { return "blob.Dir(" + strconv.Quote(d.root) + ")" }
