package blob

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/undox/undox/secret"
)

// DefaultMaxSize bounds a blob in Dir. The fetcher bounds bodies to 20 MiB
// by default; screenshots of long pages can be larger.
const DefaultMaxSize = 64 << 20

// Dir is a Store in a folder (the data folder's blobs/):
//
//	<root>/<owner hash>/<sha256[0:2]>/<sha256>
//
// A blob is encrypted as a whole, in memory (secret.Seal, XChaCha20-Poly1305
// under the owner's key, bound to the owner and the SHA-256): Put and Get
// hold about twice a blob's size in memory, which is fine for evidence of
// tens of MiB, and is why MaxSize bounds it. Files are written under a
// temporary name, synced and renamed into place, and the folder synced, so
// that a crash leaves either no blob or a whole one, and a blob Put returned
// stays. A folder made for a blob has its entry synced in its parent before
// the blob is written, once per folder and process. Folders are mode 0700,
// files 0600.
//
// On Linux, Puts share one sync of the whole file system (syncfs(2)) among
// all that are waiting (see groupSync): 16 captures at once cost one sync,
// not 32. Elsewhere, or after SyncEach, a Put costs two syncs (the file and
// its folder): each blob is a new entry in its folder, and the rename that
// makes it is durable only once the folder is synced.
//
// The file names hold the SHA-256 of the plain content: someone who can
// list the folder and has a file in hand can tell whether undox holds it,
// but nobody reads a blob without its owner's key.
type Dir struct {
	root string
	// MaxSize bounds the content of one blob; Put fails with ErrTooLarge
	// beyond it. Zero means DefaultMaxSize.
	MaxSize int64

	// Puts hold mu for reading while they make folders and write in them,
	// Delete and DeleteOwner for writing while they remove folders: a Put
	// never writes into a folder that another Put made but has not synced
	// yet, after a Delete removed the one it knew.
	mu      sync.RWMutex
	folders durableFolders
	// group, when set, makes Puts durable in groups (see groupSync);
	// nil: each Put syncs its file and its folder.
	group *groupSync
}

var _ Store = (*Dir)(nil)

// NewDir returns a Dir in root, creating the folder (mode 0700).
func NewDir(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("blob: no folder")
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	// The folder's own entry, in case it was just made.
	if err := syncDir(filepath.Dir(filepath.Clean(root))); err != nil {
		return nil, err
	}
	d := &Dir{root: root}
	if haveSyncFS {
		d.group = newGroupSync(root, syncFS)
	}
	return d, nil
}

// SyncEach makes each Put sync its own file and folder (two fsyncs) instead
// of sharing one sync of the file system with the Puts beside it.
func (d *Dir) SyncEach() { d.group = nil }

// Root returns the folder.
func (d *Dir) Root() string { return d.root }

func (d *Dir) maxSize() int64 {
	if d.MaxSize <= 0 {
		return DefaultMaxSize
	}
	return d.MaxSize
}

// path returns the file of a valid ref.
func (d *Dir) path(ref Ref) string {
	return filepath.Join(d.root, ownerDir(ref.Owner), ref.SHA256[:2], ref.SHA256)
}

// The file: magic, version, key check, then what secret.Seal returns
// (nonce, ciphertext, tag).
const (
	fileMagic   = "UDXB\x01"
	keyCheckLen = 8
	headerLen   = len(fileMagic) + keyCheckLen
	sealOver    = 24 + 16 // XChaCha20-Poly1305 nonce and tag
)

// header is the start of a file: the magic and the key check.
func header(key []byte) []byte {
	return append([]byte(fileMagic), keyCheck(key)...)
}

// keyCheck is a short keyed hash that tells a wrong key from a damaged
// blob. It says nothing about the key.
func keyCheck(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("undox blob key check v1"))
	return m.Sum(nil)[:keyCheckLen]
}

// Put stores the content of r for owner, encrypted under key.
func (d *Dir) Put(ctx context.Context, r io.Reader, key []byte, owner string) (Ref, error) {
	return d.put(ctx, r, key, owner, true)
}

// PutLater implements Store: with group syncs, the blob is durable once
// Sync returns; without them (SyncEach), at once.
func (d *Dir) PutLater(ctx context.Context, r io.Reader, key []byte, owner string) (Ref, error) {
	return d.put(ctx, r, key, owner, false)
}

// Sync implements Store.
func (d *Dir) Sync(ctx context.Context) error {
	if d.group == nil {
		return nil // every Put synced itself
	}
	if err := d.group.sync(); err != nil {
		return &Error{Op: "sync", Err: err}
	}
	return nil
}

