package generate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/generate"
)

// TestGenerateManyMatchesOneByOne runs independent records with different
// prompts and settings as one batch and checks every output against the
// same record generated alone.
func TestGenerateManyMatchesOneByOne(t *testing.T) {
	prompts := []string{"Once upon a time", "Tom had a big red ball.", "The cat", "Lily and Ben went to the park", "x"}
	params := make([]generate.Params, len(prompts))
	for i := range params {
		p := generate.DefaultParams()
		p.MaxNewTokens = 40 + 30*i
		params[i] = p
	}
	params[1].StopOnLoop = true
	params[2].DoSample, params[2].Temperature, params[2].TopP, params[2].Seed = true, 0.8, 0.95, 7
	params[3].RepetitionPenalty = 1.3
	params[3].Stop = []string{"park"}
	params[4].DoSample, params[4].Seed, params[4].DRYMultiplier = true, 3, 0.8
	records := []uint64{0, 1, 2, 3, 4}
	for _, threads := range []int{1, 2} {
		e := newEngineCtx(t, "stories260K.bin", threads, 0)
		got, err := e.GenerateMany(prompts, params, records)
		require.NoError(t, err)
		require.Len(t, got, len(prompts))
		for i, prompt := range prompts {
			want, err := e.GenerateAll(prompt, params[i], records[i])
			require.NoError(t, err)
			assert.Equal(t, want[0].TokenIDs, got[i].TokenIDs, "threads %d record %d", threads, i)
			assert.Equal(t, want[0].Text, got[i].Text)
			assert.Equal(t, want[0].FinishReason, got[i].FinishReason)
			assert.Equal(t, want[0].Sampler, got[i].Sampler)
		}
	}
}

func TestGenerateManyRefusesSearch(t *testing.T) {
	e := newEngine(t, "stories260K.bin", 1)
	p := generate.DefaultParams()
	p.NumBeams = 2
	assert.False(t, generate.Batchable(p))
	_, err := e.GenerateMany([]string{"a"}, []generate.Params{p}, []uint64{0})
	assert.ErrorContains(t, err, "cannot run in a batch")
}
