package sample

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// VocabInfo is what BuildChain needs to know about the model's vocabulary.
type VocabInfo struct {
	Size int     // number of token ids
	EOS  []int32 // end-of-generation ids (min_new_tokens, bad_words)
	// Piece returns the text of one token as it reads when decoded ("▁" as
	// a space, byte tokens as their byte); DRY matches its sequence breakers
	// against it. Needed only when DRY is on with breakers.
	Piece func(id int) string
	// Encode tokenises text without BOS; it encodes bad_words strings and
	// the tails of DRY breakers that span tokens. Needed only for those.
	Encode func(s string) []int32
}

// kind is one control of the chain.
type kind int

const (
	kLogitBias kind = iota
	kRepetition
	kFrequency
	kPresence
	kDRY
	kNoRepeatNGram
	kBadWords
	kMinNewTokens
	kTemperature
	kTopNSigma
	kTopK
	kTopP
	kMinP
	kTypicalP
	kEpsilon
	kEta
	kXTC
	kMirostat
	kPenalties // llama.cpp's "penalties": repetition, frequency, presence
)

// samplerNames maps the names accepted in Config.Samplers: llama.cpp's
// (common_sampler_type_from_name, with its aliases) and the Config keys.
var samplerNames = map[string]kind{
	"logit_bias": kLogitBias, "logit-bias": kLogitBias,
	"penalties":          kPenalties,
	"repetition_penalty": kRepetition, "frequency_penalty": kFrequency, "presence_penalty": kPresence,
	"dry":                  kDRY,
	"no_repeat_ngram_size": kNoRepeatNGram, "no_repeat_ngram": kNoRepeatNGram,
	"bad_words":      kBadWords,
	"min_new_tokens": kMinNewTokens,
	"temperature":    kTemperature, "temp": kTemperature,
	"top_n_sigma": kTopNSigma, "top-n-sigma": kTopNSigma,
	"top_k": kTopK, "top-k": kTopK,
	"top_p": kTopP, "top-p": kTopP, "nucleus": kTopP,
	"min_p": kMinP, "min-p": kMinP,
	"typ_p": kTypicalP, "typ-p": kTypicalP, "typ": kTypicalP, "typical_p": kTypicalP, "typical-p": kTypicalP, "typical": kTypicalP,
	"epsilon_cutoff": kEpsilon,
	"eta_cutoff":     kEta,
	"xtc":            kXTC,
	"mirostat":       kMirostat,
}

func knownSamplerNames() []string { return slices.Sorted(maps.Keys(samplerNames)) }

// kindName is the Config key that switches a kind on, for error messages.
var kindName = map[kind]string{
	kRepetition: "repetition_penalty", kFrequency: "frequency_penalty", kPresence: "presence_penalty",
	kDRY: "dry_multiplier", kTemperature: "temperature", kTopNSigma: "top_n_sigma", kTopK: "top_k",
	kTopP: "top_p", kMinP: "min_p", kTypicalP: "typical_p", kEpsilon: "epsilon_cutoff", kEta: "eta_cutoff",
	kXTC: "xtc_probability", kMirostat: "mirostat",
}

// constraints always run, first, even when a samplers list leaves them out.
var constraints = []kind{kLogitBias, kNoRepeatNGram, kBadWords, kMinNewTokens}

// isWarper: the controls Hugging Face applies only when sampling.
func isWarper(k kind) bool { return k >= kTemperature && k <= kMirostat }

