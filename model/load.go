package model

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model/gguf"
	"github.com/degen-llm/degen/model/tokenizer"
)

// LoadOptions tune Load.
type LoadOptions struct {
	// Tokenizer is the llama2.c tokenizer file of a llama2.c checkpoint
	// (GGUF files carry their own vocabulary). When empty, Load looks in
	// the checkpoint's folder for tok<vocab_size>.bin (llama2.c's name for
	// a custom vocabulary, e.g. tok512.bin), then tokenizer.bin (the
	// 32000-token Llama 2 vocabulary, only when vocab_size is 32000); if
	// neither is there the Model has no Vocab.
	Tokenizer string
	// NoTokenizer skips the vocabulary entirely.
	NoTokenizer bool
	// NoMmap reads the file into memory instead of mapping it.
	NoMmap bool
}

// Load reads a model file: GGUF (magic "GGUF"), llama2.c v1/v2 (magic
// "ak42") or else a legacy llama2.c checkpoint, whose header must describe
// exactly the file's size. Weights are views into a memory mapping of the
// file, released by Model.Close. Errors name the file.
func Load(path string, opt LoadOptions) (*Model, error) {
	data, release, err := openData(path, opt.NoMmap)
	if err != nil {
		return nil, fmt.Errorf("loading model: %w", err)
	}
	m, err := parseModel(data, opt.NoTokenizer)
	if err == nil && m.Format != FormatGGUF && !opt.NoTokenizer {
		err = attachLlama2CTokenizer(m, path, opt.Tokenizer)
	}
	if err != nil {
		_ = release()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.Path = path
	m.closer = release
	return m, nil
}

// parseModel detects the format of a file held whole in data and builds a
// Model from it, without a llama2.c tokenizer.
func parseModel(data []byte, noVocab bool) (*Model, error) {
	if len(data) >= 4 && string(data[:4]) == gguf.Magic {
		return parseGGUF(data, noVocab)
	}
	return parseLlama2C(data)
}

// attachLlama2CTokenizer loads the vocabulary of a llama2.c checkpoint
// following the rule of LoadOptions.Tokenizer.
func attachLlama2CTokenizer(m *Model, modelPath, tokPath string) error {
	if tokPath == "" {
		dir := filepath.Dir(modelPath)
		cands := []string{filepath.Join(dir, "tok"+strconv.Itoa(m.Config.VocabSize)+".bin")}
		if m.Config.VocabSize == 32000 {
			cands = append(cands, filepath.Join(dir, "tokenizer.bin"))
		}
		for _, c := range cands {
			if _, err := os.Stat(c); err == nil {
				tokPath = c
				break
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("looking for a tokenizer: %w", err)
			}
		}
		if tokPath == "" {
			return nil
		}
	}
	v, err := tokenizer.LoadLlama2C(tokPath, m.Config.VocabSize)
	if err != nil {
		return fmt.Errorf("loading tokenizer %s: %w", tokPath, err)
	}
	m.Vocab = v
	m.Meta["tokenizer"] = tokPath
	return nil
}

// viewF32 reinterprets little-endian float32 bytes as a []float32 without
// copying when the host is little-endian and b is 4-byte aligned (always,
// for data in a mapped llama2.c or GGUF file), and copies otherwise.
func viewF32(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	if !hostLittleEndian || uintptr(unsafe.Pointer(&b[0]))%4 != 0 {
		return decodeF32(b)
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// GGUF keys and tensor names of the "llama" architecture, as written by
// llama.cpp's converters.
const (
	keyArch       = "general.architecture"
	tokEmbName    = "token_embd.weight"
	outNormName   = "output_norm.weight"
	outputName    = "output.weight"
	ropeFreqsName = "rope_freqs.weight"
	tokModelKey   = "tokenizer.ggml.model"
	tokTokensKey  = "tokenizer.ggml.tokens"
)

// parseGGUF builds a Model from a GGUF file of one of the architectures in
// Archs.
func parseGGUF(data []byte, noVocab bool) (*Model, error) {
	f, err := gguf.Parse(data)
	if err != nil {
		return nil, err
	}
	arch, err := f.KV.String(keyArch)
	if err != nil {
		return nil, err
	}
	if _, ok := Archs[arch]; !ok {
		return nil, fmt.Errorf("architecture %q is not supported (supported: %s)", arch, archNames())
	}
	cfg, rope, err := ggufConfig(f, arch)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, Format: FormatGGUF, Meta: ggufMeta(f), Rope: rope}
	if err := ggufWeights(f, m); err != nil {
		return nil, err
	}
	if !noVocab {
		if err := ggufVocab(f, m); err != nil {
			return nil, err
		}
		m.Chat, m.ChatErr = ggufChat(f)
	}
	if m.Vocab != nil {
		// EOS, the eot/eom roles and the control tokens that end a turn
		// (<|im_end|>, <|eot_id|>, ...), as llama.cpp's loader collects them.
		for _, t := range m.Vocab.EOG {
			m.EOG = append(m.EOG, t.ID)
		}
	} else if m.EOG, err = ggufEOG(f, cfg.VocabSize); err != nil {
		return nil, err
	}
	return m, nil
}

// ggufConfig reads the hyperparameters under the architecture's key prefix
// ("llama.", "qwen2.", ...), as llama.cpp's converters write them, and the
// file's RoPE scaling.
func ggufConfig(f *gguf.File, arch string) (Config, RopeScaling, error) {
	var firstErr error
	var rope RopeScaling
	key := func(k string) string { return arch + "." + k }
	get := func(k string, def int) int {
		u, err := f.KV.Uint(key(k))
		if errors.Is(err, gguf.ErrMissingKey) && def >= 0 {
			return def
		}
		if err == nil && u > 1<<30 {
			err = fmt.Errorf("metadata key %s: %d is implausibly large", key(k), u)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return int(u)
	}
	getF := func(k string, def float32) float32 {
		x, err := f.KV.Float(key(k))
		if errors.Is(err, gguf.ErrMissingKey) {
			return def
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return float32(x)
	}
	c := Config{
		Arch:      arch,
		Dim:       get("embedding_length", -1),
		HiddenDim: get("feed_forward_length", -1),
		NLayers:   get("block_count", -1),
		NHeads:    get("attention.head_count", -1),
		SeqLen:    get("context_length", -1),
		RopeTheta: getF("rope.freq_base", 10000),
		NormEps:   getF("attention.layer_norm_rms_epsilon", 1e-5),
	}
	if arch == "llama" {
		c.Arch = "" // llama2.c and llama GGUF files share one Config
	}
	c.NKVHeads = get("attention.head_count_kv", c.NHeads)
	if c.NHeads > 0 {
		if hd := get("attention.key_length", 0); hd > 0 && (c.Dim%c.NHeads != 0 || hd != c.Dim/c.NHeads) {
			c.HeadSize = hd
		}
		if vd := get("attention.value_length", 0); vd > 0 && vd != c.HeadDim() && firstErr == nil {
			firstErr = fmt.Errorf("%s %d differs from the key length %d: not supported", key("attention.value_length"), vd, c.HeadDim())
		}
	}
	// The vocabulary size: <arch>.vocab_size, else the number of tokens,
	// else the rows of the embedding.
	vocab := 0
	if toks, err := f.KV.Strings(tokTokensKey); err == nil {
		vocab = len(toks)
	} else if ti, ok := f.Tensor(tokEmbName); ok && len(ti.Dims) == 2 && ti.Dims[1] <= 1<<30 {
		vocab = int(ti.Dims[1])
	}
	c.VocabSize = get("vocab_size", vocab)
	if c.Window = get("attention.sliding_window", 0); c.Window > 0 {
		// llama.cpp's default period is 6 (Gemma 3's 5 local : 1 global).
		c.SWAPeriod = 6
		if f.KV.Has(key("attention.sliding_window_pattern")) {
			c.SWAPeriod = get("attention.sliding_window_pattern", 6)
		}
		c.RopeThetaLocal = getF("rope.freq_base_swa", 10000)
	}
	c.LogitSoftcap = getF("final_logit_softcapping", 0)
	switch t, err := f.KV.String(key("rope.scaling.type")); {
	case errors.Is(err, gguf.ErrMissingKey) || t == "none" || t == "":
	case err != nil:
		firstErr = cmp.Or(firstErr, err)
	case t == "linear" || t == "yarn":
		rope.Type = t
		rope.Factor = getF("rope.scaling.factor", 1)
		rope.OrigContext = get("rope.scaling.original_context_length", 0)
	default:
		firstErr = cmp.Or(firstErr, fmt.Errorf("%s %q is not supported (none, linear, yarn)", key("rope.scaling.type"), t))
	}
	if firstErr != nil {
		return c, rope, firstErr
	}
	if c.RopeTheta <= 0 || c.NormEps <= 0 {
		return c, rope, fmt.Errorf("invalid config: rope freq_base %g and rms epsilon %g must be positive", c.RopeTheta, c.NormEps)
	}
	if err := c.Validate(); err != nil {
		return c, rope, err
	}
	if rd, err := f.KV.Uint(key("rope.dimension_count")); err == nil && rd != uint64(c.HeadDim()) {
		return c, rope, fmt.Errorf("%s %d differs from the head size %d: partial RoPE is not supported", key("rope.dimension_count"), rd, c.HeadDim())
	}
	return c, rope, nil
}

// ggufWeights binds the tensors of a GGUF file to m.Weights, checking every
// shape against the architecture's tensor table (Layer.mats, Layer.vecs).
// The classifier is the token embedding when output.weight is absent (tied
// embeddings, as in Qwen2.5-0.5B and Llama 3.2).
func ggufWeights(f *gguf.File, m *Model) error {
	c := m.Config
	d, v := c.Dim, c.VocabSize
	w := &m.Weights
	var err error
	if w.TokEmb, err = ggufMat(f, tokEmbName, v, d); err != nil {
		return err
	}
	if w.FinalNorm, err = ggufVec(f, outNormName, d); err != nil {
		return err
	}
	w.Output = w.TokEmb
	if _, ok := f.Tensor(outputName); ok {
		if w.Output, err = ggufMat(f, outputName, v, d); err != nil {
			return err
		}
	}
	if _, ok := f.Tensor(ropeFreqsName); ok {
		if w.RopeFreqs, err = ggufVec(f, ropeFreqsName, c.HeadDim()/2); err != nil {
			return err
		}
		for i, x := range w.RopeFreqs {
			if !(x > 0) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("tensor %s: factor %d is %g, must be positive and finite", ropeFreqsName, i, x)
			}
		}
	}
	w.Layers = make([]Layer, c.NLayers)
	for i := range w.Layers {
		l := &w.Layers[i]
		p := "blk." + strconv.Itoa(i) + "."
		for _, t := range l.mats(c) {
			if *t.mat, err = ggufMat(f, p+t.name+".weight", t.rows, t.cols); err != nil {
				return err
			}
		}
		for _, t := range l.vecs(c) {
			if *t.vec, err = ggufVec(f, p+t.name, t.n); err != nil {
				return err
			}
		}
	}
	return nil
}

func ggufTensor(f *gguf.File, name string, dims ...int) (*gguf.TensorInfo, []byte, error) {
	ti, ok := f.Tensor(name)
	if !ok {
		return nil, nil, fmt.Errorf("tensor %s is missing", name)
	}
	same := len(ti.Dims) == len(dims)
	for i := 0; same && i < len(dims); i++ {
		same = ti.Dims[i] == uint64(dims[i])
	}
	if !same {
		return nil, nil, fmt.Errorf("tensor %s has ne %v, the config needs %v", name, ti.Dims, dims)
	}
	if _, err := kernels.DTypeFromGGML(uint32(ti.Type)); err != nil {
		return nil, nil, fmt.Errorf("tensor %s has type %s, which degen does not support (supported: %s)", name, ti.Type, supportedTypes())
	}
	b, err := f.TensorData(ti)
	return ti, b, err
}

// supportedTypes lists the tensor types degen reads, for errors.
func supportedTypes() string {
	var names []string
	for _, t := range kernels.DTypes() {
		names = append(names, t.String())
	}
	return strings.Join(names, ", ")
}

// ggufMat views a (rows, cols) matrix, stored with ne = [cols, rows].
func ggufMat(f *gguf.File, name string, rows, cols int) (kernels.Mat, error) {
	ti, b, err := ggufTensor(f, name, cols, rows)
	if err != nil {
		return kernels.Mat{}, err
	}
	t, err := kernels.DTypeFromGGML(uint32(ti.Type))
	if err != nil {
		return kernels.Mat{}, err
	}
	if t == kernels.F32 {
		return kernels.NewF32(viewF32(b), rows, cols), nil
	}
	if cols%t.BlockSize() != 0 {
		return kernels.Mat{}, fmt.Errorf("tensor %s: rows of %d values are not whole %s blocks of %d", name, cols, t, t.BlockSize())
	}
	return kernels.NewRaw(t, b, rows, cols), nil
}

// ggufVec views a vector of n float32s (an F16 one is converted).
func ggufVec(f *gguf.File, name string, n int) ([]float32, error) {
	ti, b, err := ggufTensor(f, name, n)
	if err != nil {
		return nil, err
	}
	switch ti.Type {
	case gguf.F32:
		return viewF32(b), nil
	case gguf.F16:
		out := make([]float32, n)
		for i := range out {
			out[i] = kernels.F16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
		return out, nil
	}
	return nil, fmt.Errorf("tensor %s is a vector and must be F32 or F16, not %s", name, ti.Type)
}

// ggufVocab fills m.Vocab from the tokenizer.ggml.* metadata
// (tokenizer.FromGGUF). A file without tokenizer.ggml.model has no
// vocabulary.
func ggufVocab(f *gguf.File, m *Model) error {
	v, err := tokenizer.FromGGUF(&f.KV)
	if errors.Is(err, tokenizer.ErrNoVocabulary) {
		return nil
	}
	if err != nil {
		return err
	}
	if n := len(v.Pieces); n != m.Config.VocabSize {
		return fmt.Errorf("%s has %d tokens, the model %d", tokTokensKey, n, m.Config.VocabSize)
	}
	m.Vocab = v
	return nil
}

// tokenID reads an optional token id key into dst, checking it against the
// vocabulary size n; false when the key is absent.
func tokenID(f *gguf.File, key string, n int, dst *int) (bool, error) {
	u, err := f.KV.Uint(key)
	if errors.Is(err, gguf.ErrMissingKey) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if u >= uint64(n) {
		return false, fmt.Errorf("metadata key %s: token %d is outside the vocabulary of %d", key, u, n)
	}
	*dst = int(u)
	return true, nil
}

// ggufEOG is the end-of-generation set: tokenizer.ggml.eos_token_id (2,
// SentencePiece's </s>, when absent) plus the eot and eom tokens if named.
func ggufEOG(f *gguf.File, n int) ([]int, error) {
	var eog []int
	for i, key := range []string{"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"} {
		t := -1
		if i == 0 && n > 2 {
			t = 2
		}
		if _, err := tokenID(f, key, n, &t); err != nil {
			return nil, err
		}
		if t >= 0 && !slices.Contains(eog, t) {
			eog = append(eog, t)
		}
	}
	return eog, nil
}

// ggufMeta renders the metadata readably for `degen model info`: scalars
// as text, arrays by their length and first few elements.
func ggufMeta(f *gguf.File) map[string]string {
	meta := map[string]string{
		"format":             FormatGGUF,
		"gguf.version":       strconv.FormatUint(uint64(f.Version), 10),
		"gguf.tensor_count":  strconv.Itoa(len(f.Tensors)),
		"gguf.alignment":     strconv.FormatUint(f.Alignment, 10),
		"gguf.metadata_keys": strconv.Itoa(f.KV.Len()),
	}
	for _, kv := range f.KV.All() {
		meta[kv.Key] = formatValue(kv.Value)
	}
	return meta
}

func formatValue(v any) string {
	const show = 8
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case gguf.Array:
		var b strings.Builder
		fmt.Fprintf(&b, "[%d × %s]", x.Len(), x.Type)
		if x.Type == gguf.TypeArray {
			return b.String()
		}
		var items []string
		switch s := x.Values.(type) {
		case []string:
			for _, e := range s[:min(show, len(s))] {
				items = append(items, strconv.Quote(e))
			}
		default:
			// Other arrays print like fmt's %v of their first elements.
			items = strings.Fields(strings.Trim(fmt.Sprint(firstN(x.Values, show)), "[]"))
		}
		b.WriteString(" ")
		b.WriteString(strings.Join(items, " "))
		if x.Len() > show {
			b.WriteString(" …")
		}
		return b.String()
	}
	return fmt.Sprint(v)
}

// firstN returns at most n leading elements of a slice of numbers or bools.
func firstN(s any, n int) any {
	switch x := s.(type) {
	case []uint8:
		return x[:min(n, len(x))]
	case []int8:
		return x[:min(n, len(x))]
	case []uint16:
		return x[:min(n, len(x))]
	case []int16:
		return x[:min(n, len(x))]
	case []uint32:
		return x[:min(n, len(x))]
	case []int32:
		return x[:min(n, len(x))]
	case []float32:
		return x[:min(n, len(x))]
	case []bool:
		return x[:min(n, len(x))]
	case []uint64:
		return x[:min(n, len(x))]
	case []int64:
		return x[:min(n, len(x))]
	case []float64:
		return x[:min(n, len(x))]
	}
	return nil
}
