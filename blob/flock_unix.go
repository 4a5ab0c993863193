//go:build unix && !aix

package blob

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive flock(2) on f, waiting for it: appends and
// tombstones written in a pack (Delete) by other processes on this machine (undox serve and
// undox worker may share a data folder) wait for it too. The lock goes
// with the file description: it is released by unlockFile, or when f is
// closed, or when the process ends however it ends.
func lockFile(f *os.File) error { return flock(f, unix.LOCK_EX) }

// lockShared takes a shared flock(2) on f, waiting while an appender holds
// its exclusive one.
func lockShared(f *os.File) error { return flock(f, unix.LOCK_SH) }

func unlockFile(f *os.File) error { return flock(f, unix.LOCK_UN) }

func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = unix.Flock(int(fd), how)
			if !errors.Is(ferr, unix.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	return ferr
}
