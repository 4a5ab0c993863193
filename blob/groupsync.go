package blob

import (
	"os"
	"sync"
)

// groupSync makes many Puts durable with one sync of the whole file system
// (syncfs(2) on Linux) instead of two fsyncs each: a Put writes its file,
// renames it into place, then waits for a sync that started after its
// rename. Puts that arrive while a sync runs share the next one: with 16
// captures at once, one sync serves them all.
//
// A crash before that sync may leave a blob whose Put never returned
// incomplete under its final name; nothing refers to it (the capture that
// would is stored only after Put returns), Get reports it as ErrTampered,
// and a later Put of the same content replaces it.
type groupSync struct {
	mu        sync.Mutex
	cond      *sync.Cond
	requested uint64 // syncs asked for
	completed uint64 // the last request a finished sync covered
	running   bool
	err       error
	dir       string
	syncfs    func(*os.File) error
}

func newGroupSync(dir string, syncfs func(*os.File) error) *groupSync {
	g := &groupSync{dir: dir, syncfs: syncfs}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// sync returns once a sync of the file system that started after the call
// has finished.
func (g *groupSync) sync() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requested++
	mine := g.requested
	for g.completed < mine {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		covers := g.requested
		g.mu.Unlock()
		err := g.syncOnce()
		g.mu.Lock()
		g.running = false
		if err == nil {
			g.completed = covers
		}
		g.err = err
		g.cond.Broadcast()
		if err != nil {
			return err
		}
	}
	return nil
}

func (g *groupSync) syncOnce() error {
	if syncedDir != nil {
		syncedDir("syncfs:" + g.dir)
	}
	f, err := os.Open(g.dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return g.syncfs(f)
}
