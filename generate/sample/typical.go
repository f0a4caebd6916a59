package sample

import (
	"math"
	"slices"
)

// TypicalP is locally typical sampling (Meister et al. 2022; HF
// TypicalLogitsWarper). With H the entropy of the softmax (nats), each
// candidate scores s_i = |−ln p_i − H|; in ascending score order, with
// cumulative probability cum, let last = #{cum < P} (at most n−1): candidates
// scoring above the last-th score are removed, the first MinKeep in score
// order always stay. P ≥ 1 keeps all. Candidates keep their order. Score ties
// are ordered by descending logit, then lower id.
type TypicalP struct {
	P       float32
	MinKeep int
}

func (t TypicalP) String() string { return "typical_p(" + ff(t.P) + ")" }

func (t TypicalP) Process(_ *History, c *Candidates) {
	n := c.Len()
	if t.P >= 1 || n <= 1 {
		return
	}
	if !c.Softmax() {
		return
	}
	h := entropy(c)
	keys := c.wkeys(n)
	for i, p := range c.Probs {
		s := math.Inf(1)
		if p > 0 {
			s = math.Abs(c.lse - float64(c.Logits[i]) - h) // −ln p − H
		}
		keys[i] = wkey{k: s, w: float64(p), id: c.IDs[i], i: int32(i)}
	}
	// last = #{cum < P} in score order, at most n−1: the first K = last+1
	// keys by score are those massCut selects.
	k := max(massCut(keys, float64(t.P)), 1)
	thr := keys[0].k
	for _, kk := range keys[:k] {
		thr = max(thr, kk.k)
	}
	if minKeep := keepAtLeast(t.MinKeep); minKeep > k {
		// The first minKeep in score order stay too: sort to find them.
		slices.SortFunc(keys, cmpW)
		k = minKeep
	}
	keep := c.scratchInts(n)
	clear(keep)
	for r, kk := range keys {
		if kk.k <= thr || r < k {
			keep[kk.i] = 1
		}
	}
	c.Filter(func(i int) bool { return keep[i] == 1 })
}

// entropy is −Σ p ln p in nats over the candidates, with ln p = z − lse
// (no logarithm per candidate); c.Probs and c.lse must be current.
func entropy(c *Candidates) float64 {
	var h float64
	for i, p := range c.Probs {
		if p > 0 {
			h -= float64(p) * (float64(c.Logits[i]) - c.lse)
		}
	}
	return h
}
