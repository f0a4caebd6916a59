package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/degen-llm/degen/kernels"
)

// llama2.c checkpoints come in two layouts, both little-endian float32
// after a header (karpathy/llama2.c export.py):
//
//	legacy: 7 × int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
//	        vocab_size, seq_len), a negative vocab_size meaning the
//	        classifier is not shared; then, layer-major within each kind:
//	        tok_emb (vocab, dim), rms_att (layer, dim), wq (layer, dim, dim),
//	        wk, wv (layer, kv_dim, dim), wo (layer, dim, dim),
//	        rms_ffn (layer, dim), w1 (layer, hidden, dim),
//	        w2 (layer, dim, hidden), w3 (layer, hidden, dim),
//	        rms_final (dim), freq_cis_real, freq_cis_imag
//	        (seq_len*head_size/2 each, unused), wcls (vocab, dim) if not
//	        shared
//	v1:     a 256-byte header (u32 magic "ak42", i32 version 1, the 7
//	        params, u8 shared_classifier, zeros); then all norms first
//	        (rms_att, rms_ffn, rms_final), then tok_emb, wq, wk, wv, wo,
//	        w1, w2, w3, then wcls if not shared; no freq_cis
//	v2:     the v1 header plus i32 group_size at byte 37; the norms in
//	        float32 as in v1, then each matrix (per layer) as int8 values
//	        followed by one float32 scale per group_size values
//
// The magic is read as a little-endian uint32, so the file starts "24ka".
const (
	llama2cMagic       = 0x616b3432
	llama2cHeaderBytes = 256
	legacyHeaderBytes  = 7 * 4
)

// Format names of llama2.c checkpoints, as in Model.Format.
const (
	FormatLlama2CLegacy = "llama2c-legacy"
	FormatLlama2CV1     = "llama2c-v1"
	FormatLlama2CV2     = "llama2c-v2"
	FormatGGUF          = "gguf"
)

// llama2cDefaults completes a Config read from a llama2.c header with what
// llama2.c hard-codes.
func llama2cDefaults(c Config) Config {
	c.RopeTheta = 10000
	c.NormEps = 1e-5
	return c
}

