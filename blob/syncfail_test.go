package blob

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

// failSyncs makes the next n syncs of packs fail with EIO, as a failed
// writeback does.
func failSyncs(t *testing.T, n int) {
	real := syncFile
	syncFile = func(f *os.File) error {
		if n > 0 {
			n--
			return syscall.EIO
		}
		return real(f)
	}
	t.Cleanup(func() { syncFile = real })
}

// Once a sync of a pack failed, Linux reports nothing more of the pages it
// lost: a later sync that succeeds proves nothing. Every later Sync fails,
// new blobs go to the next pack, and a Put of content whose only copy is
// in the failed pack stores it again there.
func TestFailedSyncIsSticky(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key := newKey(t)
	lost, err := d.PutLater(ctx, strings.NewReader("put before the failed sync"), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	failSyncs(t, 1)
	if err := d.Sync(ctx); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Sync: %v, want EIO", err)
	}
	synced := recordSyncs(t)
	for range 2 {
		if err := d.Sync(ctx); !errors.Is(err, syscall.EIO) {
			t.Errorf("Sync after a failed one: %v, want EIO again", err)
		}
	}
	if n := packSyncs(synced()); n != 0 {
		t.Errorf("the failed pack was synced %d times again", n)
	}

	// New blobs go to the next pack, and their Puts succeed.
	ref, err := d.Put(ctx, strings.NewReader("put after"), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := packOf(t, d, ref); p != packPathOf(d, "UDX-1", 2) {
		t.Errorf("a Put after the failed sync went to %s", p)
	}
	// The blob whose only copy may be lost is stored again.
	if _, err := d.Put(ctx, strings.NewReader("put before the failed sync"), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	if p, _ := packOf(t, d, lost); p != packPathOf(d, "UDX-1", 2) {
		t.Errorf("the blob put before the failed sync is still only in %s", p)
	}
	if err := d.Sync(ctx); !errors.Is(err, syscall.EIO) {
		t.Errorf("Sync: %v, want EIO still", err)
	}

	// Erasing the owner removes the failed pack, and the failure with it.
	if err := d.DeleteOwner(ctx, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(ctx); err != nil {
		t.Errorf("Sync after DeleteOwner: %v", err)
	}
}

// With SyncEach, the Put whose sync failed fails, and so does every Put
// that relies on that pack; the next blobs go to the next pack.
func TestFailedSyncEach(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	d.SyncEach()
	key := newKey(t)
	failSyncs(t, 1)
	if _, err := d.Put(ctx, strings.NewReader("x"), key, "UDX-1"); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Put: %v, want EIO", err)
	}
	ref, err := d.Put(ctx, strings.NewReader("y"), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := packOf(t, d, ref); p != packPathOf(d, "UDX-1", 2) {
		t.Errorf("a Put after the failed sync went to %s", p)
	}
	x, err := d.Put(ctx, strings.NewReader("x"), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := packOf(t, d, x); p != packPathOf(d, "UDX-1", 2) {
		t.Errorf("x is still only in %s", p)
	}
	if err := d.Sync(ctx); !errors.Is(err, syscall.EIO) {
		t.Errorf("Sync: %v, want EIO", err)
	}
}

// A Put that finds its content stored, while a PutLater in this process
// appended to the same pack without a sync, does not make the pack forget
// what it appended: the next Sync syncs it.
func TestFoundContentKeepsUnsyncedAppends(t *testing.T) {
	ctx := context.Background()
	a := newDir(t)
	b := reopen(t, a)
	key := newKey(t)
	refs, _ := putN(t, a, key, "UDX-1", 2, 3000)
	oi := a.index("UDX-1")
	// A Put of refs[0] looks it up and finds it...
	_, at, _, err := a.read(oi, refs[0], refSum(refs[0]), key, false)
	if err != nil || at == nil {
		t.Fatal(err)
	}
	// ...another process deletes refs[1]...
	if err := b.Delete(ctx, refs[1]); err != nil {
		t.Fatal(err)
	}
	// ...a PutLater in this process appends...
	z, err := a.PutLater(ctx, bytes.NewReader([]byte(strings.Repeat("z", 5000))), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	// ...then the Put of refs[0] goes on to make its record durable.
	if err := a.durable(oi, at, false); err != nil {
		t.Fatal(err)
	}
	synced := recordSyncs(t)
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := packSyncs(synced()); n != 1 {
		t.Errorf("Sync synced %d packs, want 1 (z's)", n)
	}
	_, rec := packOf(t, a, z)
	p := a.packs.acquire(packPathOf(a, "UDX-1", 1))
	defer a.packs.release(p)
	if !p.durableTo(rec.end()) {
		t.Error("z is not durable after Sync")
	}
}

// Reopening the file a pack has open keeps what the pack knows of it.
func TestPackReopenKeepsCounters(t *testing.T) {
	d := newDir(t)
	key := newKey(t)
	if _, err := d.PutLater(context.Background(), strings.NewReader("x"), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	p := d.packs.acquire(packPathOf(d, "UDX-1", 1))
	defer d.packs.release(p)
	p.mu.Lock()
	w := p.written
	err := p.open(false)
	p.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if p.written != w || w == 0 {
		t.Errorf("written %d after reopening the same file, was %d", p.written, w)
	}
}
