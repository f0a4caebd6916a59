package model_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
	"github.com/degen-llm/degen/model/tokenizer"
)

// logitsOf runs the first n tokens of ids and returns every position's logits.
func logitsOf(t *testing.T, m *model.Model, ids []int) [][]float32 {
	t.Helper()
	pool := kernels.NewPool(1)
	defer pool.Close()
	st, err := m.NewState(pool, model.StateOptions{})
	require.NoError(t, err)
	var out [][]float32
	for pos, id := range ids {
		out = append(out, append([]float32(nil), st.Forward(id, pos)...))
	}
	return out
}

// meanNLL is the mean negative log-likelihood of ids[1:] given the logits.
func meanNLL(logits [][]float32, ids []int) float64 {
	var sum float64
	for pos := 0; pos+1 < len(ids); pos++ {
		l := logits[pos]
		mx := l[0]
		for _, v := range l {
			mx = max(mx, v)
		}
		var z float64
		for _, v := range l {
			z += math.Exp(float64(v - mx))
		}
		sum += -(float64(l[ids[pos+1]]-mx) - math.Log(z))
	}
	return sum / float64(len(ids)-1)
}

func roundTrip(t *testing.T, m *model.Model, typ kernels.DType) (*model.Model, model.ExportReport) {
	t.Helper()
	var buf bytes.Buffer
	ft, err := model.ParseFileType(typ.String())
	require.NoError(t, err)
	rep, err := model.WriteGGUF(m, ft, &buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), rep.Bytes)
	p := filepath.Join(t.TempDir(), "m.gguf")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	q, err := model.Load(p, model.LoadOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { q.Close() })
	return q, rep
}

// TestExportAccuracy writes stories260K as F32, F16 and Q8_0 GGUF and
// compares the logits over a 64-token story with the original: F32 must be
// exact, the others close. The figures are stated in the README.
func TestExportAccuracy(t *testing.T) {
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, "stories260K.bin"), model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	// llama2.c's greedy story, which the model predicts well.
	ids := []int{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415, 426, 13, 438}
	want := logitsOf(t, m, ids)
	base := meanNLL(want, ids)
	cases := []struct {
		typ      kernels.DType
		maxDiff  float64 // bound on the largest logit difference
		maxNLL   float64 // bound on the change of mean NLL (nats)
		fallback int
	}{
		{kernels.F32, 0, 0, 0},
		{kernels.F16, 0.02, 0.002, 0},
		// Q8_0 rounds each weight to 1/254 of its block's range; ffn_down's
		// rows (172 values) cannot be Q8_0 and fall back to F16.
		{kernels.Q8_0, 0.4, 0.005, 5},
	}
	for _, c := range cases {
		t.Run(c.typ.String(), func(t *testing.T) {
			q, rep := roundTrip(t, m, c.typ)
			assert.Len(t, rep.Fallback, c.fallback)
			assert.Equal(t, m.Config, q.Config)
			got := logitsOf(t, q, ids)
			var maxDiff float64
			for pos := range got {
				for i := range got[pos] {
					maxDiff = max(maxDiff, math.Abs(float64(got[pos][i]-want[pos][i])))
				}
			}
			dNLL := math.Abs(meanNLL(got, ids) - base)
			t.Logf("%s: max |logit diff| %.5f, mean NLL %.5f vs %.5f (diff %.5f)", c.typ, maxDiff, meanNLL(got, ids), base, dNLL)
			assert.LessOrEqual(t, maxDiff, c.maxDiff)
			assert.LessOrEqual(t, dNLL, c.maxNLL)
			// The vocabulary travels with the file.
			require.NotNil(t, q.Vocab)
			assert.Equal(t, len(m.Vocab.Pieces), len(q.Vocab.Pieces))
		})
	}
}

// TestExportQ8Synthetic checks a model whose every matrix can be Q8_0.
func TestExportQ8Synthetic(t *testing.T) {
	cfg := model.Config{Dim: 64, HiddenDim: 128, NLayers: 2, NHeads: 4, NKVHeads: 2, VocabSize: 288, SeqLen: 64}
	p, err := model.SynthFile(t.TempDir(), cfg, 7, model.FormatGGUF)
	require.NoError(t, err)
	m, err := model.Load(p, model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	q, rep := roundTrip(t, m, kernels.Q8_0)
	assert.Empty(t, rep.Fallback)
	assert.Equal(t, kernels.Q8_0, q.Weights.Layers[0].W2.Type)
	assert.Less(t, q.WeightBytes(), m.WeightBytes()*3/10, "Q8_0 is 34/128 of F32")
	ids := []int{1, 5, 9, 200, 17, 3, 44, 100}
	want, got := logitsOf(t, m, ids), logitsOf(t, q, ids)
	var maxDiff float64
	for pos := range got {
		for i := range got[pos] {
			maxDiff = max(maxDiff, math.Abs(float64(got[pos][i]-want[pos][i])))
		}
	}
	t.Logf("synthetic Q8_0: max |logit diff| %.5f", maxDiff)
	assert.Less(t, maxDiff, 0.02)
}

func TestQuantizeQ8Row(t *testing.T) {
	row := make([]float32, 32)
	for i := range row {
		row[i] = float32(i-16) / 4 // -4 .. 3.75
	}
	buf := make([]byte, kernels.Q8BlockBytes)
	model.QuantizeQ8Row(buf, row)
	// d = 4/127; -4 maps to -127 exactly, 3.75 to round(119.06) = 119.
	assert.Equal(t, kernels.F32ToF16(4.0/127), uint16(buf[0])|uint16(buf[1])<<8)
	assert.Equal(t, int8(-127), int8(buf[2]))
	assert.Equal(t, int8(119), int8(buf[2+31]))
	m := kernels.Mat{Type: kernels.Q8_0, Rows: 1, Cols: 32, Raw: buf}
	back := make([]float32, 32)
	m.Row(back, 0)
	for i := range row {
		assert.InDelta(t, row[i], back[i], 4.0/127/2+1e-3)
	}
	// An all-zero block has scale 0 and decodes to zeros.
	zero := make([]float32, 32)
	model.QuantizeQ8Row(buf, zero)
	m.Row(back, 0)
	assert.Equal(t, zero, back)
}

// TestExportInfersTokenTypes: a vocabulary without token types (a GGUF file
// that had no token_type) is written with the types SentencePiece assigns,
// not all "normal": BOS and EOS stay control tokens and "<0xNN>" pieces
// byte tokens after a round trip.
func TestExportInfersTokenTypes(t *testing.T) {
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, "stories260K.bin"), model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	want := m.Vocab.Types
	require.NotNil(t, want)
	v := *m.Vocab
	v.Types = nil
	m.Vocab = &v
	q, _ := roundTrip(t, m, kernels.F32)
	assert.Equal(t, want, q.Vocab.Types)
	assert.Equal(t, int32(tokenizer.TypeControl), q.Vocab.Types[q.Vocab.BOS])
	assert.Equal(t, int32(tokenizer.TypeByte), q.Vocab.Types[3+'A']) // "<0x41>"
}
