package generate_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/generate"
)

func samplingParams() generate.Params {
	p := generate.DefaultParams()
	p.MaxNewTokens = 80
	p.DoSample, p.Temperature, p.TopP, p.Seed = true, 1.0, 0.95, 1234
	return p
}

func TestSameSeedSameOutputAcrossThreads(t *testing.T) {
	p := samplingParams()
	p.RepetitionPenalty = 1.1
	var texts []string
	for _, threads := range []int{1, 2} {
		e := newEngineCtx(t, "stories260K.bin", threads, 512)
		res, err := e.GenerateAll("Once upon a time", p, 3)
		require.NoError(t, err)
		texts = append(texts, res[0].Text)
		// The same engine again: no state leaks from one call to the next.
		again, err := e.GenerateAll("Once upon a time", p, 3)
		require.NoError(t, err)
		assert.Equal(t, res[0].TokenIDs, again[0].TokenIDs)
	}
	assert.Equal(t, texts[0], texts[1])
	assert.NotEmpty(t, texts[0])
}

func TestRecordAndSampleStreams(t *testing.T) {
	e := newEngineCtx(t, "stories260K.bin", 1, 512)
	p := samplingParams()
	a, err := e.GenerateAll("Once upon a time", p, 0)
	require.NoError(t, err)
	b, err := e.GenerateAll("Once upon a time", p, 1)
	require.NoError(t, err)
	assert.NotEqual(t, a[0].TokenIDs, b[0].TokenIDs, "record 0 and record 1 draw from different streams")

	p.NumReturnSequences = 3
	n, err := e.GenerateAll("Once upon a time", p, 0)
	require.NoError(t, err)
	require.Len(t, n, 3)
	// Sample 0 of record 0 is the same stream as the single output above.
	assert.Equal(t, a[0].TokenIDs, n[0].TokenIDs)
	assert.NotEqual(t, n[0].TokenIDs, n[1].TokenIDs)
	assert.NotEqual(t, n[1].TokenIDs, n[2].TokenIDs)
	for i, r := range n {
		assert.Equal(t, i, r.SampleIndex)
		assert.Equal(t, generate.StrategySample, r.Strategy)
	}
	p.Seed++
	c, err := e.GenerateAll("Once upon a time", p, 0)
	require.NoError(t, err)
	assert.NotEqual(t, n[0].TokenIDs, c[0].TokenIDs, "another seed, another stream")
}

func TestTruncationToOneTokenIsGreedy(t *testing.T) {
	// top_p → 0 keeps the single most likely token (never none), top_k 1
	// too, so sampling must reproduce greedy decoding whatever the coins.
	e := newEngineCtx(t, "stories260K.bin", 1, 512)
	g := generate.DefaultParams()
	g.MaxNewTokens = 100
	want, err := e.Generate("The cat sat on the mat and", g, nil)
	require.NoError(t, err)
	for _, set := range []func(p *generate.Params){
		func(p *generate.Params) { p.TopP = 1e-6 },
		func(p *generate.Params) { p.TopK = 1 },
		func(p *generate.Params) { p.MinP = 1 },
	} {
		p := samplingParams()
		p.MaxNewTokens, p.TopP = 100, 1
		set(&p)
		got, err := e.Generate("The cat sat on the mat and", p, nil)
		require.NoError(t, err)
		assert.Equal(t, want.TokenIDs, got.TokenIDs, got.Sampler)
	}
}

func TestStopStringEveryStrategy(t *testing.T) {
	e := newEngineCtx(t, "stories260K.bin", 1, 512)
	for _, set := range []func(p *generate.Params){
		func(p *generate.Params) {},
		func(p *generate.Params) { p.DoSample, p.Temperature, p.Seed, p.TopK = true, 0.5, 9, 5 },
		func(p *generate.Params) { p.NumBeams = 3 },
		func(p *generate.Params) { p.NumBeams, p.NumBeamGroups, p.DiversityPenalty = 4, 2, 1 },
		func(p *generate.Params) { p.PenaltyAlpha, p.TopK = 0.6, 4 },
	} {
		p := generate.DefaultParams()
		p.MaxNewTokens, p.Stop = 150, []string{"."}
		set(&p)
		res, err := e.Generate("Once upon a time", p, nil)
		require.NoError(t, err)
		assert.Equal(t, generate.FinishStop, res.FinishReason, res.Strategy)
		assert.NotContains(t, res.Text, ".", res.Strategy)
		assert.NotEmpty(t, res.Text, res.Strategy)
	}
}

