package jsonl

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/degen-llm/degen/internal/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// orderedRaw decodes a JSON object with encoding/json into its keys in order
// and their verbatim raw values: an independent reference for Record.
func orderedRaw(t *testing.T, line []byte) ([]string, map[string]json.RawMessage) {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(line, &m))
	d := json.NewDecoder(bytes.NewReader(line))
	_, err := d.Token() // '{'
	require.NoError(t, err)
	var keys []string
	for d.More() {
		k, err := d.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, d.Decode(&skip))
	}
	return keys, m
}

// TestSharedEvalRoundTrip pushes the shared evaluation sets (real text in
// English, German and Chinese, with nulls, floats and nested objects)
// through Reader and Writer, checking every value against encoding/json.
func TestSharedEvalRoundTrip(t *testing.T) {
	var paths []string
	for _, name := range []string{"detect_public.jsonl", "metric_cases_public.jsonl"} {
		p, err := shared.Path("eval", name)
		if err != nil {
			t.Skipf("shared data not available: %v", err)
		}
		paths = append(paths, p)
	}
	r, err := OpenAll(paths, Options{})
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "out.jsonl.zst")
	w, err := Create(out, WriterOptions{})
	require.NoError(t, err)
	n := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		keys, m := orderedRaw(t, r.RawLine())
		require.Equal(t, keys, rec.Keys(), "%s:%d", r.Name(), r.Line())
		for _, k := range keys {
			v, _ := rec.Get(k)
			require.Equal(t, string(m[k]), string(v), "%s:%d key %s", r.Name(), r.Line(), k)
		}
		text, ok, err := rec.GetString("text")
		require.NoError(t, err)
		require.True(t, ok)
		var want struct{ Text string }
		require.NoError(t, json.Unmarshal(r.RawLine(), &want))
		require.Equal(t, want.Text, text)
		require.NoError(t, w.Write(rec))
		n++
	}
	require.NoError(t, r.Close())
	require.NoError(t, w.Close())
	assert.Equal(t, 413+47, n)

	// The compressed copy reads back to the same records.
	back, err := Open(out, Options{})
	require.NoError(t, err)
	orig, err := OpenAll(paths, Options{})
	require.NoError(t, err)
	for {
		a, errA := orig.Next()
		b, errB := back.Next()
		require.Equal(t, errA, errB)
		if errA == io.EOF {
			break
		}
		require.Equal(t, string(a.AppendJSON(nil)), string(b.AppendJSON(nil)))
	}
	require.NoError(t, back.Close())
	require.NoError(t, orig.Close())
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Less(t, fi.Size(), int64(626077/2))
}
