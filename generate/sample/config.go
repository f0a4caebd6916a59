package sample

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
)

// Config holds every decoding control with Hugging Face's generation
// parameter names (snake_case JSON keys) and, for controls Hugging Face does
// not have, llama.cpp's or OpenAI's. The effective Config is written into
// every output record, so it round-trips through JSON; a record's "params"
// object is overlaid on it with [Config.Overlay].
//
// Which ones run: with DoSample false (the default, as in Hugging Face)
// decoding is greedy and the sampling-only controls (temperature, top_k,
// top_p, min_p, typical_p, epsilon_cutoff, eta_cutoff, top_n_sigma, xtc,
// mirostat) are ignored; the logit processors (penalties, DRY, bans,
// logit_bias, min_new_tokens) always run.
type Config struct {
	// DoSample selects sampling; false is greedy decoding. HF default false.
	DoSample bool `json:"do_sample"`
	// Seed seeds the run's random streams (see NewRNG). HF has none, llama.cpp
	// and ollama pick a random one; ours defaults to 0 so runs reproduce.
	Seed uint64 `json:"seed"`

	// Temperature divides the logits; 1 is off, 0 means greedy. HF 1.0
	// (llama.cpp and ollama 0.8).
	Temperature float32 `json:"temperature"`
	// TopK keeps the k best; 0 is off. HF 50 (llama.cpp 40, vLLM off).
	TopK int `json:"top_k"`
	// TopP is the nucleus mass in (0,1]; 1 is off. HF 1.0 (llama.cpp 0.95).
	TopP float32 `json:"top_p"`
	// MinP in [0,1] keeps p ≥ min_p·p_max; 0 is off. HF None (llama.cpp 0.05).
	MinP float32 `json:"min_p"`
	// TypicalP in (0,1] is the typical mass; 1 is off. HF 1.0.
	TypicalP float32 `json:"typical_p"`
	// EpsilonCutoff in [0,1); 0 is off. HF 0.0.
	EpsilonCutoff float32 `json:"epsilon_cutoff"`
	// EtaCutoff in [0,1); 0 is off. HF 0.0.
	EtaCutoff float32 `json:"eta_cutoff"`
	// TopNSigma keeps z ≥ max − n·σ; ≤ 0 is off. llama.cpp −1 (off); not in HF.
	TopNSigma float32 `json:"top_n_sigma"`

	// RepetitionPenalty > 0, multiplicative, HF sign rule; 1 is off. HF 1.0.
	RepetitionPenalty float32 `json:"repetition_penalty"`
	// FrequencyPenalty subtracts count·α; 0 is off, negative encourages
	// repeats. OpenAI/llama.cpp 0; not in HF.
	FrequencyPenalty float32 `json:"frequency_penalty"`
	// PresencePenalty subtracts α once per present id; 0 is off. OpenAI 0.
	PresencePenalty float32 `json:"presence_penalty"`
	// PenaltyLastN > 0 limits every penalty (repetition, frequency,
	// presence, DRY) to the last N context tokens; 0 or −1 counts all (HF).
	PenaltyLastN int `json:"penalty_last_n"`
	// PenalizePrompt false counts generated tokens only; default true (HF,
	// llama.cpp; vLLM and OpenAI count only output for frequency/presence).
	PenalizePrompt bool `json:"penalize_prompt"`

	// NoRepeatNGramSize bans tokens completing a seen n-gram; 0 is off. HF 0.
	NoRepeatNGramSize int `json:"no_repeat_ngram_size"`
	// BadWords are strings to ban, encoded by BuildChain (vLLM bad_words).
	BadWords []string `json:"bad_words,omitempty"`
	// BadWordsIDs are token-id sequences to ban (HF bad_words_ids).
	BadWordsIDs [][]int32 `json:"bad_words_ids,omitempty"`
	// MinNewTokens suppresses end-of-generation ids until that many tokens
	// are generated; 0 is off. HF 0.
	MinNewTokens int `json:"min_new_tokens"`
	// LogitBias adds a bias per token id (OpenAI, keys are id strings).
	LogitBias map[int32]float32 `json:"logit_bias,omitempty"`

	// DRYMultiplier ≥ 0 scales the DRY penalty; 0 is off. llama.cpp 0.
	DRYMultiplier float32 `json:"dry_multiplier"`
	// DRYBase ≥ 1 is the growth of the penalty per extra repeated token. 1.75.
	DRYBase float32 `json:"dry_base"`
	// DRYAllowedLength is the longest repeat left unpenalised. llama.cpp 2.
	DRYAllowedLength int `json:"dry_allowed_length"`
	// DRYPenaltyLastN > 0 limits DRY's window further; −1 is the penalty
	// scope; 0 switches DRY off. Ours −1, so that one scope rule holds for
	// all penalties by default (llama.cpp 64).
	DRYPenaltyLastN int `json:"dry_penalty_last_n"`
	// DRYSequenceBreakers are strings that end a repeat. llama.cpp
	// ["\n", ":", "\"", "*"].
	DRYSequenceBreakers []string `json:"dry_sequence_breakers"`

	// XTCProbability in [0,1] is the chance per step that XTC acts; 0 is
	// off. llama.cpp 0.
	XTCProbability float32 `json:"xtc_probability"`
	// XTCThreshold in [0,0.5]. llama.cpp 0.1.
	XTCThreshold float32 `json:"xtc_threshold"`

	// Mirostat is 0 (off), 1 or 2 (the version). llama.cpp 0.
	Mirostat int `json:"mirostat"`
	// MirostatTau is the target surprise in bits. llama.cpp 5.0.
	MirostatTau float32 `json:"mirostat_tau"`
	// MirostatEta is μ's learning rate. llama.cpp 0.1.
	MirostatEta float32 `json:"mirostat_eta"`

	// Samplers, when set, gives the order of the chain with llama.cpp's
	// names ("penalties;dry;top_n_sigma;top_k;typ_p;top_p;min_p;xtc;temperature"),
	// as a list or one ';'-separated string. Empty means Hugging Face's order.
	Samplers SamplerList `json:"samplers,omitempty"`
}

