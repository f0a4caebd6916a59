package generate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/degen-llm/degen/generate/sample"
)

// Strategy names, as written to "generation"."strategy".
const (
	StrategyGreedy      = "greedy"
	StrategySample      = "sample"
	StrategyBeam        = "beam_search"
	StrategyDiverseBeam = "diverse_beam_search"
	StrategyContrastive = "contrastive_search"
)

// EarlyStopping is Hugging Face's early_stopping: "true" stops a beam search
// as soon as num_beams hypotheses are finished, "false" (the default) when
// the best running beam can no longer beat the worst finished one at its
// current length, "never" when it cannot at the longest length still
// reachable (canonical beam search). In JSON it is true, false or "never",
// as in Hugging Face; the strings "true" and "false" are accepted too.
type EarlyStopping string

// The early_stopping modes.
const (
	EarlyStoppingTrue  EarlyStopping = "true"
	EarlyStoppingFalse EarlyStopping = "false"
	EarlyStoppingNever EarlyStopping = "never"
)

// ParseEarlyStopping reads "true", "false" or "never".
func ParseEarlyStopping(s string) (EarlyStopping, error) {
	switch e := EarlyStopping(strings.ToLower(strings.TrimSpace(s))); e {
	case EarlyStoppingTrue, EarlyStoppingFalse, EarlyStoppingNever:
		return e, nil
	}
	return "", fmt.Errorf(`early_stopping must be true, false or "never", got %q`, s)
}

func (e EarlyStopping) MarshalJSON() ([]byte, error) {
	switch e {
	case EarlyStoppingTrue:
		return []byte("true"), nil
	case EarlyStoppingNever:
		return []byte(`"never"`), nil
	}
	return []byte("false"), nil
}

func (e *EarlyStopping) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case bool:
		*e = EarlyStoppingFalse
		if x {
			*e = EarlyStoppingTrue
		}
		return nil
	case string:
		p, err := ParseEarlyStopping(x)
		if err != nil {
			return err
		}
		*e = p
		return nil
	}
	return fmt.Errorf(`early_stopping must be true, false or "never", got %s`, b)
}

// Params are the settings of one generation: the token-level controls of
// sample.Config (embedded, so their JSON names sit at the top level, as in a
// Hugging Face GenerationConfig) plus budget, stop strings and the search
// strategy. The effective Params are written into every output record.
//
// A Params whose Config is the zero value (a literal that sets only
// MaxNewTokens and Stop) means the defaults: [Params.Normalized] fills them
// in, so Params{MaxNewTokens: n} is greedy decoding.
type Params struct {
	sample.Config

	// MaxNewTokens is the token budget per output (end-of-generation
	// tokens not counted).
	MaxNewTokens int `json:"max_new_tokens"`
	// Stop strings end the output; they are not part of the text.
	Stop []string `json:"stop,omitempty"`
	// NumReturnSequences is how many outputs per prompt: independent samples
	// (each with its own random stream) or the best beam hypotheses.
	NumReturnSequences int `json:"num_return_sequences"`
	// NumBeams > 1 selects beam search. HF default 1.
	NumBeams int `json:"num_beams"`
	// LengthPenalty is the exponent of the generated length that divides a
	// finished hypothesis's log-probability; > 0 favours longer outputs. HF 1.
	LengthPenalty float32 `json:"length_penalty"`
	// EarlyStopping is when beam search stops; see EarlyStopping.
	EarlyStopping EarlyStopping `json:"early_stopping"`
	// NumBeamGroups > 1 selects diverse beam search (num_beams must be a
	// multiple). HF 1.
	NumBeamGroups int `json:"num_beam_groups"`
	// DiversityPenalty is subtracted from a token's score once per beam of
	// an earlier group that chose it at the same step. HF 0.
	DiversityPenalty float32 `json:"diversity_penalty"`
	// PenaltyAlpha > 0 with top_k > 1 selects contrastive search. HF None.
	PenaltyAlpha float32 `json:"penalty_alpha"`
	// LogProbs > 0 returns, per generated token, its log-probability after
	// processing and the LogProbs most probable alternatives; 0 is off.
	LogProbs int `json:"logprobs"`
	// StopOnLoop stops an output as soon as its last tokens are a loop
	// (finish reason "repetition"): 8 copies of one token, 5 of a block of
	// 2–6 tokens, or 3 of a longer block of up to 64 tokens.
	StopOnLoop bool `json:"stop_on_loop"`
}

