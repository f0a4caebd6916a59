package model

import (
	"sort"
	"strings"
)

// Arch is what one architecture changes in the llama block. The block loop
// (block.go) reads these fields, the GGUF loader, exporter and synthetic
// writer read the tensor table they imply (Layer.mats and Layer.vecs), so
// adding an architecture is an entry in Archs plus whatever new field its
// block needs.
type Arch struct {
	Name string
	// RopeNeox rotates the pairs (x[i], x[i+head_dim/2]) of each head, as
	// GPT-NeoX and Hugging Face's rotate_half do, instead of the
	// interleaved pairs (x[2i], x[2i+1]) of llama2.c and llama.cpp's llama
	// (whose converter permutes the q and k rows to use them).
	RopeNeox bool
	// QKVBias: the q, k and v projections add a bias (attn_q.bias, ...).
	QKVBias bool
	// QKNorm: each head of q and of k is RMS-normalised with its own
	// weights (attn_q_norm, attn_k_norm; head_dim each) before RoPE.
	QKNorm bool
	// EmbedScale multiplies the token embeddings by sqrt(dim) (Gemma).
	EmbedScale bool
	// GELU: the feed-forward gate is GELU (tanh form) instead of SiLU
	// (GeGLU, Gemma), with llama.cpp's rounding of it (kernels.GeGLU).
	GELU bool
	// PostNorms: the attention output and the feed-forward output are
	// RMS-normalised (attn_post_norm, ffn_post_norm) before their
	// residual additions (Gemma 2 and 3).
	PostNorms bool
}

// Archs are the supported architectures, by the name GGUF's
// general.architecture gives them.
var Archs = map[string]Arch{
	// llama: Llama 1-3, Mistral, TinyLlama, SmolLM2, and llama2.c
	// checkpoints.
	"llama": {Name: "llama"},
	// qwen2: Qwen2 and Qwen2.5.
	"qwen2": {Name: "qwen2", RopeNeox: true, QKVBias: true},
	// qwen3: Qwen3 (dense).
	"qwen3": {Name: "qwen3", RopeNeox: true, QKNorm: true},
	// gemma3: Gemma 3 (text). Most layers attend to a sliding window of
	// Config.Window positions with their own RoPE base; every
	// Config.SWAPeriod-th layer attends to the whole context.
	"gemma3": {Name: "gemma3", RopeNeox: true, QKNorm: true, EmbedScale: true, GELU: true, PostNorms: true},
}

// local reports whether layer l attends to a sliding window: all but
// every SWAPeriod-th layer, when the config has a window (Gemma 3's five
// local layers to one global one).
func (c Config) local(l int) bool {
	return c.Window > 0 && c.SWAPeriod > 0 && l%c.SWAPeriod < c.SWAPeriod-1
}

// ArchName is c's architecture name ("llama" when unset).
func (c Config) ArchName() string {
	if c.Arch == "" {
		return "llama"
	}
	return c.Arch
}

func (c Config) arch() Arch { return Archs[c.ArchName()] }

// archNames lists the supported architectures for error messages.
func archNames() string {
	var names []string
	for n := range Archs {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
