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

// WriteGGUF writes m as a GGUF v3 file of its architecture whose weight
// matrices have the types of file type ft (every matrix of one type, or a
// K-quant mix such as Q4_K_M: see FileType.TypeOf; norms, biases and RoPE
// factors stay F32, as llama.cpp keeps them). A matrix whose rows are not
// whole blocks of the file's type gets llama-quantize's fallback type,
// named in the report (stories260K's hidden size 172 takes F16 in Q8_0).
// The vocabulary, if any, is written as GGUF metadata, so the file runs on
// its own.
func WriteGGUF(m *Model, ft FileType, w io.Writer) (ExportReport, error) {
	var rep ExportReport
	c := m.Config
	g := gguf.NewWriter()
	kvs := []gguf.KV{
		{Key: "general.architecture", Value: c.ArchName()},
		{Key: "general.name", Value: strings.TrimSuffix(baseName(m.Path), ".bin")},
		{Key: "general.file_type", Value: uint32(ft.ID)},
	}
	kvs = append(kvs, archKVs(c)...)
	kvs = append(kvs, quantKVs(ft)...)
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
	tied := m.SharedClassifier()
	mat := func(name string, layer int, src *kernels.Mat) error {
		t := ft.TypeOf(name, layer, src.Cols, c, tied)
		if src.Cols%ft.Base.BlockSize() != 0 {
			rep.Fallback = append(rep.Fallback, name+" ("+t.String()+")")
		}
		rep.Tensors++
		dims := []uint64{uint64(src.Cols), uint64(src.Rows)}
		return g.AddTensor(name, gguf.TensorType(t.GGMLType()), dims, func(out io.Writer) error {
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
	if err := mat("token_embd.weight", -1, &wt.TokEmb); err != nil {
		return rep, err
	}
	if err := vec("output_norm.weight", wt.FinalNorm); err != nil {
		return rep, err
	}
	if !m.SharedClassifier() {
		if err := mat("output.weight", -1, &wt.Output); err != nil {
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
			if err := mat(p+e.name+".weight", i, e.mat); err != nil {
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
	if c.Window > 0 {
		kvs = append(kvs, gguf.KV{Key: p + "attention.sliding_window", Value: uint32(c.Window)},
			gguf.KV{Key: p + "attention.sliding_window_pattern", Value: uint32(c.SWAPeriod)},
			gguf.KV{Key: p + "rope.freq_base_swa", Value: c.RopeThetaLocal})
	}
	if c.LogitSoftcap > 0 {
		kvs = append(kvs, gguf.KV{Key: p + "final_logit_softcapping", Value: c.LogitSoftcap})
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

// encodeRow writes one row of float32 values in type t into dst.
func encodeRow(dst []byte, row []float32, t kernels.DType) {
	if t == kernels.F32 {
		for i, v := range row {
			b := math.Float32bits(v)
			dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
		}
		return
	}
	kernels.QuantizeRow(t, dst, row)
}

// QuantizeQ8Row encodes row (a multiple of 32 values) as Q8_0 blocks into
// dst: per block the scale d = max|x|/127 as F16, then round(x/d) as int8,
// the rounding llama.cpp's reference quantizer uses (to nearest, ties away
// from zero).
func QuantizeQ8Row(dst []byte, row []float32) { kernels.QuantizeRow(kernels.Q8_0, dst, row) }

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// quantKVs is general.quantization_version (2, ggml's current block
// layouts), which llama-quantize writes into every file it converts.
func quantKVs(ft FileType) []gguf.KV {
	if ft.Base == kernels.F32 {
		return nil
	}
	return []gguf.KV{{Key: "general.quantization_version", Value: uint32(2)}}
}
