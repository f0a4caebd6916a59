package jsonl

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriterStdoutBuffering(t *testing.T) {
	tests := []struct {
		name      string
		flushEach bool
		afterOne  string
	}{
		{"buffered", false, ""},
		{"flush each", true, "{\"a\":1}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			w, err := Create("-", WriterOptions{Stdout: &out, FlushEach: tc.flushEach})
			require.NoError(t, err)
			assert.Equal(t, StdoutName, w.Name())
			require.NoError(t, w.Write(mustParse(t, `{"a":1}`)))
			assert.Equal(t, tc.afterOne, out.String())
			require.NoError(t, w.Write(mustParse(t, `{"b":2}`)))
			require.NoError(t, w.Close())
			assert.Equal(t, "{\"a\":1}\n{\"b\":2}\n", out.String())
			require.NoError(t, w.Close(), "second close is harmless")
			assert.ErrorContains(t, w.Write(mustParse(t, `{}`)), "writer closed")
		})
	}
}

func TestWriterNoHTMLEscape(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter("out", &out, WriterOptions{})
	r := NewRecord()
	require.NoError(t, r.SetValue("text", "if a < b && c > d { <|endoftext|> }"))
	require.NoError(t, r.SetValue("nested", map[string]any{"html": "<p>&amp;</p>"}))
	require.NoError(t, w.Write(r))
	require.NoError(t, w.Close())
	assert.Equal(t, `{"text":"if a < b && c > d { <|endoftext|> }","nested":{"html":"<p>&amp;</p>"}}`+"\n", out.String())
}

// shortWriter fails after accepting limit bytes, like a full disk.
type shortWriter struct {
	limit int
	n     int
}

func (s *shortWriter) Write(p []byte) (int, error) {
	if s.n+len(p) > s.limit {
		k := s.limit - s.n
		s.n = s.limit
		return k, errors.New("no space left on device")
	}
	s.n += len(p)
	return len(p), nil
}

func TestWriterErrorsAreSticky(t *testing.T) {
	t.Run("failure surfaces at close", func(t *testing.T) {
		w := NewWriter("out.jsonl", &shortWriter{limit: 10}, WriterOptions{})
		require.NoError(t, w.Write(mustParse(t, `{"text":"more than ten bytes"}`)), "still buffered")
		err := w.Close()
		assert.EqualError(t, err, "write out.jsonl: no space left on device")
		assert.Equal(t, err, w.Close())
	})
	t.Run("failure surfaces at write when flushing each", func(t *testing.T) {
		w := NewWriter("out.jsonl", &shortWriter{limit: 10}, WriterOptions{FlushEach: true})
		err := w.Write(mustParse(t, `{"text":"more than ten bytes"}`))
		assert.EqualError(t, err, "write out.jsonl: no space left on device")
		assert.Equal(t, err, w.Write(mustParse(t, `{}`)), "later writes repeat the first error")
		assert.Equal(t, err, w.Close())
	})
	t.Run("failure inside a large buffered stream", func(t *testing.T) {
		w := NewWriter("big", &shortWriter{limit: 1 << 20}, WriterOptions{})
		r := mustParse(t, `{"t":"`+strings.Repeat("y", 1000)+`"}`)
		var err error
		for range 5000 {
			if err = w.Write(r); err != nil {
				break
			}
		}
		assert.EqualError(t, err, "write big: no space left on device")
		assert.Equal(t, err, w.Close())
	})
}

func TestCreateErrors(t *testing.T) {
	_, err := Create(filepath.Join(t.TempDir(), "no", "such", "dir.jsonl"), WriterOptions{})
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestRejectsPattern follows the package documentation: a second Writer
// takes rejected lines through Raw, compressed by its extension.
func TestRejectsPattern(t *testing.T) {
	for _, ext := range []string{".jsonl", ".jsonl.gz", ".jsonl.zst"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			rejPath := filepath.Join(dir, "rejects"+ext)
			rej, err := Create(rejPath, WriterOptions{})
			require.NoError(t, err)
			in := "{\"ok\":1}\n{oops}\n{\"ok\":2}\n<html>\n"
			r, err := NewReader("in", strings.NewReader(in), Options{OnError: Skip, Rejects: rej.Raw()})
			require.NoError(t, err)
			g := drain(t, r)
			require.NoError(t, g.err)
			require.NoError(t, rej.Close())
			assert.Equal(t, []string{`{"ok":1}`, `{"ok":2}`}, g.lines)

			// Rejected lines are not JSON, so read the file back raw
			// through the decompressing reader's line plumbing.
			var got bytes.Buffer
			back, err := Open(rejPath, Options{OnError: Skip, Rejects: &got})
			require.NoError(t, err)
			g = drain(t, back)
			require.NoError(t, g.err)
			assert.Equal(t, "{oops}\n<html>\n", got.String())
			require.NoError(t, back.Close())
		})
	}
}

func TestWriteLine(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter("o", &out, WriterOptions{})
	require.NoError(t, w.WriteLine([]byte(`{"raw":true}`)))
	n, err := w.Raw().Write([]byte("abc\n"))
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	require.NoError(t, w.Flush())
	assert.Equal(t, "{\"raw\":true}\nabc\n", out.String())
	require.NoError(t, w.Close())
	_, err = io.WriteString(w.Raw(), "x")
	assert.Error(t, err)
}