// headerConfig reads the 7 int32 params at b[0:28]; vocab keeps its sign.
func headerConfig(b []byte) (Config, int64) {
	p := make([]int32, 7)
	for i := range p {
		p[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	c := Config{Dim: int(p[0]), HiddenDim: int(p[1]), NLayers: int(p[2]), NHeads: int(p[3]), NKVHeads: int(p[4]), VocabSize: int(p[5]), SeqLen: int(p[6])}
	return llama2cDefaults(c), int64(p[5])
}

// parseLlama2C builds a Model (without vocabulary) from a llama2.c
// checkpoint held whole in data.
func parseLlama2C(data []byte) (*Model, error) {
	if len(data) >= 8 && binary.LittleEndian.Uint32(data) == llama2cMagic {
		return parseLlama2CVersioned(data)
	}
	return parseLlama2CLegacy(data)
}

func parseLlama2CLegacy(data []byte) (*Model, error) {
	if len(data) < legacyHeaderBytes {
		return nil, fmt.Errorf("truncated: %d bytes, a llama2.c header needs %d", len(data), legacyHeaderBytes)
	}
	cfg, vocab := headerConfig(data)
	shared := vocab > 0
	if vocab < 0 {
		cfg.VocabSize = int(-vocab)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("not a GGUF or llama2.c v1 file, and not a legacy llama2.c checkpoint either: %w", err)
	}
	freqs := int64(cfg.SeqLen) * int64(cfg.HeadDim()) / 2
	want := matrixFloats(cfg) + 2*freqs
	if !shared {
		want += int64(cfg.VocabSize) * int64(cfg.Dim)
	}
	if err := checkFloats(data[legacyHeaderBytes:], want); err != nil {
		return nil, err
	}

	c := cursor{b: data, off: legacyHeaderBytes}
	var w Weights
	L, d, kv, h := cfg.NLayers, cfg.Dim, cfg.KVDim(), cfg.HiddenDim
	w.TokEmb = kernels.NewF32(c.f32(cfg.VocabSize*d), cfg.VocabSize, d)
	w.Layers = make([]Layer, L)
	rmsAtt := c.f32(L * d)
	wq, wk, wv, wo := c.f32(L*d*d), c.f32(L*kv*d), c.f32(L*kv*d), c.f32(L*d*d)
	rmsFFN := c.f32(L * d)
	w1, w2, w3 := c.f32(L*h*d), c.f32(L*d*h), c.f32(L*h*d)
	w.FinalNorm = c.f32(d)
	c.f32(int(2 * freqs)) // precomputed RoPE tables: recomputed at run time
	w.Output = w.TokEmb
	if !shared {
		w.Output = kernels.NewF32(c.f32(cfg.VocabSize*d), cfg.VocabSize, d)
	}
	fillLayers(w.Layers, cfg, rmsAtt, rmsFFN, wq, wk, wv, wo, w1, w2, w3)
	return llama2cModel(cfg, w, FormatLlama2CLegacy, shared, map[string]string{"llama2c.version": "legacy (no magic)"}), nil
}

func parseLlama2CVersioned(data []byte) (*Model, error) {
	if len(data) < llama2cHeaderBytes {
		return nil, fmt.Errorf("truncated: %d bytes, a llama2.c v1 header needs %d", len(data), llama2cHeaderBytes)
	}
	version := int32(binary.LittleEndian.Uint32(data[4:]))
	if version != 1 && version != 2 {
		return nil, fmt.Errorf("llama2.c checkpoint version %d is not supported (only 1 and 2)", version)
	}
	cfg, vocab := headerConfig(data[8:])
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("llama2.c v%d header: %w", version, err)
	}
	_ = vocab // positive in v1/v2: the classifier flag is its own byte
	sharedByte := data[8+legacyHeaderBytes]
	if sharedByte > 1 {
		return nil, fmt.Errorf("llama2.c v%d header: shared_classifier byte is %d, not 0 or 1", version, sharedByte)
	}
	shared := sharedByte == 1
	if version == 2 {
		return parseLlama2CV2(data, cfg, shared)
	}
	want := matrixFloats(cfg)
	if !shared {
		want += int64(cfg.VocabSize) * int64(cfg.Dim)
	}
	if err := checkFloats(data[llama2cHeaderBytes:], want); err != nil {
		return nil, err
	}

	c := cursor{b: data, off: llama2cHeaderBytes}
	var w Weights
	L, d, kv, h := cfg.NLayers, cfg.Dim, cfg.KVDim(), cfg.HiddenDim
	rmsAtt, rmsFFN := c.f32(L*d), c.f32(L*d)
	w.FinalNorm = c.f32(d)
	w.TokEmb = kernels.NewF32(c.f32(cfg.VocabSize*d), cfg.VocabSize, d)
	wq, wk, wv, wo := c.f32(L*d*d), c.f32(L*kv*d), c.f32(L*kv*d), c.f32(L*d*d)
	w1, w2, w3 := c.f32(L*h*d), c.f32(L*d*h), c.f32(L*h*d)
	w.Output = w.TokEmb
	if !shared {
		w.Output = kernels.NewF32(c.f32(cfg.VocabSize*d), cfg.VocabSize, d)
	}
	w.Layers = make([]Layer, L)
	fillLayers(w.Layers, cfg, rmsAtt, rmsFFN, wq, wk, wv, wo, w1, w2, w3)
	return llama2cModel(cfg, w, FormatLlama2CV1, shared, map[string]string{"llama2c.version": "1"}), nil
}

// parseLlama2CV2 reads llama2.c's int8 export (runq.c). Its groups of
// group_size values with a float32 scale are not a kernels type, so the
// matrices are dequantized into float32 copies: exact, but 4× the memory.
func parseLlama2CV2(data []byte, cfg Config, shared bool) (*Model, error) {
	gs := int64(int32(binary.LittleEndian.Uint32(data[8+legacyHeaderBytes+1:])))
	L, d, kv, h := int64(cfg.NLayers), int64(cfg.Dim), int64(cfg.KVDim()), int64(cfg.HiddenDim)
	if gs <= 0 || d%gs != 0 || (h*d)%gs != 0 || (kv*d)%gs != 0 {
		return nil, fmt.Errorf("llama2.c v2 header: group size %d does not divide the matrices", gs)
	}
	// Norms in float32, then per matrix n int8 and n/gs float32.
	mats := []int64{int64(cfg.VocabSize) * d}
	for _, n := range []int64{d * d, kv * d, kv * d, d * d, h * d, d * h, h * d} {
		for range L {
			mats = append(mats, n)
		}
	}
	if !shared {
		mats = append(mats, int64(cfg.VocabSize)*d)
	}
	want := (2*L*d + d) * 4
	for _, n := range mats {
		want += n + n/gs*4
	}
	if have := int64(len(data) - llama2cHeaderBytes); have != want {
		return nil, sizeError(want, have, "bytes")
	}
	c := cursor{b: data, off: llama2cHeaderBytes, copyAll: true}
	rmsAtt, rmsFFN := c.f32(int(L*d)), c.f32(int(L*d))
	var w Weights
	w.FinalNorm = c.f32(int(d))
	deq := func(n int64) []float32 {
		q := c.bytes(int(n))
		s := c.f32(int(n / gs))
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(int8(q[i])) * s[int64(i)/gs]
		}
		return out
	}
	w.TokEmb = kernels.NewF32(deq(mats[0]), cfg.VocabSize, int(d))
	cat := func(n int64) []float32 { // L dequantized layers, back to back
		out := make([]float32, 0, L*n)
		for range L {
			out = append(out, deq(n)...)
		}
		return out
	}
	wq, wk, wv, wo := cat(d*d), cat(kv*d), cat(kv*d), cat(d*d)
	w1, w2, w3 := cat(h*d), cat(d*h), cat(h*d)
	w.Output = w.TokEmb
	if !shared {
		w.Output = kernels.NewF32(deq(int64(cfg.VocabSize)*d), cfg.VocabSize, int(d))
	}
	w.Layers = make([]Layer, L)
	fillLayers(w.Layers, cfg, rmsAtt, rmsFFN, wq, wk, wv, wo, w1, w2, w3)
	return llama2cModel(cfg, w, FormatLlama2CV2, shared, map[string]string{
		"llama2c.version":    "2 (int8, dequantized to float32 on load)",
		"llama2c.group_size": strconv.FormatInt(gs, 10),
	}), nil
}

