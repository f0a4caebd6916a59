package model

import (
	"fmt"
	"io"
	"os"
)

// openData returns the bytes of the file at path, memory-mapped unless
// noMmap asks for a copy in memory, and the function that releases them.
func openData(path string, noMmap bool) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close() // a mapping outlives its file descriptor
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s is not a regular file", path)
	}
	if noMmap {
		data, err := readAll(f, fi.Size())
		if err != nil {
			return nil, nil, err
		}
		return data, func() error { return nil }, nil
	}
	return mapFile(f, fi.Size())
}

// readAll reads a file of known size into one allocation.
func readAll(f *os.File, size int64) ([]byte, error) {
	if int64(int(size)) != size {
		return nil, fmt.Errorf("file of %d bytes is too large to read", size)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	return data, nil
}
