// Package model loads decoder-only transformer language models (llama2.c
// checkpoints, legacy and v1, and GGUF files of the architectures in
// [Archs]: llama, qwen2, qwen3) and runs their forward pass on the CPU with
// the kernels package.
//
// Weights are memory-mapped, never copied: a Model holds views into the
// mapped file, and Close unmaps it. Every length and offset read from a file
// is checked against the file size before it is used, so a truncated or
// corrupted file is an error, not a panic or a huge allocation.
//
// The forward pass follows llama2.c's run.c: for each layer, RMSNorm, the
// q/k/v projections, RoPE, grouped-query attention over a KV cache, the
// output projection and residual, then RMSNorm, a SwiGLU feed-forward and
// residual; a final RMSNorm and the classifier give the logits. What other
// architectures change in that block (biases on q/k/v, a norm of each q and
// k head, the RoPE pairing) is data in one [Arch] each; one block loop
// (block.go) runs every architecture for prefill, single and batched
// decoding alike.
package model

import (
	"fmt"

	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model/chat"
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
	// Arch names the architecture (a key of Archs); "" is "llama".
	Arch string
	// HeadSize is the width of one attention head when it is not
	// Dim/NHeads (Qwen3: 128 with dim 1024 and 16 heads); 0 means
	// Dim/NHeads.
	HeadSize int
	// Window is the sliding-window length of the local attention layers
	// (Gemma 3: 512; 0: every layer sees the whole context), SWAPeriod
	// makes every SWAPeriod-th layer global (6), and RopeThetaLocal is
	// the local layers' RoPE base (10000).
	Window, SWAPeriod int
	RopeThetaLocal    float32
	// LogitSoftcap, when positive, squashes the logits to
	// cap·tanh(logit/cap) (Gemma 2's final_logit_softcapping).
	LogitSoftcap float32
}

// HeadDim is the width of one attention head.
func (c Config) HeadDim() int {
	if c.HeadSize > 0 {
		return c.HeadSize
	}
	return c.Dim / c.NHeads
}

// QDim is the width of the queries of one position, n_heads·head_dim: Dim
// unless the file sets a head size of its own.
func (c Config) QDim() int { return c.NHeads * c.HeadDim() }

// KVDim is the width of the keys (and values) of one position.
func (c Config) KVDim() int { return c.HeadDim() * c.NKVHeads }

// Validate checks that the numbers describe a model we can run.
func (c Config) Validate() error {
	switch {
	case c.Dim <= 0 || c.HiddenDim <= 0 || c.NLayers <= 0 || c.NHeads <= 0 || c.NKVHeads <= 0 || c.VocabSize <= 0 || c.SeqLen <= 0:
		return fmt.Errorf("invalid config: every size must be positive: %+v", c)
	case c.HeadSize < 0 || c.HeadSize > 1<<12:
		return fmt.Errorf("invalid config: head size %d", c.HeadSize)
	case c.HeadSize == 0 && c.Dim%c.NHeads != 0:
		return fmt.Errorf("invalid config: dim %d is not a multiple of n_heads %d", c.Dim, c.NHeads)
	case c.NHeads > 1<<12:
		return fmt.Errorf("invalid config: %d heads", c.NHeads)
	case c.NHeads%c.NKVHeads != 0:
		return fmt.Errorf("invalid config: n_heads %d is not a multiple of n_kv_heads %d", c.NHeads, c.NKVHeads)
	case c.Window < 0 || c.SWAPeriod < 0 || c.LogitSoftcap < 0:
		return fmt.Errorf("invalid config: sliding window %d, period %d and softcap %g must not be negative", c.Window, c.SWAPeriod, c.LogitSoftcap)
	case c.HeadDim()%2 != 0:
		return fmt.Errorf("invalid config: head size %d is odd, RoPE needs pairs", c.HeadDim())
	case c.Dim > 1<<16 || c.HiddenDim > 1<<18 || c.NLayers > 1<<10 || c.VocabSize > 1<<22 || c.SeqLen > 1<<24:
		return fmt.Errorf("invalid config: implausibly large sizes: %+v", c)
	}
	if _, ok := Archs[c.ArchName()]; !ok {
		return fmt.Errorf("architecture %q is not supported (supported: %s)", c.Arch, archNames())
	}
	return nil
}

