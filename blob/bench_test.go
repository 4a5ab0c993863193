package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"testing"

	"github.com/undox/undox/secret"
)

// BenchmarkPut stores distinct 20 KB blobs of one owner in a fresh store (in
// $BENCH_DIR, else the system's temporary folder: the file system decides
// most of the cost).
func BenchmarkPut(b *testing.B) {
	root, err := os.MkdirTemp(os.Getenv("BENCH_DIR"), "blob-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(root) })
	d, err := NewDir(root)
	if err != nil {
		b.Fatal(err)
	}
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
