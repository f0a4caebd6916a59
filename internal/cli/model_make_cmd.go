package cli

import (
	"fmt"
	stdio "io"
	"strings"

	"github.com/degen-llm/degen/model"
)

// ModelSynthCmd writes a random-weight model.
type ModelSynthCmd struct {
	Shape    string `default:"stories15M" help:"Preset shape: the exact hyperparameters of a real model (${shapes}); the size flags change them."`
	Arch     string `enum:",llama,qwen2,qwen3,gemma3" default:"" help:"Architecture (default: the preset's): llama, qwen2, qwen3 or gemma3."`
	Dim      int    `help:"Override the embedding width."`
	Hidden   int    `help:"Override the feed-forward width."`
	Layers   int    `help:"Override the number of layers."`
	Heads    int    `help:"Override the number of heads."`
	KVHeads  int    `help:"Override the number of key/value heads."`
	HeadSize int    `help:"Override the head size (default dim/heads, or the preset's)."`
	Vocab    int    `name:"vocab-size" help:"Override the vocabulary size."`
	Context  int    `help:"Override the context length."`
	Window   int    `name:"sliding-window" help:"Override the sliding window of the local layers (gemma3)."`
	Type     string `default:"f32" help:"File type of the matrices, as llama-quantize names them (${filetypes}; GGUF only): one type, or a K-quant mix (q4_k_m: Q4_K, with Q6_K for the classifier and some attn_v and ffn_down); norms and biases stay F32."`
	Tokens   string `name:"vocab" placeholder:"DIR" help:"Carry this real vocabulary: a Hugging Face tokenizer.json file or its folder (with tokenizer_config.json and its chat template); padded to the model's vocabulary size. GGUF only." type:"path"`
	Untied   bool   `help:"Write a separate classifier instead of sharing the token embedding."`
	Format   string `enum:"gguf,llama2c,llama2c-v1" default:"gguf" help:"File format (${enum})."`
	Seed     uint64 `default:"1" help:"Seed of the weights: the same command writes the same bytes."`
	Output   string `short:"o" required:"" help:"File to write." type:"path"`
}

// Help shows examples.
func (c *ModelSynthCmd) Help() string {
	return `Synthetic models have the exact shapes, and so the exact cost per token, of
real ones; their text is meaningless. GGUF files carry a synthetic SentencePiece
vocabulary, or a real one with --vocab; llama2.c files of the 32000-token
shapes run with the Llama 2 tokenizer.bin.

Examples:
  degen model synth --shape stories15M -o /tmp/s15m.gguf
  degen model synth --shape stories110M --format llama2c -o /tmp/s110m.bin
  degen model synth --shape qwen2.5-0.5b --vocab ../shared/models/vocab/qwen2.5 -o /tmp/qwen.gguf
  degen model synth --shape qwen3-0.6b --layers 2 --dim 128 --heads 4 --kv-heads 2 --hidden 256 \
      --vocab ../shared/models/vocab/qwen3 --type q8_0 -o /tmp/tiny-qwen3.gguf`
}

