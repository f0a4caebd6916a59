package sample

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestXTC(t *testing.T) {
	always := &History{State: NewState(1, 0)}
	tests := []struct {
		name string
		x    XTC
		h    *History
		want []int32
	}{
		// decoding.md: threshold 0.1 → .563, .207, .126 reach it; all but
		// the least probable of them (id 2) go.
		{"threshold 0.1 (decoding.md)", XTC{Probability: 1, Threshold: 0.1}, always, []int32{2, 3, 4}},
		{"threshold 0.2", XTC{Probability: 1, Threshold: 0.2}, always, []int32{1, 2, 3, 4}},
		{"only one above: nothing", XTC{Probability: 1, Threshold: 0.5}, always, []int32{0, 1, 2, 3, 4}},
		{"threshold above 0.5 disables", XTC{Probability: 1, Threshold: 0.51}, always, []int32{0, 1, 2, 3, 4}},
		{"probability 0 disables", XTC{Probability: 0, Threshold: 0.1}, always, []int32{0, 1, 2, 3, 4}},
		{"min_keep would be violated", XTC{Probability: 1, Threshold: 0.1, MinKeep: 4}, always, []int32{0, 1, 2, 3, 4}},
		{"no state: never fires", XTC{Probability: 1, Threshold: 0.1}, &History{}, []int32{0, 1, 2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cands(z0...)
			tt.x.Process(tt.h, c)
			checkAligned(t, c)
			assert.Equal(t, tt.want, ids(c))
		})
	}
}

// XTC fires exactly when its coin from the state is ≤ probability.
func TestXTCCoinFromState(t *testing.T) {
	x := XTC{Probability: 0.3, Threshold: 0.1}
	st := NewState(42, Stream(3, 1))
	fired := 0
	for range 500 {
		coin, ok := st.Clone().coin()
		require.True(t, ok)
		c := cands(z0...)
		x.Process(&History{State: st}, c)
		assert.Equal(t, coin <= 0.3, c.Len() == 3)
		if c.Len() == 3 {
			fired++
		}
	}
	assert.InDelta(t, 150, fired, 40, "fires about 30%% of the time")
}

func TestMirostatV2(t *testing.T) {
	m := MirostatV2{Tau: 1.5, Eta: 0.1}
	st := NewState(0, 0)
	h := &History{State: st}
	c := cands(z0...)
	m.Process(h, c)
	// μ starts at 2τ = 3: surprises are .83, 2.27, 2.99, 3.71, 5.16 bits.
	assert.Equal(t, []int32{0, 1, 2}, c.IDs)
	assert.InDeltaSlice(t, []float32{0.6285317, 0.2312239, 0.1402444}, c.Probs, 1e-6, "renormalised")

	Chain{m}.Observe(h, c, 1)
	mu, ok := st.Mu()
	require.True(t, ok)
	// μ ← 3 − 0.1·(−log₂ .2312 − 1.5)
	assert.InDelta(t, 2.9387362, mu, 1e-5)

	t.Run("keeps at least one", func(t *testing.T) {
		c := cands(z0...)
		MirostatV2{Tau: 0.1, Eta: 0.1}.Process(&History{}, c)
		assert.Equal(t, []int32{0}, c.IDs)
	})
	t.Run("state is per sequence", func(t *testing.T) {
		other := st.Clone()
		other.SetMu(0.5)
		mu, _ := st.Mu()
		assert.InDelta(t, 2.9387362, mu, 1e-5)
	})
	t.Run("select samples and updates", func(t *testing.T) {
		st := NewState(0, 0)
		h := &History{State: st}
		c := cands(z0...)
		ch := Chain{m}
		ch.Process(h, c)
		id := ch.Select(h, c, 0.99) // the last of the kept three
		assert.Equal(t, int32(2), id)
		mu, _ := st.Mu()
		assert.InDelta(t, 3-0.1*(2.8339851-1.5), mu, 1e-5)
	})
}

func TestMirostatV1(t *testing.T) {
	// z0 with N = 5: ŝ = 1.62445; k = ((ŝ−1)·2^μ/(1−5^(1−ŝ)))^(1/ŝ) gives
	// k = 3.56 at μ = 3, 1.88 at μ = 1.5 and 12.8 (all 5) at μ = 6.
	for tau, want := range map[float32]int{1.5: 3, 0.75: 1, 3: 5} {
		c := cands(z0...)
		Mirostat{Tau: tau, Eta: 0.1, M: 100, N: 5}.Process(&History{}, c)
		assert.Equal(t, want, c.Len(), "tau %v", tau)
		assert.True(t, c.Sorted)
	}
}
