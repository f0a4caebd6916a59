package score

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNextTokenHand(t *testing.T) {
	// targets 5 6 5 7 5, preds 5 5 6 7 9, l = 2.
	// t=0: W={}      pred 5 ∉, gold 5 ∉, hit.
	// t=1: W={5}     pred 5 ∈ (wrong: gold 6) → rep, wrep; gold 6 ∉.
	// t=2: W={5,6}   pred 6 ∈ (wrong: gold 5) → rep, wrep; gold 5 ∈ → human.
	// t=3: W={6,5}   pred 7 ∉; gold 7 ∉; hit.
	// t=4: W={5,7}   pred 9 ∉; gold 5 ∈ → human.
	// With l = 1: t=1 W={5} rep+wrep; t=2 W={6} rep+wrep, human no;
	// t=3 W={5} no; t=4 W={7} no.
	targets := []int32{5, 6, 5, 7, 5}
	preds := []int32{5, 5, 6, 7, 9}
	nlls := []float64{0.1, 2, 1.5, 0.2, 3}
	seq, err := NewNextToken(2, 1)
	require.NoError(t, err)
	require.NoError(t, seq.AddSequence(targets, preds, nlls))
	step, err := NewNextToken(1, 2)
	require.NoError(t, err)
	for i := range targets {
		step.Add(targets[i], preds[i], nlls[i], targets[:i])
	}
	for _, a := range []*NextToken{seq, step} {
		r := a.Result()
		assert.Equal(t, []int{1, 2}, r.Windows)
		assert.Equal(t, 5, r.Tokens)
		assert.InDelta(t, 6.8/5, r.NLLMean, 1e-12)
		assert.InDelta(t, math.Exp(6.8/5), r.PPL, 1e-12)
		assert.InDelta(t, 0.4, r.Acc, 1e-12)
		assert.InDeltaSlice(t, []float64{0.4, 0.4}, r.Rep, 1e-12)
		assert.InDeltaSlice(t, []float64{0.4, 0.4}, r.WRep, 1e-12)
		assert.InDeltaSlice(t, []float64{0, 0.4}, r.HumanRep, 1e-12)
		assert.Equal(t, 4, r.Uniq) // 5, 6, 7, 9
	}
	r := seq.Result()
	assert.Equal(t, `{"tokens":5,"ppl":3.896193301795215,"nll_mean":1.36,"acc":0.4,"rep_1":0.4,"rep_2":0.4,`+
		`"wrep_1":0.4,"wrep_2":0.4,"human_rep_1":0,"human_rep_2":0.4,"uniq":4}`, string(r.AppendJSON(nil)))
}

func TestNextTokenMergeAndEdges(t *testing.T) {
	a, err := NewNextToken()
	require.NoError(t, err)
	r := a.Result()
	assert.True(t, math.IsNaN(r.PPL) && math.IsNaN(r.Acc) && math.IsNaN(r.Rep[0]))
	assert.Equal(t, []int{128}, r.Windows)

	b, _ := NewNextToken()
	require.NoError(t, a.AddSequence([]int32{1, 1}, []int32{1, 2}, []float64{1, 1}))
	require.NoError(t, b.AddSequence([]int32{3}, []int32{2}, []float64{4}))
	require.NoError(t, a.Merge(b))
	r = a.Result()
	assert.Equal(t, 3, r.Tokens)
	assert.Equal(t, 2, r.Uniq) // {1, 2}
	assert.InDelta(t, 2, r.NLLMean, 1e-12)
	assert.InDelta(t, 1.0/3, r.Acc, 1e-12)
	// Windows do not cross records: b's pred 2 is not in a's targets' window.
	assert.InDelta(t, 0, r.Rep[0], 1e-12)
	assert.InDelta(t, 1.0/3, r.HumanRep[0], 1e-12)

	c, _ := NewNextToken(16)
	assert.Error(t, a.Merge(c))
	assert.Error(t, a.AddSequence([]int32{1}, nil, nil))
	_, err = NewNextToken(0)
	assert.Error(t, err)
	a.Reset()
	assert.Equal(t, 0, a.Result().Tokens)
}

// TestNextTokenSlidingMatchesStep checks the O(1) sliding window against the
// direct definition on a longer pseudo-random sequence.
func TestNextTokenSlidingMatchesStep(t *testing.T) {
	state := uint64(3)
	rnd := func(n int) int32 {
		state = state*6364136223846793005 + 1442695040888963407
		return int32((state >> 33) % uint64(n))
	}
	n := 3000
	targets, preds, nlls := make([]int32, n), make([]int32, n), make([]float64, n)
	for i := range n {
		targets[i], preds[i], nlls[i] = rnd(40), rnd(40), float64(rnd(100))/10
	}
	seq, _ := NewNextToken(16, 32, 128, 512)
	step, _ := NewNextToken(16, 32, 128, 512)
	require.NoError(t, seq.AddSequence(targets, preds, nlls))
	for i := range targets {
		step.Add(targets[i], preds[i], nlls[i], targets[:i])
	}
	assert.Equal(t, step.Result(), seq.Result())
}

func TestSlidingWindows(t *testing.T) {
	tests := []struct {
		name           string
		n, ctx, stride int
		want           []Window
		scored         int
	}{
		// Overlapping: every token but the first is scored once.
		{"overlap", 10, 4, 2, []Window{{0, 4, 4, 3, 3}, {2, 6, 2, 2, 1}, {4, 8, 2, 2, 1}, {6, 10, 2, 2, 1}}, 9},
		// No overlap: each window's first token has no context.
		{"disjoint", 10, 4, 4, []Window{{0, 4, 4, 3, 3}, {4, 8, 4, 3, 3}, {8, 10, 2, 1, 1}}, 7},
		// Stride past the context: tokens 4 and 5 are never fed as targets.
		{"gap", 10, 4, 6, []Window{{0, 4, 4, 3, 3}, {6, 10, 6, 3, 5}}, 6},
		{"short", 3, 8, 4, []Window{{0, 3, 3, 2, 2}}, 2},
		{"one", 1, 8, 4, []Window{{0, 1, 1, 0, 0}}, 0},
		{"empty", 0, 8, 4, nil, 0},
		// The last window may start before the previous end reaches n.
		{"tail", 7, 4, 3, []Window{{0, 4, 4, 3, 3}, {3, 7, 3, 3, 2}}, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws, err := SlidingWindows(tc.n, tc.ctx, tc.stride)
			require.NoError(t, err)
			assert.Equal(t, tc.want, ws)
			total := 0
			for _, w := range ws {
				total += w.Scored
			}
			assert.Equal(t, tc.scored, total)
		})
	}
	_, err := SlidingWindows(5, 0, 1)
	assert.Error(t, err)
	_, err = SlidingWindows(5, 4, 0)
	assert.Error(t, err)
	_, err = SlidingWindows(-1, 4, 2)
	assert.Error(t, err)
}
