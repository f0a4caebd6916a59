// Package model loads LLaMA-architecture language models (llama2.c
// checkpoints, legacy and v1, and GGUF files) and runs their forward pass on
// the CPU with the kernels package.
//
// Weights are memory-mapped, never copied: a Model holds views into the
// mapped file, and Close unmaps it. Every length and offset read from a file
// is checked against the file size before it is used, so a truncated or
// corrupted file is an error, not a panic or a huge allocation.
//
// The forward pass follows llama2.c's run.c: for each layer, RMSNorm, the
// q/k/v projections, RoPE, grouped-query attention over a KV cache, the
// output projection and residual, then RMSNorm, a SwiGLU feed-forward and
// residual; a final RMSNorm and the classifier give the logits.
package model

import (
	"fmt"

	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model/tokenizer"
)

// Config is the architecture of a model.
type Config struct {
	Dim       int     // embedding width
	HiddenDim int     // feed-forward width
	NLayers   int     // transformer blocks
	NHeads    int     // query heads
	NKVHeads  int     // key/value heads (grouped-query attention when < NHeads)
	VocabSize int     // tokens
	SeqLen    int     // trained context length
	RopeTheta float32 // RoPE base frequency (10000 for llama2.c)
	NormEps   float32 // RMSNorm epsilon (1e-5 for llama2.c)
}

// HeadDim is the width of one attention head.
func (c Config) HeadDim() int { return c.Dim / c.NHeads }

// KVDim is the width of the keys (and values) of one position.
func (c Config) KVDim() int { return c.HeadDim() * c.NKVHeads }

// Validate checks that the numbers describe a model we can run.
func (c Config) Validate() error {
	switch {
	case c.Dim <= 0 || c.HiddenDim <= 0 || c.NLayers <= 0 || c.NHeads <= 0 || c.NKVHeads <= 0 || c.VocabSize <= 0 || c.SeqLen <= 0:
		return fmt.Errorf("invalid config: every size must be positive: %+v", c)
	case c.Dim%c.NHeads != 0:
		return fmt.Errorf("invalid config: dim %d is not a multiple of n_heads %d", c.Dim, c.NHeads)
	case c.NHeads%c.NKVHeads != 0:
		return fmt.Errorf("invalid config: n_heads %d is not a multiple of n_kv_heads %d", c.NHeads, c.NKVHeads)
	case c.HeadDim()%2 != 0:
		return fmt.Errorf("invalid config: head size %d is odd, RoPE needs pairs", c.HeadDim())
	case c.Dim > 1<<16 || c.HiddenDim > 1<<18 || c.NLayers > 1<<10 || c.VocabSize > 1<<22 || c.SeqLen > 1<<24:
		return fmt.Errorf("invalid config: implausibly large sizes: %+v", c)
	}
	return nil
}

// Layer holds the weights of one transformer block. Matrices are row-major
// (out, in): a matrix-vector product maps an `in` vector to an `out` one.
type Layer struct {
	AttnNorm []float32   // (dim)
	WQ       kernels.Mat // (n_heads*head_dim, dim)
	WK       kernels.Mat // (n_kv_heads*head_dim, dim)
	WV       kernels.Mat // (n_kv_heads*head_dim, dim)
	WO       kernels.Mat // (dim, n_heads*head_dim)
	FFNNorm  []float32   // (dim)
	W1       kernels.Mat // (hidden_dim, dim)  gate
	W2       kernels.Mat // (dim, hidden_dim)  down
	W3       kernels.Mat // (hidden_dim, dim)  up
}

// layerMat is one weight matrix of a layer: its GGUF name (between
// "blk.N." and ".weight"), where it lives in the Layer, and its shape.
type layerMat struct {
	name       string
	mat        *kernels.Mat
	rows, cols int
}

// mats lists l's weight matrices in GGUF's order, with their shapes under
// config c: the one table the GGUF loader, the exporter and the synthetic
// writer share.
func (l *Layer) mats(c Config) []layerMat {
	d, kv, h := c.Dim, c.KVDim(), c.HiddenDim
	return []layerMat{
		{"attn_q", &l.WQ, d, d},
		{"attn_k", &l.WK, kv, d},
		{"attn_v", &l.WV, kv, d},
		{"attn_output", &l.WO, d, d},
		{"ffn_gate", &l.W1, h, d},
		{"ffn_down", &l.W2, d, h},
		{"ffn_up", &l.W3, h, d},
	}
}

// Weights are all the parameters of a model.
type Weights struct {
	TokEmb    kernels.Mat // (vocab, dim)
	Layers    []Layer     // (n_layers)
	FinalNorm []float32   // (dim)
	Output    kernels.Mat // (vocab, dim); aliases TokEmb when the classifier is shared
}

// Model is a loaded model: its architecture, weights, vocabulary and where
// it came from.
type Model struct {
	Config  Config
	Weights Weights
	Vocab   *tokenizer.Vocab // nil when the file has none and none was given

	Path   string            // the file it was loaded from
	Format string            // "llama2c-legacy", "llama2c-v1" or "gguf"
	Meta   map[string]string // readable metadata (GGUF key/values, llama2.c header facts) for `model info`
	// EOG are the tokens that end a generation: BOS (1) for llama2.c
	// checkpoints, whose stories end by starting the next one, and the
	// end-of-generation tokens named in a GGUF file's metadata.
	EOG []int

	closer func() error // unmaps the file
}

// Close releases the memory mapping. The Model must not be used afterwards.
func (m *Model) Close() error {
	if m.closer == nil {
		return nil
	}
	err := m.closer()
	m.closer = nil
	return err
}

// ParamCount is the number of weights of the model (the classifier counted
// once when it is shared).
func (m *Model) ParamCount() int64 {
	w := &m.Weights
	n := int64(w.TokEmb.Rows*w.TokEmb.Cols) + int64(len(w.FinalNorm))
	for i := range w.Layers {
		l := &w.Layers[i]
		n += int64(len(l.AttnNorm) + len(l.FFNNorm))
		for _, mt := range []*kernels.Mat{&l.WQ, &l.WK, &l.WV, &l.WO, &l.W1, &l.W2, &l.W3} {
			n += int64(mt.Rows * mt.Cols)
		}
	}
	if !m.SharedClassifier() {
		n += int64(w.Output.Rows * w.Output.Cols)
	}
	return n
}

// SharedClassifier reports whether the output matrix is the token embedding.
func (m *Model) SharedClassifier() bool {
	a, b := &m.Weights.TokEmb, &m.Weights.Output
	if a.Type != b.Type || a.Rows != b.Rows || a.Cols != b.Cols {
		return false
	}
	if a.Type == kernels.F32 {
		return len(a.F32) > 0 && &a.F32[0] == &b.F32[0]
	}
	return len(a.Raw) > 0 && &a.Raw[0] == &b.Raw[0]
}

// WeightBytes is the number of bytes of weights read to compute one token
// (every matrix once, the embedding row aside): the denominator of the
// memory-bandwidth limit on decode speed.
func (m *Model) WeightBytes() int64 {
	w := &m.Weights
	var n int64
	for i := range w.Layers {
		l := &w.Layers[i]
		for _, mt := range []*kernels.Mat{&l.WQ, &l.WK, &l.WV, &l.WO, &l.W1, &l.W2, &l.W3} {
			n += mt.Bytes()
		}
		n += int64(4 * (len(l.AttnNorm) + len(l.FFNNorm)))
	}
	return n + w.Output.Bytes() + int64(4*len(w.FinalNorm))
}
