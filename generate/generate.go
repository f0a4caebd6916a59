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

	"github.com/degen-llm/degen/generate/sample"
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

// Result is one generated continuation.
type Result struct {
	Text          string // the continuation only, stop string excluded
	TokenIDs      []int  // generated token ids (the end-of-generation token excluded)
	NPromptTokens int    // prompt tokens fed to the model, BOS included
	FinishReason  string
	// Elapsed is the time of the whole call (prompt processing and every
	// returned sequence).
	Elapsed time.Duration
	// SampleIndex numbers the outputs of one prompt (num_return_sequences).
	SampleIndex int
	// SequenceScore is a beam hypothesis's normalised score (nil otherwise).
	SequenceScore *float64
	// LogProbs has an entry per generated token when Params.LogProbs > 0
	// (and one for the end-of-generation token when it ended the text).
	LogProbs []LogProb
	Strategy string // StrategyGreedy, StrategySample, ...
	Sampler  string // the processor chain, e.g. "repetition_penalty(1.3)"
}

// TokensPerSecond is generated tokens over elapsed time.
func (r *Result) TokensPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.TokenIDs)) / r.Elapsed.Seconds()
}

// Engine generates with one model. It owns KV caches and buffers, so it is
// not safe for concurrent use: run one Engine per goroutine.
type Engine struct {
	Model *model.Model
	Tok   *tokenizer.Tokenizer
	dec   Decoder
	lm    *modelLM
	state *model.State
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
	lm := &modelLM{m: m, pool: pool, opt: opt}
	first, err := lm.NewSeq()
	if err != nil {
		return nil, err
	}
	lm.ctx = first.(modelSeq).s.Context()
	e := &Engine{Model: m, Tok: tok, lm: lm, state: first.(modelSeq).s}
	eos := make([]int32, len(m.EOG))
	for i, id := range m.EOG {
		eos[i] = int32(id)
	}
	e.dec = Decoder{
		LM: lm,
		Vocab: sample.VocabInfo{
			EOS:   eos,
			Piece: tok.Decode,
			Encode: func(s string) []int32 {
				ids := tok.Encode(s, false)
				out := make([]int32, len(ids))
				for i, id := range ids {
					out[i] = int32(id)
				}
				return out
			},
		},
		seqs: []Seq{first},
	}
	return e, nil
}

// State exposes the engine's first sequence state (for strategies and
// metrics that drive the model directly).
func (e *Engine) State() *model.State { return e.state }

// Context is the number of positions a sequence may hold.
func (e *Engine) Context() int { return e.lm.ctx }

// Encode tokenises a prompt the way generation does: BOS first when the
// vocabulary asks for it.
func (e *Engine) Encode(prompt string) []int {
	return e.Tok.Encode(prompt, e.Model.Vocab == nil || e.Model.Vocab.AddBOS)
}

// Sampler describes the processor chain p builds (e.g.
// "repetition_penalty(1.3) > top_k(40) > temperature(0.8)").
func (e *Engine) Sampler(p Params) (string, error) {
	ch, err := e.dec.Chain(p.Normalized())
	if err != nil {
		return "", err
	}
	return ch.String(), nil
}

