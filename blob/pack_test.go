package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/undox/undox/secret"
)

// putN puts n distinct blobs of about size bytes for owner and returns
// their refs and contents.
func putN(t *testing.T, s Store, key []byte, owner string, n, size int) ([]Ref, [][]byte) {
	t.Helper()
	var refs []Ref
	var contents [][]byte
	for i := range n {
		c := make([]byte, size)
		rand.Read(c)
		copy(c, fmt.Sprintf("blob %d of %s", i, owner))
		ref, err := s.Put(context.Background(), bytes.NewReader(c), key, owner)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
		contents = append(contents, c)
	}
	return refs, contents
}

// readAllOf checks that every blob reads back as its content.
func readAllOf(t *testing.T, s Store, key []byte, refs []Ref, contents [][]byte) {
	t.Helper()
	for i, ref := range refs {
		got, err := get(t, s, ref, key)
		if err != nil || !bytes.Equal(got, contents[i]) {
			t.Errorf("%s: blob %d: %v (%d bytes)", s, i, err, len(got))
		}
		if ok, err := s.Exists(context.Background(), ref); !ok || err != nil {
			t.Errorf("%s: blob %d: Exists %v, %v", s, i, ok, err)
		}
	}
}

func packPathOf(d *Dir, owner string, n int) string {
	return packPath(filepath.Join(d.Root(), ownerDir(owner)), n)
}

