package cli

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	stdio "io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/degen-llm/degen/detect"
	"github.com/degen-llm/degen/generate"
	"github.com/degen-llm/degen/generate/sample"
	"github.com/degen-llm/degen/internal/jsonl"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
)

// GenerateCmd continues prompts.
//
// The decoding flags are pointers so that only the flags the user gave
// override the defaults (generate.DefaultParams); their names are the
// kebab-case of Hugging Face's (and llama.cpp's) parameter names, and a
// record's "params" object uses the snake_case ones.
type GenerateCmd struct {
	ModelFlags
	InputFlags
	ChatFlags

	Prompt       []string `short:"p" sep:"none" help:"Prompt text (repeatable). When given, no input is read."`
	PromptField  string   `default:"prompt" help:"Field of each input record that holds the prompt (a path such as request.prompt)."`
	ParamsField  string   `default:"params" help:"Field of each input record that holds its generation params (a path)."`
	MaxNewTokens *int     `help:"Most tokens to generate per output (default 256)."`
	Stop         []string `sep:"none" help:"Stop when this string appears (repeatable); it is not part of the text."`
	CtxSize      int      `help:"Context size in tokens (default: the model's trained length)."`
	RopeScaling  string   `enum:"none,linear,yarn" default:"none" help:"RoPE scaling to run past the trained context: linear divides positions by --rope-scale; yarn keeps high-frequency dimensions, interpolates low-frequency ones and sharpens attention (${enum})."`
	RopeScale    float32  `help:"Context extension factor of --rope-scaling linear or yarn."`
	RopeFreqBase float32  `help:"RoPE base frequency, replacing the model's (NTK-aware scaling)."`

	DoSample           *bool    `group:"sampling" help:"Sample instead of greedy decoding; the sampling flags below need it."`
	Seed               *uint64  `group:"sampling" help:"Run seed: each sampled record's seed derives from it and the record's identity (its id, else prompt and params), never its position, and is written to the output (default: drawn at random and printed on stderr)."`
	Temperature        *float32 `group:"sampling" help:"Divide the logits by T (HF default 1)."`
	TopK               *int     `group:"sampling" help:"Keep the k most likely tokens, 0 off (HF default 50); also contrastive search's candidates."`
	TopP               *float32 `group:"sampling" help:"Nucleus: keep the smallest set with this much probability (1 off)."`
	MinP               *float32 `group:"sampling" help:"Keep tokens with p >= min_p * p_max (0 off)."`
	TypicalP           *float32 `group:"sampling" help:"Locally typical sampling mass (1 off)."`
	EpsilonCutoff      *float32 `group:"sampling" help:"Drop tokens with p below epsilon (0 off)."`
	EtaCutoff          *float32 `group:"sampling" help:"Eta sampling cutoff (0 off)."`
	TopNSigma          *float32 `group:"sampling" help:"Keep logits within n standard deviations of the max (<= 0 off)."`
	XTCProbability     *float32 `name:"xtc-probability" group:"sampling" help:"XTC: chance per step of excluding the top choices (0 off)."`
	XTCThreshold       *float32 `name:"xtc-threshold" group:"sampling" help:"XTC: probability threshold (default 0.1)."`
	Mirostat           *int     `group:"sampling" help:"Mirostat version 1 or 2 (0 off)."`
	MirostatTau        *float32 `group:"sampling" help:"Mirostat target surprise in bits (default 5)."`
	MirostatEta        *float32 `group:"sampling" help:"Mirostat learning rate (default 0.1)."`
	Samplers           *string  `group:"sampling" help:"Order of the chain, llama.cpp style: \"penalties;dry;top_k;top_p;min_p;temperature\" (default: Hugging Face's order)."`
	NumReturnSequences *int     `group:"sampling" help:"Outputs per prompt: independent samples, or the best beam hypotheses (default 1)."`

	RepetitionPenalty   *float32 `group:"penalties" help:"Multiplicative repetition penalty (1 off; 1.1-1.3 typical)."`
	FrequencyPenalty    *float32 `group:"penalties" help:"Subtract count * F from each seen token's logit (0 off)."`
	PresencePenalty     *float32 `group:"penalties" help:"Subtract P once from each seen token's logit (0 off)."`
	PenaltyLastN        *int     `group:"penalties" help:"Penalties look at the last N tokens only (0 or -1: the whole context)."`
	PenalizePrompt      *bool    `group:"penalties" negatable:"" help:"Penalties count the prompt's tokens (default true; --no-penalize-prompt counts generated tokens only)."`
	NoRepeatNgramSize   *int     `name:"no-repeat-ngram-size" group:"penalties" help:"Never repeat an n-gram of this size (0 off)."`
	BadWords            []string `sep:"none" group:"penalties" help:"Never generate this string (repeatable)."`
	MinNewTokens        *int     `group:"penalties" help:"Suppress end-of-generation until this many tokens (0 off)."`
	LogitBias           []string `sep:"none" group:"penalties" placeholder:"ID=BIAS" help:"Add BIAS to token ID's logit (repeatable)."`
	DRYMultiplier       *float32 `name:"dry-multiplier" group:"penalties" help:"DRY penalty multiplier (0 off; 0.8 typical)."`
	DRYBase             *float32 `name:"dry-base" group:"penalties" help:"DRY growth per extra repeated token (default 1.75)."`
	DRYAllowedLength    *int     `name:"dry-allowed-length" group:"penalties" help:"Longest repeat DRY leaves alone (default 2)."`
	DRYPenaltyLastN     *int     `name:"dry-penalty-last-n" group:"penalties" help:"DRY window (-1: the penalty window, 0 off)."`
	DRYSequenceBreakers []string `name:"dry-sequence-breakers" sep:"none" group:"penalties" help:"Strings that end a DRY repeat (repeatable; default \\n : \" *)."`

	NumBeams         *int     `group:"search" help:"Beam search with this many beams (default 1: off)."`
	LengthPenalty    *float32 `group:"search" help:"Beam score = sum logprob / length^L (default 1; > 0 favours longer)."`
	EarlyStopping    *string  `group:"search" enum:"true,false,never" help:"When beam search stops: true, false (default) or never (${enum})."`
	NumBeamGroups    *int     `group:"search" help:"Diverse beam search: split the beams into this many groups."`
	DiversityPenalty *float32 `group:"search" help:"Diverse beam search: penalty per earlier group's beam choosing the same token."`
	PenaltyAlpha     *float32 `group:"search" help:"Contrastive search degeneration weight alpha (with --top-k; 0.6 and 4 typical)."`
	Logprobs         *int     `group:"search" help:"Write each token's log-probability and the N best alternatives."`

	Batch      int   `group:"loops" default:"1" help:"Generate up to N records together, greedy or sampled ones in one batch: each weight row read from memory serves all of them (beam and contrastive search batch their own sequences)."`
	StopOnLoop *bool `group:"loops" help:"Stop an output as soon as it ends in a loop: 8 copies of a token, 5 of a 2-6 token block or 3 of a longer one (finish_reason repetition)."`
	MaxRetries int   `group:"loops" default:"0" help:"Regenerate an output that degen detect flags, up to N times, with the regeneration ladder (new seed, sampling, hotter, repetition penalty, no-repeat-ngram); keep the best attempt."`
}

