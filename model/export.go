package model

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model/gguf"
	"github.com/degen-llm/degen/model/tokenizer"
)

// ExportReport says what WriteGGUF did with each matrix.
type ExportReport struct {
	Tensors  int      // tensors written
	Fallback []string // matrices written as F16 because Q8_0 needs rows of a multiple of 32
	Bytes    int64    // bytes written
}

// WriteGGUF writes m as a GGUF v3 file of the llama architecture whose
// weight matrices have type typ (F32, F16 or Q8_0; norm vectors stay F32, as
// llama.cpp keeps them). Q8_0 needs rows of a multiple of 32 values: a
// matrix whose rows are not is written as F16 instead, and named in the
// report (stories260K's hidden size 172 is such a case). The vocabulary, if
// any, is written as GGUF tokenizer metadata, so the file runs on its own.
func WriteGGUF(m *Model, typ kernels.DType, w io.Writer) (ExportReport, error) {
	var rep ExportReport
	c := m.Config
	g := gguf.NewWriter()
	kvs := []gguf.KV{
		{Key: "general.architecture", Value: c.ArchName()},
		{Key: "general.name", Value: strings.TrimSuffix(baseName(m.Path), ".bin")},
		{Key: "general.file_type", Value: uint32(fileType(typ))},
	}
	kvs = append(kvs, archKVs(c)...)
	if v := m.Vocab; v != nil {
		pieces := v.Pieces
		if v.SpaceMarker() == tokenizer.SpaceLlama2C {
			// GGUF vocabularies spell a space "▁".
			pieces = make([]string, len(v.Pieces))
			for i, p := range v.Pieces {
				pieces[i] = strings.ReplaceAll(p, " ", tokenizer.SpaceGGUF)
			}
		}
		types := v.Types
		if types == nil { // a GGUF vocabulary without token_type
			types = make([]int32, len(pieces))
			for i := range types {
				types[i] = v.TokenType(i)
			}
		}
		kvs = append(kvs, vocabKVs(v, pieces, types)...)
	}
	for _, kv := range kvs {
		if err := g.Set(kv.Key, kv.Value); err != nil {
			return rep, err
		}
	}
	vec := func(name string, x []float32) error {
		rep.Tensors++
		return g.AddTensorF32(name, []uint64{uint64(len(x))}, x)
	}
	mat := func(name string, src *kernels.Mat) error {
		t := typ
		if t == kernels.Q8_0 && src.Cols%kernels.Q8Block != 0 {
			t = kernels.F16
			rep.Fallback = append(rep.Fallback, name)
		}
		rep.Tensors++
		dims := []uint64{uint64(src.Cols), uint64(src.Rows)}
		return g.AddTensor(name, ggufType(t), dims, func(out io.Writer) error {
			row := make([]float32, src.Cols)
			buf := make([]byte, t.RowBytes(src.Cols))
			for r := 0; r < src.Rows; r++ {
				src.Row(row, r)
				encodeRow(buf, row, t)
				if _, err := out.Write(buf); err != nil {
					return err
				}
			}
			return nil
		})
	}
	wt := &m.Weights
	if err := mat("token_embd.weight", &wt.TokEmb); err != nil {
		return rep, err
	}
	if err := vec("output_norm.weight", wt.FinalNorm); err != nil {
		return rep, err
	}
	if !m.SharedClassifier() {
		if err := mat("output.weight", &wt.Output); err != nil {
			return rep, err
		}
	}
	if wt.RopeFreqs != nil {
		if err := vec(ropeFreqsName, wt.RopeFreqs); err != nil {
			return rep, err
		}
	}
	for i := range wt.Layers {
		l := &wt.Layers[i]
		p := fmt.Sprintf("blk.%d.", i)
		for _, e := range l.mats(m.Config) {
			if err := mat(p+e.name+".weight", e.mat); err != nil {
				return rep, err
			}
		}
		for _, e := range l.vecs(m.Config) {
			if err := vec(p+e.name, *e.vec); err != nil {
				return rep, err
			}
		}
	}
	n, err := g.WriteTo(w)
	rep.Bytes = n
	return rep, err
}

