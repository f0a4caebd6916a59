package generate_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/generate"
)

func TestParamsValidate(t *testing.T) {
	cases := []struct {
		name string
		set  func(p *generate.Params)
		err  string // "" when valid
	}{
		{"defaults", func(p *generate.Params) {}, ""},
		{"temperature without do_sample", func(p *generate.Params) { p.Temperature = 0.7 }, "temperature is a sampling setting"},
		{"hint", func(p *generate.Params) { p.TopP = 0.9; p.MinP = 0.1 }, "top_p, min_p are sampling settings and would do nothing in greedy decoding: add --do-sample"},
		{"top_k for contrastive", func(p *generate.Params) { p.TopK, p.PenaltyAlpha = 4, 0.6 }, ""},
		{"top_k alone", func(p *generate.Params) { p.TopK = 4 }, "top_k is a sampling setting"},
		{"sampling", func(p *generate.Params) { p.DoSample, p.Temperature, p.TopK = true, 0.7, 4 }, ""},
		{"penalties without sampling", func(p *generate.Params) { p.RepetitionPenalty, p.DRYMultiplier, p.NoRepeatNGramSize = 1.3, 0.8, 3 }, ""},
		{"contrastive k 1", func(p *generate.Params) { p.TopK, p.PenaltyAlpha = 1, 0.6 }, "needs top_k > 1"},
		{"alpha above 1", func(p *generate.Params) { p.PenaltyAlpha = 1.5 }, "penalty_alpha must be in [0, 1]"},
		{"beam sampling", func(p *generate.Params) { p.NumBeams, p.DoSample = 2, true }, "beam sampling"},
		{"returns above beams", func(p *generate.Params) { p.NumBeams, p.NumReturnSequences = 2, 3 }, "must be <= num_beams"},
		{"greedy returns", func(p *generate.Params) { p.NumReturnSequences = 2 }, "num_return_sequences > 1 needs"},
		{"groups divide", func(p *generate.Params) { p.NumBeams, p.NumBeamGroups = 4, 3 }, "multiple of num_beam_groups"},
		{"diversity without groups", func(p *generate.Params) { p.NumBeams, p.DiversityPenalty = 4, 1 }, "needs num_beam_groups > 1"},
		{"length penalty without beams", func(p *generate.Params) { p.LengthPenalty = 2 }, "add --num-beams"},
		{"bad early stopping", func(p *generate.Params) { p.NumBeams, p.EarlyStopping = 2, "sometimes" }, "early_stopping must be"},
		{"negative budget", func(p *generate.Params) { p.MaxNewTokens = -1 }, "max_new_tokens"},
		{"empty stop", func(p *generate.Params) { p.Stop = []string{""} }, "stop strings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := generate.DefaultParams()
			tc.set(&p)
			err := p.Validate()
			if tc.err == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tc.err)
			}
		})
	}
	p := generate.DefaultParams()
	p.Temperature = 0.7
	assert.ErrorIs(t, p.Validate(), generate.ErrNeedsDoSample)
}

func TestParamsOverlayAndJSON(t *testing.T) {
	base := generate.DefaultParams()
	base.RepetitionPenalty = 1.3
	base.Stop = []string{"\n\n"}

	p, err := base.Overlay([]byte(`{"do_sample":true,"temperature":0.7,"num_return_sequences":2,"stop":["."],"logit_bias":{"13":-5}}`))
	require.NoError(t, err)
	assert.True(t, p.DoSample)
	assert.Equal(t, float32(0.7), p.Temperature)
	assert.Equal(t, float32(1.3), p.RepetitionPenalty, "flags not overridden stay")
	assert.Equal(t, 2, p.NumReturnSequences)
	assert.Equal(t, []string{"."}, p.Stop)
	assert.Equal(t, map[int32]float32{13: -5}, p.LogitBias)
	assert.Equal(t, []string{"\n\n"}, base.Stop, "base untouched")

	for _, es := range []struct {
		in   string
		want generate.EarlyStopping
	}{{`true`, "true"}, {`false`, "false"}, {`"never"`, "never"}, {`"true"`, "true"}} {
		p, err := base.Overlay([]byte(`{"num_beams":2,"early_stopping":` + es.in + `}`))
		require.NoError(t, err, es.in)
		assert.Equal(t, es.want, p.EarlyStopping)
	}

	_, err = base.Overlay([]byte(`{"temprature":0.7}`))
	assert.ErrorContains(t, err, `unknown parameter "temprature"`)
	_, err = base.Overlay([]byte(`{"top_p":0.5}`))
	assert.ErrorIs(t, err, generate.ErrNeedsDoSample)
	_, err = base.Overlay([]byte(`[1]`))
	assert.Error(t, err)

	// The JSON of the effective params reads back to the same params.
	b, err := json.Marshal(p)
	require.NoError(t, err)
	back, err := generate.DefaultParams().Overlay(b)
	require.NoError(t, err)
	assert.Equal(t, p, back)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, false, m["early_stopping"])
	assert.Contains(t, m, "repetition_penalty", "sample.Config's keys are at the top level")
}

func TestZeroParamsMeanDefaults(t *testing.T) {
	p := generate.Params{MaxNewTokens: 5}.Normalized()
	d := generate.DefaultParams()
	d.MaxNewTokens = 5
	assert.Equal(t, d, p)
	assert.Equal(t, generate.StrategyGreedy, p.Strategy())
}
