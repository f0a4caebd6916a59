package model

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model/tokenizer"
)

// small is a shape with grouped-query attention, a vocabulary with byte
// tokens and fillers, and a few layers: small enough to write in memory.
var small = Config{Dim: 32, HiddenDim: 48, NLayers: 3, NHeads: 4, NKVHeads: 2, VocabSize: 300, SeqLen: 16, RopeTheta: 10000, NormEps: 1e-5}

// tiny is the shape of the corruption tests and fuzz seeds (files of a few
// kilobytes).
var tiny = Config{Dim: 8, HiddenDim: 12, NLayers: 2, NHeads: 2, NKVHeads: 1, VocabSize: 16, SeqLen: 8, RopeTheta: 10000, NormEps: 1e-5}

// synthBytes writes a synthetic model in memory.
func synthBytes(t testing.TB, cfg Config, seed uint64, untied bool, format string) []byte {
	t.Helper()
	s, err := Synth(cfg, seed)
	require.NoError(t, err)
	s.Untied = untied
	var buf bytes.Buffer
	require.NoError(t, s.Write(&buf, format))
	return buf.Bytes()
}

// allWeights flattens every weight of a model (F32 matrices and norms) in a
// fixed order, for comparisons across formats.
func allWeights(t testing.TB, m *Model) [][]float32 {
	t.Helper()
	w := &m.Weights
	var out [][]float32
	mat := func(x *kernels.Mat) []float32 {
		rows := make([]float32, x.Rows*x.Cols)
		for i := range x.Rows {
			x.Row(rows[i*x.Cols:(i+1)*x.Cols], i)
		}
		return rows
	}
	out = append(out, mat(&w.TokEmb), mat(&w.Output), w.FinalNorm)
	for i := range w.Layers {
		l := &w.Layers[i]
		out = append(out, l.AttnNorm, l.FFNNorm)
		for _, x := range []*kernels.Mat{&l.WQ, &l.WK, &l.WV, &l.WO, &l.W1, &l.W2, &l.W3} {
			out = append(out, mat(x))
		}
	}
	return out
}

// sameBits compares float slices bit for bit.
func sameBits(t *testing.T, want, got [][]float32) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Len(t, got[i], len(want[i]), "tensor %d", i)
		for j := range want[i] {
			if math.Float32bits(want[i][j]) != math.Float32bits(got[i][j]) {
				t.Fatalf("tensor %d element %d: %v != %v", i, j, want[i][j], got[i][j])
			}
		}
	}
}

func TestSynthRoundTrip(t *testing.T) {
	for _, untied := range []bool{false, true} {
		var ref [][]float32
		for _, format := range []string{FormatLlama2CLegacy, FormatLlama2CV1, FormatGGUF} {
			name := format
			if untied {
				name += "/untied"
			}
			t.Run(name, func(t *testing.T) {
				data := synthBytes(t, small, 7, untied, format)
				m, err := parseModel(data, false)
				require.NoError(t, err)
				assert.Equal(t, format, m.Format)
				assert.Equal(t, small, m.Config)
				assert.Equal(t, !untied, m.SharedClassifier())
				w := allWeights(t, m)
				if ref == nil {
					ref = w
				} else {
					sameBits(t, ref, w) // every format holds the same numbers
				}
				// Matrices look like a std-0.02 init, norms like 1 ± 0.01.
				mean, std := stats(m.Weights.Layers[1].W2.F32)
				assert.InDelta(t, 0, mean, 0.002)
				assert.InDelta(t, 0.02, std, 0.002)
				mean, std = stats(m.Weights.Layers[2].AttnNorm)
				assert.InDelta(t, 1, mean, 0.01)
				assert.InDelta(t, 0.01, std, 0.005)
				if untied {
					assert.NotEqual(t, m.Weights.TokEmb.F32[:8], m.Weights.Output.F32[:8])
				}
				if format == FormatGGUF {
					s, _ := Synth(small, 7)
					assert.Equal(t, s.Vocab(), m.Vocab)
					assert.Equal(t, []int{2}, m.EOG)
				} else {
					assert.Equal(t, []int{1}, m.EOG)
				}
			})
		}
	}
}

func stats(x []float32) (mean, std float64) {
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)))
}

func TestSynthDeterministic(t *testing.T) {
	for _, format := range []string{FormatLlama2CLegacy, FormatLlama2CV1, FormatGGUF} {
		t.Run(format, func(t *testing.T) {
			a := synthBytes(t, small, 3, false, format)
			b := synthBytes(t, small, 3, false, format)
			c := synthBytes(t, small, 4, false, format)
			assert.Equal(t, a, b)
			require.Len(t, c, len(a))
			assert.NotEqual(t, a, c)
		})
	}
}

