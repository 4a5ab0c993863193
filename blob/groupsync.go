package blob

import "sync"

// groupSync makes many Puts durable with one round of syncs instead of one
// each: a Put appends its record, then waits for a round that started after
// its append. Puts that arrive while a round runs share the next one: with
// 16 captures at once, one fdatasync of each pack appended to serves them
// all.
//
// A crash before that round may leave a record whose Put never returned
// torn at the end of its pack (cut off before the next append) or
// incomplete (Get reports it as ErrTampered, and a later Put of the same
// content appends a good one); nothing refers to it, since the capture that
// would is stored only after Put returns.
type groupSync struct {
	mu        sync.Mutex
	cond      *sync.Cond
	requested uint64 // rounds asked for
	completed uint64 // the last request a finished round covered
	running   bool
	round     func() error
}

func newGroupSync(round func() error) *groupSync {
	g := &groupSync{round: round}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// sync returns once a round that started after the call has finished.
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
		err := g.round()
		g.mu.Lock()
		g.running = false
		if err == nil {
			g.completed = covers
		}
		g.cond.Broadcast()
		if err != nil {
			return err
		}
	}
	return nil
}