func (d *Dir) put(ctx context.Context, r io.Reader, key []byte, owner string, wait bool) (Ref, error) {
	ref := Ref{Owner: owner}
	fail := func(err error) (Ref, error) { return Ref{}, &Error{Op: "put", Ref: ref, Err: err} }
	if owner == "" {
		return fail(ErrInvalidRef)
	}
	if len(key) != secret.KeySize {
		return fail(fmt.Errorf("key must be %d bytes, got %d", secret.KeySize, len(key)))
	}
	plain, err := readAll(ctxReader{ctx, r}, r, d.maxSize()+1)
	if err != nil {
		return fail(err)
	}
	if int64(len(plain)) > d.maxSize() {
		return fail(fmt.Errorf("%w: more than %d bytes", ErrTooLarge, d.maxSize()))
	}
	sum := sha256.Sum256(plain)
	ref.SHA256, ref.Size = hex.EncodeToString(sum[:]), int64(len(plain))
	path := d.path(ref)

	// The same content for the same owner is stored once. A stored copy
	// that is damaged is replaced; one under another key is kept (it may
	// be the caller's key that is wrong) and the Put fails.
	if _, err := d.read(ref, key); err == nil {
		// It may be another Put's that is not durable yet.
		if wait && d.group != nil {
			if err := d.group.sync(); err != nil {
				return fail(err)
			}
		}
		return ref, nil
	} else if errors.Is(err, ErrWrongKey) {
		return fail(err)
	} else if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrTampered) {
		return fail(err)
	}

	sealed, err := secret.Seal(key, plain, sealContext(ref))
	if err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	d.mu.RLock()
	err = d.writeAtomic(path, header(key), sealed, wait)
	d.mu.RUnlock()
	if err != nil {
		return fail(err)
	}
	return ref, nil
}

// readAll reads r (wrapped as cr) up to limit bytes, in one buffer of the
// right size when orig tells its length (a bytes.Reader, strings.Reader or
// bytes.Buffer does).
func readAll(cr io.Reader, orig io.Reader, limit int64) ([]byte, error) {
	lr := io.LimitReader(cr, limit)
	l, ok := orig.(interface{ Len() int })
	if !ok {
		return io.ReadAll(lr)
	}
	// One byte more than the content, so that the read that finds its end
	// does not grow the buffer.
	b := make([]byte, 0, min(int64(l.Len()), limit)+1)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // more than it said: grow
		}
	}
}