// DefaultParams are the defaults of the library and the CLI: Hugging Face's
// GenerationConfig defaults (greedy, one beam, length_penalty 1,
// early_stopping false) with a budget of 256 new tokens.
func DefaultParams() Params {
	return Params{
		Config:             sample.Defaults(),
		MaxNewTokens:       256,
		NumReturnSequences: 1,
		NumBeams:           1,
		LengthPenalty:      1,
		EarlyStopping:      EarlyStoppingFalse,
		NumBeamGroups:      1,
	}
}

// isZeroConfig: a valid Config never has repetition_penalty 0, so a zero
// one can only come from a literal that left Config out.
func isZeroConfig(c *sample.Config) bool {
	return c.RepetitionPenalty == 0 && c.TopP == 0 && c.TypicalP == 0 && c.DRYBase == 0 && c.Temperature == 0
}

// Normalized fills in the defaults of a Params literal: the whole Config
// when it is zero, and num_beams, num_beam_groups, num_return_sequences and
// early_stopping when they are zero. When Config was zero, length_penalty 0
// becomes 1 as well (otherwise 0 is a real value: canonical beam search).
func (p Params) Normalized() Params {
	zero := isZeroConfig(&p.Config)
	if zero {
		p.Config = sample.Defaults()
		if p.LengthPenalty == 0 {
			p.LengthPenalty = 1
		}
	}
	p.NumBeams = max(p.NumBeams, 1)
	p.NumBeamGroups = max(p.NumBeamGroups, 1)
	p.NumReturnSequences = max(p.NumReturnSequences, 1)
	if p.EarlyStopping == "" {
		p.EarlyStopping = EarlyStoppingFalse
	}
	return p
}

// Clone returns a deep copy.
func (p Params) Clone() Params {
	p.Config = p.Config.Clone()
	p.Stop = slices.Clone(p.Stop)
	return p
}

// Strategy names the decoding strategy the parameters select, with Hugging
// Face's precedence: beam search when num_beams > 1 (diverse with groups),
// contrastive search when penalty_alpha > 0 and top_k > 1 without sampling,
// sampling when do_sample, else greedy.
func (p Params) Strategy() string {
	switch {
	case p.NumBeams > 1 && p.NumBeamGroups > 1:
		return StrategyDiverseBeam
	case p.NumBeams > 1:
		return StrategyBeam
	case p.PenaltyAlpha > 0 && !p.DoSample:
		return StrategyContrastive
	case p.DoSample:
		return StrategySample
	}
	return StrategyGreedy
}

// SamplingOnly lists the sampling-only settings (HF's warpers, plus
// llama.cpp's truncation samplers) that differ from their defaults. Without
// do_sample they would have no effect, so Validate rejects them rather than
// ignore them silently. top_k is not listed when contrastive search uses it.
func (p Params) SamplingOnly() []string {
	d := sample.Defaults()
	var set []string
	add := func(name string, changed bool) {
		if changed {
			set = append(set, name)
		}
	}
	add("temperature", p.Temperature != d.Temperature)
	add("top_k", p.TopK != d.TopK && p.PenaltyAlpha == 0)
	add("top_p", p.TopP != d.TopP)
	add("min_p", p.MinP != d.MinP)
	add("typical_p", p.TypicalP != d.TypicalP)
	add("epsilon_cutoff", p.EpsilonCutoff != d.EpsilonCutoff)
	add("eta_cutoff", p.EtaCutoff != d.EtaCutoff)
	add("top_n_sigma", p.TopNSigma != d.TopNSigma)
	add("xtc_probability", p.XTCProbability != d.XTCProbability)
	add("xtc_threshold", p.XTCThreshold != d.XTCThreshold)
	add("mirostat", p.Mirostat != d.Mirostat)
	add("mirostat_tau", p.MirostatTau != d.MirostatTau)
	add("mirostat_eta", p.MirostatEta != d.MirostatEta)
	return set
}

// ErrNeedsDoSample is wrapped by Validate when a sampling-only setting is
// given without do_sample.
var ErrNeedsDoSample = errors.New("add --do-sample (do_sample: true)")

