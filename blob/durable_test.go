package blob

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recordSyncs records the folders and packs synced while the test runs.
func recordSyncs(t *testing.T) func() []string {
	var mu sync.Mutex
	var synced []string
	syncHook = func(path string) {
		mu.Lock()
		synced = append(synced, path)
		mu.Unlock()
	}
	t.Cleanup(func() { syncHook = nil })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		s := synced
		synced = nil
		return s
	}
}

// packSyncs counts the syncs of packs (not folders) among synced.
func packSyncs(synced []string) int {
	n := 0
	for _, s := range synced {
		if _, ok := parsePackName(filepath.Base(s)); ok {
			n++
		}
	}
	return n
}

// A Put syncs its pack; a folder or pack it makes has its entry synced in
// its parent before the record is written, once: later Puts sync only the
// pack. With group syncs or without.
func TestPutSyncsNewFoldersOnce(t *testing.T) {
	for _, each := range []bool{false, true} {
		t.Run(fmt.Sprintf("SyncEach=%v", each), func(t *testing.T) {
			d := newDir(t)
			if each {
				d.SyncEach()
			}
			ctx := context.Background()
			key := newKey(t)
			synced := recordSyncs(t)
			owner := filepath.Join(d.Root(), ownerDir("UDX-1"))
			pack := filepath.Join(owner, "pack-000001")

			if _, err := d.Put(ctx, strings.NewReader("a"), key, "UDX-1"); err != nil {
				t.Fatal(err)
			}
			// The owner's folder in the root, the pack in the owner's
			// folder, the pack's content.
			if got, want := synced(), []string{d.Root(), owner, pack}; !slices.Equal(got, want) {
				t.Errorf("first Put synced %q, want %q", got, want)
			}
			if _, err := d.Put(ctx, strings.NewReader("b"), key, "UDX-1"); err != nil {
				t.Fatal(err)
			}
			if got, want := synced(), []string{pack}; !slices.Equal(got, want) {
				t.Errorf("a Put into a known pack synced %q, want %q", got, want)
			}
			// Content stored (and durable) already: nothing written,
			// nothing synced.
			if _, err := d.Put(ctx, strings.NewReader("b"), key, "UDX-1"); err != nil {
				t.Fatal(err)
			}
			if got := synced(); len(got) != 0 {
				t.Errorf("a Put of stored content synced %q", got)
			}
			// A new pack: its entry in the owner's folder, then it.
			d.PackSize = 1
			if _, err := d.Put(ctx, strings.NewReader("c"), key, "UDX-1"); err != nil {
				t.Fatal(err)
			}
			if got, want := synced(), []string{owner, filepath.Join(owner, "pack-000002")}; !slices.Equal(got, want) {
				t.Errorf("a Put into a new pack synced %q, want %q", got, want)
			}

			// DeleteOwner removes the folder (and syncs the root); a Put
			// makes and syncs it again.
			if err := d.DeleteOwner(ctx, "UDX-1"); err != nil {
				t.Fatal(err)
			}
			if got, want := synced(), []string{d.Root()}; !slices.Equal(got, want) {
				t.Errorf("DeleteOwner synced %q, want %q", got, want)
			}
			d.PackSize = 0
			if _, err := d.Put(ctx, strings.NewReader("a"), key, "UDX-1"); err != nil {
				t.Fatal(err)
			}
			if got, want := synced(), []string{d.Root(), owner, pack}; !slices.Equal(got, want) {
				t.Errorf("Put after DeleteOwner synced %q, want %q", got, want)
			}
		})
	}
}

