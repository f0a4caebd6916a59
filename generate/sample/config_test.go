package sample

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fullConfig() Config {
	c := Defaults()
	c.DoSample = true
	c.Seed = 1 << 60
	c.Temperature = 0.8
	c.TopK = 40
	c.TopP = 0.95
	c.MinP = 0.05
	c.TypicalP = 0.9
	c.EpsilonCutoff = 3e-4
	c.EtaCutoff = 2e-3
	c.TopNSigma = 1.5
	c.RepetitionPenalty = 1.3
	c.FrequencyPenalty = 0.5
	c.PresencePenalty = -0.25
	c.PenaltyLastN = 64
	c.PenalizePrompt = false
	c.NoRepeatNGramSize = 3
	c.BadWords = []string{"foo", "bar baz"}
	c.BadWordsIDs = [][]int32{{1, 2}, {7}}
	c.MinNewTokens = 5
	c.LogitBias = map[int32]float32{3: -100, 11: 2.5}
	c.DRYMultiplier = 0.8
	c.DRYBase = 1.5
	c.DRYAllowedLength = 3
	c.DRYPenaltyLastN = 128
	c.DRYSequenceBreakers = []string{"\n", "###"}
	c.XTCProbability = 0.5
	c.XTCThreshold = 0.2
	c.Mirostat = 2
	c.MirostatTau = 4
	c.MirostatEta = 0.2
	c.Samplers = SamplerList{"penalties", "dry", "top_k", "temperature"}
	return c
}

func TestConfigJSONRoundTrip(t *testing.T) {
	for name, cfg := range map[string]Config{"defaults": Defaults(), "everything set": fullConfig()} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, cfg.Validate())
			b, err := json.Marshal(cfg)
			require.NoError(t, err)
			var back Config
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, cfg, back)
			// And as a params object over the defaults.
			over, err := ParseConfig(b)
			require.NoError(t, err)
			assert.Equal(t, cfg, over)
		})
	}
}

func TestConfigJSONKeys(t *testing.T) {
	b, err := json.Marshal(fullConfig())
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"temperature", "top_k", "top_p", "min_p", "typical_p", "epsilon_cutoff", "eta_cutoff",
		"top_n_sigma", "repetition_penalty", "frequency_penalty", "presence_penalty", "no_repeat_ngram_size",
		"bad_words", "min_new_tokens", "logit_bias", "dry_multiplier", "dry_base", "dry_allowed_length",
		"dry_penalty_last_n", "dry_sequence_breakers", "xtc_probability", "xtc_threshold", "mirostat_tau",
		"mirostat_eta", "penalty_last_n", "penalize_prompt", "do_sample", "seed", "samplers"} {
		assert.Contains(t, m, k)
	}
	assert.JSONEq(t, `{"3":-100,"11":2.5}`, string(m["logit_bias"]))
}

func TestDefaultsAreHuggingFace(t *testing.T) {
	d := Defaults()
	assert.False(t, d.DoSample)
	assert.Equal(t, float32(1), d.Temperature)
	assert.Equal(t, 50, d.TopK)
	assert.Equal(t, float32(1), d.TopP)
	assert.Equal(t, float32(1), d.TypicalP)
	assert.Equal(t, float32(1), d.RepetitionPenalty)
	assert.True(t, d.PenalizePrompt)
	assert.Equal(t, float32(1.75), d.DRYBase)
	assert.Equal(t, 2, d.DRYAllowedLength)
	assert.Equal(t, []string{"\n", ":", "\"", "*"}, d.DRYSequenceBreakers)
	assert.Equal(t, float32(0.1), d.XTCThreshold)
	assert.Equal(t, float32(5), d.MirostatTau)
	assert.Equal(t, float32(0.1), d.MirostatEta)
	assert.False(t, d.Sampling())
}

