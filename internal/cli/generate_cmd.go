package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	stdio "io"
	"path/filepath"
	"time"

	"github.com/degen-llm/degen/generate"
	"github.com/degen-llm/degen/internal/jsonl"
	"github.com/degen-llm/degen/internal/tty"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
)

// GenerateCmd continues prompts.
type GenerateCmd struct {
	ModelFlags
	InputFlags

	Prompt       []string `short:"p" help:"Prompt text (repeatable). When given, no input is read."`
	PromptField  string   `default:"prompt" help:"Field of each input record that holds the prompt."`
	MaxNewTokens int      `default:"256" help:"Most tokens to generate per output."`
	Stop         []string `help:"Stop when this string appears (repeatable); it is not part of the text."`
	CtxSize      int      `help:"Context size in tokens (default: the model's trained length)."`
}

// Help shows examples.
func (c *GenerateCmd) Help() string {
	return `Each output record is the input record plus "text" (the continuation only) and
"generation": {model, n_prompt_tokens, n_tokens, finish_reason, token_ids,
elapsed_ms, tokens_per_s, params}. finish_reason is "eos" (the model ended the
text), "length" (--max-new-tokens), "stop" (a --stop string) or "context"
(the context window is full).

Examples:
  degen generate --prompt "Once upon a time" --max-new-tokens 64
  degen generate -m ../shared/models/stories260K.bin < prompts.jsonl > out.jsonl
  echo '{"id":1,"prompt":"The cat"}' | degen generate --quiet`
}

// Run generates.
func (c *GenerateCmd) Run(g *Globals, io *IO) error {
	p := generate.Params{MaxNewTokens: c.MaxNewTokens, Stop: c.Stop}
	if err := p.Validate(); err != nil {
		return usagef("%v", err)
	}
	m, tok, err := c.ModelFlags.load()
	if err != nil {
		return err
	}
	defer m.Close()
	pool := kernels.NewPool(c.Threads)
	defer pool.Close()
	eng, err := generate.NewEngine(m, tok, pool, model.StateOptions{Context: c.CtxSize})
	if err != nil {
		return err
	}
	modelName := filepath.Base(m.Path)

	var s *stream
	var prompts []string
	if len(c.Prompt) > 0 {
		if len(c.Inputs) > 0 {
			return usagef("give either --prompt or input files, not both")
		}
		prompts = c.Prompt
		out, err := jsonl.Create(c.Output, jsonl.WriterOptions{Stdout: io.Stdout, FlushEach: c.Output == "-" && io.StdoutTTY})
		if err != nil {
			return err
		}
		s = &stream{out: out}
	} else {
		s, err = c.InputFlags.open(io)
		if err != nil {
			return err
		}
	}
	bar := tty.NewProgress(io.Stderr, g.showProgress(io), -1, "generate", "records")
	var totalTok int
	start := time.Now()
	err = func() error {
		for i := 0; ; i++ {
			var rec *jsonl.Record
			var prompt string
			if prompts != nil {
				if i >= len(prompts) {
					return nil
				}
				rec = jsonl.NewRecord()
				prompt = prompts[i]
				if err := rec.SetValue("prompt", prompt); err != nil {
					return err
				}
			} else {
				r, err := s.next()
				if errors.Is(err, stdio.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				rec = r
				pv, ok, err := rec.GetString(c.PromptField)
				if err != nil || !ok {
					if err == nil {
						err = fmt.Errorf("no %q field", c.PromptField)
					}
					return s.recordErr(fmt.Errorf("prompt: %w (choose the field with --prompt-field)", err))
				}
				prompt = pv
			}
			res, err := eng.Generate(prompt, p, nil)
			if err != nil {
				if prompts == nil {
					return s.recordErr(err)
				}
				return err
			}
			totalTok += len(res.TokenIDs)
			if err := rec.SetValue("text", res.Text); err != nil {
				return err
			}
			if err := rec.SetValue("generation", generationInfo{
				Model:         modelName,
				NPromptTokens: res.NPromptTokens,
				NTokens:       len(res.TokenIDs),
				FinishReason:  res.FinishReason,
				TokenIDs:      res.TokenIDs,
				ElapsedMS:     roundTo(float64(res.Elapsed.Microseconds())/1000, 3),
				TokensPerS:    roundTo(res.TokensPerSecond(), 2),
				Params:        p,
			}); err != nil {
				return err
			}
			if err := s.write(rec); err != nil {
				return err
			}
			bar.Add(1)
			bar.Describe(fmt.Sprintf("generate %.0f tok/s", float64(totalTok)/time.Since(start).Seconds()))
		}
	}()
	bar.Finish()
	if ferr := s.finish(g, io, "generate"); err == nil {
		err = ferr
	}
	if err == nil {
		el := time.Since(start).Seconds()
		g.logf(io, "generated %d tokens in %.2fs (%.1f tok/s, %d threads)", totalTok, el, float64(totalTok)/el, pool.Threads())
	}
	return err
}

// generationInfo is the "generation" object of an output record.
type generationInfo struct {
	Model         string          `json:"model"`
	NPromptTokens int             `json:"n_prompt_tokens"`
	NTokens       int             `json:"n_tokens"`
	FinishReason  string          `json:"finish_reason"`
	TokenIDs      []int           `json:"token_ids"`
	ElapsedMS     float64         `json:"elapsed_ms"`
	TokensPerS    float64         `json:"tokens_per_s"`
	Params        generate.Params `json:"params"`
}

func roundTo(v float64, digits int) float64 {
	s := fmt.Sprintf("%.*f", digits, v)
	var r float64
	_ = json.Unmarshal([]byte(s), &r)
	return r
}
