package sample

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSoftmax(t *testing.T) {
	tests := []struct {
		name string
		z    []float32
		want []float32
		ok   bool
	}{
		{"running example", z0, []float32{0.5630212, 0.2071239, 0.1256270, 0.0761966, 0.0280312}, true},
		{"uniform", []float32{3, 3, 3, 3}, []float32{0.25, 0.25, 0.25, 0.25}, true},
		{"-inf gets zero", []float32{0, float32(math.Inf(-1)), 0}, []float32{0.5, 0, 0.5}, true},
		{"huge logits do not overflow", []float32{1000, 1000}, []float32{0.5, 0.5}, true},
		{"all -inf", []float32{float32(math.Inf(-1)), float32(math.Inf(-1))}, []float32{0, 0}, false},
		{"NaN", []float32{0, float32(math.NaN())}, []float32{0, 0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cands(tt.z...)
			assert.Equal(t, tt.ok, c.Softmax())
			assert.InDeltaSlice(t, tt.want, c.Probs, 1e-6)
		})
	}
}

func TestSortOrdersByLogitThenID(t *testing.T) {
	c := cands(1, 3, 1, 3, float32(math.Inf(-1)), 2)
	c.Sort()
	assert.Equal(t, []int32{1, 3, 5, 0, 2, 4}, c.IDs)
	assert.True(t, c.Sorted)
	checkAligned(t, c)
}

// sortTop must agree with a full sort on the first m entries and keep the
// rest in their previous relative order, for every m, with many ties.
func TestSortTopMatchesFullSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 1 + r.IntN(300)
		z := make([]float32, n)
		for i := range z {
			z[i] = float32(r.IntN(20)) // ties on purpose
		}
		full := cands(z...)
		full.Sort()
		for _, m := range []int{1, 2, 5, n / 5, n / 3, n} {
			if m < 1 {
				continue
			}
			c := cands(z...)
			c.Softmax()
			c.sortTop(m)
			checkAligned(t, c)
			require.Equal(t, full.IDs[:m], c.IDs[:m], "trial %d m %d", trial, m)
			rest := slices.Clone(c.IDs[m:])
			require.True(t, slices.IsSorted(rest) || c.Sorted, "rest keeps id order")
			for i, id := range c.IDs {
				require.Equal(t, z[id], c.Logits[i])
			}
		}
	}
}

func TestPrefixWhileSortsLazily(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	z := make([]float32, 5000)
	for i := range z {
		z[i] = float32(r.NormFloat64())
	}
	ref := cands(z...)
	ref.Sort()
	for _, stop := range []int{0, 1, 63, 64, 65, 300, 4999, 5000} {
		c := cands(z...)
		got := c.prefixWhile(func(i int) bool { return i < stop })
		require.Equal(t, stop, got)
		assert.Equal(t, ref.IDs[:min(stop+1, 5000)], c.IDs[:min(stop+1, 5000)], "stop %d", stop)
	}
}

func TestFilterAndTruncate(t *testing.T) {
	c := cands(z0...)
	c.Filter(func(i int) bool { return c.IDs[i]%2 == 0 })
	assert.Equal(t, []int32{0, 2, 4}, c.IDs)
	assert.Equal(t, []float32{2, 0.5, -1}, c.Logits)
	c.Truncate(1)
	assert.Equal(t, []int32{0}, c.IDs)
	checkAligned(t, c)
	// Reset restores the full vocabulary.
	c.Reset(z0)
	assert.Equal(t, []int32{0, 1, 2, 3, 4}, c.IDs)
	assert.Equal(t, z0, c.Logits)
}

func TestKthLogit(t *testing.T) {
	c := cands(1, 5, 3, 5, 2)
	for k, want := range map[int]float32{1: 5, 2: 5, 3: 3, 4: 2, 5: 1, 9: 1} {
		assert.Equal(t, want, c.kthLogit(k), "k=%d", k)
	}
	assert.Equal(t, []int32{0, 1, 2, 3, 4}, c.IDs, "kthLogit does not reorder")
}

func TestResetDoesNotAllocateAfterWarmUp(t *testing.T) {
	z := make([]float32, 32000)
	c := NewCandidates(len(z))
	allocs := testing.AllocsPerRun(20, func() { c.Reset(z) })
	assert.Zero(t, allocs)
}
