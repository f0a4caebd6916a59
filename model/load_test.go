package model

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model/gguf"
)

// stories260K is the header of the shared stories260K checkpoints.
var stories260K = Config{Dim: 64, HiddenDim: 172, NLayers: 5, NHeads: 8, NKVHeads: 4, VocabSize: 512, SeqLen: 512, RopeTheta: 10000, NormEps: 1e-5}

func sharedModel(t testing.TB, name string) string {
	t.Helper()
	dir, err := shared.Models()
	require.NoError(t, err)
	return filepath.Join(dir, name)
}

func loadShared(t testing.TB, name string, opt LoadOptions) *Model {
	t.Helper()
	m, err := Load(sharedModel(t, name), opt)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, m.Close()) })
	return m
}

func TestLoadShared(t *testing.T) {
	gguf260K := stories260K
	// llama.cpp's llama2.c converter writes its own n_ctx default (128) as
	// llama.context_length, not the checkpoint's seq_len.
	gguf260K.SeqLen = 128
	for _, tc := range []struct {
		file, format string
		cfg          Config
		eog          []int
		shared       bool
		params       int64
	}{
		{"stories260K.bin", FormatLlama2CLegacy, stories260K, []int{1}, true, 264128 - 4096},
		{"stories260K_v1.bin", FormatLlama2CV1, stories260K, []int{1}, true, 260032},
		// The GGUF has an untied copy of the embedding as output.weight.
		{"stories260K-f32.gguf", FormatGGUF, gguf260K, []int{2}, false, 260032 + 512*64},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m := loadShared(t, tc.file, LoadOptions{})
			assert.Equal(t, tc.format, m.Format)
			assert.Equal(t, tc.cfg, m.Config)
			assert.Equal(t, tc.eog, m.EOG)
			assert.Equal(t, tc.shared, m.SharedClassifier())
			assert.Equal(t, tc.params, m.ParamCount())
			assert.Equal(t, sharedModel(t, tc.file), m.Path)
			assert.Equal(t, tc.format, m.Meta["format"])
			// Every llama2.c file here finds tok512.bin beside it.
			require.NotNil(t, m.Vocab)
			assert.Len(t, m.Vocab.Pieces, 512)
			assert.Equal(t, "<0x0A>", m.Vocab.Pieces[13])
			assert.Equal(t, 1, m.Vocab.BOS)
			assert.Equal(t, 2, m.Vocab.EOS)
		})
	}
}

func TestLoadSharedMeta(t *testing.T) {
	m := loadShared(t, "stories260K.bin", LoadOptions{})
	assert.Equal(t, "64", m.Meta["llama2c.dim"])
	assert.Equal(t, "4", m.Meta["llama2c.n_kv_heads"])
	assert.Equal(t, "true", m.Meta["llama2c.shared_classifier"])
	assert.Equal(t, sharedModel(t, "tok512.bin"), m.Meta["tokenizer"])

	g := loadShared(t, "stories260K-f32.gguf", LoadOptions{})
	assert.Equal(t, `"llama"`, g.Meta["general.architecture"])
	assert.Equal(t, "172", g.Meta["llama.feed_forward_length"])
	assert.Equal(t, "1e-05", g.Meta["llama.attention.layer_norm_rms_epsilon"])
	assert.Equal(t, "3", g.Meta["gguf.version"])
	assert.Equal(t, "48", g.Meta["gguf.tensor_count"])
	assert.Equal(t, `[512 × string] "<unk>" "<s>" "</s>" "<0x00>" "<0x01>" "<0x02>" "<0x03>" "<0x04>" …`, g.Meta["tokenizer.ggml.tokens"])
	assert.Equal(t, `[512 × int32] 2 3 3 6 6 6 6 6 …`, g.Meta["tokenizer.ggml.token_type"])
	assert.Equal(t, tokenizerSpace(g), "▁")
}