// Run writes the model.
func (c *ModelSynthCmd) Run(g *Globals, io *IO) error {
	preset, ok := model.Presets[c.Shape]
	if !ok {
		return usagef("unknown shape %q (known: %s)", c.Shape, model.PresetNames())
	}
	cfg := preset.Config
	if c.Arch != "" {
		cfg.Arch = c.Arch
		if c.Arch == "llama" {
			cfg.Arch = ""
		}
	}
	for _, o := range []struct {
		v   int
		dst *int
	}{{c.Dim, &cfg.Dim}, {c.Hidden, &cfg.HiddenDim}, {c.Layers, &cfg.NLayers}, {c.Heads, &cfg.NHeads}, {c.KVHeads, &cfg.NKVHeads}, {c.HeadSize, &cfg.HeadSize}, {c.Vocab, &cfg.VocabSize}, {c.Context, &cfg.SeqLen}, {c.Window, &cfg.Window}} {
		if o.v != 0 {
			*o.dst = o.v
		}
	}
	s, err := model.Synth(cfg, c.Seed)
	if err != nil {
		return usagef("%v", err)
	}
	s.Untied = c.Untied || preset.Untied
	if r := preset.Llama3Rope; r != nil && cfg.ArchName() == "llama" {
		s.Llama3Rope = r
	}
	format := map[string]string{"gguf": model.FormatGGUF, "llama2c": model.FormatLlama2CLegacy, "llama2c-v1": model.FormatLlama2CV1}[c.Format]
	if format != model.FormatGGUF && (c.Type != "f32" || c.Tokens != "" || cfg.ArchName() != "llama" || cfg.HeadSize != 0) {
		return usagef("--type, --vocab, other architectures and head sizes need --format gguf")
	}
	if s.Type, err = model.ParseFileType(c.Type); err != nil {
		return usagef("%v", err)
	}
	if c.Tokens != "" {
		if err := s.UseHFVocab(c.Tokens); err != nil {
			return err
		}
	}
	if err := s.WriteFile(c.Output, format); err != nil {
		return err
	}
	g.logf(io, "wrote %s (%s %s, %s, dim %d, hidden %d, %d layers, %d heads, vocab %d)", c.Output, c.Format, cfg.ArchName(), strings.ToUpper(c.Type), cfg.Dim, cfg.HiddenDim, cfg.NLayers, cfg.NHeads, cfg.VocabSize)
	return nil
}

// ModelQuantizeCmd rewrites a model as GGUF of another weight type.
type ModelQuantizeCmd struct {
	Type      string `default:"q8_0" help:"File type, as llama-quantize names them (${filetypes}): one weight type for every matrix, or a K-quant mix (q4_k_m, q5_k_m, q3_k_m, ...) that gives the classifier and some attn_v and ffn_down matrices more bits, with llama-quantize's rules; norms and biases stay F32."`
	Tokenizer string `help:"Tokenizer file of a llama2.c checkpoint (default: found next to it)." type:"path"`
	In        string `arg:"" help:"Input model (llama2.c or GGUF) or known name."`
	Out       string `arg:"" help:"Output GGUF file." type:"path"`
}

// Help shows examples.
func (c *ModelQuantizeCmd) Help() string {
	return `Every type is stored in ggml's block layout (Q8_0: blocks of 32 int8 weights with
one F16 scale; the K-quants: super-blocks of 256) and quantised with ggml's
reference quantizers (no importance matrix), so that the bytes are those
llama-quantize writes. A matrix whose rows are not whole blocks of its type gets
llama-quantize's fallback type (Q5_0 for Q4_K, Q8_0 for Q6_K, F16 for rows not a
multiple of 32) and is named on stderr. The vocabulary and chat template are
copied into the GGUF metadata.

Examples:
  degen model quantize --type q8_0 stories15M.bin stories15M-q8_0.gguf
  degen model quantize --type q4_k_m qwen2.5-0.5b-f32.gguf qwen2.5-0.5b-q4_k_m.gguf
  degen model quantize --type f16 ../shared/models/stories260K.bin /tmp/s260k-f16.gguf`
}

// Run quantizes.
func (c *ModelQuantizeCmd) Run(g *Globals, io *IO) error {
	ft, err := model.ParseFileType(c.Type)
	if err != nil {
		return usagef("%v", err)
	}
	path, err := resolveModel(c.In)
	if err != nil {
		return err
	}
	m, err := model.Load(path, model.LoadOptions{Tokenizer: c.Tokenizer})
	if err != nil {
		return err
	}
	defer m.Close()
	var rep model.ExportReport
	err = model.WriteFileAtomic(c.Out, func(w stdio.Writer) (err error) {
		rep, err = model.WriteGGUF(m, ft, w)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", c.Out, err)
	}
	if len(rep.Fallback) > 0 {
		g.logf(io, "%d matrices have rows that are not whole %s blocks and took a fallback type: %s", len(rep.Fallback), ft.Base, strings.Join(rep.Fallback, ", "))
	}
	g.logf(io, "wrote %s: %d tensors, %s bytes (%s)", c.Out, rep.Tensors, commas(rep.Bytes), strings.ToUpper(c.Type))
	return nil
}
