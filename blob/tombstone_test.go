package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sealedOf returns the sealed bytes of ref's record, as the pack holds them.
func sealedOf(t *testing.T, d *Dir, ref Ref) []byte {
	t.Helper()
	path, rec := packOf(t, d, ref)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(b[rec.off+int64(recHeaderLen) : rec.end()])
}

// Delete leaves the pack where it is, of the same size (every offset
// another process indexed stays right), and nothing of the blob in it: no
// plain text, no sealed bytes, no SHA-256.
func TestDeleteLeavesATombstone(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key := newKey(t)
	refs, contents := putN(t, d, key, "UDX-1", 2, 3000)
	gone, err := d.Put(ctx, bytes.NewReader(page), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	more, moreContents := putN(t, d, key, "UDX-1", 2, 3000)
	refs, contents = append(refs, more...), append(contents, moreContents...)
	pack := packPathOf(d, "UDX-1", 1)
	sealed := sealedOf(t, d, gone)
	before, err := os.Stat(pack)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(pack)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || before.Size() != after.Size() {
		t.Errorf("Delete replaced or resized the pack: %d bytes, then %d", before.Size(), after.Size())
	}
	b, err := os.ReadFile(pack)
	if err != nil {
		t.Fatal(err)
	}
	sum := refSum(gone)
	if bytes.Contains(b, sealed) || bytes.Contains(b, sum[:]) || bytes.Contains(b, []byte("Jane Doe")) {
		t.Error("the deleted blob's sealed bytes or SHA-256 are still in the pack")
	}
	if n := len(records(t, pack)); n != 4 {
		t.Errorf("%d records after Delete, want 4", n)
	}
	for _, d := range []*Dir{d, reopen(t, d)} {
		if _, err := get(t, d, gone, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after Delete: %v, want ErrNotFound", err)
		}
		readAllOf(t, d, key, refs, contents)
	}
	// A new Dir appends after the tombstone, and reads the new blob.
	d2 := reopen(t, d)
	again, err := d2.Put(ctx, bytes.NewReader(page), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	readAllOf(t, reopen(t, d), key, []Ref{again}, [][]byte{page})
	if size(t, pack) <= after.Size() {
		t.Error("the Put after Delete did not append")
	}
}

// A Dir that indexed a record before another Dir deleted it finds the
// tombstone in its place: not found, not tampered, and not there for
// Exists; the records around it stay readable.
func TestStaleIndexSeesTombstone(t *testing.T) {
	ctx := context.Background()
	b := newDir(t)
	a := reopen(t, b)
	key := newKey(t)
	refs, contents := putN(t, b, key, "UDX-1", 6, 3000)
	readAllOf(t, a, key, refs, contents) // a's index: every record
	for _, ref := range refs[:4] {
		if err := b.Delete(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	for i, ref := range refs[:4] {
		if ok, err := a.Exists(ctx, ref); ok || err != nil {
			t.Errorf("blob %d: Exists after another Dir deleted it: %v, %v", i, ok, err)
		}
		if _, err := get(t, a, ref, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("blob %d: Get after another Dir deleted it: %v, want ErrNotFound", i, err)
		}
	}
	readAllOf(t, a, key, refs[4:], contents[4:])
}

// A reader that finds a record while a Delete zeroes it (its header
// already a tombstone, part of its body zeros) takes it as deleted, not as
// damaged.
func TestRecordBeingDeleted(t *testing.T) {
	d := newDir(t)
	key := newKey(t)
	refs, contents := putN(t, d, key, "UDX-1", 3, 3000)
	readAllOf(t, d, key, refs, contents)
	pack, rec := packOf(t, d, refs[1])
	f, err := os.OpenFile(pack, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	body := rec.off + int64(recHeaderLen)
	if _, err := f.WriteAt(rec.h.tombstone(false), rec.off); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, rec.h.sealed/2), body); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, d, refs[1], key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a record being deleted: %v, want ErrNotFound", err)
	}
	readAllOf(t, d, key, []Ref{refs[0], refs[2]}, [][]byte{contents[0], contents[2]})
}

// A Delete a crash interrupted (the tombstone's header written, the body
// not yet zeroed) is finished by the next Delete of the same blob.
func TestInterruptedDeleteIsFinished(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key := newKey(t)
	refs, contents := putN(t, d, key, "UDX-1", 3, 3000)
	sealed := sealedOf(t, d, refs[1])
	pack, rec := packOf(t, d, refs[1])
	f, err := os.OpenFile(pack, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(rec.h.tombstone(false), rec.off); err != nil {
		t.Fatal(err)
	}
	f.Close()
	d = reopen(t, d) // after the crash
	if _, err := get(t, d, refs[1], key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a half-deleted record: %v, want ErrNotFound", err)
	}
	if err := d.Delete(ctx, refs[1]); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pack)
	if err != nil {
		t.Fatal(err)
	}
	sum := refSum(refs[1])
	if bytes.Contains(b, sealed) || bytes.Contains(b, sum[:]) {
		t.Error("the second Delete left the sealed bytes or the SHA-256 in the pack")
	}
	readAllOf(t, d, key, []Ref{refs[0], refs[2]}, [][]byte{contents[0], contents[2]})
}

// An index that read another file of the same inode number (ext4 reuses
// them at once: the owner's folder removed by DeleteOwner in another
// process and made again) holds an end of records that falls inside a
// record of the new file, here one byte before its end, on a byte that can
// start a header. The appender does not take that for a torn record and
// cut it off: it reads the pack from its start before it cuts anything.
func TestStaleEndDoesNotCutARecord(t *testing.T) {
	ctx := context.Background()
	b := newDir(t)
	key := newKey(t)
	pack := packPathOf(b, "UDX-1", 1)
	var last Ref
	var lastContent []byte
	for i := 0; ; i++ {
		if i == 4000 {
			t.Fatal("no pack ending in 'U'")
		}
		c := []byte(fmt.Sprintf("blob %d", i))
		ref, err := b.PutLater(ctx, bytes.NewReader(c), key, "UDX-1")
		if err != nil {
			t.Fatal(err)
		}
		last, lastContent = ref, c
		whole, err := os.ReadFile(pack)
		if err != nil {
			t.Fatal(err)
		}
		if whole[len(whole)-1] == packMagic[0] {
			break
		}
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	end := size(t, pack)

	a := reopen(t, b)
	oi := a.index("UDX-1")
	if _, err := oi.target(); err != nil { // loads the index
		t.Fatal(err)
	}
	// What a would hold had it read the other file, of this inode number,
	// when its records ended one byte before this one's.
	oi.mu.Lock()
	oi.views[1].end, oi.views[1].size = end-1, end-1
	oi.mu.Unlock()

	other := []byte("other evidence")
	ref, err := a.Put(ctx, bytes.NewReader(other), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	if size(t, pack) != end+int64(recHeaderLen+sealOver+len(other)) {
		t.Errorf("pack of %d bytes after appending to %d", size(t, pack), end)
	}
	for _, d := range []*Dir{a, b, reopen(t, b)} {
		readAllOf(t, d, key, []Ref{last, ref}, [][]byte{lastContent, other})
	}
}

// The size in a ref bounds what Get reads and holds: one larger than the
// store takes fails before anything is read.
func TestGetOfARefTooLarge(t *testing.T) {
	d := newDir(t)
	d.MaxSize = 1000
	key := newKey(t)
	refs, _ := putN(t, d, key, "UDX-1", 1, 500)
	huge := refs[0]
	huge.Size = 1 << 50
	if _, err := get(t, d, huge, key); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Get of a %d-byte ref: %v, want ErrTooLarge", huge.Size, err)
	}
	wrong := refs[0]
	wrong.Size = 900
	if _, err := get(t, d, wrong, key); !errors.Is(err, ErrTampered) && !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a ref of the wrong size: %v", err)
	}
}

// A Dir whose owner's folder another process removed (DeleteOwner) closes
// that owner's packs once a lookup finds the folder gone.
func TestFolderRemovedElsewhereIsForgotten(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	other := reopen(t, d)
	key := newKey(t)
	refs, contents := putN(t, d, key, "UDX-1", 2, 100)
	readAllOf(t, d, key, refs, contents)
	if err := other.DeleteOwner(ctx, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, d, refs[0], key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after DeleteOwner elsewhere: %v, want ErrNotFound", err)
	}
	dir := filepath.Join(d.Root(), ownerDir("UDX-1"))
	d.packs.mu.Lock()
	for path := range d.packs.m {
		if strings.HasPrefix(path, dir) {
			t.Errorf("%s still open", path)
		}
	}
	d.packs.mu.Unlock()
	// And stores again in a new folder.
	putN(t, d, key, "UDX-1", 1, 100)
}
