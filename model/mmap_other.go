//go:build !(linux || darwin)

package model

import (
	"os"
)

// mapFile reads the whole file into memory, standing in for a memory
// mapping on systems where degen does not map files.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	data, err := readAll(f, size)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}
