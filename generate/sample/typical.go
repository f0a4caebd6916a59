package sample

import (
	"cmp"
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

type skey struct {
	s float64
	i int32
}

func (t TypicalP) String() string { return "typical_p(" + ff(t.P) + ")" }

func (t TypicalP) withMinKeep(n int) Processor { t.MinKeep = n; return t }

func (t TypicalP) Process(_ *History, c *Candidates) {
	n := c.Len()
	if t.P >= 1 || n <= 1 {
		return
	}
	if !c.Softmax() {
		return
	}
	h := entropy(c.Probs)
	if cap(c.keys) < n {
		c.keys = make([]skey, n)
	}
	keys := c.keys[:n]
	for i, p := range c.Probs {
		s := math.Inf(1)
		if p > 0 {
			s = math.Abs(-math.Log(float64(p)) - h)
		}
		keys[i] = skey{s, int32(i)}
	}
	slices.SortFunc(keys, func(a, b skey) int {
		if r := cmp.Compare(a.s, b.s); r != 0 {
			return r
		}
		return rank(entry{c.IDs[a.i], c.Logits[a.i], 0}, entry{c.IDs[b.i], c.Logits[b.i], 0})
	})
	var cum float64
	last := 0
	for _, k := range keys {
		cum += float64(c.Probs[k.i])
		if cum >= float64(t.P) {
			break
		}
		last++
	}
	last = min(last, n-1)
	thr := keys[last].s
	// Mark what stays in counts (scratch), then compact in place.
	keep := c.scratchInts(n)
	for r, k := range keys {
		v := int32(0)
		if k.s <= thr || r < keepAtLeast(t.MinKeep) {
			v = 1
		}
		keep[k.i] = v
	}
	c.Filter(func(i int) bool { return keep[i] == 1 })
}

// entropy is −Σ p ln p in nats, skipping zero probabilities.
func entropy(probs []float32) float64 {
	var h float64
	for _, p := range probs {
		if p > 0 {
			h -= float64(p) * math.Log(float64(p))
		}
	}
	return h
}