// BuildChain validates cfg and builds its chain.
//
// Without cfg.Samplers the order is Hugging Face's (_get_logits_processor,
// decoding.md §1.1), with the controls HF lacks put where llama.cpp puts
// them relative to their neighbours:
//
//	logit_bias > repetition_penalty > frequency_penalty > presence_penalty > dry >
//	no_repeat_ngram_size > bad_words > min_new_tokens >
//	[sampling only] temperature > top_n_sigma > top_k > top_p > min_p > typical_p >
//	epsilon_cutoff > eta_cutoff > xtc
//
// With mirostat on, the sampling part is temperature > mirostat (mirostat
// replaces the truncation samplers, as in llama.cpp; unlike llama.cpp the
// penalties still run).
//
// With cfg.Samplers the listed controls run in the listed order ("penalties"
// stands for repetition, frequency and presence); the hard constraints
// (logit_bias, no_repeat_ngram_size, bad_words, min_new_tokens) run first
// when not listed; a control switched on to a non-default value but not
// listed is an error rather than silently ignored. Sampling-only controls are
// dropped when do_sample is false, in either mode. Disabled controls never
// appear in the chain.
func BuildChain(cfg Config, v VocabInfo) (Chain, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if v.Size <= 0 {
		return nil, errors.New("sample: vocabulary size must be positive")
	}
	var order []kind
	if len(cfg.Samplers) == 0 {
		order = []kind{kLogitBias, kRepetition, kFrequency, kPresence, kDRY, kNoRepeatNGram, kBadWords, kMinNewTokens}
		if cfg.Mirostat > 0 {
			order = append(order, kTemperature, kMirostat)
		} else {
			order = append(order, kTemperature, kTopNSigma, kTopK, kTopP, kMinP, kTypicalP, kEpsilon, kEta, kXTC)
		}
	} else {
		var err error
		if order, err = listedOrder(cfg); err != nil {
			return nil, err
		}
	}
	var ch Chain
	for _, k := range order {
		if isWarper(k) && !cfg.DoSample {
			continue
		}
		p, err := build(k, cfg, v)
		if err != nil {
			return nil, err
		}
		if p != nil {
			ch = append(ch, p)
		}
	}
	return ch, nil
}

// listedOrder expands cfg.Samplers and checks that nothing switched on is
// left out.
func listedOrder(cfg Config) ([]kind, error) {
	var listed []kind
	for _, s := range cfg.Samplers {
		k := samplerNames[s]
		if k == kPenalties {
			listed = append(listed, kRepetition, kFrequency, kPresence)
		} else {
			listed = append(listed, k)
		}
	}
	var order []kind
	for _, k := range constraints {
		if !slices.Contains(listed, k) {
			order = append(order, k)
		}
	}
	order = append(order, listed...)
	def := Defaults()
	for _, k := range []kind{kRepetition, kFrequency, kPresence, kDRY, kTemperature, kTopNSigma, kTopK, kTopP, kMinP, kTypicalP, kEpsilon, kEta, kXTC, kMirostat} {
		if slices.Contains(order, k) || (isWarper(k) && !cfg.DoSample) {
			continue
		}
		if enabled(k, cfg) && !(k == kTopK && cfg.TopK == def.TopK) {
			hint := ""
			if k == kRepetition || k == kFrequency || k == kPresence {
				hint = ` (add "penalties")`
			}
			return nil, fmt.Errorf("samplers: %s is set but the samplers list leaves it out%s", kindName[k], hint)
		}
	}
	return order, nil
}

// enabled reports whether a control would change anything.
func enabled(k kind, c Config) bool {
	switch k {
	case kLogitBias:
		return len(c.LogitBias) > 0
	case kRepetition:
		return c.RepetitionPenalty != 1
	case kFrequency:
		return c.FrequencyPenalty != 0
	case kPresence:
		return c.PresencePenalty != 0
	case kDRY:
		return c.DRYMultiplier > 0 && c.DRYPenaltyLastN != 0
	case kNoRepeatNGram:
		return c.NoRepeatNGramSize > 0
	case kBadWords:
		return len(c.BadWords) > 0 || len(c.BadWordsIDs) > 0
	case kMinNewTokens:
		return c.MinNewTokens > 0
	case kTemperature:
		return c.Temperature != 1
	case kTopNSigma:
		return c.TopNSigma > 0
	case kTopK:
		return c.TopK > 0
	case kTopP:
		return c.TopP < 1
	case kMinP:
		return c.MinP > 0
	case kTypicalP:
		return c.TypicalP < 1
	case kEpsilon:
		return c.EpsilonCutoff > 0
	case kEta:
		return c.EtaCutoff > 0
	case kXTC:
		return c.XTCProbability > 0
	case kMirostat:
		return c.Mirostat > 0
	}
	return false
}

