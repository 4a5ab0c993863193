package blob

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS syncs the file system that f is on.
func syncFS(f *os.File) error { return unix.Syncfs(int(f.Fd())) }

const haveSyncFS = true
