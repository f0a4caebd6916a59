package model

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/degen-llm/degen/model/gguf"
	"github.com/degen-llm/degen/model/tokenizer"
)

// Stories15M and Stories110M are the shapes of karpathy's tinyllamas
// checkpoints, which are not available offline: Synth makes random-weight
// models of these shapes, whose cost per token is the real one.
var (
	Stories15M  = Config{Dim: 288, HiddenDim: 768, NLayers: 6, NHeads: 6, NKVHeads: 6, VocabSize: 32000, SeqLen: 256, RopeTheta: 10000, NormEps: 1e-5}
	Stories110M = Config{Dim: 768, HiddenDim: 2048, NLayers: 12, NHeads: 12, NKVHeads: 12, VocabSize: 32000, SeqLen: 1024, RopeTheta: 10000, NormEps: 1e-5}
)

// Llama3Rope is Llama 3.1's RoPE scaling (Hugging Face rope_type
// "llama3"): frequencies whose wavelength is shorter than
// OrigContext/HighFreqFactor stay, those longer than
// OrigContext/LowFreqFactor are divided by Factor, and a smooth ramp joins
// the two. GGUF files carry the result as the tensor rope_freqs.weight.
type Llama3Rope struct {
	Factor, LowFreqFactor, HighFreqFactor float64
	OrigContext                           int
}

// Factors are the per-pair divisors of rope_freqs.weight (head_dim/2) for
// RoPE base theta, as llama.cpp's converter computes them.
func (r Llama3Rope) Factors(headDim int, theta float64) []float32 {
	lowWave := float64(r.OrigContext) / r.LowFreqFactor
	highWave := float64(r.OrigContext) / r.HighFreqFactor
	out := make([]float32, headDim/2)
	for i := range out {
		freq := 1 / math.Pow(theta, float64(2*i)/float64(headDim))
		wave := 2 * math.Pi / freq
		switch {
		case wave < highWave:
			out[i] = 1
		case wave > lowWave:
			out[i] = float32(r.Factor)
		default:
			smooth := (float64(r.OrigContext)/wave - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor)
			out[i] = float32(1 / ((1-smooth)/r.Factor + smooth))
		}
	}
	return out
}

// Preset is a named shape: the Config of a real model, whether its
// classifier is separate, and its RoPE scaling tensor if any.
type Preset struct {
	Config     Config
	Untied     bool
	Llama3Rope *Llama3Rope
}

// Presets are the shapes Synth knows by name: karpathy's tinyllamas and the
// small models people run, with the hyperparameters of their Hugging Face
// config.json files.
var Presets = map[string]Preset{
	"stories15M":  {Config: Stories15M},
	"stories110M": {Config: Stories110M},
	"qwen2.5-0.5b": {Config: Config{Arch: "qwen2", Dim: 896, HiddenDim: 4864, NLayers: 24, NHeads: 14, NKVHeads: 2,
		VocabSize: 151936, SeqLen: 32768, RopeTheta: 1e6, NormEps: 1e-6}},
	"qwen3-0.6b": {Config: Config{Arch: "qwen3", Dim: 1024, HiddenDim: 3072, NLayers: 28, NHeads: 16, NKVHeads: 8, HeadSize: 128,
		VocabSize: 151936, SeqLen: 40960, RopeTheta: 1e6, NormEps: 1e-6}},
	"llama3.2-1b": {Config: Config{Dim: 2048, HiddenDim: 8192, NLayers: 16, NHeads: 32, NKVHeads: 8,
		VocabSize: 128256, SeqLen: 131072, RopeTheta: 500000, NormEps: 1e-5},
		Llama3Rope: &Llama3Rope{Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OrigContext: 8192}},
	"smollm2-135m": {Config: Config{Dim: 576, HiddenDim: 1536, NLayers: 30, NHeads: 9, NKVHeads: 3,
		VocabSize: 49152, SeqLen: 8192, RopeTheta: 100000, NormEps: 1e-5}},
	"gemma3-1b": {Config: Config{Arch: "gemma3", Dim: 1152, HiddenDim: 6912, NLayers: 26, NHeads: 4, NKVHeads: 1, HeadSize: 256,
		VocabSize: 262144, SeqLen: 32768, RopeTheta: 1e6, NormEps: 1e-6, Window: 512, SWAPeriod: 6, RopeThetaLocal: 10000}},
}