// A folder removed behind the Dir's back (by DeleteOwner in another
// process, say) is made again, and its entry and its pack's synced.
func TestPutRemakesFolderRemovedOutside(t *testing.T) {
	d := newDir(t)
	ctx := context.Background()
	key := newKey(t)
	if _, err := d.Put(ctx, strings.NewReader("a"), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	owner := filepath.Join(d.Root(), ownerDir("UDX-1"))
	if err := os.RemoveAll(owner); err != nil {
		t.Fatal(err)
	}
	synced := recordSyncs(t)
	ref, err := d.Put(ctx, strings.NewReader("b"), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	pack := filepath.Join(owner, "pack-000001")
	if got, want := synced(), []string{d.Root(), owner, pack}; !slices.Equal(got, want) {
		t.Errorf("synced %q, want %q", got, want)
	}
	for _, dd := range []*Dir{d, reopen(t, d)} {
		if got, err := get(t, dd, ref, key); err != nil || string(got) != "b" {
			t.Errorf("Get: %v", err)
		}
	}
	if f := files(t, d.Root()); len(f) != 1 {
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

// Puts at the same time share syncs: every Put waits for a sync of its
// pack that started after its append, and there are fewer syncs than Puts.
func TestPutsShareSyncs(t *testing.T) {
	d := newDir(t)
	key := newKey(t)
	synced := recordSyncs(t)
	const n = 64
	var wg sync.WaitGroup
	refs := make([]Ref, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			refs[i], errs[i] = d.Put(context.Background(), strings.NewReader(fmt.Sprintf("content %d", i)), key, "UDX-1")
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if _, err := get(t, d, refs[i], key); err != nil {
			t.Fatal(err)
		}
	}
	if syncs := packSyncs(synced()); syncs < 1 || syncs >= n {
		t.Errorf("%d syncs for %d Puts at once", syncs, n)
	}
}

// PutLater does not wait for a sync; Sync then makes all of them durable
// with one sync of their pack. A Put that finds its content stored waits for
// a sync only if that content is not durable yet.
func TestPutLaterThenOneSync(t *testing.T) {
	d := newDir(t)
	key := newKey(t)
	ctx := context.Background()
	synced := recordSyncs(t)
	var refs []Ref
	for i := range 5 {
		ref, err := d.PutLater(ctx, strings.NewReader(fmt.Sprintf("file %d", i)), key, "UDX-2")
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	if n := packSyncs(synced()); n != 0 {
		t.Errorf("PutLater synced %d times", n)
	}
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := packSyncs(synced()); n != 1 {
		t.Errorf("Sync synced %d times, want 1", n)
	}
	for _, ref := range refs {
		if _, err := get(t, d, ref, key); err != nil {
			t.Fatal(err)
		}
	}
	// Synced already: nothing to wait for.
	if _, err := d.Put(ctx, strings.NewReader("file 0"), key, "UDX-2"); err != nil {
		t.Fatal(err)
	}
	if n := packSyncs(synced()); n != 0 {
		t.Errorf("a Put of durable content synced %d times", n)
	}
	// Stored by PutLater, not synced yet: the Put waits for a sync.
	if _, err := d.PutLater(ctx, strings.NewReader("file 5"), key, "UDX-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, strings.NewReader("file 5"), key, "UDX-2"); err != nil {
		t.Fatal(err)
	}
	if n := packSyncs(synced()); n != 1 {
		t.Errorf("a Put of content PutLater stored synced %d times, want 1", n)
	}
	// Sync with nothing new syncs nothing.
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := packSyncs(synced()); n != 0 {
		t.Errorf("an idle Sync synced %d times", n)
	}
}

// A Put that finds its content appended by another process, which may not
// have synced it, syncs that pack before it returns.
func TestPutSyncsContentAnotherProcessStored(t *testing.T) {
	d1 := newDir(t)
	d2 := reopen(t, d1)
	key := newKey(t)
	ctx := context.Background()
	synced := recordSyncs(t)
	if _, err := d1.PutLater(ctx, strings.NewReader("x"), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	synced()
	if _, err := d2.Put(ctx, strings.NewReader("x"), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	if n := packSyncs(synced()); n != 1 {
		t.Errorf("synced %d packs, want 1", n)
	}
	// d2 appended nothing.
	if n := len(records(t, filepath.Join(d1.Root(), ownerDir("UDX-1"), "pack-000001"))); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
}
