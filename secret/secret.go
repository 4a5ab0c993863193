// Package secret keeps undox's keys and encrypts personal data at rest.
//
// A master key (a file in the data folder, mode 0600, or UNDOX_SECRET_KEY)
// wraps one data key per case. Personal fields are sealed with the case's
// data key using XChaCha20-Poly1305, bound to the field they belong to.
// Erasing a case deletes its wrapped data key: what it sealed is gone.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the size of every symmetric key.
const KeySize = chacha20poly1305.KeySize

// Keyring holds the master key.
type Keyring struct {
	master []byte
}

// New returns a keyring for a 32-byte master key.
func New(master []byte) (*Keyring, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("secret: master key must be %d bytes, got %d", KeySize, len(master))
	}
	return &Keyring{master: append([]byte(nil), master...)}, nil
}

// ParseKey reads a key given as 64 hex digits or standard/URL base64.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, errors.New("secret: a key must be 32 bytes as 64 hex digits or base64")
}

// LoadOrCreateKeyFile reads the key in path, creating it (mode 0600, in a
// folder of mode 0700) with a new random key when it does not exist.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return ParseKey(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	// Write the key in full under a temporary name, then link it into
	// place: the link is atomic and fails when another process starting
	// at the same time won, so nobody reads a half-written key.
	f, err := os.CreateTemp(filepath.Dir(path), ".secret.key.*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(f.Name(), path); errors.Is(err, os.ErrExist) {
		return LoadOrCreateKeyFile(path)
	} else if err != nil {
		return nil, err
	}
	return key, nil
}

// NewDataKey returns a fresh data key and its form wrapped by the master key.
func (k *Keyring) NewDataKey() (key, wrapped []byte, err error) {
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	wrapped, err = Seal(k.master, key, "data-key")
	return key, wrapped, err
}

// Unwrap returns the data key that NewDataKey wrapped.
func (k *Keyring) Unwrap(wrapped []byte) ([]byte, error) {
	return Open(k.master, wrapped, "data-key")
}

// Derive returns a key for a named purpose (such as keyed hashes),
// derived from the master key so that it is never stored anywhere.
func (k *Keyring) Derive(purpose string) []byte {
	h := sha256.New()
	h.Write([]byte("undox derive\x00" + purpose + "\x00"))
	h.Write(k.master)
	return h.Sum(nil)
}

// Seal encrypts plaintext under key; context binds the ciphertext to its
// place (such as "case/12/reporter_email") so that it cannot be moved.
func Seal(key, plaintext []byte, context string) ([]byte, error) {
	return SealTo(nil, key, plaintext, context)
}

// Overhead is how many bytes Seal adds to a plaintext: a nonce and a tag.
const Overhead = chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead

// SealTo is Seal, appending the sealed bytes to dst (which must not overlap
// plaintext): with room for them in dst, it allocates nothing.
func SealTo(dst, key, plaintext []byte, context string) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	dst = slices.Grow(dst, aead.NonceSize()+len(plaintext)+aead.Overhead())
	at := len(dst)
	nonce := dst[at : at+aead.NonceSize()]
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(dst[:at+len(nonce)], nonce, plaintext, []byte(context)), nil
}

// ErrDecrypt is returned for a ciphertext that is damaged, moved, or sealed
// under another key.
var ErrDecrypt = errors.New("secret: cannot decrypt")

// Open decrypts what Seal sealed with the same key and context.
func Open(key, sealed []byte, context string) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrDecrypt
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(context))
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

// Token returns a new random secret of n bytes, base64url without padding.
func Token(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash returns the SHA-256 of a token, as stored in place of the token.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