// matrixFloats is the number of floats of all the weights but freq_cis and
// a separate classifier.
func matrixFloats(c Config) int64 {
	L, d, kv, h := int64(c.NLayers), int64(c.Dim), int64(c.KVDim()), int64(c.HiddenDim)
	perLayer := 2*d + 2*d*d + 2*kv*d + 3*h*d
	return int64(c.VocabSize)*d + L*perLayer + d
}

// checkFloats checks that b holds exactly want float32s.
func checkFloats(b []byte, want int64) error {
	if int64(len(b)) != 4*want {
		return sizeError(want, int64(len(b))/4, "floats")
	}
	return nil
}

func sizeError(want, have int64, unit string) error {
	if have < want {
		return fmt.Errorf("truncated: header says %d %s of weights, file has %d", want, unit, have)
	}
	return fmt.Errorf("size mismatch: header says %d %s of weights, file has %d (the header does not describe this file)", want, unit, have)
}

// fillLayers cuts the layer-major arrays of llama2.c into per-layer views.
func fillLayers(ls []Layer, c Config, rmsAtt, rmsFFN, wq, wk, wv, wo, w1, w2, w3 []float32) {
	d, kv, h := c.Dim, c.KVDim(), c.HiddenDim
	part := func(s []float32, i, n int) []float32 { return s[i*n : (i+1)*n : (i+1)*n] }
	for i := range ls {
		ls[i] = Layer{
			AttnNorm: part(rmsAtt, i, d),
			WQ:       kernels.NewF32(part(wq, i, d*d), d, d),
			WK:       kernels.NewF32(part(wk, i, kv*d), kv, d),
			WV:       kernels.NewF32(part(wv, i, kv*d), kv, d),
			WO:       kernels.NewF32(part(wo, i, d*d), d, d),
			FFNNorm:  part(rmsFFN, i, d),
			W1:       kernels.NewF32(part(w1, i, h*d), h, d),
			W2:       kernels.NewF32(part(w2, i, d*h), d, h),
			W3:       kernels.NewF32(part(w3, i, h*d), h, d),
		}
	}
}

func llama2cModel(cfg Config, w Weights, format string, shared bool, meta map[string]string) *Model {
	meta["format"] = format
	for k, v := range map[string]int{
		"dim": cfg.Dim, "hidden_dim": cfg.HiddenDim, "n_layers": cfg.NLayers, "n_heads": cfg.NHeads,
		"n_kv_heads": cfg.NKVHeads, "vocab_size": cfg.VocabSize, "seq_len": cfg.SeqLen,
	} {
		meta["llama2c."+k] = strconv.Itoa(v)
	}
	meta["llama2c.shared_classifier"] = strconv.FormatBool(shared)
	return &Model{Config: cfg, Weights: w, Format: format, Meta: meta, EOG: []int{1}}
}

// cursor hands out consecutive views of a checked byte range. Its callers
// have checked the total size first, so running past the end is a bug.
type cursor struct {
	b       []byte
	off     int
	copyAll bool // decode into fresh slices rather than viewing b
}

func (c *cursor) bytes(n int) []byte {
	if n < 0 || n > len(c.b)-c.off {
		panic(errors.New("model: cursor past the checked size"))
	}
	s := c.b[c.off : c.off+n : c.off+n]
	c.off += n
	return s
}

func (c *cursor) f32(n int) []float32 {
	b := c.bytes(4 * n)
	if c.copyAll {
		return decodeF32(b)
	}
	return viewF32(b)
}

// decodeF32 copies little-endian float32s out of b.
func decodeF32(b []byte) []float32 {
	s := make([]float32, len(b)/4)
	for i := range s {
		s[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return s
}
