package blob

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// packFile is a pack this process keeps open to append to it and to sync
// it. Appends and Deletes (tombstones) hold mu, then the file's lock between processes
// (flock); syncs do not wait for either.
type packFile struct {
	path string

	// mu: appends and Deletes in this pack in this process. It is held
	// while the flock is.
	mu sync.Mutex

	// fmu guards f and fi: they change with mu and fmu held, and are read
	// with either held. A sync holds fmu for reading, so that the file it
	// syncs stays open.
	fmu sync.RWMutex
	f   *os.File
	fi  os.FileInfo // of f; kept after f is closed, to tell a new file

	// dmu guards the bytes of f this process relies on: written (the end
	// of what it appended, or of a record it found stored) and durable
	// (what a sync covered). Lock order: fmu, then dmu.
	dmu     sync.Mutex
	written int64
	durable int64
	// syncErr is the error of a sync of f that failed: Linux reports a
	// failed writeback once, and a later fdatasync that succeeds says
	// nothing of the pages it lost, so every later sync of p fails with
	// it, and nothing more is appended to p.
	syncErr error

	// Under packCache.mu.
	refs    int
	elem    *list.Element
	dropped bool // no longer in the cache: closed once unused
}

// open opens the file at the pack's path in place of the one p has, if
// any; with create, it is made (mode 0600) if missing. p.mu is held.
//
// What p knows of its bytes (written, durable, a failed sync) stays when
// the file is the one p had open: only a file p did not hold open can be
// another one of the same inode number, so only then is it trusted.
func (p *packFile) open(create bool) error {
	flag := os.O_RDWR
	if create {
		flag |= os.O_CREATE
	}
	f, err := os.OpenFile(p.path, flag, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	p.fmu.Lock()
	old := p.f
	same := old != nil && os.SameFile(p.fi, fi)
	p.f, p.fi = f, fi
	if !same {
		p.dmu.Lock()
		p.written, p.durable = 0, 0 // nothing known of this file yet
		p.syncErr = nil
		p.dmu.Unlock()
	}
	p.fmu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// closeFile closes the file, if open. p.mu is held, or p is unused.
func (p *packFile) closeFile() {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}

// lock takes the lock between processes on the file that is at the pack's
// path now, opening it first (with create, making it if missing), and
// returns its size. Nothing replaces a pack (Delete writes tombstones in
// place), but DeleteOwner in another process removes the owner's folder,
// and a Put makes it and the pack again: a lock taken on the removed file
// would exclude nobody, so after taking it, lock checks that its file is
// still the one at the path, and if not opens the new one. replaced says
// that p had another file open before. p.mu is held; unlock releases the
// lock.
func (p *packFile) lock(ctx context.Context, create bool) (size int64, replaced bool, err error) {
	for range 100 {
		if p.f == nil {
			before := p.fi
			if err := p.open(create); err != nil {
				return 0, replaced, err
			}
			replaced = replaced || before != nil && !os.SameFile(before, p.fi)
		}
		if err := lockFileContext(ctx, p.f); err != nil {
			return 0, replaced, fmt.Errorf("lock %s: %w", p.path, err)
		}
		st, err := os.Stat(p.path)
		if err == nil && os.SameFile(st, p.fi) {
			return st.Size(), replaced, nil
		}
		unlockFile(p.f)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, replaced, err
		}
		p.closeFile()
	}
	return 0, replaced, fmt.Errorf("lock %s: the file keeps being replaced", p.path)
}

// unlock releases the lock lock took. p.mu is held.
func (p *packFile) unlock() {
	if p.f != nil {
		unlockFile(p.f)
	}
}

// wrote records that this process appended up to end. p.mu is held.
func (p *packFile) wrote(end int64) {
	p.dmu.Lock()
	p.written = max(p.written, end)
	p.dmu.Unlock()
}

// needsSync says whether the record ending at end in the file fi (this
// pack, as a read found it) needs a sync before it counts as durable, and
// if so makes the next sync of p cover it. It may have been appended by
// another process that did not sync it yet. It fails with errSyncFailed if
// a sync of p failed before the record was durable: it may be lost.
func (p *packFile) needsSync(fi os.FileInfo, end int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil || !os.SameFile(p.fi, fi) {
		if err := p.open(false); errors.Is(err, fs.ErrNotExist) {
			return false, nil // removed since (DeleteOwner): so is the record
		} else if err != nil {
			return false, err
		}
		if !os.SameFile(p.fi, fi) {
			// The owner's folder was removed and made again since: the
			// record went with it.
			return false, nil
		}
	}
	p.dmu.Lock()
	defer p.dmu.Unlock()
	if p.durable >= end {
		return false, nil
	}
	if p.syncErr != nil {
		return false, fmt.Errorf("%w: %w", errSyncFailed, p.syncErr)
	}
	p.written = max(p.written, end)
	return true, nil
}

// errSyncFailed: a sync of the pack failed; what it held that was not
// durable before may be lost.
var errSyncFailed = errors.New("an earlier sync of the pack failed")

// syncFile is fdatasync(2) (see datasync); tests replace it to fail.
var syncFile = datasync

// datasync makes what this process wrote to the pack durable
// (fdatasync(2) where there is one: an append changes the file's size,
// which fdatasync syncs, and nothing else of its metadata that matters);
// with force, even if p wrote nothing since its last sync (Delete, which
// wrote in place). Once a sync failed, every later one fails.
func (p *packFile) datasync(force bool) error {
	p.fmu.RLock()
	defer p.fmu.RUnlock()
	p.dmu.Lock()
	w, done, serr := p.written, p.durable >= p.written && !force, p.syncErr
	p.dmu.Unlock()
	if serr != nil {
		return fmt.Errorf("sync %s: %w: %w", p.path, errSyncFailed, serr)
	}
	if p.f == nil {
		// Closed because the file at the path is another one now: the
		// one it had was removed (DeleteOwner), with what it held.
		return nil
	}
	if done {
		return nil
	}
	if syncHook != nil {
		syncHook(p.path)
	}
	if err := syncFile(p.f); err != nil {
		p.dmu.Lock()
		if p.syncErr == nil {
			p.syncErr = err
		}
		p.dmu.Unlock()
		return fmt.Errorf("sync %s: %w", p.path, err)
	}
	p.dmu.Lock()
	p.durable = max(p.durable, w)
	p.dmu.Unlock()
	return nil
}

// failed says whether a sync of p failed.
func (p *packFile) failed() bool {
	p.dmu.Lock()
	defer p.dmu.Unlock()
	return p.syncErr != nil
}

// durableTo says whether what p holds up to end is durable.
func (p *packFile) durableTo(end int64) bool {
	p.dmu.Lock()
	defer p.dmu.Unlock()
	return p.durable >= end
}

// packCache keeps the packs used last open, at most max of them unless
// more are in use at once. A pack file is used from acquire to release.
type packCache struct {
	mu  sync.Mutex
	max int
	lru list.List // of *packFile, the most recently used first
	m   map[string]*packFile
}

// acquire returns the pack at path (not necessarily open yet).
func (c *packCache) acquire(path string) *packFile {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[path]
	if ok {
		c.lru.MoveToFront(p.elem)
	} else {
		if c.m == nil {
			c.m = make(map[string]*packFile)
		}
		p = &packFile{path: path}
		p.elem = c.lru.PushFront(p)
		c.m[path] = p
	}
	p.refs++
	c.evict()
	return p
}

// ref counts one more use of p, which is in use already.
func (c *packCache) ref(p *packFile) {
	c.mu.Lock()
	p.refs++
	c.mu.Unlock()
}

// release ends a use of p.
func (c *packCache) release(p *packFile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p.refs--
	if p.refs == 0 && p.dropped {
		p.closeFile()
		return
	}
	c.evict()
}

// evict closes the least recently used packs not in use, down to max.
// c.mu is held.
func (c *packCache) evict() {
	for e := c.lru.Back(); e != nil && c.lru.Len() > max(c.max, 1); {
		p := e.Value.(*packFile)
		e = e.Prev()
		if p.refs == 0 {
			c.remove(p)
			p.closeFile()
		}
	}
}

// remove takes p out of the cache. c.mu is held.
func (c *packCache) remove(p *packFile) {
	c.lru.Remove(p.elem)
	delete(c.m, p.path)
	p.dropped = true
}

// dropUnder closes the packs in the folder dir (closing those in use once
// they are released).
func (c *packCache) dropUnder(dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for path, p := range c.m {
		if strings.HasPrefix(path, dir+string(os.PathSeparator)) {
			c.remove(p)
			if p.refs == 0 {
				p.closeFile()
			}
		}
	}
}

// dropRemoved closes the packs not in use whose file is no longer at
// their path (removed by another process).
func (c *packCache) dropRemoved() {
	c.mu.Lock()
	var idle []*packFile
	for _, p := range c.m {
		if p.refs == 0 {
			idle = append(idle, p)
		}
	}
	c.mu.Unlock()
	for _, p := range idle {
		p.fmu.RLock()
		fi := p.fi
		p.fmu.RUnlock()
		if fi == nil {
			continue
		}
		if now, err := os.Stat(p.path); err == nil && os.SameFile(fi, now) || err != nil && !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		c.mu.Lock()
		if c.m[p.path] == p && p.refs == 0 {
			c.remove(p)
			p.closeFile()
		}
		c.mu.Unlock()
	}
}

// closeAll closes every pack (those in use once they are released).
func (c *packCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.m {
		c.remove(p)
		if p.refs == 0 {
			p.closeFile()
		}
	}
}
