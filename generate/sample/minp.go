package sample

import "math"

// MinP removes candidates whose probability is below P times the largest
// probability (HF MinPLogitsWarper, llama.cpp min-p). The test is done in
// logit space, z_i < z_max + ln P, which is the same set without computing
// a softmax. P ≤ 0 keeps all; the best MinKeep candidates are always kept.
type MinP struct {
	P       float32
	MinKeep int
}

func (t MinP) String() string { return "min_p(" + ff(t.P) + ")" }

func (t MinP) Process(_ *History, c *Candidates) {
	if t.P <= 0 || c.Len() <= 1 {
		return
	}
	minKeep := keepAtLeast(t.MinKeep)
	mx := c.kthLogit(1)
	thr := float32(float64(mx) + math.Log(float64(t.P)))
	kept := 0
	for _, l := range c.Logits {
		if l >= thr {
			kept++
		}
	}
	if kept >= minKeep {
		c.Filter(func(i int) bool { return c.Logits[i] >= thr })
		return
	}
	// Too few pass: keep the best minKeep (HF keeps the first min_keep of a
	// stable descending sort).
	c.sortTop(minKeep)
	c.Truncate(minKeep)
	c.Sorted = true
}
