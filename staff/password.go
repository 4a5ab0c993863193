// Package staff logs staff members in to undox's pages: passwords hashed
// with argon2id, a mandatory second factor by TOTP (RFC 6238), server-side
// sessions and the throttling of failed logins. Its clock is the store's,
// so that tests move time instead of waiting.
package staff

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/undox/undox"
)

// Params are argon2id's costs.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams follow OWASP's recommendation for argon2id (19 MiB, two
// passes, one thread).
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Password lengths accepted.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 1024
)

// CheckPassword tells whether a password may be set.
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return undox.Invalid("password", "the password is not valid UTF-8 text")
	case n < MinPasswordLen:
		return undox.Invalid("password", "the password is shorter than %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return undox.Invalid("password", "the password is longer than %d bytes", MaxPasswordLen)
	}
	return nil
}

// HashPassword returns the argon2id hash of a password in the PHC string
// format ($argon2id$v=19$m=…,t=…,p=…$salt$hash), with a random salt.
func HashPassword(pw string) (string, error) { return HashPasswordWith(DefaultParams, pw) }

// HashPasswordWith hashes with the given costs.
func HashPasswordWith(p Params, pw string) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash is a stored hash that is not an argon2id PHC string undox
// accepts.
var ErrBadHash = errors.New("staff: not an argon2id hash")

// decodeHash reads a PHC string, with its costs bounded so that a damaged
// or planted hash cannot make a login take the machine.
func decodeHash(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, ErrBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, ErrBadHash
	}
	if p.Memory < 8 || p.Memory > 1<<20 || p.Time < 1 || p.Time > 16 || p.Threads < 1 || p.Threads > 16 {
		return p, nil, nil, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, ErrBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, ErrBadHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// VerifyPassword tells whether pw matches the hash, in constant time.
func VerifyPassword(encoded, pw string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	if len(pw) > MaxPasswordLen {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// dummyHash is verified against when a login names no account, so that an
// unknown address takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("undox: no account has this address")
	if err != nil {
		panic(err)
	}
	return h
})

// passwordAlphabet has no letters that are read alike (0/o, 1/l/i).
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// GeneratePassword returns a strong random password: 24 characters in
// groups of six (about 118 bits).
func GeneratePassword() (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for n := 0; n < 24; {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		// Rejection sampling keeps every character equally likely.
		if int(buf[0]) >= 256-256%len(passwordAlphabet) {
			continue
		}
		if n > 0 && n%6 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(passwordAlphabet[int(buf[0])%len(passwordAlphabet)])
		n++
	}
	return b.String(), nil
}
