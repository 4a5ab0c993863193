package blob

import (
	"container/list"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// packFile is a pack this process keeps open to append to it and to sync
// it. Appends and rewrites hold mu, then the file's lock between processes
// (flock); syncs do not wait for either.
type packFile struct {
	path string

	// mu: appends and rewrites of this pack in this process. It is held
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

	// Under packCache.mu.
	refs    int
	elem    *list.Element
	dropped bool // no longer in the cache: closed once unused
}

// open opens the file at the pack's path in place of the one p has, if
// any; with create, it is made (mode 0600) if missing. p.mu is held.
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
	p.f, p.fi = f, fi
	p.dmu.Lock()
	p.written, p.durable = 0, 0 // nothing known of this file yet
	p.dmu.Unlock()
	p.fmu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// replaceWith makes f (fi) the pack's file after a rewrite that synced it
// whole. p.mu is held.
func (p *packFile) replaceWith(f *os.File, fi os.FileInfo) {
	p.fmu.Lock()
	old := p.f
	p.f, p.fi = f, fi
	p.dmu.Lock()
	p.written, p.durable = fi.Size(), fi.Size()
	p.dmu.Unlock()
	p.fmu.Unlock()
	if old != nil {
		old.Close() // and with it its lock
	}
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
// returns its size. A Delete (here or in another process) replaces the file
// by renaming a new one over it: a lock taken on the file it replaced would
// exclude nobody, so after taking it, lock checks that its file is still
// the one at the path, and if not opens the new one. replaced says that p
// had another file open before. p.mu is held; unlock releases the lock.
func (p *packFile) lock(create bool) (size int64, replaced bool, err error) {
	for range 100 {
		if p.f == nil {
			before := p.fi
			if err := p.open(create); err != nil {
				return 0, replaced, err
			}
			replaced = replaced || before != nil && !os.SameFile(before, p.fi)
		}
		if err := lockFile(p.f); err != nil {
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
// pack, as the index knew it) needs a sync before it counts as durable, and
// if so makes the next sync of p cover it. It may have been appended by
// another process that did not sync it yet.
func (p *packFile) needsSync(fi os.FileInfo, end int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil || !os.SameFile(p.fi, fi) {
		if err := p.open(false); errors.Is(err, fs.ErrNotExist) {
			return false, nil // removed since: so is the record
		} else if err != nil {
			return false, err
		}
		if !os.SameFile(p.fi, fi) {
			// Rewritten since by a Delete, which synced the new file
			// before renaming it into place.
			return false, nil
		}
	}
	p.dmu.Lock()
	defer p.dmu.Unlock()
	if p.durable >= end {
		return false, nil
	}
	p.written = max(p.written, end)
	return true, nil
}

// datasync makes what this process wrote to the pack durable
// (fdatasync(2) where there is one: an append changes the file's size,
// which fdatasync syncs, and nothing else of its metadata that matters).
func (p *packFile) datasync() error {
	p.fmu.RLock()
	defer p.fmu.RUnlock()
	if p.f == nil {
		// Closed to open the file now at the path: the one it had was
		// replaced by a rewrite, which synced it, or removed.
		return nil
	}
	p.dmu.Lock()
	w, done := p.written, p.durable >= p.written
	p.dmu.Unlock()
	if done {
		return nil
	}
	if syncHook != nil {
		syncHook(p.path)
	}
	if err := datasync(p.f); err != nil {
		return fmt.Errorf("sync %s: %w", p.path, err)
	}
	p.dmu.Lock()
	p.durable = max(p.durable, w)
	p.dmu.Unlock()
	return nil
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