// Layer holds the weights of one transformer block. Matrices are row-major
// (out, in): a matrix-vector product maps an `in` vector to an `out` one.
// The vectors after FFNNorm exist only in the architectures that use them
// (nil otherwise): see Arch.
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

	BQ, BK, BV   []float32 // (n_heads*head_dim), (kv_dim), (kv_dim): qwen2's q/k/v biases
	QNorm, KNorm []float32 // (head_dim) each: qwen3's RMSNorm weights of every q and k head

	PostAttnNorm, PostFFNNorm []float32 // (dim) each: Gemma's norms of the sublayer outputs
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
	d, q, kv, h := c.Dim, c.QDim(), c.KVDim(), c.HiddenDim
	return []layerMat{
		{"attn_q", &l.WQ, q, d},
		{"attn_k", &l.WK, kv, d},
		{"attn_v", &l.WV, kv, d},
		{"attn_output", &l.WO, d, q},
		{"ffn_gate", &l.W1, h, d},
		{"ffn_down", &l.W2, d, h},
		{"ffn_up", &l.W3, h, d},
	}
}

// layerVec is one vector of a layer: its GGUF name (between "blk.N." and
// ".weight" or ".bias", which suffix says), where it lives and its length.
type layerVec struct {
	name string // e.g. "attn_norm.weight"
	vec  *[]float32
	n    int
}

// vecs lists l's vectors under config c, the architecture's own included:
// with mats, the whole tensor table of a layer.
func (l *Layer) vecs(c Config) []layerVec {
	a := c.arch()
	v := []layerVec{{"attn_norm.weight", &l.AttnNorm, c.Dim}, {"ffn_norm.weight", &l.FFNNorm, c.Dim}}
	if a.QKVBias {
		v = append(v, layerVec{"attn_q.bias", &l.BQ, c.QDim()}, layerVec{"attn_k.bias", &l.BK, c.KVDim()}, layerVec{"attn_v.bias", &l.BV, c.KVDim()})
	}
	if a.QKNorm {
		v = append(v, layerVec{"attn_q_norm.weight", &l.QNorm, c.HeadDim()}, layerVec{"attn_k_norm.weight", &l.KNorm, c.HeadDim()})
	}
	if a.PostNorms {
		v = append(v, layerVec{"post_attention_norm.weight", &l.PostAttnNorm, c.Dim}, layerVec{"post_ffw_norm.weight", &l.PostFFNNorm, c.Dim})
	}
	return v
}

// Weights are all the parameters of a model.
type Weights struct {
	TokEmb    kernels.Mat // (vocab, dim)
	Layers    []Layer     // (n_layers)
	FinalNorm []float32   // (dim)
	Output    kernels.Mat // (vocab, dim); aliases TokEmb when the classifier is shared
	// RopeFreqs divides each RoPE frequency (head_dim/2): Llama 3.1's
	// long-context scaling, stored as the tensor rope_freqs.weight; nil
	// when the file has none.
	RopeFreqs []float32
}

// Model is a loaded model: its architecture, weights, vocabulary and where
// it came from.
type Model struct {
	Config  Config
	Weights Weights
	Vocab   *tokenizer.Vocab // nil when the file has none and none was given
	// Chat is the chat template of a GGUF file (tokenizer.chat_template),
	// nil when it has none; ChatErr says why a template that is there
	// could not be read (raw prompts still run).
	Chat    *chat.Config
	ChatErr error

	Path   string            // the file it was loaded from
	Format string            // "llama2c-legacy", "llama2c-v1" or "gguf"
	Meta   map[string]string // readable metadata (GGUF key/values, llama2.c header facts) for `model info`
	// Rope is the RoPE scaling the file declares (GGUF
	// <arch>.rope.scaling.*): what a State uses unless its options set
	// their own.
	Rope RopeScaling
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
		for _, v := range l.vecs(m.Config) {
			n += int64(len(*v.vec))
		}
		for _, mt := range l.mats(m.Config) {
			n += int64(mt.mat.Rows * mt.mat.Cols)
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
		for _, mt := range l.mats(m.Config) {
			n += mt.mat.Bytes()
		}
		for _, v := range l.vecs(m.Config) {
			n += int64(4 * len(*v.vec))
		}
	}
	return n + w.Output.Bytes() + int64(4*len(w.FinalNorm))
}
