package model

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// v2Export writes a model in llama2.c's "version 2" int8 layout the way
// export.py's version2_export does: the v1 header plus group_size at byte
// 37, the norms in float32, then each matrix as int8 values and one
// float32 scale per group, the scale being max|x|/127 of its group.
// It returns the file and the dequantized weights a loader must produce.
func v2Export(t testing.TB, m *Model, gs int, untied bool) ([]byte, [][]float32) {
	t.Helper()
	c := m.Config
	var buf bytes.Buffer
	var hdr [256]byte
	le := binary.LittleEndian
	le.PutUint32(hdr[0:], llama2cMagic)
	le.PutUint32(hdr[4:], 2)
	for i, x := range []int{c.Dim, c.HiddenDim, c.NLayers, c.NHeads, c.NKVHeads, c.VocabSize, c.SeqLen} {
		le.PutUint32(hdr[8+4*i:], uint32(x))
	}
	if !untied {
		hdr[36] = 1
	}
	le.PutUint32(hdr[37:], uint32(gs))
	buf.Write(hdr[:])
	f32 := func(x []float32) {
		for _, v := range x {
			require.NoError(t, binary.Write(&buf, le, v))
		}
	}
	quant := func(x []float32) []float32 {
		deq := make([]float32, len(x))
		q := make([]byte, len(x))
		s := make([]float32, len(x)/gs)
		for g := range s {
			var amax float32
			for _, v := range x[g*gs : (g+1)*gs] {
				amax = max(amax, float32(math.Abs(float64(v))))
			}
			s[g] = amax / 127
			for i := g * gs; i < (g+1)*gs; i++ {
				qi := int8(math.Round(float64(x[i] / s[g])))
				q[i] = byte(qi)
				deq[i] = float32(qi) * s[g]
			}
		}
		buf.Write(q)
		f32(s)
		return deq
	}
	w := &m.Weights
	for _, l := range w.Layers {
		f32(l.AttnNorm)
	}
	for _, l := range w.Layers {
		f32(l.FFNNorm)
	}
	f32(w.FinalNorm)
	emb := quant(w.TokEmb.F32)
	per := make([][][]float32, 7) // kind, layer
	for k := range 7 {
		for _, l := range w.Layers {
			mats := []*[]float32{&l.WQ.F32, &l.WK.F32, &l.WV.F32, &l.WO.F32, &l.W1.F32, &l.W2.F32, &l.W3.F32}
			per[k] = append(per[k], quant(*mats[k]))
		}
	}
	out := emb
	if untied {
		out = quant(w.Output.F32)
	}
	want := [][]float32{emb, out, w.FinalNorm}
	for i, l := range w.Layers {
		want = append(want, l.AttnNorm, l.FFNNorm)
		for k := range 7 {
			want = append(want, per[k][i])
		}
	}
	return buf.Bytes(), want
}

func TestLlama2CV2(t *testing.T) {
	for _, untied := range []bool{false, true} {
		name := map[bool]string{false: "shared", true: "untied"}[untied]
		t.Run(name, func(t *testing.T) {
			ref, err := parseModel(synthBytes(t, small, 2, untied, FormatLlama2CV1), false)
			require.NoError(t, err)
			data, want := v2Export(t, ref, 16, untied)
			m, err := parseModel(data, false)
			require.NoError(t, err)
			assert.Equal(t, FormatLlama2CV2, m.Format)
			assert.Equal(t, small, m.Config)
			assert.Equal(t, !untied, m.SharedClassifier())
			assert.Equal(t, "16", m.Meta["llama2c.group_size"])
			sameBits(t, want, allWeights(t, m))

			_, err = parseModel(data[:len(data)-1], false)
			assert.ErrorContains(t, err, "truncated: header says")
			bad := bytes.Clone(data)
			binary.LittleEndian.PutUint32(bad[37:], 24) // does not divide dim 32
			_, err = parseModel(bad, false)
			assert.ErrorContains(t, err, "group size 24 does not divide the matrices")
		})
	}
}

func TestLlama2CVersions(t *testing.T) {
	data := synthBytes(t, tiny, 1, false, FormatLlama2CV1)
	for _, tc := range []struct {
		version uint32
		want    string
	}{
		{0, "llama2.c checkpoint version 0 is not supported (only 1 and 2)"},
		{3, "llama2.c checkpoint version 3 is not supported (only 1 and 2)"},
		{0xffffffff, "llama2.c checkpoint version -1 is not supported (only 1 and 2)"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			b := bytes.Clone(data)
			binary.LittleEndian.PutUint32(b[4:], tc.version)
			_, err := parseModel(b, false)
			assert.EqualError(t, err, tc.want)
		})
	}
	b := bytes.Clone(data)
	b[36] = 7
	_, err := parseModel(b, false)
	assert.EqualError(t, err, "llama2.c v1 header: shared_classifier byte is 7, not 0 or 1")
}

// A legacy file with a negative vocab_size has its own classifier after the
// freq_cis tables; the v1 file flags it with its shared byte.
func TestLlama2CUntiedLayout(t *testing.T) {
	legacy := synthBytes(t, tiny, 3, true, FormatLlama2CLegacy)
	assert.Equal(t, int32(-tiny.VocabSize), int32(binary.LittleEndian.Uint32(legacy[20:])))
	m, err := parseModel(legacy, false)
	require.NoError(t, err)
	// The classifier is the last vocab*dim floats of the file.
	n := tiny.VocabSize * tiny.Dim
	tail := decodeF32(legacy[len(legacy)-4*n:])
	assert.Equal(t, tail, m.Weights.Output.F32)
	assert.False(t, m.SharedClassifier())
	v1 := synthBytes(t, tiny, 3, true, FormatLlama2CV1)
	assert.Equal(t, byte(0), v1[36])
	assert.Equal(t, tail, decodeF32(v1[len(v1)-4*n:]))
}
