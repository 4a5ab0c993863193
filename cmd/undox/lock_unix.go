//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockData takes the data folder's lock, so that one undox serve at a time
// works an SQLite queue: a second one is refused with a clear error. The
// lock goes with the process, however it ends (kill -9 included).
func lockData(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "serve.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another undox serve is using the data folder %s (on SQLite one process works the queue; use PostgreSQL for more)", dir)
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}