func appendTo(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// Many blobs of one owner go to one pack, and a new Dir on the folder (a
// new process) reads them all.
func TestManyBlobsInOnePack(t *testing.T) {
	d := newDir(t)
	key := newKey(t)
	refs, contents := putN(t, d, key, "UDX-1", 300, 2000)
	pack := packPathOf(d, "UDX-1", 1)
	if f := files(t, d.Root()); len(f) != 1 {
		t.Fatalf("files %q, want one pack", f)
	}
	if n := len(records(t, pack)); n != len(refs) {
		t.Errorf("%d records, want %d", n, len(refs))
	}
	readAllOf(t, d, key, refs, contents)
	readAllOf(t, reopen(t, d), key, refs, contents)
}

// A pack past PackSize is followed by the next; a record larger than
// PackSize has a pack of its own. A new Dir reads them all, and appends to
// the last pack.
func TestPackRotation(t *testing.T) {
	d := newDir(t)
	d.PackSize = 10_000
	key := newKey(t)
	refs, contents := putN(t, d, key, "UDX-1", 20, 2000)
	big, bigContent := putN(t, d, key, "UDX-1", 1, 30_000)
	refs, contents = append(refs, big...), append(contents, bigContent...)
	f := files(t, d.Root())
	if len(f) < 5 {
		t.Errorf("%d packs for 70 KB in packs of 10 KB", len(f))
	}
	total := 0
	for _, name := range f {
		path := filepath.Join(d.Root(), name)
		recs := records(t, path)
		total += len(recs)
		if size(t, path) > d.PackSize && len(recs) != 1 {
			t.Errorf("%s: %d bytes in %d records", name, size(t, path), len(recs))
		}
	}
	if total != len(refs) {
		t.Errorf("%d records, want %d", total, len(refs))
	}
	d2 := reopen(t, d)
	readAllOf(t, d2, key, refs, contents)
	d2.PackSize = d.PackSize
	more, moreContents := putN(t, d2, key, "UDX-1", 1, 10)
	if p, _ := packOf(t, d, more[0]); p != packPathOf(d, "UDX-1", len(f)+1) {
		t.Errorf("a new Dir appended to %s", p)
	}
	readAllOf(t, d, key, more, moreContents)
}

// Zeros at the end of a pack (what a crash can leave on some file
// systems) are cut off by the next append; part of a record (what a crash
// during an append leaves, or what is left of a record cut short) and
// bytes that are no record are left alone and appends go to a new pack.
// Nothing that was there before is lost.
func TestTornTail(t *testing.T) {
	key := newKey(t)
	// A record of 100 KB of which 20 KB were written: longer than what is
	// appended after it.
	partial := func(rec []byte) []byte {
		h, _ := parseHeader(rec)
		h.sealed = 100_000
		b := make([]byte, 20_000)
		rand.Read(b)
		return append(h.encodeTo(nil), b...)
	}
	for name, tail := range map[string]func(rec []byte) []byte{
		"partial header": func(rec []byte) []byte { return rec[:recHeaderLen-10] },
		"partial record": partial,
		"zeros":          func([]byte) []byte { return make([]byte, 20_000) },
		"garbage":        func([]byte) []byte { b := make([]byte, 5000); rand.Read(b); return b },
	} {
		t.Run(name, func(t *testing.T) {
			d := newDir(t)
			refs, contents := putN(t, d, key, "UDX-1", 3, 3000)
			pack := packPathOf(d, "UDX-1", 1)
			whole, _ := os.ReadFile(pack)
			_, last := packOf(t, d, refs[2])
			torn := tail(whole[last.off:])
			appendTo(t, pack, torn)

			// Readers skip it, this Dir and a new one.
			readAllOf(t, d, key, refs, contents)
			readAllOf(t, reopen(t, d), key, refs, contents)

			// The next append (here by a new Dir) cuts off zeros, and
			// leaves the rest.
			d2 := reopen(t, d)
			more, moreContents := putN(t, d2, key, "UDX-1", 2, 3000)
			refs, contents = append(refs, more...), append(contents, moreContents...)
			readAllOf(t, d, key, refs, contents)
			readAllOf(t, d2, key, refs, contents)
			readAllOf(t, reopen(t, d), key, refs, contents)

			got, _ := os.ReadFile(pack)
			if name != "zeros" {
				if !bytes.Equal(got, append(whole[:len(whole):len(whole)], torn...)) {
					t.Errorf("the pack with %s at its end was changed", name)
				}
				if n := len(records(t, packPathOf(d, "UDX-1", 2))); n != 2 {
					t.Errorf("%d records in the next pack, want 2", n)
				}
				return
			}
			if !bytes.HasPrefix(got, whole) || len(records(t, pack)) != 5 {
				t.Errorf("pack of %d bytes (%d before) with %d records, want 5", len(got), len(whole), len(records(t, pack)))
			}
			f, _ := os.Open(pack)
			defer f.Close()
			if s, err := scanPack(f, 0, int64(len(got))); err != nil || s.tail != tailNone || s.end != int64(len(got)) || s.damaged != 0 {
				t.Errorf("the tail is left: %+v, %v", s, err)
			}
		})
	}
}

// A record being appended by another process (its header written, not all
// of it yet, under the pack's lock) is not there yet: a Get that finds it
// waits for the append to end and reads it.
func TestRecordInProgress(t *testing.T) {
	d := newDir(t)
	key := newKey(t)
	refs, contents := putN(t, d, key, "UDX-1", 1, 1000)
	readAllOf(t, d, key, refs, contents)

	// Another Dir puts a blob; it is appended again to d's pack, in two
	// halves, under the pack's lock as an appender holds it.
	other := newDir(t)
	ref, err := other.Put(context.Background(), bytes.NewReader(page), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(packPathOf(other, "UDX-1", 1))
	pack := packPathOf(d, "UDX-1", 1)
	f, err := os.OpenFile(pack, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b[:len(b)/2]); err != nil {
		t.Fatal(err)
	}
	type result struct {
		got []byte
		err error
	}
	done := make(chan result)
	go func() {
		got, err := get(t, d, ref, key)
		done <- result{got, err}
	}()
	// Once the Get's lookup has seen the half record, the append ends.
	for len(d.index("UDX-1").tornWith(refSum(ref))) == 0 {
		runtime.Gosched()
	}
	if _, err := f.Write(b[len(b)/2:]); err != nil {
		t.Fatal(err)
	}
	if err := unlockFile(f); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil || !bytes.Equal(r.got, page) {
		t.Errorf("a record appended while a Get looked: %v", r.err)
	}
	readAllOf(t, d, key, append(refs, ref), append(contents, page))
}

// A record cut short (the end of its pack lost, or cut off on purpose) is
// evidence of tampering: a Get of its content says so, whichever Dir
// reads, and it exists, damaged. Appends leave it as it is and go to the
// next pack; a Put of the same content stores it again there.
func TestRecordCutShort(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key := newKey(t)
	refs, contents := putN(t, d, key, "UDX-1", 3, 3000)
	pack := packPathOf(d, "UDX-1", 1)
	_, last := packOf(t, d, refs[2])
	cutAt := last.off + int64(recHeaderLen) + 100
	if err := os.Truncate(pack, cutAt); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Dir{d, reopen(t, d)} {
		if _, err := get(t, r, refs[2], key); !errors.Is(err, ErrTampered) {
			t.Errorf("a record cut short: %v, want ErrTampered", err)
		}
		if ok, err := r.Exists(ctx, refs[2]); !ok || err != nil {
			t.Errorf("a record cut short exists: %v, %v", ok, err)
		}
		readAllOf(t, r, key, refs[:2], contents[:2])
	}

	d2 := reopen(t, d)
	more, moreContents := putN(t, d2, key, "UDX-1", 1, 3000)
	if size(t, pack) != cutAt {
		t.Errorf("the pack with a record cut short is %d bytes, was %d", size(t, pack), cutAt)
	}
	if p, _ := packOf(t, d, more[0]); p != packPathOf(d, "UDX-1", 2) {
		t.Errorf("appended to %s, want the next pack", p)
	}
	if _, err := get(t, reopen(t, d), refs[2], key); !errors.Is(err, ErrTampered) {
		t.Errorf("after an append, a record cut short: %v, want ErrTampered", err)
	}
	again, err := d2.Put(ctx, bytes.NewReader(contents[2]), key, "UDX-1")
	if err != nil || again != refs[2] {
		t.Fatalf("put again: %v, %v", again, err)
	}
	for _, r := range []*Dir{d, d2, reopen(t, d)} {
		readAllOf(t, r, key, append(refs, more...), append(contents, moreContents...))
	}
}

// Two Dirs on one folder (two processes) put blobs of one owner at once:
// every blob is read by both.
func TestTwoDirsConcurrently(t *testing.T) {
	d1 := newDir(t)
	d2 := reopen(t, d1)
	d1.PackSize, d2.PackSize = 50_000, 50_000 // a few packs, made by either
	key := newKey(t)
	ctx := context.Background()
	var (
		mu       sync.Mutex
		refs     []Ref
		contents [][]byte
		wg       sync.WaitGroup
	)
	for w := range 8 {
		d := []*Dir{d1, d2}[w%2]
		wg.Go(func() {
			for i := range 25 {
				c := []byte(strings.Repeat(fmt.Sprintf("worker %d blob %d. ", w, i), 50))
				if i%5 == 0 {
					c = fmt.Appendf(nil, "shared %d", i) // put by every worker
				}
				var ref Ref
				var err error
				if i%2 == 0 {
					ref, err = d.Put(ctx, bytes.NewReader(c), key, "UDX-1")
				} else {
					ref, err = d.PutLater(ctx, bytes.NewReader(c), key, "UDX-1")
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				refs, contents = append(refs, ref), append(contents, c)
				mu.Unlock()
			}
			if err := d.Sync(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	readAllOf(t, d1, key, refs, contents)
	readAllOf(t, d2, key, refs, contents)
	readAllOf(t, reopen(t, d1), key, refs, contents)
	// No pack holds anything but whole records.
	for _, name := range files(t, d1.Root()) {
		f, _ := os.Open(filepath.Join(d1.Root(), name))
		fi, _ := f.Stat()
		s, err := scanPack(f, 0, fi.Size())
		f.Close()
		if err != nil || s.end != fi.Size() || s.tail != tailNone || s.damaged != 0 {
			t.Errorf("%s: %+v %v", name, s, err)
		}
	}
}

// Deleting a record in the middle of a pack: gone for the Dir that deleted
// it and for another that had read it (and keeps the pack open to append),
// the others still there; appends after it go to the same pack, after the
// tombstone.
func TestDeleteInTheMiddleOfAPack(t *testing.T) {
	ctx := context.Background()
	d1 := newDir(t)
	d2 := reopen(t, d1)
	key := newKey(t)
	refs, contents := putN(t, d1, key, "UDX-1", 5, 3000)
	// d2 appends too, so that it has the pack open, and reads them all.
	more, moreContents := putN(t, d2, key, "UDX-1", 1, 3000)
	refs, contents = append(refs, more...), append(contents, moreContents...)
	readAllOf(t, d2, key, refs, contents)

	gone, goneContent := refs[2], contents[2]
	if err := d1.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	refs, contents = append(refs[:2:2], refs[3:]...), append(contents[:2:2], contents[3:]...)
	for _, d := range []*Dir{d1, d2, reopen(t, d1)} {
		if _, err := get(t, d, gone, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: Get after Delete: %v, want ErrNotFound", d, err)
		}
		if ok, err := d.Exists(ctx, gone); ok || err != nil {
			t.Errorf("%s: Exists after Delete: %v, %v", d, ok, err)
		}
		readAllOf(t, d, key, refs, contents)
	}
	pack := packPathOf(d1, "UDX-1", 1)
	if n := len(records(t, pack)); n != 5 {
		t.Errorf("%d records after Delete, want 5", n)
	}
	b, _ := os.ReadFile(pack)
	goneSum, sum := refSum(gone), sha256.Sum256(contents[0])
	if bytes.Contains(b, goneSum[:]) || !bytes.Contains(b, sum[:]) {
		t.Error("the deleted record is still in the pack, or the others are not")
	}
	if f := files(t, d1.Root()); len(f) != 1 {
		t.Errorf("files %q, want the pack alone", f)
	}

	// Both append to the pack, after the tombstone.
	for _, d := range []*Dir{d2, d1} {
		more, moreContents := putN(t, d, key, "UDX-1", 1, 100)
		refs, contents = append(refs, more...), append(contents, moreContents...)
	}
	if n := len(records(t, pack)); n != 7 {
		t.Errorf("%d records after two more Puts, want 7", n)
	}
	for _, d := range []*Dir{d1, d2, reopen(t, d1)} {
		readAllOf(t, d, key, refs, contents)
	}
	// Putting it again (in the Dir that did not delete it) stores it
	// again.
	if _, err := d2.Put(ctx, bytes.NewReader(goneContent), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	readAllOf(t, d1, key, []Ref{gone}, [][]byte{goneContent})
}

// DeleteOwner, seen by another Dir that has the owner's index and pack.
func TestDeleteOwnerSeenByAnotherDir(t *testing.T) {
	ctx := context.Background()
	d1 := newDir(t)
	d2 := reopen(t, d1)
	key := newKey(t)
	refs, contents := putN(t, d2, key, "UDX-1", 3, 100)
	others, otherContents := putN(t, d2, key, "UDX-2", 2, 100)
	readAllOf(t, d1, key, refs, contents)
	if err := d1.DeleteOwner(ctx, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*Dir{d1, d2} {
		for _, ref := range refs {
			if _, err := get(t, d, ref, key); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: Get after DeleteOwner: %v", d, err)
			}
		}
		readAllOf(t, d, key, others, otherContents)
	}
	// d2 puts for the owner again: a new folder and pack, which d1 reads.
	again, againContents := putN(t, d2, key, "UDX-1", 1, 100)
	readAllOf(t, d1, key, again, againContents)
	if _, err := get(t, d1, refs[0], key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a deleted blob: %v", err)
	}
}

// putOld stores a blob as Dir did before packs: a file of its own.
func putOld(t *testing.T, d *Dir, key []byte, owner string, content []byte) Ref {
	t.Helper()
	sum := sha256.Sum256(content)
	ref := Ref{Owner: owner, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))}
	sealed, err := secret.Seal(key, content, sealContext(ref))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(d.Root(), ownerDir(owner), ref.SHA256[:2], ref.SHA256)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	b := append(append([]byte(oldMagic), keyCheck(key)...), sealed...)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return ref
}

// Blobs stored one file each, before packs, are still read, found by Put,
// checked, and deleted.
func TestOldLayout(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key := newKey(t)
	ref := putOld(t, d, key, "UDX-1", page)
	other := putOld(t, d, key, "UDX-1", []byte("other"))
	oldPath := filepath.Join(d.Root(), ownerDir("UDX-1"), ref.SHA256[:2], ref.SHA256)

	readAllOf(t, d, key, []Ref{ref, other}, [][]byte{page, []byte("other")})
	if _, err := get(t, d, ref, newKey(t)); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key: %v", err)
	}
	// Stored already: Put appends nothing.
	if r, err := d.Put(ctx, bytes.NewReader(page), key, "UDX-1"); err != nil || r != ref {
		t.Fatalf("Put: %+v, %v", r, err)
	}
	if _, err := os.Stat(packPathOf(d, "UDX-1", 1)); !os.IsNotExist(err) {
		t.Errorf("a pack was made for content stored already: %v", err)
	}
	// New blobs go to a pack beside the old files.
	refs, contents := putN(t, d, key, "UDX-1", 2, 100)
	readAllOf(t, reopen(t, d), key, append(refs, ref, other), append(contents, page, []byte("other")))

	// A damaged old file: ErrTampered; Put repairs it into a pack.
	b, _ := os.ReadFile(oldPath)
	b[len(b)/2] ^= 1
	os.WriteFile(oldPath, b, 0o600)
	if _, err := get(t, d, ref, key); !errors.Is(err, ErrTampered) {
		t.Errorf("damaged old file: %v, want ErrTampered", err)
	}
	if _, err := d.Put(ctx, bytes.NewReader(page), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	readAllOf(t, reopen(t, d), key, []Ref{ref}, [][]byte{page})

	// Delete removes the record and the old file.
	if err := d.Delete(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(oldPath); !os.IsNotExist(err) {
		t.Errorf("old file after Delete: %v", err)
	}
	if ok, _ := d.Exists(ctx, ref); ok {
		t.Error("exists after Delete")
	}
	readAllOf(t, d, key, append(refs, other), append(contents, []byte("other")))
	// DeleteOwner removes everything.
	if err := d.DeleteOwner(ctx, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	if f := files(t, d.Root()); len(f) != 0 {
		t.Errorf("files after DeleteOwner: %q", f)
	}
}

// The Dir keeps at most so many packs open and owners' indexes in memory,
// and reads everything all the same.
func TestBoundedCaches(t *testing.T) {
	d := newDir(t)
	d.packs.max, d.owners.max = 2, 3
	key := newKey(t)
	var refs []Ref
	var contents [][]byte
	for round := range 3 {
		for o := range 6 {
			r, c := putN(t, d, key, fmt.Sprintf("UDX-%d", o), 1, 100+round)
			refs, contents = append(refs, r...), append(contents, c...)
		}
	}
	readAllOf(t, d, key, refs, contents)
	d.packs.mu.Lock()
	open := len(d.packs.m)
	d.packs.mu.Unlock()
	d.owners.mu.Lock()
	indexes := len(d.owners.m)
	d.owners.mu.Unlock()
	if open > 2 || indexes > 3 {
		t.Errorf("%d packs open, %d indexes in memory", open, indexes)
	}
	for o := range 6 {
		if n := len(records(t, packPathOf(d, fmt.Sprintf("UDX-%d", o), 1))); n != 3 {
			t.Errorf("owner %d: %d records, want 3", o, n)
		}
	}
}
