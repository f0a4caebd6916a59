//go:build linux || darwin

package model

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps a file read-only into memory. The returned release function
// unmaps it; the bytes must not be used (nor written, ever) afterwards.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if size == 0 {
		return nil, func() error { return nil }, nil // mmap refuses length 0
	}
	if int64(int(size)) != size {
		return nil, nil, fmt.Errorf("file of %d bytes is too large to map", size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap: %w", err)
	}
	adviseHuge(data)
	return data, func() error { return syscall.Munmap(data) }, nil
}