func tokenizerSpace(m *Model) string { return m.Vocab.Space }

// The legacy and v1 files are the same model in two layouts.
func TestLegacyAndV1Identical(t *testing.T) {
	a := loadShared(t, "stories260K.bin", LoadOptions{NoTokenizer: true})
	b := loadShared(t, "stories260K_v1.bin", LoadOptions{NoTokenizer: true})
	sameBits(t, allWeights(t, a), allWeights(t, b))
	// Spot values, read independently from the files' bytes: the first
	// float after each header is tok_emb[0][0] (legacy) and
	// rms_att[0][0] (v1).
	assert.Equal(t, readF32(t, "stories260K.bin", 28), a.Weights.TokEmb.F32[0])
	assert.Equal(t, readF32(t, "stories260K_v1.bin", 256), b.Weights.Layers[0].AttnNorm[0])
}

func readF32(t *testing.T, name string, off int64) float32 {
	f, err := os.Open(sharedModel(t, name))
	require.NoError(t, err)
	defer f.Close()
	var b [4]byte
	_, err = f.ReadAt(b[:], off)
	require.NoError(t, err)
	return math.Float32frombits(binary.LittleEndian.Uint32(b[:]))
}

// llama.cpp's llama2.c converter copies wq and wk unpermuted: ggml's
// "normal" RoPE rotates adjacent pairs like llama2.c, so the GGUF weights
// are bit-identical to the checkpoint's.
func TestGGUFMatchesLlama2C(t *testing.T) {
	a := loadShared(t, "stories260K.bin", LoadOptions{NoTokenizer: true})
	g := loadShared(t, "stories260K-f32.gguf", LoadOptions{NoTokenizer: true})
	sameBits(t, allWeights(t, a), allWeights(t, g))
	assert.Nil(t, g.Vocab)
	assert.Equal(t, []int{2}, g.EOG, "EOG does not depend on loading the vocabulary")
}

func TestLoadNoMmap(t *testing.T) {
	for _, file := range []string{"stories260K.bin", "stories260K_v1.bin", "stories260K-f32.gguf"} {
		t.Run(file, func(t *testing.T) {
			a := loadShared(t, file, LoadOptions{NoTokenizer: true})
			b := loadShared(t, file, LoadOptions{NoTokenizer: true, NoMmap: true})
			sameBits(t, allWeights(t, a), allWeights(t, b))
		})
	}
}

// copyFile copies a shared model into dir, optionally truncated to n bytes.
func copyFile(t *testing.T, src, dir, name string, n int64) string {
	t.Helper()
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	if n >= 0 {
		data = data[:n]
	}
	dst := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(dst, data, 0o644))
	return dst
}

func TestTokenizerRule(t *testing.T) {
	dir := t.TempDir()
	bin := copyFile(t, sharedModel(t, "stories260K.bin"), dir, "stories260K.bin", -1)

	m, err := Load(bin, LoadOptions{})
	require.NoError(t, err)
	assert.Nil(t, m.Vocab, "no tok512.bin beside it")
	require.NoError(t, m.Close())

	// tokenizer.bin beside a 512-token model is not taken: it is the
	// 32000-token Llama vocabulary.
	copyFile(t, sharedModel(t, "tokenizer.bin"), dir, "tokenizer.bin", -1)
	m, err = Load(bin, LoadOptions{})
	require.NoError(t, err)
	assert.Nil(t, m.Vocab)
	require.NoError(t, m.Close())

	m, err = Load(bin, LoadOptions{Tokenizer: sharedModel(t, "tok512.bin")})
	require.NoError(t, err)
	require.NotNil(t, m.Vocab)
	assert.Len(t, m.Vocab.Pieces, 512)
	require.NoError(t, m.Close())

	copyFile(t, sharedModel(t, "tok512.bin"), dir, "tok512.bin", -1)
	m, err = Load(bin, LoadOptions{})
	require.NoError(t, err)
	require.NotNil(t, m.Vocab)
	require.NoError(t, m.Close())

	m, err = Load(bin, LoadOptions{NoTokenizer: true})
	require.NoError(t, err)
	assert.Nil(t, m.Vocab)
	require.NoError(t, m.Close())

	_, err = Load(bin, LoadOptions{Tokenizer: filepath.Join(dir, "missing.bin")})
	assert.ErrorContains(t, err, "missing.bin")
}

func TestLoadErrorsNameFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		src  string
		n    int64
		want string
	}{
		{"stories260K.bin", 28 + 4000, "stories260K.bin: truncated: header says 264128 floats of weights, file has 1000"},
		{"stories260K.bin", 20, "stories260K.bin: truncated: 20 bytes, a llama2.c header needs 28"},
		{"stories260K_v1.bin", 256 + 40, "stories260K_v1.bin: truncated: header says 260032 floats of weights, file has 10"},
		{"stories260K_v1.bin", 100, "stories260K_v1.bin: truncated: 100 bytes, a llama2.c v1 header needs 256"},
		{"stories260K-f32.gguf", 500000, "stories260K-f32.gguf: tensor blk.1.attn_output.weight: data [491104, 507488) runs past the end of the file (500000 bytes): truncated"},
		{"stories260K-f32.gguf", 100, "stories260K-f32.gguf: metadata count 19: needs at least 13 bytes per item but only 76 bytes are left: unexpected end of file"},
		{"stories260K-f32.gguf", 3000, "stories260K-f32.gguf: metadata tokenizer.ggml.tokens: array of 512 string: needs at least 8 bytes per item but only 2931 bytes are left: unexpected end of file"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			p := copyFile(t, sharedModel(t, tc.src), dir, tc.src, tc.n)
			_, err := Load(p, LoadOptions{NoTokenizer: true})
			require.Error(t, err)
			assert.Equal(t, filepath.Join(dir, tc.want), err.Error())
		})
	}
	_, err := Load(filepath.Join(dir, "nope.bin"), LoadOptions{})
	assert.ErrorContains(t, err, "nope.bin")
	_, err = Load(dir, LoadOptions{})
	assert.ErrorContains(t, err, "is not a regular file")
}

// ggufEdit re-writes a parsed GGUF file with changed metadata and tensors,
// for building files the writer alone would not make.
type ggufEdit struct {
	kv     func(key string, v any) (any, bool) // new value, keep
	tensor func(ti *gguf.TensorInfo, data []byte) (gguf.TensorType, []uint64, []byte)
}

func rewriteGGUF(t testing.TB, data []byte, e ggufEdit) []byte {
	t.Helper()
	f, err := gguf.Parse(data)
	require.NoError(t, err)
	w := gguf.NewWriter()
	for _, kv := range f.KV.All() {
		v, keep := kv.Value, true
		if e.kv != nil {
			v, keep = e.kv(kv.Key, v)
		}
		if keep {
			require.NoError(t, w.Set(kv.Key, v))
		}
	}
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		b, err := f.TensorData(ti)
		require.NoError(t, err)
		typ, dims := ti.Type, ti.Dims
		if e.tensor != nil {
			typ, dims, b = e.tensor(ti, b)
		}
		if b == nil {
			continue
		}
		require.NoError(t, w.AddTensorBytes(ti.Name, typ, dims, b))
	}
	var buf bytes.Buffer
	_, err = w.WriteTo(&buf)
	require.NoError(t, err)
	return buf.Bytes()
}