// params builds the run's Params from the defaults and the flags the user
// gave, and reports whether the seed was given.
func (c *GenerateCmd) params() (generate.Params, bool, error) {
	p := generate.DefaultParams()
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setF := func(dst *float32, v *float32) {
		if v != nil {
			*dst = *v
		}
	}
	setInt(&p.MaxNewTokens, c.MaxNewTokens)
	p.Stop = c.Stop
	if c.DoSample != nil {
		p.DoSample = *c.DoSample
	}
	if c.Seed != nil {
		p.Seed = *c.Seed
	}
	setF(&p.Temperature, c.Temperature)
	setInt(&p.TopK, c.TopK)
	setF(&p.TopP, c.TopP)
	setF(&p.MinP, c.MinP)
	setF(&p.TypicalP, c.TypicalP)
	setF(&p.EpsilonCutoff, c.EpsilonCutoff)
	setF(&p.EtaCutoff, c.EtaCutoff)
	setF(&p.TopNSigma, c.TopNSigma)
	setF(&p.XTCProbability, c.XTCProbability)
	setF(&p.XTCThreshold, c.XTCThreshold)
	setInt(&p.Mirostat, c.Mirostat)
	setF(&p.MirostatTau, c.MirostatTau)
	setF(&p.MirostatEta, c.MirostatEta)
	if c.Samplers != nil {
		p.Samplers = sample.ParseSamplers(*c.Samplers)
	}
	setInt(&p.NumReturnSequences, c.NumReturnSequences)
	setF(&p.RepetitionPenalty, c.RepetitionPenalty)
	setF(&p.FrequencyPenalty, c.FrequencyPenalty)
	setF(&p.PresencePenalty, c.PresencePenalty)
	setInt(&p.PenaltyLastN, c.PenaltyLastN)
	if c.PenalizePrompt != nil {
		p.PenalizePrompt = *c.PenalizePrompt
	}
	setInt(&p.NoRepeatNGramSize, c.NoRepeatNgramSize)
	p.BadWords = c.BadWords
	setInt(&p.MinNewTokens, c.MinNewTokens)
	for _, lb := range c.LogitBias {
		k, v, ok := strings.Cut(lb, "=")
		id, err1 := strconv.ParseInt(strings.TrimSpace(k), 10, 32)
		bias, err2 := strconv.ParseFloat(strings.TrimSpace(v), 32)
		if !ok || err1 != nil || err2 != nil {
			return p, false, usagef("--logit-bias %q: want ID=BIAS, e.g. 13=-5", lb)
		}
		if p.LogitBias == nil {
			p.LogitBias = map[int32]float32{}
		}
		p.LogitBias[int32(id)] = float32(bias)
	}
	setF(&p.DRYMultiplier, c.DRYMultiplier)
	setF(&p.DRYBase, c.DRYBase)
	setInt(&p.DRYAllowedLength, c.DRYAllowedLength)
	setInt(&p.DRYPenaltyLastN, c.DRYPenaltyLastN)
	if c.DRYSequenceBreakers != nil {
		p.DRYSequenceBreakers = c.DRYSequenceBreakers
	}
	setInt(&p.NumBeams, c.NumBeams)
	setF(&p.LengthPenalty, c.LengthPenalty)
	if c.EarlyStopping != nil {
		es, err := generate.ParseEarlyStopping(*c.EarlyStopping)
		if err != nil {
			return p, false, usagef("%v", err)
		}
		p.EarlyStopping = es
	}
	setInt(&p.NumBeamGroups, c.NumBeamGroups)
	setF(&p.DiversityPenalty, c.DiversityPenalty)
	setF(&p.PenaltyAlpha, c.PenaltyAlpha)
	setInt(&p.LogProbs, c.Logprobs)
	if c.StopOnLoop != nil {
		p.StopOnLoop = *c.StopOnLoop
	}
	if err := p.Validate(); err != nil {
		return p, false, usagef("%v", flagNames(err))
	}
	return p, c.Seed != nil, nil
}

