package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSealBindsKeyAndContext(t *testing.T) {
	k := bytes.Repeat([]byte{7}, KeySize)
	sealed, err := Seal(k, []byte("parent.synthetic@example.org"), "case/UDX-1/reporter_email")
	require.NoError(t, err)
	require.NotContains(t, string(sealed), "synthetic")
	plain, err := Open(k, sealed, "case/UDX-1/reporter_email")
	require.NoError(t, err)
	require.Equal(t, "parent.synthetic@example.org", string(plain))

	_, err = Open(k, sealed, "case/UDX-2/reporter_email")
	require.ErrorIs(t, err, ErrDecrypt, "moved to another case")
	_, err = Open(bytes.Repeat([]byte{8}, KeySize), sealed, "case/UDX-1/reporter_email")
	require.ErrorIs(t, err, ErrDecrypt, "another key")
	sealed[len(sealed)-1] ^= 1
	_, err = Open(k, sealed, "case/UDX-1/reporter_email")
	require.ErrorIs(t, err, ErrDecrypt, "damaged")
	_, err = Open(k, []byte("short"), "x")
	require.ErrorIs(t, err, ErrDecrypt)

	again, _ := Seal(k, []byte("same"), "c")
	twice, _ := Seal(k, []byte("same"), "c")
	require.NotEqual(t, again, twice, "a fresh nonce each time")
}

func TestDataKeysWrapUnderTheMasterKey(t *testing.T) {
	ring, err := New(bytes.Repeat([]byte{1}, KeySize))
	require.NoError(t, err)
	key, wrapped, err := ring.NewDataKey()
	require.NoError(t, err)
	require.NotContains(t, string(wrapped), string(key))
	got, err := ring.Unwrap(wrapped)
	require.NoError(t, err)
	require.Equal(t, key, got)

	other, _ := New(bytes.Repeat([]byte{2}, KeySize))
	_, err = other.Unwrap(wrapped)
	require.ErrorIs(t, err, ErrDecrypt)
	require.NotEqual(t, ring.Derive("watch"), other.Derive("watch"))
	require.NotEqual(t, ring.Derive("watch"), ring.Derive("other"))

	_, err = New([]byte("short"))
	require.Error(t, err)
}

func TestParseKey(t *testing.T) {
	k := bytes.Repeat([]byte{0xab}, KeySize)
	for _, s := range []string{hex.EncodeToString(k), base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k) + "\n"} {
		got, err := ParseKey(s)
		require.NoError(t, err, s)
		require.Equal(t, k, got)
	}
	_, err := ParseKey("abcd")
	require.Error(t, err)
}

func TestKeyFileIsCreatedOnceWithMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secret.key")
	var wg sync.WaitGroup
	keys := make([][]byte, 8)
	errs := make([]error, 8)
	for i := range keys {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			keys[i], errs[i] = LoadOrCreateKeyFile(path)
		}(i)
	}
	wg.Wait()
	for i := range keys {
		require.NoError(t, errs[i])
		require.Equal(t, keys[0], keys[i], "processes starting together agree on one key")
	}
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	dir, _ := os.Stat(filepath.Dir(path))
	require.Equal(t, os.FileMode(0o700), dir.Mode().Perm())
	again, err := LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	require.Equal(t, keys[0], again)
	entries, _ := os.ReadDir(filepath.Dir(path))
	require.Len(t, entries, 1, "no temporary files left behind")
}

func TestTokensAreRandomAndHashed(t *testing.T) {
	a, err := Token(32)
	require.NoError(t, err)
	b, _ := Token(32)
	require.NotEqual(t, a, b)
	require.Len(t, a, 43)
	require.Len(t, Hash(a), 32)
	require.Equal(t, Hash(a), Hash(a))
}
