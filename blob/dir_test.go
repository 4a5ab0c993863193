package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/undox/undox/secret"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, secret.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func newDir(t *testing.T) *Dir {
	t.Helper()
	d, err := NewDir(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func get(t *testing.T, s Store, ref Ref, key []byte) ([]byte, error) {
	t.Helper()
	rc, err := s.Get(context.Background(), ref, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// files returns the blob files under root (relative paths), without the
// temporary ones.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// packOf returns the pack that holds ref's newest record and the record,
// read from the pack's headers.
func packOf(t *testing.T, d *Dir, ref Ref) (string, scannedRec) {
	t.Helper()
	dir := filepath.Join(d.Root(), ownerDir(ref.Owner))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var path string
	var rec scannedRec
	for _, e := range entries {
		if _, ok := parsePackName(e.Name()); !ok {
			continue
		}
		for _, r := range records(t, filepath.Join(dir, e.Name())) {
			if hex.EncodeToString(r.h.sum[:]) == ref.SHA256 {
				path, rec = filepath.Join(dir, e.Name()), r
			}
		}
	}
	if path == "" {
		t.Fatalf("no record of %s in %s", ref.SHA256, dir)
	}
	return path, rec
}

// records returns the records in a pack file.
func records(t *testing.T, path string) []scannedRec {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	s, err := scanPack(f, 0, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	return s.recs
}

// page is content that reads like what undox keeps: a doxing page.
var page = []byte(strings.Repeat("<p>Jane Doe lives at 12 Example Street, Springfield; phone 555-0100.</p>\n", 200))

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key := newKey(t)
	ref, err := d.Put(ctx, bytes.NewReader(page), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(page)
	if ref.SHA256 != hex.EncodeToString(sum[:]) || ref.Size != int64(len(page)) || ref.Owner != "UDX-1" {
		t.Fatalf("ref %+v", ref)
	}
	got, err := get(t, d, ref, key)
	if err != nil || !bytes.Equal(got, page) {
		t.Fatalf("Get: %v, %d bytes", err, len(got))
	}
	if ok, err := d.Exists(ctx, ref); !ok || err != nil {
		t.Errorf("Exists: %v %v", ok, err)
	}

	// Empty content is a blob too.
	empty, err := d.Put(ctx, strings.NewReader(""), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := get(t, d, empty, key); err != nil || len(got) != 0 {
		t.Errorf("empty blob: %v %q", err, got)
	}

	// The layout: <owner hash>/pack-000001 holding both, folders 0700,
	// packs 0600.
	path := filepath.Join(d.Root(), ownerDir("UDX-1"), "pack-000001")
	if f := files(t, d.Root()); len(f) != 1 || filepath.Join(d.Root(), f[0]) != path {
		t.Errorf("files %q, want %s", f, path)
	}
	if n := len(records(t, path)); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", fi.Mode().Perm())
	}
	for _, dir := range []string{d.Root(), filepath.Dir(path)} {
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("folder %s: mode %v, %v", dir, fi.Mode().Perm(), err)
		}
	}

	// Delete, then it is gone; deleting again is no error.
	if err := d.Delete(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if ok, _ := d.Exists(ctx, ref); ok {
		t.Error("exists after Delete")
	}
	if _, err := get(t, d, ref, key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := d.Delete(ctx, ref); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	if got, err := get(t, d, empty, key); err != nil || len(got) != 0 {
		t.Errorf("the other blob after Delete: %v %q", err, got)
	}
	if n := len(records(t, path)); n != 1 {
		t.Errorf("%d records after Delete, want 1", n)
	}
}

func TestPlainContentNeverInTheFile(t *testing.T) {
	d := newDir(t)
	ref, err := d.Put(context.Background(), bytes.NewReader(page), newKey(t), "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files(t, d.Root()) {
		b, err := os.ReadFile(filepath.Join(d.Root(), f))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"Jane", "Doe", "555-0100", "Example Street", "<p>", "UDX-1", ref.SHA256} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q", f, s)
			}
		}
		if strings.Contains(f, "UDX-1") {
			t.Errorf("the path %s names the owner", f)
		}
	}
}

func TestDedup(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key, other := newKey(t), newKey(t)
	r1, err := d.Put(ctx, bytes.NewReader(page), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	path, _ := packOf(t, d, r1)
	fi1, _ := os.Stat(path)
	before, _ := os.ReadFile(path)
	r2, err := d.Put(ctx, bytes.NewReader(page), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	if r1 != r2 {
		t.Errorf("refs differ: %+v %+v", r1, r2)
	}
	if n := len(records(t, path)); n != 1 {
		t.Errorf("%d records after putting the same content twice, want 1", n)
	}
	after, _ := os.ReadFile(path)
	fi2, _ := os.Stat(path)
	if !bytes.Equal(before, after) || !os.SameFile(fi1, fi2) {
		t.Error("the second Put changed the pack")
	}
	// A new Dir on the folder (another process) finds it too.
	d2, err := NewDir(d.Root())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Put(ctx, bytes.NewReader(page), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	if n := len(records(t, path)); n != 1 {
		t.Errorf("%d records after another Dir put the same content, want 1", n)
	}

	// Another case with the same content: its own copy, under its own key.
	r3, err := d.Put(ctx, bytes.NewReader(page), other, "UDX-2")
	if err != nil {
		t.Fatal(err)
	}
	if r3.SHA256 != r1.SHA256 || r3.Owner != "UDX-2" {
		t.Errorf("ref %+v", r3)
	}
	if n := len(files(t, d.Root())); n != 2 {
		t.Errorf("%d packs for two cases, want 2", n)
	}
	if got, err := get(t, d, r3, other); err != nil || !bytes.Equal(got, page) {
		t.Errorf("second case's copy: %v", err)
	}
}

// reopen returns a new Dir on d's folder: another process, or this one
// after a restart.
func reopen(t *testing.T, d *Dir) *Dir {
	t.Helper()
	d2, err := NewDir(d.Root())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d2.Close() })
	return d2
}

func TestTamperDetection(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key := newKey(t)
	put := func(content string) Ref {
		t.Helper()
		ref, err := d.Put(ctx, strings.NewReader(content), key, "UDX-1")
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	before, ref, after := put("before"), put(string(page)), put("after")
	path, rec := packOf(t, d, ref)
	orig, _ := os.ReadFile(path)
	write := func(b []byte) {
		t.Helper()
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	recLen := int(rec.end() - rec.off)

	// A byte flipped anywhere in the record, header (magic, SHA-256,
	// sizes, key check, CRC) or sealed content: ErrTampered, for this Dir
	// (which knows where the record is) and for a new one (which finds
	// the header damaged); the records around it are still read.
	for _, at := range []int{0, 4, 5, 36, 44, 52, 53, 61, 64, recHeaderLen, recHeaderLen + 30, recLen / 2, recLen - 1} {
		b := bytes.Clone(orig)
		b[int(rec.off)+at] ^= 0x01
		write(b)
		for _, dd := range []*Dir{d, reopen(t, d)} {
			if _, err := get(t, dd, ref, key); !errors.Is(err, ErrTampered) {
				t.Errorf("byte %d of the record flipped: %v, want ErrTampered", at, err)
			}
			for _, r := range []Ref{before, after} {
				if _, err := get(t, dd, r, key); err != nil {
					t.Errorf("byte %d of the record beside flipped: %v", at, err)
				}
			}
		}
	}

	// A record cut short: ErrTampered for the Dir that knew it whole.
	write(orig[:len(orig)-1])
	if _, err := get(t, d, after, key); !errors.Is(err, ErrTampered) {
		t.Errorf("record cut short: %v, want ErrTampered", err)
	}

	// A record given another content's name (its header's SHA-256 changed
	// and its CRC made right) does not decrypt.
	write(orig)
	_, brec := packOf(t, d, before)
	b := bytes.Clone(orig)
	h := brec.h
	h.sum = refSum(ref)
	copy(b[brec.off:], h.encodeTo(nil))
	write(b)
	moved := Ref{Owner: "UDX-1", SHA256: ref.SHA256, Size: before.Size}
	if _, err := get(t, reopen(t, d), moved, key); !errors.Is(err, ErrTampered) {
		t.Errorf("moved record: %v, want ErrTampered", err)
	}

	// A wrong ref (size or hash) is refused too, and the error says which
	// blob.
	write(orig)
	wrong := Ref{Owner: ref.Owner, SHA256: ref.SHA256, Size: ref.Size - 1}
	_, err := get(t, d, wrong, key)
	if !errors.Is(err, ErrTampered) {
		t.Errorf("wrong size: %v, want ErrTampered", err)
	}
	var be *Error
	if !errors.As(err, &be) || be.Ref != wrong || be.Op != "get" || !strings.Contains(err.Error(), ref.SHA256) {
		t.Errorf("error %v does not name the blob", err)
	}

	// Putting the content again repairs a damaged blob: a new record,
	// which this Dir and a new one read.
	b = bytes.Clone(orig)
	b[int(rec.off)+recLen/2] ^= 0xff
	write(b)
	if _, err := d.Put(ctx, bytes.NewReader(page), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	for _, dd := range []*Dir{d, reopen(t, d)} {
		if got, err := get(t, dd, ref, key); err != nil || !bytes.Equal(got, page) {
			t.Errorf("after repair: %v", err)
		}
	}
	if n := len(records(t, path)); n != 4 {
		t.Errorf("%d records after the repair, want 4", n)
	}
	// And once is enough.
	if _, err := d.Put(ctx, bytes.NewReader(page), key, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	if n := len(records(t, path)); n != 4 {
		t.Errorf("%d records after putting the repaired content again, want 4", n)
	}
}

func TestWrongKey(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key := newKey(t)
	ref, err := d.Put(ctx, bytes.NewReader(page), key, "UDX-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, d, ref, newKey(t)); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Get with another key: %v, want ErrWrongKey", err)
	}
	// A Put of the same content under another key keeps the stored blob.
	if _, err := d.Put(ctx, bytes.NewReader(page), newKey(t), "UDX-1"); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Put with another key: %v, want ErrWrongKey", err)
	}
	if got, err := get(t, d, ref, key); err != nil || !bytes.Equal(got, page) {
		t.Errorf("after a Put with another key: %v", err)
	}
	if _, err := get(t, d, ref, key[:16]); err == nil {
		t.Error("a short key is accepted")
	}
	if _, err := d.Put(ctx, bytes.NewReader(page), nil, "UDX-1"); err == nil {
		t.Error("Put without a key")
	}
}

func TestDeleteOwnerRemovesOnlyThatOwnersBlobs(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	k1, k2 := newKey(t), newKey(t)
	var refs1, refs2 []Ref
	for i, content := range []string{"a", "b", "c", string(page)} {
		r, err := d.Put(ctx, strings.NewReader(content), k1, "UDX-1")
		if err != nil {
			t.Fatal(err)
		}
		refs1 = append(refs1, r)
		if i%2 == 1 {
			r, err := d.Put(ctx, strings.NewReader(content), k2, "UDX-2")
			if err != nil {
				t.Fatal(err)
			}
			refs2 = append(refs2, r)
		}
	}
	r, err := d.Put(ctx, strings.NewReader("only in 2"), k2, "UDX-2")
	if err != nil {
		t.Fatal(err)
	}
	refs2 = append(refs2, r)

	if err := d.DeleteOwner(ctx, "UDX-1"); err != nil {
		t.Fatal(err)
	}
	for _, r := range refs1 {
		if ok, _ := d.Exists(ctx, r); ok {
			t.Errorf("%s of UDX-1 survives", r.SHA256)
		}
	}
	for _, r := range refs2 {
		if got, err := get(t, d, r, k2); err != nil || int64(len(got)) != r.Size {
			t.Errorf("%s of UDX-2: %v", r.SHA256, err)
		}
	}
	if f := files(t, d.Root()); len(f) != 1 {
		t.Errorf("files left: %q, want UDX-2's pack", f)
	} else if n := len(records(t, filepath.Join(d.Root(), f[0]))); n != len(refs2) {
		t.Errorf("%d records left, want %d", n, len(refs2))
	}
	if _, err := os.Stat(filepath.Join(d.Root(), ownerDir("UDX-1"))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("UDX-1's folder: %v", err)
	}
	// An owner that has nothing, or that is gone already: no error.
	if err := d.DeleteOwner(ctx, "UDX-1"); err != nil {
		t.Error(err)
	}
	if err := d.DeleteOwner(ctx, ""); !errors.Is(err, ErrInvalidRef) {
		t.Errorf("DeleteOwner(\"\"): %v", err)
	}
}

func TestConcurrentPutsOfTheSameContent(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key := newKey(t)
	var wg sync.WaitGroup
	refs := make([]Ref, 16)
	errs := make([]error, 16)
	for i := range refs {
		wg.Go(func() {
			refs[i], errs[i] = d.Put(ctx, bytes.NewReader(page), key, "UDX-1")
		})
	}
	wg.Wait()
	for i := range refs {
		if errs[i] != nil || refs[i] != refs[0] {
			t.Errorf("Put %d: %+v, %v", i, refs[i], errs[i])
		}
	}
	if got, err := get(t, d, refs[0], key); err != nil || !bytes.Equal(got, page) {
		t.Errorf("Get: %v", err)
	}
	if f := files(t, d.Root()); len(f) != 1 {
		t.Errorf("files %v, want one pack", f)
	} else if n := len(records(t, filepath.Join(d.Root(), f[0]))); n != 1 {
		t.Errorf("%d records of the same content, want 1", n)
	}

	// Puts and Deletes in the same folders at once do not fail spuriously.
	wg = sync.WaitGroup{}
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				content := []byte{byte(i), byte(j)}
				r, err := d.Put(ctx, bytes.NewReader(content), key, "UDX-2")
				if err != nil {
					t.Errorf("Put: %v", err)
					return
				}
				if err := d.Delete(ctx, r); err != nil {
					t.Errorf("Delete: %v", err)
				}
			}
		})
	}
	wg.Wait()
}

func TestBoundsAndBadRefs(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	d.MaxSize = 1000
	key := newKey(t)
	if _, err := d.Put(ctx, bytes.NewReader(make([]byte, 1001)), key, "UDX-1"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	if _, err := d.Put(ctx, bytes.NewReader(make([]byte, 1000)), key, "UDX-1"); err != nil {
		t.Errorf("at the bound: %v", err)
	}
	if _, err := d.Put(ctx, strings.NewReader("x"), key, ""); !errors.Is(err, ErrInvalidRef) {
		t.Errorf("no owner: %v", err)
	}
	for _, ref := range []Ref{
		{Owner: "UDX-1", SHA256: "../../etc/passwd"},
		{Owner: "UDX-1", SHA256: strings.Repeat("A", 64)},
		{Owner: "UDX-1", SHA256: strings.Repeat("a", 63)},
		{Owner: "", SHA256: strings.Repeat("a", 64)},
		{Owner: "UDX-1", SHA256: strings.Repeat("a", 64), Size: -1},
	} {
		if _, err := d.Get(ctx, ref, key); !errors.Is(err, ErrInvalidRef) {
			t.Errorf("Get %+v: %v", ref, err)
		}
		if _, err := d.Exists(ctx, ref); !errors.Is(err, ErrInvalidRef) {
			t.Errorf("Exists %+v: %v", ref, err)
		}
		if err := d.Delete(ctx, ref); !errors.Is(err, ErrInvalidRef) {
			t.Errorf("Delete %+v: %v", ref, err)
		}
	}
	// An owner with slashes and dots stays inside the folder.
	r, err := d.Put(ctx, strings.NewReader("x"), key, "../../outside")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := packOf(t, d, r); !strings.HasPrefix(p, d.Root()+string(filepath.Separator)) || strings.Contains(p, "..") {
		t.Errorf("path %s", p)
	}
	// A cancelled context stops a Put.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Put(cctx, strings.NewReader("y"), key, "UDX-1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Put: %v", err)
	}
}

// Content put with the SHA-256 its caller computed is stored under that
// SHA-256, once, and reads back; a reader that was partly read is read as
// any other; a wrong SHA-256 makes a blob that no Get returns.
func TestPutHashed(t *testing.T) {
	ctx := context.Background()
	d := newDir(t)
	key := newKey(t)
	content := []byte("<html><body>Evidence of a page, hashed by the fetcher</body></html>")
	sum := sha256.Sum256(content)

	ref, err := d.Put(ctx, Hashed(content, sum), key, "CASE-1")
	if err != nil {
		t.Fatal(err)
	}
	if ref.SHA256 != hex.EncodeToString(sum[:]) || ref.Size != int64(len(content)) {
		t.Fatalf("ref %+v", ref)
	}
	got, err := get(t, d, ref, key)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("get: %q, %v", got, err)
	}
	// The same content read from a plain reader is the same blob.
	again, err := d.Put(ctx, bytes.NewReader(content), key, "CASE-1")
	if err != nil || again != ref {
		t.Fatalf("put again: %+v, %v", again, err)
	}
	if _, rec := packOf(t, d, ref); rec.off != 0 {
		t.Fatalf("stored twice: the newest record is at %d", rec.off)
	}

	// Partly read already: what is left is the content.
	r := Hashed(content, sum)
	io.CopyN(io.Discard, r, 10)
	rest, err := d.Put(ctx, r, key, "CASE-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(content[10:]); rest.SHA256 != hex.EncodeToString(want[:]) {
		t.Fatalf("partly read: stored as %s", rest.SHA256)
	}

	// A caller's wrong SHA-256 is not a blob anyone reads.
	other := []byte("other content")
	bad, err := d.Put(ctx, Hashed(other, sum), key, "CASE-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, d, bad, key); !errors.Is(err, ErrTampered) {
		t.Fatalf("get of a blob put under a wrong SHA-256: %v", err)
	}
}

