package cli

import (
	"fmt"
	stdio "io"
	"strings"

	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
)

// ModelSynthCmd writes a random-weight model.
type ModelSynthCmd struct {
	Shape   string `default:"stories15M" help:"Preset shape: stories15M (288/768/6 layers/6 heads/32000 vocab) or stories110M (768/2048/12/12/32000); custom with the size flags."`
	Dim     int    `help:"Override the embedding width."`
	Hidden  int    `help:"Override the feed-forward width."`
	Layers  int    `help:"Override the number of layers."`
	Heads   int    `help:"Override the number of heads."`
	KVHeads int    `help:"Override the number of key/value heads."`
	Vocab   int    `help:"Override the vocabulary size."`
	Context int    `help:"Override the context length."`
	Format  string `enum:"gguf,llama2c,llama2c-v1" default:"gguf" help:"File format (${enum})."`
	Seed    uint64 `default:"1" help:"Seed of the weights: the same seed gives the same file."`
	Output  string `short:"o" required:"" help:"File to write." type:"path"`
}

// Help shows examples.
func (c *ModelSynthCmd) Help() string {
	return `Synthetic models have the exact shapes, and so the exact cost per token, of
real ones; their text is meaningless. GGUF files carry a byte-level vocabulary;
llama2.c files of the 32000-token shapes run with the Llama 2 tokenizer.bin.

Examples:
  degen model synth --shape stories15M -o /tmp/s15m.gguf
  degen model synth --shape stories110M --format llama2c -o /tmp/s110m.bin`
}

// Run writes the model.
func (c *ModelSynthCmd) Run(g *Globals, io *IO) error {
	cfg, ok := model.Shape(c.Shape)
	if !ok {
		return usagef("unknown shape %q: use stories15M or stories110M", c.Shape)
	}
	for _, o := range []struct {
		v   int
		dst *int
	}{{c.Dim, &cfg.Dim}, {c.Hidden, &cfg.HiddenDim}, {c.Layers, &cfg.NLayers}, {c.Heads, &cfg.NHeads}, {c.KVHeads, &cfg.NKVHeads}, {c.Vocab, &cfg.VocabSize}, {c.Context, &cfg.SeqLen}} {
		if o.v != 0 {
			*o.dst = o.v
		}
	}
	s, err := model.Synth(cfg, c.Seed)
	if err != nil {
		return usagef("%v", err)
	}
	format := map[string]string{"gguf": model.FormatGGUF, "llama2c": model.FormatLlama2CLegacy, "llama2c-v1": model.FormatLlama2CV1}[c.Format]
	if err := s.WriteFile(c.Output, format); err != nil {
		return err
	}
	g.logf(io, "wrote %s (%s, dim %d, hidden %d, %d layers, %d heads, vocab %d)", c.Output, c.Format, cfg.Dim, cfg.HiddenDim, cfg.NLayers, cfg.NHeads, cfg.VocabSize)
	return nil
}

// ModelQuantizeCmd rewrites a model as GGUF of another weight type.
type ModelQuantizeCmd struct {
	Type      string `enum:"q8_0,f16,f32" default:"q8_0" help:"Weight type of the matrices (${enum}); norms stay F32."`
	Tokenizer string `help:"Tokenizer file of a llama2.c checkpoint (default: found next to it)." type:"path"`
	In        string `arg:"" help:"Input model (llama2.c or GGUF) or known name."`
	Out       string `arg:"" help:"Output GGUF file." type:"path"`
}

// Help shows examples.
func (c *ModelQuantizeCmd) Help() string {
	return `Q8_0 stores blocks of 32 weights as int8 with one F16 scale (8.5 bits per
weight, GGUF's layout); a matrix whose rows are not a multiple of 32 is written
as F16 and named on stderr. The vocabulary is copied into the GGUF metadata.

Examples:
  degen model quantize --type q8_0 stories15M.bin stories15M-q8_0.gguf
  degen model quantize --type f16 ../shared/models/stories260K.bin /tmp/s260k-f16.gguf`
}

// Run quantizes.
func (c *ModelQuantizeCmd) Run(g *Globals, io *IO) error {
	typ, err := kernels.ParseDType(c.Type)
	if err != nil {
		return err
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
		rep, err = model.WriteGGUF(m, typ, w)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", c.Out, err)
	}
	if len(rep.Fallback) > 0 {
		g.logf(io, "%d matrices have rows that are not a multiple of 32 and were written as F16: %s", len(rep.Fallback), strings.Join(rep.Fallback, ", "))
	}
	g.logf(io, "wrote %s: %d tensors, %s bytes (%s)", c.Out, rep.Tensors, commas(rep.Bytes), strings.ToUpper(c.Type))
	return nil
}