// Generate continues prompt with the strategy p selects and returns the
// first output (record 0's random stream). onToken, if not nil, is called
// with each generated token and the text it adds (greedy, sampling and
// contrastive search).
func (e *Engine) Generate(prompt string, p Params, onToken func(id int, text string)) (*Result, error) {
	res, err := e.generate(Prompt{Text: prompt}, p, 0, onToken)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// GenerateAll continues prompt and returns every output
// (num_return_sequences of them). record numbers the prompt in its input,
// from 0: with the seed it selects the random streams, so a record's
// outputs do not depend on batching or threads.
func (e *Engine) GenerateAll(prompt string, p Params, record uint64) ([]*Result, error) {
	return e.generate(Prompt{Text: prompt}, p, record, nil)
}

// Prompt is what a generation continues: Text, encoded with the model's
// vocabulary as a plain string (special-token text stays text), or IDs
// when the caller encoded it (a chat-rendered prompt, whose special tokens
// are meant as tokens). IDs win when set.
type Prompt struct {
	Text string
	IDs  []int
}

// GeneratePrompt is GenerateAll for a Prompt.
func (e *Engine) GeneratePrompt(prompt Prompt, p Params, record uint64) ([]*Result, error) {
	return e.generate(prompt, p, record, nil)
}

func (e *Engine) generate(prompt Prompt, p Params, record uint64, onToken func(id int, text string)) ([]*Result, error) {
	p = p.Normalized()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	ids, err := e.promptIDs(prompt)
	if err != nil {
		return nil, err
	}
	last := ids[len(ids)-1]
	e.dec.NewStopper = e.stopperFor(p, last)
	e.dec.OnToken = nil
	if onToken != nil {
		var sd *tokenizer.StreamDecoder
		cur := -1
		e.dec.OnToken = func(i, id int) {
			if i != cur {
				sd, cur = e.Tok.NewStreamDecoder(), i
				sd.Add(last)
			}
			onToken(id, sd.Add(id))
		}
	}
	out, err := e.dec.Decode(ids, p, record)
	if err != nil {
		return nil, err
	}
	el := time.Since(start)
	res := make([]*Result, len(out.Sequences))
	for i, s := range out.Sequences {
		res[i] = e.result(out, s, p, len(ids), last, el)
	}
	return res, nil
}

// stopperFor makes the stop watcher of a sequence with params p whose
// prompt ends with token last: stop strings and stop_on_loop; nil when p
// has neither.
func (e *Engine) stopperFor(p Params, last int) func() Stopper {
	if len(p.Stop) == 0 && !p.StopOnLoop {
		return nil
	}
	return func() Stopper {
		s := &stoppers{}
		if len(p.Stop) > 0 {
			s.list = append(s.list, newTextStopper(e.Tok, last, p.Stop))
		}
		if p.StopOnLoop {
			s.list = append(s.list, &loopStopper{})
		}
		return s
	}
}

// result turns one decoded sequence into a Result: the text as it reads
// after the prompt's last token, cut at a stop string, and log-probs with
// their token texts.
func (e *Engine) result(out *Output, s Sequence, p Params, nPrompt, last int, el time.Duration) *Result {
	r := &Result{
		Text:          e.continuation(last, s.Tokens),
		TokenIDs:      s.Tokens,
		NPromptTokens: nPrompt,
		FinishReason:  s.FinishReason,
		Elapsed:       el,
		SampleIndex:   s.SampleIndex,
		LogProbs:      s.LogProbs,
		Strategy:      out.Strategy,
		Sampler:       out.Sampler,
	}
	if r.TokenIDs == nil {
		r.TokenIDs = []int{}
	}
	if s.FinishReason == FinishStop {
		r.Text = cutAtStop(r.Text, p.Stop)
	}
	if s.HasScore {
		sc := s.Score
		r.SequenceScore = &sc
	}
	for j := range r.LogProbs {
		lp := &r.LogProbs[j]
		lp.Token = e.Tok.Decode(lp.ID)
		for k := range lp.Top {
			lp.Top[k].Token = e.Tok.Decode(lp.Top[k].ID)
		}
	}
	return r
}

// continuation decodes generated ids as they read after the prompt's last
// token (so the first piece keeps its space unless the prompt is only BOS).
func (e *Engine) continuation(last int, gen []int) string {
	var b strings.Builder
	b.Grow(8 * len(gen)) // one allocation for typical token lengths
	d := e.Tok.NewStreamDecoder()
	d.Add(last)
	for _, id := range gen {
		b.WriteString(d.Add(id))
	}
	b.WriteString(d.Flush())
	return b.String()
}

// cutAtStop cuts text at the earliest stop string.
func cutAtStop(text string, stops []string) string {
	best := -1
	for _, s := range stops {
		if i := strings.Index(text, s); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return text
	}
	return text[:best]
}

// textStopper decodes a sequence as it grows and watches for stop strings.
type textStopper struct {
	tok   *tokenizer.Tokenizer
	last  int
	stops []string
	ids   []int
	dec   *tokenizer.StreamDecoder
	text  strings.Builder
}

func newTextStopper(tok *tokenizer.Tokenizer, last int, stops []string) *textStopper {
	s := &textStopper{tok: tok, last: last, stops: stops, dec: tok.NewStreamDecoder()}
	s.dec.Add(last)
	return s
}

func (s *textStopper) Add(id int) bool {
	s.ids = append(s.ids, id)
	piece := s.dec.Add(id)
	s.text.WriteString(piece)
	_, ok := stopAt(s.text.String(), piece, s.stops)
	return ok
}

// Clone replays the ids into a fresh watcher: the stream decoder's pending
// bytes are not shareable.
func (s *textStopper) Clone() Stopper {
	c := newTextStopper(s.tok, s.last, s.stops)
	for _, id := range s.ids {
		c.ids = append(c.ids, id)
		c.text.WriteString(c.dec.Add(id))
	}
	return c
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

// ErrNoStart is the error for an empty prompt when the vocabulary has no
// BOS token to start a sequence with (Qwen's, for one).
var ErrNoStart = errors.New("empty prompt: the vocabulary has no BOS token to start from; give a prompt")

// promptIDs encodes a prompt; an empty one is BOS alone, as Hugging Face
// and llama2.c start an unconditioned sequence.
func (e *Engine) promptIDs(prompt Prompt) ([]int, error) {
	ids := prompt.IDs
	if ids == nil {
		ids = e.Encode(prompt.Text)
	}
	for _, id := range ids {
		if id < 0 || id >= e.Model.Config.VocabSize {
			return nil, fmt.Errorf("prompt token %d is outside the vocabulary of %d", id, e.Model.Config.VocabSize)
		}
	}
	if len(ids) > 0 {
		return ids, nil
	}
	if e.Tok.BOS() < 0 {
		return nil, ErrNoStart
	}
	return []int{e.Tok.BOS()}, nil
}
