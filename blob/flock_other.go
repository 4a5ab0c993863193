//go:build !unix || aix

package blob

import (
	"context"
	"os"
)

// Without flock(2), packs are not locked between processes: one process
// at a time may use a Dir's folder. (Within a process, appends wait for
// each other all the same.)
func lockFile(*os.File) error { return nil }

func lockFileContext(context.Context, *os.File) error { return nil }

func lockShared(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