// writeAtomic writes the file at path (mode 0600) under a temporary name in
// the same folder, syncs it, renames it into place and syncs the folder, so
// that a crash leaves either no file or the whole file under path. The
// folders on the way are made (mode 0700) and their own entries synced
// (see durableFolders). The caller holds d.mu for reading.
func (d *Dir) writeAtomic(path string, header, sealed []byte, wait bool) error {
	dir := filepath.Dir(path)
	var f *os.File
	var err error
	// A Delete by another process (those of this Dir wait for the Put)
	// may remove a folder once empty, possibly between making it and
	// CreateTemp: make it again. (Once the temporary file is there, its
	// folder is not empty and stays.)
	for range 10 {
		if err = d.folders.make(filepath.Clean(d.root), dir); err == nil {
			f, err = os.CreateTemp(dir, ".tmp-*")
		}
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
		d.folders.forget(dir)
	}
	if err != nil {
		return err
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	for _, b := range [][]byte{header, sealed} {
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
	}
	if d.group == nil {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	renamed = true
	if d.group != nil {
		if !wait {
			return nil // Sync makes it durable
		}
		return d.group.sync()
	}
	return syncDir(dir)
}

// durableFolders remembers the folders of a Dir whose entries in their
// parent folders this process has synced: a folder is made, or found,
// then its parent is synced before any blob is written in it, once per
// folder and process (a folder found already there may have been made by a
// process that crashed before it synced it).
type durableFolders struct {
	mu   sync.Mutex
	done map[string]bool
}

// make makes the folder dir (and its parents up to root, which exists) and
// syncs their entries, unless that was done already. Both are clean paths,
// dir inside root.
func (df *durableFolders) make(root, dir string) error {
	df.mu.Lock()
	ok := df.done[dir]
	df.mu.Unlock()
	if ok {
		return nil
	}
	if dir != root {
		parent := filepath.Dir(dir)
		if parent == dir {
			return fmt.Errorf("%s is not inside %s", dir, root)
		}
		if err := df.make(root, parent); err != nil {
			return err
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := syncDir(parent); err != nil {
			return err
		}
	}
	df.mu.Lock()
	if df.done == nil {
		df.done = make(map[string]bool)
	}
	df.done[dir] = true
	df.mu.Unlock()
	return nil
}

// forget forgets dir and the folders under it, after they were removed.
func (df *durableFolders) forget(dir string) {
	df.mu.Lock()
	defer df.mu.Unlock()
	for k := range df.done {
		if k == dir || strings.HasPrefix(k, dir+string(filepath.Separator)) {
			delete(df.done, k)
		}
	}
}

// syncedDir, if set, is told of every folder synced (for tests).
var syncedDir func(dir string)

func syncDir(dir string) error {
	if syncedDir != nil {
		syncedDir(dir)
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Get returns the content of a blob after checking it.
func (d *Dir) Get(ctx context.Context, ref Ref, key []byte) (io.ReadCloser, error) {
	if err := ref.Validate(); err != nil {
		return nil, &Error{Op: "get", Ref: ref, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: "get", Ref: ref, Err: err}
	}
	plain, err := d.read(ref, key)
	if err != nil {
		return nil, &Error{Op: "get", Ref: ref, Err: err}
	}
	return io.NopCloser(bytes.NewReader(plain)), nil
}

// read reads, decrypts and checks a blob.
func (d *Dir) read(ref Ref, key []byte) ([]byte, error) {
	if len(key) != secret.KeySize {
		return nil, fmt.Errorf("key must be %d bytes, got %d", secret.KeySize, len(key))
	}
	f, err := os.Open(d.path(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read no more than the largest blob this ref can be: a file swapped
	// for a huge one is not read whole.
	limit := int64(headerLen+sealOver) + ref.Size
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != limit || !bytes.HasPrefix(b, []byte(fileMagic)) {
		return nil, fmt.Errorf("%w: file of %d bytes for %d bytes of content", ErrTampered, len(b), ref.Size)
	}
	if !hmac.Equal(b[len(fileMagic):headerLen], keyCheck(key)) {
		return nil, ErrWrongKey
	}
	plain, err := secret.Open(key, b[headerLen:], sealContext(ref))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTampered, err)
	}
	if sum := sha256.Sum256(plain); hex.EncodeToString(sum[:]) != ref.SHA256 || int64(len(plain)) != ref.Size {
		return nil, fmt.Errorf("%w: content does not match its SHA-256", ErrTampered)
	}
	return plain, nil
}

// Exists says whether the blob's file is there.
func (d *Dir) Exists(ctx context.Context, ref Ref) (bool, error) {
	if err := ref.Validate(); err != nil {
		return false, &Error{Op: "exists", Ref: ref, Err: err}
	}
	_, err := os.Stat(d.path(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, &Error{Op: "exists", Ref: ref, Err: err}
	}
	return true, nil
}

// Delete deletes a blob, and its folders once they are empty.
func (d *Dir) Delete(ctx context.Context, ref Ref) error {
	if err := ref.Validate(); err != nil {
		return &Error{Op: "delete", Ref: ref, Err: err}
	}
	path := d.path(ref)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &Error{Op: "delete", Ref: ref, Err: err}
	}
	// Remove the folders if now empty; a folder still in use stays.
	shard := filepath.Dir(path)
	if os.Remove(shard) == nil {
		d.folders.forget(shard)
		if os.Remove(filepath.Dir(shard)) == nil {
			d.folders.forget(filepath.Dir(shard))
		}
	}
	if err := syncDir(d.root); err != nil {
		return &Error{Op: "delete", Ref: ref, Err: err}
	}
	return nil
}

// DeleteOwner deletes the owner's folder: every blob of the owner.
func (d *Dir) DeleteOwner(ctx context.Context, owner string) error {
	if owner == "" {
		return &Error{Op: "delete owner", Ref: Ref{}, Err: ErrInvalidRef}
	}
	dir := filepath.Join(d.root, ownerDir(owner))
	d.mu.Lock()
	defer d.mu.Unlock()
	d.folders.forget(dir)
	if err := os.RemoveAll(dir); err != nil {
		return &Error{Op: "delete owner", Ref: Ref{Owner: owner}, Err: err}
	}
	if err := syncDir(d.root); err != nil {
		return &Error{Op: "delete owner", Ref: Ref{Owner: owner}, Err: err}
	}
	return nil
}

// String describes the store.
func (d *Dir) String() string { return "blob.Dir(" + strconv.Quote(d.root) + ")" }