// flagNames rewrites "add --do-sample (do_sample: true)" for the command
// line, where the flag is what the user types.
func flagNames(err error) string {
	return strings.ReplaceAll(err.Error(), " (do_sample: true)", "")
}

// stateOptions are the context and RoPE settings.
func (c *GenerateCmd) stateOptions() (model.StateOptions, error) {
	opt := model.StateOptions{Context: c.CtxSize, Rope: model.RopeScaling{FreqBase: c.RopeFreqBase}}
	if c.CtxSize < 0 {
		return opt, usagef("--ctx-size must be >= 0")
	}
	if c.RopeFreqBase < 0 {
		return opt, usagef("--rope-freq-base must be > 0")
	}
	switch c.RopeScaling {
	case "linear", "yarn":
		if c.RopeScale <= 0 {
			return opt, usagef("--rope-scaling %s needs --rope-scale > 0", c.RopeScaling)
		}
		opt.Rope.Type, opt.Rope.Factor = c.RopeScaling, c.RopeScale
	default:
		if c.RopeScale != 0 {
			return opt, usagef("--rope-scale needs --rope-scaling linear or yarn")
		}
	}
	return opt, nil
}

// Help shows examples.
func (c *GenerateCmd) Help() string {
	return `Each output record is the input record plus "text" (the continuation only) and
"generation": {model, strategy, n_prompt_tokens, n_tokens, finish_reason,
token_ids, sequence_score (beam search), logprobs (--logprobs), elapsed_ms,
tokens_per_s, seed (sampling), sampler (the processor chain), params (every
effective setting)}. finish_reason is "eos" (the model ended the text),
"length" (--max-new-tokens), "stop" (a --stop string), "repetition"
(--stop-on-loop) or "context" (the context window is full).

Strategies, as in Hugging Face: greedy by default (penalties still apply),
sampling with --do-sample, beam search with --num-beams (diverse with
--num-beam-groups and --diversity-penalty), contrastive search with
--penalty-alpha and --top-k. Sampling flags without --do-sample are an error.
A record's "params" object (snake_case names, e.g. {"repetition_penalty":1.3})
overrides the flags for that record. With --num-return-sequences N each prompt
gives N records, each with "sample_index". Every record and sample has its own
random stream, so outputs do not depend on threads or batching.

Examples:
  degen generate --prompt "Once upon a time" --max-new-tokens 64
  degen generate --do-sample --temperature 0.8 --top-p 0.95 --seed 1 < prompts.jsonl
  degen generate --repetition-penalty 1.3 --dry-multiplier 0.8 < prompts.jsonl
  degen generate --num-beams 4 --num-return-sequences 2 --prompt "The cat"
  degen generate --penalty-alpha 0.6 --top-k 4 < prompts.jsonl > out.jsonl`
}