func TestSynthRejects(t *testing.T) {
	_, err := Synth(Config{Dim: 30, HiddenDim: 8, NLayers: 1, NHeads: 4, NKVHeads: 4, VocabSize: 8, SeqLen: 8}, 1)
	assert.ErrorContains(t, err, "not a multiple of n_heads")
	s, err := Synth(tiny, 1)
	require.NoError(t, err)
	assert.ErrorContains(t, s.Write(io.Discard, "safetensors"), `unknown format "safetensors"`)
}

// countWriter counts bytes without storing them.
type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// The real stories15M.bin (llama2.c legacy, shared classifier) is
// 60,816,028 bytes (PROVENANCE.txt): the synthetic one must match exactly.
func TestSynthStories15MSize(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 60 MB")
	}
	s, err := Synth(Stories15M, 1)
	require.NoError(t, err)
	var c countingDiscard
	require.NoError(t, s.Write(&c, FormatLlama2CLegacy))
	assert.Equal(t, int64(60816028), c.n)
}

func TestSynthPresets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    Config
		params int64 // weights, shared classifier counted once
	}{
		// 15M and 110M are the round names; the exact counts follow
		// from the shapes (tok_emb + layers + final norm).
		{"stories15M", Stories15M, 32000*288 + 6*(2*288+4*288*288+3*768*288) + 288},
		{"stories110M", Stories110M, 32000*768 + 12*(2*768+4*768*768+3*2048*768) + 768},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.cfg.Validate())
			assert.Equal(t, tc.params, matrixFloats(tc.cfg))
		})
	}
}

func TestSynthVocab(t *testing.T) {
	s, err := Synth(small, 1)
	require.NoError(t, err)
	v := s.Vocab()
	require.Len(t, v.Pieces, small.VocabSize)
	assert.Equal(t, []string{"<unk>", "<s>", "</s>", "<0x00>"}, v.Pieces[:4])
	assert.Equal(t, "<0xFF>", v.Pieces[258])
	assert.Equal(t, []string{"▁", "a", "b"}, v.Pieces[259:262])
	seen := map[string]bool{}
	for _, p := range v.Pieces {
		assert.False(t, seen[p], "duplicate piece %q", p)
		seen[p] = true
	}
	// The vocabulary builds a tokenizer that round-trips text.
	tok, err := tokenizer.New(v)
	require.NoError(t, err)
	ids := tok.Encode("hello world, ünïcode", true)
	assert.Equal(t, 1, ids[0])
	assert.Equal(t, "hello world, ünïcode", strings.TrimPrefix(tok.DecodeAll(ids[1:]), " "))

	// A vocabulary too small for byte tokens keeps the specials.
	s, err = Synth(tiny, 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"<unk>", "<s>", "</s>", "▁", "a"}, s.Vocab().Pieces[:5])
	assert.Len(t, s.Vocab().Pieces, tiny.VocabSize)
}

func TestSynthTokenizerFile(t *testing.T) {
	dir := t.TempDir()
	s, err := Synth(small, 9)
	require.NoError(t, err)
	model := filepath.Join(dir, "m.bin")
	require.NoError(t, s.WriteFile(model, FormatLlama2CLegacy))
	f, err := os.Create(filepath.Join(dir, "tok300.bin"))
	require.NoError(t, err)
	require.NoError(t, s.WriteTokenizer(f))
	require.NoError(t, f.Close())

	m, err := Load(model, LoadOptions{}) // finds tok300.bin beside it
	require.NoError(t, err)
	defer m.Close()
	require.NotNil(t, m.Vocab)
	want := s.Vocab()
	for i, p := range want.Pieces {
		assert.Equal(t, strings.ReplaceAll(p, "▁", " "), m.Vocab.Pieces[i])
	}
	assert.Equal(t, want.Scores, m.Vocab.Scores)
}

func TestSynthFileCache(t *testing.T) {
	dir := t.TempDir()
	p1, err := SynthFile(dir, small, 5, FormatGGUF)
	require.NoError(t, err)
	fi1, err := os.Stat(p1)
	require.NoError(t, err)
	p2, err := SynthFile(dir, small, 5, FormatGGUF)
	require.NoError(t, err)
	assert.Equal(t, p1, p2)
	fi2, err := os.Stat(p2)
	require.NoError(t, err)
	assert.Equal(t, fi1.ModTime(), fi2.ModTime(), "second call must reuse the file")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary files left behind")

	m, err := Load(p1, LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, small, m.Config)
}
