//go:build !linux

package blob

import "os"

// datasync syncs f (fsync, F_FULLFSYNC on macOS) where there is no
// fdatasync(2).
func datasync(f *os.File) error { return f.Sync() }
