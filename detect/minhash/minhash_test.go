package minhash

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// words returns n distinct words starting at word number from.
func words(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("w%d", from+i)
	}
	return out
}

func TestSimilarityEstimate(t *testing.T) {
	h, err := NewHasher(256, 1)
	require.NoError(t, err)
	// Unigram sets: a = w0..w99, b = w(100−o)..w(199−o): overlap o of 200−o.
	for _, overlap := range []int{0, 25, 50, 75, 100} {
		t.Run(fmt.Sprint(overlap), func(t *testing.T) {
			a := strings.Join(words(0, 100), " ")
			b := strings.Join(words(100-overlap, 100), " ")
			want := float64(overlap) / float64(200-overlap)
			got := Similarity(h.Sign(a), h.Sign(b))
			// Four standard errors of the K=256 estimate, at least 0.02.
			tol := math.Max(0.02, 4*math.Sqrt(want*(1-want)/256))
			assert.InDelta(t, want, got, tol)
		})
	}
}

func TestShingles(t *testing.T) {
	h, err := NewHasher(4, 3)
	require.NoError(t, err)
	assert.Len(t, h.Shingles(nil, "a b c d e"), 3)
	assert.Len(t, h.Shingles(nil, "a b"), 1, "short text is one shingle")
	assert.Empty(t, h.Shingles(nil, " ... "))
	assert.Len(t, h.Shingles(nil, "插座插座好"), 3, "CJK characters are tokens")
	// Normalisation: case and end punctuation do not matter.
	assert.Equal(t, h.Shingles(nil, "The cat, sat."), h.Shingles(nil, "the cat sat"))
	// Signatures are stable across hashers (fixed seed).
	h2, err := NewHasher(4, 3)
	require.NoError(t, err)
	assert.Equal(t, h.Sign("one two three four"), h2.Sign("one two three four"))
	sig := make([]uint32, 4)
	assert.False(t, h.Signature(sig, nil))
	assert.Equal(t, []uint32{math.MaxUint32, math.MaxUint32, math.MaxUint32, math.MaxUint32}, sig)

	_, err = NewHasher(0, 3)
	assert.Error(t, err)
	_, err = NewHasher(8, 0)
	assert.Error(t, err)
}

func TestChooseBands(t *testing.T) {
	b, r := ChooseBands(128, 0.8)
	require.LessOrEqual(t, b*r, 128)
	// The S-curve's midpoint (1/b)^(1/r) sits near the threshold.
	assert.InDelta(t, 0.8, math.Pow(1/float64(b), 1/float64(r)), 0.1)
	assert.Greater(t, CandidateProb(0.9, b, r), 0.95)
	assert.Less(t, CandidateProb(0.5, b, r), 0.1)
	// A lower threshold needs fewer rows per band.
	_, r2 := ChooseBands(128, 0.5)
	assert.Less(t, r2, r)
	assert.InDelta(t, 1-math.Pow(1-0.25, 2), CandidateProb(0.5, 2, 2), 1e-12)
}

func TestIndex(t *testing.T) {
	h, err := NewHasher(64, 2)
	require.NoError(t, err)
	ix, err := NewIndex(64, 16, 4)
	require.NoError(t, err)
	texts := []string{
		strings.Join(words(0, 40), " "),
		strings.Join(words(1000, 40), " "),
		strings.Join(words(2000, 40), " "),
	}
	for i, s := range texts {
		assert.Equal(t, i, ix.Add(h.Sign(s)))
	}
	assert.Equal(t, 3, ix.Len())
	near := strings.Join(append(words(1000, 39), "other"), " ")
	e, sim := ix.Best(h.Sign(near), nil)
	assert.Equal(t, 1, e)
	assert.Greater(t, sim, 0.8)
	e, _ = ix.Best(h.Sign(near), func(e int) bool { return e != 1 })
	assert.Equal(t, -1, e)
	e, sim = ix.Best(h.Sign(strings.Join(words(5000, 40), " ")), nil)
	assert.Equal(t, -1, e)
	assert.Equal(t, 0.0, sim)
	assert.Equal(t, h.Sign(texts[2]), ix.Sig(2))

	// Many entries cross chunk boundaries and still come back intact.
	for i := range chunkSigs + 10 {
		ix.Add(h.Sign(fmt.Sprint("doc ", i, " body")))
	}
	assert.Equal(t, h.Sign(fmt.Sprint("doc ", chunkSigs+5, " body")), ix.Sig(3+chunkSigs+5))

	_, err = NewIndex(64, 16, 5)
	assert.Error(t, err)
}