// encodeRow writes one row of float32 values in type t into dst.
// archKVs are the hyperparameters of c under its architecture's prefix, in
// the order llama.cpp's converters write them.
func archKVs(c Config) []gguf.KV {
	p := c.ArchName() + "."
	kvs := []gguf.KV{
		{Key: p + "context_length", Value: uint32(c.SeqLen)},
		{Key: p + "embedding_length", Value: uint32(c.Dim)},
		{Key: p + "feed_forward_length", Value: uint32(c.HiddenDim)},
		{Key: p + "block_count", Value: uint32(c.NLayers)},
		{Key: p + "attention.head_count", Value: uint32(c.NHeads)},
		{Key: p + "attention.head_count_kv", Value: uint32(c.NKVHeads)},
	}
	if c.HeadSize > 0 {
		kvs = append(kvs, gguf.KV{Key: p + "attention.key_length", Value: uint32(c.HeadSize)},
			gguf.KV{Key: p + "attention.value_length", Value: uint32(c.HeadSize)})
	}
	return append(kvs,
		gguf.KV{Key: p + "rope.dimension_count", Value: uint32(c.HeadDim())},
		gguf.KV{Key: p + "rope.freq_base", Value: c.RopeTheta},
		gguf.KV{Key: p + "attention.layer_norm_rms_epsilon", Value: c.NormEps},
		gguf.KV{Key: p + "vocab_size", Value: uint32(c.VocabSize)},
	)
}

// vocabKVs are the tokenizer keys of v, with its pieces and token types as
// the file spells them.
func vocabKVs(v *tokenizer.Vocab, pieces []string, types []int32) []gguf.KV {
	return []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: "llama"},
		{Key: "tokenizer.ggml.tokens", Value: pieces},
		{Key: "tokenizer.ggml.scores", Value: v.Scores},
		{Key: "tokenizer.ggml.token_type", Value: types},
		{Key: "tokenizer.ggml.bos_token_id", Value: uint32(v.BOS)},
		{Key: "tokenizer.ggml.eos_token_id", Value: uint32(v.EOS)},
		{Key: "tokenizer.ggml.unknown_token_id", Value: uint32(v.UNK)},
		{Key: "tokenizer.ggml.add_bos_token", Value: v.AddBOS},
		{Key: "tokenizer.ggml.add_space_prefix", Value: v.AddSpacePrefix},
	}
}

func encodeRow(dst []byte, row []float32, t kernels.DType) {
	switch t {
	case kernels.F32:
		for i, v := range row {
			b := math.Float32bits(v)
			dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
		}
	case kernels.F16:
		for i, v := range row {
			h := kernels.F32ToF16(v)
			dst[2*i], dst[2*i+1] = byte(h), byte(h>>8)
		}
	case kernels.Q8_0:
		QuantizeQ8Row(dst, row)
	}
}

// QuantizeQ8Row encodes row (a multiple of 32 values) as Q8_0 blocks into
// dst: per block the scale d = max|x|/127 as F16, then round(x/d) as int8,
// the rounding llama.cpp's reference quantizer uses (to nearest, ties away
// from zero).
func QuantizeQ8Row(dst []byte, row []float32) {
	for b := 0; b < len(row)/kernels.Q8Block; b++ {
		x := row[b*kernels.Q8Block : (b+1)*kernels.Q8Block]
		blk := dst[b*kernels.Q8BlockBytes : (b+1)*kernels.Q8BlockBytes]
		var amax float32
		for _, v := range x {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d := amax / 127
		var inv float32
		if d != 0 {
			inv = 1 / d
		}
		h := kernels.F32ToF16(d)
		blk[0], blk[1] = byte(h), byte(h>>8)
		for j, v := range x {
			blk[2+j] = byte(int8(math.Round(float64(v * inv))))
		}
	}
}

func ggufType(t kernels.DType) gguf.TensorType {
	switch t {
	case kernels.F16:
		return gguf.F16
	case kernels.Q8_0:
		return gguf.Q8_0
	}
	return gguf.F32
}

// fileType is llama.cpp's general.file_type: 0 all F32, 1 mostly F16, 7 mostly Q8_0.
func fileType(t kernels.DType) int {
	switch t {
	case kernels.F16:
		return 1
	case kernels.Q8_0:
		return 7
	}
	return 0
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