// openDeleted counts this process's open files that were removed from
// under dir.
func openDeleted(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here")
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink("/proc/self/fd/" + fd.Name())
		if err == nil && strings.HasPrefix(target, dir+string(os.PathSeparator)) && strings.HasSuffix(target, " (deleted)") {
			n++
		}
	}
	return n
}

// An owner erased by another process (another Dir on the same folder) is
// forgotten by Tidy: the packs it kept open are closed, so that the file
// system frees them, and a later Put makes the owner anew.
func TestTidyForgetsOwnersErasedElsewhere(t *testing.T) {
	ctx := context.Background()
	serve := newDir(t)
	key := newKey(t)
	ref, err := serve.Put(ctx, strings.NewReader("evidence of an erased case"), key, "CASE-ERASED")
	noErr(t, err)
	kept, err := serve.Put(ctx, strings.NewReader("evidence of a kept case"), key, "CASE-KEPT")
	noErr(t, err)
	if _, err := get(t, serve, ref, key); err != nil {
		t.Fatal(err)
	}
	cli, err := NewDir(serve.Root())
	noErr(t, err)
	noErr(t, cli.DeleteOwner(ctx, "CASE-ERASED"))

	dir := filepath.Join(serve.Root(), ownerDir("CASE-ERASED"))
	if n := openDeleted(t, dir); n == 0 {
		t.Fatal("the serving Dir holds no pack of the erased owner open: nothing to test")
	}
	if n := serve.Tidy(); n != 1 {
		t.Fatalf("Tidy forgot %d owners, want 1", n)
	}
	if n := openDeleted(t, dir); n != 0 {
		t.Fatalf("%d removed packs still open after Tidy", n)
	}
	if n := serve.Tidy(); n != 0 {
		t.Fatalf("a second Tidy forgot %d owners", n)
	}
	if _, err := get(t, serve, ref, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get of an erased blob: %v", err)
	}
	if got, err := get(t, serve, kept, key); err != nil || string(got) != "evidence of a kept case" {
		t.Fatalf("the other owner's blob: %q, %v", got, err)
	}
	again, err := serve.Put(ctx, strings.NewReader("new evidence"), key, "CASE-ERASED")
	noErr(t, err)
	if got, err := get(t, cli, again, key); err != nil || string(got) != "new evidence" {
		t.Fatalf("a Put after the erasure, read by the other Dir: %q, %v", got, err)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
