package cli

import (
	"encoding/json"
	"fmt"
	stdio "io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/degen-llm/degen/internal/hub"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
	"github.com/degen-llm/degen/model/tokenizer"
)

// ModelCmd groups the model subcommands.
type ModelCmd struct {
	Info     ModelInfoCmd     `cmd:"" help:"Print a model file's format, architecture, shapes, vocabulary and tensor types."`
	Pull     ModelPullCmd     `cmd:"" help:"Download a known tinyllamas checkpoint, or a file of a Hugging Face repository (hf:OWNER/REPO/FILE.gguf), into the cache."`
	Synth    ModelSynthCmd    `cmd:"" help:"Write a random-weight model of a real shape (for benchmarks)."`
	Tokenize ModelTokenizeCmd `cmd:"" help:"Encode the text (or render and encode the chat messages) of each record with a vocabulary, or decode token ids."`
	Quantize ModelQuantizeCmd `cmd:"" help:"Rewrite a model as GGUF with Q8_0, F16 or F32 weights."`
}

// ModelFlags select a model for the commands that run one.
type ModelFlags struct {
	Model     string `short:"m" env:"DEGEN_MODEL" help:"Model file (llama2.c .bin or .gguf) or a known name (stories260K, stories15M, ...). Default: stories260K from the cache or ../shared/models."`
	Tokenizer string `help:"Tokenizer to use instead of the model's: a llama2.c tokenizer file, a Hugging Face tokenizer.json or its folder (with tokenizer_config.json and the chat template), or a GGUF file (default: the GGUF model's own, or tokenizer.bin / tok512.bin next to a llama2.c checkpoint)." type:"path"`
	Threads   int    `short:"t" default:"0" help:"Worker threads for the matrix products (0: one per CPU)."`
}

// load resolves and loads the model and builds its tokenizer.
func (f *ModelFlags) load() (*model.Model, *tokenizer.Tokenizer, error) {
	path, err := resolveModel(f.Model)
	if err != nil {
		return nil, nil, err
	}
	return loadModel(path, f.Tokenizer)
}

// loadModel loads a model with the tokenizer rule of ModelFlags.Tokenizer.
func loadModel(path, tokPath string) (*model.Model, *tokenizer.Tokenizer, error) {
	opt := model.LoadOptions{Tokenizer: tokPath}
	isFile := tokPath != "" && !isLlama2CTokenizer(tokPath)
	if isFile {
		opt.Tokenizer = ""
	}
	m, err := model.Load(path, opt)
	if err != nil {
		return nil, nil, err
	}
	if isFile {
		vf, err := model.LoadVocab(tokPath)
		if err == nil {
			err = m.UseVocab(vf)
		}
		if err != nil {
			m.Close()
			return nil, nil, fmt.Errorf("--tokenizer %s: %w", tokPath, err)
		}
	}
	if m.Vocab == nil {
		m.Close()
		return nil, nil, fmt.Errorf("%s: no tokenizer found: name one with --tokenizer", path)
	}
	tok, err := tokenizer.New(m.Vocab)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, tok, nil
}

// ModelInfoCmd prints what a model file holds.
type ModelInfoCmd struct {
	Path      string `arg:"" optional:"" help:"Model file or known name (default: stories260K)."`
	Tokenizer string `help:"Tokenizer file for llama2.c checkpoints." type:"path"`
	JSON      bool   `help:"Print JSON instead of a table."`
}

// Help shows examples.
func (c *ModelInfoCmd) Help() string {
	return `Examples:
  degen model info ../shared/models/stories260K.bin
  degen model info --json stories260K-f32.gguf`
}

type modelInfo struct {
	Path       string            `json:"path"`
	Format     string            `json:"format"`
	Arch       string            `json:"architecture"`
	Dim        int               `json:"dim"`
	HiddenDim  int               `json:"hidden_dim"`
	NLayers    int               `json:"n_layers"`
	NHeads     int               `json:"n_heads"`
	NKVHeads   int               `json:"n_kv_heads"`
	HeadDim    int               `json:"head_dim"`
	VocabSize  int               `json:"vocab_size"`
	Context    int               `json:"context_length"`
	RopeTheta  float32           `json:"rope_theta"`
	NormEps    float32           `json:"rms_norm_eps"`
	Params     int64             `json:"parameters"`
	Shared     bool              `json:"shared_classifier"`
	Types      map[string]int    `json:"tensor_types"`
	Bytes      int64             `json:"weight_bytes_per_token"`
	Tokenizer  string            `json:"tokenizer"`
	EOG        []int             `json:"end_of_generation"`
	CPU        string            `json:"cpu"`
	Kernels    string            `json:"kernels"`
	KernelsAll string            `json:"kernels_detail"`
	Meta       map[string]string `json:"metadata,omitempty"`
	FileBytes  int64             `json:"file_bytes"`
	TensorList []tensorInfo      `json:"tensors"`
}

