package sqlstore

import (
	"container/list"
	"context"
	"database/sql/driver"
	"strings"
)

// SQLite (the pure Go build of it) spends more time parsing a statement
// than running most of them. cachingConnector keeps the prepared
// statements of each connection, by their text, and reuses them: for
// undox's own statements and River's alike. The cache is bounded (least
// recently used go first); statements without arguments, such as
// migrations with many statements in one string, are never cached.
type cachingConnector struct {
	drv  driver.Driver
	dsn  string
	size int
}

func (c *cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	inner, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{inner: inner, size: c.size, stmts: map[string]*list.Element{}, lru: list.New()}, nil
}

func (c *cachingConnector) Driver() driver.Driver { return c.drv }

type cachedStmt struct {
	query string
	st    driver.Stmt
	busy  bool // its rows are open: not shared until they close
	dead  bool // evicted while busy: closed when released
}

// cachingConn wraps a connection; database/sql never uses one from two
// goroutines at once, so it needs no lock.
type cachingConn struct {
	inner driver.Conn
	size  int
	stmts map[string]*list.Element
	lru   *list.List
}

var (
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.NamedValueChecker  = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
)

func (c *cachingConn) Prepare(q string) (driver.Stmt, error) { return c.inner.Prepare(q) }

func (c *cachingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (c *cachingConn) Close() error {
	for e := c.lru.Front(); e != nil; e = e.Next() {
		e.Value.(*cachedStmt).st.Close()
	}
	c.stmts, c.lru = nil, list.New()
	return c.inner.Close()
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.inner.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.inner.(driver.Pinger).Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error {
	return c.inner.(driver.SessionResetter).ResetSession(ctx)
}

func (c *cachingConn) IsValid() bool { return c.inner.(driver.Validator).IsValid() }

// stmt returns the prepared statement for q, marked busy, and the function
// that releases it.
func (c *cachingConn) stmt(ctx context.Context, q string) (driver.Stmt, func(), error) {
	if e, ok := c.stmts[q]; ok {
		cs := e.Value.(*cachedStmt)
		if !cs.busy {
			cs.busy = true
			c.lru.MoveToFront(e)
			return cs.st, func() { c.release(cs) }, nil
		}
		// In use by open rows: a statement of its own, for once.
		st, err := c.PrepareContext(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	}
	st, err := c.PrepareContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	cs := &cachedStmt{query: q, st: st, busy: true}
	c.stmts[q] = c.lru.PushFront(cs)
	for c.lru.Len() > c.size {
		old := c.lru.Back()
		ocs := old.Value.(*cachedStmt)
		c.lru.Remove(old)
		delete(c.stmts, ocs.query)
		if ocs.busy {
			ocs.dead = true
		} else {
			ocs.st.Close()
		}
	}
	return st, func() { c.release(cs) }, nil
}

func (c *cachingConn) release(cs *cachedStmt) {
	cs.busy = false
	if cs.dead {
		cs.st.Close()
	}
}

// cacheable tells whether a statement is worth keeping: one with
// arguments (a statement without any may hold several, as migrations do).
func cacheable(q string, args []driver.NamedValue) bool {
	return len(args) > 0 && !strings.Contains(strings.TrimRight(strings.TrimSpace(q), ";"), ";")
}

func (c *cachingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if !cacheable(q, args) {
		return c.inner.(driver.ExecerContext).ExecContext(ctx, q, args)
	}
	st, release, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	defer release()
	return st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if !cacheable(q, args) {
		return c.inner.(driver.QueryerContext).QueryContext(ctx, q, args)
	}
	st, release, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	r, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		release()
		return nil, err
	}
	return &releasingRows{Rows: r, release: release}, nil
}

// releasingRows gives the statement back when its rows are closed.
type releasingRows struct {
	driver.Rows
	release func()
}

func (r *releasingRows) Close() error {
	err := r.Rows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return err
}