// Defaults returns Hugging Face's GenerationConfig defaults for the controls
// it has and llama.cpp's for the others (decoding.md §10), with the
// differences documented on each field: greedy, temperature 1, top_k 50 (used
// once do_sample is set), top_p 1, typical_p 1, no penalties, prompt counted
// by penalties, DRY off with base 1.75, allowed length 2 and the default
// breakers, XTC off with threshold 0.1, mirostat off with τ 5, η 0.1.
func Defaults() Config {
	return Config{
		Temperature:         1,
		TopK:                50,
		TopP:                1,
		TypicalP:            1,
		RepetitionPenalty:   1,
		PenalizePrompt:      true,
		DRYBase:             1.75,
		DRYAllowedLength:    2,
		DRYPenaltyLastN:     -1,
		DRYSequenceBreakers: []string{"\n", ":", "\"", "*"},
		XTCThreshold:        0.1,
		MirostatTau:         5,
		MirostatEta:         0.1,
	}
}

// Clone returns a deep copy.
func (c Config) Clone() Config {
	c.BadWords = slices.Clone(c.BadWords)
	if c.BadWordsIDs != nil {
		ids := make([][]int32, len(c.BadWordsIDs))
		for i, s := range c.BadWordsIDs {
			ids[i] = slices.Clone(s)
		}
		c.BadWordsIDs = ids
	}
	c.LogitBias = maps.Clone(c.LogitBias)
	c.DRYSequenceBreakers = slices.Clone(c.DRYSequenceBreakers)
	c.Samplers = slices.Clone(c.Samplers)
	return c
}

// Sampling reports whether tokens are drawn at random (do_sample with a
// positive temperature) rather than chosen greedily.
func (c Config) Sampling() bool { return c.DoSample && c.Temperature > 0 }

