package personal

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/personal/watch"
)

// WatchStore is what the watch needs from the database: the protected
// persons' identifiers (decrypted, to build the index), the generation that
// moves when they change, and one person's identifiers of one kind to
// confirm a match.
type WatchStore interface {
	WatchIdentifiers(ctx context.Context) ([]*undox.Identifier, int64, error)
	WatchGeneration(ctx context.Context) (int64, error)
	PersonIdentifiers(ctx context.Context, person, kind string) ([]string, error)
}

// Watch looks for every protected person on every page: a Matcher over the
// watch index, which it keeps current with the database. The index holds
// only keyed hashes; the key is kept apart from the database (a file in
// the data folder, or the environment). The index is saved to Path (when
// set) so that a restart does not rebuild it; a Matcher never hands out a
// match that the person's encrypted identifiers do not confirm.
type Watch struct {
	Store WatchStore
	Key   []byte
	// Path is where the index is saved (DATA/watch.index); "" keeps it in
	// memory only.
	Path string
	// CheckEvery is how often the generation is checked (default 2 s).
	CheckEvery time.Duration
	Logger     *slog.Logger

	mu      sync.Mutex
	ix      *watch.Index // nil: no identifiers
	gen     int64
	loaded  bool
	checked time.Time
}

// Match implements Matcher.
func (w *Watch) Match(ctx context.Context, text string) ([]Match, error) {
	ix, err := w.current(ctx)
	if err != nil || ix == nil {
		return nil, err
	}
	var verr error
	ms := ix.MatchVerified(text, func(person, kind, span string) bool {
		vals, err := w.Store.PersonIdentifiers(ctx, person, kind)
		if err != nil {
			verr = err
			return false
		}
		for _, v := range vals {
			if watch.Equivalent(kind, v, span) {
				return true
			}
		}
		return false
	})
	if verr != nil {
		return nil, verr
	}
	out := make([]Match, len(ms))
	for i, m := range ms {
		out[i] = Match{Person: m.Person, Kind: m.Kind, Start: m.Start, End: m.End}
	}
	return out, nil
}

// current returns the index, rebuilt when the identifiers changed.
func (w *Watch) current(ctx context.Context) (*watch.Index, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	every := w.CheckEvery
	if every <= 0 {
		every = 2 * time.Second
	}
	if w.loaded && time.Since(w.checked) < every {
		return w.ix, nil
	}
	return w.refresh(ctx)
}

// Refresh brings the index, and its file, up to date with the database
// now, if the identifiers changed since it was built. Without it the index
// follows the database only when a page is scanned: the hashes of an
// erased case's identifiers, or of a removed one, would stay in the file
// (where, with the key beside it, a phone number can be found by trying
// them all) until the next capture.
func (w *Watch) Refresh(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.loaded && w.Path != "" {
		// Not loaded yet: a file of the current generation is left for
		// the first scan to load.
		gen, err := w.Store.WatchGeneration(ctx)
		if err != nil {
			return err
		}
		if fg, ok := w.fileGeneration(); ok && fg == gen {
			return nil
		}
	}
	_, err := w.refresh(ctx)
	return err
}

func (w *Watch) refresh(ctx context.Context) (*watch.Index, error) {
	gen, err := w.Store.WatchGeneration(ctx)
	if err != nil {
		return nil, err
	}
	w.checked = time.Now()
	if w.loaded && gen == w.gen {
		return w.ix, nil
	}
	if !w.loaded && w.Path != "" {
		if ix, ok := w.loadFile(gen); ok {
			w.ix, w.gen, w.loaded = ix, gen, true
			return ix, nil
		}
	}
	if err := w.rebuild(ctx); err != nil {
		return nil, err
	}
	return w.ix, nil
}

// Rebuild builds the index from the database now (and saves it).
func (w *Watch) Rebuild(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rebuild(ctx)
}

func (w *Watch) rebuild(ctx context.Context) error {
	ids, gen, err := w.Store.WatchIdentifiers(ctx)
	if err != nil {
		return err
	}
	list := make([]watch.Identifier, 0, len(ids))
	for _, it := range ids {
		list = append(list, watch.Identifier{Person: undox.PersonID(it.CaseRef, it.Person), Kind: it.Kind, Value: it.Value})
	}
	var ix *watch.Index
	if len(list) > 0 {
		if ix, err = watch.Build(w.Key, list); err != nil && !errors.Is(err, watch.ErrEmpty) {
			return err
		}
	}
	w.ix, w.gen, w.loaded, w.checked = ix, gen, true, time.Now()
	if w.Path != "" {
		w.saveFile(ix, gen)
	}
	if w.Logger != nil {
		w.Logger.Info("watch index built", "identifiers", len(list), "generation", gen)
	}
	return nil
}

// The index file is saved beside a file that names its generation.
func (w *Watch) loadFile(gen int64) (*watch.Index, bool) {
	if fg, ok := w.fileGeneration(); !ok || fg != gen {
		return nil, false
	}
	if _, err := os.Stat(w.Path); errors.Is(err, os.ErrNotExist) {
		return nil, true // saved empty
	}
	ix, err := watch.LoadFile(w.Path, w.Key)
	if err != nil {
		return nil, false
	}
	return ix, true
}

// fileGeneration returns the generation of the saved index.
func (w *Watch) fileGeneration() (int64, bool) {
	b, err := os.ReadFile(w.Path + ".generation")
	if err != nil {
		return 0, false
	}
	gen, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return gen, err == nil
}

func (w *Watch) saveFile(ix *watch.Index, gen int64) {
	var err error
	if ix == nil {
		err = os.Remove(w.Path)
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
	} else {
		err = ix.SaveFile(w.Path)
	}
	if err == nil {
		err = os.WriteFile(w.Path+".generation", []byte(strconv.FormatInt(gen, 10)+"\n"), 0o600)
	}
	if err != nil && w.Logger != nil {
		w.Logger.Warn("saving the watch index", "err", err)
	}
}
