package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"strconv"
	"testing"

	"github.com/undox/undox/secret"
)

// BenchmarkPut stores distinct 20 KB blobs of one owner in a fresh store (in
// $BENCH_DIR, else the system's temporary folder: the file system decides
// most of the cost).
func BenchmarkPut(b *testing.B) {
	d := benchDir(b)
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	content := make([]byte, 20<<10)
	rand.Read(content)
	ctx := context.Background()
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		content[0], content[1], content[2], content[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
		if _, err := d.Put(ctx, bytes.NewReader(content), key, "UDX-BENCH"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutLater is a capture's Put: 20 KB blobs put with their SHA-256
// (Hashed) and made durable by a Sync every 16 Puts, as 16 captures'
// Puts share a round of syncs. It measures the Put's own cost: lookup,
// encryption, append.
func BenchmarkPutLater(b *testing.B) {
	d := benchDir(b)
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	// Distinct contents, hashed before the clock runs; a new owner for
	// each round of them, so that none is stored already.
	contents := make([][]byte, 1024)
	sums := make([][sha256.Size]byte, len(contents))
	for i := range contents {
		contents[i] = make([]byte, 20<<10)
		rand.Read(contents[i])
		sums[i] = sha256.Sum256(contents[i])
	}
	ctx := context.Background()
	b.SetBytes(20 << 10)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		owner := "UDX-BENCH-" + strconv.Itoa(i/len(contents))
		if _, err := d.PutLater(ctx, Hashed(contents[i%len(contents)], sums[i%len(contents)]), key, owner); err != nil {
			b.Fatal(err)
		}
		if i++; i%16 == 0 {
			if err := d.Sync(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchDir makes a store in a fresh folder in $BENCH_DIR, else the
// system's temporary folder (the file system decides most of a Put's
// cost), removed after the benchmark.
func benchDir(b *testing.B) *Dir {
	root, err := os.MkdirTemp(os.Getenv("BENCH_DIR"), "blob-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(root) })
	d, err := NewDir(root)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}
