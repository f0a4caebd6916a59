//go:build linux || darwin || freebsd

package hub

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive advisory lock on f without waiting, so two
// pulls of the same file cannot both append to one part. The kernel drops
// the lock when the process ends, so a crash leaves no stale lock.
func lockFile(f *os.File) error {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return ErrBusy
	}
	return err
}

// freeBytes is the space left to an unprivileged user on the file system
// that holds dir, or -1 when it cannot be told.
func freeBytes(dir string) int64 {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return -1
	}
	free := uint64(st.Bavail) * uint64(st.Bsize)
	if free > 1<<62 {
		return 1 << 62
	}
	return int64(free)
}
