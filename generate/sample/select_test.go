package sample

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGreedy(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name string
		z    []float32
		want int32
	}{
		{"arg-max", z0, 0},
		{"ties go to the lowest id", []float32{1, 3, 2, 3}, 1},
		{"NaN skipped", []float32{nan, 1, 2}, 2},
		{"all -inf still picks (lowest id)", []float32{inf, inf}, 0},
		{"only NaN", []float32{nan}, -1},
		{"empty", nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Greedy(cands(tt.z...)))
		})
	}
	t.Run("ties on a reordered set still go to the lowest id", func(t *testing.T) {
		c := cands(1, 3, 2, 3)
		c.Filter(func(i int) bool { return true })
		c.IDs[0], c.IDs[3] = c.IDs[3], c.IDs[0]
		c.Logits[0], c.Logits[3] = c.Logits[3], c.Logits[0]
		assert.Equal(t, int32(1), Greedy(c))
	})
}

func TestSample(t *testing.T) {
	// Cumulative probabilities of z0: .5630 .7701 .8958 .9720 1.
	for _, tt := range []struct {
		coin float32
		want int32
	}{
		{0, 0}, {0.5, 0}, {0.5631, 1}, {0.77, 1}, {0.7702, 2}, {0.9, 3}, {0.9719, 3}, {0.973, 4}, {0.9999999, 4},
	} {
		c := cands(z0...)
		assert.Equal(t, tt.want, Sample(c, tt.coin), "coin %v", tt.coin)
	}
	t.Run("zero-probability tokens are never drawn", func(t *testing.T) {
		for _, coin := range []float32{0, 0.3, 0.9999999} {
			c := cands(inf, 1, inf, 1, inf)
			id := Sample(c, coin)
			assert.Contains(t, []int32{1, 3}, id)
		}
	})
	t.Run("no distribution", func(t *testing.T) {
		c := cands(inf, inf)
		assert.Equal(t, int32(-1), Sample(c, 0.5))
		assert.ErrorIs(t, Check(c), ErrNoDistribution)
		assert.ErrorIs(t, Check(cands(1, float32(math.NaN()))), ErrNoDistribution)
		assert.NoError(t, Check(cands(z0...)))
	})
	t.Run("temperature changes the draw", func(t *testing.T) {
		c := cands(z0...)
		Temperature{T: 0.5}.Process(nil, c)
		// p at T=0.5 ∝ e^4, e^2, e^1, e^0, e^−2: p0 = .8292
		assert.Equal(t, int32(0), Sample(c, 0.829))
		assert.Equal(t, int32(1), Sample(c, 0.8293))
	})
}

func TestLogProbs(t *testing.T) {
	// log-softmax of z0: z − 2.5744379.
	c := cands(z0...)
	lp, top := LogProbs(c, 2, 3, nil)
	assert.InDelta(t, -2.0744379, lp, 1e-5)
	require.Len(t, top, 3)
	assert.Equal(t, []int32{0, 1, 2}, []int32{top[0].ID, top[1].ID, top[2].ID})
	assert.InDelta(t, -0.5744379, top[0].LogProb, 1e-5)
	assert.InDelta(t, -1.5744379, top[1].LogProb, 1e-5)
	assert.Equal(t, []int32{0, 1, 2, 3, 4}, c.IDs, "LogProbs does not reorder")

	t.Run("over the processed logits", func(t *testing.T) {
		c := cands(z0...)
		TopK{K: 2}.Process(nil, c)
		lp, top := LogProbs(c, 0, 10, nil)
		// log(e^2/(e^2+e^1)) = −0.3132617
		assert.InDelta(t, -0.3132617, lp, 1e-5)
		assert.Len(t, top, 2)
		lp, _ = LogProbs(c, 4, 0, nil)
		assert.True(t, math.IsInf(float64(lp), -1), "removed token has −∞")
	})
	t.Run("ties by lower id", func(t *testing.T) {
		_, top := LogProbs(cands(1, 2, 2, 0), 0, 2, nil)
		assert.Equal(t, int32(1), top[0].ID)
		assert.Equal(t, int32(2), top[1].ID)
	})
}
