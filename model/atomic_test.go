package model

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.gguf")
	require.NoError(t, WriteFileAtomic(p, func(w io.Writer) error { _, err := io.WriteString(w, "abc"); return err }))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(b))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())

	// A failed write leaves the old file and no temporary file.
	boom := errors.New("boom")
	err = WriteFileAtomic(p, func(w io.Writer) error { _, _ = io.WriteString(w, "partial"); return boom })
	assert.ErrorIs(t, err, boom)
	b, _ = os.ReadFile(p)
	assert.Equal(t, "abc", string(b))
	ents, _ := os.ReadDir(dir)
	assert.Len(t, ents, 1)
}

func TestShape(t *testing.T) {
	c, ok := Shape("stories110M")
	assert.True(t, ok)
	assert.Equal(t, 768, c.Dim)
	_, ok = Shape("stories7B")
	assert.False(t, ok)
}
