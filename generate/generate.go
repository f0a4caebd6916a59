// Package generate turns prompts into continuations with a loaded model:
// it tokenises the prompt, runs the forward pass position by position,
// chooses each next token with a decoding strategy, and stops at an
// end-of-generation token, a stop string, the token budget or the end of
// the context.
//
// The package does no I/O of its own: the CLI reads records, calls
// Engine.Generate for each, and writes the Result into the record.
package generate

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
	"github.com/degen-llm/degen/model/tokenizer"
)

// Finish reasons, as written to "generation"."finish_reason".
const (
	FinishEOS        = "eos"        // the model produced an end-of-generation token
	FinishLength     = "length"     // max_new_tokens were generated
	FinishContext    = "context"    // the context window is full
	FinishStop       = "stop"       // a stop string appeared
	FinishRepetition = "repetition" // a loop was detected (stop_on_loop)
)

// Params are the settings of one generation that are not about choosing a
// token: budget and stop conditions.
type Params struct {
	MaxNewTokens int      `json:"max_new_tokens"`
	Stop         []string `json:"stop,omitempty"`
}

// DefaultParams are the defaults of the CLI.
func DefaultParams() Params { return Params{MaxNewTokens: 256} }

// Validate checks the parameters.
func (p Params) Validate() error {
	if p.MaxNewTokens < 0 {
		return fmt.Errorf("max_new_tokens must be >= 0, got %d", p.MaxNewTokens)
	}
	for _, s := range p.Stop {
		if s == "" {
			return errors.New("stop strings must not be empty")
		}
	}
	return nil
}

// Result is one generated continuation.
type Result struct {
	Text          string // the continuation only, stop string excluded
	TokenIDs      []int  // generated token ids (the end-of-generation token excluded)
	NPromptTokens int    // prompt tokens fed to the model, BOS included
	FinishReason  string
	Elapsed       time.Duration // prompt processing and generation
}

// TokensPerSecond is generated tokens over elapsed time.
func (r *Result) TokensPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.TokenIDs)) / r.Elapsed.Seconds()
}

// Engine generates with one model. It owns a KV cache and buffers, so it is
// not safe for concurrent use: run one Engine per goroutine.
type Engine struct {
	Model *model.Model
	Tok   *tokenizer.Tokenizer
	state *model.State
	eog   map[int]bool
}

// NewEngine prepares an engine. pool splits the matrix products; opt sets
// the context size and RoPE scaling.
func NewEngine(m *model.Model, tok *tokenizer.Tokenizer, pool *kernels.Pool, opt model.StateOptions) (*Engine, error) {
	if tok == nil {
		return nil, errors.New("the model has no tokenizer: name one with --tokenizer")
	}
	if tok.VocabSize() != m.Config.VocabSize {
		return nil, fmt.Errorf("tokenizer has %d tokens but the model has %d", tok.VocabSize(), m.Config.VocabSize)
	}
	st, err := m.NewState(pool, opt)
	if err != nil {
		return nil, err
	}
	e := &Engine{Model: m, Tok: tok, state: st, eog: map[int]bool{}}
	for _, id := range m.EOG {
		e.eog[id] = true
	}
	return e, nil
}

// State exposes the engine's sequence state (for strategies and metrics
// that drive the model directly).
func (e *Engine) State() *model.State { return e.state }

// Encode tokenises a prompt the way generation does: BOS first when the
// vocabulary asks for it.
func (e *Engine) Encode(prompt string) []int {
	return e.Tok.Encode(prompt, e.Model.Vocab == nil || e.Model.Vocab.AddBOS)
}

// Generate continues prompt greedily. onToken, if not nil, is called with
// each generated token and the text it adds.
func (e *Engine) Generate(prompt string, p Params, onToken func(id int, text string)) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	ids := e.Encode(prompt)
	if len(ids) == 0 {
		ids = []int{e.Tok.BOS()}
	}
	ctx := e.state.Context()
	if len(ids) > ctx {
		return nil, fmt.Errorf("prompt has %d tokens, more than the context of %d", len(ids), ctx)
	}
	res := &Result{NPromptTokens: len(ids)}
	var logits []float32
	for pos, id := range ids {
		logits = e.state.Forward(id, pos)
	}
	var text strings.Builder
	dec := e.Tok.NewStreamDecoder()
	dec.Add(ids[len(ids)-1]) // so the first piece is decoded after the prompt, not after BOS
	pos := len(ids)
	for {
		if len(res.TokenIDs) >= p.MaxNewTokens {
			res.FinishReason = FinishLength
			break
		}
		next := argmax(logits)
		if e.eog[next] {
			res.FinishReason = FinishEOS
			break
		}
		res.TokenIDs = append(res.TokenIDs, next)
		piece := dec.Add(next)
		text.WriteString(piece)
		if onToken != nil {
			onToken(next, piece)
		}
		if cut, ok := stopAt(text.String(), piece, p.Stop); ok {
			t := text.String()[:cut]
			text.Reset()
			text.WriteString(t)
			res.FinishReason = FinishStop
			break
		}
		if len(res.TokenIDs) >= p.MaxNewTokens {
			res.FinishReason = FinishLength
			break
		}
		if pos >= ctx {
			res.FinishReason = FinishContext
			break
		}
		logits = e.state.Forward(next, pos)
		pos++
	}
	if res.FinishReason != FinishStop {
		text.WriteString(dec.Flush())
	}
	res.Text = text.String()
	res.Elapsed = time.Since(start)
	return res, nil
}

// stopAt reports where the earliest stop string starts in text, looking
// only where the last piece could have completed one.
func stopAt(text, piece string, stops []string) (int, bool) {
	best := -1
	for _, s := range stops {
		from := len(text) - len(piece) - len(s) + 1
		if from < 0 {
			from = 0
		}
		if i := strings.Index(text[from:], s); i >= 0 && (best < 0 || from+i < best) {
			best = from + i
		}
	}
	return best, best >= 0
}

// argmax returns the index of the largest value, the lowest index on ties.
func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
