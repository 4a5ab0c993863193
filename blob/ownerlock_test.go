//go:build unix && !aix

package blob

import (
	"bytes"
	"context"
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
	waitForGoroutine(t, "blob.flock")
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