// build makes the processor of one kind, or nil when it is disabled.
func build(k kind, c Config, v VocabInfo) (Processor, error) {
	if !enabled(k, c) {
		return nil, nil
	}
	scope := Scope{LastN: max(c.PenaltyLastN, 0), SkipPrompt: !c.PenalizePrompt}
	switch k {
	case kLogitBias:
		for _, id := range slices.Sorted(maps.Keys(c.LogitBias)) {
			if int(id) >= v.Size {
				return nil, fmt.Errorf("logit_bias: id %d is outside the vocabulary (size %d)", id, v.Size)
			}
		}
		return NewLogitBias(c.LogitBias), nil
	case kRepetition:
		return RepetitionPenalty{Penalty: c.RepetitionPenalty, Scope: scope}, nil
	case kFrequency:
		return FrequencyPenalty{Penalty: c.FrequencyPenalty, Scope: scope}, nil
	case kPresence:
		return PresencePenalty{Penalty: c.PresencePenalty, Scope: scope}, nil
	case kDRY:
		d, err := NewDRY(c.DRYMultiplier, c.DRYBase, c.DRYAllowedLength, c.DRYPenaltyLastN, c.DRYSequenceBreakers, v.Size, v.Piece, v.Encode)
		if err != nil {
			return nil, err
		}
		d.Scope = scope
		return d, nil
	case kNoRepeatNGram:
		return NoRepeatNGram{N: c.NoRepeatNGramSize}, nil
	case kBadWords:
		seqs := slices.Clone(c.BadWordsIDs)
		for _, w := range c.BadWords {
			if v.Encode == nil {
				return nil, errors.New("bad_words: strings need the tokenizer; give token ids in bad_words_ids instead")
			}
			ids := v.Encode(w)
			if len(ids) == 0 {
				return nil, fmt.Errorf("bad_words: %q encodes to no tokens", w)
			}
			seqs = append(seqs, ids)
		}
		for _, s := range seqs {
			for _, id := range s {
				if int(id) >= v.Size {
					return nil, fmt.Errorf("bad_words: id %d is outside the vocabulary (size %d)", id, v.Size)
				}
			}
		}
		return NewBadWords(seqs, v.EOS), nil
	case kMinNewTokens:
		if len(v.EOS) == 0 {
			return nil, errors.New("min_new_tokens: the vocabulary has no end-of-generation id")
		}
		return MinNewTokens{N: c.MinNewTokens, EOS: slices.Clone(v.EOS)}, nil
	case kTemperature:
		return Temperature{T: c.Temperature}, nil
	case kTopNSigma:
		return TopNSigma{N: c.TopNSigma}, nil
	case kTopK:
		return TopK{K: c.TopK}, nil
	case kTopP:
		return TopP{P: c.TopP}, nil
	case kMinP:
		return MinP{P: c.MinP}, nil
	case kTypicalP:
		return TypicalP{P: c.TypicalP}, nil
	case kEpsilon:
		return EpsilonCutoff{Epsilon: c.EpsilonCutoff}, nil
	case kEta:
		return EtaCutoff{Epsilon: c.EtaCutoff}, nil
	case kXTC:
		return XTC{Probability: c.XTCProbability, Threshold: c.XTCThreshold}, nil
	case kMirostat:
		if c.Mirostat == 1 {
			return Mirostat{Tau: c.MirostatTau, Eta: c.MirostatEta, M: 100, N: v.Size}, nil
		}
		return MirostatV2{Tau: c.MirostatTau, Eta: c.MirostatEta}, nil
	}
	return nil, fmt.Errorf("sample: no processor for kind %d", k)
}
