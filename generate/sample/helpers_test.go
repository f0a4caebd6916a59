package sample

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// z0 is decoding.md's running example: p ≈ [.5630, .2071, .1256, .0762, .0280].
var z0 = []float32{2, 1, 0.5, 0, -1}

func cands(z ...float32) *Candidates {
	c := NewCandidates(len(z))
	c.Reset(z)
	return c
}

// ids returns the candidate ids in ascending order.
func ids(c *Candidates) []int32 {
	out := slices.Clone(c.IDs)
	slices.Sort(out)
	return out
}

// logits returns the logits indexed by id (−∞ for removed ids).
func logits(c *Candidates) []float32 {
	out := make([]float32, c.Vocab())
	for i := range out {
		out[i] = float32(math.Inf(-1))
	}
	for i, id := range c.IDs {
		out[id] = c.Logits[i]
	}
	return out
}

func hist(prompt int, toks ...int32) *History {
	return &History{Tokens: toks, Prompt: prompt}
}

// checkAligned verifies the Candidates invariants: equal lengths, distinct
// ids, and the Sorted flag telling the truth.
func checkAligned(t *testing.T, c *Candidates) {
	t.Helper()
	require.Len(t, c.Logits, len(c.IDs))
	require.Len(t, c.Probs, len(c.IDs))
	seen := map[int32]bool{}
	for _, id := range c.IDs {
		require.False(t, seen[id], "duplicate id %d", id)
		seen[id] = true
	}
	if c.Sorted {
		for i := 1; i < c.Len(); i++ {
			require.LessOrEqual(t, rank(entry{c.IDs[i-1], c.Logits[i-1], 0}, entry{c.IDs[i], c.Logits[i], 0}), 0, "Sorted but out of order at %d", i)
		}
	}
}
