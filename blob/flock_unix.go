//go:build unix && !aix

package blob

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive flock(2) on f, waiting for it: appends and
// tombstones written in a pack (Delete) by other processes on this machine (undox serve and
// undox worker may share a data folder) wait for it too. The lock goes
// with the file description: it is released by unlockFile, or when f is
// closed, or when the process ends however it ends.
func lockFile(f *os.File) error { return flock(f, unix.LOCK_EX) }

// lockFileContext is lockFile that gives up when ctx is done. Uncontended
// it is one call; while another process holds the lock (for one append or
// one Delete), it tries again after 1 ms, doubling up to 50 ms.
func lockFileContext(ctx context.Context, f *os.File) error {
	wait := time.Millisecond
	for {
		err := flock(f, unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

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
