//go:build !linux

package blob

import "os"

func syncFS(f *os.File) error { return f.Sync() }

// Without syncfs(2), Puts keep their own fsyncs.
const haveSyncFS = false
