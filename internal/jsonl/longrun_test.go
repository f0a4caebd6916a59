package jsonl

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriterPartial: a Partial writer leaves the named file alone until
// Commit, Close keeps the partial file, Discard removes it.
func TestWriterPartial(t *testing.T) {
	for _, ext := range []string{"", ".gz", ".zst"} {
		t.Run("ext"+ext, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.jsonl"+ext)
			require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o644))

			write := func() *Writer {
				w, err := Create(path, WriterOptions{Partial: true})
				require.NoError(t, err)
				require.NoError(t, w.WriteLine([]byte(`{"a":1}`)))
				return w
			}
			w := write()
			w.Discard()
			assertFile(t, path, "old\n")
			_, err := os.Stat(PartialName(path))
			assert.True(t, os.IsNotExist(err), "Discard removes the partial file")

			w = write()
			require.NoError(t, w.Close())
			assertFile(t, path, "old\n")
			assert.Equal(t, []string{`{"a":1}`}, readLines(t, PartialName(path)), "Close keeps a complete partial file")

			w = write()
			require.NoError(t, w.Commit())
			assert.Equal(t, []string{`{"a":1}`}, readLines(t, path))
			_, err = os.Stat(PartialName(path))
			assert.True(t, os.IsNotExist(err), "Commit renames the partial file")
		})
	}
}

// TestWriterAppend: appending to a compressed file adds a member or frame
// that readers take as the rest of the stream.
func TestWriterAppend(t *testing.T) {
	for _, ext := range []string{"", ".gz", ".zst"} {
		t.Run("ext"+ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rej.jsonl"+ext)
			for i, line := range []string{`{"n":1}`, `{"n":2}`} {
				w, err := Create(path, WriterOptions{Append: i > 0})
				require.NoError(t, err)
				require.NoError(t, w.WriteLine([]byte(line)))
				require.NoError(t, w.Close())
			}
			assert.Equal(t, []string{`{"n":1}`, `{"n":2}`}, readLines(t, path))
		})
	}
}

// TestReaderCancel: a Next waiting on a reader with no data returns
// ErrInterrupted once Cancel closes, after the records already there.
func TestReaderCancel(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	cancel := make(chan struct{})
	r, err := NewReader("pipe", pr, Options{Cancel: cancel})
	require.NoError(t, err)
	defer r.Close()
	go func() { _, _ = pw.Write([]byte("{\"a\":1}\n{\"a\":")) }()
	rec, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, string(rec.AppendJSON(nil)))
	got := make(chan error, 1)
	go func() { _, err := r.Next(); got <- err }()
	select {
	case err := <-got:
		t.Fatalf("Next returned %v before the cancel", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(cancel)
	select {
	case err := <-got:
		assert.True(t, errors.Is(err, ErrInterrupted), "got %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Next still blocked after the cancel")
	}
}

// TestMuteRejects: skipped lines are not copied while muted.
func TestMuteRejects(t *testing.T) {
	var rej strings.Builder
	r, err := NewReader("in", strings.NewReader("bad1\n{\"a\":1}\nbad2\n{\"a\":2}\n"), Options{OnError: Skip, Rejects: &rej})
	require.NoError(t, err)
	r.MuteRejects(true)
	_, err = r.Next()
	require.NoError(t, err)
	r.MuteRejects(false)
	_, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, "bad2\n", rej.String())
	assert.Equal(t, 2, r.Skipped())
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, string(b))
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	r, err := Open(path, Options{})
	require.NoError(t, err)
	defer r.Close()
	var out []string
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, string(r.RawLine()))
	}
}