// quantizeQ8 encodes float32 rows as GGUF Q8_0 blocks: per 32 values an
// F16 scale d = max|x|/127 and int8 round(x/d).
func quantizeQ8(x []float32) []byte {
	out := make([]byte, 0, len(x)/32*34)
	for b := 0; b < len(x); b += 32 {
		blk := x[b : b+32]
		var amax float32
		for _, v := range blk {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d := amax / 127
		h := kernels.F32ToF16(d)
		out = binary.LittleEndian.AppendUint16(out, h)
		inv := float32(0)
		if d != 0 {
			inv = 1 / d
		}
		for _, v := range blk {
			out = append(out, byte(int8(math.Round(float64(v*inv)))))
		}
	}
	return out
}

func TestGGUFQuantizedTensors(t *testing.T) {
	// Q8_0 needs rows of a multiple of 32 values.
	cfg := Config{Dim: 32, HiddenDim: 64, NLayers: 2, NHeads: 4, NKVHeads: 2, VocabSize: 300, SeqLen: 16, RopeTheta: 10000, NormEps: 1e-5}
	data := synthBytes(t, cfg, 11, true, FormatGGUF)
	ref, err := parseModel(data, true)
	require.NoError(t, err)
	for _, typ := range []gguf.TensorType{gguf.F16, gguf.Q8_0} {
		t.Run(typ.String(), func(t *testing.T) {
			q := rewriteGGUF(t, data, ggufEdit{tensor: func(ti *gguf.TensorInfo, b []byte) (gguf.TensorType, []uint64, []byte) {
				x := decodeF32(b)
				switch {
				case len(ti.Dims) != 2: // norms stay F32
					return ti.Type, ti.Dims, b
				case typ == gguf.F16:
					out := make([]byte, 0, 2*len(x))
					for _, v := range x {
						out = binary.LittleEndian.AppendUint16(out, kernels.F32ToF16(v))
					}
					return typ, ti.Dims, out
				}
				return typ, ti.Dims, quantizeQ8(x)
			}})
			m, err := parseModel(q, true)
			require.NoError(t, err)
			want, got := allWeights(t, ref), allWeights(t, m)
			tol := map[gguf.TensorType]float64{gguf.F16: 1e-4, gguf.Q8_0: 0.002}[typ]
			for i := range want {
				assert.InDeltaSlice(t, want[i], got[i], tol, "tensor %d", i)
			}
			wantType := map[gguf.TensorType]kernels.DType{gguf.F16: kernels.F16, gguf.Q8_0: kernels.Q8_0}[typ]
			assert.Equal(t, wantType, m.Weights.Layers[0].WQ.Type)
			assert.Equal(t, wantType, m.Weights.Output.Type)
		})
	}
}

func TestGGUFModelErrors(t *testing.T) {
	data := synthBytes(t, small, 1, false, FormatGGUF)
	for _, tc := range []struct {
		name string
		edit ggufEdit
		want string
	}{
		{"unsupported type", ggufEdit{tensor: func(ti *gguf.TensorInfo, b []byte) (gguf.TensorType, []uint64, []byte) {
			if ti.Name == "blk.0.attn_q.weight" {
				return gguf.IQ4_NL, ti.Dims, make([]byte, len(b)/4/32*18)
			}
			return ti.Type, ti.Dims, b
		}}, "tensor blk.0.attn_q.weight has type IQ4_NL, which degen does not support (supported: F32, F16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, BF16)"},
		{"missing tensor", ggufEdit{tensor: func(ti *gguf.TensorInfo, b []byte) (gguf.TensorType, []uint64, []byte) {
			if ti.Name == "blk.2.ffn_up.weight" {
				return 0, nil, nil
			}
			return ti.Type, ti.Dims, b
		}}, "tensor blk.2.ffn_up.weight is missing"},
		{"wrong shape", ggufEdit{kv: func(k string, v any) (any, bool) {
			if k == "llama.feed_forward_length" {
				return uint32(64), true
			}
			return v, true
		}}, "tensor blk.0.ffn_gate.weight has ne [32 48], the config needs [32 64]"},
		{"transposed", ggufEdit{tensor: func(ti *gguf.TensorInfo, b []byte) (gguf.TensorType, []uint64, []byte) {
			if ti.Name == "blk.1.ffn_down.weight" {
				return ti.Type, []uint64{ti.Dims[1], ti.Dims[0]}, b
			}
			return ti.Type, ti.Dims, b
		}}, "tensor blk.1.ffn_down.weight has ne [32 48], the config needs [48 32]"},
		{"other architecture", ggufEdit{kv: func(k string, v any) (any, bool) {
			if k == "general.architecture" {
				return "gpt2", true
			}
			return v, true
		}}, `architecture "gpt2" is not supported (supported: gemma3, llama, qwen2, qwen3)`},
		{"no architecture", ggufEdit{kv: func(k string, v any) (any, bool) { return v, k != "general.architecture" }}, "metadata key general.architecture: missing key"},
		{"missing dim", ggufEdit{kv: func(k string, v any) (any, bool) { return v, k != "llama.embedding_length" }}, "metadata key llama.embedding_length: missing key"},
		{"float block count", ggufEdit{kv: func(k string, v any) (any, bool) {
			if k == "llama.block_count" {
				return float32(3), true
			}
			return v, true
		}}, "metadata key llama.block_count: want unsigned integer, file has float32"},
		{"bad config", ggufEdit{kv: func(k string, v any) (any, bool) {
			if k == "llama.attention.head_count_kv" {
				return uint32(3), true
			}
			return v, true
		}}, "n_heads 4 is not a multiple of n_kv_heads 3"},
		{"tokens count", ggufEdit{kv: func(k string, v any) (any, bool) {
			if k == "tokenizer.ggml.tokens" {
				return v.(gguf.Array).Values.([]string)[:299], true
			}
			return v, true
		}}, "tokenizer has 299 tokens but 300 scores and 300 types"},
		{"scores count", ggufEdit{kv: func(k string, v any) (any, bool) {
			if k == "tokenizer.ggml.scores" {
				return []float32{1, 2}, true
			}
			return v, true
		}}, "tokenizer has 300 tokens but 2 scores and 300 types"},
		{"eos outside", ggufEdit{kv: func(k string, v any) (any, bool) {
			if k == "tokenizer.ggml.eos_token_id" {
				return uint32(300), true
			}
			return v, true
		}}, "metadata key tokenizer.ggml.eos_token_id: token 300 is outside the vocabulary of 300"},
		{"other tokenizer", ggufEdit{kv: func(k string, v any) (any, bool) {
			if k == "tokenizer.ggml.model" {
				return "bert", true
			}
			return v, true
		}}, `tokenizer model "bert" is not supported (only "llama", SentencePiece, and "gpt2", byte-level BPE)`},
		{"gpt2 without merges", ggufEdit{kv: func(k string, v any) (any, bool) {
			if k == "tokenizer.ggml.model" {
				return "gpt2", true
			}
			return v, true
		}}, `tokenizer.ggml.merges: a gpt2 vocabulary needs merges`},
		{"partial rope", ggufEdit{kv: func(k string, v any) (any, bool) {
			if k == "llama.rope.dimension_count" {
				return uint32(4), true
			}
			return v, true
		}}, "llama.rope.dimension_count 4 differs from the head size 8: partial RoPE is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseModel(rewriteGGUF(t, data, tc.edit), false)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestGGUFDefaultsAndEOG(t *testing.T) {
	data := synthBytes(t, small, 1, false, FormatGGUF)
	// Without head_count_kv, rope base, epsilon and vocab_size the
	// defaults apply (kv heads = heads, 10000, 1e-5, number of tokens);
	// eot/eom ids join the end-of-generation set.
	drop := map[string]bool{"llama.rope.freq_base": true, "llama.attention.layer_norm_rms_epsilon": true, "llama.vocab_size": true, "tokenizer.ggml.add_bos_token": true}
	q := rewriteGGUF(t, data, ggufEdit{kv: func(k string, v any) (any, bool) {
		switch k {
		case "llama.attention.head_count_kv":
			return uint32(4), true
		case "tokenizer.ggml.eos_token_id":
			return v, true
		}
		return v, !drop[k]
	}})
	q = rewriteGGUF(t, q, ggufEdit{
		kv: func(k string, v any) (any, bool) { return v, k != "llama.attention.head_count_kv" },
		tensor: func(ti *gguf.TensorInfo, b []byte) (gguf.TensorType, []uint64, []byte) {
			if strings.Contains(ti.Name, "attn_k") || strings.Contains(ti.Name, "attn_v") {
				return ti.Type, []uint64{32, 32}, append(b, b...) // 4 kv heads
			}
			return ti.Type, ti.Dims, b
		},
	})
	w := gguf.NewWriter()
	f, err := gguf.Parse(q)
	require.NoError(t, err)
	for _, kv := range f.KV.All() {
		require.NoError(t, w.Set(kv.Key, kv.Value))
	}
	require.NoError(t, w.Set("tokenizer.ggml.eot_token_id", uint32(5)))
	require.NoError(t, w.Set("tokenizer.ggml.eom_token_id", int32(2))) // same as eos: once
	for i := range f.Tensors {
		b, err := f.TensorData(&f.Tensors[i])
		require.NoError(t, err)
		require.NoError(t, w.AddTensorBytes(f.Tensors[i].Name, f.Tensors[i].Type, f.Tensors[i].Dims, b))
	}
	var buf bytes.Buffer
	_, err = w.WriteTo(&buf)
	require.NoError(t, err)

	m, err := parseModel(buf.Bytes(), false)
	require.NoError(t, err)
	want := small
	want.NKVHeads = 4
	assert.Equal(t, want, m.Config)
	assert.Equal(t, []int{2, 5}, m.EOG)
	assert.True(t, m.Vocab.AddBOS)
}

// Every prefix of a model file is an error, never a panic.
func TestTruncatedEverywhere(t *testing.T) {
	for _, format := range []string{FormatLlama2CLegacy, FormatLlama2CV1, FormatGGUF} {
		t.Run(format, func(t *testing.T) {
			data := synthBytes(t, tiny, 1, true, format)
			full, err := parseModel(data, false)
			require.NoError(t, err)
			// GGUF pads after the last tensor; cutting into that padding
			// loses nothing.
			end := len(data)
			if format == FormatGGUF {
				f, err := gguf.Parse(data)
				require.NoError(t, err)
				last := f.Tensors[len(f.Tensors)-1]
				size, _ := last.Size()
				end = int(f.DataOffset + last.Offset + size)
			}
			for n := range end {
				cut := bytes.Clone(data[:n]) // exact capacity: overruns would fault
				_, err := parseModel(cut, false)
				require.Error(t, err, "prefix of %d bytes", n)
			}
			for n := end; n <= len(data); n++ {
				m, err := parseModel(data[:n], false)
				require.NoError(t, err)
				sameBits(t, allWeights(t, full), allWeights(t, m))
			}
		})
	}
}

// Flipping any bit of a header (and the start of the GGUF metadata) gives an
// error or a model whose tensors all match its config, never a panic.
func TestBitFlippedHeaders(t *testing.T) {
	for _, tc := range []struct {
		format string
		bytes  int
		// harmless reports the header bytes whose flips may load: the
		// llama2.c sizes all change the file size the header implies,
		// except v1's seq_len (no freq_cis tables) and its zero padding.
		harmless func(i int) bool
	}{
		{FormatLlama2CLegacy, legacyHeaderBytes, func(int) bool { return false }},
		{FormatLlama2CV1, 64, func(i int) bool { return i >= 32 && i < 36 || i > 8+legacyHeaderBytes }},
		{FormatGGUF, 512, nil},
	} {
		t.Run(tc.format, func(t *testing.T) {
			data := synthBytes(t, tiny, 1, false, tc.format)
			accepted := 0
			for i := range tc.bytes * 8 {
				b := bytes.Clone(data)
				b[i/8] ^= 1 << (i % 8)
				m, err := parseModel(b, false)
				if err != nil {
					continue
				}
				accepted++
				checkConsistent(t, m)
				if tc.harmless != nil {
					assert.True(t, tc.harmless(i/8), "flip of bit %d of byte %d loads", i%8, i/8)
				}
			}
			t.Logf("%d of %d flips still load", accepted, tc.bytes*8)
		})
	}
}

// checkConsistent verifies that a loaded model's tensors have the shapes
// its config implies, so a forward pass over it cannot go out of range.
func checkConsistent(t *testing.T, m *Model) {
	t.Helper()
	c := m.Config
	require.NoError(t, c.Validate())
	w := &m.Weights
	check := func(name string, x *kernels.Mat, rows, cols int) {
		require.Equal(t, [2]int{rows, cols}, [2]int{x.Rows, x.Cols}, name)
		switch x.Type {
		case kernels.F32:
			require.Len(t, x.F32, rows*cols, name)
		default:
			require.Len(t, x.Raw, rows*x.Type.RowBytes(cols), name)
		}
	}
	check("tok_emb", &w.TokEmb, c.VocabSize, c.Dim)
	check("output", &w.Output, c.VocabSize, c.Dim)
	require.Len(t, w.FinalNorm, c.Dim)
	require.Len(t, w.Layers, c.NLayers)
	for i := range w.Layers {
		l := &w.Layers[i]
		n := fmt.Sprint("layer ", i)
		require.Len(t, l.AttnNorm, c.Dim, n)
		require.Len(t, l.FFNNorm, c.Dim, n)
		check(n+" wq", &l.WQ, c.Dim, c.Dim)
		check(n+" wk", &l.WK, c.KVDim(), c.Dim)
		check(n+" wv", &l.WV, c.KVDim(), c.Dim)
		check(n+" wo", &l.WO, c.Dim, c.Dim)
		check(n+" w1", &l.W1, c.HiddenDim, c.Dim)
		check(n+" w2", &l.W2, c.Dim, c.HiddenDim)
		check(n+" w3", &l.W3, c.HiddenDim, c.Dim)
	}
	if m.Vocab != nil {
		require.Len(t, m.Vocab.Pieces, c.VocabSize)
		require.Len(t, m.Vocab.Scores, c.VocabSize)
	}
}

func TestLegacyHeaderChecks(t *testing.T) {
	data := synthBytes(t, tiny, 1, false, FormatLlama2CLegacy)
	set := func(i int, v int32) []byte {
		b := bytes.Clone(data)
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"zero dim", set(0, 0), "every size must be positive"},
		{"negative layers", set(2, -2), "every size must be positive"},
		{"huge vocab", set(5, math.MaxInt32), "implausibly large"},
		{"min int vocab", set(5, math.MinInt32), "implausibly large"},
		{"odd head", set(3, 8), "head size 1 is odd"},
		{"more layers", set(2, 3), "truncated: header says"},
		{"fewer layers", set(2, 1), "size mismatch: header says"},
		{"text file", []byte("Once upon a time, there was a little dog named Sam."), "not a GGUF or llama2.c v1 file"},
		{"untied claimed", set(5, -16), "truncated: header says 1288 floats of weights, file has 1160"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseModel(tc.data, false)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// Extra bytes on a correct file are refused too: the size check is
	// all that identifies a legacy checkpoint.
	_, err := parseModel(append(bytes.Clone(data), 0, 0, 0, 0), false)
	assert.ErrorContains(t, err, "size mismatch: header says 1160 floats of weights, file has 1161")
}

func TestCloseTwice(t *testing.T) {
	m, err := Load(sharedModel(t, "stories260K.bin"), LoadOptions{NoTokenizer: true})
	require.NoError(t, err)
	require.NoError(t, m.Close())
	require.NoError(t, m.Close())
}
