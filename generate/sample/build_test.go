package sample

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var toy = toyVocab{"<unk>", "<s>", "</s>", "a", "b", "c", ":", "\n", "foo", " bar"}

func toyInfo() VocabInfo {
	return VocabInfo{Size: len(toy), EOS: []int32{2}, Piece: toy.piece, Encode: toy.encode}
}

func TestBuildChainOrder(t *testing.T) {
	sampling := func(edit func(*Config)) Config {
		c := Defaults()
		c.DoSample = true
		edit(&c)
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"HF defaults: greedy, nothing to do", Defaults(), ""},
		{"HF sampling defaults", sampling(func(*Config) {}), "top_k(50)"},
		{"greedy ignores the warpers", func() Config {
			c := Defaults()
			c.Temperature, c.TopP, c.RepetitionPenalty = 0.7, 0.9, 1.2
			return c
		}(), "repetition_penalty(1.2)"},
		{"HF order", sampling(func(c *Config) {
			c.Temperature, c.TopK, c.TopP, c.MinP, c.TypicalP = 0.8, 40, 0.95, 0.05, 0.9
			c.EpsilonCutoff, c.EtaCutoff, c.TopNSigma = 3e-4, 2e-3, 2
			c.RepetitionPenalty, c.FrequencyPenalty, c.PresencePenalty = 1.3, 0.5, 0.25
			c.NoRepeatNGramSize, c.MinNewTokens = 3, 4
			c.BadWordsIDs = [][]int32{{5}}
			c.LogitBias = map[int32]float32{4: 1}
			c.DRYMultiplier = 0.8
			c.XTCProbability = 0.5
		}), "logit_bias(1) > repetition_penalty(1.3) > frequency_penalty(0.5) > presence_penalty(0.25) > " +
			"dry(0.8,1.75,2,-1) > no_repeat_ngram_size(3) > bad_words(1) > min_new_tokens(4) > " +
			"temperature(0.8) > top_n_sigma(2) > top_k(40) > top_p(0.95) > min_p(0.05) > typical_p(0.9) > " +
			"epsilon_cutoff(0.0003) > eta_cutoff(0.002) > xtc(0.5,0.1)"},
		{"penalty scope shows", sampling(func(c *Config) {
			c.RepetitionPenalty, c.PenaltyLastN, c.PenalizePrompt, c.TopK = 1.1, 64, false, 0
		}), "repetition_penalty(1.1,last_n=64,prompt=false)"},
		{"mirostat replaces truncation", sampling(func(c *Config) {
			c.Mirostat, c.Temperature, c.TopP, c.RepetitionPenalty = 2, 0.9, 0.5, 1.1
		}), "repetition_penalty(1.1) > temperature(0.9) > mirostat_v2(5,0.1)"},
		{"mirostat v1", sampling(func(c *Config) { c.Mirostat = 1 }), "mirostat(5,0.1,100)"},
		{"brief's example via samplers", sampling(func(c *Config) {
			c.RepetitionPenalty, c.TopK, c.Temperature = 1.3, 40, 0.8
			c.Samplers = ParseSamplers("penalties;top_k;temperature")
		}), "repetition_penalty(1.3) > top_k(40) > temperature(0.8)"},
		{"llama.cpp order: temperature last", sampling(func(c *Config) {
			c.TopK, c.TopP, c.MinP, c.Temperature = 40, 0.95, 0.05, 0.8
			c.Samplers = ParseSamplers("penalties;dry;top_n_sigma;top_k;typ_p;top_p;min_p;xtc;temperature")
		}), "top_k(40) > top_p(0.95) > min_p(0.05) > temperature(0.8)"},
		{"constraints go first when not listed", sampling(func(c *Config) {
			c.NoRepeatNGramSize, c.LogitBias = 2, map[int32]float32{3: 1}
			c.Samplers = SamplerList{"temp", "top-k"}
		}), "logit_bias(1) > no_repeat_ngram_size(2) > top_k(50)"}, // temperature 1 is off
		{"listed constraints keep their place", sampling(func(c *Config) {
			c.NoRepeatNGramSize, c.TopK = 2, 0
			c.Samplers = SamplerList{"temperature", "no_repeat_ngram_size"}
		}), "no_repeat_ngram_size(2)"},
		{"unlisted top_k at its default is left out", sampling(func(c *Config) {
			c.TopP = 0.9
			c.Samplers = SamplerList{"top_p"}
		}), "top_p(0.9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := BuildChain(tt.cfg, toyInfo())
			require.NoError(t, err)
			assert.Equal(t, tt.want, ch.String())
		})
	}
}

func TestBuildChainErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config, *VocabInfo)
		msg  string
	}{
		{"invalid config", func(c *Config, _ *VocabInfo) { c.TopP = 2 }, "top_p"},
		{"no vocabulary", func(_ *Config, v *VocabInfo) { v.Size = 0 }, "vocabulary size"},
		{"logit bias outside vocab", func(c *Config, _ *VocabInfo) { c.LogitBias = map[int32]float32{99: 1} }, "id 99 is outside"},
		{"bad words ids outside vocab", func(c *Config, _ *VocabInfo) { c.BadWordsIDs = [][]int32{{3, 10}} }, "id 10 is outside"},
		{"bad words without encoder", func(c *Config, v *VocabInfo) { c.BadWords = []string{"foo"}; v.Encode = nil }, "need the tokenizer"},
		{"bad word encodes to nothing", func(c *Config, _ *VocabInfo) { c.BadWords = []string{"zzz"} }, `"zzz" encodes to no tokens`},
		{"min_new_tokens without eos", func(c *Config, v *VocabInfo) { c.MinNewTokens = 3; v.EOS = nil }, "no end-of-generation id"},
		{"dry without texts", func(c *Config, v *VocabInfo) { c.DRYMultiplier = 1; v.Piece = nil }, "token texts"},
		{"unlisted penalty", func(c *Config, _ *VocabInfo) {
			c.RepetitionPenalty, c.Samplers = 1.2, SamplerList{"top_k"}
		}, `repetition_penalty is set but the samplers list leaves it out (add "penalties")`},
		{"unlisted top_p", func(c *Config, _ *VocabInfo) {
			c.DoSample, c.TopP, c.Samplers = true, 0.9, SamplerList{"top_k"}
		}, "top_p is set"},
		{"unlisted non-default top_k", func(c *Config, _ *VocabInfo) {
			c.DoSample, c.TopK, c.Samplers = true, 40, SamplerList{"top_p"}
		}, "top_k is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, v := Defaults(), toyInfo()
			tt.edit(&c, &v)
			_, err := BuildChain(c, v)
			assert.ErrorContains(t, err, tt.msg)
		})
	}
}

func TestBuildChainBadWordsStrings(t *testing.T) {
	c := Defaults()
	c.BadWords = []string{"foo", "a bar"}
	c.BadWordsIDs = [][]int32{{2}} // EOS alone: dropped as HF does
	ch, err := BuildChain(c, toyInfo())
	require.NoError(t, err)
	require.Len(t, ch, 1)
	cands := NewCandidates(len(toy))
	cands.Reset(make([]float32, len(toy)))
	ch.Process(hist(0, 1, 3), cands) // context ends with "a"
	want := make([]float32, len(toy))
	want[8], want[9] = inf, inf // "foo" always, " bar" after "a"
	assert.Equal(t, want, cands.Logits)
}

// TestChainMinKeep: each truncation processor honours its MinKeep
// (Hugging Face's min_tokens_to_keep).
func TestChainMinKeep(t *testing.T) {
	ch := Chain{RepetitionPenalty{Penalty: 1.2}, TopP{P: 0.1, MinKeep: 3}, MinP{P: 0.9, MinKeep: 3}, TopK{K: 1, MinKeep: 3}}
	c := cands(z0...)
	ch.Process(nil, c)
	assert.Equal(t, []int32{0, 1, 2}, ids(c))
	assert.Equal(t, "repetition_penalty(1.2) > top_p(0.1) > min_p(0.9) > top_k(1)", ch.String())
}

// A whole default llama.cpp-like chain over a sequence: the chain is shared,
// state and candidates are per sequence, and the same seed reproduces.
func TestChainRunIsReproducible(t *testing.T) {
	cfg := Defaults()
	cfg.DoSample, cfg.Temperature, cfg.TopK, cfg.TopP, cfg.MinP = true, 0.9, 40, 0.95, 0.05
	cfg.RepetitionPenalty, cfg.DRYMultiplier, cfg.XTCProbability = 1.1, 0.8, 0.5
	v := VocabInfo{Size: 300, EOS: []int32{2}, Piece: func(id int) string { return string(rune('a' + id%26)) }}
	ch, err := BuildChain(cfg, v)
	require.NoError(t, err)
	run := func(stream uint64) []int32 {
		rng := NewRNG(cfg.Seed, stream)
		h := &History{Tokens: []int32{1}, Prompt: 1, State: NewState(cfg.Seed, stream)}
		c := NewCandidates(v.Size)
		logits := make([]float32, v.Size)
		for step := range 50 {
			for i := range logits {
				logits[i] = float32((i*7+step*13)%31) / 4
			}
			c.Reset(logits)
			ch.Process(h, c)
			id := ch.Select(h, c, rng.Float32())
			require.GreaterOrEqual(t, id, int32(0))
			h.Tokens = append(h.Tokens, id)
		}
		return h.Tokens
	}
	assert.Equal(t, run(Stream(0, 0)), run(Stream(0, 0)))
	assert.NotEqual(t, run(Stream(0, 0)), run(Stream(0, 1)))
}

// One chain shared by goroutines gives each sequence the result it gets
// alone: processors keep no state of their own (run with -race).
func TestChainSharedAcrossGoroutines(t *testing.T) {
	cfg := Defaults()
	cfg.DoSample, cfg.TopK, cfg.TopP, cfg.Temperature = true, 20, 0.9, 0.8
	cfg.RepetitionPenalty, cfg.DRYMultiplier, cfg.XTCProbability, cfg.NoRepeatNGramSize = 1.2, 0.5, 0.3, 4
	v := VocabInfo{Size: 200, EOS: []int32{2}, Piece: func(id int) string { return string(rune('a' + id%26)) }}
	ch, err := BuildChain(cfg, v)
	require.NoError(t, err)
	run := func(stream uint64) []int32 {
		rng := NewRNG(1, stream)
		h := &History{Tokens: []int32{1}, Prompt: 1, State: NewState(1, stream)}
		c := NewCandidates(v.Size)
		logits := make([]float32, v.Size)
		for step := range 40 {
			for i := range logits {
				logits[i] = float32((i*5+step*3)%17) / 3
			}
			c.Reset(logits)
			ch.Process(h, c)
			h.Tokens = append(h.Tokens, ch.Select(h, c, rng.Float32()))
		}
		return h.Tokens
	}
	want := make([][]int32, 4)
	for i := range want {
		want[i] = run(uint64(i))
	}
	got := make([][]int32, 4)
	done := make(chan int)
	for i := range got {
		go func() { got[i] = run(uint64(i)); done <- i }()
	}
	for range got {
		<-done
	}
	assert.Equal(t, want, got)
}