// Run generates.
func (c *GenerateCmd) Run(g *Globals, io *IO) error {
	base, seedGiven, err := c.params()
	if err != nil {
		return err
	}
	opt, err := c.stateOptions()
	if err != nil {
		return err
	}
	m, tok, err := c.ModelFlags.load()
	if err != nil {
		return err
	}
	defer m.Close()
	pool := kernels.NewPool(c.Threads)
	defer pool.Close()
	eng, err := generate.NewEngine(m, tok, pool, opt)
	if err != nil {
		return err
	}
	chatter, err := c.ChatFlags.renderer(m, tok)
	if err != nil {
		return err
	}
	modelName := filepath.Base(m.Path)
	// Each sampled record's random stream derives from the run seed and
	// the record's identity (its "id", else its prompt and params), never
	// its position, so a record run alone, in any file, at any batch size,
	// gives the same bytes; the effective seed goes into generation.seed
	// and generation.params.seed. Without --seed the run seed is drawn at
	// random the first time a record samples, and printed.
	seedDrawn, runSeed := seedGiven, base.Seed
	seedFor := func(p *generate.Params, recordSeed bool, identity []byte) {
		if recordSeed || !p.DoSample {
			return
		}
		if !seedDrawn {
			var b [8]byte
			if _, err := rand.Read(b[:]); err == nil {
				runSeed = binary.LittleEndian.Uint64(b[:])
			} else {
				runSeed = uint64(time.Now().UnixNano())
			}
			seedDrawn = true
			g.logf(io, "generate: run seed %d (drawn at random; --seed %d repeats this run)", runSeed, runSeed)
		}
		p.Seed = recordSeedOf(runSeed, identity)
	}

	var s *stream
	var prompts []string
	if len(c.Prompt) > 0 {
		if len(c.Inputs) > 0 {
			return usagef("give either --prompt or input files, not both")
		}
		if c.Resume || c.Shard != "" {
			return usagef("--resume and --shard work on input files, not --prompt")
		}
		prompts = c.Prompt
		out, err := createOutput(c.Output, io)
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
	bar := newRecordBar(g, io, s, "generate")
	var totalTok int
	start := time.Now()
	// item is one prompt to generate, with its record and settings.
	type item struct {
		rec    *jsonl.Record
		prompt generate.Prompt
		p      generate.Params
		index  uint64
		line   int // input line, for errors (0 with --prompt)
		name   string
	}
	recErr := func(it item, err error) error {
		if it.line == 0 {
			return err
		}
		return &jsonl.LineError{Input: it.name, Line: it.line, Err: err}
	}
	// skipBad handles an error in one record's content: --on-error=skip
	// skips the record (it goes to --rejects with the reason) and sets
	// skipped; a --prompt (line 0) has no record to skip.
	skipped := false
	skipBad := func(it item, err error) error {
		if it.line == 0 || !s.skip {
			return err
		}
		skipped = true
		return s.failed(it.rec, err)
	}
	// read returns the next item, or ok false at the end of the input.
	read := func(i int) (it item, ok bool, err error) {
		// The stream index is 0 for every record: the per-record seed
		// (seedFor) is what tells records apart.
		it.p, it.index = base, 0
		recordSeed := false
		if prompts != nil {
			if i >= len(prompts) {
				return it, false, nil
			}
			it.rec, it.prompt = jsonl.NewRecord(), generate.Prompt{Text: prompts[i]}
			seedFor(&it.p, false, []byte(prompts[i]))
			return it, true, it.rec.SetValue("prompt", prompts[i])
		}
		r, err := s.next()
		if errors.Is(err, stdio.EOF) {
			return it, false, nil
		}
		if err != nil {
			return it, false, err
		}
		it.rec, it.line, it.name = r, s.in.Line(), s.in.Name()
		if msgs, ok := r.Get(c.MessagesField); ok && (!c.NoChatTemplate || !r.Has(c.PromptField)) {
			// A conversation: the chat template renders it, and the special
			// tokens it writes are tokens.
			text, ids, err := chatter.render(msgs)
			if err != nil {
				return it, true, skipBad(it, recErr(it, err))
			}
			it.prompt = generate.Prompt{Text: text, IDs: ids}
		} else {
			pv, ok, err := r.LookupString(c.PromptField)
			if err != nil || !ok {
				if err == nil {
					err = fmt.Errorf("no %q field (nor %q)", c.PromptField, c.MessagesField)
				}
				return it, true, skipBad(it, recErr(it, fmt.Errorf("prompt: %w (choose the field with --prompt-field)", err)))
			}
			it.prompt = generate.Prompt{Text: pv}
		}
		if raw, ok := r.Lookup(c.ParamsField); ok {
			if it.p, err = base.Overlay(raw); err != nil {
				return it, true, skipBad(it, recErr(it, err))
			}
			_, recordSeed = r.Lookup(c.ParamsField + ".seed")
		}
		seedFor(&it.p, recordSeed, recordIdentity(r, c.PromptField, c.MessagesField, c.ParamsField))
		return it, true, nil
	}
	// write writes the outputs of one item.
	write := func(it item, results []*generate.Result, p generate.Params, tries []retryInfo) error {
		for _, res := range results {
			out := it.rec
			if len(results) > 1 {
				out = it.rec.Clone()
				if err := out.SetValue("sample_index", res.SampleIndex); err != nil {
					return err
				}
			}
			totalTok += len(res.TokenIDs)
			if err := out.SetValue("text", res.Text); err != nil {
				return err
			}
			info := generationInfo{
				Model:         modelName,
				Kernels:       kernels.Impl(),
				Strategy:      res.Strategy,
				NPromptTokens: res.NPromptTokens,
				NTokens:       len(res.TokenIDs),
				FinishReason:  res.FinishReason,
				TokenIDs:      res.TokenIDs,
				SequenceScore: res.SequenceScore,
				LogProbs:      res.LogProbs,
				ElapsedMS:     roundTo(float64(res.Elapsed.Microseconds())/1000, 3),
				TokensPerS:    roundTo(res.TokensPerSecond(), 2),
				Sampler:       res.Sampler,
				Params:        p,
				Retries:       tries,
			}
			if p.DoSample {
				seed := p.Seed
				info.Seed = &seed
			}
			if err := out.SetValue("generation", info); err != nil {
				return err
			}
			if err := s.write(out); err != nil {
				return err
			}
		}
		bar.Add(1)
		bar.Describe(fmt.Sprintf("generate %.0f tok/s", float64(totalTok)/time.Since(start).Seconds()))
		return nil
	}
	// one generates an item on its own (every strategy, retries).
	one := func(it item) error {
		p := it.p
		results, err := eng.GeneratePrompt(it.prompt, p, it.index)
		var tries []retryInfo
		if err == nil && c.MaxRetries > 0 {
			results, p, tries, err = c.retry(eng, it.prompt, p, it.index, results)
		}
		if err != nil {
			if err := skipBad(it, recErr(it, err)); err != nil {
				return err
			}
			return nil
		}
		return write(it, results, p, tries)
	}
	// many generates greedy and sampled items as one batch (--batch), the
	// others on their own, and writes all in input order.
	many := func(items []item) error {
		var idx []int
		var ps []generate.Prompt
		var pp []generate.Params
		var rr []uint64
		for k, it := range items {
			if generate.Batchable(it.p) && c.MaxRetries == 0 {
				idx, ps, pp, rr = append(idx, k), append(ps, it.prompt), append(pp, it.p), append(rr, it.index)
			}
		}
		got := map[int]*generate.Result{}
		if len(idx) > 1 {
			res, err := eng.GenerateManyPrompts(ps, pp, rr)
			if err != nil {
				return recErr(items[idx[0]], err)
			}
			for n, k := range idx {
				got[k] = res[n]
			}
		}
		for k, it := range items {
			if r, ok := got[k]; ok {
				if err := write(it, []*generate.Result{r}, it.p, nil); err != nil {
					return err
				}
				continue
			}
			if err := one(it); err != nil {
				return err
			}
		}
		return nil
	}
	batch := max(c.Batch, 1)
	err = func() error {
		var items []item
		var stop error // an interruption: the items in hand are finished first
		for i := 0; ; i++ {
			skipped = false
			if prompts != nil && stop == nil {
				stop = interrupted(io.Ctx)
			}
			it, ok, err := read(i)
			if stop != nil {
				ok = false
			} else if isInterrupt(err) {
				stop, ok = err, false
			} else if err != nil {
				return err
			}
			if ok && !skipped {
				items = append(items, it)
			}
			if len(items) > 0 && (!ok || len(items) == batch) {
				if err := many(items); err != nil {
					return err
				}
				items = items[:0]
			}
			if !ok {
				return stop
			}
		}
	}()
	bar.Finish()
	if ferr := s.finish(g, io, "generate", err); err == nil {
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
	Model         string             `json:"model"`
	Kernels       string             `json:"kernels"` // the kernel implementation that computed it (see --kernels)
	Strategy      string             `json:"strategy"`
	NPromptTokens int                `json:"n_prompt_tokens"`
	NTokens       int                `json:"n_tokens"`
	FinishReason  string             `json:"finish_reason"`
	TokenIDs      []int              `json:"token_ids"`
	SequenceScore *float64           `json:"sequence_score,omitempty"`
	LogProbs      []generate.LogProb `json:"logprobs,omitempty"`
	ElapsedMS     float64            `json:"elapsed_ms"`
	TokensPerS    float64            `json:"tokens_per_s"`
	Seed          *uint64            `json:"seed,omitempty"`
	Sampler       string             `json:"sampler"`
	Params        generate.Params    `json:"params"`
	Retries       []retryInfo        `json:"retries,omitempty"`
}

// retryInfo records one attempt of --max-retries.
type retryInfo struct {
	Attempt    int      `json:"attempt"`
	Degenerate bool     `json:"degenerate"`
	Reasons    []string `json:"reasons"`
	Kept       bool     `json:"kept"`
}

// retry regenerates a degenerate output with the ladder of degen detect
// until one is clean or MaxRetries attempts are spent, and returns the best
// attempt: the first clean one, else the one whose text repeats least
// (windowed seq-rep-4), with the parameters that produced it.
func (c *GenerateCmd) retry(eng *generate.Engine, prompt generate.Prompt, p generate.Params, record uint64, first []*generate.Result) ([]*generate.Result, generate.Params, []retryInfo, error) {
	if len(first) != 1 {
		return nil, p, nil, usagef("--max-retries works on one output per prompt; drop --num-return-sequences")
	}
	opt := detect.DefaultOptions()
	type attempt struct {
		res *generate.Result
		p   generate.Params
		d   detect.Result
	}
	judge := func(r *generate.Result, p generate.Params) attempt {
		return attempt{r, p, detect.Detect(r.Text, r.TokenIDs, opt)}
	}
	cur := judge(first[0], p)
	best, bestIdx := cur, 0
	tries := []retryInfo{{Attempt: 0, Degenerate: cur.d.Degenerate, Reasons: cur.d.Reasons}}
	for n := 1; n <= c.MaxRetries && cur.d.Degenerate; n++ {
		b, err := json.Marshal(cur.p)
		if err != nil {
			return nil, p, nil, err
		}
		prev, err := decodeParams(b)
		if err != nil {
			return nil, p, nil, err
		}
		next, err := json.Marshal(detect.NextParams(n, prev))
		if err != nil {
			return nil, p, nil, err
		}
		np, err := p.Overlay(next)
		if err != nil {
			return nil, p, nil, fmt.Errorf("retry %d: %w", n, err)
		}
		rs, err := eng.GeneratePrompt(prompt, np, record)
		if err != nil {
			return nil, p, nil, fmt.Errorf("retry %d: %w", n, err)
		}
		cur = judge(rs[0], np)
		tries = append(tries, retryInfo{Attempt: n, Degenerate: cur.d.Degenerate, Reasons: cur.d.Reasons})
		if !cur.d.Degenerate || (best.d.Degenerate && cur.d.Signals.SeqRep4Window < best.d.Signals.SeqRep4Window) {
			best, bestIdx = cur, n
		}
	}
	if len(tries) == 1 {
		return first, p, nil, nil // clean at once: nothing to report
	}
	tries[bestIdx].Kept = true
	return []*generate.Result{best.res}, best.p, tries, nil
}

func roundTo(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// recordIdentity is what a record's random stream derives from: its "id"
// field when it has one, else its prompt (or messages) and params.
func recordIdentity(r *jsonl.Record, promptField, messagesField, paramsField string) []byte {
	if raw, ok := r.Get("id"); ok {
		return append([]byte("id\x00"), raw...)
	}
	var b []byte
	for _, k := range []string{promptField, messagesField, paramsField} {
		raw, _ := r.Lookup(k)
		b = append(append(b, raw...), 0)
	}
	return b
}

// recordSeedOf mixes the run seed and a record identity (FNV-1a, then a
// SplitMix64 finaliser) into the record's seed.
func recordSeedOf(run uint64, identity []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range identity {
		h ^= uint64(c)
		h *= 1099511628211
	}
	z := run ^ h + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