// Validate checks the ranges of every control, with the Hugging Face rule
// where engines differ. It does not need the vocabulary; BuildChain checks
// the ids.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	finite := func(name string, v float32) bool {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			bad("%s must be a finite number, got %v", name, v)
			return false
		}
		return true
	}
	if finite("temperature", c.Temperature) && c.Temperature < 0 {
		bad("temperature must be >= 0 (0 means greedy), got %v", c.Temperature)
	}
	if c.TopK < 0 {
		bad("top_k must be >= 0 (0 disables it), got %d", c.TopK)
	}
	if finite("top_p", c.TopP) && (c.TopP <= 0 || c.TopP > 1) {
		bad("top_p must be in (0, 1] (1 disables it), got %v", c.TopP)
	}
	if finite("min_p", c.MinP) && (c.MinP < 0 || c.MinP > 1) {
		bad("min_p must be in [0, 1] (0 disables it), got %v", c.MinP)
	}
	if finite("typical_p", c.TypicalP) && (c.TypicalP <= 0 || c.TypicalP > 1) {
		bad("typical_p must be in (0, 1] (1 disables it), got %v", c.TypicalP)
	}
	if finite("epsilon_cutoff", c.EpsilonCutoff) && (c.EpsilonCutoff < 0 || c.EpsilonCutoff >= 1) {
		bad("epsilon_cutoff must be in [0, 1) (0 disables it), got %v", c.EpsilonCutoff)
	}
	if finite("eta_cutoff", c.EtaCutoff) && (c.EtaCutoff < 0 || c.EtaCutoff >= 1) {
		bad("eta_cutoff must be in [0, 1) (0 disables it), got %v", c.EtaCutoff)
	}
	finite("top_n_sigma", c.TopNSigma)
	if finite("repetition_penalty", c.RepetitionPenalty) && c.RepetitionPenalty <= 0 {
		bad("repetition_penalty must be > 0 (1 disables it), got %v", c.RepetitionPenalty)
	}
	finite("frequency_penalty", c.FrequencyPenalty)
	finite("presence_penalty", c.PresencePenalty)
	if c.PenaltyLastN < -1 {
		bad("penalty_last_n must be >= -1 (0 or -1 count the whole context), got %d", c.PenaltyLastN)
	}
	if c.NoRepeatNGramSize < 0 {
		bad("no_repeat_ngram_size must be >= 0 (0 disables it), got %d", c.NoRepeatNGramSize)
	}
	for i, w := range c.BadWords {
		if w == "" {
			bad("bad_words[%d] is empty", i)
		}
	}
	for i, s := range c.BadWordsIDs {
		if len(s) == 0 {
			bad("bad_words_ids[%d] is empty", i)
		}
		for _, id := range s {
			if id < 0 {
				bad("bad_words_ids[%d] has a negative id %d", i, id)
				break
			}
		}
	}
	if c.MinNewTokens < 0 {
		bad("min_new_tokens must be >= 0, got %d", c.MinNewTokens)
	}
	for _, id := range slices.Sorted(maps.Keys(c.LogitBias)) {
		if id < 0 {
			bad("logit_bias has a negative id %d", id)
		}
		finite(fmt.Sprintf("logit_bias[%d]", id), c.LogitBias[id])
	}
	if finite("dry_multiplier", c.DRYMultiplier) && c.DRYMultiplier < 0 {
		bad("dry_multiplier must be >= 0 (0 disables DRY), got %v", c.DRYMultiplier)
	}
	if finite("dry_base", c.DRYBase) && c.DRYMultiplier > 0 && c.DRYBase < 1 {
		bad("dry_base must be >= 1, got %v", c.DRYBase)
	}
	if c.DRYAllowedLength < 0 {
		bad("dry_allowed_length must be >= 0, got %d", c.DRYAllowedLength)
	}
	if c.DRYPenaltyLastN < -1 {
		bad("dry_penalty_last_n must be >= -1 (-1 is the penalty scope, 0 disables DRY), got %d", c.DRYPenaltyLastN)
	}
	if finite("xtc_probability", c.XTCProbability) && (c.XTCProbability < 0 || c.XTCProbability > 1) {
		bad("xtc_probability must be in [0, 1] (0 disables XTC), got %v", c.XTCProbability)
	}
	if finite("xtc_threshold", c.XTCThreshold) && (c.XTCThreshold < 0 || c.XTCThreshold > 0.5) {
		bad("xtc_threshold must be in [0, 0.5] (above 0.5 XTC could never act), got %v", c.XTCThreshold)
	}
	if c.Mirostat < 0 || c.Mirostat > 2 {
		bad("mirostat must be 0 (off), 1 or 2, got %d", c.Mirostat)
	}
	if finite("mirostat_tau", c.MirostatTau) && c.MirostatTau < 0 {
		bad("mirostat_tau must be >= 0, got %v", c.MirostatTau)
	}
	if finite("mirostat_eta", c.MirostatEta) && c.MirostatEta < 0 {
		bad("mirostat_eta must be >= 0, got %v", c.MirostatEta)
	}
	for _, s := range c.Samplers {
		if _, ok := samplerNames[s]; !ok {
			bad("samplers: unknown sampler %q (known: %s)", s, strings.Join(knownSamplerNames(), ", "))
		}
	}
	return errors.Join(errs...)
}

