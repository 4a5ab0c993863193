package personal

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/personal/watch"
)

// memWatchStore is a WatchStore in memory: its generation moves with
// every change, as the database's does.
type memWatchStore struct {
	mu    sync.Mutex
	ids   []*undox.Identifier
	gen   int64
	reads int // WatchIdentifiers calls: rebuilds
}

func (m *memWatchStore) WatchIdentifiers(context.Context) ([]*undox.Identifier, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	return append([]*undox.Identifier(nil), m.ids...), m.gen, nil
}

func (m *memWatchStore) WatchGeneration(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gen, nil
}

func (m *memWatchStore) PersonIdentifiers(_ context.Context, person, kind string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, id := range m.ids {
		if undox.PersonID(id.CaseRef, id.Person) == person && id.Kind == kind {
			out = append(out, id.Value)
		}
	}
	return out, nil
}

// eraseCase drops a case's identifiers, as erasing it does.
func (m *memWatchStore) eraseCase(ref string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keep []*undox.Identifier
	for _, id := range m.ids {
		if id.CaseRef != ref {
			keep = append(keep, id)
		}
	}
	m.ids = keep
	m.gen++
}

// TestWatchRefreshDropsAnErasedCase: Refresh rewrites the index file when
// identifiers changed, without a page to scan, so that an erased case's
// hashes leave it; it leaves a current file alone.
func TestWatchRefreshDropsAnErasedCase(t *testing.T) {
	ctx := context.Background()
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	st := &memWatchStore{gen: 1, ids: []*undox.Identifier{
		{CaseRef: "UDX-AAAA", Person: 1, Kind: undox.KindName, Value: "Syntha Verwijderd"},
		{CaseRef: "UDX-AAAA", Person: 1, Kind: undox.KindPhone, Value: "06 11 22 33 44"},
		{CaseRef: "UDX-BBBB", Person: 1, Kind: undox.KindName, Value: "Blijft Bewaard"},
	}}
	path := filepath.Join(t.TempDir(), "watch.index")
	w := &Watch{Store: st, Key: key, Path: path}
	persons := func(text string) map[string]bool {
		ix, err := watch.LoadFile(path, key)
		require.NoError(t, err)
		out := map[string]bool{}
		for _, m := range ix.Match(text) {
			out[m.Person] = true
		}
		return out
	}
	const page = "Syntha Verwijderd, 0611223344; Blijft Bewaard"

	ms, err := w.Match(ctx, page)
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	require.Equal(t, map[string]bool{"UDX-AAAA/1": true, "UDX-BBBB/1": true}, persons(page))

	// Nothing changed: no rebuild.
	reads := st.reads
	require.NoError(t, w.Refresh(ctx))
	require.Equal(t, reads, st.reads)

	st.eraseCase("UDX-AAAA")
	require.NoError(t, w.Refresh(ctx))
	require.Equal(t, map[string]bool{"UDX-BBBB/1": true}, persons(page), "the file no longer knows the erased case")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(b), "UDX-AAAA")

	// Another process, which has not loaded the index: a current file
	// is left for its first scan; a stale one is rebuilt.
	other := &Watch{Store: st, Key: key, Path: path}
	reads = st.reads
	require.NoError(t, other.Refresh(ctx))
	require.Equal(t, reads, st.reads, "the file is current")
	st.eraseCase("UDX-BBBB")
	require.NoError(t, other.Refresh(ctx))
	require.Equal(t, reads+1, st.reads)
	require.NoFileExists(t, path, "no identifiers left: no index")
}