type tensorInfo struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Shape []int  `json:"shape"`
}

// Run prints the information.
func (c *ModelInfoCmd) Run(io *IO) error {
	path, err := resolveModel(c.Path)
	if err != nil {
		return err
	}
	m, err := model.Load(path, model.LoadOptions{Tokenizer: c.Tokenizer})
	if err != nil {
		return err
	}
	defer m.Close()
	cfg := m.Config
	info := modelInfo{
		Path: path, Format: m.Format, Arch: cfg.ArchName(),
		Dim: cfg.Dim, HiddenDim: cfg.HiddenDim, NLayers: cfg.NLayers, NHeads: cfg.NHeads, NKVHeads: cfg.NKVHeads,
		HeadDim: cfg.HeadDim(), VocabSize: cfg.VocabSize, Context: cfg.SeqLen, RopeTheta: cfg.RopeTheta, NormEps: cfg.NormEps,
		Params: m.ParamCount(), Shared: m.SharedClassifier(), Types: map[string]int{}, Bytes: m.WeightBytes(),
		EOG: m.EOG, CPU: cpuLine(), Kernels: kernels.Impl(), KernelsAll: kernels.Describe(), Meta: m.Meta,
	}
	if fi, err := os.Stat(path); err == nil {
		info.FileBytes = fi.Size()
	}
	if v := m.Vocab; v != nil && v.IsBPE() {
		info.Tokenizer = fmt.Sprintf("byte-level bpe (%s), %d tokens, %d merges, bos %s, eos %s", v.Pre, len(v.Pieces), len(v.Merges), tokenName(v, v.BOS), tokenName(v, v.EOS))
	} else if v != nil {
		info.Tokenizer = fmt.Sprintf("sentencepiece bpe, %d tokens, bos %d, eos %d", len(v.Pieces), v.BOS, v.EOS)
	} else {
		info.Tokenizer = "none found"
	}
	add := func(name string, t kernels.Mat) {
		info.Types[t.Type.String()]++
		info.TensorList = append(info.TensorList, tensorInfo{name, t.Type.String(), []int{t.Rows, t.Cols}})
	}
	w := &m.Weights
	add("token_embd", w.TokEmb)
	for i := range w.Layers {
		l := &w.Layers[i]
		p := fmt.Sprintf("blk.%d.", i)
		add(p+"attn_q", l.WQ)
		add(p+"attn_k", l.WK)
		add(p+"attn_v", l.WV)
		add(p+"attn_output", l.WO)
		add(p+"ffn_gate", l.W1)
		add(p+"ffn_down", l.W2)
		add(p+"ffn_up", l.W3)
	}
	if !info.Shared {
		add("output", w.Output)
	}
	if c.JSON {
		enc := json.NewEncoder(io.Stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	tw := tabwriter.NewWriter(io.Stdout, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("file", fmt.Sprintf("%s (%s bytes)", filepath.Base(path), commas(info.FileBytes)))
	row("format", info.Format)
	row("architecture", info.Arch)
	row("dim", info.Dim)
	row("hidden_dim", info.HiddenDim)
	row("layers", info.NLayers)
	row("heads", fmt.Sprintf("%d (kv %d, head size %d)", info.NHeads, info.NKVHeads, info.HeadDim))
	row("vocab", info.VocabSize)
	row("context", info.Context)
	row("rope theta", info.RopeTheta)
	row("rms eps", info.NormEps)
	row("parameters", commas(info.Params))
	row("classifier", map[bool]string{true: "shared with token embedding", false: "separate"}[info.Shared])
	var types []string
	for t, n := range info.Types {
		types = append(types, fmt.Sprintf("%s x%d", t, n))
	}
	sort.Strings(types)
	row("tensor types", strings.Join(types, ", "))
	row("bytes per token", commas(info.Bytes))
	row("tokenizer", info.Tokenizer)
	row("end of generation", fmt.Sprint(info.EOG))
	row("cpu", info.CPU)
	row("kernels", info.KernelsAll)
	return tw.Flush()
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ModelPullCmd downloads a known checkpoint or a Hugging Face file.
type ModelPullCmd struct {
	Name     string `arg:"" help:"A known model (stories260K, stories15M, stories42M, stories110M) or a Hugging Face file: hf:OWNER/REPO[@REVISION]/PATH."`
	Mirror   string `help:"Copy a known model from this local directory instead of downloading (same file names)." type:"existingdir"`
	Dir      string `help:"Destination (default: $DEGEN_CACHE or the user cache directory's degen/models); hf: files go under DIR/hf/OWNER/REPO/REVISION/."`
	Token    string `env:"HF_TOKEN" help:"Hugging Face access token for gated or private repositories; sent to the hub only, never to the CDN it redirects to."`
	Endpoint string `env:"HF_ENDPOINT" default:"https://huggingface.co" help:"Base URL of the Hugging Face hub (a mirror, or a local server)."`
}

// Help shows examples.
func (c *ModelPullCmd) Help() string {
	return `Known models are checked by size and SHA-256 where the digest is pinned.

Hugging Face files are named hf:OWNER/REPO/PATH (revision main) or
hf:OWNER/REPO@REVISION/PATH; PATH may run through folders, and a revision
holding '/' is written with %2F (refs%2Fpr%2F1). They are fetched the way the
hub's own clients do: files stored in LFS (GGUF models are) are checked
against the SHA-256 the hub publishes, small files kept in git by size only.
A broken download resumes where it stopped when the same command is run
again (unless the file changed on the hub meanwhile); a file that fails its
check is removed. Pulling a file that is already there and current does
nothing. The file lands in the cache under hf/OWNER/REPO/REVISION/PATH, where
--model hf:... finds it. Messages and the final path go to stderr.

Examples:
  degen model pull stories15M
  degen model pull --mirror ../shared/models stories260K
  degen model pull hf:ggml-org/models/tinyllamas/stories260K.gguf
  degen generate --model hf:ggml-org/models/tinyllamas/stories260K.gguf < prompts.jsonl
  degen model pull hf:OWNER/REPO@v1.0/sub/dir/model-Q8_0.gguf
  HF_TOKEN=hf_... degen model pull hf:OWNER/GATED-REPO/model-Q8_0.gguf
  HF_ENDPOINT=https://hf-mirror.example degen model pull hf:OWNER/REPO/model.gguf`
}

// Run fetches the files.
func (c *ModelPullCmd) Run(g *Globals, io *IO) error {
	files, known := knownModels[c.Name]
	if !known && !hub.IsRef(c.Name) {
		var names []string
		for n := range knownModels {
			names = append(names, n)
		}
		sort.Strings(names)
		return usagef("unknown model %q: known models are %s, or name a Hugging Face file as hf:OWNER/REPO/FILE.gguf", c.Name, strings.Join(names, ", "))
	}
	dir := c.Dir
	if dir == "" {
		d, err := cacheDir()
		if err != nil {
			return err
		}
		dir = d
	}
	if !known {
		return c.pullHF(g, io, dir)
	}
	for _, f := range files {
		sum, err := pullFile(f, dir, c.Mirror, g.showProgress(io), io.Stderr)
		if err != nil {
			return err
		}
		g.logf(io, "%s sha256 %s -> %s", f.Name, sum, filepath.Join(dir, f.Name))
	}
	return nil
}

// tokenName is a special token's id and text, or "none".
func tokenName(v *tokenizer.Vocab, id int) string {
	if id < 0 || id >= len(v.Pieces) {
		return "none"
	}
	return fmt.Sprintf("%d %s", id, v.Pieces[id])
}

// isLlama2CTokenizer tells a llama2.c tokenizer file (read by model.Load
// with the checkpoint) from the files model.LoadVocab reads: a folder, a
// .json file or a GGUF file.
func isLlama2CTokenizer(path string) bool {
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || strings.HasSuffix(strings.ToLower(path), ".json") {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return true // model.Load reports it
	}
	defer f.Close()
	var magic [4]byte
	_, _ = stdio.ReadFull(f, magic[:])
	return string(magic[:]) != "GGUF"
}
