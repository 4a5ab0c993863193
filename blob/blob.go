// Package blob stores evidence (captured pages, images, screenshots) by the
// SHA-256 of its content, encrypted at rest under the key of the case it
// belongs to.
//
// A blob belongs to an owner (the case's reference): the same content in
// two cases is stored twice, once under each case's key, and erasing a case
// deletes exactly its blobs (DeleteOwner), besides destroying its key.
// Within one owner, the same content is stored once.
//
// Store is the contract; Dir keeps blobs in a folder. An S3-compatible
// store can follow behind the same interface.
package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// Ref names a stored blob.
type Ref struct {
	// Owner is who the blob belongs to: the case's reference.
	Owner string `json:"owner"`
	// SHA256 is the hex SHA-256 of the plain content: what the evidence
	// manifest and the audit log hold.
	SHA256 string `json:"sha256"`
	// Size is the size of the plain content in bytes.
	Size int64 `json:"size"`
}

// Store keeps blobs encrypted under their owner's key.
//
// key is the owner's 32-byte data key (secret.KeySize); a blob put under a
// key is read only with the same key.
type Store interface {
	// Put stores the content of r for owner and returns its Ref. Putting
	// content that the owner already has stores nothing new.
	Put(ctx context.Context, r io.Reader, key []byte, owner string) (Ref, error)
	// PutLater stores like Put but may return before the blob is durable:
	// Sync makes every blob put before it durable. A capture puts its
	// files with PutLater and syncs once, before it records them.
	PutLater(ctx context.Context, r io.Reader, key []byte, owner string) (Ref, error)
	// Sync returns once every blob put so far is durable.
	Sync(ctx context.Context) error
	// Get returns the content of a blob, checked against ref.SHA256 and
	// ref.Size. It fails with ErrNotFound, ErrWrongKey or ErrTampered.
	Get(ctx context.Context, ref Ref, key []byte) (io.ReadCloser, error)
	// Exists says whether the blob is stored (without reading it).
	Exists(ctx context.Context, ref Ref) (bool, error)
	// Delete deletes a blob; deleting one that is not there is no error.
	Delete(ctx context.Context, ref Ref) error
	// DeleteOwner deletes every blob of owner, and only those.
	DeleteOwner(ctx context.Context, owner string) error
}

// Errors of a Store. They are wrapped with the blob they are about: test
// them with errors.Is.
var (
	// ErrNotFound: no such blob.
	ErrNotFound = errors.New("blob: not found")
	// ErrWrongKey: the blob was stored under another key.
	ErrWrongKey = errors.New("blob: sealed under another key")
	// ErrTampered: the stored blob was altered, damaged, moved or
	// truncated, or its content does not match its Ref.
	ErrTampered = errors.New("blob: tampered or damaged")
	// ErrTooLarge: the content is larger than the store takes.
	ErrTooLarge = errors.New("blob: too large")
	// ErrInvalidRef: a Ref that no Put returns (no owner, or a SHA-256
	// that is not 64 lower-case hex digits).
	ErrInvalidRef = errors.New("blob: invalid ref")
)

// Error is the error of an operation on a blob; Err is one of the errors
// above or an error of the underlying storage.
type Error struct {
	Op  string
	Ref Ref
	Err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("blob: %s %s/%s: %v", e.Op, e.Ref.Owner, e.Ref.SHA256, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Validate checks that ref could have been returned by Put.
func (ref Ref) Validate() error {
	if ref.Owner == "" || ref.Size < 0 || !isHexSHA256(ref.SHA256) {
		return ErrInvalidRef
	}
	return nil
}

func isHexSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ownerDir returns the name of an owner's folder: a hash of the owner, so
// that any owner string makes a safe name of fixed length.
func ownerDir(owner string) string {
	h := sha256.Sum256([]byte("undox blob owner\x00" + owner))
	return hex.EncodeToString(h[:16])
}

// sealContext binds a sealed blob to its owner and content: a blob copied
// to another name does not decrypt.
func sealContext(ref Ref) string {
	return "undox/blob/v1\x00" + ref.Owner + "\x00" + ref.SHA256
}

// ctxReader stops reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Hashed is content whose SHA-256 its caller has computed already, as the
// fetcher hashes a body while it reads it. A Dir stores it without hashing
// or copying it again; other stores read it as any reader. sum must be the
// SHA-256 of data: a blob put under a wrong one is never read back (Get
// fails with ErrTampered). data must not change until the Put returns.
func Hashed(data []byte, sum [sha256.Size]byte) io.Reader {
	return &hashed{Reader: bytes.NewReader(data), data: data, sum: sum}
}

type hashed struct {
	*bytes.Reader
	data []byte
	sum  [sha256.Size]byte
}

// content returns the content and its SHA-256, unless something read
// from the reader already.
func (h *hashed) content() ([]byte, [sha256.Size]byte, bool) {
	return h.data, h.sum, h.Len() == len(h.data)
}
