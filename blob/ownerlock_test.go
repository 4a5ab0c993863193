//go:build unix && !aix

package blob

import (
	"bytes"
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
)

// A Put that waits for another process's lock of its owner's pack, and a
// DeleteOwner of that owner queued behind it, hold up only that owner:
// Puts of other owners go on.
func TestOwnersDoNotWaitForEachOther(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key := newKey(t)
	putN(t, d, key, "UDX-A", 1, 100)
	// Another process holds the lock of A's pack (an append of its own).
	f, err := os.Open(packPathOf(d, "UDX-A", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		t.Fatal(err)
	}

	putA, deleteA := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := d.Put(ctx, bytes.NewReader([]byte("waits for the other process")), key, "UDX-A")
		putA <- err
	}()
	waitForGoroutine(t, "blob.lockFileContext")
	go func() { deleteA <- d.DeleteOwner(ctx, "UDX-A") }()
	waitForGoroutine(t, "(*ownerLocks).lock")

	refs, contents := putN(t, d, key, "UDX-B", 2, 100)
	readAllOf(t, d, key, refs, contents)

	if err := unlockFile(f); err != nil {
		t.Fatal(err)
	}
	if err := <-putA; err != nil {
		t.Errorf("the Put that waited: %v", err)
	}
	if err := <-deleteA; err != nil {
		t.Errorf("DeleteOwner: %v", err)
	}
	readAllOf(t, d, key, refs, contents)
}

// A Put that waits for another process's lock of the pack gives up when
// its context ends, and appends nothing.
func TestPutWaitingForLockIsCanceled(t *testing.T) {
	d := newDir(t)
	key := newKey(t)
	refs, contents := putN(t, d, key, "UDX-A", 1, 100)
	pack := packPathOf(d, "UDX-A", 1)
	before := size(t, pack)
	f, err := os.Open(pack)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	put := make(chan error, 1)
	go func() {
		_, err := d.Put(ctx, bytes.NewReader([]byte("given up")), key, "UDX-A")
		put <- err
	}()
	waitForGoroutine(t, "blob.lockFileContext")
	cancel()
	if err := <-put; !errors.Is(err, context.Canceled) {
		t.Errorf("a Put canceled while it waited for the lock: %v", err)
	}
	if err := unlockFile(f); err != nil {
		t.Fatal(err)
	}
	if size(t, pack) != before {
		t.Errorf("the pack grew from %d to %d bytes", before, size(t, pack))
	}
	readAllOf(t, d, key, refs, contents)
}

// waitForGoroutine waits until a goroutine's stack shows fn, blocked.
func waitForGoroutine(t *testing.T, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, fn) && !strings.Contains(g, "[running]") && !strings.Contains(g, "[runnable]") {
				return
			}
		}
		runtime.Gosched()
	}
}