// Validate checks the parameters (after Normalized).
func (p Params) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if err := p.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	if p.MaxNewTokens < 0 {
		bad("max_new_tokens must be >= 0, got %d", p.MaxNewTokens)
	}
	for _, s := range p.Stop {
		if s == "" {
			bad("stop strings must not be empty")
			break
		}
	}
	if !p.DoSample {
		if set := p.SamplingOnly(); len(set) > 0 {
			what := "is a sampling setting"
			if len(set) > 1 {
				what = "are sampling settings"
			}
			errs = append(errs, fmt.Errorf("%s %s and would do nothing in greedy decoding: %w", strings.Join(set, ", "), what, ErrNeedsDoSample))
		}
	}
	if p.NumBeams < 1 {
		bad("num_beams must be >= 1, got %d", p.NumBeams)
	}
	if p.NumReturnSequences < 1 {
		bad("num_return_sequences must be >= 1, got %d", p.NumReturnSequences)
	}
	if math.IsNaN(float64(p.LengthPenalty)) || math.IsInf(float64(p.LengthPenalty), 0) {
		bad("length_penalty must be a finite number, got %v", p.LengthPenalty)
	}
	if _, err := ParseEarlyStopping(string(p.EarlyStopping)); err != nil {
		errs = append(errs, err)
	}
	if p.NumBeamGroups < 1 {
		bad("num_beam_groups must be >= 1, got %d", p.NumBeamGroups)
	} else if p.NumBeams >= 1 && (p.NumBeamGroups > p.NumBeams || p.NumBeams%p.NumBeamGroups != 0) {
		bad("num_beams (%d) must be a multiple of num_beam_groups (%d)", p.NumBeams, p.NumBeamGroups)
	}
	if math.IsNaN(float64(p.DiversityPenalty)) || p.DiversityPenalty < 0 {
		bad("diversity_penalty must be >= 0, got %v", p.DiversityPenalty)
	}
	if p.DiversityPenalty > 0 && p.NumBeamGroups < 2 {
		bad("diversity_penalty needs num_beam_groups > 1")
	}
	if !(p.PenaltyAlpha >= 0 && p.PenaltyAlpha <= 1) {
		bad("penalty_alpha must be in [0, 1] (0 disables contrastive search), got %v", p.PenaltyAlpha)
	}
	if p.LogProbs < 0 {
		bad("logprobs must be >= 0, got %d", p.LogProbs)
	}
	switch {
	case p.NumBeams > 1:
		if p.DoSample {
			bad("beam search with do_sample (beam sampling) is not supported: drop --do-sample or use --num-beams 1")
		}
		if p.PenaltyAlpha > 0 {
			bad("penalty_alpha (contrastive search) cannot be combined with num_beams > 1")
		}
		if p.NumReturnSequences > p.NumBeams {
			bad("num_return_sequences (%d) must be <= num_beams (%d)", p.NumReturnSequences, p.NumBeams)
		}
	case p.PenaltyAlpha > 0:
		if p.DoSample {
			bad("penalty_alpha (contrastive search) is deterministic: drop --do-sample")
		} else if p.TopK < 2 {
			bad("penalty_alpha (contrastive search) needs top_k > 1, got %d", p.TopK)
		}
	}
	if p.NumBeams == 1 && !p.DoSample && p.NumReturnSequences > 1 {
		bad("num_return_sequences > 1 needs --do-sample or --num-beams: greedy and contrastive search give one output")
	}
	if (p.NumBeamGroups > 1 || p.LengthPenalty != 1 || p.EarlyStopping != EarlyStoppingFalse) && p.NumBeams == 1 {
		bad("num_beam_groups, length_penalty and early_stopping only apply to beam search: add --num-beams")
	}
	return errors.Join(errs...)
}

// paramKeys lists the JSON names of Params (Config's included).
var paramKeys = sync.OnceValue(func() map[string]bool {
	p := DefaultParams()
	p.Stop = []string{""}
	p.BadWords = []string{""}
	p.BadWordsIDs = [][]int32{nil}
	p.LogitBias = map[int32]float32{0: 0}
	p.Samplers = sample.SamplerList{""}
	return sample.JSONKeys(p)
})

// Overlay returns a copy of p with the keys of the JSON object params set (a
// record's "params", snake_case names as in the output): an unknown key is
// an error naming it; lists and maps replace p's rather than merge. The
// result is normalised and validated.
func (p Params) Overlay(params []byte) (Params, error) {
	out := p.Clone()
	if err := sample.DecodeParams(params, paramKeys(), &out, &out.LogitBias); err != nil {
		return p, fmt.Errorf("params: %w", err)
	}
	out = out.Normalized()
	if err := out.Validate(); err != nil {
		return p, fmt.Errorf("params: %w", err)
	}
	return out, nil
}
