package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// contentIn returns n distinct contents whose blobs go to the same shard
// folder (the first two hex digits of their SHA-256).
func contentIn(n int) [][]byte {
	var out [][]byte
	shard := ""
	for i := 0; len(out) < n; i++ {
		c := []byte(fmt.Sprintf("content %d", i))
		sum := sha256.Sum256(c)
		h := hex.EncodeToString(sum[:])
		if shard == "" {
			shard = h[:2]
		}
		if h[:2] == shard {
			out = append(out, c)
		}
	}
	return out
}

// recordSyncs records the folders synced while the test runs.
func recordSyncs(t *testing.T) func() []string {
	var mu sync.Mutex
	var synced []string
	syncedDir = func(dir string) {
		mu.Lock()
		synced = append(synced, dir)
		mu.Unlock()
	}
	t.Cleanup(func() { syncedDir = nil })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		s := synced
		synced = nil
		return s
	}
}

// Every Put syncs the folder it renames its file into; a folder it makes
// has its entry synced in its parent, before any blob in it is written,
// once: later Puts into that folder sync only the folder itself.
func TestPutSyncsNewFoldersOnce(t *testing.T) {
	d := newDir(t)
	d.SyncEach()
	ctx := context.Background()
	key := newKey(t)
	synced := recordSyncs(t)
	same := contentIn(3)

	owner := filepath.Join(d.Root(), ownerDir("UDX-1"))
	ref, err := d.Put(ctx, bytes.NewReader(same[0]), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	shard := filepath.Dir(d.path(ref))
	// The owner's folder in the root, the shard in the owner's folder,
	// the file in the shard.
	if got, want := synced(), []string{d.Root(), owner, shard}; !slices.Equal(got, want) {
		t.Errorf("first Put synced %q, want %q", got, want)
	}
	if _, err := d.Put(ctx, bytes.NewReader(same[1]), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	if got, want := synced(), []string{shard}; !slices.Equal(got, want) {
		t.Errorf("a Put into a known folder synced %q, want %q", got, want)
	}
	// Content stored already: nothing written, nothing synced.
	if _, err := d.Put(ctx, bytes.NewReader(same[1]), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	if got := synced(); len(got) != 0 {
		t.Errorf("a Put of stored content synced %q", got)
	}

	// Delete removes the emptied folders (and syncs the root); a Put makes
	// and syncs them again.
	for _, c := range same[:2] {
		sum := sha256.Sum256(c)
		if err := d.Delete(ctx, Ref{Owner: "UDX-1", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(c))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(owner); !os.IsNotExist(err) {
		t.Fatalf("the owner's folder is left: %v", err)
	}
	synced()
	if _, err := d.Put(ctx, bytes.NewReader(same[2]), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	if got, want := synced(), []string{d.Root(), owner, shard}; !slices.Equal(got, want) {
		t.Errorf("Put after Delete synced %q, want %q", got, want)
	}
}

// A folder removed behind the Dir's back (by another process, say) is made
// again, and its entry synced.
func TestPutRemakesFolderRemovedOutside(t *testing.T) {
	d := newDir(t)
	d.SyncEach()
	ctx := context.Background()
	key := newKey(t)
	same := contentIn(2)
	ref, err := d.Put(ctx, bytes.NewReader(same[0]), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	shard := filepath.Dir(d.path(ref))
	if err := os.RemoveAll(shard); err != nil {
		t.Fatal(err)
	}
	synced := recordSyncs(t)
	ref, err = d.Put(ctx, bytes.NewReader(same[1]), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := synced(), []string{filepath.Dir(shard), shard}; !slices.Equal(got, want) {
		t.Errorf("synced %q, want %q", got, want)
	}
	if got, err := get(t, d, ref, key); err != nil || !bytes.Equal(got, same[1]) {
		t.Errorf("Get: %v", err)
	}
	if f := files(t, d.Root()); len(f) != 1 || strings.Contains(f[0], ".tmp-") {
		t.Errorf("files %v", f)
	}
}

// lenReader claims a length that may be wrong.
type lenReader struct {
	io.Reader
	n int
}

func (l lenReader) Len() int { return l.n }

// Put reads all of its reader, whatever length it claims, up to MaxSize.
func TestPutReadsWhatever(t *testing.T) {
	d := newDir(t)
	d.MaxSize = 1 << 16
	ctx := context.Background()
	key := newKey(t)
	content := bytes.Repeat([]byte("0123456789"), 5000)
	for name, r := range map[string]func() io.Reader{
		"bytes.Reader":   func() io.Reader { return bytes.NewReader(content) },
		"strings.Reader": func() io.Reader { return strings.NewReader(string(content)) },
		"half read":      func() io.Reader { r := bytes.NewReader(content); io.CopyN(io.Discard, r, 100); return r },
		"no length":      func() io.Reader { return io.MultiReader(bytes.NewReader(content[:10]), bytes.NewReader(content[10:])) },
		"claims less":    func() io.Reader { return lenReader{bytes.NewReader(content), 10} },
		"claims more":    func() io.Reader { return lenReader{bytes.NewReader(content), 1 << 30} },
		"claims nothing": func() io.Reader { return lenReader{bytes.NewReader(content), 0} },
	} {
		want := content
		if name == "half read" {
			want = content[100:]
		}
		ref, err := d.Put(ctx, r(), key, "UDX-1")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := get(t, d, ref, key); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, %v", name, len(got), err)
		}
	}
	if _, err := d.Put(ctx, lenReader{bytes.NewReader(make([]byte, 1<<16+1)), 5}, key, "UDX-1"); err == nil {
		t.Error("too large content accepted")
	}
}

// On Linux, Puts at the same time share syncs of the file system: every
// Put waits for a sync that started after its rename, and there are fewer
// syncs than Puts.
func TestPutsShareSyncs(t *testing.T) {
	if !haveSyncFS {
		t.Skip("no syncfs(2) here: each Put syncs its own file and folder")
	}
	d := newDir(t)
	key := newKey(t)
	var mu sync.Mutex
	syncs := 0
	syncedDir = func(dir string) {
		if strings.HasPrefix(dir, "syncfs:") {
			mu.Lock()
			syncs++
			mu.Unlock()
		}
	}
	t.Cleanup(func() { syncedDir = nil })
	const n = 64
	var wg sync.WaitGroup
	refs := make([]Ref, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			refs[i], errs[i] = d.Put(context.Background(), strings.NewReader(fmt.Sprintf("content %d", i)), key, "UDX-1")
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		rc, err := d.Get(context.Background(), refs[i], key)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if syncs < 1 || syncs >= n {
		t.Errorf("%d syncs for %d Puts at once", syncs, n)
	}
}

// PutLater does not wait for a sync; Sync then makes all of them durable
// with one sync of the file system.
func TestPutLaterThenOneSync(t *testing.T) {
	if !haveSyncFS {
		t.Skip("no syncfs(2) here: each Put syncs its own file and folder")
	}
	d := newDir(t)
	key := newKey(t)
	var mu sync.Mutex
	syncs := 0
	syncedDir = func(dir string) {
		if strings.HasPrefix(dir, "syncfs:") {
			mu.Lock()
			syncs++
			mu.Unlock()
		}
	}
	t.Cleanup(func() { syncedDir = nil })
	var refs []Ref
	for i := range 5 {
		ref, err := d.PutLater(context.Background(), strings.NewReader(fmt.Sprintf("file %d", i)), key, "UDX-2")
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	mu.Lock()
	if syncs != 0 {
		t.Errorf("PutLater synced %d times", syncs)
	}
	mu.Unlock()
	if err := d.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if syncs != 1 {
		t.Errorf("Sync synced %d times, want 1", syncs)
	}
	mu.Unlock()
	for _, ref := range refs {
		rc, err := d.Get(context.Background(), ref, key)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	// A Put of content that PutLater stored waits for a sync all the same.
	if _, err := d.Put(context.Background(), strings.NewReader("file 0"), key, "UDX-2"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if syncs != 2 {
		t.Errorf("a Put that found its content synced %d times in all, want 2", syncs)
	}
}
