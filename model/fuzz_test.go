package model

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model/gguf"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the committed fuzz seed corpora under testdata/fuzz")

// llama2cSeeds are small checkpoints in every llama2.c layout.
func llama2cSeeds(t testing.TB) map[string][]byte {
	legacy := synthBytes(t, tiny, 1, false, FormatLlama2CLegacy)
	ref, err := parseModel(synthBytes(t, tiny, 1, true, FormatLlama2CV1), false)
	require.NoError(t, err)
	v2, _ := v2Export(t, ref, 4, true)
	return map[string][]byte{
		"legacy-shared": legacy,
		"legacy-untied": synthBytes(t, tiny, 2, true, FormatLlama2CLegacy),
		"v1-shared":     synthBytes(t, tiny, 3, false, FormatLlama2CV1),
		"v2-untied":     v2,
		"legacy-header": legacy[:legacyHeaderBytes],
		"v1-truncated":  synthBytes(t, tiny, 3, false, FormatLlama2CV1)[:300],
	}
}

// ggufSeeds are small GGUF models, plain and with F16 matrices, plus cut
// ones.
func ggufSeeds(t testing.TB) map[string][]byte {
	plain := synthBytes(t, tiny, 1, false, FormatGGUF)
	f16 := rewriteGGUF(t, synthBytes(t, tiny, 2, true, FormatGGUF), ggufEdit{
		tensor: func(ti *gguf.TensorInfo, b []byte) (gguf.TensorType, []uint64, []byte) {
			if len(ti.Dims) != 2 {
				return ti.Type, ti.Dims, b
			}
			out := make([]byte, 0, len(b)/2)
			for _, v := range decodeF32(b) {
				out = binary.LittleEndian.AppendUint16(out, kernels.F32ToF16(v))
			}
			return gguf.F16, ti.Dims, out
		},
	})
	return map[string][]byte{
		"gguf-shared":    plain,
		"gguf-f16":       f16,
		"gguf-metadata":  plain[:600],
		"gguf-truncated": plain[:len(plain)-200],
	}
}

// TestFuzzSeeds checks that the committed corpora are the current seeds;
// run with -update-seeds to rewrite them after changing Synth.
func TestFuzzSeeds(t *testing.T) {
	for target, seeds := range map[string]map[string][]byte{
		"FuzzLoadLlama2C": llama2cSeeds(t),
		"FuzzGGUF":        ggufSeeds(t),
	} {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, data := range seeds {
			path := filepath.Join(dir, name)
			want := []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(data))))
			require.Less(t, len(want), 50<<10, "%s: keep corpus entries small", path)
			if *updateSeeds {
				require.NoError(t, os.MkdirAll(dir, 0o755))
				require.NoError(t, os.WriteFile(path, want, 0o644))
				continue
			}
			got, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -run TestFuzzSeeds -update-seeds")
			assert.True(t, bytes.Equal(want, got), "%s is stale: run go test -run TestFuzzSeeds -update-seeds", path)
		}
	}
}

// fuzzModel loads arbitrary bytes: it must return an error or a model whose
// every tensor has the shape its config implies.
func fuzzModel(t *testing.T, data []byte) {
	m, err := parseModel(data, false)
	if err != nil {
		return
	}
	checkConsistent(t, m)
	for _, id := range m.EOG {
		require.True(t, id >= 0 && id < m.Config.VocabSize, "EOG %d", id)
	}
}

func FuzzLoadLlama2C(f *testing.F) {
	for _, s := range llama2cSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzModel(t, data)
	})
}

func FuzzGGUF(f *testing.F) {
	for _, s := range ggufSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzModel(t, data)
		// The parser alone: every tensor's data is in bounds or an
		// error, and a parsed file writes back to a file that parses and
		// writes back to the same bytes (metadata and tensors intact).
		once, ok := rewrite(t, data)
		if !ok {
			return
		}
		twice, ok := rewrite(t, once)
		require.True(t, ok)
		require.True(t, bytes.Equal(once, twice))
	})
}

// rewrite parses a GGUF file and writes it back with the Writer; false when
// it does not parse or holds tensors of unknown size.
func rewrite(t *testing.T, data []byte) ([]byte, bool) {
	g, err := gguf.Parse(data)
	if err != nil {
		return nil, false
	}
	w := gguf.NewWriter()
	for _, kv := range g.KV.All() {
		require.NoError(t, w.Set(kv.Key, kv.Value), kv.Key)
	}
	for i := range g.Tensors {
		ti := &g.Tensors[i]
		b, err := g.TensorData(ti)
		if err != nil {
			return nil, false // unknown type: the writer cannot size it either
		}
		require.NoError(t, w.AddTensorBytes(ti.Name, ti.Type, ti.Dims, b))
	}
	var buf bytes.Buffer
	_, err = w.WriteTo(&buf)
	require.NoError(t, err)
	return buf.Bytes(), true
}