// Shape is the preset shape of that name.
func Shape(name string) (Config, bool) {
	p, ok := Presets[name]
	return p.Config, ok
}

// PresetNames lists the presets, for help and error messages.
func PresetNames() string {
	var names []string
	for n := range Presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// Synthetic is a random-weight model of a given shape. Its weights are a
// pure function of (Config, Seed, tensor): every format gets the same
// numbers, and the same seed always gives the same file. Matrices are
// normal with standard deviation 0.02 (GPT-2/llama2.c's init) and norm
// weights 1 ± 0.01, so activations stay finite through any depth.
type Synthetic struct {
	Config Config
	Seed   uint64
	// Untied writes a separate classifier instead of sharing the token
	// embedding.
	Untied bool
	// Type is the file type of the GGUF weight matrices (all F32 when
	// zero): one type, or a mix such as Q4_K_M; norms, biases and RoPE
	// factors stay F32, as in llama.cpp's files.
	Type FileType
	// Llama3Rope, when set, writes rope_freqs.weight (GGUF only).
	Llama3Rope *Llama3Rope
	// VocabKVs replace the synthetic vocabulary's tokenizer.* metadata,
	// e.g. with a real vocabulary (their token count must be the Config's
	// VocabSize).
	VocabKVs []gguf.KV
}

// Synth describes a random-weight model; write it with Write or WriteFile.
// RopeTheta and NormEps default to llama2.c's when zero.
func Synth(cfg Config, seed uint64) (*Synthetic, error) {
	if cfg.RopeTheta == 0 {
		cfg.RopeTheta = 10000
	}
	if cfg.NormEps == 0 {
		cfg.NormEps = 1e-5
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Synthetic{Config: cfg, Seed: seed}, nil
}

// Write writes the model in format FormatLlama2CLegacy, FormatLlama2CV1 or
// FormatGGUF (F32, with the vocabulary of Vocab). llama2.c formats store
// no RoPE base or epsilon: they are llama2.c's defaults on load.
func (s *Synthetic) Write(w io.Writer, format string) error {
	switch format {
	case FormatLlama2CLegacy, FormatLlama2CV1:
		bw := bufio.NewWriterSize(w, 1<<16)
		if err := s.writeLlama2C(bw, format == FormatLlama2CV1); err != nil {
			return err
		}
		return bw.Flush()
	case FormatGGUF:
		return s.writeGGUF(w)
	}
	return fmt.Errorf("synthetic model: unknown format %q", format)
}

// WriteFile writes the model to path, through a temporary file renamed into
// place, so a reader never sees a partial file.
func (s *Synthetic) WriteFile(path, format string) error {
	err := WriteFileAtomic(path, func(w io.Writer) error { return s.Write(w, format) })
	if err != nil {
		return fmt.Errorf("writing synthetic model %s: %w", path, err)
	}
	return nil
}

// SynthFile returns the path of the synthetic model (cfg, seed) in format
// inside dir, writing it first unless a previous call already did: the
// name encodes the shape, seed and format. Use a cache folder for the
// large presets (stories15M is 60 MB, stories110M 440 MB).
func SynthFile(dir string, cfg Config, seed uint64, format string) (string, error) {
	s, err := Synth(cfg, seed)
	if err != nil {
		return "", err
	}
	ext := ".bin"
	if format == FormatGGUF {
		ext = ".gguf"
	}
	c := s.Config
	name := fmt.Sprintf("synth-%dx%dx%d-h%d-kv%d-v%d-s%d-seed%d-%s%s",
		c.Dim, c.HiddenDim, c.NLayers, c.NHeads, c.NKVHeads, c.VocabSize, c.SeqLen, seed, format, ext)
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return path, s.WriteFile(path, format)
}

// tensor kinds, named as in GGUF; the seed of each tensor's generator
// mixes the model seed with its kind and layer.
const (
	kTokEmb = "token_embd"
	kOutput = "output"
	kNorm   = "output_norm"
)

// rng is the generator of one tensor (kind, layer) and the normal law its
// values follow.
func (s *Synthetic) rng(kind string, layer int) (r *rand.Rand, mean, std float64) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", kind, layer)
	mean, std = 0.0, 0.02
	if strings.HasSuffix(kind, "norm") {
		mean, std = 1, 0.01
	}
	return rand.New(rand.NewPCG(s.Seed, h.Sum64())), mean, std
}

// rows streams a (rows, cols) tensor (kind, layer) row by row to f, with
// the values gen would write.
func (s *Synthetic) rows(kind string, layer, rows, cols int, f func(row []float32) error) error {
	rng, mean, std := s.rng(kind, layer)
	row := make([]float32, cols)
	for range rows {
		for i := range row {
			row[i] = float32(mean + std*rng.NormFloat64())
		}
		if err := f(row); err != nil {
			return err
		}
	}
	return nil
}

// gen streams n values of one tensor (kind, layer) to w as float32.
func (s *Synthetic) gen(w io.Writer, kind string, layer, n int) error {
	rng, mean, std := s.rng(kind, layer)
	var buf [1 << 14]byte
	for n > 0 {
		k := min(n, len(buf)/4)
		for i := range k {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(float32(mean+std*rng.NormFloat64())))
		}
		if _, err := w.Write(buf[:4*k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// layerKinds lists the per-layer tensors with their sizes, in llama2.c
// legacy order.
func (s *Synthetic) layerKinds() []struct {
	kind string
	n    int
} {
	c := s.Config
	d, kv, h := c.Dim, c.KVDim(), c.HiddenDim
	return []struct {
		kind string
		n    int
	}{
		{"attn_norm", d}, {"attn_q", d * d}, {"attn_k", kv * d}, {"attn_v", kv * d}, {"attn_output", d * d},
		{"ffn_norm", d}, {"ffn_gate", h * d}, {"ffn_down", d * h}, {"ffn_up", h * d},
	}
}

func (s *Synthetic) writeLlama2C(w io.Writer, v1 bool) error {
	c := s.Config
	vocab := int32(c.VocabSize)
	if s.Untied && !v1 {
		vocab = -vocab // legacy: a negative vocab_size flags the classifier
	}
	hdr := []int32{int32(c.Dim), int32(c.HiddenDim), int32(c.NLayers), int32(c.NHeads), int32(c.NKVHeads), vocab, int32(c.SeqLen)}
	if v1 {
		var b [llama2cHeaderBytes]byte
		binary.LittleEndian.PutUint32(b[0:], llama2cMagic)
		binary.LittleEndian.PutUint32(b[4:], 1)
		for i, x := range hdr {
			binary.LittleEndian.PutUint32(b[8+4*i:], uint32(x))
		}
		if !s.Untied {
			b[8+legacyHeaderBytes] = 1
		}
		if _, err := w.Write(b[:]); err != nil {
			return err
		}
	} else if err := binary.Write(w, binary.LittleEndian, hdr); err != nil {
		return err
	}

	kinds := s.layerKinds()
	all := func(k int) error { // one kind for every layer, layer-major
		for l := range c.NLayers {
			if err := s.gen(w, kinds[k].kind, l, kinds[k].n); err != nil {
				return err
			}
		}
		return nil
	}
	var order []int // indices into kinds
	if v1 {
		// norms first (attention, ffn, final), then the embedding and matrices
		for _, k := range []int{0, 5} {
			if err := all(k); err != nil {
				return err
			}
		}
		if err := s.gen(w, kNorm, 0, c.Dim); err != nil {
			return err
		}
		if err := s.gen(w, kTokEmb, 0, c.VocabSize*c.Dim); err != nil {
			return err
		}
		order = []int{1, 2, 3, 4, 6, 7, 8}
	} else {
		if err := s.gen(w, kTokEmb, 0, c.VocabSize*c.Dim); err != nil {
			return err
		}
		order = []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
	}
	for _, k := range order {
		if err := all(k); err != nil {
			return err
		}
	}
	if !v1 {
		if err := s.gen(w, kNorm, 0, c.Dim); err != nil {
			return err
		}
		// freq_cis_real then freq_cis_imag, (seq_len, head_size/2) each,
		// as export.py precomputes them (llama2.c ignores them).
		hs := c.HeadDim()
		for _, f := range []func(float64) float64{math.Cos, math.Sin} {
			vals := make([]float32, 0, c.SeqLen*hs/2)
			for p := range c.SeqLen {
				for i := 0; i < hs; i += 2 {
					freq := 1 / math.Pow(float64(c.RopeTheta), float64(i)/float64(hs))
					vals = append(vals, float32(f(float64(p)*freq)))
				}
			}
			if err := gguf.WriteF32(w, vals); err != nil {
				return err
			}
		}
	}
	if s.Untied {
		return s.gen(w, kOutput, 0, c.VocabSize*c.Dim)
	}
	return nil
}

func (s *Synthetic) writeGGUF(w io.Writer) error {
	c := s.Config
	g := gguf.NewWriter()
	kvs := []gguf.KV{
		{Key: "general.architecture", Value: c.ArchName()},
		{Key: "general.name", Value: fmt.Sprintf("synthetic seed %d", s.Seed)},
		{Key: "general.file_type", Value: uint32(s.Type.ID)},
	}
	kvs = append(kvs, archKVs(c)...)
	kvs = append(kvs, quantKVs(s.Type)...)
	if s.VocabKVs != nil {
		kvs = append(kvs, s.VocabKVs...)
	} else {
		v := s.Vocab()
		kvs = append(kvs, vocabKVs(v, v.Pieces, v.Types)...)
	}
	for _, kv := range kvs {
		if err := g.Set(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	// ne is innermost first: a (rows, cols) matrix has ne = [cols, rows].
	vec := func(name, kind string, layer, n int) error {
		return g.AddTensor(name, gguf.F32, []uint64{uint64(n)}, func(out io.Writer) error { return s.gen(out, kind, layer, n) })
	}
	if s.Type.Name == "" {
		s.Type = FileTypes[0] // f32
	}
	mat := func(name, kind string, layer, rows, cols int) error {
		t := s.Type.TypeOf(name, layer, cols, c, !s.Untied) // (layer is 0, not a block, for the embedding and classifier, which TypeOf tells by name)
		return g.AddTensor(name, gguf.TensorType(t.GGMLType()), []uint64{uint64(cols), uint64(rows)}, func(out io.Writer) error {
			buf := make([]byte, t.RowBytes(cols))
			return s.rows(kind, layer, rows, cols, func(row []float32) error {
				encodeRow(buf, row, t)
				_, err := out.Write(buf)
				return err
			})
		})
	}
	d, vs := c.Dim, c.VocabSize
	if err := mat(tokEmbName, kTokEmb, 0, vs, d); err != nil {
		return err
	}
	if err := vec(outNormName, kNorm, 0, d); err != nil {
		return err
	}
	if s.Untied {
		if err := mat(outputName, kOutput, 0, vs, d); err != nil {
			return err
		}
	}
	if r := s.Llama3Rope; r != nil {
		f := r.Factors(c.HeadDim(), float64(c.RopeTheta))
		if err := g.AddTensorF32(ropeFreqsName, []uint64{uint64(len(f))}, f); err != nil {
			return err
		}
	}
	var l Layer
	for i := range c.NLayers {
		// llama2.c's order for the llama tensors (the file's bytes and
		// values stay what they were), the architecture's own after.
		vecs := map[string]layerVec{}
		for _, v := range l.vecs(c) {
			vecs[v.name] = v
		}
		mats := map[string]layerMat{}
		for _, m := range l.mats(c) {
			mats[m.name] = m
		}
		order := []string{"attn_norm.weight", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm.weight", "ffn_gate", "ffn_down", "ffn_up"}
		for _, v := range l.vecs(c)[2:] {
			order = append(order, v.name)
		}
		for _, name := range order {
			var err error
			if m, ok := mats[name]; ok {
				err = mat(fmt.Sprintf("blk.%d.%s.weight", i, name), name, i, m.rows, m.cols)
			} else {
				v := vecs[name]
				kind := strings.TrimSuffix(strings.TrimSuffix(name, ".weight"), ".bias")
				if strings.HasSuffix(name, ".bias") {
					kind += "_bias" // biases are centred at 0, norms at 1
				}
				err = vec(fmt.Sprintf("blk.%d.%s", i, name), kind, i, v.n)
			}
			if err != nil {
				return err
			}
		}
	}
	_, err := g.WriteTo(w)
	return err
}

// Vocab is the synthetic vocabulary: <unk>, <s>, </s>, the 256 byte tokens
// <0x00>…<0xFF> when the vocabulary has room for them, then distinct
// filler pieces ("▁", "a", …, "▁a", …) with decreasing scores, up to the
// vocabulary size. Pieces use GGUF's "▁" for a space.
func (s *Synthetic) Vocab() *tokenizer.Vocab {
	n := s.Config.VocabSize
	v := &tokenizer.Vocab{Model: tokenizer.ModelSPM, UNK: 0, BOS: 1, EOS: 2, AddBOS: true, AddSpacePrefix: true, Space: tokenizer.SpaceGGUF}
	push := func(p string, score float32, typ int32) {
		if len(v.Pieces) < n {
			v.Pieces = append(v.Pieces, p)
			v.Scores = append(v.Scores, score)
			v.Types = append(v.Types, typ)
		}
	}
	push("<unk>", 0, tokenizer.TypeUnknown)
	push("<s>", 0, tokenizer.TypeControl)
	push("</s>", 0, tokenizer.TypeControl)
	if n >= 3+256 {
		for b := range 256 {
			push(fmt.Sprintf("<0x%02X>", b), 0, tokenizer.TypeByte)
		}
	}
	alphabet := []string{tokenizer.SpaceGGUF}
	for r := 'a'; r <= 'z'; r++ {
		alphabet = append(alphabet, string(r))
	}
	// Strings over the alphabet by increasing length, in order.
	level := []string{""}
	for rank := 0; len(v.Pieces) < n; {
		var next []string
		for _, p := range level {
			for _, a := range alphabet {
				next = append(next, p+a)
			}
		}
		for _, p := range next {
			push(p, -float32(rank), tokenizer.TypeNormal)
			rank++
			if len(v.Pieces) == n {
				break
			}
		}
		level = next
	}
	v.EOG = tokenizer.FindEOG(v)
	return v
}

// WriteTokenizer writes Vocab as a llama2.c tokenizer file (int32
// max_token_length, then per token a float32 score, an int32 length and
// the bytes), with "▁" turned back into the space llama2.c files use.
func (s *Synthetic) WriteTokenizer(w io.Writer) error {
	v := s.Vocab()
	pieces := make([]string, len(v.Pieces))
	maxLen := 0
	for i, p := range v.Pieces {
		pieces[i] = strings.ReplaceAll(p, tokenizer.SpaceGGUF, tokenizer.SpaceLlama2C)
		maxLen = max(maxLen, len(pieces[i]))
	}
	bw := bufio.NewWriter(w)
	le := binary.LittleEndian
	var b [4]byte
	put := func(x uint32) { le.PutUint32(b[:], x); bw.Write(b[:]) }
	put(uint32(maxLen))
	for i, p := range pieces {
		put(math.Float32bits(v.Scores[i]))
		put(uint32(len(p)))
		bw.WriteString(p)
	}
	return bw.Flush() // bufio errors are sticky: Flush reports any
}

// UseHFVocab makes the model carry the real vocabulary of a Hugging Face
// tokenizer.json file or folder (with its tokenizer_config.json chat
// template), padded with unused pieces to the Config's VocabSize as
// llama.cpp's converter pads Qwen's 151,665 tokens to its 151,936
// embedding rows.
func (s *Synthetic) UseHFVocab(path string) error {
	v, cfg, err := tokenizer.LoadHF(path)
	if err != nil {
		return err
	}
	if len(v.Pieces) > s.Config.VocabSize {
		return fmt.Errorf("vocabulary %s has %d tokens, more than the model's %d", path, len(v.Pieces), s.Config.VocabSize)
	}
	v.PadTo(s.Config.VocabSize)
	s.VocabKVs = s.VocabKVs[:0]
	for _, kv := range append(v.GGUFMetadata(), cfg.GGUFMetadata()...) {
		s.VocabKVs = append(s.VocabKVs, gguf.KV{Key: kv.Key, Value: kv.Value})
	}
	return nil
}

// SynthPresetFile is SynthFile for a preset in one weight type ("f32",
// "f16", "q8_0", ...), written directly in that type: the multi-gigabyte
// F32 file of a 1B model is never needed to make its Q8_0 one.
func SynthPresetFile(dir string, p Preset, seed uint64, typ string) (string, error) {
	t, err := ParseFileType(typ)
	if err != nil {
		return "", err
	}
	s, err := Synth(p.Config, seed)
	if err != nil {
		return "", err
	}
	s.Untied, s.Llama3Rope, s.Type = p.Untied, p.Llama3Rope, t
	c := s.Config
	name := fmt.Sprintf("synth-%s-%dx%dx%d-h%d-kv%d-hs%d-v%d-s%d-seed%d-%s.gguf",
		c.ArchName(), c.Dim, c.HiddenDim, c.NLayers, c.NHeads, c.NKVHeads, c.HeadDim(), c.VocabSize, c.SeqLen, seed, typ)
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return path, s.WriteFile(path, FormatGGUF)
}