// Overlay returns a copy of c with the keys of the JSON object params set
// (a record's "params"): keys use the JSON names of Config; an unknown key is
// an error naming it; lists and maps given replace c's rather than merging.
// The result is validated.
func (c Config) Overlay(params []byte) (Config, error) {
	out := c.Clone()
	if err := DecodeParams(params, configKeys(), &out, &out.LogitBias); err != nil {
		return c, fmt.Errorf("sampling params: %w", err)
	}
	if err := out.Validate(); err != nil {
		return c, fmt.Errorf("sampling params: %w", err)
	}
	return out, nil
}

// DecodeParams decodes the JSON object params (empty or null: nothing) into
// dst, a struct already holding the current settings, so that the keys
// given override them: an unknown key (not in known) is an error naming
// it, and a logit_bias given replaces *logitBias rather than merging into
// it, as lists do. Config.Overlay and generate's Params.Overlay share it.
func DecodeParams(params []byte, known map[string]bool, dst any, logitBias *map[int32]float32) error {
	trimmed := bytes.TrimSpace(params)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(params, &keys); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !known[k] {
			return fmt.Errorf("unknown parameter %q", k)
		}
	}
	if _, ok := keys["logit_bias"]; ok {
		*logitBias = nil
	}
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// ParseConfig reads a JSON object of parameters over [Defaults].
func ParseConfig(data []byte) (Config, error) { return Defaults().Overlay(data) }

// configKeys lists the JSON names of Config's fields.
var configKeys = sync.OnceValue(func() map[string]bool {
	return JSONKeys(Config{
		BadWords: []string{""}, BadWordsIDs: [][]int32{nil},
		LogitBias: map[int32]float32{0: 0}, Samplers: SamplerList{""},
	})
})

// JSONKeys is the set of keys v marshals to: the parameter names
// DecodeParams accepts for v's type. Fill every omitempty field of v so
// that it shows. Callers keep the result (it is read-only) rather than
// marshalling once per record.
func JSONKeys(v any) map[string]bool {
	b, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// SamplerList is the samplers order: in JSON either a list of names or one
// string of names separated by ';' (llama.cpp's --samplers).
type SamplerList []string

func (s *SamplerList) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*s = nil
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = splitSamplers([]string{one})
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("samplers must be a list of names or a ';'-separated string")
	}
	*s = splitSamplers(list)
	return nil
}

// ParseSamplers splits llama.cpp-style "a;b;c" names into a list.
func ParseSamplers(s string) SamplerList { return splitSamplers([]string{s}) }

func splitSamplers(in []string) SamplerList {
	out := SamplerList{}
	for _, s := range in {
		for _, p := range strings.Split(s, ";") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