func TestConfigOverlay(t *testing.T) {
	base := Defaults()
	base.LogitBias = map[int32]float32{1: 1}
	base.BadWords = []string{"x"}

	got, err := base.Overlay([]byte(`{"do_sample": true, "temperature": 0.7, "top_k": 40, "logit_bias": {"5": -2}, "samplers": "top_k;temperature"}`))
	require.NoError(t, err)
	want := base.Clone()
	want.DoSample, want.Temperature, want.TopK = true, 0.7, 40
	want.LogitBias = map[int32]float32{5: -2} // replaced, not merged
	want.Samplers = SamplerList{"top_k", "temperature"}
	assert.Equal(t, want, got)
	assert.Equal(t, map[int32]float32{1: 1}, base.LogitBias, "base untouched")

	got.BadWords[0] = "changed"
	assert.Equal(t, []string{"x"}, base.BadWords, "overlay result shares nothing with base")

	t.Run("empty params", func(t *testing.T) {
		got, err := base.Overlay(nil)
		require.NoError(t, err)
		assert.Equal(t, base, got)
	})
	t.Run("samplers as a list, null resets", func(t *testing.T) {
		got, err := base.Overlay([]byte(`{"samplers": ["penalties; dry", "top_k"]}`))
		require.NoError(t, err)
		assert.Equal(t, SamplerList{"penalties", "dry", "top_k"}, got.Samplers)
		got, err = got.Overlay([]byte(`{"samplers": null}`))
		require.NoError(t, err)
		assert.Nil(t, got.Samplers)
	})
	errCases := map[string]string{
		`{"temprature": 0.7}`:         `unknown parameter "temprature"`,
		`{"top_p": 1.5}`:              "top_p must be in (0, 1]",
		`{"top_k": "forty"}`:          "top_k",
		`[1, 2]`:                      "sampling params",
		`{"samplers": "top_k;bogus"}`: `unknown sampler "bogus"`,
		`{"samplers": 3}`:             "samplers must be",
	}
	for in, msg := range errCases {
		t.Run("error "+in, func(t *testing.T) {
			_, err := base.Overlay([]byte(in))
			assert.ErrorContains(t, err, msg)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		msg  string
	}{
		{"negative temperature", func(c *Config) { c.Temperature = -1 }, "temperature must be >= 0"},
		{"top_k negative", func(c *Config) { c.TopK = -1 }, "top_k must be >= 0"},
		{"top_p zero", func(c *Config) { c.TopP = 0 }, "top_p must be in (0, 1]"},
		{"top_p above one", func(c *Config) { c.TopP = 1.01 }, "top_p must be in (0, 1]"},
		{"min_p above one", func(c *Config) { c.MinP = 2 }, "min_p must be in [0, 1]"},
		{"typical_p zero", func(c *Config) { c.TypicalP = 0 }, "typical_p must be in (0, 1]"},
		{"epsilon one", func(c *Config) { c.EpsilonCutoff = 1 }, "epsilon_cutoff"},
		{"eta negative", func(c *Config) { c.EtaCutoff = -0.1 }, "eta_cutoff"},
		{"repetition penalty zero", func(c *Config) { c.RepetitionPenalty = 0 }, "repetition_penalty must be > 0"},
		{"repetition penalty negative", func(c *Config) { c.RepetitionPenalty = -1.2 }, "repetition_penalty must be > 0"},
		{"penalty_last_n", func(c *Config) { c.PenaltyLastN = -2 }, "penalty_last_n"},
		{"ngram negative", func(c *Config) { c.NoRepeatNGramSize = -1 }, "no_repeat_ngram_size"},
		{"empty bad word", func(c *Config) { c.BadWords = []string{""} }, "bad_words[0] is empty"},
		{"empty bad ids", func(c *Config) { c.BadWordsIDs = [][]int32{{}} }, "bad_words_ids[0] is empty"},
		{"min_new_tokens", func(c *Config) { c.MinNewTokens = -3 }, "min_new_tokens"},
		{"logit bias id", func(c *Config) { c.LogitBias = map[int32]float32{-1: 1} }, "negative id -1"},
		{"dry multiplier negative", func(c *Config) { c.DRYMultiplier = -0.5 }, "dry_multiplier must be >= 0"},
		{"dry base below one", func(c *Config) { c.DRYMultiplier, c.DRYBase = 0.8, 0.9 }, "dry_base must be >= 1"},
		{"dry allowed length", func(c *Config) { c.DRYAllowedLength = -1 }, "dry_allowed_length"},
		{"xtc probability", func(c *Config) { c.XTCProbability = 1.5 }, "xtc_probability"},
		{"xtc threshold", func(c *Config) { c.XTCThreshold = 0.6 }, "xtc_threshold"},
		{"mirostat version", func(c *Config) { c.Mirostat = 3 }, "mirostat must be 0"},
		{"unknown sampler", func(c *Config) { c.Samplers = SamplerList{"beam"} }, `unknown sampler "beam"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults()
			tt.edit(&c)
			assert.ErrorContains(t, c.Validate(), tt.msg)
		})
	}
	t.Run("frequency and presence may be negative", func(t *testing.T) {
		c := Defaults()
		c.FrequencyPenalty, c.PresencePenalty = -1, -2
		assert.NoError(t, c.Validate())
	})
	t.Run("temperature 0 is greedy", func(t *testing.T) {
		c := Defaults()
		c.DoSample, c.Temperature = true, 0
		assert.NoError(t, c.Validate())
		assert.False(t, c.Sampling())
	})
}