func TestBeamSearchOnModel(t *testing.T) {
	e := newEngineCtx(t, "stories260K.bin", 1, 512)
	p := generate.DefaultParams()
	p.MaxNewTokens, p.NumBeams, p.NumReturnSequences, p.LogProbs = 30, 4, 4, 1
	res, err := e.GenerateAll("Once upon a time", p, 0)
	require.NoError(t, err)
	require.Len(t, res, 4)
	for i, r := range res {
		require.NotNil(t, r.SequenceScore)
		if i > 0 {
			assert.GreaterOrEqual(t, *res[i-1].SequenceScore, *r.SequenceScore, "best first")
			assert.NotEqual(t, res[i-1].TokenIDs, r.TokenIDs, "distinct hypotheses")
		}
		// The score is the sum of the per-token log-probs over the length
		// (no processors: the processed distribution is the model's).
		require.Len(t, r.LogProbs, len(r.TokenIDs))
		var sum float64
		for _, lp := range r.LogProbs {
			sum += float64(lp.LogProb)
			assert.NotEmpty(t, lp.Top)
		}
		assert.InDelta(t, sum/float64(len(r.TokenIDs)), *r.SequenceScore, 1e-4)
	}
	g := generate.DefaultParams()
	g.MaxNewTokens, g.LogProbs = 30, 1
	var greedySum float64
	greedy, err := e.Generate("Once upon a time", g, nil)
	require.NoError(t, err)
	for _, lp := range greedy.LogProbs {
		greedySum += float64(lp.LogProb)
	}
	// Beam sums are rounded to float32 at each step, as HF's tensors are
	// (30 roundings of a sum near −5.4 are within 1e-5, 3.3e-7 per token),
	// greedySum is not.
	assert.GreaterOrEqual(t, *res[0].SequenceScore+1e-6, greedySum/30, "the best beam is at least as likely as greedy")
	assert.False(t, math.IsNaN(greedySum))
}

func TestDiverseGroupsDiffer(t *testing.T) {
	e := newEngineCtx(t, "stories260K.bin", 1, 512)
	p := generate.DefaultParams()
	p.MaxNewTokens, p.NumBeams, p.NumReturnSequences = 20, 4, 4
	plain, err := e.GenerateAll("Once upon a time", p, 0)
	require.NoError(t, err)
	p.NumBeamGroups, p.DiversityPenalty = 4, 2
	div, err := e.GenerateAll("Once upon a time", p, 0)
	require.NoError(t, err)
	firsts := map[string]bool{}
	for _, r := range div {
		firsts[r.Text] = true
	}
	assert.Len(t, firsts, 4)
	// Each group is a one-beam search penalised by the groups before it:
	// the first words of the four outputs are not all the same.
	starts := map[int]bool{}
	for _, r := range div {
		starts[r.TokenIDs[0]] = true
	}
	assert.Greater(t, len(starts), 1)
	plainStarts := map[int]bool{}
	for _, r := range plain {
		plainStarts[r.TokenIDs[0]] = true
	}
	assert.Greater(t, len(starts), len(plainStarts), "groups diverge more than plain beams")
}

func TestStepsDoNotAllocate(t *testing.T) {
	// A call allocates a fixed amount (prompt, result, text): 10 and 150
	// tokens must cost the same number of allocations.
	if raceEnabled {
		t.Skip("allocation counts are not stable under the race detector")
	}
	e := newEngineCtx(t, "stories260K.bin", 1, 512)
	for _, set := range []func(p *generate.Params){
		func(p *generate.Params) { p.RepetitionPenalty, p.DRYMultiplier, p.NoRepeatNGramSize = 1.3, 0.8, 3 },
		func(p *generate.Params) { p.DoSample, p.Temperature, p.TopP, p.MinP = true, 0.8, 0.95, 0.05 },
	} {
		allocs := func(n int) float64 {
			p := generate.DefaultParams()
			p.MaxNewTokens = n
			set(&p)
			_, err := e.Generate("Once upon a time", p, nil) // warm the buffers
			require.NoError(t, err)
			return testing.AllocsPerRun(3, func() {
				r, err := e.Generate("Once upon a time", p, nil)
				require.NoError(t, err)
				require.Len(t, r.TokenIDs, n)
			})
		}
		assert.Equal(t, allocs(10), allocs(150))
	}
}
